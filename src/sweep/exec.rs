//! Running a sweep's rows: shard selection, the rayon pool, one run (or two, with
//! `--check-determinism`) per row, the metrics of each run's report.
//!
//! Row `r` of a sweep is `(point r / S, seed index r mod S)` for `S` seeds: rows are ordered by
//! point, then by seed as listed. Shard `K/N` (1-based `K`) holds the rows with
//! `r mod N = K − 1`: interleaved, so that expensive points (e.g. the largest group) are spread
//! over all shards.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use rayon::prelude::*;

use super::output::{Row, RowPerf};
use super::spec::Plan;
use super::SweepError;
use crate::determinism;
use crate::report::Report;

/// `--shard K/N`: the K-th (1-based) of N interleaved slices of a sweep's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether row `r` belongs to this shard.
    pub fn holds(&self, row: usize) -> bool {
        row % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with `1 <= K <= N`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "invalid shard \"{s}\": expected K/N with 1 <= K <= N, e.g. 2/8 \
                 (K is 1-based: use $((SLURM_ARRAY_TASK_ID+1)) or $((JOB_COMPLETION_INDEX+1)) \
                 for 0-based indexes)"
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { index: k, count: n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Row index in the whole sweep.
    pub row: usize,
    /// Point index.
    pub point: usize,
    pub seed: u64,
}

/// The rows of `plan` this process runs: all, or those of `shard`; in row order.
pub fn jobs(plan: &Plan, shard: Option<Shard>) -> Vec<Job> {
    let seeds = &plan.spec.seeds;
    (0..plan.runs())
        .filter(|&r| shard.is_none_or(|s| s.holds(r)))
        .map(|r| Job {
            row: r,
            point: r / seeds.len(),
            seed: seeds[r % seeds.len()],
        })
        .collect()
}

/// The result of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOutcome {
    pub row: Row,
    pub perf: RowPerf,
    /// With `--check-determinism`: the verdict on the two runs.
    pub determinism: Option<determinism::Check>,
}

/// Runs `jobs` of `plan` on a pool of `threads` threads (0: one per core), each job once (or
/// twice with `check_determinism`), calling `on_done` after each. Returns the outcomes in
/// job order, whatever the thread count.
///
/// # Errors
/// The first failing job in job order (a network the scenario cannot build), naming the sweep
/// file, the point and the seed; remaining jobs are skipped once one fails.
pub fn execute(
    plan: &Plan,
    jobs: &[Job],
    threads: usize,
    check_determinism: bool,
    on_done: &(dyn Fn(&RowOutcome) + Sync),
) -> Result<Vec<RowOutcome>, SweepError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SweepError::new(&plan.spec.file, format!("cannot start threads: {e}")))?;
    let failed = AtomicBool::new(false);
    let results: Vec<Option<Result<RowOutcome, SweepError>>> = pool.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|job| {
                if failed.load(Ordering::Relaxed) {
                    return None;
                }
                let r = run_job(plan, job, check_determinism);
                match &r {
                    Ok(o) => on_done(o),
                    Err(_) => failed.store(true, Ordering::Relaxed),
                }
                Some(r)
            })
            .collect()
    });
    let mut out = Vec::with_capacity(results.len());
    let mut first_err = None;
    for r in results {
        match r {
            Some(Ok(o)) => out.push(o),
            Some(Err(e)) => {
                first_err.get_or_insert(e);
            }
            None => {}
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn run_job(plan: &Plan, job: &Job, check: bool) -> Result<RowOutcome, SweepError> {
    let point = &plan.points[job.point];
    let mut loaded = plan.load_point(point)?;
    loaded.scenario.seed = job.seed;
    let started = Instant::now();
    let result = if check {
        determinism::check(&loaded, &mut |_, _| {}).map(|(o, r, c)| (o, r, Some(c)))
    } else {
        crate::simulate(&loaded, &mut |_| {}).map(|(o, r)| (o, r, None))
    };
    let (outcome, report, verdict) = result.map_err(|e| {
        SweepError::new(
            &plan.spec.file,
            format!(
                "point {} ({}), seed {}: {}: {e}",
                job.point,
                point.overrides.join(", "),
                job.seed,
                plan.spec.base_path.display()
            ),
        )
        .at("sweep", None)
    })?;
    let wall = started.elapsed().as_secs_f64();
    let events = outcome.events;
    drop(outcome);
    Ok(RowOutcome {
        row: Row {
            point: job.point,
            seed: job.seed,
            metrics: metrics_of(&report),
        },
        perf: RowPerf {
            point: job.point,
            seed: job.seed,
            wall_time_s: wall,
            simulated_events: events,
        },
        determinism: verdict,
    })
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
    fn shard_parsing() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/2", "3/2", "1/0", "x/2", "2", "1/2/3", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("K/N"), "{e}");
        }
    }

    #[test]
    fn shards_partition_the_rows() {
        let n = 3;
        let mut seen = [0; 10];
        for k in 1..=n {
            let s = Shard { index: k, count: n };
            for (r, c) in seen.iter_mut().enumerate() {
                if s.holds(r) {
                    *c += 1;
                }
            }
        }
        assert!(seen.iter().all(|&c| c == 1));
    }

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
