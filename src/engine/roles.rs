//! The node roles of a run, seen by the pipeline as one set of [`RoleHooks`].
//!
//! Each role owns its state, its events (a variant of `Ev`) and its figures, and sees the
//! participants only through the hooks. Today: store nodes with the participants' store
//! clients ([`StoreRole`]). A role handling its own event passes itself as the hooks of the
//! pipeline steps it triggers.

use bytes::Bytes;

use super::pipeline::{RoleHooks, RunError, World};
use super::store::StoreRole;
use crate::net::TrafficKind;
use crate::sds;
use crate::time::SimTime;

/// Every node role of a run (absent roles do nothing).
#[derive(Default)]
pub(crate) struct Roles {
    pub store: Option<Box<StoreRole>>,
}

impl RoleHooks for Roles {
    fn message_hash(&mut self, kind: TrafficKind, bytes: &Bytes) -> Option<Bytes> {
        self.store.as_mut()?.message_hash(kind, bytes)
    }

    fn hints_on(&self) -> bool {
        self.store.as_ref().is_some_and(|s| s.hints_on())
    }

    fn on_event(&mut self, i: u32, slot: usize, ev: &sds::Event) -> bool {
        self.store.as_mut().is_some_and(|s| s.on_event(i, slot, ev))
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
        if let Some(s) = self.store.as_mut() {
            s.on_transmit(w, now, channel, from, kind, bytes, hash, id);
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
        if let Some(s) = self.store.as_mut() {
            s.after_drain(w, now, i, slot, missing_changed);
        }
    }

    fn participant_down(&mut self, now: SimTime, i: u32) {
        if let Some(s) = self.store.as_mut() {
            s.participant_down(now, i);
        }
    }

    fn participant_up(
        &mut self,
        w: &mut World,
        now: SimTime,
        i: u32,
        fresh: bool,
    ) -> Result<(), RunError> {
        match self.store.as_mut() {
            Some(s) => s.participant_up(w, now, i, fresh),
            None => Ok(()),
        }
    }
}
