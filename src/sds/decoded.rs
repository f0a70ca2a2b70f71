//! A received message decoded once, for every receiver of the same bytes.
//!
//! A transport that hands one packet to many participants (a simulator, a relay node running
//! several channels' cores) can decode it once with [`Decoded::new`] and give every core
//! [`Channel::handle_decoded`](super::Channel::handle_decoded): the work that depends only on
//! the bytes (protobuf decoding, the limit checks, the kind, the packed message and
//! causal-history ids, the bloom bit indexes of the id) is done once instead of once per
//! receiver. The outcome is the same as [`Channel::handle_message`](super::Channel::handle_message)
//! on the same bytes, event for event (`tests/decoded.rs`): a core whose limits differ from
//! the ones the message was decoded with decodes the bytes again under its own.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use bytes::Bytes;

use super::bloom::BloomParams;
use super::id::MessageId;
use super::wire::{self, Limits, MessageKind, SdsMessage, WireError};

/// The bytes of one received message, decoded and checked under [`Limits`] (see the module
/// docs). Not `Sync`: it lazily caches the bloom bit indexes of the id for the first filter
/// sizing asked for.
#[derive(Debug)]
pub struct Decoded {
    /// The received bytes, behind one pointer that every receiver's SDS-R store shares.
    bytes: Arc<Bytes>,
    limits: Limits,
    parsed: Result<Parsed, WireError>,
    /// Bloom bit indexes of the message id, for the sizing they were computed with.
    bits: OnceCell<(BloomParams, Vec<u64>)>,
}

/// What a valid message decodes to.
#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) message: SdsMessage,
    pub(super) kind: MessageKind,
    /// The message id, packed.
    pub(super) id: MessageId,
    /// The causal-history ids, packed, in the message's order.
    pub(super) history: Vec<MessageId>,
    /// What every receiver's `Event::Delivered` carries, made once: the id, the sender and
    /// the causal-history ids as text.
    pub(super) message_id: Arc<str>,
    pub(super) sender_id: Arc<str>,
    pub(super) history_ids: Arc<[String]>,
}

impl Decoded {
    /// Decodes `bytes` under `limits` exactly as `Channel::handle_message` does
    /// ([`wire::decode_with_limits`], then [`wire::classify`]); an error is kept and returned
    /// to every receiver. Never panics.
    pub fn new(bytes: Bytes, limits: &Limits) -> Decoded {
        let parsed = wire::decode_with_limits(&bytes, limits).and_then(|message| {
            let kind = wire::classify(&message)?;
            let id = MessageId::new(&message.message_id);
            let history = message
                .causal_history
                .iter()
                .map(|e| MessageId::new(&e.message_id))
                .collect();
            Ok(Parsed {
                message_id: Arc::from(message.message_id.as_str()),
                sender_id: Arc::from(message.sender_id.as_str()),
                history_ids: message
                    .causal_history
                    .iter()
                    .map(|e| e.message_id.clone())
                    .collect(),
                message,
                kind,
                id,
                history,
            })
        });
        Decoded {
            bytes: Arc::new(bytes),
            limits: *limits,
            parsed,
            bits: OnceCell::new(),
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
        self.parsed.as_ref().map(|p| &p.message)
    }

    pub(super) fn parsed(&self) -> Result<&Parsed, &WireError> {
        self.parsed.as_ref()
    }

    /// The bit indexes of the message id under `params`: cached for the first sizing asked
    /// for, computed afresh for any other.
    pub(super) fn bit_indexes(&self, params: &BloomParams, message_id: &str) -> Cow<'_, [u64]> {
        let (p, bits) = self
            .bits
            .get_or_init(|| (*params, params.bit_indexes(message_id)));
        if p == params {
            Cow::Borrowed(bits)
        } else {
            Cow::Owned(params.bit_indexes(message_id))
        }
    }
}
