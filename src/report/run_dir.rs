//! A run's output directory: what a run writes ([`RunArtifacts`]), the list of its files
//! ([`RUN_OUTPUT`], for `crate::outdir`), and writing them all, into a temporary sibling
//! swapped into place when complete.
//!
//! May touch: the run's directory, only through `crate::outdir` (prepare, commit) and the
//! writers of each file. May not touch: anything `RUN_OUTPUT` does not list.

use std::path::Path;

use super::console::summary_table;
use super::csv_files::{write_messages_csv, write_nodes_csv};
use super::files::{io_err, write_json, ReportError};
use super::html;
use super::perf::Perf;
use super::run_plots::{write_distribution_plots, write_plots};
use super::schema::Report;
use crate::metrics::RunOutcome;
use crate::outdir::{self, Committed, OutputKind, Prepared};

/// Everything one run writes.
pub struct RunArtifacts<'a> {
    pub report: &'a Report,
    pub outcome: &'a RunOutcome,
    /// Region name of every participant (empty strings without a region matrix).
    pub regions: &'a [String],
    pub perf: &'a Perf,
    /// The scenario's TOML text as loaded, after `--set` ([`crate::scenario::Loaded::toml`]),
    /// echoed in `report.html`.
    pub scenario_toml: &'a str,
    /// The command that reproduces the run ([`super::replay_command`]), shown in `report.html`.
    pub command: &'a str,
}

/// The files of a run's output directory (what [`write_run_files`] writes), for
/// [`crate::outdir`]: a directory holding anything else is never replaced.
pub const RUN_OUTPUT: OutputKind = OutputKind {
    name: "run",
    files: &[
        "report.json",
        "perf.json",
        "messages.csv",
        "nodes.csv",
        "summary.txt",
        "report.html",
        "latency_cdf.png",
        "latency_cdf.svg",
        "delivery_over_time.png",
        "delivery_over_time.svg",
        "bytes_by_kind.png",
        "bytes_by_kind.svg",
        "bandwidth_per_participant.png",
        "bandwidth_per_participant.svg",
        "repair_per_gap.png",
        "repair_per_gap.svg",
    ],
    subdirs: &[],
};

/// Writes a run's output directory `dir` safely: [`outdir::prepare`] (refusals, lock,
/// leftovers of killed runs), the files into the temporary sibling, then
/// [`outdir::Prepared::commit`]. The CLI calls the two steps itself so that the directory is
/// checked before simulating; this is the one-call form for library users and tests.
///
/// # Errors
/// [`ReportError::OutDir`] when the directory cannot be used or replaced; an I/O, CSV, plot
/// or JSON error while writing (then the previous output is untouched).
pub fn write_run_dir(dir: &Path, a: &RunArtifacts) -> Result<Committed, ReportError> {
    let out = outdir::prepare(dir, &RUN_OUTPUT)?;
    write_run_into(out, a)
}

/// Writes every file of a run into `out`'s temporary directory and commits it (see
/// [`write_run_dir`]).
///
/// # Errors
/// As [`write_run_dir`].
pub fn write_run_into(out: Prepared, a: &RunArtifacts) -> Result<Committed, ReportError> {
    write_run_files(out.temp(), a)?;
    Ok(out.commit()?)
}

/// Writes every file of a run into the existing directory `dir`: `report.json`,
/// `perf.json`, `messages.csv`, `nodes.csv`, the plots (PNG and SVG), `summary.txt`,
/// `report.html` (the names [`RUN_OUTPUT`] lists).
///
/// # Errors
/// An I/O, CSV, plot or JSON error, naming the file.
pub fn write_run_files(dir: &Path, a: &RunArtifacts) -> Result<(), ReportError> {
    write_json(&dir.join("report.json"), a.report)?;
    write_json(&dir.join("perf.json"), a.perf)?;
    write_messages_csv(&dir.join("messages.csv"), &a.outcome.recorder)?;
    write_nodes_csv(&dir.join("nodes.csv"), a.outcome, a.regions)?;
    write_plots(dir, a.report, &a.outcome.recorder)?;
    let participants = html::participant_stats(a.outcome, a.regions);
    write_distribution_plots(dir, a.report, &a.outcome.recorder, &participants)?;
    let summary = summary_table(a.report);
    std::fs::write(dir.join("summary.txt"), &summary).map_err(io_err(dir))?;
    let page = html::Page {
        artifacts: a,
        participants: &participants,
        dir,
    };
    let text = html::render(&page).map_err(|(path, source)| ReportError::Io { path, source })?;
    let path = dir.join("report.html");
    std::fs::write(&path, text).map_err(io_err(&path))?;
    Ok(())
}
