//! Which SDS implementation runs the participants: `sds.implementation`, `[sds.external]`
//! (keys documented in `scenarios/README.md`, the protocol in `docs/adapter-protocol.md`).

use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::types::{
    BloomRolloverName, LostPolicyName, MessageIdRule, Protocol, Scenario, SdsParams, SyncPolicyName,
};
use super::validate::Invalid;

/// `sds.implementation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ImplementationName {
    /// The built-in core (`src/sds/`), in process.
    #[default]
    #[serde(rename = "sdsim")]
    Sdsim,
    /// js-waku's `@waku/sds` 0.0.8 under Node.js, driven as its ReliableChannel does
    /// (`adapters/js-waku-sds/`).
    #[serde(rename = "js-waku-0.0.8")]
    JsWaku008,
    /// Any adapter program: `sds.external.command`.
    #[serde(rename = "external")]
    External,
}

impl ImplementationName {
    /// True for the default, `sdsim`.
    pub fn is_default(&self) -> bool {
        *self == ImplementationName::default()
    }

    /// The key's value as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationName::Sdsim => "sdsim",
            ImplementationName::JsWaku008 => "js-waku-0.0.8",
            ImplementationName::External => "external",
        }
    }

    /// True if the participants it runs live in an adapter process.
    pub fn is_adapter(self) -> bool {
        self != ImplementationName::Sdsim
    }
}

/// `[sds.external]`: the adapter program of `sds.implementation = "external"` and the call
/// limit of every adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalParams {
    /// The adapter program and its arguments, e.g. `["python3", "my_adapter.py"]`; the
    /// program is looked up in `PATH` when it has no `/`. Required for `external`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Wall-clock limit of one call to an adapter (request written, reply read): past it
    /// the run stops with exit 1. Applies to every adapter (js-waku's too). Default 30s.
    #[serde(default = "default_external_timeout")]
    pub timeout: SimDuration,
}

pub fn default_external_timeout() -> SimDuration {
    SimDuration::from_secs(30)
}

impl Default for ExternalParams {
    fn default() -> Self {
        ExternalParams {
            command: Vec::new(),
            timeout: default_external_timeout(),
        }
    }
}

impl ExternalParams {
    /// True when nothing is set (omitted from the resolved config, so scenarios without it
    /// keep their `config_hash`).
    pub fn is_default(&self) -> bool {
        *self == ExternalParams::default()
    }
}

/// `[[sds.mix]]`: participants that run another implementation than `sds.implementation`.
/// Exactly one of `fraction`, `class`, `ids` says which; the first entry that names a
/// participant decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// The implementation they run.
    pub implementation: ImplementationName,
    /// A share of the participants in (0, 1], spread evenly over the ids: participant `i` is
    /// in it when `floor((i + 1) * fraction) > floor(i * fraction)` (0.5: every odd id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// The members of the `[[node_classes]]` entry of this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Explicit participant ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<u32>>,
}

impl MixEntry {
    /// Whether participant `i` is named by `fraction` or `ids` (classes are resolved by the
    /// engine, which knows their members).
    pub fn names(&self, i: u32) -> bool {
        if let Some(f) = self.fraction {
            return ((f64::from(i) + 1.0) * f).floor() > (f64::from(i) * f).floor();
        }
        self.ids.as_ref().is_some_and(|ids| ids.contains(&i))
    }
}

/// Every implementation the scenario uses (`sds.implementation` and `[[sds.mix]]`).
pub fn implementations_used(s: &Scenario) -> Vec<ImplementationName> {
    let mut used = vec![s.sds.implementation];
    for m in &s.sds.mix {
        if !used.contains(&m.implementation) {
            used.push(m.implementation);
        }
    }
    used
}

