//! The console: pages for people, served under `/console` by the service itself, signed in with
//! the same bearer tokens (kept in a cookie, see [`session`]). Every page is drawn from what the
//! API's own handlers answer, called in process, so a page cannot show a number the API would
//! not: runs by period, a run's participants, a statement (printable, and as CSV), replay and
//! verify for auditors. A `participant` token sees only its own statements.

mod charts;
mod session;
mod text;

use super::auth::Caller;
use super::config::Role::{self, Auditor, Designer, Participant, Payroll};
use super::extract::Params;
use super::problem::Problem;
use super::runs::{self, RunInfo, RunsQuery, Statement};
use super::{AppState, blocking};
use crate::present::standings::{Champion, Standing};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use session::{FORM_CSRF, LANG, SESSION, Visitor};
use std::sync::Arc;
use text::{Key, Lang};

/// Rows a page lists before it pages on.
const PAGE_ROWS: usize = 50;

/// Who may read runs and their participants on the console, as on the API.
const RUN_READERS: &[Role] = &[Payroll, Auditor];

/// The console's routes (each checks its caller itself: an unsigned visitor is sent to sign in).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/console", get(home))
        .route("/console/sign-in", get(sign_in_form).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/lang/{lang}", get(switch_language))
        .route("/console/plans", get(plans_page))
        .route("/console/plans/{plan}", get(plan_page))
        .route("/console/whatif", get(whatif_page))
        .route("/console/gate", get(gate_page))
        .route("/console/runs", get(runs_page))
        .route("/console/runs/{run}", get(run_page))
        .route("/console/runs/{run}/participants/{participant}", get(statement_page))
        .route("/console/runs/{run}/participants/{participant}/csv", get(statement_csv))
        .route("/console/runs/{run}/progress", get(progress_page))
        .route("/console/runs/{run}/pk", get(pk_page))
        .route("/console/runs/{run}/champions", get(champions_page))
        .route("/console/runs/{run}/replay", post(replay))
        .route("/console/audit/verify", post(verify))
}

/// The page's frame: title, navigation for the signed-in, the language switch, and `body`.
fn frame(v: &Visitor, title: &str, body: Markup) -> Markup {
    let lang = v.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t(Key::Console)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    nav aria-label=(lang.t(Key::Console)) {
                        a href="/console" { (lang.t(Key::Console)) }
                        @if let Some(caller) = &v.caller {
                            @if caller.may(&[Designer], "").is_ok() { a href="/console/plans" { (lang.t(Key::Plans)) } }
                            @if caller.may(RUN_READERS, "").is_ok() { a href="/console/runs" { (lang.t(Key::Runs)) } }
                            span class="who" { (caller.name) " (" (caller.role.name()) ")" }
                            form method="post" action="/console/sign-out" {
                                input type="hidden" name="csrf" value=(v.csrf());
                                button type="submit" { (lang.t(Key::SignOut)) }
                            }
                        }
                        a href={ "/console/lang/" (lang.other().code()) "?back=" (v.path) } lang=(lang.other().code()) { (lang.t(Key::Language)) }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The console's stylesheet, with its print rules: a statement prints without the navigation.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a}\
header{background:#12355b;padding:.5rem 1rem}nav{display:flex;gap:1rem;align-items:center}\
nav a,nav .who{color:#fff}nav form{margin:0}main{padding:1rem}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}\
td.money,th.money{text-align:right;font-variant-numeric:tabular-nums}.stale{color:#8a4b00}\
.explain{white-space:pre-line;font-size:.9em;color:#333}.chart svg{vertical-align:middle}\
.podium li{margin:.3rem 0}.facts{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}.facts dd{margin:0}\
@media print{header,form,.noprint{display:none}main{padding:0}a{color:inherit;text-decoration:none}}";

/// A page, or an error as a page with its status.
fn page(v: &Visitor, drawn: Result<(String, Markup), Problem>) -> Response {
    match drawn {
        Ok((title, body)) => (header_html(), frame(v, &title, body).into_string()).into_response(),
        Err(problem) => {
            let p = problem.details();
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = html! { p role="alert" { (p.detail) } };
            (status, header_html(), frame(v, v.lang.t(Key::Error), body).into_string()).into_response()
        }
    }
}

fn header_html() -> [(header::HeaderName, &'static str); 1] {
    [(header::CONTENT_TYPE, "text/html; charset=utf-8")]
}

/// The signed-in caller, or the answer that sends the browser to sign in.
macro_rules! signed_in {
    ($v:expr) => {
        match &$v.caller {
            Some(caller) => caller.clone(),
            None => return Redirect::to("/console/sign-in").into_response(),
        }
    };
}

async fn home(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<Paging>) -> Response {
    let caller = signed_in!(v);
    match caller.role {
        Participant => {
            let drawn = own_statements(&v, &state, &caller, q.page).await;
            page(&v, drawn)
        }
        Designer => Redirect::to("/console/plans").into_response(),
        _ => Redirect::to("/console/runs").into_response(),
    }
}

async fn plans_page(v: Visitor, State(state): State<Arc<AppState>>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(&[Designer, Payroll, Auditor], "the plans page")?;
        let axum::Json(mut plans) = super::plans::list(State(state.clone())).await?;
        plans.reverse();
        let lang = v.lang;
        let body = html! {
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Plan)) } th scope="col" { (lang.t(Key::Version)) }
                    th scope="col" { (lang.t(Key::PublishedBy)) } th scope="col" { (lang.t(Key::PublishedAt)) }
                    th scope="col" { "hash" }
                } }
                tbody {
                    @for plan in &plans {
                        tr {
                            td { (plan.id) } td { (plan.version) } td { (plan.published_by) } td { (plan.published_at) }
                            td { a href={ "/console/plans/" (plan.hash) } { code { (plan.hash) } } }
                        }
                    }
                }
            }
            @if caller.may(&[Designer], "").is_ok() && !plans.is_empty() {
                (whatif_form(lang, None, &plans))
                (gate_form(lang, &plans))
            }
        };
        Ok((lang.t(Key::Plans).to_owned(), body))
    }
    .await;
    page(&v, drawn)
}

