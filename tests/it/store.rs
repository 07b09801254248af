//! The audit store, the same suite against SQLite and a real PostgreSQL server.
//!
//! PostgreSQL is at `PAYPLAN_TEST_POSTGRES` (default: the local server, database `test`); each
//! test gets a fresh schema. These tests fail, never skip, when the server is not there.

use crate::support::{payplan, repo, stderr, stdout};
use payplan::store::{self, Record};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A store for one test: a SQLite file in a temporary folder, or a fresh PostgreSQL schema.
pub(crate) enum Backend {
    Sqlite(std::sync::Arc<tempfile::TempDir>),
    Postgres { base: String, schema: String },
}

static SCHEMAS: AtomicUsize = AtomicUsize::new(0);

impl Backend {
    pub(crate) fn sqlite() -> Self {
        Self::Sqlite(std::sync::Arc::new(tempfile::tempdir().unwrap()))
    }

    pub(crate) fn postgres() -> Self {
        let base = std::env::var("PAYPLAN_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let schema = format!("t{}_{}", std::process::id(), SCHEMAS.fetch_add(1, Ordering::SeqCst));
        let mut client = ::postgres::Client::connect(&base, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("the PostgreSQL tests need a server at {base}: {e}"));
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).unwrap();
        Self::Postgres { base, schema }
    }

    /// The same store, for a second host or the same host restarted (a PostgreSQL schema is
    /// dropped by the first to go; a SQLite folder by the last).
    pub(crate) fn shared(&self) -> Self {
        match self {
            Self::Postgres { base, schema } => Self::Postgres { base: base.clone(), schema: schema.clone() },
            Self::Sqlite(dir) => Self::Sqlite(dir.clone()),
        }
    }

