//! The outgoing buffer of a [`Channel`] (PROTOCOL.md §2 "Acknowledgement", "Outgoing buffer /
//! eager push"): own content messages waiting for acknowledgement, bounded by
//! `outgoing_buffer_capacity`; acknowledgements by causal history and by received bloom
//! filters (`possible_acks_threshold`); resends every `resend_interval_ms` and the give-up
//! after `max_resends`. Rules and their sources are in `Channel`'s and `Config`'s docs.
//!
//! May touch: the outgoing buffer, its id set, the event and transmission queues. May not
//! change: the local log, the bloom filter (read for its parameters), the incoming and
//! repair buffers, timers other than the resends'.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::{bloom, Buffer, Channel, Event, MessageId, MessageView, Transmit, TransmitKind};

/// An own content message in the outgoing buffer, with the bloom bit indexes of its id
/// (cached for the possible-acknowledgement checks).
#[derive(Debug, Clone)]
pub(super) struct OutgoingEntry {
    pub(super) id: MessageId,
    pub(super) message_id: String,
    pub(super) bytes: Bytes,
    pub(super) bits: Vec<u64>,
    pub(super) possible_acks: u32,
    pub(super) resends: u32,
    pub(super) next_resend_ms: u64,
}

impl Channel {
    /// Puts a just-sent own message in the outgoing buffer, its first resend due after
    /// `resend_interval_ms`. A full buffer first gives up on its oldest entry
    /// (`Event::Evicted` with `Buffer::OutgoingBuffer`, then `Event::NotAcknowledged`).
    pub(super) fn push_outgoing(
        &mut self,
        now_ms: u64,
        id: MessageId,
        message_id: String,
        bytes: Bytes,
        bits: Vec<u64>,
    ) {
        if self.outgoing.len() >= self.config.outgoing_buffer_capacity.max(1) {
            if let Some(evicted) = self.outgoing.pop_front() {
                self.outgoing_ids.remove(&evicted.id);
                self.events.push_back(Event::Evicted {
                    buffer: Buffer::OutgoingBuffer,
                    message_id: evicted.id.clone(),
                });
                self.events.push_back(Event::NotAcknowledged {
                    message_id: evicted.message_id,
                });
            }
        }
        self.outgoing_ids.insert(id.clone());
        self.outgoing.push_back(OutgoingEntry {
            id,
            message_id,
            bytes,
            bits,
            possible_acks: 0,
            resends: 0,
            next_resend_ms: now_ms.saturating_add(self.config.resend_interval_ms),
        });
    }

    /// Acknowledgements carried by `message`, whose causal-history ids are `history`.
    pub(super) fn review_acks(&mut self, message: &MessageView, history: &[MessageId]) {
        // Nothing to acknowledge (usually, for all but a sender's own recent messages): no
        // look-ups.
        let history = if self.outgoing_ids.is_empty() {
            &[]
        } else {
            history
        };
        for id in history {
            if !self.outgoing_ids.remove(id) {
                continue;
            }
            if let Some(pos) = self.outgoing.iter().position(|o| o.id == *id) {
                if let Some(o) = self.outgoing.remove(pos) {
                    self.events.push_back(Event::Acknowledged {
                        message_id: o.message_id,
                    });
                }
            }
        }
        let Some(filter) = message.bloom_filter() else {
            return;
        };
        let params = *self.bloom.params();
        if filter.len() != params.byte_len() {
            return;
        }
        let threshold = self.hot.possible_acks_threshold;
        let mut i = 0;
        while i < self.outgoing.len() {
            let o = &mut self.outgoing[i];
            if bloom::serialized_contains(&params, filter, &o.bits) != Some(true) {
                i += 1;
                continue;
            }
            let count = o.possible_acks.saturating_add(1);
            if count >= threshold {
                if let Some(o) = self.outgoing.remove(i) {
                    self.outgoing_ids.remove(&o.id);
                    self.events.push_back(Event::Acknowledged {
                        message_id: o.message_id,
                    });
                }
            } else {
                o.possible_acks = count;
                self.events.push_back(Event::PossiblyAcknowledged {
                    message_id: o.message_id.clone(),
                    count,
                });
                i += 1;
            }
        }
    }

    /// Re-broadcasts every own message whose resend is due, unchanged (never acknowledged
    /// before possibly acknowledged, oldest first), and gives up on those that reached
    /// `max_resends` (`Event::NotAcknowledged`).
    pub(super) fn resend_due(&mut self, now_ms: u64) {
        let due = |e: &OutgoingEntry| e.next_resend_ms <= now_ms;
        let mut order: Vec<usize> = (0..self.outgoing.len())
            .filter(|&i| due(&self.outgoing[i]))
            .collect();
        // Unacknowledged before possibly acknowledged (js-waku `sweepOutgoingBuffer`); stable.
        order.sort_by_key(|&i| self.outgoing[i].possible_acks > 0);
        let mut give_up = Vec::new();
        for i in order {
            let interval = self.config.resend_interval_ms;
            let e = &mut self.outgoing[i];
            if e.resends >= self.config.max_resends {
                give_up.push(e.message_id.clone());
                continue;
            }
            e.resends += 1;
            e.next_resend_ms = now_ms.saturating_add(interval);
            self.transmits.push_back(Transmit {
                kind: TransmitKind::Resend,
                message_id: e.message_id.clone(),
                bytes: e.bytes.clone(),
                repair_requests: 0,
            });
        }
        if !give_up.is_empty() {
            let gone: BTreeSet<&str> = give_up.iter().map(String::as_str).collect();
            self.outgoing
                .retain(|e| !gone.contains(e.message_id.as_str()));
        }
        for id in give_up {
            self.outgoing_ids.remove(&MessageId::new(&id));
            self.events
                .push_back(Event::NotAcknowledged { message_id: id });
        }
    }
}
