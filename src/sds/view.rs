//! A borrowed view of an encoded `SdsMessage`: the receive path's decoder (issue 16).
//!
//! [`decode`] reads the protobuf fields of a received message without allocating a string per
//! field or per causal-history entry (as prost does): a [`MessageView`] keeps the received
//! [`Bytes`] and, for every field, where it lies in them. Strings are checked for UTF-8 once,
//! when decoded.
//!
//! prost ([`wire::decode_with_limits`]) stays the reference and decides everything unusual:
//! the view decoder handles only the encoding js-waku's protons and prost write (the known
//! fields, each with its own wire type, varints of up to 9 bytes, lengths inside the
//! message), and hands anything else (unknown fields, wire-type mismatches, groups,
//! truncation, 10-byte varints, invalid UTF-8, any limit exceeded) to prost, whose result it
//! returns. A repeated singular field keeps its last value, as prost does. So the result,
//! value or error, is prost's by construction for everything handed on, and equal to it for
//! the rest (`tests/view_decoder.rs` checks both on the interop vectors, the pinned core
//! transcripts and arbitrary, also malformed, input).

use bytes::Bytes;

use super::wire::{self, HistoryEntry, Limits, MessageKind, SdsMessage, WireError};

/// Where a field lies in [`MessageView`]'s bytes: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn len(self) -> usize {
        self.end - self.start
    }
}

/// A [`Span`] over checked UTF-8 text of [`MessageView`]'s bytes. Made only where the text
/// is checked ([`text`]) or comes from a `str` ([`MessageView::from_message`]); the empty
/// default is text too. So the accessors need not check it again (that second check was 8%
/// of `handle_message`'s instructions, callgrind on `benches/core.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct TextSpan(Span);

impl TextSpan {
    fn len(self) -> usize {
        self.0.len()
    }
}

/// One `HistoryEntry` of a [`MessageView`] (causal history or repair request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct EntrySpans {
    message_id: TextSpan,
    retrieval_hint: Option<Span>,
    sender_id: Option<TextSpan>,
}

/// An `SdsMessage` as the spans of its fields in the bytes it was decoded from (see the
/// module docs). Field accessors borrow; [`MessageView::to_message`] builds the prost
/// message. Made by [`decode`].
#[derive(Debug, Clone)]
pub struct MessageView {
    /// The bytes the spans index: the received bytes, or, when prost decoded them, the fields
    /// laid end to end.
    bytes: Bytes,
    sender_id: TextSpan,
    message_id: TextSpan,
    channel_id: TextSpan,
    lamport_timestamp: Option<u64>,
    causal_history: Vec<EntrySpans>,
    bloom_filter: Option<Span>,
    repair_request: Vec<EntrySpans>,
    content: Option<Span>,
}

/// One causal-history or repair-request entry of a [`MessageView`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct EntryView<'a> {
    view: &'a MessageView,
    spans: &'a EntrySpans,
}

impl<'a> EntryView<'a> {
    /// The entry's `message_id`.
    pub fn message_id(&self) -> &'a str {
        self.view.text(self.spans.message_id)
    }

    /// The entry's `sender_id`, if present.
    pub fn sender_id(&self) -> Option<&'a str> {
        self.spans.sender_id.map(|s| self.view.text(s))
    }

    /// The entry's `retrieval_hint`, if present (shares the message's bytes).
    pub fn retrieval_hint(&self) -> Option<Bytes> {
        self.spans.retrieval_hint.map(|s| self.view.slice(s))
    }

    /// The entry as prost's type (allocates its strings).
    pub fn to_entry(&self) -> HistoryEntry {
        HistoryEntry {
            message_id: self.message_id().to_owned(),
            retrieval_hint: self.retrieval_hint(),
            sender_id: self.sender_id().map(str::to_owned),
        }
    }
}

impl MessageView {
    fn text(&self, s: TextSpan) -> &str {
        let field = self.bytes.get(s.0.start..s.0.end).unwrap_or_default();
        debug_assert!(std::str::from_utf8(field).is_ok());
        // SAFETY: a `TextSpan` lies over UTF-8 text of these bytes (see its docs: made only
        // by `text`, which checks it, and `from_message`, which copies a `str`), the bytes
        // never change, and `get` gives the empty slice, which is text, for any other span.
        unsafe { std::str::from_utf8_unchecked(field) }
    }

    fn slice(&self, s: Span) -> Bytes {
        self.bytes.slice(s.start..s.end)
    }

    /// `sender_id` (empty when absent, as in proto3).
    pub fn sender_id(&self) -> &str {
        self.text(self.sender_id)
    }

    /// `message_id` (empty when absent).
    pub fn message_id(&self) -> &str {
        self.text(self.message_id)
    }

