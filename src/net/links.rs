//! Link-level model: node classes (access-link bandwidth, extra latency, extra loss),
//! uplink and downlink FIFO queues with serialization delay, Gilbert-Elliott bursty loss,
//! degradation windows and per-link overrides.
//!
//! Every feature here is off unless its scenario table is present, and each draws from its
//! own random streams ([`StreamKind::GilbertElliott`], [`StreamKind::LinkLoss`]), so a
//! scenario that uses none of them gets byte-identical results to a build without them.

use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::NodeTraffic;
use crate::rng::{stream, StreamKind};
use crate::scenario::{NodeClass, Scenario};
use crate::time::SimTime;

/// Serialization delay of `size_bytes` at `bps` bits/s, in whole µs (rounded up, so a
/// non-empty copy always takes at least 1 µs): `ceil(size_bytes * 8 * 1e6 / bps)`.
pub fn serialization_us(size_bytes: u64, bps: u64) -> SimTime {
    let bits_us = u128::from(size_bytes) * 8 * 1_000_000;
    bits_us.div_ceil(u128::from(bps.max(1))) as SimTime
}

/// Class index of every participant (`None`: the implicit default class, no limits).
/// Explicit `ids` classes first; then `fraction` classes, in order, each taking the last
/// `floor(fraction * n)` ids not yet assigned, walking down from `n - 1`.
pub fn assign_classes(classes: &[NodeClass], n: u32) -> Vec<Option<u16>> {
    let mut class_of = vec![None; n as usize];
    for (c, class) in classes.iter().enumerate() {
        for &id in class.ids.iter().flatten() {
            if let Some(slot) = class_of.get_mut(id as usize) {
                *slot = Some(c as u16);
            }
        }
    }
    let mut next = n; // ids >= next are taken or skipped
    for (c, class) in classes.iter().enumerate() {
        let Some(f) = class.fraction else { continue };
        let mut want = (f * f64::from(n)).floor() as u32;
        while want > 0 && next > 0 {
            next -= 1;
            if class_of[next as usize].is_none() {
                class_of[next as usize] = Some(c as u16);
                want -= 1;
            }
        }
    }
    class_of
}

/// A class's parameters in engine units.
#[derive(Debug, Clone)]
struct ClassParams {
    uplink_bps: Option<u64>,
    downlink_bps: Option<u64>,
    extra_latency_us: u64,
    loss: f64,
}

/// One participant's uplink FIFO.
#[derive(Debug, Clone, Default)]
struct Uplink {
    /// When the last queued copy finishes serializing (µs).
    free_at: SimTime,
    /// Incremented by every [`Links::drop_queue`].
    epoch: u32,
    /// `cut_at[e]`: the time epoch `e` ended; its copies departing later were dropped.
    cut_at: Vec<SimTime>,
    /// Departure times of copies of the current epoch, oldest first (pruned lazily).
    pending: VecDeque<SimTime>,
}

/// A degradation window in engine units.
#[derive(Debug, Clone)]
struct Degradation {
    start: SimTime,
    end: SimTime,
    extra_latency_us: u64,
    loss: f64,
    /// Participants whose links are affected (`None`: everyone).
    members: Option<Vec<bool>>,
}

/// Gilbert-Elliott chain parameters (see `scenario::GilbertElliott`).
#[derive(Debug, Clone, Copy)]
struct GeParams {
    p: f64,
    r: f64,
    /// Loss probability in the bad state (`1 - h`).
    loss_bad: f64,
    /// Loss probability in the good state (`1 - k`).
    loss_good: f64,
}

/// What the link model decides for one copy (besides queueing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extra {
    /// Added to the sampled latency (µs).
    pub latency_us: u64,
    /// Dropped by class, degradation or link-override loss.
    pub lost: bool,
}

