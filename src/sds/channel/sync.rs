//! Sync messages of a [`Channel`] (PROTOCOL.md §2 "Sync messages"): the sync timer under each
//! `SyncPolicy` (periodic, Trickle, js-waku's reliable channel), its deadline, and the sync
//! message itself ([`Channel::send_sync`]: empty content, causal history, bloom filter, due
//! repair requests). Rules and their sources are in `SyncPolicy`'s docs.
//!
//! May touch: the sync timer state and the channel's random stream (sync phases and Trickle
//! times only), the Lamport clock (a sync bumps it like a send), the transmission queue, and
//! due SDS-R requests (taken to ride on the sync); it reads the log and bloom filter for the
//! sync's causal history (applying the filter's deferred inserts, which changes nothing it
//! shows). May not change: the log, the bloom filter, the outgoing or incoming buffers.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::{hex, wire, Channel, SdsMessage, SyncPolicy, Transmit, TransmitKind};

/// The sync timer's state under the channel's `SyncPolicy` (`Off` also for a zero interval).
#[derive(Debug, Clone)]
pub(super) enum SyncState {
    Off,
    Periodic {
        interval_ms: u64,
        next_ms: u64,
    },
    Trickle {
        i_min_ms: u64,
        i_max_ms: u64,
        k: u32,
        i_ms: u64,
        start_ms: u64,
        t_ms: u64,
        heard: u32,
        fired: bool,
    },
    ReliableChannel {
        interval_ms: u64,
        next_ms: u64,
    },
}

impl SyncState {
    /// The state at `now_ms` under `policy`: a periodic or reliable-channel timer starts at a
    /// random phase in `[now, now + interval)`, Trickle with its first interval `I_min`.
    pub(super) fn new(policy: SyncPolicy, rng: &mut ChaCha8Rng, now_ms: u64) -> SyncState {
        match policy {
            SyncPolicy::Off
            | SyncPolicy::Periodic { interval_ms: 0 }
            | SyncPolicy::ReliableChannel { interval_ms: 0 } => SyncState::Off,
            SyncPolicy::ReliableChannel { interval_ms } => SyncState::ReliableChannel {
                interval_ms,
                next_ms: now_ms.saturating_add(rng.random_range(0..interval_ms)),
            },
            SyncPolicy::Periodic { interval_ms } => SyncState::Periodic {
                interval_ms,
                next_ms: now_ms.saturating_add(rng.random_range(0..interval_ms)),
            },
            SyncPolicy::Trickle {
                i_min_ms,
                i_max_ms,
                k,
            } => {
                let i_min_ms = i_min_ms.max(1);
                let i_max_ms = i_max_ms.max(i_min_ms);
                let t_ms = trickle_t(rng, now_ms, i_min_ms);
                SyncState::Trickle {
                    i_min_ms,
                    i_max_ms,
                    k,
                    i_ms: i_min_ms,
                    start_ms: now_ms,
                    t_ms,
                    heard: 0,
                    fired: false,
                }
            }
        }
    }

    /// Unix ms of the next sync timer, if any.
    pub(super) fn deadline(&self) -> Option<u64> {
        match self {
            SyncState::Off => None,
            SyncState::Periodic { next_ms, .. } => Some(*next_ms),
            SyncState::Trickle {
                i_ms,
                start_ms,
                t_ms,
                fired,
                ..
            } => Some(if *fired {
                start_ms.saturating_add(*i_ms)
            } else {
                *t_ms
            }),
            SyncState::ReliableChannel { next_ms, .. } => Some(*next_ms),
        }
    }
}

impl Channel {
    /// Sends a sync message now (outside the sync timer): empty content, current causal
    /// history and bloom filter, Lamport bumped like a send, due repair requests attached.
    /// Nothing is sent (and `None` returned) when the local log is empty and no repair request
    /// is due (js-waku `pushOutgoingSyncMessage` tests the causal history instead, which only
    /// differs with `causal_history_size` 0, where js-waku never syncs and this still carries
    /// the bloom filter). Returns the sync's id:
    /// `sync-` + 16 hex digits of SHA-256(participant id ‖ Lamport BE), unique per
    /// participant because the Lamport clock only grows.
    pub fn send_sync(&mut self, now_ms: u64) -> Option<String> {
        let has_due = self.out_repair_order.any_due(now_ms);
        if self.log_order.is_empty() && !has_due {
            return None;
        }
        self.lamport = now_ms.max(self.lamport.saturating_add(1));
        let mut h = Sha256::new();
        h.update(self.participant_id.as_bytes());
        h.update(self.lamport.to_be_bytes());
        let message_id = format!("sync-{}", hex(&h.finalize()[..8]));
        let repair_request = self.take_due_requests(now_ms);
        let count = repair_request.len() as u32;
        // The filter as sent, deferred inserts applied (shared, not copied).
        self.bloom.apply_pending();
        let message = SdsMessage {
            sender_id: self.participant_id.clone(),
            message_id: message_id.clone(),
            channel_id: self.channel_id.clone(),
            lamport_timestamp: Some(self.lamport),
            causal_history: self.causal_history(),
            bloom_filter: Some(self.bloom.to_bytes()),
            repair_request,
            content: None,
        };
        self.transmits.push_back(Transmit {
            kind: TransmitKind::Sync,
            message_id: message_id.clone(),
            bytes: wire::encode(&message),
            repair_requests: count,
        });
        self.refresh_quiet();
        Some(message_id)
    }

