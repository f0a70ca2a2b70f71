//! The layout of `report.json`: [`Report`] and its sections (run, summary with its repair,
//! churn, store and queue parts, latency percentiles, fault windows, the delivery-over-time
//! series), with [`SCHEMA_VERSION`]. Every field is documented in `reports/README.md`.
//!
//! May touch: nothing but its own types (plain data, serialized by serde; the two
//! constructors `Percentiles::from_us` and `QueueSummary::from_nodes` only round numbers).
//! May not touch: the run's outcome (`build` fills these types), files, clocks.

use std::collections::BTreeMap;

use serde::Serialize;

use super::units::{ms, round3};
use crate::scenario::Scenario;

/// Version of the `report.json` layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub config_hash: String,
    pub protocol: String,
    pub participants: u32,
    pub run: RunInfo,
    pub summary: Summary,
    pub faults: Vec<FaultWindow>,
    pub delivery_over_time: Vec<DeliveryPoint>,
    /// The resolved scenario (defaults filled, overrides applied).
    pub config: Scenario,
}

/// How the run went, in simulated time.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub workload_s: f64,
    pub end_s: f64,
    pub drain_used_s: f64,
    pub stop_reason: String,
    pub simulated_events: u64,
}

/// Headline figures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub messages_published: u64,
    pub expected_deliveries: u64,
    pub delivered: u64,
    pub delivery_ratio: f64,
    pub delivery_ratio_workload_end: f64,
    pub participants_incomplete: u64,
    pub latency_ms: Percentiles,
    pub duplicates_delivered: u64,
    pub causal_violations: u64,
    /// Publications whose id repeated an earlier one in the same channel (see
    /// [`crate::metrics::ProtocolCounters::message_id_collisions`]).
    pub message_id_collisions: u64,
    /// Publications the sender's core refused (see
    /// [`crate::metrics::ProtocolCounters::publications_refused`]).
    pub publications_refused: u64,
    /// Deliveries of ids never published in the delivering channel (a simulator or core bug:
    /// must be 0).
    pub unknown_deliveries: u64,
    pub distinct_final_logs: u64,
    pub messages_in_incoming_buffers: u64,
    pub bytes_sent: u64,
    pub bytes_by_kind: BTreeMap<String, u64>,
    pub transmissions_by_kind: BTreeMap<String, u64>,
    pub bytes_received: u64,
    pub uplink_bps_mean: f64,
    pub uplink_bps_max: f64,
    pub copies_sent: u64,
    pub copies_lost: u64,
    /// Of `copies_lost`, copies dropped by the Gilbert-Elliott chains.
    pub copies_lost_gilbert_elliott: u64,
    /// Of `copies_lost`, copies dropped by node-class, degradation-window or link loss.
    pub copies_lost_extra: u64,
    /// Copies still in their sender's uplink queue when it went offline (counted as sent).
    pub copies_dropped_in_queue: u64,
    pub copies_partitioned: u64,
    pub copies_duplicated: u64,
    pub copies_redundant: u64,
    pub bytes_forwarded: u64,
    pub bytes_received_redundant: u64,
    /// Waits in limited uplink FIFOs (node classes with `uplink_bps`).
    pub uplink_queue: QueueSummary,
    /// Waits in limited downlink FIFOs (node classes with `downlink_bps`).
    pub downlink_queue: QueueSummary,
    pub acknowledged: u64,
    pub acknowledged_undelivered: u64,
    pub not_acknowledged: u64,
    pub ack_latency_ms: Percentiles,
    pub repair: RepairSummary,
    /// Churn figures; omitted when the scenario has no `[churn]` schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn: Option<ChurnSummary>,
    /// Store figures; omitted when the scenario has no store nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreSummary>,
    /// Delivered pairs by the kind of copy that brought the message.
    pub delivered_via: super::light::DeliveredVia,
    /// Light-client figures and the telemetry-optimism table; omitted without `[light]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub light: Option<super::light::LightSummary>,
}

/// Store nodes and store-client figures (`summary.store`): the strategy, the client
/// counters flattened in (`queries_by_hash`, ...), then one entry per store node.
#[derive(Debug, Clone, Serialize)]
pub struct StoreSummary {
    /// Effective `retrieval.strategy`.
    pub strategy: String,
    #[serde(flatten)]
    pub client: crate::metrics::StoreClientStats,
    /// Per store node, in index order.
    pub nodes: Vec<crate::metrics::StoreNodeStats>,
}

