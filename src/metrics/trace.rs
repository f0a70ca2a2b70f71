//! A running hash of a run's events, for `--check-determinism`.
//!
//! A [`Trace`] is fed every event the run loop pops, as three 64-bit words: the simulated time
//! (µs), the event's kind and participant ids, and one more detail word (e.g. a timer's
//! deadline, a packet's size) — see `Ev::trace_words` in `run.rs`. It keeps
//!
//! - `hash`: a word-wise FNV-1a style hash, `h ← (h ⊕ w) · 0x100000001b3` per word, starting
//!   from the FNV-1a 64-bit offset basis. Each step is a bijection of `h` for a given word, so
//!   two runs whose event streams differ once have different hashes from that event on, and
//!   never collide again afterwards.
//! - checkpoints `(events, time µs, hash)` after every `interval`-th event. The interval
//!   starts at 1 and doubles whenever more than [`MAX_CHECKPOINTS`] are held (every other one
//!   is dropped), so memory stays under 1.6 MB for any run length and the checkpoints of two
//!   runs with the same number of events line up.
//!
//! [`Trace::compare`] finds the first checkpoint where two traces differ: the runs agree up to
//! the previous common checkpoint and differ by that one; it reports both times.
//!
//! Cost when disabled: the run loop tests one `Option` per event.

use crate::time::{SimTime, US_PER_S};

/// Most checkpoints a trace keeps (a power of two).
pub const MAX_CHECKPOINTS: usize = 1 << 16;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The hash of a run's events so far, with checkpoints (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    hash: u64,
    events: u64,
    last_time: SimTime,
    interval: u64,
    checkpoints: Vec<Checkpoint>,
}

/// The state of a [`Trace`] after `events` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Events hashed so far.
    pub events: u64,
    /// Simulated time of the last of them (µs).
    pub time: SimTime,
    /// The running hash after them.
    pub hash: u64,
}

/// Where two traces first differ (see [`Trace::compare`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divergence {
    /// The last common checkpoint at which both runs agree (`events == 0`, `time == 0` when
    /// they differ from the first checkpoint on).
    pub agree: Checkpoint,
    /// The first checkpoint at which they differ, in each run. The runs diverge at an event
    /// after `agree.events` and at or before this one. `None` when that run ended first
    /// (the other one has more events).
    pub differ: [Option<Checkpoint>; 2],
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new()
    }
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Trace {
        Trace {
            hash: FNV_OFFSET,
            events: 0,
            last_time: 0,
            interval: 1,
            checkpoints: Vec::new(),
        }
    }

    /// Hashes one event at simulated time `time` (µs) described by `words`.
    #[inline]
    pub fn record(&mut self, time: SimTime, words: [u64; 2]) {
        let mut h = self.hash;
        for w in [time, words[0], words[1]] {
            h = (h ^ w).wrapping_mul(FNV_PRIME);
        }
        self.hash = h;
        self.events += 1;
        self.last_time = time;
        if self.events.is_multiple_of(self.interval) {
            self.checkpoint();
        }
    }

    #[cold]
    fn checkpoint(&mut self) {
        self.checkpoints.push(self.current());
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            self.interval *= 2;
            let keep = self.interval;
            self.checkpoints.retain(|c| c.events.is_multiple_of(keep));
        }
    }

    /// The final state: events hashed, time of the last one, hash.
    pub fn current(&self) -> Checkpoint {
        Checkpoint {
            events: self.events,
            time: self.last_time,
            hash: self.hash,
        }
    }

    /// Lowercase hex of the running hash (16 chars).
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash)
    }

    /// The checkpoints held (ascending `events`).
    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// `None` when `self` and `other` hashed the same events; otherwise the last checkpoint
    /// both agree on and the first one after it where they differ (or where one run ended).
    pub fn compare(&self, other: &Trace) -> Option<Divergence> {
        if self.current() == other.current() {
            return None;
        }
        // Checkpoints of both runs, plus each run's final state; merge-join on event count.
        let a: Vec<Checkpoint> = with_final(self);
        let b: Vec<Checkpoint> = with_final(other);
        let mut agree = Checkpoint {
            events: 0,
            time: 0,
            hash: FNV_OFFSET,
        };
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].events.cmp(&b[j].events) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    if a[i] != b[j] {
                        return Some(Divergence {
                            agree,
                            differ: [Some(a[i]), Some(b[j])],
                        });
                    }
                    agree = a[i];
                    i += 1;
                    j += 1;
                }
            }
        }
        // Every common checkpoint agrees: one run has more events than the other.
        let next = |v: &[Checkpoint]| v.iter().find(|c| c.events > agree.events).copied();
        Some(Divergence {
            agree,
            differ: [next(&a), next(&b)],
        })
    }
}

