//! The receive path's borrowed-view decoder (`sds::view`) against prost, the reference
//! (`wire::decode_with_limits`): the same message or the same error on the `@waku/sds`
//! interop vectors and on arbitrary bytes (valid messages, messages with extra, repeated,
//! unknown or mistyped fields, truncated or corrupted ones, random bytes) under arbitrary
//! limits; and a channel fed `Decoded::new` (view) gives the same results, events,
//! transmissions and timers as one fed `Decoded::new_reference` (prost) on the vectors, the
//! reference traces and arbitrary input (issue 16). The pinned core transcripts
//! (`tests/pinned_core.rs`, recorded with prost decoding) pin the same on the view decoder.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;
use prost::Message as _;
use sdsim::sds::wire::{decode_with_limits, Limits};
use sdsim::sds::{
    view, Channel, Config, Decoded, HistoryEntry, RepairConfig, SdsMessage, Transmit,
};
mod vector_files;
use vector_files::{load, num, trace_config, trace_participants, unhex};

/// The view decoder and prost agree on `bytes` under `limits`, value or error, and so do the
/// `Decoded` made from them.
fn decode_alike(bytes: &Bytes, limits: &Limits, ctx: &str) {
    let reference = decode_with_limits(bytes, limits);
    let by_view = view::decode(bytes, limits).map(|v| v.to_message());
    assert_eq!(by_view, reference, "{ctx}: decoding {bytes:02x?}");
    let (a, b) = (
        Decoded::new(bytes.clone(), limits),
        Decoded::new_reference(bytes.clone(), limits),
    );
    assert_eq!(a.message(), b.message(), "{ctx}: Decoded");
}

#[derive(Debug, PartialEq)]
struct Output {
    transmits: Vec<Transmit>,
    events: String,
    timeout: Option<u64>,
    pending: String,
}

fn output(ch: &mut Channel) -> Output {
    Output {
        transmits: std::iter::from_fn(|| ch.poll_transmit()).collect(),
        events: format!(
            "{:?}",
            std::iter::from_fn(|| ch.poll_event()).collect::<Vec<_>>()
        ),
        timeout: ch.poll_timeout(),
        pending: format!("{:?}", ch.pending()),
    }
}

/// Two identical channels: `by_view` gets every message decoded by the view decoder,
/// `by_prost` the same bytes decoded by prost.
struct Twin {
    by_view: Channel,
    by_prost: Channel,
}

impl Twin {
    fn new(channel: &str, me: &str, config: Config, now: u64, seed: u64) -> Twin {
        Twin {
            by_view: Channel::new(channel, me, config.clone(), now, seed),
            by_prost: Channel::new(channel, me, config, now, seed),
        }
    }

    fn receive(&mut self, now: u64, bytes: &Bytes, hint: Option<Bytes>, ctx: &str) {
        let limits = *self.by_view.limits();
        let a =
            self.by_view
                .handle_decoded(now, &Decoded::new(bytes.clone(), &limits), hint.clone());
        let b = self.by_prost.handle_decoded(
            now,
            &Decoded::new_reference(bytes.clone(), &limits),
            hint,
        );
        assert_eq!(a, b, "{ctx}: result");
        self.same_output(ctx);
    }

    fn timeout(&mut self, now: u64, ctx: &str) {
        self.by_view.handle_timeout(now);
        self.by_prost.handle_timeout(now);
        self.same_output(ctx);
    }

    fn same_output(&mut self, ctx: &str) {
        let (a, b) = (output(&mut self.by_view), output(&mut self.by_prost));
        assert_eq!(a, b, "{ctx}: output");
        let log = |c: &Channel| c.local_log_entries().collect::<Vec<_>>();
        assert_eq!(log(&self.by_view), log(&self.by_prost), "{ctx}: log");
        assert_eq!(
            self.by_view.bloom_filter(),
            self.by_prost.bloom_filter(),
            "{ctx}: bloom filter"
        );
        let buf = |c: &Channel| format!("{:?}", c.incoming_buffer().collect::<Vec<_>>());
        assert_eq!(buf(&self.by_view), buf(&self.by_prost), "{ctx}: buffer");
    }
}

