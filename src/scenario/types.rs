//! The scenario schema: what a `scenarios/*.toml` file may say.
//!
//! Every struct denies unknown fields. Defaults live here, in the `default_*` functions and
//! `Default` impls, and nowhere else; `scenarios/README.md` documents every key (type, unit,
//! default, valid range), and a test keeps it complete. Durations are strings with a unit (`"250ms"`, `"90s"`, `"10m"`, `"1h"`,
//! `"1.5s"`, `"100us"`) and are held as [`SimDuration`] (whole microseconds).

use serde::{Deserialize, Serialize};

use super::duration::{SignedDuration, SimDuration};
pub use super::implementation::{ExternalParams, ImplementationName, MixEntry};
pub use super::profile::ProfileName;

/// One simulation scenario, after parsing and defaults; validated by [`super::load`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Scenario name used in output paths and reports. Default: the file stem.
    #[serde(default)]
    pub name: String,
    /// Free-text description; echoed in reports.
    #[serde(default)]
    pub description: String,
    /// Root of every random stream of the run (DESIGN.md "Engine rules"). Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Number of participants in the channel (>= 1; >= 2 for a meaningful run).
    pub participants: u32,
    /// Reliability protocol run by every participant. Default `sds`.
    #[serde(default)]
    pub protocol: Protocol,
    /// Length of the workload phase (messages are published only in it).
    pub duration: SimDuration,
    /// Upper bound of the drain phase after the workload: faults heal, no new messages,
    /// protocol timers keep running until every participant is quiescent. Default 0s.
    #[serde(default)]
    pub drain: SimDuration,
    /// Unix time in ms at simulated time 0 (participants' wall clocks start here).
    /// Default 1_700_000_000_000 (2023-11-14T22:13:20Z).
    #[serde(default = "default_epoch_unix_ms")]
    pub epoch_unix_ms: u64,
    /// Bucket width of the delivery-over-time series in reports. Default 10s.
    #[serde(default = "default_report_interval")]
    pub report_interval: SimDuration,
    #[serde(default)]
    pub workload: Workload,
    #[serde(default)]
    pub network: Network,
    /// Timed partitions; several may overlap.
    #[serde(default)]
    pub partitions: Vec<Partition>,
    /// Node classes (`[[node_classes]]`): per-participant bandwidth, extra latency and loss.
    /// Participants in no class have no limits. Omitted from the serialized scenario when
    /// empty, so configurations without it keep their hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_classes: Vec<NodeClass>,
    #[serde(default)]
    pub sds: SdsParams,
    /// `[churn]`: offline windows, crashes, leaves and late joiners. Omitted from the
    /// resolved config (and its hash) when it is the default (no churn).
    #[serde(default, skip_serializing_if = "Churn::is_default")]
    pub churn: Churn,
    /// Per-participant wall-clock offsets drawn from this distribution (stream
    /// `ClockSkew`, one draw per participant). Default: none (every clock reads
    /// `epoch_unix_ms + t`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew: Option<ClockSkew>,
    /// `[[clock_skew_fixed]]`: fixed offsets for given participants; they override
    /// `clock_skew` for those ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clock_skew_fixed: Vec<FixedSkew>,
    /// `[store]`: store nodes that keep channel history and answer queries. Omitted from
    /// the resolved config (and its hash) when it is the default (no store nodes).
    #[serde(default, skip_serializing_if = "Store::is_default")]
    pub store: Store,
    /// `[retrieval]`: how participants fetch messages they miss (SDS-R, store queries,
    /// both or neither). Omitted from the resolved config when it is the default.
    #[serde(default, skip_serializing_if = "Retrieval::is_default")]
    pub retrieval: Retrieval,
}

pub fn default_seed() -> u64 {
    1
}
pub fn default_epoch_unix_ms() -> u64 {
    1_700_000_000_000
}
pub fn default_report_interval() -> SimDuration {
    SimDuration::from_secs(10)
}

/// `protocol = "sds" | "none"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// The SDS core (`src/sds`), with SDS-R as configured in `[sds.repair]`.
    #[default]
    Sds,
    /// Baseline: each message is broadcast once; no acknowledgement, resend or repair.
    None,
}

