//! Light clients behind service nodes (issue 13): each failure mode on a tiny network, the
//! telemetry table that shows it, and the bad input that must be refused.

mod common;

use common::run_toml;
use sdsim::report::Report;

/// Three relay participants (1, 2, 3), light client 0, dedicated service nodes after them.
fn base(extra: &str) -> String {
    base_with("", extra)
}

/// [`base`] with top-level keys `top` (e.g. `protocol = "none"`).
fn base_with(top: &str, extra: &str) -> String {
    format!(
        r#"
{top}
participants = 4
duration = "300s"
drain = "30m"
[network]
dissemination = "relay"
mesh_degree = 3
[sds]
bloom_capacity = 100
[workload]
rate_per_s = 0
{extra}
"#
    )
}

fn light(r: &Report) -> &sdsim::report::light::LightSummary {
    r.summary.light.as_ref().expect("light figures")
}

/// A LightPush accepted by a service node that restarts before its relay copies have left
/// its (slow) uplink: "sent" and "accepted", yet no relay node ever gets it. Without SDS it
/// is lost for good; with SDS the client's resend recovers it once the service is back.
#[test]
fn an_accepted_lightpush_dies_with_its_service_node() {
    let scenario = |protocol: &str| {
        base_with(
            &format!("protocol = \"{protocol}\""),
            r#"
[[workload.publish]]
sender = 0
at = "10s"
label = "doomed"
[light]
clients = 1
service_nodes = 1
service_uplink_bps = 20000
[[light.service_offline]]
node = 0
start = "10.3s"
end = "20s"
"#,
        )
    };
    let (_, none) = run_toml(&scenario("none"));
    let l = light(&none);
    assert_eq!(l.stats.lightpush_accepted, 1, "{:?}", l.stats);
    let t = &l.telemetry;
    assert_eq!(t.sent.messages, 1);
    assert_eq!(t.lightpush_accepted.messages, 1);
    assert_eq!(t.lightpush_accepted.delivered_to_none, 1);
    assert_eq!(t.causes.lost_at_lightpush, 1);
    assert_eq!(none.summary.delivered, 0);
    assert!(none.summary.copies_dropped_in_queue >= 1);

    let (out, sds) = run_toml(&scenario("sds"));
    assert_eq!(sds.summary.delivery_ratio, 1.0);
    assert_eq!(sds.summary.delivered_via.content, 0);
    assert_eq!(sds.summary.delivered_via.resend, 3);
    let m = out.recorder.by_label("doomed").expect("published");
    let view = &out.recorder.messages()[m as usize].sender;
    assert!(view.lightpush_accepted.is_some() && view.reached_mesh.is_some());
}

/// The only service node is silently unreachable from 10 s to 150 s: pushes to the light
/// client stop (a Filter gap), its pings fail, and what it missed is repaired afterwards,
/// by SDS-R or by the store.
#[test]
fn a_filter_gap_is_repaired_by_sds_r_or_the_store() {
    let scenario = |retrieval: &str| {
        base(&format!(
            r#"
[[workload.publish]]
sender = 1
at = "30s"
count = 3
interval = "30s"
label = "gap"
[[workload.publish]]
sender = 2
at = "200s"
label = "after"
{retrieval}
[light]
clients = 1
service_nodes = 1
[[light.service_offline]]
node = 0
start = "10s"
end = "150s"
mode = "unreachable"
"#
        ))
    };
    let (_, r) = run_toml(&scenario(""));
    assert_eq!(r.summary.delivery_ratio, 1.0);
    let l = light(&r);
    assert!(l.stats.pings_failed >= 2, "{:?}", l.stats);
    // The three gap messages reached light client 0 by SDS-R (or a resend), not by Filter
    // pushes of their first transmission.
    let v = &r.summary.delivered_via;
    assert!(v.repair_response + v.resend >= 3, "{v:?}");

    let (_, s) = run_toml(&scenario(
        "[store]\nnodes = 1\n[retrieval]\nstrategy = \"store\"",
    ));
    assert_eq!(s.summary.delivery_ratio, 1.0);
    assert!(
        s.summary.delivered_via.store >= 1,
        "{:?}",
        s.summary.delivered_via
    );
}

/// A client whose service node goes silent replaces it after `pings_before_renewal` failed
/// pings and gets pushes from its new one.
#[test]
fn missed_pings_renew_the_service_node() {
    let (_, r) = run_toml(&base(
        r#"
[[workload.publish]]
sender = 1
at = "250s"
label = "late"
[light]
clients = 1
service_nodes = 2
service_peers = 1
pings_before_renewal = 3
[[light.service_offline]]
node = 0
start = "5s"
end = "290s"
mode = "unreachable"
"#,
    ));
    let l = light(&r);
    assert_eq!(l.stats.peer_renewals, 1, "{:?}", l.stats);
    assert_eq!(l.stats.pings_failed, 3);
    assert!(l.stats.subscribe_requests >= 1);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    // Delivered by its new service node's push of the first transmission.
    assert_eq!(r.summary.delivered_via.content, 3);
    assert_eq!(r.summary.delivered_via.through_filter, 1);
}

