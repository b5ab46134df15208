//! Tests of the `.crate` reader: the facts it gives, hostile archives (each read as cargo's
//! unpacking writes it, where the reader this one replaced skipped or misread entries), and a
//! differential test against the `tar` crate's
//! real unpacking over generated archives.

use super::hostile::{Agreement, DIR, Format, MANIFEST, Raw, differential, header};
use super::*;
use crate::facts::crates::{CrateFacts, read_facts, sha256_hex};

fn version() -> semver::Version {
    semver::Version::new(0, 2, 0)
}

fn facts_new(bytes: &[u8]) -> Result<CrateFacts, CrateError> {
    read_facts(
        &Archive::read(bytes, "demo", &version())?,
        "demo",
        &version(),
        &[],
    )
}

/// Checks `bytes` against the real unpacking: returns the facts.
fn hostile(bytes: &[u8]) -> (Agreement, Result<CrateFacts, CrateError>) {
    let (agreement, _) = differential(bytes);
    (agreement, facts_new(bytes))
}

fn is_unsupported<T: std::fmt::Debug>(result: &Result<T, CrateError>) -> bool {
    matches!(result, Err(CrateError::Unsupported(_)))
}

fn is_invalid<T: std::fmt::Debug>(result: &Result<T, CrateError>) -> bool {
    matches!(result, Err(CrateError::Invalid(_)))
}

#[test]
fn one_pass_over_the_archive_gives_the_facts() {
    let bytes = build(
        "demo",
        "0.2.0",
        &[
            (
                "Cargo.toml",
                b"[package]\nname = \"demo\"\nversion = \"0.2.0\"\nlicense-file = \"LICENSE\"\n[lib]\nproc-macro = true\n",
            ),
            ("LICENSE", b"terms"),
            ("src/lib.rs", b""),
            ("build.rs", b"fn main() {}"),
        ],
    );
    let archive = Archive::read(&bytes, "demo", &version()).unwrap();
    let facts = read_facts(&archive, "demo", &version(), &["nope"]).unwrap();
    assert!(facts.build_script && facts.proc_macro && facts.has_lib);
    assert_eq!(facts.files.get("LICENSE"), Some(&sha256_hex(b"terms")));
    assert!(!facts.files.contains_key("nope"));
    assert_eq!(archive.depends_on_cargo_version(), None);
    let files = archive.files();
    assert_eq!(files.len(), 4);
    assert_eq!(files[0].path, "Cargo.toml");
    assert_eq!(
        archive.sha256("build.rs"),
        Some(&*sha256_hex(b"fn main() {}"))
    );
}

#[test]
fn entries_outside_the_crate_directory_are_refused() {
    let bytes = build("demo", "0.2.0", &[("Cargo.toml", b"")]);
    let error = Archive::read(&bytes, "other", &version()).unwrap_err();
    assert!(
        error.to_string().contains("outside other-0.2.0/"),
        "{error}"
    );
    let error = Archive::read(b"not gzip", "demo", &version())
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(error, CrateError::Invalid(_)), "{error}");
    for name in [
        "/demo-0.2.0/build.rs",
        "./demo-0.2.0/build.rs",
        "demo-0.2.0x/a",
    ] {
        let mut raw = Raw::default();
        raw.push(header(name.as_bytes(), b'0', 0, b"", Format::Gnu), b"");
        assert!(is_invalid(&differential(&raw.finish()).1), "{name}");
    }
}

#[test]
fn a_build_script_of_any_file_like_type_is_a_file_as_tar_writes_it() {
    for flag in [b'6', b'Z', b'V', b'3', b'4', b'X', b'7', b'D', b'M', b'\0'] {
        let bytes = Raw::default()
            .file("Cargo.toml", MANIFEST)
            .entry("build.rs", flag, b"fn main() {}")
            .finish();
        let (agreement, read) = differential(&bytes);
        assert_eq!(agreement, Agreement::Same, "{}", flag as char);
        let archive = read.unwrap();
        assert_eq!(
            archive.sha256("build.rs"),
            Some(&*sha256_hex(b"fn main() {}"))
        );
        let new = facts_new(&bytes);
        if flag == b'\0' {
            // An old-style regular file: every cargo has it.
            assert!(new.unwrap().build_script);
            continue;
        }
        // Cargo 1.96 and later refuse it, earlier cargo runs it: `cargo metadata` decides.
        assert!(is_unsupported(&new), "{new:?}");
    }
}

