//! `[churn]`: participants going offline and coming back, crashing, leaving, joining late,
//! with the defaults of its keys.
//!
//! Part of the schema (`types.rs`): names only `duration` and the schema's shared
//! `default_true`.

use serde::{Deserialize, Serialize};

use super::default_true;
use crate::scenario::duration::SimDuration;

/// `[churn]`: participants going offline and coming back, crashing, leaving, joining late.
/// Semantics: `scenarios/README.md` ("`[churn]`") and `engine::churn` (`plan.rs` for the schedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Churn {
    /// What going offline means. Default `sleep`.
    #[serde(default)]
    pub mode: ChurnMode,
    /// Explicit offline windows (`[[churn.offline]]`).
    #[serde(default)]
    pub offline: Vec<OfflineWindow>,
    /// A seeded random set of participants offline at once (`[churn.random]`).
    #[serde(default)]
    pub random: Option<RandomChurn>,
    /// Late joiners (`[[churn.join]]`).
    #[serde(default)]
    pub join: Vec<ChurnJoin>,
    /// True: a late joiner is expected to deliver its channel's whole history, including
    /// messages published before it joined. False: only messages published at or after
    /// its join time. Default true.
    #[serde(default = "default_true")]
    pub joiners_expect_history: bool,
}

impl Default for Churn {
    fn default() -> Self {
        Churn {
            mode: ChurnMode::default(),
            offline: Vec::new(),
            random: None,
            join: Vec::new(),
            joiners_expect_history: true,
        }
    }
}

impl Churn {
    /// True when nothing is set (used to omit `[churn]` from the resolved config).
    pub fn is_default(&self) -> bool {
        *self == Churn::default()
    }

    /// True if any participant goes offline, leaves or joins late.
    pub fn is_active(&self) -> bool {
        !self.offline.is_empty() || self.random.is_some() || !self.join.is_empty()
    }
}

/// `churn.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChurnMode {
    /// State kept; on waking the core's clock jumps and missed timers fire at once.
    #[default]
    Sleep,
    /// On coming back the participant's cores are replaced by fresh ones (state lost).
    Crash,
    /// Goes offline for good at the window's start.
    Leave,
}

/// `[[churn.offline]]`: participants `ids` are offline from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineWindow {
    /// Participant ids (< participants, at least one).
    pub ids: Vec<u32>,
    /// Simulated time the window starts (< duration).
    pub start: SimDuration,
    /// Simulated time it ends (> start); required for `sleep` and `crash`, ignored for
    /// `leave`. Windows still open at the end of the workload end then.
    #[serde(default)]
    pub end: Option<SimDuration>,
}

/// `[churn.random]`: `round(fraction x participants)` participants drawn from the seed go
/// offline at `start` (plus a uniform offset in `[0, stagger]` each) for `duration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomChurn {
    /// Fraction of the participants, in (0, 1].
    pub fraction: f64,
    /// Simulated time the first of them goes offline (+ stagger < duration).
    pub start: SimDuration,
    /// How long each stays offline (> 0; required for `sleep` and `crash`, ignored for
    /// `leave`).
    #[serde(default)]
    pub duration: Option<SimDuration>,
    /// Start times spread uniformly over `[start, start + stagger]`. Default 0s.
    #[serde(default)]
    pub stagger: SimDuration,
}

/// `[[churn.join]]`: participants `ids` do not exist before `at`; then they join with a
/// fresh core (empty state, wall clock of that time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChurnJoin {
    /// Participant ids (< participants, each joining at most once).
    pub ids: Vec<u32>,
    /// Simulated join time (< duration).
    pub at: SimDuration,
}
