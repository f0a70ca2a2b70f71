//! `perf.json`: the wall-clock figures of a run ([`Perf`], filled by the CLI) and the peak
//! resident set size. The only place in `report` where measurements of the machine appear;
//! they never go into `report.json` or `report.html`.
//!
//! May touch: `/proc/self/status` (read). May not touch: the run's results.

use serde::Serialize;

/// Wall-clock figures of a run, written to `perf.json` and stderr (never to `report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Perf {
    pub wall_time_s: f64,
    pub simulated_events: u64,
    pub events_per_s: f64,
    pub simulated_s: f64,
    pub sim_to_wall_ratio: f64,
    pub peak_pending_events: usize,
    /// Peak resident set size from the OS (`VmHWM` in `/proc/self/status`), if available.
    pub peak_rss_bytes: Option<u64>,
    /// Calls to adapter processes (external participants; 0 with the built-in core).
    pub adapter_calls: u64,
    /// Wall seconds spent in those calls (request written to reply read).
    pub adapter_call_wall_s: f64,
    /// `adapter_calls / wall_time_s`.
    pub adapter_calls_per_s: f64,
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if readable.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
