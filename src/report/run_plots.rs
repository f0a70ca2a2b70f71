//! The charts of a run: what each plot shows, taken from the report and the recorder, handed
//! to [`super::plot`] (latency CDF, delivery over time with fault windows, bytes by kind,
//! bytes per participant, repair traffic per gap).
//!
//! May touch: the plot files under the directory it is given (through `plot`). May not
//! touch: other files, the run's outcome (read only).

use std::path::Path;

use super::files::ReportError;
use super::html;
use super::plot;
use super::schema::Report;
use crate::metrics::Recorder;

/// `bandwidth_per_participant` and `repair_per_gap` plots.
pub(super) fn write_distribution_plots(
    dir: &Path,
    r: &Report,
    rec: &Recorder,
    participants: &[html::ParticipantStats],
) -> Result<(), ReportError> {
    let title = format!("{} ({}, seed {})", r.scenario, r.protocol, r.seed);
    let sent: Vec<f64> = participants.iter().map(|p| p.bytes_sent as f64).collect();
    let received: Vec<f64> = participants
        .iter()
        .map(|p| p.bytes_received as f64)
        .collect();
    plot::bandwidth_per_participant(
        &dir.join("bandwidth_per_participant"),
        &format!("Bytes per participant: {title}"),
        &[
            plot::HistSeries {
                label: "sent",
                values: &sent,
            },
            plot::HistSeries {
                label: "received",
                values: &received,
            },
        ],
    )?;
    let gaps = rec.messages().iter().filter(|m| m.repair_requests > 0);
    let (requests, responses): (Vec<f64>, Vec<f64>) = gaps
        .map(|m| (f64::from(m.repair_requests), f64::from(m.repair_responses)))
        .unzip();
    plot::repair_per_gap(
        &dir.join("repair_per_gap"),
        &format!("Repair traffic per gap: {title}"),
        &[
            plot::HistSeries {
                label: "repair requests",
                values: &requests,
            },
            plot::HistSeries {
                label: "repair responses",
                values: &responses,
            },
        ],
    )?;
    Ok(())
}

/// `latency_cdf`, `delivery_over_time` and `bytes_by_kind` plots.
pub(super) fn write_plots(dir: &Path, r: &Report, rec: &Recorder) -> Result<(), ReportError> {
    let mut lat_ms = Vec::with_capacity(rec.delivered_pairs() as usize);
    for (m, t) in rec.messages().iter().enumerate() {
        lat_ms.extend(
            rec.expected_deliveries_of(m as u32)
                .filter_map(|(_, t)| t)
                .map(|d| (d - t.published) as f64 / 1_000.0),
        );
    }
    let title = format!("{} ({}, seed {})", r.scenario, r.protocol, r.seed);
    plot::latency_cdf(
        &dir.join("latency_cdf"),
        &format!("Delivery latency CDF: {title}"),
        &[plot::CdfSeries {
            label: &r.protocol,
            latencies_ms: &lat_ms,
        }],
    )?;
    let cumulative: Vec<(f64, f64)> = r
        .delivery_over_time
        .iter()
        .map(|p| (p.t_s, p.cumulative_ratio))
        .collect();
    let eventual: Vec<(f64, f64)> = r
        .delivery_over_time
        .iter()
        .filter_map(|p| p.eventual_ratio_of_bucket.map(|v| (p.t_s, v)))
        .collect();
    let windows: Vec<plot::Window> = r
        .faults
        .iter()
        .map(|f| plot::Window {
            start_s: f.start_s,
            end_s: f.end_s,
            label: &f.kind,
        })
        .collect();
    plot::delivery_over_time(
        &dir.join("delivery_over_time"),
        &format!("Delivery ratio over time: {title}"),
        &[
            plot::TimeSeries {
                label: "delivered so far / expected so far",
                points: &cumulative,
            },
            plot::TimeSeries {
                label: "messages published in bucket: delivered by end of run",
                points: &eventual,
            },
        ],
        &windows,
        Some(r.run.workload_s),
    )?;
    let bars: Vec<(&str, u64)> = r
        .summary
        .bytes_by_kind
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    plot::bytes_by_kind(
        &dir.join("bytes_by_kind"),
        &format!("Bytes sent by kind: {title}"),
        &bars,
    )?;
    Ok(())
}
