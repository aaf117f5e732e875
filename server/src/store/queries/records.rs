//! Reading the stored records back: a person's records by time and kind, their authors.

use super::{Db, DbRow};
use crate::store::sql::{parse, FIX_KINDS_SQL};
use crate::store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Pool, Row};
use std::collections::HashMap;
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::record::DeviceRecord;

fn record_row(r: &DbRow) -> StoreResult<DeviceRecord> {
    let Json(record): Json<DeviceRecord> = r.try_get("record")?;
    Ok(record)
}

const RECORD_COLUMNS: &str = "record";

/// A person's records captured in [`from`, `to`) that also meet `kinds` (an SQL condition on
/// `kind`, or empty), in the order of their capture.
async fn captured_between(
    read: &Pool<Db>,
    p: PersonId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kinds: &str,
) -> StoreResult<Vec<DeviceRecord>> {
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM device_records \
         WHERE person_id = $1 AND captured_at >= $2 AND captured_at < $3 {kinds} \
         ORDER BY captured_at, device_id, seq"
    ))
    .bind(p.to_string())
    .bind(from)
    .bind(to)
    .fetch_all(read)
    .await?
    .iter()
    .map(record_row)
    .collect()
}

pub(super) async fn records_of(
    read: &Pool<Db>,
    p: PersonId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<DeviceRecord>> {
    captured_between(read, p, from, to, "").await
}

pub(super) async fn record_authors(
    read: &Pool<Db>,
    ids: &[RecordId],
) -> StoreResult<HashMap<RecordId, (PersonId, DateTime<Utc>)>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, person_id, captured_at FROM device_records WHERE id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(read).await? {
            out.insert(
                parse("device_records.id", &row.try_get::<String, _>("id")?)?,
                (
                    parse(
                        "device_records.person_id",
                        &row.try_get::<String, _>("person_id")?,
                    )?,
                    row.try_get::<DateTime<Utc>, _>("captured_at")?,
                ),
            );
        }
    }
    Ok(out)
}

pub(super) async fn fix_records_of(
    read: &Pool<Db>,
    p: PersonId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<DeviceRecord>> {
    captured_between(
        read,
        p,
        from,
        to,
        &format!("AND kind IN {}", *FIX_KINDS_SQL),
    )
    .await
}

pub(super) async fn records_except_fixes_of(
    read: &Pool<Db>,
    p: PersonId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<DeviceRecord>> {
    captured_between(read, p, from, to, "AND kind <> 'fix'").await
}

pub(super) async fn retractions_of(read: &Pool<Db>, p: PersonId) -> StoreResult<Vec<DeviceRecord>> {
    sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM device_records \
         WHERE person_id = $1 AND kind = 'retraction' ORDER BY captured_at, device_id, seq"
    ))
    .bind(p.to_string())
    .fetch_all(read)
    .await?
    .iter()
    .map(record_row)
    .collect()
}

pub(super) async fn notes_of(
    read: &Pool<Db>,
    p: PersonId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<DeviceRecord>> {
    captured_between(read, p, from, to, "AND kind = 'note'").await
}

pub(super) async fn leave_requests_of(
    read: &Pool<Db>,
    people: &[PersonId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<DeviceRecord>> {
    let mut out = Vec::new();
    for p in people {
        out.extend(
            captured_between(
                read,
                *p,
                from,
                to,
                "AND kind IN ('leave_request', 'retraction')",
            )
            .await?,
        );
    }
    Ok(out)
}
