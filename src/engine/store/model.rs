//! The store model: store nodes and each participant's store-client state (`[store]`,
//! `[retrieval]`). The event wiring is in the store role (`mod.rs`).
//!
//! A store node (Waku Store: 13/WAKU2-STORE, Store v3 `/vac/waku/store-query/3.0.0`) keeps
//! every content message of every channel that reaches it while it is online, for
//! `store.retention`, and answers two kinds of queries:
//! - by message hash (the SDS retrieval hint): the stored messages among the asked hashes;
//! - by time range, oldest first (js-waku's store client default `paginationForward: true`),
//!   `store.page_size` messages per page with a cursor to the next page.
//!
//! A message's hash is SHA-256 of its wire bytes (standing in for the deterministic Waku
//! message hash of 14/WAKU2-MESSAGE: one hash per distinct message on the wire; a resend or
//! repair response re-broadcasts the same bytes, hence the same hash).
//!
//! The client side follows js-waku's ReliableChannel (waku-org/specs
//! `standards/application/reliable-channel-api.md`, "Missing message retrieval" and "Query
//! on connect"): missing dependencies that carry a retrieval hint are queried by hash every
//! `retrieval.missing_interval` (one query in flight at a time) until they arrive; a
//! participant coming back online (or joining, or seeing its store node come back) queries
//! the time range since its last successful query.
//!
//! Sizes on the wire are approximations of Store v3 protobuf framing: a request is
//! [`REQUEST_OVERHEAD_BYTES`] plus [`HASH_BYTES`] per asked hash; a response is
//! [`RESPONSE_OVERHEAD_BYTES`] plus, per message, its bytes and [`PER_MESSAGE_OVERHEAD_BYTES`]
//! (hash, timestamp, topics).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::metrics::StoreNodeStats;
use crate::time::SimTime;

/// Bytes of a message hash (SHA-256).
pub const HASH_BYTES: u64 = 32;
/// Fixed bytes of a store query request (request id, topics, time range, paging info).
pub const REQUEST_OVERHEAD_BYTES: u64 = 96;
/// Fixed bytes of a store query response (request id, status, cursor).
pub const RESPONSE_OVERHEAD_BYTES: u64 = 64;
/// Bytes per message in a response besides the message itself (hash, timestamp, topics).
pub const PER_MESSAGE_OVERHEAD_BYTES: u64 = 80;

/// SHA-256 of `bytes`: the message hash used as retrieval hint and store key.
pub fn message_hash(bytes: &[u8]) -> Bytes {
    use sha2::{Digest, Sha256};
    Bytes::from(Sha256::digest(bytes).to_vec())
}

/// One message kept by a store node.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Simulated time the store node received it (µs).
    pub at: SimTime,
    /// Channel index.
    pub channel: u32,
    /// SDS message id (for the recorder).
    pub message_id: std::rc::Rc<str>,
    /// Message hash (retrieval hint).
    pub hash: Bytes,
    /// The wire bytes, shared with every core and copy that holds them.
    pub bytes: Bytes,
}

/// One store node: its messages in arrival order and an index by (channel, hash).
#[derive(Debug, Default)]
pub struct StoreNode {
    /// Offline windows `[start, end)` in µs.
    pub offline: Vec<(SimTime, SimTime)>,
    messages: Vec<Stored>,
    index: BTreeMap<(u32, Bytes), usize>,
    pub stats: StoreNodeStats,
}

/// What a query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryKind {
    /// Messages with these hashes (missing-message retrieval).
    ByHash(Vec<Bytes>),
    /// Messages received in `[start, end]` (µs), from position `cursor` of the store's
    /// arrival order (0 for the first page).
    Range {
        start: SimTime,
        end: SimTime,
        cursor: usize,
    },
}

