//! Comparing two `report.json` files metric by metric: `sim compare` and `sim check`.
//!
//! ```text
//! load_report(BASELINE), load_report(CANDIDATE)     unreadable / invalid JSON / no summary
//!                                                   or no number in it: error (exit 2)
//! Policy::default() or Policy::from_file(TOML)      bad tolerance file: error (exit 2)
//! compare_reports(&baseline, .., &candidate, ..)
//!   shape::check                                    a metric missing from the candidate or
//!                                                   not a number in either: error (exit 2)
//!   compare(&baseline, &candidate, &policy)         every numeric leaf of `summary`, by dotted path
//!     └ Comparison { rows, warnings }               rows in path order; .regressions() > 0 => exit 1
//! ```
//!
//! The comparison is generic: it walks the JSON `summary` object and compares every number
//! it finds (`latency_ms.p99`, `bytes_by_kind.sync`, `repair.requests_sent`, ...), so a new
//! report field is compared without a code change. Each metric gets a [`Direction`]
//! (higher is better, lower is better, or information only) and a [`Tolerance`] from the
//! first matching rule of [`DEFAULT_RULES`] (explicit rules for the known metrics, then the
//! name-inference rules for new ones), unless a tolerance file overrides it. The rules and
//! the file format are documented in `reports/README.md` ("Comparing reports").
//!
//! Verdicts: a metric whose candidate value is worse than the baseline's by more than its
//! tolerance is a regression ([`Verdict::Worse`]); any move in the good direction is
//! [`Verdict::Better`]; a move in the bad direction within tolerance is [`Verdict::Within`];
//! information-only metrics are never regressions. A metric only in the candidate is
//! [`Verdict::Added`] (a newer report version); one only in the baseline is an error
//! ([`shape`]) unless it may be absent, then [`Verdict::Removed`]. A metric that is not a
//! number in one of the reports (`"1.0"`, `null`) is an error.
//!
//! Reports of different scenarios (`config_hash` differs) still compare, with a warning:
//! comparing two configurations (`--set protocol=none`, another causal history) is a normal
//! use of `sim compare`. `sim check` treats it as a failure instead (a stale baseline).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::io_limits::{self, read_capped, read_capped_string, ReadError};

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Higher is better (delivery ratios): a drop beyond tolerance is a regression.
    Higher,
    /// Lower is better (latencies, bytes, duplicates, violations, lost messages): a rise
    /// beyond tolerance is a regression.
    Lower,
    /// Shown, never judged (counts fixed by the scenario, network events, ...).
    Info,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::Info => "-",
        }
    }
}

/// How far a metric may move in its bad direction before it is a regression: the larger of
/// `absolute` (in the metric's own unit) and `relative` × |baseline value|.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// In the metric's unit (ms for `latency_ms.*`, bytes for `bytes_*`, ...); >= 0.
    pub absolute: f64,
    /// Fraction of the baseline's absolute value (0.05 = 5 %); >= 0.
    pub relative: f64,
}

impl Tolerance {
    /// The allowed move for a baseline value `base`.
    pub fn allowed(&self, base: f64) -> f64 {
        self.absolute.max(self.relative * base.abs())
    }

    fn describe(&self) -> String {
        match (self.absolute > 0.0, self.relative > 0.0) {
            (false, false) => "0".into(),
            (true, false) => fmt_num(self.absolute),
            (false, true) => format!("{}%", fmt_num(self.relative * 100.0)),
            (true, true) => format!(
                "{}% or {}",
                fmt_num(self.relative * 100.0),
                fmt_num(self.absolute)
            ),
        }
    }
}

/// One built-in rule: metrics whose dotted path matches `pattern` (`*` matches any run of
/// characters, dots included) get this direction and tolerance.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub pattern: &'static str,
    pub direction: Direction,
    pub absolute: f64,
    pub relative: f64,
}

