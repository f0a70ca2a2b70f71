//! External participants (`sds.implementation = "external"`, `docs/adapter-protocol.md`):
//! the reference adapter (`src/bin/sdsim-adapter.rs`, the built-in core behind the protocol)
//! gives the built-in core's report byte for byte; adapters that cannot start, crash, hang,
//! garble or speak another version stop the run with one clear message and exit 1, leave no
//! output directory behind and no child process running.

mod common;

use std::path::{Path, PathBuf};

use sdsim::scenario::{self, Loaded};

const ADAPTER: &str = env!("CARGO_BIN_EXE_sdsim-adapter");

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn load(name: &str, overrides: &[String]) -> Loaded {
    scenario::load(&shipped(name), None, overrides).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `--set` values that run the scenario through `command`.
fn via(command: &[&str], timeout: &str) -> Vec<String> {
    let words: Vec<String> = command.iter().map(|w| format!("{w:?}")).collect();
    vec![
        "sds.implementation=external".into(),
        format!("sds.external.command=[{}]", words.join(", ")),
        format!("sds.external.timeout={timeout}"),
    ]
}

/// The report as JSON without what names the implementation (the resolved config and its
/// hash), which legitimately differs.
fn comparable(loaded: &Loaded) -> String {
    let (_, report) = sdsim::simulate(loaded, &mut |_| {}).expect("simulate");
    let mut v = serde_json::to_value(&report).expect("json");
    let obj = v.as_object_mut().expect("object");
    obj.remove("config");
    obj.remove("config_hash");
    serde_json::to_string_pretty(&v).expect("json")
}

fn same_report_through_the_reference_adapter(name: &str, small: &[&str]) {
    let base: Vec<String> = small.iter().map(|s| s.to_string()).collect();
    let direct = comparable(&load(name, &base));
    let mut ext = base.clone();
    ext.extend(via(&[ADAPTER], "30s"));
    let adapter = comparable(&load(name, &ext));
    assert!(
        direct == adapter,
        "{name} {small:?}: the report through the reference adapter differs from the direct run"
    );
}

#[test]
fn reference_adapter_gives_the_built_in_report_partition() {
    same_report_through_the_reference_adapter(
        "partition.toml",
        &["participants=8", "duration=3m", "drain=20m"],
    );
}

#[test]
fn reference_adapter_gives_the_built_in_report_crash_churn_and_relay() {
    same_report_through_the_reference_adapter(
        "churn.toml",
        &[
            "participants=16",
            "duration=4m",
            "churn.mode=crash",
            "churn.random.start=60s",
        ],
    );
}

#[test]
fn reference_adapter_gives_the_built_in_report_store_and_late_joiners() {
    same_report_through_the_reference_adapter(
        "community-history.toml",
        &[
            "participants=12",
            "duration=8m",
            "drain=20m",
            "churn.random.start=1m",
            "churn.random.duration=2m",
            "churn.random.stagger=1m",
            "store.offline.0.start=2m",
            "store.offline.0.end=4m",
        ],
    );
    same_report_through_the_reference_adapter(
        "new-node-sync.toml",
        &["participants=20", "duration=8m"],
    );
}

#[test]
fn reference_adapter_gives_the_built_in_report_direct_channels_and_skew() {
    same_report_through_the_reference_adapter(
        "direct-messages.toml",
        &[
            "participants=20",
            "duration=6m",
            "workload.direct.conversations=10",
            "network.degradations.0.ids=[0, 1, 2, 3]",
            "churn.random.stagger=2m",
            "clock_skew={ kind = \"uniform\", min = \"-2s\", max = \"2s\" }",
        ],
    );
}

#[test]
fn a_mixed_group_with_the_reference_adapter_gives_the_built_in_report() {
    // Half the participants (every odd id) through the adapter, half in process: the same
    // core either way, so the same report.
    let base: Vec<String> = ["participants=8", "duration=3m", "drain=20m"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let direct = comparable(&load("partition.toml", &base));
    let mut mixed = base.clone();
    mixed.extend([
        "sds.mix.0.implementation=external".to_string(),
        "sds.mix.0.fraction=0.5".to_string(),
        format!("sds.external.command=[{ADAPTER:?}]"),
    ]);
    assert!(direct == comparable(&load("partition.toml", &mixed)));
    let mut by_ids = base;
    by_ids.extend([
        "sds.mix.0.implementation=external".to_string(),
        "sds.mix.0.ids=[0, 3, 4]".to_string(),
        format!("sds.external.command=[{ADAPTER:?}]"),
    ]);
    assert!(direct == comparable(&load("partition.toml", &by_ids)));
}

#[test]
fn mix_entries_are_checked() {
    let bad = |sets: &[&str], key: &str, what: &str| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let e = scenario::load(&shipped("partition.toml"), None, &sets)
            .err()
            .unwrap_or_else(|| panic!("{sets:?} should be refused"));
        let e = e.to_string();
        assert!(e.contains(key) && e.contains(what), "{e}");
    };
    bad(
        &["sds.mix.0.implementation=sdsim"],
        "sds.mix.0",
        "exactly one of fraction, class, ids",
    );
    bad(
        &["sds.mix.0.implementation=sdsim", "sds.mix.0.fraction=1.5"],
        "sds.mix.0.fraction",
        "(0, 1]",
    );
    bad(
        &[
            "sds.mix.0.implementation=sdsim",
            "sds.mix.0.class=\"phones\"",
        ],
        "sds.mix.0.class",
        "names no [[node_classes]]",
    );
    bad(
        &["sds.mix.0.implementation=sdsim", "sds.mix.0.ids=[999]"],
        "sds.mix.0.ids",
        "out of range",
    );
    bad(
        &["sds.mix.0.implementation=external", "sds.mix.0.ids=[1]"],
        "sds.external.command",
        "required",
    );
}

/// A failed run: its error message (after `error: `) and exit code, and the output
/// directory it was given must not exist.
fn failed_run(overrides: &[String]) -> (String, i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let mut args = vec![
        "run".to_string(),
        shipped("partition.toml").display().to_string(),
        "--quiet".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    for s in ["participants=6", "duration=2m", "drain=5m"] {
        args.extend(["--set".into(), s.into()]);
    }
    for s in overrides {
        args.extend(["--set".into(), s.clone()]);
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(&args)
        .output()
        .expect("run sim");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        !out.exists(),
        "an output directory was left behind: {stderr}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read tempdir")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".sdsim-lock"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    (stderr, o.status.code().unwrap_or(-1))
}

fn assert_failure(overrides: &[String], wanted: &[&str]) -> String {
    let (stderr, code) = failed_run(overrides);
    assert_eq!(code, 1, "exit code; stderr:\n{stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{w:?} not in the message:\n{stderr}");
    }
    assert_eq!(
        stderr.matches("error: ").count(),
        1,
        "one error message:\n{stderr}"
    );
    stderr
}

#[test]
fn a_program_that_does_not_exist_stops_the_run() {
    assert_failure(
        &via(&["/nonexistent/sdsim-adapter-xyz"], "5s"),
        &[
            "participant 0",
            "t = 0.000000 s",
            "hello",
            "cannot start the adapter `/nonexistent/sdsim-adapter-xyz`",
            "No such file",
        ],
    );
}

#[test]
fn an_adapter_that_exits_mid_run_is_named_with_its_stderr() {
    // Request 40 is well into the workload (creates and the first drains come first).
    assert_failure(
        &via(&[ADAPTER, "--fault", "exit-at=40"], "30s"),
        &[
            "error: ",
            "participant ",
            "at simulated t = ",
            "exited with status 3",
            "its last stderr lines:",
            "| sdsim-adapter: fault exit-at=40: exiting with status 3",
        ],
    );
}

#[test]
fn an_adapter_that_dies_before_the_handshake_is_reported() {
    assert_failure(
        &via(
            &["sh", "-c", "echo 'boom: missing runtime' >&2; exit 7"],
            "5s",
        ),
        &["hello", "exited with status 7", "| boom: missing runtime"],
    );
}

#[test]
fn an_adapter_that_hangs_is_stopped_at_the_call_limit() {
    let started = std::time::Instant::now();
    let stderr = assert_failure(
        &via(&[ADAPTER, "--fault", "hang-at=30"], "1s"),
        &[
            "no answer within 1s",
            "sds.external.timeout",
            "fault hang-at=30",
        ],
    );
    // Not a timing assertion on the run: only that the run did not wait for the hang.
    assert!(started.elapsed().as_secs() < 60, "{stderr}");
}

#[test]
fn an_adapter_that_writes_garbage_is_reported() {
    assert_failure(
        &via(&[ADAPTER, "--fault", "garble-at=25"], "30s"),
        &["not a frame", "did the program write text to stdout?"],
    );
    assert_failure(
        &via(&["sh", "-c", "echo hello from a shell; sleep 30"], "30s"),
        &["hello", "not a frame"],
    );
}

#[test]
fn an_adapter_of_another_protocol_version_is_refused() {
    assert_failure(
        &via(&[ADAPTER, "--fault", "version=2"], "30s"),
        &[
            "hello",
            "it speaks adapter protocol version 2, this sdsim speaks version 1",
        ],
    );
}

#[test]
fn an_adapter_refusing_a_request_stops_the_run_with_its_reason() {
    assert_failure(
        &via(&[ADAPTER, "--fault", "refuse-at=33"], "30s"),
        &["the adapter refused: fault refuse-at=33: refusing this request"],
    );
}

/// The pid in a failure message (`(pid N)`).
fn pid_in(message: &str) -> u32 {
    let at = message.find("(pid ").expect("a pid in the message") + 5;
    let digits: String = message[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("pid")
}

#[test]
fn failed_adapters_are_reaped() {
    for fault in ["hang-at=20", "garble-at=20", "exit-at=20"] {
        let stderr = assert_failure(&via(&[ADAPTER, "--fault", fault], "1s"), &[fault]);
        let pid = pid_in(&stderr);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "{fault}: adapter {pid} still exists after the run"
        );
    }
}

/// The direct children of process `pid` (Linux `/proc/PID/task/*/children`).
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
                out.extend(s.split_whitespace().filter_map(|w| w.parse::<u32>().ok()));
            }
        }
    }
    out
}

