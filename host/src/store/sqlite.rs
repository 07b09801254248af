//! The embedded store: one SQLite file in WAL mode; appends take the write lock first
//! (`BEGIN IMMEDIATE`), so processes sharing the file still form one chain. Reads go through a
//! pool of read-only connections: in WAL mode they do not wait on the writer.

use super::{Draft, GENESIS, PlanVersion, Store, Stored, admit, db_error, plan_from_json, replayed, seal};
use crate::error::Result;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    record TEXT NOT NULL,
    record_hash TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS runs_period ON runs (period, seq);
CREATE TABLE IF NOT EXISTS closures (
    period TEXT PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs (seq),
    closed_by TEXT NOT NULL,
    closed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    run INTEGER NOT NULL REFERENCES runs (seq),
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS plans (
    n INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    manifest TEXT NOT NULL
);
";

/// Read connections kept open beside the writer.
const READERS: u32 = 4;

/// How long a connection waits for a lock the writer of another process holds.
const BUSY: Duration = Duration::from_secs(30);

/// A SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: r2d2::Pool<Readers>,
}

/// Opens the read-only connections of the pool (r2d2_sqlite, which would, does not follow
/// rusqlite 0.43).
struct Readers {
    path: PathBuf,
}

impl r2d2::ManageConnection for Readers {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

impl SqliteStore {
    /// Opens (or creates) the file and runs the migrations.
    pub fn open(path: &Path) -> Result<Self> {
        let doing = format!("opening {}", path.display());
        let conn = Connection::open(path).map_err(|e| db_error(&doing, e))?;
        conn.busy_timeout(BUSY).map_err(|e| db_error(&doing, e))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| db_error(&doing, e))?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(|e| db_error(&doing, e))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(|e| db_error(&doing, e))?;
        conn.execute_batch(SCHEMA).map_err(|e| db_error("migrating the store", e))?;
        let readers = r2d2::Pool::builder()
            .max_size(READERS)
            .min_idle(Some(0))
            .build(Readers { path: path.to_owned() })
            .map_err(|e| db_error(&doing, e))?;
        Ok(Self { conn: Mutex::new(conn), readers })
    }

    /// The writer.
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A read-only connection from the pool.
    fn reader(&self) -> Result<r2d2::PooledConnection<Readers>> {
        self.readers.get().map_err(|e| db_error("opening a read connection", e))
    }
}

