//! The canonical period and its hash (formats.md, `input_hash`): teams, participants and deals
//! sorted by id, object keys sorted, no insignificant white space, decimals as strings of their
//! exact value without trailing zeros. Written straight into the hasher, never built in memory.

use chrono::NaiveDate;
use payplan_sdk::exact::{normalize as normal, parse_decimal};
use payplan_sdk::period::{Attributes, Metric, Period};
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// `sha256:<hex>` of the canonical period.
pub fn input_hash(period: &Period) -> String {
    let mut out = io::BufWriter::with_capacity(1 << 16, HashWriter(Sha256::new()));
    write_period(&mut out, period).expect("writing into a hasher cannot fail");
    let hasher = out.into_inner().map_err(|_| ()).expect("flushing into a hasher cannot fail");
    crate::hash::hex_digest(hasher.0)
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A field's value in the canonical form.
enum Val<'a> {
    Str(&'a str),
    Dec(Decimal),
    Int(u64),
    Date(NaiveDate),
    Json(&'a Value),
    Metrics(&'a BTreeMap<String, Metric>),
    List(Vec<Vec<(&'a str, Val<'a>)>>),
    Object(Vec<(&'a str, Val<'a>)>),
}

fn write_period(w: &mut impl Write, period: &Period) -> io::Result<()> {
    let info = &period.period;
    let header = record(
        vec![
            ("currency", Val::Str(&info.currency)),
            ("end", Val::Date(info.end)),
            ("id", Val::Str(&info.id)),
            ("start", Val::Date(info.start)),
        ],
        &info.attributes,
    );
    // Validation leaves the lists sorted by id.
    let teams = period
        .teams
        .iter()
        .map(|t| {
            let mut f = vec![("id", Val::Str(&t.id))];
            f.extend(t.name.as_deref().map(|v| ("name", Val::Str(v))));
            f.extend(t.target.map(|v| ("target", Val::Dec(v))));
            record(f, &t.attributes)
        })
        .collect();
    let participants = period
        .participants
        .iter()
        .map(|p| {
            let mut f = vec![("id", Val::Str(&p.id))];
            f.extend(p.name.as_deref().map(|v| ("name", Val::Str(v))));
            f.extend(p.team.as_deref().map(|v| ("team", Val::Str(v))));
            f.extend(p.group.as_deref().map(|v| ("group", Val::Str(v))));
            f.extend(p.hired_on.map(|v| ("hired_on", Val::Date(v))));
            f.extend(p.mentor.as_deref().map(|v| ("mentor", Val::Str(v))));
            f.extend(p.prior_deals.map(|v| ("prior_deals", Val::Int(v))));
            f.extend(p.target.map(|v| ("target", Val::Dec(v))));
            f.extend(p.metrics.as_ref().map(|v| ("metrics", Val::Metrics(v))));
            record(f, &p.attributes)
        })
        .collect();
    let deals = period
        .deals
        .iter()
        .map(|d| {
            let mut f = vec![
                ("id", Val::Str(&d.id)),
                ("participant", Val::Str(&d.participant)),
                ("amount", Val::Dec(d.amount)),
                ("closed_on", Val::Date(d.closed_on)),
            ];
            f.extend(d.customer.as_deref().map(|v| ("customer", Val::Str(v))));
            f.extend(d.segment.as_deref().map(|v| ("segment", Val::Str(v))));
            f.extend(d.kind.as_deref().map(|v| ("kind", Val::Str(v))));
            record(f, &d.attributes)
        })
        .collect();
    let top = record(
        vec![
            ("deals", Val::List(deals)),
            ("participants", Val::List(participants)),
            ("period", Val::Object(header)),
            ("teams", Val::List(teams)),
        ],
        &period.attributes,
    );
    write_object(w, top)
}

/// The known fields plus the unknown ones, sorted by key.
fn record<'a>(mut fields: Vec<(&'a str, Val<'a>)>, attributes: &'a Attributes) -> Vec<(&'a str, Val<'a>)> {
    fields.extend(attributes.iter().map(|(k, v)| (k.as_str(), Val::Json(v))));
    fields.sort_by(|a, b| a.0.cmp(b.0));
    fields
}

fn write_object(w: &mut impl Write, fields: Vec<(&str, Val)>) -> io::Result<()> {
    w.write_all(b"{")?;
    for (i, (key, val)) in fields.into_iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, key)?;
        w.write_all(b":")?;
        write_val(w, val)?;
    }
    w.write_all(b"}")
}

fn write_val(w: &mut impl Write, val: Val) -> io::Result<()> {
    match val {
        Val::Str(s) => Ok(serde_json::to_writer(w, s)?),
        Val::Dec(d) => write!(w, "\"{}\"", normal(d)),
        Val::Int(n) => write!(w, "{n}"),
        Val::Date(d) => write!(w, "\"{d}\""),
        Val::Json(v) => write_json(w, v),
        Val::Metrics(m) => write_object(w, m.iter().map(|(k, v)| (k.as_str(), Val::Dec(v.0))).collect()),
        Val::Object(fields) => write_object(w, fields),
        Val::List(items) => {
            w.write_all(b"[")?;
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_object(w, item)?;
            }
            w.write_all(b"]")
        }
    }
}

/// Any JSON value (an unknown field) in canonical form: keys sorted (serde_json's map is ordered
/// when `preserve_order` is off), numbers as their exact value without trailing zeros.
fn write_json(w: &mut impl Write, v: &Value) -> io::Result<()> {
    match v {
        Value::Number(n) => match parse_decimal(&n.to_string()) {
            Some(d) => write!(w, "{}", normal(d)),
            None => write!(w, "{n}"),
        },
        Value::Array(items) => {
            w.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_json(w, item)?;
            }
            w.write_all(b"]")
        }
        Value::Object(map) => write_object(w, map.iter().map(|(k, v)| (k.as_str(), Val::Json(v))).collect()),
        other => Ok(serde_json::to_writer(w, other)?),
    }
}
