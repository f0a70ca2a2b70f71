//! Implementation profiles: `sds.profile` sets every SDS default to one implementation's
//! (scenarios/README.md, "`sds.profile`"). Keys the scenario (or `--set`) gives explicitly
//! keep their values; the resolved values are in the report's `config`.
//!
//! `sds.implementation = "js-waku-0.0.8"` (also for part of the participants, `[[sds.mix]]`)
//! implies `sds.profile = "js-waku-0.0.8"` unless a profile other than `sdsim-0.1` is named,
//! so that the adapter gets parameters its code can honour (its message ids, for one, are
//! always the payload's SHA-256).
//!
//! Without a profile the defaults of `SdsParams` stand, which are js-waku 0.0.8's (issue 14);
//! `sdsim-0.1` restores the four that were sdsim's own before (the shipped scenarios name it).
//!
//! Sources (file:line at the commits of CONFORMANCE.md): js-waku `@waku/sds` 0.0.8
//! (`dist/message_channel/message_channel.js`, `dist/message_channel/repair/*.js`) and
//! ReliableChannel of `@waku/sdk` 0.0.36 (waku-org/js-waku tag sds-v0.0.8,
//! `packages/sdk/src/reliable_channel/reliable_channel.ts`); nim-sds at
//! logos-messaging/nim-sds 07491b2 (`sds/types/reliability_config.nim`, `sds/sds.nim`,
//! `sds/types/rolling_bloom_filter.nim`); go-waku chat2-reliable at waku-org/go-waku 84a4b1b
//! (`examples/chat2-reliable/reliability.go`); the spec at vacp2p/rfc-index 155c310
//! (`docs/ift-ts/raw/sds.md`).

use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::implementation::ImplementationName;
use super::types::{BloomRolloverName, MessageIdRule, Scenario, SdsParams, SyncPolicyName};

/// `sds.profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileName {
    /// js-waku `@waku/sds` 0.0.8 under its ReliableChannel (`@waku/sdk` 0.0.36).
    #[serde(rename = "js-waku-0.0.8")]
    JsWaku008,
    /// nim-sds master (status-go through libsds).
    #[serde(rename = "nim-sds")]
    NimSds,
    /// go-waku `examples/chat2-reliable`.
    #[serde(rename = "go-waku-chat2")]
    GoWakuChat2,
    /// The SDS specification's recommendations (sdsim's defaults where it gives none, which
    /// are js-waku 0.0.8's).
    #[serde(rename = "spec")]
    Spec,
    /// sdsim's own defaults before issue 14 made js-waku 0.0.8's the defaults: the shipped
    /// scenarios name it so that the figures recorded with them hold. It stands in for "no
    /// profile" of those files: `sds.implementation = "js-waku-0.0.8"` replaces it with the
    /// js-waku profile, as it would fill an unnamed one.
    #[serde(rename = "sdsim-0.1")]
    Sdsim01,
}

/// One default of a profile: the key, its value (as written in a scenario), how to set it,
/// and where the value comes from.
pub struct ProfileDefault {
    /// Dotted key under the scenario root, e.g. `sds.causal_history`.
    pub key: &'static str,
    /// The value as a scenario would write it.
    pub value: &'static str,
    /// Sets it.
    pub set: fn(&mut SdsParams),
    /// The source of the value.
    pub source: &'static str,
}

macro_rules! d {
    ($key:literal, $value:literal, |$p:ident| $body:expr, $source:literal) => {
        ProfileDefault {
            key: $key,
            value: $value,
            set: |$p: &mut SdsParams| {
                $body;
            },
            source: $source,
        }
    };
}

const fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