/// `[workload]`: who publishes content messages and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Content messages per second, group-wide. Default 1.0.
    #[serde(default = "default_rate_per_s")]
    pub rate_per_s: f64,
    /// Payload size of each content message in bytes (the application payload, before SDS
    /// framing). Default 1024.
    #[serde(default = "default_payload_bytes")]
    pub payload_bytes: u32,
    /// Inter-arrival process. Default `poisson`.
    #[serde(default)]
    pub arrival: Arrival,
    /// Scripted publications, in addition to the random ones (`[[workload.publish]]`). Set
    /// `rate_per_s = 0` for a purely scripted workload.
    #[serde(default)]
    pub publish: Vec<ScriptedPublish>,
    /// True (default): every participant is a member of the group channel (`sdsim`), the
    /// channel `rate_per_s` and `[[workload.publish]]` publish on. False: no group
    /// channel (a purely direct-message workload; needs `[workload.direct]`, and then
    /// `rate_per_s` must be 0 and `publish` empty). Omitted from the resolved config when
    /// true.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub group: bool,
    /// `[workload.direct]`: 1:1 conversations (two-member channels). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<DirectWorkload>,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// `[workload.direct]`: `conversations` 1:1 channels between distinct pairs of participants
/// drawn from the seed (stream `Workload`, id 1), as used for contact requests and private
/// chats (Status 1:1 chats; Waku's chat2-reliable direct mode). Each conversation is its
/// own SDS channel (`dm-<a>-<b>`, a < b) whose two members are the only expected
/// receivers; each publishes at `rate_per_s` with `workload.arrival`, the sender drawn
/// uniformly from the two members (stream `Workload`, id 2 + conversation index), payloads
/// of `workload.payload_bytes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectWorkload {
    /// Number of conversations (>= 1, at most participants * (participants - 1) / 2).
    pub conversations: u32,
    /// Content messages per second per conversation (> 0).
    pub rate_per_s: f64,
}

/// `[[workload.publish]]`: participant `sender` publishes `count` content messages, the first
/// at `at`, then one every `interval`. All must fall inside the workload phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedPublish {
    /// Simulated time of the first publication (< duration).
    pub at: SimDuration,
    /// Publishing participant (< participants).
    pub sender: u32,
    /// Number of messages. Default 1.
    #[serde(default = "default_count")]
    pub count: u32,
    /// Time between consecutive messages of this entry. Default 0s (all at `at`).
    #[serde(default)]
    pub interval: SimDuration,
    /// Label shown in reports and tests (`messages.csv`); with `count > 1` the messages are
    /// labelled `<label>-0`, `<label>-1`, ... Default: none.
    #[serde(default)]
    pub label: Option<String>,
}

pub fn default_count() -> u32 {
    1
}

pub fn default_rate_per_s() -> f64 {
    1.0
}
pub fn default_payload_bytes() -> u32 {
    1024
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            rate_per_s: default_rate_per_s(),
            payload_bytes: default_payload_bytes(),
            arrival: Arrival::default(),
            publish: Vec::new(),
            group: true,
            direct: None,
        }
    }
}

/// Inter-arrival times of group-wide publications; each publication's sender is drawn
/// uniformly from the participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arrival {
    /// Exponential inter-arrival times with mean `1 / rate_per_s`.
    #[default]
    Poisson,
    /// Exactly `1 / rate_per_s` between publications.
    Constant,
}

/// `[network]`: the transport between participants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// How a broadcast reaches the group. Default `broadcast`.
    #[serde(default)]
    pub dissemination: Dissemination,
    /// Relay mesh degree D (`dissemination = "relay"`). Default 8 (GossipSub's D, as in
    /// Waku relay).
    #[serde(default = "default_mesh_degree")]
    pub mesh_degree: u32,
    #[serde(default)]
    pub latency: Latency,
    /// Bernoulli loss probability per delivered copy, in [0, 1]. Default 0.
    #[serde(default)]
    pub loss: f64,
    /// Probability that a copy which survives loss arrives twice (netem's `duplicate`), the
    /// second time after its own latency draw; in [0, 1]. Default 0.
    #[serde(default)]
    pub duplicate: f64,
    /// Bursty loss on every participant's egress (`[network.gilbert_elliott]`), in addition
    /// to `loss`. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gilbert_elliott: Option<GilbertElliott>,
    /// Timed degradation windows (`[[network.degradations]]`). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub degradations: Vec<Degradation>,
    /// Per-link overrides (`[[network.links]]`). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkOverride>,
}

