//! Verdicts: the re-evaluation queue, kept verdicts and their history.

use super::{Db, DbRow};
use crate::store::sql::parse;
use crate::store::{months_touched, KeptVerdict, QueuedMonth, StoreResult, VerdictVersion};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Pool, Row};
use std::collections::{BTreeSet, HashMap};
use zhucun_shared::ids::PersonId;

/// Queues person-months for re-evaluation within `tx`, with one fresh mark.
pub(super) async fn queue_marks(
    tx: &mut sqlx::Transaction<'_, Db>,
    marks: impl IntoIterator<Item = (String, String)>,
) -> StoreResult<()> {
    let mark = uuid::Uuid::now_v7().to_string();
    for (person, month) in marks {
        sqlx::query(
            "INSERT INTO verdict_queue (person_id, month, mark) VALUES ($1, $2, $3) \
             ON CONFLICT (person_id, month) DO UPDATE SET mark = excluded.mark",
        )
        .bind(person)
        .bind(month)
        .bind(&mark)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Appends `k` to the person-month's verdict history within `tx`, unless the last
/// version says the same.
async fn append_version(
    tx: &mut sqlx::Transaction<'_, Db>,
    person: &str,
    month: &str,
    k: &KeptVerdict,
) -> StoreResult<()> {
    let fingerprint = zhucun_shared::month_close::fingerprint(&k.report);
    let last: Option<String> = sqlx::query_scalar(
        "SELECT fingerprint FROM verdict_history WHERE person_id = $1 AND month = $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(person)
    .bind(month)
    .fetch_optional(&mut **tx)
    .await?;
    if last.as_deref() != Some(fingerprint.as_str()) {
        sqlx::query(
            "INSERT INTO verdict_history (person_id, month, since, fingerprint, report) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(person)
        .bind(month)
        .bind(k.evaluated_at)
        .bind(&fingerprint)
        .bind(Json(&k.report))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A kept verdict read back.
fn kept_row(r: &DbRow) -> StoreResult<KeptVerdict> {
    let Json(report) = r.try_get("report")?;
    Ok(KeptVerdict {
        report,
        evaluated_at: r.try_get("evaluated_at")?,
        basis: r.try_get("basis")?,
    })
}

fn queued_month(r: &DbRow) -> StoreResult<QueuedMonth> {
    Ok(QueuedMonth {
        person_id: parse(
            "verdict_queue.person_id",
            &r.try_get::<String, _>("person_id")?,
        )?,
        month: r.try_get("month")?,
        mark: r.try_get("mark")?,
        claimed_by: r.try_get("claimed_by")?,
    })
}

fn verdict_version(r: &DbRow) -> StoreResult<VerdictVersion> {
    let Json(report) = r.try_get("report")?;
    Ok(VerdictVersion {
        report,
        since: r.try_get("since")?,
    })
}

pub(super) async fn mark_dirty(write: &Pool<Db>, marks: &[(PersonId, String)]) -> StoreResult<()> {
    let mut tx = write.begin().await?;
    let owned: Vec<(String, String)> = marks
        .iter()
        .map(|(p, m)| (p.to_string(), m.clone()))
        .collect();
    queue_marks(&mut tx, owned).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn dirty(read: &Pool<Db>, limit: u32) -> StoreResult<Vec<QueuedMonth>> {
    sqlx::query("SELECT person_id, month, mark, claimed_by FROM verdict_queue ORDER BY month, person_id LIMIT $1")
        .bind(i64::from(limit))
        .fetch_all(read).await?
        .iter()
        .map(queued_month)
        .collect()
}

pub(super) async fn claim_dirty(
    write: &Pool<Db>,
    limit: u32,
    claimant: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<Vec<QueuedMonth>> {
    // PostgreSQL: rows another worker is claiming are skipped, not waited for;
    // one it claimed meanwhile is seen claimed when re-read under the lock.
    // SQLite has one writer, so the update alone is the claim.
    let lock = if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE verdict_queue SET claimed_by = $1, claimed_until = $2 \
         WHERE (person_id, month) IN (SELECT person_id, month FROM verdict_queue \
         WHERE claimed_until IS NULL OR claimed_until < $3 \
         ORDER BY month, person_id LIMIT $4{lock}) \
         RETURNING person_id, month, mark, claimed_by"
    );
    let mut out = sqlx::query(&sql)
        .bind(claimant)
        .bind(until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(write)
        .await?
        .iter()
        .map(queued_month)
        .collect::<StoreResult<Vec<_>>>()?;
    out.sort_by(|a, b| (&a.month, a.person_id).cmp(&(&b.month, b.person_id)));
    Ok(out)
}

pub(super) async fn renew_claims(
    write: &Pool<Db>,
    claimant: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<u64> {
    renew_leases(write, "verdict_queue", claimant, now, until).await
}

/// Extends to `until` the leases `claimant` holds in `table` (a table of claims with
/// `claimed_by` and `claimed_until`) that still run at `now`; answers how many.
pub(super) async fn renew_leases(
    write: &Pool<Db>,
    table: &'static str,
    claimant: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<u64> {
    let sql = format!(
        "UPDATE {table} SET claimed_until = $3 WHERE claimed_by = $1 AND claimed_until >= $2"
    );
    let done = sqlx::query(&sql)
        .bind(claimant)
        .bind(now)
        .bind(until)
        .execute(write)
        .await?;
    Ok(done.rows_affected())
}

pub(super) async fn settle(write: &Pool<Db>, q: &QueuedMonth) -> StoreResult<()> {
    let done =
        sqlx::query("DELETE FROM verdict_queue WHERE person_id = $1 AND month = $2 AND mark = $3")
            .bind(q.person_id.to_string())
            .bind(&q.month)
            .bind(&q.mark)
            .execute(write)
            .await?;
    if done.rows_affected() == 0 {
        if let Some(claimant) = &q.claimed_by {
            sqlx::query(
                "UPDATE verdict_queue SET claimed_by = NULL, claimed_until = NULL \
                 WHERE person_id = $1 AND month = $2 AND claimed_by = $3",
            )
            .bind(q.person_id.to_string())
            .bind(&q.month)
            .bind(claimant)
            .execute(write)
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn verdict_as_of(
    read: &Pool<Db>,
    p: PersonId,
    month: &str,
    at: DateTime<Utc>,
) -> StoreResult<Option<VerdictVersion>> {
    sqlx::query(
        "SELECT report, since FROM verdict_history \
         WHERE person_id = $1 AND month = $2 AND since <= $3 \
         ORDER BY since DESC, id DESC LIMIT 1",
    )
    .bind(p.to_string())
    .bind(month)
    .bind(at)
    .fetch_optional(read)
    .await?
    .as_ref()
    .map(verdict_version)
    .transpose()
}

pub(super) async fn verdict_versions(
    read: &Pool<Db>,
    p: PersonId,
    month: &str,
) -> StoreResult<Vec<VerdictVersion>> {
    sqlx::query(
        "SELECT report, since FROM verdict_history WHERE person_id = $1 AND month = $2 ORDER BY id",
    )
    .bind(p.to_string())
    .bind(month)
    .fetch_all(read)
    .await?
    .iter()
    .map(verdict_version)
    .collect()
}

pub(super) async fn pending(
    read: &Pool<Db>,
    month: &str,
    people: &[PersonId],
) -> StoreResult<bool> {
    for chunk in people.chunks(500) {
        let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT COUNT(*) FROM verdict_queue WHERE month = $1 AND person_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(month);
        for p in chunk {
            q = q.bind(p.to_string());
        }
        if q.fetch_one(read).await? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) async fn history_marks(
    read: &Pool<Db>,
    people: &[PersonId],
) -> StoreResult<HashMap<PersonId, String>> {
    let mut out = HashMap::new();
    for chunk in people.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT person_id, mark FROM history_marks WHERE person_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(p.to_string());
        }
        for r in q.fetch_all(read).await? {
            let p = parse(
                "history_marks.person_id",
                &r.try_get::<String, _>("person_id")?,
            )?;
            out.insert(p, r.try_get("mark")?);
        }
    }
    Ok(out)
}

pub(super) async fn queued_people(read: &Pool<Db>, month: &str) -> StoreResult<BTreeSet<PersonId>> {
    sqlx::query_scalar::<_, String>("SELECT DISTINCT person_id FROM verdict_queue WHERE month = $1")
        .bind(month)
        .fetch_all(read)
        .await?
        .iter()
        .map(|p| parse("verdict_queue.person_id", p))
        .collect()
}

pub(super) async fn kept_verdict(
    read: &Pool<Db>,
    p: PersonId,
    month: &str,
) -> StoreResult<Option<KeptVerdict>> {
    sqlx::query(
        "SELECT report, evaluated_at, basis FROM kept_verdicts WHERE person_id = $1 AND month = $2",
    )
    .bind(p.to_string())
    .bind(month)
    .fetch_optional(read)
    .await?
    .as_ref()
    .map(kept_row)
    .transpose()
}

pub(super) async fn kept_verdicts(
    read: &Pool<Db>,
    month: &str,
    people: &[PersonId],
) -> StoreResult<HashMap<PersonId, KeptVerdict>> {
    let mut out = HashMap::new();
    for chunk in people.chunks(500) {
        let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT person_id, report, evaluated_at, basis FROM kept_verdicts \
             WHERE month = $1 AND person_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(month);
        for p in chunk {
            q = q.bind(p.to_string());
        }
        for r in q.fetch_all(read).await? {
            let p = parse(
                "kept_verdicts.person_id",
                &r.try_get::<String, _>("person_id")?,
            )?;
            out.insert(p, kept_row(&r)?);
        }
    }
    Ok(out)
}

pub(super) async fn keep_verdict(
    write: &Pool<Db>,
    p: PersonId,
    month: &str,
    k: &KeptVerdict,
) -> StoreResult<()> {
    let mut tx = write.begin().await?;
    sqlx::query(
        "INSERT INTO kept_verdicts (person_id, month, report, evaluated_at, basis) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, month) DO UPDATE SET \
         report = excluded.report, evaluated_at = excluded.evaluated_at, basis = excluded.basis",
    )
    .bind(p.to_string())
    .bind(month)
    .bind(Json(&k.report))
    .bind(k.evaluated_at)
    .bind(&k.basis)
    .execute(&mut *tx)
    .await?;
    append_version(&mut tx, &p.to_string(), month, k).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn replace_kept_verdict(
    write: &Pool<Db>,
    p: PersonId,
    month: &str,
    k: &KeptVerdict,
    was: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut tx = write.begin().await?;
    let done = sqlx::query(
        "UPDATE kept_verdicts SET report = $3, evaluated_at = $4, basis = $5 \
         WHERE person_id = $1 AND month = $2 AND evaluated_at = $6",
    )
    .bind(p.to_string())
    .bind(month)
    .bind(Json(&k.report))
    .bind(k.evaluated_at)
    .bind(&k.basis)
    .bind(was)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    append_version(&mut tx, &p.to_string(), month, k).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn recorded_months(read: &Pool<Db>) -> StoreResult<Vec<(PersonId, String)>> {
    let rows = sqlx::query(
        "SELECT person_id, MIN(captured_at) AS first, MAX(captured_at) AS last \
         FROM device_records GROUP BY person_id ORDER BY person_id",
    )
    .fetch_all(read)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let p: PersonId = parse(
            "device_records.person_id",
            &r.try_get::<String, _>("person_id")?,
        )?;
        let (first, last): (DateTime<Utc>, DateTime<Utc>) =
            (r.try_get("first")?, r.try_get("last")?);
        out.extend(months_touched(first, last).into_iter().map(|m| (p, m)));
    }
    Ok(out)
}

pub(super) async fn clear_kept_verdicts(write: &Pool<Db>) -> StoreResult<()> {
    sqlx::query("DELETE FROM kept_verdicts")
        .execute(write)
        .await?;
    Ok(())
}

/// Renews `person`'s history mark within `tx`: what evaluations keep in memory of their past
/// (`evaluation_memory`) is read again.
pub(super) async fn renew_history_mark(
    tx: &mut sqlx::Transaction<'_, Db>,
    person: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO history_marks (person_id, mark) VALUES ($1, $2) \
         ON CONFLICT (person_id) DO UPDATE SET mark = excluded.mark",
    )
    .bind(person)
    .bind(uuid::Uuid::now_v7().to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
