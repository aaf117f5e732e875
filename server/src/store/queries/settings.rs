//! Settings: small named values.

use super::Db;
use crate::store::StoreResult;
use sqlx::Pool;

pub(super) async fn setting(read: &Pool<Db>, key: &str) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(read)
            .await?,
    )
}

pub(super) async fn put_setting(write: &Pool<Db>, key: &str, value: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(write)
    .await?;
    Ok(())
}
