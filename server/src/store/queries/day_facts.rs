//! Day facts: each person-day folded from the records, and the queue of days to fold again.

use super::verdicts::{renew_history_mark, renew_leases};
use super::{Db, DbRow};
use crate::store::sql::parse;
use crate::store::{renews_history_day, QueuedDay, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Pool, Row};
use zhucun_shared::day_facts::DayFacts;
use zhucun_shared::ids::PersonId;

/// Queues person-days for their day facts to be folded again within `tx`, with one
/// fresh mark.
pub(super) async fn queue_days_tx(
    tx: &mut sqlx::Transaction<'_, Db>,
    days: impl IntoIterator<Item = (String, NaiveDate)>,
) -> StoreResult<()> {
    let mark = uuid::Uuid::now_v7().to_string();
    for (person, day) in days {
        sqlx::query(
            "INSERT INTO day_facts_queue (person_id, day, mark) VALUES ($1, $2, $3) \
             ON CONFLICT (person_id, day) DO UPDATE SET mark = excluded.mark",
        )
        .bind(person)
        .bind(day)
        .bind(&mark)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn day_facts_row(r: &DbRow) -> StoreResult<(DayFacts, String)> {
    let text: String = r.try_get("facts")?;
    let facts = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("day_facts.facts: {e}")))?;
    Ok((facts, r.try_get("basis")?))
}

fn queued_day(r: &DbRow) -> StoreResult<QueuedDay> {
    Ok(QueuedDay {
        person_id: parse(
            "day_facts_queue.person_id",
            &r.try_get::<String, _>("person_id")?,
        )?,
        day: r.try_get("day")?,
        mark: r.try_get("mark")?,
    })
}

pub(super) async fn dirty_days(write: &Pool<Db>, limit: u32) -> StoreResult<Vec<QueuedDay>> {
    sqlx::query("SELECT person_id, day, mark FROM day_facts_queue ORDER BY person_id, day LIMIT $1")
        .bind(i64::from(limit))
        .fetch_all(write)
        .await?
        .iter()
        .map(queued_day)
        .collect()
}

pub(super) async fn claim_days(
    write: &Pool<Db>,
    limit: u32,
    claimant: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<Vec<QueuedDay>> {
    // The claim is one row per person. Of two workers upserting the same person, the second
    // (on PostgreSQL) waits for the first to commit and then finds the claim held, so its
    // update's condition fails and the person is not returned to it; SQLite has one writer.
    let people: Vec<String> = sqlx::query_scalar(
        "INSERT INTO day_facts_claims (person_id, claimed_by, claimed_until) \
         SELECT DISTINCT q.person_id, $1, $2 FROM day_facts_queue q \
         LEFT JOIN day_facts_claims c ON c.person_id = q.person_id \
         WHERE c.person_id IS NULL OR c.claimed_until < $3 OR c.claimed_by = $1 \
         ORDER BY q.person_id LIMIT $4 \
         ON CONFLICT (person_id) DO UPDATE \
         SET claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until \
         WHERE day_facts_claims.claimed_until < $3 \
         OR day_facts_claims.claimed_by = excluded.claimed_by \
         RETURNING person_id",
    )
    .bind(claimant)
    .bind(until)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(write)
    .await?;
    let mut out = Vec::new();
    for chunk in people.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT person_id, day, mark FROM day_facts_queue WHERE person_id IN ({}) \
             ORDER BY person_id, day",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(p);
        }
        for r in q.fetch_all(write).await? {
            out.push(queued_day(&r)?);
        }
    }
    Ok(out)
}

pub(super) async fn renew_day_claims(
    write: &Pool<Db>,
    claimant: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<u64> {
    renew_leases(write, "day_facts_claims", claimant, now, until).await
}

pub(super) async fn release_days(
    write: &Pool<Db>,
    person: PersonId,
    claimant: &str,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM day_facts_claims WHERE person_id = $1 AND claimed_by = $2")
        .bind(person.to_string())
        .bind(claimant)
        .execute(write)
        .await?;
    Ok(())
}

pub(super) async fn settle_day(write: &Pool<Db>, q: &QueuedDay) -> StoreResult<()> {
    sqlx::query("DELETE FROM day_facts_queue WHERE person_id = $1 AND day = $2 AND mark = $3")
        .bind(q.person_id.to_string())
        .bind(q.day)
        .bind(&q.mark)
        .execute(write)
        .await?;
    Ok(())
}

pub(super) async fn queue_days(
    write: &Pool<Db>,
    days: &[(PersonId, NaiveDate)],
) -> StoreResult<()> {
    let mut tx = write.begin().await?;
    let days: Vec<(String, NaiveDate)> = days.iter().map(|(p, d)| (p.to_string(), *d)).collect();
    queue_days_tx(&mut tx, days).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn days_pending(
    write: &Pool<Db>,
    people: &[PersonId],
    before: NaiveDate,
) -> StoreResult<bool> {
    for chunk in people.chunks(500) {
        let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT 1 FROM day_facts_queue WHERE day < $1 AND person_id IN ({}) LIMIT 1",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(before);
        for p in chunk {
            q = q.bind(p.to_string());
        }
        if q.fetch_optional(write).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) async fn day_facts(
    read: &Pool<Db>,
    p: PersonId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<(DayFacts, String)>> {
    sqlx::query(
        "SELECT facts, basis FROM day_facts WHERE person_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
    )
    .bind(p.to_string()).bind(from).bind(to)
    .fetch_all(read).await?
    .iter().map(day_facts_row).collect()
}

pub(super) async fn last_day_facts(
    read: &Pool<Db>,
    p: PersonId,
    before: NaiveDate,
) -> StoreResult<Option<(DayFacts, String)>> {
    sqlx::query(
        "SELECT facts, basis FROM day_facts WHERE person_id = $1 AND day < $2 ORDER BY day DESC LIMIT 1",
    )
    .bind(p.to_string()).bind(before)
    .fetch_optional(read).await?
    .as_ref().map(day_facts_row).transpose()
}

pub(super) async fn put_day_facts(
    write: &Pool<Db>,
    f: &DayFacts,
    basis: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let facts =
        serde_json::to_string(f).map_err(|e| StoreError::Corrupt(format!("day facts: {e}")))?;
    let mut tx = write.begin().await?;
    sqlx::query(
        "INSERT INTO day_facts (person_id, day, facts, basis) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id, day) DO UPDATE SET facts = excluded.facts, basis = excluded.basis",
    )
    .bind(f.person.to_string())
    .bind(f.day)
    .bind(facts)
    .bind(basis)
    .execute(&mut *tx)
    .await?;
    if renews_history_day(f.day, at) {
        renew_history_mark(&mut tx, &f.person.to_string()).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn clear_day_facts(write: &Pool<Db>) -> StoreResult<()> {
    let mut tx = write.begin().await?;
    // What evaluations keep in memory of anyone's facts is read again.
    sqlx::query(
        "INSERT INTO history_marks (person_id, mark) SELECT DISTINCT person_id, $1 FROM day_facts \
         WHERE true ON CONFLICT (person_id) DO UPDATE SET mark = excluded.mark",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM day_facts")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM day_facts_queue")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
