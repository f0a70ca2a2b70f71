//! A flood of content messages with missing dependencies cannot grow the core's memory
//! without bound: the incoming buffer, each sender's share of it and the SDS-R buffers stay
//! within their configured capacities.

use bytes::Bytes;
use sdsim::sds::wire::encode;
use sdsim::sds::{Buffer, Channel, Config, Event, HistoryEntry, SdsMessage};

const T0: u64 = 1_700_000_000_000;
const FLOOD: u64 = 100_000;

fn flood_message(sender: &str, i: u64) -> Bytes {
    encode(&SdsMessage {
        sender_id: sender.into(),
        message_id: format!("flood-{sender}-{i}"),
        channel_id: "c".into(),
        lamport_timestamp: Some(T0 + i),
        causal_history: vec![HistoryEntry {
            message_id: format!("never-{sender}-{i}"),
            retrieval_hint: None,
            sender_id: Some(sender.into()),
        }],
        // No bloom filter keeps the test fast; the filter is not what is buffered.
        bloom_filter: None,
        repair_request: Vec::new(),
        content: Some(Bytes::from_static(b"spam")),
    })
}

fn check_bounds(c: &Channel, config: &Config) {
    let p = c.pending();
    let rc = config.repair.expect("repair on");
    assert!(
        p.incoming_buffer <= config.incoming_buffer_capacity,
        "{p:?}"
    );
    assert!(p.repair_requests <= rc.buffer_capacity, "{p:?}");
    assert!(p.repair_responses <= rc.buffer_capacity, "{p:?}");
    // Tracked missing ids: a full outgoing repair buffer plus as many awaiting a later round.
    assert!(
        p.repair_requests + p.repair_awaiting <= 2 * rc.buffer_capacity,
        "{p:?}"
    );
}

#[test]
fn one_peer_flooding_100k_messages_with_missing_dependencies_stays_bounded() {
    let config = Config::default();
    let mut c = Channel::new("c", "victim", config.clone(), T0, 1);
    let mut evicted = 0u64;
    let mut now = T0;
    for i in 0..FLOOD {
        now += 1;
        c.handle_message(now, flood_message("mallory", i), None)
            .expect("valid message");
        if i % 1_000 == 0 {
            c.handle_timeout(now);
        }
        while c.poll_transmit().is_some() {}
        while let Some(e) = c.poll_event() {
            if matches!(
                e,
                Event::Evicted {
                    buffer: Buffer::IncomingBuffer,
                    ..
                }
            ) {
                evicted += 1;
            }
        }
        if i % 97 == 0 {
            assert!(c.pending().incoming_buffer <= config.incoming_buffer_per_sender);
        }
    }
    check_bounds(&c, &config);
    assert_eq!(
        c.pending().incoming_buffer,
        config.incoming_buffer_per_sender
    );
    assert_eq!(evicted, FLOOD - config.incoming_buffer_per_sender as u64);
    // An honest sender still gets room beside the flooder.
    c.handle_message(now + 1, flood_message("alice", 0), None)
        .expect("ok");
    assert_eq!(
        c.pending().incoming_buffer,
        config.incoming_buffer_per_sender + 1
    );
}

#[test]
fn many_senders_flooding_fill_the_buffer_but_not_beyond() {
    let config = Config {
        incoming_buffer_capacity: 2_000,
        incoming_buffer_per_sender: 100,
        ..Config::default()
    };
    let mut c = Channel::new("c", "victim", config.clone(), T0, 1);
    for i in 0..FLOOD / 2 {
        let sender = format!("s{}", i % 97);
        c.handle_message(T0 + i, flood_message(&sender, i), None)
            .expect("ok");
        while c.poll_event().is_some() {}
        while c.poll_transmit().is_some() {}
    }
    check_bounds(&c, &config);
    assert_eq!(c.pending().incoming_buffer, 2_000);
}
