//! Hostile plans sent to `payplan serve` while honest clients evaluate: every hostile dry run is
//! refused with its limit, every honest one answers the right result, the service stays up, and
//! its memory comes back to within 10% of where it was.

use crate::api::Server;
use crate::support::payplan;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};

/// Hostile scripts at the default limits, with the limit each must break (each ends in well
/// under a second here; `cargo bench --bench hostile` times them).
const HOSTILE: [(&str, &str); 6] = [
    ("fn evaluate(ctx) { let s = \"x\"; loop { s += s; } }", "string size"),
    ("fn down(n) { down(n + 1) } fn evaluate(ctx) { down(0); }", "call depth"),
    ("fn evaluate(ctx) { let f = |f, n| f.call(f, n + 1); f.call(f, 0); }", "call depth"),
    ("fn evaluate(ctx) { let a = []; loop { a.push(1); } }", "operations"),
    ("fn evaluate(ctx) { let a = []; loop { a += 1; } }", "array size"),
    ("fn evaluate(ctx) { let m = #{}; let i = 0; loop { m[`k${i}`] = `${i}`; i += 1; } }", "memory"),
];

const HONEST_CLIENTS: usize = 4;

#[test]
fn hostile_plans_leave_the_service_up_and_honest_clients_served() {
    let s = Server::start();
    let honest = s.publish_example();
    let example = payplan(&["eval", "--plan", "examples/plan.toml", "--period", "examples/period-2026-03.json"]);
    let expected: Value = serde_json::from_slice(&example.stdout).unwrap();
    let period = crate::api::example_period();
    let dry_run = |plan: &str| s.post(&format!("/v1/plans/{plan}/dry-run"), "designer", &period);
    let hostile: Vec<(String, &str)> = HOSTILE
        .iter()
        .map(|(script, limit)| {
            let plan = "id = \"hostile\"\nversion = \"1\"\ncurrency = \"CNY\"\n[[policy]]\nid = \"bad\"\nscript = \"bad.rhai\"\n";
            let reply = s.publish(plan, &[("bad.rhai", script)]);
            assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
            (reply.json()["hash"].as_str().unwrap().to_owned(), *limit)
        })
        .collect();
    // The baseline: after an honest run and a hostile one, so that what the first of each
    // builds once (the compiled plans, the thread pool's stacks) is in it.
    assert_eq!(dry_run(&honest).status, 200);
    assert_eq!(dry_run(&hostile[0].0).status, 422);
    let baseline = s.rss_kib();

    let done = AtomicBool::new(false);
    let served = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..HONEST_CLIENTS)
            .map(|_| {
                scope.spawn(|| {
                    let mut served = 0;
                    while !done.load(Ordering::SeqCst) || served == 0 {
                        let reply = dry_run(&honest);
                        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
                        let result = reply.json();
                        assert_eq!(result["totals"], expected["totals"]);
                        assert_eq!(result["payouts"], expected["payouts"]);
                        served += 1;
                    }
                    served
                })
            })
            .collect();
        for round in 0..2 {
            for (plan, limit) in &hostile {
                let problem = dry_run(plan).problem(422, "limit_exceeded");
                let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
                assert!(detail.contains(&format!("broke the {limit} limit")), "round {round}: {problem}");
            }
        }
        done.store(true, Ordering::SeqCst);
        clients.into_iter().map(|c| c.join().unwrap()).collect::<Vec<usize>>()
    });
    assert!(served.iter().all(|&n| n > 0), "{served:?}");
    assert_eq!(s.get("/healthz", "auditor").status, 200, "the service is up");
    // Freed memory goes back to the kernel after a purge delay; give it a few seconds.
    let mut after = s.rss_kib();
    for _ in 0..50 {
        if after * 10 <= baseline * 11 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = s.rss_kib();
    }
    assert!(after * 10 <= baseline * 11, "memory {after} KiB after, {baseline} KiB before");
    eprintln!("served {served:?} honest requests; memory {baseline} KiB before, {after} KiB after");
}
