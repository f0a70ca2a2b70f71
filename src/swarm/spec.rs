//! The swarm file (`sim swarm SPEC.toml`): the ranges scenarios are drawn from and the fault
//! kinds a swarm includes, with their probabilities. Every key is documented in
//! `scenarios/swarm/README.md`; unknown keys, wrong types and out-of-range values are errors
//! naming the file, the line (for parse errors) and the key.
//!
//! A leaf of `swarm/`: names only the scenario's duration type and the input caps.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::io_limits::{self, read_capped_string};
use crate::names::check_name;
use crate::scenario::SimDuration;

/// A bad swarm file or swarm option: `FILE: message` (exit 2 in the CLI).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct SwarmError {
    pub file: PathBuf,
    pub message: String,
}

impl SwarmError {
    /// An error about `file`.
    pub fn new(file: &Path, message: impl Into<String>) -> SwarmError {
        SwarmError {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }
}

/// An inclusive range `[min, max]`, written as a two-element TOML array.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(from = "(T, T)")]
pub struct Range<T> {
    pub min: T,
    pub max: T,
}

impl<T> From<(T, T)> for Range<T> {
    fn from((min, max): (T, T)) -> Self {
        Range { min, max }
    }
}

impl<T: Copy> Range<T> {
    /// The range holding only `v`.
    pub const fn fixed(v: T) -> Range<T> {
        Range { min: v, max: v }
    }
}

fn ms(v: u64) -> SimDuration {
    SimDuration(v * 1_000)
}

fn s(v: u64) -> SimDuration {
    SimDuration(v * 1_000_000)
}

/// The swarm file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwarmSpec {
    /// Output directory name (`reports/swarms/<name>/`) and the prefix of every drawn
    /// scenario's `name`. Default: the file stem.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Properties checked (`safety`, `liveness`, `determinism`). Default: all three.
    #[serde(default = "all_properties")]
    pub properties: Vec<String>,
    /// Every k-th scenario (index multiple of k) is run twice for `determinism`; 0: never.
    #[serde(default = "default_determinism_every")]
    pub determinism_every: u64,
    /// Simulation runs a shrink of one failure may use at most (0: no shrinking).
    #[serde(default = "default_shrink_runs")]
    pub shrink_runs: u32,
    #[serde(default)]
    pub scenario: ScenarioRanges,
    #[serde(default)]
    pub sds: SdsRanges,
    #[serde(default)]
    pub faults: Faults,
    /// Set after loading: the file's path.
    #[serde(skip)]
    pub file: PathBuf,
}

fn all_properties() -> Vec<String> {
    ["safety", "liveness", "determinism"]
        .map(String::from)
        .to_vec()
}

fn default_determinism_every() -> u64 {
    10
}

fn default_shrink_runs() -> u32 {
    60
}

/// `[scenario]`: the size, length, workload and network of every drawn scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioRanges {
    pub participants: Range<u32>,
    pub duration: Range<SimDuration>,
    pub drain: Range<SimDuration>,
    pub rate_per_s: Range<f64>,
    pub payload_bytes: Range<u32>,
    /// Choices of `network.dissemination`.
    pub dissemination: Vec<String>,
    pub mesh_degree: Range<u32>,
    /// Choices of the latency distribution's kind.
    pub latency: Vec<String>,
    /// The distribution's centre (constant value, median, mean, uniform midpoint, Pareto
    /// scale).
    pub latency_median: Range<SimDuration>,
}

impl Default for ScenarioRanges {
    fn default() -> Self {
        ScenarioRanges {
            participants: Range { min: 3, max: 12 },
            duration: Range {
                min: s(30),
                max: s(180),
            },
            drain: Range::fixed(s(1_800)),
            rate_per_s: Range { min: 0.5, max: 3.0 },
            payload_bytes: Range { min: 64, max: 512 },
            dissemination: vec!["broadcast".into()],
            mesh_degree: Range { min: 3, max: 6 },
            latency: vec!["constant".into()],
            latency_median: Range {
                min: ms(5),
                max: ms(100),
            },
        }
    }
}

