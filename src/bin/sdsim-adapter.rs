//! `sdsim-adapter`: the reference adapter. It serves the adapter protocol
//! (`docs/adapter-protocol.md`) on stdin/stdout with the built-in SDS core behind it, one
//! `sds::Channel` per (participant, channel) instance, exactly as the engine drives the core
//! in process (`src/driver/sds_core.rs`). Running a scenario with
//! `sds.implementation = "external"` and `sds.external.command = ["sdsim-adapter"]` gives the
//! same `report.json` as the built-in core (`tests/external.rs`): the protocol carries
//! everything the engine uses.
//!
//! It doubles as a template for adapters of other implementations and as the fault injector
//! of the tests (`--fault`, below): a crash, a hang, a garbled frame, another protocol version
//! or a deliberately wrong behaviour at a chosen request.
//!
//! Usage: `sdsim-adapter [--fault SPEC]...` where SPEC is one of
//! - `exit-at=N`: at request N (1-based), write a line to stderr and exit with status 3;
//! - `hang-at=N`: at request N, stop answering (sleep until killed);
//! - `garble-at=N`: at request N, answer with bytes that are not a frame;
//! - `refuse-at=N`: at request N, answer with an `Error` reply;
//! - `version=V`: claim protocol version V in the handshake;
//! - `drop-event=KIND`: never report events of KIND (`delivered`, `acknowledged`,
//!   `missing-dependencies`, ...), a broken implementation for `sim adapter check`;
//! - `no-timers`: never ask for a wake-up (timers never fire);
//! - `crash-on-malformed`: exit with status 4 when a received message does not decode.
//!
//! Exits 0 at the end of its input (the engine closed stdin), 2 on bad arguments or a
//! malformed request frame.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use sdsim::driver::external::protocol::{self, pb};
use sdsim::sds;

/// The allocator `sim` uses (src/main.rs): the core allocates per message.
#[global_allocator]
static GLOBAL: sdsim::alloc::Allocator = sdsim::alloc::Allocator;

#[derive(Default)]
struct Faults {
    exit_at: Option<u64>,
    hang_at: Option<u64>,
    garble_at: Option<u64>,
    refuse_at: Option<u64>,
    version: Option<u32>,
    drop_events: Vec<i32>,
    no_timers: bool,
    crash_on_malformed: bool,
}

fn parse_args() -> Result<Faults, String> {
    let mut f = Faults::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a != "--fault" {
            return Err(format!(
                "unknown argument {a:?} (usage: sdsim-adapter [--fault SPEC]...)"
            ));
        }
        let spec = args.next().ok_or("--fault needs a SPEC")?;
        let (k, v) = spec.split_once('=').unwrap_or((spec.as_str(), ""));
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("bad number in {spec:?}"))
        };
        match k {
            "exit-at" => f.exit_at = Some(num(v)?),
            "hang-at" => f.hang_at = Some(num(v)?),
            "garble-at" => f.garble_at = Some(num(v)?),
            "refuse-at" => f.refuse_at = Some(num(v)?),
            "version" => f.version = Some(num(v)? as u32),
            "drop-event" => {
                let name = format!("EVENT_KIND_{}", v.replace('-', "_").to_uppercase());
                let kind = pb::EventKind::from_str_name(&name)
                    .ok_or_else(|| format!("unknown event kind in {spec:?}"))?;
                f.drop_events.push(kind as i32);
            }
            "no-timers" => f.no_timers = true,
            "crash-on-malformed" => f.crash_on_malformed = true,
            _ => return Err(format!("unknown fault {spec:?}")),
        }
    }
    Ok(f)
}

/// The built-in core's instances, by (participant, channel).
struct Reference {
    faults: Faults,
    instances: HashMap<(u32, u32), sds::Channel>,
}

impl Reference {
    fn instance(&mut self, participant: u32, channel: u32) -> Result<&mut sds::Channel, String> {
        self.instances
            .get_mut(&(participant, channel))
            .ok_or_else(|| format!("no instance ({participant}, {channel}): create it first"))
    }

