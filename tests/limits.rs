//! Resource bounds (issue 10, "Validated scenarios that abort or never end" and "Smaller
//! gaps"): byte caps on every file read from user input, upper bounds of the scenario schema,
//! the memory estimate and `--max-memory`, `--jobs` capped at the CPUs, abbreviated dry runs,
//! and the reproducers of the smaller gaps. Nothing here allocates much: every refusal happens
//! before anything is simulated.

mod common;

use std::path::Path;
use std::process::Output;

use common::sim;

/// A tiny valid scenario.
const TINY: &str = "participants = 3\nduration = \"2s\"\n[workload]\npayload_bytes = 16\n\
                    [network.latency]\ndistribution = { kind = \"constant\", value = \"10ms\" }\n";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code 2, no panic, and every needle in stderr.
fn assert_usage_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// `/dev/zero` given as any file the tool reads exits 2 quickly, saying the file is too large
/// instead of reading until memory runs out.
#[cfg(unix)]
#[test]
fn dev_zero_as_any_input_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("regions.toml"),
        "participants = 3\nduration = \"2s\"\n[network.latency]\nregions = \"/dev/zero\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("base-zero.toml"),
        "base = \"/dev/zero\"\n[sweep]\nprotocol = [\"none\"]\n",
    )
    .unwrap();
    // A sweep output and a baseline directory whose files are /dev/zero.
    std::fs::create_dir(d.join("shard")).unwrap();
    symlink("/dev/zero", &d.join("shard/sweep.json"));
    // A committed report.json that is larger than the cap: a sparse file (no disk used), refused
    // from its size without reading.
    std::fs::create_dir_all(d.join("baselines/b")).unwrap();
    std::fs::write(d.join("baselines/b/scenario.toml"), TINY).unwrap();
    std::fs::File::create(d.join("baselines/b/report.json"))
        .and_then(|f| f.set_len(65 << 20))
        .unwrap();
    let good = sim(&["run", "tiny.toml", "--quiet", "--out", "good"], d);
    assert!(good.status.success(), "{}", stderr(&good));
    let report = "good/report.json";

    let cases: &[(&[&str], &str)] = &[
        (
            &["validate", "/dev/zero"],
            "16 MiB (the limit for a scenario file)",
        ),
        (
            &["run", "/dev/zero"],
            "16 MiB (the limit for a scenario file)",
        ),
        (
            &["validate", "regions.toml"],
            "1 MiB (the limit for a region matrix)",
        ),
        (
            &["sweep", "/dev/zero"],
            "1 MiB (the limit for a sweep file)",
        ),
        (
            &["sweep", "base-zero.toml", "--dry-run"],
            "16 MiB (the limit for a scenario file)",
        ),
        (
            &["compare", "/dev/zero", report],
            "64 MiB (the limit for a report.json)",
        ),
        (
            &["compare", report, "/dev/zero"],
            "64 MiB (the limit for a report.json)",
        ),
        (
            &["compare", report, report, "--tolerances", "/dev/zero"],
            "1 MiB (the limit for a tolerance file)",
        ),
        (
            &["wire", "decode", "@/dev/zero"],
            "8 MiB (the limit for a wire message file)",
        ),
        (
            &["wire", "encode", "@/dev/zero"],
            "8 MiB (the limit for a wire message file)",
        ),
        (
            &["check", "--dir", "baselines"],
            "64 MiB (the limit for a report.json)",
        ),
        (
            &["check", "--dir", "baselines", "--tolerances", "/dev/zero"],
            "1 MiB (the limit for a tolerance file)",
        ),
    ];
    for (args, needle) in cases {
        let out = sim(args, d);
        assert_usage_error(&out, &[needle, "refusing to read (is it the right file?)"]);
        assert!(
            stderr(&out).contains("/dev/zero") || stderr(&out).contains("b/report.json"),
            "{args:?}: the file is not named: {}",
            stderr(&out)
        );
    }
    // A sweep output is parsed as it is read (it may be hundreds of MB): /dev/zero is not
    // JSON at its first byte, so nothing is read past it.
    let out = sim(&["merge", "shard"], d);
    assert_usage_error(&out, &["shard/sweep.json", "not a sweep output"]);
}

