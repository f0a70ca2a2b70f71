//! The result of one run of a sweep: [`Row`] (the run's metrics, in `sweep.json`),
//! [`RowPerf`] (its wall-clock figures, in `perf.json`), how a report is flattened into
//! metrics ([`metrics_of`]) and which metric names exist ([`known_metrics`]).
//!
//! A leaf of `sweep/`: names the report and, for the probe run, the scenario loader and
//! `crate::simulate`; nothing else in `sweep/`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::report::Report;

/// One run: a point, a seed, and every numeric figure of its report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub point: usize,
    pub seed: u64,
    /// See [`metrics_of`].
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

/// Every numeric field of `report.json`'s `summary` (named by its dotted path below
/// `summary`: `delivery_ratio`, `latency_ms.p99`, `bytes_by_kind.sync`) and `run`
/// (`run.end_s`, `run.simulated_events`). Integers stay integers.
pub fn metrics_of(report: &Report) -> BTreeMap<String, serde_json::Number> {
    let mut out = BTreeMap::new();
    // Serializing the report's plain structs cannot fail.
    let v = serde_json::to_value(report).unwrap_or_default();
    if let Some(s) = v.get("summary") {
        flatten(s, "", &mut out);
    }
    if let Some(r) = v.get("run") {
        flatten(r, "run.", &mut out);
    }
    out
}

fn flatten(v: &serde_json::Value, prefix: &str, out: &mut BTreeMap<String, serde_json::Number>) {
    match v {
        serde_json::Value::Number(n) => {
            out.insert(prefix.trim_end_matches('.').to_string(), n.clone());
        }
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                flatten(v, &format!("{prefix}{k}."), out);
            }
        }
        _ => {}
    }
}

/// A tiny scenario whose report has every optional section (churn, store), run once to learn
/// the metric names (see [`known_metrics`]). Keep it exercising every optional `summary` table.
const PROBE: &str = r#"
participants = 3
duration = "2s"
drain = "10s"
[workload]
rate_per_s = 2.0
payload_bytes = 16
[network.latency]
distribution = { kind = "constant", value = "10ms" }
[churn]
[[churn.offline]]
ids = [1]
start = "500ms"
end = "1s"
[store]
nodes = 1
"#;

/// The names [`metrics_of`] gives, learned from a tiny probe run (a few milliseconds, once
/// per process): what a sweep's `metrics` may name.
pub fn known_metrics() -> &'static BTreeSet<String> {
    static KNOWN: OnceLock<BTreeSet<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let probe = crate::scenario::load_str(PROBE, std::path::Path::new("probe.toml"), None, &[]);
        match probe
            .ok()
            .and_then(|l| crate::simulate(&l, &mut |_| {}).ok())
        {
            Some((_, report)) => metrics_of(&report).into_keys().collect(),
            None => BTreeSet::new(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_knows_the_documented_metrics() {
        let known = known_metrics();
        for m in [
            "delivery_ratio",
            "delivery_ratio_workload_end",
            "latency_ms.p99",
            "latency_ms.p50",
            "bytes_sent",
            "bytes_by_kind.sync",
            "bytes_by_kind.repair_response",
            "repair.requests_sent",
            "churn.offline_events",
            "store.queries_by_hash",
            "run.end_s",
            "run.simulated_events",
        ] {
            assert!(known.contains(m), "{m} not in {known:?}");
        }
        assert!(
            !known.contains("run.stop_reason"),
            "strings are not metrics"
        );
    }
}
