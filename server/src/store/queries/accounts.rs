//! Accounts and their devices: users, passwords, enrolled phones.

use super::{Db, DbRow};
use crate::accounts::username_key;
use crate::store::sql::{constraint, parse};
use crate::store::{DeviceRow, StoreResult, UserRow};
use chrono::{DateTime, Utc};
use sqlx::{Pool, Row};
use zhucun_shared::ids::{DeviceId, PersonId};
use zhucun_shared::org::Device;

fn user_row(r: &DbRow) -> StoreResult<UserRow> {
    Ok(UserRow {
        person_id: parse("users.person_id", &r.try_get::<String, _>("person_id")?)?,
        username: r.try_get("username")?,
        password_hash: r.try_get("password_hash")?,
        disabled: r.try_get("disabled")?,
        created_at: r.try_get("created_at")?,
    })
}

fn device_row(r: &DbRow) -> StoreResult<DeviceRow> {
    Ok(DeviceRow {
        device: Device {
            id: parse("devices.id", &r.try_get::<String, _>("id")?)?,
            person_id: parse("devices.person_id", &r.try_get::<String, _>("person_id")?)?,
            label: r.try_get("label")?,
            enrolled_at: r.try_get("enrolled_at")?,
        },
        contiguous_seq: r.try_get::<i64, _>("contiguous_seq")?.max(0) as u64,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub(super) async fn create_user(write: &Pool<Db>, u: &UserRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (person_id, username, password_hash, disabled, created_at, \
         username_key) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(u.person_id.to_string())
    .bind(&u.username)
    .bind(&u.password_hash)
    .bind(u.disabled)
    .bind(u.created_at)
    .bind(username_key(&u.username))
    .execute(write)
    .await
    .map_err(constraint("user"))?;
    Ok(())
}

pub(super) async fn user_by_username(
    read: &Pool<Db>,
    username: &str,
) -> StoreResult<Option<UserRow>> {
    sqlx::query("SELECT * FROM users WHERE username_key = $1")
        .bind(username_key(username))
        .fetch_optional(read)
        .await?
        .as_ref()
        .map(user_row)
        .transpose()
}

pub(super) async fn set_password(
    write: &Pool<Db>,
    username: &str,
    hash: &str,
) -> StoreResult<bool> {
    let mut tx = write.begin().await?;
    let person: Option<String> = sqlx::query_scalar(
        "UPDATE users SET password_hash = $2 WHERE username_key = $1 RETURNING person_id",
    )
    .bind(username_key(username))
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await?;
    // A new password ends the sessions opened with the old one.
    if let Some(p) = &person {
        sqlx::query("DELETE FROM sessions WHERE person_id = $1")
            .bind(p)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(person.is_some())
}

pub(super) async fn set_disabled(
    write: &Pool<Db>,
    username: &str,
    disabled: bool,
) -> StoreResult<bool> {
    let mut tx = write.begin().await?;
    let person: Option<String> = sqlx::query_scalar(
        "UPDATE users SET disabled = $2 WHERE username_key = $1 RETURNING person_id",
    )
    .bind(username_key(username))
    .bind(disabled)
    .fetch_optional(&mut *tx)
    .await?;
    if let (Some(p), true) = (&person, disabled) {
        sqlx::query("DELETE FROM sessions WHERE person_id = $1")
            .bind(p)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(person.is_some())
}

pub(super) async fn update_password_hash(
    write: &Pool<Db>,
    p: PersonId,
    old: &str,
    new: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $3 WHERE person_id = $1 AND password_hash = $2")
        .bind(p.to_string())
        .bind(old)
        .bind(new)
        .execute(write)
        .await?;
    Ok(())
}

pub(super) async fn fill_username_keys(write: &Pool<Db>) -> StoreResult<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT username FROM users WHERE username_key IS NULL ORDER BY created_at, username",
    )
    .fetch_all(write)
    .await?;
    let mut clashes = Vec::new();
    for name in names {
        let taken: Option<String> =
            sqlx::query_scalar("SELECT username FROM users WHERE username_key = $1")
                .bind(username_key(&name))
                .fetch_optional(write)
                .await?;
        if taken.is_some() {
            clashes.push(name);
            continue;
        }
        sqlx::query("UPDATE users SET username_key = $2 WHERE username = $1")
            .bind(&name)
            .bind(username_key(&name))
            .execute(write)
            .await?;
    }
    Ok(clashes)
}

pub(super) async fn revoke_device(
    write: &Pool<Db>,
    p: PersonId,
    id: DeviceId,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(sqlx::query(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) \
         WHERE person_id = $1 AND id = $2",
    )
    .bind(p.to_string())
    .bind(id.to_string())
    .bind(at)
    .execute(write)
    .await?
    .rows_affected()
        > 0)
}

pub(super) async fn enroll_device(write: &Pool<Db>, d: &Device) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO devices (id, person_id, label, enrolled_at, contiguous_seq) \
         VALUES ($1, $2, $3, $4, 0)",
    )
    .bind(d.id.to_string())
    .bind(d.person_id.to_string())
    .bind(&d.label)
    .bind(d.enrolled_at)
    .execute(write)
    .await
    .map_err(constraint("device"))?;
    Ok(())
}

pub(super) async fn device(read: &Pool<Db>, id: DeviceId) -> StoreResult<Option<DeviceRow>> {
    sqlx::query("SELECT * FROM devices WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(read)
        .await?
        .as_ref()
        .map(device_row)
        .transpose()
}

pub(super) async fn devices_of(read: &Pool<Db>, p: PersonId) -> StoreResult<Vec<DeviceRow>> {
    sqlx::query("SELECT * FROM devices WHERE person_id = $1 ORDER BY enrolled_at, id")
        .bind(p.to_string())
        .fetch_all(read)
        .await?
        .iter()
        .map(device_row)
        .collect()
}
