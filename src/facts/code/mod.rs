//! The facts of a crate version's code: what its build script, proc-macro and library code can do
//! (capabilities, each with evidence) and which notable files it ships.
//!
//! `read_code` takes the files exactly as cargo unpacks them and the targets the manifest names.
//! It follows each role's module tree (`modules`), lexes every file of it (`lexer`, with a
//! fallback scanner), resolves paths through `use` declarations (`paths`) and matches them against
//! the capability table (`rules`, read by `scan`). Files are classified by content (`files`).
//! Nothing here reads the disk or the network: the facts are a pure function of the inputs, so
//! they can be cached per crate version and compared between versions.

mod files;
#[cfg(test)]
mod heuristics_tests;
mod lexer;
mod literal;
mod modules;
mod paths;
mod rules;
mod scan;
mod shapes;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use files::classify;

/// The most bytes of one file the caller keeps; a longer file is passed truncated.
pub const MAX_KEPT: u64 = 8 * 1024 * 1024;

/// An included text file is listed among the notable files only from this size on.
pub const LARGE_INCLUDED_TEXT: u64 = 1024 * 1024;

/// At most this many pieces of evidence are kept per capability and role.
pub const MAX_EVIDENCE: usize = 3;

/// One regular file of the crate as cargo would have it on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrateFile {
    /// The path relative to the crate root, `/`-separated.
    pub path: String,
    /// The size of the whole file.
    pub size: u64,
    /// The whole file, or its first [`MAX_KEPT`] bytes when `truncated`.
    pub bytes: Vec<u8>,
    /// True when `bytes` holds only the start of the file.
    pub truncated: bool,
}

/// What the manifest says the targets are (already resolved by the caller).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// The path of the build script, e.g. `build.rs`.
    pub build_script: Option<String>,
    /// The path of the library root, e.g. `src/lib.rs`.
    pub lib: Option<String>,
    /// True when the library is a proc-macro.
    pub proc_macro: bool,
}

/// The part of a crate that code runs as when the crate is a dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The build script and the modules it pulls in: runs on the building machine.
    Build,
    /// The library of a proc-macro crate: runs inside the compiler on the building machine.
    ProcMacro,
    /// The library: runs wherever the final program runs.
    Library,
}

/// Something code can do that a supply-chain policy cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Opens network connections (std sockets, HTTP clients, a download tool run as a process).
    Network,
    /// Runs other programs.
    Execute,
    /// Names a credential store: SSH keys, cloud tokens, browser profiles, wallets.
    Credentials,
    /// Reads a secret-looking environment variable, or iterates all of them and names one.
    SecretEnv,
    /// Iterates every environment variable (`std::env::vars`): common in build scripts, and a
    /// secret read only together with a secret's name or the network.
    ReadsAllEnv,
    /// A build script writes, creates or removes files outside `OUT_DIR` (heuristic).
    WritesOutsideOutDir,
    /// Loads native code at run time (`dlopen`, `LoadLibrary`, executable memory).
    DynamicLoad,
    /// Turns TLS certificate or host name verification off.
    TlsUnverified,
    /// Carries an encoded payload: base64/hex/high-entropy literals, decoded byte tables, XOR.
    Obfuscation,
    /// Network (or a download tool run as a process) and Execute in the same role.
    DownloadExecute,
    /// Credentials, SecretEnv or ReadsAllEnv, and Network, in the same role.
    Exfiltration,
}

/// Where a capability shows, and what shows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Evidence {
    /// The file, relative to the crate root.
    pub file: String,
    /// The line (1-based).
    pub line: u32,
    /// The resolved path or call (`std::net::TcpStream::connect`), or the literal, shortened.
    pub shows: String,
}

/// Native code formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NativeFormat {
    /// ELF (Linux and most Unix): executables, shared and object files.
    Elf,
    /// PE (Windows): executables and DLLs.
    Pe,
    /// Mach-O (Apple), thin or fat.
    MachO,
    /// WebAssembly module.
    Wasm,
    /// `ar` archive: static libraries (`.a`, `.rlib`; MSVC `.lib`).
    Ar,
}

