//! Semantic validation of a deserialized [`Scenario`]: ranges and cross-field rules that
//! serde cannot express. The valid range of every key is listed in `scenarios/README.md`;
//! upper bounds of sizes and rates are checked first, by [`super::bounds`].

use super::duration::SignedDuration;
use super::duration::SimDuration;
use super::types::{ChurnMode, ClockSkew, Dissemination, Distribution, Scenario};

/// A validation failure: the dotted key path and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invalid {
    pub key: String,
    pub message: String,
}

pub(super) type Res = Result<(), Invalid>;

pub(super) fn bad(key: impl Into<String>, message: impl Into<String>) -> Res {
    Err(Invalid {
        key: key.into(),
        message: message.into(),
    })
}

pub(super) fn positive(key: &str, d: SimDuration) -> Res {
    if d.is_zero() {
        return bad(key, "must be greater than 0s");
    }
    Ok(())
}

/// `start` (a time since run start) must fall inside the workload (`< duration`).
pub(super) fn in_workload(key: String, start: SimDuration, duration: SimDuration) -> Res {
    if start >= duration {
        return bad(
            key,
            format!("must be before the end of the workload (duration = {duration}), got {start}"),
        );
    }
    Ok(())
}

/// A window's `end` must come after its `start`.
pub(super) fn after_start(key: String, start: SimDuration, end: SimDuration) -> Res {
    if end <= start {
        return bad(key, format!("must be after start ({start}), got {end}"));
    }
    Ok(())
}

/// Participant id `id` must be `< n`.
pub(super) fn participant_in_range(key: String, id: u32, n: u32) -> Res {
    if id >= n {
        return bad(
            key,
            format!("participant {id} is out of range (participants = {n})"),
        );
    }
    Ok(())
}

