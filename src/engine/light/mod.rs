//! The light-client role: light clients behind service nodes (`[light]`), with LightPush to
//! send, Filter to receive and their failure modes.
//!
//! Sources of every rule (defaults: `scenario::light`):
//! - **LightPush** (js-waku `packages/sdk/src/light_push/light_push.ts` and
//!   `retry_manager.ts`, waku-org/js-waku 84a6ea6): a send goes to `lightpush_peers`
//!   service nodes at once; if none accepts, the retry manager tries again (one target per
//!   retry) up to `lightpush_max_attempts` times, each attempt waiting
//!   `lightpush_timeout` for an answer. A service node that accepts publishes the message
//!   into the relay mesh and answers (nwaku's LightPush handler publishes, then replies):
//!   the answer may reach the client before the relay copies have left the service node's
//!   uplink, so a service node that restarts right then loses an accepted message.
//!   js-waku's ReliableChannel reports `message-sent` whatever LightPush said unless the
//!   error is irrecoverable (`reliable_channel.ts` l. 357-373): telemetry's "sent" is the
//!   publication itself.
//! - **Filter** (nwaku `waku/waku_filter_v2/protocol.nim`, `subscriptions.nim`): a service
//!   node pushes every message of a subscribed content topic (here: a channel the client is
//!   a member of) to each subscriber whose subscription was refreshed within
//!   `subscription_timeout`; a push to a client without a connection is lost (`pushToPeer`:
//!   "no connection to peer"). A ping refreshes the subscription, or fails with "not
//!   found" when it has expired. The client (js-waku `packages/sdk/src/filter/subscription.ts`
//!   l. 300-360) pings each of its `service_peers` service nodes every
//!   `keep_alive_interval`; after `pings_before_renewal` failures in a row it replaces the
//!   node; a closed connection replaces it at once (`onPeerDisconnected`), and after a
//!   reconnection it subscribes again (`onPeerConnected`).
//! - **The sender's view**: a service node's acceptance of a LightPush request sets
//!   `lightpush_accepted`, the Filter push of the client's own message back to it
//!   `propagated` (the Waku API's `message:send-propagated`); `reached_mesh` is set by the
//!   pipeline when a relay node first receives a copy from the mesh.
//!
//! Simplifications (documented in `scenarios/README.md`): message sizes on the wire are the
//! SDS bytes (no Waku envelope or protocol framing); control messages (pings, subscribe
//! requests, answers) have fixed sizes and no uplink queueing; a service node that goes down
//! is not re-grafted around in the mesh (its neighbours just lose copies to it); a failed
//! LightPush attempt does not make the client change its LightPush peer (js-waku renews only
//! on errors it receives, not on timeouts).

use std::collections::BTreeMap;
use std::rc::Rc;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::event::{trace_ids, Ev};
use super::observe::secs;
use super::pipeline::{RoleHooks, RunError, World};
use super::queue::EventQueue;
use crate::metrics::LightStats;
use crate::net::{Packet, Sampler, TrafficKind};
use crate::rng::{stream, StreamKind};
use crate::scenario::{Scenario, ServiceOfflineMode};
use crate::time::SimTime;

mod filter;
mod lightpush;
mod trace;

/// Bytes a LightPush request adds to the message (request id, pubsub topic).
pub const LIGHTPUSH_OVERHEAD_BYTES: u64 = 64;
/// Bytes of a Filter ping or subscribe request (request id, type, topics).
pub const FILTER_REQUEST_BYTES: u64 = 100;
/// Bytes of a service node's answer (request id, status code).
pub const ANSWER_BYTES: u64 = 48;

const NONE: u32 = u32::MAX;

