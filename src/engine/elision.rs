//! Redundant relay copies, counted when sent instead of queued (issue 16).
//!
//! Most copies of a relay flood reach a participant that already has the packet (44.5 M of the
//! 52.5 M copies of `large-group-10k.toml`); arriving, such a copy changes only the receiver's
//! byte and copy counters, the redundant-copy count, `in_flight` and the event count. When
//! [`Elision::on`] is set, `World::schedule_copies` counts such a copy when it is sent
//! ([`crate::net::Network::count_redundant_now`]) instead of queuing it, if the run cannot
//! stop before it arrives ([`Elision::may_elide`]). The results stay the same, event for
//! event:
//!
//! - nothing else happens at its arrival: the receiver has the packet by then (it has it
//!   already: the seen-set only grows; or a copy queued for it earlier arrives first and
//!   cannot be dropped: `Packet::note_queued`), has no downlink queue it would wait in
//!   (checked per receiver, so a queued copy to it is never held back either), stays online
//!   and the copy cannot be dropped in its sender's uplink (the run loop sets
//!   [`Elision::on`] only without churn and without the light-client role, the only callers
//!   of `Churn::set_service_online` and `Network::drop_uplink_queue`), and no observer reads
//!   the counters or the copy's arrival in between (not with `--timeseries` or
//!   `--trace-message`);
//! - the run cannot stop before its arrival: a queued copy of a packet that is not inert
//!   (`Packet::inert`) arriving later keeps the run from settling and the queue non-empty
//!   (before the end of the workload, when the run never settles, any queued copy arriving
//!   later keeps the queue non-empty), and a stop at the drain bound ([`Elision::until`])
//!   processes every arrival up to the bound; so every counted copy would have been
//!   processed before the stop, and its event is counted ([`Elision::count`], added to
//!   `run.simulated_events`);
//! - the stop rule checked after its arrival could not have held, and the other events keep
//!   their relative order (the queue breaks ties by push order), so no sequence number of
//!   the elided copies is needed.
//!
//! `--check-determinism`'s running hash covers the events that go through the queue; the
//! elided copies are fixed by them (and counted), so two runs of one binary still compare,
//! but the hash differs from that of a binary without elision.
//!
//! `tests/elision.rs` and `tests/settle.rs` run scenarios with and without it
//! ([`super::Simulation::without_elision`]) and compare the results.

use crate::time::SimTime;

/// The state of the elision in one run ([`super::pipeline::World::elision`]).
#[derive(Debug, Default)]
pub(crate) struct Elision {
    /// Copies may be counted when sent; set by the run loop when the run allows it.
    pub on: bool,
    /// Copies arriving after this time (the drain bound, µs) are always queued.
    pub until: SimTime,
    /// The end of the workload (µs): the run cannot settle before.
    pub settle_from: SimTime,
    /// Copies counted when sent, never queued: each is one simulated event.
    pub count: u64,
    /// Latest arrival of a copy put in the queue so far (µs).
    latest_arrival: SimTime,
    /// Latest arrival of a queued copy of a packet that is not inert (µs).
    latest_blocking_arrival: SimTime,
}

impl Elision {
    /// Whether a copy arriving at `arrival` (µs) may be counted now: elision is on and the
    /// run cannot stop before the copy arrives (a queued copy that keeps the run from
    /// settling arrives later, or, before the end of the workload, when nothing settles, any
    /// queued copy does; and it arrives by the drain bound). Whether it is redundant is the
    /// network's question.
    pub fn may_elide(&self, arrival: SimTime) -> bool {
        self.on
            && arrival <= self.until
            && (arrival < self.latest_blocking_arrival
                || (arrival < self.settle_from && arrival < self.latest_arrival))
    }

    /// A copy arriving at `arrival` (µs) was queued; `inert`: its packet does not keep the
    /// run from settling.
    pub fn queued(&mut self, arrival: SimTime, inert: bool) {
        self.latest_arrival = self.latest_arrival.max(arrival);
        if !inert {
            self.latest_blocking_arrival = self.latest_blocking_arrival.max(arrival);
        }
    }
}
