//! The life of a message: from an application's send, through the network, to a delivery at
//! every receiver and the recorder (ARCHITECTURE.md, "Life of a message").
//!
//! `World` holds what every step touches: the event queue, the network, the recorder, the
//! participants and their churn state. The steps, in order:
//!
//! 1. `World::publish`: the workload hands a payload to the sender's driver
//!    ([`Driver::send`]), then `World::drain`s it.
//! 2. `World::drain`: every transmission the driver produced is counted, the publication's
//!    ground truth recorded (from its own wire bytes: causal history, Lamport timestamp), the
//!    node roles shown it (`RoleHooks`), and put on the wire by `World::transmit`; every
//!    event goes to the recorder and the roles; the driver's next deadline becomes a timer.
//! 3. `World::transmit`: the network ([`Network::publish`]) decides the copies (first hop:
//!    one per channel member, or to mesh neighbours) with their latency, loss and partitions;
//!    each copy becomes an `Ev::Arrive` event.
//! 4. `World::arrive`: a copy comes off the wire (downlink queue, sender still online),
//!    the network forwards it on a flooding overlay ([`Network::on_arrival`]); the first
//!    receipt of a member goes to its driver ([`Driver::receive`]), which is drained (2.).
//! 5. `World::timer`: a driver's deadline fires ([`Driver::timeout`]), then drain (2.):
//!    resends, syncs, repair requests and responses leave the same way.
//!
//! May touch: the queue, the network, the recorder, the participants, the churn state. Node
//! roles (store nodes and clients) are reached only through `RoleHooks`.
//!
//! Redundant relay copies are counted when sent instead of queued when the run allows it
//! (`World::schedule_copies`, `Elision`).
//!
//! [`Driver::send`]: crate::driver::Driver::send
//! [`Driver::receive`]: crate::driver::Driver::receive
//! [`Driver::timeout`]: crate::driver::Driver::timeout

use std::rc::Rc;

use bytes::Bytes;
use rustc_hash::FxHashMap;

use super::churn::Churn;
use super::elision::Elision;
use super::event::{Ev, InFlight};
use super::observe::MessageWatch;
use super::participants::Participants;
use super::queue::EventQueue;
use crate::driver::{DriverFailure, Sent};
use crate::metrics::{ChannelSpec, Recorder, Via};
use crate::net::{Copy, Network, Packet, Receipt, TrafficKind};
use crate::sds;
use crate::time::{SimTime, US_PER_S};

/// A run stopped because a participant's driver can no longer be driven (an external
/// implementation that exited, hung or wrote garbage).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("participant {participant} in channel {channel:?} at simulated t = {time_s:.6} s, {request}: {reason}")]
pub struct RunError {
    /// The participant whose driver failed.
    pub participant: u32,
    /// Wire id of its channel.
    pub channel: String,
    /// Simulated time (s).
    pub time_s: f64,
    /// The input that failed (`send`, `receive`, `timeout`, `set_retrieval_hint`).
    pub request: &'static str,
    /// What the driver said.
    pub reason: String,
}

/// What node roles (store nodes and the store client) see of the participants' outputs and
/// presence. Implemented by the roles; every method has a no-op default.
pub(crate) trait RoleHooks {
    /// The hash to use as retrieval hint and store key for a transmission of `kind` with
    /// `bytes`, if roles want one (store nodes ingest content, resends and repair
    /// responses).
    fn message_hash(&mut self, _kind: TrafficKind, _bytes: &Bytes) -> Option<Bytes> {
        None
    }

    /// Whether the hashes from [`RoleHooks::message_hash`] also travel as retrieval hints
    /// (participants query store nodes).
    fn hints_on(&self) -> bool {
        false
    }

    /// Participant `i`'s `slot` emitted `ev`; returns true if the role's view of its missing
    /// messages changed.
    fn on_event(&mut self, _i: u32, _slot: usize, _ev: &sds::Event) -> bool {
        false
    }

