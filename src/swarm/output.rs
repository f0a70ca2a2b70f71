//! A swarm's output directory, written through [`crate::outdir`]: `swarm.csv` (one row per
//! scenario), `summary.txt` (failures by property, failure rates by fault class with Wilson
//! intervals) and `failures/` (each failing scenario as a plain scenario TOML with the
//! command that replays it, and its shrunk reproducer). Nothing in it depends on the thread
//! count or on wall time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::draw::to_text;
use super::exec::ScenarioRow;
use super::features::FEATURE_COLUMNS;
use super::property::Property;
use super::shrink::Shrunk;
use super::spec::{SwarmError, SwarmSpec};
use crate::outdir::{Committed, OutputKind, Prepared};
use crate::sweep::Shard;

/// The files of a swarm output (what [`crate::outdir::prepare`] may replace).
pub const SWARM_OUTPUT: OutputKind = OutputKind {
    name: "swarm",
    files: &["swarm.csv", "summary.txt"],
    subdirs: &[("failures", &["toml"])],
};

/// What the output describes besides its rows.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub spec: &'a SwarmSpec,
    pub seed: u64,
    pub count: u64,
    pub shard: Option<Shard>,
    /// The output directory as the user gave it (for replay commands).
    pub out: &'a Path,
}

/// The name of the failure file of `index` for property `p` (`0012-liveness.toml`), and of
/// its shrunk reproducer (`0012-liveness-min.toml`).
pub fn failure_file(index: u64, p: Property, shrunk: bool) -> String {
    let min = if shrunk { "-min" } else { "" };
    format!("{index:04}-{}{min}.toml", p.name())
}

/// Writes the output into `out`'s temporary directory and commits it.
///
/// # Errors
/// An I/O error naming the path, or the directory cannot be replaced.
pub fn write_into(
    out: Prepared,
    h: &Header<'_>,
    rows: &[ScenarioRow],
) -> Result<Committed, SwarmError> {
    let dir = out.temp().to_path_buf();
    let io = |p: &Path, e: std::io::Error| SwarmError::new(p, e.to_string());
    let csv_path = dir.join("swarm.csv");
    std::fs::write(&csv_path, csv_text(rows)).map_err(|e| io(&csv_path, e))?;
    let sum = dir.join("summary.txt");
    std::fs::write(&sum, summary_text(h, rows)).map_err(|e| io(&sum, e))?;
    let fdir = dir.join("failures");
    std::fs::create_dir_all(&fdir).map_err(|e| io(&fdir, e))?;
    for r in rows {
        for (p, msg) in r.failures() {
            let name = failure_file(r.index, p, false);
            let path = fdir.join(&name);
            let text = failure_text(h, r, p, msg, &name);
            std::fs::write(&path, text).map_err(|e| io(&path, e))?;
            if let Some((_, s)) = r.shrunk.iter().find(|(q, _)| *q == p) {
                let min = failure_file(r.index, p, true);
                let path = fdir.join(&min);
                let text = shrunk_text(h.out, p, &name, &min, s);
                std::fs::write(&path, text).map_err(|e| io(&path, e))?;
            }
        }
    }
    out.commit()
        .map_err(|e| SwarmError::new(h.out, e.message()))
}

fn comment(text: &str) -> String {
    text.lines()
        .map(|l| format!("#   {l}\n"))
        .collect::<String>()
}

fn replay(out: &Path, name: &str) -> String {
    crate::report::shell_quote(&out.join("failures").join(name).display().to_string())
}

/// A failing scenario's file: comments (property, message, how it was drawn, the replay
/// command), then the scenario.
pub fn failure_text(h: &Header<'_>, r: &ScenarioRow, p: Property, msg: &str, name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# sim swarm: scenario {} of swarm \"{}\" (seed {}) fails property {}:",
        r.index,
        h.spec.name,
        h.seed,
        p.name()
    );
    s.push_str(&comment(msg));
    let _ = writeln!(
        s,
        "# Drawn by: sim swarm {} --seed {} --count {} (scenario {})",
        crate::report::shell_quote(&h.spec.file.display().to_string()),
        h.seed,
        h.count.max(r.index + 1),
        r.index
    );
    let check = if p == Property::Determinism {
        " --check-determinism"
    } else {
        ""
    };
    let _ = writeln!(s, "# Replay: sim run {}{check}", replay(h.out, name));
    if !r.shrunk.is_empty() && r.shrunk.iter().any(|(q, _)| *q == p) {
        let _ = writeln!(s, "# Shrunk reproducer: {}", failure_file(r.index, p, true));
    }
    s.push('\n');
    s.push_str(&to_text(&r.doc));
    s
}

/// A shrunk reproducer's file: what was removed, the replay command, the scenario.
pub fn shrunk_text(out: &Path, p: Property, from: &str, name: &str, sh: &Shrunk) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Minimal reproducer of property {} (sim swarm shrink of {from}, {} runs):",
        p.name(),
        sh.runs
    );
    s.push_str(&comment(&sh.reason));
    if sh.steps.is_empty() {
        s.push_str("# Nothing could be removed.\n");
    } else {
        s.push_str("# Removed or reduced, in order:\n");
        for st in &sh.steps {
            let _ = writeln!(s, "#   - {st}");
        }
    }
    let check = if p == Property::Determinism {
        " --check-determinism"
    } else {
        ""
    };
    let _ = writeln!(s, "# Replay: sim run {}{check}", replay(out, name));
    s.push('\n');
    s.push_str(&to_text(&sh.doc));
    s
}

