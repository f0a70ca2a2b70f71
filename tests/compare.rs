//! `sim compare` on crafted reports: exit 1 when the candidate's delivery ratio drops or its
//! p99 latency or bytes rise beyond tolerance, 0 otherwise, 2 on bad input (naming the file).

mod common;

use common::sim;

use std::path::Path;

use serde_json::{json, Value};

/// A report with the fields `sim compare` reads (a real one has many more).
fn report(ratio: f64, p99: f64, bytes: u64) -> Value {
    json!({
        "schema_version": 1,
        "scenario": "crafted",
        "seed": 1,
        "config_hash": "0123",
        "protocol": "sds",
        "participants": 10,
        "summary": {
            "messages_published": 100,
            "delivery_ratio": ratio,
            "delivery_ratio_workload_end": ratio,
            "latency_ms": { "count": 900, "p50": 80.0, "p95": p99 * 0.8, "p99": p99, "max": p99 * 2.0 },
            "duplicates_delivered": 0,
            "causal_violations": 0,
            "bytes_sent": bytes,
            "bytes_by_kind": { "content": bytes / 4, "sync": bytes - bytes / 4 },
            "copies_lost": 17
        }
    })
}

/// Writes the two reports and runs `sim compare` on them (plus `extra` arguments).
fn compare(base: &Value, cand: &Value, extra: &[&str]) -> (Option<i32>, String, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("base.json"), base.to_string()).expect("write");
    std::fs::write(tmp.path().join("cand.json"), cand.to_string()).expect("write");
    let mut args = vec!["compare", "base.json", "cand.json"];
    args.extend_from_slice(extra);
    let out = sim(&args, tmp.path());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verdict_of<'a>(table: &'a str, metric: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(metric))
        .unwrap_or_else(|| panic!("{metric} not in table:\n{table}"))
}

#[test]
fn delivery_ratio_drop_is_a_regression() {
    let (code, out, _) = compare(
        &report(1.0, 500.0, 1_000_000),
        &report(0.99, 500.0, 1_000_000),
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        verdict_of(&out, "delivery_ratio").ends_with("WORSE"),
        "{out}"
    );
    assert!(
        out.contains("regressions: delivery_ratio, delivery_ratio_workload_end"),
        "{out}"
    );
}

#[test]
fn p99_rise_beyond_tolerance_is_a_regression() {
    // +10 % against the default 5 % (or 1 ms).
    let (code, out, _) = compare(
        &report(1.0, 500.0, 1_000_000),
        &report(1.0, 550.0, 1_000_000),
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        verdict_of(&out, "latency_ms.p99").ends_with("WORSE"),
        "{out}"
    );
}

#[test]
fn bytes_rise_is_a_regression() {
    let (code, out, _) = compare(
        &report(1.0, 500.0, 1_000_000),
        &report(1.0, 500.0, 1_200_000),
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(verdict_of(&out, "bytes_sent").ends_with("WORSE"), "{out}");
}

#[test]
fn within_tolerance_passes() {
    // Ratio -0.0005 (tolerance 0.001), p99 +4 %, bytes +3 % (tolerance 5 %).
    let (code, out, err) = compare(
        &report(1.0, 500.0, 1_000_000),
        &report(0.9995, 520.0, 1_030_000),
        &[],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        verdict_of(&out, "latency_ms.p99").ends_with("ok (within tolerance)"),
        "{out}"
    );
    assert!(out.contains("0 worse"), "{out}");
}

#[test]
fn improvement_passes() {
    let (code, out, _) = compare(
        &report(0.95, 900.0, 2_000_000),
        &report(1.0, 500.0, 1_000_000),
        &[],
    );
    assert_eq!(code, Some(0), "{out}");
    for m in ["delivery_ratio", "latency_ms.p99", "bytes_sent"] {
        assert!(verdict_of(&out, m).ends_with("better"), "{m}: {out}");
    }
}

#[test]
fn info_metrics_and_new_fields_never_fail() {
    let base = report(1.0, 500.0, 1_000_000);
    let mut cand = base.clone();
    cand["summary"]["copies_lost"] = json!(1_000);
    cand["summary"]["store"] = json!({ "queries": 3, "bytes_sent": 99 });
    let (code, out, _) = compare(&base, &cand, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        verdict_of(&out, "copies_lost").ends_with("changed (info)"),
        "{out}"
    );
    assert!(
        verdict_of(&out, "store.bytes_sent").ends_with("added"),
        "{out}"
    );
}

#[test]
fn tolerance_file_overrides_defaults() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tol = tmp.path().join("tol.toml");
    std::fs::write(&tol, "[metrics]\n\"latency_ms.*\" = { relative = 0.25 }\n").expect("write");
    let tol = tol.to_str().expect("utf-8");
    let (code, out, _) = compare(
        &report(1.0, 500.0, 1_000_000),
        &report(1.0, 600.0, 1_000_000),
        &["--tolerances", tol],
    );
    assert_eq!(code, Some(0), "+20% p99 within a 25% tolerance: {out}");
    let (code, out, _) = compare(
        &report(1.0, 500.0, 1_000_000),
        &report(1.0, 650.0, 1_000_000),
        &["--tolerances", tol],
    );
    assert_eq!(code, Some(1), "+30% p99 beyond 25%: {out}");
}

