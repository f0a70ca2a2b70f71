//! `sim swarm` (issue 15): drawing is a function of (seed, index) and always valid, the
//! output does not depend on `--jobs`, a known liveness failure (the one-way partition of
//! README Finding 9) is detected, shrunk and still fails when replayed, properties fail on
//! bad figures, bad swarm files are refused with the key named.

mod common;

use std::path::{Path, PathBuf};

use common::sim;
use sdsim::swarm::{self, draw::to_text, Facts, Property, Verdict};

fn library(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/swarm")
        .join(name)
}

/// A small, fast swarm (a few seconds of simulated time per scenario) with failures.
const TINY: &str = r#"
name = "tiny"
determinism_every = 3
shrink_runs = 8
[scenario]
participants = [3, 5]
duration = ["20s", "40s"]
drain = ["10m", "10m"]
rate_per_s = [1.0, 2.0]
payload_bytes = [64, 64]
[sds]
causal_history = [2, 4]
sync_policy = ["off"]
[faults.partitions]
probability = 0.8
one_way = 0.5
uneven = 0.5
[faults.loss]
probability = 0.5
rate = [0.01, 0.2]
"#;

#[test]
fn drawing_depends_only_on_seed_and_index_and_is_always_valid() {
    for file in ["liveness.toml", "broad.toml", "ci-safety.toml"] {
        let spec = swarm::load(&library(file)).unwrap_or_else(|e| panic!("{e}"));
        for k in 0..150 {
            let a = swarm::draw(&spec, 7, k);
            let b = swarm::draw(&spec, 7, k);
            assert_eq!(a, b, "{file} scenario {k}");
            let text = to_text(&a.doc);
            sdsim::scenario::load_str(&text, &library("x.toml"), None, &[])
                .unwrap_or_else(|e| panic!("{file} scenario {k} is invalid: {e}\n{text}"));
        }
        let differs = (0..10).any(|k| swarm::draw(&spec, 7, k).doc != swarm::draw(&spec, 8, k).doc);
        assert!(differs, "{file}: another seed draws other scenarios");
    }
}

