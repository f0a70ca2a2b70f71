//! Upper bounds (issue 10): every absurd value of the reproducers is refused at validation,
//! naming the file, the line, the key and the bound; values at the bounds load; the README's
//! "Upper bounds" table lists every bound.

use std::path::{Path, PathBuf};

use super::bounds::{self, bounds};
use super::*;

const ORIGIN: &str = "scenarios/x.toml";

/// A tiny valid base; the case's lines are appended (a table header in a case starts a new
/// table).
const BASE: &str = "participants = 4\nduration = \"60s\"\n";

fn load_src(src: &str, sets: &[&str]) -> Result<Loaded, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(src, Path::new(ORIGIN), None, &sets)
}

#[track_caller]
fn refused(src: &str, sets: &[&str], want: &[&str]) {
    let e = load_src(src, sets).expect_err("expected an error");
    let s = e.to_string();
    assert_eq!(e.kind, ErrorKind::Invalid, "{s}");
    assert!(s.starts_with("scenarios/x.toml: "), "{s}");
    for w in want {
        assert!(s.contains(w), "missing {w:?} in: {s}");
    }
}

/// The reproducers of issue 10, in the file (with the line) and as `--set`.
#[test]
fn absurd_values_are_refused_with_key_line_and_bound() {
    // (file text, line of the key, the same as --set, what the message says after the key)
    let cases: &[(&str, usize, &str, &str, &[&str])] = &[
        ("participants = 1000000000\nduration = \"60s\"\n", 1, "participants=1000000000", "participants", &["must be at most 1,000,000", "got 1000000000"]),
        ("participants = 4294967295\nduration = \"60s\"\n", 1, "participants=4294967295", "participants", &["must be at most 1,000,000"]),
        ("participants = 4\nduration = \"60s\"\n[sds]\nbloom_capacity = 4294967295\n", 4, "sds.bloom_capacity=4294967295", "sds.bloom_capacity", &["must be at most 1,000,000"]),
        ("participants = 4\nduration = \"60s\"\n[store]\nnodes = 100000000\n", 4, "store.nodes=100000000", "store.nodes", &["must be at most 1,000"]),
        ("participants = 4\nduration = \"60s\"\nreport_interval = \"1us\"\n", 3, "report_interval=1us", "report_interval", &["gives 3,660,000,000 points", "duration + drain = 61m", "limit of 100,000", "use report_interval >= 36600us"]),
        ("participants = 4\nduration = \"60s\"\n[workload]\nrate_per_s = 1e308\n", 4, "workload.rate_per_s=1e308", "workload.rate_per_s", &["must be at most 1,000,000 messages/s", "Upper bounds"]),
        ("participants = 4\nduration = \"60s\"\n[workload]\npayload_bytes = 4294967295\n", 4, "workload.payload_bytes=4294967295", "workload.payload_bytes", &["must be at most 153,600", "150 KiB"]),
        ("participants = 4\nduration = \"60s\"\n[workload.direct]\nconversations = 2000000\nrate_per_s = 1.0\n", 4, "workload.direct.conversations=2000000", "workload.direct.conversations", &["must be at most 1,000,000"]),
        ("participants = 4\nduration = \"60s\"\n[workload]\nrate_per_s = 1000000\n", 4, "workload.rate_per_s=1000000", "workload.rate_per_s", &["the run would publish ~60,000,000 content messages", "limit of 10,000,000"]),
    ];
    for (text, line, set, key, want) in cases {
        // In the file: the key's line and the key.
        let head = format!("line {line}: {key}: ");
        let mut in_file = want.to_vec();
        in_file.push(&head);
        refused(text, &[], &in_file);
        // As --set on a valid base: the --set is named (it names the key).
        let named = format!("--set {key}=");
        let mut with_set = want.to_vec();
        with_set.push(&named);
        let base = if key.starts_with("workload.direct") {
            "participants = 4\nduration = \"60s\"\n[workload.direct]\nconversations = 1\nrate_per_s = 1.0\n"
        } else {
            BASE
        };
        refused(base, &[set], &with_set);
    }
}

#[test]
fn scripted_publications_that_never_end_are_refused() {
    let src = "participants = 4\nduration = \"60s\"\n[workload]\nrate_per_s = 0\n\
               [[workload.publish]]\nat = \"1s\"\nsender = 0\ncount = 4294967295\ninterval = \"0s\"\n";
    refused(
        src,
        &[],
        &["line 8: workload.publish.0.count: must be at most 10,000,000"],
    );
    // Many entries of 10M each: the total names the scripted publications.
    let mut many = "participants = 4\nduration = \"60s\"\n[workload]\nrate_per_s = 0\n".to_string();
    for _ in 0..2 {
        many.push_str("[[workload.publish]]\nat = \"1s\"\nsender = 0\ncount = 6000000\n");
    }
    refused(
        &many,
        &[],
        &["workload.publish: the run would publish ~12,000,000 content messages"],
    );
    // At the bound it loads.
    let ok = "participants = 4\nduration = \"60s\"\n[workload]\nrate_per_s = 0\n\
              [[workload.publish]]\nat = \"1s\"\nsender = 0\ncount = 10000000\n";
    load_src(ok, &[]).expect("10,000,000 messages at once load");
}

