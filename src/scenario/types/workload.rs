//! `[workload]`: who publishes content messages and when (group rate and arrival process,
//! scripted publications, direct conversations), with the defaults of its keys.
//!
//! Part of the schema (`types.rs`): names only `duration` and the schema's shared
//! `default_true`.

use serde::{Deserialize, Serialize};

use super::default_true;
use crate::scenario::duration::SimDuration;

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