    /// A transmission with `hash` leaves participant `from` (before its copies are put on
    /// the wire).
    #[allow(clippy::too_many_arguments)]
    fn on_transmit(
        &mut self,
        _w: &mut World,
        _now: SimTime,
        _channel: u32,
        _from: u32,
        _kind: TrafficKind,
        _bytes: &Bytes,
        _hash: &Bytes,
        _id: &str,
    ) {
    }

    /// A role may take over a transmission of participant `from` instead of the network
    /// (a light client sends by LightPush): returns true if it did.
    fn take_transmit(&mut self, _w: &mut World, _now: SimTime, _packet: &Rc<Packet>) -> bool {
        false
    }

    /// Network node `node` received `packet` for the first time at `now` (any node: relay
    /// participants, light clients, service nodes), before its member, if any, handles it.
    fn on_first_receipt(
        &mut self,
        _w: &mut World,
        _now: SimTime,
        _node: u32,
        _packet: &Rc<Packet>,
    ) {
    }

    /// Participant `i`'s `slot` was drained; `missing_changed` as returned by `on_event`.
    fn after_drain(
        &mut self,
        _w: &mut World,
        _now: SimTime,
        _i: u32,
        _slot: usize,
        _missing_changed: bool,
    ) {
    }

    /// Participant `i` went offline (or left) at `now`.
    fn participant_down(&mut self, _w: &mut World, _now: SimTime, _i: u32) {}

    /// Participant `i` is back at `now` (`fresh`: with fresh drivers after a crash or join).
    ///
    /// Errors: a driver failure while serving the participant.
    fn participant_up(
        &mut self,
        _w: &mut World,
        _now: SimTime,
        _i: u32,
        _fresh: bool,
    ) -> Result<(), RunError> {
        Ok(())
    }
}

/// No node roles.
impl RoleHooks for () {}

/// Everything the steps of a message's life touch (see the module docs).
pub(crate) struct World {
    pub queue: EventQueue<Ev>,
    pub net: Network,
    pub rec: Recorder,
    /// The run's channels (index = channel number).
    pub channels: Vec<ChannelSpec>,
    pub parts: Participants,
    pub churn: Churn,
    /// Copies scheduled on the wire that have not arrived (or been dropped) yet.
    pub in_flight: u64,
    /// Of those, copies of inert packets ([`Packet::inert`]: syncs without repair requests),
    /// which do not keep the run from settling.
    pub in_flight_inert: u64,
    /// Copies handed to a driver (`receive`): core receipts, for `perf.json`'s floor.
    pub core_receipts: u64,
    /// Reused buffer for the copies of one transmission.
    scratch: Vec<Copy>,
    /// Id, sender and label of a publication whose content transmission has not been
    /// drained yet.
    pending_publication: Option<(String, u32, Option<String>)>,
    /// The copy being handed to a driver, to tell the recorder how deliveries arrived.
    pub input: Input,
    /// Copies a participant received but could not deliver yet (incoming buffer): (its id,
    /// message index) -> how the copy arrived, until the message is delivered.
    held: FxHashMap<(u32, u32), (Via, bool)>,
    /// The message `--trace-message` follows (`None`: not asked for).
    pub watch: Option<Box<MessageWatch>>,
    /// Redundant copies counted when sent instead of queued ([`Elision`]).
    pub elision: Elision,
    /// Syncs without repair requests may be inert ([`Packet::inert`]): set without churn
    /// (every member expects every message of its channel, so a settled group knows every
    /// id a sync names) and without Trickle (whose syncs back off until the wire empties).
    pub syncs_inert: bool,
}

/// The input being fed to a driver, for arrival bookkeeping ([`Via`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input {
    /// The recorder index of the message the input carries ([`Packet::NO_MESSAGE`]: none).
    pub message: u32,
    /// The kind of copy it is.
    pub via: Via,
    /// It came through a Filter push.
    pub filter: bool,
    /// Its message was delivered by this input.
    pub delivered: bool,
    /// How deliveries of other messages not seen before arrived (store answers: `Store`).
    pub fallback: Via,
}

