//! The store role: store nodes and the participants' store clients, wired to the run.
//!
//! The model (what a store node keeps and answers, what a client remembers) is in [`model`],
//! with its sources. This module owns the role's state (`StoreRole`), its events
//! (`StoreEv`) and its figures ([`StoreOutcome`]), and reaches the rest of the run only
//! through the `World` it is handed and the `RoleHooks` it implements:
//!
//! - content, resend and repair-response transmissions are copied to every online store
//!   node (`RoleHooks::on_transmit`); with store retrieval their hash travels as
//!   retrieval hint and is set on the sender's own message;
//! - missing dependencies with a hint are queried by hash every `retrieval.missing_interval`
//!   (the missing-message retriever), one query in flight per participant and channel,
//!   falling back to the next store node on a timeout or a miss;
//! - a participant back online (or joining, or whose store node comes back) queries the
//!   time range since its last successful query (query on connect);
//! - answers are handed to the participant's driver, oldest first, with their hash as
//!   retrieval hint.
//!
//! Store nodes draw from their own stream (`Store`) and exist only with `store.nodes > 0`,
//! so scenarios without them keep every other draw. A participant going offline drops its
//! queries and retriever tick; replies and timeouts of an earlier sending of a query are
//! ignored (sequence number).

pub mod model;

use std::collections::BTreeMap;
use std::rc::Rc;

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;

use super::event::{trace_ids, Ev};
use super::pipeline::{Input, RoleHooks, RunError, World};
use super::queue::EventQueue;
use super::roles::{Roles, With};
use crate::metrics::{StoreClientStats, StoreOutcome, Via};
use crate::net::TrafficKind;
use crate::rng::{stream, StreamKind};
use crate::scenario::{Protocol, QueryOnConnect, RetrievalStrategy, Scenario};
use crate::sds;
use crate::time::SimTime;
use model::{Client, Page, QueryKind, StoreNode, Stored};

/// js-waku `MAX_TIME_RANGE_QUERY_MS`: query on connect looks back at most 30 days.
const MAX_TIME_RANGE_QUERY_US: SimTime = 30 * 24 * 3_600 * 1_000_000;

/// The store role's events (inside [`Ev::Store`]).
pub(crate) enum StoreEv {
    /// A copy of a content message reaches store node `store`.
    Ingest { store: u32, msg: Box<Stored> },
    /// Query `query` (its `seq`-th sending) reaches its store node.
    Request { query: u64, seq: u32 },
    /// A store node's answer to query `query` comes off the wire (`handed_over` false) or
    /// leaves the participant's downlink queue (true).
    Reply {
        query: u64,
        seq: u32,
        page: Box<Page>,
        handed_over: bool,
    },
    /// Query `query`'s `seq`-th sending times out unless answered.
    Timeout { query: u64, seq: u32 },
    /// An offline window of store node `store` ends.
    Up { store: u32 },
    /// The missing-message retriever of participant `node`'s `slot` fires (valid if its
    /// client still wants a tick `at`).
    MissingTick { node: u32, slot: u16, at: SimTime },
}

impl StoreEv {
    /// Trace words (see `Ev::trace_words`).
    pub fn trace_words(&self) -> [u64; 2] {
        let ids = trace_ids;
        match self {
            StoreEv::Ingest { store, msg } => [
                ids(9, *store, msg.channel),
                msg.at ^ (msg.bytes.len() as u64) << 48,
            ],
            StoreEv::Request { query, seq } => [ids(10, *seq, 0), *query],
            StoreEv::Reply {
                query,
                seq,
                page,
                handed_over,
            } => [
                ids(
                    11 + u64::from(*handed_over),
                    *seq,
                    page.messages.len() as u32,
                ),
                *query,
            ],
            StoreEv::Timeout { query, seq } => [ids(13, *seq, 0), *query],
            StoreEv::Up { store } => [ids(14, *store, 0), 0],
            StoreEv::MissingTick { node, slot, at } => [ids(15, *node, u32::from(*slot)), *at],
        }
    }
}