fn repair_config() -> Config {
    Config {
        repair: Some(RepairConfig::default()),
        ..Config::default()
    }
}

#[test]
fn wire_vectors_decode_and_deliver_alike() {
    let v = load("wire.json");
    let tight = Limits {
        max_message_bytes: 20_000,
        max_causal_history_entries: 1,
        max_repair_request_entries: 1,
        max_id_bytes: 16,
    };
    for (i, vector) in v["vectors"].as_array().expect("vectors").iter().enumerate() {
        let bytes = Bytes::from(unhex(vector["hex"].as_str().expect("hex")));
        let channel = vector["message"]["channel_id"].as_str().expect("channel");
        let ctx = format!("wire vector {i} ({})", vector["name"]);
        for limits in [
            Limits::UNLIMITED,
            *Channel::new("c", "r", Config::default(), 0, 0).limits(),
            tight,
        ] {
            decode_alike(&bytes, &limits, &ctx);
            for cut in 0..bytes.len().min(300) {
                decode_alike(&bytes.slice(..cut), &limits, &format!("{ctx} cut at {cut}"));
            }
        }
        for (r, config) in [Config::default(), repair_config()].into_iter().enumerate() {
            let mut twin = Twin::new(channel, "receiver", config, 1_000, r as u64);
            twin.receive(2_000, &bytes, Some(Bytes::from_static(b"hint")), &ctx);
            twin.receive(2_100, &bytes, None, &ctx);
            twin.timeout(60_000, &ctx);
        }
    }
}

#[test]
fn traces_deliver_alike() {
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
        let mut wire: BTreeMap<String, Bytes> = BTreeMap::new();
        for (i, step) in steps.iter().enumerate() {
            let p = step["participant"].as_str().expect("participant");
            let now = num(&step["now_ms"]);
            let ctx = format!("{name} step {i} ({} {p})", step["op"]);
            let twin = twins.get_mut(p).expect("participant");
            match step["op"].as_str().expect("op") {
                "send" | "sync" => {
                    let payload = step["payload_hex"].as_str().map(|h| Bytes::from(unhex(h)));
                    match payload {
                        Some(payload) => {
                            let a = twin.by_view.send(now, payload.clone()).ok();
                            let b = twin.by_prost.send(now, payload).ok();
                            assert_eq!(a, b, "{ctx}");
                        }
                        None => {
                            let a = twin.by_view.send_sync(now);
                            let b = twin.by_prost.send_sync(now);
                            assert_eq!(a, b, "{ctx}");
                        }
                    }
                    let a = output(&mut twin.by_view);
                    assert_eq!(a, output(&mut twin.by_prost), "{ctx}");
                    let t = a.transmits.into_iter().next().expect("transmit");
                    wire.insert(step["label"].as_str().expect("label").to_owned(), t.bytes);
                }
                "receive" => {
                    let label = step["label"].as_str().expect("label");
                    twin.receive(now, &wire[label], None, &ctx);
                }
                "sweep_incoming" => twin.timeout(now, &ctx),
                op => panic!("unknown op {op}"),
            }
        }
    }
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn entry() -> impl Strategy<Value = HistoryEntry> {
    (
        prop_oneof!["m[0-9]{1,2}", "[0-9a-f]{64}", "[0-9a-fA-F]{0,70}"],
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4)),
        proptest::option::of("[a-c]{1,2}|é"),
    )
        .prop_map(|(message_id, hint, sender_id)| HistoryEntry {
            message_id,
            retrieval_hint: hint.map(Bytes::from),
            sender_id,
        })
}

fn message() -> impl Strategy<Value = SdsMessage> {
    (
        (
            "[a-c]|me|ü",
            "m[0-9]{1,2}|[0-9a-f]{64}",
            prop_oneof![9 => Just("0"), 1 => Just("1")],
        ),
        proptest::option::of(prop_oneof![0u64..50, any::<u64>()]),
        proptest::collection::vec(entry(), 0..4),
        proptest::collection::vec(entry(), 0..3),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4)),
    )
        .prop_map(
            |((sender_id, message_id, channel_id), lamport, history, requests, bloom, content)| {
                SdsMessage {
                    sender_id,
                    message_id,
                    channel_id: channel_id.into(),
                    lamport_timestamp: lamport,
                    causal_history: history,
                    bloom_filter: bloom.map(Bytes::from),
                    repair_request: requests,
                    content: content.map(Bytes::from),
                }
            },
        )
}

