//! `sim check`: the regression gate. Runs every committed baseline scenario and compares the
//! fresh report with the committed one, with the same rules as `sim compare`.
//!
//! Layout (`reports/README.md`, "Baselines"): one directory per baseline under
//! `reports/baselines/`, holding `scenario.toml` (run with its own seed) and `report.json`
//! (the committed report of that run), plus an optional `reports/baselines/tolerances.toml`
//! applied to every baseline.
//!
//! ```text
//! every subdirectory <dir>/<name>/ (not hidden) is a baseline: no scenario.toml is an error
//! for each selected baseline, before running any:
//!   load scenario.toml                    bad scenario: CheckError (exit 2)
//!   load report.json (unless --update)    missing, not JSON, empty summary: exit 2
//! for each selected baseline (sorted by name, or the names asked for):
//!   simulate
//!   --update: write report.json atomically, say what changed
//!   else:     compare_reports(committed report.json, fresh report)
//!             a metric missing or not a number: exit 2
//!             FAIL if a metric regressed beyond tolerance, or config_hash / schema differ
//! ```
//!
//! Runs are deterministic, so on an unchanged tree every fresh report is byte-identical to
//! the committed one; tolerances matter when a protocol change moves the figures on purpose.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::names::escape_controls;
use crate::report::compare::{self, CompareError, Policy, Verdict};
use crate::report::{json_text, write_file_atomic, ReportError};
use crate::scenario::{self, ScenarioError};

/// Where the committed baselines live, relative to the working directory.
pub const DEFAULT_DIR: &str = "reports/baselines";
/// The scenario file of a baseline directory.
pub const SCENARIO_FILE: &str = "scenario.toml";
/// The committed report of a baseline directory.
pub const REPORT_FILE: &str = "report.json";
/// Optional tolerance overrides for every baseline, in the baselines directory.
pub const TOLERANCES_FILE: &str = "tolerances.toml";

/// What `sim check` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The baselines directory (default [`DEFAULT_DIR`]).
    pub dir: PathBuf,
    /// Rewrite every `report.json` from a fresh run instead of comparing.
    pub update: bool,
    /// Only these baselines (directory names); all when empty.
    pub names: Vec<String>,
    /// Tolerance file; default `<dir>/tolerances.toml` when it exists, else built-in rules.
    pub tolerances: Option<PathBuf>,
}

/// Bad input (exit code 2): each names the file or directory.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{}: {message}", path.display())]
    Baselines { path: PathBuf, message: String },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("{}: cannot run: {message}", path.display())]
    Run { path: PathBuf, message: String },
    #[error(transparent)]
    Compare(#[from] CompareError),
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// The result of a check.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Baselines run.
    pub checked: Vec<String>,
    /// Baselines that failed (regression or stale); empty with `--update`.
    pub failed: Vec<String>,
}

/// The baselines under `dir`, sorted by name: every subdirectory whose name does not start
/// with `.` is one and must hold a [`SCENARIO_FILE`] (files such as [`TOLERANCES_FILE`]
/// are not baselines).
///
/// # Errors
/// [`CheckError::Baselines`] when `dir` cannot be read or holds no baseline, or naming a
/// subdirectory that lacks its scenario (a baseline is never skipped silently).
pub fn baselines(dir: &Path) -> Result<Vec<String>, CheckError> {
    let err = |path: &Path, message: String| CheckError::Baselines {
        path: path.to_owned(),
        message,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                " (sim check runs the committed baselines of an sdsim checkout: run it from the \
                 repository's root, or name the baselines directory with `--dir DIR`; default \
                 {DEFAULT_DIR})"
            )
        } else {
            String::new()
        };
        err(dir, format!("cannot read: {e}{hint}"))
    })?;
    let mut names = Vec::new();
    for e in entries {
        let e = e.map_err(|e| err(dir, format!("cannot read: {e}")))?;
        let path = e.path();
        let name = e.file_name();
        if name.as_encoded_bytes().starts_with(b".") || !path.is_dir() {
            continue;
        }
        let Some(name) = name
            .to_str()
            .filter(|n| crate::names::check_name(n).is_ok())
        else {
            return Err(err(
                &path,
                "not a baseline name (A-Z a-z 0-9 . _ -); rename or remove the directory".into(),
            ));
        };
        if !path.join(SCENARIO_FILE).is_file() {
            return Err(err(
                &path,
                format!(
                    "baseline without its {SCENARIO_FILE}: every subdirectory of {} is a \
                     baseline ({SCENARIO_FILE} and {REPORT_FILE}); restore the file or remove \
                     the directory",
                    dir.display()
                ),
            ));
        }
        names.push(name.to_owned());
    }
    names.sort();
    if names.is_empty() {
        return Err(err(
            dir,
            format!("no baselines (subdirectories holding {SCENARIO_FILE})"),
        ));
    }
    Ok(names)
}

