//! The canonical period and its hash (formats.md, `input_hash`): teams, participants and deals
//! sorted by id, object keys sorted, no insignificant white space, decimals as strings of their
//! exact value without trailing zeros. Written into the hasher as it is made, never built whole
//! in memory: the lists' records are written in parallel chunks, then hashed in order.
//!
//! This runs over every byte of the period, so it writes each record's known fields in their
//! fixed key order, merged with its unknown fields, without building anything per record.

use crate::chunked::write_in_chunks;
use chrono::{Datelike, NaiveDate};
use payplan_sdk::exact::{normalize as normal, parse_decimal};
use payplan_sdk::period::{Attributes, Deal, Draw, DrawKind, Metric, Participant, Period, Series, Share, Team};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// `sha256:<hex>` of the canonical period.
pub fn input_hash(period: &Period) -> String {
    crate::hash::sha256_streamed(|w| write_period(w, period))
}

/// A known field's value in the canonical form.
#[derive(Clone, Copy)]
enum Val<'a> {
    Str(&'a str),
    Dec(Decimal),
    Int(u64),
    Date(NaiveDate),
    Metrics(&'a BTreeMap<String, Metric>),
    /// Splits or overlay, already sorted by participant.
    Shares(&'a [Share]),
    /// The period's series.
    Series(&'a Series),
    /// A participant's draw.
    Draw(&'a Draw),
    /// Written by the caller (the period's lists and header).
    Nested,
}

/// A record's known fields, sorted by key; `None` is an absent field.
type Known<'a, const N: usize> = [(&'static str, Option<Val<'a>>); N];

fn write_period(w: &mut (impl Write + Send), period: &Period) -> io::Result<()> {
    let info = &period.period;
    // Validation leaves the lists sorted by id.
    let top: Known<4> = [
        ("deals", Some(Val::Nested)),
        ("participants", Some(Val::Nested)),
        ("period", Some(Val::Nested)),
        ("teams", Some(Val::Nested)),
    ];
    write_record(w, &top, &period.attributes, |w, key| match key {
        "deals" => write_list(w, &period.deals, deal),
        "participants" => write_list(w, &period.participants, participant),
        "period" => {
            let known: Known<5> = [
                ("currency", Some(Val::Str(&info.currency))),
                ("end", Some(Val::Date(info.end))),
                ("id", Some(Val::Str(&info.id))),
                ("series", info.series.as_ref().map(Val::Series)),
                ("start", Some(Val::Date(info.start))),
            ];
            write_record(w, &known, &info.attributes, unreachable_nested)
        }
        _ => write_list(w, &period.teams, team),
    })
}

fn deal(w: &mut Vec<u8>, d: &Deal) -> io::Result<()> {
    let known: Known<10> = [
        ("amount", Some(Val::Dec(d.amount))),
        ("closed_on", Some(Val::Date(d.closed_on))),
        ("customer", d.customer.as_deref().map(Val::Str)),
        ("id", Some(Val::Str(&d.id))),
        ("kind", d.kind.as_deref().map(Val::Str)),
        ("overlay", shares(&d.overlay)),
        ("participant", d.participant.as_deref().map(Val::Str)),
        ("reverses", d.reverses.as_deref().map(Val::Str)),
        ("segment", d.segment.as_deref().map(Val::Str)),
        ("splits", shares(&d.splits)),
    ];
    write_record(w, &known, &d.attributes, unreachable_nested)
}

/// Splits or overlay: absent when empty.
fn shares(list: &[Share]) -> Option<Val<'_>> {
    (!list.is_empty()).then_some(Val::Shares(list))
}

fn participant(w: &mut Vec<u8>, p: &Participant) -> io::Result<()> {
    let known: Known<13> = [
        ("active_from", p.active_from.map(Val::Date)),
        ("active_to", p.active_to.map(Val::Date)),
        ("draw", p.draw.as_ref().map(Val::Draw)),
        ("group", p.group.as_deref().map(Val::Str)),
        ("hired_on", p.hired_on.map(Val::Date)),
        ("id", Some(Val::Str(&p.id))),
        ("manager", p.manager.as_deref().map(Val::Str)),
        ("mentor", p.mentor.as_deref().map(Val::Str)),
        ("metrics", p.metrics.as_ref().map(Val::Metrics)),
        ("name", p.name.as_deref().map(Val::Str)),
        ("prior_deals", p.prior_deals.map(Val::Int)),
        ("target", p.target.map(Val::Dec)),
        ("team", p.team.as_deref().map(Val::Str)),
    ];
    write_record(w, &known, &p.attributes, unreachable_nested)
}

fn team(w: &mut Vec<u8>, t: &Team) -> io::Result<()> {
    let known: Known<3> =
        [("id", Some(Val::Str(&t.id))), ("name", t.name.as_deref().map(Val::Str)), ("target", t.target.map(Val::Dec))];
    write_record(w, &known, &t.attributes, unreachable_nested)
}

fn unreachable_nested<W: Write>(_: &mut W, key: &str) -> io::Result<()> {
    unreachable!("{key} is not a nested field")
}

/// A list, its records written in parallel chunks (a period's deals are most of its bytes).
fn write_list<T: Sync>(
    w: &mut (impl Write + Send),
    items: &[T],
    item: fn(&mut Vec<u8>, &T) -> io::Result<()>,
) -> io::Result<()> {
    w.write_all(b"[")?;
    write_in_chunks(w, items, |buf, i, x| {
        if i > 0 {
            buf.push(b',');
        }
        item(buf, x)
    })?;
    w.write_all(b"]")
}

/// The known fields merged with the unknown ones, in key order (unknown keys never equal a known
/// one: reading the period files them as known).
fn write_record<W: Write + Send>(
    w: &mut W,
    known: &[(&'static str, Option<Val>)],
    attributes: &Attributes,
    mut nested: impl FnMut(&mut W, &str) -> io::Result<()>,
) -> io::Result<()> {
    let mut known = known.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).peekable();
    let mut unknown = attributes.iter().peekable();
    let mut first = true;
    loop {
        let take_known = match (known.peek(), unknown.peek()) {
            (Some((k, _)), Some((u, _))) => *k < u.as_str(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        w.write_all(if first { b"{" } else { b"," })?;
        first = false;
        if take_known {
            let (key, val) = known.next().expect("peeked");
            write_key(w, key)?;
            match val {
                Val::Nested => nested(w, key)?,
                val => write_val(w, val)?,
            }
        } else {
            let (key, val) = unknown.next().expect("peeked");
            write_key(w, key)?;
            write_json(w, val)?;
        }
    }
    w.write_all(if first { b"{}" } else { b"}" })
}

/// An object whose entries come in key order.
fn write_object<'a, W: Write, V>(
    w: &mut W,
    entries: impl IntoIterator<Item = (&'a String, V)>,
    mut value: impl FnMut(&mut W, V) -> io::Result<()>,
) -> io::Result<()> {
    let mut first = true;
    for (key, v) in entries {
        w.write_all(if first { b"{" } else { b"," })?;
        first = false;
        write_key(w, key)?;
        value(w, v)?;
    }
    w.write_all(if first { b"{}" } else { b"}" })
}

fn write_key(w: &mut impl Write, key: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, key)?;
    w.write_all(b":")
}

fn write_val(w: &mut impl Write, val: Val) -> io::Result<()> {
    match val {
        Val::Str(s) => Ok(serde_json::to_writer(w, s)?),
        Val::Dec(d) => {
            w.write_all(b"\"")?;
            write_decimal(w, d)?;
            w.write_all(b"\"")
        }
        Val::Int(n) => w.write_all(itoa::Buffer::new().format(n).as_bytes()),
        Val::Date(d) => write_date(w, d),
        Val::Metrics(m) => write_object(w, m, |w, value| write_val(w, Val::Dec(value.0))),
        Val::Draw(draw) => {
            w.write_all(b"{\"amount\":")?;
            write_val(w, Val::Dec(draw.amount))?;
            let kind = match draw.kind {
                DrawKind::Guarantee => "guarantee",
                DrawKind::Recoverable => "recoverable",
            };
            w.write_all(b",\"kind\":")?;
            write_val(w, Val::Str(kind))?;
            w.write_all(b"}")
        }
        Val::Series(series) => {
            w.write_all(b"{\"id\":")?;
            write_val(w, Val::Str(&series.id))?;
            w.write_all(b",\"start\":")?;
            write_date(w, series.start)?;
            w.write_all(b"}")
        }
        Val::Shares(list) => {
            for (i, s) in list.iter().enumerate() {
                w.write_all(if i == 0 { b"[{\"participant\":" } else { b",{\"participant\":" })?;
                write_val(w, Val::Str(&s.participant))?;
                w.write_all(b",\"share\":")?;
                write_val(w, Val::Dec(s.share))?;
                w.write_all(b"}")?;
            }
            w.write_all(b"]")
        }
        Val::Nested => unreachable!("nested fields are written by their record"),
    }
}

/// The exact value without trailing zeros, as `Decimal`'s `Display` writes it, without the
/// formatting machinery.
fn write_decimal(w: &mut impl Write, d: Decimal) -> io::Result<()> {
    let d = normal(d);
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(d.mantissa().unsigned_abs()).as_bytes();
    let scale = d.scale() as usize;
    if d.is_sign_negative() {
        w.write_all(b"-")?;
    }
    if scale == 0 {
        return w.write_all(digits);
    }
    if digits.len() <= scale {
        w.write_all(b"0.")?;
        for _ in digits.len()..scale {
            w.write_all(b"0")?;
        }
        return w.write_all(digits);
    }
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    w.write_all(whole)?;
    w.write_all(b".")?;
    w.write_all(fraction)
}

/// `"YYYY-MM-DD"`: validated dates have four-digit years.
fn write_date(w: &mut impl Write, d: NaiveDate) -> io::Result<()> {
    let (year, month, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&year) {
        return write!(w, "\"{d}\"");
    }
    let year = year as u32;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    w.write_all(&[
        b'"',
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
        b'"',
    ])
}

/// Any JSON value (an unknown field) in canonical form: keys sorted, numbers as their exact value
/// without trailing zeros.
fn write_json(w: &mut (impl Write + Send), v: &Value) -> io::Result<()> {
    match v {
        Value::Number(n) => match parse_decimal(&n.to_string()) {
            Some(d) => write_decimal(w, d),
            None => write!(w, "{n}"),
        },
        Value::Array(items) => write_list(w, items, write_json),
        Value::Object(map) => {
            // Sorted here: whether serde_json's map keeps document order depends on its
            // `preserve_order` feature, which another crate may switch on.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by_key(|(key, _)| key.as_str());
            write_object(w, entries, |w, value| write_json(w, value))
        }
        other => Ok(serde_json::to_writer(w, other)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical form by the slow road: the period as a JSON value, each record's unknown
    /// fields lifted into it, numbers normalised, every map rebuilt in key order.
    fn reference(period: &Period) -> String {
        fn sorted(map: serde_json::Map<String, Value>) -> Value {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        fn lift(v: Value) -> Value {
            match v {
                Value::Object(map) => {
                    let mut out = serde_json::Map::new();
                    for (k, v) in map {
                        match (k.as_str(), v) {
                            ("attributes", Value::Object(attrs)) => {
                                out.extend(attrs.into_iter().map(|(k, v)| (k, plain(v))))
                            }
                            (_, v) => {
                                out.insert(k, lift(v));
                            }
                        }
                    }
                    sorted(out)
                }
                Value::Array(items) => Value::Array(items.into_iter().map(lift).collect()),
                // Decimals are read normalised, and serialise as strings of their exact value.
                other => other,
            }
        }
        fn plain(v: Value) -> Value {
            match v {
                Value::Number(n) => match parse_decimal(&n.to_string()) {
                    Some(d) => serde_json::from_str(&normal(d).to_string()).unwrap(),
                    None => Value::Number(n),
                },
                Value::Array(items) => Value::Array(items.into_iter().map(plain).collect()),
                Value::Object(map) => sorted(map.into_iter().map(|(k, v)| (k, plain(v))).collect()),
                other => other,
            }
        }
        lift(serde_json::to_value(period).unwrap()).to_string()
    }

    fn canonical(period: &Period) -> String {
        let mut out = Vec::new();
        write_period(&mut out, period).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_fast_writer_agrees_with_the_slow_road() {
        let text = r#"{"period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "CNY",
                "zone": "east"},
            "teams": [{"id": "t1", "target": "1000.00", "a": [1.50, {"z": 2, "b": null}]}],
            "participants": [
                {"id": "p\"2", "name": "Ünal", "team": "t1", "group": "g", "hired_on": "2026-01-05",
                 "prior_deals": 3, "target": 0.10, "metrics": {"visits": 12, "csat": "0.005"}, "b": true, "zz": "x"},
                {"id": "p1", "mentor": "p\"2"}],
            "deals": [
                {"id": "d1", "participant": "p1", "amount": "-0.00", "closed_on": "2026-03-02", "aa": 1e3},
                {"id": "d2", "participant": "p1", "amount": "1200.50", "closed_on": "2026-03-31",
                 "customer": "c", "segment": "s", "kind": "new", "notes": "n"},
                {"id": "d3", "participant": "p1", "amount": "0.0001", "closed_on": "2026-03-31"}],
            "source": "crm"}"#;
        let input = crate::input::parse_period(text.as_bytes()).unwrap();
        let fast = canonical(&input.period);
        assert_eq!(fast, reference(&input.period));
        assert!(fast.contains(
            r#""amount":"1200.5","closed_on":"2026-03-31","customer":"c","id":"d2","kind":"new","notes":"n","#
        ));
        assert!(fast.contains(r#"{"aa":1000,"amount":"0","#));
        assert!(fast.contains(r#""amount":"0.0001""#));
        assert!(fast.contains(r#""a":[1.5,{"b":null,"z":2}]"#), "nested keys are sorted");
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        for text in [
            "0",
            "-0.0",
            "1",
            "-1",
            "10",
            "0.5",
            "-0.05",
            "123.4500",
            "1e-7",
            "79228162514264337593543950335",
            "-7.9228162514264337593543950335",
        ] {
            let d = parse_decimal(text).unwrap();
            let mut out = Vec::new();
            write_decimal(&mut out, d).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), normal(d).to_string(), "{text}");
        }
    }
}
