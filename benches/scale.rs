//! Benchmarks of the work that grows with the group (issue 5).
//!
//! - `relay_fanout/flood_10k`: one packet (a 19.8 KB SDS content message) flooded over the
//!   relay mesh of `scenarios/large-group-10k.toml` (10,000 participants, D = 8, region
//!   latencies, 1% loss): the origin's `publish`, then `on_arrival` for every copy (each first
//!   receipt forwards to the 7 other mesh peers), copies taken in arrival-time order from the
//!   engine's event queue. About 79,000 copies; divide by them for the per-copy cost.
//! - `end_to_end/large_group_1k_1min`: a whole run of `large-group-10k.toml` at 1,000
//!   participants with a 1-minute workload (~60 messages, ~0.5 M events).
//!
//! Run: `cargo bench --bench scale`.

/// The allocator `sim` uses (src/main.rs), so figures match the binary; `large_group` sets its
/// options as `sim`'s `main` does.
#[global_allocator]
static GLOBAL: sdsim::alloc::Allocator = sdsim::alloc::Allocator;

use std::path::Path;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sdsim::engine::queue::EventQueue;
use sdsim::net::{Network, Packet, TrafficKind};
use sdsim::scenario::Loaded;
use sdsim::sds::{Channel, Config};

fn large_group(overrides: &[&str]) -> Loaded {
    sdsim::alloc::keep_freed_pages();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/large-group-10k.toml");
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    sdsim::scenario::load(&path, None, &overrides).expect("scenario")
}

fn relay_fanout(c: &mut Criterion) {
    let loaded = large_group(&[]);
    let n = loaded.scenario.participants;
    // A real content message: 1 KB payload and the default 18,752-byte bloom filter.
    let mut sender = Channel::new("sdsim", "p0", Config::default(), 1_700_000_000_000, 1);
    sender
        .send(1_700_000_000_000, Bytes::from(vec![7u8; 1024]))
        .expect("send");
    let bytes = sender.poll_transmit().expect("transmit").bytes;
    let members: Vec<u32> = (0..n).collect();
    let mut g = c.benchmark_group("relay_fanout");
    g.sample_size(20);
    g.bench_function("flood_10k", |b| {
        b.iter_batched(
            || Network::new(&loaded.scenario, loaded.regions.as_ref()).expect("network"),
            |mut net| {
                let packet = Packet::new(0, 0, TrafficKind::Content, bytes.clone(), n);
                let mut out = Vec::new();
                net.publish(0, &packet, &members, &mut out);
                let mut queue = EventQueue::new();
                for copy in out.drain(..) {
                    queue.push(copy.arrival, copy);
                }
                let mut copies = 0u64;
                while let Some((now, copy)) = queue.pop() {
                    copies += 1;
                    net.on_arrival(now, copy.to, copy.from, &packet, &mut out);
                    for forward in out.drain(..) {
                        queue.push(forward.arrival, forward);
                    }
                }
                copies
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let loaded = large_group(&["participants=1000", "duration=1m"]);
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.bench_function("large_group_1k_1min", |b| {
        b.iter_batched(
            || (),
            |()| sdsim::simulate(&loaded, &mut |_| {}).expect("run"),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, relay_fanout, end_to_end);
criterion_main!(benches);
