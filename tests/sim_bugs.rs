//! Regression tests for the simulator bugs that random scenario search found (issue 10):
//! each was a valid scenario that gave a wrong result without any error.

mod common;

use common::run_toml;

/// Three participants in three two-member channels, every conversation publishing on the
/// same constant schedule: a participant publishes in both its channels in the same
/// millisecond. With 1-byte payloads the payload generator used to give all-zero payloads,
/// so both publications got one `unique` id (sender, Lamport, payload: no channel), and the
/// recorder, keyed by id alone, credited deliveries to the wrong message: 26/33 delivered
/// and 3 causal violations on seed 1.
#[test]
fn one_sender_in_two_channels_in_one_millisecond_keeps_its_messages_apart() {
    for seed in 1..=5 {
        let (_, r) = run_toml(&format!(
            r#"
participants = 3
duration = "120s"
drain = "60m"
seed = {seed}
[workload]
group = false
rate_per_s = 0
payload_bytes = 1
arrival = "constant"
[workload.direct]
conversations = 3
rate_per_s = 0.1
"#
        ));
        let s = &r.summary;
        assert_eq!(s.expected_deliveries, 33, "seed {seed}");
        assert_eq!(s.delivered, 33, "seed {seed}");
        assert_eq!(s.causal_violations, 0, "seed {seed}");
        assert_eq!(s.message_id_collisions, 0, "seed {seed}");
        assert_eq!(s.unknown_deliveries, 0, "seed {seed}");
    }
}

/// js-waku's id rule (SHA-256 of the payload) makes equal payloads one message
/// (logos-lips#356). 1-byte payloads repeat after 256 publications: a sender that already
/// holds the id refuses the send, and the refusal is counted rather than lost.
#[test]
fn payload_id_collisions_are_counted_not_misattributed() {
    let (_, r) = run_toml(
        r#"
participants = 3
duration = "60s"
drain = "10m"
[workload]
rate_per_s = 10
payload_bytes = 1
arrival = "constant"
[sds]
message_id = "payload-sha256"
"#,
    );
    let s = &r.summary;
    // 599 attempts; from the 257th on, every payload's id is already in the sender's log
    // (it was published 25.6 s earlier), so its core refuses the send.
    assert_eq!(s.messages_published, 256);
    assert_eq!(s.publications_refused, 599 - 256);
    assert_eq!(s.message_id_collisions, 0);
    assert_eq!(s.unknown_deliveries, 0);
    assert_eq!(s.duplicates_delivered, 0);
    assert_eq!(s.delivered, 2 * 256);
}

/// A participant that crashes twice is handed the same store page on each query on connect;
/// each restarted core delivering a message again is a redelivery, never a duplicate. The
/// redelivery record used to live for the whole run, so the second crash's redelivery was
/// charged as a duplicate.
#[test]
fn redeliveries_after_a_second_crash_are_not_duplicates() {
    let (_, r) = run_toml(
        r#"
participants = 3
duration = "200s"
drain = "60m"
[workload]
rate_per_s = 0.5
[churn]
mode = "crash"
[[churn.offline]]
ids = [1]
start = "50s"
end = "80s"
[[churn.offline]]
ids = [1]
start = "120s"
end = "150s"
[store]
nodes = 1
[retrieval]
strategy = "store"
"#,
    );
    let s = &r.summary;
    assert_eq!(s.duplicates_delivered, 0);
    let churn = s.churn.as_ref().expect("churn figures");
    assert_eq!(churn.crashes, 2);
    assert_eq!(churn.redeliveries_after_crash, 2);
}

/// `relay` with `mesh_degree = 2` drew a random 2-regular graph, i.e. disjoint cycles:
/// 20 participants without any fault delivered 0.47 with two final logs on seed 1. The mesh
/// is now joined into one component (degrees kept).
#[test]
fn a_degree_two_relay_mesh_delivers_everything() {
    for seed in 1..=4 {
        let (_, r) = run_toml(&format!(
            r#"
participants = 20
duration = "60s"
drain = "10m"
seed = {seed}
[network]
dissemination = "relay"
mesh_degree = 2
"#
        ));
        assert_eq!(r.summary.delivery_ratio, 1.0, "seed {seed}");
        assert_eq!(r.summary.distinct_final_logs, 1, "seed {seed}");
    }
}

/// `run.drain_used_s` is `max(0, end_s - workload_s)`: a `none` run whose last delivery
/// comes before the end of the workload stops early (`no-events`) and used no drain.
#[test]
fn a_run_that_ends_inside_the_workload_used_no_drain() {
    let (_, r) = run_toml(
        r#"
participants = 3
duration = "60s"
drain = "10m"
protocol = "none"
[workload]
rate_per_s = 0
[[workload.publish]]
sender = 0
at = "1s"
"#,
    );
    assert_eq!(r.run.stop_reason, "no-events");
    assert!(r.run.end_s < r.run.workload_s, "{:?}", r.run);
    assert_eq!(r.run.drain_used_s, 0.0);
}