/// The reproducers of issue 10 that `sim validate` used to accept and `sim run` then aborted
/// on (allocation failure) or ran until killed: now both exit 2 before simulating, naming the
/// file, the key and the bound, and write nothing.
#[test]
fn absurd_values_exit_2_at_validate_and_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("never-ends.toml"),
        format!("{TINY}[[workload.publish]]\nat = \"1s\"\nsender = 0\ncount = 4294967295\ninterval = \"0s\"\n"),
    )
    .unwrap();
    let sets: &[(&str, &str)] = &[
        ("participants=1000000000", "must be at most 1,000,000"),
        ("participants=4294967295", "must be at most 1,000,000"),
        ("sds.bloom_capacity=4294967295", "must be at most 1,000,000"),
        ("store.nodes=100000000", "must be at most 1,000"),
        ("report_interval=1us", "limit of 100,000"),
        (
            "workload.rate_per_s=1e308",
            "must be at most 1,000,000 messages/s",
        ),
        (
            "workload.payload_bytes=4294967295",
            "must be at most 153,600",
        ),
    ];
    for (set, needle) in sets {
        for cmd in ["validate", "run"] {
            let out = sim(
                &[cmd, "tiny.toml", "--set", set, "--out", "out"]
                    [..if cmd == "run" { 6 } else { 4 }],
                d,
            );
            assert_usage_error(
                &out,
                &["tiny.toml", &format!("--set {set}"), needle, "Upper bounds"],
            );
            assert!(!d.join("out").exists(), "{cmd} {set}: output written");
        }
    }
    for cmd in [
        &["validate", "never-ends.toml"][..],
        &["run", "never-ends.toml", "--out", "out"],
    ] {
        let out = sim(cmd, d);
        assert_usage_error(
            &out,
            &["never-ends.toml: line 10: workload.publish.0.count: must be at most 10,000,000"],
        );
        assert!(!d.join("out").exists());
    }
}

/// `--set seed=18446744073709551615` works like `--seed 18446744073709551615`.
#[test]
fn set_seed_takes_the_whole_u64_range() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    let max = "18446744073709551615";
    let a = sim(
        &[
            "run",
            "tiny.toml",
            "--quiet",
            "--set",
            &format!("seed={max}"),
            "--out",
            "a",
        ],
        d,
    );
    assert!(a.status.success(), "{}", stderr(&a));
    let b = sim(
        &["run", "tiny.toml", "--quiet", "--seed", max, "--out", "b"],
        d,
    );
    assert!(b.status.success(), "{}", stderr(&b));
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join(p)).unwrap()).unwrap()
    };
    let (ra, rb) = (read("a/report.json"), read("b/report.json"));
    assert_eq!(ra["seed"], serde_json::json!(u64::MAX));
    assert_eq!(ra["summary"], rb["summary"]);
    assert_eq!(ra["config_hash"], rb["config_hash"]);
    let v = sim(
        &["validate", "tiny.toml", "--set", &format!("seed={max}")],
        d,
    );
    assert!(v.status.success(), "{}", stderr(&v));
}

/// `sweep = 5` says the key has the wrong type; written after `[set]` it says where it went.
#[test]
fn sweep_key_of_the_wrong_type() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(d.join("s.toml"), "base = \"tiny.toml\"\nsweep = 5\n").unwrap();
    let out = sim(&["sweep", "s.toml", "--dry-run"], d);
    assert_usage_error(
        &out,
        &[
            "s.toml: line 2: sweep: has the wrong type: expected a table",
            "got integer 5",
        ],
    );
    assert!(
        !stderr(&out).contains("missing required table"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        d.join("s.toml"),
        "base = \"tiny.toml\"\n[set]\nparticipants = 4\nsweep = 5\n",
    )
    .unwrap();
    let out = sim(&["sweep", "s.toml", "--dry-run"], d);
    assert_usage_error(
        &out,
        &["s.toml: line 4: set.sweep: `sweep = 5` is inside [set]"],
    );
}

