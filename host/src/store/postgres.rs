//! The shared store: PostgreSQL. Appends take a transaction-scoped advisory lock, so several
//! hosts appending at once still form one chain; a crash rolls the transaction back. Each host
//! holds a pool of connections, so its requests do not wait on one another's database calls.

use super::{Draft, GENESIS, PlanVersion, Store, Stored, admit, db_error, plan_from_json, replayed, seal};
use crate::error::Result;
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Connection = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// Connections a host keeps open: more than the requests its blocking threads run at once
/// rarely helps, since appends take one lock in turn.
const CONNECTIONS: u32 = 8;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, bytes BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    seq BIGINT PRIMARY KEY,
    period TEXT NOT NULL,
    record TEXT NOT NULL,
    record_hash TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS runs_period ON runs (period, seq);
CREATE TABLE IF NOT EXISTS closures (
    period TEXT PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs (seq),
    closed_by TEXT NOT NULL,
    closed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    run BIGINT NOT NULL REFERENCES runs (seq),
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS plans (
    n BIGSERIAL PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    manifest TEXT NOT NULL
);
";

/// The advisory lock key that serialises appends (an arbitrary constant: "payplan" in ASCII).
const APPEND_LOCK: i64 = 0x0070_6179_706c_616e;

/// A PostgreSQL store.
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects and runs the migrations (under the append lock, so that hosts starting together
    /// do not race on them).
    pub fn open(url: &str) -> Result<Self> {
        let config = url.parse().map_err(|e| db_error("reading the PostgreSQL URL", e))?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(CONNECTIONS)
            .min_idle(Some(1))
            .build(manager)
            .map_err(|e| db_error("connecting to PostgreSQL", e))?;
        let store = Self { pool };
        let mut client = store.client()?;
        let mut tx = client.transaction().map_err(|e| db_error("migrating the store", e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])
            .map_err(|e| db_error("migrating the store", e))?;
        tx.batch_execute(SCHEMA).map_err(|e| db_error("migrating the store", e))?;
        tx.commit().map_err(|e| db_error("migrating the store", e))?;
        drop(client);
        Ok(store)
    }

    /// A connection from the pool (waiting for one while all are in use).
    fn client(&self) -> Result<Connection> {
        self.pool.get().map_err(|e| db_error("taking a PostgreSQL connection", e))
    }
}

fn stored(row: &postgres::Row) -> Result<Stored> {
    Stored::from_row(row.get(0), row.get(1), row.get(2))
}

impl Store for PgStore {
    fn append(&self, mut draft: Draft) -> Result<Stored> {
        let mut client = self.client()?;
        let doing = "recording a run";
        let mut tx = client.transaction().map_err(|e| db_error(doing, e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]).map_err(|e| db_error(doing, e))?;
        if let Some(request) = &draft.request {
            let earlier = tx
                .query_opt(
                    "SELECT request_hash, run FROM requests WHERE scope = $1 AND key = $2",
                    &[&request.scope, &request.key],
                )
                .map_err(|e| db_error(doing, e))?
                .map(|r| (r.get(0), r.get(1)));
            if let Some(seq) = replayed(request, earlier)? {
                let row = tx
                    .query_opt("SELECT seq, record, record_hash FROM runs WHERE seq = $1", &[&seq])
                    .map_err(|e| db_error(doing, e))?;
                return row.as_ref().map(stored).transpose()?.ok_or(crate::Error::NoRun(seq));
            }
        }
        let closed = tx
            .query_opt("SELECT run FROM closures WHERE period = $1", &[&draft.record.period])
            .map_err(|e| db_error(doing, e))?
            .map(|r| r.get::<_, i64>(0));
        admit(&mut draft.record, closed)?;
        for (hash, bytes) in &draft.blobs {
            tx.execute("INSERT INTO blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING", &[hash, bytes])
                .map_err(|e| db_error(doing, e))?;
        }
        let last = tx
            .query_opt("SELECT seq, record_hash FROM runs ORDER BY seq DESC LIMIT 1", &[])
            .map_err(|e| db_error(doing, e))?;
        let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |r| (r.get::<_, i64>(0) + 1, r.get(1)));
        let (json, hash) = seal(&mut draft.record, seq, &prev);
        tx.execute(
            "INSERT INTO runs (seq, period, record, record_hash) VALUES ($1, $2, $3, $4)",
            &[&seq, &draft.record.period, &json, &hash],
        )
        .map_err(|e| db_error(doing, e))?;
        if let Some(request) = &draft.request {
            tx.execute(
                "INSERT INTO requests (scope, key, request_hash, run) VALUES ($1, $2, $3, $4)",
                &[&request.scope, &request.key, &request.hash, &seq],
            )
            .map_err(|e| db_error(doing, e))?;
        }
        tx.commit().map_err(|e| db_error(doing, e))?;
        Ok(Stored { record: draft.record, json, hash })
    }

    fn request(&self, scope: &str, key: &str) -> Result<Option<(String, i64)>> {
        let row = self
            .client()?
            .query_opt("SELECT request_hash, run FROM requests WHERE scope = $1 AND key = $2", &[&scope, &key])
            .map_err(|e| db_error("reading an idempotency key", e))?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    fn publish(&self, plan: &PlanVersion, blobs: Vec<(String, Vec<u8>)>) -> Result<bool> {
        let mut client = self.client()?;
        let doing = "publishing a plan";
        let mut tx = client.transaction().map_err(|e| db_error(doing, e))?;
        for (hash, bytes) in &blobs {
            tx.execute("INSERT INTO blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING", &[hash, bytes])
                .map_err(|e| db_error(doing, e))?;
        }
        let manifest = serde_json::to_string(plan).expect("a plan version always serialises");
        let added = tx
            .execute(
                "INSERT INTO plans (hash, manifest) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
                &[&plan.hash, &manifest],
            )
            .map_err(|e| db_error(doing, e))?;
        tx.commit().map_err(|e| db_error(doing, e))?;
        Ok(added == 1)
    }

    fn plans(&self) -> Result<Vec<PlanVersion>> {
        let rows = self
            .client()?
            .query("SELECT manifest FROM plans ORDER BY n", &[])
            .map_err(|e| db_error("listing plans", e))?;
        rows.iter().map(|r| plan_from_json(r.get(0))).collect()
    }

    fn plan(&self, hash: &str) -> Result<Option<PlanVersion>> {
        let row = self
            .client()?
            .query_opt("SELECT manifest FROM plans WHERE hash = $1", &[&hash])
            .map_err(|e| db_error("reading a plan", e))?;
        row.map(|r| plan_from_json(r.get(0))).transpose()
    }

    fn runs(&self, period: Option<&str>) -> Result<Vec<Stored>> {
        let rows = self
            .client()?
            .query(
                "SELECT seq, record, record_hash FROM runs WHERE $1::TEXT IS NULL OR period = $1 ORDER BY seq",
                &[&period],
            )
            .map_err(|e| db_error("listing runs", e))?;
        rows.iter().map(stored).collect()
    }

    fn run(&self, seq: i64) -> Result<Option<Stored>> {
        let row = self
            .client()?
            .query_opt("SELECT seq, record, record_hash FROM runs WHERE seq = $1", &[&seq])
            .map_err(|e| db_error("reading a run", e))?;
        row.as_ref().map(stored).transpose()
    }

    fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let row = self
            .client()?
            .query_opt("SELECT bytes FROM blobs WHERE hash = $1", &[&hash])
            .map_err(|e| db_error("reading a blob", e))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn blob_hashes(&self) -> Result<Vec<String>> {
        let rows = self
            .client()?
            .query("SELECT hash FROM blobs ORDER BY hash", &[])
            .map_err(|e| db_error("listing blobs", e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn close(&self, period: &str, run: i64, by: &str, at: &str) -> Result<()> {
        self.client()?
            .execute(
                "INSERT INTO closures (period, run, closed_by, closed_at) VALUES ($1, $2, $3, $4)",
                &[&period, &run, &by, &at],
            )
            .map_err(|e| db_error(&format!("closing period {period}"), e))?;
        Ok(())
    }

    fn closed(&self, period: &str) -> Result<Option<i64>> {
        let row = self
            .client()?
            .query_opt("SELECT run FROM closures WHERE period = $1", &[&period])
            .map_err(|e| db_error("reading a closure", e))?;
        Ok(row.map(|r| r.get(0)))
    }
}
