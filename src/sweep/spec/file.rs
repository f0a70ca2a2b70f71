//! The sweep file's text to a checked [`SweepSpec`]: top-level keys, seeds, metrics, the
//! `[set]` and `[sweep]` tables flattened in file order, and errors that name the file, the
//! line and the key.
//!
//! Names the metric names (`row::known_metrics`) and the values of a swept key
//! ([`super::values`]); never loads a scenario (that is `plan.rs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::values::key_values;
use crate::scenario::error::line_of;
use crate::sweep::error::SweepError;
use crate::sweep::row::known_metrics;

/// Metrics used when the sweep file names none.
pub const DEFAULT_METRICS: [&str; 3] = ["delivery_ratio", "latency_ms.p99", "bytes_sent"];
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
    /// Metric names to aggregate and plot (see [`crate::sweep::row::metrics_of`]).
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

pub(super) fn syntax(origin: &Path, source: &str, e: &toml::de::Error) -> SweepError {
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

/// The sweep file being checked: its path, its text and its parsed document (for spans).
pub(super) struct File<'a, 'i> {
    pub(super) origin: &'a Path,
    pub(super) source: &'a str,
    pub(super) doc: &'a DeTable<'i>,
}

impl File<'_, '_> {
    pub(super) fn err(
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

    pub(super) fn line(&self, path: &[&str]) -> Option<usize> {
        self.spans(path).map(|(k, _)| line_of(self.source, k))
    }

    fn line_s(&self, path: &[String]) -> Option<usize> {
        let segs: Vec<&str> = path.iter().map(String::as_str).collect();
        self.line(&segs)
    }

    pub(super) fn spec(&self, table: &toml::Table) -> Result<SweepSpec, SweepError> {
        // A scenario file given to `sim sweep`: say so rather than name its first key.
        if !table.contains_key("base")
            && (table.contains_key("participants") || table.contains_key("duration"))
        {
            return Err(SweepError::new(
                self.origin,
                format!(
                    "this is a scenario file (it has `participants`/`duration`), not a sweep \
                     file: run it with `sim run {}`. A sweep file names a scenario and the keys \
                     to vary: `base = \"scenario.toml\"`, `seeds = [1, 2, 3]` and a `[sweep]` \
                     table such as `\"network.loss\" = [0.0, 0.01]` (scenarios/README.md, \
                     \"Sweep files\")",
                    crate::names::escape_controls(&self.origin.display().to_string())
                ),
            ));
        }
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
        let known = known_metrics();
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

    /// The values of one swept key: a list, or a range written as an inline table (see
    /// [`key_values`]).
    fn values(
        &self,
        key: &str,
        line: Option<usize>,
        e: &Entry,
    ) -> Result<Vec<toml::Value>, SweepError> {
        key_values(&e.value, e.inline).map_err(|msg| self.err(key, line, msg))
    }
}

fn prefixed(section: &str, path: &[String]) -> Vec<String> {
    std::iter::once(section.to_string())
        .chain(path.iter().cloned())
        .collect()
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
