//! The SDS channel state machine (PROTOCOL.md §2 and §3): one participant's view of one
//! channel. Sans-IO: time comes in as `now_ms`, randomness from the construction seed, bytes
//! go out through [`Channel::poll_transmit`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};

use super::bloom::{self, BloomFilter, BloomParams};
use super::config::{BloomRollover, Config, LostPolicy, MessageIdRule, RepairConfig, SyncPolicy};
use super::id::MessageId;
use super::repair;
use super::wire::{self, HistoryEntry, Limits, MessageKind, SdsMessage, WireError};

mod incoming;
mod inspect;
mod sds_r;

pub use inspect::{
    BufferedMessage, IncomingRepairEntry, LoggedMessage, OutgoingMessage, OutgoingRepairEntry,
    Pending,
};

/// Why [`Channel::send`] / [`Channel::send_ephemeral`] refused a payload. Nothing was queued
/// and no state changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Content must be non-empty: an empty payload would encode as a sync message (js-waku
    /// `pushOutgoingMessage` throws likewise).
    #[error("payload is empty")]
    EmptyPayload,
    /// Payload longer than `Config::max_content_bytes`.
    #[error("payload of {len} bytes exceeds the limit of {max} bytes")]
    PayloadTooLarge {
        /// Payload length in bytes.
        len: usize,
        /// The configured limit in bytes.
        max: usize,
    },
    /// Under `MessageIdRule::PayloadSha256`, the id of this payload is already in the local
    /// log, the incoming buffer or the outgoing buffer.
    #[error("message id {0} is already in use")]
    DuplicateMessageId(String),
}

/// What a [`Transmit`] carries (for per-kind bandwidth accounting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransmitKind {
    /// A new content message from [`Channel::send`].
    Content,
    /// A sync message (timer, repair-request carrier, or [`Channel::send_sync`]).
    Sync,
    /// An unchanged re-broadcast of an unacknowledged own content message.
    Resend,
    /// An SDS-R re-broadcast of a stored message (own or received), bytes unchanged.
    RepairResponse,
    /// An ephemeral message from [`Channel::send_ephemeral`].
    Ephemeral,
}

/// Bytes to broadcast on the channel's transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Why these bytes go out.
    pub kind: TransmitKind,
    /// Id of the encoded message (a sync's id is not unique across participants' restarts).
    pub message_id: String,
    /// The encoded `SdsMessage`.
    pub bytes: Bytes,
    /// Number of SDS-R repair request entries attached (0 for resends and repair responses,
    /// whose bytes are re-broadcast unchanged).
    pub repair_requests: u32,
}

/// A bounded collection of the channel, named in [`Event::Evicted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Buffer {
    /// The local log (`Config::local_log_capacity`; lowest (Lamport, id) first). The id
    /// moves to the delivered-id set.
    LocalLog,
    /// Ids remembered after leaving the log (`Config::delivered_ids_capacity`; oldest
    /// first). Once evicted, a re-sent copy of the id would be delivered again.
    DeliveredIds,
    /// Ids declared met by `mark_dependencies_met` (`Config::local_log_capacity`; oldest
    /// first).
    MetIds,
    /// Ids declared irretrievably lost (`Config::delivered_ids_capacity`; oldest first).
    LostIds,
    /// The incoming buffer (`Config::incoming_buffer_capacity` and
    /// `incoming_buffer_per_sender`; highest (Lamport, id) first).
    IncomingBuffer,
    /// The outgoing buffer (`Config::outgoing_buffer_capacity`; oldest first; followed by
    /// `Event::NotAcknowledged`).
    OutgoingBuffer,
    /// SDS-R outgoing repair buffer (`RepairConfig::buffer_capacity`; when a new entry comes
    /// to a full buffer, the held entry with the latest T_req is evicted first, as js-waku).
    /// The id stays tracked and is scheduled again by a later incoming sweep.
    OutgoingRepairBuffer,
    /// SDS-R incoming repair buffer (`RepairConfig::buffer_capacity`; latest T_resp first).
    IncomingRepairBuffer,
    /// SDS-R message store (`Config::message_store_capacity`; oldest stored first).
    MessageStore,
}

