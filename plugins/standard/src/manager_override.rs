//! Manager override (管理津贴, `policies/manager_override.rhai`, crediting.md "Reporting
//! hierarchy"): each participant with reports earns, level by level, a rate on the sales of the
//! participants that many levels below. params: `levels` (list of `{ rate }`, level 1 first),
//! `include_own` (default false: rate 1 on its own sales too). One line per manager, component
//! `override`, with the script's explanation.

use crate::{each, numbers};
use payplan_sdk::view::{Out, Paid, Params, View};
use rust_decimal::Decimal;

/// The rule.
pub fn manager_override<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let bad = "params.levels must be a list of { rate }";
    let rates = numbers(params.list("levels").map_err(|_| bad)?, "rate", bad)?;
    let include_own = params.flag("include_own", false)?;
    let lines = each(view, |who| {
        if view.reports(who).next().is_none() {
            return Ok(Vec::new());
        }
        let by_level = view.org_levels(who, rates.len())?;
        let mut total = Decimal::ZERO;
        let mut explain = Vec::with_capacity(by_level.len() + 2);
        for (k, (sales, rate)) in by_level.iter().zip(&rates).enumerate() {
            total += rate * sales;
            explain.push(format!("level {}: sales {} × {rate}", k + 1, view.round(*sales)));
        }
        if include_own {
            total += rates[0] * view.sales(who);
            explain.push(format!("own sales {} × {}", view.round(view.sales(who)), rates[0]));
        }
        explain.push(format!("override {}", view.round(total)));
        Ok(vec![Paid { who, component: "override".into(), amount: total, explain }])
    })?;
    Ok(Out { lines, scores: Vec::new() })
}