/// Checks every rule of `scenarios/README.md`; returns the first violation found.
pub(crate) fn validate(s: &Scenario) -> Res {
    // It becomes the directory reports/runs/<name>-seed<N>/. Empty only before the loader
    // fills it from the file stem (and checks that).
    if !s.name.is_empty() {
        if let Err(m) = crate::names::check_name(&s.name) {
            return bad("name", m);
        }
    }
    super::bounds::check(s)?;
    if s.participants == 0 {
        return bad("participants", "must be at least 1, got 0");
    }
    positive("duration", s.duration)?;
    if s.duration
        .as_micros()
        .checked_add(s.drain.as_micros())
        .is_none()
    {
        return bad("drain", "duration + drain overflows the simulated clock");
    }
    positive("report_interval", s.report_interval)?;

    let w = &s.workload;
    if !(w.rate_per_s.is_finite() && w.rate_per_s >= 0.0) {
        return bad(
            "workload.rate_per_s",
            format!("must be a finite number >= 0, got {}", w.rate_per_s),
        );
    }
    if w.rate_per_s == 0.0 && w.publish.is_empty() && w.direct.is_none() {
        return bad(
            "workload.rate_per_s",
            "is 0 and there is no [[workload.publish]]: the run would publish nothing",
        );
    }
    for (i, p) in w.publish.iter().enumerate() {
        let key = |k: &str| format!("workload.publish.{i}.{k}");
        participant_in_range(key("sender"), p.sender, s.participants)?;
        if p.count == 0 {
            return bad(key("count"), "must be at least 1, got 0");
        }
        let last = u128::from(p.at.as_micros())
            + u128::from(p.count - 1) * u128::from(p.interval.as_micros());
        if last >= u128::from(s.duration.as_micros()) {
            return bad(
                key("at"),
                format!(
                    "the last publication of this entry (at {}us) is not inside the workload (duration = {})",
                    last, s.duration
                ),
            );
        }
    }
    if w.payload_bytes == 0 {
        return bad("workload.payload_bytes", "must be at least 1, got 0");
    }

    let n = &s.network;
    // A relay mesh must be connected: with D = 0 nobody forwards anything, and with D = 1
    // the mesh is a matching (pairs that only hear each other). D >= 2 is joined into one
    // component (net::topology::connect).
    let relay_nodes = s.network_nodes()
        - s.light
            .as_ref()
            .map_or(0, |l| l.client_ids(s.participants).len() as u32);
    if n.dissemination == Dissemination::Relay && relay_nodes > 2 && n.mesh_degree < 2 {
        return bad(
            "network.mesh_degree",
            format!(
                "must be at least 2 with dissemination = \"relay\" ({} relay nodes): a mesh of degree {} cannot connect them",
                relay_nodes, n.mesh_degree
            ),
        );
    }
    if !(0.0..=1.0).contains(&n.loss) {
        return bad("network.loss", format!("must be in [0, 1], got {}", n.loss));
    }
    if !(0.0..=1.0).contains(&n.duplicate) {
        return bad(
            "network.duplicate",
            format!("must be in [0, 1], got {}", n.duplicate),
        );
    }
    let lat = &n.latency;
    if lat.regions.is_some() && lat.distribution.is_some() {
        return bad(
            "network.latency.distribution",
            "cannot be combined with network.latency.regions (give at most one of them)",
        );
    }
    if lat.regions.is_none() {
        if lat.same_region.is_some() {
            return bad(
                "network.latency.same_region",
                "only applies with network.latency.regions",
            );
        }
        if lat.jitter.is_some() {
            return bad(
                "network.latency.jitter",
                "only applies with network.latency.regions",
            );
        }
    }
    if let Some(r) = &lat.regions {
        if r.trim().is_empty() {
            return bad("network.latency.regions", "must be a file path, got \"\"");
        }
    }
    if let Some(d) = &lat.jitter {
        distribution("network.latency.jitter", d)?;
    }
    if let Some(d) = &lat.distribution {
        distribution("network.latency.distribution", d)?;
    }

    links(s)?;
    node_classes(s)?;

    for (i, p) in s.partitions.iter().enumerate() {
        let key = |k: &str| format!("partitions.{i}.{k}");
        after_start(key("heal"), p.start, p.heal)?;
        in_workload(key("start"), p.start, s.duration)?;
        let given = [p.fractions.is_some(), p.ids.is_some(), p.isolate.is_some()];
        match given.iter().filter(|g| **g).count() {
            0 => {
                return bad(
                    format!("partitions.{i}"),
                    "give exactly one of fractions, ids or isolate",
                )
            }
            1 => {}
            _ => {
                let second = if p.isolate.is_some() {
                    "isolate"
                } else {
                    "ids"
                };
                return bad(
                    key(second),
                    "give exactly one of fractions, ids or isolate, not several",
                );
            }
        }
        if let Some(iso) = &p.isolate {
            if iso.is_empty() {
                return bad(key("isolate"), "needs at least one participant id");
            }
            ids_in_range(&key("isolate"), iso, s.participants)?;
        }
        match (&p.fractions, &p.ids) {
            (None, None) => {}
            (Some(_), Some(_)) => unreachable!("checked above"),
            (Some(fr), None) => {
                if fr.len() < 2 {
                    return bad(
                        key("fractions"),
                        format!("needs at least 2 groups, got {}", fr.len()),
                    );
                }
                for (j, f) in fr.iter().enumerate() {
                    if !(*f > 0.0 && *f <= 1.0) {
                        return bad(
                            format!("partitions.{i}.fractions.{j}"),
                            format!("must be in (0, 1], got {f}"),
                        );
                    }
                }
                let sum: f64 = fr.iter().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    return bad(key("fractions"), format!("must sum to 1, got {sum}"));
                }
            }
            (None, Some(groups)) => {
                let mut seen = std::collections::BTreeSet::new();
                for (g, group) in groups.iter().enumerate() {
                    for id in group {
                        if *id >= s.participants {
                            return bad(
                                format!("partitions.{i}.ids.{g}"),
                                format!(
                                    "partition group out of range: id {id} >= participants ({})",
                                    s.participants
                                ),
                            );
                        }
                        if !seen.insert(*id) {
                            return bad(
                                format!("partitions.{i}.ids.{g}"),
                                format!("participant {id} is listed more than once"),
                            );
                        }
                    }
                }
                if seen.is_empty() {
                    return bad(key("ids"), "needs at least one non-empty group");
                }
            }
        }
    }

    let sds = &s.sds;
    if sds.possible_acks_threshold == 0 {
        return bad("sds.possible_acks_threshold", "must be at least 1, got 0");
    }
    if sds.bloom_capacity == 0 {
        return bad("sds.bloom_capacity", "must be at least 1, got 0");
    }
    if !(sds.bloom_error_rate > 0.0 && sds.bloom_error_rate < 1.0) {
        return bad(
            "sds.bloom_error_rate",
            format!("must be in (0, 1), got {}", sds.bloom_error_rate),
        );
    }
    positive("sds.resend_interval", sds.resend_interval)?;
    positive("sds.sync.interval", sds.sync.interval)?;
    if sds.sync.interval_max < sds.sync.interval {
        return bad(
            "sds.sync.interval_max",
            format!(
                "must be >= sds.sync.interval ({}), got {}",
                sds.sync.interval, sds.sync.interval_max
            ),
        );
    }
    if sds.sync.redundancy == 0 {
        return bad("sds.sync.redundancy", "must be at least 1, got 0");
    }
    let r = &sds.repair;
    if r.t_min >= r.t_max {
        return bad(
            "sds.repair.t_min",
            format!("must be less than t_max ({}), got {}", r.t_max, r.t_min),
        );
    }
    if r.max_requests == 0 {
        return bad("sds.repair.max_requests", "must be at least 1, got 0");
    }
    match sds.lost_timeout {
        // The core counts in whole ms: a shorter timeout would truncate to 0.
        Some(t) if t.as_micros() < 1_000 => {
            return bad("sds.lost_timeout", format!("must be at least 1ms, got {t}"));
        }
        None if !sds.lost_policy.is_default() => {
            return bad(
                "sds.lost_policy",
                "has no effect without sds.lost_timeout (set both, or neither)",
            );
        }
        _ => {}
    }
    super::implementation::validate(s)?;
    churn(s)?;
    clock_skew(s)?;
    direct(s)?;
    store(s)?;
    super::validate_light::light(s)
}