/// The light role's events (inside [`Ev::Light`]).
pub(crate) enum LightEv {
    /// Attempt `attempt` of LightPush request `req` reaches service `service`.
    PushArrive {
        req: u32,
        attempt: u16,
        service: u32,
    },
    /// The service's answer to attempt `attempt` of request `req` reaches the client.
    PushAnswer { req: u32, attempt: u16 },
    /// Attempt `attempt` of request `req` times out unless answered.
    PushTimeout { req: u32, attempt: u16 },
    /// Request `req` is retried.
    PushRetry { req: u32 },
    /// Client `client`'s own message `message` comes back through its Filter subscription.
    Propagated { client: u32, message: u32 },
    /// Client `client` pings its service nodes (valid for connection `epoch`).
    KeepAlive { client: u32, epoch: u32 },
    /// A ping (`subscribe` false) or subscribe request of `client` reaches `service`.
    PeerRequest {
        client: u32,
        service: u32,
        epoch: u32,
        subscribe: bool,
    },
    /// The outcome of such a request reaches the client (or its timeout: `ok` false).
    PeerAnswer {
        client: u32,
        service: u32,
        epoch: u32,
        ok: bool,
    },
    /// Client `client` has its connections back (valid for `epoch`).
    Reconnect { client: u32, epoch: u32 },
    /// Client `client` loses its connections (`[[light.network_switch]]` entry `entry`).
    SwitchStart { client: u32, entry: u16 },
    /// Service `service` goes down (`unreachable`: silently).
    ServiceDown { service: u32, unreachable: bool },
    /// Service `service` is back.
    ServiceUp { service: u32 },
}

impl LightEv {
    /// Trace words (see `Ev::trace_words`): kinds 20..=31.
    pub fn trace_words(&self) -> [u64; 2] {
        let ids = trace_ids;
        match *self {
            LightEv::PushArrive {
                req,
                attempt,
                service,
            } => [ids(20, req, service), u64::from(attempt)],
            LightEv::PushAnswer { req, attempt } => [ids(21, req, 0), u64::from(attempt)],
            LightEv::PushTimeout { req, attempt } => [ids(22, req, 0), u64::from(attempt)],
            LightEv::PushRetry { req } => [ids(23, req, 0), 0],
            LightEv::Propagated { client, message } => [ids(24, client, 0), u64::from(message)],
            LightEv::KeepAlive { client, epoch } => [ids(25, client, 0), u64::from(epoch)],
            LightEv::PeerRequest {
                client,
                service,
                epoch,
                subscribe,
            } => [
                ids(26, client, service),
                u64::from(epoch) | u64::from(subscribe) << 40,
            ],
            LightEv::PeerAnswer {
                client,
                service,
                epoch,
                ok,
            } => [
                ids(27, client, service),
                u64::from(epoch) | u64::from(ok) << 40,
            ],
            LightEv::Reconnect { client, epoch } => [ids(28, client, 0), u64::from(epoch)],
            LightEv::SwitchStart { client, entry } => [ids(29, client, 0), u64::from(entry)],
            LightEv::ServiceDown {
                service,
                unreachable,
            } => [ids(30, service, 0), u64::from(unreachable)],
            LightEv::ServiceUp { service } => [ids(31, service, 0), 0],
        }
    }
}

/// A LightPush request: one transmission of a light client, until accepted or given up.
struct Request {
    /// Client index.
    client: u32,
    packet: Rc<Packet>,
    /// The awaited attempt: incremented by each try and by each failure, so that a late
    /// answer to a failed try no longer counts (not the try's number: [`LightRole::try_number`]).
    attempt: u16,
    retries_left: u32,
}

/// A light client.
struct Client {
    /// Its participant index.
    node: u32,
    /// Service nodes (indices into `services`) it holds subscriptions with, in order; the
    /// first `lightpush_peers` also take its LightPush requests.
    peers: Vec<u32>,
    /// Failed pings in a row, per peer (parallel to `peers`).
    failures: Vec<u32>,
    /// It has its connections (not in a network switch, not asleep).
    connected: bool,
    /// Bumped at every disconnection: events of an older connection are stale.
    epoch: u32,
    rng: ChaCha8Rng,
}

/// A service node.
struct Service {
    /// Its network node index.
    node: u32,
    /// A dedicated service node (not a participant).
    dedicated: bool,
    /// Down, and how (`None`: up).
    down: Option<ServiceOfflineMode>,
    /// Subscribers (client indices) with the time of their last refresh (µs).
    subs: BTreeMap<u32, SimTime>,
}

