//! The go-waku chat2-reliable test cases (PROTOCOL.md §4), reproduced as simulator scenarios.
//!
//! go-waku runs them on a ring of real relay nodes and makes partitions by closing
//! connections; here each is a small scenario with scripted publications
//! (`[[workload.publish]]`), timed partitions and churn. Case 2 runs over the ring topology
//! (ring with skip links), the others over `broadcast`; case 10's newcomer is a true late
//! joiner (`[[churn.join]]`, empty state); case 8 (bloom filter window) drives one core
//! directly, because the filter it sends has to be read back.

mod common;

use common::{log_labels, run_toml};

/// Scripted base scenario (`common::scripted`): constant 50 ms latency, no loss.
fn scenario(participants: u32, extra: &str) -> String {
    common::scripted(participants, "", extra)
}

#[test]
fn case_01_lamport_timestamps() {
    let (out, r) = run_toml(&scenario(
        3,
        r#"
[[workload.publish]]
at = "1s"
sender = 0
label = "a"
[[workload.publish]]
at = "2s"
sender = 1
label = "b"
[[workload.publish]]
at = "2s"
sender = 2
label = "c"
[[workload.publish]]
at = "3s"
sender = 0
label = "d"
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    let rec = &out.recorder;
    let epoch = r.config.epoch_unix_ms;
    for m in rec.messages() {
        let ts = m
            .lamport_timestamp
            .expect("SDS messages carry a Lamport timestamp");
        // pegged to the sender's wall clock: max(now_ms, ts + 1)
        assert!(ts >= epoch + m.published / 1000, "{:?}", m.label);
        // strictly after every causal dependency
        for &d in &m.deps {
            let dep = &rec.messages()[d as usize];
            assert!(ts > dep.lamport_timestamp.expect("dep ts"), "{:?}", m.label);
        }
    }
    let ts = |l: &str| rec.messages()[rec.by_label(l).expect(l) as usize].lamport_timestamp;
    // b and c were sent at the same instant after both received a: equal-or-later than a
    assert!(ts("b") > ts("a") && ts("c") > ts("a"));
    assert!(ts("d") > ts("b") && ts("d") > ts("c"));
    // every participant's clock has moved past every message it delivered or sent
    for c in out.channels.iter().flatten() {
        assert!(c.lamport_timestamp() >= ts("d").expect("d"));
    }
}

#[test]
fn case_02_causal_ordering_same_order_everywhere() {
    // Three participants publishing concurrently (5 messages/s over 1-150 ms of latency):
    // every participant ends with the same log, and no delivery precedes a dependency.
    let text = r#"
participants = 3
seed = 4
duration = "20s"
drain = "30m"
[workload]
rate_per_s = 5.0
payload_bytes = 64
[network]
dissemination = "ring"
[network.latency]
distribution = { kind = "uniform", min = "1ms", max = "150ms" }
"#;
    let (out, r) = run_toml(text);
    assert!(r.summary.messages_published > 50);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.causal_violations, 0);
    assert_eq!(r.summary.distinct_final_logs, 1);
    let logs: Vec<Vec<String>> = (0..3).map(|i| log_labels(&out, i)).collect();
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[1], logs[2]);
}

#[test]
fn case_03_duplicate_detection() {
    // Every copy arrives twice (netem duplicate 100%): each message is delivered once.
    let (_, r) = run_toml(&scenario(
        3,
        r#"
[network]
duplicate = 1.0
[[workload.publish]]
at = "1s"
sender = 0
count = 10
interval = "500ms"
label = "m"
[[workload.publish]]
at = "1250ms"
sender = 1
count = 10
interval = "500ms"
label = "n"
"#,
    ));
    assert!(r.summary.copies_duplicated > 0);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.duplicates_delivered, 0);
}

