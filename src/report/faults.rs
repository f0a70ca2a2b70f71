//! The fault windows of a run (`report.json` `faults`, shaded in plots) and the group's
//! recovery after each (`faults[].recovery_*_s`) and after all of them (`summary.recovery`).
//!
//! Windows: partitions (start to effective heal), `[[network.degradations]]`, store-node
//! outages, service-node outages (`[light]`), churn entries (one window per `[[churn.offline]]`
//! entry and one for `[churn.random]`, from its first departure to its last return, capped at
//! the end of the workload). Recovery: [`crate::metrics::recovery`].
//!
//! May touch: the [`RunOutcome`] (read only) and the resolved scenario.

use super::schema::{FaultWindow, RecoverySummary};
use super::units::secs;
use crate::metrics::recovery::{recovery_after, Recovery};
use crate::metrics::RunOutcome;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// The fault windows of a run with the recovery after each, and the recovery after the
/// last of them (`None` without faults).
pub fn faults_and_recovery(
    scenario: &Scenario,
    out: &RunOutcome,
) -> (Vec<FaultWindow>, Option<RecoverySummary>) {
    let windows = windows(scenario, out);
    if windows.is_empty() {
        return (Vec::new(), None);
    }
    let last_end = windows.iter().map(|w| w.2).max().unwrap_or(0);
    let mut ends: Vec<SimTime> = windows.iter().map(|w| w.2).collect();
    ends.push(last_end);
    let rec = recovery_after(&out.recorder, &ends);
    let faults = windows
        .iter()
        .zip(&rec)
        .map(|(&(kind, start, end), r)| FaultWindow {
            kind: kind.into(),
            start_s: secs(start),
            end_s: secs(end),
            pairs_before_end: r.pairs,
            pairs_undelivered_at_end: r.undelivered_at_end,
            recovery_99_s: r.after_99_us.map(secs),
            recovery_100_s: r.after_100_us.map(secs),
        })
        .collect();
    let all = rec[rec.len() - 1];
    (faults, Some(summary(last_end, &all)))
}

fn summary(end: SimTime, r: &Recovery) -> RecoverySummary {
    RecoverySummary {
        faults_end_s: secs(end),
        pairs_undelivered_at_faults_end: r.undelivered_at_end,
        recovery_99_s: r.after_99_us.map(secs),
        recovery_100_s: r.after_100_us.map(secs),
        never_99: u64::from(r.after_99_us.is_none()),
        never_100: u64::from(r.after_100_us.is_none()),
    }
}

/// `(kind, start µs, end µs)` of every fault window, in report order.
fn windows(scenario: &Scenario, out: &RunOutcome) -> Vec<(&'static str, SimTime, SimTime)> {
    let mut w: Vec<(&'static str, SimTime, SimTime)> = out
        .network
        .partition_windows()
        .into_iter()
        .map(|(s, e)| ("partition", s, e))
        .collect();
    let workload_end = out.workload_end;
    w.extend(scenario.network.degradations.iter().map(|d| {
        (
            "degradation",
            d.start.as_micros(),
            d.end.as_micros().min(workload_end),
        )
    }));
    if let Some(st) = &out.store {
        w.extend(st.windows.iter().map(|&(s, e)| ("store-offline", s, e)));
    }
    if let Some(l) = &out.light {
        w.extend(l.windows.iter().map(|&(s, e)| ("service-offline", s, e)));
    }
    if let Some(c) = &out.churn {
        w.extend(c.windows.iter().map(|&(s, e)| ("churn", s, e)));
    }
    w
}
