//! The participants of a run: one [`Driver`] per channel membership (a *slot*), the timer each
//! slot wants, whether it is quiescent, and every participant's wall clock.
//!
//! Owns: the drivers, their timers (lazily cancelled: a slot remembers the one deadline it
//! wants; a popped timer event for any other deadline is stale), the count of non-quiescent
//! slots (for the stop rule), clock offsets (clock skew), and the factory that builds fresh
//! drivers (at the start, after a crash, on a late join). It does not route anything: the
//! pipeline (`pipeline.rs`) feeds inputs and drains outputs.

use std::time::Duration;

use super::pipeline::RunError;
use crate::driver::external::{
    self, Adapter, AdapterSpec, ExternalDriver, Instance, SharedAdapter,
};
use crate::driver::none::NoneDriver;
use crate::driver::{sds_config, Driver, DriverFailure};
use crate::metrics::ChannelSpec;
use crate::rng::{stream, StreamKind};
use crate::scenario::{ImplementationName, Protocol, Scenario};
use crate::sds;
use crate::time::{SimTime, US_PER_MS, US_PER_S};

/// Channel id of the group channel every participant is in.
pub const CHANNEL_ID: &str = "sdsim";

/// Id of participant `i` on the wire (`p<i>`).
pub fn participant_id(i: u32) -> String {
    format!("p{i}")
}

/// A participant's membership in one channel.
pub(crate) struct Slot {
    /// Channel index (into the run's channels).
    pub channel: u32,
    pub driver: Box<dyn Driver>,
    /// The deadline (Unix ms) of the one live timer event, if any.
    pub timer_at_ms: Option<u64>,
    pub quiescent: bool,
}

/// One participant: a slot per channel it is a member of (usually one).
pub(crate) struct Node {
    pub slots: Vec<Slot>,
}

impl Node {
    /// The slot of `channel`, if a member.
    pub fn slot_of(&self, channel: u32) -> Option<usize> {
        self.slots.iter().position(|s| s.channel == channel)
    }
}

/// Every participant's wall clock: `epoch_ms + (t + offset_i) / 1000` in Unix ms (rounded
/// down), offsets from clock skew.
pub(crate) struct Clocks {
    epoch_ms: u64,
    /// Offsets in µs per participant; empty when no participant is skewed.
    offsets_us: Vec<i64>,
}

impl Clocks {
    /// Clocks for `epoch_ms` with per-participant `offsets_us` (all zero: no skew).
    pub fn new(epoch_ms: u64, offsets_us: Vec<i64>) -> Clocks {
        let offsets_us = if offsets_us.iter().all(|&x| x == 0) {
            Vec::new()
        } else {
            offsets_us
        };
        Clocks {
            epoch_ms,
            offsets_us,
        }
    }

    /// Participant `i`'s wall clock (Unix ms) at simulated time `t`.
    pub fn now_ms(&self, i: u32, t: SimTime) -> u64 {
        match self.offsets_us.get(i as usize) {
            None => self.epoch_ms + t / US_PER_MS,
            Some(&off) => {
                let us = i128::from(self.epoch_ms) * i128::from(US_PER_MS)
                    + i128::from(t)
                    + i128::from(off);
                us.div_euclid(i128::from(US_PER_MS)).max(0) as u64
            }
        }
    }

    /// The simulated time at which participant `i`'s wall clock reaches `ms` (0 if before
    /// the run started).
    pub fn ms_to_sim(&self, i: u32, ms: u64) -> SimTime {
        match self.offsets_us.get(i as usize) {
            None => ms.saturating_sub(self.epoch_ms).saturating_mul(US_PER_MS),
            Some(&off) => {
                let us = i128::from(ms) * i128::from(US_PER_MS)
                    - i128::from(self.epoch_ms) * i128::from(US_PER_MS)
                    - i128::from(off);
                us.clamp(0, i128::from(SimTime::MAX)) as SimTime
            }
        }
    }
}

/// How the participants of one implementation are run.
enum Backend {
    /// The built-in core, in process.
    Builtin,
    /// The `none` baseline.
    None,
    /// An adapter process hosting every participant assigned to it.
    External(SharedAdapter),
}

