//! What a [`Channel`] has (PROTOCOL.md §2 "Local log", "Causal history", "Bloom filter"):
//! the local log (ordered by (Lamport, id), with the sender and retrieval hint of the newest
//! `causal_history_size` entries for causal histories), the SDS-R message store, the bloom
//! filter (with its rebuild rollover), and the bounded sets of ids remembered after leaving
//! the log, marked met or declared lost ([`FifoSet`]). Rules and their sources are in
//! `Channel`'s and `Config`'s docs.
//!
//! May touch: those collections, and the event queue for their evictions. May not touch: the
//! outgoing and incoming buffers (only read, for duplicates), SDS-R repair buffers, timers,
//! transmissions.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use hashbrown::hash_map::Entry;
use rustc_hash::FxHashSet;

use super::grown_capacity;
use super::held::{self, NotedSet};
use super::{
    BloomFilter, BloomRollover, Buffer, Channel, Event, HistoryEntry, Known, MessageId, Parsed,
};
#[cfg(test)]
use super::{Config, RepairConfig, SyncPolicy};

/// Makes room for one more entry in `deque`, growing a full one to
/// [`grown_capacity`] instead of doubling.
fn make_room<T>(deque: &mut VecDeque<T>) {
    if deque.len() == deque.capacity() {
        let want = grown_capacity(deque.capacity());
        deque.reserve_exact(want - deque.len());
    }
}

/// A set of ids that is usually empty: one pointer until its first insert, and freed again
/// when emptied, so that "is it empty" reads no other memory (`Channel::store_only`).
#[derive(Debug, Clone, Default)]
pub(super) struct IdSet(Option<Box<FxHashSet<MessageId>>>);

impl IdSet {
    /// Whether `id` is in the set.
    pub(super) fn contains(&self, id: &MessageId) -> bool {
        self.0.as_ref().is_some_and(|set| set.contains(id))
    }

    /// Adds `id`.
    pub(super) fn insert(&mut self, id: &MessageId) {
        self.0.get_or_insert_default().insert(id.clone());
    }

    /// Removes `id`; returns whether it was there.
    pub(super) fn remove(&mut self, id: &MessageId) -> bool {
        let Some(set) = self.0.as_mut() else {
            return false;
        };
        let removed = set.remove(id);
        if set.is_empty() {
            self.0 = None;
        }
        removed
    }
}

/// The retrieval hints of the newest `causal_history_size` log entries (`Channel::recent`):
/// how many there are (`min(causal_history_size, log length)`) and, once any is known, the
/// hints, oldest first, aligned with the back of the log. Until the first hint (in most
/// runs, never) no hint is kept, and a receipt touches nothing outside `Channel`.
#[derive(Debug, Clone, Default)]
pub(super) struct RecentHints {
    len: usize,
    // Boxed: one pointer in `Channel`'s hot lines instead of a 32-byte deque header.
    #[allow(clippy::box_collection)]
    hints: Option<Box<VecDeque<Option<Bytes>>>>,
}

impl RecentHints {
    /// How many of the newest log entries a causal history names.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The hint of the `i`-th of them, oldest first.
    pub(super) fn get(&self, i: usize) -> Option<&Bytes> {
        self.hints.as_ref()?.get(i)?.as_ref()
    }

    /// Sets the hint of the `i`-th of them (`i < len`).
    pub(super) fn set(&mut self, i: usize, hint: Bytes) {
        if let Some(slot) = self.hints_mut().get_mut(i) {
            *slot = Some(hint);
        }
    }

    /// The hints, made (`len` times none) when first needed.
    fn hints_mut(&mut self) -> &mut VecDeque<Option<Bytes>> {
        let len = self.len;
        self.hints
            .get_or_insert_with(|| Box::new(VecDeque::from(vec![None; len])))
    }

    /// A log entry was inserted `from_back` places from the back of the log (0: it is the
    /// newest); `n` is `causal_history_size`.
    pub(super) fn inserted(&mut self, from_back: usize, hint: Option<Bytes>, n: usize) {
        if from_back >= n {
            return; // then the log had at least n entries: its newest n are unchanged
        }
        if hint.is_some() || self.hints.is_some() {
            let len = self.len;
            let hints = self.hints_mut();
            hints.insert(len - from_back, hint);
            if hints.len() > n {
                hints.pop_front();
            }
        }
        self.len = (self.len + 1).min(n);
    }

