//! The scenario schema: what a `scenarios/*.toml` file may say.
//!
//! Every struct denies unknown fields. Defaults live with their table, in the `default_*`
//! functions and `Default` impls of the schema modules, and nowhere else; `scenarios/README.md`
//! documents every key (type, unit, default, valid range), and a test keeps it complete.
//! Durations are strings with a unit (`"250ms"`, `"90s"`, `"10m"`, `"1h"`, `"1.5s"`,
//! `"100us"`) and are held as [`SimDuration`] (whole microseconds).
//!
//! This file holds [`Scenario`] and its top-level keys (`protocol`, `clock_skew`,
//! `[[clock_skew_fixed]]`) and `[sds]`, the core's configuration. The other tables are parts,
//! each re-exported here (every schema type is `scenario::types::X` and `scenario::X`):
//! `workload.rs` (`[workload]`), `network.rs` (`[network]`, `[[node_classes]]`,
//! `[[partitions]]`), `churn.rs` (`[churn]`), `store.rs` (`[store]`, `[retrieval]`). The
//! schema names `duration` for its values and never loads, validates or runs a scenario
//! (`loader.rs`, `validate.rs`, `bounds.rs`, the engine).

mod churn;
mod network;
mod store;
mod workload;

pub use churn::*;
pub use network::*;
pub use store::*;
pub use workload::*;

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
    /// protocol timers keep running, and the run stops as soon as it is settled (every
    /// expected delivery made, every participant quiescent, nothing in flight) or when the
    /// bound passes. Default 60m: long enough for js-waku's 10 resends 30 s apart and
    /// several SDS-R rounds (T_max 120 s) after the last fault, so that a minimal scenario
    /// reports a final delivery ratio; `"0s"` stops at the end of the workload.
    #[serde(default = "default_drain")]
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
    /// `[light]`: light clients behind service nodes (see [`super::light`]). Default:
    /// none (every participant is a relay or broadcast member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub light: Option<super::light::Light>,
}

impl Scenario {
    /// Nodes of the network: the participants, then the dedicated service nodes of
    /// `[light]`.
    pub fn network_nodes(&self) -> u32 {
        self.participants + self.light.as_ref().map_or(0, |l| l.service_nodes)
    }

    /// Whether participant `i` is a light client (`[light]`).
    pub fn is_light_client(&self, i: u32) -> bool {
        self.light.as_ref().is_some_and(|l| l.is_client(i))
    }
}

pub fn default_seed() -> u64 {
    1
}
pub fn default_drain() -> SimDuration {
    SimDuration::from_secs(3_600)
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

impl Protocol {
    /// The name as scenario files spell it: `"sds"` or `"none"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sds => "sds",
            Protocol::None => "none",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[sds]`: the core's configuration (see `sds::Config` for the sources of each default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdsParams {
    /// Causal history length N. Default 200 (js-waku 0.0.8
    /// `message_channel.js:19 DEFAULT_CAUSAL_HISTORY_SIZE`; the spec recommends 2, `sds.profile
    /// = "spec"`, which loses messages across partitions: README Finding 1).
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
    /// Message id rule: `payload-sha256` (default, js-waku 0.0.8 ReliableChannel: the id is the
    /// payload's SHA-256, so identical payloads collide) or `unique`.
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
    200
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
    Unique,
    /// Lowercase hex SHA-256 of the payload (js-waku 0.0.8, the default; identical payloads
    /// collide).
    #[default]
    PayloadSha256,
}

/// `[sds.sync]`: when participants send sync messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncParams {
    /// `periodic`, `trickle`, `reliable-channel` or `off`. Default `reliable-channel` (js-waku
    /// 0.0.8 under `@waku/sdk` 0.0.36's ReliableChannel; the spec's is `periodic`).
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
    Periodic,
    /// RFC 6206 Trickle (`sds::SyncPolicy::Trickle`).
    Trickle,
    /// js-waku reliable channel's randomised re-armed timer
    /// (`sds::SyncPolicy::ReliableChannel`). The default (js-waku 0.0.8).
    #[default]
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
    /// Response groups G; 0 means `participants div 128 + 1` (PROTOCOL.md §3, the spec's
    /// rule). Default 1 (js-waku 0.0.8 `repair/repair.js:15
    /// DEFAULT_REPAIR_CONFIG.numResponseGroups`: every participant is in the one group).
    #[serde(default = "default_response_groups")]
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
pub fn default_response_groups() -> u32 {
    1
}

impl Default for RepairParams {
    fn default() -> Self {
        RepairParams {
            enabled: true,
            t_min: default_t_min(),
            t_max: default_t_max(),
            max_requests: default_max_requests(),
            response_groups: default_response_groups(),
        }
    }
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
