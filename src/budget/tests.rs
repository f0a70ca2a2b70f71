//! The memory estimate: calibration against measured runs, the parts that drive it, limits.

use std::path::{Path, PathBuf};

use super::*;
use crate::scenario;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn load(file: &str, sets: &[&str]) -> Loaded {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(&repo(file), None, &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn load_text(text: &str, sets: &[&str]) -> Loaded {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load_str(text, &repo("scenarios/inline.toml"), None, &sets)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Measured `peak_rss_bytes` (perf.json, release build, seed 1, the 2-core development
/// machine; the module docs' table) of real runs.
const MEASURED: &[(&str, &[&str], u64)] = &[
    ("scenarios/partition.toml", &[], 104_837_120),
    ("scenarios/partition.toml", &["partitions=[]"], 71_438_336),
    (
        "scenarios/partition.toml",
        &["sds.repair.enabled=false"],
        234_938_368,
    ),
    ("scenarios/partition.toml", &["protocol=none"], 37_847_040),
    ("scenarios/direct-messages.toml", &[], 100_540_416),
    (
        "scenarios/large-group-10k.toml",
        &["participants=1000"],
        94_334_976,
    ),
    (
        "scenarios/large-group-10k.toml",
        &["participants=5000"],
        329_408_512,
    ),
    ("scenarios/large-group-10k.toml", &[], 576_868_352),
    ("scenarios/large-group-100k.toml", &[], 1_807_806_464),
    ("scenarios/relay-1k.toml", &[], 105_123_840),
    ("scenarios/ring-groupchat.toml", &[], 21_286_912),
    ("scenarios/churn.toml", &[], 69_222_400),
    ("scenarios/new-node-sync.toml", &[], 25_153_536),
    ("scenarios/bursty-loss.toml", &[], 46_301_184),
    ("scenarios/degraded.toml", &[], 50_487_296),
    ("scenarios/community-history.toml", &[], 54_554_624),
];

/// Every estimate is within a factor of 2 of its measurement (and so the model's
/// coefficients cannot drift unnoticed).
#[test]
fn calibrated_within_a_factor_of_two() {
    let mut report = String::new();
    let mut worst: f64 = 1.0;
    for (file, sets, measured) in MEASURED {
        let e = estimate(&load(file, sets));
        let ratio = e.total_bytes() as f64 / *measured as f64;
        report.push_str(&format!(
            "{file} {sets:?}: estimate {} measured {} ratio {ratio:.2}\n",
            human(e.total_bytes() as f64),
            human(*measured as f64)
        ));
        worst = worst.max(ratio).max(1.0 / ratio);
    }
    assert!(
        worst <= 2.0,
        "an estimate is off by more than 2x:\n{report}"
    );
}

/// Print every part of the calibration runs' estimates:
/// `cargo test --release --lib print_calibration -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_calibration() {
    for (file, sets, measured) in MEASURED {
        let e = estimate(&load(file, sets));
        println!(
            "{file} {sets:?}: {} (measured {}, ratio {:.2})",
            human(e.total_bytes() as f64),
            human(*measured as f64),
            e.total_bytes() as f64 / *measured as f64
        );
        for p in &e.parts {
            println!("   {:>10}  {}: {}", human(p.bytes), p.what, p.driver);
        }
    }
}

const TINY: &str = "participants = 3\nduration = \"2s\"\n";

#[test]
fn the_largest_part_names_its_key() {
    // A million participants of an hour-long group: the local logs dominate.
    let e = estimate(&load_text(
        "participants = 1000000\nduration = \"1h\"\nreport_interval = \"1m\"\n",
        &[],
    ));
    let p = e.largest();
    assert!(p.what.starts_with("local logs"), "{p:?}");
    assert!(
        p.driver.contains("participants = 1000000 x 3600 messages"),
        "{}",
        p.driver
    );
    assert!(
        p.driver.contains("workload.rate_per_s = 1 x duration = 1h"),
        "{}",
        p.driver
    );
    assert!(e.total_bytes() > 100_000_000_000, "{}", e.summary());
    // A store node keeping a fast stream of big messages.
    let e = estimate(&load_text(
        TINY,
        &[
            "duration=1h",
            "store.nodes=3",
            "workload.rate_per_s=50",
            "workload.payload_bytes=100000",
        ],
    ));
    assert!(e.largest().what.contains("store nodes"), "{}", e.summary());
    assert!(
        e.largest().driver.contains("store.nodes = 3"),
        "{}",
        e.summary()
    );
    // Bloom filters of a million elements in many direct conversations: each message
    // carries its sender's 312,504-byte filter, and the stored messages dominate; the
    // filters themselves stay sparse (a few double-hashing pairs each).
    let text = "participants = 2000\nduration = \"1m\"\n[workload]\ngroup = false\n\
                rate_per_s = 0\n[workload.direct]\nconversations = 100000\nrate_per_s = 0.001\n\
                [sds]\nbloom_capacity = 500000\nbloom_error_rate = 0.1\n";
    let e = estimate(&load_text(text, &[]));
    assert!(
        e.largest().what.contains("message bytes"),
        "{}",
        e.summary()
    );
    assert!(
        e.largest().driver.contains("bloom filter"),
        "{}",
        e.summary()
    );
    let core = |e: &Estimate| {
        e.parts
            .iter()
            .find(|p| p.what.starts_with("core state"))
            .expect("core state")
            .clone()
    };
    let sparse = core(&e);
    assert!(
        sparse.driver.contains("200000 channel memberships")
            && sparse.driver.contains("up to 32 bytes per bloom filter")
            && sparse.driver.contains("312504 bytes when dense"),
        "{}",
        sparse.driver
    );
    // 100 conversations, an hour of 10 messages/s each: one pair a message, dense after
    // 19,531 messages.
    let e = estimate(&load_text(
        text,
        &[
            "duration=1h",
            "workload.direct.conversations=100",
            "workload.direct.rate_per_s=10",
        ],
    ));
    let dense = core(&e);
    assert!(
        dense.driver.contains("up to 312504 bytes per bloom filter"),
        "{}",
        dense.driver
    );
    assert!(dense.bytes > 200.0 * 312_504.0, "{}", dense.bytes);
    // A relay flood with periodic sync.
    let e = estimate(&load_text(
        TINY,
        &[
            "participants=100000",
            "network.dissemination=relay",
            "sds.sync.interval=1s",
            "report_interval=1s",
        ],
    ));
    assert!(e.largest().what.contains("event queue"), "{}", e.summary());
    assert!(
        e.largest().driver.contains("network.dissemination = relay"),
        "{}",
        e.summary()
    );
}

#[test]
fn more_participants_or_messages_never_need_less() {
    let mut last = 0;
    for n in [10, 100, 1_000, 10_000, 100_000, 1_000_000] {
        let e = estimate(&load_text(TINY, &[&format!("participants={n}")])).total_bytes();
        assert!(e > last, "{n}: {e} <= {last}");
        last = e;
    }
    let mut last = 0;
    for rate in [0.1, 1.0, 10.0, 100.0, 1000.0] {
        let e = estimate(&load_text(TINY, &[&format!("workload.rate_per_s={rate}")])).total_bytes();
        assert!(e > last, "{rate}: {e} <= {last}");
        last = e;
    }
}

/// The largest values the bounds allow give a finite estimate (f64 throughout).
#[test]
fn never_overflows() {
    let e = estimate(&load_text(
        "participants = 1000000\nduration = \"8760h\"\nreport_interval = \"316s\"\n\
         [workload]\nrate_per_s = 0.3\npayload_bytes = 153600\n\
         [[workload.publish]]\nat = \"0s\"\nsender = 0\ncount = 500000\n\
         [network]\ndissemination = \"ring\"\n\
         [network.latency]\ndistribution = { kind = \"pareto\", scale = \"8760h\", shape = 0.5 }\n\
         [store]\nnodes = 1000\n[sds]\ncausal_history = 1000\nbloom_capacity = 50000\n\
         [sds.sync]\ninterval = \"1ms\"\n",
        &[],
    ));
    assert!(e.heap_bytes().is_finite(), "{e:?}");
    assert_eq!(e.total_bytes(), u64::MAX, "{}", e.summary());
    assert!(check(&e, u64::MAX - 1, LimitSource::Flag).is_err());
}

#[test]
fn refusals_name_the_estimate_the_limit_and_the_key() {
    let e = estimate(&load_text(TINY, &[]));
    assert!(check(&e, e.total_bytes(), LimitSource::Flag).is_ok());
    let err = check(&e, 1 << 20, LimitSource::Flag)
        .unwrap_err()
        .to_string();
    for want in [
        "the run needs an estimated",
        "more than the limit of 1.0 MB (--max-memory)",
        "the largest part: participants = 3",
        "Memory estimate",
    ] {
        assert!(err.contains(want), "{want:?} not in: {err}");
    }
    let err = check(&e, 1 << 20, LimitSource::Available)
        .unwrap_err()
        .to_string();
    assert!(err.contains("MemAvailable"), "{err}");
}

#[test]
fn sweeps_count_the_largest_runs_at_once() {
    let small = estimate(&load_text(TINY, &[]));
    let big = estimate(&load_text(TINY, &["participants=20000"]));
    let totals = [small.total_bytes(), big.total_bytes(), big.total_bytes()];
    let one = concurrent_bytes(&totals, 1);
    let two = concurrent_bytes(&totals, 2);
    assert_eq!(one, big.total_bytes());
    assert!(
        two > one && two < 2 * one,
        "the baseline counts once: {two} vs {one}"
    );
    assert!(check_sweep(&big, &totals, 2, two, LimitSource::Flag).is_ok());
    let err = check_sweep(&big, &totals, 2, two - 1, LimitSource::Flag)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 runs at once") && err.contains("Use --jobs 1"),
        "{err}"
    );
    let err = check_sweep(&big, &totals, 3, one - 1, LimitSource::Flag)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Even one run"), "{err}");
    // More threads than runs: only the runs count.
    assert!(check_sweep(
        &small,
        &totals[..1],
        64,
        small.total_bytes(),
        LimitSource::Flag
    )
    .is_ok());
}

#[test]
fn sizes_parse_in_binary_units() {
    assert_eq!(parse_size("8G"), Ok(8 << 30));
    assert_eq!(parse_size("500M"), Ok(500 << 20));
    assert_eq!(parse_size("500MiB"), Ok(500 << 20));
    assert_eq!(parse_size("1.5g"), Ok(3 << 29));
    assert_eq!(parse_size("64k"), Ok(64 << 10));
    assert_eq!(parse_size("2T"), Ok(2 << 40));
    assert_eq!(parse_size("1000"), Ok(1000));
    assert_eq!(parse_size("none"), Ok(u64::MAX));
    assert_eq!(
        parse_size("1e30G"),
        Err("invalid size \"1e30G\": unknown unit (use K, M, G or T, e.g. 8G or 500M)".into())
    );
    for bad in ["", "G", "0", "0.1", "-1G", "8X", "8 GB extra", "nan"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}

#[test]
fn meminfo_is_read() {
    let text =
        "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   23798176 kB\n";
    assert_eq!(parse_meminfo(text), Some(23_798_176 * 1024));
    assert_eq!(parse_meminfo("MemTotal: 1 kB\n"), None);
    assert_eq!(parse_meminfo("MemAvailable: lots\n"), None);
}
