//! The network model: what happens to bytes between participants.
//!
//! A state machine of its own, driven by the engine: [`Network::publish`] takes a time, a
//! [`Packet`] (its origin, bytes and [`TrafficKind`], told by the sender: the network never
//! looks inside payloads) and the channel's members, and yields the copies that will arrive,
//! each with its arrival time; on a flooding overlay [`Network::on_arrival`] yields the
//! forwarded ones.
//!
//! First cut (issue 2): `broadcast` dissemination (every other member gets an independent
//! copy with its own latency and loss draw), one-way latency from a region RTT matrix
//! (one-way = RTT / 2, plus jitter) or from a distribution, Bernoulli loss, and timed
//! partitions between groups. A partition is checked when a copy is sent: copies already in
//! flight when it starts still arrive. All partitions heal at the end of the workload phase.
//!
//! Link level (`links.rs`): node classes give participants uplink and downlink rates (FIFO
//! queues, serialization delay `size * 8 / rate`), extra latency and extra loss;
//! `[network.gilbert_elliott]` adds bursty loss per sender; degradation windows and
//! per-link overrides add latency and loss; partitions may be one-way. A copy leaves its
//! sender when its serialization ends (`Copy::departure`): partitions, degradation windows
//! and latency apply from then. The engine calls [`Network::copy_alive`] and
//! [`Network::downlink_delay`] when a copy comes off the wire, and the churn model calls
//! [`Network::drop_uplink_queue`] when a participant goes offline.
//!
//! Traffic is counted per participant and per kind: `bytes_sent` counts every copy put on the
//! wire (the sender cannot know it will be lost or cut off), `bytes_received` every copy that
//! arrives.

mod counters;
pub mod latency;
pub mod links;
mod partitions;
mod send;
pub mod topology;
pub mod watch;

use std::any::Any;
use std::cell::{Cell, OnceCell};
use std::rc::Rc;

use bytes::Bytes;
use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;

use crate::rng::{stream, StreamKind};
use crate::scenario::{Dissemination, PartitionDirection, RegionMatrix, Scenario};
use crate::sds::prefetch;
use crate::time::SimTime;

pub use counters::{CopyCounts, NodeTraffic, TrafficKind};
pub use latency::{LatencyModel, Sampler};
pub use topology::Graph;

use partitions::{one_way_senders, partition_groups, PartitionWindow};
use send::Targets;
use watch::{CopyFate, CopyNote};

/// A packet: one transmission by its origin, flooded or fanned out by the network. Shared by
/// every copy in flight (`Rc`); the payload bytes are shared further with the cores that keep
/// them. The network reads only its size and the header fields here, never the payload.
#[derive(Debug)]
pub struct Packet {
    /// Channel the payload belongs to (index into the run's channels).
    pub channel: u32,
    /// Participant that sent it.
    pub origin: u32,
    /// What it is, as told by its origin.
    pub kind: TrafficKind,
    /// The encoded message.
    pub bytes: Bytes,
    /// Its message hash when the run uses retrieval hints (store retrieval), computed once
    /// by the engine and handed to every receiving core.
    pub hint: Option<Bytes>,
    /// The recorder's index of the content message it carries (content, resend, repair
    /// response), or [`Packet::NO_MESSAGE`] (sync, unknown): tells the recorder how each
    /// delivery arrived. Set by the engine; the network never reads it.
    pub message: std::cell::Cell<u32>,
    /// Set by the engine: copies of it cannot change a settled group (a periodic sync that
    /// carries no repair request: no delivery, no buffer), so they do not keep a run from
    /// settling (the stop rule). The network never reads it.
    pub inert: std::cell::Cell<bool>,
    /// Participants that have received it (bitset): the relay layer's seen-cache.
    seen: Box<[Cell<u64>]>,
    /// Per network node, the earliest arrival of a copy of it queued for that node, kept by
    /// the engine while it elides redundant copies ([`Network::count_redundant_now`]); made
    /// by the first [`Packet::note_queued`].
    queued: OnceCell<QueuedArrivals>,
    /// Work on the bytes that every receiver would otherwise repeat, done by the first
    /// receiver and shared by the rest (the built-in core's decoded message). Set and read
    /// by the receivers' drivers only; the network never reads it.
    pub shared: OnceCell<Box<dyn Any>>,
}

