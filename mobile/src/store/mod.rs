//! The phone's offline store (SQLite in WAL mode): the device's append-only record log, views
//! built from it in the same transaction, photo files awaiting upload, and the reference data
//! pulled from the server. A record, its view updates and its photo file are committed together,
//! so a phone killed at any instant keeps either all of them or none.

mod log;
mod reference;
mod schema;
mod views;

pub use log::{PendingPhoto, QueueState};
pub use reference::Reference;
pub use views::{DutySession, EntryRow, TrackPoint, VillageStay, VisitRow, TRACK_GAP_SECONDS};

use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use zhucun_shared::ids::{DeviceId, PersonId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("this phone is not enrolled yet")]
    NotEnrolled,
    #[error("stored value `{0}` is malformed")]
    Malformed(String),
    /// A simulated crash between two statements (tests only).
    #[error("interrupted at step {0}")]
    Interrupted(usize),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Who writes the log: the enrolled device and its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub device_id: DeviceId,
    pub person_id: PersonId,
}

pub struct Store {
    conn: Connection,
    /// Fail the next write after this many statements (simulated crash).
    #[cfg(test)]
    pub(crate) interrupt_after: Option<usize>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path`, in WAL mode, and migrates it.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// A store that lives in memory (tests, previews).
    pub fn in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store> {
        // WAL: a commit is one append to the log file, readers never block the writer, and a
        // torn write is discarded on the next open. FULL sync makes a commit survive power loss.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store {
            conn,
            #[cfg(test)]
            interrupt_after: None,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let done: usize = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(done) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    pub fn delete_meta(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    /// The enrolled device and its owner, once enrolled.
    pub fn identity(&self) -> Result<Option<Identity>> {
        let (Some(d), Some(p)) = (self.meta("device_id")?, self.meta("person_id")?) else {
            return Ok(None);
        };
        let device_id = d.parse().map_err(|_| StoreError::Malformed(d))?;
        let person_id = p.parse().map_err(|_| StoreError::Malformed(p))?;
        Ok(Some(Identity {
            device_id,
            person_id,
        }))
    }

    /// Records who owns the log. The server's watermark for a re-enrolled device becomes the
    /// confirmed point, so nothing it already holds is pushed again.
    pub fn set_identity(&self, id: Identity, server_contiguous_seq: u64) -> Result<()> {
        self.set_meta("device_id", &id.device_id.to_string())?;
        self.set_meta("person_id", &id.person_id.to_string())?;
        self.confirm(server_contiguous_seq)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
