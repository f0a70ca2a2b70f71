//! The network model: what happens to bytes between participants.
//!
//! A state machine of its own, driven by the engine: [`Network::broadcast`] takes a sender, a
//! time, a payload size and its [`TrafficKind`] (told by the sender: the network never looks
//! inside payloads) and yields the copies that will arrive, each with its arrival time.
//!
//! First cut (issue 2): `broadcast` dissemination (every other member gets an independent
//! copy with its own latency and loss draw), one-way latency from a region RTT matrix
//! (one-way = RTT / 2, plus jitter) or from a distribution, Bernoulli loss, and timed
//! partitions between groups. A partition is checked when a copy is sent: copies already in
//! flight when it starts still arrive. All partitions heal at the end of the workload phase.
//!
//! Traffic is counted per participant and per kind: `bytes_sent` counts every copy put on the
//! wire (the sender cannot know it will be lost or cut off), `bytes_received` every copy that
//! arrives.

pub mod latency;
pub mod topology;

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;
use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;

use crate::engine::rng::{stream, StreamKind};
use crate::engine::SimTime;
use crate::scenario::{Dissemination, RegionMatrix, Scenario};

pub use latency::{LatencyModel, Sampler};
pub use topology::Graph;

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

    fn index(self) -> usize {
        self as usize
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
}

/// Group-wide copy counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyCounts {
    /// Copies put on the wire (every hop).
    pub sent: u64,
    /// Copies dropped by random loss.
    pub lost: u64,
    /// Copies dropped because sender and receiver were on different sides of a partition.
    pub partitioned: u64,
    /// Extra copies created by duplication (`network.duplicate`).
    pub duplicated: u64,
    /// Copies that arrived at a participant that already had the packet.
    pub redundant: u64,
}

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
    /// Participants that have received it (bitset): the relay layer's seen-cache.
    seen: RefCell<Vec<u64>>,
}

impl Packet {
    /// A packet from `origin` on `channel` in a network of `n` participants.
    pub fn new(channel: u32, origin: u32, kind: TrafficKind, bytes: Bytes, n: u32) -> Rc<Packet> {
        Rc::new(Packet {
            channel,
            origin,
            kind,
            bytes,
            seen: RefCell::new(vec![0; (n as usize).div_ceil(64)]),
        })
    }

    /// Marks `p` as having received the packet; true if it had not before.
    fn mark_seen(&self, p: u32) -> bool {
        let mut seen = self.seen.borrow_mut();
        let (word, bit) = ((p / 64) as usize, 1u64 << (p % 64));
        let first = seen[word] & bit == 0;
        seen[word] |= bit;
        first
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
    /// Arrival time (µs since run start).
    pub arrival: SimTime,
}

/// A partition window with each participant's group.
#[derive(Debug, Clone)]
struct PartitionWindow {
    start: SimTime,
    heal: SimTime,
    group_of: Vec<u16>,
}

/// Errors building a network from a scenario (already validated by `scenario::load`, so these
/// indicate an inconsistent caller).
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("network.latency.regions is set but no region matrix was loaded")]
    MissingRegions,
    #[error("network.latency: {0}")]
    Latency(String),
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
    n: u32,
    overlay: Overlay,
    latency: LatencyModel,
    loss: f64,
    duplicate: f64,
    partitions: Vec<PartitionWindow>,
    /// Time at which every fault heals (end of the workload phase).
    faults_end: SimTime,
    /// One random stream per sender: latency and loss draws of its copies.
    rngs: Vec<ChaCha8Rng>,
    traffic: Vec<NodeTraffic>,
    copies: CopyCounts,
}

impl Network {
    /// Builds the network of `scenario` (validated) with its loaded region matrix.
    pub fn new(scenario: &Scenario, regions: Option<&RegionMatrix>) -> Result<Network, NetError> {
        let n = scenario.participants;
        let latency = LatencyModel::new(&scenario.network.latency, regions, n)?;
        let partitions = scenario
            .partitions
            .iter()
            .map(|p| PartitionWindow {
                start: p.start.as_micros(),
                heal: p.heal.as_micros(),
                group_of: partition_groups(p, n),
            })
            .collect();
        let overlay = match scenario.network.dissemination {
            Dissemination::Broadcast => Overlay::Broadcast,
            Dissemination::Relay => Overlay::Flood(topology::random_regular(
                n,
                scenario.network.mesh_degree,
                &mut stream(scenario.seed, StreamKind::Topology, 0),
            )),
            Dissemination::Ring => Overlay::Flood(topology::ring_with_skips(n)),
        };
        Ok(Network {
            n,
            overlay,
            latency,
            loss: scenario.network.loss,
            duplicate: scenario.network.duplicate,
            partitions,
            faults_end: scenario.duration.as_micros(),
            rngs: (0..n)
                .map(|i| stream(scenario.seed, StreamKind::NetFrom, i as u64))
                .collect(),
            traffic: vec![NodeTraffic::default(); n as usize],
            copies: CopyCounts::default(),
        })
    }

