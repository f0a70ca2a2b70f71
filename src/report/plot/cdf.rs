//! The latency CDF of a run: one line per series on a log10 latency axis, the first
//! series' p50 and p99 marked, each series' count and percentiles in the legend.
//!
//! May touch: the drawing area handed in by `render`. May not touch: files, other
//! charts' data.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{
    anchored, cartesian, mesh, no_data_note, series_color, start_canvas, Msg, AXIS_LIMIT, LABEL_PX,
    MARKER_GREY,
};
use super::format::{fmt_sig, nearest_rank};
use super::legend::{no_data_label, series_legend, with_legend, LegendEntry, Swatch};
use super::render::{render, Chart, PlotError};

/// One line of a latency CDF.
#[derive(Debug, Clone, Copy)]
pub struct CdfSeries<'a> {
    /// Legend label, e.g. the scenario or protocol variant.
    pub label: &'a str,
    /// One-way publish-to-delivery latencies in milliseconds, one per delivered message,
    /// in any order. Non-finite values are skipped.
    pub latencies_ms: &'a [f64],
}

/// Cap on CDF vertices per series (keeps SVGs small for millions of deliveries; the
/// resulting error in y is at most 1/`CDF_MAX_STEPS`).
const CDF_MAX_STEPS: usize = 2000;

/// Plot a latency CDF: one line per series, x = one-way publish-to-delivery latency in
/// ms on a log10 axis, y = fraction of that series' delivered messages with latency
/// ≤ x, in [0, 1].
///
/// Latencies below 1 ms are drawn at 1 ms (the axis starts at 1 ms); the percentiles in
/// the legend are the unclamped values. The legend gives each series' sample count, p50
/// and p99 (nearest-rank); the first series' p50 and p99 are also marked with light
/// dashed vertical lines. Writes `<out_base>.png` and `<out_base>.svg`.
pub fn latency_cdf(out_base: &Path, title: &str, series: &[CdfSeries]) -> Result<(), PlotError> {
    let chart = CdfChart::new(title, series);
    render(out_base, &chart)
}

struct CdfLine {
    label: String,
    /// Step-plot vertices (x already clamped to the axis).
    points: Vec<(f64, f64)>,
    p50: Option<f64>,
    p99: Option<f64>,
}

struct CdfChart {
    title: String,
    lines: Vec<CdfLine>,
    x: Range<f64>,
    has_data: bool,
}

fn clamp_latency(ms: f64) -> f64 {
    ms.clamp(1.0, AXIS_LIMIT)
}

impl CdfChart {
    fn new(title: &str, series: &[CdfSeries]) -> Self {
        let mut lines = Vec::with_capacity(series.len());
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut sorted_all = Vec::with_capacity(series.len());
        for s in series {
            let mut v: Vec<f64> = s
                .latencies_ms
                .iter()
                .copied()
                .filter(|x| x.is_finite())
                .collect();
            v.sort_by(f64::total_cmp);
            if let (Some(&lo), Some(&hi)) = (v.first(), v.last()) {
                min = min.min(clamp_latency(lo));
                max = max.max(clamp_latency(hi));
            }
            sorted_all.push(v);
        }
        let has_data = min <= max;
        let x = if has_data {
            // Whole decades around the data, at least one decade wide.
            let lo = 10f64.powf(min.log10().floor());
            let mut hi = 10f64.powf(max.log10().ceil());
            if hi <= lo {
                hi = lo * 10.0;
            }
            lo..hi
        } else {
            1.0..1000.0
        };
        for (s, v) in series.iter().zip(sorted_all) {
            let n = v.len();
            let label = if n == 0 {
                no_data_label(s.label)
            } else {
                format!(
                    "{} (n={n}, p50 {} ms, p99 {} ms)",
                    s.label,
                    fmt_sig(nearest_rank(&v, 0.50), 3),
                    fmt_sig(nearest_rank(&v, 0.99), 3)
                )
            };
            let mut points = Vec::new();
            if n > 0 {
                let steps = n.min(CDF_MAX_STEPS);
                let mut prev_y = 0.0;
                for j in 1..=steps {
                    // Rank (1-based) of the j-th of `steps` evenly spaced samples.
                    let rank = (j * n).div_ceil(steps);
                    let xv = clamp_latency(v[rank - 1]);
                    let y = rank as f64 / n as f64;
                    points.push((xv, prev_y));
                    points.push((xv, y));
                    prev_y = y;
                }
                points.push((x.end, 1.0));
            }
            let (p50, p99) = if n > 0 {
                (
                    Some(clamp_latency(nearest_rank(&v, 0.50))),
                    Some(clamp_latency(nearest_rank(&v, 0.99))),
                )
            } else {
                (None, None)
            };
            lines.push(CdfLine {
                label,
                points,
                p50,
                p99,
            });
        }
        CdfChart {
            title: title.to_string(),
            lines,
            x,
            has_data,
        }
    }
}