/// Something the application (or the simulator's observer) should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A content message was delivered, after all its causal dependencies (PROTOCOL.md §2
    /// "Receive pipeline"). Emitted at most once per id.
    Delivered {
        /// Id of the delivered message.
        message_id: String,
        /// Its sender.
        sender_id: String,
        /// Its Lamport timestamp.
        lamport_timestamp: u64,
        /// Its content (shares the received buffer).
        content: Bytes,
        /// Ids of its causal history, oldest first.
        causal_history: Vec<String>,
    },
    /// An ephemeral message was received (no ordering, no dedupe: delivered on receipt).
    EphemeralDelivered {
        /// Its id.
        message_id: String,
        /// Its sender.
        sender_id: String,
        /// Its content.
        content: Bytes,
    },
    /// A received message (content or sync) names dependencies this participant neither has
    /// delivered nor holds. Re-emitted for buffered messages at every incoming sweep
    /// (js-waku `sweepIncomingBuffer`). Fetch them (store query by hint) and call
    /// [`Channel::mark_dependencies_met`], or let SDS-R repair them.
    MissingDependencies {
        /// Id of the message that names them.
        message_id: String,
        /// The missing entries (id, retrieval hint, sender), in causal-history order.
        missing: Vec<HistoryEntry>,
    },
    /// An own content message was acknowledged: named in a received causal history, or
    /// matched by `possible_acks_threshold` received bloom filters. It left the outgoing buffer.
    Acknowledged {
        /// Id of the own message.
        message_id: String,
    },
    /// An own content message matched a received bloom filter; `count` hits so far, below the
    /// threshold.
    PossiblyAcknowledged {
        /// Id of the own message.
        message_id: String,
        /// Hits so far (1-based).
        count: u32,
    },
    /// Gave up on an own content message after `max_resends` re-broadcasts (or evicted from a
    /// full outgoing buffer). Never reported as sent or acknowledged.
    NotAcknowledged {
        /// Id of the own message.
        message_id: String,
    },
    /// One SDS-R repair request entry was attached to an outgoing message.
    RepairRequestSent {
        /// The requested id.
        message_id: String,
    },
    /// A received message carried a repair request entry.
    RepairRequestReceived {
        /// The requested id.
        message_id: String,
        /// Participant that asked.
        from: String,
    },
    /// A stored message was re-broadcast as an SDS-R repair response.
    RepairResponseSent {
        /// The re-broadcast id.
        message_id: String,
    },
    /// A missing dependency is declared irretrievably lost, at most once per id (while the id
    /// is remembered in the bounded lost-id set), by whichever comes first: SDS-R gave up
    /// after `max_requests_per_message` rounds and a further T_max without an answer, or a
    /// buffered message naming it waited `Config::lost_timeout_ms`. Only the latter resolves
    /// waiting messages (by `Config::lost_policy`); after an SDS-R give-up they keep waiting
    /// for the lost timeout, `mark_dependencies_met` or the message itself. No further repair
    /// requests are made for a lost id; if it still arrives, it is delivered normally.
    IrretrievablyLost {
        /// The missing id.
        message_id: String,
    },
    /// Something was evicted from a full bounded collection (see [`Buffer`] for each rule).
    Evicted {
        /// Which collection.
        buffer: Buffer,
        /// The evicted id.
        message_id: String,
    },
    /// A buffered message was dropped without delivery because its dependencies were
    /// declared irretrievably lost and `Config::lost_policy` is `LostPolicy::Drop` (js-waku
    /// `InMessageLost`). Its id is not remembered: a later copy is handled afresh.
    DroppedLost {
        /// The dropped message's id.
        message_id: String,
    },
}

/// See `Channel::held`.
#[derive(Debug, Clone, Default)]
struct Held {
    /// Lamport timestamp, while the id is in the local log.
    lamport: Option<u64>,
    /// The message's original bytes, while the id is in the SDS-R store.
    bytes: Option<Bytes>,
}

