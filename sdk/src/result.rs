//! The result of an evaluation (formats.md, "Result").
//!
//! Every struct here declares its fields in alphabetical order, so that serialising it with
//! `serde_json` writes keys sorted: the compact form *is* the canonical JSON that `result_hash`
//! covers (a test holds this).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an evaluation owes and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvalResult {
    /// Each participant's recoverable draw balance after this period, when it is not 0
    /// (series.md, "Draws"); left out when there is none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub balances: BTreeMap<String, Money>,
    /// The history's effective runs the result was computed from, in period order (series.md,
    /// "Result and audit"); empty, and left out, for a period evaluated alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub basis: Vec<Basis>,
    /// The engine that computed it, e.g. `payplan 0.1.0` (outside the hash).
    pub engine: String,
    /// SHA-256 of the canonical period, `sha256:<hex>`.
    pub input_hash: String,
    /// Money lines, sorted by participant, plan order of the policy, component.
    pub payouts: Vec<Payout>,
    /// The period id.
    pub period: String,
    /// The plan's identity.
    pub plan: PlanRef,
    /// SHA-256 of the canonical JSON of the hashed fields (see [`HashedResult`]).
    pub result_hash: String,
    /// Scores, sorted by participant, then plan order of the policy.
    pub scores: Vec<Score>,
    /// Sums of the payouts.
    pub totals: Totals,
}

/// The fields of an [`EvalResult`] that `result_hash` covers, borrowed, in canonical key order.
#[derive(Debug, Serialize)]
pub struct HashedResult<'a> {
    /// See [`EvalResult::balances`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub balances: &'a BTreeMap<String, Money>,
    /// See [`EvalResult::basis`].
    #[serde(skip_serializing_if = "<[Basis]>::is_empty")]
    pub basis: &'a [Basis],
    /// See [`EvalResult::input_hash`].
    pub input_hash: &'a str,
    /// See [`EvalResult::payouts`].
    pub payouts: &'a [Payout],
    /// See [`EvalResult::period`].
    pub period: &'a str,
    /// See [`EvalResult::plan`].
    pub plan: &'a PlanRef,
    /// See [`EvalResult::scores`].
    pub scores: &'a [Score],
    /// See [`EvalResult::totals`].
    pub totals: &'a Totals,
}

impl EvalResult {
    /// The part of the result that `result_hash` covers.
    pub fn hashed(&self) -> HashedResult<'_> {
        HashedResult {
            balances: &self.balances,
            basis: &self.basis,
            input_hash: &self.input_hash,
            payouts: &self.payouts,
            period: &self.period,
            plan: &self.plan,
            scores: &self.scores,
            totals: &self.totals,
        }
    }
}

/// One period of a result's history: its id and the `result_hash` of its effective run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Basis {
    /// Period id.
    pub period: String,
    /// `result_hash` of the period's effective run.
    pub result_hash: String,
}

/// Which plan, which version, and the hash of its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRef {
    /// `sha256:<hex>` over the plan text and every script or plugin byte.
    pub hash: String,
    /// Plan id.
    pub id: String,
    /// The designer's version label.
    pub version: String,
}

/// One money line: a participant is owed `amount` by `policy` for `component`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payout {
    /// Rounded to the currency's minor unit, written with exactly that many places.
    #[serde(with = "crate::exact")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1250.00"))]
    pub amount: Decimal,
    /// What the line pays for (`commission`, `first_deal:p004`, …).
    pub component: String,
    /// How the amount came about, for a person to read.
    pub explain: Vec<String>,
    /// Participant id.
    pub participant: String,
    /// Id of the policy in the plan.
    pub policy: String,
}

/// A score given by a scoring policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Score {
    /// How the score came about.
    pub explain: Vec<String>,
    /// Grade label.
    pub grade: String,
    /// Participant id.
    pub participant: String,
    /// Id of the scoring policy.
    pub policy: String,
    /// The score, with two decimal places.
    #[serde(with = "crate::exact")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1250.00"))]
    pub score: Decimal,
}

/// Sums of the payouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    /// Sum of all payouts.
    #[serde(with = "crate::exact")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1250.00"))]
    pub amount: Decimal,
    /// Sum per participant, for every participant of the period.
    pub participants: BTreeMap<String, Money>,
}

/// An amount of money in a map value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(transparent)]
pub struct Money(#[serde(with = "crate::exact")] pub Decimal);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EvalResult {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        EvalResult {
            balances: BTreeMap::new(),
            basis: Vec::new(),
            engine: "payplan test".into(),
            input_hash: "sha256:00".into(),
            payouts: vec![Payout {
                amount: d("14400.00"),
                component: "commission".into(),
                explain: vec!["480000.00 × 0.03".into()],
                participant: "p001".into(),
                policy: "commission".into(),
            }],
            period: "2026-03".into(),
            plan: PlanRef { hash: "sha256:11".into(), id: "east".into(), version: "3".into() },
            result_hash: "sha256:22".into(),
            scores: vec![Score {
                explain: vec![],
                grade: "B".into(),
                participant: "p001".into(),
                policy: "scorecard".into(),
                score: d("82.50"),
            }],
            totals: Totals { amount: d("14400.00"), participants: [("p001".to_string(), Money(d("14400.00")))].into() },
        }
    }

    /// Field order is the canonical key order: serialising through `Value` (whose maps sort
    /// their keys) must give the same bytes as serialising directly.
    #[test]
    fn declared_field_order_is_canonical() {
        let r = sample();
        let direct = serde_json::to_string(&r).unwrap();
        let sorted = serde_json::to_value(&r).unwrap().to_string();
        assert_eq!(direct, sorted);
        let direct = serde_json::to_string(&r.hashed()).unwrap();
        let sorted = serde_json::to_value(r.hashed()).unwrap().to_string();
        assert_eq!(direct, sorted);
        assert!(!direct.contains("engine") && !direct.contains("result_hash"));
    }

    #[test]
    fn round_trips() {
        let r = sample();
        let back: EvalResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
