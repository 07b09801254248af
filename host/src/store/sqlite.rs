//! The embedded store: one SQLite file in WAL mode; appends take the write lock first
//! (`BEGIN IMMEDIATE`), so processes sharing the file still form one chain. Reads go through a
//! pool of read-only connections: in WAL mode they do not wait on the writer.

use super::db_error;
use super::sql::{Cell, Database, Dialect, Param, Row, Session, SqlStore, migrate};
use crate::error::Result;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// SQLite's column types.
const DIALECT: Dialect = Dialect { int: "INTEGER", bytes: "BLOB", serial_key: "INTEGER PRIMARY KEY" };

/// Read connections kept open beside the writer.
const READERS: u32 = 4;

/// How long a connection waits for a lock the writer of another process holds.
const BUSY: Duration = Duration::from_secs(30);

/// A SQLite file: the writer behind a mutex, and a pool of readers.
pub(super) struct Sqlite {
    writer: Mutex<Connection>,
    readers: r2d2::Pool<Readers>,
}

/// Opens (or creates) the file and runs the migrations.
pub(super) fn open(path: &Path) -> Result<SqlStore<Sqlite>> {
    let doing = format!("opening {}", path.display());
    let conn = Connection::open(path).map_err(|e| db_error(&doing, e))?;
    conn.busy_timeout(BUSY).map_err(|e| db_error(&doing, e))?;
    for (pragma, value) in [("journal_mode", "WAL"), ("synchronous", "FULL"), ("foreign_keys", "ON")] {
        conn.pragma_update(None, pragma, value).map_err(|e| db_error(&doing, e))?;
    }
    let readers = r2d2::Pool::builder()
        .max_size(READERS)
        .min_idle(Some(0))
        .build(Readers { path: path.to_owned() })
        .map_err(|e| db_error(&doing, e))?;
    let db = Sqlite { writer: Mutex::new(conn), readers };
    migrate(&db, &DIALECT)?;
    Ok(SqlStore(db))
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

impl Database for Sqlite {
    fn write<T>(&self, doing: &str, work: impl FnOnce(&mut dyn Session) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| db_error(doing, e))?;
        let answer = work(&mut On { conn: &tx, doing })?;
        tx.commit().map_err(|e| db_error(doing, e))?;
        Ok(answer)
    }

    fn read<T>(&self, doing: &str, work: impl FnOnce(&mut dyn Session) -> Result<T>) -> Result<T> {
        let conn = self.readers.get().map_err(|e| db_error(doing, e))?;
        work(&mut On { conn: &conn, doing })
    }
}

/// A session on one connection.
struct On<'a> {
    conn: &'a Connection,
    doing: &'a str,
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::Int(n) => ToSqlOutput::from(n),
            Param::Text(t) => ToSqlOutput::from(t),
            Param::MaybeText(t) => t.map_or(ToSqlOutput::Borrowed(ValueRef::Null), ToSqlOutput::from),
            Param::Bytes(b) => ToSqlOutput::from(b),
        })
    }
}

fn cell(value: ValueRef) -> Cell {
    match value {
        ValueRef::Integer(n) => Cell::Int(n),
        ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
        ValueRef::Null | ValueRef::Real(_) => Cell::Null,
    }
}

impl Session for On<'_> {
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let fail = |e| db_error(self.doing, e);
        let mut stmt = self.conn.prepare_cached(sql).map_err(fail)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(fail)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(fail)? {
            out.push((0..columns).map(|i| row.get_ref(i).map(cell)).collect::<rusqlite::Result<_>>().map_err(fail)?);
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db_error(self.doing, e))?;
        let changed = stmt.execute(rusqlite::params_from_iter(params)).map_err(|e| db_error(self.doing, e))?;
        Ok(changed as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| db_error(self.doing, e))
    }
}
