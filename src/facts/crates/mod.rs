//! The facts of a published crate version, which never change once it is published: its
//! `license`, its `license-file` and the SHA-256 of its license files, its build code (build
//! script, proc-macro), and whether it has a library. The lockfile-first graph
//! (`load::workspace::lockfile_graph`) gives registry packages these facts without `cargo metadata`.
//!
//! They are read from the crate itself, as cargo reads it: from a directory (cargo's registry
//! cache, a vendored directory) or from a `.crate` archive. Where cargo infers something from
//! the files (`build.rs`, `src/lib.rs`), so does this; where it cannot be sure (a symbolic link
//! in an archive, a manifest it does not read as cargo does), it says so and the caller leaves
//! the crate to `cargo metadata`.
//!
//! - `manifest`: what `Cargo.toml` says;
//! - `archive`: reading a `.crate` file, bounded;
//! - `cache`: the content-addressed fact cache;
//! - `sources`: cargo's source configuration (replacement: vendored, local registries, mirrors);
//! - `local`: the copies on disk: cargo's registry cache, vendored directories, local registries;
//! - `download`: one `.crate` from its registry, its checksum verified;
//! - `obtain`: the order in which the sources are asked, for a whole lock file.

pub mod archive;
pub mod cache;
pub mod download;
pub mod license_files;
pub mod local;
pub mod manifest;
pub mod obtain;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::facts::code::{self, CodeFacts, CrateFile, Targets};
use crate::load::graph::BuildCode;
use manifest::{BuildSetting, LibSetting};

/// The largest `Cargo.toml` read (cargo's own manifests are far smaller).
pub const MAX_MANIFEST: u64 = 10 * crate::support::files::MIB;

/// Why the facts of a crate could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CrateError {
    /// The crate is not one cargo would accept (a damaged archive, a manifest without a name).
    #[error("{0}")]
    Invalid(String),
    /// Cargo would read something here that this reader does not follow (a symbolic link in
    /// an archive, a value of an unexpected type): only `cargo metadata` can be sure.
    #[error("{0}")]
    Unsupported(String),
    /// A file of the crate could not be read.
    #[error("{0}")]
    Read(String),
}

/// The facts of one published crate version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CrateFacts {
    /// `package.license`, as written.
    pub license: Option<String>,
    /// `package.license-file`, as written.
    pub license_file: Option<String>,
    /// It has a build script.
    pub build_script: bool,
    /// It is a proc-macro crate.
    pub proc_macro: bool,
    /// It has a library target (cargo leaves a dependency on a crate without one out of the
    /// graph it reports).
    pub has_lib: bool,
    /// The SHA-256 of the files the license check may read, by path inside the crate: the
    /// license file, the files at the root whose names say they hold a license, and the files
    /// the policy's clarifications named when these facts were read. A path absent here either
    /// was not looked at or is not a regular file of at most `license_files::MAX_LICENSE_FILE` bytes
    /// inside the crate.
    pub files: BTreeMap<String, String>,
    /// What its code can do, per role, and the binaries it ships (`facts::code`); `None`: not
    /// read (the license and build code are the baseline's claim, no copy being at hand).
    pub code: Option<CodeFacts>,
}

impl CrateFacts {
    /// The build code.
    pub fn build_code(&self) -> BuildCode {
        BuildCode {
            build_script: self.build_script,
            proc_macro: self.proc_macro,
        }
    }

    /// Whether the facts hold the SHA-256 of every path in `wanted`.
    pub fn covers<'a>(&self, mut wanted: impl Iterator<Item = &'a str>) -> bool {
        wanted.all(|path| self.files.contains_key(path))
    }

    /// The key of the license file in `files`: the path as the license check names it.
    pub fn license_file_key(&self) -> Option<String> {
        self.license_file.as_deref().map(license_file_key)
    }
}

/// The directory a package known only by its facts is given in the graph: it does not exist,
/// and nothing reads it (the license check reads the recorded hashes instead).
pub fn virtual_dir(name: &str, version: &semver::Version) -> PathBuf {
    PathBuf::from(format!("/{name}-{version}"))
}

/// A `license-file` value as a path inside the crate, as the license check names it (the
/// check joins it to the crate's directory and strips the directory again).
pub fn license_file_key(field: &str) -> String {
    let dir = Path::new("/crate");
    let file = dir.join(field);
    file.strip_prefix(dir)
        .unwrap_or(&file)
        .display()
        .to_string()
}

