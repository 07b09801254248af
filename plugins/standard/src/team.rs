//! Team bonus (`policies/team_bonus.rhai`): a team that reaches its target pays `pool_rate` of
//! its sales, in equal shares, to the members who reach `min_attainment` of their own target.
//! Component `team`.

use payplan_sdk::view::{Out, Params, View, Who};
use rust_decimal::Decimal;

/// The rule.
pub fn team_bonus<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let rate = params.decimal("pool_rate")?;
    if rate < Decimal::ZERO {
        return Err("params.pool_rate must be a number >= 0".into());
    }
    let min = params.decimal("min_attainment")?;
    let mut out = Out::default();
    for t in 0..view.teams() {
        let sales = view.team_sales(t);
        if view.team_target(t).is_none_or(|target| sales < target) {
            continue;
        }
        let eligible: Vec<Who> = view.team_members(t).filter(|&w| view.reaches(w, min)).collect();
        if eligible.is_empty() {
            continue;
        }
        let pool = view.round(rate * sales);
        let shares = view.allocate(pool, &eligible, &vec![Decimal::ONE; eligible.len()])?;
        for (&w, share) in eligible.iter().zip(shares) {
            let why = vec![
                format!("team {} pool {}", view.team_id(t), view.round(pool)),
                format!("equal share {}", view.round(share)),
            ];
            out.pay(w, "team", share, why);
        }
    }
    Ok(out)
}