/// `[network.gilbert_elliott]`: netem's `loss gemodel p [r [1-h [1-k]]]` (tc-netem(8);
/// Linux `net/sched/sch_netem.c`, `loss_gilb_ell`). A two-state Markov chain per sending
/// participant, advanced once per copy it sends: a copy sent in the good state is lost with
/// probability `1 - k`, in the bad state with `1 - h`; after the copy the state moves
/// good -> bad with probability `p` and bad -> good with probability `r`. Stationary loss
/// rate `(r (1 - k) + p (1 - h)) / (p + r)`; with `h = 0`, `k = 1` the mean loss burst is
/// `1 / r` copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GilbertElliott {
    /// P(good -> bad) per copy, in [0, 1].
    pub p: f64,
    /// P(bad -> good) per copy, in [0, 1]. Default `1 - p` (netem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<f64>,
    /// P(a copy gets through | bad state), in [0, 1]; netem's third argument is `1 - h`.
    /// Default 0 (every copy in the bad state is lost; netem's `1-h = 1`).
    #[serde(default)]
    pub h: f64,
    /// P(a copy gets through | good state), in [0, 1]; netem's fourth argument is `1 - k`.
    /// Default 1 (no loss in the good state; netem's `1-k = 0`).
    #[serde(default = "default_one")]
    pub k: f64,
}

pub fn default_one() -> f64 {
    1.0
}

impl GilbertElliott {
    /// `r`, or its default `1 - p`.
    pub fn r_or_default(&self) -> f64 {
        self.r.unwrap_or(1.0 - self.p)
    }
}

/// `[[network.degradations]]`: from `start` to `end`, copies that leave their sender in the
/// window (restricted to copies sent or received by `ids` when given) take `extra_latency`
/// more and are lost with an extra, independent probability `loss`. Windows still active at
/// the end of the workload end then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Degradation {
    /// Simulated time from run start at which the window begins (< duration).
    pub start: SimDuration,
    /// Simulated time from run start at which it ends (> start).
    pub end: SimDuration,
    /// Added to the one-way latency of every affected copy. Default 0s.
    #[serde(default)]
    pub extra_latency: SimDuration,
    /// Extra Bernoulli loss of every affected copy, in [0, 1]. Default 0.
    #[serde(default)]
    pub loss: f64,
    /// Participants whose links are degraded (copies they send or receive). Default: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<u32>>,
}

/// `[[network.links]]`: extra latency and loss on the link `from -> to` (and `to -> from`
/// when `bidirectional`). Several entries on one link compose: latencies add, losses are
/// independent draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// Sending participant (< participants).
    pub from: u32,
    /// Receiving participant (< participants, != from).
    pub to: u32,
    /// Added to the one-way latency of every copy on the link. Default 0s.
    #[serde(default)]
    pub extra_latency: SimDuration,
    /// Extra Bernoulli loss of every copy on the link, in [0, 1]. Default 0.
    #[serde(default)]
    pub loss: f64,
    /// Also applies to `to -> from`. Default true.
    #[serde(default = "default_true")]
    pub bidirectional: bool,
}

/// `[[node_classes]]`: a class of participants with their access-link properties. Members
/// are given by `fraction` (a contiguous block of ids taken from the end of the id range:
/// the first fraction class gets the last `floor(fraction * participants)` ids not listed
/// in any `ids` class, the next one the block before it, ...) or by explicit `ids`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeClass {
    /// Class name (non-empty, unique), e.g. `server`, `home`, `mobile`.
    pub name: String,
    /// Share of the participants in the class, in (0, 1]. Exactly one of fraction / ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// Explicit member ids. Exactly one of fraction / ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<u32>>,
    /// Uplink rate in bits/s (> 0). Default: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uplink_bps: Option<u64>,
    /// Downlink rate in bits/s (> 0). Default: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downlink_bps: Option<u64>,
    /// Added to every copy sent or received by a member. Default 0s.
    #[serde(default)]
    pub extra_latency: SimDuration,
    /// Extra Bernoulli loss of every copy sent or received by a member (one draw per
    /// member end of the copy), in [0, 1]. Default 0.
    #[serde(default)]
    pub loss: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dissemination {
    /// Every other member gets an independent copy (own latency draw, own loss draw).
    #[default]
    Broadcast,
    /// Gossip mesh (Waku relay): a random `mesh_degree`-regular graph from the seed; every
    /// participant forwards a packet to its mesh peers the first time it receives it.
    Relay,
    /// Ring with skip links (neighbours at distances 1, 2, 4, ...), flooded the same way.
    Ring,
}

