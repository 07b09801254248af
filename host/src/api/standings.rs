//! Where everyone stands in a recorded run (target progress, the PK board) and the champions of
//! its period and quarter, from the engine's facts of the stored period: what the console's
//! boards show.

use super::problem::Problem;
use super::responses::{Denied, Missing};
use super::runs::seq;
use super::{AppState, blocking};
use crate::audit;
use crate::error::Result;
use crate::facts::Facts;
use crate::present::standings::{self, Champions, Standings};
use axum::Json;
use axum::extract::{Path, State};
use std::sync::Arc;

/// How many champions each podium shows.
const PODIUM: usize = 5;

/// A run's stored period as facts, with its stored plan and result.
fn run_facts(state: &AppState, seq: i64) -> Result<(Facts, crate::plan::Plan, payplan_sdk::result::EvalResult)> {
    let run = audit::stored_run(state.store.as_ref(), seq)?;
    let record = &run.stored.record;
    let plan = audit::stored_plan(
        state.store.as_ref(),
        &record.plan_file,
        &record.plan_blob,
        &record.scripts,
        &format!("run {seq}"),
    )?;
    // Without the canonical hash beside the facts: the standings never show it.
    let input = audit::stored_period(state.store.as_ref(), &run.stored)?;
    let facts = Facts::derived(input, plan.rounding)?;
    Ok((facts, plan, run.result))
}

/// Get everyone's standing in a run: sales against target, the PK's groups ranked.
#[utoipa::path(get, path = "/v1/runs/{run}/standings", tag = "runs", operation_id = "standings",
    security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1)),
    responses((status = 200, description = "The standings", body = Standings), Denied, Missing))]
pub async fn standings(
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
) -> Result<Json<Standings>, Problem> {
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let kept = state.standings.get_or(&seq.to_string(), || {
            let (facts, plan, result) = run_facts(state, seq)?;
            Ok(standings::standings(&facts, &plan, &result))
        })?;
        Ok(Json(Standings::clone(&kept)))
    })
    .await
}

/// Get the champions of a run's period and of its quarter, with their sales over the series.
///
/// The series' periods are those recorded before the run's (each by its effective run) with the
/// same series; a period without a series is its own.
#[utoipa::path(get, path = "/v1/runs/{run}/champions", tag = "runs", operation_id = "champions",
    security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1)),
    responses((status = 200, description = "The champions wall", body = Champions), Denied, Missing))]
pub async fn champions(
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
) -> Result<Json<Champions>, Problem> {
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let (now, plan, _) = run_facts(state, seq)?;
        let mut series = Vec::new();
        if let Some(s) = &now.info.series {
            let mut earlier: Vec<_> = crate::series::recorded(state.store.as_ref(), &now.info.id)?
                .into_iter()
                .map(|(past, _)| past.input)
                .filter(|p| {
                    p.period.period.series.as_ref().is_some_and(|x| x.id == s.id)
                        && p.period.period.end < now.info.start
                })
                .collect();
            earlier.sort_by_key(|p| p.period.period.start);
            for input in earlier {
                series.push(Facts::derived(input, plan.rounding)?);
            }
        }
        series.push(now);
        Ok(Json(standings::champions(&series, PODIUM)))
    })
    .await
}
