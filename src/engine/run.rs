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
//!
//! Churn and clock skew ([`super::churn`] has the full semantics): a participant that is
//! offline, absent (a late joiner before its join) or gone (`leave`) receives nothing (the
//! copy is dropped as `copies_to_offline`), publishes nothing and its timers do not fire;
//! sleepers get `handle_timeout` on waking, crashed participants and joiners get fresh cores.
//! Participants still offline at the end of the workload come back then (faults heal),
//! except those that left. The stop rule does not wait for participants that left. With
//! clock skew, participant i's wall clock is `epoch + t + offset_i` in every core input and
//! its timer deadlines are converted back with the same offset.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use bytes::Bytes;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};
use rustc_hash::FxHasher;

use super::churn::{self, ChurnAction, ChurnPlan};
use super::queue::EventQueue;
use super::store::{
    self, Client, Page, QueryKind, StoreClientStats, StoreNode, StoreNodeStats, Stored,
};
use crate::metrics::trace::Trace;
use crate::metrics::Recorder;
use crate::net::{Copy, NetError, Network, Packet, Receipt, TrafficKind};
use crate::rng::{stream, StreamKind};
use crate::scenario::{
    Arrival, BloomRolloverName, ChurnMode, Dissemination, LostPolicyName, MessageIdRule, Protocol,
    QueryOnConnect, RegionMatrix, Scenario, SdsParams, SyncPolicyName,
};
use crate::sds;
use crate::time::{SimTime, US_PER_MS};

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
        SyncPolicyName::ReliableChannel => sds::SyncPolicy::ReliableChannel {
            interval_ms: ms(params.sync.interval),
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
        lost_timeout_ms: params.lost_timeout.map(ms),
        lost_policy: match params.lost_policy {
            LostPolicyName::Deliver => sds::LostPolicy::Deliver,
            LostPolicyName::Drop => sds::LostPolicy::Drop,
        },
        bloom_rollover: match params.bloom_rollover {
            BloomRolloverName::None => sds::BloomRollover::None,
            BloomRolloverName::Rebuild => sds::BloomRollover::Rebuild,
        },
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

/// Churn figures of a run (present when `[churn]` schedules anything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChurnStats {
    /// Offline windows that started (`sleep`/`crash`; nested windows of an already offline
    /// participant not counted).
    pub offline_events: u64,
    /// Participants that came back from a crash with fresh cores.
    pub crashes: u64,
    /// Participants that left (`leave`).
    pub left: u64,
    /// Late joiners that joined.
    pub joined: u64,
    /// Copies that arrived at an offline, absent or departed participant (dropped).
    pub copies_to_offline: u64,
    /// Publications skipped because their sender was offline, absent or gone.
    pub publications_skipped: u64,
    /// Windows shaded in reports (µs): see [`ChurnPlan::windows`].
    pub windows: Vec<(SimTime, SimTime)>,
}

/// Where a participant is in its churn schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Online,
    /// Offline (sleep/crash); back when its last window ends.
    Offline,
    /// A late joiner before its join time.
    Absent,
    /// Left for good.
    Left,
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
    /// Churn figures; `None` when the scenario has no churn.
    pub churn: Option<ChurnStats>,
    /// The running hash of every event, when enabled with [`Simulation::with_trace`].
    pub trace: Option<Trace>,
    /// Store figures; `None` without store nodes.
    pub store: Option<StoreOutcome>,
}

/// Store figures of a run (`[store]` with at least one node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOutcome {
    /// Effective retrieval strategy (`sds-r`, `store`, `both`, `none`).
    pub strategy: &'static str,
    /// Participants' store-client counters.
    pub client: StoreClientStats,
    /// Per store node.
    pub nodes: Vec<StoreNodeStats>,
    /// Offline windows of the store nodes as `(start, effective end)` in µs, in
    /// `[[store.offline]]` order (for reports).
    pub windows: Vec<(SimTime, SimTime)>,
}

enum Ev {
    /// The next group-wide random publication of the workload.
    Publish,
    /// The next publication of a direct-message conversation (its channel index).
    Direct { channel: u32 },
    /// A scripted publication (`[[workload.publish]]`): sender and label.
    Scripted {
        sender: u32,
        label: Option<Box<str>>,
    },
    /// A copy comes off the wire at its receiver, or leaves the receiver's downlink queue.
    Arrive(InFlight),
    /// The core in `slot` of participant `node` asked to be woken at Unix ms `at_ms`.
    Timer { node: u32, slot: u16, at_ms: u64 },
    /// A scheduled churn event for participant `node`.
    Churn { node: u32, action: ChurnAction },
    /// End of the workload: every offline (sleep/crash) participant comes back.
    HealChurn,
    /// A copy of a content message reaches store node `store`.
    StoreIngest { store: u32, msg: Box<Stored> },
    /// Query `query` (its `seq`-th sending) reaches its store node.
    StoreRequest { query: u64, seq: u32 },
    /// A store node's answer to query `query` comes off the wire (`handed_over` false) or
    /// leaves the participant's downlink queue (true).
    StoreReply {
        query: u64,
        seq: u32,
        page: Box<Page>,
        handed_over: bool,
    },
    /// Query `query`'s `seq`-th sending times out unless answered.
    StoreTimeout { query: u64, seq: u32 },
    /// An offline window of store node `store` ends.
    StoreUp { store: u32 },
    /// The missing-message retriever of participant `node`'s `slot` fires (valid if its
    /// client still wants a tick `at`).
    MissingTick { node: u32, slot: u16, at: SimTime },
}

impl Ev {
    /// Hashes this event into `trace` (out of line: keeps the loop small when tracing is off).
    #[cold]
    #[inline(never)]
    fn trace(&self, t: SimTime, trace: &mut Trace) {
        trace.record(t, self.trace_words());
    }

