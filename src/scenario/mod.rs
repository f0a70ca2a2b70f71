//! Scenario files: the TOML schema, validation with clear errors, defaults, overrides.

pub mod duration;
pub mod types;

pub use duration::SimDuration;
pub use types::*;
