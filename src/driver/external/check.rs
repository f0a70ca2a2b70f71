//! The adapter conformance kit behind `sim adapter check -- PROG ARGS...`: a fixed suite of
//! checks, each against a fresh adapter process, printed one line per check.
//!
//! The checks drive instances the way the engine does (requests with `now_ms`, `Timeout` at
//! the asked wake-up times) and allow what the protocol allows: an implementation may
//! deliver in the reply to the `Receive` or at a later timer (js-waku's ReliableChannel
//! processes received messages up to 1 s later and releases buffered ones at its 5 s sweep).
//! Every check gives the instances up to [`HORIZON_MS`] of simulated time to do what it
//! expects. Checks marked *informational* print their finding but do not fail the suite (a
//! known difference of a real implementation, not a protocol error).
//!
//! Parameters: the scenario defaults with `message_id = payload-sha256` and the
//! `reliable-channel` sync policy (what every shipped implementation can honour), causal
//! history 2.

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;

use super::protocol::{self, pb};
use super::{Adapter, AdapterSpec, SharedAdapter};
use crate::sds::{self, wire};
use pb::request::Body;

/// Simulated time a check lets timers run to see what it expects (2 minutes).
pub const HORIZON_MS: u64 = 120_000;

/// The checks' clock starts here (2001-09-09): far from any real clock, so an adapter that
/// reads the machine's clock is caught.
pub const EPOCH_MS: u64 = 1_000_000_000_000;

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The check's name.
    pub name: &'static str,
    /// Informational: a failure does not fail the suite.
    pub informational: bool,
    /// `Ok(detail)` or `Err(why)`.
    pub result: Result<String, String>,
}

/// Runs the whole suite against `command`, printing one line per check to `out`.
///
/// Returns every check's outcome; the suite passed when no non-informational check failed.
///
/// Errors: writing to `out`.
pub fn run(
    command: &[String],
    timeout: Duration,
    out: &mut dyn Write,
) -> std::io::Result<Vec<Outcome>> {
    let spec = AdapterSpec {
        command: command.to_vec(),
        timeout,
    };
    let mut results = Vec::new();
    for &(name, informational, check) in CHECKS {
        let handshake_failed = results.first().is_some_and(|o: &Outcome| o.result.is_err());
        let result = if handshake_failed {
            Err("not run: the handshake failed".to_string())
        } else {
            check(&spec)
        };
        let (mark, text) = match (&result, informational) {
            (Ok(d), _) => ("pass", d.clone()),
            (Err(e), false) => ("FAIL", e.clone()),
            (Err(e), true) => ("note", e.clone()),
        };
        let text = crate::names::escape_controls(&text).replace("\\n", "\n      ");
        writeln!(out, "{mark}  {name}: {text}")?;
        results.push(Outcome {
            name,
            informational,
            result,
        });
    }
    let failed = results
        .iter()
        .filter(|o| !o.informational && o.result.is_err())
        .count();
    writeln!(
        out,
        "{} checks, {} passed, {} failed{}",
        results.len(),
        results.iter().filter(|o| o.result.is_ok()).count(),
        failed,
        match results
            .iter()
            .filter(|o| o.informational && o.result.is_err())
            .count()
        {
            0 => String::new(),
            n => format!(" ({n} informational notes)"),
        }
    )?;
    Ok(results)
}

type Check = fn(&AdapterSpec) -> Result<String, String>;

/// The suite, in order: (name, informational, check).
const CHECKS: &[(&str, bool, Check)] = &[
    ("handshake", false, handshake),
    ("create", false, create),
    ("delivery", false, delivery),
    ("own-messages-ignored", false, own_messages_ignored),
    ("ack-by-causal-history", false, ack_by_causal_history),
    ("missing-dependency", false, missing_dependency),
    ("timers-fire", false, timers_fire),
    ("virtual-clock", false, virtual_clock),
    ("malformed-input", false, malformed_input),
    ("restart", false, restart),
    ("final-state", false, final_state),
    ("deterministic", false, deterministic),
    ("duplicates-delivered-once", true, duplicates_delivered_once),
];

/// The parameters the checks create instances with.
pub fn check_params() -> pb::Params {
    let config = sds::Config {
        message_id: sds::MessageIdRule::PayloadSha256,
        sync: sds::SyncPolicy::ReliableChannel {
            interval_ms: 30_000,
        },
        repair: Some(sds::RepairConfig {
            max_requests_per_message: 1,
            ..sds::RepairConfig::default()
        }),
        ..sds::Config::default()
    };
    protocol::params_from_config(&config)
}

