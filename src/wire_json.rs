//! JSON view of SDS wire messages, behind `sim wire decode` and `sim wire encode`
//! (DESIGN.md "CLI contract", PROTOCOL.md §1).
//!
//! The JSON shape uses the proto field names, in proto field order, after a leading `kind`:
//!
//! ```json
//! {
//!   "kind": "content",
//!   "sender_id": "p-1",
//!   "message_id": "m-1",
//!   "channel_id": "chan",
//!   "lamport_timestamp": 1601232808204000000,
//!   "causal_history": [
//!     { "message_id": "m-0", "retrieval_hint": "0a92", "sender_id": "p-2" }
//!   ],
//!   "bloom_filter": "8563",
//!   "repair_request": [],
//!   "content": "9e59b404"
//! }
//! ```
//!
//! - `kind` is `content`, `sync` or `ephemeral` ([`wire::classify`]). [`to_json`] always
//!   writes it; [`from_json`] accepts it missing, and if present it must be the kind of the
//!   message the other fields make.
//! - `sender_id`, `message_id`, `channel_id` (and `message_id` of history entries) are
//!   plain proto3 strings: always written, required when read.
//! - `lamport_timestamp` is a JSON integer (u64, exact also above 2^53); omitted when absent.
//! - Bytes fields (`retrieval_hint`, `bloom_filter`, `content`) are lowercase hex strings
//!   (read: either case); omitted when absent. Present-but-empty is `""`, which is distinct
//!   from absent on the wire and round-trips as such.
//! - Repeated fields (`causal_history`, `repair_request`) are always written, `[]` when
//!   empty; when read, a missing key means empty.
//! - Unknown keys are rejected, at the top level and in history entries.
//!
//! Messages of no valid kind (no Lamport timestamp and no content) are rejected in both
//! directions: [`to_json`] and [`from_json`] return [`WireJsonError::Wire`] with the core's
//! [`wire::WireError::InvalidKind`] message.
//!
//! Fields with numbers the proto does not define are skipped by the decoder (prost), so they
//! do not appear in the JSON and are not re-encoded.
//!
//! The command entry points are [`decode_command`] and [`encode_command`]; they take the
//! command-line argument (inline text or `@path`) and return the text to print.

use std::fmt;
use std::path::Path;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sds::wire::{self, HistoryEntry, MessageKind, SdsMessage, WireError};

/// A message kind as written in JSON: `"content"`, `"sync"` or `"ephemeral"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindJson {
    /// [`MessageKind::Content`].
    Content,
    /// [`MessageKind::Sync`].
    Sync,
    /// [`MessageKind::Ephemeral`].
    Ephemeral,
}

impl From<MessageKind> for KindJson {
    fn from(k: MessageKind) -> Self {
        match k {
            MessageKind::Content => KindJson::Content,
            MessageKind::Sync => KindJson::Sync,
            MessageKind::Ephemeral => KindJson::Ephemeral,
        }
    }
}

impl fmt::Display for KindJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KindJson::Content => "content",
            KindJson::Sync => "sync",
            KindJson::Ephemeral => "ephemeral",
        })
    }
}

/// Bytes shown as a lowercase hex string in JSON (read in either case, see [`parse_hex`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HexBytes(pub Bytes);

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_hex(&s)
            .map(|v| HexBytes(Bytes::from(v)))
            .map_err(|e| serde::de::Error::custom(format_args!("invalid hex string: {e}")))
    }
}

/// JSON form of a `HistoryEntry` (used by `causal_history` and `repair_request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryJson {
    /// Id of the referenced message.
    pub message_id: String,
    /// Retrieval hint (e.g. a Waku message hash) as hex; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval_hint: Option<HexBytes>,
    /// Original sender of the referenced message (SDS-R); omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
}

