//! Cache prefetch hints, for hosts that feed many channels in turn.
//!
//! A host running thousands of channels (a simulator, a relay) touches one channel's state
//! that is cold in cache per message: it waits on memory, not on instructions. A host that
//! knows which channel gets the next messages can ask for that state ahead of time
//! ([`super::Channel::prefetch`]), overlapping the misses with the work in between.
//!
//! A hint never changes what a program computes: the processor may ignore it, and a hint
//! for an address that is not mapped is dropped without a fault. So no result depends on
//! it, and on targets without a prefetch instruction it does nothing.

/// Asks the processor to bring the cache line holding `p` into all cache levels (x86-64
/// `prefetcht0`; nothing elsewhere). `p` may dangle: it is never dereferenced.
#[inline(always)]
pub fn read<T: ?Sized>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` only hints the cache; it reads nothing the program can observe
    // and does not fault on any address. SSE is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`read`] on each of the first `lines` 64-byte cache lines from `p`.
#[inline(always)]
pub fn read_lines<T: ?Sized>(p: *const T, lines: usize) {
    let p = p.cast::<u8>();
    for i in 0..lines {
        read(p.wrapping_add(i * 64));
    }
}
