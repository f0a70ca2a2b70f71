//! SDS-R bookkeeping of a [`Channel`] (PROTOCOL.md §3): the outgoing repair buffer (missing
//! id → T_req), the set of tracked missing ids with their request rounds, the incoming repair
//! buffer (requested id → T_resp) and the re-broadcast of due responses. Rules and their
//! sources are in `Channel`'s docs and CONFORMANCE.md.

use super::{
    repair, Buffer, Channel, Event, HistoryEntry, Key, MessageId, MessageKind, MissingDep,
    RepairConfig, RepairEntry, Transmit, TransmitKind,
};

/// Capacity of the set of tracked missing ids: twice `buffer_capacity`, room for a full
/// outgoing repair buffer and as many ids again that wait for a later round in no buffer
/// (`Pending::repair_awaiting`), so that a full set never keeps a new id out of the outgoing
/// repair buffer while that buffer still applies its own eviction rule.
pub(super) fn tracked_missing_capacity(rc: &RepairConfig) -> usize {
    rc.buffer_capacity.max(1).saturating_mul(2)
}

impl Channel {
    /// Adds an entry to the outgoing repair buffer (no-op if the id is in it). When the buffer
    /// is full, js-waku's rule (`repair/buffers.ts:53-69`, `OutgoingRepairBuffer.add`): first
    /// the entry with the latest T_req (ties: the greatest id) is evicted, with
    /// `Event::Evicted`, then the new entry is inserted, whatever its T_req. The evicted id
    /// stays tracked with its round given back: the incoming sweep schedules it again once
    /// T_max has passed since its last activity.
    pub(super) fn add_out_repair(&mut self, entry: HistoryEntry, t_req_ms: u64) {
        let Some(rc) = self.repair_config() else {
            return;
        };
        let id = MessageId::new(&entry.message_id);
        if self.out_repair.contains_key(&id) {
            return;
        }
        if self.out_repair.len() >= rc.buffer_capacity.max(1) {
            if let Some((_, furthest)) = self.out_repair_order.pop_last() {
                self.out_repair.remove(&furthest);
                // This round never sent a request: it does not count.
                if let Some(m) = self.missing.get_mut(&furthest) {
                    m.rounds = m.rounds.saturating_sub(1);
                }
                self.events.push_back(Event::Evicted {
                    buffer: Buffer::OutgoingRepairBuffer,
                    message_id: furthest.clone(),
                });
            }
        }
        self.out_repair_order.insert((t_req_ms, id.clone()));
        self.out_repair.insert(id, (t_req_ms, entry));
    }

    pub(super) fn remove_out_repair(&mut self, id: &MessageId) -> bool {
        // Emptied maps keep their tables: asking one about an id reads a cold line of it
        // (once or twice per receipt, the buffers empty nearly always).
        if self.out_repair.is_empty() {
            return false;
        }
        match self.out_repair.remove(id) {
            Some((t, _)) => {
                self.out_repair_order.remove(&(t, id.clone()));
                true
            }
            None => false,
        }
    }

    fn remove_in_repair(&mut self, id: &MessageId) {
        if self.in_repair.is_empty() {
            return;
        }
        if let Some(t) = self.in_repair.remove(id) {
            self.in_repair_order.remove(&(t, id.clone()));
        }
    }

    /// A message with this id was received: nobody needs to request or answer it any more.
    pub(super) fn repair_seen(&mut self, id: &MessageId, kind: MessageKind) {
        if !self.hot.repair {
            return;
        }
        self.remove_out_repair(id);
        self.remove_in_repair(id);
        if kind == MessageKind::Content {
            self.missing.remove(id);
        }
    }

    /// Starts tracking missing entries not tracked yet (nor declared lost): round 1, T_req
    /// from `now_ms`, into the outgoing repair buffer (which may evict, see
    /// `add_out_repair`). When the tracked set is full (`tracked_missing_capacity`), the rest
    /// wait: the incoming sweep offers them again.
    pub(super) fn track_missing(&mut self, now_ms: u64, entries: &[HistoryEntry]) {
        let Some(rc) = self.repair_config() else {
            return;
        };
        for entry in entries {
            let id = MessageId::new(&entry.message_id);
            if self.missing.contains_key(&id) || self.lost.contains(&id) {
                continue;
            }
            if self.missing.len() >= tracked_missing_capacity(&rc) {
                break;
            }
            self.missing.insert(
                id,
                MissingDep {
                    rounds: 1,
                    last_activity_ms: now_ms,
                },
            );
            let t = repair::t_req_ms(
                &self.participant_id,
                &entry.message_id,
                now_ms,
                rc.t_min_ms,
                rc.t_max_ms,
            );
            self.add_out_repair(entry.clone(), t);
        }
    }