/// Whether a file name at the root of a crate says it holds a license (`LICENSE-MIT`,
/// `COPYING`, `NOTICE` ...): such files are hashed ahead of any clarification naming them.
pub fn is_license_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "licen",
        "copying",
        "copyright",
        "notice",
        "unlicense",
        "patent",
    ]
    .iter()
    .any(|prefix| lower.starts_with(prefix))
}

/// Whether a path is written the one way an archive names a file: relative, `/`-separated
/// components, none empty, `.` or `..`.
pub fn is_plain_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// What the reader of a crate's contents can tell of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathFact {
    /// A regular file (after following symbolic links, on disk).
    File,
    /// Not a regular file, or not there at all.
    NotFile,
}

/// The contents of a crate, on disk or in an archive, as the fact reader needs them.
pub trait Contents {
    /// The text of `Cargo.toml`.
    fn manifest(&self) -> Result<String, CrateError>;
    /// Whether `path` is a regular file, as cargo's `Path::is_file` would say.
    fn path_fact(&self, path: &str) -> Result<PathFact, CrateError>;
    /// The SHA-256 of `path` as the license check computes it (`None`: the check could not
    /// read it as a license file).
    fn hash(&self, path: &str) -> Result<Option<String>, CrateError>;
    /// The names of the entries at the root.
    fn root_names(&self) -> Vec<String>;
    /// Every regular file of the crate as cargo has it on disk, its bytes up to
    /// `code::MAX_KEPT`: what the code facts are read from.
    fn files(&self) -> Result<Vec<CrateFile>, CrateError>;
}

/// Reads the facts of a crate from its contents, hashing its license files and `wanted`.
/// `name` and `version` must be those of its manifest.
pub fn read_facts(
    contents: &dyn Contents,
    name: &str,
    version: &semver::Version,
    wanted: &[&str],
) -> Result<CrateFacts, CrateError> {
    let manifest = manifest::parse(&contents.manifest()?)?;
    if manifest.name != name || &manifest.version != version {
        return Err(CrateError::Invalid(format!(
            "its Cargo.toml names {} {}, not {name} {version}",
            manifest.name, manifest.version
        )));
    }
    let is_file = |path: &str| Ok::<_, CrateError>(contents.path_fact(path)? == PathFact::File);
    let build_script = match manifest.build {
        BuildSetting::Inferred => is_file("build.rs")?,
        BuildSetting::Declared => true,
        BuildSetting::Disabled => false,
    };
    let (has_lib, proc_macro) = match manifest.lib {
        LibSetting::Inferred => (is_file("src/lib.rs")?, false),
        LibSetting::Declared { proc_macro } => (true, proc_macro),
        LibSetting::None => (false, false),
    };
    let mut paths: BTreeSet<String> = contents
        .root_names()
        .into_iter()
        .filter(|name| is_license_name(name))
        .collect();
    paths.extend(manifest.license_file.as_deref().map(license_file_key));
    paths.extend(wanted.iter().map(|path| (*path).to_owned()));
    let mut files = BTreeMap::new();
    for path in paths {
        if let Some(hash) = contents.hash(&path)? {
            files.insert(path, hash);
        }
    }
    let targets = Targets {
        build_script: build_script.then(|| target_path(&manifest.build_path)),
        lib: has_lib.then(|| target_path(&manifest.lib_path)),
        proc_macro,
    };
    let code = code::read_code(&contents.files()?, &targets);
    Ok(CrateFacts {
        license: manifest.license,
        license_file: manifest.license_file,
        build_script,
        proc_macro,
        has_lib,
        files,
        code: Some(code),
    })
}

/// A target's path from the manifest as a path inside the crate (`./build.rs` is `build.rs`).
fn target_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// A crate directory on disk (cargo's registry cache, a vendored directory): read as cargo and
/// the license check read it.
pub struct Directory<'a>(pub &'a Path);

