//! Exemptions between the two sides, paired by what they exempt: a kept exemption whose keys
//! changed is one change (flagged when it became broader: a dropped or wider key, a later
//! expiry), not an unrelated removal and addition.

use serde::Serialize;

use crate::finding::FindingKind;
use crate::policy::Exemption;

/// An exemption as `diff` reports it: every key of the exemption, and its line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExemptionEntry {
    /// `advisory`.
    pub advisory: Option<String>,
    /// `crate`.
    #[serde(rename = "crate")]
    pub crate_name: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `kind`.
    pub kind: Option<FindingKind>,
    /// `reason`.
    pub reason: String,
    /// `expires`.
    pub expires: String,
    /// Its line in that side's policy file.
    pub line: usize,
}

impl From<&Exemption> for ExemptionEntry {
    fn from(exemption: &Exemption) -> ExemptionEntry {
        ExemptionEntry {
            advisory: exemption.advisory.clone(),
            crate_name: exemption.crate_name.clone(),
            version: exemption.version.as_ref().map(ToString::to_string),
            kind: exemption.kind,
            reason: exemption.reason.clone(),
            expires: exemption.expires.to_string(),
            line: exemption.line,
        }
    }
}

/// An exemption changed between the sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExemptionChange {
    /// At the base.
    pub before: ExemptionEntry,
    /// At the head.
    pub after: ExemptionEntry,
    /// Whether the change makes the exemption broader: it exempts more, or for longer.
    pub broader: bool,
    /// Why it is broader (empty when it is not).
    #[serde(rename = "broader-because")]
    pub broader_because: Vec<String>,
}

/// Exemptions added, removed and changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExemptionDiff {
    /// New at the head.
    pub added: Vec<ExemptionEntry>,
    /// Gone at the head.
    pub removed: Vec<ExemptionEntry>,
    /// Changed.
    pub changed: Vec<ExemptionChange>,
}

impl ExemptionDiff {
    /// How many exemptions were added, removed or changed.
    pub fn total(&self) -> usize {
        self.added.len() + self.removed.len() + self.changed.len()
    }

    /// How many changed exemptions exempt more, or for longer.
    pub fn broader(&self) -> usize {
        self.changed.iter().filter(|change| change.broader).count()
    }
}

/// Why an exemption change widens what it exempts.
fn broadening(before: &Exemption, after: &Exemption) -> Vec<String> {
    let mut reasons = Vec::new();
    if before.crate_name.is_some() && after.crate_name.is_none() {
        reasons.push("no longer limited to one crate".to_owned());
    }
    if before.advisory.is_some() && after.advisory.is_none() {
        reasons.push("no longer limited to one advisory".to_owned());
    }
    if before.kind.is_some() && after.kind.is_none() {
        reasons.push("no longer limited to one kind of finding".to_owned());
    }
    match (&before.version, &after.version) {
        (Some(_), None) => reasons.push("no longer limited to a version range".to_owned()),
        (Some(old), Some(new)) if old != new => {
            reasons.push(format!("version range changed from `{old}` to `{new}`"))
        }
        _ => {}
    }
    if after.expires > before.expires {
        reasons.push(format!(
            "expires later ({} instead of {})",
            after.expires, before.expires
        ));
    }
    reasons
}

fn same_exemption(a: &Exemption, b: &Exemption) -> bool {
    same_advisory(&a.advisory, &b.advisory)
        && a.crate_name == b.crate_name
        && a.kind == b.kind
        && a.version.as_ref().map(ToString::to_string)
            == b.version.as_ref().map(ToString::to_string)
        && a.reason == b.reason
        && a.expires == b.expires
}

fn same_advisory(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// How well `head` continues `base`, as the same exemption changed: `None` when they exempt
/// different things (a key both give differs, or they share neither the advisory nor the
/// crate); otherwise the number of keys they agree on (a lost or gained key is allowed: that
/// is what makes a change broader or narrower), plus one for the same reason.
fn pairing_score(base: &Exemption, head: &Exemption) -> Option<usize> {
    let both = |a: bool, b: bool| a && b;
    let mut agreed = 0;
    match (&base.advisory, &head.advisory) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => return None,
        (Some(_), Some(_)) => agreed += 1,
        _ => {}
    }
    match (&base.crate_name, &head.crate_name) {
        (Some(a), Some(b)) if a != b => return None,
        (Some(_), Some(_)) => agreed += 1,
        _ => {}
    }
    if agreed == 0 {
        return None;
    }
    match (base.kind, head.kind) {
        (Some(a), Some(b)) if a != b => return None,
        (Some(_), Some(_)) => agreed += 1,
        _ => {}
    }
    if both(base.version.is_some(), head.version.is_some()) && base.version == head.version {
        agreed += 1;
    }
    if base.reason == head.reason {
        agreed += 1;
    }
    Some(agreed)
}

/// Exemptions added, removed and changed between two policies. Unchanged exemptions pair up
/// first; then exemptions are paired by what they exempt, best match first, so that one that
/// lost a key (`crate`, `advisory`, `kind`, `version`) is one broader change rather than an
/// unrelated removal and addition.
pub fn diff_exemptions(base: &[Exemption], head: &[Exemption]) -> ExemptionDiff {
    let mut base_left: Vec<&Exemption> = base.iter().collect();
    let mut head_left: Vec<&Exemption> = Vec::new();
    for exemption in head {
        match base_left
            .iter()
            .position(|candidate| same_exemption(candidate, exemption))
        {
            Some(index) => {
                base_left.remove(index);
            }
            None => head_left.push(exemption),
        }
    }
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (base_index, before) in base_left.iter().enumerate() {
        for (head_index, after) in head_left.iter().enumerate() {
            if let Some(score) = pairing_score(before, after) {
                candidates.push((score, base_index, head_index));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let mut base_paired = vec![false; base_left.len()];
    let mut head_paired = vec![false; head_left.len()];
    let mut diff = ExemptionDiff::default();
    for (_, base_index, head_index) in candidates {
        if base_paired[base_index] || head_paired[head_index] {
            continue;
        }
        base_paired[base_index] = true;
        head_paired[head_index] = true;
        let (before, after) = (base_left[base_index], head_left[head_index]);
        let reasons = broadening(before, after);
        diff.changed.push(ExemptionChange {
            before: before.into(),
            after: after.into(),
            broader: !reasons.is_empty(),
            broader_because: reasons,
        });
    }
    diff.changed
        .sort_by_key(|change| (change.after.line, change.before.line));
    diff.added = head_left
        .iter()
        .zip(&head_paired)
        .filter(|(_, paired)| !**paired)
        .map(|(exemption, _)| ExemptionEntry::from(*exemption))
        .collect();
    diff.removed = base_left
        .iter()
        .zip(&base_paired)
        .filter(|(_, paired)| !**paired)
        .map(|(exemption, _)| ExemptionEntry::from(*exemption))
        .collect();
    diff
}
