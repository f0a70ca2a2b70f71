//! The engine: one run of a scenario, driven by one event queue.
//!
//! Engine rules (DESIGN.md "Engine rules"):
//! - Simulated time ([`crate::time::SimTime`]) is whole microseconds since the start of the
//!   run; only the queue advances it, event to event.
//! - One event queue ([`queue::EventQueue`]); ties break by insertion order, never by a hash
//!   or an address.
//! - Every random draw comes from a stream of [`crate::rng::stream`], so adding a
//!   participant or a consumer does not reshuffle other draws.
//! - No threads inside a run; no iteration over random-state hash maps.
//!
//! Modules, each with one owner's state and events:
//! - [`run`]: the loop and the stop rule ([`Simulation`]);
//! - [`pipeline`]: the life of a message (publish, drain, transmit, arrive, timer) over the
//!   `pipeline::World` (queue, network, recorder, participants, churn);
//! - `participants`: drivers per channel membership, timers, clocks;
//! - `workload`: the publication generators and the run's channels;
//! - [`churn`]: presence, offline windows, crashes, joins, relay re-grafting;
//! - [`store`]: the store role (store nodes and the participants' store clients) behind
//!   `roles::Roles`;
//! - `outcome`: final state and agreement of final logs, into a
//!   [`crate::metrics::RunOutcome`].
//!
//! The engine may name the drivers, the network model, the recorder, the scenario, time and
//! randomness. Nothing below it (core, drivers, net, metrics, report) names the engine.

pub mod churn;
mod elision;
mod event;
pub mod light;
mod observe;
mod outcome;
mod participants;
pub mod pipeline;
mod prefetch;
pub mod queue;
mod roles;
pub mod run;
pub mod store;
mod workload;

pub use participants::{participant_id, CHANNEL_ID};
pub use pipeline::RunError;
pub use run::Simulation;
pub use workload::build_channels;
