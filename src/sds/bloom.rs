//! The bloom filter of acknowledged-by-receipt ids, with js-waku's exact bit layout
//! (PROTOCOL.md §2 "Bloom filter"; js-waku `packages/sds/src/bloom_filter/bloom.ts` and
//! `nim_hashn/nim_hashn.mjs`), checked against `tests/vectors/bloom.json`.
//!
//! Layout: `bits_per_element = ceil(-ln(error_rate) / ln(2)^2)`, `k = round(ln 2 ·
//! bits_per_element)`, `total_bits = capacity · bits_per_element`, stored as
//! `1 + total_bits / 64` u64 words, each serialized **big-endian**. Bit `h` is bit `h % 64` of
//! word `h / 64`. At capacity 10,000 and error rate 0.001: k = 10, 150,000 bits, 18,752 bytes.
//!
//! The filter itself never rolls over (as js-waku 0.0.8); `Channel` rebuilds it under
//! `BloomRollover::Rebuild` (nim-sds's rule, parameters kept).

use bytes::{Bytes, BytesMut};

/// MurmurHash3 x86_32 with seed 0 as Nim's `hashes.murmurHash` compiled to JS computes it:
/// over a sequence of *units* (see [`nim_units`]), each OR-ed into the block as
/// `k1 = (k1 << 8) | unit` (so units above 255 mix into neighbouring bytes, exactly like the
/// JS build), result reinterpreted as a signed 32-bit integer.
pub fn nim_murmur3_32(units: &[u32]) -> i32 {
    murmur_units(units.iter().copied())
}

/// [`nim_murmur3_32`] of units that are all below 256, given as bytes: standard MurmurHash3
/// x86_32 (seed 0), whose little-endian block read is the units' `(k1 << 8) | unit` fold.
#[cfg(test)]
fn murmur_bytes(data: &[u8]) -> i32 {
    let (h1, tail) = murmur_blocks(0, data);
    murmur_tail(h1, tail, data.len())
}

/// The MurmurHash3 rounds over `data`'s whole 4-byte blocks from state `h1`: the state after
/// them and the bytes left over.
fn murmur_blocks(mut h1: u32, data: &[u8]) -> (u32, &[u8]) {
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let k1 = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        h1 ^= murmur_mix(k1);
        h1 = h1.rotate_left(13);
        h1 = h1.wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    (h1, blocks.remainder())
}

/// The last partial block (`tail`, under 4 bytes) and the finalization, for `len` bytes.
fn murmur_tail(mut h1: u32, tail: &[u8], len: usize) -> i32 {
    let k1 = tail
        .iter()
        .rev()
        .fold(0u32, |k1, &b| (k1 << 8) | u32::from(b));
    h1 ^= murmur_mix(k1);
    murmur_finish(h1, len as u32)
}

/// MurmurHash3 x86_32 (seed 0) of `data` and of `data ‖ " b"` in one pass over `data`: the whole blocks
/// of `data` are the same in both, so their rounds are run once.
fn murmur_bytes_and_suffixed(data: &[u8]) -> (i32, i32) {
    let (h1, tail) = murmur_blocks(0, data);
    let plain = murmur_tail(h1, tail, data.len());
    let mut rest = [0u8; 5];
    rest[..tail.len()].copy_from_slice(tail);
    rest[tail.len()..tail.len() + 2].copy_from_slice(b" b");
    let (h1, tail) = murmur_blocks(h1, &rest[..tail.len() + 2]);
    (plain, murmur_tail(h1, tail, data.len() + 2))
}

fn murmur_mix(k1: u32) -> u32 {
    k1.wrapping_mul(0xcc9e_2d51)
        .rotate_left(15)
        .wrapping_mul(0x1b87_3593)
}

fn murmur_finish(mut h1: u32, len: u32) -> i32 {
    h1 ^= len;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^= h1 >> 16;
    h1 as i32
}

