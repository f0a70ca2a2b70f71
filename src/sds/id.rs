//! [`MessageId`]: a message id as a channel stores it.
//!
//! Every content message id this core makes is 64 lowercase hex digits (SHA-256, PROTOCOL.md
//! §1 "Message ids"), and a channel keeps each id it knows several times (local log, its
//! order, the SDS-R store, buffers), while every receiver of a message keeps the same ids. A
//! `MessageId` is one pointer to a shared, immutable record of the id (reference counted): the
//! id packed (a 64-hex id as 32 bytes, any other id as it is, boxed) with its hash. Cloning
//! it, as every map and order of a channel does, copies 8 bytes; a message decoded once for
//! many receivers ([`Decoded`](super::Decoded)) hands every receiver the same records, so a
//! group of 10,000 keeps each id once instead of 10,000 times several times (issue 16). The
//! record of a decoded or sent message's own id also keeps that message's Lamport timestamp
//! and sender, which are not part of the id: the local log orders its entries by the one,
//! causal histories name the other, and every receiver's log holds one pointer per entry.
//!
//! The packing is invisible: two ids are equal, ordered and hashed exactly as their strings
//! (`Ord` is byte-wise string order: lowercase hex digits sort like their values), and
//! `to_string` (its [`fmt::Display`]) gives back the original text. Equal ids made separately (two
//! decodings of the same id) are equal and hash alike; the pointer is only a shortcut.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::FxHasher;

/// A message id (see the module docs). Build with [`MessageId::new`]; `Display` prints the
/// id as received.
#[derive(Clone)]
pub struct MessageId(Arc<Shared>);

/// The shared record of one id.
struct Shared {
    /// Fx hash of the packed form (fixed key): what `Hash` feeds a hasher.
    hash: u64,
    /// The Lamport timestamp of the message this record was made for
    /// ([`MessageId::for_message`]: a decoded or sent message), 0 for bare ids. Not part of
    /// the id (equality, order and hash ignore it): a channel's log order keys its entries
    /// by it, 8 bytes per (message, receiver) less than keeping it beside each (issue 16).
    lamport: u64,
    /// The sender of that message, `None` for bare ids. Not part of the id either: causal
    /// histories name it, and every receiver's log shares it instead of keeping a reference
    /// (one atomic count update less per receipt).
    sender: Option<Arc<str>>,
    repr: Repr,
}

#[derive(PartialEq, Eq, Hash)]
enum Repr {
    /// Exactly 64 lowercase hex digits, two per byte, first digit in the high nibble.
    Hex([u8; 32]),
    /// Anything else, verbatim (never 64 lowercase hex digits, so equality stays exact).
    Text(Box<str>),
}