/// What a causal-history entry needs besides the id; kept for the newest
/// `causal_history_size` log entries only (see `Channel::recent`).
#[derive(Debug, Clone)]
struct LogEntry {
    sender_id: String,
    retrieval_hint: Option<Bytes>,
}

#[derive(Debug, Clone)]
struct OutgoingEntry {
    id: MessageId,
    message_id: String,
    bytes: Bytes,
    bits: Vec<u64>,
    possible_acks: u32,
    resends: u32,
    next_resend_ms: u64,
}

#[derive(Debug, Clone)]
struct Buffered {
    id: MessageId,
    message_id: String,
    sender_id: String,
    lamport: u64,
    content: Bytes,
    causal_history: Vec<HistoryEntry>,
    /// The ids of `causal_history`, in the same order.
    deps: Vec<MessageId>,
    retrieval_hint: Option<Bytes>,
    bytes: Bytes,
    received_ms: u64,
    /// Waited `lost_timeout_ms`: dependencies not held in the incoming buffer no longer block.
    timed_out: bool,
}

#[derive(Debug, Clone)]
struct MissingDep {
    rounds: u32,
    last_activity_ms: u64,
}

/// A bounded set with first-in-first-out eviction (the set is only looked up, never
/// iterated; the order is a `VecDeque`).
#[derive(Debug, Clone, Default)]
struct FifoSet {
    set: FxHashSet<MessageId>,
    order: VecDeque<MessageId>,
}

impl FifoSet {
    fn contains(&self, id: &MessageId) -> bool {
        !self.set.is_empty() && self.set.contains(id)
    }

    /// Inserts `id`; returns false if already present. Evicts the oldest beyond `capacity`
    /// (at least 1) and reports it through `evicted`.
    fn insert(&mut self, id: &MessageId, capacity: usize, mut evicted: impl FnMut(String)) -> bool {
        if !self.set.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id.clone());
        while self.order.len() > capacity.max(1) {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
                evicted(old.to_string());
            }
        }
        true
    }
}