    /// Number of participants.
    pub fn participants(&self) -> u32 {
        self.n
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

    /// True if copies from `a` to `b` sent at `now` are dropped by an active partition.
    pub fn is_cut(&self, now: SimTime, a: u32, b: u32) -> bool {
        if now >= self.faults_end {
            return false;
        }
        self.partitions.iter().any(|p| {
            now >= p.start && now < p.heal && p.group_of[a as usize] != p.group_of[b as usize]
        })
    }

    /// The origin of `packet` sends it at `now`. Broadcast: one copy to every participant in
    /// `members` but the origin. Relay and ring: one copy to each overlay neighbour (the
    /// members are reached by flooding). Surviving copies are appended to `out`.
    pub fn publish(&mut self, now: SimTime, packet: &Packet, members: &[u32], out: &mut Vec<Copy>) {
        let origin = packet.origin;
        packet.mark_seen(origin);
        self.traffic[origin as usize].transmissions_by_kind[packet.kind.index()] += 1;
        let size = packet.bytes.len() as u64;
        match &self.overlay {
            Overlay::Broadcast => {
                for &to in members {
                    if to != origin {
                        self.send_copy(now, origin, to, size, packet.kind, false, out);
                    }
                }
            }
            Overlay::Flood(g) => {
                let neighbours = g.neighbours(origin).to_vec();
                for to in neighbours {
                    self.send_copy(now, origin, to, size, packet.kind, false, out);
                }
            }
        }
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
        let t = &mut self.traffic[to as usize];
        t.bytes_received += size;
        t.copies_received += 1;
        if !packet.mark_seen(to) {
            t.bytes_received_duplicate += size;
            self.copies.redundant += 1;
            return Receipt::Duplicate;
        }
        if let Overlay::Flood(g) = &self.overlay {
            let neighbours: Vec<u32> = g
                .neighbours(to)
                .iter()
                .copied()
                .filter(|&w| w != from)
                .collect();
            for w in neighbours {
                self.send_copy(now, to, w, size, packet.kind, true, out);
            }
        }
        Receipt::First
    }

    /// Puts one copy on the link `from -> to`: counts it, then drops it (partition, loss) or
    /// appends it (and maybe a duplicate) to `out` with its latency draw.
    #[allow(clippy::too_many_arguments)]
    fn send_copy(
        &mut self,
        now: SimTime,
        from: u32,
        to: u32,
        size: u64,
        kind: TrafficKind,
        forwarded: bool,
        out: &mut Vec<Copy>,
    ) {
        let t = &mut self.traffic[from as usize];
        t.bytes_sent_by_kind[kind.index()] += size;
        if forwarded {
            t.bytes_forwarded += size;
        }
        self.copies.sent += 1;
        if self.is_cut(now, from, to) {
            self.copies.partitioned += 1;
            return;
        }
        let rng = &mut self.rngs[from as usize];
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            self.copies.lost += 1;
            return;
        }
        let delay = self.latency.sample_us(from, to, rng);
        out.push(Copy {
            to,
            from,
            arrival: now + delay,
        });
        // Duplication is drawn only when configured, so other scenarios' streams are
        // unchanged by its existence.
        if self.duplicate > 0.0 && rng.random::<f64>() < self.duplicate {
            let delay = self.latency.sample_us(from, to, rng);
            self.copies.duplicated += 1;
            out.push(Copy {
                to,
                from,
                arrival: now + delay,
            });
        }
    }

    /// Per-participant traffic counters, indexed by participant.
    pub fn traffic(&self) -> &[NodeTraffic] {
        &self.traffic
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

    /// Draws one latency for a copy `from -> to` with `rng` (exposed for statistics tests).
    pub fn sample_latency_us(&self, from: u32, to: u32, rng: &mut impl Rng) -> u64 {
        self.latency.sample_us(from, to, rng)
    }
}

/// Group index of every participant for one partition (see `scenario::Partition`).
fn partition_groups(p: &crate::scenario::Partition, n: u32) -> Vec<u16> {
    let mut group_of = vec![0u16; n as usize];
    if let Some(fractions) = &p.fractions {
        let mut next = 0u32;
        for (g, f) in fractions.iter().enumerate() {
            let size = if g + 1 == fractions.len() {
                n - next
            } else {
                ((f * n as f64).floor() as u32).min(n - next)
            };
            for id in next..next + size {
                group_of[id as usize] = g as u16;
            }
            next += size;
        }
    } else if let Some(ids) = &p.ids {
        // Participants listed nowhere form one extra group.
        let rest = ids.len() as u16;
        group_of.iter_mut().for_each(|g| *g = rest);
        for (g, members) in ids.iter().enumerate() {
            for &id in members {
                if let Some(slot) = group_of.get_mut(id as usize) {
                    *slot = g as u16;
                }
            }
        }
    }
    group_of
}

#[cfg(test)]
mod tests;
