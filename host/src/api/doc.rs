//! `/openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations.

use super::{gate, plans, problem, runs, service, standings};
use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "payplan", description = "Evaluate incentive plans, record runs, replay and verify them."),
    paths(
        plans::publish, plans::list, plans::show, plans::policies, plans::evaluate, plans::dry_run, gate::gate, gate::whatif,
        runs::list, runs::show, runs::result, runs::participant, runs::replay, runs::verify, runs::close,
        standings::standings, standings::participant_credits, standings::champions,
        service::health, service::metrics, openapi,
    ),
    components(schemas(problem::ProblemDetails, problem::ProblemItem)),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "service", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
