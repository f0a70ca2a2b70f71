//! Tests of the sweep file, its ranges and its grid.

use std::path::Path;

use super::values::range;
use super::*;
use crate::sweep::SweepError;

fn base_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("base.toml"),
        "participants = 4\nduration = \"10s\"\n[network.latency]\n\
         distribution = { kind = \"constant\", value = \"20ms\" }\n",
    )
    .expect("write");
    dir
}

fn load_in(dir: &Path, text: &str) -> Result<Plan, SweepError> {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).expect("write");
    load(&path)
}

#[test]
fn grid_in_file_order_first_key_slowest() {
    let dir = base_dir();
    let plan = load_in(
        dir.path(),
        "base = \"base.toml\"\nseeds = 2\n[sweep]\n\"network.loss\" = [0.0, 0.1]\n\
         protocol = [\"sds\", \"none\"]\nsds.causal_history = { from = 2, to = 10, step = 4 }\n",
    )
    .expect("loads");
    assert_eq!(plan.spec.seeds, vec![1, 2]);
    let keys: Vec<&str> = plan.spec.params.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["network.loss", "protocol", "sds.causal_history"]);
    assert_eq!(plan.points.len(), 12);
    assert_eq!(plan.runs(), 24);
    assert_eq!(plan.points[1].value_index, vec![0, 0, 1]);
    assert_eq!(plan.points[3].value_index, vec![0, 1, 0]);
    let p = &plan.points[7];
    assert_eq!(
        p.overrides,
        vec![
            "network.loss=0.1",
            "protocol=\"sds\"",
            "sds.causal_history=6"
        ]
    );
    let loaded = plan.load_point(p).expect("point loads");
    assert_eq!(loaded.scenario.sds.causal_history, 6);
    assert_eq!(loaded.scenario.network.loss, 0.1);
    assert_eq!(loaded.config_hash, p.config_hash);
    assert_eq!(plan.spec.metrics, DEFAULT_METRICS);
    assert_eq!(plan.spec.name, "s");
}

#[test]
fn ranges() {
    let t = |s: &str| -> toml::Table { toml::from_str(&format!("r = {s}")).unwrap() };
    let r = |s: &str| match t(s).get("r") {
        Some(toml::Value::Table(x)) => range(x),
        _ => unreachable!(),
    };
    let f = |v: Vec<toml::Value>| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        f(r("{ from = 2, to = 10, step = 4 }").unwrap()),
        ["2", "6", "10"]
    );
    assert_eq!(f(r("{ from = 2, to = 9, step = 4 }").unwrap()), ["2", "6"]);
    assert_eq!(
        f(r("{ from = 0.0, to = 0.05, step = 0.01 }").unwrap()),
        ["0.0", "0.01", "0.02", "0.03", "0.04", "0.05"]
    );
    assert_eq!(
        f(r("{ from = 100, to = 10000, factor = 10 }").unwrap()),
        ["100", "1000", "10000"]
    );
    assert_eq!(
        f(r("{ from = 0.001, to = 0.1, factor = 10.0 }").unwrap()),
        ["0.001", "0.01", "0.1"]
    );
    assert!(r("{ from = 1, to = 3, step = 0 }")
        .unwrap_err()
        .contains("step"));
    assert!(r("{ from = 3, to = 1, step = 1 }")
        .unwrap_err()
        .contains("below"));
    assert!(r("{ from = 1, to = 3 }").unwrap_err().contains("step"));
    assert!(r("{ from = 1, to = 3, step = 1, factor = 2 }")
        .unwrap_err()
        .contains("either"));
    assert!(r("{ from = 1, to = 3, stp = 1 }")
        .unwrap_err()
        .contains("stp"));
    assert!(r("{ from = 1, to = 1000000, step = 1 }")
        .unwrap_err()
        .contains("more than"));
    assert!(r("{ from = 0, to = 10, factor = 2 }")
        .unwrap_err()
        .contains("> 0"));
}

