//! The run loop: participants, their protocol, the network and the recorder, driven by one
//! event queue.
//!
//! Per participant input (a publication, an arriving copy, a timer) the loop calls the core,
//! then drains it: every `poll_transmit` goes to [`Network::broadcast`], every `poll_event` to
//! the [`Recorder`], and `poll_timeout` (re)arms the participant's timer. Timers are lazily
//! cancelled: each participant remembers the one deadline it wants, and a popped timer event
//! for any other deadline is stale and skipped.
//!
//! Phases: the workload publishes content messages for `duration`; then the drain phase runs
//! (partitions have healed, no new messages) until the group is settled, i.e. no copy is in
//! flight, every core is quiescent and every expected delivery happened; or until `drain`
//! has passed; or until no event is left.

use std::rc::Rc;

use bytes::Bytes;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};

use super::queue::EventQueue;
use super::rng::{stream, StreamKind};
use super::{SimTime, US_PER_MS};
use crate::metrics::Recorder;
use crate::net::{Copy, NetError, Network, Packet, Receipt, TrafficKind};
use crate::scenario::{
    Arrival, MessageIdRule, Protocol, RegionMatrix, Scenario, SdsParams, SyncPolicyName,
};
use crate::sds;

/// Channel id every participant uses.
pub const CHANNEL_ID: &str = "sdsim";

/// Id of participant `i` on the wire (`p<i>`).
pub fn participant_id(i: u32) -> String {
    format!("p{i}")
}

/// Builds the core configuration for `params` in a group of `participants`.
pub fn sds_config(params: &SdsParams, participants: u32) -> sds::Config {
    let ms = |d: crate::scenario::SimDuration| d.as_micros() / US_PER_MS;
    let sync = match params.sync.policy {
        SyncPolicyName::Off => sds::SyncPolicy::Off,
        SyncPolicyName::Periodic => sds::SyncPolicy::Periodic {
            interval_ms: ms(params.sync.interval),
        },
        SyncPolicyName::Trickle => sds::SyncPolicy::Trickle {
            i_min_ms: ms(params.sync.interval),
            i_max_ms: ms(params.sync.interval_max),
            k: params.sync.redundancy,
        },
    };
    let repair = params.repair.enabled.then(|| sds::RepairConfig {
        t_min_ms: ms(params.repair.t_min),
        t_max_ms: ms(params.repair.t_max),
        max_requests_per_message: params.repair.max_requests,
        num_response_groups: if params.repair.response_groups == 0 {
            sds::response_groups_for(u64::from(participants))
        } else {
            u64::from(params.repair.response_groups)
        },
        ..sds::RepairConfig::default()
    });
    sds::Config {
        causal_history_size: params.causal_history as usize,
        possible_acks_threshold: params.possible_acks_threshold,
        bloom_capacity: params.bloom_capacity as usize,
        bloom_error_rate: params.bloom_error_rate,
        resend_interval_ms: ms(params.resend_interval),
        max_resends: params.max_resends,
        message_id: match params.message_id {
            MessageIdRule::Unique => sds::MessageIdRule::Unique,
            MessageIdRule::PayloadSha256 => sds::MessageIdRule::PayloadSha256,
        },
        sync,
        repair,
        ..sds::Config::default()
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Drain phase: nothing in flight, every core quiescent, every expected pair delivered.
    Settled,
    /// The drain bound passed first.
    DrainLimit,
    /// The event queue ran dry.
    NoEvents,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Settled => "settled",
            StopReason::DrainLimit => "drain-limit",
            StopReason::NoEvents => "no-events",
        }
    }
}

/// A channel of the run: its id on the wire and its members (ascending participant ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpec {
    pub id: String,
    pub members: Vec<u32>,
}