/// A store query in flight.
struct Query {
    node: u32,
    slot: u16,
    /// Store node it is sent to.
    store: u32,
    /// Store nodes tried so far minus one.
    attempt: u32,
    kind: QueryKind,
    /// Range query: fetch every page (else stop after the first non-empty page).
    all_pages: bool,
    /// Sendings so far; replies and timeouts of earlier sendings are stale.
    seq: u32,
    /// The current sending was answered (its timeout no longer applies).
    answered: bool,
}

/// Store nodes and the participants' store clients of a run.
pub(crate) struct StoreRole {
    nodes: Vec<StoreNode>,
    /// Offline windows in file order (µs), for reports.
    windows: Vec<(SimTime, SimTime)>,
    rng: ChaCha8Rng,
    page_size: usize,
    retention: SimTime,
    timeout: SimTime,
    missing_interval: SimTime,
    on_connect: QueryOnConnect,
    force_after: SimTime,
    strategy: &'static str,
    /// Participants query store nodes (strategy `store` or `both`); retrieval hints are
    /// then set on every message.
    query: bool,
    /// Per participant, per slot.
    clients: Vec<Vec<Client>>,
    /// Per participant: when it last went offline (µs).
    last_offline: Vec<SimTime>,
    /// Missing-retrieval tick wanted per participant and slot (lazy cancellation).
    tick_at: Vec<Vec<Option<SimTime>>>,
    queries: BTreeMap<u64, Query>,
    next_query: u64,
    stats: StoreClientStats,
}

impl StoreRole {
    /// The store nodes of `sc` (`None` without any), with `slots[i]` channel memberships per
    /// participant. Queues the end of every store-node offline window.
    pub fn new(
        sc: &Scenario,
        slots: &[usize],
        queue: &mut EventQueue<Ev>,
    ) -> Option<Box<StoreRole>> {
        if sc.store.nodes == 0 {
            return None;
        }
        let workload_end = sc.duration.as_micros();
        let mut nodes: Vec<StoreNode> = (0..sc.store.nodes)
            .map(|_| StoreNode::new(Vec::new()))
            .collect();
        let mut windows = Vec::new();
        for w in &sc.store.offline {
            // Faults heal at the end of the workload.
            let end = w.end.as_micros().min(workload_end);
            nodes[w.node as usize]
                .offline
                .push((w.start.as_micros(), end));
            windows.push((w.start.as_micros(), end));
            queue.push(end, Ev::Store(StoreEv::Up { store: w.node }));
        }
        let strategy = sc.retrieval_strategy();
        Some(Box::new(StoreRole {
            nodes,
            windows,
            rng: stream(sc.seed, StreamKind::Store, 0),
            page_size: sc.store.page_size as usize,
            retention: sc.store.retention.as_micros(),
            timeout: sc.store.query_timeout.as_micros(),
            missing_interval: sc.retrieval.missing_interval.as_micros(),
            on_connect: sc.retrieval.query_on_connect,
            force_after: sc.retrieval.force_query_after.as_micros(),
            strategy: match strategy {
                RetrievalStrategy::SdsR => "sds-r",
                RetrievalStrategy::Store => "store",
                RetrievalStrategy::Both => "both",
                RetrievalStrategy::None => "none",
            },
            query: strategy.uses_store() && sc.protocol == Protocol::Sds,
            clients: slots.iter().map(|&k| vec![Client::default(); k]).collect(),
            last_offline: vec![0; sc.participants as usize],
            tick_at: slots.iter().map(|&k| vec![None; k]).collect(),
            queries: BTreeMap::new(),
            next_query: 0,
            stats: StoreClientStats::default(),
        }))
    }

    /// The role's figures at the end of the run.
    pub fn outcome(&self) -> StoreOutcome {
        StoreOutcome {
            strategy: self.strategy,
            client: self.stats.clone(),
            nodes: self.nodes.iter().map(|n| n.stats.clone()).collect(),
            windows: self.windows.clone(),
        }
    }