/// `[sds]`: the SDS parameters drawn (always written explicitly into the scenario).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SdsRanges {
    pub causal_history: Range<u32>,
    pub possible_acks_threshold: Range<u32>,
    pub bloom_capacity: Range<u32>,
    pub bloom_error_rate: Range<f64>,
    pub resend_interval: Range<SimDuration>,
    pub max_resends: Range<u32>,
    /// Choices of `sds.sync.policy`.
    pub sync_policy: Vec<String>,
    pub sync_interval: Range<SimDuration>,
    /// Probability that SDS-R is on.
    pub repair: f64,
    pub repair_t_min: Range<SimDuration>,
    /// `t_max = t_min × factor`.
    pub repair_t_max_factor: Range<f64>,
    pub max_requests: Range<u32>,
    pub response_groups: Range<u32>,
    /// Probability that a lost timeout is set.
    pub lost_timeout: f64,
    pub lost_timeout_range: Range<SimDuration>,
    /// Choices of `sds.lost_policy`.
    pub lost_policy: Vec<String>,
}

impl Default for SdsRanges {
    fn default() -> Self {
        SdsRanges {
            causal_history: Range { min: 2, max: 20 },
            possible_acks_threshold: Range::fixed(2),
            bloom_capacity: Range::fixed(10_000),
            bloom_error_rate: Range::fixed(0.001),
            resend_interval: Range::fixed(s(30)),
            max_resends: Range::fixed(10),
            sync_policy: vec!["periodic".into()],
            sync_interval: Range::fixed(s(30)),
            repair: 1.0,
            repair_t_min: Range::fixed(s(30)),
            repair_t_max_factor: Range::fixed(4.0),
            max_requests: Range::fixed(3),
            response_groups: Range::fixed(0),
            lost_timeout: 0.0,
            lost_timeout_range: Range {
                min: s(600),
                max: s(1_800),
            },
            lost_policy: vec!["deliver".into()],
        }
    }
}

/// `[faults]`: each fault kind with the probability that a scenario includes it (absent:
/// never) and its ranges.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    pub loss: Option<LossFault>,
    pub gilbert_elliott: Option<GilbertElliottFault>,
    pub duplicate: Option<LossFault>,
    pub partitions: Option<PartitionFault>,
    pub churn: Option<ChurnFault>,
    pub clock_skew: Option<ClockSkewFault>,
    pub node_classes: Option<Probability>,
    pub degradations: Option<CountFault>,
    pub links: Option<CountFault>,
    pub store: Option<StoreFault>,
    pub direct: Option<DirectFault>,
}

/// A fault kind with only its probability.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probability {
    pub probability: f64,
}

/// `[faults.loss]`, `[faults.duplicate]`: a per-copy probability drawn from `rate`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossFault {
    pub probability: f64,
    pub rate: Range<f64>,
}

/// `[faults.gilbert_elliott]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GilbertElliottFault {
    pub probability: f64,
    pub p: Range<f64>,
    pub r: Range<f64>,
}

/// `[faults.partitions]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionFault {
    pub probability: f64,
    /// Partitions per scenario (they may overlap).
    #[serde(default = "one_to_one")]
    pub count: Range<u32>,
    /// Share of one-way partitions.
    #[serde(default)]
    pub one_way: f64,
    /// Share of partitions given by explicit uneven id groups (else two `fractions` halves
    /// or an `isolate` list).
    #[serde(default)]
    pub uneven: f64,
    /// Share of `isolate` partitions.
    #[serde(default)]
    pub isolate: f64,
    /// The partition's length as a share of the workload.
    #[serde(default = "default_partition_length")]
    pub length: Range<f64>,
}

fn one_to_one() -> Range<u32> {
    Range { min: 1, max: 1 }
}

fn default_partition_length() -> Range<f64> {
    Range { min: 0.1, max: 0.8 }
}

/// `[faults.churn]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChurnFault {
    pub probability: f64,
    /// Choices of `churn.mode`.
    pub modes: Vec<String>,
    /// Explicit offline windows per scenario.
    #[serde(default = "one_to_one")]
    pub windows: Range<u32>,
    /// Probability of a `[churn.random]` set as well.
    #[serde(default)]
    pub random: f64,
    /// Probability of late joiners as well.
    #[serde(default)]
    pub late_join: f64,
}

