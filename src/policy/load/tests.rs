//! Unit tests of `load`.

use super::*;

fn today() -> Date {
    "2026-11-24".parse().unwrap()
}

fn parse(text: &str) -> Result<Policy, PolicyError> {
    parse_policy(text, Path::new("trustcheck.toml"), today())
}

#[test]
fn an_empty_file_is_the_defaults() {
    let policy = parse("").unwrap();
    assert_eq!(
        Policy {
            path: None,
            ..policy
        },
        Policy::default()
    );
}

#[test]
fn reads_levels_and_exemptions() {
    let policy = parse(
        "unchecked = \"deny\"\n[advisories]\nunmaintained = \"allow\"\n\n[[exemption]]\nadvisory = \"CVE-2020-26235\"\ncrate = \"time\"\nversion = \"<0.2\"\nkind = \"vulnerability\"\nreason = \"not reachable\"\nexpires = 2027-03-31\n",
    )
    .unwrap();
    assert_eq!(policy.unchecked, Level::Deny);
    assert_eq!(policy.advisories.unmaintained, Level::Allow);
    let exemption = &policy.exemptions[0];
    assert_eq!(exemption.line, 5);
    assert_eq!(exemption.expires.to_string(), "2027-03-31");
    assert_eq!(exemption.kind, Some(FindingKind::Vulnerability));
}

#[test]
fn errors_point_at_the_value() {
    let error = parse("[licenses]\nallow = [\"MIT\", \"NotALicense\"]\n").unwrap_err();
    assert_eq!((error.line, error.column), (2, 17));
    assert_eq!(error.key.as_deref(), Some("licenses.allow"));

    let error = parse("[[exemption]]\ncrate = \"a\"\nreason = \"r\"\nexpires = \"2027-02-30\"\n")
        .unwrap_err();
    assert_eq!((error.line, error.column), (4, 11));
    assert!(error.message.contains("no such day"), "{}", error.message);
}

#[test]
fn max_exemption_days_bounds_expiry() {
    let error = parse("max-exemption-days = 30\n[[exemption]]\ncrate = \"a\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n").unwrap_err();
    assert!(
        error.message.contains("latest allowed is 2026-12-24"),
        "{}",
        error.message
    );
    assert!(parse("max-exemption-days = 90\n[[exemption]]\ncrate = \"a\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n").is_ok());
}

#[test]
fn eighty_thousand_exemptions_load_in_linear_time() {
    let mut text = String::from("[advisories]\nunmaintained = \"warn\"\n");
    for i in 0..80_000 {
        text.push_str(&format!(
            "\n[[exemption]]\ncrate = \"crate-{i}\"\nkind = \"unmaintained\"\nreason = \"accepted\"\nexpires = \"2027-01-01\"\n"
        ));
    }
    let started = std::time::Instant::now();
    let policy = parse(&text).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(policy.exemptions.len(), 80_000);
    assert_eq!(policy.exemptions[79_999].line, 3 + 79_999 * 6 + 1);
    // Quadratic, this took a minute in a debug build; linear, about a second.
    assert!(elapsed < std::time::Duration::from_secs(8), "{elapsed:?}");
}

#[test]
fn clarified_license_files_must_stay_inside_the_crate() {
    let hash = "a".repeat(64);
    for (path, what) in [
        ("../../../../etc/passwd", "a path with `..`"),
        ("/etc/shadow", "an absolute path"),
        ("docs/../../x", "a path with `..`"),
    ] {
        let text = format!(
            "[[licenses.clarify]]\ncrate = \"weird\"\nexpression = \"MIT\"\nlicense-files = [\n    {{ path = \"{path}\", sha256 = \"{hash}\" }},\n]\n"
        );
        let error = parse(&text).unwrap_err();
        assert_eq!((error.line, error.column), (5, 14), "{error}");
        assert_eq!(
            error.key.as_deref(),
            Some("licenses.clarify.license-files.path")
        );
        assert!(error.message.contains(what), "{}", error.message);
        assert!(
            error.to_string().contains("trustcheck.toml:5:14: "),
            "{error}"
        );
    }
    let ok = format!(
        "[[licenses.clarify]]\ncrate = \"weird\"\nexpression = \"MIT\"\nlicense-files = [{{ path = \"LICENSES/MIT.txt\", sha256 = \"{hash}\" }}]\n"
    );
    assert_eq!(
        parse(&ok).unwrap().licenses.clarify[0].license_files[0].path,
        "LICENSES/MIT.txt"
    );
}
