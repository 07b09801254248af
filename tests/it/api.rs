//! The HTTP service end to end: the real `payplan serve` on a free loopback port, driven with a
//! real HTTP client, as payroll, designers and auditors call it.

use crate::store::Backend;
use crate::support::{payplan, repo};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// The roles the tests hold a token of, and the token for each.
const ROLES: [&str; 5] = ["designer", "payroll", "auditor", "admin", "participant"];

/// Whose statements the `participant` token reads.
const OWN: &str = "p001";

pub(crate) fn token(role: &str) -> String {
    format!("test-token-{role}")
}

/// The largest body the test servers take (the example period is ~10 KB).
const MAX_BODY: usize = 1 << 20;

/// A running `payplan serve` on its own store, stopped (SIGTERM) when dropped.
pub(crate) struct Server {
    child: Child,
    pub base: String,
    pub backend: Backend,
    agent: ureq::Agent,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A response: status, headers we look at, and the body.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem of this status and code; returns it.
    pub(crate) fn problem(&self, status: u16, code: &str) -> Value {
        let text = String::from_utf8_lossy(&self.body);
        assert_eq!(self.status, status, "{text}");
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{text}");
        let p = self.json();
        assert_eq!(p["code"], code, "{text}");
        assert_eq!(p["status"], status, "{text}");
        assert_eq!(p["type"], format!("urn:payplan:problem:{code}"), "{text}");
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{text}");
        p
    }
}

impl Server {
    pub(crate) fn start() -> Self {
        Self::on(Backend::sqlite())
    }

    pub(crate) fn on(backend: Backend) -> Self {
        Self::with(backend, "", &[])
    }

    /// A server on `backend` with these config lines (before the tokens) and environment.
    pub(crate) fn with(backend: Backend, config: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let defaults = format!("max_body_bytes = {MAX_BODY}\nrequest_timeout_seconds = 60\n");
        let mut config = if config.is_empty() { defaults } else { config.to_owned() };
        for role in ROLES {
            let hash = payplan::hash::sha256(token(role).as_bytes());
            config += &format!("[[token]]\nname = \"{role}-client\"\nrole = \"{role}\"\nsha256 = \"{hash}\"\n");
            if role == "participant" {
                config += &format!("participant = \"{OWN}\"\n");
            }
        }
        let config_file = dir.path().join("payplan.toml");
        std::fs::write(&config_file, config).unwrap();
        let log = dir.path().join("serve.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_payplan"))
            .args(["--store", &backend.url(), "serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config_file)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("payplan serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no address: {line:?}; log: {}", std::fs::read_to_string(&log).unwrap()))
            .to_owned();
        // Redirects are answers to look at (the console's), not to follow.
        let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
        Self { child, base, backend, agent, log, _dir: dir }
    }

    /// A request as `role` (`None`: no Authorization header), with extra headers.
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        role: Option<&str>,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let request = || {
            let mut request = ureq::http::Request::builder().method(method).uri(&url);
            if let Some(role) = role {
                request = request.header("Authorization", format!("Bearer {}", token(role)));
            }
            if body.is_some() {
                request = request.header("Content-Type", "application/json");
            }
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.body(body.unwrap_or_default().to_vec()).unwrap()
        };
        // Once more on a failed connection: a service that refuses a request before reading its
        // body (401, 403) closes the connection, and the agent may have pooled it.
        self.send(request()).or_else(|| self.send(request())).expect("the service answers")
    }

    /// A browser's request: its cookies, a form body when given, and extra headers.
    pub(crate) fn browse(
        &self,
        method: &str,
        path: &str,
        cookies: &str,
        form: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = ureq::http::Request::builder().method(method).uri(format!("{}{path}", self.base));
        if !cookies.is_empty() {
            request = request.header("Cookie", cookies);
        }
        if form.is_some() {
            request = request.header("Content-Type", "application/x-www-form-urlencoded");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(form.unwrap_or_default().as_bytes().to_vec()).unwrap()).expect("the service answers")
    }

    /// Sends a request; `None` when the service does not answer (it was killed).
    fn send(&self, request: ureq::http::Request<Vec<u8>>) -> Option<Reply> {
        let mut response = self.agent.run(request).ok()?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.body_mut().with_config().limit(1 << 30).read_to_vec().ok()?;
        Some(Reply { status, headers, body })
    }

