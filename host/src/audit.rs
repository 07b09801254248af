//! Audit: record an evaluation with every byte it used, replay a run from the store alone,
//! verify the chain and the blobs, and compare an adjustment with a closed period's final run.

use crate::error::{Error, Result};
use crate::eval::{CompiledPlan, result_hash, to_json};
use crate::hash::sha256;
use crate::input::{Input, parse_period};
use crate::plan::{self, Plan};
use crate::series::{History, Past};
use crate::store::{Draft, GENESIS, Kind, Record, Request, RunRef, Store, Stored};
use payplan_sdk::result::EvalResult;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How a run is recorded: who asked, as what, under which idempotency key, on which history.
#[derive(Debug, Clone)]
pub struct Recording<'a> {
    /// Who asked.
    pub caller: &'a str,
    /// A run, or an adjustment of a closed period.
    pub kind: Kind,
    /// The client's idempotency key, when it sent one.
    pub request: Option<Request>,
    /// The history's effective runs the result was computed from ([`History::runs`]).
    pub basis: Vec<RunRef>,
}

impl<'a> Recording<'a> {
    /// An ordinary run or an adjustment by `caller`, without a key or a history.
    pub fn new(caller: &'a str, kind: Kind) -> Self {
        Self { caller, kind, request: None, basis: Vec::new() }
    }
}

/// Records an evaluation: the period bytes as received, the plan text, every policy file, and
/// the result as written, chained after the last run. An ordinary run is refused for a closed
/// period; an adjustment is refused for an open one and names its final run (the store decides
/// both under its lock, [`crate::store::admit`]). With a `request` (an idempotency key), a request
/// already recorded under the key returns its run instead.
pub fn record(
    store: &dyn Store,
    period_bytes: &[u8],
    plan: &Plan,
    result: &EvalResult,
    how: Recording,
) -> Result<Stored> {
    let mut blobs = Vec::new();
    let mut blob = |bytes: Vec<u8>| {
        let hash = sha256(&bytes);
        blobs.push((hash.clone(), bytes));
        hash
    };
    let period_blob = blob(period_bytes.to_vec());
    let plan_blob = blob(plan.text.as_bytes().to_vec());
    let result_blob = blob(to_json(result).into_bytes());
    let scripts = plan
        .policies
        .iter()
        .map(|p| (p.source.file().to_string_lossy().into_owned(), blob(p.source.bytes().to_vec())))
        .collect();
    let Recording { caller, kind, request, basis } = how;
    let record = Record {
        adjusts: None,
        basis,
        caller: caller.into(),
        engine: result.engine.clone(),
        input_hash: result.input_hash.clone(),
        kind,
        period: result.period.clone(),
        period_blob,
        plan: result.plan.clone(),
        plan_blob,
        plan_file: plan.file.to_string_lossy().into_owned(),
        prev_hash: String::new(),
        recorded_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        result_blob,
        result_hash: result.result_hash.clone(),
        scripts,
        seq: 0,
    };
    store.append(Draft { record, blobs, request })
}

/// Makes `run` the final run of `period`: refused when the run is of another period or the period
/// is closed already.
pub fn close(store: &dyn Store, period: &str, run_seq: i64, by: &str) -> Result<()> {
    let stored = run(store, run_seq)?;
    if stored.record.period != period {
        return Err(Error::Conflict {
            message: format!("run {run_seq} is of period {}, not {period}", stored.record.period),
        });
    }
    if let Some(final_run) = store.closed(period)? {
        return Err(Error::Conflict { message: format!("period {period} is already closed with run {final_run}") });
    }
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    store.close(period, run_seq, by, at.as_str())
}

fn run(store: &dyn Store, seq: i64) -> Result<Stored> {
    store.run(seq)?.ok_or(Error::NoRun(seq))
}

