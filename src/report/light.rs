//! How deliveries arrived (`summary.delivered_via`) and the light-client figures with the
//! telemetry-optimism table (`summary.light`): what senders believed against what arrived.
//!
//! May touch: the run's outcome (recorder, light figures) and the scenario (who is a light
//! client). May not touch: files, clocks.
//!
//! Telemetry milestones (a message counts in a row when its publisher reached that
//! milestone): `sent` (js-waku's ReliableChannel emits `message-sent` for every send unless
//! the error is irrecoverable: `packages/sdk/src/reliable_channel/reliable_channel.ts`
//! l. 357-373, waku-org/js-waku 84a6ea6), `lightpush_accepted` (a service node accepted a
//! LightPush request carrying it), `propagated` (it came back through the publisher's own
//! Filter subscription: the Waku API's `message:send-propagated`), `acknowledged` (the SDS
//! `MessageDeliveredEvent` of the Reliable Channel API spec, logos-lips slug 173: named in a
//! causal history or matched by enough bloom filters), `delivery_error` (its resends ran out:
//! the Reliable Channel API's `MessageDeliveryErrorEvent`). Each row says how many of those
//! messages some expected receiver, or every one, never delivered.

use serde::Serialize;

use crate::metrics::{LightStats, RunOutcome, Via};
use crate::scenario::Scenario;

/// `summary.delivered_via`: delivered pairs by the kind of copy that brought the message.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveredVia {
    /// The original content transmission.
    pub content: u64,
    /// An eager-push resend.
    pub resend: u64,
    /// An SDS-R repair response.
    pub repair_response: u64,
    /// A store query's answer.
    pub store: u64,
    /// Not known (delivered pairs outside the ones above: e.g. a message delivered after a
    /// crash restart).
    pub unknown: u64,
    /// Of all of these, pairs whose copy came through a Filter push (light receivers).
    pub through_filter: u64,
}

/// One row of the telemetry table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TelemetryRow {
    /// Messages whose publisher reached the milestone.
    pub messages: u64,
    /// Of those, messages at least one expected receiver never delivered.
    pub not_delivered_to_all: u64,
    /// Of those, messages no expected receiver delivered.
    pub delivered_to_none: u64,
}

/// Why a message missed some receivers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TelemetryCauses {
    /// Published by a light client, and no copy of it ever entered the relay mesh (every
    /// LightPush attempt failed, or its copies died with the service node that accepted
    /// it).
    pub lost_at_lightpush: u64,
    /// It entered the mesh and every relay receiver delivered it, but some light receivers
    /// did not: their Filter subscriptions missed it and nothing repaired the gap.
    pub lost_in_filter_gap: u64,
    /// Any other: some relay receivers never delivered it either (or a relay publisher's
    /// copies never left).
    pub never_repaired: u64,
}

/// The telemetry-optimism table: every content message, by what its publisher knew.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Telemetry {
    /// Content messages published.
    pub messages: u64,
    /// Of those, published by light clients (the only ones with LightPush and propagated
    /// milestones).
    pub from_light_clients: u64,
    pub sent: TelemetryRow,
    pub lightpush_accepted: TelemetryRow,
    pub propagated: TelemetryRow,
    pub acknowledged: TelemetryRow,
    pub delivery_error: TelemetryRow,
    /// Messages that missed some receiver, by cause.
    pub causes: TelemetryCauses,
}

/// `summary.light`: the light role's counters and the telemetry table.
#[derive(Debug, Clone, Serialize)]
pub struct LightSummary {
    #[serde(flatten)]
    pub stats: LightStats,
    pub telemetry: Telemetry,
}

/// Delivered pairs by arrival kind.
pub fn delivered_via(out: &RunOutcome) -> DeliveredVia {
    let rec = &out.recorder;
    let mut d = DeliveredVia::default();
    for m in 0..rec.messages().len() as u32 {
        for (p, at) in rec.expected_deliveries_of(m) {
            if at.is_none() {
                continue;
            }
            let (via, filter) = rec.arrival(m, p);
            match via {
                Via::Content => d.content += 1,
                Via::Resend => d.resend += 1,
                Via::RepairResponse => d.repair_response += 1,
                Via::Store => d.store += 1,
                Via::None => d.unknown += 1,
            }
            d.through_filter += u64::from(filter);
        }
    }
    d
}