impl Input {
    /// No copy being handed over (timers, publications).
    pub const NONE: Input = Input {
        message: Packet::NO_MESSAGE,
        via: Via::None,
        filter: false,
        delivered: false,
        fallback: Via::None,
    };
}

impl World {
    /// A world with an empty queue.
    pub fn new(
        net: Network,
        rec: Recorder,
        channels: Vec<ChannelSpec>,
        parts: Participants,
        churn: Churn,
    ) -> World {
        World {
            queue: EventQueue::new(),
            net,
            rec,
            channels,
            parts,
            churn,
            in_flight: 0,
            in_flight_inert: 0,
            core_receipts: 0,
            scratch: Vec::new(),
            pending_publication: None,
            input: Input::NONE,
            held: FxHashMap::default(),
            watch: None,
            elision: Elision::default(),
            syncs_inert: false,
        }
    }

    /// A [`RunError`] for participant `i`'s `slot` at `now`.
    pub fn failure(
        &self,
        now: SimTime,
        i: u32,
        slot: usize,
        request: &'static str,
        f: DriverFailure,
    ) -> RunError {
        let channel = self.parts.nodes[i as usize].slots[slot].channel;
        RunError {
            participant: i,
            channel: self.channels[channel as usize].id.clone(),
            time_s: now as f64 / US_PER_S as f64,
            request,
            reason: f.0,
        }
    }

