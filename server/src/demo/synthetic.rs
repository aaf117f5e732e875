//! A synthetic township at any size, for benchmarks and tests at scale: villages each with the
//! demo's team of five (first secretary, team leader, resident member, assisting cadre, pairing
//! cadre, three of them paired with poor households), a liaison leader over every three
//! villages, the county office, a supervisor and a technician, with `months` months of what
//! their phones recorded up to `now` — the demo county's days written by the same code (a fix a
//! minute on duty, household visits with photos and notes, paperwork), synced each evening.
//!
//! Its pictures are only named, with the facts the server would read from them (a distinct
//! perceptual hash each, so no reuse is found but the demo's one team that reuses photos): no
//! picture is encoded and no file is written, so that a township of hundreds of people and most
//! of a year is built in minutes.

use super::work::Months;
use super::{people, places, write_history, DemoCounty, DemoError};
use crate::store::{Org, Store};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// How large a synthetic township is and which one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TownshipSize {
    /// People wanted; the township has as many village teams as fit (at most this many people,
    /// at least one village).
    pub people: usize,
    /// Months of history up to `now`, this one included (at least two).
    pub months: u32,
    /// The seed of places, people and records: the same size and seed build the same township
    /// (but for the random ids of the directory).
    pub seed: u64,
}

/// What was built.
#[derive(Clone, Debug)]
pub struct SyntheticTownship {
    pub county: DemoCounty,
    /// The township's directory as stored.
    pub org: Org,
}

/// The number of villages whose teams, liaison leaders and the three township people make at
/// most `people` (at least one village).
pub fn villages_for(people: usize) -> usize {
    let staff = |v: usize| 3 + 5 * v + v.div_ceil(3);
    (1..=people.max(1))
        .take_while(|v| staff(*v) <= people)
        .last()
        .unwrap_or(1)
}

/// Builds a township of `size` into `store` with its history up to `now`, every account with
/// the demo password.
pub async fn build_synthetic_township<S: Store>(
    store: &S,
    size: TownshipSize,
    now: DateTime<Utc>,
) -> Result<SyntheticTownship, DemoError> {
    let months = Months::over(now, size.months.max(2));
    let mut rng = StdRng::seed_from_u64(size.seed);
    let places = places::many(&mut rng, "合力乡", villages_for(size.people));
    let county = people::many(&mut rng, &places, months.first_day);
    let (photos, records) = write_history(
        store,
        None,
        &months,
        &places,
        &county,
        size.seed.wrapping_add(1),
        now,
    )
    .await?;
    Ok(SyntheticTownship {
        county: DemoCounty {
            township: places.township.clone(),
            logins: county.logins,
            villages: places.villages.len(),
            households: places.households.len(),
            records,
            photos,
        },
        org: county.org,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_small_township_with_three_months_of_work() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("s.sqlite").display()
        );
        let store = crate::open_store(&url).await.unwrap();
        let now = "2026-11-20T04:00:00Z".parse().unwrap();
        let size = TownshipSize {
            people: 20,
            months: 3,
            seed: 1,
        };
        let built = build_synthetic_township(&store, size, now).await.unwrap();
        // Three villages: 3 + 15 + 1 people.
        assert_eq!(built.county.villages, 3);
        assert_eq!(built.org.people.len(), 19);
        assert_eq!(built.county.logins.len(), 19);
        let stored = store.township_org(built.county.township.id).await.unwrap();
        assert_eq!(stored.people.len(), 19);
        // A fix a minute on duty: hundreds of records per person and working day.
        assert!(
            built.county.records > 19 * 40 * 200,
            "{}",
            built.county.records
        );
        assert!(built.county.photos > 1000, "{}", built.county.photos);
        let leader = built.org.people[5].id;
        let first = "2026-09-01T00:00:00Z".parse().unwrap();
        assert!(!store
            .records_of(leader, first, now)
            .await
            .unwrap()
            .is_empty());
    }

    #[test]
    fn villages_fit_the_people_wanted() {
        // 3 + 5 × 55 + 19 = 297; 56 villages would be 3 + 280 + 19 = 302.
        assert_eq!(villages_for(300), 55);
        assert_eq!(villages_for(30), 5);
        assert_eq!(villages_for(1), 1);
    }
}
