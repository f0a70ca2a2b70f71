//! [`ReportError`] and the file writers every output of a report uses: JSON text and files
//! (pretty, trailing newline) and atomic replacement of one file.
//!
//! May touch: the file named by the caller (and its temporary sibling). May not touch:
//! directories (`run_dir` and `crate::outdir` own them), report contents.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::plot;
use crate::outdir::OutDirError;

/// Errors writing a run's outputs; each names the path.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading or writing `path` failed.
    #[error("{path}: {source}")]
    Io {
        /// The file (or directory) concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Writing the CSV file `path` failed.
    #[error("{path}: {source}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// What the `csv` crate reported.
        source: csv::Error,
    },
    /// Drawing or writing a plot failed (the error names the file).
    #[error("{0}")]
    Plot(#[from] plot::PlotError),
    /// A value could not be serialized as JSON for `path`.
    #[error("{path}: cannot serialize JSON: {source}")]
    Json {
        /// The JSON file.
        path: PathBuf,
        /// What serde_json reported.
        source: serde_json::Error,
    },
    /// The output directory could not be prepared or replaced.
    #[error(transparent)]
    OutDir(#[from] OutDirError),
}

/// Maps an I/O error on `path` to [`ReportError::Io`].
pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// `value` as the text of a JSON file: pretty-printed, with a trailing newline (the exact
/// bytes [`write_json`] writes).
pub fn json_text<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Writes `value` as pretty JSON with a trailing newline.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    let text = json_text(value).map_err(|source| ReportError::Json {
        path: path.to_owned(),
        source,
    })?;
    std::fs::write(path, text).map_err(io_err(path))
}

/// Writes `bytes` to `path` atomically: into a temporary sibling file, renamed over `path`
/// once complete (so readers see the old file or the new one, never half of it).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes)
        .map_err(io_err(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io_err(path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
