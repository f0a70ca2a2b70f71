//! Output directories never lose a user's files (issue 10, "Data loss"): `--out .` and the
//! current directory's ancestors are refused, a directory holding anything `sim` did not write
//! (a baseline's `scenario.toml`, notes) is never replaced, the location is checked before
//! simulating, a second writer fails fast, and a run killed at any instant of the swap leaves
//! the old result whole (or puts it back on the next run). The kills use the test-only
//! `SDSIM_FAULT_INJECT` hook (`src/outdir.rs`).

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

const SCENARIO: &str = r#"
name = "tiny"
seed = 4
participants = 4
duration = "10s"
[workload]
rate_per_s = 1.0
payload_bytes = 32
[network.latency]
distribution = { kind = "constant", value = "20ms" }
[sds]
bloom_capacity = 500
"#;

const SWEEP: &str = r#"
name = "grid"
base = "s.toml"
seeds = 2
metrics = ["delivery_ratio"]
[sweep]
"network.loss" = [0.0, 0.1]
"#;

/// Printed once the output directory is prepared, before simulating.
const STARTED: &str = "participants, protocol";

fn sim_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sim"));
    c.args(args)
        .current_dir(cwd)
        .env_remove("SDSIM_FAULT_INJECT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run sim")
}

fn sim(args: &[&str], cwd: &Path) -> Output {
    sim_env(args, cwd, &[])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{:?}: {}", o.status, stderr(o));
}

fn refused(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    assert!(
        !err.contains(STARTED),
        "checked only after simulating: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

fn killed(o: &Output) {
    assert_eq!(
        o.status.signal(),
        Some(6),
        "expected SIGABRT: {}",
        stderr(o)
    );
}

/// Every file under `dir` (relative path, including hidden ones) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(base).expect("prefix").display().to_string();
            if p.is_symlink() {
                out.insert(rel, b"<symlink>".to_vec());
            } else if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Names of the entries of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("s.toml"), SCENARIO).expect("write");
    std::fs::write(tmp.path().join("grid.toml"), SWEEP).expect("write");
    tmp
}

fn seed_of(dir: &Path) -> u64 {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
            .expect("json");
    v["seed"].as_u64().expect("seed")
}

#[test]
fn out_dot_in_a_directory_with_a_report_deletes_nothing() {
    let tmp = setup();
    let d = tmp.path();
    std::fs::write(d.join("report.json"), "{\"summary\": {}}").expect("write");
    std::fs::write(d.join("sweep.json"), "{}").expect("write");
    std::fs::write(d.join("unrelated.txt"), "keep me").expect("write");
    // Two shards to merge.
    ok(&sim(
        &[
            "sweep",
            "grid.toml",
            "--shard",
            "1/2",
            "--out",
            "s1",
            "--quiet",
        ],
        d,
    ));
    ok(&sim(
        &[
            "sweep",
            "grid.toml",
            "--shard",
            "2/2",
            "--out",
            "s2",
            "--quiet",
        ],
        d,
    ));
    let before = snapshot(d);
    for args in [
        &["run", "s.toml", "--out", "."][..],
        &["run", "s.toml", "--out", "./"],
        &["sweep", "grid.toml", "--out", "."],
        &["merge", "s1", "s2", "--out", "."],
    ] {
        let o = sim(args, d);
        refused(&o, &["error: .", "current directory"]);
        assert_eq!(snapshot(d), before, "{args:?} changed the directory");
    }
}

#[test]
fn ancestors_of_the_current_directory_and_links_to_them_are_refused() {
    let tmp = setup();
    let d = tmp.path();
    let cwd = d.join("a/b");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    std::fs::write(cwd.join("s.toml"), SCENARIO).expect("write");
    std::fs::write(d.join("a/precious.txt"), "keep me").expect("write");
    std::os::unix::fs::symlink("..", cwd.join("up")).expect("symlink");
    std::os::unix::fs::symlink(".", cwd.join("here")).expect("symlink");
    let before = snapshot(d);
    let abs = d.join("a").display().to_string();
    for out in ["..", "../..", "../b", &abs, "/", "up", "here", "here/"] {
        let o = sim(&["run", "s.toml", "--out", out], &cwd);
        refused(&o, &[&format!("error: {out}: "), "current directory"]);
        assert_eq!(snapshot(d), before, "--out {out} changed files");
    }
}