/// [`nim_murmur3_32`] over units as they come (the general path, for non-ASCII ids).
fn murmur_units(units: impl Iterator<Item = u32>) -> i32 {
    // A block's units combine last to first: k1 = (k1 << 8) | unit.
    let combine = |block: &[u32]| block.iter().rev().fold(0u32, |k1, &u| (k1 << 8) | u);
    let mut h1: u32 = 0;
    let mut block = [0u32; 4];
    let mut filled = 0;
    let mut len: u32 = 0;
    for unit in units {
        block[filled] = unit;
        filled += 1;
        len = len.wrapping_add(1);
        if filled == 4 {
            h1 ^= murmur_mix(combine(&block));
            h1 = h1.rotate_left(13);
            h1 = h1.wrapping_mul(5).wrapping_add(0xe654_6b64);
            filled = 0;
        }
    }
    h1 ^= murmur_mix(combine(&block[..filled]));
    murmur_finish(h1, len)
}

/// The units js-waku hashes for a string: one per Unicode code point, valued as that code
/// point's first UTF-16 code unit (`Array.from(item).map(c => c.charCodeAt(0))` in
/// `nim_hashn.mjs`). For ASCII ids this is just the bytes.
pub fn nim_units(item: &str) -> Vec<u32> {
    units_of(item).collect()
}

fn units_of(item: &str) -> impl Iterator<Item = u32> + '_ {
    item.chars().map(|c| {
        let mut buf = [0u16; 2];
        u32::from(c.encode_utf16(&mut buf)[0])
    })
}

/// Nim's `hashN(item, n, maxValue)`: double hashing (Kirsch–Mitzenmacher)
/// `abs(abs(h(s)) mod m + n · (abs(h(s ‖ " b")) mod m)) mod m` with `h` = [`nim_murmur3_32`].
/// Returns 0 when `max_value` is 0 (the JS build would throw).
pub fn hash_n(item: &str, n: u64, max_value: u64) -> u64 {
    let (a, b) = hash_pair(item, max_value);
    index_from_pair(a, b, n, max_value)
}

fn hash_pair(item: &str, max_value: u64) -> (u64, u64) {
    if max_value == 0 {
        return (0, 0);
    }
    let (a, b) = if item.is_ascii() {
        // One unit per byte: plain MurmurHash3 over the bytes, four at a time.
        murmur_bytes_and_suffixed(item.as_bytes())
    } else {
        let suffixed = units_of(item).chain([u32::from(b' '), u32::from(b'b')]);
        (murmur_units(units_of(item)), murmur_units(suffixed))
    };
    (
        u64::from(a.unsigned_abs()) % max_value,
        u64::from(b.unsigned_abs()) % max_value,
    )
}

fn index_from_pair(a: u64, b: u64, n: u64, max_value: u64) -> u64 {
    if max_value == 0 {
        return 0;
    }
    // a, b < max_value <= u64::MAX; compute in u128 so nothing overflows.
    ((u128::from(a) + u128::from(n) * u128::from(b)) % u128::from(max_value)) as u64
}

/// Sizing of a bloom filter, derived like js-waku's `BloomFilter` constructor (no forced k).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BloomParams {
    /// Number of hash functions k.
    pub k_hashes: u32,
    /// Number of addressable bits m (`capacity · bits_per_element`).
    pub total_bits: u64,
    /// Number of u64 words stored (`1 + total_bits / 64`).
    pub words: usize,
}

impl BloomParams {
    /// Parameters for `capacity` elements at false-positive rate `error_rate` (0 < rate < 1).
    /// Degenerate inputs (rate outside (0, 1), NaN, capacity 0) are clamped so that k >= 1 and
    /// the filter has at least one word; they never panic.
    pub fn new(capacity: usize, error_rate: f64) -> BloomParams {
        let rate = if error_rate.is_finite() && error_rate > 0.0 && error_rate < 1.0 {
            error_rate
        } else {
            0.001
        };
        let ln2 = std::f64::consts::LN_2;
        let bits_per_element = (-(rate.ln()) / (ln2 * ln2)).ceil().max(1.0);
        let k = (ln2 * bits_per_element).round().max(1.0) as u32;
        let total_bits = (capacity as u64).saturating_mul(bits_per_element as u64);
        let words = usize::try_from(1 + total_bits / 64).unwrap_or(usize::MAX);
        BloomParams {
            k_hashes: k,
            total_bits,
            words,
        }
    }

