//! `payplan serve`: the HTTP service payroll, designers and auditors call (axum on tokio).
//!
//! - [`plans`]: publish immutable plan versions, evaluate (recorded, idempotent) and dry-run.
//! - [`runs`]: read runs and a participant's lines, replay, verify the chain, close a period;
//!   [`standings`]: where everyone stands in a run, and its champions.
//! - [`service`]: `/healthz` and `/metrics`; [`doc`]: `/openapi.json`.
//! - [`auth`] and [`config`]: bearer tokens kept as hashes, each with a role; a role layer on
//!   each group of routes.
//! - [`problem`]: every error as `application/problem+json`, with the CLI's messages;
//!   [`extract`]: extractors that reject with it; [`responses`]: the problem answers routes
//!   share, for the document.
//! - [`metrics`]: the counters behind `/metrics`.
//! - [`console`]: the pages under `/console`, drawn from the handlers above.
//!
//! The store and the engine are synchronous: handlers run them on tokio's blocking threads, and
//! evaluations use one rayon pool shared by all requests.

pub mod auth;
pub mod config;
pub mod console;
pub mod doc;
pub mod extract;
pub mod gate;
pub mod jobs;
pub mod metrics;
pub mod plans;
pub mod problem;
pub mod responses;
pub mod runs;
pub mod service;
pub mod standings;

use crate::error::Result;
use crate::eval::CompiledPlan;
use crate::store::Store;
use auth::allow;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use config::{Config, Role, Token};
use metrics::Metrics;
use problem::Problem;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// Compiled plans kept in memory, by hash; beyond this many the cache starts again.
const COMPILED_PLANS: usize = 64;

/// Runs' facts kept in memory (a run never changes, so neither do they), weighed in participants
/// and credits: a year of 10,000-participant months with 20 deals each fits.
const KEPT_FACTS: usize = 4_000_000;

/// What-if comparisons kept in memory (a run and a plan version never change; one paid against
/// a history is not kept, as the history may change), in lines.
const COMPARISONS: usize = 400_000;

/// What-ifs and gates the console may be making at once in the background (each evaluates a
/// whole period, or a series of them).
const CONSOLE_JOBS: usize = 8;

/// Runs' totals kept in memory (for the console's list of runs, which would otherwise read each
/// listed run's whole result).
const RUN_TOTALS: usize = 100_000;

/// Values kept in memory by key, made once each (a second caller for a key waits for the first
/// to make it); past `capacity` (in the values' weights) the cache starts again.
struct Cache<V> {
    capacity: usize,
    weigh: fn(&V) -> usize,
    values: Mutex<(usize, Slots<V>)>,
}

/// Each key's slot.
type Slots<V> = HashMap<String, Arc<Slot<V>>>;

/// A key's value, empty while it is being made (or after making it failed).
type Slot<V> = Mutex<Option<Arc<V>>>;

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<V> Cache<V> {
    fn new(capacity: usize, weigh: fn(&V) -> usize) -> Self {
        Self { capacity, weigh, values: Mutex::default() }
    }

    /// The slot of `key`, empty when new.
    fn slot(&self, key: &str) -> Arc<Slot<V>> {
        locked(&self.values).1.entry(key.to_owned()).or_default().clone()
    }

    /// The value of `key`, made by `make` when it is not kept.
    fn get_or(&self, key: &str, make: impl FnOnce() -> Result<V>) -> Result<Arc<V>> {
        self.get_or_made(key, || make().map(|made| (made, true)))
    }

    /// The value of `key`, made by `make` when it is not kept; kept only when `make` says so
    /// (`true`). A caller that comes while it is being made waits, and gets it if it was kept.
    fn get_or_made(&self, key: &str, make: impl FnOnce() -> Result<(V, bool)>) -> Result<Arc<V>> {
        let slot = self.slot(key);
        let mut value = locked(&slot);
        if let Some(value) = &*value {
            return Ok(value.clone());
        }
        let made = make();
        if let Ok((made, true)) = made {
            let made = Arc::new(made);
            *value = Some(made.clone());
            drop(value);
            self.weigh_in(key, slot, &made);
            return Ok(made);
        }
        // Nothing kept for a key that makes nothing (a hostile caller's many keys).
        let mut values = locked(&self.values);
        if values.1.get(key).is_some_and(|kept| Arc::ptr_eq(kept, &slot)) {
            values.1.remove(key);
        }
        made.map(|(made, _)| Arc::new(made))
    }

    /// The value kept for `key` (waiting while it is being made).
    #[cfg(test)]
    fn get(&self, key: &str) -> Option<Arc<V>> {
        let slot = locked(&self.values).1.get(key)?.clone();
        locked(&slot).clone()
    }

    /// Keeps `value` for `key` (weighed once: a key kept again replaces its value).
    fn keep(&self, key: &str, value: Arc<V>) {
        let slot = self.slot(key);
        let was_empty = locked(&slot).replace(value.clone()).is_none();
        if was_empty {
            self.weigh_in(key, slot, &value);
        }
    }

    /// Counts a value made for `key`, starting again when the cache is full.
    fn weigh_in(&self, key: &str, slot: Arc<Slot<V>>, value: &V) {
        let weight = (self.weigh)(value).max(1);
        let mut values = locked(&self.values);
        let (total, kept) = &mut *values;
        if *total + weight > self.capacity {
            kept.clear();
            *total = 0;
            kept.insert(key.to_owned(), slot);
        }
        *total += weight;
    }
}