pub fn default_mesh_degree() -> u32 {
    8
}

impl Default for Network {
    fn default() -> Self {
        Network {
            dissemination: Dissemination::default(),
            mesh_degree: default_mesh_degree(),
            latency: Latency::default(),
            loss: 0.0,
            duplicate: 0.0,
            gilbert_elliott: None,
            degradations: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// `[network.latency]`: one-way latency of a copy. Exactly one of `regions` or
/// `distribution`; with neither, a constant 50 ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Path (relative to the scenario file) of a region RTT matrix in milliseconds
    /// (`scenarios/data/inter-region-rtt-ms.csv` layout: `#` comment lines, a header
    /// `from,<region>...`, one row per region, empty diagonal). Participants are assigned to
    /// regions round-robin (participant i in region i mod R). One-way = RTT / 2.
    #[serde(default)]
    pub regions: Option<String>,
    /// One-way latency between two participants of the same region. Default 1ms.
    #[serde(default)]
    pub same_region: Option<SimDuration>,
    /// Added to every region-based latency; the sum is clamped at 0. Default none.
    #[serde(default)]
    pub jitter: Option<Distribution>,
    /// One-way latency of every copy drawn from this distribution (instead of `regions`).
    #[serde(default)]
    pub distribution: Option<Distribution>,
}

/// A distribution of durations, `{ kind = "...", ... }`. Draws below 0 are clamped to 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Distribution {
    Constant {
        value: SimDuration,
    },
    /// Uniform on [min, max].
    Uniform {
        min: SimDuration,
        max: SimDuration,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        mean: SimDuration,
        std_dev: SimDuration,
    },
    /// Log-normal with the given median (e^mu) and shape sigma (dimensionless).
    Lognormal {
        median: SimDuration,
        sigma: f64,
    },
    /// Pareto with the given scale (minimum) and shape alpha (dimensionless, > 0).
    Pareto {
        scale: SimDuration,
        shape: f64,
    },
}

/// `[[partitions]]`: from `start` to `heal`, copies between different groups are dropped.
/// Groups are given either by `fractions` (contiguous blocks of participant ids, in order,
/// sizes rounded down, the last block takes the remainder) or by explicit `ids`
/// (participants listed nowhere form one extra group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// Simulated time from run start at which the partition begins.
    pub start: SimDuration,
    /// Simulated time from run start at which it heals (> start). Partitions still active at
    /// the end of the workload heal then (drain phase: faults heal).
    pub heal: SimDuration,
    /// Group sizes as fractions of the participants; each in (0, 1], summing to 1 (±1e-9).
    #[serde(default)]
    pub fractions: Option<Vec<f64>>,
    /// Explicit groups of participant ids (0-based, < participants, each id at most once).
    #[serde(default)]
    pub ids: Option<Vec<Vec<u32>>>,
    /// Sugar for `ids = [[a], [b], ...]`: each listed participant is cut off from everyone
    /// (its own group; the unlisted participants form one group). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<Vec<u32>>,
    /// `both` (default): copies between different groups are dropped. `one-way`: only
    /// copies sent by a member of the first group (`fractions`/`ids`) or by an isolated
    /// participant (`isolate`) to a participant of another group are dropped; the other
    /// direction still flows.
    #[serde(default, skip_serializing_if = "PartitionDirection::is_both")]
    pub direction: PartitionDirection,
}

/// `partitions.direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionDirection {
    #[default]
    Both,
    OneWay,
}

impl PartitionDirection {
    /// True for the default, `both`.
    pub fn is_both(&self) -> bool {
        *self == PartitionDirection::Both
    }
}

