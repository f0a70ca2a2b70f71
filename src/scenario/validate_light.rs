//! Validation of `[light]` (light clients, service nodes and their faults): every rule of
//! `scenarios/README.md` ("`[light]`").

use super::light::Light;
use super::types::{Dissemination, Scenario};
use super::validate::{
    after_start, bad, distribution, in_workload, nonempty_ids_in_range, positive, Res,
};

/// Checks `[light]` if present.
pub(super) fn light(s: &Scenario) -> Res {
    let Some(l) = &s.light else {
        return Ok(());
    };
    let n = s.participants;
    match (&l.clients, &l.ids) {
        (Some(_), Some(_)) => {
            return bad("light.ids", "give either light.clients or light.ids, not both")
        }
        (None, None) => {
            return bad(
                "light.clients",
                "is missing: say which participants are light clients (clients = N for ids 0..N, or ids = [...])",
            )
        }
        (Some(k), None) if *k == 0 || *k > n => {
            return bad(
                "light.clients",
                format!("must be in 1..={n} (participants), got {k}"),
            )
        }
        (None, Some(ids)) => nonempty_ids_in_range("light.ids", ids, n)?,
        _ => {}
    }
    if s.network.dissemination != Dissemination::Relay {
        return bad(
            "network.dissemination",
            "must be \"relay\" with [light]: light clients reach the group through service nodes in the relay mesh",
        );
    }
    if let Some(name) = &l.client_class {
        if !s.node_classes.iter().any(|c| &c.name == name) {
            return bad(
                "light.client_class",
                format!("names no [[node_classes]] entry (got {name:?})"),
            );
        }
    }
    services(s, l)?;
    timing(l)?;
    faults(s, l)
}

/// Service nodes exist, are relay nodes, and each client can keep its subscriptions.
fn services(s: &Scenario, l: &Light) -> Res {
    let n = s.participants;
    let count = l.service_nodes + l.service_ids.len() as u32;
    if count == 0 {
        return bad(
            "light.service_nodes",
            "light clients need at least one service node (set light.service_nodes, or list relay participants in light.service_ids)",
        );
    }
    for (k, &id) in l.service_ids.iter().enumerate() {
        let key = format!("light.service_ids.{k}");
        if id >= n {
            return bad(
                key,
                format!("participant {id} is out of range (participants = {n})"),
            );
        }
        if l.is_client(id) {
            return bad(
                key,
                format!("participant {id} is a light client and cannot also be a service node"),
            );
        }
        if l.service_ids[..k].contains(&id) {
            return bad(key, format!("participant {id} is listed more than once"));
        }
    }
    if let Some(p) = l.service_peers {
        if p == 0 || p > count {
            return bad(
                "light.service_peers",
                format!("must be in 1..={count} (the service nodes), got {p}"),
            );
        }
    }
    let peers = l.effective_service_peers();
    if l.lightpush_peers == 0 || l.lightpush_peers > peers {
        return bad(
            "light.lightpush_peers",
            format!(
                "must be in 1..={peers} (light.service_peers), got {}",
                l.lightpush_peers
            ),
        );
    }
    for (key, bps) in [
        ("light.service_uplink_bps", l.service_uplink_bps),
        ("light.service_downlink_bps", l.service_downlink_bps),
    ] {
        if bps == Some(0) {
            return bad(key, "must be greater than 0 bits/s (omit it for no limit)");
        }
    }
    if l.max_subscribers == 0 {
        return bad("light.max_subscribers", "must be at least 1, got 0");
    }
    Ok(())
}

fn timing(l: &Light) -> Res {
    positive("light.lightpush_timeout", l.lightpush_timeout)?;
    positive("light.lightpush_retry_interval", l.lightpush_retry_interval)?;
    positive("light.keep_alive_interval", l.keep_alive_interval)?;
    positive("light.subscription_timeout", l.subscription_timeout)?;
    if l.pings_before_renewal == 0 {
        return bad("light.pings_before_renewal", "must be at least 1, got 0");
    }
    distribution("light.reconnect", &l.reconnect)
}

fn faults(s: &Scenario, l: &Light) -> Res {
    let count = l.service_nodes + l.service_ids.len() as u32;
    for (k, w) in l.service_offline.iter().enumerate() {
        let key = |f: &str| format!("light.service_offline.{k}.{f}");
        if w.node >= count {
            return bad(
                key("node"),
                format!(
                    "service node {} is out of range (there are {count}: the {} dedicated ones, then light.service_ids)",
                    w.node, l.service_nodes
                ),
            );
        }
        in_workload(key("start"), w.start, s.duration)?;
        after_start(key("end"), w.start, w.end)?;
    }
    for (k, w) in l.network_switch.iter().enumerate() {
        let key = |f: &str| format!("light.network_switch.{k}.{f}");
        match (&w.ids, w.fraction) {
            (Some(_), Some(_)) | (None, None) => {
                return bad(key("ids"), "give exactly one of ids or fraction")
            }
            (Some(ids), None) => {
                nonempty_ids_in_range(&key("ids"), ids, s.participants)?;
                if let Some(&id) = ids.iter().find(|&&id| !l.is_client(id)) {
                    return bad(
                        key("ids"),
                        format!("participant {id} is not a light client (only light clients switch networks)"),
                    );
                }
            }
            (None, Some(f)) => {
                if !(f > 0.0 && f <= 1.0) {
                    return bad(key("fraction"), format!("must be in (0, 1], got {f}"));
                }
            }
        }
        in_workload(key("at"), w.at, s.duration)?;
        if let Some(d) = &w.reconnect {
            distribution(&key("reconnect"), d)?;
        }
    }
    Ok(())
}
