//! What the code that arrives can do, against what was accepted (`facts::code` read it from
//! each crate as cargo unpacks it; `trustcheck.lock` records what was accepted):
//!
//! - `build-capability`: a build script or proc-macro that gained (or, in a crate new to the
//!   baseline, has) network access, download-and-run, credential or secret access, or an encoded
//!   payload: what an attacker's patch release adds to steal from the machine that builds;
//! - `library-capability`: library code that gained network access together with secrets or
//!   credentials, or an encoded payload;
//! - `binary-added`: a version that ships native code or opaque blobs its accepted versions did
//!   not; `binary-shipped`: a crate new to the baseline that ships them;
//! - `baseline-mismatch`: a version `trustcheck.lock` records as accepted whose record is not
//!   what the crate is (its license, build code, capabilities or binaries): the baseline is a
//!   record of decisions, and a pull request can edit it;
//! - `unchecked`: the code of a crate version could not be read, once per cause.
//!
//! Each message names the capability and its evidence (`build.rs:14 std::net::TcpStream`) so a
//! reviewer can judge it in seconds. `[[code.allow]]` entries take capabilities (or binaries)
//! out of a crate's findings, for a reason and until a date. Without a baseline nothing was
//! accepted, and only `unchecked` applies.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::code::{Capability, CodeFacts, Role};
use crate::finding::{Evidence, Finding, FindingKind, NotChecked};
use crate::load::baseline::{self, Baseline, CodeRecord, CrateRecord};
use crate::load::graph::{DependencyGraph, Package, PackageCode};
use crate::policy::{CodeAllowance, CodePolicy};
use crate::support::date::Date;

/// What code running at build time may not gain without review.
const BUILD_TIME: [Capability; 6] = [
    Capability::Network,
    Capability::DownloadExecute,
    Capability::Credentials,
    Capability::SecretEnv,
    Capability::Exfiltration,
    Capability::Obfuscation,
];

/// What library code may not gain without review.
const LIBRARY: [Capability; 2] = [Capability::Exfiltration, Capability::Obfuscation];

/// The code checks over the graph's registry packages.
pub fn check(
    graph: &DependencyGraph,
    baseline: Option<&Baseline>,
    policy: &CodePolicy,
    today: Date,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut unread: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for package in graph.packages() {
        let facts = match &package.code {
            Some(PackageCode::Read(facts)) => facts,
            Some(PackageCode::Unread(why)) => {
                unread
                    .entry(why)
                    .or_default()
                    .insert(format!("{} {}", package.name, package.version));
                continue;
            }
            None => continue,
        };
        let Some(baseline) = baseline else {
            continue;
        };
        let Some(source) = baseline::source_key(package) else {
            continue;
        };
        let allowed = Allowed::of(&policy.allow, package, today);
        match baseline.crate_record(&package.name, &source) {
            None => findings.extend(gains(package, facts, &Accepted::nothing(), &allowed)),
            Some(record) => match record.versions.get(&package.version) {
                Some(accepted) => findings.extend(mismatch(package, facts, accepted)),
                None => findings.extend(gains(package, facts, &Accepted::of(record), &allowed)),
            },
        }
    }
    for (why, crates) in unread {
        findings.push(unread_finding(why, &crates));
    }
    findings
}

/// What the policy's `[[code.allow]]` entries allow one crate version.
struct Allowed {
    capabilities: BTreeSet<Capability>,
    binaries: bool,
}

impl Allowed {
    fn of(allow: &[CodeAllowance], package: &Package, today: Date) -> Allowed {
        let entries = allow
            .iter()
            .filter(|entry| entry.applies_to(&package.name, &package.version, today));
        let mut allowed = Allowed {
            capabilities: BTreeSet::new(),
            binaries: false,
        };
        for entry in entries {
            allowed
                .capabilities
                .extend(entry.capabilities.iter().copied());
            allowed.binaries |= entry.binaries;
        }
        allowed
    }
}

