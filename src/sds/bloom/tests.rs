//! Unit tests of the bloom filter (js-waku's layout, sparse and dense forms, deferred inserts).
use super::*;

#[test]
fn one_pass_hashes_equal_two_passes() {
    let text: Vec<u8> = (0..200u32)
        .map(|i| b"0123456789abcdef"[(i * 7 % 16) as usize])
        .collect();
    for len in 0..text.len() {
        let data = &text[..len];
        let suffixed = [data, b" b"].concat();
        let units = |d: &[u8]| d.iter().map(|&b| u32::from(b)).collect::<Vec<_>>();
        assert_eq!(
            murmur_bytes_and_suffixed(data),
            (
                nim_murmur3_32(&units(data)),
                nim_murmur3_32(&units(&suffixed))
            ),
            "{len}"
        );
        assert_eq!(murmur_bytes(&suffixed), nim_murmur3_32(&units(&suffixed)));
    }
}

#[test]
fn default_parameters_match_js_waku() {
    let p = BloomParams::new(10_000, 0.001);
    assert_eq!(
        (p.k_hashes, p.total_bits, p.byte_len()),
        (10, 150_000, 18_752)
    );
    let p = BloomParams::new(100, 0.01);
    assert_eq!((p.k_hashes, p.total_bits, p.byte_len()), (7, 1000, 128));
}

#[test]
fn murmur_matches_reference_values() {
    // Standard MurmurHash3 x86_32 seed 0 reference values (ASCII input).
    assert_eq!(nim_murmur3_32(&[]), 0);
    assert_eq!(nim_murmur3_32(&nim_units("hello")) as u32, 0x248b_fa47);
    assert_eq!(
        nim_murmur3_32(&nim_units("The quick brown fox jumps over the lazy dog")) as u32,
        0x2e4f_f723
    );
    assert_eq!(hash_n("dummy", 0, 1), 0);
}

/// The streaming hash against the block-indexed formulation it replaced, for every tail
/// length and units above 255 (which mix into neighbouring bytes).
#[test]
fn streaming_murmur_matches_block_indexed() {
    fn block_indexed(units: &[u32]) -> i32 {
        let mix = |k1: u32| {
            k1.wrapping_mul(0xcc9e_2d51)
                .rotate_left(15)
                .wrapping_mul(0x1b87_3593)
        };
        let mut h1: u32 = 0;
        let blocks = units.len() / 4;
        for b in 0..blocks {
            let mut k1: u32 = 0;
            for j in (0..4).rev() {
                k1 = (k1 << 8) | units[b * 4 + j];
            }
            h1 ^= mix(k1);
            h1 = h1.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
        }
        let mut k1: u32 = 0;
        for j in (0..units.len() % 4).rev() {
            k1 = (k1 << 8) | units[blocks * 4 + j];
        }
        h1 ^= mix(k1);
        h1 ^= units.len() as u32;
        h1 ^= h1 >> 16;
        h1 = h1.wrapping_mul(0x85eb_ca6b);
        h1 ^= h1 >> 13;
        h1 = h1.wrapping_mul(0xc2b2_ae35);
        h1 ^= h1 >> 16;
        h1 as i32
    }
    let units: Vec<u32> = (0..13u32).map(|i| i * 977 % 70_000).collect();
    for n in 0..units.len() {
        assert_eq!(
            nim_murmur3_32(&units[..n]),
            block_indexed(&units[..n]),
            "{n}"
        );
    }
    // The ASCII fast path (bytes) agrees with the units path, suffix included.
    let text = "0123456789abcdef".repeat(9);
    for n in 0..text.len() {
        for item in [text[..n].to_owned(), format!("{}é", &text[..n])] {
            let units = nim_units(&item);
            let mut suffixed = units.clone();
            suffixed.extend([u32::from(b' '), u32::from(b'b')]);
            let m = 1_000_003;
            let want = (
                u64::from(block_indexed(&units).unsigned_abs()) % m,
                u64::from(block_indexed(&suffixed).unsigned_abs()) % m,
            );
            assert_eq!(hash_pair(&item, m), want, "{item}");
        }
    }
}

#[test]
fn insert_then_contains_and_wrong_length_is_ignored() {
    let p = BloomParams::new(100, 0.01);
    let mut f = BloomFilter::new(p);
    f.insert("abc");
    assert!(f.contains("abc"));
    let bits = p.bit_indexes("abc");
    assert_eq!(serialized_contains(&p, &f.to_bytes(), &bits), Some(true));
    assert_eq!(serialized_contains(&p, &[0xff; 3], &bits), None);
}