const FIGURE_COLUMNS: [&str; 11] = [
    "delivery_ratio",
    "stop_reason",
    "end_s",
    "simulated_events",
    "messages_published",
    "distinct_final_logs",
    "messages_in_incoming_buffers",
    "acknowledged_undelivered",
    "irretrievably_lost",
    "causal_violations",
    "bytes_sent",
];

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `swarm.csv`: one row per scenario in index order.
pub fn csv_text(rows: &[ScenarioRow]) -> String {
    let mut head: Vec<String> = vec![
        "index".into(),
        "seed".into(),
        "faults".into(),
        "tags".into(),
    ];
    head.extend(FEATURE_COLUMNS.iter().map(|s| s.to_string()));
    head.extend(Property::ALL.iter().map(|p| p.name().to_string()));
    head.push("failure".into());
    head.extend(FIGURE_COLUMNS.iter().map(|s| s.to_string()));
    head.push("reproducers".into());
    let mut out = head.join(",");
    out.push('\n');
    for r in rows {
        let mut f: Vec<String> = vec![
            r.index.to_string(),
            r.seed.to_string(),
            r.faults.join("+"),
            r.tags.join("+"),
        ];
        f.extend(r.features.iter().cloned());
        f.extend(r.verdicts.iter().map(|v| v.word().to_string()));
        f.push(
            r.failures()
                .iter()
                .map(|(p, m)| format!("{}: {m}", p.name()))
                .collect::<Vec<_>>()
                .join(" | "),
        );
        match &r.figures {
            Some(g) => f.extend([
                g.delivery_ratio.to_string(),
                g.stop_reason.clone(),
                g.end_s.to_string(),
                g.simulated_events.to_string(),
                g.messages_published.to_string(),
                g.distinct_final_logs.to_string(),
                g.messages_in_incoming_buffers.to_string(),
                g.acknowledged_undelivered.to_string(),
                g.irretrievably_lost.to_string(),
                g.causal_violations.to_string(),
                g.bytes_sent.to_string(),
            ]),
            None => f.extend(std::iter::repeat_n(String::new(), FIGURE_COLUMNS.len())),
        }
        f.push(
            r.failures()
                .iter()
                .map(|(p, _)| {
                    let shrunk = r.shrunk.iter().any(|(q, _)| q == p);
                    failure_file(r.index, *p, shrunk)
                })
                .collect::<Vec<_>>()
                .join(" "),
        );
        let line: Vec<String> = f.iter().map(|s| csv_field(s)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Wilson score interval (95%, z = 1.96) of `k` successes in `n` trials: `(low, high)`;
/// `(0, 1)` for `n = 0`. Source: E. B. Wilson, "Probable inference, the law of succession,
/// and statistical inference", JASA 22 (1927).
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.96f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let den = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / den;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / den;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[derive(Default)]
struct Tally {
    scenarios: u64,
    judged: [u64; 4],
    failed: [u64; 4],
}

impl Tally {
    fn add(&mut self, r: &ScenarioRow) {
        self.scenarios += 1;
        for (i, v) in r.verdicts.iter().enumerate() {
            if !matches!(v, super::property::Verdict::NotApplicable) {
                self.judged[i] += 1;
            }
            if v.failed() {
                self.failed[i] += 1;
            }
        }
    }
}

fn rate(k: u64, n: u64) -> String {
    if n == 0 {
        return "-".into();
    }
    let (lo, hi) = wilson(k, n);
    format!(
        "{:.1}% [{:.1}, {:.1}]",
        100.0 * k as f64 / n as f64,
        100.0 * lo,
        100.0 * hi
    )
}

/// `summary.txt`: counts of failures by property, then failure rates by fault class, by
/// fault class alone and by configuration tag, with 95% Wilson intervals.
pub fn summary_text(h: &Header<'_>, rows: &[ScenarioRow]) -> String {
    let mut s = String::new();
    let shard = h.shard.map(|s| format!(", shard {s}")).unwrap_or_default();
    let _ = writeln!(
        s,
        "swarm {} (seed {}, {} scenarios{shard}: {} here)",
        h.spec.name,
        h.seed,
        h.count,
        rows.len()
    );
    let mut all = Tally::default();
    let mut by_class: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows {
        all.add(r);
        let mut keys: Vec<String> = r.faults.iter().map(|c| c.to_string()).collect();
        match r.faults.as_slice() {
            [] => keys.push("(no fault)".into()),
            [only] => keys.push(format!("{only} alone")),
            _ => {}
        }
        keys.extend(r.tags.iter().map(|t| format!("config: {t}")));
        for k in keys {
            by_class.entry(k).or_default().add(r);
        }
    }
    for (i, p) in Property::ALL.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:<12} {:>6} failed of {:>6} judged  {}",
            p.name(),
            all.failed[i],
            all.judged[i],
            rate(all.failed[i], all.judged[i])
        );
    }
    let _ = writeln!(
        s,
        "\nFailures / judged by class (95% Wilson interval; a scenario counts in every class it has)"
    );
    let _ = writeln!(
        s,
        "{:<28} {:>9}  {:<13} {:<22}  {:<13} liveness rate",
        "class", "scenarios", "safety", "safety rate", "liveness"
    );
    for (k, t) in &by_class {
        let frac = |i: usize| format!("{}/{}", t.failed[i], t.judged[i]);
        let line = format!(
            "{:<28} {:>9}  {:<13} {:<22}  {:<13} {:<22}",
            k,
            t.scenarios,
            frac(0),
            rate(t.failed[0], t.judged[0]),
            frac(1),
            rate(t.failed[1], t.judged[1]),
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_known_values() {
        let (lo, hi) = wilson(0, 10);
        assert!(
            (lo - 0.0).abs() < 1e-9 && (hi - 0.2775).abs() < 1e-3,
            "{hi}"
        );
        let (lo, hi) = wilson(50, 100);
        assert!((lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn csv_quotes_fields() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("x"), "x");
    }
}
