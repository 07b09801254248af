//! The audit store: recorded runs chained by hash, and the content-addressed bytes they used.
//!
//! One trait, [`Store`], implemented once over SQL (`sql`: the chain's steps, the queries, the
//! schema's versions) for two databases: `sqlite` (one file, the default) and `postgres` (shared
//! by several hosts), which differ only in connections, locking and column types. A run is
//! appended in one transaction — its blobs, its record, and the link to the previous record —
//! with appends serialised by the database, so a crash leaves the whole run or none of it, and
//! concurrent hosts still form one chain.

mod postgres;
mod sql;
mod sqlite;

use crate::error::{Error, Result};
use payplan_sdk::result::PlanRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `prev_hash` of the first record.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// What a run is: an ordinary evaluation, or an adjustment of a closed period's final run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An evaluation of an open period.
    Run,
    /// A re-evaluation of a closed period (late deals, refunds), against its final run.
    Adjustment,
}

/// One recorded run. Fields are in alphabetical order: the compact JSON is canonical, and
/// `record_hash` is its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Record {
    /// For an adjustment: the final run it adjusts.
    pub adjusts: Option<i64>,
    /// The history's effective runs the result was computed from (series.md), in period order;
    /// empty, and left out, for a period evaluated alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub basis: Vec<RunRef>,
    /// Who asked.
    pub caller: String,
    /// The engine that computed it.
    pub engine: String,
    /// `input_hash` of the period.
    pub input_hash: String,
    /// Run or adjustment.
    pub kind: Kind,
    /// Period id.
    pub period: String,
    /// Hash of the period bytes as received.
    pub period_blob: String,
    /// The plan's identity.
    pub plan: PlanRef,
    /// Hash of the plan text.
    pub plan_blob: String,
    /// The plan's file name when it was recorded (policy paths resolve against it).
    pub plan_file: String,
    /// `record_hash` of the previous record ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// When it was recorded (UTC, RFC 3339).
    pub recorded_at: String,
    /// Hash of the result JSON as written.
    pub result_blob: String,
    /// `result_hash` of the result.
    pub result_hash: String,
    /// Each policy file (as the plan resolved it) → hash of its bytes.
    pub scripts: BTreeMap<String, String>,
    /// Position in the chain, from 1.
    pub seq: i64,
}

/// A run another was computed from: its place in the chain and its `record_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRef {
    /// `record_hash` of the run.
    pub record_hash: String,
    /// The run's place in the chain.
    pub seq: i64,
}

/// A record as stored: its canonical JSON and the hash of that JSON.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The record.
    pub record: Record,
    /// The JSON that was hashed, as stored.
    pub json: String,
    /// `record_hash` as stored.
    pub hash: String,
}

impl Stored {
    /// Reads a stored row; the JSON that does not parse is reported for that run.
    pub fn from_row(seq: i64, json: String, hash: String) -> Result<Self> {
        let record = serde_json::from_str(&json)
            .map_err(|e| Error::Store { message: format!("run {seq}: the stored record does not parse: {e}") })?;
        Ok(Self { record, json, hash })
    }
}

/// A run to append: the record without its place in the chain, and the bytes it refers to.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The record; `seq`, `prev_hash` are filled in by the store under its lock.
    pub record: Record,
    /// Blobs by hash (stored once each).
    pub blobs: Vec<(String, Vec<u8>)>,
    /// The client's idempotency key, when it sent one: a run already recorded under the key is
    /// returned instead of appending a new one.
    pub request: Option<Request>,
}

/// An idempotent request: who sent it, its key, and the hash of what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Whose key space (the token's name): two clients may pick the same key.
    pub scope: String,
    /// The `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of the request (route, plan version, body).
    pub hash: String,
}

/// A published plan version: immutable, named by its hash, with the blobs it is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanVersion {
    /// The plan's hash (formats.md): its identity.
    pub hash: String,
    /// Plan id.
    pub id: String,
    /// The designer's version label.
    pub version: String,
    /// The plan's file name (policy paths resolve against it).
    pub plan_file: String,
    /// Hash of the plan text.
    pub plan_blob: String,
    /// Each policy file (as the plan resolved it) → hash of its bytes.
    pub scripts: BTreeMap<String, String>,
    /// Who published it.
    pub published_by: String,
    /// When (UTC, RFC 3339).
    pub published_at: String,
}

