//! Which copy of a registry's crates cargo reads: cargo's source configuration (`[source]`
//! tables of the `.cargo/config.toml` files above the current directory, then
//! `$CARGO_HOME/config.toml`; the nearest definition of a key wins, as in cargo), with its
//! `replace-with` chains followed to a vendored directory, a local registry, or a registry
//! (the original one, or a mirror).
//!
//! `Cargo.lock` keeps naming the original source when a source is replaced, so the copy to
//! read is always found through this configuration, never guessed from the lock file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::load::graph::{SourceKind, is_crates_io_index};

/// Where cargo reads the crates of one source from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Copy {
    /// A registry: the original one or a mirror that replaces it.
    Registry(Registry),
    /// A directory source (`cargo vendor`): one directory per crate.
    Directory(PathBuf),
    /// A local registry: `.crate` files in a directory.
    LocalRegistry(PathBuf),
    /// A copy this reader does not follow (a git source replacing a registry, a broken chain),
    /// and why.
    Unsupported(String),
}

/// A registry cargo downloads crates from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    /// Its index URL, without `sparse+` or `registry+`.
    pub index: String,
    /// Whether its index uses the sparse protocol.
    pub sparse: bool,
    /// Whether it is crates.io itself (not replaced).
    pub crates_io: bool,
}

impl Registry {
    /// The host names that begin the names of cargo's cache directories for this registry
    /// (`<host>-<hash>` under `$CARGO_HOME/registry/{cache,src}`).
    pub fn cache_hosts(&self) -> Vec<String> {
        if self.crates_io {
            // Whichever protocol cargo was told to use for crates.io.
            return vec!["index.crates.io".to_owned(), "github.com".to_owned()];
        }
        url::Url::parse(&self.index)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .into_iter()
            .collect()
    }
}

/// One `[source.NAME]` table, merged over the configuration files.
#[derive(Clone, Debug, Default)]
struct SourceDefinition {
    replace_with: Option<String>,
    registry: Option<String>,
    directory: Option<PathBuf>,
    local_registry: Option<PathBuf>,
    git: Option<String>,
}

/// Cargo's source configuration, as it applies to the current directory.
#[derive(Clone, Debug, Default)]
pub struct SourceConfig {
    sources: BTreeMap<String, SourceDefinition>,
    registries: BTreeMap<String, String>,
}

/// One of cargo's configuration files, read.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its bytes (empty when it could not be read: cargo itself would then fail, and the graph
    /// is left to it).
    pub bytes: Vec<u8>,
}

/// `$CARGO_HOME`: the variable, else `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|home| !home.is_empty())
                .map(|home| PathBuf::from(home).join(".cargo"))
        })
}

/// The configuration files cargo reads from `cwd`: `.cargo/config` or `.cargo/config.toml` in
/// `cwd` and each ancestor, then in `$CARGO_HOME`; nearest first. Where a directory has both,
/// cargo reads `config` (and warns), so that is the one read.
pub fn config_files(cwd: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = cwd.ancestors().map(|dir| dir.join(".cargo")).collect();
    if let Some(home) = cargo_home()
        && !dirs.contains(&home)
    {
        dirs.push(home);
    }
    dirs.into_iter()
        .filter_map(|dir| {
            ["config", "config.toml"]
                .into_iter()
                .map(|name| dir.join(name))
                .find(|file| file.is_file())
        })
        .collect()
}

/// Reads the configuration files cargo reads from `cwd` (`config_files`), nearest first.
pub fn read_config_files(cwd: &Path) -> Vec<ConfigFile> {
    config_files(cwd)
        .into_iter()
        .map(|path| ConfigFile {
            bytes: crate::support::files::read_bounded(&path, 16 * crate::support::files::MIB)
                .unwrap_or_default(),
            path,
        })
        .collect()
}

impl SourceConfig {
    /// The configuration that applies in `cwd`.
    pub fn discover(cwd: &Path) -> SourceConfig {
        SourceConfig::from_files(&read_config_files(cwd))
    }

