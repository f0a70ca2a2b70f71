//! Reports: JSON/CSV writers, plots, `report.html`, the console summary, comparisons.
//!
//! [`Report::build`] turns a finished run ([`RunOutcome`]) into the figures of `report.json`;
//! [`write_run_dir`] writes a run's whole output directory through [`crate::outdir`] (into a
//! temporary sibling directory, swapped into place when complete; only an output of a run is
//! ever replaced, [`RUN_OUTPUT`]). Every field is documented in
//! `reports/README.md`. Nothing here reads a clock: wall-clock figures go to `perf.json`
//! through [`Perf`], never into `report.json`. [`compare`] judges one report against
//! another (`sim compare`, `sim check`); [`html`] renders `report.html`.

pub mod compare;
pub mod html;
pub mod plot;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::metrics::Recorder;
use crate::metrics::RunOutcome;
use crate::net::TrafficKind;
use crate::outdir::{self, Committed, OutDirError, OutputKind, Prepared};
use crate::scenario::{Protocol, Scenario};
use crate::time::{SimTime, US_PER_S};

/// Version of the `report.json` layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub config_hash: String,
    pub protocol: String,
    pub participants: u32,
    pub run: RunInfo,
    pub summary: Summary,
    pub faults: Vec<FaultWindow>,
    pub delivery_over_time: Vec<DeliveryPoint>,
    /// The resolved scenario (defaults filled, overrides applied).
    pub config: Scenario,
}

/// How the run went, in simulated time.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub workload_s: f64,
    pub end_s: f64,
    pub drain_used_s: f64,
    pub stop_reason: String,
    pub simulated_events: u64,
}

/// Headline figures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub messages_published: u64,
    pub expected_deliveries: u64,
    pub delivered: u64,
    pub delivery_ratio: f64,
    pub delivery_ratio_workload_end: f64,
    pub participants_incomplete: u64,
    pub latency_ms: Percentiles,
    pub duplicates_delivered: u64,
    pub causal_violations: u64,
    /// Publications whose id repeated an earlier one in the same channel (see
    /// [`crate::metrics::ProtocolCounters::message_id_collisions`]).
    pub message_id_collisions: u64,
    /// Publications the sender's core refused (see
    /// [`crate::metrics::ProtocolCounters::publications_refused`]).
    pub publications_refused: u64,
    /// Deliveries of ids never published in the delivering channel (a simulator or core bug:
    /// must be 0).
    pub unknown_deliveries: u64,
    pub distinct_final_logs: u64,
    pub messages_in_incoming_buffers: u64,
    pub bytes_sent: u64,
    pub bytes_by_kind: BTreeMap<String, u64>,
    pub transmissions_by_kind: BTreeMap<String, u64>,
    pub bytes_received: u64,
    pub uplink_bps_mean: f64,
    pub uplink_bps_max: f64,
    pub copies_sent: u64,
    pub copies_lost: u64,
    /// Of `copies_lost`, copies dropped by the Gilbert-Elliott chains.
    pub copies_lost_gilbert_elliott: u64,
    /// Of `copies_lost`, copies dropped by node-class, degradation-window or link loss.
    pub copies_lost_extra: u64,
    /// Copies still in their sender's uplink queue when it went offline (counted as sent).
    pub copies_dropped_in_queue: u64,
    pub copies_partitioned: u64,
    pub copies_duplicated: u64,
    pub copies_redundant: u64,
    pub bytes_forwarded: u64,
    pub bytes_received_redundant: u64,
    /// Waits in limited uplink FIFOs (node classes with `uplink_bps`).
    pub uplink_queue: QueueSummary,
    /// Waits in limited downlink FIFOs (node classes with `downlink_bps`).
    pub downlink_queue: QueueSummary,
    pub acknowledged: u64,
    pub acknowledged_undelivered: u64,
    pub not_acknowledged: u64,
    pub ack_latency_ms: Percentiles,
    pub repair: RepairSummary,
    /// Churn figures; omitted when the scenario has no `[churn]` schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn: Option<ChurnSummary>,
    /// Store figures; omitted when the scenario has no store nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreSummary>,
}

/// Store nodes and store-client figures (`summary.store`): the strategy, the client
/// counters flattened in (`queries_by_hash`, ...), then one entry per store node.
#[derive(Debug, Clone, Serialize)]
pub struct StoreSummary {
    /// Effective `retrieval.strategy`.
    pub strategy: String,
    #[serde(flatten)]
    pub client: crate::metrics::StoreClientStats,
    /// Per store node, in index order.
    pub nodes: Vec<crate::metrics::StoreNodeStats>,
}

