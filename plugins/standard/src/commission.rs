//! Tiered commission (`policies/tiered_commission.rhai`): `whole`, the highest tier reached pays
//! its rate on all sales; `marginal`, each tier's rate pays on the sales between its `at` and the
//! next `at` (ratios of the target). Component `commission`, for everyone with a target.

use crate::{each, numbers};
use payplan_sdk::view::{Out, Paid, Params, View};
use rust_decimal::Decimal;

/// The rule.
pub fn tiered_commission<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let list = params.list("tiers").map_err(|_| "params.tiers must be a non-empty list of { at, rate }")?;
    let need = "params.tiers needs a number \"at\" and a number \"rate\" in every tier";
    let tiers: Vec<(Decimal, Decimal)> =
        numbers(list, "at", need)?.into_iter().zip(numbers(list, "rate", need)?).collect();
    if tiers.windows(2).any(|w| w[1].0 <= w[0].0) {
        return Err("params.tiers: each tier's at must be greater than the tier before it".into());
    }
    let whole = match params.text("method", "whole")? {
        "whole" => true,
        "marginal" => false,
        other => return Err(format!("params.method must be \"whole\" or \"marginal\", not \"{other}\"")),
    };
    let lines = each(view, |who| {
        let Some(target) = view.target(who) else { return Ok(Vec::new()) };
        let sales = view.sales(who);
        let mut why = vec![format!("sales {} of target {}", view.round(sales), view.round(target))];
        let amount = if whole {
            match tiers.iter().rev().find(|(at, _)| view.reaches(who, *at)) {
                Some((at, rate)) => {
                    why.push(format!("reaches tier {at} → rate {rate}"));
                    sales * rate
                }
                None => Decimal::ZERO,
            }
        } else {
            let mut sum = Decimal::ZERO;
            for (k, (at, rate)) in tiers.iter().enumerate() {
                let high = tiers.get(k + 1).map_or(sales, |(next, _)| sales.min(*next * target));
                let slice = high - *at * target;
                if slice > Decimal::ZERO {
                    sum += *rate * slice;
                    why.push(format!("tier {at}: {} × {rate}", view.round(slice)));
                }
            }
            sum
        };
        why.push(format!("= {}", view.round(amount)));
        Ok(vec![Paid { who, component: "commission".into(), amount, explain: why }])
    })?;
    Ok(Out { lines, scores: Vec::new() })
}