    fn handle(&mut self, body: pb::request::Body) -> Result<pb::reply::Body, String> {
        use pb::request::Body;
        let (key, sent) = match body {
            Body::Hello(h) => {
                if h.protocol_version != protocol::PROTOCOL_VERSION {
                    eprintln!(
                        "sdsim-adapter: the engine speaks protocol version {}",
                        h.protocol_version
                    );
                }
                return Ok(pb::reply::Body::Hello(pb::HelloReply {
                    protocol_version: self.faults.version.unwrap_or(protocol::PROTOCOL_VERSION),
                    implementation: "sdsim".into(),
                    implementation_version: env!("CARGO_PKG_VERSION").into(),
                    adapter: format!("sdsim-adapter {} (reference)", env!("CARGO_PKG_VERSION")),
                }));
            }
            Body::Create(c) => {
                let params = c.params.ok_or("create without params")?;
                let config = protocol::config_from_params(&params)?;
                let ch =
                    sds::Channel::new(c.channel_id, c.participant_id, config, c.now_ms, c.seed);
                self.instances.insert((c.participant, c.channel), ch);
                ((c.participant, c.channel), None)
            }
            Body::Send(s) => {
                let ch = self.instance(s.participant, s.channel)?;
                let sent = match ch.send(s.now_ms, s.payload) {
                    Ok(id) => pb::outputs::Sent::PublishedId(id),
                    Err(e) => pb::outputs::Sent::Refused(e.to_string()),
                };
                ((s.participant, s.channel), Some(sent))
            }
            Body::Receive(r) => {
                let crash = self.faults.crash_on_malformed;
                let ch = self.instance(r.participant, r.channel)?;
                if let Err(e) = ch.handle_message(r.now_ms, r.message, r.retrieval_hint) {
                    if crash && matches!(e, sds::WireError::Decode(_)) {
                        eprintln!("sdsim-adapter: fault crash-on-malformed: {e}");
                        std::process::exit(4);
                    }
                }
                ((r.participant, r.channel), None)
            }
            Body::Timeout(t) => {
                self.instance(t.participant, t.channel)?
                    .handle_timeout(t.now_ms);
                ((t.participant, t.channel), None)
            }
            Body::SetRetrievalHint(h) => {
                self.instance(h.participant, h.channel)?
                    .set_retrieval_hint(&h.message_id, h.hint);
                ((h.participant, h.channel), None)
            }
            Body::FinalState(f) => {
                let ch = self.instance(f.participant, f.channel)?;
                return Ok(pb::reply::Body::FinalState(pb::FinalStateReply {
                    local_log: ch.local_log().map(|id| id.to_string()).collect(),
                    incoming_buffer_len: ch.pending().incoming_buffer as u64,
                }));
            }
        };
        let no_timers = self.faults.no_timers;
        let ch = self
            .instances
            .get_mut(&key)
            .ok_or_else(|| format!("no instance {key:?}"))?;
        let drop_events = &self.faults.drop_events;
        let transmissions = std::iter::from_fn(|| ch.poll_transmit())
            .map(protocol::transmission_from_core)
            .collect();
        let events = std::iter::from_fn(|| ch.poll_event())
            .map(protocol::event_from_core)
            .filter(|e| !drop_events.contains(&e.kind))
            .collect();
        Ok(pb::reply::Body::Outputs(pb::Outputs {
            sent,
            transmissions,
            events,
            wake_at_ms: if no_timers { None } else { ch.poll_timeout() },
            quiescent: ch.is_quiescent(),
            local_log_len: ch.local_log_len() as u64,
            incoming_buffer_len: ch.pending().incoming_buffer as u64,
        }))
    }
}

fn main() -> ExitCode {
    let faults = match parse_args() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("sdsim-adapter: {e}");
            return ExitCode::from(2);
        }
    };
    let mut adapter = Reference {
        faults,
        instances: HashMap::new(),
    };
    let mut input = std::io::stdin().lock();
    let mut output = BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let mut frame = Vec::with_capacity(64 * 1024);
    let mut n = 0u64;
    loop {
        let body = match protocol::read_frame(&mut input) {
            Ok(Some(b)) => b,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sdsim-adapter: {e}");
                return ExitCode::from(2);
            }
        };
        n += 1;
        if adapter.faults.exit_at == Some(n) {
            eprintln!("sdsim-adapter: fault exit-at={n}: exiting with status 3");
            return ExitCode::from(3);
        }
        if adapter.faults.hang_at == Some(n) {
            eprintln!("sdsim-adapter: fault hang-at={n}: not answering");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        let req = match protocol::decode_request(body) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("sdsim-adapter: {e}");
                return ExitCode::from(2);
            }
        };
        let body = match req.body {
            Some(_) if adapter.faults.refuse_at == Some(n) => pb::reply::Body::Error(pb::Error {
                message: format!("fault refuse-at={n}: refusing this request"),
            }),
            Some(b) => adapter
                .handle(b)
                .unwrap_or_else(|message| pb::reply::Body::Error(pb::Error { message })),
            None => pb::reply::Body::Error(pb::Error {
                message: "request without a body".into(),
            }),
        };
        frame.clear();
        if adapter.faults.garble_at == Some(n) {
            eprintln!("sdsim-adapter: fault garble-at={n}: writing text instead of a frame");
            frame.extend_from_slice(b"this is not a frame\n");
        } else {
            protocol::encode_frame(
                &pb::Reply {
                    seq: req.seq,
                    body: Some(body),
                },
                &mut frame,
            );
        }
        if output
            .write_all(&frame)
            .and_then(|()| output.flush())
            .is_err()
        {
            return ExitCode::SUCCESS; // the engine went away
        }
    }
}
