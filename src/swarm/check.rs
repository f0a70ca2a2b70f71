//! Running one scenario document and judging it: load and validate it as `sim run` would,
//! run it (twice for determinism), catch a simulator error or panic (property `runs`),
//! and give each property's verdict with the run's key figures.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::property::{self, Facts, Property, Verdict};
use crate::report::Report;
use crate::scenario::{self, Scenario, ScenarioError};

/// The key figures of a run (columns of `swarm.csv`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub delivery_ratio: f64,
    pub stop_reason: String,
    pub end_s: f64,
    pub simulated_events: u64,
    pub messages_published: u64,
    pub distinct_final_logs: u64,
    pub messages_in_incoming_buffers: u64,
    pub acknowledged_undelivered: u64,
    pub irretrievably_lost: u64,
    pub causal_violations: u64,
    pub bytes_sent: u64,
}

impl Figures {
    fn of(r: &Report) -> Figures {
        let s = &r.summary;
        Figures {
            delivery_ratio: s.delivery_ratio,
            stop_reason: r.run.stop_reason.clone(),
            end_s: r.run.end_s,
            simulated_events: r.run.simulated_events,
            messages_published: s.messages_published,
            distinct_final_logs: s.distinct_final_logs,
            messages_in_incoming_buffers: s.messages_in_incoming_buffers,
            acknowledged_undelivered: s.acknowledged_undelivered,
            irretrievably_lost: s.repair.irretrievably_lost,
            causal_violations: s.causal_violations,
            bytes_sent: s.bytes_sent,
        }
    }
}

/// The verdicts and figures of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The validated scenario.
    pub scenario: Scenario,
    /// One verdict per [`Property::ALL`], in that order.
    pub verdicts: [Verdict; 4],
    /// `None` when the run failed (`runs`).
    pub figures: Option<Figures>,
}

impl Checked {
    /// The verdict on `p`.
    pub fn verdict(&self, p: Property) -> &Verdict {
        let i = Property::ALL.iter().position(|&q| q == p).unwrap_or(0);
        &self.verdicts[i]
    }
}

/// Loads `text` (a scenario document whose relative paths resolve against `origin`), runs
/// it and judges `properties` (and always `runs`). With `twice`, the run is repeated and
/// compared for `determinism` (when listed).
///
/// # Errors
/// The document is not a valid scenario (the loader's error).
pub fn check_text(
    text: &str,
    origin: &Path,
    properties: &[Property],
    twice: bool,
) -> Result<Checked, ScenarioError> {
    let loaded = scenario::load_str(text, origin, None, &[])?;
    let want = |p: Property| properties.contains(&p);
    let twice = twice && want(Property::Determinism);
    let result = catch_unwind(AssertUnwindSafe(|| {
        if twice {
            crate::determinism::check(&loaded, &mut |_, _| {})
                .map(|(_, r, c)| (r, Some(c.divergence)))
        } else {
            crate::simulate(&loaded, &mut |_| {}).map(|(_, r)| (r, None))
        }
    }));
    let na = || Verdict::NotApplicable;
    let (report, det) = match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return Ok(Checked {
                scenario: loaded.scenario,
                verdicts: [na(), na(), na(), Verdict::Fail(format!("run failed: {e}"))],
                figures: None,
            })
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            return Ok(Checked {
                scenario: loaded.scenario,
                verdicts: [na(), na(), na(), Verdict::Fail(format!("panicked: {msg}"))],
                figures: None,
            });
        }
    };
    let facts = Facts::of(&loaded.scenario, &report);
    let safety = if want(Property::Safety) {
        property::safety(&facts)
    } else {
        na()
    };
    let liveness = if want(Property::Liveness) {
        property::liveness(&facts)
    } else {
        na()
    };
    let determinism = match det {
        None => na(),
        Some(None) => Verdict::Pass,
        Some(Some(d)) => Verdict::Fail(d),
    };
    Ok(Checked {
        scenario: loaded.scenario,
        verdicts: [safety, liveness, determinism, Verdict::Pass],
        figures: Some(Figures::of(&report)),
    })
}