/// Builds a participant's driver for one channel: the implementation the scenario chose for
/// that participant, configured for that channel.
pub(crate) struct DriverFactory {
    seed: u64,
    /// Core configuration per channel.
    configs: Vec<sds::Config>,
    /// Wire id per channel.
    channel_ids: Vec<String>,
    /// Members per channel.
    members: Vec<u32>,
    /// The run's implementations (one for most runs).
    backends: Vec<Backend>,
    /// Index into `backends` per participant.
    backend_of: Vec<u8>,
}

impl DriverFactory {
    /// The factory of `sc`'s run; starts the adapter processes it needs (handshake
    /// included).
    ///
    /// Errors: an adapter could not be started or failed its handshake (a [`RunError`] for
    /// the first participant it would run, at time 0, request `hello`).
    fn new(sc: &Scenario, channels: &[ChannelSpec]) -> Result<DriverFactory, RunError> {
        let configs = channels
            .iter()
            .map(|spec| {
                let mut params = sc.sds.clone();
                params.repair.enabled = sc.retrieval_strategy().uses_sds_r();
                sds_config(&params, spec.members.len() as u32)
            })
            .collect();
        let channel_ids: Vec<String> = channels.iter().map(|c| c.id.clone()).collect();
        let implementation_of = implementation_of(sc);
        let mut used: Vec<ImplementationName> = Vec::new();
        let backend_of: Vec<u8> = implementation_of
            .iter()
            .map(|imp| match used.iter().position(|u| u == imp) {
                Some(k) => k as u8,
                None => {
                    used.push(*imp);
                    (used.len() - 1) as u8
                }
            })
            .collect();
        let mut backends = Vec::with_capacity(used.len());
        for (k, imp) in used.iter().enumerate() {
            backends.push(match (sc.protocol, imp) {
                (Protocol::None, _) => Backend::None,
                (Protocol::Sds, ImplementationName::Sdsim) => Backend::Builtin,
                (Protocol::Sds, imp) => {
                    let first = backend_of
                        .iter()
                        .position(|&b| b as usize == k)
                        .unwrap_or(0);
                    let fail = |reason: String| RunError {
                        participant: first as u32,
                        channel: channel_ids.first().cloned().unwrap_or_default(),
                        time_s: 0.0,
                        request: "hello",
                        reason,
                    };
                    let spec = adapter_spec(sc, *imp).map_err(fail)?;
                    Backend::External(Adapter::start(&spec).map_err(|f| fail(f.0))?)
                }
            });
        }
        Ok(DriverFactory {
            seed: sc.seed,
            configs,
            channel_ids,
            members: channels.iter().map(|c| c.members.len() as u32).collect(),
            backends,
            backend_of,
        })
    }

    /// A fresh driver for participant `i` in channel `ch`, created at its wall clock
    /// `now_ms`, with `seed` for the implementation's own randomness.
    ///
    /// Errors: an external implementation failed or refused the instance.
    pub fn create(
        &self,
        ch: u32,
        i: u32,
        now_ms: u64,
        seed: u64,
    ) -> Result<Box<dyn Driver>, DriverFailure> {
        let channel_id = &self.channel_ids[ch as usize];
        Ok(match &self.backends[self.backend_of[i as usize] as usize] {
            Backend::Builtin => Box::new(sds::Channel::new(
                channel_id.clone(),
                participant_id(i),
                self.configs[ch as usize].clone(),
                now_ms,
                seed,
            )),
            Backend::None => Box::new(NoneDriver::new(
                channel_id.clone(),
                participant_id(i),
                self.configs[ch as usize].message_id,
            )),
            Backend::External(adapter) => Box::new(ExternalDriver::create(
                adapter,
                Instance {
                    participant: i,
                    channel: ch,
                    channel_id,
                    participant_id: &participant_id(i),
                    config: &self.configs[ch as usize],
                    channel_members: self.members[ch as usize],
                },
                now_ms,
                seed,
            )?),
        })
    }

    /// Seed of participant `i`'s driver in channel `ch` at the start or on a late join
    /// (one draw per membership, in order, from stream `CoreSeed`, id i).
    pub fn initial_seed(&self, i: u32, ch: u32) -> u64 {
        use rand::Rng;
        let mut r = stream(self.seed, StreamKind::CoreSeed, u64::from(i));
        let mut s = r.next_u64();
        for _ in 0..ch {
            s = r.next_u64();
        }
        s
    }

