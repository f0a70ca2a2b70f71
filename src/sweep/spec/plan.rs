//! The grid of a sweep: every point loaded and validated through the scenario loader with
//! its `--set` overrides, the memory estimate and `config_hash` of each, and the sweep's hash.
//!
//! Names the checked sweep file ([`super::file`]), the scenario loader and the memory budget;
//! never runs anything.

use std::path::Path;

use sha2::{Digest, Sha256};
use toml::de::DeTable;

use super::file::{display, literal, syntax, File, SweepSpec};
use crate::io_limits::{self, read_capped_string};
use crate::scenario::{self, Loaded};
use crate::sweep::error::SweepError;

/// One point of the grid: a value per swept key. Its scenario was loaded and validated when
/// the plan was made; [`Plan::load_point`] loads it again for a run (points keep no scenario,
/// so a grid of many points of a large base scenario stays small).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// 0-based index in grid order.
    pub index: usize,
    /// Index into each [`Param::values`](super::Param::values), aligned with [`SweepSpec::params`].
    pub value_index: Vec<usize>,
    /// Every override applied to the base scenario: `[set]` then the swept keys.
    pub overrides: Vec<String>,
    /// The point's scenario `config_hash` (see `scenario::Loaded::config_hash`).
    pub config_hash: String,
    /// Estimated peak resident bytes of one run of the point (`budget::Estimate::total_bytes`).
    pub memory_bytes: u64,
}

/// A sweep ready to run: the spec, every point loaded and validated, and the sweep's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub spec: SweepSpec,
    pub points: Vec<Point>,
    /// The base scenario's text, as read when the plan was made (points are loaded from it).
    pub base_text: String,
    /// Lowercase hex SHA-256 of the sweep's definition: crate version, name, seeds,
    /// metrics, `[set]`, swept keys and values, and every point's `config_hash` (which covers
    /// the resolved scenario, so an edited base scenario changes it too). Shards of one
    /// sweep share it; `sim merge` refuses shards whose hashes differ.
    pub hash: String,
}

impl Plan {
    /// The scenario of point `p`: the base text with the point's overrides (seed: the base's;
    /// each run sets its own). Same as when the plan was made, unless the region matrix file
    /// changed since.
    ///
    /// # Errors
    /// A [`SweepError`] naming the sweep file and the point, with the loader's message.
    pub fn load_point(&self, p: &Point) -> Result<Loaded, SweepError> {
        scenario::load_str(&self.base_text, &self.spec.base_path, None, &p.overrides).map_err(|e| {
            SweepError::new(
                &self.spec.file,
                format!("point {} ({}): {e}", p.index, p.overrides.join(", ")),
            )
            .at("sweep", None)
        })
    }

    /// Runs in the whole sweep: points × seeds.
    pub fn runs(&self) -> usize {
        self.points.len() * self.spec.seeds.len()
    }

    /// The values of point `p` (aligned with the params).
    pub fn values_of(&self, p: &Point) -> Vec<&toml::Value> {
        self.spec
            .params
            .iter()
            .zip(&p.value_index)
            .map(|(param, &i)| &param.values[i])
            .collect()
    }
}

/// Reads the sweep file at `path` and loads it with [`load_str`].
///
/// # Errors
/// A [`SweepError`] naming `path` when it cannot be read, else as [`load_str`].
pub fn load(path: &Path) -> Result<Plan, SweepError> {
    let source = read_capped_string(path, io_limits::SWEEP_FILE_BYTES, "a sweep file")
        .map_err(|e| SweepError::new(path, e.to_string()))?;
    load_str(&source, path)
}

