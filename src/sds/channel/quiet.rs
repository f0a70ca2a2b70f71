//! A quiet channel's sync receipt: the short path (issue 16).
//!
//! A channel is *quiet* when nothing is buffered, tracked or due but the sync timer: the
//! outgoing and incoming buffers, the waiting index, the lost deadlines, the tracked missing
//! ids, both SDS-R repair buffers and the incoming sweep are all empty. Most participants of
//! a settled group are quiet most of the time, and most of what they receive then is other
//! participants' syncs (the spec's periodic sync at 10,000 participants is ~2e9 sync
//! receipts in 10 minutes).
//!
//! For a quiet channel, a sync without repair requests whose causal history is all met does
//! exactly two things on the full path of `Channel::handle_decoded` (PROTOCOL.md §2, "Sync
//! messages"): it re-arms a reliable-channel sync timer (`reliable_channel_restart`, js-waku
//! `ReliableChannel` restarts the timer on every receipt) and counts as a consistent
//! transmission heard by Trickle (`trickle_heard`). Every other step finds its buffer empty:
//! the repair buffers have no id to remove, there is no outgoing entry to acknowledge, no
//! missing dependency to track, no response due and no sweep to schedule. `quiet_sync` does
//! just those two, reading only the channel's first `QUIET_BYTES` (the layout test in the
//! `prefetch` module checks that every field it and the host's polls read lies there), so a
//! host can ask for 5 cache lines ahead instead of 14 (`Channel::prefetch_for`).
//!
//! `quiet` is a cached value of [`Channel::is_quiet_now`], refreshed after every input that
//! can change a buffer (`send`, `send_sync`, the full receive path, `handle_timeout`,
//! `mark_dependencies_met`). The test below runs every sync policy with SDS-R on and
//! messages held back, and checks that a channel taking the short path and one never taking
//! it give the same events and transmissions, and that `quiet` always equals
//! `is_quiet_now`.

use super::{Channel, MessageKind, Parsed};
#[cfg(test)]
use super::{Config, RepairConfig, SyncPolicy, TransmitKind};

/// How many bytes from its start [`Channel`] keeps everything a quiet channel's sync receipt
/// and the host's polls after it read: 5 cache lines.
pub(super) const QUIET_BYTES: usize = 5 * 64;

impl Channel {
    /// Whether nothing is buffered, tracked or due but the sync timer (see the module docs).
    /// The id indexes `outgoing_ids` and `incoming_ids` and the deadline orders of the repair
    /// buffers change together with the collections they index, so they are not asked.
    pub(super) fn is_quiet_now(&self) -> bool {
        self.outgoing.is_empty()
            && self.incoming.is_empty()
            && self.waiting.is_empty()
            && self.lost_deadlines.is_empty()
            && self.missing.is_empty()
            && self.out_repair.is_empty()
            && self.in_repair.is_empty()
            && self.next_sweep_ms.is_none()
    }

    /// Recomputes `quiet` after an input that may have changed a buffer.
    pub(super) fn refresh_quiet(&mut self) {
        self.quiet = self.is_quiet_now();
    }

    /// The short path for `parsed`, a message of this channel from another participant:
    /// when this channel is quiet and `parsed` is a sync without repair requests whose causal
    /// history is all met, does what the full path would (re-arm a reliable-channel timer,
    /// count a consistent sync for Trickle) and returns true; otherwise changes nothing and
    /// returns false.
    pub(super) fn quiet_sync(&mut self, now_ms: u64, parsed: &Parsed) -> bool {
        if !self.quiet || parsed.kind != MessageKind::Sync || !parsed.repair.is_empty() {
            return false;
        }
        if !self.unmet_history(parsed).is_empty() {
            return false;
        }
        self.reliable_channel_restart(now_ms, 1, 1);
        self.trickle_heard();
        true
    }