/// What a check has seen of one instance.
#[derive(Default)]
struct Seen {
    transmissions: Vec<sds::Transmit>,
    events: Vec<sds::Event>,
    wake_at_ms: Option<u64>,
    now_ms: u64,
}

impl Seen {
    fn delivered(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match e {
                sds::Event::Delivered { message_id, .. } => Some(&**message_id),
                _ => None,
            })
            .collect()
    }
}

/// A fresh adapter with instances `p0`, `p1`, ... in channel `chk`.
struct Bench {
    adapter: SharedAdapter,
    seen: Vec<Seen>,
}

impl Bench {
    fn start(spec: &AdapterSpec) -> Result<Bench, String> {
        let adapter = Adapter::start(spec).map_err(|f| f.0)?;
        Ok(Bench {
            adapter,
            seen: Vec::new(),
        })
    }

    fn with(spec: &AdapterSpec, n: u32, seed: u64) -> Result<Bench, String> {
        let mut b = Bench::start(spec)?;
        for i in 0..n {
            b.create(i, seed + u64::from(i))?;
        }
        Ok(b)
    }

    fn call(&mut self, body: Body) -> Result<pb::reply::Body, String> {
        let r = self.adapter.borrow_mut().call(body);
        r.map_err(|f| f.0)
    }

    /// Sends `body` to instance `i` and records its outputs.
    fn input(&mut self, i: u32, now_ms: u64, body: Body) -> Result<pb::Outputs, String> {
        let name = protocol::request_name(&body);
        let o = match self.call(body)? {
            pb::reply::Body::Outputs(o) => o,
            _ => return Err(format!("`{name}` was not answered with outputs")),
        };
        let s = &mut self.seen[i as usize];
        s.now_ms = now_ms;
        for t in o.transmissions.clone() {
            s.transmissions.push(protocol::transmission_to_core(t)?);
        }
        for e in o.events.clone() {
            s.events.push(protocol::event_to_core(e)?);
        }
        s.wake_at_ms = o.wake_at_ms;
        Ok(o)
    }

    fn create(&mut self, i: u32, seed: u64) -> Result<pb::Outputs, String> {
        self.create_at(i, seed, EPOCH_MS)
    }

    fn create_at(&mut self, i: u32, seed: u64, now_ms: u64) -> Result<pb::Outputs, String> {
        while self.seen.len() <= i as usize {
            self.seen.push(Seen::default());
        }
        self.seen[i as usize] = Seen::default();
        self.input(
            i,
            now_ms,
            Body::Create(pb::Create {
                participant: i,
                channel: 0,
                channel_id: "chk".into(),
                participant_id: format!("p{i}"),
                now_ms,
                seed,
                params: Some(check_params()),
                channel_members: 2,
            }),
        )
    }

    /// `i` publishes `payload` at `now_ms`: its id and the content transmission's bytes.
    fn send(&mut self, i: u32, now_ms: u64, payload: &[u8]) -> Result<(String, Bytes), String> {
        let before = self.seen[i as usize].transmissions.len();
        let o = self.input(
            i,
            now_ms,
            Body::Send(pb::Send {
                participant: i,
                channel: 0,
                now_ms,
                payload: Bytes::copy_from_slice(payload),
            }),
        )?;
        let id = match o.sent {
            Some(pb::outputs::Sent::PublishedId(id)) if !id.is_empty() => id,
            Some(pb::outputs::Sent::Refused(why)) => return Err(format!("send refused: {why}")),
            _ => return Err("the reply to send has no published_id".into()),
        };
        let content: Vec<&sds::Transmit> = self.seen[i as usize].transmissions[before..]
            .iter()
            .filter(|t| t.kind == sds::TransmitKind::Content)
            .collect();
        match content.as_slice() {
            [t] if t.message_id == id => Ok((id, t.bytes.clone())),
            [t] => Err(format!(
                "the content transmission has id {:?}, the send returned {id:?}",
                t.message_id
            )),
            _ => Err(format!(
                "a send produced {} content transmissions in its reply (expected 1)",
                content.len()
            )),
        }
    }

    fn receive(&mut self, i: u32, now_ms: u64, bytes: Bytes) -> Result<pb::Outputs, String> {
        self.input(
            i,
            now_ms,
            Body::Receive(pb::Receive {
                participant: i,
                channel: 0,
                now_ms,
                message: bytes,
                retrieval_hint: None,
            }),
        )
    }

