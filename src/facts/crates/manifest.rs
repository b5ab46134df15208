//! What a published crate's `Cargo.toml` says about the facts the checks read: its name and
//! version, `license`, `license-file`, whether it has a build script, and its library target.
//!
//! Published manifests are normalized by `cargo package` (no workspace inheritance). Where
//! cargo infers a target from the files (a `build.rs`, a `src/lib.rs`), the manifest says so
//! with `Inferred`, and the caller looks at the crate's files as cargo does.

use super::CrateError;

/// Whether the crate has a build script, as its manifest says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildSetting {
    /// `build` is not set: a build script exactly when `build.rs` is a file.
    Inferred,
    /// `build = "path"` or `build = true`: a build script.
    Declared,
    /// `build = false`: none.
    Disabled,
}

/// The crate's library target, as its manifest says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LibSetting {
    /// No `[lib]` table, `autolib` not false: a library exactly when `src/lib.rs` is a file.
    Inferred,
    /// A `[lib]` table: a library, a proc-macro or not.
    Declared {
        /// `proc-macro = true`, or `crate-type = ["proc-macro"]`.
        proc_macro: bool,
    },
    /// No `[lib]` table and `autolib = false`: no library.
    None,
}

/// What the manifest says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestFacts {
    /// `package.name`.
    pub name: String,
    /// `package.version`.
    pub version: semver::Version,
    /// `package.license`.
    pub license: Option<String>,
    /// `package.license-file`, as written.
    pub license_file: Option<String>,
    /// `package.build`.
    pub build: BuildSetting,
    /// `[lib]` and `package.autolib`.
    pub lib: LibSetting,
    /// The build script's path as cargo reads it: `package.build` when it is a path, else
    /// `build.rs` (whether there is a build script at all is `build`).
    pub build_path: String,
    /// The library's root as cargo reads it: `[lib] path`, else `src/lib.rs`.
    pub lib_path: String,
}

/// Parses a published manifest. Anything cargo would read differently than this does (a
/// value inherited from a workspace, a list of build scripts, a key of an unexpected type) is
/// `CrateError::Unsupported`: the caller then leaves the crate to `cargo metadata`.
pub fn parse(text: &str) -> Result<ManifestFacts, CrateError> {
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| CrateError::Invalid(format!("Cargo.toml: {error}")))?;
    let package = table
        .get("package")
        .or_else(|| table.get("project"))
        .and_then(toml::Value::as_table)
        .ok_or_else(|| CrateError::Invalid("Cargo.toml has no [package]".to_owned()))?;
    let string = |key: &str| -> Result<Option<String>, CrateError> {
        match package.get(key) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(CrateError::Unsupported(format!(
                "`package.{key}` in Cargo.toml is not a string"
            ))),
        }
    };
    let name = string("name")?
        .ok_or_else(|| CrateError::Invalid("Cargo.toml has no package.name".to_owned()))?;
    let version = string("version")?
        .ok_or_else(|| CrateError::Invalid("Cargo.toml has no package.version".to_owned()))?;
    let version = semver::Version::parse(&version)
        .map_err(|error| CrateError::Invalid(format!("package.version: {error}")))?;
    let build = match package.get("build") {
        None => BuildSetting::Inferred,
        Some(toml::Value::Boolean(false)) => BuildSetting::Disabled,
        Some(toml::Value::Boolean(true) | toml::Value::String(_)) => BuildSetting::Declared,
        Some(_) => {
            return Err(CrateError::Unsupported(
                "`package.build` in Cargo.toml is neither a path nor a boolean".to_owned(),
            ));
        }
    };
    let autolib = match package.get("autolib") {
        None => true,
        Some(toml::Value::Boolean(value)) => *value,
        Some(_) => {
            return Err(CrateError::Unsupported(
                "`package.autolib` in Cargo.toml is not a boolean".to_owned(),
            ));
        }
    };
    let build_path = match package.get("build") {
        Some(toml::Value::String(path)) => path.clone(),
        _ => "build.rs".to_owned(),
    };
    let lib_path = match table.get("lib").and_then(|lib| lib.get("path")) {
        None => "src/lib.rs".to_owned(),
        Some(toml::Value::String(path)) => path.clone(),
        Some(_) => {
            return Err(CrateError::Unsupported(
                "`lib.path` in Cargo.toml is not a string".to_owned(),
            ));
        }
    };
    let lib = match table.get("lib") {
        Some(toml::Value::Table(lib)) => LibSetting::Declared {
            proc_macro: lib_is_proc_macro(lib)?,
        },
        Some(_) => {
            return Err(CrateError::Unsupported(
                "`lib` in Cargo.toml is not a table".to_owned(),
            ));
        }
        None if autolib => LibSetting::Inferred,
        None => LibSetting::None,
    };
    Ok(ManifestFacts {
        name,
        version,
        license: string("license")?,
        license_file: string("license-file")?,
        build,
        lib,
        build_path,
        lib_path,
    })
}

