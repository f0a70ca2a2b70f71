//! Shrinking a failing scenario to a small one that still fails the same property.
//!
//! Greedy: the candidates of the current document are tried in order ([`candidates`]):
//! dropping whole sections (`[network]`, `[churn]`, every `[[partitions]]`, ...), halving
//! `participants`, renumbering the participant ids the document names to the lowest ones,
//! halving `duration` with every fault time in it, then single entries of arrays of tables
//! (one partition, one offline window, ...), single keys (back to their defaults; `[sds]`
//! keys are kept, so the reproducer does not depend on default SDS parameters), single ids
//! of id lists, one participant fewer, and halving `duration` alone, `drain`,
//! `workload.rate_per_s` and `workload.direct.conversations`. A candidate that is not a valid scenario costs no run;
//! the first that still fails the property is kept and the candidates are recomputed. A
//! candidate that was tried and passed is not tried again. Stops when no candidate fails
//! or after `budget` runs.

use std::collections::BTreeSet;
use std::path::Path;

use toml::{Table, Value};

use super::check::check_text;
use super::draw::to_text;
use super::property::Property;

/// The result of a shrink.
#[derive(Debug, Clone, PartialEq)]
pub struct Shrunk {
    /// The smallest failing document found.
    pub doc: Table,
    /// What was removed or reduced, in order, one line each.
    pub steps: Vec<String>,
    /// Simulation runs used.
    pub runs: u32,
    /// The failure message of the last failing run (of the original when nothing shrank).
    pub reason: String,
}

/// Top-level keys never removed (the scenario needs them or they identify it).
const KEEP: [&str; 5] = ["name", "seed", "participants", "duration", "sds"];

/// Shrinks `doc`, which fails `property` with `reason`, using at most `budget` runs.
pub fn shrink(doc: &Table, origin: &Path, property: Property, reason: &str, budget: u32) -> Shrunk {
    let props = [property];
    let twice = property == Property::Determinism;
    let mut cur = doc.clone();
    let mut out = Shrunk {
        doc: doc.clone(),
        steps: Vec::new(),
        runs: 0,
        reason: reason.to_string(),
    };
    let mut passed: BTreeSet<String> = BTreeSet::new();
    'outer: loop {
        let mut progressed = false;
        for (desc, cand) in candidates(&cur) {
            let text = to_text(&cand);
            if passed.contains(&text) {
                continue;
            }
            if out.runs >= budget {
                break 'outer;
            }
            let c = match check_text(&text, origin, &props, twice) {
                Ok(c) => c,
                Err(_) => continue,
            };
            out.runs += 1;
            let v = c.verdict(property);
            if let super::property::Verdict::Fail(m) = v {
                out.reason = m.clone();
                out.steps.push(desc);
                cur = cand;
                progressed = true;
                break;
            }
            passed.insert(text);
        }
        if !progressed {
            break;
        }
    }
    out.doc = cur;
    out
}

fn inline(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}...", s.chars().take(117).collect::<String>())
    } else {
        s
    }
}

/// The candidate documents of `doc`, each with the line describing the change.
pub fn candidates(doc: &Table) -> Vec<(String, Table)> {
    let mut whole = Vec::new();
    let mut entries = Vec::new();
    let mut keys = Vec::new();
    let mut ids = Vec::new();
    walk(
        doc,
        &mut Vec::new(),
        doc,
        &mut whole,
        &mut entries,
        &mut keys,
        &mut ids,
    );
    // Largest reductions first: whole sections, fewer participants, a shorter run.
    let mut out = whole;
    out.extend(halve(doc, "participants"));
    out.extend(compact_ids(doc));
    out.extend(halve_timeline(doc));
    out.extend(entries);
    out.extend(keys);
    out.extend(ids);
    out.extend(one_fewer_participant(doc));
    for path in [
        "duration",
        "drain",
        "workload.rate_per_s",
        "workload.direct.conversations",
    ] {
        if let Some(c) = halve(doc, path) {
            out.push(c);
        }
    }
    out
}

type Cands = Vec<(String, Table)>;

/// Collects removals below `t` (at `path` in `root`).
fn walk(
    root: &Table,
    path: &mut Vec<PathPart>,
    t: &Table,
    whole: &mut Cands,
    entries: &mut Cands,
    keys: &mut Cands,
    ids: &mut Cands,
) {
    for (k, v) in t {
        if path.is_empty() && KEEP.contains(&k.as_str()) {
            continue;
        }
        path.push(PathPart::Key(k.clone()));
        let shown = show(path);
        match v {
            Value::Table(sub) => {
                whole.push((format!("removed [{shown}]"), without(root, path)));
                walk(root, path, sub, whole, entries, keys, ids);
            }
            Value::Array(a) if a.iter().all(|e| e.is_table()) && !a.is_empty() => {
                whole.push((
                    format!("removed every [[{shown}]] ({} entries)", a.len()),
                    without(root, path),
                ));
                for (i, e) in a.iter().enumerate() {
                    path.push(PathPart::Index(i));
                    entries.push((
                        format!("removed [[{shown}]] entry {}", inline(e)),
                        without(root, path),
                    ));
                    if let Value::Table(et) = e {
                        walk(root, path, et, &mut Vec::new(), &mut Vec::new(), keys, ids);
                    }
                    path.pop();
                }
            }
            Value::Array(a) => {
                keys.push((
                    format!("removed {shown} = {}", inline(v)),
                    without(root, path),
                ));
                id_removals(root, path, a, ids);
            }
            _ => keys.push((
                format!("removed {shown} = {}", inline(v)),
                without(root, path),
            )),
        }
        path.pop();
    }
}

