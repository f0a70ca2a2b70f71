//! Helpers shared by the scenario tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sdsim::report::Report;
use sdsim::scenario::{self, Loaded};

/// Path of a file under `tests/scenarios/`.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

/// Loads `tests/scenarios/<name>` with overrides; panics with the loader's message on error.
pub fn load(name: &str, seed: Option<u64>, overrides: &[&str]) -> Loaded {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    scenario::load(&scenario_path(name), seed, &overrides)
        .unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

/// Runs a loaded scenario and returns its report; on failure of a caller's assertion the
/// seed is in the report (`report.seed`) and the replay command is printed by `replay`.
pub fn run(loaded: &Loaded) -> Report {
    let (_outcome, report) = sdsim::simulate(loaded, &mut |_| {}).expect("simulate");
    report
}

/// How to replay a scenario test by hand.
pub fn replay(name: &str, report: &Report) -> String {
    format!(
        "replay: cargo run --release -- run tests/scenarios/{name} --seed {}",
        report.seed
    )
}
