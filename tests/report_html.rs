//! `report.html`: written by every run, self-contained (no script, no network, no external
//! resource), strictly well-formed, and holding every plot, the summary table, the
//! per-kind bandwidth, the worst participants, the scenario and the command to reproduce.

use std::path::Path;
use std::process::Command;

const SCENARIO: &str = r#"
name = "html-check"
description = "partition and churn, for the report.html test"
seed = 9
participants = 12
duration = "60s"
drain = "10m"
[workload]
rate_per_s = 2.0
payload_bytes = 64
[network]
loss = 0.05
[network.latency]
distribution = { kind = "uniform", min = "10ms", max = "60ms" }
[[partitions]]
start = "10s"
heal = "30s"
fractions = [0.5, 0.5]
[sds]
bloom_capacity = 1000
[churn]
mode = "sleep"
[[churn.offline]]
ids = [3]
start = "20s"
end = "40s"
"#;

const PLOTS: [&str; 5] = [
    "delivery_over_time",
    "latency_cdf",
    "bytes_by_kind",
    "bandwidth_per_participant",
    "repair_per_gap",
];

fn text_of(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

#[test]
fn report_html_is_self_contained_and_complete() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("html check.toml"), SCENARIO).expect("write");
    // A --set value with characters that need escaping in HTML and quoting in a shell.
    let set = "description=<b>'quoted' & \"escaped\"</b>";
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args([
            "run",
            "html check.toml",
            "--quiet",
            "--out",
            "run",
            "--set",
            set,
        ])
        .current_dir(tmp.path())
        .output()
        .expect("run sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tmp.path().join("run");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");

    // Strict XML parse: every element closed, attributes quoted, entities defined.
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true, // the bare `<!DOCTYPE html>`
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, opts)
        .unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "html");
    assert!(html.starts_with("<!DOCTYPE html>"));

    // Nothing that runs or loads: no script, no external reference of any kind.
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name();
        assert!(
            !matches!(
                tag,
                "script" | "link" | "iframe" | "img" | "object" | "embed"
            ),
            "<{tag}> in report.html"
        );
        for a in n.attributes() {
            assert!(!a.name().starts_with("on"), "event handler {}", a.name());
            assert!(a.name() != "src", "src attribute on <{tag}>");
            if a.name() == "href" {
                let v = a.value();
                assert!(
                    !v.contains(':') && !v.starts_with('/') && !v.contains(".."),
                    "href {v:?} leaves the run directory"
                );
                if let Some(anchor) = v.strip_prefix('#') {
                    assert!(
                        doc.descendants().any(|m| m.attribute("id") == Some(anchor)),
                        "dangling in-page link {v}"
                    );
                } else {
                    assert!(dir.join(v).is_file(), "link to missing file {v}");
                }
            }
        }
    }
    let lower = html.to_lowercase();
    for bad in [
        "http://",
        "https://",
        "<script",
        "javascript:",
        "@import",
        "url(",
    ] {
        assert!(!lower.contains(bad), "{bad:?} in report.html");
    }

    // Every plot, inline.
    for p in PLOTS {
        let fig = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(&format!("plot-{p}")))
            .unwrap_or_else(|| panic!("no figure for {p}"));
        assert_eq!(fig.tag_name().name(), "figure");
        let svg = fig
            .children()
            .find(|n| n.tag_name().name() == "svg")
            .unwrap_or_else(|| panic!("no inline <svg> for {p}"));
        assert!(svg.attribute("viewBox").is_some(), "{p}: no viewBox");
        assert!(
            svg.descendants().filter(|n| n.is_element()).count() > 20,
            "{p}: empty svg"
        );
    }

    // The summary table, with the delivery ratio of report.json.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("json"))
            .expect("json");
    let summary = doc
        .descendants()
        .find(|n| n.tag_name().name() == "table" && n.attribute("class") == Some("summary"))
        .expect("summary table");
    let summary_text = text_of(summary);
    assert!(
        summary_text.contains("delivery ratio (end of run)"),
        "{summary_text}"
    );
    let ratio = report["summary"]["delivery_ratio"].as_f64().expect("ratio");
    assert!(
        summary_text.contains(&format!("{ratio:.6}")),
        "{summary_text}"
    );

    // Sections by id, each with its content.
    let section_text = |id: &str| {
        let h = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap_or_else(|| panic!("no #{id}"));
        // The heading and its following siblings up to the next h2.
        let mut t = String::new();
        let mut n = h.next_sibling();
        while let Some(x) = n {
            if x.tag_name().name() == "h2" {
                break;
            }
            t.push_str(&text_of(x));
            n = x.next_sibling();
        }
        t
    };
    let reproduce = section_text("reproduce");
    assert!(
        reproduce.contains(
            "sim run 'html check.toml' --seed 9 --set 'description=<b>'\\''quoted'\\'' & \"escaped\"</b>'"
        ),
        "{reproduce}"
    );
    assert!(reproduce.contains("Seed 9"), "{reproduce}");
    let bandwidth = section_text("bandwidth");
    for kind in ["content", "sync", "repair_response"] {
        assert!(bandwidth.contains(kind), "{kind} missing: {bandwidth}");
    }
    let faults = section_text("faults");
    assert!(
        faults.contains("partition") && faults.contains("churn"),
        "{faults}"
    );
    let worst = section_text("worst");
    for t in ["Highest p99 latency", "Most bytes sent"] {
        assert!(worst.contains(t), "{t}: {worst}");
    }
    let metrics = section_text("metrics");
    assert!(metrics.contains("latency_ms.p99") && metrics.contains("bytes_by_kind.sync"));
    let scenario = section_text("scenario");
    assert!(scenario.contains("participants = 12"), "{scenario}");
    assert!(
        scenario.contains("description = ") && scenario.contains("<b>'quoted' &"),
        "the --set value is echoed: {scenario}"
    );
    // The description shows, escaped, in the page header too.
    assert!(text_of(root).contains("<b>'quoted' & \"escaped\"</b>"));
}

