//! The cumulative view of an accumulating policy's window (series.md, "To-date accumulation"):
//! every deal of the window's periods; every participant who was in one of them, by their latest
//! record, with the sum of their effective targets; teams likewise; metrics only from this period.

use super::{History, Past};
use crate::error::{Error, InputProblem, Result};
use crate::facts::{Facts, effective_target};
use crate::input::Input;
use crate::money::Rounding;
use crate::plan::Accumulate;
use chrono::Datelike;
use payplan_sdk::period::{Participant, Period, Team};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The window of `accumulate` for the period whose facts are `now`: its periods before this one,
/// oldest first, and its cumulative view (every period of the window as one).
pub fn window_view<'h>(
    history: &'h History,
    now: &Facts,
    accumulate: Accumulate,
    rounding: Rounding,
) -> Result<(Vec<&'h Past>, Input)> {
    let start = now.info.start;
    let quarter = |d: chrono::NaiveDate| (d.year(), d.month0() / 3);
    let past: Vec<&Past> = history
        .periods
        .iter()
        .filter(|p| accumulate == Accumulate::Series || quarter(p.input.period.period.start) == quarter(start))
        .collect();
    let overflow = |what: &str| Error::Input {
        file: "period".into(),
        problems: vec![InputProblem {
            path: "period.series".into(),
            position: None,
            message: format!("{what} overflows a decimal over the window"),
        }],
    };

    let mut people: BTreeMap<String, (Participant, Option<Decimal>)> = BTreeMap::new();
    let mut teams: BTreeMap<String, (Team, Option<Decimal>)> = BTreeMap::new();
    let mut deals = Vec::new();
    let current = now_period(now);
    for (period, currency) in past.iter().map(|p| (&p.input.period, p.input.currency)).chain([(&current, now.currency)])
    {
        for p in &period.participants {
            let target = effective_target(p, &period.period, currency, rounding).map_err(|_| overflow("a target"))?;
            let entry = people.entry(p.id.clone()).or_insert_with(|| (p.clone(), None));
            let sum = match (entry.1, target) {
                (Some(a), Some(b)) => Some(a.checked_add(b).ok_or_else(|| overflow("a target"))?),
                (a, b) => a.or(b),
            };
            *entry = (p.clone(), sum);
        }
        for t in &period.teams {
            let entry = teams.entry(t.id.clone()).or_insert_with(|| (t.clone(), None));
            let sum = match (entry.1, t.target) {
                (Some(a), Some(b)) => Some(a.checked_add(b).ok_or_else(|| overflow("a team target"))?),
                (a, b) => a.or(b),
            };
            *entry = (t.clone(), sum);
        }
        deals.extend(period.deals.iter().cloned());
    }
    let participants = people
        .into_values()
        .map(|(mut p, target)| {
            let here = now.who(&p.id).is_some();
            p.target = target;
            (p.active_from, p.active_to) = (None, None);
            if !here {
                // Someone who left: no metrics, and no manager (their manager's record may be of
                // a later period, and a link between records of two periods could close a cycle).
                (p.metrics, p.manager) = (None, None);
            }
            p
        })
        .collect();
    let teams = teams
        .into_values()
        .map(|(mut t, target)| {
            t.target = target.filter(|t| !t.is_zero());
            t
        })
        .collect();
    deals.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let view = Period { period: now.info.clone(), teams, participants, deals, attributes: Default::default() };
    Ok((past, Input { period: view, currency: now.currency }))
}

/// The period of `now`, as its facts hold it (every list sorted by id).
fn now_period(now: &Facts) -> Period {
    Period {
        period: now.info.clone(),
        teams: now.teams.clone(),
        participants: now.participants.clone(),
        deals: now.deals.clone(),
        attributes: Default::default(),
    }
}