/// js-waku `@waku/sds` 0.0.8 with the ReliableChannel of `@waku/sdk` 0.0.36.
pub const JS_WAKU_008: &[ProfileDefault] = &[
    d!(
        "sds.causal_history",
        "200",
        |p| p.causal_history = 200,
        "message_channel.js:19 DEFAULT_CAUSAL_HISTORY_SIZE"
    ),
    d!(
        "sds.possible_acks_threshold",
        "2",
        |p| p.possible_acks_threshold = 2,
        "message_channel.js:20 DEFAULT_POSSIBLE_ACKS_THRESHOLD"
    ),
    d!(
        "sds.bloom_capacity",
        "10000",
        |p| p.bloom_capacity = 10_000,
        "message_channel.js:11-14 DEFAULT_BLOOM_FILTER_OPTIONS"
    ),
    d!(
        "sds.bloom_error_rate",
        "0.001",
        |p| p.bloom_error_rate = 0.001,
        "message_channel.js:11-14 DEFAULT_BLOOM_FILTER_OPTIONS"
    ),
    d!(
        "sds.bloom_rollover",
        "\"none\"",
        |p| p.bloom_rollover = BloomRolloverName::None,
        "bloom.js: no roll-over"
    ),
    d!(
        "sds.resend_interval",
        "\"30s\"",
        |p| p.resend_interval = secs(30),
        "reliable_channel.ts:39 DEFAULT_RETRY_INTERVAL_MS"
    ),
    d!(
        "sds.max_resends",
        "10",
        |p| p.max_resends = 10,
        "reliable_channel.ts:40 DEFAULT_MAX_RETRY_ATTEMPTS"
    ),
    d!(
        "sds.message_id",
        "\"payload-sha256\"",
        |p| p.message_id = MessageIdRule::PayloadSha256,
        "message_channel.js:73-75 getMessageId = sha256(payload)"
    ),
    d!(
        "sds.sync.policy",
        "\"reliable-channel\"",
        |p| p.sync.policy = SyncPolicyName::ReliableChannel,
        "reliable_channel.ts:515-529 restartSync"
    ),
    d!(
        "sds.sync.interval",
        "\"30s\"",
        |p| p.sync.interval = secs(30),
        "reliable_channel.ts:38 DEFAULT_SYNC_MIN_INTERVAL_MS"
    ),
    d!(
        "sds.repair.enabled",
        "true",
        |p| p.repair.enabled = true,
        "message_channel.js:67 enableRepair ?? true"
    ),
    d!(
        "sds.repair.t_min",
        "\"30s\"",
        |p| p.repair.t_min = secs(30),
        "repair/repair.js:13 DEFAULT_REPAIR_CONFIG.tMin"
    ),
    d!(
        "sds.repair.t_max",
        "\"120s\"",
        |p| p.repair.t_max = secs(120),
        "repair/repair.js:14 DEFAULT_REPAIR_CONFIG.tMax"
    ),
    // No `sds.repair.max_requests`: 0.0.8 marks an id requested once (repair/buffers.js:52-74)
    // but forgets it when another participant requests it (repair/repair.js:128), and the next
    // message naming it missing adds it again with a new T_req (message_channel.js:395-398,
    // repair/repair.js:81-96); it never gives up. A limit of 1 turned one lost request or
    // response into a permanent loss (`partition` at 20 participants: 0.78 delivered against
    // 1.0 for js-waku itself, docs/implementations.md), so the profile keeps sdsim's 3.
    d!(
        "sds.repair.response_groups",
        "1",
        |p| p.repair.response_groups = 1,
        "repair/repair.js:15 DEFAULT_REPAIR_CONFIG.numResponseGroups"
    ),
];

