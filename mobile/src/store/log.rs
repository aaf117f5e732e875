//! The append-only log, its sync queue and the photo files awaiting upload.

use super::{views, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use zhucun_shared::ids::RecordId;
use zhucun_shared::record::{DeviceRecord, RecordBody};

/// What is waiting to go to the server.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueState {
    /// Highest seq written.
    pub last_seq: u64,
    /// Highest seq the server confirmed holding (with everything before it).
    pub confirmed_seq: u64,
    pub pending_records: u64,
    pub pending_photos: u64,
    pub pending_photo_bytes: u64,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A photo file the server does not hold completely yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPhoto {
    pub sha256: String,
    pub bytes: u64,
    /// Bytes the server is known to hold.
    pub uploaded: u64,
}

/// Counts the statements of one write, failing at the configured one (simulated crash).
pub(super) struct Steps {
    n: usize,
    limit: Option<usize>,
}

impl Steps {
    pub(super) fn next(&mut self) -> Result<()> {
        self.n += 1;
        if self.limit.is_some_and(|l| self.n > l) {
            return Err(StoreError::Interrupted(self.n));
        }
        Ok(())
    }
}

impl Store {
    fn steps(&self) -> Steps {
        #[cfg(test)]
        let limit = self.interrupt_after;
        #[cfg(not(test))]
        let limit = None;
        Steps { n: 0, limit }
    }

    /// Appends a record with the next seq and updates the views, in one transaction.
    pub fn append(&mut self, captured_at: DateTime<Utc>, body: RecordBody) -> Result<DeviceRecord> {
        self.append_with_file(captured_at, body, None)
    }

    /// Appends a `Photo` record together with its file.
    pub fn append_photo(
        &mut self,
        captured_at: DateTime<Utc>,
        body: RecordBody,
        data: &[u8],
    ) -> Result<DeviceRecord> {
        self.append_with_file(captured_at, body, Some(data))
    }

    fn append_with_file(
        &mut self,
        captured_at: DateTime<Utc>,
        body: RecordBody,
        file: Option<&[u8]>,
    ) -> Result<DeviceRecord> {
        let who = self.identity()?.ok_or(StoreError::NotEnrolled)?;
        let mut steps = self.steps();
        // IMMEDIATE: take the write lock first, so the seq read below cannot race another writer.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: u64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| {
            r.get(0)
        })?;
        steps.next()?;
        let record = DeviceRecord {
            id: RecordId::new(),
            device_id: who.device_id,
            seq: last + 1,
            person_id: who.person_id,
            captured_at,
            body,
            received: None,
        };
        tx.execute(
            "INSERT INTO records (seq, id, type, captured_at, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                record.seq,
                record.id.to_string(),
                record.body.type_name(),
                views::time(&record.captured_at),
                serde_json::to_string(&record)?,
            ],
        )?;
        steps.next()?;
        if let (
            Some(data),
            RecordBody::Photo {
                sha256,
                attached_to,
                ..
            },
        ) = (file, &record.body)
        {
            tx.execute(
                "INSERT INTO photos (sha256, record_id, attached_to, bytes, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (sha256) DO NOTHING",
                params![
                    sha256,
                    record.id.to_string(),
                    attached_to.to_string(),
                    data.len() as u64,
                    data
                ],
            )?;
            steps.next()?;
        }
        views::apply(&tx, &record, &mut steps)?;
        tx.commit()?;
        Ok(record)
    }

    /// Highest seq written (0 for an empty log).
    pub fn last_seq(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| {
                r.get(0)
            })?)
    }

    /// Records with seq greater than `after`, in order, at most `limit`.
    pub fn records_after(&self, after: u64, limit: usize) -> Result<Vec<DeviceRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![after, limit as i64], |r| r.get::<_, String>(0))?;
        rows.map(|json| Ok(serde_json::from_str(&json?)?)).collect()
    }

    /// The whole log, in order.
    pub fn all_records(&self) -> Result<Vec<DeviceRecord>> {
        self.records_after(0, usize::MAX >> 1)
    }

    /// One record by id.
    pub fn record(&self, id: RecordId) -> Result<Option<DeviceRecord>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT json FROM records WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| Ok(serde_json::from_str(&j)?)).transpose()
    }

    /// Highest seq the server confirmed.
    pub fn confirmed_seq(&self) -> Result<u64> {
        Ok(self
            .meta("confirmed_seq")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Takes in the server's watermark. Only ever moves forward, and never past what was
    /// written: the queue is trimmed by what the server confirmed, nothing else.
    pub fn confirm(&self, server_contiguous_seq: u64) -> Result<u64> {
        let now = self.confirmed_seq()?;
        let next = now.max(server_contiguous_seq.min(self.last_seq()?));
        if next != now {
            self.set_meta("confirmed_seq", &next.to_string())?;
        }
        Ok(next)
    }

    pub fn pending_photos(&self) -> Result<Vec<PendingPhoto>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, bytes, uploaded FROM photos WHERE complete = 0 ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingPhoto {
                sha256: r.get(0)?,
                bytes: r.get(1)?,
                uploaded: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A photo's file, while it is kept.
    pub fn photo_data(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT data FROM photos WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?
            .flatten())
    }

    pub fn set_photo_uploaded(&self, sha256: &str, uploaded: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET uploaded = ?2 WHERE sha256 = ?1",
            params![sha256, uploaded],
        )?;
        Ok(())
    }

    /// The server holds the whole file: drop the local copy.
    pub fn set_photo_complete(&self, sha256: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET complete = 1, uploaded = bytes, data = NULL WHERE sha256 = ?1",
            [sha256],
        )?;
        Ok(())
    }

    pub fn queue_state(&self) -> Result<QueueState> {
        let last_seq = self.last_seq()?;
        let confirmed_seq = self.confirmed_seq()?;
        let (pending_photos, pending_photo_bytes): (u64, u64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(bytes - uploaded), 0) FROM photos WHERE complete = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let last_success = self
            .meta("last_sync_ok")?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(QueueState {
            last_seq,
            confirmed_seq,
            pending_records: last_seq.saturating_sub(confirmed_seq),
            pending_photos,
            pending_photo_bytes,
            last_success,
            last_error: self.meta("last_sync_error")?,
        })
    }

    pub fn set_sync_success(&self, at: DateTime<Utc>) -> Result<()> {
        self.set_meta("last_sync_ok", &at.to_rfc3339())?;
        self.delete_meta("last_sync_error")
    }

    pub fn set_sync_error(&self, message: &str) -> Result<()> {
        self.set_meta("last_sync_error", message)
    }
}