/// Removing single integers of an id list (or of the groups of a partition's `ids`).
fn id_removals(root: &Table, path: &mut Vec<PathPart>, a: &[Value], ids: &mut Cands) {
    for (i, e) in a.iter().enumerate() {
        path.push(PathPart::Index(i));
        match e {
            Value::Integer(id) => ids.push((
                format!("removed id {id} from {}", show(&path[..path.len() - 1])),
                without(root, path),
            )),
            Value::Array(inner) => id_removals(root, path, inner, ids),
            _ => {}
        }
        path.pop();
    }
}

#[derive(Debug, Clone)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn show(path: &[PathPart]) -> String {
    let mut s = String::new();
    for p in path {
        match p {
            PathPart::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathPart::Index(i) => s.push_str(&format!(".{i}")),
        }
    }
    s
}

/// `root` without the item at `path`.
fn without(root: &Table, path: &[PathPart]) -> Table {
    let mut doc = root.clone();
    remove(&mut doc, path);
    doc
}

fn remove(t: &mut Table, path: &[PathPart]) {
    match path {
        [PathPart::Key(k)] => {
            t.remove(k);
        }
        [PathPart::Key(k), rest @ ..] => {
            if let Some(v) = t.get_mut(k) {
                remove_value(v, rest);
            }
        }
        _ => {}
    }
}

fn remove_value(v: &mut Value, path: &[PathPart]) {
    match (v, path) {
        (Value::Table(t), _) => remove(t, path),
        (Value::Array(a), [PathPart::Index(i)]) if *i < a.len() => {
            a.remove(*i);
        }
        (Value::Array(a), [PathPart::Index(i), rest @ ..]) => {
            if let Some(e) = a.get_mut(*i) {
                remove_value(e, rest);
            }
        }
        _ => {}
    }
}

/// Halves the number or duration at a dotted `path` (integers down to 1, durations to whole
/// ms), or `None` when absent or already minimal.
fn halve(doc: &Table, path: &str) -> Option<(String, Table)> {
    let mut out = doc.clone();
    let mut t = &mut out;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        t = t.get_mut(*p)?.as_table_mut()?;
    }
    let last = parts[parts.len() - 1];
    let v = t.get_mut(last)?;
    let old = v.to_string();
    let new = match v {
        Value::Integer(i) if *i > 2 || (*i > 1 && path != "participants") => Value::Integer(*i / 2),
        Value::Float(f) if *f > 0.0 => Value::Float(*f / 2.0),
        Value::String(s) => {
            let d: crate::scenario::SimDuration = s.parse().ok()?;
            // Whole seconds while the value is at least 2 s, else whole ms.
            let unit = if d.0 >= 2_000_000 { 1_000_000 } else { 1_000 };
            let half = (d.0 / 2 / unit) * unit;
            if half == 0 {
                return None;
            }
            Value::String(crate::scenario::SimDuration(half).to_string())
        }
        _ => return None,
    };
    let shown = new.to_string();
    *v = new;
    Some((format!("halved {path}: {old} -> {shown}"), out))
}

/// Keys whose values are participant ids: arrays (`ids`, `isolate`, `service_ids`, nested
/// for partition groups) and single ids (`from`, `to`, `sender`, `id`). Store-node and
/// service-node indexes (`node`) are not participant ids.
const ID_LISTS: [&str; 3] = ["ids", "isolate", "service_ids"];
const ID_KEYS: [&str; 4] = ["from", "to", "sender", "id"];

