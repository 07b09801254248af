//! The service's load check: the real `payplan serve` (release build) on loopback with its
//! SQLite store, the example plan published, and
//!
//! 1. one client timing single-participant dry runs one after another (the API's p50), then
//! 2. `PAYPLAN_LOAD_CLIENTS` clients (default 4) evaluating for `PAYPLAN_LOAD_SECONDS` (default 3)
//!    with recorded runs, each with its own idempotency key.
//!
//! It reports throughput and latency percentiles, and fails unless every request succeeded and
//! the store holds exactly one run per successful request.
//!
//! 3. The console: a generated period of `PAYPLAN_CONSOLE_PEOPLE` participants (default 2000; the
//!    issue's size is 10000) recorded, then each page timed end to end: its first view, and the
//!    fastest of three more (a run's standings are kept once made). It fails unless every page
//!    answers 200.
//!
//! `PAYPLAN_LOAD_CLIENTS=8 PAYPLAN_LOAD_SECONDS=10 PAYPLAN_CONSOLE_PEOPLE=10000 cargo bench --bench service`

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "load-admin-token";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} is a number")))
}

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn post(&self, path: &str, body: &[u8], key: Option<&str>) -> (u16, Vec<u8>) {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header("Content-Type", "application/json");
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let mut response = request.send(body).expect("the service answers");
        (response.status().as_u16(), response.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap())
    }

    fn get(&self, path: &str) -> Value {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .call()
            .expect("the service answers");
        serde_json::from_slice(&response.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap()).unwrap()
    }
}

fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    format!("p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms", at(0.5), at(0.9), at(0.99), at(1.0))
}

