//! `sim`: the command-line interface (DESIGN.md "CLI contract"). Parsing, calling the library,
//! mapping errors to exit codes: 0 ok, 1 a check found a regression, 2 bad usage or bad input.

mod swarm_cmd;
mod sweep_cmd;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use sdsim::engine::run::Observe;
use sdsim::names::escape_controls;
use sdsim::outdir;
use sdsim::report::{self, Perf, RunArtifacts};
use sdsim::scenario;
use sdsim::time::US_PER_S;

#[derive(Parser)]
#[command(
    name = "sim",
    version,
    about = "Deterministic network simulator for the SDS reliability protocol"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario and write its report directory.
    Run {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Seed of every random stream (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a scenario key: `--set network.loss=0.05` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Output directory. Default: `reports/runs/<scenario>-seed<N>/`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar and no summary table.
        #[arg(long)]
        quiet: bool,
        /// Run twice and compare a running hash of every event and the reports; on a
        /// difference print the first simulated time where the runs differ and exit 1.
        #[arg(long)]
        check_determinism: bool,
        /// Refuse to run (exit 2) when the run's estimated memory exceeds SIZE (8G, 500M,
        /// `none`). Default: the available memory (MemAvailable).
        #[arg(long, value_name = "SIZE", value_parser = sdsim::budget::parse_size)]
        max_memory: Option<u64>,
        /// Also write deliveries.csv: one row per expected delivery (message, receiver,
        /// publish and delivery time, how it arrived).
        #[arg(long)]
        deliveries: bool,
        /// Also write timeseries.csv: every participant every report_interval (delivered,
        /// buffered, bytes up/down, online).
        #[arg(long)]
        timeseries: bool,
        /// Also write message_trace.csv: every event in the life of one message (its id
        /// from messages.csv, a hex prefix of it, or a scripted label).
        #[arg(long, value_name = "ID")]
        trace_message: Option<String>,
    },
    /// Run a parameter sweep (a base scenario, a grid of overrides, seeds) in parallel.
    Sweep {
        /// Sweep file (TOML): base scenario, grid of swept keys, seeds, metrics.
        sweep: PathBuf,
        /// Worker threads. Default: one per core; at most the number of CPUs. Results do not
        /// depend on it.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Refuse to run (exit 2) when the runs going at once (the largest points, one per
        /// thread) need more estimated memory than SIZE (8G, 500M, `none`). Default: the
        /// available memory (MemAvailable).
        #[arg(long, value_name = "SIZE", value_parser = sdsim::budget::parse_size)]
        max_memory: Option<u64>,
        /// Run only the K-th (1-based) of N interleaved slices of the runs; merge the
        /// shards' directories with `sim merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<sdsim::sweep::Shard>,
        /// Output directory. Default: `reports/sweeps/<sweep>/` (a shard:
        /// `reports/sweeps/<sweep>-shard<K>of<N>/`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run every point and seed twice and compare (see `run --check-determinism`).
        #[arg(long)]
        check_determinism: bool,
        /// Check the sweep file and every point, list the runs, run nothing.
        #[arg(long)]
        dry_run: bool,
        /// No progress bar and no summary table.
        #[arg(long)]
        quiet: bool,
    },
    /// Draw random fault mixes from a swarm file, run them in parallel, check the safety,
    /// liveness and determinism properties, write and shrink failures; exit 1 if any failed.
    Swarm {
        /// Swarm file (TOML): ranges and fault kinds to draw (scenarios/swarm/README.md).
        spec: Option<PathBuf>,
        /// Swarm seed: scenario k depends only on it and k.
        #[arg(long)]
        seed: Option<u64>,
        /// Scenarios to draw (0 .. N-1).
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Worker threads. Default: one per core. Results do not depend on it.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Run only the scenarios k with k mod N = K - 1.
        #[arg(long, value_name = "K/N")]
        shard: Option<sdsim::sweep::Shard>,
        /// Output directory. Default: `reports/swarms/<swarm>-seed<S>/`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not shrink failures.
        #[arg(long)]
        no_shrink: bool,
        /// Shrink this failing scenario file instead (writes `<stem>-min.toml` beside it).
        #[arg(long, value_name = "FILE")]
        shrink: Option<PathBuf>,
        /// With --shrink: the property to keep failing (default: the first that fails).
        #[arg(long, value_name = "NAME")]
        property: Option<String>,
        /// Simulation runs one shrink may use (default: the swarm file's shrink_runs; 100
        /// with --shrink).
        #[arg(long, value_name = "N")]
        shrink_runs: Option<u32>,
        /// No progress bar and no summary table.
        #[arg(long)]
        quiet: bool,
    },
    /// Merge sweep shard directories into the output of the whole sweep.
    Merge {
        /// Shard output directories (from `sim sweep --shard K/N`), in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory. Default: `reports/sweeps/<sweep>/`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// No summary table.
        #[arg(long)]
        quiet: bool,
    },
    /// Check a scenario file (schema, values, referenced files) without running it.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Override a scenario key, as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Compare two reports metric by metric; exit 1 if the candidate regressed.
    Compare {
        /// The reference `report.json`.
        baseline: PathBuf,
        /// The `report.json` judged against it.
        candidate: PathBuf,
        /// TOML file overriding per-metric tolerances and directions (reports/README.md).
        #[arg(long, value_name = "FILE")]
        tolerances: Option<PathBuf>,
        /// Show only the metrics that changed.
        #[arg(long)]
        changed: bool,
    },
    /// Run the committed baselines (reports/baselines/) and compare; exit 1 on a regression.
    Check {
        /// Only these baselines (directory names); all by default.
        names: Vec<String>,
        /// Rewrite every baseline's report.json from a fresh run (deliberate changes).
        #[arg(long)]
        update: bool,
        /// Baselines directory.
        #[arg(long, default_value = sdsim::check::DEFAULT_DIR)]
        dir: PathBuf,
        /// TOML file overriding tolerances (default: `<dir>/tolerances.toml` if present).
        #[arg(long, value_name = "FILE")]
        tolerances: Option<PathBuf>,
    },
    /// Inspect or craft SDS wire messages (JSON <-> protobuf hex).
    Wire {
        #[command(subcommand)]
        cmd: WireCmd,
    },
    /// Work with adapters (SDS implementations in other programs, docs/adapter-protocol.md).
    Adapter {
        #[command(subcommand)]
        cmd: AdapterCmd,
    },
}