/// `[sds]`: the core's configuration (see `sds::Config` for the sources of each default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdsParams {
    /// Causal history length N. Default 2 (spec recommendation).
    #[serde(default = "default_causal_history")]
    pub causal_history: u32,
    /// Bloom-filter hits that count as an acknowledgement. Default 2 (js-waku).
    #[serde(default = "default_possible_acks_threshold")]
    pub possible_acks_threshold: u32,
    /// Bloom filter capacity (elements). Default 10000 (js-waku).
    #[serde(default = "default_bloom_capacity")]
    pub bloom_capacity: u32,
    /// Bloom filter false-positive rate. Default 0.001 (js-waku).
    #[serde(default = "default_bloom_error_rate")]
    pub bloom_error_rate: f64,
    /// Period of eager-push resends of unacknowledged messages. Default 30s (js-waku).
    #[serde(default = "default_resend_interval")]
    pub resend_interval: SimDuration,
    /// Resends before giving up on a message. Default 10 (js-waku reliable channel).
    #[serde(default = "default_max_resends")]
    pub max_resends: u32,
    /// Message id rule: `unique` (default) or `payload-sha256` (js-waku).
    #[serde(default)]
    pub message_id: MessageIdRule,
    #[serde(default)]
    pub sync: SyncParams,
    #[serde(default)]
    pub repair: RepairParams,
    /// How long a received message may wait in the incoming buffer for missing dependencies
    /// before they are declared irretrievably lost (`sds::Config::lost_timeout_ms`, whole
    /// ms, >= 1 ms). Default: never (js-waku's `timeoutForLostMessagesMs` has no default).
    /// Omitted from the resolved config when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_timeout: Option<SimDuration>,
    /// What happens to a message whose dependencies were declared lost: `deliver` (default,
    /// js-waku 0.0.9's intent) or `drop` (js-waku 0.0.8 `sweepIncomingBuffer`).
    #[serde(default, skip_serializing_if = "LostPolicyName::is_default")]
    pub lost_policy: LostPolicyName,
    /// Bloom filter roll-over: `none` (default, js-waku) or `rebuild` (nim-sds
    /// `RollingBloomFilter.clean`).
    #[serde(default, skip_serializing_if = "BloomRolloverName::is_default")]
    pub bloom_rollover: BloomRolloverName,
    /// Which implementation runs the participants (`scenario::implementation`): `sdsim`
    /// (default), `js-waku-0.0.8` or `external`. Omitted from the resolved config when
    /// default.
    #[serde(default, skip_serializing_if = "ImplementationName::is_default")]
    pub implementation: ImplementationName,
    /// `[sds.external]`: the adapter program and the call limit. Omitted when default.
    #[serde(default, skip_serializing_if = "ExternalParams::is_default")]
    pub external: ExternalParams,
    /// Every SDS default set to one implementation's (`scenario::profile`); explicit keys
    /// override. Implied by `implementation = "js-waku-0.0.8"`. Omitted when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileName>,
    /// `[[sds.mix]]`: participants running another implementation (mixed groups). Omitted
    /// when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixEntry>,
}

/// `sds.lost_policy` (`sds::LostPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LostPolicyName {
    /// Deliver the held message anyway once its dependencies are declared lost.
    #[default]
    Deliver,
    /// Remove it from the incoming buffer without delivering it.
    Drop,
}

impl LostPolicyName {
    /// True for the default, `deliver`.
    pub fn is_default(&self) -> bool {
        *self == LostPolicyName::default()
    }
}

/// `sds.bloom_rollover` (`sds::BloomRollover`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BloomRolloverName {
    /// The filter only fills up.
    #[default]
    None,
    /// Rebuilt from the newest 80% of capacity once more than 120% were inserted.
    Rebuild,
}

impl BloomRolloverName {
    /// True for the default, `none`.
    pub fn is_default(&self) -> bool {
        *self == BloomRolloverName::default()
    }
}

pub fn default_causal_history() -> u32 {
    2
}
pub fn default_possible_acks_threshold() -> u32 {
    2
}
pub fn default_bloom_capacity() -> u32 {
    10_000
}
pub fn default_bloom_error_rate() -> f64 {
    0.001
}
pub fn default_resend_interval() -> SimDuration {
    SimDuration::from_secs(30)
}
pub fn default_max_resends() -> u32 {
    10
}

