//! Churn and clock skew: who is online when, and what each participant's wall clock reads.
//!
//! [`ChurnPlan::new`] turns `[churn]` into a time-ordered list of [`ChurnEvent`]s and each
//! participant's membership window (for the recorder's expectations); the transitions in
//! `churn/mod.rs` apply them. Semantics (also in `scenarios/README.md`, "`[churn]`"):
//!
//! - **Offline** (any mode): the participant receives nothing (copies arriving meanwhile are
//!   dropped and counted as `copies_to_offline`), sends nothing, publishes nothing (its
//!   workload publications are skipped and counted), and its timers do not fire. With
//!   `relay`/`ring` it does not forward either. With `relay` the mesh re-grafts
//!   ([`detach`], [`attach`]): its peers drop the link, and each online peer left with
//!   fewer than D links grafts one random online participant with fewer than
//!   `D_high = 2·D` links (GossipSub's `D_high` default is 2·D, 12 for D = 6; here
//!   `D_low = D`, i.e. a lost link is replaced at once). On coming back it grafts random
//!   online participants with fewer than `D_high` links until it has D. Choices come from
//!   the churn stream (id 1). `ring` does not re-graft (the skip links route around).
//!   Overlapping windows of one participant nest: it is back when the last one ends.
//! - **sleep**: state kept; on waking the engine calls `handle_timeout(now)`, so every timer
//!   missed while asleep fires at once (the core's clock simply jumped).
//! - **crash**: on coming back each of its cores is replaced by a fresh `sds::Channel`
//!   (same participant id, wall clock of that time, a new seed from the churn stream
//!   id `2 + i`): local log, buffers, bloom filter, Lamport clock are lost, and it catches up
//!   like a newcomer. Its own unacknowledged messages survive only if others have them;
//!   since a core ignores copies carrying its own sender id, a restarted core never gets
//!   its own earlier messages back: dependencies on them resolve only by the incoming
//!   buffer's give-up (counted as irretrievably lost), and its log lacks them (final logs
//!   may then disagree).
//! - **leave**: offline for good from the window's start (`end` ignored). It is expected to
//!   deliver only messages published before it left; those it had not delivered count as
//!   missed. The stop rule does not wait for it.
//! - **Late joiners** (`[[churn.join]]`): absent (offline, no core state, no timers) until
//!   `at`, then a fresh core created with the wall clock of `at`. By default expected to
//!   deliver the channel's whole history (new-node sync); with
//!   `joiners_expect_history = false` only messages published from `at` on.
//! - **Drain** (faults heal): for `sleep`/`crash` every participant still offline at the end
//!   of the workload comes back then; `leave` does not. Nobody is absent in the drain
//!   (joins happen in the workload).
//!
//! Clock skew: participant i's wall clock reads `epoch_unix_ms + t + offset_i` (ms, rounded
//! down); its timers are converted back with the same offset. Offsets come from
//! `clock_skew` (stream `ClockSkew`, id i) and `[[clock_skew_fixed]]` (which wins).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};

use crate::net::Graph;
use crate::rng::{stream, StreamKind};
use crate::scenario::{ChurnMode, ClockSkew, Scenario};
use crate::time::SimTime;

/// What happens to a participant at a churn event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChurnAction {
    /// Goes offline (or leaves, in `leave` mode).
    Down,
    /// Comes back (the end of an offline window).
    Up,
    /// A late joiner joins.
    Join,
}

/// One scheduled churn event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChurnEvent {
    /// Simulated time (µs).
    pub at: SimTime,
    pub node: u32,
    pub action: ChurnAction,
}

/// The churn of one run, precomputed from the scenario and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnPlan {
    pub mode: ChurnMode,
    /// Events in time order (ties: participant id, then Down < Up < Join).
    pub events: Vec<ChurnEvent>,
    /// Participants absent at time 0 (late joiners).
    pub absent: Vec<bool>,
    /// Per participant `[from, until)` (µs): publications it is expected to deliver.
    pub membership: Vec<(SimTime, SimTime)>,
    /// Shaded windows for reports (µs, end clamped to the workload end): one per
    /// `[[churn.offline]]` entry and one for `[churn.random]` (first start to last end).
    pub windows: Vec<(SimTime, SimTime)>,
}