    /// Records the example period against `plan` with this idempotency key; `None` when the
    /// service does not answer.
    pub(crate) fn try_record(&self, plan: &str, key: &str) -> Option<Reply> {
        let request = ureq::http::Request::builder()
            .method("POST")
            .uri(format!("{}/v1/plans/{plan}/runs", self.base))
            .header("Authorization", format!("Bearer {}", token("payroll")))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key);
        self.send(request.body(example_period()).unwrap())
    }

    /// Kills the service with SIGKILL (while other threads may still be sending to it).
    pub(crate) fn kill(&self) {
        let status = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    pub(crate) fn get(&self, path: &str, role: &str) -> Reply {
        self.call("GET", path, Some(role), None, &[])
    }

    pub(crate) fn post(&self, path: &str, role: &str, body: &[u8]) -> Reply {
        self.call("POST", path, Some(role), Some(body), &[])
    }

    /// Publishes a plan (text as `plan.toml`, with these files) as a designer.
    pub(crate) fn publish(&self, plan: &str, files: &[(impl AsRef<str>, impl AsRef<str>)]) -> Reply {
        let files: serde_json::Map<String, Value> =
            files.iter().map(|(name, text)| (name.as_ref().to_owned(), json!({ "text": text.as_ref() }))).collect();
        self.post("/v1/plans", "designer", json!({ "plan": plan, "files": files }).to_string().as_bytes())
    }

    /// Publishes the example plan; its version hash.
    pub(crate) fn publish_example(&self) -> String {
        let reply = self.publish(&example_plan(), &example_files());
        assert!(reply.status == 201 || reply.status == 200, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()["hash"].as_str().unwrap().to_owned()
    }

    /// How many runs the store holds.
    pub(crate) fn runs(&self) -> usize {
        self.get("/v1/runs", "auditor").json().as_array().unwrap().len()
    }

    /// The server's resident memory, in KiB (`VmRSS` of /proc).
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("Linux reports VmRSS");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The example plan, published as `plan.toml` with its scripts at the paths it names.
pub(crate) fn example_plan() -> String {
    read(&repo().join("examples/plan.toml"))
}

/// The files the example plan names, by the paths it gives.
pub(crate) fn example_files() -> Vec<(String, String)> {
    let plan = example_plan();
    let names = plan.lines().filter_map(|l| l.strip_prefix("script = \"").and_then(|l| l.strip_suffix('"')));
    names.map(|name| (name.to_owned(), read(&repo().join("examples").join(name)))).collect()
}

pub(crate) fn example_period() -> Vec<u8> {
    std::fs::read(repo().join("examples/period-2026-03.json")).unwrap()
}

/// What the CLI prints for the example: the reference the service must equal.
fn cli_example_result() -> Vec<u8> {
    let out = payplan(&["eval", "--plan", "examples/plan.toml", "--period", "examples/period-2026-03.json"]);
    assert!(out.status.success());
    out.stdout
}

// ---- flows (each runs on any server; the coverage test runs them all on one) ----

/// Payroll: publish → evaluate (recorded) → get the run and a participant's lines → replay MATCH.
fn payroll_flow(s: &Server) {
    let plan = s.publish_example();
    let again = s.publish(&example_plan(), &example_files());
    assert_eq!(again.status, 200, "publishing the same bytes again is not a new version");
    assert_eq!(again.json()["hash"], plan);
    assert!(s.get("/v1/plans", "payroll").json().as_array().unwrap().iter().any(|v| v["hash"] == plan));
    assert_eq!(s.get(&format!("/v1/plans/{plan}"), "auditor").json()["id"], "example-2026");

    let created = s.post(&format!("/v1/plans/{plan}/runs"), "payroll", &example_period());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let body = created.json();
    let seq = body["run"]["seq"].as_i64().unwrap();
    assert_eq!(created.header("location"), Some(format!("/v1/runs/{seq}").as_str()));
    assert_eq!(body["run"]["caller"], "payroll-client");
    let cli: Value = serde_json::from_slice(&cli_example_result()).unwrap();
    assert_eq!(body["result"], cli, "the service computes what the CLI computes");

    // The stored result is the CLI's output, byte for byte.
    let stored = s.get(&format!("/v1/runs/{seq}/result"), "auditor");
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body, cli_example_result());
    let run = s.get(&format!("/v1/runs/{seq}"), "payroll").json();
    assert_eq!(run, body, "reading a run gives what evaluating answered");
    let listed = s.get("/v1/runs?period=2026-03", "payroll").json();
    assert!(listed.as_array().unwrap().iter().any(|r| r["seq"] == seq));
    assert_eq!(s.get("/v1/runs?period=1999-01", "payroll").json(), json!([]));

    let lines = s.get(&format!("/v1/runs/{seq}/participants/p001"), "payroll").json();
    assert_eq!(lines["participant"], "p001");
    let payouts = lines["payouts"].as_array().unwrap();
    assert!(payouts.iter().all(|p| p["participant"] == "p001" && !p["explain"].as_array().unwrap().is_empty()));
    let expected: Vec<&Value> =
        cli["payouts"].as_array().unwrap().iter().filter(|p| p["participant"] == "p001").collect();
    assert_eq!(payouts.iter().collect::<Vec<_>>(), expected);
    assert_eq!(lines["total"], cli["totals"]["participants"]["p001"]);
    s.get(&format!("/v1/runs/{seq}/participants/nobody"), "payroll").problem(404, "not_found");

    let replay = s.post(&format!("/v1/runs/{seq}/replay"), "auditor", b"").json();
    assert_eq!(replay["matches"], true, "{replay}");
    assert_eq!(replay["stored_result_hash"], cli["result_hash"]);
}

/// Auditor: list and read runs, replay, verify; a changed byte in the store is named by verify.
fn auditor_flow(s: &Server) {
    let plan = s.publish_example();
    let seq =
        s.post(&format!("/v1/plans/{plan}/runs"), "payroll", &example_period()).json()["run"]["seq"].as_i64().unwrap();
    let verified = s.post("/v1/audit/verify", "auditor", b"").json();
    assert_eq!(verified["ok"], true, "{verified}");
    assert!(verified["runs"].as_u64().unwrap() >= 1);
    assert_eq!(s.post(&format!("/v1/runs/{seq}/replay"), "auditor", b"").json()["matches"], true);
    s.post("/v1/runs/999999/replay", "auditor", b"").problem(404, "no_run");
    s.get("/v1/runs/abc", "auditor").problem(404, "not_found");
}

/// Closing a period: later runs are refused (409), adjustments are recorded against the final run.
fn closing_flow(s: &Server) {
    let plan = s.publish_example();
    let period = String::from_utf8(example_period()).unwrap().replace("\"2026-03\"", "\"2026-03-close\"");
    let seq =
        s.post(&format!("/v1/plans/{plan}/runs"), "payroll", period.as_bytes()).json()["run"]["seq"].as_i64().unwrap();
    s.post(&format!("/v1/plans/{plan}/runs?adjust=true"), "payroll", period.as_bytes()).problem(409, "conflict");
    let close =
        |run: i64| s.post("/v1/periods/2026-03-close/close", "payroll", json!({ "run": run }).to_string().as_bytes());
    let closed = close(seq);
    assert_eq!(closed.status, 200, "{}", String::from_utf8_lossy(&closed.body));
    assert_eq!(closed.json(), json!({"period": "2026-03-close", "run": seq, "closed_by": "payroll-client"}));
    close(seq).problem(409, "conflict");
    let before = s.runs();
    s.post(&format!("/v1/plans/{plan}/runs"), "payroll", period.as_bytes()).problem(409, "period_closed");
    assert_eq!(s.runs(), before, "a refused run records nothing");
    let adjusted = s.post(&format!("/v1/plans/{plan}/runs?adjust=true"), "payroll", period.as_bytes());
    assert_eq!(adjusted.status, 201);
    assert_eq!(adjusted.json()["run"]["adjusts"], seq);
    assert_eq!(adjusted.json()["run"]["kind"], "adjustment");
    s.post("/v1/periods/2026-03-close/close", "payroll", b"{\"run\": \"one\"}").problem(422, "invalid_request");
    s.post(&format!("/v1/plans/{plan}/runs?adjust=perhaps"), "payroll", period.as_bytes())
        .problem(400, "invalid_query");
}

/// Idempotency: a retry answers the stored response and records nothing; another body is 422.
fn idempotency_flow(s: &Server) {
    let plan = s.publish_example();
    let path = format!("/v1/plans/{plan}/runs");
    let key = format!("retry-{}", s.runs());
    let send = |body: &[u8]| s.call("POST", &path, Some("payroll"), Some(body), &[("Idempotency-Key", &key)]);
    let before = s.runs();
    let first = send(&example_period());
    assert_eq!(first.status, 201);
    let retry = send(&example_period());
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body, "a retry answers the stored response, byte for byte");
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(s.runs(), before + 1, "the retry recorded nothing");
    let other = String::from_utf8(example_period()).unwrap().replace("300000.00", "300001.00");
    send(other.as_bytes()).problem(422, "idempotency_key_reused");
    assert_eq!(s.runs(), before + 1);
    s.call("POST", &path, Some("payroll"), Some(&example_period()), &[("Idempotency-Key", "")])
        .problem(400, "invalid_idempotency_key");

    // Concurrent retries of one new request: one run, one answer.
    let key = format!("race-{}", s.runs());
    let answers = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                let reply =
                    s.call("POST", &path, Some("payroll"), Some(&example_period()), &[("Idempotency-Key", &key)]);
                answers.lock().unwrap().push((reply.status, reply.body));
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    assert!(answers.iter().all(|(status, body)| *status == 201 && *body == answers[0].1));
    assert_eq!(s.runs(), before + 2, "six concurrent sends of one key record one run");
}