impl Default for SdsParams {
    fn default() -> Self {
        SdsParams {
            causal_history: default_causal_history(),
            possible_acks_threshold: default_possible_acks_threshold(),
            bloom_capacity: default_bloom_capacity(),
            bloom_error_rate: default_bloom_error_rate(),
            resend_interval: default_resend_interval(),
            max_resends: default_max_resends(),
            message_id: MessageIdRule::default(),
            sync: SyncParams::default(),
            repair: RepairParams::default(),
            lost_timeout: None,
            lost_policy: LostPolicyName::default(),
            bloom_rollover: BloomRolloverName::default(),
            implementation: ImplementationName::default(),
            external: ExternalParams::default(),
            profile: None,
            mix: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageIdRule {
    /// Hash of sender, Lamport timestamp and payload (Reliable Channel API spec).
    #[default]
    Unique,
    /// Lowercase hex SHA-256 of the payload (js-waku; identical payloads collide).
    PayloadSha256,
}

/// `[sds.sync]`: when participants send sync messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncParams {
    /// `periodic`, `trickle`, `reliable-channel` or `off`. Default `periodic`.
    #[serde(default)]
    pub policy: SyncPolicyName,
    /// Periodic: the period. Trickle: the minimum interval I_min. Reliable channel:
    /// `syncMinIntervalMs`. Default 30s.
    #[serde(default = "default_sync_interval")]
    pub interval: SimDuration,
    /// Trickle: the maximum interval I_max. Default 240s (I_min doubled 3 times).
    #[serde(default = "default_sync_interval_max")]
    pub interval_max: SimDuration,
    /// Trickle: redundancy constant k (send only if fewer than k syncs heard). Default 2.
    #[serde(default = "default_trickle_k")]
    pub redundancy: u32,
}

pub fn default_sync_interval() -> SimDuration {
    SimDuration::from_secs(30)
}
pub fn default_sync_interval_max() -> SimDuration {
    SimDuration::from_secs(240)
}
pub fn default_trickle_k() -> u32 {
    2
}

impl Default for SyncParams {
    fn default() -> Self {
        SyncParams {
            policy: SyncPolicyName::default(),
            interval: default_sync_interval(),
            interval_max: default_sync_interval_max(),
            redundancy: default_trickle_k(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncPolicyName {
    /// Every participant every `interval` (`sds::SyncPolicy::Periodic`).
    #[default]
    Periodic,
    /// RFC 6206 Trickle (`sds::SyncPolicy::Trickle`).
    Trickle,
    /// js-waku reliable channel's randomised re-armed timer
    /// (`sds::SyncPolicy::ReliableChannel`).
    ReliableChannel,
    /// No timer-driven syncs (`sds::SyncPolicy::Off`).
    Off,
}

/// `[sds.repair]`: SDS-R (PROTOCOL.md §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepairParams {
    /// SDS-R on or off. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// T_min. Default 30s (js-waku).
    #[serde(default = "default_t_min")]
    pub t_min: SimDuration,
    /// T_max. Default 120s (js-waku).
    #[serde(default = "default_t_max")]
    pub t_max: SimDuration,
    /// Requests sent per missing message before giving up. Default 3.
    #[serde(default = "default_max_requests")]
    pub max_requests: u32,
    /// Response groups G; 0 means `participants div 128 + 1` (PROTOCOL.md §3). Default 0.
    #[serde(default)]
    pub response_groups: u32,
}

pub fn default_true() -> bool {
    true
}
pub fn default_t_min() -> SimDuration {
    SimDuration::from_secs(30)
}
pub fn default_t_max() -> SimDuration {
    SimDuration::from_secs(120)
}
pub fn default_max_requests() -> u32 {
    3
}

impl Default for RepairParams {
    fn default() -> Self {
        RepairParams {
            enabled: true,
            t_min: default_t_min(),
            t_max: default_t_max(),
            max_requests: default_max_requests(),
            response_groups: 0,
        }
    }
}

/// `[churn]`: participants going offline and coming back, crashing, leaving, joining late.
/// Semantics: `scenarios/README.md` ("`[churn]`") and `engine::churn` (`plan.rs` for the schedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Churn {
    /// What going offline means. Default `sleep`.
    #[serde(default)]
    pub mode: ChurnMode,
    /// Explicit offline windows (`[[churn.offline]]`).
    #[serde(default)]
    pub offline: Vec<OfflineWindow>,
    /// A seeded random set of participants offline at once (`[churn.random]`).
    #[serde(default)]
    pub random: Option<RandomChurn>,
    /// Late joiners (`[[churn.join]]`).
    #[serde(default)]
    pub join: Vec<ChurnJoin>,
    /// True: a late joiner is expected to deliver its channel's whole history, including
    /// messages published before it joined. False: only messages published at or after
    /// its join time. Default true.
    #[serde(default = "default_true")]
    pub joiners_expect_history: bool,
}

impl Default for Churn {
    fn default() -> Self {
        Churn {
            mode: ChurnMode::default(),
            offline: Vec::new(),
            random: None,
            join: Vec::new(),
            joiners_expect_history: true,
        }
    }
}

impl Churn {
    /// True when nothing is set (used to omit `[churn]` from the resolved config).
    pub fn is_default(&self) -> bool {
        *self == Churn::default()
    }

    /// True if any participant goes offline, leaves or joins late.
    pub fn is_active(&self) -> bool {
        !self.offline.is_empty() || self.random.is_some() || !self.join.is_empty()
    }
}

/// `churn.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChurnMode {
    /// State kept; on waking the core's clock jumps and missed timers fire at once.
    #[default]
    Sleep,
    /// On coming back the participant's cores are replaced by fresh ones (state lost).
    Crash,
    /// Goes offline for good at the window's start.
    Leave,
}

/// `[[churn.offline]]`: participants `ids` are offline from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineWindow {
    /// Participant ids (< participants, at least one).
    pub ids: Vec<u32>,
    /// Simulated time the window starts (< duration).
    pub start: SimDuration,
    /// Simulated time it ends (> start); required for `sleep` and `crash`, ignored for
    /// `leave`. Windows still open at the end of the workload end then.
    #[serde(default)]
    pub end: Option<SimDuration>,
}

/// `[churn.random]`: `round(fraction x participants)` participants drawn from the seed go
/// offline at `start` (plus a uniform offset in `[0, stagger]` each) for `duration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomChurn {
    /// Fraction of the participants, in (0, 1].
    pub fraction: f64,
    /// Simulated time the first of them goes offline (+ stagger < duration).
    pub start: SimDuration,
    /// How long each stays offline (> 0; required for `sleep` and `crash`, ignored for
    /// `leave`).
    #[serde(default)]
    pub duration: Option<SimDuration>,
    /// Start times spread uniformly over `[start, start + stagger]`. Default 0s.
    #[serde(default)]
    pub stagger: SimDuration,
}

/// `[[churn.join]]`: participants `ids` do not exist before `at`; then they join with a
/// fresh core (empty state, wall clock of that time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChurnJoin {
    /// Participant ids (< participants, each joining at most once).
    pub ids: Vec<u32>,
    /// Simulated join time (< duration).
    pub at: SimDuration,
}

