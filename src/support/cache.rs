//! The on-disk cache: where it is, atomic writes, and locks between concurrent runs.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The environment variable that overrides the cache directory.
pub const CACHE_DIR_ENV: &str = "TRUSTCHECK_CACHE_DIR";

/// How long fetched data counts as fresh: within this window `check` makes no requests.
pub const FRESH_FOR: Duration = Duration::from_secs(10 * 60);

/// How a run treats cached data that the network could refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Never touch the network: use what is cached, report what is missing.
    Offline,
    /// Refresh what was fetched longer than this ago.
    IfStale(Duration),
    /// Refresh everything now (`fetch`).
    Always,
}

/// Errors of the cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No cache directory could be determined.
    #[error("no cache directory: set {CACHE_DIR_ENV} (neither XDG_CACHE_HOME nor HOME is set)")]
    NoCacheDir,
    /// A cache file or directory could not be read or written.
    #[error("cache {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The root of the cache, `TRUSTCHECK_CACHE_DIR` or the platform cache dir + `cargo-trustcheck`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheDir {
    root: PathBuf,
}

impl CacheDir {
    /// The cache directory from the environment.
    pub fn from_env() -> Result<CacheDir, CacheError> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|dir| !dir.is_empty()) {
            return Ok(CacheDir {
                root: PathBuf::from(dir),
            });
        }
        platform_cache_dir()
            .map(|dir| CacheDir {
                root: dir.join("cargo-trustcheck"),
            })
            .ok_or(CacheError::NoCacheDir)
    }

    /// A cache rooted at `root`.
    pub fn at(root: impl Into<PathBuf>) -> CacheDir {
        CacheDir { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A subdirectory of the cache, created if missing.
    pub fn subdir(&self, name: &str) -> Result<PathBuf, CacheError> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir).map_err(|source| CacheError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        Ok(dir)
    }
}

/// A directory of the cache's `scratch/` for one run's temporary files, removed when dropped.
/// A run that was killed leaves its directory behind; the next one removes those older than a
/// day.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// A new, empty directory named after `what`.
    pub fn new(cache: &CacheDir, what: &str) -> Result<ScratchDir, CacheError> {
        let parent = cache.subdir("scratch")?;
        remove_older_than(&parent, 86_400);
        let path = parent.join(format!(
            "{what}-{}-{}-{}",
            std::process::id(),
            unix_now(),
            unique_suffix()
        ));
        std::fs::create_dir(&path).map_err(|source| CacheError::Io {
            action: "create",
            path: path.clone(),
            source,
        })?;
        Ok(ScratchDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn remove_older_than(dir: &Path, seconds: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age.as_secs() > seconds);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn platform_cache_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from);
    if cfg!(target_os = "macos") {
        return home.map(|home| home.join("Library/Caches"));
    }
    if cfg!(windows) {
        return std::env::var_os("LOCALAPPDATA").map(PathBuf::from);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|home| home.join(".cache")))
}

/// Writes a file atomically: the bytes go to a temporary file in the same directory,
/// which is then renamed over the target, so readers see the old or the new file, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let io_error = |action, source| CacheError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| io_error("create", source))?;
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("file");
    let temp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        unique_suffix()
    ));
    let result = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error("write", source));
    }
    remove_stale_temp_files(dir, false);
    Ok(())
}

/// How old a temporary file of `write_atomic` must be to count as left behind by a killed run:
/// a live write holds one for milliseconds.
pub const STALE_TEMP_AFTER: Duration = Duration::from_secs(5 * 60);

/// Whether `name` is the name of a temporary file of `write_atomic`.
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Removes the temporary files of `write_atomic` that killed runs left in `dir` (older than
/// `STALE_TEMP_AFTER`), and in its subdirectories too when `recursive`. Best effort: what
/// cannot be read or removed is left. Returns how many were removed.
pub fn remove_stale_temp_files(dir: &Path, recursive: bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if recursive {
                removed += remove_stale_temp_files(&entry.path(), true);
            }
            continue;
        }
        let name = entry.file_name();
        if !file_type.is_file() || !name.to_str().is_some_and(is_temp_name) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age >= STALE_TEMP_AFTER);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// An advisory lock on a file, released when dropped (and when every process that inherited
/// it has exited).
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for FileLock {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.file.as_raw_fd()
    }
}

impl FileLock {
    /// Takes an exclusive lock, waiting for other holders.
    pub fn exclusive(path: &Path) -> Result<FileLock, CacheError> {
        let file = open_lock_file(path)?;
        file.lock().map_err(|source| CacheError::Io {
            action: "lock",
            path: path.to_path_buf(),
            source,
        })?;
        Ok(FileLock { file })
    }

    /// Takes a shared lock, waiting for an exclusive holder.
    pub fn shared(path: &Path) -> Result<FileLock, CacheError> {
        let file = open_lock_file(path)?;
        file.lock_shared().map_err(|source| CacheError::Io {
            action: "lock",
            path: path.to_path_buf(),
            source,
        })?;
        Ok(FileLock { file })
    }
}

fn open_lock_file(path: &Path) -> Result<File, CacheError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::Io {
            action: "create",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| CacheError::Io {
            action: "open",
            path: path.to_path_buf(),
            source,
        })
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// A stable 64-bit FNV-1a hash, for cache file names that must not change between builds.
pub fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A file-name-safe slug of a URL with a hash suffix, e.g. `index.crates.io-1a2b3c4d5e6f7a8b`.
pub fn url_slug(url: &str) -> String {
    let host: String = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .chars()
        .take_while(|c| *c != '/' && *c != ':')
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    format!(
        "{}-{:016x}",
        if host.is_empty() { "local" } else { &host },
        stable_hash(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("entry.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("entry.json")]);
    }

    #[test]
    fn slugs_are_stable_and_distinct() {
        assert_eq!(
            url_slug("https://index.crates.io/"),
            url_slug("https://index.crates.io/")
        );
        assert_ne!(
            url_slug("https://a.example/x"),
            url_slug("https://a.example/y")
        );
        assert!(url_slug("https://github.com/rustsec/advisory-db").starts_with("github.com-"));
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    }
}