    /// Length in bytes of the serialized filter (`8 · words`).
    pub fn byte_len(&self) -> usize {
        self.words.saturating_mul(8)
    }

    /// The double-hashing pair `(a, b)` of `id`, both below `total_bits` (0 and 0 when it is
    /// 0): its bit indexes are `(a + i·b) mod total_bits`, i = 0..k
    /// ([`BloomParams::bit_indexes`]). [`BloomFilter::insert_pair`] inserts an id from it;
    /// 16 bytes to keep instead of k indexes.
    pub fn bit_pair(&self, id: &str) -> (u64, u64) {
        hash_pair(id, self.total_bits)
    }

    /// The k bit indexes of `id`, `hash_n(id, i, total_bits)` for i in 0..k. Cache them when
    /// the same id is tested against many filters (murmur is computed twice, not 2k times).
    pub fn bit_indexes(&self, id: &str) -> Vec<u64> {
        self.pair_indexes(self.bit_pair(id))
    }

    /// The k bit indexes of a pair from [`BloomParams::bit_pair`].
    pub fn pair_indexes(&self, (a, b): (u64, u64)) -> Vec<u64> {
        let m = self.total_bits;
        // (a + i·b) mod m for i = 0, 1, ...: with a, b < m, each step adds b and subtracts m
        // at most once (no 128-bit division per index; equal to `index_from_pair`, tested).
        progression_bits(a, b, self.k_hashes, m).collect()
    }
}

/// Position of bit `h` in the serialized (big-endian words) form: (byte index, mask).
fn byte_position(h: u64) -> (usize, u8) {
    let word = (h / 64) as usize;
    let offset = h % 64;
    (word * 8 + 7 - (offset / 8) as usize, 1u8 << (offset % 8))
}

/// Tests whether all `bits` are set in a serialized filter `bytes` (js-waku layout) without
/// decoding it. Returns `None` when `bytes.len()` is not `params.byte_len()`: a filter made
/// with other parameters cannot be interpreted and is ignored (PROTOCOL.md §2: "the receiver
/// interprets filters with its own parameters").
pub fn serialized_contains(params: &BloomParams, bytes: &[u8], bits: &[u64]) -> Option<bool> {
    if bytes.len() != params.byte_len() {
        return None;
    }
    Some(bits.iter().all(|&h| {
        let (i, mask) = byte_position(h);
        bytes.get(i).is_some_and(|b| b & mask != 0)
    }))
}

