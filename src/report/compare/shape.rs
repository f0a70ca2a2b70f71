//! The shape check before a comparison: both reports must carry every metric as a number.
//!
//! Walks the two `summary` objects side by side. A path that is a number in one report must
//! be a number in the other:
//!
//! | baseline | candidate | result |
//! | --- | --- | --- |
//! | number | number | compared |
//! | number | absent | error ("missing"), unless the metric may be absent: `optional = true` in a tolerance file, or under an optional section ([`OPTIONAL_SECTIONS`]) when the reports are of different configurations; then the row is `removed` |
//! | absent | number | `added` (a metric newer than the baseline's version) |
//! | number | string, `null`, boolean, array, object | error naming the candidate |
//! | string, `null`, ... | number | error naming the baseline |
//! | an object of metrics | anything but an object | error naming the candidate (`"latency_ms": null`) |
//! | not an object, not a number | an object of metrics | error naming the baseline |
//!
//! Values that are not numbers in both (`store.strategy`, `store.nodes`) are not metrics and
//! are skipped. Every problem of a file is reported in one message naming the file.

use std::path::Path;

use serde_json::Value;

use super::{glob, CompareError, Policy, OPTIONAL_SECTIONS};

/// Problems listed in one message at most (then "and N more").
const SHOW: usize = 6;

/// What the two reports' `summary` objects hold that makes them not comparable.
#[derive(Debug, Default)]
struct Problems {
    /// Type problems blamed on the baseline / the candidate.
    baseline: Vec<String>,
    candidate: Vec<String>,
    /// Metrics of the baseline that the candidate lacks (and may not lack).
    missing: Vec<String>,
}

/// Checks that `baseline` and `candidate` (parsed reports, read from the files named) can
/// be compared metric by metric under `policy`; see the module docs for the rules.
///
/// # Errors
/// [`CompareError::Invalid`] naming the file at fault: the baseline's type problems first,
/// then the candidate's type problems and missing metrics.
pub fn check(
    baseline: &Value,
    baseline_path: &Path,
    candidate: &Value,
    candidate_path: &Path,
    policy: &Policy,
) -> Result<(), CompareError> {
    let config_differs = baseline.get("config_hash").is_none()
        || baseline.get("config_hash") != candidate.get("config_hash");
    let mut p = Problems::default();
    let names = (
        baseline_path.display().to_string(),
        candidate_path.display().to_string(),
    );
    walk(
        baseline.get("summary"),
        candidate.get("summary"),
        "",
        &names,
        &mut |metric| {
            policy.judge(metric).optional
                || (config_differs && OPTIONAL_SECTIONS.iter().any(|s| glob(s, metric)))
        },
        &mut p,
    );
    let err = |path: &Path, message: String| CompareError::Invalid {
        path: path.to_owned(),
        message,
    };
    if !p.baseline.is_empty() {
        return Err(err(
            baseline_path,
            format!("not comparable: {}", list(&p.baseline)),
        ));
    }
    let mut parts = Vec::new();
    if !p.candidate.is_empty() {
        parts.push(list(&p.candidate));
    }
    if !p.missing.is_empty() {
        parts.push(format!(
            "{} metric{} of {} missing: {} (a metric that may be absent needs `optional = \
             true` in a tolerance file)",
            p.missing.len(),
            if p.missing.len() == 1 { "" } else { "s" },
            names.0,
            list(&p.missing)
        ));
    }
    if parts.is_empty() {
        Ok(())
    } else {
        Err(err(
            candidate_path,
            format!("not comparable: {}", parts.join("; ")),
        ))
    }
}

fn list(items: &[String]) -> String {
    let mut s = items[..items.len().min(SHOW)].join("; ");
    if items.len() > SHOW {
        s.push_str(&format!("; and {} more", items.len() - SHOW));
    }
    s
}

/// How a non-number value reads in a message (strings quoted and escaped, cut short).
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let cut: String = s.chars().take(40).collect();
            format!(
                "the string {cut:?}{}",
                if cut.len() < s.len() { "..." } else { "" }
            )
        }
        Value::Array(_) => "an array".into(),
        Value::Object(m) if m.is_empty() => "an empty object".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Whether `v` holds a number anywhere (it is one, or an object with one inside).
fn has_metrics(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::Object(m) => m.values().any(has_metrics),
        _ => false,
    }
}

/// Every numeric leaf path under `v` (prefixed by `path`).
fn metrics_under(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(path.to_owned()),
        Value::Object(m) => {
            for (k, c) in m {
                metrics_under(c, &join(path, k), out);
            }
        }
        _ => {}
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk(
    b: Option<&Value>,
    c: Option<&Value>,
    path: &str,
    names: &(String, String),
    optional: &mut dyn FnMut(&str) -> bool,
    p: &mut Problems,
) {
    let shown = |path: &str| format!("summary.{path}");
    match (b, c) {
        (Some(Value::Object(bm)), Some(Value::Object(cm))) => {
            let mut keys: Vec<&String> = bm.keys().chain(cm.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(bm.get(k), cm.get(k), &join(path, k), names, optional, p);
            }
        }
        (Some(Value::Number(_)), Some(Value::Number(_))) => {}
        (Some(bv), None) => {
            let mut under = Vec::new();
            metrics_under(bv, path, &mut under);
            p.missing.extend(
                under
                    .into_iter()
                    .filter(|m| !optional(m))
                    .map(|m| shown(&m)),
            );
        }
        (None, _) => {}
        (Some(Value::Number(_)), Some(cv)) => p.candidate.push(format!(
            "{} is {} where {} has a number",
            shown(path),
            describe(cv),
            names.0
        )),
        (Some(bv), Some(Value::Number(_))) => p.baseline.push(format!(
            "{} is {} where {} has a number",
            shown(path),
            describe(bv),
            names.1
        )),
        (Some(bv @ Value::Object(_)), Some(cv)) if has_metrics(bv) => p.candidate.push(format!(
            "{} is {} where {} has metrics under it",
            shown(path),
            describe(cv),
            names.0
        )),
        (Some(bv), Some(cv @ Value::Object(_))) if has_metrics(cv) => p.baseline.push(format!(
            "{} is {} where {} has metrics under it",
            shown(path),
            describe(bv),
            names.1
        )),
        // Not metrics on either side (strings, arrays, nulls, empty objects).
        (Some(_), Some(_)) => {}
    }
}
