//! The node roles of a run, seen by the pipeline as one set of [`RoleHooks`].
//!
//! Each role owns its state, its events (a variant of `Ev`) and its figures, and sees the
//! participants only through the hooks. Today: store nodes with the participants' store
//! clients ([`StoreRole`]) and light clients with their service nodes ([`LightRole`]).
//!
//! Every hook is offered to every present role, store first. A role handling one of its own
//! events is taken out of the set for the time ([`Roles::handle_store`]); the pipeline steps
//! it triggers see it and the others together through [`With`].

use std::rc::Rc;

use bytes::Bytes;

use super::light::{LightEv, LightRole};
use super::pipeline::{RoleHooks, RunError, World};
use super::store::{StoreEv, StoreRole};
use crate::net::{Packet, TrafficKind};
use crate::sds;
use crate::time::SimTime;

/// Every node role of a run (absent roles do nothing).
#[derive(Default)]
pub(crate) struct Roles {
    pub store: Option<Box<StoreRole>>,
    pub light: Option<Box<LightRole>>,
}

impl Roles {
    /// Hands a store event to the store role, the other roles watching.
    ///
    /// Errors: a driver failed while the store role fed it.
    pub fn handle_store(
        &mut self,
        w: &mut World,
        now: SimTime,
        e: StoreEv,
    ) -> Result<(), RunError> {
        let Some(mut store) = self.store.take() else {
            return Ok(());
        };
        let result = store.handle(w, now, e, self);
        self.store = Some(store);
        result
    }

    /// Hands a light event to the light role (which feeds no driver: no other role needs to
    /// watch).
    ///
    /// Errors: as [`LightRole::handle`].
    pub fn handle_light(
        &mut self,
        w: &mut World,
        now: SimTime,
        e: LightEv,
    ) -> Result<(), RunError> {
        match self.light.as_mut() {
            Some(l) => l.handle(w, now, e),
            None => Ok(()),
        }
    }
}

/// A role taken out of [`Roles`] to handle its own event, with the rest: together the hooks
/// of the pipeline steps it triggers.
pub(crate) struct With<'a, R: RoleHooks> {
    pub role: &'a mut R,
    pub rest: &'a mut Roles,
}

/// Calls `$method` on each of `$hooks` in order; `||`-combines booleans, keeps the first
/// `Some`, or runs all for unit results.
macro_rules! each {
    ($self:ident, $h:ident => $call:expr) => {{
        if let Some($h) = $self.store.as_mut() {
            $call;
        }
        if let Some($h) = $self.light.as_mut() {
            $call;
        }
    }};
}

impl RoleHooks for Roles {
    fn message_hash(&mut self, kind: TrafficKind, bytes: &Bytes) -> Option<Bytes> {
        self.store.as_mut()?.message_hash(kind, bytes)
    }

    fn hints_on(&self) -> bool {
        self.store.as_ref().is_some_and(|s| s.hints_on())
    }

    fn on_event(&mut self, i: u32, slot: usize, ev: &sds::Event) -> bool {
        let mut changed = false;
        each!(self, r => changed |= r.on_event(i, slot, ev));
        changed
    }

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
        each!(self, r => r.on_transmit(w, now, channel, from, kind, bytes, hash, id));
    }

    fn take_transmit(&mut self, w: &mut World, now: SimTime, packet: &Rc<Packet>) -> bool {
        self.light
            .as_mut()
            .is_some_and(|l| l.take_transmit(w, now, packet))
    }

    fn on_first_receipt(&mut self, w: &mut World, now: SimTime, node: u32, packet: &Rc<Packet>) {
        if let Some(l) = self.light.as_mut() {
            l.on_first_receipt(w, now, node, packet);
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
        each!(self, r => r.after_drain(w, now, i, slot, missing_changed));
    }

    fn participant_down(&mut self, w: &mut World, now: SimTime, i: u32) {
        each!(self, r => r.participant_down(w, now, i));
    }

    fn participant_up(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        fresh: bool,
    ) -> Result<(), RunError> {
        if let Some(s) = self.store.as_mut() {
            s.participant_up(w, now, i, fresh)?;
        }
        if let Some(l) = self.light.as_mut() {
            l.participant_up(w, now, i, fresh)?;
        }
        Ok(())
    }
}

impl<R: RoleHooks> RoleHooks for With<'_, R> {
    fn message_hash(&mut self, kind: TrafficKind, bytes: &Bytes) -> Option<Bytes> {
        self.role
            .message_hash(kind, bytes)
            .or_else(|| self.rest.message_hash(kind, bytes))
    }

    fn hints_on(&self) -> bool {
        self.role.hints_on() || self.rest.hints_on()
    }

    fn on_event(&mut self, i: u32, slot: usize, ev: &sds::Event) -> bool {
        let a = self.role.on_event(i, slot, ev);
        self.rest.on_event(i, slot, ev) | a
    }

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
        self.role
            .on_transmit(w, now, channel, from, kind, bytes, hash, id);
        self.rest
            .on_transmit(w, now, channel, from, kind, bytes, hash, id);
    }

    fn take_transmit(&mut self, w: &mut World, now: SimTime, packet: &Rc<Packet>) -> bool {
        self.role.take_transmit(w, now, packet) || self.rest.take_transmit(w, now, packet)
    }

    fn on_first_receipt(&mut self, w: &mut World, now: SimTime, node: u32, packet: &Rc<Packet>) {
        self.role.on_first_receipt(w, now, node, packet);
        self.rest.on_first_receipt(w, now, node, packet);
    }

    fn after_drain(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        slot: usize,
        missing_changed: bool,
    ) {
        self.role.after_drain(w, now, i, slot, missing_changed);
        self.rest.after_drain(w, now, i, slot, missing_changed);
    }

    fn participant_down(&mut self, w: &mut World, now: SimTime, i: u32) {
        self.role.participant_down(w, now, i);
        self.rest.participant_down(w, now, i);
    }

    fn participant_up(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        fresh: bool,
    ) -> Result<(), RunError> {
        self.role.participant_up(w, now, i, fresh)?;
        self.rest.participant_up(w, now, i, fresh)
    }
}
