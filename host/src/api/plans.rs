//! Plan versions: publish (validated and compiled on upload, then immutable and named by their
//! hash), list, show; and evaluate a period against one, recorded or as a dry run.

use super::auth::Caller;
use super::extract::{Body, JsonBody, Params};
use super::problem::{Problem, ProblemDetails};
use super::responses::{BadJson, BadPeriod, Denied, Missing};
use super::runs::{RunInfo, RunResponse};
use super::{AppState, blocking};
use crate::audit;
use crate::error::Error;
use crate::eval::CompiledPlan;
use crate::halt::{Halt, StopOnDrop};
use crate::input::parse_period;
use crate::series;
use crate::store::{Kind, PlanVersion, Request};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use payplan_sdk::result::EvalResult;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;
use utoipa::{IntoParams, ToSchema};

/// A plan to publish: its TOML and every file it names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "file": "plan.toml",
    "plan": "id = \"demo\"\nversion = \"1\"\ncurrency = \"USD\"\n\n[[policy]]\nid = \"commission\"\nscript = \"commission.rhai\"\n",
    "files": {"commission.rhai": {"text": "fn participant(ctx, p) {\n    ctx.pay(p, \"commission\", p.sales * 0.05, \"5% of sales\");\n}\n"}}
}))]
pub struct PublishRequest {
    /// The plan's file name; the paths it gives for policies resolve against its folder.
    #[serde(default = "plan_toml")]
    #[schema(default = "plan.toml")]
    pub file: String,
    /// The plan (TOML, formats.md "Plan").
    #[schema(min_length = 1)]
    pub plan: String,
    /// Each policy file the plan names, by its path resolved against the plan's folder
    /// (`script = "../policies/x.rhai"` in `plan.toml` is `../policies/x.rhai`).
    #[serde(default)]
    pub files: BTreeMap<String, FileBody>,
}

fn plan_toml() -> String {
    "plan.toml".into()
}

/// A file's bytes: `text` for a script, `base64` for a plugin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileBody {
    /// UTF-8 text.
    pub text: Option<String>,
    /// Bytes, base64 (standard alphabet, padded).
    pub base64: Option<String>,
}

/// `?adjust=true` records an adjustment of a closed period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvaluateQuery {
    /// Record an adjustment of the period's final run (the period must be closed).
    #[serde(default)]
    pub adjust: bool,
}

/// Publish a plan version.
///
/// The plan is parsed and every policy compiled; any problem is a 422 naming the file, line and
/// column. A version is named by its hash and never changes: publishing the same bytes again
/// answers 200 with the version as first published.
#[utoipa::path(post, path = "/v1/plans", tag = "plans", operation_id = "publish_plan", request_body = PublishRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Published", body = PlanVersion,
            headers(("Location" = String, description = "The version")), links(
                ("show" = (operation_id = "show_plan", parameters(("plan" = "$response.body#/hash")))),
                ("evaluate" = (operation_id = "evaluate", parameters(("plan" = "$response.body#/hash")))),
                ("dry_run" = (operation_id = "dry_run", parameters(("plan" = "$response.body#/hash")))),
            )),
        (status = 200, description = "Already published", body = PlanVersion, links(
                ("show" = (operation_id = "show_plan", parameters(("plan" = "$response.body#/hash")))),
                ("evaluate" = (operation_id = "evaluate", parameters(("plan" = "$response.body#/hash")))),
                ("dry_run" = (operation_id = "dry_run", parameters(("plan" = "$response.body#/hash")))),
            )),
        Denied, BadJson,
    ))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    JsonBody(request): JsonBody<PublishRequest>,
) -> Result<Response, Problem> {
    blocking(&state, move |state| {
        let (version, blobs) = prepare(request, &caller.name)?;
        let (status, stored) = if state.store.publish(&version, blobs)? {
            tracing::info!(plan = %version.hash, id = %version.id, version = %version.version, "published");
            (StatusCode::CREATED, version)
        } else {
            // Published before: answer with the first publication (its author and time).
            (StatusCode::OK, state.store.plan(&version.hash)?.unwrap_or(version))
        };
        let location = HeaderValue::from_str(&format!("/v1/plans/{}", stored.hash)).expect("a hash is a header value");
        Ok((status, [(header::LOCATION, location)], Json(stored)).into_response())
    })
    .await
}

