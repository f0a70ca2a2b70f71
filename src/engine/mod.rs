//! Simulated time, the event queue, RNG stream derivation and the run loop.
//!
//! Engine rules (DESIGN.md "Engine rules"):
//! - [`SimTime`] is whole microseconds since the start of the run; the scenario sets the Unix
//!   epoch (ms) of time 0, and each participant's wall clock is `epoch_ms + t / 1000`.
//! - One event queue ([`queue::EventQueue`]); ties break by insertion sequence number, never
//!   by a hash or an address. Time jumps from event to event.
//! - Every random draw comes from a stream derived from the scenario seed and a
//!   `(kind, id)` pair ([`rng::stream`]), so adding a participant does not reshuffle others.
//! - No threads inside a run; no iteration over random-state hash maps.
//!
//! The run loop itself is [`run::Simulation`]: a workload phase, then a drain phase in which the
//! workload stops, partitions heal and protocol timers keep running until the group is settled
//! or the drain bound passes.

pub mod churn;
pub mod queue;
pub mod run;
pub mod store;

pub use run::{RunOutcome, Simulation, StopReason};
