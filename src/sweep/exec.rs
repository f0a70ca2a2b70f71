//! Running a sweep's rows: the jobs of a shard, the rayon pool, one run (or two, with
//! `--check-determinism`) per row, the metrics of each run's report.
//!
//! Names the plan (`spec`), the row types (`row`) and the shard (`shard`); never the outputs.
//! [`Shard`], [`metrics_of`] and [`known_metrics`] are re-exported here for their former
//! paths.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::error::SweepError;
pub use super::row::{known_metrics, metrics_of};
use super::row::{Row, RowPerf};
pub use super::shard::Shard;
use super::spec::Plan;
use crate::determinism;

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