impl Packet {
    /// [`Packet::message`] of a packet that carries no recorded content message.
    pub const NO_MESSAGE: u32 = u32::MAX;

    /// A packet from `origin` on `channel` in a network of `n` participants.
    pub fn new(channel: u32, origin: u32, kind: TrafficKind, bytes: Bytes, n: u32) -> Rc<Packet> {
        Packet::with_hint(channel, origin, kind, bytes, None, n)
    }

    /// As [`Packet::new`], carrying a retrieval hint for the receivers.
    pub fn with_hint(
        channel: u32,
        origin: u32,
        kind: TrafficKind,
        bytes: Bytes,
        hint: Option<Bytes>,
        n: u32,
    ) -> Rc<Packet> {
        Rc::new(Packet {
            channel,
            origin,
            kind,
            bytes,
            hint,
            message: std::cell::Cell::new(Packet::NO_MESSAGE),
            inert: std::cell::Cell::new(false),
            seen: vec![Cell::new(0); (n as usize).div_ceil(64)].into_boxed_slice(),
            queued: OnceCell::new(),
            shared: OnceCell::new(),
        })
    }

    /// The engine queued a copy of the packet for `p` leaving its sender at `departure` and
    /// arriving at `arrival` (µs): `p` has the packet by then, unless the copy is dropped on
    /// arrival (see [`Network::count_redundant_now`]).
    pub fn note_queued(&self, p: u32, departure: SimTime, arrival: SimTime) {
        let q = self.queued.get_or_init(|| QueuedArrivals {
            base: departure,
            at: vec![Cell::new(QueuedArrivals::NONE); self.seen.len() * 64].into_boxed_slice(),
        });
        let a = &q.at[p as usize];
        a.set(a.get().min(q.offset(arrival)));
    }

    /// Prefetch hints ([`crate::sds::prefetch`]) for what deciding on a copy to `p` reads:
    /// its bit of the seen-set and its queued arrival. At 10,000 participants with periodic
    /// sync each is a miss (hundreds of packets in flight, 40 kB of queued arrivals each);
    /// asking for every copy of a batch first lets the misses overlap instead of waiting
    /// one after another. [`Network::on_arrival`] asks before drawing the copies' latencies,
    /// so that the lines have come by the time the engine reads them
    /// (`World::schedule_copies`). Changes nothing.
    #[inline]
    pub fn prefetch_copy(&self, p: u32) {
        if let Some(w) = self.seen.get((p / 64) as usize) {
            prefetch::read(w);
        }
        if let Some(a) = self.queued.get().and_then(|q| q.at.get(p as usize)) {
            prefetch::read(a);
        }
    }

    /// True if `p` has received the packet, or a copy queued for it arrives at or before
    /// `arrival` ([`Packet::note_queued`]; at the same µs the queued copy pops first).
    #[inline]
    fn has_by(&self, p: u32, arrival: SimTime) -> bool {
        self.has_seen(p) || self.queued.get().is_some_and(|q| q.by(p, arrival))
    }

    /// True if `p` has received the packet.
    #[inline]
    fn has_seen(&self, p: u32) -> bool {
        let (word, bit) = ((p / 64) as usize, 1u64 << (p % 64));
        self.seen[word].get() & bit != 0
    }

    /// Marks `p` as having received the packet; true if it had not before.
    #[inline]
    fn mark_seen(&self, p: u32) -> bool {
        let (word, bit) = ((p / 64) as usize, 1u64 << (p % 64));
        let w = &self.seen[word];
        let old = w.get();
        w.set(old | bit);
        old & bit == 0
    }
}

/// The earliest queued arrival of a packet at each node, in 4 bytes per node: µs after
/// `base` (the departure of the first copy noted, at or before every later copy's arrival).
/// Every recorded value is a queued copy's arrival or later, so [`QueuedArrivals::by`] is
/// never wrongly true: an arrival before `base` is recorded as `base`, one more than
/// 71 minutes after it is not recorded (a later elision is then only missed, never wrong).
#[derive(Debug)]
struct QueuedArrivals {
    base: SimTime,
    /// Per node: µs after `base`, [`QueuedArrivals::NONE`] for none.
    at: Box<[Cell<u32>]>,
}

impl QueuedArrivals {
    /// No copy queued (or none recordable).
    const NONE: u32 = u32::MAX;