    /// Two words identifying this event for [`Trace::record`] (with its time): the kind in
    /// the low byte and participant ids above it, and one detail (packet size, deadline).
    fn trace_words(&self) -> [u64; 2] {
        let ids = |kind: u64, a: u32, b: u32| kind | u64::from(a) << 8 | u64::from(b) << 36;
        match self {
            Ev::Publish => [1, 0],
            Ev::Direct { channel } => [ids(8, *channel, 0), 0],
            Ev::Scripted { sender, .. } => [ids(2, *sender, 0), 0],
            Ev::Arrive(c) => [
                ids(3 + u64::from(c.handed_over), c.to, c.from),
                (c.packet.kind as u64) << 56
                    ^ u64::from(c.packet.origin) << 32
                    ^ c.packet.bytes.len() as u64,
            ],
            Ev::Timer { node, slot, at_ms } => [ids(5, *node, u32::from(*slot)), *at_ms],
            Ev::Churn { node, action } => [ids(6, *node, *action as u32), 0],
            Ev::HealChurn => [7, 0],
            Ev::StoreIngest { store, msg } => [
                ids(9, *store, msg.channel),
                msg.at ^ (msg.bytes.len() as u64) << 48,
            ],
            Ev::StoreRequest { query, seq } => [ids(10, *seq, 0), *query],
            Ev::StoreReply {
                query,
                seq,
                page,
                handed_over,
            } => [
                ids(
                    11 + u64::from(*handed_over),
                    *seq,
                    page.messages.len() as u32,
                ),
                *query,
            ],
            Ev::StoreTimeout { query, seq } => [ids(13, *seq, 0), *query],
            Ev::StoreUp { store } => [ids(14, *store, 0), 0],
            Ev::MissingTick { node, slot, at } => [ids(15, *node, u32::from(*slot)), *at],
        }
    }
}

/// A copy of a packet in flight, as the event queue holds it (its arrival time is the
/// event's time). Kept small: the queue holds one per copy on the wire (millions at 10,000
/// participants).
struct InFlight {
    packet: Rc<Packet>,
    /// See [`Copy::departure`].
    departure: SimTime,
    to: u32,
    from: u32,
    /// See [`Copy::epoch`].
    epoch: u32,
    /// False: the copy comes off the wire; true: it leaves the receiver's downlink queue.
    handed_over: bool,
}

/// A store query in flight.
struct Query {
    node: u32,
    slot: u16,
    /// Store node it is sent to.
    store: u32,
    /// Store nodes tried so far minus one.
    attempt: u32,
    kind: QueryKind,
    /// Range query: fetch every page (else stop after the first non-empty page).
    all_pages: bool,
    /// Sendings so far; replies and timeouts of earlier sendings are stale.
    seq: u32,
    /// The current sending was answered (its timeout no longer applies).
    answered: bool,
}

/// Store nodes and the participants' store clients of a run.
struct StoreRun {
    nodes: Vec<StoreNode>,
    /// Offline windows in file order (µs), for reports.
    windows: Vec<(SimTime, SimTime)>,
    rng: ChaCha8Rng,
    page_size: usize,
    retention: SimTime,
    timeout: SimTime,
    missing_interval: SimTime,
    on_connect: QueryOnConnect,
    force_after: SimTime,
    strategy: &'static str,
    /// Participants query store nodes (strategy `store` or `both`); retrieval hints are
    /// then set on every message.
    query: bool,
    /// Per participant, per slot.
    clients: Vec<Vec<Client>>,
    /// Per participant: when it last went offline (µs).
    last_offline: Vec<SimTime>,
    /// Missing-retrieval tick wanted per participant and slot (lazy cancellation).
    tick_at: Vec<Vec<Option<SimTime>>>,
    queries: BTreeMap<u64, Query>,
    next_query: u64,
    stats: StoreClientStats,
}

/// js-waku `MAX_TIME_RANGE_QUERY_MS`: query-on-connect looks back at most 30 days.
const MAX_TIME_RANGE_QUERY_US: SimTime = 30 * 24 * 3_600 * 1_000_000;

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
    protocol: Protocol,
    /// Core configuration per channel (fresh cores after a crash or a join).
    configs: Vec<sds::Config>,
    churn_mode: ChurnMode,
    /// `Some` when the scenario has churn.
    churn_stats: Option<ChurnStats>,
    presence: Vec<Presence>,
    /// `presence == Online`, for the re-grafting code.
    online: Vec<bool>,
    /// Open offline windows per participant (nested windows).
    offline_depth: Vec<u32>,
    /// A `HealChurn` event is still queued.
    heal_pending: bool,
    mesh_degree: usize,
    /// Relay re-grafting choices (`Some` with relay dissemination and churn).
    regraft_rng: Option<ChaCha8Rng>,
    /// Per participant, fresh core seeds after crashes (created on first use).
    crash_rngs: Vec<Option<ChaCha8Rng>>,
    /// Clock offsets in µs per participant; empty when no participant is skewed.
    offsets_us: Vec<i64>,
    /// Running hash of the events (`--check-determinism`); `None` unless enabled.
    trace: Option<Box<Trace>>,
    /// Per direct conversation: its workload stream (gaps and sender draws).
    direct_rngs: Vec<ChaCha8Rng>,
    /// Index of the first direct-message channel (1 with a group channel, else 0).
    direct_first: u32,
    /// `workload.arrival` and per-conversation rate of the direct-message workload.
    direct_arrival: (Arrival, f64),
    /// Store nodes and clients; `None` without store nodes.
    store: Option<Box<StoreRun>>,
}

/// Seed of participant `i`'s core in channel `ch` (one draw per membership, in order).
fn core_seed(seed: u64, i: u32, ch: usize) -> u64 {
    use rand::Rng;
    let mut r = stream(seed, StreamKind::CoreSeed, u64::from(i));
    let mut s = r.next_u64();
    for _ in 0..ch {
        s = r.next_u64();
    }
    s
}

