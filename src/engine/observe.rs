//! Opt-in observation of a run, never changing it: the life of one message
//! ([`MessageWatch`], `--trace-message`) and per-participant time series ([`Sampler`],
//! `--timeseries`). Both only read the world; they add no events (so `report.json` and the
//! determinism trace are the same with them on or off).
//!
//! May touch: the world, read only, and the network's copy notes (`net::watch`).

use super::pipeline::World;
use crate::metrics::observe::{MessageTrace, SeriesRow, Timeseries, TraceLine};
use crate::metrics::Via;
use crate::net::watch::{CopyFate, CopyNote};
use crate::net::{Network, Packet, TrafficKind};
use crate::sds;
use crate::time::{SimTime, US_PER_S};

/// The message `--trace-message` follows and what happened to it so far.
pub(crate) struct MessageWatch {
    trace: MessageTrace,
    /// Its recorder index once published ([`Packet::NO_MESSAGE`] before).
    pub message: u32,
    notes: Vec<CopyNote>,
    /// Participants that reported it missing already (one line each).
    missing_at: std::collections::BTreeSet<u32>,
}

impl MessageWatch {
    /// Follows the first publication whose id equals `target`, starts with it (a hex
    /// prefix), or whose scripted label is `target`.
    pub fn new(target: &str) -> MessageWatch {
        MessageWatch {
            trace: MessageTrace {
                target: target.to_owned(),
                ..MessageTrace::default()
            },
            message: Packet::NO_MESSAGE,
            notes: Vec::new(),
            missing_at: std::collections::BTreeSet::new(),
        }
    }

    fn matches(&self, id: &str, label: Option<&str>) -> bool {
        let t = self.trace.target.as_str();
        label == Some(t) || id.starts_with(&t.to_ascii_lowercase())
    }

    /// A publication: message `m` with `id` (and scripted `label`) by `sender` at `now`,
    /// carrying `lamport` and `deps` causal-history entries. Starts following it if it
    /// matches and nothing is followed yet.
    #[allow(clippy::too_many_arguments)]
    pub fn on_publish(
        &mut self,
        net: &mut Network,
        now: SimTime,
        m: u32,
        id: &str,
        label: Option<&str>,
        sender: u32,
        lamport: Option<u64>,
        deps: usize,
    ) {
        if !self.matches(id, label) {
            return;
        }
        if self.message != Packet::NO_MESSAGE {
            self.trace.also_matched += 1;
            return;
        }
        self.message = m;
        self.trace.id = id.to_owned();
        net.watch_message(m);
        let lamport = lamport.map_or_else(
            || "no Lamport timestamp".into(),
            |l| format!("Lamport timestamp {l}"),
        );
        self.line(
            now,
            "published",
            Some(sender),
            None,
            None,
            format!("{lamport}, causal history of {deps} entries"),
        );
    }

    /// True if `m` (a recorder index) is the followed message.
    pub fn follows(&self, m: u32) -> bool {
        m != Packet::NO_MESSAGE && m == self.message
    }

    /// True if `id` is the followed message's.
    pub fn is_id(&self, id: &str) -> bool {
        self.message != Packet::NO_MESSAGE && self.trace.id == id
    }

    /// Adds one line.
    pub fn line(
        &mut self,
        at: SimTime,
        event: &'static str,
        node: Option<u32>,
        peer: Option<u32>,
        kind: Option<TrafficKind>,
        detail: String,
    ) {
        self.trace.lines.push(TraceLine {
            at,
            event,
            node,
            peer,
            kind: kind.map(TrafficKind::name),
            detail,
        });
    }

    /// An event of participant `i`'s core at `now` about the followed message, if it is one.
    pub fn on_core_event(&mut self, now: SimTime, i: u32, ev: &sds::Event) {
        if let sds::Event::MissingDependencies {
            message_id,
            missing,
        } = ev
        {
            if missing.iter().any(|h| self.is_id(&h.message_id)) && self.missing_at.insert(i) {
                let detail = format!("first named as missing here by {message_id}");
                self.line(now, "missing-dependency", Some(i), None, None, detail);
            }
            return;
        }
        let (event, id, detail) = match ev {
            sds::Event::RepairRequestSent { message_id } => {
                ("repair-request-sent", message_id, String::new())
            }
            sds::Event::RepairRequestReceived { message_id, from } => (
                "repair-request-received",
                message_id,
                format!("from participant id {from}"),
            ),
            sds::Event::RepairResponseSent { message_id } => {
                ("repair-response-sent", message_id, String::new())
            }
            sds::Event::Acknowledged { message_id } => ("acknowledged", message_id, String::new()),
            sds::Event::NotAcknowledged { message_id } => {
                ("not-acknowledged", message_id, "resends given up".into())
            }
            sds::Event::IrretrievablyLost { message_id } => {
                ("irretrievably-lost", message_id, String::new())
            }
            _ => return,
        };
        if self.is_id(id) {
            self.line(now, event, Some(i), None, None, detail);
        }
    }

