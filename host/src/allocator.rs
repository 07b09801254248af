//! The allocator of the `payplan` binary, the benchmark and the tests: mimalloc, counting on each
//! thread the bytes allocated less the bytes freed there ([`Counting`]), and told never to hand
//! freed memory back to the kernel while the process runs.
//!
//! The count is how a script's memory is limited: a script call runs on one thread, and what it
//! allocates there is the same on every run of the same binary (`runtime::rhai` reads it).
//!
//! Reading a large period makes millions of small strings: with the system allocator, malloc,
//! free and page faults were a third of the profile. With mimalloc's default purging, freed
//! memory went back to the kernel and came back as fresh pages for the next step, which the
//! kernel zeroes each time: at 100k participants, 1.0–3.1 s of system time against 0.5 s with
//! purging off (one Rhai run each, `/usr/bin/time`). The price: a process keeps its high-water
//! mark.

pub use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// Bytes allocated less bytes freed on this thread (negative when it frees what another
    /// thread allocated).
    static HELD: Cell<i64> = const { Cell::new(0) };
}

fn count(bytes: i64) {
    // `try_with`: a thread being torn down frees memory after its locals are gone.
    let _ = HELD.try_with(|held| held.set(held.get().wrapping_add(bytes)));
}

fn size(layout: Layout) -> i64 {
    i64::try_from(layout.size()).unwrap_or(i64::MAX)
}

/// Bytes allocated less bytes freed on this thread since it started (see [`Counting`]); a
/// difference of two readings is what the code between them holds. Always 0 in a program whose
/// global allocator is not [`Counting`].
#[inline]
pub fn held() -> i64 {
    HELD.with(Cell::get)
}

/// Whether the global allocator is [`Counting`] (a script's memory limit needs it).
pub fn is_counting() -> bool {
    let before = held();
    let probe = std::hint::black_box(Box::new(0u64));
    let counted = held() != before;
    drop(probe);
    counted
}

/// mimalloc, counting what each thread holds: install it with `#[global_allocator]`.
pub struct Counting;

// SAFETY: every call is passed on to mimalloc unchanged; the count is a thread-local integer
// (const-initialised, no destructor), which allocates nothing.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(size(layout));
        // SAFETY: the caller's contract is passed on.
        unsafe { MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(size(layout));
        // SAFETY: the caller's contract is passed on.
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-size(layout));
        // SAFETY: the caller's contract is passed on.
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(i64::try_from(new_size).unwrap_or(i64::MAX) - size(layout));
        // SAFETY: the caller's contract is passed on.
        unsafe { MiMalloc.realloc(ptr, layout, new_size) }
    }
}

/// `mi_option_purge_delay` in mimalloc's `mimalloc.h` (v3), which libmimalloc-sys does not name.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Turns purging off; call it first thing in `main`.
pub fn keep_freed_memory() {
    // SAFETY: sets a process-wide option, which mimalloc allows at any time from any thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
    }
}

/// Hands what this thread freed back to the kernel now (mimalloc purges a thread's pages only
/// when that thread allocates again: an idle worker would keep them).
pub fn release_freed() {
    // SAFETY: mi_collect may be called from any thread at any time.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// The purge delay now in force, in milliseconds (-1: never).
pub fn purge_delay() -> std::ffi::c_long {
    // SAFETY: reads a process-wide option.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_get(PURGE_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // mimalloc v3's default purge delay is 1000 ms; no other option starts at 1000.
        assert_eq!(purge_delay(), 1000);
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }
}
