//! sdsim: a deterministic discrete-event network simulator for the SDS reliability protocol.
//!
//! See `ARCHITECTURE.md` for the module map and the invariants each module keeps. The usual
//! entry point from code is [`simulate`]: a loaded scenario in, the run's outcome and its
//! report out.

pub mod alloc;
pub mod budget;
pub mod check;
pub mod determinism;
pub mod driver;
pub mod engine;
pub mod io_limits;
pub mod metrics;
pub mod names;
pub mod net;
pub mod outdir;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sds;
pub mod swarm;
pub mod sweep;
pub mod time;
pub mod wire_json;

use engine::Simulation;
use metrics::RunOutcome;
use time::SimTime;

/// Why a run could not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario's network cannot be built (bad input; the CLI exits 2).
    #[error(transparent)]
    Net(#[from] net::NetError),
    /// A participant's driver failed during the run (the CLI exits 1).
    #[error(transparent)]
    Run(#[from] engine::RunError),
}

impl SimError {
    /// The CLI's exit code for this error: 2 for bad input, 1 for a failed run.
    pub fn exit_code(&self) -> u8 {
        match self {
            SimError::Net(_) => 2,
            SimError::Run(_) => 1,
        }
    }
}

/// Runs a loaded scenario to the end and builds its report. `progress` is called now and then
/// with the current simulated time (µs). Same scenario and seed give the same report, byte
/// for byte once serialized.
///
/// Errors: [`SimError::Net`] for a network that cannot be built from the scenario (e.g. a
/// distribution whose parameters the sampler rejects: bad input), [`SimError::Run`] when a
/// participant's driver failed during the run.
pub fn simulate(
    loaded: &scenario::Loaded,
    progress: &mut dyn FnMut(SimTime),
) -> Result<(RunOutcome, report::Report), SimError> {
    let sim = Simulation::new(&loaded.scenario, loaded.regions.as_ref())?;
    let outcome = sim.run(progress)?;
    let report = report::Report::build(&loaded.scenario, &loaded.config_hash, &outcome);
    Ok((outcome, report))
}

/// Like [`simulate`], with every event hashed into [`RunOutcome::trace`] (see
/// [`metrics::trace`]): the input of `--check-determinism` ([`determinism::check`]).
/// Keeps no cores, as [`simulate_observed`].
///
/// Errors: as [`simulate`].
pub fn simulate_traced(
    loaded: &scenario::Loaded,
    progress: &mut dyn FnMut(SimTime),
) -> Result<(RunOutcome, report::Report), SimError> {
    simulate_observed(loaded, &engine::run::Observe::default(), true, progress)
}

/// Like [`simulate`], recording what `observe` asks for ([`RunOutcome::message_trace`],
/// [`RunOutcome::timeseries`]; the report is the same as without) and, if `traced`, the
/// event hash of [`simulate_traced`]. Keeps no cores: [`RunOutcome::channels`] is empty
/// and every participant's state is freed before the report is built
/// ([`Simulation::without_final_cores`]); [`simulate`] keeps them.
///
/// Errors: as [`simulate`].
pub fn simulate_observed(
    loaded: &scenario::Loaded,
    observe: &engine::run::Observe,
    traced: bool,
    progress: &mut dyn FnMut(SimTime),
) -> Result<(RunOutcome, report::Report), SimError> {
    let sc = &loaded.scenario;
    let mut sim = Simulation::new(sc, loaded.regions.as_ref())?
        .observe(observe, sc.report_interval.as_micros())
        .without_final_cores();
    if traced {
        sim = sim.with_trace();
    }
    let outcome = sim.run(progress)?;
    let report = report::Report::build(sc, &loaded.config_hash, &outcome);
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