#[derive(Subcommand)]
enum AdapterCmd {
    /// Run the conformance suite against an adapter: `sim adapter check -- PROG ARGS...`.
    /// Prints pass/FAIL per check; exit 0 if all pass, 1 if any fails.
    Check {
        /// Wall-clock limit of one call to the adapter.
        #[arg(long, default_value = "30s", value_name = "DURATION")]
        timeout: String,
        /// The adapter program and its arguments (after `--`).
        #[arg(last = true, required = true, value_name = "PROG ARGS")]
        command: Vec<String>,
    },
}

#[derive(Subcommand)]
enum WireCmd {
    /// Decode an SDS message and print it as JSON.
    Decode {
        /// Hex (whitespace and `0x` allowed), or `@FILE` holding hex text or raw bytes.
        input: String,
    },
    /// Encode a JSON message (the shape `decode` prints) and print its hex.
    Encode {
        /// JSON text, or `@FILE` holding it.
        input: String,
    },
}

/// mimalloc (through `sdsim::alloc`): the run allocates and frees millions of small buffers (decoded ids, events);
/// glibc malloc spent about 8% of instructions on them (callgrind) and fragmented the heap.
#[global_allocator]
static GLOBAL: sdsim::alloc::Allocator = sdsim::alloc::Allocator;