/// Each capability of `role` in `watched` that `facts` has and `had` lacks: in words, with its
/// evidence (`build.rs:14 std::net::TcpStream::connect`), and the evidence itself.
fn gained(
    facts: &CodeFacts,
    role: Role,
    watched: &[Capability],
    had: Option<&BTreeSet<Capability>>,
    allowed: &Allowed,
) -> (Vec<String>, Vec<Evidence>) {
    let Some(capabilities) = facts.roles.get(&role) else {
        return (Vec::new(), Vec::new());
    };
    let mut words = Vec::new();
    let mut evidence = Vec::new();
    for (capability, shown) in capabilities.iter().filter(|(capability, _)| {
        watched.contains(capability)
            && !had.is_some_and(|had| had.contains(capability))
            && !allowed.capabilities.contains(capability)
    }) {
        let listed: Vec<String> = shown
            .iter()
            .map(|evidence| {
                format!(
                    "{}:{} {}",
                    crate::support::text::sanitize_terminal(&evidence.file),
                    evidence.line,
                    crate::support::text::sanitize_terminal(&evidence.shows)
                )
            })
            .collect();
        words.push(format!(
            "{} [{}] ({})",
            capability.describe(),
            capability.as_str(),
            listed.join("; ")
        ));
        evidence.extend(shown.iter().map(|shown| Evidence {
            role: evidence_role(role).to_owned(),
            file: shown.file.clone(),
            line: Some(shown.line),
            what: shown.shows.clone(),
            capability: Some(capability.as_str().to_owned()),
        }));
    }
    evidence.sort();
    evidence.dedup();
    (words, evidence)
}

/// The contract's name of a role in a finding's evidence.
fn evidence_role(role: Role) -> &'static str {
    match role {
        Role::Build => "build-script",
        Role::ProcMacro => "proc-macro",
        Role::Library => "library",
    }
}

/// The binaries of `facts` not among `had`: in words, and as evidence.
fn binaries_gained(
    facts: &CodeFacts,
    had: &BTreeSet<String>,
    allowed: &Allowed,
) -> (Vec<String>, Vec<Evidence>) {
    if allowed.binaries {
        return (Vec::new(), Vec::new());
    }
    facts
        .binaries()
        .filter(|(path, _)| !had.contains(*path))
        .map(|(path, file)| {
            let what = format!(
                "{}, {} bytes{}",
                file.kind.describe(),
                file.size,
                if file.included {
                    ", pulled in by include_bytes!"
                } else {
                    ""
                }
            );
            (
                format!("{} ({what})", crate::support::text::sanitize_terminal(path)),
                Evidence {
                    role: "package".to_owned(),
                    file: path.to_owned(),
                    line: None,
                    what,
                    capability: None,
                },
            )
        })
        .unzip()
}

/// What a version is compared with: what the accepted versions of its crate recorded (nothing,
/// for a crate new to the baseline).
struct Accepted {
    capabilities: BTreeMap<Role, BTreeSet<Capability>>,
    binaries: BTreeSet<String>,
    /// The accepted versions whose code is recorded, in words; `None`: a crate new to the
    /// baseline.
    versions: Option<String>,
}

impl Accepted {
    /// Nothing accepted: a crate new to the baseline.
    fn nothing() -> Accepted {
        Accepted {
            capabilities: BTreeMap::new(),
            binaries: BTreeSet::new(),
            versions: None,
        }
    }

    /// What every accepted version of the crate recorded of its code.
    fn of(record: &CrateRecord) -> Accepted {
        let mut accepted = Accepted::nothing();
        let mut versions = Vec::new();
        for (version, code) in record
            .versions
            .iter()
            .filter_map(|(version, entry)| entry.code.as_ref().map(|code| (version, code)))
        {
            versions.push(version.to_string());
            for (role, capabilities) in &code.capabilities {
                accepted
                    .capabilities
                    .entry(*role)
                    .or_default()
                    .extend(capabilities.iter().copied());
            }
            accepted.binaries.extend(code.binaries.iter().cloned());
        }
        accepted.versions = Some(if versions.is_empty() {
            "no accepted version's code is recorded in trustcheck.lock (`cargo trustcheck baseline` records it)".to_owned()
        } else {
            format!("accepted {}", versions.join(", "))
        });
        accepted
    }
}