    /// The followed message was delivered to `i` at `now`, brought by a copy `via`.
    pub fn on_delivered(&mut self, now: SimTime, i: u32, via: Via, filter: bool) {
        let how = if filter {
            format!("{} (Filter push)", via.name())
        } else {
            via.name().to_owned()
        };
        self.line(
            now,
            "delivered",
            Some(i),
            None,
            None,
            format!("arrived as {how}"),
        );
    }

    /// Moves the network's notes on the followed message's copies into the trace.
    pub fn take_net_notes(&mut self, net: &mut Network) {
        self.take_net_notes_labelled(net, None);
    }

    /// As [`Self::take_net_notes`], the details starting with `label` (what the copies are,
    /// e.g. "LightPush request") instead of "relayed" for copies of someone else's packet.
    pub fn take_net_notes_labelled(&mut self, net: &mut Network, label: Option<&str>) {
        net.take_notes(&mut self.notes);
        for n in std::mem::take(&mut self.notes) {
            let (event, detail) = match n.fate {
                CopyFate::OnWire { departure, arrival } => {
                    let queued = if departure > n.at {
                        format!(", left the uplink queue at {} s", secs(departure))
                    } else {
                        String::new()
                    };
                    (
                        "copy-on-wire",
                        format!("arrives at {} s{queued}", secs(arrival)),
                    )
                }
                CopyFate::Duplicated { arrival } => (
                    "copy-duplicated",
                    format!("second copy arrives at {} s", secs(arrival)),
                ),
                CopyFate::Cut => ("copy-cut", "partition".to_owned()),
                CopyFate::Lost(cause) => ("copy-lost", cause.name().to_owned()),
            };
            let detail = match label {
                Some(label) => format!("{label}; {detail}"),
                None if n.forwarded => format!("relayed; {detail}"),
                None => detail,
            };
            self.line(n.at, event, Some(n.from), Some(n.to), Some(n.kind), detail);
        }
    }

    /// The finished trace.
    pub fn finish(self) -> MessageTrace {
        self.trace
    }
}

/// Simulated µs as seconds with six decimals, as every trace line writes them.
pub(crate) fn secs(us: SimTime) -> String {
    format!("{:.6}", us as f64 / US_PER_S as f64)
}

/// Samples every participant each `report_interval` for `timeseries.csv`.
pub(crate) struct Sampler {
    interval: SimTime,
    /// The next sample time (µs).
    pub next: SimTime,
    prev_delivered: Vec<u64>,
    prev_sent: Vec<u64>,
    prev_received: Vec<u64>,
    rows: Vec<SeriesRow>,
}

impl Sampler {
    /// Samples `n` participants every `interval` µs (> 0).
    pub fn new(interval: SimTime, n: u32) -> Sampler {
        Sampler {
            interval: interval.max(1),
            next: interval.max(1),
            prev_delivered: vec![0; n as usize],
            prev_sent: vec![0; n as usize],
            prev_received: vec![0; n as usize],
            rows: Vec::new(),
        }
    }

    /// Takes every sample due before an event at `t` (the state then is the state at
    /// each of those sample times: nothing happened in between).
    pub fn until(&mut self, w: &World, t: SimTime) {
        while self.next <= t {
            let at = self.next;
            self.sample(w, at);
            self.next += self.interval;
        }
    }

    fn sample(&mut self, w: &World, at: SimTime) {
        let delivered = w.rec.per_node_delivered();
        let traffic = w.net.traffic();
        for i in 0..self.prev_delivered.len() {
            let node = &w.parts.nodes[i];
            let d = delivered[i];
            let sent = traffic[i].bytes_sent();
            let received = traffic[i].bytes_received;
            let outgoing: Option<u64> = node
                .slots
                .iter()
                .map(|s| s.driver.outgoing_buffer_len().map(|x| x as u64))
                .sum();
            self.rows.push(SeriesRow {
                t: at,
                node: i as u32,
                delivered: d - self.prev_delivered[i],
                incoming_buffer: node
                    .slots
                    .iter()
                    .map(|s| s.driver.incoming_buffer_len() as u64)
                    .sum(),
                outgoing_buffer: outgoing,
                bytes_sent: sent - self.prev_sent[i],
                bytes_received: received - self.prev_received[i],
                online: w.churn.is_online(i as u32),
            });
            self.prev_delivered[i] = d;
            self.prev_sent[i] = sent;
            self.prev_received[i] = received;
        }
    }

    /// The series, with a last sample at the end of the run `end` (µs).
    pub fn finish(mut self, w: &World, end: SimTime) -> Timeseries {
        self.until(w, end);
        if self.rows.last().is_none_or(|r| r.t < end) {
            self.sample(w, end);
        }
        Timeseries {
            interval: self.interval,
            rows: self.rows,
        }
    }
}
