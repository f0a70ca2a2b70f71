//! Putting copies on the wire: the link model of one copy ([`Network::send_copy`]) and of a
//! sender's batch of copies at one time ([`Network::send_batch`]: a publication's first hop, a
//! relay's forwarding).
//!
//! A batch takes the plain path when no link feature can touch its copies: no node classes,
//! Gilbert-Elliott chain, degradation windows, link overrides or duplication in the run
//! ([`Links::plain`], checked once per run), no partition active at the send time and no
//! watched message (checked once per batch). A plain copy is then a loss draw and a latency
//! draw from its sender's stream, in the order and with the values [`Network::send_copy`]
//! would draw them; the sender's region row, random stream, uplink epoch and counters are
//! looked up once per batch instead of once per copy (issue 16: the per-copy work dominated
//! runs with periodic sync at scale).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::latency::SenderLatency;
use super::links::Links;
use super::watch::{CopyFate, LossCause};
use super::{Copy, Network, Overlay, TrafficKind};
use crate::time::SimTime;

/// Whom a batch of copies from one sender goes to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Targets<'m> {
    /// Every participant of the slice but the sender (broadcast).
    Members(&'m [u32]),
    /// The sender's neighbours in the flooding overlay but `skip` (the node the packet came
    /// from; [`Targets::NO_SKIP`]: none). Nobody without a flooding overlay.
    Neighbours { skip: u32 },
}

impl Targets<'_> {
    /// [`Targets::Neighbours`] skipping nobody (no node has this id).
    pub(super) const NO_SKIP: u32 = u32::MAX;
}

impl Network {
    /// Whether the link model of this run can touch a copy at all ([`Links::plain`] and no
    /// duplication); fixed for the run.
    pub(super) fn plain_links(links: &Links, duplicate: f64) -> bool {
        links.plain() && duplicate <= 0.0
    }

    /// True if a copy sent at `now` takes the plain path: plain links, no partition active
    /// at `now` (the departure of every copy without an uplink queue) and no watched
    /// message on the packet being sent.
    fn plain_at(&self, now: SimTime) -> bool {
        self.plain
            && !self.watching
            && (now >= self.faults_end
                || !self
                    .partitions
                    .iter()
                    .any(|p| now >= p.start && now < p.heal))
    }