fn main() {
    let clients = env_number("PAYPLAN_LOAD_CLIENTS", 4) as usize;
    let seconds = env_number("PAYPLAN_LOAD_SECONDS", 3);
    let dir = tempfile::tempdir().unwrap();
    let hash = payplan::hash::sha256(TOKEN.as_bytes());
    let config = dir.path().join("payplan.toml");
    std::fs::write(&config, format!("[[token]]\nname = \"load\"\nrole = \"admin\"\nsha256 = \"{hash}\"\n")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_payplan"))
        .args(["--store", &dir.path().join("load.db").to_string_lossy(), "serve", "--listen", "127.0.0.1:0"])
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("payplan serve starts");
    let mut service = Service(child);
    let mut line = String::new();
    BufReader::new(service.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("the service says where it listens").to_owned();
    let client = Client { base, agent: ureq::Agent::config_builder().http_status_as_error(false).build().into() };

    // Publish the example plan.
    let plan = std::fs::read_to_string(repo().join("examples/plan.toml")).unwrap();
    let files: serde_json::Map<String, Value> = plan
        .lines()
        .filter_map(|l| l.strip_prefix("script = \"").and_then(|l| l.strip_suffix('"')))
        .map(|name| {
            (name.to_owned(), json!({ "text": std::fs::read_to_string(repo().join("examples").join(name)).unwrap() }))
        })
        .collect();
    let (status, body) = client.post("/v1/plans", json!({ "plan": plan, "files": files }).to_string().as_bytes(), None);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let version = serde_json::from_slice::<Value>(&body).unwrap()["hash"].as_str().unwrap().to_owned();
    // A second version, paying more at the top tier, for the console's what-if.
    let richer = plan.replace("{ at = 1.20, rate = 0.08 }", "{ at = 1.20, rate = 0.09 }");
    assert_ne!(richer, plan, "the example plan has the tier the what-if changes");
    let (status, body) =
        client.post("/v1/plans", json!({ "plan": richer, "files": files }).to_string().as_bytes(), None);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let richer = serde_json::from_slice::<Value>(&body).unwrap()["hash"].as_str().unwrap().to_owned();

    // One participant of the example, with their deals and team.
    let example: Value =
        serde_json::from_slice(&std::fs::read(repo().join("examples/period-2026-03.json")).unwrap()).unwrap();
    // Without their manager, who is not in this period.
    let one = |list: &str, key: &str| -> Vec<Value> {
        let mut found: Vec<Value> =
            example[list].as_array().unwrap().iter().filter(|v| v[key] == "p001").cloned().collect();
        found.iter_mut().for_each(|v| _ = v.as_object_mut().unwrap().remove("manager"));
        found
    };
    let single = json!({
        "period": example["period"],
        "teams": example["teams"],
        "participants": one("participants", "id"),
        "deals": one("deals", "participant"),
    })
    .to_string();

    let policies = plan.matches("[[policy]]").count();
    println!("load check: the example plan ({policies} policies) on loopback, SQLite store");
    let dry_run = format!("/v1/plans/{version}/dry-run");
    let mut times = Vec::new();
    for i in 0..300 {
        let clock = Instant::now();
        let (status, body) = client.post(&dry_run, single.as_bytes(), None);
        let elapsed = clock.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        if i >= 20 {
            times.push(elapsed); // after a warm-up
        }
    }
    println!("  1 participant, dry run, 1 client, {} requests: {}", times.len(), percentiles(times));

    let runs_path = format!("/v1/plans/{version}/runs");
    let everyone = format!("{} participants", example["participants"].as_array().unwrap().len());
    for (what, period) in [("1 participant", single.clone()), (everyone.as_str(), example.to_string())] {
        let before = client.get("/v1/runs").as_array().unwrap().len();
        let errors = AtomicUsize::new(0);
        let until = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let all: Vec<Duration> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..clients)
                .map(|c| {
                    let (client, period, runs_path, errors) = (&client, &period, &runs_path, &errors);
                    scope.spawn(move || {
                        let mut times = Vec::new();
                        let mut n = 0;
                        while Instant::now() < until {
                            let key = format!("{}-{c}-{n}", what.replace(' ', "-"));
                            let clock = Instant::now();
                            let (status, body) = client.post(runs_path, period.as_bytes(), Some(&key));
                            times.push(clock.elapsed());
                            if status != 201 {
                                eprintln!("{status}: {}", String::from_utf8_lossy(&body));
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                            n += 1;
                        }
                        times
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        let wall = started.elapsed().as_secs_f64();
        let errors = errors.into_inner();
        let recorded = client.get("/v1/runs").as_array().unwrap().len() - before;
        println!(
            "  {what}, recorded, {clients} clients, {wall:.1} s: {} requests, {:.0} req/s, {errors} errors, {recorded} runs recorded; {}",
            all.len(),
            all.len() as f64 / wall,
            percentiles(all.clone())
        );
        assert_eq!(errors, 0, "every request must succeed");
        assert_eq!(recorded, all.len(), "exactly one recorded run per successful request");
    }
    console(&client, &version, &richer, env_number("PAYPLAN_CONSOLE_PEOPLE", 2000));
    let verified = client.post("/v1/audit/verify", b"", None);
    assert_eq!(serde_json::from_slice::<Value>(&verified.1).unwrap()["ok"], true, "the chain verifies after the load");

    Command::new("kill").args(["-TERM", &service.0.id().to_string()]).status().unwrap();
    assert!(service.0.wait().unwrap().success(), "the service stops cleanly");
}

/// Records a generated period of `people` participants under `version` and times each console
/// page on it (the what-if against `richer`).
fn console(client: &Client, version: &str, richer: &str, people: u64) {
    let mut period = Vec::new();
    let shape = payplan::input::generate::Shape { participants: people, deals_per: 20, seed: 5 };
    payplan::input::generate::write_period(&mut period, shape).unwrap();
    let (status, body) = client.post(&format!("/v1/plans/{version}/runs"), &period, Some("console-period"));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let run = serde_json::from_slice::<Value>(&body).unwrap()["run"]["seq"].as_i64().unwrap();
    println!("  console pages, a run of {people} participants ({:.1} MB period):", period.len() as f64 / 1e6);
    let pages = [
        ("runs", "/console/runs".to_owned()),
        ("run", format!("/console/runs/{run}")),
        ("statement", format!("/console/runs/{run}/participants/p0000001")),
        ("statement CSV", format!("/console/runs/{run}/participants/p0000001/csv")),
        ("target progress", format!("/console/runs/{run}/progress")),
        ("PK board", format!("/console/runs/{run}/pk")),
        ("champions wall", format!("/console/runs/{run}/champions")),
        ("what-if", format!("/console/whatif?run={run}&plan={richer}")),
    ];
    let ms = |d: &Duration| d.as_secs_f64() * 1e3;
    for (name, path) in pages {
        let view = || {
            let clock = Instant::now();
            let mut response = client
                .agent
                .get(format!("{}{path}", client.base))
                .header("Cookie", format!("payplan_session={TOKEN}"))
                .call()
                .expect("the service answers");
            let status = response.status().as_u16();
            let body = response.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap();
            assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
            // A page whose figures are still being made says so (the what-if), and is asked again.
            (clock.elapsed(), body.windows(12).any(|w| w == b"data-pending"))
        };
        let started = Instant::now();
        let (first, mut pending) = view();
        let mut made = String::new();
        while pending {
            std::thread::sleep(Duration::from_millis(20));
            pending = view().1;
            if !pending {
                made =
                    format!(" (it said its figures were being made; shown {:.0} ms after it)", ms(&started.elapsed()));
            }
        }
        let best = (0..3).map(|_| view().0).min().expect("three views after the first");
        println!("    {name:<16} first {:>8.1} ms, then {:>8.1} ms{made}", ms(&first), ms(&best));
    }
}

/// The service's process, killed if the check fails half-way.
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