    /// Handles one of the role's events at `now`; `rest` are the other roles, which watch
    /// the participants it feeds.
    ///
    /// Errors: a participant's driver failed while handed a reply.
    pub fn handle(
        &mut self,
        w: &mut World,
        now: SimTime,
        ev: StoreEv,
        rest: &mut Roles,
    ) -> Result<(), RunError> {
        match ev {
            StoreEv::Ingest { store, msg } => self.ingest(now, store, *msg),
            StoreEv::Request { query, seq } => self.request(w, now, query, seq),
            StoreEv::Reply {
                query,
                seq,
                page,
                handed_over,
            } => return self.reply(w, now, query, seq, *page, handed_over, rest),
            StoreEv::Timeout { query, seq } => self.timed_out(w, now, query, seq),
            StoreEv::Up { store } => self.store_up(w, now, store),
            StoreEv::MissingTick { node, slot, at } => {
                self.missing_tick(w, now, node, slot as usize, at)
            }
        }
        Ok(())
    }

    fn ingest(&mut self, now: SimTime, store: u32, mut msg: Stored) {
        let node = &mut self.nodes[store as usize];
        if node.online(now) {
            msg.at = now;
            node.ingest(msg);
        } else {
            node.stats.copies_while_offline += 1;
        }
    }

    /// Starts a query of participant `i`'s `slot` to its preferred store node (`(i +
    /// rotation) mod nodes`).
    fn send_query(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        slot: usize,
        kind: QueryKind,
        all_pages: bool,
    ) {
        let id = self.next_query;
        self.next_query += 1;
        let store = (i + self.clients[i as usize][slot].rotation) % self.nodes.len() as u32;
        self.queries.insert(
            id,
            Query {
                node: i,
                slot: slot as u16,
                store,
                attempt: 0,
                kind,
                all_pages,
                seq: 0,
                answered: false,
            },
        );
        self.clients[i as usize][slot].in_flight = Some(id);
        self.send_request(w, now, id);
    }

    /// Puts query `id` (its current store and page) on the wire, with its timeout.
    fn send_request(&mut self, w: &mut World, now: SimTime, id: u64) {
        let Some(q) = self.queries.get_mut(&id) else {
            return;
        };
        q.seq += 1;
        q.answered = false;
        let (seq, node, store) = (q.seq, q.node, q.store);
        match q.kind {
            QueryKind::ByHash(_) => self.stats.queries_by_hash += 1,
            QueryKind::Range { .. } => self.stats.queries_by_range += 1,
        }
        self.stats.query_bytes += q.kind.request_bytes();
        w.queue.push(
            now + self.timeout,
            Ev::Store(StoreEv::Timeout { query: id, seq }),
        );
        if w.net.is_isolated(now, node) {
            return; // never arrives; the timeout fires
        }
        let latency = w.net.sample_latency_us(node, store, &mut self.rng);
        w.queue.push(
            now + latency,
            Ev::Store(StoreEv::Request { query: id, seq }),
        );
    }

