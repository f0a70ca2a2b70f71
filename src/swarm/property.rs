//! The named properties a swarm checks on every run, and when each applies.
//!
//! A property is judged on [`Facts`]: plain figures taken from a run's `report.json` summary
//! and its scenario ([`Facts::of`]), so a test can feed fabricated figures.
//!
//! - **safety** (always): no duplicate delivery (`summary.duplicates_delivered = 0`); no
//!   delivery of an id never published (`summary.unknown_deliveries = 0`); no causal-order
//!   violation (`summary.causal_violations = 0`) unless a lost timeout with the `deliver`
//!   policy is set (`sds.lost_timeout`, `sds.lost_policy = "deliver"`: delivering a message
//!   whose dependencies were declared lost is a causal violation by design); conservation:
//!   `delivered <= expected_deliveries`, the bytes of every kind sum to `bytes_sent`,
//!   `copies_lost + copies_partitioned + copies_dropped_in_queue <= copies_sent`; and a run
//!   that stopped `settled` has delivery ratio 1 unless a participant left (`churn.left >
//!   0`; a departed participant's missed messages count against the ratio but do not hold
//!   the stop rule).
//! - **liveness** (applies when the protocol is SDS, SDS-R is on (`retrieval.strategy`
//!   `sds-r` or `both`), no lost timeout is set, nobody leaves or crashes (a crashed core
//!   never gets its own earlier messages back: `scenarios/README.md`, "Churn semantics"),
//!   and the drain is at least [`LIVENESS_MIN_DRAIN_S`]: every timed fault (partitions,
//!   offline windows, outages, degradations) ends by the end of the workload): delivery
//!   ratio 1.0 and every channel's members end with one final log
//!   (`distinct_final_logs = channels`). Persistent random loss is not a timed fault: SDS is
//!   expected to overcome it.
//! - **determinism** (every `determinism_every`-th scenario): the scenario run twice gives
//!   the same event trace and a byte-identical `report.json`.

use crate::report::Report;
use crate::scenario::{ChurnMode, LostPolicyName, Protocol, RetrievalStrategy, Scenario};

/// The drain a liveness verdict needs at least (s): SDS-R's own schedule at defaults is
/// about `t_max × (2 × max_requests + 1)` = 14 min; shorter drains judge nothing.
pub const LIVENESS_MIN_DRAIN_S: f64 = 600.0;

/// A property's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    Safety,
    Liveness,
    Determinism,
    /// The run itself failed: the simulator returned an error or panicked (always a bug).
    Runs,
}

impl Property {
    /// Every property, in column order.
    pub const ALL: [Property; 4] = [
        Property::Safety,
        Property::Liveness,
        Property::Determinism,
        Property::Runs,
    ];

    /// The name used in files and columns.
    pub fn name(self) -> &'static str {
        match self {
            Property::Safety => "safety",
            Property::Liveness => "liveness",
            Property::Determinism => "determinism",
            Property::Runs => "runs",
        }
    }

    /// The property of a name (as in [`Property::name`]).
    pub fn from_name(s: &str) -> Option<Property> {
        Property::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// A property's verdict on one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Failed, with one line saying what was seen.
    Fail(String),
    /// Did not apply (or was not checked).
    NotApplicable,
}

impl Verdict {
    /// `pass`, `FAIL`, `n/a`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "FAIL",
            Verdict::NotApplicable => "n/a",
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self, Verdict::Fail(_))
    }
}

/// The figures the properties judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub duplicates_delivered: u64,
    pub unknown_deliveries: u64,
    pub causal_violations: u64,
    pub expected_deliveries: u64,
    pub delivered: u64,
    pub delivery_ratio: f64,
    pub bytes_sent: u64,
    pub bytes_by_kind_sum: u64,
    pub copies_sent: u64,
    pub copies_lost: u64,
    pub copies_partitioned: u64,
    pub copies_dropped_in_queue: u64,
    pub settled: bool,
    pub distinct_final_logs: u64,
    /// Channels of the run (the group channel and each conversation).
    pub channels: u64,
    /// Participants that left for good.
    pub left: u64,
    /// A lost timeout with the `deliver` policy is set (causal violations allowed).
    pub deliver_anyway: bool,
    /// Whether the liveness preconditions hold (see the module docs).
    pub liveness_applies: bool,
}

impl Facts {
    /// The facts of a run of `scenario` that produced `report`.
    pub fn of(scenario: &Scenario, report: &Report) -> Facts {
        let s = &report.summary;
        let strategy = scenario.retrieval_strategy();
        let churn = &scenario.churn;
        let churn_scheduled = !churn.offline.is_empty() || churn.random.is_some();
        let departs = churn_scheduled && matches!(churn.mode, ChurnMode::Leave | ChurnMode::Crash);
        let liveness_applies = scenario.protocol == Protocol::Sds
            && matches!(strategy, RetrievalStrategy::SdsR | RetrievalStrategy::Both)
            && scenario.sds.lost_timeout.is_none()
            && !departs
            && scenario.drain.as_secs_f64() >= LIVENESS_MIN_DRAIN_S;
        let channels = u64::from(scenario.workload.group)
            + scenario
                .workload
                .direct
                .as_ref()
                .map_or(0, |d| u64::from(d.conversations));
        Facts {
            duplicates_delivered: s.duplicates_delivered,
            unknown_deliveries: s.unknown_deliveries,
            causal_violations: s.causal_violations,
            expected_deliveries: s.expected_deliveries,
            delivered: s.delivered,
            delivery_ratio: s.delivery_ratio,
            bytes_sent: s.bytes_sent,
            bytes_by_kind_sum: s.bytes_by_kind.values().sum(),
            copies_sent: s.copies_sent,
            copies_lost: s.copies_lost,
            copies_partitioned: s.copies_partitioned,
            copies_dropped_in_queue: s.copies_dropped_in_queue,
            settled: report.run.stop_reason == "settled",
            distinct_final_logs: s.distinct_final_logs,
            channels,
            left: s.churn.as_ref().map_or(0, |c| c.left),
            deliver_anyway: scenario.sds.lost_timeout.is_some()
                && scenario.sds.lost_policy == LostPolicyName::Deliver,
            liveness_applies,
        }
    }
}

