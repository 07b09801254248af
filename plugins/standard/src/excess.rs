//! Excess pool (`policies/excess_pool.rhai`): in each team, the members who reach `threshold` of
//! their target share `pool` by their sales above it. Component `excess`.

use payplan_sdk::view::{Out, Params, View, Who};
use rust_decimal::Decimal;

/// The rule.
pub fn excess_pool<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let threshold = params.decimal("threshold")?;
    let pool = params.decimal("pool")?;
    if pool < Decimal::ZERO {
        return Err("params.pool must be an amount >= 0".into());
    }
    let pool = view.round(pool);
    let mut out = Out::default();
    for t in 0..view.teams() {
        let qualifiers: Vec<Who> = view.team_members(t).filter(|&w| view.reaches(w, threshold)).collect();
        if qualifiers.is_empty() {
            continue;
        }
        let weights: Vec<Decimal> =
            qualifiers.iter().map(|&w| view.sales(w) - threshold * view.target(w).unwrap_or_default()).collect();
        let shares = view.allocate(pool, &qualifiers, &weights)?;
        for ((&w, share), weight) in qualifiers.iter().zip(shares).zip(&weights) {
            let why = vec![
                format!("team {} pool {} among {}", view.team_id(t), view.round(pool), qualifiers.len()),
                format!("excess {} → {}", view.round(*weight), view.round(share)),
            ];
            out.pay(w, "excess", share, why);
        }
    }
    Ok(out)
}