/// nim-sds master (logos-messaging/nim-sds 07491b2).
pub const NIM_SDS: &[ProfileDefault] = &[
    d!(
        "sds.causal_history",
        "10",
        |p| p.causal_history = 10,
        "reliability_config.nim:6 DefaultMaxCausalHistory"
    ),
    d!(
        "sds.possible_acks_threshold",
        "1",
        |p| p.possible_acks_threshold = 1,
        "sds.nim:23-33 isAcknowledged: one bloom hit acknowledges"
    ),
    d!(
        "sds.bloom_capacity",
        "10000",
        |p| p.bloom_capacity = 10_000,
        "rolling_bloom_filter.nim:6 DefaultBloomFilterCapacity"
    ),
    d!(
        "sds.bloom_error_rate",
        "0.001",
        |p| p.bloom_error_rate = 0.001,
        "rolling_bloom_filter.nim:7 DefaultBloomFilterErrorRate"
    ),
    d!(
        "sds.bloom_rollover",
        "\"rebuild\"",
        |p| p.bloom_rollover = BloomRolloverName::Rebuild,
        "rolling_bloom_filter.nim:8 CapacityFlexPercent = 20, clean()"
    ),
    d!(
        "sds.resend_interval",
        "\"60s\"",
        |p| p.resend_interval = secs(60),
        "reliability_config.nim:7 DefaultResendInterval"
    ),
    d!(
        "sds.max_resends",
        "5",
        |p| p.max_resends = 5,
        "reliability_config.nim:8 DefaultMaxResendAttempts"
    ),
    d!(
        "sds.message_id",
        "\"unique\"",
        |p| p.message_id = MessageIdRule::Unique,
        "sds.nim:87 wrapOutgoingMessage: the application gives a unique id"
    ),
    d!(
        "sds.sync.policy",
        "\"periodic\"",
        |p| p.sync.policy = SyncPolicyName::Periodic,
        "sds.nim:499-507 periodicSyncMessage"
    ),
    d!(
        "sds.sync.interval",
        "\"30s\"",
        |p| p.sync.interval = secs(30),
        "reliability_config.nim:9 DefaultSyncMessageInterval"
    ),
    d!(
        "sds.repair.enabled",
        "true",
        |p| p.repair.enabled = true,
        "SDS-R (nim-sds #60)"
    ),
    d!(
        "sds.repair.t_min",
        "\"30s\"",
        |p| p.repair.t_min = secs(30),
        "reliability_config.nim:11 DefaultRepairTMin"
    ),
    d!(
        "sds.repair.t_max",
        "\"300s\"",
        |p| p.repair.t_max = secs(300),
        "reliability_config.nim:12 DefaultRepairTMax"
    ),
    d!(
        "sds.repair.max_requests",
        "1",
        |p| p.repair.max_requests = 1,
        "sds.nim:509-570 runRepairSweep: an entry is dropped once T_max has passed"
    ),
    d!(
        "sds.repair.response_groups",
        "1",
        |p| p.repair.response_groups = 1,
        "reliability_config.nim:13 DefaultNumResponseGroups"
    ),
];

/// go-waku `examples/chat2-reliable` (waku-org/go-waku 84a4b1b).
pub const GO_WAKU_CHAT2: &[ProfileDefault] = &[
    d!(
        "sds.causal_history",
        "10",
        |p| p.causal_history = 10,
        "reliability.go:108 getRecentMessageIDs(10)"
    ),
    d!(
        "sds.possible_acks_threshold",
        "1",
        |p| p.possible_acks_threshold = 1,
        "reliability.go:218-229: one bloom hit removes the message"
    ),
    d!(
        "sds.bloom_capacity",
        "10000",
        |p| p.bloom_capacity = 10_000,
        "reliability.go:17 bloomFilterSize"
    ),
    d!(
        "sds.bloom_error_rate",
        "0.01",
        |p| p.bloom_error_rate = 0.01,
        "reliability.go:18 bloomFilterFPRate"
    ),
    d!(
        "sds.bloom_rollover",
        "\"none\"",
        |p| p.bloom_rollover = BloomRolloverName::None,
        "reliability.go:19-20: a 1 h time window, not modelled"
    ),
    d!(
        "sds.resend_interval",
        "\"5s\"",
        |p| p.resend_interval = secs(5),
        "reliability.go:27 ackTimeout (the 1 s x 2^n backoff of :361-366 is not modelled)"
    ),
    d!(
        "sds.max_resends",
        "5",
        |p| p.max_resends = 5,
        "reliability.go:28 maxResendAttempts"
    ),
    d!(
        "sds.message_id",
        "\"unique\"",
        |p| p.message_id = MessageIdRule::Unique,
        "reliability.go:106 generateUniqueID"
    ),
    d!(
        "sds.sync.policy",
        "\"periodic\"",
        |p| p.sync.policy = SyncPolicyName::Periodic,
        "reliability.go:384-396 periodicSyncMessage"
    ),
    d!(
        "sds.sync.interval",
        "\"30s\"",
        |p| p.sync.interval = secs(30),
        "reliability.go:22 syncMessageInterval"
    ),
    d!(
        "sds.repair.enabled",
        "false",
        |p| p.repair.enabled = false,
        "no SDS-R (peer retrieval instead: peer_retrieval.go)"
    ),
];

