//! Errors located in a TOML file (`path:line:column`, the key, and the offending line), shared
//! by the policy and the baseline. Rendered like rustc and cargo-deny render theirs.
//!
//! The error type is generic over the kind of file, so that an invalid policy and an invalid
//! baseline are different types (`PolicyError`, `BaselineError`) that say which file is wrong.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The kind of file an error is located in.
pub trait FileKind {
    /// How errors about such a file start: "invalid policy".
    const WHAT: &'static str;
}

/// The policy, `trustcheck.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyFile;

impl FileKind for PolicyFile {
    const WHAT: &'static str = "invalid policy";
}

/// The baseline, `trustcheck.lock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaselineFile;

impl FileKind for BaselineFile {
    const WHAT: &'static str = "invalid baseline";
}

/// An error in the policy file.
pub type PolicyError = LocatedError<PolicyFile>;

/// An error in the baseline file.
pub type BaselineError = LocatedError<BaselineFile>;

/// An error at a place in a file of kind `F`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedError<F> {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the error is about the whole file).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The dotted key the error is about, when known (`advisories.vulnerability`).
    pub key: Option<String>,
    /// What is wrong, and what was expected.
    pub message: String,
    /// The offending line's text.
    source_line: Option<String>,
    /// How many characters to underline.
    underline: usize,
    kind: PhantomData<F>,
}

impl<F: FileKind> LocatedError<F> {
    /// An error at a byte span of `text`, the content of `path`.
    pub fn at(
        path: &Path,
        text: &str,
        span: Range<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> LocatedError<F> {
        let start = span.start.min(text.len());
        let line_start = text[..start]
            .rfind('\n')
            .map(|index| index + 1)
            .unwrap_or(0);
        let line_end = text[start..]
            .find('\n')
            .map(|index| start + index)
            .unwrap_or(text.len());
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let underline = text[start..end].chars().count().max(1);
        LocatedError {
            path: path.to_path_buf(),
            line,
            column,
            key,
            message: message.into(),
            source_line: Some(text[line_start..line_end].trim_end_matches('\r').to_owned()),
            underline,
            kind: PhantomData,
        }
    }

    /// An error at a line and column, without the line's text (the file could not be read as
    /// text there).
    pub fn at_line(
        path: &Path,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> LocatedError<F> {
        LocatedError {
            path: path.to_path_buf(),
            line,
            column,
            key: None,
            message: message.into(),
            source_line: None,
            underline: 0,
            kind: PhantomData,
        }
    }

    /// An error about a whole file (unreadable, for example).
    pub fn whole_file(path: &Path, message: impl Into<String>) -> LocatedError<F> {
        LocatedError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            key: None,
            message: message.into(),
            source_line: None,
            underline: 0,
            kind: PhantomData,
        }
    }

    /// A file that could not be read as bounded text: invalid UTF-8 at the line and column of
    /// its first invalid byte (the line shown), anything else about the whole file.
    pub fn of_file(error: crate::support::files::FileError) -> LocatedError<F> {
        match error {
            crate::support::files::FileError::NotUtf8 {
                path,
                offset,
                lossy,
                ..
            } => LocatedError::at(
                &path,
                &lossy,
                offset..offset + char::REPLACEMENT_CHARACTER.len_utf8(),
                None,
                "not valid UTF-8 (the first invalid byte is here); save the file as UTF-8",
            ),
            other => LocatedError::whole_file(other.path(), other.reason()),
        }
    }

    /// The file could not be read.
    pub fn unreadable(path: &Path, error: &std::io::Error) -> LocatedError<F> {
        LocatedError::whole_file(path, format!("could not read the file: {error}"))
    }

    /// A TOML syntax or shape error from the `toml` crate, located and given its key.
    pub fn from_toml(path: &Path, text: &str, error: &toml::de::Error) -> LocatedError<F> {
        let span = error.span().unwrap_or(0..0);
        let key = key_path_at(text, &span);
        let message = error
            .message()
            .trim_end()
            .replace("unknown field", "unknown key")
            .replace("expected a sequence", "expected an array")
            .replace("expected a map", "expected a table")
            .replace("expected struct", "expected a table of");
        LocatedError::at(path, text, span, key, message)
    }
}

impl<F: FileKind> fmt::Display for LocatedError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        write!(f, "{}: ", F::WHAT)?;
        if self.line == 0 {
            return write!(f, "{path}: {}", self.message);
        }
        write!(f, "{path}:{}:{}: ", self.line, self.column)?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(source_line) = &self.source_line {
            let number = self.line.to_string();
            let gutter = " ".repeat(number.len());
            let source_line = crate::support::text::sanitize_terminal(source_line);
            let indent = " ".repeat(self.column.saturating_sub(1));
            write!(
                f,
                "\n{gutter}--> {path}:{}:{}\n{gutter} |\n{number} | {source_line}\n{gutter} | {indent}{}",
                self.line,
                self.column,
                "^".repeat(self.underline)
            )?;
        }
        Ok(())
    }
}

impl<F: FileKind + fmt::Debug> std::error::Error for LocatedError<F> {}

/// The dotted key path whose key or value contains `span`, e.g. `advisories.vulnerability`.
/// Array indexes are left out: the line number already says which entry.
pub fn key_path_at(text: &str, span: &Range<usize>) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    find_in_table(root.get_ref(), span, &mut path);
    if path.is_empty() {
        None
    } else {
        Some(path.join("."))
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end.max(outer.start + 1)
}

fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<String>) -> bool {
    for (key, value) in table.iter() {
        if contains(&key.span(), span) {
            path.push(key.get_ref().to_string());
            return true;
        }
        if contains(&value.span(), span) || is_container(value) {
            path.push(key.get_ref().to_string());
            if find_in_value(value, span, path) || contains(&value.span(), span) {
                return true;
            }
            path.pop();
        }
    }
    false
}

fn is_container(value: &Spanned<DeValue<'_>>) -> bool {
    matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_))
}

fn find_in_value(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    path: &mut Vec<String>,
) -> bool {
    match value.get_ref() {
        DeValue::Table(table) => find_in_table(table, span, path),
        DeValue::Array(items) => items.iter().any(|item| {
            find_in_value(item, span, path) || (contains(&item.span(), span) && !is_container(item))
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_keys_in_tables_and_arrays_of_tables() {
        let text = "unchecked = \"warn\"\n[advisories]\nvulnerability = \"x\"\n\n[[exemption]]\ncrate = \"a\"\n\n[[exemption]]\nreason = 3\n";
        let at = |needle: &str| {
            let start = text.rfind(needle).unwrap();
            key_path_at(text, &(start..start + needle.len()))
        };
        assert_eq!(at("\"x\""), Some("advisories.vulnerability".to_owned()));
        assert_eq!(at("3"), Some("exemption.reason".to_owned()));
        assert_eq!(at("\"warn\""), Some("unchecked".to_owned()));
    }

    #[test]
    fn renders_line_column_key_and_snippet() {
        let text = "[advisories]\nvulnerability = \"denyy\"\n";
        let start = text.find("\"denyy\"").unwrap();
        let error = PolicyError::at(
            Path::new("trustcheck.toml"),
            text,
            start..start + 7,
            Some("advisories.vulnerability".to_owned()),
            "unknown level \"denyy\"",
        );
        assert_eq!(
            error.to_string(),
            "invalid policy: trustcheck.toml:2:17: `advisories.vulnerability`: unknown level \"denyy\"\n --> trustcheck.toml:2:17\n  |\n2 | vulnerability = \"denyy\"\n  |                 ^^^^^^^"
        );
    }
}
