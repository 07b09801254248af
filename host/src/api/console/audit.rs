//! For auditors: replay a run, verify the chain.

use super::session::Visitor;
use super::text::Key;
use super::{Csrf, view};
use crate::api::AppState;
use crate::api::config::Role::Auditor;
use crate::api::runs::{self};
use axum::extract::{Form, Path, State};
use axum::response::Response;
use maud::html;
use std::sync::Arc;

pub(super) async fn replay(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Form(form): Form<Csrf>,
) -> Response {
    view(v, &[Auditor], "replay", async |v, _caller| {
        v.check(&form.csrf)?;
        let axum::Json(report) = runs::replay(State(state.clone()), Path(run)).await?;
        let lang = v.lang;
        let body = html! {
            p role="status" data-matches=(report.matches) { @if report.matches { (lang.t(Key::Matches)) } @else { (lang.t(Key::Differs)) } }
            p { "result_hash " code { (report.stored_result_hash) } " / " code { (report.replayed_result_hash) } }
            @if !report.differences.is_empty() {
                table {
                    thead { tr {
                        th scope="col" { (lang.t(Key::Participant)) } th scope="col" { (lang.t(Key::Policy)) }
                        th scope="col" { (lang.t(Key::Component)) } th scope="col" class="money" { (lang.t(Key::Stored)) }
                        th scope="col" class="money" { (lang.t(Key::Replayed)) }
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
    })
    .await
}

pub(super) async fn verify(v: Visitor, State(state): State<Arc<AppState>>, Form(form): Form<Csrf>) -> Response {
    view(v, &[Auditor], "verify", async |v, _caller| {
        v.check(&form.csrf)?;
        let axum::Json(report) = runs::verify(State(state.clone())).await?;
        let lang = v.lang;
        let body = html! {
            p role="status" data-ok=(report.ok) { @if report.ok { (lang.t(Key::ChainOk)) } @else { (lang.t(Key::ChainBad)) } }
            p { (report.runs) " runs, " (report.blobs) " blobs" }
            @if !report.problems.is_empty() { ul { @for problem in &report.problems { li { (problem) } } } }
        };
        Ok((lang.t(Key::Verify).to_owned(), body))
    })
    .await
}