impl Contents for Directory<'_> {
    fn manifest(&self) -> Result<String, CrateError> {
        crate::support::files::read_text(&self.0.join("Cargo.toml"), MAX_MANIFEST)
            .map_err(|error| CrateError::Read(error.to_string()))
    }

    fn path_fact(&self, path: &str) -> Result<PathFact, CrateError> {
        Ok(if self.0.join(path).is_file() {
            PathFact::File
        } else {
            PathFact::NotFile
        })
    }

    fn hash(&self, path: &str) -> Result<Option<String>, CrateError> {
        Ok(crate::facts::crates::license_files::hash_in_crate(self.0, path).ok())
    }

    fn files(&self) -> Result<Vec<CrateFile>, CrateError> {
        let root = self
            .0
            .canonicalize()
            .map_err(|error| CrateError::Read(format!("the crate directory: {error}")))?;
        let mut files = Vec::new();
        let mut pending = vec![(root.clone(), String::new())];
        let mut total = 0u64;
        while let Some((dir, prefix)) = pending.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|error| CrateError::Read(format!("{}: {error}", dir.display())))?;
            for entry in entries {
                let entry = entry.map_err(|error| CrateError::Read(error.to_string()))?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    return Err(CrateError::Unsupported(format!(
                        "{prefix}: a file name that is not UTF-8"
                    )));
                };
                let path = entry.path();
                let relative = format!("{prefix}{name}");
                // What cargo reads through a symbolic link is what it points to, and only
                // what stays inside the crate is read here.
                let Ok(real) = path.canonicalize() else {
                    continue;
                };
                if !real.starts_with(&root) {
                    continue;
                }
                if real.is_dir() {
                    if path.is_symlink() {
                        continue;
                    }
                    pending.push((path, format!("{relative}/")));
                } else if real.is_file() {
                    let file = read_kept(&real, &relative)?;
                    total += file.size;
                    if total > archive::MAX_UNPACKED {
                        return Err(CrateError::Invalid(format!(
                            "the crate holds more than {} bytes",
                            archive::MAX_UNPACKED
                        )));
                    }
                    files.push(file);
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    fn root_names(&self) -> Vec<String> {
        std::fs::read_dir(self.0)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|entry| entry.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A file of a crate directory, its bytes up to `code::MAX_KEPT`.
fn read_kept(path: &Path, relative: &str) -> Result<CrateFile, CrateError> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|error| CrateError::Read(format!("{relative}: {error}")))?;
    let size = file
        .metadata()
        .map_err(|error| CrateError::Read(format!("{relative}: {error}")))?
        .len();
    let mut bytes = Vec::with_capacity(size.min(code::MAX_KEPT) as usize);
    file.take(code::MAX_KEPT)
        .read_to_end(&mut bytes)
        .map_err(|error| CrateError::Read(format!("{relative}: {error}")))?;
    Ok(CrateFile {
        path: relative.to_owned(),
        size,
        truncated: size > bytes.len() as u64,
        bytes,
    })
}

/// The lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::facts::crates::license_files::sha256_hex(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_directory_gives_its_build_code_library_and_license_files() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"1.0.0\"\nlicense-file = \"docs/COPYING.txt\"\n",
        );
        write(dir.path(), "build.rs", "fn main() {}");
        write(dir.path(), "src/lib.rs", "");
        write(dir.path(), "docs/COPYING.txt", "terms");
        write(dir.path(), "LICENSE-MIT", "mit");
        write(dir.path(), "README.md", "readme");
        let facts = read_facts(
            &Directory(dir.path()),
            "a",
            &semver::Version::new(1, 0, 0),
            &["README.md", "missing"],
        )
        .unwrap();
        assert!(facts.build_script && facts.has_lib && !facts.proc_macro);
        assert_eq!(facts.license, None);
        assert_eq!(
            facts.license_file_key().as_deref(),
            Some("docs/COPYING.txt")
        );
        assert_eq!(
            facts.files.keys().collect::<Vec<_>>(),
            vec!["LICENSE-MIT", "README.md", "docs/COPYING.txt"]
        );
        assert_eq!(facts.files["LICENSE-MIT"], sha256_hex(b"mit"));
        assert!(facts.covers(["README.md"].into_iter()));
        assert!(!facts.covers(["missing"].into_iter()));
        let error = read_facts(
            &Directory(dir.path()),
            "b",
            &semver::Version::new(1, 0, 0),
            &[],
        )
        .unwrap_err();
        assert!(matches!(error, CrateError::Invalid(_)), "{error}");
    }

    #[test]
    fn license_file_keys_are_what_the_license_check_names() {
        assert_eq!(license_file_key("LICENSE"), "LICENSE");
        assert_eq!(license_file_key("./LICENSE"), "LICENSE");
        assert_eq!(license_file_key("../LICENSE"), "../LICENSE");
        assert!(is_plain_path("a/LICENSE") && !is_plain_path("./a") && !is_plain_path("a//b"));
        assert!(is_license_name("LICENSE-APACHE") && is_license_name("Copying"));
        assert!(!is_license_name("README.md"));
    }
}