const fn rule(pattern: &'static str, direction: Direction, absolute: f64, relative: f64) -> Rule {
    Rule {
        pattern,
        direction,
        absolute,
        relative,
    }
}

use Direction::{Higher, Info, Lower};

pub mod shape;

/// The built-in rules, first match wins. The first block names the known metrics of
/// `reports/README.md`; the second infers a direction for metrics not named here (new
/// fields) from words in their path; whatever matches nothing is information only.
/// Tolerance defaults: delivery ratios 0.001 absolute (0.1 percentage point); latencies 5 %
/// or 1 ms; bytes and bit rates 5 %; repair traffic 10 %; correctness counts (duplicates,
/// causal violations, lost, undelivered, incomplete, diverging logs) 0: any rise fails.
pub const DEFAULT_RULES: &[Rule] = &[
    // Known metrics.
    rule("latency_ms.count", Info, 0.0, 0.0),
    rule("ack_latency_ms.count", Info, 0.0, 0.0),
    rule("*delivery_ratio*", Higher, 0.001, 0.0),
    rule("*latency_ms.*", Lower, 1.0, 0.05),
    rule("duplicates_delivered", Lower, 0.0, 0.0),
    rule("causal_violations", Lower, 0.0, 0.0),
    rule("distinct_final_logs", Lower, 0.0, 0.0),
    rule("acknowledged_undelivered", Lower, 0.0, 0.0),
    rule("participants_incomplete", Lower, 0.0, 0.0),
    rule("messages_in_incoming_buffers", Lower, 0.0, 0.0),
    rule("not_acknowledged", Lower, 0.0, 0.10),
    rule("repair.irretrievably_lost", Lower, 0.0, 0.0),
    rule("repair.requests_sent", Lower, 0.0, 0.10),
    rule("repair.responses_sent", Lower, 0.0, 0.10),
    rule("repair.*_per_requested_message", Lower, 0.05, 0.10),
    rule("repair.*", Info, 0.0, 0.0),
    rule("copies_*", Info, 0.0, 0.0),
    rule("transmissions_by_kind.*", Info, 0.0, 0.0),
    rule("churn.*", Info, 0.0, 0.0),
    rule("*bytes*", Lower, 0.0, 0.05),
    rule("*_bps*", Lower, 0.0, 0.05),
    // Inference for metrics not named above (e.g. fields added by later versions).
    rule("*deliver*ratio*", Higher, 0.001, 0.0),
    rule("*success*", Higher, 0.0, 0.05),
    rule("*hit_ratio*", Higher, 0.001, 0.0),
    rule("*latency*", Lower, 1.0, 0.05),
    rule("*duplicate*", Lower, 0.0, 0.0),
    rule("*violation*", Lower, 0.0, 0.0),
    rule("*lost*", Lower, 0.0, 0.05),
    rule("*undelivered*", Lower, 0.0, 0.0),
    rule("*incomplete*", Lower, 0.0, 0.0),
    rule("*fail*", Lower, 0.0, 0.05),
    rule("*error*", Lower, 0.0, 0.05),
    rule("*timeout*", Lower, 0.0, 0.05),
];

/// `*` matches any run of characters (dots included); everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Sections of `summary` that exist only for some configurations (`churn`: scenarios with a
/// `[churn]` schedule; `store`: scenarios with store nodes). When the two reports are of
/// different configurations (`config_hash` differs), metrics under them may be missing from
/// the candidate (row `removed`); for one configuration a missing metric is an error.
pub const OPTIONAL_SECTIONS: &[&str] = &["churn.*", "store.*"];

/// A user's override from a tolerance file; unset fields keep the built-in values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub absolute: Option<f64>,
    pub relative: Option<f64>,
    pub direction: Option<Direction>,
    /// The metric may be missing from the candidate (shown as `removed`, not an error).
    pub optional: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToleranceFile {
    #[serde(default)]
    metrics: BTreeMap<String, Override>,
}

