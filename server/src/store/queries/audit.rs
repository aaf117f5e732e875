//! The audit log: a hash chain, appended one entry at a time.

use super::Db;
use crate::store::{AuditEntry, AuditScope, NewAuditEntry, StoreResult};
use sqlx::{Pool, Row};

pub(super) async fn append_audit(write: &Pool<Db>, e: &NewAuditEntry) -> StoreResult<AuditEntry> {
    let mut tx = write.begin().await?;
    if <Db as sqlx::Database>::NAME == "PostgreSQL" {
        // Held until this transaction ends: the next append reads the last
        // entry only after this one is committed. (SQLite has one writer.)
        sqlx::query("SELECT pg_advisory_xact_lock(7217370061)")
            .execute(&mut *tx)
            .await?;
    }
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (seq, prev) = last.unwrap_or((0, crate::audit::GENESIS.to_string()));
    let entry = crate::audit::chain(seq + 1, e.clone(), &prev);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, township_id, kind, subject, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.seq).bind(e.at).bind(&e.actor).bind(&e.township).bind(&e.kind)
    .bind(&e.subject).bind(&e.detail).bind(&entry.prev_hash).bind(&entry.hash)
    .execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(entry)
}

pub(super) async fn audit_entries(
    read: &Pool<Db>,
    since: i64,
    limit: u32,
    scope: Option<&AuditScope>,
) -> StoreResult<Vec<AuditEntry>> {
    let mut filter = String::new();
    if let Some(scope) = scope {
        let mut alternatives: Vec<String> = Vec::new();
        if !scope.townships.is_empty() {
            let params: Vec<String> = (0..scope.townships.len())
                .map(|i| format!("${}", i + 3))
                .collect();
            alternatives.push(format!("township_id IN ({})", params.join(", ")));
        }
        if scope.unscoped {
            alternatives.push("township_id IS NULL".into());
        }
        if alternatives.is_empty() {
            return Ok(Vec::new());
        }
        filter = format!(" AND ({})", alternatives.join(" OR "));
    }
    let sql = format!(
        "SELECT seq, at, actor_id, township_id, kind, subject, detail, prev_hash, hash \
         FROM audit_log WHERE seq > $1{filter} ORDER BY seq LIMIT $2"
    );
    let mut q = sqlx::query(&sql).bind(since).bind(i64::from(limit));
    for t in scope.map(|s| s.townships.as_slice()).unwrap_or_default() {
        q = q.bind(t.to_string());
    }
    q.fetch_all(read)
        .await?
        .iter()
        .map(|r| -> StoreResult<AuditEntry> {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                entry: NewAuditEntry {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor_id")?,
                    township: r.try_get("township_id")?,
                    kind: r.try_get("kind")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                },
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}
