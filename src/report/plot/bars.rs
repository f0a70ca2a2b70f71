//! Bytes sent by traffic kind as horizontal bars, top to bottom in the order given, each
//! labelled with its value in decimal units; the canvas grows with the number of bars.
//!
//! May touch: the drawing area handed in by `render`. May not touch: files, other
//! charts' data.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{
    anchored, cartesian, mesh, no_data_note, series_color, start_canvas, Msg, HEIGHT, LABEL_PX,
    WIDTH,
};
use super::format::human_bytes;
use super::render::{render, Chart, PlotError};

/// Plot a horizontal bar chart of bytes per kind (e.g. content, resend, sync, repair
/// response), bars top to bottom in the order given, each labelled with its value in
/// decimal units (1 KB = 1000 B, 1 MB = 10^6 B, 1 GB = 10^9 B). Writes
/// `<out_base>.png` and `<out_base>.svg`.
pub fn bytes_by_kind(out_base: &Path, title: &str, bars: &[(&str, u64)]) -> Result<(), PlotError> {
    let chart = BarChart::new(title, bars);
    render(out_base, &chart)
}

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
        let mut chart = cartesian(&area, y_area)
            .build_cartesian_2d(0f64..x_max, -0.5f64..rows - 0.5)
            .msg()?;
        mesh(&mut chart)
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_max_light_lines(1)
            .x_label_formatter(&|v| human_bytes(*v))
            .x_desc("bytes (decimal units: 1 KB = 1000 B, 1 MB = 10^6 B, 1 GB = 10^9 B)")
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

#[cfg(test)]
mod tests {
    use super::super::render::assert_written;
    use super::*;

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
            assert_written(&base);
        }
    }
}
