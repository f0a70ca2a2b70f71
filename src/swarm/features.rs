//! What a scenario drew, as `swarm.csv` columns, and its fault classes and configuration
//! tags (the groups failure rates are given for in `summary.txt`). Read from the validated
//! [`Scenario`], so drawn and shrunk scenarios are described alike.

use crate::scenario::{ChurnMode, Dissemination, Distribution, Scenario, SyncPolicyName};

/// Column names of [`features`], in order.
pub const FEATURE_COLUMNS: [&str; 24] = [
    "participants",
    "duration_s",
    "drain_s",
    "rate_per_s",
    "dissemination",
    "mesh_degree",
    "latency",
    "loss",
    "ge_p",
    "ge_r",
    "duplicate",
    "partitions",
    "churn",
    "clock_skew",
    "node_classes",
    "degradations",
    "links",
    "store_nodes",
    "retrieval",
    "conversations",
    "causal_history",
    "sync_policy",
    "response_groups",
    "lost_timeout_s",
];

fn dist_kind(d: &Option<Distribution>) -> &'static str {
    match d {
        None => "constant-50ms",
        Some(Distribution::Constant { .. }) => "constant",
        Some(Distribution::Uniform { .. }) => "uniform",
        Some(Distribution::Normal { .. }) => "normal",
        Some(Distribution::Lognormal { .. }) => "lognormal",
        Some(Distribution::Pareto { .. }) => "pareto",
    }
}

fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The feature values of `s`, one per [`FEATURE_COLUMNS`] entry.
pub fn features(s: &Scenario) -> Vec<String> {
    let n = &s.network;
    let partitions: Vec<String> = s
        .partitions
        .iter()
        .map(|p| {
            let shape = if p.isolate.is_some() {
                "isolate"
            } else if p.ids.is_some() {
                "ids"
            } else {
                "halves"
            };
            let dir = if p.direction.is_both() {
                ""
            } else {
                "-one-way"
            };
            format!(
                "{shape}{dir}@{}-{}s",
                p.start.as_secs_f64(),
                p.heal.as_secs_f64()
            )
        })
        .collect();
    let churn = if s.churn.offline.is_empty() && s.churn.random.is_none() && s.churn.join.is_empty()
    {
        String::new()
    } else {
        format!(
            "{}:{}w{}{}",
            name(&s.churn.mode),
            s.churn.offline.len(),
            if s.churn.random.is_some() {
                "+random"
            } else {
                ""
            },
            if s.churn.join.is_empty() { "" } else { "+join" }
        )
    };
    let skew = match &s.clock_skew {
        Some(_) => "yes".into(),
        None => String::new(),
    };
    let ge = n.gilbert_elliott.as_ref();
    vec![
        s.participants.to_string(),
        s.duration.as_secs_f64().to_string(),
        s.drain.as_secs_f64().to_string(),
        s.workload.rate_per_s.to_string(),
        name(&n.dissemination),
        if n.dissemination == Dissemination::Relay {
            n.mesh_degree.to_string()
        } else {
            String::new()
        },
        dist_kind(&n.latency.distribution).into(),
        n.loss.to_string(),
        ge.map_or(String::new(), |g| g.p.to_string()),
        ge.map_or(String::new(), |g| g.r.unwrap_or(1.0 - g.p).to_string()),
        n.duplicate.to_string(),
        partitions.join(" "),
        churn,
        skew,
        s.node_classes.len().to_string(),
        n.degradations.len().to_string(),
        n.links.len().to_string(),
        s.store.nodes.to_string(),
        name(&s.retrieval_strategy()),
        s.workload
            .direct
            .as_ref()
            .map_or(0, |d| d.conversations)
            .to_string(),
        s.sds.causal_history.to_string(),
        name(&s.sds.sync.policy),
        s.sds.repair.response_groups.to_string(),
        s.sds
            .lost_timeout
            .map_or(String::new(), |t| t.as_secs_f64().to_string()),
    ]
}

/// The fault classes of `s` (timed and random faults), in a fixed order; empty for a
/// fault-free scenario.
pub fn fault_classes(s: &Scenario) -> Vec<&'static str> {
    let n = &s.network;
    let mut c = Vec::new();
    if s.partitions.iter().any(|p| !p.direction.is_both()) {
        c.push("one-way-partition");
    }
    if s.partitions.iter().any(|p| p.direction.is_both()) {
        c.push("two-way-partition");
    }
    if n.loss > 0.0 {
        c.push("loss");
    }
    if n.gilbert_elliott.is_some() {
        c.push("bursty-loss");
    }
    if n.duplicate > 0.0 {
        c.push("duplicate");
    }
    let windows = !s.churn.offline.is_empty() || s.churn.random.is_some();
    if windows {
        c.push(match s.churn.mode {
            ChurnMode::Sleep => "sleep-churn",
            ChurnMode::Crash => "crash-churn",
            ChurnMode::Leave => "leave-churn",
        });
    }
    if !s.churn.join.is_empty() {
        c.push("late-join");
    }
    if s.clock_skew.is_some() || !s.clock_skew_fixed.is_empty() {
        c.push("clock-skew");
    }
    if !s.node_classes.is_empty() {
        c.push("slow-nodes");
    }
    if !n.degradations.is_empty() {
        c.push("degradation");
    }
    if !n.links.is_empty() {
        c.push("lossy-links");
    }
    if !s.store.offline.is_empty() {
        c.push("store-outage");
    }
    c
}

/// Configuration tags of `s` that matter for failures (not faults): a relay mesh of degree
/// <= 2, sync off, SDS-R off, several response groups, store nodes, direct messages, a
/// short causal history (<= 4).
pub fn config_tags(s: &Scenario) -> Vec<&'static str> {
    let mut t = Vec::new();
    if s.network.dissemination == Dissemination::Relay && s.network.mesh_degree <= 2 {
        t.push("relay-degree<=2");
    }
    if s.sds.sync.policy == SyncPolicyName::Off {
        t.push("sync-off");
    }
    if !s.sds.repair.enabled {
        t.push("sds-r-off");
    }
    if s.sds.repair.response_groups > 1 {
        t.push("response-groups>1");
    }
    if s.store.nodes > 0 {
        t.push("store");
    }
    if s.workload.direct.is_some() {
        t.push("direct");
    }
    if s.sds.causal_history <= 4 {
        t.push("history<=4");
    }
    t
}
