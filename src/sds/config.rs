//! Configuration of a [`Channel`](super::Channel): every knob PROTOCOL.md leaves open, with
//! its default and the source of that default.

/// How content (and ephemeral) message ids are derived (PROTOCOL.md §2 "Identifiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageIdRule {
    /// Unique and immutable, as the spec requires (the Reliable Channel API spec hashes
    /// sender, timestamp and content): lowercase hex SHA-256 over
    /// `sender_id (UTF-8) ‖ lamport_timestamp (8 bytes, big-endian) ‖ payload`. For ephemeral
    /// messages, which have no Lamport timestamp, `now_ms` takes its place.
    #[default]
    Unique,
    /// js-waku interop: lowercase hex SHA-256 of the payload alone (`getMessageId`).
    /// Identical payloads collide (logos-lips#356): sending the same payload twice while the
    /// first is still known fails with `SendError::DuplicateMessageId`.
    PayloadSha256,
}

/// When sync messages are sent (PROTOCOL.md §2 "Sync messages").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Never on a timer. Syncs still go out when due repair requests need a carrier, and
    /// `Channel::send_sync` sends one on demand.
    Off,
    /// Every participant every `interval_ms`; the first at a phase drawn uniformly from
    /// `[0, interval_ms)` by the core's seeded RNG, later ones on that grid.
    Periodic {
        /// Sync period in ms (> 0; 0 behaves as `Off`).
        interval_ms: u64,
    },
    /// js-waku reliable channel (`packages/sdk/src/reliable_channel/reliable_channel.ts`,
    /// `restartSync`): the sync timer is re-armed to `now + u · interval_ms · multiplier`, with u
    /// uniform in `[0, 1)` from the core's seeded RNG, whenever one of these happens:
    /// start (multiplier 1); the timer fired (2, whether or not a sync could be sent: "wait a
    /// bit longer to not hog the conversation"); a sync was received from another participant
    /// (1); an own content message was sent (1); a new content message was received from
    /// another participant (0.5, "send a sync message faster to ack someone else's").
    /// Duplicates and own messages re-arm nothing (js-waku drops them before the events).
    ReliableChannel {
        /// `syncMinIntervalMs`, ms (30,000 in js-waku; 0 behaves as `Off`).
        interval_ms: u64,
    },
    /// RFC 6206 Trickle. The interval I starts at `i_min_ms`; in each interval a time t is
    /// drawn uniformly from `[I/2, I)`; at t a sync is sent only if fewer than `k` syncs were
    /// *heard* in this interval; at the interval's end `I = min(2I, i_max_ms)`.
    ///
    /// *Heard* = valid sync messages received from other participants of this channel (content
    /// messages do not count). *Inconsistency* (resets I to `i_min_ms` and starts a new
    /// interval, unless I already is `i_min_ms`, as RFC 6206 §4.2 rule 6) = receiving a content or sync
    /// message with at least one unmet dependency, or one that carries repair requests.
    Trickle {
        /// Smallest interval, ms (> 0).
        i_min_ms: u64,
        /// Largest interval, ms (>= i_min_ms).
        i_max_ms: u64,
        /// Redundancy constant: suppress when at least k syncs were heard.
        k: u32,
    },
}

impl Default for SyncPolicy {
    /// `Periodic { interval_ms: 30_000 }`: js-waku's reliable channel `syncMinIntervalMs`.
    fn default() -> Self {
        SyncPolicy::Periodic {
            interval_ms: 30_000,
        }
    }
}

/// What happens to a buffered message once its missing dependencies are declared
/// irretrievably lost by `Config::lost_timeout_ms` (PROTOCOL.md §2 "Incoming buffer").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LostPolicy {
    /// Delivered anyway (PROTOCOL.md: js-waku 0.0.9's intent; the spec's "irretrievably lost"
    /// lets the application proceed). It is still never delivered before a dependency that
    /// is itself held in the incoming buffer.
    #[default]
    Deliver,
    /// Removed from the incoming buffer without delivery, with `Event::DroppedLost` (js-waku
    /// `sweepIncomingBuffer` with `timeoutForLostMessagesMs`, 0.0.8 and HEAD).
    Drop,
}

/// Whether the bloom filter rolls over when it fills (PROTOCOL.md §2 "Bloom filter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BloomRollover {
    /// Never: the filter only fills up (js-waku 0.0.8 and HEAD). Past capacity its
    /// false-positive rate rises, so bloom-based acknowledgements grow optimistic.
    #[default]
    None,
    /// nim-sds `RollingBloomFilter.clean` (`sds/rolling_bloom_filter.nim`,
    /// `CapacityFlexPercent = 20`): when more than 120% of `bloom_capacity` ids have been
    /// inserted since the last rebuild, the filter is rebuilt from the newest 80% of
    /// `bloom_capacity` ids, in insertion order. Unlike nim-sds (which rebuilds at capacity
    /// 120%, changing the filter's size) the parameters are kept, so the wire length never
    /// changes and js-waku receivers can still read the filter. Costs one stored id per
    /// insert (at most 120% of capacity).
    Rebuild,
}

