//! The per-copy fast paths give exactly what the per-copy link model gives: the same draws in
//! the same order, the same copies and the same counters (issue 16). Each test runs the same
//! traffic through a network forced onto the per-copy path (`Network::plain` off) and one
//! free to take the plain path, and compares everything.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::scenario::{Distribution, SimDuration};

fn ms(x: u64) -> SimDuration {
    SimDuration::from_millis(x)
}

fn matrix(r: usize) -> RegionMatrix {
    RegionMatrix {
        names: (0..r).map(|i| format!("R{i}")).collect(),
        rtt_ms: (0..r)
            .map(|a| {
                (0..r)
                    .map(|b| {
                        if a == b {
                            0.0
                        } else {
                            (10 + 7 * a + 3 * b) as f64
                        }
                    })
                    .collect()
            })
            .collect(),
    }
}

/// The latency configurations of the tests: regions without jitter, with uniform jitter,
/// with a degenerate uniform jitter, with a normal jitter (negative draws), and plain
/// distributions.
fn latencies() -> Vec<crate::scenario::Latency> {
    let regions = |jitter: Option<Distribution>| crate::scenario::Latency {
        regions: Some("m.csv".into()),
        same_region: Some(ms(1)),
        jitter,
        ..Default::default()
    };
    let dist = |d: Distribution| crate::scenario::Latency {
        distribution: Some(d),
        ..Default::default()
    };
    vec![
        regions(None),
        regions(Some(Distribution::Uniform {
            min: ms(0),
            max: ms(10),
        })),
        regions(Some(Distribution::Uniform {
            min: ms(3),
            max: ms(3),
        })),
        regions(Some(Distribution::Normal {
            mean: ms(0),
            std_dev: ms(40),
        })),
        dist(Distribution::Uniform {
            min: ms(10),
            max: ms(90),
        }),
        dist(Distribution::Lognormal {
            median: ms(50),
            sigma: 0.5,
        }),
        crate::scenario::Latency::default(),
    ]
}

#[test]
fn sender_latency_draws_what_sample_us_draws() {
    for r in [1, 3, 10] {
        let m = matrix(r);
        for cfg in latencies() {
            let model = LatencyModel::new(&cfg, Some(&m), 40).expect("model");
            let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(7), ChaCha8Rng::seed_from_u64(7));
            // senders and receivers past the model's node table too (region by `mod`)
            for from in [0, 1, 7, 39, 40, 1_000] {
                let sender = model.sender(from);
                for to in (0..45).chain([1_000, u32::MAX]) {
                    let want = model.sample_us(from, to, &mut a);
                    assert_eq!(sender.sample_us(to, &mut b), want, "{cfg:?} {from}->{to}");
                }
            }
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "streams diverged");
        }
    }
}

#[test]
fn uniform_inclusive_draws_what_random_range_draws() {
    let half = 1u64 << 63;
    // small ranges (jitter), ranges where the second draw is common, the full range
    let ranges = [
        (0, 10_000),
        (3, 4),
        (0, half),
        (17, half + 12_345),
        (1, u64::MAX),
        (0, u64::MAX),
        (u64::MAX - 1, u64::MAX),
    ];
    for (a, b) in ranges {
        let (mut x, mut y) = (
            ChaCha8Rng::seed_from_u64(a ^ b),
            ChaCha8Rng::seed_from_u64(a ^ b),
        );
        for i in 0..20_000 {
            let want: u64 = x.random_range(a..=b);
            assert_eq!(
                latency::uniform_inclusive_u64(a, b, &mut y),
                want,
                "[{a}, {b}] #{i}"
            );
        }
        assert_eq!(
            x.random::<u64>(),
            y.random::<u64>(),
            "[{a}, {b}]: streams diverged"
        );
    }
}