    /// `arrival` as recorded: µs after `base`, at least 0, `NONE` if it does not fit.
    fn offset(&self, arrival: SimTime) -> u32 {
        u32::try_from(arrival.saturating_sub(self.base)).unwrap_or(Self::NONE)
    }

    /// True if a copy queued for `p` arrives at or before `arrival`.
    #[inline]
    fn by(&self, p: u32, arrival: SimTime) -> bool {
        let a = self.at.get(p as usize).map_or(Self::NONE, Cell::get);
        a != Self::NONE && self.base + SimTime::from(a) <= arrival
    }
}

/// Whether an arriving copy is the first of its packet at that participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    First,
    Duplicate,
}

/// One copy on one link: who gets it, from whom, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    /// Receiving participant.
    pub to: u32,
    /// Sending participant (the origin or a relay).
    pub from: u32,
    /// Arrival time off the wire at `to` (µs since run start), before any downlink
    /// queueing ([`Network::downlink_delay`]).
    pub arrival: SimTime,
    /// Time the copy left `from`'s uplink (end of its serialization; the send time
    /// without an uplink limit), µs.
    pub departure: SimTime,
    /// `from`'s uplink epoch when the copy was queued (see [`Network::copy_alive`]).
    pub epoch: u32,
}

/// Errors building a network from a scenario (already validated by `scenario::load`, so these
/// indicate an inconsistent caller).
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("network.latency.regions is set but no region matrix was loaded")]
    MissingRegions,
    #[error("network.latency: {0}")]
    Latency(String),
    /// The overlay graph packets are flooded over has more than one component (some
    /// participants could never hear from others). Validation refuses the settings that
    /// cause it; this is the last line of defence.
    #[error("network.dissemination: the {0} overlay is not connected ({1} separate components)")]
    Disconnected(&'static str, usize),
}

/// How packets travel.
#[derive(Debug, Clone)]
enum Overlay {
    /// The origin sends one copy to every other member of the packet's channel.
    Broadcast,
    /// Every participant forwards a packet to its neighbours the first time it receives it
    /// (all participants relay, members of the channel deliver).
    Flood(Graph),
}

/// The simulated transport of one run.
pub struct Network {
    /// Network nodes: the participants, then the dedicated service nodes (`[light]`).
    n: u32,
    /// Per node: part of the relay mesh (false for light clients).
    relay: Vec<bool>,
    overlay: Overlay,
    latency: LatencyModel,
    loss: f64,
    duplicate: f64,
    partitions: Vec<PartitionWindow>,
    /// Time at which every fault heals (end of the workload phase).
    faults_end: SimTime,
    /// One random stream per sender: latency and loss draws of its copies.
    rngs: Vec<ChaCha8Rng>,
    /// Per node, but for the arrival counters (in `received`) and the sending ones (in
    /// `sent`).
    traffic: Vec<NodeTraffic>,
    received: Vec<counters::Received>,
    sent: Vec<counters::Sent>,
    copies: CopyCounts,
    links: links::Links,
    /// No link feature can touch a copy in this run (`send.rs`: the plain path).
    plain: bool,
    /// Scratch list of the overlay neighbours being sent to (kept to avoid an allocation
    /// per forwarded packet).
    neighbours: Vec<u32>,
    /// The watched message ([`Packet::message`]; [`Packet::NO_MESSAGE`]: none), see
    /// [`watch`].
    watch: u32,
    /// The packet being sent carries the watched message.
    watching: bool,
    /// Notes on the watched message's copies not yet taken by the engine.
    notes: Vec<CopyNote>,
}

