//! Comparing two `report.json` files metric by metric: `sim compare` and `sim check`.
//!
//! ```text
//! load_report(BASELINE), load_report(CANDIDATE)     unreadable / invalid JSON / no summary: error (exit 2)
//! Policy::default() or Policy::from_file(TOML)      bad tolerance file: error (exit 2)
//! compare(&baseline, &candidate, &policy)           every numeric leaf of `summary`, by dotted path
//!   └ Comparison { rows, warnings }                 rows in path order; .regressions() > 0 => exit 1
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
//! information-only metrics and metrics present in one report only are never regressions.
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

/// A user's override from a tolerance file; unset fields keep the built-in values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub absolute: Option<f64>,
    pub relative: Option<f64>,
    pub direction: Option<Direction>,
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
            })
            .unwrap_or(Judgement {
                direction: Direction::Info,
                tolerance: Tolerance {
                    absolute: 0.0,
                    relative: 0.0,
                },
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

/// Reads a `report.json` (or any JSON object with a `summary` object), at most
/// [`io_limits::REPORT_BYTES`].
///
/// # Errors
/// [`CompareError`] naming `path` when the file cannot be read, is not JSON, or has no
/// `summary` object.
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
    Ok(v)
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
mod tests {
    use super::*;
    use serde_json::json;

    fn report(ratio: f64, p99: f64, bytes: u64) -> Value {
        json!({
            "config_hash": "abc",
            "scenario": "x",
            "summary": {
                "delivery_ratio": ratio,
                "latency_ms": { "count": 10, "p50": 50.0, "p99": p99 },
                "bytes_sent": bytes,
                "bytes_by_kind": { "sync": bytes / 2 },
                "copies_lost": 3,
                "duplicates_delivered": 0,
            }
        })
    }

    fn worst(b: &Value, c: &Value) -> Vec<String> {
        compare(b, c, &Policy::builtin())
            .regressions()
            .map(|r| r.metric.clone())
            .collect()
    }

    #[test]
    fn glob_matches() {
        assert!(glob("*latency_ms.*", "ack_latency_ms.p99"));
        assert!(glob("*latency_ms.*", "latency_ms.p99"));
        assert!(!glob("*latency_ms.*", "latency_ms"));
        assert!(glob(
            "repair.*_per_requested_message",
            "repair.requests_per_requested_message"
        ));
        assert!(glob("copies_*", "copies_lost"));
        assert!(!glob("copies_*", "churn.copies_to_offline"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(glob("*", ""));
        assert!(!glob("a", "ab"));
    }

    #[test]
    fn regressions_and_non_regressions() {
        let base = report(1.0, 100.0, 1_000_000);
        assert!(worst(&base, &base).is_empty());
        assert_eq!(
            worst(&base, &report(0.99, 100.0, 1_000_000)),
            ["delivery_ratio"]
        );
        assert_eq!(
            worst(&base, &report(1.0, 110.0, 1_000_000)),
            ["latency_ms.p99"]
        );
        assert_eq!(
            worst(&base, &report(1.0, 100.0, 1_100_000)),
            ["bytes_by_kind.sync", "bytes_sent"]
        );
        // Within tolerance: ratio -0.0005, p99 +4 %, bytes +4 %.
        let c = compare(&base, &report(0.9995, 104.0, 1_040_000), &Policy::builtin());
        assert_eq!(c.regressions().count(), 0, "{}", c.table(false));
        assert_eq!(c.count(Verdict::Within), 4);
        // Improvements.
        let c = compare(&report(0.9, 200.0, 2_000_000), &base, &Policy::builtin());
        assert_eq!(c.regressions().count(), 0);
        assert_eq!(c.count(Verdict::Better), 4);
        assert!(!c.config_differs);
    }

    #[test]
    fn info_added_removed_are_not_regressions() {
        let base = report(1.0, 100.0, 1000);
        let mut cand = base.clone();
        cand["summary"]["copies_lost"] = json!(300);
        cand["summary"]["store"] = json!({ "queries": 5, "query_latency_ms": { "p99": 9.0 } });
        cand["summary"]["latency_ms"]
            .as_object_mut()
            .unwrap()
            .remove("p50");
        let c = compare(&base, &cand, &Policy::builtin());
        assert_eq!(c.regressions().count(), 0, "{}", c.table(false));
        let v = |m: &str| c.rows.iter().find(|r| r.metric == m).unwrap().verdict;
        assert_eq!(v("copies_lost"), Verdict::Changed);
        assert_eq!(v("store.queries"), Verdict::Added);
        assert_eq!(v("latency_ms.p50"), Verdict::Removed);
        // The new latency is judged by inference once both sides have it.
        let mut cand2 = cand.clone();
        cand2["summary"]["store"]["query_latency_ms"]["p99"] = json!(90.0);
        assert_eq!(worst(&cand, &cand2), ["store.query_latency_ms.p99"]);
    }

    #[test]
    fn inferred_directions() {
        let d = |m: &str| Policy::builtin_rule(m).direction;
        assert_eq!(d("delivery_ratio"), Higher);
        assert_eq!(d("store.delivery_ratio_via_store"), Higher);
        assert_eq!(d("latency_ms.p99"), Lower);
        assert_eq!(d("latency_ms.count"), Info);
        assert_eq!(d("bytes_by_kind.store"), Lower);
        assert_eq!(d("uplink_bps_max"), Lower);
        assert_eq!(d("repair.irretrievably_lost"), Lower);
        assert_eq!(d("repair.messages_requested"), Info);
        assert_eq!(d("store.queries_failed"), Lower);
        assert_eq!(d("store.messages_lost"), Lower);
        assert_eq!(d("copies_lost"), Info);
        assert_eq!(d("messages_published"), Info);
        assert_eq!(d("churn.crashes"), Info);
    }

    #[test]
    fn config_hash_difference_is_a_warning() {
        let base = report(1.0, 100.0, 1000);
        let mut cand = base.clone();
        cand["config_hash"] = json!("def");
        let c = compare(&base, &cand, &Policy::builtin());
        assert!(c.config_differs);
        assert!(
            c.warnings[0].contains("config_hash differs"),
            "{:?}",
            c.warnings
        );
        assert_eq!(c.regressions().count(), 0);
    }

    #[test]
    fn tolerance_file_overrides() {
        let p = Policy::from_toml(
            r#"
            [metrics]
            "latency_ms.p99" = { relative = 0.5 }
            "bytes*" = { relative = 0.0, absolute = 10.0 }
            "bytes_by_kind.*" = { relative = 1.0 }
            "copies_lost" = { direction = "lower" }
            "#,
            Path::new("tol.toml"),
        )
        .unwrap();
        let j = p.judge("latency_ms.p99");
        assert_eq!(j.tolerance.relative, 0.5);
        assert_eq!(
            j.tolerance.absolute, 1.0,
            "unset field keeps the built-in value"
        );
        assert_eq!(p.judge("bytes_sent").tolerance.absolute, 10.0);
        // The longer pattern wins.
        assert_eq!(p.judge("bytes_by_kind.sync").tolerance.relative, 1.0);
        assert_eq!(p.judge("copies_lost").direction, Lower);
        let base = report(1.0, 100.0, 1000);
        let c = compare(&base, &report(1.0, 140.0, 1000), &p);
        assert_eq!(c.regressions().count(), 0);
        let c = compare(&base, &report(1.0, 100.0, 1011), &p);
        assert_eq!(
            c.regressions().map(|r| &r.metric).collect::<Vec<_>>(),
            ["bytes_sent"]
        );
    }

    #[test]
    fn bad_tolerance_files_name_the_file() {
        for text in [
            "[metrics]\nx = { relative = -1.0 }",
            "[metrics]\nx = { relativ = 1.0 }",
            "[metric]\n",
            "[metrics]\nx = { direction = \"up\" }",
            "not toml",
        ] {
            let e = Policy::from_toml(text, Path::new("tol.toml")).unwrap_err();
            assert!(e.to_string().starts_with("tol.toml: "), "{e}");
        }
    }

    #[test]
    fn every_rule_is_documented() {
        let readme = include_str!("../../reports/README.md");
        for r in DEFAULT_RULES {
            assert!(
                readme.contains(&format!("`{}`", r.pattern)),
                "rule {} missing from reports/README.md",
                r.pattern
            );
        }
    }

    #[test]
    fn table_and_numbers() {
        let base = report(1.0, 100.0, 1000);
        let c = compare(&base, &report(0.98, 100.5, 1000), &Policy::builtin());
        let t = c.table(true);
        assert!(t.contains("delivery_ratio"), "{t}");
        assert!(t.contains("-0.02 (-2%)"), "{t}");
        assert!(t.contains("WORSE"), "{t}");
        assert!(!t.contains("bytes_sent"), "same rows hidden: {t}");
        assert!(c.table(false).contains("bytes_sent"));
        assert!(c.verdict_line().contains("regressions: delivery_ratio"));
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(5.0), "5");
        assert_eq!(describe_change(0.0, 3.0), "+3");
    }
}