    /// `channel_id` (empty when absent).
    pub fn channel_id(&self) -> &str {
        self.text(self.channel_id)
    }

    /// `channel_id`'s UTF-8 bytes, not checked again (every receipt compares them).
    pub(super) fn channel_id_bytes(&self) -> &[u8] {
        &self.bytes[self.channel_id.0.start..self.channel_id.0.end]
    }

    /// `lamport_timestamp`, if present.
    pub fn lamport_timestamp(&self) -> Option<u64> {
        self.lamport_timestamp
    }

    /// Number of causal-history entries.
    pub fn causal_history_len(&self) -> usize {
        self.causal_history.len()
    }

    /// The causal-history entries, in the message's order.
    pub fn causal_history(&self) -> impl ExactSizeIterator<Item = EntryView<'_>> + '_ {
        self.causal_history
            .iter()
            .map(move |spans| EntryView { view: self, spans })
    }

    /// Causal-history entry `i` (`None` past the end).
    pub fn causal_history_entry(&self, i: usize) -> Option<EntryView<'_>> {
        self.causal_history
            .get(i)
            .map(|spans| EntryView { view: self, spans })
    }

    /// The repair-request entries, in the message's order.
    pub fn repair_request(&self) -> impl ExactSizeIterator<Item = EntryView<'_>> + '_ {
        self.repair_request
            .iter()
            .map(move |spans| EntryView { view: self, spans })
    }

    /// `bloom_filter`, if present, borrowed.
    pub fn bloom_filter(&self) -> Option<&[u8]> {
        self.bloom_filter.map(|s| &self.bytes[s.start..s.end])
    }

    /// `content`, if present (shares the message's bytes).
    pub fn content(&self) -> Option<Bytes> {
        self.content.map(|s| self.slice(s))
    }

    /// What the message is ([`wire::classify`]'s rule on the view).
    ///
    /// # Errors
    /// [`WireError::InvalidKind`] when neither a Lamport timestamp nor non-empty content is
    /// present.
    pub fn kind(&self) -> Result<MessageKind, WireError> {
        let has_content = self.content.is_some_and(|s| s.len() > 0);
        match (self.lamport_timestamp.is_some(), has_content) {
            (true, true) => Ok(MessageKind::Content),
            (true, false) => Ok(MessageKind::Sync),
            (false, true) => Ok(MessageKind::Ephemeral),
            (false, false) => Err(WireError::InvalidKind),
        }
    }

    /// The message as prost's type (allocates every string; bytes fields share the view's
    /// bytes).
    pub fn to_message(&self) -> SdsMessage {
        SdsMessage {
            sender_id: self.sender_id().to_owned(),
            message_id: self.message_id().to_owned(),
            channel_id: self.channel_id().to_owned(),
            lamport_timestamp: self.lamport_timestamp,
            causal_history: self.causal_history().map(|e| e.to_entry()).collect(),
            bloom_filter: self.bloom_filter.map(|s| self.slice(s)),
            repair_request: self.repair_request().map(|e| e.to_entry()).collect(),
            content: self.content(),
        }
    }

    /// The view of a message prost decoded: its fields laid end to end in new bytes.
    fn from_message(m: &SdsMessage) -> MessageView {
        let mut buf = Vec::new();
        let mut put = |field: &[u8]| {
            let start = buf.len();
            buf.extend_from_slice(field);
            Span {
                start,
                end: buf.len(),
            }
        };
        // Every `TextSpan` over a `str`'s bytes.
        let mut entries = |list: &[HistoryEntry]| -> Vec<EntrySpans> {
            list.iter()
                .map(|e| EntrySpans {
                    message_id: TextSpan(put(e.message_id.as_bytes())),
                    retrieval_hint: e.retrieval_hint.as_deref().map(&mut put),
                    sender_id: e.sender_id.as_deref().map(|s| TextSpan(put(s.as_bytes()))),
                })
                .collect()
        };
        let causal_history = entries(&m.causal_history);
        let repair_request = entries(&m.repair_request);
        let sender_id = TextSpan(put(m.sender_id.as_bytes()));
        let message_id = TextSpan(put(m.message_id.as_bytes()));
        let channel_id = TextSpan(put(m.channel_id.as_bytes()));
        let bloom_filter = m.bloom_filter.as_deref().map(&mut put);
        let content = m.content.as_deref().map(&mut put);
        MessageView {
            bytes: Bytes::from(buf),
            sender_id,
            message_id,
            channel_id,
            lamport_timestamp: m.lamport_timestamp,
            causal_history,
            bloom_filter,
            repair_request,
            content,
        }
    }
}

