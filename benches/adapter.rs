//! Per-call cost of the adapter path (`docs/adapter-protocol.md`): the same input given to the
//! built-in core directly (`direct`, through the `Driver` trait as the engine calls it) and
//! through the reference adapter (`adapter`: `target/release/sdsim-adapter`, the same core
//! behind the protocol in a child process). The difference is the protocol's overhead per
//! call: framing, two pipe transfers, two process wake-ups.
//!
//! - `receive`: a steady-state receiver gets the next content message of one sender (each is
//!   delivered); messages are produced in untimed chunks, only the call and the drain of its
//!   outputs are timed. `bloom-10000` is the default configuration (18,858-byte messages, an
//!   18,752-byte filter); `bloom-100` a 190-byte filter (the fixed part of the overhead).
//! - `timeout`: a timer call with nothing due (the smallest request and reply).
//!
//! Run: `cargo bench --bench adapter -- --warm-up-time 1 --measurement-time 3`.

/// The allocator `sim` uses (src/main.rs), so figures match the binary.
#[global_allocator]
static GLOBAL: sdsim::alloc::Allocator = sdsim::alloc::Allocator;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use sdsim::driver::external::{Adapter, AdapterSpec, ExternalDriver, Instance};
use sdsim::driver::Driver;
use sdsim::sds::{Channel, Config};

const T0: u64 = 1_700_000_000_000;

fn drain(d: &mut dyn Driver) {
    while let Some(t) = d.poll_transmit() {
        black_box(t);
    }
    while let Some(e) = d.poll_event() {
        black_box(e);
    }
    black_box(d.poll_timeout());
}

/// A receiver for `config`: the built-in core, or the same core in the reference adapter.
fn receiver(config: &Config, via_adapter: bool) -> Box<dyn Driver> {
    if !via_adapter {
        return Box::new(Channel::new("c", "bob", config.clone(), T0, 2));
    }
    let spec = AdapterSpec {
        command: vec![env!("CARGO_BIN_EXE_sdsim-adapter").into()],
        timeout: Duration::from_secs(30),
    };
    let adapter = Adapter::start(&spec).expect("start the reference adapter");
    let inst = Instance {
        participant: 1,
        channel: 0,
        channel_id: "c",
        participant_id: "bob",
        config,
        channel_members: 2,
    };
    let mut d = ExternalDriver::create(&adapter, inst, T0, 2).expect("create");
    drain(&mut d);
    Box::new(d)
}

fn bench_calls(c: &mut Criterion) {
    let small = Config {
        bloom_capacity: 100,
        bloom_error_rate: 0.01,
        ..Config::default()
    };
    for (label, config) in [("bloom-10000", Config::default()), ("bloom-100", small)] {
        let mut g = c.benchmark_group(format!("adapter_call/{label}"));
        for (path, via_adapter) in [("direct", false), ("adapter", true)] {
            let mut sender = Channel::new("c", "alice", config.clone(), T0, 1);
            let mut rx = receiver(&config, via_adapter);
            let mut now = T0;
            g.bench_function(format!("receive/{path}"), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let n = left.min(500);
                        let batch: Vec<Bytes> = (0..n)
                            .map(|i| {
                                now += 1;
                                let p = Bytes::from(format!("payload {now} {i}"));
                                sender.send(now, p).expect("send");
                                while sender.poll_event().is_some() {}
                                sender.poll_transmit().expect("transmit").bytes
                            })
                            .collect();
                        let start = Instant::now();
                        for bytes in batch {
                            rx.receive(now, bytes, None).expect("receive");
                            drain(rx.as_mut());
                        }
                        total += start.elapsed();
                        left -= n;
                    }
                    total
                })
            });
            let mut rx = receiver(&config, via_adapter);
            g.bench_function(format!("timeout/{path}"), |b| {
                b.iter(|| {
                    rx.timeout(T0 + 1).expect("timeout");
                    drain(rx.as_mut());
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_calls
}
criterion_main!(benches);
