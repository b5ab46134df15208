//! Narrowing the graph as cargo would build it. Each option narrows its own dimension of the
//! whole resolve (every feature of every package, every platform, dev-dependencies included)
//! and leaves the others whole:
//!
//! - platforms (`--target`): only dependency edges enabled on one of the targets;
//! - dev-dependencies (`--exclude-dev`): dev-only edges are dropped;
//! - features (`--features`, `--no-default-features`, `--all-features`): the members' features as
//!   given, and the dependencies' features as cargo's feature resolver unifies them (guppy's
//!   simulation, with the workspace's resolver version: `resolver` in the root manifest, else
//!   the edition's default, so a 2018 workspace without the key is resolver 1).
//!
//! Without a features option, every optional dependency counts (the resolve holds them all);
//! with one, only what that selection enables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use guppy::PackageId;
use guppy::graph::cargo::{CargoOptions, CargoResolverVersion};
use guppy::graph::feature::{FeatureFilterFn, FeatureLabel};
use guppy::graph::{DependencyDirection, PackageGraph, PackageLink, PackageMetadata};
use guppy::platform::{EnabledTernary, Platform, PlatformSpec, TargetFeatures};

use super::GraphError;

/// How to narrow the graph, as cargo would build it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Only dependencies enabled on one of these target triples (empty: every platform).
    pub targets: Vec<String>,
    /// Features to enable (`feat` on every member that has it, or `member/feat`).
    pub features: Vec<String>,
    /// Enable every feature of every member.
    pub all_features: bool,
    /// Do not enable the members' default features.
    pub no_default_features: bool,
    /// Leave out dev-dependencies.
    pub exclude_dev: bool,
}

impl GraphOptions {
    /// Whether any option narrows the graph (without any, it is the whole resolve).
    pub fn narrows(&self) -> bool {
        !self.targets.is_empty() || self.selects_features() || self.exclude_dev
    }

    /// Whether the features dimension is narrowed (a features option was given).
    pub fn selects_features(&self) -> bool {
        !self.features.is_empty() || self.all_features || self.no_default_features
    }

    /// The options as command-line flags, for messages.
    pub fn describe(&self) -> String {
        let mut flags = Vec::new();
        for target in &self.targets {
            flags.push(format!("--target {target}"));
        }
        for features in &self.features {
            flags.push(format!("--features {features}"));
        }
        if self.all_features {
            flags.push("--all-features".to_owned());
        }
        if self.no_default_features {
            flags.push("--no-default-features".to_owned());
        }
        if self.exclude_dev {
            flags.push("--exclude-dev".to_owned());
        }
        flags.join(" ")
    }
}

/// Packages and (from, to) links of a narrowed graph.
pub type Narrowed = (Vec<PackageId>, Vec<(PackageId, PackageId)>);

/// The feature resolver version cargo uses for the workspace whose root manifest is `manifest`:
/// `resolver` of `[workspace]` or `[package]`, else the edition's default (2021 and later: 2,
/// earlier editions and virtual manifests: 1). An unreadable manifest counts as resolver 2.
pub fn resolver_version(manifest: &Path) -> CargoResolverVersion {
    let Ok(text) = crate::support::files::read_text(manifest, 16 * crate::support::files::MIB)
    else {
        return CargoResolverVersion::V2;
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return CargoResolverVersion::V2;
    };
    let workspace = table.get("workspace").and_then(toml::Value::as_table);
    let package = table.get("package").and_then(toml::Value::as_table);
    let resolver = workspace
        .and_then(|workspace| workspace.get("resolver"))
        .or_else(|| package.and_then(|package| package.get("resolver")))
        .and_then(toml::Value::as_str);
    if let Some(resolver) = resolver {
        return if resolver == "1" {
            CargoResolverVersion::V1
        } else {
            CargoResolverVersion::V2
        };
    }
    let edition = package
        .and_then(|package| package.get("edition"))
        .and_then(|edition| {
            match edition {
                toml::Value::String(edition) => Some(edition.as_str()),
                // `edition.workspace = true`: the workspace's `[workspace.package] edition`.
                toml::Value::Table(_) => workspace
                    .and_then(|workspace| workspace.get("package"))
                    .and_then(|package| package.get("edition"))
                    .and_then(toml::Value::as_str),
                _ => None,
            }
        });
    match edition {
        Some("2015" | "2018") | None => CargoResolverVersion::V1,
        Some(_) => CargoResolverVersion::V2,
    }
}

