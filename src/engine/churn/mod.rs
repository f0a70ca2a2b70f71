//! Churn: who is online when, and what going offline, coming back, crashing, leaving and
//! joining do to a participant. Semantics and sources: [`plan`] (the schedule) and
//! `scenarios/README.md` ("`[churn]`").
//!
//! `Churn` owns the presence of every participant, nested offline windows, the relay
//! re-grafting stream, the fresh-core seeds after crashes and the churn figures. The
//! transitions (`go_down`, `go_up`, `join`, `heal`) act on the `World`: they
//! suspend or replace drivers, drop uplink queues, re-graft the relay mesh and tell the node
//! roles. Other modules only ask `Churn::is_online`.

pub mod plan;

use rand_chacha::ChaCha8Rng;

use super::pipeline::{RoleHooks, RunError, World};
use crate::metrics::ChurnStats;
use crate::rng::{stream, StreamKind};
use crate::scenario::{ChurnMode, Dissemination, Scenario};
use crate::time::SimTime;
use plan::ChurnPlan;

/// Where a participant is in its churn schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Online,
    /// Offline (sleep/crash); back when its last window ends.
    Offline,
    /// A late joiner before its join time.
    Absent,
    /// Left for good.
    Left,
}

/// The churn state of a run.
pub(crate) struct Churn {
    mode: ChurnMode,
    seed: u64,
    /// `Some` when the scenario has churn.
    stats: Option<ChurnStats>,
    presence: Vec<Presence>,
    /// Per network node: in the relay mesh and online, for the re-grafting code (light
    /// clients never; dedicated service nodes always).
    online: Vec<bool>,
    /// Per network node: a relay-mesh member (not a light client).
    mesh_member: Vec<bool>,
    /// Open offline windows per participant (nested windows).
    offline_depth: Vec<u32>,
    /// A heal event (end of the workload) is still queued: the run cannot settle before.
    pub heal_pending: bool,
    mesh_degree: usize,
    /// Relay re-grafting choices (`Some` with relay dissemination and churn).
    regraft_rng: Option<ChaCha8Rng>,
    /// Per participant, fresh core seeds after crashes (created on first use).
    crash_rngs: Vec<Option<ChaCha8Rng>>,
}

impl Churn {
    /// The churn state of `sc` at time 0 (everyone online; see [`mark_absent`]).
    pub fn new(sc: &Scenario, plan: &ChurnPlan) -> Churn {
        let n = sc.participants as usize;
        let active = sc.churn.is_active();
        let mesh_member: Vec<bool> = (0..sc.network_nodes())
            .map(|i| i >= sc.participants || !sc.is_light_client(i))
            .collect();
        Churn {
            mode: sc.churn.mode,
            seed: sc.seed,
            stats: active.then(|| ChurnStats {
                windows: plan.windows.clone(),
                ..ChurnStats::default()
            }),
            // Every network node, so that `is_online` answers for service nodes too.
            presence: vec![Presence::Online; sc.network_nodes() as usize],
            online: mesh_member.clone(),
            mesh_member,
            offline_depth: vec![0; n],
            heal_pending: false,
            mesh_degree: sc.network.mesh_degree as usize,
            regraft_rng: (active && sc.network.dissemination == Dissemination::Relay)
                .then(|| stream(sc.seed, StreamKind::Churn, 1)),
            crash_rngs: if active && sc.churn.mode == ChurnMode::Crash {
                vec![None; n]
            } else {
                Vec::new()
            },
        }
    }

    /// True if network node `i` (a participant, or a dedicated service node) is online
    /// (receives, sends, times out).
    pub fn is_online(&self, i: u32) -> bool {
        self.presence[i as usize] == Presence::Online
    }

    /// Marks dedicated service node `node` down or back (the light role's service-node
    /// outages); copies reaching it meanwhile are dropped like copies to an offline
    /// participant.
    pub fn set_service_online(&mut self, node: u32, online: bool) {
        self.presence[node as usize] = if online {
            Presence::Online
        } else {
            Presence::Offline
        };
    }

    /// True if participant `i` left for good (not compared in final logs).
    pub fn has_left(&self, i: u32) -> bool {
        self.presence[i as usize] == Presence::Left
    }

    /// A publication of an offline, absent or departed sender was skipped.
    pub fn publication_skipped(&mut self) {
        if let Some(c) = &mut self.stats {
            c.publications_skipped += 1;
        }
    }

    /// A copy reached an offline, absent or departed participant and was dropped.
    pub fn copy_to_offline(&mut self) {
        if let Some(c) = &mut self.stats {
            c.copies_to_offline += 1;
        }
    }

    /// The churn figures (`None` without churn), taken at the end of the run.
    pub fn take_stats(&mut self) -> Option<ChurnStats> {
        self.stats.take()
    }

    fn stats(&mut self) -> Option<&mut ChurnStats> {
        self.stats.as_mut()
    }
}

