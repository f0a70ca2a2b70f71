//! CLI glue of `sim swarm` (part of the `sim` binary, not the library): options, progress
//! bar with failure counts, console lines, exit codes. The work is in `sdsim::swarm`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use sdsim::outdir;
use sdsim::swarm::{self, output, Property, ScenarioRow, Verdict};
use sdsim::sweep::Shard;

use crate::{fail, print_outdir_notes, print_outdir_warnings};

/// `sim swarm` options.
pub struct SwarmArgs {
    pub spec: Option<PathBuf>,
    pub seed: Option<u64>,
    pub count: Option<u64>,
    pub jobs: Option<usize>,
    pub shard: Option<Shard>,
    pub out: Option<PathBuf>,
    pub no_shrink: bool,
    pub shrink: Option<PathBuf>,
    pub property: Option<String>,
    pub shrink_runs: Option<u32>,
    pub quiet: bool,
}

/// Most scenarios one swarm may draw.
const MAX_COUNT: u64 = 10_000_000;

fn threads(jobs: Option<usize>) -> Result<usize, String> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    match jobs {
        Some(0) => Err("--jobs must be at least 1".into()),
        Some(n) if n > cpus => {
            eprintln!("--jobs {n} lowered to {cpus}, the number of CPUs");
            Ok(cpus)
        }
        Some(n) => Ok(n),
        None => Ok(cpus),
    }
}

/// Runs `sim swarm`. Exit codes: 0 every property held; 1 a property failed; 2 bad input.
pub fn swarm(a: SwarmArgs) -> ExitCode {
    if let Some(file) = &a.shrink {
        if a.spec.is_some() {
            return fail(&"give either a swarm file or --shrink FILE, not both");
        }
        return shrink_file(file, a.property.as_deref(), a.shrink_runs);
    }
    let Some(spec_path) = a.spec.clone() else {
        return fail(
            &"give a swarm file (sim swarm SPEC.toml --seed S --count N) or --shrink FILE",
        );
    };
    if a.property.is_some() {
        return fail(&"--property only goes with --shrink FILE");
    }
    let (Some(seed), Some(count)) = (a.seed, a.count) else {
        return fail(&"sim swarm SPEC.toml needs --seed S and --count N");
    };
    if count == 0 || count > MAX_COUNT {
        return fail(&format!("--count must be 1 to {MAX_COUNT}, got {count}"));
    }
    let mut spec = match swarm::load(&spec_path) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Some(r) = a.shrink_runs {
        spec.shrink_runs = r;
    }
    let threads = match threads(a.jobs) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let out = a.out.clone().unwrap_or_else(|| {
        let name = match a.shard {
            Some(s) => format!("{}-seed{seed}-shard{}of{}", spec.name, s.index, s.count),
            None => format!("{}-seed{seed}", spec.name),
        };
        PathBuf::from("reports/swarms").join(name)
    });
    let prepared = match outdir::prepare(&out, &output::SWARM_OUTPUT) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    print_outdir_notes(&prepared);
    let opts = swarm::Options {
        seed,
        count,
        shard: a.shard,
        threads,
        shrink: !a.no_shrink,
    };
    let jobs = swarm::indices(count, a.shard).len();
    eprintln!(
        "swarm {}: {jobs} scenario(s) of {count}{}, seed {seed}, {threads} thread(s), properties {}, shrinking {}",
        spec.name,
        a.shard.map(|s| format!(" (shard {s})")).unwrap_or_default(),
        spec.properties.join(", "),
        if opts.shrink && spec.shrink_runs > 0 {
            format!("on (at most {} runs per failure)", spec.shrink_runs)
        } else {
            "off".into()
        }
    );
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::with_draw_target(Some(jobs as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} scenarios  {elapsed} elapsed, ETA {eta}  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(std::time::Duration::from_secs(1));
        b
    };
    let failed = Mutex::new([0u64; 4]);
    let on_done = |r: &ScenarioRow| {
        if let Ok(mut f) = failed.lock() {
            for (i, v) in r.verdicts.iter().enumerate() {
                if v.failed() {
                    f[i] += 1;
                }
            }
            let msg: Vec<String> = Property::ALL
                .iter()
                .zip(f.iter())
                .map(|(p, n)| format!("{} {n}", p.name()))
                .collect();
            bar.set_message(format!("failed: {}", msg.join(" · ")));
        }
        bar.inc(1);
    };
    let started = Instant::now();
    let rows = match swarm::run(&spec, &opts, &on_done) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let header = output::Header {
        spec: &spec,
        seed,
        count,
        shard: a.shard,
        out: &out,
    };
    match swarm::write_into(prepared, &header, &rows) {
        Ok(c) => print_outdir_warnings(&c),
        Err(e) => return fail(&e),
    }
    if !a.quiet {
        print!("{}", output::summary_text(&header, &rows));
    }
    let failures: usize = rows.iter().map(|r| r.failures().len()).sum();
    let shrink_runs: u32 = rows
        .iter()
        .flat_map(|r| r.shrunk.iter().map(|(_, s)| s.runs))
        .sum();
    eprintln!(
        "wrote {}  |  {:.2} s wall, {:.1} scenarios/s on {threads} thread(s), {} shrink runs, {failures} failure(s)",
        out.display(),
        wall,
        rows.len() as f64 / wall.max(1e-9),
        shrink_runs
    );
    if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The path a shrunk reproducer of `file` is written to: `<stem>-min.toml` beside it.
fn min_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    file.with_file_name(format!("{stem}-min.toml"))
}