/// `clock_skew`: a distribution of signed wall-clock offsets, `{ kind = "...", ... }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClockSkew {
    /// Every participant gets `value`.
    Constant { value: SignedDuration },
    /// Uniform on [min, max].
    Uniform {
        min: SignedDuration,
        max: SignedDuration,
    },
    /// Normal with `mean` and standard deviation `std_dev`.
    Normal {
        mean: SignedDuration,
        std_dev: SimDuration,
    },
}

/// `[[clock_skew_fixed]]`: participant `id`'s clock reads `epoch_unix_ms + t + offset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedSkew {
    /// Participant id (< participants).
    pub id: u32,
    /// Signed offset, e.g. `"5s"` or `"-250ms"`.
    pub offset: SignedDuration,
}

/// `[store]`: store nodes (Waku Store, 13/WAKU2-STORE and Store v3). A store node subscribes
/// to every channel of the run: while online it receives one copy of every content message
/// (content, resend and repair-response transmissions) from its sender, keeps it for
/// `retention`, and answers queries by retrieval hint (message hash) and by time range,
/// `page_size` messages per response. Store node `s` sits in region `s mod R` of the
/// region matrix. Store traffic is a request/response stream (libp2p over TCP): no loss,
/// one-way latency drawn from the latency model each way, the receiver's downlink queue
/// applies; a participant isolated by an active `isolate` partition cannot reach any store
/// node (group partitions do not cut store nodes, which sit outside the groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Number of store nodes. Default 0 (none).
    #[serde(default)]
    pub nodes: u32,
    /// How long a store node keeps a message after receiving it. Default 48h (nwaku
    /// `--store-message-retention-policy` default `time:172800`).
    #[serde(default = "default_store_retention")]
    pub retention: SimDuration,
    /// Messages per response page (1..=100). Default 20 (nwaku `DefaultPageSize`; its
    /// `MaxPageSize` is 100).
    #[serde(default = "default_store_page_size")]
    pub page_size: u32,
    /// A query with no response after this long has failed; the participant tries the next
    /// store node. Default 5s (an assumption: libp2p dial and request timeouts are of this
    /// order; js-waku sets none explicitly).
    #[serde(default = "default_store_query_timeout")]
    pub query_timeout: SimDuration,
    /// `[[store.offline]]`: windows in which a store node is down (receives and answers
    /// nothing). Windows still open at the end of the workload end then (faults heal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offline: Vec<StoreOffline>,
}

