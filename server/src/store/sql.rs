//! The SQL both backends run. SQLite and PostgreSQL accept the same statements here (`$n`
//! parameters, `ON CONFLICT`, `RETURNING`); only the column types of their migrations differ.
//! A macro rather than generics over `sqlx::Database`: the trait bounds that would take are
//! longer than the code.

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

/// Kinds of records that carry a GPS fix, as an SQL list: `('fix', 'visit_fix', …)`.
pub(crate) static FIX_KINDS_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let kinds: Vec<String> = zhucun_shared::record::RecordBody::FIX_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect();
    format!("({})", kinds.join(", "))
});

macro_rules! impl_sql_store {
    ($store:ty, $db:ty) => {
        mod sql_impl {
            use super::*;
            use chrono::{DateTime, NaiveDate, Utc};
            use sqlx::types::Json;
            use sqlx::Row;
            use std::collections::HashMap;
            use $crate::store::sql::{constraint, parse, FIX_KINDS_SQL};
            use $crate::store::{
                AuditEntry, AuditScope, ClosedMonth, DeviceRow, LedgerStepRow, PolicyVersionRow, FileRow, IncomingRecord, KeptVerdict, Org, PushOutcome, QueuedDay, QueuedMonth, VerdictVersion,
                NewAuditEntry, SessionRow, Store, StoreError, StoreResult, ThrottleRow, UserRow,
            };
            use zhucun_shared::ids::*;
            use zhucun_shared::org::{
                Assignment, Device, Household, HouseholdCategory, LatLon, Pairing, Person,
                Township, Village,
            };
            use zhucun_shared::plausibility::PhotoFacts;
            use zhucun_shared::record::DeviceRecord;
            use zhucun_shared::role::Role;
            use zhucun_shared::sync::{Conflict, ConflictKind};

            type DbRow = <$db as sqlx::Database>::Row;

            /// A kept verdict read back.
            fn kept_row(r: &DbRow) -> StoreResult<KeptVerdict> {
                let Json(report) = r.try_get("report")?;
                Ok(KeptVerdict {
                    report,
                    evaluated_at: r.try_get("evaluated_at")?,
                    basis: r.try_get("basis")?,
                })
            }

            /// Queues person-days for their day facts to be folded again within `tx`, with one
            /// fresh mark.
            async fn queue_days_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                days: impl IntoIterator<Item = (String, NaiveDate)>,
            ) -> StoreResult<()> {
                let mark = uuid::Uuid::now_v7().to_string();
                for (person, day) in days {
                    sqlx::query(
                        "INSERT INTO day_facts_queue (person_id, day, mark) VALUES ($1, $2, $3) \
                         ON CONFLICT (person_id, day) DO UPDATE SET mark = excluded.mark",
                    )
                    .bind(person).bind(day).bind(&mark)
                    .execute(&mut **tx).await?;
                }
                Ok(())
            }

            fn day_facts_row(r: &DbRow) -> StoreResult<(zhucun_shared::day_facts::DayFacts, String)> {
                let text: String = r.try_get("facts")?;
                let facts = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("day_facts.facts: {e}")))?;
                Ok((facts, r.try_get("basis")?))
            }

            /// Queues person-months for re-evaluation within `tx`, with one fresh mark.
            async fn queue_marks(
                tx: &mut sqlx::Transaction<'_, $db>,
                marks: impl IntoIterator<Item = (String, String)>,
            ) -> StoreResult<()> {
                let mark = uuid::Uuid::now_v7().to_string();
                for (person, month) in marks {
                    sqlx::query(
                        "INSERT INTO verdict_queue (person_id, month, mark) VALUES ($1, $2, $3) \
                         ON CONFLICT (person_id, month) DO UPDATE SET mark = excluded.mark",
                    )
                    .bind(person).bind(month).bind(&mark)
                    .execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Appends `k` to the person-month's verdict history within `tx`, unless the last
            /// version says the same.
            async fn append_version(
                tx: &mut sqlx::Transaction<'_, $db>,
                person: &str,
                month: &str,
                k: &KeptVerdict,
            ) -> StoreResult<()> {
                let fingerprint = zhucun_shared::month_close::fingerprint(&k.report);
                let last: Option<String> = sqlx::query_scalar(
                    "SELECT fingerprint FROM verdict_history WHERE person_id = $1 AND month = $2 \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(person).bind(month)
                .fetch_optional(&mut **tx).await?;
                if last.as_deref() != Some(fingerprint.as_str()) {
                    sqlx::query(
                        "INSERT INTO verdict_history (person_id, month, since, fingerprint, report) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(person).bind(month).bind(k.evaluated_at).bind(&fingerprint).bind(Json(&k.report))
                    .execute(&mut **tx).await?;
                }
                Ok(())
            }

            fn queued_month(r: &DbRow) -> StoreResult<QueuedMonth> {
                Ok(QueuedMonth {
                    person_id: parse("verdict_queue.person_id", &r.try_get::<String, _>("person_id")?)?,
                    month: r.try_get("month")?,
                    mark: r.try_get("mark")?,
                    claimed_by: r.try_get("claimed_by")?,
                })
            }

            fn verdict_version(r: &DbRow) -> StoreResult<VerdictVersion> {
                let Json(report) = r.try_get("report")?;
                Ok(VerdictVersion { report, since: r.try_get("since")? })
            }

            fn township(r: &DbRow) -> StoreResult<Township> {
                Ok(Township {
                    id: parse("townships.id", &r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    county: r.try_get("county")?,
                })
            }

            fn person(r: &DbRow) -> StoreResult<Person> {
                let unit: Option<String> = r.try_get("unit_id")?;
                Ok(Person {
                    id: parse("people.id", &r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    township_id: parse("people.township_id", &r.try_get::<String, _>("township_id")?)?,
                    unit_id: unit.map(|u| parse("people.unit_id", &u)).transpose()?,
                })
            }

            fn village(r: &DbRow) -> StoreResult<Village> {
                let Json(boundary) = r.try_get("boundary")?;
                Ok(Village {
                    id: parse("villages.id", &r.try_get::<String, _>("id")?)?,
                    township_id: parse("villages.township_id", &r.try_get::<String, _>("township_id")?)?,
                    name: r.try_get("name")?,
                    code: r.try_get("code")?,
                    boundary,
                    poor: r.try_get("poor")?,
                    exiting_this_year: r.try_get("exiting_this_year")?,
                })
            }

            fn household(r: &DbRow) -> StoreResult<Household> {
                let Json(categories): Json<Vec<HouseholdCategory>> = r.try_get("categories")?;
                Ok(Household {
                    id: parse("households.id", &r.try_get::<String, _>("id")?)?,
                    village_id: parse("households.village_id", &r.try_get::<String, _>("village_id")?)?,
                    head_name: r.try_get("head_name")?,
                    location: LatLon::new(r.try_get("lat")?, r.try_get("lon")?),
                    categories,
                    members: u32::try_from(r.try_get::<i64, _>("members")?)
                        .map_err(|_| StoreError::Corrupt("households.members".into()))?,
                    group: r.try_get("group_name")?,
                })
            }

            fn assignment(r: &DbRow) -> StoreResult<Assignment> {
                let village: Option<String> = r.try_get("village_id")?;
                Ok(Assignment {
                    id: parse("assignments.id", &r.try_get::<String, _>("id")?)?,
                    person_id: parse("assignments.person_id", &r.try_get::<String, _>("person_id")?)?,
                    role: parse::<Role>("assignments.role", &r.try_get::<String, _>("role")?)?,
                    village_id: village.map(|v| parse("assignments.village_id", &v)).transpose()?,
                    township_id: parse("assignments.township_id", &r.try_get::<String, _>("township_id")?)?,
                    starts_on: r.try_get::<NaiveDate, _>("starts_on")?,
                    ends_on: r.try_get::<Option<NaiveDate>, _>("ends_on")?,
                })
            }

            fn pairing(r: &DbRow) -> StoreResult<Pairing> {
                Ok(Pairing {
                    id: parse("pairings.id", &r.try_get::<String, _>("id")?)?,
                    person_id: parse("pairings.person_id", &r.try_get::<String, _>("person_id")?)?,
                    household_id: parse("pairings.household_id", &r.try_get::<String, _>("household_id")?)?,
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                })
            }

            fn user(r: &DbRow) -> StoreResult<UserRow> {
                Ok(UserRow {
                    person_id: parse("users.person_id", &r.try_get::<String, _>("person_id")?)?,
                    username: r.try_get("username")?,
                    password_hash: r.try_get("password_hash")?,
                    disabled: r.try_get("disabled")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            fn device(r: &DbRow) -> StoreResult<DeviceRow> {
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

            fn session(r: &DbRow) -> StoreResult<SessionRow> {
                Ok(SessionRow {
                    id: r.try_get("id")?,
                    person_id: parse("sessions.person_id", &r.try_get::<String, _>("person_id")?)?,
                    created_at: r.try_get("created_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                    expires_at: r.try_get("expires_at")?,
                    client: r.try_get("client")?,
                })
            }

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

            fn record(r: &DbRow) -> StoreResult<DeviceRecord> {
                let Json(record): Json<DeviceRecord> = r.try_get("record")?;
                Ok(record)
            }

            const RECORD_COLUMNS: &str = "record";

            impl Store for $store {
                async fn put_org(&self, org: &Org) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    for t in &org.townships {
                        sqlx::query(
                            "INSERT INTO townships (id, name, county) VALUES ($1, $2, $3) \
                             ON CONFLICT (id) DO UPDATE SET name = excluded.name, county = excluded.county",
                        )
                        .bind(t.id.to_string())
                        .bind(&t.name)
                        .bind(&t.county)
                        .execute(&mut *tx)
                        .await
                        .map_err(constraint("township"))?;
                    }
                    for p in &org.people {
                        sqlx::query(
                            "INSERT INTO people (id, name, township_id, unit_id) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                             township_id = excluded.township_id, unit_id = excluded.unit_id",
                        )
                        .bind(p.id.to_string())
                        .bind(&p.name)
                        .bind(p.township_id.to_string())
                        .bind(p.unit_id.map(|u| u.to_string()))
                        .execute(&mut *tx)
                        .await
                        .map_err(constraint("person"))?;
                    }
                    for v in &org.villages {
                        sqlx::query(
                            "INSERT INTO villages (id, township_id, name, code, boundary, poor, exiting_this_year) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (id) DO UPDATE SET township_id = excluded.township_id, \
                             name = excluded.name, code = excluded.code, boundary = excluded.boundary, \
                             poor = excluded.poor, exiting_this_year = excluded.exiting_this_year",
                        )
                        .bind(v.id.to_string())
                        .bind(v.township_id.to_string())
                        .bind(&v.name)
                        .bind(&v.code)
                        .bind(Json(&v.boundary))
                        .bind(v.poor)
                        .bind(v.exiting_this_year)
                        .execute(&mut *tx)
                        .await
                        .map_err(constraint("village"))?;
                    }
                    for h in &org.households {
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
                        .map_err(constraint("household"))?;
                    }
                    for a in &org.assignments {
                        sqlx::query(
                            "INSERT INTO assignments (id, person_id, role, village_id, township_id, starts_on, ends_on) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id, role = excluded.role, \
                             village_id = excluded.village_id, township_id = excluded.township_id, \
                             starts_on = excluded.starts_on, ends_on = excluded.ends_on",
                        )
                        .bind(a.id.to_string())
                        .bind(a.person_id.to_string())
                        .bind(a.role.code())
                        .bind(a.village_id.map(|v| v.to_string()))
                        .bind(a.township_id.to_string())
                        .bind(a.starts_on)
                        .bind(a.ends_on)
                        .execute(&mut *tx)
                        .await
                        .map_err(constraint("assignment"))?;
                    }
                    for p in &org.pairings {
                        sqlx::query(
                            "INSERT INTO pairings (id, person_id, household_id, starts_on, ends_on) \
                             VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id, \
                             household_id = excluded.household_id, starts_on = excluded.starts_on, \
                             ends_on = excluded.ends_on",
                        )
                        .bind(p.id.to_string())
                        .bind(p.person_id.to_string())
                        .bind(p.household_id.to_string())
                        .bind(p.starts_on)
                        .bind(p.ends_on)
                        .execute(&mut *tx)
                        .await
                        .map_err(constraint("pairing"))?;
                    }
                    // Postings and pairings decide whose records count: kept verdicts computed
                    // with the old organisation are stale from here on.
                    sqlx::query(
                        "UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) \
                         WHERE key = 'org_version'",
                    )
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn township_org(&self, id: TownshipId) -> StoreResult<Org> {
                    let id = id.to_string();
                    let pool = &self.read;
                    let townships = sqlx::query("SELECT * FROM townships WHERE id = $1")
                        .bind(&id).fetch_all(pool).await?
                        .iter().map(township).collect::<StoreResult<_>>()?;
                    let people = sqlx::query("SELECT * FROM people WHERE township_id = $1 ORDER BY name, id")
                        .bind(&id).fetch_all(pool).await?
                        .iter().map(person).collect::<StoreResult<_>>()?;
                    let villages = sqlx::query("SELECT * FROM villages WHERE township_id = $1 ORDER BY name, id")
                        .bind(&id).fetch_all(pool).await?
                        .iter().map(village).collect::<StoreResult<_>>()?;
                    let households = sqlx::query(
                        "SELECT h.* FROM households h JOIN villages v ON v.id = h.village_id \
                         WHERE v.township_id = $1 ORDER BY h.village_id, h.head_name, h.id",
                    )
                    .bind(&id).fetch_all(pool).await?
                    .iter().map(household).collect::<StoreResult<_>>()?;
                    let assignments = sqlx::query(
                        "SELECT * FROM assignments WHERE township_id = $1 ORDER BY person_id, starts_on, id",
                    )
                    .bind(&id).fetch_all(pool).await?
                    .iter().map(assignment).collect::<StoreResult<_>>()?;
                    let pairings = sqlx::query(
                        "SELECT pa.* FROM pairings pa JOIN people pe ON pe.id = pa.person_id \
                         WHERE pe.township_id = $1 ORDER BY pa.person_id, pa.id",
                    )
                    .bind(&id).fetch_all(pool).await?
                    .iter().map(pairing).collect::<StoreResult<_>>()?;
                    Ok(Org { townships, people, villages, households, assignments, pairings })
                }

                async fn townships(&self) -> StoreResult<Vec<Township>> {
                    sqlx::query("SELECT * FROM townships ORDER BY name, id")
                        .fetch_all(&self.read).await?
                        .iter().map(township).collect()
                }

                async fn village_by_name(&self, t: TownshipId, name: &str) -> StoreResult<Option<Village>> {
                    sqlx::query("SELECT * FROM villages WHERE township_id = $1 AND name = $2")
                        .bind(t.to_string()).bind(name)
                        .fetch_optional(&self.read).await?
                        .as_ref().map(village).transpose()
                }

                async fn person(&self, id: PersonId) -> StoreResult<Option<Person>> {
                    sqlx::query("SELECT * FROM people WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.read).await?
                        .as_ref().map(person).transpose()
                }

                async fn household(&self, id: HouseholdId) -> StoreResult<Option<Household>> {
                    sqlx::query("SELECT * FROM households WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.read).await?
                        .as_ref().map(household).transpose()
                }

                async fn assignments_of(&self, p: PersonId) -> StoreResult<Vec<Assignment>> {
                    sqlx::query("SELECT * FROM assignments WHERE person_id = $1 ORDER BY starts_on, id")
                        .bind(p.to_string())
                        .fetch_all(&self.read).await?
                        .iter().map(assignment).collect()
                }

                async fn create_user(&self, u: &UserRow) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO users (person_id, username, password_hash, disabled, created_at, \
                         username_key) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(u.person_id.to_string())
                    .bind(&u.username)
                    .bind(&u.password_hash)
                    .bind(u.disabled)
                    .bind(u.created_at)
                    .bind($crate::accounts::username_key(&u.username))
                    .execute(&self.write)
                    .await
                    .map_err(constraint("user"))?;
                    Ok(())
                }

                async fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRow>> {
                    sqlx::query("SELECT * FROM users WHERE username_key = $1")
                        .bind($crate::accounts::username_key(username))
                        .fetch_optional(&self.read).await?
                        .as_ref().map(user).transpose()
                }

                async fn set_password(&self, username: &str, hash: &str) -> StoreResult<bool> {
                    let mut tx = self.write.begin().await?;
                    let person: Option<String> = sqlx::query_scalar(
                        "UPDATE users SET password_hash = $2 WHERE username_key = $1 RETURNING person_id",
                    )
                    .bind($crate::accounts::username_key(username)).bind(hash)
                    .fetch_optional(&mut *tx).await?;
                    // A new password ends the sessions opened with the old one.
                    if let Some(p) = &person {
                        sqlx::query("DELETE FROM sessions WHERE person_id = $1")
                            .bind(p).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(person.is_some())
                }

                async fn set_disabled(&self, username: &str, disabled: bool) -> StoreResult<bool> {
                    let mut tx = self.write.begin().await?;
                    let person: Option<String> = sqlx::query_scalar(
                        "UPDATE users SET disabled = $2 WHERE username_key = $1 RETURNING person_id",
                    )
                    .bind($crate::accounts::username_key(username)).bind(disabled)
                    .fetch_optional(&mut *tx).await?;
                    if let (Some(p), true) = (&person, disabled) {
                        sqlx::query("DELETE FROM sessions WHERE person_id = $1")
                            .bind(p).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(person.is_some())
                }

                async fn update_password_hash(&self, p: PersonId, old: &str, new: &str) -> StoreResult<()> {
                    sqlx::query("UPDATE users SET password_hash = $3 WHERE person_id = $1 AND password_hash = $2")
                        .bind(p.to_string()).bind(old).bind(new)
                        .execute(&self.write).await?;
                    Ok(())
                }

                async fn fill_username_keys(&self) -> StoreResult<Vec<String>> {
                    let names: Vec<String> = sqlx::query_scalar(
                        "SELECT username FROM users WHERE username_key IS NULL ORDER BY created_at, username",
                    )
                    .fetch_all(&self.write).await?;
                    let mut clashes = Vec::new();
                    for name in names {
                        let taken: Option<String> = sqlx::query_scalar(
                            "SELECT username FROM users WHERE username_key = $1",
                        )
                        .bind($crate::accounts::username_key(&name))
                        .fetch_optional(&self.write).await?;
                        if taken.is_some() {
                            clashes.push(name);
                            continue;
                        }
                        sqlx::query("UPDATE users SET username_key = $2 WHERE username = $1")
                            .bind(&name).bind($crate::accounts::username_key(&name))
                            .execute(&self.write).await?;
                    }
                    Ok(clashes)
                }

                async fn create_session(&self, token_hash: &str, s: &SessionRow) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    // Sweep this person's expired sessions while here, so the table stays small.
                    sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND expires_at <= $2")
                        .bind(s.person_id.to_string()).bind(s.created_at)
                        .execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO sessions (token_hash, person_id, created_at, expires_at, id, \
                         last_seen_at, client) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(token_hash).bind(s.person_id.to_string()).bind(s.created_at)
                    .bind(s.expires_at).bind(&s.id).bind(s.last_seen_at).bind(&s.client)
                    .execute(&mut *tx).await.map_err(constraint("session"))?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<SessionRow>> {
                    sqlx::query(
                        "SELECT s.* FROM sessions s JOIN users u ON u.person_id = s.person_id \
                         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE",
                    )
                    .bind(token_hash).bind(now)
                    .fetch_optional(&self.read).await?
                    .as_ref().map(session).transpose()
                }

                async fn renew_session(&self, id: &str, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
                        .bind(id).bind(at).bind(expires_at)
                        .execute(&self.write).await?;
                    Ok(())
                }

                async fn sessions_of(&self, p: PersonId, now: DateTime<Utc>) -> StoreResult<Vec<SessionRow>> {
                    sqlx::query(
                        "SELECT * FROM sessions WHERE person_id = $1 AND expires_at > $2 \
                         ORDER BY last_seen_at DESC, id",
                    )
                    .bind(p.to_string()).bind(now)
                    .fetch_all(&self.read).await?
                    .iter().map(session).collect()
                }

                async fn end_session(&self, p: PersonId, id: &str) -> StoreResult<bool> {
                    Ok(sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND id = $2")
                        .bind(p.to_string()).bind(id)
                        .execute(&self.write).await?
                        .rows_affected() > 0)
                }

                async fn revoke_device(&self, p: PersonId, id: DeviceId, at: DateTime<Utc>) -> StoreResult<bool> {
                    Ok(sqlx::query(
                        "UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) \
                         WHERE person_id = $1 AND id = $2",
                    )
                    .bind(p.to_string()).bind(id.to_string()).bind(at)
                    .execute(&self.write).await?
                    .rows_affected() > 0)
                }

                async fn throttle_step(
                    &self,
                    key: &str,
                    step: impl FnOnce(Option<ThrottleRow>) -> Result<ThrottleRow, u64> + Send,
                ) -> StoreResult<Result<ThrottleRow, u64>> {
                    let mut tx = self.write.begin().await?;
                    // The row exists from here on, and the no-op update takes its lock on
                    // PostgreSQL (SQLite's one writer serialises anyway): concurrent attempts
                    // on one key, even the first two, queue here.
                    sqlx::query(
                        "INSERT INTO login_throttle (key, failures, last_at, next_at) \
                         VALUES ($1, 0, 0, 0) ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(key)
                    .execute(&mut *tx).await?;
                    let held = sqlx::query(
                        "UPDATE login_throttle SET failures = failures WHERE key = $1 \
                         RETURNING failures, last_at, next_at",
                    )
                    .bind(key)
                    .fetch_optional(&mut *tx).await?
                    .map(|r| -> StoreResult<ThrottleRow> {
                        Ok(ThrottleRow {
                            failures: r.try_get::<i64, _>("failures")?.clamp(0, i64::from(u32::MAX)) as u32,
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
                        .bind(key).bind(i64::from(row.failures)).bind(row.last_at).bind(row.next_at)
                        .execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(decided)
                }

                async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
                    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                        .bind(key).execute(&self.write).await?;
                    Ok(())
                }

                async fn throttle_prune(&self, before: i64, keep: u64) -> StoreResult<()> {
                    sqlx::query("DELETE FROM login_throttle WHERE last_at < $1 AND next_at < $1")
                        .bind(before).execute(&self.write).await?;
                    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_throttle")
                        .fetch_one(&self.write).await?;
                    let over = held - keep.min(i64::MAX as u64) as i64;
                    if over > 0 {
                        sqlx::query(
                            "DELETE FROM login_throttle WHERE key IN \
                             (SELECT key FROM login_throttle ORDER BY last_at, key LIMIT $1)",
                        )
                        .bind(over).execute(&self.write).await?;
                    }
                    Ok(())
                }

                async fn enroll_device(&self, d: &Device) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO devices (id, person_id, label, enrolled_at, contiguous_seq) \
                         VALUES ($1, $2, $3, $4, 0)",
                    )
                    .bind(d.id.to_string()).bind(d.person_id.to_string()).bind(&d.label).bind(d.enrolled_at)
                    .execute(&self.write).await.map_err(constraint("device"))?;
                    Ok(())
                }

                async fn device(&self, id: DeviceId) -> StoreResult<Option<DeviceRow>> {
                    sqlx::query("SELECT * FROM devices WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.read).await?
                        .as_ref().map(device).transpose()
                }

                async fn devices_of(&self, p: PersonId) -> StoreResult<Vec<DeviceRow>> {
                    sqlx::query("SELECT * FROM devices WHERE person_id = $1 ORDER BY enrolled_at, id")
                        .bind(p.to_string())
                        .fetch_all(&self.read).await?
                        .iter().map(device).collect()
                }

                async fn push_records(&self, device_id: DeviceId, records: &[IncomingRecord]) -> StoreResult<PushOutcome> {
                    let dev = device_id.to_string();
                    let mut tx = self.write.begin().await?;
                    // A no-op update takes the device's row lock on PostgreSQL, so that two
                    // pushes of one device cannot interleave their watermark updates.
                    let held: Option<i64> = sqlx::query_scalar(
                        "UPDATE devices SET contiguous_seq = contiguous_seq WHERE id = $1 RETURNING contiguous_seq",
                    )
                    .bind(&dev)
                    .fetch_optional(&mut *tx).await?;
                    let Some(held) = held else {
                        return Err(StoreError::Missing(format!("device {device_id}")));
                    };
                    let mut out = PushOutcome::default();
                    // The person-months whose verdicts the stored records may change.
                    let mut marks: std::collections::BTreeSet<(String, String)> = Default::default();
                    // The person-days whose day facts the stored records change: a fix's day, and
                    // the day of a record its author withdraws.
                    let mut days: std::collections::BTreeSet<(String, NaiveDate)> = Default::default();
                    // The authors whose history mark the stored records renew.
                    let mut history: std::collections::BTreeSet<String> = Default::default();
                    // Whether this push stored the record right after the watermark: only then
                    // can the watermark move.
                    let mut closes_gap = false;
                    for inc in records {
                        let r = &inc.record;
                        let seq = i64::try_from(r.seq)
                            .map_err(|_| StoreError::Corrupt(format!("seq {} out of range", r.seq)))?;
                        let receipt = r.received.ok_or_else(|| StoreError::Corrupt("record without receipt".into()))?;
                        let inserted = sqlx::query(
                            "INSERT INTO device_records (id, device_id, seq, person_id, kind, captured_at, \
                             received_at, clock_offset_s, content_hash, record) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                        )
                        .bind(r.id.to_string())
                        .bind(&dev)
                        .bind(seq)
                        .bind(r.person_id.to_string())
                        .bind(r.body.type_name())
                        .bind(r.captured_at)
                        .bind(receipt.received_at)
                        .bind(receipt.clock_offset_s)
                        .bind(&inc.content_hash)
                        .bind(Json(r))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if inserted == 1 {
                            out.stored += 1;
                            closes_gap |= seq == held + 1;
                            let author = r.person_id.to_string();
                            match &r.body {
                                zhucun_shared::record::RecordBody::Fix { .. } => {
                                    days.insert((author.clone(), zhucun_shared::period::local_date(r.captured_at)));
                                }
                                zhucun_shared::record::RecordBody::Retraction { target, .. } => {
                                    let withdrawn = sqlx::query(
                                        "SELECT captured_at FROM device_records WHERE id = $1 AND person_id = $2",
                                    )
                                    .bind(target.to_string()).bind(&author)
                                    .fetch_optional(&mut *tx).await?;
                                    if let Some(w) = withdrawn {
                                        let at: DateTime<Utc> = w.try_get("captured_at")?;
                                        days.insert((author.clone(), zhucun_shared::period::local_date(at)));
                                    }
                                }
                                _ => {}
                            }
                            for m in $crate::store::months_touched(r.captured_at, receipt.received_at) {
                                marks.insert((author.clone(), m));
                            }
                            if $crate::store::renews_history(r.body.type_name(), r.captured_at, receipt.received_at) {
                                history.insert(author.clone());
                            }
                            for sha in r.body.files() {
                                // Another person's record using the same file now shows reuse.
                                let users = sqlx::query(
                                    "SELECT person_id, captured_at FROM record_files \
                                     WHERE sha256 = $1 AND person_id <> $2",
                                )
                                .bind(sha)
                                .bind(&author)
                                .fetch_all(&mut *tx)
                                .await?;
                                for u in users {
                                    let at: DateTime<Utc> = u.try_get("captured_at")?;
                                    for m in $crate::store::months_touched(at, at) {
                                        marks.insert((u.try_get("person_id")?, m));
                                    }
                                }
                                sqlx::query(
                                    "INSERT INTO record_files (sha256, record_id, person_id, captured_at) \
                                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                )
                                .bind(sha)
                                .bind(r.id.to_string())
                                .bind(r.person_id.to_string())
                                .bind(r.captured_at)
                                .execute(&mut *tx)
                                .await?;
                            }
                            // A leave request changes the months it covers.
                            for m in $crate::store::leave_months(&r.body) {
                                marks.insert((author.clone(), m));
                            }
                            if let zhucun_shared::record::RecordBody::Note {
                                attached_to,
                                kind: Some(
                                    zhucun_shared::record::NoteKind::Finding { .. }
                                    | zhucun_shared::record::NoteKind::LeaveDecision { .. },
                                ),
                                ..
                            } = &r.body
                            {
                                // A finding changes the verdicts of the judged record's author;
                                // a leave decision, those of the months the leave covers too.
                                let judged = sqlx::query(
                                    "SELECT person_id, captured_at, record FROM device_records WHERE id = $1",
                                )
                                .bind(attached_to.to_string())
                                .fetch_optional(&mut *tx)
                                .await?;
                                if let Some(j) = judged {
                                    let at: DateTime<Utc> = j.try_get("captured_at")?;
                                    let Json(judged): Json<DeviceRecord> = j.try_get("record")?;
                                    let whose: String = j.try_get("person_id")?;
                                    for m in $crate::store::months_touched(at, at)
                                        .into_iter()
                                        .chain($crate::store::leave_months(&judged.body))
                                    {
                                        marks.insert((whose.clone(), m));
                                    }
                                }
                            }
                            continue;
                        }
                        let held_rows = sqlx::query(
                            "SELECT id, device_id, seq, content_hash FROM device_records \
                             WHERE (device_id = $1 AND seq = $2) OR id = $3",
                        )
                        .bind(&dev).bind(seq).bind(r.id.to_string())
                        .fetch_all(&mut *tx).await?;
                        let id = r.id.to_string();
                        let same = held_rows.len() == 1 && {
                            let h = &held_rows[0];
                            h.try_get::<String, _>("id")? == id
                                && h.try_get::<String, _>("device_id")? == dev
                                && h.try_get::<i64, _>("seq")? == seq
                                && h.try_get::<String, _>("content_hash")? == inc.content_hash
                        };
                        if same {
                            out.duplicates += 1;
                        } else {
                            let mut seq_taken = false;
                            for h in &held_rows {
                                if h.try_get::<String, _>("device_id")? == dev && h.try_get::<i64, _>("seq")? == seq {
                                    seq_taken = true;
                                }
                            }
                            out.conflicts.push(Conflict {
                                id: r.id,
                                seq: r.seq,
                                kind: if seq_taken { ConflictKind::Seq } else { ConflictKind::Id },
                                reason: if seq_taken {
                                    format!("序号 {} 已有内容不同的记录", r.seq)
                                } else {
                                    "记录编号已用于另一条记录".to_string()
                                },
                            });
                        }
                    }
                    if closes_gap {
                        // The end of the run of seqs that starts right after the watermark: the
                        // first held seq whose successor is not held. The scan walks the
                        // (device, seq) index from the watermark and stops at the first gap, so
                        // a log full of gaps costs no more than one with none.
                        let end: i64 = sqlx::query_scalar(
                            "SELECT d.seq FROM device_records d WHERE d.device_id = $1 AND d.seq > $2 \
                             AND NOT EXISTS (SELECT 1 FROM device_records n \
                                             WHERE n.device_id = $1 AND n.seq = d.seq + 1) \
                             ORDER BY d.seq LIMIT 1",
                        )
                        .bind(&dev).bind(held)
                        .fetch_one(&mut *tx).await?;
                        sqlx::query("UPDATE devices SET contiguous_seq = $2 WHERE id = $1")
                            .bind(&dev).bind(end)
                            .execute(&mut *tx).await?;
                    }
                    queue_marks(&mut tx, marks).await?;
                    queue_days_tx(&mut tx, days).await?;
                    let mark = uuid::Uuid::now_v7().to_string();
                    for person in history {
                        sqlx::query(
                            "INSERT INTO history_marks (person_id, mark) VALUES ($1, $2) \
                             ON CONFLICT (person_id) DO UPDATE SET mark = excluded.mark",
                        )
                        .bind(person).bind(&mark)
                        .execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(out)
                }

                async fn mark_dirty(&self, marks: &[(PersonId, String)]) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    let owned: Vec<(String, String)> =
                        marks.iter().map(|(p, m)| (p.to_string(), m.clone())).collect();
                    queue_marks(&mut tx, owned).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn dirty(&self, limit: u32) -> StoreResult<Vec<QueuedMonth>> {
                    sqlx::query("SELECT person_id, month, mark, claimed_by FROM verdict_queue ORDER BY month, person_id LIMIT $1")
                        .bind(i64::from(limit))
                        .fetch_all(&self.read).await?
                        .iter()
                        .map(queued_month)
                        .collect()
                }

                async fn claim_dirty(
                    &self, limit: u32, claimant: &str, now: DateTime<Utc>, until: DateTime<Utc>,
                ) -> StoreResult<Vec<QueuedMonth>> {
                    // PostgreSQL: rows another worker is claiming are skipped, not waited for;
                    // one it claimed meanwhile is seen claimed when re-read under the lock.
                    // SQLite has one writer, so the update alone is the claim.
                    let lock = if <$db as sqlx::Database>::NAME == "PostgreSQL" {
                        " FOR UPDATE SKIP LOCKED"
                    } else {
                        ""
                    };
                    let sql = format!(
                        "UPDATE verdict_queue SET claimed_by = $1, claimed_until = $2 \
                         WHERE (person_id, month) IN (SELECT person_id, month FROM verdict_queue \
                         WHERE claimed_until IS NULL OR claimed_until < $3 \
                         ORDER BY month, person_id LIMIT $4{lock}) \
                         RETURNING person_id, month, mark, claimed_by"
                    );
                    let mut out = sqlx::query(&sql)
                        .bind(claimant).bind(until).bind(now).bind(i64::from(limit))
                        .fetch_all(&self.write).await?
                        .iter()
                        .map(queued_month)
                        .collect::<StoreResult<Vec<_>>>()?;
                    out.sort_by(|a, b| (&a.month, a.person_id).cmp(&(&b.month, b.person_id)));
                    Ok(out)
                }

                async fn renew_claims(
                    &self, claimant: &str, now: DateTime<Utc>, until: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let done = sqlx::query(
                        "UPDATE verdict_queue SET claimed_until = $3 \
                         WHERE claimed_by = $1 AND claimed_until >= $2",
                    )
                    .bind(claimant).bind(now).bind(until)
                    .execute(&self.write).await?;
                    Ok(done.rows_affected())
                }

                async fn settle(&self, q: &QueuedMonth) -> StoreResult<()> {
                    let done = sqlx::query("DELETE FROM verdict_queue WHERE person_id = $1 AND month = $2 AND mark = $3")
                        .bind(q.person_id.to_string()).bind(&q.month).bind(&q.mark)
                        .execute(&self.write).await?;
                    if done.rows_affected() == 0 {
                        if let Some(claimant) = &q.claimed_by {
                            sqlx::query(
                                "UPDATE verdict_queue SET claimed_by = NULL, claimed_until = NULL \
                                 WHERE person_id = $1 AND month = $2 AND claimed_by = $3",
                            )
                            .bind(q.person_id.to_string()).bind(&q.month).bind(claimant)
                            .execute(&self.write).await?;
                        }
                    }
                    Ok(())
                }

                async fn verdict_as_of(
                    &self, p: PersonId, month: &str, at: DateTime<Utc>,
                ) -> StoreResult<Option<VerdictVersion>> {
                    sqlx::query(
                        "SELECT report, since FROM verdict_history \
                         WHERE person_id = $1 AND month = $2 AND since <= $3 \
                         ORDER BY since DESC, id DESC LIMIT 1",
                    )
                    .bind(p.to_string()).bind(month).bind(at)
                    .fetch_optional(&self.read).await?
                    .as_ref()
                    .map(verdict_version)
                    .transpose()
                }

                async fn verdict_versions(&self, p: PersonId, month: &str) -> StoreResult<Vec<VerdictVersion>> {
                    sqlx::query(
                        "SELECT report, since FROM verdict_history WHERE person_id = $1 AND month = $2 ORDER BY id",
                    )
                    .bind(p.to_string()).bind(month)
                    .fetch_all(&self.read).await?
                    .iter()
                    .map(verdict_version)
                    .collect()
                }

                async fn pending(&self, month: &str, people: &[PersonId]) -> StoreResult<bool> {
                    for chunk in people.chunks(500) {
                        let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "SELECT COUNT(*) FROM verdict_queue WHERE month = $1 AND person_id IN ({})",
                            marks.join(", ")
                        );
                        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(month);
                        for p in chunk {
                            q = q.bind(p.to_string());
                        }
                        if q.fetch_one(&self.read).await? > 0 {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }

                async fn history_marks(&self, people: &[PersonId]) -> StoreResult<HashMap<PersonId, String>> {
                    let mut out = HashMap::new();
                    for chunk in people.chunks(500) {
                        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "SELECT person_id, mark FROM history_marks WHERE person_id IN ({})",
                            marks.join(", ")
                        );
                        let mut q = sqlx::query(&sql);
                        for p in chunk {
                            q = q.bind(p.to_string());
                        }
                        for r in q.fetch_all(&self.read).await? {
                            let p = parse("history_marks.person_id", &r.try_get::<String, _>("person_id")?)?;
                            out.insert(p, r.try_get("mark")?);
                        }
                    }
                    Ok(out)
                }

                async fn queued_people(&self, month: &str) -> StoreResult<std::collections::BTreeSet<PersonId>> {
                    sqlx::query_scalar::<_, String>("SELECT DISTINCT person_id FROM verdict_queue WHERE month = $1")
                        .bind(month)
                        .fetch_all(&self.read).await?
                        .iter()
                        .map(|p| parse("verdict_queue.person_id", p))
                        .collect()
                }

                async fn kept_verdict(&self, p: PersonId, month: &str) -> StoreResult<Option<KeptVerdict>> {
                    sqlx::query("SELECT report, evaluated_at, basis FROM kept_verdicts WHERE person_id = $1 AND month = $2")
                        .bind(p.to_string()).bind(month)
                        .fetch_optional(&self.read).await?
                        .as_ref()
                        .map(kept_row)
                        .transpose()
                }

                async fn kept_verdicts(
                    &self, month: &str, people: &[PersonId],
                ) -> StoreResult<HashMap<PersonId, KeptVerdict>> {
                    let mut out = HashMap::new();
                    for chunk in people.chunks(500) {
                        let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "SELECT person_id, report, evaluated_at, basis FROM kept_verdicts \
                             WHERE month = $1 AND person_id IN ({})",
                            marks.join(", ")
                        );
                        let mut q = sqlx::query(&sql).bind(month);
                        for p in chunk {
                            q = q.bind(p.to_string());
                        }
                        for r in q.fetch_all(&self.read).await? {
                            let p = parse("kept_verdicts.person_id", &r.try_get::<String, _>("person_id")?)?;
                            out.insert(p, kept_row(&r)?);
                        }
                    }
                    Ok(out)
                }

                async fn keep_verdict(&self, p: PersonId, month: &str, k: &KeptVerdict) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    sqlx::query(
                        "INSERT INTO kept_verdicts (person_id, month, report, evaluated_at, basis) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, month) DO UPDATE SET \
                         report = excluded.report, evaluated_at = excluded.evaluated_at, basis = excluded.basis",
                    )
                    .bind(p.to_string()).bind(month).bind(Json(&k.report)).bind(k.evaluated_at).bind(&k.basis)
                    .execute(&mut *tx).await?;
                    append_version(&mut tx, &p.to_string(), month, k).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn replace_kept_verdict(
                    &self, p: PersonId, month: &str, k: &KeptVerdict, was: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let mut tx = self.write.begin().await?;
                    let done = sqlx::query(
                        "UPDATE kept_verdicts SET report = $3, evaluated_at = $4, basis = $5 \
                         WHERE person_id = $1 AND month = $2 AND evaluated_at = $6",
                    )
                    .bind(p.to_string()).bind(month).bind(Json(&k.report)).bind(k.evaluated_at).bind(&k.basis)
                    .bind(was)
                    .execute(&mut *tx).await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    append_version(&mut tx, &p.to_string(), month, k).await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn recorded_months(&self) -> StoreResult<Vec<(PersonId, String)>> {
                    let rows = sqlx::query(
                        "SELECT person_id, MIN(captured_at) AS first, MAX(captured_at) AS last \
                         FROM device_records GROUP BY person_id ORDER BY person_id",
                    )
                    .fetch_all(&self.read).await?;
                    let mut out = Vec::new();
                    for r in rows {
                        let p: PersonId = parse("device_records.person_id", &r.try_get::<String, _>("person_id")?)?;
                        let (first, last): (DateTime<Utc>, DateTime<Utc>) = (r.try_get("first")?, r.try_get("last")?);
                        out.extend($crate::store::months_touched(first, last).into_iter().map(|m| (p, m)));
                    }
                    Ok(out)
                }

                async fn clear_kept_verdicts(&self) -> StoreResult<()> {
                    sqlx::query("DELETE FROM kept_verdicts").execute(&self.write).await?;
                    Ok(())
                }

                async fn closed_month(&self, month: &str) -> StoreResult<Option<ClosedMonth>> {
                    sqlx::query("SELECT month, closed_at, grace_date, policy FROM closed_months WHERE month = $1")
                        .bind(month)
                        .fetch_optional(&self.read).await?
                        .map(|r| Ok(ClosedMonth {
                            month: r.try_get("month")?,
                            closed_at: r.try_get("closed_at")?,
                            grace_date: r.try_get("grace_date")?,
                            policy: r.try_get("policy")?,
                        }))
                        .transpose()
                }

                async fn close_month(&self, c: &ClosedMonth) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO closed_months (month, closed_at, grace_date, policy) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (month) DO NOTHING",
                    )
                    .bind(&c.month).bind(c.closed_at).bind(c.grace_date).bind(&c.policy)
                    .execute(&self.write).await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn put_ledger_step(
                    &self,
                    l: &LedgerStepRow,
                    marks: &[(PersonId, String)],
                ) -> StoreResult<bool> {
                    let mut tx = self.write.begin().await?;
                    let done = sqlx::query(
                        "INSERT INTO ledger_submissions (village_id, month, step, person_id, at, remarks) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (village_id, month, step) DO NOTHING",
                    )
                    .bind(l.village_id.to_string()).bind(&l.month).bind(&l.step)
                    .bind(l.person_id.to_string()).bind(l.at).bind(&l.remarks)
                    .execute(&mut *tx).await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    let owned: Vec<(String, String)> =
                        marks.iter().map(|(p, m)| (p.to_string(), m.clone())).collect();
                    queue_marks(&mut tx, owned).await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn ledger_steps(&self, village: VillageId, month: &str) -> StoreResult<Vec<LedgerStepRow>> {
                    sqlx::query(
                        "SELECT village_id, month, step, person_id, at, remarks FROM ledger_submissions \
                         WHERE village_id = $1 AND month = $2 ORDER BY at, step",
                    )
                    .bind(village.to_string()).bind(month)
                    .fetch_all(&self.read).await?
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

                async fn last_closed_month(&self) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar("SELECT MAX(month) FROM closed_months")
                        .fetch_one(&self.read).await?)
                }

                async fn add_policy_version(&self, v: &PolicyVersionRow) -> StoreResult<i64> {
                    Ok(sqlx::query_scalar(
                        "INSERT INTO policy_versions (policy, effective_from, body, sha256, set_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(&v.policy).bind(v.effective_from).bind(&v.body).bind(&v.sha256).bind(v.set_at)
                    .fetch_one(&self.write).await?)
                }

                async fn last_policy_version(&self) -> StoreResult<i64> {
                    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM policy_versions")
                        .fetch_one(&self.read).await?;
                    Ok(last.unwrap_or(0))
                }

                async fn policy_versions(&self, policy: &str) -> StoreResult<Vec<PolicyVersionRow>> {
                    sqlx::query(
                        "SELECT id, policy, effective_from, body, sha256, set_at FROM policy_versions \
                         WHERE policy = $1 ORDER BY effective_from, id",
                    )
                    .bind(policy)
                    .fetch_all(&self.read).await?
                    .iter()
                    .map(|r| Ok(PolicyVersionRow {
                        id: r.try_get("id")?,
                        policy: r.try_get("policy")?,
                        effective_from: r.try_get("effective_from")?,
                        body: r.try_get("body")?,
                        sha256: r.try_get("sha256")?,
                        set_at: r.try_get("set_at")?,
                    }))
                    .collect()
                }

                async fn records_of(&self, p: PersonId, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<DeviceRecord>> {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM device_records \
                         WHERE person_id = $1 AND captured_at >= $2 AND captured_at < $3 \
                         ORDER BY captured_at, device_id, seq"
                    ))
                    .bind(p.to_string()).bind(from).bind(to)
                    .fetch_all(&self.read).await?
                    .iter().map(record).collect()
                }

                async fn record_authors(&self, ids: &[RecordId]) -> StoreResult<HashMap<RecordId, (PersonId, DateTime<Utc>)>> {
                    let mut out = HashMap::with_capacity(ids.len());
                    for chunk in ids.chunks(500) {
                        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "SELECT id, person_id, captured_at FROM device_records WHERE id IN ({})",
                            marks.join(", ")
                        );
                        let mut q = sqlx::query(&sql);
                        for id in chunk {
                            q = q.bind(id.to_string());
                        }
                        for row in q.fetch_all(&self.read).await? {
                            out.insert(
                                parse("device_records.id", &row.try_get::<String, _>("id")?)?,
                                (
                                    parse("device_records.person_id", &row.try_get::<String, _>("person_id")?)?,
                                    row.try_get::<DateTime<Utc>, _>("captured_at")?,
                                ),
                            );
                        }
                    }
                    Ok(out)
                }

                async fn fix_records_of(&self, p: PersonId, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<DeviceRecord>> {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM device_records \
                         WHERE person_id = $1 AND captured_at >= $2 AND captured_at < $3 \
                         AND kind IN {kinds} \
                         ORDER BY captured_at, device_id, seq",
                        kinds = *FIX_KINDS_SQL
                    ))
                    .bind(p.to_string()).bind(from).bind(to)
                    .fetch_all(&self.read).await?
                    .iter().map(record).collect()
                }

                async fn records_except_fixes_of(&self, p: PersonId, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<DeviceRecord>> {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM device_records \
                         WHERE person_id = $1 AND captured_at >= $2 AND captured_at < $3 \
                         AND kind <> 'fix' \
                         ORDER BY captured_at, device_id, seq"
                    ))
                    .bind(p.to_string()).bind(from).bind(to)
                    .fetch_all(&self.read).await?
                    .iter().map(record).collect()
                }

                async fn retractions_of(&self, p: PersonId) -> StoreResult<Vec<DeviceRecord>> {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM device_records \
                         WHERE person_id = $1 AND kind = 'retraction' ORDER BY captured_at, device_id, seq"
                    ))
                    .bind(p.to_string())
                    .fetch_all(&self.read).await?
                    .iter().map(record).collect()
                }

                async fn dirty_days(&self, limit: u32) -> StoreResult<Vec<QueuedDay>> {
                    sqlx::query(
                        "SELECT person_id, day, mark FROM day_facts_queue ORDER BY person_id, day LIMIT $1",
                    )
                    .bind(i64::from(limit))
                    .fetch_all(&self.write).await?
                    .iter()
                    .map(|r| {
                        Ok(QueuedDay {
                            person_id: parse("day_facts_queue.person_id", &r.try_get::<String, _>("person_id")?)?,
                            day: r.try_get("day")?,
                            mark: r.try_get("mark")?,
                        })
                    })
                    .collect()
                }

                async fn settle_day(&self, q: &QueuedDay) -> StoreResult<()> {
                    sqlx::query("DELETE FROM day_facts_queue WHERE person_id = $1 AND day = $2 AND mark = $3")
                        .bind(q.person_id.to_string()).bind(q.day).bind(&q.mark)
                        .execute(&self.write).await?;
                    Ok(())
                }

                async fn queue_days(&self, days: &[(PersonId, NaiveDate)]) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    let days: Vec<(String, NaiveDate)> = days.iter().map(|(p, d)| (p.to_string(), *d)).collect();
                    queue_days_tx(&mut tx, days).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn days_pending(&self, people: &[PersonId], before: NaiveDate) -> StoreResult<bool> {
                    for chunk in people.chunks(500) {
                        let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
                        let sql = format!(
                            "SELECT 1 FROM day_facts_queue WHERE day < $1 AND person_id IN ({}) LIMIT 1",
                            marks.join(", ")
                        );
                        let mut q = sqlx::query(&sql).bind(before);
                        for p in chunk {
                            q = q.bind(p.to_string());
                        }
                        if q.fetch_optional(&self.write).await?.is_some() {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }

                async fn day_facts(&self, p: PersonId, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<(zhucun_shared::day_facts::DayFacts, String)>> {
                    sqlx::query(
                        "SELECT facts, basis FROM day_facts WHERE person_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
                    )
                    .bind(p.to_string()).bind(from).bind(to)
                    .fetch_all(&self.read).await?
                    .iter().map(day_facts_row).collect()
                }

                async fn last_day_facts(&self, p: PersonId, before: NaiveDate) -> StoreResult<Option<(zhucun_shared::day_facts::DayFacts, String)>> {
                    sqlx::query(
                        "SELECT facts, basis FROM day_facts WHERE person_id = $1 AND day < $2 ORDER BY day DESC LIMIT 1",
                    )
                    .bind(p.to_string()).bind(before)
                    .fetch_optional(&self.read).await?
                    .as_ref().map(day_facts_row).transpose()
                }

                async fn put_day_facts(&self, f: &zhucun_shared::day_facts::DayFacts, basis: &str) -> StoreResult<()> {
                    let facts = serde_json::to_string(f)
                        .map_err(|e| StoreError::Corrupt(format!("day facts: {e}")))?;
                    sqlx::query(
                        "INSERT INTO day_facts (person_id, day, facts, basis) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (person_id, day) DO UPDATE SET facts = excluded.facts, basis = excluded.basis",
                    )
                    .bind(f.person.to_string()).bind(f.day).bind(facts).bind(basis)
                    .execute(&self.write).await?;
                    Ok(())
                }

                async fn clear_day_facts(&self) -> StoreResult<()> {
                    let mut tx = self.write.begin().await?;
                    sqlx::query("DELETE FROM day_facts").execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM day_facts_queue").execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn notes_of(&self, p: PersonId, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<DeviceRecord>> {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM device_records \
                         WHERE person_id = $1 AND captured_at >= $2 AND captured_at < $3 \
                         AND kind = 'note' \
                         ORDER BY captured_at, device_id, seq"
                    ))
                    .bind(p.to_string()).bind(from).bind(to)
                    .fetch_all(&self.read).await?
                    .iter().map(record).collect()
                }

                async fn leave_requests_of(&self, people: &[PersonId], from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<DeviceRecord>> {
                    let mut out = Vec::new();
                    for p in people {
                        let rows = sqlx::query(&format!(
                            "SELECT {RECORD_COLUMNS} FROM device_records \
                             WHERE person_id = $1 AND captured_at >= $2 AND captured_at < $3 \
                             AND kind IN ('leave_request', 'retraction') \
                             ORDER BY captured_at, device_id, seq"
                        ))
                        .bind(p.to_string()).bind(from).bind(to)
                        .fetch_all(&self.read).await?;
                        for r in &rows {
                            out.push(record(r)?);
                        }
                    }
                    Ok(out)
                }

                async fn put_file(&self, row: &FileRow) -> StoreResult<()> {
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
                    .execute(&self.write)
                    .await
                    .map_err(constraint("photo"))?;
                    self.add_file_uploader(&row.sha256, row.uploaded_by, row.uploaded_at).await
                }

                async fn file(&self, sha256: &str) -> StoreResult<Option<FileRow>> {
                    sqlx::query("SELECT * FROM files WHERE sha256 = $1")
                        .bind(sha256)
                        .fetch_optional(&self.read).await?
                        .as_ref().map(file_row).transpose()
                }

                async fn file_uses(&self, sha256: &str) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
                    sqlx::query(
                        "SELECT person_id, captured_at FROM record_files WHERE sha256 = $1 \
                         ORDER BY captured_at, record_id",
                    )
                    .bind(sha256)
                    .fetch_all(&self.read).await?
                    .iter()
                    .map(|r| {
                        Ok((
                            parse("record_files.person_id", &r.try_get::<String, _>("person_id")?)?,
                            r.try_get::<DateTime<Utc>, _>("captured_at")?,
                        ))
                    })
                    .collect()
                }

                async fn photo_facts(&self, shas: &[String]) -> StoreResult<HashMap<String, PhotoFacts>> {
                    let mut out = HashMap::with_capacity(shas.len());
                    // One query per few hundred files, not one per file.
                    for chunk in shas.chunks(500) {
                        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                        let sql = format!("SELECT * FROM files WHERE sha256 IN ({})", marks.join(", "));
                        let mut q = sqlx::query(&sql);
                        for sha in chunk {
                            q = q.bind(sha);
                        }
                        for row in q.fetch_all(&self.read).await? {
                            let p = file_row(&row)?;
                            // A document is no photo: it cannot stand as a visit's picture.
                            if crate::photos::document::is_image(&p.format) {
                                out.insert(p.sha256, p.facts);
                            }
                        }
                    }
                    Ok(out)
                }

                async fn add_file_uploader(&self, sha256: &str, person: PersonId, at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO file_uploaders (sha256, person_id, uploaded_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (sha256, person_id) DO NOTHING",
                    )
                    .bind(sha256)
                    .bind(person.to_string())
                    .bind(at)
                    .execute(&self.write)
                    .await
                    .map_err(constraint("file uploader"))?;
                    Ok(())
                }

                async fn is_file_uploader(&self, sha256: &str, person: PersonId) -> StoreResult<bool> {
                    let found: Option<String> = sqlx::query_scalar(
                        "SELECT person_id FROM file_uploaders WHERE sha256 = $1 AND person_id = $2",
                    )
                    .bind(sha256)
                    .bind(person.to_string())
                    .fetch_optional(&self.read).await?;
                    Ok(found.is_some())
                }

                async fn uploaders_file_uses(&self, sha256: &str) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
                    sqlx::query(
                        "SELECT f.person_id, f.captured_at FROM record_files f \
                         JOIN file_uploaders u ON u.sha256 = f.sha256 AND u.person_id = f.person_id \
                         WHERE f.sha256 = $1 ORDER BY f.captured_at, f.record_id",
                    )
                    .bind(sha256)
                    .fetch_all(&self.read).await?
                    .iter()
                    .map(|r| {
                        Ok((
                            parse("record_files.person_id", &r.try_get::<String, _>("person_id")?)?,
                            r.try_get::<DateTime<Utc>, _>("captured_at")?,
                        ))
                    })
                    .collect()
                }

                async fn held_files(&self, person: PersonId, shas: &[String]) -> StoreResult<HashMap<String, bool>> {
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
                        for row in q.fetch_all(&self.read).await? {
                            let mine: Option<String> = row.try_get("person_id")?;
                            out.insert(row.try_get::<String, _>("sha256")?, mine.is_some());
                        }
                    }
                    Ok(out)
                }

                async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<AuditEntry> {
                    let mut tx = self.write.begin().await?;
                    if <$db as sqlx::Database>::NAME == "PostgreSQL" {
                        // Held until this transaction ends: the next append reads the last
                        // entry only after this one is committed. (SQLite has one writer.)
                        sqlx::query("SELECT pg_advisory_xact_lock(7217370061)")
                            .execute(&mut *tx).await?;
                    }
                    let last: Option<(i64, String)> = sqlx::query_as(
                        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                    )
                    .fetch_optional(&mut *tx).await?;
                    let (seq, prev) = last.unwrap_or((0, $crate::audit::GENESIS.to_string()));
                    let entry = $crate::audit::chain(seq + 1, e.clone(), &prev);
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

                async fn audit_entries(
                    &self,
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
                    q.fetch_all(&self.read).await?
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

                async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.read).await?)
                }

                async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO settings (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(key).bind(value)
                    .execute(&self.write).await?;
                    Ok(())
                }

                async fn close(&self) {
                    self.write.close().await;
                    self.read.close().await;
                }
            }
        }
    };
}
