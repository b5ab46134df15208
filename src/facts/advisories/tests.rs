//! Unit tests of `facts::advisories`.

use super::*;

/// A real advisory's front matter.
const TIME: &str = r#"[advisory]
id = "RUSTSEC-2020-0071"
package = "time"
date = "2020-11-18"
aliases = ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"]
[versions]
patched = [">= 0.2.23"]
unaffected = ["= 0.2.0", "= 0.2.1", "= 0.2.2", "= 0.2.3", "= 0.2.4", "= 0.2.5", "= 0.2.6"]"#;

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