/// Churn figures (`summary.churn`).
#[derive(Debug, Clone, Serialize)]
pub struct ChurnSummary {
    /// Offline windows started (sleep/crash).
    pub offline_events: u64,
    /// Participants restarted with fresh cores after a crash.
    pub crashes: u64,
    /// Participants that left for good.
    pub left: u64,
    /// Late joiners that joined.
    pub joined: u64,
    /// Copies dropped because their receiver was offline, absent or gone.
    pub copies_to_offline: u64,
    /// Publications skipped because their sender was offline, absent or gone.
    pub publications_skipped: u64,
    /// Deliveries outside the receiver's membership window (not in `delivered`).
    pub unexpected_deliveries: u64,
    /// Deliveries by a restarted (crashed) core of messages delivered before the crash
    /// (not duplicates, not in `delivered`).
    pub redeliveries_after_crash: u64,
}

/// Queueing in limited access links, group-wide (`summary.uplink_queue`,
/// `summary.downlink_queue`): the wait of each copy behind earlier copies before its own
/// serialization began. All 0 without limited links.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueSummary {
    /// Copies that went through a limited queue.
    pub queued_copies: u64,
    /// Mean wait over those copies, ms.
    pub delay_ms_mean: f64,
    /// Longest wait of any copy, ms.
    pub delay_ms_max: f64,
}

impl QueueSummary {
    /// From `(copies, total wait µs, max wait µs)` per participant.
    pub(super) fn from_nodes(per_node: impl Iterator<Item = (u64, u64, u64)>) -> QueueSummary {
        let (mut copies, mut total, mut max) = (0u64, 0u128, 0u64);
        for (c, t, m) in per_node {
            copies += c;
            total += u128::from(t);
            max = max.max(m);
        }
        QueueSummary {
            queued_copies: copies,
            delay_ms_mean: if copies == 0 {
                0.0
            } else {
                round3(total as f64 / copies as f64 / 1_000.0)
            },
            delay_ms_max: ms(max),
        }
    }
}

/// SDS-R activity.
#[derive(Debug, Clone, Serialize)]
pub struct RepairSummary {
    pub requests_sent: u64,
    pub requests_received: u64,
    pub responses_sent: u64,
    pub messages_requested: u64,
    pub requests_per_requested_message: f64,
    pub responses_per_requested_message: f64,
    pub irretrievably_lost: u64,
    /// Buffered messages dropped undelivered because their dependencies were declared lost
    /// (`sds.lost_policy = "drop"`).
    pub dropped_lost: u64,
    pub missing_dependency_events: u64,
    pub transmissions_with_requests: u64,
    pub max_requests_per_transmission: u32,
}

/// Nearest-rank percentiles in ms (0 when there is no sample).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// From samples in µs (sorted in place).
    pub fn from_us(samples: &mut [u64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let n = samples.len();
        let rank = |p: f64| {
            let k = ((p * n as f64).ceil() as usize).clamp(1, n);
            ms(samples[k - 1])
        };
        let sum: u128 = samples.iter().map(|&x| u128::from(x)).sum();
        Percentiles {
            count: n as u64,
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: ms(samples[n - 1]),
            mean: round3(sum as f64 / n as f64 / 1_000.0),
        }
    }
}

/// A fault window shown in reports and shaded in plots.
#[derive(Debug, Clone, Serialize)]
pub struct FaultWindow {
    pub kind: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// One point of the delivery-over-time series (bucket end `t_s`).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryPoint {
    pub t_s: f64,
    /// Delivered / expected pairs, over messages published up to `t_s`, counting deliveries
    /// up to `t_s`.
    pub cumulative_ratio: f64,
    /// Over messages published in `(t_s - interval, t_s]`: the fraction of their pairs
    /// delivered by the end of the run (`null` if none was published in the bucket).
    pub eventual_ratio_of_bucket: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        let p = Percentiles::from_us(&mut v);
        assert_eq!((p.p50, p.p95, p.p99, p.max), (50.0, 95.0, 99.0, 100.0));
        assert_eq!(p.count, 100);
        assert_eq!(Percentiles::from_us(&mut []).count, 0);
    }
}
