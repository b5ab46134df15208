//! Lookalike accounts: the real `proc-macro1` was published by `dtolney`, one letter from
//! `dtolnay`, who owns trusted crates of the graph. Replayed against a sparse index and a
//! crates.io API on 127.0.0.1, with a committed baseline that records dtolnay's crates.

mod common;

use common::server::{Reply, Request, Server};
use common::*;
use serde_json::json;

const DAY: i64 = 86_400;

/// The login that makes the API answer HTTP 500 for the new crate: its owners cannot be known.
const UNANSWERED: &str = "(unanswered)";

/// The new crate's owner and publisher.
struct Registry {
    login: &'static str,
    id: u64,
    now: i64,
}

impl Registry {
    fn answer(&self, request: &Request) -> Reply {
        if let Some(path) = request.path.strip_prefix("/index/") {
            let (name, first) = if path == index_path("proc-macro1") {
                ("proc-macro1", self.now - 200 * DAY)
            } else if path == index_path("proc-macro2") {
                ("proc-macro2", self.now - 900 * DAY)
            } else if path == index_path("quote") {
                ("quote", self.now - 900 * DAY)
            } else {
                return Reply::new(404, "");
            };
            let version = match name {
                "proc-macro1" => "1.0.107",
                "proc-macro2" => "1.0.95",
                _ => "1.0.40",
            };
            return Reply::new(200, index_file_published(name, &[(version, false, first)]));
        }
        let path = request.path.trim_start_matches("/api/v1/crates/");
        let (login, id) = match path.trim_end_matches("/owners") {
            "proc-macro1" => (self.login, self.id),
            "proc-macro2" | "quote" => ("dtolnay", 2),
            _ => return Reply::new(404, r#"{"errors":[{"detail":"Not Found"}]}"#),
        };
        if login == UNANSWERED {
            return Reply::new(500, "internal error");
        }
        if path.ends_with("/owners") {
            return Reply::json(
                &json!({"users": [{"id": id, "login": login, "kind": "user", "name": null}]}),
            );
        }
        Reply::json(&json!({"crate": {"name": path}, "versions": [
            {"num": "1.0.107", "license": "MIT", "yanked": false,
             "created_at": pubtime(self.now - 200 * DAY),
             "published_by": {"id": id, "login": login}}
        ]}))
    }
}

/// `check --format json` on a workspace whose baseline trusts dtolnay's proc-macro2 and quote,
/// after proc-macro1, owned and published by `login` (user `id`), entered the graph.
fn check_with_new_crate_owned_by(login: &'static str, id: u64) -> (i32, serde_json::Value) {
    let fixture = Fixture::new(
        vec![member(
            "app",
            "[dependencies]\nproc-macro2 = \"1\"\nquote = \"1\"\nproc-macro1 = \"1\"\n",
        )],
        vec![
            krate("proc-macro2", "1.0.95"),
            krate("quote", "1.0.40"),
            krate("proc-macro1", "1.0.107"),
        ],
    );
    let record = |name: &str, version: &str| {
        format!(
            "[[crate]]\nname = \"{name}\"\nsource = \"crates-io\"\nowners = [\n    {{ id = 2, login = \"dtolnay\", kind = \"user\" }},\n]\nversions = [\n    {{ version = \"{version}\", license = \"MIT\", build = [], published-by = {{ id = 2, login = \"dtolnay\" }} }},\n]\n"
        )
    };
    fixture.write_file(
        "trustcheck.lock",
        &format!(
            "format-version = 1\n\n{}\n{}",
            record("proc-macro2", "1.0.95"),
            record("quote", "1.0.40")
        ),
    );
    let registry = Registry {
        login,
        id,
        now: cargo_trustcheck::support::date::now(),
    };
    let server = Server::start(move |request| registry.answer(request));
    let cache = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::new();
    let mut command = trustcheck(cache.path());
    command
        .args(["check", "--format", "json"])
        .current_dir(fixture.root())
        .env("TRUSTCHECK_INDEX_URL", format!("{}/index/", server.url))
        .env("TRUSTCHECK_API_URL", server.base())
        .arg("--advisory-db")
        .arg(db.path());
    let (code, stdout, stderr) = run_within(&mut command, std::time::Duration::from_secs(120));
    assert_ne!(code, 2, "{stderr}");
    (code, json(&stdout))
}

fn findings_of_kind<'a>(report: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == kind)
        .collect()
}

#[test]
fn a_new_crate_owned_by_dtolney_prints_its_owner_and_compares_nothing() {
    let (code, report) = check_with_new_crate_owned_by("dtolney", 666);
    let lookalikes = findings_of_kind(&report, "owner-lookalike");
    assert_eq!(lookalikes.len(), 1, "{report}");
    let finding = lookalikes[0];
    assert_eq!(finding["crate"], "proc-macro1");
    assert_eq!(finding["level"], "deny");
    let message = finding["message"].as_str().unwrap();
    for fact in [
        "its owner dtolney (user 666) is named like dtolnay (user 2)",
        "2 crates the baseline trusts (proc-macro2, quote)",
    ] {
        assert!(message.contains(fact), "missing {fact:?} in {message}");
    }
    assert_eq!(code, 1, "{report}");
}

#[test]
fn a_confusable_spelling_of_a_trusted_login_is_a_lookalike_account() {
    let (code, report) = check_with_new_crate_owned_by("dto1nay", 667);
    let lookalikes = findings_of_kind(&report, "owner-lookalike");
    assert_eq!(lookalikes.len(), 1, "{report}");
    assert_eq!(code, 1);
}

#[test]
fn the_trusted_account_itself_is_not_a_lookalike() {
    let (code, report) = check_with_new_crate_owned_by("dtolnay", 2);
    assert!(
        findings_of_kind(&report, "owner-lookalike").is_empty(),
        "{report}"
    );
    assert_eq!(code, 0, "{report}");
    // Nor is an unrelated account.
    let (code, report) = check_with_new_crate_owned_by("alice", 7);
    assert!(
        findings_of_kind(&report, "owner-lookalike").is_empty(),
        "{report}"
    );
    assert_eq!(code, 0, "{report}");
}

#[test]
fn a_new_crate_whose_owners_could_not_be_asked_passed_the_lookalike_check_in_silence() {
    let (_, report) = check_with_new_crate_owned_by(UNANSWERED, 666);
    assert!(
        findings_of_kind(&report, "owner-lookalike").is_empty(),
        "{report}"
    );
    let unchecked: Vec<&serde_json::Value> = findings_of_kind(&report, "unchecked")
        .into_iter()
        .filter(|finding| finding["crate"] == "proc-macro1")
        .filter(|finding| {
            finding["message"]
                .as_str()
                .unwrap()
                .starts_with("owner lookalikes not checked: the owners of this crate, new to the baseline, are unknown")
        })
        .collect();
    assert_eq!(unchecked.len(), 1, "{report}");
    assert_eq!(unchecked[0]["level"], "warn");
}