pub fn default_store_retention() -> SimDuration {
    SimDuration::from_micros(48 * 3_600_000_000)
}
pub fn default_store_page_size() -> u32 {
    20
}
pub fn default_store_query_timeout() -> SimDuration {
    SimDuration::from_micros(5_000_000)
}

impl Default for Store {
    fn default() -> Self {
        Store {
            nodes: 0,
            retention: default_store_retention(),
            page_size: default_store_page_size(),
            query_timeout: default_store_query_timeout(),
            offline: Vec::new(),
        }
    }
}

impl Store {
    /// True when nothing is set (used to omit `[store]` from the resolved config).
    pub fn is_default(&self) -> bool {
        *self == Store::default()
    }
}

/// `[[store.offline]]`: store node `node` is down from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreOffline {
    /// Store node index (< `store.nodes`).
    pub node: u32,
    /// Simulated time the window starts (< duration).
    pub start: SimDuration,
    /// Simulated time it ends (> start).
    pub end: SimDuration,
}

/// `[retrieval]`: how a participant fetches messages it misses, after js-waku's
/// ReliableChannel (waku-org/specs `reliable-channel-api.md`, "Missing message retrieval"
/// and "Query on connect"; js-waku `missing_message_retriever.ts`, `query_on_connect.ts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrieval {
    /// `sds-r`, `store`, `both` or `none`. Default: `sds-r` when `sds.repair.enabled`
    /// (the default), else `none`. `store` and `both` need `store.nodes >= 1`; `store` and
    /// `none` turn SDS-R off; `sds-r` and `both` need `sds.repair.enabled = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RetrievalStrategy>,
    /// Period of the missing-message retriever: while some missing dependency with a
    /// retrieval hint is unresolved, one store query for all of them every this often.
    /// Default 10s (js-waku `DEFAULT_RETRIEVE_FREQUENCY_MS`).
    #[serde(default = "default_missing_interval")]
    pub missing_interval: SimDuration,
    /// Time-range store query when a participant comes back online, joins, or its store
    /// node comes back: `first-page` (default; js-waku: pages oldest first from the last
    /// successful query, stopping after the first page that holds a channel message),
    /// `all-pages` (every page of the range), or `off`.
    #[serde(default)]
    pub query_on_connect: QueryOnConnect,
    /// A store node coming back triggers a query-on-connect only if the participant was
    /// offline since its last successful query or that query is older than this. Default
    /// 5m (js-waku `DEFAULT_FORCE_QUERY_THRESHOLD_MS`).
    #[serde(default = "default_force_query_after")]
    pub force_query_after: SimDuration,
}

pub fn default_missing_interval() -> SimDuration {
    SimDuration::from_micros(10_000_000)
}
pub fn default_force_query_after() -> SimDuration {
    SimDuration::from_micros(300_000_000)
}

impl Default for Retrieval {
    fn default() -> Self {
        Retrieval {
            strategy: None,
            missing_interval: default_missing_interval(),
            query_on_connect: QueryOnConnect::default(),
            force_query_after: default_force_query_after(),
        }
    }
}

impl Retrieval {
    /// True when nothing is set (used to omit `[retrieval]` from the resolved config).
    pub fn is_default(&self) -> bool {
        *self == Retrieval::default()
    }
}

/// `retrieval.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetrievalStrategy {
    /// SDS-R repair only.
    SdsR,
    /// Store queries only (SDS-R off).
    Store,
    /// SDS-R and store queries.
    Both,
    /// Neither: only resends and causal history.
    None,
}

impl RetrievalStrategy {
    /// True if SDS-R runs.
    pub fn uses_sds_r(self) -> bool {
        matches!(self, RetrievalStrategy::SdsR | RetrievalStrategy::Both)
    }
    /// True if participants query store nodes.
    pub fn uses_store(self) -> bool {
        matches!(self, RetrievalStrategy::Store | RetrievalStrategy::Both)
    }
}

/// `retrieval.query_on_connect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryOnConnect {
    /// js-waku's behaviour: oldest page first, stop after the first page with a message.
    #[default]
    FirstPage,
    /// Every page of the time range.
    AllPages,
    /// No time-range queries.
    Off,
}

impl Scenario {
    /// The effective retrieval strategy (see [`Retrieval::strategy`]).
    pub fn retrieval_strategy(&self) -> RetrievalStrategy {
        self.retrieval
            .strategy
            .unwrap_or(if self.sds.repair.enabled {
                RetrievalStrategy::SdsR
            } else {
                RetrievalStrategy::None
            })
    }
}
