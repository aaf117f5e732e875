//! Kept verdicts at township scale, on a synthetic township (`demo::build_synthetic_township`)
//! with months of history up to now, on SQLite and, when ZHUCUN_TEST_PG_URL is set, PostgreSQL:
//! - building it (records per second through the store's push);
//! - `verdicts rebuild` of every person-month, in records per second, against the
//!   evaluator's own rate on the same records in memory;
//! - one team member's month evaluated in memory from every raw record of the year, against
//!   the same month from its day facts (`shared::day_facts`) and its own raw records, with the
//!   same month evaluated with a single month of history as the baseline.
//!
//! Size: ZHUCUN_BENCH_PEOPLE (default 60) and ZHUCUN_BENCH_MONTHS (default 11). With
//! ZHUCUN_PROFILE_LOOP=<seconds>, the team leader's month from day facts is evaluated over and
//! over for that long (after "LOOP START" on stderr, for a profiler to attach) and the run
//! stops there. ZHUCUN_PROFILE_PUSH=<seconds> does the same with the team leader's push until
//! fresh on the full history (after "PUSH LOOP START").
//! `cargo bench -p zhucun-server --bench verdicts`.

#[path = "common/db.rs"]
mod db;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use db::{backends, drop_schema, fresh};
use std::collections::{BTreeSet, HashSet};
use std::time::Instant;
use zhucun_server::demo::{build_synthetic_township, TownshipSize};
use zhucun_server::store::Store;
use zhucun_server::{open_store, AppState, Config};
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::day_facts::{fold_day, raw_from, shapes, stay_villages, DayFacts, History};
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::org::Directory;
use zhucun_shared::period::{day_start, local_date, Period};
use zhucun_shared::plausibility::{DeviceLogs, PhotoFiles};
use zhucun_shared::record::{DeviceRecord, RecordBody};
use zhucun_shared::visits::withdrawn;
use zhucun_shared::{evaluate, EvalContext};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Policy {
    calendar: WorkCalendar,
    catalogue: Catalogue,
}

fn evaluate_month(
    policy: &Policy,
    org: &Directory,
    person: PersonId,
    records: &[DeviceRecord],
    history: Option<History<'_>>,
    month: Period,
) -> usize {
    let ctx = EvalContext {
        person,
        earlier: &[],
        org,
        records,
        calendar: &policy.calendar,
        catalogue: &policy.catalogue,
        photo_files: PhotoFiles::Unchecked,
        device_logs: DeviceLogs::PHONE,
        findings: &[],
        ledger_steps: &[],
        history,
    };
    evaluate(&ctx, month, Utc::now()).verdicts.len()
}

