//! Building a [`Report`] from a finished run: delivery ratios and latencies from the
//! recorder's (message, receiver) pairs, bytes and copies from the network's counters, repair,
//! churn and store figures, fault windows, and the delivery-over-time series.
//!
//! May touch: the [`RunOutcome`] (read only) and the resolved scenario. May not touch: files,
//! clocks (wall-clock figures are in `perf`), the engine.

use std::collections::BTreeMap;

use super::schema::{
    ChurnSummary, DeliveryPoint, Percentiles, QueueSummary, RepairSummary, Report, RunInfo,
    StoreSummary, Summary, SCHEMA_VERSION,
};
use super::units::{ratio, ratio_or_zero, round3, secs};
use crate::metrics::{Recorder, RunOutcome, StopReason};
use crate::net::TrafficKind;
use crate::scenario::Scenario;
use crate::time::{SimTime, US_PER_S};

impl Report {
    /// Builds the report of a finished run of `scenario` (resolved) with its `config_hash`.
    pub fn build(scenario: &Scenario, config_hash: &str, out: &RunOutcome) -> Report {
        let rec = &out.recorder;
        let n = rec.participants();
        let msgs = rec.messages();
        let workload_end = out.workload_end;

        let mut latencies = Vec::with_capacity(rec.delivered_pairs() as usize);
        let mut delivered_by_workload_end = 0u64;
        let mut incomplete = vec![false; n as usize];
        let mut acked = 0u64;
        let mut acked_undelivered = 0u64;
        let mut ack_latencies = Vec::new();
        for (m, truth) in msgs.iter().enumerate() {
            let mut all = true;
            for (to, d) in rec.expected_deliveries_of(m as u32) {
                match d {
                    Some(t) => {
                        latencies.push(t - truth.published);
                        if t <= workload_end {
                            delivered_by_workload_end += 1;
                        }
                    }
                    None => {
                        all = false;
                        incomplete[to as usize] = true;
                    }
                }
            }
            if let Some(a) = truth.acknowledged {
                acked += 1;
                ack_latencies.push(a - truth.published);
                if !all {
                    acked_undelivered += 1;
                }
            }
        }
        let expected = rec.expected_pairs();
        let expected_by_workload_end = expected; // every message is published in the workload

        let traffic = out.network.traffic();
        let mut bytes_by_kind = BTreeMap::new();
        let mut transmissions_by_kind = BTreeMap::new();
        for k in TrafficKind::ALL {
            bytes_by_kind.insert(
                k.name().to_owned(),
                traffic.iter().map(|t| t.bytes_sent_of(k)).sum(),
            );
            transmissions_by_kind.insert(
                k.name().to_owned(),
                traffic
                    .iter()
                    .map(|t| t.transmissions_by_kind[k as usize])
                    .sum(),
            );
        }
        let bytes_sent: u64 = traffic.iter().map(|t| t.bytes_sent()).sum();
        let run_s = (out.end.max(1)) as f64 / US_PER_S as f64;
        let uplink_max = traffic.iter().map(|t| t.bytes_sent()).max().unwrap_or(0);
        let copies = out.network.copies();
        let counters = rec.counters();
        let requested = msgs.iter().filter(|m| m.repair_requests > 0).count() as u64;

        let (faults, recovery) = super::faults::faults_and_recovery(scenario, out);

        Report {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            config_hash: config_hash.to_owned(),
            protocol: scenario.protocol.as_str().into(),
            participants: n,
            run: RunInfo {
                workload_s: secs(workload_end),
                end_s: secs(out.end),
                drain_used_s: secs(out.end.saturating_sub(workload_end)),
                stop_reason: out.stop_reason.name().into(),
                simulated_events: out.events,
                warnings: warnings(scenario, out, expected - rec.delivered_pairs()),
            },
            summary: Summary {
                messages_published: msgs.len() as u64,
                expected_deliveries: expected,
                delivered: rec.delivered_pairs(),
                delivery_ratio: ratio(rec.delivered_pairs(), expected),
                delivery_ratio_workload_end: ratio(
                    delivered_by_workload_end,
                    expected_by_workload_end,
                ),
                participants_incomplete: incomplete.iter().filter(|&&b| b).count() as u64,
                latency_ms: Percentiles::from_us(&mut latencies),
                duplicates_delivered: rec.duplicates(),
                causal_violations: rec.causal_violations(),
                message_id_collisions: counters.message_id_collisions,
                publications_refused: counters.publications_refused,
                unknown_deliveries: counters.unknown_deliveries,
                distinct_final_logs: out.distinct_final_logs,
                messages_in_incoming_buffers: out
                    .final_incoming_buffer
                    .iter()
                    .map(|&x| x as u64)
                    .sum(),
                bytes_sent,
                bytes_by_kind,
                transmissions_by_kind,
                bytes_received: traffic.iter().map(|t| t.bytes_received).sum(),
                uplink_bps_mean: round3(bytes_sent as f64 * 8.0 / f64::from(n.max(1)) / run_s),
                uplink_bps_max: round3(uplink_max as f64 * 8.0 / run_s),
                copies_sent: copies.sent,
                copies_lost: copies.lost,
                copies_lost_gilbert_elliott: copies.lost_gilbert_elliott,
                copies_lost_extra: copies.lost_extra,
                copies_dropped_in_queue: copies.dropped_in_queue,
                copies_partitioned: copies.partitioned,
                copies_duplicated: copies.duplicated,
                copies_redundant: copies.redundant,
                bytes_forwarded: traffic.iter().map(|t| t.bytes_forwarded).sum(),
                bytes_received_redundant: traffic.iter().map(|t| t.bytes_received_duplicate).sum(),
                uplink_queue: QueueSummary::from_nodes(traffic.iter().map(|t| {
                    (
                        t.uplink_queued_copies,
                        t.uplink_queue_delay_total_us,
                        t.uplink_queue_delay_max_us,
                    )
                })),
                downlink_queue: QueueSummary::from_nodes(traffic.iter().map(|t| {
                    (
                        t.downlink_queued_copies,
                        t.downlink_queue_delay_total_us,
                        t.downlink_queue_delay_max_us,
                    )
                })),
                acknowledged: acked,
                acknowledged_undelivered: acked_undelivered,
                not_acknowledged: msgs.iter().filter(|m| m.not_acknowledged).count() as u64,
                ack_latency_ms: Percentiles::from_us(&mut ack_latencies),
                repair: RepairSummary {
                    requests_sent: counters.repair_requests_sent,
                    requests_received: counters.repair_requests_received,
                    responses_sent: counters.repair_responses_sent,
                    messages_requested: requested,
                    requests_per_requested_message: ratio_or_zero(
                        counters.repair_requests_sent,
                        requested,
                    ),
                    responses_per_requested_message: ratio_or_zero(
                        counters.repair_responses_sent,
                        requested,
                    ),
                    irretrievably_lost: counters.irretrievably_lost,
                    dropped_lost: counters.dropped_lost,
                    missing_dependency_events: counters.missing_dependency_events,
                    transmissions_with_requests: counters.transmissions_with_repair_requests,
                    max_requests_per_transmission: counters.max_repair_requests_per_transmission,
                },
                churn: out.churn.as_ref().map(|c| ChurnSummary {
                    offline_events: c.offline_events,
                    crashes: c.crashes,
                    left: c.left,
                    joined: c.joined,
                    copies_to_offline: c.copies_to_offline,
                    publications_skipped: c.publications_skipped,
                    unexpected_deliveries: rec.unexpected_deliveries(),
                    redeliveries_after_crash: rec.redeliveries(),
                }),
                store: out.store.as_ref().map(|s| StoreSummary {
                    strategy: s.strategy.to_owned(),
                    client: s.client.clone(),
                    nodes: s.nodes.clone(),
                }),
                delivered_via: super::light::delivered_via(out),
                light: super::light::light_summary(scenario, out),
                recovery,
            },
            faults,
            delivery_over_time: delivery_over_time(
                rec,
                scenario.report_interval.as_micros().max(1),
                out.end,
            ),
            config: scenario.clone(),
        }
    }
}

