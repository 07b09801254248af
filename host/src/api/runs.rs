//! Recorded runs: list, read (whole, byte for byte, or one participant's lines), replay from the
//! store alone, verify the chain, and close a period.

use super::auth::Caller;
use super::extract::{JsonBody, Params};
use super::problem::{Problem, ProblemDetails};
use super::responses::{BadJson, BadQuery, Denied, Missing};
use super::{AppState, blocking};
use crate::audit::{self, Difference};
use crate::error::Error;
use crate::store::{Record, Stored};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use payplan_sdk::result::{EvalResult, Money, Payout, Score};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// A recorded run: its record (formats of the audit chain) and the record's hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunInfo {
    /// The record as hashed into the chain.
    #[serde(flatten)]
    pub record: Record,
    /// SHA-256 of the record's canonical JSON.
    pub record_hash: String,
    /// Whether a period of its history was adjusted after it was computed (series.md): its
    /// result no longer follows from the history's effective runs; replay still matches.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

impl From<Stored> for RunInfo {
    fn from(stored: Stored) -> Self {
        Self { record: stored.record, record_hash: stored.hash, stale: false }
    }
}

/// A run and its result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunResponse {
    /// The run.
    pub run: RunInfo,
    /// Its result (formats.md "Result").
    pub result: EvalResult,
}

/// `?period=` filters runs by period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    /// Only this period's runs.
    pub period: Option<String>,
}

/// One participant's statement in a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    /// The run.
    pub run: i64,
    /// The participant.
    pub participant: String,
    /// Each line, with its explanation.
    pub payouts: Vec<Payout>,
    /// Each score, with its explanation.
    pub scores: Vec<Score>,
    /// The sum of the lines.
    pub total: Money,
    /// What is left of the participant's recoverable draw after the run (series.md, "Draws");
    /// absent when nothing is. An accumulated line's explanation ends with its to-date figure and
    /// what was paid before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draw_balance: Option<Money>,
}

/// What replaying a run found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplayReport {
    /// The run.
    pub run: i64,
    /// Whether the replay reproduced the stored result exactly.
    pub matches: bool,
    /// `result_hash` as stored.
    pub stored_result_hash: String,
    /// `result_hash` computed again.
    pub replayed_result_hash: String,
    /// Every line that differs.
    pub differences: Vec<Difference>,
}

/// What verifying the chain found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyReport {
    /// No problem found.
    pub ok: bool,
    /// Runs read.
    pub runs: usize,
    /// Blobs read.
    pub blobs: usize,
    /// Every altered record or blob, and every break in the chain.
    pub problems: Vec<String>,
}

/// Which run closes a period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// The run that becomes final.
    #[serde(deserialize_with = "whole_number")]
    pub run: i64,
}

/// A whole number however JSON writes it (`7`, `7.0`, `7e0`), as JSON Schema's `integer` reads it.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error as _;
    let number = serde_json::Number::deserialize(deserializer)?;
    payplan_sdk::exact::parse_decimal(&number.to_string())
        .filter(|d| d.fract().is_zero())
        .and_then(|d| i64::try_from(d).ok())
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number of 64 bits")))
}

/// A period closed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Closed {
    /// The period.
    pub period: String,
    /// Its final run.
    pub run: i64,
    /// Who closed it.
    pub closed_by: String,
}

/// A run number from the path; anything else names no run.
pub(super) fn seq(text: &str) -> Result<i64, Problem> {
    text.parse().map_err(|_| Problem::from(Error::NotFound { what: format!("run {text:?}") }))
}

/// List recorded runs in chain order.
#[utoipa::path(get, path = "/v1/runs", tag = "runs", operation_id = "list_runs", security(("bearer" = [])),
    params(RunsQuery), responses((status = 200, description = "Runs", body = Vec<RunInfo>), Denied, BadQuery))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Params(query): Params<RunsQuery>,
) -> Result<Json<Vec<RunInfo>>, Problem> {
    blocking(&state, move |state| {
        let all = state.store.runs(None)?;
        let stale = crate::audit::stale(&all);
        let runs = match &query.period {
            Some(period) => all.into_iter().filter(|s| &s.record.period == period).collect(),
            None => all,
        };
        Ok(Json(
            runs.into_iter().map(|s| RunInfo { stale: stale.contains(&s.record.seq), ..RunInfo::from(s) }).collect(),
        ))
    })
    .await
}

/// Get a run and its result.
#[utoipa::path(get, path = "/v1/runs/{run}", tag = "runs", operation_id = "show_run", security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1)),
    responses(
        (status = 200, description = "The run", body = RunResponse), Denied, Missing))]
