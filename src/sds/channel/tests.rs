//! Unit tests of the channel rules (PROTOCOL.md §2, §3).

use bytes::Bytes;

use super::bloom::BloomParams;
use super::wire::{decode, encode};
use super::*;

const T0: u64 = 1_700_000_000_000;

fn cfg() -> Config {
    Config {
        sync: SyncPolicy::Off,
        bloom_capacity: 100,
        bloom_error_rate: 0.01,
        ..Config::default()
    }
}

fn ch(name: &str, config: &Config) -> Channel {
    Channel::new("c", name, config.clone(), T0, 1)
}

fn send(c: &mut Channel, now: u64, payload: &str) -> (String, Bytes) {
    let id = c
        .send(now, Bytes::copy_from_slice(payload.as_bytes()))
        .expect("send");
    let t = c.poll_transmit().expect("transmit");
    assert_eq!(t.kind, TransmitKind::Content);
    (id, t.bytes)
}

fn events(c: &mut Channel) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn transmits(c: &mut Channel) -> Vec<Transmit> {
    std::iter::from_fn(|| c.poll_transmit()).collect()
}

fn delivered(evs: &[Event]) -> Vec<String> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Delivered { message_id, .. } => Some(message_id.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn lamport_send_and_delivery_rules() {
    let mut a = ch("a", &cfg());
    assert_eq!(a.lamport_timestamp(), T0);
    send(&mut a, T0, "1");
    assert_eq!(a.lamport_timestamp(), T0 + 1);
    send(&mut a, T0 + 500, "2");
    assert_eq!(a.lamport_timestamp(), T0 + 500);
    send(&mut a, T0 + 10, "3"); // wall clock behind the Lamport clock
    assert_eq!(a.lamport_timestamp(), T0 + 501);
    a.send_sync(T0 + 20).expect("sync");
    assert_eq!(a.lamport_timestamp(), T0 + 502);
    // Delivery: ts = max(ts, msg.ts).
    let mut b = Channel::new("c", "b", cfg(), T0 - 10_000, 1);
    let mut far = Channel::new("c", "far", cfg(), T0 + 1_000_000, 1);
    let (_, bytes) = send(&mut far, T0, "x");
    b.handle_message(T0, bytes, None).expect("ok");
    assert_eq!(b.lamport_timestamp(), T0 + 1_000_001);
}

#[test]
fn lamport_saturates() {
    let mut a = Channel::new("c", "a", cfg(), u64::MAX, 1);
    let (_, b1) = send(&mut a, u64::MAX, "1");
    assert_eq!(a.lamport_timestamp(), u64::MAX);
    let mut b = ch("b", &cfg());
    let (_, b2) = send(&mut a, u64::MAX, "2");
    assert_eq!(a.lamport_timestamp(), u64::MAX);
    b.handle_message(T0, b1, None).expect("ok");
    b.handle_message(T0, b2, None).expect("ok");
    assert_eq!(delivered(&events(&mut b)).len(), 2);
    assert_eq!(b.lamport_timestamp(), u64::MAX);
}

#[test]
fn causal_history_is_last_n_of_log_oldest_first() {
    let mut a = ch("a", &cfg());
    let mut b = ch("b", &cfg());
    let (m1, b1) = send(&mut a, T0 + 1, "1");
    b.handle_message(T0 + 2, b1, Some(Bytes::from_static(b"hint1")))
        .expect("ok");
    let (m2, _) = send(&mut b, T0 + 3, "2");
    let (m3, _) = send(&mut b, T0 + 4, "3");
    let (_, b4) = send(&mut b, T0 + 5, "4");
    let msg = decode(&b4).expect("decode");
    let ids: Vec<&str> = msg
        .causal_history
        .iter()
        .map(|e| e.message_id.as_str())
        .collect();
    assert_eq!(ids, [m2.as_str(), m3.as_str()]);
    assert_eq!(msg.causal_history[0].sender_id.as_deref(), Some("b"));
    let b5 = {
        let mut c = Config {
            causal_history_size: 4,
            ..cfg()
        };
        c.repair = None;
        let mut b2 = Channel::new("c", "b2", c, T0, 1);
        let mut a2 = ch("a", &cfg());
        let (_, x) = send(&mut a2, T0 + 1, "1");
        b2.handle_message(T0 + 2, x, Some(Bytes::from_static(b"hint1")))
            .expect("ok");
        send(&mut b2, T0 + 3, "2").1
    };
    let msg = decode(&b5).expect("decode");
    assert_eq!(msg.causal_history[0].message_id, m1);
    assert_eq!(
        msg.causal_history[0].retrieval_hint.as_deref(),
        Some(&b"hint1"[..])
    );
    assert_eq!(msg.causal_history[0].sender_id.as_deref(), Some("a"));
    assert_eq!(msg.bloom_filter.as_ref().map(Bytes::len), Some(128));
}

#[test]
fn duplicates_are_delivered_once() {
    let mut a = ch("a", &cfg());
    let mut b = ch("b", &cfg());
    let (_, b1) = send(&mut a, T0, "1");
    for _ in 0..3 {
        b.handle_message(T0 + 1, b1.clone(), None).expect("ok");
    }
    assert_eq!(delivered(&events(&mut b)).len(), 1);
    // A buffered message is a duplicate too.
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (_, _b1) = send(&mut a, T0, "1");
    let (_, b2) = send(&mut a, T0 + 1, "2");
    b.handle_message(T0 + 2, b2.clone(), None).expect("ok");
    b.handle_message(T0 + 3, b2, None).expect("ok");
    assert_eq!(b.pending().incoming_buffer, 1);
}

#[test]
fn delivery_waits_for_a_buffered_dependency_and_releases_in_order() {
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, b1) = send(&mut a, T0, "1");
    let (m2, b2) = send(&mut a, T0 + 1, "2");
    let (m3, b3) = send(&mut a, T0 + 2, "3");
    b.handle_message(T0 + 10, b3, None).expect("ok");
    b.handle_message(T0 + 11, b2, None).expect("ok");
    let evs = events(&mut b);
    assert!(
        delivered(&evs).is_empty(),
        "m3 must wait for m2, itself buffered"
    );
    // Only m1 is truly missing (m2 is held): m3 reported m2 before m2 arrived.
    assert!(evs.iter().any(
        |e| matches!(e, Event::MissingDependencies { message_id, missing }
        if *message_id == m2 && missing[0].message_id == m1)
    ));
    assert_eq!(b.pending().incoming_buffer, 2);
    b.handle_message(T0 + 12, b1, None).expect("ok");
    assert_eq!(delivered(&events(&mut b)), [m1, m2, m3]);
    assert_eq!(b.pending().incoming_buffer, 0);
}

#[test]
fn release_order_is_lamport_then_id() {
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut x = ch("x", &config);
    let mut y = ch("y", &config);
    let mut b = ch("b", &config);
    let (m1, b1) = send(&mut a, T0, "1");
    x.handle_message(T0 + 1, b1.clone(), None).expect("ok");
    y.handle_message(T0 + 1, b1.clone(), None).expect("ok");
    let (late, b_late) = send(&mut x, T0 + 50, "late");
    let (early, b_early) = send(&mut y, T0 + 20, "early");
    b.handle_message(T0 + 60, b_late, None).expect("ok");
    b.handle_message(T0 + 61, b_early, None).expect("ok");
    b.handle_message(T0 + 62, b1, None).expect("ok");
    assert_eq!(delivered(&events(&mut b)), [m1, early, late]);
    let log: Vec<String> = b.local_log().map(ToString::to_string).collect();
    assert_eq!(log.len(), 3);
}

#[test]
fn causal_history_acknowledges() {
    let mut a = ch("a", &cfg());
    let mut b = ch("b", &cfg());
    let (m1, b1) = send(&mut a, T0, "1");
    assert_eq!(a.pending().outgoing_buffer, 1);
    b.handle_message(T0 + 1, b1, None).expect("ok");
    let (_, b2) = send(&mut b, T0 + 2, "2");
    a.handle_message(T0 + 3, b2, None).expect("ok");
    let evs = events(&mut a);
    assert_eq!(evs[0], Event::Acknowledged { message_id: m1 });
    assert_eq!(a.pending().outgoing_buffer, 0);
}