/// The SDS specification (vacp2p/rfc-index 155c310 `docs/ift-ts/raw/sds.md`).
pub const SPEC: &[ProfileDefault] = &[
    d!(
        "sds.causal_history",
        "2",
        |p| p.causal_history = 2,
        "sds.md:195 we recommend a causal history of two message IDs"
    ),
    d!(
        "sds.possible_acks_threshold",
        "2",
        |p| p.possible_acks_threshold = 2,
        "sds.md:261 possibly acknowledged in multiple received bloom filters"
    ),
    d!(
        "sds.bloom_rollover",
        "\"rebuild\"",
        |p| p.bloom_rollover = BloomRolloverName::Rebuild,
        "sds.md:156 the bloom filter SHOULD be rolled over"
    ),
    d!(
        "sds.message_id",
        "\"unique\"",
        |p| p.message_id = MessageIdRule::Unique,
        "sds.md:81, :126 globally unique, immutable"
    ),
    d!(
        "sds.sync.policy",
        "\"periodic\"",
        |p| p.sync.policy = SyncPolicyName::Periodic,
        "sds.md:289-292 periodic sync messages (interval not given: sdsim's 30 s)"
    ),
    d!(
        "sds.repair.enabled",
        "true",
        |p| p.repair.enabled = true,
        "sds.md:331 SDS-R"
    ),
    d!(
        "sds.repair.t_min",
        "\"30s\"",
        |p| p.repair.t_min = secs(30),
        "sds.md:387 at least 30 seconds"
    ),
    d!(
        "sds.repair.t_max",
        "\"120s\"",
        |p| p.repair.t_max = secs(120),
        "sds.md:389 between 120 and 600 seconds"
    ),
    d!(
        "sds.repair.response_groups",
        "0",
        |p| p.repair.response_groups = 0,
        "sds.md:396 one group per 128 participants (0: n div 128 + 1)"
    ),
];

/// sdsim 0.1 before issue 14 (the serde defaults of `SdsParams` at commit 04054b2); every
/// other key has the same default as today.
pub const SDSIM_01: &[ProfileDefault] = &[
    d!(
        "sds.causal_history",
        "2",
        |p| p.causal_history = 2,
        "sdsim 04054b2 default_causal_history (the spec's recommendation, sds.md:195)"
    ),
    d!(
        "sds.message_id",
        "\"unique\"",
        |p| p.message_id = MessageIdRule::Unique,
        "sdsim 04054b2 MessageIdRule default (sds.md:81, :126 globally unique)"
    ),
    d!(
        "sds.sync.policy",
        "\"periodic\"",
        |p| p.sync.policy = SyncPolicyName::Periodic,
        "sdsim 04054b2 SyncPolicyName default (sds.md:289-292)"
    ),
    d!(
        "sds.repair.response_groups",
        "0",
        |p| p.repair.response_groups = 0,
        "sdsim 04054b2 RepairParams default (sds.md:396: n div 128 + 1)"
    ),
];

impl ProfileName {
    /// The defaults this profile sets.
    pub fn defaults(self) -> &'static [ProfileDefault] {
        match self {
            ProfileName::JsWaku008 => JS_WAKU_008,
            ProfileName::NimSds => NIM_SDS,
            ProfileName::GoWakuChat2 => GO_WAKU_CHAT2,
            ProfileName::Spec => SPEC,
            ProfileName::Sdsim01 => SDSIM_01,
        }
    }

    /// The key's value as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileName::JsWaku008 => "js-waku-0.0.8",
            ProfileName::NimSds => "nim-sds",
            ProfileName::GoWakuChat2 => "go-waku-chat2",
            ProfileName::Spec => "spec",
            ProfileName::Sdsim01 => "sdsim-0.1",
        }
    }
}

