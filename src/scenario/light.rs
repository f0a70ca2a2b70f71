//! `[light]`: light clients behind service nodes (LightPush to send, Filter to receive,
//! Store to fill gaps), as js-waku's ReliableChannel and Status mobile connect.
//!
//! Defaults and their sources (each documented on its key, and in `scenarios/README.md`):
//! - js-waku SDK (waku-org/js-waku 84a6ea6, 2025-11-13), `packages/sdk/src/filter/filter.ts`
//!   l. 30-32: Filter `numPeersToUse` 2, `pingsBeforePeerRenewed` 3, `keepAliveIntervalMs`
//!   60,000; `packages/sdk/src/light_push/light_push.ts` l. 24-30: LightPush `autoRetry`,
//!   `retryIntervalMs` 1,000, `maxAttempts` 3, `numPeersToUse` 1;
//!   `packages/sdk/src/light_push/retry_manager.ts`: a retried task waits `TASK_TIMEOUT_MS`
//!   10,000 for an answer and is scheduled 100 ms after the retry tick.
//! - nwaku filter v2 service (waku-org/nwaku `waku/waku_filter_v2/subscriptions.nim`):
//!   `DefaultSubscriptionTimeToLiveSec` 5 minutes (a subscription not refreshed by a ping or
//!   a subscribe within it is dropped), `MaxFilterPeers` 100 subscribers per service node.

use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::types::Distribution;

/// `[light]`: which participants are light clients and how they reach their service nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Light {
    /// The first `clients` participants (ids `0..clients`) are light clients. Exactly one
    /// of `clients` / `ids` when `[light]` is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<u32>,
    /// Explicit light-client ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<u32>>,
    /// Dedicated service nodes: relay nodes that run no SDS channel and serve LightPush and
    /// Filter. They are network nodes numbered after the participants (`participants`,
    /// `participants + 1`, ...), in region `index mod R` like participants. Default 0.
    #[serde(default)]
    pub service_nodes: u32,
    /// Relay participants that also serve LightPush and Filter (not light clients).
    /// Default none. At least one service node (dedicated or listed here) is needed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_ids: Vec<u32>,
    /// Filter subscriptions each light client keeps (js-waku Filter `numPeersToUse`, 2).
    /// Default: 2, or the number of service nodes if there are fewer; an explicit value must
    /// not exceed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_peers: Option<u32>,
    /// Service nodes each LightPush request goes to (js-waku LightPush `numPeersToUse`, 1).
    #[serde(default = "default_lightpush_peers")]
    pub lightpush_peers: u32,
    /// A LightPush attempt without an answer after this long has failed (js-waku
    /// `TASK_TIMEOUT_MS`, 10 s).
    #[serde(default = "default_lightpush_timeout")]
    pub lightpush_timeout: SimDuration,
    /// Time from a failed LightPush attempt to its retry (js-waku `retryIntervalMs` 1 s plus
    /// the retry manager's 100 ms scheduling delay: 1.1 s).
    #[serde(default = "default_lightpush_retry_interval")]
    pub lightpush_retry_interval: SimDuration,
    /// Retries after a failed first attempt before the request is given up (js-waku
    /// `maxAttempts`, 3).
    #[serde(default = "default_lightpush_max_attempts")]
    pub lightpush_max_attempts: u32,
    /// Filter keep-alive: each client pings each of its service nodes this often (js-waku
    /// `keepAliveIntervalMs`, 60 s).
    #[serde(default = "default_keep_alive_interval")]
    pub keep_alive_interval: SimDuration,
    /// Failed pings in a row after which a client replaces a service node (js-waku
    /// `pingsBeforePeerRenewed`, 3).
    #[serde(default = "default_pings_before_renewal")]
    pub pings_before_renewal: u32,
    /// A service node drops a subscription not refreshed (ping or subscribe) for this long
    /// (nwaku `DefaultSubscriptionTimeToLiveSec`, 5 min).
    #[serde(default = "default_subscription_timeout")]
    pub subscription_timeout: SimDuration,
    /// Subscribers per service node (nwaku `MaxFilterPeers`, 100); further subscribe
    /// requests are refused and the client tries another service node.
    #[serde(default = "default_max_subscribers")]
    pub max_subscribers: u32,
    /// Time from a client coming back (waking, a network switch ending) to its connections
    /// being up again and its subscriptions renewed. Default `{ kind = "constant", value =
    /// "1s" }` (an assumption: one libp2p reconnect).
    #[serde(default = "default_reconnect")]
    pub reconnect: Distribution,
    /// Name of a `[[node_classes]]` entry every light client belongs to (its access link:
    /// bandwidth, extra latency, extra loss), overriding other class assignments. Default:
    /// none (classes as `[[node_classes]]` assigns them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_class: Option<String>,
    /// Uplink rate of the dedicated service nodes in bits/s (their relay copies and Filter
    /// pushes queue behind it). Default: unlimited. With a limit, a service node that
    /// restarts loses the relay copies still queued, although it already answered the
    /// LightPush request ("sent" but lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_uplink_bps: Option<u64>,
    /// Downlink rate of the dedicated service nodes in bits/s. Default: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_downlink_bps: Option<u64>,
    /// `[[light.service_offline]]`: windows in which a service node is down.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_offline: Vec<ServiceOffline>,
    /// `[[light.network_switch]]`: light clients losing every connection for a while (a
    /// phone switching from Wi-Fi to cellular): the app keeps running, nothing reaches it,
    /// nothing it sends leaves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_switch: Vec<NetworkSwitch>,
}

