//! Unit tests of `compare.rs`.

use super::*;
use serde_json::json;

fn report(ratio: f64, p99: f64, bytes: u64) -> Value {
    json!({
        "config_hash": "abc",
        "scenario": "x",
        "summary": {
            "delivery_ratio": ratio,
            "latency_ms": { "count": 10, "p50": 50.0, "p99": p99 },
            "bytes_sent": bytes,
            "bytes_by_kind": { "sync": bytes / 2 },
            "copies_lost": 3,
            "duplicates_delivered": 0,
        }
    })
}

fn worst(b: &Value, c: &Value) -> Vec<String> {
    compare(b, c, &Policy::builtin())
        .regressions()
        .map(|r| r.metric.clone())
        .collect()
}

#[test]
fn glob_matches() {
    assert!(glob("*latency_ms.*", "ack_latency_ms.p99"));
    assert!(glob("*latency_ms.*", "latency_ms.p99"));
    assert!(!glob("*latency_ms.*", "latency_ms"));
    assert!(glob(
        "repair.*_per_requested_message",
        "repair.requests_per_requested_message"
    ));
    assert!(glob("copies_*", "copies_lost"));
    assert!(!glob("copies_*", "churn.copies_to_offline"));
    assert!(glob("a*b*c", "aXbYbZc"));
    assert!(glob("*", ""));
    assert!(!glob("a", "ab"));
}

#[test]
fn regressions_and_non_regressions() {
    let base = report(1.0, 100.0, 1_000_000);
    assert!(worst(&base, &base).is_empty());
    assert_eq!(
        worst(&base, &report(0.99, 100.0, 1_000_000)),
        ["delivery_ratio"]
    );
    assert_eq!(
        worst(&base, &report(1.0, 110.0, 1_000_000)),
        ["latency_ms.p99"]
    );
    assert_eq!(
        worst(&base, &report(1.0, 100.0, 1_100_000)),
        ["bytes_by_kind.sync", "bytes_sent"]
    );
    // Within tolerance: ratio -0.0005, p99 +4 %, bytes +4 %.
    let c = compare(&base, &report(0.9995, 104.0, 1_040_000), &Policy::builtin());
    assert_eq!(c.regressions().count(), 0, "{}", c.table(false));
    assert_eq!(c.count(Verdict::Within), 4);
    // Improvements.
    let c = compare(&report(0.9, 200.0, 2_000_000), &base, &Policy::builtin());
    assert_eq!(c.regressions().count(), 0);
    assert_eq!(c.count(Verdict::Better), 4);
    assert!(!c.config_differs);
}

#[test]
fn info_added_removed_are_not_regressions() {
    let base = report(1.0, 100.0, 1000);
    let mut cand = base.clone();
    cand["summary"]["copies_lost"] = json!(300);
    cand["summary"]["store"] = json!({ "queries": 5, "query_latency_ms": { "p99": 9.0 } });
    cand["summary"]["latency_ms"]
        .as_object_mut()
        .unwrap()
        .remove("p50");
    let c = compare(&base, &cand, &Policy::builtin());
    assert_eq!(c.regressions().count(), 0, "{}", c.table(false));
    let v = |m: &str| c.rows.iter().find(|r| r.metric == m).unwrap().verdict;
    assert_eq!(v("copies_lost"), Verdict::Changed);
    assert_eq!(v("store.queries"), Verdict::Added);
    assert_eq!(v("latency_ms.p50"), Verdict::Removed);
    // The new latency is judged by inference once both sides have it.
    let mut cand2 = cand.clone();
    cand2["summary"]["store"]["query_latency_ms"]["p99"] = json!(90.0);
    assert_eq!(worst(&cand, &cand2), ["store.query_latency_ms.p99"]);
}

#[test]
fn inferred_directions() {
    let d = |m: &str| Policy::builtin_rule(m).direction;
    assert_eq!(d("delivery_ratio"), Higher);
    assert_eq!(d("store.delivery_ratio_via_store"), Higher);
    assert_eq!(d("latency_ms.p99"), Lower);
    assert_eq!(d("latency_ms.count"), Info);
    assert_eq!(d("bytes_by_kind.store"), Lower);
    assert_eq!(d("uplink_bps_max"), Lower);
    assert_eq!(d("repair.irretrievably_lost"), Lower);
    assert_eq!(d("repair.messages_requested"), Info);
    assert_eq!(d("store.queries_failed"), Lower);
    assert_eq!(d("store.messages_lost"), Lower);
    assert_eq!(d("copies_lost"), Info);
    assert_eq!(d("messages_published"), Info);
    assert_eq!(d("churn.crashes"), Info);
}

#[test]
fn config_hash_difference_is_a_warning() {
    let base = report(1.0, 100.0, 1000);
    let mut cand = base.clone();
    cand["config_hash"] = json!("def");
    let c = compare(&base, &cand, &Policy::builtin());
    assert!(c.config_differs);
    assert!(
        c.warnings[0].contains("config_hash differs"),
        "{:?}",
        c.warnings
    );
    assert_eq!(c.regressions().count(), 0);
}