impl Network {
    /// Builds the network of `scenario` (validated) with its loaded region matrix.
    pub fn new(scenario: &Scenario, regions: Option<&RegionMatrix>) -> Result<Network, NetError> {
        let n = scenario.participants;
        let nodes = scenario.network_nodes();
        let latency = LatencyModel::new(&scenario.network.latency, regions, nodes)?;
        let partitions = scenario
            .partitions
            .iter()
            .map(|p| PartitionWindow {
                start: p.start.as_micros(),
                heal: p.heal.as_micros(),
                group_of: partition_groups(p, n, nodes),
                isolated: match &p.isolate {
                    Some(ids) => {
                        let mut v = vec![false; n as usize];
                        for &id in ids {
                            if let Some(x) = v.get_mut(id as usize) {
                                *x = true;
                            }
                        }
                        v
                    }
                    None => Vec::new(),
                },
                one_way_from: match p.direction {
                    PartitionDirection::Both => None,
                    PartitionDirection::OneWay => Some(one_way_senders(p, n)),
                },
            })
            .collect();
        // Relay nodes: every participant but the light clients, then the dedicated service
        // nodes (light clients reach the mesh through service nodes only).
        let relay: Vec<u32> = (0..nodes)
            .filter(|&i| i >= n || !scenario.is_light_client(i))
            .collect();
        let overlay = match scenario.network.dissemination {
            Dissemination::Broadcast => Overlay::Broadcast,
            Dissemination::Relay => Overlay::Flood(topology::random_regular_on(
                &relay,
                nodes,
                scenario.network.mesh_degree,
                &mut stream(scenario.seed, StreamKind::Topology, 0),
            )),
            Dissemination::Ring => Overlay::Flood(topology::ring_with_skips(n)),
        };
        if let (Overlay::Flood(g), Some(&first)) = (&overlay, relay.first()) {
            let comp = g.components();
            let mut others: Vec<u32> = relay
                .iter()
                .map(|&v| comp[v as usize])
                .filter(|&c| c != comp[first as usize])
                .collect();
            others.sort_unstable();
            others.dedup();
            let components = 1 + others.len();
            if components > 1 {
                let name = match scenario.network.dissemination {
                    Dissemination::Ring => "ring",
                    _ => "relay",
                };
                return Err(NetError::Disconnected(name, components));
            }
        }
        let links = links::Links::new(scenario);
        Ok(Network {
            n: nodes,
            relay: {
                let mut r = vec![false; nodes as usize];
                for &v in &relay {
                    r[v as usize] = true;
                }
                r
            },
            overlay,
            latency,
            loss: scenario.network.loss,
            duplicate: scenario.network.duplicate,
            partitions,
            faults_end: scenario.duration.as_micros(),
            rngs: (0..nodes)
                .map(|i| stream(scenario.seed, StreamKind::NetFrom, i as u64))
                .collect(),
            traffic: vec![NodeTraffic::default(); nodes as usize],
            received: vec![counters::Received::default(); nodes as usize],
            sent: vec![counters::Sent::default(); nodes as usize],
            copies: CopyCounts::default(),
            plain: Network::plain_links(&links, scenario.network.duplicate),
            links,
            neighbours: Vec::new(),
            watch: Packet::NO_MESSAGE,
            watching: false,
            notes: Vec::new(),
        })
    }

    /// Number of network nodes: the participants, then the dedicated service nodes of
    /// `[light]` (a packet's seen-set covers them all).
    pub fn nodes(&self) -> u32 {
        self.n
    }

    /// Whether `node` is in the relay mesh (false for light clients).
    /// Prefetch hints ([`crate::sds::prefetch`]) for a copy arriving at `node` soon: stage 0 its
    /// counters, random stream and neighbour-list header, stage 1 its neighbour list.
    #[inline]
    pub fn prefetch_node(&self, node: u32, stage: usize) {
        let i = node as usize;
        match stage {
            0 => {
                if let Some(t) = self.sent.get(i) {
                    prefetch::read(t);
                }
                if let Some(r) = self.rngs.get(i) {
                    prefetch::read_lines(r, std::mem::size_of::<ChaCha8Rng>().div_ceil(64));
                }
                if let Overlay::Flood(g) = &self.overlay {
                    g.prefetch_header(node);
                }
            }
            1 => {
                if let Overlay::Flood(g) = &self.overlay {
                    g.prefetch_list(node);
                }
            }
            _ => {}
        }
    }

    pub fn is_relay(&self, node: u32) -> bool {
        self.relay[node as usize]
    }

    /// The overlay graph packets are flooded over (`None` for broadcast).
    pub fn graph(&self) -> Option<&Graph> {
        match &self.overlay {
            Overlay::Broadcast => None,
            Overlay::Flood(g) => Some(g),
        }
    }

    /// The overlay graph, mutable (churn re-grafting); `None` for broadcast.
    pub fn graph_mut(&mut self) -> Option<&mut Graph> {
        match &mut self.overlay {
            Overlay::Broadcast => None,
            Overlay::Flood(g) => Some(g),
        }
    }

