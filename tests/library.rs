//! The scenario library (`scenarios/*.toml`): every shipped file validates, and a smaller
//! version of each (the real file loaded with `--set`-style overrides, so the shipped keys are
//! the ones exercised) shows what the file's comment says a reader should expect. The
//! full-size figures quoted in those comments come from `sim run scenarios/<name>.toml`.

use std::path::{Path, PathBuf};
use std::process::Command;

use sdsim::metrics::RunOutcome;
use sdsim::report::Report;
use sdsim::scenario;

fn library_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Runs `scenarios/<name>` with `overrides` (applied in order, as `--set`).
fn run(name: &str, overrides: &[&str]) -> (RunOutcome, Report) {
    let sets: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let loaded = scenario::load(&library_path(name), None, &sets)
        .unwrap_or_else(|e| panic!("loading {name}: {e}"));
    sdsim::simulate(&loaded, &mut |_| {}).expect("simulate")
}

/// How to replay a test run by hand.
fn replay(name: &str, overrides: &[&str]) -> String {
    let sets: String = overrides.iter().map(|s| format!(" --set '{s}'")).collect();
    format!("replay: cargo run --release -- run scenarios/{name}{sets}")
}

/// What holds for every SDS run: nothing delivered twice, causal order kept.
#[track_caller]
fn sane(r: &Report, why: &str) {
    assert_eq!(r.summary.duplicates_delivered, 0, "{why}");
    assert_eq!(r.summary.causal_violations, 0, "{why}");
}

fn library_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(library_path(""))
        .expect("scenarios/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_library_file_passes_sim_validate_and_says_what_to_expect() {
    let files = library_files();
    for want in [
        "partition.toml",
        "churn.toml",
        "degraded.toml",
        "relay-1k.toml",
        "ring-groupchat.toml",
        "new-node-sync.toml",
        "bursty-loss.toml",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(want)),
            "scenarios/{want} is missing"
        );
    }
    for f in &files {
        let out = Command::new(env!("CARGO_BIN_EXE_sim"))
            .arg("validate")
            .arg(f)
            .output()
            .expect("run sim");
        assert!(
            out.status.success(),
            "sim validate {}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        // The file opens with a comment saying what it models and what to expect.
        let text = std::fs::read_to_string(f).expect("read");
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#') || l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            header.lines().count() >= 5 && header.to_lowercase().contains("expect"),
            "{}: needs a leading comment with what it models, its source and what to expect",
            f.display()
        );
    }
}

#[test]
fn relay_1k_small_delivers_everything_and_trickle_keeps_sync_cheap() {
    // 100 participants, 60 messages (constant arrivals at 1 s, ..., 60 s).
    let small = ["participants=100", "duration=61s", "drain=10m"];
    let (_, sds) = run("relay-1k.toml", &small);
    let why = replay("relay-1k.toml", &small);
    sane(&sds, &why);
    assert_eq!(sds.summary.messages_published, 60);
    assert_eq!(sds.summary.delivery_ratio_workload_end, 1.0, "{why}");
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    assert_eq!(sds.summary.copies_lost + sds.summary.copies_partitioned, 0);
    assert_eq!(sds.summary.distinct_final_logs, 1);
    assert_eq!(sds.run.stop_reason, "settled");

    // Relay alone already reaches every node of the connected, loss-free mesh: each message
    // is flooded once, the origin to its D = 8 peers, every other node to its 7 others.
    let none_sets = [small.as_slice(), &["protocol=none"]].concat();
    let (_, none) = run("relay-1k.toml", &none_sets);
    assert_eq!(none.summary.delivery_ratio, 1.0);
    assert_eq!(none.summary.copies_sent, 60 * (100 * 8 - 99));
    assert_eq!(none.summary.copies_redundant, 60 * (100 * 8 - 99 - 99));
    // SDS content messages carry the 18,752-byte bloom filter: >10x the bare payload.
    let content = |r: &Report| r.summary.bytes_by_kind["content"];
    assert!(content(&sds) > 10 * content(&none), "{why}");

    // Trickle vs periodic sync over the same minute (no drain).
    let minute = ["participants=100", "duration=61s", "drain=0s"];
    let (_, trickle) = run("relay-1k.toml", &minute);
    let periodic_sets = [minute.as_slice(), &["sds.sync.policy=periodic"]].concat();
    let (_, periodic) = run("relay-1k.toml", &periodic_sets);
    let sync = |r: &Report| r.summary.bytes_by_kind["sync"];
    assert!(sync(&trickle) > 0);
    assert!(
        sync(&periodic) > 10 * sync(&trickle),
        "periodic {} vs trickle {}",
        sync(&periodic),
        sync(&trickle)
    );
    assert!(sync(&periodic) > content(&periodic));
}