/// A bloom filter. Sent in serialized form (js-waku's layout, [`BloomFilter::to_bytes`]);
/// kept in the smaller of two forms:
///
/// - **sparse** after few inserts: the double-hashing pairs `(a, b)` of the inserted ids in
///   insertion order (bit i of an insert is `(a + i·b) mod total_bits`; an insert appends
///   its pair, 8 bytes, no search), up to a sixteenth of the serialized length in pairs, at
///   least one ([`BloomFilter::is_sparse`]; at the defaults 1,172 ids: at most 9.4 kB, the vector's
///   doubling capped there, instead of 18,752 bytes). A participant of a large group that
///   receives few messages, or one of many channels on one node, keeps a few hundred bytes,
///   and one of the 10,000-participant flagship's (586 messages) 8 kB instead of 19.8 kB;
///   serializing it builds the 18,752 bytes each time, and a membership test expands the
///   list (only inspection tests membership of the own filter). An insert of indexes that
///   are not such a progression (only through [`BloomFilter::insert_bits`]) turns it dense.
/// - **dense** beyond that: the serialized form itself as one shared [`Bytes`]: sending takes
///   a reference instead of copying, and an insert mutates in place when no message still
///   holds the buffer (copy-on-write otherwise).
///
/// Both forms give the same bytes, membership and insert count (unit tests compare them on
/// random inserts); a filter never goes back from dense to sparse.
///
/// **Deferred inserts (dense form).** An insert into the dense form sets k bits in k random
/// cache lines of the serialized bytes (10 of the 293 lines at the defaults), and a receiver
/// of a large group is rarely in cache when its next message arrives. So an insert whose bit
/// indexes are the double-hashing progression of [`BloomParams::bit_indexes`] (every insert
/// the core makes) is kept as its pair `(a, b)` (bit i is `(a + i·b) mod m`), 8 bytes, in a
/// pending list of at most [`PENDING_INSERTS`] pairs (1 KB), and the pairs are applied
/// together when the list is full or before the bytes are taken for sending
/// ([`BloomFilter::apply_pending`]): the filter's lines are then loaded once per batch
/// instead of once per insert (issue 16). Readers through `&self` ([`BloomFilter::to_bytes`],
/// [`BloomFilter::contains_bits`]) see the pending inserts too, so the bytes, membership and
/// insert count are always exactly those of applying every insert at once (unit tests
/// interleave both at random).
#[derive(Debug, Clone)]
pub struct BloomFilter {
    params: BloomParams,
    bits: Bits,
    inserted: usize,
    /// Dense form only: inserts not yet applied to the bytes, as double-hashing pairs
    /// `(a, b)` with `a, b < total_bits <= u32::MAX`; at most [`PENDING_INSERTS`], allocated
    /// with that capacity at the first deferred insert.
    pending: Vec<(u32, u32)>,
}

/// How many inserts the dense form defers at most (see [`BloomFilter`]): 8 bytes each, 1 KB
/// per filter. At the defaults a batch of 128 inserts sets 1,280 bits, which touch nearly
/// all 293 cache lines of the 18,752 bytes once: about 2.3 lines per insert instead of 10.
pub const PENDING_INSERTS: usize = 128;

#[derive(Debug, Clone)]
enum Bits {
    /// The double-hashing pair of every insert, in order (repeats possible), each below
    /// `total_bits` (which fits 32 bits in this form).
    Sparse(Vec<(u32, u32)>),
    /// The serialized form.
    Dense(Bytes),
}

impl BloomFilter {
    /// An empty filter with `params`: sparse when its bit indexes fit 32 bits, else dense.
    pub fn new(params: BloomParams) -> BloomFilter {
        let bits = if params.total_bits <= u64::from(u32::MAX) {
            Bits::Sparse(Vec::new())
        } else {
            Bits::Dense(Bytes::from(vec![0; params.byte_len()]))
        };
        BloomFilter {
            params,
            bits,
            inserted: 0,
            pending: Vec::new(),
        }
    }

    /// The filter's parameters.
    pub fn params(&self) -> &BloomParams {
        &self.params
    }

    /// Number of inserts so far (not distinct elements).
    pub fn inserted(&self) -> usize {
        self.inserted
    }

    /// Whether the filter is still kept as the list of its set bits (see the type's docs).
    pub fn is_sparse(&self) -> bool {
        matches!(self.bits, Bits::Sparse(_))
    }

    /// A hint that an insert comes soon: asks for the cache line it appends to (the dense
    /// form's deferred inserts, the sparse form's indexes; `super::prefetch`). Changes
    /// nothing.
    #[inline]
    pub fn prefetch_insert(&self) {
        match &self.bits {
            Bits::Sparse(set) => super::prefetch::read(set.as_ptr().wrapping_add(set.len())),
            Bits::Dense(_) => {
                super::prefetch::read(self.pending.as_ptr().wrapping_add(self.pending.len()));
            }
        }
    }

    /// Inserts `id`.
    pub fn insert(&mut self, id: &str) {
        self.insert_pair(self.params.bit_pair(id));
    }

