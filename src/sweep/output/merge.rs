//! Reading sweep outputs back ([`read_dir`]) and merging shards into the whole sweep
//! ([`merge`]): same `sweep_hash`, every row of the grid exactly once, each shard's rows its
//! own; the merged result is completed by [`SweepResult::complete`], as an unsharded run's.
//!
//! Names the result types ([`super::result`]) and the shard; never writes (the caller
//! writes the merged result with `write.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::result::{SweepPerf, SweepResult, SCHEMA_VERSION};
use crate::io_limits::{self, read_capped_json, JsonError};
use crate::sweep::error::SweepError;
use crate::sweep::shard::Shard;

/// Reads `dir/sweep.json` (a shard's or a whole sweep's output).
///
/// # Errors
/// Naming the file: unreadable, not JSON of this layout, or another `schema_version`.
pub fn read_dir(dir: &Path) -> Result<SweepResult, SweepError> {
    let path = dir.join("sweep.json");
    let r: SweepResult = read_capped_json(&path, io_limits::SWEEP_OUTPUT_BYTES, "a sweep output")
        .map_err(|e| {
        SweepError::new(
            &path,
            match e {
                JsonError::Read(e) if e.is_too_large() => e.reason(),
                JsonError::Read(e) => format!("cannot read sweep output: {}", e.reason()),
                JsonError::Parse(e) => format!("not a sweep output: {e}"),
            },
        )
    })?;
    if r.schema_version != SCHEMA_VERSION {
        return Err(SweepError::new(
            &path,
            format!(
                "schema_version {} (this sim reads {SCHEMA_VERSION})",
                r.schema_version
            ),
        ));
    }
    Ok(r)
}

