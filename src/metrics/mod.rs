//! Ground truth of a run: who published what and when, who delivered it and when.
//!
//! The [`Recorder`] is a passive observer: the engine tells it about publications, deliveries
//! to the application, acknowledgements and repair activity; it never changes the run. Every
//! figure in a report is derived from it (and from the network's traffic counters).
//!
//! Definitions (also in `reports/README.md`):
//! - expected pairs: every content message times every member of its channel other than its
//!   publisher whose membership window covers the publication: a participant is expected to
//!   deliver the messages published in `[member_from, member_until)` (see
//!   [`Recorder::set_membership`]; by default `[0, ∞)`). Churn sets them: a participant that
//!   leaves at `t` is expected to deliver only messages published before `t` (those it had
//!   not delivered when it left count as missed); a late joiner is expected to deliver its
//!   channel's whole history (`member_from = 0`) unless `churn.joiners_expect_history =
//!   false` (`member_from` = its join time). A delivery outside the window is recorded
//!   (causal checks, duplicates) but not counted as a delivered pair;
//! - a duplicate: a second delivery of the same message to the same participant, unless the
//!   participant crashed in between (a restarted core delivering again what its lost state
//!   had delivered is a redelivery, counted apart: [`Recorder::redeliveries`]);
//! - a causal violation: delivering a message to a participant before one of the messages
//!   listed in its causal history (the dependencies SDS promises to respect), unless the
//!   participant is that dependency's publisher.

pub mod observe;
pub mod outcome;
pub mod recovery;
pub mod trace;

pub use outcome::{
    ChannelSpec, ChurnStats, LightStats, RunOutcome, StopReason, StoreClientStats, StoreNodeStats,
    StoreOutcome,
};

use rustc_hash::FxHashMap;

use crate::time::SimTime;

/// Sentinel for "not delivered".
const NEVER: SimTime = SimTime::MAX;

/// Ground truth about one content message.
#[derive(Debug, Clone)]
pub struct MessageTruth {
    /// Message id as produced by the publisher's core.
    pub id: String,
    /// Channel it was published on (index into the run's channels).
    pub channel: u32,
    /// Publishing participant.
    pub publisher: u32,
    /// Publication time (µs since run start).
    pub published: SimTime,
    /// Indices (into the recorder's messages) of the causal-history entries it carried.
    pub deps: Vec<u32>,
    /// When the publisher's core reported it acknowledged, if ever.
    pub acknowledged: Option<SimTime>,
    /// True if the publisher's core gave up resending it unacknowledged.
    pub not_acknowledged: bool,
    /// Times a repair request for it was sent (entries, group-wide).
    pub repair_requests: u32,
    /// Times a repair response for it was sent (group-wide).
    pub repair_responses: u32,
    /// Label of a scripted publication, if any.
    pub label: Option<String>,
    /// Lamport timestamp it was sent with (SDS; `None` for the `none` baseline).
    pub lamport_timestamp: Option<u64>,
    /// The sender-side milestones a client shows or reports (`[light]` senders; see
    /// [`SenderView`]).
    pub sender: SenderView,
}

/// What the publisher of a message could know about it, next to the ground truth: the
/// milestones of js-waku's ReliableChannel and the Waku API (`message-sent`, LightPush
/// accepted, `send-propagated`; SDS acknowledgements are [`MessageTruth::acknowledged`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderView {
    /// The publisher is a light client (it sends by LightPush).
    pub light: bool,
    /// When a relay node (not its publisher, not the service node it was handed to) first
    /// received a copy of it (any transmission: first, resend, repair response): it entered
    /// the mesh. `None`: it never left its sender, or died with its service node.
    pub reached_mesh: Option<SimTime>,
    /// When a service node first accepted a LightPush request carrying it.
    pub lightpush_accepted: Option<SimTime>,
    /// When the publisher first received it back through its own Filter subscription
    /// (the Waku API's `message:send-propagated`).
    pub propagated: Option<SimTime>,
}

