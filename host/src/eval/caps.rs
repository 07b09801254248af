//! Caps on what a period pays (series.md, "Caps"): a policy's `cap` on each of its lines, and the
//! plan's `[caps] period` on a participant's total, paid back as one line of policy `caps`.

use crate::facts::Facts;
use crate::money::Rounding;
use crate::runtime::{Env, Line, Output};
use rust_decimal::Decimal;

/// Holds each positive line of a settled output to `cap` (rounded to the minor unit like the
/// lines); the excess is forfeit, and the explanation says so. Negative lines are not capped.
pub(super) fn each_line<'a>(env: &Env, cap: Decimal, lines: impl Iterator<Item = &'a mut Line>) {
    let cap = env.round(cap);
    for line in lines.filter(|l| l.amount > cap) {
        line.explain.push(format!("capped at {cap} (was {})", line.amount));
        line.amount = cap;
    }
}

/// The `cap:period` lines: for each participant whose plan-policy lines total more than `cap`,
/// `−(total − cap)`, in participant order.
pub(super) fn period(facts: &Facts, rounding: Rounding, cap: Decimal, outputs: &[Output]) -> Output {
    let cap = rounding.round(cap, facts.currency.places());
    let mut totals = vec![Decimal::ZERO; facts.participants.len()];
    for line in outputs.iter().flat_map(|o| &o.lines) {
        // Settled lines are rounded amounts; their sums were checked by no one yet, so saturate
        // here and let assembling name an overflow.
        totals[line.who] = totals[line.who].saturating_add(line.amount);
    }
    let mut out = Output::new(crate::plan::CAPS);
    for (who, total) in totals.into_iter().enumerate().filter(|(_, t)| *t > cap) {
        out.lines.push(Line {
            who,
            component: "cap:period".into(),
            amount: cap - total,
            explain: vec![format!("plan lines total {total}; period cap {cap}: {}", cap - total)],
        });
    }
    out
}
