//! The allocator of the `payplan` binary and of the benchmark: mimalloc, told never to hand freed
//! memory back to the kernel while the process runs.
//!
//! Reading a large period makes millions of small strings: with the system allocator, malloc,
//! free and page faults were a third of the profile. With mimalloc's default purging, freed
//! memory went back to the kernel and came back as fresh pages for the next step, which the
//! kernel zeroes each time: at 100k participants, 1.0–3.1 s of system time against 0.5 s with
//! purging off (one Rhai run each, `/usr/bin/time`). The price: a process keeps its high-water
//! mark.

pub use mimalloc::MiMalloc;

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