impl Simulation {
    /// Sets up a run of a validated scenario with its loaded region matrix.
    pub fn new(sc: &Scenario, regions: Option<&RegionMatrix>) -> Result<Simulation, NetError> {
        let n = sc.participants;
        let net = Network::new(sc, regions)?;
        let epoch_ms = sc.epoch_unix_ms;
        let channels = build_channels(sc);
        let direct_first = u32::from(sc.workload.group);
        let offsets_us = {
            let o = churn::clock_offsets_us(sc);
            if o.iter().all(|&x| x == 0) {
                Vec::new()
            } else {
                o
            }
        };
        let wall0 = |i: u32| wall_ms(epoch_ms, &offsets_us, i, 0);
        let mut nodes: Vec<Node> = (0..n).map(|_| Node { slots: Vec::new() }).collect();
        let mut configs = Vec::new();
        for (ch, spec) in channels.iter().enumerate() {
            let mut params = sc.sds.clone();
            params.repair.enabled = sc.retrieval_strategy().uses_sds_r();
            let config = sds_config(&params, spec.members.len() as u32);
            configs.push(config.clone());
            for &i in &spec.members {
                let proto = match sc.protocol {
                    Protocol::Sds => Proto::Sds(Box::new(sds::Channel::new(
                        spec.id.clone(),
                        participant_id(i),
                        config.clone(),
                        wall0(i),
                        core_seed(sc.seed, i, ch),
                    ))),
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
        let churn_active = sc.churn.is_active();
        let plan = ChurnPlan::new(sc);
        let mut rec = Recorder::new(n, members);
        if churn_active {
            for (i, &(from, until)) in plan.membership.iter().enumerate() {
                rec.set_membership(i as u32, from, until);
            }
        }
        let mut sim = Simulation {
            seed: sc.seed,
            epoch_ms,
            queue: EventQueue::new(),
            net,
            channels,
            nodes,
            rec,
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
            protocol: sc.protocol,
            configs,
            churn_mode: sc.churn.mode,
            churn_stats: churn_active.then(|| ChurnStats {
                windows: plan.windows.clone(),
                ..ChurnStats::default()
            }),
            presence: vec![Presence::Online; n as usize],
            online: vec![true; n as usize],
            offline_depth: vec![0; n as usize],
            heal_pending: false,
            mesh_degree: sc.network.mesh_degree as usize,
            regraft_rng: (churn_active && sc.network.dissemination == Dissemination::Relay)
                .then(|| stream(sc.seed, StreamKind::Churn, 1)),
            crash_rngs: if churn_active && sc.churn.mode == ChurnMode::Crash {
                vec![None; n as usize]
            } else {
                Vec::new()
            },
            offsets_us,
            trace: None,
            direct_rngs: Vec::new(),
            direct_first,
            direct_arrival: (
                sc.workload.arrival,
                sc.workload.direct.as_ref().map_or(0.0, |d| d.rate_per_s),
            ),
            store: None,
        };
        if sc.store.nodes > 0 {
            let workload_end = sc.duration.as_micros();
            let mut nodes: Vec<StoreNode> = (0..sc.store.nodes)
                .map(|_| StoreNode::new(Vec::new()))
                .collect();
            let mut windows = Vec::new();
            for w in &sc.store.offline {
                // Faults heal at the end of the workload.
                let end = w.end.as_micros().min(workload_end);
                nodes[w.node as usize]
                    .offline
                    .push((w.start.as_micros(), end));
                windows.push((w.start.as_micros(), end));
                sim.queue.push(end, Ev::StoreUp { store: w.node });
            }
            let strategy = sc.retrieval_strategy();
            let slots: Vec<usize> = sim.nodes.iter().map(|n| n.slots.len()).collect();
            sim.store = Some(Box::new(StoreRun {
                nodes,
                windows,
                rng: stream(sc.seed, StreamKind::Store, 0),
                page_size: sc.store.page_size as usize,
                retention: sc.store.retention.as_micros(),
                timeout: sc.store.query_timeout.as_micros(),
                missing_interval: sc.retrieval.missing_interval.as_micros(),
                on_connect: sc.retrieval.query_on_connect,
                force_after: sc.retrieval.force_query_after.as_micros(),
                strategy: match strategy {
                    crate::scenario::RetrievalStrategy::SdsR => "sds-r",
                    crate::scenario::RetrievalStrategy::Store => "store",
                    crate::scenario::RetrievalStrategy::Both => "both",
                    crate::scenario::RetrievalStrategy::None => "none",
                },
                query: strategy.uses_store() && sc.protocol == Protocol::Sds,
                clients: slots.iter().map(|&k| vec![Client::default(); k]).collect(),
                last_offline: vec![0; n as usize],
                tick_at: slots.iter().map(|&k| vec![None; k]).collect(),
                queries: BTreeMap::new(),
                next_query: 0,
                stats: StoreClientStats::default(),
            }));
        }
        // Late joiners are absent from the start (no timers, no mesh links).
        for i in 0..n {
            if plan.absent[i as usize] {
                sim.presence[i as usize] = Presence::Absent;
                sim.online[i as usize] = false;
                sim.regraft(i, false);
            }
        }
        // Arm every core's initial timer (sync phase) at time 0.
        for i in 0..n {
            if sim.presence[i as usize] != Presence::Online {
                continue;
            }
            for slot in 0..sim.nodes[i as usize].slots.len() {
                sim.after_input(0, i, slot, false);
            }
        }
        for e in &plan.events {
            sim.queue.push(
                e.at,
                Ev::Churn {
                    node: e.node,
                    action: e.action,
                },
            );
        }
        if sc.churn.mode != ChurnMode::Leave
            && plan.events.iter().any(|e| e.action == ChurnAction::Down)
        {
            sim.heal_pending = true;
            sim.queue.push(sim.workload_end, Ev::HealChurn);
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
                        label: label.map(String::into_boxed_str),
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
        if let Some(d) = &sc.workload.direct {
            for conv in 0..d.conversations {
                let mut rng = stream(sc.seed, StreamKind::Workload, 2 + u64::from(conv));
                let first = direct_gap_us(sc.workload.arrival, d.rate_per_s, &mut rng);
                sim.direct_rngs.push(rng);
                if first < sim.workload_end {
                    sim.queue.push(
                        first,
                        Ev::Direct {
                            channel: direct_first + conv,
                        },
                    );
                }
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

    /// Hashes every event of the run into a [`Trace`] (returned in [`RunOutcome::trace`]),
    /// for `--check-determinism`. Off by default; costs one branch per event when off.
    pub fn with_trace(mut self) -> Simulation {
        self.trace = Some(Box::default());
        self
    }

    /// Participant `i`'s wall clock (Unix ms) at simulated time `t`.
    fn now_ms(&self, i: u32, t: SimTime) -> u64 {
        wall_ms(self.epoch_ms, &self.offsets_us, i, t)
    }

    /// The simulated time at which participant `i`'s wall clock reaches `ms` (0 if before
    /// the run started).
    fn ms_to_sim(&self, i: u32, ms: u64) -> SimTime {
        match self.offsets_us.get(i as usize) {
            None => ms.saturating_sub(self.epoch_ms).saturating_mul(US_PER_MS),
            Some(&off) => {
                let us = i128::from(ms) * i128::from(US_PER_MS)
                    - i128::from(self.epoch_ms) * i128::from(US_PER_MS)
                    - i128::from(off);
                us.clamp(0, i128::from(SimTime::MAX)) as SimTime
            }
        }
    }

    /// Runs to the end. `progress` is called now and then with the current simulated time.
    pub fn run(mut self, progress: &mut dyn FnMut(SimTime)) -> RunOutcome {
        let mut now: SimTime = 0;
        let stop_reason = loop {
            let Some((t, ev)) = self.queue.pop() else {
                break StopReason::NoEvents;
            };
            if t > self.drain_end {
                // The run ends here; the popped event and the rest are dropped.
                now = self.drain_end;
                break StopReason::DrainLimit;
            }
            now = t;
            self.events += 1;
            if let Some(trace) = self.trace.as_deref_mut() {
                ev.trace(t, trace);
            }
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
                Ev::Scripted { sender, label } => {
                    self.publish(now, 0, sender, label.map(String::from))
                }
                Ev::Direct { channel } => {
                    let conv = (channel - self.direct_first) as usize;
                    let (arrival, rate) = self.direct_arrival;
                    let rng = &mut self.direct_rngs[conv];
                    let members = &self.channels[channel as usize].members;
                    let sender = members[rng.random_range(0..members.len())];
                    let next = now + direct_gap_us(arrival, rate, rng);
                    self.publish(now, channel, sender, None);
                    if next < self.workload_end {
                        self.queue.push(next, Ev::Direct { channel });
                    }
                }
                Ev::Arrive(copy) => self.arrive(now, copy),
                Ev::Timer { node, slot, at_ms } => self.timer(now, node, slot as usize, at_ms),
                Ev::Churn { node, action } => match action {
                    ChurnAction::Down => self.go_down(now, node),
                    ChurnAction::Up => self.go_up(now, node),
                    ChurnAction::Join => self.join(now, node),
                },
                Ev::StoreIngest { store, msg } => self.store_ingest(now, store, *msg),
                Ev::StoreRequest { query, seq } => self.store_request(now, query, seq),
                Ev::StoreReply {
                    query,
                    seq,
                    page,
                    handed_over,
                } => self.store_reply(now, query, seq, *page, handed_over),
                Ev::StoreTimeout { query, seq } => self.store_timeout(now, query, seq),
                Ev::StoreUp { store } => self.store_up(now, store),
                Ev::MissingTick { node, slot, at } => {
                    self.missing_tick(now, node, slot as usize, at)
                }
                Ev::HealChurn => {
                    self.heal_pending = false;
                    for i in 0..self.presence.len() as u32 {
                        if self.presence[i as usize] == Presence::Offline {
                            self.offline_depth[i as usize] = 1;
                            self.go_up(now, i);
                        }
                    }
                }
            }
            self.peak_pending = self.peak_pending.max(self.queue.len());
            if now >= self.workload_end
                && self.in_flight == 0
                && self.non_quiescent == 0
                && !self.heal_pending
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
                        Proto::Sds(c) => c.local_log_len(),
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
        let churn = self.churn_stats.take();
        let store = self.store.take().map(|s| StoreOutcome {
            strategy: s.strategy,
            client: s.stats.clone(),
            nodes: s.nodes.iter().map(|n| n.stats.clone()).collect(),
            windows: s.windows.clone(),
        });
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
            churn,
            trace: self.trace.map(|t| *t),
            store,
        }
    }

    /// Distinct final logs per channel, summed (see [`RunOutcome::distinct_final_logs`]).
    /// Logs are grouped by a fixed-key hash, then compared in full within a group.
    fn distinct_final_logs(&self) -> u64 {
        let mut total = 0u64;
        for (ch, spec) in self.channels.iter().enumerate() {
            let mut groups: BTreeMap<u64, Vec<FinalLog<'_>>> = BTreeMap::new();
            for &i in &spec.members {
                if self.presence[i as usize] == Presence::Left {
                    continue; // departed participants are not expected to agree
                }
                let Some(log) = self.final_log(ch as u32, i) else {
                    continue;
                };
                let same_hash = groups.entry(log.hash()).or_default();
                if !same_hash.iter().any(|other| other.same(&log)) {
                    same_hash.push(log);
                    total += 1;
                }
            }
        }
        total
    }

    /// Participant `i`'s final log in channel `ch`: its core's local log (SDS), or the
    /// messages it published or delivered, in publication order (`none`).
    fn final_log(&self, ch: u32, i: u32) -> Option<FinalLog<'_>> {
        let node = &self.nodes[i as usize];
        let slot = node.slot_of(ch)?;
        Some(match &node.slots[slot].proto {
            Proto::Sds(c) => FinalLog::Sds(c),
            Proto::None => FinalLog::Messages(
                (0..self.rec.messages().len() as u32)
                    .filter(|&m| {
                        let t = &self.rec.messages()[m as usize];
                        t.channel == ch && (t.publisher == i || self.rec.delivery(m, i).is_some())
                    })
                    .collect(),
            ),
        })
    }

    /// A payload of `workload.payload_bytes`: the run's publication sequence number, big
    /// endian, in the first 8 bytes, then seeded random bytes. Payloads shorter than 8 bytes
    /// hold the sequence number's low bytes, so they stay distinct for the first 256^len
    /// publications (a 1-byte payload repeats after 256; message ids stay distinct anyway
    /// because the `unique` rule also hashes sender and Lamport timestamp, and the recorder
    /// keys messages by channel and id).
    fn payload(&mut self, sender: u32) -> Bytes {
        use rand::Rng;
        let seq = self.published.to_be_bytes();
        let mut buf = vec![0u8; self.payload_bytes];
        let head = self.payload_bytes.min(8);
        buf[..head].copy_from_slice(&seq[8 - head..]);
        self.payload_rngs[sender as usize].fill_bytes(&mut buf[head..]);
        Bytes::from(buf)
    }

    fn publish(&mut self, now: SimTime, channel: u32, sender: u32, label: Option<String>) {
        let Some(slot) = self.nodes[sender as usize].slot_of(channel) else {
            return;
        };
        if self.presence[sender as usize] != Presence::Online {
            if let Some(c) = &mut self.churn_stats {
                c.publications_skipped += 1;
            }
            return;
        }
        let payload = self.payload(sender);
        self.published += 1;
        let now_ms = self.now_ms(sender, now);
        match &mut self.nodes[sender as usize].slots[slot].proto {
            Proto::Sds(c) => match c.send(now_ms, payload) {
                Ok(id) => {
                    // The publication's causal history is read back from its own wire bytes
                    // in `after_input` (kind Content, same id).
                    self.pending_publication = Some((id, sender, label));
                }
                // The application's send failed (e.g. a payload-sha256 id already in use):
                // nothing was published, but the attempt is counted.
                Err(_) => self.rec.counters_mut().publications_refused += 1,
            },
            Proto::None => {
                // The core's `unique` id rule (sender, time, payload), as for SDS messages, so
                // the runs of both protocols name messages alike.
                let id = sds::message_id_for(
                    sds::MessageIdRule::Unique,
                    &participant_id(sender),
                    now_ms,
                    &payload,
                );
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
                self.transmit(now, channel, sender, TrafficKind::Content, bytes, None);
            }
        }
        self.after_input(now, sender, slot, false);
    }

    fn arrive(&mut self, now: SimTime, mut copy: InFlight) {
        // Link model (net::links): a copy still queued in its sender's uplink when the
        // sender went offline never left; a copy off the wire first waits in the receiver's
        // downlink FIFO (re-scheduled once, with `handed_over`).
        if !copy.handed_over {
            let on_wire = Copy {
                to: copy.to,
                from: copy.from,
                arrival: now,
                departure: copy.departure,
                epoch: copy.epoch,
            };
            if !self.net.copy_alive(&on_wire) {
                self.in_flight -= 1;
                return;
            }
            let size = copy.packet.bytes.len() as u64;
            let wait = self.net.downlink_delay(copy.to, now, size);
            if wait > 0 {
                copy.handed_over = true;
                self.queue.push(now + wait, Ev::Arrive(copy));
                return;
            }
        }
        let InFlight {
            packet, to, from, ..
        } = copy;
        self.in_flight -= 1;
        if self.presence[to as usize] != Presence::Online {
            if let Some(c) = &mut self.churn_stats {
                c.copies_to_offline += 1;
            }
            return; // neither delivered nor forwarded
        }
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
        let now_ms = self.now_ms(to, now);
        match &mut self.nodes[to as usize].slots[slot].proto {
            Proto::Sds(c) => {
                // Malformed bytes are the sender's problem; the core reports and drops them.
                let _ = c.handle_message(now_ms, packet.bytes.clone(), packet.hint.clone());
            }
            Proto::None => {
                if let Ok(msg) = sds::wire::decode(&packet.bytes) {
                    self.rec.deliver(packet.channel, &msg.message_id, to, now);
                }
                return;
            }
        }
        self.after_input(now, to, slot, false);
    }
    fn timer(&mut self, now: SimTime, node: u32, slot: usize, at_ms: u64) {
        if self.presence[node as usize] != Presence::Online {
            return; // its deadline was dropped when it went offline
        }
        let now_ms = self.now_ms(node, now).max(at_ms);
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
    fn transmit(
        &mut self,
        now: SimTime,
        channel: u32,
        from: u32,
        kind: TrafficKind,
        bytes: Bytes,
        hint: Option<Bytes>,
    ) {
        let packet = Packet::with_hint(channel, from, kind, bytes, hint, self.net.participants());
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
                Ev::Arrive(InFlight {
                    packet: Rc::clone(packet),
                    departure: c.departure,
                    to: c.to,
                    from: c.from,
                    epoch: c.epoch,
                    handed_over: false,
                }),
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
        let mut out: Vec<(TrafficKind, Bytes, Option<Bytes>, String)> = Vec::new();
        let with_store = self.store.is_some();
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
            let stored_kind = matches!(
                kind,
                TrafficKind::Content | TrafficKind::Resend | TrafficKind::RepairResponse
            );
            let hint = (with_store && stored_kind).then(|| store::message_hash(&t.bytes));
            out.push((kind, t.bytes, hint, t.message_id));
        }
        // With store retrieval, every message carries its hash as retrieval hint (js-waku's
        // ReliableChannel sets the Waku message hash on send and on receipt).
        let hints_on = self.store.as_ref().is_some_and(|s| s.query);
        if hints_on {
            for (kind, _, hint, id) in &out {
                if let (TrafficKind::Content, Some(h)) = (kind, hint) {
                    c.set_retrieval_hint(id, h.clone());
                }
            }
        }
        let mut missing_changed = false;
        while let Some(ev) = c.poll_event() {
            match ev {
                sds::Event::Delivered { message_id, .. } => {
                    if let Some(st) = self.store.as_mut().filter(|s| s.query) {
                        st.clients[i as usize][slot].missing.remove(&message_id);
                    }
                    self.rec.deliver(channel, &message_id, i, now)
                }
                sds::Event::Acknowledged { message_id } => {
                    self.rec.acknowledged(channel, &message_id, now)
                }
                sds::Event::NotAcknowledged { message_id } => {
                    self.rec.not_acknowledged(channel, &message_id)
                }
                sds::Event::MissingDependencies { missing, .. } => {
                    self.rec.counters_mut().missing_dependency_events += 1;
                    if let Some(st) = self.store.as_mut().filter(|s| s.query) {
                        let client = &mut st.clients[i as usize][slot];
                        for e in missing {
                            if let Some(h) = e.retrieval_hint {
                                client.missing.insert(e.message_id, h);
                                missing_changed = true;
                            }
                        }
                    }
                }
                sds::Event::RepairRequestSent { message_id } => {
                    self.rec.repair_request_sent(channel, &message_id)
                }
                sds::Event::RepairRequestReceived { .. } => {
                    self.rec.counters_mut().repair_requests_received += 1
                }
                sds::Event::RepairResponseSent { message_id } => {
                    self.rec.repair_response_sent(channel, &message_id)
                }
                sds::Event::IrretrievablyLost { message_id } => {
                    if let Some(st) = self.store.as_mut().filter(|s| s.query) {
                        st.clients[i as usize][slot].missing.remove(&message_id);
                    }
                    self.rec.counters_mut().irretrievably_lost += 1
                }
                sds::Event::DroppedLost { message_id } => {
                    if let Some(st) = self.store.as_mut().filter(|s| s.query) {
                        st.clients[i as usize][slot].missing.remove(&message_id);
                    }
                    self.rec.counters_mut().dropped_lost += 1
                }
                _ => {}
            }
        }
        let quiescent = c.is_quiescent();
        let now_ms = wall_ms(self.epoch_ms, &self.offsets_us, i, now);
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
                let at = self.ms_to_sim(i, at_ms).max(now);
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
        for (kind, bytes, hint, id) in out {
            if let Some(h) = &hint {
                self.ingest_copies(now, channel, i, kind, &bytes, h, &id);
            }
            self.transmit(
                now,
                channel,
                i,
                kind,
                bytes,
                if hints_on { hint } else { None },
            );
        }
        if missing_changed {
            self.arm_missing_tick(now, i, slot);
        }
    }
}

/// A participant's final log, for [`Simulation::distinct_final_logs`].
enum FinalLog<'a> {
    Sds(&'a sds::Channel),
    /// Recorder message indexes (the `none` baseline).
    Messages(Vec<u32>),
}

impl FinalLog<'_> {
    fn hash(&self) -> u64 {
        let mut h = FxHasher::default();
        match self {
            FinalLog::Sds(c) => c.local_log().for_each(|id| id.hash(&mut h)),
            FinalLog::Messages(m) => m.hash(&mut h),
        }
        h.finish()
    }

    fn same(&self, other: &FinalLog<'_>) -> bool {
        match (self, other) {
            (FinalLog::Sds(a), FinalLog::Sds(b)) => a.local_log().eq(b.local_log()),
            (FinalLog::Messages(a), FinalLog::Messages(b)) => a == b,
            _ => false,
        }
    }
}

/// The run's channels: the group channel [`CHANNEL_ID`] with every participant (unless
/// `workload.group = false`), then one two-member channel `dm-<a>-<b>` per direct
/// conversation: distinct pairs `a < b` drawn uniformly from the seed (stream `Workload`,
/// id 1), in draw order.
pub fn build_channels(sc: &Scenario) -> Vec<ChannelSpec> {
    let n = sc.participants;
    let mut channels = Vec::new();
    if sc.workload.group {
        channels.push(ChannelSpec {
            id: CHANNEL_ID.to_owned(),
            members: (0..n).collect(),
        });
    }
    if let Some(d) = &sc.workload.direct {
        let mut rng = stream(sc.seed, StreamKind::Workload, 1);
        let mut seen = std::collections::BTreeSet::new();
        while seen.len() < d.conversations as usize && n >= 2 {
            let a = rng.random_range(0..n);
            let b = rng.random_range(0..n);
            if a == b {
                continue;
            }
            let pair = (a.min(b), a.max(b));
            if seen.insert(pair) {
                channels.push(ChannelSpec {
                    id: format!("dm-{}-{}", pair.0, pair.1),
                    members: vec![pair.0, pair.1],
                });
            }
        }
    }
    channels
}

/// Gap (µs, >= 1) to the next publication of a process with `rate_per_s`.
fn direct_gap_us(arrival: Arrival, rate_per_s: f64, rng: &mut ChaCha8Rng) -> SimTime {
    let s = match arrival {
        Arrival::Poisson => Exp::new(rate_per_s).map_or(1.0 / rate_per_s, |e| e.sample(rng)),
        Arrival::Constant => 1.0 / rate_per_s,
    };
    (s * 1e6).round().max(1.0) as SimTime
}

/// Participant `i`'s wall clock (Unix ms) at `t`: `epoch_ms + (t + offset_i) / 1000`, rounded
/// down; `offsets_us` empty means no skew.
fn wall_ms(epoch_ms: u64, offsets_us: &[i64], i: u32, t: SimTime) -> u64 {
    match offsets_us.get(i as usize) {
        None => epoch_ms + t / US_PER_MS,
        Some(&off) => {
            let us = i128::from(epoch_ms) * i128::from(US_PER_MS) + i128::from(t) + i128::from(off);
            us.div_euclid(i128::from(US_PER_MS)).max(0) as u64
        }
    }
}

impl Simulation {
    /// Relay re-grafting after participant `i` went offline (`up = false`) or came back.
    fn regraft(&mut self, i: u32, up: bool) {
        let Some(rng) = self.regraft_rng.as_mut() else {
            return;
        };
        let Some(g) = self.net.graph_mut() else {
            return;
        };
        if up {
            churn::attach(g, i, &self.online, self.mesh_degree, rng);
        } else {
            churn::detach(g, i, &self.online, self.mesh_degree, rng);
        }
    }

    /// Participant `i` goes offline (or leaves, in `leave` mode).
    fn go_down(&mut self, now: SimTime, i: u32) {
        let idx = i as usize;
        let leave = self.churn_mode == ChurnMode::Leave;
        match self.presence[idx] {
            Presence::Left => return,
            Presence::Offline => {
                self.offline_depth[idx] += 1;
                return;
            }
            Presence::Absent => {
                if leave {
                    self.presence[idx] = Presence::Left;
                    self.rec.participant_left(i);
                    if let Some(c) = &mut self.churn_stats {
                        c.left += 1;
                    }
                }
                return;
            }
            Presence::Online => {}
        }
        if let Some(c) = &mut self.churn_stats {
            if leave {
                c.left += 1;
            } else {
                c.offline_events += 1;
            }
        }
        if leave {
            self.presence[idx] = Presence::Left;
            self.rec.participant_left(i);
        } else {
            self.presence[idx] = Presence::Offline;
            self.offline_depth[idx] = 1;
        }
        self.online[idx] = false;
        self.store_client_down(now, i);
        // Bytes still queued in its uplink never leave, although its core saw them sent.
        self.net.drop_uplink_queue(i, now);
        for s in &mut self.nodes[idx].slots {
            if !s.quiescent {
                self.non_quiescent -= 1;
                s.quiescent = true; // offline participants are not waited for
            }
            s.timer_at_ms = None; // queued timers become stale
        }
        self.regraft(i, false);
    }

    /// The end of one of participant `i`'s offline windows; back online when it was the last.
    fn go_up(&mut self, now: SimTime, i: u32) {
        let idx = i as usize;
        if self.presence[idx] != Presence::Offline {
            return;
        }
        self.offline_depth[idx] = self.offline_depth[idx].saturating_sub(1);
        if self.offline_depth[idx] > 0 {
            return;
        }
        self.presence[idx] = Presence::Online;
        self.online[idx] = true;
        self.regraft(i, true);
        if self.churn_mode == ChurnMode::Crash {
            if let Some(c) = &mut self.churn_stats {
                c.crashes += 1;
            }
            self.rec.crashed(i, now);
            for slot in 0..self.nodes[idx].slots.len() {
                let seed = {
                    use rand::Rng;
                    self.crash_rngs[idx]
                        .get_or_insert_with(|| {
                            stream(self.seed, StreamKind::Churn, 2 + u64::from(i))
                        })
                        .next_u64()
                };
                self.fresh_core(now, i, slot, seed);
            }
            self.store_client_up(now, i, true);
        } else {
            let now_ms = self.now_ms(i, now);
            for slot in 0..self.nodes[idx].slots.len() {
                if let Proto::Sds(c) = &mut self.nodes[idx].slots[slot].proto {
                    c.handle_timeout(now_ms);
                }
                self.after_input(now, i, slot, true);
            }
            self.store_client_up(now, i, false);
        }
    }

    /// Late joiner `i` joins with fresh cores.
    fn join(&mut self, now: SimTime, i: u32) {
        let idx = i as usize;
        if self.presence[idx] != Presence::Absent {
            return;
        }
        self.presence[idx] = Presence::Online;
        self.online[idx] = true;
        if let Some(c) = &mut self.churn_stats {
            c.joined += 1;
        }
        self.regraft(i, true);
        for slot in 0..self.nodes[idx].slots.len() {
            let ch = self.nodes[idx].slots[slot].channel as usize;
            self.fresh_core(now, i, slot, core_seed(self.seed, i, ch));
        }
        self.store_client_up(now, i, true);
    }

    /// Replaces participant `i`'s core in `slot` by a fresh one created at `now` (its wall
    /// clock) with `seed`, and arms its first timer.
    fn fresh_core(&mut self, now: SimTime, i: u32, slot: usize, seed: u64) {
        let now_ms = self.now_ms(i, now);
        let s = &mut self.nodes[i as usize].slots[slot];
        s.timer_at_ms = None;
        if self.protocol == Protocol::Sds {
            let ch = s.channel as usize;
            s.proto = Proto::Sds(Box::new(sds::Channel::new(
                self.channels[ch].id.clone(),
                participant_id(i),
                self.configs[ch].clone(),
                now_ms,
                seed,
            )));
        }
        self.after_input(now, i, slot, false);
    }
}

/// Store nodes and the store client (see [`super::store`] for the model and its sources).
impl Simulation {
    /// Sends one copy of a content message (`kind`, `bytes`, `hash`) from participant `from`
    /// to every store node online at `now` (none while `from` is isolated).
    #[allow(clippy::too_many_arguments)]
    fn ingest_copies(
        &mut self,
        now: SimTime,
        channel: u32,
        from: u32,
        kind: TrafficKind,
        bytes: &Bytes,
        hash: &Bytes,
        id: &str,
    ) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        if self.net.is_isolated(now, from) {
            return;
        }
        let message_id: Rc<str> = Rc::from(id);
        for s in 0..st.nodes.len() as u32 {
            if !st.nodes[s as usize].online(now) {
                continue;
            }
            let latency = self.net.sample_latency_us(from, s, &mut st.rng);
            let size = bytes.len() as u64;
            st.stats.ingest_copies += 1;
            st.stats.ingest_bytes += size;
            self.net.count_store_copy(from, kind, size);
            self.queue.push(
                now + latency,
                Ev::StoreIngest {
                    store: s,
                    msg: Box::new(Stored {
                        at: 0,
                        channel,
                        message_id: Rc::clone(&message_id),
                        hash: hash.clone(),
                        bytes: bytes.clone(),
                    }),
                },
            );
        }
    }

    fn store_ingest(&mut self, now: SimTime, store: u32, mut msg: Stored) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        let node = &mut st.nodes[store as usize];
        if node.online(now) {
            msg.at = now;
            node.ingest(msg);
        } else {
            node.stats.copies_while_offline += 1;
        }
    }

    /// Starts a query of participant `i`'s `slot` to its preferred store node (`i mod
    /// nodes`).
    fn send_query(&mut self, now: SimTime, i: u32, slot: usize, kind: QueryKind, all_pages: bool) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        let id = st.next_query;
        st.next_query += 1;
        let store = (i + st.clients[i as usize][slot].rotation) % st.nodes.len() as u32;
        st.queries.insert(
            id,
            Query {
                node: i,
                slot: slot as u16,
                store,
                attempt: 0,
                kind,
                all_pages,
                seq: 0,
                answered: false,
            },
        );
        st.clients[i as usize][slot].in_flight = Some(id);
        self.send_request(now, id);
    }

    /// Puts query `id` (its current store and page) on the wire, with its timeout.
    fn send_request(&mut self, now: SimTime, id: u64) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        let Some(q) = st.queries.get_mut(&id) else {
            return;
        };
        q.seq += 1;
        q.answered = false;
        let (seq, node, store) = (q.seq, q.node, q.store);
        match q.kind {
            QueryKind::ByHash(_) => st.stats.queries_by_hash += 1,
            QueryKind::Range { .. } => st.stats.queries_by_range += 1,
        }
        st.stats.query_bytes += q.kind.request_bytes();
        self.queue
            .push(now + st.timeout, Ev::StoreTimeout { query: id, seq });
        if self.net.is_isolated(now, node) {
            return; // never arrives; the timeout fires
        }
        let latency = self.net.sample_latency_us(node, store, &mut st.rng);
        self.queue
            .push(now + latency, Ev::StoreRequest { query: id, seq });
    }

