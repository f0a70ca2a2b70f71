//! A received message decoded once, for every receiver of the same bytes.
//!
//! A transport that hands one packet to many participants (a simulator, a relay node running
//! several channels' cores) can decode it once with [`Decoded::new`] and give every core
//! [`Channel::handle_decoded`](super::Channel::handle_decoded): the work that depends only on
//! the bytes (protobuf decoding, the limit checks, the kind, the packed message and
//! causal-history ids, the bloom hash pair of the id, the repair-request entries and their
//! receiver-independent SDS-R hashes, and where a receiver's log holds each causal-history
//! entry) is done once instead of once per receiver. The outcome is the same as
//! [`Channel::handle_message`](super::Channel::handle_message) on the same bytes, event for
//! event (`tests/decoded.rs`): a core whose limits differ from
//! the ones the message was decoded with decodes the bytes again under its own.

use std::cell::OnceCell;
use std::sync::Arc;

use bytes::Bytes;

use super::bloom::BloomParams;
use super::id::MessageId;
use super::repair::RequestHashes;
use super::short_key::ShortKey;
use super::view::{self, MessageView};
use super::wire::{HistoryEntry, Limits, MessageKind, SdsMessage, WireError};

/// The bytes of one received message, decoded and checked under [`Limits`] (see the module
/// docs). Not `Sync`: it lazily caches the bloom hash pair of the id for the first filter
/// sizing asked for.
#[derive(Debug)]
pub struct Decoded {
    /// The received bytes, behind one pointer that every receiver's SDS-R store shares.
    bytes: Arc<Bytes>,
    limits: Limits,
    parsed: Result<Parsed, WireError>,
    /// The message as prost's type, made when [`Decoded::message`] first asks.
    message: OnceCell<SdsMessage>,
    /// The bloom pair of the message id ([`BloomParams::bit_pair`]), for the sizing it was
    /// computed with.
    pair: OnceCell<(BloomParams, (u64, u64))>,
}

/// What a valid message decodes to.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) view: MessageView,
    pub(super) kind: MessageKind,
    /// The message id, packed.
    pub(super) id: MessageId,
    /// The causal-history ids, packed, in the message's order (what every receiver's
    /// `Event::Delivered` carries too).
    pub(super) history: Arc<[MessageId]>,
    /// Per causal-history entry, an equal id as some receiver's local log holds it, noted by
    /// the first receiver that finds the entry there (`Channel::unmet_history`). Receivers
    /// holding that same record (every receiver of the packet that carried the message)
    /// then compare pointers instead of reading both records: a hint only, an entry is met
    /// or not whatever is noted here.
    pub(super) logged_as: Box<[OnceCell<MessageId>]>,
    /// The repair-request entries, each made once for every receiver.
    pub(super) repair: Box<[RepairEntry]>,
    /// What every receiver's `Event::Delivered` carries, made once: the id and the sender.
    pub(super) message_id: Arc<str>,
    pub(super) sender_id: Arc<str>,
    /// The channel id's and the sender id's keys, compared with every receiver's own.
    pub(super) channel_key: ShortKey,
    pub(super) sender_key: ShortKey,
}

/// A repair-request entry of a received message, as every receiver of it needs it.
#[derive(Debug)]
pub(super) struct RepairEntry {
    pub(super) entry: HistoryEntry,
    /// `entry.message_id`, packed.
    pub(super) id: MessageId,
    /// What every receiver in the response group computes alike (`repair::RequestHashes`),
    /// made by the first one that needs it.
    pub(super) hashes: OnceCell<RequestHashes>,
}

/// What a receiver decoding its own copy of a message ([`Channel::handle_message`](super::Channel::handle_message))
/// may already hold that the decoding can share instead of allocating: candidates only. The
/// decoding takes a candidate when it equals what it would make (compared by value here), so
/// its result is the same whatever they are; each allocation saved is one less block
/// reused cold from the allocator (issue 16).
pub(super) trait Known {
    /// A record that may be the id of causal-history entry `i` of `n` (a receiver's log
    /// names, at its newest `n` entries, what its sender's history names, usually).
    fn history_entry(&self, i: usize, n: usize) -> Option<&MessageId>;
    /// A string that may be the message's sender.
    fn sender(&self) -> Option<&Arc<str>>;
}

/// Nothing known: everything is made anew (a decoding shared by many receivers).
impl Known for () {
    fn history_entry(&self, _: usize, _: usize) -> Option<&MessageId> {
        None
    }
    fn sender(&self) -> Option<&Arc<str>> {
        None
    }
}

impl RepairEntry {
    /// [`RequestHashes`] of the entry (an absent sender counts as empty, as in
    /// `Channel::on_repair_request`).
    pub(super) fn hashes(&self) -> RequestHashes {
        *self.hashes.get_or_init(|| {
            let sender = self.entry.sender_id.as_deref().unwrap_or("");
            RequestHashes::new(sender, &self.entry.message_id)
        })
    }
}

