//! Charts for the run report: latency CDF, delivery ratio over time, bytes by kind, and the
//! distributions of bytes per participant and of repair traffic per gap.
//!
//! Every function writes the same chart twice, as `<out_base>.png` (raster, for a quick
//! look) and `<out_base>.svg` (vector, for papers), through one drawing code path that is
//! generic over the plotters backend. Text is set in DejaVu Sans, which is embedded in
//! the binary (no system fonts or fontconfig needed).
//!
//! Robustness: no input makes these functions panic. Non-finite values (NaN, ±inf) are
//! skipped, empty or degenerate inputs (one point, all-equal values, zero totals) still
//! produce a readable chart, with a "no data" note where there is nothing to draw.
//!
//! Determinism: the same inputs give byte-identical SVG output (no timestamps, no
//! hash-map iteration; series keep the order they are given in).

pub mod sweep;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

/// Error from writing a chart: which file, and why.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The embedded DejaVu Sans font could not be registered with plotters.
    #[error("cannot register the embedded DejaVu Sans font for plotting")]
    Font,
    /// The output file's parent directory could not be created.
    #[error("cannot create the directory for plot {}: {cause}", path.display())]
    CreateDir {
        /// The plot file that was to be written.
        path: PathBuf,
        /// The underlying I/O error.
        cause: std::io::Error,
    },
    /// Drawing or writing the chart failed.
    #[error("cannot draw plot {}: {message}", path.display())]
    Draw {
        /// The plot file that was being written.
        path: PathBuf,
        /// What plotters (or the encoder) reported.
        message: String,
    },
}

/// One line of a latency CDF.
#[derive(Debug, Clone, Copy)]
pub struct CdfSeries<'a> {
    /// Legend label, e.g. the scenario or protocol variant.
    pub label: &'a str,
    /// One-way publish-to-delivery latencies in milliseconds, one per delivered message,
    /// in any order. Non-finite values are skipped.
    pub latencies_ms: &'a [f64],
}

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

/// Chart size in pixels for the PNG; the SVG uses the same user-space size.
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 700;

/// Font family used for all text. Registered (as is, and as plain "sans-serif") with
/// the embedded DejaVu Sans; the SVG output names it as a CSS font list, so viewers use
/// DejaVu Sans when installed (matching the layout) and their sans-serif otherwise.
const FONT: &str = "DejaVu Sans, sans-serif";
const TITLE_PX: u32 = 26;
const LABEL_PX: u32 = 16;
const DESC_PX: u32 = 18;
const LEGEND_PX: u32 = 17;
const NOTE_PX: u32 = 22;

/// Cap on CDF vertices per series (keeps SVGs small for millions of deliveries; the
/// resulting error in y is at most 1/`CDF_MAX_STEPS`).
const CDF_MAX_STEPS: usize = 2000;

/// Largest magnitude accepted on an axis; beyond this values are clamped (avoids
/// overflowing range arithmetic with values near `f64::MAX`).
const AXIS_LIMIT: f64 = 1e15;

/// Okabe-Ito colour-blind-safe palette (yellow left out: unreadable on white).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// Fill colours for shaded windows, translucent.
const SHADES: [RGBColor; 3] = [
    RGBColor(230, 80, 60),
    RGBColor(120, 120, 120),
    RGBColor(86, 180, 233),
];
const SHADE_ALPHA: f64 = 0.16;

const GRID_BOLD: RGBAColor = RGBAColor(0, 0, 0, 0.18);
const GRID_LIGHT: RGBAColor = RGBAColor(0, 0, 0, 0.06);
const MARKER_GREY: RGBColor = RGBColor(90, 90, 90);

fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

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

/// Plot a horizontal bar chart of bytes per kind (e.g. content, resend, sync, repair
/// response), bars top to bottom in the order given, each labelled with its value in
/// decimal units (1 KB = 1000 B, 1 MB = 10^6 B, 1 GB = 10^9 B). Writes
/// `<out_base>.png` and `<out_base>.svg`.
pub fn bytes_by_kind(out_base: &Path, title: &str, bars: &[(&str, u64)]) -> Result<(), PlotError> {
    let chart = BarChart::new(title, bars);
    render(out_base, &chart)
}

// ---------------------------------------------------------------------------------------
// Rendering machinery
// ---------------------------------------------------------------------------------------