    /// True if copies from `a` to `b` leaving `a` at `now` are dropped by an active
    /// partition (a one-way partition cuts only copies from its first group, or from its
    /// isolated participants, to the other groups).
    pub fn is_cut(&self, now: SimTime, a: u32, b: u32) -> bool {
        if now >= self.faults_end {
            return false;
        }
        self.partitions.iter().any(|p| {
            now >= p.start
                && now < p.heal
                && p.group_of[a as usize] != p.group_of[b as usize]
                && p.one_way_from
                    .as_ref()
                    .is_none_or(|f| f.get(a as usize).copied().unwrap_or(false))
        })
    }

    /// True if `node` is cut off by an active `isolate` partition at `now` (either
    /// direction): it then reaches no store node either.
    pub fn is_isolated(&self, now: SimTime, node: u32) -> bool {
        now < self.faults_end
            && self
                .partitions
                .iter()
                .any(|p| now >= p.start && now < p.heal && p.isolated(node))
    }

    /// Index of `node`'s class in `[[node_classes]]` (`None`: the default class).
    pub fn class_of(&self, node: u32) -> Option<u16> {
        self.links.class_index(node)
    }

    /// `node`'s uplink rate in bits/s (`None`: unlimited).
    pub fn uplink_bps(&self, node: u32) -> Option<u64> {
        self.links.uplink_bps(node)
    }

    /// `node`'s downlink rate in bits/s (`None`: unlimited).
    pub fn downlink_bps(&self, node: u32) -> Option<u64> {
        self.links.downlink_bps(node)
    }

    /// Notes the fate of every copy of packets carrying message `m` ([`Packet::message`])
    /// from now on (see [`watch`]); take them with [`Network::take_notes`].
    pub fn watch_message(&mut self, m: u32) {
        self.watch = m;
    }

    /// Appends the notes taken since the last call to `out` (in the order decided).
    pub fn take_notes(&mut self, out: &mut Vec<CopyNote>) {
        out.append(&mut self.notes);
    }

    fn watch_packet(&mut self, packet: &Packet) {
        self.watching = self.watch != Packet::NO_MESSAGE && packet.message.get() == self.watch;
    }

    #[cold]
    fn note(
        &mut self,
        at: SimTime,
        from: u32,
        to: u32,
        kind: TrafficKind,
        forwarded: bool,
        fate: CopyFate,
    ) {
        self.notes.push(CopyNote {
            at,
            from,
            to,
            kind,
            forwarded,
            fate,
        });
    }

    /// Engine hook, called when a copy comes off the wire (at `copy.arrival`), before
    /// [`Network::downlink_delay`]: false if the copy never left its sender because it was
    /// still queued in the sender's uplink when [`Network::drop_uplink_queue`] was called
    /// (already counted in [`CopyCounts::dropped_in_queue`]); the engine then discards it.
    #[inline]
    pub fn copy_alive(&self, copy: &Copy) -> bool {
        self.links.alive(copy.from, copy.departure, copy.epoch)
    }

    /// Engine hook, called once per copy that comes off the wire at `to` at `now` (µs),
    /// in arrival order: the delay (µs) after which the copy of `size_bytes` bytes is
    /// handed over to `to`, i.e. its wait in `to`'s downlink FIFO plus its serialization
    /// `size_bytes * 8 / downlink_bps` (rounded up to whole µs). 0 without a downlink
    /// limit. Arrivals must come in time order for FIFO order to hold, which the event
    /// queue guarantees. Records the wait in [`NodeTraffic`].
    #[inline]
    pub fn downlink_delay(&mut self, to: u32, now: SimTime, size_bytes: u64) -> SimTime {
        if self.links.downlink_bps(to).is_none() {
            return 0;
        }
        self.links
            .downlink_delay(to, now, size_bytes, &mut self.traffic[to as usize])
    }

    /// Churn hook: `node` goes offline at `now` (µs). Copies in its uplink queue that have
    /// not finished serializing by `now` (departure > now) are lost: counted in
    /// [`CopyCounts::dropped_in_queue`] (they stay in `bytes_sent`: the sender saw them
    /// sent), and [`Network::copy_alive`] returns false for them. The queue is empty
    /// afterwards. Returns the number of copies dropped. No effect on copies already sent
    /// without an uplink limit.
    pub fn drop_uplink_queue(&mut self, node: u32, now: SimTime) -> u64 {
        let dropped = self.links.drop_queue(node, now);
        self.copies.dropped_in_queue += dropped;
        dropped
    }