#[test]
fn message_size_must_fit_the_core_limit() {
    // 600,000 elements at 0.001 is a 1.125 MB filter: over 1 MiB.
    refused(
        BASE,
        &["sds.bloom_capacity=600000"],
        &[
            "messages would be up to",
            "over the core's 1 MiB message limit",
            "raise sds.bloom_error_rate",
        ],
    );
    // The same capacity at a higher error rate fits (5 bits per element).
    load_src(
        BASE,
        &["sds.bloom_capacity=600000", "sds.bloom_error_rate=0.05"],
    )
    .expect("fits");
    // A tiny error rate makes even the default capacity too large.
    refused(
        BASE,
        &["sds.bloom_error_rate=1e-300"],
        &["sds.bloom_capacity: messages would be up to"],
    );
    // A big payload with the default filter still fits.
    load_src(BASE, &["workload.payload_bytes=153600"]).expect("payload at the bound");
    // The baseline protocol carries no filter.
    load_src(BASE, &["protocol=none", "sds.bloom_capacity=600000"]).expect("none: no filter");
    let s = load_src(BASE, &[]).unwrap().scenario;
    // Default: 1 KB payload + 18,752-byte filter + 200 history entries (js-waku 0.0.8) +
    // overhead.
    assert_eq!(
        bounds::max_message_bytes(&s),
        1024 + 18_752 + 200 * 112 + 1024
    );
}

#[test]
fn other_bounds() {
    let cases: &[(&str, &[&str])] = &[
        ("duration=8761h", &["--set duration=8761h: must be at most 8760h (365 days of simulated time), got 8761h"]),
        ("drain=9000h", &["--set drain=9000h: must be at most 8760h"]),
        ("epoch_unix_ms=18446744073709551", &["--set epoch_unix_ms=18446744073709551: must be at most 253,402,300,799,999"]),
        ("sds.max_resends=4294967295", &["--set sds.max_resends=4294967295: must be at most 1,000"]),
        ("sds.repair.max_requests=100000", &["--set sds.repair.max_requests=100000: must be at most 1,000"]),
        ("sds.repair.response_groups=4000000", &["--set sds.repair.response_groups=4000000: must be at most 1,000,000"]),
        ("sds.resend_interval=999us", &["--set sds.resend_interval=999us: must be at least 1ms"]),
        ("sds.sync.interval=1us", &["--set sds.sync.interval=1us: must be at least 1ms"]),
        ("workload.direct={ conversations = 1, rate_per_s = 1e9 }", &["workload.direct.rate_per_s: must be at most 1,000,000 messages/s"]),
        ("node_classes=[{ name = \"a\", fraction = 0.5, uplink_bps = 2000000000000 }]", &["node_classes.0.uplink_bps: must be at most 1,000,000,000,000"]),
    ];
    for (set, want) in cases {
        // The key is named by the --set, or after it when the error is about another key.
        refused(BASE, &[set], want);
    }
}

