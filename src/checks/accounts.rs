//! Lookalike accounts (`owner-lookalike`): the real `proc-macro1` was published by `dtolney`,
//! one letter from `dtolnay`, who owned five trusted crates of the graph. An owner of a crate
//! new to the baseline, an owner added to a crate since the baseline, or the publisher of a
//! locked version the baseline does not hold, whose login is one edit (or a confusable
//! spelling, `support::similar::skeleton`) from an account the baseline trusts — an owner or
//! publisher it records — but who is not that account (another registry id), borrows that
//! account's trust. A pure function of the baseline and the ownership facts.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::ownership::{OwnerRecord, OwnershipFacts, crates_io_packages};
use crate::finding::{Finding, FindingKind};
use crate::load::baseline::{Baseline, CRATES_IO, Publisher};
use crate::load::graph::DependencyGraph;
use crate::support::similar::{distance_within, fold, skeleton};

/// Logins shorter than this are compared by skeleton only: one edit from `bob` is `rob`.
const MIN_EDIT_LENGTH: usize = 5;

/// An account the baseline trusts: its registry id, and the crates it owns or published.
struct Trusted {
    login: String,
    id: u64,
    crates: BTreeSet<String>,
}

/// The accounts the baseline trusts, by folded login.
fn trusted_accounts(baseline: &Baseline) -> BTreeMap<String, Trusted> {
    let mut accounts: BTreeMap<String, Trusted> = BTreeMap::new();
    let mut add = |login: &str, id: u64, name: &str| {
        accounts
            .entry(fold(login))
            .or_insert_with(|| Trusted {
                login: login.to_owned(),
                id,
                crates: BTreeSet::new(),
            })
            .crates
            .insert(name.to_owned());
    };
    for ((name, _), record) in &baseline.crates {
        for owner in record.owners.iter().flatten() {
            add(&owner.login, owner.id, name);
        }
        for version in record.versions.values() {
            if let Some(Publisher::Account { id, login }) = &version.published_by {
                add(login, *id, name);
            }
        }
    }
    accounts
}

/// The trusted account `login` (of registry id `id`) imitates, if any: not the same account
/// (by id, or by login), but one edit or a confusable spelling away.
fn imitated<'a>(
    login: &str,
    id: u64,
    trusted: &'a BTreeMap<String, Trusted>,
    skeletons: &BTreeMap<String, Vec<&'a Trusted>>,
) -> Option<&'a Trusted> {
    let folded = fold(login);
    if trusted.contains_key(&folded) || trusted.values().any(|account| account.id == id) {
        return None;
    }
    let by_skeleton = skeletons
        .get(&skeleton(login))
        .and_then(|accounts| accounts.first().copied());
    by_skeleton.or_else(|| {
        (folded.chars().count() >= MIN_EDIT_LENGTH)
            .then(|| {
                trusted
                    .iter()
                    .filter(|(other, _)| other.chars().count() >= MIN_EDIT_LENGTH)
                    .find(|(other, _)| distance_within(&folded, other, 1).is_some())
                    .map(|(_, account)| account)
            })
            .flatten()
    })
}

/// The `owner-lookalike` check.
pub fn check(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    facts: &OwnershipFacts,
) -> Vec<Finding> {
    let Some(baseline) = baseline else {
        return Vec::new();
    };
    let trusted = trusted_accounts(baseline);
    if trusted.is_empty() {
        return Vec::new();
    }
    let mut skeletons: BTreeMap<String, Vec<&Trusted>> = BTreeMap::new();
    for account in trusted.values() {
        skeletons
            .entry(skeleton(&account.login))
            .or_default()
            .push(account);
    }
    let mut findings: Vec<Finding> = facts
        .new_owners_unknown
        .iter()
        .map(|(package, why)| {
            Finding::not_checked(
                package.clone(),
                &[FindingKind::OwnerLookalike],
                "owner lookalikes",
                why.clone(),
            )
        })
        .collect();
    for package in crates_io_packages(graph) {
        let name = &package.name;
        let record = baseline.crate_record(name, CRATES_IO);
        // (role, login, id) of each account that enters with this package.
        let mut entering: Vec<(&str, String, u64)> = Vec::new();
        let owners: Option<&Vec<OwnerRecord>> = match record {
            None => facts.new_owners.get(name),
            Some(_) => facts.owners.get(name),
        };
        let accepted: BTreeSet<u64> = record
            .and_then(|record| record.owners.as_ref())
            .map(|owners| owners.iter().map(|owner| owner.id).collect())
            .unwrap_or_default();
        for owner in owners.into_iter().flatten() {
            if !accepted.contains(&owner.id) {
                let role = if record.is_none() {
                    "owner"
                } else {
                    "new owner"
                };
                entering.push((role, owner.login.clone(), owner.id));
            }
        }
        if let Some(Some(Publisher::Account { id, login })) = facts
            .publishers
            .get(&(name.clone(), package.version.clone()))
        {
            entering.push(("publisher of this version", login.clone(), *id));
        }
        let mut seen = BTreeSet::new();
        for (role, login, id) in entering {
            if !seen.insert(id) {
                continue;
            }
            let Some(account) = imitated(&login, id, &trusted, &skeletons) else {
                continue;
            };
            let crates: Vec<&str> = account.crates.iter().map(String::as_str).collect();
            findings.push(Finding::for_package(
                FindingKind::OwnerLookalike,
                package.to_ref(),
                format!(
                    "{name} {}: its {role} {login} (user {id}) is named like {} (user {}), who owns or published {} the baseline trusts ({}), but is not that account: an account named like a trusted one is how a lookalike borrows its trust; find out who {login} is before trusting {name}",
                    package.version,
                    account.login,
                    account.id,
                    crate::support::text::counted(crates.len(), "crate"),
                    crate::support::text::name_list(&crates, 5),
                ),
            ));
        }
    }
    findings
}