#[test]
fn churn_small_dips_in_the_window_then_sds_recovers() {
    // 40 participants (8 asleep from 120 s to 180 s) over a 4-minute workload.
    let small = ["participants=40", "duration=4m"];
    let why = replay("churn.toml", &small);
    let (_, sds) = run("churn.toml", &small);
    sane(&sds, &why);
    let c = sds.summary.churn.as_ref().expect("churn summary");
    assert_eq!(c.offline_events, 8);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    assert_eq!(sds.run.stop_reason, "settled");
    assert!(sds.summary.delivery_ratio_workload_end < 1.0);
    let at = |r: &Report, t: f64| {
        r.delivery_over_time
            .iter()
            .find(|p| p.t_s == t)
            .expect("bucket")
            .clone()
    };
    // the dip: everything delivered until the window, then the sleepers fall behind
    let before = at(&sds, 120.0).cumulative_ratio;
    assert!(before > 0.99, "{why}");
    assert!(at(&sds, 180.0).cumulative_ratio < before - 0.03, "{why}");
    assert!(sds
        .delivery_over_time
        .iter()
        .all(|p| p.eventual_ratio_of_bucket.is_none_or(|v| v == 1.0)));
    assert_eq!(sds.faults.len(), 1);
    assert_eq!((sds.faults[0].start_s, sds.faults[0].end_s), (120.0, 180.0));

    let none_sets = [small.as_slice(), &["protocol=none"]].concat();
    let (_, none) = run("churn.toml", &none_sets);
    assert!(none.summary.delivery_ratio < 1.0);
    // messages published in the window miss the 8 sleepers of 39 receivers (31/39 ~ 0.795)
    for p in &none.delivery_over_time {
        let Some(v) = p.eventual_ratio_of_bucket else {
            continue;
        };
        if p.t_s < 120.0 || p.t_s > 190.0 {
            assert_eq!(v, 1.0, "bucket {}", p.t_s);
        } else if (130.0..=180.0).contains(&p.t_s) {
            assert!((0.7..0.85).contains(&v), "bucket {}: {v}", p.t_s);
        }
    }
    assert!(
        none.summary
            .churn
            .as_ref()
            .expect("churn")
            .publications_skipped
            > 0
    );
}

#[test]
fn degraded_small_matches_its_latency_and_loss_and_sds_recovers() {
    let small = ["participants=20", "duration=3m"];
    let none_sets = [small.as_slice(), &["protocol=none"]].concat();
    let (_, none) = run("degraded.toml", &none_sets);
    let s = &none.summary;
    // 1% Bernoulli loss on ~3,400 pairs: sd sqrt(.01 * .99 / n) ~ 0.0017; allow 5 sd
    let n = s.expected_deliveries as f64;
    let sd = (0.01f64 * 0.99 / n).sqrt();
    assert!(
        (s.delivery_ratio - 0.99).abs() < 5.0 * sd,
        "{}",
        s.delivery_ratio
    );
    assert!(s.copies_lost > 0);
    // normal(200 ms, 50 ms): median 200 ms (SE 1.25 x 50 / sqrt(n) ~ 1.1 ms), p95 200 +
    // 1.645 x 50 = 282 ms (SE sqrt(.95 x .05 / n) / pdf(1.645) x 50 ~ 1.8 ms)
    assert!((s.latency_ms.p50 - 200.0).abs() < 6.0, "{:?}", s.latency_ms);
    assert!((s.latency_ms.p95 - 282.2).abs() < 9.0, "{:?}", s.latency_ms);

    let (_, sds) = run("degraded.toml", &small);
    let why = replay("degraded.toml", &small);
    sane(&sds, &why);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    assert!(sds.summary.delivery_ratio_workload_end < 1.0);
    // a lost copy holds later messages behind it until SDS-R repairs it (T_min 30 s)
    assert!(sds.summary.latency_ms.p99 > 30_000.0, "{why}");
    assert!(sds.summary.repair.messages_requested > 0);
}