    fn request(&mut self, w: &mut World, now: SimTime, id: u64, seq: u32) {
        let Some(q) = self.queries.get(&id).filter(|q| q.seq == seq) else {
            return;
        };
        let node = &mut self.nodes[q.store as usize];
        if !node.online(now) {
            node.stats.queries_while_offline += 1;
            return;
        }
        let channel = w.parts.nodes[q.node as usize].slots[q.slot as usize].channel;
        let page = node.answer(now, channel, &q.kind, self.page_size, self.retention);
        let latency = w.net.sample_latency_us(q.store, q.node, &mut self.rng);
        w.queue.push(
            now + latency,
            Ev::Store(StoreEv::Reply {
                query: id,
                seq,
                page: Box::new(page),
                handed_over: false,
            }),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn reply(
        &mut self,
        w: &mut World,
        now: SimTime,
        id: u64,
        seq: u32,
        page: Page,
        handed_over: bool,
        rest: &mut Roles,
    ) -> Result<(), RunError> {
        let Some(q) = self.queries.get_mut(&id).filter(|q| q.seq == seq) else {
            return Ok(()); // the client gave up on this sending
        };
        let (i, slot) = (q.node, q.slot as usize);
        if !handed_over {
            q.answered = true;
            let size = page.response_bytes();
            self.stats.response_bytes += size;
            let wait = w.net.downlink_delay(i, now, size);
            if wait > 0 {
                w.queue.push(
                    now + wait,
                    Ev::Store(StoreEv::Reply {
                        query: id,
                        seq,
                        page: Box::new(page),
                        handed_over: true,
                    }),
                );
                return Ok(());
            }
        }
        if !w.churn.is_online(i) {
            return Ok(()); // participant_down already dropped the query
        }
        // Hand every message to the driver, oldest first, with its hash as retrieval hint;
        // what they deliver arrived from the store.
        let now_ms = w.parts.clocks.now_ms(i, now);
        let channel = w.parts.nodes[i as usize].slots[slot].channel;
        let client = &mut self.clients[i as usize][slot];
        w.input = Input {
            fallback: Via::Store,
            ..Input::NONE
        };
        for m in &page.messages {
            self.stats.messages_retrieved += 1;
            if let Some(mi) = w.rec.lookup(channel, &m.message_id) {
                if w.rec.is_expected(mi, i) && w.rec.delivery(mi, i).is_none() {
                    self.stats.messages_retrieved_new += 1;
                }
            }
            client.missing.remove(&*m.message_id);
            w.core_receipts += 1;
            let driver = &mut w.parts.slot_mut(i, slot).driver;
            if let Err(f) = driver.receive(now_ms, m.bytes.clone(), Some(m.hash.clone())) {
                return Err(w.failure(now, i, slot, "receive", f));
            }
        }
        // Next page, or done. The drain below delivers what the page completed; what stays
        // buffered came from the store.
        let held: Vec<u32> = page
            .messages
            .iter()
            .filter_map(|m| w.rec.lookup(channel, &m.message_id))
            .collect();
        let q = self.queries.get_mut(&id).expect("query checked above");
        if let QueryKind::ByHash(asked) = &q.kind {
            if page.messages.len() < asked.len() {
                let client = &mut self.clients[i as usize][slot];
                client.rotation = client.rotation.wrapping_add(1);
            }
        }
        let more = match (&mut q.kind, page.next) {
            (QueryKind::Range { cursor, .. }, Some(next))
                if q.all_pages || page.messages.is_empty() =>
            {
                *cursor = next;
                true
            }
            _ => false,
        };
        if more {
            w.drain(
                now,
                i,
                slot,
                false,
                &mut With {
                    role: &mut *self,
                    rest,
                },
            )?;
            settle_store_input(w, i, &held);
            self.send_request(w, now, id);
            return Ok(());
        }
        let was_range = matches!(q.kind, QueryKind::Range { .. });
        self.queries.remove(&id);
        let client = &mut self.clients[i as usize][slot];
        client.in_flight = None;
        if was_range {
            client.last_successful_query = now;
        }
        let connect = std::mem::take(&mut client.connect_pending);
        w.drain(
            now,
            i,
            slot,
            false,
            &mut With {
                role: &mut *self,
                rest,
            },
        )?;
        settle_store_input(w, i, &held);
        if connect {
            self.query_on_connect(w, now, i, slot);
        }
        self.arm_missing_tick(w, now, i, slot);
        Ok(())
    }

    fn timed_out(&mut self, w: &mut World, now: SimTime, id: u64, seq: u32) {
        let Some(q) = self
            .queries
            .get_mut(&id)
            .filter(|q| q.seq == seq && !q.answered)
        else {
            return;
        };
        self.stats.query_timeouts += 1;
        q.attempt += 1;
        if (q.attempt as usize) < self.nodes.len() {
            q.store = (q.store + 1) % self.nodes.len() as u32;
            self.send_request(w, now, id);
            return;
        }
        // Every store node failed: give up (the retriever tries again at its next tick).
        let (i, slot) = (q.node, q.slot as usize);
        self.queries.remove(&id);
        self.clients[i as usize][slot].in_flight = None;
        self.clients[i as usize][slot].connect_pending = false;
        self.arm_missing_tick(w, now, i, slot);
    }

    /// Store node `store` is back: the participants that use it as preferred store node
    /// query on connect if they were offline since their last successful query or that
    /// query is older than `retrieval.force_query_after` (js-waku `maybeQuery`).
    fn store_up(&mut self, w: &mut World, now: SimTime, store: u32) {
        if !self.nodes[store as usize].online(now) || !self.query {
            return;
        }
        let nodes = self.nodes.len() as u32;
        for i in (store..w.parts.len()).step_by(nodes as usize) {
            if !w.churn.is_online(i) {
                continue;
            }
            for slot in 0..w.parts.nodes[i as usize].slots.len() {
                let last = self.clients[i as usize][slot].last_successful_query;
                if self.last_offline[i as usize] > last
                    || now.saturating_sub(last) > self.force_after
                {
                    self.query_on_connect(w, now, i, slot);
                }
            }
        }
    }

    /// A time-range query from the last successful one (at most 30 days back) to now,
    /// unless query on connect is off; deferred while another query is in flight.
    fn query_on_connect(&mut self, w: &mut World, now: SimTime, i: u32, slot: usize) {
        if !self.query || self.on_connect == QueryOnConnect::Off {
            return;
        }
        let client = &mut self.clients[i as usize][slot];
        if client.in_flight.is_some() {
            client.connect_pending = true;
            return;
        }
        self.stats.queries_on_connect += 1;
        let start = client
            .last_successful_query
            .max(now.saturating_sub(MAX_TIME_RANGE_QUERY_US));
        let all_pages = self.on_connect == QueryOnConnect::AllPages;
        self.send_query(
            w,
            now,
            i,
            slot,
            QueryKind::Range {
                start,
                end: now,
                cursor: 0,
            },
            all_pages,
        );
    }

    /// Queues the missing-message retriever's next tick for participant `i`'s `slot` if it
    /// has missing dependencies and no tick is queued.
    fn arm_missing_tick(&mut self, w: &mut World, now: SimTime, i: u32, slot: usize) {
        if !self.query
            || self.tick_at[i as usize][slot].is_some()
            || self.clients[i as usize][slot].missing.is_empty()
        {
            return;
        }
        let at = now + self.missing_interval;
        self.tick_at[i as usize][slot] = Some(at);
        w.queue.push(
            at,
            Ev::Store(StoreEv::MissingTick {
                node: i,
                slot: slot as u16,
                at,
            }),
        );
    }

    /// The missing-message retriever: one query by hash for every missing dependency
    /// (at most `store.page_size` of them), unless a query is in flight; then the next
    /// tick.
    fn missing_tick(&mut self, w: &mut World, now: SimTime, i: u32, slot: usize, at: SimTime) {
        if self.tick_at[i as usize][slot] != Some(at) {
            return; // stale
        }
        self.tick_at[i as usize][slot] = None;
        if !w.churn.is_online(i) {
            return;
        }
        let client = &self.clients[i as usize][slot];
        if client.in_flight.is_none() && !client.missing.is_empty() {
            let hashes: Vec<Bytes> = client
                .missing
                .values()
                .take(self.page_size)
                .cloned()
                .collect();
            self.send_query(w, now, i, slot, QueryKind::ByHash(hashes), false);
        }
        self.arm_missing_tick(w, now, i, slot);
    }

    fn client_mut(&mut self, i: u32, slot: usize) -> Option<&mut Client> {
        if self.query {
            Some(&mut self.clients[i as usize][slot])
        } else {
            None
        }
    }
}

/// After a store answer was drained: the answer's messages participant `i` still waits for
/// are buffered, and came from the store.
fn settle_store_input(w: &mut World, i: u32, messages: &[u32]) {
    w.input = Input::NONE;
    for &m in messages {
        w.note_held(i, m, Via::Store, false);
    }
}

impl RoleHooks for StoreRole {
    /// Store nodes keep content messages, resends and repair responses (one hash per
    /// distinct message on the wire).
    fn message_hash(&mut self, kind: TrafficKind, bytes: &Bytes) -> Option<Bytes> {
        matches!(
            kind,
            TrafficKind::Content | TrafficKind::Resend | TrafficKind::RepairResponse
        )
        .then(|| model::message_hash(bytes))
    }

    fn hints_on(&self) -> bool {
        self.query
    }

    /// Tracks the missing dependencies that carry a hint (for the retriever) and forgets
    /// those delivered or given up.
    fn on_event(&mut self, i: u32, slot: usize, ev: &sds::Event) -> bool {
        let Some(client) = self.client_mut(i, slot) else {
            return false;
        };
        match ev {
            sds::Event::Delivered { message_id, .. } => {
                client.missing.remove(&**message_id);
                false
            }
            sds::Event::IrretrievablyLost { message_id }
            | sds::Event::DroppedLost { message_id } => {
                client.missing.remove(message_id);
                false
            }
            sds::Event::MissingDependencies { missing, .. } => {
                let mut changed = false;
                for e in missing {
                    if let Some(h) = &e.retrieval_hint {
                        client.missing.insert(e.message_id.clone(), h.clone());
                        changed = true;
                    }
                }
                changed
            }
            _ => false,
        }
    }

    /// Sends one copy of the message to every store node online at `now` (none while `from`
    /// is isolated).
    fn on_transmit(
        &mut self,
        w: &mut World,
        now: SimTime,
        channel: u32,
        from: u32,
        kind: TrafficKind,
        bytes: &Bytes,
        hash: &Bytes,
        id: &str,
    ) {
        if w.net.is_isolated(now, from) {
            return;
        }
        let message_id: Rc<str> = Rc::from(id);
        for s in 0..self.nodes.len() as u32 {
            if !self.nodes[s as usize].online(now) {
                continue;
            }
            let latency = w.net.sample_latency_us(from, s, &mut self.rng);
            let size = bytes.len() as u64;
            self.stats.ingest_copies += 1;
            self.stats.ingest_bytes += size;
            w.net.count_store_copy(from, kind, size);
            w.queue.push(
                now + latency,
                Ev::Store(StoreEv::Ingest {
                    store: s,
                    msg: Box::new(Stored {
                        at: 0,
                        channel,
                        message_id: Rc::clone(&message_id),
                        hash: hash.clone(),
                        bytes: bytes.clone(),
                    }),
                }),
            );
        }
    }

    fn after_drain(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        slot: usize,
        missing_changed: bool,
    ) {
        if missing_changed {
            self.arm_missing_tick(w, now, i, slot);
        }
    }

    /// Its store queries are dropped and its retriever stops until it is back.
    fn participant_down(&mut self, _w: &mut World, now: SimTime, i: u32) {
        self.last_offline[i as usize] = now;
        for (slot, client) in self.clients[i as usize].iter_mut().enumerate() {
            if let Some(q) = client.in_flight.take() {
                self.queries.remove(&q);
            }
            client.connect_pending = false;
            self.tick_at[i as usize][slot] = None;
        }
    }

    /// Query on connect and restart the retriever (a fresh client after a crash or join).
    fn participant_up(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        fresh: bool,
    ) -> Result<(), RunError> {
        if fresh {
            for c in self.clients[i as usize].iter_mut() {
                *c = Client::default();
            }
        }
        for slot in 0..w.parts.nodes[i as usize].slots.len() {
            self.query_on_connect(w, now, i, slot);
            self.arm_missing_tick(w, now, i, slot);
        }
        Ok(())
    }
}