impl QueryKind {
    /// Request size on the wire in bytes.
    pub fn request_bytes(&self) -> u64 {
        match self {
            QueryKind::ByHash(h) => REQUEST_OVERHEAD_BYTES + HASH_BYTES * h.len() as u64,
            QueryKind::Range { .. } => REQUEST_OVERHEAD_BYTES,
        }
    }
}

/// A store node's answer to one query (one page).
#[derive(Debug, Clone)]
pub struct Page {
    /// Messages, oldest first.
    pub messages: Vec<Stored>,
    /// Cursor of the next page of a range query (`None`: this was the last page).
    pub next: Option<usize>,
}

impl Page {
    /// Response size on the wire in bytes.
    pub fn response_bytes(&self) -> u64 {
        RESPONSE_OVERHEAD_BYTES
            + self
                .messages
                .iter()
                .map(|m| m.bytes.len() as u64 + PER_MESSAGE_OVERHEAD_BYTES)
                .sum::<u64>()
    }
}

impl StoreNode {
    /// A store node with offline windows `[start, end)` (µs).
    pub fn new(offline: Vec<(SimTime, SimTime)>) -> StoreNode {
        StoreNode {
            offline,
            ..StoreNode::default()
        }
    }

    /// True if the node is up at `t`.
    pub fn online(&self, t: SimTime) -> bool {
        !self.offline.iter().any(|&(s, e)| t >= s && t < e)
    }

    /// Keeps `m` (received at `m.at`) unless a message with its hash is already kept.
    pub fn ingest(&mut self, m: Stored) {
        let key = (m.channel, m.hash.clone());
        if self.index.contains_key(&key) {
            return;
        }
        self.stats.messages_stored += 1;
        self.stats.bytes_stored += m.bytes.len() as u64;
        self.index.insert(key, self.messages.len());
        self.messages.push(m);
    }

    /// Answers `query` on `channel` at `now`, returning at most `page_size` messages
    /// received no earlier than `now - retention`. Counts the answer in the stats.
    pub fn answer(
        &mut self,
        now: SimTime,
        channel: u32,
        query: &QueryKind,
        page_size: usize,
        retention: SimTime,
    ) -> Page {
        let oldest = now.saturating_sub(retention);
        let page = match query {
            QueryKind::ByHash(hashes) => Page {
                messages: hashes
                    .iter()
                    .filter_map(|h| self.index.get(&(channel, h.clone())))
                    .map(|&i| &self.messages[i])
                    .filter(|m| m.at >= oldest)
                    .take(page_size)
                    .cloned()
                    .collect(),
                next: None,
            },
            QueryKind::Range { start, end, cursor } => {
                let start = (*start).max(oldest);
                let mut messages = Vec::new();
                let mut next = None;
                // Arrival order is time order: skip to the cursor, then scan.
                let from = (*cursor).max(self.messages.partition_point(|m| m.at < start));
                for (i, m) in self.messages.iter().enumerate().skip(from) {
                    if m.at > *end {
                        break;
                    }
                    if m.channel != channel {
                        continue;
                    }
                    if messages.len() == page_size {
                        next = Some(i);
                        break;
                    }
                    messages.push(m.clone());
                }
                Page { messages, next }
            }
        };
        self.stats.queries_answered += 1;
        self.stats.messages_served += page.messages.len() as u64;
        self.stats.bytes_served += page.response_bytes();
        page
    }
}