#[test]
fn report_html_is_deterministic() {
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/three-partition.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    for out in ["a", "b"] {
        let status = Command::new(env!("CARGO_BIN_EXE_sim"))
            .args([
                "run",
                scenario.to_str().expect("utf-8"),
                "--quiet",
                "--out",
                out,
            ])
            .current_dir(tmp.path())
            .status()
            .expect("run sim");
        assert!(status.success());
    }
    for f in [
        "report.html",
        "bandwidth_per_participant.svg",
        "repair_per_gap.svg",
    ] {
        let a = std::fs::read(tmp.path().join("a").join(f)).expect(f);
        let b = std::fs::read(tmp.path().join("b").join(f)).expect(f);
        assert!(a == b, "{f} differs between two identical runs");
    }
}

/// The `<tr>` of the summary table whose heading is `key`: (class attribute, value text).
fn summary_row(html: &str, key: &str) -> (Option<String>, String) {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, opts).expect("well-formed");
    let tr = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "tr")
        .find(|tr| {
            tr.children()
                .any(|c| c.tag_name().name() == "th" && text_of(c) == key)
        })
        .unwrap_or_else(|| panic!("no row {key:?}"));
    let td = tr
        .children()
        .find(|c| c.tag_name().name() == "td")
        .expect("td");
    (tr.attribute("class").map(String::from), text_of(td))
}

/// Problem rows are tinted: `distinct final logs` above 1 like the others; latencies are in
/// human units (`137 ms`, `4.21 s`), not raw milliseconds.
#[test]
fn report_html_tints_disagreeing_logs_and_prints_human_latencies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("s.toml"), SCENARIO).expect("write");
    // Without loss and partition, with a history of 10, the SDS logs agree (with a history
    // of 2 a 20 s sleep alone leaves 2 distinct logs); the baseline's never do under loss.
    for (protocol, sets, tinted) in [
        (
            "sds",
            &["network.loss=0", "partitions=[]", "sds.causal_history=10"][..],
            false,
        ),
        ("none", &[][..], true),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sim"));
        cmd.args(["run", "s.toml", "--quiet", "--out", protocol, "--set"])
            .arg(format!("protocol={protocol}"));
        for s in sets {
            cmd.args(["--set", s]);
        }
        let out = cmd.current_dir(tmp.path()).output().expect("sim");
        assert!(out.status.success(), "{out:?}");
        let html = std::fs::read_to_string(tmp.path().join(protocol).join("report.html"))
            .expect("report.html");
        let (class, logs) = summary_row(&html, "distinct final logs");
        let logs: u64 = logs.parse().expect("a count");
        assert_eq!(logs > 1, tinted, "{protocol}: {logs} distinct logs");
        assert_eq!(
            class.as_deref() == Some("bad"),
            tinted,
            "{protocol}: {class:?}"
        );
        let (_, latency) = summary_row(&html, "latency p50 / p95 / p99 / max");
        for part in latency.split(" / ") {
            let (num, unit) = part.split_once(' ').expect("number and unit");
            assert!(num.parse::<f64>().is_ok(), "{latency}");
            assert!(["ms", "s", "min", "h"].contains(&unit), "{latency}");
        }
    }
}