/// What every handler shares.
pub struct AppState {
    /// The audit store.
    pub store: Arc<dyn Store>,
    /// Evaluation threads.
    pub pool: rayon::ThreadPool,
    /// Tokens by `sha256:` hash.
    pub tokens: BTreeMap<String, Token>,
    /// The service's metrics.
    pub metrics: Arc<Metrics>,
    compiled: Cache<CompiledPlan>,
    kept: Cache<standings::Kept>,
    comparisons: Cache<crate::design::whatif::Comparison>,
    totals: Cache<rust_decimal::Decimal>,
    whatifs: jobs::Jobs<crate::design::whatif::Comparison>,
    gates: jobs::Jobs<crate::design::gate::Gate>,
}

impl AppState {
    /// State over a store, with the config's tokens and `threads` evaluation threads (0: one per
    /// core).
    pub fn new(store: Arc<dyn Store>, config: &Config, threads: usize) -> Result<Self, String> {
        Ok(Self {
            store,
            pool: crate::runtime::thread_pool(threads),
            tokens: config.tokens_by_hash()?,
            metrics: Arc::default(),
            compiled: Cache::new(COMPILED_PLANS, |_| 1),
            kept: Cache::new(KEPT_FACTS, standings::Kept::weight),
            comparisons: Cache::new(COMPARISONS, |c| c.lines.len() + c.participants.len()),
            totals: Cache::new(RUN_TOTALS, |_| 1),
            whatifs: jobs::Jobs::new(CONSOLE_JOBS, "what-ifs"),
            gates: jobs::Jobs::new(CONSOLE_JOBS, "gates"),
        })
    }

    /// The total a recorded run paid, as its stored result says (read once per process).
    fn total(&self, seq: i64) -> Result<rust_decimal::Decimal> {
        let total = self.totals.get_or(&seq.to_string(), || {
            Ok(crate::audit::stored_run(self.store.as_ref(), seq)?.result.totals.amount)
        })?;
        Ok(*total)
    }

    /// A published plan version, compiled (once per process).
    fn compiled(&self, hash: &str) -> Result<Arc<CompiledPlan>> {
        self.compiled.get_or(hash, || {
            let version = self
                .store
                .plan(hash)?
                .ok_or_else(|| crate::Error::NotFound { what: format!("plan version {hash}") })?;
            let plan = crate::audit::stored_plan(
                self.store.as_ref(),
                &version.plan_file,
                &version.plan_blob,
                &version.scripts,
                &format!("plan version {hash}"),
            )?;
            CompiledPlan::new(plan)
        })
    }
}

/// Runs `work` on a blocking thread (the store and the engine are synchronous).
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    work: impl FnOnce(&AppState) -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || work(&state)).await.map_err(|e| {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the request's task failed: {e}"))
    })?
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The service: every route, with auth, limits, metrics, request ids and tracing.
pub fn router(state: Arc<AppState>, config: &Config) -> Router {
    let timeout = Duration::from_secs(config.request_timeout_seconds);
    let metrics = state.metrics.clone();
    let api = routes(&state)
        .merge(console::routes())
        .route("/healthz", get(service::health))
        .route("/metrics", get(service::metrics))
        .route("/openapi.json", get(doc::openapi))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "no_route", "no such route (see /openapi.json)") })
        .method_not_allowed_fallback(|| async {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn(move |request: Request, next: Next| deadline(timeout, request, next)))
        .with_state(state);
    api.layer(middleware::from_fn_with_state(metrics, metrics::count))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
            tracing::info_span!("request", id = id.unwrap_or("-"), method = %request.method(), path = %request.uri().path())
        }).on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The API's routes, in groups by the roles that may call them (`admin` may call any).
