//! The SDS channel state machine (PROTOCOL.md §2 and §3): one participant's view of one
//! channel. Sans-IO: time comes in as `now_ms`, randomness from the construction seed, bytes
//! go out through [`Channel::poll_transmit`].
//!
//! This module holds the [`Channel`] state, its construction, the drive loop's inputs
//! (`send`, `send_ephemeral`, `handle_message`, `handle_timeout`, `mark_dependencies_met`)
//! and outputs (`poll_*`), and delivery. The parts live in submodules, each an `impl Channel`
//! over the fields it owns: `output` (transmissions, events, errors), `log` (local log, SDS-R
//! store, bloom filter, remembered ids), `outgoing` (outgoing buffer, acknowledgements,
//! resends), `incoming` (incoming buffer, lost timeout, sweep), `sds_r` (repair buffers),
//! `sync` (sync timer and messages), `inspect` (read-only views). Like all of `sds`, it names
//! nothing else in the crate, reads no clock and does no I/O (`tests/tidy.rs`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};

use super::bloom::{self, BloomFilter, BloomParams};
use super::config::{BloomRollover, Config, LostPolicy, MessageIdRule, RepairConfig, SyncPolicy};
use super::decoded::{Decoded, Known, Parsed, RepairEntry};
use super::growth::grown_capacity;
use super::held::{self, Held};
use super::id::MessageId;
use super::prefetch as hint;
use super::repair;
use super::short_key::ShortKey;
use super::view::MessageView;
use super::wire::{self, HistoryEntry, Limits, MessageKind, SdsMessage, WireError};
use deadlines::Deadlines;

mod deadlines;
mod incoming;
mod inspect;
mod log;
mod outgoing;
mod output;
mod prefetch;
mod quiet;
mod sds_r;
mod sync;

pub use inspect::{
    BufferedMessage, IncomingRepairEntry, LoggedMessage, OutgoingMessage, OutgoingRepairEntry,
    Pending,
};
pub use output::{Buffer, Event, SendError, Transmit, TransmitKind};

use log::{FifoSet, IdSet, LogTail, RecentHints};
use outgoing::OutgoingEntry;
use sync::SyncState;

/// A received content message on its way to delivery: held in the incoming buffer while a
/// dependency is unmet.
#[derive(Debug, Clone)]
struct Buffered {
    id: MessageId,
    message_id: Arc<str>,
    sender_id: Arc<str>,
    lamport: u64,
    content: Bytes,
    causal_history: Vec<HistoryEntry>,
    /// The ids of `causal_history`, in the same order.
    deps: Vec<MessageId>,
    /// The same ids, shared, for `Event::Delivered`.
    history_ids: Arc<[MessageId]>,
    retrieval_hint: Option<Bytes>,
    bytes: Arc<Bytes>,
    received_ms: u64,
    /// Waited `lost_timeout_ms`: dependencies not held in the incoming buffer no longer block.
    timed_out: bool,
}

/// What delivering a content message needs, borrowed from a [`Buffered`] message or straight
/// from a shared [`Decoded`] one (see `Channel::deliver`).
struct Delivery<'a> {
    id: &'a MessageId,
    message_id: &'a Arc<str>,
    sender_id: &'a Arc<str>,
    lamport: u64,
    content: Bytes,
    history_ids: &'a Arc<[MessageId]>,
    bytes: &'a Arc<Bytes>,
    retrieval_hint: Option<Bytes>,
}

impl Buffered {
    /// `self` as a [`Delivery`] (the retrieval hint moves out).
    fn delivery(&mut self) -> Delivery<'_> {
        Delivery {
            id: &self.id,
            message_id: &self.message_id,
            sender_id: &self.sender_id,
            lamport: self.lamport,
            content: self.content.clone(),
            history_ids: &self.history_ids,
            bytes: &self.bytes,
            retrieval_hint: self.retrieval_hint.take(),
        }
    }
}

