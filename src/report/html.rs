//! `report.html`: one self-contained page per run, for people.
//!
//! The page has no JavaScript and loads nothing: styles are inline, every plot is the run's
//! own SVG file inlined, and links point only at in-page anchors and at the files beside it
//! in the run directory. It is also well-formed XML (polyglot HTML5: every element closed,
//! no named entities, no `<` or `&` in the style sheet), which a test checks with a strict
//! parser. Sections: the run at a glance, how to reproduce it (seed and exact command), the
//! summary table, every plot, bandwidth per traffic kind, fault windows, the worst
//! participants (lowest delivery ratio, highest p99 latency, most bytes sent), every numeric
//! summary metric, and the scenario as loaded (its TOML text after `--set`).
//!
//! Deterministic like `report.json`: no wall-clock figures (those stay in `perf.json`).

use std::fmt::Write as _;
use std::path::Path;

use super::compare::{numeric_leaves, Direction, Policy};
use super::units::{
    group_digits, human_bps, human_bytes, human_ms, human_ms_or_dash, human_recovery, ratio,
};
use super::{Percentiles, Report, RunArtifacts};
use crate::metrics::RunOutcome;
use crate::net::TrafficKind;

/// The plots of a run directory, in page order: file stem and caption.
pub const PLOTS: [(&str, &str); 5] = [
    (
        "delivery_over_time",
        "Delivery ratio over time. Fault windows (partitions, churn) are shaded; the dashed \
         line marks the end of the workload (the drain follows).",
    ),
    (
        "latency_cdf",
        "Publish-to-delivery latency, CDF over delivered (message, receiver) pairs, one curve \
         per protocol.",
    ),
    (
        "bytes_by_kind",
        "Bytes sent per traffic kind, all participants.",
    ),
    (
        "bandwidth_per_participant",
        "Distribution of bytes sent and received per participant.",
    ),
    (
        "repair_per_gap",
        "SDS-R repair requests and responses sent per gap (per missing message that was \
         requested), group-wide. SDS-R aims at about one of each.",
    ),
];

/// Rows shown in each worst-participants table.
const WORST_ROWS: usize = 10;

/// Per-participant figures used by the page (and the bandwidth plot).
#[derive(Debug, Clone)]
pub struct ParticipantStats {
    pub id: u32,
    pub region: String,
    pub expected: u64,
    pub delivered: u64,
    /// `delivered / expected` (1 when nothing was expected).
    pub delivery_ratio: f64,
    /// Latency percentiles over the deliveries to this participant (ms).
    pub latency_ms: Percentiles,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// Figures of every participant of a finished run (`regions` may be shorter than the
/// participant count; missing regions are empty).
pub fn participant_stats(out: &RunOutcome, regions: &[String]) -> Vec<ParticipantStats> {
    let rec = &out.recorder;
    let n = rec.participants() as usize;
    let mut lat: Vec<Vec<u64>> = vec![Vec::new(); n];
    for (m, t) in rec.messages().iter().enumerate() {
        for (to, d) in rec.expected_deliveries_of(m as u32) {
            if let Some(d) = d {
                lat[to as usize].push(d - t.published);
            }
        }
    }
    let traffic = out.network.traffic();
    lat.into_iter()
        .enumerate()
        .map(|(i, mut l)| {
            let expected = rec.per_node_expected()[i];
            let delivered = rec.per_node_delivered()[i];
            let t = traffic.get(i);
            ParticipantStats {
                id: i as u32,
                region: regions.get(i).cloned().unwrap_or_default(),
                expected,
                delivered,
                delivery_ratio: ratio(delivered, expected),
                latency_ms: Percentiles::from_us(&mut l),
                bytes_sent: t.map_or(0, |t| t.bytes_sent()),
                bytes_received: t.map_or(0, |t| t.bytes_received),
            }
        })
        .collect()
}

/// Escapes text for HTML/XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in XML.
            c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #1d1d1d; background: #fff;
  max-width: 1240px; margin: 0 auto; padding: 12px 28px 40px; line-height: 1.4; }
