//! Issue 14: true answers from a minimal file (drain until settled by default, warnings for
//! settings known to lose messages, a plain word when a run stopped short), recovery times
//! after each fault, and the opt-in views into a run (`--deliveries`, `--timeseries`,
//! `--trace-message`), which never change `report.json`.

mod common;

use std::path::Path;

use common::{run_toml, sim};

/// Ten participants, a 2-minute workload with a partition from 30 s to 60 s.
const PARTITIONED: &str = r#"
participants = 10
duration = "2m"
[workload]
rate_per_s = 1.0
payload_bytes = 64
[network.latency]
distribution = { kind = "constant", value = "50ms" }
[sds]
causal_history = 10
bloom_capacity = 1000
bloom_error_rate = 0.01
[[partitions]]
start = "30s"
heal = "60s"
fractions = [0.5, 0.5]
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write scenario");
    p.to_string_lossy().into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

#[test]
fn a_minimal_file_drains_until_settled_and_reports_a_final_ratio() {
    let (_, r) = run_toml(
        "participants = 8\nduration = \"2m\"\n[network]\nloss = 0.05\n[sds]\ncausal_history = 10\n",
    );
    assert_eq!(r.run.stop_reason, "settled", "{:?}", r.run);
    assert!(r.run.drain_used_s > 0.0);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert!(r.run.warnings.is_empty(), "{:?}", r.run.warnings);
}

#[test]
fn a_run_stopped_at_its_drain_limit_says_so_and_risky_settings_are_named() {
    let (_, r) = run_toml(
        "participants = 8\nduration = \"2m\"\ndrain = \"0s\"\n[network]\nloss = 0.2\n[sds]\ncausal_history = 2\n",
    );
    assert_eq!(r.run.stop_reason, "drain-limit");
    let w = r.run.warnings.join("\n");
    assert!(w.contains("drain: \"0s\""), "{w}");
    assert!(
        w.contains("sds.causal_history: 2") && w.contains("Finding 1"),
        "{w}"
    );
    assert!(
        w.contains("stopped at the drain limit") && w.contains("expected deliveries missing"),
        "{w}"
    );
}

#[test]
fn sim_validate_warns_about_settings_known_to_lose_messages() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = write(tmp.path(), "risky.toml", "participants = 5\nduration = \"1m\"\ndrain = \"0s\"\n[network]\nloss = 0.05\n[sds]\ncausal_history = 2\n");
    let out = sim(&["validate", &f], tmp.path());
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning:") && err.contains("sds.causal_history"),
        "{err}"
    );
    assert!(err.contains("drain"), "{err}");
}

#[test]
fn recovery_after_a_partition_is_measured_from_its_heal() {
    let (_, r) = run_toml(PARTITIONED);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    let f = &r.faults[0];
    assert_eq!(
        (f.kind.as_str(), f.start_s, f.end_s),
        ("partition", 30.0, 60.0)
    );
    assert!(
        f.pairs_undelivered_at_end > 0,
        "the partition cut copies: {f:?}"
    );
    let (r99, r100) = (
        f.recovery_99_s.expect("recovers"),
        f.recovery_100_s.expect("recovers"),
    );
    assert!(0.0 < r99 && r99 <= r100, "{f:?}");
    // The last delivery of a message published before the heal is r100 after the heal.
    let rc = r.summary.recovery.as_ref().expect("summary.recovery");
    assert_eq!(
        (rc.faults_end_s, rc.recovery_100_s, rc.never_100),
        (60.0, Some(r100), 0)
    );
}

#[test]
fn recovery_never_happens_without_reliability() {
    let (_, r) = run_toml(&format!("protocol = \"none\"\n{PARTITIONED}"));
    let f = &r.faults[0];
    assert_eq!(f.recovery_100_s, None, "{f:?}");
    let rc = r.summary.recovery.as_ref().expect("summary.recovery");
    assert_eq!((rc.never_99, rc.never_100), (1, 1));
    let table = sdsim::report::summary_table(&r);
    assert!(
        table.contains("recovery after partition 30-60 s") && table.contains("never"),
        "{table}"
    );
}

