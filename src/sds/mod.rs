//! The SDS reliability core (sans-IO): Scalable Data Sync with SDS-R repair, as specified in
//! vacp2p/rfc-index `sds.md` and implemented by js-waku `packages/sds` (npm `@waku/sds`
//! 0.0.8), whose wire format, bloom filter and SDS-R hashes it reproduces byte for byte.
//! Rules, defaults and their sources: `PROTOCOL.md`; each item's docs name its rule.
//!
//! This module reads no clock, does no I/O, starts no thread and draws randomness only from
//! the seed given to [`Channel::new`]. It names nothing else in this crate.
//!
//! # Driving a channel
//!
//! Feed one input, then drain transmissions and events until both are empty, then ask when
//! to wake up:
//!
//! ```
//! use bytes::Bytes;
//! use sdsim::sds::{Channel, Config};
//!
//! let now_ms = 1_700_000_000_000;
//! let mut alice = Channel::new("chan", "alice", Config::default(), now_ms, 1);
//! let mut bob = Channel::new("chan", "bob", Config::default(), now_ms, 2);
//!
//! // Input: a send (or handle_message / handle_timeout / mark_dependencies_met).
//! alice.send(now_ms, Bytes::from_static(b"hello")).unwrap();
//! // Drain: broadcast every transmit (here: straight to bob), handle every event.
//! while let Some(t) = alice.poll_transmit() {
//!     bob.handle_message(now_ms + 40, t.bytes, None).unwrap();
//! }
//! while let Some(event) = alice.poll_event() { let _ = event; }
//! let delivered = std::iter::from_fn(|| bob.poll_event())
//!     .filter(|e| matches!(e, sdsim::sds::Event::Delivered { .. }))
//!     .count();
//! assert_eq!(delivered, 1);
//! // Wake up: call handle_timeout(t) at t = poll_timeout(), then drain again.
//! let wake_at_ms = bob.poll_timeout();
//! assert!(wake_at_ms.is_some()); // the periodic sync timer
//! ```
//!
//! # Inspecting a channel
//!
//! Read-only views for applications and tests (`channel/inspect.rs`), all in Unix ms and
//! text ids: [`Channel::outgoing_buffer`] (possible-acknowledgement and resend counts),
//! [`Channel::bloom_filter`] (the bytes the next message carries) and
//! [`Channel::bloom_filter_contains`], [`Channel::local_log_entries`] (Lamport timestamps, in
//! log order), [`Channel::incoming_buffer`] (missing and buffered dependencies),
//! [`Channel::outgoing_repair_buffer`] (T_req, round) and [`Channel::incoming_repair_buffer`]
//! (T_resp), and the counts of [`Channel::pending`].
//!
//! ```
//! # use bytes::Bytes;
//! # use sdsim::sds::{Channel, Config};
//! let mut alice = Channel::new("chan", "alice", Config::default(), 1_000, 1);
//! let id = alice.send(1_000, Bytes::from_static(b"hi")).unwrap();
//! let unacked: Vec<_> = alice.outgoing_buffer().collect();
//! assert_eq!((unacked[0].message_id.as_str(), unacked[0].possible_acks), (id.as_str(), 0));
//! assert!(alice.bloom_filter_contains(&id));
//! assert_eq!(alice.local_log_entries().next().unwrap().lamport_timestamp, 1_001);
//! ```

pub mod bloom;
pub mod channel;
pub mod config;
pub mod decoded;
pub mod growth;
mod held;
pub mod id;
pub mod prefetch;
pub mod repair;
mod short_key;
pub mod view;
pub mod wire;

pub use channel::{
    message_id_for, Buffer, BufferedMessage, Channel, Event, IncomingRepairEntry, LoggedMessage,
    OutgoingMessage, OutgoingRepairEntry, Pending, SendError, Transmit, TransmitKind,
};
pub use config::{BloomRollover, Config, LostPolicy, MessageIdRule, RepairConfig, SyncPolicy};
pub use decoded::Decoded;
pub use id::MessageId;
pub use repair::response_groups_for;
pub use wire::{HistoryEntry, Limits, MessageKind, SdsMessage, WireError};