/// A participant's home: the runs they have a statement in, newest first, a page of runs at a
/// time (each run's result is read to find the statement).
async fn own_statements(
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

#[derive(Deserialize)]
struct SignIn {
    token: String,
    csrf: String,
}

async fn sign_in_form(v: Visitor) -> Response {
    sign_in_page(&v, StatusCode::OK, None)
}

/// The sign-in form, with a fresh CSRF cookie that the form sends back.
fn sign_in_page(v: &Visitor, status: StatusCode, message: Option<&str>) -> Response {
    let csrf = match session::form_csrf() {
        Ok(csrf) => csrf,
        Err(e) => return page(v, Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))),
    };
    let lang = v.lang;
    let body = html! {
        @if let Some(message) = message { p role="alert" { (message) } }
        form method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token" { (lang.t(Key::Token)) }
            " "
            input id="token" name="token" type="password" autocomplete="current-password" required;
            " "
            button type="submit" { (lang.t(Key::SignIn)) }
        }
    };
    let jar = v.jar.clone().add(v.cookie(FORM_CSRF, csrf));
    (status, jar, header_html(), frame(v, lang.t(Key::SignIn), body).into_string()).into_response()
}

async fn sign_in(v: Visitor, State(state): State<Arc<AppState>>, Form(form): Form<SignIn>) -> Response {
    if v.jar.get(FORM_CSRF).is_none_or(|c| c.value() != form.csrf) {
        let refused = Problem::forbidden("the sign-in form's CSRF token does not match its cookie".into());
        return page(&v, Err(refused));
    }
    let token = form.token.trim();
    if super::auth::holder(&state, token).is_err() {
        return sign_in_page(&v, StatusCode::UNAUTHORIZED, Some(v.lang.t(Key::UnknownToken)));
    }
    let jar = v.jar.clone().remove(v.cookie(FORM_CSRF, String::new())).add(v.cookie(SESSION, token.to_owned()));
    (jar, Redirect::to("/console")).into_response()
}

#[derive(Deserialize)]
struct Csrf {
    csrf: String,
}

