//! Bearer tokens: the `Authorization` header's token is hashed and looked up among the config's
//! hashes; each handler then says which roles may call it (`admin` may call any).

use super::AppState;
use super::config::Role;
use super::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use std::sync::Arc;

/// Who is calling: the token's name and role.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's name (kept as the caller of what it records).
    pub name: String,
    /// Its role.
    pub role: Role,
}

impl Caller {
    /// Refuses (403) a caller whose role is not one of `roles` (or admin).
    pub fn require(&self, roles: &[Role], action: &str) -> Result<(), Problem> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            return Ok(());
        }
        let allowed: Vec<&str> = roles.iter().map(|r| r.name()).chain(["admin"]).collect();
        Err(Problem::forbidden(format!(
            "token {:?} has role {}; {action} needs one of: {}",
            self.name,
            self.role.name(),
            allowed.join(", ")
        )))
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| Problem::unauthorized("no Authorization header: send `Authorization: Bearer <token>`"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Problem::unauthorized("the Authorization header is not `Bearer <token>`"))?;
        let token = state
            .tokens
            .get(&crate::hash::sha256(token.as_bytes()))
            .ok_or_else(|| Problem::unauthorized("unknown token"))?;
        Ok(Self { name: token.name.clone(), role: token.role })
    }
}
