//! Reading values out of a parsed TOML file (a plan, a policy test file), with errors naming the
//! file, line and column.

use crate::error::{Error, Position, Result};
use payplan_sdk::exact::parse_decimal;
use serde_json::{Map, Number, Value as Json};
use std::ops::Range;
use std::path::Path;
use toml_edit::{Item, Table, Value};

/// Reads values out of a parsed TOML file, with errors naming the file, line and column (also
/// used for policy test files).
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a Path,
    pub(crate) text: &'a str,
}

impl Reader<'_> {
    pub(crate) fn error(&self, span: Option<Range<usize>>, message: impl std::fmt::Display) -> Error {
        Error::plan(self.file, span.map(|s| line_column(self.text, s.start)), message.to_string())
    }

    pub(crate) fn known_keys(&self, table: &Table, known: &[&str]) -> Result<()> {
        for (key, item) in table.iter() {
            if !known.contains(&key) {
                let span = table.key(key).and_then(|k| k.span()).or_else(|| item.span());
                return Err(self.error(span, format!("unknown key `{key}` (expected one of {})", known.join(", "))));
            }
        }
        Ok(())
    }

    pub(crate) fn string(&self, table: &Table, key: &str, default: Option<&str>) -> Result<String> {
        match table.get(key) {
            Some(Item::Value(Value::String(s))) => Ok(s.value().clone()),
            Some(other) => Err(self.error(other.span(), format!("`{key}` must be a string"))),
            None => default.map(str::to_owned).ok_or_else(|| self.error(table.span(), format!("`{key}` is required"))),
        }
    }

    /// An optional amount >= 0 (a number or a decimal in text): a cap.
    pub(crate) fn amount(&self, table: &Table, key: &str) -> Result<Option<rust_decimal::Decimal>> {
        let Some(item) = table.get(key) else { return Ok(None) };
        let text = match self.json(item)? {
            Json::Number(n) => n.to_string(),
            Json::String(s) => s,
            _ => String::new(),
        };
        match payplan_sdk::exact::parse_decimal(&text) {
            Some(d) if !d.is_sign_negative() => Ok(Some(d)),
            _ => Err(self.error(item.span(), format!("`{key}` must be an amount >= 0"))),
        }
    }

    /// A TOML item as JSON, numbers exact (an integer or float becomes the decimal of its text).
    pub(crate) fn json(&self, item: &Item) -> Result<Json> {
        match item {
            Item::Value(v) => self.value(v),
            Item::Table(t) => {
                let mut map = Map::new();
                for (k, v) in t.iter() {
                    map.insert(k.to_owned(), self.json(v)?);
                }
                Ok(Json::Object(map))
            }
            Item::ArrayOfTables(list) => {
                list.iter().map(|t| self.json(&Item::Table(t.clone()))).collect::<Result<_>>().map(Json::Array)
            }
            Item::None => Ok(Json::Null),
        }
    }

    fn value(&self, value: &Value) -> Result<Json> {
        Ok(match value {
            Value::String(s) => Json::String(s.value().clone()),
            Value::Boolean(b) => Json::Bool(*b.value()),
            Value::Datetime(d) => Json::String(d.value().to_string()),
            Value::Integer(n) => Json::Number(n.value().to_owned().into()),
            Value::Float(_) => {
                let raw = value.span().map(|s| self.text[s].replace('_', "")).unwrap_or_default();
                let exact = parse_decimal(&raw).and_then(|d| d.to_string().parse::<Number>().ok());
                Json::Number(exact.ok_or_else(|| self.error(value.span(), format!("{raw} is not a decimal")))?)
            }
            Value::Array(items) => Json::Array(items.iter().map(|v| self.value(v)).collect::<Result<_>>()?),
            Value::InlineTable(t) => {
                let mut map = Map::new();
                for (k, v) in t.iter() {
                    map.insert(k.to_owned(), self.value(v)?);
                }
                Json::Object(map)
            }
        })
    }
}

/// The line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position { line, column }
}
