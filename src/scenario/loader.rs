//! Loading a scenario: read, parse, apply `--set` overrides and `--seed`, deserialize,
//! validate, load the region matrix, hash.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{line_of, ErrorKind, ScenarioError};
use super::regions::RegionMatrix;
use super::types::Scenario;
use super::validate::validate;
use crate::io_limits::{self, read_capped_string};

/// A scenario ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The validated scenario: defaults filled, overrides and `--seed` applied, `name` set to
    /// the file stem if the file leaves it empty.
    pub scenario: Scenario,
    /// Directory of the scenario file (`.` for a bare file name); relative paths inside the
    /// scenario (e.g. `network.latency.regions`) are resolved against it.
    pub base_dir: PathBuf,
    /// Lowercase hex SHA-256 (64 chars) of the canonical JSON of `scenario` (serde_json,
    /// fields in declaration order, durations in canonical form) **with `seed` set to 0**, so
    /// runs of one configuration under different seeds share a hash. It covers the region
    /// matrix *path*, not the matrix file's contents.
    pub config_hash: String,
    /// The parsed region RTT matrix when `network.latency.regions` is set.
    pub regions: Option<RegionMatrix>,
    /// The TOML text the scenario was deserialized from: the file's text as read, or, with
    /// `--set` overrides, the overridden document re-serialized (comments dropped). `--seed`
    /// is not reflected in it. Echoed in `report.html`.
    pub toml: String,
}

/// Reads `path` and loads it with [`load_str`].
///
/// # Errors
/// [`ErrorKind::Io`] naming the file and the OS reason when it cannot be read, is not UTF-8,
/// or is larger than [`io_limits::SCENARIO_BYTES`]; otherwise whatever [`load_str`] reports.
pub fn load(path: &Path, seed: Option<u64>, overrides: &[String]) -> Result<Loaded, ScenarioError> {
    let source = read_capped_string(path, io_limits::SCENARIO_BYTES, "a scenario file")
        .map_err(|e| ScenarioError::new(path, ErrorKind::Io, e.to_string()))?;
    load_str(&source, path, seed, overrides)
}

/// Loads a scenario from `source`, the text of the file at `origin`.
///
/// Steps: parse the TOML; apply each `overrides` entry (`KEY=VALUE`, in order, later ones
/// win; see below); set `seed` if given; deserialize into [`Scenario`] (unknown keys and
/// wrong types are errors); fill an empty `name` with `origin`'s file stem; validate every
/// range and cross-field rule of `scenarios/README.md`; read the region matrix named by
/// `network.latency.regions` relative to `origin`'s directory; compute `config_hash`.
///
/// Overrides: `KEY` is a dotted path into the document (`sds.repair.t_min`); a numeric
/// segment indexes an array (`partitions.0.heal`; the index may equal the array's length to
/// append an element); missing intermediate tables (or arrays, before a numeric segment)
/// are created. `VALUE` is parsed as a TOML value (`42`, `0.5`, `true`, `"x"`, `[0.5, 0.5]`,
/// `{ kind = "constant", value = "5ms" }`) and taken as a plain string when it does not
/// parse, so `protocol=none` and `duration=90s` work. Quoted keys are not supported.
/// `seed=N` takes any u64, like `--seed` (TOML integers stop at 9223372036854775807; a larger
/// seed is applied after deserializing, as `--seed` is, and is not in [`Loaded::toml`]).
///
/// `origin` is only used in error messages and to resolve relative paths; it is not read.
///
/// # Errors
/// A [`ScenarioError`] naming `origin`, the key and line when known, or the offending
/// `--set` argument. Never panics, whatever `source` and `overrides` hold.
pub fn load_str(
    source: &str,
    origin: &Path,
    seed: Option<u64>,
    overrides: &[String],
) -> Result<Loaded, ScenarioError> {
    load_str_cached(source, origin, seed, overrides, &mut RegionCache::default())
}

/// Region matrices already read, by path: loading many variants of one scenario (the points
/// of a sweep) reads and parses its matrix once.
#[derive(Debug, Default)]
pub struct RegionCache(std::collections::BTreeMap<PathBuf, RegionMatrix>);

