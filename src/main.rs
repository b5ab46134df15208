//! The `cargo-trustcheck` binary: parses arguments, runs the library, exits 0, 1 or 2.

fn main() -> std::process::ExitCode {
    cargo_trustcheck::cli::main()
}