fn main() -> ExitCode {
    sdsim::alloc::keep_freed_pages();
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            scenario,
            seed,
            set,
            out,
            quiet,
            check_determinism,
            max_memory,
            deliveries,
            timeseries,
            trace_message,
        } => run(
            &scenario,
            seed,
            &set,
            out,
            RunFlags {
                quiet,
                check_determinism,
                max_memory,
                deliveries,
                observe: Observe {
                    trace_message,
                    timeseries,
                },
            },
        ),
        Command::Sweep {
            sweep,
            jobs,
            shard,
            out,
            check_determinism,
            dry_run,
            quiet,
            max_memory,
        } => sweep_cmd::sweep(sweep_cmd::SweepArgs {
            file: sweep,
            jobs,
            max_memory,
            shard,
            out,
            check_determinism,
            dry_run,
            quiet,
        }),
        Command::Swarm {
            spec,
            seed,
            count,
            jobs,
            shard,
            out,
            no_shrink,
            shrink,
            property,
            shrink_runs,
            quiet,
        } => swarm_cmd::swarm(swarm_cmd::SwarmArgs {
            spec,
            seed,
            count,
            jobs,
            shard,
            out,
            no_shrink,
            shrink,
            property,
            shrink_runs,
            quiet,
        }),
        Command::Merge { dirs, out, quiet } => sweep_cmd::merge(&dirs, out, quiet),
        Command::Validate { scenario, set } => match scenario::load(&scenario, None, &set) {
            Ok(l) => {
                print_advice(&scenario, &l.scenario);
                println!(
                    "{}: ok ({} participants, protocol {}, config_hash {})",
                    scenario.display(),
                    l.scenario.participants,
                    l.scenario.protocol,
                    l.config_hash
                );
                let estimate = sdsim::budget::estimate(&l);
                let available = match sdsim::budget::available_memory_bytes() {
                    Some(a) if estimate.total_bytes() > a => format!(
                        "; more than the {} available now: `sim run` would refuse it",
                        sdsim::budget::human(a as f64)
                    ),
                    Some(a) => format!("; {} available now", sdsim::budget::human(a as f64)),
                    None => String::new(),
                };
                println!("memory estimate: {}{available}", estimate.summary());
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Compare {
            baseline,
            candidate,
            tolerances,
            changed,
        } => compare(&baseline, &candidate, tolerances.as_deref(), changed),
        Command::Check {
            names,
            update,
            dir,
            tolerances,
        } => {
            let opts = sdsim::check::Options {
                dir,
                update,
                names,
                tolerances,
            };
            match sdsim::check::run(&opts, &mut std::io::stdout()) {
                Ok(o) if o.failed.is_empty() => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(1),
                Err(e) => fail(&e),
            }
        }
        Command::Wire { cmd } => wire(cmd),
        Command::Adapter {
            cmd: AdapterCmd::Check { timeout, command },
        } => adapter_check(&timeout, &command),
    }
}

