//! Property tests of the SDS core against hostile input.

use bytes::Bytes;
use proptest::prelude::*;
use sdsim::sds::wire::{decode, encode};
use sdsim::sds::{Channel, Config, HistoryEntry, RepairConfig, SdsMessage};

fn entry() -> impl Strategy<Value = HistoryEntry> {
    (
        "[a-z0-9-]{0,12}",
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
        proptest::option::of("[a-zé✓]{0,6}"),
    )
        .prop_map(|(message_id, hint, sender_id)| HistoryEntry {
            message_id,
            retrieval_hint: hint.map(Bytes::from),
            sender_id,
        })
}

fn message() -> impl Strategy<Value = SdsMessage> {
    (
        ("[a-z]{0,6}", "[a-z0-9]{0,10}", "[a-z0-9]{0,3}"),
        proptest::option::of(any::<u64>()),
        proptest::collection::vec(entry(), 0..4),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
        proptest::collection::vec(entry(), 0..4),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
    )
        .prop_map(
            |((sender_id, message_id, channel_id), lamport, history, bloom, requests, content)| {
                SdsMessage {
                    sender_id,
                    message_id,
                    channel_id,
                    lamport_timestamp: lamport,
                    causal_history: history,
                    bloom_filter: bloom.map(Bytes::from),
                    repair_request: requests,
                    content: content.map(Bytes::from),
                }
            },
        )
}

fn small_config() -> Config {
    Config {
        bloom_capacity: 10,
        repair: Some(RepairConfig::default()),
        ..Config::default()
    }
}

proptest! {
    #[test]
    fn decode_inverts_encode(m in message()) {
        prop_assert_eq!(decode(&encode(&m)).expect("decode"), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(inputs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..8)) {
        let mut ch = Channel::new("0", "me", small_config(), 1_000, 7);
        let mut now = 1_000;
        for bytes in inputs {
            now += 10;
            let _ = ch.handle_message(now, Bytes::from(bytes), None);
            ch.handle_timeout(now);
            while ch.poll_transmit().is_some() {}
            while ch.poll_event().is_some() {}
        }
    }

    #[test]
    fn arbitrary_valid_messages_never_panic(msgs in proptest::collection::vec(message(), 1..12)) {
        let mut ch = Channel::new("0", "me", small_config(), 1_000, 7);
        let mut now = 1_000;
        for mut m in msgs {
            m.channel_id = "0".into();
            now += 1_000;
            let _ = ch.handle_message(now, encode(&m), None);
            let _ = ch.send(now, Bytes::from_static(b"x"));
            now += 200_000;
            ch.handle_timeout(now);
            while ch.poll_transmit().is_some() {}
            while ch.poll_event().is_some() {}
        }
    }
}
