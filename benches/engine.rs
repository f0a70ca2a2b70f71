//! Engine benchmarks.
//!
//! - `queue_hold/{calendar,binary_heap}/{1e4,1e6}`: the hold operation (pop the earliest
//!   event, push one a random 1 µs .. 1 s later) with 1e4 and 1e6 pending events, for the
//!   engine's queue (a calendar wheel over a radix heap) and, as the reference,
//!   `std::collections::BinaryHeap` on `(time, seq)`. The payload is 40 bytes (the engine's
//!   event is 32).
//! - `end_to_end/small_lossy_20_participants`: a whole run of `tests/scenarios/small-lossy.toml`.
//!
//! Run: `cargo bench --bench engine`. The relay fan-out and the 1,000-participant run are in
//! `benches/scale.rs`.

/// The allocator `sim` uses (src/main.rs), so figures match the binary.
#[global_allocator]
static GLOBAL: sdsim::alloc::Allocator = sdsim::alloc::Allocator;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sdsim::engine::queue::EventQueue;

/// An event payload the size of the engine's `Ev`.
type Payload = [u64; 5];

const PENDING: [(usize, &str); 2] = [(10_000, "1e4"), (1_000_000, "1e6")];
const MAX_DELAY_US: u64 = 1_000_000;

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_hold");
    for (pending, label) in PENDING {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut q = EventQueue::new();
        for i in 0..pending {
            q.push(rng.next_u64() % MAX_DELAY_US, [i as u64; 5]);
        }
        g.bench_function(format!("calendar/{label}"), |b| {
            b.iter(|| {
                let (t, e): (u64, Payload) = q.pop().expect("non-empty");
                q.push(t + 1 + rng.next_u64() % MAX_DELAY_US, e);
            })
        });
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        for i in 0..pending {
            heap.push(Reverse((rng.next_u64() % MAX_DELAY_US, seq, [i as u64; 5])));
            seq += 1;
        }
        g.bench_function(format!("binary_heap/{label}"), |b| {
            b.iter(|| {
                let Reverse((t, _, e)): Reverse<(u64, u64, Payload)> =
                    heap.pop().expect("non-empty");
                heap.push(Reverse((t + 1 + rng.next_u64() % MAX_DELAY_US, seq, e)));
                seq += 1;
            })
        });
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/small-lossy.toml");
    let loaded = sdsim::scenario::load(&path, None, &[]).expect("scenario");
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.bench_function("small_lossy_20_participants", |b| {
        b.iter_batched(
            || (),
            |()| sdsim::simulate(&loaded, &mut |_| {}).expect("run"),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, hold, end_to_end);
criterion_main!(benches);