    /// Up to `max_entries_per_message` entries with `T_req <= now`, lowest first. Each taken
    /// entry is rescheduled for another round (`T_req` recomputed from `now + T_max`, so the
    /// response window of this request passes first) or, after its last round, dropped.
    pub(super) fn take_due_requests(&mut self, now_ms: u64) -> Vec<HistoryEntry> {
        let Some(rc) = self.repair_config() else {
            return Vec::new();
        };
        let due: Vec<Key> = self
            .out_repair_order
            .iter()
            .take_while(|(t, _)| *t <= now_ms)
            .take(rc.max_entries_per_message)
            .cloned()
            .collect();
        let mut taken = Vec::with_capacity(due.len());
        for (t, id) in due {
            self.out_repair_order.remove(&(t, id.clone()));
            let Some((_, entry)) = self.out_repair.remove(&id) else {
                continue;
            };
            self.events.push_back(Event::RepairRequestSent {
                message_id: entry.message_id.clone(),
            });
            if let Some(m) = self.missing.get_mut(&id) {
                m.last_activity_ms = now_ms;
                if m.rounds < rc.max_requests_per_message {
                    m.rounds += 1;
                    let next = repair::t_req_ms(
                        &self.participant_id,
                        &entry.message_id,
                        now_ms.saturating_add(rc.t_max_ms),
                        rc.t_min_ms,
                        rc.t_max_ms,
                    );
                    self.out_repair_order.insert((next, id.clone()));
                    self.out_repair.insert(id, (next, entry.clone()));
                }
            }
            taken.push(entry);
        }
        taken
    }

    pub(super) fn on_repair_request(&mut self, now_ms: u64, request: &RepairEntry) {
        let Some(rc) = self.repair_config() else {
            return;
        };
        let id = &request.id;
        // Someone else asked: drop our own request (this round is used up).
        if self.remove_out_repair(id) {
            if let Some(m) = self.missing.get_mut(id) {
                m.last_activity_ms = now_ms;
            }
        } else if let Some(m) = self.missing.get_mut(id) {
            m.last_activity_ms = now_ms;
        }
        if self.stored(id).is_none() || self.in_repair.contains_key(id) {
            return;
        }
        let sender = request.entry.sender_id.as_deref().unwrap_or("");
        let text = &request.entry.message_id;
        let groups = rc.num_response_groups;
        if !repair::in_response_group_with(&self.participant_id, sender, text, groups, || {
            request.hashes()
        }) {
            return;
        }
        let t = repair::t_resp_ms_hashed(
            self.participant_hash,
            &request.hashes(),
            now_ms,
            rc.t_max_ms,
        );
        let id = id.clone();
        if self.in_repair.len() >= rc.buffer_capacity.max(1) {
            if let Some((_, furthest)) = self.in_repair_order.pop_last() {
                self.in_repair.remove(&furthest);
                self.events.push_back(Event::Evicted {
                    buffer: Buffer::IncomingRepairBuffer,
                    message_id: furthest.clone(),
                });
            }
        }
        self.in_repair.insert(id.clone(), t);
        self.in_repair_order.insert((t, id));
    }

    pub(super) fn respond_due(&mut self, now_ms: u64) {
        if !self.in_repair_order.any_due(now_ms) {
            return;
        }
        while let Some((t, id)) = self.in_repair_order.first().cloned() {
            if t > now_ms {
                break;
            }
            self.in_repair_order.pop_first();
            self.in_repair.remove(&id);
            if let Some(bytes) = self.stored(&id) {
                let message_id = id.to_string();
                self.transmits.push_back(Transmit {
                    kind: TransmitKind::RepairResponse,
                    message_id: message_id.clone(),
                    bytes: bytes.clone(),
                    repair_requests: 0,
                });
                self.events
                    .push_back(Event::RepairResponseSent { message_id });
            }
        }
    }
}