fn direct(s: &Scenario) -> Res {
    let w = &s.workload;
    if !w.group {
        if w.direct.is_none() {
            return bad(
                "workload.group",
                "is false but there is no [workload.direct]: the run would have no channel",
            );
        }
        if w.rate_per_s != 0.0 {
            return bad(
                "workload.rate_per_s",
                "must be 0 when workload.group = false (there is no group channel)",
            );
        }
        if !w.publish.is_empty() {
            return bad(
                "workload.publish",
                "publishes on the group channel, which workload.group = false removes",
            );
        }
    }
    let Some(d) = &w.direct else {
        return Ok(());
    };
    let n = u64::from(s.participants);
    let pairs = n * n.saturating_sub(1) / 2;
    if d.conversations == 0 || u64::from(d.conversations) > pairs {
        return bad(
            "workload.direct.conversations",
            format!(
                "must be between 1 and participants * (participants - 1) / 2 = {pairs}, got {}",
                d.conversations
            ),
        );
    }
    if !(d.rate_per_s.is_finite() && d.rate_per_s > 0.0) {
        return bad(
            "workload.direct.rate_per_s",
            format!("must be a finite number > 0, got {}", d.rate_per_s),
        );
    }
    Ok(())
}

fn store(s: &Scenario) -> Res {
    let st = &s.store;
    if st.page_size == 0 || st.page_size > 100 {
        return bad(
            "store.page_size",
            format!(
                "must be between 1 and 100 (Waku Store MaxPageSize), got {}",
                st.page_size
            ),
        );
    }
    positive("store.retention", st.retention)?;
    positive("store.query_timeout", st.query_timeout)?;
    for (i, w) in st.offline.iter().enumerate() {
        let key = |k: &str| format!("store.offline.{i}.{k}");
        if w.node >= st.nodes {
            return bad(
                key("node"),
                format!(
                    "store node {} is out of range (store.nodes = {})",
                    w.node, st.nodes
                ),
            );
        }
        in_workload(key("start"), w.start, s.duration)?;
        after_start(key("end"), w.start, w.end)?;
    }
    let r = &s.retrieval;
    positive("retrieval.missing_interval", r.missing_interval)?;
    positive("retrieval.force_query_after", r.force_query_after)?;
    if let Some(strategy) = r.strategy {
        if strategy.uses_store() && st.nodes == 0 {
            return bad(
                "retrieval.strategy",
                "queries store nodes but store.nodes = 0 (add [store] nodes = 1 or more)",
            );
        }
        if strategy.uses_sds_r() && !s.sds.repair.enabled {
            return bad(
                "retrieval.strategy",
                "uses SDS-R but sds.repair.enabled = false",
            );
        }
    }
    Ok(())
}

