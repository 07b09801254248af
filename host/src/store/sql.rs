//! The store over SQL, once for both databases: the chain's steps, the queries (written with
//! `$1`-style parameters, which SQLite and PostgreSQL both read) and the schema's versions. A
//! [`Database`] supplies only what differs: connections, transactions and the append lock, and
//! its column types in [`Dialect`].

use super::{Draft, GENESIS, PlanVersion, Store, Stored, admit, plan_from_json, replayed, seal};
use crate::error::{Error, Result};

/// A query parameter: the types the store's tables hold.
#[derive(Debug, Clone, Copy)]
pub(super) enum Param<'a> {
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    MaybeText(Option<&'a str>),
    /// Bytes.
    Bytes(&'a [u8]),
}

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// NULL.
    Null,
}

/// One row of a result.
pub(super) type Row = Vec<Cell>;

/// Statements on one connection (inside a transaction when written to); a database error names
/// what the session was opened for.
pub(super) trait Session {
    /// The rows a query returns.
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>>;
    /// Runs a statement; the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64>;
    /// Runs statements without parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<()>;
}

/// What one database supplies.
pub(super) trait Database: Send + Sync {
    /// Runs `work` in a transaction that holds the append lock, committed when it succeeds and
    /// rolled back when it fails.
    fn write<T>(&self, doing: &str, work: impl FnOnce(&mut dyn Session) -> Result<T>) -> Result<T>;
    /// Runs `work` on a connection for reading (it does not wait on the writer).
    fn read<T>(&self, doing: &str, work: impl FnOnce(&mut dyn Session) -> Result<T>) -> Result<T>;
}

/// The column types that differ between the two databases.
pub(super) struct Dialect {
    /// A 64-bit integer.
    pub(super) int: &'static str,
    /// Bytes.
    pub(super) bytes: &'static str,
    /// An integer key the database numbers itself.
    pub(super) serial_key: &'static str,
}