async fn sign_out(v: Visitor, Form(form): Form<Csrf>) -> Response {
    if let Err(refused) = v.check(&form.csrf) {
        return page(&v, Err(refused));
    }
    (v.jar.clone().remove(v.cookie(SESSION, String::new())), Redirect::to("/console/sign-in")).into_response()
}

#[derive(Deserialize)]
struct Back {
    back: Option<String>,
}

/// Keeps the chosen language in a cookie and goes back to the console page it was chosen on.
async fn switch_language(v: Visitor, Path(code): Path<String>, Query(q): Query<Back>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return page(&v, Err(Problem::new(StatusCode::NOT_FOUND, "no_route", format!("no language {code:?}"))));
    };
    let back = q.back.filter(|b| b.starts_with("/console") && !b.starts_with("//")).unwrap_or("/console".into());
    (v.jar.clone().add(v.cookie(LANG, lang.code().into())), Redirect::to(&back)).into_response()
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

#[derive(Deserialize)]
struct Paging {
    page: Option<usize>,
}

/// The page numbers and the rows of page `page` (1-based) of `rows`.
fn paged<T>(rows: &[T], page: Option<usize>) -> (usize, usize, &[T]) {
    let pages = rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    (page, pages, &rows[(page - 1) * PAGE_ROWS..(page * PAGE_ROWS).min(rows.len())])
}

fn pager(lang: Lang, base: &str, page: usize, pages: usize) -> Markup {
    let base = if base.contains('?') { format!("{base}&") } else { format!("{base}?") };
    html! {
        @if pages > 1 {
            nav class="noprint" aria-label=(lang.t(Key::Page)) {
                @if page > 1 { a href={ (base) "page=" (page - 1) } rel="prev" { (lang.t(Key::Previous)) } " " }
                (lang.t(Key::Page)) " " (page) " / " (pages)
                @if page < pages { " " a href={ (base) "page=" (page + 1) } rel="next" { (lang.t(Key::Next)) } }
            }
        }
    }
}

async fn runs_page(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<Paging>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(RUN_READERS, "the runs page")?;
        let mut runs = all_runs(&state).await?;
        runs.reverse();
        let (page_no, pages, shown) = paged(&runs, q.page);
        let shown = shown.to_vec();
        // Each shown run's total (from its result, as the API gives it) and whether it is final.
        let facts = blocking(&state, move |state| {
            shown
                .into_iter()
                .map(|run| {
                    let stored = crate::audit::stored_run(state.store.as_ref(), run.record.seq)?;
                    let closed = state.store.closed(&run.record.period)?;
                    Ok((run, stored.result.totals.amount, closed))
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
    }
    .await;
    page(&v, drawn)
}

async fn run_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Query(q): Query<Paging>,
) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(RUN_READERS, "a run's page")?;
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
    }
    .await;
    page(&v, drawn)
}

async fn statement_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path((run, participant)): Path<(String, String)>,
) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        let seq = runs::seq(&run)?;
        let s = statement(&state, &caller, seq, &participant).await?;
        // The facts behind the lines: the participant's own standing, their team's, their group's.
        let axum::Json(st) = super::standings::standings(State(state.clone()), Path(run.clone())).await?;
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
    }
    .await;
    page(&v, drawn)
}

async fn statement_csv(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path((run, participant)): Path<(String, String)>,
) -> Response {
    let caller = signed_in!(v);
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

async fn replay(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Form(form): Form<Csrf>,
) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        v.check(&form.csrf)?;
        caller.may(&[Auditor], "replay")?;
        let axum::Json(report) = runs::replay(State(state.clone()), Path(run)).await?;
        let lang = v.lang;
        let body = html! {
            p role="status" data-matches=(report.matches) { @if report.matches { (lang.t(Key::Matches)) } @else { (lang.t(Key::Differs)) } }
            p { "result_hash " code { (report.stored_result_hash) } " / " code { (report.replayed_result_hash) } }
            @if !report.differences.is_empty() {
                table {
                    thead { tr {
                        th scope="col" { (lang.t(Key::Participant)) } th scope="col" { (lang.t(Key::Policy)) }
                        th scope="col" { (lang.t(Key::Component)) } th scope="col" class="money" { "stored" }
                        th scope="col" class="money" { "replayed" }
                    } }
                    tbody { @for d in &report.differences { tr {
                        td { (d.participant) } td { (d.policy) } td { (d.component) }
                        td class="money" { (d.before.as_deref().unwrap_or("–")) } td class="money" { (d.after.as_deref().unwrap_or("–")) }
                    } } }
                }
            }
            p { a href={ "/console/runs/" (report.run) } { (lang.t(Key::Run)) " " (report.run) } }
        };
        Ok((format!("{} · {} {}", lang.t(Key::Replay), lang.t(Key::Run), report.run), body))
    }
    .await;
    page(&v, drawn)
}