    /// The origin of `packet` sends it at `now`. Broadcast: one copy to every participant in
    /// `members` but the origin. Relay and ring: one copy to each overlay neighbour (the
    /// members are reached by flooding). Surviving copies are appended to `out`.
    pub fn publish(&mut self, now: SimTime, packet: &Packet, members: &[u32], out: &mut Vec<Copy>) {
        let origin = packet.origin;
        self.watch_packet(packet);
        packet.mark_seen(origin);
        self.traffic[origin as usize].transmissions_by_kind[packet.kind.index()] += 1;
        let size = packet.bytes.len() as u64;
        let targets = match &self.overlay {
            Overlay::Broadcast => Targets::Members(members),
            Overlay::Flood(_) => Targets::Neighbours {
                skip: Targets::NO_SKIP,
            },
        };
        self.send_batch(now, origin, targets, size, packet.kind, false, out);
    }

    /// A light client hands `packet` (its own) to a service node by LightPush: counted as one
    /// transmission of its origin, which is marked as having it (the relay mesh never sends
    /// it back). The request copy itself goes by [`Network::send_direct`].
    pub fn originate(&mut self, packet: &Packet) {
        packet.mark_seen(packet.origin);
        self.traffic[packet.origin as usize].transmissions_by_kind[packet.kind.index()] += 1;
    }

    /// Service node `via` publishes `packet` (a light client's, received by LightPush) into
    /// the relay mesh at `now`: one copy to each of its mesh neighbours, counted as relayed
    /// bytes. Nothing happens if `via` already had the packet (a repeated LightPush of the
    /// same message: the relay's seen-cache drops it). Returns false in that case.
    pub fn relay_publish(
        &mut self,
        now: SimTime,
        packet: &Packet,
        via: u32,
        out: &mut Vec<Copy>,
    ) -> bool {
        if !packet.mark_seen(via) {
            return false;
        }
        self.watch_packet(packet);
        let size = packet.bytes.len() as u64;
        let skip = Targets::NO_SKIP;
        self.send_batch(
            now,
            via,
            Targets::Neighbours { skip },
            size,
            packet.kind,
            true,
            out,
        );
        true
    }

    /// One copy of `size` bytes of `kind` on the direct link `from -> to` at `now` (a
    /// LightPush request, a Filter push, a service answer): the same link model as a relay
    /// hop (uplink queue, partitions, loss, latency, duplication), appended to `out` unless
    /// dropped. `forwarded`: the bytes are someone else's packet (a Filter push). `message`:
    /// the recorder index of the message the bytes carry ([`Packet::message`];
    /// [`Packet::NO_MESSAGE`]: none), so that a watched message's copy is noted ([`watch`]).
    #[allow(clippy::too_many_arguments)]
    pub fn send_direct(
        &mut self,
        now: SimTime,
        from: u32,
        to: u32,
        size: u64,
        kind: TrafficKind,
        forwarded: bool,
        message: u32,
        out: &mut Vec<Copy>,
    ) {
        self.watching = self.watch != Packet::NO_MESSAGE && message == self.watch;
        self.send_copy(now, from, to, size, kind, forwarded, out);
    }

