//! The end of a run: participants' final state (local logs, incoming buffers, the built-in
//! cores for inspection) and the agreement of final logs, gathered into a [`RunOutcome`].

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use super::pipeline::{RunError, World};
use crate::driver::Driver;
use crate::metrics::trace::Trace;
use crate::metrics::{LightStats, RunOutcome, StopReason, StoreOutcome};
use crate::time::SimTime;

/// Figures of the run loop itself.
pub(crate) struct LoopFigures {
    pub end: SimTime,
    pub workload_end: SimTime,
    pub stop_reason: StopReason,
    pub events: u64,
    /// Redundant copies accounted when sent, never queued (included in `events`).
    pub elided_copies: u64,
    pub peak_pending_events: usize,
    pub trace: Option<Trace>,
}

/// Builds the outcome of a finished run from its world, the loop's figures and the store
/// role's figures. Every driver is [`Driver::finish`]ed first (external ones fetch their
/// final state). With `keep_cores` the group channel's built-in cores go to
/// [`RunOutcome::channels`]; without, every participant's state is freed here, before the
/// outcome is returned.
///
/// Errors: a driver failed to report its final state.
pub(crate) fn finish(
    mut w: World,
    figures: LoopFigures,
    store: Option<StoreOutcome>,
    light: Option<LightStats>,
    keep_cores: bool,
) -> Result<RunOutcome, RunError> {
    for i in 0..w.parts.nodes.len() {
        for slot in 0..w.parts.nodes[i].slots.len() {
            if let Err(f) = w.parts.nodes[i].slots[slot].driver.finish() {
                return Err(w.failure(figures.end, i as u32, slot, "final_state", f));
            }
        }
    }
    let final_log_len = w
        .parts
        .nodes
        .iter()
        .map(|n| n.slots.iter().map(|s| s.driver.local_log_len()).sum())
        .collect();
    let final_incoming_buffer = w
        .parts
        .nodes
        .iter()
        .map(|n| n.slots.iter().map(|s| s.driver.incoming_buffer_len()).sum())
        .collect();
    let distinct_final_logs = distinct_final_logs(&w);
    let churn = w.churn.take_stats();
    let nodes = std::mem::take(&mut w.parts.nodes);
    let channels = if keep_cores {
        nodes
            .into_iter()
            .map(|n| {
                n.slots
                    .into_iter()
                    .find(|s| s.channel == 0)
                    .and_then(|s| s.driver.into_core())
            })
            .collect()
    } else {
        drop(nodes);
        Vec::new()
    };
    Ok(RunOutcome {
        distinct_final_logs,
        channels,
        channels_spec: w.channels,
        recorder: w.rec,
        network: w.net,
        end: figures.end,
        workload_end: figures.workload_end,
        stop_reason: figures.stop_reason,
        events: figures.events,
        elided_copies: figures.elided_copies,
        peak_pending_events: figures.peak_pending_events,
        core_receipts: w.core_receipts,
        final_log_len,
        final_incoming_buffer,
        churn,
        trace: figures.trace,
        store,
        light,
        message_trace: None,
        timeseries: None,
    })
}

/// Distinct final logs per channel, summed (see [`RunOutcome::distinct_final_logs`]);
/// departed participants are not compared. Logs are grouped by a fixed-key hash, then
/// compared in full within a group.
fn distinct_final_logs(w: &World) -> u64 {
    let mut total = 0u64;
    for (ch, spec) in w.channels.iter().enumerate() {
        let mut groups: BTreeMap<u64, Vec<&dyn Driver>> = BTreeMap::new();
        for &i in &spec.members {
            if w.churn.has_left(i) {
                continue;
            }
            let node = &w.parts.nodes[i as usize];
            let Some(slot) = node.slot_of(ch as u32) else {
                continue;
            };
            let log = node.slots[slot].driver.as_ref();
            let mut h = FxHasher::default();
            log.local_log().for_each(|id| id.hash(&mut h));
            let same_hash = groups.entry(h.finish()).or_default();
            if !same_hash
                .iter()
                .any(|other| other.local_log().eq(log.local_log()))
            {
                same_hash.push(log);
                total += 1;
            }
        }
    }
    total
}