    /// A [`RunError`] for participant `i` in channel `ch` at `now`.
    fn failure(
        &self,
        now: SimTime,
        i: u32,
        ch: u32,
        request: &'static str,
        f: DriverFailure,
    ) -> RunError {
        RunError {
            participant: i,
            channel: self.channel_ids[ch as usize].clone(),
            time_s: now as f64 / US_PER_S as f64,
            request,
            reason: f.0,
        }
    }
}

/// The implementation of every participant: the first `[[sds.mix]]` entry naming it, else
/// `sds.implementation`.
fn implementation_of(sc: &Scenario) -> Vec<ImplementationName> {
    let classes = crate::net::links::assign_classes(&sc.node_classes, sc.participants);
    (0..sc.participants)
        .map(|i| {
            sc.sds
                .mix
                .iter()
                .find(|m| match &m.class {
                    Some(name) => classes[i as usize]
                        .is_some_and(|c| sc.node_classes[c as usize].name == *name),
                    None => m.names(i),
                })
                .map_or(sc.sds.implementation, |m| m.implementation)
        })
        .collect()
}

/// How to start the adapter of `imp` (not `sdsim`).
///
/// Errors: the js-waku adapter is not installed.
fn adapter_spec(sc: &Scenario, imp: ImplementationName) -> Result<AdapterSpec, String> {
    let timeout = Duration::from_micros(sc.sds.external.timeout.as_micros());
    let command = match imp {
        ImplementationName::External => sc.sds.external.command.clone(),
        ImplementationName::JsWaku008 => external::js_waku_command()?,
        ImplementationName::Sdsim => unreachable!("the built-in core needs no adapter"),
    };
    Ok(AdapterSpec { command, timeout })
}

/// All participants of a run.
pub(crate) struct Participants {
    pub nodes: Vec<Node>,
    pub clocks: Clocks,
    /// Slots whose driver is not quiescent (online participants only).
    pub non_quiescent: usize,
    pub factory: DriverFactory,
}

impl Participants {
    /// Every participant of `sc` with a driver per channel membership, created at time 0.
    ///
    /// Errors: an external implementation could not be started or refused an instance.
    pub fn new(
        sc: &Scenario,
        channels: &[ChannelSpec],
        clocks: Clocks,
    ) -> Result<Participants, RunError> {
        let factory = DriverFactory::new(sc, channels)?;
        let mut nodes: Vec<Node> = (0..sc.participants)
            .map(|_| Node { slots: Vec::new() })
            .collect();
        for (ch, spec) in channels.iter().enumerate() {
            for &i in &spec.members {
                let ch = ch as u32;
                let driver = factory
                    .create(ch, i, clocks.now_ms(i, 0), factory.initial_seed(i, ch))
                    .map_err(|f| factory.failure(0, i, ch, "create", f))?;
                nodes[i as usize].slots.push(Slot {
                    channel: ch,
                    driver,
                    timer_at_ms: None,
                    quiescent: true,
                });
            }
        }
        Ok(Participants {
            nodes,
            clocks,
            non_quiescent: 0,
            factory,
        })
    }

    /// Number of participants.
    pub fn len(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// Slot `slot` of participant `i`.
    pub fn slot_mut(&mut self, i: u32, slot: usize) -> &mut Slot {
        &mut self.nodes[i as usize].slots[slot]
    }

    /// Participant `i` went offline: its slots are no longer waited for and its queued
    /// timers become stale.
    pub fn suspend(&mut self, i: u32) {
        for s in &mut self.nodes[i as usize].slots {
            if !s.quiescent {
                self.non_quiescent -= 1;
                s.quiescent = true;
            }
            s.timer_at_ms = None;
        }
    }

    /// Replaces participant `i`'s driver in `slot` by a fresh one created at simulated time
    /// `now` with `seed` (crash restart, late join); its timer is cleared.
    ///
    /// Errors: an external implementation failed or refused the instance.
    pub fn replace_driver(
        &mut self,
        now: SimTime,
        i: u32,
        slot: usize,
        seed: u64,
    ) -> Result<(), RunError> {
        let now_ms = self.clocks.now_ms(i, now);
        let s = &mut self.nodes[i as usize].slots[slot];
        s.timer_at_ms = None;
        s.driver = self
            .factory
            .create(s.channel, i, now_ms, seed)
            .map_err(|f| self.factory.failure(now, i, s.channel, "create", f))?;
        Ok(())
    }
}
