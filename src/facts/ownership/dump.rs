//! Importing a crates.io database dump (`db-dump.tar.gz`) into the ownership cache, so that a
//! first baseline of a large graph does not take hundreds of rate-limited API requests.
//!
//! The archive holds `<timestamp>/data/{crates,crate_owners,users,teams,versions}.csv` and
//! `<timestamp>/metadata.json`. Columns are found by their header names. The archive is read
//! twice: first the small tables (crates, users, teams, metadata), then owners and versions
//! filtered to the wanted crates, so memory stays small whatever the order of the entries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::cache::{FactSource, OwnershipCache, Stamped};
use super::{OwnerKind, OwnerRecord, Publisher, VersionInfo};
use crate::support::cache::CacheError;

/// Errors while importing a dump.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The file could not be read.
    #[error("could not read the database dump {path}: {message}")]
    Read {
        /// The dump.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A table is missing or malformed.
    #[error("invalid database dump {path}: {message}")]
    Invalid {
        /// The dump.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The cache could not be written.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpImport {
    /// Wanted crates found in the dump.
    pub crates: usize,
    /// Wanted crates not in the dump.
    pub missing: Vec<String>,
    /// The dump's timestamp, as written in its metadata.
    pub timestamp: Option<String>,
}

#[derive(Default)]
struct SmallTables {
    crate_ids: HashMap<u64, String>,
    users: HashMap<u64, (String, Option<String>)>,
    teams: HashMap<u64, (String, Option<String>)>,
    timestamp: Option<String>,
}

fn table_name(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let in_data = path
        .parent()
        .and_then(|parent| parent.file_name())
        .is_some_and(|dir| dir == "data");
    if name == "metadata.json" {
        return Some(name);
    }
    in_data.then_some(name)
}

fn for_each_entry(
    path: &Path,
    mut visit: impl FnMut(&str, &mut dyn Read) -> Result<(), DumpError>,
) -> Result<(), DumpError> {
    let read_error = |message: String| DumpError::Read {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|error| read_error(error.to_string()))?;
    let mut archive =
        tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    for entry in archive
        .entries()
        .map_err(|error| read_error(error.to_string()))?
    {
        let mut entry = entry.map_err(|error| read_error(error.to_string()))?;
        let entry_path = entry
            .path()
            .map_err(|error| read_error(error.to_string()))?
            .into_owned();
        if let Some(table) = table_name(&entry_path) {
            let table = table.to_owned();
            visit(&table, &mut entry)?;
        }
    }
    Ok(())
}

/// A CSV table with its columns found by header name.
struct Table<R: Read> {
    reader: csv::Reader<R>,
    columns: HashMap<String, usize>,
    name: String,
}

impl<R: Read> Table<R> {
    fn new(name: &str, input: R, path: &Path) -> Result<Table<R>, DumpError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(input);
        let headers = reader.headers().map_err(|error| DumpError::Invalid {
            path: path.to_path_buf(),
            message: format!("{name}: {error}"),
        })?;
        let columns = headers
            .iter()
            .enumerate()
            .map(|(index, header)| (header.to_owned(), index))
            .collect();
        Ok(Table {
            reader,
            columns,
            name: name.to_owned(),
        })
    }

    fn column(&self, name: &str, path: &Path) -> Result<usize, DumpError> {
        self.columns
            .get(name)
            .copied()
            .ok_or_else(|| DumpError::Invalid {
                path: path.to_path_buf(),
                message: format!("{} has no column `{name}`", self.name),
            })
    }

    fn rows(
        &mut self,
        path: &Path,
        mut each: impl FnMut(&csv::StringRecord),
    ) -> Result<(), DumpError> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(true) => each(&record),
                Ok(false) => return Ok(()),
                Err(error) => {
                    return Err(DumpError::Invalid {
                        path: path.to_path_buf(),
                        message: format!("{}: {error}", self.name),
                    });
                }
            }
        }
    }
}

fn number(field: Option<&str>) -> Option<u64> {
    field.and_then(|text| text.trim().parse().ok())
}