impl Decoded {
    /// Decodes `bytes` under `limits` exactly as `Channel::handle_message` does (the view
    /// decoder [`view::decode`], which gives [`wire::decode_with_limits`](super::wire::decode_with_limits)'s
    /// result, then the kind as [`wire::classify`](super::wire::classify)); an error is kept
    /// and returned to every receiver. Never panics.
    pub fn new(bytes: Bytes, limits: &Limits) -> Decoded {
        Decoded::new_hinted(bytes, limits, |_, _| {}, &())
    }

    /// [`Decoded::new`], calling `hint` with the message's id and kind as soon as they are
    /// known, before the rest of the decoding: a receiver can ask for the state the id
    /// touches while the decoding goes on (`Channel::handle_message`). Not called for
    /// invalid bytes. Shares what `known` holds where it equals what the decoding makes
    /// ([`Known`]).
    pub(super) fn new_hinted(
        bytes: Bytes,
        limits: &Limits,
        hint: impl FnOnce(&MessageId, MessageKind),
        known: &impl Known,
    ) -> Decoded {
        let parsed = view::decode(&bytes, limits);
        Decoded::from_view(bytes, limits, parsed, hint, known)
    }

    /// [`Decoded::new`] with prost alone decoding ([`view::decode_reference`]): the reference
    /// the view decoder is checked against (`tests/view_decoder.rs`). Same result, slower.
    pub fn new_reference(bytes: Bytes, limits: &Limits) -> Decoded {
        let parsed = view::decode_reference(&bytes, limits);
        Decoded::from_view(bytes, limits, parsed, |_, _| {}, &())
    }

    fn from_view(
        bytes: Bytes,
        limits: &Limits,
        parsed: Result<MessageView, WireError>,
        hint: impl FnOnce(&MessageId, MessageKind),
        known: &impl Known,
    ) -> Decoded {
        let parsed = parsed.and_then(|view| {
            let kind = view.kind()?;
            let message_id = view.message_id();
            let sender = view.sender_id();
            let sender_id: Arc<str> = match known.sender() {
                Some(s) if **s == *sender => s.clone(),
                _ => Arc::from(sender),
            };
            let id = MessageId::for_message(
                message_id,
                view.lamport_timestamp().unwrap_or(0),
                &sender_id,
            );
            hint(&id, kind);
            let n = view.causal_history().len();
            let history: Arc<[MessageId]> = view
                .causal_history()
                .enumerate()
                .map(|(i, e)| {
                    let text = e.message_id();
                    match known.history_entry(i, n) {
                        Some(logged) if logged.is(text) => logged.clone(),
                        _ => MessageId::new(text),
                    }
                })
                .collect();
            let logged_as = history.iter().map(|_| OnceCell::new()).collect();
            let repair = view
                .repair_request()
                .map(|e| {
                    let entry = e.to_entry();
                    RepairEntry {
                        id: MessageId::new(&entry.message_id),
                        entry,
                        hashes: OnceCell::new(),
                    }
                })
                .collect();
            Ok(Parsed {
                id,
                message_id: Arc::from(message_id),
                channel_key: ShortKey::new(view.channel_id_bytes()),
                sender_key: ShortKey::new(sender_id.as_bytes()),
                sender_id,
                view,
                kind,
                history,
                logged_as,
                repair,
            })
        });
        Decoded {
            bytes: Arc::new(bytes),
            limits: *limits,
            parsed,
            message: OnceCell::new(),
            pair: OnceCell::new(),
        }
    }

    /// The received bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The received bytes as a store keeps them (one shared handle).
    pub(super) fn shared_bytes(&self) -> &Arc<Bytes> {
        &self.bytes
    }

    /// The limits it was decoded under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The decoded message, or why the bytes were refused.
    ///
    /// # Errors
    /// The [`WireError`] of decoding or classifying, as `handle_message` would return it.
    pub fn message(&self) -> Result<&SdsMessage, &WireError> {
        self.parsed
            .as_ref()
            .map(|p| self.message.get_or_init(|| p.view.to_message()))
    }

    /// The decoded message as a borrowed view of the bytes, or why they were refused.
    ///
    /// # Errors
    /// As [`Decoded::message`].
    pub fn view(&self) -> Result<&MessageView, &WireError> {
        self.parsed.as_ref().map(|p| &p.view)
    }

    pub(super) fn parsed(&self) -> Result<&Parsed, &WireError> {
        self.parsed.as_ref()
    }

    /// The bloom pair of the message id under `params` ([`BloomParams::bit_pair`]): cached
    /// for the first sizing asked for, computed afresh for any other.
    pub(super) fn bit_pair(&self, params: &BloomParams, message_id: &str) -> (u64, u64) {
        let (p, pair) = self
            .pair
            .get_or_init(|| (*params, params.bit_pair(message_id)));
        if p == params {
            *pair
        } else {
            params.bit_pair(message_id)
        }
    }
}
