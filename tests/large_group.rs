//! `scenarios/large-group-10k.toml` and `large-group-100k.toml` at test size: the same files
//! with fewer participants and a shorter workload (`--set`), checking what their comments say
//! to expect. The full-size runs are measured, not tested (docs/performance.md).

mod common;

use std::path::Path;

use sdsim::report::Report;

fn run(file: &str, overrides: &[&str]) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let loaded = sdsim::scenario::load(&path, None, &overrides)
        .unwrap_or_else(|e| panic!("loading {file}: {e}"));
    common::run(&loaded)
}

#[test]
fn large_group_small_delivers_everything_with_few_syncs() {
    // 400 participants, 90 s workload: the trickle's first interval (15-30 s) is inside.
    let small = ["participants=400", "duration=90s"];
    let r = run("large-group-10k.toml", &small);
    let why = format!(
        "replay: sim run scenarios/large-group-10k.toml --set {} --set {}",
        small[0], small[1]
    );
    let s = &r.summary;
    assert!(s.messages_published > 60, "{why}");
    assert_eq!(s.delivery_ratio, 1.0, "{why}");
    assert_eq!(s.duplicates_delivered, 0, "{why}");
    assert_eq!(s.causal_violations, 0, "{why}");
    assert_eq!(s.distinct_final_logs, 1, "{why}");
    assert_eq!(r.run.stop_reason, "settled", "{why}");
    // Relay: every participant forwards, so most copies on the wire are redundant.
    assert!(s.copies_redundant * 2 > s.copies_sent, "{why}");
    // Trickle: a handful of syncs per interval for the whole group, far fewer than content
    // messages (periodic sync would send 400 every 30 s).
    let syncs = s.transmissions_by_kind["sync"];
    assert!(
        syncs > 0 && syncs < s.messages_published,
        "{syncs} syncs; {why}"
    );
}

#[test]
fn large_group_100k_file_runs_at_test_size() {
    // The 100k file's trickle intervals are scaled for 100,000 simultaneous starters; at 300
    // participants and 30 s it must still deliver everything.
    let r = run(
        "large-group-100k.toml",
        &["participants=300", "duration=30s"],
    );
    assert_eq!(r.participants, 300);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.distinct_final_logs, 1);
}
