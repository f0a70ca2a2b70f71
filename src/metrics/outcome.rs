//! What a finished run produced: the recorder's ground truth, the network's counters, the final
//! state of every participant and the figures of each node role. The engine builds a
//! [`RunOutcome`]; reports, comparisons and tests read it without naming the engine.

use crate::metrics::trace::Trace;
use crate::metrics::Recorder;
use crate::net::Network;
use crate::sds;
use crate::time::SimTime;

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
    /// The name used in reports (`settled`, `drain-limit`, `no-events`).
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
    /// Windows shaded in reports (µs): one per `[[churn.offline]]` entry and one for
    /// `[churn.random]`, ends clamped to the workload end.
    pub windows: Vec<(SimTime, SimTime)>,
}

/// Counters of one store node (reported as is in `summary.store.nodes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreNodeStats {
    /// Distinct messages stored.
    pub messages_stored: u64,
    /// Their bytes.
    pub bytes_stored: u64,
    /// Copies that arrived while it was offline (lost to it).
    pub copies_while_offline: u64,
    /// Queries answered (one per page).
    pub queries_answered: u64,
    /// Queries that arrived while it was offline (never answered).
    pub queries_while_offline: u64,
    /// Messages returned in responses.
    pub messages_served: u64,
    /// Response bytes sent.
    pub bytes_served: u64,
}

/// Store-client counters over all participants (reported as is in `summary.store`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreClientStats {
    /// Queries by hash sent (missing-message retrieval), counting retries.
    pub queries_by_hash: u64,
    /// Time-range queries sent (query on connect), one per page.
    pub queries_by_range: u64,
    /// Queries with no answer within `store.query_timeout`.
    pub query_timeouts: u64,
    /// Request bytes sent by participants.
    pub query_bytes: u64,
    /// Response bytes received by participants.
    pub response_bytes: u64,
    /// Messages received in responses.
    pub messages_retrieved: u64,
    /// Of those, messages the participant had not delivered yet (expected deliveries).
    pub messages_retrieved_new: u64,
    /// Query-on-connect rounds started.
    pub queries_on_connect: u64,
    /// Content copies sent to store nodes (their bytes are in `ingest_bytes`).
    pub ingest_copies: u64,
    /// Bytes of those copies.
    pub ingest_bytes: u64,
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

/// Light-client figures of a run (`[light]`), over all light clients and service nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LightStats {
    /// Light clients.
    pub clients: u64,
    /// Service nodes (dedicated and relay participants that serve).
    pub service_nodes: u64,
    /// LightPush request copies sent (every attempt, every target).
    pub lightpush_requests: u64,
    /// Requests a service node accepted (one per request, the first acceptance).
    pub lightpush_accepted: u64,
    /// Attempts that found no connected service node (client disconnected or none left).
    pub lightpush_no_peer: u64,
    /// Attempts with no answer within `light.lightpush_timeout`.
    pub lightpush_timeouts: u64,
    /// Retries scheduled after a failed attempt.
    pub lightpush_retries: u64,
    /// Requests given up after the last retry failed (the message never left by LightPush).
    pub lightpush_given_up: u64,
    /// Requests abandoned because their client went to sleep, crashed or left.
    pub lightpush_interrupted: u64,
    /// Filter pushes sent by service nodes (copies, including those lost on the link).
    pub filter_pushes: u64,
    /// Pushes not sent because the subscriber was disconnected or asleep at that moment.
    pub filter_pushes_to_disconnected: u64,
    /// Subscriptions a service node dropped for want of a ping within
    /// `light.subscription_timeout`.
    pub subscriptions_expired: u64,
    /// Subscriptions lost when their service node restarted.
    pub subscriptions_lost_restart: u64,
    /// Subscribe requests sent.
    pub subscribe_requests: u64,
    /// Subscribe requests a full service node refused (`light.max_subscribers`).
    pub subscribe_refused: u64,
    /// Pings sent.
    pub pings: u64,
    /// Pings that failed (no answer, or the service node no longer had the subscription).
    pub pings_failed: u64,
    /// Service nodes a client replaced (failed pings or subscribe, a closed connection).
    pub peer_renewals: u64,
    /// Network switches that started.
    pub network_switches: u64,
    /// Reconnections (after a network switch or waking up).
    pub reconnects: u64,
    /// Bytes of pings, subscribe requests and the service nodes' answers.
    pub control_bytes: u64,
    /// Service-node outage windows as `(start, effective end)` in µs (for reports).
    #[serde(skip)]
    pub windows: Vec<(SimTime, SimTime)>,
}

/// What a finished run hands to the report.
pub struct RunOutcome {
    /// Ground truth: publications, deliveries, acknowledgements, protocol counters.
    pub recorder: Recorder,
    /// The network with its per-node and per-kind traffic counters.
    pub network: Network,
    /// The run's channels (index = channel number used by the recorder).
    pub channels_spec: Vec<ChannelSpec>,
    /// Simulated time at which the run stopped (µs).
    pub end: SimTime,
    /// End of the workload phase (µs).
    pub workload_end: SimTime,
    pub stop_reason: StopReason,
    /// Events processed, including the redundant copies accounted when sent
    /// (`elided_copies`).
    pub events: u64,
    /// Redundant relay copies (to a participant that has the packet by their arrival)
    /// counted when sent instead of going through the event queue (the engine's elision):
    /// events of the run that never were in the queue. For `perf.json`.
    pub elided_copies: u64,
    /// Largest number of events in the queue at any time (elided copies are never in it).
    pub peak_pending_events: usize,
    /// Copies handed to a participant's driver (network arrivals and store answers): the
    /// receipts a core processed. For `perf.json` (the floor estimate), not the report.
    pub core_receipts: u64,
    /// Per participant: final local-log length summed over its channels (for `none`: the
    /// messages it delivered).
    pub final_log_len: Vec<usize>,
    /// Per participant: messages still waiting in incoming buffers at the end.
    pub final_incoming_buffer: Vec<usize>,
    /// Number of distinct final logs among the members of each channel, summed over
    /// channels (departed participants not compared): local logs compared in order; for
    /// `none`, the sets of messages each member published or delivered. Equal to the number
    /// of channels when every member of every channel agrees.
    pub distinct_final_logs: u64,
    /// Every participant's built-in core for the group channel (channel 0) as it ended
    /// (`None` for other implementations, the `none` baseline or a participant outside
    /// channel 0), for tests and tools that inspect final state (local logs, Lamport
    /// clocks, buffers). Empty when the run was made `Simulation::without_final_cores`
    /// (`sim run`: nothing it writes reads them).
    pub channels: Vec<Option<sds::Channel>>,
    /// Churn figures; `None` when the scenario has no churn.
    pub churn: Option<ChurnStats>,
    /// The running hash of every event, when tracing was enabled (`--check-determinism`).
    pub trace: Option<Trace>,
    /// Store figures; `None` without store nodes.
    pub store: Option<StoreOutcome>,
    /// Light-client figures; `None` without `[light]`.
    pub light: Option<LightStats>,
    /// The traced message (`--trace-message`); `None` when not asked for.
    pub message_trace: Option<super::observe::MessageTrace>,
    /// Per-participant time series (`--timeseries`); `None` when not asked for.
    pub timeseries: Option<super::observe::Timeseries>,
}
