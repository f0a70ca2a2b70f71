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

/// `--check-determinism` locates a difference: two runs identical up to a partition's start
/// (20 s in one, 30 s in the other) agree up to about 20 s and differ from there on.
#[test]
fn trace_comparison_finds_the_first_differing_time() {
    let a = common::load("small-lossy.toml", Some(4), &[]);
    let b = common::load("small-lossy.toml", Some(4), &["partitions.0.start=30s"]);
    let (ra, _) = sdsim::simulate_traced(&a, &mut |_| {}).expect("run");
    let (rb, _) = sdsim::simulate_traced(&b, &mut |_| {}).expect("run");
    let (ta, tb) = (ra.trace.expect("traced"), rb.trace.expect("traced"));
    let d = ta.compare(&tb).expect("the runs differ");
    let s = |t: u64| t as f64 / 1e6;
    assert!(
        (19.0..=20.5).contains(&s(d.agree.time)),
        "agree until {} s: {d}",
        s(d.agree.time)
    );
    let [Some(x), Some(y)] = d.differ else {
        panic!("{d}")
    };
    assert!(s(x.time) >= 20.0 && s(y.time) >= 20.0, "{d}");
    assert!(
        x.events == d.agree.events + 1,
        "checkpoint every event here: {d}"
    );
    let text = d.to_string();
    assert!(text.contains("identical up to event"), "{text}");

    // The same scenario twice: identical traces, and the check agrees.
    let (_, _, check) = sdsim::determinism::check(&a, &mut |_, _| {}).expect("run");
    assert!(check.ok(), "{check:?}");
    assert_eq!(check.trace_hash, ta.hash_hex());
    // A trace of another seed differs.
    assert_ne!(ta.hash_hex(), {
        let c = common::load("small-lossy.toml", Some(5), &[]);
        sdsim::simulate_traced(&c, &mut |_| {})
            .expect("run")
            .0
            .trace
            .expect("traced")
            .hash_hex()
    });
}

/// Tracing does not change a run: its report is the untraced one, byte for byte.
#[test]
fn tracing_does_not_change_the_report() {
    let loaded = common::load("three-partition.toml", Some(2), &[]);
    let plain = serde_json::to_string(&common::run(&loaded)).expect("json");
    let (_, traced) = sdsim::simulate_traced(&loaded, &mut |_| {}).expect("run");
    assert_eq!(plain, serde_json::to_string(&traced).expect("json"));
}
