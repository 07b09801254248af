//! From the lenient [`raw`](super::raw) document to a validated [`Period`]: every problem is found
//! and reported with its path, in document order.

use super::raw::{self, Loose};
use crate::error::Problem;
use crate::money::Currency;
use chrono::NaiveDate;
use payplan_sdk::period::{Deal, Metric, Participant, Period, PeriodInfo, Team};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;
use std::fmt;

/// A place in the document: `period.id`, `deals[17].amount`.
#[derive(Clone, Copy)]
struct At<'a> {
    list: &'a str,
    index: Option<usize>,
}

impl At<'_> {
    fn field(self, name: &str) -> String {
        match self.index {
            Some(i) => format!("{}[{i}].{name}", self.list),
            None => format!("{}.{name}", self.list),
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]", self.list),
            None => f.write_str(self.list),
        }
    }
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, path: String, message: impl Into<String>) {
        self.0.push(Problem { path, message: message.into() });
    }

    /// An optional field: its value, or `None` (absent, or wrong and reported).
    fn take<T>(&mut self, at: At, name: &str, value: Option<Loose<T>>) -> Option<T> {
        match value? {
            Loose::Ok(v) => Some(v),
            Loose::Bad(why) => {
                self.push(at.field(name), why);
                None
            }
        }
    }

    /// A required field: like [`take`](Self::take), and its absence is a problem too.
    fn require<T>(&mut self, at: At, name: &str, value: Option<Loose<T>>) -> Option<T> {
        if value.is_none() {
            self.push(at.field(name), "is required");
        }
        self.take(at, name, value)
    }

    fn date(&mut self, at: At, name: &str, value: Option<Loose<String>>, required: bool) -> Option<NaiveDate> {
        let text = if required { self.require(at, name, value) } else { self.take(at, name, value) }?;
        let date = iso_date(&text);
        if date.is_none() {
            self.push(at.field(name), format!("{text:?} is not a date (YYYY-MM-DD)"));
        }
        date
    }

    fn id(&mut self, at: At, value: Option<Loose<String>>) -> Option<String> {
        let id = self.require(at, "id", value)?;
        if id.is_empty() {
            self.push(at.field("id"), "must not be empty");
            return None;
        }
        Some(id)
    }

    fn non_negative(&mut self, at: At, name: &str, value: Option<Decimal>) -> Option<Decimal> {
        if value.is_some_and(|v| v.is_sign_negative() && !v.is_zero()) {
            self.push(at.field(name), format!("{} must not be negative", value.unwrap_or_default()));
        }
        value
    }

    /// Records `id` as seen at `at`, reporting a duplicate.
    fn unique<'a>(&mut self, seen: &mut HashMap<&'a str, usize>, id: Option<&'a str>, at: At) {
        let (Some(id), Some(index)) = (id, at.index) else {
            return;
        };
        if let Some(first) = seen.insert(id, index) {
            seen.insert(id, first);
            self.push(at.field("id"), format!("duplicate id {id:?} (first at {}[{first}])", at.list));
        }
    }
}