/// A blob `whose` record refers to as its `what`; missing, it is a store error naming both.
fn blob(store: &dyn Store, hash: &str, what: &str, whose: &str) -> Result<Vec<u8>> {
    store.blob(hash)?.ok_or_else(|| Error::Store { message: format!("{whose}: its {what} ({hash}) is missing") })
}

/// A recorded run, read once: its record, and its result as stored (bytes) and parsed.
pub struct StoredRun {
    /// The record.
    pub stored: Stored,
    /// The result JSON, byte for byte as recorded.
    pub bytes: Vec<u8>,
    /// The result.
    pub result: EvalResult,
}

/// A recorded run with its stored result.
pub fn stored_run(store: &dyn Store, seq: i64) -> Result<StoredRun> {
    let stored = run(store, seq)?;
    let bytes = blob(store, &stored.record.result_blob, "result", &format!("run {seq}"))?;
    let result = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Store { message: format!("run {seq}: the stored result does not parse: {e}") })?;
    Ok(StoredRun { stored, bytes, result })
}

/// The validated period a recorded run was computed from.
pub fn stored_period(store: &dyn Store, stored: &Stored) -> Result<Input> {
    let seq = stored.record.seq;
    let period = blob(store, &stored.record.period_blob, "period", &format!("run {seq}"))?;
    parse_period(&period).map_err(|problems| Error::Input { file: format!("run {seq} period").into(), problems })
}

/// What replaying a run found.
#[derive(Debug)]
pub struct Replay {
    /// The stored result.
    pub stored: EvalResult,
    /// The result computed again from the stored bytes.
    pub replayed: EvalResult,
    /// Every line whose amount (or score) differs, or that only one side has.
    pub differences: Vec<Difference>,
}

/// One line that differs between two results.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// Participant id.
    pub participant: String,
    /// Policy id.
    pub policy: String,
    /// Component (for a score: `score`).
    pub component: String,
    /// The amount in the first result (`None`: no such line).
    pub before: Option<String>,
    /// The amount in the second result.
    pub after: Option<String>,
}

impl Replay {
    /// Whether the replay reproduced the stored result exactly.
    pub fn matches(&self) -> bool {
        self.stored.result_hash == self.replayed.result_hash && self.differences.is_empty()
    }
}

/// Rebuilds a plan from the store alone: its text, and each policy file by the hash `scripts`
/// gives for it. `whose` names what refers to the plan (a run, a plan version) in errors.
pub fn stored_plan(
    store: &dyn Store,
    plan_file: &str,
    plan_blob: &str,
    scripts: &BTreeMap<String, String>,
    whose: &str,
) -> Result<Plan> {
    let bytes = blob(store, plan_blob, "plan", whose)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Store { message: format!("{whose}: the stored plan is not UTF-8") })?;
    let read = |path: &Path| -> Result<Vec<u8>, String> {
        let hash = scripts.get(&*path.to_string_lossy()).ok_or_else(|| format!("not in {whose}'s files"))?;
        store.blob(hash).map_err(|e| e.to_string())?.ok_or_else(|| format!("blob {hash} is missing"))
    };
    plan::parse(Path::new(plan_file), &text, read)
}

/// The history a run was recorded on: exactly the runs its record names, whatever was
/// recorded since (an adjustment of one of them makes the run stale, not different).
pub fn recorded_history(store: &dyn Store, record: &Record) -> Result<History> {
    let periods = record
        .basis
        .iter()
        .map(|b| {
            let run = stored_run(store, b.seq)?;
            if run.stored.hash != b.record_hash {
                return Err(Error::Store {
                    message: format!(
                        "run {}: its history's run {} is not the run it was computed from",
                        record.seq, b.seq
                    ),
                });
            }
            let input = stored_period(store, &run.stored)?;
            Ok(Past { seq: b.seq, record_hash: b.record_hash.clone(), input, result: run.result })
        })
        .collect::<Result<_>>()?;
    Ok(History { periods })
}

