//! The sweep file: parsing, checking, and expanding the grid into points, each a scenario
//! loaded through the same `--set` machinery as `sim run` (so a sweep key gets the same
//! validation and messages as `--set`).
//!
//! Shape (every key: `scenarios/README.md`, "Sweep files"):
//!
//! ```toml
//! name = "loss"                       # optional; default: the file stem
//! description = "..."                 # optional
//! base = "../partition.toml"          # required; relative to this file
//! seeds = 3                           # N (seeds 1..=N) or a list [1, 5, 9]; default 1
//! metrics = ["delivery_ratio", "latency_ms.p99", "bytes_sent"]   # default: these three
//! [set]                               # fixed overrides for every point (optional)
//! participants = 50
//! [sweep]                             # at least one key; the grid is the cartesian product
//! "network.loss" = [0.0, 0.01, 0.05]  # a list of values
//! protocol = ["sds", "none"]
//! sds.causal_history = { from = 2, to = 10, step = 4 }     # 2, 6, 10
//! participants = { from = 100, to = 10000, factor = 10 }   # 100, 1000, 10000
//! ```
//!
//! Keys under `[set]` and `[sweep]` are the dotted paths of `--set`, quoted (`"sds.repair.t_min"`)
//! or as TOML dotted keys / sub-tables; an inline table (`{ ... }`) is a value (under
//! `[sweep]`: a range), a sub-table is more key segments. Points are numbered in the order of
//! the grid with the *first* swept key varying slowest (nested loops in file order).
//!
//! Parts, each naming only the ones before it: `values.rs` (a swept key's list or range),
//! `file.rs` (the file's keys to a [`SweepSpec`]), `plan.rs` (the grid's points loaded and
//! validated, the sweep's hash: a [`Plan`]). Below `spec` are only `row` (metric names) and
//! `error`; the runs and the outputs name `spec`, never the reverse.

mod file;
mod plan;
mod values;

#[cfg(test)]
mod tests;

pub use file::{display, literal, Param, SweepSpec, DEFAULT_METRICS, MAX_RUNS, MAX_SEEDS};
pub use plan::{load, load_str, point_label, Plan, Point};
pub use values::MAX_VALUES;
