//! Network model tests: statistics of latency and loss draws match their parameters, and
//! partitions cut exactly the links they should, for exactly their window.

use super::*;
use crate::scenario::{Distribution, Partition, SimDuration};
use bytes::Bytes;

fn scenario(n: u32, loss: f64, latency: crate::scenario::Latency) -> Scenario {
    let text = format!("participants = {n}\nduration = \"100s\"\n[network]\nloss = {loss}\n");
    let mut sc: Scenario = toml::from_str(&text).expect("test scenario parses");
    sc.network.latency = latency;
    sc
}

fn dist(d: Distribution) -> crate::scenario::Latency {
    crate::scenario::Latency {
        distribution: Some(d),
        ..Default::default()
    }
}

/// Sends a fresh packet of `size` bytes from `from` to every participant (broadcast).
fn bcast(
    net: &mut Network,
    now: SimTime,
    from: u32,
    size: usize,
    kind: TrafficKind,
    out: &mut Vec<Copy>,
) {
    let n = net.participants();
    let packet = Packet::new(0, from, kind, Bytes::from(vec![0u8; size]), n);
    let members: Vec<u32> = (0..n).collect();
    net.publish(now, &packet, &members, out);
}

fn ms(x: u64) -> SimDuration {
    SimDuration::from_millis(x)
}

/// Sends `rounds` broadcasts from participant 0 and returns the latencies (µs) of the copies.
fn latencies(sc: &Scenario, rounds: usize) -> (Vec<u64>, CopyCounts) {
    let mut net = Network::new(sc, None).expect("network");
    let mut out = Vec::new();
    for _ in 0..rounds {
        bcast(&mut net, 1_000, 0, 100, TrafficKind::Content, &mut out);
    }
    (
        out.iter().map(|c| c.arrival - 1_000).collect(),
        net.copies().clone(),
    )
}