async fn verify(v: Visitor, State(state): State<Arc<AppState>>, Form(form): Form<Csrf>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        v.check(&form.csrf)?;
        caller.may(&[Auditor], "verify")?;
        let axum::Json(report) = runs::verify(State(state.clone())).await?;
        let lang = v.lang;
        let body = html! {
            p role="status" data-ok=(report.ok) { @if report.ok { (lang.t(Key::ChainOk)) } @else { (lang.t(Key::ChainBad)) } }
            p { (report.runs) " runs, " (report.blobs) " blobs" }
            @if !report.problems.is_empty() { ul { @for problem in &report.problems { li { (problem) } } } }
        };
        Ok((lang.t(Key::Verify).to_owned(), body))
    }
    .await;
    page(&v, drawn)
}

/// A percentage as the API writes it, as a number (0 when absent).
fn percent(text: Option<&str>) -> Decimal {
    text.and_then(|t| t.parse().ok()).unwrap_or_default()
}

/// An SVG chart with its text alternative.
fn chart(label: &str, svg: String) -> Markup {
    html! { span class="chart" role="img" aria-label=(label) { (PreEscaped(svg)) } }
}

#[derive(Deserialize)]
struct Sorting {
    page: Option<usize>,
    sort: Option<String>,
}

async fn progress_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Query(q): Query<Sorting>,
) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(RUN_READERS, "target progress")?;
        let axum::Json(st) = super::standings::standings(State(state.clone()), Path(run.clone())).await?;
        let lang = v.lang;
        let tiers: Vec<Decimal> = st.tiers.iter().map(|t| percent(Some(t))).collect();
        let sort = q.sort.as_deref().unwrap_or("attainment");
        let mut people = st.participants.clone();
        let key = |s: &Standing| match sort {
            "sales" => s.sales.0,
            "deviation" => s.deviation.map_or(Decimal::MIN, |d| d.0),
            _ => s.attainment.as_deref().map_or(Decimal::MIN, |a| percent(Some(a))),
        };
        if sort != "id" {
            people.sort_by(|a, b| key(b).cmp(&key(a)).then(a.id.cmp(&b.id)));
        }
        let (page_no, pages, rows) = paged(&people, q.page);
        let base = format!("/console/runs/{run}/progress");
        let table = |rows: &[Standing], who: Key, sortable: bool| {
            html! {
                table {
                    thead { tr {
                        @for (column, label) in [("id", who), ("sales", Key::Sales)] {
                            th scope="col" { @if sortable { a href={ (base) "?sort=" (column) } { (lang.t(label)) } } @else { (lang.t(label)) } }
                        }
                        th scope="col" class="money" { (lang.t(Key::Target)) }
                        th scope="col" class="money" { @if sortable { a href={ (base) "?sort=attainment" } { (lang.t(Key::Attainment)) } } @else { (lang.t(Key::Attainment)) } }
                        th scope="col" class="money" { @if sortable { a href={ (base) "?sort=deviation" } { (lang.t(Key::Deviation)) } } @else { (lang.t(Key::Deviation)) } }
                        th scope="col" { (lang.t(Key::Progress)) }
                    } }
                    tbody {
                        @for s in rows {
                            tr {
                                td { (s.id) @if let Some(name) = &s.name { " · " (name) } }
                                td class="money" data-sales { (s.sales.0) }
                                td class="money" { @if let Some(t) = s.target { (t.0) } @else { "–" } }
                                td class="money" data-attainment { @if let Some(a) = &s.attainment { (a) "%" } @else { "–" } }
                                td class="money" { @if let Some(d) = s.deviation { (d.0) } @else { "–" } }
                                td { (chart(&format!("{}: {}%", s.id, s.attainment.as_deref().unwrap_or("–")), charts::attainment_bar(s.attainment.as_deref().map(|a| percent(Some(a))), &tiers))) }
                            }
                        }
                    }
                }
            }
        };
        let body = html! {
            p { (lang.t(Key::TierLines)) ": " @for (i, t) in st.tiers.iter().enumerate() { @if i > 0 { ", " } (t) "%" } }
            @if !st.teams.is_empty() { h2 { (lang.t(Key::Teams)) } (table(&st.teams, Key::Team, false)) }
            h2 { (lang.t(Key::Participants)) }
            (table(rows, Key::Participant, true))
            (pager(lang, &format!("{base}?sort={sort}"), page_no, pages))
        };
        Ok((format!("{} · {}", lang.t(Key::Progress), st.period), body))
    }
    .await;
    page(&v, drawn)
}