/// The schema's versions, in order: version N is the first N migrations applied. A store
/// written before versions were kept has the tables of version 1 and no version table; the
/// first migration creates only what is missing.
fn migrations(d: &Dialect) -> [String; 1] {
    let (int, bytes, serial) = (d.int, d.bytes, d.serial_key);
    [format!(
        "CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes {bytes} NOT NULL);
        CREATE TABLE IF NOT EXISTS runs (
            seq {int} PRIMARY KEY,
            period TEXT NOT NULL,
            record TEXT NOT NULL,
            record_hash TEXT NOT NULL UNIQUE
        );
        CREATE INDEX IF NOT EXISTS runs_period ON runs (period, seq);
        CREATE TABLE IF NOT EXISTS closures (
            period TEXT PRIMARY KEY,
            run {int} NOT NULL REFERENCES runs (seq),
            closed_by TEXT NOT NULL,
            closed_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS requests (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            run {int} NOT NULL REFERENCES runs (seq),
            PRIMARY KEY (scope, key)
        );
        CREATE TABLE IF NOT EXISTS plans (n {serial}, hash TEXT NOT NULL UNIQUE, manifest TEXT NOT NULL);"
    )]
}

/// Brings the schema up to this build's version (under the append lock, so that hosts opening
/// one store together do not race); a store of a newer version is refused.
pub(super) fn migrate(db: &impl Database, dialect: &Dialect) -> Result<()> {
    let migrations = migrations(dialect);
    let latest = migrations.len() as i64;
    db.write("migrating the store", |s| {
        s.batch(&format!("CREATE TABLE IF NOT EXISTS schema_version (version {} NOT NULL)", dialect.int))?;
        let row = first(s, "SELECT version FROM schema_version", &[])?;
        let found = row.is_some();
        let version = row.map_or(Ok(0), |mut r| int(&mut r, 0))?;
        if version > latest {
            return Err(Error::Store {
                message: format!("the store's schema is version {version}; this payplan knows up to {latest}"),
            });
        }
        for migration in &migrations[usize::try_from(version).unwrap_or(0)..] {
            s.batch(migration)?;
        }
        if !found {
            s.execute("INSERT INTO schema_version (version) VALUES ($1)", &[Param::Int(latest)])?;
        } else {
            s.execute("UPDATE schema_version SET version = $1", &[Param::Int(latest)])?;
        }
        Ok(())
    })
}

/// A cell taken out of its row as what the query put there (anything else is a store that holds
/// what it should not). Taken, not copied: a blob's bytes are moved, once.
fn take(row: &mut Row, i: usize) -> Option<Cell> {
    row.get_mut(i).map(|cell| std::mem::replace(cell, Cell::Null))
}

fn int(row: &mut Row, i: usize) -> Result<i64> {
    match take(row, i) {
        Some(Cell::Int(n)) => Ok(n),
        other => Err(unexpected(other)),
    }
}

fn text(row: &mut Row, i: usize) -> Result<String> {
    match take(row, i) {
        Some(Cell::Text(t)) => Ok(t),
        other => Err(unexpected(other)),
    }
}

fn bytes(row: &mut Row, i: usize) -> Result<Vec<u8>> {
    match take(row, i) {
        Some(Cell::Bytes(b)) => Ok(b),
        other => Err(unexpected(other)),
    }
}

fn unexpected(cell: Option<Cell>) -> Error {
    Error::Store { message: format!("a column holds {cell:?}, not what the schema says") }
}

fn stored(mut row: Row) -> Result<Stored> {
    Stored::from_row(int(&mut row, 0)?, text(&mut row, 1)?, text(&mut row, 2)?)
}

/// The first row a query returns, if any.
fn first(s: &mut dyn Session, sql: &str, params: &[Param]) -> Result<Option<Row>> {
    Ok(s.query(sql, params)?.into_iter().next())
}

const RUN: &str = "SELECT seq, record, record_hash FROM runs WHERE seq = $1";
const REQUEST: &str = "SELECT request_hash, run FROM requests WHERE scope = $1 AND key = $2";
const CLOSURE: &str = "SELECT run FROM closures WHERE period = $1";
const PUT_BLOB: &str = "INSERT INTO blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING";

/// The store over a database.
pub(super) struct SqlStore<D>(pub(super) D);

impl<D: Database> SqlStore<D> {
    fn one<T>(&self, doing: &str, sql: &str, params: &[Param], read: impl Fn(Row) -> Result<T>) -> Result<Option<T>> {
        self.0.read(doing, |s| first(s, sql, params)?.map(read).transpose())
    }
}

fn put_blobs(s: &mut dyn Session, blobs: &[(String, Vec<u8>)]) -> Result<()> {
    for (hash, bytes) in blobs {
        s.execute(PUT_BLOB, &[Param::Text(hash), Param::Bytes(bytes)])?;
    }
    Ok(())
}

impl<D: Database> Store for SqlStore<D> {
    fn append(&self, mut draft: Draft) -> Result<Stored> {
        self.0.write("recording a run", |s| {
            if let Some(request) = &draft.request {
                let row = first(s, REQUEST, &[Param::Text(&request.scope), Param::Text(&request.key)])?;
                let earlier = row.map(|mut r| Ok::<_, Error>((text(&mut r, 0)?, int(&mut r, 1)?))).transpose()?;
                if let Some(seq) = replayed(request, earlier)? {
                    return first(s, RUN, &[Param::Int(seq)])?.map(stored).transpose()?.ok_or(Error::NoRun(seq));
                }
            }
            let closed = first(s, CLOSURE, &[Param::Text(&draft.record.period)])?.map(|mut r| int(&mut r, 0));
            let closed = closed.transpose()?;
            admit(&mut draft.record, closed)?;
            put_blobs(s, &draft.blobs)?;
            let last = first(s, "SELECT seq, record_hash FROM runs ORDER BY seq DESC LIMIT 1", &[])?;
            let (seq, prev) = match last {
                Some(mut row) => (int(&mut row, 0)? + 1, text(&mut row, 1)?),
                None => (1, GENESIS.to_owned()),
            };
            let (json, hash) = seal(&mut draft.record, seq, &prev);
            s.execute(
                "INSERT INTO runs (seq, period, record, record_hash) VALUES ($1, $2, $3, $4)",
                &[Param::Int(seq), Param::Text(&draft.record.period), Param::Text(&json), Param::Text(&hash)],
            )?;
            if let Some(r) = &draft.request {
                s.execute(
                    "INSERT INTO requests (scope, key, request_hash, run) VALUES ($1, $2, $3, $4)",
                    &[Param::Text(&r.scope), Param::Text(&r.key), Param::Text(&r.hash), Param::Int(seq)],
                )?;
            }
            Ok(Stored { record: draft.record.clone(), json, hash })
        })
    }

    fn request(&self, scope: &str, key: &str) -> Result<Option<(String, i64)>> {
        self.one("reading an idempotency key", REQUEST, &[Param::Text(scope), Param::Text(key)], |mut r| {
            Ok((text(&mut r, 0)?, int(&mut r, 1)?))
        })
    }

    fn publish(&self, plan: &PlanVersion, blobs: Vec<(String, Vec<u8>)>) -> Result<bool> {
        let manifest = serde_json::to_string(plan).expect("a plan version always serialises");
        self.0.write("publishing a plan", |s| {
            put_blobs(s, &blobs)?;
            let added = s.execute(
                "INSERT INTO plans (hash, manifest) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
                &[Param::Text(&plan.hash), Param::Text(&manifest)],
            )?;
            Ok(added == 1)
        })
    }

    fn plans(&self) -> Result<Vec<PlanVersion>> {
        self.0.read("listing plans", |s| {
            s.query("SELECT manifest FROM plans ORDER BY n", &[])?
                .into_iter()
                .map(|mut r| plan_from_json(&text(&mut r, 0)?))
                .collect()
        })
    }

    fn plan(&self, hash: &str) -> Result<Option<PlanVersion>> {
        let sql = "SELECT manifest FROM plans WHERE hash = $1";
        self.one("reading a plan", sql, &[Param::Text(hash)], |mut r| plan_from_json(&text(&mut r, 0)?))
    }

    fn runs(&self, period: Option<&str>) -> Result<Vec<Stored>> {
        let sql =
            "SELECT seq, record, record_hash FROM runs WHERE CAST($1 AS TEXT) IS NULL OR period = $1 ORDER BY seq";
        self.0.read("listing runs", |s| s.query(sql, &[Param::MaybeText(period)])?.into_iter().map(stored).collect())
    }

    fn run(&self, seq: i64) -> Result<Option<Stored>> {
        self.one("reading a run", RUN, &[Param::Int(seq)], stored)
    }

    fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        self.one("reading a blob", "SELECT bytes FROM blobs WHERE hash = $1", &[Param::Text(hash)], |mut r| {
            bytes(&mut r, 0)
        })
    }

    fn blob_hashes(&self) -> Result<Vec<String>> {
        self.0.read("listing blobs", |s| {
            s.query("SELECT hash FROM blobs ORDER BY hash", &[])?.into_iter().map(|mut r| text(&mut r, 0)).collect()
        })
    }

    fn close(&self, period: &str, run: i64, by: &str, at: &str) -> Result<()> {
        self.0
            .write(&format!("closing period {period}"), |s| {
                s.execute(
                    "INSERT INTO closures (period, run, closed_by, closed_at) VALUES ($1, $2, $3, $4)",
                    &[Param::Text(period), Param::Int(run), Param::Text(by), Param::Text(at)],
                )
            })
            .map(drop)
    }

    fn closed(&self, period: &str) -> Result<Option<i64>> {
        self.one("reading a closure", CLOSURE, &[Param::Text(period)], |mut r| int(&mut r, 0))
    }
}
