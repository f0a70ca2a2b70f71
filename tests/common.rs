//! Helpers shared by the scenario tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Loads a scenario given as TOML text (paths resolve against `tests/scenarios/`).
pub fn load_toml(text: &str) -> Loaded {
    scenario::load_str(text, &scenario_path("inline.toml"), None, &[])
        .unwrap_or_else(|e| panic!("inline scenario: {e}"))
}

/// Runs a scenario given as TOML text: the outcome (final core states) and the report.
pub fn run_toml(text: &str) -> (sdsim::metrics::RunOutcome, Report) {
    sdsim::simulate(&load_toml(text), &mut |_| {}).expect("simulate")
}

/// Participant `i`'s final local log as labels of scripted publications (unlabelled
/// messages show as `?<first 8 chars of id>`).
pub fn log_labels(out: &sdsim::metrics::RunOutcome, i: usize) -> Vec<String> {
    let rec = &out.recorder;
    let channel = out.channels[i].as_ref().expect("an SDS participant");
    channel
        .local_log()
        .map(|id| {
            let id = id.to_string();
            rec.lookup(0, &id)
                .and_then(|m| rec.messages()[m as usize].label.clone())
                .unwrap_or_else(|| format!("?{}", &id[..id.len().min(8)]))
        })
        .collect()
}

/// A scripted scenario for `participants`: 60 s workload with no random publications,
/// 30 min drain, constant 50 ms latency, no loss, a small bloom filter. `sds_extra` lines go
/// into the `[sds]` table (before any sub-table in `extra`); `extra` is appended (e.g.
/// `[[workload.publish]]` and `[[partitions]]` entries).
pub fn scripted(participants: u32, sds_extra: &str, extra: &str) -> String {
    format!(
        "participants = {participants}\nseed = 1\nduration = \"60s\"\ndrain = \"30m\"\n\
         [workload]\nrate_per_s = 0\npayload_bytes = 64\n\
         [network.latency]\ndistribution = {{ kind = \"constant\", value = \"50ms\" }}\n\
         [sds]\nbloom_capacity = 1000\nbloom_error_rate = 0.01\n{sds_extra}\n{extra}"
    )
}

/// Runs the `sim` binary with `args` in `cwd` and returns its output.
pub fn sim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run sim")
}