    /// The log's oldest entry was evicted, leaving `log_len` entries.
    pub(super) fn evicted(&mut self, log_len: usize) {
        if self.len > log_len {
            self.len = log_len;
            if let Some(hints) = self.hints.as_mut() {
                hints.pop_front();
            }
        }
    }
}

/// A bounded set with first-in-first-out eviction (the set is only looked up, never
/// iterated; the order is a `VecDeque`). Boxed, and absent until the first insert: one
/// pointer in `Channel` (usually empty; 64 bytes inline before).
#[derive(Debug, Clone, Default)]
pub(super) struct FifoSet(Option<Box<FifoParts>>);

#[derive(Debug, Clone, Default)]
struct FifoParts {
    set: NotedSet,
    order: VecDeque<MessageId>,
}

impl FifoSet {
    /// Whether `id` is in the set.
    pub(super) fn contains(&self, id: &MessageId) -> bool {
        self.0.as_ref().is_some_and(|p| p.set.contains(id))
    }

    /// Inserts `id`; returns false if already present. Evicts the oldest beyond `capacity`
    /// (at least 1) and reports it through `evicted`. Takes the id by value: every reference
    /// count update is an atomic instruction, which waits for the stores before it.
    pub(super) fn insert(
        &mut self,
        id: MessageId,
        capacity: usize,
        mut evicted: impl FnMut(MessageId),
    ) -> bool {
        let parts = self.0.get_or_insert_default();
        if !parts.set.insert(id.clone()) {
            return false;
        }
        parts.order.push_back(id);
        while parts.order.len() > capacity.max(1) {
            if let Some(old) = parts.order.pop_front() {
                parts.set.remove(&old);
                evicted(old);
            }
        }
        true
    }

    /// A hint for the next [`FifoSet::insert`] of `next` with `capacity`: asks for `next`'s
    /// slot and, when the insert will evict, for the oldest id's slot and the second oldest
    /// id's record (whose slot the insert after that asks for). Changes nothing.
    fn prefetch_insert(&self, next: &MessageId, capacity: usize) {
        let Some(parts) = self.0.as_deref() else {
            return;
        };
        held::prefetch_slot(&parts.set, next);
        if parts.order.len() >= capacity.max(1) {
            if let Some(second) = parts.order.get(1) {
                second.prefetch_record();
            }
            if let Some(oldest) = parts.order.front() {
                held::prefetch_slot(&parts.set, oldest);
            }
        }
    }
}

/// The local log's order, as candidates for a received message's own decoding to share
/// ([`Known`]): a causal history names its sender's newest log entries, oldest first, which
/// are usually this participant's newest too (as in [`Channel::unmet_history`]), and the
/// newest entry's sender is often the next message's.
pub(super) struct LogTail<'a>(pub(super) &'a VecDeque<MessageId>);

impl Known for LogTail<'_> {
    fn history_entry(&self, i: usize, n: usize) -> Option<&MessageId> {
        self.0.get((self.0.len() + i).checked_sub(n)?)
    }

    fn sender(&self) -> Option<&Arc<str>> {
        self.0.back()?.sender()
    }
}

impl Channel {
    /// Hints for the evictions of the next receipt, once the local log or the store is full
    /// (then every delivery evicts: the oldest log entry leaves `held` for the delivered-id
    /// set, which evicts its own oldest, and the oldest stored message leaves `held`). Each
    /// of those reads an id's record and its slots, last touched thousands of receipts ago:
    /// a cache miss each in a steady-state receiver (issue 16, `benches/core.rs`). Pipelined
    /// over two receipts: the second-oldest id's record now, the oldest's slots (found from
    /// its record, asked for one receipt ago) now too. Changes nothing.
    pub(super) fn prefetch_evictions(&self) {
        if self.log_order.len() >= self.hot.local_log_capacity.max(1) {
            if let Some(second) = self.log_order.get(1) {
                second.prefetch_record();
            }
            if let Some(oldest) = self.log_order.front() {
                held::prefetch_slot(&self.held, oldest);
                self.delivered
                    .prefetch_insert(oldest, self.config.delivered_ids_capacity);
            }
        }
        if self.hot.repair && self.store_order.len() >= self.hot.message_store_capacity.max(1) {
            if let Some(second) = self.store_order.get(1) {
                second.prefetch_record();
            }
            if let Some(oldest) = self.store_order.front() {
                held::prefetch_slot(&self.held, oldest);
            }
        }
    }

