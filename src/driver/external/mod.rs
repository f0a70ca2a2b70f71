//! External participants: an SDS implementation in another program (an *adapter*), driven
//! over the adapter protocol (`docs/adapter-protocol.md`, schema `proto/adapter.proto`).
//!
//! One adapter process hosts many instances, each a (participant, channel) pair: the
//! [`Adapter`] is shared by the drivers of all the participants it runs
//! (`Rc<RefCell<Adapter>>`; a run is single-threaded). Every input of the [`Driver`] trait is
//! one request and one reply; the reply carries the outputs (transmissions, events, the next
//! wake-up, quiescence, log and buffer sizes), which the driver keeps for the engine's
//! `poll_*` calls. Any failure (the program cannot start, exits, hangs past the call limit,
//! writes a malformed frame, speaks another version, refuses a request) is a
//! [`DriverFailure`] whose message names the adapter, the request and its last stderr lines;
//! the engine adds the participant and the simulated time and stops the run.
//!
//! Linux only (`poll(2)` on the pipes and `PR_SET_PDEATHSIG` through `rustix`).

#[cfg(target_os = "linux")]
pub mod check;
pub mod protocol;

#[cfg(target_os = "linux")]
mod process;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Driver, DriverFailure, Sent};
use crate::sds::{self, MessageId};
use protocol::pb;
use protocol::pb::request::Body;

/// How to start an adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSpec {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Wall-clock limit of one call (request written, reply read).
    pub timeout: Duration,
}

/// What the adapter said about itself in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdapterInfo {
    /// The implementation behind it, e.g. `@waku/sds`.
    pub implementation: String,
    /// Its version, e.g. `0.0.8`.
    pub implementation_version: String,
    /// The adapter's own name and version.
    pub adapter: String,
}

/// A running adapter after a successful handshake, shared by the drivers it hosts.
pub struct Adapter {
    #[cfg(target_os = "linux")]
    process: process::Process,
    info: AdapterInfo,
}

/// Adapter calls made on one thread and the wall time spent in them (request written to
/// reply read, so the adapter's own work plus the pipe transfers). Wall-clock figures for
/// `perf.json`, never for results.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStats {
    /// Calls (requests answered or failed), the handshake included.
    pub calls: u64,
    /// Wall time spent in them.
    pub wall: Duration,
}

thread_local! {
    static CALLS: Cell<CallStats> = const { Cell::new(CallStats { calls: 0, wall: Duration::ZERO }) };
}

/// The adapter calls made on this thread so far (a run's are the difference of two readings
/// around it: `sim run` simulates on its main thread).
pub fn calls_on_this_thread() -> CallStats {
    CALLS.with(|c| c.get())
}

/// An adapter shared by the drivers of its instances.
pub type SharedAdapter = Rc<RefCell<Adapter>>;

impl Adapter {
    /// Starts the adapter and performs the handshake (protocol version, implementation name
    /// and version).
    ///
    /// Errors: the program cannot be started, fails the handshake, or speaks another
    /// protocol version.
    #[cfg(target_os = "linux")]
    pub fn start(spec: &AdapterSpec) -> Result<SharedAdapter, DriverFailure> {
        let mut process =
            process::Process::spawn(&spec.command, spec.timeout).map_err(DriverFailure)?;
        let hello = Body::Hello(pb::Hello {
            protocol_version: protocol::PROTOCOL_VERSION,
            simulator: format!("sdsim {}", env!("CARGO_PKG_VERSION")),
        });
        let reply = match process.call(hello).map_err(DriverFailure)? {
            pb::reply::Body::Hello(h) => h,
            other => {
                return Err(DriverFailure(
                    process.fail("hello", &format!("answered with {}", reply_name(&other))),
                ))
            }
        };
        if reply.protocol_version != protocol::PROTOCOL_VERSION {
            return Err(DriverFailure(process.fail(
                "hello",
                &format!(
                    "it speaks adapter protocol version {}, this sdsim speaks version {}",
                    reply.protocol_version,
                    protocol::PROTOCOL_VERSION
                ),
            )));
        }
        let info = AdapterInfo {
            implementation: reply.implementation,
            implementation_version: reply.implementation_version,
            adapter: reply.adapter,
        };
        Ok(Rc::new(RefCell::new(Adapter { process, info })))
    }

    /// External implementations need Linux (see the module docs).
    ///
    /// Errors: always.
    #[cfg(not(target_os = "linux"))]
    pub fn start(spec: &AdapterSpec) -> Result<SharedAdapter, DriverFailure> {
        Err(DriverFailure(format!(
            "cannot start the adapter {:?}: external implementations need Linux",
            spec.command
        )))
    }

    /// What the adapter said about itself.
    pub fn info(&self) -> &AdapterInfo {
        &self.info
    }

