//! What-if: the same period under two plans, per participant and per policy — who gains, who
//! loses, by how much.

use payplan_sdk::result::{EvalResult, PlanRef};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many of the largest movers a comparison names.
const MOVERS: usize = 10;

/// Two results of one period compared.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The period id.
    pub period: String,
    /// Plan A.
    pub a: PlanRef,
    /// Plan B.
    pub b: PlanRef,
    /// Each (participant, policy) whose amount differs, by participant then policy.
    pub lines: Vec<Change>,
    /// Each participant whose total differs.
    pub participants: Vec<Change>,
    /// The totals under A and B.
    pub totals: Change,
    /// Participants paid more under B.
    pub gainers: usize,
    /// Participants paid less under B.
    pub losers: usize,
    /// The largest changes of a participant's total, largest first (ties by id).
    pub largest_movers: Vec<Change>,
}

/// An amount under A and under B.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// Participant id (empty for the totals).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub participant: String,
    /// Policy id (empty for a participant's total).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub policy: String,
    /// Under plan A.
    #[serde(with = "payplan_sdk::exact")]
    #[schema(value_type = String)]
    pub a: Decimal,
    /// Under plan B.
    #[serde(with = "payplan_sdk::exact")]
    #[schema(value_type = String)]
    pub b: Decimal,
    /// B - A.
    #[serde(with = "payplan_sdk::exact")]
    #[schema(value_type = String)]
    pub delta: Decimal,
}

fn change(participant: &str, policy: &str, a: Decimal, b: Decimal) -> Change {
    Change { participant: participant.into(), policy: policy.into(), a, b, delta: b - a }
}

/// Compares the results of plans A and B on the same period.
pub fn compare(a: &EvalResult, b: &EvalResult) -> Comparison {
    let by_policy = |r: &EvalResult| {
        let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for line in &r.payouts {
            *sums.entry((line.participant.clone(), line.policy.clone())).or_default() += line.amount;
        }
        sums
    };
    let (sa, sb) = (by_policy(a), by_policy(b));
    let keys: BTreeSet<&(String, String)> = sa.keys().chain(sb.keys()).collect();
    let lines = keys
        .into_iter()
        .map(|k| change(&k.0, &k.1, sa.get(k).copied().unwrap_or_default(), sb.get(k).copied().unwrap_or_default()))
        .filter(|c| !c.delta.is_zero())
        .collect();
    let ids: BTreeSet<&String> = a.totals.participants.keys().chain(b.totals.participants.keys()).collect();
    let total = |r: &EvalResult, id: &str| r.totals.participants.get(id).map_or(Decimal::ZERO, |m| m.0);
    let participants: Vec<Change> =
        ids.into_iter().map(|id| change(id, "", total(a, id), total(b, id))).filter(|c| !c.delta.is_zero()).collect();
    let mut largest_movers = participants.clone();
    largest_movers.sort_by(|x, y| y.delta.abs().cmp(&x.delta.abs()).then_with(|| x.participant.cmp(&y.participant)));
    largest_movers.truncate(MOVERS);
    Comparison {
        period: a.period.clone(),
        a: a.plan.clone(),
        b: b.plan.clone(),
        gainers: participants.iter().filter(|c| c.delta > Decimal::ZERO).count(),
        losers: participants.iter().filter(|c| c.delta < Decimal::ZERO).count(),
        lines,
        participants,
        totals: change("", "", a.totals.amount, b.totals.amount),
        largest_movers,
    }
}
