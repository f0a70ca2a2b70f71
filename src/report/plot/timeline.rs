//! Delivery ratio over simulated time: one line per series (a non-finite value breaks the
//! line), fault windows shaded behind the lines with their labels above the plot, and the
//! workload end as a dashed "drain" line.
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
    MARKER_GREY, SHADES, SHADE_ALPHA,
};
use super::format::fmt_sig;
use super::legend::{no_data_label, series_legend, with_legend, LegendEntry, Swatch};
use super::render::{render, Chart, PlotError};

/// One line of a value-over-time chart.
#[derive(Debug, Clone, Copy)]
pub struct TimeSeries<'a> {
    /// Legend label.
    pub label: &'a str,
    /// `(simulated time in s, value in [0, 1])`, normally in time order (a sorted copy is
    /// drawn). A point with a non-finite value breaks the line in two (a visible gap);
    /// points with a non-finite time are dropped.
    pub points: &'a [(f64, f64)],
}

/// A labelled time window shaded behind the lines, e.g. a network partition.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Window start, simulated time in s.
    pub start_s: f64,
    /// Window end, simulated time in s.
    pub end_s: f64,
    /// Label drawn above the window, e.g. `"partition"`.
    pub label: &'a str,
}

/// Plot values in [0, 1] (e.g. delivery ratio) over simulated time, one line per series.
///
/// y axis is 0 to 1.05 ("delivery ratio"), x axis is simulated time in s starting at 0
/// (or at the earliest time, if negative). Each `shaded` window is drawn as a translucent
/// band behind the lines with its label above the plot; `workload_end_s`, if given, is
/// drawn as a dashed vertical line labelled "drain" (the drain phase follows it).
/// Values outside [0, 1.05] are clamped to the axis. Writes `<out_base>.png` and
/// `<out_base>.svg`.
pub fn delivery_over_time(
    out_base: &Path,
    title: &str,
    series: &[TimeSeries],
    shaded: &[Window],
    workload_end_s: Option<f64>,
) -> Result<(), PlotError> {
    let chart = TimeChart::new(title, series, shaded, workload_end_s);
    render(out_base, &chart)
}

const Y_TOP: f64 = 1.05;

struct TimeChart {
    title: String,
    labels: Vec<String>,
    /// Per series: contiguous runs of finite points, time-sorted, y clamped.
    segments: Vec<Vec<Vec<(f64, f64)>>>,
    windows: Vec<(f64, f64, String)>,
    drain: Option<f64>,
    x: Range<f64>,
    has_data: bool,
}

fn clamp_time(t: f64) -> f64 {
    t.clamp(-AXIS_LIMIT, AXIS_LIMIT)
}