    /// `from` sends one copy of `size` bytes of `kind` to each of `targets` at `now`, in
    /// order, appending the surviving copies to `out`: exactly what [`Network::send_copy`] for
    /// each target in turn does (the same draws, counters and copies), by the plain path when
    /// [`Network::plain_at`] holds. `forwarded`: the bytes are someone else's packet.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_batch(
        &mut self,
        now: SimTime,
        from: u32,
        targets: Targets<'_>,
        size: u64,
        kind: TrafficKind,
        forwarded: bool,
        out: &mut Vec<Copy>,
    ) {
        if self.plain_at(now) {
            let latency = self.latency.sender(from);
            let rng = &mut self.rngs[from as usize];
            let (loss, epoch) = (self.loss, self.links.epoch(from));
            let (sent, lost) = match targets {
                Targets::Members(m) => {
                    let to = m.iter().copied().filter(|&t| t != from);
                    plain_copies(latency, rng, loss, now, from, epoch, to, out)
                }
                Targets::Neighbours { skip } => match &self.overlay {
                    Overlay::Flood(g) => {
                        let to = g.neighbours(from).iter().copied().filter(|&w| w != skip);
                        plain_copies(latency, rng, loss, now, from, epoch, to, out)
                    }
                    Overlay::Broadcast => (0, 0),
                },
            };
            self.copies.sent += sent;
            self.copies.lost += lost;
            let s = &mut self.sent[from as usize];
            s.count(kind, size, sent, forwarded);
            s.copies_lost += lost;
            return;
        }
        let mut list = std::mem::take(&mut self.neighbours);
        list.clear();
        match targets {
            Targets::Members(m) => list.extend(m.iter().copied().filter(|&t| t != from)),
            Targets::Neighbours { skip } => {
                if let Overlay::Flood(g) = &self.overlay {
                    list.extend(g.neighbours(from).iter().copied().filter(|&w| w != skip));
                }
            }
        }
        for &to in &list {
            self.send_copy(now, from, to, size, kind, forwarded, out);
        }
        self.neighbours = list;
    }

    /// Puts one copy on the link `from -> to`: counts it, queues it on `from`'s uplink,
    /// advances `from`'s Gilbert-Elliott chain, then drops it (partition, `network.loss`,
    /// Gilbert-Elliott, extra loss) or appends it (and maybe a duplicate) to `out` with its
    /// latency draw plus extra latency.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_copy(
        &mut self,
        now: SimTime,
        from: u32,
        to: u32,
        size: u64,
        kind: TrafficKind,
        forwarded: bool,
        out: &mut Vec<Copy>,
    ) {
        self.sent[from as usize].count(kind, size, 1, forwarded);
        self.copies.sent += 1;
        let t = &mut self.traffic[from as usize];
        let (departure, epoch) = self.links.enqueue_uplink(from, now, size, t);
        let ge_lost = self.links.ge_step(from);
        let watching = self.watching;
        let note = |net: &mut Network, fate: CopyFate| {
            if watching {
                net.note(now, from, to, kind, forwarded, fate);
            }
        };
        if self.is_cut(departure, from, to) {
            self.copies.partitioned += 1;
            note(self, CopyFate::Cut);
            return;
        }
        let rng = &mut self.rngs[from as usize];
        if self.loss > 0.0 && rng.random::<f64>() < self.loss {
            self.copies.lost += 1;
            self.sent[from as usize].copies_lost += 1;
            note(self, CopyFate::Lost(LossCause::Bernoulli));
            return;
        }
        if ge_lost {
            self.copies.lost += 1;
            self.copies.lost_gilbert_elliott += 1;
            self.sent[from as usize].copies_lost += 1;
            self.traffic[from as usize].copies_lost_gilbert_elliott += 1;
            note(self, CopyFate::Lost(LossCause::GilbertElliott));
            return;
        }
        let extra = self.links.extra(departure, from, to, self.faults_end);
        if extra.lost {
            self.copies.lost += 1;
            self.copies.lost_extra += 1;
            self.sent[from as usize].copies_lost += 1;
            note(self, CopyFate::Lost(LossCause::Extra));
            return;
        }
        let rng = &mut self.rngs[from as usize];
        let delay = self.latency.sample_us(from, to, rng) + extra.latency_us;
        let arrival = departure + delay;
        out.push(Copy {
            to,
            from,
            arrival,
            departure,
            epoch,
        });
        // Duplication is drawn only when configured, so other scenarios' streams are
        // unchanged by its existence.
        let duplicate = self.duplicate > 0.0 && rng.random::<f64>() < self.duplicate;
        let second =
            duplicate.then(|| departure + self.latency.sample_us(from, to, rng) + extra.latency_us);
        note(self, CopyFate::OnWire { departure, arrival });
        if let Some(arrival) = second {
            self.copies.duplicated += 1;
            out.push(Copy {
                to,
                from,
                arrival,
                departure,
                epoch,
            });
            note(self, CopyFate::Duplicated { arrival });
        }
    }
}

/// The plain path of [`Network::send_batch`]: per target, `network.loss`'s draw (if any
/// loss) and, if the copy survives, its latency draw from `latency`, both on `from`'s stream
/// `rng`; the copy leaves at `now` in uplink epoch `epoch`. Returns the copies sent and lost.
#[allow(clippy::too_many_arguments)]
#[inline]
fn plain_copies(
    latency: SenderLatency<'_>,
    rng: &mut ChaCha8Rng,
    loss: f64,
    now: SimTime,
    from: u32,
    epoch: u32,
    targets: impl Iterator<Item = u32>,
    out: &mut Vec<Copy>,
) -> (u64, u64) {
    let (mut sent, mut lost) = (0, 0);
    for to in targets {
        sent += 1;
        if loss > 0.0 && rng.random::<f64>() < loss {
            lost += 1;
            continue;
        }
        out.push(Copy {
            to,
            from,
            arrival: now + latency.sample_us(to, rng),
            departure: now,
            epoch,
        });
    }
    (sent, lost)
}
