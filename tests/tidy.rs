//! Keeps the SDS core sans-IO and self-contained: `src/sds/**/*.rs` must not name the rest of
//! the crate, read clocks, use unseeded randomness, touch files or sockets, or print.

use std::path::{Path, PathBuf};

const FORBIDDEN: &[&str] = &[
    "crate::",
    "super::super",
    "Instant::now",
    "SystemTime",
    "thread_rng",
    "rand::rng(",
    "std::fs",
    "std::net",
    "println!",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn sds_core_is_sans_io_and_self_contained() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sds");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "no files under {}", root.display());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            for pat in FORBIDDEN {
                if line.contains(pat) {
                    failures.push(format!(
                        "{}:{}: forbidden `{pat}`: {}",
                        file.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the SDS core must stay sans-IO:\n{}",
        failures.join("\n")
    );
}

/// Every line of the Rust files under `src/<dir>` that names one of `patterns`, as
/// `file:line: text` (comment lines included: a doc link is a dependency too).
fn lines_naming(dir: &str, patterns: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = Vec::new();
    if root.is_dir() {
        rust_files(&root, &mut files);
    } else {
        files.push(root.with_extension("rs"));
    }
    assert!(!files.is_empty(), "no files under {}", root.display());
    let mut hits = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            if patterns.iter().any(|p| line.contains(p)) {
                hits.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    hits
}

/// Layers point one way (ARCHITECTURE.md, "Layers"): the core names nothing else in the crate
/// (above); time and randomness name nothing; the network model, the drivers, the recorder and
/// the report never reach up into the engine; the network model also not into drivers,
/// metrics or report.
#[test]
fn layers_point_one_way() {
    let engine = &["crate::engine", "engine::", "super::super::engine"];
    let mut failures = Vec::new();
    for dir in ["net", "driver", "metrics", "report", "time", "rng"] {
        failures.extend(lines_naming(dir, engine));
    }
    for dir in ["time", "rng"] {
        failures.extend(lines_naming(dir, &["crate::"]));
    }
    failures.extend(lines_naming(
        "net",
        &[
            "crate::driver",
            "crate::metrics",
            "crate::report",
            "crate::sweep",
        ],
    ));
    failures.extend(lines_naming(
        "driver",
        &[
            "crate::net",
            "crate::metrics",
            "crate::report",
            "crate::sweep",
        ],
    ));
    failures.extend(lines_naming("metrics", &["crate::report", "crate::sweep"]));
    assert!(
        failures.is_empty(),
        "layering violations (see ARCHITECTURE.md):\n{}",
        failures.join("\n")
    );
}

/// `src/sweep/`'s modules import each other without a circle, at every level (the modules of
/// `sweep/`, and the parts of `sweep/spec/` and `sweep/output/` among themselves).
#[test]
fn sweep_modules_have_no_import_circle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sweep");
    let mut paths = Vec::new();
    rust_files(&dir, &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&dir).expect("under src/sweep");
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, std::fs::read_to_string(f).expect("read"))
        })
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(r, t)| (&**r, &**t)).collect();
    let graph = imports::graph(&files);
    assert!(
        graph.failures.is_empty(),
        "src/sweep: {}",
        graph.failures.join("\n")
    );
    // The detector sees the layout: edges known to exist are found (else a renamed layout
    // could hide its imports from it).
    for (from, to) in [
        ("exec", "spec"),
        ("exec", "row"),
        ("spec", "row"),
        ("output", "spec"),
        ("output", "row"),
        ("output", "shard"),
        ("spec::plan", "spec::file"),
        ("output::write", "output::result"),
    ] {
        assert!(
            graph.edges.get(from).is_some_and(|t| t.contains(to)),
            "the import detector does not see {from} -> {to}; edges: {:?}",
            graph.edges
        );
    }
    if let Some(cycle) = imports::cycle(&graph.edges) {
        panic!("import circle in src/sweep: {}", cycle.join(" -> "));
    }
}

