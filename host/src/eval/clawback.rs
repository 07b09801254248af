//! Clawbacks (series.md, "Clawbacks"): a deal that reverses a deal of a closed period takes back,
//! for each policy the plan lists, that policy's pay on the reversed credit, in proportion to
//! what the policy paid the participant for their sales of that period.

use crate::error::Result;
use crate::facts::Facts;
use crate::input::Input;
use crate::money::fixed;
use crate::plan::{CLAWBACK, Plan};
use crate::runtime::{Line, Output};
use crate::series::History;
use payplan_sdk::period::Period;
use rust_decimal::Decimal;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

/// The period without its reversing deals: what its own facts are under `[clawback]`.
pub(super) fn without_reversals(period: &Period) -> Period {
    let deals = period.deals.iter().filter(|d| d.reverses.is_none()).cloned().collect();
    Period { deals, ..period.clone() }
}

/// The clawback lines of this period: for each reversed deal, each participant its reversal
/// credits and each listed policy X, `round(credit × L / S)` where L is what X paid them in the
/// reversed deal's period and S their sales there; none when S <= 0.
pub(super) fn lines(plan: &Plan, now: &Facts, history: &History) -> Result<Output> {
    // (original deal, participant) → the reversals' summed credit, in one pass over the credits.
    let mut reversed: BTreeMap<(&str, usize), Decimal> = BTreeMap::new();
    for (who, person) in now.people.iter().enumerate() {
        for c in &person.deals {
            if let Some(original) = now.deals[c.deal].reverses.as_deref() {
                *reversed.entry((original, who)).or_default() += c.credit;
            }
        }
    }
    let mut out = Output::new(CLAWBACK);
    let mut sales_then: HashMap<usize, Facts> = HashMap::new();
    let places = now.currency.places();
    for ((original, who), credit) in reversed {
        let Some(at) = history.periods.iter().position(|p| p.input.period.deals.iter().any(|d| d.id == original))
        else {
            continue; // checked when the history was read
        };
        let past = &history.periods[at];
        // That period's facts under [clawback]: without its own reversing deals.
        let then = match sales_then.entry(at) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let input = Input { period: without_reversals(&past.input.period), currency: past.input.currency };
                e.insert(Facts::derived(input, plan.rounding)?)
            }
        };
        let id = &now.participants[who].id;
        let Some(sales) = then.who(id).map(|q| then.people[q].sales).filter(|s| *s > Decimal::ZERO) else { continue };
        for policy in &plan.clawback {
            let paid: Decimal = past
                .result
                .payouts
                .iter()
                .filter(|l| &l.participant == id && &l.policy == policy)
                .map(|l| l.amount)
                .sum();
            let amount = plan.rounding.round(credit * paid / sales, places);
            if amount.is_zero() {
                continue;
            }
            let period = &past.result.period;
            let explain = vec![format!(
                "reversed credit {} of {original} × {policy} paid {} / sales {} in {period}",
                fixed(credit, places),
                fixed(paid, places),
                fixed(sales, places)
            )];
            out.lines.push(Line { who, component: format!("{policy}:{original}"), amount, explain });
        }
    }
    Ok(out)
}
