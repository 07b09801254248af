//! The history of a period P of series S: the closed periods of S that end before P starts, each
//! by its effective run (its latest adjustment, else its final run), checked to cover every day
//! from the series' start to the day before P without overlap (series.md, "Series").

use crate::audit;
use crate::error::{Error, InputProblem, Result};
use crate::input::Input;
use crate::store::{Kind, Store};
use chrono::{Days, NaiveDate};
use payplan_sdk::period::Period;
use payplan_sdk::result::{Basis, EvalResult};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// One period of the history: its effective run, the period it was computed from, its result.
#[derive(Debug, Clone)]
pub struct Past {
    /// The effective run's place in the chain.
    pub seq: i64,
    /// The effective run's `record_hash`.
    pub record_hash: String,
    /// Its period, as stored.
    pub input: Input,
    /// Its result, as stored.
    pub result: EvalResult,
}

/// The history of a period, in period order; empty for a period without a series.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The periods before, oldest first.
    pub periods: Vec<Past>,
}

impl History {
    /// The result's `basis`: each period and its effective run's `result_hash`.
    pub fn basis(&self) -> Vec<Basis> {
        self.periods
            .iter()
            .map(|p| Basis { period: p.result.period.clone(), result_hash: p.result.result_hash.clone() })
            .collect()
    }

    /// The runs it was read from, for the record.
    pub fn runs(&self) -> Vec<crate::store::RunRef> {
        self.periods.iter().map(|p| crate::store::RunRef { record_hash: p.record_hash.clone(), seq: p.seq }).collect()
    }
}

fn problem(path: &str, message: String) -> Error {
    Error::Input { file: "period".into(), problems: vec![InputProblem { path: path.into(), position: None, message }] }
}

/// Every period recorded in `store` but `except`, each by its effective run when it is closed
/// (its latest adjustment, else its final run; `true`) or its latest run when it is open.
pub fn recorded(store: &dyn Store, except: &str) -> Result<Vec<(Past, bool)>> {
    // Each period is read and parsed on its own, in parallel; the order is the periods'.
    effective(store, except)?
        .par_iter()
        .map(|(effective, closed)| {
            let input = audit::stored_period(store, effective)?;
            let result = audit::stored_run(store, effective.record.seq)?.result;
            let past = Past { seq: effective.record.seq, record_hash: effective.hash.clone(), input, result };
            Ok((past, *closed))
        })
        .collect()
}

/// The effective run of every period recorded in `store` but `except` (as [`recorded`] reads
/// them, from the records alone), by period id, and whether the period is closed.
pub fn effective(store: &dyn Store, except: &str) -> Result<Vec<(crate::store::Stored, bool)>> {
    let mut by_period: BTreeMap<String, Vec<crate::store::Stored>> = BTreeMap::new();
    for stored in store.runs(None)? {
        if stored.record.period != except {
            by_period.entry(stored.record.period.clone()).or_default().push(stored);
        }
    }
    by_period
        .into_iter()
        .map(|(id, mut runs)| {
            let closed = store.closed(&id)?;
            let last = runs.len() - 1;
            let at = match closed {
                Some(final_run) => runs
                    .iter()
                    .rposition(|r| r.record.kind == Kind::Adjustment && r.record.adjusts == Some(final_run))
                    .or_else(|| runs.iter().position(|r| r.record.seq == final_run))
                    .unwrap_or(last),
                None => last,
            };
            Ok((runs.swap_remove(at), closed.is_some()))
        })
        .collect()
}

/// Reads the history of `period` from `store`, and checks it against the period: coverage, the
/// series' start, deal ids unique across the series.
pub fn read(store: &dyn Store, period: &Period) -> Result<History> {
    let Some(series) = &period.period.series else { return Ok(History::default()) };
    let start = period.period.start;
    let mut periods = Vec::new();
    for (past, closed) in recorded(store, &period.period.id)? {
        let info = &past.input.period.period;
        if info.series.as_ref().map(|s| &s.id) != Some(&series.id) || info.end >= start {
            continue;
        }
        let id = &info.id;
        if info.series.as_ref().map(|s| s.start) != Some(series.start) {
            let theirs = info.series.as_ref().map_or_else(String::new, |s| s.start.to_string());
            return Err(problem(
                "period.series.start",
                format!(
                    "series {} starts on {} in period {} and on {theirs} in period {id}",
                    series.id, series.start, period.period.id
                ),
            ));
        }
        if !closed {
            return Err(problem(
                "period.series",
                format!("period {id} of series {} is not closed: close {id} first", series.id),
            ));
        }
        periods.push(past);
    }
    periods.sort_by_key(|p| p.input.period.period.start);
    covers(&periods, series.start, start, &series.id)?;
    unique_deals(&periods, period)?;
    reversals(&periods, period)?;
    Ok(History { periods })
}

/// Every day from `from` to the day before `until` is in exactly one period.
fn covers(periods: &[Past], from: NaiveDate, until: NaiveDate, series: &str) -> Result<()> {
    let mut day = from;
    for p in periods {
        let info = &p.input.period.period;
        if info.start > day {
            return Err(problem("period.series", format!("{day} is in no closed period of series {series}")));
        }
        if info.start < day {
            return Err(problem(
                "period.series",
                format!("{} is in two periods of series {series} (the second is {})", info.start, info.id),
            ));
        }
        day = info.end + Days::new(1);
    }
    if day < until {
        return Err(problem("period.series", format!("{day} is in no closed period of series {series}")));
    }
    Ok(())
}

/// Deal ids are unique across the series: the period's and its history's.
fn unique_deals(periods: &[Past], period: &Period) -> Result<()> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for p in periods {
        for deal in &p.input.period.deals {
            if let Some(other) = seen.insert(&deal.id, &p.input.period.period.id) {
                let id = &p.input.period.period.id;
                return Err(problem("deals", format!("deal {:?} is in periods {other} and {id}", deal.id)));
            }
        }
    }
    let problems: Vec<InputProblem> = period
        .deals
        .iter()
        .filter_map(|d| {
            let other = seen.get(d.id.as_str())?;
            Some(InputProblem {
                path: "deals".into(),
                position: None,
                message: format!("deal {:?} is also in period {other} of the series", d.id),
            })
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(Error::Input { file: "period".into(), problems }) }
}

/// Each reversing deal names a deal of the history, credits the same participants by the same
/// splits, and reverses at most its amount.
fn reversals(periods: &[Past], period: &Period) -> Result<()> {
    let mut problems = Vec::new();
    for deal in &period.deals {
        let Some(original) = &deal.reverses else { continue };
        let found = periods.iter().flat_map(|p| &p.input.period.deals).find(|d| &d.id == original);
        let why = match found {
            None => {
                Some(format!("deal {:?} reverses {original:?}, which is in no earlier period of the series", deal.id))
            }
            Some(o) if deal.amount.abs() > o.amount.abs() => Some(format!(
                "deal {:?} reverses {} of {original:?}, which was {}",
                deal.id,
                deal.amount.abs(),
                o.amount.abs()
            )),
            Some(o)
                if if o.splits.is_empty() { o.participant != deal.participant } else { o.splits != deal.splits } =>
            {
                Some(format!(
                    "deal {:?} reverses {original:?} but credits other participants (a reversal has the same participant and splits)",
                    deal.id
                ))
            }
            Some(_) => None,
        };
        problems.extend(why.map(|message| InputProblem { path: "deals".into(), position: None, message }));
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Input { file: "period".into(), problems }) }
}
