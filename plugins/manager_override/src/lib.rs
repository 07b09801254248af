//! Manager override (管理津贴), a policy that exists only as a plugin: a manager earns `rate` on
//! the sales of the participants who report to them (the `manager` attribute on a participant
//! names the manager's id).
//!
//! params: `rate`. One line per manager, component `manager_override`: round(rate × Σ reports'
//! sales), negative after refunds; no line when it is 0. A `manager` naming nobody fails the
//! policy.

use payplan_sdk::abi::{PolicyInput, PolicyOutput};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

fn manager_override(input: &PolicyInput) -> Result<PolicyOutput, String> {
    let rate = input.decimal("rate")?;
    let mut reports: BTreeMap<&str, Vec<(&str, Decimal)>> = BTreeMap::new();
    for p in &input.participants {
        let Some(manager) = p.attributes.get("manager") else { continue };
        let manager = manager.as_str().ok_or_else(|| format!("participant {}: manager must be an id", p.id))?;
        if input.participant(manager).is_none() {
            return Err(format!("participant {}: unknown manager {manager:?}", p.id));
        }
        reports.entry(manager).or_default().push((&p.id, p.sales));
    }
    let mut out = PolicyOutput::default();
    for (manager, team) in reports {
        let sum: Decimal = team.iter().map(|(_, sales)| sales).sum();
        let amount = rate * sum;
        let mut explain: Vec<String> = team.iter().map(|(id, sales)| format!("report {id}: sales {sales}")).collect();
        explain.push(format!("{} report(s) sum to {sum}; × {rate} = {}", team.len(), input.round(amount)));
        out.pay(manager, "manager_override", amount, explain);
    }
    Ok(out)
}

payplan_sdk::export_policy!(manager_override, reads_earlier = false);
