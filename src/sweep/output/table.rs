//! The console / `summary.txt` table of a sweep, and the unit of each metric (also what the
//! plots label their y axis in).
//!
//! One unit per metric column, chosen from the metric's name and the column's largest mean
//! (`bytes_sent (GB)`, `latency_ms.p99 (s)`), named in the header; every cell of a column
//! has the same number of decimals, mean and half-width alike: no exponents, no mixing of
//! `1.547e9` and `983432`. `sweep.json` and the CSVs keep the base units (ms, bytes, s).
//!
//! Names the result types ([`super::result`]) only.

use super::result::{display, SweepResult};

/// What a metric measures, from its name (the report's naming rule: units last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    /// `*_ms*` (latencies, queue delays): milliseconds.
    Ms,
    /// `*_s` (`run.end_s`, `run.drain_used_s`): seconds.
    Seconds,
    /// `*bytes*`: bytes.
    Bytes,
    /// `*_bps*`: bits per second.
    Bps,
    /// `*ratio*`: a fraction in [0, 1] (or a per-item rate such as requests per gap).
    Ratio,
    /// Anything else: a count.
    Count,
}

/// The unit of `metric`, from its name.
pub fn unit_of(metric: &str) -> MetricUnit {
    let leaf = metric.rsplit('.').next().unwrap_or(metric);
    if metric.contains("_ms") {
        MetricUnit::Ms
    } else if leaf.ends_with("_s") {
        MetricUnit::Seconds
    } else if metric.contains("_bps") {
        MetricUnit::Bps
    } else if metric.contains("bytes") {
        MetricUnit::Bytes
    } else if metric.contains("ratio") || metric.contains("_per_") {
        MetricUnit::Ratio
    } else {
        MetricUnit::Count
    }
}

