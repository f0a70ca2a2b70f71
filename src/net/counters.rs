//! What the network counts: traffic kinds, per-node traffic counters (bytes and copies by
//! kind, queue waits), group-wide copy counters (sent, lost by cause, cut, duplicated).
//! Definitions: reports/README.md (`summary.bytes_*`, `summary.copies_*`, `nodes.csv`).

/// What a transmission is, as told by its sender (for per-kind accounting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrafficKind {
    /// First broadcast of a content message.
    Content,
    /// Eager-push re-broadcast of an unacknowledged content message.
    Resend,
    /// Sync message (SDS: empty content, causal history and bloom filter).
    Sync,
    /// SDS-R repair response: re-broadcast of a requested message.
    RepairResponse,
    /// Ephemeral message.
    Ephemeral,
}

impl TrafficKind {
    /// All kinds, in report order.
    pub const ALL: [TrafficKind; 5] = [
        TrafficKind::Content,
        TrafficKind::Resend,
        TrafficKind::Sync,
        TrafficKind::RepairResponse,
        TrafficKind::Ephemeral,
    ];

    /// Snake-case name used as a key in reports (`bytes_by_kind.repair_response`).
    pub fn name(self) -> &'static str {
        match self {
            TrafficKind::Content => "content",
            TrafficKind::Resend => "resend",
            TrafficKind::Sync => "sync",
            TrafficKind::RepairResponse => "repair_response",
            TrafficKind::Ephemeral => "ephemeral",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// What every copy arriving at a participant adds to its counters (`bytes_received`,
/// `copies_received`, `bytes_received_duplicate` of [`NodeTraffic`]), kept apart from the
/// rest: the elided redundant copies of a 10,000-participant run update them ~40 M times at
/// random participants, and 24 bytes per participant stay in cache where [`NodeTraffic`]'s
/// 176 do not (issue 16).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Received {
    pub bytes: u64,
    pub copies: u64,
    pub bytes_duplicate: u64,
}

impl Received {
    /// A copy of `size` bytes arrived; `duplicate`: the participant had the packet.
    #[inline]
    pub fn count(&mut self, size: u64, duplicate: bool) {
        self.bytes += size;
        self.copies += 1;
        if duplicate {
            self.bytes_duplicate += size;
        }
    }
}

/// What every copy a participant sends adds to its counters (`bytes_sent_by_kind`,
/// `bytes_forwarded`, `copies_lost` of [`NodeTraffic`]), kept apart from the rest in one
/// aligned cache line: a relay forwards each packet it receives, so a 10,000-participant run
/// updates them millions of times at participants whose state is cold, and in
/// [`NodeTraffic`]'s 176 bytes they lay on three lines (issue 16).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(align(64))]
pub(super) struct Sent {
    pub bytes_by_kind: [u64; 5],
    pub bytes_forwarded: u64,
    pub copies_lost: u64,
}

impl Sent {
    /// `copies` copies of `size` bytes of a `kind` packet went on the wire, `lost` of them
    /// lost; `forwarded`: another participant's packet.
    #[inline]
    pub fn count(&mut self, kind: TrafficKind, size: u64, copies: u64, forwarded: bool) {
        self.bytes_by_kind[kind.index()] += size * copies;
        if forwarded {
            self.bytes_forwarded += size * copies;
        }
    }
}

/// Per-participant traffic counters (bytes and copies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeTraffic {
    /// Bytes put on the wire by this participant, per [`TrafficKind`] of the packet (index =
    /// `kind as usize`), its own packets and relayed ones alike.
    pub bytes_sent_by_kind: [u64; 5],
    /// Packets this participant originated (one per send, not per copy), per kind.
    pub transmissions_by_kind: [u64; 5],
    /// Of `bytes_sent_by_kind`, bytes of other participants' packets that it relayed.
    pub bytes_forwarded: u64,
    /// Bytes of copies that arrived at this participant.
    pub bytes_received: u64,
    /// Copies that arrived at this participant.
    pub copies_received: u64,
    /// Of `bytes_received`, bytes of copies of packets it had already received (relay
    /// duplicates, network duplication).
    pub bytes_received_duplicate: u64,
    /// Copies that went through this participant's limited uplink (node class
    /// `uplink_bps`); 0 without a limit.
    pub uplink_queued_copies: u64,
    /// Sum over those copies of the time (µs) each waited behind earlier copies before its
    /// own serialization began.
    pub uplink_queue_delay_total_us: u64,
    /// Largest such wait (µs).
    pub uplink_queue_delay_max_us: u64,
    /// Copies that went through this participant's limited downlink (`downlink_bps`).
    pub downlink_queued_copies: u64,
    /// Sum over those copies of the time (µs) each waited, after coming off the wire, for
    /// earlier copies to be handed over before its own serialization began.
    pub downlink_queue_delay_total_us: u64,
    /// Largest such wait (µs).
    pub downlink_queue_delay_max_us: u64,
    /// Copies this participant put on the wire that random loss dropped (all of
    /// [`CopyCounts::lost`]'s causes, counted at the sender).
    pub copies_lost: u64,
    /// Of `copies_lost`, copies dropped by this participant's Gilbert-Elliott chain.
    pub copies_lost_gilbert_elliott: u64,
}

impl NodeTraffic {
    /// Total bytes sent over all kinds.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent_by_kind.iter().sum()
    }
    /// Bytes sent of one kind.
    pub fn bytes_sent_of(&self, kind: TrafficKind) -> u64 {
        self.bytes_sent_by_kind[kind.index()]
    }
    /// Mean uplink queueing delay in µs over the copies that went through a limited
    /// uplink (0 if none).
    pub fn uplink_queue_delay_mean_us(&self) -> f64 {
        mean(self.uplink_queue_delay_total_us, self.uplink_queued_copies)
    }
    /// Mean downlink queueing delay in µs over the copies handed over through a limited
    /// downlink (0 if none).
    pub fn downlink_queue_delay_mean_us(&self) -> f64 {
        mean(
            self.downlink_queue_delay_total_us,
            self.downlink_queued_copies,
        )
    }
}

fn mean(total: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
}

/// Group-wide copy counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyCounts {
    /// Copies put on the wire (every hop).
    pub sent: u64,
    /// Copies dropped by random loss: `network.loss`, Gilbert-Elliott, node-class,
    /// degradation-window and link-override loss.
    pub lost: u64,
    /// Of `lost`, copies dropped by the Gilbert-Elliott chain.
    pub lost_gilbert_elliott: u64,
    /// Of `lost`, copies dropped by node-class, degradation-window or link-override loss.
    pub lost_extra: u64,
    /// Copies still in their sender's uplink queue when it went offline
    /// ([`Network::drop_uplink_queue`](super::Network::drop_uplink_queue)): counted as sent,
    /// never left.
    pub dropped_in_queue: u64,
    /// Copies dropped because sender and receiver were on different sides of a partition.
    pub partitioned: u64,
    /// Extra copies created by duplication (`network.duplicate`).
    pub duplicated: u64,
    /// Copies that arrived at a participant that already had the packet.
    pub redundant: u64,
}
