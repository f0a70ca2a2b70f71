//! [`SweepError`]: every error of the sweep modules (bad input or I/O; the CLI exits 2).
//!
//! A leaf: names nothing else in `sweep/`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::outdir::OutDirError;

/// An error about a sweep file, a sweep output directory or a sweep run. Every one is bad
/// input or an I/O failure: the CLI exits 2.
///
/// `Display` is one line: `FILE: [line N: ][KEY: ]WHAT`, e.g.
/// `scenarios/sweeps/loss.toml: line 9: sweep.network.loss: step must be > 0, got -1`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct SweepError {
    /// The sweep file, or the output directory / shard the error is about.
    pub file: PathBuf,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// The key in the sweep file (`sweep.network.loss`, `seeds`), when there is one.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl SweepError {
    pub(crate) fn new(file: &Path, message: impl Into<String>) -> SweepError {
        SweepError {
            file: file.to_path_buf(),
            line: None,
            key: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, key: impl Into<String>, line: Option<usize>) -> SweepError {
        self.key = Some(key.into());
        self.line = line;
        self
    }
}

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl From<OutDirError> for SweepError {
    fn from(e: OutDirError) -> SweepError {
        SweepError::new(e.path(), e.message())
    }
}
