//! The event queue: pending events ordered by `(time, seq)`.
//!
//! `seq` is the order of pushes, so events scheduled for the same instant pop in the order
//! they were scheduled (FIFO), independent of the payload type. This is what makes runs
//! reproducible: no tie is ever broken by a hash or a memory address.
//!
//! A discrete-event simulation never schedules into the past, so the queue is *monotone*:
//! every push is at or after the time of the last pop. Most events (copies on the wire) fall a
//! few milliseconds to a few hundred milliseconds ahead, so the queue is a calendar (Brown,
//! "Calendar queues", CACM 1988) in front of a radix heap:
//!
//! - **Wheel**: [`WHEEL_BUCKETS`] buckets of 2^[`BUCKET_SHIFT`] µs (1.024 ms) cover the next
//!   4.2 s. A push within that horizon appends to its bucket, in push order. When the run
//!   reaches a bucket, its events are stably sorted by time (so ties keep push order) into
//!   `current`, the open bucket, and popped from its front; a push into the open bucket is
//!   inserted after every event of the same or an earlier time. Each event is written once
//!   into its bucket, moved once by the sort and read once.
//! - **Overflow** (timers, slow links): a monotone radix heap (Ahuja, Mehlhorn, Orlin and
//!   Tarjan, J. ACM 1990). When the horizon moves forward, the events it now covers move to
//!   their wheel buckets, in `(time, seq)` order, before anything else can be pushed there, so
//!   every bucket stays in push order.
//!
//! `cargo bench --bench engine -- queue_hold` compares it with `std::collections::BinaryHeap`.

use std::collections::VecDeque;

use crate::time::SimTime;

/// A queued event with its time. `None` only for an event already moved out: behind the open
/// bucket's `head`, and in a bucket being sorted (an `Option` of the engine's events is no
/// larger than the event, `tests::an_entry_is_no_larger_than_its_event`).
type Entry<E> = Option<(SimTime, E)>;

/// log2 of a wheel bucket's width in µs.
pub const BUCKET_SHIFT: u32 = 10;
/// Number of wheel buckets (a power of two): the horizon is `WHEEL_BUCKETS << BUCKET_SHIFT` µs.
pub const WHEEL_BUCKETS: usize = 4096;
const WORDS: usize = WHEEL_BUCKETS / 64;
/// Largest allocation (in events) a wheel slot keeps for reuse.
const RETAINED_CAPACITY: usize = 1024;
/// How many events past a wheel bucket's end a push asks the cache for
/// ([`EventQueue::wheel_push`]).
const PUSH_AHEAD: usize = 4;

fn bucket(time: SimTime) -> u64 {
    time >> BUCKET_SHIFT
}

