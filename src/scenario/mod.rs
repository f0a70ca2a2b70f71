//! Scenario files: the TOML schema, validation with clear errors, defaults, overrides.
//!
//! Driving sequence (what `sim run` / `sim validate` do):
//!
//! ```text
//! load(path, --seed, --set...)            read the file (ErrorKind::Io on failure)
//!   └ load_str(source, origin, ...)       parse TOML            (Syntax, with line)
//!       apply --set KEY=VALUE in order    dotted paths, indexes (Override)
//!       apply --seed                      overrides `seed`
//!       deserialize into Scenario         unknown keys / types  (UnknownKey, MissingKey, Type)
//!       name := file stem if empty
//!       sds.profile: defaults of the keys not given
//!       validate                          ranges, cross-field   (Invalid)
//!       read network.latency.regions      relative to the file  (Io / Regions)
//!       config_hash                       sha256(canonical JSON, seed = 0)
//!   → Loaded { scenario, base_dir, config_hash, regions, toml }
//! ```
//!
//! Every [`ScenarioError`] is bad input (exit code 2) and displays as one line naming the
//! file, the line (when known), the key or `--set` argument, and what is wrong. Every key,
//! its unit, default and valid range: `scenarios/README.md`.

pub mod advice;
pub mod bounds;
pub mod duration;
pub mod error;
pub mod implementation;
pub mod light;
pub mod loader;
pub mod profile;
pub mod regions;
pub mod types;
mod validate;
mod validate_light;

#[cfg(test)]
mod bounds_tests;
#[cfg(test)]
mod tests;

pub use advice::{advice, Advice};
pub use duration::{DurationError, SignedDuration, SimDuration};
pub use error::{ErrorKind, ScenarioError};
pub use light::{Light, NetworkSwitch, ServiceOffline, ServiceOfflineMode};
pub use loader::{config_hash, load, load_str, load_str_cached, Loaded, RegionCache};
pub use regions::RegionMatrix;
pub use types::*;

/// Validates a scenario built in a unit test elsewhere in the crate (`key: message` on error).
#[cfg(test)]
pub(crate) fn validate_for_tests(s: &Scenario) -> Result<(), String> {
    validate::validate(s).map_err(|e| format!("{}: {}", e.key, e.message))
}
pub(crate) use validate::MAX_SKEW_US;
