//! Shared scaffolding of every chart: canvas size, fonts and text styles, the colour palette
//! and the fault-window shades, the grid style, the blank canvas with its title, the
//! cartesian chart builder and mesh style the charts share, and the "no data" note.
//!
//! May touch: plotters drawing areas handed in by a chart. May not touch: files (the
//! `render` module writes them), chart data, or the legend layout
//! (`legend`).

use plotters::chart::{ChartBuilder, ChartContext, MeshStyle};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

/// Chart size in pixels for the PNG; the SVG uses the same user-space size.
pub(super) const WIDTH: u32 = 1200;
pub(super) const HEIGHT: u32 = 700;

/// Font family used for all text. Registered (as is, and as plain "sans-serif") with
/// the embedded DejaVu Sans; the SVG output names it as a CSS font list, so viewers use
/// DejaVu Sans when installed (matching the layout) and their sans-serif otherwise.
pub(super) const FONT: &str = "DejaVu Sans, sans-serif";
const TITLE_PX: u32 = 26;
pub(super) const LABEL_PX: u32 = 16;
pub(super) const DESC_PX: u32 = 18;
pub(super) const LEGEND_PX: u32 = 17;
const NOTE_PX: u32 = 22;

/// Largest magnitude accepted on an axis; beyond this values are clamped (avoids
/// overflowing range arithmetic with values near `f64::MAX`).
pub(super) const AXIS_LIMIT: f64 = 1e15;

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
pub(super) const SHADES: [RGBColor; 3] = [
    RGBColor(230, 80, 60),
    RGBColor(120, 120, 120),
    RGBColor(86, 180, 233),
];
pub(super) const SHADE_ALPHA: f64 = 0.16;

pub(super) const GRID_BOLD: RGBAColor = RGBAColor(0, 0, 0, 0.18);
pub(super) const GRID_LIGHT: RGBAColor = RGBAColor(0, 0, 0, 0.06);
pub(super) const MARKER_GREY: RGBColor = RGBColor(90, 90, 90);

/// Colour of the `i`-th series (the palette repeats after seven).
pub(super) fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Turns any displayable error into the message string carried by `PlotError::Draw`.
pub(super) trait Msg<T> {
    fn msg(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Msg<T> for Result<T, E> {
    fn msg(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

pub(super) fn text_style(px: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&BLACK)
}

pub(super) fn anchored(px: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text_style(px).pos(Pos::new(h, v))
}

/// Fill white, draw the title, and return the area below it.
pub(super) fn start_canvas<DB: DrawingBackend>(
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

/// Draw `text` centred in the plotting area of a chart whose pixel rectangle is given.
pub(super) fn no_data_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    center: (i32, i32),
    text: &str,
) -> Result<(), String> {
    let style = anchored(NOTE_PX, HPos::Center, VPos::Center).color(&MARKER_GREY);
    root.draw(&Text::new(text.to_string(), center, style)).msg()
}

/// Pixels around a cartesian chart's plotting area (left, bottom, top) and to its right.
const CHART_MARGIN_PX: u32 = 18;
const CHART_MARGIN_RIGHT_PX: u32 = 40;
/// Height of the x axis' label area (tick labels and axis description).
const X_LABEL_AREA_PX: u32 = 64;

/// The builder of a cartesian chart on `area` with the margins every chart uses and a y
/// label area `y_label_area_px` wide; the caller may adjust it (e.g. the top margin) and
/// builds the coordinates.
pub(super) fn cartesian<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    y_label_area_px: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(CHART_MARGIN_PX)
        .margin_right(CHART_MARGIN_RIGHT_PX)
        .x_label_area_size(X_LABEL_AREA_PX)
        .y_label_area_size(y_label_area_px);
    builder
}

/// The mesh (grid, axes, labels) of `chart` in the style every chart uses: label and axis
/// description fonts, bold and light grid colours. The caller sets the ticks, formatters and
/// axis descriptions, then draws it.
pub(super) fn mesh<'a, 'b, X, Y, DB>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
    DB: DrawingBackend,
{
    let mut style = chart.configure_mesh();
    style
        .label_style(text_style(LABEL_PX))
        .axis_desc_style(text_style(DESC_PX))
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT);
    style
}