/// Whether a `[lib]` table makes a proc-macro, as cargo decides it (CHANGED from the copy:
/// `src/workspace/parser/targets.rs`, `to_lib_target`): `crate-type` (or `crate_type`) wins
/// over `proc-macro` (or `proc_macro`); a `crate-type` listing `proc-macro` with anything else
/// ("cannot mix `proc-macro` crate type with others") or both `dylib` and `cdylib` is refused by
/// cargo, so `CrateError::Invalid`; a value of an unexpected type is `CrateError::Unsupported`.
pub fn lib_is_proc_macro(lib: &toml::Table) -> Result<bool, CrateError> {
    let unsupported = |key: &str| {
        CrateError::Unsupported(format!("`lib.{key}` in Cargo.toml is not {}", {
            if key.starts_with("crate") {
                "a list of strings"
            } else {
                "a boolean"
            }
        }))
    };
    let key = ["crate-type", "crate_type"]
        .into_iter()
        .find(|key| lib.contains_key(*key));
    if let Some(key) = key {
        let types = lib[key]
            .as_array()
            .ok_or_else(|| unsupported(key))?
            .iter()
            .map(|kind| kind.as_str().ok_or_else(|| unsupported(key)))
            .collect::<Result<Vec<&str>, _>>()?;
        if types.contains(&"dylib") && types.contains(&"cdylib") {
            return Err(CrateError::Invalid(
                "Cargo.toml: the library cannot set the crate type of both `dylib` and `cdylib`"
                    .to_owned(),
            ));
        }
        if types.contains(&"proc-macro") {
            if types.len() > 1 {
                return Err(CrateError::Invalid(
                    "Cargo.toml: cannot mix `proc-macro` crate type with others".to_owned(),
                ));
            }
            return Ok(true);
        }
        return Ok(false);
    }
    let key = ["proc-macro", "proc_macro"]
        .into_iter()
        .find(|key| lib.contains_key(*key));
    match key {
        None => Ok(false),
        Some(key) => lib[key].as_bool().ok_or_else(|| unsupported(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_cargo_package_writes() {
        let manifest = parse(
            r#"
[package]
edition = "2021"
name = "demo"
version = "1.2.3"
build = "build.rs"
autolib = false
license = "MIT OR Apache-2.0"

[lib]
name = "demo"
path = "src/lib.rs"
proc-macro = true
"#,
        )
        .unwrap();
        assert_eq!(manifest.name, "demo");
        assert_eq!(manifest.version, semver::Version::new(1, 2, 3));
        assert_eq!(manifest.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(manifest.license_file, None);
        assert_eq!(manifest.build, BuildSetting::Declared);
        assert_eq!(manifest.lib, LibSetting::Declared { proc_macro: true });
    }

    #[test]
    fn what_cargo_infers_from_files_is_left_to_the_files() {
        let manifest =
            parse("[package]\nname = \"a\"\nversion = \"0.1.0\"\nlicense-file = \"LICENSE\"\n")
                .unwrap();
        assert_eq!(manifest.build, BuildSetting::Inferred);
        assert_eq!(manifest.lib, LibSetting::Inferred);
        assert_eq!(manifest.license_file.as_deref(), Some("LICENSE"));
        let manifest =
            parse("[package]\nname = \"a\"\nversion = \"0.1.0\"\nbuild = false\nautolib = false\n")
                .unwrap();
        assert_eq!(manifest.build, BuildSetting::Disabled);
        assert_eq!(manifest.lib, LibSetting::None);
        let manifest = parse(
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[lib]\ncrate-type = [\"proc-macro\"]\n",
        )
        .unwrap();
        assert_eq!(manifest.lib, LibSetting::Declared { proc_macro: true });
    }

    #[test]
    fn what_it_cannot_read_as_cargo_does_is_unsupported() {
        for text in [
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nlicense.workspace = true\n",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\nbuild = [\"a.rs\", \"b.rs\"]\n",
        ] {
            assert!(
                matches!(parse(text), Err(CrateError::Unsupported(_))),
                "{text}"
            );
        }
        assert!(matches!(parse("not toml ["), Err(CrateError::Invalid(_))));
        assert!(matches!(
            parse("[package]\nname = \"a\"\n"),
            Err(CrateError::Invalid(_))
        ));
    }

    #[test]
    fn crate_types_decide_a_proc_macro_as_cargo_does() {
        let lib = |text: &str| -> Result<bool, CrateError> {
            lib_is_proc_macro(&text.parse::<toml::Table>().unwrap())
        };
        assert_eq!(lib("proc-macro = true"), Ok(true));
        assert_eq!(lib("proc-macro = false\nproc_macro = true"), Ok(false));
        assert_eq!(lib("crate-type = [\"proc-macro\"]"), Ok(true));
        assert_eq!(lib("crate-type = [\"lib\"]\nproc-macro = true"), Ok(false));
        assert_eq!(lib("crate_type = [\"rlib\"]"), Ok(false));
        for text in [
            "crate-type = [\"proc-macro\", \"lib\"]",
            "crate-type = [\"proc-macro\", \"proc-macro\"]",
            "crate-type = [\"dylib\", \"cdylib\"]",
        ] {
            assert!(matches!(lib(text), Err(CrateError::Invalid(_))), "{text}");
        }
        for text in [
            "crate-type = \"proc-macro\"",
            "crate-type = [1]",
            "proc-macro = 1",
        ] {
            assert!(
                matches!(lib(text), Err(CrateError::Unsupported(_))),
                "{text}"
            );
        }
        let error = parse(
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[lib]\ncrate-type = [\"proc-macro\", \"lib\"]\n",
        )
        .unwrap_err();
        assert!(error.to_string().contains("cannot mix"), "{error}");
    }
}
