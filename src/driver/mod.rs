//! Participant drivers: one participant's reliability protocol in one channel, as the engine
//! sees it.
//!
//! The engine never knows which implementation runs a participant. It feeds one input at a
//! time ([`Driver::send`], [`Driver::receive`], [`Driver::timeout`]) with the participant's
//! wall clock in Unix ms, then drains what the input produced: every transmission
//! ([`Driver::poll_transmit`]) goes on the network, every event ([`Driver::poll_event`]) to the
//! recorder, and [`Driver::poll_timeout`] says when to call [`Driver::timeout`] next. The
//! vocabulary is the SDS core's: [`sds::Transmit`] and [`sds::Event`]; other implementations
//! translate theirs into it. This is the sans-IO loop of the core (`src/sds/mod.rs`), lifted
//! to a trait so that other implementations plug in beside the built-in core.
//!
//! Implementations:
//! - [`sds::Channel`], the built-in core (this module implements the trait for it);
//! - [`none::NoneDriver`], the no-reliability baseline (`protocol = "none"`): every receipt
//!   is delivered, nothing is acknowledged, resent or repaired;
//! - [`external::ExternalDriver`], an implementation in another program (an adapter, e.g.
//!   js-waku's `@waku/sds` under Node.js) driven over the adapter protocol
//!   (`docs/adapter-protocol.md`); the only driver that can fail.
//!
//! May name: the core (`crate::sds`), the scenario's parameters (to configure a core) and
//! simulated time. Must not name the engine, the network model, the recorder or the report:
//! a driver only sees bytes, ids and times.

pub mod external;
pub mod none;
mod sds_core;

pub use sds_core::sds_config;

use bytes::Bytes;

use crate::sds::{self, MessageId};

/// A packet's slot for work on its bytes shared by all its receivers (see
/// [`Driver::receive_shared`]): filled once, by the first receiver's driver.
pub type SharedWork = std::cell::OnceCell<Box<dyn std::any::Any>>;

/// What an implementation made of an application's send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Published under this message id; its transmissions follow in `poll_transmit`.
    Published(String),
    /// The implementation refused the send (for the built-in core: an empty or oversized
    /// payload, or a `payload-sha256` id already in use); nothing goes out.
    Refused(String),
}

/// An implementation that can no longer be driven (for an external process: it exited,
/// wrote a malformed reply or did not answer). The run stops; the engine adds the
/// participant, the simulated time and the request to the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DriverFailure(pub String);

/// One participant's reliability protocol in one channel (see the module docs).
///
/// Contract, as for the core: after every input the engine drains `poll_transmit` and
/// `poll_event` until they return `None`, then reads `poll_timeout`. `now_ms` never goes
/// backwards for one driver. Malformed or unexpected bytes from peers are the driver's to
/// drop (never a [`DriverFailure`]).
pub trait Driver {
    /// The application publishes `payload` (non-empty content) at `now_ms`.
    ///
    /// Errors: [`DriverFailure`] when the implementation cannot be driven any more.
    fn send(&mut self, now_ms: u64, payload: Bytes) -> Result<Sent, DriverFailure>;

    /// A copy of `bytes` (an encoded SDS message) arrived, with the retrieval hint it came
    /// with (store deliveries), at `now_ms`.
    ///
    /// Errors: [`DriverFailure`] as for [`Driver::send`].
    fn receive(
        &mut self,
        now_ms: u64,
        bytes: Bytes,
        retrieval_hint: Option<Bytes>,
    ) -> Result<(), DriverFailure>;

    /// As [`Driver::receive`], for a copy of a packet that other participants receive too.
    /// `shared` is the packet's slot for work on `bytes` that every receiver would repeat:
    /// the first receiver may fill it, later ones reuse it (the built-in core keeps its
    /// [`sds::Decoded`] there). An implementation that finds something it does not know in
    /// the slot must fall back to `bytes`. The default ignores the slot.
    ///
    /// Errors: [`DriverFailure`] as for [`Driver::send`].
    fn receive_shared(
        &mut self,
        now_ms: u64,
        bytes: &Bytes,
        retrieval_hint: Option<Bytes>,
        shared: &SharedWork,
    ) -> Result<(), DriverFailure> {
        let _ = shared;
        self.receive(now_ms, bytes.clone(), retrieval_hint)
    }

    /// A hint that a copy of a packet will arrive here soon: bring the state its receipt
    /// touches into cache ([`crate::sds::prefetch`]), in two stages a few events apart (0
    /// first); `shared` is the packet's shared work (see [`Driver::receive_shared`]: empty
    /// until its first receiver decodes it). Must not change anything. The default asks for
    /// the first cache lines of the driver itself at stage 0.
    #[inline]
    fn prefetch(&self, stage: u8, shared: &SharedWork) {
        let _ = shared;
        if stage == 0 {
            crate::sds::prefetch::read_lines(self as *const Self, 4);
        }
    }

    /// The deadline returned by [`Driver::poll_timeout`] has come (`now_ms` is at or after
    /// it).
    ///
    /// Errors: [`DriverFailure`] as for [`Driver::send`].
    fn timeout(&mut self, now_ms: u64) -> Result<(), DriverFailure>;

    /// Sets the retrieval hint of an own message (the store message hash of its wire bytes,
    /// js-waku's ReliableChannel sets it on send). Ignored by implementations without hints.
    ///
    /// Errors: [`DriverFailure`] as for [`Driver::send`].
    fn set_retrieval_hint(&mut self, message_id: &str, hint: Bytes) -> Result<(), DriverFailure>;

    /// The next transmission produced by the last input, if any.
    fn poll_transmit(&mut self) -> Option<sds::Transmit>;

    /// The next event produced by the last input, if any.
    fn poll_event(&mut self) -> Option<sds::Event>;

    /// When (Unix ms) the driver wants [`Driver::timeout`] next; `None`: no timer.
    fn poll_timeout(&self) -> Option<u64>;

    /// True when nothing the driver holds can still change what gets delivered: no
    /// unacknowledged own message still to resend, nothing buffered, no repair pending.
    /// The run settles only when every online participant's drivers are quiescent.
    fn is_quiescent(&self) -> bool;

    /// The local log at the end of the run, in the implementation's log order (for the
    /// agreement of final logs): message ids as the core packs them.
    fn local_log(&self) -> Box<dyn Iterator<Item = MessageId> + '_>;

    /// Called once at the end of the run, before [`Driver::local_log`],
    /// [`Driver::local_log_len`] and [`Driver::incoming_buffer_len`] are read: an external
    /// implementation fetches its final state here. The built-in drivers have nothing to do.
    ///
    /// Errors: [`DriverFailure`] as for [`Driver::send`].
    fn finish(&mut self) -> Result<(), DriverFailure> {
        Ok(())
    }

    /// Number of entries in [`Driver::local_log`] (a figure per participant in reports).
    fn local_log_len(&self) -> usize;

    /// Messages held in the incoming buffer, waiting for dependencies.
    fn incoming_buffer_len(&self) -> usize;

    /// Own messages in the outgoing buffer (sent, not yet acknowledged), for time series;
    /// `None` when the implementation does not say.
    fn outgoing_buffer_len(&self) -> Option<usize> {
        None
    }

    /// The built-in core behind this driver, for tests and tools that inspect its final
    /// state; `None` for other implementations.
    fn into_core(self: Box<Self>) -> Option<sds::Channel> {
        None
    }
}