/// Runs the check (or the update) and writes its human-readable results to `out`; wall
/// times of the runs go to stderr.
///
/// # Errors
/// [`CheckError`] on bad input, before anything runs where it can be known then: unreadable
/// baselines directory, a baseline directory without its scenario, unknown baseline name, a
/// scenario that does not load, a committed report that is missing, not JSON or without
/// metrics, a bad tolerance file; then a scenario that does not run, a metric missing from
/// the fresh report or not a number in either ([`compare::compare_reports`]), or a report
/// that cannot be written.
pub fn run(opts: &Options, out: &mut dyn Write) -> Result<Outcome, CheckError> {
    let all = baselines(&opts.dir)?;
    let all_count = all.len();
    let names: Vec<String> = if opts.names.is_empty() {
        all
    } else {
        for n in &opts.names {
            if !all.contains(n) {
                return Err(CheckError::Baselines {
                    path: opts.dir.clone(),
                    message: format!("no baseline {n:?} (there are: {})", all.join(", ")),
                });
            }
        }
        opts.names.clone()
    };
    let default_tol = opts.dir.join(TOLERANCES_FILE);
    let policy = match &opts.tolerances {
        Some(p) => Policy::from_file(p)?,
        None if default_tol.is_file() => Policy::from_file(&default_tol)?,
        None => Policy::builtin(),
    };

    // Every input is read and checked before anything runs.
    let mut inputs = Vec::with_capacity(names.len());
    for name in &names {
        let base = opts.dir.join(name);
        let scenario_path = base.join(SCENARIO_FILE);
        let report_path = base.join(REPORT_FILE);
        let loaded = scenario::load(&scenario_path, None, &[])?;
        let committed = if opts.update {
            None
        } else if !report_path.is_file() {
            return Err(CheckError::Baselines {
                path: report_path,
                message: "missing: record it with `sim check --update`".into(),
            });
        } else {
            // load_report first: it refuses a file over io_limits::REPORT_BYTES.
            let report = compare::load_report(&report_path)?;
            let text = crate::io_limits::read_capped_string(
                &report_path,
                crate::io_limits::REPORT_BYTES,
                "a report.json",
            )
            .unwrap_or_default();
            Some((text, report))
        };
        inputs.push((name, scenario_path, report_path, loaded, committed));
    }

    let mut outcome = Outcome::default();
    for (name, scenario_path, report_path, loaded, committed) in inputs {
        let started = Instant::now();
        let (_, report) = crate::simulate(&loaded, &mut |_| {}).map_err(|e| CheckError::Run {
            path: scenario_path.clone(),
            message: e.to_string(),
        })?;
        eprintln!(
            "{name}: {} participants, seed {}, ran in {:.2} s",
            loaded.scenario.participants,
            loaded.scenario.seed,
            started.elapsed().as_secs_f64()
        );
        let text = json_text(&report).map_err(|source| ReportError::Json {
            path: report_path.clone(),
            source,
        })?;
        let fresh: Value = serde_json::from_str(&text).unwrap_or_default();
        outcome.checked.push(name.clone());

        if opts.update {
            let before = crate::io_limits::read_capped_string(
                &report_path,
                crate::io_limits::REPORT_BYTES,
                "a report.json",
            )
            .ok();
            let what = match &before {
                None => "recorded (new)".to_string(),
                Some(b) if *b == text => "unchanged".to_string(),
                Some(b) => match serde_json::from_str::<Value>(b) {
                    Ok(old) => {
                        let c = compare::compare(&old, &fresh, &policy);
                        format!("rewritten; against the previous one: {}", c.verdict_line())
                    }
                    Err(_) => "rewritten (the previous one was not valid JSON)".to_string(),
                },
            };
            write_file_atomic(&report_path, text.as_bytes())?;
            let _ = writeln!(out, "UPDATED {name}: {what}");
            continue;
        }

        let Some((committed_text, committed)) = committed else {
            continue;
        };
        let fresh_name = PathBuf::from(format!("{} (fresh run)", scenario_path.display()));
        let c = compare::compare_reports(&committed, &report_path, &fresh, &fresh_name, &policy)?;
        let schema_differs = committed.get("schema_version") != fresh.get("schema_version");
        let stale = c.config_differs || schema_differs;
        let regressed = c.regressions().count() > 0;
        let status = if regressed || stale { "FAIL" } else { "PASS" };
        if committed_text == text {
            let _ = writeln!(out, "{status} {name}: identical to the committed report");
        } else {
            let changed = c.rows.len() - c.count(Verdict::Same);
            let _ = writeln!(
                out,
                "{status} {name}: {}",
                if changed == 0 {
                    "summary identical; the report differs outside the summary".to_string()
                } else {
                    c.verdict_line()
                }
            );
            for w in &c.warnings {
                let _ = writeln!(out, "  warning: {}", escape_controls(w));
            }
            if stale {
                let _ = writeln!(
                    out,
                    "  stale baseline: the scenario, its defaults or the report schema changed \
                     since {} was recorded",
                    report_path.display()
                );
            }
            if changed > 0 {
                for line in c.table(true).lines() {
                    let _ = writeln!(out, "  {}", escape_controls(line));
                }
            }
        }
        if regressed || stale {
            outcome.failed.push(name.clone());
        }
    }

    if opts.update {
        let _ = writeln!(
            out,
            "sim check --update: {} baselines rewritten in {}; review with `git diff {}` and \
             commit them",
            outcome.checked.len(),
            opts.dir.display(),
            opts.dir.display()
        );
    } else if outcome.failed.is_empty() {
        let n = outcome.checked.len();
        let s = if n == 1 { "" } else { "s" };
        let _ = if opts.names.is_empty() {
            writeln!(
                out,
                "sim check: all {n} baseline{s} in {} passed",
                opts.dir.display()
            )
        } else {
            writeln!(
                out,
                "sim check: {n} selected baseline{s} passed (of {all_count} in {})",
                opts.dir.display()
            )
        };
    } else {
        let dir = opts.dir.display();
        let first = &outcome.failed[0];
        let _ = writeln!(
            out,
            "sim check: {} of {} baselines FAILED: {}\n  inspect: sim run {dir}/{first}/{SCENARIO_FILE} \
             --out /tmp/{first} && sim compare {dir}/{first}/{REPORT_FILE} /tmp/{first}/report.json\n  \
             if the change is intended: sim check --update, review `git diff {dir}`, commit",
            outcome.failed.len(),
            outcome.checked.len(),
            outcome.failed.join(", ")
        );
    }
    Ok(outcome)
}