#[cfg(target_os = "linux")]
fn adapter_check(timeout: &str, command: &[String]) -> ExitCode {
    let timeout = match timeout.parse::<scenario::SimDuration>() {
        Ok(t) if !t.is_zero() => std::time::Duration::from_micros(t.as_micros()),
        Ok(_) => return fail(&"--timeout must be greater than 0s"),
        Err(e) => return fail(&format!("--timeout: {e}")),
    };
    let mut out = std::io::stdout();
    match sdsim::driver::external::check::run(command, timeout, &mut out) {
        Ok(results) if results.iter().all(|o| o.informational || o.result.is_ok()) => {
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::from(1),
        Err(e) => fail(&format!("writing to stdout: {e}")),
    }
}

#[cfg(not(target_os = "linux"))]
fn adapter_check(_timeout: &str, _command: &[String]) -> ExitCode {
    fail(&"adapters need Linux")
}

fn compare(
    baseline: &std::path::Path,
    candidate: &std::path::Path,
    tolerances: Option<&std::path::Path>,
    changed: bool,
) -> ExitCode {
    use sdsim::report::compare as cmp;
    let loaded = (|| {
        let policy = match tolerances {
            Some(p) => cmp::Policy::from_file(p)?,
            None => cmp::Policy::builtin(),
        };
        let baseline = cmp::report_path(baseline)?;
        let candidate = cmp::report_path(candidate)?;
        Ok::<_, cmp::CompareError>((
            cmp::load_report(&baseline)?,
            cmp::load_report(&candidate)?,
            policy,
            baseline,
            candidate,
        ))
    })();
    let (b, c, policy, baseline, candidate) = match loaded {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let result = match cmp::compare_reports(&b, &baseline, &c, &candidate, &policy) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    for w in &result.warnings {
        eprintln!("warning: {}", escape_controls(w));
    }
    let text = format!("{}{}", result.table(changed), result.verdict_line());
    // Metric names come from the files: no control character reaches the terminal.
    let text: Vec<_> = text.lines().map(escape_controls).collect();
    let text = text.join("\n");
    if let Err(e) = writeln!(std::io::stdout(), "{text}") {
        return fail(&format!("writing to stdout: {e}"));
    }
    if result.regressions().count() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn wire(cmd: WireCmd) -> ExitCode {
    let result = match cmd {
        WireCmd::Decode { input } => sdsim::wire_json::decode_command(&input),
        WireCmd::Encode { input } => sdsim::wire_json::encode_command(&input),
    };
    match result {
        // writeln!, not println!: a closed stdout (`| head -c1`) is an error, not a panic.
        Ok(text) => match writeln!(std::io::stdout(), "{text}") {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("writing to stdout: {e}")),
        },
        Err(e) => fail(&e),
    }
}

/// Prints `error: E` (control characters escaped: messages quote user input) and gives
/// exit code 2.
fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {}", escape_controls(&e.to_string()));
    ExitCode::from(2)
}

/// One stderr line when preparing an output directory cleaned up after killed runs.
fn print_outdir_notes(p: &outdir::Prepared) {
    if !p.notes().is_empty() {
        eprintln!(
            "{}: cleaned up after an interrupted earlier run: {}",
            escape_controls(&p.path().display().to_string()),
            p.notes().join("; ")
        );
    }
}

/// The warnings of a commit (an old output that could not be deleted), one line each.
fn print_outdir_warnings(c: &outdir::Committed) {
    for w in &c.warnings {
        eprintln!("warning: {w}");
    }
}

/// The memory limit of `--max-memory`, else the available memory; `None` (no limit, with a
/// warning) when neither is known.
fn memory_limit(flag: Option<u64>) -> Option<(u64, sdsim::budget::LimitSource)> {
    use sdsim::budget::{available_memory_bytes, LimitSource};
    match flag {
        Some(b) => Some((b, LimitSource::Flag)),
        None => match available_memory_bytes() {
            Some(b) => Some((b, LimitSource::Available)),
            None => {
                eprintln!(
                    "warning: cannot read MemAvailable from /proc/meminfo: no memory limit \
                     (set one with --max-memory)"
                );
                None
            }
        },
    }
}

/// Prints the scenario's warnings about settings known to lose messages (stderr).
fn print_advice(path: &std::path::Path, sc: &scenario::Scenario) {
    for a in scenario::advice(sc) {
        eprintln!("warning: {}: {a}", path.display());
    }
}

/// `sim run`'s flags besides the scenario, seed, overrides and output directory.
struct RunFlags {
    quiet: bool,
    check_determinism: bool,
    max_memory: Option<u64>,
    deliveries: bool,
    observe: Observe,
}

/// Checks `--trace-message` before simulating: a scripted label of the scenario, or a hex
/// message id (or a prefix of one, at least 4 digits).
fn check_trace_target(
    path: &std::path::Path,
    sc: &scenario::Scenario,
    t: &str,
) -> Result<(), String> {
    let labelled = sc
        .workload
        .publish
        .iter()
        .filter_map(|p| p.label.as_deref())
        .any(|l| {
            t == l
                || t.strip_prefix(l)
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|k| k.parse::<u32>().is_ok())
        });
    if labelled || (t.len() >= 4 && t.chars().all(|c| c.is_ascii_hexdigit())) {
        return Ok(());
    }
    Err(format!(
        "{}: --trace-message {t:?}: not a scripted label of this scenario nor a hex message id \
         (or a prefix of one, at least 4 digits); message ids are in messages.csv of a run",
        path.display()
    ))
}