/// Pending events of a run, popped in `(time, seq)` order.
pub struct EventQueue<E> {
    /// The open bucket (number `open`), sorted by time, ties in push order; its pending
    /// events are `current[head..]` (those before `head` were popped).
    current: Vec<Entry<E>>,
    /// The first pending event of `current`.
    head: usize,
    /// Bucket `b` (open < b < open + WHEEL_BUCKETS) at `wheel[b % WHEEL_BUCKETS]`, in push
    /// order, every entry `Some`.
    wheel: Vec<Vec<Entry<E>>>,
    /// Bit per wheel slot: non-empty.
    occupied: [u64; WORDS],
    /// Number of the open bucket (`time >> BUCKET_SHIFT`).
    open: u64,
    /// Events beyond the horizon (bucket >= open + WHEEL_BUCKETS when pushed).
    overflow: RadixHeap<E>,
    /// Time of the last pop.
    last: SimTime,
    len: usize,
    pushed: u64,
    /// Scratch of [`EventQueue::sort_bucket`]: per offset within a bucket, where its events
    /// go.
    sort_starts: Vec<u32>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            current: Vec::new(),
            head: 0,
            wheel: (0..WHEEL_BUCKETS).map(|_| Vec::new()).collect(),
            occupied: [0; WORDS],
            open: 0,
            overflow: RadixHeap::new(),
            last: 0,
            len: 0,
            pushed: 0,
            sort_starts: Vec::new(),
        }
    }

    /// Schedules `event` at `time` (µs). Events at equal times pop in push order.
    ///
    /// # Panics
    /// If `time` is before the time of the last popped event (scheduling into the past is an
    /// engine bug: simulated time never goes back).
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.last,
            "event scheduled at {time} µs, before the current time {} µs",
            self.last
        );
        self.pushed += 1;
        self.len += 1;
        let b = bucket(time);
        if b == self.open {
            // After everything at the same or an earlier time: the newest push goes last.
            let pending = &self.current[self.head..];
            let at = pending.partition_point(|e| e.as_ref().is_some_and(|(t, _)| *t <= time));
            // Shift the shorter side, as a deque would: into the popped slot before `head`
            // when the new event goes in the first half.
            if self.head > 0 && at < pending.len() / 2 {
                self.head -= 1;
                let (h, entry) = (self.head, Some((time, event)));
                self.current[h..=h + at].rotate_left(1);
                self.current[h + at] = entry;
            } else {
                self.current.insert(self.head + at, Some((time, event)));
            }
        } else if b - self.open < WHEEL_BUCKETS as u64 {
            self.wheel_push(b, time, event);
        } else {
            self.overflow.push(time, event);
        }
    }

    #[inline]
    fn wheel_push(&mut self, b: u64, time: SimTime, event: E) {
        let slot = (b % WHEEL_BUCKETS as u64) as usize;
        let events = &mut self.wheel[slot];
        events.push(Some((time, event)));
        // The bucket's next pushes write past its end: ask for that memory now. Hundreds of
        // buckets fill at once, too many interleaved streams for the hardware prefetcher, so
        // otherwise every new line is a write miss the pushing event waits for (issue 16).
        crate::sds::prefetch::read(events.as_ptr().wrapping_add(events.len() + PUSH_AHEAD));
        self.occupied[slot / 64] |= 1 << (slot % 64);
    }

    /// Removes and returns the earliest event with its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.head == self.current.len() && !self.advance() {
            return None;
        }
        let (time, event) = self.current.get_mut(self.head)?.take()?;
        self.head += 1;
        self.len -= 1;
        self.last = time;
        Some((time, event))
    }

    /// Opens the next non-empty bucket (the open one is empty); false if no event is left.
    fn advance(&mut self) -> bool {
        let next = match self.next_occupied() {
            Some(b) => b,
            // Nothing within the horizon: jump to the earliest overflow event.
            None => match self.overflow.peek_time() {
                Some(t) => bucket(t),
                None => return false,
            },
        };
        self.open = next;
        // The horizon moved: the overflow events it now covers go to their buckets, earliest
        // (and, on ties, first pushed) first, before any push can reach those buckets.
        let horizon = next.saturating_add(WHEEL_BUCKETS as u64);
        while self
            .overflow
            .peek_time()
            .is_some_and(|t| bucket(t) < horizon)
        {
            if let Some((t, e)) = self.overflow.pop() {
                self.wheel_push(bucket(t), t, e);
            }
        }
        let slot = (next % WHEEL_BUCKETS as u64) as usize;
        self.occupied[slot / 64] &= !(1 << (slot % 64));
        let events = std::mem::take(&mut self.wheel[slot]);
        let events = self.sort_bucket(events);
        // Reuse the popped bucket's allocation for the slot's next events, unless a burst made
        // it large (every slot would keep its largest allocation for the rest of the run).
        let mut spent = std::mem::replace(&mut self.current, events);
        self.head = 0;
        if spent.capacity() <= RETAINED_CAPACITY {
            spent.clear();
            self.wheel[slot] = spent;
        }
        !self.current.is_empty()
    }

    /// One bucket's events (all in the same 2^[`BUCKET_SHIFT`] µs), sorted by time, ties in
    /// push order. Small buckets: the standard library's stable sort. Large ones (thousands
    /// of copies per millisecond at 10,000 participants, where the comparison sort was 15% of
    /// all instructions, issue 16): a counting sort on the time's offset within the bucket,
    /// which is stable and linear.
    fn sort_bucket(&mut self, mut events: Vec<Entry<E>>) -> Vec<Entry<E>> {
        const COUNTING_SORT_FROM: usize = 64;
        let time = |e: &Entry<E>| e.as_ref().map(|(t, _)| *t);
        if events.len() < COUNTING_SORT_FROM {
            events.sort_by_key(time); // stable: ties keep push order
            return events;
        }
        let mask = (1u64 << BUCKET_SHIFT) - 1;
        let starts = &mut self.sort_starts;
        starts.clear();
        starts.resize(1 << BUCKET_SHIFT, 0);
        for t in events.iter().filter_map(time) {
            starts[(t & mask) as usize] += 1;
        }
        let mut next = 0u32;
        for c in starts.iter_mut() {
            let n = *c;
            *c = next;
            next += n;
        }
        let mut placed: Vec<Entry<E>> = Vec::with_capacity(events.len());
        placed.resize_with(events.len(), || None);
        for e in events.into_iter().flatten() {
            let k = (e.0 & mask) as usize;
            placed[starts[k] as usize] = Some(e);
            starts[k] += 1;
        }
        // Every position was filled exactly once (the starts partition 0..len).
        placed
    }

    /// The first non-empty wheel bucket after the open one, if any.
    fn next_occupied(&self) -> Option<u64> {
        let start = ((self.open + 1) % WHEEL_BUCKETS as u64) as usize;
        for k in 0..=WORDS {
            let w = (start / 64 + k) % WORDS;
            let mut bits = self.occupied[w];
            if k == 0 {
                bits &= u64::MAX << (start % 64); // from `start` on
            } else if k == WORDS {
                bits &= !(u64::MAX << (start % 64)); // wrapped round: before `start`
            }
            if bits != 0 {
                let slot = (w * 64 + bits.trailing_zeros() as usize) as u64;
                let ahead = (slot + WHEEL_BUCKETS as u64 - start as u64) % WHEEL_BUCKETS as u64;
                return Some(self.open + 1 + ahead);
            }
        }
        None
    }

    /// The `k`-th next event of the open bucket (0: the next to pop), if the open bucket
    /// holds that many. A hint for looking ahead (prefetching): a later push may still come
    /// before it.
    #[inline]
    pub fn peek_open(&self, k: usize) -> Option<&E> {
        self.current.get(self.head + k)?.as_ref().map(|(_, e)| e)
    }

    /// Prefetch hint ([`crate::sds::prefetch`]) for the `k`-th next event of the open
    /// bucket, if there is one: a bucket of a large run holds tens of thousands of events,
    /// read in order, and [`EventQueue::peek_open`] looks some of them ahead. Changes nothing.
    #[inline]
    pub fn prefetch_open(&self, k: usize) {
        if let Some(e) = self.current.get(self.head + k) {
            crate::sds::prefetch::read(e);
        }
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        if let Some(Some((t, _))) = self.current.get(self.head) {
            return Some(*t);
        }
        match self.next_occupied() {
            Some(b) => {
                let slot = (b % WHEEL_BUCKETS as u64) as usize;
                self.wheel[slot].iter().flatten().map(|(t, _)| *t).min()
            }
            None => self.overflow.peek_time(),
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Total events ever pushed (the simulated-event count of a run).
    pub fn pushed(&self) -> u64 {
        self.pushed
    }
}

/// Number of radix-heap buckets: one per bit of a `SimTime` in which an event can differ from
/// `last`.
const RADIX_BUCKETS: usize = 64;

/// A monotone radix heap on `(time, seq)` (the calendar's overflow). Events equal to `last`
/// (the time of the last pop) wait in a FIFO; every other event sits in bucket `b`, the
/// highest bit in which its time differs from `last`. When the FIFO runs dry, the lowest
/// non-empty bucket is emptied: its earliest time becomes `last`, its events at that time go to
/// the FIFO and the rest move to lower buckets.
///
/// FIFO order on ties without storing `seq`: every bucket holds its events in push order. A
/// push appends the newest event; a redistribution happens only when the FIFO and every lower
/// bucket are empty, and appends a bucket's events, in its order, to those empty buckets. So
/// each bucket stays in push order, and events reach the FIFO in push order.
struct RadixHeap<E> {
    /// Events at exactly `last`, in push order.
    current: VecDeque<E>,
    /// `buckets[b]`: events whose time first differs from `last` at bit `b`, in push order.
    buckets: Vec<Vec<(SimTime, E)>>,
    /// Bit `b` set iff `buckets[b]` is non-empty.
    occupied: u64,
    /// Time of the last pop (or of the earliest pending event, after a redistribution).
    last: SimTime,
}

impl<E> RadixHeap<E> {
    fn new() -> Self {
        RadixHeap {
            current: VecDeque::new(),
            buckets: (0..RADIX_BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
            last: 0,
        }
    }

    /// `time` must be at or after the last pop.
    fn push(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.last);
        if time == self.last {
            self.current.push_back(event);
        } else {
            let b = radix_bucket(time, self.last);
            self.buckets[b].push((time, event));
            self.occupied |= 1 << b;
        }
    }

    fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.current.is_empty() && !self.refill() {
            return None;
        }
        let event = self.current.pop_front()?;
        Some((self.last, event))
    }

    /// Moves the earliest pending events into `current` (which must be empty); false if none.
    fn refill(&mut self) -> bool {
        if self.occupied == 0 {
            return false;
        }
        let b = self.occupied.trailing_zeros() as usize;
        self.occupied &= !(1 << b);
        let mut events = std::mem::take(&mut self.buckets[b]);
        let Some(earliest) = events.iter().map(|(t, _)| *t).min() else {
            return false;
        };
        self.last = earliest;
        for (t, e) in events.drain(..) {
            if t == earliest {
                self.current.push_back(e);
            } else {
                // Agrees with `earliest` above bit b - 1, so it lands in a lower bucket.
                let lower = radix_bucket(t, earliest);
                self.buckets[lower].push((t, e));
                self.occupied |= 1 << lower;
            }
        }
        // Keep the allocation for the bucket's next use.
        self.buckets[b] = events;
        true
    }

    /// Time of the earliest pending event (scans one bucket when none is at `last`).
    fn peek_time(&self) -> Option<SimTime> {
        if !self.current.is_empty() {
            return Some(self.last);
        }
        if self.occupied == 0 {
            return None;
        }
        let b = self.occupied.trailing_zeros() as usize;
        self.buckets[b].iter().map(|(t, _)| *t).min()
    }
}

