//! Performance work must not change what is simulated (issue 5): these scenarios' simulated
//! results are pinned to digests computed before any engine or core optimization.
//!
//! The digest covers what a run *simulates*, read from the `RunOutcome` rather than from
//! `report.json` (whose layout other work extends): the stop time and reason, the event
//! count, every message's ground truth (id, publisher, publication time, Lamport timestamp,
//! acknowledgement, repair counts) and its delivery time at every participant, the per-node
//! and group-wide traffic counters of the network, the protocol counters, the churn and
//! store figures and every participant's final local log. Each scenario exercises different engine paths:
//! broadcast with partitions and periodic sync; relay with Trickle, duplication,
//! Gilbert-Elliott loss, node classes with uplink/downlink queues and clock skew; relay with
//! crash churn and late joiners; ring with sleep churn; the `none` baseline; store nodes with
//! churn (retrieval `both`); direct-message channels over relay with a store.
//!
//! If a change *meant* to alter simulated behaviour (a protocol or network-model change, a new
//! random draw) breaks a digest, regenerate with
//! `PRINT_DIGESTS=1 cargo test --release --test pinned_results -- --nocapture` and say why in
//! the commit message. An optimization must never need that.

mod common;

use sdsim::metrics::RunOutcome;
use sdsim::net::TrafficKind;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The traffic kinds pinned (those that existed when the digests were taken).
const KINDS: [TrafficKind; 5] = [
    TrafficKind::Content,
    TrafficKind::Resend,
    TrafficKind::Sync,
    TrafficKind::RepairResponse,
    TrafficKind::Ephemeral,
];

/// Canonical text of what `out` simulated.
fn simulated_text(out: &RunOutcome) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "end {} workload_end {} stop {} events {}",
        out.end,
        out.workload_end,
        out.stop_reason.name(),
        out.events
    );
    let rec = &out.recorder;
    for (m, t) in rec.messages().iter().enumerate() {
        let _ = write!(
            w,
            "msg {} ch {} from {} at {} lamport {:?} ack {:?} nack {} req {} resp {} deps {:?} |",
            t.id,
            t.channel,
            t.publisher,
            t.published,
            t.lamport_timestamp,
            t.acknowledged,
            t.not_acknowledged,
            t.repair_requests,
            t.repair_responses,
            t.deps,
        );
        for p in 0..rec.participants() {
            match rec.delivery(m as u32, p) {
                Some(at) => {
                    let _ = write!(w, " {p}:{at}");
                }
                None => {
                    let _ = write!(w, " {p}:-");
                }
            }
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "dups {} causal {} per_node_delivered {:?}",
        rec.duplicates(),
        rec.causal_violations(),
        rec.per_node_delivered()
    );
    let c = rec.counters();
    let _ = writeln!(
        w,
        "counters {} {} {} {} {} {} {} {}",
        c.repair_requests_sent,
        c.repair_requests_received,
        c.repair_responses_sent,
        c.irretrievably_lost,
        c.missing_dependency_events,
        c.unknown_deliveries,
        c.transmissions_with_repair_requests,
        c.max_repair_requests_per_transmission
    );
    for (i, t) in out.network.traffic().iter().enumerate() {
        let sent: Vec<u64> = KINDS.iter().map(|&k| t.bytes_sent_of(k)).collect();
        let tx: Vec<u64> = KINDS
            .iter()
            .map(|&k| t.transmissions_by_kind[k as usize])
            .collect();
        let _ = writeln!(
            w,
            "node {i} sent {sent:?} tx {tx:?} fwd {} rx {} copies {} dup {} up {} {} {} down {} {} {}",
            t.bytes_forwarded,
            t.bytes_received,
            t.copies_received,
            t.bytes_received_duplicate,
            t.uplink_queued_copies,
            t.uplink_queue_delay_total_us,
            t.uplink_queue_delay_max_us,
            t.downlink_queued_copies,
            t.downlink_queue_delay_total_us,
            t.downlink_queue_delay_max_us
        );
    }
    let k = out.network.copies();
    let _ = writeln!(
        w,
        "copies {} {} {} {} {} {} {} {}",
        k.sent,
        k.lost,
        k.lost_gilbert_elliott,
        k.lost_extra,
        k.dropped_in_queue,
        k.partitioned,
        k.duplicated,
        k.redundant
    );
    let _ = writeln!(
        w,
        "final_log_len {:?} incoming {:?} distinct {}",
        out.final_log_len, out.final_incoming_buffer, out.distinct_final_logs
    );
    if let Some(ch) = &out.churn {
        let _ = writeln!(
            w,
            "churn {} {} {} {} {} {} {:?}",
            ch.offline_events,
            ch.crashes,
            ch.left,
            ch.joined,
            ch.copies_to_offline,
            ch.publications_skipped,
            ch.windows
        );
    }
    if let Some(st) = &out.store {
        let c = &st.client;
        let _ = writeln!(
            w,
            "store {} client {} {} {} {} {} {} {} {} {} {} windows {:?}",
            st.strategy,
            c.queries_by_hash,
            c.queries_by_range,
            c.query_timeouts,
            c.query_bytes,
            c.response_bytes,
            c.messages_retrieved,
            c.messages_retrieved_new,
            c.queries_on_connect,
            c.ingest_copies,
            c.ingest_bytes,
            st.windows
        );
        for n in &st.nodes {
            let _ = writeln!(
                w,
                "store node {} {} {} {} {} {} {}",
                n.messages_stored,
                n.bytes_stored,
                n.copies_while_offline,
                n.queries_answered,
                n.queries_while_offline,
                n.messages_served,
                n.bytes_served
            );
        }
    }
    for (i, c) in out.channels.iter().enumerate() {
        if let Some(c) = c {
            let log: Vec<String> = c.local_log().map(ToString::to_string).collect();
            let _ = writeln!(
                w,
                "log {i} lamport {} {}",
                c.lamport_timestamp(),
                log.join(",")
            );
        }
    }
    s
}