    /// Runs instance `i`'s timers up to `until_ms` (Timeout at each asked wake-up, at
    /// least 1 ms apart), stopping early once `done` holds.
    fn advance(
        &mut self,
        i: u32,
        until_ms: u64,
        done: &dyn Fn(&Seen) -> bool,
    ) -> Result<(), String> {
        let mut calls = 0;
        while !done(&self.seen[i as usize]) {
            let s = &self.seen[i as usize];
            let Some(w) = s.wake_at_ms else { break };
            let at = w.max(s.now_ms + 1);
            if at > until_ms {
                break;
            }
            self.input(
                i,
                at,
                Body::Timeout(pb::Timeout {
                    participant: i,
                    channel: 0,
                    now_ms: at,
                }),
            )?;
            calls += 1;
            if calls > 100_000 {
                return Err("more than 100,000 timer calls in the check's horizon".into());
            }
        }
        Ok(())
    }

    fn final_log(&mut self, i: u32) -> Result<Vec<String>, String> {
        match self.call(Body::FinalState(pb::FinalState {
            participant: i,
            channel: 0,
        }))? {
            pb::reply::Body::FinalState(f) => Ok(f.local_log),
            _ => Err("final_state was not answered with a final state".into()),
        }
    }
}

/// `id` delivered to `i` (at once or by its timers within the horizon from `from_ms`).
fn expect_delivered(b: &mut Bench, i: u32, id: &str, from_ms: u64) -> Result<(), String> {
    let want = id.to_owned();
    b.advance(i, from_ms + HORIZON_MS, &|s| {
        s.delivered().contains(&want.as_str())
    })?;
    if b.seen[i as usize].delivered().contains(&id) {
        Ok(())
    } else {
        Err(format!(
            "p{i} did not report DELIVERED for {id} within {} s",
            HORIZON_MS / 1000
        ))
    }
}

fn handshake(spec: &AdapterSpec) -> Result<String, String> {
    let b = Bench::start(spec)?;
    let info = b.adapter.borrow().info().clone();
    if info.implementation.is_empty() {
        return Err("the handshake names no implementation".into());
    }
    Ok(format!(
        "protocol version {}, implementation {} {} (adapter: {})",
        protocol::PROTOCOL_VERSION,
        info.implementation,
        info.implementation_version,
        if info.adapter.is_empty() {
            "unnamed"
        } else {
            &info.adapter
        }
    ))
}

fn create(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let o = b.create(1, 7)?;
    Ok(format!(
        "two instances created and one replaced; first wake-up {}",
        match o.wake_at_ms {
            Some(w) => format!("at +{} ms", w.saturating_sub(EPOCH_MS)),
            None => "none".into(),
        }
    ))
}

fn delivery(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let payload = b"conformance: hello";
    let (id, bytes) = b.send(0, EPOCH_MS + 1_000, payload)?;
    let msg = wire::decode(&bytes).map_err(|e| format!("the content transmission: {e}"))?;
    if msg.sender_id != "p0" || msg.channel_id != "chk" || msg.message_id != id {
        return Err(format!(
            "the content message says sender {:?}, channel {:?}, id {:?}",
            msg.sender_id, msg.channel_id, msg.message_id
        ));
    }
    if msg.content.as_deref() != Some(&payload[..]) || msg.lamport_timestamp.is_none() {
        return Err(
            "the content message does not carry the payload and a Lamport timestamp".into(),
        );
    }
    b.receive(1, EPOCH_MS + 1_050, bytes)?;
    expect_delivered(&mut b, 1, &id, EPOCH_MS + 1_050)?;
    let sender = b.seen[1].events.iter().find_map(|e| match e {
        sds::Event::Delivered {
            message_id,
            sender_id,
            ..
        } if **message_id == *id => Some(sender_id.to_string()),
        _ => None,
    });
    match sender.as_deref() {
        Some("p0") | Some("") => Ok(format!("p0's message {id:.16}... delivered to p1")),
        other => Err(format!("DELIVERED names sender {other:?}, expected \"p0\"")),
    }
}

fn own_messages_ignored(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 1, 1)?;
    let (id, bytes) = b.send(0, EPOCH_MS + 1_000, b"own")?;
    b.receive(0, EPOCH_MS + 1_100, bytes)?;
    b.advance(0, EPOCH_MS + 10_000, &|_| false)?;
    if b.seen[0].delivered().contains(&id.as_str()) {
        return Err("p0 delivered its own message when its copy came back".into());
    }
    Ok("a participant's own message coming back is not delivered".into())
}