#[derive(Debug, Clone)]
enum SyncState {
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
pub struct Channel {
    channel_id: String,
    participant_id: String,
    config: Config,
    rng: ChaCha8Rng,
    lamport: u64,
    bloom: BloomFilter,
    // Hash maps and sets (fixed hasher) are only looked up, never iterated; everything whose
    // order can show in the output is a `BTreeMap`/`BTreeSet`/`VecDeque`.
    /// Every id in the local log or the SDS-R store, with its Lamport timestamp while in the
    /// log and its bytes while in the store (one map: a sent or delivered message enters
    /// both at once).
    held: FxHashMap<MessageId, Held>,
    /// The local log in ascending (Lamport, id) order. A sorted deque: messages are mostly
    /// delivered in order, so inserts land at the back, and eviction takes the front.
    log_order: VecDeque<Key>,
    /// Sender and retrieval hint of the newest `causal_history_size` log entries, the only
    /// ones a causal history can still name: entries are only added, or evicted from the
    /// oldest end, so an entry that dropped out of the newest N never returns.
    recent: BTreeMap<Key, LogEntry>,
    externally_met: FifoSet,
    delivered: FifoSet,
    lost: FifoSet,
    limits: Limits,
    bloom_ids: VecDeque<MessageId>,
    outgoing: VecDeque<OutgoingEntry>,
    /// Ids in `outgoing`.
    outgoing_ids: FxHashSet<MessageId>,
    incoming: BTreeMap<Key, Buffered>,
    incoming_ids: FxHashMap<MessageId, u64>,
    waiting: FxHashMap<MessageId, BTreeSet<Key>>,
    per_sender: BTreeMap<String, BTreeSet<Key>>,
    lost_deadlines: BTreeSet<(u64, Key)>,
    missing: BTreeMap<MessageId, MissingDep>,
    out_repair: BTreeMap<MessageId, (u64, HistoryEntry)>,
    out_repair_order: BTreeSet<Key>,
    in_repair: BTreeMap<MessageId, u64>,
    in_repair_order: BTreeSet<Key>,
    /// The SDS-R store's ids, oldest first (the bytes are in `held`).
    store_order: VecDeque<MessageId>,
    sync: SyncState,
    next_sweep_ms: Option<u64>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

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
        let sync = match config.sync {
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
                let t_ms = trickle_t(&mut rng, now_ms, i_min_ms);
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
        };
        let params = BloomParams::new(config.bloom_capacity, config.bloom_error_rate);
        let limits = Limits {
            max_message_bytes: config.max_message_bytes,
            max_causal_history_entries: config.max_causal_history_entries,
            max_repair_request_entries: config.max_repair_request_entries,
            max_id_bytes: config.max_id_bytes,
        };
        Channel {
            channel_id: channel_id.into(),
            participant_id: participant_id.into(),
            config,
            rng,
            lamport: now_ms,
            bloom: BloomFilter::new(params),
            held: FxHashMap::default(),
            log_order: VecDeque::new(),
            recent: BTreeMap::new(),
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
            out_repair: BTreeMap::new(),
            out_repair_order: BTreeSet::new(),
            in_repair: BTreeMap::new(),
            in_repair_order: BTreeSet::new(),
            store_order: VecDeque::new(),
            sync,
            next_sweep_ms: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Next queued transmission, in the order produced.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next queued event, in the order produced.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Next Unix ms at which [`Channel::handle_timeout`] must be called (may be <= now: call it
    /// at once); `None` when no timer is pending.
    pub fn poll_timeout(&self) -> Option<u64> {
        let sync = match &self.sync {
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
        };
        let resend = self.outgoing.iter().map(|e| e.next_resend_ms).min();
        let request = self.out_repair_order.first().map(|(t, _)| *t);
        let response = self.in_repair_order.first().map(|(t, _)| *t);
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
        let id = MessageId::new(&message_id);
        if self.is_known(&id) || self.outgoing_ids.contains(&id) {
            return Err(SendError::DuplicateMessageId(message_id));
        }
        self.lamport = ts;
        let repair_request = self.take_due_requests(now_ms);
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
        let bits = self.bloom.params().bit_indexes(&message_id);
        self.bloom_add(&id, &bits);
        let own = self.participant_id.clone();
        self.log_insert(&id, ts, own, None);
        self.store_insert(&id, bytes.clone());
        if self.outgoing.len() >= self.config.outgoing_buffer_capacity.max(1) {
            if let Some(evicted) = self.outgoing.pop_front() {
                self.outgoing_ids.remove(&evicted.id);
                self.events.push_back(Event::Evicted {
                    buffer: Buffer::OutgoingBuffer,
                    message_id: evicted.message_id.clone(),
                });
                self.events.push_back(Event::NotAcknowledged {
                    message_id: evicted.message_id,
                });
            }
        }
        self.reliable_channel_restart(now_ms, 1, 1);
        self.outgoing_ids.insert(id.clone());
        self.outgoing.push_back(OutgoingEntry {
            id,
            message_id: message_id.clone(),
            bytes: bytes.clone(),
            bits,
            possible_acks: 0,
            resends: 0,
            next_resend_ms: now_ms.saturating_add(self.config.resend_interval_ms),
        });
        self.transmits.push_back(Transmit {
            kind: TransmitKind::Content,
            message_id: message_id.clone(),
            bytes,
            repair_requests,
        });
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

    /// Sends a sync message now (outside the sync timer): empty content, current causal
    /// history and bloom filter, Lamport bumped like a send, due repair requests attached.
    /// Nothing is sent (and `None` returned) when the local log is empty and no repair request
    /// is due (js-waku `pushOutgoingSyncMessage` tests the causal history instead, which only
    /// differs with `causal_history_size` 0, where js-waku never syncs and this still carries
    /// the bloom filter). Returns the sync's id:
    /// `sync-` + 16 hex digits of SHA-256(participant id ‖ Lamport BE), unique per
    /// participant because the Lamport clock only grows.
    pub fn send_sync(&mut self, now_ms: u64) -> Option<String> {
        let has_due = self
            .out_repair_order
            .first()
            .is_some_and(|(t, _)| *t <= now_ms);
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
        Some(message_id)
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
        let Some(lamport) = self.held.get(&id).and_then(|h| h.lamport) else {
            return false;
        };
        // Only the newest entries can still be named by a causal history (see `recent`).
        if let Some(entry) = self.recent.get_mut(&(lamport, id)) {
            entry.retrieval_hint = Some(hint);
        }
        true
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
        let message = wire::decode_with_limits(&bytes, &self.limits)?;
        let kind = wire::classify(&message)?;
        if message.channel_id != self.channel_id || message.sender_id == self.participant_id {
            return Ok(());
        }
        let id = MessageId::new(&message.message_id);
        self.repair_seen(&id, kind);
        if kind == MessageKind::Ephemeral {
            self.events.push_back(Event::EphemeralDelivered {
                message_id: message.message_id,
                sender_id: message.sender_id,
                content: message.content.unwrap_or_default(),
            });
            return Ok(());
        }
        if kind == MessageKind::Content && self.is_known(&id) {
            return Ok(());
        }
        match kind {
            MessageKind::Content => self.reliable_channel_restart(now_ms, 1, 2),
            _ => self.reliable_channel_restart(now_ms, 1, 1),
        }
        let mut inconsistent = false;
        for entry in &message.repair_request {
            self.events.push_back(Event::RepairRequestReceived {
                message_id: entry.message_id.clone(),
                from: message.sender_id.clone(),
            });
            self.on_repair_request(now_ms, entry);
            inconsistent = true;
        }
        let history: Vec<MessageId> = message
            .causal_history
            .iter()
            .map(|e| MessageId::new(&e.message_id))
            .collect();
        self.review_acks(&message, &history);
        if kind == MessageKind::Content {
            let bits = self.bloom.params().bit_indexes(&message.message_id);
            self.bloom_add(&id, &bits);
        }
        // A causal history names its sender's newest log entries, oldest first, which are
        // usually this participant's newest too, in the same places: look near there before
        // the hash lookups.
        let n = history.len();
        let unmet: Vec<usize> = (0..n)
            .filter(|&i| {
                let id = &history[i];
                let expected = (self.log_order.len() + i).saturating_sub(n);
                let near = expected.saturating_sub(2)..(expected + 3).min(self.log_order.len());
                !(self.log_order.range(near).any(|(_, logged)| logged == id) || self.dep_met(id))
            })
            .collect();
        let missing: Vec<HistoryEntry> = unmet
            .iter()
            .filter(|&&i| !self.incoming_ids.contains_key(&history[i]))
            .map(|&i| message.causal_history[i].clone())
            .collect();
        let has_unmet = !unmet.is_empty();
        if has_unmet {
            inconsistent = true;
        }
        if !missing.is_empty() {
            self.track_missing(now_ms, &missing);
            self.events.push_back(Event::MissingDependencies {
                message_id: message.message_id.clone(),
                missing,
            });
        }
        if kind == MessageKind::Content {
            let lamport = message.lamport_timestamp.unwrap_or(0);
            let buffered = Buffered {
                id,
                message_id: message.message_id,
                sender_id: message.sender_id,
                lamport,
                content: message.content.unwrap_or_default(),
                causal_history: message.causal_history,
                deps: history,
                retrieval_hint,
                bytes,
                received_ms: now_ms,
                timed_out: false,
            };
            if has_unmet {
                self.hold(buffered);
            } else {
                let id = buffered.id.clone();
                self.deliver(buffered);
                self.release(vec![id]);
            }
        } else if let SyncState::Trickle { heard, .. } = &mut self.sync {
            *heard = heard.saturating_add(1);
        }
        if inconsistent {
            self.trickle_reset(now_ms);
        }
        self.respond_due(now_ms);
        self.schedule_sweep(now_ms);
        Ok(())
    }

    /// Runs every timer due at `now_ms`, in this order: due repair responses; resends (never
    /// acknowledged before possibly acknowledged, oldest first) and give-ups; lost timeouts of
    /// buffered messages (oldest deadline first); the incoming sweep; the sync timer; then, while repair requests are due, a sync carrying them.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.respond_due(now_ms);
        self.resend_due(now_ms);
        self.lost_timeouts(now_ms);
        if self.next_sweep_ms.is_some_and(|t| t <= now_ms) {
            self.next_sweep_ms = None;
            self.sweep(now_ms);
        }
        self.sync_timer(now_ms);
        while self
            .out_repair_order
            .first()
            .is_some_and(|(t, _)| *t <= now_ms)
        {
            if self.send_sync(now_ms).is_none() {
                break;
            }
        }
        self.schedule_sweep(now_ms);
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
                let bits = self.bloom.params().bit_indexes(text);
                self.bloom_add(&id, &bits);
            }
            let events = &mut self.events;
            self.externally_met.insert(&id, capacity, |old| {
                events.push_back(Event::Evicted {
                    buffer: Buffer::MetIds,
                    message_id: old,
                })
            });
            released.push(id);
        }
        self.release(released);
        self.schedule_sweep(now_ms);
    }