/// [`load_str`], taking region matrices from `cache` (and adding those it reads).
///
/// # Errors
/// As [`load_str`].
pub fn load_str_cached(
    source: &str,
    origin: &Path,
    seed: Option<u64>,
    overrides: &[String],
    cache: &mut RegionCache,
) -> Result<Loaded, ScenarioError> {
    let original = DeTable::parse(source).map_err(|e| syntax_error(origin, source, &e))?;
    let mut table: toml::Table =
        toml::from_str(source).map_err(|e| syntax_error(origin, source, &e))?;
    if table.contains_key("base")
        && !table.contains_key("participants")
        && (table.contains_key("sweep") || table.contains_key("seeds"))
    {
        return Err(ScenarioError::new(
            origin,
            ErrorKind::UnknownKey,
            format!(
                "this is a sweep file (it has `base` and `[sweep]`), not a scenario: run it with \
                 `sim sweep {}`. A scenario has `participants = N` and `duration = \"10m\"` at \
                 the top level (scenarios/README.md)",
                crate::names::escape_controls(&origin.display().to_string())
            ),
        ));
    }

    let mut sets = Vec::with_capacity(overrides.len());
    // `--set seed=N` with N above i64::MAX (TOML integers are i64): applied like `--seed`.
    let mut big_seed = None;
    for raw in overrides {
        let set = Override::parse(raw).map_err(|msg| override_error(origin, raw, None, msg))?;
        if set.path == ["seed"] {
            big_seed = None;
            let text = raw.split_once('=').map_or("", |(_, v)| v.trim());
            if matches!(set.value, toml::Value::String(_))
                && text.bytes().all(|b| b.is_ascii_digit())
            {
                if let Ok(seed) = text.parse::<u64>() {
                    big_seed = Some(seed);
                    continue;
                }
            }
        }
        set.apply(&mut table)
            .map_err(|(key, msg)| override_error(origin, raw, Some(key), msg))?;
        sets.push(set);
    }

    let ctx = Ctx {
        origin,
        source,
        original: original.get_ref(),
        sets: &sets,
    };

    // Deserialize from text so that errors carry a span we can map back to a key path. With
    // no overrides this is the file itself; otherwise the re-serialized, overridden table.
    let regenerated;
    let text = if sets.is_empty() {
        source
    } else {
        regenerated = toml::to_string(&table).map_err(|e| {
            ScenarioError::new(
                origin,
                ErrorKind::Override,
                format!("cannot apply --set: {e}"),
            )
        })?;
        regenerated.as_str()
    };
    let mut scenario: Scenario = toml::from_str(text).map_err(|e| ctx.de_error(text, &e))?;
    super::profile::apply(&mut scenario, &table);

    if let Some(seed) = big_seed {
        scenario.seed = seed;
    }
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    if scenario.name.is_empty() {
        scenario.name = origin
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Err(m) = crate::names::check_name(&scenario.name) {
            return Err(ScenarioError::new(
                origin,
                ErrorKind::Invalid,
                format!(
                    "there is no `name` key, so the file name's stem would be the name, but it \
                     {m}; add a `name` key"
                ),
            )
            .with_key("name"));
        }
    }

    validate(&scenario).map_err(|inv| ctx.error_at(&inv.key, ErrorKind::Invalid, inv.message))?;

    let base_dir = match origin.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };

    let regions = match &scenario.network.latency.regions {
        None => None,
        Some(rel) if cache.0.contains_key(&base_dir.join(rel)) => {
            cache.0.get(&base_dir.join(rel)).cloned()
        }
        Some(rel) => {
            let path = base_dir.join(rel);
            let text = read_capped_string(&path, io_limits::REGION_MATRIX_BYTES, "a region matrix")
                .map_err(|e| {
                    let what = if e.is_too_large() { "" } else { "cannot read " };
                    ctx.error_at(
                        "network.latency.regions",
                        ErrorKind::Io,
                        format!("{what}region matrix \"{}\": {}", path.display(), e.reason()),
                    )
                })?;
            let matrix = RegionMatrix::parse(&text, &path)?;
            cache.0.insert(path, matrix.clone());
            Some(matrix)
        }
    };

    let config_hash = config_hash(&scenario);
    let toml_text = text.to_owned();
    Ok(Loaded {
        scenario,
        base_dir,
        config_hash,
        regions,
        toml: toml_text,
    })
}

