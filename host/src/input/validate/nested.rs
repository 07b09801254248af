//! Values nested in a record: a period's series, a participant's metrics and draw, decimals
//! inside them.

use super::{At, Problems};
use crate::input::raw;
use chrono::NaiveDate;
use payplan_sdk::period::{Draw, DrawKind, Metric, Series};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// `period.series`: `{id, start}`, the series starting on or before the period.
pub(super) fn series(p: &mut Problems, value: serde_json::Value, period_start: Option<NaiveDate>) -> Option<Series> {
    let serde_json::Value::Object(map) = value else {
        p.push("period.series".into(), "expected an object with id and start");
        return None;
    };
    for key in ["id", "start"].into_iter().filter(|k| !map.contains_key(*k)) {
        p.push(format!("period.series.{key}"), "is required");
    }
    let (mut id, mut start) = (None, None);
    for (key, v) in map {
        match (key.as_str(), v) {
            ("id", serde_json::Value::String(s)) if !s.is_empty() => id = Some(s),
            ("id", other) => p.push("period.series.id".into(), format!("expected a non-empty string, found {other}")),
            ("start", serde_json::Value::String(s)) => match <NaiveDate as raw::Expect>::from_text(&s) {
                Ok(day) => start = Some(day),
                Err(why) => p.push("period.series.start".into(), why),
            },
            ("start", other) => p.push("period.series.start".into(), format!("expected a date, found {other}")),
            (other, _) => p.push(format!("period.series.{other}"), "unknown field: a series has id and start"),
        }
    }
    if let (Some(s), Some(first)) = (start, period_start)
        && s > first
    {
        p.push("period.series.start".into(), format!("{s} is after the period's start {first}"));
    }
    Some(Series { id: id?, start: start? })
}

pub(super) fn metrics(p: &mut Problems, at: At, value: serde_json::Value) -> Option<BTreeMap<String, Metric>> {
    let serde_json::Value::Object(map) = value else {
        p.push(at.field("metrics"), "expected an object of name to decimal");
        return None;
    };
    let mut out = BTreeMap::new();
    for (name, v) in map {
        match json_decimal(&v) {
            Ok(d) => {
                out.insert(name, Metric(d));
            }
            Err(why) => p.push(at.field(&format!("metrics.{name}")), why),
        }
    }
    Some(out)
}

/// `participants[i].draw`: `{kind, amount}`, kind `guarantee` or `recoverable`, amount >= 0.
pub(super) fn draw(p: &mut Problems, at: At, value: serde_json::Value) -> Option<Draw> {
    let serde_json::Value::Object(map) = value else {
        p.push(at.field("draw"), "expected an object with kind and amount");
        return None;
    };
    let (mut kind, mut amount) = (None, None);
    for key in ["kind", "amount"].into_iter().filter(|k| !map.contains_key(*k)) {
        p.push(at.field(&format!("draw.{key}")), "is required");
    }
    for (key, v) in map {
        match key.as_str() {
            "kind" => match v.as_str() {
                Some("guarantee") => kind = Some(DrawKind::Guarantee),
                Some("recoverable") => kind = Some(DrawKind::Recoverable),
                _ => p.push(at.field("draw.kind"), format!("{v} is not one of \"guarantee\", \"recoverable\"")),
            },
            "amount" => match json_decimal(&v) {
                Ok(d) if !d.is_sign_negative() || d.is_zero() => amount = Some(d),
                Ok(d) => p.push(at.field("draw.amount"), format!("{d} must not be negative")),
                Err(why) => p.push(at.field("draw.amount"), why),
            },
            other => p.push(at.field(&format!("draw.{other}")), "unknown field: a draw has kind and amount"),
        }
    }
    Some(Draw { kind: kind?, amount: amount? })
}

/// A decimal given in a JSON value: a string or a number, read exactly.
pub(super) fn json_decimal(v: &serde_json::Value) -> Result<Decimal, String> {
    match v {
        serde_json::Value::Number(n) => <Decimal as raw::Expect>::from_number(&n.to_string()),
        serde_json::Value::String(s) => <Decimal as raw::Expect>::from_text(s),
        other => Err(format!("expected a decimal, found {other}")),
    }
}
