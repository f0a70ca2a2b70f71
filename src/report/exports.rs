//! The opt-in exports of a run (`sim run --deliveries`, `--timeseries`,
//! `--trace-message`): `deliveries.csv` (one row per expected delivery), `timeseries.csv`
//! (one row per participant per `report_interval`) and `message_trace.csv` (every event in
//! the life of one message). Columns are documented in `reports/README.md`; times are in
//! seconds (µs precision), bytes in bytes.
//!
//! May touch: the file it is given (through the `csv` crate). May not touch: other outputs,
//! the run's outcome (read only).

use std::path::Path;

use super::files::ReportError;
use super::units::ms;
use crate::metrics::observe::{MessageTrace, Timeseries};
use crate::metrics::Recorder;
use crate::time::{SimTime, US_PER_S};

/// Seconds with µs precision, as text (exact: no float rounding).
fn secs_text(us: SimTime) -> String {
    format!("{}.{:06}", us / US_PER_S, us % US_PER_S)
}

fn writer(
    path: &Path,
) -> Result<
    (
        csv::Writer<std::fs::File>,
        impl Fn(csv::Error) -> ReportError + '_,
    ),
    ReportError,
> {
    let csv_err = move |source| ReportError::Csv {
        path: path.to_owned(),
        source,
    };
    let w = csv::Writer::from_path(path).map_err(csv_err)?;
    Ok((w, csv_err))
}

/// Writes `deliveries.csv`: every expected (message, receiver) pair, delivered or not, by
/// message then receiver.
pub(super) fn write_deliveries_csv(path: &Path, rec: &Recorder) -> Result<(), ReportError> {
    let (mut w, err) = writer(path)?;
    w.write_record([
        "message_id",
        "channel",
        "publisher",
        "receiver",
        "published_s",
        "delivered_s",
        "latency_ms",
        "arrived_via",
        "filter_push",
    ])
    .map_err(&err)?;
    for (m, t) in rec.messages().iter().enumerate() {
        for (to, d) in rec.expected_deliveries_of(m as u32) {
            let (via, filter) = rec.arrival(m as u32, to);
            w.write_record([
                t.id.as_str(),
                &t.channel.to_string(),
                &t.publisher.to_string(),
                &to.to_string(),
                &secs_text(t.published),
                &d.map(secs_text).unwrap_or_default(),
                &d.map(|d| ms(d - t.published).to_string())
                    .unwrap_or_default(),
                if d.is_some() { via.name() } else { "" },
                if d.is_some() {
                    if filter {
                        "1"
                    } else {
                        "0"
                    }
                } else {
                    ""
                },
            ])
            .map_err(&err)?;
        }
    }
    w.flush().map_err(|e| err(e.into()))?;
    Ok(())
}

/// Writes `timeseries.csv`.
pub(super) fn write_timeseries_csv(path: &Path, ts: &Timeseries) -> Result<(), ReportError> {
    let (mut w, err) = writer(path)?;
    w.write_record([
        "t_s",
        "participant",
        "delivered",
        "incoming_buffer",
        "outgoing_buffer",
        "bytes_sent",
        "bytes_received",
        "online",
    ])
    .map_err(&err)?;
    for r in &ts.rows {
        w.write_record([
            secs_text(r.t),
            r.node.to_string(),
            r.delivered.to_string(),
            r.incoming_buffer.to_string(),
            r.outgoing_buffer.map(|x| x.to_string()).unwrap_or_default(),
            r.bytes_sent.to_string(),
            r.bytes_received.to_string(),
            u8::from(r.online).to_string(),
        ])
        .map_err(&err)?;
    }
    w.flush().map_err(|e| err(e.into()))?;
    Ok(())
}

/// Writes `message_trace.csv`.
pub(super) fn write_message_trace_csv(path: &Path, t: &MessageTrace) -> Result<(), ReportError> {
    let (mut w, err) = writer(path)?;
    w.write_record(["t_s", "event", "node", "peer", "kind", "detail"])
        .map_err(&err)?;
    let opt = |x: Option<u32>| x.map(|v| v.to_string()).unwrap_or_default();
    for l in &t.lines {
        w.write_record([
            secs_text(l.at),
            l.event.to_owned(),
            opt(l.node),
            opt(l.peer),
            l.kind.unwrap_or_default().to_owned(),
            l.detail.clone(),
        ])
        .map_err(&err)?;
    }
    w.flush().map_err(|e| err(e.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_exact() {
        assert_eq!(secs_text(0), "0.000000");
        assert_eq!(secs_text(61_000_123), "61.000123");
    }
}
