//! Unit tests of `file`.

use super::*;
use crate::load::baseline::CRATES_IO;

fn version(license: Option<&str>, published_by: Option<Publisher>) -> VersionRecord {
    VersionRecord {
        license: license.map(str::to_owned),
        build_code: None,
        code: None,
        published_by,
    }
}

/// A baseline using every feature of the format.
fn sample() -> Baseline {
    let mut baseline = Baseline::default();
    let dtolnay = Publisher::Account {
        id: 3618,
        login: "dtolnay".to_owned(),
    };
    baseline.crates.insert(
        ("anyhow".to_owned(), CRATES_IO.to_owned()),
        CrateRecord {
            owners: Some(vec![Owner {
                id: 3618,
                login: "dtolnay".to_owned(),
                kind: OwnerKind::User,
            }]),
            versions: BTreeMap::from([
                (
                    "1.0.86".parse().unwrap(),
                    VersionRecord {
                        build_code: Some(BuildCode {
                            build_script: true,
                            proc_macro: false,
                        }),
                        ..version(Some("MIT OR Apache-2.0"), Some(dtolnay))
                    },
                ),
                (
                    "1.0.89".parse().unwrap(),
                    VersionRecord {
                        build_code: Some(BuildCode::default()),
                        ..version(Some("MIT OR Apache-2.0"), None)
                    },
                ),
            ]),
        },
    );
    baseline.crates.insert(
        (
            "inhouse".to_owned(),
            "sparse+https://registry.example.com/index/".to_owned(),
        ),
        CrateRecord {
            owners: Some(vec![
                Owner {
                    id: 7,
                    login: "alice".to_owned(),
                    kind: OwnerKind::User,
                },
                Owner {
                    id: 12,
                    login: "github:acme:release \"team\"".to_owned(),
                    kind: OwnerKind::Team,
                },
            ]),
            versions: BTreeMap::from([
                ("0.9.0-beta.1".parse().unwrap(), version(None, None)),
                (
                    "0.10.0".parse().unwrap(),
                    version(
                        Some("LicenseRef-Acme\\1"),
                        Some(Publisher::TrustedPublishing {
                            repository: "github:acme/inhouse".to_owned(),
                        }),
                    ),
                ),
            ]),
        },
    );
    baseline.crates.insert(
        ("zeta".to_owned(), CRATES_IO.to_owned()),
        CrateRecord {
            owners: Some(Vec::new()),
            versions: BTreeMap::from([(
                "2.0.0".parse().unwrap(),
                version(Some("MIT/Apache-2.0\n\u{7f}é"), None),
            )]),
        },
    );
    baseline
}

#[test]
fn parsing_a_rendered_baseline_gives_it_back() {
    let baseline = sample();
    let text = render(&baseline);
    assert_eq!(parse(&text, Path::new("trustcheck.lock")), Ok(baseline));
    assert_eq!(
        render(&Baseline::default()),
        format!("{HEADER}format-version = 1\n")
    );
    assert_eq!(
        parse(&render(&Baseline::default()), Path::new("x")),
        Ok(Baseline::default())
    );
}

#[test]
fn rendering_is_sorted_whatever_the_order_of_owners() {
    let mut baseline = sample();
    let text = render(&baseline);
    for record in baseline.crates.values_mut() {
        if let Some(owners) = &mut record.owners {
            owners.reverse();
        }
    }
    assert_eq!(render(&baseline), text);
}

#[test]
fn the_format_is_stable() {
    insta::assert_snapshot!(render(&sample()));
}

fn error_of(text: &str) -> BaselineError {
    parse(text, Path::new("trustcheck.lock")).expect_err("invalid baseline")
}

