//! Distributions as histograms: bytes per participant (round bin widths in decimal byte
//! units) and repair traffic per gap (whole-number bins from 0); bins shared by all series,
//! whose bars stand side by side; each series' count, mean, median and maximum in the legend.
//!
//! May touch: the drawing area handed in by `render`. May not touch: files, other
//! charts' data.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{cartesian, mesh, no_data_note, series_color, start_canvas, Msg, AXIS_LIMIT};
use super::format::{fmt_sig, human_bytes, nearest_rank};
use super::legend::{no_data_label, series_legend, with_legend, Swatch};
use super::render::{render, Chart, PlotError};

/// One set of values of a histogram (e.g. bytes sent, one value per participant).
#[derive(Debug, Clone, Copy)]
pub struct HistSeries<'a> {
    /// Legend label.
    pub label: &'a str,
    /// The values, one per counted item, in any order. Non-finite values are skipped.
    pub values: &'a [f64],
}

/// Most bins a histogram draws.
const MAX_BINS: usize = 40;
/// Bins aimed at when the data spreads over a range: twice the square root of the largest
/// series' size, between 5 and 30.
fn target_bins(n: usize) -> f64 {
    (2.0 * (n as f64).sqrt()).clamp(5.0, 30.0)
}

/// Plot the distribution of bytes per participant as a histogram: x = bytes (decimal
/// units), y = number of participants in each bin. Bins have a round width (1, 2 or 5 ×
/// 10^k bytes): the range divided by twice the square root of the largest series' size
/// (clamped to 5..30), rounded up, so at most about 30 bins. They are shared by all series;
/// with several series (e.g. sent and received) their bars stand side by side in each bin.
/// The legend gives each series' count, mean, median and maximum. Writes `<out_base>.png`
/// and `<out_base>.svg`.
pub fn bandwidth_per_participant(
    out_base: &Path,
    title: &str,
    series: &[HistSeries],
) -> Result<(), PlotError> {
    let chart = HistChart::new(
        title,
        series,
        true,
        "bytes per participant (decimal units: 1 KB = 1000 B, 1 MB = 10^6 B, 1 GB = 10^9 B)",
        "participants",
    );
    render(out_base, &chart)
}

/// Plot how many repair requests and responses each gap took, as a histogram of whole
/// numbers: x = requests (or responses) sent group-wide for one missing message, y = number
/// of such messages. Bins are one unit wide from 0 (several units when the maximum exceeds
/// 40), shared by all series, bars side by side. The legend gives each series' count, mean,
/// median and maximum. Writes `<out_base>.png` and `<out_base>.svg`.
pub fn repair_per_gap(
    out_base: &Path,
    title: &str,
    series: &[HistSeries],
) -> Result<(), PlotError> {
    let chart = HistChart::new(
        title,
        series,
        false,
        "sent per gap, group-wide (a gap: a message some participant requested)",
        "gaps",
    );
    render(out_base, &chart)
}

struct HistChart {
    title: String,
    x_desc: String,
    y_desc: String,
    /// Legend texts, one per series.
    labels: Vec<String>,
    /// Bytes on the x axis (else whole numbers).
    bytes: bool,
    /// Left edge of the first bin, bin width, number of bins.
    start: f64,
    width: f64,
    bins: usize,
    /// Per series, per bin: how many values fall in it.
    counts: Vec<Vec<u64>>,
    has_data: bool,
}

