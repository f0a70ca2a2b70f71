//! The CLI contract: a good run writes its whole report directory; bad input exits 2 with a
//! message naming the file, the key and what is wrong, and leaves no output behind.

mod common;

use common::sim;

use std::path::Path;

const GOOD: &str = r#"
participants = 4
duration = "20s"
drain = "5m"
[workload]
rate_per_s = 1.0
payload_bytes = 32
[network.latency]
distribution = { kind = "constant", value = "20ms" }
"#;

/// Writes `text` as `<dir>/bad.toml`, runs `sim run` and `sim validate` on it, and checks
/// exit code 2, that stderr names the file and contains every `needles`, and that no
/// output directory was created.
fn assert_rejected(text: &str, needles: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("bad.toml"), text).expect("write");
    for cmd in [&["run", "bad.toml"][..], &["validate", "bad.toml"][..]] {
        let out = sim(cmd, tmp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: stderr: {err}");
        assert!(err.contains("bad.toml"), "no file name in: {err}");
        for n in needles {
            assert!(err.contains(n), "{n:?} missing from: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert!(!tmp.path().join("reports").exists(), "output left behind");
    }
}

#[test]
fn run_writes_report_plots_and_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("good.toml"), GOOD).expect("write");
    let out = sim(&["run", "good.toml", "--seed", "3"], tmp.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(stdout.contains("delivery ratio"), "{stdout}");
    assert!(stderr.contains("seed 3"), "seed not printed: {stderr}");
    let dir = tmp.path().join("reports/runs/good-seed3");
    for f in [
        "report.json",
        "perf.json",
        "messages.csv",
        "nodes.csv",
        "summary.txt",
        "latency_cdf.png",
        "latency_cdf.svg",
        "delivery_over_time.png",
        "delivery_over_time.svg",
        "bytes_by_kind.png",
        "bytes_by_kind.svg",
        "bandwidth_per_participant.png",
        "bandwidth_per_participant.svg",
        "repair_per_gap.png",
        "repair_per_gap.svg",
        "report.html",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("read"))
            .expect("json");
    for key in [
        "schema_version",
        "scenario",
        "seed",
        "config_hash",
        "protocol",
        "participants",
    ] {
        assert!(report.get(key).is_some(), "report.json lacks {key}");
    }
    let s = &report["summary"];
    for key in [
        "messages_published",
        "delivery_ratio",
        "delivery_ratio_workload_end",
        "duplicates_delivered",
        "causal_violations",
        "bytes_sent",
        "bytes_by_kind",
        "acknowledged",
        "acknowledged_undelivered",
    ] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    for p in ["p50", "p95", "p99", "max"] {
        assert!(s["latency_ms"].get(p).is_some(), "latency_ms lacks {p}");
    }
    assert_eq!(report["seed"], 3);
    // no wall-clock figure in report.json; they live in perf.json
    let text = std::fs::read_to_string(dir.join("report.json")).expect("read");
    assert!(!text.contains("wall"));
    let perf = std::fs::read_to_string(dir.join("perf.json")).expect("read");
    assert!(perf.contains("wall_time_s") && perf.contains("events_per_s"));
    // messages.csv: header + one row per message
    let rows = std::fs::read_to_string(dir.join("messages.csv")).expect("read");
    assert_eq!(
        rows.lines().count() as u64 - 1,
        s["messages_published"].as_u64().expect("count")
    );
    let nodes = std::fs::read_to_string(dir.join("nodes.csv")).expect("read");
    assert_eq!(nodes.lines().count(), 5);
    // no temporary directory left next to the output
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("reports/runs"))
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn validate_accepts_shipped_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = sim(&["validate", "scenarios/partition.toml"], root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sim(
        &[
            "validate",
            "scenarios/partition.toml",
            "--set",
            "protocol=none",
        ],
        root,
    );
    assert!(out.status.success());
}

#[test]
fn unknown_key() {
    assert_rejected(&format!("participantz = 3\n{GOOD}"), &["participantz"]);
}

#[test]
fn wrong_type() {
    assert_rejected(
        &GOOD.replace("participants = 4", "participants = \"four\""),
        &["participants"],
    );
}

#[test]
fn negative_duration() {
    assert_rejected(
        &GOOD.replace("duration = \"20s\"", "duration = \"-20s\""),
        &["duration", "negative"],
    );
}

#[test]
fn unparsable_duration() {
    assert_rejected(
        &GOOD.replace("duration = \"20s\"", "duration = \"twenty\""),
        &["duration"],
    );
}

#[test]
fn zero_participants() {
    assert_rejected(
        &GOOD.replace("participants = 4", "participants = 0"),
        &["participants"],
    );
}

#[test]
fn partition_group_out_of_range() {
    assert_rejected(
        &format!("{GOOD}\n[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nids = [[0, 1], [9]]\n"),
        &["partitions", "9"],
    );
}

#[test]
fn missing_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = sim(&["run", "nope.toml"], tmp.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("nope.toml"), "{err}");
    assert!(!tmp.path().join("reports").exists());
}

