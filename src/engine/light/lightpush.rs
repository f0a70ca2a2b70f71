//! LightPush: a light client's send as requests to its service nodes, their answers,
//! timeouts and js-waku's retries (module docs of [`super`] for the sources).

use super::*;

impl LightRole {
    /// The number of the try request `r` is on (1 for the first, then one per retry), as the
    /// trace reports it.
    pub(super) fn try_number(&self, r: &Request) -> u32 {
        self.max_retries - r.retries_left + 1
    }

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
        let try_no = self.max_retries - r.retries_left + 1;
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
            let (packet, node) = (Rc::clone(&r.packet), c.node);
            trace::line(
                w,
                &packet,
                now,
                "lightpush-no-service-node",
                node,
                None,
                || {
                    format!(
                        "try {try_no}: the client is offline, disconnected or has no service node"
                    )
                },
            );
            self.stats.lightpush_no_peer += 1;
            self.fail(w, now, req);
            return;
        }
        let r = self.requests.get(&req).expect("live request");
        let size = r.packet.bytes.len() as u64 + LIGHTPUSH_OVERHEAD_BYTES;
        let (from, kind) = (c.node, r.packet.kind);
        let packet = Rc::clone(&r.packet);
        trace::flush(w, &packet);
        for s in targets {
            self.stats.lightpush_requests += 1;
            let mut copies = std::mem::take(&mut self.scratch);
            copies.clear();
            let to = self.services[s as usize].node;
            w.net.send_direct(
                now,
                from,
                to,
                size,
                kind,
                false,
                packet.message.get(),
                &mut copies,
            );
            trace::copies(w, &packet, || format!("LightPush request, try {try_no}"));
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
        let (packet, node) = (Rc::clone(&r.packet), self.clients[r.client as usize].node);
        if r.retries_left > 0 {
            r.retries_left -= 1;
            // A later answer to the failed attempt no longer counts.
            r.attempt += 1;
            let left = r.retries_left;
            let next_try = self.max_retries - left + 1;
            self.stats.lightpush_retries += 1;
            let at = now + self.retry_interval;
            w.queue.push(at, Ev::Light(LightEv::PushRetry { req }));
            trace::line(w, &packet, now, "lightpush-retry", node, None, || {
                format!(
                    "try {next_try} at {} s, {left} retries left after it",
                    secs(at)
                )
            });
        } else {
            self.stats.lightpush_given_up += 1;
            self.finish(req);
            trace::line(w, &packet, now, "lightpush-given-up", node, None, || {
                "no retries left: this client stops sending it (its SDS resends may still)".into()
            });
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
        let packet = Rc::clone(&r.packet);
        let client_node = self.clients[r.client as usize].node;
        let via = service.node;
        if service.down.is_some() || !w.churn.is_online(via) {
            trace::line(
                w,
                &packet,
                now,
                "lightpush-unanswered",
                via,
                Some(client_node),
                || "the service node is down or offline: no answer".into(),
            );
            return; // no answer: the attempt times out
        }
        let current = r.attempt == attempt;
        let mut copies = std::mem::take(&mut self.scratch);
        copies.clear();
        if w.net.relay_publish(now, &packet, via, &mut copies) {
            trace::line(
                w,
                &packet,
                now,
                "lightpush-published",
                via,
                Some(client_node),
                || {
                    let late = if current {
                        ""
                    } else {
                        " (the client gave this try up already)"
                    };
                    format!("into the relay mesh and to its Filter subscribers{late}")
                },
            );
            trace::flush(w, &packet);
            w.schedule_copies(&packet, &copies);
            self.scratch = copies;
            self.fanout(w, now, s, &packet);
        } else {
            trace::line(
                w,
                &packet,
                now,
                "lightpush-published",
                via,
                Some(client_node),
                || "the service node had it already (seen-cache)".into(),
            );
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
        let (packet, node, try_no) = (Rc::clone(&r.packet), c.node, self.try_number(r));
        trace::line(w, &packet, now, "lightpush-accepted", node, None, || {
            format!("try {try_no}: a service node's answer (the sender's view: sent)")
        });
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
