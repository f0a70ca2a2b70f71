//! `sim sweep` and `sim merge`: results independent of `--jobs`, sharded-and-merged equal to
//! unsharded, complete outputs, and bad input rejected with exit code 2 naming the sweep file
//! and key.

mod common;

use std::path::Path;
use std::process::Output;

use common::sim;

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

const BASE: &str = r#"
participants = 4
duration = "20s"
drain = "2m"
[workload]
rate_per_s = 1.0
payload_bytes = 32
[network.latency]
distribution = { kind = "uniform", min = "10ms", max = "40ms" }
[sds.repair]
t_min = "2s"
t_max = "5s"
"#;

/// 2 parameters x 3 values x 3 seeds.
const SWEEP: &str = r#"
base = "base.toml"
seeds = 3
metrics = ["delivery_ratio", "latency_ms.p99", "bytes_sent", "bytes_by_kind.sync"]
[set]
"sds.sync.interval" = "5s"
[sweep]
"network.loss" = [0.0, 0.1, 0.3]
"sds.causal_history" = { from = 2, to = 10, step = 4 }
"#;

/// Files that must be byte-identical between two outputs of one sweep.
const COMPARED: [&str; 7] = [
    "sweep.csv",
    "sweep.json",
    "sweep_points.csv",
    "summary.txt",
    "plots/delivery_ratio-vs-network.loss.svg",
    "plots/bytes_sent-vs-sds.causal_history.svg",
    "plots/latency_ms.p99-vs-sds.causal_history.png",
];

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("base.toml"), BASE).expect("write");
    std::fs::write(tmp.path().join("grid.toml"), SWEEP).expect("write");
    tmp
}

