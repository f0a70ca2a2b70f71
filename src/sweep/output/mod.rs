//! Sweep outputs: `sweep.json`, `sweep.csv`, `sweep_points.csv`, `plots/`, `summary.txt`,
//! `perf.json`; reading shard outputs back and merging them.
//!
//! A whole sweep (unsharded, or merged) and a shard write the same `sweep.json` layout; a
//! shard's has a `shard` object, only its own rows, and no per-point statistics, and the
//! shard directory has no `sweep_points.csv`, plots or summary. Every aggregate is computed by
//! [`SweepResult::complete`] from the rows sorted by (point, seed), and written by
//! [`write_dir`], for unsharded and merged sweeps alike: so `sim merge` of all shards gives
//! the same files, byte for byte, as the unsharded run (`perf.json` aside: it holds wall-clock
//! times). Field definitions: `reports/README.md` ("Sweeps").
//!
//! Parts, each naming only the ones before it: `result.rs` (`sweep.json` and `perf.json` as
//! data, the statistics), `merge.rs` (reading outputs back, merging shards), `table.rs` (the
//! summary table, each metric's unit), `plots.rs`, `write.rs` (the directory). Names `spec`, `row`, `shard`, `stats` and `error` of `sweep/`,
//! never `exec`.

mod merge;
mod plots;
mod result;
mod table;
mod write;

#[cfg(test)]
mod tests;

pub use crate::sweep::row::{Row, RowPerf};
pub use crate::sweep::spec::point_label;
pub use merge::{merge, read_dir};
pub use result::{
    display, ParamOut, PointOut, ShardOut, SweepPerf, SweepResult, INTERVAL, SCHEMA_VERSION,
};
pub use write::{write_dir, write_into, SWEEP_OUTPUT};