/// Bad inputs: each with its status and problem, and nothing recorded.
fn bad_inputs_flow(s: &Server) {
    let plan = s.publish_example();
    let path = format!("/v1/plans/{plan}/runs");
    let before = s.runs();
    let period = String::from_utf8(example_period()).unwrap();

    let p = s.post(&path, "payroll", b"{\"period\": ").problem(400, "invalid_input");
    assert!(p["errors"][0]["path"].as_str().unwrap().starts_with("line 1, column"), "{p}");

    let unknown = period.replacen("\"participant\": \"p001\"", "\"participant\": \"p999\"", 1);
    let p = s.post(&path, "payroll", unknown.as_bytes()).problem(422, "invalid_input");
    assert_eq!(p["errors"][0]["path"], "deals[0].participant", "{p}");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("p999"), "{p}");

    let amount = period.replacen("\"amount\": \"300000.00\"", "\"amount\": \"12,5\"", 1);
    let p = s.post(&path, "payroll", amount.as_bytes()).problem(422, "invalid_input");
    assert_eq!(p["errors"][0]["path"], "deals[0].amount", "{p}");

    let huge = vec![b' '; MAX_BODY + 1];
    s.post(&path, "payroll", &huge).problem(413, "body_too_large");

    s.post("/v1/plans/sha256:nothing/runs", "payroll", &example_period()).problem(404, "not_found");
    s.get("/v1/nowhere", "payroll").problem(404, "no_route");
    s.call("DELETE", "/v1/plans", Some("admin"), None, &[]).problem(405, "method_not_allowed");
    assert_eq!(s.runs(), before, "no rejected request recorded a run");

    // A plan whose script does not compile: file, line and column; nothing published.
    let versions = s.get("/v1/plans", "designer").json().as_array().unwrap().len();
    let plan_text =
        "id = \"broken\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"c\"\nscript = \"c.rhai\"\n";
    let p = s
        .publish(plan_text, &[("c.rhai", "fn participant(ctx, p) {\n    let x = ;\n}\n")])
        .problem(422, "compile_error");
    assert_eq!(p["policy"], "c");
    assert_eq!(p["errors"][0]["file"], "c.rhai");
    assert_eq!((p["errors"][0]["line"].as_u64(), p["errors"][0]["column"].as_u64()), (Some(2), Some(13)), "{p}");
    let p = s
        .publish("id = \"broken\"\nversion = 1\ncurrency = \"CNY\"\nrounding = up\n", &[("", ""); 0])
        .problem(422, "invalid_plan");
    assert_eq!((p["errors"][0]["file"].as_str(), p["errors"][0]["line"].as_u64()), (Some("plan.toml"), Some(4)), "{p}");
    s.publish(plan_text, &[("", ""); 0]).problem(422, "invalid_plan");
    s.post("/v1/plans", "designer", b"{\"plan\": 3}").problem(422, "invalid_request");
    assert_eq!(s.get("/v1/plans", "designer").json().as_array().unwrap().len(), versions, "nothing published");

    // A policy that fails at run time: 422 naming the policy, counted in /metrics.
    let throws = "fn participant(ctx, p) {\n    if p.id == \"p002\" { throw \"no data for \" + p.id; }\n    []\n}\n";
    let failing = s.publish(&plan_text.replace("broken", "throws"), &[("c.rhai", throws)]).json()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = s.post(&format!("/v1/plans/{failing}/runs"), "payroll", &example_period()).problem(422, "policy_failed");
    assert_eq!(p["policy"], "c");
    assert_eq!(p["errors"][0]["file"], "c.rhai");
    assert!(p["detail"].as_str().unwrap().contains("no data for p002"), "{p}");
    let metrics = String::from_utf8(s.call("GET", "/metrics", None, None, &[]).body).unwrap();
    assert!(metrics.contains("payplan_policy_failures_total{policy=\"c\"} 1"), "{metrics}");
    assert_eq!(s.runs(), before);
}

