//! Writing a sweep's output directory through [`crate::outdir`] (refusals, lock, a
//! temporary sibling swapped in when complete): `sweep.json`, `sweep.csv`, `perf.json`, and
//! for a whole sweep `sweep_points.csv`, `summary.txt` and the plots ([`super::plots`]).
//!
//! Names the result types ([`super::result`]) and the plots; never computes a figure.

use std::path::Path;

use serde::Serialize;

use super::plots::write_plots;
use super::result::{display, SweepPerf, SweepResult};
use crate::outdir::{self, Committed, OutputKind, Prepared};
use crate::sweep::error::SweepError;

/// The files of a sweep's output directory (whole, merged or shard), for
/// [`crate::outdir`]: a directory holding anything else is never replaced.
pub const SWEEP_OUTPUT: OutputKind = OutputKind {
    name: "sweep",
    files: &[
        "sweep.json",
        "sweep.csv",
        "perf.json",
        "sweep_points.csv",
        "summary.txt",
    ],
    subdirs: &[("plots", &["png", "svg"])],
};

/// Writes a sweep's output directory safely ([`crate::outdir`]: refusals, lock, leftovers
/// of killed runs, a temporary sibling swapped into place when complete): `sweep.json`,
/// `sweep.csv`, `perf.json`, and for a whole sweep also `sweep_points.csv`, `summary.txt`
/// and `plots/`. The CLI prepares the directory itself before running; this is the one-call
/// form.
///
/// # Errors
/// The directory cannot be used or replaced; an I/O, CSV or plotting failure, naming the
/// path (then the previous output is untouched).
pub fn write_dir(dir: &Path, r: &SweepResult, perf: &SweepPerf) -> Result<Committed, SweepError> {
    write_into(outdir::prepare(dir, &SWEEP_OUTPUT)?, r, perf)
}

/// Writes a sweep's files into `out`'s temporary directory and commits it (see
/// [`write_dir`]).
///
/// # Errors
/// As [`write_dir`].
pub fn write_into(
    out: Prepared,
    r: &SweepResult,
    perf: &SweepPerf,
) -> Result<Committed, SweepError> {
    write_all(out.temp(), r, perf)?;
    Ok(out.commit()?)
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<(), SweepError> {
    let mut text =
        serde_json::to_string_pretty(v).map_err(|e| SweepError::new(path, e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(io(path))
}

fn write_all(dir: &Path, r: &SweepResult, perf: &SweepPerf) -> Result<(), SweepError> {
    write_json(&dir.join("sweep.json"), r)?;
    write_json(&dir.join("perf.json"), perf)?;
    write_rows_csv(&dir.join("sweep.csv"), r)?;
    if r.shard.is_none() {
        write_points_csv(&dir.join("sweep_points.csv"), r)?;
        std::fs::write(dir.join("summary.txt"), r.summary_table())
            .map_err(io(&dir.join("summary.txt")))?;
        write_plots(&dir.join("plots"), r)?;
    }
    Ok(())
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>, SweepError> {
    csv::Writer::from_path(path).map_err(|e| SweepError::new(path, e.to_string()))
}

fn write_rows_csv(path: &Path, r: &SweepResult) -> Result<(), SweepError> {
    let cerr = |e: csv::Error| SweepError::new(path, e.to_string());
    let mut w = csv_writer(path)?;
    let columns = r.metric_columns();
    let mut header = vec!["point".to_string(), "seed".to_string()];
    header.extend(r.parameters.iter().map(|p| p.key.clone()));
    header.extend(columns.iter().cloned());
    w.write_record(&header).map_err(cerr)?;
    for row in &r.rows {
        let mut rec = vec![row.point.to_string(), row.seed.to_string()];
        match r.points.get(row.point) {
            Some(p) => rec.extend(p.values.iter().map(display)),
            None => rec.extend(std::iter::repeat_n(String::new(), r.parameters.len())),
        }
        rec.extend(columns.iter().map(|c| {
            row.metrics
                .get(c)
                .map(|n| n.to_string())
                .unwrap_or_default()
        }));
        w.write_record(&rec).map_err(cerr)?;
    }
    w.flush().map_err(io(path))
}

fn write_points_csv(path: &Path, r: &SweepResult) -> Result<(), SweepError> {
    let cerr = |e: csv::Error| SweepError::new(path, e.to_string());
    let mut w = csv_writer(path)?;
    let mut header = vec!["point".to_string()];
    header.extend(r.parameters.iter().map(|p| p.key.clone()));
    header.push("config_hash".into());
    header.push("runs".into());
    for m in &r.metrics {
        for s in ["mean", "ci95_low", "ci95_high", "stddev"] {
            header.push(format!("{m}.{s}"));
        }
    }
    w.write_record(&header).map_err(cerr)?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let by_point = r.rows_by_point();
    for p in &r.points {
        let mut rec = vec![p.point.to_string()];
        rec.extend(p.values.iter().map(display));
        rec.push(p.config_hash.clone());
        rec.push(by_point.get(&p.point).map_or(0, |x| x.len()).to_string());
        for m in &r.metrics {
            match p.stats.as_ref().and_then(|s| s.get(m)) {
                Some(s) => rec.extend([
                    s.mean.to_string(),
                    opt(s.ci95_low),
                    opt(s.ci95_high),
                    opt(s.stddev),
                ]),
                None => rec.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        w.write_record(&rec).map_err(cerr)?;
    }
    w.flush().map_err(io(path))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |e| SweepError::new(path, e.to_string())
}