/// Lowercase hex SHA-256 of the canonical JSON of `scenario` with `seed` set to 0
/// (see [`Loaded::config_hash`]).
pub fn config_hash(scenario: &Scenario) -> String {
    let mut s = scenario.clone();
    s.seed = 0;
    // Serializing plain structs of numbers, strings and enums cannot fail.
    let json = serde_json::to_vec(&s).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One parsed `--set KEY=VALUE`.
#[derive(Debug)]
struct Override {
    path: Vec<String>,
    value: toml::Value,
}

impl Override {
    fn parse(raw: &str) -> Result<Override, String> {
        let Some((key, value)) = raw.split_once('=') else {
            return Err("expected KEY=VALUE, e.g. --set network.loss=0.05".into());
        };
        let key = key.trim();
        if key.is_empty() {
            return Err("empty key; expected KEY=VALUE".into());
        }
        let path: Vec<String> = key.split('.').map(|s| s.trim().to_string()).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("invalid key \"{key}\": empty path segment"));
        }
        let value = value.trim();
        let value = value
            .parse::<toml::Value>()
            .unwrap_or_else(|_| toml::Value::String(value.to_string()));
        Ok(Override { path, value })
    }

    fn key(&self) -> String {
        self.path.join(".")
    }

    /// Sets the value in `root`; on failure returns the path prefix at fault and why.
    fn apply(&self, root: &mut toml::Table) -> Result<(), (String, String)> {
        let mut cur: &mut toml::Value = {
            // Walk from a synthetic root value so tables and arrays share one loop.
            let first = &self.path[0];
            let next_is_index = self.path.get(1).is_some_and(|s| is_index(s));
            if self.path.len() == 1 {
                root.insert(first.clone(), self.value.clone());
                return Ok(());
            }
            root.entry(first.clone())
                .or_insert_with(|| empty_container(next_is_index))
        };
        for (i, seg) in self.path.iter().enumerate().skip(1) {
            let here = self.path[..i].join(".");
            let last = i + 1 == self.path.len();
            let next_is_index = self.path.get(i + 1).is_some_and(|s| is_index(s));
            cur = match cur {
                toml::Value::Table(t) => {
                    if last {
                        t.insert(seg.clone(), self.value.clone());
                        return Ok(());
                    }
                    t.entry(seg.clone())
                        .or_insert_with(|| empty_container(next_is_index))
                }
                toml::Value::Array(a) => {
                    let idx: usize = match seg.parse() {
                        Ok(i) if is_index(seg) => i,
                        _ => {
                            return Err((
                                here.clone(),
                                format!(
                                    "{here} is an array; expected a numeric index, got \"{seg}\""
                                ),
                            ))
                        }
                    };
                    if idx > a.len() {
                        return Err((
                            format!("{here}.{seg}"),
                            format!(
                                "index {idx} out of range: {here} has {} entries (use {} to append)",
                                a.len(),
                                a.len()
                            ),
                        ));
                    }
                    if last {
                        if idx == a.len() {
                            a.push(self.value.clone());
                        } else {
                            a[idx] = self.value.clone();
                        }
                        return Ok(());
                    }
                    if idx == a.len() {
                        a.push(empty_container(next_is_index));
                    }
                    &mut a[idx]
                }
                other => {
                    return Err((
                        here.clone(),
                        format!(
                            "{here} is of type {}, not a table or array",
                            other.type_str()
                        ),
                    ))
                }
            };
        }
        Ok(())
    }
}

fn is_index(seg: &str) -> bool {
    !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit())
}

fn empty_container(array: bool) -> toml::Value {
    if array {
        toml::Value::Array(Vec::new())
    } else {
        toml::Value::Table(toml::Table::new())
    }
}

fn override_error(origin: &Path, raw: &str, key: Option<String>, msg: String) -> ScenarioError {
    let mut e = ScenarioError::new(origin, ErrorKind::Override, msg);
    e.set = Some(raw.to_string());
    e.key = key;
    e
}

