//! An accumulating policy (series.md, "To-date accumulation and true-up"): it runs on its
//! window's cumulative view, and each (participant, component) is paid what it owes to date less
//! what the window's earlier periods paid for it.

use super::settle;
use crate::error::Result;
use crate::facts::Facts;
use crate::money::fixed;
use crate::runtime::{Env, Line, Output, Policy, ScoreLine};
use crate::series::Past;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an accumulating policy pays in this period: lines and scores of this period's
/// participants, and lines of people who are only in the window's earlier periods (by id).
pub(super) struct Paid {
    pub(super) output: Output,
    pub(super) absent: Vec<(String, Line)>,
}

/// Runs `policy` on `view` (the window's facts) and pays `to_date − before` against `now`.
pub(super) fn run(
    policy: &dyn Policy,
    view: &Arc<Facts>,
    past: &[&Past],
    now: &Env,
    pool: &rayon::ThreadPool,
) -> Result<Paid> {
    let env = Env { facts: view.clone(), rounding: now.rounding, earlier: Arc::default(), halt: now.halt.clone() };
    let out = pool.install(|| policy.run(&env, pool))?;
    let out = settle(&env, policy, out)?;
    let id = |who: usize| view.participants[who].id.clone();

    let mut owed: BTreeMap<(String, String), (Decimal, Decimal, Vec<String>)> = BTreeMap::new();
    for line in out.lines {
        owed.insert((id(line.who), line.component), (line.amount, Decimal::ZERO, line.explain));
    }
    for payout in past.iter().flat_map(|p| &p.result.payouts).filter(|l| l.policy == policy.id()) {
        let entry = owed.entry((payout.participant.clone(), payout.component.clone())).or_default();
        entry.1 += payout.amount;
    }
    let places = now.facts.currency.places();
    let mut paid = Paid { output: Output::new(policy.id()), absent: Vec::new() };
    for ((participant, component), (to_date, before, mut explain)) in owed {
        let amount = to_date - before;
        if amount.is_zero() {
            continue;
        }
        explain.push(format!(
            "to date {}; paid before {}; this period {}",
            fixed(to_date, places),
            fixed(before, places),
            fixed(amount, places)
        ));
        match now.facts.who(&participant) {
            Some(who) => paid.output.lines.push(Line { who, component, amount, explain }),
            None => paid.absent.push((participant, Line { who: usize::MAX, component, amount, explain })),
        }
    }
    for score in out.scores {
        if let Some(who) = now.facts.who(&id(score.who)) {
            paid.output.score_of.insert(who, paid.output.scores.len());
            paid.output.scores.push(ScoreLine { who, ..score });
        }
    }
    Ok(paid)
}
