//! The event-queue part of the memory estimate (the module docs' "event queue" row).

use super::{
    mean_latency_s, toml_name, Channels, Part, EVENT_BYTES, QUEUED_REDUNDANT_FRACTION,
    QUEUE_FIXED_BYTES, RESEND_FACTOR,
};
use crate::scenario::{Dissemination, Loaded, Protocol, SyncPolicyName};

/// Copies on the wire at the busiest time, scripted publications queued at the start,
/// packets in flight.
pub(super) fn queue(loaded: &Loaded, kinds: &[Channels], wire: f64, stores: f64) -> Part {
    let sc = &loaded.scenario;
    let n = f64::from(sc.participants);
    let latency = mean_latency_s(loaded);
    let secs = (sc.duration.as_micros() as f64 / 1e6).max(1e-6);
    let sds = sc.protocol == Protocol::Sds;
    let d = f64::from(sc.network.mesh_degree.max(1));
    let elision = !sc.churn.is_active() && sc.light.is_none();
    let mut copies_per_s = 0.0;
    let mut packets_in_flight = 0.0;
    for (i, k) in kinds.iter().enumerate() {
        let group = i == 0 && sc.workload.group;
        let fanout = match (group, sc.network.dissemination) {
            (false, _) | (true, Dissemination::Broadcast) => (k.members - 1.0).max(1.0),
            // Redundant copies are counted when sent, not queued, without churn and light
            // clients (`engine::elision`): a copy per member and a few of the redundant ones.
            (true, Dissemination::Relay) if elision => {
                k.members * (1.0 + (d - 1.0).max(0.0) * QUEUED_REDUNDANT_FRACTION)
            }
            (true, Dissemination::Relay) => k.members * d,
            (true, Dissemination::Ring) => {
                k.members * 2.0 * (k.members / 2.0).max(2.0).log2().ceil()
            }
        };
        let hops = match (group, sc.network.dissemination) {
            (true, Dissemination::Relay) => {
                (k.members.max(2.0).ln() / d.max(2.0).ln()).ceil() + 1.0
            }
            (true, Dissemination::Ring) => k.members.max(2.0).log2().ceil(),
            _ => 1.0,
        };
        let content = k.count * k.messages / secs * if sds { RESEND_FACTOR } else { 1.0 };
        let sync_interval = sc.sds.sync.interval.as_micros() as f64 / 1e6;
        let syncs = if !sds {
            0.0
        } else {
            k.count
                * match sc.sds.sync.policy {
                    SyncPolicyName::Periodic | SyncPolicyName::ReliableChannel => {
                        k.members / sync_interval
                    }
                    SyncPolicyName::Trickle => 2.0 * k.members / sync_interval,
                    SyncPolicyName::Off => 0.0,
                }
        };
        // Scripted publications: each entry's messages over its span (or all at once).
        let scripted: f64 = if group {
            sc.workload
                .publish
                .iter()
                .map(|p| {
                    let span =
                        f64::from(p.count.saturating_sub(1)) * p.interval.as_micros() as f64 / 1e6;
                    f64::from(p.count) / span.max(latency)
                })
                .sum()
        } else {
            0.0
        };
        let transmissions = content + syncs + scripted;
        copies_per_s += transmissions * fanout + (content + scripted) * stores;
        if group && sc.network.dissemination != Dissemination::Broadcast {
            packets_in_flight += transmissions * latency * hops;
        }
    }
    let pending = copies_per_s * latency;
    let scripted_events: f64 = sc.workload.publish.iter().map(|p| f64::from(p.count)).sum();
    // Per packet in flight: its seen-set (a bit per node) and, with elision, the earliest
    // queued arrival per node (4 bytes; `net::Packet`).
    let bitset = if sc.network.dissemination == Dissemination::Broadcast {
        0.0
    } else {
        n / 8.0 + if elision { 4.0 * n } else { 0.0 }
    };
    Part {
        what: "the event queue (copies on the wire at once)",
        bytes: pending * EVENT_BYTES
            + QUEUE_FIXED_BYTES
            + scripted_events * 64.0
            + packets_in_flight * (bitset + wire),
        driver: format!(
            "participants = {} with network.dissemination = {}{}{}: ~{} copies on the wire at \
             once (~{:.0} ms per hop)",
            sc.participants,
            toml_name(&sc.network.dissemination),
            if sc.network.dissemination == Dissemination::Relay {
                format!(" (network.mesh_degree = {})", sc.network.mesh_degree)
            } else {
                String::new()
            },
            if sds {
                format!(", sds.sync.policy = {}", toml_name(&sc.sds.sync.policy))
            } else {
                String::new()
            },
            pending.round() as u64,
            latency * 1e3
        ),
    }
}
