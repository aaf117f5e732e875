//! The township office's own writes and reads beyond the organisation's rows: households written
//! with the history of their positions (a moved household keeps where it stood before), and the
//! login accounts of a township's people for the office's pages; the villages' support units
//! (帮扶单位) the 五个一 登记表 names. Each write is one transaction; a household's makes kept
//! verdicts stale in its township (the township's organisation version goes up, as `put_org`
//! does).

use crate::store::sql::{HOUSEHOLD_TOWNSHIP, RAISE_ORG_VERSION, VILLAGE_TOWNSHIP};
use crate::store::{AnyStore, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use zhucun_shared::ids::{HouseholdId, PersonId, TownshipId, VillageId};
use zhucun_shared::org::{Household, LatLon};

/// How a household came to be moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovedBy {
    /// An edit on the office's console page.
    Console,
    /// A households file (console or command line).
    Import,
}

impl MovedBy {
    fn code(self) -> &'static str {
        match self {
            MovedBy::Console => "console",
            MovedBy::Import => "import",
        }
    }
}

/// A position a household stood at before it was moved.
#[derive(Clone, Debug, PartialEq)]
pub struct PastPosition {
    pub location: LatLon,
    /// When it was moved away from here.
    pub replaced_at: DateTime<Utc>,
    pub replaced_by: Option<PersonId>,
    /// `console` or `import`.
    pub how: String,
}

/// The login account of a person, as the office's pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub disabled: bool,
}

/// Positions closer than this (degrees, about a centimetre) are the same position: a value read
/// back from the database is not a move.
const SAME_POSITION_DEG: f64 = 1e-7;

fn parse(s: &str) -> Result<PersonId, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("person id `{s}`")))
}