#[test]
fn exports_match_the_report_and_do_not_change_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = write(tmp.path(), "p.toml", PARTITIONED);
    let plain = sim(&["run", &f, "--quiet", "--out", "plain"], tmp.path());
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let all = sim(
        &[
            "run",
            &f,
            "--quiet",
            "--out",
            "all",
            "--deliveries",
            "--timeseries",
        ],
        tmp.path(),
    );
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let (a, b) = (tmp.path().join("plain"), tmp.path().join("all"));
    assert_eq!(
        std::fs::read(a.join("report.json")).expect("plain"),
        std::fs::read(b.join("report.json")).expect("all"),
        "the exports must not change the run"
    );
    assert!(!a.join("deliveries.csv").exists() && !a.join("timeseries.csv").exists());
    let report = json(&b.join("report.json"));
    let s = &report["summary"];

    let mut rows = csv::Reader::from_path(b.join("deliveries.csv")).expect("deliveries.csv");
    let (mut total, mut delivered) = (0u64, 0u64);
    for row in rows.records() {
        let row = row.expect("row");
        total += 1;
        if !row[5].is_empty() {
            delivered += 1;
            assert!(
                ["content", "resend", "repair_response", "store"].contains(&&row[7]),
                "{row:?}"
            );
        }
    }
    assert_eq!(total, s["expected_deliveries"].as_u64().expect("n"));
    assert_eq!(delivered, s["delivered"].as_u64().expect("n"));

    let mut rows = csv::Reader::from_path(b.join("timeseries.csv")).expect("timeseries.csv");
    let (mut n, mut delivered, mut sent, mut last_t) = (0u64, 0u64, 0u64, 0f64);
    for row in rows.records() {
        let row = row.expect("row");
        n += 1;
        delivered += row[2].parse::<u64>().expect("delivered");
        sent += row[5].parse::<u64>().expect("bytes_sent");
        last_t = row[0].parse().expect("t_s");
    }
    assert_eq!(delivered, s["delivered"].as_u64().expect("n"));
    assert_eq!(sent, s["bytes_sent"].as_u64().expect("n"));
    assert_eq!(last_t, report["run"]["end_s"].as_f64().expect("end"));
    assert_eq!(n % 10, 0, "one row per participant per sample");
}

