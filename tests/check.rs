//! `sim check` on a temporary baselines directory: `--update` records, an unchanged tree
//! passes byte for byte, a regression or a stale baseline fails (exit 1), bad input exits 2.

mod common;

use common::sim;

use std::path::Path;

const TINY: &str = r#"
name = "tiny"
seed = 4
participants = 4
duration = "30s"
drain = "10m"
[workload]
rate_per_s = 1.0
payload_bytes = 32
[network]
loss = 0.05
[network.latency]
distribution = { kind = "constant", value = "20ms" }
[sds]
bloom_capacity = 500
"#;

/// A baselines directory with one baseline `tiny` (not yet recorded).
fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("baselines/tiny");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("scenario.toml"), TINY).expect("write");
    tmp
}

fn check(tmp: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["check", "--dir", "baselines"];
    args.extend_from_slice(extra);
    let out = sim(&args, tmp);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn edit_report(tmp: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = tmp.join("baselines/tiny/report.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    f(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
}

#[test]
fn update_then_check_passes_identically() {
    let tmp = setup();
    let (code, _, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(2), "no report.json yet: {err}");
    assert!(
        err.contains("report.json: missing: record it with `sim check --update`"),
        "{err}"
    );

    let (code, out, err) = check(tmp.path(), &["--update"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("UPDATED tiny: recorded (new)"), "{out}");
    let recorded = std::fs::read(tmp.path().join("baselines/tiny/report.json")).expect("recorded");

    let (code, out, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("PASS tiny: identical to the committed report"),
        "{out}"
    );
    assert!(err.contains("tiny: 4 participants, seed 4"), "{err}");

    // The recorded report is what `sim run` writes, byte for byte.
    let out = sim(
        &[
            "run",
            "baselines/tiny/scenario.toml",
            "--quiet",
            "--out",
            "run",
        ],
        tmp.path(),
    );
    assert!(out.status.success());
    let ran = std::fs::read(tmp.path().join("run/report.json")).expect("run report");
    assert!(ran == recorded, "sim check --update and sim run disagree");

    // Updating again changes nothing.
    let (code, out, _) = check(tmp.path(), &["--update", "tiny"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("UPDATED tiny: unchanged"), "{out}");
}

#[test]
fn regression_fails_and_update_fixes_it() {
    let tmp = setup();
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    // A baseline that used half the bytes makes the fresh run look like a +100 % rise.
    edit_report(tmp.path(), |v| {
        let b = v["summary"]["bytes_sent"].as_u64().expect("bytes_sent");
        v["summary"]["bytes_sent"] = (b / 2).into();
    });
    let (code, out, _) = check(tmp.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAIL tiny"), "{out}");
    assert!(out.contains("regressions: bytes_sent"), "{out}");
    assert!(out.contains("sim check --update"), "hint missing: {out}");

    // A drop in delivery ratio.
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    edit_report(tmp.path(), |v| {
        v["summary"]["delivery_ratio"] = 1.5.into();
    });
    let (code, out, _) = check(tmp.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("regressions: delivery_ratio"), "{out}");

    // An improvement passes, with the change shown.
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    edit_report(tmp.path(), |v| {
        v["summary"]["latency_ms"]["p99"] = 1e9.into();
    });
    let (code, out, _) = check(tmp.path(), &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("PASS tiny: "), "{out}");
    assert!(out.contains("latency_ms.p99"), "{out}");

    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    assert_eq!(check(tmp.path(), &[]).0, Some(0));
}

#[test]
fn changed_scenario_is_a_stale_baseline() {
    let tmp = setup();
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    let path = tmp.path().join("baselines/tiny/scenario.toml");
    std::fs::write(
        &path,
        TINY.replace("payload_bytes = 32", "payload_bytes = 33"),
    )
    .expect("write");
    let (code, out, _) = check(tmp.path(), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("config_hash differs"), "{out}");
    assert!(out.contains("stale baseline"), "{out}");
}

#[test]
fn bad_input_exits_2() {
    let tmp = setup();
    let (code, _, err) = check(tmp.path(), &["nope"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no baseline \"nope\" (there are: tiny)"),
        "{err}"
    );

    std::fs::create_dir_all(tmp.path().join("empty")).expect("mkdir");
    let out = sim(&["check", "--dir", "empty"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty: no baselines"));

    let out = sim(&["check", "--dir", "missing"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing: cannot read"));

    std::fs::write(
        tmp.path().join("baselines/tolerances.toml"),
        "[metrics]\nx = 1\n",
    )
    .expect("write");
    let (code, _, err) = check(tmp.path(), &["--update"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("tolerances.toml"), "{err}");
    std::fs::remove_file(tmp.path().join("baselines/tolerances.toml")).expect("rm");

    std::fs::write(
        tmp.path().join("baselines/tiny/scenario.toml"),
        TINY.replace("participants = 4", "participants = 0"),
    )
    .expect("write");
    let (code, _, err) = check(tmp.path(), &["--update"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("scenario.toml") && err.contains("participants"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn committed_baselines_load() {
    // `sim check` itself runs in CI (.ci/run); here only that every committed baseline's
    // scenario loads and its report is a report, so schema breakage shows in `cargo test`.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/baselines");
    let names = sdsim::check::baselines(&dir).expect("baselines");
    assert!(names.len() >= 3, "{names:?}");
    for n in names {
        let base = dir.join(&n);
        let loaded = sdsim::scenario::load(&base.join("scenario.toml"), None, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let report = sdsim::report::compare::load_report(&base.join("report.json"))
            .unwrap_or_else(|e| panic!("{e}: run `sim check --update`"));
        assert_eq!(report["scenario"], loaded.scenario.name.as_str(), "{n}");
    }
}

#[test]
fn a_baseline_directory_without_its_scenario_is_an_error() {
    // `sim run .../churn-crash/scenario.toml --out .../churn-crash` used to delete the
    // scenario, and `sim check` then skipped that baseline and said "5 baselines passed".
    let tmp = setup();
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    let (code, out, _) = check(tmp.path(), &[]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("sim check: all 1 baseline in baselines passed"),
        "{out}"
    );
    let (code, out, _) = check(tmp.path(), &["tiny"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("sim check: 1 selected baseline passed (of 1 in baselines)"),
        "{out}"
    );

    // Hidden directories and files are not baselines.
    std::fs::create_dir(tmp.path().join("baselines/.scratch")).expect("mkdir");
    std::fs::write(tmp.path().join("baselines/README.md"), "notes").expect("write");
    assert_eq!(check(tmp.path(), &[]).0, Some(0));

    let ghost = tmp.path().join("baselines/ghost");
    std::fs::create_dir(&ghost).expect("mkdir");
    std::fs::copy(
        tmp.path().join("baselines/tiny/report.json"),
        ghost.join("report.json"),
    )
    .expect("copy");
    for args in [&[][..], &["tiny"], &["--update"]] {
        let (code, out, err) = check(tmp.path(), args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(
            err.contains("ghost: baseline without its scenario.toml"),
            "{err}"
        );
        assert!(!err.contains("participants, seed"), "nothing runs: {err}");
    }
    std::fs::remove_dir_all(&ghost).expect("rm");

    // The committed report of a selected baseline is checked before anything runs.
    std::fs::remove_file(tmp.path().join("baselines/tiny/report.json")).expect("rm");
    let (code, _, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("tiny/report.json: missing"), "{err}");
    assert!(!err.contains("participants, seed"), "nothing runs: {err}");
}

#[test]
fn a_committed_baseline_that_cannot_be_compared_is_an_error() {
    let tmp = setup();
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    let recorded = std::fs::read(tmp.path().join("baselines/tiny/report.json")).expect("read");
    let restore =
        || std::fs::write(tmp.path().join("baselines/tiny/report.json"), &recorded).expect("write");

    edit_report(tmp.path(), |v| v["summary"] = serde_json::json!({}));
    let (code, out, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("tiny/report.json: not a report: its \"summary\" holds no metric"),
        "{err}"
    );
    assert!(!err.contains("participants, seed"), "nothing runs: {err}");

    restore();
    edit_report(tmp.path(), |v| {
        v["summary"]["delivery_ratio"] = "1.0".into()
    });
    let (code, _, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "tiny/report.json: not comparable: summary.delivery_ratio is the string \"1.0\""
        ),
        "{err}"
    );

    restore();
    edit_report(tmp.path(), |v| {
        v["summary"]["latency_ms"] = serde_json::Value::Null
    });
    let (code, _, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("summary.latency_ms is null"), "{err}");

    // A metric the committed report lacks is one added since: shown, not a failure.
    restore();
    edit_report(tmp.path(), |v| {
        v["summary"]
            .as_object_mut()
            .expect("summary")
            .remove("bytes_received");
    });
    let (code, out, err) = check(tmp.path(), &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1 added"), "{out}");

    // --update repairs any of these.
    edit_report(tmp.path(), |v| v["summary"] = serde_json::json!({}));
    assert_eq!(check(tmp.path(), &["--update"]).0, Some(0));
    assert_eq!(check(tmp.path(), &[]).0, Some(0));
}