    /// `SyncPolicy::ReliableChannel`: re-arm the sync timer at `now + u · interval · num/den`.
    pub(super) fn reliable_channel_restart(&mut self, now_ms: u64, num: u64, den: u64) {
        if let SyncState::ReliableChannel {
            interval_ms,
            next_ms,
        } = &mut self.sync
        {
            let span = interval_ms.saturating_mul(num) / den.max(1);
            let offset = if span > 0 {
                self.rng.random_range(0..span)
            } else {
                0
            };
            *next_ms = now_ms.saturating_add(offset);
        }
    }

    /// Runs the sync timer if due: a periodic timer sends one sync and skips missed periods,
    /// Trickle runs its intervals, a reliable-channel timer sends and re-arms.
    pub(super) fn sync_timer(&mut self, now_ms: u64) {
        match &mut self.sync {
            SyncState::Off => {}
            SyncState::Periodic {
                interval_ms,
                next_ms,
            } => {
                if *next_ms > now_ms {
                    return;
                }
                let periods = (now_ms - *next_ms) / *interval_ms + 1;
                *next_ms = next_ms.saturating_add(periods.saturating_mul(*interval_ms));
                self.send_sync(now_ms);
            }
            SyncState::Trickle { .. } => self.trickle_timer(now_ms),
            SyncState::ReliableChannel { next_ms, .. } => {
                if *next_ms > now_ms {
                    return;
                }
                self.send_sync(now_ms);
                self.reliable_channel_restart(now_ms, 2, 1);
            }
        }
    }

    /// Trickle: fires at `t` unless `k` consistent syncs were heard in this interval, then
    /// doubles the interval (capped at `I_max`) when it ends.
    pub(super) fn trickle_timer(&mut self, now_ms: u64) {
        let mut send = false;
        if let SyncState::Trickle {
            i_max_ms,
            k,
            i_ms,
            start_ms,
            t_ms,
            heard,
            fired,
            ..
        } = &mut self.sync
        {
            loop {
                if !*fired && *t_ms <= now_ms {
                    *fired = true;
                    let end = start_ms.saturating_add(*i_ms);
                    if *heard < *k && now_ms < end {
                        send = true;
                    }
                }
                let end = start_ms.saturating_add(*i_ms);
                if !(*fired && end <= now_ms) {
                    break;
                }
                // Interval over: double it (capped); after a long pause start from now.
                *i_ms = i_ms.saturating_mul(2).min(*i_max_ms);
                *start_ms = if now_ms >= end.saturating_add(*i_ms) {
                    now_ms
                } else {
                    end
                };
                *heard = 0;
                *fired = false;
                *t_ms = trickle_t(&mut self.rng, *start_ms, *i_ms);
            }
        }
        if send {
            self.send_sync(now_ms);
        }
    }

    /// Trickle: an inconsistency (a repair request or unmet dependency was heard) resets the
    /// interval to `I_min` from now, unless it already is `I_min`.
    pub(super) fn trickle_reset(&mut self, now_ms: u64) {
        if let SyncState::Trickle {
            i_min_ms,
            i_ms,
            start_ms,
            t_ms,
            heard,
            fired,
            ..
        } = &mut self.sync
        {
            if *i_ms == *i_min_ms {
                return;
            }
            *i_ms = *i_min_ms;
            *start_ms = now_ms;
            *heard = 0;
            *fired = false;
            *t_ms = trickle_t(&mut self.rng, now_ms, *i_min_ms);
        }
    }

    /// Trickle: a consistent sync was heard in the current interval.
    pub(super) fn trickle_heard(&mut self) {
        if let SyncState::Trickle { heard, .. } = &mut self.sync {
            *heard = heard.saturating_add(1);
        }
    }
}

/// A Trickle fire time in `[start + I/2, start + I)`.
fn trickle_t(rng: &mut ChaCha8Rng, start_ms: u64, i_ms: u64) -> u64 {
    let half = i_ms / 2;
    let offset = if half < i_ms {
        rng.random_range(half..i_ms)
    } else {
        half
    };
    start_ms.saturating_add(offset)
}