impl TimeChart {
    fn new(
        title: &str,
        series: &[TimeSeries],
        shaded: &[Window],
        workload_end_s: Option<f64>,
    ) -> Self {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut extend = |t: f64| {
            min = min.min(t);
            max = max.max(t);
        };
        let mut segments = Vec::with_capacity(series.len());
        let mut has_data = false;
        for s in series {
            let mut pts: Vec<(f64, f64)> = s.points.to_vec();
            // Stable sort on time; NaN times sort last and then break the line.
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            let mut cur = Vec::new();
            for (t, v) in pts {
                if t.is_finite() && v.is_finite() {
                    let t = clamp_time(t);
                    extend(t);
                    cur.push((t, v.clamp(0.0, Y_TOP)));
                } else if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
            if !cur.is_empty() {
                runs.push(cur);
            }
            has_data |= !runs.is_empty();
            segments.push(runs);
        }
        let mut windows = Vec::new();
        for w in shaded {
            if !(w.start_s.is_finite() && w.end_s.is_finite()) {
                continue;
            }
            let (a, b) = (clamp_time(w.start_s), clamp_time(w.end_s));
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            extend(a);
            extend(b);
            windows.push((a, b, w.label.to_string()));
        }
        let drain = workload_end_s.filter(|t| t.is_finite()).map(clamp_time);
        if let Some(t) = drain {
            extend(t);
        }
        let x = if min <= max {
            let lo = min.min(0.0);
            let hi = if max > lo { max } else { lo + 1.0 };
            lo..hi
        } else {
            0.0..1.0
        };
        TimeChart {
            title: title.to_string(),
            labels: series.iter().map(|s| s.label.to_string()).collect(),
            segments,
            windows,
            drain,
            x,
            has_data,
        }
    }
}

impl Chart for TimeChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = start_canvas(root, &self.title)?;
        let texts = self.labels.iter().zip(&self.segments).map(|(l, runs)| {
            if runs.is_empty() {
                no_data_label(l)
            } else {
                l.clone()
            }
        });
        let mut entries = series_legend(texts, Swatch::Line);
        for (i, (a, b, label)) in self.windows.iter().enumerate() {
            entries.push(LegendEntry {
                text: format!("{label} ({}–{} s)", fmt_sig(*a, 4), fmt_sig(*b, 4)),
                color: SHADES[i % SHADES.len()],
                swatch: Swatch::Band,
            });
        }
        if let Some(t) = self.drain {
            entries.push(LegendEntry {
                text: format!("workload end at {} s (drain after)", fmt_sig(t, 4)),
                color: MARKER_GREY,
                swatch: Swatch::Dashed,
            });
        }
        let plot = with_legend(&area, &entries)?;

        // Annotations above the plot: one label per window, plus "drain". They get rows
        // so that neighbours never overlap; the top margin grows with the row count.
        let mut notes: Vec<(f64, String, RGBColor)> = self
            .windows
            .iter()
            .enumerate()
            .map(|(i, (a, _, l))| (*a, l.clone(), SHADES[i % SHADES.len()]))
            .collect();
        if let Some(t) = self.drain {
            notes.push((t, "drain".to_string(), MARKER_GREY));
        }
        let builder = |top: u32| {
            let mut b = cartesian(&plot, 80);
            b.margin_top(top);
            b
        };
        // x mapping does not depend on the top margin: measure with a throwaway chart.
        let probe = builder(18)
            .build_cartesian_2d(self.x.clone(), 0f64..Y_TOP)
            .msg()?;
        let note_style = anchored(LABEL_PX, HPos::Left, VPos::Bottom);
        let mut rows_end: Vec<i32> = Vec::new();
        let mut placed = Vec::with_capacity(notes.len());
        for (t, text, color) in &notes {
            let x0 = probe.backend_coord(&(*t, 0.0)).0 + 4;
            let (tw, _) = root.estimate_text_size(text, &note_style).msg()?;
            let x1 = x0 + tw as i32 + 10;
            let row = match rows_end.iter().position(|&end| end <= x0) {
                Some(r) => r,
                None => {
                    rows_end.push(i32::MIN);
                    rows_end.len() - 1
                }
            };
            rows_end[row] = x1;
            placed.push((x0, row, text.clone(), *color));
        }
        drop(probe);
        let row_h = 22;
        let top = 18 + row_h * rows_end.len() as u32;
        let mut chart = builder(top)
            .build_cartesian_2d(self.x.clone(), 0f64..Y_TOP)
            .msg()?;