#[test]
fn a_run_directory_holding_another_file_is_refused_before_simulating() {
    let tmp = setup();
    let d = tmp.path();
    ok(&sim(&["run", "s.toml", "--out", "r", "--quiet"], d));
    std::fs::write(d.join("r/notes.txt"), "mine").expect("write");
    std::fs::create_dir(d.join("r/extra")).expect("mkdir");
    let before = snapshot(d);
    let o = sim(&["run", "s.toml", "--out", "r", "--seed", "9"], d);
    refused(
        &o,
        &["error: r: refusing to replace it", "notes.txt", "extra"],
    );
    assert_eq!(snapshot(d), before);
    // The same for a sweep: its output directory gets a stray file.
    ok(&sim(&["sweep", "grid.toml", "--out", "sw", "--quiet"], d));
    std::fs::write(d.join("sw/plots/mine.txt"), "mine").expect("write");
    let o = sim(&["sweep", "grid.toml", "--out", "sw"], d);
    refused(&o, &["plots/mine.txt"]);
    assert!(d.join("sw/plots/mine.txt").is_file());
    // An output of another kind is not replaced either.
    std::fs::remove_file(d.join("sw/plots/mine.txt")).expect("rm");
    let o = sim(&["run", "s.toml", "--out", "sw"], d);
    refused(&o, &["a sweep output, not a run output"]);
    let o = sim(&["merge", "sw", "--out", "r"], d);
    refused(&o, &["a run output, not a sweep output"]);
}

#[test]
fn a_baseline_directory_is_not_a_run_output() {
    // `sim run reports/baselines/churn-crash/scenario.toml --out reports/baselines/churn-crash`
    // deleted the committed scenario.toml; on a copy of that baseline now:
    let tmp = setup();
    let d = tmp.path();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/baselines/churn-crash");
    let dst = d.join("reports/baselines/churn-crash");
    std::fs::create_dir_all(&dst).expect("mkdir");
    for f in ["scenario.toml", "report.json"] {
        std::fs::copy(src.join(f), dst.join(f)).expect("copy");
    }
    let before = snapshot(d);
    let o = sim(
        &[
            "run",
            "reports/baselines/churn-crash/scenario.toml",
            "--out",
            "reports/baselines/churn-crash",
        ],
        d,
    );
    refused(
        &o,
        &["reports/baselines/churn-crash: refusing", "scenario.toml"],
    );
    assert_eq!(snapshot(d), before);
}

#[test]
fn an_unmarked_directory_is_never_replaced() {
    // What older versions of sim wrote, or a hand-made copy: only report.json, no marker.
    let tmp = setup();
    let d = tmp.path();
    std::fs::create_dir(d.join("old")).expect("mkdir");
    std::fs::write(d.join("old/report.json"), "{}").expect("write");
    let o = sim(&["run", "s.toml", "--out", "old"], d);
    refused(&o, &["no .sdsim-output marker"]);
    assert!(d.join("old/report.json").is_file());
    // A symbolic link named like an output file is not one.
    ok(&sim(&["run", "s.toml", "--out", "r", "--quiet"], d));
    std::fs::remove_file(d.join("r/summary.txt")).expect("rm");
    std::os::unix::fs::symlink("../s.toml", d.join("r/summary.txt")).expect("symlink");
    let o = sim(&["run", "s.toml", "--out", "r"], d);
    refused(&o, &["summary.txt"]);
    // An empty directory is used.
    std::fs::create_dir(d.join("empty")).expect("mkdir");
    ok(&sim(&["run", "s.toml", "--out", "empty", "--quiet"], d));
    assert!(d.join("empty/report.json").is_file());
}

#[test]
fn an_unusable_location_is_reported_before_simulating_with_the_given_path() {
    let tmp = setup();
    let d = tmp.path();
    std::fs::write(d.join("afile"), "x").expect("write");
    let o = sim(&["run", "s.toml", "--out", "afile/sub"], d);
    refused(
        &o,
        &["error: afile/sub: cannot create the directory it goes in"],
    );
    assert!(!stderr(&o).contains(".sdsim-tmp"), "{}", stderr(&o));
    let o = sim(&["run", "s.toml", "--out", "afile"], d);
    refused(
        &o,
        &["error: afile: refusing to replace it: it exists and is not a directory"],
    );
    let o = sim(&["sweep", "grid.toml", "--out", "afile/x"], d);
    refused(&o, &["error: afile/x: "]);
    // /proc refuses new files even to root (tests run as root in CI).
    if cfg!(target_os = "linux") {
        let o = sim(&["run", "s.toml", "--out", "/proc/sdsim-out"], d);
        refused(&o, &["error: /proc/sdsim-out: cannot write next to it"]);
    }
    // A dangling symbolic link.
    std::os::unix::fs::symlink("nowhere/x", d.join("dangling")).expect("symlink");
    let o = sim(&["run", "s.toml", "--out", "dangling"], d);
    refused(&o, &["error: dangling: refusing"]);
    assert_eq!(std::fs::read(d.join("afile")).expect("read"), b"x");
}

