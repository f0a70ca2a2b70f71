//! Sweep chart: one metric against one swept parameter, mean per point with its 95%
//! interval as a bar, one line per combination of the other parameters' values.
//!
//! Same style and guarantees as the run charts of the parent module (PNG and SVG, embedded
//! font, Okabe-Ito colours, legend below the plot, no panic on any input, deterministic SVG),
//! drawn with the same scaffolding (`canvas`, `legend`, `render`).
//!
//! The x axis carries one tick per swept value: its position is the value itself (linear),
//! its log10 (when [`XAxis::Numeric::log`]), or its index (categorical values such as
//! `protocol`, whose points are not joined by lines). Series are drawn a few pixels apart so that their interval bars do not hide
//! each other; tick labels that would overlap their left neighbour are skipped. The y axis is
//! logarithmic when every mean is positive and they span at least a factor 100 (a 169 ms line
//! next to a 250 s one stays readable), with ticks at 1, 2 and 5 times powers of ten; y labels
//! are in the metric's unit ([`YUnit`]).
//!
//! May touch: the drawing area handed in by `render`. May not touch: files, the sweep's
//! runs or statistics (the caller hands in means and intervals).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{
    anchored, cartesian, mesh, no_data_note, series_color, start_canvas, Msg, GRID_LIGHT, LABEL_PX,
};
use super::format::{fmt_sig, human_bytes};
use super::legend::{no_data_label, series_legend, with_legend, Swatch};
use super::render::{render, Chart, PlotError};
use crate::report::units::human_ms;

/// How the swept values are laid out on the x axis.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    /// Numeric values: `ticks[i]` is drawn at `values[i]` (log10 of it when `log`; every
    /// value must then be > 0).
    Numeric {
        values: Vec<f64>,
        ticks: Vec<String>,
        log: bool,
    },
    /// Non-numeric values, drawn evenly spaced in the given order.
    Categorical { ticks: Vec<String> },
}

/// The unit of the metric on the y axis, for its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YUnit {
    /// A plain number (counts, ratios): significant digits.
    Plain,
    /// Bytes: decimal units (`1.5 GB`).
    Bytes,
    /// Milliseconds: `169 ms`, `4.21 s`, `250.2 s`.
    Ms,
}

/// Means spanning at least this factor (all positive) get a logarithmic y axis.
pub const LOG_Y_SPAN: f64 = 100.0;

/// One point of a series: the index of the swept value (into the axis' ticks), the mean,
/// and the interval around it (absent with a single seed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanPoint {
    pub value: usize,
    pub mean: f64,
    pub interval: Option<(f64, f64)>,
}

/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanSeries {
    /// Legend label: the other parameters' values (`protocol=sds`), or empty for one line.
    pub label: String,
    pub points: Vec<MeanPoint>,
}

/// Plots `series` of one metric against one parameter; writes `<out_base>.png` and
/// `<out_base>.svg`. `x_desc` and `y_desc` label the axes (`y_desc` gains "(log scale)" when
/// the y axis is logarithmic); `unit` formats the y labels. Non-finite means are skipped;
/// non-finite interval ends drop the bar; on a log axis an interval end at or below zero is
/// drawn to the bottom of the axis.
pub fn metric_vs_parameter(
    out_base: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    unit: YUnit,
    x: &XAxis,
    series: &[MeanSeries],
) -> Result<(), PlotError> {
    let chart = SweepChart::new(title, x_desc, y_desc, unit, x, series);
    render(out_base, &chart)
}

/// A drawn point: x position, mean, interval (data coordinates).
type Placed = (f64, f64, Option<(f64, f64)>);
/// The same in pixels: x, y of the mean, y of the interval ends.
type PlacedPx = (i32, i32, Option<(i32, i32)>);

