//! sdsim: a deterministic discrete-event network simulator for the SDS reliability protocol.
//!
//! See `ARCHITECTURE.md` for the module map and the invariants each module keeps. The usual
//! entry point from code is [`simulate`]: a loaded scenario in, the run's outcome and its
//! report out.

pub mod budget;
pub mod check;
pub mod determinism;
pub mod engine;
pub mod io_limits;
pub mod metrics;
pub mod net;
pub mod report;
pub mod scenario;
pub mod sds;
pub mod sweep;
pub mod wire_json;

use engine::{RunOutcome, SimTime, Simulation};

/// Runs a loaded scenario to the end and builds its report. `progress` is called now and then
/// with the current simulated time (µs). Same scenario and seed give the same report, byte
/// for byte once serialized.
///
/// Errors: a network that cannot be built from the scenario (e.g. a distribution whose
/// parameters the sampler rejects).
pub fn simulate(
    loaded: &scenario::Loaded,
    progress: &mut dyn FnMut(SimTime),
) -> Result<(RunOutcome, report::Report), net::NetError> {
    let sim = Simulation::new(&loaded.scenario, loaded.regions.as_ref())?;
    let outcome = sim.run(progress);
    let report = report::Report::build(&loaded.scenario, &loaded.config_hash, &outcome);
    Ok((outcome, report))
}

/// Like [`simulate`], with every event hashed into [`RunOutcome::trace`] (see
/// [`engine::trace`]): the input of `--check-determinism` ([`determinism::check`]).
///
/// Errors: as [`simulate`].
pub fn simulate_traced(
    loaded: &scenario::Loaded,
    progress: &mut dyn FnMut(SimTime),
) -> Result<(RunOutcome, report::Report), net::NetError> {
    let sim = Simulation::new(&loaded.scenario, loaded.regions.as_ref())?.with_trace();
    let outcome = sim.run(progress);
    let report = report::Report::build(&loaded.scenario, &loaded.config_hash, &outcome);
    Ok((outcome, report))
}

/// Region name of every participant of `loaded` (participant i is in region i mod R), or
/// empty strings when latency does not come from a region matrix.
pub fn participant_regions(loaded: &scenario::Loaded) -> Vec<String> {
    let n = loaded.scenario.participants as usize;
    match &loaded.regions {
        Some(m) if loaded.scenario.network.latency.regions.is_some() && !m.names.is_empty() => {
            (0..n).map(|i| m.names[i % m.names.len()].clone()).collect()
        }
        _ => vec![String::new(); n],
    }
}
