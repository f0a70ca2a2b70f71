//! Criterion benchmarks of the SDS core at default configuration (18,752-byte bloom filter).
//!
//! - `handle_message/steady`: a steady-state receiver (one long-lived `Channel`) gets the next
//!   content message of one sender (causal history 2, dependencies met, so each is delivered:
//!   checked after the run); messages are produced in untimed chunks of 1,000 and only
//!   `handle_message` plus draining the events is timed. Until 2026-12 the receiver here
//!   never got the sender's first message, so every later one waited in the incoming buffer
//!   and this benchmark measured buffering, not delivery (figures before that are not
//!   comparable).
//! - `handle_decoded/steady`: as `handle_message/steady`, but each message is decoded
//!   (`sds::Decoded::new`) outside the timing, as when a simulator shares one decoding among
//!   every receiver of a packet (the per-receipt cost of a large run, issue 16).
//! - `handle_message/fresh`: a fresh receiver (cloned outside the timing) gets one message.
//! - `send`: a steady-state sender sends a 64-byte payload and drains the transmit.
//!
//! Run: `cargo bench --bench core -- --warm-up-time 1 --measurement-time 3`.

/// The allocator `sim` uses (src/main.rs), so figures match the binary.
#[global_allocator]
static GLOBAL: sdsim::alloc::Allocator = sdsim::alloc::Allocator;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sdsim::sds::{Channel, Config, Decoded, Event};

const T0: u64 = 1_700_000_000_000;

/// The next `n` content messages of `sender`, one ms apart, as `@waku/sds` bytes.
fn next_batch(sender: &mut Channel, now: &mut u64, n: usize) -> Vec<Bytes> {
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
}

/// Times `receive` on a steady stream of `sender`'s messages (each delivered at once), in
/// untimed chunks of up to 1,000; checks afterwards that every message was delivered (a
/// receiver that buffers instead would measure something else).
fn steady<T>(
    c: &mut Criterion,
    name: &str,
    mut sender: Channel,
    mut receiver: Channel,
    prepare: impl Fn(Bytes, &Channel) -> T,
    receive: impl Fn(&mut Channel, u64, &T),
) {
    let mut now = T0;
    let mut sent = 0u64;
    let mut delivered = 0u64;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(1_000) as usize;
                let batch: Vec<T> = next_batch(&mut sender, &mut now, n)
                    .into_iter()
                    .map(|bytes| prepare(bytes, &receiver))
                    .collect();
                let start = Instant::now();
                for message in &batch {
                    receive(&mut receiver, now, message);
                    while let Some(e) = receiver.poll_event() {
                        delivered += u64::from(matches!(e, Event::Delivered { .. }));
                        black_box(e);
                    }
                }
                total += start.elapsed();
                drop(batch);
                sent += n as u64;
                left -= n as u64;
            }
            total
        })
    });
    assert_eq!(delivered, sent, "{name}: every message is delivered");
}

fn bench_handle_message(c: &mut Criterion) {
    let config = Config::default();
    let pair = |a: &str, b: &str, seed: u64| {
        (
            Channel::new("c", a, config.clone(), T0, seed),
            Channel::new("c", b, config.clone(), T0, seed + 1),
        )
    };
    // Each benchmark has its own sender and receiver, so that the receiver has every message
    // the causal histories name (a message it never got would leave every later one waiting
    // in the incoming buffer).
    let (sender, receiver) = pair("alice", "bob", 1);
    steady(
        c,
        "handle_message/steady",
        sender,
        receiver,
        |bytes, _| bytes,
        |r, now, bytes| r.handle_message(now, bytes.clone(), None).expect("ok"),
    );
    let (sender, receiver) = pair("erin", "dave", 3);
    steady(
        c,
        "handle_decoded/steady",
        sender,
        receiver,
        |bytes, r| Decoded::new(bytes, r.limits()),
        |r, now, decoded| r.handle_decoded(now, decoded, None).expect("ok"),
    );
    let mut sender = Channel::new("c", "frank", config.clone(), T0, 5);
    let mut now = T0;
    let sample = next_batch(&mut sender, &mut now, 1)[0].clone();
    assert!(sample.len() > 18_752);
    let fresh = Channel::new("c", "carol", config, T0, 6);
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