fn ack_by_causal_history(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let (m1, bytes) = b.send(0, EPOCH_MS + 1_000, b"first")?;
    b.receive(1, EPOCH_MS + 1_050, bytes)?;
    expect_delivered(&mut b, 1, &m1, EPOCH_MS + 1_050)?;
    let now = b.seen[1].now_ms + 1;
    let (_m2, bytes2) = b.send(1, now, b"reply")?;
    let m = wire::decode(&bytes2).map_err(|e| e.to_string())?;
    if !m.causal_history.iter().any(|h| h.message_id == m1) {
        return Err(format!(
            "p1's next message does not name {m1:.16}... in its causal history"
        ));
    }
    b.receive(0, now + 50, bytes2)?;
    let want = m1.clone();
    b.advance(0, now + HORIZON_MS, &|s| {
        s.events
            .iter()
            .any(|e| matches!(e, sds::Event::Acknowledged { message_id } if *message_id == want))
    })?;
    if b.seen[0]
        .events
        .iter()
        .any(|e| matches!(e, sds::Event::Acknowledged { message_id } if *message_id == m1))
    {
        Ok("p0's message acknowledged by p1's causal history".into())
    } else {
        Err("p0 reported no ACKNOWLEDGED for its message named in p1's causal history".into())
    }
}

fn missing_dependency(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let (m1, b1) = b.send(0, EPOCH_MS + 1_000, b"one")?;
    let (m2, b2) = b.send(0, EPOCH_MS + 2_000, b"two")?;
    b.receive(1, EPOCH_MS + 2_050, b2)?;
    let want = m1.clone();
    b.advance(1, EPOCH_MS + 2_050 + 10_000, &|s| {
        s.events.iter().any(|e| {
            matches!(e, sds::Event::MissingDependencies { missing, .. }
                if missing.iter().any(|h| h.message_id == want))
        })
    })?;
    let reported = b.seen[1].events.iter().any(|e| {
        matches!(e, sds::Event::MissingDependencies { missing, .. }
            if missing.iter().any(|h| h.message_id == m1))
    });
    if !reported {
        return Err(format!(
            "receiving m2 before m1: no MISSING_DEPENDENCIES naming m1 ({m1:.16}...)"
        ));
    }
    if b.seen[1].delivered().contains(&m2.as_str()) {
        return Err("m2 was delivered before its dependency m1".into());
    }
    let now = b.seen[1].now_ms + 1;
    b.receive(1, now, b1)?;
    expect_delivered(&mut b, 1, &m2, now)?;
    let order = b.seen[1].delivered();
    let (i1, i2) = (
        order.iter().position(|d| *d == m1),
        order.iter().position(|d| *d == m2),
    );
    match (i1, i2) {
        (Some(a), Some(c)) if a < c => Ok(
            "m2 before m1: m1 reported missing, both delivered in causal order once m1 arrived"
                .into(),
        ),
        _ => Err(format!("deliveries in the wrong order: {order:?}")),
    }
}

fn timers_fire(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 1, 1)?;
    let (id, _) = b.send(0, EPOCH_MS + 1_000, b"nobody hears me")?;
    // Resend period 30 s (default): unacknowledged, it must go out again.
    let want = id.clone();
    b.advance(0, EPOCH_MS + 1_000 + HORIZON_MS, &|s| {
        s.transmissions
            .iter()
            .any(|t| t.kind == sds::TransmitKind::Resend && t.message_id == want)
    })?;
    let s = &b.seen[0];
    let resend = s
        .transmissions
        .iter()
        .any(|t| t.kind == sds::TransmitKind::Resend && t.message_id == id);
    if !resend {
        return Err(format!(
            "no RESEND of an unacknowledged message within {} s of timers (resend period 30 s)",
            HORIZON_MS / 1000
        ));
    }
    b.advance(0, EPOCH_MS + 1_000 + HORIZON_MS, &|s| {
        s.transmissions
            .iter()
            .any(|t| t.kind == sds::TransmitKind::Sync)
    })?;
    if !b.seen[0]
        .transmissions
        .iter()
        .any(|t| t.kind == sds::TransmitKind::Sync)
    {
        return Err(format!(
            "no SYNC within {} s of timers (sync interval 30 s)",
            HORIZON_MS / 1000
        ));
    }
    Ok("resends and syncs go out from Timeout calls".into())
}

fn virtual_clock(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 1, 1)?;
    let now = EPOCH_MS + 5_000;
    let (_, bytes) = b.send(0, now, b"what time is it")?;
    let ts = wire::decode(&bytes)
        .map_err(|e| e.to_string())?
        .lamport_timestamp
        .unwrap_or(0);
    if ts < now || ts > now + 60_000 {
        return Err(format!(
            "the Lamport timestamp is {ts}, the participant's clock said {now}: it must come from \
             now_ms, not the machine's clock"
        ));
    }
    Ok(format!("Lamport timestamp {ts} from now_ms {now}"))
}