    fn store_request(&mut self, now: SimTime, id: u64, seq: u32) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        let Some(q) = st.queries.get(&id).filter(|q| q.seq == seq) else {
            return;
        };
        let node = &mut st.nodes[q.store as usize];
        if !node.online(now) {
            node.stats.queries_while_offline += 1;
            return;
        }
        let channel = self.nodes[q.node as usize].slots[q.slot as usize].channel;
        let page = node.answer(now, channel, &q.kind, st.page_size, st.retention);
        let latency = self.net.sample_latency_us(q.store, q.node, &mut st.rng);
        self.queue.push(
            now + latency,
            Ev::StoreReply {
                query: id,
                seq,
                page: Box::new(page),
                handed_over: false,
            },
        );
    }

    fn store_reply(&mut self, now: SimTime, id: u64, seq: u32, page: Page, handed_over: bool) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        let Some(q) = st.queries.get_mut(&id).filter(|q| q.seq == seq) else {
            return; // the client gave up on this sending
        };
        let (i, slot) = (q.node, q.slot as usize);
        if !handed_over {
            q.answered = true;
            let size = page.response_bytes();
            st.stats.response_bytes += size;
            let wait = self.net.downlink_delay(i, now, size);
            if wait > 0 {
                self.queue.push(
                    now + wait,
                    Ev::StoreReply {
                        query: id,
                        seq,
                        page: Box::new(page),
                        handed_over: true,
                    },
                );
                return;
            }
        }
        if self.presence[i as usize] != Presence::Online {
            return; // go_down already dropped the query
        }
        // Hand every message to the core, oldest first, with its hash as retrieval hint.
        let now_ms = wall_ms(self.epoch_ms, &self.offsets_us, i, now);
        let channel = self.nodes[i as usize].slots[slot].channel;
        if let Proto::Sds(c) = &mut self.nodes[i as usize].slots[slot].proto {
            let client = &mut st.clients[i as usize][slot];
            for m in &page.messages {
                st.stats.messages_retrieved += 1;
                if let Some(mi) = self.rec.lookup(channel, &m.message_id) {
                    if self.rec.is_expected(mi, i) && self.rec.delivery(mi, i).is_none() {
                        st.stats.messages_retrieved_new += 1;
                    }
                }
                client.missing.remove(&*m.message_id);
                let _ = c.handle_message(now_ms, m.bytes.clone(), Some(m.hash.clone()));
            }
        }
        // Next page, or done.
        let q = st.queries.get_mut(&id).expect("query checked above");
        if let QueryKind::ByHash(asked) = &q.kind {
            if page.messages.len() < asked.len() {
                let client = &mut st.clients[i as usize][slot];
                client.rotation = client.rotation.wrapping_add(1);
            }
        }
        let more = match (&mut q.kind, page.next) {
            (QueryKind::Range { cursor, .. }, Some(next))
                if q.all_pages || page.messages.is_empty() =>
            {
                *cursor = next;
                true
            }
            _ => false,
        };
        if more {
            self.after_input(now, i, slot, false);
            self.send_request(now, id);
            return;
        }
        let was_range = matches!(q.kind, QueryKind::Range { .. });
        st.queries.remove(&id);
        let client = &mut st.clients[i as usize][slot];
        client.in_flight = None;
        if was_range {
            client.last_successful_query = now;
        }
        let connect = std::mem::take(&mut client.connect_pending);
        self.after_input(now, i, slot, false);
        if connect {
            self.query_on_connect(now, i, slot);
        }
        self.arm_missing_tick(now, i, slot);
    }

    fn store_timeout(&mut self, now: SimTime, id: u64, seq: u32) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        let Some(q) = st
            .queries
            .get_mut(&id)
            .filter(|q| q.seq == seq && !q.answered)
        else {
            return;
        };
        st.stats.query_timeouts += 1;
        q.attempt += 1;
        if (q.attempt as usize) < st.nodes.len() {
            q.store = (q.store + 1) % st.nodes.len() as u32;
            self.send_request(now, id);
            return;
        }
        // Every store node failed: give up (the retriever tries again at its next tick).
        let (i, slot) = (q.node, q.slot as usize);
        st.queries.remove(&id);
        st.clients[i as usize][slot].in_flight = None;
        st.clients[i as usize][slot].connect_pending = false;
        self.arm_missing_tick(now, i, slot);
    }

    /// Store node `store` is back: the participants that use it as preferred store node
    /// query on connect if they were offline since their last successful query or that
    /// query is older than `retrieval.force_query_after` (js-waku `maybeQuery`).
    fn store_up(&mut self, now: SimTime, store: u32) {
        let Some(st) = self.store.as_ref() else {
            return;
        };
        if !st.nodes[store as usize].online(now) || !st.query {
            return;
        }
        let nodes = st.nodes.len() as u32;
        for i in (store..self.nodes.len() as u32).step_by(nodes as usize) {
            if self.presence[i as usize] != Presence::Online {
                continue;
            }
            for slot in 0..self.nodes[i as usize].slots.len() {
                let st = self.store.as_ref().expect("checked above");
                let last = st.clients[i as usize][slot].last_successful_query;
                if st.last_offline[i as usize] > last || now.saturating_sub(last) > st.force_after {
                    self.query_on_connect(now, i, slot);
                }
            }
        }
    }

    /// A time-range query from the last successful one (at most 30 days back) to now,
    /// unless query on connect is off; deferred while another query is in flight.
    fn query_on_connect(&mut self, now: SimTime, i: u32, slot: usize) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        if !st.query || st.on_connect == QueryOnConnect::Off {
            return;
        }
        let client = &mut st.clients[i as usize][slot];
        if client.in_flight.is_some() {
            client.connect_pending = true;
            return;
        }
        st.stats.queries_on_connect += 1;
        let start = client
            .last_successful_query
            .max(now.saturating_sub(MAX_TIME_RANGE_QUERY_US));
        let all_pages = st.on_connect == QueryOnConnect::AllPages;
        self.send_query(
            now,
            i,
            slot,
            QueryKind::Range {
                start,
                end: now,
                cursor: 0,
            },
            all_pages,
        );
    }

    /// Queues the missing-message retriever's next tick for participant `i`'s `slot` if it
    /// has missing dependencies and no tick is queued.
    fn arm_missing_tick(&mut self, now: SimTime, i: u32, slot: usize) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        if !st.query
            || st.tick_at[i as usize][slot].is_some()
            || st.clients[i as usize][slot].missing.is_empty()
        {
            return;
        }
        let at = now + st.missing_interval;
        st.tick_at[i as usize][slot] = Some(at);
        self.queue.push(
            at,
            Ev::MissingTick {
                node: i,
                slot: slot as u16,
                at,
            },
        );
    }

    /// The missing-message retriever: one query by hash for every missing dependency
    /// (at most `store.page_size` of them), unless a query is in flight; then the next
    /// tick.
    fn missing_tick(&mut self, now: SimTime, i: u32, slot: usize, at: SimTime) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        if st.tick_at[i as usize][slot] != Some(at) {
            return; // stale
        }
        st.tick_at[i as usize][slot] = None;
        if self.presence[i as usize] != Presence::Online {
            return;
        }
        let client = &st.clients[i as usize][slot];
        if client.in_flight.is_none() && !client.missing.is_empty() {
            let hashes: Vec<Bytes> = client
                .missing
                .values()
                .take(st.page_size)
                .cloned()
                .collect();
            self.send_query(now, i, slot, QueryKind::ByHash(hashes), false);
        }
        self.arm_missing_tick(now, i, slot);
    }

    /// Participant `i` went offline at `now`: its store queries are dropped and its
    /// retriever stops until it is back.
    fn store_client_down(&mut self, now: SimTime, i: u32) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        st.last_offline[i as usize] = now;
        for (slot, client) in st.clients[i as usize].iter_mut().enumerate() {
            if let Some(q) = client.in_flight.take() {
                st.queries.remove(&q);
            }
            client.connect_pending = false;
            st.tick_at[i as usize][slot] = None;
        }
    }

    /// Participant `i` is back (`fresh`: with a fresh core, so a fresh client too): query
    /// on connect and restart the retriever.
    fn store_client_up(&mut self, now: SimTime, i: u32, fresh: bool) {
        let Some(st) = self.store.as_mut() else {
            return;
        };
        if fresh {
            for c in st.clients[i as usize].iter_mut() {
                *c = Client::default();
            }
        }
        for slot in 0..self.nodes[i as usize].slots.len() {
            self.query_on_connect(now, i, slot);
            self.arm_missing_tick(now, i, slot);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The queue holds one `Ev` per copy in flight (millions with 10,000 participants): a
    /// larger variant costs memory and time on every copy. Box big payloads instead.
    #[test]
    fn event_stays_small() {
        assert!(std::mem::size_of::<super::Ev>() <= 32);
    }
}
