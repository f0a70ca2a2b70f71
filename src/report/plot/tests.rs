//! Tests across the run charts: byte-identical SVGs for the same input, errors naming the
//! file.

use super::*;

/// Latencies in ms spread over about 1..3000 ms, deterministically.
pub(super) fn lat(n: usize) -> Vec<f64> {
    // Deterministic spread over ~1..3000 ms.
    (0..n)
        .map(|i| 5.0 + ((i * 7919) % 1000) as f64 * ((i % 5) as f64 + 0.5))
        .collect()
}

#[test]
fn svg_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = lat(3000);
    let pts: Vec<(f64, f64)> = (0..100)
        .map(|t| (t as f64, (t % 10) as f64 / 10.0))
        .collect();
    let mut outputs = Vec::new();
    for run in 0..2 {
        let d = dir.path().join(format!("run{run}"));
        latency_cdf(
            &d.join("cdf"),
            "t",
            &[CdfSeries {
                label: "a",
                latencies_ms: &a,
            }],
        )
        .unwrap();
        delivery_over_time(
            &d.join("time"),
            "t",
            &[TimeSeries {
                label: "a",
                points: &pts,
            }],
            &[Window {
                start_s: 10.0,
                end_s: 20.0,
                label: "partition",
            }],
            Some(80.0),
        )
        .unwrap();
        bytes_by_kind(
            &d.join("bytes"),
            "t",
            &[("content", 5_000_000), ("sync", 12_000)],
        )
        .unwrap();
        let read = |n: &str| std::fs::read(d.join(format!("{n}.svg"))).unwrap();
        outputs.push([read("cdf"), read("time"), read("bytes")]);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory is needed.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let err = bytes_by_kind(&blocker.join("sub").join("bytes"), "t", &[("a", 1)]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bytes.png"), "{msg}");
}