#[test]
fn errors_name_line_column_and_key() {
    let header = "format-version = 1\n\n[[crate]]\nname = \"a\"\nsource = \"crates-io\"\n";
    let error = error_of(&format!("{header}versions = [{{ version = \"1.x\" }}]\n"));
    assert_eq!((error.line, error.column), (6, 25));
    assert_eq!(error.key.as_deref(), Some("crate.versions.version"));

    let error = error_of(&format!("{header}versions = []\nlicense = \"MIT\"\n"));
    assert_eq!(error.line, 7);
    assert!(error.message.contains("unknown key"), "{}", error.message);

    let error = error_of(&format!(
        "{header}versions = [\n    {{ version = \"1.0.0\" }},\n    {{ version = \"1.0.0\" }},\n]\n"
    ));
    assert_eq!((error.line, error.column), (8, 17));
    assert!(error.message.contains("listed twice"), "{}", error.message);

    let error = error_of(&format!(
        "{header}versions = [{{ version = \"1.0.0\", build = [\"script\", \"linker\"] }}]\n"
    ));
    assert_eq!(error.key.as_deref(), Some("crate.versions.build"));
    assert!(error.message.contains("\"linker\""), "{}", error.message);

    let error = error_of(&format!(
        "{header}owners = [{{ id = 1, login = \"x\", kind = \"org\" }}]\nversions = []\n"
    ));
    assert_eq!(error.key.as_deref(), Some("crate.owners.kind"));

    let error = error_of(&format!(
        "{header}versions = [{{ version = \"1.0.0\", published-by = {{ login = \"x\" }} }}]\n"
    ));
    assert_eq!(error.key.as_deref(), Some("crate.versions.published-by"));

    let error = error_of(&format!(
        "{header}versions = []\n{}versions = []\n",
        &header[20..]
    ));
    assert!(error.message.contains("duplicate"), "{}", error.message);
    assert_eq!(error.line, 7, "{error}");

    let error = error_of("format-version = 2\n");
    assert_eq!((error.line, error.column), (1, 18));
    assert!(error.message.contains("unsupported format version 2"));

    let error = error_of(&format!("{}versions = []\n", &header[20..]));
    assert!(
        error.message.contains("missing `format-version = 1`"),
        "{}",
        error.message
    );

    let error = error_of("format-version = 1\n[[crate]]\nname = \"a\"\nsource = \"crates-io\"\n");
    assert!(error.message.contains("versions"), "{}", error.message);
    assert_eq!(error.line, 2);
}

