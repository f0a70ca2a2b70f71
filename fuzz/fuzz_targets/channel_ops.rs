//! Arbitrary operations on three participants of one channel: send, send_sync, ephemeral,
//! deliver a queued transmit (intact, mutated or dropped), arbitrary bytes, time advances with
//! handle_timeout, mark_dependencies_met. Asserts no panic and that every buffer stays within
//! its configured bound.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sdsim::sds::{
    BloomRollover, Channel, Config, HistoryEntry, LostPolicy, RepairConfig, SdsMessage, SyncPolicy,
};

fn config(flags: u8) -> Config {
    Config {
        causal_history_size: 1 + usize::from(flags & 3),
        bloom_capacity: 8,
        possible_acks_threshold: 1 + u32::from(flags >> 7),
        resend_interval_ms: 1_000,
        max_resends: 2,
        sync: match (flags >> 2) & 3 {
            0 => SyncPolicy::Off,
            1 => SyncPolicy::Periodic { interval_ms: 700 },
            2 => SyncPolicy::ReliableChannel { interval_ms: 900 },
            _ => SyncPolicy::Trickle {
                i_min_ms: 300,
                i_max_ms: 5_000,
                k: 1,
            },
        },
        repair: (flags & 16 == 0).then_some(RepairConfig {
            t_min_ms: 100,
            t_max_ms: 2_000,
            buffer_capacity: 4,
            num_response_groups: 1 + u64::from((flags >> 5) & 1),
            ..RepairConfig::default()
        }),
        incoming_sweep_interval_ms: 250,
        local_log_capacity: 6,
        delivered_ids_capacity: 5,
        incoming_buffer_capacity: 5,
        incoming_buffer_per_sender: 3,
        outgoing_buffer_capacity: 4,
        message_store_capacity: 4,
        lost_timeout_ms: (flags & 64 != 0).then_some(1_500),
        lost_policy: if flags & 1 == 0 {
            LostPolicy::Deliver
        } else {
            LostPolicy::Drop
        },
        bloom_rollover: if flags & 2 == 0 {
            BloomRollover::None
        } else {
            BloomRollover::Rebuild
        },
        max_causal_history_entries: 8,
        max_repair_request_entries: 4,
        max_id_bytes: 70,
        ..Config::default()
    }
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(flags) = input.byte() else { return };
    let cfg = config(flags);
    let mut now: u64 = 1_700_000_000_000;
    let mut chans: Vec<Channel> = (0..3)
        .map(|i| Channel::new("c", format!("p{i}"), cfg.clone(), now, i as u64))
        .collect();
    // In-flight transmits: (from, bytes).
    let mut wire: Vec<(usize, Bytes)> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    while let Some(op) = input.byte() {
        let who = usize::from(op >> 5) % 3;
        match op & 7 {
            0 => {
                let n = usize::from(input.byte().unwrap_or(1) % 8) + 1;
                let payload = Bytes::copy_from_slice(input.take(n));
                if let Ok(id) = chans[who].send(now, payload) {
                    ids.push(id);
                }
            }
            1 => {
                chans[who].send_sync(now);
            }
            2 => {
                let _ = chans[who].send_ephemeral(now, Bytes::from_static(b"e"));
            }
            3 | 4 => {
                // Deliver the transmit at a chosen index to a chosen receiver, maybe mutated.
                if wire.is_empty() {
                    continue;
                }
                let sel = usize::from(input.byte().unwrap_or(0));
                let (from, bytes) = wire[sel % wire.len()].clone();
                let to = (from + 1 + sel / 128) % 3;
                let bytes = if op & 7 == 4 {
                    let mut v = bytes.to_vec();
                    let pos = usize::from(input.byte().unwrap_or(0)) * 97;
                    if !v.is_empty() {
                        let i = pos % v.len();
                        v[i] ^= input.byte().unwrap_or(1) | 1;
                    }
                    Bytes::from(v)
                } else {
                    if sel & 1 == 0 {
                        wire.remove(sel % wire.len());
                    }
                    bytes
                };
                let _ = chans[to].handle_message(now, bytes, Some(Bytes::from_static(b"h")));
            }
            5 => {
                // A hand-made message with arbitrary fields from a fake peer.
                let n = usize::from(input.byte().unwrap_or(0) % 4);
                let hist: Vec<HistoryEntry> = (0..n)
                    .map(|i| HistoryEntry {
                        message_id: ids
                            .get(usize::from(input.byte().unwrap_or(0)) % (ids.len() + 1))
                            .cloned()
                            .unwrap_or_else(|| format!("ghost{i}")),
                        retrieval_hint: None,
                        sender_id: Some(format!("p{}", i % 4)),
                    })
                    .collect();
                let k = input.byte().unwrap_or(0);
                let m = SdsMessage {
                    sender_id: format!("f{}", k % 3),
                    message_id: format!("x{}", input.byte().unwrap_or(0)),
                    channel_id: "c".into(),
                    lamport_timestamp: (k & 8 == 0).then(|| {
                        now.wrapping_add(u64::from(k))
                            .wrapping_mul(u64::from(k >> 6) + 1)
                    }),
                    causal_history: hist.clone(),
                    bloom_filter: None,
                    repair_request: if k & 16 != 0 { hist } else { Vec::new() },
                    content: (k & 32 == 0).then(|| Bytes::from_static(b"z")),
                };
                let _ = chans[who].handle_message(now, sdsim::sds::wire::encode(&m), None);
            }
            6 => {
                let raw = Bytes::copy_from_slice(input.take(usize::from(op >> 3)));
                let _ = chans[who].handle_message(now, raw, None);
            }
            _ => {
                if op & 8 != 0 && !ids.is_empty() {
                    let id = ids[usize::from(input.byte().unwrap_or(0)) % ids.len()].clone();
                    chans[who].mark_dependencies_met(now, &[id]);
                } else {
                    now += u64::from(input.byte().unwrap_or(0)) * 40;
                    for c in &mut chans {
                        if c.poll_timeout().is_some_and(|t| t <= now) {
                            c.handle_timeout(now);
                        }
                    }
                }
            }
        }
        for (i, c) in chans.iter_mut().enumerate() {
            while let Some(t) = c.poll_transmit() {
                if wire.len() < 64 {
                    wire.push((i, t.bytes));
                }
            }
            while c.poll_event().is_some() {}
            let p = c.pending();
            assert!(p.outgoing_buffer <= cfg.outgoing_buffer_capacity, "{p:?}");
            assert!(p.incoming_buffer <= cfg.incoming_buffer_capacity, "{p:?}");
            if let Some(rc) = &cfg.repair {
                assert!(p.repair_requests <= rc.buffer_capacity, "{p:?}");
                assert!(p.repair_responses <= rc.buffer_capacity, "{p:?}");
                assert!(p.repair_awaiting <= rc.buffer_capacity, "{p:?}");
            }
            assert!(c.local_log().count() <= cfg.local_log_capacity);
            if let Some(t) = c.poll_timeout() {
                // A due timer must be consumable: after handle_timeout(t) it moves on.
                let _ = t;
            }
        }
    }
});
