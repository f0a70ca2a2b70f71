//! Reports: JSON/CSV writers, plots, `report.html`, the console summary, comparisons.
//!
//! [`Report::build`] turns a finished run ([`crate::metrics::RunOutcome`]) into the figures
//! of `report.json`; [`write_run_dir`] writes a run's whole output directory through
//! [`crate::outdir`] (into a temporary sibling directory, swapped into place when complete;
//! only an output of a run is ever replaced, [`RUN_OUTPUT`]). Every field is documented in
//! `reports/README.md`. Nothing here reads a clock: wall-clock figures go to `perf.json`
//! through [`Perf`], never into `report.json`. [`compare`] judges one report against
//! another (`sim compare`, `sim check`); [`html`] renders `report.html`.
//!
//! Modules: `schema` (the types of `report.json`), `build` (a report from a `RunOutcome`),
//! `units` (rounding and human units), `faults` (fault windows and recovery times), `csv_files` (`messages.csv`, `nodes.csv`), `exports` (the opt-in `deliveries.csv`,
//! `timeseries.csv`, `message_trace.csv`),
//! `run_plots` (what each chart of a run shows; [`plot`] draws it), `console` (the summary
//! table), `run_dir` (the run's output directory), `files` (errors, JSON, atomic files),
//! `perf` (`perf.json`), `replay` (the reproducing command). The public items are re-exported
//! here. `report` reads the metrics, the network's counters and the scenario; it never names
//! the engine (`tests/tidy.rs`).

mod build;
pub mod compare;
mod console;
mod csv_files;
mod exports;
mod faults;
mod files;
pub mod html;
pub mod light;
mod perf;
pub mod plot;
mod replay;
mod run_dir;
mod run_plots;
mod schema;
mod units;

pub use console::summary_table;
pub use files::{json_text, write_file_atomic, write_json, ReportError};
pub use perf::{peak_rss_bytes, Floor, Perf};
pub use replay::{replay_command, shell_quote};
pub use run_dir::{write_run_dir, write_run_files, write_run_into, RunArtifacts, RUN_OUTPUT};
pub use schema::{
    ChurnSummary, DeliveryPoint, FaultWindow, Percentiles, QueueSummary, RecoverySummary,
    RepairSummary, Report, RunInfo, StoreSummary, Summary, SCHEMA_VERSION,
};
pub use units::{human_bytes, human_ms};
