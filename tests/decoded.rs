//! The core's two receive entry points agree: `Channel::handle_decoded` on a message decoded
//! once (and shared by several receivers) gives the same result, state changes, events,
//! transmissions and timers as `Channel::handle_message` on its bytes, on the `@waku/sds`
//! interop vectors, the reference traces and arbitrary input (issue 16).

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;
use sdsim::sds::wire::{encode, Limits};
use sdsim::sds::{
    Channel, Config, Decoded, Event, HistoryEntry, Pending, RepairConfig, SdsMessage, Transmit,
};
mod vector_files;
use vector_files::{load, num, trace_config, trace_participants, unhex};

/// Everything a channel put out since the last call, and when it wants to wake up.
#[derive(Debug, PartialEq)]
struct Output {
    transmits: Vec<Transmit>,
    events: Vec<Event>,
    timeout: Option<u64>,
    pending: String,
}

fn output(ch: &mut Channel) -> Output {
    Output {
        transmits: std::iter::from_fn(|| ch.poll_transmit()).collect(),
        events: std::iter::from_fn(|| ch.poll_event()).collect(),
        timeout: ch.poll_timeout(),
        pending: format!("{:?}", ch.pending()),
    }
}

/// Two identical channels: `by_bytes` is fed with `handle_message`, `by_decoded` with
/// `handle_decoded`.
struct Twin {
    by_bytes: Channel,
    by_decoded: Channel,
}

impl Twin {
    fn new(channel: &str, me: &str, config: Config, now: u64, seed: u64) -> Twin {
        Twin {
            by_bytes: Channel::new(channel, me, config.clone(), now, seed),
            by_decoded: Channel::new(channel, me, config, now, seed),
        }
    }

    /// Feeds `decoded` (possibly decoded under other limits, possibly shared) to both and
    /// checks that they agree; returns the output.
    fn receive(&mut self, now: u64, decoded: &Decoded, hint: Option<Bytes>, ctx: &str) -> Output {
        let a = self
            .by_bytes
            .handle_message(now, decoded.bytes().clone(), hint.clone());
        let b = self.by_decoded.handle_decoded(now, decoded, hint);
        assert_eq!(a, b, "{ctx}: result");
        let (oa, ob) = (output(&mut self.by_bytes), output(&mut self.by_decoded));
        assert_eq!(oa, ob, "{ctx}: output");
        oa
    }

    fn timeout(&mut self, now: u64, ctx: &str) {
        self.by_bytes.handle_timeout(now);
        self.by_decoded.handle_timeout(now);
        let (oa, ob) = (output(&mut self.by_bytes), output(&mut self.by_decoded));
        assert_eq!(oa, ob, "{ctx}: timeout output");
    }

    fn agree(&self, ctx: &str) {
        let log = |c: &Channel| c.local_log_entries().collect::<Vec<_>>();
        assert_eq!(log(&self.by_bytes), log(&self.by_decoded), "{ctx}: log");
        assert_eq!(
            self.by_bytes.bloom_filter(),
            self.by_decoded.bloom_filter(),
            "{ctx}: bloom filter"
        );
        let buf = |c: &Channel| format!("{:?}", c.incoming_buffer().collect::<Vec<_>>());
        assert_eq!(buf(&self.by_bytes), buf(&self.by_decoded), "{ctx}: buffer");
        assert_eq!(
            self.by_bytes.pending(),
            self.by_decoded.pending(),
            "{ctx}: pending"
        );
        // `is_quiescent` answers without counting: the same as every count being zero.
        for c in [&self.by_bytes, &self.by_decoded] {
            assert_eq!(
                c.is_quiescent(),
                c.pending() == Pending::default(),
                "{ctx}: quiescent"
            );
        }
    }
}

fn repair_config() -> Config {
    Config {
        repair: Some(RepairConfig::default()),
        ..Config::default()
    }
}

#[test]
fn wire_vectors_agree() {
    let v = load("wire.json");
    for (i, vector) in v["vectors"].as_array().expect("vectors").iter().enumerate() {
        let bytes = Bytes::from(unhex(vector["hex"].as_str().expect("hex")));
        let channel = vector["message"]["channel_id"].as_str().expect("channel");
        let ctx = format!("wire vector {i} ({})", vector["name"]);
        for (r, config) in [Config::default(), repair_config()].into_iter().enumerate() {
            let mut twin = Twin::new(channel, "receiver", config, 1_000, r as u64);
            let decoded = Decoded::new(bytes.clone(), twin.by_decoded.limits());
            twin.receive(2_000, &decoded, Some(Bytes::from_static(b"hint")), &ctx);
            // Again: the duplicate path.
            twin.receive(2_100, &decoded, None, &ctx);
            twin.timeout(60_000, &ctx);
            twin.agree(&ctx);
        }
    }
}

