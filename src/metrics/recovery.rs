//! Recovery times: how long after a fault window ends the group has delivered what was
//! published before it.
//!
//! For a window ending at `end` (µs), take every expected (message, receiver) pair whose
//! message was published before `end` (the recorder's expected pairs: membership windows
//! and departures apply). Sort their delivery times; the group has recovered to a share `q`
//! at the time `t_k` of the `k = ⌈q · pairs⌉`-th delivery. The recovery time is
//! `max(0, t_k − end)`: 0 when the share was reached before the window ended, `None`
//! ("never") when fewer than `k` of the pairs were delivered by the end of the run.
//! Reported for `q` = 99% and 100% (reports/README.md, `faults[].recovery_*`).
//!
//! Cost: one pass over the pairs, a sort by publication time and, for each window, a
//! k-th-smallest query in a Fenwick tree over delivery-time ranks: `O(P log P)` for `P`
//! pairs and any number of windows.

use super::Recorder;
use crate::time::SimTime;

/// The recovery of the group after one fault window (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovery {
    /// Expected pairs of messages published before the window's end.
    pub pairs: u64,
    /// Of them, pairs not delivered by the window's end.
    pub undelivered_at_end: u64,
    /// Time (µs) from the window's end until 99% of the pairs were delivered; `None`:
    /// never within the run.
    pub after_99_us: Option<SimTime>,
    /// Time (µs) from the window's end until every pair was delivered; `None`: never
    /// within the run.
    pub after_100_us: Option<SimTime>,
}

/// The recovery after each window end in `ends` (µs, any order), in the order given.
pub fn recovery_after(rec: &Recorder, ends: &[SimTime]) -> Vec<Recovery> {
    if ends.is_empty() {
        return Vec::new();
    }
    // (published, delivered or NEVER) of every expected pair.
    let mut pairs: Vec<(SimTime, SimTime)> = Vec::with_capacity(rec.expected_pairs() as usize);
    for (m, truth) in rec.messages().iter().enumerate() {
        for (_, d) in rec.expected_deliveries_of(m as u32) {
            pairs.push((truth.published, d.unwrap_or(SimTime::MAX)));
        }
    }
    pairs.sort_unstable();
    // Ranks of delivery times (NEVER is the largest).
    let mut times: Vec<SimTime> = pairs.iter().map(|p| p.1).collect();
    times.sort_unstable();
    times.dedup();
    let mut tree = Fenwick::new(times.len());
    let mut order: Vec<usize> = (0..ends.len()).collect();
    order.sort_by_key(|&i| ends[i]);
    let mut out = vec![Recovery::default(); ends.len()];
    let mut next = 0usize;
    let mut added = 0usize; // pairs published before the current end
    for i in order {
        let end = ends[i];
        while next < pairs.len() && pairs[next].0 < end {
            let rank = times.partition_point(|&t| t < pairs[next].1);
            tree.add(rank, 1);
            next += 1;
            added += 1;
        }
        let n = added as u64;
        if n == 0 {
            out[i] = Recovery {
                after_99_us: Some(0),
                after_100_us: Some(0),
                ..Recovery::default()
            };
            continue;
        }
        let delivered_by_end = tree.prefix(times.partition_point(|&t| t <= end));
        let at = |k: u64| -> Option<SimTime> {
            let t = times[tree.kth(k)];
            (t != SimTime::MAX).then(|| t.saturating_sub(end))
        };
        out[i] = Recovery {
            pairs: n,
            undelivered_at_end: n - delivered_by_end,
            after_99_us: at((n * 99).div_ceil(100)),
            after_100_us: at(n),
        };
    }
    out
}

/// A Fenwick (binary indexed) tree of counts over ranks `0..len`.
struct Fenwick {
    t: Vec<u64>,
}

impl Fenwick {
    fn new(len: usize) -> Fenwick {
        Fenwick {
            t: vec![0; len + 1],
        }
    }