/// Every day's facts of `people`, folded in day order from their records.
fn facts_of(
    policy: &Policy,
    org: &Directory,
    people: &[PersonId],
    records: &[DeviceRecord],
) -> Vec<DayFacts> {
    let mut out = Vec::new();
    for p in people {
        let mine: Vec<&DeviceRecord> = records.iter().filter(|r| r.person_id == *p).collect();
        let gone: HashSet<RecordId> = withdrawn(mine.iter().copied());
        let shapes = shapes(org, &stay_villages(org, *p));
        let days: BTreeSet<NaiveDate> = mine
            .iter()
            .filter(|r| matches!(r.body, RecordBody::Fix { .. }))
            .map(|r| local_date(r.captured_at))
            .collect();
        let mut by_day: std::collections::BTreeMap<NaiveDate, Vec<&DeviceRecord>> =
            Default::default();
        for r in &mine {
            by_day
                .entry(local_date(r.captured_at))
                .or_default()
                .push(*r);
        }
        let mut last: Option<DayFacts> = None;
        for d in days {
            let f = fold_day(
                *p,
                d,
                by_day[&d].iter().copied(),
                &gone,
                last.as_ref(),
                &shapes,
                &policy.catalogue.interpretation,
            );
            out.push(f.clone());
            last = Some(f);
        }
    }
    out
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

async fn time_async<T, F: std::future::Future<Output = T>>(
    runs: usize,
    mut f: impl FnMut() -> F,
) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f().await;
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

/// A push's re-evaluation for `person`, until their verdicts are fresh: the person-day and
/// person-month the push queues, drained (day facts, then the month and everyone it counts
/// for). The best of three, in milliseconds.
async fn push_until_fresh(
    state: &AppState,
    store: &zhucun_server::AnyStore,
    person: PersonId,
    now: chrono::DateTime<Utc>,
) -> f64 {
    let today = local_date(now);
    let month = Period::month(today.year(), today.month()).to_string();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        store.queue_days(&[(person, today)]).await.unwrap();
        store.mark_dirty(&[(person, month.clone())]).await.unwrap();
        while zhucun_server::verdicts::drain(state, 50).await.unwrap() > 0 {}
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    best
}

/// A township of `people` with `months` of history in a fresh database (PostgreSQL on `pg`,
/// else SQLite under `dir`); the schema to drop after, on PostgreSQL.
async fn township(
    pg: Option<&str>,
    dir: &std::path::Path,
    people: usize,
    months: u32,
    now: chrono::DateTime<Utc>,
) -> (
    zhucun_server::AnyStore,
    AppState,
    zhucun_server::demo::SyntheticTownship,
    f64,
    Option<String>,
) {
    let (url, schema) = fresh(pg, dir, &format!("v{months}")).await;
    let store = open_store(&url).await.unwrap();
    let state = AppState::new(Config::for_tests(dir.to_path_buf()), store.clone())
        .await
        .unwrap();
    let size = TownshipSize {
        people,
        months,
        seed: 11,
    };
    let start = Instant::now();
    let built = build_synthetic_township(&store, size, now).await.unwrap();
    (store, state, built, start.elapsed().as_secs_f64(), schema)
}

fn main() {
    let people = env("ZHUCUN_BENCH_PEOPLE", 60);
    let months = env("ZHUCUN_BENCH_MONTHS", 11) as u32;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let now = Utc::now();
    for (backend, pg) in backends() {
        println!("## {backend}");
        println!();
        rt.block_on(measure(pg.as_deref(), people, months, now));
        println!();
    }
}

/// Every figure on one backend (PostgreSQL on `pg`, else SQLite).
async fn measure(pg: Option<&str>, people: usize, months: u32, now: chrono::DateTime<Utc>) {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, state, built, build_s, schema) =
            township(pg, dir.path(), people, months, now).await;
        let records = built.county.records;
        println!(
            "township: {} people, {} villages, {} months, {} records, {} photos; built in {:.1} s ({:.0} records/s)",
            built.org.people.len(),
            built.county.villages,
            months,
            records,
            built.county.photos,
            build_s,
            records as f64 / build_s
        );

        // verdicts rebuild: every person-month from the records.
        let start = Instant::now();
        let kept = zhucun_server::verdicts::rebuild(&state, |_, _| {})
            .await
            .unwrap();
        let rebuild_s = start.elapsed().as_secs_f64();

        // The evaluator alone, in memory, on the same records: every person's month of the
        // rebuild, each with its team's records from the first day.
        let org = store.township_org(built.county.township.id).await.unwrap();
        let policy = Policy {
            calendar: WorkCalendar::bundled(),
            catalogue: Catalogue::bundled(),
        };
        let first = day_start(local_date(now) - Duration::days(31 * i64::from(months) + 31));
        let to = now + Duration::days(2);
        let mut all: std::collections::HashMap<PersonId, Vec<DeviceRecord>> = Default::default();
        for p in &org.people {
            all.insert(p.id, store.records_of(p.id, first, to).await.unwrap());
        }
        let today = local_date(now);
        let this_month = Period::month(today.year(), today.month());
        let start = Instant::now();
        let mut evaluated = 0usize;
        let mut read = 0usize;
        for p in &org.people {
            let team: Vec<DeviceRecord> = org
                .team_of(p.id, this_month.first_day(), this_month.last_day())
                .into_iter()
                .flat_map(|q| all[&q].iter().cloned())
                .collect();
            read += team.len();
            evaluate_month(&policy, &org, p.id, &team, None, this_month);
            evaluated += 1;
        }
        let memory_s = start.elapsed().as_secs_f64();
        println!();
        println!("| step | person-months | records read | seconds | records / s |");
        println!("|---|---|---|---|---|");
        println!(
            "| `verdicts rebuild` (all months, store) | {kept} | {records} stored | {rebuild_s:.1} | {:.0} |",
            records as f64 / rebuild_s
        );
        println!(
            "| evaluator in memory, this month, every person | {evaluated} | {read} | {memory_s:.1} | {:.0} |",
            read as f64 / memory_s
        );

        // One team leader's month: from every raw record, from day facts and the month's
        // raw records, and with one month of history.
        let leader = org
            .assignments
            .iter()
            .find(|a| a.role == zhucun_shared::role::Role::TeamLeader)
            .map(|a| a.person_id)
            .unwrap();
        let team_ids: Vec<PersonId> = org
            .team_of(leader, this_month.first_day(), this_month.last_day())
            .into_iter()
            .collect();
        let team: Vec<DeviceRecord> = team_ids
            .iter()
            .flat_map(|q| all[q].iter().cloned())
            .collect();
        let facts = facts_of(&policy, &org, &team_ids, &team);
        let from = raw_from(&policy.catalogue, this_month);
        let raw: Vec<DeviceRecord> = team
            .iter()
            .filter(|r| {
                !matches!(r.body, RecordBody::Fix { .. }) || r.captured_at >= day_start(from)
            })
            .cloned()
            .collect();
        let history = History { from, days: &facts };
        assert!(history.fits(&org, leader, this_month, &raw));
        let one_month: Vec<DeviceRecord> = team
            .iter()
            .filter(|r| r.captured_at >= day_start(from))
            .cloned()
            .collect();
        let (full_ms, a) = time(3, || {
            evaluate_month(&policy, &org, leader, &team, None, this_month)
        });
        let (facts_ms, b) = time(3, || {
            evaluate_month(&policy, &org, leader, &raw, Some(history), this_month)
        });
        if let Ok(secs) = std::env::var("ZHUCUN_PROFILE_LOOP") {
            eprintln!("LOOP START");
            let until = Instant::now() + std::time::Duration::from_secs(secs.parse().unwrap());
            while Instant::now() < until {
                evaluate_month(&policy, &org, leader, &raw, Some(history), this_month);
            }
            eprintln!("LOOP END");
            std::process::exit(0);
        }
        let (one_ms, _) = time(3, || {
            evaluate_month(&policy, &org, leader, &one_month, None, this_month)
        });
        assert_eq!(a, b);
        // A push of one day: that day's facts folded again for the team, and the month evaluated.
        let last_day = facts.iter().map(|f| f.day).max().unwrap();
        let (fold_ms, _) = time(3, || {
            let day: Vec<DeviceRecord> = team
                .iter()
                .filter(|r| local_date(r.captured_at) == last_day)
                .cloned()
                .collect();
            facts_of(&policy, &org, &team_ids, &day).len()
        });
        println!();
        println!(
            "| a team leader's {this_month} (team of {}, {} records since {}) | ms |",
            team_ids.len(),
            team.len(),
            first.date_naive()
        );
        println!("|---|---|");
        println!("| from every raw record (today's path) | {full_ms:.1} |");
        println!(
            "| from day facts ({} days) and {} raw records from {from} | {facts_ms:.1} |",
            facts.len(),
            raw.len()
        );
        println!(
            "| baseline: one month of history only ({} records) | {one_ms:.1} |",
            one_month.len()
        );
        println!("| one day's facts folded again for the team | {fold_ms:.1} |");
        println!(
            "| facts path / one month of history | {:.2}× |",
            facts_ms / one_ms
        );
        println!(
            "| raw path / one month of history | {:.2}× |",
            full_ms / one_ms
        );

        // The township-month overview: every person's kept report for this month through
        // verdicts::report, against a plain read of the same kept rows, once the worker has
        // caught up with the queue the phones' pushes left (a running server's steady state).
        // The worker also brings every provisional verdict to the day (`verdicts::warm`) before
        // the pages read them; timed, since on a new day it runs once before the first page.
        while zhucun_server::verdicts::drain(&state, 50).await.unwrap() > 0 {}
        let start = Instant::now();
        let warmed = zhucun_server::verdicts::warm(&state, now).await.unwrap();
        let warm_ms = start.elapsed().as_secs_f64() * 1000.0;
        let org_arc = std::sync::Arc::new(org.clone());
        let ids: Vec<PersonId> = org.people.iter().map(|p| p.id).collect();
        let key = this_month.to_string();
        let (overview_ms, served) = time_async(5, || async {
            let mut loaded = zhucun_server::evaluation::Loaded::default();
            zhucun_server::verdicts::read_ahead(&state, &ids, this_month, &mut loaded)
                .await
                .unwrap();
            let mut n = 0;
            for p in &ids {
                zhucun_server::verdicts::report(
                    &state,
                    org_arc.clone(),
                    *p,
                    this_month,
                    now,
                    &mut loaded,
                )
                .await
                .unwrap();
                n += 1;
            }
            n
        })
        .await;
        let (plain_ms, rows) = time_async(5, || async {
            store.kept_verdicts(&key, &ids).await.unwrap().len()
        })
        .await;
        assert_eq!(served, rows, "every person's verdict is kept");
        println!();
        println!(
            "| township-month overview ({} people) | ms |",
            org.people.len()
        );
        println!("|---|---|");
        println!("| bringing the kept verdicts to the day (`verdicts::warm`, {warmed} person-months, once a day) | {warm_ms:.1} |");
        println!("| kept verdicts through `read_ahead` + `verdicts::report` (best of 5) | {overview_ms:.1} |");
        println!("| plain indexed read of the same kept rows (best of 5) | {plain_ms:.1} |");
        println!("| ratio | {:.2}× |", overview_ms / plain_ms);

        // A push's re-evaluation with the whole history behind it, against the same township
        // with one month before this one.
        let long = push_until_fresh(&state, &store, leader, now).await;
        if let Ok(secs) = std::env::var("ZHUCUN_PROFILE_PUSH") {
            eprintln!("PUSH LOOP START");
            let until = Instant::now() + std::time::Duration::from_secs(secs.parse().unwrap());
            while Instant::now() < until {
                push_until_fresh(&state, &store, leader, now).await;
            }
            eprintln!("PUSH LOOP END");
            std::process::exit(0);
        }
        let (store2, state2, built2, _, schema2) = township(pg, dir.path(), people, 2, now).await;
        while zhucun_server::verdicts::drain(&state2, 50).await.unwrap() > 0 {}
        let leader2 = built2
            .org
            .assignments
            .iter()
            .find(|a| a.role == zhucun_shared::role::Role::TeamLeader)
            .map(|a| a.person_id)
            .unwrap();
        let short = push_until_fresh(&state2, &store2, leader2, now).await;
        println!();
        println!("| a team leader's push, re-evaluated until fresh | ms |");
        println!("|---|---|");
        println!("| with {months} months of history | {long:.1} |");
        println!("| with 2 months of history | {short:.1} |");
        println!("| ratio | {:.2}× |", long / short);
        println!();
        println!("load: {}", uptime());
        store.close().await;
        store2.close().await;
        drop_schema(pg, schema).await;
        drop_schema(pg, schema2).await;
    }
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string()
}
