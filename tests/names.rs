//! Scenario and sweep names become directory names (`reports/runs/<name>-seed<N>/`,
//! `reports/sweeps/<name>/`): names that would leave `reports/` (`../../../x`, `/tmp/x`),
//! hide the directory (`.`, `..`, `.x`), hold NUL or terminal escape sequences, or are 100 KB
//! long are refused at validation, exit 2, naming the file, the line and `name`, with the
//! name shown escaped (issue 10, "Names and paths").

mod common;

use std::path::Path;

use common::sim;

const BODY: &str = r#"
participants = 3
duration = "5s"
[workload]
rate_per_s = 1.0
payload_bytes = 16
[network.latency]
distribution = { kind = "constant", value = "20ms" }
"#;

/// Runs `args` in `dir`; checks exit 2, every needle in stderr, no control character in it
/// (escape sequences shown escaped), and nothing written.
fn rejected(dir: &Path, args: &[&str], needles: &[&str]) {
    let out = sim(args, dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {n:?} not in {err}");
    }
    assert!(
        !err.trim_end().chars().any(|c| c.is_control()),
        "control character reached the terminal: {err:?}"
    );
    assert!(err.len() < 2_000, "{} bytes of error", err.len());
    assert!(!err.contains("panicked"), "{err}");
    assert!(!dir.join("reports").exists(), "output left behind");
    assert!(!dir.join("tmp").exists() && !dir.join("x").exists());
}

/// TOML basic-string spellings of hostile names (escapes as TOML writes them).
fn hostile() -> Vec<String> {
    vec![
        "../../../x".into(),
        "/tmp/x".into(),
        "a/b".into(),
        ".".into(),
        "..".into(),
        ".hidden".into(),
        "a\\u0000b".into(),
        "\\u001b[31mred\\u001b[0m".into(),
        "\\u001b]0;title\\u0007".into(),
        "x".repeat(100_000),
        "with space".into(),
    ]
}

#[test]
fn hostile_scenario_names_are_refused_at_validation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    for name in hostile() {
        std::fs::write(d.join("s.toml"), format!("name = \"{name}\"\n{BODY}")).expect("write");
        for cmd in ["validate", "run"] {
            rejected(
                d,
                &[cmd, "s.toml"],
                &["s.toml: line 1: name: must be 1 to 100 characters"],
            );
        }
    }
    // The same through --set, and with the seed the run directory gets.
    std::fs::write(d.join("s.toml"), format!("name = \"ok\"\n{BODY}")).expect("write");
    for set in ["name=../x", "name=/tmp/x", "name=.."] {
        rejected(
            d,
            &["run", "s.toml", "--set", set],
            &[&format!("--set {set}: ")],
        );
    }
    let out = sim(&["validate", "s.toml"], d);
    assert!(out.status.success());
    // The escape sequence is shown, not interpreted.
    std::fs::write(d.join("s.toml"), format!("name = \"\\u001b[2J\"\n{BODY}")).expect("write");
    rejected(d, &["validate", "s.toml"], &["\\u{1b}[2J"]);
}

#[test]
fn a_file_stem_that_is_not_a_name_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::write(d.join("my scenario.toml"), BODY).expect("write");
    rejected(
        d,
        &["validate", "my scenario.toml"],
        &[
            "name: there is no `name` key, so the file name's stem would be the name",
            "\"my scenario\"",
        ],
    );
    std::fs::write(d.join("fine.v2.toml"), BODY).expect("write");
    let out = sim(&["run", "fine.v2.toml", "--quiet"], d);
    assert!(out.status.success());
    assert!(d.join("reports/runs/fine.v2-seed1/report.json").is_file());
}

#[test]
fn hostile_sweep_names_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::write(d.join("base.toml"), BODY).expect("write");
    let sweep = "base = \"base.toml\"\nseeds = 1\n[sweep]\n\"network.loss\" = [0.0]\n";
    for name in hostile() {
        std::fs::write(d.join("grid.toml"), format!("name = \"{name}\"\n{sweep}")).expect("write");
        for dry in [&[][..], &["--dry-run"]] {
            let mut args = vec!["sweep", "grid.toml"];
            args.extend_from_slice(dry);
            rejected(
                d,
                &args,
                &["grid.toml: line 1: name: must be 1 to 100 characters"],
            );
        }
    }
    std::fs::write(d.join(".grid.toml"), sweep).expect("write");
    rejected(
        d,
        &["sweep", ".grid.toml", "--dry-run"],
        &["name: there is no `name` key, so the file name's stem would be the name"],
    );
}
