//! Settings known to lose messages: warnings `sim validate` and `sim run` print (stderr) and
//! `report.json` carries (`run.warnings`), each naming the key and the finding that shows
//! the loss. A warning never stops a run: researchers set these values on purpose to show
//! the loss.

use super::types::{Protocol, Scenario, SyncPolicyName};

/// Causal history lengths below this lost messages across partitions in README Finding 1
/// (2 lost, 10 kept every message in `partition.toml`; nim-sds and go-waku default to 10).
pub const MIN_SAFE_CAUSAL_HISTORY: u32 = 10;

/// One warning about a setting of the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// The scenario key it is about (dotted path).
    pub key: &'static str,
    /// What can go wrong and what to set instead, naming the evidence.
    pub message: String,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The warnings for `sc` (empty when nothing known to lose messages is set).
pub fn advice(sc: &Scenario) -> Vec<Advice> {
    let mut out = Vec::new();
    let faults = !sc.partitions.is_empty() || sc.churn.is_active();
    let loss = sc.network.loss > 0.0
        || sc.network.gilbert_elliott.is_some()
        || sc.network.degradations.iter().any(|d| d.loss > 0.0)
        || sc.network.links.iter().any(|l| l.loss > 0.0)
        || sc.node_classes.iter().any(|c| c.loss > 0.0);
    let sds = sc.protocol == Protocol::Sds;
    if sc.drain.as_micros() == 0 && (faults || loss) {
        out.push(Advice {
            key: "drain",
            message: "\"0s\": the run stops when the workload ends, so messages still being \
                      resent or repaired count as undelivered and the delivery ratio is not \
                      final; leave `drain` unset (60m, the run stops once settled)"
                .into(),
        });
    }
    if sds && sc.sds.causal_history < MIN_SAFE_CAUSAL_HISTORY && (faults || loss) {
        out.push(Advice {
            key: "sds.causal_history",
            message: format!(
                "{} with faults or loss: below {MIN_SAFE_CAUSAL_HISTORY}, messages delivered \
                 late are never named by a later causal history and can be lost for good \
                 (README Finding 1: 2 loses messages across a partition); js-waku uses 200, \
                 nim-sds and go-waku 10",
                sc.sds.causal_history
            ),
        });
    }
    if sds && sc.sds.sync.policy == SyncPolicyName::Off && loss {
        out.push(Advice {
            key: "sds.sync.policy",
            message: "\"off\" with loss: acknowledgements and gap detection ride on content \
                      only, so a message that missed a receiver but was acknowledged by \
                      others may never be named again or requested (README Finding 6; \
                      periodic or reliable-channel sync recovers it)"
                .into(),
        });
    }
    if sds && sc.sds.max_resends == 0 && !sc.sds.repair.enabled && (faults || loss) {
        out.push(Advice {
            key: "sds.max_resends",
            message: "0 with SDS-R off: a copy lost on the way is recovered only by a store \
                      node, if any"
                .into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> Scenario {
        super::super::load_str(toml, std::path::Path::new("t.toml"), None, &[])
            .expect("valid")
            .scenario
    }

    #[test]
    fn a_minimal_lossy_file_gets_no_warning_with_the_defaults_but_drain_zero_does() {
        let base = "participants = 5\nduration = \"1m\"\n[network]\nloss = 0.05\n";
        let keys: Vec<&str> = advice(&load(base)).iter().map(|a| a.key).collect();
        assert!(!keys.contains(&"drain"), "{keys:?}");
        let a = advice(&load(&format!("drain = \"0s\"\n{base}")));
        assert!(a.iter().any(|a| a.key == "drain"), "{a:?}");
    }

    #[test]
    fn short_causal_history_with_a_partition_names_finding_1() {
        let toml = "participants = 5\nduration = \"1m\"\n[sds]\ncausal_history = 2\n\
                    [[partitions]]\nstart = \"10s\"\nheal = \"20s\"\nfractions = [0.5, 0.5]\n";
        let a = advice(&load(toml));
        let h = a
            .iter()
            .find(|a| a.key == "sds.causal_history")
            .expect("warned");
        assert!(h.message.contains("Finding 1"), "{h}");
        // Without faults or loss nothing can be lost: no warning.
        let quiet = "participants = 5\nduration = \"1m\"\n[sds]\ncausal_history = 2\n";
        assert!(advice(&load(quiet)).is_empty());
    }

    #[test]
    fn sync_off_with_loss_is_warned() {
        let toml = "participants = 5\nduration = \"1m\"\n[network]\nloss = 0.01\n\
                    [sds.sync]\npolicy = \"off\"\n";
        assert!(advice(&load(toml))
            .iter()
            .any(|a| a.key == "sds.sync.policy"));
    }
}
