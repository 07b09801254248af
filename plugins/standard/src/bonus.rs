//! Performance bonus (`policies/performance_bonus.rhai`): `base` × the multiplier of the grade an
//! earlier scoring policy (`scorecard`) gave, 0 for a grade without one. Component `bonus`, for
//! everyone scored.

use crate::each;
use payplan_sdk::view::{Out, Paid, Params, View, decimal};
use rust_decimal::Decimal;

/// The rule. Reads the earlier policies' scores.
pub fn performance_bonus<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let scorecard = params.text("scorecard", "").ok().filter(|s| !s.is_empty());
    let scorecard = scorecard.ok_or("params.scorecard must name a scoring policy earlier in the plan")?;
    let base = params.decimal("base")?;
    let Some(serde_json::Value::Object(multipliers)) = params.get("multipliers") else {
        return Err("params.multipliers must be a table of grade = multiplier".into());
    };
    let lines = each(view, |who| {
        let Some((score, grade)) = view.score(scorecard, who) else { return Ok(Vec::new()) };
        let multiplier = multipliers.get(grade).and_then(decimal).unwrap_or(Decimal::ZERO);
        let explain =
            vec![format!("{scorecard} score {score} → grade {grade}"), format!("{} × {multiplier}", view.round(base))];
        Ok(vec![Paid { who, component: "bonus".into(), amount: base * multiplier, explain }])
    })?;
    Ok(Out { lines, scores: Vec::new() })
}
