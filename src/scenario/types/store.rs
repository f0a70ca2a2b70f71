//! `[store]` (store nodes, their retention, paging, query timeout, downtime) and
//! `[retrieval]` (how a participant fetches messages it misses), with the defaults of their
//! keys.
//!
//! Part of the schema (`types.rs`): names only `duration`.

use serde::{Deserialize, Serialize};

use crate::scenario::duration::SimDuration;

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