async fn pk_page(v: Visitor, State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(RUN_READERS, "the PK board")?;
        let axum::Json(st) = super::standings::standings(State(state.clone()), Path(run)).await?;
        let lang = v.lang;
        let body = html! {
            p { (lang.t(Key::RankedBy)) ": " (st.pk_metric) }
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Rank)) } th scope="col" { (lang.t(Key::Group)) }
                    th scope="col" class="money" { (lang.t(Key::Members)) } th scope="col" class="money" { (lang.t(Key::Sales)) }
                    th scope="col" class="money" { (lang.t(Key::Target)) } th scope="col" class="money" { (lang.t(Key::Attainment)) }
                    th scope="col" class="money" { (lang.t(Key::Prize)) }
                } }
                tbody {
                    @for g in &st.groups {
                        tr {
                            td data-rank { @if g.tied { "=" } (g.rank) }
                            td { (g.id) }
                            td class="money" { (g.members) }
                            td class="money" { (g.standing.sales.0) }
                            td class="money" { @if let Some(t) = g.standing.target { (t.0) } @else { "–" } }
                            td class="money" { @if let Some(a) = &g.standing.attainment { (a) "%" } @else { "–" } }
                            td class="money" data-prize { (g.prize.0) }
                        }
                    }
                }
            }
        };
        Ok((format!("{} · {}", lang.t(Key::PkBoard), st.period), body))
    }
    .await;
    page(&v, drawn)
}

async fn champions_page(v: Visitor, State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        // Anyone who may see the wall through the API: run readers and participants.
        caller.may(&[Payroll, Auditor, Participant], "the champions wall")?;
        let axum::Json(wall) = super::standings::champions(State(state.clone()), Path(run)).await?;
        let lang = v.lang;
        let podium = |title: Key, champions: &[Champion]| {
            html! {
                section {
                    h3 { (lang.t(title)) }
                    ol class="podium" {
                        @for c in champions {
                            li data-champion=(c.standing.id) {
                                strong { (c.standing.id) } @if let Some(name) = &c.standing.name { " · " (name) }
                                " " span class="money" { (c.standing.sales.0) }
                                @if let Some(a) = &c.standing.attainment { " · " (a) "%" }
                                " " (chart(&format!("{} {}", c.standing.id, wall.periods.join(" ")), charts::curve(&c.curve.iter().map(|m| m.0).collect::<Vec<_>>())))
                            }
                        }
                    }
                }
            }
        };
        let body = html! {
            h2 { (lang.t(Key::ThisPeriod)) }
            (podium(Key::BySales, &wall.period.by_sales))
            (podium(Key::ByAttainment, &wall.period.by_attainment))
            h2 { (lang.t(Key::ThisQuarter)) }
            (podium(Key::BySales, &wall.quarter.by_sales))
            (podium(Key::ByAttainment, &wall.quarter.by_attainment))
            p { (lang.t(Key::Periods)) ": " (wall.periods.join(", ")) }
        };
        Ok((lang.t(Key::Champions).to_owned(), body))
    }
    .await;
    page(&v, drawn)
}