/// A chart that can be drawn on any plotters backend.
trait Chart {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    /// Draw the whole chart on `root` (already sized to `size()`).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Turns any displayable error into the message string carried by `PlotError::Draw`.
trait Msg<T> {
    fn msg(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Msg<T> for Result<T, E> {
    fn msg(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Register DejaVu Sans (regular and bold) with plotters, once per process.
fn ensure_fonts() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FONT, "sans-serif"].iter().all(|family| {
            register_font(family, FontStyle::Normal, dejavu::sans::regular()).is_ok()
                && register_font(family, FontStyle::Bold, dejavu::sans::bold()).is_ok()
        })
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// `out_base` with `.ext` appended (not substituted: `run.v2` gives `run.v2.png`).
fn with_suffix(out_base: &Path, ext: &str) -> PathBuf {
    let mut s = out_base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn render<C: Chart>(out_base: &Path, chart: &C) -> Result<(), PlotError> {
    ensure_fonts()?;
    let png = with_suffix(out_base, "png");
    let svg = with_suffix(out_base, "svg");
    if let Some(parent) = png.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|cause| PlotError::CreateDir {
            path: png.clone(),
            cause,
        })?;
    }
    let size = chart.size();
    let draw_err = |path: &Path| {
        let path = path.to_path_buf();
        move |message| PlotError::Draw { path, message }
    };
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        chart.draw(&root).map_err(draw_err(&png))?;
        root.present().msg().map_err(draw_err(&png))?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        chart.draw(&root).map_err(draw_err(&svg))?;
        root.present().msg().map_err(draw_err(&svg))?;
    }
    Ok(())
}

fn text_style(px: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&BLACK)
}

fn anchored(px: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text_style(px).pos(Pos::new(h, v))
}

/// Fill white, draw the title, and return the area below it.
fn start_canvas<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).msg()?;
    if title.trim().is_empty() {
        return Ok(root.margin(12, 0, 0, 0));
    }
    // Not `.into_font().style(Bold)`: that keeps the regular glyphs in plotters 0.3.7.
    let style = TextStyle::from((FONT, TITLE_PX, FontStyle::Bold).into_font()).color(&BLACK);
    root.titled(title, style).msg()
}

// ---------------------------------------------------------------------------------------
// Legend (drawn below the plot, so it never covers data)
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Swatch {
    Line,
    Dashed,
    Band,
    Box,
}

struct LegendEntry {
    text: String,
    color: RGBColor,
    swatch: Swatch,
}

const SWATCH_W: i32 = 30;
const LEGEND_ROW_H: i32 = 26;
const LEGEND_GAP: i32 = 34;
const LEGEND_PAD_X: i32 = 70;

/// Lay entries out left to right, wrapping; returns `(x, row)` per entry and the row count.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(Vec<(i32, i32)>, i32), String> {
    let avail = area.dim_in_pixel().0 as i32 - 2 * LEGEND_PAD_X;
    let style = text_style(LEGEND_PX);
    let mut out = Vec::with_capacity(entries.len());
    let (mut x, mut row) = (0, 0);
    for e in entries {
        let (tw, _) = area.estimate_text_size(&e.text, &style).msg()?;
        let w = SWATCH_W + 8 + tw as i32;
        if x > 0 && x + w > avail {
            x = 0;
            row += 1;
        }
        out.push((x, row));
        x += w + LEGEND_GAP;
    }
    let rows = if entries.is_empty() { 0 } else { row + 1 };
    Ok((out, rows))
}

/// Split `area` into (plot area, legend area) and draw the legend in the latter.
fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, String> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let (pos, rows) = legend_layout(area, entries)?;
    let h = area.dim_in_pixel().1 as i32;
    // Keep at least half the canvas for the plot even with absurdly many series.
    let legend_h = (rows * LEGEND_ROW_H + 14).min(h / 2);
    let (plot, legend) = area.split_vertically(h - legend_h);
    let style = anchored(LEGEND_PX, HPos::Left, VPos::Center);
    for (e, &(x, row)) in entries.iter().zip(&pos) {
        let x = LEGEND_PAD_X + x;
        let y = 4 + row * LEGEND_ROW_H + LEGEND_ROW_H / 2;
        if y > legend_h {
            break; // clipped: too many entries to show
        }
        match e.swatch {
            Swatch::Line => {
                legend
                    .draw(&PathElement::new(
                        vec![(x, y), (x + SWATCH_W, y)],
                        e.color.stroke_width(3),
                    ))
                    .msg()?;
            }
            Swatch::Dashed => {
                for seg in 0..3 {
                    let x0 = x + seg * 12;
                    legend
                        .draw(&PathElement::new(
                            vec![(x0, y), (x0 + 7, y)],
                            e.color.stroke_width(2),
                        ))
                        .msg()?;
                }
            }
            Swatch::Box => {
                legend
                    .draw(&Rectangle::new(
                        [(x, y - 8), (x + SWATCH_W, y + 8)],
                        e.color.filled(),
                    ))
                    .msg()?;
            }
            Swatch::Band => {
                legend
                    .draw(&Rectangle::new(
                        [(x, y - 8), (x + SWATCH_W, y + 8)],
                        e.color.mix(SHADE_ALPHA * 2.0).filled(),
                    ))
                    .msg()?;
            }
        }
        legend
            .draw(&Text::new(
                e.text.clone(),
                (x + SWATCH_W + 8, y),
                style.clone(),
            ))
            .msg()?;
    }
    Ok(plot)
}

