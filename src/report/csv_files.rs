//! The CSV files of a run: `messages.csv` (one row per content message) and `nodes.csv`
//! (one row per participant). Columns are documented in `reports/README.md`.
//!
//! May touch: the file it is given (written through the `csv` crate). May not touch: other
//! outputs, the directory, the run's outcome (read only).

use std::path::Path;

use super::files::{io_err, ReportError};
use super::schema::Percentiles;
use super::units::{ms, ratio, round3, secs};
use crate::metrics::{Recorder, RunOutcome};
use crate::net::TrafficKind;

/// Writes `messages.csv`: one row per content message.
pub(super) fn write_messages_csv(path: &Path, rec: &Recorder) -> Result<(), ReportError> {
    let csv_err = |source| ReportError::Csv {
        path: path.to_owned(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record([
        "message_id",
        "label",
        "lamport_timestamp",
        "publisher",
        "published_s",
        "causal_history_len",
        "receivers",
        "delivered",
        "delivery_ratio",
        "latency_ms_p50",
        "latency_ms_max",
        "acknowledged_s",
        "not_acknowledged",
        "repair_requests",
        "repair_responses",
    ])
    .map_err(csv_err)?;
    for (m, t) in rec.messages().iter().enumerate() {
        let receivers = rec.receivers_of(m as u32);
        let mut lat: Vec<u64> = rec
            .expected_deliveries_of(m as u32)
            .filter_map(|(_, t)| t)
            .map(|d| d - t.published)
            .collect();
        let delivered = lat.len() as u64;
        let p = Percentiles::from_us(&mut lat);
        w.write_record([
            t.id.clone(),
            t.label.clone().unwrap_or_default(),
            t.lamport_timestamp
                .map(|l| l.to_string())
                .unwrap_or_default(),
            t.publisher.to_string(),
            secs(t.published).to_string(),
            t.deps.len().to_string(),
            receivers.to_string(),
            delivered.to_string(),
            ratio(delivered, receivers).to_string(),
            p.p50.to_string(),
            p.max.to_string(),
            t.acknowledged
                .map(|a| secs(a).to_string())
                .unwrap_or_default(),
            t.not_acknowledged.to_string(),
            t.repair_requests.to_string(),
            t.repair_responses.to_string(),
        ])
        .map_err(csv_err)?;
    }
    w.flush().map_err(io_err(path))
}

/// Writes `nodes.csv`: one row per participant.
pub(super) fn write_nodes_csv(
    path: &Path,
    out: &RunOutcome,
    regions: &[String],
) -> Result<(), ReportError> {
    let csv_err = |source| ReportError::Csv {
        path: path.to_owned(),
        source,
    };
    let rec = &out.recorder;
    let n = rec.participants();
    let mut published = vec![0u64; n as usize];
    for m in rec.messages() {
        published[m.publisher as usize] += 1;
    }
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    let mut header = vec![
        "participant".to_owned(),
        "region".to_owned(),
        "published".to_owned(),
        "expected".to_owned(),
        "delivered".to_owned(),
        "delivery_ratio".to_owned(),
        "duplicates".to_owned(),
        "bytes_sent".to_owned(),
    ];
    header.extend(
        TrafficKind::ALL
            .iter()
            .map(|k| format!("bytes_sent_{}", k.name())),
    );
    header.extend(
        [
            "bytes_received",
            "copies_received",
            "final_log_len",
            "final_incoming_buffer",
            "copies_lost",
            "copies_lost_gilbert_elliott",
            "uplink_queued_copies",
            "uplink_queue_delay_ms_mean",
            "uplink_queue_delay_ms_max",
            "downlink_queued_copies",
            "downlink_queue_delay_ms_mean",
            "downlink_queue_delay_ms_max",
        ]
        .map(String::from),
    );
    w.write_record(&header).map_err(csv_err)?;
    for (i, t) in out.network.traffic().iter().enumerate().take(n as usize) {
        let expected = rec.per_node_expected()[i];
        let delivered = rec.per_node_delivered()[i];
        let mut row = vec![
            i.to_string(),
            regions.get(i).cloned().unwrap_or_default(),
            published[i].to_string(),
            expected.to_string(),
            delivered.to_string(),
            ratio(delivered, expected).to_string(),
            rec.per_node_duplicates()[i].to_string(),
            t.bytes_sent().to_string(),
        ];
        row.extend(
            TrafficKind::ALL
                .iter()
                .map(|&k| t.bytes_sent_of(k).to_string()),
        );
        row.extend([
            t.bytes_received.to_string(),
            t.copies_received.to_string(),
            out.final_log_len[i].to_string(),
            out.final_incoming_buffer[i].to_string(),
            t.copies_lost.to_string(),
            t.copies_lost_gilbert_elliott.to_string(),
            t.uplink_queued_copies.to_string(),
            round3(t.uplink_queue_delay_mean_us() / 1_000.0).to_string(),
            ms(t.uplink_queue_delay_max_us).to_string(),
            t.downlink_queued_copies.to_string(),
            round3(t.downlink_queue_delay_mean_us() / 1_000.0).to_string(),
            ms(t.downlink_queue_delay_max_us).to_string(),
        ]);
        w.write_record(&row).map_err(csv_err)?;
    }
    w.flush().map_err(io_err(path))
}