#[test]
fn errors_name_file_line_and_key() {
    let dir = base_dir();
    let cases: &[(&str, &[&str])] = &[
        ("base = \"base.toml\"\nsweeep = 1\n[sweep]\nprotocol = [\"sds\"]\n", &["line 2", "sweeep", "unknown key"]),
        ("[sweep]\nprotocol = [\"sds\"]\n", &["base", "missing"]),
        ("base = \"nope.toml\"\n[sweep]\nprotocol = [\"sds\"]\n", &["line 1", "base", "nope.toml"]),
        ("base = \"base.toml\"\n", &["sweep", "missing"]),
        ("base = \"base.toml\"\nsweep = 5\n", &["line 2", "sweep: has the wrong type: expected a table", "got integer 5"]),
        ("base = \"base.toml\"\nsweep = [1, 2]\n", &["line 2", "sweep: has the wrong type", "got array"]),
        ("base = \"base.toml\"\n[set]\nparticipants = 5\nsweep = 5\n", &["line 4", "set.sweep: `sweep = 5` is inside [set]", "[sweep] table is missing"]),
        ("base = \"base.toml\"\n[sweep]\n", &["no key to sweep"]),
        ("base = \"base.toml\"\n[sweep]\nprotocol = []\n", &["line 3", "sweep.protocol", "empty"]),
        ("base = \"base.toml\"\n[sweep]\nprotocol = \"sds\"\n", &["sweep.protocol", "[set]"]),
        ("base = \"base.toml\"\n[sweep]\nprotocol = [\"sds\", \"sds\"]\n", &["twice"]),
        ("base = \"base.toml\"\nseeds = 0\n[sweep]\nprotocol = [\"sds\"]\n", &["line 2", "seeds"]),
        ("base = \"base.toml\"\nseeds = [1, 1]\n[sweep]\nprotocol = [\"sds\"]\n", &["seeds", "twice"]),
        ("base = \"base.toml\"\nmetrics = [\"delivery_ration\"]\n[sweep]\nprotocol = [\"sds\"]\n", &["metrics", "delivery_ration", "similar"]),
        ("base = \"base.toml\"\n[sweep]\n\"network.loss\" = { from = 0.0, to = 0.1, step = -1.0 }\n", &["line 3", "sweep.network.loss", "step"]),
        ("base = \"base.toml\"\n[sweep]\n\"network.loss\" = [0.0, 1.5]\n", &["line 3", "sweep.network.loss", "value 1.5", "point 1 (0-based, of 2", "base.toml", "--set network.loss=1.5"]),
        ("base = \"base.toml\"\n[sweep]\n\"network.losss\" = [0.1]\n", &["sweep.network.losss", "network.losss"]),
        ("base = \"base.toml\"\n[set]\nparticipants = 0\n[sweep]\nprotocol = [\"sds\"]\n", &["line 3", "set.participants", "participants"]),
        ("base = \"base.toml\"\n[set]\nprotocol = \"none\"\n[sweep]\nprotocol = [\"sds\"]\n", &["sweep.protocol", "both"]),
        ("base = \"base.toml\"\n[sweep]\nseed = [1, 2]\n", &["sweep.seed", "seeds"]),
        ("base = \"base.toml\"\n[sweep\n", &["line 2", "invalid TOML"]),
    ];
    for (text, needles) in cases {
        let e = load_in(dir.path(), text).expect_err(text).to_string();
        assert!(
            e.starts_with(&dir.path().join("s.toml").display().to_string()),
            "{e}"
        );
        for n in *needles {
            assert!(
                e.contains(n),
                "{n:?} missing from: {e}\n(sweep file: {text})"
            );
        }
    }
}

#[test]
fn set_applies_to_every_point_and_nested_keys_flatten() {
    let dir = base_dir();
    let plan = load_in(
        dir.path(),
        "base = \"base.toml\"\nseeds = [7, 3]\nmetrics = [\"summary.bytes_sent\", \"run.end_s\"]\n\
         [set]\nparticipants = 6\n\"network.latency.distribution\" = { kind = \"constant\", value = \"5ms\" }\n\
         [sweep.sds]\ncausal_history = [2, 3]\n",
    )
    .expect("loads");
    assert_eq!(plan.spec.seeds, vec![7, 3]);
    assert_eq!(plan.spec.metrics, ["bytes_sent", "run.end_s"]);
    assert_eq!(plan.spec.params[0].key, "sds.causal_history");
    for p in &plan.points {
        assert_eq!(plan.load_point(p).unwrap().scenario.participants, 6);
    }
    // The hash depends on the definition, not on formatting.
    let again = load_in(
        dir.path(),
        "base = \"base.toml\"\nseeds = [7, 3]   # comment\nmetrics = [\"bytes_sent\", \"run.end_s\"]\n\
         [set]\nparticipants = 6\n\"network.latency.distribution\" = { kind = \"constant\", value = \"5ms\" }\n\
         [sweep]\n\"sds.causal_history\" = [2, 3]\n",
    )
    .expect("loads");
    assert_eq!(plan.hash, again.hash);
    let other = load_in(
        dir.path(),
        "base = \"base.toml\"\nseeds = [7, 3]\nmetrics = [\"bytes_sent\", \"run.end_s\"]\n\
         [set]\nparticipants = 7\n[sweep]\n\"sds.causal_history\" = [2, 3]\n",
    )
    .expect("loads");
    assert_ne!(plan.hash, other.hash);
}
