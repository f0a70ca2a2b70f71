//! `[network]` (dissemination, latency, loss, Gilbert-Elliott, degradations, per-link
//! overrides), `[[node_classes]]` and `[[partitions]]`: the transport between participants,
//! with the defaults of its keys.
//!
//! Part of the schema (`types.rs`): names only `duration` and the schema's shared
//! `default_true`.

use serde::{Deserialize, Serialize};

use super::default_true;
use crate::scenario::duration::SimDuration;

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