fn assert_same(a: &Path, b: &Path) {
    for f in COMPARED {
        let x = std::fs::read(a.join(f)).unwrap_or_else(|e| panic!("{}: {e}", a.join(f).display()));
        let y = std::fs::read(b.join(f)).unwrap_or_else(|e| panic!("{}: {e}", b.join(f).display()));
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn jobs_1_and_2_give_identical_outputs() {
    let tmp = setup();
    let dir = tmp.path();
    ok(&sim(
        &[
            "sweep",
            "grid.toml",
            "--jobs",
            "1",
            "--out",
            "j1",
            "--quiet",
        ],
        dir,
    ));
    ok(&sim(
        &[
            "sweep",
            "grid.toml",
            "--jobs",
            "2",
            "--out",
            "j2",
            "--quiet",
        ],
        dir,
    ));
    assert_same(&dir.join("j1"), &dir.join("j2"));

    // The output is complete: one CSV row per (point, seed), points with statistics, plots.
    let csv = std::fs::read_to_string(dir.join("j1/sweep.csv")).expect("csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(
        &header[..8],
        [
            "point",
            "seed",
            "network.loss",
            "sds.causal_history",
            "delivery_ratio",
            "latency_ms.p99",
            "bytes_sent",
            "bytes_by_kind.sync"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 27);
    assert_eq!(&rows[0][..4], ["0", "1", "0.0", "2"]);
    assert_eq!(&rows[4][..4], ["1", "2", "0.0", "6"]);
    assert_eq!(&rows[26][..4], ["8", "3", "0.3", "10"]);
    // Seeds differ: not every row of a point has the same bytes.
    assert!(
        rows[9][6] != rows[10][6] || rows[10][6] != rows[11][6],
        "{rows:?}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("j1/sweep.json")).expect("json"))
            .expect("json");
    assert_eq!(json["points"].as_array().expect("points").len(), 9);
    assert_eq!(json["rows"].as_array().expect("rows").len(), 27);
    assert!(json.get("shard").is_none());
    let stat = &json["points"][3]["stats"]["delivery_ratio"];
    for k in [
        "runs",
        "mean",
        "stddev",
        "ci95_low",
        "ci95_high",
        "min",
        "max",
    ] {
        assert!(stat.get(k).is_some(), "stats lack {k}: {stat}");
    }
    assert_eq!(stat["runs"], 3);
    let points = std::fs::read_to_string(dir.join("j1/sweep_points.csv")).expect("points");
    assert_eq!(points.lines().count(), 10);
    assert!(points.starts_with("point,network.loss,sds.causal_history,config_hash,runs,delivery_ratio.mean,delivery_ratio.ci95_low"));
    for m in [
        "delivery_ratio",
        "latency_ms.p99",
        "bytes_sent",
        "bytes_by_kind.sync",
    ] {
        for p in ["network.loss", "sds.causal_history"] {
            for ext in ["png", "svg"] {
                let f = dir.join(format!("j1/plots/{m}-vs-{p}.{ext}"));
                assert!(f.is_file(), "missing {}", f.display());
            }
        }
    }
    let perf = std::fs::read_to_string(dir.join("j1/perf.json")).expect("perf");
    assert!(perf.contains("wall_time_s"));
    assert!(!std::fs::read_to_string(dir.join("j1/sweep.json"))
        .expect("json")
        .contains("wall"));
}

#[test]
fn sharded_then_merged_equals_unsharded() {
    let tmp = setup();
    let dir = tmp.path();
    ok(&sim(
        &["sweep", "grid.toml", "--out", "whole", "--quiet"],
        dir,
    ));
    for k in ["1/2", "2/2"] {
        let out = format!("s{}", &k[..1]);
        ok(&sim(
            &["sweep", "grid.toml", "--shard", k, "--out", &out, "--quiet"],
            dir,
        ));
    }
    // A shard holds only its rows and no aggregates.
    let shard: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("s1/sweep.json")).expect("json"))
            .expect("json");
    assert_eq!(shard["shard"]["index"], 1);
    assert_eq!(shard["rows"].as_array().expect("rows").len(), 14);
    assert!(!dir.join("s1/sweep_points.csv").exists());
    // Shards in any order.
    ok(&sim(
        &["merge", "s2", "s1", "--out", "merged", "--quiet"],
        dir,
    ));
    assert_same(&dir.join("whole"), &dir.join("merged"));

    // Three shards (one per machine, say) merge to the same result too.
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = format!("t{k}");
        ok(&sim(
            &[
                "sweep",
                "grid.toml",
                "--shard",
                &shard,
                "--out",
                &out,
                "--quiet",
            ],
            dir,
        ));
    }
    ok(&sim(
        &["merge", "t1", "t2", "t3", "--out", "merged3", "--quiet"],
        dir,
    ));
    assert_same(&dir.join("whole"), &dir.join("merged3"));

    // Missing and duplicate shards are named.
    let out = sim(&["merge", "t1", "t3", "--out", "bad"], dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("9 of 27 rows missing") && err.contains("shards not given: 2/3"),
        "{err}"
    );
    let out = sim(&["merge", "t1", "t2", "t2", "t3", "--out", "bad"], dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("duplicate") && err.contains("t2"), "{err}");
    assert!(!dir.join("bad").exists());

    // A shard of another sweep (here: another [set]) is refused.
    std::fs::write(
        dir.join("other.toml"),
        SWEEP
            .replace("\"5s\"", "\"6s\"")
            .replace("seeds = 3", "seeds = 3\nname = \"grid\""),
    )
    .expect("write");
    ok(&sim(
        &[
            "sweep",
            "other.toml",
            "--shard",
            "2/2",
            "--out",
            "o2",
            "--quiet",
        ],
        dir,
    ));
    let out = sim(&["merge", "s1", "o2", "--out", "bad"], dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("o2") && err.contains("different sweep"),
        "{err}"
    );
    assert!(!dir.join("bad").exists());
}

#[test]
fn check_determinism_on_run_and_sweep() {
    let tmp = setup();
    let dir = tmp.path();
    let out = sim(
        &[
            "run",
            "base.toml",
            "--check-determinism",
            "--quiet",
            "--out",
            "r",
        ],
        dir,
    );
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("determinism: ok") && err.contains("trace hash"),
        "{err}"
    );
    assert!(dir.join("r/report.json").is_file());
    let out = sim(
        &[
            "sweep",
            "grid.toml",
            "--check-determinism",
            "--quiet",
            "--out",
            "d",
        ],
        dir,
    );
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("determinism: ok") && err.contains("27 runs"),
        "{err}"
    );
    // The check does not change the results.
    ok(&sim(
        &["sweep", "grid.toml", "--quiet", "--out", "plain"],
        dir,
    ));
    assert_same(&dir.join("d"), &dir.join("plain"));
}