/// Light clients and service nodes of a run.
pub(crate) struct LightRole {
    clients: Vec<Client>,
    /// Per participant: its client index, or `NONE`.
    client_of: Vec<u32>,
    services: Vec<Service>,
    /// Per network node: its service index, or `NONE`.
    service_of: Vec<u32>,
    /// Requests in progress by id (ids are never reused, so a stale event cannot match a
    /// later request).
    requests: BTreeMap<u32, Request>,
    next_request: u32,
    service_peers: usize,
    lightpush_peers: usize,
    lightpush_timeout: SimTime,
    retry_interval: SimTime,
    max_retries: u32,
    keep_alive: SimTime,
    pings_before_renewal: u32,
    subscription_timeout: SimTime,
    max_subscribers: usize,
    reconnect: Sampler,
    /// Per `[[light.network_switch]]` entry: its own reconnection delay, if any.
    switch_reconnect: Vec<Option<Sampler>>,
    stats: LightStats,
    scratch: Vec<crate::net::Copy>,
}

impl LightRole {
    /// The light clients and service nodes of `sc` (`None` without `[light]`): initial
    /// subscriptions at time 0 for clients present then, their keep-alive ticks (phase drawn
    /// in `(0, keep_alive_interval]`), service outages and network switches queued.
    ///
    /// Errors: a reconnection distribution the sampler rejects (bad input).
    pub fn new(
        sc: &Scenario,
        absent: &[bool],
        queue: &mut EventQueue<Ev>,
    ) -> Result<Option<Box<LightRole>>, crate::net::NetError> {
        let Some(l) = &sc.light else {
            return Ok(None);
        };
        let n = sc.participants;
        let nodes = sc.network_nodes();
        let service_nodes = l.service_indices(n);
        let mut service_of = vec![NONE; nodes as usize];
        let services: Vec<Service> = service_nodes
            .iter()
            .enumerate()
            .map(|(k, &node)| {
                service_of[node as usize] = k as u32;
                Service {
                    node,
                    dedicated: node >= n,
                    down: None,
                    subs: BTreeMap::new(),
                }
            })
            .collect();
        let ids = l.client_ids(n);
        let mut client_of = vec![NONE; n as usize];
        let mut role = LightRole {
            clients: Vec::with_capacity(ids.len()),
            client_of: Vec::new(),
            services,
            service_of,
            requests: BTreeMap::new(),
            next_request: 0,
            service_peers: l.effective_service_peers() as usize,
            lightpush_peers: l.lightpush_peers as usize,
            lightpush_timeout: l.lightpush_timeout.as_micros(),
            retry_interval: l.lightpush_retry_interval.as_micros(),
            max_retries: l.lightpush_max_attempts,
            keep_alive: l.keep_alive_interval.as_micros(),
            pings_before_renewal: l.pings_before_renewal,
            subscription_timeout: l.subscription_timeout.as_micros(),
            max_subscribers: l.max_subscribers as usize,
            reconnect: Sampler::new(&l.reconnect)?,
            switch_reconnect: l
                .network_switch
                .iter()
                .map(|w| w.reconnect.as_ref().map(Sampler::new).transpose())
                .collect::<Result<_, _>>()?,
            stats: LightStats {
                clients: ids.len() as u64,
                service_nodes: service_nodes.len() as u64,
                ..LightStats::default()
            },
            scratch: Vec::new(),
        };
        for (c, &node) in ids.iter().enumerate() {
            client_of[node as usize] = c as u32;
            let rng = stream(sc.seed, StreamKind::Light, u64::from(node));
            // The service nodes it starts with: spread evenly (client k takes services k,
            // k + 1, ... mod S), as a deployment's service nodes share their clients.
            let count = role.services.len() as u32;
            let order: Vec<u32> = (0..count).map(|j| (c as u32 + j) % count).collect();
            let mut client = Client {
                node,
                peers: Vec::new(),
                failures: Vec::new(),
                connected: !absent[node as usize],
                epoch: 0,
                rng,
            };
            if client.connected {
                for &s in order.iter().take(role.service_peers) {
                    if role.services[s as usize].subs.len() < role.max_subscribers {
                        role.services[s as usize].subs.insert(c as u32, 0);
                        client.peers.push(s);
                        client.failures.push(0);
                    }
                }
                let phase = client.rng.random_range(1..=role.keep_alive);
                queue.push(
                    phase,
                    Ev::Light(LightEv::KeepAlive {
                        client: c as u32,
                        epoch: 0,
                    }),
                );
            }
            role.clients.push(client);
        }
        role.client_of = client_of;
        let workload_end = sc.duration.as_micros();
        for w in &l.service_offline {
            let end = w.end.as_micros().min(workload_end);
            role.stats.windows.push((w.start.as_micros(), end));
            queue.push(
                w.start.as_micros(),
                Ev::Light(LightEv::ServiceDown {
                    service: w.node,
                    unreachable: w.mode == ServiceOfflineMode::Unreachable,
                }),
            );
            queue.push(end, Ev::Light(LightEv::ServiceUp { service: w.node }));
        }
        let mut pick = stream(sc.seed, StreamKind::Light, 1 << 40);
        for (k, w) in l.network_switch.iter().enumerate() {
            let who: Vec<u32> = match (&w.ids, w.fraction) {
                (Some(ids), _) => ids.clone(),
                (None, Some(f)) => {
                    let count = ((f * ids.len() as f64).round() as usize).min(ids.len());
                    let mut all = ids.clone();
                    for j in 0..count {
                        let p = pick.random_range(j..all.len());
                        all.swap(j, p);
                    }
                    all.truncate(count);
                    all.sort_unstable();
                    all
                }
                (None, None) => Vec::new(),
            };
            for node in who {
                queue.push(
                    w.at.as_micros(),
                    Ev::Light(LightEv::SwitchStart {
                        client: role.client_of[node as usize],
                        entry: k as u16,
                    }),
                );
            }
        }
        Ok(Some(Box::new(role)))
    }