/// The rules a comparison applies: the built-in [`DEFAULT_RULES`] plus a tolerance file's
/// overrides.
///
/// Resolution for a metric path: an override whose key equals the path; else the matching
/// override pattern with the most non-`*` characters (ties: the alphabetically first key);
/// else the built-in rule. An override's unset fields come from the built-in rule.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    overrides: BTreeMap<String, Override>,
}

/// How one metric is judged, and where that came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub direction: Direction,
    pub tolerance: Tolerance,
    /// The metric may be missing from the candidate (a tolerance file's `optional = true`);
    /// false for every built-in rule.
    pub optional: bool,
}

impl Policy {
    /// Built-in rules only.
    pub fn builtin() -> Policy {
        Policy::default()
    }

    /// Built-in rules plus the overrides of the TOML file at `path`:
    ///
    /// ```toml
    /// [metrics]
    /// "latency_ms.p99" = { relative = 0.10, absolute = 5.0 }
    /// "bytes_by_kind.*" = { relative = 0.25 }
    /// "copies_lost" = { direction = "lower", relative = 0.10 }
    /// ```
    ///
    /// # Errors
    /// [`CompareError`] naming the file when it cannot be read, is not valid TOML, has an
    /// unknown key, or a tolerance that is negative or not finite.
    pub fn from_file(path: &Path) -> Result<Policy, CompareError> {
        let text = read_capped_string(path, io_limits::TOLERANCES_BYTES, "a tolerance file")
            .map_err(|e| read_error(path, e))?;
        Policy::from_toml(&text, path)
    }

    /// As [`from_file`](Self::from_file), from text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Policy, CompareError> {
        let file: ToleranceFile = toml::from_str(text).map_err(|e| CompareError::Invalid {
            path: origin.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        for (key, o) in &file.metrics {
            for (field, v) in [("absolute", o.absolute), ("relative", o.relative)] {
                if let Some(v) = v {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(CompareError::Invalid {
                            path: origin.to_owned(),
                            message: format!(
                                "metrics.\"{key}\".{field}: must be a finite number >= 0, got {v}"
                            ),
                        });
                    }
                }
            }
        }
        Ok(Policy {
            overrides: file.metrics,
        })
    }

    /// The built-in rule for `metric` (first match of [`DEFAULT_RULES`]; information only
    /// with no tolerance if none matches).
    pub fn builtin_rule(metric: &str) -> Judgement {
        DEFAULT_RULES
            .iter()
            .find(|r| glob(r.pattern, metric))
            .map(|r| Judgement {
                direction: r.direction,
                tolerance: Tolerance {
                    absolute: r.absolute,
                    relative: r.relative,
                },
                optional: false,
            })
            .unwrap_or(Judgement {
                direction: Direction::Info,
                tolerance: Tolerance {
                    absolute: 0.0,
                    relative: 0.0,
                },
                optional: false,
            })
    }

    /// How `metric` (a dotted path under `summary`) is judged.
    pub fn judge(&self, metric: &str) -> Judgement {
        let base = Policy::builtin_rule(metric);
        let chosen = self.overrides.get(metric).or_else(|| {
            self.overrides
                .iter()
                .filter(|(k, _)| k.contains('*') && glob(k, metric))
                // max_by_key keeps the last of equal keys; iterate in reverse so ties go to
                // the alphabetically first.
                .rev()
                .max_by_key(|(k, _)| k.chars().filter(|&c| c != '*').count())
                .map(|(_, o)| o)
        });
        match chosen {
            None => base,
            Some(o) => Judgement {
                direction: o.direction.unwrap_or(base.direction),
                tolerance: Tolerance {
                    absolute: o.absolute.unwrap_or(base.tolerance.absolute),
                    relative: o.relative.unwrap_or(base.tolerance.relative),
                },
                optional: o.optional.unwrap_or(base.optional),
            },
        }
    }
}