/// How a delivered message reached its receiver: the kind of the copy that brought it (the
/// copy itself, not the one that released it from the incoming buffer). Stored per
/// (message, receiver) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Via {
    /// Not delivered (or not known).
    None = 0,
    /// Its first broadcast (the original content transmission).
    Content = 1,
    /// An eager-push resend by its publisher.
    Resend = 2,
    /// An SDS-R repair response.
    RepairResponse = 3,
    /// A store query's answer.
    Store = 4,
}

impl Via {
    /// Every kind, in report order.
    pub const ALL: [Via; 4] = [Via::Content, Via::Resend, Via::RepairResponse, Via::Store];

    /// Snake-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Via::None => "none",
            Via::Content => "content",
            Via::Resend => "resend",
            Via::RepairResponse => "repair_response",
            Via::Store => "store",
        }
    }

    fn from_u8(v: u8) -> Via {
        match v & !FILTER_BIT {
            1 => Via::Content,
            2 => Via::Resend,
            3 => Via::RepairResponse,
            4 => Via::Store,
            _ => Via::None,
        }
    }
}

/// Set in a pair's arrival byte when the copy came through a Filter push (light client).
const FILTER_BIT: u8 = 0x80;

/// Group-wide protocol event counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtocolCounters {
    pub repair_requests_sent: u64,
    pub repair_requests_received: u64,
    pub repair_responses_sent: u64,
    pub irretrievably_lost: u64,
    /// Buffered messages dropped undelivered after their dependencies were declared lost
    /// (`sds.lost_policy = "drop"`).
    pub dropped_lost: u64,
    pub missing_dependency_events: u64,
    /// Deliveries of ids that no participant published in that channel (must be 0).
    pub unknown_deliveries: u64,
    /// Publications whose message id equals an earlier publication's in the same channel
    /// (possible only with `sds.message_id = "payload-sha256"` and equal payloads, the
    /// js-waku id rule's known flaw, logos-lips#356). The core treats the second one as a
    /// duplicate, so its expected deliveries never happen; deliveries of the id are credited
    /// to the first publication.
    pub message_id_collisions: u64,
    /// Publications the sender's core refused (`send` returned an error, e.g. a
    /// payload-sha256 id already in its log): the workload wanted them, nothing was sent.
    pub publications_refused: u64,
    /// Transmissions (content or sync) that carried at least one repair-request entry.
    pub transmissions_with_repair_requests: u64,
    /// Most repair-request entries carried by one transmission.
    pub max_repair_requests_per_transmission: u32,
}

/// The ground-truth recorder of one run.
pub struct Recorder {
    n: u32,
    /// Members of each channel, ascending.
    members: Vec<Vec<u32>>,
    messages: Vec<MessageTruth>,
    /// Per channel: message id -> index of its first publication in that channel. Keyed by
    /// channel because ids are unique per channel only (a participant publishing the same
    /// payload in two channels in the same millisecond gets one `unique` id in both).
    index: Vec<FxHashMap<Box<str>, u32>>,
    /// Per message, one slot per member of its channel (in member order): delivery times,
    /// `NEVER` if not delivered. A row is allocated at its exact size when the message is
    /// published (one table of every pair grew by doubling: up to twice its size, and both
    /// copies during a move; 5.86 M pairs in `large-group-10k.toml`).
    delivered: Vec<Box<[SimTime]>>,
    /// Per message, parallel to `delivered`: how the delivered message arrived ([`Via`] with
    /// [`FILTER_BIT`]), 0 if unknown or not delivered.
    arrival: Vec<Box<[u8]>>,
    expected: u64,
    duplicates: u64,
    causal_violations: u64,
    delivered_pairs: u64,
    per_node_delivered: Vec<u64>,
    per_node_expected: Vec<u64>,
    per_node_duplicates: Vec<u64>,
    /// Per participant: first publication time it is expected to deliver (µs).
    member_from: Vec<SimTime>,
    /// Per participant: publications at or after this time are not expected (µs).
    member_until: Vec<SimTime>,
    /// Expected receivers of each message.
    receivers: Vec<u32>,
    /// Expected but undelivered pairs of participants that left (they can never settle).
    abandoned: u64,
    /// Deliveries of messages outside the receiver's membership window.
    unexpected_deliveries: u64,
    /// Per participant: time of its last crash restart (`NEVER` if none).
    last_crash: Vec<SimTime>,
    /// (message, participant) pairs delivered again after a crash -> time of the latest
    /// such redelivery (lookups only). Each incarnation of a participant may deliver a
    /// message once: a delivery is a redelivery when the pair's latest delivery happened
    /// before the participant's latest crash restart.
    redelivered: FxHashMap<(u32, u32), SimTime>,
    /// Redeliveries after crashes (events, all incarnations).
    redeliveries: u64,
    counters: ProtocolCounters,
}