/// A relay scenario of `n` participants with `loss` and the latency `cfg`.
fn relay(n: u32, loss: f64, cfg: &crate::scenario::Latency, extra: &str) -> Scenario {
    let text = format!(
        "participants = {n}\nduration = \"100s\"\n[network]\ndissemination = \"relay\"\nloss = {loss}\n{extra}"
    );
    let mut sc: Scenario = toml::from_str(&text).expect("test scenario parses");
    sc.network.latency = cfg.clone();
    sc
}

/// Floods `packets` packets, one from each of a few origins in turn, through `net` to
/// completion in arrival order; returns every copy put on the wire, in order, with the
/// receipts.
fn flood_all(net: &mut Network, packets: u32) -> Vec<(Copy, bool)> {
    let n = net.nodes();
    let members: Vec<u32> = (0..n).collect();
    let mut log = Vec::new();
    for k in 0..packets {
        let origin = (k * 37) % n;
        let packet = Packet::new(0, origin, TrafficKind::Sync, Bytes::from_static(b"xyz"), n);
        let mut pending = Vec::new();
        net.publish(u64::from(k) * 1_000, &packet, &members, &mut pending);
        log.extend(pending.iter().map(|&c| (c, false)));
        while !pending.is_empty() {
            pending.sort_by_key(|c: &Copy| (std::cmp::Reverse(c.arrival), std::cmp::Reverse(c.to)));
            let Some(c) = pending.pop() else { break };
            let mut out = Vec::new();
            let first = net.on_arrival(c.arrival, c.to, c.from, &packet, &mut out);
            log.push((c, first == Receipt::First));
            log.extend(out.iter().map(|&c| (c, false)));
            pending.extend(out);
        }
    }
    log
}

/// Runs the same floods through a network of `sc` on the per-copy path and one on the plain
/// path (asserted taken), and compares copies, counters and the streams' next draws.
fn same_both_ways(sc: &Scenario, m: Option<&RegionMatrix>, expect_plain: bool) {
    let mut slow = Network::new(sc, m).expect("network");
    let mut fast = Network::new(sc, m).expect("network");
    assert_eq!(
        fast.plain, expect_plain,
        "plain path expected: {expect_plain}"
    );
    slow.plain = false;
    assert_eq!(flood_all(&mut slow, 6), flood_all(&mut fast, 6));
    assert_eq!(slow.traffic(), fast.traffic());
    assert_eq!(slow.copies(), fast.copies());
    for (a, b) in slow.rngs.iter_mut().zip(&mut fast.rngs) {
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }
}

#[test]
fn plain_batches_give_the_per_copy_results() {
    let m = matrix(10);
    for cfg in latencies() {
        for loss in [0.0, 0.05] {
            same_both_ways(&relay(300, loss, &cfg, ""), Some(&m), true);
        }
    }
    // broadcast: the members but the origin
    let mut sc = relay(50, 0.1, &latencies()[1], "");
    sc.network.dissemination = Dissemination::Broadcast;
    same_both_ways(&sc, Some(&m), true);
}

#[test]
fn link_features_keep_the_per_copy_path() {
    let cfg = &latencies()[4];
    let partition = "[[partitions]]\nstart = \"2ms\"\nheal = \"4ms\"\nfractions = [0.5, 0.5]\n";
    // a partition window active for part of the floods: plain outside it only
    same_both_ways(&relay(200, 0.05, cfg, partition), None, true);
    for extra in [
        "[network.gilbert_elliott]\np = 0.05\nr = 0.5\n",
        "[[node_classes]]\nname = \"far\"\nfraction = 0.5\nextra_latency = \"20ms\"\n",
        "[[network.links]]\nfrom = 1\nto = 2\nextra_latency = \"5ms\"\n",
        // no node classes, but the service nodes' uplink is limited
        "[light]\nclients = 1\nservice_nodes = 1\nservice_uplink_bps = 20000\n",
    ] {
        same_both_ways(&relay(200, 0.05, cfg, extra), None, false);
    }
    let mut sc = relay(200, 0.05, cfg, "");
    sc.network.duplicate = 0.1;
    same_both_ways(&sc, None, false);
}