/// The radix bucket of an event at `time` when the last pop was at `last` (`time != last`):
/// the index of the highest bit in which they differ.
fn radix_bucket(time: SimTime, last: SimTime) -> usize {
    (63 - (time ^ last).leading_zeros()) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// The open bucket holds `Option`s of the engine's events: the `None` must cost no space
    /// (the event's own niche), or every queued event grows by 8 bytes.
    #[test]
    fn an_entry_is_no_larger_than_its_event() {
        use crate::engine::event::Ev;
        assert_eq!(
            std::mem::size_of::<Entry<Ev>>(),
            std::mem::size_of::<(SimTime, Ev)>()
        );
    }

    #[test]
    fn peek_open_shows_the_open_buckets_next_events_in_pop_order() {
        let mut q = EventQueue::new();
        assert!(q.peek_open(0).is_none());
        for (t, e) in [(5, 'a'), (3, 'b'), (5, 'c'), (900, 'd'), (5_000, 'e')] {
            q.push(t, e);
        }
        assert_eq!(q.pop(), Some((3, 'b')));
        // The open bucket (0 to 1,023 µs) holds a, c, d, in pop order; e is in a later one.
        let ahead: Vec<char> = (0..4).filter_map(|k| q.peek_open(k).copied()).collect();
        assert_eq!(ahead, ['a', 'c', 'd']);
        assert_eq!(q.pop(), Some((5, 'a')));
        assert_eq!(q.peek_open(0), Some(&'c'));
    }

    #[test]
    fn pops_in_time_order_then_fifo_on_ties() {
        let mut q = EventQueue::new();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(3, "b");
        q.push(5, "e");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(1, "a"), (3, "b"), (5, "c"), (5, "d"), (5, "e")]
        );
        assert_eq!(q.pushed(), 5);
        assert!(q.is_empty());
    }

    #[test]
    fn interleaved_push_pop_keeps_order() {
        let mut q = EventQueue::new();
        q.push(10, 0u32);
        q.push(10, 1);
        assert_eq!(q.pop(), Some((10, 0)));
        q.push(10, 2);
        q.push(17, 3);
        assert_eq!(q.peek_time(), Some(10));
        assert_eq!(q.pop(), Some((10, 1)));
        assert_eq!(q.pop(), Some((10, 2)));
        assert_eq!(q.peek_time(), Some(17));
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(), Some((17, 3)));
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek_time(), None);
    }

    #[test]
    #[should_panic(expected = "before the current time")]
    fn scheduling_into_the_past_is_a_bug() {
        let mut q = EventQueue::new();
        q.push(10, ());
        q.pop();
        q.push(9, ());
    }

    /// Dense buckets (hundreds to thousands of events per 1.024 ms, the counting sort) with
    /// many ties keep `(time, seq)` order.
    #[test]
    fn dense_buckets_keep_time_then_push_order() {
        for seed in 0..8u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            for _ in 0..40_000 {
                if rng.next_u64() % 8 != 0 {
                    let delay = match rng.next_u64() % 4 {
                        0 => rng.next_u64() % 16,
                        _ => rng.next_u64() % 5_000,
                    };
                    q.push(now + delay, seq);
                    reference.push(Reverse((now + delay, seq)));
                    seq += 1;
                } else {
                    let want = reference.pop().map(|Reverse(x)| x);
                    assert_eq!(q.pop(), want, "seed {seed}");
                    if let Some((t, _)) = want {
                        now = t;
                    }
                }
            }
            while let Some(Reverse(want)) = reference.pop() {
                assert_eq!(q.pop(), Some(want), "seed {seed}");
            }
            assert_eq!(q.pop(), None);
        }
    }

    /// Against a binary heap on `(time, seq)`: random monotone pushes (many ties, near and
    /// far times, `SimTime::MAX`) interleaved with pops give the same sequence.
    #[test]
    fn matches_a_binary_heap_on_random_monotone_schedules() {
        for seed in 0..60u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let (mut now, mut seq) = (0u64, 0u64);
            for _ in 0..4_000 {
                if rng.next_u64() % 3 != 0 {
                    let horizon = (WHEEL_BUCKETS as u64) << BUCKET_SHIFT;
                    let delay = match rng.next_u64() % 9 {
                        0 => 0,
                        1 => rng.next_u64() % 4,
                        2 => rng.next_u64() % 1_000,
                        3 => rng.next_u64() % 1_000_000_000,
                        4 => 1 << (rng.next_u64() % 40),
                        5 => horizon - 2_048 + rng.next_u64() % 4_096,
                        6 => rng.next_u64() % (4 * horizon),
                        7 => rng.next_u64() % 300_000,
                        _ => SimTime::MAX - now,
                    };
                    let t = now.saturating_add(delay);
                    q.push(t, seq);
                    reference.push(Reverse((t, seq)));
                    seq += 1;
                } else {
                    let want = reference.pop().map(|Reverse(x)| x);
                    assert_eq!(q.peek_time(), want.map(|(t, _)| t), "seed {seed}");
                    assert_eq!(q.pop(), want, "seed {seed}");
                    if let Some((t, _)) = want {
                        now = t;
                    }
                }
                assert_eq!(q.len(), reference.len());
            }
            while let Some(Reverse(want)) = reference.pop() {
                assert_eq!(q.pop(), Some(want), "seed {seed}");
            }
            assert_eq!(q.pop(), None);
        }
    }
}