/// Loads a sweep from `source`, the text of the file at `origin`: parses and checks every
/// key, reads the base scenario, loads it with `[set]` alone, then once per point of the
/// grid with `[set]` and the point's values as `--set` overrides, and hashes the result.
///
/// # Errors
/// A [`SweepError`] naming `origin`, the line and key (`seeds`, `sweep.network.loss`) and
/// what is wrong: TOML syntax, unknown or missing keys, wrong types, empty lists, bad ranges,
/// duplicate keys or values, unknown metrics, an unreadable base scenario, or a point the
/// scenario loader rejects (with its message, which names the base file and the `--set`).
pub fn load_str(source: &str, origin: &Path) -> Result<Plan, SweepError> {
    let doc = DeTable::parse(source).map_err(|e| syntax(origin, source, &e))?;
    let table: toml::Table = toml::from_str(source).map_err(|e| syntax(origin, source, &e))?;
    let file = File {
        origin,
        source,
        doc: doc.get_ref(),
    };
    let spec = file.spec(&table)?;

    let base_line = file.line(&["base"]);
    let base_text = read_capped_string(
        &spec.base_path,
        io_limits::SCENARIO_BYTES,
        "a scenario file",
    )
    .map_err(|e| {
        let what = if e.is_too_large() { "" } else { "cannot read " };
        file.err(
            "base",
            base_line,
            format!(
                "{what}base scenario \"{}\": {}",
                spec.base_path.display(),
                e.reason()
            ),
        )
    })?;
    // `[set]` alone first, so that its errors (and the base's own) are named as such.
    scenario::load_str(&base_text, &spec.base_path, None, &spec.set).map_err(|e| {
        let (key, line) = match &e.set {
            Some(s) => {
                let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
                let segs: Vec<&str> = std::iter::once("set").chain(k.split('.')).collect();
                (format!("set.{k}"), file.line(&segs).or(file.line(&["set"])))
            }
            None => ("base".to_string(), base_line),
        };
        file.err(key, line, format!("the base scenario does not load: {e}"))
    })?;

    let mut points = Vec::new();
    let mut index = vec![0usize; spec.params.len()];
    let mut regions = scenario::RegionCache::default();
    loop {
        let mut overrides = spec.set.clone();
        for (p, &i) in spec.params.iter().zip(&index) {
            overrides.push(format!("{}={}", p.key, literal(&p.values[i])));
        }
        let loaded =
            scenario::load_str_cached(&base_text, &spec.base_path, None, &overrides, &mut regions)
                .map_err(|e| point_error(&file, &spec, points.len(), &index, &e))?;
        points.push(Point {
            index: points.len(),
            value_index: index.clone(),
            overrides,
            memory_bytes: crate::budget::estimate(&loaded).total_bytes(),
            config_hash: loaded.config_hash,
        });
        // Odometer: the last key varies fastest.
        let mut k = spec.params.len();
        loop {
            if k == 0 {
                let hash = hash(&spec, &points);
                return Ok(Plan {
                    spec,
                    points,
                    base_text,
                    hash,
                });
            }
            k -= 1;
            index[k] += 1;
            if index[k] < spec.params[k].values.len() {
                break;
            }
            index[k] = 0;
        }
    }
}

fn point_error(
    file: &File,
    spec: &SweepSpec,
    point: usize,
    index: &[usize],
    e: &scenario::ScenarioError,
) -> SweepError {
    let values: Vec<String> = spec
        .params
        .iter()
        .zip(index)
        .map(|(p, &i)| format!("{}={}", p.key, literal(&p.values[i])))
        .collect();
    let total: usize = spec.params.iter().map(|p| p.values.len()).product();
    let set_key = e
        .set
        .as_deref()
        .map(|s| s.split_once('=').map_or(s, |(k, _)| k).trim().to_string());
    let (key, line, what) = match set_key
        .as_deref()
        .and_then(|k| spec.params.iter().position(|p| p.key == k))
    {
        Some(pi) => {
            let p = &spec.params[pi];
            (
                format!("sweep.{}", p.key),
                p.line,
                format!("value {}", literal(&p.values[index[pi]])),
            )
        }
        None => (
            "sweep".to_string(),
            file.line(&["sweep"]),
            "the combination".to_string(),
        ),
    };
    file.err(
        key,
        line,
        format!(
            "{what} is rejected at point {point} (0-based, of {total}: {}): {e}",
            values.join(", ")
        ),
    )
}

fn hash(spec: &SweepSpec, points: &[Point]) -> String {
    let params: Vec<serde_json::Value> = spec
        .params
        .iter()
        .map(|p| serde_json::json!([p.key, p.values]))
        .collect();
    let def = serde_json::json!({
        "sdsim_version": env!("CARGO_PKG_VERSION"),
        "name": spec.name,
        "seeds": spec.seeds,
        "metrics": spec.metrics,
        "set": spec.set,
        "parameters": params,
        "points": points.iter().map(|p| p.config_hash.as_str()).collect::<Vec<_>>(),
    });
    let digest = Sha256::digest(def.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The values of `plan`'s point `p` for people (`network.loss=0.01, protocol=sds`).
pub fn point_label(plan: &Plan, p: &Point) -> String {
    plan.spec
        .params
        .iter()
        .zip(plan.values_of(p))
        .map(|(param, v)| format!("{}={}", param.key, display(v)))
        .collect::<Vec<_>>()
        .join(", ")
}