fn syntax_error(origin: &Path, source: &str, e: &toml::de::Error) -> ScenarioError {
    let line = e.span().map(|s| line_of(source, s.start));
    ScenarioError::new(
        origin,
        ErrorKind::Syntax,
        format!("invalid TOML: {}", e.message()),
    )
    .with_line(line)
}

/// What error mapping needs to know about the load in progress.
struct Ctx<'a, 'i> {
    origin: &'a Path,
    source: &'a str,
    original: &'a DeTable<'i>,
    sets: &'a [Override],
}

impl Ctx<'_, '_> {
    /// An error about `key`: attributed to the last `--set` that wrote `key` or a parent of
    /// it, else located at `key`'s line in the file (when found).
    fn error_at(&self, key: &str, kind: ErrorKind, message: String) -> ScenarioError {
        self.error_at_locus(key, key, kind, message)
    }

    /// Like [`error_at`](Self::error_at), but locates the error at `locus` (for a missing
    /// key: the table that lacks it) while reporting `key`.
    fn error_at_locus(
        &self,
        key: &str,
        locus: &str,
        kind: ErrorKind,
        message: String,
    ) -> ScenarioError {
        let mut e = ScenarioError::new(self.origin, kind, message).with_key(key);
        let segs: Vec<&str> = if locus.is_empty() {
            Vec::new()
        } else {
            locus.split('.').collect()
        };
        let in_file = find_pos(self.original, &segs);
        // A --set that wrote `key` or a parent of it; or one that wrote below it, when that
        // created `key` (not in the file) or may have given it the wrong shape (type errors
        // inside tagged enums are only located at the enclosing table).
        let by_set = self.sets.iter().rev().find(|s| {
            let common = s.path.iter().zip(&segs).all(|(a, b)| a == b);
            common && (s.path.len() <= segs.len() || in_file.is_none() || kind == ErrorKind::Type)
        });
        if let Some(set) = by_set {
            // Report the argument normalized: `key=value` with the value as parsed.
            e.set = Some(format!("{}={}", set.key(), display_value(&set.value)));
        } else {
            // Best effort: the key itself, else its nearest ancestor present in the file.
            e.line = (0..=segs.len())
                .rev()
                .find_map(|n| find_pos(self.original, &segs[..n]))
                .map(|pos| line_of(self.source, pos));
        }
        e
    }

    /// Maps a deserialization error on `text` to a [`ScenarioError`].
    fn de_error(&self, text: &str, err: &toml::de::Error) -> ScenarioError {
        let span = err.span();
        // An empty span (toml uses 0..0 for the document itself) means the root table.
        let span = span.filter(|s| !s.is_empty());
        let path = match (span.clone(), DeTable::parse(text)) {
            (Some(span), Ok(doc)) => {
                let mut best = None;
                path_at(doc.get_ref(), &span, &mut Vec::new(), &mut best);
                best.map(|(_, p)| p).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let msg = err.message();
        let locus = path.join(".");
        let (kind, key, message) = if let Some((name, rest)) = quoted_after(msg, "unknown field ") {
            let key = child_key(&path, &name);
            let expected = expected_list(rest);
            (
                ErrorKind::UnknownKey,
                key.clone(),
                format!("unknown key \"{key}\"{expected}"),
            )
        } else if let Some((name, _)) = quoted_after(msg, "missing field ") {
            let key = child_key(&path, &name);
            (
                ErrorKind::MissingKey,
                key.clone(),
                format!("missing required key \"{key}\""),
            )
        } else if let Some((name, rest)) = quoted_after(msg, "unknown variant ") {
            let expected = expected_list(rest);
            (
                ErrorKind::Type,
                path.join("."),
                format!("unknown value \"{name}\"{expected}"),
            )
        } else {
            (ErrorKind::Type, path.join("."), tidy_type_message(msg))
        };
        let mut e = self.error_at_locus(&key, &locus, kind, message);
        // Without overrides the error's own span is exact; prefer it over the key lookup.
        if self.sets.is_empty() {
            if let Some(span) = span {
                e.line = Some(line_of(self.source, span.start));
            }
        }
        e
    }
}

/// serde names Rust types in "expected struct SyncParams"; users write tables.
fn tidy_type_message(msg: &str) -> String {
    for marker in [
        "expected struct ",
        "expected internally tagged enum ",
        "expected enum ",
    ] {
        if let Some(i) = msg.find(marker) {
            return format!("{}expected a table", &msg[..i]);
        }
    }
    msg.to_string()
}

fn display_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        // `1e308`, not 309 digits.
        toml::Value::Float(f) if f.is_finite() && f.abs() >= 1e16 => format!("{f:e}"),
        other => other.to_string(),
    }
}