#[test]
fn jobs_do_not_change_the_output_and_failures_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("tiny.toml"), TINY).unwrap();
    let mut csv = Vec::new();
    for jobs in ["1", "2"] {
        let out = format!("out{jobs}");
        let o = sim(
            &[
                "swarm",
                "tiny.toml",
                "--seed",
                "3",
                "--count",
                "8",
                "--jobs",
                jobs,
                "--out",
                &out,
                "--quiet",
            ],
            tmp.path(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        let text = std::fs::read_to_string(tmp.path().join(&out).join("swarm.csv")).unwrap();
        assert_eq!(text.lines().count(), 9, "{text}");
        assert!(text.contains("FAIL"), "{text}");
        let failures = std::fs::read_dir(tmp.path().join(&out).join("failures"))
            .unwrap()
            .count();
        assert!(failures >= 2, "{failures}");
        csv.push(text);
    }
    assert_eq!(csv[0], csv[1], "swarm.csv differs between --jobs 1 and 2");
    // A shard holds exactly its rows of the whole swarm.
    let o = sim(
        &[
            "swarm",
            "tiny.toml",
            "--seed",
            "3",
            "--count",
            "8",
            "--shard",
            "2/3",
            "--out",
            "shard",
            "--quiet",
            "--no-shrink",
        ],
        tmp.path(),
    );
    assert!(o.status.code().is_some_and(|c| c <= 1));
    let shard = std::fs::read_to_string(tmp.path().join("shard/swarm.csv")).unwrap();
    let idx: Vec<&str> = shard
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(idx, ["1", "4", "7"]);
    let whole: Vec<&str> = csv[0].lines().collect();
    for l in shard.lines().skip(1) {
        let i: usize = l.split(',').next().unwrap().parse().unwrap();
        // Same verdicts and figures; only the reproducers column differs (no shrinking).
        let cut = |s: &str| s.rsplit_once(',').unwrap().0.to_string();
        assert_eq!(cut(l), cut(whole[i + 1]));
    }
}

const ONE_WAY: &str = r#"
name = "one-way"
participants = 5
duration = "300s"
drain = "60m"
[sds]
causal_history = 10
bloom_capacity = 10000
bloom_error_rate = 0.001
[sds.repair]
enabled = true
[sds.sync]
policy = "periodic"
[[partitions]]
start = "60s"
heal = "300s"
ids = [[0, 1]]
direction = "one-way"
"#;

#[test]
fn the_one_way_partition_failure_is_found_shrunk_and_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("one-way.toml");
    std::fs::write(&file, ONE_WAY).unwrap();
    let c = swarm::check_text(ONE_WAY, &file, &Property::ALL, false).unwrap();
    match c.verdict(Property::Liveness) {
        Verdict::Fail(m) => assert!(m.contains("delivery ratio 0.81"), "{m}"),
        v => panic!("liveness: {v:?}"),
    }
    assert_eq!(c.verdict(Property::Safety), &Verdict::Pass);
    let o = sim(
        &["swarm", "--shrink", "one-way.toml", "--shrink-runs", "25"],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let min = std::fs::read_to_string(tmp.path().join("one-way-min.toml")).unwrap();
    assert!(
        min.starts_with("# Minimal reproducer of property liveness"),
        "{min}"
    );
    assert!(min.contains("# Removed or reduced"), "{min}");
    assert!(min.len() < ONE_WAY.len() + 2_000);
    // The shrunk file is a plain scenario that still fails.
    let c = swarm::check_text(&min, &file, &[Property::Liveness], false).unwrap();
    assert!(c.verdict(Property::Liveness).failed(), "{min}");
    let o = sim(
        &["run", "one-way-min.toml", "--quiet", "--out", "replay"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    let report = std::fs::read_to_string(tmp.path().join("replay/report.json")).unwrap();
    assert!(
        !report.contains("\"delivery_ratio\": 1.0,"),
        "replay delivers all"
    );
    // A second shrink replaces the reproducer this tool wrote, never a user's file.
    std::fs::write(tmp.path().join("mine.toml"), ONE_WAY).unwrap();
    std::fs::write(tmp.path().join("mine-min.toml"), "# my notes\n").unwrap();
    let o = sim(
        &["swarm", "--shrink", "mine.toml", "--shrink-runs", "1"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("mine-min.toml")).unwrap(),
        "# my notes\n"
    );
}

#[test]
fn safety_fails_on_a_fabricated_bad_summary_of_a_real_run() {
    let text = "participants = 3\nduration = \"10s\"\ndrain = \"10m\"\n";
    let loaded = common::load_toml(text);
    let (_, report) = sdsim::simulate(&loaded, &mut |_| {}).unwrap();
    let facts = Facts::of(&loaded.scenario, &report);
    assert_eq!(swarm::property::safety(&facts), Verdict::Pass);
    assert!(facts.liveness_applies);
    assert_eq!(swarm::property::liveness(&facts), Verdict::Pass);
    let mut bad = report.clone();
    bad.summary.duplicates_delivered = 2;
    *bad.summary.bytes_by_kind.get_mut("sync").unwrap() += 1;
    match swarm::property::safety(&Facts::of(&loaded.scenario, &bad)) {
        Verdict::Fail(m) => assert!(
            m.contains("duplicate") && m.contains("bytes by kind"),
            "{m}"
        ),
        v => panic!("{v:?}"),
    }
    let mut bad = report;
    bad.summary.delivery_ratio = 0.5;
    bad.summary.distinct_final_logs = 2;
    assert!(swarm::property::liveness(&Facts::of(&loaded.scenario, &bad)).failed());
}

#[test]
fn bad_swarm_files_and_options_exit_2_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[scenario]\nparticipants = [9, 3]\n",
            "scenario.participants",
        ),
        ("[faults.loss]\nprobability = 0.5\n", "rate"),
        ("[sds]\nsync_policy = [\"sometimes\"]\n", "sds.sync_policy"),
        ("colour = 1\n", "colour"),
    ];
    for (text, key) in cases {
        std::fs::write(tmp.path().join("bad.toml"), text).unwrap();
        let o = sim(
            &["swarm", "bad.toml", "--seed", "1", "--count", "2"],
            tmp.path(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        assert!(
            err.contains("bad.toml") && err.contains(key),
            "{text}: {err}"
        );
    }
    std::fs::write(tmp.path().join("ok.toml"), "").unwrap();
    let o = sim(&["swarm", "ok.toml", "--seed", "1"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--count"));
}

#[test]
fn a_fault_free_swarm_passes_with_exit_0() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("calm.toml"),
        "determinism_every = 2\n[scenario]\nparticipants = [2, 4]\nduration = [\"5s\", \"10s\"]\n\
         drain = [\"10m\", \"10m\"]\n",
    )
    .unwrap();
    let o = sim(
        &[
            "swarm",
            "calm.toml",
            "--seed",
            "1",
            "--count",
            "4",
            "--out",
            "o",
            "--quiet",
        ],
        tmp.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let csv = std::fs::read_to_string(tmp.path().join("o/swarm.csv")).unwrap();
    assert!(!csv.contains("FAIL"));
    assert_eq!(csv.matches(",pass,pass,pass,pass,").count(), 2, "{csv}");
}
