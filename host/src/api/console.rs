//! The console: pages for people, served under `/console` by the service itself, signed in with
//! the same bearer tokens (kept in a cookie, see [`session`]). Every page is drawn from what the
//! API's own handlers answer, called in process, so a page cannot show a number the API would
//! not. The pages are grouped by who reads them: runs and statements ([`statements`]), the
//! boards of the sales floor ([`boards`]), designers' plans and comparisons ([`design`]), replay
//! and verify for auditors ([`audit`]); every one has the shape of [`view`].

mod audit;
mod boards;
mod charts;
mod design;
mod session;
mod sign_in;
mod statements;
mod text;

use super::AppState;
use super::auth::Caller;
use super::config::Role::{self, Auditor, Designer, Participant, Payroll};
use super::problem::Problem;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use session::Visitor;
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
        .route("/console/sign-in", get(sign_in::sign_in_form).post(sign_in::sign_in))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/lang/{lang}", get(sign_in::switch_language))
        .route("/console/plans", get(design::plans_page))
        .route("/console/plans/{plan}", get(design::plan_page))
        .route("/console/whatif", get(design::whatif_page))
        .route("/console/gate", get(design::gate_page))
        .route("/console/runs", get(statements::runs_page))
        .route("/console/runs/{run}", get(statements::run_page))
        .route("/console/runs/{run}/participants/{participant}", get(statements::statement_page))
        .route("/console/runs/{run}/participants/{participant}/csv", get(statements::statement_csv))
        .route("/console/runs/{run}/progress", get(boards::progress_page))
        .route("/console/runs/{run}/pk", get(boards::pk_page))
        .route("/console/runs/{run}/champions", get(boards::champions_page))
        .route("/console/runs/{run}/replay", post(audit::replay))
        .route("/console/audit/verify", post(audit::verify))
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

/// Who may read statements on the console, as on the API (a participant only their own).
const STATEMENT_READERS: &[Role] = &[Payroll, Auditor, Participant];

/// The shape of every page: the signed-in caller, refused unless one of `roles` (`what` names the
/// page in the refusal), then the page `draw` makes, or its error as a page; an unsigned visitor
/// is sent to sign in.
async fn view(
    v: Visitor,
    roles: &[Role],
    what: &str,
    draw: impl AsyncFnOnce(&Visitor, &Caller) -> Result<(String, Markup), Problem>,
) -> Response {
    let Some(caller) = v.caller.clone() else { return Redirect::to("/console/sign-in").into_response() };
    let drawn = match caller.may(roles, what) {
        Ok(()) => draw(&v, &caller).await,
        Err(refused) => Err(refused),
    };
    page(&v, drawn)
}

async fn home(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<Paging>) -> Response {
    let Some(role) = v.caller.as_ref().map(|c| c.role) else {
        return Redirect::to("/console/sign-in").into_response();
    };
    match role {
        Participant => {
            view(v, &[Participant], "a participant's statements", async |v, caller| {
                statements::own_statements(v, &state, caller, q.page).await
            })
            .await
        }
        Designer => Redirect::to("/console/plans").into_response(),
        _ => Redirect::to("/console/runs").into_response(),
    }
}

#[derive(Deserialize)]
struct Csrf {
    csrf: String,
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

/// A percentage as the API writes it, as a number (0 when absent).
fn percent(text: Option<&str>) -> Decimal {
    text.and_then(|t| t.parse().ok()).unwrap_or_default()
}

/// An SVG chart with its text alternative.
fn chart(label: &str, svg: String) -> Markup {
    html! { span class="chart" role="img" aria-label=(label) { (PreEscaped(svg)) } }
}