    pub(crate) fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => dir.path().join("payplan.db").to_string_lossy().into_owned(),
            Self::Postgres { base, schema } => {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}options=-csearch_path%3D{schema}")
            }
        }
    }

    /// Runs `payplan --store <this> args…`.
    pub(crate) fn payplan(&self, args: &[&str]) -> Output {
        let url = self.url();
        payplan(&[&["--store", url.as_str()], args].concat())
    }

    /// Records the example (or another plan and period) and returns the run number.
    fn record(&self, plan: &str, period: &str) -> i64 {
        let out = self.payplan(&["eval", "--plan", plan, "--period", period, "--record"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        err.split_whitespace().nth(2).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{err}"))
    }

    fn record_example(&self) -> i64 {
        self.record("examples/plan.toml", "examples/period-2026-03.json")
    }

    fn stored(&self, seq: i64) -> Record {
        store::open(&self.url()).unwrap().run(seq).unwrap().unwrap().record
    }

    /// Changes one byte of a stored blob, behind the store's back.
    pub(crate) fn tamper_blob(&self, hash: &str) {
        let bytes = store::open(&self.url()).unwrap().blob(hash).unwrap().unwrap();
        let mut bytes = bytes;
        let at = bytes.iter().position(|b| b.is_ascii_digit()).unwrap_or(0);
        bytes[at] = if bytes[at] == b'9' { b'8' } else { bytes[at] + 1 };
        self.execute("UPDATE blobs SET bytes = $1 WHERE hash = $2", &bytes, hash);
    }

    /// Deletes a run row, behind the store's back.
    fn delete_run(&self, seq: i64) {
        match self {
            Self::Sqlite(_) => {
                let conn = rusqlite::Connection::open(self.url()).unwrap();
                conn.execute("DELETE FROM runs WHERE seq = ?1", [seq]).unwrap();
            }
            Self::Postgres { .. } => {
                let mut client = ::postgres::Client::connect(&self.url(), ::postgres::NoTls).unwrap();
                client.execute("DELETE FROM runs WHERE seq = $1", &[&seq]).unwrap();
            }
        }
    }

    /// Runs statements on the store behind its back.
    fn batch(&self, sql: &str) {
        match self {
            Self::Sqlite(_) => rusqlite::Connection::open(self.url()).unwrap().execute_batch(sql).unwrap(),
            Self::Postgres { .. } => {
                ::postgres::Client::connect(&self.url(), ::postgres::NoTls).unwrap().batch_execute(sql).unwrap()
            }
        }
    }

    /// The schema version the store records.
    fn schema_version(&self) -> i64 {
        match self {
            Self::Sqlite(_) => rusqlite::Connection::open(self.url())
                .unwrap()
                .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
                .unwrap(),
            Self::Postgres { .. } => ::postgres::Client::connect(&self.url(), ::postgres::NoTls)
                .unwrap()
                .query_one("SELECT version FROM schema_version", &[])
                .unwrap()
                .get(0),
        }
    }

    fn execute(&self, sql: &str, bytes: &[u8], hash: &str) {
        match self {
            Self::Sqlite(_) => {
                let conn = rusqlite::Connection::open(self.url()).unwrap();
                conn.execute(&sql.replace('$', "?"), rusqlite::params![bytes, hash]).unwrap();
            }
            Self::Postgres { .. } => {
                let mut client = ::postgres::Client::connect(&self.url(), ::postgres::NoTls).unwrap();
                client.execute(sql, &[&bytes, &hash]).unwrap();
            }
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Self::Postgres { base, schema } = self
            && let Ok(mut client) = ::postgres::Client::connect(base, ::postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn verify(b: &Backend) -> (bool, String) {
    let out = b.payplan(&["audit", "verify"]);
    (out.status.success(), stdout(&out))
}

/// Declares each test once per backend.
macro_rules! both {
    ($($name:ident => $body:ident;)*) => {
        mod on_sqlite {
            $(#[test] fn $name() { super::$body(&super::Backend::sqlite()) })*
        }
        mod on_postgres {
            $(#[test] fn $name() { super::$body(&super::Backend::postgres()) })*
        }
    };
}

both! {
    recorded_runs_replay_to_match => replay_matches;
    a_month_of_a_series_replays_and_its_history_is_verified => series_replays;
    a_plan_of_each_standard_policy_replays => each_policy_replays;
    a_changed_byte_is_named_by_verify => tampering_is_detected;
    a_deleted_run_breaks_the_chain => deletion_is_detected;
    replay_reads_only_the_store => replay_needs_no_working_tree;
    a_closed_period_takes_only_adjustments => closing_and_adjusting;
    a_killed_recorder_leaves_whole_runs => crash_leaves_whole_runs;
    concurrent_recorders_form_one_chain => concurrent_processes_chain;
    a_store_of_the_schema_before_versions_opens_and_replays => opens_the_schema_before_versions;
    a_store_of_a_newer_schema_is_refused => refuses_a_newer_schema;
}

fn replay_matches(b: &Backend) {
    let run = b.record_example();
    let out = b.payplan(&["replay", &run.to_string()]);
    assert!(out.status.success(), "{}", stdout(&out));
    let expected = std::fs::read_to_string(repo().join("examples/expected.json")).unwrap();
    let hash = expected.split("\"result_hash\": \"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(stdout(&out), format!("MATCH {hash}\n"));
    let shown = b.payplan(&["show", &run.to_string()]);
    assert_eq!(stdout(&shown), expected, "show prints the stored result byte for byte");
    assert_eq!(verify(b), (true, "OK 1 runs, 12 blobs\n".to_string()));
}

fn each_policy_replays(b: &Backend) {
    let plan = std::fs::read_to_string(repo().join("examples/plan.toml")).unwrap();
    let (head, rest) = plan.split_once("[[policy]]").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<&str> = rest.split("[[policy]]").collect();
    for (i, policy) in policies.iter().enumerate() {
        // The bonus reads the scorecard: it runs after it.
        let body = if policy.contains("performance_bonus") {
            format!("[[policy]]{}[[policy]]{policy}", policies[i - 1])
        } else {
            format!("[[policy]]{policy}")
        };
        let text = format!("{head}{body}").replace("../policies/", &format!("{}/", repo().join("policies").display()));
        let file = dir.path().join(format!("plan{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let run = b.record(&file.to_string_lossy(), "examples/period-2026-03.json");
        let out = b.payplan(&["replay", &run.to_string()]);
        assert!(stdout(&out).starts_with("MATCH sha256:"), "policy {i}: {}{}", stdout(&out), stderr(&out));
    }
    assert!(verify(b).0);
}

/// Three months of a series recorded and closed in turn: March replays on the history it was
/// computed from, is marked stale (and still replays) once January is adjusted, and a tampered
/// January names every run computed from it.
fn series_replays(b: &Backend) {
    use crate::series::{MONTHS, month, plan};
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "half_up");
    let mut r = crate::properties::Rng::new(7);
    let mut january = String::new();
    for (m, (id, ..)) in MONTHS.iter().enumerate() {
        let text = month(&mut r, m, 6).to_string();
        let file = crate::support::write(dir.path(), &format!("{id}.json"), &text);
        january = if m == 0 { file.clone() } else { january };
        let run = b.record(&plan, &file);
        assert_eq!(b.stored(run).basis.len(), m, "the record names the history's runs");
        let closed = b.payplan(&["period", "close", id, "--run", &run.to_string()]);
        assert!(closed.status.success(), "{}", stderr(&closed));
    }
    let replay = |run: &str| stdout(&b.payplan(&["replay", run]));
    assert!(replay("3").starts_with("MATCH"), "{}", replay("3"));

    // A late refund in January: February and March are stale, and March still replays.
    let late = std::fs::read_to_string(&january).unwrap().replacen(
        "\"deals\":[",
        "\"deals\":[{\"amount\":\"-900\",\"closed_on\":\"2026-01-30\",\"id\":\"late\",\"participant\":\"p00\"},",
        1,
    );
    std::fs::write(&january, late).unwrap();
    let adjusted = b.payplan(&["eval", "--plan", &plan, "--period", &january, "--adjust"]);
    assert!(adjusted.status.success(), "{}", stderr(&adjusted));
    let runs = stdout(&b.payplan(&["runs"]));
    let stale: Vec<&str> = runs
        .lines()
        .skip(1)
        .filter(|l| l.trim_end().ends_with("stale"))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(stale, ["2", "3"], "{runs}");
    assert!(replay("3").starts_with("MATCH"), "{}", replay("3"));
    assert!(verify(b).0);

    // January's final result altered: verify names it and the runs computed from it.
    b.tamper_blob(&b.stored(1).result_blob);
    let (ok, text) = verify(b);
    assert!(!ok);
    for run in ["2", "3"] {
        assert!(text.contains(&format!("run {run}: was computed from run 1, which does not verify")), "{text}");
    }
}

fn tampering_is_detected(b: &Backend) {
    for _ in 0..3 {
        b.record_example();
    }
    let period = b.record("examples/plan.toml", "examples/period-2026-03.json");
    assert_eq!(verify(b), (true, format!("OK {period} runs, 12 blobs\n")));
    // Identical runs share their blobs; an altered blob names every run that uses it.
    let record = b.stored(2);
    let script = record.scripts.iter().find(|(f, _)| f.ends_with("team_bonus.rhai")).unwrap().1.clone();
    for (hash, what) in [(&record.result_blob, "result"), (&script, "policy file"), (&record.period_blob, "period")] {
        b.tamper_blob(hash);
        let (ok, text) = verify(b);
        assert!(!ok, "{text}");
        assert!(text.contains(&format!("blob {hash}: its bytes do not match its hash")), "{text}");
        assert!(text.contains(&format!("run 2's {what}")), "{text}");
    }
    let out = b.payplan(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
}

fn deletion_is_detected(b: &Backend) {
    for _ in 0..3 {
        b.record_example();
    }
    b.delete_run(2);
    let (ok, text) = verify(b);
    assert!(!ok);
    assert!(text.contains("run 3: follows run 1; run 2 is missing"), "{text}");
    assert!(text.contains("run 3: prev_hash does not match the record before it"), "{text}");
}

fn replay_needs_no_working_tree(b: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| std::fs::copy(from, to).unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::create_dir(dir.path().join("examples")).unwrap();
    for entry in std::fs::read_dir(repo().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        copy(&path, &dir.path().join("policies").join(path.file_name().unwrap()));
    }
    copy(&repo().join("examples/plan.toml"), &dir.path().join("examples/plan.toml"));
    copy(&repo().join("examples/period-2026-03.json"), &dir.path().join("period.json"));
    let plan = dir.path().join("examples/plan.toml");
    let run = b.record(&plan.to_string_lossy(), &dir.path().join("period.json").to_string_lossy());
    // Edit one policy, delete another, and the period: replay still matches.
    let commission = dir.path().join("policies/tiered_commission.rhai");
    let edited = std::fs::read_to_string(&commission).unwrap().replace("sales * rate", "sales * rate * 2");
    std::fs::write(&commission, edited).unwrap();
    std::fs::remove_file(dir.path().join("policies/group_pk.rhai")).unwrap();
    std::fs::remove_file(dir.path().join("period.json")).unwrap();
    let out = b.payplan(&["replay", &run.to_string()]);
    assert!(stdout(&out).starts_with("MATCH sha256:"), "{}{}", stdout(&out), stderr(&out));
    // The edited tree gives another result, and eval says so; the store keeps the old one.
    let out = payplan(&["eval", "--plan", &plan.to_string_lossy(), "--period", "examples/period-2026-03.json"]);
    assert_eq!(out.status.code(), Some(2), "group_pk.rhai is gone");
}

fn closing_and_adjusting(b: &Backend) {
    let run = b.record_example().to_string();
    let wrong = b.payplan(&["period", "close", "2026-04", "--run", &run]);
    assert_eq!(wrong.status.code(), Some(2), "a request the store refuses is the caller's to fix");
    assert!(stderr(&wrong).contains("run 1 is of period 2026-03, not 2026-04"));
    let close = b.payplan(&["period", "close", "2026-03", "--run", &run]);
    assert_eq!(stdout(&close), "closed 2026-03 with run 1\n");
    let again =
        b.payplan(&["eval", "--plan", "examples/plan.toml", "--period", "examples/period-2026-03.json", "--record"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("period 2026-03 is closed (final run 1)"), "{}", stderr(&again));

    // A late refund of p006's 280000 deal: p006's commission and the team pool change.
    let dir = tempfile::tempdir().unwrap();
    let period = std::fs::read_to_string(repo().join("examples/period-2026-03.json")).unwrap().replace(
        r#"{"id": "d021""#,
        r#"{"id": "d099", "participant": "p006", "amount": "-280000", "closed_on": "2026-03-31"},
    {"id": "d021""#,
    );
    let late = dir.path().join("late.json");
    std::fs::write(&late, period).unwrap();
    let out = b.payplan(&["eval", "--plan", "examples/plan.toml", "--period", &late.to_string_lossy(), "--adjust"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let deltas: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(deltas["adjusts"], 1);
    assert_eq!(deltas["run"], 2);
    let p006 = deltas["deltas"].as_array().unwrap().iter().find(|d| d["participant"] == "p006").unwrap();
    // Sales 693330 → 413330 (68.89%): no commission (-34666.50), north misses its target (no
    // team bonus, -3787.50), north-1 falls out of the PK prizes, and the score falls to B; the
    // mentor override and the segment rates (the refund has no segment) stay.
    assert_eq!(p006["final"], "61796.52");
    assert_eq!(p006["adjusted"], "13566.65", "{p006}");
    let runs = b.payplan(&["runs", "--period", "2026-03"]);
    let text = stdout(&runs);
    assert!(text.lines().nth(1).unwrap().contains("final"), "{text}");
    assert!(text.lines().nth(2).unwrap().contains("adjusts 1"), "{text}");
    assert!(verify(b).0);
}

/// Starts a shell that records the example `count` times, in its own process group.
fn recorder(b: &Backend, count: usize) -> std::process::Child {
    let script = format!(
        "for i in $(seq 1 {count}); do \"$0\" --store \"$1\" eval --plan examples/plan.toml \
         --period examples/period-2026-03.json --record --caller \"$2\" >/dev/null 2>&1 || exit 1; done"
    );
    Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_payplan"), &b.url(), "recorder"])
        .current_dir(repo())
        .process_group(0)
        .spawn()
        .unwrap()
}

fn crash_leaves_whole_runs(b: &Backend) {
    // Let the first run create the store, then kill the recorder at an arbitrary moment.
    b.record_example();
    let mut child = recorder(b, 500);
    std::thread::sleep(Duration::from_millis(1500));
    let group = format!("-{}", child.id());
    let killed = Command::new("kill").args(["-s", "KILL", "--", &group]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "the recorder was killed before it finished");
    let (ok, text) = verify(b);
    assert!(ok, "{text}");
    let runs: usize = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(runs > 2, "the recorder got some runs in before it was killed: {text}");
    for run in [1, runs / 2, runs] {
        let out = b.payplan(&["replay", &run.to_string()]);
        assert!(stdout(&out).starts_with("MATCH"), "run {run}: {}{}", stdout(&out), stderr(&out));
    }
}

fn concurrent_processes_chain(b: &Backend) {
    b.record_example();
    let mut one = recorder(b, 15);
    let mut two = recorder(b, 15);
    assert!(one.wait().unwrap().success());
    assert!(two.wait().unwrap().success());
    assert_eq!(verify(b), (true, "OK 31 runs, 12 blobs\n".to_string()));
}

/// A store written before the schema had versions (its tables, no `schema_version`) is brought
/// to this version on open, and everything in it still verifies and replays.
fn opens_the_schema_before_versions(b: &Backend) {
    let run = b.record_example();
    assert_eq!(b.schema_version(), 1);
    b.batch("DROP TABLE schema_version");
    let out = b.payplan(&["replay", &run.to_string()]);
    assert!(stdout(&out).starts_with("MATCH"), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(b.schema_version(), 1, "opening the store recorded its version");
    assert_eq!(verify(b), (true, "OK 1 runs, 12 blobs\n".to_string()));
    assert_eq!(b.record_example(), run + 1, "and it records after the old runs");
}

/// A store of a version this build does not know is refused, and left as it is.
fn refuses_a_newer_schema(b: &Backend) {
    b.record_example();
    b.batch("UPDATE schema_version SET version = 2");
    let out = b.payplan(&["runs"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("the store's schema is version 2; this payplan knows up to 1"), "{}", stderr(&out));
    assert_eq!(b.schema_version(), 2);
}
