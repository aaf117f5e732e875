//! The SQLite backend: the default, one file under the data directory.

use super::StoreResult;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// SQLite allows one writer at a time. Writes go through a one-connection pool so that they
/// queue in the application instead of failing with SQLITE_BUSY; reads use their own pool and
/// see the last commit (WAL).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` and applies the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // Idle writers would otherwise be closed and an in-memory database lost with them.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        super::migrations::sqlite().run(&write).await?;
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.read_only(true))
                .await?
        };
        Ok(Self { read, write })
    }

    /// The pool that writes, for tools that insert rows directly (the ingest benchmark).
    pub fn write_pool(&self) -> &SqlitePool {
        &self.write
    }
}

/// The database the statements of `queries/` run on here.
type Db = sqlx::Sqlite;
/// The store they implement [`super::Store`] for.
type Backend = SqliteStore;

/// Every statement, compiled for SQLite (and once more for PostgreSQL, in `postgres.rs`).
#[allow(clippy::duplicate_mod)]
#[path = "queries/mod.rs"]
mod queries;
