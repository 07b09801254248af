//! The publish gate for designers: what a plan version would have paid on a series' closed
//! periods, against what they paid (series.md, "The publish gate").

use super::extract::JsonBody;
use super::problem::{Problem, ProblemDetails};
use super::responses::{BadJson, Denied, Missing};
use super::{AppState, blocking};
use crate::design::gate::{self, Gate};
use axum::Json;
use axum::extract::{Path, State};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
        (status = 409, description = "The store holds several series and the request names none", body = ProblemDetails, content_type = "application/problem+json"),
        Denied, Missing, BadJson,
    ))]
pub async fn gate(
    State(state): State<Arc<AppState>>,
    Path(plan): Path<String>,
    JsonBody(request): JsonBody<GateRequest>,
) -> Result<Json<GateResponse>, Problem> {
    blocking(&state, move |state| {
        let compiled = state.compiled(&plan)?;
        let last = request.last.map(|n| n.max(1) as usize);
        let gate = gate::gate(state.store.as_ref(), &compiled, request.series.as_deref(), last, &state.pool)?;
        let within_limit = request.max_increase.map(|max| gate.increase_percent.is_none_or(|p| p <= max));
        Ok(Json(GateResponse { gate, within_limit }))
    })
    .await
}