/// The display unit of a column: its name in the header (empty for none) and the factor a
/// base-unit value is divided by.
fn scale(unit: MetricUnit, max_abs: f64) -> (&'static str, f64) {
    const BYTES: [(&str, f64); 5] = [
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("KB", 1e3),
        ("B", 1.0),
    ];
    const BPS: [(&str, f64); 4] = [
        ("Gbit/s", 1e9),
        ("Mbit/s", 1e6),
        ("kbit/s", 1e3),
        ("bit/s", 1.0),
    ];
    const COUNT: [(&str, f64); 4] = [
        ("billions", 1e9),
        ("millions", 1e6),
        ("thousands", 1e3),
        ("", 1.0),
    ];
    let pick = |table: &[(&'static str, f64)]| {
        table
            .iter()
            .copied()
            .find(|(_, f)| max_abs >= *f)
            .unwrap_or(table[table.len() - 1])
    };
    match unit {
        MetricUnit::Ms if max_abs >= 1000.0 => ("s", 1000.0),
        MetricUnit::Ms => ("ms", 1.0),
        MetricUnit::Seconds => ("s", 1.0),
        MetricUnit::Bytes => pick(&BYTES),
        MetricUnit::Bps => pick(&BPS),
        MetricUnit::Ratio => ("", 1.0),
        // Counts below 100,000 print whole.
        MetricUnit::Count if max_abs < 1e5 => ("", 1.0),
        MetricUnit::Count => pick(&COUNT),
    }
}

/// Decimals for a column of scaled values: four significant digits of the largest, at least
/// three of the smallest non-zero one, at most six; ratios at least four, counts at most two.
fn decimals(unit: MetricUnit, values: &[f64]) -> usize {
    let mags: Vec<i32> = values
        .iter()
        .filter(|v| v.is_finite() && **v != 0.0)
        .map(|v| v.abs().log10().floor() as i32)
        .collect();
    let (Some(&max), Some(&min)) = (mags.iter().max(), mags.iter().min()) else {
        return if unit == MetricUnit::Ratio { 4 } else { 0 };
    };
    let d = (3 - max).max(2 - min).clamp(0, 6) as usize;
    if unit == MetricUnit::Ratio {
        d.max(4)
    } else if unit == MetricUnit::Count {
        // Means of whole counts over a few seeds: two decimals say enough.
        d.min(2)
    } else {
        d
    }
}

impl SweepResult {
    /// The console / `summary.txt` table: one line per point, its values and the mean ± the
    /// interval's half-width of each metric, in the column's unit (see the module docs).
    pub fn summary_table(&self) -> String {
        let mut header: Vec<String> = vec!["point".into()];
        header.extend(self.parameters.iter().map(|p| p.key.clone()));
        let mut columns: Vec<Vec<String>> = Vec::new();
        for m in &self.metrics {
            let stats: Vec<Option<(f64, Option<f64>)>> = self
                .points
                .iter()
                .map(|p| {
                    let s = p.stats.as_ref()?.get(m)?;
                    let half = s.ci95_low.zip(s.ci95_high).map(|(lo, hi)| (hi - lo) / 2.0);
                    Some((s.mean, half))
                })
                .collect();
            let unit = unit_of(m);
            let max_abs = stats
                .iter()
                .flatten()
                .map(|(m, _)| m.abs())
                .filter(|m| m.is_finite())
                .fold(0.0, f64::max);
            let (name, factor) = scale(unit, max_abs);
            let means: Vec<f64> = stats.iter().flatten().map(|(m, _)| m / factor).collect();
            let d = decimals(unit, &means);
            let num = |v: f64| {
                if v.is_finite() {
                    format!("{:.d$}", v / factor)
                } else {
                    "n/a".into()
                }
            };
            header.push(if name.is_empty() {
                m.clone()
            } else {
                format!("{m} ({name})")
            });
            columns.push(
                stats
                    .iter()
                    .map(|s| match s {
                        None => "-".to_string(),
                        Some((mean, Some(half))) => format!("{} ± {}", num(*mean), num(*half)),
                        Some((mean, None)) => num(*mean),
                    })
                    .collect(),
            );
        }
        let mut rows = vec![header];
        for (i, p) in self.points.iter().enumerate() {
            let mut line = vec![p.point.to_string()];
            line.extend(p.values.iter().map(display));
            line.extend(columns.iter().map(|c| c[i].clone()));
            rows.push(line);
        }
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = format!(
            "sweep {} ({} points x {} seeds = {} runs; mean ± half-width of the 95% Student t \
             interval, in the unit after each metric's name)\n",
            self.sweep,
            self.points.len(),
            self.seeds.len(),
            self.rows.len()
        );
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str("  ");
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_from_names() {
        assert_eq!(unit_of("latency_ms.p99"), MetricUnit::Ms);
        assert_eq!(unit_of("uplink_queue.delay_ms_mean"), MetricUnit::Ms);
        assert_eq!(unit_of("run.drain_used_s"), MetricUnit::Seconds);
        assert_eq!(unit_of("bytes_sent"), MetricUnit::Bytes);
        assert_eq!(unit_of("bytes_by_kind.sync"), MetricUnit::Bytes);
        assert_eq!(unit_of("uplink_bps_mean"), MetricUnit::Bps);
        assert_eq!(unit_of("delivery_ratio"), MetricUnit::Ratio);
        assert_eq!(
            unit_of("repair.requests_per_requested_message"),
            MetricUnit::Ratio
        );
        assert_eq!(unit_of("run.simulated_events"), MetricUnit::Count);
        assert_eq!(unit_of("copies_sent"), MetricUnit::Count);
    }

    #[test]
    fn column_scales_and_decimals() {
        assert_eq!(scale(MetricUnit::Bytes, 9.878e9), ("GB", 1e9));
        assert_eq!(scale(MetricUnit::Ms, 250_246.0), ("s", 1000.0));
        assert_eq!(scale(MetricUnit::Ms, 169.4), ("ms", 1.0));
        assert_eq!(scale(MetricUnit::Count, 1.635e6), ("millions", 1e6));
        assert_eq!(scale(MetricUnit::Count, 36.0), ("", 1.0));
        // GB column of the loss sweep: 0.0317 GB to 9.878 GB.
        assert_eq!(decimals(MetricUnit::Bytes, &[0.03173, 9.878]), 4);
        // p50 column in s: 0.0749 s to 43.85 s.
        assert_eq!(decimals(MetricUnit::Ms, &[0.0749, 43.85]), 4);
        // p99 column in s: 0.169 s to 250.2 s.
        assert_eq!(decimals(MetricUnit::Ms, &[0.169, 250.2]), 3);
        assert_eq!(decimals(MetricUnit::Ratio, &[0.7991, 1.0]), 4);
        assert_eq!(decimals(MetricUnit::Count, &[0.0, 2.0]), 2);
        assert_eq!(decimals(MetricUnit::Count, &[584.0, 1047.0]), 0);
        assert_eq!(decimals(MetricUnit::Count, &[]), 0);
    }
}