struct SweepChart {
    title: String,
    x_desc: String,
    y_desc: String,
    unit: YUnit,
    /// y positions are log10 of the values.
    log_y: bool,
    /// Position and label of each tick.
    ticks: Vec<(f64, String)>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    /// Per series: label and (position, mean, interval) points in x order.
    lines: Vec<(String, Vec<Placed>)>,
    has_data: bool,
    /// Categorical x: points are not joined (there is nothing between two categories).
    categorical: bool,
}

impl SweepChart {
    fn new(
        title: &str,
        x_desc: &str,
        y_desc: &str,
        unit: YUnit,
        x: &XAxis,
        series: &[MeanSeries],
    ) -> SweepChart {
        let ticks: Vec<(f64, String)> = match x {
            XAxis::Numeric { values, ticks, log } => values
                .iter()
                .zip(ticks)
                .map(|(v, t)| (if *log { v.log10() } else { *v }, t.clone()))
                .collect(),
            XAxis::Categorical { ticks } => ticks
                .iter()
                .enumerate()
                .map(|(i, t)| (i as f64, t.clone()))
                .collect(),
        };
        let finite = |v: f64| v.is_finite() && v.abs() < 1e300;
        let mut lines = Vec::with_capacity(series.len());
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for s in series {
            let mut pts = Vec::new();
            for p in &s.points {
                let Some(&(pos, _)) = ticks.get(p.value) else {
                    continue;
                };
                if !finite(pos) || !finite(p.mean) {
                    continue;
                }
                let interval = p.interval.filter(|(a, b)| finite(*a) && finite(*b));
                lo = lo.min(p.mean);
                hi = hi.max(p.mean);
                if let Some((a, b)) = interval {
                    lo = lo.min(a);
                    hi = hi.max(b);
                }
                pts.push((pos, p.mean, interval));
            }
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            lines.push((s.label.clone(), pts));
        }
        // A log axis when every mean is positive and they span LOG_Y_SPAN or more.
        let means = lines.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
        let (min_mean, max_mean) = means.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), m| {
            (a.min(m), b.max(m))
        });
        let log_y = min_mean > 0.0 && max_mean / min_mean >= LOG_Y_SPAN;
        if log_y {
            // Interval ends at or below zero go to a decade under the smallest mean.
            let floor = min_mean / 10.0;
            let l = |v: f64| v.max(floor).log10();
            for (_, pts) in &mut lines {
                for p in pts.iter_mut() {
                    *p = (p.0, l(p.1), p.2.map(|(a, b)| (l(a), l(b))));
                }
            }
            lo = f64::INFINITY;
            hi = f64::NEG_INFINITY;
            for (_, pts) in &lines {
                for &(_, m, iv) in pts {
                    let (a, b) = iv.unwrap_or((m, m));
                    lo = lo.min(m).min(a);
                    hi = hi.max(m).max(b);
                }
            }
        }
        let has_data = lo <= hi;
        let y = if log_y {
            // Whole decades, so that a labelled power of ten lies below and above the data.
            // A point on a power of ten keeps a small margin from the frame.
            lo.floor().min(lo - 0.05)..hi.ceil().max(hi + 0.05)
        } else if !has_data {
            0.0..1.0
        } else if hi > lo {
            let pad = (hi - lo) * 0.08;
            let bottom = if lo >= 0.0 && lo - pad < 0.0 {
                0.0
            } else {
                lo - pad
            };
            bottom..hi + pad
        } else {
            let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            lo - pad..hi + pad
        };
        let positions: Vec<f64> = ticks.iter().map(|t| t.0).filter(|v| finite(*v)).collect();
        let (xmin, xmax) = positions
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let categorical = matches!(x, XAxis::Categorical { .. });
        let x = if xmin > xmax {
            0.0..1.0
        } else if matches!(x, XAxis::Categorical { .. }) || xmax == xmin {
            xmin - 0.5..xmax + 0.5
        } else {
            let pad = (xmax - xmin) * 0.06;
            xmin - pad..xmax + pad
        };
        SweepChart {
            title: title.to_string(),
            x_desc: x_desc.to_string(),
            y_desc: if log_y {
                format!("{y_desc} (log scale)")
            } else {
                y_desc.to_string()
            },
            unit,
            log_y,
            ticks,
            x,
            y,
            lines,
            has_data,
            categorical,
        }
    }

    /// The label of y value `v` (a value, not its log10).
    fn y_label(&self, v: f64) -> String {
        match self.unit {
            YUnit::Bytes => human_bytes(v),
            // Axis labels drop trailing zeros: `1 s`, `100 s`, `2.5 s`.
            YUnit::Ms => {
                let h = human_ms(v);
                match h.split_once(' ') {
                    Some((num, unit)) if num.contains('.') => {
                        format!("{} {unit}", num.trim_end_matches('0').trim_end_matches('.'))
                    }
                    _ => h,
                }
            }
            YUnit::Plain => fmt_sig(v, 4),
        }
    }

    /// Tick values of a log axis (log10 positions): 1, 2 and 5 times each power of ten in
    /// range over at most three and a half decades, powers of ten only beyond.
    fn log_ticks(&self) -> Vec<f64> {
        let (lo, hi) = (self.y.start, self.y.end);
        if !(lo.is_finite() && hi.is_finite()) || hi - lo > 300.0 {
            return Vec::new();
        }
        let steps: &[f64] = if hi - lo <= 3.5 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let mut out = Vec::new();
        for k in lo.floor() as i32..=hi.ceil() as i32 {
            for m in steps {
                let v = m.log10() + f64::from(k);
                if v >= lo && v <= hi {
                    out.push(v);
                }
            }
        }
        out
    }
}