const HEX_LEN: usize = 64;
const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Value of each lowercase hex digit; 0xff for every other byte (the tests' oracle).
#[cfg(test)]
const NIBBLE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 16 {
        table[DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

impl MessageId {
    /// The id of the string `id`.
    pub fn new(id: &str) -> MessageId {
        MessageId::make(id, 0, None)
    }

    /// The id of the string `id` of a message with Lamport timestamp `lamport` sent by
    /// `sender`, in a record that keeps both ([`MessageId::lamport`],
    /// [`MessageId::sender`]); the id itself is the same as `new`'s.
    pub(super) fn for_message(id: &str, lamport: u64, sender: &Arc<str>) -> MessageId {
        MessageId::make(id, lamport, Some(sender.clone()))
    }

    fn make(id: &str, lamport: u64, sender: Option<Arc<str>>) -> MessageId {
        let repr = match pack(id.as_bytes()) {
            Some(bytes) => Repr::Hex(bytes),
            None => Repr::Text(id.into()),
        };
        let mut h = FxHasher::default();
        repr.hash(&mut h);
        MessageId(Arc::new(Shared {
            hash: h.finish(),
            lamport,
            sender,
            repr,
        }))
    }

    /// The Lamport timestamp the record was made with ([`MessageId::for_message`]; 0 from
    /// [`MessageId::new`]).
    pub(super) fn lamport(&self) -> u64 {
        self.0.lamport
    }

    /// The sender the record was made with ([`MessageId::for_message`]; `None` from
    /// [`MessageId::new`]).
    pub(super) fn sender(&self) -> Option<&Arc<str>> {
        self.0.sender.as_ref()
    }

    /// This id in a record of a message with `lamport` and `sender`: a clone when the record
    /// has them (ids of decoded and sent messages are made with theirs), else a new record.
    pub(super) fn as_message(&self, lamport: u64, sender: &Arc<str>) -> MessageId {
        let has = |s: &Arc<str>| Arc::ptr_eq(s, sender) || **s == **sender;
        if self.0.lamport == lamport && self.0.sender.as_ref().is_some_and(has) {
            self.clone()
        } else {
            MessageId(Arc::new(Shared {
                hash: self.0.hash,
                lamport,
                sender: Some(sender.clone()),
                repr: match &self.0.repr {
                    Repr::Hex(bytes) => Repr::Hex(*bytes),
                    Repr::Text(s) => Repr::Text(s.clone()),
                },
            }))
        }
    }

    /// A hint that the id's record will be read soon (its hash, for a table look-up) or
    /// dropped (its reference counts; the core's `prefetch` module). The record with its
    /// counts is 88 bytes, in 96-byte blocks: for every other block the counts and the hash
    /// lie in different cache lines, so both are asked for. The counts sit right before the
    /// record (std's `ArcInner` is `repr(C)`: strong, weak, data); were they elsewhere, the
    /// hint would only be wasted. Changes nothing.
    #[inline]
    pub(super) fn prefetch_record(&self) {
        let record = Arc::as_ptr(&self.0).cast::<u8>();
        super::prefetch::read(record.wrapping_sub(2 * std::mem::size_of::<usize>()));
        super::prefetch::read(std::ptr::from_ref(&self.0.hash));
    }

    /// Whether `self` and `other` are the same record (clones of one `MessageId::new`):
    /// then they are equal, without reading the records. Different records may be equal too.
    pub(super) fn same(&self, other: &MessageId) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Calls `f` with the id as a string slice (formatted on the stack when packed).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0.repr {
            Repr::Hex(bytes) => {
                let text = unpack(bytes);
                // Only ASCII hex digits were written.
                f(std::str::from_utf8(&text).unwrap_or_default())
            }
            Repr::Text(s) => f(s),
        }
    }

    /// Whether this is the id `id`.
    pub fn is(&self, id: &str) -> bool {
        match &self.0.repr {
            Repr::Hex(bytes) => pack(id.as_bytes()).is_some_and(|b| &b == bytes),
            Repr::Text(s) => **s == *id,
        }
    }
}

/// The 32 bytes of 64 lowercase hex digits, or `None` for any other text: sixteen digits at a
/// time in SSE2 registers on x86-64 ([`pack_sse2`]), eight at a time in a `u64` elsewhere
/// ([`pack_swar`]); both equal the byte-at-a-time oracle on every byte at every position
/// (tests).
#[inline]
fn pack(text: &[u8]) -> Option<[u8; 32]> {
    #[cfg(target_arch = "x86_64")]
    return pack_sse2(text);
    #[cfg(not(target_arch = "x86_64"))]
    return pack_swar(text);
}

/// [`pack`] with SSE2 (part of the x86-64 baseline), 16 digits per step: a byte is a digit
/// when it lies in `'0'..='9'` or `'a'..='f'` (signed compares; bytes from 0x80 are negative
/// and in neither), valued `(c & 0x0f) + 9·[c is a letter]`; each 16-bit lane's two digits
/// become one byte `(first << 4) | second`, and `packus` narrows two registers of lanes into 16
/// bytes. 81 instructions instead of `pack_swar`'s 149 (callgrind), three ids per received
/// message.
#[cfg(target_arch = "x86_64")]
fn pack_sse2(text: &[u8]) -> Option<[u8; 32]> {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16, _mm_set1_epi16, _mm_set1_epi8,
        _mm_slli_epi16, _mm_srli_epi16, _mm_storeu_si128,
    };
    let text: &[u8; HEX_LEN] = text.try_into().ok()?;
    let mut bytes = [0u8; 32];
    // SAFETY: SSE2 is part of the x86-64 baseline; the loads read 16 bytes at offsets 0, 16,
    // 32 and 48 of the 64-byte `text`, the stores write 16 bytes at offsets 0 and 16 of the
    // 32-byte `bytes`; unaligned loads and stores allow any address.
    unsafe {
        let in_range = |v: __m128i, lo: u8, hi: u8| {
            _mm_and_si128(
                _mm_cmpgt_epi8(v, _mm_set1_epi8(lo as i8 - 1)),
                _mm_cmplt_epi8(v, _mm_set1_epi8(hi as i8 + 1)),
            )
        };
        let mut valid = 0xffff;
        // Sixteen digits: whether all are lowercase hex (movemask bits), and their 16-bit
        // lanes as bytes `(first << 4) | second` in each lane's low half.
        let mut lanes = |at: usize| {
            let v = _mm_loadu_si128(text.as_ptr().add(at).cast::<__m128i>());
            let letter = in_range(v, b'a', b'f');
            let ok = _mm_or_si128(in_range(v, b'0', b'9'), letter);
            valid &= _mm_movemask_epi8(ok);
            let nibbles = _mm_add_epi8(
                _mm_and_si128(v, _mm_set1_epi8(0x0f)),
                _mm_and_si128(letter, _mm_set1_epi8(9)),
            );
            let first = _mm_slli_epi16(_mm_and_si128(nibbles, _mm_set1_epi16(0x00ff)), 4);
            _mm_or_si128(first, _mm_srli_epi16(nibbles, 8))
        };
        let (a, b, c, d) = (lanes(0), lanes(16), lanes(32), lanes(48));
        _mm_storeu_si128(bytes.as_mut_ptr().cast::<__m128i>(), _mm_packus_epi16(a, b));
        _mm_storeu_si128(
            bytes.as_mut_ptr().add(16).cast::<__m128i>(),
            _mm_packus_epi16(c, d),
        );
        (valid == 0xffff).then_some(bytes)
    }
}

/// The 32 bytes of 64 lowercase hex digits, or `None` for any other text. Eight digits at a
/// time in a `u64` (SWAR): each byte is checked to be in `'0'..='9'` or `'a'..='f'` by
/// adding offsets that carry into its high bit, and valued `(c & 0x0f) + 9·[c is a letter]`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn pack_swar(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != HEX_LEN {
        return None;
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte: whether that byte is >= v (bytes below 0x80, v in 1..=0x80).
    let at_least = |x: u64, v: u64| x.wrapping_add((0x80 - v) * ONES) & HIGH;
    let mut bytes = [0u8; 32];
    let mut valid = HIGH;
    for (out, chunk) in bytes.chunks_exact_mut(4).zip(text.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let ascii = !x & HIGH;
        let digit = at_least(x, 0x30) & !at_least(x, 0x3a);
        let letter = at_least(x, 0x61) & !at_least(x, 0x67);
        valid &= ascii & (digit | letter);
        let nibbles = (x & (0x0f * ONES)) + (letter >> 7) * 9;
        // Pairs of nibbles (first in the low byte of each 16-bit lane) to bytes, then the
        // four lanes' low bytes together.
        let lanes =
            ((nibbles & 0x00ff_00ff_00ff_00ff) << 4) | ((nibbles >> 8) & 0x00ff_00ff_00ff_00ff);
        let lanes = (lanes | (lanes >> 8)) & 0x0000_ffff_0000_ffff;
        let packed = (lanes | (lanes >> 16)) as u32;
        out.copy_from_slice(&packed.to_le_bytes());
    }
    (valid == HIGH).then_some(bytes)
}

