//! Signing in to the console: the bearer token is kept in a cookie (HttpOnly, SameSite=Strict,
//! Secure when the request came over TLS), and every form that changes anything carries a CSRF
//! token: before sign-in, the value of a cookie set with the form (double submit); after, one
//! derived from the session's token, so it needs no storage and dies with the session.

use super::super::AppState;
use super::super::auth::{Caller, holder};
use super::super::problem::Problem;
use super::text::Lang;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use std::convert::Infallible;

/// The cookie that holds the signed-in token.
pub(super) const SESSION: &str = "payplan_session";
/// The cookie whose value the sign-in form must send back.
pub(super) const FORM_CSRF: &str = "payplan_csrf";
/// The cookie that holds the chosen language.
pub(super) const LANG: &str = "payplan_lang";

/// Whoever asks for a console page: signed in or not, in which language, over TLS or not.
pub(super) struct Visitor {
    /// The token's holder, when the session cookie holds a known token.
    pub(super) caller: Option<Caller>,
    /// The session's token, for its CSRF token.
    token: Option<String>,
    /// The page's language: the cookie's, else the browser's `Accept-Language`.
    pub(super) lang: Lang,
    /// Whether cookies must be `Secure`.
    pub(super) tls: bool,
    /// The request's cookies.
    pub(super) jar: CookieJar,
    /// The page asked for, for the language switch to come back to.
    pub(super) path: String,
    /// The page asked for with its query, for a page that asks again for itself.
    pub(super) here: String,
}

impl FromRequestParts<std::sync::Arc<AppState>> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &std::sync::Arc<AppState>) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar.get(SESSION).map(|c| c.value().to_owned());
        let caller = token.as_deref().and_then(|t| holder(state, t).ok());
        let lang =
            jar.get(LANG).and_then(|c| Lang::from_code(c.value())).unwrap_or_else(|| Lang::from_accept(&parts.headers));
        let path = parts.uri.path().to_owned();
        let here = parts.uri.path_and_query().map_or_else(|| path.clone(), |p| p.as_str().to_owned());
        Ok(Self { caller, token, lang, tls: over_tls(&parts.headers), jar, path, here })
    }
}

impl Visitor {
    /// The CSRF token the session's forms carry.
    pub(super) fn csrf(&self) -> String {
        csrf_of(self.token.as_deref().unwrap_or_default())
    }

    /// 403 unless a form's `csrf` is the session's.
    pub(super) fn check(&self, given: &str) -> Result<(), Problem> {
        match self.token.is_some() && given == self.csrf() {
            true => Ok(()),
            false => Err(Problem::forbidden("the form's CSRF token is missing or not this session's".into())),
        }
    }

    /// A console cookie: HttpOnly, SameSite=Strict, for `/console`, Secure over TLS.
    pub(super) fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/console")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.tls)
            .build()
    }
}

/// Whether the request came over TLS: `payplan serve` speaks plain HTTP, so only a proxy in front
/// of it that terminates TLS can say so (`X-Forwarded-Proto: https`).
fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The CSRF token of a session token.
fn csrf_of(token: &str) -> String {
    crate::hash::sha256(format!("payplan console csrf {token}").as_bytes())["sha256:".len()..][..32].to_owned()
}

/// A fresh random value for the sign-in form's CSRF cookie.
pub(super) fn form_csrf() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(crate::hash::hex(&bytes))
}
