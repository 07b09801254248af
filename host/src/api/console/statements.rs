//! Runs by period, a run's participants, a statement (printable, and as CSV), and a
//! participant's own statements.

use super::session::Visitor;
use super::text::Key;
use super::{Paging, RUN_READERS, STATEMENT_READERS, page, paged, pager, view};
use crate::api;
use crate::api::auth::Caller;
use crate::api::config::Role::Auditor;
use crate::api::extract::Params;
use crate::api::problem::Problem;
use crate::api::runs::{self, RunInfo, RunsQuery, Statement};
use crate::api::{AppState, blocking};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

/// A participant's home: the runs they have a statement in, newest first, a page of runs at a
/// time (each run's result is read to find the statement).
pub(super) async fn own_statements(
    v: &Visitor,
    state: &Arc<AppState>,
    caller: &Caller,
    page: Option<usize>,
) -> Result<(String, Markup), Problem> {
    let own = caller.participant.clone().unwrap_or_default();
    let mut runs = all_runs(state).await?;
    runs.reverse();
    let (page_no, pages, shown) = paged(&runs, page);
    let lang = v.lang;
    let mut rows = Vec::new();
    for run in shown {
        let seq = run.record.seq;
        // The participant's own statement, as the API gives it to them; none: not in that run.
        let statement = statement(state, caller, seq, &own).await.ok();
        if let Some(s) = statement {
            rows.push((run, s.total.0));
        }
    }
    let body = html! {
        table {
            thead { tr {
                th scope="col" { (lang.t(Key::Run)) } th scope="col" { (lang.t(Key::Period)) }
                th scope="col" class="money" { (lang.t(Key::Total)) } th scope="col" { (lang.t(Key::Champions)) }
            } }
            tbody {
                @for (run, total) in &rows {
                    tr {
                        td { a href={ "/console/runs/" (run.record.seq) "/participants/" (own) } { (run.record.seq) } }
                        td { (run.record.period) }
                        td class="money" { (total) }
                        td { a href={ "/console/runs/" (run.record.seq) "/champions" } { (lang.t(Key::Champions)) " " (run.record.period) } }
                    }
                }
            }
        }
        (pager(lang, "/console", page_no, pages))
    };
    Ok((lang.t(Key::Statements).to_owned(), body))
}

async fn all_runs(state: &Arc<AppState>) -> Result<Vec<RunInfo>, Problem> {
    let axum::Json(runs) = runs::list(State(state.clone()), Params(RunsQuery { period: None })).await?;
    Ok(runs)
}

async fn statement(state: &Arc<AppState>, caller: &Caller, seq: i64, who: &str) -> Result<Statement, Problem> {
    let path = Path((seq.to_string(), who.to_owned()));
    let axum::Json(s) = runs::participant(State(state.clone()), caller.clone(), path).await?;
    Ok(s)
}

pub(super) async fn runs_page(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<Paging>) -> Response {
    view(v, RUN_READERS, "the runs page", async |v, _caller| {
        let mut runs = all_runs(&state).await?;
        runs.reverse();
        let (page_no, pages, shown) = paged(&runs, q.page);
        let shown = shown.to_vec();
        // Each shown run's total (its result's, kept once read) and whether it is final.
        let facts = blocking(&state, move |state| {
            shown
                .into_iter()
                .map(|run| {
                    let total = state.total(run.record.seq)?;
                    let closed = state.store.closed(&run.record.period)?;
                    Ok((run, total, closed))
                })
                .collect::<Result<Vec<_>, crate::error::Error>>()
                .map_err(Problem::from)
        })
        .await?;
        let lang = v.lang;
        let body = html! {
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Run)) } th scope="col" { (lang.t(Key::Period)) }
                    th scope="col" { (lang.t(Key::Plan)) } th scope="col" { (lang.t(Key::RecordedBy)) }
                    th scope="col" { (lang.t(Key::RecordedAt)) } th scope="col" class="money" { (lang.t(Key::Total)) }
                    th scope="col" { (lang.t(Key::Closed)) } th scope="col" { (lang.t(Key::History)) }
                } }
                tbody {
                    @for (run, total, closed) in &facts {
                        tr {
                            td { a href={ "/console/runs/" (run.record.seq) } { (run.record.seq) } }
                            td { (run.record.period) }
                            td { (run.record.plan.id) " " (run.record.plan.version) }
                            td { (run.record.caller) }
                            td { (run.record.recorded_at) }
                            td class="money" { (total) }
                            td { @match closed {
                                Some(f) if *f == run.record.seq => { (lang.t(Key::Final)) }
                                Some(f) => { (lang.t(Key::Closed)) " (" (f) ")" }
                                None => { (lang.t(Key::Open)) }
                            } }
                            td { @if run.stale { span class="stale" { (lang.t(Key::Stale)) } } @else { (lang.t(Key::Current)) } }
                        }
                    }
                }
            }
            (pager(lang, "/console/runs", page_no, pages))
        };
        Ok((lang.t(Key::Runs).to_owned(), body))
    })
    .await
}

