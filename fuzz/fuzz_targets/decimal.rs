//! The decimal reader: text it accepts is written back and read again to the same value and
//! scale, as a JSON string and as a JSON number, and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payplan_sdk::exact;
use rust_decimal::Decimal;

#[derive(serde::Serialize, serde::Deserialize)]
struct Amount(#[serde(with = "payplan_sdk::exact")] Decimal);

fuzz_target!(|text: &str| {
    if let Some(d) = exact::parse_decimal(text) {
        let written = d.to_string();
        let again = exact::parse_decimal(&written).expect("a written decimal reads again");
        assert_eq!((again, again.scale()), (d, d.scale()), "{text:?} → {written:?}");
        let json = serde_json::to_string(&Amount(d)).expect("a decimal serialises");
        let Amount(back) = serde_json::from_str(&json).expect("a serialised decimal deserialises");
        assert_eq!((back, back.scale()), (d, d.scale()), "{json}");
        let Amount(number) = serde_json::from_str(&written).expect("a written decimal is a JSON number");
        assert_eq!((number, number.scale()), (d, d.scale()), "{written}");
    }
    // Any JSON at all: a decimal or an error, never a panic.
    let _ = serde_json::from_str::<Amount>(text);
});
