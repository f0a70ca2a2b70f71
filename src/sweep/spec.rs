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

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};

use super::SweepError;
use crate::io_limits::{self, read_capped_string};
use crate::scenario::{self, error::line_of, Loaded};

/// Metrics used when the sweep file names none.
pub const DEFAULT_METRICS: [&str; 3] = ["delivery_ratio", "latency_ms.p99", "bytes_sent"];
/// Most values one swept key may take.
pub const MAX_VALUES: usize = 10_000;
/// Most seeds per point.
pub const MAX_SEEDS: usize = 10_000;
/// Most runs (points × seeds) in one sweep: every point is loaded and validated before
/// anything runs (tens of µs each), every row is kept in memory and written to `sweep.json`
/// (~3 KB each, read back by `sim merge` within `io_limits::SWEEP_OUTPUT_BYTES`).
pub const MAX_RUNS: usize = 100_000;

const TOP_KEYS: [&str; 7] = [
    "name",
    "description",
    "base",
    "seeds",
    "metrics",
    "set",
    "sweep",
];

/// A parsed, checked sweep file.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The sweep file, as given.
    pub file: PathBuf,
    /// `name`, or the file stem.
    pub name: String,
    /// `description` (empty if absent).
    pub description: String,
    /// `base` as written in the file.
    pub base: String,
    /// `base` resolved against the sweep file's directory.
    pub base_path: PathBuf,
    /// Seeds of every point, in run order.
    pub seeds: Vec<u64>,
    /// Metric names to aggregate and plot (see [`super::exec::metrics_of`]).
    pub metrics: Vec<String>,
    /// `[set]` as `--set` arguments (`key=value`, the value a TOML literal), file order.
    pub set: Vec<String>,
    /// Swept keys in file order (the first varies slowest).
    pub params: Vec<Param>,
}

/// One swept key and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Dotted key, as for `--set`.
    pub key: String,
    /// Its values, in order (lists as written; ranges expanded).
    pub values: Vec<toml::Value>,
    /// Line of the key in the sweep file.
    pub line: Option<usize>,
}

/// One point of the grid: a value per swept key. Its scenario was loaded and validated when
/// the plan was made; [`Plan::load_point`] loads it again for a run (points keep no scenario,
/// so a grid of many points of a large base scenario stays small).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// 0-based index in grid order.
    pub index: usize,
    /// Index into each [`Param::values`], aligned with [`SweepSpec::params`].
    pub value_index: Vec<usize>,
    /// Every override applied to the base scenario: `[set]` then the swept keys.
    pub overrides: Vec<String>,
    /// The point's scenario `config_hash` (see `scenario::Loaded::config_hash`).
    pub config_hash: String,
    /// Estimated peak resident bytes of one run of the point (`budget::Estimate::total_bytes`).
    pub memory_bytes: u64,
}

/// A sweep ready to run: the spec, every point loaded and validated, and the sweep's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub spec: SweepSpec,
    pub points: Vec<Point>,
    /// The base scenario's text, as read when the plan was made (points are loaded from it).
    pub base_text: String,
    /// Lowercase hex SHA-256 of the sweep's definition: crate version, name, seeds,
    /// metrics, `[set]`, swept keys and values, and every point's `config_hash` (which covers
    /// the resolved scenario, so an edited base scenario changes it too). Shards of one
    /// sweep share it; `sim merge` refuses shards whose hashes differ.
    pub hash: String,
}

impl Plan {
    /// The scenario of point `p`: the base text with the point's overrides (seed: the base's;
    /// each run sets its own). Same as when the plan was made, unless the region matrix file
    /// changed since.
    ///
    /// # Errors
    /// A [`SweepError`] naming the sweep file and the point, with the loader's message.
    pub fn load_point(&self, p: &Point) -> Result<Loaded, SweepError> {
        scenario::load_str(&self.base_text, &self.spec.base_path, None, &p.overrides).map_err(|e| {
            SweepError::new(
                &self.spec.file,
                format!("point {} ({}): {e}", p.index, p.overrides.join(", ")),
            )
            .at("sweep", None)
        })
    }

    /// Runs in the whole sweep: points × seeds.
    pub fn runs(&self) -> usize {
        self.points.len() * self.spec.seeds.len()
    }

    /// The values of point `p` (aligned with the params).
    pub fn values_of(&self, p: &Point) -> Vec<&toml::Value> {
        self.spec
            .params
            .iter()
            .zip(&p.value_index)
            .map(|(param, &i)| &param.values[i])
            .collect()
    }
}