pub(super) async fn run_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Query(q): Query<Paging>,
) -> Response {
    view(v, RUN_READERS, "a run's page", async |v, caller| {
        let axum::Json(shown) = runs::show(State(state.clone()), Path(run)).await?;
        let result = &shown.result;
        let seq = shown.run.record.seq;
        let people: Vec<(&String, &payplan_sdk::result::Money)> = result.totals.participants.iter().collect();
        let (page_no, pages, rows) = paged(&people, q.page);
        let lang = v.lang;
        let auditor = caller.may(&[Auditor], "replay").is_ok();
        let body = html! {
            p { (lang.t(Key::Period)) ": " (result.period) " · " (lang.t(Key::Plan)) ": " (result.plan.id) " " (result.plan.version)
                " · " (lang.t(Key::Total)) ": " (result.totals.amount) }
            p class="noprint" {
                a href={ "/console/runs/" (seq) "/progress" } { (lang.t(Key::Progress)) } " · "
                a href={ "/console/runs/" (seq) "/champions" } { (lang.t(Key::Champions)) } " · "
                a href={ "/console/runs/" (seq) "/pk" } { (lang.t(Key::PkBoard)) }
            }
            @if auditor {
                div class="noprint" {
                    form method="post" action={ "/console/runs/" (seq) "/replay" } {
                        input type="hidden" name="csrf" value=(v.csrf());
                        button type="submit" { (lang.t(Key::Replay)) }
                    }
                    form method="post" action="/console/audit/verify" {
                        input type="hidden" name="csrf" value=(v.csrf());
                        button type="submit" { (lang.t(Key::Verify)) }
                    }
                }
            }
            h2 { (lang.t(Key::Participants)) }
            table {
                thead { tr { th scope="col" { (lang.t(Key::Participant)) } th scope="col" class="money" { (lang.t(Key::Total)) } } }
                tbody {
                    @for (who, total) in rows {
                        tr {
                            td { a href={ "/console/runs/" (seq) "/participants/" (who) } { (who) } }
                            td class="money" { (total.0) }
                        }
                    }
                }
            }
            (pager(lang, &format!("/console/runs/{seq}"), page_no, pages))
        };
        Ok((format!("{} {seq}", lang.t(Key::Run)), body))
    })
    .await
}

