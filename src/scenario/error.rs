//! [`ScenarioError`]: one error type for everything that can be wrong with a scenario.

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of problem a [`ScenarioError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read (missing, unreadable, not UTF-8).
    Io,
    /// The file is not valid TOML.
    Syntax,
    /// A key the schema does not know (`deny_unknown_fields`).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value has the wrong type or shape (e.g. a string where a number is expected).
    Type,
    /// A value is well-formed but out of its valid range or inconsistent with others.
    Invalid,
    /// A `--set KEY=VALUE` argument is malformed or its path does not fit the document.
    Override,
    /// The region RTT matrix file is malformed.
    Regions,
}

/// An error loading or validating a scenario. Every variant is a usage / input error:
/// the CLI maps all of them to exit code 2 (see [`ScenarioError::exit_code`]).
///
/// `Display` is one line: `FILE: [line N: ][--set K=V: ][KEY: ]WHAT`, e.g.
/// `scenarios/partition.toml: line 14: network.loss: must be in [0, 1], got 1.5`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    /// The file the error is about: the scenario file, or the region matrix file for
    /// [`ErrorKind::Regions`].
    pub file: PathBuf,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// The `--set` argument (as given, `key=value`) that caused the error, if any.
    pub set: Option<String>,
    /// Dotted key path into the scenario (`partitions.0.heal`), when known.
    pub key: Option<String>,
    /// Kind of problem.
    pub kind: ErrorKind,
    /// What is wrong, without the file/line/key prefix.
    pub message: String,
}

impl ScenarioError {
    pub(crate) fn new(file: &Path, kind: ErrorKind, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            line: None,
            set: None,
            key: None,
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn with_key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        self.key = if key.is_empty() { None } else { Some(key) };
        self
    }

    pub(crate) fn with_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// Always true: every scenario error is bad input, i.e. a usage error (exit code 2).
    pub fn is_usage(&self) -> bool {
        true
    }

    /// The process exit code for this error under the CLI contract: always 2.
    pub fn exit_code(&self) -> i32 {
        2
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if let Some(set) = &self.set {
            write!(f, "--set {set}: ")?;
        } else if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        // These messages quote the full key themselves.
        let key_in_message = matches!(
            self.kind,
            ErrorKind::UnknownKey | ErrorKind::MissingKey | ErrorKind::Override
        );
        if let Some(key) = &self.key {
            let set_key = self
                .set
                .as_deref()
                .map(|s| s.split_once('=').map_or(s, |(k, _)| k).trim());
            if !key_in_message && set_key != Some(key.as_str()) {
                write!(f, "{key}: ")?;
            }
        }
        // Keep it to one line whatever the underlying message says.
        let mut first = true;
        for part in self
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if !first {
                f.write_str("; ")?;
            }
            f.write_str(part)?;
            first = false;
        }
        Ok(())
    }
}

/// 1-based line of byte offset `pos` in `text` (clamped to the text).
pub(crate) fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
