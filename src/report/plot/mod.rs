//! Charts for the run report: latency CDF, delivery ratio over time, bytes by kind, and the
//! distributions of bytes per participant and of repair traffic per gap; [`sweep`] holds the
//! sweep chart.
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
//!
//! Layout: `render` writes the files (the `Chart` trait, fonts, [`PlotError`]);
//! `canvas` holds the shared scaffolding (sizes, fonts, colours, the chart builder and mesh
//! style), `legend` the legend below every plot, `format` the number formats; one module per
//! chart family (`cdf`, `timeline`, `bars`, `histogram`, [`sweep`]) owns its data
//! preparation and drawing. The plot modules know nothing of reports, runs or sweeps: callers
//! hand in plain series (this module's public types).

mod bars;
mod canvas;
mod cdf;
mod format;
mod histogram;
mod legend;
mod render;
pub mod sweep;
mod timeline;

pub use bars::bytes_by_kind;
pub use cdf::{latency_cdf, CdfSeries};
pub use histogram::{bandwidth_per_participant, repair_per_gap, HistSeries};
pub use render::PlotError;
pub use timeline::{delivery_over_time, TimeSeries, Window};

#[cfg(test)]
mod tests;