pub(super) async fn statement_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path((run, participant)): Path<(String, String)>,
) -> Response {
    view(v, STATEMENT_READERS, "a statement", async |v, caller| {
        let seq = runs::seq(&run)?;
        let s = statement(&state, caller, seq, &participant).await?;
        // The facts behind the lines: the participant's own standing, their team's, their group's,
        // and the deals that credit them.
        let kept = blocking(&state, move |state| Ok(api::standings::kept(state, seq)?)).await?;
        let st = &kept.standings;
        let path = Path((run.clone(), participant.clone()));
        let axum::Json(credits) = api::standings::participant_credits(State(state.clone()), caller.clone(), path).await?;
        let own = st.participants.iter().find(|p| p.id == s.participant);
        let team = own.and_then(|o| o.team.as_ref()).and_then(|t| st.teams.iter().find(|x| &x.id == t));
        let group = own.and_then(|o| o.group.as_ref()).and_then(|g| st.groups.iter().find(|x| &x.id == g));
        let lang = v.lang;
        let body = html! {
            p { (lang.t(Key::Run)) " " (s.run) " · " (lang.t(Key::Period)) " " (st.period) }
            @if let Some(o) = own {
                dl class="facts" {
                    dt { (lang.t(Key::Sales)) } dd data-fact="sales" { (o.sales.0) }
                    dt { (lang.t(Key::Target)) } dd data-fact="target" { @if let Some(t) = o.target { (t.0) } @else { "–" } }
                    dt { (lang.t(Key::Attainment)) } dd data-fact="attainment" { @if let Some(a) = &o.attainment { (a) "%" } @else { "–" } }
                    dt { (lang.t(Key::Deviation)) } dd { @if let Some(d) = o.deviation { (d.0) } @else { "–" } }
                    @if let Some(t) = team {
                        dt { (lang.t(Key::Team)) } dd { (t.id) " · " (t.sales.0) @if let Some(a) = &t.attainment { " · " (a) "%" } }
                    }
                    @if let Some(g) = group {
                        dt { (lang.t(Key::Group)) } dd data-fact="group" { (g.id) " · " (lang.t(Key::Rank)) " " @if g.tied { "=" } (g.rank) " / " (st.groups.len()) }
                    }
                }
            }
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Policy)) } th scope="col" { (lang.t(Key::Component)) }
                    th scope="col" class="money" { (lang.t(Key::Amount)) } th scope="col" { (lang.t(Key::Explanation)) }
                } }
                tbody {
                    @for line in &s.payouts {
                        tr {
                            td { (line.policy) } td { (line.component) }
                            td class="money" data-amount { (line.amount) }
                            td class="explain" { (line.explain.join("\n")) }
                        }
                    }
                }
                tfoot { tr { th scope="row" colspan="2" { (lang.t(Key::Total)) } td class="money" data-total { (s.total.0) } td {} } }
            }
            h2 { (lang.t(Key::Credits)) }
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Deal)) } th scope="col" { (lang.t(Key::ClosedOn)) }
                    th scope="col" class="money" { (lang.t(Key::Amount)) } th scope="col" { (lang.t(Key::How)) }
                    th scope="col" class="money" { (lang.t(Key::Credit)) }
                } }
                tbody { @for c in &credits.credits { tr {
                    td { (c.deal) } td { (c.closed_on) } td class="money" { (c.amount.0) }
                    td { (lang.t(match c.how { "split" => Key::Split, "overlay" => Key::Overlay, _ => Key::Whole }))
                        @if let Some(share) = c.share { " " (share) } }
                    td class="money" data-credit { (c.credit.0) }
                } } }
                tfoot { tr { th scope="row" colspan="4" { (lang.t(Key::Sales)) } td class="money" data-credits-total { (credits.sales.0) } } }
            }
            @if let Some(balance) = &s.draw_balance {
                p { (lang.t(Key::DrawBalance)) ": " span data-draw-balance { (balance.0) } }
            }
            @if !s.scores.is_empty() {
                h2 { (lang.t(Key::Scores)) }
                table {
                    thead { tr {
                        th scope="col" { (lang.t(Key::Policy)) } th scope="col" class="money" { (lang.t(Key::Score)) }
                        th scope="col" { (lang.t(Key::Grade)) } th scope="col" { (lang.t(Key::Explanation)) }
                    } }
                    tbody {
                        @for score in &s.scores {
                            tr {
                                td { (score.policy) } td class="money" { (score.score) } td { (score.grade) }
                                td class="explain" { (score.explain.join("\n")) }
                            }
                        }
                    }
                }
            }
            p class="noprint" { a href={ "/console/runs/" (s.run) "/participants/" (s.participant) "/csv" } download { (lang.t(Key::DownloadCsv)) } }
        };
        Ok((format!("{} · {}", lang.t(Key::Statement), s.participant), body))
    })
    .await
}

pub(super) async fn statement_csv(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path((run, participant)): Path<(String, String)>,
) -> Response {
    let Some(caller) = v.caller.clone() else { return Redirect::to("/console/sign-in").into_response() };
    let seq = match runs::seq(&run) {
        Ok(seq) => seq,
        Err(problem) => return page(&v, Err(problem)),
    };
    match statement(&state, &caller, seq, &participant).await {
        Ok(s) => {
            let file = format!("attachment; filename=\"statement-{}-{}.csv\"", s.run, s.participant);
            let disposition =
                header::HeaderValue::from_str(&file).unwrap_or(header::HeaderValue::from_static("attachment"));
            let csv = crate::present::csv::statement(&s.payouts);
            (
                [
                    (header::CONTENT_TYPE, header::HeaderValue::from_static("text/csv; charset=utf-8")),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                csv,
            )
                .into_response()
        }
        Err(problem) => page(&v, Err(problem)),
    }
}