pub async fn show(State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Result<Json<RunResponse>, Problem> {
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let run = audit::stored_run(state.store.as_ref(), seq)?;
        Ok(Json(RunResponse { run: run.stored.into(), result: run.result }))
    })
    .await
}

/// Get a run's result exactly as stored, byte for byte.
#[utoipa::path(get, path = "/v1/runs/{run}/result", tag = "runs", operation_id = "run_result", security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1)),
    responses(
        (status = 200, description = "The stored result JSON", body = EvalResult), Denied, Missing))]
pub async fn result(State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Result<Response, Problem> {
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let bytes = audit::stored_run(state.store.as_ref(), seq)?.bytes;
        Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
    })
    .await
}

/// Get one participant's lines in a run, with their explanations.
#[utoipa::path(get, path = "/v1/runs/{run}/participants/{participant}", tag = "runs", operation_id = "statement",
    security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1), ("participant" = String, Path, description = "Participant id", example = "p1")),
    responses(
        (status = 200, description = "The participant's statement", body = Statement), Denied, Missing))]
pub async fn participant(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((run, participant)): Path<(String, String)>,
) -> Result<Json<Statement>, Problem> {
    caller.may_read(&participant)?;
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let result = audit::stored_run(state.store.as_ref(), seq)?.result;
        let total = *result
            .totals
            .participants
            .get(&participant)
            .ok_or_else(|| Error::NotFound { what: format!("participant {participant:?} in run {seq}") })?;
        let draw_balance = result.balances.get(&participant).copied();
        let payouts = result.payouts.into_iter().filter(|p| p.participant == participant).collect();
        let scores = result.scores.into_iter().filter(|s| s.participant == participant).collect();
        Ok(Json(Statement { run: seq, participant, payouts, scores, total, draw_balance }))
    })
    .await
}

/// Replay a run from the store alone and compare it with what was stored.
///
/// A mismatch is a finding, not an error: the answer is 200 with `matches: false` and each line
/// that differs.
#[utoipa::path(post, path = "/v1/runs/{run}/replay", tag = "audit", operation_id = "replay", security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1)),
    responses(
        (status = 200, description = "What the replay found", body = ReplayReport), Denied, Missing,
        (status = 503, description = "The replay ran past the request timeout", body = ProblemDetails,
            content_type = "application/problem+json"),
    ))]
pub async fn replay(
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
) -> Result<Json<ReplayReport>, Problem> {
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let replay = audit::replay(state.store.as_ref(), seq, &state.pool)?;
        Ok(Json(ReplayReport {
            run: seq,
            matches: replay.matches(),
            stored_result_hash: replay.stored.result_hash,
            replayed_result_hash: replay.replayed.result_hash,
            differences: replay.differences,
        }))
    })
    .await
}

/// Verify the audit chain: every record, link and blob against its hash.
#[utoipa::path(post, path = "/v1/audit/verify", tag = "audit", operation_id = "verify", security(("bearer" = [])),
    responses(
        (status = 200, description = "What verification found (`ok: false` lists each problem)", body = VerifyReport),
        Denied,
    ))]
pub async fn verify(State(state): State<Arc<AppState>>) -> Result<Json<VerifyReport>, Problem> {
    blocking(&state, |state| {
        let v = audit::verify(state.store.as_ref())?;
        Ok(Json(VerifyReport { ok: v.problems.is_empty(), runs: v.runs, blobs: v.blobs, problems: v.problems }))
    })
    .await
}

/// Close a period: the run becomes final, and later changes must be adjustments.
#[utoipa::path(post, path = "/v1/periods/{period}/close", tag = "runs", operation_id = "close_period",
    security(("bearer" = [])),
    params(("period" = String, Path, description = "The period id", example = "2026-03")),
    request_body = Closure,
    responses(
        (status = 200, description = "Closed", body = Closed),
        (status = 409, description = "Closed already, or the run is of another period", body = ProblemDetails,
            content_type = "application/problem+json"),
        Denied, Missing, BadJson,
    ))]
pub async fn close(
    State(state): State<Arc<AppState>>,
    Path(period): Path<String>,
    caller: Caller,
    JsonBody(Closure { run }): JsonBody<Closure>,
) -> Result<Json<Closed>, Problem> {
    blocking(&state, move |state| {
        audit::close(state.store.as_ref(), &period, run, &caller.name)?;
        tracing::info!(%period, run, "closed");
        Ok(Json(Closed { period, run, closed_by: caller.name }))
    })
    .await
}