/// Applies `f` to every participant id in `v` (below a key named in [`ID_LISTS`] or
/// [`ID_KEYS`]).
fn map_ids(v: &mut Value, in_list: bool, f: &mut dyn FnMut(&mut i64)) {
    match v {
        Value::Table(t) => {
            for (k, x) in t.iter_mut() {
                if ID_KEYS.contains(&k.as_str()) {
                    if let Value::Integer(i) = x {
                        f(i);
                    }
                } else {
                    map_ids(x, ID_LISTS.contains(&k.as_str()), f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| map_ids(x, in_list, f)),
        Value::Integer(i) if in_list => f(i),
        _ => {}
    }
}

/// Renumbers the participant ids the document names to `0, 1, ...` in their order (the rest
/// follow), so that fewer participants can hold them.
fn compact_ids(doc: &Table) -> Option<(String, Table)> {
    let mut used = BTreeSet::new();
    let mut root = Value::Table(doc.clone());
    map_ids(&mut root, false, &mut |i| {
        used.insert(*i);
    });
    let lowest: Vec<i64> = (0..used.len() as i64).collect();
    if used.is_empty() || used.iter().copied().eq(lowest.iter().copied()) {
        return None;
    }
    let map: std::collections::BTreeMap<i64, i64> =
        used.iter().copied().zip(lowest.iter().copied()).collect();
    map_ids(&mut root, false, &mut |i| {
        if let Some(&j) = map.get(i) {
            *i = j;
        }
    });
    let Value::Table(out) = root else {
        return None;
    };
    let before: Vec<String> = used.iter().map(|i| i.to_string()).collect();
    Some((
        format!(
            "renumbered participant ids {} to 0..{}",
            before.join(", "),
            used.len() - 1
        ),
        out,
    ))
}

/// `participants` minus one (when at least 3).
fn one_fewer_participant(doc: &Table) -> Option<(String, Table)> {
    let n = doc.get("participants")?.as_integer()?;
    if n < 3 {
        return None;
    }
    let mut out = doc.clone();
    out.insert("participants".into(), Value::Integer(n - 1));
    Some((format!("participants {n} -> {}", n - 1), out))
}

/// Halves `duration` and every time inside the workload with it (the `start`, `heal`,
/// `end`, `at`, `stagger` and `duration` of partitions, churn, degradations and store
/// outages), so timed faults keep their place in the shorter run.
fn halve_timeline(doc: &Table) -> Option<(String, Table)> {
    let (_, mut out) = halve(doc, "duration")?;
    fn halve_times(v: &mut Value) {
        match v {
            Value::Table(t) => {
                for (k, x) in t.iter_mut() {
                    if matches!(
                        k.as_str(),
                        "start" | "heal" | "end" | "at" | "stagger" | "duration"
                    ) {
                        if let Value::String(s) = x {
                            if let Ok(d) = s.parse::<crate::scenario::SimDuration>() {
                                let half = crate::scenario::SimDuration((d.0 / 2 / 1_000) * 1_000);
                                *s = half.to_string();
                            }
                        }
                    } else {
                        halve_times(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(halve_times),
            _ => {}
        }
    }
    for key in ["partitions", "churn", "store"] {
        if let Some(v) = out.get_mut(key) {
            halve_times(v);
        }
    }
    if let Some(Value::Table(net)) = out.get_mut("network") {
        if let Some(v) = net.get_mut("degradations") {
            halve_times(v);
        }
    }
    let d = doc.get("duration")?.to_string();
    let n = out.get("duration")?.to_string();
    Some((
        format!("halved duration with every fault time in it: {d} -> {n}"),
        out,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_remove_entries_keys_and_ids_and_halve() {
        let doc: Table = toml::from_str(
            "name = \"x\"\nparticipants = 6\nduration = \"60s\"\n[network]\nloss = 0.1\n\
             [[partitions]]\nstart = \"1s\"\nheal = \"9s\"\nids = [[0, 1]]\n",
        )
        .unwrap();
        let c = candidates(&doc);
        let descs: Vec<&str> = c.iter().map(|(d, _)| d.as_str()).collect();
        assert!(descs.contains(&"removed [network]"), "{descs:?}");
        assert!(descs.contains(&"removed network.loss = 0.1"), "{descs:?}");
        assert!(descs
            .iter()
            .any(|d| d.starts_with("removed [[partitions]] entry")));
        assert!(
            descs.contains(&"removed id 1 from partitions.0.ids.0"),
            "{descs:?}"
        );
        assert!(descs.contains(&"halved participants: 6 -> 3"), "{descs:?}");
        assert!(
            descs.contains(&"halved duration: \"60s\" -> \"30s\""),
            "{descs:?}"
        );
        let (_, d) = c
            .iter()
            .find(|(d, _)| d == "removed id 1 from partitions.0.ids.0")
            .unwrap();
        assert_eq!(
            d["partitions"][0]["ids"].to_string(),
            Value::Array(vec![Value::Array(vec![Value::Integer(0)])]).to_string()
        );
        assert!(!descs.iter().any(|d| d.contains("name")));
    }

    #[test]
    fn ids_are_renumbered_everywhere_but_node_indexes() {
        let doc: Table = toml::from_str(
            "participants = 9\n[[partitions]]\nids = [[4, 7]]\n[[network.links]]\nfrom = 7\n\
             to = 2\n[[store.offline]]\nnode = 5\n",
        )
        .unwrap();
        let (d, out) = compact_ids(&doc).unwrap();
        assert_eq!(d, "renumbered participant ids 2, 4, 7 to 0..2");
        assert_eq!(out["partitions"][0]["ids"].to_string(), "[[1, 2]]");
        assert_eq!(out["network"]["links"][0]["from"].as_integer(), Some(2));
        assert_eq!(out["network"]["links"][0]["to"].as_integer(), Some(0));
        assert_eq!(out["store"]["offline"][0]["node"].as_integer(), Some(5));
        assert!(compact_ids(&out).is_none());
    }
}