#[test]
fn a_sparse_build_script_is_unpacked_with_its_holes() {
    let code = [b'a'; 512];
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .sparse("build.rs", &[(0, &code), (1024, b"fn main() {}")], 1036)
        .finish();
    let (agreement, read) = hostile(&bytes);
    assert_eq!(agreement, Agreement::Same);
    let file = read.map(|_| ()).unwrap_err();
    assert!(matches!(file, CrateError::Unsupported(_)));
    let archive = Archive::read(&bytes, "demo", &version()).unwrap();
    let files = archive.files();
    let script = files.iter().find(|file| file.path == "build.rs").unwrap();
    assert_eq!(script.size, 1036);
    assert_eq!(&script.bytes[512..1024], &[0; 512][..]);
}

#[test]
fn the_last_manifest_wins() {
    let other = b"[package]\nname = \"demo\"\nversion = \"0.2.0\"\nbuild = \"x.rs\"\n";
    // A regular file after a clean one: every cargo takes the last.
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("Cargo.toml", other)
        .finish();
    assert_eq!(differential(&bytes).0, Agreement::Same);
    assert!(facts_new(&bytes).unwrap().build_script);
    // A FIFO or a symbolic link after a clean one: cargo keeps the last.
    let fifo = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .entry("Cargo.toml", b'6', other)
        .finish();
    let link = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("other.toml", other)
        .link("Cargo.toml", b'2', "other.toml")
        .finish();
    for bytes in [fifo, link] {
        let (agreement, new) = hostile(&bytes);
        assert_eq!(agreement, Agreement::Same);
        assert!(is_unsupported(&new));
        // What cargo 1.95 reads: the last entry, the link followed.
        let archive = Archive::read(&bytes, "demo", &version()).unwrap();
        let manifest = archive.tree.lookup("Cargo.toml", true).unwrap();
        let Some(Node::File(blob)) = manifest.node else {
            panic!("{manifest:?}")
        };
        assert_eq!(archive.tree.blobs[blob].bytes, other);
    }
}

#[test]
fn a_file_written_through_a_linked_directory_lands_where_the_link_points() {
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .link("x", b'2', ".")
        .file("x/build.rs", b"fn main() {}")
        .finish();
    let (agreement, new) = hostile(&bytes);
    assert_eq!(agreement, Agreement::Same);
    assert!(is_unsupported(&new));
    let archive = Archive::read(&bytes, "demo", &version()).unwrap();
    assert!(archive.sha256("build.rs").is_some());
    // Through a link to a neighbour in cargo's registry, or to an absolute path: unknown.
    for target in ["../other-1.0.0", "/nonexistent-trustcheck"] {
        let bytes = Raw::default()
            .file("Cargo.toml", MANIFEST)
            .link("x", b'2', target)
            .file("x/build.rs", b"fn main() {}")
            .finish();
        let (agreement, read) = differential(&bytes);
        assert_eq!(agreement, Agreement::Unsupported, "{target}");
        assert!(is_unsupported(&read));
    }
}

#[test]
fn what_tar_refuses_is_invalid() {
    let hard_manifest = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("other.toml", MANIFEST)
        .link("Cargo.toml", b'1', &format!("{DIR}other.toml"))
        .finish();
    let file_then_dir = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("build.rs", b"fn main() {}")
        .entry("build.rs", b'5', b"")
        .finish();
    let dir_then_file = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .entry("build.rs", b'5', b"")
        .file("build.rs", b"fn main() {}")
        .finish();
    let file_under_file = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("src", b"")
        .file("src/lib.rs", b"")
        .finish();
    for bytes in [hard_manifest, file_then_dir, dir_then_file, file_under_file] {
        let (agreement, new) = hostile(&bytes);
        assert_eq!(agreement, Agreement::BothRefused);
        assert!(is_invalid(&new), "{new:?}");
    }
}

#[test]
fn a_hard_link_keeps_the_bytes_its_target_had() {
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("a.rs", b"fn main() {}")
        .link("build.rs", b'1', &format!("{DIR}a.rs"))
        .file("a.rs", b"replaced")
        .finish();
    let (agreement, _) = differential(&bytes);
    assert_eq!(agreement, Agreement::Same);
    assert!(is_unsupported(&facts_new(&bytes)));
    let archive = Archive::read(&bytes, "demo", &version()).unwrap();
    assert_eq!(
        archive.sha256("build.rs"),
        Some(&*sha256_hex(b"fn main() {}"))
    );
}