/// Checks the whole document; returns the period and its currency, or every problem found.
pub fn validate(doc: raw::Document) -> Result<(Period, Currency), Vec<Problem>> {
    let mut p = Problems::default();
    let top = At { list: "period", index: None };
    let header = doc.period;
    if header.is_none() {
        p.push("period".into(), "is required");
    }
    let header = header.unwrap_or_default();
    let id = p.id(top, header.id);
    let start = p.date(top, "start", header.start, true);
    let end = p.date(top, "end", header.end, true);
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        p.push(top.field("end"), format!("{e} is before the start {s}"));
    }
    let code = p.require(top, "currency", header.currency);
    let currency = code.as_deref().and_then(|c| {
        let found = Currency::from_code(c);
        if found.is_none() {
            p.push(top.field("currency"), format!("{c:?} is not an ISO 4217 currency code"));
        }
        found
    });

    let raw_teams = doc.teams.unwrap_or_default();
    let raw_participants = doc.participants.unwrap_or_default();
    let raw_deals = doc.deals.unwrap_or_default();

    // Maps are sized up front: growing them rehashes every id again (measured: 5% of reading a
    // 100k-participant period).
    let mut team_ids = HashMap::with_capacity_and_hasher(raw_teams.len(), Default::default());
    let teams: Vec<Option<Team>> = raw_teams
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let at = At { list: "teams", index: Some(i) };
            let id = p.id(at, t.id);
            let name = p.take(at, "name", t.name);
            let target = p.take(at, "target", t.target);
            let target = p.non_negative(at, "target", target);
            Some(Team { id: id?, name, target, attributes: t.attributes })
        })
        .collect();
    // Duplicates are found after the fields so that messages stay in document order per record.
    let mut dup = Problems::default();
    for (i, t) in teams.iter().enumerate() {
        dup.unique(&mut team_ids, t.as_ref().map(|t| t.id.as_str()), At { list: "teams", index: Some(i) });
    }
    p.0.append(&mut dup.0);

    // Every participant id that reads as a string, for the mentor and deal references.
    let mut participant_ids: HashSet<String> =
        HashSet::with_capacity_and_hasher(raw_participants.len(), Default::default());
    participant_ids.extend(raw_participants.iter().filter_map(|r| match &r.id {
        Some(Loose::Ok(id)) => Some(id.clone()),
        _ => None,
    }));

    let mut seen = HashMap::with_capacity_and_hasher(raw_participants.len(), Default::default());
    let mut participants = Vec::with_capacity(raw_participants.len());
    for (i, r) in raw_participants.into_iter().enumerate() {
        let at = At { list: "participants", index: Some(i) };
        let id = p.id(at, r.id);
        let name = p.take(at, "name", r.name);
        let team = p.take(at, "team", r.team);
        if let Some(team) = &team
            && !team_ids.contains_key(team.as_str())
        {
            p.push(at.field("team"), format!("unknown team {team:?}"));
        }
        let group = p.take(at, "group", r.group);
        let hired_on = p.date(at, "hired_on", r.hired_on, false);
        let mentor = p.take(at, "mentor", r.mentor);
        if let Some(mentor) = &mentor {
            if !participant_ids.contains(mentor) {
                p.push(at.field("mentor"), format!("unknown participant {mentor:?}"));
            } else if id.as_deref() == Some(mentor.as_str()) {
                p.push(at.field("mentor"), "a participant cannot mentor itself");
            }
        }
        let prior_deals = p.take(at, "prior_deals", r.prior_deals);
        let target = p.take(at, "target", r.target);
        let target = p.non_negative(at, "target", target);
        let metrics = r.metrics.filter(|m| !m.is_null()).and_then(|m| metrics(&mut p, at, m));
        participants.push(id.map(|id| Participant {
            id,
            name,
            team,
            group,
            hired_on,
            mentor,
            prior_deals,
            target,
            metrics,
            attributes: r.attributes,
        }));
    }
    for (i, record) in participants.iter().enumerate() {
        p.unique(&mut seen, record.as_ref().map(|r| r.id.as_str()), At { list: "participants", index: Some(i) });
    }

    let mut seen = HashMap::with_capacity_and_hasher(raw_deals.len(), Default::default());
    let mut deals = Vec::with_capacity(raw_deals.len());
    // The id of a deal whose record failed, so that duplicates are still found.
    let mut failed_ids: HashMap<usize, String> = HashMap::default();
    for (i, r) in raw_deals.into_iter().enumerate() {
        let at = At { list: "deals", index: Some(i) };
        let id = p.id(at, r.id);
        let participant = p.require(at, "participant", r.participant);
        if let Some(who) = &participant
            && !participant_ids.contains(who)
        {
            p.push(at.field("participant"), format!("unknown participant {who:?}"));
        }
        let amount = p.require(at, "amount", r.amount);
        let closed_on = p.date(at, "closed_on", r.closed_on, true);
        if let (Some(day), Some(s), Some(e)) = (closed_on, start, end)
            && (day < s || day > e)
        {
            p.push(at.field("closed_on"), format!("{day} is outside the period {s} to {e}"));
        }
        let customer = p.take(at, "customer", r.customer);
        let segment = p.take(at, "segment", r.segment);
        let kind = p.take(at, "kind", r.kind);
        match (id, participant, amount, closed_on) {
            (Some(id), Some(participant), Some(amount), Some(closed_on)) => deals.push(Some(Deal {
                id,
                participant,
                amount,
                closed_on,
                customer,
                segment,
                kind,
                attributes: r.attributes,
            })),
            (id, ..) => {
                failed_ids.extend(id.map(|id| (i, id)));
                deals.push(None);
            }
        }
    }
    for (i, record) in deals.iter().enumerate() {
        let id = record.as_ref().map(|d| d.id.as_str()).or_else(|| failed_ids.get(&i).map(String::as_str));
        p.unique(&mut seen, id, At { list: "deals", index: Some(i) });
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }
    let complete = "a period without problems has every required field";
    let info = PeriodInfo {
        id: id.expect(complete),
        start: start.expect(complete),
        end: end.expect(complete),
        currency: code.expect(complete),
        attributes: header.attributes,
    };
    let mut period = Period {
        period: info,
        teams: teams.into_iter().map(|t| t.expect(complete)).collect(),
        participants: participants.into_iter().map(|t| t.expect(complete)).collect(),
        deals: deals.into_iter().map(|t| t.expect(complete)).collect(),
        attributes: doc.attributes,
    };
    // The canonical order, once: the hash and the facts read the lists in it.
    period.teams.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    period.participants.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    period.deals.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok((period, currency.expect(complete)))
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

fn metrics(p: &mut Problems, at: At, value: serde_json::Value) -> Option<BTreeMap<String, Metric>> {
    let serde_json::Value::Object(map) = value else {
        p.push(at.field("metrics"), "expected an object of name to decimal");
        return None;
    };
    let mut out = BTreeMap::new();
    for (name, v) in map {
        let read = match &v {
            serde_json::Value::Number(n) => <Decimal as raw::Expect>::from_number(&n.to_string()),
            serde_json::Value::String(s) => <Decimal as raw::Expect>::from_text(s),
            other => Err(format!("expected a decimal, found {other}")),
        };
        match read {
            Ok(d) => {
                out.insert(name, Metric(d));
            }
            Err(why) => p.push(at.field(&format!("metrics.{name}")), why),
        }
    }
    Some(out)
}
