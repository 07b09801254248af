//! Exact decimals on the wire.
//!
//! Output always writes a decimal as a JSON string with its scale (`"14400.00"`). Input accepts a
//! string or a JSON number; with `serde_json`'s `arbitrary_precision` a number arrives as its text,
//! so `0.1` is exactly one tenth.

use rust_decimal::Decimal;
use serde::{Deserializer, Serializer, de};
use std::fmt;

/// The key under which `serde_json` (feature `arbitrary_precision`) hands a number's text to a
/// visitor.
pub const JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Parses decimal text exactly: plain (`-12.50`) or scientific (`1.25e3`). Too many significant
/// digits is an error, never a silent rounding.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('+') {
        return None;
    }
    if text.contains(['e', 'E']) { Decimal::from_scientific(text).ok() } else { Decimal::from_str_exact(text).ok() }
}

/// The exact value without trailing zeros: `1200.50` → `1200.5`, `3.0` → `3`, `-0` → `0`.
pub fn normalize(d: Decimal) -> Decimal {
    let mut d = d.normalize();
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

/// Serialises a decimal as a string with its scale.
pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Deserialises a decimal from a string or a JSON number, exactly.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

struct DecimalVisitor;

impl<'de> de::Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal as a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).ok_or_else(|| E::custom(format!("{v:?} is not a decimal")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == JSON_NUMBER_TOKEN => {
                let text: String = map.next_value()?;
                self.visit_str(&text)
            }
            _ => Err(de::Error::custom("expected a decimal, found an object")),
        }
    }
}

/// The same helpers for an optional decimal.
pub mod option {
    use super::*;

    /// Serialises `Some(d)` as a string; `None` as null (skip it with `skip_serializing_if`).
    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }

    /// Deserialises an optional decimal; null is `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        struct Opt;
        impl<'de> de::Visitor<'de> for Opt {
            type Value = Option<Decimal>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                super::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }
}

/// The OpenAPI schema of a decimal the service reads: decimal text (`"1250.00"`, `"1.25e3"`) or
/// a JSON number, which is read from its text exactly.
#[cfg(feature = "openapi")]
pub struct DecimalIn;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DecimalIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = ObjectBuilder::new().schema_type(Type::String).examples(["1250.00"]);
        OneOfBuilder::new()
            .description(Some("An exact decimal: its text, or a JSON number (read from its text, never as a float)"))
            .item(text)
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DecimalIn {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, serde::Serialize)]
    struct Wrap(#[serde(with = "super")] Decimal);

    #[test]
    fn numbers_and_strings_are_read_exactly() {
        for (json, text) in [
            ("0.1", "0.1"),
            ("\"1200.50\"", "1200.50"),
            ("1.25e3", "1250"),
            ("-3", "-3"),
            ("12345678901234567890.12345678", "12345678901234567890.12345678"),
        ] {
            let Wrap(d) = serde_json::from_str(json).unwrap();
            assert_eq!(d.to_string(), text, "{json}");
        }
    }

    #[test]
    fn bad_decimals_are_errors() {
        for json in ["\"12,000\"", "\"\"", "\"NaN\"", "\"1e400\"", "true", "\"+1\""] {
            assert!(serde_json::from_str::<Wrap>(json).is_err(), "{json}");
        }
        // More digits than a decimal holds would have to be rounded: refused.
        assert!(parse_decimal("0.00000000000000000000000000001").is_none());
        assert!(parse_decimal("100000000000000000000000000000.5").is_none());
    }

    #[test]
    fn output_is_a_string_with_its_scale() {
        let d = parse_decimal("14400.00").unwrap();
        assert_eq!(serde_json::to_string(&Wrap(d)).unwrap(), "\"14400.00\"");
    }
}
