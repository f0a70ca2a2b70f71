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

use bytes::Bytes;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};

use super::queue::EventQueue;
use super::rng::{stream, StreamKind};
use super::{SimTime, US_PER_MS};
use crate::metrics::Recorder;
use crate::net::{Copy, NetError, Network, TrafficKind};
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

/// What a finished run hands to the report.
pub struct RunOutcome {
    pub recorder: Recorder,
    pub network: Network,
    /// Simulated time at which the run stopped (µs).
    pub end: SimTime,
    /// End of the workload phase (µs).
    pub workload_end: SimTime,
    pub stop_reason: StopReason,
    /// Events processed.
    pub events: u64,
    /// Largest number of pending events at any time.
    pub peak_pending_events: usize,
    /// Per participant: final local-log length (SDS) or delivered count (none).
    pub final_log_len: Vec<usize>,
    /// Per participant: messages still waiting in the incoming buffer at the end.
    pub final_incoming_buffer: Vec<usize>,
    /// Number of distinct final logs across participants: SDS local logs compared in order;
    /// for `none`, the sets of messages each participant published or delivered. 1 means
    /// every participant agrees.
    pub distinct_final_logs: u64,
    /// Every participant's core as it ended (`None` for the `none` baseline), for tests and
    /// tools that inspect final state (local logs, Lamport clocks, buffers).
    pub channels: Vec<Option<sds::Channel>>,
}

enum Ev {
    /// The next group-wide random publication of the workload.
    Publish,
    /// A scripted publication (`[[workload.publish]]`): sender and label.
    Scripted { sender: u32, label: Option<String> },
    /// A copy of `bytes` arrives at participant `to`.
    Arrive { to: u32, bytes: Bytes },
    /// Participant `node`'s core asked to be woken at Unix ms `at_ms`.
    Timer { node: u32, at_ms: u64 },
}

/// One participant's protocol state.
enum Proto {
    Sds(Box<sds::Channel>),
    /// Baseline: no reliability. Deliveries are deduplicated by the recorder only.
    None,
}

struct Node {
    proto: Proto,
    /// The deadline (Unix ms) of the one live timer event, if any.
    timer_at_ms: Option<u64>,
    quiescent: bool,
}

/// A run in progress. Build with [`Simulation::new`], drive with [`Simulation::run`].
pub struct Simulation {
    seed: u64,
    epoch_ms: u64,
    queue: EventQueue<Ev>,
    net: Network,
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
        let config = sds_config(&sc.sds, n);
        let nodes = (0..n)
            .map(|i| {
                let proto = match sc.protocol {
                    Protocol::Sds => {
                        let core_seed = {
                            use rand::Rng;
                            stream(sc.seed, StreamKind::CoreSeed, u64::from(i)).next_u64()
                        };
                        Proto::Sds(Box::new(sds::Channel::new(
                            CHANNEL_ID,
                            participant_id(i),
                            config.clone(),
                            epoch_ms,
                            core_seed,
                        )))
                    }
                    Protocol::None => Proto::None,
                };
                Node {
                    proto,
                    timer_at_ms: None,
                    quiescent: true,
                }
            })
            .collect();
        let rate = sc.workload.rate_per_s;
        let mut sim = Simulation {
            seed: sc.seed,
            epoch_ms,
            queue: EventQueue::new(),
            net,
            nodes,
            rec: Recorder::new(n),
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
            sim.after_input(0, i, false);
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
                    let n = self.nodes.len() as u32;
                    let sender = self.workload_rng.random_range(0..n);
                    self.publish(now, sender, None);
                    let next = now + self.next_gap_us();
                    if next < self.workload_end {
                        self.queue.push(next, Ev::Publish);
                    }
                }
                Ev::Scripted { sender, label } => self.publish(now, sender, label),
                Ev::Arrive { to, bytes } => self.arrive(now, to, bytes),
                Ev::Timer { node, at_ms } => self.timer(now, node, at_ms),
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
            .map(|(i, n)| match &n.proto {
                Proto::Sds(c) => c.local_log().count(),
                Proto::None => self.rec.per_node_delivered()[i] as usize,
            })
            .collect();
        let final_incoming_buffer = self
            .nodes
            .iter()
            .map(|n| match &n.proto {
                Proto::Sds(c) => c.pending().incoming_buffer,
                Proto::None => 0,
            })
            .collect();
        let distinct_final_logs = self.distinct_final_logs();
        let channels = self
            .nodes
            .into_iter()
            .map(|n| match n.proto {
                Proto::Sds(c) => Some(*c),
                Proto::None => None,
            })
            .collect();
        RunOutcome {
            distinct_final_logs,
            channels,
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
        let mut seen = std::collections::BTreeSet::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let mut h = Sha256::new();
            match &node.proto {
                Proto::Sds(c) => {
                    for id in c.local_log() {
                        h.update(id.as_bytes());
                        h.update([0]);
                    }
                }
                Proto::None => {
                    for (m, t) in self.rec.messages().iter().enumerate() {
                        if t.publisher == i as u32
                            || self.rec.delivery(m as u32, i as u32).is_some()
                        {
                            h.update(t.id.as_bytes());
                            h.update([0]);
                        }
                    }
                }
            }
            seen.insert(h.finalize().to_vec());
        }
        seen.len() as u64
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

