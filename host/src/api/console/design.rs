//! For designers: plan versions with their declared params, the what-if of two versions on a
//! recorded run, and the publish gate.

use super::session::Visitor;
use super::text::{Key, Lang};
use super::{chart, charts, paged, pager, view};
use crate::api;
use crate::api::AppState;
use crate::api::config::Role::{Auditor, Designer, Payroll};
use crate::api::jobs::Asked;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

pub(super) async fn plans_page(v: Visitor, State(state): State<Arc<AppState>>) -> Response {
    view(v, &[Designer, Payroll, Auditor], "the plans page", async |v, caller| {
        let axum::Json(mut plans) = api::plans::list(State(state.clone())).await?;
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
    })
    .await
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
                @for plan in plans { option value=(plan.hash) { (plan.id) " " (plan.version) " · " (short(&plan.hash)) } }
            }
            " "
            button type="submit" { (lang.t(Key::Compare)) }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct WhatIf {
    run: String,
    plan: String,
    page: Option<usize>,
}

/// A version's hash as the designer's pages name it beside its id and label (two versions may
/// share a label): `sha256:` and its first 12 digits.
fn short(hash: &str) -> &str {
    hash.get(..19).unwrap_or(hash)
}

/// How long the what-if and gate pages wait for their comparison before they say it is being
/// made (a what-if evaluates a whole period: a second or more at 10,000 participants; a gate, a
/// series of them).
const WAIT: Duration = Duration::from_millis(200);

/// The page `title` while its figures are being made: it says so, and asks for itself again in
/// a second (a link, without script).
fn being_made(v: &Visitor, title: Key) -> (String, Markup) {
    let lang = v.lang;
    let body = html! {
        p role="status" data-pending { (lang.t(Key::Computing)) }
        script { (PreEscaped("setTimeout(function(){location.reload()},1000)")) }
        noscript { a href=(v.here) { (lang.t(Key::Reload)) } }
    };
    (lang.t(title).to_owned(), body)
}

pub(super) async fn whatif_page(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<WhatIf>) -> Response {
    view(v, &[Designer], "the what-if", async |v, _caller| {
        let lang = v.lang;
        let seq = api::runs::seq(&q.run)?;
        let (worker, plan) = (state.clone(), q.plan.clone());
        let make = move || api::gate::comparison(&worker, seq, &plan);
        let w = match state.whatifs.ask(&api::gate::whatif_key(seq, &q.plan), WAIT, make).await {
            Asked::Done(w) => w?,
            Asked::Running => return Ok(being_made(v, Key::WhatIf)),
        };
        let axum::Json(plans) = api::plans::list(State(state.clone())).await?;
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
            p { (lang.t(Key::Period)) ": " (w.period)
                " · A: " (w.a.id) " " (w.a.version) " " code { (short(&w.a.hash)) }
                " · B: " (w.b.id) " " (w.b.version) " " code { (short(&w.b.hash)) } }
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
    })
    .await
}

pub(super) async fn plan_page(v: Visitor, State(state): State<Arc<AppState>>, Path(plan): Path<String>) -> Response {
    view(v, &[Designer, Payroll, Auditor], "a plan's page", async |v, _caller| {
        let axum::Json(version) = api::plans::show(State(state.clone()), Path(plan.clone())).await?;
        let axum::Json(policies) = api::plans::policies(State(state.clone()), Path(plan)).await?;
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
    })
    .await
}

/// The gate form: the plan version to pay a series' closed periods with.
fn gate_form(lang: Lang, plans: &[crate::store::PlanVersion]) -> Markup {
    html! {
        h2 { (lang.t(Key::Gate)) }
        form method="get" action="/console/gate" class="noprint" {
            label for="gate-plan" { (lang.t(Key::Plan)) } " "
            select id="gate-plan" name="plan" {
                @for plan in plans { option value=(plan.hash) { (plan.id) " " (plan.version) " · " (short(&plan.hash)) } }
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
pub(super) struct GateForm {
    plan: String,
    series: Option<String>,
}

pub(super) async fn gate_page(v: Visitor, State(state): State<Arc<AppState>>, Query(q): Query<GateForm>) -> Response {
    view(v, &[Designer], "the gate", async |v, _caller| {
        let series = q.series.filter(|s| !s.trim().is_empty());
        let key = format!("{} {}", q.plan, series.as_deref().unwrap_or(""));
        let (worker, plan) = (state.clone(), q.plan.clone());
        let make = move || api::gate::gated(&worker, &plan, series.as_deref(), None).map(Arc::new);
        let g = match state.gates.ask(&key, WAIT, make).await {
            Asked::Done(g) => g?,
            Asked::Running => return Ok(being_made(v, Key::Gate)),
        };
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
    })
    .await
}