/// `sim merge` checks each shard's own `shard` field: index 9 of 3 is refused, and so are rows
/// that do not belong to the shard the file claims.
#[test]
fn merge_checks_each_shards_own_shard_field() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("s.toml"),
        "base = \"tiny.toml\"\nseeds = 2\n[sweep]\nprotocol = [\"sds\", \"none\"]\n",
    )
    .unwrap();
    for k in ["1", "2"] {
        let out = sim(
            &[
                "sweep",
                "s.toml",
                "--quiet",
                "--shard",
                &format!("{k}/2"),
                "--out",
                &format!("s{k}"),
            ],
            d,
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let ok = sim(&["merge", "s1", "s2", "--quiet", "--out", "m"], d);
    assert!(ok.status.success(), "{}", stderr(&ok));

    let edit = |dir: &str, from: &str, to: &str| {
        let p = d.join(dir).join("sweep.json");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{text}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    let shard_field = |k: usize, n: usize| {
        format!("\"shard\": {{\n    \"index\": {k},\n    \"count\": {n}\n  }}")
    };
    edit("s2", &shard_field(2, 2), &shard_field(9, 3));
    let out = sim(&["merge", "s1", "s2", "--out", "m2"], d);
    assert_usage_error(&out, &["s2/sweep.json", "shard 9/3 is not a valid shard"]);
    // A valid K/N whose rows are another shard's.
    edit("s2", &shard_field(9, 3), &shard_field(1, 2));
    let out = sim(&["merge", "s1", "s2", "--out", "m2"], d);
    assert_usage_error(&out, &["s2/sweep.json", "does not belong to shard 1/2"]);
    assert!(!d.join("m2").exists());
}

/// `--jobs` above the number of CPUs is lowered, with a message (it used to start 100,000
/// threads).
#[test]
fn sweep_jobs_are_capped_at_the_cpus() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("s.toml"),
        "base = \"tiny.toml\"\n[sweep]\nprotocol = [\"sds\", \"none\"]\n",
    )
    .unwrap();
    let out = sim(
        &[
            "sweep", "s.toml", "--quiet", "--jobs", "100000", "--out", "o",
        ],
        d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        stderr(&out).contains(&format!(
            "--jobs 100000 lowered to {cpus}, the number of CPUs"
        )),
        "{}",
        stderr(&out)
    );
    let perf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("o/perf.json")).unwrap()).unwrap();
    assert_eq!(perf["threads"], serde_json::json!(cpus));
    // Within the CPUs: used as given, nothing said.
    let out = sim(
        &["sweep", "s.toml", "--quiet", "--jobs", "1", "--out", "o1"],
        d,
    );
    assert!(
        out.status.success() && !stderr(&out).contains("lowered"),
        "{}",
        stderr(&out)
    );
}