/// `[faults.clock_skew]`: offsets uniform in `[-max, max]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSkewFault {
    pub probability: f64,
    pub max: Range<SimDuration>,
}

/// `[faults.degradations]`, `[faults.links]`: entries with extra latency and loss.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountFault {
    pub probability: f64,
    #[serde(default = "one_to_one")]
    pub count: Range<u32>,
    pub loss: Range<f64>,
}

/// `[faults.store]`: store nodes (and a retrieval strategy using them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreFault {
    pub probability: f64,
    pub nodes: Range<u32>,
    /// Probability of an outage window of one store node.
    #[serde(default)]
    pub outage: f64,
    /// Choices of `retrieval.strategy`.
    pub strategies: Vec<String>,
    /// Choices of `retrieval.query_on_connect`.
    #[serde(default = "default_query_on_connect")]
    pub query_on_connect: Vec<String>,
}

fn default_query_on_connect() -> Vec<String> {
    vec!["first-page".into()]
}

/// `[faults.direct]`: direct-message conversations.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectFault {
    pub probability: f64,
    pub conversations: Range<u32>,
    pub rate_per_s: Range<f64>,
    /// Probability that the group channel is kept beside the conversations.
    #[serde(default = "one")]
    pub group: f64,
}

fn one() -> f64 {
    1.0
}

/// The names [`SwarmSpec::properties`] accepts.
pub const PROPERTY_NAMES: [&str; 3] = ["safety", "liveness", "determinism"];

/// Reads and checks a swarm file.
///
/// # Errors
/// The file cannot be read (or is larger than 1 MiB); a TOML or type error (with the line and
/// key from the parser); a value out of range, naming its key.
pub fn load(path: &Path) -> Result<SwarmSpec, SwarmError> {
    let text = read_capped_string(path, io_limits::SWEEP_FILE_BYTES, "a swarm file")
        .map_err(|e| SwarmError::new(path, e.to_string()))?;
    parse(&text, path)
}

/// Parses and checks the text of a swarm file at `path` (see [`load`]).
///
/// # Errors
/// As [`load`].
pub fn parse(text: &str, path: &Path) -> Result<SwarmSpec, SwarmError> {
    let mut spec: SwarmSpec = toml::from_str(text).map_err(|e| {
        SwarmError::new(
            path,
            e.to_string()
                .trim_end()
                .replace('\n', " ")
                .replace("  ", " "),
        )
    })?;
    spec.file = path.to_path_buf();
    if spec.name.is_empty() {
        spec.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    check(&spec).map_err(|m| SwarmError::new(path, m))?;
    Ok(spec)
}

fn prob(key: &str, p: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(format!("{key}: must be a probability in [0, 1], got {p}"))
    }
}

fn frange(key: &str, r: Range<f64>, lo: f64, hi: f64) -> Result<(), String> {
    if !(r.min.is_finite() && r.max.is_finite()) || r.min < lo || r.max > hi || r.min > r.max {
        return Err(format!(
            "{key}: must be [min, max] with {lo} <= min <= max <= {hi}, got [{}, {}]",
            r.min, r.max
        ));
    }
    Ok(())
}

fn irange(key: &str, r: Range<u32>, lo: u32, hi: u32) -> Result<(), String> {
    if r.min < lo || r.max > hi || r.min > r.max {
        return Err(format!(
            "{key}: must be [min, max] with {lo} <= min <= max <= {hi}, got [{}, {}]",
            r.min, r.max
        ));
    }
    Ok(())
}

fn drange(
    key: &str,
    r: Range<SimDuration>,
    lo: SimDuration,
    hi: SimDuration,
) -> Result<(), String> {
    if r.min < lo || r.max > hi || r.min > r.max {
        return Err(format!(
            "{key}: must be [min, max] with {lo} <= min <= max <= {hi}, got [\"{}\", \"{}\"]",
            r.min, r.max
        ));
    }
    Ok(())
}

