//! The stop rule's "settled" (reports/README.md, "Definitions"): a group whose only remaining
//! activity is periodic sync stops as settled instead of syncing to the drain bound.

mod common;

use sdsim::engine::Simulation;
use sdsim::report::{json_text, Report};

/// 60 relay participants syncing every 5 s over 0.5-1.5 s links: some sync is always on the
/// wire (12 floods a second, each several seconds long), so a rule waiting for an empty wire
/// would run to the 30-minute drain bound.
const ALWAYS_SYNCING: &str = r#"
name = "always-syncing"
seed = 1
participants = 60
duration = "40s"
drain = "30m"

[workload]
rate_per_s = 1.0
payload_bytes = 256

[network]
dissemination = "relay"
mesh_degree = 6
loss = 0.02

[network.latency]
distribution = { kind = "uniform", min = "500ms", max = "1500ms" }

[sds.sync]
policy = "periodic"
interval = "5s"
"#;

#[test]
fn periodic_sync_alone_does_not_keep_a_run_going() {
    let (out, r) = common::run_toml(ALWAYS_SYNCING);
    assert_eq!(r.run.stop_reason, "settled");
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert!(
        r.run.drain_used_s < 60.0,
        "drain used {} s",
        r.run.drain_used_s
    );
    // It stopped with syncs on the wire: copies put on it that have not arrived.
    let c = out.network.copies();
    let on_wire = c.sent + c.duplicated - c.lost - c.partitioned - c.dropped_in_queue;
    let received: u64 = out
        .network
        .traffic()
        .iter()
        .map(|t| t.copies_received)
        .sum();
    assert!(received < on_wire, "{received} of {on_wire} arrived");
}

#[test]
fn settling_with_syncs_on_the_wire_is_the_same_without_elision() {
    // Elided copies must arrive before the stop even when the copies still queued are syncs
    // that do not keep the run going (`engine::elision`).
    let loaded = common::load_toml(ALWAYS_SYNCING);
    let sc = &loaded.scenario;
    let run = |elision: bool| {
        let mut sim = Simulation::new(sc, loaded.regions.as_ref()).expect("network");
        if !elision {
            sim = sim.without_elision();
        }
        let out = sim.run(&mut |_| {}).expect("run");
        let report = Report::build(sc, &loaded.config_hash, &out);
        (out, json_text(&report).expect("json"))
    };
    let (on, on_json) = run(true);
    let (off, off_json) = run(false);
    assert!(on.elided_copies > 0);
    assert!(on_json == off_json, "report.json differs");
    assert_eq!(on.network.traffic(), off.network.traffic());
    assert_eq!(on.events, off.events);
}
