//! The sales floor's boards of a run: target progress, the group PK, the champions wall.

use super::session::Visitor;
use super::text::Key;
use super::{RUN_READERS, chart, charts, paged, pager, percent, view};
use crate::api;
use crate::api::AppState;
use crate::api::config::Role::{Auditor, Participant, Payroll};
use crate::present::standings::{Champion, Standing};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct Sorting {
    page: Option<usize>,
    sort: Option<String>,
}

pub(super) async fn progress_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    Query(q): Query<Sorting>,
) -> Response {
    view(v, RUN_READERS, "target progress", async |v, _caller| {
        let axum::Json(st) = api::standings::standings(State(state.clone()), Path(run.clone())).await?;
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
    })
    .await
}

pub(super) async fn pk_page(v: Visitor, State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Response {
    view(v, RUN_READERS, "the PK board", async |v, _caller| {
        let axum::Json(st) = api::standings::standings(State(state.clone()), Path(run)).await?;
        let lang = v.lang;
        let body = html! {
            p { (lang.t(Key::RankedBy)) ": " (st.pk_metric) }
            table {
                thead { tr {
                    th scope="col" { (lang.t(Key::Rank)) } th scope="col" { (lang.t(Key::Group)) }
                    th scope="col" class="money" { (lang.t(Key::Members)) } th scope="col" class="money" { (lang.t(Key::Sales)) }
                    th scope="col" class="money" { (lang.t(Key::Target)) } th scope="col" class="money" { (lang.t(Key::Attainment)) }
                    th scope="col" class="money" { (lang.t(Key::Prize)) } th scope="col" { (lang.t(Key::PrizeSplit)) }
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
                            td { @for (i, share) in g.split.iter().enumerate() {
                                @if i > 0 { " · " }
                                (share.participant) " " span class="money" data-share { (share.amount.0) }
                            } }
                        }
                    }
                }
            }
        };
        Ok((format!("{} · {}", lang.t(Key::PkBoard), st.period), body))
    })
    .await
}

pub(super) async fn champions_page(
    v: Visitor,
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
) -> Response {
    // Anyone who may see the wall through the API: run readers and participants.
    view(v, &[Payroll, Auditor, Participant], "the champions wall", async |v, _| {
        let axum::Json(wall) = api::standings::champions(State(state.clone()), Path(run)).await?;
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
    })
    .await
}