    /// The role's figures at the end of the run.
    pub fn outcome(&self) -> LightStats {
        self.stats.clone()
    }

    /// Handles one of the role's events at `now`.
    ///
    /// Errors: none today (the role feeds no driver); kept for symmetry with other roles.
    pub fn handle(&mut self, w: &mut World, now: SimTime, ev: LightEv) -> Result<(), RunError> {
        match ev {
            LightEv::PushArrive {
                req,
                attempt,
                service,
            } => self.push_arrive(w, now, req, attempt, service),
            LightEv::PushAnswer { req, attempt } => self.push_answer(w, now, req, attempt),
            LightEv::PushTimeout { req, attempt } => {
                if self.current(req, attempt) {
                    self.stats.lightpush_timeouts += 1;
                    let r = &self.requests[&req];
                    let (packet, node) =
                        (Rc::clone(&r.packet), self.clients[r.client as usize].node);
                    let waited = self.lightpush_timeout;
                    let try_no = self.try_number(r);
                    trace::line(w, &packet, now, "lightpush-timeout", node, None, || {
                        format!("try {try_no}: no answer within {} s", secs(waited))
                    });
                    self.fail(w, now, req);
                }
            }
            LightEv::PushRetry { req } => {
                if self.requests.contains_key(&req) {
                    self.attempt(w, now, req);
                }
            }
            LightEv::Propagated { client, message } => {
                let c = &self.clients[client as usize];
                if c.connected && w.churn.is_online(c.node) {
                    let view = w.rec.sender_view_mut(message);
                    let first = view.propagated.is_none();
                    view.propagated.get_or_insert(now);
                    let node = c.node;
                    let watch = w
                        .watch
                        .as_deref_mut()
                        .filter(|x| first && x.follows(message));
                    if let Some(watch) = watch {
                        watch.line(
                            now,
                            "propagated",
                            Some(node),
                            None,
                            None,
                            "its own message came back through Filter (message:send-propagated)"
                                .into(),
                        );
                    }
                }
            }
            LightEv::KeepAlive { client, epoch } => self.keep_alive(w, now, client, epoch),
            LightEv::PeerRequest {
                client,
                service,
                epoch,
                subscribe,
            } => self.peer_request(w, now, client, service, epoch, subscribe),
            LightEv::PeerAnswer {
                client,
                service,
                epoch,
                ok,
            } => self.peer_answer(w, now, client, service, epoch, ok),
            LightEv::Reconnect { client, epoch } => self.reconnect(w, now, client, epoch),
            LightEv::SwitchStart { client, entry } => {
                let c = &self.clients[client as usize];
                if c.connected && w.churn.is_online(c.node) {
                    self.stats.network_switches += 1;
                    self.disconnect(client);
                    let c = &mut self.clients[client as usize];
                    let sampler = self.switch_reconnect[entry as usize]
                        .as_ref()
                        .unwrap_or(&self.reconnect);
                    let delay = sampler.sample_us(&mut c.rng);
                    w.queue.push(
                        now + delay,
                        Ev::Light(LightEv::Reconnect {
                            client,
                            epoch: c.epoch,
                        }),
                    );
                }
            }
            LightEv::ServiceDown {
                service,
                unreachable,
            } => self.service_down(w, now, service, unreachable),
            LightEv::ServiceUp { service } => self.service_up(w, now, service),
        }
        Ok(())
    }
}