fn mean_sd(xs: &[u64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn bernoulli_loss_rate_within_sampling_error() {
    let sc = scenario(101, 0.1, dist(Distribution::Constant { value: ms(10) }));
    let (lat, copies) = latencies(&sc, 1_000);
    assert_eq!(copies.sent, 100_000);
    let p = copies.lost as f64 / copies.sent as f64;
    // sd of the estimate: sqrt(0.1 * 0.9 / 1e5) ~ 0.00095; allow 5 sd
    assert!((p - 0.1).abs() < 0.005, "loss rate {p}");
    assert_eq!(lat.len() as u64, copies.sent - copies.lost);
    assert!(lat.iter().all(|&l| l == 10_000));
}

#[test]
fn uniform_and_normal_latency_match_parameters() {
    let sc = scenario(
        101,
        0.0,
        dist(Distribution::Uniform {
            min: ms(100),
            max: ms(300),
        }),
    );
    let (lat, _) = latencies(&sc, 200);
    let (mean, sd) = mean_sd(&lat);
    // uniform(100 ms, 300 ms): mean 200 ms, sd 57.7 ms; n = 20,000
    assert!((mean - 200_000.0).abs() < 5.0 * 57_735.0 / (lat.len() as f64).sqrt());
    assert!((sd - 57_735.0).abs() < 2_000.0, "sd {sd}");
    assert!(lat.iter().all(|&l| (100_000..=300_000).contains(&l)));

    let sc = scenario(
        101,
        0.0,
        dist(Distribution::Normal {
            mean: ms(200),
            std_dev: ms(50),
        }),
    );
    let (lat, _) = latencies(&sc, 200);
    let (mean, sd) = mean_sd(&lat);
    assert!((mean - 200_000.0).abs() < 5.0 * 50_000.0 / (lat.len() as f64).sqrt());
    assert!((sd - 50_000.0).abs() < 2_000.0, "sd {sd}");
}

#[test]
fn lognormal_median_and_pareto_minimum() {
    let sc = scenario(
        101,
        0.0,
        dist(Distribution::Lognormal {
            median: ms(80),
            sigma: 0.5,
        }),
    );
    let (mut lat, _) = latencies(&sc, 200);
    lat.sort_unstable();
    let median = lat[lat.len() / 2] as f64;
    assert!((median / 80_000.0 - 1.0).abs() < 0.03, "median {median}");

    let sc = scenario(
        101,
        0.0,
        dist(Distribution::Pareto {
            scale: ms(20),
            shape: 3.0,
        }),
    );
    let (lat, _) = latencies(&sc, 200);
    assert!(lat.iter().all(|&l| l >= 20_000));
    let (mean, _) = mean_sd(&lat);
    // Pareto mean = shape * scale / (shape - 1) = 30 ms
    assert!((mean / 30_000.0 - 1.0).abs() < 0.03, "mean {mean}");
}

#[test]
fn region_matrix_gives_half_rtt_plus_jitter() {
    let matrix = RegionMatrix {
        names: vec!["A".into(), "B".into()],
        rtt_ms: vec![vec![0.0, 100.0], vec![100.0, 0.0]],
    };
    let mut sc = scenario(4, 0.0, Default::default());
    sc.network.latency.regions = Some("m.csv".into());
    sc.network.latency.same_region = Some(ms(2));
    let mut net = Network::new(&sc, Some(&matrix)).expect("network");
    let mut out = Vec::new();
    // participant 0 is in region A, 1 in B, 2 in A, 3 in B
    bcast(&mut net, 0, 0, 10, TrafficKind::Sync, &mut out);
    let got: Vec<(u32, u64)> = out.iter().map(|c| (c.to, c.arrival)).collect();
    assert_eq!(got, vec![(1, 50_000), (2, 2_000), (3, 50_000)]);

    sc.network.latency.jitter = Some(Distribution::Uniform {
        min: ms(0),
        max: ms(10),
    });
    let mut net = Network::new(&sc, Some(&matrix)).expect("network");
    let mut out = Vec::new();
    for _ in 0..1_000 {
        bcast(&mut net, 0, 0, 10, TrafficKind::Sync, &mut out);
    }
    let to_b: Vec<u64> = out
        .iter()
        .filter(|c| c.to == 1)
        .map(|c| c.arrival)
        .collect();
    let (mean, _) = mean_sd(&to_b);
    assert!(to_b.iter().all(|&l| (50_000..=60_000).contains(&l)));
    assert!((mean - 55_000.0).abs() < 500.0, "mean {mean}");
}

#[test]
fn partition_cuts_across_groups_only_during_its_window() {
    let mut sc = scenario(4, 0.0, dist(Distribution::Constant { value: ms(1) }));
    sc.partitions = vec![Partition {
        start: SimDuration::from_secs(10),
        heal: SimDuration::from_secs(20),
        fractions: Some(vec![0.5, 0.5]),
        ids: None,
    }];
    let mut net = Network::new(&sc, None).expect("network");
    let receivers = |net: &mut Network, t: u64| {
        let mut out = Vec::new();
        bcast(net, t, 0, 10, TrafficKind::Content, &mut out);
        out.iter().map(|c| c.to).collect::<Vec<_>>()
    };
    assert_eq!(receivers(&mut net, 9_999_999), vec![1, 2, 3]);
    assert_eq!(receivers(&mut net, 10_000_000), vec![1]);
    assert_eq!(receivers(&mut net, 19_999_999), vec![1]);
    assert_eq!(receivers(&mut net, 20_000_000), vec![1, 2, 3]);
    assert_eq!(net.copies().partitioned, 4);
    // bytes are counted for every copy put on the wire, cut or not
    assert_eq!(
        net.traffic()[0].bytes_sent_of(TrafficKind::Content),
        4 * 3 * 10
    );
}

#[test]
fn explicit_ids_and_unlisted_rest_group() {
    let mut sc = scenario(5, 0.0, dist(Distribution::Constant { value: ms(1) }));
    sc.partitions = vec![Partition {
        start: SimDuration::from_secs(0),
        heal: SimDuration::from_secs(50),
        fractions: None,
        ids: Some(vec![vec![0, 4], vec![1]]),
    }];
    let net = Network::new(&sc, None).expect("network");
    assert!(!net.is_cut(1, 0, 4));
    assert!(net.is_cut(1, 0, 1));
    assert!(net.is_cut(1, 1, 2));
    assert!(!net.is_cut(1, 2, 3)); // 2 and 3 are unlisted: the rest group
    assert!(net.is_cut(1, 3, 4));
    // faults heal at the end of the workload (100 s) even if `heal` is later
    sc.partitions[0].heal = SimDuration::from_secs(500);
    let net = Network::new(&sc, None).expect("network");
    assert!(net.is_cut(99_999_999, 0, 1));
    assert!(!net.is_cut(100_000_000, 0, 1));
}

#[test]
fn uneven_fractions_assign_contiguous_blocks() {
    let p = Partition {
        start: SimDuration::from_secs(0),
        heal: SimDuration::from_secs(1),
        fractions: Some(vec![0.3, 0.3, 0.4]),
        ids: None,
    };
    assert_eq!(partition_groups(&p, 10), vec![0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
    assert_eq!(partition_groups(&p, 7), vec![0, 0, 1, 1, 2, 2, 2]);
}

#[test]
fn same_seed_same_draws() {
    let sc = scenario(
        50,
        0.2,
        dist(Distribution::Uniform {
            min: ms(1),
            max: ms(100),
        }),
    );
    assert_eq!(latencies(&sc, 10), latencies(&sc, 10));
    let mut other = sc.clone();
    other.seed = 2;
    assert_ne!(latencies(&sc, 10).0, latencies(&other, 10).0);
}

/// Floods one packet from `origin` through `net` to completion (arrival order), returning
/// which participants received it and how many copies arrived in all.
fn flood(net: &mut Network, origin: u32) -> (Vec<bool>, u64) {
    let n = net.participants();
    let packet = Packet::new(0, origin, TrafficKind::Content, Bytes::from_static(b"x"), n);
    let mut got = vec![false; n as usize];
    got[origin as usize] = true;
    let mut pending = Vec::new();
    net.publish(0, &packet, &(0..n).collect::<Vec<_>>(), &mut pending);
    let mut arrivals = 0u64;
    while !pending.is_empty() {
        pending.sort_by_key(|c: &Copy| std::cmp::Reverse(c.arrival));
        let Some(c) = pending.pop() else { break };
        arrivals += 1;
        let mut out = Vec::new();
        if net.on_arrival(c.arrival, c.to, c.from, &packet, &mut out) == Receipt::First {
            got[c.to as usize] = true;
        }
        pending.extend(out);
    }
    (got, arrivals)
}

fn overlay_scenario(n: u32, dissemination: &str, loss: f64) -> Scenario {
    let text = format!(
        "participants = {n}\nduration = \"100s\"\n[network]\ndissemination = \"{dissemination}\"\nloss = {loss}\n[network.latency]\ndistribution = {{ kind = \"uniform\", min = \"10ms\", max = \"90ms\" }}\n"
    );
    toml::from_str(&text).expect("test scenario parses")
}

#[test]
fn relay_reaches_every_node_of_a_connected_mesh_and_counts_duplicates() {
    let sc = overlay_scenario(500, "relay", 0.0);
    let mut net = Network::new(&sc, None).expect("network");
    let g = net.graph().expect("a mesh").clone();
    assert!((0..500).all(|v| g.degree(v) == 8));
    let (got, arrivals) = flood(&mut net, 17);
    assert!(got.iter().all(|&g| g), "some node never got the packet");
    // every node forwards to D - 1 peers (the origin to D): 500*8 - 499 copies
    assert_eq!(net.copies().sent, 500 * 8 - 499);
    assert_eq!(arrivals, net.copies().sent);
    // 499 first receipts; everything else is a relay duplicate, counted as received bytes
    assert_eq!(net.copies().redundant, arrivals - 499);
    let dup_bytes: u64 = net
        .traffic()
        .iter()
        .map(|t| t.bytes_received_duplicate)
        .sum();
    assert_eq!(dup_bytes, arrivals - 499);
    let forwarded: u64 = net.traffic().iter().map(|t| t.bytes_forwarded).sum();
    assert_eq!(forwarded, net.copies().sent - 8);
}

#[test]
fn ring_with_skip_links_floods_everyone() {
    let sc = overlay_scenario(100, "ring", 0.0);
    let mut net = Network::new(&sc, None).expect("network");
    let (got, _) = flood(&mut net, 3);
    assert!(got.iter().all(|&g| g));
    assert_eq!(net.graph().expect("ring").degree(0), 12);
}

#[test]
fn relay_mesh_routes_around_moderate_loss() {
    // With D = 8, 10% per-hop loss almost never stops a flood from reaching everyone
    // (the per-node miss probability is about 0.1^(in-degree)).
    let sc = overlay_scenario(300, "relay", 0.1);
    let mut net = Network::new(&sc, None).expect("network");
    let (got, _) = flood(&mut net, 0);
    let reached = got.iter().filter(|&&g| g).count();
    assert!(reached >= 299, "{reached} of 300");
    assert!(net.copies().lost > 0);
}
