//! A dependency path: the chain of packages from a workspace member to a package. It is shown
//! by crate name, with the version where a name comes more than once, so that two versions of
//! one crate do not read as a loop (`andrew → rusttype 0.8.3 → rusttype 0.7.9`). The JSON
//! report gives the names alone, as the contract says.

use std::fmt;

/// One package of a dependency path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathStep {
    /// The crate name.
    pub name: String,
    /// The locked version.
    pub version: semver::Version,
}

/// A chain of packages from a workspace member (first) to a package (last).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DependencyPath(pub Vec<PathStep>);

impl DependencyPath {
    /// How many packages the path goes through, both ends included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the path has no package at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The crate names, member first (the JSON report's `paths`).
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|step| step.name.clone()).collect()
    }

    /// Each package as shown: its name, and its version where the name comes more than once in
    /// the path.
    pub fn labels(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|step| {
                let repeated = self
                    .0
                    .iter()
                    .filter(|other| other.name == step.name)
                    .count()
                    > 1;
                if repeated {
                    format!("{} {}", step.name, step.version)
                } else {
                    step.name.clone()
                }
            })
            .collect()
    }
}

impl fmt::Display for DependencyPath {
    /// The labels joined by arrows: `app → chrono → time`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.labels().join(" → "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(steps: &[(&str, &str)]) -> DependencyPath {
        DependencyPath(
            steps
                .iter()
                .map(|(name, version)| PathStep {
                    name: (*name).to_owned(),
                    version: version.parse().unwrap(),
                })
                .collect(),
        )
    }

    #[test]
    fn a_path_through_two_versions_of_a_crate_looked_like_a_loop() {
        let two_versions = path(&[
            ("app", "0.1.0"),
            ("andrew", "0.3.1"),
            ("rusttype", "0.8.3"),
            ("rusttype", "0.7.9"),
        ]);
        assert_eq!(
            two_versions.to_string(),
            "app → andrew → rusttype 0.8.3 → rusttype 0.7.9"
        );
        assert_eq!(
            two_versions.names(),
            ["app", "andrew", "rusttype", "rusttype"]
        );
        assert_eq!(
            path(&[("app", "0.1.0"), ("chrono", "0.4.0"), ("time", "0.1.45")]).to_string(),
            "app → chrono → time",
            "names alone when none repeats"
        );
    }
}