/// Decodes `bytes` under `limits` into a view: the same message, or the same error, as
/// [`wire::decode_with_limits`] (see the module docs).
///
/// # Errors
/// As [`wire::decode_with_limits`]. Never panics.
pub fn decode(bytes: &Bytes, limits: &Limits) -> Result<MessageView, WireError> {
    if bytes.len() > limits.max_message_bytes {
        return Err(WireError::TooLarge {
            len: bytes.len(),
            max: limits.max_message_bytes,
        });
    }
    match decode_plain(bytes, limits) {
        Some(view) => Ok(view),
        None => wire::decode_with_limits(bytes, limits).map(|m| MessageView::from_message(&m)),
    }
}

/// [`decode`] by prost alone ([`wire::decode_with_limits`]): the reference.
///
/// # Errors
/// As [`wire::decode_with_limits`].
pub fn decode_reference(bytes: &Bytes, limits: &Limits) -> Result<MessageView, WireError> {
    wire::decode_with_limits(bytes, limits).map(|m| MessageView::from_message(&m))
}

/// A varint of up to 9 bytes (values below 2^63) at `pos` in `b`; `None` when truncated or
/// longer (prost's rule for the 10th byte is left to prost).
#[inline]
fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..63).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// A length-delimited field's span at `pos` (its length varint read), inside `b`.
#[inline]
fn delimited(b: &[u8], pos: &mut usize) -> Option<Span> {
    let len = usize::try_from(varint(b, pos)?).ok()?;
    let end = pos.checked_add(len).filter(|&end| end <= b.len())?;
    let span = Span { start: *pos, end };
    *pos = end;
    Some(span)
}

/// A length-delimited field holding UTF-8 text.
#[inline]
fn text(b: &[u8], pos: &mut usize) -> Option<TextSpan> {
    let span = delimited(b, pos)?;
    let field = &b[span.start..span.end];
    // ASCII (every id this core makes) is checked a word at a time, faster than `from_utf8`.
    if !field.is_ascii() {
        std::str::from_utf8(field).ok()?;
    }
    Some(TextSpan(span))
}

// Keys (field number << 3 | wire type) of the fields this decoder reads.
const KEY_SENDER_ID: u64 = 1 << 3 | 2;
const KEY_MESSAGE_ID: u64 = 2 << 3 | 2;
const KEY_CHANNEL_ID: u64 = 3 << 3 | 2;
const KEY_LAMPORT: u64 = 10 << 3;
const KEY_CAUSAL_HISTORY: u64 = 11 << 3 | 2;
const KEY_BLOOM_FILTER: u64 = 12 << 3 | 2;
const KEY_REPAIR_REQUEST: u64 = 13 << 3 | 2;
const KEY_CONTENT: u64 = 20 << 3 | 2;
const KEY_ENTRY_MESSAGE_ID: u64 = 1 << 3 | 2;
const KEY_ENTRY_HINT: u64 = 2 << 3 | 2;
const KEY_ENTRY_SENDER_ID: u64 = 3 << 3 | 2;

/// The view decoder proper: `None` for anything it leaves to prost (see the module docs).
fn decode_plain(bytes: &Bytes, limits: &Limits) -> Option<MessageView> {
    let b: &[u8] = bytes;
    // A content message's content (field 20) follows its bloom filter, kilobytes after the
    // fields read first: asking for the last lines now overlaps that miss with the first.
    super::prefetch::read(b.as_ptr().wrapping_add(b.len().saturating_sub(1)));
    super::prefetch::read(b.as_ptr().wrapping_add(b.len().saturating_sub(65)));
    let mut view = MessageView {
        bytes: bytes.clone(),
        sender_id: TextSpan::default(),
        message_id: TextSpan::default(),
        channel_id: TextSpan::default(),
        lamport_timestamp: None,
        causal_history: Vec::new(),
        bloom_filter: None,
        repair_request: Vec::new(),
        content: None,
    };
    // The longest top-level id, every occurrence counted (the reference's pre-scan does).
    let mut longest_id = 0;
    let mut pos = 0;
    while pos < b.len() {
        match varint(b, &mut pos)? {
            KEY_SENDER_ID => {
                view.sender_id = text(b, &mut pos)?;
                longest_id = longest_id.max(view.sender_id.len());
            }
            KEY_MESSAGE_ID => {
                view.message_id = text(b, &mut pos)?;
                longest_id = longest_id.max(view.message_id.len());
            }
            KEY_CHANNEL_ID => {
                view.channel_id = text(b, &mut pos)?;
                longest_id = longest_id.max(view.channel_id.len());
            }
            KEY_LAMPORT => view.lamport_timestamp = Some(varint(b, &mut pos)?),
            KEY_CAUSAL_HISTORY => {
                let span = delimited(b, &mut pos)?;
                view.causal_history.push(entry(&b[..span.end], span.start)?);
            }
            KEY_BLOOM_FILTER => view.bloom_filter = Some(delimited(b, &mut pos)?),
            KEY_REPAIR_REQUEST => {
                let span = delimited(b, &mut pos)?;
                view.repair_request.push(entry(&b[..span.end], span.start)?);
            }
            KEY_CONTENT => view.content = Some(delimited(b, &mut pos)?),
            _ => return None,
        }
    }
    let id_ok = |s: TextSpan| s.len() <= limits.max_id_bytes;
    let entries_ok = |list: &[EntrySpans]| {
        list.iter()
            .all(|e| id_ok(e.message_id) && e.sender_id.is_none_or(id_ok))
    };
    let within = longest_id <= limits.max_id_bytes
        && view.causal_history.len() <= limits.max_causal_history_entries
        && view.repair_request.len() <= limits.max_repair_request_entries
        && entries_ok(&view.causal_history)
        && entries_ok(&view.repair_request);
    within.then_some(view)
}