/// A tracked missing id (SDS-R): request rounds so far, and the last time it was tracked,
/// requested or scheduled (the incoming sweep waits T_max after it).
#[derive(Debug, Clone)]
struct MissingDep {
    rounds: u32,
    last_activity_ms: u64,
}

/// A (Lamport timestamp, id) or (deadline, id) ordering key.
type Key = (u64, MessageId);

/// One participant's SDS state for one channel. See the module docs of `sds` for the drive
/// loop. All methods are O(buffer sizes) at worst and never panic on peer input.
///
/// State: the Lamport clock; the local log (ordered by (Lamport, id)); the bloom filter; the
/// outgoing buffer (own unacknowledged messages with their cached bloom bit indexes); the
/// incoming buffer (messages waiting for dependencies, indexed by the ids they wait on); and,
/// with SDS-R, the outgoing repair buffer (id → T_req), the incoming repair buffer
/// (id → T_resp), the set of tracked missing ids with their request rounds (twice the
/// repair buffer's capacity, see `RepairConfig::buffer_capacity`), and a store of original
/// bytes to re-broadcast. Every collection is bounded by a `Config` capacity.
///
/// Deliberate differences from js-waku (`@waku/sds` 0.0.8 and `packages/sds` at HEAD):
/// - a message is never delivered before a dependency that is itself buffered, and delivering
///   releases waiting messages at once (js-waku waits for the next sweep);
/// - SDS-R repair-buffer bookkeeping runs before duplicate detection, so a participant that
///   already holds a message still cancels its own pending response when someone else's
///   response arrives (js-waku drops the duplicate first);
/// - a sent repair request is rescheduled (`T_req` recomputed from `now + T_max`) for up to
///   `max_requests_per_message` rounds; js-waku marks it requested and never asks again. An
///   id whose entry was dropped because someone else asked is re-added by the incoming sweep
///   once T_max has passed without the message; after the last round and another T_max it
///   is reported `IrretrievablyLost`;
/// - duplicate detection covers the log, the incoming buffer and ids marked met (js-waku
///   only ids it timestamped, so it can deliver twice);
/// - sync message ids are deterministic (`sync-` + hash) rather than `Math.random()`;
/// - every collection is bounded (js-waku's incoming buffer, outgoing buffer and log are
///   not), each eviction is an [`Event::Evicted`], and hostile input is rejected with a typed
///   [`WireError`] before it is decoded in full.
///
/// Irretrievable loss, one rule: an id is declared lost once (see [`Event::IrretrievablyLost`])
/// by SDS-R's give-up or by the lost timeout, whichever comes first; only the lost timeout
/// resolves buffered messages (by `Config::lost_policy`). A lost id is never requested again.
#[derive(Debug, Clone)]
// `repr(C, align(64))`: the fields a received message touches come first, roughly in the
// order it touches them (with the few configuration values it reads, `hot`), and the struct
// starts a cache line: a receipt at a cold participant, with the host's polls after it
// (`poll_transmit`, `poll_event`, `poll_timeout`, `is_quiescent`), loads exactly the first
// 14 lines (856 bytes), which `Channel::prefetch` asks for; the id table (`held`) last of
// them, as only a content message reads it. Then the configuration, and the
// rarely used fields (rng, ids as strings, per-sender index, bloom id list). Before, a
// receipt and the polls read 13 lines of the struct and 4 of the configuration's, of which
// `prefetch` asked for 10 (issue 16). Within those, the first 5 lines (`QUIET_BYTES`) hold
// what a quiet channel's sync receipt and the polls read (the `quiet` module).
#[repr(C, align(64))]
pub struct Channel {
    limits: Limits,
    /// `channel_id` and `participant_id` inline when short, for the per-message comparisons.
    channel_key: ShortKey,
    participant_key: ShortKey,
    lamport: u64,
    /// Nothing buffered, tracked or due but the sync timer ([`Channel::is_quiet_now`], kept
    /// current after every input): a sync receipt then takes the short path of the `quiet`
    /// module, which reads only the fields before `next_sweep_ms` (`QUIET_BYTES`).
    quiet: bool,
    /// How many of the newest log entries a causal history names (`causal_history_size`, or
    /// the whole log when shorter: the back of `log_order`) and their retrieval hints, kept
    /// only once a hint is known (their senders are in the ids' records).
    recent: RecentHints,
    /// The local log in ascending (Lamport, id) order, each entry's Lamport timestamp in its
    /// id's record (`MessageId::lamport`). A sorted deque: messages are mostly delivered in
    /// order, so inserts land at the back, and eviction takes the front.
    log_order: VecDeque<MessageId>,
    events: VecDeque<Event>,
    // What a host reads after every input (`poll_transmit`, `poll_event`, `poll_timeout`).
    transmits: VecDeque<Transmit>,
    sync: SyncState,
    // Past the lines a quiet channel's sync receipt reads.
    next_sweep_ms: Option<u64>,
    /// The ids of `held` in the store but no longer in the log (the log evicted them first:
    /// rare, as the log holds 10 times the store by default). Usually empty: no allocation.
    store_only: IdSet,
    // Hash maps and sets (fixed hasher) are only looked up, never iterated; everything whose
    // order can show in the output is a `BTreeMap`/`BTreeSet`/`VecDeque`.
    incoming_ids: FxHashMap<MessageId, u64>,
    /// Ids in `outgoing`.
    outgoing_ids: FxHashSet<MessageId>,
    outgoing: VecDeque<OutgoingEntry>,
    bloom: BloomFilter,
    /// The SDS-R store's ids, oldest first (the bytes are in `held`).
    store_order: VecDeque<MessageId>,
    missing: BTreeMap<MessageId, MissingDep>,
    /// SDS-R's outgoing repair buffer (missing id → T_req and the entry) and incoming repair
    /// buffer (requested id → T_resp): looked up, never iterated (their order is
    /// `out_repair_order`'s and `in_repair_order`'s), so hash maps: a received message's id
    /// is removed from both, and usually in neither.
    out_repair: FxHashMap<MessageId, (u64, HistoryEntry)>,
    in_repair: FxHashMap<MessageId, u64>,
    in_repair_order: Deadlines,
    waiting: FxHashMap<MessageId, BTreeSet<Key>>,
    incoming: BTreeMap<Key, Buffered>,
    externally_met: FifoSet,
    delivered: FifoSet,
    hot: HotConfig,
    out_repair_order: Deadlines,
    lost_deadlines: BTreeSet<(u64, Key)>,
    /// Every id in the local log or the SDS-R store, with its bytes while in the store (one
    /// map: a sent or delivered message enters both at once). An id here is in the log
    /// unless `store_only` names it. 16 bytes a bucket (the Lamport timestamp is in
    /// the id's record, `log_order`'s key): half of the 32 with it and a flag (issue 16).
    /// Last of the hot fields, as a sync receipt does not read it.
    held: Held,
    // Past the 14 lines a receipt loads.
    config: Config,
    lost: FifoSet,
    per_sender: BTreeMap<String, BTreeSet<Key>>,
    bloom_ids: VecDeque<MessageId>,
    channel_id: String,
    participant_id: String,
    /// `repair::hash(participant_id)`: this participant's side of every SDS-R distance.
    participant_hash: u64,
    /// Boxed: 304 bytes used only by the sync timer.
    rng: Box<ChaCha8Rng>,
}