/// Reads the sweep file at `path` and loads it with [`load_str`].
///
/// # Errors
/// A [`SweepError`] naming `path` when it cannot be read, else as [`load_str`].
pub fn load(path: &Path) -> Result<Plan, SweepError> {
    let source = read_capped_string(path, io_limits::SWEEP_FILE_BYTES, "a sweep file")
        .map_err(|e| SweepError::new(path, e.to_string()))?;
    load_str(&source, path)
}

/// Loads a sweep from `source`, the text of the file at `origin`: parses and checks every
/// key, reads the base scenario, loads it with `[set]` alone, then once per point of the
/// grid with `[set]` and the point's values as `--set` overrides, and hashes the result.
///
/// # Errors
/// A [`SweepError`] naming `origin`, the line and key (`seeds`, `sweep.network.loss`) and
/// what is wrong: TOML syntax, unknown or missing keys, wrong types, empty lists, bad ranges,
/// duplicate keys or values, unknown metrics, an unreadable base scenario, or a point the
/// scenario loader rejects (with its message, which names the base file and the `--set`).
pub fn load_str(source: &str, origin: &Path) -> Result<Plan, SweepError> {
    let doc = DeTable::parse(source).map_err(|e| syntax(origin, source, &e))?;
    let table: toml::Table = toml::from_str(source).map_err(|e| syntax(origin, source, &e))?;
    let file = File {
        origin,
        source,
        doc: doc.get_ref(),
    };
    let spec = file.spec(&table)?;

    let base_line = file.line(&["base"]);
    let base_text = read_capped_string(
        &spec.base_path,
        io_limits::SCENARIO_BYTES,
        "a scenario file",
    )
    .map_err(|e| {
        let what = if e.is_too_large() { "" } else { "cannot read " };
        file.err(
            "base",
            base_line,
            format!(
                "{what}base scenario \"{}\": {}",
                spec.base_path.display(),
                e.reason()
            ),
        )
    })?;
    // `[set]` alone first, so that its errors (and the base's own) are named as such.
    scenario::load_str(&base_text, &spec.base_path, None, &spec.set).map_err(|e| {
        let (key, line) = match &e.set {
            Some(s) => {
                let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
                let segs: Vec<&str> = std::iter::once("set").chain(k.split('.')).collect();
                (format!("set.{k}"), file.line(&segs).or(file.line(&["set"])))
            }
            None => ("base".to_string(), base_line),
        };
        file.err(key, line, format!("the base scenario does not load: {e}"))
    })?;

    let mut points = Vec::new();
    let mut index = vec![0usize; spec.params.len()];
    let mut regions = scenario::RegionCache::default();
    loop {
        let mut overrides = spec.set.clone();
        for (p, &i) in spec.params.iter().zip(&index) {
            overrides.push(format!("{}={}", p.key, literal(&p.values[i])));
        }
        let loaded =
            scenario::load_str_cached(&base_text, &spec.base_path, None, &overrides, &mut regions)
                .map_err(|e| point_error(&file, &spec, points.len(), &index, &e))?;
        points.push(Point {
            index: points.len(),
            value_index: index.clone(),
            overrides,
            memory_bytes: crate::budget::estimate(&loaded).total_bytes(),
            config_hash: loaded.config_hash,
        });
        // Odometer: the last key varies fastest.
        let mut k = spec.params.len();
        loop {
            if k == 0 {
                let hash = hash(&spec, &points);
                return Ok(Plan {
                    spec,
                    points,
                    base_text,
                    hash,
                });
            }
            k -= 1;
            index[k] += 1;
            if index[k] < spec.params[k].values.len() {
                break;
            }
            index[k] = 0;
        }
    }
}

/// A TOML value as `--set` takes it (strings quoted, tables inline).
pub fn literal(v: &toml::Value) -> String {
    v.to_string()
}