/// Participant ids in `ids` are in range; `key` names the list.
pub(super) fn nonempty_ids_in_range(key: &str, ids: &[u32], n: u32) -> Res {
    if ids.is_empty() {
        return bad(key, "needs at least one participant id");
    }
    if let Some(id) = ids.iter().find(|&&id| id >= n) {
        return bad(
            key,
            format!("participant {id} is out of range (participants = {n})"),
        );
    }
    Ok(())
}

fn churn(s: &Scenario) -> Res {
    let c = &s.churn;
    let n = s.participants;
    let needs_end = c.mode != ChurnMode::Leave;
    for (i, w) in c.offline.iter().enumerate() {
        let key = |k: &str| format!("churn.offline.{i}.{k}");
        nonempty_ids_in_range(&key("ids"), &w.ids, n)?;
        in_workload(key("start"), w.start, s.duration)?;
        match w.end {
            None if needs_end => {
                return bad(
                    key("end"),
                    "is required unless churn.mode = \"leave\" (a sleeping or crashed participant comes back at end)",
                )
            }
            Some(end) if needs_end && end <= w.start => {
                return bad(
                    key("end"),
                    format!("must be after start ({}), got {}", w.start, end),
                )
            }
            _ => {}
        }
    }
    if let Some(r) = &c.random {
        if !(r.fraction > 0.0 && r.fraction <= 1.0) {
            return bad(
                "churn.random.fraction",
                format!("must be in (0, 1], got {}", r.fraction),
            );
        }
        if r.start.as_micros().saturating_add(r.stagger.as_micros()) >= s.duration.as_micros() {
            return bad(
                "churn.random.start",
                format!(
                    "start + stagger must be before the end of the workload (duration = {}), got {} + {}",
                    s.duration, r.start, r.stagger
                ),
            );
        }
        match r.duration {
            None if needs_end => {
                return bad(
                    "churn.random.duration",
                    "is required unless churn.mode = \"leave\"",
                )
            }
            Some(d) if needs_end && d.is_zero() => {
                return bad("churn.random.duration", "must be greater than 0s")
            }
            _ => {}
        }
    }
    let mut joined = std::collections::BTreeSet::new();
    for (i, j) in c.join.iter().enumerate() {
        let key = |k: &str| format!("churn.join.{i}.{k}");
        nonempty_ids_in_range(&key("ids"), &j.ids, n)?;
        for id in &j.ids {
            if !joined.insert(*id) {
                return bad(key("ids"), format!("participant {id} joins more than once"));
            }
        }
        in_workload(key("at"), j.at, s.duration)?;
    }
    Ok(())
}

