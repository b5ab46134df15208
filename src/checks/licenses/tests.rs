//! Unit tests of the license check over graphs built from plain data.

use std::path::{Path, PathBuf};

use super::*;
use crate::facts::crates::license_files::MAX_LICENSE_FILE;
use crate::facts::crates::license_files::sha256_file;
use crate::load::graph::SourceKind;
use crate::policy::{ClarifiedFile, Policy};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn package(name: &str, version: &str, license: Option<&str>) -> Package {
    Package {
        license: license.map(str::to_owned),
        is_member: false,
        ..Package::new(name, version.parse().unwrap(), Some(CRATES_IO))
    }
}

fn graph(packages: Vec<Package>) -> DependencyGraph {
    DependencyGraph::from_parts(PathBuf::from("/ws"), packages, &[])
}

fn policy() -> LicensePolicy {
    Policy::default().licenses
}

/// (kind, crate, version) of each finding.
fn keys(findings: &[Finding]) -> Vec<(FindingKind, String, String)> {
    findings
        .iter()
        .map(|finding| {
            (
                finding.kind,
                finding.crate_name().unwrap_or("").to_owned(),
                finding
                    .version()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn allowed_licenses_pass_and_others_are_license_findings_grouped_by_expression() {
    let graph = graph(vec![
        package("ok", "1.0.0", Some("MIT/Apache-2.0")),
        package("gpl", "1.0.0", Some("GPL-3.0-only OR BUSL-1.1")),
        package("both", "1.0.0", Some("MIT AND GPL-3.0-only")),
    ]);
    let findings = check(&graph, &policy(), None);
    assert_eq!(
        keys(&findings),
        vec![
            (FindingKind::License, "both".into(), "1.0.0".into()),
            (FindingKind::License, "gpl".into(), "1.0.0".into()),
        ]
    );
    assert_eq!(
        findings[1].message,
        "license \"GPL-3.0-only OR BUSL-1.1\" is not satisfied by licenses.allow (not allowed: GPL-3.0-only, BUSL-1.1)"
    );
    assert_eq!(
        findings[1].license.as_deref(),
        Some("BUSL-1.1 OR GPL-3.0-only")
    );
    assert!(findings[0].message.contains("not allowed: GPL-3.0-only)"));
}

#[test]
fn an_invalid_expression_is_a_license_finding_naming_the_term() {
    let graph = graph(vec![package("odd", "0.1.0", Some("MIT OR Nonsense-1.0"))]);
    let findings = check(&graph, &policy(), None);
    assert_eq!(
        keys(&findings),
        vec![(FindingKind::License, "odd".into(), "0.1.0".into())]
    );
    assert!(
        findings[0]
            .message
            .contains("is not a valid SPDX expression")
            && findings[0].message.contains("Nonsense-1.0"),
        "{}",
        findings[0].message
    );
}

#[test]
fn no_license_or_only_a_license_file_is_unlicensed() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("weird-1.0.0");
    std::fs::create_dir_all(&crate_dir).unwrap();
    std::fs::write(crate_dir.join("LICENSE.txt"), "All rights reserved.\n").unwrap();
    let mut with_file = package("weird", "1.0.0", None);
    with_file.manifest_path = crate_dir.join("Cargo.toml");
    with_file.license_file = Some(crate_dir.join("LICENSE.txt"));
    let graph = graph(vec![
        package("bare", "1.0.0", None),
        package("blank", "1.0.0", Some("  ")),
        with_file,
    ]);
    let findings = check(&graph, &policy(), None);
    assert_eq!(
        keys(&findings),
        vec![
            (FindingKind::Unlicensed, "bare".into(), "1.0.0".into()),
            (FindingKind::Unlicensed, "blank".into(), "1.0.0".into()),
            (FindingKind::Unlicensed, "weird".into(), "1.0.0".into()),
        ]
    );
    let hash = sha256_file(&crate_dir.join("LICENSE.txt")).unwrap();
    assert!(
        findings[2].message.contains("LICENSE.txt") && findings[2].message.contains(&hash),
        "the message says how to clarify: {}",
        findings[2].message
    );
}

fn clarification(path: &str, sha256: &str, version: Option<&str>) -> Clarification {
    Clarification {
        crate_name: "weird".to_owned(),
        version: version.map(|req| req.parse().unwrap()),
        expression: "MIT AND ISC".to_owned(),
        license_files: vec![ClarifiedFile {
            path: path.to_owned(),
            sha256: sha256.to_owned(),
        }],
        line: 7,
    }
}

#[test]
fn a_clarification_applies_only_while_the_file_hash_matches() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("weird-1.0.0");
    std::fs::create_dir_all(&crate_dir).unwrap();
    let license = crate_dir.join("LICENSE");
    std::fs::write(&license, "MIT and ISC, both apply.\n").unwrap();
    let mut weird = package("weird", "1.0.0", None);
    weird.manifest_path = crate_dir.join("Cargo.toml");
    weird.license_file = Some(license.clone());
    let graph = graph(vec![weird]);
    let hash = sha256_file(&license).unwrap();

    let mut policy = policy();
    policy.clarify = vec![clarification("LICENSE", &hash, Some("1"))];
    assert_eq!(check(&graph, &policy, None), vec![]);

    policy.allow = vec!["MIT".to_owned()];
    let findings = check(&graph, &policy, None);
    assert_eq!(
        keys(&findings),
        vec![(FindingKind::License, "weird".into(), "1.0.0".into())]
    );
    assert!(
        findings[0].message.contains("clarify]] entry at line 7"),
        "{}",
        findings[0].message
    );

    policy = self::policy();
    policy.clarify = vec![clarification("LICENSE", &"0".repeat(64), None)];
    let findings = check(&graph, &policy, None);
    assert_eq!(
        keys(&findings),
        vec![(FindingKind::Unlicensed, "weird".into(), "1.0.0".into())]
    );
    assert!(
        findings[0].message.contains("line 7 does not apply")
            && findings[0].message.contains(&hash),
        "{}",
        findings[0].message
    );

    policy.clarify = vec![clarification("LICENSE", &hash, Some("2"))];
    assert_eq!(
        keys(&check(&graph, &policy, None))[0].0,
        FindingKind::Unlicensed
    );
    policy.clarify = vec![clarification("MISSING", &hash, None)];
    let findings = check(&graph, &policy, None);
    assert!(
        findings[0].message.contains("MISSING cannot be read"),
        "{}",
        findings[0].message
    );
}

#[test]
fn unpublished_members_are_exempt_unless_included() {
    let mut member = package("app", "0.1.0", None);
    member.source = None;
    member.source_kind = SourceKind::Local;
    member.is_member = true;
    member.publishable = false;
    let mut published = member.clone();
    published.name = "lib".to_owned();
    published.id = "lib 0.1.0".to_owned();
    published.publishable = true;
    let graph = graph(vec![member, published]);
    let mut policy = policy();
    assert_eq!(
        keys(&check(&graph, &policy, None)),
        vec![(FindingKind::Unlicensed, "lib".into(), "0.1.0".into())]
    );
    policy.include_unpublished = true;
    assert_eq!(check(&graph, &policy, None).len(), 2);
}

fn baseline_of(packages: Vec<Package>) -> Baseline {
    Baseline::from_graph(&graph(packages), None)
}

#[test]
fn a_license_that_differs_from_the_baseline_is_a_license_change() {
    let baseline = baseline_of(vec![
        package("a", "1.0.0", Some("MIT")),
        package("b", "1.0.0", Some("MIT/Apache-2.0")),
        package("c", "1.0.0", Some("MIT")),
    ]);
    let now = graph(vec![
        package("a", "1.1.0", Some("BUSL-1.1")),
        package("b", "2.0.0", Some("Apache-2.0 OR MIT")),
        package("c", "1.0.0", None),
        package("new", "1.0.0", Some("MIT")),
    ]);
    let mut policy = policy();
    policy.allow.push("BUSL-1.1".to_owned());
    let findings = check(&now, &policy, Some(&baseline));
    assert_eq!(
        keys(&findings),
        vec![
            (FindingKind::LicenseChange, "a".into(), "1.1.0".into()),
            (FindingKind::Unlicensed, "c".into(), "1.0.0".into()),
            (FindingKind::LicenseChange, "c".into(), "1.0.0".into()),
        ]
    );
    assert_eq!(
        findings[0].message,
        "license changed from \"MIT\" (accepted for 1.0.0) to \"BUSL-1.1\"; once reviewed, accept it with `cargo trustcheck baseline --accept a`"
    );
    assert!(
        findings[2]
            .message
            .starts_with("license changed from \"MIT\" (accepted for 1.0.0) to no license")
    );
    assert!(
        check(&now, &policy, None)
            .iter()
            .all(|f| f.kind != FindingKind::LicenseChange)
    );
}

#[test]
fn a_license_change_is_judged_against_the_nearest_older_recorded_version() {
    let baseline = baseline_of(vec![
        package("a", "1.0.0", Some("MIT")),
        package("a", "2.0.0", Some("BUSL-1.1")),
    ]);
    let check_version = |version: &str, license: &str| {
        check(
            &graph(vec![package("a", version, Some(license))]),
            &policy(),
            Some(&baseline),
        )
        .into_iter()
        .filter(|finding| finding.kind == FindingKind::LicenseChange)
        .map(|finding| finding.message)
        .collect::<Vec<_>>()
    };
    assert!(check_version("1.5.0", "MIT").is_empty());
    assert!(check_version("2.1.0", "BUSL-1.1").is_empty());
    assert!(check_version("1.5.0", "BUSL-1.1")[0].contains("(accepted for 1.0.0)"));
    assert!(check_version("0.5.0", "ISC")[0].contains("\"MIT\" (accepted for 1.0.0)"));
    assert!(check_version("2.0.0", "MIT")[0].contains("\"BUSL-1.1\" (accepted for 2.0.0)"));
}

#[test]
fn usage_lists_allow_entries_with_their_crates() {
    let graph = graph(vec![
        package("a", "1.0.0", Some("MIT OR Apache-2.0")),
        package("b", "1.0.0", Some("MIT")),
        package("c", "1.0.0", Some("GPL-2.0+")),
        package("c2", "1.0.0", Some("GPL-2.0+ OR MIT")),
        package("d", "1.0.0", None),
        package("e", "1.0.0", Some("Bogus")),
    ]);
    let usage = usage(&graph, &policy());
    let by_license: Vec<(String, Vec<String>)> = usage
        .by_license
        .iter()
        .map(|(license, crates)| (license.clone(), crates.iter().cloned().collect()))
        .collect();
    assert_eq!(
        by_license,
        vec![
            ("Apache-2.0".to_owned(), vec!["a".to_owned()]),
            (
                "GPL-2.0-or-later".to_owned(),
                vec!["c".to_owned(), "c2".to_owned()]
            ),
            (
                "MIT".to_owned(),
                vec!["a".to_owned(), "b".to_owned(), "c2".to_owned()]
            ),
        ]
    );
    assert_eq!(usage.unlicensed.iter().collect::<Vec<_>>(), vec!["d"]);
    assert_eq!(usage.not_allowed.iter().collect::<Vec<_>>(), vec!["c"]);
    assert_eq!(usage.invalid.iter().collect::<Vec<_>>(), vec!["e"]);
}

#[test]
fn sha256_matches_a_known_vector() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(dir.path()).join("abc");
    std::fs::write(&path, "abc").unwrap();
    assert_eq!(
        sha256_file(&path).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

/// A crate `weird` at `<dir>/weird-1.0.0` with a LICENSE file, and a secret file beside it.
fn weird_crate(dir: &Path) -> (Package, PathBuf) {
    let crate_dir = dir.join("weird-1.0.0");
    std::fs::create_dir_all(&crate_dir).unwrap();
    std::fs::write(crate_dir.join("LICENSE"), "MIT and ISC, both apply.\n").unwrap();
    let secret = dir.join("secret");
    std::fs::write(&secret, "root:$6$hash:19000:0:99999:7:::\n").unwrap();
    let mut weird = package("weird", "1.0.0", None);
    weird.manifest_path = crate_dir.join("Cargo.toml");
    (weird, secret)
}

#[test]
fn clarified_license_files_outside_the_crate_are_never_read_nor_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let (weird, secret) = weird_crate(dir.path());
    let secret_hash = sha256_file(&secret).unwrap();
    let absolute = secret.to_str().unwrap().to_owned();
    let graph = graph(vec![weird]);
    for (path, why) in [
        ("../secret", "a path with `..`"),
        ("sub/../../secret", "a path with `..`"),
        (absolute.as_str(), "an absolute path"),
    ] {
        let mut policy = policy();
        // The right hash: a clarification that escaped would apply.
        policy.clarify = vec![clarification(path, &secret_hash, None)];
        let findings = check(&graph, &policy, None);
        assert_eq!(
            keys(&findings),
            vec![(FindingKind::Unlicensed, "weird".into(), "1.0.0".into())],
            "{path}"
        );
        assert!(findings[0].message.contains(why), "{}", findings[0].message);
        // A wrong hash must not reveal the real one.
        policy.clarify = vec![clarification(path, &"0".repeat(64), None)];
        let findings = check(&graph, &policy, None);
        assert!(
            !findings[0].message.contains(&secret_hash),
            "a hash oracle: {}",
            findings[0].message
        );
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_crate_or_to_a_device_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (weird, secret) = weird_crate(dir.path());
    let crate_dir = weird.manifest_path.parent().unwrap().to_path_buf();
    std::os::unix::fs::symlink(&secret, crate_dir.join("LICENSE-LINK")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", crate_dir.join("LICENSE-ZERO")).unwrap();
    crate::support::files::make_fifo(&crate_dir.join("LICENSE-FIFO"));
    let secret_hash = sha256_file(&secret).unwrap();
    let graph = graph(vec![weird]);
    let mut policy = policy();
    policy.clarify = vec![clarification("LICENSE-LINK", &secret_hash, None)];
    let findings = check(&graph, &policy, None);
    assert!(
        findings[0]
            .message
            .contains("outside the crate's directory"),
        "{}",
        findings[0].message
    );
    policy.clarify = vec![clarification("LICENSE-LINK", &"0".repeat(64), None)];
    let findings = check(&graph, &policy, None);
    assert!(!findings[0].message.contains(&secret_hash));

    // /dev/zero: still inside the crate by its own path, but not followed outside; and a
    // FIFO inside the crate is not a regular file (opening it would block).
    for (name, why) in [
        ("LICENSE-ZERO", "outside the crate's directory"),
        ("LICENSE-FIFO", "not a regular file"),
    ] {
        policy.clarify = vec![clarification(name, &"0".repeat(64), None)];
        let started = std::time::Instant::now();
        let findings = check(&graph, &policy, None);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(findings[0].message.contains(why), "{}", findings[0].message);
    }
}

#[test]
fn an_oversized_license_file_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (weird, _) = weird_crate(dir.path());
    let crate_dir = weird.manifest_path.parent().unwrap().to_path_buf();
    std::fs::write(
        crate_dir.join("HUGE"),
        vec![b'x'; MAX_LICENSE_FILE as usize + 1],
    )
    .unwrap();
    let graph = graph(vec![weird]);
    let mut policy = policy();
    policy.clarify = vec![clarification("HUGE", &"0".repeat(64), None)];
    let findings = check(&graph, &policy, None);
    assert!(
        findings[0].message.contains("larger than 1048576 bytes"),
        "{}",
        findings[0].message
    );
}

#[test]
fn paths_that_leave_a_crate_are_recognised_before_any_disk_access() {
    for inside in [
        "LICENSE",
        "licenses/MIT.txt",
        "./LICENSE",
        "a..b",
        "LICENSE:MIT",
    ] {
        assert_eq!(escapes_crate_dir(inside), None, "{inside}");
    }
    for (outside, what) in [
        ("/etc/passwd", "an absolute path"),
        ("\\etc\\passwd", "an absolute path"),
        ("C:/Windows/win.ini", "an absolute path"),
        ("../../../../etc/passwd", "a path with `..`"),
        ("licenses/../../x", "a path with `..`"),
        ("..\\x", "a path with `..`"),
        ("..", "a path with `..`"),
    ] {
        assert_eq!(escapes_crate_dir(outside), Some(what), "{outside}");
    }
}