/// Writes `text` as `bad.toml`, runs `sim sweep bad.toml`, checks exit code 2, that stderr
/// names the file and holds every needle, and that nothing was written.
fn assert_rejected(text: &str, needles: &[&str]) {
    let tmp = setup();
    std::fs::write(tmp.path().join("bad.toml"), text).expect("write");
    let out = sim(&["sweep", "bad.toml"], tmp.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("bad.toml"), "no file name in: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!tmp.path().join("reports").exists(), "output left behind");
}

#[test]
fn unknown_top_level_key() {
    assert_rejected(
        &format!("seed = 3\n{SWEEP}"),
        &["line 1", "seed", "unknown key", "seeds"],
    );
}

#[test]
fn bad_range() {
    assert_rejected(
        &SWEEP.replace("step = 4", "step = 0"),
        &["line 9", "sweep.sds.causal_history", "`step` must be > 0"],
    );
}

#[test]
fn value_the_scenario_rejects() {
    assert_rejected(
        &SWEEP.replace("0.3]", "3.0]"),
        &[
            "line 8",
            "sweep.network.loss",
            "value 3.0",
            "base.toml",
            "--set network.loss=3.0",
            "must be in [0, 1]",
        ],
    );
}

#[test]
fn unknown_scenario_key() {
    assert_rejected(
        &SWEEP.replace("\"network.loss\"", "\"network.los\""),
        &["sweep.network.los", "unknown key"],
    );
}

#[test]
fn bad_fixed_override() {
    assert_rejected(
        &SWEEP.replace("\"5s\"", "\"five\""),
        &["set.sds.sync.interval", "five"],
    );
}

#[test]
fn unknown_metric() {
    assert_rejected(
        &SWEEP.replace("\"bytes_sent\"", "\"bytes_snt\""),
        &["metrics", "unknown metric \"bytes_snt\"", "bytes_sent"],
    );
}

#[test]
fn missing_base_scenario() {
    assert_rejected(
        &SWEEP.replace("base.toml", "nope.toml"),
        &["base", "nope.toml"],
    );
}

#[test]
fn bad_flags() {
    let tmp = setup();
    for (args, needle) in [
        (&["sweep", "grid.toml", "--shard", "3/2"][..], "K/N"),
        (&["sweep", "grid.toml", "--shard", "0/2"][..], "K/N"),
        (&["sweep", "grid.toml", "--jobs", "0"][..], "--jobs"),
        (&["sweep", "nope.toml"][..], "nope.toml"),
        (&["merge", "nope"][..], "nope"),
    ] {
        let out = sim(args, tmp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!tmp.path().join("reports").exists());
    // An existing directory that is not a sweep output is never replaced.
    std::fs::create_dir(tmp.path().join("keep")).expect("mkdir");
    std::fs::write(tmp.path().join("keep/notes.txt"), "x").expect("write");
    let out = sim(&["sweep", "grid.toml", "--out", "keep"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(tmp.path().join("keep/notes.txt").is_file());
}

#[test]
fn shipped_sweeps_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["loss", "causal-history", "group-size"] {
        let file = format!("scenarios/sweeps/{name}.toml");
        let out = sim(&["sweep", &file, "--dry-run"], root);
        ok(&out);
        let listed = String::from_utf8_lossy(&out.stdout);
        assert!(listed.lines().count() >= 5, "{file}: {listed}");
    }
}