    /// Step 1: participant `sender`, online and a member of the channel of its `slot`,
    /// publishes `payload` (labelled when scripted). A refused send is counted.
    ///
    /// Errors: the sender's driver failed.
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        &mut self,
        now: SimTime,
        sender: u32,
        slot: usize,
        payload: Bytes,
        label: Option<String>,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        let now_ms = self.parts.clocks.now_ms(sender, now);
        let driver = &mut self.parts.slot_mut(sender, slot).driver;
        match driver.send(now_ms, payload) {
            // The publication's causal history is read back from its own wire bytes in
            // `drain` (the content transmission of the same id).
            Ok(Sent::Published(id)) => self.pending_publication = Some((id, sender, label)),
            Ok(Sent::Refused(_)) => self.rec.counters_mut().publications_refused += 1,
            Err(f) => return Err(self.failure(now, sender, slot, "send", f)),
        }
        self.drain(now, sender, slot, false, roles)
    }

    /// Step 4: a copy comes off the wire at its receiver (or leaves the receiver's downlink
    /// queue, `handed_over`).
    ///
    /// Link model (`net::links`): a copy still queued in its sender's uplink when the sender
    /// went offline never left; a copy off the wire first waits in the receiver's downlink
    /// FIFO (re-scheduled once, with `handed_over`). An offline receiver drops it (counted);
    /// a relay forwards it on first receipt; a member hands its first receipt to its
    /// driver.
    ///
    /// Errors: the receiver's driver failed.
    pub fn arrive(
        &mut self,
        now: SimTime,
        mut copy: InFlight,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        if !copy.handed_over {
            let on_wire = Copy {
                to: copy.to,
                from: copy.from,
                arrival: now,
                departure: copy.departure,
                epoch: copy.epoch,
            };
            if !self.net.copy_alive(&on_wire) {
                self.copy_landed(&copy.packet);
                self.watch_copy(
                    now,
                    &copy,
                    "copy-never-left",
                    "its sender went offline before its uplink sent it".into(),
                );
                return Ok(());
            }
            let size = copy.packet.bytes.len() as u64;
            let wait = self.net.downlink_delay(copy.to, now, size);
            if wait > 0 {
                self.watch_copy(
                    now,
                    &copy,
                    "copy-queued-downlink",
                    format!("handed over after {wait} µs"),
                );
                copy.handed_over = true;
                self.queue.push(now + wait, Ev::Arrive(copy));
                return Ok(());
            }
        }
        self.copy_landed(&copy.packet);
        if !self.churn.is_online(copy.to) {
            self.churn.copy_to_offline();
            self.watch_copy(
                now,
                &copy,
                "copy-to-offline",
                "dropped: the receiver is offline".into(),
            );
            return Ok(()); // neither delivered nor forwarded
        }
        let InFlight {
            packet, to, from, ..
        } = copy;
        let mut forwards = std::mem::take(&mut self.scratch);
        forwards.clear();
        let receipt = self.net.on_arrival(now, to, from, &packet, &mut forwards);
        self.schedule_copies(&packet, &forwards);
        self.scratch = forwards;
        if let Some(w) = self
            .watch
            .as_deref_mut()
            .filter(|w| w.follows(packet.message.get()))
        {
            let (event, detail) = match receipt {
                Receipt::First => ("arrived", "first copy at this node"),
                Receipt::Duplicate => ("arrived-duplicate", "dropped by the seen-cache"),
            };
            w.line(
                now,
                event,
                Some(to),
                Some(from),
                Some(packet.kind),
                detail.into(),
            );
            w.take_net_notes(&mut self.net);
        }
        if receipt == Receipt::Duplicate {
            return Ok(());
        }
        let m = packet.message.get();
        if m != Packet::NO_MESSAGE && self.net.is_relay(to) {
            self.rec.sender_view_mut(m).reached_mesh.get_or_insert(now);
        }
        roles.on_first_receipt(self, now, to, &packet);
        let Some(slot) = self
            .parts
            .nodes
            .get(to as usize)
            .and_then(|n| n.slot_of(packet.channel))
        else {
            return Ok(()); // a relay (or service node) that is not a member of the channel
        };
        let now_ms = self.parts.clocks.now_ms(to, now);
        self.core_receipts += 1;
        let driver = &mut self.parts.slot_mut(to, slot).driver;
        if let Err(f) =
            driver.receive_shared(now_ms, &packet.bytes, packet.hint.clone(), &packet.shared)
        {
            return Err(self.failure(now, to, slot, "receive", f));
        }
        self.input = Input {
            message: packet.message.get(),
            via: via_of(packet.kind),
            // Light clients get copies only through Filter pushes.
            filter: !self.net.is_relay(to),
            delivered: false,
            fallback: Via::None,
        };
        let result = self.drain(now, to, slot, false, roles);
        self.settle_input(now, to);
        result
    }

    /// A queued copy of `packet` left the wire (arrived or was dropped).
    fn copy_landed(&mut self, packet: &Packet) {
        self.in_flight -= 1;
        if packet.inert.get() {
            self.in_flight_inert -= 1;
        }
    }

    /// A trace line about `copy` when it carries the followed message.
    fn watch_copy(&mut self, now: SimTime, copy: &InFlight, event: &'static str, detail: String) {
        if let Some(w) = self
            .watch
            .as_deref_mut()
            .filter(|w| w.follows(copy.packet.message.get()))
        {
            w.line(
                now,
                event,
                Some(copy.to),
                Some(copy.from),
                Some(copy.packet.kind),
                detail,
            );
        }
    }

    /// Remembers that participant `to` holds a copy of message `m` it could not deliver yet,
    /// which arrived `via` (through a Filter push if `filter`); the first such copy counts.
    pub fn note_held(&mut self, to: u32, m: u32, via: Via, filter: bool) {
        if self.rec.awaits(m, to) {
            self.held.entry((to, m)).or_insert((via, filter));
        }
    }

    /// After participant `to` drained the input: if the input's message was neither
    /// delivered nor had been before, it waits in the incoming buffer; remember how it came.
    pub fn settle_input(&mut self, now: SimTime, to: u32) {
        let input = std::mem::replace(&mut self.input, Input::NONE);
        if input.message != Packet::NO_MESSAGE
            && !input.delivered
            && self.rec.awaits(input.message, to)
        {
            if let Some(w) = self
                .watch
                .as_deref_mut()
                .filter(|w| w.follows(input.message))
            {
                w.line(
                    now,
                    "held",
                    Some(to),
                    None,
                    None,
                    "in the incoming buffer, waiting for dependencies".into(),
                );
            }
            self.held
                .entry((to, input.message))
                .or_insert((input.via, input.filter));
        }
    }

    /// Step 5: the timer of participant `node`'s `slot` for deadline `at_ms` fires (stale
    /// timers and offline participants are skipped).
    ///
    /// Errors: the driver failed.
    pub fn timer(
        &mut self,
        now: SimTime,
        node: u32,
        slot: usize,
        at_ms: u64,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        if !self.churn.is_online(node) {
            return Ok(()); // its deadline was dropped when it went offline
        }
        let now_ms = self.parts.clocks.now_ms(node, now).max(at_ms);
        let s = self.parts.slot_mut(node, slot);
        if s.timer_at_ms != Some(at_ms) {
            return Ok(()); // stale: the driver has since asked for another deadline
        }
        s.timer_at_ms = None;
        if let Err(f) = s.driver.timeout(now_ms) {
            return Err(self.failure(now, node, slot, "timeout", f));
        }
        self.drain(now, node, slot, true, roles)
    }

    /// Calls `timeout` on every slot of participant `i` (a sleeper waking up: every timer
    /// missed while asleep fires at once), draining each.
    ///
    /// Errors: a driver failed.
    pub fn wake(
        &mut self,
        now: SimTime,
        i: u32,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        let now_ms = self.parts.clocks.now_ms(i, now);
        for slot in 0..self.parts.nodes[i as usize].slots.len() {
            if let Err(f) = self.parts.slot_mut(i, slot).driver.timeout(now_ms) {
                return Err(self.failure(now, i, slot, "timeout", f));
            }
            self.drain(now, i, slot, true, roles)?;
        }
        Ok(())
    }

    /// Step 3: puts `bytes` of `kind` from participant `from` on the wire in `channel` (or
    /// hands them to a role that takes them: LightPush). `message`: the recorder's index
    /// of the content message they carry, and whether the packet is inert
    /// ([`Packet::inert`]).
    #[allow(clippy::too_many_arguments)]
    pub fn transmit(
        &mut self,
        now: SimTime,
        channel: u32,
        from: u32,
        kind: TrafficKind,
        bytes: Bytes,
        hint: Option<Bytes>,
        (message, inert): (u32, bool),
        roles: &mut dyn RoleHooks,
    ) {
        let packet = Packet::with_hint(channel, from, kind, bytes, hint, self.net.nodes());
        packet.message.set(message);
        packet.inert.set(inert);
        let watched = self.watch.as_ref().is_some_and(|w| w.follows(message));
        if let Some(w) = self.watch.as_deref_mut().filter(|_| watched) {
            let size = packet.bytes.len();
            w.line(
                now,
                "sent",
                Some(from),
                None,
                Some(kind),
                format!("{size} bytes"),
            );
        }
        // The role writes its own `handed-to-role` line, before the lines of what it does.
        if roles.take_transmit(self, now, &packet) {
            return;
        }
        // A relay participant that serves Filter pushes its own messages to subscribers.
        roles.on_first_receipt(self, now, from, &packet);
        let mut copies = std::mem::take(&mut self.scratch);
        copies.clear();
        let members = &self.channels[channel as usize].members;
        self.net.publish(now, &packet, members, &mut copies);
        self.schedule_copies(&packet, &copies);
        self.scratch = copies;
        if let Some(w) = self.watch.as_deref_mut().filter(|_| watched) {
            w.take_net_notes(&mut self.net);
        }
    }

    /// Queues an arrival event for every copy of `packet` (each counted in flight), except
    /// redundant copies that can be counted now ([`Elision`]).
    pub fn schedule_copies(&mut self, packet: &Rc<Packet>, copies: &[Copy]) {
        let inert = packet.inert.get();
        for c in copies {
            if self.elision.may_elide(c.arrival)
                && self.net.count_redundant_now(c.to, packet, c.arrival)
            {
                self.elision.count += 1;
                continue;
            }
            if self.elision.on {
                packet.note_queued(c.to, c.departure, c.arrival);
            }
            self.elision.queued(c.arrival, inert);
            if inert {
                self.in_flight_inert += 1;
            }
            self.in_flight += 1;
            self.queue.push(
                c.arrival,
                Ev::Arrive(InFlight {
                    packet: Rc::clone(packet),
                    departure: c.departure,
                    to: c.to,
                    from: c.from,
                    epoch: c.epoch,
                    handed_over: false,
                }),
            );
        }
    }

    /// Step 2: drains participant `i`'s `slot` after an input: transmissions, events, next
    /// timer.
    ///
    /// `from_timer`: the input was a timeout; a deadline at or before the current
    /// millisecond is then pushed 1 ms ahead, so a driver can never pin the clock in place.
    ///
    /// Errors: the driver failed while its retrieval hints were set.
    pub fn drain(
        &mut self,
        now: SimTime,
        i: u32,
        slot: usize,
        from_timer: bool,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        let s = &mut self.parts.nodes[i as usize].slots[slot];
        let channel = s.channel;
        let driver = &mut s.driver;
        let mut out: Vec<(TrafficKind, Bytes, Option<Bytes>, String, bool)> = Vec::new();
        while let Some(t) = driver.poll_transmit() {
            let kind = traffic_kind(t.kind);
            if t.repair_requests > 0 {
                let c = self.rec.counters_mut();
                c.transmissions_with_repair_requests += 1;
                c.max_repair_requests_per_transmission = c
                    .max_repair_requests_per_transmission
                    .max(t.repair_requests);
            }
            if kind == TrafficKind::Content {
                if let Some((id, sender, label)) = self.pending_publication.take() {
                    let decoded = sds::wire::decode(&t.bytes).ok();
                    let deps: Vec<&str> = decoded
                        .iter()
                        .flat_map(|m| m.causal_history.iter().map(|h| h.message_id.as_str()))
                        .collect();
                    let m = self.rec.publish(&id, channel, sender, now, &deps);
                    let lamport = decoded.as_ref().and_then(|d| d.lamport_timestamp);
                    if let Some(w) = self.watch.as_deref_mut() {
                        let (net, l) = (&mut self.net, label.as_deref());
                        w.on_publish(net, now, m, &id, l, sender, lamport, deps.len());
                    }
                    self.rec.set_label(m, label);
                    self.rec.set_lamport(m, lamport);
                }
            }
            let hash = roles.message_hash(kind, &t.bytes);
            // A sync without repair requests changes no delivery and no buffer of a settled
            // group (every message delivered, so every id it names is known).
            let inert = self.syncs_inert && kind == TrafficKind::Sync && t.repair_requests == 0;
            out.push((kind, t.bytes, hash, t.message_id, inert));
        }
        // With store retrieval, every message carries its hash as retrieval hint (js-waku's
        // ReliableChannel sets the Waku message hash on send and on receipt).
        let hints_on = roles.hints_on();
        if hints_on {
            for (kind, _, hint, id, _) in &out {
                if let (TrafficKind::Content, Some(h)) = (kind, hint) {
                    if let Err(f) = driver.set_retrieval_hint(id, h.clone()) {
                        return Err(self.failure(now, i, slot, "set_retrieval_hint", f));
                    }
                }
            }
        }
        let mut missing_changed = false;
        while let Some(ev) = driver.poll_event() {
            missing_changed |= roles.on_event(i, slot, &ev);
            if let Some(w) = self.watch.as_deref_mut() {
                w.on_core_event(now, i, &ev);
            }
            match ev {
                sds::Event::Delivered { message_id, .. } => {
                    if let Some(m) = self.rec.deliver(channel, &message_id, i, now) {
                        let (via, filter) = if m == self.input.message {
                            self.input.delivered = true;
                            (self.input.via, self.input.filter)
                        } else if let Some(a) = self.held.remove(&(i, m)) {
                            a
                        } else {
                            (self.input.fallback, false)
                        };
                        self.rec.set_arrival(m, i, via, filter);
                        if let Some(w) = self.watch.as_deref_mut().filter(|w| w.follows(m)) {
                            w.on_delivered(now, i, via, filter);
                        }
                    }
                }
                sds::Event::Acknowledged { message_id } => {
                    self.rec.acknowledged(channel, &message_id, now)
                }
                sds::Event::NotAcknowledged { message_id } => {
                    self.rec.not_acknowledged(channel, &message_id)
                }
                sds::Event::MissingDependencies { .. } => {
                    self.rec.counters_mut().missing_dependency_events += 1
                }
                sds::Event::RepairRequestSent { message_id } => {
                    self.rec.repair_request_sent(channel, &message_id)
                }
                sds::Event::RepairRequestReceived { .. } => {
                    self.rec.counters_mut().repair_requests_received += 1
                }
                sds::Event::RepairResponseSent { message_id } => {
                    self.rec.repair_response_sent(channel, &message_id)
                }
                sds::Event::IrretrievablyLost { .. } => {
                    self.rec.counters_mut().irretrievably_lost += 1
                }
                sds::Event::DroppedLost { .. } => self.rec.counters_mut().dropped_lost += 1,
                _ => {}
            }
        }
        let quiescent = driver.is_quiescent();
        let now_ms = self.parts.clocks.now_ms(i, now);
        let wanted = driver
            .poll_timeout()
            .map(|at| if from_timer { at.max(now_ms + 1) } else { at });
        let s = &mut self.parts.nodes[i as usize].slots[slot];
        match (s.quiescent, quiescent) {
            (true, false) => self.parts.non_quiescent += 1,
            (false, true) => self.parts.non_quiescent -= 1,
            _ => {}
        }
        s.quiescent = quiescent;
        if let Some(at_ms) = wanted {
            if s.timer_at_ms != Some(at_ms) {
                s.timer_at_ms = Some(at_ms);
                let at = self.parts.clocks.ms_to_sim(i, at_ms).max(now);
                self.queue.push(
                    at,
                    Ev::Timer {
                        node: i,
                        slot: slot as u16,
                        at_ms,
                    },
                );
            }
        } else {
            s.timer_at_ms = None;
        }
        for (kind, bytes, hash, id, inert) in out {
            if let Some(h) = &hash {
                roles.on_transmit(self, now, channel, i, kind, &bytes, h, &id);
            }
            let message = match kind {
                TrafficKind::Content | TrafficKind::Resend | TrafficKind::RepairResponse => {
                    self.rec.lookup(channel, &id).unwrap_or(Packet::NO_MESSAGE)
                }
                _ => Packet::NO_MESSAGE,
            };
            self.transmit(
                now,
                channel,
                i,
                kind,
                bytes,
                if hints_on { hash } else { None },
                (message, inert),
                roles,
            );
        }
        roles.after_drain(self, now, i, slot, missing_changed);
        Ok(())
    }
}

/// How a delivered message arrived, by the kind of the copy that brought it.
pub(crate) fn via_of(kind: TrafficKind) -> Via {
    match kind {
        TrafficKind::Content => Via::Content,
        TrafficKind::Resend => Via::Resend,
        TrafficKind::RepairResponse => Via::RepairResponse,
        TrafficKind::Sync | TrafficKind::Ephemeral => Via::None,
    }
}

/// The network's traffic kind of a driver's transmission.
fn traffic_kind(k: sds::TransmitKind) -> TrafficKind {
    match k {
        sds::TransmitKind::Content => TrafficKind::Content,
        sds::TransmitKind::Resend => TrafficKind::Resend,
        sds::TransmitKind::Sync => TrafficKind::Sync,
        sds::TransmitKind::RepairResponse => TrafficKind::RepairResponse,
        sds::TransmitKind::Ephemeral => TrafficKind::Ephemeral,
    }
}
