//! The workload: who publishes what, when (`[workload]`).
//!
//! Three generators, each with its own random stream so that adding one leaves the others'
//! draws unchanged:
//! - the group channel's random publications (`rate_per_s`, Poisson or constant gaps, the
//!   sender drawn uniformly from the channel's members; stream `Workload`, id 0);
//! - scripted publications (`[[workload.publish]]`: sender, time, count, interval, label);
//! - direct-message conversations (`[workload.direct]`): each two-member channel publishes
//!   at its own rate, the sender drawn from its two members (stream `Workload`, id
//!   `2 + conversation`).
//!
//! Payloads are `workload.payload_bytes` long: the run's publication sequence number, big
//! endian, in the first 8 bytes (its low bytes when shorter), then random bytes from the
//! sender's stream (`Payload`, id sender). Publications only happen in the workload phase.
//! Owns its state; schedules its own events and hands each publication to the pipeline.

use bytes::Bytes;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};

use super::event::Ev;
use super::pipeline::{RoleHooks, RunError, World};
use super::queue::EventQueue;
use crate::metrics::ChannelSpec;
use crate::rng::{stream, StreamKind};
use crate::scenario::{Arrival, Scenario};
use crate::time::SimTime;

/// The publication generators of a run.
pub(crate) struct Workload {
    rng: ChaCha8Rng,
    payload_rngs: Vec<ChaCha8Rng>,
    inter_arrival: Option<Exp<f64>>,
    mean_gap_us: f64,
    payload_bytes: usize,
    /// Publications attempted so far (the payload sequence number).
    published: u64,
    workload_end: SimTime,
    /// Per direct conversation: its stream (gaps and sender draws).
    direct_rngs: Vec<ChaCha8Rng>,
    /// Index of the first direct-message channel (1 with a group channel, else 0).
    direct_first: u32,
    /// `workload.arrival` and per-conversation rate of the direct-message workload.
    direct_arrival: (Arrival, f64),
}

impl Workload {
    /// The generators of `sc` (no events queued yet: see [`Workload::schedule`]).
    pub fn new(sc: &Scenario) -> Workload {
        let rate = sc.workload.rate_per_s;
        Workload {
            rng: stream(sc.seed, StreamKind::Workload, 0),
            payload_rngs: (0..sc.participants)
                .map(|i| stream(sc.seed, StreamKind::Payload, u64::from(i)))
                .collect(),
            inter_arrival: match sc.workload.arrival {
                Arrival::Poisson => Exp::new(rate).ok(),
                Arrival::Constant => None,
            },
            mean_gap_us: 1e6 / rate,
            payload_bytes: sc.workload.payload_bytes as usize,
            published: 0,
            workload_end: sc.duration.as_micros(),
            direct_rngs: Vec::new(),
            direct_first: u32::from(sc.workload.group),
            direct_arrival: (
                sc.workload.arrival,
                sc.workload.direct.as_ref().map_or(0.0, |d| d.rate_per_s),
            ),
        }
    }

    /// Queues every scripted publication, the first group publication and the first
    /// publication of every direct conversation (in that order).
    pub fn schedule(&mut self, sc: &Scenario, queue: &mut EventQueue<Ev>) {
        for entry in &sc.workload.publish {
            for k in 0..entry.count {
                let at = entry.at.as_micros() + u64::from(k) * entry.interval.as_micros();
                let label = entry.label.as_ref().map(|l| {
                    if entry.count == 1 {
                        l.clone()
                    } else {
                        format!("{l}-{k}")
                    }
                });
                queue.push(
                    at,
                    Ev::Scripted {
                        sender: entry.sender,
                        label: label.map(String::into_boxed_str),
                    },
                );
            }
        }
        if sc.workload.rate_per_s > 0.0 {
            let first = self.next_gap_us();
            if first < self.workload_end {
                queue.push(first, Ev::Publish);
            }
        }
        if let Some(d) = &sc.workload.direct {
            for conv in 0..d.conversations {
                let mut rng = stream(sc.seed, StreamKind::Workload, 2 + u64::from(conv));
                let first = direct_gap_us(sc.workload.arrival, d.rate_per_s, &mut rng);
                self.direct_rngs.push(rng);
                if first < self.workload_end {
                    queue.push(
                        first,
                        Ev::Direct {
                            channel: self.direct_first + conv,
                        },
                    );
                }
            }
        }
    }

    /// The next group publication (`Ev::Publish`): a random member publishes; the next one
    /// is queued if it falls inside the workload.
    ///
    /// Errors: the sender's driver failed.
    pub fn group(
        &mut self,
        w: &mut World,
        now: SimTime,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        let members = &w.channels[0].members;
        let sender = members[self.rng.random_range(0..members.len())];
        self.publish(w, now, 0, sender, None, roles)?;
        let next = now + self.next_gap_us();
        if next < self.workload_end {
            w.queue.push(next, Ev::Publish);
        }
        Ok(())
    }