    /// Sets the retrieval hint of a message in the local log (typically an own sent message,
    /// once the transport knows it: a real client sets the Waku message hash after
    /// publishing, as js-waku's reliable channel does with `retrievalHint`). Later causal
    /// histories carry it, so receivers missing the message can fetch it from a store
    /// (`Event::MissingDependencies` reports it). Messages already sent keep the history they
    /// were sent with. Returns false (and changes nothing) if `message_id` is not in the log.
    /// Received messages get theirs from `handle_message`'s `retrieval_hint` argument; this
    /// replaces it.
    pub fn set_retrieval_hint(&mut self, message_id: &str, hint: Bytes) -> bool {
        let id = MessageId::new(message_id);
        if !self.in_log(&id) {
            return false;
        }
        // Only the newest entries can still be named by a causal history (see `recent`: at
        // most `causal_history_size` entries, each id once).
        if let Some(at) = self.newest_logged().position(|logged| *logged == id) {
            self.recent.set(at, hint);
        }
        true
    }

    /// Whether a dependency on `id` is met: in the local log, marked met, or delivered and
    /// remembered after leaving the log.
    pub(super) fn dep_met(&self, id: &MessageId) -> bool {
        self.in_log(id) || self.externally_met.contains(id) || self.delivered.contains(id)
    }

    /// The causal-history entries of `parsed` whose dependency is not met
    /// ([`Channel::dep_met`]), by index. A causal history names its sender's newest log
    /// entries, oldest first, which are usually this participant's newest too, in the same
    /// places: each entry is looked for there first (the place it would have, then two
    /// either side), before the hash look-ups. The log record found is noted in `parsed` for
    /// later receivers (`Parsed::logged_as`), and a record noted by an earlier one is
    /// compared by pointer first.
    pub(super) fn unmet_history(&self, parsed: &Parsed) -> Vec<usize> {
        let (older, newer) = self.log_order.as_slices();
        let len = older.len() + newer.len();
        let at = |k: usize| match k.checked_sub(older.len()) {
            None => older.get(k),
            Some(k) => newer.get(k),
        };
        let n = parsed.history.len();
        // The newest `n` log entries when they lie in one piece of the deque (unless it
        // wraps just there): where the history usually is, entry for entry.
        let tail = if newer.len() >= n {
            newer.get(newer.len() - n..)
        } else if newer.is_empty() && older.len() >= n {
            older.get(older.len() - n..)
        } else {
            None
        };
        let mut unmet = Vec::new();
        for (i, (id, noted)) in parsed.history.iter().zip(&parsed.logged_as).enumerate() {
            let known = noted.get();
            // Usually: the record an earlier receiver noted, or the entry itself when this
            // receiver's own decoding took it from the log (`LogTail`), in the expected place:
            // nothing to look up or note.
            if let Some(logged) = tail.and_then(|t| t.get(i)) {
                if known.unwrap_or(id).same(logged) {
                    continue;
                }
            }
            let expected = (len + i).saturating_sub(n);
            let found = at(expected).filter(|logged| *logged == id).or_else(|| {
                (expected.saturating_sub(2)..(expected + 3).min(len))
                    .filter(|&k| k != expected)
                    .filter_map(at)
                    .find(|logged| known.is_some_and(|k| k.same(logged)) || *logged == id)
            });
            match found {
                Some(logged) => {
                    if known.is_none() {
                        let _ = noted.set(logged.clone());
                    }
                }
                None => {
                    if !self.dep_met(known.unwrap_or(id)) {
                        unmet.push(i);
                    }
                }
            }
        }
        unmet
    }

    /// Whether `id` is a duplicate: its dependency is met or it waits in the incoming buffer.
    pub(super) fn is_known(&self, id: &MessageId) -> bool {
        self.dep_met(id) || (!self.incoming_ids.is_empty() && self.incoming_ids.contains_key(id))
    }