/// A small period, the example of the routes that evaluate one.
fn period_example() -> serde_json::Value {
    serde_json::json!({
        "period": {"id": "2026-03", "start": "2026-03-01", "end": "2026-03-31", "currency": "USD"},
        "teams": [],
        "participants": [{"id": "p1", "name": "Ana"}],
        "deals": [{"id": "d1", "participant": "p1", "amount": "1250.00", "closed_on": "2026-03-02"}]
    })
}

/// Blobs to store, by hash.
type Blobs = Vec<(String, Vec<u8>)>;

/// Parses and compiles an uploaded plan; its version record and the blobs to store.
fn prepare(request: PublishRequest, by: &str) -> Result<(PlanVersion, Blobs), Problem> {
    let invalid = |message: String| Problem::from(Error::plan(request.file.clone(), None, message));
    let mut files = BTreeMap::new();
    for (name, body) in &request.files {
        let bytes = match (&body.text, &body.base64) {
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| invalid(format!("files.{name}: not base64: {e}")))?,
            _ => return Err(invalid(format!("files.{name}: give exactly one of `text` or `base64`"))),
        };
        files.insert(name.clone(), bytes);
    }
    let used = RefCell::new(BTreeSet::new());
    let plan = crate::plan::parse(std::path::Path::new(&request.file), &request.plan, |path| {
        let name = path.to_string_lossy().into_owned();
        let bytes = files.get(&name).cloned().ok_or_else(|| format!("`files` has no {name:?}"))?;
        used.borrow_mut().insert(name);
        Ok(bytes)
    })?;
    if let Some(unused) = files.keys().find(|name| !used.borrow().contains(*name)) {
        return Err(invalid(format!("files.{unused}: the plan does not name this file")));
    }
    let errors: Vec<Error> = crate::design::check::compile_each(&plan).into_iter().map(|(e, _)| e).collect();
    if !errors.is_empty() {
        return Err(Problem::compile_errors(&errors));
    }
    let mut blobs = vec![(crate::hash::sha256(plan.text.as_bytes()), plan.text.as_bytes().to_vec())];
    let mut scripts = BTreeMap::new();
    for policy in &plan.policies {
        let hash = crate::hash::sha256(policy.source.bytes());
        scripts.insert(policy.source.file().to_string_lossy().into_owned(), hash.clone());
        blobs.push((hash, policy.source.bytes().to_vec()));
    }
    let version = PlanVersion {
        hash: plan.hash.clone(),
        id: plan.id.clone(),
        version: plan.version.clone(),
        plan_file: request.file,
        plan_blob: blobs[0].0.clone(),
        scripts,
        published_by: by.to_owned(),
        published_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    Ok((version, blobs))
}

/// List published plan versions, oldest first.
#[utoipa::path(get, path = "/v1/plans", tag = "plans", operation_id = "list_plans", security(("bearer" = [])),
    responses((status = 200, description = "Every published version", body = Vec<PlanVersion>), Denied))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Vec<PlanVersion>>, Problem> {
    blocking(&state, |state| Ok(Json(state.store.plans()?))).await
}

/// Show one plan version.
#[utoipa::path(get, path = "/v1/plans/{plan}", tag = "plans", operation_id = "show_plan", security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan version's hash (`sha256:…`)")),
    responses((status = 200, description = "The version", body = PlanVersion), Denied, Missing))]
pub async fn show(State(state): State<Arc<AppState>>, Path(plan): Path<String>) -> Result<Json<PlanVersion>, Problem> {
    blocking(&state, move |state| {
        let version = state.store.plan(&plan)?.ok_or_else(|| Error::NotFound { what: format!("plan version {plan}") });
        Ok(Json(version?))
    })
    .await
}

/// Evaluate a period against a plan version and record the run.
///
/// The body is the period JSON (formats.md "Period"), kept byte for byte in the run's record.
/// With an `Idempotency-Key`, a retry with the same key and body answers with the run already
/// recorded (and records nothing); the same key with another body is a 422.
#[utoipa::path(post, path = "/v1/plans/{plan}/runs", tag = "runs", operation_id = "evaluate", security(("bearer" = [])),
    params(
        ("plan" = String, Path, description = "The plan version's hash"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters",
            pattern = "^[!-~]{1,255}$"),
        EvaluateQuery,
    ),
    request_body(content = payplan_sdk::period::Period, content_type = "application/json", example = period_example),
    responses(
        (status = 201, description = "Recorded", body = RunResponse,
            headers(("Location" = String, description = "The run"),
                    ("Idempotent-Replayed" = String, description = "`true` when this answers a retry")),
            links(
                ("show" = (operation_id = "show_run", parameters(("run" = "$response.body#/run/seq")))),
                ("result" = (operation_id = "run_result", parameters(("run" = "$response.body#/run/seq")))),
                ("statement" = (operation_id = "statement", parameters(
                    ("run" = "$response.body#/run/seq"), ("participant" = "$response.body#/result/payouts/0/participant")))),
                ("replay" = (operation_id = "replay", parameters(("run" = "$response.body#/run/seq")))),
                ("close" = (operation_id = "close_period", parameters(("period" = "$response.body#/result/period")))),
            )),
        (status = 409, description = "The period is closed (or, with `?adjust=true`, not closed)", body = ProblemDetails, content_type = "application/problem+json"),
        Denied, Missing, BadPeriod,
    ))]
pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(plan): Path<String>,
    Params(query): Params<EvaluateQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, Problem> {
    let request = idempotency_key(&headers)?.map(|key| Request {
        scope: caller.name.clone(),
        hash: request_hash(&plan, query.adjust, &body),
        key,
    });
    // Stopped when this handler is dropped (the client left, or the timeout fired): the work on
    // the blocking thread then stops, and records nothing.
    let stop = StopOnDrop::default();
    let halt = stop.0.clone();
    let large = body.len() > WARM_AFTER_BYTES;
    let (response, recorded) = blocking(&state, move |state| {
        if let Some(request) = &request
            && let Some(seq) = crate::store::replayed(request, state.store.request(&request.scope, &request.key)?)?
        {
            let run = audit::stored_run(state.store.as_ref(), seq)?;
            return Ok((run_created(RunResponse { run: RunInfo::from(run.stored), result: run.result }, true), None));
        }
        let clock = Instant::now();
        let (compiled, result, basis) = match evaluated(state, &plan, &body, &halt) {
            Err(_) if halt.is_due() => return Err(given_up(&plan)),
            evaluation => evaluation?,
        };
        let kind = if query.adjust { Kind::Adjustment } else { Kind::Run };
        if halt.is_due() {
            return Err(given_up(&plan));
        }
        // In the service's pool, as the period was read: a long result's JSON is written in parallel.
        let stored = state.pool.install(|| {
            let how = audit::Recording { caller: &caller.name, kind, request, basis };
            audit::record(state.store.as_ref(), &body, &compiled.plan, &result, how)
        })?;
        state.metrics.evaluation(true, clock.elapsed().as_secs_f64());
        tracing::info!(run = stored.record.seq, period = %result.period, plan = %plan, "recorded");
        let seq = stored.record.seq;
        state.totals.keep(&seq.to_string(), Arc::new(result.totals.amount));
        Ok((run_created(RunResponse { run: RunInfo::from(stored), result }, false), Some(seq)))
    })
    .await?;
    // A large run's facts (its standings, credits, champions' figures) are made now, in the
    // background, so that the console's first view of it does not wait for them.
    if let Some(seq) = recorded.filter(|_| large) {
        tokio::task::spawn_blocking(move || {
            if let Err(e) = super::standings::kept(&state, seq) {
                tracing::warn!(run = seq, error = %e, "the run's facts could not be made");
            }
        });
    }
    Ok(response)
}

/// The answer for work whose request was given up (nobody reads it): logged, and nothing recorded.
fn given_up(plan: &str) -> Problem {
    tracing::warn!(plan = %plan, "abandoned before recording (timeout or client gone)");
    Problem::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "abandoned before recording")
}

/// Evaluate a period against a plan version without recording anything.
#[utoipa::path(post, path = "/v1/plans/{plan}/dry-run", tag = "plans", operation_id = "dry_run",
    security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan version's hash")),
    request_body(content = payplan_sdk::period::Period, content_type = "application/json", example = period_example),
    responses((status = 200, description = "The result (formats.md \"Result\")", body = EvalResult), Denied, Missing, BadPeriod))]
pub async fn dry_run(
    State(state): State<Arc<AppState>>,
    Path(plan): Path<String>,
    Body(body): Body,
) -> Result<Json<EvalResult>, Problem> {
    let stop = StopOnDrop::default();
    let halt = stop.0.clone();
    blocking(&state, move |state| {
        let clock = Instant::now();
        let (_, result, _) = evaluated(state, &plan, &body, &halt)?;
        state.metrics.evaluation(false, clock.elapsed().as_secs_f64());
        Ok(Json(result))
    })
    .await
}

/// A period body from this size on is large: its evaluation's freed memory is handed back.
const RELEASE_AFTER_BYTES: usize = 1 << 20;