#[test]
fn list_lengths_are_bounded() {
    // 1,001 partitions.
    let mut p = BASE.to_string();
    for _ in 0..1001 {
        p.push_str("[[partitions]]\nstart = \"1s\"\nheal = \"2s\"\nisolate = [1]\n");
    }
    refused(
        &p,
        &[],
        &["line 3: partitions: has 1,001 entries, more than the limit of 1,000"],
    );
    // The rest are checked on the deserialized scenario (large TOML texts are slow to parse).
    let base = load_src("participants = 70000\nduration = \"60s\"\n", &[])
        .unwrap()
        .scenario;
    let check = |edit: &dyn Fn(&mut Scenario), want: &str| {
        let mut s = base.clone();
        edit(&mut s);
        let e = super::validate_for_tests(&s).expect_err(want);
        assert!(e.contains(want), "missing {want:?} in: {e}");
    };
    let window = Partition {
        start: SimDuration::from_secs(1),
        heal: SimDuration::from_secs(2),
        fractions: None,
        ids: None,
        isolate: None,
        direction: Default::default(),
    };
    // 65,535 groups in one partition: group indexes are 16-bit.
    check(
        &|s| {
            s.partitions.push(Partition {
                ids: Some((0..65_535).map(|i| vec![i]).collect()),
                ..window.clone()
            })
        },
        "partitions.0.ids: has 65,535 groups, more than the limit of 65,534 (group indexes are 16-bit",
    );
    check(
        &|s| {
            s.partitions.push(Partition {
                isolate: Some((0..65_535).collect()),
                ..window.clone()
            })
        },
        "partitions.0.isolate: has 65,535 ids, more than the limit of 65,534",
    );
    let offline = OfflineWindow {
        ids: vec![1],
        start: SimDuration::from_secs(1),
        end: Some(SimDuration::from_secs(2)),
    };
    check(
        &|s| s.churn.offline = vec![offline.clone(); 100_001],
        "churn.offline: has 100,001 entries, more than the limit of 100,000",
    );
    check(
        &|s| {
            s.churn.offline = vec![OfflineWindow {
                ids: vec![1; 1_000_001],
                ..offline.clone()
            }]
        },
        "churn.offline.0.ids: has 1,000,001 ids, more than the limit of 1,000,000",
    );
    check(
        &|s| {
            s.network.degradations = vec![
                Degradation {
                    start: SimDuration::from_secs(1),
                    end: SimDuration::from_secs(2),
                    extra_latency: SimDuration::ZERO,
                    loss: 0.0,
                    ids: None,
                };
                1_001
            ]
        },
        "network.degradations: has 1,001 entries, more than the limit of 1,000",
    );
    check(
        &|s| {
            s.store.nodes = 1;
            s.store.offline = vec![
                StoreOffline {
                    node: 0,
                    start: SimDuration::from_secs(1),
                    end: SimDuration::from_secs(2),
                };
                100_001
            ]
        },
        "store.offline: has 100,001 entries",
    );
}

#[test]
fn values_at_the_bounds_load() {
    let l = load_src(
        "participants = 1000000\nduration = \"8760h\"\ndrain = \"0s\"\nreport_interval = \"316s\"\n\
         epoch_unix_ms = 253402300799999\n[workload]\nrate_per_s = 0.3\npayload_bytes = 153600\n\
         [store]\nnodes = 1000\n[sds]\nmax_resends = 1000\nresend_interval = \"1ms\"\n",
        &[],
    )
    .expect("loads");
    assert_eq!(l.scenario.participants, bounds::MAX_PARTICIPANTS);
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `scenarios/README.md` has an "Upper bounds" table with a row per bound: `| key | limit |`.
#[test]
fn readme_lists_every_bound() {
    let readme = std::fs::read_to_string(repo("scenarios/README.md")).unwrap();
    let section = readme
        .split("## Upper bounds")
        .nth(1)
        .expect("scenarios/README.md has a \"## Upper bounds\" section");
    let section = section.split("\n## ").next().unwrap_or(section);
    for b in bounds() {
        let row = format!("| `{}` | {} |", b.key, b.limit);
        assert!(
            section.contains(&row),
            "scenarios/README.md \"Upper bounds\" lacks the row starting {row:?} (reason: {})",
            b.reason
        );
    }
}

/// `--set seed=18446744073709551615` works like `--seed 18446744073709551615` (issue 10,
/// "Smaller gaps"): TOML integers stop at i64::MAX.
#[test]
fn set_seed_takes_any_u64() {
    let l = load_src(BASE, &["seed=18446744073709551615"]).expect("u64::MAX seed");
    assert_eq!(l.scenario.seed, u64::MAX);
    let via_flag = load_str(BASE, Path::new(ORIGIN), Some(u64::MAX), &[]).unwrap();
    assert_eq!(l.scenario, via_flag.scenario);
    assert_eq!(l.config_hash, via_flag.config_hash);
    // Later overrides win, in order; --seed wins over all.
    let l = load_src(BASE, &["seed=18446744073709551615", "seed=5"]).unwrap();
    assert_eq!(l.scenario.seed, 5);
    let l = load_src(BASE, &["seed=5", "seed=9223372036854775808"]).unwrap();
    assert_eq!(l.scenario.seed, 9_223_372_036_854_775_808);
    let l = load_str(
        BASE,
        Path::new(ORIGIN),
        Some(3),
        &["seed=18446744073709551615".into()],
    );
    assert_eq!(l.unwrap().scenario.seed, 3);
    // Past u64 and non-numbers stay errors naming the --set.
    let e = load_src(BASE, &["seed=18446744073709551616"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--set seed=18446744073709551616"), "{e}");
    let e = load_src(BASE, &["seed=-1"]).unwrap_err().to_string();
    assert!(e.contains("--set seed=-1"), "{e}");
    let e = load_src(BASE, &["seed=\"5\""]).unwrap_err().to_string();
    assert!(e.contains("--set seed=5"), "{e}");
}