impl ChurnPlan {
    /// The plan of `sc` (validated). Draws the random set and stagger from stream
    /// `(Churn, 0)` only when `[churn.random]` is set.
    pub fn new(sc: &Scenario) -> ChurnPlan {
        let c = &sc.churn;
        let n = sc.participants;
        let end_of_workload = sc.duration.as_micros();
        let leave = c.mode == ChurnMode::Leave;
        let mut events = Vec::new();
        let mut windows = Vec::new();
        let mut window = |ids: &mut dyn Iterator<Item = (u32, SimTime, Option<SimTime>)>| {
            let (mut first, mut last) = (SimTime::MAX, 0);
            for (node, start, end) in ids {
                events.push(ChurnEvent {
                    at: start,
                    node,
                    action: ChurnAction::Down,
                });
                first = first.min(start);
                let end = if leave { None } else { end };
                last = last.max(end.unwrap_or(end_of_workload).min(end_of_workload));
                if let Some(end) = end {
                    events.push(ChurnEvent {
                        at: end,
                        node,
                        action: ChurnAction::Up,
                    });
                }
            }
            if first < SimTime::MAX {
                windows.push((first, last.max(first)));
            }
        };
        for w in &c.offline {
            let (start, end) = (w.start.as_micros(), w.end.map(|e| e.as_micros()));
            window(&mut w.ids.iter().map(|&id| (id, start, end)));
        }
        if let Some(r) = &c.random {
            let mut rng = stream(sc.seed, StreamKind::Churn, 0);
            let k = ((r.fraction * f64::from(n)).round() as u32).min(n);
            // Partial Fisher-Yates: the first k of a seeded shuffle of 0..n.
            let mut ids: Vec<u32> = (0..n).collect();
            let mut picked = Vec::with_capacity(k as usize);
            for j in 0..k as usize {
                let pick = rng.random_range(j..n as usize);
                ids.swap(j, pick);
                let start = r.start.as_micros()
                    + if r.stagger.is_zero() {
                        0
                    } else {
                        rng.random_range(0..=r.stagger.as_micros())
                    };
                let end = r.duration.map(|d| start + d.as_micros());
                picked.push((ids[j], start, end));
            }
            window(&mut picked.into_iter());
        }
        let mut absent = vec![false; n as usize];
        let mut membership = vec![(0, SimTime::MAX); n as usize];
        for j in &c.join {
            for &id in &j.ids {
                absent[id as usize] = true;
                if !c.joiners_expect_history {
                    membership[id as usize].0 = j.at.as_micros();
                }
                events.push(ChurnEvent {
                    at: j.at.as_micros(),
                    node: id,
                    action: ChurnAction::Join,
                });
            }
        }
        if leave {
            for e in &events {
                if e.action == ChurnAction::Down {
                    let until = &mut membership[e.node as usize].1;
                    *until = (*until).min(e.at);
                }
            }
        }
        events.sort();
        ChurnPlan {
            mode: c.mode,
            events,
            absent,
            membership,
            windows,
        }
    }
}

/// Participant clock offsets in µs (all 0 without `clock_skew` / `[[clock_skew_fixed]]`).
pub fn clock_offsets_us(sc: &Scenario) -> Vec<i64> {
    let n = sc.participants;
    let max = crate::scenario::MAX_SKEW_US as f64;
    let mut out: Vec<i64> = match &sc.clock_skew {
        None => vec![0; n as usize],
        Some(skew) => (0..n)
            .map(|i| {
                let mut rng = stream(sc.seed, StreamKind::ClockSkew, u64::from(i));
                let us = match skew {
                    ClockSkew::Constant { value } => value.as_micros() as f64,
                    ClockSkew::Uniform { min, max } => {
                        if min == max {
                            min.as_micros() as f64
                        } else {
                            rng.random_range(min.as_micros()..=max.as_micros()) as f64
                        }
                    }
                    ClockSkew::Normal { mean, std_dev } => {
                        Normal::new(mean.as_micros() as f64, std_dev.as_micros() as f64)
                            .map(|d| d.sample(&mut rng))
                            .unwrap_or(mean.as_micros() as f64)
                    }
                };
                us.round().clamp(-max, max) as i64
            })
            .collect(),
    };
    for f in &sc.clock_skew_fixed {
        out[f.id as usize] = f.offset.as_micros();
    }
    out
}

/// Picks one online participant `w` for `u` to graft: not `u`, not linked to it, fewer than
/// `d_high` links. 32 random tries, then a scan from a random start; false if none.
fn graft_one(g: &mut Graph, u: u32, online: &[bool], d_high: usize, rng: &mut ChaCha8Rng) -> bool {
    let n = g.len() as u32;
    if n < 2 {
        return false;
    }
    let ok = |g: &Graph, w: u32| {
        w != u && online[w as usize] && !g.has_edge(u, w) && g.degree(w) < d_high
    };
    for _ in 0..32 {
        let w = rng.random_range(0..n);
        if ok(g, w) {
            g.add_edge(u, w);
            return true;
        }
    }
    let start = rng.random_range(0..n);
    for k in 0..n {
        let w = (start + k) % n;
        if ok(g, w) {
            g.add_edge(u, w);
            return true;
        }
    }
    false
}

