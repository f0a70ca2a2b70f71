//! Upper bounds of every size and rate key of the scenario schema, checked by
//! `scenario::validate` before anything else: a value `sim validate` accepts must run, not abort
//! on an allocation or run until killed. Each bound is generous for research and has a reason;
//! [`bounds`] lists them all with their reasons, as `scenarios/README.md` ("Upper bounds") does
//! (a unit test keeps the two in step). Memory is the finer guard: the estimate of
//! `crate::budget` against `--max-memory`.

use super::duration::SimDuration;
use super::types::{Scenario, ScriptedPublish};
use super::validate::{bad, Res};

/// Most participants.
pub const MAX_PARTICIPANTS: u32 = 1_000_000;
/// Most publications per second, `workload.rate_per_s` and `workload.direct.rate_per_s`.
pub const MAX_RATE_PER_S: f64 = 1_000_000.0;
/// Most content messages a run may publish, counted as `rate_per_s × duration + Σ count +
/// conversations × direct rate × duration` (expected values for Poisson arrivals).
pub const MAX_MESSAGES: f64 = 10_000_000.0;
/// Largest `workload.payload_bytes`: `sds::Config::max_content_bytes` (150 KiB, the Waku
/// relay message limit); the core refuses to send larger payloads.
pub const MAX_PAYLOAD_BYTES: u32 = 153_600;
/// Largest encoded SDS message: `sds::Config::max_message_bytes` (1 MiB, nim-sds
/// `MaxMessageSize`); receivers drop larger ones undecoded.
pub const MAX_MESSAGE_BYTES: u64 = 1 << 20;
/// Largest `sds.bloom_capacity`.
pub const MAX_BLOOM_CAPACITY: u32 = 1_000_000;
/// Largest `sds.causal_history`: `sds::Config::max_causal_history_entries`.
pub const MAX_CAUSAL_HISTORY: u32 = 1_000;
/// Most store nodes.
pub const MAX_STORE_NODES: u32 = 1_000;
/// Most dedicated service nodes (`[light]`).
pub const MAX_SERVICE_NODES: u32 = 100_000;
/// Most direct conversations.
pub const MAX_CONVERSATIONS: u32 = 1_000_000;
/// Most points of the delivery-over-time series, `(duration + drain) / report_interval`.
pub const MAX_REPORT_POINTS: u64 = 100_000;
/// Longest `duration`, and longest `drain`: 365 days (`"8760h"`), in µs.
pub const MAX_PHASE_US: u64 = 365 * 86_400 * 1_000_000;
/// Largest `epoch_unix_ms`: 9999-12-31T23:59:59.999Z.
pub const MAX_EPOCH_UNIX_MS: u64 = 253_402_300_799_999;
/// Most entries of `[[partitions]]` and of `[[network.degradations]]` (checked for every
/// copy on the wire).
pub const MAX_WINDOWS: usize = 1_000;
/// Most entries of any other array of tables (`[[workload.publish]]`, `[[network.links]]`,
/// `[[node_classes]]`, `[[churn.offline]]`, `[[churn.join]]`, `[[clock_skew_fixed]]`,
/// `[[store.offline]]`).
pub const MAX_ENTRIES: usize = 100_000;
/// Most groups of one partition, counting the group of unlisted participants: group
/// indexes are 16-bit (`net::partition_groups`).
pub const MAX_PARTITION_GROUPS: usize = 65_535;
/// Most ids in one list of participant ids.
pub const MAX_IDS: usize = MAX_PARTICIPANTS as usize;
/// Largest `sds.max_resends` and `sds.repair.max_requests`.
pub const MAX_RETRIES: u32 = 1_000;
/// Largest `node_classes.uplink_bps` / `downlink_bps`: 1 Tbit/s.
pub const MAX_BPS: u64 = 1_000_000_000_000;
/// Shortest `sds.resend_interval` and `sds.sync.interval`, in µs: the core counts whole ms.
pub const MIN_CORE_INTERVAL_US: u64 = 1_000;

/// One documented bound: the key (dotted, `N` for an array index), the limit as written in
/// `scenarios/README.md`, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub key: &'static str,
    pub limit: String,
    pub reason: &'static str,
}