/// JSON form of an `SdsMessage`; see the module docs for the shape. Field order here is the
/// output key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageJson {
    /// Kind implied by the fields. Always written; optional when read (checked if present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KindJson>,
    /// Proto field 1.
    pub sender_id: String,
    /// Proto field 2.
    pub message_id: String,
    /// Proto field 3.
    pub channel_id: String,
    /// Proto field 10; omitted when absent (ephemeral messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lamport_timestamp: Option<u64>,
    /// Proto field 11; `[]` when empty, missing means empty.
    #[serde(default)]
    pub causal_history: Vec<EntryJson>,
    /// Proto field 12 as hex; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloom_filter: Option<HexBytes>,
    /// Proto field 13; `[]` when empty, missing means empty.
    #[serde(default)]
    pub repair_request: Vec<EntryJson>,
    /// Proto field 20 as hex; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<HexBytes>,
}

/// What went wrong in a `sim wire` command. Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum WireJsonError {
    /// Input text that is not hex.
    #[error("invalid hex: {0}")]
    Hex(HexError),
    /// An `@path` argument whose file cannot be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The path as given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// An `@path` argument whose file is larger than [`crate::io_limits::WIRE_FILE_BYTES`].
    #[error("{path}: {reason}")]
    TooLarge {
        /// The path as given.
        path: String,
        /// `larger than 8 MiB ...`.
        reason: String,
    },
    /// The core rejected the bytes or the message (malformed protobuf, no valid kind).
    #[error("{0}")]
    Wire(WireError),
    /// JSON that does not parse or does not have the expected shape (includes line/column).
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    /// The JSON's `kind` is not the kind of the message its fields make.
    #[error(
        "\"kind\" is \"{given}\" but the other fields make it \"{actual}\" (content: Lamport \
         timestamp and non-empty content; sync: Lamport timestamp, content absent or empty; \
         ephemeral: no Lamport timestamp, non-empty content)"
    )]
    KindMismatch {
        /// The `kind` given in the JSON.
        given: KindJson,
        /// The kind of the message the fields make.
        actual: KindJson,
    },
    /// A file given as `@path` that is neither hex text nor a valid binary message.
    #[error("{path}: not hex text ({hex}), and as raw bytes: {wire}")]
    NeitherHexNorBinary {
        /// The path as given.
        path: String,
        /// Why the text is not hex.
        hex: HexError,
        /// Why the raw bytes are not a message.
        wire: WireError,
    },
    /// Any other error about the contents of the file `path`.
    #[error("{path}: {inner}")]
    InFile {
        /// The path as given.
        path: String,
        /// What is wrong with its contents.
        inner: Box<WireJsonError>,
    },
}