/// The row an idempotency key refers to, checked under the append lock.
pub fn replayed(request: &Request, stored: Option<(String, i64)>) -> Result<Option<i64>> {
    match stored {
        None => Ok(None),
        Some((hash, seq)) if hash == request.hash => Ok(Some(seq)),
        Some(_) => Err(Error::KeyReused { key: request.key.clone() }),
    }
}

/// Seals a draft record at its place in the chain: its canonical JSON and hash.
pub fn seal(record: &mut Record, seq: i64, prev_hash: &str) -> (String, String) {
    record.seq = seq;
    record.prev_hash = prev_hash.to_owned();
    let json = serde_json::to_string(record).expect("a record always serialises");
    let hash = crate::hash::sha256(json.as_bytes());
    (json, hash)
}

/// The rule of closed periods, applied by every backend under its lock before appending (with
/// the period's final run, if it is closed): an ordinary run only while the period is open, an
/// adjustment only once it is closed, and then of its final run.
pub fn admit(draft: &mut Record, closed: Option<i64>) -> Result<()> {
    match (draft.kind, closed) {
        (Kind::Run, None) => Ok(()),
        (Kind::Run, Some(run)) => Err(Error::PeriodClosed { period: draft.period.clone(), run }),
        (Kind::Adjustment, Some(run)) => {
            draft.adjusts = Some(run);
            Ok(())
        }
        (Kind::Adjustment, None) => Err(Error::Conflict {
            message: format!("period {} is not closed: record an ordinary run, not an adjustment", draft.period),
        }),
    }
}

/// Storage of runs and blobs.
pub trait Store: Send + Sync {
    /// Appends a run atomically: its blobs, then its record linked to the last one. Refused for a
    /// closed period unless the draft is an adjustment (which then names the final run). With an
    /// idempotency key already used for the same request, returns that run and appends nothing;
    /// for another request, [`Error::KeyReused`].
    fn append(&self, draft: Draft) -> Result<Stored>;
    /// The run recorded under an idempotency key, and the hash of the request that made it.
    fn request(&self, scope: &str, key: &str) -> Result<Option<(String, i64)>>;
    /// Stores a plan version and its blobs; false when that version was already published.
    fn publish(&self, plan: &PlanVersion, blobs: Vec<(String, Vec<u8>)>) -> Result<bool>;
    /// Published plan versions, in the order they were published.
    fn plans(&self) -> Result<Vec<PlanVersion>>;
    /// One published plan version.
    fn plan(&self, hash: &str) -> Result<Option<PlanVersion>>;
    /// Runs in chain order, of one period or all.
    fn runs(&self, period: Option<&str>) -> Result<Vec<Stored>>;
    /// One run.
    fn run(&self, seq: i64) -> Result<Option<Stored>>;
    /// A blob's bytes.
    fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>>;
    /// Every blob's hash.
    fn blob_hashes(&self) -> Result<Vec<String>>;
    /// Makes `run` the final run of `period`.
    fn close(&self, period: &str, run: i64, by: &str, at: &str) -> Result<()>;
    /// The final run of a closed period.
    fn closed(&self, period: &str) -> Result<Option<i64>>;
}

/// Opens a store: `postgres://…` or `postgresql://…` for PostgreSQL, anything else is a SQLite
/// file. Migrations run on open.
pub fn open(location: &str) -> Result<Box<dyn Store>> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(postgres::open(location)?))
    } else {
        Ok(Box::new(sqlite::open(location.as_ref())?))
    }
}

/// A published plan version as stored (its JSON), read back.
pub fn plan_from_json(json: &str) -> Result<PlanVersion> {
    serde_json::from_str(json)
        .map_err(|e| Error::Store { message: format!("a stored plan version does not parse: {e}") })
}

/// The store error for a database error, with what was being done.
pub fn db_error(doing: &str, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Database { doing: doing.to_owned(), source: e.into() }
}