impl Recorder {
    /// A recorder for `n` participants and channels with the given members (ascending ids).
    pub fn new(n: u32, members: Vec<Vec<u32>>) -> Recorder {
        let channels = members.len();
        Recorder {
            n,
            members,
            messages: Vec::new(),
            index: vec![FxHashMap::default(); channels],
            delivered: Vec::new(),
            arrival: Vec::new(),
            expected: 0,
            duplicates: 0,
            causal_violations: 0,
            delivered_pairs: 0,
            per_node_delivered: vec![0; n as usize],
            per_node_expected: vec![0; n as usize],
            per_node_duplicates: vec![0; n as usize],
            member_from: vec![0; n as usize],
            member_until: vec![NEVER; n as usize],
            receivers: Vec::new(),
            abandoned: 0,
            unexpected_deliveries: 0,
            last_crash: vec![NEVER; n as usize],
            redelivered: Default::default(),
            redeliveries: 0,
            counters: ProtocolCounters::default(),
        }
    }

    /// Sets participant `p`'s membership window: it is expected to deliver the messages
    /// published at times in `[from, until)` (µs; `until = SimTime::MAX` for "never
    /// leaves"). Call before the first publication.
    pub fn set_membership(&mut self, p: u32, from: SimTime, until: SimTime) {
        self.member_from[p as usize] = from;
        self.member_until[p as usize] = until;
    }

    /// Participant `p` has left for good: its missing deliveries are abandoned (still counted
    /// as missed, but [`all_delivered`](Self::all_delivered) no longer waits for them).
    pub fn participant_left(&mut self, p: u32) {
        let i = p as usize;
        self.abandoned += self.per_node_expected[i] - self.per_node_delivered[i];
    }

    /// Participant `p` restarted with fresh state at `at` (churn `crash`): its deliveries of
    /// messages it had delivered before are redeliveries, not duplicates.
    pub fn crashed(&mut self, p: u32, at: SimTime) {
        self.last_crash[p as usize] = at;
    }

    /// Deliveries, after a crash, of messages the participant had delivered before it (one
    /// per restarted incarnation that delivered the message again).
    pub fn redeliveries(&self) -> u64 {
        self.redeliveries
    }

    /// True if participant `p` is expected to deliver message `m`.
    pub fn is_expected(&self, m: u32, p: u32) -> bool {
        let t = &self.messages[m as usize];
        let i = p as usize;
        t.publisher != p
            && t.published >= self.member_from[i]
            && t.published < self.member_until[i]
            && self.position(t.channel, p).is_some()
    }

    /// Deliveries of messages outside the receiver's membership window (not counted in
    /// [`delivered_pairs`](Self::delivered_pairs)).
    pub fn unexpected_deliveries(&self) -> u64 {
        self.unexpected_deliveries
    }

    /// Position of participant `p` among the members of `channel`.
    fn position(&self, channel: u32, p: u32) -> Option<usize> {
        let m = &self.members[channel as usize];
        if m.len() == self.n as usize {
            Some(p as usize) // the group channel: every participant, in order
        } else {
            m.binary_search(&p).ok()
        }
    }