fn unpack(bytes: &[u8; 32]) -> [u8; HEX_LEN] {
    let mut text = [0u8; HEX_LEN];
    for (pair, b) in text.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    text
}

impl Ord for MessageId {
    /// String order of the ids.
    fn cmp(&self, other: &Self) -> Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return Ordering::Equal;
        }
        match (&self.0.repr, &other.0.repr) {
            // Lowercase hex digits sort like their values, so packed order is string order.
            (Repr::Hex(a), Repr::Hex(b)) => a.cmp(b),
            (Repr::Text(a), Repr::Text(b)) => a.cmp(b),
            _ => self.with_str(|a| other.with_str(|b| a.cmp(b))),
        }
    }
}

impl PartialEq for MessageId {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash && self.0.repr == other.0.repr)
    }
}

impl Eq for MessageId {}

impl Hash for MessageId {
    /// Feeds the id's precomputed hash (equal ids have equal hashes).
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

impl PartialOrd for MessageId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| fmt::Debug::fmt(s, f))
    }
}

impl From<&str> for MessageId {
    fn from(id: &str) -> MessageId {
        MessageId::new(id)
    }
}

impl From<&String> for MessageId {
    fn from(id: &String) -> MessageId {
        MessageId::new(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 10] = [
        "",
        "m1",
        "sync-0123456789abcdef",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000000",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffg",
        "a",
    ];

    /// The byte-at-a-time packing: the oracle of `pack_sse2` and `pack_swar`.
    fn pack_bytewise(text: &[u8]) -> Option<[u8; 32]> {
        if text.len() != HEX_LEN {
            return None;
        }
        let mut bytes = [0u8; 32];
        let mut invalid = 0u8;
        for (b, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let (high, low) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
            invalid |= high | low;
            *b = (high << 4) | (low & 0x0f);
        }
        (invalid < 16).then_some(bytes)
    }

    #[test]
    fn word_packing_equals_bytewise_packing() {
        let base = SAMPLES[5].as_bytes().to_vec();
        // Every byte value at every position of a valid id, and some random-looking ids.
        for pos in 0..HEX_LEN {
            for c in 0..=255u8 {
                let mut text = base.clone();
                text[pos] = c;
                assert_eq!(pack(&text), pack_bytewise(&text), "{pos} {c}");
                assert_eq!(pack_swar(&text), pack_bytewise(&text), "{pos} {c}");
            }
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let text: Vec<u8> = (0..HEX_LEN)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    DIGITS[(x % 16) as usize]
                })
                .collect();
            assert_eq!(pack(&text), pack_bytewise(&text));
            assert_eq!(pack_swar(&text), pack_bytewise(&text));
            assert!(pack(&text).is_some());
        }
        for s in SAMPLES {
            assert_eq!(pack(s.as_bytes()), pack_bytewise(s.as_bytes()), "{s}");
            assert_eq!(pack_swar(s.as_bytes()), pack_bytewise(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn round_trips_and_packs_only_lowercase_hex() {
        for s in SAMPLES {
            let id = MessageId::new(s);
            assert_eq!(id.to_string(), s);
            assert!(id.is(s));
            assert_eq!(format!("{id:?}"), format!("{s:?}"));
            let packed = matches!(id.0.repr, Repr::Hex(_));
            assert_eq!(packed, pack(s.as_bytes()).is_some(), "{s}");
        }
        assert!(matches!(MessageId::new(SAMPLES[5]).0.repr, Repr::Hex(_)));
        assert!(matches!(MessageId::new(SAMPLES[6]).0.repr, Repr::Text(_)));
    }

    #[test]
    fn order_and_equality_are_those_of_the_strings() {
        for a in SAMPLES {
            for b in SAMPLES {
                let (x, y) = (MessageId::new(a), MessageId::new(b));
                assert_eq!(x.cmp(&y), a.cmp(b), "{a} vs {b}");
                assert_eq!(x == y, a == b);
                assert_eq!(x.is(b), a == b);
            }
        }
    }

    #[test]
    fn separately_made_ids_hash_alike_and_an_id_is_one_pointer() {
        use std::hash::BuildHasher;
        let hasher = std::hash::BuildHasherDefault::<FxHasher>::default();
        for s in SAMPLES {
            let (x, y) = (MessageId::new(s), MessageId::new(s));
            assert!(!Arc::ptr_eq(&x.0, &y.0));
            assert_eq!(x, y);
            assert_eq!(hasher.hash_one(&x), hasher.hash_one(&y));
            assert_eq!(x.clone(), y);
        }
        assert_eq!(std::mem::size_of::<MessageId>(), 8);
    }
}
