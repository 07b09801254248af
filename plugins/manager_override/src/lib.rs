//! Manager override (管理津贴) as a plugin, to the cent what `policies/manager_override.rhai` pays
//! (crediting.md, "Reporting hierarchy"): each participant with reports earns, level by level, a
//! rate on the sales of the participants that many levels below (the typed `manager` field and
//! the `reports` the host derives from it).
//!
//! params: `levels` (list of `{ rate }`, level 1 first), `include_own` (default false). One line
//! per manager, component `override`: round(Σ rate_k × sales at level k (+ rate_1 × own sales)),
//! negative after refunds; no line when it is 0.

use payplan_sdk::abi::{PolicyInput, PolicyOutput};
use payplan_sdk::exact::parse_decimal;
use rust_decimal::Decimal;
use serde_json::Value;

fn rates(input: &PolicyInput) -> Result<Vec<Decimal>, String> {
    let bad = || "params.levels must be a list of { rate }".to_string();
    let levels = input.params.get("levels").and_then(Value::as_array).filter(|l| !l.is_empty()).ok_or_else(bad)?;
    levels
        .iter()
        .map(|level| match level.get("rate") {
            Some(Value::Number(n)) => parse_decimal(&n.to_string()).ok_or_else(bad),
            Some(Value::String(s)) => parse_decimal(s).ok_or_else(bad),
            _ => Err(bad()),
        })
        .collect()
}

fn manager_override(input: &PolicyInput) -> Result<PolicyOutput, String> {
    let rates = rates(input)?;
    let include_own = match input.params.get("include_own") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("params.include_own must be true or false".into()),
    };
    let mut out = PolicyOutput::default();
    for p in input.participants.iter().filter(|p| !p.reports.is_empty()) {
        let by_level = input.org_levels(&p.id, rates.len())?;
        let mut total = Decimal::ZERO;
        let mut explain = Vec::new();
        for (k, (sales, rate)) in by_level.iter().zip(&rates).enumerate() {
            total += rate * sales;
            explain.push(format!("level {}: sales {} × {rate}", k + 1, input.round(*sales)));
        }
        if include_own {
            total += rates[0] * p.sales;
            explain.push(format!("own sales {} × {}", input.round(p.sales), rates[0]));
        }
        explain.push(format!("override {}", input.round(total)));
        out.pay(&p.id, "override", total, explain);
    }
    Ok(out)
}

payplan_sdk::export_policy!(manager_override, reads_earlier = false);