/// What a file is, by content.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// Rust source (text named `.rs`).
    Rust,
    /// Other text.
    Text,
    /// Native code.
    Native(NativeFormat),
    /// A compressed file or archive: `gzip`, `zip`, `xz`, `bzip2`, `zstd`, `7z`.
    Compressed(String),
    /// Images, PDF, fonts.
    Media,
    /// Binary of high entropy and no known format: encrypted or compressed data.
    Opaque,
    /// Other binary.
    Binary,
}

/// One notable file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileFact {
    /// Its size.
    pub size: u64,
    /// What it is.
    pub kind: FileKind,
    /// True when code of a role pulls it in with `include_bytes!` or `include_str!`.
    pub included: bool,
}

/// The facts of one crate version's code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CodeFacts {
    /// Per role, each capability with at most [`MAX_EVIDENCE`] pieces of evidence, earliest first
    /// (files in module order from the root, then lines).
    pub roles: BTreeMap<Role, BTreeMap<Capability, Vec<Evidence>>>,
    /// Notable files only: native code, compressed, opaque and other binary files, and files
    /// pulled in by `include_bytes!`/`include_str!` (text only from [`LARGE_INCLUDED_TEXT`] on).
    pub files: BTreeMap<String, FileFact>,
    /// Role files (modules, `include!`d and `include_bytes!`d files) that could not be read, as
    /// `path: reason`, sorted.
    pub unreadable: Vec<String>,
    /// Role files that proc-macro2 could not lex, scanned by the fallback scanner instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback: Vec<String>,
}

/// From this size on, an opaque or compressed file counts among a crate's binaries wherever it
/// is (256 KiB); one that code pulls in with `include_bytes!` counts whatever its size.
pub const BLOB_MIN: u64 = 256 * 1024;

impl Role {
    /// Every role, in report order.
    pub const ALL: [Role; 3] = [Role::Build, Role::ProcMacro, Role::Library];

    /// The kebab-case name (`trustcheck.lock`, JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Build => "build",
            Role::ProcMacro => "proc-macro",
            Role::Library => "library",
        }
    }

    /// What the role is, in words: "its build script".
    pub fn describe(self) -> &'static str {
        match self {
            Role::Build => "its build script",
            Role::ProcMacro => "its proc-macro",
            Role::Library => "its library",
        }
    }

    /// Whether code of this role runs on the machine that builds (build script, proc-macro).
    pub fn runs_at_build_time(self) -> bool {
        matches!(self, Role::Build | Role::ProcMacro)
    }
}

impl Capability {
    /// The kebab-case name (`trustcheck.lock`, JSON, the policy).
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Network => "network",
            Capability::Execute => "execute",
            Capability::Credentials => "credentials",
            Capability::SecretEnv => "secret-env",
            Capability::ReadsAllEnv => "reads-all-env",
            Capability::WritesOutsideOutDir => "writes-outside-out-dir",
            Capability::DynamicLoad => "dynamic-load",
            Capability::TlsUnverified => "tls-unverified",
            Capability::Obfuscation => "obfuscation",
            Capability::DownloadExecute => "download-execute",
            Capability::Exfiltration => "exfiltration",
        }
    }

    /// What it is, in words: "reads credential stores".
    pub fn describe(self) -> &'static str {
        match self {
            Capability::Network => "opens network connections",
            Capability::Execute => "runs other programs",
            Capability::Credentials => {
                "reads credential stores (SSH keys, cloud tokens, browser profiles, wallets)"
            }
            Capability::SecretEnv => "reads secret environment variables",
            Capability::ReadsAllEnv => "reads every environment variable",
            Capability::WritesOutsideOutDir => "writes files outside OUT_DIR",
            Capability::DynamicLoad => "loads native code at run time",
            Capability::TlsUnverified => "turns TLS verification off",
            Capability::Obfuscation => "carries an encoded payload",
            Capability::DownloadExecute => "downloads and runs a program",
            Capability::Exfiltration => "sends secrets or credentials over the network",
        }
    }

    /// Every capability, in order.
    pub const ALL: [Capability; 11] = [
        Capability::Network,
        Capability::Execute,
        Capability::Credentials,
        Capability::SecretEnv,
        Capability::ReadsAllEnv,
        Capability::WritesOutsideOutDir,
        Capability::DynamicLoad,
        Capability::TlsUnverified,
        Capability::Obfuscation,
        Capability::DownloadExecute,
        Capability::Exfiltration,
    ];
}