/// Churn figures (`summary.churn`).
#[derive(Debug, Clone, Serialize)]
pub struct ChurnSummary {
    /// Offline windows started (sleep/crash).
    pub offline_events: u64,
    /// Participants restarted with fresh cores after a crash.
    pub crashes: u64,
    /// Participants that left for good.
    pub left: u64,
    /// Late joiners that joined.
    pub joined: u64,
    /// Copies dropped because their receiver was offline, absent or gone.
    pub copies_to_offline: u64,
    /// Publications skipped because their sender was offline, absent or gone.
    pub publications_skipped: u64,
    /// Deliveries outside the receiver's membership window (not in `delivered`).
    pub unexpected_deliveries: u64,
    /// Deliveries by a restarted (crashed) core of messages delivered before the crash
    /// (not duplicates, not in `delivered`).
    pub redeliveries_after_crash: u64,
}

/// Queueing in limited access links, group-wide (`summary.uplink_queue`,
/// `summary.downlink_queue`): the wait of each copy behind earlier copies before its own
/// serialization began. All 0 without limited links.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueSummary {
    /// Copies that went through a limited queue.
    pub queued_copies: u64,
    /// Mean wait over those copies, ms.
    pub delay_ms_mean: f64,
    /// Longest wait of any copy, ms.
    pub delay_ms_max: f64,
}

impl QueueSummary {
    /// From `(copies, total wait µs, max wait µs)` per participant.
    fn from_nodes(per_node: impl Iterator<Item = (u64, u64, u64)>) -> QueueSummary {
        let (mut copies, mut total, mut max) = (0u64, 0u128, 0u64);
        for (c, t, m) in per_node {
            copies += c;
            total += u128::from(t);
            max = max.max(m);
        }
        QueueSummary {
            queued_copies: copies,
            delay_ms_mean: if copies == 0 {
                0.0
            } else {
                round3(total as f64 / copies as f64 / 1_000.0)
            },
            delay_ms_max: ms(max),
        }
    }
}

/// SDS-R activity.
#[derive(Debug, Clone, Serialize)]
pub struct RepairSummary {
    pub requests_sent: u64,
    pub requests_received: u64,
    pub responses_sent: u64,
    pub messages_requested: u64,
    pub requests_per_requested_message: f64,
    pub responses_per_requested_message: f64,
    pub irretrievably_lost: u64,
    /// Buffered messages dropped undelivered because their dependencies were declared lost
    /// (`sds.lost_policy = "drop"`).
    pub dropped_lost: u64,
    pub missing_dependency_events: u64,
    pub transmissions_with_requests: u64,
    pub max_requests_per_transmission: u32,
}

/// Nearest-rank percentiles in ms (0 when there is no sample).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// From samples in µs (sorted in place).
    pub fn from_us(samples: &mut [u64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let n = samples.len();
        let rank = |p: f64| {
            let k = ((p * n as f64).ceil() as usize).clamp(1, n);
            ms(samples[k - 1])
        };
        let sum: u128 = samples.iter().map(|&x| u128::from(x)).sum();
        Percentiles {
            count: n as u64,
            p50: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: ms(samples[n - 1]),
            mean: round3(sum as f64 / n as f64 / 1_000.0),
        }
    }
}

/// A fault window shown in reports and shaded in plots.
#[derive(Debug, Clone, Serialize)]
pub struct FaultWindow {
    pub kind: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// One point of the delivery-over-time series (bucket end `t_s`).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryPoint {
    pub t_s: f64,
    /// Delivered / expected pairs, over messages published up to `t_s`, counting deliveries
    /// up to `t_s`.
    pub cumulative_ratio: f64,
    /// Over messages published in `(t_s - interval, t_s]`: the fraction of their pairs
    /// delivered by the end of the run (`null` if none was published in the bucket).
    pub eventual_ratio_of_bucket: Option<f64>,
}

fn ms(us: u64) -> f64 {
    round3(us as f64 / 1_000.0)
}

fn secs(us: SimTime) -> f64 {
    round3(us as f64 / US_PER_S as f64)
}

