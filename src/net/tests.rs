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
    let n = net.nodes();
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
        isolate: None,
        direction: Default::default(),
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
        isolate: None,
        direction: Default::default(),
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
        isolate: None,
        direction: Default::default(),
    };
    assert_eq!(
        partition_groups(&p, 10, 10),
        vec![0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    );
    assert_eq!(partition_groups(&p, 7, 7), vec![0, 0, 1, 1, 2, 2, 2]);
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
    let n = net.nodes();
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

// ---- Link level: Gilbert-Elliott, one-way partitions, isolation, node classes, queues,
// ---- degradation windows, link overrides.

/// A scenario from TOML lines appended to a base (constant 10 ms latency, 100 s workload).
fn sc_toml(n: u32, extra: &str) -> Scenario {
    let text = format!(
        "participants = {n}\nduration = \"100s\"\n[network.latency]\ndistribution = {{ kind = \"constant\", value = \"10ms\" }}\n{extra}"
    );
    let sc: Scenario = toml::from_str(&text).expect("test scenario parses");
    crate::scenario::validate_for_tests(&sc).expect("test scenario is valid");
    sc
}

/// Sends `count` single copies `from -> to` (a two-member broadcast) at `now`; returns, per
/// copy, whether it survived.
fn survivals(net: &mut Network, now: SimTime, from: u32, to: u32, count: usize) -> Vec<bool> {
    let n = net.nodes();
    let mut out = Vec::new();
    (0..count)
        .map(|_| {
            out.clear();
            let packet = Packet::new(0, from, TrafficKind::Content, Bytes::from(vec![0u8; 10]), n);
            net.publish(now, &packet, &[from, to], &mut out);
            !out.is_empty()
        })
        .collect()
}

fn ge_check(p: f64, r: f64, h: f64, k: f64, tol_rate: f64) -> (f64, f64) {
    let sc = sc_toml(
        2,
        &format!("[network.gilbert_elliott]\np = {p}\nr = {r}\nh = {h}\nk = {k}\n"),
    );
    let mut net = Network::new(&sc, None).expect("network");
    let s = survivals(&mut net, 0, 0, 1, 400_000);
    let lost = s.iter().filter(|&&ok| !ok).count();
    let rate = lost as f64 / s.len() as f64;
    let expected = (r * (1.0 - k) + p * (1.0 - h)) / (p + r);
    assert!(
        (rate - expected).abs() < tol_rate,
        "GE loss rate {rate}, stationary {expected}"
    );
    assert_eq!(net.copies().lost_gilbert_elliott as usize, lost);
    // counted per sender too (nodes.csv)
    assert_eq!(net.traffic()[0].copies_lost_gilbert_elliott as usize, lost);
    assert_eq!(net.traffic()[0].copies_lost as usize, lost);
    // mean length of runs of consecutive losses
    let mut bursts = Vec::new();
    let mut run = 0u64;
    for ok in s {
        if ok {
            if run > 0 {
                bursts.push(run);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    let (mean, _) = mean_sd(&bursts);
    (rate, mean)
}

#[test]
fn gilbert_elliott_loss_rate_and_burst_length_match_parameters() {
    // Simple Gilbert (h = 0, k = 1): loss rate p / (p + r) = 1/6, bursts geometric with
    // mean 1 / r = 4 (sd sqrt(1 - r) / r ~ 3.5; ~11k bursts: SE ~ 0.033; allow 6 SE).
    // Rate SE with lag-1 correlation 1 - p - r = 0.7: sqrt(pq/n * 1.7/0.3) ~ 0.0014.
    let (_, burst) = ge_check(0.05, 0.25, 0.0, 1.0, 0.008);
    assert!((burst - 4.0).abs() < 0.2, "mean burst {burst}");
    // Full Gilbert-Elliott: loss in both states.
    ge_check(0.1, 0.3, 0.2, 0.95, 0.008);
}

#[test]
fn gilbert_elliott_off_leaves_network_draws_unchanged() {
    let plain = scenario(11, 0.1, dist(Distribution::Constant { value: ms(10) }));
    let mut with_ge = plain.clone();
    with_ge.network.gilbert_elliott = Some(crate::scenario::GilbertElliott {
        p: 0.0,
        r: Some(1.0),
        h: 0.0,
        k: 1.0,
    });
    assert_eq!(latencies(&plain, 200), latencies(&with_ge, 200));
}

#[test]
fn one_way_partition_blocks_one_direction_only() {
    let sc = sc_toml(
        4,
        "[[partitions]]\nstart = \"10s\"\nheal = \"20s\"\nfractions = [0.5, 0.5]\ndirection = \"one-way\"\n",
    );
    let net = Network::new(&sc, None).expect("network");
    let t = 15_000_000;
    assert!(net.is_cut(t, 0, 2) && net.is_cut(t, 1, 3));
    assert!(!net.is_cut(t, 2, 0) && !net.is_cut(t, 3, 1));
    assert!(!net.is_cut(t, 0, 1) && !net.is_cut(t, 2, 3));
    assert!(!net.is_cut(9_999_999, 0, 2) && !net.is_cut(20_000_000, 0, 2));
    // with explicit ids the first listed group is the blocked sender side
    let sc = sc_toml(
        4,
        "[[partitions]]\nstart = \"0s\"\nheal = \"20s\"\nids = [[3], [0]]\ndirection = \"one-way\"\n",
    );
    let net = Network::new(&sc, None).expect("network");
    assert!(net.is_cut(1, 3, 0) && net.is_cut(1, 3, 1));
    assert!(!net.is_cut(1, 0, 3) && !net.is_cut(1, 1, 3) && !net.is_cut(1, 0, 1));
}

#[test]
fn isolate_cuts_each_listed_node_off_from_everyone() {
    let sc = sc_toml(
        5,
        "[[partitions]]\nstart = \"0s\"\nheal = \"20s\"\nisolate = [1, 3]\n",
    );
    let net = Network::new(&sc, None).expect("network");
    for other in [0, 2, 4] {
        assert!(net.is_cut(1, 1, other) && net.is_cut(1, other, 1));
        assert!(net.is_cut(1, 3, other) && net.is_cut(1, other, 3));
    }
    assert!(net.is_cut(1, 1, 3) && net.is_cut(1, 3, 1));
    assert!(!net.is_cut(1, 0, 2) && !net.is_cut(1, 4, 0));
    // one-way isolation: the isolated node still hears everyone but nobody hears it
    let sc = sc_toml(
        3,
        "[[partitions]]\nstart = \"0s\"\nheal = \"20s\"\nisolate = [2]\ndirection = \"one-way\"\n",
    );
    let net = Network::new(&sc, None).expect("network");
    assert!(net.is_cut(1, 2, 0) && net.is_cut(1, 2, 1));
    assert!(!net.is_cut(1, 0, 2) && !net.is_cut(1, 1, 2) && !net.is_cut(1, 0, 1));
}

#[test]
fn overlapping_partition_windows_compose() {
    let sc = sc_toml(
        4,
        "[[partitions]]\nstart = \"10s\"\nheal = \"30s\"\nfractions = [0.5, 0.5]\n\
         [[partitions]]\nstart = \"20s\"\nheal = \"40s\"\nisolate = [0]\n",
    );
    let net = Network::new(&sc, None).expect("network");
    let s = 1_000_000;
    // 15 s: only the halves
    assert!(net.is_cut(15 * s, 0, 2) && !net.is_cut(15 * s, 0, 1));
    // 25 s: both: 0 alone, halves split
    assert!(net.is_cut(25 * s, 0, 1) && net.is_cut(25 * s, 1, 2) && !net.is_cut(25 * s, 2, 3));
    // 35 s: only 0 isolated
    assert!(net.is_cut(35 * s, 0, 1) && !net.is_cut(35 * s, 1, 2));
    assert!(!net.is_cut(45 * s, 0, 1));
}

#[test]
fn node_classes_by_fraction_take_blocks_from_the_end() {
    let sc = sc_toml(
        10,
        "[[node_classes]]\nname = \"mobile\"\nfraction = 0.2\n\
         [[node_classes]]\nname = \"home\"\nfraction = 0.3\n\
         [[node_classes]]\nname = \"server\"\nids = [8, 0]\n",
    );
    let net = Network::new(&sc, None).expect("network");
    let classes: Vec<Option<u16>> = (0..10).map(|i| net.class_of(i)).collect();
    // ids first (0, 8 = server); mobile takes the last 2 free ids (9, 7), home the next 3
    // free ones walking down (6, 5, 4)
    assert_eq!(
        classes,
        vec![
            Some(2),
            None,
            None,
            None,
            Some(1),
            Some(1),
            Some(1),
            Some(0),
            Some(2),
            Some(0)
        ]
    );
}

/// A network with one limited uplink/downlink class holding `ids`.
fn limited(n: u32, ids: &str, up: u64, down: u64) -> Network {
    let sc = sc_toml(
        n,
        &format!(
            "[[node_classes]]\nname = \"slow\"\nids = {ids}\nuplink_bps = {up}\ndownlink_bps = {down}\n"
        ),
    );
    Network::new(&sc, None).expect("network")
}

#[test]
fn uplink_fifo_serializes_each_copy_exactly() {
    assert_eq!(links::serialization_us(1000, 8_000_000), 1000);
    assert_eq!(links::serialization_us(125, 1_000_000_000), 1);
    assert_eq!(links::serialization_us(1, 1_000_000_000), 1); // rounded up
                                                              // 8 Mbit/s = 1 byte/µs: 1000-byte copies take 1000 µs each, back to back.
    let mut net = limited(4, "[0]", 8_000_000, 8_000_000);
    let mut out = Vec::new();
    bcast(&mut net, 0, 0, 1000, TrafficKind::Content, &mut out);
    bcast(&mut net, 500, 0, 1000, TrafficKind::Content, &mut out);
    let departures: Vec<u64> = out.iter().map(|c| c.departure).collect();
    assert_eq!(departures, vec![1000, 2000, 3000, 4000, 5000, 6000]);
    assert_eq!(
        out.iter().map(|c| c.to).collect::<Vec<_>>(),
        vec![1, 2, 3, 1, 2, 3]
    );
    assert!(out.iter().all(|c| c.arrival == c.departure + 10_000));
    let t = &net.traffic()[0];
    // waits: 0, 1000, 2000; then 2500, 3500, 4500 (queued behind the first burst)
    assert_eq!(t.uplink_queued_copies, 6);
    assert_eq!(t.uplink_queue_delay_max_us, 4500);
    assert_eq!(t.uplink_queue_delay_total_us, 13_500);
    assert_eq!(t.uplink_queue_delay_mean_us(), 2250.0);
    // an idle queue starts at `now`
    out.clear();
    bcast(&mut net, 100_000, 0, 1000, TrafficKind::Content, &mut out);
    assert_eq!(out[0].departure, 101_000);
    // unlimited senders depart at once
    out.clear();
    bcast(&mut net, 7, 1, 1000, TrafficKind::Content, &mut out);
    assert!(out.iter().all(|c| c.departure == 7 && c.arrival == 10_007));
    assert_eq!(net.traffic()[1].uplink_queued_copies, 0);
}

#[test]
fn downlink_fifo_hands_over_in_arrival_order() {
    let mut net = limited(3, "[1]", 1_000_000_000, 8_000_000);
    assert_eq!(net.downlink_delay(1, 0, 1000), 1000);
    // arrives while the first is being handed over: waits 500, then 1000
    assert_eq!(net.downlink_delay(1, 500, 1000), 1500);
    assert_eq!(net.downlink_delay(1, 2000, 500), 500);
    assert_eq!(net.downlink_delay(1, 10_000, 1000), 1000);
    assert_eq!(net.downlink_delay(0, 0, 1000), 0); // unlimited
    let t = &net.traffic()[1];
    assert_eq!(t.downlink_queued_copies, 4);
    assert_eq!(t.downlink_queue_delay_max_us, 500);
    assert_eq!(t.downlink_queue_delay_total_us, 500);
}

#[test]
fn queued_copies_of_a_node_going_offline_are_lost_and_counted() {
    let mut net = limited(4, "[0]", 8_000_000, 8_000_000);
    let mut out = Vec::new();
    bcast(&mut net, 0, 0, 1000, TrafficKind::Content, &mut out);
    // offline at 1500 µs: the copy departing at 1000 left, those at 2000 and 3000 did not
    assert_eq!(net.drop_uplink_queue(0, 1500), 2);
    assert_eq!(net.copies().dropped_in_queue, 2);
    let alive: Vec<bool> = out.iter().map(|c| net.copy_alive(c)).collect();
    assert_eq!(alive, vec![true, false, false]);
    // the sender saw all three sent
    assert_eq!(net.traffic()[0].bytes_sent(), 3000);
    // back online: a fresh queue, new copies are alive
    out.clear();
    bcast(&mut net, 1600, 0, 1000, TrafficKind::Content, &mut out);
    assert_eq!(out[0].departure, 2600);
    assert!(out.iter().all(|c| net.copy_alive(c)));
    // dropping an empty (or unlimited) queue loses nothing
    assert_eq!(net.drop_uplink_queue(0, 1_000_000), 0);
    assert_eq!(net.drop_uplink_queue(2, 0), 0);
    assert!(out.iter().all(|c| net.copy_alive(c)));
}

#[test]
fn class_extra_latency_and_loss_apply_to_both_ends() {
    let sc = sc_toml(
        4,
        "[[node_classes]]\nname = \"home\"\nids = [1]\nextra_latency = \"10ms\"\n\
         [[node_classes]]\nname = \"mobile\"\nids = [2]\nextra_latency = \"60ms\"\n",
    );
    let mut net = Network::new(&sc, None).expect("network");
    let mut out = Vec::new();
    bcast(&mut net, 0, 0, 10, TrafficKind::Content, &mut out);
    bcast(&mut net, 0, 1, 10, TrafficKind::Content, &mut out);
    let lat: Vec<(u32, u32, u64)> = out.iter().map(|c| (c.from, c.to, c.arrival)).collect();
    assert_eq!(
        lat,
        vec![
            (0, 1, 20_000),
            (0, 2, 70_000),
            (0, 3, 10_000),
            (1, 0, 20_000),
            (1, 2, 80_000),
            (1, 3, 20_000)
        ]
    );
    // 1% class loss on the receiver side, over many draws: sd sqrt(.01 * .99 / 2e5) ~ 2.2e-4
    let sc = sc_toml(
        2,
        "[[node_classes]]\nname = \"mobile\"\nids = [1]\nloss = 0.01\n",
    );
    let mut net = Network::new(&sc, None).expect("network");
    let s = survivals(&mut net, 0, 0, 1, 200_000);
    let rate = s.iter().filter(|&&ok| !ok).count() as f64 / s.len() as f64;
    assert!((rate - 0.01).abs() < 0.0012, "class loss rate {rate}");
    assert_eq!(net.copies().lost_extra, net.copies().lost);
}

#[test]
fn degradation_window_adds_latency_and_loss_inside_only() {
    let sc = sc_toml(
        3,
        "[[network.degradations]]\nstart = \"10s\"\nend = \"20s\"\nextra_latency = \"100ms\"\nloss = 0.3\n\
         [[network.degradations]]\nstart = \"50s\"\nend = \"200s\"\nextra_latency = \"5ms\"\nids = [2]\n",
    );
    let mut net = Network::new(&sc, None).expect("network");
    let s = 1_000_000;
    let mut stats = |t: u64, from: u32, to: u32| {
        let mut out = Vec::new();
        let mut lost = 0;
        for _ in 0..20_000 {
            let before = out.len();
            let packet = Packet::new(0, from, TrafficKind::Content, Bytes::from(vec![0u8; 10]), 3);
            net.publish(t, &packet, &[from, to], &mut out);
            if out.len() == before {
                lost += 1;
            }
        }
        let lat: Vec<u64> = out.iter().map(|c| c.arrival - t).collect();
        (lost as f64 / 20_000.0, lat)
    };
    let (loss, lat) = stats(15 * s, 0, 1);
    // sd sqrt(.3 * .7 / 2e4) ~ 0.0032
    assert!((loss - 0.3).abs() < 0.016, "loss in window {loss}");
    assert!(lat.iter().all(|&l| l == 110_000));
    let (loss, lat) = stats(20 * s, 0, 1);
    assert_eq!(loss, 0.0);
    assert!(lat.iter().all(|&l| l == 10_000));
    // restricted to participant 2's links; heals at the end of the workload (100 s)
    assert!(stats(60 * s, 0, 2).1.iter().all(|&l| l == 15_000));
    assert!(stats(60 * s, 2, 1).1.iter().all(|&l| l == 15_000));
    assert!(stats(60 * s, 0, 1).1.iter().all(|&l| l == 10_000));
    assert!(stats(100 * s, 0, 2).1.iter().all(|&l| l == 10_000));
}

#[test]
fn link_overrides_apply_to_their_links_only() {
    let sc = sc_toml(
        3,
        "[[network.links]]\nfrom = 0\nto = 1\nextra_latency = \"7ms\"\nloss = 0.5\n\
         [[network.links]]\nfrom = 1\nto = 2\nextra_latency = \"3ms\"\nbidirectional = false\n",
    );
    let mut net = Network::new(&sc, None).expect("network");
    for (from, to) in [(0, 1), (1, 0)] {
        let s = survivals(&mut net, 0, from, to, 20_000);
        let rate = s.iter().filter(|&&ok| !ok).count() as f64 / s.len() as f64;
        // sd sqrt(.25 / 2e4) ~ 0.0035
        assert!((rate - 0.5).abs() < 0.02, "{from}->{to}: {rate}");
    }
    let mut out = Vec::new();
    let arrival = |net: &mut Network, from: u32, to: u32, out: &mut Vec<Copy>| {
        out.clear();
        let packet = Packet::new(0, from, TrafficKind::Content, Bytes::from(vec![0u8; 10]), 3);
        net.publish(0, &packet, &[from, to], out);
        out.first().map(|c| c.arrival)
    };
    assert_eq!(arrival(&mut net, 1, 2, &mut out), Some(13_000));
    assert_eq!(arrival(&mut net, 2, 1, &mut out), Some(10_000));
    assert_eq!(arrival(&mut net, 0, 2, &mut out), Some(10_000));
    let lat: Vec<u64> = (0..50)
        .filter_map(|_| arrival(&mut net, 0, 1, &mut out))
        .collect();
    assert!(!lat.is_empty() && lat.iter().all(|&l| l == 17_000));
}

// ---- Statistics over many draws (issue 4, "Tests for each model"). Every bound is at least
// ---- 5 standard errors of the estimate, with a fixed seed, so these cannot flake.

#[test]
fn duplication_rate_and_independent_latency_of_the_second_copy() {
    // 100 receivers x 1000 broadcasts; 10% loss first, then 20% of survivors duplicated.
    let mut sc = overlay_scenario(101, "broadcast", 0.1);
    sc.network.duplicate = 0.2;
    let mut net = Network::new(&sc, None).expect("network");
    let mut out = Vec::new();
    let mut originals = Vec::new();
    let mut seconds = Vec::new();
    for _ in 0..1_000 {
        out.clear();
        bcast(&mut net, 0, 0, 100, TrafficKind::Content, &mut out);
        // A duplicate is pushed right after its original (same receiver): pair them.
        for w in out.windows(2) {
            if w[0].to == w[1].to {
                originals.push(w[0].arrival as f64);
                seconds.push(w[1].arrival as f64);
            }
        }
    }
    let c = net.copies();
    assert_eq!(c.sent, 100_000);
    let survivors = c.sent - c.lost;
    assert_eq!(c.duplicated as usize, seconds.len());
    // loss: sd sqrt(.1 * .9 / 1e5) ~ 0.00095
    assert!((c.lost as f64 / c.sent as f64 - 0.1).abs() < 0.005, "{c:?}");
    // duplication over survivors (~90k): sd sqrt(.2 * .8 / 9e4) ~ 0.0013
    let dup = c.duplicated as f64 / survivors as f64;
    assert!((dup - 0.2).abs() < 0.0067, "duplication rate {dup}");
    // The second copy takes its own uniform(10 ms, 90 ms) draw: mean 50 ms (sd 23.1 ms, ~18k
    // draws: SE 0.17 ms), uncorrelated with the first (|r| < 5 / sqrt(n) ~ 0.037).
    let n = seconds.len() as f64;
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let (m1, m2) = (mean(&originals), mean(&seconds));
    assert!(
        (m2 - 50_000.0).abs() < 5.0 * 23_094.0 / n.sqrt(),
        "mean {m2}"
    );
    let cov = originals
        .iter()
        .zip(&seconds)
        .map(|(a, b)| (a - m1) * (b - m2))
        .sum::<f64>()
        / n;
    let sd = |xs: &[f64], m: f64| (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt();
    let r = cov / (sd(&originals, m1) * sd(&seconds, m2));
    assert!(r.abs() < 5.0 / n.sqrt(), "correlation {r}");
}

#[test]
fn shipped_region_matrix_gives_half_rtt_plus_jitter_for_every_pair() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/data/inter-region-rtt-ms.csv");
    let text = std::fs::read_to_string(&path).expect("region matrix");
    let matrix = RegionMatrix::parse(&text, &path).expect("parses");
    let r = matrix.names.len();
    assert_eq!(r, 10);
    let mut sc = scenario(r as u32, 0.0, Default::default());
    sc.network.latency.regions = Some("m.csv".into());
    sc.network.latency.jitter = Some(Distribution::Uniform {
        min: ms(0),
        max: ms(10),
    });
    let mut net = Network::new(&sc, Some(&matrix)).expect("network");
    // One participant per region; 2000 broadcasts from each: 2000 draws per ordered pair.
    let rounds = 2_000;
    let mut sums = vec![0u64; r * r];
    let mut out = Vec::new();
    for from in 0..r as u32 {
        for _ in 0..rounds {
            out.clear();
            bcast(&mut net, 0, from, 10, TrafficKind::Content, &mut out);
            for c in &out {
                sums[from as usize * r + c.to as usize] += c.arrival;
            }
        }
    }
    // uniform integer µs on [0, 10000]: mean 5000, sd 2887; SE of a 2000-draw mean 64.5 µs
    let bound = 5.0 * 2_887.0 / (rounds as f64).sqrt();
    for a in 0..r {
        for b in (0..r).filter(|&b| b != a) {
            let mean = sums[a * r + b] as f64 / rounds as f64;
            let want = (matrix.rtt_ms[a][b] * 1_000.0 / 2.0).round() + 5_000.0;
            assert!(
                (mean - want).abs() < bound,
                "{} -> {}: mean {mean} µs, want {want}",
                matrix.names[a],
                matrix.names[b]
            );
        }
    }
    // asymmetry in the published table is kept (Madrid -> Dallas 122 ms, Dallas -> Madrid 119)
    let idx = |name: &str| matrix.names.iter().position(|n| n == name).expect(name);
    let (dallas, madrid) = (idx("Dallas"), idx("Madrid"));
    assert_ne!(matrix.rtt_ms[madrid][dallas], matrix.rtt_ms[dallas][madrid]);
}

#[test]
fn lognormal_shape_pareto_tail_and_normal_clamp_match_parameters() {
    // 20,000 draws each.
    let draws = |d: Distribution| latencies(&scenario(101, 0.0, dist(d)), 200).0;
    // ln of a lognormal is normal with sd sigma: SE of the sample sd ~ sigma / sqrt(2n)
    let lat = draws(Distribution::Lognormal {
        median: ms(80),
        sigma: 0.5,
    });
    let logs: Vec<f64> = lat.iter().map(|&x| (x as f64).ln()).collect();
    let n = logs.len() as f64;
    let m = logs.iter().sum::<f64>() / n;
    let sd = (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(
        (sd - 0.5).abs() < 5.0 * 0.5 / (2.0 * n).sqrt(),
        "sigma {sd}"
    );
    assert!((m - 80_000f64.ln()).abs() < 5.0 * 0.5 / n.sqrt(), "mu {m}");
    // Pareto: P(X > 2 scale) = 2^-shape = 0.125; SE sqrt(.125 * .875 / 2e4) ~ 0.0023
    let lat = draws(Distribution::Pareto {
        scale: ms(20),
        shape: 3.0,
    });
    let tail = lat.iter().filter(|&&x| x > 40_000).count() as f64 / lat.len() as f64;
    assert!((tail - 0.125).abs() < 0.0117, "tail {tail}");
    // Normal(10 ms, 10 ms): draws below 0 are clamped to 0, P = Phi(-1) = 0.1587;
    // SE sqrt(.1587 * .8413 / 2e4) ~ 0.0026
    let lat = draws(Distribution::Normal {
        mean: ms(10),
        std_dev: ms(10),
    });
    let zeros = lat.iter().filter(|&&x| x == 0).count() as f64 / lat.len() as f64;
    assert!((zeros - 0.1587).abs() < 0.013, "clamped share {zeros}");
}