/// The link-level state of a run.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    class_of: Vec<Option<u16>>,
    classes: Vec<ClassParams>,
    uplinks: Vec<Uplink>,
    downlink_free_at: Vec<SimTime>,
    ge: Option<GeParams>,
    /// Per participant: the chain is in the bad state.
    ge_bad: Vec<bool>,
    ge_rngs: Vec<ChaCha8Rng>,
    degradations: Vec<Degradation>,
    /// `(from, to)` -> extra latency (µs, summed) and independent extra losses.
    overrides: BTreeMap<(u32, u32), (u64, Vec<f64>)>,
    /// Extra-loss draws of copies sent by each participant (empty when no extra loss).
    loss_rngs: Vec<ChaCha8Rng>,
    /// No node classes, degradation windows or link overrides: [`Links::extra`] is nothing
    /// for every copy.
    no_extra: bool,
    /// Some node has a limited downlink.
    any_downlink_limit: bool,
    /// Whether any class limits its uplink: without one, every copy departs when sent, so
    /// none departs after its sender's uplink was emptied ([`Links::alive`] is always true).
    any_uplink_limit: bool,
}

impl Links {
    /// The link model of `sc` for its network nodes (participants, then dedicated service
    /// nodes; classes and degradation windows name participants only).
    pub(crate) fn new(sc: &Scenario) -> Links {
        let n = sc.network_nodes();
        let net = &sc.network;
        let mut classes: Vec<ClassParams> = sc
            .node_classes
            .iter()
            .map(|c| ClassParams {
                uplink_bps: c.uplink_bps,
                downlink_bps: c.downlink_bps,
                extra_latency_us: c.extra_latency.as_micros(),
                loss: c.loss,
            })
            .collect();
        let ge = net.gilbert_elliott.as_ref().map(|g| GeParams {
            p: g.p,
            r: g.r_or_default(),
            loss_bad: 1.0 - g.h,
            loss_good: 1.0 - g.k,
        });
        let degradations: Vec<Degradation> = net
            .degradations
            .iter()
            .map(|d| Degradation {
                start: d.start.as_micros(),
                end: d.end.as_micros(),
                extra_latency_us: d.extra_latency.as_micros(),
                loss: d.loss,
                members: d.ids.as_ref().map(|ids| {
                    let mut m = vec![false; n as usize];
                    for &id in ids {
                        if let Some(slot) = m.get_mut(id as usize) {
                            *slot = true;
                        }
                    }
                    m
                }),
            })
            .collect();
        let mut overrides: BTreeMap<(u32, u32), (u64, Vec<f64>)> = BTreeMap::new();
        for l in &net.links {
            let mut add = |a: u32, b: u32| {
                let e = overrides.entry((a, b)).or_default();
                e.0 += l.extra_latency.as_micros();
                if l.loss > 0.0 {
                    e.1.push(l.loss);
                }
            };
            add(l.from, l.to);
            if l.bidirectional {
                add(l.to, l.from);
            }
        }
        let any_extra_loss = classes.iter().any(|c| c.loss > 0.0)
            || degradations.iter().any(|d| d.loss > 0.0)
            || overrides.values().any(|o| !o.1.is_empty());
        let streams = |kind: StreamKind| -> Vec<ChaCha8Rng> {
            (0..n)
                .map(|i| stream(sc.seed, kind, u64::from(i)))
                .collect()
        };
        let mut links = Links {
            class_of: {
                let mut c = assign_classes(&sc.node_classes, sc.participants);
                c.resize(n as usize, None);
                // Light clients may all be in one class; dedicated service nodes get the
                // access link of `[light]`, if any.
                if let Some(l) = sc.light.as_ref() {
                    let class = l
                        .client_class
                        .as_ref()
                        .and_then(|name| sc.node_classes.iter().position(|c| &c.name == name));
                    if let Some(k) = class {
                        for id in l.client_ids(sc.participants) {
                            c[id as usize] = Some(k as u16);
                        }
                    }
                    if l.service_uplink_bps.is_some() || l.service_downlink_bps.is_some() {
                        let k = classes.len() as u16;
                        classes.push(ClassParams {
                            uplink_bps: l.service_uplink_bps,
                            downlink_bps: l.service_downlink_bps,
                            extra_latency_us: 0,
                            loss: 0.0,
                        });
                        for slot in &mut c[sc.participants as usize..] {
                            *slot = Some(k);
                        }
                    }
                }
                c
            },
            classes,
            uplinks: vec![Uplink::default(); n as usize],
            downlink_free_at: vec![0; n as usize],
            ge,
            ge_bad: vec![false; if ge.is_some() { n as usize } else { 0 }],
            ge_rngs: if ge.is_some() {
                streams(StreamKind::GilbertElliott)
            } else {
                Vec::new()
            },
            degradations,
            overrides,
            loss_rngs: if any_extra_loss {
                streams(StreamKind::LinkLoss)
            } else {
                Vec::new()
            },
            no_extra: false,
            any_downlink_limit: false,
            any_uplink_limit: false,
        };
        // After the classes are complete (`[light]` may have added the service nodes' one).
        links.no_extra =
            links.classes.is_empty() && links.degradations.is_empty() && links.overrides.is_empty();
        links.any_downlink_limit = links.classes.iter().any(|c| c.downlink_bps.is_some());
        links.any_uplink_limit = links.classes.iter().any(|c| c.uplink_bps.is_some());
        links
    }

