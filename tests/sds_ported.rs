//! Test cases of other SDS implementations, ported to sdsim's core through its public API
//! (the read-only inspection methods stand in for the private state the originals reach
//! into). Each test names its source: js-waku = waku-org/js-waku 84a6ea6
//! `packages/sds/src/message_channel/message_channel.spec.ts` (`spec.ts`) or
//! `.../repair/buffers.spec.ts`; nim-sds = logos-messaging/nim-sds 07491b2
//! `tests/test_reliability.nim` (`test_reliability.nim`). Where sdsim deliberately differs
//! (CONFORMANCE.md), the test says how and checks sdsim's rule.

use bytes::Bytes;
use sdsim::sds::bloom::{BloomFilter, BloomParams};
use sdsim::sds::wire::{decode, encode};
use sdsim::sds::{
    message_id_for, repair, Channel, Config, Event, HistoryEntry, MessageIdRule, RepairConfig,
    SdsMessage, SyncPolicy, TransmitKind,
};

const T0: u64 = 1_700_000_000_000;
const CHANNEL: &str = "test-channel";
const MESSAGES_A: [&str; 2] = ["message-1", "message-2"];
const MESSAGES_B: [&str; 5] = [
    "message-3",
    "message-4",
    "message-5",
    "message-6",
    "message-7",
];

/// js-waku's `MessageChannel` defaults (`message_channel.ts`): ids are SHA-256 of the
/// payload, causal history 200, possible-acks threshold 2, bloom 10,000 at 0.001; no timers.
fn js_waku() -> Config {
    Config {
        message_id: MessageIdRule::PayloadSha256,
        causal_history_size: 200,
        possible_acks_threshold: 2,
        sync: SyncPolicy::Off,
        ..Config::default()
    }
}

fn js_waku_history(n: usize) -> Config {
    Config {
        causal_history_size: n,
        ..js_waku()
    }
}

fn id_of(payload: &str) -> String {
    message_id_for(MessageIdRule::PayloadSha256, "", 0, payload.as_bytes())
}

/// Sends `payload`, returns the encoded message; events of the sender are dropped.
fn send(c: &mut Channel, now: u64, payload: &str) -> Bytes {
    c.send(now, Bytes::copy_from_slice(payload.as_bytes()))
        .expect("send");
    let t = c.poll_transmit().expect("transmit");
    assert_eq!(t.kind, TransmitKind::Content);
    while c.poll_event().is_some() {}
    t.bytes
}