/// The what-if form: a recorded run, and the plan version to pay its period with.
fn whatif_form(lang: Lang, run: Option<&str>, plans: &[crate::store::PlanVersion]) -> Markup {
    html! {
        h2 { (lang.t(Key::WhatIf)) }
        form method="get" action="/console/whatif" class="noprint" {
            label for="run" { (lang.t(Key::Run)) } " "
            input id="run" name="run" type="number" min="1" required value=[run];
            " "
            label for="plan" { (lang.t(Key::Plan)) } " "
            select id="plan" name="plan" {
                @for plan in plans { option value=(plan.hash) { (plan.id) " " (plan.version) " · " (plan.hash[..19]) } }
            }
            " "
            button type="submit" { (lang.t(Key::Compare)) }
        }
    }
}

#[derive(Deserialize)]
struct WhatIf {
    run: String,
    plan: String,
    page: Option<usize>,
}

async fn whatif_page(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<WhatIf>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(&[Designer], "the what-if")?;
        let query = super::gate::WhatIfQuery { plan: q.plan.clone() };
        let axum::Json(w) = super::gate::whatif(State(state.clone()), Path(q.run.clone()), Params(query)).await?;
        let axum::Json(plans) = super::plans::list(State(state.clone())).await?;
        let lang = v.lang;
        let deltas: Vec<Decimal> = w.participants.iter().map(|c| c.delta).collect();
        let (svg, bins) = charts::histogram(&deltas);
        let movers = |changes: &[crate::design::whatif::Change]| {
            html! {
                table {
                    thead { tr {
                        th scope="col" { (lang.t(Key::Participant)) } th scope="col" class="money" { "A" }
                        th scope="col" class="money" { "B" } th scope="col" class="money" { (lang.t(Key::Delta)) }
                    } }
                    tbody { @for c in changes { tr {
                        td { (c.participant) } td class="money" { (c.a) } td class="money" { (c.b) }
                        td class="money" data-delta { (c.delta) }
                    } } }
                }
            }
        };
        let (page_no, pages, rows) = paged(&w.participants, q.page);
        let body = html! {
            p { (lang.t(Key::Period)) ": " (w.period) " · A: " (w.a.id) " " (w.a.version) " · B: " (w.b.id) " " (w.b.version) }
            p data-totals {
                (lang.t(Key::Total)) " A " span data-total-a { (w.totals.a) } " · B " span data-total-b { (w.totals.b) }
                " · " (lang.t(Key::Delta)) " " span data-total-delta { (w.totals.delta) }
                " · " (lang.t(Key::Gainers)) " " (w.gainers) " · " (lang.t(Key::Losers)) " " (w.losers)
            }
            @if !bins.is_empty() {
                h2 { (lang.t(Key::Histogram)) }
                (chart(lang.t(Key::Histogram), svg))
                table {
                    thead { tr { th scope="col" { (lang.t(Key::Delta)) } th scope="col" class="money" { (lang.t(Key::Participants)) } } }
                    tbody { @for (lo, hi, n) in &bins { tr { td { (lo.round_dp(2)) " … " (hi.round_dp(2)) } td class="money" { (n) } } } }
                }
            }
            h2 { (lang.t(Key::LargestMovers)) }
            (movers(&w.largest_movers))
            h2 { (lang.t(Key::Participants)) }
            (movers(rows))
            (pager(lang, &format!("/console/whatif?run={}&plan={}", q.run, q.plan), page_no, pages))
            (whatif_form(lang, Some(&q.run), &plans))
        };
        Ok((lang.t(Key::WhatIf).to_owned(), body))
    }
    .await;
    page(&v, drawn)
}

