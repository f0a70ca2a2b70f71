//! The table of the ids a channel holds (`Channel::held`: its local log and SDS-R store), made
//! so that an id's slot can be asked for ahead of a receipt (issue 16).
//!
//! At 10,000 participants each receipt of a new content message looks its id up in the
//! receiver's table (the duplicate check) and then inserts it; both miss the cache, since
//! the receiver's table was last touched thousands of receipts ago: in the flagship run
//! (`large-group-10k.toml`) the look-up was 12% of the samples (`Channel::dep_met`, on the
//! control bytes) and the atomic increment right after the insert another 7%
//! (`MessageId::as_message`, waiting for the insert's store to the bucket to reach its line).
//!
//! `hashbrown` (the table behind std's `HashMap`) says where an id's probe starts only inside:
//! its API gives no address. This table is a `hashbrown::HashMap` whose allocator notes the
//! address of the block it hands out ([`Noted`]), so that [`slot_lines`] can compute where the
//! id's probe starts from `hashbrown` 0.17's layout (`src/raw.rs`:
//! `TableLayout::calculate_layout_for` puts the buckets first, then one control byte per
//! bucket and a group's width more; bucket `i` ends where the control bytes begin, minus `i`
//! buckets; the probe of a hash starts at control byte `hash & (buckets - 1)`, `h1`). That
//! layout is not `hashbrown`'s API: were it to change, the hint would ask for the wrong lines
//! and lose its gain, nothing else (a hint never changes a result, [`super::prefetch`]), and
//! the tests here fail so that it is noticed.

use std::alloc::Layout;
use std::hash::BuildHasher;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use allocator_api2::alloc::{AllocError, Allocator, Global};
use bytes::Bytes;
use rustc_hash::FxBuildHasher;

use super::id::MessageId;
use super::prefetch;

/// Every id in a channel's local log or SDS-R store, with its bytes while in the store
/// (`Channel::held`).
pub(super) type Held = hashbrown::HashMap<MessageId, Option<Arc<Bytes>>, FxBuildHasher, Noted>;

/// An empty [`Held`] (no allocation until the first insert).
pub(super) fn new_held() -> Held {
    Held::with_hasher_in(FxBuildHasher, Noted::default())
}

/// The global allocator, noting the address of the last block it handed out: a table holds
/// one block at a time (a resize allocates the new one before it frees the old), so that
/// is the table's. A clone notes nothing yet (its table allocates its own block).
#[derive(Debug, Default)]
pub(super) struct Noted {
    block: AtomicUsize,
}

impl Clone for Noted {
    fn clone(&self) -> Self {
        Noted::default()
    }
}

// SAFETY: every block comes from `Global` and goes back to it with the same layout;
// `Noted` only records an address, which nothing dereferences.
unsafe impl Allocator for Noted {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        let block = Global.allocate(layout)?;
        self.block
            .store(block.cast::<u8>().as_ptr() as usize, Ordering::Relaxed);
        Ok(block)
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's contract: `ptr` was allocated here (by `Global`) with `layout`.
        unsafe { Global.deallocate(ptr, layout) }
    }
}

/// The width of `hashbrown`'s control-byte group: 16 with SSE2 (every x86-64), else 8.
const GROUP_WIDTH: usize = if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
    16
} else {
    8
};

/// A set of ids whose slots can be asked for like [`Held`]'s ([`prefetch_slot`]).
pub(super) type NotedSet = hashbrown::HashSet<MessageId, FxBuildHasher, Noted>;

/// A table whose slots can be asked for: [`Held`] and [`NotedSet`].
pub(super) trait Noting {
    /// The bytes of one bucket.
    const BUCKET: usize;
    /// The table's allocator, which notes its block.
    fn noted(&self) -> &Noted;
    /// The table's block size in bytes (0 before the first insert).
    fn size(&self) -> usize;
    /// The hash the table computes for `id`.
    fn hash(&self, id: &MessageId) -> u64;
}

/// `Noting` for a `hashbrown` table type with buckets of type `$bucket` (both tables have the
/// same accessors under the same names).
macro_rules! noting {
    ($table:ty, $bucket:ty) => {
        impl Noting for $table {
            const BUCKET: usize = std::mem::size_of::<$bucket>();
            fn noted(&self) -> &Noted {
                self.allocator()
            }
            fn size(&self) -> usize {
                self.allocation_size()
            }
            fn hash(&self, id: &MessageId) -> u64 {
                self.hasher().hash_one(id)
            }
        }
    };
}

