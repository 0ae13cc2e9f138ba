//! Storage: one code path over SQLite (embedded default) and PostgreSQL (production).
//!
//! Native pools behind an enum rather than `AnyPool`: `Any` loses types (bool, i64 sums) and
//! fails rows at run time. The `with_db!` macro expands the same body once per engine, so a
//! query is written once (with `$N` placeholders, which both engines accept) and type-checked
//! twice. Large multi-row statements use [`Db::placeholders`], because `$N` costs O(n²) on
//! SQLite for many parameters.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs `$body` with `$pool` bound to the engine's native pool.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Pg($pool) => $body,
        }
    };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens the database named by `url`: `postgres://…` or `sqlite://path` (created if absent).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // statement_timeout bounds a runaway query; the pool is sized for a 2-core app
            // server sharing the database with others (stateless servers scale out).
            let opts = PgConnectOptions::from_str(url)?
                .options([("statement_timeout", "30s"), ("timezone", "UTC")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .idle_timeout(Duration::from_secs(300))
                .connect_with(opts)
                .await?;
            Ok(Db::Pg(pool))
        } else {
            // WAL lets readers run beside the single writer; synchronous=FULL because a
            // recorded payment must survive power loss; busy_timeout waits out the writer.
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Pg(_) => Engine::Postgres,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Pg(p) => PG_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// `(size, idle)` of the pool, for /metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        with_db!(self, p => (p.size(), p.num_idle()))
    }

    pub async fn ping(&self) -> bool {
        with_db!(self, p => sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    pub async fn close(&self) {
        with_db!(self, p => p.close().await)
    }

    /// Placeholders for a multi-row VALUES list: `(?,?),(?,?)` on SQLite, `($1,$2),($3,$4)` on
    /// PostgreSQL.
    pub fn placeholders(&self, rows: usize, cols: usize) -> String {
        placeholders(self.engine(), rows, cols)
    }
}

pub fn placeholders(engine: Engine, rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 4);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push(',');
            }
            n += 1;
            match engine {
                Engine::Sqlite => out.push('?'),
                Engine::Postgres => {
                    out.push('$');
                    out.push_str(&n.to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// Unix time in microseconds, UTC: how every timestamp is stored (portable and exact on both
/// engines; SQLite keeps ns and PostgreSQL µs in their native types, which breaks equality).
/// Integer ids as a comma-separated SQL list (integers are safe to format into the text).
pub fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

pub fn now_micros() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(d.as_micros()).expect("time fits i64")
}

/// True when the error is a unique-constraint violation (both engines report it).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

pub fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_per_engine() {
        assert_eq!(placeholders(Engine::Sqlite, 2, 2), "(?,?),(?,?)");
        assert_eq!(
            placeholders(Engine::Postgres, 2, 3),
            "($1,$2,$3),($4,$5,$6)"
        );
    }
}

/// A dynamically typed bind value, for statements whose shape is built at run time (bulk
/// writes); ordinary queries bind typed values directly.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    I32(i32),
    I16(i16),
    OptI16(Option<i16>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::OptI64(v) => q.bind(*v),
                Arg::I32(v) => q.bind(*v),
                Arg::I16(v) => q.bind(*v),
                Arg::OptI16(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::OptText(v) => q.bind(v.as_deref()),
                Arg::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: a deferred
/// transaction that reads first and then writes fails at once (SQLITE_BUSY) if another
/// connection wrote in between, while an immediate one waits for the writer (busy timeout).
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Database>>> + Send;
}

impl BeginWrite for sqlx::SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for sqlx::PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

/// A transaction on either engine, for code that writes many statements of run-time shape.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_write().await?),
            Db::Pg(p) => Tx::Pg(p.begin_write().await?),
        })
    }
}

impl Tx {
    pub fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(_) => Engine::Sqlite,
            Tx::Pg(_) => Engine::Postgres,
        }
    }

    pub async fn execute(&mut self, sql: &str, args: &[Arg]) -> sqlx::Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Pg(tx) => bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a statement returning `(id, key)` rows, e.g. `INSERT … RETURNING id, code`.
    pub async fn fetch_keys(
        &mut self,
        sql: &str,
        args: &[Arg],
    ) -> sqlx::Result<Vec<(i64, String)>> {
        match self {
            Tx::Sqlite(tx) => {
                bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_all(&mut **tx)
                    .await
            }
            Tx::Pg(tx) => {
                bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_all(&mut **tx)
                    .await
            }
        }
    }

    /// Runs a statement returning one integer, e.g. `UPDATE … RETURNING n`.
    pub async fn fetch_i64(&mut self, sql: &str, args: &[Arg]) -> sqlx::Result<i64> {
        match self {
            Tx::Sqlite(tx) => {
                bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_one(&mut **tx)
                    .await
            }
            Tx::Pg(tx) => {
                bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_one(&mut **tx)
                    .await
            }
        }
    }

    /// Runs a statement returning integers, e.g. `UPDATE … RETURNING id`.
    pub async fn fetch_ids(&mut self, sql: &str, args: &[Arg]) -> sqlx::Result<Vec<i64>> {
        match self {
            Tx::Sqlite(tx) => {
                bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_all(&mut **tx)
                    .await
            }
            Tx::Pg(tx) => {
                bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_all(&mut **tx)
                    .await
            }
        }
    }

    /// Runs a statement returning one row, e.g. `INSERT … RETURNING *`.
    pub async fn fetch_row<T>(&mut self, sql: &str, args: &[Arg]) -> sqlx::Result<T>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        match self {
            Tx::Sqlite(tx) => {
                bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_one(&mut **tx)
                    .await
            }
            Tx::Pg(tx) => {
                bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args)
                    .fetch_one(&mut **tx)
                    .await
            }
        }
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Pg(tx) => tx.commit().await,
        }
    }
}