fn choices(key: &str, v: &[String], allowed: &[&str]) -> Result<(), String> {
    if v.is_empty() {
        return Err(format!("{key}: must list at least one of {allowed:?}"));
    }
    for c in v {
        if !allowed.contains(&c.as_str()) {
            return Err(format!(
                "{key}: unknown choice \"{c}\"; expected one of {allowed:?}"
            ));
        }
    }
    Ok(())
}

/// Longest swarm name: a drawn scenario's `name` (`<name>-NNNN`, up to 8 digits) must stay
/// within the scenario name limit of 100 characters.
pub const MAX_NAME_LEN: usize = 90;

/// Upper bound on participants a swarm draws: swarms run many small scenarios.
pub const MAX_PARTICIPANTS: u32 = 1_000;

fn check(spec: &SwarmSpec) -> Result<(), String> {
    check_name(&spec.name).map_err(|e| format!("name: {e}"))?;
    if spec.name.len() > MAX_NAME_LEN {
        return Err(format!(
            "name: at most {MAX_NAME_LEN} characters (drawn scenarios are named <name>-NNNN), got {}",
            spec.name.len()
        ));
    }
    if spec.properties.is_empty() {
        return Err(format!(
            "properties: list at least one of {PROPERTY_NAMES:?}"
        ));
    }
    choices("properties", &spec.properties, &PROPERTY_NAMES)?;
    let sc = &spec.scenario;
    irange(
        "scenario.participants",
        sc.participants,
        2,
        MAX_PARTICIPANTS,
    )?;
    drange("scenario.duration", sc.duration, s(1), s(86_400))?;
    drange("scenario.drain", sc.drain, SimDuration(0), s(864_000))?;
    frange("scenario.rate_per_s", sc.rate_per_s, 0.001, 1_000.0)?;
    irange("scenario.payload_bytes", sc.payload_bytes, 1, 153_600)?;
    choices(
        "scenario.dissemination",
        &sc.dissemination,
        &["broadcast", "relay", "ring"],
    )?;
    irange("scenario.mesh_degree", sc.mesh_degree, 2, 64)?;
    choices(
        "scenario.latency",
        &sc.latency,
        &["constant", "uniform", "normal", "lognormal", "pareto"],
    )?;
    drange(
        "scenario.latency_median",
        sc.latency_median,
        SimDuration(1),
        s(60),
    )?;
    let d = &spec.sds;
    irange("sds.causal_history", d.causal_history, 0, 1_000)?;
    irange(
        "sds.possible_acks_threshold",
        d.possible_acks_threshold,
        1,
        u32::MAX,
    )?;
    irange("sds.bloom_capacity", d.bloom_capacity, 1, 100_000)?;
    frange("sds.bloom_error_rate", d.bloom_error_rate, 1e-9, 0.5)?;
    drange("sds.resend_interval", d.resend_interval, ms(1), s(86_400))?;
    irange("sds.max_resends", d.max_resends, 0, 1_000)?;
    choices(
        "sds.sync_policy",
        &d.sync_policy,
        &["periodic", "trickle", "reliable-channel", "off"],
    )?;
    drange("sds.sync_interval", d.sync_interval, ms(1), s(86_400))?;
    prob("sds.repair", d.repair)?;
    drange("sds.repair_t_min", d.repair_t_min, ms(1), s(86_400))?;
    frange(
        "sds.repair_t_max_factor",
        d.repair_t_max_factor,
        1.01,
        100.0,
    )?;
    irange("sds.max_requests", d.max_requests, 1, 1_000)?;
    irange("sds.response_groups", d.response_groups, 0, 1_000)?;
    prob("sds.lost_timeout", d.lost_timeout)?;
    drange(
        "sds.lost_timeout_range",
        d.lost_timeout_range,
        ms(1),
        s(864_000),
    )?;
    choices("sds.lost_policy", &d.lost_policy, &["deliver", "drop"])?;
    check_faults(&spec.faults)
}

