//! Group PK (小组PK) as a plugin, with the semantics of `policies/group_pk.rhai`
//! (policies.md): groups ranked by `metric` (`attainment` compared by cross-multiplying, or
//! `sales`), tie blocks sharing their ranks' prizes equally, each group's prize split among its
//! members `equal`ly or `by_sales` (weight max(sales, 0)). Component `pk`.

use payplan_sdk::abi::{GroupView, PolicyInput, PolicyOutput};
use rust_decimal::Decimal;
use serde_json::Value;
use std::cmp::Ordering;

fn group_pk(input: &PolicyInput) -> Result<PolicyOutput, String> {
    let metric = input.text("metric", "")?;
    if metric != "attainment" && metric != "sales" {
        return Err(format!("params.metric must be \"attainment\" or \"sales\", not \"{metric}\""));
    }
    let split = input.text("split", "equal")?;
    if split != "equal" && split != "by_sales" {
        return Err(format!("params.split must be \"equal\" or \"by_sales\", not \"{split}\""));
    }
    let prizes = prizes(input)?;
    let min_members =
        if input.params.contains_key("min_members") { input.decimal("min_members")? } else { Decimal::ONE };

    let mut competing: Vec<&GroupView> = input
        .groups
        .iter()
        .filter(|g| Decimal::from(g.members.len()) >= min_members && (metric == "sales" || g.target > Decimal::ZERO))
        .collect();
    // Ahead first; attainments compared by cross-multiplying, never by a rounded division.
    let ahead = |a: &GroupView, b: &GroupView| -> Ordering {
        if metric == "sales" { b.sales.cmp(&a.sales) } else { (b.sales * a.target).cmp(&(a.sales * b.target)) }
    };
    competing.sort_by(|a, b| ahead(a, b).then_with(|| a.id.cmp(&b.id)));

    let mut out = PolicyOutput::default();
    let mut i = 0;
    while i < competing.len() {
        let mut j = i;
        while j + 1 < competing.len() && ahead(competing[i], competing[j + 1]).is_eq() {
            j += 1;
        }
        let block_prize: Decimal = (i..=j).filter_map(|rank| prizes.get(rank)).sum();
        let block_prize = input.round(block_prize);
        let ids: Vec<&str> = competing[i..=j].iter().map(|g| g.id.as_str()).collect();
        let ranks = if i == j {
            format!("rank {}", i + 1)
        } else {
            format!("ranks {}–{} (tie of {})", i + 1, j + 1, ids.len())
        };
        let shares = input.allocate(block_prize, &ids, &vec![Decimal::ONE; ids.len()])?;
        for (group, prize) in competing[i..=j].iter().zip(shares) {
            pay_group(input, &mut out, group, prize, &ranks, split)?;
        }
        i = j + 1;
    }
    Ok(out)
}

fn pay_group(
    input: &PolicyInput,
    out: &mut PolicyOutput,
    group: &GroupView,
    prize: Decimal,
    ranks: &str,
    split: &str,
) -> Result<(), String> {
    if prize.is_zero() {
        return Ok(());
    }
    let members: Vec<&str> = group.members.iter().map(String::as_str).collect();
    let weights: Vec<Decimal> = if split == "equal" {
        vec![Decimal::ONE; members.len()]
    } else {
        let sales = |id: &str| input.participant(id).map_or(Decimal::ZERO, |p| p.sales.max(Decimal::ZERO));
        members.iter().map(|id| sales(id)).collect()
    };
    for ((id, share), weight) in members.iter().zip(input.allocate(prize, &members, &weights)?).zip(&weights) {
        let how = if split == "equal" {
            format!("equal share of {}", members.len())
        } else {
            format!("share by sales {weight}")
        };
        let explain = vec![
            format!("group {} sales {} of target {}", group.id, group.sales, group.target),
            format!("{ranks} → group prize {prize}"),
            format!("{how} → {share}"),
        ];
        out.pay(id, "pk", share, explain);
    }
    Ok(())
}

fn prizes(input: &PolicyInput) -> Result<Vec<Decimal>, String> {
    let Some(Value::Array(items)) = input.params.get("prizes") else {
        return Err("params.prizes must be a list of amounts by rank".into());
    };
    items
        .iter()
        .map(|v| match v {
            Value::Number(n) => payplan_sdk::exact::parse_decimal(&n.to_string()),
            Value::String(s) => payplan_sdk::exact::parse_decimal(s),
            _ => None,
        })
        .map(|d| d.filter(|d| !d.is_sign_negative()).ok_or_else(|| "params.prizes must be amounts >= 0".to_string()))
        .collect()
}

payplan_sdk::export_policy!(group_pk, reads_earlier = false);