/// Bad input to a comparison: always names the file (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{}: cannot read: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// A capped read's failure as a [`CompareError`] naming `path`.
fn read_error(path: &Path, e: ReadError) -> CompareError {
    if e.is_too_large() {
        CompareError::Invalid {
            path: path.to_owned(),
            message: e.reason(),
        }
    } else {
        CompareError::Io {
            path: path.to_owned(),
            message: e.reason(),
        }
    }
}

/// The report a `sim compare` argument names: `path` itself when it is not a directory, else
/// `path/report.json` (a run directory).
///
/// # Errors
/// [`CompareError::Invalid`] when `path` is a directory without `report.json`, saying what
/// `sim compare` takes (and, for a sweep's output directory, that it is one).
pub fn report_path(path: &Path) -> Result<PathBuf, CompareError> {
    if !path.is_dir() {
        return Ok(path.to_owned());
    }
    let report = path.join("report.json");
    if report.is_file() {
        return Ok(report);
    }
    let what = if path.join("sweep.json").is_file() {
        "a sweep's output directory (sweep.json), not a run's"
    } else {
        "a directory without report.json"
    };
    Err(CompareError::Invalid {
        path: path.to_owned(),
        message: format!(
            "{what}: sim compare takes two runs' report.json files, or the run directories \
             that hold them (`sim compare reports/runs/a reports/runs/b`, as written by \
             `sim run`); a sweep's points are compared in its sweep_points.csv"
        ),
    })
}

/// Reads a `report.json` (or any JSON object with a `summary` object holding at least one
/// number), at most [`io_limits::REPORT_BYTES`].
///
/// # Errors
/// [`CompareError`] naming `path` when the file cannot be read, is not JSON, has no
/// `summary` object, or its `summary` holds no number (`{}`: nothing could be compared).
pub fn load_report(path: &Path) -> Result<Value, CompareError> {
    let bytes = read_capped(path, io_limits::REPORT_BYTES, "a report.json")
        .map_err(|e| read_error(path, e))?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| CompareError::Invalid {
        path: path.to_owned(),
        message: format!("not valid JSON: {e}"),
    })?;
    if !v.get("summary").is_some_and(Value::is_object) {
        return Err(CompareError::Invalid {
            path: path.to_owned(),
            message: "not a report: no \"summary\" object".into(),
        });
    }
    if numeric_leaves(&v["summary"]).is_empty() {
        return Err(CompareError::Invalid {
            path: path.to_owned(),
            message: "not a report: its \"summary\" holds no metric (no number)".into(),
        });
    }
    Ok(v)
}

/// [`shape::check`] (every metric a number in both reports; a metric of the baseline
/// missing from the candidate only where allowed), then [`compare`]. `baseline_path` and
/// `candidate_path` name the files in errors. What `sim compare` and `sim check` use.
///
/// # Errors
/// [`CompareError::Invalid`] naming the file at fault and every metric path that is missing
/// or not a number.
pub fn compare_reports(
    baseline: &Value,
    baseline_path: &Path,
    candidate: &Value,
    candidate_path: &Path,
    policy: &Policy,
) -> Result<Comparison, CompareError> {
    shape::check(baseline, baseline_path, candidate, candidate_path, policy)?;
    Ok(compare(baseline, candidate, policy))
}