/// The safety verdict (see the module docs): the first broken rule.
pub fn safety(f: &Facts) -> Verdict {
    let mut broken = Vec::new();
    if f.duplicates_delivered > 0 {
        broken.push(format!("{} duplicate deliveries", f.duplicates_delivered));
    }
    if f.unknown_deliveries > 0 {
        broken.push(format!(
            "{} deliveries of unpublished ids",
            f.unknown_deliveries
        ));
    }
    if f.causal_violations > 0 && !f.deliver_anyway {
        broken.push(format!(
            "{} causal violations without a deliver-anyway lost timeout",
            f.causal_violations
        ));
    }
    if f.delivered > f.expected_deliveries {
        broken.push(format!(
            "delivered {} > expected {}",
            f.delivered, f.expected_deliveries
        ));
    }
    if f.bytes_by_kind_sum != f.bytes_sent {
        broken.push(format!(
            "bytes by kind sum to {}, bytes_sent is {}",
            f.bytes_by_kind_sum, f.bytes_sent
        ));
    }
    let gone = f.copies_lost + f.copies_partitioned + f.copies_dropped_in_queue;
    if gone > f.copies_sent {
        broken.push(format!(
            "copies lost + partitioned + dropped = {gone} > copies sent {}",
            f.copies_sent
        ));
    }
    if f.settled && f.delivery_ratio < 1.0 && f.left == 0 {
        broken.push(format!(
            "stopped settled with delivery ratio {} and nobody left",
            f.delivery_ratio
        ));
    }
    if broken.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(broken.join("; "))
    }
}

/// The liveness verdict (see the module docs).
pub fn liveness(f: &Facts) -> Verdict {
    if !f.liveness_applies {
        return Verdict::NotApplicable;
    }
    let mut broken = Vec::new();
    if f.delivery_ratio < 1.0 {
        broken.push(format!(
            "delivery ratio {} ({} of {} pairs)",
            f.delivery_ratio, f.delivered, f.expected_deliveries
        ));
    }
    if f.distinct_final_logs != f.channels {
        broken.push(format!(
            "{} distinct final logs over {} channel(s)",
            f.distinct_final_logs, f.channels
        ));
    }
    if broken.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(broken.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Facts {
        Facts {
            expected_deliveries: 100,
            delivered: 100,
            delivery_ratio: 1.0,
            bytes_sent: 5_000,
            bytes_by_kind_sum: 5_000,
            copies_sent: 50,
            copies_lost: 3,
            copies_partitioned: 2,
            settled: true,
            distinct_final_logs: 1,
            channels: 1,
            liveness_applies: true,
            ..Facts::default()
        }
    }

    #[test]
    fn a_good_run_passes() {
        assert_eq!(safety(&good()), Verdict::Pass);
        assert_eq!(liveness(&good()), Verdict::Pass);
    }

    #[test]
    fn each_safety_rule_can_fail() {
        type Case = (fn(&mut Facts), &'static str);
        let cases: Vec<Case> = vec![
            (|f| f.duplicates_delivered = 1, "duplicate"),
            (|f| f.unknown_deliveries = 2, "unpublished"),
            (|f| f.causal_violations = 3, "causal"),
            (|f| f.delivered = 101, "expected"),
            (|f| f.bytes_by_kind_sum = 4_999, "bytes by kind"),
            (|f| f.copies_dropped_in_queue = 46, "copies sent"),
            (
                |f| {
                    f.delivery_ratio = 0.9;
                    f.delivered = 90;
                },
                "settled",
            ),
        ];
        for (bad, word) in cases {
            let mut f = good();
            bad(&mut f);
            match safety(&f) {
                Verdict::Fail(m) => assert!(m.contains(word), "{m} lacks {word}"),
                v => panic!("{word}: {v:?}"),
            }
        }
    }

    #[test]
    fn allowances() {
        let mut f = good();
        f.causal_violations = 4;
        f.deliver_anyway = true;
        assert_eq!(safety(&f), Verdict::Pass);
        let mut f = good();
        f.delivery_ratio = 0.9;
        f.left = 1;
        assert_eq!(safety(&f), Verdict::Pass);
        assert!(liveness(&f).failed());
        f.liveness_applies = false;
        assert_eq!(liveness(&f), Verdict::NotApplicable);
    }

    #[test]
    fn liveness_fails_on_ratio_or_logs() {
        let mut f = good();
        f.delivery_ratio = 0.8179;
        f.settled = false;
        assert!(matches!(liveness(&f), Verdict::Fail(m) if m.contains("0.8179")));
        let mut f = good();
        f.distinct_final_logs = 2;
        assert!(matches!(liveness(&f), Verdict::Fail(m) if m.contains("final logs")));
    }
}
