//! CLI glue of `sim sweep` and `sim merge` (part of the `sim` binary, not the library):
//! progress bar, console lines, exit codes. The work is in `sdsim::sweep`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use sdsim::outdir;
use sdsim::sweep::{self, output, Shard};

use crate::{fail, print_outdir_notes, print_outdir_warnings};

/// Rows a dry run lists; the rest are counted.
const DRY_RUN_ROWS: usize = 20;

/// `sim sweep` options.
pub struct SweepArgs {
    pub file: PathBuf,
    pub jobs: Option<usize>,
    pub max_memory: Option<u64>,
    pub shard: Option<Shard>,
    pub out: Option<PathBuf>,
    pub check_determinism: bool,
    pub dry_run: bool,
    pub quiet: bool,
}

/// Runs a sweep (or its shard) and writes its output directory. Exit codes: 0; 1 when
/// `--check-determinism` finds a run that does not reproduce; 2 on bad input.
pub fn sweep(a: SweepArgs) -> ExitCode {
    let plan = match sweep::load(&a.file) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let spec = &plan.spec;
    let jobs = sweep::jobs(&plan, a.shard);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match a.jobs {
        Some(0) => return fail(&"--jobs must be at least 1"),
        Some(n) if n > cpus => {
            eprintln!(
                "--jobs {n} lowered to {cpus}, the number of CPUs (runs are single-threaded: \
                 more threads than CPUs only add memory)"
            );
            cpus
        }
        Some(n) => n,
        None => cpus,
    };
    let out = a.out.clone().unwrap_or_else(|| {
        let name = match a.shard {
            Some(s) => format!("{}-shard{}of{}", spec.name, s.index, s.count),
            None => spec.name.clone(),
        };
        PathBuf::from("reports/sweeps").join(name)
    });
    let shard_note = match a.shard {
        Some(s) => format!(" (shard {s}: {} runs)", jobs.len()),
        None => String::new(),
    };
    eprintln!(
        "sweep {}: {} points x {} seeds = {} runs{shard_note}, {} parameter(s), {threads} thread(s){}, sweep_hash {}",
        spec.name,
        plan.points.len(),
        spec.seeds.len(),
        plan.runs(),
        spec.params.len(),
        if a.check_determinism {
            ", each run twice (--check-determinism)"
        } else {
            ""
        },
        &plan.hash[..12]
    );
    // Memory: the largest runs, one per thread, at once.
    let totals: Vec<u64> = jobs
        .iter()
        .map(|j| plan.points[j.point].memory_bytes)
        .collect();
    let worst = jobs
        .iter()
        .max_by_key(|j| plan.points[j.point].memory_bytes)
        .map(|j| &plan.points[j.point]);
    let at_once = threads.min(jobs.len()).max(1);
    if let Some(w) = worst {
        eprintln!(
            "memory estimate: ~{} for the largest run (point {}), ~{} for {at_once} at once",
            sdsim::budget::human(w.memory_bytes as f64),
            w.index,
            sdsim::budget::human(sdsim::budget::concurrent_bytes(&totals, at_once) as f64)
        );
    }
    if !a.dry_run {
        if let (Some((limit, source)), Some(w)) = (crate::memory_limit(a.max_memory), worst) {
            if sdsim::budget::concurrent_bytes(&totals, at_once) > limit {
                let estimate = match plan.load_point(w) {
                    Ok(l) => sdsim::budget::estimate(&l),
                    Err(e) => return fail(&e),
                };
                if let Err(e) =
                    sdsim::budget::check_sweep(&estimate, &totals, threads, limit, source)
                {
                    return fail(&format!("{}: {e}", a.file.display()));
                }
            }
        }
    }
    if a.dry_run {
        let mut text = String::new();
        for job in jobs.iter().take(DRY_RUN_ROWS) {
            let p = &plan.points[job.point];
            text.push_str(&format!(
                "row {} point {} seed {}: {}\n",
                job.row,
                job.point,
                job.seed,
                output::point_label(&plan, p)
            ));
        }
        if jobs.len() > DRY_RUN_ROWS {
            text.push_str(&format!(
                "... and {} more run(s) ({} in all)\n",
                jobs.len() - DRY_RUN_ROWS,
                jobs.len()
            ));
        }
        print!("{text}");
        return ExitCode::SUCCESS;
    }

    // Before running: refusals, lock, leftovers of killed runs, writability.
    let prepared = match outdir::prepare(&out, &output::SWEEP_OUTPUT) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    print_outdir_notes(&prepared);
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        // Drawn only when stderr is a terminal.
        let b =
            ProgressBar::with_draw_target(Some(jobs.len() as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        // Redraw every second so the elapsed time moves during long runs.
        b.enable_steady_tick(std::time::Duration::from_secs(1));
        b
    };
    let started = Instant::now();
    let result = sweep::execute(&plan, &jobs, threads, a.check_determinism, &|_| bar.inc(1));
    bar.finish_and_clear();
    let outcomes = match result {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let wall = started.elapsed().as_secs_f64();
    let mut diverged = Vec::new();
    for o in &outcomes {
        if let Some(d) = o.determinism.as_ref().and_then(|c| c.divergence.as_ref()) {
            let p = &plan.points[o.row.point];
            diverged.push(format!(
                "point {} ({}) seed {}: {d} (replay: sim run {} --seed {} {})",
                o.row.point,
                output::point_label(&plan, p),
                o.row.seed,
                spec.base_path.display(),
                o.row.seed,
                p.overrides
                    .iter()
                    .map(|s| format!("--set '{s}'"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
    let perf_rows = outcomes.iter().map(|o| o.perf.clone()).collect();
    let rows = outcomes.into_iter().map(|o| o.row).collect();
    let result = sweep::SweepResult::new(&plan, a.shard, rows);
    let perf = output::SweepPerf::new(perf_rows, Some(wall), Some(threads));
    match sweep::write_into(prepared, &result, &perf) {
        Ok(c) => print_outdir_warnings(&c),
        Err(e) => return fail(&e),
    }
    if !a.quiet && result.shard.is_none() {
        println!("{}", result.summary_table());
    }
    eprintln!(
        "wrote {}  |  {:.2} s wall, {:.2} s of runs on {threads} thread(s)",
        out.display(),
        wall,
        perf.runs_wall_time_s
    );
    determinism_verdict(a.check_determinism, perf.rows.len(), &diverged)
}

fn determinism_verdict(checked: bool, runs: usize, diverged: &[String]) -> ExitCode {
    if !checked {
        return ExitCode::SUCCESS;
    }
    if diverged.is_empty() {
        eprintln!(
            "determinism: ok, every one of the {runs} runs gave the same events and report twice"
        );
        return ExitCode::SUCCESS;
    }
    for d in diverged {
        eprintln!("determinism: FAILED: {d}");
    }
    eprintln!(
        "determinism: {} of {runs} runs did not reproduce",
        diverged.len()
    );
    ExitCode::from(1)
}

/// Merges sweep output directories (the shards of one sweep) into the whole sweep's output.
pub fn merge(dirs: &[PathBuf], out: Option<PathBuf>, quiet: bool) -> ExitCode {
    let (result, perf) = match sweep::merge(dirs) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let out = out.unwrap_or_else(|| Path::new("reports/sweeps").join(&result.sweep));
    let prepared = match outdir::prepare(&out, &output::SWEEP_OUTPUT) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    // Replacing a directory that holds an input would delete the shard being merged.
    for d in dirs {
        if std::fs::canonicalize(d).is_ok_and(|d| d.starts_with(prepared.target())) {
            return fail(&format!(
                "{}: refusing to write the merged output there: it holds the input {}",
                out.display(),
                d.display()
            ));
        }
    }
    print_outdir_notes(&prepared);
    match sweep::write_into(prepared, &result, &perf) {
        Ok(c) => print_outdir_warnings(&c),
        Err(e) => return fail(&e),
    }
    if !quiet {
        println!("{}", result.summary_table());
    }
    eprintln!(
        "merged {} output(s) of sweep {} ({} rows) into {}",
        dirs.len(),
        result.sweep,
        result.rows.len(),
        out.display()
    );
    ExitCode::SUCCESS
}