/// How a service node is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceOfflineMode {
    /// The process restarts: its connections close (clients notice at once and subscribe
    /// elsewhere) and it comes back with no subscriptions; LightPush requests it accepted
    /// but had not yet sent on are lost.
    #[default]
    Restart,
    /// Unreachable without a trace (a silent network failure): clients notice only through
    /// failed pings (`pings_before_renewal` of them) and failed LightPush attempts; it keeps
    /// its subscriptions (until they time out).
    Unreachable,
}

/// `[[light.service_offline]]`: service node `node` (index among the service nodes: the
/// dedicated ones first, then `service_ids` in order) is down from `start` to `end` (both
/// inside the workload; still-open windows end with it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceOffline {
    pub node: u32,
    pub start: SimDuration,
    pub end: SimDuration,
    #[serde(default)]
    pub mode: ServiceOfflineMode,
}

/// `[[light.network_switch]]`: the listed light clients (or a seeded `fraction` of them,
/// stream `Light`) lose every connection at `at` and get them back after a draw from
/// `light.reconnect` (or this entry's `reconnect`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSwitch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<u32>>,
    /// Share of the light clients, in (0, 1]. Exactly one of ids / fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    pub at: SimDuration,
    /// Reconnection delay for this entry (default: `light.reconnect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<Distribution>,
}

/// js-waku Filter `numPeersToUse` default.
pub const DEFAULT_SERVICE_PEERS: u32 = 2;
pub fn default_lightpush_peers() -> u32 {
    1
}
pub fn default_lightpush_timeout() -> SimDuration {
    SimDuration::from_secs(10)
}
pub fn default_lightpush_retry_interval() -> SimDuration {
    SimDuration::from_micros(1_100_000)
}
pub fn default_lightpush_max_attempts() -> u32 {
    3
}
pub fn default_keep_alive_interval() -> SimDuration {
    SimDuration::from_secs(60)
}
pub fn default_pings_before_renewal() -> u32 {
    3
}
pub fn default_subscription_timeout() -> SimDuration {
    SimDuration::from_secs(300)
}
pub fn default_max_subscribers() -> u32 {
    100
}
pub fn default_reconnect() -> Distribution {
    Distribution::Constant {
        value: SimDuration::from_secs(1),
    }
}

impl Light {
    /// Service nodes in all: the dedicated ones and `service_ids`.
    pub fn service_count(&self) -> u32 {
        self.service_nodes + self.service_ids.len() as u32
    }

    /// Filter subscriptions per client: `service_peers`, or by default 2 capped at the
    /// number of service nodes.
    pub fn effective_service_peers(&self) -> u32 {
        self.service_peers
            .unwrap_or(DEFAULT_SERVICE_PEERS.min(self.service_count().max(1)))
    }

    /// Whether participant `i` (of `n`) is a light client.
    pub fn is_client(&self, i: u32) -> bool {
        match (&self.clients, &self.ids) {
            (Some(k), _) => i < *k,
            (None, Some(ids)) => ids.contains(&i),
            _ => false,
        }
    }

    /// Light-client ids, ascending.
    pub fn client_ids(&self, n: u32) -> Vec<u32> {
        match (&self.clients, &self.ids) {
            (Some(k), _) => (0..(*k).min(n)).collect(),
            (None, Some(ids)) => {
                let mut v: Vec<u32> = ids.iter().copied().filter(|&i| i < n).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
            _ => Vec::new(),
        }
    }

    /// Network indices of the service nodes: the dedicated ones (`n..n + service_nodes`)
    /// first, then `service_ids` in order.
    pub fn service_indices(&self, n: u32) -> Vec<u32> {
        (n..n + self.service_nodes)
            .chain(self.service_ids.iter().copied())
            .collect()
    }
}