/// Participant `v` went offline (`online[v]` already false): its links are dropped and each
/// online former peer left with fewer than `d` links grafts one replacement (see the module
/// docs). Peers are handled in ascending order.
pub fn detach(g: &mut Graph, v: u32, online: &[bool], d: usize, rng: &mut ChaCha8Rng) {
    let peers = g.neighbours(v).to_vec();
    for &u in &peers {
        g.remove_edge(u, v);
    }
    for u in peers {
        if online[u as usize] && g.degree(u) < d {
            graft_one(g, u, online, 2 * d, rng);
        }
    }
}

/// Participant `v` came back (`online[v]` already true): it grafts random online
/// participants with fewer than `2·d` links until it has `d` links or none is left.
pub fn attach(g: &mut Graph, v: u32, online: &[bool], d: usize, rng: &mut ChaCha8Rng) {
    while g.degree(v) < d {
        if !graft_one(g, v, online, 2 * d, rng) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::topology::random_regular;

    #[test]
    fn regraft_keeps_degrees_and_avoids_offline_nodes() {
        let n = 50u32;
        let d = 6usize;
        let mut g = random_regular(n, d as u32, &mut stream(1, StreamKind::Topology, 0));
        let mut online = vec![true; n as usize];
        let mut rng = stream(1, StreamKind::Churn, 1);
        for v in [3u32, 17, 40] {
            online[v as usize] = false;
            detach(&mut g, v, &online, d, &mut rng);
            assert_eq!(g.degree(v), 0);
        }
        for u in 0..n {
            if online[u as usize] {
                assert!(g.degree(u) >= d && g.degree(u) <= 2 * d, "{u}");
                assert!(g.neighbours(u).iter().all(|&w| online[w as usize]));
            }
        }
        online[17] = true;
        attach(&mut g, 17, &online, d, &mut rng);
        assert_eq!(g.degree(17), d);
        // deterministic
        let mut g2 = random_regular(n, d as u32, &mut stream(1, StreamKind::Topology, 0));
        let mut on2 = vec![true; n as usize];
        let mut rng2 = stream(1, StreamKind::Churn, 1);
        for v in [3u32, 17, 40] {
            on2[v as usize] = false;
            detach(&mut g2, v, &on2, d, &mut rng2);
        }
        on2[17] = true;
        attach(&mut g2, 17, &on2, d, &mut rng2);
        assert_eq!(g, g2);
    }

    fn scenario(extra: &str) -> Scenario {
        let text = format!("participants = 10\nduration = \"100s\"\n{extra}");
        crate::scenario::load_str(&text, std::path::Path::new("x.toml"), None, &[])
            .expect("valid")
            .scenario
    }

    #[test]
    fn plan_random_set_and_leave_membership() {
        let sc = scenario(
            "[churn]\nmode = \"leave\"\n[churn.random]\nfraction = 0.3\nstart = \"10s\"\nstagger = \"5s\"\n",
        );
        let p = ChurnPlan::new(&sc);
        assert_eq!(p.events.len(), 3);
        assert!(p.events.iter().all(|e| e.action == ChurnAction::Down));
        for e in &p.events {
            assert!((10_000_000..=15_000_000).contains(&e.at));
            assert_eq!(p.membership[e.node as usize], (0, e.at));
        }
        assert_eq!(p, ChurnPlan::new(&sc));
        assert_eq!(p.windows.len(), 1);
        assert_eq!(p.windows[0].1, 100_000_000);
    }

    #[test]
    fn plan_joins_and_offsets() {
        let sc = scenario(
            "clock_skew = { kind = \"uniform\", min = \"-2s\", max = \"2s\" }\n[[clock_skew_fixed]]\nid = 3\noffset = \"5s\"\n[churn]\njoiners_expect_history = false\n[[churn.join]]\nids = [2]\nat = \"30s\"\n[[churn.offline]]\nids = [4]\nstart = \"1s\"\nend = \"2s\"\n",
        );
        let p = ChurnPlan::new(&sc);
        assert!(p.absent[2] && !p.absent[4]);
        assert_eq!(p.membership[2], (30_000_000, SimTime::MAX));
        assert_eq!(p.events.len(), 3);
        assert_eq!(p.windows, vec![(1_000_000, 2_000_000)]);
        let off = clock_offsets_us(&sc);
        assert_eq!(off[3], 5_000_000);
        assert!(off.iter().all(|o| (-2_000_000..=5_000_000).contains(o)));
        assert_eq!(off, clock_offsets_us(&sc));
    }
}
