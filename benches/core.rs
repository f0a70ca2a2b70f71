//! Criterion benchmarks of the SDS core at default configuration (18,752-byte bloom filter).
//!
//! - `handle_message/steady`: a steady-state receiver (one long-lived `Channel`) gets the next
//!   content message of one sender (causal history 2, dependencies met, so each is delivered);
//!   messages are produced in untimed chunks of 1,000 and only `handle_message` plus draining
//!   the events is timed.
//! - `handle_decoded/steady`: as `handle_message/steady`, but each message is decoded
//!   (`sds::Decoded::new`) outside the timing, as when a simulator shares one decoding among
//!   every receiver of a packet (the per-receipt cost of a large run, issue 16).
//! - `handle_message/fresh`: a fresh receiver (cloned outside the timing) gets one message.
//! - `send`: a steady-state sender sends a 64-byte payload and drains the transmit.
//!
//! Run: `cargo bench --bench core -- --warm-up-time 1 --measurement-time 3`.

/// The allocator `sim` uses (src/main.rs), so figures match the binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sdsim::sds::{Channel, Config, Decoded};

const T0: u64 = 1_700_000_000_000;

fn bench_handle_message(c: &mut Criterion) {
    let config = Config::default();
    let mut sender = Channel::new("c", "alice", config.clone(), T0, 1);
    let mut receiver = Channel::new("c", "bob", config.clone(), T0, 2);
    let mut now = T0;
    let next_batch = |sender: &mut Channel, now: &mut u64, n: usize| -> Vec<Bytes> {
        (0..n)
            .map(|i| {
                *now += 1;
                sender
                    .send(*now, Bytes::from(format!("payload {now} {i}")))
                    .expect("send");
                while sender.poll_event().is_some() {}
                sender.poll_transmit().expect("transmit").bytes
            })
            .collect()
    };
    let sample = next_batch(&mut sender, &mut now, 1)[0].clone();
    assert!(sample.len() > 18_752);
    c.bench_function("handle_message/steady", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(1_000) as usize;
                let batch = next_batch(&mut sender, &mut now, n);
                let start = Instant::now();
                for bytes in batch {
                    receiver.handle_message(now, bytes, None).expect("ok");
                    while let Some(e) = receiver.poll_event() {
                        black_box(e);
                    }
                }
                total += start.elapsed();
                left -= n as u64;
            }
            total
        })
    });
    // A fresh pair, so that the receiver has every message the histories name.
    let mut sender = Channel::new("c", "erin", config.clone(), T0, 5);
    let mut receiver = Channel::new("c", "dave", config.clone(), T0, 4);
    c.bench_function("handle_decoded/steady", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(1_000) as usize;
                let batch: Vec<Decoded> = next_batch(&mut sender, &mut now, n)
                    .into_iter()
                    .map(|bytes| Decoded::new(bytes, receiver.limits()))
                    .collect();
                let start = Instant::now();
                for decoded in &batch {
                    receiver.handle_decoded(now, decoded, None).expect("ok");
                    while let Some(e) = receiver.poll_event() {
                        black_box(e);
                    }
                }
                total += start.elapsed();
                drop(batch);
                left -= n as u64;
            }
            total
        })
    });
    let fresh = Channel::new("c", "carol", config, T0, 3);
    c.bench_function("handle_message/fresh", |b| {
        b.iter_batched(
            || fresh.clone(),
            |mut r| {
                r.handle_message(T0 + 1, sample.clone(), None).expect("ok");
                while let Some(e) = r.poll_event() {
                    black_box(e);
                }
                r
            },
            BatchSize::SmallInput,
        )
    });
}

fn bench_send(c: &mut Criterion) {
    let mut sender = Channel::new("c", "alice", Config::default(), T0, 1);
    let payload = Bytes::from(vec![7u8; 64]);
    let mut now = T0;
    c.bench_function("send", |b| {
        b.iter(|| {
            now += 1;
            let id = sender.send(now, payload.clone()).expect("send");
            while let Some(t) = sender.poll_transmit() {
                black_box(t);
            }
            while let Some(e) = sender.poll_event() {
                black_box(e);
            }
            id
        })
    });
}

criterion_group!(benches, bench_handle_message, bench_send);
criterion_main!(benches);
