//! Signing in and out, and the language switch.

use super::session::{FORM_CSRF, LANG, SESSION, Visitor};
use super::text::{Key, Lang};
use super::{Csrf, frame, header_html, page, session};
use crate::api;
use crate::api::AppState;
use crate::api::problem::Problem;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
pub(super) struct SignIn {
    token: String,
    csrf: String,
}

pub(super) async fn sign_in_form(v: Visitor) -> Response {
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

pub(super) async fn sign_in(v: Visitor, State(state): State<Arc<AppState>>, Form(form): Form<SignIn>) -> Response {
    if v.jar.get(FORM_CSRF).is_none_or(|c| c.value() != form.csrf) {
        let refused = Problem::forbidden("the sign-in form's CSRF token does not match its cookie".into());
        return page(&v, Err(refused));
    }
    let token = form.token.trim();
    if api::auth::holder(&state, token).is_err() {
        return sign_in_page(&v, StatusCode::UNAUTHORIZED, Some(v.lang.t(Key::UnknownToken)));
    }
    let jar = v.jar.clone().remove(v.cookie(FORM_CSRF, String::new())).add(v.cookie(SESSION, token.to_owned()));
    (jar, Redirect::to("/console")).into_response()
}

pub(super) async fn sign_out(v: Visitor, Form(form): Form<Csrf>) -> Response {
    if let Err(refused) = v.check(&form.csrf) {
        return page(&v, Err(refused));
    }
    (v.jar.clone().remove(v.cookie(SESSION, String::new())), Redirect::to("/console/sign-in")).into_response()
}

#[derive(Deserialize)]
pub(super) struct Back {
    back: Option<String>,
}

/// Keeps the chosen language in a cookie and goes back to the console page it was chosen on.
pub(super) async fn switch_language(v: Visitor, Path(code): Path<String>, Query(q): Query<Back>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return page(&v, Err(Problem::new(StatusCode::NOT_FOUND, "no_route", format!("no language {code:?}"))));
    };
    let back = q.back.filter(|b| b.starts_with("/console") && !b.starts_with("//")).unwrap_or("/console".into());
    (v.jar.clone().add(v.cookie(LANG, lang.code().into())), Redirect::to(&back)).into_response()
}