fn receive(c: &mut Channel, now: u64, bytes: Bytes) -> Vec<Event> {
    c.handle_message(now, bytes, None).expect("valid message");
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn content(id: &str, sender: &str, lamport: u64, history: Vec<HistoryEntry>) -> Bytes {
    encode(&SdsMessage {
        sender_id: sender.into(),
        message_id: id.into(),
        channel_id: CHANNEL.into(),
        lamport_timestamp: Some(lamport),
        causal_history: history,
        bloom_filter: None,
        repair_request: Vec::new(),
        content: Some(Bytes::copy_from_slice(id.as_bytes())),
    })
}

fn entry(id: &str, sender: &str) -> HistoryEntry {
    HistoryEntry {
        message_id: id.into(),
        retrieval_hint: None,
        sender_id: Some(sender.into()),
    }
}

/// nim-sds "channel-specific dependency management" (`test_reliability.nim:1016-1031`):
/// ids marked met in one channel are in that channel's bloom filter and not in another's.
#[test]
fn nim_sds_channel_specific_dependency_management() {
    let mut channel1 = Channel::new("dep-channel-1", "p", Config::default(), T0, 1);
    let channel2 = Channel::new("dep-channel-2", "p", Config::default(), T0, 2);
    let dep_ids: Vec<String> = ["dep1", "dep2", "dep3"].map(String::from).to_vec();
    channel1.mark_dependencies_met(T0, &dep_ids);
    for id in &dep_ids {
        assert!(channel1.bloom_filter_contains(id), "{id}");
        assert!(!channel2.bloom_filter_contains(id), "{id}");
    }
}

/// js-waku "should attach causal history and bloom filter to each message"
/// (`spec.ts:133-170`): every sent message carries the filter as it was before its own id
/// was inserted, the outgoing buffer holds every message in send order, and the causal
/// history is the previous `causalHistorySize` ids.
#[test]
fn js_waku_attaches_causal_history_and_bloom_filter_to_each_message() {
    let config = js_waku();
    let n = config.causal_history_size;
    let mut alice = Channel::new(CHANNEL, "alice", config.clone(), T0, 1);
    let mut reference = BloomFilter::new(BloomParams::new(
        config.bloom_capacity,
        config.bloom_error_rate,
    ));
    let messages: Vec<String> = (0..n + 5).map(|i| format!("message-{i}")).collect();
    let mut sent = Vec::new();
    for m in &messages {
        let filter_before = reference.to_bytes();
        assert_eq!(alice.bloom_filter(), &filter_before[..]);
        let bytes = send(&mut alice, T0, m);
        let decoded = decode(&bytes).expect("decode");
        assert_eq!(decoded.content.as_deref(), Some(m.as_bytes()));
        assert_eq!(decoded.bloom_filter, Some(filter_before));
        reference.insert(&id_of(m));
        sent.push(decoded);
    }
    let outgoing: Vec<String> = alice.outgoing_buffer().map(|o| o.message_id).collect();
    assert_eq!(
        outgoing,
        messages.iter().map(|m| id_of(m)).collect::<Vec<_>>()
    );
    let last = sent.last().expect("sent");
    let expected: Vec<HistoryEntry> = messages[messages.len() - n - 1..messages.len() - 1]
        .iter()
        .map(|m| entry(&id_of(m), "alice"))
        .collect();
    assert_eq!(last.causal_history, expected);
}

/// js-waku "should track probabilistic acknowledgements of messages received in bloom
/// filter" (`spec.ts:520-601`).
#[test]
fn js_waku_tracks_probabilistic_acknowledgements_of_messages_in_a_received_bloom_filter() {
    let config = js_waku_history(2);
    let (n, threshold) = (config.causal_history_size, config.possible_acks_threshold);
    let mut alice = Channel::new(CHANNEL, "alice", config.clone(), T0, 1);
    let mut bob = Channel::new(CHANNEL, "bob", config, T0, 2);
    let unacknowledged = ["unacknowledged-message-1", "unacknowledged-message-2"];
    let messages: Vec<&str> = MESSAGES_A
        .iter()
        .chain(&MESSAGES_B[..MESSAGES_B.len() - 1])
        .copied()
        .collect();
    for m in &messages {
        let bytes = send(&mut alice, T0, m);
        receive(&mut bob, T0, bytes);
    }
    for m in unacknowledged {
        send(&mut alice, T0, m);
    }
    let bytes = send(&mut bob, T0, MESSAGES_B[MESSAGES_B.len() - 1]);
    receive(&mut alice, T0, bytes);
    let possible: Vec<(String, u32)> = alice
        .outgoing_buffer()
        .filter(|o| o.possible_acks > 0)
        .map(|o| (o.message_id, o.possible_acks))
        .collect();
    // Bob's causal history acknowledged the last N; the others were in his filter once.
    assert_eq!(
        possible,
        messages[..messages.len() - n]
            .iter()
            .map(|m| (id_of(m), 1))
            .collect::<Vec<_>>()
    );
    for m in unacknowledged {
        let o = alice
            .outgoing_buffer()
            .find(|o| o.message_id == id_of(m))
            .expect("still outgoing");
        assert_eq!(o.possible_acks, 0, "{m} never reached bob");
    }
    for i in 1..threshold {
        let bytes = send(&mut bob, T0, &format!("x-{i}"));
        receive(&mut alice, T0, bytes);
    }
    assert!(alice.outgoing_buffer().all(|o| o.possible_acks == 0));
    assert_eq!(
        alice
            .outgoing_buffer()
            .map(|o| o.message_id)
            .collect::<Vec<_>>(),
        unacknowledged.map(id_of)
    );
}

/// js-waku "should partition messages based on acknowledgement status" (`spec.ts:1052-1087`):
/// js-waku's `sweepOutgoingBuffer` splits by possible acknowledgements; here the outgoing
/// buffer's `possible_acks` shows the same split.
#[test]
fn js_waku_partitions_outgoing_messages_by_acknowledgement_status() {
    let config = js_waku_history(2);
    let mut alice = Channel::new(CHANNEL, "alice", config.clone(), T0, 1);
    let mut bob = Channel::new(CHANNEL, "bob", config.clone(), T0, 2);
    for m in MESSAGES_A {
        let bytes = send(&mut alice, T0, m);
        receive(&mut bob, T0, bytes);
    }
    let split = |c: &Channel| {
        let (possibly, unacked): (Vec<_>, Vec<_>) =
            c.outgoing_buffer().partition(|o| o.possible_acks > 0);
        (unacked.len(), possibly.len())
    };
    assert_eq!(split(&alice), (MESSAGES_A.len(), 0));
    // Bob's own messages push alice's out of his causal history.
    for m in &MESSAGES_B[..config.causal_history_size] {
        send(&mut bob, T0, m);
    }
    let bytes = send(&mut bob, T0, MESSAGES_B[config.causal_history_size]);
    receive(&mut alice, T0, bytes);
    assert_eq!(split(&alice), (0, MESSAGES_A.len()));
}

/// js-waku "should add to incoming buffer if dependencies are not met" (`spec.ts:252-285`):
/// the message is buffered, the Lamport clock does not move, the log does not have it.
#[test]
fn js_waku_buffers_a_message_whose_dependencies_are_not_met() {
    let mut alice = Channel::new(CHANNEL, "alice", js_waku(), T0, 1);
    let mut bob = Channel::new(CHANNEL, "bob", js_waku(), T0 - 5_000, 2);
    for m in MESSAGES_A {
        send(&mut alice, T0, m);
    }
    let clock_before = bob.lamport_timestamp();
    let bytes = send(&mut alice, T0, MESSAGES_B[0]);
    receive(&mut bob, T0, bytes);
    let buffered: Vec<_> = bob.incoming_buffer().collect();
    assert_eq!(buffered.len(), 1);
    assert_eq!(buffered[0].message_id, id_of(MESSAGES_B[0]));
    assert_eq!(
        buffered[0]
            .missing_dependencies
            .iter()
            .map(|e| e.message_id.clone())
            .collect::<Vec<_>>(),
        MESSAGES_A.map(id_of)
    );
    assert_eq!(bob.lamport_timestamp(), clock_before);
    assert_eq!(bob.local_log_entries().count(), 0);
}

/// js-waku "should maintain chronological order of messages in localHistory"
/// (`spec.ts:319-393`) and "should handle messages with same timestamp ordered by messageId"
/// (`spec.ts:395-451`).
#[test]
fn js_waku_keeps_the_local_history_in_lamport_then_id_order() {
    let mut alice = Channel::new(CHANNEL, "alice", js_waku(), T0, 1);
    let start = alice.lamport_timestamp();
    send(&mut alice, T0, "message 1");
    let (id2, id3) = (id_of("message 2"), id_of("message 3"));
    receive(&mut alice, T0, content(&id3, "bob", start + 3, Vec::new()));
    receive(
        &mut alice,
        T0,
        content(&id2, "carol", start + 2, Vec::new()),
    );
    let log: Vec<(u64, String)> = alice
        .local_log_entries()
        .map(|e| (e.lamport_timestamp, e.message_id))
        .collect();
    assert_eq!(
        log,
        [
            (start + 1, id_of("message 1")),
            (start + 2, id2),
            (start + 3, id3)
        ]
    );
    let mut alice = Channel::new(CHANNEL, "alice", js_waku(), T0, 1);
    let (a, b) = (id_of("message a"), id_of("message b"));
    receive(&mut alice, T0, content(&b, "bob", 5, Vec::new()));
    receive(&mut alice, T0, content(&a, "carol", 5, Vec::new()));
    let mut expected = [a, b];
    expected.sort();
    assert_eq!(
        alice
            .local_log_entries()
            .map(|e| (e.lamport_timestamp, e.message_id))
            .collect::<Vec<_>>(),
        expected.map(|id| (5, id))
    );
}

fn sds_r() -> Config {
    Config {
        sync: SyncPolicy::Off,
        ..Config::default()
    }
}

/// nim-sds "missing deps added to outgoing repair buffer" (`test_reliability.nim:1091-1125`),
/// "receiving message clears it from repair buffers" (`:1127-1163`) and
/// "markDependenciesMet clears repair buffers" (`:1165-1192`), with the entry's T_req
/// checked against PROTOCOL.md §3 (nim-sds keeps it private).
#[test]
fn nim_sds_missing_dependency_enters_and_leaves_the_outgoing_repair_buffer() {
    let rc = RepairConfig::default();
    for fill in ["receive", "mark"] {
        let mut p = Channel::new(CHANNEL, "test-participant", sds_r(), T0, 1);
        let events = receive(
            &mut p,
            T0,
            content("msg2", "sender-A", 2, vec![entry("msg1", "sender-A")]),
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::MissingDependencies { .. }))
                .count(),
            1
        );
        let buffer: Vec<_> = p.outgoing_repair_buffer().collect();
        assert_eq!(buffer.len(), 1);
        assert_eq!(buffer[0].entry, entry("msg1", "sender-A"));
        assert_eq!(
            buffer[0].t_req_ms,
            repair::t_req_ms("test-participant", "msg1", T0, rc.t_min_ms, rc.t_max_ms)
        );
        if fill == "receive" {
            receive(&mut p, T0 + 1, content("msg1", "sender-A", 1, Vec::new()));
        } else {
            p.mark_dependencies_met(T0 + 1, &["msg1".to_string()]);
        }
        assert_eq!(p.outgoing_repair_buffer().count(), 0, "{fill}");
        assert!(p.is_quiescent(), "{fill}: msg2 released too");
    }
}