/// The runs of `all` (every run of the store, in chain order) whose history was adjusted after
/// they were computed: a period their basis names has an adjustment recorded after the run
/// they used. One pass over the runs, however many there are.
pub fn stale(all: &[Stored]) -> BTreeSet<i64> {
    let period_of: BTreeMap<i64, &str> = all.iter().map(|s| (s.record.seq, s.record.period.as_str())).collect();
    let mut last_adjustment: BTreeMap<&str, i64> = BTreeMap::new();
    for s in all.iter().filter(|s| s.record.kind == Kind::Adjustment) {
        last_adjustment.insert(&s.record.period, s.record.seq);
    }
    let adjusted_after = |b: &RunRef| match period_of.get(&b.seq) {
        Some(period) => last_adjustment.get(period).is_some_and(|&adj| adj > b.seq),
        None => true,
    };
    all.iter().filter(|s| s.record.basis.iter().any(adjusted_after)).map(|s| s.record.seq).collect()
}

/// Re-evaluates a run from the store alone: the stored period bytes, plan text and policy files;
/// no file of the working tree is read.
pub fn replay(store: &dyn Store, seq: i64, pool: &rayon::ThreadPool) -> Result<Replay> {
    let StoredRun { stored, result, .. } = stored_run(store, seq)?;
    let r = &stored.record;
    let plan = stored_plan(store, &r.plan_file, &r.plan_blob, &r.scripts, &format!("run {seq}"))?;
    let input = pool.install(|| stored_period(store, &stored))?;
    let history = recorded_history(store, r)?;
    let compiled = CompiledPlan::new(plan)?;
    let (replayed, _) = compiled.evaluate_series(input, Some(&history), pool, &crate::halt::Halt::never())?;
    let differences = diff(&result, &replayed);
    Ok(Replay { stored: result, replayed, differences })
}

/// Lines and scores that differ between two results, in participant order.
pub fn diff(a: &EvalResult, b: &EvalResult) -> Vec<Difference> {
    type Key = (String, String, String);
    let lines = |r: &EvalResult| -> BTreeMap<Key, String> {
        let pays = r
            .payouts
            .iter()
            .map(|p| ((p.participant.clone(), p.policy.clone(), p.component.clone()), p.amount.to_string()));
        let scores = r.scores.iter().map(|s| {
            ((s.participant.clone(), s.policy.clone(), "score".to_string()), format!("{} {}", s.score, s.grade))
        });
        pays.chain(scores).collect()
    };
    let (left, right) = (lines(a), lines(b));
    let keys: BTreeSet<&Key> = left.keys().chain(right.keys()).collect();
    keys.into_iter()
        .filter(|k| left.get(*k) != right.get(*k))
        .map(|k| Difference {
            participant: k.0.clone(),
            policy: k.1.clone(),
            component: k.2.clone(),
            before: left.get(k).cloned(),
            after: right.get(k).cloned(),
        })
        .collect()
}

/// One participant's total in a closed period's final run and in an adjustment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    /// Participant id.
    pub participant: String,
    /// Total in the final run.
    pub before: Decimal,
    /// Total in the adjustment.
    pub after: Decimal,
}

/// The participants whose totals an adjustment changes.
pub fn deltas(final_run: &EvalResult, adjustment: &EvalResult) -> Vec<Delta> {
    let ids: BTreeSet<&String> =
        final_run.totals.participants.keys().chain(adjustment.totals.participants.keys()).collect();
    let total = |r: &EvalResult, id: &str| r.totals.participants.get(id).map_or(Decimal::ZERO, |m| m.0);
    ids.into_iter()
        .map(|id| Delta { participant: id.clone(), before: total(final_run, id), after: total(adjustment, id) })
        .filter(|d| d.before != d.after)
        .collect()
}

/// What `audit verify` found.
#[derive(Debug, Default)]
pub struct Verification {
    /// Runs read.
    pub runs: usize,
    /// Blobs read.
    pub blobs: usize,
    /// Every record or blob whose bytes do not match, and every break in the chain.
    pub problems: Vec<String>,
}