fn check_faults(f: &Faults) -> Result<(), String> {
    if let Some(l) = &f.loss {
        prob("faults.loss.probability", l.probability)?;
        frange("faults.loss.rate", l.rate, 0.0, 1.0)?;
    }
    if let Some(l) = &f.duplicate {
        prob("faults.duplicate.probability", l.probability)?;
        frange("faults.duplicate.rate", l.rate, 0.0, 1.0)?;
    }
    if let Some(g) = &f.gilbert_elliott {
        prob("faults.gilbert_elliott.probability", g.probability)?;
        frange("faults.gilbert_elliott.p", g.p, 0.0, 1.0)?;
        frange("faults.gilbert_elliott.r", g.r, 0.001, 1.0)?;
    }
    if let Some(p) = &f.partitions {
        prob("faults.partitions.probability", p.probability)?;
        irange("faults.partitions.count", p.count, 1, 20)?;
        prob("faults.partitions.one_way", p.one_way)?;
        prob("faults.partitions.uneven", p.uneven)?;
        prob("faults.partitions.isolate", p.isolate)?;
        if p.uneven + p.isolate > 1.0 {
            return Err(format!(
                "faults.partitions: uneven + isolate must be at most 1, got {}",
                p.uneven + p.isolate
            ));
        }
        frange("faults.partitions.length", p.length, 0.001, 1.0)?;
    }
    if let Some(c) = &f.churn {
        prob("faults.churn.probability", c.probability)?;
        choices("faults.churn.modes", &c.modes, &["sleep", "crash", "leave"])?;
        irange("faults.churn.windows", c.windows, 0, 20)?;
        prob("faults.churn.random", c.random)?;
        prob("faults.churn.late_join", c.late_join)?;
    }
    if let Some(c) = &f.clock_skew {
        prob("faults.clock_skew.probability", c.probability)?;
        drange("faults.clock_skew.max", c.max, SimDuration(0), s(3_600))?;
    }
    if let Some(n) = &f.node_classes {
        prob("faults.node_classes.probability", n.probability)?;
    }
    for (key, c) in [("degradations", &f.degradations), ("links", &f.links)] {
        if let Some(c) = c {
            prob(&format!("faults.{key}.probability"), c.probability)?;
            irange(&format!("faults.{key}.count"), c.count, 1, 20)?;
            frange(&format!("faults.{key}.loss"), c.loss, 0.0, 1.0)?;
        }
    }
    if let Some(st) = &f.store {
        prob("faults.store.probability", st.probability)?;
        irange("faults.store.nodes", st.nodes, 1, 10)?;
        prob("faults.store.outage", st.outage)?;
        choices(
            "faults.store.strategies",
            &st.strategies,
            &["sds-r", "store", "both", "none"],
        )?;
        choices(
            "faults.store.query_on_connect",
            &st.query_on_connect,
            &["first-page", "all-pages", "off"],
        )?;
    }
    if let Some(d) = &f.direct {
        prob("faults.direct.probability", d.probability)?;
        irange("faults.direct.conversations", d.conversations, 1, 1_000)?;
        frange("faults.direct.rate_per_s", d.rate_per_s, 0.001, 100.0)?;
        prob("faults.direct.group", d.group)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, Path::new("x.toml")).unwrap_err().to_string()
    }

    #[test]
    fn defaults_parse_and_errors_name_the_key() {
        let s = parse("", Path::new("dir/broad.toml")).unwrap();
        assert_eq!(s.name, "broad");
        assert_eq!(s.properties.len(), 3);
        let e = err("[scenario]\nparticipants = [5, 3]\n");
        assert!(e.starts_with("x.toml: scenario.participants"), "{e}");
        let e = err("[faults.loss]\nprobability = 1.5\nrate = [0.0, 0.1]\n");
        assert!(e.contains("faults.loss.probability"), "{e}");
        let e = err("[scenario]\nbogus = 1\n");
        assert!(e.contains("bogus") && e.contains("line 2"), "{e}");
        let e = err("properties = [\"speed\"]\n");
        assert!(e.contains("properties") && e.contains("speed"), "{e}");
        let e = err("[faults.churn]\nprobability = 0.5\nmodes = [\"nap\"]\n");
        assert!(e.contains("faults.churn.modes"), "{e}");
        let e = err("[scenario]\nduration = [\"10\", \"20s\"]\n");
        assert!(e.contains("duration"), "{e}");
    }
}
