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

//!
//! Modules, each naming only those above it in this list (`tests/tidy.rs` checks there is no
//! circle): `error` ([`SweepError`]), `shard` ([`Shard`]), `stats` (mean and interval), `row`
//! (one run's metrics and the metric names), `spec` (the sweep file and its grid), `exec`
//! (running rows), `output` (the result, its files, merging). This file only declares and
//! re-exports.

pub mod error;
pub mod exec;
pub mod output;
pub mod row;
pub mod shard;
pub mod spec;
pub mod stats;

pub use error::SweepError;
pub use exec::{execute, jobs, Job, RowOutcome};
pub use output::{merge, read_dir, write_dir, write_into, SweepResult, SWEEP_OUTPUT};
pub use row::{Row, RowPerf};
pub use shard::Shard;
pub use spec::{load, Param, Plan, Point, SweepSpec};