    /// Whether `id` is in the local log.
    pub(super) fn in_log(&self, id: &MessageId) -> bool {
        self.held.contains_key(id) && !self.store_only.contains(id)
    }

    /// The stored bytes of `id` (SDS-R store).
    pub(super) fn stored(&self, id: &MessageId) -> Option<&Bytes> {
        self.held.get(id).and_then(|bytes| bytes.as_deref())
    }

    /// The log entries a causal history names (`recent`'s), oldest first.
    fn newest_logged(&self) -> std::collections::vec_deque::Iter<'_, MessageId> {
        self.log_order
            .range(self.log_order.len() - self.recent.len()..)
    }

    /// The newest `causal_history_size` log entries, oldest first.
    pub(super) fn causal_history(&self) -> Vec<HistoryEntry> {
        self.newest_logged()
            .enumerate()
            .map(|(i, id)| HistoryEntry {
                message_id: id.to_string(),
                retrieval_hint: self.recent.get(i).cloned(),
                sender_id: id.sender().map(|s| s.to_string()),
            })
            .collect()
    }

    /// Adds a delivered or sent message to the local log and, with SDS-R, the store (see the
    /// test-only `Channel::log_insert` and `Channel::store_insert`, in that order, events
    /// included), with one lookup of its `held` entry for both.
    pub(super) fn log_and_store_insert(
        &mut self,
        id: &MessageId,
        lamport: u64,
        sender_id: &Arc<str>,
        retrieval_hint: Option<Bytes>,
        bytes: &Arc<Bytes>,
    ) {
        let store = self.hot.repair;
        // Both set before the log's eviction runs: if it evicts this very id, the entry stays
        // for the store (the separate inserts dropped it and made it again: same end state).
        let (to_log, to_store) = match self.held.entry(id.clone()) {
            Entry::Vacant(vacant) => {
                vacant.insert(store.then(|| bytes.clone()));
                (true, store)
            }
            Entry::Occupied(mut held) => {
                let to_log = self.store_only.remove(id);
                let to_store = store && held.get().is_none();
                if to_store {
                    *held.get_mut() = Some(bytes.clone());
                }
                (to_log, to_store)
            }
        };
        if to_log {
            self.log_order_insert(id, lamport, sender_id, retrieval_hint);
        }
        if to_store {
            self.store_order_push(id);
        }
        self.prefetch_evictions();
    }

    /// Adds a delivered or sent message to the local log (no-op if there), keeps `recent` the
    /// newest `causal_history_size` entries, and evicts the lowest (Lamport, id) beyond
    /// `local_log_capacity` into the delivered-id set.
    #[cfg(test)]
    pub(super) fn log_insert(
        &mut self,
        id: &MessageId,
        lamport: u64,
        sender_id: &Arc<str>,
        retrieval_hint: Option<Bytes>,
    ) {
        match self.held.entry(id.clone()) {
            Entry::Vacant(vacant) => {
                vacant.insert(None);
            }
            Entry::Occupied(_) => {
                if !self.store_only.remove(id) {
                    return;
                }
            }
        }
        self.log_order_insert(id, lamport, sender_id, retrieval_hint);
    }

    /// The log part of [`Channel::log_and_store_insert`] (and of the test-only
    /// `Channel::log_insert`) once `held` has the id's Lamport timestamp: the ordered key,
    /// `recent`, evictions.
    fn log_order_insert(
        &mut self,
        id: &MessageId,
        lamport: u64,
        sender_id: &Arc<str>,
        retrieval_hint: Option<Bytes>,
    ) {
        let logged = id.as_message(lamport, sender_id);
        let below = |e: &MessageId| (e.lamport(), e) < (lamport, id);
        // The key is new (the id was not in the log). Usually the newest: append; else
        // insert at its sorted position.
        let before = self.log_order.len();
        make_room(&mut self.log_order);
        let at = if self.log_order.back().is_none_or(below) {
            self.log_order.push_back(logged);
            before
        } else {
            let at = self.log_order.partition_point(below);
            self.log_order.insert(at, logged);
            at
        };
        // `recent` stays aligned with the newest `causal_history_size` entries of the log:
        // the new entry is `from_back` places from its back.
        let n = self.hot.causal_history_size;
        let from_back = before - at;
        self.recent.inserted(from_back, retrieval_hint, n);
        while self.log_order.len() > self.hot.local_log_capacity.max(1) {
            let Some(old) = self.log_order.pop_front() else {
                break;
            };
            // In `recent` only when the log holds no more than `causal_history_size` entries.
            self.recent.evicted(self.log_order.len());
            self.leave_log(&old);
            let events = &mut self.events;
            events.push_back(Event::Evicted {
                buffer: Buffer::LocalLog,
                message_id: old.clone(),
            });
            self.delivered
                .insert(old, self.config.delivered_ids_capacity, |gone| {
                    events.push_back(Event::Evicted {
                        buffer: Buffer::DeliveredIds,
                        message_id: gone,
                    })
                });
        }
    }

    /// `id` left the local log: its `held` entry goes, unless the store still has it.
    fn leave_log(&mut self, id: &MessageId) {
        match self.held.get(id) {
            Some(Some(_)) => self.store_only.insert(id),
            Some(None) => {
                self.held.remove(id);
            }
            None => {}
        }
    }

    /// `id` left the SDS-R store: its `held` entry goes, unless the log still has it.
    fn leave_store(&mut self, id: &MessageId) {
        if self.store_only.remove(id) {
            self.held.remove(id);
        } else if let Some(bytes) = self.held.get_mut(id) {
            *bytes = None;
        }
    }

    /// Keeps `bytes` in the SDS-R store for repair responses (only with SDS-R), evicting the
    /// oldest beyond `message_store_capacity`.
    #[cfg(test)]
    pub(super) fn store_insert(&mut self, id: &MessageId, bytes: &Arc<Bytes>) {
        if !self.hot.repair {
            return;
        }
        match self.held.entry(id.clone()) {
            Entry::Vacant(vacant) => {
                // Not in the log: in the store only.
                vacant.insert(Some(bytes.clone()));
                self.store_only.insert(id);
            }
            Entry::Occupied(mut held) => {
                if held.get().is_some() {
                    return;
                }
                *held.get_mut() = Some(bytes.clone());
            }
        }
        self.store_order_push(id);
    }

    /// The store part of [`Channel::log_and_store_insert`] (and of the test-only
    /// `Channel::store_insert`) once `held` has the id's bytes: its place in the store's order,
    /// evictions.
    fn store_order_push(&mut self, id: &MessageId) {
        make_room(&mut self.store_order);
        self.store_order.push_back(id.clone());
        while self.store_order.len() > self.hot.message_store_capacity.max(1) {
            let Some(old) = self.store_order.pop_front() else {
                break;
            };
            self.leave_store(&old);
            self.events.push_back(Event::Evicted {
                buffer: Buffer::MessageStore,
                message_id: old,
            });
        }
    }

    /// Adds an id to the bloom filter; under `BloomRollover::Rebuild`, rebuilds it from the
    /// newest 80% of capacity once more than 120% of capacity ids were inserted.
    pub(super) fn bloom_add(&mut self, id: &MessageId, pair: (u64, u64)) {
        self.bloom.insert_pair(pair);
        if self.hot.bloom_rollover != BloomRollover::Rebuild {
            return;
        }
        self.bloom_ids.push_back(id.clone());
        let capacity = self.hot.bloom_capacity.max(1);
        let max = capacity.saturating_mul(120) / 100;
        if self.bloom_ids.len() <= max.max(1) {
            return;
        }
        let keep = capacity.saturating_mul(80) / 100;
        let drop = self.bloom_ids.len().saturating_sub(keep);
        self.bloom_ids.drain(..drop);
        let params = *self.bloom.params();
        let mut fresh = BloomFilter::new(params);
        for kept in &self.bloom_ids {
            fresh.insert_pair(kept.with_str(|id| params.bit_pair(id)));
        }
        self.bloom = fresh;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything the log and store parts own, and the events they queued (drained).
    fn state(c: &mut Channel) -> String {
        let mut held: Vec<String> = c
            .held
            .iter()
            .map(|(id, bytes)| format!("{id} {} {bytes:?}", c.in_log(id)))
            .collect();
        held.sort();
        let events: Vec<Event> = c.events.drain(..).collect();
        format!(
            "{held:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{events:?}",
            c.log_order, c.store_order, c.recent, c.delivered
        )
    }

    /// One lookup for both inserts gives the state and events of the two separate inserts,
    /// over random ids (repeated), Lamport timestamps (out of order, so a full log can evict
    /// the id just inserted) and tiny capacities, with and without SDS-R.
    #[test]
    fn log_and_store_insert_equals_the_separate_inserts() {
        for (repair, log_capacity, store_capacity) in
            [(true, 1, 1), (true, 3, 2), (true, 2, 5), (false, 3, 2)]
        {
            let config = Config {
                sync: SyncPolicy::Off,
                repair: repair.then(RepairConfig::default),
                local_log_capacity: log_capacity,
                message_store_capacity: store_capacity,
                delivered_ids_capacity: 4,
                ..Config::default()
            };
            let mut one = Channel::new("c", "me", config.clone(), 0, 1);
            let mut two = Channel::new("c", "me", config, 0, 1);
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            for step in 0..600 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let id = MessageId::new(&format!("{:064x}", x % 23));
                let lamport = (x >> 8) % 17;
                let sender: Arc<str> = Arc::from(format!("s{}", (x >> 16) % 3).as_str());
                let hint = (x & 0x100 != 0).then(|| Bytes::from(format!("h{step}")));
                let bytes = Arc::new(Bytes::from(format!("b{step}")));
                one.log_and_store_insert(&id, lamport, &sender, hint.clone(), &bytes);
                two.log_insert(&id, lamport, &sender, hint);
                two.store_insert(&id, &bytes);
                assert_eq!(state(&mut one), state(&mut two), "step {step}");
            }
        }
    }

    /// Causal histories name the newest `causal_history_size` log entries with their senders
    /// and hints, however the entries came (out of order, evicted from the front, hints given
    /// late by `set_retrieval_hint`): checked against the log kept as a plain sorted map.
    #[test]
    fn causal_history_is_the_newest_log_entries_with_their_hints() {
        for (n, log_capacity) in [(0, 3), (1, 1), (2, 1), (3, 2), (3, 8), (10, 5)] {
            let config = Config {
                sync: SyncPolicy::Off,
                repair: None,
                causal_history_size: n,
                local_log_capacity: log_capacity,
                delivered_ids_capacity: 64,
                ..Config::default()
            };
            let mut c = Channel::new("c", "me", config, 0, 1);
            // (Lamport, id) -> (sender, hint): the oracle's log.
            let mut log: std::collections::BTreeMap<(u64, String), (String, Option<Bytes>)> =
                std::collections::BTreeMap::new();
            let mut x: u64 = 0x2545_f491_4f6c_dd1d;
            for step in 0..400 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let text = format!("{:064x}", x % 40);
                let id = MessageId::new(&text);
                if x & 0x3000 == 0 {
                    // A hint for some logged id, newest or not.
                    let hint = Bytes::from(format!("late{step}"));
                    let logged = c.in_log(&id);
                    assert_eq!(c.set_retrieval_hint(&text, hint.clone()), logged);
                    if let Some(entry) = log.iter_mut().find(|((_, t), _)| *t == text) {
                        entry.1 .1 = Some(hint);
                    }
                } else if !c.in_log(&id) && !c.delivered.contains(&id) {
                    let lamport = (x >> 8) % 30;
                    let sender: Arc<str> = Arc::from(format!("s{}", (x >> 16) % 3).as_str());
                    let hint = (x & 0x400 != 0).then(|| Bytes::from(format!("h{step}")));
                    c.log_insert(&id, lamport, &sender, hint.clone());
                    log.insert((lamport, text), (sender.to_string(), hint));
                    while log.len() > log_capacity {
                        log.pop_first();
                    }
                }
                let expected: Vec<HistoryEntry> = log
                    .iter()
                    .rev()
                    .take(n)
                    .rev()
                    .map(|((_, text), (sender, hint))| HistoryEntry {
                        message_id: text.clone(),
                        retrieval_hint: hint.clone(),
                        sender_id: Some(sender.clone()),
                    })
                    .collect();
                assert_eq!(c.causal_history(), expected, "n {n}, step {step}");
            }
        }
    }
}