    /// One request and its reply.
    ///
    /// Errors: see [`Adapter::start`]; any failure of the call.
    #[cfg(target_os = "linux")]
    pub fn call(&mut self, body: Body) -> Result<pb::reply::Body, DriverFailure> {
        let started = Instant::now();
        let reply = self.process.call(body).map_err(DriverFailure);
        CALLS.with(|c| {
            let mut s = c.get();
            s.calls += 1;
            s.wall += started.elapsed();
            c.set(s);
        });
        reply
    }

    #[cfg(not(target_os = "linux"))]
    fn call(&mut self, _body: Body) -> Result<pb::reply::Body, DriverFailure> {
        Err(DriverFailure("external implementations need Linux".into()))
    }

    /// Marks the adapter failed on `request` (a reply that makes no sense) and returns the
    /// full failure.
    #[cfg(target_os = "linux")]
    pub fn fail(&mut self, request: &str, why: &str) -> DriverFailure {
        DriverFailure(self.process.fail(request, why))
    }

    #[cfg(not(target_os = "linux"))]
    fn fail(&mut self, request: &str, why: &str) -> DriverFailure {
        DriverFailure(format!("{request}: {why}"))
    }

    /// The request's `Outputs` reply.
    fn call_outputs(&mut self, body: Body) -> Result<pb::Outputs, DriverFailure> {
        let name = protocol::request_name(&body);
        match self.call(body)? {
            pb::reply::Body::Outputs(o) => Ok(o),
            other => Err(self.fail(
                name,
                &format!("answered with {} instead of outputs", reply_name(&other)),
            )),
        }
    }
}

/// Environment variable naming the directory that holds the shipped adapters (default: the
/// `adapters/` directory of the source tree this binary was built from).
pub const ADAPTERS_DIR_ENV: &str = "SDSIM_ADAPTERS_DIR";

/// Environment variable naming the Node.js program (default `node`, looked up in `PATH`).
pub const NODE_ENV: &str = "SDSIM_NODE";

/// The directory of the shipped adapters: `$SDSIM_ADAPTERS_DIR`, else
/// `<source tree>/adapters`.
pub fn adapters_dir() -> std::path::PathBuf {
    match std::env::var_os(ADAPTERS_DIR_ENV) {
        Some(d) if !d.is_empty() => d.into(),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters"),
    }
}

/// The command running the js-waku adapter (`sds.implementation = "js-waku-0.0.8"`):
/// `node <adapters>/js-waku-sds/adapter.js`.
///
/// Errors: the adapter is missing, or its dependencies were not installed (`npm ci`).
pub fn js_waku_command() -> Result<Vec<String>, String> {
    let dir = adapters_dir().join("js-waku-sds");
    let script = dir.join("adapter.js");
    if !script.is_file() {
        return Err(format!(
            "the js-waku adapter is not at {} (set {ADAPTERS_DIR_ENV} to the directory holding \
             js-waku-sds/)",
            script.display()
        ));
    }
    let installed = dir.join("node_modules/@waku/sds/package.json");
    if !installed.is_file() {
        return Err(format!(
            "the js-waku adapter's dependencies are not installed (no {}): run `npm ci --prefix {}` \
             once (Node.js 20 or later)",
            installed.display(),
            dir.display()
        ));
    }
    let node = std::env::var(NODE_ENV)
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "node".into());
    Ok(vec![node, script.display().to_string()])
}

fn reply_name(b: &pb::reply::Body) -> &'static str {
    match b {
        pb::reply::Body::Hello(_) => "a hello reply",
        pb::reply::Body::Outputs(_) => "outputs",
        pb::reply::Body::FinalState(_) => "a final-state reply",
        pb::reply::Body::Error(_) => "an error",
    }
}

/// One instance (participant, channel) hosted by an adapter.
pub struct ExternalDriver {
    adapter: SharedAdapter,
    participant: u32,
    channel: u32,
    transmits: VecDeque<sds::Transmit>,
    events: VecDeque<sds::Event>,
    wake_at_ms: Option<u64>,
    quiescent: bool,
    local_log_len: usize,
    incoming_buffer_len: usize,
    /// Filled by [`Driver::finish`].
    final_log: Vec<MessageId>,
}

/// What identifies and configures a new instance.
#[derive(Debug, Clone)]
pub struct Instance<'a> {
    /// Participant index.
    pub participant: u32,
    /// Channel index.
    pub channel: u32,
    /// The channel's wire id.
    pub channel_id: &'a str,
    /// The participant's wire id.
    pub participant_id: &'a str,
    /// The core configuration the scenario asks for.
    pub config: &'a sds::Config,
    /// Members of the channel.
    pub channel_members: u32,
}

