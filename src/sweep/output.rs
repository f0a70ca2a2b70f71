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

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::exec::Shard;
use super::spec::{self, Plan};
use super::stats::{self, Stat};
use super::SweepError;
use crate::io_limits::{self, read_capped_json, JsonError};
use crate::outdir::{self, Committed, OutDirError, OutputKind, Prepared};
use crate::report::plot::sweep::{metric_vs_parameter, MeanPoint, MeanSeries, XAxis};

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

/// One run: a point, a seed, and every numeric figure of its report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub point: usize,
    pub seed: u64,
    /// See [`super::exec::metrics_of`].
    pub metrics: BTreeMap<String, serde_json::Number>,
}

/// Wall-clock figures of one run (`perf.json` only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowPerf {
    pub point: usize,
    pub seed: u64,
    /// Wall time of the run (both runs with `--check-determinism`).
    pub wall_time_s: f64,
    pub simulated_events: u64,
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
    fn rows_by_point(&self) -> BTreeMap<usize, std::ops::Range<usize>> {
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

    /// The console / `summary.txt` table: one line per point, its values and the mean ± the
    /// interval's half-width of each metric.
    pub fn summary_table(&self) -> String {
        let mut header: Vec<String> = vec!["point".into()];
        header.extend(self.parameters.iter().map(|p| p.key.clone()));
        header.extend(self.metrics.iter().cloned());
        let mut rows = vec![header];
        for p in &self.points {
            let mut line = vec![p.point.to_string()];
            line.extend(p.values.iter().map(display));
            for m in &self.metrics {
                let cell = match p.stats.as_ref().and_then(|s| s.get(m)) {
                    None => "-".to_string(),
                    Some(s) => match (s.ci95_low, s.ci95_high) {
                        (Some(lo), Some(hi)) => {
                            format!("{} ± {}", sig(s.mean), sig((hi - lo) / 2.0))
                        }
                        _ => sig(s.mean),
                    },
                };
                line.push(cell);
            }
            rows.push(line);
        }
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = format!(
            "sweep {} ({} points x {} seeds = {} runs; mean ± half-width of the 95% Student t interval)\n",
            self.sweep,
            self.points.len(),
            self.seeds.len(),
            self.rows.len()
        );
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str("  ");
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// `v` with 4 significant digits (`0.9738`, `137`), in exponent form from 10^6 on (`2.879e7`).
fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |e| SweepError::new(path, e.to_string())
}

/// Reads `dir/sweep.json` (a shard's or a whole sweep's output).
///
/// # Errors
/// Naming the file: unreadable, not JSON of this layout, or another `schema_version`.
pub fn read_dir(dir: &Path) -> Result<SweepResult, SweepError> {
    let path = dir.join("sweep.json");
    let r: SweepResult = read_capped_json(&path, io_limits::SWEEP_OUTPUT_BYTES, "a sweep output")
        .map_err(|e| {
        SweepError::new(
            &path,
            match e {
                JsonError::Read(e) if e.is_too_large() => e.reason(),
                JsonError::Read(e) => format!("cannot read sweep output: {}", e.reason()),
                JsonError::Parse(e) => format!("not a sweep output: {e}"),
            },
        )
    })?;
    if r.schema_version != SCHEMA_VERSION {
        return Err(SweepError::new(
            &path,
            format!(
                "schema_version {} (this sim reads {SCHEMA_VERSION})",
                r.schema_version
            ),
        ));
    }
    Ok(r)
}

/// Merges sweep outputs (normally the shards of one sweep) into the whole sweep, and their
/// `perf.json` rows (when readable).
///
/// # Errors
/// Naming the directory at fault: an unreadable output; outputs of different sweeps
/// (different `sweep_hash`); a row outside the sweep's grid; rows given twice (listing them
/// and both directories); rows missing (listing them and, for shards, which shard holds them).
pub fn merge(dirs: &[PathBuf]) -> Result<(SweepResult, SweepPerf), SweepError> {
    let Some(first_dir) = dirs.first() else {
        return Err(SweepError::new(
            Path::new("merge"),
            "no directory given: sim merge DIR...",
        ));
    };
    let mut parts = Vec::with_capacity(dirs.len());
    for d in dirs {
        parts.push((d, read_dir(d)?));
    }
    let first = &parts[0].1;
    for (d, p) in &parts[1..] {
        if p.sweep_hash != first.sweep_hash {
            return Err(SweepError::new(
                d,
                format!(
                    "output of a different sweep than {}: sweep \"{}\" (sweep_hash {}) vs \
                     \"{}\" ({}); refusing to merge (same sweep file, base scenario and sim \
                     version needed)",
                    first_dir.display(),
                    p.sweep,
                    &p.sweep_hash[..p.sweep_hash.len().min(12)],
                    first.sweep,
                    &first.sweep_hash[..first.sweep_hash.len().min(12)]
                ),
            ));
        }
    }
    let seeds = &first.seeds;
    let seed_pos: BTreeMap<u64, usize> = seeds.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    for (d, p) in &parts {
        check_shard(d, p, &seed_pos)?;
    }
    let total = first.points.len() * seeds.len();
    let mut owner: Vec<Option<&Path>> = vec![None; total];
    let mut rows = Vec::with_capacity(total);
    let mut duplicates = Vec::new();
    for (d, p) in &parts {
        for r in &p.rows {
            let Some(&si) = seed_pos.get(&r.seed).filter(|_| r.point < p.points.len()) else {
                return Err(SweepError::new(
                    &d.join("sweep.json"),
                    format!(
                        "row point {} seed {} is not in the sweep's grid ({} points, seeds {:?})",
                        r.point,
                        r.seed,
                        p.points.len(),
                        seeds
                    ),
                ));
            };
            let idx = r.point * seeds.len() + si;
            match owner[idx] {
                Some(prev) => duplicates.push(format!(
                    "point {} seed {} (row {idx}) is in both {} and {}",
                    r.point,
                    r.seed,
                    prev.display(),
                    d.display()
                )),
                None => {
                    owner[idx] = Some(d.as_path());
                    rows.push(r.clone());
                }
            }
        }
    }
    if !duplicates.is_empty() {
        return Err(SweepError::new(
            first_dir,
            format!(
                "{} duplicate row(s), e.g. the same shard given twice: {}",
                duplicates.len(),
                list(&duplicates)
            ),
        ));
    }
    let missing: Vec<usize> = (0..total).filter(|&i| owner[i].is_none()).collect();
    if !missing.is_empty() {
        let counts: BTreeSet<usize> = parts
            .iter()
            .filter_map(|(_, p)| p.shard.map(|s| s.count))
            .collect();
        let shard_of = |i: usize| match counts.iter().next() {
            Some(&n) if counts.len() == 1 => format!(", shard {}/{n}", i % n + 1),
            _ => String::new(),
        };
        let items: Vec<String> = missing
            .iter()
            .map(|&i| {
                format!(
                    "point {} seed {} (row {i}{})",
                    i / seeds.len(),
                    seeds[i % seeds.len()],
                    shard_of(i)
                )
            })
            .collect();
        let mut absent = Vec::new();
        if let (1, Some(&n)) = (counts.len(), counts.iter().next()) {
            let given: BTreeSet<usize> = parts
                .iter()
                .filter_map(|(_, p)| p.shard.map(|s| s.index))
                .collect();
            absent = (1..=n)
                .filter(|k| !given.contains(k))
                .map(|k| format!("{k}/{n}"))
                .collect();
        }
        let absent = if absent.is_empty() {
            String::new()
        } else {
            format!(" (shards not given: {})", absent.join(", "))
        };
        let msg = format!(
            "{} of {total} rows missing{absent}: {}",
            missing.len(),
            list(&items)
        );
        return Err(SweepError::new(first_dir, msg));
    }
    let mut merged = parts[0].1.clone();
    merged.rows = rows;
    merged.complete();

    let mut perf_rows = Vec::new();
    for d in dirs {
        let path = d.join("perf.json");
        if let Ok(p) =
            read_capped_json::<SweepPerf>(&path, io_limits::SWEEP_OUTPUT_BYTES, "a sweep output")
        {
            perf_rows.extend(p.rows);
        }
    }
    Ok((merged, SweepPerf::new(perf_rows, None, None)))
}

/// A shard output's own `shard` field is a valid `K/N` and every row it holds belongs to it
/// (row `r` to shard `K/N` iff `r mod N = K - 1`, [`Shard::holds`]).
fn check_shard(
    dir: &Path,
    p: &SweepResult,
    seed_pos: &BTreeMap<u64, usize>,
) -> Result<(), SweepError> {
    let Some(s) = p.shard else {
        return Ok(());
    };
    let path = dir.join("sweep.json");
    if s.count == 0 || s.index == 0 || s.index > s.count {
        return Err(SweepError::new(
            &path,
            format!(
                "shard {}/{} is not a valid shard (K/N with 1 <= K <= N); refusing to merge",
                s.index, s.count
            ),
        ));
    }
    let shard = Shard {
        index: s.index,
        count: s.count,
    };
    for r in &p.rows {
        // Rows outside the grid are reported by the caller.
        let Some(&si) = seed_pos.get(&r.seed) else {
            continue;
        };
        let row = r.point.saturating_mul(seed_pos.len()).saturating_add(si);
        if !shard.holds(row) {
            return Err(SweepError::new(
                &path,
                format!(
                    "row {row} (point {} seed {}) does not belong to shard {shard} (it holds \
                     the rows r with r mod {} = {}); refusing to merge",
                    r.point,
                    r.seed,
                    shard.count,
                    shard.index - 1
                ),
            ));
        }
    }
    Ok(())
}

fn list(items: &[String]) -> String {
    const SHOW: usize = 10;
    let mut s = items
        .iter()
        .take(SHOW)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOW {
        s.push_str(&format!("; and {} more", items.len() - SHOW));
    }
    s
}

/// The files of a sweep's output directory (whole, merged or shard), for
/// [`crate::outdir`]: a directory holding anything else is never replaced.
pub const SWEEP_OUTPUT: OutputKind = OutputKind {
    name: "sweep",
    files: &[
        "sweep.json",
        "sweep.csv",
        "perf.json",
        "sweep_points.csv",
        "summary.txt",
    ],
    subdirs: &[("plots", &["png", "svg"])],
};

impl From<OutDirError> for SweepError {
    fn from(e: OutDirError) -> SweepError {
        SweepError::new(e.path(), e.message())
    }
}

/// Writes a sweep's output directory safely ([`crate::outdir`]: refusals, lock, leftovers
/// of killed runs, a temporary sibling swapped into place when complete): `sweep.json`,
/// `sweep.csv`, `perf.json`, and for a whole sweep also `sweep_points.csv`, `summary.txt`
/// and `plots/`. The CLI prepares the directory itself before running; this is the one-call
/// form.
///
/// # Errors
/// The directory cannot be used or replaced; an I/O, CSV or plotting failure, naming the
/// path (then the previous output is untouched).
pub fn write_dir(dir: &Path, r: &SweepResult, perf: &SweepPerf) -> Result<Committed, SweepError> {
    write_into(outdir::prepare(dir, &SWEEP_OUTPUT)?, r, perf)
}

/// Writes a sweep's files into `out`'s temporary directory and commits it (see
/// [`write_dir`]).
///
/// # Errors
/// As [`write_dir`].
pub fn write_into(
    out: Prepared,
    r: &SweepResult,
    perf: &SweepPerf,
) -> Result<Committed, SweepError> {
    write_all(out.temp(), r, perf)?;
    Ok(out.commit()?)
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<(), SweepError> {
    let mut text =
        serde_json::to_string_pretty(v).map_err(|e| SweepError::new(path, e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(io(path))
}

fn write_all(dir: &Path, r: &SweepResult, perf: &SweepPerf) -> Result<(), SweepError> {
    write_json(&dir.join("sweep.json"), r)?;
    write_json(&dir.join("perf.json"), perf)?;
    write_rows_csv(&dir.join("sweep.csv"), r)?;
    if r.shard.is_none() {
        write_points_csv(&dir.join("sweep_points.csv"), r)?;
        std::fs::write(dir.join("summary.txt"), r.summary_table())
            .map_err(io(&dir.join("summary.txt")))?;
        write_plots(&dir.join("plots"), r)?;
    }
    Ok(())
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>, SweepError> {
    csv::Writer::from_path(path).map_err(|e| SweepError::new(path, e.to_string()))
}

fn write_rows_csv(path: &Path, r: &SweepResult) -> Result<(), SweepError> {
    let cerr = |e: csv::Error| SweepError::new(path, e.to_string());
    let mut w = csv_writer(path)?;
    let columns = r.metric_columns();
    let mut header = vec!["point".to_string(), "seed".to_string()];
    header.extend(r.parameters.iter().map(|p| p.key.clone()));
    header.extend(columns.iter().cloned());
    w.write_record(&header).map_err(cerr)?;
    for row in &r.rows {
        let mut rec = vec![row.point.to_string(), row.seed.to_string()];
        match r.points.get(row.point) {
            Some(p) => rec.extend(p.values.iter().map(display)),
            None => rec.extend(std::iter::repeat_n(String::new(), r.parameters.len())),
        }
        rec.extend(columns.iter().map(|c| {
            row.metrics
                .get(c)
                .map(|n| n.to_string())
                .unwrap_or_default()
        }));
        w.write_record(&rec).map_err(cerr)?;
    }
    w.flush().map_err(io(path))
}

fn write_points_csv(path: &Path, r: &SweepResult) -> Result<(), SweepError> {
    let cerr = |e: csv::Error| SweepError::new(path, e.to_string());
    let mut w = csv_writer(path)?;
    let mut header = vec!["point".to_string()];
    header.extend(r.parameters.iter().map(|p| p.key.clone()));
    header.push("config_hash".into());
    header.push("runs".into());
    for m in &r.metrics {
        for s in ["mean", "ci95_low", "ci95_high", "stddev"] {
            header.push(format!("{m}.{s}"));
        }
    }
    w.write_record(&header).map_err(cerr)?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let by_point = r.rows_by_point();
    for p in &r.points {
        let mut rec = vec![p.point.to_string()];
        rec.extend(p.values.iter().map(display));
        rec.push(p.config_hash.clone());
        rec.push(by_point.get(&p.point).map_or(0, |x| x.len()).to_string());
        for m in &r.metrics {
            match p.stats.as_ref().and_then(|s| s.get(m)) {
                Some(s) => rec.extend([
                    s.mean.to_string(),
                    opt(s.ci95_low),
                    opt(s.ci95_high),
                    opt(s.stddev),
                ]),
                None => rec.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        w.write_record(&rec).map_err(cerr)?;
    }
    w.flush().map_err(io(path))
}

/// A file-name-safe form of a metric or key.
fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The x axis for parameter `pi`: numeric when every value is a number (log10 when all are
/// positive and span at least a factor 100), else categorical.
fn axis(p: &ParamOut) -> XAxis {
    let ticks: Vec<String> = p.values.iter().map(display).collect();
    let nums: Option<Vec<f64>> = p.values.iter().map(serde_json::Value::as_f64).collect();
    match nums {
        Some(values) if !values.is_empty() => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log = min > 0.0 && max / min >= 100.0;
            XAxis::Numeric { values, ticks, log }
        }
        _ => XAxis::Categorical { ticks },
    }
}

/// `plots/<metric>-vs-<key>.{png,svg}` for every metric and swept key.
fn write_plots(dir: &Path, r: &SweepResult) -> Result<(), SweepError> {
    for m in &r.metrics {
        for (pi, param) in r.parameters.iter().enumerate() {
            let x = axis(param);
            // One series per combination of the other parameters' values, in point order.
            let mut series: Vec<(Vec<&serde_json::Value>, MeanSeries)> = Vec::new();
            for p in &r.points {
                let others: Vec<&serde_json::Value> = p
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != pi)
                    .map(|(_, v)| v)
                    .collect();
                let Some(value) = p
                    .values
                    .get(pi)
                    .and_then(|v| param.values.iter().position(|x| x == v))
                else {
                    continue;
                };
                let stat = p.stats.as_ref().and_then(|s| s.get(m));
                let si = match series.iter().position(|(k, _)| *k == others) {
                    Some(i) => i,
                    None => {
                        let label = r
                            .parameters
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != pi)
                            .zip(&others)
                            .map(|((_, q), v)| format!("{}={}", q.key, display(v)))
                            .collect::<Vec<_>>()
                            .join(", ");
                        series.push((
                            others.clone(),
                            MeanSeries {
                                label,
                                points: Vec::new(),
                            },
                        ));
                        series.len() - 1
                    }
                };
                if let Some(s) = stat {
                    series[si].1.points.push(MeanPoint {
                        value,
                        mean: s.mean,
                        interval: s.ci95_low.zip(s.ci95_high),
                    });
                }
            }
            let series: Vec<MeanSeries> = series.into_iter().map(|(_, s)| s).collect();
            let log = matches!(x, XAxis::Numeric { log: true, .. });
            let x_desc = if log {
                format!("{} (log scale)", param.key)
            } else {
                param.key.clone()
            };
            let y_desc = if r.seeds.len() > 1 {
                format!(
                    "{m}: mean of {} seeds, bars: 95% Student t interval",
                    r.seeds.len()
                )
            } else {
                format!("{m} (one seed)")
            };
            let bytes = m.starts_with("bytes") || m.contains(".bytes") || m.contains("bytes_");
            let base = dir.join(format!("{}-vs-{}", file_part(m), file_part(&param.key)));
            metric_vs_parameter(
                &base,
                &format!("{m} vs {}: {}", param.key, r.sweep),
                &x_desc,
                &y_desc,
                bytes,
                &x,
                &series,
            )
            .map_err(|e| SweepError::new(&base, e.to_string()))?;
        }
    }
    Ok(())
}

/// The values of `plan`'s point `p` for people (`network.loss=0.01, protocol=sds`).
pub fn point_label(plan: &Plan, p: &spec::Point) -> String {
    plan.spec
        .params
        .iter()
        .zip(plan.values_of(p))
        .map(|(param, v)| format!("{}={}", param.key, spec::display(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rows: Vec<Row>, shard: Option<ShardOut>) -> SweepResult {
        SweepResult {
            schema_version: SCHEMA_VERSION,
            sweep: "t".into(),
            description: String::new(),
            sweep_hash: "h".into(),
            sdsim_version: "0".into(),
            base: "b.toml".into(),
            seeds: vec![1, 2],
            set: vec![],
            parameters: vec![ParamOut {
                key: "protocol".into(),
                values: vec!["sds".into(), "none".into()],
            }],
            metrics: vec!["m".into()],
            interval: INTERVAL.into(),
            shard,
            points: (0..2)
                .map(|i| PointOut {
                    point: i,
                    values: vec![if i == 0 { "sds" } else { "none" }.into()],
                    overrides: vec![],
                    config_hash: "c".into(),
                    stats: None,
                })
                .collect(),
            rows,
        }
    }

    fn row(point: usize, seed: u64, m: f64) -> Row {
        let mut metrics = BTreeMap::new();
        metrics.insert(
            "m".to_string(),
            serde_json::Number::from_f64(m).expect("finite"),
        );
        Row {
            point,
            seed,
            metrics,
        }
    }

    #[test]
    fn complete_sorts_and_aggregates() {
        let mut r = result(
            vec![
                row(1, 2, 4.0),
                row(0, 2, 2.0),
                row(0, 1, 1.0),
                row(1, 1, 3.0),
            ],
            Some(ShardOut { index: 1, count: 1 }),
        );
        r.complete();
        assert_eq!(r.shard, None);
        let order: Vec<(usize, u64)> = r.rows.iter().map(|x| (x.point, x.seed)).collect();
        assert_eq!(order, [(0, 1), (0, 2), (1, 1), (1, 2)]);
        let s = &r.points[1].stats.as_ref().unwrap()["m"];
        assert_eq!((s.mean, s.runs), (3.5, 2));
        assert!(r.summary_table().contains("3.5 ±"));
    }

    fn write_shard(dir: &Path, name: &str, r: &SweepResult) -> PathBuf {
        let d = dir.join(name);
        write_dir(&d, r, &SweepPerf::new(vec![], None, None)).expect("write");
        d
    }

    #[test]
    fn merge_checks_hash_duplicates_and_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let s = |k| Some(ShardOut { index: k, count: 2 });
        let a = write_shard(
            tmp.path(),
            "a",
            &result(vec![row(0, 1, 1.0), row(1, 1, 3.0)], s(1)),
        );
        let b = write_shard(
            tmp.path(),
            "b",
            &result(vec![row(0, 2, 2.0), row(1, 2, 4.0)], s(2)),
        );
        let (m, _) = merge(&[b.clone(), a.clone()]).expect("merge");
        assert_eq!(m.rows.len(), 4);
        assert_eq!(m.shard, None);

        let e = merge(std::slice::from_ref(&a)).unwrap_err().to_string();
        assert!(
            e.contains("2 of 4 rows missing") && e.contains("shard 2/2"),
            "{e}"
        );
        assert!(e.contains("shards not given: 2/2"), "{e}");

        let e = merge(&[a.clone(), a.clone(), b.clone()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duplicate") && e.contains("point 0 seed 1"),
            "{e}"
        );

        let mut other = result(vec![row(0, 2, 2.0), row(1, 2, 4.0)], s(2));
        other.sweep_hash = "x".into();
        let c = write_shard(tmp.path(), "c", &other);
        let e = merge(&[a.clone(), c]).unwrap_err().to_string();
        assert!(e.contains("different sweep") && e.contains("c"), "{e}");

        let mut bad = result(vec![row(5, 2, 2.0)], s(2));
        bad.sweep_hash = "h".into();
        let d = write_shard(tmp.path(), "d", &bad);
        let e = merge(&[a, d]).unwrap_err().to_string();
        assert!(e.contains("not in the sweep's grid"), "{e}");

        // A shard's own `shard` field must be valid and match its rows.
        let bad_index = write_shard(
            tmp.path(),
            "e",
            &result(vec![row(0, 2, 2.0)], Some(ShardOut { index: 9, count: 3 })),
        );
        let e = merge(&[bad_index]).unwrap_err().to_string();
        assert!(
            e.contains("e/sweep.json") && e.contains("shard 9/3 is not a valid shard"),
            "{e}"
        );
        let wrong_rows = write_shard(tmp.path(), "f", &result(vec![row(0, 1, 1.0)], s(2)));
        let e = merge(&[wrong_rows]).unwrap_err().to_string();
        assert!(
            e.contains("f/sweep.json")
                && e.contains("row 0 (point 0 seed 1) does not belong to shard 2/2"),
            "{e}"
        );

        let e = merge(&[tmp.path().join("nope")]).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("sweep.json"), "{e}");
    }

    #[test]
    fn refuses_to_replace_a_foreign_directory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("precious.txt"), "x").unwrap();
        let r = result(vec![], None);
        let e = write_dir(tmp.path(), &r, &SweepPerf::new(vec![], None, None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("refusing to replace it"), "{e}");
        assert!(e.contains("precious.txt"), "{e}");
        assert!(tmp.path().join("precious.txt").is_file());
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.973760), "0.9738");
        assert_eq!(sig(137.0), "137");
        assert_eq!(sig(22_550_000_000.0), "2.255e10");
        assert_eq!(sig(28_790_514.0), "2.879e7");
        assert_eq!(sig(100_717.0), "100717");
        assert_eq!(sig(0.0), "0");
    }
}