/// How many bytes from its start [`Channel`] keeps everything a received message and the
/// host's polls after it read when the buffers are empty: 14 cache lines
/// (`Channel::prefetch` asks for them; the layout test checks the offsets).
pub(super) const RECEIPT_BYTES: usize = 14 * 64;

/// The configuration values every received message reads, copied from [`Config`] (which a
/// channel never changes) so that they lie in the lines a receipt loads anyway: the
/// configuration's own 240 bytes would be four more.
#[derive(Debug, Clone, Copy)]
struct HotConfig {
    causal_history_size: usize,
    local_log_capacity: usize,
    message_store_capacity: usize,
    bloom_capacity: usize,
    /// Read only while the outgoing buffer is not empty.
    possible_acks_threshold: u32,
    /// `config.repair.is_some()`.
    repair: bool,
    bloom_rollover: BloomRollover,
}

impl HotConfig {
    fn new(config: &Config) -> HotConfig {
        HotConfig {
            causal_history_size: config.causal_history_size,
            local_log_capacity: config.local_log_capacity,
            message_store_capacity: config.message_store_capacity,
            bloom_capacity: config.bloom_capacity,
            possible_acks_threshold: config.possible_acks_threshold,
            repair: config.repair.is_some(),
            bloom_rollover: config.bloom_rollover,
        }
    }
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The message id of `payload` under `rule` (see [`MessageIdRule`]): lowercase hex SHA-256.
/// `timestamp` is the Lamport timestamp (content) or `now_ms` (ephemeral); it is ignored by
/// `PayloadSha256`.
pub fn message_id_for(
    rule: MessageIdRule,
    sender_id: &str,
    timestamp: u64,
    payload: &[u8],
) -> String {
    let mut h = Sha256::new();
    if rule == MessageIdRule::Unique {
        h.update(sender_id.as_bytes());
        h.update(timestamp.to_be_bytes());
    }
    h.update(payload);
    hex(&h.finalize())
}

impl Channel {
    /// A participant `participant_id` joining channel `channel_id` at Unix time `now_ms`.
    /// The Lamport clock starts at `now_ms` (spec; js-waku `Date.now()`); `seed` feeds the
    /// channel's own `ChaCha8Rng` (sync phase and Trickle times only).
    pub fn new(
        channel_id: impl Into<String>,
        participant_id: impl Into<String>,
        config: Config,
        now_ms: u64,
        seed: u64,
    ) -> Channel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sync = SyncState::new(config.sync, &mut rng, now_ms);
        let params = BloomParams::new(config.bloom_capacity, config.bloom_error_rate);
        let limits = Limits {
            max_message_bytes: config.max_message_bytes,
            max_causal_history_entries: config.max_causal_history_entries,
            max_repair_request_entries: config.max_repair_request_entries,
            max_id_bytes: config.max_id_bytes,
        };
        let (channel_id, participant_id) = (channel_id.into(), participant_id.into());
        Channel {
            channel_key: ShortKey::new(channel_id.as_bytes()),
            participant_key: ShortKey::new(participant_id.as_bytes()),
            participant_hash: repair::hash(&participant_id),
            channel_id,
            participant_id,
            hot: HotConfig::new(&config),
            config,
            rng: Box::new(rng),
            lamport: now_ms,
            bloom: BloomFilter::new(params),
            held: held::new_held(),
            store_only: IdSet::default(),
            log_order: VecDeque::new(),
            recent: RecentHints::default(),
            externally_met: FifoSet::default(),
            delivered: FifoSet::default(),
            lost: FifoSet::default(),
            limits,
            bloom_ids: VecDeque::new(),
            outgoing: VecDeque::new(),
            outgoing_ids: FxHashSet::default(),
            incoming: BTreeMap::new(),
            incoming_ids: FxHashMap::default(),
            waiting: FxHashMap::default(),
            per_sender: BTreeMap::new(),
            lost_deadlines: BTreeSet::new(),
            missing: BTreeMap::new(),
            out_repair: FxHashMap::default(),
            out_repair_order: Deadlines::default(),
            in_repair: FxHashMap::default(),
            in_repair_order: Deadlines::default(),
            store_order: VecDeque::new(),
            sync,
            next_sweep_ms: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            quiet: true,
        }
    }

