//! `sweep.json` as data: [`SweepResult`] and its parts, built from a plan and its rows;
//! the per-point statistics ([`SweepResult::complete`], the one place every aggregate is
//! computed), the CSV columns; `perf.json` as data ([`SweepPerf`]).
//!
//! Names the plan (`spec`), the rows (`row`), the shard and the statistics; never reads or
//! writes files (that is `merge.rs` and `write.rs`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::sweep::row::{Row, RowPerf};
use crate::sweep::shard::Shard;
use crate::sweep::spec::Plan;
use crate::sweep::stats::{self, Stat};

/// Version of the `sweep.json` layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What `interval` says in `sweep.json`.
pub const INTERVAL: &str = "95% two-sided Student t interval of the mean over the point's seeds: \
                            mean ± t(0.975, n-1) × stddev / sqrt(n); none with one seed";

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    pub schema_version: u32,
    /// The sweep's `name`.
    pub sweep: String,
    pub description: String,
    /// See [`Plan::hash`].
    pub sweep_hash: String,
    pub sdsim_version: String,
    /// The base scenario, as written in the sweep file.
    pub base: String,
    pub seeds: Vec<u64>,
    /// `[set]` as `--set` arguments.
    pub set: Vec<String>,
    pub parameters: Vec<ParamOut>,
    /// The metrics aggregated in `points[].stats` and plotted.
    pub metrics: Vec<String>,
    /// How `points[].stats` intervals are computed.
    pub interval: String,
    /// Present in a shard's output only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardOut>,
    pub points: Vec<PointOut>,
    /// One per (point, seed) run, sorted by point then seed order.
    pub rows: Vec<Row>,
}

/// A swept key and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamOut {
    pub key: String,
    pub values: Vec<serde_json::Value>,
}

/// Which shard an output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOut {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

/// A point of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointOut {
    pub point: usize,
    /// One value per parameter, aligned with `parameters`.
    pub values: Vec<serde_json::Value>,
    /// Every `--set` applied to the base scenario for this point.
    pub overrides: Vec<String>,
    /// The point's scenario `config_hash` (as in its runs' `report.json`).
    pub config_hash: String,
    /// Per metric of `metrics`: statistics over the point's seeds. Absent in shard outputs;
    /// a metric without values at this point is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<BTreeMap<String, Stat>>,
}

/// `perf.json` of a sweep directory: wall-clock figures, never in `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPerf {
    /// Wall time of the whole sweep (`null` for a merge).
    pub wall_time_s: Option<f64>,
    /// Worker threads (`null` for a merge).
    pub threads: Option<usize>,
    /// Sum of the runs' wall times.
    pub runs_wall_time_s: f64,
    pub rows: Vec<RowPerf>,
}

impl SweepPerf {
    /// From the rows' figures (sorted here), the sweep's wall time and thread count.
    pub fn new(mut rows: Vec<RowPerf>, wall_time_s: Option<f64>, threads: Option<usize>) -> Self {
        rows.sort_by_key(|r| (r.point, r.seed));
        SweepPerf {
            wall_time_s,
            threads,
            runs_wall_time_s: rows.iter().map(|r| r.wall_time_s).sum(),
            rows,
        }
    }
}

fn json_value(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A value for people and CSV cells: strings bare, numbers and booleans as JSON, tables
/// and arrays as compact JSON.
pub fn display(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl SweepResult {
    /// The result of running `rows` of `plan` (all rows, or `shard`'s). A whole sweep gets
    /// its statistics ([`complete`](Self::complete)).
    pub fn new(plan: &Plan, shard: Option<Shard>, rows: Vec<Row>) -> SweepResult {
        let spec = &plan.spec;
        let mut r = SweepResult {
            schema_version: SCHEMA_VERSION,
            sweep: spec.name.clone(),
            description: spec.description.clone(),
            sweep_hash: plan.hash.clone(),
            sdsim_version: env!("CARGO_PKG_VERSION").to_string(),
            base: spec.base.clone(),
            seeds: spec.seeds.clone(),
            set: spec.set.clone(),
            parameters: spec
                .params
                .iter()
                .map(|p| ParamOut {
                    key: p.key.clone(),
                    values: p.values.iter().map(json_value).collect(),
                })
                .collect(),
            metrics: spec.metrics.clone(),
            interval: INTERVAL.to_string(),
            shard: shard.map(|s| ShardOut {
                index: s.index,
                count: s.count,
            }),
            points: plan
                .points
                .iter()
                .map(|p| PointOut {
                    point: p.index,
                    values: plan.values_of(p).into_iter().map(json_value).collect(),
                    overrides: p.overrides.clone(),
                    config_hash: p.config_hash.clone(),
                    stats: None,
                })
                .collect(),
            rows,
        };
        r.sort_rows();
        if shard.is_none() {
            r.complete();
        }
        r
    }

    fn sort_rows(&mut self) {
        let seed_pos: BTreeMap<u64, usize> = self
            .seeds
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect();
        self.rows.sort_by_key(|r| {
            (
                r.point,
                seed_pos.get(&r.seed).copied().unwrap_or(usize::MAX),
            )
        });
    }

    /// Marks this as a whole sweep: sorts the rows, drops `shard`, and computes every
    /// point's statistics for `metrics` from its rows (see [`stats`]).
    pub fn complete(&mut self) {
        self.shard = None;
        self.sort_rows();
        let by_point = self.rows_by_point();
        for p in &mut self.points {
            let rows = by_point
                .get(&p.point)
                .map_or(&[][..], |r| &self.rows[r.clone()]);
            let mut map = BTreeMap::new();
            for m in &self.metrics {
                let values: Vec<f64> = rows
                    .iter()
                    .filter_map(|r| r.metrics.get(m).and_then(serde_json::Number::as_f64))
                    .collect();
                if let Some(s) = stats::stat(&values) {
                    map.insert(m.clone(), s);
                }
            }
            p.stats = Some(map);
        }
    }

    /// The range of `rows` of each point (rows sorted by point).
    pub(super) fn rows_by_point(&self) -> BTreeMap<usize, std::ops::Range<usize>> {
        let mut out: BTreeMap<usize, std::ops::Range<usize>> = BTreeMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            out.entry(r.point)
                .and_modify(|range| range.end = i + 1)
                .or_insert(i..i + 1);
        }
        out
    }

    /// Columns of `sweep.csv` after the point, seed and parameter columns: the chosen metrics,
    /// then every other metric any row has, sorted.
    pub fn metric_columns(&self) -> Vec<String> {
        let mut out = self.metrics.clone();
        let rest: BTreeSet<&String> = self.rows.iter().flat_map(|r| r.metrics.keys()).collect();
        for k in rest {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
        out
    }
}
