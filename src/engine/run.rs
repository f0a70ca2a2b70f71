//! The run loop and the stop rule.
//!
//! [`Simulation::new`] builds the run's parts (network, participants with their drivers,
//! churn, node roles, workload) and queues their first events; [`Simulation::run`] pops
//! events in `(time, insertion)` order and hands each to its owner (workload, pipeline,
//! churn, store role) until the stop rule ends the run.
//!
//! Phases: the workload publishes content messages for `duration`; then the drain phase runs
//! (faults have healed, no new messages) until the group is **settled** (no copy in flight
//! but periodic syncs without repair requests, every online participant's drivers
//! quiescent, no heal pending, every expected delivery happened: reports/README.md,
//! "Definitions"), or until `drain` has passed (**drain limit**), or until no event is left.

use super::churn::{self, plan::ChurnAction, plan::ChurnPlan, Churn};
use super::event::Ev;
use super::light::LightRole;
use super::observe::{MessageWatch, Sampler};
use super::outcome::{self, LoopFigures};
use super::participants::{Clocks, Participants};
use super::pipeline::{RunError, World};
use super::roles::Roles;
use super::store::StoreRole;
use super::workload::{build_channels, Workload};
use crate::metrics::trace::Trace;
use crate::metrics::{Recorder, RunOutcome, StopReason};
use crate::net::Network;
use crate::scenario::{ChurnMode, RegionMatrix, Scenario, SyncPolicyName};
use crate::time::SimTime;
use crate::SimError;

/// A run in progress. Build with [`Simulation::new`], drive with [`Simulation::run`].
pub struct Simulation {
    seed: u64,
    world: World,
    workload: Workload,
    /// The node roles (store nodes and their clients).
    roles: Roles,
    workload_end: SimTime,
    drain_end: SimTime,
    /// Running hash of the events (`--check-determinism`); `None` unless enabled.
    trace: Option<Box<Trace>>,
    /// Per-participant time series (`--timeseries`); `None` unless enabled.
    sampler: Option<Box<Sampler>>,
    /// Redundant copies may be accounted when sent instead of queued (no churn, no
    /// light-client role, not turned off): `engine::elision`.
    elision: bool,
    /// Hand the group channel's cores over in [`RunOutcome::channels`] (the default); off,
    /// every participant's state is freed as the run ends ([`Simulation::without_final_cores`]).
    keep_cores: bool,
}

/// What to observe in a run besides the report (opt-in; never changes the run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observe {
    /// Follow this message (an id, a hex prefix of one, or a scripted label):
    /// [`RunOutcome::message_trace`].
    pub trace_message: Option<String>,
    /// Sample every participant each `report_interval`: [`RunOutcome::timeseries`].
    pub timeseries: bool,
}