    /// The configuration these files (nearest first) make. Files that are not UTF-8 TOML are
    /// skipped (cargo itself would then fail, and the graph is left to it).
    pub fn from_files(files: &[ConfigFile]) -> SourceConfig {
        let mut config = SourceConfig::default();
        for file in files {
            let Ok(text) = std::str::from_utf8(&file.bytes) else {
                continue;
            };
            let Ok(table) = text.parse::<toml::Table>() else {
                continue;
            };
            // Paths are relative to the directory that holds the `.cargo` directory.
            let base = file
                .path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("/"))
                .to_path_buf();
            config.merge(&table, &base);
        }
        config
    }

    /// Merges one file's tables under what nearer files already defined.
    fn merge(&mut self, table: &toml::Table, base: &Path) {
        let text = |table: &toml::Table, key: &str| {
            table
                .get(key)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        };
        if let Some(sources) = table.get("source").and_then(toml::Value::as_table) {
            for (name, definition) in sources {
                let Some(definition) = definition.as_table() else {
                    continue;
                };
                let entry = self.sources.entry(name.clone()).or_default();
                if entry.replace_with.is_none() {
                    entry.replace_with = text(definition, "replace-with");
                }
                if entry.registry.is_none() {
                    entry.registry = text(definition, "registry");
                }
                if entry.directory.is_none() {
                    entry.directory = text(definition, "directory").map(|path| base.join(path));
                }
                if entry.local_registry.is_none() {
                    entry.local_registry =
                        text(definition, "local-registry").map(|path| base.join(path));
                }
                if entry.git.is_none() {
                    entry.git = text(definition, "git");
                }
            }
        }
        if let Some(registries) = table.get("registries").and_then(toml::Value::as_table) {
            for (name, definition) in registries {
                if let Some(index) = definition.as_table().and_then(|t| text(t, "index")) {
                    self.registries.entry(name.clone()).or_insert(index);
                }
            }
        }
    }

    /// Where cargo reads the crates of a lock file source string from (`None` for sources
    /// that are not registries).
    pub fn copy_of(&self, source: &str) -> Option<Copy> {
        let SourceKind::Registry { index, sparse } = SourceKind::parse(Some(source)) else {
            return None;
        };
        let original = if is_crates_io_index(&index) {
            Some("crates-io".to_owned())
        } else {
            let wanted = with_protocol(&index, sparse);
            self.sources
                .iter()
                .find(|(_, definition)| {
                    definition
                        .registry
                        .as_deref()
                        .is_some_and(|url| same_url(url, &wanted))
                })
                .map(|(name, _)| name.clone())
        };
        let unreplaced = Copy::Registry(Registry {
            crates_io: is_crates_io_index(&index),
            index: index.clone(),
            sparse: sparse || is_crates_io_index(&index),
        });
        let Some(mut name) = original else {
            return Some(unreplaced);
        };
        let start = name.clone();
        let mut steps = 0;
        loop {
            let Some(definition) = self.sources.get(&name) else {
                if name == "crates-io" {
                    return Some(unreplaced);
                }
                return Some(match self.registries.get(&name) {
                    Some(index) => registry_copy(index),
                    None => Copy::Unsupported(format!(
                        "cargo's configuration replaces `{start}` with `{name}`, which it does not define"
                    )),
                });
            };
            if let Some(next) = &definition.replace_with {
                steps += 1;
                if steps > 16 || *next == start {
                    return Some(Copy::Unsupported(format!(
                        "cargo's configuration has a cycle of `replace-with` from `{start}`"
                    )));
                }
                name = next.clone();
                continue;
            }
            return Some(if let Some(directory) = &definition.directory {
                Copy::Directory(directory.clone())
            } else if let Some(path) = &definition.local_registry {
                Copy::LocalRegistry(path.clone())
            } else if let Some(url) = &definition.registry {
                if name == start {
                    unreplaced
                } else {
                    registry_copy(url)
                }
            } else if definition.git.is_some() {
                Copy::Unsupported(format!(
                    "cargo's configuration replaces `{start}` with the git source `{name}`"
                ))
            } else if name == "crates-io" {
                unreplaced
            } else {
                Copy::Unsupported(format!(
                    "cargo's configuration defines the source `{name}` without a location"
                ))
            });
        }
    }
}

/// A registry copy from a configured index URL (`sparse+` for the sparse protocol).
fn registry_copy(url: &str) -> Copy {
    let (index, sparse) = match url.strip_prefix("sparse+") {
        Some(index) => (index, true),
        None => (url.strip_prefix("registry+").unwrap_or(url), false),
    };
    let crates_io = is_crates_io_index(index);
    Copy::Registry(Registry {
        index: index.to_owned(),
        sparse: sparse || crates_io,
        crates_io,
    })
}

