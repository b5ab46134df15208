//! `diff BASE [HEAD]` end to end, in a temporary git repository: commit A holds a policy, a
//! baseline and a lock file; commit B adds one exemption, removes one, extends another's
//! expiry, bumps one dependency and accepts its license change in the baseline.

mod common;

use common::*;

fn git(fixture: &Fixture, args: &[&str]) -> String {
    fixture.git(args)
}

const POLICY_A: &str = r#"[advisories]
yanked = "allow"

[[exemption]]
advisory = "RUSTSEC-2020-0071"
reason = "Only used by the build script."
expires = "2099-01-01"

[[exemption]]
crate = "legacy"
kind = "unmaintained"
reason = "Replaced next quarter."
expires = "2098-01-01"

[[exemption]]
crate = "dep"
version = "<2"
kind = "license"
reason = "Legal reviewed it."
expires = "2098-06-01"
"#;

const POLICY_B: &str = r#"[advisories]
yanked = "allow"

[[exemption]]
advisory = "RUSTSEC-2020-0071"
reason = "Only used by the build script."
expires = "2099-01-01"

[[exemption]]
crate = "dep"
version = "<2"
kind = "license"
reason = "Legal reviewed it."
expires = "2099-12-31"

[[exemption]]
advisory = "RUSTSEC-2099-0042"
crate = "other"
reason = "Not reachable from our code."
expires = "2099-03-01"
"#;

struct Repo {
    fixture: Fixture,
    db: AdvisoryDb,
    cache: tempfile::TempDir,
    a: String,
    b: String,
}

fn repository() -> Repo {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\ntime = \"0.1\"\ndep = \"1.0\"\nother = \"1\"\n",
        )],
        vec![
            krate("time", "0.1.45"),
            krate("dep", "1.0.0"),
            krate("other", "1.0.0"),
        ],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2020-0071",
        "time",
        &[">= 0.2.23"],
        "",
        "Potential segfault in the time crate",
    );
    db.add(
        "RUSTSEC-2099-0042",
        "other",
        &[">= 1.0.1"],
        "",
        "other leaks <secrets> | badly",
    );
    let cache = tempfile::tempdir().unwrap();
    fixture.write_file("trustcheck.toml", POLICY_A);
    fixture.write_file(".gitignore", "/target\n");
    let baseline = |args: &[&str]| {
        let (code, _, stderr) = run(trustcheck(cache.path())
            .current_dir(fixture.root())
            .arg("baseline")
            .args(args)
            .arg("--offline"));
        assert_eq!(code, 0, "{stderr}");
    };
    baseline(&[]);
    git(&fixture, &["init", "--quiet", "--initial-branch=main"]);
    git(&fixture, &["add", "."]);
    git(&fixture, &["commit", "--quiet", "-m", "A"]);
    let a = git(&fixture, &["rev-parse", "HEAD"]);

    fixture.write_file("trustcheck.toml", POLICY_B);
    fixture.vendor(&krate("dep", "1.1.0").license("Apache-2.0"));
    fixture.set_member(
        "app",
        "[dependencies]\ntime = \"0.1\"\ndep = \"1.1\"\nother = \"1\"\n",
    );
    baseline(&["--accept", "dep"]);
    git(&fixture, &["add", "."]);
    git(&fixture, &["commit", "--quiet", "-m", "B"]);
    let b = git(&fixture, &["rev-parse", "HEAD"]);
    Repo {
        fixture,
        db,
        cache,
        a,
        b,
    }
}

fn diff(repo: &Repo, args: &[&str]) -> (i32, String, String) {
    run(trustcheck(repo.cache.path())
        .current_dir(repo.fixture.root())
        .arg("diff")
        .args(args)
        .arg("--advisory-db")
        .arg(repo.db.path()))
}