fn platforms(targets: &[String]) -> Result<Option<PlatformSpec>, GraphError> {
    if targets.is_empty() {
        return Ok(None);
    }
    let platforms = targets
        .iter()
        .map(|triple| {
            Platform::new(triple.clone(), TargetFeatures::Unknown)
                .map(Arc::new)
                .map_err(|_| GraphError::UnknownTarget(triple.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(PlatformSpec::Platforms(platforms)))
}

/// Checks that every `--target` is a known triple, without building anything.
pub fn validate_targets(targets: &[String]) -> Result<(), GraphError> {
    platforms(targets).map(|_| ())
}

/// Narrows `graph` as `options` say (`options.narrows()` must be true).
pub fn narrowed(graph: &PackageGraph, options: &GraphOptions) -> Result<Narrowed, GraphError> {
    let platform = platforms(&options.targets)?;
    if options.selects_features() {
        simulated(graph, options, platform)
    } else {
        filtered(graph, options, platform.as_ref())
    }
}

/// Whether a link can be followed on `platform` (any platform when `None`), with every feature
/// of the package counted, dev-dependency edges only when `include_dev`.
fn link_enabled(
    link: &PackageLink<'_>,
    platform: Option<&PlatformSpec>,
    include_dev: bool,
) -> bool {
    let any = PlatformSpec::Any;
    let spec = platform.unwrap_or(&any);
    let on = |enabled: EnabledTernary| enabled != EnabledTernary::Disabled;
    on(link.normal().status().enabled_on(spec))
        || on(link.build().status().enabled_on(spec))
        || (include_dev && on(link.dev().status().enabled_on(spec)))
}

/// The platform and dev-dependency dimensions alone: every feature counts, so the walk follows
/// package links (optional ones included) from the members.
fn filtered(
    graph: &PackageGraph,
    options: &GraphOptions,
    platform: Option<&PlatformSpec>,
) -> Result<Narrowed, GraphError> {
    let include_dev = !options.exclude_dev;
    let set = graph
        .query_workspace()
        .resolve_with_fn(|_, link| link_enabled(&link, platform, include_dev));
    let included: Vec<PackageId> = set
        .package_ids(DependencyDirection::Forward)
        .cloned()
        .collect();
    let links = set
        .links(DependencyDirection::Forward)
        .filter(|link| link_enabled(link, platform, include_dev))
        .map(|link| (link.from().id().clone(), link.to().id().clone()))
        .collect();
    Ok((included, links))
}

/// The features dimension: guppy simulates cargo's feature resolution for the members' selected
/// features, on the targets (or any platform), with or without dev-dependencies.
fn simulated(
    graph: &PackageGraph,
    options: &GraphOptions,
    platform: Option<PlatformSpec>,
) -> Result<Narrowed, GraphError> {
    let mut cargo_options = CargoOptions::new();
    let manifest = graph.workspace().root().as_std_path().join("Cargo.toml");
    cargo_options
        .set_resolver(resolver_version(&manifest))
        .set_include_dev(!options.exclude_dev);
    if let Some(platform) = platform {
        cargo_options.set_platform(platform);
    }

    let mut global: BTreeSet<&str> = BTreeSet::new();
    let mut per_member: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for entry in options
        .features
        .iter()
        .flat_map(|list| list.split([',', ' ']))
    {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry.split_once('/') {
            Some((member, feature)) => {
                per_member.entry(member).or_default().insert(feature);
            }
            None => {
                global.insert(entry);
            }
        }
    }
    for feature in &global {
        if !graph
            .workspace()
            .iter()
            .any(|member| has_feature(member, feature))
        {
            return Err(GraphError::UnknownFeature((*feature).to_owned()));
        }
    }
    for (member_name, features) in &per_member {
        let Some(member) = graph
            .workspace()
            .iter()
            .find(|member| member.name() == *member_name)
        else {
            return Err(GraphError::UnknownMember {
                member: (*member_name).to_owned(),
                feature: features.iter().next().copied().unwrap_or("").to_owned(),
            });
        };
        if let Some(feature) = features
            .iter()
            .find(|feature| !has_feature(member, feature))
        {
            return Err(GraphError::UnknownMemberFeature {
                member: (*member_name).to_owned(),
                feature: (*feature).to_owned(),
            });
        }
    }

    let all_features = options.all_features;
    let default_features = !options.no_default_features;
    let feature_graph = graph.feature_graph();
    let filter = FeatureFilterFn::new(
        |feature_graph: &guppy::graph::feature::FeatureGraph<'_>,
         feature_id: guppy::graph::feature::FeatureId<'_>| {
            if all_features {
                return true;
            }
            let member = feature_id.package_id();
            let member_name = graph
                .metadata(member)
                .map(|metadata| metadata.name())
                .unwrap_or("");
            match feature_id.label() {
                FeatureLabel::Base => true,
                FeatureLabel::Named(name) | FeatureLabel::OptionalDependency(name) => {
                    (default_features
                        && feature_graph
                            .is_default_feature(feature_id)
                            .unwrap_or(false))
                        || global.contains(name)
                        || per_member
                            .get(member_name)
                            .is_some_and(|features| features.contains(name))
                }
            }
        },
    );
    // The initials are the selected features of the members themselves; the cargo-set build
    // follows links from there (dev-dependencies only if included).
    let cargo_set = feature_graph
        .query_workspace(filter)
        .initials()
        .clone()
        .into_cargo_set(&cargo_options)
        .map_err(|error| GraphError::Simulation(error.to_string()))?;

    let mut included: BTreeSet<PackageId> = BTreeSet::new();
    for (_, features) in cargo_set.all_features() {
        included.extend(
            features
                .to_package_set()
                .package_ids(DependencyDirection::Forward)
                .cloned(),
        );
    }
    let links = cargo_set
        .target_links()
        .chain(cargo_set.host_links())
        .chain(cargo_set.build_dep_links())
        .chain(cargo_set.proc_macro_links())
        .map(|link| (link.from().id().clone(), link.to().id().clone()))
        .collect();
    Ok((included.into_iter().collect(), links))
}

/// Whether a member has a feature of that name (a named feature or an optional dependency).
fn has_feature(member: PackageMetadata<'_>, name: &str) -> bool {
    member.named_features().any(|feature| feature == name)
        || member.direct_links().any(|link| {
            link.dep_name() == name && !link.normal().status().optional_status().is_never()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver_of(manifest: &str) -> CargoResolverVersion {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cargo.toml");
        std::fs::write(&path, manifest).unwrap();
        resolver_version(&path)
    }

    #[test]
    fn the_resolver_follows_the_key_else_the_edition() {
        assert_eq!(
            resolver_of("[workspace]\nmembers = [\"a\"]\n"),
            CargoResolverVersion::V1,
            "a virtual manifest without `resolver` is resolver 1"
        );
        assert_eq!(
            resolver_of("[workspace]\nresolver = \"2\"\n"),
            CargoResolverVersion::V2
        );
        assert_eq!(
            resolver_of("[package]\nname = \"a\"\nedition = \"2018\"\n"),
            CargoResolverVersion::V1
        );
        assert_eq!(
            resolver_of("[package]\nname = \"a\"\nedition = \"2021\"\n"),
            CargoResolverVersion::V2
        );
        assert_eq!(
            resolver_of("[package]\nname = \"a\"\nedition = \"2018\"\nresolver = \"2\"\n"),
            CargoResolverVersion::V2
        );
        assert_eq!(
            resolver_of(
                "[workspace.package]\nedition = \"2015\"\n[package]\nname = \"a\"\nedition.workspace = true\n"
            ),
            CargoResolverVersion::V1
        );
        assert_eq!(
            resolver_of("[package]\nname = \"a\"\n"),
            CargoResolverVersion::V1
        );
    }

    #[test]
    fn options_narrow_only_when_given() {
        assert!(!GraphOptions::default().narrows());
        let exclude_dev = GraphOptions {
            exclude_dev: true,
            ..GraphOptions::default()
        };
        assert!(exclude_dev.narrows() && !exclude_dev.selects_features());
        let all = GraphOptions {
            all_features: true,
            ..GraphOptions::default()
        };
        assert!(all.narrows() && all.selects_features());
    }
}
