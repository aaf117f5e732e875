//! Policy versions: the rules in force from each date.

use super::Db;
use crate::store::{PolicyVersionRow, StoreResult};
use sqlx::{Pool, Row};

pub(super) async fn add_policy_version(write: &Pool<Db>, v: &PolicyVersionRow) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO policy_versions (policy, effective_from, body, sha256, set_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&v.policy)
    .bind(v.effective_from)
    .bind(&v.body)
    .bind(&v.sha256)
    .bind(v.set_at)
    .fetch_one(write)
    .await?)
}

pub(super) async fn last_policy_version(read: &Pool<Db>) -> StoreResult<i64> {
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM policy_versions")
        .fetch_one(read)
        .await?;
    Ok(last.unwrap_or(0))
}

pub(super) async fn policy_versions(
    read: &Pool<Db>,
    policy: &str,
) -> StoreResult<Vec<PolicyVersionRow>> {
    sqlx::query(
        "SELECT id, policy, effective_from, body, sha256, set_at FROM policy_versions \
         WHERE policy = $1 ORDER BY effective_from, id",
    )
    .bind(policy)
    .fetch_all(read)
    .await?
    .iter()
    .map(|r| {
        Ok(PolicyVersionRow {
            id: r.try_get("id")?,
            policy: r.try_get("policy")?,
            effective_from: r.try_get("effective_from")?,
            body: r.try_get("body")?,
            sha256: r.try_get("sha256")?,
            set_at: r.try_get("set_at")?,
        })
    })
    .collect()
}