    /// True if no copy meets anything of this model but its sender's uplink epoch: no node
    /// classes (so no queues, no extra latency or loss), no Gilbert-Elliott chain, no
    /// degradation windows, no link overrides. Then [`Links::enqueue_uplink`] returns
    /// `(now, epoch)`, [`Links::ge_step`] is false and [`Links::extra`] is nothing, with no
    /// draws.
    pub(crate) fn plain(&self) -> bool {
        self.no_extra && self.ge.is_none()
    }

    /// `node`'s current uplink epoch (see [`Links::drop_queue`]); 0 when no class limits its
    /// uplink, where the epoch of a copy is never looked at ([`Links::alive`]), so that a copy
    /// sent does not read its sender's uplink (a cache miss per batch at 10,000 participants).
    #[inline]
    pub(crate) fn epoch(&self, node: u32) -> u32 {
        if !self.any_uplink_limit {
            return 0;
        }
        self.uplinks[node as usize].epoch
    }

    fn class(&self, node: u32) -> Option<&ClassParams> {
        self.class_of[node as usize].map(|c| &self.classes[c as usize])
    }

    /// Index of `node`'s class in `[[node_classes]]`, `None` for the default class.
    pub(crate) fn class_index(&self, node: u32) -> Option<u16> {
        self.class_of[node as usize]
    }

    pub(crate) fn uplink_bps(&self, node: u32) -> Option<u64> {
        self.class(node).and_then(|c| c.uplink_bps)
    }

    #[inline]
    pub(crate) fn downlink_bps(&self, node: u32) -> Option<u64> {
        if !self.any_downlink_limit {
            return None;
        }
        self.class(node).and_then(|c| c.downlink_bps)
    }

    /// Queues a copy of `size` bytes on `from`'s uplink at `now`: returns its departure time
    /// (end of serialization) and the uplink epoch, and records the queueing delay.
    pub(crate) fn enqueue_uplink(
        &mut self,
        from: u32,
        now: SimTime,
        size: u64,
        traffic: &mut NodeTraffic,
    ) -> (SimTime, u32) {
        let Some(bps) = self.uplink_bps(from) else {
            return (now, self.epoch(from));
        };
        let up = &mut self.uplinks[from as usize];
        let start = now.max(up.free_at);
        let departure = start + serialization_us(size, bps);
        up.free_at = departure;
        while up.pending.front().is_some_and(|&d| d <= now) {
            up.pending.pop_front();
        }
        up.pending.push_back(departure);
        let wait = start - now;
        traffic.uplink_queued_copies += 1;
        traffic.uplink_queue_delay_total_us += wait;
        traffic.uplink_queue_delay_max_us = traffic.uplink_queue_delay_max_us.max(wait);
        (departure, up.epoch)
    }

    /// Empties `node`'s uplink at `now`: copies departing after `now` are dropped. Returns
    /// how many.
    pub(crate) fn drop_queue(&mut self, node: u32, now: SimTime) -> u64 {
        let up = &mut self.uplinks[node as usize];
        let dropped = up.pending.iter().filter(|&&d| d > now).count() as u64;
        up.pending.clear();
        up.cut_at.push(now);
        up.epoch += 1;
        up.free_at = up.free_at.min(now);
        dropped
    }