/// Relay re-grafting after participant `i` went offline (`up = false`) or came back.
fn regraft(w: &mut World, i: u32, up: bool) {
    let c = &mut w.churn;
    if !c.mesh_member[i as usize] {
        return; // a light client is not in the relay mesh
    }
    let Some(rng) = c.regraft_rng.as_mut() else {
        return;
    };
    let Some(g) = w.net.graph_mut() else {
        return;
    };
    if up {
        plan::attach(g, i, &c.online, c.mesh_degree, rng);
    } else {
        plan::detach(g, i, &c.online, c.mesh_degree, rng);
    }
}

/// Late joiner `i` is absent from the start: no timers, no mesh links.
pub(crate) fn mark_absent(w: &mut World, i: u32) {
    w.churn.presence[i as usize] = Presence::Absent;
    w.churn.online[i as usize] = false;
    regraft(w, i, false);
}

/// Participant `i` goes offline (or leaves, in `leave` mode).
pub(crate) fn go_down(w: &mut World, now: SimTime, i: u32, roles: &mut dyn RoleHooks) {
    let idx = i as usize;
    let leave = w.churn.mode == ChurnMode::Leave;
    match w.churn.presence[idx] {
        Presence::Left => return,
        Presence::Offline => {
            w.churn.offline_depth[idx] += 1;
            return;
        }
        Presence::Absent => {
            if leave {
                w.churn.presence[idx] = Presence::Left;
                w.rec.participant_left(i);
                if let Some(c) = w.churn.stats() {
                    c.left += 1;
                }
            }
            return;
        }
        Presence::Online => {}
    }
    if let Some(c) = w.churn.stats() {
        if leave {
            c.left += 1;
        } else {
            c.offline_events += 1;
        }
    }
    if leave {
        w.churn.presence[idx] = Presence::Left;
        w.rec.participant_left(i);
    } else {
        w.churn.presence[idx] = Presence::Offline;
        w.churn.offline_depth[idx] = 1;
    }
    w.churn.online[idx] = false;
    roles.participant_down(w, now, i);
    // Bytes still queued in its uplink never leave, although its driver saw them sent.
    w.net.drop_uplink_queue(i, now);
    w.parts.suspend(i); // offline participants are not waited for
    regraft(w, i, false);
}

/// The end of one of participant `i`'s offline windows; back online when it was the last.
/// A sleeper's drivers time out at once (every missed timer fires); after a crash every
/// driver is replaced by a fresh one.
///
/// Errors: a driver failed.
pub(crate) fn go_up(
    w: &mut World,
    now: SimTime,
    i: u32,
    roles: &mut dyn RoleHooks,
) -> Result<(), RunError> {
    let idx = i as usize;
    let c = &mut w.churn;
    if c.presence[idx] != Presence::Offline {
        return Ok(());
    }
    c.offline_depth[idx] = c.offline_depth[idx].saturating_sub(1);
    if c.offline_depth[idx] > 0 {
        return Ok(());
    }
    c.presence[idx] = Presence::Online;
    c.online[idx] = c.mesh_member[idx];
    regraft(w, i, true);
    if w.churn.mode == ChurnMode::Crash {
        if let Some(c) = w.churn.stats() {
            c.crashes += 1;
        }
        w.rec.crashed(i, now);
        for slot in 0..w.parts.nodes[idx].slots.len() {
            let seed = {
                use rand::Rng;
                let c = &mut w.churn;
                let seed = c.seed;
                c.crash_rngs[idx]
                    .get_or_insert_with(|| stream(seed, StreamKind::Churn, 2 + u64::from(i)))
                    .next_u64()
            };
            w.parts.replace_driver(now, i, slot, seed)?;
            w.drain(now, i, slot, false, roles)?;
        }
        roles.participant_up(w, now, i, true)
    } else {
        w.wake(now, i, roles)?;
        roles.participant_up(w, now, i, false)
    }
}

/// Late joiner `i` joins with fresh drivers.
///
/// Errors: a driver failed.
pub(crate) fn join(
    w: &mut World,
    now: SimTime,
    i: u32,
    roles: &mut dyn RoleHooks,
) -> Result<(), RunError> {
    let idx = i as usize;
    if w.churn.presence[idx] != Presence::Absent {
        return Ok(());
    }
    w.churn.presence[idx] = Presence::Online;
    w.churn.online[idx] = w.churn.mesh_member[idx];
    if let Some(c) = w.churn.stats() {
        c.joined += 1;
    }
    regraft(w, i, true);
    for slot in 0..w.parts.nodes[idx].slots.len() {
        let ch = w.parts.nodes[idx].slots[slot].channel;
        let seed = w.parts.factory.initial_seed(i, ch);
        w.parts.replace_driver(now, i, slot, seed)?;
        w.drain(now, i, slot, false, roles)?;
    }
    roles.participant_up(w, now, i, true)
}

/// The end of the workload: every participant still offline (sleep/crash) comes back.
///
/// Errors: a driver failed.
pub(crate) fn heal(w: &mut World, now: SimTime, roles: &mut dyn RoleHooks) -> Result<(), RunError> {
    w.churn.heal_pending = false;
    for i in 0..w.parts.len() {
        if w.churn.presence[i as usize] == Presence::Offline {
            w.churn.offline_depth[i as usize] = 1;
            go_up(w, now, i, roles)?;
        }
    }
    Ok(())
}
