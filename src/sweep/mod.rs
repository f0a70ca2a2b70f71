//! Parameter sweeps: a base scenario, a grid of overrides, several seeds per point, run in
//! parallel, aggregated, plotted; sharded across machines and merged back.
//!
//! Driving sequence (what `sim sweep` and `sim merge` do):
//!
//! ```text
//! spec::load(SWEEP.toml)                  parse, check keys, ranges, seeds, metrics
//!   └ every point of the grid             scenario::load_str(base, --set overrides)
//!   → Plan { spec, points, sweep_hash }   (a point's errors name the sweep file and key)
//! exec::jobs(plan, --shard K/N)           rows (point, seed) in order; shard K keeps
//!                                         rows r with r mod N = K - 1
//! exec::execute(plan, jobs, --jobs)       rayon over rows; each row one `simulate`
//!                                         (twice with --check-determinism); metrics of
//!                                         its report; results sorted by row
//! output::SweepResult::new(plan, rows)    sweep.json data (rows, points, definition)
//! output::write_dir(out, result)          sweep.json, sweep.csv, sweep_points.csv,
//!                                         plots/, summary.txt, perf.json; atomically
//! output::merge([shard dirs])             same sweep_hash, every row exactly once
//!   → the SweepResult an unsharded run gives, written the same way
//! ```
//!
//! Results never depend on `--jobs` or on sharding: each run is single-threaded and
//! deterministic, rows are sorted by (point, seed) before anything is written, and every
//! aggregate is computed from the sorted rows in one place
//! ([`output::SweepResult::complete`]).
//!
//! The sweep file format, the metric names and the output files are documented in
//! `scenarios/README.md` ("Sweep files") and `reports/README.md` ("Sweeps").

pub mod exec;
pub mod output;
pub mod spec;
pub mod stats;

use std::fmt;
use std::path::{Path, PathBuf};

pub use exec::{execute, jobs, Job, RowOutcome, Shard};
pub use output::{merge, read_dir, write_dir, write_into, SweepResult, SWEEP_OUTPUT};
pub use spec::{load, Param, Plan, Point, SweepSpec};

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
