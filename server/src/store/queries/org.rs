//! The organisation: townships, people, villages, households, postings (任职) and pairings (结对).

use super::{Db, DbRow};
use crate::store::sql::{
    constraint, parse, HOUSEHOLD_TOWNSHIP, RAISE_ORG_VERSION, VILLAGE_TOWNSHIP,
};
use crate::store::{Org, StoreError, StoreResult};
use chrono::NaiveDate;
use sqlx::types::Json;
use sqlx::{Pool, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use zhucun_shared::ids::{HouseholdId, PersonId, TownshipId};
use zhucun_shared::org::{
    Assignment, Household, HouseholdCategory, LatLon, Pairing, Person, Township, Village,
};
use zhucun_shared::role::Role;

fn township_row(r: &DbRow) -> StoreResult<Township> {
    Ok(Township {
        id: parse("townships.id", &r.try_get::<String, _>("id")?)?,
        name: r.try_get("name")?,
        county: r.try_get("county")?,
    })
}

fn person_row(r: &DbRow) -> StoreResult<Person> {
    let unit: Option<String> = r.try_get("unit_id")?;
    Ok(Person {
        id: parse("people.id", &r.try_get::<String, _>("id")?)?,
        name: r.try_get("name")?,
        township_id: parse(
            "people.township_id",
            &r.try_get::<String, _>("township_id")?,
        )?,
        unit_id: unit.map(|u| parse("people.unit_id", &u)).transpose()?,
    })
}

fn village_row(r: &DbRow) -> StoreResult<Village> {
    let Json(boundary) = r.try_get("boundary")?;
    Ok(Village {
        id: parse("villages.id", &r.try_get::<String, _>("id")?)?,
        township_id: parse(
            "villages.township_id",
            &r.try_get::<String, _>("township_id")?,
        )?,
        name: r.try_get("name")?,
        code: r.try_get("code")?,
        boundary,
        poor: r.try_get("poor")?,
        exiting_this_year: r.try_get("exiting_this_year")?,
    })
}

fn household_row(r: &DbRow) -> StoreResult<Household> {
    let Json(categories): Json<Vec<HouseholdCategory>> = r.try_get("categories")?;
    Ok(Household {
        id: parse("households.id", &r.try_get::<String, _>("id")?)?,
        village_id: parse(
            "households.village_id",
            &r.try_get::<String, _>("village_id")?,
        )?,
        head_name: r.try_get("head_name")?,
        location: LatLon::new(r.try_get("lat")?, r.try_get("lon")?),
        categories,
        members: u32::try_from(r.try_get::<i64, _>("members")?)
            .map_err(|_| StoreError::Corrupt("households.members".into()))?,
        group: r.try_get("group_name")?,
    })
}

fn assignment_row(r: &DbRow) -> StoreResult<Assignment> {
    let village: Option<String> = r.try_get("village_id")?;
    Ok(Assignment {
        id: parse("assignments.id", &r.try_get::<String, _>("id")?)?,
        person_id: parse(
            "assignments.person_id",
            &r.try_get::<String, _>("person_id")?,
        )?,
        role: parse::<Role>("assignments.role", &r.try_get::<String, _>("role")?)?,
        village_id: village
            .map(|v| parse("assignments.village_id", &v))
            .transpose()?,
        township_id: parse(
            "assignments.township_id",
            &r.try_get::<String, _>("township_id")?,
        )?,
        starts_on: r.try_get::<NaiveDate, _>("starts_on")?,
        ends_on: r.try_get::<Option<NaiveDate>, _>("ends_on")?,
    })
}

fn pairing_row(r: &DbRow) -> StoreResult<Pairing> {
    Ok(Pairing {
        id: parse("pairings.id", &r.try_get::<String, _>("id")?)?,
        person_id: parse("pairings.person_id", &r.try_get::<String, _>("person_id")?)?,
        household_id: parse(
            "pairings.household_id",
            &r.try_get::<String, _>("household_id")?,
        )?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
    })
}

/// The townships `org`'s rows belong to as stored now, with those it names. Read before an
/// import and after it, so that a person, village or posting moved from one township to another
/// makes both stale.
async fn townships_of_rows(
    tx: &mut Transaction<'_, Db>,
    org: &Org,
) -> StoreResult<BTreeSet<String>> {
    fn ids<T: ToString>(of: impl Iterator<Item = T>) -> Vec<String> {
        of.map(|id| id.to_string()).collect()
    }
    let lookups = [
        (
            "SELECT township_id FROM people WHERE id = $1",
            ids(org.people.iter().map(|p| p.id)),
        ),
        (VILLAGE_TOWNSHIP, ids(org.villages.iter().map(|v| v.id))),
        (HOUSEHOLD_TOWNSHIP, ids(org.households.iter().map(|h| h.id))),
        (
            "SELECT township_id FROM assignments WHERE id = $1",
            ids(org.assignments.iter().map(|a| a.id)),
        ),
        (
            "SELECT pe.township_id FROM pairings pa JOIN people pe ON pe.id = pa.person_id \
             WHERE pa.id = $1",
            ids(org.pairings.iter().map(|p| p.id)),
        ),
        (
            "SELECT v.township_id FROM pairings pa JOIN households h ON h.id = pa.household_id \
             JOIN villages v ON v.id = h.village_id WHERE pa.id = $1",
            ids(org.pairings.iter().map(|p| p.id)),
        ),
    ];
    let mut out: BTreeSet<String> = ids(org.townships.iter().map(|t| t.id))
        .into_iter()
        .collect();
    for (sql, ids) in lookups {
        for id in ids {
            let township: Option<String> = sqlx::query_scalar(sql)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            out.extend(township);
        }
    }
    Ok(out)
}

pub(super) async fn put_org(write: &Pool<Db>, org: &Org) -> StoreResult<()> {
    let mut tx = write.begin().await?;
    let mut touched = townships_of_rows(&mut tx, org).await?;
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
    // Postings and pairings decide whose records count: kept verdicts computed with the old
    // organisation are stale from here on, in every township the import touched (as it was
    // and as it is).
    touched.extend(townships_of_rows(&mut tx, org).await?);
    for t in touched {
        sqlx::query(RAISE_ORG_VERSION)
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn township_org(read: &Pool<Db>, id: TownshipId) -> StoreResult<Org> {
    let id = id.to_string();
    let pool = read;
    let townships = sqlx::query("SELECT * FROM townships WHERE id = $1")
        .bind(&id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(township_row)
        .collect::<StoreResult<_>>()?;
    let people = sqlx::query("SELECT * FROM people WHERE township_id = $1 ORDER BY name, id")
        .bind(&id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(person_row)
        .collect::<StoreResult<_>>()?;
    let villages = sqlx::query("SELECT * FROM villages WHERE township_id = $1 ORDER BY name, id")
        .bind(&id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(village_row)
        .collect::<StoreResult<_>>()?;
    let households = sqlx::query(
        "SELECT h.* FROM households h JOIN villages v ON v.id = h.village_id \
         WHERE v.township_id = $1 ORDER BY h.village_id, h.head_name, h.id",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(household_row)
    .collect::<StoreResult<_>>()?;
    let assignments = sqlx::query(
        "SELECT * FROM assignments WHERE township_id = $1 ORDER BY person_id, starts_on, id",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(assignment_row)
    .collect::<StoreResult<_>>()?;
    let pairings = sqlx::query(
        "SELECT pa.* FROM pairings pa JOIN people pe ON pe.id = pa.person_id \
         WHERE pe.township_id = $1 ORDER BY pa.person_id, pa.id",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(pairing_row)
    .collect::<StoreResult<_>>()?;
    Ok(Org {
        townships,
        people,
        villages,
        households,
        assignments,
        pairings,
    })
}

pub(super) async fn townships(read: &Pool<Db>) -> StoreResult<Vec<Township>> {
    sqlx::query("SELECT * FROM townships ORDER BY name, id")
        .fetch_all(read)
        .await?
        .iter()
        .map(township_row)
        .collect()
}

pub(super) async fn org_versions(read: &Pool<Db>) -> StoreResult<BTreeMap<TownshipId, i64>> {
    sqlx::query("SELECT id, org_version FROM townships")
        .fetch_all(read)
        .await?
        .iter()
        .map(|r| {
            Ok((
                parse("townships.id", &r.try_get::<String, _>("id")?)?,
                r.try_get("org_version")?,
            ))
        })
        .collect()
}

pub(super) async fn village_by_name(
    read: &Pool<Db>,
    t: TownshipId,
    name: &str,
) -> StoreResult<Option<Village>> {
    sqlx::query("SELECT * FROM villages WHERE township_id = $1 AND name = $2")
        .bind(t.to_string())
        .bind(name)
        .fetch_optional(read)
        .await?
        .as_ref()
        .map(village_row)
        .transpose()
}

pub(super) async fn person(read: &Pool<Db>, id: PersonId) -> StoreResult<Option<Person>> {
    sqlx::query("SELECT * FROM people WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(read)
        .await?
        .as_ref()
        .map(person_row)
        .transpose()
}

pub(super) async fn household(read: &Pool<Db>, id: HouseholdId) -> StoreResult<Option<Household>> {
    sqlx::query("SELECT * FROM households WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(read)
        .await?
        .as_ref()
        .map(household_row)
        .transpose()
}

pub(super) async fn assignments_of(read: &Pool<Db>, p: PersonId) -> StoreResult<Vec<Assignment>> {
    sqlx::query("SELECT * FROM assignments WHERE person_id = $1 ORDER BY starts_on, id")
        .bind(p.to_string())
        .fetch_all(read)
        .await?
        .iter()
        .map(assignment_row)
        .collect()
}