/// The first line of every shrunk reproducer (a file starting so may be replaced).
const MIN_HEADER: &str = "# Minimal reproducer of property ";

/// `sim swarm --shrink FILE`: runs the scenario, finds the failing property (or checks the
/// given one), shrinks it and writes `<stem>-min.toml`. Exit 1 when it failed (and was
/// shrunk), 0 when every property held, 2 on bad input.
fn shrink_file(file: &Path, property: Option<&str>, budget: Option<u32>) -> ExitCode {
    let want = match property {
        Some(p) => match Property::from_name(p) {
            Some(p) => Some(p),
            None => {
                return fail(&format!(
                    "--property: unknown property \"{p}\"; expected safety, liveness, determinism or runs"
                ))
            }
        },
        None => None,
    };
    let text = match sdsim::io_limits::read_capped_string(
        file,
        sdsim::io_limits::SCENARIO_BYTES,
        "a scenario file",
    ) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let doc: toml::Table = match toml::from_str(&text) {
        Ok(d) => d,
        Err(e) => return fail(&format!("{}: {e}", file.display())),
    };
    let props = match want {
        Some(p) => vec![p, Property::Runs],
        None => Property::ALL.to_vec(),
    };
    let twice = props.contains(&Property::Determinism);
    let checked = match swarm::check_text(&text, file, &props, twice) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let failing = props.iter().find_map(|&p| match checked.verdict(p) {
        Verdict::Fail(m) => Some((p, m.clone())),
        _ => None,
    });
    let Some((p, msg)) = failing else {
        eprintln!(
            "{}: every property checked held ({}): nothing to shrink",
            file.display(),
            props
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::SUCCESS;
    };
    eprintln!("{}: fails {}: {msg}; shrinking", file.display(), p.name());
    let s = swarm::shrink(&doc, file, p, &msg, budget.unwrap_or(100));
    let target = min_path(file);
    if let Ok(existing) = std::fs::read_to_string(&target) {
        if !existing.starts_with(MIN_HEADER) {
            return fail(&format!(
                "{}: exists and is not a reproducer written by sim swarm; refusing to overwrite it",
                target.display()
            ));
        }
    } else if target.exists() {
        return fail(&format!(
            "{}: exists and cannot be read; refusing to overwrite it",
            target.display()
        ));
    }
    let from = file
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = target
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut text = output::shrunk_text(dir, p, &from, &name, &s);
    // shrunk_text names failures/ under an output directory; here the file sits beside
    // its source.
    let wrong = format!("{}", dir.join("failures").join(&name).display());
    text = text.replacen(
        &sdsim::report::shell_quote(&wrong),
        &sdsim::report::shell_quote(&target.display().to_string()),
        1,
    );
    if let Err(e) = sdsim::report::write_file_atomic(&target, text.as_bytes()) {
        return fail(&e);
    }
    eprintln!(
        "wrote {} ({} step(s), {} run(s))",
        target.display(),
        s.steps.len(),
        s.runs
    );
    ExitCode::from(1)
}