#[test]
fn tolerance_file_overrides() {
    let p = Policy::from_toml(
        r#"
        [metrics]
        "latency_ms.p99" = { relative = 0.5 }
        "bytes*" = { relative = 0.0, absolute = 10.0 }
        "bytes_by_kind.*" = { relative = 1.0 }
        "copies_lost" = { direction = "lower" }
        "#,
        Path::new("tol.toml"),
    )
    .unwrap();
    let j = p.judge("latency_ms.p99");
    assert_eq!(j.tolerance.relative, 0.5);
    assert_eq!(
        j.tolerance.absolute, 1.0,
        "unset field keeps the built-in value"
    );
    assert_eq!(p.judge("bytes_sent").tolerance.absolute, 10.0);
    // The longer pattern wins.
    assert_eq!(p.judge("bytes_by_kind.sync").tolerance.relative, 1.0);
    assert_eq!(p.judge("copies_lost").direction, Lower);
    let base = report(1.0, 100.0, 1000);
    let c = compare(&base, &report(1.0, 140.0, 1000), &p);
    assert_eq!(c.regressions().count(), 0);
    let c = compare(&base, &report(1.0, 100.0, 1011), &p);
    assert_eq!(
        c.regressions().map(|r| &r.metric).collect::<Vec<_>>(),
        ["bytes_sent"]
    );
}

#[test]
fn bad_tolerance_files_name_the_file() {
    for text in [
        "[metrics]\nx = { relative = -1.0 }",
        "[metrics]\nx = { relativ = 1.0 }",
        "[metric]\n",
        "[metrics]\nx = { direction = \"up\" }",
        "not toml",
    ] {
        let e = Policy::from_toml(text, Path::new("tol.toml")).unwrap_err();
        assert!(e.to_string().starts_with("tol.toml: "), "{e}");
    }
}

#[test]
fn every_rule_is_documented() {
    let readme = include_str!("../../../reports/README.md");
    for r in DEFAULT_RULES {
        assert!(
            readme.contains(&format!("`{}`", r.pattern)),
            "rule {} missing from reports/README.md",
            r.pattern
        );
    }
    for p in OPTIONAL_SECTIONS {
        assert!(
            readme.contains(&format!("`{p}`")),
            "{p} missing from reports/README.md"
        );
    }
    assert!(readme.contains("`optional`"));
}

#[test]
fn table_and_numbers() {
    let base = report(1.0, 100.0, 1000);
    let c = compare(&base, &report(0.98, 100.5, 1000), &Policy::builtin());
    let t = c.table(true);
    assert!(t.contains("delivery_ratio"), "{t}");
    assert!(t.contains("-0.02 (-2%)"), "{t}");
    assert!(t.contains("WORSE"), "{t}");
    assert!(!t.contains("bytes_sent"), "same rows hidden: {t}");
    assert!(c.table(false).contains("bytes_sent"));
    assert!(c.verdict_line().contains("regressions: delivery_ratio"));
    assert_eq!(fmt_num(0.1 + 0.2), "0.3");
    assert_eq!(fmt_num(5.0), "5");
    assert_eq!(describe_change(0.0, 3.0), "+3");
}

fn shape_err(b: &Value, c: &Value, p: &Policy) -> Option<String> {
    super::shape::check(b, Path::new("b.json"), c, Path::new("c.json"), p)
        .err()
        .map(|e| e.to_string())
}

#[test]
fn shape_rules() {
    let base = report(1.0, 100.0, 1000);
    let p = Policy::builtin();
    assert_eq!(shape_err(&base, &base, &p), None);
    // Non-numbers on both sides are not metrics.
    let mut b = base.clone();
    b["summary"]["store"] = json!({ "strategy": "both", "nodes": [{ "x": 1 }] });
    let mut c = b.clone();
    c["summary"]["store"]["strategy"] = json!("store");
    assert_eq!(shape_err(&b, &c, &p), None);
    // A dotted key is one key, not a path.
    b["summary"]["a.b"] = json!(1);
    c["summary"]["a"] = json!({ "b": 1 });
    let e = shape_err(&b, &c, &p).expect("a.b missing");
    assert!(
        e.starts_with("c.json: ") && e.contains("summary.a.b"),
        "{e}"
    );
    // Problems of the baseline are reported against the baseline first.
    let mut c = base.clone();
    c["summary"]["copies_lost"] = json!([3]);
    let mut b = base.clone();
    b["summary"]["delivery_ratio"] = json!({});
    let e = shape_err(&b, &c, &p).expect("both bad");
    assert!(
        e.starts_with("b.json: not comparable: summary.delivery_ratio is an empty object"),
        "{e}"
    );
    let e = shape_err(&base, &c, &p).expect("candidate bad");
    assert!(e.contains("summary.copies_lost is an array"), "{e}");
    // A tolerance file's `optional` lets a metric be absent.
    let p = Policy::from_toml(
        "[metrics]\n\"copies_lost\" = { optional = true }\n",
        Path::new("t.toml"),
    )
    .unwrap();
    assert!(p.judge("copies_lost").optional && !p.judge("bytes_sent").optional);
    let mut c = base.clone();
    c["summary"].as_object_mut().unwrap().remove("copies_lost");
    assert_eq!(shape_err(&base, &c, &p), None);
    assert!(shape_err(&base, &c, &Policy::builtin()).is_some());
}
