//! sdsim: a deterministic discrete-event network simulator for the SDS reliability protocol.
//!
//! See `ARCHITECTURE.md` for the module map and the invariants each module keeps.

pub mod engine;
pub mod metrics;
pub mod net;
pub mod report;
pub mod scenario;
pub mod sds;