/// nim-sds "incoming repair request adds to incoming repair buffer when eligible"
/// (`test_reliability.nim:1270-1316`). nim-sds names its own id as the original sender;
/// here the original sender answers at once (T_resp = now, PROTOCOL.md §3), so the entry is
/// checked for another holder, with its T_resp, and then for the original sender.
#[test]
fn nim_sds_incoming_repair_request_is_queued_when_eligible() {
    let rc = RepairConfig::default();
    let request = |original: &str| {
        encode(&SdsMessage {
            sender_id: "requester".into(),
            message_id: "requester-msg".into(),
            channel_id: CHANNEL.into(),
            lamport_timestamp: Some(5),
            content: Some(Bytes::from_static(&[3])),
            repair_request: vec![entry("cached-msg", original)],
            ..Default::default()
        })
    };
    let mut holder = Channel::new(CHANNEL, "test-participant", sds_r(), T0, 1);
    receive(
        &mut holder,
        T0,
        content("cached-msg", "orig", 1, Vec::new()),
    );
    receive(&mut holder, T0 + 10, request("orig"));
    let queued: Vec<_> = holder.incoming_repair_buffer().collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].message_id, "cached-msg");
    assert_eq!(
        queued[0].t_resp_ms,
        repair::t_resp_ms(
            "test-participant",
            "orig",
            "cached-msg",
            T0 + 10,
            rc.t_max_ms
        )
    );
    // Not held: nothing to answer with.
    let mut stranger = Channel::new(CHANNEL, "stranger", sds_r(), T0, 2);
    receive(&mut stranger, T0 + 10, request("orig"));
    assert_eq!(stranger.incoming_repair_buffer().count(), 0);
    // The original sender: distance 0, answered within the same call.
    let mut orig = Channel::new(CHANNEL, "orig", sds_r(), T0, 3);
    orig.send(T0, Bytes::from_static(b"x")).expect("send");
    let own = orig.poll_transmit().expect("sent").message_id;
    let events = receive(
        &mut orig,
        T0 + 10,
        encode(&SdsMessage {
            repair_request: vec![entry(&own, "orig")],
            ..decode(&request("orig")).expect("decode")
        }),
    );
    assert_eq!(orig.incoming_repair_buffer().count(), 0);
    assert!(events.contains(&Event::RepairResponseSent { message_id: own }));
}

/// nim-sds "duplicate message arrival cancels pending incoming repair entry"
/// (`test_reliability.nim:1621-1664`).
#[test]
fn nim_sds_duplicate_arrival_cancels_a_pending_response() {
    let mut carol = Channel::new(CHANNEL, "carol", sds_r(), T0, 1);
    let m1 = content("m1", "alice", 1, Vec::new());
    receive(&mut carol, T0, m1.clone());
    let request = encode(&SdsMessage {
        sender_id: "bob".into(),
        message_id: "sync-bob".into(),
        channel_id: CHANNEL.into(),
        lamport_timestamp: Some(T0),
        repair_request: vec![entry("m1", "alice")],
        ..Default::default()
    });
    receive(&mut carol, T0 + 1, request);
    assert_eq!(carol.incoming_repair_buffer().count(), 1);
    // Someone else's re-broadcast of m1 arrives first.
    let events = receive(&mut carol, T0 + 2, m1);
    assert_eq!(carol.incoming_repair_buffer().count(), 0);
    assert!(events.is_empty(), "a duplicate: {events:?}");
}
