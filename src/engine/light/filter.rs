//! Filter: service nodes pushing to subscribers, keep-alive pings, peer renewal and
//! reconnection, service-node outages (module docs of [`super`] for the sources).

use super::*;

impl LightRole {
    /// Service `s` has `packet` for the first time at `now` (relayed to it, or published by
    /// it): a push to every subscriber that is a member of its channel; the publisher's own
    /// message comes back to it as `propagated`.
    pub(super) fn fanout(&mut self, w: &mut World, now: SimTime, s: u32, packet: &Rc<Packet>) {
        let service = &mut self.services[s as usize];
        if service.down.is_some() {
            return;
        }
        let timeout = self.subscription_timeout;
        let before = service.subs.len();
        service
            .subs
            .retain(|_, seen| now.saturating_sub(*seen) <= timeout);
        self.stats.subscriptions_expired += (before - service.subs.len()) as u64;
        let from = service.node;
        let size = packet.bytes.len() as u64;
        let subscribers: Vec<u32> = service.subs.keys().copied().collect();
        trace::flush(w, packet);
        for client in subscribers {
            let c = &self.clients[client as usize];
            let node = c.node;
            let member = w
                .parts
                .nodes
                .get(node as usize)
                .is_some_and(|n| n.slot_of(packet.channel).is_some());
            if !member {
                continue;
            }
            if !c.connected || !w.churn.is_online(node) {
                self.stats.filter_pushes_to_disconnected += 1;
                trace::line(w, packet, now, "filter-push-lost", from, Some(node), || {
                    "the subscriber has no connection (pushToPeer: no connection to peer)".into()
                });
                continue;
            }
            self.stats.filter_pushes += 1;
            let message = packet.message.get();
            let mut copies = std::mem::take(&mut self.scratch);
            copies.clear();
            w.net.send_direct(
                now,
                from,
                node,
                size,
                packet.kind,
                true,
                message,
                &mut copies,
            );
            if node == packet.origin {
                // The publisher hears its own message back: only the milestone matters
                // (its core drops its own messages), so the copy is not scheduled.
                trace::copies(w, packet, || "Filter push back to its publisher".into());
                if message != Packet::NO_MESSAGE && packet.kind == TrafficKind::Content {
                    if let Some(at) = w.net.control_arrival(now, from, node) {
                        w.queue
                            .push(at, Ev::Light(LightEv::Propagated { client, message }));
                    }
                }
            } else {
                trace::copies(w, packet, || "Filter push".into());
                w.schedule_copies(packet, &copies);
            }
            self.scratch = copies;
        }
    }

    /// The keep-alive tick of `client`: a ping to each of its service nodes, new
    /// subscriptions if it has fewer than `service_peers`, the next tick.
    pub(super) fn keep_alive(&mut self, w: &mut World, now: SimTime, client: u32, epoch: u32) {
        let c = &self.clients[client as usize];
        if c.epoch != epoch || !c.connected || !w.churn.is_online(c.node) {
            return;
        }
        for s in c.peers.clone() {
            self.stats.pings += 1;
            self.peer_send(w, now, client, s, false);
        }
        self.fill_peers(w, now, client);
        w.queue.push(
            now + self.keep_alive,
            Ev::Light(LightEv::KeepAlive { client, epoch }),
        );
    }

    /// Sends a ping or a subscribe request from `client` to service `s`.
    pub(super) fn peer_send(
        &mut self,
        w: &mut World,
        now: SimTime,
        client: u32,
        s: u32,
        subscribe: bool,
    ) {
        let c = &self.clients[client as usize];
        let epoch = c.epoch;
        self.stats.control_bytes += FILTER_REQUEST_BYTES;
        match w
            .net
            .control_arrival(now, c.node, self.services[s as usize].node)
        {
            Some(at) => w.queue.push(
                at,
                Ev::Light(LightEv::PeerRequest {
                    client,
                    service: s,
                    epoch,
                    subscribe,
                }),
            ),
            None => w.queue.push(
                now + self.lightpush_timeout,
                Ev::Light(LightEv::PeerAnswer {
                    client,
                    service: s,
                    epoch,
                    ok: false,
                }),
            ),
        }
    }

    /// A ping or subscribe request reaches service `s`: it answers unless down (a subscribe
    /// adds or refreshes the subscription unless the node is full; a ping refreshes a live
    /// one and fails on an expired or unknown one).
    pub(super) fn peer_request(
        &mut self,
        w: &mut World,
        now: SimTime,
        client: u32,
        s: u32,
        epoch: u32,
        subscribe: bool,
    ) {
        let timeout = self.subscription_timeout;
        let service = &mut self.services[s as usize];
        let fail_at = now + self.lightpush_timeout;
        let answer = |w: &mut World, at: SimTime, ok: bool| {
            w.queue.push(
                at,
                Ev::Light(LightEv::PeerAnswer {
                    client,
                    service: s,
                    epoch,
                    ok,
                }),
            )
        };
        if service.down.is_some() || !w.churn.is_online(service.node) {
            answer(w, fail_at, false);
            return;
        }
        let ok = if subscribe {
            if service.subs.contains_key(&client) || service.subs.len() < self.max_subscribers {
                service.subs.insert(client, now);
                true
            } else {
                self.stats.subscribe_refused += 1;
                false
            }
        } else {
            match service.subs.get_mut(&client) {
                Some(seen) if now.saturating_sub(*seen) <= timeout => {
                    *seen = now;
                    true
                }
                Some(_) => {
                    service.subs.remove(&client);
                    self.stats.subscriptions_expired += 1;
                    false
                }
                None => false,
            }
        };
        self.stats.control_bytes += ANSWER_BYTES;
        let client_node = self.clients[client as usize].node;
        match w.net.control_arrival(now, service.node, client_node) {
            Some(at) => answer(w, at, ok),
            None => answer(w, fail_at, false),
        }
    }

