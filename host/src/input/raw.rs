//! The period as found in the JSON, before validation.
//!
//! Every field is read leniently: a value of the wrong form is kept as a [`Loose::Bad`] with the
//! reason, so that validation can report every problem with its path instead of stopping at the
//! first. Only a document whose *shape* is wrong (a deal that is not an object) stops the parse.

use chrono::NaiveDate;
use payplan_sdk::exact::{JSON_NUMBER_TOKEN, normalize, parse_decimal};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

pub use payplan_sdk::period::Attributes;

/// A field's value: of the expected form, or not (with the reason).
#[derive(Debug, Clone, PartialEq)]
pub enum Loose<T> {
    /// Read as expected.
    Ok(T),
    /// Not of the expected form: why.
    Bad(String),
}

/// A kind of value a field expects, read from JSON text or a JSON number.
pub trait Expect: Sized {
    /// What the field expects, for messages: "a decimal".
    const WHAT: &'static str;
    /// Reads a JSON string.
    fn from_text(text: &str) -> Result<Self, String>;
    /// Reads a JSON number, given as its text.
    fn from_number(text: &str) -> Result<Self, String> {
        Err(format!("expected {}, found the number {text}", Self::WHAT))
    }
}

impl Expect for String {
    const WHAT: &'static str = "a string";
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

/// Decimals are kept in their canonical form (no trailing zeros), so that two periods with the
/// same `input_hash` give the same result, explanations included.
impl Expect for Decimal {
    const WHAT: &'static str = "a decimal";
    fn from_text(text: &str) -> Result<Self, String> {
        parse_decimal(text).map(normalize).ok_or_else(|| format!("{text:?} is not a decimal"))
    }
    fn from_number(text: &str) -> Result<Self, String> {
        parse_decimal(text).map(normalize).ok_or_else(|| format!("{text} is not a decimal that fits in 28 digits"))
    }
}

/// A whole number >= 0 (`prior_deals`).
impl Expect for u64 {
    const WHAT: &'static str = "a whole number >= 0";
    fn from_text(text: &str) -> Result<Self, String> {
        text.parse().map_err(|_| format!("{text:?} is not a whole number >= 0"))
    }
    fn from_number(text: &str) -> Result<Self, String> {
        text.parse().map_err(|_| format!("{text} is not a whole number >= 0"))
    }
}

/// A calendar day, read without a copy of its text.
impl Expect for NaiveDate {
    const WHAT: &'static str = "a date (YYYY-MM-DD)";
    fn from_text(text: &str) -> Result<Self, String> {
        iso_date(text).ok_or_else(|| format!("{text:?} is not a date (YYYY-MM-DD)"))
    }
}

/// `YYYY-MM-DD` exactly (a real calendar day), without a format-string parser on the hot path.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(digits(0..4)?).ok()?, digits(5..7)?, digits(8..10)?)
}

impl<'de, T: Expect> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor(PhantomData))
    }
}

struct LooseVisitor<T>(PhantomData<T>);

impl<T: Expect> LooseVisitor<T> {
    fn found<E>(what: &str) -> Result<Loose<T>, E> {
        Ok(Loose::Bad(format!("expected {}, found {what}", T::WHAT)))
    }
}

fn loose<T>(read: Result<T, String>) -> Loose<T> {
    read.map_or_else(Loose::Bad, Loose::Ok)
}