/// `summary.light` of a run with light clients (`None` without).
pub fn light_summary(scenario: &Scenario, out: &RunOutcome) -> Option<LightSummary> {
    let stats = out.light.clone()?;
    let rec = &out.recorder;
    let mut t = Telemetry::default();
    for (m, truth) in rec.messages().iter().enumerate() {
        t.messages += 1;
        t.from_light_clients += u64::from(scenario.is_light_client(truth.publisher));
        let (mut expected, mut got, mut relay_missing, mut light_missing) = (0, 0, 0, 0);
        for (p, at) in rec.expected_deliveries_of(m as u32) {
            expected += 1;
            if at.is_some() {
                got += 1;
            } else if scenario.is_light_client(p) {
                light_missing += 1;
            } else {
                relay_missing += 1;
            }
        }
        let missed_some = got < expected;
        let missed_all = expected > 0 && got == 0;
        let s = &truth.sender;
        let count = |row: &mut TelemetryRow, reached: bool| {
            if reached {
                row.messages += 1;
                row.not_delivered_to_all += u64::from(missed_some);
                row.delivered_to_none += u64::from(missed_all);
            }
        };
        count(&mut t.sent, true);
        count(&mut t.lightpush_accepted, s.lightpush_accepted.is_some());
        count(&mut t.propagated, s.propagated.is_some());
        count(&mut t.acknowledged, truth.acknowledged.is_some());
        count(&mut t.delivery_error, truth.not_acknowledged);
        if missed_some {
            if s.reached_mesh.is_none() && scenario.is_light_client(truth.publisher) {
                t.causes.lost_at_lightpush += 1;
            } else if relay_missing == 0 && light_missing > 0 {
                t.causes.lost_in_filter_gap += 1;
            } else {
                t.causes.never_repaired += 1;
            }
        }
    }
    Some(LightSummary {
        stats,
        telemetry: t,
    })
}

/// The "Light clients" section of `report.html`: the telemetry table and the LightPush and
/// Filter counters (nothing without `[light]`).
pub fn html_section(h: &mut String, light: Option<&LightSummary>) {
    use std::fmt::Write as _;
    let Some(l) = light else {
        return;
    };
    let t = &l.telemetry;
    let _ = writeln!(
        h,
        "<h2 id=\"light\">Light clients: what senders believed</h2>\n<p>{} light clients on \
         {} service nodes. {} content messages, {} from light clients. A row counts the \
         messages whose publisher reached that milestone, and how many of them some or every \
         expected receiver never delivered.</p>\n<table>\n<tr><th>milestone</th><th>messages\
         </th><th>not delivered to all</th><th>delivered to none</th></tr>",
        l.stats.clients, l.stats.service_nodes, t.messages, t.from_light_clients
    );
    for (name, row) in [
        ("sent (message-sent)", &t.sent),
        ("LightPush accepted", &t.lightpush_accepted),
        ("propagated (seen back through Filter)", &t.propagated),
        ("acknowledged (SDS)", &t.acknowledged),
        ("delivery error (resends ran out)", &t.delivery_error),
    ] {
        let bad = row.not_delivered_to_all > 0;
        let _ = writeln!(
            h,
            "<tr{}><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            if bad && name != "delivery error (resends ran out)" {
                " class=\"bad\""
            } else {
                ""
            },
            row.messages,
            row.not_delivered_to_all,
            row.delivered_to_none
        );
    }
    let c = &t.causes;
    let _ = writeln!(
        h,
        "</table>\n<p>Messages that missed some receiver, by cause: lost at LightPush {}, lost \
         in a Filter gap {}, never repaired {}.</p>\n<table>\n<tr><th>LightPush</th><th>\
         </th><th>Filter</th><th></th></tr>\n<tr><td>requests sent</td><td class=\"num\">{}\
         </td><td>pushes sent</td><td class=\"num\">{}</td></tr>\n<tr><td>accepted</td><td \
         class=\"num\">{}</td><td>pushes to disconnected clients (lost)</td><td \
         class=\"num\">{}</td></tr>\n<tr><td>timeouts</td><td class=\"num\">{}</td><td>\
         subscriptions expired / lost in restarts</td><td class=\"num\">{} / {}</td></tr>\n\
         <tr><td>no service node</td><td class=\"num\">{}</td><td>pings failed / sent</td>\
         <td class=\"num\">{} / {}</td></tr>\n<tr><td>given up</td><td class=\"num\">{}</td>\
         <td>service nodes replaced</td><td class=\"num\">{}</td></tr>\n</table>",
        c.lost_at_lightpush,
        c.lost_in_filter_gap,
        c.never_repaired,
        l.stats.lightpush_requests,
        l.stats.filter_pushes,
        l.stats.lightpush_accepted,
        l.stats.filter_pushes_to_disconnected,
        l.stats.lightpush_timeouts,
        l.stats.subscriptions_expired,
        l.stats.subscriptions_lost_restart,
        l.stats.lightpush_no_peer,
        l.stats.pings_failed,
        l.stats.pings,
        l.stats.lightpush_given_up,
        l.stats.peer_renewals,
    );
}