/// Smallest of 1, 2, 5 × 10^k that is >= `x` (`x` > 0).
fn nice_ceil(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&v| v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

impl HistChart {
    fn new(title: &str, series: &[HistSeries], bytes: bool, x_desc: &str, y_desc: &str) -> Self {
        let values: Vec<Vec<f64>> = series
            .iter()
            .map(|s| {
                let mut v: Vec<f64> = s
                    .values
                    .iter()
                    .copied()
                    .filter(|x| x.is_finite())
                    .map(|x| x.clamp(-AXIS_LIMIT, AXIS_LIMIT))
                    .collect();
                v.sort_by(f64::total_cmp);
                v
            })
            .collect();
        let min = values
            .iter()
            .filter_map(|v| v.first())
            .copied()
            .reduce(f64::min);
        let max = values
            .iter()
            .filter_map(|v| v.last())
            .copied()
            .reduce(f64::max);
        let has_data = min.is_some();
        let (start, width, bins) = match (min, max) {
            (Some(lo), Some(hi)) if !bytes => {
                // Whole numbers: unit bins centred on integers, from 0 for counts.
                let lo = lo.floor().min(0.0);
                let span = hi.floor() - lo + 1.0;
                let width = (span / MAX_BINS as f64).ceil().max(1.0);
                (lo - 0.5, width, (span / width).ceil().max(1.0) as usize)
            }
            (Some(lo), Some(hi)) => {
                let width = if hi > lo {
                    let n = values.iter().map(Vec::len).max().unwrap_or(0);
                    nice_ceil((hi - lo) / target_bins(n))
                } else {
                    nice_ceil((lo.abs() * 0.05).max(1.0))
                };
                let start = (lo / width).floor() * width;
                let bins = (((hi - start) / width).floor() as usize + 1).clamp(1, MAX_BINS + 2);
                (start, width, bins)
            }
            _ => (0.0, 1.0, 1),
        };
        let counts = values
            .iter()
            .map(|v| {
                let mut c = vec![0u64; bins];
                for &x in v {
                    let b = ((x - start) / width).floor().max(0.0) as usize;
                    c[b.min(bins - 1)] += 1;
                }
                c
            })
            .collect();
        let fmt = |x: f64| {
            if bytes {
                human_bytes(x)
            } else {
                fmt_sig(x, 3)
            }
        };
        let labels = series
            .iter()
            .zip(&values)
            .map(|(s, v)| {
                if v.is_empty() {
                    no_data_label(s.label)
                } else {
                    let mean = v.iter().sum::<f64>() / v.len() as f64;
                    format!(
                        "{} (n={}, mean {}, median {}, max {})",
                        s.label,
                        v.len(),
                        fmt(mean),
                        fmt(nearest_rank(v, 0.5)),
                        fmt(v[v.len() - 1])
                    )
                }
            })
            .collect();
        HistChart {
            title: title.to_string(),
            x_desc: x_desc.to_string(),
            y_desc: y_desc.to_string(),
            labels,
            bytes,
            start,
            width,
            bins,
            counts,
            has_data,
        }
    }
}

impl Chart for HistChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = start_canvas(root, &self.title)?;
        let entries = series_legend(self.labels.iter().cloned(), Swatch::Box);
        let plot = with_legend(&area, &entries)?;
        let top = self
            .counts
            .iter()
            .flatten()
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        let y_max = (top as f64 * 1.1).ceil().max(top as f64 + 1.0);
        let x = self.start..self.start + self.width * self.bins as f64;
        let mut chart = cartesian(&plot, 80)
            .build_cartesian_2d(x.clone(), 0f64..y_max)
            .msg()?;
        let bytes = self.bytes;
        let whole = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        };
        mesh(&mut chart)
            .x_labels(12)
            .y_labels(((y_max as usize) + 1).min(11))
            .max_light_lines(1)
            .disable_x_mesh()
            .x_label_formatter(&|v| if bytes { human_bytes(*v) } else { whole(v) })
            .y_label_formatter(&whole)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .draw()
            .msg()?;
        let n = self.counts.len().max(1) as f64;
        for (i, counts) in self.counts.iter().enumerate() {
            let color = series_color(i);
            let bars = counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(b, &c)| {
                    let left = self.start + b as f64 * self.width;
                    let x0 = left + self.width * (0.08 + 0.84 * i as f64 / n);
                    let x1 = left + self.width * (0.08 + 0.84 * (i + 1) as f64 / n);
                    Rectangle::new([(x0, 0.0), (x1, c as f64)], color.filled())
                });
            chart.draw_series(bars).msg()?;
        }
        if !self.has_data {
            let c = chart.backend_coord(&((x.start + x.end) / 2.0, y_max / 2.0));
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
    fn histograms_normal_empty_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let spread: Vec<f64> = (0..200)
            .map(|i| 1e6 + (i * 7919 % 500) as f64 * 1e3)
            .collect();
        let counts: Vec<f64> = (0..300).map(|i| (i % 4) as f64).collect();
        let wide: Vec<f64> = (0..100).map(|i| (i * i) as f64).collect();
        type Case<'a> = (&'a str, bool, Vec<HistSeries<'a>>);
        let s = |label, values| HistSeries { label, values };
        let cases: Vec<Case> = vec![
            (
                "bytes",
                true,
                vec![s("sent", &spread), s("received", &counts)],
            ),
            (
                "counts",
                false,
                vec![s("requests", &counts), s("responses", &wide)],
            ),
            ("none", true, vec![]),
            ("empty", false, vec![s("x", &[])]),
            ("one", true, vec![s("x", &[5.0])]),
            ("zero", true, vec![s("x", &[0.0, 0.0])]),
            ("equal", false, vec![s("x", &[3.0; 9])]),
            (
                "nan",
                true,
                vec![s("x", &[f64::NAN, f64::INFINITY, -1.0, 1e300])],
            ),
            ("negative", false, vec![s("x", &[-5.0, 2.0])]),
        ];
        for (name, bytes, series) in cases {
            let base = dir.path().join(format!("hist_{name}"));
            if bytes {
                bandwidth_per_participant(&base, "Bytes", &series).unwrap();
            } else {
                repair_per_gap(&base, "Repair", &series).unwrap();
            }
            assert_written(&base);
        }
        // Binning: unit bins from 0 for counts; round widths for bytes; every value counted.
        let h = HistChart::new("t", &[s("x", &counts)], false, "", "");
        assert_eq!((h.start, h.width, h.bins), (-0.5, 1.0, 4));
        assert_eq!(h.counts[0], vec![75; 4]);
        let h = HistChart::new("t", &[s("x", &spread)], true, "", "");
        assert_eq!(h.counts[0].iter().sum::<u64>(), 200);
        assert!(h.bins <= 31 && h.bins >= 5, "{}", h.bins);
        assert_eq!(nice_ceil(17_000.0), 20_000.0);
        assert_eq!(nice_ceil(0.3), 0.5);
        assert_eq!(nice_ceil(1.0), 1.0);
    }
}