    /// Inserts an id given its pair ([`BloomParams::bit_pair`]): the same as
    /// [`BloomFilter::insert_bits`] of its bit indexes, without making them. Both forms keep
    /// the pair as it is (the dense form as a deferred insert; what `insert_bits` keeps for
    /// these indexes, or `(a, 0)` when k is 1, which has the same one index).
    pub fn insert_pair(&mut self, (a, b): (u64, u64)) {
        let (k, m) = (self.params.k_hashes, self.params.total_bits);
        self.inserted += 1;
        if a < m && b < m && m <= u64::from(u32::MAX) {
            let pair = (a as u32, b as u32);
            match self.bits {
                Bits::Sparse(_) => self.sparse_push(pair),
                Bits::Dense(_) => self.defer(pair),
            }
            return;
        }
        // Not a pair `bit_pair` makes (or a filter beyond 32-bit indexes): its indexes.
        self.densify();
        self.apply_pending();
        self.set_dense(progression_bits(a, b, k, m));
    }

    /// Inserts an id given its precomputed bit indexes ([`BloomParams::bit_indexes`]).
    /// Indexes beyond the filter are ignored. Indexes that are not a double-hashing
    /// progression turn a sparse filter dense.
    pub fn insert_bits(&mut self, bits: &[u64]) {
        self.inserted += 1;
        if let Some(pair) = self.progression(bits) {
            match self.bits {
                Bits::Sparse(_) => self.sparse_push(pair),
                Bits::Dense(_) => self.defer(pair),
            }
            return;
        }
        self.densify();
        self.apply_pending();
        self.set_dense(bits.iter().copied());
    }

    /// Appends `pair` to the sparse form; turns it dense past a sixteenth of the serialized
    /// length in pairs (at least one).
    fn sparse_push(&mut self, pair: (u32, u32)) {
        let most = (self.params.byte_len() / 16).max(1);
        let Bits::Sparse(pairs) = &mut self.bits else {
            return;
        };
        if pairs.len() == pairs.capacity() {
            // As the log grows (`growth::grown_capacity`: 608 pairs for 586 inserts where
            // doubling gave 1,024), but never past what the sparse form holds before it
            // turns dense (`most` pairs and the insert that passes them).
            let want = super::growth::grown_capacity(pairs.capacity())
                .min(most + 1)
                .max(pairs.len() + 1);
            pairs.reserve_exact(want - pairs.len());
        }
        pairs.push(pair);
        if pairs.len() > most {
            self.densify();
        }
    }

    /// The sparse form turned dense (nothing to do when dense).
    fn densify(&mut self) {
        if let Bits::Sparse(pairs) = &self.bits {
            let dense = serialize(self.params.byte_len(), self.expand(pairs));
            self.bits = Bits::Dense(dense);
        }
    }

