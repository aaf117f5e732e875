//! The demo county: 青峰乡 of 通江县, five villages, about two hundred households of every
//! category, thirty people in all nine roles, and last month and this one of what their phones
//! recorded — a fix a minute on duty with gaps and poor fixes, household visits with photos and
//! notes, activities and reports. Some teams do what the plan asks and some fall short, so the
//! verdicts differ. Everything goes through the same store calls as synced data.
//!
//! [`places`] and [`people`] make the township, [`work`] and [`paperwork`] what everyone does
//! (a day on duty written by the shared generator, [`zhucun_shared::synth::DutyDays`]),
//! [`photos`] the visits' pictures, [`phones`] the enrolment and evening syncs, [`summary`]
//! what is printed at start.

mod paperwork;
mod people;
mod phones;
mod photos;
mod places;
mod summary;
mod synthetic;
mod work;

pub use synthetic::{build_synthetic_township, villages_for, SyntheticTownship, TownshipSize};

use crate::photos::ObjectStore;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use zhucun_shared::org::Township;
use zhucun_shared::role::Role;
use zhucun_shared::synth::DutyDays;

/// Every demo account has this password.
pub const DEMO_PASSWORD: &str = "zhucun2026";

/// The seeds of the township (places and people) and of what its people record.
const TOWNSHIP_SEED: u64 = 2026;
const RECORDS_SEED: u64 = 7;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("photo store: {0}")]
    Photos(String),
    #[error("password hashing: {0}")]
    Password(String),
}

#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub village: Option<String>,
}

/// What was built.
#[derive(Clone, Debug)]
pub struct DemoCounty {
    pub township: Township,
    pub logins: Vec<DemoLogin>,
    pub villages: usize,
    pub households: usize,
    pub records: usize,
    pub photos: usize,
}

/// Why a demo app could not be set up.
pub type SetUpError = Box<dyn std::error::Error + Send + Sync>;

/// The app over `store` with the demo county built in it as of `now`, in the test
/// configuration (cheap password hashes, files under `dir`): for tests and benchmarks.
pub async fn demo_app(
    store: crate::AnyStore,
    dir: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<(crate::AppState, DemoCounty), SetUpError> {
    let state =
        crate::AppState::new(crate::Config::for_tests(dir.to_path_buf()), store.clone()).await?;
    let demo = build_demo_county(&store, state.objects.as_ref(), now).await?;
    Ok((state, demo))
}

/// [`demo_app`] over a new SQLite file in `dir`.
pub async fn sqlite_demo_app(
    dir: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<(crate::AnyStore, crate::AppState, DemoCounty), SetUpError> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("demo.sqlite").display());
    let store = crate::open_store(&url).await?;
    let (state, demo) = demo_app(store.clone(), dir, now).await?;
    Ok((store, state, demo))
}

/// Writes the accounts of `county` and everything its people's phones recorded over `months`
/// up to `now` (the days drawn from `seed`), synced each evening: the demo county's and a
/// synthetic township's history alike. With `objects`, the pictures are encoded and stored
/// there; without, they are only named with the facts the server would read from them.
/// Gives the numbers of pictures and records written.
async fn write_history<S: Store>(
    store: &S,
    objects: Option<&dyn ObjectStore>,
    months: &work::Months,
    places: &places::Places,
    county: &people::County,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<(usize, usize), DemoError> {
    people::accounts(store, county, now).await?;
    let mut work = work::Work {
        days: DutyDays::new(seed, now),
        camera: match objects {
            Some(_) => photos::DemoCamera::default(),
            None => photos::DemoCamera::named_only(),
        },
        phones: phones::enrol(store, &county.org, months.first_day).await?,
        months,
        places,
        org: &county.org,
    };
    let staff = &county.staff;
    for (i, team) in staff.teams.iter().enumerate() {
        work.village(i, team)?;
    }
    for liaison in &staff.liaisons {
        work.liaison(liaison)?;
    }
    work.technician(staff.agri)?;
    paperwork::supervision(&mut work, staff.supervisor);
    let photos = match objects {
        Some(objects) => work.camera.store(store, objects).await?,
        None => work.camera.store_named(store).await?,
    };
    let records = phones::sync_evenings(store, work.phones, now).await?;
    Ok((photos, records))
}

/// Builds the demo county into `store` (photo files into `objects`) for the last month and
/// this one as of `now`.
pub async fn build_demo_county<S: Store>(
    store: &S,
    objects: &dyn ObjectStore,
    now: DateTime<Utc>,
) -> Result<DemoCounty, DemoError> {
    let months = work::Months::ending(now);
    let mut rng = StdRng::seed_from_u64(TOWNSHIP_SEED);
    let places = places::places(&mut rng);
    let county = people::county(&mut rng, &places, months.first_day);
    let (photos, records) = write_history(
        store,
        Some(objects),
        &months,
        &places,
        &county,
        RECORDS_SEED,
        now,
    )
    .await?;
    Ok(DemoCounty {
        township: places.township,
        logins: county.logins,
        villages: places.villages.len(),
        households: places.households.len(),
        records,
        photos,
    })
}