    // ---- internals ----

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

    fn repair_config(&self) -> Option<RepairConfig> {
        self.config.repair
    }

    fn dep_met(&self, id: &MessageId) -> bool {
        self.in_log(id) || self.externally_met.contains(id) || self.delivered.contains(id)
    }

    /// Adds an id to the bloom filter; under `BloomRollover::Rebuild`, rebuilds it from the
    /// newest 80% of capacity once more than 120% of capacity ids were inserted.
    fn bloom_add(&mut self, id: &MessageId, bits: &[u64]) {
        self.bloom.insert_bits(bits);
        if self.config.bloom_rollover != BloomRollover::Rebuild {
            return;
        }
        self.bloom_ids.push_back(id.clone());
        let capacity = self.config.bloom_capacity.max(1);
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
            fresh.insert_bits(&kept.with_str(|id| params.bit_indexes(id)));
        }
        self.bloom = fresh;
    }

    /// `SyncPolicy::ReliableChannel`: re-arm the sync timer at `now + u · interval · num/den`.
    fn reliable_channel_restart(&mut self, now_ms: u64, num: u64, den: u64) {
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

    fn is_known(&self, id: &MessageId) -> bool {
        self.dep_met(id) || self.incoming_ids.contains_key(id)
    }

    /// The newest `causal_history_size` log entries, oldest first.
    fn causal_history(&self) -> Vec<HistoryEntry> {
        let mut history: Vec<HistoryEntry> = self
            .recent
            .iter()
            .rev()
            .take(self.config.causal_history_size)
            .map(|((_, id), e)| HistoryEntry {
                message_id: id.to_string(),
                retrieval_hint: e.retrieval_hint.clone(),
                sender_id: Some(e.sender_id.clone()),
            })
            .collect();
        history.reverse();
        history
    }

    fn log_insert(
        &mut self,
        id: &MessageId,
        lamport: u64,
        sender_id: String,
        retrieval_hint: Option<Bytes>,
    ) {
        let held = self.held.entry(id.clone()).or_default();
        if held.lamport.is_some() {
            return;
        }
        held.lamport = Some(lamport);
        let key = (lamport, id.clone());
        // The key is new (the id was not in the log). Usually the newest: append; else
        // insert at its sorted position.
        if self.log_order.back().is_none_or(|last| *last < key) {
            self.log_order.push_back(key.clone());
        } else {
            let at = self.log_order.partition_point(|k| *k < key);
            self.log_order.insert(at, key.clone());
        }
        // `recent` stays the newest `causal_history_size` entries of the log.
        let n = self.config.causal_history_size;
        let newest = self.recent.len() < n
            || self
                .recent
                .first_key_value()
                .is_some_and(|(oldest, _)| *oldest < key);
        if newest {
            let entry = LogEntry {
                sender_id,
                retrieval_hint,
            };
            self.recent.insert(key, entry);
            if self.recent.len() > n {
                self.recent.pop_first();
            }
        }
        while self.log_order.len() > self.config.local_log_capacity.max(1) {
            let Some(old_key) = self.log_order.pop_front() else {
                break;
            };
            // In `recent` only when the log holds no more than `causal_history_size` entries.
            self.recent.remove(&old_key);
            let old = old_key.1;
            self.release_held(&old, |h| h.lamport = None);
            let events = &mut self.events;
            events.push_back(Event::Evicted {
                buffer: Buffer::LocalLog,
                message_id: old.to_string(),
            });
            self.delivered
                .insert(&old, self.config.delivered_ids_capacity, |gone| {
                    events.push_back(Event::Evicted {
                        buffer: Buffer::DeliveredIds,
                        message_id: gone,
                    })
                });
        }
    }

    fn in_log(&self, id: &MessageId) -> bool {
        self.held.get(id).is_some_and(|h| h.lamport.is_some())
    }

    /// The stored bytes of `id` (SDS-R store).
    fn stored(&self, id: &MessageId) -> Option<&Bytes> {
        self.held.get(id).and_then(|h| h.bytes.as_ref())
    }

    /// Applies `leave` (clearing the log or store part) to `id`'s entry in `held`, and drops
    /// the entry once it is in neither.
    fn release_held(&mut self, id: &MessageId, leave: impl FnOnce(&mut Held)) {
        if let Some(h) = self.held.get_mut(id) {
            leave(h);
            if h.lamport.is_none() && h.bytes.is_none() {
                self.held.remove(id);
            }
        }
    }

    fn store_insert(&mut self, id: &MessageId, bytes: Bytes) {
        if self.config.repair.is_none() {
            return;
        }
        let held = self.held.entry(id.clone()).or_default();
        if held.bytes.is_some() {
            return;
        }
        held.bytes = Some(bytes);
        self.store_order.push_back(id.clone());
        while self.store_order.len() > self.config.message_store_capacity.max(1) {
            let Some(old) = self.store_order.pop_front() else {
                break;
            };
            self.release_held(&old, |h| h.bytes = None);
            self.events.push_back(Event::Evicted {
                buffer: Buffer::MessageStore,
                message_id: old.to_string(),
            });
        }
    }

    fn deliver(&mut self, b: Buffered) {
        self.lamport = self.lamport.max(b.lamport);
        self.log_insert(&b.id, b.lamport, b.sender_id.clone(), b.retrieval_hint);
        self.store_insert(&b.id, b.bytes);
        self.missing.remove(&b.id);
        self.remove_out_repair(&b.id);
        self.events.push_back(Event::Delivered {
            message_id: b.message_id,
            sender_id: b.sender_id,
            lamport_timestamp: b.lamport,
            content: b.content,
            causal_history: b.causal_history.into_iter().map(|e| e.message_id).collect(),
        });
    }

    /// Acknowledgements carried by `message`, whose causal-history ids are `history`.
    fn review_acks(&mut self, message: &SdsMessage, history: &[MessageId]) {
        for (e, id) in message.causal_history.iter().zip(history) {
            if !self.outgoing_ids.remove(id) {
                continue;
            }
            if let Some(pos) = self
                .outgoing
                .iter()
                .position(|o| o.message_id == e.message_id)
            {
                if let Some(o) = self.outgoing.remove(pos) {
                    self.events.push_back(Event::Acknowledged {
                        message_id: o.message_id,
                    });
                }
            }
        }
        let Some(filter) = &message.bloom_filter else {
            return;
        };
        let params = *self.bloom.params();
        if filter.len() != params.byte_len() {
            return;
        }
        let threshold = self.config.possible_acks_threshold;
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

    fn resend_due(&mut self, now_ms: u64) {
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

    fn sync_timer(&mut self, now_ms: u64) {
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

    fn trickle_timer(&mut self, now_ms: u64) {
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

    fn trickle_reset(&mut self, now_ms: u64) {
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

#[cfg(test)]
mod tests;
