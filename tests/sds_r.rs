//! The nim-sds SDS-R integration cases (PROTOCOL.md §4): three as simulator scenarios, two
//! (response-group membership, filling a dependency by hand) by driving cores directly, where
//! the state to observe is inside a participant.

mod common;

use bytes::Bytes;
use common::run_toml;
use sdsim::sds::{self, Channel, Config, Event, RepairConfig};

/// Scripted base scenario (`common::scripted`) with sync off and resends far apart, so that
/// only SDS-R repairs.
fn scenario(participants: u32, extra: &str) -> String {
    common::scripted(
        participants,
        "resend_interval = \"1h\"\n[sds.sync]\npolicy = \"off\"",
        extra,
    )
}

#[test]
fn single_gap_repaired_with_exactly_one_rebroadcast() {
    // C misses M1; B's M2 names it; C requests it once; A (the original sender) answers at
    // once, B's own queued response is cancelled when A's arrives.
    let (out, r) = run_toml(&scenario(
        3,
        r#"
[[workload.publish]]
at = "1s"
sender = 0
label = "M1"
[[workload.publish]]
at = "3s"
sender = 1
label = "M2"
[[partitions]]
start = "900ms"
heal = "1500ms"
ids = [[0, 1], [2]]
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.repair.requests_sent, 1);
    assert_eq!(r.summary.transmissions_by_kind["repair_response"], 1);
    assert_eq!(r.summary.transmissions_by_kind["resend"], 0);
    let m1 = out.recorder.by_label("M1").expect("M1");
    assert_eq!(out.recorder.messages()[m1 as usize].repair_responses, 1);
}

#[test]
fn a_request_seen_from_another_participant_drops_ones_own() {
    // B and C both miss M1 and both learn of it from M2: only the one whose T_req comes first
    // sends a request; the other drops its own entry on seeing it.
    let (_, r) = run_toml(&scenario(
        3,
        r#"
[[workload.publish]]
at = "1s"
sender = 0
label = "M1"
[[workload.publish]]
at = "3s"
sender = 0
label = "M2"
[[partitions]]
start = "900ms"
heal = "1500ms"
ids = [[0], [1, 2]]
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.repair.requests_sent, 1, "{:?}", r.summary.repair);
    assert_eq!(r.summary.transmissions_by_kind["repair_response"], 1);
}

#[test]
fn five_gaps_go_out_in_requests_of_at_most_three() {
    // C misses M1..M5; M6 (causal history 5) names all five; C's requests carry at most 3
    // entries each, so at least two messages carry them.
    let (_, r) = run_toml(&common::scripted(
        3,
        "causal_history = 5\nresend_interval = \"1h\"\n[sds.sync]\npolicy = \"off\"",
        r#"
[[workload.publish]]
at = "1s"
sender = 0
count = 5
interval = "100ms"
label = "M"
[[workload.publish]]
at = "3s"
sender = 1
label = "M6"
[[partitions]]
start = "900ms"
heal = "2s"
ids = [[0, 1], [2]]
"#,
    ));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert!(
        r.summary.repair.requests_sent >= 5,
        "{:?}",
        r.summary.repair
    );
    assert!(r.summary.repair.max_requests_per_transmission <= 3);
    assert!(r.summary.repair.transmissions_with_requests >= 2);
    assert_eq!(r.summary.repair.messages_requested, 5);
}

/// Delivers every pending transmit of `from` to every other channel (except `skip`), in
/// rounds, until nobody has anything left to send.
fn flood(chans: &mut [Channel], now_ms: u64, skip: &dyn Fn(usize, usize) -> bool) {
    loop {
        let mut any = false;
        for from in 0..chans.len() {
            while let Some(t) = chans[from].poll_transmit() {
                any = true;
                for (to, c) in chans.iter_mut().enumerate() {
                    if to != from && !skip(from, to) {
                        c.handle_message(now_ms, t.bytes.clone(), None)
                            .expect("valid message");
                    }
                }
            }
        }
        if !any {
            return;
        }
    }
}

fn drain_events(c: &mut Channel) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn config(groups: u64) -> Config {
    Config {
        sync: sds::SyncPolicy::Off,
        resend_interval_ms: 3_600_000,
        repair: Some(RepairConfig {
            num_response_groups: groups,
            ..RepairConfig::default()
        }),
        ..Config::default()
    }
}

#[test]
fn with_ten_response_groups_only_members_queue_a_response() {
    let now = 1_700_000_000_000u64;
    let n = 40;
    let mut chans: Vec<Channel> = (0..n)
        .map(|i| Channel::new("chan", format!("p{i}"), config(10), now, i as u64))
        .collect();
    // p0 publishes M1, p39 misses it; p1 publishes M2 naming M1.
    let m1 = chans[0].send(now, Bytes::from_static(b"m1")).expect("send");
    flood(&mut chans, now, &|_, to| to == n - 1);
    chans[1]
        .send(now + 100, Bytes::from_static(b"m2"))
        .expect("send");
    flood(&mut chans, now + 100, &|_, _| false);
    // p39 requests M1 when its T_req falls due.
    let (t_req, request) = loop {
        let t = chans[n - 1].poll_timeout().expect("a repair timer");
        assert!(t < now + 200_000, "no request within T_max");
        chans[n - 1].handle_timeout(t);
        if let Some(tx) = chans[n - 1].poll_transmit() {
            break (t, tx);
        }
    };
    assert_eq!(request.repair_requests, 1);
    // Everyone else hears the request; only response-group members that hold M1 queue a
    // response (the original sender p0 is always one).
    for (i, c) in chans.iter_mut().enumerate().take(n - 1) {
        c.handle_message(t_req + 50, request.bytes.clone(), None)
            .expect("valid");
        let member = sds::repair::in_response_group(&format!("p{i}"), "p0", &m1, 10);
        // queued, or (the original sender: T_resp = now) already re-broadcast
        let answered_at_once = std::iter::from_fn(|| c.poll_transmit())
            .filter(|t| t.kind == sds::TransmitKind::RepairResponse)
            .count();
        assert_eq!(
            c.pending().repair_responses + answered_at_once,
            usize::from(member),
            "participant p{i} (member: {member})"
        );
        assert_eq!(answered_at_once, usize::from(i == 0), "p{i}");
    }
    let members = (0..n - 1)
        .filter(|&i| sds::repair::in_response_group(&format!("p{i}"), "p0", &m1, 10))
        .count();
    assert!(members >= 1 && members < n - 1, "{members} members");
}

#[test]
fn filling_a_dependency_by_hand_clears_its_repair_entries() {
    let now = 1_700_000_000_000u64;
    let mut chans: Vec<Channel> = (0..3)
        .map(|i| Channel::new("chan", format!("p{i}"), config(1), now, i as u64))
        .collect();
    let m1 = chans[0].send(now, Bytes::from_static(b"m1")).expect("send");
    flood(&mut chans, now, &|_, to| to == 2);
    chans[1]
        .send(now + 100, Bytes::from_static(b"m2"))
        .expect("send");
    flood(&mut chans, now + 100, &|_, _| false);
    let events = drain_events(&mut chans[2]);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::MissingDependencies { missing, .. } if missing.iter().any(|h| h.message_id == m1))));
    assert_eq!(chans[2].pending().repair_requests, 1);
    // The application fetched M1 elsewhere (e.g. a store query) and says so.
    chans[2].mark_dependencies_met(now + 200, std::slice::from_ref(&m1));
    assert_eq!(chans[2].pending().repair_requests, 0);
    let delivered: Vec<Event> = drain_events(&mut chans[2]);
    assert!(
        delivered
            .iter()
            .any(|e| matches!(e, Event::Delivered { .. })),
        "M2 is released"
    );
    // No request for M1 ever goes out.
    let mut t = now + 200;
    while let Some(next) = chans[2].poll_timeout() {
        if next > now + 600_000 {
            break;
        }
        t = next.max(t + 1);
        chans[2].handle_timeout(t);
        while let Some(tx) = chans[2].poll_transmit() {
            assert_eq!(tx.repair_requests, 0);
        }
    }
}
