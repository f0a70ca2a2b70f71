//! Direct-message workloads (`[workload.direct]`): two-member channels, and a smaller
//! version of `scenarios/direct-messages.toml`.

mod common;

use common::load_toml;
use sdsim::engine::build_channels;

const BASE: &str = r#"
participants = 12
duration = "60s"
drain = "10m"
[workload]
group = false
rate_per_s = 0
payload_bytes = 64
[workload.direct]
conversations = 20
rate_per_s = 0.2
[network]
loss = 0.05
[network.latency]
distribution = { kind = "constant", value = "50ms" }
[sds]
bloom_capacity = 100
"#;

#[test]
fn conversations_are_distinct_two_member_channels() {
    let loaded = load_toml(BASE);
    let channels = build_channels(&loaded.scenario);
    assert_eq!(channels.len(), 20);
    let mut pairs = std::collections::BTreeSet::new();
    for c in &channels {
        assert_eq!(c.members.len(), 2);
        let (a, b) = (c.members[0], c.members[1]);
        assert!(a < b && b < 12, "{c:?}");
        assert_eq!(c.id, format!("dm-{a}-{b}"));
        assert!(pairs.insert((a, b)), "repeated pair {c:?}");
    }
    // With the group channel it comes first, with everyone.
    let with_group = build_channels(
        &load_toml(
            &BASE
                .replace("group = false\n", "")
                .replace("rate_per_s = 0\n", "rate_per_s = 1\n"),
        )
        .scenario,
    );
    assert_eq!(with_group[0].id, "sdsim");
    assert_eq!(with_group[0].members.len(), 12);
    assert_eq!(&with_group[1..], &channels[..]);
}

#[test]
fn only_the_other_member_is_expected_and_sds_delivers_everything() {
    let (out, r) = sdsim::simulate(&load_toml(BASE), &mut |_| {}).unwrap();
    let s = &r.summary;
    assert!(s.messages_published > 100, "{}", s.messages_published);
    // One receiver per message: the other member.
    assert_eq!(s.expected_deliveries, s.messages_published);
    for (m, truth) in out.recorder.messages().iter().enumerate() {
        let spec = &out.channels_spec[truth.channel as usize];
        let receivers: Vec<u32> = out
            .recorder
            .expected_deliveries_of(m as u32)
            .map(|(to, _)| to)
            .collect();
        let other: Vec<u32> = spec
            .members
            .iter()
            .copied()
            .filter(|&p| p != truth.publisher)
            .collect();
        assert_eq!(receivers, other);
    }
    assert_eq!(s.delivery_ratio, 1.0, "{s:?}");
    assert_eq!(s.distinct_final_logs, 20, "every conversation agrees");
    assert_eq!((s.duplicates_delivered, s.causal_violations), (0, 0));
    // Without SDS, 5% loss stays lost.
    let (_, none) = sdsim::simulate(
        &load_toml(&format!("protocol = \"none\"\n{BASE}")),
        &mut |_| {},
    )
    .unwrap();
    assert!(
        none.summary.delivery_ratio < 0.99,
        "{}",
        none.summary.delivery_ratio
    );
}

/// `scenarios/direct-messages.toml` at a tenth of its size.
fn small(sets: &[&str]) -> sdsim::report::Report {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/direct-messages.toml");
    let mut all: Vec<String> = [
        "participants=40",
        "workload.direct.conversations=40",
        "duration=5m",
        "churn.random.stagger=2m",
        "network.degradations.0.start=2m",
        "network.degradations.0.end=3m",
        "network.degradations.0.ids=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(sets.iter().map(|s| s.to_string()));
    let loaded = sdsim::scenario::load(&path, None, &all).expect("direct-messages loads");
    sdsim::simulate(&loaded, &mut |_| {}).expect("runs").1
}

#[test]
fn direct_messages_scenario_expectations() {
    let sds = small(&[]);
    let none = small(&["protocol=none"]);
    let small_bloom = small(&["sds.bloom_capacity=100"]);
    assert_eq!(sds.summary.delivery_ratio, 1.0, "{:?}", sds.summary);
    assert!(
        none.summary.delivery_ratio < 0.97,
        "{}",
        none.summary.delivery_ratio
    );
    assert_eq!(small_bloom.summary.delivery_ratio, 1.0);
    // The bloom filter sized for groups dominates the bytes of two-member channels.
    let sync = sds.summary.bytes_by_kind["sync"];
    assert!(
        sync * 2 > sds.summary.bytes_sent,
        "sync {sync} of {}",
        sds.summary.bytes_sent
    );
    assert!(
        small_bloom.summary.bytes_sent * 5 < sds.summary.bytes_sent,
        "{} vs {}",
        small_bloom.summary.bytes_sent,
        sds.summary.bytes_sent
    );
    assert!(sds.summary.bytes_sent > 100 * none.summary.bytes_sent);
    assert!(sds.summary.store.as_ref().unwrap().client.queries_by_range > 0);
}