/// A value for people: strings bare, everything else as a TOML literal.
pub fn display(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn point_error(
    file: &File,
    spec: &SweepSpec,
    point: usize,
    index: &[usize],
    e: &scenario::ScenarioError,
) -> SweepError {
    let values: Vec<String> = spec
        .params
        .iter()
        .zip(index)
        .map(|(p, &i)| format!("{}={}", p.key, literal(&p.values[i])))
        .collect();
    let total: usize = spec.params.iter().map(|p| p.values.len()).product();
    let set_key = e
        .set
        .as_deref()
        .map(|s| s.split_once('=').map_or(s, |(k, _)| k).trim().to_string());
    let (key, line, what) = match set_key
        .as_deref()
        .and_then(|k| spec.params.iter().position(|p| p.key == k))
    {
        Some(pi) => {
            let p = &spec.params[pi];
            (
                format!("sweep.{}", p.key),
                p.line,
                format!("value {}", literal(&p.values[index[pi]])),
            )
        }
        None => (
            "sweep".to_string(),
            file.line(&["sweep"]),
            "the combination".to_string(),
        ),
    };
    file.err(
        key,
        line,
        format!(
            "{what} is rejected at point {point} (0-based, of {total}: {}): {e}",
            values.join(", ")
        ),
    )
}

fn hash(spec: &SweepSpec, points: &[Point]) -> String {
    let params: Vec<serde_json::Value> = spec
        .params
        .iter()
        .map(|p| serde_json::json!([p.key, p.values]))
        .collect();
    let def = serde_json::json!({
        "sdsim_version": env!("CARGO_PKG_VERSION"),
        "name": spec.name,
        "seeds": spec.seeds,
        "metrics": spec.metrics,
        "set": spec.set,
        "parameters": params,
        "points": points.iter().map(|p| p.config_hash.as_str()).collect::<Vec<_>>(),
    });
    let digest = Sha256::digest(def.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn syntax(origin: &Path, source: &str, e: &toml::de::Error) -> SweepError {
    let mut err = SweepError::new(origin, format!("invalid TOML: {}", e.message().trim()));
    err.line = e.span().map(|s| line_of(source, s.start));
    err
}

/// A flattened `[set]` / `[sweep]` entry.
struct Entry {
    /// Key segments below the section (`["network", "loss"]` or `["network.loss"]`).
    path: Vec<String>,
    value: toml::Value,
    /// Whether the value was written as an inline table `{ ... }`.
    inline: bool,
    /// Byte offset of the key (file order).
    pos: usize,
}

impl Entry {
    fn key(&self) -> String {
        self.path.join(".")
    }
}

struct File<'a, 'i> {
    origin: &'a Path,
    source: &'a str,
    doc: &'a DeTable<'i>,
}

impl File<'_, '_> {
    fn err(
        &self,
        key: impl Into<String>,
        line: Option<usize>,
        msg: impl Into<String>,
    ) -> SweepError {
        SweepError::new(self.origin, msg).at(key, line)
    }

    /// The key and value spans of the entry at `path`.
    fn spans(&self, path: &[&str]) -> Option<(usize, std::ops::Range<usize>)> {
        let mut table = self.doc;
        let mut found = None;
        for (i, seg) in path.iter().enumerate() {
            let (k, v) = table.iter().find(|(k, _)| k.get_ref() == seg)?;
            found = Some((k.span().start, v.span()));
            if i + 1 < path.len() {
                match v.get_ref() {
                    DeValue::Table(t) => table = t,
                    _ => return None,
                }
            }
        }
        found
    }

    fn line(&self, path: &[&str]) -> Option<usize> {
        self.spans(path).map(|(k, _)| line_of(self.source, k))
    }

    fn line_s(&self, path: &[String]) -> Option<usize> {
        let segs: Vec<&str> = path.iter().map(String::as_str).collect();
        self.line(&segs)
    }

    fn spec(&self, table: &toml::Table) -> Result<SweepSpec, SweepError> {
        for k in table.keys() {
            if !TOP_KEYS.contains(&k.as_str()) {
                return Err(self.err(
                    k.clone(),
                    self.line(&[k]),
                    format!(
                        "unknown key \"{k}\" (expected one of: {})",
                        TOP_KEYS.join(", ")
                    ),
                ));
            }
        }
        let string = |key: &str| -> Result<Option<String>, SweepError> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(self.err(
                    key,
                    self.line(&[key]),
                    format!("expected a string, got {}", other.type_str()),
                )),
            }
        };
        let explicit = string("name")?;
        let name = explicit.clone().unwrap_or_else(|| {
            self.origin
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sweep".into())
        });
        // It becomes the directory reports/sweeps/<name>/.
        if let Err(m) = crate::names::check_name(&name) {
            let message = match explicit {
                Some(_) => m,
                None => format!(
                    "there is no `name` key, so the file name's stem would be the name, but \
                     it {m}; add a `name` key"
                ),
            };
            return Err(self.err("name", self.line(&["name"]), message));
        }
        let description = string("description")?.unwrap_or_default();
        let Some(base) = string("base")? else {
            return Err(self.err(
                "base",
                None,
                "missing required key \"base\" (the scenario file to sweep, relative to this file)",
            ));
        };
        let base_path = match self.origin.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(&base),
            _ => PathBuf::from(&base),
        };
        let seeds = self.seeds(table.get("seeds"))?;
        let metrics = self.metrics(table.get("metrics"))?;

        let set_entries = match table.get("set") {
            None => Vec::new(),
            Some(toml::Value::Table(t)) => self.flatten("set", t)?,
            Some(other) => {
                return Err(self.err(
                    "set",
                    self.line(&["set"]),
                    format!("expected a table of KEY = VALUE, got {}", other.type_str()),
                ))
            }
        };
        let mut set = Vec::new();
        let mut set_keys = BTreeSet::new();
        for e in &set_entries {
            let key = e.key();
            let line = self.line_s(&prefixed("set", &e.path));
            if key == "seed" {
                return Err(self.err(
                    "set.seed",
                    line,
                    "the seed is not a scenario override here: use `seeds`",
                ));
            }
            if !set_keys.insert(key.clone()) {
                return Err(self.err(format!("set.{key}"), line, "key given twice"));
            }
            set.push(format!("{key}={}", literal(&e.value)));
        }

        let sweep = match table.get("sweep") {
            Some(toml::Value::Table(t)) => self.flatten("sweep", t)?,
            Some(other) => {
                return Err(self.err(
                    "sweep",
                    self.line(&["sweep"]),
                    format!(
                        "has the wrong type: expected a table ([sweep] with KEY = [values] or \
                         KEY = {{ from, to, step }}), got {} {other}",
                        other.type_str()
                    ),
                ))
            }
            None => {
                // `sweep = ...` written after the `[set]` header lands in [set].
                if let Some(toml::Value::Table(set)) = table.get("set") {
                    if let Some(v) = set.get("sweep") {
                        return Err(self.err(
                            "set.sweep",
                            self.line(&["set", "sweep"]),
                            format!(
                                "`sweep = {v}` is inside [set] (TOML puts every key after a \
                                 [table] header into that table), and the required [sweep] \
                                 table is missing: write [sweep] with KEY = [values] or KEY = \
                                 {{ from, to, step }}"
                            ),
                        ));
                    }
                }
                return Err(self.err(
                    "sweep",
                    None,
                    "missing required table [sweep] (KEY = [values] or { from, to, step })",
                ));
            }
        };
        if sweep.is_empty() {
            return Err(self.err(
                "sweep",
                self.line(&["sweep"]),
                "no key to sweep: add KEY = [values] or KEY = { from, to, step }",
            ));
        }
        let mut params: Vec<Param> = Vec::new();
        for e in &sweep {
            let key = e.key();
            let full = format!("sweep.{key}");
            let line = self.line_s(&prefixed("sweep", &e.path));
            if key == "seed" {
                return Err(self.err(full, line, "sweep seeds with the top-level `seeds` key"));
            }
            if params.iter().any(|p| p.key == key) {
                return Err(self.err(full, line, "key given twice"));
            }
            if set_keys.contains(&key) {
                return Err(self.err(full, line, "key is both in [set] and in [sweep]"));
            }
            let values = self.values(&full, line, e)?;
            params.push(Param { key, values, line });
        }
        let mut runs = seeds.len();
        for p in &params {
            runs = runs.saturating_mul(p.values.len());
        }
        if runs > MAX_RUNS {
            return Err(self.err(
                "sweep",
                self.line(&["sweep"]),
                format!("{runs} runs (points × seeds) is more than the limit of {MAX_RUNS}"),
            ));
        }
        Ok(SweepSpec {
            file: self.origin.to_path_buf(),
            name,
            description,
            base,
            base_path,
            seeds,
            metrics,
            set,
            params,
        })
    }

    fn seeds(&self, v: Option<&toml::Value>) -> Result<Vec<u64>, SweepError> {
        let line = self.line(&["seeds"]);
        let bad = |msg: String| self.err("seeds", line, msg);
        match v {
            None => Ok(vec![1]),
            Some(toml::Value::Integer(n)) => {
                if *n < 1 || *n as u64 > MAX_SEEDS as u64 {
                    return Err(bad(format!(
                        "must be in [1, {MAX_SEEDS}] (seeds 1..=N), got {n}"
                    )));
                }
                Ok((1..=*n as u64).collect())
            }
            Some(toml::Value::Array(a)) => {
                if a.is_empty() || a.len() > MAX_SEEDS {
                    return Err(bad(format!(
                        "expected 1 to {MAX_SEEDS} seeds, got {}",
                        a.len()
                    )));
                }
                let mut out = Vec::with_capacity(a.len());
                for v in a {
                    let seed = match v {
                        toml::Value::Integer(s) if *s >= 0 => *s as u64,
                        other => {
                            return Err(bad(format!(
                                "seeds must be non-negative integers, got {other}"
                            )))
                        }
                    };
                    if out.contains(&seed) {
                        return Err(bad(format!("seed {seed} listed twice")));
                    }
                    out.push(seed);
                }
                Ok(out)
            }
            Some(other) => Err(bad(format!(
                "expected a number of seeds (3) or a list of seeds ([1, 2, 3]), got {}",
                other.type_str()
            ))),
        }
    }

    fn metrics(&self, v: Option<&toml::Value>) -> Result<Vec<String>, SweepError> {
        let line = self.line(&["metrics"]);
        let Some(v) = v else {
            return Ok(DEFAULT_METRICS.iter().map(|s| s.to_string()).collect());
        };
        let toml::Value::Array(a) = v else {
            return Err(self.err(
                "metrics",
                line,
                format!("expected a list of metric names, got {}", v.type_str()),
            ));
        };
        if a.is_empty() {
            return Err(self.err("metrics", line, "expected at least one metric"));
        }
        let known = super::exec::known_metrics();
        let mut out: Vec<String> = Vec::new();
        for m in a {
            let toml::Value::String(m) = m else {
                return Err(self.err(
                    "metrics",
                    line,
                    format!("metric names are strings, got {m}"),
                ));
            };
            let name = m.strip_prefix("summary.").unwrap_or(m);
            if !known.contains(name) {
                let near: Vec<&str> = known
                    .iter()
                    .filter(|k| k.contains(name) || edit_distance(k, name) <= 3)
                    .map(String::as_str)
                    .take(6)
                    .collect();
                let hint = if near.is_empty() {
                    String::new()
                } else {
                    format!(" (similar: {})", near.join(", "))
                };
                return Err(self.err(
                    "metrics",
                    line,
                    format!(
                        "unknown metric \"{m}\"{hint}; metrics are the numeric fields of \
                         report.json's `summary` (e.g. delivery_ratio, latency_ms.p99, \
                         bytes_by_kind.sync) and `run` (run.end_s), see reports/README.md"
                    ),
                ));
            }
            if out.iter().any(|o| o == name) {
                return Err(self.err("metrics", line, format!("metric \"{m}\" listed twice")));
            }
            out.push(name.to_string());
        }
        Ok(out)
    }

    /// Flattens a `[set]` / `[sweep]` table into entries in file order: sub-tables add key
    /// segments; inline tables and everything else are values.
    fn flatten(&self, section: &str, t: &toml::Table) -> Result<Vec<Entry>, SweepError> {
        let mut out = Vec::new();
        self.flatten_into(&mut vec![section.to_string()], t, &mut out);
        out.sort_by_key(|e| e.pos);
        Ok(out)
    }

    fn flatten_into(&self, path: &mut Vec<String>, t: &toml::Table, out: &mut Vec<Entry>) {
        for (k, v) in t {
            path.push(k.clone());
            let segs: Vec<&str> = path.iter().map(String::as_str).collect();
            let (pos, inline) = match self.spans(&segs) {
                Some((pos, span)) => (
                    pos,
                    self.source
                        .get(span.start..)
                        .is_some_and(|s| s.starts_with('{')),
                ),
                None => (usize::MAX, false),
            };
            match v {
                toml::Value::Table(sub) if !inline => self.flatten_into(path, sub, out),
                _ => out.push(Entry {
                    path: path[1..].to_vec(),
                    value: v.clone(),
                    inline,
                    pos,
                }),
            }
            path.pop();
        }
    }

    /// The values of one swept key: a list, or a range written as an inline table.
    fn values(
        &self,
        key: &str,
        line: Option<usize>,
        e: &Entry,
    ) -> Result<Vec<toml::Value>, SweepError> {
        let bad = |msg: String| self.err(key, line, msg);
        let values = match &e.value {
            toml::Value::Array(a) => {
                if a.is_empty() {
                    return Err(bad("empty list: give at least one value".into()));
                }
                a.clone()
            }
            toml::Value::Table(t) if e.inline => range(t).map_err(bad)?,
            other => {
                return Err(bad(format!(
                    "expected a list of values ([0.0, 0.01]) or a range \
                     ({{ from = 2, to = 10, step = 4 }}), got {} {other}; put a fixed value in [set]",
                    other.type_str()
                )))
            }
        };
        if values.len() > MAX_VALUES {
            return Err(bad(format!(
                "{} values is more than the limit of {MAX_VALUES}",
                values.len()
            )));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(bad(format!("value {v} listed twice")));
            }
        }
        Ok(values)
    }
}