#[test]
fn trace_message_follows_one_message_from_publication_to_every_delivery() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{PARTITIONED}[[workload.publish]]\nat = \"40s\"\nsender = 0\nlabel = \"cut-off\"\n"
    );
    let f = write(tmp.path(), "p.toml", &text);
    let out = sim(
        &[
            "run",
            &f,
            "--quiet",
            "--out",
            "t",
            "--trace-message",
            "cut-off",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = csv::Reader::from_path(tmp.path().join("t/message_trace.csv")).expect("trace");
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    assert_eq!(&rows[0][1], "published");
    assert_eq!(&rows[0][2], "0");
    let count = |e: &str| rows.iter().filter(|r| &r[1] == e).count();
    assert_eq!(count("delivered"), 9, "every other participant delivers it");
    assert!(
        count("copy-cut") > 0,
        "published during the partition: {rows:?}"
    );
    let times: Vec<f64> = rows.iter().map(|r| r[0].parse().expect("t")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");

    // The same message by a prefix of its id from messages.csv.
    let mut msgs = csv::Reader::from_path(tmp.path().join("t/messages.csv")).expect("messages");
    let id = msgs
        .records()
        .map(|r| r.expect("row"))
        .find(|r| &r[1] == "cut-off")
        .expect("labelled message")[0]
        .to_owned();
    let out = sim(
        &[
            "run",
            &f,
            "--quiet",
            "--out",
            "t2",
            "--trace-message",
            &id[..10],
        ],
        tmp.path(),
    );
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(tmp.path().join("t/message_trace.csv")).expect("a"),
        std::fs::read(tmp.path().join("t2/message_trace.csv")).expect("b")
    );
}

#[test]
fn trace_message_refuses_what_cannot_be_a_message_before_simulating() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = write(tmp.path(), "p.toml", PARTITIONED);
    let out = sim(
        &["run", &f, "--out", "x", "--trace-message", "no such"],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--trace-message") && err.contains("messages.csv"),
        "{err}"
    );
    assert!(!tmp.path().join("x").exists(), "refused before simulating");
    // A well-formed id no message has: the run happens, the trace is refused by name.
    let out = sim(
        &[
            "run",
            &f,
            "--quiet",
            "--out",
            "y",
            "--trace-message",
            "ffffffffff",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no message of this run"));
    assert!(!tmp.path().join("y/message_trace.csv").exists());
}

/// A light client's message through LightPush (its one service node unreachable at first:
/// unanswered, timed out, retried, then accepted and published) and back to it by Filter.
const LIGHT: &str = r#"
participants = 4
duration = "120s"
drain = "30m"
[network]
dissemination = "relay"
mesh_degree = 3
[workload]
rate_per_s = 0
[[workload.publish]]
sender = 0
at = "10s"
label = "from-phone"
[light]
clients = 1
service_nodes = 1
[[light.service_offline]]
node = 0
start = "5s"
end = "40s"
mode = "unreachable"
"#;

#[test]
fn trace_message_follows_lightpush_requests_and_filter_pushes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = write(tmp.path(), "l.toml", LIGHT);
    for (out, trace) in [("plain", false), ("traced", true)] {
        let mut args = vec!["run", &f, "--quiet", "--out", out];
        if trace {
            args.extend(["--trace-message", "from-phone"]);
        }
        let o = sim(&args, tmp.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(
        std::fs::read(tmp.path().join("plain/report.json")).expect("plain"),
        std::fs::read(tmp.path().join("traced/report.json")).expect("traced"),
        "tracing changes nothing"
    );
    let mut rows =
        csv::Reader::from_path(tmp.path().join("traced/message_trace.csv")).expect("trace");
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    let text: Vec<String> = rows
        .iter()
        .map(|r| r.iter().collect::<Vec<_>>().join(","))
        .collect();
    let has =
        |event: &str, detail: &str| rows.iter().any(|r| &r[1] == event && r[5].contains(detail));
    assert!(has("copy-on-wire", "LightPush request, try 2"), "{text:#?}");
    assert!(has("lightpush-unanswered", "down or offline"), "{text:#?}");
    assert!(has("lightpush-timeout", "try 1"), "{text:#?}");
    assert!(has("lightpush-retry", "try 2 at"), "{text:#?}");
    assert!(
        has("lightpush-published", "into the relay mesh"),
        "{text:#?}"
    );
    assert!(has("lightpush-accepted", ""), "{text:#?}");
    assert!(
        has("copy-on-wire", "Filter push back to its publisher"),
        "{text:#?}"
    );
    assert!(has("propagated", "came back through Filter"), "{text:#?}");
    // Each line in the order it happened: the hand-over, then the first request copy.
    let at = |event: &str, detail: &str| {
        rows.iter()
            .position(|r| &r[1] == event && r[5].contains(detail))
            .unwrap_or_else(|| panic!("{event} {detail}: {text:#?}"))
    };
    assert!(
        at("sent", "") < at("handed-to-role", "LightPush")
            && at("handed-to-role", "LightPush") < at("copy-on-wire", "LightPush request, try 1"),
        "{text:#?}"
    );
    let delivered = rows.iter().filter(|r| &r[1] == "delivered").count();
    assert_eq!(delivered, 3, "every relay participant: {text:#?}");
    let times: Vec<f64> = rows.iter().map(|r| r[0].parse().expect("t")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
}
