//! Unit tests of `diff`.

use super::*;
use crate::policy::Exemption;

fn exemption(
    advisory: Option<&str>,
    crate_name: Option<&str>,
    version: Option<&str>,
    expires: &str,
) -> Exemption {
    Exemption {
        advisory: advisory.map(str::to_owned),
        crate_name: crate_name.map(str::to_owned),
        version: version.map(|req| req.parse().unwrap()),
        kind: None,
        reason: "r".to_owned(),
        expires: expires.parse().unwrap(),
        line: 1,
    }
}

#[test]
fn exemptions_are_added_removed_and_changed_with_broadening_flagged() {
    let base = vec![
        exemption(
            Some("RUSTSEC-2020-0071"),
            Some("time"),
            Some("<0.2"),
            "2027-01-01",
        ),
        exemption(Some("RUSTSEC-2021-0001"), None, None, "2027-01-01"),
        exemption(None, Some("same"), None, "2027-01-01"),
    ];
    let head = vec![
        exemption(None, Some("same"), None, "2027-01-01"),
        exemption(Some("rustsec-2020-0071"), Some("time"), None, "2027-06-01"),
        exemption(Some("RUSTSEC-2022-0002"), None, None, "2027-01-01"),
    ];
    let diff = diff_exemptions(&base, &head);
    assert_eq!(diff.added.len(), 1);
    assert_eq!(diff.added[0].advisory.as_deref(), Some("RUSTSEC-2022-0002"));
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(
        diff.removed[0].advisory.as_deref(),
        Some("RUSTSEC-2021-0001")
    );
    assert_eq!(diff.changed.len(), 1);
    assert!(diff.changed[0].broader);
    assert_eq!(
        diff.changed[0].broader_because,
        vec![
            "no longer limited to a version range".to_owned(),
            "expires later (2027-06-01 instead of 2027-01-01)".to_owned()
        ]
    );
}

#[test]
fn an_exemption_that_lost_its_crate_or_kind_is_one_broader_change() {
    let mut rsa = exemption(Some("RUSTSEC-2023-0071"), Some("rsa"), None, "2027-01-01");
    rsa.kind = Some(FindingKind::Vulnerability);
    let mut unlicensed = exemption(None, Some("ring"), None, "2027-01-01");
    unlicensed.kind = Some(FindingKind::Unlicensed);
    let base = vec![rsa.clone(), unlicensed.clone()];
    // The head drops `crate = "rsa"` from one and `kind = "unlicensed"` from the other.
    let mut no_crate = rsa;
    no_crate.crate_name = None;
    let mut no_kind = unlicensed;
    no_kind.kind = None;
    let diff = diff_exemptions(&base, &[no_crate, no_kind]);
    assert!(diff.added.is_empty() && diff.removed.is_empty(), "{diff:?}");
    assert_eq!(diff.changed.len(), 2);
    assert!(diff.changed.iter().all(|change| change.broader));
    let reasons: Vec<&str> = diff
        .changed
        .iter()
        .flat_map(|change| change.broader_because.iter().map(String::as_str))
        .collect();
    assert!(
        reasons.contains(&"no longer limited to one crate"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"no longer limited to one kind of finding"),
        "{reasons:?}"
    );
}

#[test]
fn exemptions_of_different_things_are_not_paired() {
    let base = vec![exemption(None, Some("time"), None, "2027-01-01")];
    let head = vec![exemption(None, Some("chrono"), None, "2027-01-01")];
    let diff = diff_exemptions(&base, &head);
    assert_eq!((diff.added.len(), diff.removed.len()), (1, 1));
    assert!(diff.changed.is_empty());
}

#[test]
fn dependencies_are_added_removed_upgraded_and_downgraded() {
    let lock = |packages: &[(&str, &str, Option<&str>)]| {
        let mut text = String::from("version = 4\n");
        for (name, version, source) in packages {
            text.push_str(&format!(
                "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
            ));
            if let Some(source) = source {
                text.push_str(&format!("source = \"{source}\"\n"));
            }
        }
        Lockfile::parse(&text).unwrap()
    };
    let io = Some("registry+https://github.com/rust-lang/crates.io-index");
    let git = Some("git+https://example.com/x#abc");
    let base = lock(&[
        ("app", "0.1.0", None),
        ("a", "1.0.0", io),
        ("b", "2.0.0", io),
        ("gone", "1.0.0", io),
    ]);
    let head = lock(&[
        ("app", "0.1.0", None),
        ("a", "1.1.0", io),
        ("b", "1.9.0", io),
        ("new", "1.0.0", io),
        ("fork", "1.0.0", git),
    ]);
    let diff = diff_dependencies(&base, &head);
    let changed: Vec<(&str, &str, &str, &str)> = diff
        .changed
        .iter()
        .map(|change| {
            (
                change.crate_name.as_str(),
                change.before.as_str(),
                change.after.as_str(),
                change.direction,
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            ("a", "1.0.0", "1.1.0", "upgrade"),
            ("b", "2.0.0", "1.9.0", "downgrade")
        ]
    );
    let added: Vec<(&str, bool)> = diff
        .added
        .iter()
        .map(|entry| (entry.crate_name.as_str(), entry.new_source))
        .collect();
    assert_eq!(added, vec![("fork", true), ("new", false)]);
    assert_eq!(diff.removed.len(), 1);
    assert_eq!(diff.removed[0].crate_name, "gone");
}