#[test]
fn case_04_network_partition_missed_message_is_pulled() {
    // C is cut off while A publishes "Missed"; after the heal B's "New" names Missed in its
    // causal history, C pulls it (SDS-R), and every log reads M1, M2, Missed, New.
    let (out, r) = run_toml(&scenario(
        3,
        r#"
[[workload.publish]]
at = "1s"
sender = 0
label = "M1"
[[workload.publish]]
at = "2s"
sender = 1
label = "M2"
[[workload.publish]]
at = "3s"
sender = 0
label = "Missed"
[[workload.publish]]
at = "12s"
sender = 1
label = "New"
[[partitions]]
start = "2500ms"
heal = "10s"
ids = [[0, 1], [2]]
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    let expected = ["M1", "M2", "Missed", "New"];
    for i in 0..3 {
        assert_eq!(log_labels(&out, i), expected, "participant {i}");
    }
    // C learned of Missed from New's causal history and asked for it
    assert!(r.summary.repair.requests_sent >= 1);
    assert!(r.summary.repair.responses_sent >= 1);
    let missed = out.recorder.by_label("Missed").expect("Missed");
    let new = out.recorder.by_label("New").expect("New");
    let t_missed = out.recorder.delivery(missed, 2).expect("C got Missed");
    let t_new = out.recorder.delivery(new, 2).expect("C got New");
    assert!(t_missed <= t_new, "New was delivered before its dependency");
}

#[test]
fn case_05_concurrent_sending() {
    // 5 participants x 10 messages, all sending at the same instants.
    let mut text = scenario(5, "");
    for p in 0..5 {
        text.push_str(&format!(
            "[[workload.publish]]\nat = \"1s\"\nsender = {p}\ncount = 10\ninterval = \"100ms\"\nlabel = \"p{p}\"\n"
        ));
    }
    let (out, r) = run_toml(&text);
    assert_eq!(r.summary.messages_published, 50);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.duplicates_delivered, 0);
    for i in 0..5 {
        assert_eq!(log_labels(&out, i).len(), 50, "participant {i}");
    }
    assert_eq!(r.summary.distinct_final_logs, 1);
}

#[test]
fn case_06_large_group_one_message_exactly_once() {
    let (_, r) = run_toml(&scenario(
        20,
        "[[workload.publish]]\nat = \"1s\"\nsender = 7\nlabel = \"hello\"\n",
    ));
    assert_eq!(r.summary.messages_published, 1);
    assert_eq!(r.summary.delivered, 19);
    assert_eq!(r.summary.duplicates_delivered, 0);
}

#[test]
fn case_07_eager_push_after_heal() {
    // B is cut off when A publishes M; with SDS-R off, A's periodic resend of the
    // unacknowledged M reaches B once the partition heals.
    let (out, r) = run_toml(&scenario(
        2,
        r#"
[[workload.publish]]
at = "5s"
sender = 0
label = "M"
[[partitions]]
start = "1s"
heal = "50s"
ids = [[0], [1]]
[sds.repair]
enabled = false
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert!(r.summary.bytes_by_kind["resend"] > 0);
    assert_eq!(r.summary.repair.requests_sent, 0);
    let m = out.recorder.by_label("M").expect("M");
    let t = out.recorder.delivery(m, 1).expect("delivered");
    assert!(t > 50_000_000, "delivered during the partition?");
    // resends every 30 s from the send: 35 s and 65 s; the one at 65 s gets through
    assert!(t < 66_000_000, "delivered at {t} us");
    // B's first sync after it delivered M acknowledges it, never earlier
    let acked = out.recorder.messages()[m as usize]
        .acknowledged
        .expect("acknowledged after the heal");
    assert!(acked > t);
}

#[test]
fn case_09_conflict_resolution_equal_lamport() {
    // A and B publish at the same millisecond before hearing each other: equal Lamport
    // timestamps; every participant orders the pair by message id.
    let (out, r) = run_toml(&scenario(
        3,
        r#"
[[workload.publish]]
at = "5s"
sender = 0
label = "a"
[[workload.publish]]
at = "5s"
sender = 1
label = "b"
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    let rec = &out.recorder;
    let (a, b) = (
        &rec.messages()[rec.by_label("a").expect("a") as usize],
        &rec.messages()[rec.by_label("b").expect("b") as usize],
    );
    assert_eq!(a.lamport_timestamp, b.lamport_timestamp);
    let first = if a.id < b.id { "a" } else { "b" };
    for i in 0..3 {
        assert_eq!(log_labels(&out, i)[0], first, "participant {i}");
    }
    assert_eq!(r.summary.distinct_final_logs, 1);
}

#[test]
fn case_10_new_node_catches_up_then_takes_part() {
    // Participant 3 joins at 60 s, with a fresh core, after 0-2 published ten messages; once
    // joined it obtains all of them (sync messages reveal the latest ids, SDS-R walks the
    // causal histories back), then publishes and everyone delivers it.
    let text = scenario(
        4,
        r#"
[[workload.publish]]
at = "1s"
sender = 0
count = 4
interval = "5s"
label = "a"
[[workload.publish]]
at = "3s"
sender = 1
count = 3
interval = "5s"
label = "b"
[[workload.publish]]
at = "4s"
sender = 2
count = 3
interval = "5s"
label = "c"
[[workload.publish]]
at = "200s"
sender = 3
label = "hello-from-new"
[[churn.join]]
ids = [3]
at = "60s"
[sds.sync]
policy = "periodic"
interval = "30s"
"#,
    )
    .replace("duration = \"60s\"", "duration = \"4m\"");
    let (out, r) = run_toml(&text);
    assert_eq!(r.summary.delivery_ratio, 1.0, "{:?}", r.summary);
    let churn = r.summary.churn.as_ref().expect("churn summary");
    assert_eq!(churn.joined, 1);
    // it did not exist before 60 s: the first publications' copies to it were dropped, and it
    // is expected to deliver the whole history (joiners_expect_history defaults to true)
    assert!(churn.copies_to_offline >= 10);
    assert_eq!(out.recorder.per_node_expected()[3], 10);
    let a0 = out.recorder.by_label("a-0").expect("a-0");
    assert!(out.recorder.delivery(a0, 3).expect("delivered") > 60_000_000);
    let newcomer = log_labels(&out, 3);
    assert_eq!(newcomer.len(), 11);
    assert_eq!(newcomer.last().map(String::as_str), Some("hello-from-new"));
    assert_eq!(r.summary.distinct_final_logs, 1);
    let hello = out.recorder.by_label("hello-from-new").expect("hello");
    for i in 0..3 {
        assert!(out.recorder.delivery(hello, i).is_some());
    }
}

/// The last sync message `c` sends: its bloom filter bytes.
fn filter_of_next_sync(c: &mut sdsim::sds::Channel, now_ms: u64) -> bytes::Bytes {
    c.send_sync(now_ms).expect("a sync is sent");
    let t = std::iter::from_fn(|| c.poll_transmit())
        .last()
        .expect("the sync transmit");
    sdsim::sds::wire::decode(&t.bytes)
        .expect("valid")
        .bloom_filter
        .expect("a bloom filter")
}

#[test]
fn case_08_bloom_filter_window_old_ids_age_out() {
    // go-waku ages ids out of a time-windowed filter; sdsim's knob is nim-sds's rebuild
    // (`BloomRollover::Rebuild`): past 120% of capacity the filter is rebuilt from the newest
    // 80%. Driven on one core directly, where the filter it sends can be read back.
    use sdsim::sds::bloom::{serialized_contains, BloomParams};
    use sdsim::sds::{BloomRollover, Channel, Config, SyncPolicy};
    let now = 1_700_000_000_000u64;
    let run = |rollover: BloomRollover| {
        let config = Config {
            bloom_capacity: 20,
            bloom_error_rate: 0.01,
            bloom_rollover: rollover,
            sync: SyncPolicy::Off,
            ..Config::default()
        };
        let mut c = Channel::new("chan", "alice", config, now, 1);
        let ids: Vec<String> = (0..100u64)
            .map(|i| {
                let id = c
                    .send(now + i, bytes::Bytes::from(format!("message {i}")))
                    .expect("send");
                while c.poll_transmit().is_some() {}
                id
            })
            .collect();
        (ids, filter_of_next_sync(&mut c, now + 1_000))
    };
    let params = BloomParams::new(20, 0.01);
    let contains = |filter: &[u8], id: &str| {
        serialized_contains(&params, filter, &params.bit_indexes(id)).expect("same length")
    };
    let (ids, filter) = run(BloomRollover::Rebuild);
    assert!(
        ids[90..].iter().all(|id| contains(&filter, id)),
        "newest ids missing"
    );
    let old = ids[..20].iter().filter(|id| contains(&filter, id)).count();
    assert!(
        old <= 3,
        "{old} of the 20 oldest ids still match (false positives only)"
    );
    // Without roll-over every id stays in (and the filter saturates).
    let (ids, filter) = run(BloomRollover::None);
    assert!(ids.iter().all(|id| contains(&filter, id)));
}