fn run(
    path: &std::path::Path,
    seed: Option<u64>,
    set: &[String],
    out: Option<PathBuf>,
    flags: RunFlags,
) -> ExitCode {
    let RunFlags {
        quiet,
        check_determinism,
        max_memory,
        deliveries,
        observe,
    } = flags;
    let loaded = match scenario::load(path, seed, set) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if let Some(t) = &observe.trace_message {
        if let Err(e) = check_trace_target(path, &loaded.scenario, t) {
            return fail(&e);
        }
    }
    if let Some((limit, source)) = memory_limit(max_memory) {
        let estimate = sdsim::budget::estimate(&loaded);
        if let Err(e) = sdsim::budget::check(&estimate, limit, source) {
            return fail(&format!("{}: {e}", path.display()));
        }
    }
    let sc = &loaded.scenario;
    let out = out.unwrap_or_else(|| {
        PathBuf::from("reports/runs").join(format!("{}-seed{}", sc.name, sc.seed))
    });
    // Before simulating: refusals, lock, leftovers of killed runs, writability.
    let prepared = match outdir::prepare(&out, &report::RUN_OUTPUT) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    print_outdir_notes(&prepared);
    print_advice(path, sc);
    let replay = report::replay_command(path, sc.seed, set);
    eprintln!(
        "{}: {} participants, protocol {}, seed {} (replay: {replay})",
        sc.name, sc.participants, sc.protocol, sc.seed
    );

    let total_s = (sc.duration.as_micros() + sc.drain.as_micros()) / US_PER_S;
    let runs = if check_determinism { 2 } else { 1 };
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        // Drawn only when stderr is a terminal.
        let b = ProgressBar::with_draw_target(Some(total_s * runs), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} simulated s  {elapsed} elapsed")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    let started = Instant::now();
    let calls_before = sdsim::driver::external::calls_on_this_thread();
    let result = if check_determinism {
        sdsim::determinism::check_observed(&loaded, &observe, &mut |i, t| {
            bar.set_position(i as u64 * total_s + t / US_PER_S)
        })
        .map(|(o, r, c)| (o, r, Some(c)))
    } else {
        sdsim::simulate_observed(&loaded, &observe, false, &mut |t| {
            bar.set_position(t / US_PER_S)
        })
        .map(|(o, r)| (o, r, None))
    };
    bar.finish_and_clear();
    let (outcome, report, verdict) = match result {
        Ok(r) => r,
        Err(e) => {
            // A failed adapter's message ends with its stderr lines: keep the line breaks,
            // escape everything else.
            let text = format!("{}: {e}", path.display());
            let lines: Vec<_> = text.lines().map(escape_controls).collect();
            eprintln!("error: {}", lines.join("\n"));
            return ExitCode::from(e.exit_code());
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let calls = sdsim::driver::external::calls_on_this_thread();
    let simulated_s = outcome.end as f64 / US_PER_S as f64;
    let perf = Perf {
        wall_time_s: wall,
        simulated_events: outcome.events,
        // Both runs' events with --check-determinism (the wall time covers both).
        events_per_s: (outcome.events * runs) as f64 / wall.max(1e-9),
        simulated_s,
        sim_to_wall_ratio: simulated_s * runs as f64 / wall.max(1e-9),
        peak_pending_events: outcome.peak_pending_events,
        elided_copies: outcome.elided_copies,
        peak_rss_bytes: report::peak_rss_bytes(),
        adapter_calls: calls.calls - calls_before.calls,
        adapter_call_wall_s: (calls.wall - calls_before.wall).as_secs_f64(),
        adapter_calls_per_s: (calls.calls - calls_before.calls) as f64 / wall.max(1e-9),
        // Both runs with --check-determinism (the wall time covers both).
        floor: Some(report::Floor::estimate(
            outcome.core_receipts * runs,
            (outcome.events - outcome.elided_copies) * runs,
            wall,
        )),
    };
    let regions = sdsim::participant_regions(&loaded);
    let artifacts = RunArtifacts {
        report: &report,
        outcome: &outcome,
        regions: &regions,
        perf: &perf,
        scenario_toml: &loaded.toml,
        command: &replay,
        deliveries,
    };
    match report::write_run_into(prepared, &artifacts) {
        Ok(c) => print_outdir_warnings(&c),
        Err(e) => return fail(&e),
    }
    if !quiet {
        println!("{}", report::summary_table(&report));
    }
    eprintln!(
        "wrote {}  |  {:.2} s wall, {} events ({:.0} events/s), {}x real time, peak RSS {}{}",
        out.display(),
        perf.wall_time_s,
        perf.simulated_events,
        perf.events_per_s,
        real_time_ratio(perf.sim_to_wall_ratio),
        perf.peak_rss_bytes
            .map(report::human_bytes)
            .unwrap_or_else(|| "n/a".into()),
        perf.floor
            .as_ref()
            .map(|f| format!(", floor {:.2} s ({:.1}x)", f.floor_s, f.wall_to_floor_ratio))
            .unwrap_or_default()
    );
    if perf.adapter_calls > 0 {
        eprintln!(
            "adapter: {} calls ({:.0} calls/s), {:.2} s wall inside them",
            perf.adapter_calls, perf.adapter_calls_per_s, perf.adapter_call_wall_s
        );
    }
    if let Some(t) = &outcome.message_trace {
        if t.id.is_empty() {
            eprintln!(
                "error: {}: --trace-message {:?}: no message of this run has this id, id prefix \
                 or label (see messages.csv in {}); no message_trace.csv written",
                path.display(),
                t.target,
                out.display()
            );
            return ExitCode::from(2);
        }
        eprintln!(
            "traced message {} ({} events) in message_trace.csv{}",
            t.id,
            t.lines.len(),
            if t.also_matched > 0 {
                format!(
                    "; the prefix also matched {} later messages",
                    t.also_matched
                )
            } else {
                String::new()
            }
        );
    }
    match verdict {
        None => ExitCode::SUCCESS,
        Some(c) if c.ok() => {
            eprintln!(
                "determinism: ok, two runs gave the same {} events (trace hash {}) and the same report.json",
                c.events, c.trace_hash
            );
            ExitCode::SUCCESS
        }
        Some(c) => {
            eprintln!(
                "determinism: FAILED: {} (replay: {replay})",
                c.divergence.unwrap_or_default()
            );
            ExitCode::from(1)
        }
    }
}

/// Simulated over wall time for the run's summary line: whole numbers from 10 on, else two
/// significant digits (a run slower than real time printed "0x").
fn real_time_ratio(ratio: f64) -> String {
    match ratio {
        r if r >= 10.0 => format!("{r:.0}"),
        r if r >= 1.0 => format!("{r:.1}"),
        r => format!("{r:.2}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn real_time_ratio_keeps_two_digits_below_ten() {
        assert_eq!(super::real_time_ratio(930.4), "930");
        assert_eq!(super::real_time_ratio(4.46), "4.5");
        assert_eq!(super::real_time_ratio(0.462), "0.46");
        assert_eq!(super::real_time_ratio(0.0), "0.00");
    }
}