/// `run.warnings`: the scenario's [`crate::scenario::advice()`], then what the stop left
/// unfinished (`missing` expected deliveries, messages in incoming buffers).
fn warnings(scenario: &Scenario, out: &RunOutcome, missing: u64) -> Vec<String> {
    let mut w: Vec<String> = crate::scenario::advice(scenario)
        .iter()
        .map(ToString::to_string)
        .collect();
    let buffered: u64 = out.final_incoming_buffer.iter().map(|&x| x as u64).sum();
    if missing == 0 && buffered == 0 {
        return w;
    }
    let what = format!(
        "{missing} expected deliveries missing and {buffered} messages in incoming buffers"
    );
    match out.stop_reason {
        StopReason::DrainLimit => w.push(format!(
            "stopped at the drain limit (drain = {} s) with {what}: the delivery ratio is \
             not final; a longer `drain` may deliver more",
            secs(scenario.drain.as_micros())
        )),
        StopReason::NoEvents => w.push(format!(
            "nothing was left to happen (no timer, nothing in flight) with {what}: these \
             deliveries can never happen"
        )),
        StopReason::Settled => {}
    }
    w
}

/// The delivery-over-time series in buckets of `interval` µs up to `end`.
fn delivery_over_time(rec: &Recorder, interval: SimTime, end: SimTime) -> Vec<DeliveryPoint> {
    let buckets = (end / interval + 1) as usize;
    // Per bucket: expected pairs of messages published in it, pairs delivered in it (any
    // message), and eventual deliveries of messages published in it.
    let mut expected = vec![0u64; buckets];
    let mut delivered_at = vec![0u64; buckets];
    let mut eventual = vec![0u64; buckets];
    let bucket = |t: SimTime| (t.div_ceil(interval) as usize).min(buckets - 1);
    for (m, truth) in rec.messages().iter().enumerate() {
        let b = bucket(truth.published);
        expected[b] += rec.receivers_of(m as u32);
        for t in rec.expected_deliveries_of(m as u32).filter_map(|(_, t)| t) {
            delivered_at[bucket(t)] += 1;
            eventual[b] += 1;
        }
    }
    let mut out = Vec::with_capacity(buckets);
    let (mut exp_cum, mut del_cum) = (0u64, 0u64);
    for b in 0..buckets {
        exp_cum += expected[b];
        del_cum += delivered_at[b];
        out.push(DeliveryPoint {
            t_s: secs(b as u64 * interval),
            cumulative_ratio: ratio(del_cum.min(exp_cum), exp_cum),
            eventual_ratio_of_bucket: (expected[b] > 0).then(|| ratio(eventual[b], expected[b])),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_series_dips_and_recovers() {
        let mut rec = Recorder::new(3, vec![vec![0, 1, 2]]);
        rec.publish("a", 0, 0, 5, &[]);
        rec.deliver(0, "a", 1, 6);
        rec.deliver(0, "a", 2, 25); // late: delivered in the third bucket
        let s = delivery_over_time(&rec, 10, 30);
        let cum: Vec<f64> = s.iter().map(|p| p.cumulative_ratio).collect();
        assert_eq!(cum, vec![1.0, 0.5, 0.5, 1.0]);
        assert_eq!(s[1].eventual_ratio_of_bucket, Some(1.0));
        assert_eq!(s[0].eventual_ratio_of_bucket, None);
    }
}