#[test]
fn traces_agree_with_one_decoding_per_transmission() {
    let v = load("traces.json");
    for trace in v["traces"].as_array().expect("traces") {
        let name = trace["name"].as_str().expect("name");
        let config = trace_config(trace);
        let steps = trace["steps"].as_array().expect("steps");
        let start = num(&steps[0]["now_ms"]);
        let mut twins: BTreeMap<String, Twin> = BTreeMap::new();
        for (i, p) in trace_participants(trace).iter().enumerate() {
            twins.insert(
                p.clone(),
                Twin::new("0", p, config.clone(), start, i as u64),
            );
        }
        // One decoding per transmission, shared by every participant receiving it.
        let mut wire: BTreeMap<String, Decoded> = BTreeMap::new();
        for (i, step) in steps.iter().enumerate() {
            let p = step["participant"].as_str().expect("participant");
            let now = num(&step["now_ms"]);
            let ctx = format!("{name} step {i} ({} {p})", step["op"]);
            let twin = twins.get_mut(p).expect("participant");
            match step["op"].as_str().expect("op") {
                "send" | "sync" => {
                    let payload = step["payload_hex"].as_str().map(|h| Bytes::from(unhex(h)));
                    let (a, b) = match payload {
                        Some(payload) => (
                            twin.by_bytes.send(now, payload.clone()).map(|_| ()).ok(),
                            twin.by_decoded.send(now, payload).map(|_| ()).ok(),
                        ),
                        None => (
                            twin.by_bytes.send_sync(now).map(|_| ()),
                            twin.by_decoded.send_sync(now).map(|_| ()),
                        ),
                    };
                    assert_eq!(a, b, "{ctx}");
                    let (oa, ob) = (output(&mut twin.by_bytes), output(&mut twin.by_decoded));
                    assert_eq!(oa, ob, "{ctx}");
                    let t = oa.transmits.into_iter().next().expect("transmit");
                    let limits = *twin.by_decoded.limits();
                    wire.insert(
                        step["label"].as_str().expect("label").to_owned(),
                        Decoded::new(t.bytes, &limits),
                    );
                }
                "receive" => {
                    let label = step["label"].as_str().expect("label");
                    twin.receive(now, &wire[label], None, &ctx);
                }
                "sweep_incoming" => twin.timeout(now, &ctx),
                op => panic!("unknown op {op}"),
            }
            twin.agree(&ctx);
        }
    }
}

#[test]
fn other_limits_decode_again_under_the_receivers() {
    let tight = Config {
        max_id_bytes: 4,
        ..Config::default()
    };
    let m = SdsMessage {
        sender_id: "alice".into(),
        message_id: "m1".into(),
        channel_id: "0".into(),
        lamport_timestamp: Some(5),
        content: Some(Bytes::from_static(b"x")),
        ..Default::default()
    };
    let decoded = Decoded::new(encode(&m), &Limits::UNLIMITED);
    assert!(decoded.message().is_ok());
    let mut twin = Twin::new("0", "bob", tight, 1_000, 1);
    twin.receive(1_010, &decoded, None, "tight limits");
    assert!(twin
        .by_decoded
        .handle_decoded(1_020, &decoded, None)
        .is_err());
    let mut twin = Twin::new("0", "bob", Config::default(), 1_000, 1);
    let out = twin.receive(1_010, &decoded, None, "default limits");
    assert!(out
        .events
        .iter()
        .any(|e| matches!(e, Event::Delivered { .. })));
}

fn entry() -> impl Strategy<Value = HistoryEntry> {
    (
        "m[0-9]{1,2}",
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4)),
        proptest::option::of("[a-c]{1,2}"),
    )
        .prop_map(|(message_id, hint, sender_id)| HistoryEntry {
            message_id,
            retrieval_hint: hint.map(Bytes::from),
            sender_id,
        })
}

/// Messages over a small id space, so that histories name earlier messages, duplicates
/// occur and repair requests hit; sometimes another channel, own sender or no content.
fn message() -> impl Strategy<Value = SdsMessage> {
    (
        (
            "[a-c]|me",
            "m[0-9]{1,2}",
            prop_oneof![9 => Just("0"), 1 => Just("1")],
        ),
        proptest::option::of(0u64..50),
        proptest::collection::vec(entry(), 0..4),
        proptest::collection::vec(entry(), 0..2),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4)),
    )
        .prop_map(
            |((sender_id, message_id, channel_id), lamport, history, requests, content)| {
                SdsMessage {
                    sender_id,
                    message_id,
                    channel_id: channel_id.into(),
                    lamport_timestamp: lamport,
                    causal_history: history,
                    bloom_filter: None,
                    repair_request: requests,
                    content: content.map(Bytes::from),
                }
            },
        )
}

/// One input: a valid message, arbitrary bytes, or a timeout.
#[derive(Debug, Clone)]
enum Input {
    Message(SdsMessage),
    Bytes(Vec<u8>),
    Timeout,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        8 => message().prop_map(Input::Message),
        1 => proptest::collection::vec(any::<u8>(), 0..32).prop_map(Input::Bytes),
        1 => Just(Input::Timeout),
    ]
}

proptest! {
    #[test]
    fn arbitrary_input_agrees(inputs in proptest::collection::vec(input(), 1..40), small in any::<bool>()) {
        let config = Config {
            bloom_capacity: 10,
            causal_history_size: 3,
            incoming_buffer_capacity: if small { 3 } else { 100 },
            incoming_buffer_per_sender: if small { 2 } else { 100 },
            max_causal_history_entries: 3,
            repair: Some(RepairConfig::default()),
            ..Config::default()
        };
        let mut twin = Twin::new("0", "me", config.clone(), 1_000, 7);
        // A second receiver sharing the decodings, missing every third message: its log
        // differs, so what the first receiver notes in a shared decoding (where it found the
        // causal history) is wrong for it at times and must change nothing.
        let mut other = Twin::new("0", "other", config, 1_000, 8);
        let mut now = 1_000;
        for (i, input) in inputs.into_iter().enumerate() {
            now += 700;
            let ctx = format!("input {i}");
            let bytes = match input {
                Input::Message(m) => encode(&m),
                Input::Bytes(b) => Bytes::from(b),
                Input::Timeout => {
                    twin.timeout(now, &ctx);
                    other.timeout(now, &ctx);
                    continue;
                }
            };
            let decoded = Decoded::new(bytes, twin.by_decoded.limits());
            twin.receive(now, &decoded, None, &ctx);
            if i % 3 != 2 {
                other.receive(now, &decoded, Some(Bytes::from_static(b"h")), &ctx);
            }
        }
        twin.agree("end");
        other.agree("end");
    }
}