    /// Records a publication on `channel`. `deps` are the message ids of its causal history
    /// (in the same channel); ids unknown to the recorder are ignored. Returns the message's
    /// index. An id already published in `channel` is counted in
    /// [`ProtocolCounters::message_id_collisions`]; the id keeps naming the first message.
    pub fn publish(
        &mut self,
        id: &str,
        channel: u32,
        publisher: u32,
        at: SimTime,
        deps: &[&str],
    ) -> u32 {
        let idx = self.messages.len() as u32;
        let index = &mut self.index[channel as usize];
        let deps = deps.iter().filter_map(|d| index.get(*d).copied()).collect();
        match index.entry(id.into()) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.counters.message_id_collisions += 1
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(idx);
            }
        }
        self.messages.push(MessageTruth {
            id: id.to_owned(),
            channel,
            publisher,
            published: at,
            deps,
            acknowledged: None,
            not_acknowledged: false,
            repair_requests: 0,
            repair_responses: 0,
            label: None,
            lamport_timestamp: None,
            sender: SenderView::default(),
        });
        let members = &self.members[channel as usize];
        self.delivered
            .push(vec![NEVER; members.len()].into_boxed_slice());
        self.arrival.push(vec![0; members.len()].into_boxed_slice());
        let mut receivers = 0u32;
        for &p in members {
            let i = p as usize;
            if p != publisher && at >= self.member_from[i] && at < self.member_until[i] {
                self.per_node_expected[i] += 1;
                receivers += 1;
            }
        }
        self.receivers.push(receivers);
        self.expected += u64::from(receivers);
        idx
    }

    /// Sets the label of message `m` (scripted publications).
    pub fn set_label(&mut self, m: u32, label: Option<String>) {
        self.messages[m as usize].label = label;
    }

    /// Sets the Lamport timestamp message `m` was sent with.
    pub fn set_lamport(&mut self, m: u32, ts: Option<u64>) {
        self.messages[m as usize].lamport_timestamp = ts;
    }

    /// Index of the message with `label`, if any (first match).
    pub fn by_label(&self, label: &str) -> Option<u32> {
        self.messages
            .iter()
            .position(|m| m.label.as_deref() == Some(label))
            .map(|i| i as u32)
    }

    /// Index of the message published in `channel` with `id`.
    pub fn lookup(&self, channel: u32, id: &str) -> Option<u32> {
        self.index.get(channel as usize)?.get(id).copied()
    }

    /// Prefetch hint ([`crate::sds::prefetch`]) for a delivery of message `m` to participant
    /// `to`: the cache lines of the pair's delivery time and arrival, and of the delivery
    /// times of the message's causal dependencies at `to`, which [`Recorder::deliver`] and
    /// [`Recorder::set_arrival`] read (issue 16: at 10,000 participants each is a cache miss,
    /// 4% of `large-group-10k.toml`). Changes nothing; an unknown `m` or `to` asks for nothing.
    #[inline]
    pub fn prefetch_delivery(&self, m: u32, to: u32) {
        use crate::sds::prefetch::read;
        let Some(truth) = self.messages.get(m as usize) else {
            return;
        };
        let Some(pos) = self.position(truth.channel, to) else {
            return;
        };
        if let Some(t) = self.delivered.get(m as usize).and_then(|row| row.get(pos)) {
            read(t);
        }
        if let Some(a) = self.arrival.get(m as usize).and_then(|row| row.get(pos)) {
            read(a);
        }
        for &d in &truth.deps {
            if let Some(t) = self.delivered.get(d as usize).and_then(|row| row.get(pos)) {
                read(t);
            }
        }
    }

    /// Records delivery of `id` (published in `channel`) to the application of participant
    /// `to` at `at`. Returns the message's index when this is the pair's first delivery
    /// (then [`Recorder::set_arrival`] may say how it came).
    pub fn deliver(&mut self, channel: u32, id: &str, to: u32, at: SimTime) -> Option<u32> {
        let Some(m) = self.lookup(channel, id) else {
            self.counters.unknown_deliveries += 1;
            return None;
        };
        let truth = &self.messages[m as usize];
        if truth.publisher == to {
            return None; // a participant never delivers its own message; ignore defensively
        }
        let Some(pos) = self.position(truth.channel, to) else {
            self.counters.unknown_deliveries += 1; // not a member of the channel
            return None;
        };
        let first = self.delivered[m as usize][pos];
        if first != NEVER {
            let crash = self.last_crash[to as usize];
            let latest = self.redelivered.get(&(m, to)).copied().unwrap_or(first);
            if crash != NEVER && latest <= crash {
                // First delivery by this incarnation of a restarted core.
                self.redelivered.insert((m, to), at);
                self.redeliveries += 1;
                return None;
            }
            self.duplicates += 1;
            self.per_node_duplicates[to as usize] += 1;
            return None;
        }
        for &d in &truth.deps {
            let dep = &self.messages[d as usize];
            if dep.publisher == to {
                continue;
            }
            let delivered = self
                .position(dep.channel, to)
                .is_some_and(|p| self.delivered[d as usize][p] != NEVER);
            if !delivered {
                self.causal_violations += 1;
            }
        }
        self.delivered[m as usize][pos] = at;
        let i = to as usize;
        if truth.published >= self.member_from[i] && truth.published < self.member_until[i] {
            self.delivered_pairs += 1;
            self.per_node_delivered[i] += 1;
        } else {
            self.unexpected_deliveries += 1;
        }
        Some(m)
    }

    /// Records how message `m` reached participant `to` (its first delivery): `via` the kind
    /// of the copy that brought it, `filter` true if that copy was a Filter push.
    pub fn set_arrival(&mut self, m: u32, to: u32, via: Via, filter: bool) {
        let t = &self.messages[m as usize];
        if let Some(pos) = self.position(t.channel, to) {
            self.arrival[m as usize][pos] = via as u8 | if filter { FILTER_BIT } else { 0 };
        }
    }

    /// How message `m` reached participant `to`: the kind of the copy and whether it came
    /// through a Filter push (`(Via::None, false)` if not delivered or not known).
    pub fn arrival(&self, m: u32, to: u32) -> (Via, bool) {
        let t = &self.messages[m as usize];
        match self.position(t.channel, to) {
            Some(pos) => {
                let a = self.arrival[m as usize][pos];
                (Via::from_u8(a), a & FILTER_BIT != 0)
            }
            None => (Via::None, false),
        }
    }

    /// The sender-side milestones of message `m`, to update.
    pub fn sender_view_mut(&mut self, m: u32) -> &mut SenderView {
        &mut self.messages[m as usize].sender
    }

    /// True if participant `to` is expected to deliver message `m` and has not yet.
    pub fn awaits(&self, m: u32, to: u32) -> bool {
        self.is_expected(m, to) && self.delivery(m, to).is_none()
    }

    /// Records the publisher's acknowledgement of `id` in `channel` (first one counts).
    pub fn acknowledged(&mut self, channel: u32, id: &str, at: SimTime) {
        if let Some(m) = self.lookup(channel, id) {
            let t = &mut self.messages[m as usize];
            t.acknowledged.get_or_insert(at);
        }
    }

    /// Records that the publisher gave up on `id` in `channel` (resends exhausted).
    pub fn not_acknowledged(&mut self, channel: u32, id: &str) {
        if let Some(m) = self.lookup(channel, id) {
            self.messages[m as usize].not_acknowledged = true;
        }
    }

    /// Records a repair request entry for `id` in `channel` sent by some participant.
    pub fn repair_request_sent(&mut self, channel: u32, id: &str) {
        self.counters.repair_requests_sent += 1;
        if let Some(m) = self.lookup(channel, id) {
            self.messages[m as usize].repair_requests += 1;
        }
    }

    /// Records a repair response (re-broadcast) of `id` in `channel`.
    pub fn repair_response_sent(&mut self, channel: u32, id: &str) {
        self.counters.repair_responses_sent += 1;
        if let Some(m) = self.lookup(channel, id) {
            self.messages[m as usize].repair_responses += 1;
        }
    }

    /// Mutable access to the protocol counters.
    pub fn counters_mut(&mut self) -> &mut ProtocolCounters {
        &mut self.counters
    }

    pub fn counters(&self) -> &ProtocolCounters {
        &self.counters
    }

    /// Participants.
    pub fn participants(&self) -> u32 {
        self.n
    }

    /// Published messages, in publication order.
    pub fn messages(&self) -> &[MessageTruth] {
        &self.messages
    }

    /// Delivery time of message `m` at participant `to`, if delivered.
    pub fn delivery(&self, m: u32, to: u32) -> Option<SimTime> {
        let truth = &self.messages[m as usize];
        let pos = self.position(truth.channel, to)?;
        let t = self.delivered[m as usize][pos];
        (t != NEVER).then_some(t)
    }

    /// `(member, delivery time)` of message `m` for every member of its channel (`None` for
    /// its publisher and for members that never delivered it), in member order.
    pub fn deliveries_of(&self, m: u32) -> impl Iterator<Item = (u32, Option<SimTime>)> + '_ {
        let truth = &self.messages[m as usize];
        let members = &self.members[truth.channel as usize];
        members
            .iter()
            .zip(self.delivered[m as usize].iter())
            .map(|(&p, &t)| (p, (t != NEVER).then_some(t)))
    }

    /// `(receiver, delivery time)` of message `m` for every participant expected to deliver
    /// it (see [`is_expected`](Self::is_expected)), in member order.
    pub fn expected_deliveries_of(
        &self,
        m: u32,
    ) -> impl Iterator<Item = (u32, Option<SimTime>)> + '_ {
        let t = &self.messages[m as usize];
        self.deliveries_of(m).filter(move |&(p, _)| {
            let i = p as usize;
            p != t.publisher
                && t.published >= self.member_from[i]
                && t.published < self.member_until[i]
        })
    }

    /// Expected receivers of message `m`: members of its channel but its publisher whose
    /// membership window covers its publication.
    pub fn receivers_of(&self, m: u32) -> u64 {
        u64::from(self.receivers[m as usize])
    }

    /// Expected (message, receiver) pairs.
    pub fn expected_pairs(&self) -> u64 {
        self.expected
    }

    /// Expected deliveries per participant.
    pub fn per_node_expected(&self) -> &[u64] {
        &self.per_node_expected
    }

    /// Delivered (message, receiver) pairs, duplicates not counted.
    pub fn delivered_pairs(&self) -> u64 {
        self.delivered_pairs
    }

    /// True when every expected pair has been delivered, except those abandoned by
    /// participants that left ([`participant_left`](Self::participant_left)).
    pub fn all_delivered(&self) -> bool {
        self.delivered_pairs + self.abandoned == self.expected_pairs()
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    pub fn causal_violations(&self) -> u64 {
        self.causal_violations
    }

    /// Deliveries per participant (as receiver).
    pub fn per_node_delivered(&self) -> &[u64] {
        &self.per_node_delivered
    }

    /// Duplicate deliveries per participant.
    pub fn per_node_duplicates(&self) -> &[u64] {
        &self.per_node_duplicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pairs_duplicates_and_causal_violations() {
        let mut r = Recorder::new(3, vec![vec![0, 1, 2]]);
        r.publish("a", 0, 0, 0, &[]);
        r.publish("b", 0, 1, 10, &["a", "zzz-unknown"]);
        assert_eq!(r.expected_pairs(), 4);
        // participant 2 gets b before its dependency a: one violation
        r.deliver(0, "b", 2, 20);
        assert_eq!(r.causal_violations(), 1);
        r.deliver(0, "a", 2, 30);
        r.deliver(0, "a", 2, 31);
        assert_eq!(r.duplicates(), 1);
        // participant 1 published b; delivering a to it is fine; b's publisher needs no a? it
        // delivered a first here.
        r.deliver(0, "a", 1, 5);
        // participant 0 published a: receiving b is never a violation for it
        r.deliver(0, "b", 0, 40);
        assert_eq!(r.causal_violations(), 1);
        assert!(r.all_delivered());
        assert_eq!(r.delivery(0, 2), Some(30));
        assert_eq!(r.delivery(1, 1), None);
        r.deliver(0, "nope", 0, 1);
        assert_eq!(r.counters().unknown_deliveries, 1);
    }

    /// Ids are unique per channel: the same id in two channels is two messages, and a repeated
    /// id in one channel is a counted collision whose deliveries credit the first message.
    #[test]
    fn ids_are_keyed_by_channel_and_collisions_counted() {
        let mut r = Recorder::new(3, vec![vec![0, 1], vec![0, 2], vec![0, 1, 2]]);
        let a = r.publish("x", 0, 0, 0, &[]);
        let b = r.publish("x", 1, 0, 0, &[]);
        r.deliver(1, "x", 2, 5);
        assert_eq!(r.delivery(b, 2), Some(5));
        assert_eq!(r.delivery(a, 1), None);
        r.deliver(0, "x", 1, 6);
        assert_eq!(r.delivery(a, 1), Some(6));
        assert_eq!(r.counters().message_id_collisions, 0);
        let c = r.publish("x", 2, 0, 1, &[]);
        let d = r.publish("x", 2, 1, 2, &["x"]);
        assert_eq!(r.counters().message_id_collisions, 1);
        assert_eq!(r.lookup(2, "x"), Some(c));
        assert_eq!(r.messages()[d as usize].deps, vec![c]);
        r.deliver(2, "x", 2, 9);
        assert_eq!(r.delivery(c, 2), Some(9));
        assert_eq!(r.delivery(d, 2), None);
        // A delivery in a channel where the id was never published is unknown.
        r.deliver(1, "y", 2, 9);
        assert_eq!(r.counters().unknown_deliveries, 1);
    }

    /// Every incarnation of a crashed participant may deliver a message once more.
    #[test]
    fn each_crash_allows_one_redelivery() {
        let mut r = Recorder::new(2, vec![vec![0, 1]]);
        r.publish("a", 0, 0, 0, &[]);
        r.deliver(0, "a", 1, 10);
        r.crashed(1, 20);
        r.deliver(0, "a", 1, 30);
        assert_eq!((r.redeliveries(), r.duplicates()), (1, 0));
        r.deliver(0, "a", 1, 31);
        assert_eq!((r.redeliveries(), r.duplicates()), (1, 1));
        r.crashed(1, 40);
        r.deliver(0, "a", 1, 50);
        assert_eq!((r.redeliveries(), r.duplicates()), (2, 1));
        assert_eq!(r.delivery(0, 1), Some(10));
    }

    #[test]
    fn membership_windows_set_expectations() {
        let mut r = Recorder::new(3, vec![vec![0, 1, 2]]);
        r.set_membership(1, 0, 100); // leaves at 100
        r.set_membership(2, 50, SimTime::MAX); // joined at 50, no history expected
        r.publish("a", 0, 0, 10, &[]); // expected: 1
        r.publish("b", 0, 0, 60, &[]); // expected: 1, 2
        r.publish("c", 0, 0, 100, &[]); // expected: 2
        assert_eq!(r.expected_pairs(), 4);
        assert_eq!(r.per_node_expected(), &[0, 2, 2]);
        assert_eq!(r.receivers_of(0), 1);
        assert!(!r.is_expected(0, 2) && r.is_expected(1, 2) && !r.is_expected(2, 1));
        r.deliver(0, "a", 2, 70); // outside its window: recorded, not counted
        assert_eq!(r.delivered_pairs(), 0);
        assert_eq!(r.unexpected_deliveries(), 1);
        assert_eq!(r.delivery(0, 2), Some(70));
        r.deliver(0, "a", 1, 20);
        r.participant_left(1); // never gets b
        r.deliver(0, "b", 2, 80);
        r.deliver(0, "c", 2, 120);
        assert!(r.all_delivered());
        assert_eq!(r.delivered_pairs(), 3);
        let exp: Vec<_> = r.expected_deliveries_of(1).collect();
        assert_eq!(exp, vec![(1, None), (2, Some(80))]);
    }

    #[test]
    fn ack_first_time_counts() {
        let mut r = Recorder::new(2, vec![vec![0, 1]]);
        r.publish("a", 0, 0, 0, &[]);
        r.acknowledged(0, "a", 7);
        r.acknowledged(0, "a", 9);
        assert_eq!(r.messages()[0].acknowledged, Some(7));
    }
}
