//! Drawing scenario `k` of a swarm: a plain scenario TOML document built from the swarm
//! file's ranges with the random stream `(swarm seed, Swarm, k)` ([`crate::rng`]), so scenario
//! `k` depends only on the swarm seed and `k` (not on `--count`, `--jobs` or `--shard`).
//!
//! Every drawn document must pass the normal scenario validation; the draws keep each
//! cross-field rule of `scenarios/README.md` (times inside the workload, ids below
//! `participants`, a joiner joins once, strategies that need SDS-R only with SDS-R on).
//! Every SDS parameter is written explicitly, so a reproducer does not depend on defaults.

use rand::seq::SliceRandom;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use toml::{Table, Value};

use super::spec::{Range, SwarmSpec};
use crate::rng::{stream, StreamKind};
use crate::scenario::SimDuration;

/// One drawn scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// Index in the swarm (0-based).
    pub index: u64,
    /// The scenario document.
    pub doc: Table,
}

impl Drawn {
    /// The document as TOML text.
    pub fn text(&self) -> String {
        to_text(&self.doc)
    }
}

/// A scenario document as TOML text (tables after plain keys, as `toml` writes them).
pub fn to_text(doc: &Table) -> String {
    toml::to_string(doc).unwrap_or_else(|e| format!("# cannot serialize: {e}\n"))
}

struct Draw {
    rng: ChaCha8Rng,
}

impl Draw {
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.random::<f64>() < p
    }

    fn int(&mut self, r: Range<u32>) -> u32 {
        self.rng.random_range(r.min..=r.max)
    }

    /// Uniform in the range, rounded to 6 significant digits (readable files).
    fn float(&mut self, r: Range<f64>) -> f64 {
        let v = r.min + (r.max - r.min) * self.rng.random::<f64>();
        round_sig(v.clamp(r.min, r.max))
    }

    /// Uniform in the range, rounded down to whole seconds (ranges from 1 s) or whole ms
    /// when that stays in the range.
    fn dur(&mut self, r: Range<SimDuration>) -> SimDuration {
        let v = self.rng.random_range(r.min.0..=r.max.0);
        let unit = if r.min.0 >= 1_000_000 {
            1_000_000
        } else {
            1_000
        };
        let rounded = (v / unit) * unit;
        SimDuration(if rounded >= r.min.0 { rounded } else { v })
    }

    /// Uniform in `[lo, hi)` µs rounded down to ms (at least `lo`).
    fn time(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo + 1 {
            return lo;
        }
        let v = self.rng.random_range(lo..hi);
        ((v / 1_000) * 1_000).max(lo)
    }

    fn pick<'a>(&mut self, v: &'a [String]) -> &'a str {
        &v[self.rng.random_range(0..v.len())]
    }

    /// `k` distinct ids of `0..n`, ascending.
    fn ids(&mut self, n: u32, k: u32) -> Vec<u32> {
        let mut all: Vec<u32> = (0..n).collect();
        all.shuffle(&mut self.rng);
        all.truncate(k.min(n) as usize);
        all.sort_unstable();
        all
    }
}

fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let mag = v.abs().log10().floor() as i32;
    let f = 10f64.powi(5 - mag);
    (v * f).round() / f
}

fn d(v: SimDuration) -> Value {
    Value::String(v.to_string())
}

fn us(v: u64) -> Value {
    d(SimDuration(v))
}

fn ids_value(ids: &[u32]) -> Value {
    Value::Array(ids.iter().map(|&i| Value::Integer(i64::from(i))).collect())
}