        // Shaded windows first, behind the grid and lines.
        for (i, (a, b, _)) in self.windows.iter().enumerate() {
            let color = SHADES[i % SHADES.len()];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(*a, 0.0), (*b, Y_TOP)],
                    color.mix(SHADE_ALPHA).filled(),
                )))
                .msg()?;
            // A window of zero width still shows as a line.
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*a, 0.0), (*a, Y_TOP)],
                    color.mix(0.5).stroke_width(1),
                )))
                .msg()?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*b, 0.0), (*b, Y_TOP)],
                    color.mix(0.5).stroke_width(1),
                )))
                .msg()?;
        }

        mesh(&mut chart)
            .x_labels(12)
            .y_labels(12)
            .max_light_lines(1)
            .x_label_formatter(&|v| fmt_sig(*v, 4))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("simulated time (s)")
            .y_desc("delivery ratio")
            .draw()
            .msg()?;

        if let Some(t) = self.drain {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(t, 0.0), (t, Y_TOP)],
                    8,
                    6,
                    MARKER_GREY.stroke_width(2),
                ))
                .msg()?;
        }

        let plot_top = chart.backend_coord(&(self.x.start, Y_TOP)).1;
        for (x0, row, text, color) in placed {
            let y = plot_top - 4 - row as i32 * row_h as i32;
            let darker = RGBColor(color.0 / 2, color.1 / 2, color.2 / 2);
            let style = note_style.clone().color(&darker);
            root.draw(&Text::new(text, (x0, y), style)).msg()?;
        }

        for (i, runs) in self.segments.iter().enumerate() {
            let color = series_color(i);
            for run in runs {
                if run.len() == 1 {
                    chart
                        .draw_series(std::iter::once(Circle::new(run[0], 4, color.filled())))
                        .msg()?;
                } else {
                    chart
                        .draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(2)))
                        .msg()?;
                }
            }
        }

        if !self.has_data {
            let mid = (self.x.start + self.x.end) / 2.0;
            let c = chart.backend_coord(&(mid, 0.5));
            no_data_note(root, c, "no data")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render::assert_written;
    use super::*;

    #[test]
    fn time_normal_empty_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let normal: Vec<(f64, f64)> = (0..=120)
            .map(|t| {
                let t = t as f64;
                (t, if (40.0..60.0).contains(&t) { 0.3 } else { 1.0 })
            })
            .collect();
        let part = [Window {
            start_s: 40.0,
            end_s: 60.0,
            label: "partition",
        }];
        type Case<'a> = (&'a str, Vec<TimeSeries<'a>>, Vec<Window<'a>>, Option<f64>);
        let cases: Vec<Case> = vec![
            (
                "normal",
                vec![TimeSeries {
                    label: "sds",
                    points: &normal,
                }],
                part.to_vec(),
                Some(100.0),
            ),
            ("empty", vec![], vec![], None),
            (
                "empty_series",
                vec![TimeSeries {
                    label: "x",
                    points: &[],
                }],
                vec![],
                None,
            ),
            (
                "one",
                vec![TimeSeries {
                    label: "x",
                    points: &[(5.0, 0.5)],
                }],
                vec![],
                None,
            ),
            (
                "zero_time",
                vec![TimeSeries {
                    label: "x",
                    points: &[(0.0, 0.5), (0.0, 0.7)],
                }],
                vec![],
                Some(0.0),
            ),
            (
                "nan",
                vec![TimeSeries {
                    label: "x",
                    points: &[
                        (f64::NAN, 0.5),
                        (1.0, f64::NAN),
                        (2.0, f64::INFINITY),
                        (3.0, 2.0),
                        (4.0, -1.0),
                    ],
                }],
                vec![
                    Window {
                        start_s: f64::NAN,
                        end_s: 3.0,
                        label: "bad",
                    },
                    Window {
                        start_s: 9.0,
                        end_s: 2.0,
                        label: "reversed",
                    },
                    Window {
                        start_s: 5.0,
                        end_s: 5.0,
                        label: "empty",
                    },
                ],
                Some(f64::INFINITY),
            ),
            (
                "huge",
                vec![TimeSeries {
                    label: "x",
                    points: &[(-f64::MAX, 0.5), (f64::MAX, 0.5)],
                }],
                vec![],
                None,
            ),
        ];
        for (name, series, windows, end) in cases {
            let base = dir.path().join(format!("time_{name}"));
            delivery_over_time(&base, "Delivery", &series, &windows, end).unwrap();
            assert_written(&base);
        }
    }
}
