//! The append-only log, its sync queue and the photo files awaiting upload.

use super::{views, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use zhucun_shared::ids::{DeviceId, RecordId};
use zhucun_shared::record::{DeviceRecord, RecordBody};

/// What is waiting to go to the server.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueState {
    /// Highest local seq written.
    pub last_seq: u64,
    /// Highest local seq up to which every record is held by the server or set aside.
    pub confirmed_seq: u64,
    pub pending_records: u64,
    pub pending_photos: u64,
    pub pending_photo_bytes: u64,
    /// Records and photos the server refused (未能上传), with its message. Kept on the phone.
    pub set_aside: Vec<SetAside>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A record or photo the server refused, kept and no longer sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
    /// The record's type (`activity`, `photo`, …).
    pub what: String,
    pub message: String,
}

/// What the server's watermark for this device says about the phone's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watermark {
    /// Consistent with what the phone confirmed.
    Consistent,
    /// The server holds fewer records than confirmed (it was restored): the confirmed point
    /// moved back to the server's and those records go again.
    Rewound,
    /// The server holds more of this device's log than the phone ever wrote: the phone's log
    /// is a restored backup or a copy. It must continue as a new device.
    Forked,
}

/// A photo or attached file the server does not hold completely yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPhoto {
    pub sha256: String,
    pub bytes: u64,
    /// Bytes the server is known to hold.
    pub uploaded: u64,
    pub kind: FileKind,
}

/// What a kept file is, which decides where it is uploaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A photo record's picture: evidence of a visit or an activity.
    Photo,
    /// A file a report carries: a document or a picture.
    Attachment,
}

impl FileKind {
    fn code(self) -> &'static str {
        match self {
            FileKind::Photo => "photo",
            FileKind::Attachment => "document",
        }
    }
    fn from_code(code: &str) -> Self {
        if code == "document" {
            FileKind::Attachment
        } else {
            FileKind::Photo
        }
    }
}

/// A file chosen to go with a report, kept on the phone until the server holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachedFile {
    pub name: String,
    pub data: Vec<u8>,
}

impl AttachedFile {
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.data))
    }
}