#[test]
fn diff_json_reports_exactly_the_changes_between_two_commits() {
    let repo = repository();
    let (code, stdout, stderr) = diff(&repo, &[&repo.a, &repo.b, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["format-version"], 1);

    let exemptions = &report["exemptions"];
    assert_eq!(
        exemptions["added"],
        serde_json::json!([{
            "advisory": "RUSTSEC-2099-0042", "crate": "other", "version": null, "kind": null,
            "reason": "Not reachable from our code.", "expires": "2099-03-01", "line": 16
        }])
    );
    assert_eq!(
        exemptions["removed"],
        serde_json::json!([{
            "advisory": null, "crate": "legacy", "version": null, "kind": "unmaintained",
            "reason": "Replaced next quarter.", "expires": "2098-01-01", "line": 9
        }])
    );
    let changed = exemptions["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["before"]["expires"], "2098-06-01");
    assert_eq!(changed[0]["after"]["expires"], "2099-12-31");
    assert_eq!(changed[0]["after"]["crate"], "dep");
    assert_eq!(changed[0]["broader"], true, "the contract's flag");
    assert_eq!(
        changed[0]["broader-because"],
        serde_json::json!(["expires later (2099-12-31 instead of 2098-06-01)"])
    );

    let dependencies = &report["dependencies"];
    assert_eq!(dependencies["added"], serde_json::json!([]));
    assert_eq!(dependencies["removed"], serde_json::json!([]));
    assert_eq!(
        dependencies["changed"],
        serde_json::json!([{
            "crate": "dep", "before": "1.0.0", "after": "1.1.0",
            "source": "registry+https://github.com/rust-lang/crates.io-index", "direction": "upgrade"
        }])
    );

    let baseline = &report["baseline"];
    let entry = |list: &str| -> Vec<(String, String, String)> {
        baseline[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                (
                    entry["crate"].as_str().unwrap().to_owned(),
                    entry["version"].as_str().unwrap_or("").to_owned(),
                    entry["license"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        entry("added"),
        vec![("dep".into(), "1.1.0".into(), "Apache-2.0".into())]
    );
    assert_eq!(
        entry("removed"),
        vec![("dep".into(), "1.0.0".into(), "MIT".into())]
    );
    assert_eq!(
        baseline["changed"],
        serde_json::json!([{
            "crate": "dep", "source": "crates-io", "version": "1.1.0", "field": "license",
            "before": "MIT", "after": "Apache-2.0"
        }]),
        "the license change the commit accepts"
    );

    let findings = &report["findings"];
    assert_eq!(findings["available"], true);
    assert_eq!(findings["introduced"], serde_json::json!([]));
    let resolved = findings["resolved"].as_array().unwrap();
    assert_eq!(
        resolved.len(),
        1,
        "the advisory of `other`, resolved by B's new exemption"
    );
    assert_eq!(resolved[0]["advisory"], "RUSTSEC-2099-0042");
    assert_eq!(resolved[0]["exempted"], true);
    assert_eq!(
        resolved[0]["exemption"]["reason"],
        "Not reachable from our code."
    );
}

#[test]
fn diff_markdown_matches_its_snapshot() {
    let repo = repository();
    let (code, stdout, stderr) = diff(&repo, &[&repo.a, &repo.b, "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    let stable = stdout
        .replace(&repo.a[..12], "<A>")
        .replace(&repo.b[..12], "<B>");
    assert!(
        !stable.contains(&repo.a[12..]),
        "labels use short commit ids"
    );
    insta::assert_snapshot!(stable);
}

#[test]
fn diff_against_the_working_tree_shows_findings_introduced_and_resolved() {
    let repo = repository();
    // Drop the exemption of the `other` advisory in the working tree: its finding is introduced.
    let policy = POLICY_B
        .split("[[exemption]]\nadvisory = \"RUSTSEC-2099-0042\"")
        .next()
        .unwrap()
        .to_owned();
    repo.fixture.write_file("trustcheck.toml", &policy);
    let (code, stdout, stderr) = diff(&repo, &[&repo.b, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["head"], "working tree");
    let introduced = report["findings"]["introduced"].as_array().unwrap();
    assert_eq!(introduced.len(), 1, "{report}");
    assert_eq!(introduced[0]["advisory"], "RUSTSEC-2099-0042");
    assert_eq!(
        introduced[0]["paths"],
        serde_json::json!([["app", "other"]])
    );
    assert_eq!(report["exemptions"]["removed"].as_array().unwrap().len(), 1);

    let (code, human, _) = diff(&repo, &[&repo.b]);
    assert_eq!(code, 0);
    assert!(
        human.contains("Findings\n  + deny vulnerability other 1.0.0 RUSTSEC-2099-0042"),
        "{human}"
    );
}

#[test]
fn diff_errors_name_the_problem() {
    let repo = repository();
    let (code, _, stderr) = diff(&repo, &["no-such-revision"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown git revision `no-such-revision`"),
        "{stderr}"
    );
    repo.fixture.write_file(
        "trustcheck.toml",
        "[advisories]\nvulnerability = \"sometimes\"\n",
    );
    let (code, _, stderr) = diff(&repo, &[&repo.a]);
    assert_eq!(code, 2);
    assert!(stderr.contains("trustcheck.toml:2:17"), "{stderr}");
    let (code, _, stderr) = diff(&repo, &[&repo.a, &repo.b, "--format", "sarif"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("invalid value 'sarif'") && stderr.contains("human, json, markdown"),
        "{stderr}"
    );
}

#[test]
fn diff_without_a_database_still_reports_the_trust_decisions() {
    let repo = repository();
    let (code, stdout, stderr) = run(trustcheck(repo.cache.path())
        .current_dir(repo.fixture.root())
        .args(["diff", &repo.a, &repo.b, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(report["findings"]["available"], false);
    assert_eq!(report["exemptions"]["added"].as_array().unwrap().len(), 1);
}

/// A commit that adds a dev-dependency and a Windows-only dependency, each with an advisory,
/// and drops another dev-dependency: what `diff` shows depends on the graph options exactly as
/// `check`'s graph does.
fn narrowed_repository() -> Repo {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\ndep = \"1\"\n\n[dev-dependencies]\noldtest = \"1\"\n",
        )],
        vec![
            krate("dep", "1.0.0"),
            krate("oldtest", "1.0.0"),
            krate("tester", "1.0.0"),
            krate("winthing", "1.0.0"),
        ],
    );
    let db = AdvisoryDb::new();
    db.add(
        "RUSTSEC-2099-0101",
        "tester",
        &[">= 9"],
        "",
        "tester is bad",
    );
    db.add(
        "RUSTSEC-2099-0102",
        "winthing",
        &[">= 9"],
        "",
        "winthing is bad",
    );
    let cache = tempfile::tempdir().unwrap();
    fixture.write_file("trustcheck.toml", "[advisories]\nyanked = \"allow\"\n");
    fixture.write_file(".gitignore", "/target\n");
    git(&fixture, &["init", "--quiet", "--initial-branch=main"]);
    git(&fixture, &["add", "."]);
    git(&fixture, &["commit", "--quiet", "-m", "A"]);
    let a = git(&fixture, &["rev-parse", "HEAD"]);
    fixture.set_member(
        "app",
        "[dependencies]\ndep = \"1\"\n\n[dev-dependencies]\ntester = \"1\"\n\n[target.'cfg(windows)'.dependencies]\nwinthing = \"1\"\n",
    );
    git(&fixture, &["add", "."]);
    git(&fixture, &["commit", "--quiet", "-m", "B"]);
    let b = git(&fixture, &["rev-parse", "HEAD"]);
    Repo {
        fixture,
        db,
        cache,
        a,
        b,
    }
}

fn crate_names(list: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["crate"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn diff_takes_the_graph_options_and_compares_the_graphs_check_would_see() {
    let repo = narrowed_repository();
    let (code, stdout, stderr) = diff(&repo, &[&repo.a, &repo.b, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let whole = json(&stdout);
    assert_eq!(
        crate_names(&whole["dependencies"]["added"]),
        ["tester", "winthing"]
    );
    assert_eq!(crate_names(&whole["dependencies"]["removed"]), ["oldtest"]);
    assert_eq!(
        crate_names(&whole["findings"]["introduced"]),
        ["tester", "winthing"]
    );

    let index_before = std::fs::read(repo.fixture.root().join(".git/index")).unwrap();
    let (code, stdout, stderr) = run(trustcheck(repo.cache.path())
        .current_dir(repo.fixture.root())
        // A hostile environment: git must not be pointed at another index or repository.
        .env("GIT_INDEX_FILE", repo.fixture.root().join("elsewhere"))
        .env("GIT_DIR", "/nonexistent")
        .args([
            "diff",
            &repo.a,
            &repo.b,
            "--format",
            "json",
            "--exclude-dev",
        ])
        .args(["--target", "x86_64-unknown-linux-gnu", "--offline"])
        .arg("--advisory-db")
        .arg(repo.db.path()));
    assert_eq!(code, 0, "{stderr}");
    let narrowed = json(&stdout);
    assert_eq!(narrowed["dependencies"]["added"], serde_json::json!([]));
    assert_eq!(narrowed["dependencies"]["removed"], serde_json::json!([]));
    assert_eq!(narrowed["findings"]["introduced"], serde_json::json!([]));

    // With only --exclude-dev, the Windows-only dependency is in the graph (as in `check`).
    let (code, stdout, stderr) = diff(
        &repo,
        &[&repo.a, &repo.b, "--format", "json", "--exclude-dev"],
    );
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    assert_eq!(crate_names(&report["dependencies"]["added"]), ["winthing"]);
    assert_eq!(crate_names(&report["findings"]["introduced"]), ["winthing"]);

    // The user's repository is as it was: index, working tree, no stray files.
    assert_eq!(
        std::fs::read(repo.fixture.root().join(".git/index")).unwrap(),
        index_before
    );
    assert_eq!(git(&repo.fixture, &["status", "--porcelain"]), "");
    assert!(!repo.fixture.root().join("elsewhere").exists());
    let scratch = repo.cache.path().join("scratch");
    assert!(
        std::fs::read_dir(&scratch).map_or(true, |mut entries| entries.next().is_none()),
        "the copies of the commits are removed"
    );
}