/// `n` with thousands separators (`1,000,000`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every bound checked here, in `scenarios/README.md` order.
pub fn bounds() -> Vec<Bound> {
    let b = |key, limit: String, reason| Bound { key, limit, reason };
    let t = |n: u64| thousands(n);
    vec![
        b("participants", t(MAX_PARTICIPANTS.into()), "10x the largest shipped scale scenario (100,000 participants take ~7 GB); per-participant state (bloom filter, log) outgrows any machine's memory long before; the memory estimate (`--max-memory`) is the finer guard"),
        b("duration", "`\"8760h\"` (365 days)".into(), "a year of simulated time; longer is most likely a unit slip (`\"10000h\"`)"),
        b("drain", "`\"8760h\"` (365 days)".into(), "as `duration`"),
        b("epoch_unix_ms", t(MAX_EPOCH_UNIX_MS), "9999-12-31T23:59:59.999Z: participants' wall clocks (`epoch_unix_ms` + time + skew, in ms) must not overflow"),
        b("report_interval", format!("(duration + drain) / report_interval <= {}", t(MAX_REPORT_POINTS)), "the delivery-over-time series has one point per interval (in `report.json`, its plot and `report.html`)"),
        b("workload.rate_per_s", t(1_000_000), "one publication per microsecond, the clock's resolution"),
        b("workload.direct.rate_per_s", t(1_000_000), "as `workload.rate_per_s`"),
        b("messages", format!("{} expected content messages", t(MAX_MESSAGES as u64)), "`rate_per_s x duration + sum of workload.publish.count + conversations x direct rate x duration`; the ground-truth recorder keeps a row per message and one delivery time per message and member (e.g. 100 messages/s for 27 hours)"),
        b("workload.publish.count", t(MAX_MESSAGES as u64), "as the message total"),
        b("workload.payload_bytes", t(MAX_PAYLOAD_BYTES.into()), "the core's `max_content_bytes` (150 KiB, the Waku relay message limit): the core refuses to send a larger payload, so nothing would be published"),
        b("encoded message", "1 MiB".into(), "payload + bloom filter (`sds.bloom_capacity`, `sds.bloom_error_rate`) + causal history must fit the core's `max_message_bytes` (nim-sds `MaxMessageSize`): receivers drop larger messages undecoded, so nothing would be delivered"),
        b("sds.bloom_capacity", t(MAX_BLOOM_CAPACITY.into()), "every message carries the filter; at the default error rate (15 bits per element) ~550,000 elements already fill the 1 MiB message limit"),
        b("sds.causal_history", t(MAX_CAUSAL_HISTORY.into()), "the core's `max_causal_history_entries`: receivers reject messages with more entries"),
        b("sds.max_resends", t(MAX_RETRIES.into()), "resends of one message (js-waku: 10); 1,000 x 30 s is over 8 hours of resending"),
        b("sds.repair.max_requests", t(MAX_RETRIES.into()), "as `sds.max_resends`"),
        b("sds.repair.response_groups", t(MAX_PARTICIPANTS.into()), "at most one group per participant is meaningful"),
        b("sds.resend_interval", ">= 1ms".into(), "the core counts whole ms: a shorter interval would be 0 ms (a lower bound: a rate)"),
        b("sds.sync.interval", ">= 1ms".into(), "as `sds.resend_interval`"),
        b("store.nodes", t(MAX_STORE_NODES.into()), "each store node receives and keeps a copy of every content message"),
        b("light.service_nodes", t(MAX_SERVICE_NODES.into()), "each is a relay node of the network (per-node state and traffic counters), like a participant without a core; nwaku serves 100 Filter subscribers per node, so 10,000 cover a million light clients"),
        b("workload.direct.conversations", t(MAX_CONVERSATIONS.into()), "each conversation is a channel with two cores, each with its own bloom filter"),
        b("node_classes.N.uplink_bps", "1 Tbit/s".into(), "2.5x the fastest Ethernet standard (400 Gbit/s)"),
        b("node_classes.N.downlink_bps", "1 Tbit/s".into(), "as `uplink_bps`"),
        b("partitions", format!("{} entries", t(MAX_WINDOWS as u64)), "every copy sent is checked against every partition"),
        b("network.degradations", format!("{} entries", t(MAX_WINDOWS as u64)), "as `partitions`"),
        b("partitions.N.ids", format!("{} groups", t(MAX_PARTITION_GROUPS as u64 - 1)), "group indexes are 16-bit, and the participants listed nowhere form one more group"),
        b("partitions.N.isolate", format!("{} ids", t(MAX_PARTITION_GROUPS as u64 - 1)), "as `partitions.N.ids`: each isolated participant is a group"),
        b("arrays of tables", format!("{} entries", t(MAX_ENTRIES as u64)), "`workload.publish`, `network.links`, `node_classes`, `churn.offline`, `churn.join`, `clock_skew_fixed`, `store.offline`"),
        b("id lists", format!("{} ids", t(MAX_IDS as u64)), "every `ids` list (and `isolate`): as many as participants"),
    ]
}