    /// False if the copy (departure, epoch) from `from` was dropped from its uplink queue.
    #[inline]
    pub(crate) fn alive(&self, from: u32, departure: SimTime, epoch: u32) -> bool {
        // Without uplink limits a copy departs when sent, never after a later cut: no need to
        // look at the sender's uplink (a cache miss per arrival at 10,000 participants).
        if !self.any_uplink_limit {
            return true;
        }
        let up = &self.uplinks[from as usize];
        epoch == up.epoch
            || up
                .cut_at
                .get(epoch as usize)
                .is_none_or(|&cut| departure <= cut)
    }

    /// Downlink FIFO of `to`: a copy off the wire at `now` is handed over after the returned
    /// delay (0 without a downlink limit); records the queueing delay.
    pub(crate) fn downlink_delay(
        &mut self,
        to: u32,
        now: SimTime,
        size: u64,
        traffic: &mut NodeTraffic,
    ) -> SimTime {
        let Some(bps) = self.downlink_bps(to) else {
            return 0;
        };
        let free = &mut self.downlink_free_at[to as usize];
        let start = now.max(*free);
        let done = start + serialization_us(size, bps);
        *free = done;
        let wait = start - now;
        traffic.downlink_queued_copies += 1;
        traffic.downlink_queue_delay_total_us += wait;
        traffic.downlink_queue_delay_max_us = traffic.downlink_queue_delay_max_us.max(wait);
        done - now
    }

    /// Advances `from`'s Gilbert-Elliott chain by one copy; true if that copy is lost.
    /// netem order (`loss_gilb_ell`): the loss is drawn in the current state, then the
    /// state transitions for the next copy. False (no draw) when not configured.
    pub(crate) fn ge_step(&mut self, from: u32) -> bool {
        let Some(ge) = self.ge else { return false };
        let rng = &mut self.ge_rngs[from as usize];
        let bad = &mut self.ge_bad[from as usize];
        let (switch, loss) = if *bad {
            (ge.r, ge.loss_bad)
        } else {
            (ge.p, ge.loss_good)
        };
        let u_switch: f64 = rng.random();
        let u_loss: f64 = rng.random();
        if u_switch < switch {
            *bad = !*bad;
        }
        u_loss < loss
    }

    /// Extra latency and loss of a copy `from -> to` leaving its sender at `t` (µs): node
    /// classes of both ends, active degradation windows (before `faults_end`), link
    /// overrides. Loss draws come from `from`'s [`StreamKind::LinkLoss`] stream, one per
    /// applicable non-zero loss, in that order, stopping at the first loss.
    #[inline]
    pub(crate) fn extra(&mut self, t: SimTime, from: u32, to: u32, faults_end: SimTime) -> Extra {
        if self.no_extra {
            return Extra::default();
        }
        self.extra_of(t, from, to, faults_end)
    }

    /// [`Links::extra`] when some class, window or override exists.
    fn extra_of(&mut self, t: SimTime, from: u32, to: u32, faults_end: SimTime) -> Extra {
        let mut latency_us = 0;
        let mut losses: Vec<f64> = Vec::new();
        for end in [from, to] {
            if let Some(c) = self.class(end) {
                latency_us += c.extra_latency_us;
                losses.push(c.loss);
            }
        }
        if t < faults_end {
            for d in &self.degradations {
                let member = |x: u32| d.members.as_ref().is_none_or(|m| m[x as usize]);
                if t >= d.start && t < d.end && (member(from) || member(to)) {
                    latency_us += d.extra_latency_us;
                    losses.push(d.loss);
                }
            }
        }
        if let Some((lat, ls)) = self.overrides.get(&(from, to)) {
            latency_us += lat;
            losses.extend_from_slice(ls);
        }
        let mut lost = false;
        if losses.iter().any(|&p| p > 0.0) {
            let rng = &mut self.loss_rngs[from as usize];
            lost = losses
                .iter()
                .filter(|&&p| p > 0.0)
                .any(|&p| rng.random::<f64>() < p);
        }
        Extra { latency_us, lost }
    }
}
