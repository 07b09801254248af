//! The fast path for a valid period: each record is checked as it is read, so the lenient
//! document is never held whole, and duplicate ids are found by sorting rather than hashing.
//!
//! It only answers "valid, and here it is" or "not valid": at the first problem it gives up, and
//! the caller reads the document again on the path that reports every problem.
//!
//! The lists are read in parallel: one pass over the text ([`scan`]) finds the document's
//! members and cuts each list into pieces between its records, counted; then the pieces are read.

use super::raw::{self, Key};
use super::scan::{self, Pieces};
use super::validate::{self, Problems, Refs};
use crate::money::Currency;
use payplan_sdk::period::Period;
use rayon::prelude::*;
use serde::Deserialize;

/// The period and its currency, or `None` when anything is wrong with the document.
pub(super) fn read(bytes: &[u8]) -> Option<(Period, Currency)> {
    let doc = Document::scan(bytes)?;
    let mut p = Problems::default();
    let head = validate::header(&mut p, doc.period);
    let teams = list(doc.teams, |p, r| validate::team(p, 0, r))?;
    let participants = list(doc.participants, |p, r| validate::participant(p, 0, r, None))?;
    let refs = Refs {
        teams: teams.iter().map(|t| t.id.as_str()).collect(),
        participants: participants.iter().map(|r| r.id.as_str()).collect(),
        start: head.start,
        end: head.end,
        places: head.currency.map(Currency::places),
    };
    for (i, r) in participants.iter().enumerate() {
        refs.links(&mut p, validate::At::item("participants", i), &r.into());
    }
    if participants.iter().any(|r| r.manager.is_some()) {
        let managers: Vec<_> = participants.iter().map(|r| (Some(r.id.as_str()), r.manager.as_deref())).collect();
        validate::manager_cycles(&mut p, &managers);
    }
    let unique = refs.teams.len() == teams.len() && refs.participants.len() == participants.len();
    if !p.is_empty() || !unique {
        return None;
    }
    let deals = list(doc.deals, |p, r| validate::deal(p, 0, r, Some(&refs)).ok())?;
    drop(refs);
    let (period, currency) = validate::period(head, teams, participants, deals, doc.attributes);
    // Sorted by id, a duplicate deal id sits next to its twin.
    period.deals.windows(2).all(|w| w[0].id != w[1].id).then_some((period, currency))
}

/// Pieces of a list are about this many bytes: about 50 pieces for the deals of a
/// 100k-participant period, and one piece, read on the caller's thread, for a small list.
const PIECE: usize = 4 << 20;

/// A list (its pieces; absent reads as empty), each record checked by `check` (which gets the
/// record's own problems, and whose index would only name them: this path reports none).
///
/// The pieces are read in parallel, each into its own part of one list, sized by the pieces'
/// counts: that list is the only copy (gathering a list per piece would hold every deal twice;
/// measured: 1.25 GB against 0.98 GB after reading a 100k period).
fn list<'de, R, T>(pieces: Pieces<'de>, check: impl Fn(&mut Problems, R) -> Option<T> + Sync) -> Option<Vec<T>>
where
    R: Deserialize<'de>,
    T: Send,
{
    let mut slots: Vec<Option<T>> = Vec::new();
    slots.resize_with(pieces.iter().map(|(_, count)| count).sum(), || None);
    let mut parts = Vec::with_capacity(pieces.len());
    let mut rest = &mut slots[..];
    for (piece, count) in pieces {
        let (part, after) = rest.split_at_mut(count);
        parts.push((piece, part));
        rest = after;
    }
    in_parallel(parts, |(piece, part)| {
        let mut p = Problems::default();
        let count = part.len();
        let mut slots = part.iter_mut();
        let read = each::<R>(piece, |r| {
            *slots.next()? = Some(check(&mut p, r)?);
            p.is_empty().then_some(())
        })?;
        (read == count).then_some(())
    })?;
    // Every slot is filled; `Option<T>` is the size of `T` for the period's records (their
    // strings leave room for `None`), so this reuses the list.
    slots.into_iter().collect()
}

/// `read` on each item, in parallel unless there is only one (a small period stays on its
/// thread); `None` if any read is `None`.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, read: impl Fn(T) -> Option<R> + Sync + Send) -> Option<Vec<R>> {
    if items.len() < 2 {
        return items.into_iter().map(read).collect();
    }
    items.into_par_iter().map(read).collect()
}

/// Text without its leading JSON white space (not `trim_ascii_start`, which also takes a form
/// feed, which JSON does not: the fuzz target found the fast reader accepting one).
fn json_trim(text: &[u8]) -> &[u8] {
    &text[super::scan::skip_space(text, 0)..]
}