/// The bound of `key` in [`bounds`], for error messages.
fn limit_of(key: &str) -> String {
    bounds()
        .into_iter()
        .find(|b| b.key == key)
        .map(|b| b.limit)
        .unwrap_or_default()
}

/// `key` must be at most `max` (`value > max` is the violation).
fn at_most(key: impl Into<String>, value: u64, max: u64, why: &str) -> Res {
    if value > max {
        return bad(
            key,
            format!(
                "must be at most {} ({why}; scenarios/README.md, \"Upper bounds\"), got {value}",
                thousands(max)
            ),
        );
    }
    Ok(())
}

/// A list of `len` `what` (`"entries"`) must hold at most `max`.
fn list_len(key: impl Into<String>, len: usize, max: usize, what: &str) -> Res {
    list_len_why(key, len, max, what, "")
}

/// [`list_len`] with a reason (`why`, may be empty).
fn list_len_why(key: impl Into<String>, len: usize, max: usize, what: &str, why: &str) -> Res {
    if len > max {
        let why = if why.is_empty() {
            String::new()
        } else {
            format!("{why}; ")
        };
        return bad(
            key,
            format!(
                "has {} {what}, more than the limit of {} ({why}scenarios/README.md, \"Upper bounds\")",
                thousands(len as u64),
                thousands(max as u64)
            ),
        );
    }
    Ok(())
}

/// Checks every bound of [`bounds`]; returns the first violation.
pub(crate) fn check(s: &Scenario) -> Res {
    at_most(
        "participants",
        s.participants.into(),
        MAX_PARTICIPANTS.into(),
        "the memory estimate and --max-memory guard below it",
    )?;
    for (key, d) in [("duration", s.duration), ("drain", s.drain)] {
        if d.as_micros() > MAX_PHASE_US {
            return bad(
                key,
                format!("must be at most 8760h (365 days of simulated time), got {d}"),
            );
        }
    }
    at_most(
        "epoch_unix_ms",
        s.epoch_unix_ms,
        MAX_EPOCH_UNIX_MS,
        "9999-12-31T23:59:59.999Z",
    )?;
    report_points(s)?;
    workload(s)?;
    message_size(s)?;
    sds(s)?;
    at_most(
        "store.nodes",
        s.store.nodes.into(),
        MAX_STORE_NODES.into(),
        "each keeps a copy of every content message",
    )?;
    if let Some(l) = &s.light {
        at_most(
            "light.service_nodes",
            l.service_nodes.into(),
            MAX_SERVICE_NODES.into(),
            "each is a relay node of the network",
        )?;
        list_len(
            "light.service_offline",
            l.service_offline.len(),
            MAX_WINDOWS,
            "entries",
        )?;
        list_len(
            "light.network_switch",
            l.network_switch.len(),
            MAX_ENTRIES,
            "entries",
        )?;
        list_len("light.service_ids", l.service_ids.len(), MAX_IDS, "ids")?;
        if let Some(ids) = &l.ids {
            list_len("light.ids", ids.len(), MAX_IDS, "ids")?;
        }
        for (i, w) in l.network_switch.iter().enumerate() {
            if let Some(ids) = &w.ids {
                list_len(
                    format!("light.network_switch.{i}.ids"),
                    ids.len(),
                    MAX_IDS,
                    "ids",
                )?;
            }
        }
    }
    lists(s)
}

/// Points of the delivery-over-time series.
fn report_points(s: &Scenario) -> Res {
    let span = s.duration.as_micros().saturating_add(s.drain.as_micros());
    let interval = s.report_interval.as_micros();
    if interval == 0 {
        return Ok(()); // validate: must be > 0
    }
    let points = span.div_ceil(interval);
    if points > MAX_REPORT_POINTS {
        let min = SimDuration::from_micros(span.div_ceil(MAX_REPORT_POINTS));
        return bad(
            "report_interval",
            format!(
                "gives {} points over duration + drain = {}, more than the limit of {} \
                 (scenarios/README.md, \"Upper bounds\"): use report_interval >= {min}",
                thousands(points),
                SimDuration::from_micros(span),
                thousands(MAX_REPORT_POINTS)
            ),
        );
    }
    Ok(())
}

