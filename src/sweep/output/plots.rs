//! The plots of a whole sweep: `plots/<metric>-vs-<key>.{png,svg}`, a metric's mean and
//! interval per point against each swept key, one line per combination of the other keys
//! (drawn by `report::plot::sweep`).
//!
//! Names the result types ([`super::result`]) and the chart; never reads the plan or the runs.

use std::path::Path;

use super::result::{display, ParamOut, SweepResult};
use super::table::{unit_of, MetricUnit};
use crate::report::plot::sweep::{metric_vs_parameter, MeanPoint, MeanSeries, XAxis, YUnit};
use crate::sweep::error::SweepError;

/// A file-name-safe form of a metric or key.
fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The x axis for parameter `pi`: numeric when every value is a number (log10 when all are
/// positive and span at least a factor 100), else categorical.
fn axis(p: &ParamOut) -> XAxis {
    let ticks: Vec<String> = p.values.iter().map(display).collect();
    let nums: Option<Vec<f64>> = p.values.iter().map(serde_json::Value::as_f64).collect();
    match nums {
        Some(values) if !values.is_empty() => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log = min > 0.0 && max / min >= 100.0;
            XAxis::Numeric { values, ticks, log }
        }
        _ => XAxis::Categorical { ticks },
    }
}

/// `plots/<metric>-vs-<key>.{png,svg}` for every metric and swept key.
pub(super) fn write_plots(dir: &Path, r: &SweepResult) -> Result<(), SweepError> {
    for m in &r.metrics {
        for (pi, param) in r.parameters.iter().enumerate() {
            let x = axis(param);
            // One series per combination of the other parameters' values, in point order.
            let mut series: Vec<(Vec<&serde_json::Value>, MeanSeries)> = Vec::new();
            for p in &r.points {
                let others: Vec<&serde_json::Value> = p
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != pi)
                    .map(|(_, v)| v)
                    .collect();
                let Some(value) = p
                    .values
                    .get(pi)
                    .and_then(|v| param.values.iter().position(|x| x == v))
                else {
                    continue;
                };
                let stat = p.stats.as_ref().and_then(|s| s.get(m));
                let si = match series.iter().position(|(k, _)| *k == others) {
                    Some(i) => i,
                    None => {
                        let label = r
                            .parameters
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i != pi)
                            .zip(&others)
                            .map(|((_, q), v)| format!("{}={}", q.key, display(v)))
                            .collect::<Vec<_>>()
                            .join(", ");
                        series.push((
                            others.clone(),
                            MeanSeries {
                                label,
                                points: Vec::new(),
                            },
                        ));
                        series.len() - 1
                    }
                };
                if let Some(s) = stat {
                    series[si].1.points.push(MeanPoint {
                        value,
                        mean: s.mean,
                        interval: s.ci95_low.zip(s.ci95_high),
                    });
                }
            }
            let series: Vec<MeanSeries> = series.into_iter().map(|(_, s)| s).collect();
            let log = matches!(x, XAxis::Numeric { log: true, .. });
            let x_desc = if log {
                format!("{} (log scale)", param.key)
            } else {
                param.key.clone()
            };
            let y_desc = if r.seeds.len() > 1 {
                format!(
                    "{m}: mean of {} seeds, bars: 95% Student t interval",
                    r.seeds.len()
                )
            } else {
                format!("{m} (one seed)")
            };
            let unit = match unit_of(m) {
                MetricUnit::Bytes => YUnit::Bytes,
                MetricUnit::Ms => YUnit::Ms,
                _ => YUnit::Plain,
            };
            let base = dir.join(format!("{}-vs-{}", file_part(m), file_part(&param.key)));
            metric_vs_parameter(
                &base,
                &format!("{m} vs {}: {}", param.key, r.sweep),
                &x_desc,
                &y_desc,
                unit,
                &x,
                &series,
            )
            .map_err(|e| SweepError::new(&base, e.to_string()))?;
        }
    }
    Ok(())
}
