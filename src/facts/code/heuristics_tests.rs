//! Tests of the heuristics' both sides: filesystem writes outside `OUT_DIR`, dynamic loading and
//! TLS verification, encoded payloads.

use super::tests::{base64, build, caps, has, noise};
use super::*;
use Capability::*;

#[test]
fn writes_outside_out_dir_heuristic() {
    let yes = [
        "use std::fs;\nfn main() { fs::write(\"/etc/cron.d/x\", b\"*\"); }",
        "fn main() { std::fs::write(dirs::home_dir().unwrap().join(\".bashrc\"), \"x\"); }",
        "use std::fs::OpenOptions;\nfn main() { OpenOptions::new().append(true).open(\"../../../.cargo/config.toml\"); }",
        "fn main() { std::fs::copy(\"payload\", format!(\"{}/.x\", std::env::var(\"HOME\").unwrap())); }",
        "use std::fs::File;\nfn main() { File::create(\"C:\\\\Windows\\\\Temp\\\\x.exe\"); }",
        "fn main() { std::fs::remove_dir_all(\"/tmp/x\"); }",
    ];
    for src in yes {
        assert_eq!(
            caps(&build(src), Role::Build),
            [WritesOutsideOutDir],
            "{src}"
        );
    }
    let no = [
        "use std::fs;\nfn main() { let out_dir = std::env::var(\"OUT_DIR\").unwrap(); fs::write(format!(\"{}/x.rs\", out_dir), \"\"); }",
        "use std::fs;\nfn main() { fs::write(concat!(env!(\"OUT_DIR\"), \"/x\"), \"\"); }",
        "use std::fs;\nfn main() { fs::create_dir_all(dst.join(\"include\")); fs::copy(src, dst.join(\"a.h\")); }",
        "use std::fs::OpenOptions;\nfn main() { OpenOptions::new().read(true).open(\"/etc/os-release\"); }",
        "fn main() { let s = std::fs::read_to_string(\"/proc/cpuinfo\"); }",
    ];
    for src in no {
        assert_eq!(caps(&build(src), Role::Build), [], "{src}");
    }
    // Library code is not held to it.
    assert!(!has(
        "fn f() { std::fs::write(\"/etc/x\", \"\"); }",
        WritesOutsideOutDir
    ));
}

#[test]
fn dynamic_load_and_tls() {
    assert!(has(
        "fn f() { unsafe { libloading::Library::new(\"x.so\") }; }",
        DynamicLoad
    ));
    assert!(has(
        "extern \"C\" { fn dlopen(p: *const i8, f: i32) -> *mut u8; }",
        DynamicLoad
    ));
    assert!(has(
        "fn f() { libc::mmap(0, n, libc::PROT_READ | libc::PROT_EXEC, 0, -1, 0); }",
        DynamicLoad
    ));
    assert!(!has(
        "fn f() { libc::mmap(0, n, libc::PROT_READ, 0, -1, 0); }",
        DynamicLoad
    ));
    for src in [
        "fn f() { reqwest::Client::builder().danger_accept_invalid_certs(true); }",
        "fn f() { cfg.dangerous().set_certificate_verifier(v); }",
        "fn f() { b.set_verify(SslVerifyMode::NONE); }",
        "struct V; impl rustls::client::danger::ServerCertVerifier for V {}",
        "fn f() { easy.ssl_verify_peer(false); }",
    ] {
        assert!(has(src, TlsUnverified), "{src}");
    }
    for src in [
        "fn f() { easy.ssl_verify_peer(true); b.set_verify(SslVerifyMode::PEER); }",
        "fn f(v: Arc<dyn ServerCertVerifier>) {}",
    ] {
        assert!(!has(src, TlsUnverified), "{src}");
    }
}

#[test]
fn obfuscation_true_positives() {
    let b64 = base64(&noise(300, 7));
    assert!(has(&format!("const P: &str = \"{b64}\";"), Obfuscation));
    let hex: String = noise(200, 9).iter().map(|b| format!("{b:02x}")).collect();
    assert!(has(&format!("const P: &str = \"{hex}\";"), Obfuscation));
    let table: Vec<String> = noise(80, 3).iter().map(|b| b.to_string()).collect();
    let src = format!(
        "fn f() -> String {{ String::from_utf8(vec![{}]).unwrap() }}",
        table.join(", ")
    );
    assert!(has(&src, Obfuscation));
    let xor = "fn f(d: &[u8]) -> String { String::from_utf8(d.iter().map(|b| b ^ 0x5a).collect()).unwrap() }";
    assert!(has(xor, Obfuscation));
    let bytes: String = noise(200, 5)
        .iter()
        .map(|b| format!("\\x{b:02x}"))
        .collect();
    assert!(has(&format!("const P: &[u8] = b\"{bytes}\";"), Obfuscation));
}

#[test]
fn high_entropy_bytes_are_shown_in_hex_not_as_replacement_characters() {
    let payload = noise(200, 5);
    let escaped: String = payload.iter().map(|b| format!("\\x{b:02x}")).collect();
    let facts = build(&format!("fn main() {{ let p = b\"{escaped}\"; }}"));
    let shown = &facts.roles[&Role::Build][&Obfuscation][0].shows;
    let hex: String = payload
        .iter()
        .take(20)
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(shown, &format!("high-entropy bytes: 0x{hex}…"));
}

#[test]
fn obfuscation_false_positives() {
    let prose = "This crate provides a fast, safe and ergonomic way to parse configuration files. "
        .repeat(6);
    let crc: Vec<String> = (0..256u32)
        .map(|i| format!("0x{:08x}", i.wrapping_mul(0x04c1_1db7)))
        .collect();
    let unicode: String = ('\u{4e00}'..'\u{4f00}').collect();
    let cases = [
        r#"const RE: &str = r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<host>[^/:?#]+)(?::(?P<port>\d+))?(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?:#(?P<frag>.*))?$";"#.to_string(),
        format!("const HELP: &str = \"{prose}\";"),
        format!("static CRC: [u32; 256] = [{}];", crc.join(", ")),
        "const V: &str = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\";".to_string(),
        format!("const CJK: &str = \"{unicode}\";"),
        format!("fn f() -> u32 {{ let t = [{}]; t.iter().map(|x| x ^ 1).sum() }}", crc.join(", ")),
        "const URL: &str = \"https://github.com/rust-lang/rust/blob/master/library/std/src/net/tcp.rs#L100-L200?plain=1&version=1.80.0&tab=readme-ov-file\";".to_string(),
        "static T: &str = include_str!(\"../README.md\");".to_string(),
    ];
    for src in cases {
        assert!(!has(&src, Obfuscation), "{src}");
    }
}
