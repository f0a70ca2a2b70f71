//! `perf.json`: the wall-clock figures of a run ([`Perf`], filled by the CLI) and the peak
//! resident set size. The only place in `report` where measurements of the machine appear;
//! they never go into `report.json` or `report.html`.
//!
//! May touch: `/proc/self/status` (read). May not touch: the run's results.

use serde::Serialize;

/// Wall-clock figures of a run, written to `perf.json` and stderr (never to `report.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Perf {
    pub wall_time_s: f64,
    pub simulated_events: u64,
    pub events_per_s: f64,
    pub simulated_s: f64,
    pub sim_to_wall_ratio: f64,
    pub peak_pending_events: usize,
    /// Redundant relay copies accounted when sent instead of queued (part of
    /// `simulated_events`, never in the queue).
    pub elided_copies: u64,
    /// Peak resident set size from the OS (`VmHWM` in `/proc/self/status`), if available.
    pub peak_rss_bytes: Option<u64>,
    /// Calls to adapter processes (external participants; 0 with the built-in core).
    pub adapter_calls: u64,
    /// Wall seconds spent in those calls (request written to reply read).
    pub adapter_call_wall_s: f64,
    /// `adapter_calls / wall_time_s`.
    pub adapter_calls_per_s: f64,
    /// What the run cannot go below ([`Floor::estimate`]); `None` where not computed.
    pub floor: Option<Floor>,
}

/// One core receipt, ns: `handle_decoded/steady` of `cargo bench --bench core` (a content
/// message with the default 18,752-byte bloom filter, decoded outside the timing as the engine
/// shares one decoding among every receiver of a packet, then handled and delivered), 1.42 to
/// 1.76 µs (median of three 1.55 µs, 2,798 instructions) on the 2-core development machine at
/// load 1.3 to 1.5, after issue 16's `Channel` layout and deferred bloom inserts
/// (docs/performance.md, "Where it stands"); 2.3 µs before them (2,777 instructions: the same
/// work, more cache misses). Until 2026-12 this was 1.5 µs from a bench that measured
/// buffering, not delivery. The bench's receiver is in a heavier steady state
/// than most runs' (a full 10,000-entry log and 1,000-message SDS-R store, evicting from both
/// on every receipt), so for runs of a few hundred messages this overstates the cores' work:
/// the 1,000-participant version of `large-group-10k.toml` ran in 0.5 to 0.7 of its "floor" at
/// 2.3 µs.
pub const RECEIPT_COST_NS: f64 = 1_550.0;

/// One event through the event queue (a pop and a push with 10^6 events pending), ns:
/// `queue_hold/calendar/1e6` of `cargo bench --bench engine`, 57.6 to 62.4 ns at load 1.0
/// after issue 16 inlined the push (97 ns before; docs/performance.md, "Benchmarks").
pub const QUEUE_OPERATION_COST_NS: f64 = 60.0;

/// The floor of a run's wall time (issue 16): the work no engine around the cores can avoid,
/// priced with benchmarked constants, `core_receipts × receipt_cost_ns + queue_operations ×
/// queue_operation_cost_ns`. The ratio of the measured wall time to it says how much the
/// engine adds (network model, forwarding, recording, report, memory effects).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Floor {
    /// Copies handed to participants' drivers (network arrivals and store answers).
    pub core_receipts: u64,
    /// One core receipt, ns (`RECEIPT_COST_NS`).
    pub receipt_cost_ns: f64,
    /// Events that went through the queue (each pushed once and popped once): the simulated
    /// events but the elided copies.
    pub queue_operations: u64,
    /// One event through the event queue, ns (`QUEUE_OPERATION_COST_NS`).
    pub queue_operation_cost_ns: f64,
    /// The estimate, s.
    pub floor_s: f64,
    /// `wall_time_s / floor_s`.
    pub wall_to_floor_ratio: f64,
}

impl Floor {
    /// The floor for `core_receipts` receipts and `queue_operations` events, against a
    /// measured wall time of `wall_time_s` (s).
    pub fn estimate(core_receipts: u64, queue_operations: u64, wall_time_s: f64) -> Floor {
        let floor_s = (core_receipts as f64 * RECEIPT_COST_NS
            + queue_operations as f64 * QUEUE_OPERATION_COST_NS)
            / 1e9;
        Floor {
            core_receipts,
            receipt_cost_ns: RECEIPT_COST_NS,
            queue_operations,
            queue_operation_cost_ns: QUEUE_OPERATION_COST_NS,
            floor_s,
            wall_to_floor_ratio: wall_time_s / floor_s.max(1e-9),
        }
    }
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if readable.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