noting!(Held, (MessageId, Option<Arc<Bytes>>));
noting!(NotedSet, MessageId);

/// Where `id`'s probe starts in `table`: the address of its first control byte and of its
/// first bucket (where a new id usually goes), or `None` while the table has no block.
/// Addresses only: they may be wrong (see the module docs) and are never dereferenced.
pub(super) fn slot_lines<T: Noting>(table: &T, id: &MessageId) -> Option<(usize, usize)> {
    let block = table.noted().block.load(Ordering::Relaxed);
    lines(table.size(), block, T::BUCKET, table.hash(id))
}

/// Where the probe of `hash` starts in a table of `size` bytes at address `block` whose
/// buckets are `bucket` bytes (the module docs).
fn lines(size: usize, block: usize, bucket: usize, hash: u64) -> Option<(usize, usize)> {
    if size <= GROUP_WIDTH || block == 0 {
        return None;
    }
    // size = round_up(buckets × bucket, 16) + buckets + GROUP_WIDTH, buckets a power of 2.
    let buckets = 1usize << ((size - GROUP_WIDTH) / (bucket + 1)).max(1).ilog2();
    let ctrl = (block + size).checked_sub(GROUP_WIDTH + buckets)?;
    let home = hash as usize & (buckets - 1);
    Some((ctrl + home, ctrl.checked_sub((home + 1) * bucket)?))
}

/// Asks for the cache lines `id`'s look-up and insert in `table` read first
/// ([`slot_lines`]).
#[inline]
pub(super) fn prefetch_slot<T: Noting>(table: &T, id: &MessageId) {
    if let Some((ctrl, bucket)) = slot_lines(table, id) {
        prefetch::read(ctrl as *const u8);
        prefetch::read(bucket as *const u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<MessageId> {
        (0..n)
            .map(|i| MessageId::new(&format!("{i:064x}")))
            .collect()
    }

    /// How many of `ids` sit where `slot` predicts: `slot` gives an id's actual address (of
    /// its key in the table) and its predicted bucket.
    fn at_home(ids: &[MessageId], slot: impl Fn(&MessageId) -> (usize, usize)) -> usize {
        ids.iter()
            .filter(|id| {
                let (actual, predicted) = slot(id);
                actual == predicted
            })
            .count()
    }

    /// The predicted bucket is where `hashbrown` put the id whenever its home bucket was free:
    /// for most ids of a table up to its load limit, map or set. A layout that changed makes
    /// the prediction miss (almost) every id.
    #[test]
    fn the_predicted_bucket_is_where_most_ids_are() {
        for n in [1, 7, 100, 586, 3_000, 10_000] {
            let ids = ids(n);
            let mut held = new_held();
            let mut set = NotedSet::default();
            for id in &ids {
                held.insert(id.clone(), None);
                set.insert(id.clone());
            }
            let in_map = at_home(&ids, |id| {
                let (key, _) = held.get_key_value(id).expect("inserted");
                let (_, bucket) = slot_lines(&held, id).expect("allocated");
                (std::ptr::from_ref(key) as usize, bucket)
            });
            assert!(
                in_map * 2 > n,
                "map: {in_map} of {n} ids in their predicted bucket"
            );
            let in_set = at_home(&ids, |id| {
                let key = set.get(id).expect("inserted");
                let (_, bucket) = slot_lines(&set, id).expect("allocated");
                (std::ptr::from_ref(key) as usize, bucket)
            });
            assert!(
                in_set * 2 > n,
                "set: {in_set} of {n} ids in their predicted bucket"
            );
        }
    }

    /// The predicted control byte lies in the table's block, just past the buckets, and the
    /// prediction follows the table to its new block when it grows, and to a clone's.
    #[test]
    fn the_prediction_follows_the_block() {
        let mut held = new_held();
        let probe = MessageId::new("probe");
        assert_eq!(slot_lines(&held, &probe), None);
        for id in ids(2_000) {
            held.insert(id, None);
            let block = held.allocator().block.load(Ordering::Relaxed);
            let (ctrl, bucket) = slot_lines(&held, &probe).expect("allocated");
            assert!(block <= bucket && bucket < ctrl && ctrl < block + held.allocation_size());
        }
        let copy = held.clone();
        let (key, _) = copy
            .get_key_value(&MessageId::new(&format!("{:064x}", 5)))
            .unwrap();
        let (_, bucket) = slot_lines(&copy, key).unwrap();
        let block = copy.allocator().block.load(Ordering::Relaxed);
        assert!(block <= bucket && bucket < block + copy.allocation_size());
    }
}
