//! The wrong kind of file or place (issue 14): each command says what it was given, what the
//! file it takes looks like and which command takes the one given; exit 2, nothing written.

mod common;

use common::sim;

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Exit 2, stderr holding every needle, no panic.
#[track_caller]
fn assert_usage_error(out: &std::process::Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn run_and_validate_on_a_sweep_file_point_to_sim_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    for args in [
        &["run", "scenarios/sweeps/loss.toml", "--out", out_dir][..],
        &["validate", "scenarios/sweeps/loss.toml"][..],
    ] {
        let out = sim(args, root());
        assert_usage_error(
            &out,
            &[
                "scenarios/sweeps/loss.toml: this is a sweep file",
                "`sim sweep scenarios/sweeps/loss.toml`",
                "participants = N",
            ],
        );
    }
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn sweep_on_a_scenario_file_points_to_sim_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    for args in [
        &["sweep", "scenarios/partition.toml", "--out", out_dir][..],
        &["sweep", "scenarios/partition.toml", "--dry-run"][..],
    ] {
        let out = sim(args, root());
        assert_usage_error(
            &out,
            &[
                "scenarios/partition.toml: this is a scenario file",
                "`sim run scenarios/partition.toml`",
                "base = \"scenario.toml\"",
                "[sweep]",
            ],
        );
    }
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn compare_takes_run_directories_and_explains_other_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let base = root().join("reports/baselines/relay-loss/report.json");
    for d in ["a", "b"] {
        std::fs::create_dir(tmp.path().join(d)).unwrap();
        std::fs::copy(&base, tmp.path().join(d).join("report.json")).unwrap();
    }
    // A run directory stands for its report.json.
    let out = sim(&["compare", "a", "b"], tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sim(&["compare", "a", "b/report.json"], tmp.path());
    assert!(out.status.success());

    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let out = sim(&["compare", "a", "empty"], tmp.path());
    assert_usage_error(
        &out,
        &[
            "empty: a directory without report.json",
            "sim compare takes two runs' report.json files, or the run directories",
        ],
    );

    std::fs::create_dir(tmp.path().join("sweep")).unwrap();
    std::fs::write(tmp.path().join("sweep/sweep.json"), "{}").unwrap();
    let out = sim(&["compare", "sweep", "a"], tmp.path());
    assert_usage_error(
        &out,
        &["sweep: a sweep's output directory", "sweep_points.csv"],
    );
}

#[test]
fn check_outside_the_repository_mentions_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sim(&["check"], tmp.path());
    assert_usage_error(
        &out,
        &[
            "reports/baselines: cannot read",
            "run it from the repository's root",
            "`--dir DIR`",
        ],
    );
}

#[test]
fn protocol_is_printed_as_files_spell_it() {
    for (set, want) in [
        ("protocol=sds", "protocol sds,"),
        ("protocol=none", "protocol none,"),
    ] {
        let out = sim(
            &["validate", "scenarios/partition.toml", "--set", set],
            root(),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(text.contains(want), "{want:?} missing from: {text}");
    }
}