/// Pushes to a sleeping phone are lost; SDS recovers them after it wakes and reconnects.
#[test]
fn pushes_during_sleep_are_lost_and_recovered() {
    let (_, r) = run_toml(&base(
        r#"
[[workload.publish]]
sender = 1
at = "30s"
count = 3
interval = "10s"
[churn]
mode = "sleep"
[[churn.offline]]
ids = [0]
start = "20s"
end = "80s"
[light]
clients = 1
service_nodes = 2
"#,
    ));
    let l = light(&r);
    // Two service nodes each miss 3 content messages and the relay members' syncs.
    assert!(l.stats.filter_pushes_to_disconnected >= 6, "{:?}", l.stats);
    assert_eq!(l.stats.reconnects, 1);
    assert_eq!(r.summary.delivery_ratio, 1.0);
}

/// A network switch: the app keeps running, its LightPush attempts find no service node
/// and are retried, then given up; SDS resends the message after reconnection.
#[test]
fn a_network_switch_fails_lightpush_until_reconnection() {
    let (_, r) = run_toml(&base(
        r#"
[[workload.publish]]
sender = 0
at = "12s"
[light]
clients = 1
service_nodes = 2
reconnect = { kind = "constant", value = "20s" }
[[light.network_switch]]
ids = [0]
at = "10s"
"#,
    ));
    let l = light(&r);
    assert_eq!(l.stats.network_switches, 1);
    // Every transmission in the switch (the message, maybe a sync) is tried 4 times
    // (the first attempt and 3 retries) and given up.
    assert!(l.stats.lightpush_given_up >= 1, "{:?}", l.stats);
    assert_eq!(l.stats.lightpush_no_peer, 4 * l.stats.lightpush_given_up);
    let t = &l.telemetry;
    assert_eq!(t.sent.messages, 1);
    assert_eq!(r.summary.delivery_ratio, 1.0);
    assert_eq!(r.summary.delivered_via.resend, 3);
}

/// Same scenario and seed, same report.
#[test]
fn light_runs_are_deterministic() {
    let text = base(
        r#"
[workload]
rate_per_s = 0.5
[network.latency]
distribution = { kind = "lognormal", median = "40ms", sigma = 0.5 }
[light]
clients = 2
service_nodes = 2
[[light.service_offline]]
node = 1
start = "60s"
end = "120s"
[[light.network_switch]]
fraction = 0.5
at = "30s"
"#,
    )
    .replace("[workload]\nrate_per_s = 0\n", "");
    let a = serde_json::to_string(&run_toml(&text).1).unwrap();
    let b = serde_json::to_string(&run_toml(&text).1).unwrap();
    assert_eq!(a, b);
}

/// Bad `[light]` input is refused naming the key.
#[test]
fn bad_light_input_names_the_key() {
    let cases = [
        ("[light]\nclients = 1\n", "light.service_nodes"),
        ("[light]\nclients = 1\nservice_nodes = 1\nlightpush_peers = 2\n", "light.lightpush_peers"),
        ("[light]\nclients = 1\nservice_nodes = 1\nservice_peers = 3\n", "light.service_peers: must be in 1..=1"),
        ("[light]\nclients = 2\nservice_ids = [1]\n", "light.service_ids.0: participant 1 is a light client"),
        ("[light]\nclients = 1\nservice_ids = [9]\n", "light.service_ids.0: participant 9 is out of range"),
        ("[light]\nservice_nodes = 1\n", "light.clients"),
        ("[light]\nclients = 1\nservice_nodes = 1\n[[light.service_offline]]\nnode = 1\nstart = \"1s\"\nend = \"2s\"\n", "light.service_offline.0.node"),
        ("[light]\nclients = 2\nservice_nodes = 1\n[[light.network_switch]]\nids = [3]\nat = \"1s\"\n", "participant 3 is not a light client"),
    ];
    for (extra, want) in cases {
        let text = base(&format!(
            "[[workload.publish]]\nsender = 1\nat = \"1s\"\n{extra}"
        ));
        let err =
            sdsim::scenario::load_str(&text, &common::scenario_path("inline.toml"), None, &[])
                .expect_err(extra)
                .to_string();
        assert!(err.contains(want), "{extra}: {err}");
    }
    let broadcast = base(
        "[[workload.publish]]\nsender = 1\nat = \"1s\"\n[light]\nclients = 1\nservice_nodes = 1\n",
    )
    .replace("dissemination = \"relay\"", "dissemination = \"broadcast\"");
    let err = sdsim::scenario::load_str(&broadcast, &common::scenario_path("x.toml"), None, &[])
        .expect_err("broadcast")
        .to_string();
    assert!(err.contains("network.dissemination"), "{err}");
}