impl Chart for CdfChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = start_canvas(root, &self.title)?;
        let mut entries = series_legend(self.lines.iter().map(|l| l.label.clone()), Swatch::Line);
        let first = self.lines.first();
        if first.is_some_and(|l| l.p50.is_some()) && self.lines.len() > 1 {
            entries.push(LegendEntry {
                text: format!("p50 / p99 of {}", self.lines[0].label_name()),
                color: MARKER_GREY,
                swatch: Swatch::Dashed,
            });
        }
        let plot = with_legend(&area, &entries)?;

        let mut chart = cartesian(&plot, 80)
            .build_cartesian_2d(self.x.clone().log_scale(), 0f64..1.0)
            .msg()?;
        mesh(&mut chart)
            .x_labels(12)
            .y_labels(11)
            .y_max_light_lines(1)
            .x_label_formatter(&|v| fmt_sig(*v, 3))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("one-way latency, publish to delivery (ms, log scale)")
            .y_desc("fraction of delivered messages")
            .draw()
            .msg()?;

        // Percentile markers of the first series, behind the lines.
        if let Some(l) = first {
            let marks = [("p50", l.p50, 0.04), ("p99", l.p99, 0.11)];
            for (name, p, y_text) in marks {
                let Some(p) = p else { continue };
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(p, 0.0), (p, 1.0)],
                        6,
                        5,
                        MARKER_GREY.mix(0.6).stroke_width(1),
                    ))
                    .msg()?;
                let (px, py) = chart.backend_coord(&(p, y_text));
                let style = anchored(LABEL_PX - 2, HPos::Left, VPos::Center).color(&MARKER_GREY);
                root.draw(&Text::new(name.to_string(), (px + 5, py), style))
                    .msg()?;
            }
        }

        for (i, l) in self.lines.iter().enumerate() {
            if l.points.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(
                    l.points.iter().copied(),
                    series_color(i).stroke_width(2),
                ))
                .msg()?;
        }

        if !self.has_data {
            let mid = (self.x.start * self.x.end).sqrt();
            let c = chart.backend_coord(&(mid, 0.5));
            no_data_note(root, c, "no data: no deliveries recorded")?;
        }
        Ok(())
    }
}

impl CdfLine {
    /// The series label without the statistics suffix.
    fn label_name(&self) -> &str {
        self.label
            .rsplit_once(" (")
            .map_or(self.label.as_str(), |(name, _)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::render::assert_written;
    use super::super::tests::lat;
    use super::*;

    #[test]
    fn cdf_normal_empty_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let a = lat(5000);
        let b: Vec<f64> = a.iter().map(|x| x * 2.0).collect();
        let cases: Vec<(&str, Vec<CdfSeries>)> = vec![
            (
                "normal",
                vec![
                    CdfSeries {
                        label: "sds",
                        latencies_ms: &a,
                    },
                    CdfSeries {
                        label: "baseline",
                        latencies_ms: &b,
                    },
                ],
            ),
            ("no_series", vec![]),
            (
                "empty",
                vec![CdfSeries {
                    label: "x",
                    latencies_ms: &[],
                }],
            ),
            (
                "one",
                vec![CdfSeries {
                    label: "x",
                    latencies_ms: &[42.0],
                }],
            ),
            (
                "equal",
                vec![CdfSeries {
                    label: "x",
                    latencies_ms: &[7.0; 10],
                }],
            ),
            (
                "sub_ms",
                vec![CdfSeries {
                    label: "x",
                    latencies_ms: &[0.0, 0.5, -3.0],
                }],
            ),
            (
                "nan",
                vec![CdfSeries {
                    label: "x",
                    latencies_ms: &[f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
                }],
            ),
            (
                "mixed",
                vec![CdfSeries {
                    label: "x",
                    latencies_ms: &[f64::NAN, 3.0, f64::MAX, 1e300, 12.0],
                }],
            ),
        ];
        for (name, series) in cases {
            let base = dir.path().join(format!("cdf_{name}"));
            latency_cdf(&base, "Latency CDF", &series).unwrap();
            assert_written(&base);
        }
    }
}