/// Draw `text` centred in the plotting area of a chart whose pixel rectangle is given.
fn no_data_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    center: (i32, i32),
    text: &str,
) -> Result<(), String> {
    let style = anchored(NOTE_PX, HPos::Center, VPos::Center).color(&MARKER_GREY);
    root.draw(&Text::new(text.to_string(), center, style)).msg()
}

// ---------------------------------------------------------------------------------------
// Number formatting
// ---------------------------------------------------------------------------------------

/// `v` with about `sig` significant digits, no exponent below 1e6, trailing zeros trimmed.
fn fmt_sig(v: f64, sig: i32) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let mag = v.abs().log10().floor() as i32;
    if mag >= 6 {
        let s = format!("{:.*e}", (sig - 1).max(0) as usize, v);
        // "1.50e6" -> "1.5e6"
        if let Some((m, e)) = s.split_once('e') {
            return format!("{}e{}", trim_zeros(m), e);
        }
        return s;
    }
    let decimals = (sig - 1 - mag).clamp(0, 6) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Bytes in decimal units (powers of 1000): `999 B`, `1.5 KB`, `12.3 MB`, `1.23 GB`.
fn human_bytes(b: f64) -> String {
    const UNITS: [(&str, f64); 5] = [
        ("PB", 1e15),
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("KB", 1e3),
    ];
    if !b.is_finite() {
        return "n/a".to_string();
    }
    for (unit, scale) in UNITS {
        if b.abs() >= scale {
            return format!("{} {unit}", fmt_sig(b / scale, 3));
        }
    }
    format!("{} B", fmt_sig(b.round(), 3))
}

// ---------------------------------------------------------------------------------------
// Latency CDF
// ---------------------------------------------------------------------------------------

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

/// Nearest-rank percentile of a sorted, non-empty slice; `p` in (0, 1].
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = (p * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
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
                format!("{} (no data)", s.label)
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
        let mut entries: Vec<LegendEntry> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| LegendEntry {
                text: l.label.clone(),
                color: series_color(i),
                swatch: Swatch::Line,
            })
            .collect();
        let first = self.lines.first();
        if first.is_some_and(|l| l.p50.is_some()) && self.lines.len() > 1 {
            entries.push(LegendEntry {
                text: format!("p50 / p99 of {}", self.lines[0].label_name()),
                color: MARKER_GREY,
                swatch: Swatch::Dashed,
            });
        }
        let plot = with_legend(&area, &entries)?;

        let mut chart = ChartBuilder::on(&plot)
            .margin(18)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(80)
            .build_cartesian_2d(self.x.clone().log_scale(), 0f64..1.0)
            .msg()?;
        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(11)
            .y_max_light_lines(1)
            .x_label_formatter(&|v| fmt_sig(*v, 3))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("one-way latency, publish to delivery (ms, log scale)")
            .y_desc("fraction of delivered messages")
            .label_style(text_style(LABEL_PX))
            .axis_desc_style(text_style(DESC_PX))
            .bold_line_style(GRID_BOLD)
            .light_line_style(GRID_LIGHT)
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

