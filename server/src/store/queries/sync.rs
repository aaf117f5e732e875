//! Sync: a device's push, stored in one transaction with the work it queues.

use super::day_facts::queue_days_tx;
use super::verdicts::{queue_marks, renew_history_mark};
use super::Db;
use crate::store::{
    leave_months, months_touched, renews_history, IncomingRecord, PushOutcome, StoreError,
    StoreResult,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{Pool, Row};
use std::collections::BTreeSet;
use zhucun_shared::ids::DeviceId;
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, NoteKind, RecordBody};
use zhucun_shared::sync::{Conflict, ConflictKind};

pub(super) async fn push_records(
    write: &Pool<Db>,
    device_id: DeviceId,
    records: &[IncomingRecord],
) -> StoreResult<PushOutcome> {
    let dev = device_id.to_string();
    let mut tx = write.begin().await?;
    // A no-op update takes the device's row lock on PostgreSQL, so that two
    // pushes of one device cannot interleave their watermark updates.
    let held: Option<i64> = sqlx::query_scalar(
        "UPDATE devices SET contiguous_seq = contiguous_seq WHERE id = $1 RETURNING contiguous_seq",
    )
    .bind(&dev)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(held) = held else {
        return Err(StoreError::Missing(format!("device {device_id}")));
    };
    let mut out = PushOutcome::default();
    // The person-months whose verdicts the stored records may change.
    let mut marks: BTreeSet<(String, String)> = Default::default();
    // The person-days whose day facts the stored records change: a fix's day, and
    // the day of a record its author withdraws.
    let mut days: BTreeSet<(String, NaiveDate)> = Default::default();
    // The authors whose history mark the stored records renew.
    let mut history: BTreeSet<String> = Default::default();
    // Whether this push stored the record right after the watermark: only then
    // can the watermark move.
    let mut closes_gap = false;
    for inc in records {
        let r = &inc.record;
        let seq = i64::try_from(r.seq)
            .map_err(|_| StoreError::Corrupt(format!("seq {} out of range", r.seq)))?;
        let receipt = r
            .received
            .ok_or_else(|| StoreError::Corrupt("record without receipt".into()))?;
        let inserted = sqlx::query(
            "INSERT INTO device_records (id, device_id, seq, person_id, kind, captured_at, \
             received_at, clock_offset_s, content_hash, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(r.id.to_string())
        .bind(&dev)
        .bind(seq)
        .bind(r.person_id.to_string())
        .bind(r.body.type_name())
        .bind(r.captured_at)
        .bind(receipt.received_at)
        .bind(receipt.clock_offset_s)
        .bind(&inc.content_hash)
        .bind(Json(r))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            out.stored += 1;
            closes_gap |= seq == held + 1;
            let author = r.person_id.to_string();
            match &r.body {
                RecordBody::Fix { .. } => {
                    days.insert((author.clone(), local_date(r.captured_at)));
                }
                RecordBody::Retraction { target, .. } => {
                    let withdrawn = sqlx::query(
                        "SELECT captured_at FROM device_records WHERE id = $1 AND person_id = $2",
                    )
                    .bind(target.to_string())
                    .bind(&author)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(w) = withdrawn {
                        let at: DateTime<Utc> = w.try_get("captured_at")?;
                        days.insert((author.clone(), local_date(at)));
                    }
                }
                _ => {}
            }
            for m in months_touched(r.captured_at, receipt.received_at) {
                marks.insert((author.clone(), m));
            }
            if renews_history(r.body.type_name(), r.captured_at, receipt.received_at) {
                history.insert(author.clone());
            }
            for sha in r.body.files() {
                // Another person's record using the same file now shows reuse.
                let users = sqlx::query(
                    "SELECT person_id, captured_at FROM record_files \
                     WHERE sha256 = $1 AND person_id <> $2",
                )
                .bind(sha)
                .bind(&author)
                .fetch_all(&mut *tx)
                .await?;
                for u in users {
                    let at: DateTime<Utc> = u.try_get("captured_at")?;
                    for m in months_touched(at, at) {
                        marks.insert((u.try_get("person_id")?, m));
                    }
                }
                sqlx::query(
                    "INSERT INTO record_files (sha256, record_id, person_id, captured_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(sha)
                .bind(r.id.to_string())
                .bind(r.person_id.to_string())
                .bind(r.captured_at)
                .execute(&mut *tx)
                .await?;
            }
            // A leave request changes the months it covers.
            for m in leave_months(&r.body) {
                marks.insert((author.clone(), m));
            }
            if let RecordBody::Note {
                attached_to,
                kind: Some(NoteKind::Finding { .. } | NoteKind::LeaveDecision { .. }),
                ..
            } = &r.body
            {
                // A finding changes the verdicts of the judged record's author;
                // a leave decision, those of the months the leave covers too.
                let judged = sqlx::query(
                    "SELECT person_id, captured_at, record FROM device_records WHERE id = $1",
                )
                .bind(attached_to.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(j) = judged {
                    let at: DateTime<Utc> = j.try_get("captured_at")?;
                    let Json(judged): Json<DeviceRecord> = j.try_get("record")?;
                    let whose: String = j.try_get("person_id")?;
                    for m in months_touched(at, at)
                        .into_iter()
                        .chain(leave_months(&judged.body))
                    {
                        marks.insert((whose.clone(), m));
                    }
                }
            }
            continue;
        }
        let held_rows = sqlx::query(
            "SELECT id, device_id, seq, content_hash FROM device_records \
             WHERE (device_id = $1 AND seq = $2) OR id = $3",
        )
        .bind(&dev)
        .bind(seq)
        .bind(r.id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let id = r.id.to_string();
        let same = held_rows.len() == 1 && {
            let h = &held_rows[0];
            h.try_get::<String, _>("id")? == id
                && h.try_get::<String, _>("device_id")? == dev
                && h.try_get::<i64, _>("seq")? == seq
                && h.try_get::<String, _>("content_hash")? == inc.content_hash
        };
        if same {
            out.duplicates += 1;
        } else {
            let mut seq_taken = false;
            for h in &held_rows {
                if h.try_get::<String, _>("device_id")? == dev && h.try_get::<i64, _>("seq")? == seq
                {
                    seq_taken = true;
                }
            }
            out.conflicts.push(Conflict {
                id: r.id,
                seq: r.seq,
                kind: if seq_taken {
                    ConflictKind::Seq
                } else {
                    ConflictKind::Id
                },
                reason: if seq_taken {
                    format!("序号 {} 已有内容不同的记录", r.seq)
                } else {
                    "记录编号已用于另一条记录".to_string()
                },
            });
        }
    }
    if closes_gap {
        // The end of the run of seqs that starts right after the watermark: the
        // first held seq whose successor is not held. The scan walks the
        // (device, seq) index from the watermark and stops at the first gap, so
        // a log full of gaps costs no more than one with none.
        let end: i64 = sqlx::query_scalar(
            "SELECT d.seq FROM device_records d WHERE d.device_id = $1 AND d.seq > $2 \
             AND NOT EXISTS (SELECT 1 FROM device_records n \
                             WHERE n.device_id = $1 AND n.seq = d.seq + 1) \
             ORDER BY d.seq LIMIT 1",
        )
        .bind(&dev)
        .bind(held)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE devices SET contiguous_seq = $2 WHERE id = $1")
            .bind(&dev)
            .bind(end)
            .execute(&mut *tx)
            .await?;
    }
    queue_marks(&mut tx, marks).await?;
    queue_days_tx(&mut tx, days).await?;
    for person in history {
        renew_history_mark(&mut tx, &person).await?;
    }
    tx.commit().await?;
    Ok(out)
}