/// SDS-R parameters (PROTOCOL.md §3). Defaults from js-waku `DEFAULT_REPAIR_CONFIG` and
/// `MAX_REPAIR_REQUESTS_PER_MESSAGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairConfig {
    /// T_min, ms: earliest delay before requesting a missing message (30,000, js-waku).
    pub t_min_ms: u64,
    /// T_max, ms: end of the request window and bound of the response delay (120,000,
    /// js-waku; nim-sds uses 300,000).
    pub t_max_ms: u64,
    /// Scheduling rounds per missing id before it is declared irretrievably lost (3). A
    /// round is one entry in the outgoing repair buffer that ended by sending a request or
    /// by seeing another participant's request for the same id.
    pub max_requests_per_message: u32,
    /// Repair request entries attached to one message (3, js-waku
    /// `MAX_REPAIR_REQUESTS_PER_MESSAGE`; the spec recommends at most 3).
    pub max_entries_per_message: usize,
    /// Number of response groups G (1, js-waku default; use
    /// [`response_groups_for`](super::repair::response_groups_for) for `n div 128 + 1`).
    pub num_response_groups: u64,
    /// Capacity of each repair buffer, outgoing and incoming (1,000, js-waku `bufferSize`).
    /// When an entry comes to a full buffer, the held entry with the latest T_req / T_resp
    /// (ties: the greatest id) is evicted with `Event::Evicted`, then the new one is inserted
    /// whatever its time: js-waku `OutgoingRepairBuffer.add` / `IncomingRepairBuffer.add`
    /// (`repair/buffers.ts:53-69`, `:184-200`), which evict before inserting. An id evicted
    /// from the outgoing buffer stays tracked, its round not counted, and the incoming sweep
    /// schedules it again once T_max has passed since its last activity (js-waku forgets it
    /// until a later message names it missing again).
    ///
    /// The set of tracked missing ids (those in the outgoing buffer and those waiting for a
    /// later round) holds twice this many. When it is full, further ids are still reported
    /// in `MissingDependencies` but not scheduled for repair until room frees up (the
    /// incoming sweep retries).
    pub buffer_capacity: usize,
}

impl Default for RepairConfig {
    fn default() -> Self {
        RepairConfig {
            t_min_ms: 30_000,
            t_max_ms: 120_000,
            max_requests_per_message: 3,
            max_entries_per_message: 3,
            num_response_groups: 1,
            buffer_capacity: 1_000,
        }
    }
}

