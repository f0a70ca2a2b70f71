//! Writing a chart: the [`Chart`] trait every chart implements (one drawing code path,
//! generic over the plotters backend), the embedded DejaVu Sans font registered once per
//! process, the PNG and SVG files of one chart, and [`PlotError`].
//!
//! May touch: the file system, only to create a plot's parent directory and write its
//! `.png` and `.svg`. May not touch: what a chart draws (each chart module owns that).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::canvas::{Msg, FONT, HEIGHT, WIDTH};

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

/// A chart that can be drawn on any plotters backend.
pub(super) trait Chart {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    /// Draw the whole chart on `root` (already sized to `size()`).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
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
pub(super) fn with_suffix(out_base: &Path, ext: &str) -> PathBuf {
    let mut s = out_base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Draws `chart` into `<out_base>.png` and `<out_base>.svg`, creating the parent directory
/// when missing; errors name the file.
pub(super) fn render<C: Chart>(out_base: &Path, chart: &C) -> Result<(), PlotError> {
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

/// Test helper: `<base>.png` is a PNG and `<base>.svg` an SVG.
#[cfg(test)]
pub(super) fn assert_written(base: &Path) {
    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
    let png = std::fs::read(with_suffix(base, "png")).expect("png written");
    assert!(
        png.starts_with(PNG_MAGIC),
        "{} is not a PNG",
        base.display()
    );
    let svg = std::fs::read_to_string(with_suffix(base, "svg")).expect("svg written");
    assert!(svg.contains("<svg"), "{} is not an SVG", base.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_appended() {
        assert_eq!(
            with_suffix(Path::new("a/run.v2"), "png"),
            PathBuf::from("a/run.v2.png")
        );
    }
}