/// Reads the elements of a piece of a list (values separated by commas, nothing else) and hands
/// each to `take`; how many there were, or `None` if the piece is not such a run or `take` says no.
fn each<'de, R: Deserialize<'de>>(piece: &'de [u8], mut take: impl FnMut(R) -> Option<()>) -> Option<usize> {
    let mut rest = json_trim(piece);
    let mut count = 0;
    while !rest.is_empty() {
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<R>();
        take(values.next()?.ok()?)?;
        count += 1;
        rest = json_trim(&rest[values.byte_offset()..]);
        if let Some(after) = rest.strip_prefix(b",") {
            // A comma needs an element after it.
            rest = json_trim(after);
            if rest.is_empty() {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(count)
}

/// The document's members, its lists cut into pieces.
#[derive(Default)]
struct Document<'de> {
    period: Option<raw::Header>,
    teams: Pieces<'de>,
    participants: Pieces<'de>,
    deals: Pieces<'de>,
    attributes: raw::Attributes,
}

impl<'de> Document<'de> {
    /// The top-level object of `text`, read member by member; `None` if it is not one, or a key
    /// is given twice (the reporting path says which).
    fn scan(text: &'de [u8]) -> Option<Self> {
        let mut out = Document::default();
        let mut seen = [false; 4];
        let mut at = scan::skip_space(text, 0);
        if text.get(at) != Some(&b'{') {
            return None;
        }
        at = scan::skip_space(text, at + 1);
        if text.get(at) == Some(&b'}') {
            return (scan::skip_space(text, at + 1) == text.len()).then_some(out);
        }
        loop {
            if text.get(at) != Some(&b'"') {
                return None;
            }
            let end = scan::string_end(text, at)?;
            let key: Key = serde_json::from_slice(&text[at..end]).ok()?;
            at = scan::skip_space(text, end);
            if text.get(at) != Some(&b':') {
                return None;
            }
            at = scan::skip_space(text, at + 1);
            let slot = ["period", "teams", "participants", "deals"].iter().position(|k| *k == key.0);
            if let Some(slot) = slot
                && std::mem::replace(&mut seen[slot], true)
            {
                return None;
            }
            at = match slot {
                Some(0) => {
                    let end = scan::value_end(text, at, |_| {})?;
                    out.period = Some(serde_json::from_slice(&text[at..end]).ok()?);
                    end
                }
                Some(list) => {
                    let (end, pieces) = scan::list(text, at, PIECE)?;
                    *[&mut out.teams, &mut out.participants, &mut out.deals][list - 1] = pieces;
                    end
                }
                None => {
                    let end = scan::value_end(text, at, |_| {})?;
                    out.attributes.insert(key.0.into_owned(), serde_json::from_slice(&text[at..end]).ok()?);
                    end
                }
            };
            at = scan::skip_space(text, at);
            match text.get(at)? {
                b',' => at = scan::skip_space(text, at + 1),
                b'}' => return (scan::skip_space(text, at + 1) == text.len()).then_some(out),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A period of several pieces reads as the reporting path reads it, strings and nested
    /// values that look like record boundaries included.
    #[test]
    fn pieces_read_as_one_list() {
        let mut text = Vec::new();
        let shape = crate::input::generate::Shape { participants: 3_000, deals_per: 20, seed: 3 };
        crate::input::generate::write_period(&mut text, shape).unwrap();
        assert!(text.len() > PIECE, "{} bytes: more than one piece", text.len());
        let tricky = r#""note": "a \"},{\" b", "meta": {"k": [1, {"z": "],["}], "e": "\\"}, "closed_on":"#;
        let text = String::from_utf8(text).unwrap().replacen(r#""closed_on":"#, tricky, 20_000).into_bytes();
        let (fast, _) = read(&text).expect("a valid period");
        let (slow, _) = validate::validate(crate::input::parse_document(&text).unwrap()).unwrap();
        assert!(fast.deals.len() > 50_000);
        assert_eq!(fast.deals.iter().filter(|d| d.attributes.contains_key("meta")).count(), 20_000);
        assert!(fast == slow, "the fast path and the reporting path read the same period");
    }

    #[test]
    fn a_piece_is_elements_and_commas_only() {
        let count = |text: &[u8]| each::<serde::de::IgnoredAny>(text, |_| Some(()));
        assert_eq!(count(b""), Some(0));
        assert_eq!(count(b"  \n"), Some(0));
        assert_eq!(count(b"{} , {}"), Some(2));
        assert_eq!(count(b"{},"), None);
        assert_eq!(count(b"{},,{}"), None);
        assert_eq!(count(b"{} {}"), None);
        assert_eq!(count(b"{}]"), None);
    }
}
