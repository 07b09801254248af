//! The service's own routes: liveness and metrics, open to all (no token).

use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Liveness: the service answers.
#[utoipa::path(get, path = "/healthz", tag = "service", operation_id = "health",
    responses((status = 200, description = "The service is up", body = String, example = "ok")))]
pub async fn health() -> &'static str {
    "ok\n"
}

/// Metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "service", operation_id = "metrics",
    responses((status = 200, description = "Requests by route and status, evaluation latency, policy failures",
        body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}