impl ExternalDriver {
    /// Creates (or replaces) `inst` in `adapter` at the participant's wall clock `now_ms`
    /// with `seed` for its randomness.
    ///
    /// Errors: the adapter failed or refused the parameters.
    pub fn create(
        adapter: &SharedAdapter,
        inst: Instance<'_>,
        now_ms: u64,
        seed: u64,
    ) -> Result<ExternalDriver, DriverFailure> {
        let mut d = ExternalDriver {
            adapter: Rc::clone(adapter),
            participant: inst.participant,
            channel: inst.channel,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            wake_at_ms: None,
            quiescent: true,
            local_log_len: 0,
            incoming_buffer_len: 0,
            final_log: Vec::new(),
        };
        d.input(Body::Create(pb::Create {
            participant: inst.participant,
            channel: inst.channel,
            channel_id: inst.channel_id.to_owned(),
            participant_id: inst.participant_id.to_owned(),
            now_ms,
            seed,
            params: Some(protocol::params_from_config(inst.config)),
            channel_members: inst.channel_members,
        }))?;
        Ok(d)
    }

    /// Sends `body`, applies its outputs; returns the reply's send result.
    fn input(&mut self, body: Body) -> Result<Option<Sent>, DriverFailure> {
        let name = protocol::request_name(&body);
        let is_send = matches!(body, Body::Send(_));
        let mut adapter = self.adapter.borrow_mut();
        let out = adapter.call_outputs(body)?;
        let bad = |adapter: &mut Adapter, why: String| Err(adapter.fail(name, &why));
        let sent = match (out.sent, is_send) {
            (None, false) => None,
            (Some(pb::outputs::Sent::PublishedId(id)), true) => Some(Sent::Published(id)),
            (Some(pb::outputs::Sent::Refused(why)), true) => Some(Sent::Refused(why)),
            (None, true) => {
                return bad(
                    &mut adapter,
                    "the reply to a send has neither published_id nor refused".into(),
                )
            }
            (Some(_), false) => {
                return bad(
                    &mut adapter,
                    "published_id or refused in a reply to another request than send".into(),
                )
            }
        };
        for t in out.transmissions {
            match protocol::transmission_to_core(t) {
                Ok(t) => self.transmits.push_back(t),
                Err(why) => return bad(&mut adapter, why),
            }
        }
        for e in out.events {
            match protocol::event_to_core(e) {
                Ok(e) => self.events.push_back(e),
                Err(why) => return bad(&mut adapter, why),
            }
        }
        self.wake_at_ms = out.wake_at_ms;
        self.quiescent = out.quiescent;
        self.local_log_len = out.local_log_len as usize;
        self.incoming_buffer_len = out.incoming_buffer_len as usize;
        Ok(sent)
    }
}

impl Driver for ExternalDriver {
    fn send(&mut self, now_ms: u64, payload: Bytes) -> Result<Sent, DriverFailure> {
        let sent = self.input(Body::Send(pb::Send {
            participant: self.participant,
            channel: self.channel,
            now_ms,
            payload,
        }))?;
        Ok(sent.expect("checked in input"))
    }

    fn receive(
        &mut self,
        now_ms: u64,
        bytes: Bytes,
        retrieval_hint: Option<Bytes>,
    ) -> Result<(), DriverFailure> {
        self.input(Body::Receive(pb::Receive {
            participant: self.participant,
            channel: self.channel,
            now_ms,
            message: bytes,
            retrieval_hint,
        }))?;
        Ok(())
    }

    fn timeout(&mut self, now_ms: u64) -> Result<(), DriverFailure> {
        self.input(Body::Timeout(pb::Timeout {
            participant: self.participant,
            channel: self.channel,
            now_ms,
        }))?;
        Ok(())
    }

    fn set_retrieval_hint(&mut self, message_id: &str, hint: Bytes) -> Result<(), DriverFailure> {
        let before = self.transmits.len();
        self.input(Body::SetRetrievalHint(pb::SetRetrievalHint {
            participant: self.participant,
            channel: self.channel,
            message_id: message_id.to_owned(),
            hint,
        }))?;
        if self.transmits.len() != before {
            return Err(self.adapter.borrow_mut().fail(
                "set_retrieval_hint",
                "its reply carries transmissions (none are allowed there)",
            ));
        }
        Ok(())
    }

    fn poll_transmit(&mut self) -> Option<sds::Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<sds::Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.wake_at_ms
    }

    fn is_quiescent(&self) -> bool {
        self.quiescent
    }

    fn finish(&mut self) -> Result<(), DriverFailure> {
        let body = Body::FinalState(pb::FinalState {
            participant: self.participant,
            channel: self.channel,
        });
        let mut adapter = self.adapter.borrow_mut();
        match adapter.call(body)? {
            pb::reply::Body::FinalState(f) => {
                self.final_log = f.local_log.iter().map(|id| MessageId::new(id)).collect();
                self.local_log_len = self.final_log.len();
                self.incoming_buffer_len = f.incoming_buffer_len as usize;
                Ok(())
            }
            other => Err(adapter.fail(
                "final_state",
                &format!(
                    "answered with {} instead of a final state",
                    reply_name(&other)
                ),
            )),
        }
    }

    fn local_log(&self) -> Box<dyn Iterator<Item = MessageId> + '_> {
        Box::new(self.final_log.iter().cloned())
    }

    fn local_log_len(&self) -> usize {
        self.local_log_len
    }

    fn incoming_buffer_len(&self) -> usize {
        self.incoming_buffer_len
    }
}