/// Largest clock offset accepted, in µs (one day).
pub(crate) const MAX_SKEW_US: i64 = 86_400_000_000;

fn skew_in_range(key: String, d: SignedDuration) -> Res {
    if d.as_micros().unsigned_abs() > MAX_SKEW_US as u64 {
        return bad(key, format!("must be within -1d..1d, got {d}"));
    }
    Ok(())
}

fn clock_skew(s: &Scenario) -> Res {
    match &s.clock_skew {
        None => {}
        Some(ClockSkew::Constant { value }) => skew_in_range("clock_skew.value".into(), *value)?,
        Some(ClockSkew::Uniform { min, max }) => {
            skew_in_range("clock_skew.min".into(), *min)?;
            skew_in_range("clock_skew.max".into(), *max)?;
            if min > max {
                return bad(
                    "clock_skew.min",
                    format!("must be <= max ({max}), got {min}"),
                );
            }
        }
        Some(ClockSkew::Normal { mean, .. }) => skew_in_range("clock_skew.mean".into(), *mean)?,
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, f) in s.clock_skew_fixed.iter().enumerate() {
        let key = |k: &str| format!("clock_skew_fixed.{i}.{k}");
        participant_in_range(key("id"), f.id, s.participants)?;
        if !seen.insert(f.id) {
            return bad(
                key("id"),
                format!("participant {} is listed more than once", f.id),
            );
        }
        skew_in_range(key("offset"), f.offset)?;
    }
    Ok(())
}

pub(super) fn distribution(key: &str, d: &Distribution) -> Res {
    match d {
        Distribution::Constant { .. } => Ok(()),
        Distribution::Uniform { min, max } => {
            if min > max {
                return bad(
                    format!("{key}.min"),
                    format!("must be <= max ({max}), got {min}"),
                );
            }
            Ok(())
        }
        // std_dev is a SimDuration, hence >= 0 by construction.
        Distribution::Normal { .. } => Ok(()),
        Distribution::Lognormal { sigma, .. } => {
            if !(sigma.is_finite() && *sigma >= 0.0) {
                return bad(
                    format!("{key}.sigma"),
                    format!("must be finite and >= 0, got {sigma}"),
                );
            }
            Ok(())
        }
        Distribution::Pareto { scale, shape } => {
            if !(shape.is_finite() && *shape > 0.0) {
                return bad(
                    format!("{key}.shape"),
                    format!("must be finite and > 0, got {shape}"),
                );
            }
            if scale.is_zero() {
                return bad(format!("{key}.scale"), "must be greater than 0s");
            }
            Ok(())
        }
    }
}

pub(super) fn probability(key: &str, x: f64) -> Res {
    if !(0.0..=1.0).contains(&x) {
        return bad(key, format!("must be in [0, 1], got {x}"));
    }
    Ok(())
}

/// Every id `< participants` and listed at most once.
pub(super) fn ids_in_range(key: &str, ids: &[u32], participants: u32) -> Res {
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if *id >= participants {
            return bad(
                key,
                format!("participant {id} is out of range (participants = {participants})"),
            );
        }
        if !seen.insert(*id) {
            return bad(key, format!("participant {id} is listed more than once"));
        }
    }
    Ok(())
}