#[test]
fn bloom_hits_count_up_to_the_threshold() {
    let bob_cfg = Config {
        causal_history_size: 0,
        ..cfg()
    };
    let mut a = ch("a", &cfg());
    let mut b = ch("b", &bob_cfg);
    let (m1, b1) = send(&mut a, T0, "1");
    b.handle_message(T0 + 1, b1, None).expect("ok");
    b.send_sync(T0 + 2).expect("sync");
    let s1 = b.poll_transmit().expect("sync").bytes;
    a.handle_message(T0 + 3, s1, None).expect("ok");
    assert_eq!(
        events(&mut a),
        [Event::PossiblyAcknowledged {
            message_id: m1.clone(),
            count: 1
        }]
    );
    b.send_sync(T0 + 4).expect("sync");
    let s2 = b.poll_transmit().expect("sync").bytes;
    a.handle_message(T0 + 5, s2, None).expect("ok");
    assert_eq!(events(&mut a), [Event::Acknowledged { message_id: m1 }]);
    assert_eq!(a.pending().outgoing_buffer, 0);
}

#[test]
fn mismatched_bloom_filter_is_ignored() {
    let mut a = ch("a", &cfg());
    let mut b = ch(
        "b",
        &Config {
            bloom_capacity: 200,
            causal_history_size: 0,
            ..cfg()
        },
    );
    let (_, b1) = send(&mut a, T0, "1");
    b.handle_message(T0 + 1, b1, None).expect("ok");
    b.send_sync(T0 + 2).expect("sync");
    a.handle_message(T0 + 3, b.poll_transmit().expect("t").bytes, None)
        .expect("ok");
    assert!(events(&mut a).is_empty());
}

#[test]
fn own_messages_are_ignored_and_never_ack_themselves() {
    let mut a = ch("a", &cfg());
    let (_, b1) = send(&mut a, T0, "1");
    let (_, b2) = send(&mut a, T0 + 1, "2");
    a.handle_message(T0 + 2, b1, None).expect("ok");
    a.handle_message(T0 + 2, b2, None).expect("ok");
    assert!(events(&mut a).is_empty());
    assert_eq!(a.pending().outgoing_buffer, 2);
    assert_eq!(a.local_log().count(), 2);
}

#[test]
fn wrong_channel_is_ignored_and_malformed_bytes_are_errors() {
    let mut a = Channel::new("other", "a", cfg(), T0, 1);
    let mut b = ch("b", &cfg());
    let (_, b1) = send(&mut a, T0, "1");
    assert_eq!(b.handle_message(T0, b1, None), Ok(()));
    assert!(events(&mut b).is_empty() && b.local_log().count() == 0);
    assert!(matches!(
        b.handle_message(T0, Bytes::from_static(&[0xff, 0xff, 0xff]), None),
        Err(WireError::Decode(_))
    ));
    let invalid = encode(&SdsMessage {
        channel_id: "c".into(),
        ..Default::default()
    });
    assert_eq!(
        b.handle_message(T0, invalid, None),
        Err(WireError::InvalidKind)
    );
    assert!(b.is_quiescent());
}

#[test]
fn send_errors() {
    let mut a = ch(
        "a",
        &Config {
            max_content_bytes: 4,
            message_id: MessageIdRule::PayloadSha256,
            ..cfg()
        },
    );
    assert_eq!(a.send(T0, Bytes::new()), Err(SendError::EmptyPayload));
    assert!(matches!(
        a.send(T0, Bytes::from_static(b"12345")),
        Err(SendError::PayloadTooLarge { len: 5, max: 4 })
    ));
    a.send(T0, Bytes::from_static(b"1")).expect("first");
    assert!(matches!(
        a.send(T0, Bytes::from_static(b"1")),
        Err(SendError::DuplicateMessageId(_))
    ));
    // Unique ids: the same payload twice is fine.
    let mut u = ch("u", &cfg());
    let x = u.send(T0, Bytes::from_static(b"1")).expect("1");
    let y = u.send(T0, Bytes::from_static(b"1")).expect("2");
    assert_ne!(x, y);
}

#[test]
fn resend_period_order_and_give_up() {
    let config = Config {
        resend_interval_ms: 1_000,
        max_resends: 2,
        causal_history_size: 0,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, b1) = send(&mut a, T0, "1");
    let (m2, b2) = send(&mut a, T0, "2");
    // m1 possibly acknowledged by one bloom hit: resent after m2.
    b.handle_message(T0 + 1, b1.clone(), None).expect("ok");
    b.send_sync(T0 + 2).expect("sync");
    a.handle_message(T0 + 3, b.poll_transmit().expect("t").bytes, None)
        .expect("ok");
    events(&mut a);
    assert_eq!(a.poll_timeout(), Some(T0 + 1_000));
    a.handle_timeout(T0 + 999);
    assert!(transmits(&mut a).is_empty());
    a.handle_timeout(T0 + 1_000);
    let t = transmits(&mut a);
    assert_eq!(
        t.iter().map(|t| t.kind).collect::<Vec<_>>(),
        [TransmitKind::Resend; 2]
    );
    assert_eq!((t[0].message_id.as_str(), &t[0].bytes), (m2.as_str(), &b2));
    assert_eq!((t[1].message_id.as_str(), &t[1].bytes), (m1.as_str(), &b1));
    a.handle_timeout(T0 + 2_000);
    assert_eq!(transmits(&mut a).len(), 2);
    a.handle_timeout(T0 + 3_000);
    assert!(transmits(&mut a).is_empty());
    let evs = events(&mut a);
    assert_eq!(evs.len(), 2);
    assert!(evs.contains(&Event::NotAcknowledged { message_id: m1 }));
    assert!(evs.contains(&Event::NotAcknowledged { message_id: m2 }));
    assert!(a.is_quiescent());
}

#[test]
fn sync_message_shape() {
    let mut a = ch("a", &cfg());
    assert_eq!(a.send_sync(T0), None, "nothing to sync yet");
    let (m1, _) = send(&mut a, T0, "1");
    let before = a.lamport_timestamp();
    let id = a.send_sync(T0).expect("sync");
    let t = a.poll_transmit().expect("t");
    assert_eq!(
        (t.kind, t.message_id.as_str()),
        (TransmitKind::Sync, id.as_str())
    );
    let msg = decode(&t.bytes).expect("decode");
    assert_eq!(msg.content, None);
    assert_eq!(msg.lamport_timestamp, Some(before + 1));
    assert_eq!(msg.causal_history[0].message_id, m1);
    assert!(msg.bloom_filter.is_some());
    assert_eq!(a.local_log().count(), 1, "syncs are never logged");
    assert_eq!(a.pending().outgoing_buffer, 1, "syncs are never buffered");
    // A received sync is neither delivered nor logged.
    let mut b = ch("b", &cfg());
    b.handle_message(T0 + 1, t.bytes, None).expect("ok");
    assert!(delivered(&events(&mut b)).is_empty());
    assert_eq!(b.local_log().count(), 0);
}

#[test]
fn ephemeral_messages_are_delivered_on_receipt_only() {
    let mut a = ch("a", &cfg());
    let mut b = ch("b", &cfg());
    let id = a
        .send_ephemeral(T0, Bytes::from_static(b"hi"))
        .expect("send");
    let t = a.poll_transmit().expect("t");
    assert_eq!(t.kind, TransmitKind::Ephemeral);
    assert_eq!(a.lamport_timestamp(), T0);
    b.handle_message(T0, t.bytes, None).expect("ok");
    assert_eq!(
        events(&mut b),
        [Event::EphemeralDelivered {
            message_id: id,
            sender_id: "a".into(),
            content: Bytes::from_static(b"hi")
        }]
    );
    assert!(a.is_quiescent() && b.is_quiescent() && b.local_log().count() == 0);
}

#[test]
fn periodic_sync_phase_is_seeded() {
    let config = Config {
        sync: SyncPolicy::Periodic {
            interval_ms: 30_000,
        },
        resend_interval_ms: 10_000_000,
        ..cfg()
    };
    let first = |seed| {
        Channel::new("c", "a", config.clone(), T0, seed)
            .poll_timeout()
            .expect("timer")
    };
    assert_eq!(first(5), first(5));
    let phases: std::collections::BTreeSet<u64> = (0..20).map(first).collect();
    assert!(phases.len() > 10);
    assert!(phases.iter().all(|t| (T0..T0 + 30_000).contains(t)));
    // Then every interval on the same grid; skipped when nothing to sync.
    let mut a = Channel::new("c", "a", config.clone(), T0, 5);
    let t1 = a.poll_timeout().expect("timer");
    send(&mut a, T0, "1");
    a.handle_timeout(t1);
    assert_eq!(transmits(&mut a).len(), 1);
    assert_eq!(a.poll_timeout(), Some(t1 + 30_000));
    // A late wake-up keeps the grid and sends once.
    a.handle_timeout(t1 + 95_000);
    assert_eq!(transmits(&mut a).len(), 1);
    assert_eq!(a.poll_timeout(), Some(t1 + 120_000));
}

