//! Read-only inspection of a [`Channel`]: its identity and configuration, buffer occupancy,
//! and the entries of every buffer a library user or a test may want to look at (the outgoing
//! buffer with its acknowledgement state, the bloom filter as sent, the local log with Lamport
//! timestamps, the incoming buffer with its unmet dependencies, both SDS-R repair buffers with
//! their due times). Every method takes `&self` and returns borrowed slices, iterators of
//! small owned structs, or counts; none exposes internal state that could be mutated.
//!
//! Times are Unix milliseconds, as every input of the channel. Ids are returned as text.

use bytes::Bytes;

use super::{Channel, Config, HistoryEntry, Limits, MessageId};

/// Buffer occupancy, for quiescence checks and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pending {
    /// Own content messages not yet acknowledged nor given up.
    pub outgoing_buffer: usize,
    /// Received content messages waiting for dependencies.
    pub incoming_buffer: usize,
    /// SDS-R outgoing repair buffer: missing ids scheduled to be requested.
    pub repair_requests: usize,
    /// SDS-R incoming repair buffer: requested ids scheduled to be re-broadcast.
    pub repair_responses: usize,
    /// SDS-R: tracked missing ids in no repair buffer, which a later incoming sweep will
    /// schedule again or declare irretrievably lost: after someone else's request went
    /// unanswered, after the last request round, or after eviction from a full outgoing repair
    /// buffer (see `RepairConfig::buffer_capacity`).
    pub repair_awaiting: usize,
}

/// An own content message in the outgoing buffer: sent, neither acknowledged nor given up
/// (PROTOCOL.md §2 "Outgoing buffer"). See [`Channel::outgoing_buffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Its id.
    pub message_id: String,
    /// Received bloom filters that matched it so far (possible acknowledgements; js-waku's
    /// `possibleAcks` count). Always below `Config::possible_acks_threshold`: at the
    /// threshold the message counts as acknowledged and leaves the buffer.
    pub possible_acks: u32,
    /// Re-broadcasts so far, at most `Config::max_resends`.
    pub resends: u32,
    /// Unix ms of the next re-broadcast; once `resends` is `Config::max_resends`, of the
    /// give-up (`Event::NotAcknowledged`).
    pub next_resend_ms: u64,
}

/// An entry of the local log. See [`Channel::local_log_entries`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMessage {
    /// Its Lamport timestamp (Unix ms scale), the first key of the log order.
    pub lamport_timestamp: u64,
    /// Its id, the second key of the log order (ties of Lamport timestamps).
    pub message_id: String,
}

/// A content message held in the incoming buffer, waiting for dependencies (PROTOCOL.md §2
/// "Receive pipeline"). See [`Channel::incoming_buffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferedMessage {
    /// Its id.
    pub message_id: String,
    /// Its sender.
    pub sender_id: String,
    /// Its Lamport timestamp.
    pub lamport_timestamp: u64,
    /// Unix ms at which it was buffered (`Config::lost_timeout_ms` counts from here).
    pub received_ms: u64,
    /// Its causal-history entries that are neither met (logged, delivered before, or marked
    /// with `mark_dependencies_met`) nor held in the incoming buffer, in causal-history order,
    /// with their retrieval hints and senders: what a store query or SDS-R has to bring (as
    /// `Event::MissingDependencies` reports them; ids declared irretrievably lost included).
    pub missing_dependencies: Vec<HistoryEntry>,
    /// Ids of its causal history that are not met but are themselves held in the incoming
    /// buffer, in causal-history order: it is released after them.
    pub buffered_dependencies: Vec<String>,
    /// Whether its lost timeout passed: then only `buffered_dependencies` still hold it back
    /// (PROTOCOL.md §2 "Incoming buffer").
    pub timed_out: bool,
}

/// An entry of the SDS-R outgoing repair buffer (PROTOCOL.md §3). See
/// [`Channel::outgoing_repair_buffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRepairEntry {
    /// The missing entry as it will be attached to a repair request: id, retrieval hint and
    /// original sender, from the causal history that named it (bare id if none is known).
    pub entry: HistoryEntry,
    /// T_req, Unix ms: the request is attached to the first content or sync message sent at
    /// or after it (PROTOCOL.md §3).
    pub t_req_ms: u64,
    /// The request round this entry is for, 1-based, at most
    /// `RepairConfig::max_requests_per_message`.
    pub round: u32,
}

/// An entry of the SDS-R incoming repair buffer (PROTOCOL.md §3). See
/// [`Channel::incoming_repair_buffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingRepairEntry {
    /// The requested id (a message this participant holds and may re-broadcast).
    pub message_id: String,
    /// T_resp, Unix ms: the stored message is re-broadcast then, unless a copy arrives first.
    pub t_resp_ms: u64,
}

impl Channel {
    /// This channel's id.
    pub fn channel_id(&self) -> &str {
        &self.channel_id
    }

    /// This participant's id (the `sender_id` of its messages).
    pub fn participant_id(&self) -> &str {
        &self.participant_id
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The bounds this channel applies to received messages (from its [`Config`]):
    /// what `Decoded::new` needs to decode for it.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Current Lamport timestamp (Unix ms scale).
    pub fn lamport_timestamp(&self) -> u64 {
        self.lamport
    }

    /// Message ids of the local log in (Lamport timestamp, id) order: own sent messages and
    /// delivered ones (not ids marked with `mark_dependencies_met`). `to_string()` gives the
    /// id's text. [`Channel::local_log_entries`] adds the Lamport timestamps.
    pub fn local_log(&self) -> impl Iterator<Item = &MessageId> {
        self.log_order.iter()
    }

    /// The local log in its order, ascending (Lamport timestamp, id), with each entry's
    /// Lamport timestamp: at most `Config::local_log_capacity` entries.
    pub fn local_log_entries(&self) -> impl Iterator<Item = LoggedMessage> + '_ {
        self.log_order.iter().map(|id| LoggedMessage {
            lamport_timestamp: id.lamport(),
            message_id: id.to_string(),
        })
    }