#[test]
fn ring_groupchat_small_routes_around_sleepers_and_sds_catches_them_up() {
    // 16 members (links at distances 1, 2, 4 each way), members 8-11 asleep 120-300 s.
    let small = ["participants=16"];
    let why = replay("ring-groupchat.toml", &small);
    let none_sets = [small.as_slice(), &["protocol=none"]].concat();
    let (out, none) = run("ring-groupchat.toml", &none_sets);
    let rec = &out.recorder;
    let sleepers = 8..=11u32;
    for p in 0..16u32 {
        let (e, d) = (
            rec.per_node_expected()[p as usize],
            rec.per_node_delivered()[p as usize],
        );
        if sleepers.contains(&p) {
            assert!(d < e, "sleeper {p}: {d} of {e}");
        } else {
            // online members lose nothing despite 2% loss per hop: the skip links route
            // around lost copies and around the sleepers
            assert_eq!(d, e, "online member {p}");
        }
    }
    assert!(none.summary.copies_lost > 0);
    assert!(none.summary.delivery_ratio < 1.0);

    let (_, sds) = run("ring-groupchat.toml", &small);
    sane(&sds, &why);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    assert_eq!(sds.run.stop_reason, "settled");
    assert_eq!(sds.summary.distinct_final_logs, 1);
}

#[test]
fn new_node_sync_small_joiners_obtain_the_history() {
    // 8 participants; 4 and 5 join at 3 minutes, 6 and 7 at 6 minutes.
    let small = [
        "participants=8",
        "churn.join.0.ids=[4, 5]",
        "churn.join.1.ids=[6, 7]",
    ];
    let why = replay("new-node-sync.toml", &small);
    let (out, sds) = run("new-node-sync.toml", &small);
    sane(&sds, &why);
    assert_eq!(sds.summary.churn.as_ref().expect("churn").joined, 4);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    assert_eq!(sds.run.stop_reason, "settled");
    assert!(sds.summary.delivery_ratio_workload_end < 1.0);
    let rec = &out.recorder;
    let published = rec.messages().len() as u64;
    for j in 4..8u32 {
        let own = rec.messages().iter().filter(|m| m.publisher == j).count() as u64;
        // the whole history is expected of a joiner, and it got it
        assert_eq!(rec.per_node_expected()[j as usize], published - own);
        assert_eq!(rec.per_node_delivered()[j as usize], published - own);
    }
    assert!(sds.summary.repair.requests_sent > 0);

    // without SDS the joiners have only what was published after they joined
    let none_sets = [small.as_slice(), &["protocol=none"]].concat();
    let (out, none) = run("new-node-sync.toml", &none_sets);
    assert!(none.summary.delivery_ratio < 1.0);
    let rec = &out.recorder;
    for p in 0..8usize {
        let (e, d) = (rec.per_node_expected()[p], rec.per_node_delivered()[p]);
        assert_eq!(d == e, p < 4, "participant {p}: {d} of {e}");
    }

    // only post-join messages expected: the history still arrives, counted apart
    let later = [small.as_slice(), &["churn.joiners_expect_history=false"]].concat();
    let (_, r) = run("new-node-sync.toml", &later);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert!(r.summary.expected_deliveries < sds.summary.expected_deliveries);
    assert!(
        r.summary
            .churn
            .as_ref()
            .expect("churn")
            .unexpected_deliveries
            > 0
    );
}

/// Among messages that missed at least one receiver, the share that missed at least three.
fn clustered_misses(out: &RunOutcome) -> f64 {
    let rec = &out.recorder;
    let (mut missed, mut clustered) = (0u32, 0u32);
    for m in 0..rec.messages().len() as u32 {
        let misses = rec
            .expected_deliveries_of(m)
            .filter(|(_, t)| t.is_none())
            .count();
        missed += u32::from(misses >= 1);
        clustered += u32::from(misses >= 3);
    }
    f64::from(clustered) / f64::from(missed.max(1))
}