#[test]
fn trickle_suppresses_and_resets() {
    let config = Config {
        sync: SyncPolicy::Trickle {
            i_min_ms: 1_000,
            i_max_ms: 8_000,
            k: 1,
        },
        causal_history_size: 1,
        repair: None,
        ..cfg()
    };
    let mut a = Channel::new("c", "a", config.clone(), T0, 3);
    let mut b = Channel::new("c", "b", config.clone(), T0, 4);
    send(&mut a, T0, "1");
    send(&mut b, T0, "2");
    // Interval 1 (I = 1000): a hears b's sync before its own t => suppressed.
    let t = a.poll_timeout().expect("t");
    assert!((T0 + 500..T0 + 1_000).contains(&t));
    b.send_sync(T0 + 1).expect("sync");
    a.handle_message(T0 + 1, b.poll_transmit().expect("t").bytes, None)
        .expect("ok");
    a.handle_timeout(t);
    assert!(transmits(&mut a).is_empty(), "suppressed: k syncs heard");
    // Interval 2 (I = 2000): nothing heard => sends.
    assert_eq!(a.poll_timeout(), Some(T0 + 1_000));
    a.handle_timeout(T0 + 1_000);
    let t2 = a.poll_timeout().expect("t");
    assert!(
        (T0 + 2_000..T0 + 3_000).contains(&t2),
        "t in [I/2, I) of I = 2000"
    );
    a.handle_timeout(t2);
    assert_eq!(
        transmits(&mut a).iter().map(|t| t.kind).collect::<Vec<_>>(),
        [TransmitKind::Sync]
    );
    // Interval 3 (I = 4000); an inconsistency resets I to 1000.
    a.handle_timeout(T0 + 3_000);
    let now = T0 + 3_100;
    let (_, _m3) = send(&mut b, now, "3");
    let (_, m4) = send(&mut b, now, "4"); // depends on m3, which a never gets
    a.handle_message(now, m4, None).expect("ok");
    let t3 = a.poll_timeout().expect("t");
    assert!(
        (now + 500..now + 1_000).contains(&t3),
        "reset to I_min: {}",
        t3 - now
    );
}

#[test]
fn mark_dependencies_met_releases_and_counts_as_duplicate() {
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, b1) = send(&mut a, T0, "1");
    let (m2, b2) = send(&mut a, T0 + 1, "2");
    b.handle_message(T0 + 2, b2, None).expect("ok");
    assert_eq!(b.pending().repair_requests, 1);
    events(&mut b);
    b.mark_dependencies_met(T0 + 3, std::slice::from_ref(&m1));
    assert_eq!(delivered(&events(&mut b)), [m2]);
    assert_eq!(b.pending(), Pending::default());
    b.handle_message(T0 + 4, b1, None).expect("ok");
    assert!(events(&mut b).is_empty());
}

/// A gap filled by another route (a store query) is acknowledged through the filter: the
/// filter holds received ids (spec "Participant state"; nim-sds `markDependenciesMet` adds
/// them, its test "channel-specific dependency management").
#[test]
fn mark_dependencies_met_adds_the_ids_to_the_bloom_filter() {
    let config = Config {
        causal_history_size: 1,
        possible_acks_threshold: 1,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, _) = send(&mut a, T0, "1"); // lost on the way to b
    let (m2, b2) = send(&mut a, T0 + 1, "2");
    b.handle_message(T0 + 2, b2.clone(), None).expect("ok");
    assert!(!b.bloom_filter_contains(&m1));
    let before = b.bloom_filter().to_vec();
    b.mark_dependencies_met(T0 + 3, &[m1.clone(), "ghost".into()]);
    assert!(b.bloom_filter_contains(&m1));
    assert!(b.bloom_filter_contains("ghost"));
    // m2 was in the filter already (received, then held): marking it again changes nothing.
    let after = b.bloom_filter().to_vec();
    b.mark_dependencies_met(T0 + 3, std::slice::from_ref(&m2));
    assert_eq!(b.bloom_filter(), &after[..]);
    assert_ne!(before, after);
    // b's next message acknowledges m1 to a through its filter (m2 through its history).
    events(&mut a);
    b.send_sync(T0 + 4).expect("sync");
    a.handle_message(T0 + 5, b.poll_transmit().expect("sync").bytes, None)
        .expect("ok");
    let acked: Vec<Event> = events(&mut a);
    assert!(
        acked.contains(&Event::Acknowledged { message_id: m1 }),
        "{acked:?}"
    );
    assert!(acked.contains(&Event::Acknowledged { message_id: m2 }));
    assert_eq!(a.pending().outgoing_buffer, 0);
}

/// Under `BloomRollover::Rebuild` a marked id is one of the ids the filter is rebuilt from.
#[test]
fn marked_ids_survive_a_bloom_rebuild_like_received_ones() {
    let config = Config {
        bloom_capacity: 10,
        bloom_rollover: BloomRollover::Rebuild,
        ..cfg()
    };
    let mut b = ch("b", &config);
    b.mark_dependencies_met(T0, &["old".to_string()]);
    for i in 0..4 {
        b.mark_dependencies_met(T0, &[format!("x{i}")]);
    }
    b.mark_dependencies_met(T0, &["new".to_string()]);
    for i in 4..7 {
        b.mark_dependencies_met(T0, &[format!("x{i}")]);
    }
    // 9 inserts: within 120% of 10. Four more make 13 > 12: rebuilt from the newest 8.
    assert!(b.bloom_filter_contains("old"));
    for i in 7..11 {
        b.mark_dependencies_met(T0, &[format!("x{i}")]);
    }
    assert!(b.bloom_filter_contains("new"));
    assert!(b.bloom_filter_contains("x10"));
    assert!(!b.bloom_filter_contains("old"), "rolled over");
}

#[test]
fn incoming_sweep_re_reports_missing() {
    let config = Config {
        causal_history_size: 1,
        repair: None,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, _) = send(&mut a, T0, "1");
    let (_, b2) = send(&mut a, T0 + 1, "2");
    b.handle_message(T0 + 2, b2, None).expect("ok");
    events(&mut b);
    assert_eq!(b.poll_timeout(), Some(T0 + 2 + 5_000));
    b.handle_timeout(T0 + 5_002);
    let evs = events(&mut b);
    assert!(
        matches!(&evs[..], [Event::MissingDependencies { missing, .. }] if missing[0].message_id == m1)
    );
}

// ---- SDS-R ----

/// Alice sends `n` messages; carol gets only a final one naming them all.
fn gap(n: usize, config: &Config) -> (Channel, Channel, Vec<(String, Bytes)>, Bytes) {
    let config = Config {
        causal_history_size: n,
        ..config.clone()
    };
    let mut a = ch("alice", &config);
    let carol = ch("carol", &config);
    let sent: Vec<(String, Bytes)> = (0..n)
        .map(|i| send(&mut a, T0 + i as u64, &format!("m{i}")))
        .collect();
    let (_, last) = send(&mut a, T0 + 100, "last");
    (a, carol, sent, last)
}

