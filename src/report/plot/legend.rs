//! The legend every chart draws below its plot (so it never covers data): entries with a
//! swatch in the series' colour, laid out left to right and wrapped, with at least half the
//! canvas kept for the plot; and the helpers that build the usual entries.
//!
//! May touch: the drawing area handed in. May not touch: files, chart data.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{anchored, series_color, text_style, Msg, LEGEND_PX, SHADE_ALPHA};

/// How a legend entry shows its colour.
#[derive(Clone, Copy)]
pub(super) enum Swatch {
    /// A solid line (a data series drawn as a line).
    Line,
    /// A dashed line (a marker such as a percentile or the workload end).
    Dashed,
    /// A translucent band (a shaded time window).
    Band,
    /// A filled box (a bar series).
    Box,
}

/// One entry of a legend: its text, colour and swatch.
pub(super) struct LegendEntry {
    pub(super) text: String,
    pub(super) color: RGBColor,
    pub(super) swatch: Swatch,
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
pub(super) fn with_legend<DB: DrawingBackend>(
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

/// One entry per series, in the series' colours (`texts` in series order).
pub(super) fn series_legend(
    texts: impl IntoIterator<Item = String>,
    swatch: Swatch,
) -> Vec<LegendEntry> {
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| LegendEntry {
            text,
            color: series_color(i),
            swatch,
        })
        .collect()
}

/// The legend text of a series with nothing to draw: `"<label> (no data)"`.
pub(super) fn no_data_label(label: &str) -> String {
    format!("{label} (no data)")
}