/// Every numeric leaf under `value`, keyed by its dotted path (`latency_ms.p99`); strings,
/// booleans, nulls and arrays are skipped. Paths in sorted order.
pub fn numeric_leaves(value: &Value) -> BTreeMap<String, serde_json::Number> {
    fn walk(v: &Value, prefix: &str, out: &mut BTreeMap<String, serde_json::Number>) {
        match v {
            Value::Number(n) => {
                out.insert(prefix.to_owned(), n.clone());
            }
            Value::Object(map) => {
                for (k, child) in map {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(child, &path, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk(value, "", &mut out);
    out
}

/// The outcome for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Equal values.
    Same,
    /// Moved in the bad direction, within tolerance.
    Within,
    /// Moved in the good direction.
    Better,
    /// Moved in the bad direction beyond tolerance: a regression.
    Worse,
    /// Information-only metric whose value changed.
    Changed,
    /// Only in the candidate.
    Added,
    /// Only in the baseline.
    Removed,
}

impl Verdict {
    /// The word shown in the table.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Within => "ok (within tolerance)",
            Verdict::Better => "better",
            Verdict::Worse => "WORSE",
            Verdict::Changed => "changed (info)",
            Verdict::Added => "added",
            Verdict::Removed => "removed",
        }
    }
}

/// One metric of a comparison.
#[derive(Debug, Clone)]
pub struct Row {
    /// Dotted path under `summary`.
    pub metric: String,
    pub baseline: Option<serde_json::Number>,
    pub candidate: Option<serde_json::Number>,
    pub judgement: Judgement,
    pub verdict: Verdict,
}

/// A whole comparison: one row per metric (sorted by path), and warnings about the pair of
/// reports (different scenario, seed, schema).
#[derive(Debug, Clone)]
pub struct Comparison {
    pub rows: Vec<Row>,
    pub warnings: Vec<String>,
    /// The two reports have different `config_hash` values (or one lacks it).
    pub config_differs: bool,
}

fn f(n: &serde_json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// Judges a candidate value `c` against a baseline `b`.
pub fn verdict(b: f64, c: f64, j: &Judgement) -> Verdict {
    if b == c {
        return Verdict::Same;
    }
    let delta = c - b;
    let bad = match j.direction {
        Direction::Info => return Verdict::Changed,
        Direction::Lower => delta,
        Direction::Higher => -delta,
    };
    if bad <= 0.0 {
        return Verdict::Better;
    }
    // A little slack for decimal values that are not exact in binary (0.001 + 0.999).
    let allowed = j.tolerance.allowed(b);
    if bad > allowed + 1e-9 * allowed.max(b.abs()).max(1.0) {
        Verdict::Worse
    } else {
        Verdict::Within
    }
}

/// Compares every numeric leaf of `candidate["summary"]` with `baseline["summary"]`.
/// Either report may lack `summary` (it then has no metrics); use [`load_report`] to reject
/// such files first.
pub fn compare(baseline: &Value, candidate: &Value, policy: &Policy) -> Comparison {
    let empty = Value::Null;
    let b = numeric_leaves(baseline.get("summary").unwrap_or(&empty));
    let c = numeric_leaves(candidate.get("summary").unwrap_or(&empty));
    let paths: BTreeSet<&String> = b.keys().chain(c.keys()).collect();
    let rows = paths
        .into_iter()
        .map(|path| {
            let judgement = policy.judge(path);
            let (bv, cv) = (b.get(path).cloned(), c.get(path).cloned());
            let verdict = match (&bv, &cv) {
                (Some(x), Some(y)) => verdict(f(x), f(y), &judgement),
                (None, _) => Verdict::Added,
                (_, None) => Verdict::Removed,
            };
            Row {
                metric: path.clone(),
                baseline: bv,
                candidate: cv,
                judgement,
                verdict,
            }
        })
        .collect();

    let mut warnings = Vec::new();
    let field = |v: &Value, k: &str| {
        v.get(k).map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let (hb, hc) = (
        field(baseline, "config_hash"),
        field(candidate, "config_hash"),
    );
    let config_differs = hb.is_none() || hb != hc;
    if config_differs {
        warnings.push(format!(
            "config_hash differs ({} vs {}): the reports are of different scenarios or \
             configurations",
            hb.as_deref().unwrap_or("none"),
            hc.as_deref().unwrap_or("none")
        ));
    }
    for key in [
        "scenario",
        "protocol",
        "participants",
        "seed",
        "schema_version",
    ] {
        let (x, y) = (field(baseline, key), field(candidate, key));
        if x != y {
            warnings.push(format!(
                "{key} differs: {} vs {}",
                x.as_deref().unwrap_or("none"),
                y.as_deref().unwrap_or("none")
            ));
        }
    }
    Comparison {
        rows,
        warnings,
        config_differs,
    }
}

impl Comparison {
    /// Rows with a regression.
    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.verdict == Verdict::Worse)
    }

    /// Number of rows with each verdict.
    pub fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == v).count()
    }

    /// The table (fixed-width text): metric, baseline, candidate, change, tolerance,
    /// better-if direction and verdict; all rows, or only those not `same`.
    pub fn table(&self, only_changed: bool) -> String {
        let header = [
            "metric",
            "baseline",
            "candidate",
            "change",
            "tolerance",
            "better if",
            "verdict",
        ];
        let mut cells: Vec<[String; 7]> = Vec::new();
        for r in &self.rows {
            if only_changed && r.verdict == Verdict::Same {
                continue;
            }
            let num = |n: &Option<serde_json::Number>| {
                n.as_ref().map(|x| x.to_string()).unwrap_or("-".into())
            };
            let change = match (&r.baseline, &r.candidate) {
                (Some(b), Some(c)) => describe_change(f(b), f(c)),
                _ => "-".into(),
            };
            let tol = if r.judgement.direction == Direction::Info {
                "-".into()
            } else {
                r.judgement.tolerance.describe()
            };
            cells.push([
                r.metric.clone(),
                num(&r.baseline),
                num(&r.candidate),
                change,
                tol,
                r.judgement.direction.name().into(),
                r.verdict.name().into(),
            ]);
        }
        let mut widths = header.map(str::len);
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |row: &[&str]| {
            let mut s = String::new();
            for (i, (c, w)) in row.iter().zip(widths).enumerate() {
                // Numbers right-aligned, text left-aligned; no trailing spaces.
                if i == row.len() - 1 {
                    s.push_str(c);
                } else if (1..=3).contains(&i) {
                    let _ = write!(s, "{c:>w$}  ");
                } else {
                    let _ = write!(s, "{c:<w$}  ");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&header);
        for row in &cells {
            line(&row.iter().map(String::as_str).collect::<Vec<_>>());
        }
        out
    }

    /// One line: counts per verdict and the regressed metrics.
    pub fn verdict_line(&self) -> String {
        let worse: Vec<&str> = self.regressions().map(|r| r.metric.as_str()).collect();
        let mut s = format!(
            "{} metrics: {} worse, {} better, {} within tolerance, {} same, {} info changed",
            self.rows.len(),
            worse.len(),
            self.count(Verdict::Better),
            self.count(Verdict::Within),
            self.count(Verdict::Same),
            self.count(Verdict::Changed),
        );
        let (added, removed) = (self.count(Verdict::Added), self.count(Verdict::Removed));
        if added + removed > 0 {
            let _ = write!(s, ", {added} added, {removed} removed");
        }
        if !worse.is_empty() {
            let _ = write!(s, "; regressions: {}", worse.join(", "));
        }
        s
    }
}

/// `+12 (+4.8%)`, `-0.01 (-1%)`, `0`.
fn describe_change(b: f64, c: f64) -> String {
    let d = c - b;
    if d == 0.0 {
        return "0".into();
    }
    let sign = if d > 0.0 { "+" } else { "" };
    if b == 0.0 {
        format!("{sign}{}", fmt_num(d))
    } else {
        format!(
            "{sign}{} ({sign}{}%)",
            fmt_num(d),
            fmt_num((d / b.abs() * 100.0 * 100.0).round() / 100.0)
        )
    }
}

/// A number without float noise: up to 6 significant decimals, trailing zeros trimmed.
fn fmt_num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

#[cfg(test)]
mod tests;
