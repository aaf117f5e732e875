//! Month close: closed months and the steps of each village's monthly ledger (台账).

use super::verdicts::queue_marks;
use super::Db;
use crate::store::sql::parse;
use crate::store::{ClosedMonth, LedgerStepRow, StoreResult};
use sqlx::{Pool, Row};
use zhucun_shared::ids::{PersonId, VillageId};

pub(super) async fn closed_month(read: &Pool<Db>, month: &str) -> StoreResult<Option<ClosedMonth>> {
    sqlx::query("SELECT month, closed_at, grace_date, policy FROM closed_months WHERE month = $1")
        .bind(month)
        .fetch_optional(read)
        .await?
        .map(|r| {
            Ok(ClosedMonth {
                month: r.try_get("month")?,
                closed_at: r.try_get("closed_at")?,
                grace_date: r.try_get("grace_date")?,
                policy: r.try_get("policy")?,
            })
        })
        .transpose()
}

pub(super) async fn close_month(write: &Pool<Db>, c: &ClosedMonth) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO closed_months (month, closed_at, grace_date, policy) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (month) DO NOTHING",
    )
    .bind(&c.month)
    .bind(c.closed_at)
    .bind(c.grace_date)
    .bind(&c.policy)
    .execute(write)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn put_ledger_step(
    write: &Pool<Db>,
    l: &LedgerStepRow,
    marks: &[(PersonId, String)],
) -> StoreResult<bool> {
    let mut tx = write.begin().await?;
    let done = sqlx::query(
        "INSERT INTO ledger_submissions (village_id, month, step, person_id, at, remarks) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (village_id, month, step) DO NOTHING",
    )
    .bind(l.village_id.to_string())
    .bind(&l.month)
    .bind(&l.step)
    .bind(l.person_id.to_string())
    .bind(l.at)
    .bind(&l.remarks)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let owned: Vec<(String, String)> = marks
        .iter()
        .map(|(p, m)| (p.to_string(), m.clone()))
        .collect();
    queue_marks(&mut tx, owned).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn ledger_steps(
    read: &Pool<Db>,
    village: VillageId,
    month: &str,
) -> StoreResult<Vec<LedgerStepRow>> {
    sqlx::query(
        "SELECT village_id, month, step, person_id, at, remarks FROM ledger_submissions \
         WHERE village_id = $1 AND month = $2 ORDER BY at, step",
    )
    .bind(village.to_string())
    .bind(month)
    .fetch_all(read)
    .await?
    .into_iter()
    .map(|r| {
        let village: String = r.try_get("village_id")?;
        let person: String = r.try_get("person_id")?;
        Ok(LedgerStepRow {
            village_id: parse("ledger_submissions.village_id", &village)?,
            month: r.try_get("month")?,
            step: r.try_get("step")?,
            person_id: parse("ledger_submissions.person_id", &person)?,
            at: r.try_get("at")?,
            remarks: r.try_get("remarks")?,
        })
    })
    .collect()
}

pub(super) async fn last_closed_month(read: &Pool<Db>) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT MAX(month) FROM closed_months")
        .fetch_one(read)
        .await?)
}
