//! `--check-determinism`: run one scenario twice in the same process and compare.
//!
//! Both runs hash every event they process into an [`metrics::trace::Trace`] (time, kind,
//! participants, one detail word); the traces are compared first, then the two `report.json`
//! texts. A difference in the traces is located to the first checkpoint that differs (the
//! runs agree up to one simulated time and differ by another, see
//! [`metrics::trace::Divergence`]); identical traces with different reports point at the
//! report code rather than the run.
//!
//! DESIGN.md "Quality bar": same binary + scenario + seed ⇒ byte-identical `report.json`.

use crate::metrics;
use crate::metrics::RunOutcome;
use crate::time::SimTime;
use crate::{report, scenario};

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Events processed by the first run.
    pub events: u64,
    /// The first run's trace hash (16 hex chars).
    pub trace_hash: String,
    /// `None` when both runs agree; otherwise one line saying where they differ.
    pub divergence: Option<String>,
}

impl Check {
    /// Whether the two runs agreed.
    pub fn ok(&self) -> bool {
        self.divergence.is_none()
    }
}

/// Runs `loaded` twice with event tracing and compares the traces and the reports. Returns
/// the second run (outcome and report, for writing) and the verdict. `progress` gets the run
/// index (0 or 1) and the current simulated time (µs). Peak memory is one run's plus the
/// first run's report text.
///
/// Errors: as [`crate::simulate`].
pub fn check(
    loaded: &scenario::Loaded,
    progress: &mut dyn FnMut(usize, SimTime),
) -> Result<(RunOutcome, report::Report, Check), crate::SimError> {
    check_observed(loaded, &crate::engine::run::Observe::default(), progress)
}

/// As [`check`], both runs recording what `observe` asks for (returned with the second).
///
/// Errors: as [`check`].
pub fn check_observed(
    loaded: &scenario::Loaded,
    observe: &crate::engine::run::Observe,
    progress: &mut dyn FnMut(usize, SimTime),
) -> Result<(RunOutcome, report::Report, Check), crate::SimError> {
    let (first, first_report) =
        crate::simulate_observed(loaded, observe, true, &mut |t| progress(0, t))?;
    let first_trace = first.trace.clone().unwrap_or_default();
    let first_json = report_text(&first_report);
    let events = first.events;
    drop(first);
    let (second, second_report) =
        crate::simulate_observed(loaded, observe, true, &mut |t| progress(1, t))?;
    let second_trace = second.trace.clone().unwrap_or_default();
    let divergence = compare(
        &first_trace,
        &second_trace,
        &first_json,
        &report_text(&second_report),
    );
    let check = Check {
        events,
        trace_hash: first_trace.hash_hex(),
        divergence,
    };
    Ok((second, second_report, check))
}

/// The verdict on two runs' traces and `report.json` texts (see [`Check::divergence`]).
pub fn compare(
    a: &metrics::trace::Trace,
    b: &metrics::trace::Trace,
    report_a: &str,
    report_b: &str,
) -> Option<String> {
    if let Some(d) = a.compare(b) {
        return Some(format!("the event traces differ: {d}"));
    }
    if report_a == report_b {
        return None;
    }
    let line = report_a
        .lines()
        .zip(report_b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| report_a.lines().count().min(report_b.lines().count()));
    let show = |text: &str| {
        text.lines()
            .nth(line)
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| "(end of file)".into())
    };
    Some(format!(
        "the event traces are identical ({} events, hash {}) but report.json differs from \
         line {}: `{}` vs `{}`",
        a.current().events,
        a.hash_hex(),
        line + 1,
        show(report_a),
        show(report_b)
    ))
}

fn report_text(r: &report::Report) -> String {
    // Serializing the report's plain structs cannot fail.
    serde_json::to_string_pretty(r).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::trace::Trace;

    #[test]
    fn report_difference_names_the_line() {
        let t = Trace::new();
        assert_eq!(compare(&t, &t, "a\nb\n", "a\nb\n"), None);
        let msg = compare(&t, &t, "{\n  \"x\": 1\n}", "{\n  \"x\": 2\n}").expect("differs");
        assert!(msg.contains("line 2") && msg.contains("\"x\": 1"), "{msg}");
    }

    #[test]
    fn trace_difference_comes_first() {
        let mut a = Trace::new();
        let b = Trace::new();
        a.record(5, [1, 2]);
        let msg = compare(&a, &b, "x", "x").expect("differs");
        assert!(msg.starts_with("the event traces differ"), "{msg}");
    }
}
