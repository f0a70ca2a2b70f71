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

/// One core receipt, ns: `handle_message/steady` of `cargo bench --bench core` (a content
/// message with the default 18,752-byte bloom filter, decoded and handled), 1.5 µs on the
/// 2-core development machine at load 0.6 to 0.9 (docs/performance.md, "Benchmarks"). A run
/// decodes each packet once for all receivers (`handle_decoded`), so this is an upper bound
/// of its per-receipt core cost. On the loaded machine of issue 16 (load 3.6) the same bench
/// gave 2.7 µs and `handle_decoded/steady` 4.3 µs (not understood yet, see docs/performance.md); the
/// quiet figure is kept until it is re-measured on a quiet machine.
pub const RECEIPT_COST_NS: f64 = 1_500.0;

/// One event through the event queue (a pop and a push with 10^6 events pending), ns:
/// `queue_hold/calendar/1e6` of `cargo bench --bench engine`, 97 ns at load 0.6 to 0.9
/// (docs/performance.md, "Benchmarks"); 98 ns again at load 3.6 (issue 16).
pub const QUEUE_OPERATION_COST_NS: f64 = 97.0;

/// The floor of a run's wall time (issue 16): the work no engine around the cores can avoid,
/// priced with benchmarked constants, `core_receipts × receipt_cost_ns + queue_operations ×
/// queue_operation_cost_ns`. The ratio of the measured wall time to it says how much the
/// engine adds (network model, forwarding, recording, report, memory effects).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Floor {
    /// Copies handed to participants' drivers (network arrivals and store answers).
    pub core_receipts: u64,
    /// [`RECEIPT_COST_NS`].
    pub receipt_cost_ns: f64,
    /// Events that went through the queue (each pushed once and popped once): the simulated
    /// events but the elided copies.
    pub queue_operations: u64,
    /// [`QUEUE_OPERATION_COST_NS`].
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