/// What a finished run hands to the report.
pub struct RunOutcome {
    pub recorder: Recorder,
    pub network: Network,
    /// The run's channels (index = channel number used by the recorder).
    pub channels_spec: Vec<ChannelSpec>,
    /// Simulated time at which the run stopped (µs).
    pub end: SimTime,
    /// End of the workload phase (µs).
    pub workload_end: SimTime,
    pub stop_reason: StopReason,
    /// Events processed.
    pub events: u64,
    /// Largest number of pending events at any time.
    pub peak_pending_events: usize,
    /// Per participant: final local-log length over its channels (SDS) or delivered count
    /// (none).
    pub final_log_len: Vec<usize>,
    /// Per participant: messages still waiting in incoming buffers at the end.
    pub final_incoming_buffer: Vec<usize>,
    /// Number of distinct final logs among the members of each channel, summed over
    /// channels: SDS local logs compared in order; for `none`, the sets of messages each
    /// member published or delivered. Equal to the number of channels when every member of
    /// every channel agrees.
    pub distinct_final_logs: u64,
    /// Every participant's core for the group channel (channel 0) as it ended (`None` for
    /// the `none` baseline or a participant outside channel 0), for tests and tools that
    /// inspect final state (local logs, Lamport clocks, buffers).
    pub channels: Vec<Option<sds::Channel>>,
}

enum Ev {
    /// The next group-wide random publication of the workload.
    Publish,
    /// A scripted publication (`[[workload.publish]]`): sender and label.
    Scripted { sender: u32, label: Option<String> },
    /// A copy of `packet` comes off the wire at `copy.to` (`handed_over` false), or leaves
    /// the receiver's downlink queue (`handed_over` true).
    Arrive {
        copy: Copy,
        packet: Rc<Packet>,
        handed_over: bool,
    },
    /// The core in `slot` of participant `node` asked to be woken at Unix ms `at_ms`.
    Timer { node: u32, slot: u16, at_ms: u64 },
}

/// One participant's protocol state in one channel.
enum Proto {
    Sds(Box<sds::Channel>),
    /// Baseline: no reliability. Deliveries are deduplicated by the recorder only.
    None,
}

/// A participant's membership in one channel.
struct Slot {
    channel: u32,
    proto: Proto,
    /// The deadline (Unix ms) of the one live timer event, if any.
    timer_at_ms: Option<u64>,
    quiescent: bool,
}

struct Node {
    /// One slot per channel the participant is a member of (usually one).
    slots: Vec<Slot>,
}

impl Node {
    fn slot_of(&self, channel: u32) -> Option<usize> {
        self.slots.iter().position(|s| s.channel == channel)
    }
}

/// A run in progress. Build with [`Simulation::new`], drive with [`Simulation::run`].
pub struct Simulation {
    seed: u64,
    epoch_ms: u64,
    queue: EventQueue<Ev>,
    net: Network,
    channels: Vec<ChannelSpec>,
    nodes: Vec<Node>,
    rec: Recorder,
    workload_rng: ChaCha8Rng,
    payload_rngs: Vec<ChaCha8Rng>,
    inter_arrival: Option<Exp<f64>>,
    mean_gap_us: f64,
    payload_bytes: usize,
    published: u64,
    workload_end: SimTime,
    drain_end: SimTime,
    in_flight: u64,
    non_quiescent: usize,
    events: u64,
    peak_pending: usize,
    scratch: Vec<Copy>,
    /// Id, sender and label of a publication whose Content transmit has not been drained yet.
    pending_publication: Option<(String, u32, Option<String>)>,
}

