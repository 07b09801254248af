//! Where everyone stands in a recorded run (target progress, the PK board), a participant's
//! credits in it, and the champions of its period and quarter, from the engine's facts of the
//! stored period: what the console's boards and statements show. The facts of a run are made
//! once (when the service records it, in the background, or at the first view) and kept.

use super::auth::Caller;
use super::problem::Problem;
use super::responses::{Denied, Missing};
use super::runs::seq;
use super::{AppState, blocking};
use crate::audit;
use crate::error::{Error, Result};
use crate::facts::Facts;
use crate::present::credits::{self, CreditLine};
use crate::present::standings::{self, Champions, PeriodFigures, Standings};
use axum::Json;
use axum::extract::{Path, State};
use payplan_sdk::result::Money;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// How many champions each podium shows.
const PODIUM: usize = 5;

/// What is kept of a run's facts: its standings, its figures for the champions wall, and each
/// participant's credits (in the order of the standings' participants).
pub(super) struct Kept {
    pub(super) standings: Standings,
    figures: PeriodFigures,
    credits: Vec<Vec<CreditLine>>,
}

impl Kept {
    /// Its weight in the cache: participants and credits.
    pub(super) fn weight(&self) -> usize {
        self.credits.iter().map(Vec::len).sum::<usize>() + self.credits.len()
    }
}

/// The kept facts of run `seq`, made from its stored period, plan and result when not kept.
pub(super) fn kept(state: &AppState, seq: i64) -> Result<Arc<Kept>> {
    state.kept.get_or(&seq.to_string(), || {
        let run = audit::stored_run(state.store.as_ref(), seq)?;
        let record = &run.stored.record;
        let plan = audit::stored_plan(
            state.store.as_ref(),
            &record.plan_file,
            &record.plan_blob,
            &record.scripts,
            &format!("run {seq}"),
        )?;
        // Without the canonical hash beside the facts: nothing here shows it.
        let input = audit::stored_period(state.store.as_ref(), &run.stored)?;
        let facts = Facts::derived(input, plan.rounding)?;
        Ok(Kept {
            standings: standings::standings(&facts, &plan, &run.result),
            figures: PeriodFigures::of(&facts),
            credits: credits::credits(&facts),
        })
    })
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
    blocking(&state, move |state| Ok(Json(kept(state, seq)?.standings.clone()))).await
}

/// A participant's credits in a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Credits {
    /// The run.
    pub run: i64,
    /// The participant.
    pub participant: String,
    /// Their credited sales: the sum of the credits.
    pub sales: Money,
    /// Each deal that credits them, by closing date and deal id.
    pub credits: Vec<CreditLine>,
}

/// Get the deals that credit one participant in a run, and how (crediting.md).
#[utoipa::path(get, path = "/v1/runs/{run}/participants/{participant}/credits", tag = "runs", operation_id = "credits",
    security(("bearer" = [])),
    params(("run" = i64, Path, description = "The run number", example = 1), ("participant" = String, Path, description = "Participant id", example = "p1")),
    responses((status = 200, description = "The participant's credits", body = Credits), Denied, Missing))]
pub async fn participant_credits(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((run, participant)): Path<(String, String)>,
) -> Result<Json<Credits>, Problem> {
    caller.may_read(&participant)?;
    let seq = seq(&run)?;
    blocking(&state, move |state| {
        let kept = kept(state, seq)?;
        let people = &kept.standings.participants;
        let at = people
            .binary_search_by(|p| p.id.as_str().cmp(&participant))
            .map_err(|_| Error::NotFound { what: format!("participant {participant:?} in run {seq}") })?;
        Ok(Json(Credits { run: seq, sales: people[at].sales, credits: kept.credits[at].clone(), participant }))
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
        let now = kept(state, seq)?;
        let mut earlier = Vec::new();
        if let Some(series) = &now.figures.series {
            let runs = crate::series::effective(state.store.as_ref(), &now.figures.id)?;
            // One after another: a run's facts being made elsewhere hold its slot, and may need
            // the same threads a parallel loop here would block.
            let all: Vec<Arc<Kept>> = runs.iter().map(|(run, _)| kept(state, run.record.seq)).collect::<Result<_>>()?;
            earlier = all
                .into_iter()
                .filter(|k| k.figures.series.as_ref() == Some(series) && k.figures.end < now.figures.start)
                .collect();
            earlier.sort_by_key(|k| k.figures.start);
        }
        let series: Vec<&PeriodFigures> = earlier.iter().chain([&now]).map(|k| &k.figures).collect();
        Ok(Json(standings::champions(&series, PODIUM)))
    })
    .await
}