impl std::fmt::Debug for AttachedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AttachedFile({:?}, {} bytes)",
            self.name,
            self.data.len()
        )
    }
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
    pub(super) fn steps(&self) -> Steps {
        #[cfg(test)]
        let limit = self.interrupt_after;
        #[cfg(not(test))]
        let limit = None;
        Steps { n: 0, limit }
    }

    /// Appends a record with the next seq and updates the views, in one transaction.
    pub fn append(&mut self, captured_at: DateTime<Utc>, body: RecordBody) -> Result<DeviceRecord> {
        self.append_with_files(captured_at, body, &[])
    }

    /// Appends a `Photo` record together with its file.
    pub fn append_photo(
        &mut self,
        captured_at: DateTime<Utc>,
        body: RecordBody,
        data: &[u8],
    ) -> Result<DeviceRecord> {
        let sha256 = match &body {
            RecordBody::Photo { sha256, .. } => sha256.clone(),
            _ => hex::encode(Sha256::digest(data)),
        };
        self.append_with_files(captured_at, body, &[(sha256, FileKind::Photo, None, data)])
    }

    /// Appends a `Report` record together with the files it carries, whose SHA-256 are its
    /// `attachments`: the record and every file, or nothing.
    pub fn append_report(
        &mut self,
        captured_at: DateTime<Utc>,
        body: RecordBody,
        files: &[AttachedFile],
    ) -> Result<DeviceRecord> {
        let kept: Vec<_> = files
            .iter()
            .map(|f| {
                (
                    f.sha256(),
                    FileKind::Attachment,
                    Some(f.name.as_str()),
                    f.data.as_slice(),
                )
            })
            .collect();
        self.append_with_files(captured_at, body, &kept)
    }

    /// `captured_at` is the phone's clock: the record is checked against it with the same rules
    /// the server applies (a phone clock before 2020 refuses everything), so nothing the server
    /// would refuse enters the log.
    fn append_with_files(
        &mut self,
        captured_at: DateTime<Utc>,
        body: RecordBody,
        files: &[(String, FileKind, Option<&str>, &[u8])],
    ) -> Result<DeviceRecord> {
        let who = self.identity()?.ok_or(StoreError::NotEnrolled)?;
        let base = self.seq_base()?;
        let mut steps = self.steps();
        // IMMEDIATE: take the write lock first, so the seq read below cannot race another writer.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let local = max_seq(&tx)? + 1;
        steps.next()?;
        let record = DeviceRecord {
            id: RecordId::new(),
            device_id: who.device_id,
            seq: local - base,
            person_id: who.person_id,
            captured_at,
            body,
            received: None,
        };
        record.validate(captured_at).map_err(StoreError::Invalid)?;
        tx.execute(
            "INSERT INTO records (seq, id, type, captured_at, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                local,
                record.id.to_string(),
                record.body.type_name(),
                views::time(&record.captured_at),
                serde_json::to_string(&record)?,
            ],
        )?;
        steps.next()?;
        // A photo belongs with what it is attached to; a report's files with the report.
        let attached_to = match &record.body {
            RecordBody::Photo { attached_to, .. } => *attached_to,
            _ => record.id,
        };
        for (sha256, kind, name, data) in files {
            tx.execute(
                "INSERT INTO photos (sha256, record_id, attached_to, bytes, data, kind, name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (sha256) DO NOTHING",
                params![
                    sha256,
                    record.id.to_string(),
                    attached_to.to_string(),
                    data.len() as u64,
                    data,
                    kind.code(),
                    name
                ],
            )?;
            steps.next()?;
        }
        views::apply(&tx, &record, &mut steps)?;
        tx.commit()?;
        Ok(record)
    }

    /// Highest local seq written (0 for an empty log).
    pub fn last_seq(&self) -> Result<u64> {
        max_seq(&self.conn)
    }

    /// The local seq after which the current device's log starts (0 until the log forked).
    pub fn seq_base(&self) -> Result<u64> {
        self.meta_u64("seq_base")
    }

    fn meta_u64(&self, key: &str) -> Result<u64> {
        super::meta_u64_in(&self.conn, key)
    }

    /// Records with local seq greater than `after`, in order, at most `limit`.
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

    /// Highest local seq up to which the server acknowledged every record (or it was set
    /// aside). Records are never removed: only this point moves.
    pub fn confirmed_seq(&self) -> Result<u64> {
        self.meta_u64("confirmed_seq")
    }

    /// The server acknowledged every record up to local seq `upto` (a push answered without a
    /// conflict on them). Only ever moves forward, and never past what was written.
    pub fn confirm(&self, upto: u64) -> Result<u64> {
        let now = self.confirmed_seq()?;
        let next = now.max(upto.min(self.last_seq()?));
        if next != now {
            self.set_meta("confirmed_seq", &next.to_string())?;
        }
        Ok(next)
    }

    /// The records still to push, as (local seq, record): after the confirmed point, not set
    /// aside, in order, at most `limit`.
    pub fn unconfirmed(&self, limit: usize) -> Result<Vec<(u64, DeviceRecord)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, json FROM records
             WHERE seq > ?1 AND seq NOT IN (SELECT seq FROM quarantine)
             ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![self.confirmed_seq()?, limit as i64], |r| {
            Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (seq, json) = row?;
            Ok((seq, serde_json::from_str(&json)?))
        })
        .collect()
    }

    /// Sets a record the server refused aside, with the server's message. It stays in the log.
    pub fn quarantine(&self, local_seq: u64, message: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO quarantine (seq, message, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (seq) DO UPDATE SET message = excluded.message",
            params![local_seq, message, views::time(&at)],
        )?;
        Ok(())
    }

    /// Sends everything set aside again at the next sync: once the office has fixed what the
    /// server refused (a posting missing, say), a record or file it refused may now be taken.
    /// The confirmed point moves back to before the first such record (the server takes the
    /// records it already holds as duplicates). Files whose content is gone stay set aside.
    /// Records set aside before the log forked stay aside: they belong to the old device's log,
    /// which this phone no longer pushes. Returns how many records and files will be sent
    /// again. One transaction.
    pub fn retry_set_aside(&mut self) -> Result<usize> {
        let base = self.seq_base()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let first: Option<u64> = tx.query_row(
            "SELECT MIN(seq) FROM quarantine WHERE seq > ?1",
            [base],
            |r| r.get(0),
        )?;
        let confirmed = super::meta_u64_in(&tx, "confirmed_seq")?;
        if let Some(first) = first {
            let back = confirmed.min(first - 1);
            super::put_meta(&tx, "confirmed_seq", &back.to_string())?;
        }
        let records = tx.execute("DELETE FROM quarantine WHERE seq > ?1", [base])?;
        let files = tx.execute(
            "UPDATE photos SET refused = NULL, uploaded = 0
             WHERE refused IS NOT NULL AND data IS NOT NULL",
            [],
        )?;
        tx.commit()?;
        Ok(records + files)
    }

    /// Compares the server's watermark for the current device (its own seq numbers) with the
    /// log. The server counts a seq as held whatever content it holds there, so the watermark
    /// never confirms anything; it only reveals a restored server or a forked log.
    pub fn check_watermark(&self, server_contiguous_seq: u64) -> Result<Watermark> {
        let base = self.seq_base()?;
        let held = base + server_contiguous_seq;
        if held > self.last_seq()? {
            return Ok(Watermark::Forked);
        }
        // The server can never hold a set-aside record, so it stops short of the first one.
        let first_set_aside: Option<u64> = self.conn.query_row(
            "SELECT MIN(seq) FROM quarantine WHERE seq > ?1",
            [base],
            |r| r.get(0),
        )?;
        let confirmed = self.confirmed_seq()?;
        let expected = confirmed.min(first_set_aside.map_or(u64::MAX, |q| q - 1));
        if held < expected {
            self.set_meta("confirmed_seq", &held.to_string())?;
            return Ok(Watermark::Rewound);
        }
        Ok(Watermark::Consistent)
    }

    /// Continues the log as `device`, newly enrolled: every record after the confirmed point
    /// is re-logged under the new device with fresh seqs from 1 (ids unchanged: the server
    /// never accepted them). One transaction; nothing is deleted.
    pub fn fork(&mut self, device: DeviceId) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let base = super::meta_u64_in(&tx, "confirmed_seq")?;
        let rows: Vec<(u64, String)> = {
            let mut stmt =
                tx.prepare("SELECT seq, json FROM records WHERE seq > ?1 ORDER BY seq")?;
            let rows = stmt.query_map([base], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let moved = rows.len() as u64;
        for (local, json) in rows {
            let mut rec: DeviceRecord = serde_json::from_str(&json)?;
            rec.device_id = device;
            rec.seq = local - base;
            tx.execute(
                "UPDATE records SET json = ?2 WHERE seq = ?1",
                params![local, serde_json::to_string(&rec)?],
            )?;
        }
        super::put_meta(&tx, "device_id", &device.to_string())?;
        super::put_meta(&tx, "seq_base", &base.to_string())?;
        tx.commit()?;
        Ok(moved)
    }

    pub fn pending_photos(&self) -> Result<Vec<PendingPhoto>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, bytes, uploaded, kind FROM photos
             WHERE complete = 0 AND refused IS NULL ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingPhoto {
                sha256: r.get(0)?,
                bytes: r.get(1)?,
                uploaded: r.get(2)?,
                kind: FileKind::from_code(&r.get::<_, String>(3)?),
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

    /// The server refused the file: keep it, stop sending it, and say why.
    pub fn refuse_photo(&self, sha256: &str, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET refused = ?2 WHERE sha256 = ?1",
            params![sha256, message],
        )?;
        Ok(())
    }

    pub fn queue_state(&self) -> Result<QueueState> {
        let last_seq = self.last_seq()?;
        let confirmed_seq = self.confirmed_seq()?;
        let pending_records: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM records
             WHERE seq > ?1 AND seq NOT IN (SELECT seq FROM quarantine)",
            [confirmed_seq],
            |r| r.get(0),
        )?;
        let (pending_photos, pending_photo_bytes): (u64, u64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(bytes - uploaded), 0) FROM photos
             WHERE complete = 0 AND refused IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut set_aside = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.type, q.message FROM quarantine q JOIN records r ON r.seq = q.seq
             UNION ALL
             SELECT 'photo', refused FROM photos WHERE refused IS NOT NULL",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (what, message) = row?;
            set_aside.push(SetAside { what, message });
        }
        let last_success = self
            .meta("last_sync_ok")?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(QueueState {
            last_seq,
            confirmed_seq,
            pending_records,
            pending_photos,
            pending_photo_bytes,
            set_aside,
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

/// Highest local seq in the log (0 when empty).
fn max_seq(conn: &rusqlite::Connection) -> Result<u64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| {
            r.get(0)
        })?,
    )
}