/// Rates, counts, payload, and the total of messages.
fn workload(s: &Scenario) -> Res {
    let w = &s.workload;
    let secs = s.duration.as_micros() as f64 / 1e6;
    let rate_bound = |key: &str, rate: f64| -> Res {
        // NaN, infinite and negative rates are validate's (finite, >= 0).
        if rate.is_finite() && rate > MAX_RATE_PER_S {
            return bad(
                key,
                format!(
                    "must be at most {} messages/s (one per microsecond, the clock's \
                     resolution; scenarios/README.md, \"Upper bounds\"), got {}",
                    thousands(MAX_RATE_PER_S as u64),
                    if rate >= 1e16 {
                        format!("{rate:e}")
                    } else {
                        rate.to_string()
                    }
                ),
            );
        }
        Ok(())
    };
    rate_bound("workload.rate_per_s", w.rate_per_s)?;
    if let Some(d) = &w.direct {
        rate_bound("workload.direct.rate_per_s", d.rate_per_s)?;
        at_most(
            "workload.direct.conversations",
            d.conversations.into(),
            MAX_CONVERSATIONS.into(),
            "each is a channel with two cores",
        )?;
    }
    at_most(
        "workload.payload_bytes",
        w.payload_bytes.into(),
        MAX_PAYLOAD_BYTES.into(),
        "the core's max_content_bytes, the Waku relay limit of 150 KiB: the core would refuse to send",
    )?;
    list_len("workload.publish", w.publish.len(), MAX_ENTRIES, "entries")?;
    for (i, p) in w.publish.iter().enumerate() {
        at_most(
            format!("workload.publish.{i}.count"),
            p.count.into(),
            MAX_MESSAGES as u64,
            "the most content messages of a run",
        )?;
    }
    // The total, attributed to its largest part.
    let random = if w.rate_per_s.is_finite() {
        w.rate_per_s * secs
    } else {
        0.0
    };
    let scripted: f64 = w
        .publish
        .iter()
        .map(|p: &ScriptedPublish| f64::from(p.count))
        .sum();
    let direct = w.direct.as_ref().map_or(0.0, |d| {
        if d.rate_per_s.is_finite() {
            f64::from(d.conversations) * d.rate_per_s * secs
        } else {
            0.0
        }
    });
    let total = random + scripted + direct;
    if total > MAX_MESSAGES {
        let key = if random >= scripted && random >= direct {
            "workload.rate_per_s"
        } else if scripted >= direct {
            "workload.publish"
        } else {
            "workload.direct.rate_per_s"
        };
        return bad(
            key,
            format!(
                "the run would publish ~{} content messages ({} random at rate_per_s x duration, \
                 {} scripted, {} direct), more than the limit of {} (scenarios/README.md, \
                 \"Upper bounds\")",
                thousands(total.min(1e19) as u64),
                thousands(random.min(1e19) as u64),
                thousands(scripted as u64),
                thousands(direct.min(1e19) as u64),
                thousands(MAX_MESSAGES as u64)
            ),
        );
    }
    Ok(())
}

/// Bytes of a causal-history entry on the wire, at most: a 64-hex message id, a retrieval
/// hint (a 32-byte hash) and protobuf framing.
const HISTORY_ENTRY_BYTES: u64 = 64 + 32 + 16;
/// Bytes of an SDS message besides its payload, filter and history, at most: sender,
/// message and channel ids, Lamport timestamp, up to 3 repair-request entries, framing.
const MESSAGE_OVERHEAD_BYTES: u64 = 1_024;

/// Largest encoded size of a content message of `s`, in bytes (an upper estimate).
pub fn max_message_bytes(s: &Scenario) -> u64 {
    let bloom =
        crate::sds::bloom::BloomParams::new(s.sds.bloom_capacity as usize, s.sds.bloom_error_rate)
            .byte_len() as u64;
    u64::from(s.workload.payload_bytes)
        .saturating_add(bloom)
        .saturating_add(u64::from(s.sds.causal_history).saturating_mul(HISTORY_ENTRY_BYTES))
        .saturating_add(MESSAGE_OVERHEAD_BYTES)
}

/// Payload + bloom filter + causal history fit the 1 MiB message limit (SDS only).
fn message_size(s: &Scenario) -> Res {
    at_most(
        "sds.bloom_capacity",
        s.sds.bloom_capacity.into(),
        MAX_BLOOM_CAPACITY.into(),
        "every message carries the filter",
    )?;
    at_most(
        "sds.causal_history",
        s.sds.causal_history.into(),
        MAX_CAUSAL_HISTORY.into(),
        "the core rejects messages with more entries",
    )?;
    if s.protocol != super::types::Protocol::Sds
        || !(s.sds.bloom_error_rate > 0.0 && s.sds.bloom_error_rate < 1.0)
    {
        return Ok(()); // the rate's own range is validate's
    }
    let size = max_message_bytes(s);
    if size > MAX_MESSAGE_BYTES {
        let bloom = crate::sds::bloom::BloomParams::new(
            s.sds.bloom_capacity as usize,
            s.sds.bloom_error_rate,
        )
        .byte_len();
        return bad(
            "sds.bloom_capacity",
            format!(
                "messages would be up to {} bytes (bloom filter {} bytes at capacity {} and \
                 error rate {}, payload {}, causal history {}), over the core's 1 MiB message \
                 limit ({}, {}): receivers would drop every message; lower \
                 sds.bloom_capacity or raise sds.bloom_error_rate",
                thousands(size),
                thousands(bloom as u64),
                s.sds.bloom_capacity,
                s.sds.bloom_error_rate,
                s.workload.payload_bytes,
                s.sds.causal_history,
                limit_of("encoded message"),
                "scenarios/README.md, \"Upper bounds\""
            ),
        );
    }
    Ok(())
}