impl RoleHooks for LightRole {
    /// A light client's transmission leaves by LightPush.
    fn take_transmit(&mut self, w: &mut World, now: SimTime, packet: &Rc<Packet>) -> bool {
        let client = self
            .client_of
            .get(packet.origin as usize)
            .copied()
            .unwrap_or(NONE);
        if client == NONE {
            return false;
        }
        w.net.originate(packet);
        trace::line(
            w,
            packet,
            now,
            "handed-to-role",
            packet.origin,
            None,
            || "LightPush".into(),
        );
        let r = Request {
            client,
            packet: Rc::clone(packet),
            attempt: 0,
            retries_left: self.max_retries,
        };
        let req = self.next_request;
        self.next_request = self.next_request.wrapping_add(1);
        self.requests.insert(req, r);
        self.attempt(w, now, req);
        true
    }

    /// A service node that has a packet for the first time pushes it to its subscribers.
    fn on_first_receipt(&mut self, w: &mut World, now: SimTime, node: u32, packet: &Rc<Packet>) {
        let s = self.service_of.get(node as usize).copied().unwrap_or(NONE);
        if s != NONE {
            self.fanout(w, now, s, packet);
        }
    }

    /// A light client that goes to sleep (or crashes, or leaves) loses its connections and
    /// abandons its LightPush requests; a service node that is a participant is down like a
    /// restart.
    fn participant_down(&mut self, w: &mut World, now: SimTime, i: u32) {
        let s = self.service_of.get(i as usize).copied().unwrap_or(NONE);
        if s != NONE {
            self.service_down(w, now, s, false);
        }
        let client = self.client_of.get(i as usize).copied().unwrap_or(NONE);
        if client != NONE {
            self.disconnect(client);
            let before = self.requests.len();
            self.requests.retain(|_, r| r.client != client);
            self.stats.lightpush_interrupted += (before - self.requests.len()) as u64;
        }
    }

    /// A light client back online reconnects after a draw from `light.reconnect`.
    fn participant_up(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        _fresh: bool,
    ) -> Result<(), RunError> {
        let s = self.service_of.get(i as usize).copied().unwrap_or(NONE);
        if s != NONE {
            self.service_up(w, now, s);
        }
        let client = self.client_of.get(i as usize).copied().unwrap_or(NONE);
        if client != NONE {
            let c = &mut self.clients[client as usize];
            c.connected = false;
            c.epoch += 1;
            let delay = self.reconnect.sample_us(&mut c.rng);
            w.queue.push(
                now + delay,
                Ev::Light(LightEv::Reconnect {
                    client,
                    epoch: c.epoch,
                }),
            );
        }
        Ok(())
    }
}