h1 { font-size: 1.7em; margin: 0.4em 0 0.1em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 2px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
p.lead { color: #444; margin-top: 0.2em; }
nav { margin: 0.8em 0; font-size: 0.95em; }
nav a { margin-right: 1.1em; color: #0b5cab; text-decoration: none; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.93em; }
th, td { border: 1px solid #d6d6d6; padding: 3px 9px; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.bad td { background: #fdecea; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; font-size: 0.85em; }
.ok { background: #e3f4e8; color: #1b5e20; }
.warn { background: #fdecea; color: #b71c1c; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 10px 12px; overflow-x: auto;
  font-size: 0.88em; white-space: pre; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
figure { margin: 1.2em 0 2em; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.4em; }
.cols { display: flex; flex-wrap: wrap; gap: 0 28px; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
"#;

/// Inputs of the page beyond the run artifacts.
pub struct Page<'a> {
    pub artifacts: &'a RunArtifacts<'a>,
    /// Per-participant figures ([`participant_stats`]).
    pub participants: &'a [ParticipantStats],
    /// The run directory holding the plots' SVG files (read and inlined).
    pub dir: &'a Path,
}

/// Renders `report.html`.
///
/// # Errors
/// The I/O error (with the path) of a plot SVG that cannot be read.
pub fn render(page: &Page) -> Result<String, (std::path::PathBuf, std::io::Error)> {
    let a = page.artifacts;
    let r = a.report;
    let s = &r.summary;
    let mut h = String::with_capacity(256 * 1024);
    let title = format!("{} ({}, seed {})", r.scenario, r.protocol, r.seed);

    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(h, "<title>{}: sdsim report</title>", escape(&title));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");

    // Header.
    let _ = writeln!(h, "<h1>{}</h1>", escape(&title));
    if !r.description.is_empty() {
        let _ = writeln!(h, "<p class=\"lead\">{}</p>", escape(&r.description));
    }
    let ok = s.duplicates_delivered == 0 && s.causal_violations == 0;
    let _ = writeln!(
        h,
        "<p>{} participants &#183; {} messages &#183; delivery ratio <b>{:.6}</b> &#183; \
         latency p99 <b>{}</b> &#183; {} sent &#183; stopped: {} at {} s \
         <span class=\"badge {}\">{}</span></p>",
        r.participants,
        s.messages_published,
        s.delivery_ratio,
        human_ms(s.latency_ms.p99),
        human_bytes(s.bytes_sent),
        escape(&r.run.stop_reason),
        r.run.end_s,
        if ok { "ok" } else { "warn" },
        if ok {
            "no duplicates, no causal violations".to_string()
        } else {
            format!(
                "{} duplicates, {} causal violations",
                s.duplicates_delivered, s.causal_violations
            )
        }
    );
    h.push_str(
        "<nav><a href=\"#reproduce\">Reproduce</a><a href=\"#summary\">Summary</a>\
         <a href=\"#plots\">Plots</a><a href=\"#bandwidth\">Bandwidth by kind</a>\
         <a href=\"#faults\">Faults</a><a href=\"#worst\">Worst participants</a>\
         <a href=\"#metrics\">All metrics</a><a href=\"#scenario\">Scenario</a>\
         <a href=\"#files\">Files</a></nav>\n",
    );

    // Reproduce.
    h.push_str("<h2 id=\"reproduce\">Reproduce</h2>\n");
    let _ = writeln!(h, "<pre><code>{}</code></pre>", escape(a.command));
    let _ = writeln!(
        h,
        "<p>Seed <b>{}</b>, configuration hash <code>{}</code>. The same binary, scenario and \
         seed give a byte-identical <code>report.json</code> (<code>sim</code> is \
         <code>target/release/sim</code> or <code>cargo run --release --</code>; \
         add <code>--out DIR</code> to choose the output directory).</p>",
        r.seed,
        escape(&r.config_hash)
    );

    // Summary.
    h.push_str("<h2 id=\"summary\">Summary</h2>\n");
    summary_table(&mut h, r);

    // Plots.
    h.push_str("<h2 id=\"plots\">Plots</h2>\n");
    for (stem, caption) in PLOTS {
        let path = page.dir.join(format!("{stem}.svg"));
        let svg = std::fs::read_to_string(&path).map_err(|e| (path.clone(), e))?;
        let svg = svg.find("<svg").map_or("", |i| &svg[i..]).trim_end();
        let _ = writeln!(
            h,
            "<figure id=\"plot-{stem}\">\n{}\n<figcaption>{} Files: \
             <a href=\"{stem}.svg\">{stem}.svg</a>, <a href=\"{stem}.png\">{stem}.png</a>.\
             </figcaption>\n</figure>",
            // HTML puts an inline <svg> in the SVG namespace by itself: the xmlns attribute
            // goes, so that the page holds no URL at all.
            svg.replacen(
                "<svg ",
                &format!("<svg role=\"img\" aria-label=\"{stem}\" "),
                1
            )
            .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1),
            escape(caption)
        );
    }

    bandwidth_table(&mut h, r);
    super::light::html_section(&mut h, r.summary.light.as_ref());
    faults_table(&mut h, r);
    worst_tables(&mut h, page.participants);
    metrics_table(&mut h, r);

    // Scenario.
    h.push_str("<h2 id=\"scenario\">Scenario</h2>\n");
    let _ = writeln!(
        h,
        "<p>The TOML the run was loaded from (after any <code>--set</code>; <code>--seed</code> \
         is applied on top). The fully resolved scenario, defaults filled, is \
         <code>config</code> in <code>report.json</code>.</p>\n<pre><code>{}</code></pre>",
        escape(a.scenario_toml.trim_end())
    );

    // Files.
    h.push_str("<h2 id=\"files\">Files</h2>\n<ul>\n");
    for (f, what) in [
        (
            "report.json",
            "every figure of this page (fields: reports/README.md)",
        ),
        ("messages.csv", "one row per content message"),
        ("nodes.csv", "one row per participant"),
        ("summary.txt", "the console summary"),
        ("perf.json", "wall-clock figures of the run"),
    ] {
        let _ = writeln!(h, "<li><a href=\"{f}\">{f}</a>: {}</li>", escape(what));
    }
    h.push_str("</ul>\n");
    let _ = writeln!(
        h,
        "<footer>sdsim {}, report schema {}.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        r.schema_version
    );
    Ok(h)
}

fn row(h: &mut String, key: &str, value: &str, bad: bool) {
    let _ = writeln!(
        h,
        "<tr{}><th>{}</th><td class=\"num\">{}</td></tr>",
        if bad { " class=\"bad\"" } else { "" },
        escape(key),
        escape(value)
    );
}

fn summary_table(h: &mut String, r: &Report) {
    let s = &r.summary;
    let g = group_digits;
    h.push_str("<table class=\"summary\">\n");
    row(
        h,
        "delivery ratio (end of run)",
        &format!(
            "{:.6}  ({} / {})",
            s.delivery_ratio,
            g(s.delivered),
            g(s.expected_deliveries)
        ),
        s.delivery_ratio < 1.0,
    );
    row(
        h,
        "delivery ratio (workload end)",
        &format!("{:.6}", s.delivery_ratio_workload_end),
        false,
    );
    let l = &s.latency_ms;
    row(
        h,
        "latency p50 / p95 / p99 / max",
        &format!(
            "{} / {} / {} / {}",
            human_ms_or_dash(l.p50, l.count),
            human_ms_or_dash(l.p95, l.count),
            human_ms_or_dash(l.p99, l.count),
            human_ms_or_dash(l.max, l.count)
        ),
        false,
    );
    row(
        h,
        "duplicates delivered",
        &s.duplicates_delivered.to_string(),
        s.duplicates_delivered > 0,
    );
    row(
        h,
        "causal violations",
        &s.causal_violations.to_string(),
        s.causal_violations > 0,
    );
    row(
        h,
        "participants incomplete",
        &s.participants_incomplete.to_string(),
        s.participants_incomplete > 0,
    );
    row(
        h,
        "distinct final logs",
        &s.distinct_final_logs.to_string(),
        s.distinct_final_logs > 1,
    );
    row(h, "messages published", &g(s.messages_published), false);
    row(h, "bytes sent", &human_bytes(s.bytes_sent), false);
    row(
        h,
        "uplink per participant (mean / max)",
        &format!(
            "{} / {}",
            human_bps(s.uplink_bps_mean),
            human_bps(s.uplink_bps_max)
        ),
        false,
    );
    row(
        h,
        "copies sent / lost / partitioned",
        &format!(
            "{} / {} / {}",
            g(s.copies_sent),
            g(s.copies_lost),
            g(s.copies_partitioned)
        ),
        false,
    );
    row(
        h,
        "acknowledged (of which undelivered) / given up",
        &format!(
            "{} ({}) / {}",
            g(s.acknowledged),
            g(s.acknowledged_undelivered),
            g(s.not_acknowledged)
        ),
        s.acknowledged_undelivered > 0,
    );
    row(
        h,
        "ack latency p50 / p99",
        &format!(
            "{} / {}",
            human_ms_or_dash(s.ack_latency_ms.p50, s.ack_latency_ms.count),
            human_ms_or_dash(s.ack_latency_ms.p99, s.ack_latency_ms.count)
        ),
        false,
    );
    let rp = &s.repair;
    row(
        h,
        "repair requests / responses (gaps)",
        &format!(
            "{} / {} ({}; {:.2} / {:.2} per gap)",
            g(rp.requests_sent),
            g(rp.responses_sent),
            g(rp.messages_requested),
            rp.requests_per_requested_message,
            rp.responses_per_requested_message
        ),
        false,
    );
    row(
        h,
        "irretrievably lost dependencies",
        &rp.irretrievably_lost.to_string(),
        rp.irretrievably_lost > 0,
    );
    if let Some(c) = &s.churn {
        row(
            h,
            "churn: offline windows / crashes / left / joined",
            &format!(
                "{} / {} / {} / {}",
                c.offline_events, c.crashes, c.left, c.joined
            ),
            false,
        );
    }
    row(
        h,
        "simulated",
        &format!(
            "{} s workload + {} s drain ({}), {} events",
            r.run.workload_s,
            r.run.drain_used_s,
            r.run.stop_reason,
            g(r.run.simulated_events)
        ),
        false,
    );
    h.push_str("</table>\n");
}

fn bandwidth_table(h: &mut String, r: &Report) {
    let s = &r.summary;
    let n = f64::from(r.participants.max(1));
    let secs = r.run.end_s.max(1e-9);
    h.push_str(
        "<h2 id=\"bandwidth\">Bandwidth by kind</h2>\n<table>\n<tr><th>kind</th><th>bytes \
         sent</th><th>share</th><th>transmissions</th><th>bytes per participant</th>\
         <th>mean uplink per participant</th></tr>\n",
    );
    let mut kinds: Vec<&String> = s.bytes_by_kind.keys().collect();
    // Report order of the known kinds first, then any others alphabetically.
    kinds.sort_by_key(|k| {
        (
            TrafficKind::ALL
                .iter()
                .position(|t| t.name() == k.as_str())
                .unwrap_or(usize::MAX),
            (*k).clone(),
        )
    });
    for k in kinds {
        let b = s.bytes_by_kind[k];
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}%</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(k),
            human_bytes(b),
            if s.bytes_sent > 0 {
                b as f64 * 100.0 / s.bytes_sent as f64
            } else {
                0.0
            },
            s.transmissions_by_kind.get(k).copied().unwrap_or(0),
            human_bytes((b as f64 / n).round() as u64),
            human_bps(b as f64 * 8.0 / n / secs)
        );
    }
    let _ = writeln!(
        h,
        "<tr><th>all</th><td class=\"num\"><b>{}</b></td><td class=\"num\">100%</td>\
         <td class=\"num\"></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n\
         </table>\n<p>Every copy put on the wire counts (relayed copies under their packet's \
         kind). Rates are over the whole run ({} s).</p>",
        human_bytes(s.bytes_sent),
        human_bytes((s.bytes_sent as f64 / n).round() as u64),
        human_bps(s.uplink_bps_mean),
        r.run.end_s
    );
}

fn faults_table(h: &mut String, r: &Report) {
    h.push_str("<h2 id=\"faults\">Faults</h2>\n");
    if r.faults.is_empty() {
        h.push_str("<p>No partitions or churn windows.</p>\n");
        return;
    }
    h.push_str(
        "<p>Recovery: time from a window's end until 99% / all of the deliveries expected of \
         messages published before that end were made (\"never\": not within the run).</p>\n",
    );
    h.push_str(
        "<table>\n<tr><th>kind</th><th>start (s)</th><th>end (s)</th>\
         <th>undelivered at end</th><th>recovery 99%</th><th>recovery 100%</th></tr>\n",
    );
    for f in &r.faults {
        let never = f.recovery_100_s.is_none();
        let _ = writeln!(
            h,
            "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if never { " class=\"bad\"" } else { "" },
            escape(&f.kind),
            f.start_s,
            f.end_s,
            f.pairs_undelivered_at_end,
            f.pairs_before_end,
            human_recovery(f.recovery_99_s),
            human_recovery(f.recovery_100_s),
        );
    }
    if let Some(rc) = &r.summary.recovery {
        let _ = writeln!(
            h,
            "<tr><td><b>after the last fault</b></td><td></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            rc.faults_end_s,
            rc.pairs_undelivered_at_faults_end,
            human_recovery(rc.recovery_99_s),
            human_recovery(rc.recovery_100_s),
        );
    }
    h.push_str("</table>\n");
}

fn participant_table(h: &mut String, title: &str, rows: &[&ParticipantStats]) {
    let _ = writeln!(h, "<div><h3>{}</h3>", escape(title));
    h.push_str(
        "<table>\n<tr><th>participant</th><th>region</th><th>delivered / expected</th>\
         <th>ratio</th><th>p99 latency</th><th>bytes sent</th><th>bytes received</th></tr>\n",
    );
    for p in rows {
        let _ = writeln!(
            h,
            "<tr{}><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{} / {}</td>\
             <td class=\"num\">{:.6}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            if p.delivery_ratio < 1.0 {
                " class=\"bad\""
            } else {
                ""
            },
            p.id,
            escape(&p.region),
            p.delivered,
            p.expected,
            p.delivery_ratio,
            if p.latency_ms.count > 0 {
                human_ms(p.latency_ms.p99)
            } else {
                "-".into()
            },
            human_bytes(p.bytes_sent),
            human_bytes(p.bytes_received)
        );
    }
    h.push_str("</table></div>\n");
}

fn worst_tables(h: &mut String, ps: &[ParticipantStats]) {
    h.push_str("<h2 id=\"worst\">Worst participants</h2>\n");
    let mut low: Vec<&ParticipantStats> = ps.iter().filter(|p| p.delivery_ratio < 1.0).collect();
    low.sort_by(|a, b| {
        a.delivery_ratio
            .total_cmp(&b.delivery_ratio)
            .then(a.id.cmp(&b.id))
    });
    let incomplete = low.len();
    low.truncate(WORST_ROWS);
    let mut slow: Vec<&ParticipantStats> = ps.iter().filter(|p| p.latency_ms.count > 0).collect();
    slow.sort_by(|a, b| {
        b.latency_ms
            .p99
            .total_cmp(&a.latency_ms.p99)
            .then(a.id.cmp(&b.id))
    });
    slow.truncate(WORST_ROWS);
    let mut heavy: Vec<&ParticipantStats> = ps.iter().collect();
    heavy.sort_by(|a, b| b.bytes_sent.cmp(&a.bytes_sent).then(a.id.cmp(&b.id)));
    heavy.truncate(WORST_ROWS);

    if low.is_empty() {
        h.push_str("<p>Every participant delivered every message expected of it.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p>{incomplete} of {} participants missed at least one expected message.</p>",
            ps.len()
        );
    }
    h.push_str("<div class=\"cols\">\n");
    if !low.is_empty() {
        participant_table(h, "Lowest delivery ratio", &low);
    }
    participant_table(h, "Highest p99 latency", &slow);
    participant_table(h, "Most bytes sent", &heavy);
    h.push_str("</div>\n");
}

fn metrics_table(h: &mut String, r: &Report) {
    h.push_str(
        "<h2 id=\"metrics\">All summary metrics</h2>\n<p>Every number under \
         <code>summary</code> in <code>report.json</code>, with the direction \
         <code>sim compare</code> judges it by (reports/README.md).</p>\n<table>\n\
         <tr><th>metric</th><th>value</th><th>better if</th></tr>\n",
    );
    let summary = serde_json::to_value(&r.summary).unwrap_or_default();
    let policy = Policy::builtin();
    for (k, v) in numeric_leaves(&summary) {
        let dir = match policy.judge(&k).direction {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::Info => "",
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td>{dir}</td></tr>",
            escape(&k),
            v
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_units() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{1}b\n"), "a\u{fffd}b\n");
    }
}
