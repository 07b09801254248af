//! Bearer tokens: the `Authorization` header's token is hashed and looked up among the config's
//! hashes. Each group of routes is wrapped in [`allow`] with the roles that may call it (`admin`
//! may call any); a handler that needs the caller's name takes [`Caller`].

use super::AppState;
use super::config::Role;
use super::problem::Problem;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use std::sync::Arc;

/// Who is calling: the token's name and role (put in the request by [`allow`]).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's name (kept as the caller of what it records).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// For a `participant` token, whose statements it reads.
    pub participant: Option<String>,
}

impl Caller {
    /// 403 unless the caller may read `participant`'s statements: any role that reads runs
    /// does; a participant token only its own.
    pub fn may_read(&self, participant: &str) -> Result<(), Problem> {
        match &self.participant {
            Some(own) if self.role == Role::Participant && own != participant => Err(Problem::forbidden(format!(
                "token {:?} reads only the statements of participant {own:?}",
                self.name
            ))),
            _ => Ok(()),
        }
    }
}

/// Routes that only `roles` (and `admin`) may call: the token is checked (401) and its role
/// (403) before the handler runs or the body is read.
pub fn allow(state: &Arc<AppState>, roles: &'static [Role], routes: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    routes.route_layer(middleware::from_fn_with_state(
        state.clone(),
        move |State(state): State<Arc<AppState>>, mut request: Request, next: Next| async move {
            match caller(&state, request.headers()).and_then(|c| permitted(c, roles, &request)) {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                    next.run(request).await
                }
                Err(problem) => problem.into_response(),
            }
        },
    ))
}

/// The token's holder, or 401.
fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, Problem> {
    let header = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("no Authorization header: send `Authorization: Bearer <token>`"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Problem::unauthorized("the Authorization header is not `Bearer <token>`"))?;
    holder(state, token)
}

/// The holder of `token`, or 401.
pub fn holder(state: &AppState, token: &str) -> Result<Caller, Problem> {
    let token = state
        .tokens
        .get(&crate::hash::sha256(token.as_bytes()))
        .ok_or_else(|| Problem::unauthorized("unknown token"))?;
    Ok(Caller { name: token.name.clone(), role: token.role, participant: token.participant.clone() })
}

/// The caller, or 403 when its role is not one of `roles` (or admin).
fn permitted(caller: Caller, roles: &[Role], request: &Request) -> Result<Caller, Problem> {
    caller.may(roles, &format!("{} {}", request.method(), request.uri().path()))?;
    Ok(caller)
}

impl Caller {
    /// 403 unless the caller's role is one of `roles` (or admin); the message names `what`.
    pub fn may(&self, roles: &[Role], what: &str) -> Result<(), Problem> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            return Ok(());
        }
        let allowed: Vec<&str> = roles.iter().map(|r| r.name()).chain(["admin"]).collect();
        Err(Problem::forbidden(format!(
            "token {:?} has role {}; {what} needs one of: {}",
            self.name,
            self.role.name(),
            allowed.join(", ")
        )))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "this route reads its caller but has no `allow`",
            )
        })
    }
}
