//! The console summary table of a report (`summary.txt`, and stdout of `sim run`).
//!
//! Pure function of a [`Report`]; may touch nothing else.

use std::io::Write;

use super::schema::Report;
use super::units::{
    group_digits, human_bps, human_bytes, human_ms, human_ms_or_dash, human_recovery,
};

/// The console summary table of a report.
pub fn summary_table(r: &Report) -> String {
    let s = &r.summary;
    let mut out = Vec::new();
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "  {k:<36} {v}");
    };
    row("scenario", format!("{} (seed {})", r.scenario, r.seed));
    row("protocol", r.protocol.clone());
    row("participants", r.participants.to_string());
    row(
        "simulated",
        format!(
            "{} s workload + {} s drain ({})",
            r.run.workload_s, r.run.drain_used_s, r.run.stop_reason
        ),
    );
    row("messages published", s.messages_published.to_string());
    row(
        "delivery ratio (end of run)",
        format!(
            "{:.6}  ({} / {})",
            s.delivery_ratio,
            group_digits(s.delivered),
            group_digits(s.expected_deliveries)
        ),
    );
    row(
        "delivery ratio (workload end)",
        format!("{:.6}", s.delivery_ratio_workload_end),
    );
    row(
        "latency p50 / p95 / p99 / max",
        format!(
            "{} / {} / {} / {}",
            human_ms_or_dash(s.latency_ms.p50, s.latency_ms.count),
            human_ms_or_dash(s.latency_ms.p95, s.latency_ms.count),
            human_ms_or_dash(s.latency_ms.p99, s.latency_ms.count),
            human_ms_or_dash(s.latency_ms.max, s.latency_ms.count)
        ),
    );
    row("duplicates delivered", s.duplicates_delivered.to_string());
    row("causal violations", s.causal_violations.to_string());
    row("distinct final logs", s.distinct_final_logs.to_string());
    row("bytes sent", human_bytes(s.bytes_sent));
    for (k, v) in &s.bytes_by_kind {
        if *v > 0 {
            row(&format!("  {k}"), human_bytes(*v));
        }
    }
    row(
        "uplink per participant (mean/max)",
        format!(
            "{} / {}",
            human_bps(s.uplink_bps_mean),
            human_bps(s.uplink_bps_max)
        ),
    );
    if s.copies_lost > 0 || s.copies_partitioned > 0 {
        row(
            "copies lost (gilbert-elliott) / cut",
            format!(
                "{} ({}) / {}",
                group_digits(s.copies_lost),
                group_digits(s.copies_lost_gilbert_elliott),
                group_digits(s.copies_partitioned)
            ),
        );
    }
    for (name, q) in [("uplink", &s.uplink_queue), ("downlink", &s.downlink_queue)] {
        if q.queued_copies > 0 {
            row(
                &format!("{name} queue delay mean / max"),
                format!(
                    "{} / {}",
                    human_ms(q.delay_ms_mean),
                    human_ms(q.delay_ms_max)
                ),
            );
        }
    }
    row(
        "acknowledged (undelivered)",
        format!("{} ({})", s.acknowledged, s.acknowledged_undelivered),
    );
    row(
        "repair requests / responses",
        format!(
            "{} / {} over {} messages",
            s.repair.requests_sent, s.repair.responses_sent, s.repair.messages_requested
        ),
    );
    if let Some(st) = &s.store {
        row(
            "store queries (hash / range)",
            format!(
                "{} / {} ({} timeouts), strategy {}",
                st.client.queries_by_hash,
                st.client.queries_by_range,
                st.client.query_timeouts,
                st.strategy
            ),
        );
        row(
            "store messages retrieved (new)",
            format!(
                "{} ({}), {} received",
                st.client.messages_retrieved,
                st.client.messages_retrieved_new,
                human_bytes(st.client.response_bytes)
            ),
        );
    }
    if let Some(l) = &s.light {
        let t = &l.telemetry;
        row(
            "light: LightPush accepted / sent",
            format!(
                "{} / {} ({} given up, {} timeouts)",
                l.stats.lightpush_accepted,
                l.stats.lightpush_requests,
                l.stats.lightpush_given_up,
                l.stats.lightpush_timeouts
            ),
        );
        row(
            "light: Filter pushes (to disconnected)",
            format!(
                "{} ({})",
                l.stats.filter_pushes, l.stats.filter_pushes_to_disconnected
            ),
        );
        row(
            "\"sent\" but not delivered to all",
            format!(
                "{} of {} ({} acknowledged, {} propagated)",
                t.sent.not_delivered_to_all,
                t.sent.messages,
                t.acknowledged.not_delivered_to_all,
                t.propagated.not_delivered_to_all
            ),
        );
    }
    const SHOWN: usize = 8;
    for f in r.faults.iter().take(SHOWN) {
        row(
            &format!("recovery after {} {}-{} s", f.kind, f.start_s, f.end_s),
            format!(
                "99% {}, 100% {}  ({} of {} undelivered at its end)",
                human_recovery(f.recovery_99_s),
                human_recovery(f.recovery_100_s),
                f.pairs_undelivered_at_end,
                f.pairs_before_end
            ),
        );
    }
    if r.faults.len() > SHOWN {
        row(
            "",
            format!(
                "... {} more fault windows in report.json",
                r.faults.len() - SHOWN
            ),
        );
    }
    if let Some(rc) = &s.recovery {
        row(
            &format!("recovery after the last fault ({} s)", rc.faults_end_s),
            format!(
                "99% {}, 100% {}",
                human_recovery(rc.recovery_99_s),
                human_recovery(rc.recovery_100_s)
            ),
        );
    }
    for w in &r.run.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    String::from_utf8(out).unwrap_or_default()
}