#[test]
fn a_second_writer_fails_fast_and_clearly() {
    let tmp = setup();
    let d = tmp.path();
    ok(&sim(&["run", "s.toml", "--out", "r", "--quiet"], d));
    let before = snapshot(&d.join("r"));
    // This process takes the lock the way sim does; the CLI must not wait for it.
    let held = sdsim::outdir::prepare(&d.join("r"), &sdsim::report::RUN_OUTPUT).expect("prepare");
    let pid = std::process::id();
    let o = sim(&["run", "s.toml", "--out", "r", "--seed", "5"], d);
    refused(
        &o,
        &[&format!("error: r: another sim is writing it (pid {pid})")],
    );
    let o = sim(&["run", "s.toml", "--out", "./r/"], d);
    refused(&o, &["another sim is writing it"]);
    drop(held);
    assert_eq!(snapshot(&d.join("r")), before);
    assert_eq!(
        entries(d),
        ["grid.toml", "r", "s.toml"],
        "lock and temp removed"
    );
    ok(&sim(
        &["run", "s.toml", "--out", "r", "--seed", "5", "--quiet"],
        d,
    ));
    assert_eq!(seed_of(&d.join("r")), 5);

    // Two processes at once: each either succeeds (ran entirely before or after the other)
    // or is refused as busy; never an error from the swap.
    let first = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "sweep",
            "grid.toml",
            "--out",
            "sw",
            "--quiet",
            "--jobs",
            "1",
        ])
        .current_dir(d)
        .env_remove("SDSIM_FAULT_INJECT")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let second = sim(&["sweep", "grid.toml", "--out", "sw", "--quiet"], d);
    let first = first.wait_with_output().expect("wait");
    let mut succeeded = 0;
    for o in [&first, &second] {
        if o.status.success() {
            succeeded += 1;
        } else {
            refused(o, &["error: sw: another sim is writing it (pid "]);
        }
    }
    assert!(succeeded >= 1);
    assert!(d.join("sw/sweep.json").is_file());
    assert_eq!(entries(d), ["grid.toml", "r", "s.toml", "sw"]);
}

#[test]
fn killed_between_the_two_renames_the_next_run_puts_the_old_result_back() {
    let tmp = setup();
    let d = tmp.path();
    ok(&sim(&["run", "s.toml", "--out", "r", "--quiet"], d));
    let old = snapshot(&d.join("r"));
    let o = sim_env(
        &["run", "s.toml", "--out", "r", "--seed", "7", "--quiet"],
        d,
        &[("SDSIM_FAULT_INJECT", "after-aside")],
    );
    killed(&o);
    // The old result is whole, aside; the new one complete in the temporary directory.
    let aside: Vec<String> = entries(d)
        .into_iter()
        .filter(|e| e.starts_with(".r.sdsim-old-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", entries(d));
    assert_eq!(snapshot(&d.join(&aside[0])), old);
    assert!(!d.join("r").exists());
    // Another kind of output to the same place puts it back and then refuses to replace it.
    let o = sim(&["sweep", "grid.toml", "--out", "r"], d);
    refused(
        &o,
        &[
            "restored the previous output",
            "a run output, not a sweep output",
        ],
    );
    assert_eq!(snapshot(&d.join("r")), old);
    // The next run cleans up and succeeds.
    let o = sim(
        &["run", "s.toml", "--out", "r", "--seed", "8", "--quiet"],
        d,
    );
    ok(&o);
    assert!(
        stderr(&o).contains("removed .r.sdsim-tmp-"),
        "{}",
        stderr(&o)
    );
    assert_eq!(seed_of(&d.join("r")), 8);
    assert_eq!(entries(d), ["grid.toml", "r", "s.toml"]);

    // Killed the same way with nothing else in between: the next run restores, then
    // replaces.
    let o = sim_env(
        &["run", "s.toml", "--out", "r", "--seed", "9", "--quiet"],
        d,
        &[("SDSIM_FAULT_INJECT", "after-aside")],
    );
    killed(&o);
    let o = sim(
        &["run", "s.toml", "--out", "r", "--seed", "10", "--quiet"],
        d,
    );
    ok(&o);
    assert!(
        stderr(&o).contains("cleaned up after an interrupted earlier run: restored"),
        "{}",
        stderr(&o)
    );
    assert_eq!(seed_of(&d.join("r")), 10);
    assert_eq!(entries(d), ["grid.toml", "r", "s.toml"]);
}

#[test]
fn killed_before_or_after_the_swap_the_result_is_whole() {
    let tmp = setup();
    let d = tmp.path();
    ok(&sim(&["run", "s.toml", "--out", "r", "--quiet"], d));
    let old = snapshot(&d.join("r"));
    let o = sim_env(
        &["run", "s.toml", "--out", "r", "--seed", "7", "--quiet"],
        d,
        &[("SDSIM_FAULT_INJECT", "after-temp-complete")],
    );
    killed(&o);
    assert_eq!(snapshot(&d.join("r")), old, "old result untouched");
    let o = sim_env(
        &["run", "s.toml", "--out", "r", "--seed", "8", "--quiet"],
        d,
        &[("SDSIM_FAULT_INJECT", "after-swap")],
    );
    killed(&o);
    // It cleaned up after the first kill before running.
    assert!(
        stderr(&o).contains("removed .r.sdsim-tmp-"),
        "{}",
        stderr(&o)
    );
    assert_eq!(seed_of(&d.join("r")), 8, "new result in place");
    let o = sim(
        &["run", "s.toml", "--out", "r", "--seed", "9", "--quiet"],
        d,
    );
    ok(&o);
    let err = stderr(&o);
    assert_eq!(err.matches("removed .r.sdsim-tmp-").count(), 1, "{err}");
    assert_eq!(seed_of(&d.join("r")), 9);
    assert_eq!(entries(d), ["grid.toml", "r", "s.toml"]);

    // A sweep killed between its renames: restored by the next sweep.
    ok(&sim(&["sweep", "grid.toml", "--out", "sw", "--quiet"], d));
    let old = snapshot(&d.join("sw"));
    let o = sim_env(
        &["sweep", "grid.toml", "--out", "sw", "--quiet"],
        d,
        &[("SDSIM_FAULT_INJECT", "after-aside")],
    );
    killed(&o);
    assert!(!d.join("sw").exists());
    std::fs::write(d.join("grid.toml"), SWEEP.replace("seeds = 2", "seeds = 1")).expect("w");
    let o = sim(&["sweep", "grid.toml", "--out", "sw", "--quiet"], d);
    ok(&o);
    assert!(stderr(&o).contains("restored the previous output"));
    assert_ne!(snapshot(&d.join("sw")), old, "replaced by the new sweep");
    assert_eq!(entries(d), ["grid.toml", "r", "s.toml", "sw"]);
}

#[test]
fn leftovers_without_the_marker_are_left_alone() {
    let tmp = setup();
    let d = tmp.path();
    let foreign = d.join(".r.sdsim-tmp-999999");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("notes.txt"), "mine").expect("write");
    let o = sim(&["run", "s.toml", "--out", "r", "--quiet"], d);
    ok(&o);
    assert!(
        stderr(&o).contains("left .r.sdsim-tmp-999999 alone"),
        "{}",
        stderr(&o)
    );
    assert!(foreign.join("notes.txt").is_file());
}