fn table(entries: Vec<(&str, Value)>) -> Value {
    Value::Table(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn sub<'a>(doc: &'a mut Table, key: &str) -> &'a mut Table {
    let v = doc
        .entry(key.to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    match v {
        Value::Table(t) => t,
        _ => unreachable!("only tables are put under {key}"),
    }
}

fn push(doc: &mut Table, key: &str, v: Value) {
    let e = doc
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = e {
        a.push(v);
    }
}

/// Draws scenario `index` of the swarm `spec` under swarm seed `seed`.
pub fn draw(spec: &SwarmSpec, seed: u64, index: u64) -> Drawn {
    let mut g = Draw {
        rng: stream(seed, StreamKind::Swarm, index),
    };
    let sc = &spec.scenario;
    let mut doc = Table::new();
    doc.insert(
        "name".into(),
        Value::String(format!("{}-{index:04}", spec.name)),
    );
    doc.insert(
        "seed".into(),
        Value::Integer(i64::from(g.rng.random_range(1..=u32::MAX))),
    );
    let n = g.int(sc.participants);
    doc.insert("participants".into(), Value::Integer(i64::from(n)));
    let dur = g.dur(sc.duration).0.max(1_000_000);
    doc.insert("duration".into(), us(dur));
    doc.insert("drain".into(), d(g.dur(sc.drain)));

    let rate = g.float(sc.rate_per_s);
    let payload = g.int(sc.payload_bytes);
    let w = sub(&mut doc, "workload");
    w.insert("rate_per_s".into(), Value::Float(rate));
    w.insert("payload_bytes".into(), Value::Integer(i64::from(payload)));

    let dissemination = g.pick(&sc.dissemination).to_string();
    let degree = g.int(sc.mesh_degree).min(n.saturating_sub(1)).max(2);
    let latency = latency(&mut g, spec);
    let net = sub(&mut doc, "network");
    net.insert("dissemination".into(), Value::String(dissemination.clone()));
    if dissemination == "relay" {
        net.insert("mesh_degree".into(), Value::Integer(i64::from(degree)));
    }
    net.insert("latency".into(), table(vec![("distribution", latency)]));

    let repair = sds(&mut g, spec, &mut doc);
    faults(&mut g, spec, &mut doc, n, dur, repair);
    Drawn { index, doc }
}

fn latency(g: &mut Draw, spec: &SwarmSpec) -> Value {
    let sc = &spec.scenario;
    let kind = g.pick(&sc.latency).to_string();
    let m = g.dur(sc.latency_median);
    let s = |v: &str| Value::String(v.into());
    match kind.as_str() {
        "uniform" => table(vec![
            ("kind", s("uniform")),
            ("min", us(m.0 / 2)),
            ("max", us(m.0 + m.0 / 2)),
        ]),
        "normal" => table(vec![
            ("kind", s("normal")),
            ("mean", d(m)),
            ("std_dev", us(m.0 / 4)),
        ]),
        "lognormal" => {
            let sigma = g.float(Range { min: 0.1, max: 1.0 });
            table(vec![
                ("kind", s("lognormal")),
                ("median", d(m)),
                ("sigma", Value::Float(sigma)),
            ])
        }
        "pareto" => {
            let shape = g.float(Range { min: 1.2, max: 3.0 });
            table(vec![
                ("kind", s("pareto")),
                ("scale", us(m.0.max(1))),
                ("shape", Value::Float(shape)),
            ])
        }
        _ => table(vec![("kind", s("constant")), ("value", d(m))]),
    }
}

/// Writes `[sds]` with every parameter explicit; returns whether SDS-R is on.
fn sds(g: &mut Draw, spec: &SwarmSpec, doc: &mut Table) -> bool {
    let p = &spec.sds;
    let int = |v: u32| Value::Integer(i64::from(v));
    let history = g.int(p.causal_history);
    let acks = g.int(p.possible_acks_threshold);
    let capacity = g.int(p.bloom_capacity);
    let error_rate = g.float(p.bloom_error_rate);
    let resend = g.dur(p.resend_interval).0.max(1_000);
    let max_resends = g.int(p.max_resends);
    let policy = g.pick(&p.sync_policy).to_string();
    let interval = g.dur(p.sync_interval).0.max(1_000);
    let repair = g.chance(p.repair);
    let t_min = g.dur(p.repair_t_min).0.max(1_000);
    let factor = g.float(p.repair_t_max_factor);
    let t_max = (((t_min as f64 * factor) as u64 / 1_000) * 1_000).max(t_min + 1_000);
    let max_requests = g.int(p.max_requests);
    let groups = g.int(p.response_groups);
    let lost = g.chance(p.lost_timeout);
    let lost_timeout = g.dur(p.lost_timeout_range).0.max(1_000);
    let lost_policy = g.pick(&p.lost_policy).to_string();
    let s = sub(doc, "sds");
    s.insert("causal_history".into(), int(history));
    s.insert("possible_acks_threshold".into(), int(acks));
    s.insert("bloom_capacity".into(), int(capacity));
    s.insert("bloom_error_rate".into(), Value::Float(error_rate));
    s.insert("resend_interval".into(), us(resend));
    s.insert("max_resends".into(), int(max_resends));
    s.insert("message_id".into(), Value::String("unique".into()));
    s.insert("bloom_rollover".into(), Value::String("none".into()));
    if lost {
        s.insert("lost_timeout".into(), us(lost_timeout));
        s.insert("lost_policy".into(), Value::String(lost_policy));
    }
    s.insert(
        "sync".into(),
        table(vec![
            ("policy", Value::String(policy)),
            ("interval", us(interval)),
            ("interval_max", us(interval.max(240_000_000))),
            ("redundancy", int(2)),
        ]),
    );
    s.insert(
        "repair".into(),
        table(vec![
            ("enabled", Value::Boolean(repair)),
            ("t_min", us(t_min)),
            ("t_max", us(t_max)),
            ("max_requests", int(max_requests)),
            ("response_groups", int(groups)),
        ]),
    );
    repair
}

/// A window `[start, end)` inside the workload `dur` (µs) whose length is the share
/// `len` of it.
/// Times are whole seconds when the workload is at least 20 s long, else whole ms.
fn window(g: &mut Draw, dur: u64, len: f64) -> (u64, u64) {
    let unit = if dur >= 20_000_000 { 1_000_000 } else { 1_000 };
    let length = (((dur as f64 * len) as u64 / unit) * unit).clamp(unit, dur);
    let start = (g.time(0, dur - length + 1) / unit * unit).min(dur - unit);
    (start, start + length)
}

fn faults(g: &mut Draw, spec: &SwarmSpec, doc: &mut Table, n: u32, dur: u64, repair: bool) {
    let f = &spec.faults;
    if let Some(l) = &f.loss {
        if g.chance(l.probability) {
            let v = g.float(l.rate);
            sub(doc, "network").insert("loss".into(), Value::Float(v));
        }
    }
    if let Some(ge) = &f.gilbert_elliott {
        if g.chance(ge.probability) {
            let (p, r) = (g.float(ge.p), g.float(ge.r));
            let t = table(vec![("p", Value::Float(p)), ("r", Value::Float(r))]);
            sub(doc, "network").insert("gilbert_elliott".into(), t);
        }
    }
    if let Some(l) = &f.duplicate {
        if g.chance(l.probability) {
            let v = g.float(l.rate);
            sub(doc, "network").insert("duplicate".into(), Value::Float(v));
        }
    }
    if let Some(p) = &f.partitions {
        if g.chance(p.probability) {
            for _ in 0..g.int(p.count) {
                let len = g.float(p.length);
                let (start, heal) = window(g, dur, len);
                let mut e = vec![("start", us(start)), ("heal", us(heal))];
                let shape = g.rng.random::<f64>();
                if shape < p.isolate {
                    let k = g.rng.random_range(1..=(n / 3).max(1));
                    e.push(("isolate", ids_value(&g.ids(n, k))));
                } else if shape < p.isolate + p.uneven {
                    let k = g.rng.random_range(1..n);
                    e.push(("ids", Value::Array(vec![ids_value(&g.ids(n, k))])));
                } else {
                    e.push((
                        "fractions",
                        Value::Array(vec![Value::Float(0.5), Value::Float(0.5)]),
                    ));
                }
                if g.chance(p.one_way) {
                    e.push(("direction", Value::String("one-way".into())));
                }
                push(doc, "partitions", table(e));
            }
        }
    }
    churn(g, spec, doc, n, dur);
    if let Some(c) = &f.clock_skew {
        if g.chance(c.probability) {
            let m = g.dur(c.max);
            doc.insert(
                "clock_skew".into(),
                table(vec![
                    ("kind", Value::String("uniform".into())),
                    ("min", Value::String(format!("-{m}"))),
                    ("max", d(m)),
                ]),
            );
        }
    }
    if let Some(c) = &f.node_classes {
        if g.chance(c.probability) {
            let fraction = g.float(Range { min: 0.1, max: 0.5 });
            let up = g.rng.random_range(256_000u64..=20_000_000);
            let extra = g.time(0, 100_000);
            let loss = g.float(Range {
                min: 0.0,
                max: 0.02,
            });
            push(
                doc,
                "node_classes",
                table(vec![
                    ("name", Value::String("slow".into())),
                    ("fraction", Value::Float(fraction)),
                    ("uplink_bps", Value::Integer(up as i64)),
                    ("downlink_bps", Value::Integer((up * 5) as i64)),
                    ("extra_latency", us(extra)),
                    ("loss", Value::Float(loss)),
                ]),
            );
        }
    }
    if let Some(c) = &f.degradations {
        if g.chance(c.probability) {
            for _ in 0..g.int(c.count) {
                let len = g.float(Range {
                    min: 0.05,
                    max: 0.5,
                });
                let (start, end) = window(g, dur, len);
                let extra = g.time(0, 500_000);
                let loss = g.float(c.loss);
                let k = g.rng.random_range(1..=n);
                let e = vec![
                    ("start", us(start)),
                    ("end", us(end)),
                    ("extra_latency", us(extra)),
                    ("loss", Value::Float(loss)),
                    ("ids", ids_value(&g.ids(n, k))),
                ];
                push(sub(doc, "network"), "degradations", table(e));
            }
        }
    }
    if let Some(c) = &f.links {
        if g.chance(c.probability) {
            for _ in 0..g.int(c.count) {
                let pair = g.ids(n, 2);
                let (from, to) = if g.chance(0.5) {
                    (pair[0], pair[1])
                } else {
                    (pair[1], pair[0])
                };
                let extra = g.time(0, 200_000);
                let loss = g.float(c.loss);
                let both = g.chance(0.5);
                let e = vec![
                    ("from", Value::Integer(i64::from(from))),
                    ("to", Value::Integer(i64::from(to))),
                    ("extra_latency", us(extra)),
                    ("loss", Value::Float(loss)),
                    ("bidirectional", Value::Boolean(both)),
                ];
                push(sub(doc, "network"), "links", table(e));
            }
        }
    }
    if let Some(st) = &f.store {
        if g.chance(st.probability) {
            let nodes = g.int(st.nodes);
            let mut strategy = g.pick(&st.strategies).to_string();
            if !repair && (strategy == "sds-r" || strategy == "both") {
                strategy = "store".into();
            }
            let qoc = g.pick(&st.query_on_connect).to_string();
            let mut s = vec![("nodes", Value::Integer(i64::from(nodes)))];
            if g.chance(st.outage) {
                let node = g.rng.random_range(0..nodes);
                let len = g.float(Range { min: 0.1, max: 0.6 });
                let (start, end) = window(g, dur, len);
                s.push((
                    "offline",
                    Value::Array(vec![table(vec![
                        ("node", Value::Integer(i64::from(node))),
                        ("start", us(start)),
                        ("end", us(end)),
                    ])]),
                ));
            }
            doc.insert("store".into(), table(s));
            doc.insert(
                "retrieval".into(),
                table(vec![
                    ("strategy", Value::String(strategy)),
                    ("query_on_connect", Value::String(qoc)),
                ]),
            );
        }
    }
    if let Some(dm) = &f.direct {
        if g.chance(dm.probability) {
            let pairs = u64::from(n) * u64::from(n - 1) / 2;
            let c = u64::from(g.int(dm.conversations)).min(pairs);
            let rate = g.float(dm.rate_per_s);
            let keep_group = g.chance(dm.group);
            let w = sub(doc, "workload");
            w.insert(
                "direct".into(),
                table(vec![
                    ("conversations", Value::Integer(c as i64)),
                    ("rate_per_s", Value::Float(rate)),
                ]),
            );
            if !keep_group {
                w.insert("group".into(), Value::Boolean(false));
                w.insert("rate_per_s".into(), Value::Float(0.0));
            }
        }
    }
}

fn churn(g: &mut Draw, spec: &SwarmSpec, doc: &mut Table, n: u32, dur: u64) {
    let Some(c) = &spec.faults.churn else {
        return;
    };
    if !g.chance(c.probability) {
        return;
    }
    let mode = g.pick(&c.modes).to_string();
    let mut t = Table::new();
    t.insert("mode".into(), Value::String(mode.clone()));
    let mut used = std::collections::BTreeSet::new();
    let mut offline = Vec::new();
    for _ in 0..g.int(c.windows) {
        let k = g.rng.random_range(1..=(n / 3).max(1));
        let ids = g.ids(n, k);
        used.extend(ids.iter().copied());
        let len = g.float(Range {
            min: 0.05,
            max: 0.6,
        });
        let (start, end) = window(g, dur, len);
        let mut e = vec![("ids", ids_value(&ids)), ("start", us(start))];
        if mode != "leave" {
            e.push(("end", us(end)));
        }
        offline.push(table(e));
    }
    if !offline.is_empty() {
        t.insert("offline".into(), Value::Array(offline));
    }
    if g.chance(c.random) {
        let fraction = g.float(Range {
            min: 0.05,
            max: 0.4,
        });
        let start = g.time(0, dur / 2);
        let stagger = g.time(0, (dur - start) / 2);
        let len = g.time(1_000, (dur / 2).max(2_000));
        let mut e = vec![
            ("fraction", Value::Float(fraction)),
            ("start", us(start)),
            ("stagger", us(stagger)),
        ];
        if mode != "leave" {
            e.push(("duration", us(len)));
        }
        t.insert("random".into(), table(e));
    }
    if g.chance(c.late_join) {
        let free: Vec<u32> = (0..n).filter(|i| !used.contains(i)).collect();
        if !free.is_empty() {
            let k = g.rng.random_range(1..=(free.len() as u32 / 3).max(1));
            let mut pick = free.clone();
            pick.shuffle(&mut g.rng);
            pick.truncate(k as usize);
            pick.sort_unstable();
            let at = g.time(1_000, dur);
            t.insert(
                "join".into(),
                Value::Array(vec![table(vec![("ids", ids_value(&pick)), ("at", us(at))])]),
            );
        }
    }
    if t.len() > 1 {
        doc.insert("churn".into(), Value::Table(t));
    }
}
