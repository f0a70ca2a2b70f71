//! Tests of the sweep outputs: statistics, merging, writing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

fn result(rows: Vec<Row>, shard: Option<ShardOut>) -> SweepResult {
    SweepResult {
        schema_version: SCHEMA_VERSION,
        sweep: "t".into(),
        description: String::new(),
        sweep_hash: "h".into(),
        sdsim_version: "0".into(),
        base: "b.toml".into(),
        seeds: vec![1, 2],
        set: vec![],
        parameters: vec![ParamOut {
            key: "protocol".into(),
            values: vec!["sds".into(), "none".into()],
        }],
        metrics: vec!["m".into()],
        interval: INTERVAL.into(),
        shard,
        points: (0..2)
            .map(|i| PointOut {
                point: i,
                values: vec![if i == 0 { "sds" } else { "none" }.into()],
                overrides: vec![],
                config_hash: "c".into(),
                stats: None,
            })
            .collect(),
        rows,
    }
}

fn row(point: usize, seed: u64, m: f64) -> Row {
    let mut metrics = BTreeMap::new();
    metrics.insert(
        "m".to_string(),
        serde_json::Number::from_f64(m).expect("finite"),
    );
    Row {
        point,
        seed,
        metrics,
    }
}

#[test]
fn complete_sorts_and_aggregates() {
    let mut r = result(
        vec![
            row(1, 2, 4.0),
            row(0, 2, 2.0),
            row(0, 1, 1.0),
            row(1, 1, 3.0),
        ],
        Some(ShardOut { index: 1, count: 1 }),
    );
    r.complete();
    assert_eq!(r.shard, None);
    let order: Vec<(usize, u64)> = r.rows.iter().map(|x| (x.point, x.seed)).collect();
    assert_eq!(order, [(0, 1), (0, 2), (1, 1), (1, 2)]);
    let s = &r.points[1].stats.as_ref().unwrap()["m"];
    assert_eq!((s.mean, s.runs), (3.5, 2));
    assert!(
        r.summary_table().contains("3.50 ±"),
        "{}",
        r.summary_table()
    );
}

fn write_shard(dir: &Path, name: &str, r: &SweepResult) -> PathBuf {
    let d = dir.join(name);
    write_dir(&d, r, &SweepPerf::new(vec![], None, None)).expect("write");
    d
}

#[test]
fn merge_checks_hash_duplicates_and_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |k| Some(ShardOut { index: k, count: 2 });
    let a = write_shard(
        tmp.path(),
        "a",
        &result(vec![row(0, 1, 1.0), row(1, 1, 3.0)], s(1)),
    );
    let b = write_shard(
        tmp.path(),
        "b",
        &result(vec![row(0, 2, 2.0), row(1, 2, 4.0)], s(2)),
    );
    let (m, _) = merge(&[b.clone(), a.clone()]).expect("merge");
    assert_eq!(m.rows.len(), 4);
    assert_eq!(m.shard, None);

    let e = merge(std::slice::from_ref(&a)).unwrap_err().to_string();
    assert!(
        e.contains("2 of 4 rows missing") && e.contains("shard 2/2"),
        "{e}"
    );
    assert!(e.contains("shards not given: 2/2"), "{e}");

    let e = merge(&[a.clone(), a.clone(), b.clone()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("duplicate") && e.contains("point 0 seed 1"),
        "{e}"
    );

    let mut other = result(vec![row(0, 2, 2.0), row(1, 2, 4.0)], s(2));
    other.sweep_hash = "x".into();
    let c = write_shard(tmp.path(), "c", &other);
    let e = merge(&[a.clone(), c]).unwrap_err().to_string();
    assert!(e.contains("different sweep") && e.contains("c"), "{e}");

    let mut bad = result(vec![row(5, 2, 2.0)], s(2));
    bad.sweep_hash = "h".into();
    let d = write_shard(tmp.path(), "d", &bad);
    let e = merge(&[a, d]).unwrap_err().to_string();
    assert!(e.contains("not in the sweep's grid"), "{e}");

    // A shard's own `shard` field must be valid and match its rows.
    let bad_index = write_shard(
        tmp.path(),
        "e",
        &result(vec![row(0, 2, 2.0)], Some(ShardOut { index: 9, count: 3 })),
    );
    let e = merge(&[bad_index]).unwrap_err().to_string();
    assert!(
        e.contains("e/sweep.json") && e.contains("shard 9/3 is not a valid shard"),
        "{e}"
    );
    let wrong_rows = write_shard(tmp.path(), "f", &result(vec![row(0, 1, 1.0)], s(2)));
    let e = merge(&[wrong_rows]).unwrap_err().to_string();
    assert!(
        e.contains("f/sweep.json")
            && e.contains("row 0 (point 0 seed 1) does not belong to shard 2/2"),
        "{e}"
    );

    let e = merge(&[tmp.path().join("nope")]).unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("sweep.json"), "{e}");
}

#[test]
fn refuses_to_replace_a_foreign_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "x").unwrap();
    let r = result(vec![], None);
    let e = write_dir(tmp.path(), &r, &SweepPerf::new(vec![], None, None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("refusing to replace it"), "{e}");
    assert!(e.contains("precious.txt"), "{e}");
    assert!(tmp.path().join("precious.txt").is_file());
}