/// `[network.gilbert_elliott]`, `[[network.degradations]]`, `[[network.links]]`.
fn links(s: &Scenario) -> Res {
    let n = &s.network;
    if let Some(ge) = &n.gilbert_elliott {
        probability("network.gilbert_elliott.p", ge.p)?;
        if let Some(r) = ge.r {
            probability("network.gilbert_elliott.r", r)?;
        }
        probability("network.gilbert_elliott.h", ge.h)?;
        probability("network.gilbert_elliott.k", ge.k)?;
        if ge.p + ge.r_or_default() == 0.0 {
            return bad(
                "network.gilbert_elliott.r",
                "p and r are both 0: the chain never leaves its initial (good) state; set p = 0 alone or r > 0",
            );
        }
    }
    for (i, d) in n.degradations.iter().enumerate() {
        let key = |k: &str| format!("network.degradations.{i}.{k}");
        after_start(key("end"), d.start, d.end)?;
        in_workload(key("start"), d.start, s.duration)?;
        probability(&key("loss"), d.loss)?;
        if let Some(ids) = &d.ids {
            if ids.is_empty() {
                return bad(
                    key("ids"),
                    "needs at least one participant id (omit it for all)",
                );
            }
            ids_in_range(&key("ids"), ids, s.participants)?;
        }
    }
    for (i, l) in n.links.iter().enumerate() {
        let key = |k: &str| format!("network.links.{i}.{k}");
        for (k, id) in [("from", l.from), ("to", l.to)] {
            if id >= s.participants {
                return bad(
                    key(k),
                    format!(
                        "participant {id} is out of range (participants = {})",
                        s.participants
                    ),
                );
            }
        }
        if l.from == l.to {
            return bad(key("to"), format!("must differ from from ({})", l.from));
        }
        probability(&key("loss"), l.loss)?;
    }
    Ok(())
}

/// `[[node_classes]]`.
fn node_classes(s: &Scenario) -> Res {
    let mut names = std::collections::BTreeSet::new();
    let mut listed = std::collections::BTreeSet::new();
    let mut by_fraction: u64 = 0;
    let mut fraction_sum = 0.0;
    for (i, c) in s.node_classes.iter().enumerate() {
        let key = |k: &str| format!("node_classes.{i}.{k}");
        if c.name.trim().is_empty() {
            return bad(key("name"), "must not be empty");
        }
        if !names.insert(c.name.as_str()) {
            return bad(key("name"), format!("class {:?} is defined twice", c.name));
        }
        match (c.fraction, &c.ids) {
            (Some(_), Some(_)) => {
                return bad(key("ids"), "give exactly one of fraction or ids, not both")
            }
            // A class for the light clients (`light.client_class`) needs no members of its
            // own.
            (None, None)
                if s.light
                    .as_ref()
                    .and_then(|l| l.client_class.as_ref())
                    .is_some_and(|name| name == &c.name) => {}
            (None, None) => {
                return bad(
                    format!("node_classes.{i}"),
                    "give exactly one of fraction or ids (or name the class in light.client_class)",
                )
            }
            (Some(f), None) => {
                if !(f > 0.0 && f <= 1.0) {
                    return bad(key("fraction"), format!("must be in (0, 1], got {f}"));
                }
                fraction_sum += f;
                if fraction_sum > 1.0 + 1e-9 {
                    return bad(
                        key("fraction"),
                        format!(
                            "fractions of all classes must sum to at most 1, got {fraction_sum}"
                        ),
                    );
                }
                by_fraction += (f * f64::from(s.participants)).floor() as u64;
            }
            (None, Some(ids)) => {
                if ids.is_empty() {
                    return bad(key("ids"), "needs at least one participant id");
                }
                ids_in_range(&key("ids"), ids, s.participants)?;
                for id in ids {
                    if !listed.insert(*id) {
                        return bad(
                            key("ids"),
                            format!("participant {id} is already in another class"),
                        );
                    }
                }
            }
        }
        for (k, v) in [
            ("uplink_bps", c.uplink_bps),
            ("downlink_bps", c.downlink_bps),
        ] {
            if v == Some(0) {
                return bad(
                    key(k),
                    "must be greater than 0 bits/s (omit it for unlimited)",
                );
            }
        }
        probability(&key("loss"), c.loss)?;
    }
    if by_fraction + listed.len() as u64 > u64::from(s.participants) {
        return bad(
            "node_classes",
            format!(
                "fraction classes ({by_fraction} participants) and ids classes ({}) need more than the {} participants",
                listed.len(),
                s.participants
            ),
        );
    }
    Ok(())
}
