//! The js-waku adapter (`adapters/js-waku-sds/`, `sds.implementation = "js-waku-0.0.8"`):
//! it passes `sim adapter check`, and the same scenario and seed give a byte-identical
//! `report.json` (also under `--check-determinism`). Needs Node.js and `npm ci` in
//! `adapters/js-waku-sds` (`.ci/run` does it); without them each test says so and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn adapter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters/js-waku-sds")
}

/// False (with a message saying why) when the adapter cannot run here; with
/// `SDSIM_REQUIRE_JS_WAKU=1` (set by `.ci/run`) a missing adapter fails instead.
fn installed() -> bool {
    let dir = adapter_dir();
    let why = if !dir.join("node_modules/@waku/sds/package.json").is_file() {
        format!(
            "the js-waku adapter is not installed: run `npm ci --prefix {}`",
            dir.display()
        )
    } else if Command::new("node").arg("--version").output().is_err() {
        "no `node` in PATH (Node.js 20 or later)".to_string()
    } else {
        return true;
    };
    if std::env::var_os("SDSIM_REQUIRE_JS_WAKU").is_some_and(|v| v == "1") {
        panic!("{why} (SDSIM_REQUIRE_JS_WAKU=1)");
    }
    eprintln!("SKIPPED: {why}");
    false
}

fn sim(args: &[&str]) -> (String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("run sim");
    (
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        o.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_js_waku_adapter_passes_the_conformance_suite() {
    if !installed() {
        return;
    }
    let script = adapter_dir().join("adapter.js");
    let (out, code) = sim(&[
        "adapter",
        "check",
        "--",
        "node",
        script.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("implementation @waku/sds 0.0.8"), "{out}");
    assert!(out.contains("12 passed, 0 failed"), "{out}");
}

fn scenario() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/partition.toml")
        .display()
        .to_string()
}

const SMALL: &[&str] = &[
    "--set",
    "participants=6",
    "--set",
    "duration=2m",
    "--set",
    "drain=4m",
    "--set",
    "partitions.0.start=30s",
    "--set",
    "partitions.0.heal=60s",
    "--set",
    "sds.implementation=js-waku-0.0.8",
];

#[test]
fn js_waku_runs_are_byte_identical_and_pass_the_determinism_check() {
    if !installed() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reports = Vec::new();
    let scen = scenario();
    for run in ["a", "b"] {
        let out = dir.path().join(run);
        let mut args = vec!["run", &scen, "--quiet", "--out"];
        let out_s = out.display().to_string();
        args.push(&out_s);
        args.extend_from_slice(SMALL);
        let (text, code) = sim(&args);
        assert_eq!(code, 0, "{text}");
        reports.push(std::fs::read(out.join("report.json")).expect("report.json"));
    }
    assert!(
        reports[0] == reports[1],
        "two runs gave different report.json"
    );
    let report: serde_json::Value = serde_json::from_slice(&reports[0]).expect("json");
    let sds = &report["config"]["sds"];
    assert_eq!(sds["implementation"], "js-waku-0.0.8");
    assert_eq!(sds["profile"], "js-waku-0.0.8", "implied profile echoed");
    assert_eq!(
        sds["message_id"], "payload-sha256",
        "profile default applied"
    );
    assert_eq!(
        sds["causal_history"], 10,
        "the scenario's explicit key wins"
    );
    assert!(
        report["summary"]["delivery_ratio"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "{}",
        report["summary"]
    );
    let out = dir.path().join("det");
    let out_s = out.display().to_string();
    let mut args = vec![
        "run",
        &scen,
        "--quiet",
        "--check-determinism",
        "--out",
        &out_s,
    ];
    args.extend_from_slice(SMALL);
    let (text, code) = sim(&args);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("determinism: ok"), "{text}");
}

#[test]
fn a_missing_install_is_named_with_the_command_that_fixes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let adapters = dir.path().join("adapters");
    std::fs::create_dir_all(adapters.join("js-waku-sds")).expect("mkdir");
    std::fs::write(adapters.join("js-waku-sds/adapter.js"), "").expect("write");
    let scen = scenario();
    let out = dir.path().join("out").display().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_sim"))
        .env("SDSIM_ADAPTERS_DIR", &adapters)
        .args(["run", &scen, "--quiet", "--out", &out])
        .args(SMALL)
        .output()
        .expect("run sim");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("dependencies are not installed"), "{err}");
    assert!(err.contains("npm ci --prefix"), "{err}");
    assert!(!Path::new(&out).exists());
}