/// A dry run of a big grid prints the count and the first 20 rows, not every row; a grid over
/// the limit is refused at once, before any point is loaded.
#[test]
fn dry_run_of_a_big_grid_lists_the_first_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("big.toml"),
        "base = \"tiny.toml\"\n[sweep]\n\"sds.causal_history\" = { from = 1, to = 100, step = 1 }\n\
         \"network.loss\" = { from = 0.0, to = 0.99, step = 0.01 }\n",
    )
    .unwrap();
    let out = sim(&["sweep", "big.toml", "--dry-run"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr(&out).contains("10000 points x 1 seeds = 10000 runs"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout.lines().count(), 21, "{stdout}");
    assert!(
        stdout.starts_with("row 0 point 0 seed 1: sds.causal_history=1, network.loss=0.0\n"),
        "{stdout}"
    );
    assert!(stdout.contains("row 19 point 19 seed 1"), "{stdout}");
    assert!(
        stdout.ends_with("... and 9980 more run(s) (10000 in all)\n"),
        "{stdout}"
    );

    std::fs::write(
        d.join("huge.toml"),
        "base = \"tiny.toml\"\n[sweep]\n\"sds.resend_interval\" = { from = 1, to = 1000, step = 1 }\n\
         \"network.loss\" = { from = 0.0, to = 0.999, step = 0.001 }\n",
    )
    .unwrap();
    let out = sim(&["sweep", "huge.toml", "--dry-run"], d);
    assert_usage_error(
        &out,
        &["huge.toml: line 2: sweep: 1000000 runs (points × seeds) is more than the limit of 100000"],
    );
    assert!(out.stdout.is_empty());
}

/// `--max-memory` below the estimate refuses the run (exit 2, nothing simulated or written),
/// naming the estimate, the limit and the part that drives it; `sim validate` prints the
/// estimate.
#[test]
fn memory_estimate_over_the_limit_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("tiny.toml"), TINY).unwrap();
    std::fs::write(
        d.join("s.toml"),
        "base = \"tiny.toml\"\n[sweep]\nprotocol = [\"sds\", \"none\"]\n",
    )
    .unwrap();

    let out = sim(&["run", "tiny.toml", "--max-memory", "1M", "--out", "o"], d);
    assert_usage_error(
        &out,
        &[
            "tiny.toml: the run needs an estimated",
            "MB of memory, more than the limit of 1.0 MB (--max-memory)",
            "the largest part: participants = 3",
            "Memory estimate",
        ],
    );
    assert!(!d.join("o").exists());
    let out = sim(
        &[
            "run",
            "tiny.toml",
            "--check-determinism",
            "--max-memory",
            "1M",
            "--out",
            "o",
        ],
        d,
    );
    assert_usage_error(&out, &["more than the limit of 1.0 MB"]);

    let out = sim(
        &[
            "sweep",
            "s.toml",
            "--max-memory",
            "1M",
            "--jobs",
            "1",
            "--out",
            "o",
        ],
        d,
    );
    assert_usage_error(
        &out,
        &[
            "s.toml: the largest run of the sweep needs an estimated",
            "limit of 1.0 MB (--max-memory)",
        ],
    );
    assert!(!d.join("o").exists());
    // A dry run reports the estimate and runs nothing, whatever the limit.
    let out = sim(&["sweep", "s.toml", "--max-memory", "1M", "--dry-run"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("memory estimate: ~"),
        "{}",
        stderr(&out)
    );

    // Enough memory (or none): it runs.
    let out = sim(
        &[
            "run",
            "tiny.toml",
            "--quiet",
            "--max-memory",
            "8G",
            "--out",
            "o",
        ],
        d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sim(
        &[
            "run",
            "tiny.toml",
            "--quiet",
            "--max-memory",
            "none",
            "--out",
            "o2",
        ],
        d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // A malformed size is a usage error.
    let out = sim(&["run", "tiny.toml", "--max-memory", "8X"], d);
    assert_usage_error(&out, &["invalid size \"8X\""]);

    let out = sim(&["validate", "tiny.toml"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("memory estimate: ~") && stdout.contains("largest part"),
        "{stdout}"
    );
}

/// A validated scenario too big for the machine is refused by `sim run` before simulating,
/// by default against the available memory (MemAvailable): a million participants of a
/// relay mesh need hundreds of GB. The estimate is printed by `sim validate`.
#[cfg(target_os = "linux")]
#[test]
fn a_million_participants_exceed_the_available_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/large-group-100k.toml");
    let set = ["--set", "participants=1000000"];
    let out = sim(&["validate", base.to_str().unwrap(), set[0], set[1]], d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("GB"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = sim(
        &["run", base.to_str().unwrap(), set[0], set[1], "--out", "o"],
        d,
    );
    assert_usage_error(
        &out,
        &[
            "the run needs an estimated",
            "GB of memory",
            "MemAvailable",
            "participants = 1000000",
        ],
    );
    assert!(!d.join("o").exists());
}