/// Periods larger than this have their facts made when recorded (a smaller one's take
/// milliseconds at the first view that needs them).
const WARM_AFTER_BYTES: usize = 1 << 20;

/// The plan version compiled, and the period in `body` evaluated against it.
pub(super) fn evaluated(state: &AppState, plan: &str, body: &[u8], halt: &Halt) -> crate::Result<Evaluated> {
    let compiled = state.compiled(plan)?;
    let input = state
        .pool
        .install(|| parse_period(body))
        .map_err(|problems| Error::Input { file: "request body".into(), problems })?;
    // A period of a series with an accumulating plan is paid against its closed history.
    let history = if compiled.needs_history(&input.period) {
        Some(series::read(state.store.as_ref(), &input.period)?)
    } else {
        None
    };
    let result = compiled.evaluate_series(input, history.as_ref(), &state.pool, halt).map(|(result, _)| result);
    // The service runs for months: what a failed or large evaluation freed goes back to the
    // kernel now, on every worker that may hold it (an idle worker would keep it). After a small
    // honest one there is little to hand back, and doing it halved the service's throughput.
    if result.is_err() || body.len() > RELEASE_AFTER_BYTES {
        state.pool.broadcast(|_| crate::allocator::release_freed());
        crate::allocator::release_freed();
    }
    let basis = history.map(|h| h.runs()).unwrap_or_default();
    Ok((compiled, result?, basis))
}

/// A plan version, what it computed, and the history runs it was computed from.
pub(super) type Evaluated = (Arc<CompiledPlan>, EvalResult, Vec<crate::store::RunRef>);

/// 201 with the run's location (and a mark when it answers a retry).
fn run_created(body: RunResponse, replayed: bool) -> Response {
    let location = HeaderValue::from_str(&format!("/v1/runs/{}", body.run.record.seq)).expect("a number is a header");
    let mut response = (StatusCode::CREATED, [(header::LOCATION, location)], Json(body)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// The `Idempotency-Key` header, checked.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    match value.to_str() {
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(Problem::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        )),
    }
}

/// What a retry must repeat exactly: the plan version, the mode and the body's bytes.
fn request_hash(plan: &str, adjust: bool, body: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(plan.len() + body.len() + 16);
    for part in [plan.as_bytes(), if adjust { b"adjust" } else { b"run" }, body] {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part);
    }
    crate::hash::sha256(&bytes)
}

/// A plan version's policy as designers read it: its file, the params the plan gives it, and
/// each param it declares with its doc.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyInfo {
    /// The policy id.
    pub id: String,
    /// Its script or plugin, as the plan names it.
    pub file: String,
    /// `[policy.params]` as the plan gives them.
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// `accumulate`, when it accumulates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accumulate: Option<String>,
    /// Each param the policy declares (a script's `fn params()`), in its order.
    pub declared: Vec<ParamInfo>,
}

/// One declared param.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParamInfo {
    /// Its key.
    pub name: String,
    /// What it must be: `number`, `string`, `bool`, `list` or `table`.
    pub kind: String,
    /// Whether the plan must give it.
    pub required: bool,
    /// What it does.
    pub doc: String,
}

/// A plan version's policies, with each param's declared doc.
#[utoipa::path(get, path = "/v1/plans/{plan}/policies", tag = "plans", operation_id = "plan_policies",
    security(("bearer" = [])),
    params(("plan" = String, Path, description = "The plan version's hash (`sha256:…`)")),
    responses((status = 200, description = "Its policies in plan order", body = Vec<PolicyInfo>), Denied, Missing))]
pub async fn policies(
    State(state): State<Arc<AppState>>,
    Path(plan): Path<String>,
) -> Result<Json<Vec<PolicyInfo>>, Problem> {
    blocking(&state, move |state| {
        let compiled = state.compiled(&plan)?;
        let infos = compiled
            .plan
            .policies
            .iter()
            .zip(compiled.policies())
            .map(|(spec, policy)| PolicyInfo {
                id: spec.id.clone(),
                file: spec.source.file().to_string_lossy().into_owned(),
                params: spec.params.clone(),
                accumulate: spec.accumulate.map(|a| a.name().to_owned()),
                declared: policy
                    .declared()
                    .iter()
                    .map(|d| ParamInfo {
                        name: d.name.clone(),
                        kind: d.kind.name().to_owned(),
                        required: d.required,
                        doc: d.doc.clone(),
                    })
                    .collect(),
            })
            .collect();
        Ok(Json(infos))
    })
    .await
}