#[test]
fn paths_are_read_as_tar_reads_them() {
    // `..` anywhere: tar skips the entry; `//` and `/./`: tar writes it.
    let skipped = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("../demo-0.2.0/build.rs", b"fn main() {}")
        .file("src/../build.rs", b"fn main() {}")
        .finish();
    let (agreement, new) = hostile(&skipped);
    assert_eq!(agreement, Agreement::Same);
    assert!(!new.unwrap().build_script);
    let written = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("./src//lib.rs", b"")
        .file("/build.rs", b"")
        .finish();
    let (agreement, new) = hostile(&written);
    assert_eq!(agreement, Agreement::Same);
    let new = new.unwrap();
    assert!(new.build_script && new.has_lib);
    // A GNU header with a trailing `/` makes a directory of a regular file.
    let bsd = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file("build.rs/", b"")
        .finish();
    let (agreement, new) = hostile(&bsd);
    assert_eq!(agreement, Agreement::Same);
    assert!(!new.unwrap().build_script);
}

#[test]
fn cargo_ok_is_skipped_wherever_it_is() {
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .file(".cargo-ok", b"{\"v\":1}")
        .file("src/.cargo-ok", b"")
        .finish();
    assert_eq!(differential(&bytes).0, Agreement::Same);
    let archive = Archive::read(&bytes, "demo", &version()).unwrap();
    assert_eq!(archive.root_names(), ["Cargo.toml"]);
}

#[test]
fn long_names_and_pax_paths_name_the_entry() {
    let deep = format!("{DIR}{}/build.rs", "d".repeat(120));
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .long_name(&deep)
        .file("ignored", b"long")
        .pax(&[("path", &format!("{DIR}build.rs"))])
        .file("src/lib.rs", b"fn main() {}")
        .finish();
    let (agreement, read) = differential(&bytes);
    assert_eq!(agreement, Agreement::Same);
    let archive = read.unwrap();
    assert!(archive.sha256(&deep[DIR.len()..]).is_some());
    assert_eq!(archive.sha256("src/lib.rs"), None);
    let facts = facts_new(&bytes).unwrap();
    assert!(facts.build_script && !facts.has_lib);
    // A PAX size other than the header's: tar 0.4.44 reads another archive.
    let bytes = Raw::default()
        .file("Cargo.toml", MANIFEST)
        .pax(&[("size", "0")])
        .file("build.rs", &[b' '; 600])
        .finish();
    let (agreement, read) = hostile(&bytes);
    assert!(is_unsupported(&read));
    assert_ne!(agreement, Agreement::BothRefused);
}

#[test]
fn what_a_case_insensitive_file_system_reads_is_left_to_cargo() {
    for name in ["Build.rs", "build.rs.", "BUILD.RS"] {
        let bytes = Raw::default()
            .file("Cargo.toml", MANIFEST)
            .file(name, b"fn main() {}")
            .finish();
        let (_, new) = hostile(&bytes);
        assert!(is_unsupported(&new), "{name}");
    }
}

#[test]
fn a_directory_only_root_can_enter_is_left_to_cargo() {
    let mut raw = Raw::default();
    raw.file("Cargo.toml", MANIFEST);
    let mut block = header(format!("{DIR}src/").as_bytes(), b'5', 0, b"", Format::Gnu);
    block[100..108].copy_from_slice(b"0000000\0");
    raw.push(block, b"").file("src/lib.rs", b"");
    let (_, new) = hostile(&raw.finish());
    assert!(is_unsupported(&new));
}

