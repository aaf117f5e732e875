//! What the SQL of both backends shares. SQLite and PostgreSQL accept the same statements
//! (`$n` parameters, `ON CONFLICT`, `RETURNING`); only the column types of their migrations
//! differ. The statements themselves live in `queries/`, one file per area, compiled once for
//! each backend (see `queries/mod.rs` for why).

use super::StoreError;
use std::str::FromStr;

/// Parses an id or code read back from the database.
pub(crate) fn parse<T: FromStr>(column: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column}: `{s}`")))
}

/// Maps constraint violations to what they mean; everything else stays a database error.
pub(crate) fn constraint(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Duplicate(what.to_string()),
        Some(d) if d.is_foreign_key_violation() => StoreError::Missing(what.to_string()),
        _ => StoreError::Database(e),
    }
}

/// The township a household belongs to as stored, through its village.
pub(crate) const HOUSEHOLD_TOWNSHIP: &str = "SELECT v.township_id FROM households h \
     JOIN villages v ON v.id = h.village_id WHERE h.id = $1";
/// The township a village belongs to as stored.
pub(crate) const VILLAGE_TOWNSHIP: &str = "SELECT township_id FROM villages WHERE id = $1";
/// Raises a township's organisation version: the verdicts kept for its people under the old
/// one are stale from then on (see `crate::verdicts`).
pub(crate) const RAISE_ORG_VERSION: &str =
    "UPDATE townships SET org_version = org_version + 1 WHERE id = $1";

/// Kinds of records that carry a GPS fix, as an SQL list: `('fix', 'visit_fix', …)`.
pub(crate) static FIX_KINDS_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let kinds: Vec<String> = zhucun_shared::record::RecordBody::FIX_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect();
    format!("({})", kinds.join(", "))
});