#[test]
fn different_scenarios_warn_but_compare() {
    let base = report(1.0, 500.0, 1_000_000);
    let mut cand = base.clone();
    cand["config_hash"] = json!("4567");
    cand["protocol"] = json!("none");
    let (code, out, err) = compare(&base, &cand, &["--changed"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        err.contains("warning: config_hash differs (0123 vs 4567)"),
        "{err}"
    );
    assert!(err.contains("protocol differs: sds vs none"), "{err}");
    assert!(
        !out.contains("bytes_sent"),
        "--changed hides equal rows: {out}"
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = report(1.0, 500.0, 1_000_000).to_string();
    std::fs::write(tmp.path().join("good.json"), &good).expect("write");
    std::fs::write(tmp.path().join("broken.json"), "{\"summary\": {").expect("write");
    std::fs::write(tmp.path().join("nosummary.json"), "{\"seed\": 1}").expect("write");
    std::fs::write(
        tmp.path().join("tol.toml"),
        "[metrics]\nx = { relative = -1 }\n",
    )
    .expect("write");
    let cases: [(&[&str], &str); 5] = [
        (&["compare", "missing.json", "good.json"], "missing.json"),
        (
            &["compare", "good.json", "broken.json"],
            "broken.json: not valid JSON",
        ),
        (
            &["compare", "nosummary.json", "good.json"],
            "nosummary.json: not a report",
        ),
        (
            &[
                "compare",
                "good.json",
                "good.json",
                "--tolerances",
                "tol.toml",
            ],
            "tol.toml: metrics.\"x\".relative",
        ),
        (
            &[
                "compare",
                "good.json",
                "good.json",
                "--tolerances",
                "nope.toml",
            ],
            "nope.toml: cannot read",
        ),
    ];
    for (args, needle) in cases {
        let out = sim(args, tmp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_real_report_equals_itself() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/three-partition.toml");
    let out = sim(
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--quiet",
            "--out",
            "run",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sim(
        &["compare", "run/report.json", "run/report.json"],
        tmp.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("0 worse, 0 better, 0 within tolerance"),
        "{stdout}"
    );
    assert!(
        verdict_of(&stdout, "latency_ms.p99").ends_with("same"),
        "{stdout}"
    );
}

/// `sim compare` exits 2 naming `file` and every needle.
fn rejected(base: &Value, cand: &Value, extra: &[&str], needles: &[&str]) {
    let (code, out, err) = compare(base, cand, extra);
    assert_eq!(code, Some(2), "{out}{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_empty_summary_is_an_error() {
    // Was: exit 0 with "66 removed, 0 worse".
    let good = report(1.0, 500.0, 1_000_000);
    let mut empty = good.clone();
    empty["summary"] = json!({});
    let needle = "\"summary\" holds no metric";
    rejected(
        &good,
        &empty,
        &[],
        &["error: cand.json: not a report: ", needle],
    );
    rejected(
        &empty,
        &good,
        &[],
        &["error: base.json: not a report: ", needle],
    );
    let mut no_numbers = good.clone();
    no_numbers["summary"] = json!({ "latency_ms": {}, "store": { "strategy": "both" } });
    rejected(&good, &no_numbers, &[], &["cand.json", needle]);
}

#[test]
fn a_metric_that_is_not_a_number_is_an_error() {
    let good = report(1.0, 500.0, 1_000_000);
    let mut string = good.clone();
    string["summary"]["delivery_ratio"] = json!("1.0");
    rejected(
        &good,
        &string,
        &[],
        &["error: cand.json: not comparable: summary.delivery_ratio is the string \"1.0\" where base.json has a number"],
    );
    rejected(
        &string,
        &good,
        &[],
        &["error: base.json: not comparable: summary.delivery_ratio is the string \"1.0\" where cand.json has a number"],
    );
    let mut null = good.clone();
    null["summary"]["latency_ms"] = Value::Null;
    rejected(
        &good,
        &null,
        &[],
        &["cand.json: not comparable: summary.latency_ms is null where base.json has metrics under it"],
    );
    let mut inner_null = good.clone();
    inner_null["summary"]["latency_ms"]["p99"] = Value::Null;
    inner_null["summary"]["duplicates_delivered"] = json!(false);
    rejected(
        &good,
        &inner_null,
        &[],
        &[
            "summary.duplicates_delivered is the boolean false",
            "summary.latency_ms.p99 is null",
        ],
    );
    // An optional metric must still be a number when present.
    let tmp = tempfile::tempdir().expect("tempdir");
    let tol = tmp.path().join("tol.toml");
    std::fs::write(&tol, "[metrics]\n\"*\" = { optional = true }\n").expect("write");
    rejected(
        &good,
        &null,
        &["--tolerances", tol.to_str().expect("utf-8")],
        &["summary.latency_ms is null"],
    );
    // Escape sequences in a report are shown escaped.
    let mut evil = good.clone();
    evil["summary"]["delivery_ratio"] = json!("\u{1b}]0;owned\u{7}\u{1b}[2J");
    let (code, _, err) = compare(&good, &evil, &[]);
    assert_eq!(code, Some(2));
    assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{err}");
}

#[test]
fn a_missing_metric_is_an_error_unless_it_may_be_absent() {
    let good = report(1.0, 500.0, 1_000_000);
    let mut lacking = good.clone();
    let s = lacking["summary"].as_object_mut().expect("summary");
    s.remove("bytes_sent");
    s.remove("bytes_by_kind");
    rejected(
        &good,
        &lacking,
        &[],
        &["cand.json: not comparable: 3 metrics of base.json missing: summary.bytes_by_kind.content; summary.bytes_by_kind.sync; summary.bytes_sent", "optional = true"],
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let tol = tmp.path().join("tol.toml");
    std::fs::write(&tol, "[metrics]\n\"bytes*\" = { optional = true }\n").expect("write");
    let (code, out, err) = compare(
        &good,
        &lacking,
        &["--tolerances", tol.to_str().expect("utf-8")],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(verdict_of(&out, "bytes_sent").ends_with("removed"), "{out}");
    // Added in the candidate (a newer report version): shown, never an error.
    let (code, out, _) = compare(&lacking, &good, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(verdict_of(&out, "bytes_sent").ends_with("added"), "{out}");
}

#[test]
fn optional_sections_may_be_absent_only_between_configurations() {
    let mut churn = report(1.0, 500.0, 1_000_000);
    churn["summary"]["churn"] = json!({ "crashes": 3, "left": 0 });
    let plain = report(1.0, 500.0, 1_000_000);
    // Same configuration: the candidate lost a section it should have.
    rejected(
        &churn,
        &plain,
        &[],
        &["summary.churn.crashes", "summary.churn.left"],
    );
    // Two configurations (one with churn, one without): a normal comparison.
    let mut other = plain.clone();
    other["config_hash"] = json!("4567");
    let (code, out, err) = compare(&churn, &other, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        verdict_of(&out, "churn.crashes").ends_with("removed"),
        "{out}"
    );
}