fn prefixed(section: &str, path: &[String]) -> Vec<String> {
    std::iter::once(section.to_string())
        .chain(path.iter().cloned())
        .collect()
}

/// Expands `{ from, to, step }` (arithmetic, `to` included when hit) or
/// `{ from, to, factor }` (geometric). All-integer bounds give integers; otherwise floats,
/// rounded to 12 significant digits (so `0.01` steps give `0.03`, not `0.030000000000000002`).
fn range(t: &toml::Table) -> Result<Vec<toml::Value>, String> {
    const KEYS: [&str; 4] = ["from", "to", "step", "factor"];
    for k in t.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(format!(
                "unknown range key \"{k}\" (expected: from, to, and step or factor)"
            ));
        }
    }
    let num = |k: &str| -> Result<Option<toml::Value>, String> {
        match t.get(k) {
            None => Ok(None),
            Some(v @ toml::Value::Integer(_)) => Ok(Some(v.clone())),
            Some(toml::Value::Float(f)) if f.is_finite() => Ok(Some(toml::Value::Float(*f))),
            Some(other) => Err(format!("range `{k}` must be a finite number, got {other}")),
        }
    };
    let (Some(from), Some(to)) = (num("from")?, num("to")?) else {
        return Err("a range needs `from` and `to` (and `step` or `factor`)".into());
    };
    let (step, factor) = (num("step")?, num("factor")?);
    let as_f = |v: &toml::Value| match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        _ => f64::NAN,
    };
    let (fa, fb) = (as_f(&from), as_f(&to));
    if fb < fa {
        return Err(format!("range `to` ({to}) is below `from` ({from})"));
    }
    let too_many = || format!("the range has more than {MAX_VALUES} values");
    match (step, factor) {
        (Some(step), None) => {
            let s = as_f(&step);
            if s <= 0.0 {
                return Err(format!("range `step` must be > 0, got {step}"));
            }
            if let (toml::Value::Integer(a), toml::Value::Integer(b), toml::Value::Integer(s)) =
                (&from, &to, &step)
            {
                let n = (b - a) / s + 1;
                if n as u64 > MAX_VALUES as u64 {
                    return Err(too_many());
                }
                return Ok((0..n).map(|i| toml::Value::Integer(a + i * s)).collect());
            }
            let n = ((fb - fa) / s + 1e-9).floor() + 1.0;
            if n > MAX_VALUES as f64 {
                return Err(too_many());
            }
            Ok((0..n as usize)
                .map(|i| toml::Value::Float(round_sig(fa + i as f64 * s)))
                .collect())
        }
        (None, Some(factor)) => {
            let f = as_f(&factor);
            if f <= 1.0 {
                return Err(format!("range `factor` must be > 1, got {factor}"));
            }
            if fa <= 0.0 {
                return Err(format!("a `factor` range needs `from` > 0, got {from}"));
            }
            let mut out = Vec::new();
            if let (toml::Value::Integer(a), toml::Value::Integer(b), toml::Value::Integer(f)) =
                (&from, &to, &factor)
            {
                let mut v = *a;
                while v <= *b {
                    out.push(toml::Value::Integer(v));
                    match v.checked_mul(*f) {
                        Some(next) => v = next,
                        None => break,
                    }
                }
                return Ok(out);
            }
            for i in 0.. {
                let v = round_sig(fa * f.powi(i));
                if v > fb * (1.0 + 1e-9) {
                    break;
                }
                if out.len() >= MAX_VALUES {
                    return Err(too_many());
                }
                out.push(toml::Value::Float(v));
            }
            Ok(out)
        }
        (Some(_), Some(_)) => Err("give either `step` or `factor`, not both".into()),
        (None, None) => Err("a range needs `step` (arithmetic) or `factor` (geometric)".into()),
    }
}