/// The detector itself: circles hidden behind brace groups, directory modules, re-exports
/// and `super::super` are found; test-only modules are left out.
#[test]
fn import_detector_finds_hidden_circles() {
    let has_cycle = |files: &[(&str, &str)]| {
        let g = imports::graph(files);
        assert!(g.failures.is_empty(), "{:?}", g.failures);
        imports::cycle(&g.edges)
    };
    // The layout before issue 11.
    let old = [
        ("mod.rs", "pub mod exec;\npub mod output;\npub mod spec;\n"),
        (
            "exec.rs",
            "use super::output::{Row, RowPerf};\nuse super::spec::Plan;\n",
        ),
        (
            "output.rs",
            "use super::exec::Shard;\nuse super::spec::{self, Plan};\n",
        ),
        (
            "spec.rs",
            "fn f() { let k = super::exec::known_metrics(); }\n",
        ),
    ];
    assert!(has_cycle(&old).is_some());
    // A brace group and a directory module whose part names a sibling of its parent.
    let nested = [
        ("mod.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a/mod.rs", "mod x;\npub use x::Foo;\n"),
        ("a/x.rs", "use super::super::b::Bar;\n"),
        ("b.rs", "use super::{c, a::Foo};\n"),
        ("c.rs", ""),
    ];
    assert_eq!(
        has_cycle(&nested),
        Some(vec!["a".to_string(), "b".into(), "a".into()])
    );
    // A name re-exported by the parent resolves to the module that defines it; a doc link
    // is a dependency too.
    let reexport = [
        ("mod.rs", "mod a;\nmod b;\npub use b::{Bar as Baz, Qux};\n"),
        ("a.rs", "/// See [`super::Baz`].\nfn f() {}\n"),
        ("b.rs", "use crate::sweep::a;\n"),
    ];
    assert!(has_cycle(&reexport).is_some());
    // Parts of one directory module among themselves.
    let parts = [
        ("mod.rs", "mod o;\n"),
        ("o/mod.rs", "mod p;\nmod q;\n"),
        ("o/p.rs", "use super::q::X;\n"),
        ("o/q.rs", "use crate::sweep::o::p::Y;\n"),
    ];
    assert!(has_cycle(&parts).is_some());
    // Tests (inline or in a test-only file) are not dependencies.
    let tests = [
        ("mod.rs", "mod a;\nmod b;\n"),
        (
            "a.rs",
            "use super::b::X;\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod more {\n    \
             use super::super::b::Y; // '}' \"}\"\n}\nfn after() {}\n",
        ),
        ("a/tests.rs", "use crate::sweep::b::Z;\n"),
        (
            "b.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests {\n    use super::super::a::X;\n}\n",
        ),
    ];
    assert_eq!(has_cycle(&tests), None);
    // A glob import of a sweep module would hide what is used: refused.
    let g = imports::graph(&[
        ("mod.rs", "mod a;\nmod b;\n"),
        ("a.rs", "use super::b::*;\n"),
        ("b.rs", ""),
    ]);
    assert!(
        g.failures.iter().any(|f| f.contains("glob")),
        "{:?}",
        g.failures
    );
}

/// The import graph of a module tree (`src/sweep/`), from its source text: which sibling
/// modules each module names, at every level.
mod imports {
    use std::collections::{BTreeMap, BTreeSet};

    /// Module paths below the root, joined with `::` (`""` is the root, `spec::plan` a part).
    pub struct Graph {
        /// `edges[a]` = the siblings of `a` that `a` (or one of its parts) names.
        pub edges: BTreeMap<String, BTreeSet<String>>,
        /// Ways of naming a module the detector refuses (they would hide dependencies).
        pub failures: Vec<String>,
    }

    /// A path named in the code, and the name it is known by (the last segment or the `as`
    /// alias).
    struct Leaf {
        path: Vec<String>,
        name: String,
    }