fn stored(row: &rusqlite::Row) -> rusqlite::Result<(i64, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

impl Store for SqliteStore {
    fn append(&self, mut draft: Draft) -> Result<Stored> {
        let mut conn = self.conn();
        let doing = "recording a run";
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| db_error(doing, e))?;
        if let Some(request) = &draft.request {
            let earlier = tx
                .query_row(
                    "SELECT request_hash, run FROM requests WHERE scope = ?1 AND key = ?2",
                    [&request.scope, &request.key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(|e| db_error(doing, e))?;
            if let Some(seq) = replayed(request, earlier)? {
                drop(tx);
                drop(conn);
                return self.run(seq)?.ok_or(crate::Error::NoRun(seq));
            }
        }
        let closed: Option<i64> = tx
            .query_row("SELECT run FROM closures WHERE period = ?1", [&draft.record.period], |r| r.get(0))
            .optional()
            .map_err(|e| db_error(doing, e))?;
        admit(&mut draft.record, closed)?;
        for (hash, bytes) in &draft.blobs {
            tx.execute("INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?1, ?2)", params![hash, bytes])
                .map_err(|e| db_error(doing, e))?;
        }
        let last: Option<(i64, String)> = tx
            .query_row("SELECT seq, record_hash FROM runs ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| db_error(doing, e))?;
        let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h));
        let (json, hash) = seal(&mut draft.record, seq, &prev);
        tx.execute(
            "INSERT INTO runs (seq, period, record, record_hash) VALUES (?1, ?2, ?3, ?4)",
            params![seq, draft.record.period, json, hash],
        )
        .map_err(|e| db_error(doing, e))?;
        if let Some(request) = &draft.request {
            tx.execute(
                "INSERT INTO requests (scope, key, request_hash, run) VALUES (?1, ?2, ?3, ?4)",
                params![request.scope, request.key, request.hash, seq],
            )
            .map_err(|e| db_error(doing, e))?;
        }
        tx.commit().map_err(|e| db_error(doing, e))?;
        Ok(Stored { record: draft.record, json, hash })
    }

    fn request(&self, scope: &str, key: &str) -> Result<Option<(String, i64)>> {
        let conn = self.reader()?;
        conn.query_row("SELECT request_hash, run FROM requests WHERE scope = ?1 AND key = ?2", [scope, key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(|e| db_error("reading an idempotency key", e))
    }

    fn publish(&self, plan: &PlanVersion, blobs: Vec<(String, Vec<u8>)>) -> Result<bool> {
        let mut conn = self.conn();
        let doing = "publishing a plan";
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| db_error(doing, e))?;
        for (hash, bytes) in &blobs {
            tx.execute("INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?1, ?2)", params![hash, bytes])
                .map_err(|e| db_error(doing, e))?;
        }
        let manifest = serde_json::to_string(plan).expect("a plan version always serialises");
        let added = tx
            .execute("INSERT OR IGNORE INTO plans (hash, manifest) VALUES (?1, ?2)", params![plan.hash, manifest])
            .map_err(|e| db_error(doing, e))?;
        tx.commit().map_err(|e| db_error(doing, e))?;
        Ok(added == 1)
    }

    fn plans(&self) -> Result<Vec<PlanVersion>> {
        let conn = self.reader()?;
        let doing = "listing plans";
        let mut stmt = conn.prepare("SELECT manifest FROM plans ORDER BY n").map_err(|e| db_error(doing, e))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| db_error(doing, e))?;
        rows.map(|r| plan_from_json(&r.map_err(|e| db_error(doing, e))?)).collect()
    }

    fn plan(&self, hash: &str) -> Result<Option<PlanVersion>> {
        let conn = self.reader()?;
        let json: Option<String> = conn
            .query_row("SELECT manifest FROM plans WHERE hash = ?1", [hash], |r| r.get(0))
            .optional()
            .map_err(|e| db_error("reading a plan", e))?;
        json.as_deref().map(plan_from_json).transpose()
    }

    fn runs(&self, period: Option<&str>) -> Result<Vec<Stored>> {
        let conn = self.reader()?;
        let doing = "listing runs";
        let mut stmt = conn
            .prepare("SELECT seq, record, record_hash FROM runs WHERE ?1 IS NULL OR period = ?1 ORDER BY seq")
            .map_err(|e| db_error(doing, e))?;
        let rows = stmt.query_map([period], stored).map_err(|e| db_error(doing, e))?;
        rows.map(|r| {
            let (seq, json, hash) = r.map_err(|e| db_error(doing, e))?;
            Stored::from_row(seq, json, hash)
        })
        .collect()
    }

    fn run(&self, seq: i64) -> Result<Option<Stored>> {
        let conn = self.reader()?;
        let row = conn
            .query_row("SELECT seq, record, record_hash FROM runs WHERE seq = ?1", [seq], stored)
            .optional()
            .map_err(|e| db_error("reading a run", e))?;
        row.map(|(seq, json, hash)| Stored::from_row(seq, json, hash)).transpose()
    }

    fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let conn = self.reader()?;
        conn.query_row("SELECT bytes FROM blobs WHERE hash = ?1", [hash], |r| r.get(0))
            .optional()
            .map_err(|e| db_error("reading a blob", e))
    }

    fn blob_hashes(&self) -> Result<Vec<String>> {
        let conn = self.reader()?;
        let mut stmt =
            conn.prepare("SELECT hash FROM blobs ORDER BY hash").map_err(|e| db_error("listing blobs", e))?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| db_error("listing blobs", e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| db_error("listing blobs", e))
    }

    fn close(&self, period: &str, run: i64, by: &str, at: &str) -> Result<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO closures (period, run, closed_by, closed_at) VALUES (?1, ?2, ?3, ?4)",
            params![period, run, by, at],
        )
        .map_err(|e| db_error(&format!("closing period {period}"), e))?;
        Ok(())
    }

    fn closed(&self, period: &str) -> Result<Option<i64>> {
        let conn = self.reader()?;
        conn.query_row("SELECT run FROM closures WHERE period = ?1", [period], |r| r.get(0))
            .optional()
            .map_err(|e| db_error("reading a closure", e))
    }
}