/// Why a string is not hex. Positions count characters of the input from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is neither a hex digit nor whitespace.
    #[error("character {ch:?} at position {position} is not a hex digit")]
    BadChar {
        /// The offending character.
        ch: char,
        /// Its 1-based character position in the input.
        position: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({0}); each byte needs two")]
    OddLength(usize),
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// Parses hex text: digits in either case, ASCII whitespace anywhere ignored, an optional
/// `0x`/`0X` prefix after leading whitespace. The empty string is zero bytes.
///
/// # Errors
/// [`HexError::BadChar`] with the 1-based character position, or [`HexError::OddLength`].
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let trimmed = text.trim_start();
    let skipped = text.len() - trimmed.len();
    let (body, skipped) = match trimmed.strip_prefix("0x").or(trimmed.strip_prefix("0X")) {
        Some(rest) => (rest, skipped + 2),
        None => (trimmed, skipped),
    };
    // `skipped` is a byte count of ASCII characters, so also a character count.
    let mut nibbles = Vec::with_capacity(body.len());
    for (i, ch) in body.chars().enumerate() {
        if ch.is_ascii_whitespace() {
            continue;
        }
        match ch.to_digit(16) {
            Some(d) => nibbles.push(d as u8),
            None => {
                return Err(HexError::BadChar {
                    ch,
                    position: skipped + i + 1,
                })
            }
        }
    }
    if nibbles.len() % 2 != 0 {
        return Err(HexError::OddLength(nibbles.len()));
    }
    Ok(nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

fn entry_to_json(e: &HistoryEntry) -> EntryJson {
    EntryJson {
        message_id: e.message_id.clone(),
        retrieval_hint: e.retrieval_hint.clone().map(HexBytes),
        sender_id: e.sender_id.clone(),
    }
}

fn entry_from_json(e: EntryJson) -> HistoryEntry {
    HistoryEntry {
        message_id: e.message_id,
        retrieval_hint: e.retrieval_hint.map(|h| h.0),
        sender_id: e.sender_id,
    }
}

/// The JSON form of `message`, with `kind` set.
///
/// # Errors
/// [`WireJsonError::Wire`] when the message has no valid kind ([`wire::classify`]).
pub fn to_json(message: &SdsMessage) -> Result<MessageJson, WireJsonError> {
    let kind = wire::classify(message).map_err(WireJsonError::Wire)?;
    Ok(MessageJson {
        kind: Some(kind.into()),
        sender_id: message.sender_id.clone(),
        message_id: message.message_id.clone(),
        channel_id: message.channel_id.clone(),
        lamport_timestamp: message.lamport_timestamp,
        causal_history: message.causal_history.iter().map(entry_to_json).collect(),
        bloom_filter: message.bloom_filter.clone().map(HexBytes),
        repair_request: message.repair_request.iter().map(entry_to_json).collect(),
        content: message.content.clone().map(HexBytes),
    })
}

/// The message `json` describes.
///
/// # Errors
/// [`WireJsonError::Wire`] when the fields make no valid kind;
/// [`WireJsonError::KindMismatch`] when `kind` is given and differs from the fields' kind.
pub fn from_json(json: MessageJson) -> Result<SdsMessage, WireJsonError> {
    let given = json.kind;
    let message = SdsMessage {
        sender_id: json.sender_id,
        message_id: json.message_id,
        channel_id: json.channel_id,
        lamport_timestamp: json.lamport_timestamp,
        causal_history: json
            .causal_history
            .into_iter()
            .map(entry_from_json)
            .collect(),
        bloom_filter: json.bloom_filter.map(|h| h.0),
        repair_request: json
            .repair_request
            .into_iter()
            .map(entry_from_json)
            .collect(),
        content: json.content.map(|h| h.0),
    };
    let actual = KindJson::from(wire::classify(&message).map_err(WireJsonError::Wire)?);
    match given {
        Some(given) if given != actual => Err(WireJsonError::KindMismatch { given, actual }),
        _ => Ok(message),
    }
}

/// Decodes wire bytes and returns the pretty JSON (no trailing newline).
///
/// # Errors
/// [`WireJsonError::Wire`]: malformed protobuf (the core's message) or no valid kind.
pub fn decode_to_json(bytes: &Bytes) -> Result<String, WireJsonError> {
    let message = wire::decode(bytes).map_err(WireJsonError::Wire)?;
    let json = to_json(&message)?;
    serde_json::to_string_pretty(&json).map_err(WireJsonError::Json)
}

/// Parses JSON text (UTF-8 bytes) of the [`MessageJson`] shape and returns the lowercase hex
/// of its encoding.
///
/// # Errors
/// [`WireJsonError::Json`] (syntax, types, unknown or missing keys, bad hex in a bytes
/// field; with line and column), and those of [`from_json`].
pub fn encode_from_json(text: &[u8]) -> Result<String, WireJsonError> {
    let json: MessageJson = serde_json::from_slice(text).map_err(WireJsonError::Json)?;
    Ok(to_hex(&wire::encode(&from_json(json)?)))
}

/// Reads an `@FILE` argument, at most [`crate::io_limits::WIRE_FILE_BYTES`].
fn read_file(path: &str) -> Result<Vec<u8>, WireJsonError> {
    crate::io_limits::read_capped(
        Path::new(path),
        crate::io_limits::WIRE_FILE_BYTES,
        "a wire message file",
    )
    .map_err(|e| match e {
        crate::io_limits::ReadError::Io(source) => WireJsonError::File {
            path: path.to_owned(),
            source,
        },
        other => WireJsonError::TooLarge {
            path: path.to_owned(),
            reason: other.reason(),
        },
    })
}

fn in_file(path: &str) -> impl FnOnce(WireJsonError) -> WireJsonError + '_ {
    move |inner| WireJsonError::InFile {
        path: path.to_owned(),
        inner: Box::new(inner),
    }
}

/// `sim wire decode ARG`: `ARG` is hex text (see [`parse_hex`]) or `@path`. A file is read as
/// hex text if it is UTF-8 and parses as hex (e.g. `xxd -p` output); otherwise its contents
/// are taken as the raw binary message. Returns the pretty JSON (no trailing newline).
///
/// # Errors
/// Bad hex, an unreadable file, or those of [`decode_to_json`]; errors about a file's
/// contents name the file.
pub fn decode_command(arg: &str) -> Result<String, WireJsonError> {
    let Some(path) = arg.strip_prefix('@') else {
        let bytes = parse_hex(arg).map_err(WireJsonError::Hex)?;
        return decode_to_json(&Bytes::from(bytes));
    };
    let data = read_file(path)?;
    let hex = std::str::from_utf8(&data).ok().map(parse_hex);
    match hex {
        Some(Ok(bytes)) => decode_to_json(&Bytes::from(bytes)).map_err(in_file(path)),
        // Text that is not hex: most likely a typo in a hex file, so say both why it is not
        // hex and why it is not a binary message either.
        Some(Err(hex)) => match decode_to_json(&Bytes::from(data)) {
            Err(WireJsonError::Wire(wire)) => Err(WireJsonError::NeitherHexNorBinary {
                path: path.to_owned(),
                hex,
                wire,
            }),
            r => r.map_err(in_file(path)),
        },
        None => decode_to_json(&Bytes::from(data)).map_err(in_file(path)),
    }
}

/// `sim wire encode ARG`: `ARG` is JSON text or `@path` of a JSON file. Returns the lowercase
/// hex encoding (no trailing newline).
///
/// # Errors
/// An unreadable file, or those of [`encode_from_json`]; errors about a file's contents name
/// the file.
pub fn encode_command(arg: &str) -> Result<String, WireJsonError> {
    match arg.strip_prefix('@') {
        Some(path) => encode_from_json(&read_file(path)?).map_err(in_file(path)),
        None => encode_from_json(arg.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> SdsMessage {
        SdsMessage {
            sender_id: "p-1".into(),
            message_id: "m-1".into(),
            channel_id: "chan".into(),
            lamport_timestamp: Some(u64::MAX),
            causal_history: vec![HistoryEntry {
                message_id: "m-0".into(),
                retrieval_hint: Some(Bytes::from_static(&[0xab, 0x01])),
                sender_id: None,
            }],
            bloom_filter: None,
            repair_request: vec![],
            content: Some(Bytes::from_static(b"hi")),
        }
    }

    #[test]
    fn hex_parsing_is_lenient_about_case_whitespace_and_prefix() {
        assert_eq!(parse_hex(" 0xAB cd\n0f ").unwrap(), vec![0xab, 0xcd, 0x0f]);
        assert_eq!(parse_hex("0X").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(to_hex(&[0xab, 0x01, 0xff]), "ab01ff");
    }

    #[test]
    fn hex_errors_give_position_or_length() {
        assert_eq!(
            parse_hex("0xabzz"),
            Err(HexError::BadChar {
                ch: 'z',
                position: 5
            })
        );
        assert_eq!(
            parse_hex("é0"),
            Err(HexError::BadChar {
                ch: 'é',
                position: 1
            })
        );
        assert_eq!(parse_hex("abc"), Err(HexError::OddLength(3)));
    }

    #[test]
    fn json_keys_in_proto_order_absent_omitted_empty_repeated_kept() {
        let text = serde_json::to_string(&to_json(&sample()).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"kind":"content","sender_id":"p-1","message_id":"m-1","channel_id":"chan","lamport_timestamp":18446744073709551615,"causal_history":[{"message_id":"m-0","retrieval_hint":"ab01"}],"repair_request":[],"content":"6869"}"#
        );
    }

    #[test]
    fn encode_accepts_missing_kind_and_missing_repeated_fields() {
        let hex = encode_from_json(
            br#"{"sender_id":"a","message_id":"b","channel_id":"c","content":"01"}"#,
        )
        .unwrap();
        let m = wire::decode(&Bytes::from(parse_hex(&hex).unwrap())).unwrap();
        assert_eq!(wire::classify(&m), Ok(MessageKind::Ephemeral));
        assert!(m.causal_history.is_empty() && m.repair_request.is_empty());
    }

    #[test]
    fn encode_rejects_wrong_kind_unknown_keys_and_no_kind() {
        let e = encode_from_json(
            br#"{"kind":"sync","sender_id":"a","message_id":"b","channel_id":"c","content":"01"}"#,
        )
        .unwrap_err();
        assert!(matches!(e, WireJsonError::KindMismatch { .. }), "{e}");
        let e = encode_from_json(
            br#"{"sender_id":"a","message_id":"b","channel_id":"c","contents":"01"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `contents`"), "{e}");
        let e = encode_from_json(br#"{"sender_id":"a","message_id":"b","channel_id":"c"}"#)
            .unwrap_err();
        assert!(matches!(e, WireJsonError::Wire(_)), "{e}");
    }

    #[test]
    fn empty_content_is_distinct_from_absent() {
        let mut m = sample();
        m.content = Some(Bytes::new());
        let j = to_json(&m).unwrap();
        assert_eq!(j.kind, Some(KindJson::Sync));
        assert_eq!(j.content, Some(HexBytes(Bytes::new())));
        assert_eq!(from_json(j).unwrap(), m);
    }

    fn entry() -> impl Strategy<Value = HistoryEntry> {
        (
            ".{0,12}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
            proptest::option::of(".{0,8}"),
        )
            .prop_map(|(message_id, hint, sender_id)| HistoryEntry {
                message_id,
                retrieval_hint: hint.map(Bytes::from),
                sender_id,
            })
    }

    fn valid_message() -> impl Strategy<Value = SdsMessage> {
        let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16));
        (
            (".{0,10}", ".{0,10}", ".{0,10}"),
            proptest::option::of(any::<u64>()),
            proptest::collection::vec(entry(), 0..4),
            bytes(),
            proptest::collection::vec(entry(), 0..4),
            bytes(),
        )
            .prop_map(
                |((s, m, c), lamport, history, bloom, repair, content)| SdsMessage {
                    sender_id: s,
                    message_id: m,
                    channel_id: c,
                    lamport_timestamp: lamport,
                    causal_history: history,
                    bloom_filter: bloom.map(Bytes::from),
                    repair_request: repair,
                    content: content.map(Bytes::from),
                },
            )
            .prop_filter("has a valid kind", |m| wire::classify(m).is_ok())
    }

    proptest! {
        /// JSON -> encode -> decode -> JSON is the identity, with and without `kind`.
        #[test]
        fn json_encode_decode_json_is_identity(m in valid_message(), drop_kind in any::<bool>()) {
            let mut json = to_json(&m).unwrap();
            let text = serde_json::to_string_pretty(&json).unwrap();
            if drop_kind {
                json.kind = None;
            }
            let input = serde_json::to_vec(&json).unwrap();
            let hex = encode_from_json(&input).unwrap();
            let back = decode_to_json(&Bytes::from(parse_hex(&hex).unwrap())).unwrap();
            prop_assert_eq!(back, text);
        }
    }
}
