//! Same binary + scenario + seed => byte-identical report.json (and CSVs, report.html); another
//! seed gives a different report.

mod common;

use std::process::Command;

fn run_cli(scenario: &str, seed: u64, out: &std::path::Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "run",
            scenario,
            "--quiet",
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .status()
        .expect("run sim");
    assert!(status.success(), "sim run {scenario} --seed {seed} failed");
}

#[test]
fn same_seed_identical_bytes_other_seed_differs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scenario = common::scenario_path("small-lossy.toml");
    let scenario = scenario.to_str().expect("utf-8 path");
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    run_cli(scenario, 11, &a);
    run_cli(scenario, 11, &b);
    run_cli(scenario, 12, &c);
    for file in [
        "report.json",
        "messages.csv",
        "nodes.csv",
        "delivery_over_time.svg",
        "report.html",
    ] {
        let x = std::fs::read(a.join(file)).expect(file);
        let y = std::fs::read(b.join(file)).expect(file);
        assert!(x == y, "{file} differs between two runs with seed 11");
    }
    let x = std::fs::read(a.join("report.json")).expect("report");
    let z = std::fs::read(c.join("report.json")).expect("report");
    assert_ne!(x, z, "seeds 11 and 12 gave the same report");
}

#[test]
fn in_process_runs_are_identical() {
    let loaded = common::load("three-partition.toml", Some(5), &[]);
    let a = serde_json::to_string(&common::run(&loaded)).expect("json");
    let b = serde_json::to_string(&common::run(&loaded)).expect("json");
    assert_eq!(a, b);
}
