//! Redundant-copy elision (issue 16, `engine::elision`): a relay copy to
//! a participant that already has the packet is accounted when sent instead of queued. The
//! results must be the same as with every copy queued: each scenario here runs both ways
//! (`Simulation::without_elision`) and compares `report.json`, every participant's traffic
//! counters (`nodes.csv`), the group-wide copy counts, the event count and the stop.

mod common;

use std::path::Path;

use sdsim::engine::Simulation;
use sdsim::metrics::RunOutcome;
use sdsim::report::{json_text, Report};
use sdsim::scenario::Loaded;

fn shipped(file: &str, overrides: &[&str]) -> Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    sdsim::scenario::load(&path, None, &overrides).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn run(loaded: &Loaded, elision: bool) -> (RunOutcome, String) {
    let sc = &loaded.scenario;
    let mut sim = Simulation::new(sc, loaded.regions.as_ref()).expect("network");
    if !elision {
        sim = sim.without_elision();
    }
    let out = sim.run(&mut |_| {}).expect("run");
    let report = Report::build(sc, &loaded.config_hash, &out);
    (out, json_text(&report).expect("json"))
}

/// Runs `loaded` with and without elision, asserts identical results, and returns the number
/// of copies elided and the stop reason.
fn same_both_ways(name: &str, loaded: &Loaded) -> (u64, String) {
    let (on, on_json) = run(loaded, true);
    let (off, off_json) = run(loaded, false);
    assert_eq!(off.elided_copies, 0, "{name}: elided with elision off");
    assert!(on_json == off_json, "{name}: report.json differs");
    assert_eq!(
        on.network.traffic(),
        off.network.traffic(),
        "{name}: traffic"
    );
    assert_eq!(on.network.copies(), off.network.copies(), "{name}: copies");
    assert_eq!(on.events, off.events, "{name}: events");
    assert_eq!(on.end, off.end, "{name}: end");
    assert_eq!(on.core_receipts, off.core_receipts, "{name}: receipts");
    assert!(on.peak_pending_events <= off.peak_pending_events, "{name}");
    let stop: serde_json::Value = serde_json::from_str(&on_json).expect("json");
    (
        on.elided_copies,
        stop["run"]["stop_reason"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[test]
fn relay_group_settles_the_same() {
    let l = shipped(
        "large-group-10k.toml",
        &["participants=300", "duration=40s", "drain=10m"],
    );
    let (elided, stop) = same_both_ways("large-group 300", &l);
    assert_eq!(stop, "settled");
    let (out, _) = run(&l, true);
    eprintln!("elided {elided} of {}", out.network.copies().redundant);
    // Most redundant copies of a flood are accounted when sent.
    assert!(
        elided * 4 > out.network.copies().redundant * 3,
        "{elided} of {}",
        out.network.copies().redundant
    );
}

#[test]
fn stop_at_the_drain_bound_mid_flood_is_the_same() {
    // Periodic sync never lets the group settle: the run stops at the drain bound with
    // floods on the wire, some copies arriving after it.
    let l = shipped(
        "large-group-10k.toml",
        &[
            "participants=200",
            "duration=35s",
            "drain=0s",
            "sds.sync.policy=periodic",
        ],
    );
    let (elided, stop) = same_both_ways("periodic, drain bound", &l);
    assert_eq!(stop, "drain-limit");
    assert!(elided > 0);
}

#[test]
fn a_run_that_runs_out_of_events_is_the_same() {
    // `none` keeps no timers: the run ends when the last copy has arrived.
    let l = shipped(
        "relay-1k.toml",
        &["participants=200", "duration=20s", "protocol=none"],
    );
    let (elided, stop) = same_both_ways("none", &l);
    assert_eq!(stop, "no-events");
    assert!(elided > 0);
}

#[test]
fn links_with_bandwidth_loss_and_duplication_are_the_same() {
    // Uplink queues (timing set when sent), downlink queues (copies to those receivers are
    // always queued: they wait in the receiver's FIFO), Gilbert-Elliott loss, duplication.
    let l = common::load_toml(
        r#"
name = "elision-links"
seed = 3
participants = 120
duration = "30s"
drain = "5m"

[workload]
rate_per_s = 2.0
payload_bytes = 2048

[network]
dissemination = "relay"
mesh_degree = 6
loss = 0.02
duplicate = 0.05

[network.gilbert_elliott]
p = 0.01
r = 0.3

[[node_classes]]
name = "home"
fraction = 0.5
uplink_bps = 20_000_000
downlink_bps = 50_000_000
extra_latency = "10ms"

[[node_classes]]
name = "server"
fraction = 0.2
uplink_bps = 1_000_000_000
"#,
    );
    let (elided, _) = same_both_ways("links", &l);
    assert!(elided > 0);
}

#[test]
fn broadcast_partitions_and_store_are_the_same() {
    for (file, set) in [
        ("partition.toml", &["participants=40", "duration=200s"][..]),
        (
            "bursty-loss.toml",
            &["duration=60s", "network.dissemination=ring"][..],
        ),
        (
            "relay-1k.toml",
            &[
                "participants=100",
                "duration=60s",
                "network.loss=0.05",
                "store.nodes=1",
                "retrieval.strategy=both",
            ][..],
        ),
    ] {
        let l = shipped(file, set);
        same_both_ways(file, &l);
    }
}

#[test]
fn churn_and_light_clients_turn_it_off() {
    // Copies to a participant that may go offline before they arrive, or be dropped in an
    // uplink queue, must be queued: elision is off for the whole run.
    for (file, set) in [
        ("churn.toml", &["duration=150s", "participants=60"][..]),
        (
            "light-group.toml",
            &["duration=5m", "participants=150", "light.clients=100"][..],
        ),
    ] {
        let l = shipped(file, set);
        let (elided, _) = same_both_ways(file, &l);
        assert_eq!(elided, 0, "{file}");
    }
}
