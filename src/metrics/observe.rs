//! What a run records only when asked: the life of one message (`--trace-message`,
//! `message_trace.csv`) and per-participant time series (`--timeseries`, `timeseries.csv`).
//! Plain data: the run loop fills it, the report writes it.

use crate::time::SimTime;

/// One event in the life of the traced message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceLine {
    /// Simulated time (µs).
    pub at: SimTime,
    /// What happened (`published`, `sent`, `copy-on-wire`, `copy-lost`, `copy-cut`,
    /// `copy-duplicated`, `copy-never-left`, `copy-queued-downlink`, `copy-to-offline`,
    /// `arrived`, `arrived-duplicate`, `held`, `delivered`, `repair-request-sent`,
    /// `repair-request-received`, `repair-response-sent`, `acknowledged`,
    /// `not-acknowledged`, `irretrievably-lost`): reports/README.md, "message_trace.csv".
    pub event: &'static str,
    /// The participant (or network node) where it happened.
    pub node: Option<u32>,
    /// The other end of a copy (its receiver for a send, its sender for an arrival).
    pub peer: Option<u32>,
    /// The traffic kind of the transmission involved (`content`, `resend`,
    /// `repair_response`).
    pub kind: Option<&'static str>,
    /// Free-form detail (loss cause, arrival time, how it was delivered).
    pub detail: String,
}

/// The trace of the message `--trace-message` named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageTrace {
    /// What the user asked for (an id, a hex prefix of one, or a scripted label).
    pub target: String,
    /// The id of the traced message (empty: no publication matched).
    pub id: String,
    /// Later publications that matched the target too (an ambiguous prefix).
    pub also_matched: u64,
    /// Its events, in simulated-time order (ties in the order the engine handled them).
    pub lines: Vec<TraceLine>,
}

/// One row of `timeseries.csv`: participant `node` at sample time `t` (covering the
/// interval `[t - interval, t)`, the last one ending at the end of the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesRow {
    /// Sample time (µs).
    pub t: SimTime,
    pub node: u32,
    /// Expected deliveries it made in the interval.
    pub delivered: u64,
    /// Messages in its incoming buffers at `t` (all its channels).
    pub incoming_buffer: u64,
    /// Messages in its outgoing buffers at `t` (`None`: its implementation does not say).
    pub outgoing_buffer: Option<u64>,
    /// Bytes it sent in the interval (own and forwarded).
    pub bytes_sent: u64,
    /// Bytes it received in the interval (every copy).
    pub bytes_received: u64,
    /// Online at `t`.
    pub online: bool,
}

/// Per-participant time series of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeseries {
    /// Sampling interval (µs): the scenario's `report_interval`.
    pub interval: SimTime,
    /// Rows by sample time, then participant.
    pub rows: Vec<SeriesRow>,
}