    /// Test only: panics unless `quiet` is current, and unless the indexes `is_quiet_now`
    /// does not ask agree with it.
    #[cfg(test)]
    pub(super) fn check_quiet(&self) {
        assert_eq!(self.quiet, self.is_quiet_now(), "stale quiet flag");
        if self.quiet {
            assert!(self.outgoing_ids.is_empty() && self.incoming_ids.is_empty());
            assert!(self.out_repair_order.first_ms().is_none());
            assert!(self.in_repair_order.first_ms().is_none());
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{Channel, Config, RepairConfig, SyncPolicy, TransmitKind};

    const T0: u64 = 1_700_000_000_000;

    /// Events and transmissions so far, as text and (kind, bytes).
    fn drain(c: &mut Channel) -> (Vec<String>, Vec<(TransmitKind, Bytes)>) {
        let events = std::iter::from_fn(|| c.poll_event())
            .map(|e| format!("{e:?}"))
            .collect();
        let sent = std::iter::from_fn(|| c.poll_transmit())
            .map(|t| (t.kind, t.bytes))
            .collect();
        (events, sent)
    }

    /// Three participants under `sync`, with SDS-R and a lost timeout: `a` and `b` send and
    /// sync; `r` receives everything, some of it late (so it buffers, tracks missing ids,
    /// requests repair and times out), and sends now and then (resends, repair responses);
    /// a copy of `r` that never takes the short path (`quiet` forced off before every
    /// input) must do exactly the same. Returns how many receipts took the short path.
    fn run(sync: SyncPolicy) -> usize {
        let config = Config {
            sync,
            repair: Some(RepairConfig {
                t_min_ms: 1_000,
                t_max_ms: 4_000,
                ..RepairConfig::default()
            }),
            local_log_capacity: 16,
            lost_timeout_ms: Some(2_000),
            resend_interval_ms: 1_000,
            ..Config::default()
        };
        let mut a = Channel::new("c", "a", config.clone(), T0, 1);
        let mut b = Channel::new("c", "b", config.clone(), T0, 2);
        let mut fast = Channel::new("c", "r", config.clone(), T0, 3);
        let mut slow = Channel::new("c", "r", config, T0, 3);
        let mut shortcuts = 0;
        let mut late = Vec::new();
        for step in 0..400u64 {
            let now = T0 + step * 500;
            // Bursts of content, then long stretches of syncs only.
            if step % 40 < 6 {
                let sender = if step % 2 == 0 { &mut a } else { &mut b };
                sender
                    .send(now, Bytes::from(format!("m{step}")))
                    .expect("send");
            }
            a.handle_timeout(now);
            b.handle_timeout(now);
            let (_, from_a) = drain(&mut a);
            let (_, from_b) = drain(&mut b);
            for (_, bytes) in &from_a {
                b.handle_message(now, bytes.clone(), None).expect("b");
            }
            for (_, bytes) in &from_b {
                a.handle_message(now, bytes.clone(), None).expect("a");
            }
            let mut batch: Vec<_> = from_a.into_iter().chain(from_b).collect();
            if step % 40 == 2 {
                late.append(&mut batch);
            } else if step % 40 == 9 {
                batch.append(&mut late);
            }
            for (kind, bytes) in batch {
                let was_quiet = fast.quiet;
                let events_before = fast.events.len();
                slow.quiet = false;
                let x = fast.handle_message(now, bytes.clone(), None);
                let y = slow.handle_message(now, bytes, None);
                assert_eq!(x, y);
                fast.check_quiet();
                // A sync at a quiet channel that leaves it quiet, with no event: the short
                // path's conditions (no repair request, every dependency met).
                if kind == TransmitKind::Sync
                    && was_quiet
                    && fast.quiet
                    && fast.events.len() == events_before
                {
                    shortcuts += 1;
                }
            }
            // `r` sends too, now and then (resends, acknowledgements, give-ups).
            if step % 40 == 20 || step % 40 == 30 {
                let payload = Bytes::from(format!("r{step}"));
                let x = fast.send(now, payload.clone());
                slow.quiet = false;
                assert_eq!(x, slow.send(now, payload));
                fast.check_quiet();
            }
            fast.handle_timeout(now + 250);
            slow.quiet = false;
            slow.handle_timeout(now + 250);
            fast.check_quiet();
            assert_eq!(fast.poll_timeout(), slow.poll_timeout(), "timer at {step}");
            assert_eq!(fast.is_quiescent(), slow.is_quiescent(), "at {step}");
            let out = drain(&mut fast);
            assert_eq!(out, drain(&mut slow), "output at step {step}");
            // What `r` sends (content, syncs, repair requests and responses) reaches the
            // others, but `a` misses `r`'s content of step 20 of each 40 (then asks for it:
            // `r` owes a repair response), and of step 30 `r` hears no acknowledgement until
            // `a` and `b` have it from a resend.
            for (kind, bytes) in out.1 {
                let content = kind == TransmitKind::Content;
                if !(content && step % 40 == 20) {
                    a.handle_message(now, bytes.clone(), None).expect("a");
                }
                if !(content && step % 40 == 30) {
                    b.handle_message(now, bytes, None).expect("b");
                }
            }
        }
        shortcuts
    }

    /// A channel that takes the short path for a quiet channel's syncs gives the same
    /// events, transmissions, timers and quiescence as one that never does, under every sync
    /// policy, with SDS-R, buffered messages and repair; and the short path is taken.
    #[test]
    fn the_quiet_shortcut_changes_nothing() {
        let policies = [
            SyncPolicy::Periodic { interval_ms: 2_000 },
            SyncPolicy::ReliableChannel { interval_ms: 2_000 },
            SyncPolicy::Trickle {
                i_min_ms: 1_000,
                i_max_ms: 8_000,
                k: 2,
            },
            SyncPolicy::Off,
        ];
        for sync in policies {
            let shortcuts = run(sync);
            if sync != SyncPolicy::Off {
                assert!(shortcuts > 10, "{sync:?}: {shortcuts} short paths");
            }
        }
    }
}
