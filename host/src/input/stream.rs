//! The fast path for a valid period: each record is checked as it is read, so the lenient
//! document is never held whole, and duplicate ids are found by sorting rather than hashing.
//!
//! It only answers "valid, and here it is" or "not valid": at the first problem it gives up, and
//! the caller reads the document again on the path that reports every problem.

use super::raw::{self, Key};
use super::validate::{self, Problems, Refs};
use crate::money::Currency;
use payplan_sdk::period::Period;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// The period and its currency, or `None` when anything is wrong with the document.
pub fn read(bytes: &[u8]) -> Option<(Period, Currency)> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc = Document::deserialize(&mut de).ok()?;
    de.end().ok()?;
    let mut p = Problems::default();
    let head = validate::header(&mut p, doc.period);
    let refs = Refs {
        teams: doc.teams.iter().map(|t| t.id.as_str()).collect(),
        participants: doc.participants.iter().map(|r| r.id.as_str()).collect(),
        start: head.start,
        end: head.end,
    };
    for (i, r) in doc.participants.iter().enumerate() {
        let at = validate::At::item("participants", i);
        if let Some(team) = &r.team {
            refs.team(&mut p, at, team);
        }
        if let Some(mentor) = &r.mentor {
            refs.mentor(&mut p, at, Some(&r.id), mentor);
        }
    }
    for (i, d) in doc.deals.iter().enumerate() {
        let at = validate::At::item("deals", i);
        refs.participant(&mut p, at, &d.participant);
        refs.closed_on(&mut p, at, d.closed_on);
    }
    let unique = refs.teams.len() == doc.teams.len() && refs.participants.len() == doc.participants.len();
    drop(refs);
    if !p.is_empty() || !unique {
        return None;
    }
    let (period, currency) = validate::period(head, doc.teams, doc.participants, doc.deals, doc.attributes);
    // Sorted by id, a duplicate deal id sits next to its twin.
    period.deals.windows(2).all(|w| w[0].id != w[1].id).then_some((period, currency))
}

/// The document with each list already checked, record by record.
#[derive(Default)]
struct Document {
    period: Option<raw::Header>,
    teams: Vec<payplan_sdk::period::Team>,
    participants: Vec<payplan_sdk::period::Participant>,
    deals: Vec<payplan_sdk::period::Deal>,
    attributes: raw::Attributes,
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Document;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a period object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
                let mut out = Document::default();
                let mut seen = [false; 4];
                while let Some(key) = map.next_key::<Key>()? {
                    let slot = ["period", "teams", "participants", "deals"].iter().position(|k| *k == key.0);
                    if let Some(slot) = slot {
                        // A key given twice is left to the reporting path.
                        if std::mem::replace(&mut seen[slot], true) {
                            return Err(de::Error::custom("a key given twice"));
                        }
                    }
                    match slot {
                        Some(0) => out.period = Some(map.next_value()?),
                        Some(1) => out.teams = map.next_value_seed(Checked(validate::team, PhantomData))?,
                        Some(2) => {
                            out.participants = map.next_value_seed(Checked(
                                |p: &mut Problems, i, r| validate::participant(p, i, r, None),
                                PhantomData,
                            ))?;
                        }
                        Some(3) => {
                            out.deals = map.next_value_seed(Checked(
                                |p: &mut Problems, i, r| validate::deal(p, i, r, None).ok(),
                                PhantomData,
                            ))?;
                        }
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

/// A list whose records are checked by `F` as they are read; the first problem stops the read.
struct Checked<F, R>(F, PhantomData<R>);

impl<'de, F, R, T> DeserializeSeed<'de> for Checked<F, R>
where
    F: FnMut(&mut Problems, usize, R) -> Option<T>,
    R: Deserialize<'de>,
{
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F, R, T> Visitor<'de> for Checked<F, R>
where
    F: FnMut(&mut Problems, usize, R) -> Option<T>,
    R: Deserialize<'de>,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut p = Problems::default();
        while let Some(raw) = seq.next_element::<R>()? {
            match (self.0)(&mut p, out.len(), raw) {
                Some(record) if p.is_empty() => out.push(record),
                _ => return Err(de::Error::custom("a record with a problem")),
            }
        }
        Ok(out)
    }
}