impl std::str::FromStr for Capability {
    type Err = ();

    fn from_str(text: &str) -> Result<Capability, ()> {
        Capability::ALL
            .into_iter()
            .find(|capability| capability.as_str() == text)
            .ok_or(())
    }
}

impl std::str::FromStr for Role {
    type Err = ();

    fn from_str(text: &str) -> Result<Role, ()> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or(())
    }
}

impl FileKind {
    /// What the file is, in words: "an ELF executable or library".
    pub fn describe(&self) -> String {
        match self {
            FileKind::Native(NativeFormat::Elf) => "an ELF executable or library".to_owned(),
            FileKind::Native(NativeFormat::Pe) => "a Windows executable or DLL".to_owned(),
            FileKind::Native(NativeFormat::MachO) => "a Mach-O executable or library".to_owned(),
            FileKind::Native(NativeFormat::Wasm) => "a WebAssembly module".to_owned(),
            FileKind::Native(NativeFormat::Ar) => "a static library".to_owned(),
            FileKind::Compressed(format) => format!("a {format} archive"),
            FileKind::Opaque => "opaque high-entropy data".to_owned(),
            FileKind::Binary => "binary data".to_owned(),
            FileKind::Media => "an image, PDF or font".to_owned(),
            FileKind::Rust => "Rust source".to_owned(),
            FileKind::Text => "text".to_owned(),
        }
    }
}

impl CodeFacts {
    /// The files that count as the crate's binaries: native code, and opaque or compressed
    /// data from `BLOB_MIN` bytes on or pulled in by code.
    pub fn binaries(&self) -> impl Iterator<Item = (&String, &FileFact)> {
        self.files.iter().filter(|(_, file)| match file.kind {
            FileKind::Native(_) => true,
            FileKind::Opaque | FileKind::Compressed(_) => file.included || file.size >= BLOB_MIN,
            FileKind::Binary => file.included && file.size >= BLOB_MIN,
            _ => false,
        })
    }

    /// The capabilities of each role, without their evidence.
    pub fn capabilities(&self) -> BTreeMap<Role, BTreeSet<Capability>> {
        self.roles
            .iter()
            .map(|(role, capabilities)| (*role, capabilities.keys().copied().collect()))
            .collect()
    }
}

/// Derives the facts of a crate version's code from its files and targets.
pub fn read_code(files: &[CrateFile], targets: &Targets) -> CodeFacts {
    let crate_files: BTreeMap<String, &CrateFile> = files
        .iter()
        .map(|f| (modules::clean_path(&f.path), f))
        .collect();
    let mut facts = CodeFacts::default();
    let mut unreadable = BTreeSet::new();
    let mut fallback = BTreeSet::new();
    let mut included = BTreeSet::new();
    let mut cache = modules::LexCache::default();

    let mut roots = Vec::new();
    if let Some(build) = &targets.build_script {
        roots.push((Role::Build, build));
    }
    if let Some(lib) = &targets.lib {
        roots.push((
            if targets.proc_macro {
                Role::ProcMacro
            } else {
                Role::Library
            },
            lib,
        ));
    }
    for (role, root) in roots {
        let tree = modules::discover(&crate_files, root, &mut cache);
        unreadable.extend(tree.unreadable.iter().cloned());
        fallback.extend(
            tree.files
                .iter()
                .filter(|f| f.lexed.fallback)
                .map(|f| f.path.clone()),
        );
        included.extend(tree.included.iter().cloned());
        let caps = scan::scan_role(role, &tree.files);
        if !caps.is_empty() {
            facts.roles.insert(role, caps);
        }
    }

    for (path, file) in &crate_files {
        let kind = classify(path, &file.bytes, file.size);
        let is_included = included.contains(path);
        let notable = match kind {
            FileKind::Native(_) | FileKind::Compressed(_) | FileKind::Opaque | FileKind::Binary => {
                true
            }
            FileKind::Media => is_included,
            FileKind::Rust | FileKind::Text => is_included && file.size >= LARGE_INCLUDED_TEXT,
        };
        if notable {
            facts.files.insert(
                path.clone(),
                FileFact {
                    size: file.size,
                    kind,
                    included: is_included,
                },
            );
        }
    }
    facts.unreadable = unreadable.into_iter().collect();
    facts.fallback = fallback.into_iter().collect();
    facts
}