fn text(field: Option<&str>) -> Option<String> {
    field
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// Unix seconds of an RFC 3339 timestamp such as `2024-09-12T02:00:02.123Z` (UTC).
pub fn unix_seconds(timestamp: &str) -> Option<u64> {
    crate::support::date::unix_seconds(timestamp).and_then(|seconds| u64::try_from(seconds).ok())
}

/// Imports the owners and version publishers of the `wanted` crates from the dump at `path`.
pub fn import(
    path: &Path,
    wanted: &BTreeSet<String>,
    cache: &OwnershipCache,
) -> Result<DumpImport, DumpError> {
    let mut small = SmallTables::default();
    for_each_entry(path, |table, input| {
        match table {
            "metadata.json" => {
                let mut text = String::new();
                let _ = input.read_to_string(&mut text);
                small.timestamp = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|value| value["timestamp"].as_str().map(str::to_owned));
            }
            "crates.csv" => {
                let mut table = Table::new(table, input, path)?;
                let (id, name) = (table.column("id", path)?, table.column("name", path)?);
                table.rows(path, |row| {
                    if let (Some(id), Some(name)) = (number(row.get(id)), row.get(name))
                        && wanted.contains(name)
                    {
                        small.crate_ids.insert(id, name.to_owned());
                    }
                })?;
            }
            "users.csv" => {
                let mut table = Table::new(table, input, path)?;
                let (id, login, name) = (
                    table.column("id", path)?,
                    table.column("gh_login", path)?,
                    table.column("name", path)?,
                );
                table.rows(path, |row| {
                    if let (Some(id), Some(login)) = (number(row.get(id)), text(row.get(login))) {
                        small.users.insert(id, (login, text(row.get(name))));
                    }
                })?;
            }
            "teams.csv" => {
                let mut table = Table::new(table, input, path)?;
                let (id, login, name) = (
                    table.column("id", path)?,
                    table.column("login", path)?,
                    table.column("name", path)?,
                );
                table.rows(path, |row| {
                    if let (Some(id), Some(login)) = (number(row.get(id)), text(row.get(login))) {
                        small.teams.insert(id, (login, text(row.get(name))));
                    }
                })?;
            }
            _ => {}
        }
        Ok(())
    })?;
    if small.users.is_empty() && small.crate_ids.is_empty() {
        return Err(DumpError::Invalid {
            path: path.to_path_buf(),
            message: "no data/crates.csv or data/users.csv in the archive: is it a crates.io database dump?".to_owned(),
        });
    }

    let mut owners: BTreeMap<String, Vec<OwnerRecord>> = BTreeMap::new();
    let mut versions: BTreeMap<String, BTreeMap<String, VersionInfo>> = BTreeMap::new();
    for_each_entry(path, |table, input| {
        match table {
            "crate_owners.csv" => {
                let mut table = Table::new(table, input, path)?;
                let (crate_id, owner_id, kind) = (
                    table.column("crate_id", path)?,
                    table.column("owner_id", path)?,
                    table.column("owner_kind", path)?,
                );
                table.rows(path, |row| {
                    let Some(name) =
                        number(row.get(crate_id)).and_then(|id| small.crate_ids.get(&id))
                    else {
                        return;
                    };
                    let Some(owner) = number(row.get(owner_id)) else {
                        return;
                    };
                    let (kind, known) = if row.get(kind).map(str::trim) == Some("1") {
                        (OwnerKind::Team, small.teams.get(&owner))
                    } else {
                        (OwnerKind::User, small.users.get(&owner))
                    };
                    if let Some((login, display_name)) = known {
                        owners.entry(name.clone()).or_default().push(OwnerRecord {
                            kind,
                            id: owner,
                            login: login.clone(),
                            name: display_name.clone(),
                        });
                    }
                })?;
            }
            "versions.csv" => {
                let mut table = Table::new(table, input, path)?;
                let columns = (
                    table.column("crate_id", path)?,
                    table.column("num", path)?,
                    table.column("license", path)?,
                    table.column("yanked", path)?,
                    table.column("published_by", path)?,
                    table.column("created_at", path)?,
                );
                let (crate_id, num, license, yanked, published_by, created_at) = columns;
                table.rows(path, |row| {
                    let Some(name) =
                        number(row.get(crate_id)).and_then(|id| small.crate_ids.get(&id))
                    else {
                        return;
                    };
                    let Some(num) = text(row.get(num)) else {
                        return;
                    };
                    let publisher = number(row.get(published_by)).and_then(|id| {
                        small.users.get(&id).map(|(login, _)| Publisher::Account {
                            id,
                            login: login.clone(),
                        })
                    });
                    versions.entry(name.clone()).or_default().insert(
                        num,
                        VersionInfo {
                            license: text(row.get(license)),
                            yanked: matches!(row.get(yanked).map(str::trim), Some("t" | "true")),
                            created_at: text(row.get(created_at)),
                            published_by: publisher,
                            yanked_by: None,
                        },
                    );
                })?;
            }
            _ => {}
        }
        Ok(())
    })?;

    let fetched_at = small
        .timestamp
        .as_deref()
        .and_then(unix_seconds)
        .unwrap_or_else(crate::support::cache::unix_now);
    fn stamp<T>(fetched_at: u64, value: T) -> Stamped<T> {
        Stamped {
            fetched_at,
            source: FactSource::DbDump,
            value,
        }
    }
    let mut import = DumpImport {
        timestamp: small.timestamp.clone(),
        ..DumpImport::default()
    };
    let found: BTreeSet<&String> = small.crate_ids.values().collect();
    for name in wanted {
        // A name that is not a valid crate name never becomes a cache path.
        if !found.contains(name) || !crate::facts::index::is_valid_name(name) {
            import.missing.push(name.clone());
            continue;
        }
        import.crates += 1;
        let mut crate_owners = owners.remove(name).unwrap_or_default();
        crate_owners.sort();
        crate_owners.dedup();
        cache.record_owners(name, stamp(fetched_at, crate_owners))?;
        cache.record_versions(
            name,
            stamp(fetched_at, versions.remove(name).unwrap_or_default()),
        )?;
    }
    Ok(import)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::support::cache::CacheDir;

    /// Builds a dump in the real layout: `<timestamp>/data/*.csv` and `<timestamp>/metadata.json`,
    /// with the tables in an order where owners and versions come before crates.
    pub(crate) fn write_dump(path: &Path, tables: &[(&str, &str)]) {
        let file = std::fs::File::create(path).unwrap();
        let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(encoder);
        for (name, content) in tables {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            let entry_path = if *name == "metadata.json" {
                format!("2026-11-20-020002/{name}")
            } else {
                format!("2026-11-20-020002/data/{name}")
            };
            builder
                .append_data(&mut header, entry_path, content.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
    }

    #[test]
    fn imports_owners_and_publishers_of_wanted_crates() {
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("db-dump.tar.gz");
        write_dump(
            &dump,
            &[
                (
                    "crate_owners.csv",
                    "crate_id,owner_id,created_at,created_by,owner_kind\n1,10,2020-01-01 00:00:00,10,0\n1,20,2020-01-01 00:00:00,10,1\n2,11,2020-01-01 00:00:00,11,0\n",
                ),
                (
                    "versions.csv",
                    "id,crate_id,num,num_no_build,updated_at,created_at,downloads,features,yanked,license,crate_size,published_by,checksum,links,rust_version,has_lib,bin_names,edition,description\n100,1,1.0.0,1.0.0,x,2020-01-01 00:00:00,5,{},f,MIT,10,10,abc,,,t,{},2021,\"a, quoted\"\n101,1,1.1.0,1.1.0,x,2021-01-01 00:00:00,5,{},t,MIT OR Apache-2.0,10,,abc,,,t,{},2021,\n",
                ),
                (
                    "crates.csv",
                    "id,name,updated_at,created_at,description,homepage,documentation,readme,repository,max_upload_size,max_features\n1,serde,x,x,\"multi\nline\",,,,,,\n2,other,x,x,,,,,,,\n",
                ),
                (
                    "users.csv",
                    "id,gh_login,name,gh_avatar,gh_id\n10,dtolnay,David Tolnay,,1\n11,someone,,,2\n",
                ),
                (
                    "teams.csv",
                    "id,login,github_id,name,avatar,org_id\n20,github:serde-rs:publish,5,publish,,6\n",
                ),
                (
                    "metadata.json",
                    "{\"timestamp\":\"2026-11-20T02:00:02Z\",\"crates_io_commit\":\"abc\"}",
                ),
            ],
        );
        let cache = OwnershipCache::open(
            &CacheDir::at(dir.path().join("cache")),
            "https://crates.io/",
        )
        .unwrap();
        let wanted = BTreeSet::from(["serde".to_owned(), "not-there".to_owned()]);
        let import = import(&dump, &wanted, &cache).unwrap();
        assert_eq!(import.crates, 1);
        assert_eq!(import.missing, vec!["not-there".to_owned()]);
        let entry = cache.load("serde");
        let owners = entry.owners.unwrap();
        assert_eq!(owners.source, FactSource::DbDump);
        assert_eq!(
            owners.fetched_at,
            unix_seconds("2026-11-20T02:00:02Z").unwrap()
        );
        let logins: Vec<(OwnerKind, &str)> = owners
            .value
            .iter()
            .map(|o| (o.kind, o.login.as_str()))
            .collect();
        assert_eq!(
            logins,
            vec![
                (OwnerKind::User, "dtolnay"),
                (OwnerKind::Team, "github:serde-rs:publish")
            ]
        );
        let versions = entry.versions.unwrap().value;
        assert_eq!(
            versions["1.0.0"].published_by,
            Some(Publisher::Account {
                id: 10,
                login: "dtolnay".to_owned()
            })
        );
        assert_eq!(versions["1.1.0"].published_by, None);
        assert!(versions["1.1.0"].yanked);
        assert_eq!(
            versions["1.1.0"].license.as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            cache.load("other"),
            Default::default(),
            "only wanted crates are imported"
        );
    }

    #[test]
    fn a_file_that_is_not_a_dump_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("x.tar.gz");
        std::fs::write(&dump, b"not gzip").unwrap();
        let cache = OwnershipCache::open(&CacheDir::at(dir.path()), "https://crates.io/").unwrap();
        assert!(import(&dump, &BTreeSet::new(), &cache).is_err());
        write_dump(&dump, &[("readme.txt", "hello")]);
        let error = import(&dump, &BTreeSet::new(), &cache).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is it a crates.io database dump"),
            "{error}"
        );
    }

    #[test]
    fn reads_rfc3339_timestamps() {
        assert_eq!(unix_seconds("1970-01-02T00:00:01Z"), Some(86_401));
        assert_eq!(
            unix_seconds("2024-09-12T02:00:02.123456Z"),
            Some(1_726_106_402)
        );
        assert_eq!(unix_seconds("garbage"), None);
    }
}
