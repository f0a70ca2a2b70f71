//! LightPush: a light client's send as requests to its service nodes, their answers,
//! timeouts and js-waku's retries (module docs of [`super`] for the sources).

use super::*;

impl LightRole {
    /// Whether attempt `attempt` of request `req` is still the one awaited.
    pub(super) fn current(&self, req: u32, attempt: u16) -> bool {
        self.requests
            .get(&req)
            .is_some_and(|r| r.attempt == attempt)
    }

    /// Sends the next attempt of request `req` to the client's LightPush peers (all of them
    /// the first time, one on a retry), or fails it at once when the client has none.
    pub(super) fn attempt(&mut self, w: &mut World, now: SimTime, req: u32) {
        let r = self.requests.get_mut(&req).expect("live request");
        r.attempt += 1;
        let attempt = r.attempt;
        let c = &self.clients[r.client as usize];
        let fanout = if attempt == 1 {
            self.lightpush_peers
        } else {
            1
        };
        let targets: Vec<u32> = if c.connected && w.churn.is_online(c.node) {
            c.peers.iter().copied().take(fanout).collect()
        } else {
            Vec::new()
        };
        if targets.is_empty() {
            self.stats.lightpush_no_peer += 1;
            self.fail(w, now, req);
            return;
        }
        let r = self.requests.get(&req).expect("live request");
        let size = r.packet.bytes.len() as u64 + LIGHTPUSH_OVERHEAD_BYTES;
        let (from, kind) = (c.node, r.packet.kind);
        for s in targets {
            self.stats.lightpush_requests += 1;
            let mut copies = std::mem::take(&mut self.scratch);
            copies.clear();
            let to = self.services[s as usize].node;
            w.net
                .send_direct(now, from, to, size, kind, false, &mut copies);
            if let Some(copy) = copies.first() {
                w.queue.push(
                    copy.arrival,
                    Ev::Light(LightEv::PushArrive {
                        req,
                        attempt,
                        service: s,
                    }),
                );
            }
            self.scratch = copies;
        }
        w.queue.push(
            now + self.lightpush_timeout,
            Ev::Light(LightEv::PushTimeout { req, attempt }),
        );
    }

    /// An attempt failed: retry after the retry interval, or give the request up.
    pub(super) fn fail(&mut self, w: &mut World, now: SimTime, req: u32) {
        let r = self.requests.get_mut(&req).expect("live request");
        if r.retries_left > 0 {
            r.retries_left -= 1;
            // A later answer to the failed attempt no longer counts.
            r.attempt += 1;
            self.stats.lightpush_retries += 1;
            w.queue.push(
                now + self.retry_interval,
                Ev::Light(LightEv::PushRetry { req }),
            );
        } else {
            self.stats.lightpush_given_up += 1;
            self.finish(req);
        }
    }

    pub(super) fn finish(&mut self, req: u32) {
        self.requests.remove(&req);
    }

    /// A LightPush request reaches service `s`: unless it is down, the service publishes the
    /// message into the relay mesh, pushes it to its own Filter subscribers, and answers.
    pub(super) fn push_arrive(
        &mut self,
        w: &mut World,
        now: SimTime,
        req: u32,
        attempt: u16,
        s: u32,
    ) {
        let Some(r) = self.requests.get(&req) else {
            return; // answered or given up meanwhile; the service would still publish,
                    // but the message is already in the mesh or abandoned by its client
        };
        let service = &self.services[s as usize];
        if service.down.is_some() || !w.churn.is_online(service.node) {
            return; // no answer: the attempt times out
        }
        let packet = Rc::clone(&r.packet);
        let client_node = self.clients[r.client as usize].node;
        let current = r.attempt == attempt;
        let via = service.node;
        let mut copies = std::mem::take(&mut self.scratch);
        copies.clear();
        if w.net.relay_publish(now, &packet, via, &mut copies) {
            w.schedule_copies(&packet, &copies);
            self.scratch = copies;
            self.fanout(w, now, s, &packet);
        } else {
            self.scratch = copies;
        }
        // The answer ("accepted") goes back over the same link.
        self.stats.control_bytes += ANSWER_BYTES;
        if current {
            if let Some(at) = w.net.control_arrival(now, via, client_node) {
                w.queue
                    .push(at, Ev::Light(LightEv::PushAnswer { req, attempt }));
            }
        }
    }

    /// A service's acceptance reaches the client: the request is done.
    pub(super) fn push_answer(&mut self, w: &mut World, now: SimTime, req: u32, attempt: u16) {
        if !self.current(req, attempt) {
            return;
        }
        let r = self.requests.get(&req).expect("checked");
        let c = &self.clients[r.client as usize];
        if !c.connected || !w.churn.is_online(c.node) {
            return; // lost with the connection; the attempt times out
        }
        let m = r.packet.message.get();
        if m != Packet::NO_MESSAGE {
            w.rec
                .sender_view_mut(m)
                .lightpush_accepted
                .get_or_insert(now);
        }
        self.stats.lightpush_accepted += 1;
        self.finish(req);
    }
}