    /// Number of entries in the local log.
    pub fn local_log_len(&self) -> usize {
        self.log_order.len()
    }

    /// The outgoing buffer, oldest sent first: own content messages neither acknowledged nor
    /// given up, with their possible-acknowledgement and re-broadcast counts. At most
    /// `Config::outgoing_buffer_capacity` entries.
    pub fn outgoing_buffer(&self) -> impl Iterator<Item = OutgoingMessage> + '_ {
        self.outgoing.iter().map(|e| OutgoingMessage {
            message_id: e.message_id.clone(),
            possible_acks: e.possible_acks,
            resends: e.resends,
            next_resend_ms: e.next_resend_ms,
        })
    }

    /// The bloom filter exactly as the next content or sync message will carry it (js-waku's
    /// serialization, PROTOCOL.md §2 "Bloom filter"): `BloomParams::byte_len()` bytes for the
    /// configured capacity and error rate (18,752 at defaults). Holds the ids of every content
    /// message received or sent, and of ids marked with `mark_dependencies_met`, since the
    /// last roll-over.
    /// A shared reference when the filter is dense, built anew while it is sparse
    /// (`bloom::BloomFilter`).
    pub fn bloom_filter(&self) -> Bytes {
        self.bloom.to_bytes()
    }

    /// Whether `message_id` tests positive in this channel's bloom filter (false positives at
    /// about `Config::bloom_error_rate` while under capacity; no false negatives since the last
    /// roll-over).
    pub fn bloom_filter_contains(&self, message_id: &str) -> bool {
        self.bloom.contains(message_id)
    }

    /// The incoming buffer in release order, ascending (Lamport timestamp, id), each message
    /// with the dependencies it still waits for. At most `Config::incoming_buffer_capacity`
    /// entries.
    pub fn incoming_buffer(&self) -> impl Iterator<Item = BufferedMessage> + '_ {
        self.incoming.values().map(|b| {
            let mut missing_dependencies = Vec::new();
            let mut buffered_dependencies = Vec::new();
            for (entry, dep) in b.causal_history.iter().zip(&b.deps) {
                if self.dep_met(dep) {
                    continue;
                }
                if self.incoming_ids.contains_key(dep) {
                    buffered_dependencies.push(entry.message_id.clone());
                } else {
                    missing_dependencies.push(entry.clone());
                }
            }
            BufferedMessage {
                message_id: b.message_id.to_string(),
                sender_id: b.sender_id.to_string(),
                lamport_timestamp: b.lamport,
                received_ms: b.received_ms,
                missing_dependencies,
                buffered_dependencies,
                timed_out: b.timed_out,
            }
        })
    }

    /// The SDS-R outgoing repair buffer, ascending (T_req, id): the order in which requests
    /// are attached (PROTOCOL.md §3, "lowest T_req first"). At most
    /// `RepairConfig::buffer_capacity` entries; empty without SDS-R.
    pub fn outgoing_repair_buffer(&self) -> impl Iterator<Item = OutgoingRepairEntry> + '_ {
        self.out_repair_order.iter().filter_map(|(t_req_ms, id)| {
            let (_, entry) = self.out_repair.get(id)?;
            Some(OutgoingRepairEntry {
                entry: entry.clone(),
                t_req_ms: *t_req_ms,
                round: self.missing.get(id).map_or(1, |m| m.rounds),
            })
        })
    }

    /// The SDS-R incoming repair buffer, ascending (T_resp, id): the order in which responses
    /// go out. At most `RepairConfig::buffer_capacity` entries; empty without SDS-R.
    pub fn incoming_repair_buffer(&self) -> impl Iterator<Item = IncomingRepairEntry> + '_ {
        self.in_repair_order
            .iter()
            .map(|(t_resp_ms, id)| IncomingRepairEntry {
                message_id: id.to_string(),
                t_resp_ms: *t_resp_ms,
            })
    }

    /// Buffer occupancy.
    pub fn pending(&self) -> Pending {
        Pending {
            outgoing_buffer: self.outgoing.len(),
            incoming_buffer: self.incoming.len(),
            repair_requests: self.out_repair.len(),
            repair_responses: self.in_repair.len(),
            repair_awaiting: self
                .missing
                .keys()
                .filter(|id| !self.out_repair.contains_key(*id))
                .count(),
        }
    }

    /// True when every count of [`Channel::pending`] is zero (the periodic sync timer alone does
    /// not count).
    pub fn is_quiescent(&self) -> bool {
        // With the outgoing repair buffer empty, every tracked missing id awaits a round, so
        // `repair_awaiting` is zero exactly when nothing is tracked: no count to make (hosts
        // ask after every input). A quiet channel (the `quiet` module) has all of them empty.
        self.quiet
            || self.outgoing.is_empty()
                && self.incoming.is_empty()
                && self.out_repair.is_empty()
                && self.in_repair.is_empty()
                && self.missing.is_empty()
    }
}
