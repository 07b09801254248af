//! The plugin reply decoders (ABI versions 1 and 2): any bytes are an output whose lines and
//! scores name participants of the period (each scored once, for version 1), or a message; never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payplan::facts::Facts;
use std::collections::BTreeSet;
use std::sync::OnceLock;

const PERIOD: &[u8] = include_bytes!("../../examples/period-2026-03.json");

fn facts() -> &'static Facts {
    static FACTS: OnceLock<Facts> = OnceLock::new();
    FACTS.get_or_init(|| {
        let input = payplan::input::parse_period(PERIOD).expect("the example period is valid");
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread pool");
        Facts::new(input, payplan::money::Rounding::HalfUp, &pool).expect("the example period's facts")
    })
}

fuzz_target!(|bytes: &[u8]| {
    let facts = facts();
    match payplan::runtime::wasm::decode_reply("plugin", bytes, facts) {
        Ok(output) => {
            let n = facts.participants.len();
            assert!(output.lines.iter().all(|l| l.who < n));
            let scored: BTreeSet<_> = output.scores.iter().map(|s| s.who).collect();
            assert_eq!(scored.len(), output.scores.len(), "a participant scored twice");
        }
        Err(_) => {}
    }
    let n = facts.participants.len();
    if let Ok(Ok(out)) = payplan_sdk::abi::v2::decode_reply(bytes, n) {
        assert!(out.lines.iter().all(|l| l.who < n) && out.scores.iter().all(|s| s.who < n));
    }
});
