//! Sign-in sessions and the login throttle.

use super::{Db, DbRow};
use crate::store::sql::{constraint, parse};
use crate::store::{SessionRow, StoreResult, ThrottleRow};
use chrono::{DateTime, Utc};
use sqlx::{Pool, Row};
use zhucun_shared::ids::PersonId;

fn session_row(r: &DbRow) -> StoreResult<SessionRow> {
    Ok(SessionRow {
        id: r.try_get("id")?,
        person_id: parse("sessions.person_id", &r.try_get::<String, _>("person_id")?)?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        expires_at: r.try_get("expires_at")?,
        client: r.try_get("client")?,
    })
}

pub(super) async fn create_session(
    write: &Pool<Db>,
    token_hash: &str,
    s: &SessionRow,
) -> StoreResult<()> {
    let mut tx = write.begin().await?;
    // Sweep this person's expired sessions while here, so the table stays small.
    sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND expires_at <= $2")
        .bind(s.person_id.to_string())
        .bind(s.created_at)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, person_id, created_at, expires_at, id, \
         last_seen_at, client) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(s.person_id.to_string())
    .bind(s.created_at)
    .bind(s.expires_at)
    .bind(&s.id)
    .bind(s.last_seen_at)
    .bind(&s.client)
    .execute(&mut *tx)
    .await
    .map_err(constraint("session"))?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn session(
    read: &Pool<Db>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<SessionRow>> {
    sqlx::query(
        "SELECT s.* FROM sessions s JOIN users u ON u.person_id = s.person_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(read)
    .await?
    .as_ref()
    .map(session_row)
    .transpose()
}

pub(super) async fn renew_session(
    write: &Pool<Db>,
    id: &str,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
        .bind(id)
        .bind(at)
        .bind(expires_at)
        .execute(write)
        .await?;
    Ok(())
}

pub(super) async fn sessions_of(
    read: &Pool<Db>,
    p: PersonId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<SessionRow>> {
    sqlx::query(
        "SELECT * FROM sessions WHERE person_id = $1 AND expires_at > $2 \
         ORDER BY last_seen_at DESC, id",
    )
    .bind(p.to_string())
    .bind(now)
    .fetch_all(read)
    .await?
    .iter()
    .map(session_row)
    .collect()
}

pub(super) async fn end_session(write: &Pool<Db>, p: PersonId, id: &str) -> StoreResult<bool> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND id = $2")
            .bind(p.to_string())
            .bind(id)
            .execute(write)
            .await?
            .rows_affected()
            > 0,
    )
}

pub(super) async fn throttle_step(
    write: &Pool<Db>,
    key: &str,
    step: impl FnOnce(Option<ThrottleRow>) -> Result<ThrottleRow, u64> + Send,
) -> StoreResult<Result<ThrottleRow, u64>> {
    let mut tx = write.begin().await?;
    // The row exists from here on, and the no-op update takes its lock on
    // PostgreSQL (SQLite's one writer serialises anyway): concurrent attempts
    // on one key, even the first two, queue here.
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, last_at, next_at) \
         VALUES ($1, 0, 0, 0) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .execute(&mut *tx)
    .await?;
    let held = sqlx::query(
        "UPDATE login_throttle SET failures = failures WHERE key = $1 \
         RETURNING failures, last_at, next_at",
    )
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> StoreResult<ThrottleRow> {
        Ok(ThrottleRow {
            failures: r
                .try_get::<i64, _>("failures")?
                .clamp(0, i64::from(u32::MAX)) as u32,
            last_at: r.try_get("last_at")?,
            next_at: r.try_get("next_at")?,
        })
    })
    .transpose()?;
    let decided = step(held);
    if let Ok(row) = &decided {
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, last_at, next_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             last_at = excluded.last_at, next_at = excluded.next_at",
        )
        .bind(key)
        .bind(i64::from(row.failures))
        .bind(row.last_at)
        .bind(row.next_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(decided)
}

pub(super) async fn throttle_clear(write: &Pool<Db>, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(write)
        .await?;
    Ok(())
}

pub(super) async fn throttle_prune(write: &Pool<Db>, before: i64, keep: u64) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE last_at < $1 AND next_at < $1")
        .bind(before)
        .execute(write)
        .await?;
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_throttle")
        .fetch_one(write)
        .await?;
    let over = held - keep.min(i64::MAX as u64) as i64;
    if over > 0 {
        sqlx::query(
            "DELETE FROM login_throttle WHERE key IN \
             (SELECT key FROM login_throttle ORDER BY last_at, key LIMIT $1)",
        )
        .bind(over)
        .execute(write)
        .await?;
    }
    Ok(())
}
