//! Core knobs exposed as scenario keys (`sds.lost_timeout`, `sds.lost_policy`,
//! `sds.bloom_rollover`, `sds.sync.policy = "reliable-channel"`) reach the core and change
//! what a run does; the link-level report fields appear in `nodes.csv`.

mod common;

use common::{load_toml, run_toml};
use sdsim::driver::sds_config;

#[test]
fn new_keys_map_onto_the_core_config() {
    let loaded = load_toml(
        "participants = 3\nduration = \"10s\"\n[sds]\nlost_timeout = \"10m\"\nlost_policy = \"drop\"\n\
         bloom_rollover = \"rebuild\"\n[sds.sync]\npolicy = \"reliable-channel\"\ninterval = \"20s\"\n",
    );
    let c = sds_config(&loaded.scenario.sds, 3);
    assert_eq!(c.lost_timeout_ms, Some(600_000));
    assert_eq!(c.lost_policy, sdsim::sds::LostPolicy::Drop);
    assert_eq!(c.bloom_rollover, sdsim::sds::BloomRollover::Rebuild);
    assert_eq!(
        c.sync,
        sdsim::sds::SyncPolicy::ReliableChannel {
            interval_ms: 20_000
        }
    );
    // defaults: never time out, deliver, no roll-over; and they stay out of the resolved
    // config (so existing configurations keep their hash)
    let plain = load_toml("participants = 3\nduration = \"10s\"\n");
    let c = sds_config(&plain.scenario.sds, 3);
    assert_eq!(c.lost_timeout_ms, None);
    assert_eq!(c.lost_policy, sdsim::sds::LostPolicy::Deliver);
    assert_eq!(c.bloom_rollover, sdsim::sds::BloomRollover::None);
    let json = serde_json::to_string(&plain.scenario).expect("json");
    for key in ["lost_timeout", "lost_policy", "bloom_rollover"] {
        assert!(!json.contains(key), "{key} in {json}");
    }
}

/// 10 participants, 1% loss, causal history 10, 2-minute workload; `sync` is the policy.
fn lossy(sync: &str) -> String {
    format!(
        "participants = 10\nseed = 2\nduration = \"2m\"\ndrain = \"30m\"\n\
         [workload]\nrate_per_s = 1.0\npayload_bytes = 64\n\
         [network]\nloss = 0.01\n\
         [network.latency]\ndistribution = {{ kind = \"uniform\", min = \"20ms\", max = \"80ms\" }}\n\
         [sds]\ncausal_history = 10\nbloom_capacity = 1000\nbloom_error_rate = 0.01\n\
         [sds.sync]\npolicy = \"{sync}\"\n"
    )
}

#[test]
fn reliable_channel_sync_recovers_losses_with_its_own_schedule() {
    let (_, rc) = run_toml(&lossy("reliable-channel"));
    let (_, periodic) = run_toml(&lossy("periodic"));
    for r in [&rc, &periodic] {
        assert_eq!(r.summary.delivery_ratio, 1.0, "{:?}", r.summary);
        assert_eq!(r.summary.causal_violations, 0);
        assert_eq!(r.summary.duplicates_delivered, 0);
        assert!(r.summary.copies_lost > 0);
    }
    let syncs = |r: &sdsim::report::Report| r.summary.transmissions_by_kind["sync"];
    assert!(syncs(&rc) > 0);
    assert_ne!(syncs(&rc), syncs(&periodic));
}

/// Participant 0's copies are cut from 0.5 s to 1.5 s, so nobody gets `a` (published at
/// 1 s); `b` (2 s) names `a` in its causal history and reaches everyone; 0 leaves at 2.5 s,
/// so `a` can never be repaired. The others hold `b` until `lost_timeout` (10 s) passes.
fn unrepairable(policy: &str) -> String {
    common::scripted(
        4,
        &format!("lost_timeout = \"10s\"\nlost_policy = \"{policy}\""),
        r#"
[[partitions]]
start = "500ms"
heal = "1500ms"
isolate = [0]
direction = "one-way"
[[workload.publish]]
at = "1s"
sender = 0
label = "a"
[[workload.publish]]
at = "2s"
sender = 0
label = "b"
[churn]
mode = "leave"
[[churn.offline]]
ids = [0]
start = "2500ms"
"#,
    )
}

#[test]
fn lost_timeout_delivers_or_drops_what_waits_for_a_lost_dependency() {
    let (out, r) = run_toml(&unrepairable("deliver"));
    let rec = &out.recorder;
    let (a, b) = (rec.by_label("a").expect("a"), rec.by_label("b").expect("b"));
    for p in 1..4 {
        assert!(rec.delivery(a, p).is_none());
        let at = rec
            .delivery(b, p)
            .expect("b delivered once `a` is declared lost");
        assert!(
            at >= 12_000_000,
            "delivered at {at} µs, before the 10 s timeout"
        );
    }
    assert_eq!(r.summary.repair.dropped_lost, 0);
    assert!(r.summary.repair.irretrievably_lost >= 3);
    assert_eq!(r.summary.causal_violations, 3, "b delivered without a");

    let (out, r) = run_toml(&unrepairable("drop"));
    let rec = &out.recorder;
    let b = rec.by_label("b").expect("b");
    assert!((1..4).all(|p| rec.delivery(b, p).is_none()));
    assert_eq!(r.summary.repair.dropped_lost, 3);
    assert_eq!(r.summary.causal_violations, 0);

    // without a timeout, `b` waits for ever
    let text =
        unrepairable("deliver").replace("lost_timeout = \"10s\"\nlost_policy = \"deliver\"", "");
    let (out, r) = run_toml(&text);
    let b = out.recorder.by_label("b").expect("b");
    assert!((1..4).all(|p| out.recorder.delivery(b, p).is_none()));
    assert_eq!(r.summary.repair.dropped_lost, 0);
    assert_eq!(r.summary.messages_in_incoming_buffers, 3);
}