fn round3(x: f64) -> f64 {
    (x * 1_000.0).round() / 1_000.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        round6(a as f64 / b as f64)
    }
}

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

        let mut faults: Vec<FaultWindow> = out
            .network
            .partition_windows()
            .into_iter()
            .map(|(s, e)| FaultWindow {
                kind: "partition".into(),
                start_s: secs(s),
                end_s: secs(e),
            })
            .collect();
        if let Some(st) = &out.store {
            faults.extend(st.windows.iter().map(|&(s, e)| FaultWindow {
                kind: "store-offline".into(),
                start_s: secs(s),
                end_s: secs(e),
            }));
        }
        if let Some(c) = &out.churn {
            faults.extend(c.windows.iter().map(|&(s, e)| FaultWindow {
                kind: "churn".into(),
                start_s: secs(s),
                end_s: secs(e),
            }));
        }

        Report {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            config_hash: config_hash.to_owned(),
            protocol: match scenario.protocol {
                Protocol::Sds => "sds".into(),
                Protocol::None => "none".into(),
            },
            participants: n,
            run: RunInfo {
                workload_s: secs(workload_end),
                end_s: secs(out.end),
                drain_used_s: secs(out.end.saturating_sub(workload_end)),
                stop_reason: out.stop_reason.name().into(),
                simulated_events: out.events,
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

fn ratio_or_zero(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        round6(a as f64 / b as f64)
    }
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

/// Wall-clock figures of a run, written to `perf.json` and stderr (never to `report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Perf {
    pub wall_time_s: f64,
    pub simulated_events: u64,
    pub events_per_s: f64,
    pub simulated_s: f64,
    pub sim_to_wall_ratio: f64,
    pub peak_pending_events: usize,
    /// Peak resident set size from the OS (`VmHWM` in `/proc/self/status`), if available.
    pub peak_rss_bytes: Option<u64>,
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if readable.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Errors writing a run's outputs; each names the path.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{0}")]
    Plot(#[from] plot::PlotError),
    #[error("{path}: cannot serialize JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    OutDir(#[from] OutDirError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// `value` as the text of a JSON file: pretty-printed, with a trailing newline (the exact
/// bytes [`write_json`] writes).
pub fn json_text<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Writes `value` as pretty JSON with a trailing newline.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    let text = json_text(value).map_err(|source| ReportError::Json {
        path: path.to_owned(),
        source,
    })?;
    std::fs::write(path, text).map_err(io_err(path))
}

/// Writes `bytes` to `path` atomically: into a temporary sibling file, renamed over `path`
/// once complete (so readers see the old file or the new one, never half of it).
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes)
        .map_err(io_err(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io_err(path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The command that reproduces a run: `sim run SCENARIO --seed N [--set KEY=VALUE ...]`,
/// each argument quoted for a POSIX shell where needed. `--out` is left out (it does not
/// change the results).
pub fn replay_command(scenario: &Path, seed: u64, sets: &[String]) -> String {
    let mut cmd = format!(
        "sim run {} --seed {seed}",
        shell_quote(&scenario.to_string_lossy())
    );
    for s in sets {
        cmd.push_str(" --set ");
        cmd.push_str(&shell_quote(s));
    }
    cmd
}

/// `s` as one POSIX shell word: as is when it holds only safe characters, else in single
/// quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Writes `messages.csv`: one row per content message.
fn write_messages_csv(path: &Path, rec: &Recorder) -> Result<(), ReportError> {
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
fn write_nodes_csv(path: &Path, out: &RunOutcome, regions: &[String]) -> Result<(), ReportError> {
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

/// Everything one run writes.
pub struct RunArtifacts<'a> {
    pub report: &'a Report,
    pub outcome: &'a RunOutcome,
    /// Region name of every participant (empty strings without a region matrix).
    pub regions: &'a [String],
    pub perf: &'a Perf,
    /// The scenario's TOML text as loaded, after `--set` ([`crate::scenario::Loaded::toml`]),
    /// echoed in `report.html`.
    pub scenario_toml: &'a str,
    /// The command that reproduces the run ([`replay_command`]), shown in `report.html`.
    pub command: &'a str,
}

/// The files of a run's output directory (what [`write_run_files`] writes), for
/// [`crate::outdir`]: a directory holding anything else is never replaced.
pub const RUN_OUTPUT: OutputKind = OutputKind {
    name: "run",
    files: &[
        "report.json",
        "perf.json",
        "messages.csv",
        "nodes.csv",
        "summary.txt",
        "report.html",
        "latency_cdf.png",
        "latency_cdf.svg",
        "delivery_over_time.png",
        "delivery_over_time.svg",
        "bytes_by_kind.png",
        "bytes_by_kind.svg",
        "bandwidth_per_participant.png",
        "bandwidth_per_participant.svg",
        "repair_per_gap.png",
        "repair_per_gap.svg",
    ],
    subdirs: &[],
};

/// Writes a run's output directory `dir` safely: [`outdir::prepare`] (refusals, lock,
/// leftovers of killed runs), the files into the temporary sibling, then
/// [`outdir::Prepared::commit`]. The CLI calls the two steps itself so that the directory is
/// checked before simulating; this is the one-call form for library users and tests.
///
/// # Errors
/// [`ReportError::OutDir`] when the directory cannot be used or replaced; an I/O, CSV, plot
/// or JSON error while writing (then the previous output is untouched).
pub fn write_run_dir(dir: &Path, a: &RunArtifacts) -> Result<Committed, ReportError> {
    let out = outdir::prepare(dir, &RUN_OUTPUT)?;
    write_run_into(out, a)
}

/// Writes every file of a run into `out`'s temporary directory and commits it (see
/// [`write_run_dir`]).
///
/// # Errors
/// As [`write_run_dir`].
pub fn write_run_into(out: Prepared, a: &RunArtifacts) -> Result<Committed, ReportError> {
    write_run_files(out.temp(), a)?;
    Ok(out.commit()?)
}

/// Writes every file of a run into the existing directory `dir`: `report.json`,
/// `perf.json`, `messages.csv`, `nodes.csv`, the plots (PNG and SVG), `summary.txt`,
/// `report.html` (the names [`RUN_OUTPUT`] lists).
///
/// # Errors
/// An I/O, CSV, plot or JSON error, naming the file.
pub fn write_run_files(dir: &Path, a: &RunArtifacts) -> Result<(), ReportError> {
    write_json(&dir.join("report.json"), a.report)?;
    write_json(&dir.join("perf.json"), a.perf)?;
    write_messages_csv(&dir.join("messages.csv"), &a.outcome.recorder)?;
    write_nodes_csv(&dir.join("nodes.csv"), a.outcome, a.regions)?;
    write_plots(dir, a.report, &a.outcome.recorder)?;
    let participants = html::participant_stats(a.outcome, a.regions);
    write_distribution_plots(dir, a.report, &a.outcome.recorder, &participants)?;
    let summary = summary_table(a.report);
    std::fs::write(dir.join("summary.txt"), &summary).map_err(io_err(dir))?;
    let page = html::Page {
        artifacts: a,
        participants: &participants,
        dir,
    };
    let text = html::render(&page).map_err(|(path, source)| ReportError::Io { path, source })?;
    let path = dir.join("report.html");
    std::fs::write(&path, text).map_err(io_err(&path))?;
    Ok(())
}

/// `bandwidth_per_participant` and `repair_per_gap` plots.
fn write_distribution_plots(
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

fn write_plots(dir: &Path, r: &Report, rec: &Recorder) -> Result<(), ReportError> {
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

/// The console summary table of a report.
pub fn summary_table(r: &Report) -> String {
    let s = &r.summary;
    let mut out = Vec::new();
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "  {k:<34} {v}");
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
        "delivery ratio (after drain)",
        format!(
            "{:.6}  ({} / {})",
            s.delivery_ratio, s.delivered, s.expected_deliveries
        ),
    );
    row(
        "delivery ratio (workload end)",
        format!("{:.6}", s.delivery_ratio_workload_end),
    );
    row(
        "latency ms p50 / p95 / p99 / max",
        format!(
            "{} / {} / {} / {}",
            s.latency_ms.p50, s.latency_ms.p95, s.latency_ms.p99, s.latency_ms.max
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
                s.copies_lost, s.copies_lost_gilbert_elliott, s.copies_partitioned
            ),
        );
    }
    for (name, q) in [("uplink", &s.uplink_queue), ("downlink", &s.downlink_queue)] {
        if q.queued_copies > 0 {
            row(
                &format!("{name} queue delay ms mean / max"),
                format!("{} / {}", q.delay_ms_mean, q.delay_ms_max),
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
    String::from_utf8(out).unwrap_or_default()
}

/// `1234567` -> `"1.23 MB"` (powers of 1000).
pub fn human_bytes(b: u64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", units[u])
    }
}

fn human_bps(bps: f64) -> String {
    let units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
    let mut v = bps;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.2} {}", units[u])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        let p = Percentiles::from_us(&mut v);
        assert_eq!((p.p50, p.p95, p.p99, p.max), (50.0, 95.0, 99.0, 100.0));
        assert_eq!(p.count, 100);
        assert_eq!(Percentiles::from_us(&mut []).count, 0);
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(18_858), "18.86 KB");
        assert_eq!(human_bps(2_500_000.0), "2.50 Mbit/s");
    }

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