/// Merges sweep outputs (normally the shards of one sweep) into the whole sweep, and their
/// `perf.json` rows (when readable).
///
/// # Errors
/// Naming the directory at fault: an unreadable output; outputs of different sweeps
/// (different `sweep_hash`); a row outside the sweep's grid; rows given twice (listing them
/// and both directories); rows missing (listing them and, for shards, which shard holds them).
pub fn merge(dirs: &[PathBuf]) -> Result<(SweepResult, SweepPerf), SweepError> {
    let Some(first_dir) = dirs.first() else {
        return Err(SweepError::new(
            Path::new("merge"),
            "no directory given: sim merge DIR...",
        ));
    };
    let mut parts = Vec::with_capacity(dirs.len());
    for d in dirs {
        parts.push((d, read_dir(d)?));
    }
    let first = &parts[0].1;
    for (d, p) in &parts[1..] {
        if p.sweep_hash != first.sweep_hash {
            return Err(SweepError::new(
                d,
                format!(
                    "output of a different sweep than {}: sweep \"{}\" (sweep_hash {}) vs \
                     \"{}\" ({}); refusing to merge (same sweep file, base scenario and sim \
                     version needed)",
                    first_dir.display(),
                    p.sweep,
                    &p.sweep_hash[..p.sweep_hash.len().min(12)],
                    first.sweep,
                    &first.sweep_hash[..first.sweep_hash.len().min(12)]
                ),
            ));
        }
    }
    let seeds = &first.seeds;
    let seed_pos: BTreeMap<u64, usize> = seeds.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    for (d, p) in &parts {
        check_shard(d, p, &seed_pos)?;
    }
    let total = first.points.len() * seeds.len();
    let mut owner: Vec<Option<&Path>> = vec![None; total];
    let mut rows = Vec::with_capacity(total);
    let mut duplicates = Vec::new();
    for (d, p) in &parts {
        for r in &p.rows {
            let Some(&si) = seed_pos.get(&r.seed).filter(|_| r.point < p.points.len()) else {
                return Err(SweepError::new(
                    &d.join("sweep.json"),
                    format!(
                        "row point {} seed {} is not in the sweep's grid ({} points, seeds {:?})",
                        r.point,
                        r.seed,
                        p.points.len(),
                        seeds
                    ),
                ));
            };
            let idx = r.point * seeds.len() + si;
            match owner[idx] {
                Some(prev) => duplicates.push(format!(
                    "point {} seed {} (row {idx}) is in both {} and {}",
                    r.point,
                    r.seed,
                    prev.display(),
                    d.display()
                )),
                None => {
                    owner[idx] = Some(d.as_path());
                    rows.push(r.clone());
                }
            }
        }
    }
    if !duplicates.is_empty() {
        return Err(SweepError::new(
            first_dir,
            format!(
                "{} duplicate row(s), e.g. the same shard given twice: {}",
                duplicates.len(),
                list(&duplicates)
            ),
        ));
    }
    let missing: Vec<usize> = (0..total).filter(|&i| owner[i].is_none()).collect();
    if !missing.is_empty() {
        let counts: BTreeSet<usize> = parts
            .iter()
            .filter_map(|(_, p)| p.shard.map(|s| s.count))
            .collect();
        let shard_of = |i: usize| match counts.iter().next() {
            Some(&n) if counts.len() == 1 => format!(", shard {}/{n}", i % n + 1),
            _ => String::new(),
        };
        let items: Vec<String> = missing
            .iter()
            .map(|&i| {
                format!(
                    "point {} seed {} (row {i}{})",
                    i / seeds.len(),
                    seeds[i % seeds.len()],
                    shard_of(i)
                )
            })
            .collect();
        let mut absent = Vec::new();
        if let (1, Some(&n)) = (counts.len(), counts.iter().next()) {
            let given: BTreeSet<usize> = parts
                .iter()
                .filter_map(|(_, p)| p.shard.map(|s| s.index))
                .collect();
            absent = (1..=n)
                .filter(|k| !given.contains(k))
                .map(|k| format!("{k}/{n}"))
                .collect();
        }
        let absent = if absent.is_empty() {
            String::new()
        } else {
            format!(" (shards not given: {})", absent.join(", "))
        };
        let msg = format!(
            "{} of {total} rows missing{absent}: {}",
            missing.len(),
            list(&items)
        );
        return Err(SweepError::new(first_dir, msg));
    }
    let mut merged = parts[0].1.clone();
    merged.rows = rows;
    merged.complete();

    let mut perf_rows = Vec::new();
    for d in dirs {
        let path = d.join("perf.json");
        if let Ok(p) =
            read_capped_json::<SweepPerf>(&path, io_limits::SWEEP_OUTPUT_BYTES, "a sweep output")
        {
            perf_rows.extend(p.rows);
        }
    }
    Ok((merged, SweepPerf::new(perf_rows, None, None)))
}

/// A shard output's own `shard` field is a valid `K/N` and every row it holds belongs to it
/// (row `r` to shard `K/N` iff `r mod N = K - 1`, [`Shard::holds`]).
fn check_shard(
    dir: &Path,
    p: &SweepResult,
    seed_pos: &BTreeMap<u64, usize>,
) -> Result<(), SweepError> {
    let Some(s) = p.shard else {
        return Ok(());
    };
    let path = dir.join("sweep.json");
    if s.count == 0 || s.index == 0 || s.index > s.count {
        return Err(SweepError::new(
            &path,
            format!(
                "shard {}/{} is not a valid shard (K/N with 1 <= K <= N); refusing to merge",
                s.index, s.count
            ),
        ));
    }
    let shard = Shard {
        index: s.index,
        count: s.count,
    };
    for r in &p.rows {
        // Rows outside the grid are reported by the caller.
        let Some(&si) = seed_pos.get(&r.seed) else {
            continue;
        };
        let row = r.point.saturating_mul(seed_pos.len()).saturating_add(si);
        if !shard.holds(row) {
            return Err(SweepError::new(
                &path,
                format!(
                    "row {row} (point {} seed {}) does not belong to shard {shard} (it holds \
                     the rows r with r mod {} = {}); refusing to merge",
                    r.point,
                    r.seed,
                    shard.count,
                    shard.index - 1
                ),
            ));
        }
    }
    Ok(())
}

fn list(items: &[String]) -> String {
    const SHOW: usize = 10;
    let mut s = items
        .iter()
        .take(SHOW)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOW {
        s.push_str(&format!("; and {} more", items.len() - SHOW));
    }
    s
}
