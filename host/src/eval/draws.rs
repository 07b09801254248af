//! Draws (series.md, "Draws"): a guarantee tops a participant's earnings up to its amount; a
//! recoverable draw does too, and what it paid is recovered from later earnings over the draw,
//! across the whole series.

use super::Payees;
use crate::money::fixed;
use crate::plan::{DRAWS, Plan};
use crate::runtime::{Line, Output};
use crate::series::History;
use payplan_sdk::period::DrawKind;
use payplan_sdk::result::Money;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// The draw lines of this period, and every non-zero balance after it, by participant id.
pub(super) struct Drawn {
    pub(super) output: Output,
    pub(super) balances: BTreeMap<String, Money>,
}

/// Draws against `outputs` (the plan's policies and caps, settled): `earned` is a participant's
/// total of them; the balance before is what the history's runs paid as `draw:recoverable` less
/// what they recovered.
pub(super) fn draws(plan: &Plan, payees: &Payees, history: &History, outputs: &[Output]) -> Drawn {
    let places = payees.facts.currency.places();
    let money = |x: Decimal| fixed(x, places);
    let earned = super::totals(payees, outputs);
    let mut balance: HashMap<&str, Decimal> = HashMap::new();
    for line in history.periods.iter().flat_map(|p| &p.result.payouts).filter(|l| l.policy == DRAWS) {
        let sum = balance.entry(line.participant.as_str()).or_default();
        match line.component.as_str() {
            "draw:recoverable" => *sum += line.amount,
            "draw_recovery" => *sum -= line.amount.abs(),
            _ => {}
        }
    }
    let rate = plan.recovery_rate.unwrap_or(Decimal::ONE);
    let mut output = Output::new(DRAWS);
    let mut balances = BTreeMap::new();
    for (who, earned) in earned.into_iter().enumerate() {
        let id = payees.id(who);
        let draw = payees.participant(who).and_then(|p| p.draw.as_ref());
        let mut after = balance.remove(id).unwrap_or_default();
        let threshold = draw.map_or(Decimal::ZERO, |d| d.amount);
        if after > Decimal::ZERO && earned > threshold {
            let recovered = plan.rounding.round(rate * (earned - threshold), places).min(after);
            let explain = vec![format!(
                "balance {}; earned {} over the draw's {} × {rate} → recovers {}",
                money(after),
                money(earned),
                money(threshold),
                money(recovered)
            )];
            output.lines.push(Line { who, component: "draw_recovery".into(), amount: -recovered, explain });
            after -= recovered;
        }
        if let Some(draw) = draw {
            let top_up = plan.rounding.round((draw.amount - earned).max(Decimal::ZERO), places);
            let (component, kept) = match draw.kind {
                DrawKind::Guarantee => ("draw:guarantee", "kept"),
                DrawKind::Recoverable => ("draw:recoverable", "recovered from later earnings"),
            };
            if !top_up.is_zero() {
                let explain = vec![format!(
                    "draw {} against earnings {}: {} ({kept})",
                    money(draw.amount),
                    money(earned),
                    money(top_up)
                )];
                output.lines.push(Line { who, component: component.into(), amount: top_up, explain });
                if draw.kind == DrawKind::Recoverable {
                    after += top_up;
                }
            }
        }
        if !after.is_zero() {
            balances.insert(id.to_owned(), Money(money(after)));
        }
    }
    // Someone with a balance who is paid nothing in this period keeps it.
    for (id, left) in balance.into_iter().filter(|(_, b)| !b.is_zero()) {
        balances.insert(id.to_owned(), Money(money(left)));
    }
    Drawn { output, balances }
}
