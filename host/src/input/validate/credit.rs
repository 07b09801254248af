//! A deal's `splits` and `overlay`, checked (crediting.md, "Credit splits"): each problem at its
//! path (`deals[4].splits[1].share`), the lists sorted by participant (the canonical order).

use super::{At, Problems, Refs, json_decimal};
use payplan_sdk::period::Share;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use serde_json::Value;

/// `deals[i].splits`: shares in (0, 1] of distinct, known participants that sum to exactly 1;
/// the deal's `participant`, when given, among them; its amount in whole minor units.
pub(super) fn splits(
    p: &mut Problems,
    at: At,
    value: Value,
    refs: Option<&Refs>,
    participant: Option<&str>,
    amount: Option<Decimal>,
) -> Option<Vec<Share>> {
    let shares = shares(p, at, "splits", value, refs, Decimal::ONE)?;
    if shares.is_empty() {
        p.push(at.field("splits"), "must name at least one participant");
        return None;
    }
    let sum = shares.iter().try_fold(Decimal::ZERO, |sum, s| sum.checked_add(s.share));
    if sum != Some(Decimal::ONE) {
        let sum = sum.map_or_else(|| "more than a decimal holds".into(), |s| s.to_string());
        p.push(at.field("splits"), format!("the shares sum to {sum}, not exactly 1"));
        return None;
    }
    if let Some(who) = participant
        && !shares.iter().any(|s| s.participant == who)
    {
        p.push(at.field("participant"), format!("{who:?} is not one of the split participants"));
    }
    if let (Some(places), Some(amount)) = (refs.and_then(|r| r.places), amount)
        && amount.scale() > places
    {
        p.push(
            at.field("amount"),
            format!("{amount} is not in whole minor units ({places} places), as a split deal's amount must be"),
        );
    }
    Some(shares)
}

/// `deals[i].overlay`: shares in (0, 10] of distinct, known participants, none of them the
/// deal's participant or one of its split participants.
pub(super) fn overlay(
    p: &mut Problems,
    at: At,
    value: Value,
    refs: Option<&Refs>,
    participant: Option<&str>,
    splits: Option<&Option<Vec<Share>>>,
) -> Option<Vec<Share>> {
    let shares = shares(p, at, "overlay", value, refs, Decimal::TEN)?;
    let split = |who: &str| splits.and_then(Option::as_ref).is_some_and(|s| s.iter().any(|s| s.participant == who));
    let mut ok = true;
    for (k, share) in shares.iter().enumerate() {
        let who = share.participant.as_str();
        if participant == Some(who) || split(who) {
            p.push(format!("{at}.overlay[{k}].participant"), format!("{who:?} is already credited by the deal"));
            ok = false;
        }
    }
    ok.then_some(shares)
}

/// A list of `{participant, share}` with shares in (0, `max`], sorted by participant; `None`
/// when anything in it is wrong (and reported).
fn shares(p: &mut Problems, at: At, name: &str, value: Value, refs: Option<&Refs>, max: Decimal) -> Option<Vec<Share>> {
    let Value::Array(items) = value else {
        p.push(at.field(name), "expected a list of { participant, share }");
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    let mut seen: HashMap<String, usize> = HashMap::default();
    for (k, item) in items.into_iter().enumerate() {
        let place = format!("{at}.{name}[{k}]");
        let Value::Object(map) = item else {
            p.push(place, "expected an object with participant and share");
            ok = false;
            continue;
        };
        let (mut who, mut share) = (None, None);
        for (key, v) in map {
            match (key.as_str(), v) {
                ("participant", Value::String(s)) => who = Some(s),
                ("participant", other) => {
                    p.push(format!("{place}.participant"), format!("expected a string, found {other}"))
                }
                ("share", v) => match json_decimal(&v) {
                    Ok(d) => share = Some(d),
                    Err(why) => p.push(format!("{place}.share"), why),
                },
                (other, _) => p.push(format!("{place}.{other}"), "unknown field: a share has participant and share"),
            }
        }
        let start = p.0.len();
        if let Some(s) = share.filter(|s| *s <= Decimal::ZERO || *s > max) {
            p.push(format!("{place}.share"), format!("{s} is not in (0, {max}]"));
        }
        if let Some(w) = &who {
            if refs.is_some_and(|r| !r.participants.contains(w.as_str())) {
                p.push(format!("{place}.participant"), format!("unknown participant {w:?}"));
            } else if let Some(first) = seen.insert(w.clone(), k) {
                seen.insert(w.clone(), first);
                p.push(
                    format!("{place}.participant"),
                    format!("duplicate participant {w:?} (first at {name}[{first}])"),
                );
            }
        }
        for (field, missing) in [("participant", who.is_none()), ("share", share.is_none())] {
            if missing {
                p.push(format!("{place}.{field}"), "is required");
            }
        }
        match (who, share) {
            (Some(participant), Some(share)) if p.0.len() == start => out.push(Share { participant, share }),
            _ => ok = false,
        }
    }
    out.sort_unstable_by(|a, b| a.participant.cmp(&b.participant));
    ok.then_some(out)
}
