//! Simulated time: whole microseconds since the start of the run.
//!
//! The scenario sets the Unix epoch (ms) of time 0; participant i's wall clock reads
//! `epoch_ms + (t + offset_i) / 1000` (DESIGN.md "Engine rules"). Lives below the engine and the
//! network model so both can name it without depending on each other.

/// Simulated time: microseconds since the start of the run.
pub type SimTime = u64;

/// Microseconds per millisecond.
pub const US_PER_MS: u64 = 1_000;
/// Microseconds per second.
pub const US_PER_S: u64 = 1_000_000;
