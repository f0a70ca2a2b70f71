//! The incoming buffer of a [`Channel`] (PROTOCOL.md §2 "Receive pipeline", "Incoming
//! buffer"): holding messages whose dependencies are not met, with the per-sender and total
//! bounds; releasing them in (Lamport, id) order once their dependencies are met; the lost
//! timeout and its policy; and the periodic incoming sweep (re-reported missing
//! dependencies, SDS-R liveness of tracked missing ids). Rules and sources are in
//! `Channel`'s and `Config`'s docs.

use std::collections::BTreeSet;

use super::{repair, Buffer, Buffered, Channel, Event, HistoryEntry, Key, LostPolicy, MessageId};

impl Channel {
    /// Holds `b` in the incoming buffer, evicting first (by `Buffer::IncomingBuffer`'s rule)
    /// if its sender's share or the whole buffer is full.
    pub(super) fn hold(&mut self, b: Buffered) {
        let key = (b.lamport, b.id.clone());
        let per_sender = self.config.incoming_buffer_per_sender.max(1);
        let sender_full = self
            .per_sender
            .get(&*b.sender_id)
            .is_some_and(|k| k.len() >= per_sender);
        if sender_full || self.incoming.len() >= self.config.incoming_buffer_capacity.max(1) {
            let highest = if sender_full {
                self.per_sender
                    .get(&*b.sender_id)
                    .and_then(|k| k.last().cloned())
            } else {
                self.incoming.last_key_value().map(|(k, _)| k.clone())
            };
            match highest {
                Some(h) if h > key => {
                    if let Some(old) = self.unhold(&h) {
                        self.events.push_back(Event::Evicted {
                            buffer: Buffer::IncomingBuffer,
                            message_id: old.id.clone(),
                        });
                        self.resolve(Vec::new(), vec![old.id], BTreeSet::new());
                    }
                }
                _ => {
                    self.events.push_back(Event::Evicted {
                        buffer: Buffer::IncomingBuffer,
                        message_id: b.id,
                    });
                    return;
                }
            }
        }
        for dep in &b.deps {
            if !self.dep_met(dep) {
                self.waiting
                    .entry(dep.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        if let Some(timeout) = self.config.lost_timeout_ms {
            self.lost_deadlines
                .insert((b.received_ms.saturating_add(timeout), key.clone()));
        }
        self.per_sender
            .entry(b.sender_id.to_string())
            .or_default()
            .insert(key.clone());
        self.incoming_ids.insert(b.id.clone(), b.lamport);
        self.incoming.insert(key, b);
    }

    fn unhold(&mut self, key: &Key) -> Option<Buffered> {
        let b = self.incoming.remove(key)?;
        self.incoming_ids.remove(&b.id);
        for dep in &b.deps {
            if let Some(w) = self.waiting.get_mut(dep) {
                w.remove(key);
                if w.is_empty() {
                    self.waiting.remove(dep);
                }
            }
        }
        if let Some(keys) = self.per_sender.get_mut(&*b.sender_id) {
            keys.remove(key);
            if keys.is_empty() {
                self.per_sender.remove(&*b.sender_id);
            }
        }
        if let Some(timeout) = self.config.lost_timeout_ms {
            self.lost_deadlines
                .remove(&(b.received_ms.saturating_add(timeout), key.clone()));
        }
        Some(b)
    }

    /// Whether a buffered message may leave the buffer: every dependency is met, or, once it
    /// timed out, is at least not held in the incoming buffer (so lost).
    fn is_ready(&self, b: &Buffered) -> bool {
        b.deps
            .iter()
            .all(|dep| self.dep_met(dep) || (b.timed_out && !self.incoming_ids.contains_key(dep)))
    }

    /// Marks a buffered message timed out and declares its missing (not held) dependencies
    /// lost. Returns whether it is now ready to leave the buffer.
    fn time_out(&mut self, key: &Key) -> bool {
        let Some(b) = self.incoming.get_mut(key) else {
            return false;
        };
        b.timed_out = true;
        let Some(b) = self.incoming.get(key) else {
            return false;
        };
        let lost: Vec<MessageId> = b
            .deps
            .iter()
            .filter(|id| !self.dep_met(id) && !self.incoming_ids.contains_key(id))
            .cloned()
            .collect();
        for id in &lost {
            self.declare_lost(id);
        }
        self.incoming.get(key).is_some_and(|b| self.is_ready(b))
    }

    /// Declares `id` irretrievably lost, once: event, no more repair requests.
    fn declare_lost(&mut self, id: &MessageId) {
        self.missing.remove(id);
        self.remove_out_repair(id);
        let events = &mut self.events;
        let capacity = self.config.delivered_ids_capacity;
        if self.lost.insert(id.clone(), capacity, |old| {
            events.push_back(Event::Evicted {
                buffer: Buffer::LostIds,
                message_id: old,
            })
        }) {
            self.events.push_back(Event::IrretrievablyLost {
                message_id: id.to_string(),
            });
        }
    }

    /// Applies the lost timeout to buffered messages whose deadline passed.
    pub(super) fn lost_timeouts(&mut self, now_ms: u64) {
        let mut ready = BTreeSet::new();
        while let Some((t, key)) = self.lost_deadlines.first().cloned() {
            if t > now_ms {
                break;
            }
            self.lost_deadlines.pop_first();
            if self.time_out(&key) {
                ready.insert(key);
            }
        }
        self.resolve(Vec::new(), Vec::new(), ready);
    }

    /// Delivers buffered messages made ready by `available` ids, smallest (Lamport, id) first,
    /// until none is ready.
    pub(super) fn release(&mut self, available: Vec<MessageId>) {
        self.resolve(available, Vec::new(), BTreeSet::new());
    }

    /// The one place buffered messages leave the buffer, iteratively (no recursion, so long
    /// dependency chains cannot overflow the stack). `available`: ids that became met;
    /// `gone`: ids that left the buffer undelivered (their timed-out waiters lose them);
    /// `ready`: keys already known ready. Ready messages go smallest (Lamport, id) first; one
    /// that timed out with lost dependencies is dropped under `LostPolicy::Drop`, otherwise
    /// delivered.
    fn resolve(
        &mut self,
        mut available: Vec<MessageId>,
        mut gone: Vec<MessageId>,
        mut ready: BTreeSet<Key>,
    ) {
        loop {
            while let Some(id) = available.pop() {
                let Some(waiters) = self.waiting.remove(&id) else {
                    continue;
                };
                for key in waiters {
                    if self.incoming.get(&key).is_some_and(|b| self.is_ready(b)) {
                        ready.insert(key);
                    }
                }
            }
            while let Some(id) = gone.pop() {
                let waiters: Vec<Key> = match self.waiting.get(&id) {
                    Some(w) => w.iter().cloned().collect(),
                    None => continue,
                };
                for key in waiters {
                    if self.incoming.get(&key).is_some_and(|b| b.timed_out) && self.time_out(&key) {
                        ready.insert(key);
                    }
                }
            }
            let Some(key) = ready.pop_first() else {
                break;
            };
            let Some(mut b) = self.unhold(&key) else {
                continue;
            };
            let id = b.id.clone();
            let drop = self.config.lost_policy == LostPolicy::Drop
                && b.deps.iter().any(|dep| !self.dep_met(dep));
            if drop {
                self.events.push_back(Event::DroppedLost {
                    message_id: b.message_id.to_string(),
                });
                gone.push(id);
            } else {
                self.deliver(b.delivery());
                available.push(id);
            }
        }
    }

    pub(super) fn schedule_sweep(&mut self, now_ms: u64) {
        let needed = !self.incoming.is_empty() || !self.missing.is_empty();
        if !needed {
            self.next_sweep_ms = None;
        } else if self.next_sweep_ms.is_none() {
            self.next_sweep_ms =
                Some(now_ms.saturating_add(self.config.incoming_sweep_interval_ms.max(1)));
        }
    }

    /// Incoming sweep: re-report missing dependencies of buffered messages (js-waku
    /// `sweepIncomingBuffer`), then SDS-R liveness for tracked missing ids.
    pub(super) fn sweep(&mut self, now_ms: u64) {
        let mut reports = Vec::new();
        let mut untracked = Vec::new();
        for b in self.incoming.values() {
            let missing: Vec<(&HistoryEntry, &MessageId)> = b
                .causal_history
                .iter()
                .zip(&b.deps)
                .filter(|(_, id)| {
                    !self.dep_met(id)
                        && !self.incoming_ids.contains_key(*id)
                        && !self.lost.contains(id)
                })
                .collect();
            untracked.extend(
                missing
                    .iter()
                    .filter(|(_, id)| !self.missing.contains_key(*id))
                    .map(|(e, _)| (*e).clone()),
            );
            let missing: Vec<HistoryEntry> = missing.into_iter().map(|(e, _)| e.clone()).collect();
            if !missing.is_empty() {
                reports.push(Event::MissingDependencies {
                    message_id: b.message_id.to_string(),
                    missing,
                });
            }
        }
        self.events.extend(reports);
        // Ids that could not be tracked (full missing set) or whose holder was evicted.
        self.track_missing(now_ms, &untracked);
        let Some(rc) = self.repair_config() else {
            return;
        };
        let ids: Vec<MessageId> = self.missing.keys().cloned().collect();
        for id in ids {
            if self.dep_met(&id) || self.incoming_ids.contains_key(&id) {
                self.missing.remove(&id);
                continue;
            }
            if self.out_repair.contains_key(&id) {
                continue;
            }
            let Some(m) = self.missing.get_mut(&id) else {
                continue;
            };
            if now_ms < m.last_activity_ms.saturating_add(rc.t_max_ms) {
                continue;
            }
            if m.rounds < rc.max_requests_per_message {
                m.rounds += 1;
                m.last_activity_ms = now_ms;
                let entry = self.history_entry_for_missing(&id);
                let t = repair::t_req_ms(
                    &self.participant_id,
                    &entry.message_id,
                    now_ms,
                    rc.t_min_ms,
                    rc.t_max_ms,
                );
                self.add_out_repair(entry, t);
            } else {
                self.declare_lost(&id);
            }
        }
    }

    /// The best-known history entry for a missing id: from a buffered message's causal history
    /// if any names it, else the bare id.
    fn history_entry_for_missing(&self, id: &MessageId) -> HistoryEntry {
        self.waiting
            .get(id)
            .and_then(|keys| keys.first())
            .and_then(|k| self.incoming.get(k))
            .and_then(|b| {
                b.causal_history
                    .iter()
                    .zip(&b.deps)
                    .find(|(_, dep)| *dep == id)
                    .map(|(e, _)| e.clone())
            })
            .unwrap_or_else(|| HistoryEntry {
                message_id: id.to_string(),
                retrieval_hint: None,
                sender_id: None,
            })
    }
}