#[test]
fn bit_indexes_step_equals_the_double_hashing_formula() {
    let ids = ["", "m1", "ü-ä", &"ab".repeat(32), &"f".repeat(200)];
    for total_bits in [
        0,
        1,
        7,
        64,
        150_000,
        u64::from(u32::MAX) + 3,
        u64::MAX - 1,
        u64::MAX,
    ] {
        for k_hashes in [1, 10, 40] {
            let params = BloomParams {
                k_hashes,
                total_bits,
                words: 1,
            };
            for id in ids {
                let want: Vec<u64> = (0..u64::from(k_hashes))
                    .map(|i| hash_n(id, i, total_bits))
                    .collect();
                assert_eq!(params.bit_indexes(id), want, "{id} {total_bits} {k_hashes}");
            }
        }
    }
}

/// The dense form as it was before the sparse one: every insert straight into the
/// serialized bytes.
fn dense_reference(p: &BloomParams, ids: &[String]) -> Vec<u8> {
    let mut bytes = vec![0u8; p.byte_len()];
    for id in ids {
        for h in p.bit_indexes(id) {
            let (i, mask) = byte_position(h);
            if let Some(b) = bytes.get_mut(i) {
                *b |= mask;
            }
        }
    }
    bytes
}

#[test]
fn sparse_and_dense_forms_give_the_same_filter() {
    // Defaults (k = 10, 18,752 bytes: sparse up to 1,172 ids), a small filter and one
    // whose last word holds bit indexes beyond `total_bits` (never set).
    for (capacity, rate) in [(10_000, 0.001), (100, 0.01), (3, 0.5)] {
        let p = BloomParams::new(capacity, rate);
        let mut f = BloomFilter::new(p);
        let mut ids = Vec::new();
        let mut went_dense_at = None;
        for i in 0..1_300 {
            let id = format!("{:064x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            f.insert(&id);
            ids.push(id);
            if went_dense_at.is_none() && !f.is_sparse() {
                went_dense_at = Some(i);
            }
            if i % 37 == 0 || i < 3 || went_dense_at == Some(i) {
                assert_eq!(&f.to_bytes()[..], &dense_reference(&p, &ids)[..], "{i}");
            }
            assert_eq!(f.inserted(), i + 1);
        }
        assert_eq!(&f.to_bytes()[..], &dense_reference(&p, &ids)[..]);
        let d = went_dense_at.expect("goes dense");
        assert!(d > 0, "starts sparse");
        for (i, id) in ids.iter().enumerate() {
            assert!(f.contains(id), "{i}");
        }
        // The same answers for absent ids in both forms (false positives included).
        let mut sparse = BloomFilter::new(p);
        for id in &ids[..d.min(ids.len())] {
            sparse.insert(id);
        }
        assert!(sparse.is_sparse());
        let reference = dense_reference(&p, &ids[..d]);
        for j in 0..2_000u64 {
            let probe = format!("absent-{j}");
            let bits = p.bit_indexes(&probe);
            assert_eq!(
                sparse.contains(&probe),
                serialized_contains(&p, &reference, &bits).expect("length"),
                "{probe}"
            );
        }
    }
}

/// One step of a random history against a filter: an insert by id (its bit indexes, or its
/// pair), an insert of bit indexes that are not a double-hashing progression (applied at
/// once), or a read.
#[derive(Debug, Clone)]
enum Op {
    Insert(u16),
    InsertPair(u16),
    InsertOther(Vec<u32>),
    ToBytes,
    Contains(u16),
    Apply,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        20 => any::<u16>().prop_map(Op::Insert),
        20 => any::<u16>().prop_map(Op::InsertPair),
        2 => proptest::collection::vec(any::<u32>(), 0..12).prop_map(Op::InsertOther),
        2 => Just(Op::ToBytes),
        3 => any::<u16>().prop_map(Op::Contains),
        1 => Just(Op::Apply),
    ]
}

