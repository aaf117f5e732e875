//! The phone's offline store (SQLite in WAL mode): the device's append-only record log, views
//! built from it in the same transaction, photo files awaiting upload, and the reference data
//! pulled from the server. A record, its view updates and its photo file are committed together,
//! so a phone killed at any instant keeps either all of them or none.

mod households;
mod leave;
mod log;
mod reference;
mod schema;
mod views;

pub use log::{AttachedFile, FileKind, PendingPhoto, QueueState, SetAside, Watermark};
pub use reference::Reference;
pub use views::{DutySession, EntryRow, LocationGap, TrackPoint, VillageStay, VisitRow};

use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use zhucun_shared::ids::{DeviceId, PersonId};

/// A failure of the phone's store. Its text is what the cadre reads; the details (SQLite's or
/// serde's own words) are in `Debug`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}", crate::strings::ERR_STORAGE)]
    Sql(#[from] rusqlite::Error),
    #[error("{}", crate::strings::ERR_STORED_DATA)]
    Json(#[from] serde_json::Error),
    #[error("{}", crate::strings::ERR_NOT_ENROLLED)]
    NotEnrolled,
    /// The record breaks a rule the server would refuse it for; the message is for the cadre.
    #[error("{}", crate::strings::refused_field(&.0.field))]
    Invalid(zhucun_shared::record::FieldError),
    /// A stored value (named) is malformed.
    #[error("{}", crate::strings::ERR_STORED_DATA)]
    Malformed(String),
    /// A simulated crash between two statements (tests only); to the cadre, like any failed
    /// write.
    #[error("{}", crate::strings::ERR_STORAGE)]
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
    /// The reference data as last read: read and parsed (rules and calendar included) once,
    /// not on every fix. Only `save_pull` writes reference data, and it clears this.
    reference: std::cell::RefCell<Option<Reference>>,
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
            reference: Default::default(),
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
            let mut steps = self.steps();
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            if schema::REBUILD_VIEWS_AT.contains(&(i + 1)) {
                views::rebuild(&tx, &mut steps)?;
            }
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Rebuilds the views of visits, duty sessions and village check-ins from the log; they
    /// read the same as the ones kept up to date record by record.
    pub fn rebuild_views(&mut self) -> Result<()> {
        let mut steps = self.steps();
        let tx = self.conn.transaction()?;
        views::rebuild(&tx, &mut steps)?;
        tx.commit()?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        put_meta(&self.conn, key, value)
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

    /// Records who owns the log (tests, the demo). A new device's log starts after what is
    /// already written; `confirmed` is the local seq up to which the server holds everything.
    pub fn set_identity(&mut self, id: Identity, confirmed: u64) -> Result<()> {
        let tx = self.conn.transaction()?;
        put_meta(&tx, "device_id", &id.device_id.to_string())?;
        put_meta(&tx, "person_id", &id.person_id.to_string())?;
        put_meta(&tx, "confirmed_seq", &confirmed.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps a signed-in session: token, server, name and identity together, in one
    /// transaction, so a phone killed while signing in never holds half of one. A newly
    /// enrolled device starts its log after everything already written.
    pub fn save_session(&mut self, session: &Session<'_>) -> Result<()> {
        let last = self.last_seq()?;
        let new_device = self.identity()?.map(|i| i.device_id) != Some(session.identity.device_id);
        let tx = self.conn.transaction()?;
        put_meta(&tx, "token", session.token)?;
        put_meta(&tx, "server_url", session.server_url)?;
        put_meta(&tx, "person_name", session.person_name)?;
        put_meta(&tx, "device_id", &session.identity.device_id.to_string())?;
        put_meta(&tx, "person_id", &session.identity.person_id.to_string())?;
        if new_device {
            put_meta(&tx, "seq_base", &last.to_string())?;
            put_meta(&tx, "confirmed_seq", &last.to_string())?;
        }
        tx.execute("DELETE FROM meta WHERE key = 'session_expired'", [])?;
        tx.commit()?;
        Ok(())
    }

    /// The server no longer accepts the token: the cadre must sign in again. Nothing else
    /// changes; capture goes on.
    pub fn set_session_expired(&self) -> Result<()> {
        self.set_meta("session_expired", "1")
    }

    pub fn session_expired(&self) -> Result<bool> {
        Ok(self.meta("session_expired")?.is_some())
    }
}

/// A session to keep after signing in.
#[derive(Clone, Copy, Debug)]
pub struct Session<'a> {
    pub identity: Identity,
    pub token: &'a str,
    pub server_url: &'a str,
    pub person_name: &'a str,
}

/// A numeric meta value (0 when unset), read through `conn` (a transaction derefs to one).
fn meta_u64_in(conn: &Connection, key: &str) -> Result<u64> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

fn put_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod fold_tests;
#[cfg(test)]
mod tests;