#[test]
fn repair_requests_are_attached_at_most_three_lowest_first() {
    let (_, mut carol, sent, last) = gap(5, &cfg());
    carol.handle_message(T0 + 200, last, None).expect("ok");
    assert_eq!(carol.pending().repair_requests, 5);
    let rc = RepairConfig::default();
    let mut due: Vec<(u64, String)> = sent
        .iter()
        .map(|(id, _)| {
            (
                repair::t_req_ms("carol", id, T0 + 200, rc.t_min_ms, rc.t_max_ms),
                id.clone(),
            )
        })
        .collect();
    due.sort();
    assert_eq!(carol.poll_timeout(), Some(due[0].0.min(T0 + 5_200)));
    carol.handle_timeout(T0 + 200 + rc.t_max_ms);
    let t = transmits(&mut carol);
    assert_eq!(
        t.iter()
            .map(|t| (t.kind, t.repair_requests))
            .collect::<Vec<_>>(),
        [(TransmitKind::Sync, 3), (TransmitKind::Sync, 2)]
    );
    let first = decode(&t[0].bytes).expect("decode");
    let ids: Vec<&str> = first
        .repair_request
        .iter()
        .map(|e| e.message_id.as_str())
        .collect();
    assert_eq!(
        ids,
        due[..3]
            .iter()
            .map(|(_, id)| id.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(first.repair_request[0].sender_id.as_deref(), Some("alice"));
    let sent_events = events(&mut carol)
        .iter()
        .filter(|e| matches!(e, Event::RepairRequestSent { .. }))
        .count();
    assert_eq!(sent_events, 5);
    // Content messages carry due requests too.
    let (_, mut carol, _, last) = gap(5, &cfg());
    carol.handle_message(T0 + 200, last, None).expect("ok");
    carol
        .send(T0 + 200 + rc.t_max_ms, Bytes::from_static(b"x"))
        .expect("send");
    let t = carol.poll_transmit().expect("t");
    assert_eq!((t.kind, t.repair_requests), (TransmitKind::Content, 3));
}

#[test]
fn seeing_a_request_drops_the_own_entry_and_original_sender_answers_at_once() {
    let (mut alice, mut carol, sent, last) = gap(1, &cfg());
    let mut dave = ch(
        "dave",
        &Config {
            causal_history_size: 1,
            ..cfg()
        },
    );
    carol
        .handle_message(T0 + 200, last.clone(), None)
        .expect("ok");
    dave.handle_message(T0 + 200, last, None).expect("ok");
    carol.handle_timeout(T0 + 200 + 120_000);
    let req = carol.poll_transmit().expect("sync with request");
    dave.handle_message(T0 + 200 + 120_001, req.bytes.clone(), None)
        .expect("ok");
    assert_eq!(dave.pending().repair_requests, 0, "someone else asked");
    assert!(events(&mut dave).contains(&Event::RepairRequestReceived {
        message_id: sent[0].0.clone(),
        from: "carol".into()
    }));
    // The original sender answers at once, with the original bytes.
    alice
        .handle_message(T0 + 200 + 120_001, req.bytes, None)
        .expect("ok");
    let t = alice.poll_transmit().expect("response");
    assert_eq!(
        (t.kind, &t.bytes),
        (TransmitKind::RepairResponse, &sent[0].1)
    );
    assert_eq!(
        t.bytes.as_ptr(),
        sent[0].1.as_ptr(),
        "the sent buffer, not a copy"
    );
    assert!(events(&mut alice).contains(&Event::RepairResponseSent {
        message_id: sent[0].0.clone()
    }));
    carol
        .handle_message(T0 + 200 + 120_002, t.bytes, None)
        .expect("ok");
    assert_eq!(delivered(&events(&mut carol)).len(), 2);
    assert!(carol.is_quiescent());
}

#[test]
fn other_holders_respond_at_t_resp_unless_someone_answers_first() {
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let (mut alice, mut carol, sent, last) = gap(1, &config);
    let mut bob = ch("bob", &config);
    let mut erin = ch("erin", &config);
    for b in [&sent[0].1, &last] {
        bob.handle_message(T0 + 150, b.clone(), None).expect("ok");
        erin.handle_message(T0 + 150, b.clone(), None).expect("ok");
    }
    carol.handle_message(T0 + 200, last, None).expect("ok");
    let now = T0 + 200 + 120_000;
    carol.handle_timeout(now);
    let req = carol.poll_transmit().expect("req").bytes;
    bob.handle_message(now, req.clone(), None).expect("ok");
    erin.handle_message(now, req, None).expect("ok");
    let id = &sent[0].0;
    let t_bob = repair::t_resp_ms("bob", "alice", id, now, 120_000);
    let t_erin = repair::t_resp_ms("erin", "alice", id, now, 120_000);
    assert_eq!(bob.pending().repair_responses, 1);
    let (mut first, mut second, t_first) = if t_bob <= t_erin {
        (bob, erin, t_bob)
    } else {
        (erin, bob, t_erin)
    };
    assert!(first.poll_timeout().expect("t") <= t_first);
    first.handle_timeout(t_first);
    let resp = transmits(&mut first)
        .into_iter()
        .find(|t| t.kind == TransmitKind::RepairResponse)
        .expect("response");
    assert_eq!(resp.bytes, sent[0].1);
    // The store keeps the received buffer itself: shared with every holder, never copied.
    assert_eq!(resp.bytes.as_ptr(), sent[0].1.as_ptr());
    second
        .handle_message(t_first + 1, resp.bytes, None)
        .expect("ok");
    assert_eq!(
        second.pending().repair_responses,
        0,
        "someone answered first"
    );
    let _ = &mut alice;
}

#[test]
fn only_response_group_members_queue_a_response() {
    let groups = 10;
    let base = Config {
        causal_history_size: 1,
        repair: Some(RepairConfig {
            num_response_groups: groups,
            ..RepairConfig::default()
        }),
        ..cfg()
    };
    let (_, mut carol, sent, last) = gap(1, &base);
    carol
        .handle_message(T0 + 200, last.clone(), None)
        .expect("ok");
    carol.handle_timeout(T0 + 200 + 120_000);
    let req = carol.poll_transmit().expect("req").bytes;
    let id = &sent[0].0;
    let mut members = 0;
    for i in 0..30 {
        let name = format!("p{i}");
        let mut p = ch(&name, &base);
        p.handle_message(T0 + 150, sent[0].1.clone(), None)
            .expect("ok");
        p.handle_message(T0 + 120_300, req.clone(), None)
            .expect("ok");
        let expected = repair::in_response_group(&name, "alice", id, groups);
        assert_eq!(p.pending().repair_responses == 1, expected, "{name}");
        members += usize::from(expected);
    }
    assert!(members > 0 && members < 30);
}

#[test]
fn lost_response_is_re_requested_then_declared_lost() {
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let (_, mut carol, sent, last) = gap(1, &config);
    let id = sent[0].0.clone();
    carol.handle_message(T0 + 200, last, None).expect("ok");
    assert_eq!(carol.pending().repair_requests, 1);
    // Dave asks first: carol drops her own entry (this round is used up)...
    let mut now = T0 + 300;
    let dave_request = encode(&SdsMessage {
        sender_id: "dave".into(),
        message_id: "sync-dave".into(),
        channel_id: "c".into(),
        lamport_timestamp: Some(now),
        repair_request: vec![HistoryEntry {
            message_id: id.clone(),
            retrieval_hint: None,
            sender_id: Some("alice".into()),
        }],
        ..Default::default()
    });
    carol.handle_message(now, dave_request, None).expect("ok");
    assert_eq!(carol.pending().repair_requests, 0);
    assert_eq!(carol.pending().repair_awaiting, 1);
    events(&mut carol);
    // ...and the response never reaches her. Her sweeps re-add the entry once T_max has passed,
    // she requests again (3 rounds in all), then declares the id irretrievably lost.
    let mut requests = 0;
    let mut lost_at = None;
    while let Some(t) = carol.poll_timeout() {
        now = t.max(now);
        carol.handle_timeout(now);
        requests += transmits(&mut carol)
            .iter()
            .map(|t| t.repair_requests)
            .sum::<u32>();
        if events(&mut carol).contains(&Event::IrretrievablyLost {
            message_id: id.clone(),
        }) {
            lost_at = Some(now);
            break;
        }
        assert!(now < T0 + 10_000_000, "must give up");
    }
    assert!(lost_at.is_some(), "gave up");
    assert_eq!(requests, 2, "rounds 2 and 3 (round 1 was dave's)");
    assert_eq!(
        carol.pending().incoming_buffer,
        1,
        "the waiting message stays buffered"
    );
    assert_eq!(carol.pending().repair_requests, 0);
    assert_eq!(carol.pending().repair_awaiting, 0);
    // No busy timers afterwards: only the sweep for the buffered message remains.
    let next = carol.poll_timeout().expect("sweep");
    assert!(next > now);
}

/// A full outgoing repair buffer evicts as js-waku's `OutgoingRepairBuffer.add`
/// (`repair/buffers.ts:53-69`): the held entry with the latest T_req goes, then the new entry
/// is inserted. With capacity 3 and four missing ids A, B, C, D (noticed in that order): the
/// latest of A, B, C is evicted, D is kept; that is the three earliest T_req of the four
/// unless D's own T_req is the latest (js-waku `buffers.spec.ts:41-58` tests the first case;
/// the second follows from evicting before inserting). The evicted id stays tracked and is
/// requested later, in a round of its own.
#[test]
fn full_outgoing_repair_buffer_evicts_the_latest_t_req_then_requests_it_later() {
    let rc = RepairConfig {
        buffer_capacity: 3,
        ..RepairConfig::default()
    };
    let config = Config {
        repair: Some(rc),
        ..cfg()
    };
    let now = T0 + 200;
    let t_req = |id: &str| repair::t_req_ms("carol", id, now, rc.t_min_ms, rc.t_max_ms);
    // Ids named g0, g1, ... with T_req known in advance: pick A, B, C, D per case.
    let names: Vec<String> = (0..64).map(|i| format!("g{i}")).collect();
    let pick = |d_latest: bool| -> [String; 4] {
        for a in 0..names.len() {
            for d in 0..names.len() {
                let abc = [a, (a + 1) % names.len(), (a + 2) % names.len()];
                if abc.contains(&d) {
                    continue;
                }
                let max_abc = abc.iter().map(|&i| t_req(&names[i])).max().unwrap_or(0);
                if (t_req(&names[d]) > max_abc) == d_latest {
                    return [abc[0], abc[1], abc[2], d].map(|i| names[i].clone());
                }
            }
        }
        panic!("no such ids");
    };
    for d_latest in [false, true] {
        let ids = pick(d_latest);
        let mut carol = ch("carol", &config);
        let named = encode(&SdsMessage {
            sender_id: "alice".into(),
            message_id: "names-four".into(),
            channel_id: "c".into(),
            lamport_timestamp: Some(T0 + 100),
            causal_history: ids
                .iter()
                .map(|id| HistoryEntry {
                    message_id: id.clone(),
                    retrieval_hint: None,
                    sender_id: Some("alice".into()),
                })
                .collect(),
            content: Some(Bytes::from_static(b"x")),
            ..Default::default()
        });
        carol.handle_message(now, named, None).expect("ok");
        let evicted = ids[..3]
            .iter()
            .max_by_key(|id| (t_req(id), (*id).clone()))
            .expect("three")
            .clone();
        let mut kept: Vec<(u64, String)> = ids
            .iter()
            .filter(|id| **id != evicted)
            .map(|id| (t_req(id), id.clone()))
            .collect();
        kept.sort();
        assert_eq!(
            carol
                .outgoing_repair_buffer()
                .map(|e| (e.t_req_ms, e.entry.message_id))
                .collect::<Vec<_>>(),
            kept,
            "D latest: {d_latest}"
        );
        if !d_latest {
            // The three earliest T_req of the four.
            let mut all: Vec<u64> = ids.iter().map(|id| t_req(id)).collect();
            all.sort();
            assert!(kept.iter().map(|(t, _)| *t).eq(all[..3].iter().copied()));
        }
        assert!(events(&mut carol).contains(&Event::Evicted {
            buffer: Buffer::OutgoingRepairBuffer,
            message_id: MessageId::new(&evicted),
        }));
        assert_eq!(
            (
                carol.pending().repair_requests,
                carol.pending().repair_awaiting
            ),
            (3, 1)
        );
        // Nobody answers: every id is requested, the evicted one too, before any is lost.
        let mut requested: Vec<String> = Vec::new();
        let mut lost: Vec<String> = Vec::new();
        let mut t = now;
        while let Some(next) = carol.poll_timeout() {
            if next > now + 20 * rc.t_max_ms {
                break;
            }
            t = next.max(t);
            carol.handle_timeout(t);
            transmits(&mut carol);
            for e in events(&mut carol) {
                match e {
                    Event::RepairRequestSent { message_id } => requested.push(message_id),
                    Event::IrretrievablyLost { message_id } => lost.push(message_id),
                    _ => {}
                }
            }
        }
        for id in &ids {
            let n = requested.iter().filter(|r| *r == id).count();
            assert_eq!(
                n, rc.max_requests_per_message as usize,
                "{id}: every round requested (evicted: {evicted})"
            );
        }
        assert_eq!(lost.len(), 4, "then each declared lost once");
    }
}

// ---- retrieval hints, lost timeout, evictions, roll-over, reliable-channel sync ----

fn lost_of(evs: &[Event]) -> Vec<String> {
    evs.iter()
        .filter_map(|e| match e {
            Event::IrretrievablyLost { message_id } => Some(message_id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn retrieval_hint_of_own_message_travels_in_history_and_missing_report() {
    let config = Config {
        causal_history_size: 1,
        repair: None,
        ..cfg()
    };
    let mut a = ch("alice", &config);
    let mut b = ch("bob", &config);
    let (m1, _lost) = send(&mut a, T0, "one");
    assert!(a.set_retrieval_hint(&m1, Bytes::from_static(b"waku-hash-1")));
    assert!(!a.set_retrieval_hint("unknown", Bytes::from_static(b"x")));
    let (_, m2) = send(&mut a, T0 + 1, "two");
    let h = &decode(&m2).expect("decode").causal_history[0];
    assert_eq!(h.message_id, m1);
    assert_eq!(h.retrieval_hint.as_deref(), Some(&b"waku-hash-1"[..]));
    b.handle_message(T0 + 2, m2, None).expect("ok");
    let missing: Vec<HistoryEntry> = events(&mut b)
        .into_iter()
        .find_map(|e| match e {
            Event::MissingDependencies { missing, .. } => Some(missing),
            _ => None,
        })
        .expect("missing reported");
    assert_eq!(missing[0].message_id, m1);
    assert_eq!(
        missing[0].retrieval_hint.as_deref(),
        Some(&b"waku-hash-1"[..])
    );
}

/// alice sends m1 (lost), m2 (names m1), m3 (names m2); bob gets m3, then m2 later.
fn chain(config: &Config) -> (Channel, [(String, Bytes); 3]) {
    let config = Config {
        causal_history_size: 1,
        ..config.clone()
    };
    let mut a = ch("alice", &config);
    let b = ch("bob", &config);
    let m1 = send(&mut a, T0, "one");
    let m2 = send(&mut a, T0 + 1, "two");
    let m3 = send(&mut a, T0 + 2, "three");
    (b, [m1, m2, m3])
}

fn run_until(c: &mut Channel, until: u64) -> Vec<Event> {
    let mut evs = Vec::new();
    while let Some(t) = c.poll_timeout() {
        if t > until {
            break;
        }
        c.handle_timeout(t);
        transmits(c);
        evs.extend(events(c));
    }
    evs
}

#[test]
fn lost_timeout_delivers_anyway_but_never_before_a_buffered_dependency() {
    let config = Config {
        lost_timeout_ms: Some(10_000),
        repair: None,
        ..cfg()
    };
    let (mut b, [m1, m2, m3]) = chain(&config);
    b.handle_message(T0 + 100, m3.1, None).expect("ok");
    b.handle_message(T0 + 5_100, m2.1, None).expect("ok");
    events(&mut b);
    // m3 times out at +10,100 but m2 (its dependency) is still held: nothing is delivered.
    let evs = run_until(&mut b, T0 + 10_200);
    assert!(delivered(&evs).is_empty(), "{evs:?}");
    assert!(lost_of(&evs).is_empty(), "m2 is held, not lost: {evs:?}");
    // m2 times out at +15,100: m1 is declared lost once, then m2 and m3 are delivered in order.
    let evs = run_until(&mut b, T0 + 15_200);
    assert_eq!(lost_of(&evs), vec![m1.0.clone()]);
    assert_eq!(delivered(&evs), vec![m2.0, m3.0]);
    assert!(b.is_quiescent());
    // m1 arriving late is still delivered (once).
    b.handle_message(T0 + 20_000, m1.1.clone(), None)
        .expect("ok");
    b.handle_message(T0 + 20_001, m1.1, None).expect("ok");
    assert_eq!(delivered(&events(&mut b)), vec![m1.0]);
}

#[test]
fn lost_policy_drop_drops_the_message_and_its_waiters() {
    let config = Config {
        lost_timeout_ms: Some(10_000),
        lost_policy: LostPolicy::Drop,
        repair: None,
        ..cfg()
    };
    let (mut b, [m1, m2, m3]) = chain(&config);
    b.handle_message(T0 + 100, m2.1, None).expect("ok");
    b.handle_message(T0 + 200, m3.1, None).expect("ok");
    events(&mut b);
    let evs = run_until(&mut b, T0 + 10_150);
    assert_eq!(lost_of(&evs), vec![m1.0]);
    assert!(evs.contains(&Event::DroppedLost {
        message_id: m2.0.clone()
    }));
    assert!(delivered(&evs).is_empty());
    // m3 waited only on m2, which was dropped: when m3's own timeout comes, m2 is lost too.
    let evs = run_until(&mut b, T0 + 10_250);
    assert_eq!(lost_of(&evs), vec![m2.0]);
    assert!(evs.contains(&Event::DroppedLost { message_id: m3.0 }));
    assert!(b.is_quiescent());
}

#[test]
fn sds_r_give_up_and_lost_timeout_report_an_id_once() {
    let config = Config {
        causal_history_size: 1,
        lost_timeout_ms: Some(2_000_000),
        ..cfg()
    };
    let (_, mut carol, sent, last) = gap(1, &config);
    carol.handle_message(T0 + 200, last, None).expect("ok");
    let evs = run_until(&mut carol, T0 + 3_000_000);
    // SDS-R gives up first (3 rounds + T_max < 2,000 s); the timeout then only delivers.
    assert_eq!(lost_of(&evs), vec![sent[0].0.clone()]);
    assert_eq!(delivered(&evs).len(), 1);
    let give_up = evs
        .iter()
        .position(|e| matches!(e, Event::IrretrievablyLost { .. }))
        .expect("lost");
    let delivery = evs
        .iter()
        .position(|e| matches!(e, Event::Delivered { .. }))
        .expect("delivered");
    assert!(give_up < delivery);
    assert!(carol.is_quiescent());
}

#[test]
fn evicted_log_ids_still_count_as_delivered_until_the_delivered_set_forgets_them() {
    let config = Config {
        causal_history_size: 0,
        local_log_capacity: 2,
        delivered_ids_capacity: 2,
        repair: None,
        ..cfg()
    };
    let mut a = ch("alice", &config);
    let mut b = ch("bob", &config);
    let sent: Vec<(String, Bytes)> = (0..6)
        .map(|i| send(&mut a, T0 + i, &format!("m{i}")))
        .collect();
    for (_, bytes) in &sent[..4] {
        b.handle_message(T0 + 10, bytes.clone(), None).expect("ok");
    }
    let evs = events(&mut b);
    assert!(evs.contains(&Event::Evicted {
        buffer: Buffer::LocalLog,
        message_id: MessageId::new(&sent[0].0)
    }));
    // m0 left the log (capacity 2) but is remembered: a resend is a duplicate.
    b.handle_message(T0 + 20, sent[0].1.clone(), None)
        .expect("ok");
    assert!(delivered(&events(&mut b)).is_empty());
    // Two more deliveries push m0 out of the delivered set too: the documented consequence.
    for (_, bytes) in &sent[4..] {
        b.handle_message(T0 + 30, bytes.clone(), None).expect("ok");
    }
    assert!(events(&mut b).contains(&Event::Evicted {
        buffer: Buffer::DeliveredIds,
        message_id: MessageId::new(&sent[0].0)
    }));
    b.handle_message(T0 + 40, sent[0].1.clone(), None)
        .expect("ok");
    assert_eq!(delivered(&events(&mut b)), vec![sent[0].0.clone()]);
}

#[test]
fn a_dependency_evicted_from_the_log_is_still_met() {
    let config = Config {
        causal_history_size: 3,
        local_log_capacity: 1,
        repair: None,
        ..cfg()
    };
    let mut a = ch("alice", &config);
    let mut b = ch("bob", &config);
    let m: Vec<(String, Bytes)> = (0..3)
        .map(|i| send(&mut a, T0 + i, &format!("m{i}")))
        .collect();
    for (_, bytes) in &m {
        b.handle_message(T0 + 10, bytes.clone(), None).expect("ok");
    }
    assert_eq!(delivered(&events(&mut b)).len(), 3);
    assert_eq!(b.pending().incoming_buffer, 0);
}

#[test]
fn incoming_buffer_evicts_the_highest_and_limits_each_sender() {
    let config = Config {
        causal_history_size: 1,
        incoming_buffer_capacity: 4,
        incoming_buffer_per_sender: 2,
        repair: None,
        ..cfg()
    };
    let mut b = ch("bob", &config);
    let msg = |sender: &str, id: &str, lamport: u64| {
        encode(&SdsMessage {
            sender_id: sender.into(),
            message_id: id.into(),
            channel_id: "c".into(),
            lamport_timestamp: Some(lamport),
            causal_history: vec![HistoryEntry {
                message_id: format!("missing-{id}"),
                ..Default::default()
            }],
            content: Some(Bytes::from_static(b"x")),
            ..Default::default()
        })
    };
    for (i, l) in [5u64, 3, 9].into_iter().enumerate() {
        b.handle_message(T0, msg("mallory", &format!("f{i}"), l), None)
            .expect("ok");
    }
    // Third from mallory: her highest (f2, Lamport 9, the new one) is not held.
    assert_eq!(b.pending().incoming_buffer, 2);
    assert!(events(&mut b).contains(&Event::Evicted {
        buffer: Buffer::IncomingBuffer,
        message_id: "f2".into()
    }));
    b.handle_message(T0, msg("mallory", "f3", 1), None)
        .expect("ok");
    assert!(events(&mut b).contains(&Event::Evicted {
        buffer: Buffer::IncomingBuffer,
        message_id: "f0".into()
    }));
    for (i, l) in [4u64, 2, 8].into_iter().enumerate() {
        b.handle_message(T0, msg(&format!("s{i}"), &format!("g{i}"), l), None)
            .expect("ok");
    }
    // Whole buffer (4) full: the global highest (g2, Lamport 8 > f1's 3) was not held.
    assert_eq!(b.pending().incoming_buffer, 4);
    assert!(events(&mut b).contains(&Event::Evicted {
        buffer: Buffer::IncomingBuffer,
        message_id: "g2".into()
    }));
}

#[test]
fn hostile_messages_are_typed_errors_and_change_nothing() {
    let config = Config {
        max_message_bytes: 30_000,
        max_causal_history_entries: 2,
        max_repair_request_entries: 1,
        max_id_bytes: 10,
        ..cfg()
    };
    let mut b = ch("bob", &config);
    let base = SdsMessage {
        sender_id: "alice".into(),
        message_id: "m".into(),
        channel_id: "c".into(),
        lamport_timestamp: Some(T0),
        content: Some(Bytes::from_static(b"x")),
        ..Default::default()
    };
    let e = HistoryEntry {
        message_id: "d".into(),
        ..Default::default()
    };
    let too_big = Bytes::from(vec![0u8; 30_001]);
    assert!(matches!(
        b.handle_message(T0, too_big, None),
        Err(WireError::TooLarge {
            len: 30_001,
            max: 30_000
        })
    ));
    let mut m = base.clone();
    m.causal_history = vec![e.clone(); 3];
    assert!(matches!(
        b.handle_message(T0, encode(&m), None),
        Err(WireError::TooManyHistoryEntries { count: 3, max: 2 })
    ));
    let mut m = base.clone();
    m.repair_request = vec![e.clone(); 2];
    assert!(matches!(
        b.handle_message(T0, encode(&m), None),
        Err(WireError::TooManyRepairRequests { count: 2, max: 1 })
    ));
    let mut m = base.clone();
    m.sender_id = "a-very-long-sender".into();
    assert!(matches!(
        b.handle_message(T0, encode(&m), None),
        Err(WireError::IdTooLong {
            field: "sender_id",
            ..
        })
    ));
    assert!(events(&mut b).is_empty());
    assert!(b.local_log().next().is_none());
    // Lamport near u64::MAX saturates instead of overflowing.
    let mut m = base;
    m.lamport_timestamp = Some(u64::MAX);
    b.handle_message(T0, encode(&m), None).expect("ok");
    assert_eq!(b.lamport_timestamp(), u64::MAX);
    b.send(T0, Bytes::from_static(b"y")).expect("send");
    assert_eq!(b.lamport_timestamp(), u64::MAX);
}

#[test]
fn bloom_rollover_rebuild_keeps_the_newest_80_percent() {
    let config = Config {
        bloom_capacity: 10,
        bloom_rollover: BloomRollover::Rebuild,
        causal_history_size: 0,
        repair: None,
        ..cfg()
    };
    let mut a = ch("alice", &config);
    let ids: Vec<String> = (0..13)
        .map(|i| send(&mut a, T0 + i, &format!("m{i}")).0)
        .collect();
    // The 13th insert exceeds 12 (120%): rebuilt from the newest 8 (80%).
    assert!(ids[5..].iter().all(|id| a.bloom.contains(id)));
    let params = *a.bloom.params();
    let mut fresh = BloomFilter::new(params);
    for id in &ids[5..] {
        fresh.insert(id);
    }
    assert_eq!(a.bloom.to_bytes(), fresh.to_bytes());
    assert_eq!(
        a.bloom.to_bytes().len(),
        params.byte_len(),
        "length unchanged"
    );
    let mut none = ch(
        "alice",
        &Config {
            bloom_rollover: BloomRollover::None,
            ..config
        },
    );
    for i in 0..13 {
        send(&mut none, T0 + i, &format!("m{i}"));
    }
    assert!(ids.iter().all(|id| none.bloom.contains(id)));
}

#[test]
fn reliable_channel_sync_timer_follows_js_waku_multipliers() {
    let config = Config {
        sync: SyncPolicy::ReliableChannel {
            interval_ms: 30_000,
        },
        repair: None,
        resend_interval_ms: 10_000_000,
        causal_history_size: 1,
        ..cfg()
    };
    let within = |c: &Channel, now: u64, span: u64| {
        let t = c.poll_timeout().expect("timer");
        assert!(t >= now && t < now + span, "{} not in [0, {span})", t - now);
        t
    };
    let mut a = ch("alice", &config);
    let mut b = ch("bob", &config);
    within(&a, T0, 30_000); // start: × 1
    let (_, m) = send(&mut a, T0 + 10, "x");
    within(&a, T0 + 10, 30_000); // own content: × 1
    let mut spans = Vec::new();
    for i in 0..40u64 {
        let mut r = Channel::new("c", "r", config.clone(), T0, i);
        r.handle_message(T0 + 20, m.clone(), None).expect("ok");
        spans.push(within(&r, T0 + 20, 15_000) - (T0 + 20)); // received content: × 0.5
    }
    assert!(spans.iter().any(|&s| s > 7_500), "uses the whole window");
    b.handle_message(T0 + 20, m.clone(), None).expect("ok");
    let t = b.poll_timeout().expect("timer");
    b.handle_timeout(t);
    let sync = transmits(&mut b);
    assert_eq!(sync.len(), 1);
    assert_eq!(sync[0].kind, TransmitKind::Sync);
    let mut after_fire = Vec::new();
    for i in 0..40u64 {
        let mut r = Channel::new("c", "r", config.clone(), T0, i);
        r.handle_message(T0 + 20, m.clone(), None).expect("ok");
        let t = r.poll_timeout().expect("timer");
        r.handle_timeout(t);
        after_fire.push(within(&r, t, 60_000) - t); // own sync: × 2
    }
    assert!(after_fire.iter().any(|&s| s > 30_000));
    a.handle_message(t, sync[0].bytes.clone(), None)
        .expect("ok");
    within(&a, t, 30_000); // received sync: × 1
                           // A duplicate re-arms nothing.
    let before = b.poll_timeout();
    b.handle_message(t + 1, m, None).expect("ok");
    assert_eq!(b.poll_timeout(), before);
}

#[test]
fn sync_ids_are_deterministic_per_participant_and_lamport() {
    let mut a1 = ch("a", &cfg());
    let mut a2 = ch("a", &cfg());
    send(&mut a1, T0, "1");
    send(&mut a2, T0, "1");
    let (s1, s2) = (a1.send_sync(T0 + 5), a2.send_sync(T0 + 5));
    assert_eq!(s1, s2);
    assert!(s1.expect("sync").starts_with("sync-"));
    assert_ne!(a1.send_sync(T0 + 6), s2, "a later sync has a new id");
}

/// The causal history is the newest `causal_history_size` log entries in (Lamport, id) order
/// whatever the arrival order (late deliveries land in the middle of the log), with each
/// entry's sender and latest retrieval hint; with a log capacity below the history size the
/// history is the whole log.
#[test]
fn causal_history_is_the_newest_log_entries() {
    let history_of = |c: &mut Channel, now: u64| {
        let (_, bytes) = send(c, now, &format!("probe {now}"));
        let m = decode(&bytes).expect("decode");
        let _ = events(c);
        m.causal_history
            .into_iter()
            .map(|e| (e.message_id, e.sender_id, e.retrieval_hint))
            .collect::<Vec<_>>()
    };
    for (history, capacity) in [(3usize, 10_000usize), (3, 2), (0, 10_000), (1, 1)] {
        let config = Config {
            causal_history_size: history,
            local_log_capacity: capacity,
            ..cfg()
        };
        let mut senders: Vec<Channel> = (0..4).map(|i| ch(&format!("s{i}"), &config)).collect();
        let mut msgs = Vec::new();
        for (i, s) in senders.iter_mut().enumerate() {
            msgs.push(send(s, T0 + 10 * i as u64 + 10, "m"));
        }
        let mut r = ch("r", &config);
        // Newest first, so each delivery lands below the previous ones.
        for (_, bytes) in msgs.iter().rev() {
            r.handle_message(T0 + 100, bytes.clone(), None).expect("ok");
        }
        let oldest = &msgs[0].0;
        let newest = &msgs[3].0;
        assert!(r.set_retrieval_hint(newest, Bytes::from_static(b"hint")));
        // The oldest is still in a log that holds all four, whether or not a history can
        // still name it.
        assert_eq!(
            r.set_retrieval_hint(oldest, Bytes::from_static(b"old")),
            capacity >= 4
        );
        // Expected: the log in order, cut to its capacity, then the newest `history`.
        let mut log: Vec<(u64, String, String)> = msgs
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (T0 + 10 * i as u64 + 10, id.clone(), format!("s{i}")))
            .collect();
        log.sort();
        let kept = &log[log.len().saturating_sub(capacity)..];
        assert_eq!(
            r.local_log().map(ToString::to_string).collect::<Vec<_>>(),
            kept.iter().map(|(_, id, _)| id.clone()).collect::<Vec<_>>()
        );
        let want: Vec<_> = kept[kept.len().saturating_sub(history)..]
            .iter()
            .map(|(_, id, sender)| {
                let hint = (id == newest).then(|| Bytes::from_static(b"hint"));
                let hint = hint.or_else(|| (id == oldest).then(|| Bytes::from_static(b"old")));
                (id.clone(), Some(sender.clone()), hint)
            })
            .collect();
        assert_eq!(
            history_of(&mut r, T0 + 200),
            want,
            "history {history}, capacity {capacity}"
        );
    }
}

// ---- read-only inspection (inspect.rs) ----

#[test]
fn inspect_outgoing_buffer_shows_possible_acks_and_resends_oldest_first() {
    let config = Config {
        causal_history_size: 1,
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, b1) = send(&mut a, T0, "1");
    let (m2, b2) = send(&mut a, T0 + 1, "2");
    let (m3, _) = send(&mut a, T0 + 2, "3"); // never reaches b
    let view = |a: &Channel| {
        a.outgoing_buffer()
            .map(|o| (o.message_id, o.possible_acks, o.resends, o.next_resend_ms))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        view(&a),
        [
            (m1.clone(), 0, 0, T0 + 30_000),
            (m2.clone(), 0, 0, T0 + 30_001),
            (m3.clone(), 0, 0, T0 + 30_002),
        ]
    );
    b.handle_message(T0 + 3, b1, None).expect("ok");
    b.handle_message(T0 + 3, b2, None).expect("ok");
    b.send_sync(T0 + 4).expect("sync");
    // b's history names m2 (acknowledged); its filter matches m1 (one possible ack of two).
    a.handle_message(T0 + 5, b.poll_transmit().expect("sync").bytes, None)
        .expect("ok");
    assert_eq!(
        view(&a),
        [
            (m1.clone(), 1, 0, T0 + 30_000),
            (m3.clone(), 0, 0, T0 + 30_002)
        ]
    );
    a.handle_timeout(T0 + 30_002);
    assert_eq!(view(&a), [(m1, 1, 1, T0 + 60_002), (m3, 0, 1, T0 + 60_002)]);
    assert_eq!(a.outgoing_buffer().count(), a.pending().outgoing_buffer);
}

#[test]
fn inspect_bloom_filter_is_the_bytes_sent() {
    let mut a = ch("a", &cfg());
    let mut b = ch("b", &cfg());
    let empty = a.bloom_filter().to_vec();
    assert_eq!(
        empty.len(),
        BloomParams::new(100, 0.01).byte_len(),
        "the configured size"
    );
    assert!(empty.iter().all(|&x| x == 0));
    let (m1, b1) = send(&mut a, T0, "1");
    // The filter a message carries is the sender's before the message's own id is added.
    assert_eq!(
        decode(&b1).expect("decode").bloom_filter.as_deref(),
        Some(&empty[..])
    );
    assert!(a.bloom_filter_contains(&m1));
    assert!(!a.bloom_filter_contains("never-seen"));
    let with_m1 = a.bloom_filter().to_vec();
    assert_ne!(with_m1, empty);
    let (_, b2) = send(&mut a, T0 + 1, "2");
    assert_eq!(
        decode(&b2).expect("decode").bloom_filter.as_deref(),
        Some(&with_m1[..])
    );
    b.handle_message(T0 + 2, b1, None).expect("ok");
    assert!(b.bloom_filter_contains(&m1));
    let s = b
        .send_sync(T0 + 3)
        .map(|_| b.poll_transmit().expect("sync"));
    assert_eq!(
        decode(&s.expect("sync").bytes)
            .expect("decode")
            .bloom_filter
            .as_deref(),
        Some(&b.bloom_filter()[..]),
        "a sync carries the current filter"
    );
}

#[test]
fn inspect_local_log_entries_have_lamport_timestamps_in_log_order() {
    let mut r = ch("r", &cfg());
    assert_eq!(r.local_log_entries().count(), 0);
    let mut late = Channel::new("c", "late", cfg(), T0 + 500, 1);
    let mut early = Channel::new("c", "early", cfg(), T0 + 100, 1);
    let (own, _) = send(&mut r, T0, "own");
    let (m_late, b_late) = send(&mut late, T0, "x");
    let (m_early, b_early) = send(&mut early, T0, "y");
    r.handle_message(T0 + 1, b_late, None).expect("ok");
    r.handle_message(T0 + 2, b_early, None).expect("ok");
    let entries: Vec<(u64, String)> = r
        .local_log_entries()
        .map(|e| (e.lamport_timestamp, e.message_id))
        .collect();
    assert_eq!(
        entries,
        [(T0 + 1, own), (T0 + 101, m_early), (T0 + 501, m_late)]
    );
    // The same order as `local_log`.
    assert!(r
        .local_log()
        .map(ToString::to_string)
        .eq(entries.iter().map(|(_, id)| id.clone())));
}

#[test]
fn inspect_incoming_buffer_shows_missing_and_buffered_dependencies() {
    let config = Config {
        causal_history_size: 1,
        lost_timeout_ms: Some(60_000),
        ..cfg()
    };
    let mut a = ch("a", &config);
    let mut b = ch("b", &config);
    let (m1, _) = send(&mut a, T0, "1");
    let (m2, b2) = send(&mut a, T0 + 1, "2");
    let (m3, b3) = send(&mut a, T0 + 2, "3");
    let (b2_copy, b3_copy) = (b2.clone(), b3.clone());
    b.handle_message(T0 + 10, b3, None).expect("ok");
    b.handle_message(T0 + 11, b2, None).expect("ok");
    let view: Vec<BufferedMessage> = b.incoming_buffer().collect();
    let missing_ids = |m: &BufferedMessage| {
        m.missing_dependencies
            .iter()
            .map(|e| e.message_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(view.len(), 2);
    // Release order: (Lamport, id).
    assert_eq!(
        (&view[0].message_id, view[0].lamport_timestamp),
        (&m2, T0 + 2)
    );
    assert_eq!(missing_ids(&view[0]), std::slice::from_ref(&m1));
    assert_eq!(
        view[0].missing_dependencies[0].sender_id.as_deref(),
        Some("a")
    );
    assert!(view[0].buffered_dependencies.is_empty());
    assert_eq!(
        (&view[1].message_id, view[1].sender_id.as_str()),
        (&m3, "a")
    );
    assert!(view[1].missing_dependencies.is_empty());
    assert_eq!(view[1].buffered_dependencies, std::slice::from_ref(&m2));
    assert_eq!(
        (view[0].received_ms, view[1].received_ms),
        (T0 + 11, T0 + 10)
    );
    assert!(!view[0].timed_out && !view[1].timed_out);
    // Once m1 is marked met, m2 and m3 leave the buffer.
    b.mark_dependencies_met(T0 + 20, &[m1]);
    assert_eq!(b.incoming_buffer().count(), 0);
    // A message whose lost timeout passed while a dependency is held waits for it, timed out.
    let mut c = ch("c", &config);
    c.handle_message(T0 + 10, b3_copy, None).expect("ok");
    c.handle_message(T0 + 50_000, b2_copy, None).expect("ok");
    c.handle_timeout(T0 + 10 + 60_000);
    let view: Vec<BufferedMessage> = c.incoming_buffer().collect();
    assert_eq!(
        view.iter()
            .map(|m| (
                m.message_id.clone(),
                m.timed_out,
                m.buffered_dependencies.clone()
            ))
            .collect::<Vec<_>>(),
        [(m2.clone(), false, vec![]), (m3, true, vec![m2])]
    );
}

#[test]
fn inspect_repair_buffers_show_entries_with_their_due_times() {
    let config = Config {
        causal_history_size: 2,
        ..cfg()
    };
    let (_, mut carol, sent, last) = gap(2, &config);
    assert_eq!(carol.outgoing_repair_buffer().count(), 0);
    carol
        .handle_message(T0 + 200, last.clone(), None)
        .expect("ok");
    let rc = RepairConfig::default();
    let mut want: Vec<(u64, String)> = sent
        .iter()
        .map(|(id, _)| {
            let t = repair::t_req_ms("carol", id, T0 + 200, rc.t_min_ms, rc.t_max_ms);
            (t, id.clone())
        })
        .collect();
    want.sort();
    let out: Vec<OutgoingRepairEntry> = carol.outgoing_repair_buffer().collect();
    assert_eq!(
        out.iter()
            .map(|e| (e.t_req_ms, e.entry.message_id.clone(), e.round))
            .collect::<Vec<_>>(),
        want.iter()
            .map(|(t, id)| (*t, id.clone(), 1))
            .collect::<Vec<_>>()
    );
    assert!(out
        .iter()
        .all(|e| e.entry.sender_id.as_deref() == Some("alice")));
    // Requested: the entries are rescheduled for round 2, from now + T_max.
    let now = want[1].0;
    carol.handle_timeout(now);
    let req = transmits(&mut carol)
        .into_iter()
        .find(|t| t.repair_requests == 2)
        .expect("request");
    let out: Vec<OutgoingRepairEntry> = carol.outgoing_repair_buffer().collect();
    assert_eq!(out.len(), 2);
    for e in &out {
        let t = repair::t_req_ms(
            "carol",
            &e.entry.message_id,
            now + rc.t_max_ms,
            rc.t_min_ms,
            rc.t_max_ms,
        );
        assert_eq!((e.t_req_ms, e.round), (t, 2));
    }
    // Bob holds both messages: he queues responses at T_resp.
    let mut bob = ch("bob", &config);
    for (_, bytes) in &sent {
        bob.handle_message(T0 + 150, bytes.clone(), None)
            .expect("ok");
    }
    assert_eq!(bob.incoming_repair_buffer().count(), 0);
    bob.handle_message(now, req.bytes, None).expect("ok");
    let mut want: Vec<(u64, String)> = sent
        .iter()
        .map(|(id, _)| {
            (
                repair::t_resp_ms("bob", "alice", id, now, rc.t_max_ms),
                id.clone(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(
        bob.incoming_repair_buffer()
            .map(|e| (e.t_resp_ms, e.message_id))
            .collect::<Vec<_>>(),
        want
    );
    bob.handle_timeout(want[0].0);
    assert_eq!(
        bob.incoming_repair_buffer()
            .map(|e| e.message_id)
            .collect::<Vec<_>>(),
        [want[1].1.clone()],
        "the first response went out"
    );
}