fn routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    use Role::{Auditor, Designer, Participant, Payroll};
    let designers = Router::new()
        .route("/v1/plans", post(plans::publish))
        .route("/v1/plans/{plan}/dry-run", post(plans::dry_run))
        .route("/v1/plans/{plan}/gate", post(gate::gate))
        .route("/v1/runs/{run}/whatif", get(gate::whatif));
    let plan_readers = Router::new()
        .route("/v1/plans", get(plans::list))
        .route("/v1/plans/{plan}", get(plans::show))
        .route("/v1/plans/{plan}/policies", get(plans::policies));
    let payroll = Router::new()
        .route("/v1/plans/{plan}/runs", post(plans::evaluate))
        .route("/v1/periods/{period}/close", post(runs::close));
    let run_readers = Router::new()
        .route("/v1/runs", get(runs::list))
        .route("/v1/runs/{run}", get(runs::show))
        .route("/v1/runs/{run}/result", get(runs::result))
        .route("/v1/runs/{run}/standings", get(standings::standings));
    // A participant token reads its own statements only (the handler checks whose).
    // and, with everyone, the champions wall.
    let statements = Router::new()
        .route("/v1/runs/{run}/participants/{participant}", get(runs::participant))
        .route("/v1/runs/{run}/participants/{participant}/credits", get(standings::participant_credits))
        .route("/v1/runs/{run}/champions", get(standings::champions));
    let auditors =
        Router::new().route("/v1/runs/{run}/replay", post(runs::replay)).route("/v1/audit/verify", post(runs::verify));
    Router::new()
        .merge(allow(state, &[Designer], designers))
        .merge(allow(state, &[Designer, Payroll, Auditor], plan_readers))
        .merge(allow(state, &[Payroll], payroll))
        .merge(allow(state, &[Payroll, Auditor], run_readers))
        .merge(allow(state, &[Payroll, Auditor, Participant], statements))
        .merge(allow(state, &[Auditor], auditors))
}

/// Answers 503 when a request runs past the timeout. Dropping the handler marks its work
/// abandoned, so a recorded evaluation still running is not recorded (see [`plans::evaluate`]).
async fn deadline(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s; nothing was recorded", timeout.as_secs()),
        )
        .into_response(),
    }
}

/// Serves until SIGTERM or Ctrl-C; requests in flight then finish before it returns.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>, config: &Config) -> std::io::Result<()> {
    let app = router(state, config);
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await
}

async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_made_once_and_the_cache_starts_again_past_its_weight() {
        let cache: Cache<Vec<u8>> = Cache::new(10, Vec::len);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = |n: usize| {
            made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(vec![0; n])
        };
        let first = cache.get_or("a", || make(4)).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.get_or("a", || make(4)).unwrap()), "kept, not made again");
        cache.get_or("b", || make(6)).unwrap();
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(cache.get("a").is_some() && cache.get("b").is_some(), "4 + 6 is within 10");
        cache.get_or("c", || make(1)).unwrap();
        assert!(cache.get("a").is_none() && cache.get("b").is_none(), "11 is past 10: started again");
        assert_eq!(cache.get("c").map(|c| c.len()), Some(1));
    }

    #[test]
    fn a_failed_make_keeps_nothing_and_the_next_caller_makes_it() {
        let cache: Cache<u32> = Cache::new(10, |_| 1);
        let failed = cache.get_or("a", || Err(crate::Error::NotFound { what: "a".into() }));
        assert!(failed.is_err());
        assert!(cache.get("a").is_none());
        assert!(locked(&cache.values).1.is_empty(), "no empty slot kept");
        assert_eq!(*cache.get_or("a", || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn a_value_made_not_to_be_kept_is_given_and_not_kept() {
        let cache: Cache<u32> = Cache::new(10, |_| 1);
        assert_eq!(*cache.get_or_made("a", || Ok((3, false))).unwrap(), 3);
        assert!(locked(&cache.values).1.is_empty(), "no slot kept");
        assert_eq!(*cache.get_or_made("a", || Ok((4, true))).unwrap(), 4, "made again");
        assert_eq!(*cache.get_or_made("a", || Ok((5, true))).unwrap(), 4, "then kept");
    }

    #[test]
    fn a_key_kept_again_is_weighed_once() {
        let cache: Cache<u32> = Cache::new(2, |_| 1);
        cache.keep("a", Arc::new(1));
        cache.keep("a", Arc::new(2));
        cache.keep("b", Arc::new(3));
        assert_eq!(locked(&cache.values).0, 2);
        assert!(cache.get("a").is_some_and(|a| *a == 2) && cache.get("b").is_some(), "1 + 1 is within 2");
    }

    #[test]
    fn a_second_caller_waits_for_the_value_being_made() {
        let cache: Arc<Cache<u32>> = Arc::new(Cache::new(10, |_| 1));
        let (started, start) = std::sync::mpsc::channel();
        let maker = {
            let cache = cache.clone();
            std::thread::spawn(move || {
                cache.get_or("a", || {
                    // The slot is held from here until the value is in it.
                    started.send(()).unwrap();
                    Ok(1)
                })
            })
        };
        start.recv().unwrap();
        let waited = cache.get_or("a", || Ok(2)).unwrap();
        assert_eq!(*waited, 1, "the value the first caller made, not a second one");
        assert_eq!(*maker.join().unwrap().unwrap(), 1);
    }
}