fn with_protocol(index: &str, sparse: bool) -> String {
    if sparse {
        format!("sparse+{index}")
    } else {
        index.to_owned()
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Registry names and their index URLs, from cargo's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryNames {
    /// Index URL (without `sparse+`) by registry name.
    pub by_name: BTreeMap<String, String>,
}

impl RegistryNames {
    /// Reads `[registries.NAME] index = "..."` from the cargo configuration files that apply to
    /// `workspace_root` (`config_files`: its ancestors', then
    /// `$CARGO_HOME`'s) and from `CARGO_REGISTRIES_<NAME>_INDEX` variables. The nearest
    /// definition wins.
    pub fn discover(workspace_root: &Path) -> RegistryNames {
        let mut names = RegistryNames::default();
        for (key, value) in std::env::vars() {
            if let Some(name) = key
                .strip_prefix("CARGO_REGISTRIES_")
                .and_then(|rest| rest.strip_suffix("_INDEX"))
            {
                names.by_name.insert(
                    name.to_ascii_lowercase().replace('_', "-"),
                    strip_protocol(&value),
                );
            }
        }
        let files = config_files(workspace_root);
        for file in files {
            let Ok(text) = crate::support::files::read_text(&file, 16 * crate::support::files::MIB)
            else {
                continue;
            };
            let Ok(value) = text.parse::<toml::Table>() else {
                continue;
            };
            let Some(registries) = value.get("registries").and_then(|value| value.as_table())
            else {
                continue;
            };
            for (name, table) in registries {
                if let Some(index) = table.get("index").and_then(|index| index.as_str()) {
                    names
                        .by_name
                        .entry(name.clone())
                        .or_insert_with(|| strip_protocol(index));
                }
            }
        }
        names
    }
}

/// A registry index URL without its `sparse+`/`registry+` protocol and trailing `/`.
pub fn strip_protocol(index: &str) -> String {
    index
        .strip_prefix("sparse+")
        .or_else(|| index.strip_prefix("registry+"))
        .unwrap_or(index)
        .trim_end_matches('/')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    #[test]
    fn a_directory_with_both_config_files_is_read_as_cargo_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let cargo_dir = dir.path().join(".cargo");
        std::fs::create_dir_all(&cargo_dir).unwrap();
        std::fs::write(cargo_dir.join("config.toml"), "").unwrap();
        let files = config_files(dir.path());
        assert_eq!(files.first(), Some(&cargo_dir.join("config.toml")));
        std::fs::write(cargo_dir.join("config"), "").unwrap();
        let files = config_files(dir.path());
        assert_eq!(files.first(), Some(&cargo_dir.join("config")));
        assert!(!files.contains(&cargo_dir.join("config.toml")));
    }

    fn config(text: &str, base: &Path) -> SourceConfig {
        let mut config = SourceConfig::default();
        config.merge(&text.parse().unwrap(), base);
        config
    }

    #[test]
    fn vendored_directories_and_local_registries_replace_crates_io() {
        let base = Path::new("/ws");
        let vendored = config(
            "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\ndirectory = \"vendor\"\n",
            base,
        );
        assert_eq!(
            vendored.copy_of(CRATES_IO),
            Some(Copy::Directory(PathBuf::from("/ws/vendor")))
        );
        assert_eq!(
            vendored.copy_of("sparse+https://index.crates.io/"),
            Some(Copy::Directory(PathBuf::from("/ws/vendor"))),
            "crates.io through either protocol"
        );
        let local = config(
            "[source.crates-io]\nreplace-with = \"local\"\n[source.local]\nlocal-registry = \"/srv/registry\"\n",
            base,
        );
        assert_eq!(
            local.copy_of(CRATES_IO),
            Some(Copy::LocalRegistry(PathBuf::from("/srv/registry")))
        );
        assert_eq!(vendored.copy_of("git+https://example.com/a#0123"), None);
    }

    #[test]
    fn mirrors_are_followed_and_broken_chains_are_unsupported() {
        let base = Path::new("/ws");
        let mirror = config(
            "[source.crates-io]\nreplace-with = \"mirror\"\n[source.mirror]\nregistry = \"sparse+https://mirror.example/index/\"\n",
            base,
        );
        let Some(Copy::Registry(registry)) = mirror.copy_of(CRATES_IO) else {
            panic!("a registry");
        };
        assert_eq!(registry.index, "https://mirror.example/index/");
        assert!(registry.sparse && !registry.crates_io);
        assert_eq!(registry.cache_hosts(), vec!["mirror.example".to_owned()]);
        let plain = SourceConfig::default();
        let Some(Copy::Registry(registry)) = plain.copy_of(CRATES_IO) else {
            panic!("a registry");
        };
        assert!(registry.crates_io && registry.sparse);
        let broken = config("[source.crates-io]\nreplace-with = \"nowhere\"\n", base);
        assert!(matches!(
            broken.copy_of(CRATES_IO),
            Some(Copy::Unsupported(_))
        ));
        let cycle = config(
            "[source.crates-io]\nreplace-with = \"a\"\n[source.a]\nreplace-with = \"crates-io\"\n",
            base,
        );
        assert!(matches!(
            cycle.copy_of(CRATES_IO),
            Some(Copy::Unsupported(_))
        ));
        let other = config(
            "[source.inhouse]\nregistry = \"sparse+https://r.example/\"\nreplace-with = \"v\"\n[source.v]\ndirectory = \"/v\"\n",
            base,
        );
        assert_eq!(
            other.copy_of("sparse+https://r.example/"),
            Some(Copy::Directory(PathBuf::from("/v")))
        );
    }
}
