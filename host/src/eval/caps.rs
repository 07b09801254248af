//! Caps on what a period pays (series.md, "Caps"): a policy's `cap` on each of its lines, and the
//! plan's `[caps] period` on a participant's total, paid back as one line of policy `caps`.

use super::Payees;
use crate::plan::{CAPS, DRAWS, Plan};
use crate::runtime::{Env, Line, Output};
use crate::series::History;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Holds each positive line of a settled output to `cap` (rounded to the minor unit like the
/// lines); the excess is forfeit, and the explanation says so. Negative lines are not capped.
pub(super) fn each_line<'a>(env: &Env, cap: Decimal, lines: impl Iterator<Item = &'a mut Line>) {
    let cap = env.round(cap);
    for line in lines.filter(|l| l.amount > cap) {
        line.explain.push(format!("capped at {cap} (was {})", line.amount));
        line.amount = cap;
    }
}

/// The plan's own caps, as lines of policy `caps`: `cap:period` holds a participant's total of
/// the plan's lines in this period to `[caps] period` (`−(total − cap)`); `cap:series` holds
/// what the series has paid them to date (every non-draw line of the history, plus this period's
/// total after the period cap) to `[caps] series`, taking back at most this period's total.
pub(super) fn plan_caps(plan: &Plan, payees: &Payees, history: &History, outputs: &[Output]) -> Output {
    let round = |x: Decimal| plan.rounding.round(x, payees.facts.currency.places());
    let mut totals = super::totals(payees, outputs);
    let mut out = Output::new(CAPS);
    if let Some(cap) = plan.period_cap.map(round) {
        for (who, total) in totals.iter_mut().enumerate().filter(|(_, t)| **t > cap) {
            let amount = cap - *total;
            let explain = vec![format!("plan lines total {total}; period cap {cap}: {amount}")];
            out.lines.push(Line { who, component: "cap:period".into(), amount, explain });
            *total = cap;
        }
    }
    if let Some(cap) = plan.series_cap.map(round) {
        let mut before: HashMap<&str, Decimal> = HashMap::new();
        for line in history.periods.iter().flat_map(|p| &p.result.payouts).filter(|l| l.policy != DRAWS) {
            let sum = before.entry(line.participant.as_str()).or_default();
            *sum = sum.saturating_add(line.amount);
        }
        for (who, total) in totals.into_iter().enumerate() {
            let paid = before.get(payees.id(who)).copied().unwrap_or_default();
            let excess = paid.saturating_add(total) - cap;
            let amount = -excess.min(total.max(Decimal::ZERO));
            if excess > Decimal::ZERO && !amount.is_zero() {
                let explain = vec![format!(
                    "paid before {paid}, this period {total}: to date {}; series cap {cap}: {amount}",
                    paid.saturating_add(total)
                )];
                out.lines.push(Line { who, component: "cap:series".into(), amount, explain });
            }
        }
    }
    out
}