/// Roles: no token 401, an unknown one 401, a role outside the route's 403; each route's roles.
fn roles_flow(s: &Server) {
    let plan = s.publish_example();
    let seq =
        s.post(&format!("/v1/plans/{plan}/runs"), "payroll", &example_period()).json()["run"]["seq"].as_i64().unwrap();
    let period = example_period();
    let routes: Vec<(&str, String, &[u8], &[&str])> = vec![
        ("GET", "/v1/plans".into(), b"", &["designer", "payroll", "auditor"]),
        ("GET", format!("/v1/plans/{plan}"), b"", &["designer", "payroll", "auditor"]),
        ("GET", format!("/v1/plans/{plan}/policies"), b"", &["designer", "payroll", "auditor"]),
        ("POST", format!("/v1/plans/{plan}/dry-run"), &period, &["designer"]),
        ("POST", format!("/v1/plans/{plan}/gate"), b"{}", &["designer"]),
        ("POST", format!("/v1/plans/{plan}/runs"), &period, &["payroll"]),
        ("GET", "/v1/runs".into(), b"", &["payroll", "auditor"]),
        ("GET", format!("/v1/runs/{seq}"), b"", &["payroll", "auditor"]),
        ("GET", format!("/v1/runs/{seq}/result"), b"", &["payroll", "auditor"]),
        ("GET", format!("/v1/runs/{seq}/participants/{OWN}"), b"", &["payroll", "auditor", "participant"]),
        ("GET", format!("/v1/runs/{seq}/participants/{OWN}/credits"), b"", &["payroll", "auditor", "participant"]),
        ("GET", format!("/v1/runs/{seq}/standings"), b"", &["payroll", "auditor"]),
        ("GET", format!("/v1/runs/{seq}/whatif?plan={plan}"), b"", &["designer"]),
        ("GET", format!("/v1/runs/{seq}/champions"), b"", &["payroll", "auditor", "participant"]),
        ("POST", format!("/v1/runs/{seq}/replay"), b"", &["auditor"]),
        ("POST", "/v1/audit/verify".into(), b"", &["auditor"]),
        ("POST", "/v1/periods/nowhere/close".into(), b"{\"run\": 1}", &["payroll"]),
    ];
    for (method, path, body, allowed) in &routes {
        let p = s.call(method, path, None, Some(body), &[]).problem(401, "unauthorized");
        assert!(p["detail"].as_str().unwrap().contains("Authorization"), "{p}");
        let mut no_token = s.call(method, path, None, Some(body), &[("Authorization", "Bearer wrong")]);
        assert_eq!(no_token.header("www-authenticate"), Some("Bearer"));
        no_token.problem(401, "unauthorized");
        no_token.body.clear();
        for role in ROLES {
            let reply = s.call(method, path, Some(role), Some(body), &[]);
            if role == "admin" || allowed.contains(&role) {
                assert!(reply.status != 401 && reply.status != 403, "{role} {method} {path}: {}", reply.status);
            } else {
                reply.problem(403, "forbidden");
            }
        }
    }
    // A participant reads their own statement, as payroll does, and nobody else's, whether or
    // not that participant exists.
    let own = format!("/v1/runs/{seq}/participants/{OWN}");
    assert_eq!(s.get(&own, "participant").json(), s.get(&own, "payroll").json());
    for other in ["p002", "nobody"] {
        let p = s.get(&format!("/v1/runs/{seq}/participants/{other}"), "participant").problem(403, "forbidden");
        assert!(p["detail"].as_str().unwrap().contains("reads only the statements of participant \"p001\""), "{p}");
    }
    // A designer publishes; payroll and auditors may not.
    for role in ["payroll", "auditor"] {
        let body = json!({ "plan": example_plan() }).to_string();
        s.post("/v1/plans", role, body.as_bytes()).problem(403, "forbidden");
    }
}