/// Runs `$body` with `$pool` bound to the store's writing pool, on either backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            AnyStore::Sqlite(s) => {
                let $pool = &s.write;
                $body
            }
            AnyStore::Postgres(s) => {
                let $pool = &s.write;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// Inserts or replaces (by id) `households` in one transaction. A household already stored at
/// another position has that position kept in its history, stamped `at` and `by`. Answers how
/// many were moved.
pub async fn put_households(
    store: &AnyStore,
    households: &[Household],
    by: Option<PersonId>,
    how: MovedBy,
    at: DateTime<Utc>,
) -> StoreResult<usize> {
    on_pool!(store, pool => {
        use sqlx::types::Json;
        use sqlx::Row;
        let mut tx = pool.begin().await?;
        let mut moved = 0;
        // The townships whose kept verdicts the households bear on: where each stood, and
        // (below) where each stands now.
        let mut touched = std::collections::BTreeSet::new();
        for h in households {
            let was: Option<String> = sqlx::query_scalar(HOUSEHOLD_TOWNSHIP)
                .bind(h.id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            touched.extend(was);
            let old = sqlx::query("SELECT lat, lon FROM households WHERE id = $1")
                .bind(h.id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = old {
                let (lat, lon): (f64, f64) = (r.try_get("lat")?, r.try_get("lon")?);
                if (lat - h.location.lat).abs() > SAME_POSITION_DEG
                    || (lon - h.location.lon).abs() > SAME_POSITION_DEG
                {
                    sqlx::query(
                        "INSERT INTO household_positions \
                         (household_id, lat, lon, replaced_at, replaced_by, how) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(h.id.to_string())
                    .bind(lat)
                    .bind(lon)
                    .bind(at)
                    .bind(by.map(|p| p.to_string()))
                    .bind(how.code())
                    .execute(&mut *tx)
                    .await?;
                    moved += 1;
                }
            }
            sqlx::query(
                "INSERT INTO households (id, village_id, head_name, lat, lon, categories, members, group_name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO UPDATE SET village_id = excluded.village_id, \
                 head_name = excluded.head_name, lat = excluded.lat, lon = excluded.lon, \
                 categories = excluded.categories, members = excluded.members, \
                 group_name = excluded.group_name",
            )
            .bind(h.id.to_string())
            .bind(h.village_id.to_string())
            .bind(&h.head_name)
            .bind(h.location.lat)
            .bind(h.location.lon)
            .bind(Json(&h.categories))
            .bind(i64::from(h.members))
            .bind(h.group.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error() {
                Some(d) if d.is_foreign_key_violation() => StoreError::Missing("village".into()),
                _ => StoreError::Database(e),
            })?;
        }
        // Households decide which visits count: the kept verdicts of their townships are
        // stale from here on.
        for h in households {
            let now: Option<String> = sqlx::query_scalar(VILLAGE_TOWNSHIP)
                .bind(h.village_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            touched.extend(now);
        }
        for t in touched {
            sqlx::query(RAISE_ORG_VERSION)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(moved)
    })
}

/// Where `household` stood before, the most recent move first.
pub async fn position_history(
    store: &AnyStore,
    household: HouseholdId,
) -> StoreResult<Vec<PastPosition>> {
    on_pool!(store, pool => {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT lat, lon, replaced_at, replaced_by, how FROM household_positions \
             WHERE household_id = $1 ORDER BY replaced_at DESC, id DESC",
        )
        .bind(household.to_string())
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|r| {
                let by: Option<String> = r.try_get("replaced_by")?;
                Ok(PastPosition {
                    location: LatLon::new(r.try_get("lat")?, r.try_get("lon")?),
                    replaced_at: r.try_get("replaced_at")?,
                    replaced_by: by
                        .map(|b| parse(&b))
                        .transpose()?,
                    how: r.try_get("how")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })
}

/// The township of the village of `household`, if the household is stored.
pub async fn township_of_household(
    store: &AnyStore,
    household: HouseholdId,
) -> StoreResult<Option<TownshipId>> {
    on_pool!(store, pool => {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT v.township_id FROM households h JOIN villages v ON v.id = h.village_id \
             WHERE h.id = $1",
        )
        .bind(household.to_string())
        .fetch_optional(pool)
        .await?;
        row.map(|r| {
            let t: String = r.try_get("township_id")?;
            t.parse()
                .map_err(|_| StoreError::Corrupt(format!("township id `{t}`")))
        })
        .transpose()
    })
}

/// The login accounts of the people of `township`, by person.
pub async fn accounts_of(
    store: &AnyStore,
    township: TownshipId,
) -> StoreResult<HashMap<PersonId, Account>> {
    on_pool!(store, pool => {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT u.person_id, u.username, u.disabled FROM users u \
             JOIN people p ON p.id = u.person_id WHERE p.township_id = $1",
        )
        .bind(township.to_string())
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("person_id")?;
                Ok((
                    parse(&id)?,
                    Account {
                        username: r.try_get("username")?,
                        disabled: r.try_get("disabled")?,
                    },
                ))
            })
            .collect::<Result<HashMap<_, _>, StoreError>>()
    })
}

/// The most support units a village may have registered.
pub const MAX_SUPPORT_UNITS: usize = 10;
/// The longest name of a support unit, in characters.
pub const MAX_SUPPORT_UNIT_CHARS: usize = 60;

/// A village's 帮扶单位 as the office gives them, one a line: trimmed, blank lines dropped.
/// Refused (with what to do) when a name is too long or holds control characters, a name
/// repeats, or there are too many.
pub fn support_units_from_lines(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.chars().count() > MAX_SUPPORT_UNIT_CHARS || line.chars().any(char::is_control) {
            return Err(format!(
                "单位名称不超过 {MAX_SUPPORT_UNIT_CHARS} 字且不含控制字符：{}",
                line.chars()
                    .take(MAX_SUPPORT_UNIT_CHARS)
                    .collect::<String>()
            ));
        }
        if out.iter().any(|u| u == line) {
            return Err(format!("单位重复：{line}"));
        }
        out.push(line.to_string());
    }
    if out.len() > MAX_SUPPORT_UNITS {
        return Err(format!("每村最多登记 {MAX_SUPPORT_UNITS} 个帮扶单位"));
    }
    Ok(out)
}

/// The support units (帮扶单位) registered for each village of `township`, in the order given.
pub async fn support_units(
    store: &AnyStore,
    township: TownshipId,
) -> StoreResult<HashMap<VillageId, Vec<String>>> {
    on_pool!(store, pool => {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT u.village_id, u.name FROM village_support_units u \
             JOIN villages v ON v.id = u.village_id WHERE v.township_id = $1 \
             ORDER BY u.village_id, u.position",
        )
        .bind(township.to_string())
        .fetch_all(pool)
        .await?;
        let mut out: HashMap<VillageId, Vec<String>> = HashMap::new();
        for r in &rows {
            let v: String = r.try_get("village_id")?;
            let village: VillageId = v
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("village id `{v}`")))?;
            out.entry(village).or_default().push(r.try_get("name")?);
        }
        Ok(out)
    })
}

/// Replaces `village`'s support units with `names`, in one transaction.
pub async fn set_support_units(
    store: &AnyStore,
    village: VillageId,
    names: &[String],
) -> StoreResult<()> {
    on_pool!(store, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM village_support_units WHERE village_id = $1")
            .bind(village.to_string())
            .execute(&mut *tx)
            .await?;
        for (i, name) in names.iter().enumerate() {
            sqlx::query(
                "INSERT INTO village_support_units (village_id, position, name) VALUES ($1, $2, $3)",
            )
            .bind(village.to_string())
            .bind(i as i64)
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error() {
                Some(d) if d.is_foreign_key_violation() => StoreError::Missing("village".into()),
                _ => StoreError::Database(e),
            })?;
        }
        tx.commit().await?;
        Ok(())
    })
}