#[test]
fn bloom_rollover_keeps_a_small_filter_from_acknowledging_optimistically() {
    // A 10-element filter carrying 300 messages: without roll-over it saturates (every id
    // looks present, so acknowledgements come early); `rebuild` keeps only the newest ids.
    let text = |rollover: &str| {
        format!(
            "participants = 5\nduration = \"5m\"\ndrain = \"10m\"\n\
             [workload]\nrate_per_s = 1.0\npayload_bytes = 64\n[network]\nloss = 0.05\n\
             [network.latency]\ndistribution = {{ kind = \"constant\", value = \"50ms\" }}\n\
             [sds]\nbloom_capacity = 10\nbloom_error_rate = 0.1\nbloom_rollover = \"{rollover}\"\n"
        )
    };
    let (_, none) = run_toml(&text("none"));
    let (_, rebuild) = run_toml(&text("rebuild"));
    assert_eq!(
        none.summary.bytes_by_kind["sync"], rebuild.summary.bytes_by_kind["sync"],
        "the filter's size never changes"
    );
    assert!(
        rebuild.summary.ack_latency_ms.mean > none.summary.ack_latency_ms.mean,
        "{:?} vs {:?}",
        rebuild.summary.ack_latency_ms,
        none.summary.ack_latency_ms
    );
}

#[test]
fn nodes_csv_has_loss_and_queue_columns() {
    let text = "participants = 3\nduration = \"10s\"\nprotocol = \"none\"\n\
                [workload]\nrate_per_s = 2.0\npayload_bytes = 10000\n\
                [network.gilbert_elliott]\np = 0.3\nr = 0.5\n\
                [[node_classes]]\nname = \"slow\"\nids = [0]\nuplink_bps = 8000000\ndownlink_bps = 8000000\n";
    let loaded = load_toml(text);
    let (outcome, report) = sdsim::simulate(&loaded, &mut |_| {}).expect("simulate");
    let perf = sdsim::report::Perf::default();
    let regions = sdsim::participant_regions(&loaded);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("run");
    sdsim::report::write_run_dir(
        &dir,
        &sdsim::report::RunArtifacts {
            report: &report,
            outcome: &outcome,
            regions: &regions,
            perf: &perf,
            scenario_toml: &loaded.toml,
            command: "sim run (test)",
            deliveries: false,
        },
    )
    .expect("write");
    let mut csv = csv::Reader::from_path(dir.join("nodes.csv")).expect("nodes.csv");
    let header = csv.headers().expect("header").clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("row")).collect();
    let sum = |name: &str| -> f64 {
        rows.iter()
            .map(|r| r[col(name)].parse::<f64>().expect("number"))
            .sum()
    };
    let s = &report.summary;
    assert!(s.copies_lost_gilbert_elliott > 0);
    assert_eq!(sum("copies_lost") as u64, s.copies_lost);
    assert_eq!(
        sum("copies_lost_gilbert_elliott") as u64,
        s.copies_lost_gilbert_elliott
    );
    assert!(s.uplink_queue.queued_copies > 0 && s.downlink_queue.queued_copies > 0);
    assert_eq!(
        sum("uplink_queued_copies") as u64,
        s.uplink_queue.queued_copies
    );
    assert_eq!(
        sum("downlink_queued_copies") as u64,
        s.downlink_queue.queued_copies
    );
    let max = |name: &str| {
        rows.iter()
            .map(|r| r[col(name)].parse::<f64>().expect("number"))
            .fold(0.0, f64::max)
    };
    assert_eq!(
        max("uplink_queue_delay_ms_max"),
        s.uplink_queue.delay_ms_max
    );
    assert_eq!(
        max("downlink_queue_delay_ms_max"),
        s.downlink_queue.delay_ms_max
    );
    // only participant 0 is limited; its mean wait is at most its max
    let p0 = &rows[0];
    assert!(
        p0[col("uplink_queue_delay_ms_mean")]
            .parse::<f64>()
            .unwrap()
            <= s.uplink_queue.delay_ms_max
    );
    assert_eq!(&rows[1][col("uplink_queued_copies")], "0");
    // the report itself carries the same figures
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        json["summary"]["uplink_queue"]["queued_copies"],
        s.uplink_queue.queued_copies
    );
    assert_eq!(
        json["summary"]["copies_lost_gilbert_elliott"],
        s.copies_lost_gilbert_elliott
    );
}