/// Designers: dry-run answers the result and records nothing; the service's own routes.
fn designer_flow(s: &Server) {
    let plan = s.publish_example();
    let before = s.runs();
    let dry = s.post(&format!("/v1/plans/{plan}/dry-run"), "designer", &example_period());
    assert_eq!(dry.status, 200);
    let cli: Value = serde_json::from_slice(&cli_example_result()).unwrap();
    assert_eq!(dry.json(), cli);
    assert_eq!(s.runs(), before, "a dry run records nothing");
    let health = s.call("GET", "/healthz", None, None, &[]);
    assert_eq!((health.status, health.body.as_slice()), (200, b"ok\n".as_slice()));
    let metrics = s.call("GET", "/metrics", None, None, &[]);
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(text.contains("payplan_evaluation_seconds_count{kind=\"dry_run\"}"), "{text}");
    assert!(
        text.contains("payplan_http_requests_total{method=\"POST\",route=\"/v1/plans/{plan}/dry-run\",status=\"200\"}"),
        "{text}"
    );
}

/// A series through the service: months recorded and closed in turn (a month before its history
/// is closed is a 422 naming the date), then the gate of another version on them.
fn series_flow(s: &Server) {
    let script = read(&repo().join("policies/tiered_commission.rhai"));
    let plan = |rate: &str| {
        let text = format!(
            "id = \"quarterly\"\nversion = \"{rate}\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"commission\"\n\
             script = \"tiered_commission.rhai\"\naccumulate = \"quarter\"\n[policy.params]\n\
             tiers = [ {{ at = 0.5, rate = {rate} }} ]\n"
        );
        let reply = s.publish(&text, &[("tiered_commission.rhai", script.as_str())]);
        assert!(reply.status == 201 || reply.status == 200, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()["hash"].as_str().unwrap().to_owned()
    };
    let (paid, new) = (plan("0.03"), plan("0.04"));
    let mut r = crate::properties::Rng::new(5);
    // Periods of their own series, named apart from the example's 2026-03.
    let months: Vec<Vec<u8>> = (0..3)
        .map(|m| {
            let mut period = crate::series::month(&mut r, m, 4);
            let id = format!("Q1-{}", period["period"]["id"].as_str().unwrap());
            period["period"]["id"] = json!(id);
            period["period"]["series"]["id"] = json!("API-FY");
            period.to_string().into_bytes()
        })
        .collect();
    let record = |m: usize| s.post(&format!("/v1/plans/{paid}/runs"), "payroll", &months[m]);
    let close = |m: usize, seq: i64| {
        let body = json!({ "run": seq }).to_string();
        let reply = s.post(&format!("/v1/periods/Q1-2026-0{}/close", m + 1), "payroll", body.as_bytes());
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    };
    let january = record(0);
    assert_eq!(january.status, 201, "{}", String::from_utf8_lossy(&january.body));
    close(0, january.json()["run"]["seq"].as_i64().unwrap());
    let early = record(2).problem(422, "invalid_input");
    assert!(
        early["detail"].as_str().unwrap().contains("2026-02-01 is in no closed period of series API-FY"),
        "{early}"
    );
    let february = record(1);
    assert_eq!(february.json()["result"]["basis"].as_array().unwrap().len(), 1);
    close(1, february.json()["run"]["seq"].as_i64().unwrap());

    let gate = s.post(&format!("/v1/plans/{new}/gate"), "designer", br#"{"series": "API-FY", "max_increase": "0"}"#);
    assert_eq!(gate.status, 200, "{}", String::from_utf8_lossy(&gate.body));
    let g = gate.json();
    let periods: Vec<&str> = g["periods"].as_array().unwrap().iter().map(|p| p["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["Q1-2026-01", "Q1-2026-02"]);
    assert_eq!(g["within_limit"], json!(g["totals"]["delta"].as_str().unwrap().parse::<f64>().unwrap() <= 0.0));
    let none = s.post(&format!("/v1/plans/{new}/gate"), "designer", br#"{"series": "none"}"#).problem(409, "conflict");
    assert!(none["detail"].as_str().unwrap().contains("no period of series \"none\" is closed yet"), "{none}");
}

/// Standings and champions: from the engine's facts of the stored period, as the result paid.
fn standings_flow(s: &Server) {
    let plan = s.publish_example();
    let run = s.post(&format!("/v1/plans/{plan}/runs"), "payroll", &example_period()).json();
    let (seq, result) = (run["run"]["seq"].as_i64().unwrap(), &run["result"]);
    let st = s.get(&format!("/v1/runs/{seq}/standings"), "auditor").json();
    assert_eq!(st["tiers"], json!(["80.00", "100.00", "120.00"]), "the commission's tiers");
    let p001 = st["participants"].as_array().unwrap().iter().find(|p| p["id"] == "p001").unwrap();
    assert_eq!(
        (&p001["sales"], &p001["attainment"], &p001["deviation"]),
        (&json!("500000.00"), &json!("100.00"), &json!("0.00"))
    );
    // The PK's groups by attainment, ranks from 1, and the prizes the run paid in its lines.
    assert_eq!(st["pk_metric"], "attainment");
    let groups = st["groups"].as_array().unwrap();
    assert_eq!(groups[0]["rank"], 1);
    let prizes: rust_decimal::Decimal =
        groups.iter().map(|g| g["prize"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    let paid: rust_decimal::Decimal = result["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["policy"] == "pk")
        .map(|l| l["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(prizes, paid);
    // The champions wall, which a participant may see: the top seller first.
    let wall = s.get(&format!("/v1/runs/{seq}/champions"), "participant").json();
    assert_eq!(wall["periods"], json!(["2026-03"]));
    let best = st["participants"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| {
            let sales = |p: &Value| p["sales"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
            sales(a).cmp(&sales(b)).then(b["id"].as_str().cmp(&a["id"].as_str()))
        })
        .unwrap();
    assert_eq!(wall["period"]["by_sales"][0]["id"], best["id"]);
    assert_eq!(wall["period"]["by_sales"][0]["curve"], json!([best["sales"]]));
    assert!(wall["period"]["by_sales"].as_array().unwrap().len() <= 5);
    s.get(&format!("/v1/runs/{seq}/standings"), "participant").problem(403, "forbidden");

    // A participant's credits: whole deals, a split's share and an overlay's, summing to the
    // sales of their standing.
    let decimal = |v: &Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    for who in ["p002", "p005", "p012"] {
        let c = s.get(&format!("/v1/runs/{seq}/participants/{who}/credits"), "payroll").json();
        let standing = st["participants"].as_array().unwrap().iter().find(|p| p["id"] == who).unwrap();
        assert_eq!(c["sales"], standing["sales"], "{who}");
        let sum: rust_decimal::Decimal = c["credits"].as_array().unwrap().iter().map(|l| decimal(&l["credit"])).sum();
        assert_eq!(sum, decimal(&c["sales"]), "{who}: {c}");
    }
    let p005 = s.get(&format!("/v1/runs/{seq}/participants/p005/credits"), "payroll").json();
    let d003 = p005["credits"].as_array().unwrap().iter().find(|l| l["deal"] == "d003").unwrap();
    assert_eq!(
        d003,
        &json!({"deal": "d003", "closed_on": "2026-03-06", "amount": "260000.00", "how": "split", "share": "0.4", "credit": "104000.00"})
    );
    let p012 = s.get(&format!("/v1/runs/{seq}/participants/p012/credits"), "auditor").json();
    let d011 = p012["credits"].as_array().unwrap().iter().find(|l| l["deal"] == "d011").unwrap();
    assert_eq!((&d011["how"], &d011["share"], &d011["credit"]), (&json!("overlay"), &json!("0.1"), &json!("41000.00")));
    s.get(&format!("/v1/runs/{seq}/participants/nobody/credits"), "payroll").problem(404, "not_found");
    s.get(&format!("/v1/runs/{seq}/participants/p002/credits"), "participant").problem(403, "forbidden");

    // A version's policies, each param with its declared doc.
    let policies = s.get(&format!("/v1/plans/{plan}/policies"), "designer").json();
    let commission = &policies[0];
    assert_eq!((&commission["id"], &commission["declared"][0]["name"]), (&json!("commission"), &json!("tiers")));
    assert!(commission["declared"][0]["doc"].as_str().unwrap().contains("ratio of the target"), "{commission}");
    assert_eq!(commission["declared"][0]["required"], true);
    assert_eq!(commission["params"]["method"], "whole");

    // What-if: the run's period under a version with a higher top rate, against what it paid.
    let richer = example_plan().replace("{ at = 1.20, rate = 0.08 }", "{ at = 1.20, rate = 0.09 }");
    let b = s.publish(&richer, &example_files()).json()["hash"].as_str().unwrap().to_owned();
    let w = s.get(&format!("/v1/runs/{seq}/whatif?plan={b}"), "designer").json();
    assert_eq!(w["totals"]["a"], result["totals"]["amount"]);
    assert!(w["gainers"].as_u64().unwrap() > 0 && w["losers"] == 0, "{w}");
    assert!(
        w["largest_movers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["delta"].as_str().unwrap().parse::<f64>().unwrap() > 0.0)
    );
    s.get(&format!("/v1/runs/{seq}/whatif?plan=sha256:nope"), "designer").problem(404, "not_found");
    s.get(&format!("/v1/runs/{seq}/whatif"), "designer").problem(400, "invalid_query");
}

/// A flow: a name and what it does to a server.
type Flow = (&'static str, fn(&Server));

const FLOWS: &[Flow] = &[
    ("payroll", payroll_flow),
    ("auditor", auditor_flow),
    ("closing", closing_flow),
    ("idempotency", idempotency_flow),
    ("bad inputs", bad_inputs_flow),
    ("roles", roles_flow),
    ("standings", standings_flow),
    ("designer", designer_flow),
    ("series", series_flow),
];

#[test]
fn payroll_publishes_evaluates_reads_and_replays() {
    payroll_flow(&Server::start());
}

#[test]
fn payroll_flow_on_postgres() {
    let s = Server::on(Backend::postgres());
    payroll_flow(&s);
    idempotency_flow(&s);
}

#[test]
fn auditors_list_replay_and_verify() {
    auditor_flow(&Server::start());
}

#[test]
fn a_changed_byte_in_the_store_is_named_by_verify() {
    let s = Server::start();
    let plan = s.publish_example();
    let seq =
        s.post(&format!("/v1/plans/{plan}/runs"), "payroll", &example_period()).json()["run"]["seq"].as_i64().unwrap();
    let result = s.get(&format!("/v1/runs/{seq}"), "auditor").json()["run"]["result_blob"].as_str().unwrap().to_owned();
    s.backend.tamper_blob(&result);
    let verified = s.post("/v1/audit/verify", "auditor", b"").json();
    assert_eq!(verified["ok"], false);
    let problems = verified["problems"].to_string();
    assert!(problems.contains(&format!("run {seq}'s result")), "{problems}");
}

#[test]
fn closing_a_period_leaves_only_adjustments() {
    closing_flow(&Server::start());
}

#[test]
fn a_retry_with_the_same_key_records_once() {
    idempotency_flow(&Server::start());
}

#[test]
fn bad_inputs_are_problems_and_record_nothing() {
    bad_inputs_flow(&Server::start());
}

#[test]
fn each_role_is_held_to_its_routes() {
    roles_flow(&Server::start());
}

#[test]
fn designers_dry_run_without_recording() {
    designer_flow(&Server::start());
}

#[test]
fn every_request_has_an_id_in_its_answer_and_the_log() {
    let s = Server::start();
    let reply = s.call("GET", "/healthz", None, None, &[("x-request-id", "trace-me-42")]);
    assert_eq!(reply.header("x-request-id"), Some("trace-me-42"));
    let generated = s.call("GET", "/v1/runs", Some("auditor"), None, &[]);
    let id = generated.header("x-request-id").expect("a request id is made when none is sent").to_owned();
    assert!(id.len() >= 32, "{id}");
    let mut log = String::new();
    for _ in 0..100 {
        log = s.log();
        if log.contains(&id) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(log.contains(&id) && log.contains("trace-me-42"), "{log}");
}

/// The OpenAPI document: valid, and every operation in it is exercised by the flows above.
#[test]
fn the_openapi_document_is_valid_and_every_route_in_it_is_exercised() {
    let s = Server::start();
    let doc = s.call("GET", "/openapi.json", None, None, &[]);
    assert_eq!(doc.status, 200);
    let spec: oas3::OpenApiV3Spec = oas3::from_json(String::from_utf8(doc.body.clone()).unwrap())
        .unwrap_or_else(|e| panic!("the document is not valid OpenAPI 3.1: {e}"));
    spec.validate_version().expect("an OpenAPI 3.1 version");
    let doc: Value = serde_json::from_slice(&doc.body).unwrap();
    check_references(&doc, &doc);

    let mut operations = Vec::new();
    for (path, item) in spec.paths.as_ref().expect("paths") {
        for (method, op) in item.methods() {
            let id = op.operation_id.clone().expect("every operation has an id");
            assert!(!op.responses.as_ref().is_none_or(|r| r.is_empty()), "{id} documents no response");
            for name in path.split('{').skip(1).map(|p| p.split('}').next().unwrap()) {
                let declared = op.parameters.iter().any(|p| match p {
                    oas3::spec::ObjectOrReference::Object(p) => p.name == name,
                    _ => false,
                });
                assert!(declared, "{method} {path}: path parameter {name} is not declared");
            }
            for p in &op.parameters {
                if let oas3::spec::ObjectOrReference::Object(p) = p
                    && p.location == oas3::spec::ParameterIn::Path
                {
                    assert!(
                        path.contains(&format!("{{{}}}", p.name)),
                        "{method} {path}: {} is not in the path",
                        p.name
                    );
                }
            }
            operations.push((method.to_string().to_uppercase(), path.clone()));
        }
    }
    assert!(operations.len() >= 15, "{operations:?}");

    for (name, flow) in FLOWS {
        eprintln!("flow: {name}");
        flow(&s);
    }
    let metrics = String::from_utf8(s.call("GET", "/metrics", None, None, &[]).body).unwrap();
    for (method, path) in &operations {
        let exercised = metrics.lines().any(|l| {
            l.starts_with(&format!("payplan_http_requests_total{{method=\"{method}\",route=\"{path}\",status=\"2"))
        });
        assert!(exercised, "{method} {path} is in the document but no flow succeeded on it");
    }
    // Every route the service answers is in the document, with every status it answered.
    for line in metrics.lines().filter(|l| l.starts_with("payplan_http_requests_total{")) {
        let label = |name: &str| line.split(&format!("{name}=\"")).nth(1).unwrap().split('"').next().unwrap();
        let (method, route, status) = (label("method"), label("route"), label("status"));
        if route != "unmatched" && status != "405" {
            assert!(operations.contains(&(method.to_owned(), route.to_owned())), "{method} {route} is not documented");
            let responses = &doc["paths"][route][method.to_lowercase()]["responses"];
            assert!(responses.get(status).is_some(), "{method} {route} answered {status}, which it does not document");
        }
    }
    check_links(&doc);
}

/// Every link names an operation in the document and only parameters that operation takes.
fn check_links(doc: &Value) {
    let operations: Vec<&Value> =
        doc["paths"].as_object().unwrap().values().flat_map(|item| item.as_object().unwrap().values()).collect();
    let mut links = 0;
    for operation in &operations {
        for response in operation["responses"].as_object().unwrap().values() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                let target = operations
                    .iter()
                    .find(|o| o["operationId"] == link["operationId"])
                    .unwrap_or_else(|| panic!("link {name} names no operation: {link}"));
                for parameter in link["parameters"].as_object().unwrap().keys() {
                    let declared = target["parameters"].as_array().unwrap().iter().any(|p| p["name"] == *parameter);
                    assert!(declared, "link {name}: {} takes no parameter {parameter}", link["operationId"]);
                }
                links += 1;
            }
        }
    }
    // From publishing a plan (201 and 200) to reading and evaluating it, and from a recorded run to
    // each route that reads it.
    assert!(links >= 11, "{links} links");
}

/// Every `$ref` in the document points at something in it.
fn check_references(node: &Value, doc: &Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {r}"));
                assert!(doc.pointer(pointer).is_some(), "$ref {r} points at nothing");
            }
            map.values().for_each(|v| check_references(v, doc));
        }
        Value::Array(items) => items.iter().for_each(|v| check_references(v, doc)),
        _ => {}
    }
}

/// SIGTERM: the request in flight finishes and is answered, then the service exits 0.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let mut s =
        Server::with(Backend::sqlite(), "max_body_bytes = 268435456\n", &[("RUST_LOG", "info,tower_http=debug")]);
    let plan = s.publish_example();
    let period = payplan(&["gen", "--participants", "3000", "--seed", "7"]).stdout;
    let answer = std::thread::scope(|scope| {
        let request = scope.spawn(|| s.post(&format!("/v1/plans/{plan}/dry-run"), "designer", &period));
        // Wait until the service has the request, then ask it to stop.
        let mut waited = 0;
        while s.log().matches("started processing request").count() < 2 {
            assert!(waited < 3000, "the request never arrived: {}", s.log());
            std::thread::sleep(std::time::Duration::from_millis(10));
            waited += 1;
        }
        Command::new("kill").args(["-TERM", &s.child.id().to_string()]).status().unwrap();
        request.join().unwrap()
    });
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.json()["participants"], Value::Null);
    assert_eq!(answer.json()["totals"]["participants"].as_object().unwrap().len(), 3000);
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status:?}; {}", s.log());
    assert!(s.log().contains("shutting down"), "{}", s.log());
}

/// A request past the timeout is answered 503, and its evaluation is stopped (it would run for
/// minutes: the operations limit is far away) and records nothing.
#[test]
fn a_request_past_the_timeout_is_503_is_stopped_and_records_nothing() {
    let s = Server::with(Backend::sqlite(), "request_timeout_seconds = 1\n", &[]);
    let plan = "id = \"slow\"\nversion = \"1\"\ncurrency = \"CNY\"\n[limits]\noperations = 2000000000\n\
                [[policy]]\nid = \"slow\"\nscript = \"slow.rhai\"\n";
    let slow = "fn evaluate(ctx) {\n    let i = 0;\n    loop { i += 1; }\n}\n";
    let hash = s.publish(plan, &[("slow.rhai", slow)]).json()["hash"].as_str().unwrap().to_owned();
    s.post(&format!("/v1/plans/{hash}/runs"), "payroll", &example_period()).problem(503, "timeout");
    let mut waited = 0;
    while !s.log().contains("abandoned") {
        assert!(waited < 6000, "the evaluation never ended: {}", s.log());
        std::thread::sleep(std::time::Duration::from_millis(10));
        waited += 1;
    }
    assert_eq!(s.runs(), 0, "the abandoned evaluation recorded nothing");
}
