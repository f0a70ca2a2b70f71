//! The documentation a newcomer reads: README's first commands, the scenarios it shows load,
//! the scenario library table is complete, every relative link and anchor resolves, and the
//! cluster examples of `docs/clusters.md` (SLURM job array, Kubernetes Indexed Job) give every
//! shard `K/N` exactly once. The SLURM script itself runs for real in `scripts/slurm-smoke.sh`;
//! the Kubernetes job is not run anywhere, so its index arithmetic is checked here through `sh`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use sdsim::scenario;
use sdsim::sweep::Shard;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn read(p: &str) -> String {
    std::fs::read_to_string(repo(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The fenced code blocks of a markdown text whose info string is `lang`, in order.
fn code_blocks(md: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match (&mut cur, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) if info.trim() == lang => cur = Some(String::new()),
            (None, Some(_)) => cur = Some(String::from("\u{0}")), // another language: skip
            (Some(block), Some(_)) => {
                if !block.starts_with('\u{0}') {
                    out.push(std::mem::take(block));
                }
                cur = None;
            }
            (Some(block), None) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn readme_opens_with_install_run_and_test_commands() {
    let readme = read("README.md");
    let first = &code_blocks(&readme, "sh")[0];
    let at = readme.find("```sh").unwrap();
    assert!(at < 20, "the commands come first:\n{readme}");
    for cmd in [
        "cargo install --path . --locked",
        "sim run scenarios/partition.toml",
        "cargo test --release",
    ] {
        assert!(
            first.contains(cmd),
            "README's first block lacks {cmd:?}:\n{first}"
        );
    }
}

#[test]
fn readme_and_scenarios_readme_scenarios_load() {
    for doc in ["README.md", "scenarios/README.md"] {
        let blocks = code_blocks(&read(doc), "toml");
        let scenarios: Vec<&String> = blocks
            .iter()
            .filter(|b| b.contains("participants"))
            .collect();
        assert!(!scenarios.is_empty(), "{doc} shows no scenario");
        for b in scenarios {
            // Sweep-file examples hold `base`: only scenario blocks are loaded here.
            if b.contains("base =") {
                continue;
            }
            let origin = repo("scenarios/example.toml");
            scenario::load_str(b, &origin, None, &[])
                .unwrap_or_else(|e| panic!("{doc}: block does not load: {e}\n{b}"));
        }
    }
}

#[test]
fn scenario_library_table_names_every_shipped_file() {
    let readme = read("scenarios/README.md");
    for dir in ["scenarios", "scenarios/sweeps"] {
        let prefix = dir
            .strip_prefix("scenarios")
            .unwrap()
            .trim_start_matches('/');
        for e in std::fs::read_dir(repo(dir)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".toml") {
                continue;
            }
            let cell = if prefix.is_empty() {
                format!("| `{name}` |")
            } else {
                format!("| `{prefix}/{name}` |")
            };
            assert!(
                readme.contains(&cell),
                "scenarios/README.md's library tables lack a row {cell}"
            );
        }
    }
}

/// GitHub's anchor of a heading: lower case, spaces to `-`, punctuation other than `-` and
/// `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(md: &str) -> BTreeSet<String> {
    let mut inside = false;
    let mut out = BTreeSet::new();
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if !inside && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn relative_links_and_anchors_resolve() {
    let mut docs = vec![
        "README.md".to_string(),
        "ARCHITECTURE.md".into(),
        "CONFORMANCE.md".into(),
        "scenarios/README.md".into(),
        "reports/README.md".into(),
    ];
    for e in std::fs::read_dir(repo("docs")).unwrap() {
        docs.push(format!("docs/{}", e.unwrap().file_name().to_string_lossy()));
    }
    let mut bad = Vec::new();
    for doc in &docs {
        let text = read(doc);
        let dir = Path::new(doc).parent().unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if target.contains("://") || target.contains(' ') {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                PathBuf::from(doc)
            } else {
                dir.join(file)
            };
            let full = repo(&path.to_string_lossy());
            if !full.exists() {
                bad.push(format!("{doc}: {target}: no such file"));
            } else if !anchor.is_empty()
                && !anchors(&std::fs::read_to_string(&full).unwrap()).contains(anchor)
            {
                bad.push(format!("{doc}: {target}: no such heading"));
            }
        }
    }
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

/// Runs `sh -c script` with `var=value` and returns its stdout.
fn sh(script: &str, var: &str, value: u32) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env(var, value.to_string())
        .env("SLURM_CPUS_PER_TASK", "4")
        .output()
        .expect("sh");
    assert!(out.status.success(), "{script}: {:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

/// Every index a scheduler hands out gives a distinct shard and output directory; together
/// the shards hold every row exactly once.
fn check_shards(what: &str, shards: &[(String, String)], n: usize) {
    assert_eq!(shards.len(), n, "{what}: one task per shard");
    let parsed: Vec<Shard> = shards
        .iter()
        .map(|(s, _)| {
            s.parse()
                .unwrap_or_else(|e| panic!("{what}: --shard {s}: {e}"))
        })
        .collect();
    let outs: BTreeSet<&String> = shards.iter().map(|(_, o)| o).collect();
    assert_eq!(
        outs.len(),
        n,
        "{what}: output directories collide: {shards:?}"
    );
    for row in 0..10 * n {
        let holders = parsed.iter().filter(|s| s.holds(row)).count();
        assert_eq!(
            holders, 1,
            "{what}: row {row} held by {holders} shards: {shards:?}"
        );
    }
}

/// The `--shard` and `--out` values of a `sim sweep` command line as `sh` expands it.
fn shard_and_out(cmd: &str, var: &str, index: u32) -> (String, String) {
    let script = cmd.replacen("sim sweep", "printf '%s\\n'", 1);
    let words: Vec<String> = sh(&script, var, index).lines().map(String::from).collect();
    let after = |flag: &str| {
        let i = words
            .iter()
            .position(|w| w == flag)
            .unwrap_or_else(|| panic!("{flag} in {words:?}"));
        words[i + 1].clone()
    };
    (after("--shard"), after("--out"))
}

#[test]
fn slurm_job_array_gives_every_shard_once() {
    let doc = read("docs/clusters.md");
    let script = code_blocks(&doc, "sh")
        .into_iter()
        .find(|b| b.contains("#SBATCH --array"))
        .expect("docs/clusters.md has the SLURM script");
    let array = script
        .lines()
        .find_map(|l| l.strip_prefix("#SBATCH --array="))
        .unwrap();
    let (lo, hi) = array.split_once('-').unwrap();
    let (lo, hi): (u32, u32) = (lo.parse().unwrap(), hi.parse().unwrap());
    let cmd: String = script
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let shards: Vec<(String, String)> = (lo..=hi)
        .map(|i| shard_and_out(&cmd, "SLURM_ARRAY_TASK_ID", i))
        .collect();
    check_shards("SLURM", &shards, (hi - lo + 1) as usize);
}

#[test]
fn kubernetes_indexed_job_gives_every_shard_once() {
    let doc = read("docs/clusters.md");
    let yaml = &code_blocks(&doc, "yaml")[0];
    let completions: u32 = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The folded scalar after `- >-`: its lines joined by spaces.
    let mut lines = yaml.lines().skip_while(|l| !l.trim().starts_with("- >-"));
    let indent = |l: &str| l.len() - l.trim_start().len();
    let head = indent(lines.next().expect("args: - >-"));
    let cmd: Vec<&str> = lines
        .take_while(|l| indent(l) > head)
        .map(str::trim)
        .collect();
    let cmd = cmd.join(" ");
    assert!(cmd.starts_with("sim sweep"), "{cmd}");
    let shards: Vec<(String, String)> = (0..completions)
        .map(|i| shard_and_out(&cmd, "JOB_COMPLETION_INDEX", i))
        .collect();
    check_shards("Kubernetes", &shards, completions as usize);
}

/// Every label the console summary prints (`src/report/console.rs`, the first argument of
/// each `row(...)`) is defined in `reports/README.md`, "The console summary".
#[test]
fn every_console_label_is_defined_in_reports_readme() {
    let src = read("src/report/console.rs");
    let readme = read("reports/README.md");
    let start = readme
        .find("## The console summary")
        .expect("reports/README.md has \"The console summary\"");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut labels = Vec::new();
    let mut rest = src.as_str();
    while let Some(i) = rest.find("row(") {
        rest = &rest[i + 4..];
        let arg = rest.trim_start();
        let arg = arg.strip_prefix("&format!(").unwrap_or(arg);
        let Some(lit) = arg.strip_prefix('"') else {
            continue;
        };
        // The literal up to its closing quote (escaped quotes kept).
        let mut label = String::new();
        let mut chars = lit.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => label.extend(chars.next()),
                '"' => break,
                c => label.push(c),
            }
        }
        // A placeholder (`{name} queue delay ...`) stands for a word the table lists.
        let label = label.rsplit('}').next().unwrap_or("").trim().to_string();
        if !label.is_empty() {
            labels.push(label);
        }
    }
    assert!(labels.len() >= 15, "found only {labels:?}");
    let missing: Vec<&String> = labels
        .iter()
        .filter(|l| !section.contains(l.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "console labels not defined in reports/README.md: {missing:?}"
    );
}