/// Levenshtein distance in chars (for "did you mean" hints).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `x` rounded to 12 significant digits.
fn round_sig(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("base.toml"),
            "participants = 4\nduration = \"10s\"\n[network.latency]\n\
             distribution = { kind = \"constant\", value = \"20ms\" }\n",
        )
        .expect("write");
        dir
    }

    fn load_in(dir: &Path, text: &str) -> Result<Plan, SweepError> {
        let path = dir.join("s.toml");
        std::fs::write(&path, text).expect("write");
        load(&path)
    }

    #[test]
    fn grid_in_file_order_first_key_slowest() {
        let dir = base_dir();
        let plan = load_in(
            dir.path(),
            "base = \"base.toml\"\nseeds = 2\n[sweep]\n\"network.loss\" = [0.0, 0.1]\n\
             protocol = [\"sds\", \"none\"]\nsds.causal_history = { from = 2, to = 10, step = 4 }\n",
        )
        .expect("loads");
        assert_eq!(plan.spec.seeds, vec![1, 2]);
        let keys: Vec<&str> = plan.spec.params.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["network.loss", "protocol", "sds.causal_history"]);
        assert_eq!(plan.points.len(), 12);
        assert_eq!(plan.runs(), 24);
        assert_eq!(plan.points[1].value_index, vec![0, 0, 1]);
        assert_eq!(plan.points[3].value_index, vec![0, 1, 0]);
        let p = &plan.points[7];
        assert_eq!(
            p.overrides,
            vec![
                "network.loss=0.1",
                "protocol=\"sds\"",
                "sds.causal_history=6"
            ]
        );
        let loaded = plan.load_point(p).expect("point loads");
        assert_eq!(loaded.scenario.sds.causal_history, 6);
        assert_eq!(loaded.scenario.network.loss, 0.1);
        assert_eq!(loaded.config_hash, p.config_hash);
        assert_eq!(plan.spec.metrics, DEFAULT_METRICS);
        assert_eq!(plan.spec.name, "s");
    }

    #[test]
    fn ranges() {
        let t = |s: &str| -> toml::Table { toml::from_str(&format!("r = {s}")).unwrap() };
        let r = |s: &str| match t(s).get("r") {
            Some(toml::Value::Table(x)) => range(x),
            _ => unreachable!(),
        };
        let f = |v: Vec<toml::Value>| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            f(r("{ from = 2, to = 10, step = 4 }").unwrap()),
            ["2", "6", "10"]
        );
        assert_eq!(f(r("{ from = 2, to = 9, step = 4 }").unwrap()), ["2", "6"]);
        assert_eq!(
            f(r("{ from = 0.0, to = 0.05, step = 0.01 }").unwrap()),
            ["0.0", "0.01", "0.02", "0.03", "0.04", "0.05"]
        );
        assert_eq!(
            f(r("{ from = 100, to = 10000, factor = 10 }").unwrap()),
            ["100", "1000", "10000"]
        );
        assert_eq!(
            f(r("{ from = 0.001, to = 0.1, factor = 10.0 }").unwrap()),
            ["0.001", "0.01", "0.1"]
        );
        assert!(r("{ from = 1, to = 3, step = 0 }")
            .unwrap_err()
            .contains("step"));
        assert!(r("{ from = 3, to = 1, step = 1 }")
            .unwrap_err()
            .contains("below"));
        assert!(r("{ from = 1, to = 3 }").unwrap_err().contains("step"));
        assert!(r("{ from = 1, to = 3, step = 1, factor = 2 }")
            .unwrap_err()
            .contains("either"));
        assert!(r("{ from = 1, to = 3, stp = 1 }")
            .unwrap_err()
            .contains("stp"));
        assert!(r("{ from = 1, to = 1000000, step = 1 }")
            .unwrap_err()
            .contains("more than"));
        assert!(r("{ from = 0, to = 10, factor = 2 }")
            .unwrap_err()
            .contains("> 0"));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let dir = base_dir();
        let cases: &[(&str, &[&str])] = &[
            ("base = \"base.toml\"\nsweeep = 1\n[sweep]\nprotocol = [\"sds\"]\n", &["line 2", "sweeep", "unknown key"]),
            ("[sweep]\nprotocol = [\"sds\"]\n", &["base", "missing"]),
            ("base = \"nope.toml\"\n[sweep]\nprotocol = [\"sds\"]\n", &["line 1", "base", "nope.toml"]),
            ("base = \"base.toml\"\n", &["sweep", "missing"]),
            ("base = \"base.toml\"\nsweep = 5\n", &["line 2", "sweep: has the wrong type: expected a table", "got integer 5"]),
            ("base = \"base.toml\"\nsweep = [1, 2]\n", &["line 2", "sweep: has the wrong type", "got array"]),
            ("base = \"base.toml\"\n[set]\nparticipants = 5\nsweep = 5\n", &["line 4", "set.sweep: `sweep = 5` is inside [set]", "[sweep] table is missing"]),
            ("base = \"base.toml\"\n[sweep]\n", &["no key to sweep"]),
            ("base = \"base.toml\"\n[sweep]\nprotocol = []\n", &["line 3", "sweep.protocol", "empty"]),
            ("base = \"base.toml\"\n[sweep]\nprotocol = \"sds\"\n", &["sweep.protocol", "[set]"]),
            ("base = \"base.toml\"\n[sweep]\nprotocol = [\"sds\", \"sds\"]\n", &["twice"]),
            ("base = \"base.toml\"\nseeds = 0\n[sweep]\nprotocol = [\"sds\"]\n", &["line 2", "seeds"]),
            ("base = \"base.toml\"\nseeds = [1, 1]\n[sweep]\nprotocol = [\"sds\"]\n", &["seeds", "twice"]),
            ("base = \"base.toml\"\nmetrics = [\"delivery_ration\"]\n[sweep]\nprotocol = [\"sds\"]\n", &["metrics", "delivery_ration", "similar"]),
            ("base = \"base.toml\"\n[sweep]\n\"network.loss\" = { from = 0.0, to = 0.1, step = -1.0 }\n", &["line 3", "sweep.network.loss", "step"]),
            ("base = \"base.toml\"\n[sweep]\n\"network.loss\" = [0.0, 1.5]\n", &["line 3", "sweep.network.loss", "value 1.5", "point 1 (0-based, of 2", "base.toml", "--set network.loss=1.5"]),
            ("base = \"base.toml\"\n[sweep]\n\"network.losss\" = [0.1]\n", &["sweep.network.losss", "network.losss"]),
            ("base = \"base.toml\"\n[set]\nparticipants = 0\n[sweep]\nprotocol = [\"sds\"]\n", &["line 3", "set.participants", "participants"]),
            ("base = \"base.toml\"\n[set]\nprotocol = \"none\"\n[sweep]\nprotocol = [\"sds\"]\n", &["sweep.protocol", "both"]),
            ("base = \"base.toml\"\n[sweep]\nseed = [1, 2]\n", &["sweep.seed", "seeds"]),
            ("base = \"base.toml\"\n[sweep\n", &["line 2", "invalid TOML"]),
        ];
        for (text, needles) in cases {
            let e = load_in(dir.path(), text).expect_err(text).to_string();
            assert!(
                e.starts_with(&dir.path().join("s.toml").display().to_string()),
                "{e}"
            );
            for n in *needles {
                assert!(
                    e.contains(n),
                    "{n:?} missing from: {e}\n(sweep file: {text})"
                );
            }
        }
    }

    #[test]
    fn set_applies_to_every_point_and_nested_keys_flatten() {
        let dir = base_dir();
        let plan = load_in(
            dir.path(),
            "base = \"base.toml\"\nseeds = [7, 3]\nmetrics = [\"summary.bytes_sent\", \"run.end_s\"]\n\
             [set]\nparticipants = 6\n\"network.latency.distribution\" = { kind = \"constant\", value = \"5ms\" }\n\
             [sweep.sds]\ncausal_history = [2, 3]\n",
        )
        .expect("loads");
        assert_eq!(plan.spec.seeds, vec![7, 3]);
        assert_eq!(plan.spec.metrics, ["bytes_sent", "run.end_s"]);
        assert_eq!(plan.spec.params[0].key, "sds.causal_history");
        for p in &plan.points {
            assert_eq!(plan.load_point(p).unwrap().scenario.participants, 6);
        }
        // The hash depends on the definition, not on formatting.
        let again = load_in(
            dir.path(),
            "base = \"base.toml\"\nseeds = [7, 3]   # comment\nmetrics = [\"bytes_sent\", \"run.end_s\"]\n\
             [set]\nparticipants = 6\n\"network.latency.distribution\" = { kind = \"constant\", value = \"5ms\" }\n\
             [sweep]\n\"sds.causal_history\" = [2, 3]\n",
        )
        .expect("loads");
        assert_eq!(plan.hash, again.hash);
        let other = load_in(
            dir.path(),
            "base = \"base.toml\"\nseeds = [7, 3]\nmetrics = [\"bytes_sent\", \"run.end_s\"]\n\
             [set]\nparticipants = 7\n[sweep]\n\"sds.causal_history\" = [2, 3]\n",
        )
        .expect("loads");
        assert_ne!(plan.hash, other.hash);
    }
}
