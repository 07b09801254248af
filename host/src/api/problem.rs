//! Errors as RFC 9457 `application/problem+json`, with the same messages and paths as the CLI.

use crate::error::{Error, Position};
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer: the problem details, boxed (handlers return it in every `Result`).
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemDetails>);

/// An RFC 9457 problem: what went wrong, where, and a stable `code` to branch on.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDetails {
    /// `urn:payplan:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// The full message, as the CLI prints it.
    pub detail: String,
    /// A stable code (`invalid_input`, `compile_error`, `policy_failed`, …).
    pub code: String,
    /// The policy that failed or does not compile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Each problem found, with where it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
}

/// One problem: a path in the data, or a file with a line and column.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ProblemItem {
    /// Where in the data (`deals[3].amount`), or `line L, column C` for text that does not parse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The file (the plan, a script or a plugin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file` (or in the body, for a body that is not JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column in `file` (or in the body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// What went wrong.
    pub fn details(&self) -> &ProblemDetails {
        &self.0
    }

    /// A problem of a status and code with a message.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDetails {
            kind: format!("urn:payplan:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            policy: None,
            errors: Vec::new(),
        }))
    }

    /// 401: no token, or one the service does not know.
    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(detail: String) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 400: a request the service cannot read (a header, a path parameter).
    pub fn bad_request(code: &str, detail: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// A plan whose policies do not compile: one item per error.
    pub fn compile_errors(errors: &[Error]) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        let mut problem = Self::new(StatusCode::UNPROCESSABLE_ENTITY, errors[0].code(), detail);
        problem.0.policy = errors[0].policy().map(str::to_owned);
        problem.0.errors = errors.iter().flat_map(located).collect();
        problem
    }
}

/// The items of an error that points into a file: one per problem, each with its line and column.
fn located(e: &Error) -> Vec<ProblemItem> {
    let file = e.file().map(|f| f.display().to_string());
    let item = |position: Option<Position>, message: &str| ProblemItem {
        file: file.clone(),
        line: position.map(|p| p.line),
        column: position.map(|p| p.column),
        message: message.to_owned(),
        ..Default::default()
    };
    match e {
        Error::Compile { message, .. } | Error::Policy { message, .. } => vec![item(e.position(), message)],
        Error::Plan { problems, .. } => problems.iter().map(|p| item(p.position, &p.message)).collect(),
        other => vec![item(other.position(), &other.to_string())],
    }
}

/// The status each kind of engine error answers with (every variant named: a new one must be
/// placed here to compile).
fn status(e: &Error) -> StatusCode {
    match e {
        // Text that is not JSON at all: the request is malformed, not merely invalid.
        Error::Input { problems, .. } if problems.iter().any(|p| p.position.is_some()) => StatusCode::BAD_REQUEST,
        Error::Input { .. }
        | Error::Plan { .. }
        | Error::Compile { .. }
        | Error::Policy { .. }
        | Error::LimitExceeded { .. }
        | Error::Params { .. }
        | Error::KeyReused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NoRun(_) | Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::PeriodClosed { .. } | Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Config { .. } | Error::Store { .. } | Error::Database { .. } | Error::Io { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        let mut problem = Self::new(status(&e), e.code(), e.to_string());
        problem.0.policy = e.policy().map(str::to_owned);
        problem.0.errors = match &e {
            Error::Input { problems, .. } => problems
                .iter()
                .map(|p| ProblemItem {
                    path: Some(p.path.clone()),
                    line: p.position.map(|at| at.line),
                    column: p.position.map(|at| at.column),
                    message: p.message.clone(),
                    ..Default::default()
                })
                .collect(),
            Error::Plan { .. } | Error::Compile { .. } | Error::Policy { .. } | Error::LimitExceeded { .. } => {
                located(&e)
            }
            _ => Vec::new(),
        };
        problem
    }
}

impl From<BytesRejection> for Problem {
    fn from(r: BytesRejection) -> Self {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "bad_body" };
        Self::new(r.status(), code, r.body_text())
    }
}

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "invalid_request" };
        Self::new(r.status(), code, r.body_text())
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let Self(details) = self;
        let details = *details;
        let status = StatusCode::from_u16(details.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&details).expect("a problem always serialises");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // The failing policy, for the metrics layer to count.
        if let Some(policy) = details.policy
            && (details.code == "policy_failed" || details.code == "limit_exceeded")
        {
            response.extensions_mut().insert(PolicyFailure(policy));
        }
        response
    }
}

/// Marks a response as a policy failure (for `/metrics`).
#[derive(Debug, Clone)]
pub struct PolicyFailure(pub String);