/// Runs `ops` on a filter with deferred inserts and on the immediate reference (every
/// insert straight into the serialized bytes), comparing bytes, membership and counts
/// at every read and at the end.
fn check_against_immediate(p: BloomParams, ops: &[Op]) {
    let mut f = BloomFilter::new(p);
    let mut reference = vec![0u8; p.byte_len()];
    let mut count = 0;
    let set = |bytes: &mut Vec<u8>, bits: &[u64]| {
        for &h in bits {
            let (i, mask) = byte_position(h);
            if let Some(b) = bytes.get_mut(i) {
                *b |= mask;
            }
        }
    };
    let id = |n: u16| format!("{:064x}", u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Insert(n) => {
                let bits = p.bit_indexes(&id(*n));
                f.insert_bits(&bits);
                set(&mut reference, &bits);
                count += 1;
            }
            Op::InsertPair(n) => {
                f.insert_pair(p.bit_pair(&id(*n)));
                set(&mut reference, &p.bit_indexes(&id(*n)));
                count += 1;
            }
            Op::InsertOther(raw) => {
                // Within the serialized length (as callers give), not a progression.
                let bits: Vec<u64> = raw
                    .iter()
                    .map(|&h| u64::from(h) % (p.byte_len() as u64 * 8))
                    .collect();
                f.insert_bits(&bits);
                set(&mut reference, &bits);
                count += 1;
            }
            Op::ToBytes => assert_eq!(&f.to_bytes()[..], &reference[..], "step {step}"),
            Op::Contains(n) => {
                let bits = p.bit_indexes(&id(*n));
                let want = serialized_contains(&p, &reference, &bits).expect("length");
                assert_eq!(f.contains_bits(&bits), want, "step {step}");
            }
            Op::Apply => {
                f.apply_pending();
                assert_eq!(f.pending_inserts(), 0);
            }
        }
        assert_eq!(f.inserted(), count, "step {step}");
        assert!(f.pending_inserts() < PENDING_INSERTS);
        assert!(!f.is_sparse() || f.pending_inserts() == 0);
    }
    assert_eq!(&f.to_bytes()[..], &reference[..]);
    f.apply_pending();
    assert_eq!(&f.to_bytes()[..], &reference[..]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Deferred and immediate inserts give the same filter after any interleaving of
    /// inserts and reads (a small filter: dense after two ids).
    #[test]
    fn deferred_inserts_equal_immediate_small(ops in proptest::collection::vec(op(), 0..700)) {
        check_against_immediate(BloomParams::new(100, 0.01), &ops);
    }

    /// The same at the defaults (18,752 bytes, dense after 1,172 ids), past several
    /// batches of deferred inserts.
    #[test]
    fn deferred_inserts_equal_immediate_defaults(ops in proptest::collection::vec(op(), 1_300..2_000)) {
        check_against_immediate(BloomParams::new(10_000, 0.001), &ops);
    }
}

#[test]
fn dense_inserts_are_deferred_in_batches() {
    let p = BloomParams::new(10_000, 0.001);
    let mut f = BloomFilter::new(p);
    let mut ids = Vec::new();
    let mut i = 0u64;
    while f.is_sparse() {
        let id = format!("{i:064x}");
        f.insert(&id);
        ids.push(id);
        i += 1;
    }
    assert_eq!(
        f.pending_inserts(),
        0,
        "the insert that turns it dense is applied"
    );
    for n in 1..=PENDING_INSERTS {
        let id = format!("{i:064x}");
        f.insert(&id);
        ids.push(id);
        i += 1;
        assert_eq!(f.pending_inserts(), n % PENDING_INSERTS, "{n}");
    }
    // Pending inserts are seen by every reader, applied or not.
    f.insert(&ids[3]);
    assert_eq!(f.pending_inserts(), 1);
    let fresh = format!("{i:064x}");
    f.insert(&fresh);
    assert!(f.contains(&fresh));
    let bytes = f.to_bytes();
    ids.push(ids[3].clone());
    ids.push(fresh);
    assert_eq!(&bytes[..], &dense_reference(&p, &ids)[..]);
    f.apply_pending();
    assert_eq!(f.pending_inserts(), 0);
    assert_eq!(&f.to_bytes()[..], &bytes[..]);
    assert_eq!(f.inserted(), ids.len());
}

#[test]
fn degenerate_parameters_do_not_panic() {
    for (c, r) in [(0, 0.001), (10, 0.0), (10, 1.5), (10, f64::NAN)] {
        let p = BloomParams::new(c, r);
        let mut f = BloomFilter::new(p);
        f.insert("x");
        let _ = f.contains("y");
        assert!(p.k_hashes >= 1 && p.words >= 1);
    }
}

#[test]
fn insert_pair_equals_insert_bits_for_any_k() {
    // k = 1, 7, 10 and 40, and an empty sizing.
    for (c, r) in [
        (100, 0.5),
        (100, 0.01),
        (10_000, 0.001),
        (100, 1e-12),
        (0, 0.001),
    ] {
        let p = BloomParams::new(c, r);
        let (mut by_pair, mut by_bits) = (BloomFilter::new(p), BloomFilter::new(p));
        for n in 0..300u64 {
            let id = format!("{:064x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            by_pair.insert_pair(p.bit_pair(&id));
            by_bits.insert_bits(&p.bit_indexes(&id));
            if n % 37 == 0 {
                assert_eq!(by_pair.to_bytes(), by_bits.to_bytes(), "{c} {r} {n}");
                assert_eq!(by_pair.is_sparse(), by_bits.is_sparse(), "{c} {r} {n}");
            }
            assert_eq!(by_pair.inserted(), by_bits.inserted());
            assert!(by_pair.contains(&id));
        }
        assert_eq!(by_pair.to_bytes(), by_bits.to_bytes(), "{c} {r}");
        assert!(c == 0 || !by_pair.is_sparse() || p.byte_len() / 16 >= 300);
    }
    assert_eq!(BloomParams::new(100, 0.5).k_hashes, 1);
    assert_eq!(BloomParams::new(100, 1e-12).k_hashes, 40);
}