impl<'de, T: Expect> Visitor<'de> for LooseVisitor<T> {
    type Value = Loose<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::WHAT)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(loose(T::from_text(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(loose(T::from_number(&v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(loose(T::from_number(&v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::found(if v { "true" } else { "false" })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::found("null")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Self::found("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(key) = map.next_key::<Key>()? else {
            return Self::found("an object");
        };
        if key.0 == JSON_NUMBER_TOKEN {
            let text: Key = map.next_value()?;
            return Ok(loose(T::from_number(&text.0)));
        }
        map.next_value::<IgnoredAny>()?;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Self::found("an object")
    }
}

/// An object key or short text, borrowed from the input when it has no escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Declares a record read leniently: each listed key fills an `Option` field (null reads as
/// absent), every other key is kept in `attributes`. A listed key given twice is an error (which
/// of the two was meant cannot be known; the fast path refuses it too).
macro_rules! record {
    ($(#[$doc:meta])* $name:ident, $expecting:literal { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        pub struct $name {
            $(#[allow(missing_docs)] pub $field: Option<$ty>,)*
            /// Keys the format does not know.
            pub attributes: Attributes,
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        $(let mut $field = false;)*
                        while let Some(key) = map.next_key::<Key>()? {
                            match &*key.0 {
                                $(stringify!($field) => {
                                    if std::mem::replace(&mut $field, true) {
                                        return Err(de::Error::duplicate_field(stringify!($field)));
                                    }
                                    out.$field = map.next_value()?
                                })*
                                _ => {
                                    out.attributes.insert(key.0.into_owned(), map.next_value()?);
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(V)
            }
        }
    };
}

record!(
    /// The whole period document.
    Document, "a period object" {
        period: Header,
        teams: Vec<Team>,
        participants: Vec<Participant>,
        deals: Vec<Deal>,
    }
);

record!(
    /// `period`.
    Header, "an object with id, start, end and currency" {
        id: Loose<String>,
        start: Loose<NaiveDate>,
        end: Loose<NaiveDate>,
        currency: Loose<String>,
        series: serde_json::Value,
    }
);

record!(
    /// `teams[i]`.
    Team, "a team object" {
        id: Loose<String>,
        name: Loose<String>,
        target: Loose<Decimal>,
    }
);

record!(
    /// `participants[i]`.
    Participant, "a participant object" {
        id: Loose<String>,
        name: Loose<String>,
        team: Loose<String>,
        group: Loose<String>,
        hired_on: Loose<NaiveDate>,
        mentor: Loose<String>,
        manager: Loose<String>,
        active_from: Loose<NaiveDate>,
        active_to: Loose<NaiveDate>,
        draw: serde_json::Value,
        prior_deals: Loose<u64>,
        target: Loose<Decimal>,
        metrics: serde_json::Value,
    }
);

record!(
    /// `deals[i]`.
    Deal, "a deal object" {
        id: Loose<String>,
        participant: Loose<String>,
        amount: Loose<Decimal>,
        closed_on: Loose<NaiveDate>,
        customer: Loose<String>,
        segment: Loose<String>,
        kind: Loose<String>,
        splits: serde_json::Value,
        overlay: serde_json::Value,
        reverses: Loose<String>,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_values_are_kept_with_their_reason() {
        let deal: Deal =
            serde_json::from_str(r#"{"id": 7, "amount": "12,000", "closed_on": null, "customer": [1], "note": 1.50}"#)
                .unwrap();
        assert_eq!(deal.id, Some(Loose::Bad("expected a string, found the number 7".into())));
        assert_eq!(deal.amount, Some(Loose::Bad("\"12,000\" is not a decimal".into())));
        assert_eq!(deal.closed_on, None);
        assert_eq!(deal.customer, Some(Loose::Bad("expected a string, found an array".into())));
        assert_eq!(deal.attributes["note"].to_string(), "1.50");
    }

    #[test]
    fn numbers_are_read_exactly() {
        let deal: Deal = serde_json::from_str(r#"{"amount": 0.1}"#).unwrap();
        assert_eq!(deal.amount, Some(Loose::Ok("0.1".parse().unwrap())));
        let deal: Deal = serde_json::from_str(r#"{"amount": "1200.50"}"#).unwrap();
        let Some(Loose::Ok(amount)) = deal.amount else { panic!("a decimal") };
        assert_eq!(amount.to_string(), "1200.5");
    }
}