    /// A small control message (a ping, a subscribe request, a service's answer) on the
    /// direct link `from -> to` sent at `now`: its arrival time, or `None` if a partition
    /// cuts the link or random loss drops it. Its bytes are not counted here (the role
    /// that sends it counts them) and it skips the uplink queue (it is tiny).
    pub fn control_arrival(&mut self, now: SimTime, from: u32, to: u32) -> Option<SimTime> {
        if self.is_cut(now, from, to) {
            return None;
        }
        let rng = &mut self.rngs[from as usize];
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            return None;
        }
        let extra = self.links.extra(now, from, to, self.faults_end);
        if extra.lost {
            return None;
        }
        let rng = &mut self.rngs[from as usize];
        Some(now + self.latency.sample_us(from, to, rng) + extra.latency_us)
    }

    /// Whether `p` has received `packet` (for the Filter service: it pushes a packet only
    /// once per subscriber).
    pub fn has_seen(&self, packet: &Packet, p: u32) -> bool {
        packet.has_seen(p)
    }

    /// A copy of `packet` from `from` arrives at `to` at `now`. On the first receipt a flooding
    /// overlay forwards it to every neighbour but `from`, appending the copies to `out`.
    pub fn on_arrival(
        &mut self,
        now: SimTime,
        to: u32,
        from: u32,
        packet: &Packet,
        out: &mut Vec<Copy>,
    ) -> Receipt {
        let size = packet.bytes.len() as u64;
        let first = packet.mark_seen(to);
        self.received[to as usize].count(size, !first);
        if !first {
            self.copies.redundant += 1;
            return Receipt::Duplicate;
        }
        self.watch_packet(packet);
        // The copies' seen bits and queued arrivals, and the receivers' arrival counters
        // (which an elided copy updates), asked for before the copies' latency draws
        // (`Packet::prefetch_copy`): by the time the engine decides on them they are here.
        if let Overlay::Flood(g) = &self.overlay {
            for &w in g.neighbours(to) {
                packet.prefetch_copy(w);
                if let Some(r) = self.received.get(w as usize) {
                    prefetch::read(r);
                }
            }
        }
        let targets = Targets::Neighbours { skip: from };
        self.send_batch(now, to, targets, size, packet.kind, true, out);
        Receipt::First
    }

    /// Engine hook for a copy of `packet` about to be queued for `to`, arriving at `arrival`
    /// (µs): if `to` will have the packet by then (it has it already, or another copy
    /// queued for it arrives first: [`Packet::note_queued`]) and has no downlink limit, the
    /// copy's arrival can change nothing but counters, so they are counted now, exactly as
    /// [`Network::on_arrival`] counts a redundant arrival (`bytes_received`,
    /// `copies_received`, `bytes_received_duplicate`, [`CopyCounts::redundant`]), and true is
    /// returned: the caller then never queues the copy. False (nothing counted) otherwise.
    ///
    /// Sound only when the caller knows the copy will arrive before the run stops, that `to`
    /// stays online until then, that no queued copy is dropped on arrival (never in a
    /// sender's uplink: [`Network::drop_uplink_queue`] is never called) and that nobody reads
    /// the counters in between (the engine's redundant-copy elision).
    #[inline]
    pub fn count_redundant_now(&mut self, to: u32, packet: &Packet, arrival: SimTime) -> bool {
        if self.links.downlink_bps(to).is_some() || !packet.has_by(to, arrival) {
            return false;
        }
        let size = packet.bytes.len() as u64;
        self.received[to as usize].count(size, true);
        self.copies.redundant += 1;
        true
    }

    /// Per-participant traffic counters, indexed by participant (assembled: the arrival
    /// and sending counters are kept apart, `counters::Received`, `counters::Sent`).
    pub fn traffic(&self) -> Vec<NodeTraffic> {
        self.traffic
            .iter()
            .zip(&self.received)
            .zip(&self.sent)
            .map(|((t, r), s)| NodeTraffic {
                bytes_sent_by_kind: s.bytes_by_kind,
                bytes_forwarded: s.bytes_forwarded,
                copies_lost: s.copies_lost,
                bytes_received: r.bytes,
                copies_received: r.copies,
                bytes_received_duplicate: r.bytes_duplicate,
                ..t.clone()
            })
            .collect()
    }

    /// Group-wide copy counters.
    pub fn copies(&self) -> &CopyCounts {
        &self.copies
    }

    /// Partition windows as `(start, effective heal)` in µs, for reports.
    pub fn partition_windows(&self) -> Vec<(SimTime, SimTime)> {
        self.partitions
            .iter()
            .map(|p| (p.start, p.heal.min(self.faults_end)))
            .collect()
    }

    /// Counts `size` bytes `from` sent to a store node (a copy of a content message):
    /// they are part of `from`'s uplink, under the packet's `kind`.
    pub fn count_store_copy(&mut self, from: u32, kind: TrafficKind, size: u64) {
        self.sent[from as usize].count(kind, size, 1, false);
    }

    /// Draws one latency for a copy `from -> to` with `rng` (exposed for statistics tests).
    pub fn sample_latency_us(&self, from: u32, to: u32, rng: &mut impl Rng) -> u64 {
        self.latency.sample_us(from, to, rng)
    }
}

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod tests;
