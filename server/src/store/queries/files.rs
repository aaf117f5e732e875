//! Files: uploaded photos and documents, who uploaded them, which records use them.

use super::{Db, DbRow};
use crate::store::sql::{constraint, parse};
use crate::store::{FileRow, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{Pool, Row};
use std::collections::HashMap;
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::LatLon;
use zhucun_shared::plausibility::PhotoFacts;

fn file_row(r: &DbRow) -> StoreResult<FileRow> {
    let lat: Option<f64> = r.try_get("exif_lat")?;
    let lon: Option<f64> = r.try_get("exif_lon")?;
    Ok(FileRow {
        sha256: r.try_get("sha256")?,
        bytes: r.try_get::<i64, _>("bytes")?.max(0) as u64,
        format: r.try_get("format")?,
        width: r.try_get::<i64, _>("width")?.clamp(0, u32::MAX as i64) as u32,
        height: r.try_get::<i64, _>("height")?.clamp(0, u32::MAX as i64) as u32,
        facts: PhotoFacts {
            exif_time: r.try_get("exif_time")?,
            exif_position: lat.zip(lon).map(|(lat, lon)| LatLon::new(lat, lon)),
            phash: r.try_get("phash")?,
        },
        uploaded_by: parse("files.uploaded_by", &r.try_get::<String, _>("uploaded_by")?)?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

pub(super) async fn put_file(write: &Pool<Db>, row: &FileRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO files (sha256, bytes, format, width, height, exif_time, exif_lat, \
         exif_lon, phash, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&row.sha256)
    .bind(row.bytes as i64)
    .bind(&row.format)
    .bind(i64::from(row.width))
    .bind(i64::from(row.height))
    .bind(row.facts.exif_time)
    .bind(row.facts.exif_position.map(|p| p.lat))
    .bind(row.facts.exif_position.map(|p| p.lon))
    .bind(&row.facts.phash)
    .bind(row.uploaded_by.to_string())
    .bind(row.uploaded_at)
    .execute(write)
    .await
    .map_err(constraint("photo"))?;
    add_file_uploader(write, &row.sha256, row.uploaded_by, row.uploaded_at).await
}

pub(super) async fn file(read: &Pool<Db>, sha256: &str) -> StoreResult<Option<FileRow>> {
    sqlx::query("SELECT * FROM files WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(read)
        .await?
        .as_ref()
        .map(file_row)
        .transpose()
}

pub(super) async fn file_uses(
    read: &Pool<Db>,
    sha256: &str,
) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
    sqlx::query(
        "SELECT person_id, captured_at FROM record_files WHERE sha256 = $1 \
         ORDER BY captured_at, record_id",
    )
    .bind(sha256)
    .fetch_all(read)
    .await?
    .iter()
    .map(|r| {
        Ok((
            parse(
                "record_files.person_id",
                &r.try_get::<String, _>("person_id")?,
            )?,
            r.try_get::<DateTime<Utc>, _>("captured_at")?,
        ))
    })
    .collect()
}

pub(super) async fn photo_facts(
    read: &Pool<Db>,
    shas: &[String],
) -> StoreResult<HashMap<String, PhotoFacts>> {
    let mut out = HashMap::with_capacity(shas.len());
    // One query per few hundred files, not one per file.
    for chunk in shas.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT * FROM files WHERE sha256 IN ({})", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for sha in chunk {
            q = q.bind(sha);
        }
        for row in q.fetch_all(read).await? {
            let p = file_row(&row)?;
            // A document is no photo: it cannot stand as a visit's picture.
            if crate::photos::document::is_image(&p.format) {
                out.insert(p.sha256, p.facts);
            }
        }
    }
    Ok(out)
}

pub(super) async fn add_file_uploader(
    write: &Pool<Db>,
    sha256: &str,
    person: PersonId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO file_uploaders (sha256, person_id, uploaded_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sha256, person_id) DO NOTHING",
    )
    .bind(sha256)
    .bind(person.to_string())
    .bind(at)
    .execute(write)
    .await
    .map_err(constraint("file uploader"))?;
    Ok(())
}

pub(super) async fn is_file_uploader(
    read: &Pool<Db>,
    sha256: &str,
    person: PersonId,
) -> StoreResult<bool> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT person_id FROM file_uploaders WHERE sha256 = $1 AND person_id = $2",
    )
    .bind(sha256)
    .bind(person.to_string())
    .fetch_optional(read)
    .await?;
    Ok(found.is_some())
}

pub(super) async fn uploaders_file_uses(
    read: &Pool<Db>,
    sha256: &str,
) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
    sqlx::query(
        "SELECT f.person_id, f.captured_at FROM record_files f \
         JOIN file_uploaders u ON u.sha256 = f.sha256 AND u.person_id = f.person_id \
         WHERE f.sha256 = $1 ORDER BY f.captured_at, f.record_id",
    )
    .bind(sha256)
    .fetch_all(read)
    .await?
    .iter()
    .map(|r| {
        Ok((
            parse(
                "record_files.person_id",
                &r.try_get::<String, _>("person_id")?,
            )?,
            r.try_get::<DateTime<Utc>, _>("captured_at")?,
        ))
    })
    .collect()
}

pub(super) async fn held_files(
    read: &Pool<Db>,
    person: PersonId,
    shas: &[String],
) -> StoreResult<HashMap<String, bool>> {
    let mut out = HashMap::with_capacity(shas.len());
    for chunk in shas.chunks(500) {
        let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT p.sha256, u.person_id FROM files p \
             LEFT JOIN file_uploaders u ON u.sha256 = p.sha256 AND u.person_id = $1 \
             WHERE p.sha256 IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(person.to_string());
        for sha in chunk {
            q = q.bind(sha);
        }
        for row in q.fetch_all(read).await? {
            let mine: Option<String> = row.try_get("person_id")?;
            out.insert(row.try_get::<String, _>("sha256")?, mine.is_some());
        }
    }
    Ok(out)
}