fn digest(out: &RunOutcome) -> String {
    let h = Sha256::digest(simulated_text(out).as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn check(name: &str, loaded: &sdsim::scenario::Loaded, expected: &str) {
    let (out, _report) = sdsim::simulate(loaded, &mut |_| {}).expect("simulate");
    let got = digest(&out);
    if std::env::var_os("PRINT_DIGESTS").is_some() {
        let text = simulated_text(&out);
        let brief: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("end")
                    || l.starts_with("counters")
                    || l.starts_with("copies")
                    || l.starts_with("churn")
            })
            .collect();
        println!("{name}: {got}\n  {}", brief.join("\n  "));
        return;
    }
    assert_eq!(
        got, expected,
        "{name}: simulated results changed (events {}, end {} µs); an optimization must not \
         change what is simulated (see this file's docs)",
        out.events, out.end
    );
}

#[test]
fn broadcast_partition_periodic_sync() {
    let loaded = common::load("small-lossy.toml", None, &[]);
    check(
        "small-lossy",
        &loaded,
        "65e98431fbee9242a95ddc3a3c7cb084fc8587b6099e15234bf5d882876c5e04",
    );
}

#[test]
fn broadcast_three_partitions() {
    let loaded = common::load("three-partition.toml", Some(5), &[]);
    check(
        "three-partition",
        &loaded,
        "22b882a41a0cf1ce1e2f7e3fa460b3674ce9dcf3b79c7b62bb18b209949d58e8",
    );
}

const RELAY_LINKS: &str = r#"
name = "pin-relay-links"
seed = 9
participants = 48
duration = "60s"
drain = "20m"
clock_skew = { kind = "uniform", min = "-2s", max = "2s" }

[workload]
rate_per_s = 2.0
payload_bytes = 300

[network]
dissemination = "relay"
mesh_degree = 5
loss = 0.03
duplicate = 0.02

[network.gilbert_elliott]
p = 0.01
r = 0.3

[network.latency]
regions = "../../scenarios/data/inter-region-rtt-ms.csv"
jitter = { kind = "uniform", min = "0ms", max = "15ms" }

[[node_classes]]
name = "home"
fraction = 0.5
uplink_bps = 4_000_000
downlink_bps = 20_000_000
extra_latency = "10ms"

[[node_classes]]
name = "mobile"
fraction = 0.25
uplink_bps = 1_000_000
downlink_bps = 5_000_000
extra_latency = "40ms"
loss = 0.02

[[network.degradations]]
start = "10s"
end = "25s"
extra_latency = "100ms"
loss = 0.1

[[partitions]]
start = "30s"
heal = "45s"
fractions = [0.3, 0.7]
direction = "one-way"

[sds]
causal_history = 4
bloom_capacity = 500
# Given where the defaults (js-waku 0.0.8's since issue 14) differ: the recorded values.
message_id = "unique"

[sds.sync]
policy = "trickle"
interval = "5s"
interval_max = "40s"
redundancy = 2

[sds.repair]
t_min = "5s"
t_max = "20s"
response_groups = 0
"#;

#[test]
fn relay_trickle_links_skew() {
    check(
        "relay-links",
        &common::load_toml(RELAY_LINKS),
        "17182220edc4fc1b046612ef2b432a3c16a381c50b551e391b52943dea5fe42a",
    );
}

const RELAY_CRASH: &str = r#"
name = "pin-relay-crash"
seed = 4
participants = 40
duration = "90s"
drain = "20m"