/// The findings of a version: what its build-time code and its library gained over what was
/// accepted, and the binaries it ships that were not.
fn gains(
    package: &Package,
    facts: &CodeFacts,
    accepted: &Accepted,
    allowed: &Allowed,
) -> Vec<Finding> {
    let what = format!("{} {}", package.name, package.version);
    let (opening, now, after) = match &accepted.versions {
        None => (
            format!("{what} is new to the baseline, and"),
            "",
            String::new(),
        ),
        Some(versions) => (format!("{what}:"), "now ", format!(" ({versions})")),
    };
    let mut findings = Vec::new();
    let mut found = |kind: FindingKind, message: String, evidence: Vec<Evidence>| {
        let mut finding = Finding::for_package(kind, package.to_ref(), message);
        finding.evidence = evidence;
        findings.push(finding);
    };
    for role in [Role::Build, Role::ProcMacro] {
        let (gained, evidence) = gained(
            facts,
            role,
            &BUILD_TIME,
            accepted.capabilities.get(&role),
            allowed,
        );
        if !gained.is_empty() {
            found(
                FindingKind::BuildCapability,
                format!(
                    "{opening} {} runs on the machine that builds: it {now}{}{after}",
                    role.describe(),
                    gained.join(&format!("; it {now}"))
                ),
                evidence,
            );
        }
    }
    let role = Role::Library;
    let (gained, evidence) = gained(
        facts,
        role,
        &LIBRARY,
        accepted.capabilities.get(&role),
        allowed,
    );
    if !gained.is_empty() {
        found(
            FindingKind::LibraryCapability,
            format!(
                "{opening} its library {now}{}{after}",
                gained.join(&format!("; it {now}"))
            ),
            evidence,
        );
    }
    let (binaries, evidence) = binaries_gained(facts, &accepted.binaries, allowed);
    if !binaries.is_empty() {
        let kind = match accepted.versions {
            None => FindingKind::BinaryShipped,
            Some(_) => FindingKind::BinaryAdded,
        };
        found(
            kind,
            format!("{opening} it {now}ships {}{after}", binaries.join(", ")),
            evidence,
        );
    }
    findings
}

/// A `baseline-mismatch` when what trustcheck.lock records of this very version is not what the
/// crate is: its license, its build code, or (where recorded) its code's capabilities and
/// binaries.
fn mismatch(
    package: &Package,
    facts: &CodeFacts,
    accepted: &baseline::VersionRecord,
) -> Option<Finding> {
    let mut differences = Vec::new();
    if accepted.license != package.license {
        let show = |license: &Option<String>| match license {
            Some(license) => format!("\"{}\"", crate::support::text::sanitize_terminal(license)),
            None => "none".to_owned(),
        };
        differences.push(format!(
            "license {} recorded, {} in the crate",
            show(&accepted.license),
            show(&package.license)
        ));
    }
    if let (Some(recorded), Some(actual)) = (accepted.build_code, package.build_code)
        && recorded != actual
    {
        differences.push(format!(
            "{} recorded, {} in the crate",
            recorded.describe(),
            actual.describe()
        ));
    }
    if let Some(recorded) = &accepted.code {
        let actual = CodeRecord::of(facts);
        for role in Role::ALL {
            let empty = BTreeSet::new();
            let was = recorded.capabilities.get(&role).unwrap_or(&empty);
            let is = actual.capabilities.get(&role).unwrap_or(&empty);
            let missing: Vec<&str> = is
                .difference(was)
                .map(|capability| capability.as_str())
                .collect();
            let extra: Vec<&str> = was
                .difference(is)
                .map(|capability| capability.as_str())
                .collect();
            if !missing.is_empty() {
                differences.push(format!(
                    "{} does {} in the crate, not recorded",
                    role.describe(),
                    missing.join(", ")
                ));
            }
            if !extra.is_empty() {
                differences.push(format!(
                    "{} recorded as doing {}, not in the crate",
                    role.describe(),
                    extra.join(", ")
                ));
            }
        }
        let missing: Vec<String> = actual
            .binaries
            .difference(&recorded.binaries)
            .map(|path| crate::support::text::sanitize_terminal(path))
            .collect();
        if !missing.is_empty() {
            differences.push(format!("binaries not recorded: {}", missing.join(", ")));
        }
    }
    (!differences.is_empty()).then(|| {
        Finding::for_package(
            FindingKind::BaselineMismatch,
            package.to_ref(),
            format!(
                "trustcheck.lock records {} {} as accepted, but its record is not the crate: {}; a record is written by `cargo trustcheck baseline`, never by hand",
                package.name,
                package.version,
                differences.join("; ")
            ),
        )
    })
}

/// One `unchecked` finding for the crate versions whose code could not be read for one cause.
fn unread_finding(why: &str, crates: &BTreeSet<String>) -> Finding {
    let names: Vec<&str> = crates.iter().map(String::as_str).collect();
    let cause = format!(
        "the code of {} could not be read ({}): {why}",
        crate::support::text::counted(names.len(), "crate version"),
        crate::support::text::name_list(&names, 8)
    );
    let mut finding =
        Finding::general(FindingKind::Unchecked, format!("code not checked: {cause}"));
    finding.unchecked = Some(NotChecked {
        checks: vec![
            FindingKind::BuildCapability,
            FindingKind::LibraryCapability,
            FindingKind::BinaryAdded,
            FindingKind::BinaryShipped,
            FindingKind::BaselineMismatch,
        ],
        what: "code".to_owned(),
        cause: cause.into(),
    });
    finding
}