/// A `HistoryEntry` from `pos` to the end of `b`.
fn entry(b: &[u8], mut pos: usize) -> Option<EntrySpans> {
    let mut e = EntrySpans::default();
    while pos < b.len() {
        match varint(b, &mut pos)? {
            KEY_ENTRY_MESSAGE_ID => e.message_id = text(b, &mut pos)?,
            KEY_ENTRY_HINT => e.retrieval_hint = Some(delimited(b, &mut pos)?),
            KEY_ENTRY_SENDER_ID => e.sender_id = Some(text(b, &mut pos)?),
            _ => return None,
        }
    }
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(bytes: &[u8], limits: &Limits) {
        let bytes = Bytes::copy_from_slice(bytes);
        let reference = wire::decode_with_limits(&bytes, limits);
        let view = decode(&bytes, limits).map(|v| v.to_message());
        assert_eq!(view, reference, "{bytes:02x?}");
        if decode_plain(&bytes, limits).is_some() {
            assert!(reference.is_ok(), "{bytes:02x?}");
        }
    }

    #[test]
    fn the_plain_path_takes_what_prost_writes() {
        let m = SdsMessage {
            sender_id: "alice".into(),
            message_id: "m1".into(),
            channel_id: "c".into(),
            lamport_timestamp: Some(u64::from(u32::MAX) + 7),
            causal_history: vec![HistoryEntry {
                message_id: "m0".into(),
                retrieval_hint: Some(Bytes::from_static(b"h")),
                sender_id: Some("bob".into()),
            }],
            bloom_filter: Some(Bytes::from_static(&[1, 2, 3])),
            repair_request: vec![HistoryEntry::default()],
            content: Some(Bytes::from_static(b"hi")),
        };
        let bytes = wire::encode(&m);
        let view = decode_plain(&bytes, &Limits::UNLIMITED).expect("plain");
        assert_eq!(view.to_message(), m);
        assert_eq!(view.kind(), Ok(MessageKind::Content));
        both(&bytes, &Limits::UNLIMITED);
    }

    #[test]
    fn what_prost_decides_is_handed_to_it() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x0a, 0x01, b'a', 0x0a, 0x01, b'b'], // repeated singular: last wins (plain)
            &[0x50, 0x80, 0x00],                   // non-canonical varint (plain)
            &[0x08, 0x01],                         // field 1 as varint: wire type mismatch
            &[0x0a, 0x02, 0xff, 0xfe],             // invalid UTF-8
            &[0x0a, 0x05, b'a'],                   // truncated
            &[0xf8, 0x01, 0x01],                   // unknown field 31
            &[0x5a, 0x02, 0x08, 0x01],             // entry field 1 as varint
            &[0x5a, 0x02, 0x0a, 0x05],             // entry field overruns the entry
            &[0x2b, 0x2c],                         // a group
            &[
                0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ], // 10 bytes
            &[
                0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ], // invalid
            &[0x00],                               // tag 0
        ];
        for case in cases {
            both(case, &Limits::UNLIMITED);
        }
        let tight = Limits {
            max_message_bytes: 64,
            max_causal_history_entries: 1,
            max_repair_request_entries: 0,
            max_id_bytes: 1,
        };
        for case in [
            &[0x0a, 0x02, b'a', b'b', 0x0a, 0x01, b'b'][..], // an overwritten long id
            &[0x5a, 0x00, 0x5a, 0x00],
            &[0x6a, 0x00],
            &[0x5a, 0x04, 0x1a, 0x02, b'a', b'b'],
        ] {
            both(case, &tight);
            assert!(decode(&Bytes::copy_from_slice(case), &tight).is_err());
        }
    }
}
