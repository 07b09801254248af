//! The publish gate (series.md, "The publish gate"): what a new plan would have paid on the
//! closed periods of a series, each re-evaluated in order on the gate's own re-evaluated history
//! (so to-date rules stay consistent), against what was paid (the effective runs).

use super::whatif::{self, Change, Comparison};
use crate::error::{Error, Result};
use crate::eval::CompiledPlan;
use crate::halt::Halt;
use crate::series::{History, Past, recorded};
use crate::store::Store;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many of the largest movers the gate names.
const MOVERS: usize = 10;

/// A new plan against what a series' closed periods paid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gate {
    /// The series.
    pub series: String,
    /// Each compared period, in order: what was paid (A) and what the new plan pays (B).
    pub periods: Vec<Comparison>,
    /// The compared periods' totals: paid and new.
    pub totals: Change,
    /// `(new − paid) / paid × 100`, to 2 places; absent when nothing was paid.
    #[serde(with = "payplan_sdk::exact::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub increase_percent: Option<Decimal>,
    /// The largest changes of a participant's total over the compared periods, largest first.
    pub largest_movers: Vec<Change>,
}

/// Re-evaluates the closed periods of `series` (the only series in the store when `None`) with
/// `new`, and compares the last `last` of them (all when `None`) with what they paid.
pub fn gate(
    store: &dyn Store,
    new: &CompiledPlan,
    series: Option<&str>,
    last: Option<usize>,
    pool: &rayon::ThreadPool,
) -> Result<Gate> {
    let closed: Vec<Past> = recorded(store, "")?.into_iter().filter(|(_, closed)| *closed).map(|(p, _)| p).collect();
    let series_of = |p: &Past| p.input.period.period.series.as_ref().map(|s| s.id.clone());
    let id = match series {
        Some(id) => id.to_owned(),
        None => {
            let mut all: Vec<String> = closed.iter().filter_map(series_of).collect();
            all.sort();
            all.dedup();
            match &all[..] {
                [one] => one.clone(),
                [] => {
                    let message = "no period of a series is closed yet: there is nothing to gate on".into();
                    return Err(Error::Conflict { message });
                }
                many => {
                    let message = format!("the store holds the series {}: say which one", many.join(", "));
                    return Err(Error::Conflict { message });
                }
            }
        }
    };
    let mut periods: Vec<Past> = closed.into_iter().filter(|p| series_of(p).as_deref() == Some(id.as_str())).collect();
    if periods.is_empty() {
        return Err(Error::Conflict {
            message: format!("no period of series {id:?} is closed yet: there is nothing to gate on"),
        });
    }
    periods.sort_by_key(|p| p.input.period.period.start);

    // The gate's own history: each period as the new plan pays it.
    let first_shown = periods.len().saturating_sub(last.unwrap_or(usize::MAX));
    let mut history = History::default();
    let mut shown = Vec::new();
    let mut each: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for (i, paid) in periods.into_iter().enumerate() {
        let (result, _) = new.evaluate_series(paid.input.clone(), Some(&history), pool, &Halt::never())?;
        if i >= first_shown {
            for (who, m) in &paid.result.totals.participants {
                each.entry(who.clone()).or_default().0 += m.0;
            }
            for (who, m) in &result.totals.participants {
                each.entry(who.clone()).or_default().1 += m.0;
            }
            shown.push(whatif::compare(&paid.result, &result));
        }
        history.periods.push(Past { result, ..paid });
    }
    let (paid, owed) = shown.iter().fold((Decimal::ZERO, Decimal::ZERO), |(a, b), c| (a + c.totals.a, b + c.totals.b));
    let mut largest_movers: Vec<Change> = each
        .into_iter()
        .map(|(who, (a, b))| Change { participant: who, policy: String::new(), a, b, delta: b - a })
        .filter(|c| !c.delta.is_zero())
        .collect();
    largest_movers.sort_by(|x, y| y.delta.abs().cmp(&x.delta.abs()).then_with(|| x.participant.cmp(&y.participant)));
    largest_movers.truncate(MOVERS);
    let increase_percent = (paid > Decimal::ZERO).then(|| {
        ((owed - paid) * Decimal::ONE_HUNDRED / paid)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    });
    Ok(Gate {
        series: id,
        totals: Change { participant: String::new(), policy: String::new(), a: paid, b: owed, delta: owed - paid },
        periods: shown,
        increase_percent,
        largest_movers,
    })
}