fn sds(s: &Scenario) -> Res {
    let sds = &s.sds;
    at_most(
        "sds.max_resends",
        sds.max_resends.into(),
        MAX_RETRIES.into(),
        "js-waku resends 10 times",
    )?;
    at_most(
        "sds.repair.max_requests",
        sds.repair.max_requests.into(),
        MAX_RETRIES.into(),
        "requests per missing message",
    )?;
    at_most(
        "sds.repair.response_groups",
        sds.repair.response_groups.into(),
        MAX_PARTICIPANTS.into(),
        "at most one group per participant",
    )?;
    for (key, d) in [
        ("sds.resend_interval", sds.resend_interval),
        ("sds.sync.interval", sds.sync.interval),
    ] {
        if !d.is_zero() && d.as_micros() < MIN_CORE_INTERVAL_US {
            return bad(
                key,
                format!("must be at least 1ms (the core counts whole ms), got {d}"),
            );
        }
    }
    Ok(())
}

/// Lengths of arrays of tables and of id lists; 16-bit partition groups; link rates.
fn lists(s: &Scenario) -> Res {
    let ids = |key: String, v: &[u32]| list_len(key, v.len(), MAX_IDS, "ids");
    list_len("partitions", s.partitions.len(), MAX_WINDOWS, "entries")?;
    for (i, p) in s.partitions.iter().enumerate() {
        if let Some(groups) = &p.ids {
            list_len_why(
                format!("partitions.{i}.ids"),
                groups.len(),
                MAX_PARTITION_GROUPS - 1,
                "groups",
                "group indexes are 16-bit, and one more group holds the unlisted participants",
            )?;
            for (g, group) in groups.iter().enumerate() {
                ids(format!("partitions.{i}.ids.{g}"), group)?;
            }
        }
        if let Some(iso) = &p.isolate {
            list_len_why(
                format!("partitions.{i}.isolate"),
                iso.len(),
                MAX_PARTITION_GROUPS - 1,
                "ids",
                "each is a group, and group indexes are 16-bit",
            )?;
        }
    }
    let n = &s.network;
    list_len(
        "network.degradations",
        n.degradations.len(),
        MAX_WINDOWS,
        "entries",
    )?;
    for (i, d) in n.degradations.iter().enumerate() {
        if let Some(v) = &d.ids {
            ids(format!("network.degradations.{i}.ids"), v)?;
        }
    }
    list_len("network.links", n.links.len(), MAX_ENTRIES, "entries")?;
    list_len("node_classes", s.node_classes.len(), MAX_ENTRIES, "entries")?;
    for (i, c) in s.node_classes.iter().enumerate() {
        if let Some(v) = &c.ids {
            ids(format!("node_classes.{i}.ids"), v)?;
        }
        for (k, v) in [
            ("uplink_bps", c.uplink_bps),
            ("downlink_bps", c.downlink_bps),
        ] {
            if let Some(v) = v {
                at_most(format!("node_classes.{i}.{k}"), v, MAX_BPS, "1 Tbit/s")?;
            }
        }
    }
    let c = &s.churn;
    list_len("churn.offline", c.offline.len(), MAX_ENTRIES, "entries")?;
    for (i, w) in c.offline.iter().enumerate() {
        ids(format!("churn.offline.{i}.ids"), &w.ids)?;
    }
    list_len("churn.join", c.join.len(), MAX_ENTRIES, "entries")?;
    for (i, j) in c.join.iter().enumerate() {
        ids(format!("churn.join.{i}.ids"), &j.ids)?;
    }
    list_len(
        "clock_skew_fixed",
        s.clock_skew_fixed.len(),
        MAX_ENTRIES,
        "entries",
    )?;
    list_len(
        "store.offline",
        s.store.offline.len(),
        MAX_ENTRIES,
        "entries",
    )
}