// ---------------------------------------------------------------------------------------
// Delivery ratio over time
// ---------------------------------------------------------------------------------------

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
        let mut entries: Vec<LegendEntry> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| LegendEntry {
                text: if self.segments[i].is_empty() {
                    format!("{l} (no data)")
                } else {
                    l.clone()
                },
                color: series_color(i),
                swatch: Swatch::Line,
            })
            .collect();
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
            let mut b = ChartBuilder::on(&plot);
            b.margin(18)
                .margin_top(top)
                .margin_right(40)
                .x_label_area_size(64)
                .y_label_area_size(80);
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

        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(12)
            .max_light_lines(1)
            .x_label_formatter(&|v| fmt_sig(*v, 4))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("simulated time (s)")
            .y_desc("delivery ratio")
            .label_style(text_style(LABEL_PX))
            .axis_desc_style(text_style(DESC_PX))
            .bold_line_style(GRID_BOLD)
            .light_line_style(GRID_LIGHT)
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

// ---------------------------------------------------------------------------------------
// Bytes by kind
// ---------------------------------------------------------------------------------------

struct BarChart {
    title: String,
    bars: Vec<(String, u64)>,
    max: u64,
}

const BAR_ROW_PX: u32 = 40;
const MAX_HEIGHT: u32 = 4000;

impl BarChart {
    fn new(title: &str, bars: &[(&str, u64)]) -> Self {
        BarChart {
            title: title.to_string(),
            bars: bars.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            max: bars.iter().map(|b| b.1).max().unwrap_or(0),
        }
    }
}