    fn add(&mut self, rank: usize, v: u64) {
        let mut i = rank + 1;
        while i < self.t.len() {
            self.t[i] += v;
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of the counts of ranks `0..end`.
    fn prefix(&self, end: usize) -> u64 {
        let mut i = end;
        let mut s = 0;
        while i > 0 {
            s += self.t[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// The rank holding the `k`-th item (1-based; `k` at most the total count).
    fn kth(&self, mut k: u64) -> usize {
        let mut pos = 0usize;
        let mut step = (self.t.len() - 1).next_power_of_two();
        while step > 0 {
            let nxt = pos + step;
            if nxt < self.t.len() && self.t[nxt] < k {
                pos = nxt;
                k -= self.t[nxt];
            }
            step >>= 1;
        }
        pos // 0-based rank = (1-based index pos + 1) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder(publications: &[(SimTime, &[Option<SimTime>])]) -> Recorder {
        let n = publications.iter().map(|p| p.1.len()).max().unwrap_or(0) as u32 + 1;
        let mut rec = Recorder::new(n, vec![(0..n).collect()]);
        for (k, (published, deliveries)) in publications.iter().enumerate() {
            let id = format!("m{k}");
            rec.publish(&id, 0, 0, *published, &[]);
            for (r, d) in deliveries.iter().enumerate() {
                if let Some(t) = d {
                    rec.deliver(0, &id, r as u32 + 1, *t);
                }
            }
        }
        rec
    }

    #[test]
    fn fenwick_kth_and_prefix() {
        let mut f = Fenwick::new(5);
        for (r, c) in [(0, 2), (2, 1), (4, 3)] {
            f.add(r, c);
        }
        let kth: Vec<usize> = (1..=6).map(|k| f.kth(k)).collect();
        assert_eq!(kth, [0, 0, 2, 4, 4, 4]);
        assert_eq!(
            (f.prefix(0), f.prefix(1), f.prefix(3), f.prefix(5)),
            (0, 2, 3, 6)
        );
    }

    #[test]
    fn recovery_counts_from_the_window_end_and_says_never() {
        // Two messages before the end (t = 100), 2 receivers each; one after.
        let rec = recorder(&[
            (10, &[Some(20), Some(150)]),
            (50, &[Some(60), Some(400)]),
            (200, &[Some(210), None]),
        ]);
        let r = recovery_after(&rec, &[100, 300, 0]);
        assert_eq!(
            r[0],
            Recovery {
                pairs: 4,
                undelivered_at_end: 2,
                after_99_us: Some(300),
                after_100_us: Some(300),
            }
        );
        // After 300: 6 pairs, one never delivered: 99% needs all 6 -> never.
        assert_eq!(r[1].pairs, 6);
        assert_eq!(r[1].undelivered_at_end, 2);
        assert_eq!((r[1].after_99_us, r[1].after_100_us), (None, None));
        // Nothing published before 0: recovered at once.
        assert_eq!((r[2].pairs, r[2].after_100_us), (0, Some(0)));
    }

    #[test]
    fn recovery_99_tolerates_one_pair_in_a_hundred() {
        // 200 pairs: 198 delivered at 110, 2 at 500; 99% needs 198.
        let mut ds: Vec<Option<SimTime>> = vec![Some(110); 99];
        ds.push(Some(500));
        let rec = recorder(&[(10, &ds), (20, &ds)]);
        let r = recovery_after(&rec, &[100]);
        assert_eq!(r[0].pairs, 200);
        assert_eq!(r[0].undelivered_at_end, 200);
        assert_eq!(r[0].after_99_us, Some(10));
        assert_eq!(r[0].after_100_us, Some(400));
        // Reached before the end: 0.
        let r = recovery_after(&rec, &[1_000]);
        assert_eq!((r[0].after_99_us, r[0].after_100_us), (Some(0), Some(0)));
        assert_eq!(r[0].undelivered_at_end, 0);
    }
}