/// The rules of `sds.implementation`, `[sds.external]` and `[[sds.mix]]`.
pub(crate) fn validate(s: &Scenario) -> Result<(), Invalid> {
    let bad = |key: &str, message: String| {
        Err(Invalid {
            key: key.into(),
            message,
        })
    };
    for (k, m) in s.sds.mix.iter().enumerate() {
        let key = |f: &str| format!("sds.mix.{k}.{f}");
        let given = [m.fraction.is_some(), m.class.is_some(), m.ids.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return bad(
                &format!("sds.mix.{k}"),
                "needs exactly one of fraction, class, ids".into(),
            );
        }
        if let Some(f) = m.fraction {
            if !(f > 0.0 && f <= 1.0) {
                return bad(&key("fraction"), format!("must be in (0, 1], got {f}"));
            }
        }
        if let Some(c) = &m.class {
            if !s.node_classes.iter().any(|nc| nc.name == *c) {
                return bad(
                    &key("class"),
                    format!("names no [[node_classes]] entry: {c:?}"),
                );
            }
        }
        if let Some(ids) = &m.ids {
            if ids.is_empty() {
                return bad(&key("ids"), "must name at least one participant".into());
            }
            if let Some(i) = ids.iter().find(|&&i| i >= s.participants) {
                return bad(
                    &key("ids"),
                    format!(
                        "participant {i} is out of range (participants = {})",
                        s.participants
                    ),
                );
            }
        }
        if s.protocol == Protocol::None {
            return bad(
                &key("implementation"),
                "protocol = \"none\" runs no SDS implementation".into(),
            );
        }
    }
    let imp = s.sds.implementation;
    let ext = &s.sds.external;
    let uses_external = implementations_used(s).contains(&ImplementationName::External);
    if s.protocol == Protocol::None && imp.is_adapter() {
        return bad(
            "sds.implementation",
            format!(
                "is {:?} but protocol = \"none\" runs no SDS implementation",
                imp.as_str()
            ),
        );
    }
    match imp {
        _ if uses_external && ext.command.is_empty() => {
            return bad(
                "sds.external.command",
                "is required with the implementation \"external\" (the adapter program and \
                 its arguments, e.g. [\"python3\", \"adapter.py\"])"
                    .into(),
            );
        }
        _ if uses_external && ext.command[0].is_empty() => {
            return bad(
                "sds.external.command",
                "names an empty program (its first element is \"\")".into(),
            );
        }
        _ if uses_external => {}
        _ if !ext.command.is_empty() => {
            return bad(
                "sds.external.command",
                format!(
                    "is set but sds.implementation is {:?}; set sds.implementation = \
                     \"external\" to run it",
                    imp.as_str()
                ),
            );
        }
        _ => {}
    }
    if ext.timeout.is_zero() {
        return bad("sds.external.timeout", "must be greater than 0s".into());
    }
    if implementations_used(s).contains(&ImplementationName::JsWaku008) {
        js_waku_can_run(&s.sds)?;
    }
    Ok(())
}

/// Settings `@waku/sds` 0.0.8 under its ReliableChannel cannot honour, refused before any
/// simulating (exit 2). The js-waku adapter refuses the same ones at `create`
/// (`adapters/js-waku-sds/reliable_channel.js`, `refusal`); sources: `@waku/sds` 0.0.8
/// `dist/message_channel/message_channel.js`.
fn js_waku_can_run(p: &SdsParams) -> Result<(), Invalid> {
    let bad = |key: &str, message: &str| {
        Err(Invalid {
            key: key.into(),
            message: message.into(),
        })
    };
    if p.message_id != MessageIdRule::PayloadSha256 {
        return bad(
            "sds.message_id",
            "is \"unique\", which js-waku 0.0.8 cannot run: its message ids are the SHA-256 of \
             the payload (MessageChannel.getMessageId, message_channel.js:73-75); add `--set \
             sds.message_id=payload-sha256`",
        );
    }
    if p.bloom_capacity != 10_000 || (p.bloom_error_rate - 0.001).abs() > 1e-12 {
        return bad(
            "sds.bloom_capacity",
            "js-waku 0.0.8's bloom filter is fixed at capacity 10000 and error rate 0.001 \
             (DEFAULT_BLOOM_FILTER_OPTIONS, message_channel.js:11-14); remove \
             sds.bloom_capacity and sds.bloom_error_rate",
        );
    }
    if p.bloom_rollover != BloomRolloverName::None {
        return bad(
            "sds.bloom_rollover",
            "is \"rebuild\", but js-waku 0.0.8's filter never rolls over; use \"none\"",
        );
    }
    if p.sync.policy == SyncPolicyName::Trickle {
        return bad(
            "sds.sync.policy",
            "is \"trickle\", which the js-waku adapter does not run (ReliableChannel sends syncs \
             on its own randomised timer, \"reliable-channel\"; \"periodic\" and \"off\" are \
             also available)",
        );
    }
    if p.lost_timeout.is_some() && p.lost_policy != LostPolicyName::Drop {
        return bad(
            "sds.lost_policy",
            "is \"deliver\", but js-waku 0.0.8 drops a message once timeoutForLostMessagesMs \
             passes (sweepIncomingBuffer, message_channel.js:216-226); use \"drop\"",
        );
    }
    Ok(())
}
