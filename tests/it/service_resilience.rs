//! `payplan serve` under stress: hostile plans sent while honest clients evaluate (every hostile
//! dry run is refused with its limit, every honest one answers the right result, the service
//! stays up, and its memory comes back to within 10% of where it was); two hosts on one
//! PostgreSQL store, one killed mid-load.

use crate::api::Server;
use crate::support::payplan;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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
    // The baseline: after a hostile run and honest ones from 4 clients at once, so that what
    // the first of each builds once (the compiled plans, the thread pool's stacks, the workers'
    // heaps under honest load) is in it.
    assert_eq!(dry_run(&hostile[0].0).status, 422);
    std::thread::scope(|scope| {
        for _ in 0..HONEST_CLIENTS {
            scope.spawn(|| (0..25).for_each(|_| assert_eq!(dry_run(&honest).status, 200)));
        }
    });
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

/// Two hosts on one PostgreSQL store, recording at once with idempotency keys sent to either;
/// one is killed with SIGKILL mid-load. The store keeps one chain, verify is OK, every run a
/// client was answered with is there exactly once (and under one key), and every run replays.
#[test]
fn two_hosts_share_one_postgres_store_through_a_kill() {
    let a = Server::on(crate::store::Backend::postgres());
    let b = Server::on(a.backend.shared());
    let plan = a.publish_example();
    const CLIENTS: usize = 4;
    const REQUESTS: usize = 6;
    // (key, run) of every 2xx answer.
    let answered = std::sync::Mutex::new(Vec::new());
    let killed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (a, b, plan, answered, killed) = (&a, &b, &plan, &answered, &killed);
            scope.spawn(move || {
                for i in 0..REQUESTS {
                    let key = format!("c{client}-{i}");
                    // First to one host, then the same key to the other (a retry).
                    let (first, second) = if (client + i) % 2 == 0 { (a, b) } else { (b, a) };
                    for host in [first, second] {
                        if std::ptr::eq(host, a) && killed.load(Ordering::SeqCst) {
                            continue;
                        }
                        if let Some(reply) = host.try_record(plan, &key) {
                            assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
                            let seq = reply.json()["run"]["seq"].as_i64().unwrap();
                            answered.lock().unwrap().push((key.clone(), seq));
                        }
                    }
                }
            });
        }
        // Mid-load: once a few runs are acknowledged, host A dies.
        while answered.lock().unwrap().len() < CLIENTS * REQUESTS / 2 {
            std::thread::sleep(Duration::from_millis(5));
        }
        killed.store(true, Ordering::SeqCst);
        a.kill();
    });
    let answered = answered.into_inner().unwrap();
    let runs = b.get("/v1/runs", "auditor").json();
    let seqs: Vec<i64> = runs.as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    let mut by_key = std::collections::BTreeMap::new();
    for (key, seq) in &answered {
        assert_eq!(*by_key.entry(key.clone()).or_insert(*seq), *seq, "key {key} answered with two runs");
        assert_eq!(seqs.iter().filter(|s| *s == seq).count(), 1, "run {seq} is in the store once");
    }
    assert!(by_key.len() >= CLIENTS * REQUESTS / 2, "{} keys answered", by_key.len());
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "one chain, numbered without a gap");
    let verified = b.post("/v1/audit/verify", "auditor", b"").json();
    assert_eq!(verified["ok"], true, "{verified}");
    for seq in &seqs {
        let replay = b.post(&format!("/v1/runs/{seq}/replay"), "auditor", b"").json();
        assert_eq!(replay["matches"], true, "run {seq}: {replay}");
    }
    eprintln!("{} answers, {} keys, {} runs in the store", answered.len(), by_key.len(), seqs.len());
}

/// One host on its SQLite store, killed with SIGKILL again and again while 4 clients record, and
/// restarted each time: no acknowledged run is lost, the chain has no gap, verify is OK and every
/// run replays MATCH.
#[test]
fn a_host_killed_again_and_again_loses_no_acknowledged_run() {
    const KILLS: usize = 3;
    const CLIENTS: usize = 4;
    let backend = crate::store::Backend::sqlite();
    let mut host = Server::on(backend.shared());
    let plan = host.publish_example();
    let answered = std::sync::Mutex::new(Vec::new());
    for kill in 0..KILLS {
        let stopped = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for client in 0..CLIENTS {
                let (host, plan, answered, stopped) = (&host, &plan, &answered, &stopped);
                scope.spawn(move || {
                    for i in 0.. {
                        match host.try_record(plan, &format!("k{kill}-{client}-{i}")) {
                            Some(reply) if reply.status == 201 => {
                                let seq = reply.json()["run"]["seq"].as_i64().unwrap();
                                answered.lock().unwrap().push(seq);
                            }
                            Some(reply) => panic!("{}: {}", reply.status, String::from_utf8_lossy(&reply.body)),
                            None if stopped.load(Ordering::SeqCst) => break,
                            None => panic!("the host stopped answering before it was killed"),
                        }
                    }
                });
            }
            while answered.lock().unwrap().len() < (kill + 1) * 3 * CLIENTS {
                std::thread::sleep(Duration::from_millis(5));
            }
            stopped.store(true, Ordering::SeqCst);
            host.kill();
        });
        host = Server::on(backend.shared());
    }
    let answered = answered.into_inner().unwrap();
    let runs = host.get("/v1/runs", "auditor").json();
    let seqs: Vec<i64> = runs.as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "one chain, numbered without a gap");
    for seq in &answered {
        assert!(seqs.contains(seq), "acknowledged run {seq} is in the store");
    }
    let verified = host.post("/v1/audit/verify", "auditor", b"").json();
    assert_eq!(verified["ok"], true, "{verified}");
    for seq in &seqs {
        assert_eq!(host.post(&format!("/v1/runs/{seq}/replay"), "auditor", b"").json()["matches"], true, "run {seq}");
    }
    eprintln!(
        "{KILLS} kills: {} runs acknowledged, {} in the store, verify OK, all replay",
        answered.len(),
        seqs.len()
    );
}