[workload]
rate_per_s = 1.5
payload_bytes = 200

[network]
dissemination = "relay"
mesh_degree = 4
loss = 0.02

[network.latency]
distribution = { kind = "lognormal", median = "40ms", sigma = 0.5 }

[[node_classes]]
name = "slow"
ids = [1, 2, 3, 4, 5]
uplink_bps = 500_000

[churn]
mode = "crash"

[churn.random]
fraction = 0.2
start = "20s"
duration = "30s"
stagger = "10s"

[[churn.join]]
ids = [38, 39]
at = "40s"

[sds]
causal_history = 3
bloom_capacity = 300
# Given where the defaults (js-waku 0.0.8's since issue 14) differ: the recorded values.
message_id = "unique"

[sds.sync]
interval = "10s"
policy = "periodic"

[sds.repair]
t_min = "5s"
t_max = "15s"
response_groups = 0
"#;

#[test]
fn relay_crash_churn_joiners() {
    check(
        "relay-crash",
        &common::load_toml(RELAY_CRASH),
        "bd487f2402df41a2febddf8f1e3cb47f69d7e9a8e7b81aaf52f54d0f2d001c16",
    );
}

const RING_SLEEP: &str = r#"
name = "pin-ring-sleep"
seed = 2
participants = 30
duration = "60s"
drain = "10m"

[workload]
rate_per_s = 2.0
payload_bytes = 128
arrival = "constant"

[network]
dissemination = "ring"
loss = 0.04

[churn]
mode = "sleep"

[[churn.offline]]
ids = [3, 7, 11]
start = "10s"
end = "35s"

[sds]
causal_history = 2
bloom_capacity = 200
message_id = "payload-sha256"
# Given where the defaults (js-waku 0.0.8's since issue 14) differ: the recorded values.
repair.response_groups = 0

[sds.sync]
policy = "trickle"
interval = "4s"
interval_max = "32s"
"#;

#[test]
fn ring_sleep_churn() {
    check(
        "ring-sleep",
        &common::load_toml(RING_SLEEP),
        "481883fd2dc9e29a2211ab56309e886e90789b38a0250ad78d6e8e029d6b029a",
    );
}

#[test]
fn none_baseline_relay() {
    let text = RELAY_LINKS.replace(
        "name = \"pin-relay-links\"",
        "name = \"pin-none\"\nprotocol = \"none\"",
    );
    check(
        "none-relay",
        &common::load_toml(&text),
        "bf6b72c6ebb1096658d5f183e0b2be87f2f7fa3d4b715178515199d431824a25",
    );
}

const STORE_CHURN: &str = r#"
name = "pin-store-churn"
seed = 6
participants = 30
duration = "120s"
drain = "20m"

[workload]
rate_per_s = 1.0
payload_bytes = 200

[network]
loss = 0.03

[network.latency]
regions = "../../scenarios/data/inter-region-rtt-ms.csv"

[sds]
causal_history = 4
bloom_capacity = 300
# Given where the defaults (js-waku 0.0.8's since issue 14) differ: the recorded values.
message_id = "unique"
sync.policy = "periodic"
repair.response_groups = 0

[churn]
mode = "sleep"

[churn.random]
fraction = 0.3
start = "20s"
duration = "40s"
stagger = "30s"

[store]
nodes = 2

[[store.offline]]
node = 0
start = "30s"
end = "70s"

[retrieval]
strategy = "both"
"#;

#[test]
fn store_nodes_and_churn() {
    check(
        "store-churn",
        &common::load_toml(STORE_CHURN),
        "804cdeb1beeb43d14024b972a14ddee5eb1019dcf0ecfda43423d9f0f784098f",
    );
}

const DIRECT: &str = r#"
name = "pin-direct"
seed = 8
participants = 24
duration = "120s"
drain = "20m"

[workload]
rate_per_s = 0.5
payload_bytes = 100

[workload.direct]
conversations = 20
rate_per_s = 0.05

[network]
dissemination = "relay"
mesh_degree = 4
loss = 0.05

[[node_classes]]
name = "mobile"
fraction = 0.5
uplink_bps = 2_000_000
downlink_bps = 8_000_000

[sds]
causal_history = 3
bloom_capacity = 200
# Given where the defaults (js-waku 0.0.8's since issue 14) differ: the recorded values.
message_id = "unique"
sync.policy = "periodic"
repair.response_groups = 0

[store]
nodes = 1

[retrieval]
strategy = "store"
"#;

#[test]
fn direct_messages_relay_store() {
    check(
        "direct",
        &common::load_toml(DIRECT),
        "2d8be92b0d9abe452837af64a9b7f049eec02c24b160efda86606c9e9901b7d2",
    );
}