impl Chart for BarChart {
    fn size(&self) -> (u32, u32) {
        let rows = u32::try_from(self.bars.len()).unwrap_or(u32::MAX);
        let h = rows.saturating_mul(BAR_ROW_PX).saturating_add(220);
        (WIDTH, h.clamp(HEIGHT, MAX_HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = start_canvas(root, &self.title)?;
        let n = self.bars.len();
        let label_style = anchored(LABEL_PX, HPos::Right, VPos::Center);
        let mut widest = 0;
        for (k, _) in &self.bars {
            widest = widest.max(root.estimate_text_size(k, &label_style).msg()?.0);
        }
        let y_area = (widest + 24).clamp(60, WIDTH / 3);
        // Room on the right for the value label of the longest bar; at least 10 B so that
        // ticks land on whole bytes.
        let x_max = (self.max as f64 * 1.16).max(10.0);
        let rows = n.max(1) as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin(18)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(y_area)
            .build_cartesian_2d(0f64..x_max, -0.5f64..rows - 0.5)
            .msg()?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_max_light_lines(1)
            .x_label_formatter(&|v| human_bytes(*v))
            .x_desc("bytes (decimal units: 1 KB = 1000 B, 1 MB = 10^6 B, 1 GB = 10^9 B)")
            .label_style(text_style(LABEL_PX))
            .axis_desc_style(text_style(DESC_PX))
            .bold_line_style(GRID_BOLD)
            .light_line_style(GRID_LIGHT)
            .draw()
            .msg()?;

        let value_style = anchored(LABEL_PX, HPos::Left, VPos::Center);
        for (i, (kind, bytes)) in self.bars.iter().enumerate() {
            // First bar at the top.
            let row = (n - 1 - i) as f64;
            let color = series_color(i);
            let v = *bytes as f64;
            if *bytes > 0 {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, row - 0.32), (v, row + 0.32)],
                        color.filled(),
                    )))
                    .msg()?;
            }
            let (bx, by) = chart.backend_coord(&(v, row));
            root.draw(&Text::new(
                human_bytes(v),
                (bx + 6, by),
                value_style.clone(),
            ))
            .msg()?;
            let (lx, ly) = chart.backend_coord(&(0.0, row));
            root.draw(&Text::new(kind.clone(), (lx - 10, ly), label_style.clone()))
                .msg()?;
        }

        if self.max == 0 {
            let c = chart.backend_coord(&(x_max / 2.0, (rows - 1.0) / 2.0));
            let note = if n == 0 { "no data" } else { "no bytes sent" };
            no_data_note(root, c, note)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Distributions: bandwidth per participant, repair traffic per gap
// ---------------------------------------------------------------------------------------

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
                    format!("{} (no data)", s.label)
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
        let entries: Vec<LegendEntry> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| LegendEntry {
                text: l.clone(),
                color: series_color(i),
                swatch: Swatch::Box,
            })
            .collect();
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
        let mut chart = ChartBuilder::on(&plot)
            .margin(18)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(80)
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
        chart
            .configure_mesh()
            .x_labels(12)
            .y_labels(((y_max as usize) + 1).min(11))
            .max_light_lines(1)
            .disable_x_mesh()
            .x_label_formatter(&|v| if bytes { human_bytes(*v) } else { whole(v) })
            .y_label_formatter(&whole)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .label_style(text_style(LABEL_PX))
            .axis_desc_style(text_style(DESC_PX))
            .bold_line_style(GRID_BOLD)
            .light_line_style(GRID_LIGHT)
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
    use super::*;

    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

    fn check(base: &Path) {
        let png = std::fs::read(with_suffix(base, "png")).expect("png written");
        assert!(
            png.starts_with(PNG_MAGIC),
            "{} is not a PNG",
            base.display()
        );
        let svg = std::fs::read_to_string(with_suffix(base, "svg")).expect("svg written");
        assert!(svg.contains("<svg"), "{} is not an SVG", base.display());
    }

    fn lat(n: usize) -> Vec<f64> {
        // Deterministic spread over ~1..3000 ms.
        (0..n)
            .map(|i| 5.0 + ((i * 7919) % 1000) as f64 * ((i % 5) as f64 + 0.5))
            .collect()
    }

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
            check(&base);
        }
    }

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
            check(&base);
        }
    }

    #[test]
    fn bytes_normal_empty_degenerate() {
        let dir = tempfile::tempdir().unwrap();
        let many: Vec<(String, u64)> = (0..200).map(|i| (format!("k{i}"), i * 1000)).collect();
        let many: Vec<(&str, u64)> = many.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let cases: Vec<(&str, Vec<(&str, u64)>)> = vec![
            (
                "normal",
                vec![
                    ("content", 12_345_678),
                    ("resend", 1_234_567),
                    ("sync", 45_000),
                    ("repair response", 999),
                ],
            ),
            ("empty", vec![]),
            ("zeros", vec![("content", 0), ("sync", 0)]),
            ("one", vec![("content", 1)]),
            ("max", vec![("content", u64::MAX), ("sync", 0)]),
            ("many", many),
        ];
        for (name, bars) in cases {
            let base = dir.path().join(format!("bytes_{name}"));
            bytes_by_kind(&base, "Bytes", &bars).unwrap();
            check(&base);
        }
    }

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
            check(&base);
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

    #[test]
    fn svg_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let a = lat(3000);
        let pts: Vec<(f64, f64)> = (0..100)
            .map(|t| (t as f64, (t % 10) as f64 / 10.0))
            .collect();
        let mut outputs = Vec::new();
        for run in 0..2 {
            let d = dir.path().join(format!("run{run}"));
            latency_cdf(
                &d.join("cdf"),
                "t",
                &[CdfSeries {
                    label: "a",
                    latencies_ms: &a,
                }],
            )
            .unwrap();
            delivery_over_time(
                &d.join("time"),
                "t",
                &[TimeSeries {
                    label: "a",
                    points: &pts,
                }],
                &[Window {
                    start_s: 10.0,
                    end_s: 20.0,
                    label: "partition",
                }],
                Some(80.0),
            )
            .unwrap();
            bytes_by_kind(
                &d.join("bytes"),
                "t",
                &[("content", 5_000_000), ("sync", 12_000)],
            )
            .unwrap();
            let read = |n: &str| std::fs::read(d.join(format!("{n}.svg"))).unwrap();
            outputs.push([read("cdf"), read("time"), read("bytes")]);
        }
        assert_eq!(outputs[0], outputs[1]);
    }

    #[test]
    fn suffix_is_appended() {
        assert_eq!(
            with_suffix(Path::new("a/run.v2"), "png"),
            PathBuf::from("a/run.v2.png")
        );
    }

    #[test]
    fn number_formats() {
        assert_eq!(human_bytes(0.0), "0 B");
        assert_eq!(human_bytes(999.0), "999 B");
        assert_eq!(human_bytes(1000.0), "1 KB");
        assert_eq!(human_bytes(12_345_678.0), "12.3 MB");
        assert_eq!(human_bytes(1.5e9), "1.5 GB");
        assert_eq!(fmt_sig(0.452, 3), "0.452");
        assert_eq!(fmt_sig(1234.0, 3), "1234");
        assert_eq!(fmt_sig(100.0, 3), "100");
        assert_eq!(fmt_sig(2.5e7, 3), "2.5e7");
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.0);
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0, 4.0], 0.99), 4.0);
        assert_eq!(nearest_rank(&[7.0], 0.5), 7.0);
    }

    #[test]
    fn error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // A regular file where a directory is needed.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, b"x").unwrap();
        let err = bytes_by_kind(&blocker.join("sub").join("bytes"), "t", &[("a", 1)]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bytes.png"), "{msg}");
    }
}
