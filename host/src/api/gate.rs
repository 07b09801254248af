//! Comparisons for designers: the publish gate (what a plan version would have paid on a
//! series' closed periods, against what they paid: series.md, "The publish gate") and the
//! what-if of a plan version on a recorded run's period.

use super::extract::{JsonBody, Params};
use super::problem::{Problem, ProblemDetails};
use super::responses::{BadJson, Denied, Missing};
use super::{AppState, blocking};
use crate::design::gate::{self, Gate};
use crate::design::whatif::{self, Comparison};
use crate::halt::Halt;
use axum::Json;
use axum::extract::{Path, State};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::IntoParams;
use utoipa::ToSchema;

/// What to gate the plan version on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GateRequest {
    /// The series (needed when the store holds several).
    #[serde(default)]
    pub series: Option<String>,
    /// Compare only the last this many closed periods (the earlier ones still make their history).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub last: Option<u32>,
    /// The most the new plan may cost over what was paid, in percent (`"2.5"`).
    #[serde(default, with = "payplan_sdk::exact::option")]
    #[schema(value_type = Option<String>, example = "2.5")]
    pub max_increase: Option<Decimal>,
}

/// The gate, and whether the plan stays within `max_increase` when one was given.
#[derive(Debug, Serialize, ToSchema)]
pub struct GateResponse {
    /// The comparison, period by period.
    #[serde(flatten)]
    pub gate: Gate,
    /// Whether the increase is at most `max_increase` (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_limit: Option<bool>,
}

/// What a plan version would have paid on the closed periods of a series.
#[utoipa::path(post, path = "/v1/plans/{plan}/gate", tag = "plans", operation_id = "gate",
    security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan version's hash")),
    request_body = GateRequest,
    responses(
        (status = 200, description = "Each closed period: paid, what the version pays, and the changes", body = GateResponse),
        (status = 409, description = "The store holds several series and the request names none, or the series has no closed period yet", body = ProblemDetails, content_type = "application/problem+json"),
        Denied, Missing, BadJson,
    ))]
pub async fn gate(
    State(state): State<Arc<AppState>>,
    Path(plan): Path<String>,
    JsonBody(request): JsonBody<GateRequest>,
) -> Result<Json<GateResponse>, Problem> {
    blocking(&state, move |state| {
        let last = request.last.map(|n| n.max(1) as usize);
        let gate = gated(state, &plan, request.series.as_deref(), last)?;
        let within_limit = request.max_increase.map(|max| gate.increase_percent.is_none_or(|p| p <= max));
        Ok(Json(GateResponse { gate, within_limit }))
    })
    .await
}

/// What plan version `plan` would have paid on the (`last`) closed periods of `series`.
pub fn gated(state: &AppState, plan: &str, series: Option<&str>, last: Option<usize>) -> Result<Gate, Problem> {
    let compiled = state.compiled(plan)?;
    Ok(gate::gate(state.store.as_ref(), &compiled, series, last, &state.pool)?)
}

/// `?plan=`: the plan version to compare the run with.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WhatIfQuery {
    /// The plan version's hash (`sha256:…`).
    pub plan: String,
}

/// What a plan version would pay on a recorded run's period, against what the run paid
/// (per participant and policy, the largest movers). Records nothing.
#[utoipa::path(get, path = "/v1/runs/{run}/whatif", tag = "plans", operation_id = "whatif",
    security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1), WhatIfQuery),
    responses(
        (status = 200, description = "The run's result (A) against the version's (B)", body = Comparison),
        Denied, Missing, super::responses::BadQuery, super::responses::BadPeriod,
    ))]
pub async fn whatif(
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Params(query): Params<WhatIfQuery>,
) -> Result<Json<Comparison>, Problem> {
    let seq = super::runs::seq(&run)?;
    blocking(&state, move |state| Ok(Json(Comparison::clone(&*comparison(state, seq, &query.plan)?)))).await
}

/// Run `seq`'s result (A) against what plan version `plan` pays on its period (B); kept when
/// it was not paid against a history (a run and a version never change, a history may).
pub fn comparison(state: &AppState, seq: i64, plan: &str) -> Result<Arc<Comparison>, Problem> {
    let made = state.comparisons.get_or_made(&whatif_key(seq, plan), || {
        let stored = crate::audit::stored_run(state.store.as_ref(), seq)?;
        let bytes = state
            .store
            .blob(&stored.stored.record.period_blob)?
            .ok_or_else(|| crate::error::Error::Store { message: format!("run {seq}: its period is missing") })?;
        let (_, b, history) = super::plans::evaluated(state, plan, &bytes, &Halt::never())?;
        Ok((whatif::compare(&stored.result, &b), history.is_empty()))
    })?;
    Ok(made)
}

/// What names the what-if of run `seq` under plan version `plan`, wherever it is kept or made.
pub fn whatif_key(seq: i64, plan: &str) -> String {
    format!("{seq} {plan}")
}