fn with_final(t: &Trace) -> Vec<Checkpoint> {
    let mut v = t.checkpoints.clone();
    if v.last().map(|c| c.events) != Some(t.events) {
        v.push(t.current());
    }
    v
}

impl std::fmt::Display for Divergence {
    /// One line: where the runs agree last and where they differ first, in simulated seconds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |t: SimTime| t as f64 / US_PER_S as f64;
        write!(
            f,
            "identical up to event {} (simulated t = {:.6} s); ",
            self.agree.events,
            s(self.agree.time)
        )?;
        match self.differ {
            [Some(a), Some(b)] if a.events == b.events => {
                write!(
                    f,
                    "different by event {} (simulated t = {:.6} s in run 1, {:.6} s in run 2)",
                    a.events,
                    s(a.time),
                    s(b.time)
                )?;
                if a.time != b.time {
                    write!(
                        f,
                        "; first differing simulated time: {:.6} s",
                        s(a.time.min(b.time))
                    )?;
                }
                Ok(())
            }
            [a, b] => {
                let ended = |c: Option<Checkpoint>| match c {
                    Some(c) => format!("goes on to event {} (t = {:.6} s)", c.events, s(c.time)),
                    None => "ends there".to_string(),
                };
                write!(f, "then run 1 {}, run 2 {}", ended(a), ended(b))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(events: &[(SimTime, u64)]) -> Trace {
        let mut t = Trace::new();
        for &(time, w) in events {
            t.record(time, [w, 0]);
        }
        t
    }

    #[test]
    fn identical_streams_agree() {
        let ev: Vec<(SimTime, u64)> = (0..1000).map(|i| (i * 10, i % 7)).collect();
        assert_eq!(trace(&ev).compare(&trace(&ev)), None);
        assert_eq!(trace(&ev).hash_hex(), trace(&ev).hash_hex());
    }

    #[test]
    fn first_difference_is_located() {
        let ev: Vec<(SimTime, u64)> = (0..5000).map(|i| (i * 10, i % 7)).collect();
        let mut other = ev.clone();
        other[3000].1 = 99;
        let d = trace(&ev).compare(&trace(&other)).expect("differ");
        assert!(d.agree.events < 3001 && d.agree.events >= 2900, "{d:?}");
        let [Some(a), Some(b)] = d.differ else {
            panic!("{d:?}")
        };
        assert_eq!(a.events, b.events);
        assert!(a.events >= 3001, "{d:?}");
        assert!(d.to_string().contains("identical up to event"));
    }

    #[test]
    fn a_longer_run_differs() {
        let ev: Vec<(SimTime, u64)> = (0..100).map(|i| (i, 1)).collect();
        let d = trace(&ev[..60]).compare(&trace(&ev)).expect("differ");
        assert_eq!(d.agree.events, 60);
        assert_eq!(d.differ[0], None);
        assert_eq!(d.differ[1].map(|c| c.events), Some(61));
        assert!(d.to_string().contains("ends there"), "{d}");
    }

    #[test]
    fn checkpoints_stay_bounded_and_aligned() {
        let mut t = Trace::new();
        for i in 0..(3 * MAX_CHECKPOINTS as u64 + 5) {
            t.record(i, [i, 0]);
        }
        assert!(t.checkpoints().len() <= MAX_CHECKPOINTS);
        assert!(t.interval >= 4);
        assert!(t
            .checkpoints()
            .iter()
            .all(|c| c.events.is_multiple_of(t.interval)));
    }

    #[test]
    fn a_single_changed_word_never_collides_later() {
        let ev: Vec<(SimTime, u64)> = (0..200).map(|i| (i, i)).collect();
        let mut other = ev.clone();
        other[10].0 += 1;
        let (a, b) = (trace(&ev), trace(&other));
        assert_ne!(a.current().hash, b.current().hash);
    }
}
