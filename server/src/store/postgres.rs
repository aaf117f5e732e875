//! The PostgreSQL backend, for a county's shared server.

use super::StoreResult;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) read: PgPool,
    /// The same pool as `read`: PostgreSQL takes concurrent writers.
    pub(crate) write: PgPool,
}

impl PgStore {
    /// Connects to `url` and applies the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(15))
            .connect(url)
            .await?;
        super::migrations::postgres().run(&pool).await?;
        Ok(Self {
            read: pool.clone(),
            write: pool,
        })
    }

    /// The pool, for tools that insert rows directly (the ingest benchmark).
    pub fn write_pool(&self) -> &PgPool {
        &self.write
    }
}

/// The database the statements of `queries/` run on here.
type Db = sqlx::Postgres;
/// The store they implement [`super::Store`] for.
type Backend = PgStore;

/// Every statement, compiled for PostgreSQL (and once more for SQLite, in `sqlite.rs`).
#[allow(clippy::duplicate_mod)]
#[path = "queries/mod.rs"]
mod queries;