#[test]
fn bursty_loss_small_counts_gilbert_elliott_losses_in_bursts() {
    let small = ["participants=20", "duration=5m"];
    let why = replay("bursty-loss.toml", &small);
    let none_sets = [small.as_slice(), &["protocol=none"]].concat();
    let (out, none) = run("bursty-loss.toml", &none_sets);
    let s = &none.summary;
    // every loss is the chains' and is counted, group-wide and per sender
    assert!(s.copies_lost > 0);
    assert_eq!(s.copies_lost_gilbert_elliott, s.copies_lost);
    let per_node: u64 = out
        .network
        .traffic()
        .iter()
        .map(|t| t.copies_lost_gilbert_elliott)
        .sum();
    assert_eq!(per_node, s.copies_lost);
    // broadcast without SDS: each lost copy is one missed (message, receiver) pair
    assert_eq!(s.delivered, s.expected_deliveries - s.copies_lost);
    // bursts: a message that misses receivers usually misses several (a burst of ~4 copies
    // of one broadcast); with the same mean loss drawn independently, rarely (~5%)
    let bursty = clustered_misses(&out);
    let bern_sets = [
        none_sets.as_slice(),
        &["network.gilbert_elliott.p=0", "network.loss=0.03846"],
    ]
    .concat();
    let (bern_out, bern) = run("bursty-loss.toml", &bern_sets);
    assert_eq!(bern.summary.copies_lost_gilbert_elliott, 0);
    let independent = clustered_misses(&bern_out);
    assert!(
        bursty > 0.3 && independent < 0.15,
        "GE {bursty}, Bernoulli {independent}"
    );

    let (_, sds) = run("bursty-loss.toml", &small);
    sane(&sds, &why);
    let s = &sds.summary;
    assert_eq!(s.copies_lost_gilbert_elliott, s.copies_lost);
    // Stationary loss rate p / (p + r) = 0.01 / 0.26 over every copy SDS sends (content,
    // sync, repair; ~35,000): with lag-1 correlation 1 - p - r = 0.74 the estimate's sd is
    // sqrt(pq/n x 1.74/0.26) ~ 0.0027; allow 5 sd. (The precise check, 400,000 draws, is
    // src/net/tests.rs.)
    let rate = s.copies_lost as f64 / s.copies_sent as f64;
    let (q, n) = (0.01 / 0.26, s.copies_sent as f64);
    let sd = (q * (1.0 - q) / n * 1.74 / 0.26).sqrt();
    assert!((rate - q).abs() < 5.0 * sd, "loss rate {rate}, sd {sd}");
    // SDS recovers nearly everything (the full file's comment explains the rare message
    // that stays buried: README Finding 1).
    assert!(
        s.delivery_ratio > none.summary.delivery_ratio + 0.03,
        "{why}"
    );
    assert!(s.delivery_ratio >= 0.995, "{why}");
}

/// `light-dm.toml` at full size (0.2 s): SDS delivers everything the phones' telemetry
/// called sent; without it, some of those never arrive, some even "propagated".
#[test]
fn light_dm_sds_closes_the_gap_that_sent_hides() {
    let (_, sds) = run("light-dm.toml", &[]);
    let why = replay("light-dm.toml", &[]);
    sane(&sds, &why);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    assert_eq!(sds.run.stop_reason, "settled", "{why}");
    let l = sds.summary.light.as_ref().expect("light");
    assert_eq!(l.telemetry.sent.not_delivered_to_all, 0, "{why}");
    assert!(sds.summary.delivered_via.resend > 50, "{why}");
    assert!(l.stats.lightpush_no_peer > 0 && l.stats.filter_pushes_to_disconnected > 0);

    let over = ["protocol=none"];
    let (_, none) = run("light-dm.toml", &over);
    let why = replay("light-dm.toml", &over);
    assert!(none.summary.delivery_ratio < 0.97, "{why}");
    let t = &none.summary.light.as_ref().expect("light").telemetry;
    assert!(t.sent.not_delivered_to_all > 50, "{why}");
    assert!(t.propagated.not_delivered_to_all > 50, "{why}");
    assert!(t.causes.lost_in_filter_gap > 50, "{why}");

    let over = ["store.nodes=1", "retrieval.strategy=both"];
    let (_, both) = run("light-dm.toml", &over);
    assert_eq!(
        both.summary.delivery_ratio,
        1.0,
        "{}",
        replay("light-dm.toml", &over)
    );
    assert!(both.summary.delivered_via.store > 50);
}

/// `light-group.toml` at a tenth of its size with trickle sync (the full file takes about a
/// minute): SDS reaches 1.0; LightPush and Filter alone leave messages the senders saw
/// "propagated" missing receivers on the lossy light links.
#[test]
fn light_group_small_sds_repairs_what_filter_loses() {
    let small = [
        "participants=60",
        "light.clients=50",
        "light.service_nodes=2",
        "duration=3m",
        "light.service_offline.0.node=1",
        "light.service_offline.0.start=60s",
        "light.service_offline.0.end=120s",
        "sds.sync.policy=trickle",
    ];
    let (_, sds) = run("light-group.toml", &small);
    let why = replay("light-group.toml", &small);
    sane(&sds, &why);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{why}");
    let l = sds.summary.light.as_ref().expect("light");
    assert_eq!(l.stats.clients, 50);
    assert!(l.stats.subscriptions_lost_restart > 0, "{why}");
    assert_eq!(l.telemetry.sent.not_delivered_to_all, 0, "{why}");

    let mut over = small.to_vec();
    over.push("protocol=none");
    let (_, none) = run("light-group.toml", &over);
    let why = replay("light-group.toml", &over);
    assert!(none.summary.delivery_ratio < 1.0, "{why}");
    let t = &none.summary.light.as_ref().expect("light").telemetry;
    assert!(t.propagated.not_delivered_to_all > 0, "{why}");
}
