//! The period reader: the fast path and the lenient one give one verdict and one period, and
//! neither panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match payplan::input::read_both(bytes) {
        (Some(fast), Ok(lenient)) => assert_eq!(fast, lenient, "the two readers read different periods"),
        (None, Err(problems)) => assert!(!problems.is_empty(), "refused without a problem"),
        (fast, lenient) => panic!(
            "the fast reader {} and the lenient one {}",
            if fast.is_some() { "accepts" } else { "refuses" },
            if lenient.is_ok() { "accepts" } else { "refuses" },
        ),
    }
});
