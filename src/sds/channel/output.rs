//! What a [`Channel`](super::Channel) hands out: the transmissions it queues ([`Transmit`],
//! by [`TransmitKind`]), the events it reports ([`Event`], with the bounded collections named
//! in evictions, [`Buffer`]), and why a send was refused ([`SendError`]).
//!
//! Plain data; may touch nothing. The channel's state machine decides when each is produced.

use std::sync::Arc;

use bytes::Bytes;

use super::{HistoryEntry, MessageId};

/// Why [`Channel::send`](super::Channel::send) /
/// [`Channel::send_ephemeral`](super::Channel::send_ephemeral) refused a payload. Nothing was
/// queued and no state changed.
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
    /// A new content message from [`Channel::send`](super::Channel::send).
    Content,
    /// A sync message (timer, repair-request carrier, or
    /// [`Channel::send_sync`](super::Channel::send_sync)).
    Sync,
    /// An unchanged re-broadcast of an unacknowledged own content message.
    Resend,
    /// An SDS-R re-broadcast of a stored message (own or received), bytes unchanged.
    RepairResponse,
    /// An ephemeral message from [`Channel::send_ephemeral`](super::Channel::send_ephemeral).
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
    ///
    /// The text fields are shared (`Arc`), made once per received message: every receiver of
    /// a message decoded once (`sds::Decoded`) gets the same strings
    /// without copying them (issue 16).
    Delivered {
        /// Id of the delivered message.
        message_id: Arc<str>,
        /// Its sender.
        sender_id: Arc<str>,
        /// Its Lamport timestamp.
        lamport_timestamp: u64,
        /// Its content (shares the received buffer).
        content: Bytes,
        /// Ids of its causal history, oldest first (shared by every receiver of one
        /// decoding; `Display` and `Debug` give each id's text).
        causal_history: Arc<[MessageId]>,
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
    /// [`Channel::mark_dependencies_met`](super::Channel::mark_dependencies_met), or let
    /// SDS-R repair them.
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
        /// The evicted id (the core's own handle, not formatted: a full log evicts on every
        /// delivery; `to_string` gives the text).
        message_id: MessageId,
    },
    /// A buffered message was dropped without delivery because its dependencies were
    /// declared irretrievably lost and `Config::lost_policy` is `LostPolicy::Drop` (js-waku
    /// `InMessageLost`). Its id is not remembered: a later copy is handled afresh.
    DroppedLost {
        /// The dropped message's id.
        message_id: String,
    },
}