impl Simulation {
    /// Sets up a run of a validated scenario with its loaded region matrix.
    pub fn new(sc: &Scenario, regions: Option<&RegionMatrix>) -> Result<Simulation, NetError> {
        let n = sc.participants;
        let net = Network::new(sc, regions)?;
        let epoch_ms = sc.epoch_unix_ms;
        let channels = vec![ChannelSpec {
            id: CHANNEL_ID.to_owned(),
            members: (0..n).collect(),
        }];
        let mut nodes: Vec<Node> = (0..n).map(|_| Node { slots: Vec::new() }).collect();
        for (ch, spec) in channels.iter().enumerate() {
            let config = sds_config(&sc.sds, spec.members.len() as u32);
            for &i in &spec.members {
                let proto = match sc.protocol {
                    Protocol::Sds => {
                        let core_seed = {
                            use rand::Rng;
                            let mut r = stream(sc.seed, StreamKind::CoreSeed, u64::from(i));
                            // one draw per channel membership, in channel order
                            let mut seed = r.next_u64();
                            for _ in 0..ch {
                                seed = r.next_u64();
                            }
                            seed
                        };
                        Proto::Sds(Box::new(sds::Channel::new(
                            spec.id.clone(),
                            participant_id(i),
                            config.clone(),
                            epoch_ms,
                            core_seed,
                        )))
                    }
                    Protocol::None => Proto::None,
                };
                nodes[i as usize].slots.push(Slot {
                    channel: ch as u32,
                    proto,
                    timer_at_ms: None,
                    quiescent: true,
                });
            }
        }
        let rate = sc.workload.rate_per_s;
        let members: Vec<Vec<u32>> = channels.iter().map(|c| c.members.clone()).collect();
        let mut sim = Simulation {
            seed: sc.seed,
            epoch_ms,
            queue: EventQueue::new(),
            net,
            channels,
            nodes,
            rec: Recorder::new(n, members),
            workload_rng: stream(sc.seed, StreamKind::Workload, 0),
            payload_rngs: (0..n)
                .map(|i| stream(sc.seed, StreamKind::Payload, u64::from(i)))
                .collect(),
            inter_arrival: match sc.workload.arrival {
                Arrival::Poisson => Exp::new(rate).ok(),
                Arrival::Constant => None,
            },
            mean_gap_us: 1e6 / rate,
            payload_bytes: sc.workload.payload_bytes as usize,
            published: 0,
            workload_end: sc.duration.as_micros(),
            drain_end: sc.duration.as_micros() + sc.drain.as_micros(),
            in_flight: 0,
            non_quiescent: 0,
            events: 0,
            peak_pending: 0,
            scratch: Vec::new(),
            pending_publication: None,
        };
        // Arm every core's initial timer (sync phase) at time 0.
        for i in 0..n {
            for slot in 0..sim.nodes[i as usize].slots.len() {
                sim.after_input(0, i, slot, false);
            }
        }
        for entry in &sc.workload.publish {
            for k in 0..entry.count {
                let at = entry.at.as_micros() + u64::from(k) * entry.interval.as_micros();
                let label = entry.label.as_ref().map(|l| {
                    if entry.count == 1 {
                        l.clone()
                    } else {
                        format!("{l}-{k}")
                    }
                });
                sim.queue.push(
                    at,
                    Ev::Scripted {
                        sender: entry.sender,
                        label,
                    },
                );
            }
        }
        if rate > 0.0 {
            let first = sim.next_gap_us();
            if first < sim.workload_end {
                sim.queue.push(first, Ev::Publish);
            }
        }
        Ok(sim)
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn next_gap_us(&mut self) -> SimTime {
        match &self.inter_arrival {
            Some(exp) => {
                let s = exp.sample(&mut self.workload_rng) * 1e6;
                s.round().max(1.0) as SimTime
            }
            None => self.mean_gap_us.round().max(1.0) as SimTime,
        }
    }

    fn now_ms(&self, t: SimTime) -> u64 {
        self.epoch_ms + t / US_PER_MS
    }

    fn ms_to_sim(&self, ms: u64) -> SimTime {
        ms.saturating_sub(self.epoch_ms).saturating_mul(US_PER_MS)
    }

    /// Runs to the end. `progress` is called now and then with the current simulated time.
    pub fn run(mut self, progress: &mut dyn FnMut(SimTime)) -> RunOutcome {
        let mut now: SimTime = 0;
        let stop_reason = loop {
            let Some(next) = self.queue.peek_time() else {
                break StopReason::NoEvents;
            };
            if next > self.drain_end {
                now = self.drain_end;
                break StopReason::DrainLimit;
            }
            let Some((t, ev)) = self.queue.pop() else {
                break StopReason::NoEvents;
            };
            now = t;
            self.events += 1;
            if self.events.is_multiple_of(65_536) {
                progress(now);
            }
            match ev {
                Ev::Publish => {
                    let members = &self.channels[0].members;
                    let sender = members[self.workload_rng.random_range(0..members.len())];
                    self.publish(now, 0, sender, None);
                    let next = now + self.next_gap_us();
                    if next < self.workload_end {
                        self.queue.push(next, Ev::Publish);
                    }
                }
                Ev::Scripted { sender, label } => self.publish(now, 0, sender, label),
                Ev::Arrive {
                    copy,
                    packet,
                    handed_over,
                } => self.arrive(now, copy, packet, handed_over),
                Ev::Timer { node, slot, at_ms } => self.timer(now, node, slot as usize, at_ms),
            }
            self.peak_pending = self.peak_pending.max(self.queue.len());
            if now >= self.workload_end
                && self.in_flight == 0
                && self.non_quiescent == 0
                && self.rec.all_delivered()
            {
                break StopReason::Settled;
            }
        };
        progress(now);
        let final_log_len = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                n.slots
                    .iter()
                    .map(|s| match &s.proto {
                        Proto::Sds(c) => c.local_log().count(),
                        Proto::None => 0,
                    })
                    .sum::<usize>()
                    .max(match self.nodes[i].slots.first().map(|s| &s.proto) {
                        Some(Proto::None) => self.rec.per_node_delivered()[i] as usize,
                        _ => 0,
                    })
            })
            .collect();
        let final_incoming_buffer = self
            .nodes
            .iter()
            .map(|n| {
                n.slots
                    .iter()
                    .map(|s| match &s.proto {
                        Proto::Sds(c) => c.pending().incoming_buffer,
                        Proto::None => 0,
                    })
                    .sum()
            })
            .collect();
        let distinct_final_logs = self.distinct_final_logs();
        let channels = self
            .nodes
            .into_iter()
            .map(|n| {
                n.slots
                    .into_iter()
                    .find(|s| s.channel == 0)
                    .and_then(|s| match s.proto {
                        Proto::Sds(c) => Some(*c),
                        Proto::None => None,
                    })
            })
            .collect();
        RunOutcome {
            distinct_final_logs,
            channels,
            channels_spec: self.channels,
            recorder: self.rec,
            network: self.net,
            end: now,
            workload_end: self.workload_end,
            stop_reason,
            events: self.events,
            peak_pending_events: self.peak_pending,
            final_log_len,
            final_incoming_buffer,
        }
    }

    fn distinct_final_logs(&self) -> u64 {
        use sha2::{Digest, Sha256};
        let mut total = 0u64;
        for (ch, spec) in self.channels.iter().enumerate() {
            let mut seen = std::collections::BTreeSet::new();
            for &i in &spec.members {
                let mut h = Sha256::new();
                let node = &self.nodes[i as usize];
                let Some(slot) = node.slot_of(ch as u32) else {
                    continue;
                };
                match &node.slots[slot].proto {
                    Proto::Sds(c) => {
                        for id in c.local_log() {
                            h.update(id.as_bytes());
                            h.update([0]);
                        }
                    }
                    Proto::None => {
                        for (m, t) in self.rec.messages().iter().enumerate() {
                            if t.channel == ch as u32
                                && (t.publisher == i || self.rec.delivery(m as u32, i).is_some())
                            {
                                h.update(t.id.as_bytes());
                                h.update([0]);
                            }
                        }
                    }
                }
                seen.insert(h.finalize().to_vec());
            }
            total += seen.len() as u64;
        }
        total
    }

    /// A payload: 8-byte big-endian sequence number, then seeded random bytes.
    fn payload(&mut self, sender: u32) -> Bytes {
        use rand::Rng;
        let mut buf = vec![0u8; self.payload_bytes.max(8)];
        buf[..8].copy_from_slice(&self.published.to_be_bytes());
        self.payload_rngs[sender as usize].fill_bytes(&mut buf[8..]);
        buf.truncate(self.payload_bytes);
        Bytes::from(buf)
    }

    fn publish(&mut self, now: SimTime, channel: u32, sender: u32, label: Option<String>) {
        let Some(slot) = self.nodes[sender as usize].slot_of(channel) else {
            return;
        };
        let payload = self.payload(sender);
        self.published += 1;
        let now_ms = self.now_ms(now);
        match &mut self.nodes[sender as usize].slots[slot].proto {
            Proto::Sds(c) => {
                if let Ok(id) = c.send(now_ms, payload) {
                    // The publication's causal history is read back from its own wire bytes
                    // in `after_input` (kind Content, same id).
                    self.pending_publication = Some((id, sender, label));
                }
            }
            Proto::None => {
                let id = format!("{}-{}", participant_id(sender), self.published);
                let msg = sds::wire::SdsMessage {
                    sender_id: participant_id(sender),
                    message_id: id.clone(),
                    channel_id: self.channels[channel as usize].id.clone(),
                    content: Some(payload),
                    ..Default::default()
                };
                let m = self.rec.publish(&id, channel, sender, now, &[]);
                self.rec.set_label(m, label);
                let bytes = sds::wire::encode(&msg);
                self.transmit(now, channel, sender, TrafficKind::Content, bytes);
            }
        }
        self.after_input(now, sender, slot, false);
    }

    fn arrive(&mut self, now: SimTime, copy: Copy, packet: Rc<Packet>, handed_over: bool) {
        // Link model (net::links): a copy still queued in its sender's uplink when the
        // sender went offline never left; a copy off the wire first waits in the receiver's
        // downlink FIFO (re-scheduled once, with `handed_over`).
        if !handed_over {
            if !self.net.copy_alive(&copy) {
                self.in_flight -= 1;
                return;
            }
            let wait = self
                .net
                .downlink_delay(copy.to, now, packet.bytes.len() as u64);
            if wait > 0 {
                self.queue.push(
                    now + wait,
                    Ev::Arrive {
                        copy,
                        packet,
                        handed_over: true,
                    },
                );
                return;
            }
        }
        let (to, from) = (copy.to, copy.from);
        self.in_flight -= 1;
        let mut forwards = std::mem::take(&mut self.scratch);
        forwards.clear();
        let receipt = self.net.on_arrival(now, to, from, &packet, &mut forwards);
        self.schedule_copies(&packet, &forwards);
        self.scratch = forwards;
        if receipt == Receipt::Duplicate {
            return;
        }
        let Some(slot) = self.nodes[to as usize].slot_of(packet.channel) else {
            return; // a relay that is not a member of the packet's channel
        };
        let now_ms = self.now_ms(now);
        match &mut self.nodes[to as usize].slots[slot].proto {
            Proto::Sds(c) => {
                // Malformed bytes are the sender's problem; the core reports and drops them.
                let _ = c.handle_message(now_ms, packet.bytes.clone(), None);
            }
            Proto::None => {
                if let Ok(msg) = sds::wire::decode(&packet.bytes) {
                    self.rec.deliver(&msg.message_id, to, now);
                }
                return;
            }
        }
        self.after_input(now, to, slot, false);
    }
    fn timer(&mut self, now: SimTime, node: u32, slot: usize, at_ms: u64) {
        let now_ms = self.now_ms(now).max(at_ms);
        let s = &mut self.nodes[node as usize].slots[slot];
        if s.timer_at_ms != Some(at_ms) {
            return; // stale: the core has since asked for another deadline
        }
        s.timer_at_ms = None;
        if let Proto::Sds(c) = &mut s.proto {
            c.handle_timeout(now_ms);
        }
        self.after_input(now, node, slot, true);
    }

    /// Sends `bytes` of `kind` from participant `from` on `channel`.
    fn transmit(&mut self, now: SimTime, channel: u32, from: u32, kind: TrafficKind, bytes: Bytes) {
        let packet = Packet::new(channel, from, kind, bytes, self.net.participants());
        let mut copies = std::mem::take(&mut self.scratch);
        copies.clear();
        let members = &self.channels[channel as usize].members;
        self.net.publish(now, &packet, members, &mut copies);
        self.schedule_copies(&packet, &copies);
        self.scratch = copies;
    }

    fn schedule_copies(&mut self, packet: &Rc<Packet>, copies: &[Copy]) {
        for c in copies {
            self.in_flight += 1;
            self.queue.push(
                c.arrival,
                Ev::Arrive {
                    copy: *c,
                    packet: Rc::clone(packet),
                    handed_over: false,
                },
            );
        }
    }

    /// Drains participant `i`'s core after an input: transmits, events, next timer.
    ///
    /// `from_timer`: the input was `handle_timeout`; a deadline at or before the current
    /// millisecond is then pushed 1 ms ahead, so a core can never pin the clock in place.
    fn after_input(&mut self, now: SimTime, i: u32, slot: usize, from_timer: bool) {
        let channel = self.nodes[i as usize].slots[slot].channel;
        let Proto::Sds(c) = &mut self.nodes[i as usize].slots[slot].proto else {
            return;
        };
        let mut out: Vec<(TrafficKind, Bytes)> = Vec::new();
        while let Some(t) = c.poll_transmit() {
            let kind = match t.kind {
                sds::TransmitKind::Content => TrafficKind::Content,
                sds::TransmitKind::Resend => TrafficKind::Resend,
                sds::TransmitKind::Sync => TrafficKind::Sync,
                sds::TransmitKind::RepairResponse => TrafficKind::RepairResponse,
                sds::TransmitKind::Ephemeral => TrafficKind::Ephemeral,
            };
            if t.repair_requests > 0 {
                let c = self.rec.counters_mut();
                c.transmissions_with_repair_requests += 1;
                c.max_repair_requests_per_transmission = c
                    .max_repair_requests_per_transmission
                    .max(t.repair_requests);
            }
            if kind == TrafficKind::Content {
                if let Some((id, sender, label)) = self.pending_publication.take() {
                    let decoded = sds::wire::decode(&t.bytes).ok();
                    let deps: Vec<&str> = decoded
                        .iter()
                        .flat_map(|m| m.causal_history.iter().map(|h| h.message_id.as_str()))
                        .collect();
                    let m = self.rec.publish(&id, channel, sender, now, &deps);
                    self.rec.set_label(m, label);
                    let lamport = decoded.as_ref().and_then(|d| d.lamport_timestamp);
                    self.rec.set_lamport(m, lamport);
                }
            }
            out.push((kind, t.bytes));
        }
        while let Some(ev) = c.poll_event() {
            match ev {
                sds::Event::Delivered { message_id, .. } => self.rec.deliver(&message_id, i, now),
                sds::Event::Acknowledged { message_id } => self.rec.acknowledged(&message_id, now),
                sds::Event::NotAcknowledged { message_id } => {
                    self.rec.not_acknowledged(&message_id)
                }
                sds::Event::MissingDependencies { .. } => {
                    self.rec.counters_mut().missing_dependency_events += 1
                }
                sds::Event::RepairRequestSent { message_id } => {
                    self.rec.repair_request_sent(&message_id)
                }
                sds::Event::RepairRequestReceived { .. } => {
                    self.rec.counters_mut().repair_requests_received += 1
                }
                sds::Event::RepairResponseSent { message_id } => {
                    self.rec.repair_response_sent(&message_id)
                }
                sds::Event::IrretrievablyLost { .. } => {
                    self.rec.counters_mut().irretrievably_lost += 1
                }
                _ => {}
            }
        }
        let quiescent = c.is_quiescent();
        let now_ms = self.epoch_ms + now / US_PER_MS;
        let wanted = c
            .poll_timeout()
            .map(|at| if from_timer { at.max(now_ms + 1) } else { at });
        let node = &mut self.nodes[i as usize].slots[slot];
        match (node.quiescent, quiescent) {
            (true, false) => self.non_quiescent += 1,
            (false, true) => self.non_quiescent -= 1,
            _ => {}
        }
        node.quiescent = quiescent;
        if let Some(at_ms) = wanted {
            if node.timer_at_ms != Some(at_ms) {
                node.timer_at_ms = Some(at_ms);
                let at = self.ms_to_sim(at_ms).max(now);
                self.queue.push(
                    at,
                    Ev::Timer {
                        node: i,
                        slot: slot as u16,
                        at_ms,
                    },
                );
            }
        } else {
            node.timer_at_ms = None;
        }
        for (kind, bytes) in out {
            self.transmit(now, channel, i, kind, bytes);
        }
    }
}