#[test]
fn a_proc_macro_mixed_with_other_crate_types_is_invalid() {
    let bytes = Raw::default()
        .file(
            "Cargo.toml",
            b"[package]\nname = \"demo\"\nversion = \"0.2.0\"\n[lib]\ncrate-type = [\"proc-macro\", \"lib\"]\n",
        )
        .finish();
    let (agreement, _) = differential(&bytes);
    assert_eq!(agreement, Agreement::Same);
    let new = facts_new(&bytes);
    assert!(is_invalid(&new), "{new:?}");
    // The manifest reading this crate replaces said: a library, not a proc-macro.
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn generated_archives_read_as_tar_unpacks_them() {
    let names = [
        "Cargo.toml",
        "build.rs",
        "src",
        "src/lib.rs",
        "a",
        "a/b",
        "x",
        "x/build.rs",
        "x/y",
        "src/../build.rs",
        ".cargo-ok",
        "./a/b",
    ];
    let targets = [
        "src",
        ".",
        "..",
        "a",
        "build.rs",
        "../demo-0.2.0/src",
        "missing",
        "x",
        "a/b",
        "/nonexistent-trustcheck",
        "src/",
        "x/y",
    ];
    let flags = [
        b'0', b'0', b'0', b'5', b'2', b'1', b'6', b'Z', b'X', b'3', b'0', b'5',
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut seen = BTreeMap::<&str, usize>::new();
    for round in 0..400 {
        let mut raw = Raw::default();
        for index in 0..=(rng.next() % 7) {
            let name = *rng.pick(&names[..]);
            let flag = *rng.pick(&flags[..]);
            let body = format!("{round}-{index}");
            match flag {
                b'2' => {
                    let target = rng.pick(&targets[..]).to_owned();
                    raw.link(name, b'2', target)
                }
                b'1' => raw.link(name, b'1', &format!("{DIR}{}", rng.pick(&names[..]))),
                b'5' if rng.next().is_multiple_of(2) => raw.entry(&format!("{name}/"), b'5', b""),
                _ if rng.next().is_multiple_of(9) => raw
                    .pax(&[("path", &format!("{DIR}{}", rng.pick(&names[..])))])
                    .entry(name, flag, body.as_bytes()),
                _ if rng.next().is_multiple_of(9) => {
                    let path = format!("{DIR}{name}");
                    let block = header(path.as_bytes(), flag, body.len() as u64, b"", Format::Old);
                    raw.push(block, body.as_bytes())
                }
                _ => raw.entry(name, flag, body.as_bytes()),
            };
        }
        let (agreement, _) = differential(&raw.finish());
        *seen
            .entry(match agreement {
                Agreement::Same => "same",
                Agreement::BothRefused => "refused",
                Agreement::Unsupported => "unsupported",
            })
            .or_default() += 1;
    }
    eprintln!("generated archives: {seen:?}");
    assert!(seen["same"] >= 150 && seen["refused"] >= 20, "{seen:?}");
    assert!(
        seen.get("unsupported").copied().unwrap_or(0) <= 80,
        "{seen:?}"
    );
}

#[test]
#[ignore = "a benchmark: cargo test --release -- --ignored --nocapture"]
fn read_speed_of_a_real_crate() {
    let home = std::env::var("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo")
        });
    let mut best: Option<(u64, std::path::PathBuf)> = None;
    for registry in std::fs::read_dir(home.join("registry/cache"))
        .unwrap()
        .flatten()
    {
        for file in std::fs::read_dir(registry.path()).unwrap().flatten() {
            let size = file.metadata().unwrap().len();
            if best.as_ref().is_none_or(|(largest, _)| size > *largest) {
                best = Some((size, file.path()));
            }
        }
    }
    let path = match std::env::var("BENCH_CRATE") {
        Ok(path) => std::path::PathBuf::from(path),
        Err(_) => best.unwrap().1,
    };
    let bytes = std::fs::read(&path).unwrap();
    let stem = path.file_stem().unwrap().to_str().unwrap();
    let (name, version) = stem
        .match_indices('-')
        .find_map(|(at, _)| Some((&stem[..at], semver::Version::parse(&stem[at + 1..]).ok()?)))
        .unwrap();
    let start = std::time::Instant::now();
    let rounds = 5;
    let mut unpacked = 0;
    for _ in 0..rounds {
        let archive = Archive::read(&bytes, name, &version).unwrap();
        unpacked = archive.files().iter().map(|file| file.size).sum::<u64>();
    }
    let seconds = start.elapsed().as_secs_f64() / f64::from(rounds);
    eprintln!(
        "{stem}: {:.1} MB compressed, {:.1} MB of files, {:.1} ms a read: {:.0} MB/s unpacked",
        bytes.len() as f64 / 1e6,
        unpacked as f64 / 1e6,
        seconds * 1e3,
        unpacked as f64 / 1e6 / seconds
    );
}
