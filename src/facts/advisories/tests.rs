//! Unit tests of `advisories`.

use super::*;

fn advisory(front_matter: &str) -> Advisory {
    format!("```toml\n{front_matter}\n```\n\n# Title of it\n\nDescription.\n")
        .parse()
        .unwrap()
}

fn package(name: &str, version: &str, source: Option<&str>) -> Package {
    Package {
        is_member: false,
        ..Package::new(name, version.parse().unwrap(), source)
    }
}

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const SPARSE: &str = "sparse+https://index.crates.io/";

const TIME: &str = r#"[advisory]
id = "RUSTSEC-2020-0071"
package = "time"
date = "2020-11-18"
aliases = ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"]
[versions]
patched = [">= 0.2.23"]
unaffected = ["= 0.2.0", "= 0.2.1", "= 0.2.2", "= 0.2.3", "= 0.2.4", "= 0.2.5", "= 0.2.6"]"#;

#[test]
fn matches_patched_and_unaffected_ranges() {
    let time = advisory(TIME);
    let any = TargetFilter::new(&[]);
    assert!(affects(
        &time,
        &package("time", "0.1.45", Some(CRATES_IO)),
        &any
    ));
    assert!(affects(
        &time,
        &package("time", "0.2.22", Some(CRATES_IO)),
        &any
    ));
    assert!(!affects(
        &time,
        &package("time", "0.2.23", Some(CRATES_IO)),
        &any
    ));
    assert!(!affects(
        &time,
        &package("time", "0.3.36", Some(CRATES_IO)),
        &any
    ));
    assert!(
        !affects(&time, &package("time", "0.2.3", Some(CRATES_IO)), &any),
        "unaffected"
    );
}

#[test]
fn matches_sparse_sources_but_not_other_sources() {
    let time = advisory(TIME);
    let any = TargetFilter::new(&[]);
    assert!(affects(
        &time,
        &package("time", "0.1.45", Some(SPARSE)),
        &any
    ));
    assert!(
        !affects(&time, &package("time", "0.1.45", None), &any),
        "a path crate of the same name"
    );
    assert!(!affects(
        &time,
        &package("time", "0.1.45", Some("git+https://github.com/x/time#abc")),
        &any
    ));
    assert!(!affects(
        &time,
        &package(
            "time",
            "0.1.45",
            Some("sparse+https://other.registry/index/")
        ),
        &any
    ));
}

#[test]
fn skips_withdrawn_advisories() {
    let withdrawn = advisory(&format!(
        "{}\n",
        TIME.replace("aliases", "withdrawn = \"2021-01-01\"\naliases")
    ));
    assert!(!affects(
        &withdrawn,
        &package("time", "0.1.45", Some(CRATES_IO)),
        &TargetFilter::new(&[])
    ));
}

#[test]
fn honours_os_and_arch_only_when_targets_are_given() {
    let windows_only = advisory(
        r#"[advisory]
id = "RUSTSEC-2099-0001"
package = "winthing"
date = "2099-01-01"
[affected]
os = ["windows"]
[versions]
patched = []"#,
    );
    let package = package("winthing", "1.0.0", Some(CRATES_IO));
    assert!(affects(&windows_only, &package, &TargetFilter::new(&[])));
    assert!(affects(
        &windows_only,
        &package,
        &TargetFilter::new(&["x86_64-pc-windows-msvc".to_owned()])
    ));
    assert!(!affects(
        &windows_only,
        &package,
        &TargetFilter::new(&["x86_64-unknown-linux-gnu".to_owned()])
    ));
    assert!(affects(
        &windows_only,
        &package,
        &TargetFilter::new(&[
            "x86_64-unknown-linux-gnu".to_owned(),
            "aarch64-pc-windows-msvc".to_owned()
        ])
    ));
}

#[test]
fn kinds_follow_informational() {
    let base = "[advisory]\nid = \"RUSTSEC-2099-0002\"\npackage = \"x\"\ndate = \"2099-01-01\"\n";
    let with =
        |informational: &str| advisory(&format!("{base}{informational}[versions]\npatched = []"));
    assert_eq!(kind_of(&with("")), FindingKind::Vulnerability);
    assert_eq!(
        kind_of(&with("informational = \"unmaintained\"\n")),
        FindingKind::Unmaintained
    );
    assert_eq!(
        kind_of(&with("informational = \"unsound\"\n")),
        FindingKind::Unsound
    );
    assert_eq!(
        kind_of(&with("informational = \"notice\"\n")),
        FindingKind::Notice
    );
}

/// Writes RUSTSEC-2020-0071 (`time`) into a database at `root`; returns the crate's directory.
fn write_time_advisory(root: &Path) -> PathBuf {
    let crate_dir = root.join("crates/time");
    std::fs::create_dir_all(&crate_dir).unwrap();
    std::fs::write(
        crate_dir.join("RUSTSEC-2020-0071.md"),
        format!("```toml\n{TIME}\n```\n\n# Potential segfault\n\nText.\n"),
    )
    .unwrap();
    crate_dir
}

#[test]
fn finds_advisories_by_alias() {
    let dir = tempfile::tempdir().unwrap();
    write_time_advisory(dir.path());
    let mut database = AdvisoryDatabase::open(dir.path()).unwrap();
    database.load_crates(["time", "not-in-db"]).unwrap();
    assert_eq!(
        database
            .find("cve-2020-26235")
            .map(|a| a.metadata.id.as_str()),
        Some("RUSTSEC-2020-0071")
    );
    assert_eq!(database.advisories_for("time").len(), 1);
    assert_eq!(database.last_updated(), "2020-11-18".parse().ok());
}

#[test]
fn an_advisory_database_without_advisories_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("crates")).unwrap();
    let error = AdvisoryDatabase::open(dir.path()).unwrap_err();
    assert!(matches!(error, AdvisoryError::Empty { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "the advisory database at {} holds no advisories (its crates/ directory has no RUSTSEC-*.md file); a check against it would find nothing",
            dir.path().display()
        )
    );
    // Crate directories with no advisory in them (the template does not count) are empty too.
    std::fs::create_dir_all(dir.path().join("crates/time")).unwrap();
    std::fs::write(dir.path().join("crates/time/README.md"), "x").unwrap();
    std::fs::write(dir.path().join("crates/time/RUSTSEC-0000-0000.md"), "x").unwrap();
    assert!(matches!(
        AdvisoryDatabase::open(dir.path()),
        Err(AdvisoryError::Empty { .. })
    ));
    write_time_advisory(dir.path());
    assert!(AdvisoryDatabase::open(dir.path()).is_ok());
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_advisory_database_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = write_time_advisory(dir.path());
    crate::support::files::make_fifo(&crate_dir.join("RUSTSEC-2099-0001.md"));
    let root = dir.path().to_path_buf();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut database = AdvisoryDatabase::open(&root).unwrap();
        let date = database.last_updated();
        let loaded = database.load_crates(["time"]).map_err(|e| e.to_string());
        let _ = send.send((date, loaded));
    });
    let (date, loaded) = receive
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("reading the database returns");
    assert_eq!(date, "2020-11-18".parse().ok());
    let error = loaded.unwrap_err();
    assert!(
        error.contains("RUSTSEC-2099-0001.md") && error.contains("not a regular file"),
        "{error}"
    );
}
