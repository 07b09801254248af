//! Group PK (小组PK, `policies/group_pk.rhai`): groups ranked by `metric` (`attainment`, compared
//! by cross-multiplying, or `sales`), tie blocks sharing their ranks' prizes equally, each group's
//! prize split among its members `equal`ly or `by_sales` (weight max(sales, 0)). Component `pk`.

use payplan_sdk::view::{Out, Params, View, Who, decimal};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// The rule.
pub fn group_pk<V: View>(view: &V, params: &Params) -> Result<Out, String> {
    let metric = params.text("metric", "")?;
    if metric != "attainment" && metric != "sales" {
        return Err(format!("params.metric must be \"attainment\" or \"sales\", not \"{metric}\""));
    }
    let split = params.text("split", "equal")?;
    if split != "equal" && split != "by_sales" {
        return Err(format!("params.split must be \"equal\" or \"by_sales\", not \"{split}\""));
    }
    let bad = || "params.prizes must be a list of amounts >= 0 by rank".to_string();
    let prizes: Vec<Decimal> = params
        .list("prizes")
        .map_err(|_| bad())?
        .iter()
        .map(|v| decimal(v).filter(|d| !d.is_sign_negative()).ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    let min_members = params.decimal_or("min_members", Decimal::ONE)?;

    let members: Vec<Vec<Who>> = (0..view.groups()).map(|g| view.group_members(g).collect()).collect();
    let mut competing: Vec<usize> = (0..view.groups())
        .filter(|&g| {
            Decimal::from(members[g].len()) >= min_members
                && (metric == "sales" || view.group_target(g) > Decimal::ZERO)
        })
        .collect();
    // Ahead first; attainments compared by cross-multiplying, never by a rounded division.
    let ahead = |a: usize, b: usize| -> Ordering {
        let (sa, sb) = (view.group_sales(a), view.group_sales(b));
        if metric == "sales" { sb.cmp(&sa) } else { (sb * view.group_target(a)).cmp(&(sa * view.group_target(b))) }
    };
    competing.sort_by(|&a, &b| ahead(a, b).then_with(|| view.group_id(a).cmp(view.group_id(b))));

    let mut out = Out::default();
    let mut i = 0;
    while i < competing.len() {
        let mut j = i;
        while j + 1 < competing.len() && ahead(competing[i], competing[j + 1]).is_eq() {
            j += 1;
        }
        let block_prize = view.round((i..=j).filter_map(|rank| prizes.get(rank)).sum());
        let ranks = if i == j {
            format!("rank {}", i + 1)
        } else {
            format!("ranks {}–{} (tie of {})", i + 1, j + 1, j - i + 1)
        };
        // The block's groups share its prize as participants would, by the groups' names.
        let names: Vec<&str> = competing[i..=j].iter().map(|&g| view.group_id(g)).collect();
        let shares =
            payplan_sdk::allocate::allocate(block_prize, view.places(), &names, &vec![Decimal::ONE; names.len()])?;
        for (&g, prize) in competing[i..=j].iter().zip(shares) {
            if prize.is_zero() {
                continue;
            }
            let weights: Vec<Decimal> = if split == "equal" {
                vec![Decimal::ONE; members[g].len()]
            } else {
                members[g].iter().map(|&w| view.sales(w).max(Decimal::ZERO)).collect()
            };
            for ((&w, share), weight) in
                members[g].iter().zip(view.allocate(prize, &members[g], &weights)?).zip(&weights)
            {
                let how = if split == "equal" {
                    format!("equal share of {}", members[g].len())
                } else {
                    format!("share by sales {weight}")
                };
                let explain = vec![
                    format!(
                        "group {} sales {} of target {}",
                        view.group_id(g),
                        view.group_sales(g),
                        view.group_target(g)
                    ),
                    format!("{ranks} → group prize {prize}"),
                    format!("{how} → {share}"),
                ];
                out.pay(w, "pk", share, explain);
            }
        }
        i = j + 1;
    }
    Ok(out)
}