    /// A scripted publication of `sender` in the group channel.
    ///
    /// Errors: the sender's driver failed.
    pub fn scripted(
        &mut self,
        w: &mut World,
        now: SimTime,
        sender: u32,
        label: Option<Box<str>>,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        self.publish(w, now, 0, sender, label.map(String::from), roles)
    }

    /// The next publication of the direct conversation in `channel`.
    ///
    /// Errors: the sender's driver failed.
    pub fn direct(
        &mut self,
        w: &mut World,
        now: SimTime,
        channel: u32,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        let conv = (channel - self.direct_first) as usize;
        let (arrival, rate) = self.direct_arrival;
        let rng = &mut self.direct_rngs[conv];
        let members = &w.channels[channel as usize].members;
        let sender = members[rng.random_range(0..members.len())];
        let next = now + direct_gap_us(arrival, rate, rng);
        self.publish(w, now, channel, sender, None, roles)?;
        if next < self.workload_end {
            w.queue.push(next, Ev::Direct { channel });
        }
        Ok(())
    }

    /// Draws `sender`'s payload and hands the publication to the pipeline. Senders that are
    /// not members of `channel` publish nothing (and draw nothing).
    fn publish(
        &mut self,
        w: &mut World,
        now: SimTime,
        channel: u32,
        sender: u32,
        label: Option<String>,
        roles: &mut dyn RoleHooks,
    ) -> Result<(), RunError> {
        let Some(slot) = w.parts.nodes[sender as usize].slot_of(channel) else {
            return Ok(());
        };
        if !w.churn.is_online(sender) {
            w.churn.publication_skipped();
            return Ok(());
        }
        let payload = self.payload(sender);
        self.published += 1;
        w.publish(now, sender, slot, payload, label, roles)
    }

    fn next_gap_us(&mut self) -> SimTime {
        match &self.inter_arrival {
            Some(exp) => {
                let s = exp.sample(&mut self.rng) * 1e6;
                s.round().max(1.0) as SimTime
            }
            None => self.mean_gap_us.round().max(1.0) as SimTime,
        }
    }

    /// A payload of `workload.payload_bytes` (see the module docs). Payloads shorter than 8
    /// bytes hold the sequence number's low bytes, so they stay distinct for the first
    /// 256^len publications (message ids stay distinct anyway: the `unique` rule also
    /// hashes sender and timestamp, and the recorder keys messages by channel and id).
    fn payload(&mut self, sender: u32) -> Bytes {
        use rand::Rng;
        let seq = self.published.to_be_bytes();
        let mut buf = vec![0u8; self.payload_bytes];
        let head = self.payload_bytes.min(8);
        buf[..head].copy_from_slice(&seq[8 - head..]);
        self.payload_rngs[sender as usize].fill_bytes(&mut buf[head..]);
        Bytes::from(buf)
    }
}

/// Gap (µs, >= 1) to the next publication of a process with `rate_per_s`.
fn direct_gap_us(arrival: Arrival, rate_per_s: f64, rng: &mut ChaCha8Rng) -> SimTime {
    let s = match arrival {
        Arrival::Poisson => Exp::new(rate_per_s).map_or(1.0 / rate_per_s, |e| e.sample(rng)),
        Arrival::Constant => 1.0 / rate_per_s,
    };
    (s * 1e6).round().max(1.0) as SimTime
}

/// The run's channels: the group channel [`super::CHANNEL_ID`] with every participant
/// (unless `workload.group = false`), then one two-member channel `dm-<a>-<b>` per direct
/// conversation: distinct pairs `a < b` drawn uniformly from the seed (stream `Workload`,
/// id 1), in draw order.
pub fn build_channels(sc: &Scenario) -> Vec<ChannelSpec> {
    let n = sc.participants;
    let mut channels = Vec::new();
    if sc.workload.group {
        channels.push(ChannelSpec {
            id: super::CHANNEL_ID.to_owned(),
            members: (0..n).collect(),
        });
    }
    if let Some(d) = &sc.workload.direct {
        let mut rng = stream(sc.seed, StreamKind::Workload, 1);
        let mut seen = std::collections::BTreeSet::new();
        while seen.len() < d.conversations as usize && n >= 2 {
            let a = rng.random_range(0..n);
            let b = rng.random_range(0..n);
            if a == b {
                continue;
            }
            let pair = (a.min(b), a.max(b));
            if seen.insert(pair) {
                channels.push(ChannelSpec {
                    id: format!("dm-{}-{}", pair.0, pair.1),
                    members: vec![pair.0, pair.1],
                });
            }
        }
    }
    channels
}