/// One raw field: any field number (the known ones often) with any wire type, a length
/// that may be off by one, a payload of random bytes or an encoded history entry with junk.
fn field() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![3 => prop::sample::select(vec![1u64, 2, 3, 10, 11, 12, 13, 20]), 1 => 0u64..40, 1 => any::<u32>().prop_map(u64::from)],
        prop_oneof![4 => Just(None), 1 => (0u64..8).prop_map(Some)],
        -1i64..=1,
        prop_oneof![
            2 => proptest::collection::vec(any::<u8>(), 0..6),
            1 => (entry(), proptest::collection::vec(any::<u8>(), 0..3)).prop_map(|(e, junk)| {
                let mut b = e.encode_to_vec();
                b.extend(junk);
                b
            }),
        ],
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(number, wire, delta, payload, length_off, value)| {
            // The field's own wire type unless another is drawn (varint for field 10 only).
            let wire = wire.unwrap_or(if number == 10 { 0 } else { 2 });
            let mut out = Vec::new();
            varint(number << 3 | wire, &mut out);
            match wire {
                2 => {
                    let len = payload.len() as i64 + if length_off { delta } else { 0 };
                    varint(len.max(0) as u64, &mut out);
                    out.extend(payload);
                }
                0 if !length_off => varint(value >> (value % 64), &mut out),
                _ => out.extend(payload),
            }
            out
        })
}

/// Bytes for the decoders: valid messages, with raw fields spliced in, cut or corrupted.
fn wire_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => message().prop_map(|m| m.encode_to_vec()),
        3 => (message(), proptest::collection::vec(field(), 0..4), any::<prop::sample::Index>())
            .prop_map(|(m, fields, at)| {
                // Splice at a field boundary of the message: before it or after it.
                let mut b = m.encode_to_vec();
                let extra: Vec<u8> = fields.concat();
                if at.index(2) == 0 {
                    let mut e = extra;
                    e.extend(b);
                    e
                } else {
                    b.extend(extra);
                    b
                }
            }),
        1 => (message(), any::<prop::sample::Index>()).prop_map(|(m, at)| {
            let b = m.encode_to_vec();
            let cut = at.index(b.len() + 1);
            b[..cut].to_vec()
        }),
        1 => (message(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(m, at, x)| {
            let mut b = m.encode_to_vec();
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] ^= x;
            }
            b
        }),
        1 => proptest::collection::vec(field(), 0..6).prop_map(|f| f.concat()),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        1 => Just(Limits::UNLIMITED),
        2 => (0usize..400, 0usize..4, 0usize..3, 0usize..70).prop_map(|(b, h, r, id)| Limits {
            max_message_bytes: b,
            max_causal_history_entries: h,
            max_repair_request_entries: r,
            max_id_bytes: id,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_decode_alike(bytes in wire_bytes(), limits in limits()) {
        decode_alike(&Bytes::from(bytes), &limits, "arbitrary");
    }
}

proptest! {
    #[test]
    fn arbitrary_input_delivers_alike(inputs in proptest::collection::vec(prop_oneof![8 => wire_bytes().prop_map(Some), 1 => Just(None)], 1..40)) {
        let config = Config {
            bloom_capacity: 10,
            causal_history_size: 3,
            max_causal_history_entries: 3,
            max_id_bytes: 64,
            repair: Some(RepairConfig::default()),
            ..Config::default()
        };
        let mut twin = Twin::new("0", "me", config, 1_000, 7);
        let mut now = 1_000;
        for (i, input) in inputs.into_iter().enumerate() {
            now += 700;
            let ctx = format!("input {i}");
            match input {
                Some(bytes) => twin.receive(now, &Bytes::from(bytes), Some(Bytes::from_static(b"h")), &ctx),
                None => twin.timeout(now, &ctx),
            }
        }
    }
}
