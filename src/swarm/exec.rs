//! Running a swarm: the indices of a shard, the rayon pool, one scenario per job (drawn,
//! run, judged, and shrunk when it fails), the rows in index order whatever the thread
//! count.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use toml::Table;

use super::check::{check_text, Figures};
use super::draw::{draw, to_text};
use super::features::{config_tags, fault_classes, features, FEATURE_COLUMNS};
use super::property::{Property, Verdict};
use super::shrink::{shrink, Shrunk};
use super::spec::{SwarmError, SwarmSpec};
use crate::sweep::Shard;

/// How to run a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The swarm seed: scenario `k` depends only on it and `k`.
    pub seed: u64,
    /// Scenarios `0..count`.
    pub count: u64,
    /// Only the indices `k` with `k mod N = K - 1`.
    pub shard: Option<Shard>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Shrink every failure (within the spec's `shrink_runs`).
    pub shrink: bool,
}

/// The indices this process runs, ascending.
pub fn indices(count: u64, shard: Option<Shard>) -> Vec<u64> {
    (0..count)
        .filter(|&k| shard.is_none_or(|s| s.holds(k as usize)))
        .collect()
}

/// One scenario of the swarm, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioRow {
    pub index: u64,
    /// The scenario's own `seed`.
    pub seed: u64,
    /// The drawn document.
    pub doc: Table,
    /// One per [`Property::ALL`].
    pub verdicts: [Verdict; 4],
    pub figures: Option<Figures>,
    /// One per [`FEATURE_COLUMNS`] entry (empty strings for an invalid draw).
    pub features: Vec<String>,
    pub faults: Vec<&'static str>,
    pub tags: Vec<&'static str>,
    /// The shrunk reproducer of each failed property (with shrinking on).
    pub shrunk: Vec<(Property, Shrunk)>,
    /// Wall time of the job (s): not written to `swarm.csv`.
    pub wall_s: f64,
}

impl ScenarioRow {
    /// The failed properties with their messages.
    pub fn failures(&self) -> Vec<(Property, &str)> {
        Property::ALL
            .iter()
            .zip(&self.verdicts)
            .filter_map(|(&p, v)| match v {
                Verdict::Fail(m) => Some((p, m.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// The path a drawn document is loaded as (for messages; nothing is read from it).
pub fn origin(spec: &SwarmSpec, doc: &Table) -> PathBuf {
    let name = doc.get("name").and_then(|v| v.as_str()).unwrap_or("swarm");
    spec.file.with_file_name(format!("{name}.toml"))
}

/// The properties the spec checks (`runs` always).
pub fn properties(spec: &SwarmSpec) -> Vec<Property> {
    let mut v: Vec<Property> = spec
        .properties
        .iter()
        .filter_map(|s| Property::from_name(s))
        .collect();
    v.push(Property::Runs);
    v
}

/// Draws, runs and judges scenario `index`.
pub fn run_one(spec: &SwarmSpec, opts: &Options, index: u64) -> ScenarioRow {
    let started = Instant::now();
    let drawn = draw(spec, opts.seed, index);
    let doc = drawn.doc;
    let seed = doc
        .get("seed")
        .and_then(|v| v.as_integer())
        .unwrap_or_default() as u64;
    let props = properties(spec);
    let twice = spec.determinism_every > 0 && index.is_multiple_of(spec.determinism_every);
    let origin = origin(spec, &doc);
    let na = || Verdict::NotApplicable;
    let mut row = match check_text(&to_text(&doc), &origin, &props, twice) {
        Ok(c) => ScenarioRow {
            index,
            seed,
            features: features(&c.scenario),
            faults: fault_classes(&c.scenario),
            tags: config_tags(&c.scenario),
            doc,
            verdicts: c.verdicts,
            figures: c.figures,
            shrunk: Vec::new(),
            wall_s: 0.0,
        },
        Err(e) => ScenarioRow {
            index,
            seed,
            doc,
            verdicts: [
                na(),
                na(),
                na(),
                Verdict::Fail(format!(
                    "the drawn scenario is invalid (a swarm generator bug): {e}"
                )),
            ],
            figures: None,
            features: vec![String::new(); FEATURE_COLUMNS.len()],
            faults: Vec::new(),
            tags: Vec::new(),
            shrunk: Vec::new(),
            wall_s: 0.0,
        },
    };
    if opts.shrink && spec.shrink_runs > 0 && !row.features[0].is_empty() {
        let fails: Vec<(Property, String)> = row
            .failures()
            .into_iter()
            .map(|(p, m)| (p, m.to_string()))
            .collect();
        for (p, m) in fails {
            let s = shrink(&row.doc, &origin, p, &m, spec.shrink_runs);
            row.shrunk.push((p, s));
        }
    }
    row.wall_s = started.elapsed().as_secs_f64();
    row
}

/// Runs the scenarios of `opts` on a pool of `opts.threads` threads, calling `on_done`
/// after each; the rows come back in index order.
///
/// # Errors
/// The thread pool cannot be started.
pub fn run(
    spec: &SwarmSpec,
    opts: &Options,
    on_done: &(dyn Fn(&ScenarioRow) + Sync),
) -> Result<Vec<ScenarioRow>, SwarmError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| SwarmError::new(&spec.file, format!("cannot start threads: {e}")))?;
    let idx = indices(opts.count, opts.shard);
    Ok(pool.install(|| {
        idx.par_iter()
            .with_max_len(1)
            .map(|&k| {
                let r = run_one(spec, opts, k);
                on_done(&r);
                r
            })
            .collect()
    }))
}
