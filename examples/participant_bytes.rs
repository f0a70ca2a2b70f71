//! Heap bytes of one participant's SDS core in a large group (issue 16): live heap, counted
//! by a wrapping global allocator, of receivers that got every message of a stream.
//!
//! `large-group-10k.toml` at its defaults (SDS-R on, 18,752-byte bloom filter, 586 messages of
//! 1 KB): a sender publishes `M` messages, each decoded once and handed to all `N` receivers
//! (`Channel::handle_decoded`, as the engine does with a relayed packet), then again with every
//! receiver decoding its own copy (`Channel::handle_message`). Prints, per receiver: the empty
//! core (fixed state; the bloom filter starts sparse), and what the messages added besides the
//! bloom filter (log, SDS-R store handles, ids), per message. The encoded messages themselves are counted once, apart.
//!
//! Run: `cargo run --release --example participant_bytes [N] [M]` (default 200 586).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicIsize, Ordering};

use bytes::Bytes;
use sdsim::sds::bloom::BloomParams;
use sdsim::sds::{Channel, Config, Decoded, RepairConfig};

/// mimalloc, as `sim` uses, with a count of live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { sdsim::alloc::Allocator.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { sdsim::alloc::Allocator.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { sdsim::alloc::Allocator.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const T0: u64 = 1_700_000_000_000;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let n = args.next().and_then(Result::ok).unwrap_or(200);
    let m = args.next().and_then(Result::ok).unwrap_or(586);
    let config = Config {
        repair: Some(RepairConfig::default()),
        ..Config::default()
    };
    let mut sender = Channel::new("c", "sender", config.clone(), T0, 0);
    let mut now = T0;
    let mut stream: Vec<Bytes> = Vec::with_capacity(m);
    for i in 0..m {
        now += 1_000;
        sender
            .send(now, Bytes::from(vec![(i % 251) as u8; 1024]))
            .expect("send");
        while sender.poll_event().is_some() {}
        stream.push(sender.poll_transmit().expect("transmit").bytes);
    }
    let wire: usize = stream.iter().map(Bytes::len).sum();
    println!(
        "{n} receivers, {m} messages of {} bytes on the wire (kept once: {:.1} MB)",
        wire / m,
        wire as f64 / 1e6
    );
    for shared in [true, false] {
        let before = live();
        let mut receivers: Vec<Channel> = (0..n)
            .map(|i| Channel::new("c", format!("p{i}"), config.clone(), T0, i as u64 + 1))
            .collect();
        let empty = live() - before;
        let mut t = T0;
        for bytes in &stream {
            t += 1_000;
            let decoded = shared.then(|| Decoded::new(bytes.clone(), receivers[0].limits()));
            for r in &mut receivers {
                match &decoded {
                    Some(d) => r.handle_decoded(t, d, None).expect("ok"),
                    None => r.handle_message(t, bytes.clone(), None).expect("ok"),
                }
                while r.poll_event().is_some() {}
                while r.poll_transmit().is_some() {}
            }
        }
        assert!(receivers.iter().all(|r| r.local_log_len() == m));
        let full = live() - before;
        let per_empty = empty as f64 / n as f64;
        let per_full = full as f64 / n as f64;
        // The filter's own bytes after the stream: its double-hashing pairs while sparse,
        // its serialized form once dense (`sds::bloom::BloomFilter`), as the budget models it.
        let params = BloomParams::new(config.bloom_capacity, config.bloom_error_rate);
        let filter = sdsim::budget::kept_bloom_bytes(&params, m as f64) as usize;
        println!(
            "{}: per receiver {:.1} kB empty (bloom filter sparse), {:.1} kB after {m} \
             messages (bloom filter {filter} bytes): {:.0} bytes per (message, receiver) \
             besides the filter",
            if shared {
                "decoded once, shared (handle_decoded)"
            } else {
                "decoded by each receiver (handle_message)"
            },
            per_empty / 1e3,
            per_full / 1e3,
            (per_full - per_empty - filter as f64) / m as f64
        );
        drop(receivers);
    }
}
