//! The generated version of a village's 领导挂联工作月台账: the submission chain's first step
//! (生成) keeps the sha256 of the document's content, so that the village confirms exactly
//! what was generated. Regenerating replaces it until the village has confirmed; once
//! confirmed, the version confirmed stands.

use super::{csv, Document, LedgerError};
use crate::office::on_pool;
use crate::store::{AnyStore, LedgerStepRow, StoreResult};
use sha2::{Digest, Sha256};
use zhucun_shared::ids::VillageId;
use zhucun_shared::ledger_chain::Step;

/// The sha256 (hex) of a document's content: its CSV, which holds every cell, note and
/// signature line in order.
pub fn content_sha256(doc: &Document) -> Result<String, LedgerError> {
    Ok(hex::encode(Sha256::digest(csv::write(doc)?)))
}

/// Writes the 生成 step `row` with the content's digest `sha256`, replacing an earlier one;
/// `false` (nothing written) once the month's ledger is confirmed.
pub async fn put_generated(
    store: &AnyStore,
    row: &LedgerStepRow,
    sha256: &str,
) -> StoreResult<bool> {
    on_pool!(store, pool => {
        let mut tx = pool.begin().await?;
        let confirmed: Option<String> = sqlx::query_scalar(
            "SELECT step FROM ledger_submissions \
             WHERE village_id = $1 AND month = $2 AND step = $3",
        )
        .bind(row.village_id.to_string())
        .bind(&row.month)
        .bind(Step::Confirmed.code())
        .fetch_optional(&mut *tx)
        .await?;
        if confirmed.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO ledger_submissions \
             (village_id, month, step, person_id, at, remarks, content_sha256) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (village_id, month, step) DO UPDATE SET person_id = excluded.person_id, \
             at = excluded.at, remarks = excluded.remarks, content_sha256 = excluded.content_sha256",
        )
        .bind(row.village_id.to_string())
        .bind(&row.month)
        .bind(Step::Generated.code())
        .bind(row.person_id.to_string())
        .bind(row.at)
        .bind(&row.remarks)
        .bind(sha256)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// The digest of the version generated last for `village`'s ledger of `month` (`YYYY-MM`).
pub async fn generated_sha256(
    store: &AnyStore,
    village: VillageId,
    month: &str,
) -> StoreResult<Option<String>> {
    on_pool!(store, pool => {
        Ok(sqlx::query_scalar(
            "SELECT content_sha256 FROM ledger_submissions \
             WHERE village_id = $1 AND month = $2 AND step = $3",
        )
        .bind(village.to_string())
        .bind(month)
        .bind(Step::Generated.code())
        .fetch_optional(pool)
        .await?)
    })
}