/// One participant's store client for one channel.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Missing dependencies with a retrieval hint: message id -> hash.
    pub missing: BTreeMap<String, Bytes>,
    /// A missing-retrieval tick is queued.
    pub tick_armed: bool,
    /// Id of the query in flight, if any (one at a time).
    pub in_flight: Option<u64>,
    /// Time of the last successful time-range query (µs).
    pub last_successful_query: SimTime,
    /// A query on connect is wanted once the in-flight query ends.
    pub connect_pending: bool,
    /// Added to the participant index to pick the store node (`(i + rotation) mod
    /// nodes`): bumped when a store node lacked some asked hashes, so the next query tries
    /// another one.
    pub rotation: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(at: SimTime, channel: u32, n: u8) -> Stored {
        let bytes = Bytes::from(vec![n; 10]);
        Stored {
            at,
            channel,
            message_id: format!("m{n}").into(),
            hash: message_hash(&bytes),
            bytes,
        }
    }

    #[test]
    fn ingest_dedupes_by_hash_and_answers_by_hash() {
        let mut s = StoreNode::new(vec![]);
        s.ingest(msg(1, 0, 1));
        s.ingest(msg(2, 0, 1)); // same bytes: a resend
        s.ingest(msg(3, 0, 2));
        assert_eq!(s.stats.messages_stored, 2);
        let want = vec![msg(0, 0, 2).hash, message_hash(b"absent")];
        let p = s.answer(10, 0, &QueryKind::ByHash(want), 20, 1_000);
        assert_eq!(p.messages.len(), 1);
        assert_eq!(&*p.messages[0].message_id, "m2");
        // Another channel does not see it.
        let p = s.answer(
            10,
            1,
            &QueryKind::ByHash(vec![msg(0, 0, 2).hash]),
            20,
            1_000,
        );
        assert!(p.messages.is_empty());
    }

    #[test]
    fn range_pages_oldest_first_with_cursor_and_retention() {
        let mut s = StoreNode::new(vec![]);
        for n in 0..7u8 {
            s.ingest(msg(u64::from(n) * 10, u32::from(n % 2), n));
        }
        // Channel 0 holds n = 0, 2, 4, 6 at t = 0, 20, 40, 60.
        let q = QueryKind::Range {
            start: 0,
            end: 100,
            cursor: 0,
        };
        let p = s.answer(100, 0, &q, 3, 1_000);
        let ids: Vec<&str> = p.messages.iter().map(|m| &*m.message_id).collect();
        assert_eq!(ids, ["m0", "m2", "m4"]);
        let next = p.next.expect("a second page");
        let q2 = QueryKind::Range {
            start: 0,
            end: 100,
            cursor: next,
        };
        let p2 = s.answer(100, 0, &q2, 3, 1_000);
        let ids: Vec<&str> = p2.messages.iter().map(|m| &*m.message_id).collect();
        assert_eq!(ids, ["m6"]);
        assert_eq!(p2.next, None);
        // Retention 50 at t = 100 hides everything before t = 50; range end bounds too.
        let p3 = s.answer(100, 0, &q, 3, 50);
        let ids: Vec<&str> = p3.messages.iter().map(|m| &*m.message_id).collect();
        assert_eq!(ids, ["m6"]);
        let q4 = QueryKind::Range {
            start: 15,
            end: 45,
            cursor: 0,
        };
        let ids: Vec<String> = s
            .answer(100, 0, &q4, 20, 1_000)
            .messages
            .iter()
            .map(|m| m.message_id.to_string())
            .collect();
        assert_eq!(ids, ["m2", "m4"]);
        assert_eq!(s.stats.queries_answered, 4);
    }

    #[test]
    fn online_follows_windows() {
        let s = StoreNode::new(vec![(10, 20), (30, 40)]);
        assert!(s.online(0));
        assert!(!s.online(10));
        assert!(!s.online(19));
        assert!(s.online(20));
        assert!(!s.online(35));
        assert!(s.online(40));
    }

    #[test]
    fn sizes_count_hashes_and_messages() {
        let q = QueryKind::ByHash(vec![Bytes::from_static(b"x"); 3]);
        assert_eq!(q.request_bytes(), REQUEST_OVERHEAD_BYTES + 3 * HASH_BYTES);
        let p = Page {
            messages: vec![msg(0, 0, 1), msg(0, 0, 2)],
            next: None,
        };
        assert_eq!(
            p.response_bytes(),
            RESPONSE_OVERHEAD_BYTES + 2 * (10 + PER_MESSAGE_OVERHEAD_BYTES)
        );
    }
}