impl Simulation {
    /// Sets up a run of a validated scenario with its loaded region matrix.
    ///
    /// Errors: the network cannot be built ([`SimError::Net`]); an external implementation
    /// could not be started or refused a participant ([`SimError::Run`]).
    pub fn new(sc: &Scenario, regions: Option<&RegionMatrix>) -> Result<Simulation, SimError> {
        let n = sc.participants;
        let net = Network::new(sc, regions)?;
        let channels = build_channels(sc);
        let clocks = Clocks::new(sc.epoch_unix_ms, churn::plan::clock_offsets_us(sc));
        let parts = Participants::new(sc, &channels, clocks)?;
        let plan = ChurnPlan::new(sc);
        let members: Vec<Vec<u32>> = channels.iter().map(|c| c.members.clone()).collect();
        let mut rec = Recorder::new(n, members);
        if sc.churn.is_active() {
            for (i, &(from, until)) in plan.membership.iter().enumerate() {
                rec.set_membership(i as u32, from, until);
            }
        }
        let churn = Churn::new(sc, &plan);
        let mut world = World::new(net, rec, channels, parts, churn);
        // Syncs that never back off (periodic timers) may keep the wire busy forever; Trickle
        // backs off until the wire empties, and keeps the stricter rule (its results as
        // before). With churn a participant need not know every id a sync names.
        world.syncs_inert = !sc.churn.is_active() && sc.sds.sync.policy != SyncPolicyName::Trickle;
        let slots: Vec<usize> = world.parts.nodes.iter().map(|n| n.slots.len()).collect();
        let mut roles = Roles {
            store: StoreRole::new(sc, &slots, &mut world.queue),
            light: LightRole::new(sc, &plan.absent, &mut world.queue)?,
        };
        // Late joiners are absent from the start (no timers, no mesh links).
        for i in 0..n {
            if plan.absent[i as usize] {
                churn::mark_absent(&mut world, i);
            }
        }
        // Arm every driver's initial timer (sync phase) at time 0.
        for i in 0..n {
            if !world.churn.is_online(i) {
                continue;
            }
            for slot in 0..world.parts.nodes[i as usize].slots.len() {
                world.drain(0, i, slot, false, &mut roles)?;
            }
        }
        for e in &plan.events {
            world.queue.push(
                e.at,
                Ev::Churn {
                    node: e.node,
                    action: e.action,
                },
            );
        }
        let workload_end = sc.duration.as_micros();
        if sc.churn.mode != ChurnMode::Leave
            && plan.events.iter().any(|e| e.action == ChurnAction::Down)
        {
            world.churn.heal_pending = true;
            world.queue.push(workload_end, Ev::HealChurn);
        }
        let mut workload = Workload::new(sc);
        workload.schedule(sc, &mut world.queue);
        Ok(Simulation {
            seed: sc.seed,
            world,
            workload,
            elision: !sc.churn.is_active() && roles.light.is_none(),
            roles,
            workload_end,
            drain_end: workload_end + sc.drain.as_micros(),
            trace: None,
            sampler: None,
            keep_cores: true,
        })
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Hashes every event of the run into a [`Trace`] (returned in [`RunOutcome::trace`]),
    /// for `--check-determinism`. Off by default; costs one branch per event when off.
    pub fn with_trace(mut self) -> Simulation {
        self.trace = Some(Box::default());
        self
    }

    /// Queues every copy on the wire, including the redundant ones the run would otherwise
    /// count when they are sent (`engine::elision`). The results are
    /// the same either way, only slower; for the differential test (`tests/elision.rs`) and
    /// for diagnosis.
    pub fn without_elision(mut self) -> Simulation {
        self.elision = false;
        self
    }

    /// Leaves [`RunOutcome::channels`] empty: every participant's state (cores, buffers,
    /// counters) is freed as soon as the outcome's figures are taken from it, before anything
    /// reads the outcome. For callers that only report (`sim run`, [`crate::simulate_observed`]):
    /// at 10,000 participants of `large-group-10k.toml` the cores are about 420 MB (heaptrack,
    /// issue 16), which the report's tables and plots would otherwise allocate beside, in
    /// fresh pages, instead of reusing.
    pub fn without_final_cores(mut self) -> Simulation {
        self.keep_cores = false;
        self
    }

    /// Records what `observe` asks for ([`Observe`]).
    pub fn observe(mut self, observe: &Observe, report_interval: SimTime) -> Simulation {
        if let Some(t) = &observe.trace_message {
            self.world.watch = Some(Box::new(MessageWatch::new(t)));
        }
        if observe.timeseries {
            let n = self.world.parts.nodes.len() as u32;
            self.sampler = Some(Box::new(Sampler::new(report_interval, n)));
        }
        self
    }

    /// Runs to the end. `progress` is called now and then with the current simulated time.
    ///
    /// Errors: a participant's driver failed ([`RunError`]: which participant, when, which
    /// input, what it said).
    pub fn run(mut self, progress: &mut dyn FnMut(SimTime)) -> Result<RunOutcome, RunError> {
        let mut now: SimTime = 0;
        let mut events = 0u64;
        let mut peak_pending = 0usize;
        // Observers read counters and copies as they arrive: nothing accounted early then.
        let e = &mut self.world.elision;
        e.on = self.elision && self.world.watch.is_none() && self.sampler.is_none();
        e.until = self.drain_end;
        e.settle_from = self.workload_end;
        let stop_reason = loop {
            let Some((t, ev)) = self.world.queue.pop() else {
                break StopReason::NoEvents;
            };
            if t > self.drain_end {
                // The run ends here; the popped event and the rest are dropped.
                now = self.drain_end;
                break StopReason::DrainLimit;
            }
            if let Some(s) = self.sampler.as_deref_mut().filter(|s| t >= s.next) {
                s.until(&self.world, t);
            }
            now = t;
            events += 1;
            if let Some(trace) = self.trace.as_deref_mut() {
                ev.trace(t, trace);
            }
            if events.is_multiple_of(65_536) {
                progress(now);
            }
            self.world.prefetch_ahead();
            self.dispatch(now, ev)?;
            if let Some(w) = self.world.watch.as_deref_mut() {
                w.take_net_notes(&mut self.world.net); // copies sent by node roles
            }
            peak_pending = peak_pending.max(self.world.queue.len());
            if self.settled(now) {
                break StopReason::Settled;
            }
        };
        progress(now);
        let store = self.roles.store.as_ref().map(|s| s.outcome());
        let light = self.roles.light.as_ref().map(|l| l.outcome());
        let figures = LoopFigures {
            end: now,
            workload_end: self.workload_end,
            stop_reason,
            // Every copy accounted when sent would have arrived before the stop.
            events: events + self.world.elision.count,
            elided_copies: self.world.elision.count,
            peak_pending_events: peak_pending,
            trace: self.trace.map(|t| *t),
        };
        let timeseries = self.sampler.map(|s| s.finish(&self.world, now));
        let message_trace = self.world.watch.take().map(|w| w.finish());
        let mut out = outcome::finish(self.world, figures, store, light, self.keep_cores)?;
        out.timeseries = timeseries;
        out.message_trace = message_trace;
        Ok(out)
    }

    /// Hands `ev` to its owner.
    fn dispatch(&mut self, now: SimTime, ev: Ev) -> Result<(), RunError> {
        let w = &mut self.world;
        let roles = &mut self.roles;
        match ev {
            Ev::Publish => self.workload.group(w, now, roles),
            Ev::Scripted { sender, label } => self.workload.scripted(w, now, sender, label, roles),
            Ev::Direct { channel } => self.workload.direct(w, now, channel, roles),
            Ev::Arrive(copy) => w.arrive(now, copy, roles),
            Ev::Timer { node, slot, at_ms } => w.timer(now, node, slot as usize, at_ms, roles),
            Ev::Churn { node, action } => match action {
                ChurnAction::Down => {
                    churn::go_down(w, now, node, roles);
                    Ok(())
                }
                ChurnAction::Up => churn::go_up(w, now, node, roles),
                ChurnAction::Join => churn::join(w, now, node, roles),
            },
            Ev::HealChurn => churn::heal(w, now, roles),
            Ev::Store(e) => roles.handle_store(w, now, e),
            Ev::Light(e) => roles.handle_light(w, now, e),
        }
    }

    /// The stop rule: in the drain phase, nothing in flight but inert copies (periodic syncs
    /// without repair requests: [`crate::net::Packet::inert`]), every online driver
    /// quiescent, no heal pending and every expected delivery done.
    fn settled(&self, now: SimTime) -> bool {
        let w = &self.world;
        now >= self.workload_end
            && w.in_flight == w.in_flight_inert
            && w.parts.non_quiescent == 0
            && !w.churn.heal_pending
            && w.rec.all_delivered()
    }
}