/// Walks the chain and the blobs: every record's hash, every link, every blob's bytes, and each
/// stored result against its recorded `result_hash`.
pub fn verify(store: &dyn Store) -> Result<Verification> {
    let mut v = Verification::default();
    let mut users: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    let mut prev: Option<(i64, String)> = None;
    // Runs computed from a history, and the runs they were computed from.
    let mut computed_from: Vec<(i64, Vec<i64>)> = Vec::new();
    let mut tainted = BTreeSet::new();
    for stored in store.runs(None)? {
        v.runs += 1;
        let problems_before = v.problems.len();
        let r = &stored.record;
        let seq = r.seq;
        if sha256(stored.json.as_bytes()) != stored.hash {
            v.problems.push(format!("run {seq}: the record's bytes do not match its hash (altered)"));
        }
        let (expected_seq, expected_prev) = prev.clone().map_or((1, GENESIS.to_string()), |(s, h)| (s + 1, h));
        if seq != expected_seq {
            let after = if expected_seq == 1 { "the start".to_string() } else { format!("run {}", expected_seq - 1) };
            v.problems.push(format!("run {seq}: follows {after}; run {expected_seq} is missing"));
        }
        if r.prev_hash != expected_prev {
            v.problems.push(format!("run {seq}: prev_hash does not match the record before it (the chain is broken)"));
        }
        prev = Some((seq, stored.hash.clone()));
        if !r.basis.is_empty() {
            computed_from.push((seq, r.basis.iter().map(|b| b.seq).collect::<Vec<_>>()));
        }
        for b in &r.basis {
            match store.run(b.seq)? {
                Some(used) if used.hash == b.record_hash => {}
                _ => v.problems.push(format!(
                    "run {seq}: its history's run {} is missing or altered (the result was computed from it)",
                    b.seq
                )),
            }
        }
        let mut uses = vec![(&r.period_blob, "period".to_string()), (&r.plan_blob, "plan".to_string())];
        uses.push((&r.result_blob, "result".to_string()));
        uses.extend(r.scripts.iter().map(|(file, hash)| (hash, format!("policy file {file}"))));
        for (hash, what) in uses {
            users.entry(hash.clone()).or_default().push((seq, what.clone()));
            match store.blob(hash)? {
                None => v.problems.push(format!("run {seq}: its {what} ({hash}) is missing")),
                Some(bytes) if what == "result" => check_result(&mut v, seq, r, &bytes),
                Some(_) => {}
            }
        }
        if v.problems.len() > problems_before {
            tainted.insert(seq);
        }
    }
    for hash in store.blob_hashes()? {
        v.blobs += 1;
        let bytes = store.blob(&hash)?.unwrap_or_default();
        if sha256(&bytes) != hash {
            let used = users.get(&hash).map_or("no run".to_string(), |u| {
                tainted.extend(u.iter().map(|(seq, _)| *seq));
                u.iter().map(|(seq, what)| format!("run {seq}'s {what}")).collect::<Vec<_>>().join(", ")
            });
            v.problems.push(format!("blob {hash}: its bytes do not match its hash (used as {used})"));
        }
    }
    // A run whose record, result or blobs do not verify taints every run computed from it.
    for (seq, from) in computed_from {
        for bad in from.iter().filter(|s| tainted.contains(s)) {
            v.problems.push(format!("run {seq}: was computed from run {bad}, which does not verify"));
        }
    }
    Ok(v)
}

fn check_result(v: &mut Verification, seq: i64, record: &Record, bytes: &[u8]) {
    match serde_json::from_slice::<EvalResult>(bytes) {
        Ok(result) if result_hash(&result) == record.result_hash && result.result_hash == record.result_hash => {}
        Ok(_) => v.problems.push(format!("run {seq}: the stored result does not hash to the recorded result_hash")),
        Err(e) => v.problems.push(format!("run {seq}: the stored result does not parse: {e}")),
    }
}
