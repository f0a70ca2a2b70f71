//! Which SDS implementation runs the participants: `sds.implementation`, `[sds.external]`
//! (keys documented in `scenarios/README.md`, the protocol in `docs/adapter-protocol.md`).

use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::types::{Protocol, Scenario};
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

/// The rules of `sds.implementation` and `[sds.external]`.
pub(crate) fn validate(s: &Scenario) -> Result<(), Invalid> {
    let bad = |key: &str, message: String| {
        Err(Invalid {
            key: key.into(),
            message,
        })
    };
    let imp = s.sds.implementation;
    let ext = &s.sds.external;
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
        ImplementationName::External if ext.command.is_empty() => {
            return bad(
                "sds.external.command",
                "is required with sds.implementation = \"external\" (the adapter program and \
                 its arguments, e.g. [\"python3\", \"adapter.py\"])"
                    .into(),
            );
        }
        ImplementationName::External if ext.command[0].is_empty() => {
            return bad(
                "sds.external.command",
                "names an empty program (its first element is \"\")".into(),
            );
        }
        ImplementationName::External => {}
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
    Ok(())
}