#[test]
fn bad_override() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("good.toml"), GOOD).expect("write");
    let out = sim(
        &["run", "good.toml", "--set", "network.loss=1.5"],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("network.loss"), "{err}");
    assert!(!tmp.path().join("reports").exists());
}

#[test]
fn usage_error_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = sim(&["run"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn refuses_to_replace_a_directory_that_is_not_a_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("good.toml"), GOOD).expect("write");
    std::fs::create_dir(tmp.path().join("precious")).expect("mkdir");
    std::fs::write(tmp.path().join("precious/notes.txt"), "keep me").expect("write");
    let out = sim(&["run", "good.toml", "--out", "precious"], tmp.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("precious"), "{err}");
    assert!(tmp.path().join("precious/notes.txt").is_file());
    // a previous run directory is replaced
    let out = sim(&["run", "good.toml", "--out", "run1"], tmp.path());
    assert!(out.status.success());
    let out = sim(
        &["run", "good.toml", "--out", "run1", "--seed", "9"],
        tmp.path(),
    );
    assert!(out.status.success());
    let report = std::fs::read_to_string(tmp.path().join("run1/report.json")).expect("read");
    assert!(report.contains("\"seed\": 9"));
}

#[test]
fn scripted_publication_out_of_range() {
    assert_rejected(
        &format!("{GOOD}\n[[workload.publish]]\nat = \"1s\"\nsender = 9\n"),
        &["workload.publish.0.sender", "9"],
    );
    assert_rejected(
        &format!("{GOOD}\n[[workload.publish]]\nat = \"30s\"\nsender = 1\n"),
        &["workload.publish.0.at"],
    );
    assert_rejected(
        &GOOD.replace("rate_per_s = 1.0", "rate_per_s = 0"),
        &["workload.rate_per_s", "publish nothing"],
    );
}

/// `messages.csv` names a message by the same 64-hex id under `sds` and `none` (the `none`
/// baseline uses the core's id rule), so two runs of one scenario join on `message_id`.
#[test]
fn messages_csv_ids_are_one_scheme_for_sds_and_none() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("good.toml"), GOOD).expect("write");
    let ids = |protocol: &str| -> Vec<String> {
        let set = format!("protocol={protocol}");
        let out = sim(
            &[
                "run",
                "good.toml",
                "--quiet",
                "--out",
                protocol,
                "--set",
                &set,
            ],
            tmp.path(),
        );
        assert!(out.status.success(), "{out:?}");
        let csv = std::fs::read_to_string(tmp.path().join(protocol).join("messages.csv"))
            .expect("messages.csv");
        let mut lines = csv.lines();
        assert!(lines.next().expect("header").starts_with("message_id,"));
        lines
            .map(|l| l.split(',').next().unwrap_or("").to_string())
            .collect()
    };
    let (sds, none) = (ids("sds"), ids("none"));
    assert!(!sds.is_empty());
    for id in sds.iter().chain(&none) {
        assert!(
            id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "not a 64-hex id: {id}"
        );
    }
    assert_eq!(sds, none, "the same publications get the same ids");
}