    /// Every bit index of `pairs` (the sparse form's, or the deferred inserts).
    fn expand<'a>(&self, pairs: &'a [(u32, u32)]) -> impl Iterator<Item = u64> + 'a {
        let (k, m) = (self.params.k_hashes, self.params.total_bits);
        pairs
            .iter()
            .flat_map(move |&(a, b)| progression_bits(u64::from(a), u64::from(b), k, m))
    }

    /// The dense form's deferred insert of `pair` (see the type's docs).
    fn defer(&mut self, pair: (u32, u32)) {
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(PENDING_INSERTS);
        }
        self.pending.push(pair);
        if self.pending.len() >= PENDING_INSERTS {
            self.apply_pending();
        }
    }

    /// The pair `(a, b)` of `bits` when they are exactly the `k_hashes` indexes
    /// `(a + i·b) mod total_bits`, i = 0..k, with `total_bits` within 32 bits (what
    /// [`BloomParams::bit_indexes`] gives): the form a deferred insert is kept in.
    fn progression(&self, bits: &[u64]) -> Option<(u32, u32)> {
        let m = self.params.total_bits;
        if bits.len() != self.params.k_hashes as usize || m > u64::from(u32::MAX) {
            return None;
        }
        let a = *bits.first()?;
        if a >= m {
            return None;
        }
        let b = match bits.get(1) {
            Some(&second) if second < m => (second + m - a) % m,
            Some(_) => return None,
            None => 0,
        };
        let mut x = a;
        for &h in bits {
            if h != x {
                return None;
            }
            x = step(x, b, m);
        }
        Some((a as u32, b as u32))
    }

    /// Applies the deferred inserts to the dense form's bytes (nothing to do when none are
    /// pending or the filter is sparse). Readers never need this for correctness; the core
    /// calls it before taking the bytes for a message, so the sent buffer is shared instead
    /// of copied.
    pub fn apply_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        self.set_dense(self.expand(&pending));
        self.pending = pending;
        self.pending.clear();
    }

    /// Sets `bits` in the dense form's bytes (copy-on-write when a message still holds them).
    fn set_dense(&mut self, bits: impl Iterator<Item = u64>) {
        let Bits::Dense(dense) = &mut self.bits else {
            return;
        };
        let mut bytes = std::mem::take(dense)
            .try_into_mut()
            .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        for h in bits {
            let (i, mask) = byte_position(h);
            if let Some(b) = bytes.get_mut(i) {
                *b |= mask;
            }
        }
        *dense = bytes.freeze();
    }

    /// Every bit index of the pending inserts.
    fn pending_bits(&self) -> impl Iterator<Item = u64> + '_ {
        self.expand(&self.pending)
    }

    /// Whether `id` may be in the filter (false positives possible, no false negatives).
    pub fn contains(&self, id: &str) -> bool {
        self.contains_bits(&self.params.bit_indexes(id))
    }

    /// [`BloomFilter::contains`] with precomputed bit indexes.
    pub fn contains_bits(&self, bits: &[u64]) -> bool {
        match &self.bits {
            Bits::Sparse(_) => {
                serialized_contains(&self.params, &self.to_bytes(), bits) == Some(true)
            }
            Bits::Dense(bytes) => bits.iter().all(|&h| {
                serialized_contains(&self.params, bytes, &[h]) == Some(true)
                    || self.pending_bits().any(|p| p == h)
            }),
        }
    }

    /// The serialized filter (`params.byte_len()` bytes): a cheap shared reference when
    /// dense with no deferred inserts (see [`BloomFilter::apply_pending`]), built anew
    /// otherwise.
    pub fn to_bytes(&self) -> Bytes {
        match &self.bits {
            Bits::Sparse(pairs) => serialize(self.params.byte_len(), self.expand(pairs)),
            Bits::Dense(bytes) if self.pending.is_empty() => bytes.clone(),
            Bits::Dense(bytes) => {
                let mut copy = bytes.to_vec();
                for h in self.pending_bits() {
                    let (i, mask) = byte_position(h);
                    if let Some(b) = copy.get_mut(i) {
                        *b |= mask;
                    }
                }
                Bytes::from(copy)
            }
        }
    }

    /// Number of inserts deferred in the dense form (at most [`PENDING_INSERTS`]).
    pub fn pending_inserts(&self) -> usize {
        self.pending.len()
    }
}

/// `x + b` modulo `m`, for `x, b < m` (no overflow, no division).
fn step(x: u64, b: u64, m: u64) -> u64 {
    let (sum, overflow) = x.overflowing_add(b);
    if overflow || sum >= m {
        sum.wrapping_sub(m)
    } else {
        sum
    }
}

/// The `k` indexes `(a + i·b) mod m`, i = 0..k, for `a, b < m`.
fn progression_bits(a: u64, b: u64, k: u32, m: u64) -> impl Iterator<Item = u64> {
    let mut x = a;
    (0..k).map(move |_| {
        let h = x;
        x = step(x, b, m);
        h
    })
}

/// The serialized form (`byte_len` bytes) with the bits `set`; indexes beyond are ignored.
fn serialize(byte_len: usize, set: impl Iterator<Item = u64>) -> Bytes {
    let mut bytes = vec![0u8; byte_len];
    for h in set {
        let (i, mask) = byte_position(h);
        if let Some(b) = bytes.get_mut(i) {
            *b |= mask;
        }
    }
    Bytes::from(bytes)
}

#[cfg(test)]
mod tests;
