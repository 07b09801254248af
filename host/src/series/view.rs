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

    // Each period of the window as borrowed parts, this one's from its facts: nothing is copied
    // before the view keeps it.
    let parts = past
        .iter()
        .map(|p| {
            let period = &p.input.period;
            (&period.period, &period.participants[..], &period.teams[..], &period.deals[..], p.input.currency)
        })
        .chain([(&now.info, &now.participants[..], &now.teams[..], &now.deals[..], now.currency)]);
    // The latest record of each, with the sum of its targets over the window.
    let mut people: BTreeMap<&str, (&Participant, Option<Decimal>)> = BTreeMap::new();
    let mut teams: BTreeMap<&str, (&Team, Option<Decimal>)> = BTreeMap::new();
    let mut deals = Vec::new();
    for (info, participants, period_teams, period_deals, currency) in parts {
        for p in participants {
            let target = effective_target(p, info, currency, rounding).map_err(|_| overflow("a target"))?;
            let entry = people.entry(&p.id).or_insert((p, None));
            *entry = (p, sum(entry.1, target).ok_or_else(|| overflow("a target"))?);
        }
        for t in period_teams {
            let entry = teams.entry(&t.id).or_insert((t, None));
            *entry = (t, sum(entry.1, t.target).ok_or_else(|| overflow("a team target"))?);
        }
        deals.extend(period_deals.iter().cloned());
    }
    let participants = people
        .into_values()
        .map(|(p, target)| {
            let mut p = p.clone();
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
        .map(|(t, target)| {
            let mut t = t.clone();
            t.target = target.filter(|t| !t.is_zero());
            t
        })
        .collect();
    deals.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let view = Period { period: now.info.clone(), teams, participants, deals, attributes: Default::default() };
    Ok((past, Input { period: view, currency: now.currency }))
}

/// Two targets summed, absent counting as nothing; `None` when the sum overflows.
fn sum(a: Option<Decimal>, b: Option<Decimal>) -> Option<Option<Decimal>> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b).map(Some),
        (a, b) => Some(a.or(b)),
    }
}
