//! The shared store: PostgreSQL. Appends take a transaction-scoped advisory lock, so several
//! hosts appending at once still form one chain; a crash rolls the transaction back. Each host
//! holds a pool of connections, so its requests do not wait on one another's database calls.

use super::db_error;
use super::sql::{Cell, Database, Dialect, Param, Row, Session, SqlStore, migrate};
use crate::error::Result;
use postgres::types::{ToSql, Type};
use postgres::{GenericClient, NoTls};
use r2d2_postgres::PostgresConnectionManager;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// PostgreSQL's column types.
const DIALECT: Dialect = Dialect { int: "BIGINT", bytes: "BYTEA", serial_key: "BIGSERIAL PRIMARY KEY" };

/// Connections a host keeps open: more than the requests its blocking threads run at once
/// rarely helps, since appends take one lock in turn.
const CONNECTIONS: u32 = 8;

/// The advisory lock key that serialises appends (an arbitrary constant: "payplan" in ASCII).
const APPEND_LOCK: i64 = 0x0070_6179_706c_616e;

/// A PostgreSQL database, through a pool of connections.
pub(super) struct Postgres {
    pool: Pool,
}

/// Connects and runs the migrations.
pub(super) fn open(url: &str) -> Result<SqlStore<Postgres>> {
    let config = url.parse().map_err(|e| db_error("reading the PostgreSQL URL", e))?;
    let pool = r2d2::Pool::builder()
        .max_size(CONNECTIONS)
        .min_idle(Some(1))
        .build(PostgresConnectionManager::new(config, NoTls))
        .map_err(|e| db_error("connecting to PostgreSQL", e))?;
    let db = Postgres { pool };
    migrate(&db, &DIALECT)?;
    Ok(SqlStore(db))
}

impl Database for Postgres {
    fn write<T>(&self, doing: &str, work: impl FnOnce(&mut dyn Session) -> Result<T>) -> Result<T> {
        let mut client = self.pool.get().map_err(|e| db_error(doing, e))?;
        let mut tx = client.transaction().map_err(|e| db_error(doing, e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).map_err(|e| db_error(doing, e))?;
        let answer = work(&mut On { client: &mut tx, doing })?;
        tx.commit().map_err(|e| db_error(doing, e))?;
        Ok(answer)
    }

    fn read<T>(&self, doing: &str, work: impl FnOnce(&mut dyn Session) -> Result<T>) -> Result<T> {
        let mut client = self.pool.get().map_err(|e| db_error(doing, e))?;
        work(&mut On { client: &mut *client, doing })
    }
}

/// A session on one connection or transaction.
struct On<'a, C> {
    client: &'a mut C,
    doing: &'a str,
}

/// The parameters as the client takes them.
fn values<'a>(params: &'a [Param<'a>]) -> Vec<Box<dyn ToSql + Sync + 'a>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync + 'a> {
            match *p {
                Param::Int(n) => Box::new(n),
                Param::Text(t) => Box::new(t),
                Param::MaybeText(t) => Box::new(t),
                Param::Bytes(b) => Box::new(b),
            }
        })
        .collect()
}

fn cells(row: &postgres::Row) -> std::result::Result<Row, postgres::Error> {
    (0..row.len())
        .map(|i| {
            Ok(match *row.columns()[i].type_() {
                Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::Int),
                Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into())),
                Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Cell::Null, Cell::Bytes),
                _ => row.try_get::<_, Option<String>>(i)?.map_or(Cell::Null, Cell::Text),
            })
        })
        .collect()
}

impl<C: GenericClient> Session for On<'_, C> {
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let values = values(params);
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v as _).collect();
        let rows = self.client.query(sql, &refs).map_err(|e| db_error(self.doing, e))?;
        rows.iter().map(cells).collect::<std::result::Result<_, _>>().map_err(|e| db_error(self.doing, e))
    }

    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let values = values(params);
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v as _).collect();
        self.client.execute(sql, &refs).map_err(|e| db_error(self.doing, e))
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(|e| db_error(self.doing, e))
    }
}
