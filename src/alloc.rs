//! The process allocator of `sim` and the benchmarks: mimalloc, asking for its plain
//! `mi_malloc` whenever that already gives the alignment asked for.
//!
//! `mimalloc::MiMalloc` (crate `mimalloc` 0.1.52, `src/lib.rs`) calls `mi_malloc_aligned` for
//! every allocation, which costs 78 instructions against `mi_malloc`'s fast path (callgrind
//! on `benches/core.rs`, docs/performance.md "Core receive path"). mimalloc aligns every block
//! of 16 bytes or more to 16 bytes (`MI_MAX_ALIGN_SIZE`; vendored mimalloc v3
//! `include/mimalloc/types.h` `MI_PAGE_MIN_START_BLOCK_ALIGN`, `src/alloc.c` line 52: blocks
//! of two words or more are rounded to even words, `src/page-queue.c` `MI_ALIGN2W`), and
//! every block to the word (8 bytes; a request under 16 bytes may get an 8-byte block, only
//! word-aligned: `blocks_are_aligned_as_asked` found it). [`Allocator`] therefore calls
//! `mi_malloc` / `mi_zalloc` / `mi_realloc` for alignments up to 8 bytes, and up to 16 for
//! 16 bytes or more, and the `_aligned` variants otherwise; freeing is `mi_free` either way.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as ffi;

/// Largest alignment `mi_malloc` guarantees for blocks of at least this many bytes
/// (`MI_MAX_ALIGN_SIZE`, bytes).
const MI_MAX_ALIGN_SIZE: usize = 16;

/// `mi_option_purge_delay`: the 16th option of `mi_option_e` (vendored mimalloc v3
/// `include/mimalloc.h`), milliseconds before freed pages go back to the OS; default 1000
/// (`src/options.c` line 140), -1 never. libmimalloc-sys 0.1.49's `extended` constants stop
/// at the v2 names, so the value is spelled here and checked by a test.
const MI_OPTION_PURGE_DELAY: ffi::mi_option_t = 15;

/// Tells mimalloc to keep the pages it frees instead of returning them to the OS (purge delay
/// -1), so that memory freed during a run (a participant's grown log, the frozen cores before
/// the report) is reused without the kernel zeroing, and on a VM the host faulting in, fresh
/// pages. Peak RSS grows by what a purge would have returned before the peak (the flagship
/// 570 → 577 MB, `large-group-100k.toml` 1.69 → 1.81 GB); the memory goes back when the
/// process exits. Call it first in `main`, before anything allocates much; `sim` and
/// `benches/scale.rs` do. Measured in docs/performance.md ("Memory at the report and between
/// runs": minor faults of the flagship ~40,000 → ~600, `sys` 0.95 to 1.51 → 0.79 to 0.87 s).
pub fn keep_freed_pages() {
    // SAFETY: setting an option is allowed at any time; mimalloc reads it when it purges.
    unsafe { ffi::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// Whether `mi_malloc(size)` is aligned to `align` (see the module docs).
#[inline]
fn plain_suffices(size: usize, align: usize) -> bool {
    align <= 8 || (align <= MI_MAX_ALIGN_SIZE && size >= MI_MAX_ALIGN_SIZE)
}

/// mimalloc as a [`GlobalAlloc`], calling the unaligned entry points when they suffice (see
/// the module docs). Use as `#[global_allocator] static A: sdsim::alloc::Allocator =
/// sdsim::alloc::Allocator;`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocator;

// SAFETY: every pointer returned comes from mimalloc with at least `layout.align()` alignment
// (see the module docs for the unaligned calls) and `layout.size()` bytes, or is null on
// failure; every pointer freed or reallocated was returned by mimalloc.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain_suffices(layout.size(), layout.align()) {
            ffi::mi_malloc(layout.size()).cast()
        } else {
            ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain_suffices(layout.size(), layout.align()) {
            ffi::mi_zalloc(layout.size()).cast()
        } else {
            ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        ffi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain_suffices(new_size, layout.align()) {
            ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number spelled in [`MI_OPTION_PURGE_DELAY`] is the purge delay: it holds
    /// mimalloc's documented default, 1000 ms, until set (tests run in one process, so the
    /// test reads it without setting it).
    #[test]
    fn purge_delay_is_the_option_asked_for() {
        // SAFETY: reading an option has no preconditions.
        let delay_ms = unsafe { ffi::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay_ms, 1000);
    }

    /// Every size from 1 to 4 KiB (and some large ones) at every alignment up to 64 comes back
    /// aligned, reallocates aligned and frees.
    #[test]
    fn blocks_are_aligned_as_asked() {
        let a = Allocator;
        let sizes = (1..=4096).chain([65_536, 1 << 20, (1 << 22) + 3]);
        for size in sizes {
            for align in [1, 2, 4, 8, 16, 32, 64] {
                let layout = Layout::from_size_align(size, align).expect("layout");
                // SAFETY: non-zero size; the pointers are checked and freed with the layout.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} align {align}");
                    p.write_bytes(0xab, size);
                    let q = a.realloc(p, layout, size * 2 + 1);
                    assert!(!q.is_null());
                    assert_eq!(q as usize % align, 0, "realloc {size} align {align}");
                    assert_eq!(*q.add(size - 1), 0xab);
                    a.dealloc(
                        q,
                        Layout::from_size_align(size * 2 + 1, align).expect("layout"),
                    );
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zalloc {size} align {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