/// `key` of a child named `name` under `path`, unless `path` already ends with it.
fn child_key(path: &[String], name: &str) -> String {
    if path.last().map(String::as_str) == Some(name) {
        path.join(".")
    } else if path.is_empty() {
        name.to_string()
    } else {
        format!("{}.{name}", path.join("."))
    }
}

/// For serde messages like ``unknown field `x`, expected one of `a`, `b` ``: the quoted name
/// after `prefix` and the remainder.
fn quoted_after<'m>(msg: &'m str, prefix: &str) -> Option<(String, &'m str)> {
    let rest = msg.strip_prefix(prefix)?.strip_prefix('`')?;
    let (name, rest) = rest.split_once('`')?;
    Some((name.to_string(), rest))
}

/// `, expected one of `a`, `b`` → ` (expected one of: a, b)`.
fn expected_list(rest: &str) -> String {
    let rest = rest.trim_start_matches(',').trim();
    if let Some(list) = rest.strip_prefix("expected one of ") {
        format!(" (expected one of: {})", list.replace('`', ""))
    } else if let Some(one) = rest.strip_prefix("expected ") {
        format!(" (expected: {})", one.replace('`', ""))
    } else if rest.contains("no fields") {
        " (this table takes no keys)".to_string()
    } else {
        String::new()
    }
}

/// Finds the narrowest key or value whose span contains all of `target`; `best` holds (span length,
/// path). Ties go to the deeper path.
fn path_at(
    table: &DeTable<'_>,
    target: &std::ops::Range<usize>,
    prefix: &mut Vec<String>,
    best: &mut Option<(usize, Vec<String>)>,
) {
    for (k, v) in table.iter() {
        prefix.push(k.get_ref().to_string());
        consider(&k.span(), target, prefix, best);
        value_path_at(v, target, prefix, best);
        prefix.pop();
    }
}

fn value_path_at(
    v: &Spanned<DeValue<'_>>,
    target: &std::ops::Range<usize>,
    prefix: &mut Vec<String>,
    best: &mut Option<(usize, Vec<String>)>,
) {
    consider(&v.span(), target, prefix, best);
    match v.get_ref() {
        DeValue::Table(t) => path_at(t, target, prefix, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                prefix.push(i.to_string());
                value_path_at(item, target, prefix, best);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn consider(
    span: &std::ops::Range<usize>,
    target: &std::ops::Range<usize>,
    prefix: &[String],
    best: &mut Option<(usize, Vec<String>)>,
) {
    let contains = span.start <= target.start
        && target.end <= span.end
        && (target.start < span.end || span.is_empty());
    if !contains {
        return;
    }
    let len = span.len();
    let better = match best {
        None => true,
        Some((blen, bpath)) => len < *blen || (len == *blen && prefix.len() >= bpath.len()),
    };
    if better {
        *best = Some((len, prefix.to_vec()));
    }
}

/// Byte offset of the key (or array element) at exactly `path` in the original document.
fn find_pos(table: &DeTable<'_>, path: &[&str]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let (k, v) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(k.span().start);
    }
    find_in_value(v, rest)
}

fn find_in_value(v: &Spanned<DeValue<'_>>, path: &[&str]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    match v.get_ref() {
        DeValue::Table(t) => find_pos(t, path),
        DeValue::Array(a) => {
            let item = a.get(first.parse::<usize>().ok()?)?;
            if rest.is_empty() {
                Some(item.span().start)
            } else {
                find_in_value(item, rest)
            }
        }
        _ => None,
    }
}