    fn publish(&mut self, now: SimTime, sender: u32, label: Option<String>) {
        let payload = self.payload(sender);
        self.published += 1;
        let now_ms = self.now_ms(now);
        match &mut self.nodes[sender as usize].proto {
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
                    channel_id: CHANNEL_ID.to_owned(),
                    content: Some(payload),
                    ..Default::default()
                };
                let m = self.rec.publish(&id, sender, now, &[]);
                self.rec.set_label(m, label);
                let bytes = sds::wire::encode(&msg);
                self.transmit(now, sender, TrafficKind::Content, bytes);
            }
        }
        self.after_input(now, sender, false);
    }

    fn arrive(&mut self, now: SimTime, to: u32, bytes: Bytes) {
        self.in_flight -= 1;
        self.net.record_arrival(to, bytes.len());
        let now_ms = self.now_ms(now);
        match &mut self.nodes[to as usize].proto {
            Proto::Sds(c) => {
                // Malformed bytes are the sender's problem; the core reports and drops them.
                let _ = c.handle_message(now_ms, bytes, None);
            }
            Proto::None => {
                if let Ok(msg) = sds::wire::decode(&bytes) {
                    self.rec.deliver(&msg.message_id, to, now);
                }
                return;
            }
        }
        self.after_input(now, to, false);
    }

    fn timer(&mut self, now: SimTime, node: u32, at_ms: u64) {
        let now_ms = self.now_ms(now).max(at_ms);
        let n = &mut self.nodes[node as usize];
        if n.timer_at_ms != Some(at_ms) {
            return; // stale: the core has since asked for another deadline
        }
        n.timer_at_ms = None;
        if let Proto::Sds(c) = &mut n.proto {
            c.handle_timeout(now_ms);
        }
        self.after_input(now, node, true);
    }

    fn transmit(&mut self, now: SimTime, from: u32, kind: TrafficKind, bytes: Bytes) {
        let mut copies = std::mem::take(&mut self.scratch);
        copies.clear();
        self.net
            .broadcast(now, from, bytes.len(), kind, &mut copies);
        for c in &copies {
            self.in_flight += 1;
            self.queue.push(
                c.arrival,
                Ev::Arrive {
                    to: c.to,
                    bytes: bytes.clone(),
                },
            );
        }
        self.scratch = copies;
    }

    /// Drains participant `i`'s core after an input: transmits, events, next timer.
    ///
    /// `from_timer`: the input was `handle_timeout`; a deadline at or before the current
    /// millisecond is then pushed 1 ms ahead, so a core can never pin the clock in place.
    fn after_input(&mut self, now: SimTime, i: u32, from_timer: bool) {
        let Proto::Sds(c) = &mut self.nodes[i as usize].proto else {
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
                    let m = self.rec.publish(&id, sender, now, &deps);
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
        let node = &mut self.nodes[i as usize];
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
                self.queue.push(at, Ev::Timer { node: i, at_ms });
            }
        } else {
            node.timer_at_ms = None;
        }
        for (kind, bytes) in out {
            self.transmit(now, i, kind, bytes);
        }
    }
}