    /// A ping or subscribe outcome reaches `client`: success clears the peer's failures;
    /// `pings_before_renewal` failures in a row replace it.
    pub(super) fn peer_answer(
        &mut self,
        w: &mut World,
        now: SimTime,
        client: u32,
        s: u32,
        epoch: u32,
        ok: bool,
    ) {
        let c = &mut self.clients[client as usize];
        if c.epoch != epoch || !c.connected {
            return;
        }
        let Some(k) = c.peers.iter().position(|&p| p == s) else {
            return;
        };
        if ok {
            c.failures[k] = 0;
            return;
        }
        self.stats.pings_failed += 1;
        c.failures[k] += 1;
        if c.failures[k] >= self.pings_before_renewal {
            c.peers.remove(k);
            c.failures.remove(k);
            self.stats.peer_renewals += 1;
            self.fill_peers(w, now, client);
        }
    }

    /// Subscribes `client` to more service nodes while it has fewer than `service_peers`
    /// (a seeded choice among those it does not use and does not know to be down).
    pub(super) fn fill_peers(&mut self, w: &mut World, now: SimTime, client: u32) {
        while self.clients[client as usize].peers.len() < self.service_peers {
            let c = &self.clients[client as usize];
            let candidates: Vec<u32> = (0..self.services.len() as u32)
                .filter(|s| {
                    !c.peers.contains(s)
                        && self.services[*s as usize].down != Some(ServiceOfflineMode::Restart)
                        && w.churn.is_online(self.services[*s as usize].node)
                })
                .collect();
            if candidates.is_empty() {
                return;
            }
            let c = &mut self.clients[client as usize];
            let s = candidates[c.rng.random_range(0..candidates.len())];
            c.peers.push(s);
            c.failures.push(0);
            self.stats.subscribe_requests += 1;
            self.peer_send(w, now, client, s, true);
        }
    }

    /// `client` loses its connections: its pending requests fail as their attempts time out
    /// (the app keeps running), its keep-alive stops until it reconnects.
    pub(super) fn disconnect(&mut self, client: u32) {
        let c = &mut self.clients[client as usize];
        c.connected = false;
        c.epoch += 1;
    }

    /// `client` has its connections back: it subscribes again with each of its service
    /// nodes (and new ones if it has too few) and restarts its keep-alive.
    pub(super) fn reconnect(&mut self, w: &mut World, now: SimTime, client: u32, epoch: u32) {
        let c = &mut self.clients[client as usize];
        if c.epoch != epoch || c.connected || !w.churn.is_online(c.node) {
            return;
        }
        c.connected = true;
        self.stats.reconnects += 1;
        let peers = c.peers.clone();
        for s in peers {
            self.stats.subscribe_requests += 1;
            self.peer_send(w, now, client, s, true);
        }
        self.fill_peers(w, now, client);
        let c = &self.clients[client as usize];
        w.queue.push(
            now + self.keep_alive,
            Ev::Light(LightEv::KeepAlive {
                client,
                epoch: c.epoch,
            }),
        );
    }

    /// Service `s` goes down. A restart closes its connections (clients replace it at once)
    /// and loses its subscriptions and the relay copies still in its uplink; an unreachable
    /// node keeps both and nobody notices but through failed requests.
    pub(super) fn service_down(&mut self, w: &mut World, now: SimTime, s: u32, unreachable: bool) {
        let service = &mut self.services[s as usize];
        if service.down.is_some() {
            return;
        }
        let node = service.node;
        if unreachable {
            service.down = Some(ServiceOfflineMode::Unreachable);
        } else {
            service.down = Some(ServiceOfflineMode::Restart);
            self.stats.subscriptions_lost_restart += service.subs.len() as u64;
            service.subs.clear();
            w.net.drop_uplink_queue(node, now);
        }
        if service.dedicated {
            w.churn.set_service_online(node, false);
        }
        if !unreachable {
            self.connection_closed(w, now, s);
        }
    }

    /// Every client connected to service `s` sees the connection close and replaces it.
    pub(super) fn connection_closed(&mut self, w: &mut World, now: SimTime, s: u32) {
        for client in 0..self.clients.len() as u32 {
            let c = &mut self.clients[client as usize];
            if let Some(k) = c.peers.iter().position(|&p| p == s) {
                c.peers.remove(k);
                c.failures.remove(k);
                self.stats.peer_renewals += 1;
                if c.connected && w.churn.is_online(c.node) {
                    self.fill_peers(w, now, client);
                }
            }
        }
    }

    /// Service `s` is back: clients with fewer than `service_peers` subscribe to it (js-waku
    /// `onPeerConnected`).
    pub(super) fn service_up(&mut self, w: &mut World, now: SimTime, s: u32) {
        let service = &mut self.services[s as usize];
        if service.down.take().is_none() {
            return;
        }
        if service.dedicated {
            w.churn.set_service_online(service.node, true);
        }
        for client in 0..self.clients.len() as u32 {
            let c = &self.clients[client as usize];
            if c.connected && w.churn.is_online(c.node) {
                self.fill_peers(w, now, client);
            }
        }
    }
}
