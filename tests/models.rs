//! End-to-end checks of the fault models through the engine (issue 4, "Tests for each
//! model"): a one-way partition blocks one direction only, copies queued on a node that goes
//! offline are lost and counted, a crashed participant comes back with empty state. The
//! statistical checks of latency, loss, duplication and Gilbert-Elliott draws are unit tests
//! in `src/net/tests.rs`; relay delivery over a loss-free mesh is checked in
//! `tests/library.rs` (`relay_1k_small`) and `src/net/tests.rs`.

mod common;

use common::{log_labels, run_toml};

/// `participants` over constant 50 ms latency with scripted publications only; `extra` is
/// appended (publications, partitions, churn, node classes).
fn base(participants: u32, protocol: &str, duration: &str, drain: &str, extra: &str) -> String {
    format!(
        "participants = {participants}\nseed = 5\nprotocol = \"{protocol}\"\nduration = \"{duration}\"\ndrain = \"{drain}\"\n\
         [workload]\nrate_per_s = 0\npayload_bytes = 64\n\
         [network.latency]\ndistribution = {{ kind = \"constant\", value = \"50ms\" }}\n\
         [sds]\nbloom_capacity = 1000\nbloom_error_rate = 0.01\n\
         [sds.repair]\nt_min = \"1s\"\nt_max = \"5s\"\n{extra}"
    )
}

/// Who delivered the message labelled `label`.
fn receivers(out: &sdsim::metrics::RunOutcome, label: &str, n: u32) -> Vec<u32> {
    let m = out.recorder.by_label(label).expect(label);
    (0..n)
        .filter(|&p| out.recorder.delivery(m, p).is_some())
        .collect()
}

const ONE_WAY: &str = r#"
[[partitions]]
start = "10s"
heal = "20s"
fractions = [0.5, 0.5]
direction = "one-way"
[[workload.publish]]
at = "15s"
sender = 0
label = "from-first-group"
[[workload.publish]]
at = "15s"
sender = 3
label = "from-second-group"
[[workload.publish]]
at = "25s"
sender = 1
label = "after-heal"
"#;

#[test]
fn one_way_partition_blocks_one_direction_only() {
    // First group {0, 1}, second {2, 3}: during the window only copies from the first group
    // to the second are cut.
    let (out, r) = run_toml(&base(4, "none", "30s", "0s", ONE_WAY));
    assert_eq!(receivers(&out, "from-first-group", 4), [1]);
    assert_eq!(receivers(&out, "from-second-group", 4), [0, 1, 2]);
    assert_eq!(receivers(&out, "after-heal", 4), [0, 2, 3]);
    assert_eq!(r.summary.copies_partitioned, 2);
    assert_eq!(r.faults.len(), 1);
    // SDS repairs the cut direction after the heal; the other direction never needed it.
    let (out, r) = run_toml(&base(4, "sds", "30s", "10m", ONE_WAY));
    assert_eq!(r.summary.delivery_ratio, 1.0, "{:?}", r.summary);
    assert_eq!(receivers(&out, "from-first-group", 4), [1, 2, 3]);
    assert_eq!(r.summary.causal_violations, 0);
    assert_eq!(r.summary.duplicates_delivered, 0);
}

/// Participant 0 has an 8 Mbit/s uplink (1 byte/µs): each copy of a 100 kB message takes
/// ~100 ms to serialize, so a broadcast to 4 receivers leaves at ~1.1, 1.2, 1.3 and 1.4 s.
/// It goes offline at 1.25 s.
const QUEUED: &str = r#"
[[node_classes]]
name = "slow"
ids = [0]
uplink_bps = 8000000
[[workload.publish]]
at = "1s"
sender = 0
label = "big"
[churn]
mode = "sleep"
[[churn.offline]]
ids = [0]
start = "1250ms"
end = "5s"
"#;

#[test]
fn queued_copies_of_a_node_going_offline_are_lost_and_counted() {
    let text = base(5, "none", "10s", "0s", QUEUED)
        .replace("payload_bytes = 64", "payload_bytes = 100000");
    let (out, r) = run_toml(&text);
    // the two copies still in the queue at 1.25 s never left
    assert_eq!(r.summary.copies_dropped_in_queue, 2);
    assert_eq!(receivers(&out, "big", 5), [1, 2]);
    assert_eq!(r.summary.delivered, 2);
    // ... but the sender saw all four sent: they are in copies_sent and bytes_sent
    assert_eq!(r.summary.copies_sent, 4);
    let sent = out.network.traffic()[0].bytes_sent();
    assert_eq!(sent, 4 * (sent / 4));
    assert!(sent >= 4 * 100_000);
    assert_eq!(r.summary.uplink_queue.queued_copies, 4);
    assert!(
        r.summary.uplink_queue.delay_ms_max >= 300.0,
        "{:?}",
        r.summary.uplink_queue
    );
    assert_eq!(r.summary.copies_lost, 0);
    // With SDS the sleeper resends its unacknowledged message after waking.
    let text = base(5, "sds", "10s", "10m", QUEUED)
        .replace("payload_bytes = 64", "payload_bytes = 100000");
    let (out, r) = run_toml(&text);
    assert_eq!(r.summary.copies_dropped_in_queue, 2);
    assert_eq!(receivers(&out, "big", 5), [1, 2, 3, 4]);
    assert_eq!(r.summary.delivery_ratio, 1.0);
}

/// Participant 3 publishes at 4.9 s and is offline from 5 s to 20 s; the run stops at 20 s,
/// right when it comes back.
fn crash_or_sleep(mode: &str) -> (sdsim::metrics::RunOutcome, sdsim::report::Report) {
    let mut extra = format!(
        "[churn]\nmode = \"{mode}\"\n[[churn.offline]]\nids = [3]\nstart = \"5s\"\nend = \"20s\"\n\
         [[workload.publish]]\nat = \"4900ms\"\nsender = 3\nlabel = \"own\"\n"
    );
    for (p, l) in [(0, "a"), (1, "b")] {
        extra.push_str(&format!(
            "[[workload.publish]]\nat = \"{}ms\"\nsender = {p}\ncount = 8\ninterval = \"2s\"\nlabel = \"{l}\"\n",
            1000 + 100 * p
        ));
    }
    run_toml(&base(4, "sds", "20s", "0s", &extra))
}

#[test]
fn crashed_participant_rejoins_with_empty_state() {
    let (out, r) = crash_or_sleep("sleep");
    let sleeper = out.channels[3].as_ref().expect("sds core");
    // a sleeper keeps everything: its log (a-0 .. b-1 and its own message) and its own
    // unacknowledged message (nobody could acknowledge it while it slept)
    assert_eq!(log_labels(&out, 3), ["a-0", "b-0", "a-1", "b-1", "own"]);
    assert_eq!(sleeper.pending().outgoing_buffer, 1);
    assert_eq!(r.summary.churn.as_ref().expect("churn").crashes, 0);

    let (out, r) = crash_or_sleep("crash");
    assert_eq!(r.summary.churn.as_ref().expect("churn").crashes, 1);
    let fresh = out.channels[3].as_ref().expect("sds core");
    assert!(log_labels(&out, 3).is_empty(), "{:?}", log_labels(&out, 3));
    assert_eq!(fresh.pending(), sdsim::sds::Pending::default());
    // the others still hold what it published before the crash
    assert!(log_labels(&out, 0).contains(&"own".to_string()));
}