#[test]
fn an_adapter_dies_with_a_killed_simulator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = vec![
        "run".to_string(),
        shipped("partition.toml").display().to_string(),
        "--quiet".into(),
        "--out".into(),
        dir.path().join("out").display().to_string(),
    ];
    for s in via(&[ADAPTER, "--fault", "hang-at=20"], "60s") {
        args.extend(["--set".into(), s]);
    }
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(&args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn sim");
    let t0 = std::time::Instant::now();
    let adapter = loop {
        if let Some(&a) = children_of(sim.id()).first() {
            break a;
        }
        assert!(t0.elapsed().as_secs() < 30, "no adapter started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // SIGKILL: no destructor runs; only PR_SET_PDEATHSIG can end the adapter.
    sim.kill().expect("kill sim");
    sim.wait().expect("reap sim");
    let t1 = std::time::Instant::now();
    while Path::new(&format!("/proc/{adapter}")).exists() {
        // A zombie until init reaps it: check its state.
        let stat = std::fs::read_to_string(format!("/proc/{adapter}/stat")).unwrap_or_default();
        if stat.contains(") Z ") {
            break;
        }
        assert!(
            t1.elapsed().as_secs() < 20,
            "adapter {adapter} survived the simulator"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn scenario_keys_are_checked_before_running() {
    let bad = |sets: &[&str], key: &str| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let e = scenario::load(&shipped("partition.toml"), None, &sets)
            .err()
            .unwrap_or_else(|| panic!("{sets:?} should be refused"));
        assert!(e.to_string().contains(key), "{e}");
    };
    bad(&["sds.implementation=external"], "sds.external.command");
    bad(&["sds.external.command=[\"x\"]"], "sds.external.command");
    bad(
        &[
            "sds.implementation=external",
            "sds.external.command=[\"x\"]",
            "sds.external.timeout=0s",
        ],
        "sds.external.timeout",
    );
    bad(&["sds.implementation=nim"], "sds.implementation");
    bad(
        &["protocol=none", "sds.implementation=js-waku-0.0.8"],
        "sds.implementation",
    );
}