/// Channel configuration. All members of a channel must agree on the bloom filter
/// parameters and on `repair.num_response_groups`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// N, ids in each causal history (2, spec recommendation; js-waku 200, nim-sds 10).
    pub causal_history_size: usize,
    /// Bloom hits that count as an acknowledgement (2, js-waku; nim-sds and go-waku 1).
    /// 0 and 1 both acknowledge on the first hit.
    pub possible_acks_threshold: u32,
    /// Bloom filter capacity in elements (10,000, js-waku `DEFAULT_BLOOM_FILTER_OPTIONS`).
    pub bloom_capacity: usize,
    /// Bloom filter false-positive rate (0.001, js-waku).
    pub bloom_error_rate: f64,
    /// Period of re-broadcasts of unacknowledged messages, ms (30,000, js-waku reliable
    /// channel `DEFAULT_RETRY_INTERVAL_MS`).
    pub resend_interval_ms: u64,
    /// Re-broadcasts of one message before giving up with `Event::NotAcknowledged` (10,
    /// js-waku reliable channel `DEFAULT_MAX_RETRY_ATTEMPTS`). 0 disables resending.
    pub max_resends: u32,
    /// Message id derivation (default `Unique`).
    pub message_id: MessageIdRule,
    /// Sync policy (default periodic every 30 s).
    pub sync: SyncPolicy,
    /// SDS-R; `Some(RepairConfig::default())` by default (js-waku `enableRepair` default true).
    pub repair: Option<RepairConfig>,
    /// Period of the incoming-buffer sweep, ms (5,000, js-waku reliable channel
    /// `DEFAULT_SWEEP_IN_BUF_INTERVAL_MS`). A sweep re-reports missing dependencies of
    /// buffered messages and re-adds lost repair entries (see `Channel`). Runs only while
    /// something is missing.
    pub incoming_sweep_interval_ms: u64,
    /// Local log bound in entries (10,000, js-waku 0.0.9); the lowest (Lamport, id) entry
    /// is evicted first (`Event::Evicted`) and moves to the delivered-id set (see
    /// `delivered_ids_capacity`).
    pub local_log_capacity: usize,
    /// Incoming buffer bound in messages (10,000, chosen equal to the log). When full, the
    /// highest (Lamport, id) message among the held ones and the new one is evicted
    /// (`Event::Evicted`; the new one is then simply not held); a resend or repair can bring
    /// it again. Later-stamped messages are the ones least likely to be released soon.
    pub incoming_buffer_capacity: usize,
    /// Outgoing buffer bound in messages (1,000, chosen; js-waku is unbounded). When full,
    /// the oldest entry is dropped with `Event::Evicted` then `Event::NotAcknowledged`.
    pub outgoing_buffer_capacity: usize,
    /// Full copies of messages kept for SDS-R re-broadcast (1,000, the spec's repair buffer
    /// size); the oldest stored is evicted first (`Event::Evicted`). Copies share the
    /// received `Bytes`.
    pub message_store_capacity: usize,
    /// Largest accepted payload in bytes (153,600 = 150 KiB, the Waku relay message limit).
    pub max_content_bytes: usize,
    /// How long a received content message may wait in the incoming buffer before its
    /// missing dependencies are declared irretrievably lost, ms; `None` = never (default, as
    /// js-waku, whose `timeoutForLostMessagesMs` has no default; no 0.0.9 was published).
    /// Measured from the time the message was buffered (js-waku `timeReceived`). A finite
    /// value should exceed SDS-R's own schedule (about `T_max · (2·max_requests + 1)`, 12 min
    /// at defaults), or repair is cut short. See `Channel` for the one rule shared with SDS-R.
    pub lost_timeout_ms: Option<u64>,
    /// What happens to a message whose dependencies were declared lost (default `Deliver`).
    pub lost_policy: LostPolicy,
    /// Bloom filter roll-over (default `None`, as js-waku).
    pub bloom_rollover: BloomRollover,
    /// Ids remembered after they leave the local log (10,000, chosen equal to the log): they
    /// still count as delivered for duplicate detection and as met dependencies. Oldest
    /// first out, with `Event::Evicted`. Consequence of the bound: an id resent after
    /// `local_log_capacity + delivered_ids_capacity` newer messages is delivered again. The
    /// bloom filter is deliberately not used for this (a false positive would drop a new
    /// message: go-waku's bug).
    pub delivered_ids_capacity: usize,
    /// Share of the incoming buffer one `sender_id` may occupy, in messages (1,000 = 10% of
    /// the default buffer, chosen). Past it the sender's highest (Lamport, id) message is
    /// evicted, so one flooding peer cannot crowd out the others.
    pub incoming_buffer_per_sender: usize,
    /// Largest accepted encoded message in bytes, checked before decoding (1,048,576 =
    /// 1 MiB, nim-sds `MaxMessageSize`). Larger ones are `WireError::TooLarge`.
    pub max_message_bytes: usize,
    /// Most causal-history entries accepted in one message (1,000, chosen: 5 × js-waku's
    /// default history of 200). More is `WireError::TooManyHistoryEntries`.
    pub max_causal_history_entries: usize,
    /// Most repair-request entries accepted in one message (32, chosen: the spec recommends
    /// attaching at most 3). More is `WireError::TooManyRepairRequests`.
    pub max_repair_request_entries: usize,
    /// Longest accepted message, sender or channel id in bytes, including those inside
    /// causal-history and repair-request entries (256, chosen: js-waku ids are 64 hex
    /// digits). Longer is `WireError::IdTooLong`.
    pub max_id_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            causal_history_size: 2,
            possible_acks_threshold: 2,
            bloom_capacity: 10_000,
            bloom_error_rate: 0.001,
            resend_interval_ms: 30_000,
            max_resends: 10,
            message_id: MessageIdRule::Unique,
            sync: SyncPolicy::default(),
            repair: Some(RepairConfig::default()),
            incoming_sweep_interval_ms: 5_000,
            local_log_capacity: 10_000,
            incoming_buffer_capacity: 10_000,
            outgoing_buffer_capacity: 1_000,
            message_store_capacity: 1_000,
            max_content_bytes: 150 * 1024,
            lost_timeout_ms: None,
            lost_policy: LostPolicy::Deliver,
            bloom_rollover: BloomRollover::None,
            delivered_ids_capacity: 10_000,
            incoming_buffer_per_sender: 1_000,
            max_message_bytes: 1 << 20,
            max_causal_history_entries: 1_000,
            max_repair_request_entries: 32,
            max_id_bytes: 256,
        }
    }
}
