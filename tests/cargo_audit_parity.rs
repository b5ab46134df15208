//! On ../shared/workloads/vulnerable, the advisory findings equal what cargo-audit 0.22 reports
//! for the same Cargo.lock and the same database snapshot.
//!
//! The fixture holds `cargo metadata --all-features` recorded on that workload (paths rewritten,
//! descriptions dropped) and the output of
//! `cargo audit --db ../shared/advisory-db --no-fetch --json` on it; the advisories of its crates
//! are vendored in tests/fixtures/advisory-db.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

type Key = (String, String, String, String);

fn cargo_audit_findings() -> BTreeSet<Key> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/vulnerable/cargo-audit-0.22.json");
    let audit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let key = |kind: &str, entry: &serde_json::Value| -> Key {
        (
            kind.to_owned(),
            entry["package"]["name"].as_str().unwrap().to_owned(),
            entry["package"]["version"].as_str().unwrap().to_owned(),
            entry["advisory"]["id"].as_str().unwrap_or("").to_owned(),
        )
    };
    let mut keys: BTreeSet<Key> = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| key("vulnerability", entry))
        .collect();
    for (kind, entries) in audit["warnings"].as_object().unwrap() {
        if kind == "yanked" {
            continue; // yanked status comes from the index, not the database
        }
        keys.extend(
            entries
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| key(kind, entry)),
        );
    }
    keys
}

#[test]
fn advisory_findings_on_the_vulnerable_workload_equal_cargo_audits() {
    let metadata =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulnerable/cargo-metadata.json");
    let cache = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(trustcheck(cache.path())
        .arg("--metadata-json")
        .arg(&metadata)
        .arg("--advisory-db")
        .arg(vendored_advisory_db())
        .args(["--offline", "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let report = json(&stdout);
    let ours: BTreeSet<Key> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| {
            finding["advisory"].is_string()
                && !finding["kind"].as_str().unwrap().starts_with("exemption")
        })
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap().to_owned();
            (
                text("kind"),
                text("crate"),
                text("version"),
                text("advisory"),
            )
        })
        .collect();
    let theirs = cargo_audit_findings();
    assert_eq!(theirs.len(), 11, "the recorded cargo-audit output");
    assert_eq!(ours, theirs);
}
