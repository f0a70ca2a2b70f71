//! Scenario-level tests of the link model: neutral link tables leave a run's results
//! unchanged, uplink and downlink serialization show in delivery latency, and a run with
//! every link feature on is deterministic.

mod common;

use common::{load, run, run_toml};

fn results(r: &sdsim::report::Report) -> serde_json::Value {
    serde_json::json!({
        "run": serde_json::to_value(&r.run).unwrap(),
        "summary": serde_json::to_value(&r.summary).unwrap(),
        "delivery_over_time": serde_json::to_value(&r.delivery_over_time).unwrap(),
    })
}

#[test]
fn neutral_link_tables_leave_results_unchanged() {
    let plain = run(&load("partition-small.toml", None, &[]));
    let neutral = run(&load(
        "partition-small.toml",
        None,
        &[
            "node_classes.0={ name = \"any\", fraction = 0.5 }",
            "network.gilbert_elliott={ p = 0.0, r = 1.0 }",
            "network.links.0={ from = 0, to = 1 }",
            "network.degradations.0={ start = \"10s\", end = \"20s\" }",
        ],
    ));
    assert_ne!(plain.config_hash, neutral.config_hash);
    assert_eq!(results(&plain), results(&neutral));
}

fn one_publication(classes: &str) -> sdsim::report::Report {
    let text = format!(
        "participants = 3\nduration = \"10s\"\nprotocol = \"none\"\n\
         [workload]\nrate_per_s = 0.0\npayload_bytes = 100000\n\
         [[workload.publish]]\nat = \"1s\"\nsender = 0\n\
         [network.latency]\ndistribution = {{ kind = \"constant\", value = \"10ms\" }}\n{classes}"
    );
    run_toml(&text).1
}

#[test]
fn uplink_serialization_delays_each_copy_in_turn() {
    // 8 Mbit/s = 1 byte/µs: ~100 ms per copy of ~100 kB, the second copy waits for the first.
    let r = one_publication("[[node_classes]]\nname = \"slow\"\nids = [0]\nuplink_bps = 8000000\n");
    let l = &r.summary.latency_ms;
    assert_eq!(l.count, 2);
    assert!((210.0..212.0).contains(&l.max), "max {}", l.max);
    assert!((110.0..111.0).contains(&l.p50), "p50 {}", l.p50);
}

#[test]
fn downlink_serialization_delays_hand_over() {
    let r = one_publication(
        "[[node_classes]]\nname = \"slow\"\nids = [1, 2]\ndownlink_bps = 8000000\n",
    );
    let l = &r.summary.latency_ms;
    assert_eq!(l.count, 2);
    assert!(
        (110.0..111.0).contains(&l.p50) && (110.0..111.0).contains(&l.max),
        "{l:?}"
    );
    let plain = one_publication("");
    assert!((10.0..10.1).contains(&plain.summary.latency_ms.max));
}

#[test]
fn all_link_features_are_deterministic_and_sds_recovers() {
    let overrides = [
        "node_classes.0={ name = \"server\", fraction = 0.1, uplink_bps = 1000000000, downlink_bps = 1000000000 }",
        "node_classes.1={ name = \"home\", fraction = 0.5, uplink_bps = 20000000, downlink_bps = 100000000, extra_latency = \"10ms\" }",
        "node_classes.2={ name = \"mobile\", fraction = 0.2, uplink_bps = 5000000, downlink_bps = 20000000, extra_latency = \"60ms\", loss = 0.01 }",
        "network.gilbert_elliott={ p = 0.01, r = 0.3 }",
        "network.degradations.0={ start = \"100s\", end = \"120s\", extra_latency = \"200ms\", loss = 0.2 }",
        "network.links.0={ from = 0, to = 1, extra_latency = \"50ms\", loss = 0.1 }",
        "partitions.1={ start = \"40s\", heal = \"60s\", isolate = [5], direction = \"one-way\" }",
    ];
    let a = run(&load("partition-small.toml", None, &overrides));
    let b = run(&load("partition-small.toml", None, &overrides));
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert!(a.summary.copies_lost > 0);
    assert_eq!(a.summary.duplicates_delivered, 0);
    assert_eq!(a.summary.causal_violations, 0);
    assert_eq!(
        a.summary.delivery_ratio,
        1.0,
        "{}",
        common::replay("partition-small.toml", &a)
    );
}