fn malformed_input(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let before = b.seen[1].delivered().len();
    for junk in [&b"\xff\xff\xff\xff not protobuf"[..], b"\x0a\x02p9", &[]] {
        b.receive(1, EPOCH_MS + 1_000, Bytes::copy_from_slice(junk))
            .map_err(|e| format!("a malformed SDS message was not simply dropped: {e}"))?;
    }
    if b.seen[1].delivered().len() != before {
        return Err("a malformed message was delivered".into());
    }
    match b.call(Body::Timeout(pb::Timeout {
        participant: 99,
        channel: 0,
        now_ms: EPOCH_MS + 1_000,
    })) {
        Err(e) if e.contains("refused") => {}
        Err(e) => return Err(format!("a request for an unknown instance: {e}")),
        Ok(_) => {
            return Err("a request for an unknown instance was answered instead of refused".into())
        }
    }
    Ok("malformed SDS messages dropped, an unknown instance refused with an Error".into())
}

fn restart(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let (m1, bytes) = b.send(0, EPOCH_MS + 1_000, b"before the crash")?;
    b.receive(1, EPOCH_MS + 1_050, bytes.clone())?;
    expect_delivered(&mut b, 1, &m1, EPOCH_MS + 1_050)?;
    b.create_at(1, 99, EPOCH_MS + 190_000)?;
    if !b.final_log(1)?.is_empty() {
        return Err("a re-created instance still has a local log".into());
    }
    b.receive(1, EPOCH_MS + 200_000, bytes)?;
    expect_delivered(&mut b, 1, &m1, EPOCH_MS + 200_000)?;
    Ok("Create on an existing instance starts it empty".into())
}

fn final_state(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let (m1, b1) = b.send(0, EPOCH_MS + 1_000, b"a")?;
    let (m2, b2) = b.send(0, EPOCH_MS + 2_000, b"b")?;
    b.receive(1, EPOCH_MS + 2_100, b1)?;
    b.receive(1, EPOCH_MS + 2_200, b2)?;
    expect_delivered(&mut b, 1, &m2, EPOCH_MS + 2_200)?;
    let log1 = b.final_log(1)?;
    let log0 = b.final_log(0)?;
    if log1 != [m1.clone(), m2.clone()] || log0 != [m1, m2] {
        return Err(format!(
            "final logs p0 {log0:?}, p1 {log1:?}: expected both messages, in order"
        ));
    }
    Ok("local logs hold both messages in order".into())
}

/// A fixed exchange; every transmission's bytes in order.
fn exchange(spec: &AdapterSpec) -> Result<Vec<Bytes>, String> {
    let mut b = Bench::with(spec, 2, 42)?;
    let (_, b1) = b.send(0, EPOCH_MS + 1_000, b"x")?;
    b.receive(1, EPOCH_MS + 1_100, b1)?;
    b.advance(1, EPOCH_MS + 100_000, &|_| false)?;
    b.advance(0, EPOCH_MS + 100_000, &|_| false)?;
    Ok(b.seen
        .iter()
        .flat_map(|s| s.transmissions.iter().map(|t| t.bytes.clone()))
        .collect())
}

fn deterministic(spec: &AdapterSpec) -> Result<String, String> {
    let a = exchange(spec)?;
    let c = exchange(spec)?;
    if a != c {
        return Err(
            "two runs with the same inputs and seeds sent different bytes (randomness or a \
             clock not taken from the request?)"
                .into(),
        );
    }
    Ok(format!(
        "two runs gave the same {} transmissions, byte for byte",
        a.len()
    ))
}

fn duplicates_delivered_once(spec: &AdapterSpec) -> Result<String, String> {
    let mut b = Bench::with(spec, 2, 1)?;
    let (m1, bytes) = b.send(0, EPOCH_MS + 1_000, b"once")?;
    b.receive(1, EPOCH_MS + 1_050, bytes.clone())?;
    expect_delivered(&mut b, 1, &m1, EPOCH_MS + 1_050)?;
    let now = b.seen[1].now_ms + 1;
    b.receive(1, now, bytes)?;
    b.advance(1, now + 10_000, &|_| false)?;
    let n = b.seen[1].delivered().iter().filter(|d| **d == m1).count();
    if n == 1 {
        Ok("a second copy of a delivered message is not delivered again".into())
    } else {
        Err(format!(
            "a second copy of a delivered message was delivered again ({n} deliveries; SDS asks \
             for once, js-waku 0.0.8 is known to deliver twice)"
        ))
    }
}
