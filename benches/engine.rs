//! Engine benchmarks: the event queue's hold operation (pop the earliest event, push one a
//! random delay later) at 1e4 and 1e6 pending events, and an end-to-end small scenario.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sdsim::engine::queue::EventQueue;

fn hold(c: &mut Criterion) {
    for pending in [10_000usize, 1_000_000] {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut q = EventQueue::new();
        for i in 0..pending {
            q.push(rng.next_u64() % 1_000_000_000, i as u32);
        }
        c.bench_function(&format!("queue_hold_{pending}"), |b| {
            b.iter(|| {
                let (t, e) = q.pop().expect("non-empty");
                q.push(t + 1 + rng.next_u64() % 1_000_000, e);
            })
        });
    }
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