#[test]
fn mutated_baselines_never_panic_the_parser() {
    let text: Vec<char> = render(&sample()).chars().collect();
    let tokens = [
        "[",
        "]",
        "{",
        "}",
        ",",
        "=",
        "\"",
        "\n",
        "[[crate]]",
        "version",
        "-1",
        "1e400",
        "owners",
        "published-by",
        "\u{0}",
        "é",
        "format-version = 2",
        "0.1.0-",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let mut outcomes = [0usize; 2];
    for _ in 0..2000 {
        let mut mutated = text.clone();
        for _ in 0..1 + next(4) {
            let at = next(mutated.len());
            if next(2) == 0 && !mutated.is_empty() {
                let end = (at + next(12)).min(mutated.len());
                mutated.drain(at..end);
            } else {
                let token = tokens[next(tokens.len())];
                mutated.splice(at..at, token.chars()).for_each(drop);
            }
        }
        let mutated: String = mutated.into_iter().collect();
        match std::panic::catch_unwind(|| parse(&mutated, Path::new("fuzz.lock"))) {
            Ok(Ok(_)) => outcomes[0] += 1,
            Ok(Err(error)) => {
                assert!(
                    error.to_string().starts_with("invalid baseline: fuzz.lock"),
                    "{error}"
                );
                outcomes[1] += 1;
            }
            Err(_) => panic!("the parser panicked on:\n{mutated}"),
        }
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

/// A baseline with two sides of a conflict, as git writes it (`diff3` adds the base).
fn conflicted(diff3: bool) -> String {
    let base = if diff3 {
        "||||||| base\n    { version = \"1.0.0\", license = \"MIT\" },\n"
    } else {
        ""
    };
    format!(
        "{HEADER}format-version = 1\n\n[[crate]]\nname = \"a\"\nsource = \"crates-io\"\nversions = [\n<<<<<<< HEAD\n    {{ version = \"1.0.1\", license = \"MIT\" }},\n{base}=======\n    {{ version = \"1.0.2\", license = \"MIT\" }},\n>>>>>>> feature\n]\n"
    )
}

#[test]
fn a_baseline_with_merge_conflict_markers_is_refused_at_the_first_marker() {
    for diff3 in [false, true] {
        let error = error_of(&conflicted(diff3));
        let marker = HEADER.lines().count() + 7;
        assert_eq!((error.line, error.column), (marker, 1), "{error}");
        assert!(
            error.message.contains("unresolved merge conflict")
                && error.message.contains("`cargo trustcheck baseline`"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("comma"), "{}", error.message);
    }
    // Marker-like text inside a value is not a marker.
    let mut baseline = sample();
    baseline.crates.insert(
        ("z".to_owned(), CRATES_IO.to_owned()),
        CrateRecord {
            owners: Some(vec![Owner {
                id: 1,
                login: "=======".to_owned(),
                kind: OwnerKind::User,
            }]),
            versions: BTreeMap::new(),
        },
    );
    assert_eq!(parse(&render(&baseline), Path::new("x")), Ok(baseline));
}

#[test]
fn conflict_sides_recovers_ours_and_theirs() {
    for diff3 in [false, true] {
        let (ours, theirs) = conflict_sides(&conflicted(diff3)).unwrap();
        let ours = parse(&ours, Path::new("ours")).unwrap();
        let theirs = parse(&theirs, Path::new("theirs")).unwrap();
        let versions = |baseline: &Baseline| -> Vec<String> {
            baseline.crates[&("a".to_owned(), CRATES_IO.to_owned())]
                .versions
                .keys()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(versions(&ours), vec!["1.0.1"]);
        assert_eq!(versions(&theirs), vec!["1.0.2"]);
    }
    assert_eq!(conflict_sides(&render(&sample())), None, "no conflict");
    assert_eq!(
        conflict_sides("a\n<<<<<<< HEAD\nb\n=======\nc\n"),
        None,
        "unterminated"
    );
    assert_eq!(conflict_sides("a\n=======\nb\n"), None, "no opening marker");
    assert_eq!(
        conflict_sides("x\r\n<<<<<<< ours\r\na\r\n=======\r\nb\r\n>>>>>>> theirs\r\ny\r\n"),
        Some(("x\r\na\r\ny\r\n".to_owned(), "x\r\nb\r\ny\r\n".to_owned()))
    );
}

#[test]
fn bidi_and_invisible_characters_from_registries_are_written_escaped() {
    let mut baseline = Baseline::default();
    let hidden = [
        '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200F}', '\u{FEFF}',
        '\u{1B}', '\u{7}',
    ];
    let login: String = hidden.iter().flat_map(|c| ['x', *c]).collect();
    baseline.crates.insert(
        ("a".to_owned(), CRATES_IO.to_owned()),
        CrateRecord {
            owners: Some(vec![Owner {
                id: 1,
                login: login.clone(),
                kind: OwnerKind::User,
            }]),
            versions: BTreeMap::from([(
                "1.0.0".parse().unwrap(),
                version(
                    Some("MIT\u{202E}"),
                    Some(Publisher::Account {
                        id: 1,
                        login: login.clone(),
                    }),
                ),
            )]),
        },
    );
    let text = render(&baseline);
    for c in hidden {
        assert!(!text.contains(c), "{c:?} written raw");
    }
    assert!(
        text.contains("x\\u202Ex\\u202Ax\\u2066x\\u2069x\\u200Bx\\u200Fx\\uFEFFx\\u001Bx\\u0007"),
        "{text}"
    );
    assert_eq!(parse(&text, Path::new("trustcheck.lock")), Ok(baseline));
}