/// True if the dotted `key` is present in `table` (the scenario after `--set`).
fn given(table: &toml::Table, key: &str) -> bool {
    let mut parts = key.split('.').peekable();
    let mut t = table;
    while let Some(part) = parts.next() {
        match t.get(part) {
            None => return false,
            Some(_) if parts.peek().is_none() => return true,
            Some(toml::Value::Table(inner)) => t = inner,
            Some(_) => return false,
        }
    }
    false
}

/// Applies the scenario's profile (named, or implied by `sds.implementation`) to every key
/// `table` does not give; records an implied profile in `sds.profile`. A js-waku participant
/// implies `js-waku-0.0.8` when no profile or `sdsim-0.1` is named (`@waku/sds` 0.0.8 cannot
/// run `sdsim-0.1`'s unique message ids).
///
/// The one place where SDS defaults are resolved from a profile (called by the loader after
/// `--set`, before validation). Without a profile the serde defaults of `SdsParams` stand,
/// which are js-waku 0.0.8's (the `JS_WAKU_008` table; `tests::defaults_are_js_waku_008`).
pub(crate) fn apply(s: &mut Scenario, table: &toml::Table) {
    let js =
        super::implementation::implementations_used(s).contains(&ImplementationName::JsWaku008);
    let profile = match s.sds.profile {
        Some(ProfileName::Sdsim01) | None if js => Some(ProfileName::JsWaku008),
        named => named,
    };
    let Some(profile) = profile else { return };
    s.sds.profile = Some(profile);
    for d in profile.defaults() {
        if !given(table, d.key) {
            (d.set)(&mut s.sds);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario without `sds.profile` simulates js-waku 0.0.8: its profile changes nothing.
    #[test]
    fn defaults_are_js_waku_008() {
        let mut params = SdsParams::default();
        for d in ProfileName::JsWaku008.defaults() {
            (d.set)(&mut params);
        }
        assert_eq!(params, SdsParams::default());
    }

    #[test]
    fn given_follows_dotted_keys() {
        let t: toml::Table =
            toml::from_str("[sds]\ncausal_history = 3\n[sds.sync]\npolicy = \"off\"\n").unwrap();
        assert!(given(&t, "sds.causal_history"));
        assert!(given(&t, "sds.sync.policy"));
        assert!(!given(&t, "sds.sync.interval"));
        assert!(!given(&t, "sds.repair.t_min"));
    }

    #[test]
    fn every_profile_key_is_a_scenario_key_with_a_source() {
        for p in [
            ProfileName::JsWaku008,
            ProfileName::NimSds,
            ProfileName::GoWakuChat2,
            ProfileName::Spec,
            ProfileName::Sdsim01,
        ] {
            for d in p.defaults() {
                assert!(d.key.starts_with("sds."), "{}", d.key);
                assert!(!d.source.is_empty(), "{}", d.key);
                let mut params = SdsParams::default();
                (d.set)(&mut params);
                let v = serde_json::to_value(&params).unwrap();
                let mut node = Some(&v);
                for part in d.key.split('.').skip(1) {
                    node = node.and_then(|n| n.get(part));
                }
                let Some(node) = node else {
                    // Omitted when default: the setter must have left the default.
                    assert_eq!(params, SdsParams::default(), "{} {}", p.as_str(), d.key);
                    continue;
                };
                let written: toml::Value =
                    toml::from_str::<toml::Table>(&format!("x = {}", d.value)).unwrap()["x"]
                        .clone();
                let mut as_json = serde_json::to_value(&written).unwrap();
                // Durations print normalised ("120s" is "2m").
                if let Some(d) = as_json.as_str().and_then(|t| t.parse::<SimDuration>().ok()) {
                    as_json = serde_json::Value::String(d.to_string());
                }
                assert_eq!(
                    *node,
                    as_json,
                    "{} {}: value and setter disagree",
                    p.as_str(),
                    d.key
                );
            }
        }
    }
}