    /// The module path of a file below the root: `mod.rs` -> [], `a.rs` and `a/mod.rs` ->
    /// [a], `a/b.rs` -> [a, b].
    fn module_path(rel: &str) -> Vec<String> {
        let mut segs: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_string)
            .collect();
        if segs.last().is_some_and(|s| s == "mod") {
            segs.pop();
        }
        segs
    }

    fn is_ident(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_'
    }

    fn skip_ws(s: &[u8], i: &mut usize) {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }

    fn ident(s: &[u8], i: &mut usize) -> String {
        let start = *i;
        while *i < s.len() && is_ident(s[*i]) {
            *i += 1;
        }
        String::from_utf8_lossy(&s[start..*i]).into_owned()
    }

    /// Parses a path or use tree at `i` (`a::b`, `a::{b, c::d as e, self}`, `a::*`) into its
    /// leaves.
    fn tree(s: &[u8], i: &mut usize) -> Vec<Leaf> {
        let mut segs: Vec<String> = Vec::new();
        loop {
            if *i < s.len() && s[*i] == b'{' {
                *i += 1;
                let mut out = Vec::new();
                loop {
                    skip_ws(s, i);
                    if *i >= s.len() || s[*i] == b'}' {
                        *i += 1;
                        return out;
                    }
                    let before = *i;
                    for mut leaf in tree(s, i) {
                        let mut path = segs.clone();
                        path.extend(leaf.path.drain(..).filter(|x| x != "self"));
                        if leaf.name == "self" {
                            leaf.name = path.last().cloned().unwrap_or_default();
                        }
                        out.push(Leaf {
                            path,
                            name: leaf.name,
                        });
                    }
                    skip_ws(s, i);
                    if *i < s.len() && s[*i] == b',' {
                        *i += 1;
                    } else if *i == before {
                        *i += 1; // not a tree: skip a character rather than loop
                    }
                }
            }
            if *i < s.len() && s[*i] == b'*' {
                *i += 1;
                segs.push("*".into());
                return vec![Leaf {
                    path: segs,
                    name: "*".into(),
                }];
            }
            let seg = ident(s, i);
            if seg.is_empty() {
                return Vec::new();
            }
            segs.push(seg);
            if s[*i..].starts_with(b"::") {
                *i += 2;
                continue;
            }
            let mut name = segs.last().cloned().unwrap_or_default();
            let mut j = *i;
            skip_ws(s, &mut j);
            if s[j..].starts_with(b"as ") {
                j += 3;
                skip_ws(s, &mut j);
                let alias = ident(s, &mut j);
                if !alias.is_empty() {
                    name = alias;
                    *i = j;
                }
            }
            return vec![Leaf { path: segs, name }];
        }
    }

    /// `code` without test-only items: `#[cfg(test)] mod x { ... }` removed (its braces
    /// matched, skipping strings, characters and comments), `#[cfg(test)] mod x;` removed
    /// and `x` returned as a test-only child.
    fn strip_tests(code: &str) -> (String, Vec<String>) {
        let s = code.as_bytes();
        let mut out = String::new();
        let mut test_children = Vec::new();
        let mut i = 0;
        while let Some(off) = code[i..].find("#[cfg(test)]") {
            let at = i + off;
            out.push_str(&code[i..at]);
            let mut j = at + "#[cfg(test)]".len();
            skip_ws(s, &mut j);
            while s[j..].starts_with(b"#[") {
                j = code[j..].find(']').map_or(s.len(), |k| j + k + 1);
                skip_ws(s, &mut j);
            }
            if let Some(rest) = code[j..].strip_prefix("pub ").or(Some(&code[j..])) {
                j = s.len() - rest.len();
            }
            if !s[j..].starts_with(b"mod ") {
                // Another test-only item: kept (counted as a dependency).
                out.push_str("#[cfg(test)]");
                i = at + "#[cfg(test)]".len();
                continue;
            }
            j += 4;
            skip_ws(s, &mut j);
            let name = ident(s, &mut j);
            skip_ws(s, &mut j);
            if j < s.len() && s[j] == b';' {
                test_children.push(name);
                i = j + 1;
                continue;
            }
            i = end_of_block(s, j);
        }
        out.push_str(&code[i..]);
        (out, test_children)
    }

    /// The index after the block that opens at or after `i` (the end of `s` if unmatched).
    fn end_of_block(s: &[u8], mut i: usize) -> usize {
        let mut depth = 0usize;
        while i < s.len() {
            match s[i] {
                b'/' if s.get(i + 1) == Some(&b'/') => {
                    while i < s.len() && s[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' => {
                    let raw_hashes = s[..i].iter().rev().take_while(|&&b| b == b'#').count();
                    let raw = s[..i - raw_hashes].ends_with(b"r");
                    i += 1;
                    while i < s.len() {
                        if !raw && s[i] == b'\\' {
                            i += 2;
                            continue;
                        }
                        if s[i] == b'"'
                            && (!raw
                                || s[i + 1..].iter().take_while(|&&b| b == b'#').count()
                                    >= raw_hashes)
                        {
                            i += raw_hashes * usize::from(raw);
                            break;
                        }
                        i += 1;
                    }
                }
                b'\'' if s.get(i + 2) == Some(&b'\'') => i += 2,
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        s.len()
    }

    /// Every path the code names that starts with `super::` or `crate::sweep`, and every
    /// `use` tree (for re-exports), as paths from the root; `None` for paths that leave it.
    fn named_paths(
        module: &[String],
        code: &str,
        failures: &mut Vec<String>,
        file: &str,
    ) -> (Vec<Vec<String>>, Vec<Leaf>) {
        let s = code.as_bytes();
        let mut refs = Vec::new();
        let mut uses = Vec::new();
        let resolve = |path: &[String], failures: &mut Vec<String>| -> Option<Vec<String>> {
            let mut base = module.to_vec();
            let mut rest = path;
            match path.first().map(String::as_str) {
                Some("crate") => {
                    if path.get(1).map(String::as_str) != Some("sweep") {
                        return None;
                    }
                    if path.len() == 2 {
                        failures.push(format!(
                            "{file}: `crate::sweep` named as a whole: name the module"
                        ));
                        return None;
                    }
                    base.clear();
                    rest = &path[2..];
                }
                Some("super") => {
                    while rest.first().map(String::as_str) == Some("super") {
                        base.pop()?;
                        rest = &rest[1..];
                    }
                }
                Some("self") => rest = &path[1..],
                _ => return None,
            }
            base.extend(rest.iter().cloned());
            Some(base)
        };
        let mut i = 0;
        while i < s.len() {
            let starts_path = (s[i..].starts_with(b"super") || s[i..].starts_with(b"crate::sweep"))
                && (i == 0 || !(is_ident(s[i - 1]) || s[i - 1] == b':'));
            let starts_use = s[i..].starts_with(b"use ") && (i == 0 || !is_ident(s[i - 1]));
            if starts_use {
                let mut j = i + 4;
                skip_ws(s, &mut j);
                for leaf in tree(s, &mut j) {
                    // `use child::X` in a module names its own child.
                    let path = match leaf.path.first().map(String::as_str) {
                        Some("crate" | "super" | "self") => leaf.path.clone(),
                        _ => std::iter::once("self".to_string())
                            .chain(leaf.path.iter().cloned())
                            .collect(),
                    };
                    if let Some(abs) = resolve(&path, failures) {
                        uses.push(Leaf {
                            path: abs,
                            name: leaf.name,
                        });
                    }
                }
                i += 4;
            } else if starts_path {
                let mut j = i;
                for leaf in tree(s, &mut j) {
                    if let Some(abs) = resolve(&leaf.path, failures) {
                        refs.push(abs);
                    }
                }
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
        (refs, uses)
    }

    /// The graph of `files` (path below the root, text).
    pub fn graph(files: &[(&str, &str)]) -> Graph {
        let mut failures = Vec::new();
        let mut stripped = Vec::new();
        let mut test_only: BTreeSet<Vec<String>> = BTreeSet::new();
        for (rel, text) in files {
            let module = module_path(rel);
            let (code, children) = strip_tests(text);
            for c in children {
                let mut p = module.clone();
                p.push(c);
                test_only.insert(p);
            }
            stripped.push((*rel, module, code));
        }
        stripped.retain(|(_, m, _)| !test_only.iter().any(|t| m.starts_with(t)));
        let modules: BTreeSet<Vec<String>> = stripped.iter().map(|(_, m, _)| m.clone()).collect();
        // What each module's `use` items name (its re-exports and imports), by name.
        let mut names: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        let mut refs = Vec::new();
        for (rel, module, code) in &stripped {
            let (r, uses) = named_paths(module, code, &mut failures, rel);
            for u in uses {
                names
                    .entry(module.clone())
                    .or_default()
                    .insert(u.name, u.path.clone());
                refs.push((module.clone(), u.path));
            }
            refs.extend(r.into_iter().map(|p| (module.clone(), p)));
        }
        // The module a path from the root lands in, following re-exports.
        fn target(
            path: &[String],
            modules: &BTreeSet<Vec<String>>,
            names: &BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
            depth: usize,
        ) -> Result<Vec<String>, String> {
            let mut cur: Vec<String> = Vec::new();
            for (k, seg) in path.iter().enumerate() {
                let mut next = cur.clone();
                next.push(seg.clone());
                if modules.contains(&next) {
                    cur = next;
                    continue;
                }
                if seg == "*" {
                    return Err(format!("glob import of `{}`", cur.join("::")));
                }
                if let Some(src) = names.get(&cur).and_then(|n| n.get(seg)) {
                    if depth < 16 && !src.starts_with(&next) {
                        let mut p = src.clone();
                        p.extend(path[k + 1..].iter().cloned());
                        return target(&p, modules, names, depth + 1);
                    }
                }
                break;
            }
            Ok(cur)
        }
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, path) in refs {
            let to = match target(&path, &modules, &names, 0) {
                Ok(t) => t,
                Err(e) => {
                    failures.push(format!("{}: {e} (name what is used)", from.join("::")));
                    continue;
                }
            };
            let k = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if k < from.len() && k < to.len() {
                edges
                    .entry(from[..=k].join("::"))
                    .or_default()
                    .insert(to[..=k].join("::"));
            }
        }
        failures.sort();
        failures.dedup();
        Graph { edges, failures }
    }

    /// A circle in `edges`, as the modules along it (first = last), if there is one.
    pub fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            n: &str,
            edges: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(pos) = path.iter().position(|p| p == n) {
                let mut cycle = path[pos..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            if done.contains(n) {
                return None;
            }
            path.push(n.to_string());
            for m in edges.get(n).into_iter().flatten() {
                if let Some(c) = visit(m, edges, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(n.to_string());
            None
        }
        let mut done = BTreeSet::new();
        edges
            .keys()
            .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
    }
}

/// `src/engine/run.rs` holds the loop and the stop rule only: no workload, churn, store or
/// message-pipeline logic.
#[test]
fn run_rs_is_the_loop_only() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine/run.rs"))
            .expect("read");
    for forbidden in [
        "poll_transmit",
        "poll_event",
        "fn publish",
        "fn go_down",
        "QueryKind",
    ] {
        assert!(
            !text.contains(forbidden),
            "src/engine/run.rs should only hold the loop and the stop rule, found `{forbidden}`"
        );
    }
    assert!(
        text.lines().count() < 300,
        "src/engine/run.rs grew over 300 lines"
    );
}