#[test]
fn a_symbolic_link_is_written_through() {
    let tmp = setup();
    let d = tmp.path();
    std::fs::create_dir(d.join("store")).expect("mkdir");
    std::os::unix::fs::symlink("store/results", d.join("link")).expect("symlink");
    std::fs::create_dir(d.join("store/results")).expect("mkdir");
    ok(&sim(&["run", "s.toml", "--out", "link", "--quiet"], d));
    ok(&sim(
        &["run", "s.toml", "--out", "link", "--seed", "3", "--quiet"],
        d,
    ));
    assert!(d.join("link").is_symlink());
    assert_eq!(seed_of(&d.join("store/results")), 3);
    assert_eq!(entries(&d.join("store")), ["results"]);
}

#[test]
fn merge_never_replaces_one_of_its_inputs() {
    let tmp = setup();
    let d = tmp.path();
    for k in ["1", "2"] {
        let shard = format!("{k}/2");
        let out = format!("s{k}");
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
            d,
        ));
    }
    let before = snapshot(d);
    let o = sim(&["merge", "s1", "s2", "--out", "s1"], d);
    refused(&o, &["error: s1: refusing", "holds the input s1"]);
    assert_eq!(snapshot(d), before);
    std::fs::write(d.join("s2/notes.txt"), "mine").expect("write");
    let o = sim(&["merge", "s1", "s2", "--out", "m"], d);
    ok(&o);
    let o = sim(&["merge", "s1", "s2", "--out", "s2"], d);
    refused(&o, &["error: s2: refusing to replace it", "notes.txt"]);
}

#[test]
fn every_file_written_is_in_its_kinds_list() {
    let tmp = setup();
    let d = tmp.path();
    ok(&sim(&["run", "s.toml", "--out", "r", "--quiet"], d));
    ok(&sim(&["sweep", "grid.toml", "--out", "sw", "--quiet"], d));
    for (dir, kind) in [
        ("r", &sdsim::report::RUN_OUTPUT),
        ("sw", &sdsim::sweep::SWEEP_OUTPUT),
    ] {
        let files = snapshot(&d.join(dir));
        assert!(files.len() > 4, "{dir}: {:?}", files.keys());
        for f in files.keys() {
            assert!(
                f == sdsim::outdir::MARKER_FILE || kind.allows(Path::new(f)),
                "{dir}/{f} is written but not in the {} list",
                kind.name
            );
        }
    }
}