    /// Next queued transmission, in the order produced.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next queued event, in the order produced.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        if self.events.is_empty() {
            // Nothing changes but where the next event goes: `VecDeque::clear` puts the
            // ring's head back at the buffer's start, the line `Channel::prefetch` asks for
            // (issue 16: at 10,000 participants reading back the event a receipt had just
            // written to an uncached line was 5% of the run).
            self.events.clear();
        }
        event
    }

    /// Next Unix ms at which [`Channel::handle_timeout`] must be called (may be <= now: call it
    /// at once); `None` when no timer is pending.
    pub fn poll_timeout(&self) -> Option<u64> {
        let sync = self.sync.deadline();
        if self.quiet {
            // Every other timer's collection is empty.
            return sync;
        }
        let resend = self.outgoing.iter().map(|e| e.next_resend_ms).min();
        let request = self.out_repair_order.first_ms();
        let response = self.in_repair_order.first_ms();
        let lost = self.lost_deadlines.first().map(|(t, _)| *t);
        [sync, resend, request, response, self.next_sweep_ms, lost]
            .into_iter()
            .flatten()
            .min()
    }

    /// Sends `payload` as a content message at `now_ms` (PROTOCOL.md §2): bumps the Lamport
    /// clock (`ts = max(now_ms, ts + 1)`, saturating), attaches the last
    /// `causal_history_size` log entries, the bloom filter (before inserting the new id, as
    /// js-waku) and up to `max_entries_per_message` due repair requests; then logs the message,
    /// adds it to the bloom filter and outgoing buffer and queues a `TransmitKind::Content`.
    /// Returns the message id.
    ///
    /// # Errors
    /// [`SendError`]; on error nothing changes.
    pub fn send(&mut self, now_ms: u64, payload: Bytes) -> Result<String, SendError> {
        self.check_payload(&payload)?;
        let ts = now_ms.max(self.lamport.saturating_add(1));
        let message_id = message_id_for(self.config.message_id, &self.participant_id, ts, &payload);
        let own: Arc<str> = Arc::from(self.participant_id.as_str());
        let id = MessageId::for_message(&message_id, ts, &own);
        if self.is_known(&id) || self.outgoing_ids.contains(&id) {
            return Err(SendError::DuplicateMessageId(message_id));
        }
        self.lamport = ts;
        let repair_request = self.take_due_requests(now_ms);
        // The filter as sent, deferred inserts applied (shared, not copied).
        self.bloom.apply_pending();
        let message = SdsMessage {
            sender_id: self.participant_id.clone(),
            message_id: message_id.clone(),
            channel_id: self.channel_id.clone(),
            lamport_timestamp: Some(ts),
            causal_history: self.causal_history(),
            bloom_filter: Some(self.bloom.to_bytes()),
            repair_request,
            content: Some(payload),
        };
        let bytes = wire::encode(&message);
        let repair_requests = message.repair_request.len() as u32;
        // Release the message's reference to the filter so the insert below mutates in place.
        drop(message);
        let pair = self.bloom.params().bit_pair(&message_id);
        let bits = self.bloom.params().pair_indexes(pair);
        self.bloom_add(&id, pair);
        self.log_and_store_insert(&id, ts, &own, None, &Arc::new(bytes.clone()));
        // Re-arming the sync timer and the outgoing buffer touch disjoint state.
        self.reliable_channel_restart(now_ms, 1, 1);
        self.push_outgoing(now_ms, id, message_id.clone(), bytes.clone(), bits);
        self.transmits.push_back(Transmit {
            kind: TransmitKind::Content,
            message_id: message_id.clone(),
            bytes,
            repair_requests,
        });
        self.refresh_quiet();
        Ok(message_id)
    }

    /// Sends `payload` as an ephemeral message (no Lamport timestamp, history or filter; never
    /// buffered, logged or resent). The Lamport clock is not touched; a `Unique` id uses
    /// `now_ms` in place of the timestamp.
    ///
    /// # Errors
    /// [`SendError::EmptyPayload`], [`SendError::PayloadTooLarge`].
    pub fn send_ephemeral(&mut self, now_ms: u64, payload: Bytes) -> Result<String, SendError> {
        self.check_payload(&payload)?;
        let message_id = message_id_for(
            self.config.message_id,
            &self.participant_id,
            now_ms,
            &payload,
        );
        let message = SdsMessage {
            sender_id: self.participant_id.clone(),
            message_id: message_id.clone(),
            channel_id: self.channel_id.clone(),
            content: Some(payload),
            ..Default::default()
        };
        self.transmits.push_back(Transmit {
            kind: TransmitKind::Ephemeral,
            message_id: message_id.clone(),
            bytes: wire::encode(&message),
            repair_requests: 0,
        });
        Ok(message_id)
    }

    /// Handles bytes received from the transport at `now_ms`; `retrieval_hint` (e.g. a Waku
    /// message hash) is stored with a delivered message and put in later causal histories.
    /// `bytes` is kept (shared, not copied) for repair responses.
    ///
    /// Pipeline (PROTOCOL.md §2, spec order): ignore another channel's messages and own
    /// messages (by `sender_id`); SDS-R: remove the id from both repair buffers; ephemeral ⇒
    /// `EphemeralDelivered`, done; duplicate content (id in log, incoming buffer or marked
    /// met) ⇒ drop; SDS-R: process repair requests; review acknowledgements (causal history,
    /// then bloom filter); add a content id to the bloom filter; dependencies are met iff every
    /// causal-history id is in the local log (or marked met); content with met dependencies is
    /// delivered, and delivery releases buffered messages whose dependencies become met, in
    /// (Lamport, id) order, repeatedly; otherwise content is held and missing dependencies
    /// (not logged and not held) are reported and scheduled for repair.
    ///
    /// A bloom filter whose length differs from this channel's parameters is ignored (the
    /// message is otherwise processed): a member with other parameters still gets its
    /// content delivered, only its possible acknowledgements are lost (PROTOCOL.md §2).
    ///
    /// # Errors
    /// [`WireError`] for bytes over `max_message_bytes` (checked before decoding), too many
    /// causal-history or repair-request entries, an id over `max_id_bytes`, undecodable bytes
    /// or an invalid kind; the state is unchanged.
    pub fn handle_message(
        &mut self,
        now_ms: u64,
        bytes: Bytes,
        retrieval_hint: Option<Bytes>,
    ) -> Result<(), WireError> {
        // The id's slot in `held` and the bloom filter's insert line are asked for as soon as
        // the id is known, so that their misses overlap the rest of the decoding, which shares
        // the log's records of the causal-history ids and its newest sender where equal.
        let tail = LogTail(&self.log_order);
        let decoded = Decoded::new_hinted(
            bytes,
            &self.limits,
            |id, kind| {
                if kind == MessageKind::Content {
                    held::prefetch_slot(&self.held, id);
                    self.bloom.prefetch_insert();
                }
            },
            &tail,
        );
        self.handle_decoded(now_ms, &decoded, retrieval_hint)
    }

    /// [`Channel::handle_message`] on a message decoded once for many receivers
    /// ([`Decoded`]): the same checks, state changes, events and errors as `handle_message`
    /// on `decoded.bytes()`. When `decoded` was decoded under other limits than this
    /// channel's, the bytes are decoded again under this channel's.
    ///
    /// # Errors
    /// As [`Channel::handle_message`].
    pub fn handle_decoded(
        &mut self,
        now_ms: u64,
        decoded: &Decoded,
        retrieval_hint: Option<Bytes>,
    ) -> Result<(), WireError> {
        if *decoded.limits() != self.limits {
            let own = Decoded::new(decoded.bytes().clone(), &self.limits);
            return self.handle_decoded(now_ms, &own, retrieval_hint);
        }
        let parsed = decoded.parsed().map_err(Clone::clone)?;
        if !self.channel_key.is(
            self.channel_id.as_bytes(),
            &parsed.channel_key,
            parsed.view.channel_id_bytes(),
        ) || self.participant_key.is(
            self.participant_id.as_bytes(),
            &parsed.sender_key,
            parsed.sender_id.as_bytes(),
        ) {
            return Ok(());
        }
        if !self.quiet_sync(now_ms, parsed) {
            self.receive_parsed(now_ms, decoded, parsed, retrieval_hint);
            self.refresh_quiet();
        }
        Ok(())
    }

    /// The full receive path of [`Channel::handle_decoded`] for `parsed` (`decoded`'s
    /// message), a message of this channel from another participant.
    fn receive_parsed(
        &mut self,
        now_ms: u64,
        decoded: &Decoded,
        parsed: &Parsed,
        retrieval_hint: Option<Bytes>,
    ) {
        let message = &parsed.view;
        let kind = parsed.kind;
        let id = &parsed.id;
        self.repair_seen(id, kind);
        if kind == MessageKind::Ephemeral {
            self.events.push_back(Event::EphemeralDelivered {
                message_id: parsed.message_id.to_string(),
                sender_id: parsed.sender_id.to_string(),
                content: message.content().unwrap_or_default(),
            });
            return;
        }
        if kind == MessageKind::Content && self.is_known(id) {
            return;
        }
        match kind {
            MessageKind::Content => self.reliable_channel_restart(now_ms, 1, 2),
            _ => self.reliable_channel_restart(now_ms, 1, 1),
        }
        let mut inconsistent = false;
        for request in parsed.repair.iter() {
            self.events.push_back(Event::RepairRequestReceived {
                message_id: request.entry.message_id.clone(),
                from: parsed.sender_id.to_string(),
            });
            self.on_repair_request(now_ms, request);
            inconsistent = true;
        }
        let history = &parsed.history;
        self.review_acks(message, history);
        if kind == MessageKind::Content {
            let params = *self.bloom.params();
            let pair = decoded.bit_pair(&params, &parsed.message_id);
            self.bloom_add(id, pair);
        }
        let unmet = self.unmet_history(parsed);
        let missing: Vec<HistoryEntry> = unmet
            .iter()
            .filter(|&&i| !self.incoming_ids.contains_key(&history[i]))
            .filter_map(|&i| message.causal_history_entry(i).map(|e| e.to_entry()))
            .collect();
        let has_unmet = !unmet.is_empty();
        if has_unmet {
            inconsistent = true;
        }
        if !missing.is_empty() {
            self.track_missing(now_ms, &missing);
            self.events.push_back(Event::MissingDependencies {
                message_id: parsed.message_id.to_string(),
                missing,
            });
        }
        if kind == MessageKind::Content {
            let lamport = message.lamport_timestamp().unwrap_or(0);
            if has_unmet {
                self.hold(Buffered {
                    id: id.clone(),
                    message_id: parsed.message_id.clone(),
                    sender_id: parsed.sender_id.clone(),
                    lamport,
                    content: message.content().unwrap_or_default(),
                    causal_history: message.causal_history().map(|e| e.to_entry()).collect(),
                    deps: history.to_vec(),
                    history_ids: parsed.history.clone(),
                    retrieval_hint,
                    bytes: decoded.shared_bytes().clone(),
                    received_ms: now_ms,
                    timed_out: false,
                });
            } else {
                // Delivered at once: straight from the shared decoding, nothing buffered.
                self.deliver(Delivery {
                    id,
                    message_id: &parsed.message_id,
                    sender_id: &parsed.sender_id,
                    lamport,
                    content: message.content().unwrap_or_default(),
                    history_ids: &parsed.history,
                    bytes: decoded.shared_bytes(),
                    retrieval_hint,
                });
                // Only messages waiting on this id can be released by it. (`is_empty` first:
                // an emptied map keeps its table, whose look-up would read a cold line.)
                if !self.waiting.is_empty() && self.waiting.contains_key(id) {
                    self.release(vec![id.clone()]);
                }
            }
        } else {
            self.trickle_heard();
        }
        if inconsistent {
            self.trickle_reset(now_ms);
        }
        self.respond_due(now_ms);
        self.schedule_sweep(now_ms);
    }

    /// Runs every timer due at `now_ms`, in this order: due repair responses; resends (never
    /// acknowledged before possibly acknowledged, oldest first) and give-ups; lost timeouts of
    /// buffered messages (oldest deadline first); the incoming sweep; the sync timer; then,
    /// while repair requests are due, a sync carrying them.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.respond_due(now_ms);
        self.resend_due(now_ms);
        self.lost_timeouts(now_ms);
        if self.next_sweep_ms.is_some_and(|t| t <= now_ms) {
            self.next_sweep_ms = None;
            self.sweep(now_ms);
        }
        self.sync_timer(now_ms);
        while self.out_repair_order.any_due(now_ms) {
            if self.send_sync(now_ms).is_none() {
                break;
            }
        }
        self.schedule_sweep(now_ms);
        self.refresh_quiet();
    }

    /// Declares `message_ids` available although never delivered here: the application got
    /// them by another route (e.g. fetched from a store by retrieval hint). For each id not
    /// already met:
    /// - it is added to the bloom filter, unless it is held in the incoming buffer (then it
    ///   already is): the filter holds the ids this participant has received (spec
    ///   "Participant state"; nim-sds `markDependenciesMet` does the same), so later messages
    ///   possibly acknowledge it to its sender;
    /// - it satisfies dependencies: buffered messages waiting on it are released;
    /// - a later copy of it is a duplicate (dropped, never delivered);
    /// - it leaves the SDS-R outgoing repair buffer and the tracked missing ids.
    ///
    /// It is not added to the local log, so causal histories never name it: its Lamport
    /// timestamp, sender and content are unknown here (feed the message itself to
    /// [`Channel::handle_message`] when the bytes are at hand). The incoming repair buffer is
    /// left alone (nim-sds clears it too): it only holds messages this participant has, whose
    /// answer is still owed. Remembered up to `local_log_capacity` ids
    /// ([`Buffer::MetIds`]).
    pub fn mark_dependencies_met(&mut self, now_ms: u64, message_ids: &[String]) {
        let mut released = Vec::new();
        let capacity = self.config.local_log_capacity;
        for text in message_ids {
            let id = MessageId::new(text);
            self.remove_out_repair(&id);
            self.missing.remove(&id);
            if self.dep_met(&id) {
                continue;
            }
            if !self.incoming_ids.contains_key(&id) {
                let pair = self.bloom.params().bit_pair(text);
                self.bloom_add(&id, pair);
            }
            let events = &mut self.events;
            self.externally_met.insert(id.clone(), capacity, |old| {
                events.push_back(Event::Evicted {
                    buffer: Buffer::MetIds,
                    message_id: old,
                })
            });
            released.push(id);
        }
        self.release(released);
        self.schedule_sweep(now_ms);
        self.refresh_quiet();
    }

    // ---- internals ----

    /// Refuses an empty payload or one over `max_content_bytes`.
    fn check_payload(&self, payload: &Bytes) -> Result<(), SendError> {
        if payload.is_empty() {
            return Err(SendError::EmptyPayload);
        }
        if payload.len() > self.config.max_content_bytes {
            return Err(SendError::PayloadTooLarge {
                len: payload.len(),
                max: self.config.max_content_bytes,
            });
        }
        Ok(())
    }

    /// The SDS-R configuration, if SDS-R is on.
    fn repair_config(&self) -> Option<RepairConfig> {
        self.config.repair
    }

    /// Delivers `d`: Lamport clock, local log and SDS-R store updated, no longer missing or
    /// requested, `Event::Delivered`. Waiting messages are released by the caller.
    fn deliver(&mut self, d: Delivery<'_>) {
        self.lamport = self.lamport.max(d.lamport);
        self.log_and_store_insert(d.id, d.lamport, d.sender_id, d.retrieval_hint, d.bytes);
        self.missing.remove(d.id);
        self.remove_out_repair(d.id);
        self.events.push_back(Event::Delivered {
            message_id: d.message_id.clone(),
            sender_id: d.sender_id.clone(),
            lamport_timestamp: d.lamport,
            content: d.content,
            causal_history: d.history_ids.clone(),
        });
    }
}

#[cfg(test)]
mod tests;
