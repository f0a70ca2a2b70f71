//! A three-participant partition in the simulator: participant 2 misses everything sent
//! across the cut for 30 s, then SDS (resend, sync, SDS-R) recovers every message after the
//! heal; the `none` baseline does not.

mod common;

#[test]
fn sds_recovers_everything_after_heal() {
    let loaded = common::load("three-partition.toml", None, &[]);
    let r = common::run(&loaded);
    let s = &r.summary;
    let replay = common::replay("three-partition.toml", &r);
    assert!(s.messages_published >= 20, "{replay}: too few messages");
    assert!(
        s.copies_partitioned > 0,
        "{replay}: the partition cut nothing"
    );
    assert_eq!(s.delivery_ratio, 1.0, "{replay}");
    assert_eq!(s.duplicates_delivered, 0, "{replay}");
    assert_eq!(s.causal_violations, 0, "{replay}");
    assert_eq!(s.distinct_final_logs, 1, "{replay}: logs disagree");
    assert_eq!(s.messages_in_incoming_buffers, 0, "{replay}");
    assert_eq!(r.run.stop_reason, "settled", "{replay}");
    assert_eq!(s.acknowledged_undelivered, 0, "{replay}");
    // Something had to be recovered: resends or repair responses were sent.
    let recovered = s.bytes_by_kind["resend"] + s.bytes_by_kind["repair_response"];
    assert!(recovered > 0, "{replay}: nothing was resent or repaired");
    // The partition shows in the series: the cumulative ratio dips below 1 during it.
    let during = r
        .delivery_over_time
        .iter()
        .filter(|p| p.t_s > 15.0 && p.t_s <= 40.0)
        .map(|p| p.cumulative_ratio)
        .fold(1.0f64, f64::min);
    assert!(
        during < 0.95,
        "{replay}: no dip during the partition ({during})"
    );
}

#[test]
fn none_baseline_loses_what_the_partition_cut() {
    let loaded = common::load("three-partition.toml", None, &["protocol=none"]);
    let r = common::run(&loaded);
    let s = &r.summary;
    assert!(
        s.delivery_ratio < 0.9,
        "none delivered {}",
        s.delivery_ratio
    );
    assert!(s.delivery_ratio > 0.3);
    assert_eq!(s.duplicates_delivered, 0);
    assert_eq!(s.bytes_by_kind["resend"] + s.bytes_by_kind["sync"], 0);
}

#[test]
fn sds_recovers_small_lossy_partitioned_group() {
    let loaded = common::load("small-lossy.toml", None, &[]);
    let r = common::run(&loaded);
    let s = &r.summary;
    let replay = common::replay("small-lossy.toml", &r);
    assert_eq!(s.delivery_ratio, 1.0, "{replay}");
    assert_eq!(s.duplicates_delivered, 0, "{replay}");
    assert_eq!(s.causal_violations, 0, "{replay}");
    assert_eq!(s.distinct_final_logs, 1, "{replay}");
    assert!(s.delivery_ratio_workload_end < 1.0, "{replay}");
    assert!(
        s.repair.responses_sent > 0,
        "{replay}: SDS-R never answered"
    );

    let none = common::run(&common::load("small-lossy.toml", None, &["protocol=none"]));
    assert!(none.summary.delivery_ratio < 0.9);
}