/// Pixels between neighbouring series at one x value.
const DODGE_PX: i32 = 7;
const CAP_PX: i32 = 5;

impl Chart for SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = start_canvas(root, &self.title)?;
        let entries = if self.lines.len() > 1 {
            let texts = self.lines.iter().map(|(label, pts)| {
                if pts.is_empty() {
                    no_data_label(label)
                } else {
                    label.clone()
                }
            });
            series_legend(texts, Swatch::Line)
        } else {
            Vec::new()
        };
        let plot = with_legend(&area, &entries)?;
        let mut chart = cartesian(&plot, 100)
            .build_cartesian_2d(self.x.clone(), self.y.clone())
            .msg()?;
        let y_fmt = |v: &f64| self.y_label(*v);
        let mut m = mesh(&mut chart);
        m.disable_x_mesh()
            .x_labels(0)
            .y_max_light_lines(1)
            .y_label_formatter(&y_fmt)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str());
        if self.log_y {
            m.disable_y_mesh().y_labels(0);
        } else {
            m.y_labels(10);
        }
        m.draw().msg()?;
        if self.log_y {
            // Grid lines and labels at 1, 2, 5 x 10^k, drawn here: the mesh would label
            // the log10 positions.
            let style = anchored(LABEL_PX, HPos::Right, VPos::Center);
            for v in self.log_ticks() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(self.x.start, v), (self.x.end, v)],
                        GRID_LIGHT.stroke_width(1),
                    )))
                    .msg()?;
                let (px, py) = chart.backend_coord(&(self.x.start, v));
                root.draw(&PathElement::new(
                    vec![(px - 5, py), (px, py)],
                    BLACK.stroke_width(1),
                ))
                .msg()?;
                root.draw(&Text::new(
                    self.y_label(10f64.powf(v)),
                    (px - 8, py),
                    style.clone(),
                ))
                .msg()?;
            }
        }

        // One tick per swept value: a light vertical line and a label, skipping labels that
        // would overlap the previous one.
        let tick_style = anchored(LABEL_PX, HPos::Center, VPos::Top);
        let mut last_right = i32::MIN;
        let mut ticks: Vec<&(f64, String)> =
            self.ticks.iter().filter(|t| t.0.is_finite()).collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (pos, label) in ticks {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*pos, self.y.start), (*pos, self.y.end)],
                    GRID_LIGHT.stroke_width(1),
                )))
                .msg()?;
            let (px, py) = chart.backend_coord(&(*pos, self.y.start));
            let (w, _) = root.estimate_text_size(label, &tick_style).msg()?;
            let left = px - w as i32 / 2;
            if left <= last_right + 6 {
                continue;
            }
            last_right = px + w as i32 / 2;
            root.draw(&PathElement::new(
                vec![(px, py), (px, py + 5)],
                BLACK.stroke_width(1),
            ))
            .msg()?;
            root.draw(&Text::new(label.clone(), (px, py + 8), tick_style.clone()))
                .msg()?;
        }

        let n = self.lines.len() as i32;
        for (i, (_, pts)) in self.lines.iter().enumerate() {
            let color = series_color(i);
            let dx = (2 * i as i32 - (n - 1)) * DODGE_PX / 2;
            let px: Vec<PlacedPx> = pts
                .iter()
                .map(|&(x, m, iv)| {
                    let (a, b) = chart.backend_coord(&(x, m));
                    let bar = iv.map(|(lo, hi)| {
                        (
                            chart.backend_coord(&(x, lo)).1,
                            chart.backend_coord(&(x, hi)).1,
                        )
                    });
                    (a + dx, b, bar)
                })
                .collect();
            if px.len() > 1 && !self.categorical {
                root.draw(&PathElement::new(
                    px.iter().map(|&(x, y, _)| (x, y)).collect::<Vec<_>>(),
                    color.stroke_width(2),
                ))
                .msg()?;
            }
            for &(x, y, bar) in &px {
                if let Some((lo, hi)) = bar {
                    let style = color.stroke_width(2);
                    root.draw(&PathElement::new(vec![(x, lo), (x, hi)], style))
                        .msg()?;
                    for cap in [lo, hi] {
                        root.draw(&PathElement::new(
                            vec![(x - CAP_PX, cap), (x + CAP_PX, cap)],
                            style,
                        ))
                        .msg()?;
                    }
                }
                root.draw(&Circle::new((x, y), 4, color.filled())).msg()?;
            }
        }

        if !self.has_data {
            let mid_x = (self.x.start + self.x.end) / 2.0;
            let mid_y = (self.y.start + self.y.end) / 2.0;
            let c = chart.backend_coord(&(mid_x, mid_y));
            no_data_note(root, c, "no data")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render::{assert_written, with_suffix};
    use super::*;

    #[test]
    fn normal_empty_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let pts = |k: usize, off: f64| -> Vec<MeanPoint> {
            (0..k)
                .map(|i| MeanPoint {
                    value: i,
                    mean: off + i as f64,
                    interval: Some((off + i as f64 - 0.3, off + i as f64 + 0.4)),
                })
                .collect()
        };
        let numeric = XAxis::Numeric {
            values: vec![0.0, 0.01, 0.05],
            ticks: vec!["0".into(), "0.01".into(), "0.05".into()],
            log: false,
        };
        let log = XAxis::Numeric {
            values: vec![100.0, 1000.0, 10000.0],
            ticks: vec!["100".into(), "1000".into(), "10000".into()],
            log: true,
        };
        let cat = XAxis::Categorical {
            ticks: vec!["sds".into(), "none".into()],
        };
        let two = vec![
            MeanSeries {
                label: "protocol=sds".into(),
                points: pts(3, 0.0),
            },
            MeanSeries {
                label: "protocol=none".into(),
                points: pts(3, 1.0),
            },
        ];
        let weird = vec![MeanSeries {
            label: "x".into(),
            points: vec![
                MeanPoint {
                    value: 0,
                    mean: f64::NAN,
                    interval: None,
                },
                MeanPoint {
                    value: 7,
                    mean: 1.0,
                    interval: None,
                },
                MeanPoint {
                    value: 1,
                    mean: 2.0,
                    interval: Some((f64::INFINITY, 3.0)),
                },
            ],
        }];
        let flat = vec![MeanSeries {
            label: String::new(),
            points: vec![MeanPoint {
                value: 0,
                mean: 0.0,
                interval: None,
            }],
        }];
        let none = XAxis::Categorical { ticks: vec![] };
        let cases: Vec<(&str, &XAxis, Vec<MeanSeries>)> = vec![
            ("numeric", &numeric, two.clone()),
            ("log", &log, two.clone()),
            ("cat", &cat, two.clone()),
            ("empty", &numeric, vec![]),
            ("weird", &cat, weird),
            ("flat", &numeric, flat),
            ("no_ticks", &none, two),
        ];
        for (name, x, series) in cases {
            let base = dir.path().join(name);
            let unit = if name == "log" {
                YUnit::Bytes
            } else {
                YUnit::Plain
            };
            metric_vs_parameter(&base, "t", "x", "y", unit, x, &series).unwrap();
            assert_written(&base);
        }
    }

    #[test]
    fn log_y_when_means_span_decades() {
        let x = XAxis::Categorical {
            ticks: vec!["a".into(), "b".into()],
        };
        let chart = |a: f64, b: f64| {
            let s = vec![MeanSeries {
                label: "s".into(),
                points: vec![
                    MeanPoint {
                        value: 0,
                        mean: a,
                        interval: Some((a - 200.0, a + 1.0)),
                    },
                    MeanPoint {
                        value: 1,
                        mean: b,
                        interval: None,
                    },
                ],
            }];
            SweepChart::new("t", "x", "latency", YUnit::Ms, &x, &s)
        };
        // The loss sweep's p99: 169 ms without SDS, 250 s with it at 20% loss.
        let c = chart(169.0, 250_000.0);
        assert!(c.log_y);
        assert_eq!(c.y_desc, "latency (log scale)");
        let labels: Vec<String> = c
            .log_ticks()
            .iter()
            .map(|v| c.y_label(10f64.powf(*v)))
            .collect();
        assert_eq!(
            labels,
            ["10 ms", "100 ms", "1 s", "10 s", "100 s", "16.7 min"]
        );
        // The interval's low end (below zero) is drawn a decade under the smallest mean.
        let (_, pts) = &c.lines[0];
        assert_eq!(pts[0].2.unwrap().0, 16.9f64.log10());
        let c = chart(1000.0, 100_000.0);
        assert_eq!((c.y.start, c.y.end), (2.0, 5.05));
        assert_eq!(
            c.log_ticks().len(),
            10,
            "1, 2, 5 per decade over three decades"
        );
        assert!(c.categorical);
        assert!(!chart(0.5, 1.0).log_y);
        assert!(!chart(0.0, 1000.0).log_y);
        assert!(!chart(-1.0, 1000.0).log_y);
        assert!(!chart(10.0, 999.0).log_y);
        assert!(chart(10.0, 1000.0).log_y);
        let c = chart(0.0, 1.0);
        assert_eq!(c.y_label(2500.0), "2.5 s");
    }

    #[test]
    fn svg_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let x = XAxis::Categorical {
            ticks: vec!["a".into(), "b".into()],
        };
        let s = vec![MeanSeries {
            label: "s".into(),
            points: vec![
                MeanPoint {
                    value: 0,
                    mean: 1.0,
                    interval: Some((0.5, 1.5)),
                },
                MeanPoint {
                    value: 1,
                    mean: 2.0,
                    interval: None,
                },
            ],
        }];
        let mut out = Vec::new();
        for i in 0..2 {
            let base = dir.path().join(format!("r{i}"));
            metric_vs_parameter(&base, "t", "x", "y", YUnit::Plain, &x, &s).unwrap();
            out.push(std::fs::read(with_suffix(&base, "svg")).unwrap());
        }
        assert_eq!(out[0], out[1]);
    }
}