async fn plan_page(v: Visitor, State(state): State<Arc<AppState>>, Path(plan): Path<String>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(&[Designer, Payroll, Auditor], "a plan's page")?;
        let axum::Json(version) = super::plans::show(State(state.clone()), Path(plan.clone())).await?;
        let axum::Json(policies) = super::plans::policies(State(state.clone()), Path(plan)).await?;
        let lang = v.lang;
        let body = html! {
            p { (lang.t(Key::PublishedBy)) " " (version.published_by) " · " (version.published_at) " · " code { (version.hash) } }
            @for policy in &policies {
                section data-policy=(policy.id) {
                    h2 { (policy.id) }
                    p { code { (policy.file) } @if let Some(a) = &policy.accumulate { " · accumulate = " (a) } }
                    @if policy.declared.is_empty() {
                        pre { (serde_json::to_string_pretty(&policy.params).unwrap_or_default()) }
                    } @else {
                        table {
                            thead { tr {
                                th scope="col" { (lang.t(Key::Param)) } th scope="col" { (lang.t(Key::Kind)) }
                                th scope="col" { (lang.t(Key::Value)) } th scope="col" { (lang.t(Key::Explanation)) }
                            } }
                            tbody { @for d in &policy.declared { tr {
                                td { code { (d.name) } @if d.required { " *" } }
                                td { (d.kind) }
                                td { @match policy.params.get(&d.name) {
                                    Some(value) => { code { (value.to_string()) } }
                                    None => { "–" }
                                } }
                                td data-doc { (d.doc) }
                            } } }
                        }
                    }
                }
            }
        };
        Ok((format!("{} {} {}", lang.t(Key::Plan), version.id, version.version), body))
    }
    .await;
    page(&v, drawn)
}

/// The gate form: the plan version to pay a series' closed periods with.
fn gate_form(lang: Lang, plans: &[crate::store::PlanVersion]) -> Markup {
    html! {
        h2 { (lang.t(Key::Gate)) }
        form method="get" action="/console/gate" class="noprint" {
            label for="gate-plan" { (lang.t(Key::Plan)) } " "
            select id="gate-plan" name="plan" {
                @for plan in plans { option value=(plan.hash) { (plan.id) " " (plan.version) " · " (plan.hash[..19]) } }
            }
            " "
            label for="gate-series" { (lang.t(Key::Series)) } " "
            input id="gate-series" name="series" type="text";
            " "
            button type="submit" { (lang.t(Key::Compare)) }
        }
    }
}

#[derive(Deserialize)]
struct GateForm {
    plan: String,
    series: Option<String>,
}

async fn gate_page(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<GateForm>) -> Response {
    let caller = signed_in!(v);
    let drawn = async {
        caller.may(&[Designer], "the gate")?;
        let series = q.series.filter(|s| !s.trim().is_empty());
        let request = super::gate::GateRequest { series, last: None, max_increase: None };
        let axum::Json(g) =
            super::gate::gate(State(state.clone()), Path(q.plan.clone()), super::extract::JsonBody(request)).await?;
        let g = g.gate;
        let lang = v.lang;
        let body = html! {
            p { (lang.t(Key::Series)) " " (g.series) " · " (lang.t(Key::Total)) " A " (g.totals.a) " · B " (g.totals.b)
                " · " (lang.t(Key::Delta)) " " span data-gate-delta { (g.totals.delta) }
                @if let Some(p) = g.increase_percent { " (" (p) "%)" } }
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Period)) } th scope="col" class="money" { "A" }
                    th scope="col" class="money" { "B" } th scope="col" class="money" { (lang.t(Key::Delta)) }
                    th scope="col" class="money" { (lang.t(Key::Gainers)) } th scope="col" class="money" { (lang.t(Key::Losers)) }
                } }
                tbody { @for p in &g.periods { tr data-period=(p.period) {
                    td { (p.period) } td class="money" { (p.totals.a) } td class="money" { (p.totals.b) }
                    td class="money" { (p.totals.delta) } td class="money" { (p.gainers) } td class="money" { (p.losers) }
                } } }
            }
            h2 { (lang.t(Key::LargestMovers)) }
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Participant)) } th scope="col" class="money" { "A" }
                    th scope="col" class="money" { "B" } th scope="col" class="money" { (lang.t(Key::Delta)) }
                } }
                tbody { @for c in &g.largest_movers { tr {
                    td { (c.participant) } td class="money" { (c.a) } td class="money" { (c.b) } td class="money" { (c.delta) }
                } } }
            }
        };
        Ok((lang.t(Key::Gate).to_owned(), body))
    }
    .await;
    page(&v, drawn)
}
