//! Mentor bonus (`policies/mentor_bonus.rhai`): for a mentee's first deal within `window_days` of
//! hiring (and no deals before the period), `mentor_amount` to the mentor (component
//! `first_deal:<mentee>`) and `mentee_amount` to the mentee (`first_deal`); and to the mentor
//! `override_rate` of the mentee's in-window credits (`override:<mentee>`, no line when 0).

use crate::each;
use payplan_sdk::view::{Out, Paid, Params, View};
use rust_decimal::Decimal;

/// The rule. Reads the deals.
pub fn mentor_bonus<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let window = params.decimal("window_days")?;
    let to_mentor = params.decimal("mentor_amount")?;
    let to_mentee = params.decimal("mentee_amount")?;
    let rate = params.decimal("override_rate")?;
    let lines = each(view, |who| {
        let Some(mentor) = view.mentor(who) else { return Ok(Vec::new()) };
        let hired = view.hired_on(who).ok_or_else(|| format!("mentee {} has no hired_on", view.id(who)))?;
        let in_window = |deal: usize| {
            let days = Decimal::from((view.closed_on(deal) - hired).num_days());
            days >= Decimal::ZERO && days <= window
        };
        let id = view.id(who);
        let mut lines = Vec::new();
        let first = view.first_credit(who).and_then(|i| view.credits(who).nth(i)).map(|(deal, _)| deal);
        if view.prior_deals(who) == 0
            && let Some(first) = first.filter(|&d| in_window(d))
        {
            let why = format!("first deal {} on {}", view.deal_id(first), view.closed_on(first));
            let component = format!("first_deal:{id}");
            lines.push(Paid { who: mentor, component, amount: to_mentor, explain: vec![why.clone()] });
            lines.push(Paid { who, component: "first_deal".into(), amount: to_mentee, explain: vec![why] });
        }
        let sum: Decimal = view.credits(who).filter(|&(deal, _)| in_window(deal)).map(|(_, credit)| credit).sum();
        if !sum.is_zero() {
            let explain = vec![format!("in-window deals sum to {}", view.round(sum))];
            lines.push(Paid { who: mentor, component: format!("override:{id}"), amount: rate * sum, explain });
        }
        Ok(lines)
    })?;
    Ok(Out { lines, scores: Vec::new() })
}
