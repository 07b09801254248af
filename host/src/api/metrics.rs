//! `/metrics` in the Prometheus text format: requests by route and status, evaluation latency,
//! and policy failures by policy.

use super::problem::PolicyFailure;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EvaluationLabels {
    /// `recorded` or `dry_run`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabels {
    policy: String,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    evaluations: Family<EvaluationLabels, Histogram>,
    policy_failures: Family<PolicyLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 100 µs to ~100 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 21))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("payplan");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by method, route and status", requests.clone());
        let evaluations = Family::<EvaluationLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "evaluation_seconds",
            "Time to evaluate a plan against a period (parse, evaluate, record)",
            evaluations.clone(),
        );
        let policy_failures = Family::<PolicyLabels, Counter>::default();
        registry.register("policy_failures", "Evaluations refused because a policy failed", policy_failures.clone());
        Self { registry, requests, evaluations, policy_failures }
    }
}

impl Metrics {
    /// Records how long one evaluation took.
    pub fn evaluation(&self, recorded: bool, seconds: f64) {
        let kind = if recorded { "recorded" } else { "dry_run" };
        self.evaluations.get_or_create(&EvaluationLabels { kind }).observe(seconds);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// Middleware: counts every answered request under its route template (not its raw path, so
/// the label set stays small), and each policy failure.
pub async fn count(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    if let Some(PolicyFailure(policy)) = response.extensions().get::<PolicyFailure>() {
        metrics.policy_failures.get_or_create(&PolicyLabels { policy: policy.clone() }).inc();
    }
    response
}
