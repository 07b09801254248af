//! JSON values (params, attributes) as script values.

use payplan_sdk::exact::parse_decimal;
use rhai::{Dynamic, ImmutableString, Map};
use serde_json::Value as Json;

/// How [`from_json`] reads text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Text stays text.
    Kept,
    /// Text that reads exactly as a decimal is a decimal (formats.md: in TOML a decimal may be
    /// a string or a bare number), other text stays text.
    Decimal,
}

/// A JSON value (params, attributes) as a script value; numbers become exact decimals.
pub fn from_json(value: &Json, text: Text) -> Result<Dynamic, String> {
    Ok(match value {
        Json::Null => Dynamic::UNIT,
        Json::Bool(b) => Dynamic::from_bool(*b),
        Json::Number(n) => {
            let text = n.to_string();
            Dynamic::from_decimal(parse_decimal(&text).ok_or_else(|| format!("{text} is not a decimal"))?)
        }
        Json::String(s) => match (text, parse_decimal(s)) {
            (Text::Decimal, Some(d)) => Dynamic::from_decimal(d),
            _ => Dynamic::from(ImmutableString::from(s.as_str())),
        },
        Json::Array(items) => {
            Dynamic::from_array(items.iter().map(|item| from_json(item, text)).collect::<Result<_, _>>()?)
        }
        Json::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.as_str().into(), from_json(v, text)?);
            }
            Dynamic::from_map(out)
        }
    })
}
