//! Evaluating a synthetic county-month: 3,000 people in 300 villages, one fix a minute for 8 h
//! on 22 days, six household visits a day. Each person's evaluation is timed against a plain
//! pass over the same fixes (track length and usable-fix count), measured in the same run.
//!
//! `cargo bench -p zhucun-shared --bench evaluate` runs a criterion comparison on one
//! person-month, then the whole county once (set ZHUCUN_BENCH_PEOPLE to change its size).

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use criterion::{black_box, Criterion, Throughput};
use geo::{LineString, MultiPolygon, Polygon};
use std::time::{Duration as StdDuration, Instant};
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::geometry::{distance_m, offset};
use zhucun_shared::ids::*;
use zhucun_shared::org::*;
use zhucun_shared::period::Period;
use zhucun_shared::record::{DeviceRecord, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::synth::Recorder;
use zhucun_shared::{evaluate, EvalContext};

const VILLAGES: usize = 300;
const PEOPLE_PER_VILLAGE: usize = 10;
const HOUSEHOLDS_PER_VILLAGE: usize = 20;
const ROLES: [Role; PEOPLE_PER_VILLAGE] = [
    Role::TeamLeader,
    Role::FirstSecretary,
    Role::ResidentMember,
    Role::ResidentMember,
    Role::ResidentMember,
    Role::AssistingCadre,
    Role::PairingCadre,
    Role::PairingCadre,
    Role::PairingCadre,
    Role::AgriTech,
];

/// A 24-sided ellipse of about 2 × 1.5 km: boundaries from township offices have tens of
/// vertices, not four.
fn ellipse(centre: LatLon) -> MultiPolygon<f64> {
    let ring: Vec<(f64, f64)> = (0..=24)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % 24) as f64 / 24.0;
            let p = offset(centre, 1000.0 * a.cos(), 750.0 * a.sin());
            (p.lon, p.lat)
        })
        .collect();
    MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
}

struct County {
    villages: Vec<Village>,
    households: Vec<Household>,
    assignments: Vec<Assignment>,
    pairings: Vec<Pairing>,
}

fn county() -> County {
    let township = TownshipId::from_u128(1);
    let origin = LatLon::new(27.0, 106.0);
    let mut c = County {
        villages: Vec::new(),
        households: Vec::new(),
        assignments: Vec::new(),
        pairings: Vec::new(),
    };
    for v in 0..VILLAGES {
        let centre = offset(origin, 5000.0 * (v % 20) as f64, 5000.0 * (v / 20) as f64);
        let vid = VillageId::from_u128(10_000 + v as u128);
        c.villages.push(Village {
            id: vid,
            township_id: township,
            name: format!("村{v}"),
            code: None,
            boundary: ellipse(centre),
            poor: true,
            exiting_this_year: false,
        });
        for h in 0..HOUSEHOLDS_PER_VILLAGE {
            c.households.push(Household {
                id: HouseholdId::from_u128((v * 100 + h) as u128 + 1_000_000),
                village_id: vid,
                head_name: format!("户{h}"),
                location: offset(
                    centre,
                    -500.0 + 50.0 * h as f64,
                    100.0 * (h % 4) as f64 - 150.0,
                ),
                categories: vec![HouseholdCategory::Poor],
                members: 3,
                group: None,
            });
        }
        for (i, role) in ROLES.iter().enumerate() {
            let person = person_id(v, i);
            c.assignments.push(Assignment {
                id: AssignmentId::from_u128(person.0.as_u128()),
                person_id: person,
                role: *role,
                village_id: Some(vid),
                township_id: township,
                starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                ends_on: None,
            });
            if *role == Role::PairingCadre {
                for h in 0..4 {
                    c.pairings.push(Pairing {
                        id: PairingId::from_u128((v * 1000 + i * 10 + h) as u128 + 5_000_000),
                        person_id: person,
                        household_id: HouseholdId::from_u128((v * 100 + h) as u128 + 1_000_000),
                        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                        ends_on: None,
                    });
                }
            }
        }
    }
    c
}

fn person_id(village: usize, i: usize) -> PersonId {
    PersonId::from_u128((village * PEOPLE_PER_VILLAGE + i) as u128 + 100_000)
}

/// One person's month: fixes every minute 08:00–16:00 on 22 days while wandering the village
/// (a few inaccurate fixes among them), and six household visits a day with photos and notes.
fn person_month(c: &County, village: usize, i: usize) -> Vec<DeviceRecord> {
    let person = person_id(village, i);
    let mut rec = Recorder::new(person, DeviceId::from_u128(person.0.as_u128()));
    let centre = offset(
        LatLon::new(27.0, 106.0),
        5000.0 * (village % 20) as f64,
        5000.0 * (village / 20) as f64,
    );
    let houses =
        &c.households[village * HOUSEHOLDS_PER_VILLAGE..(village + 1) * HOUSEHOLDS_PER_VILLAGE];
    let mut state: u64 = person.0.as_u128() as u64 | 1;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(22 * 500);
    for day in 1..=22u32 {
        let start: DateTime<Utc> = Shanghai
            .with_ymd_and_hms(2026, 11, day, 8, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        for m in 0..=480 {
            let (e, n) = (
                (rand() % 1400) as f64 - 700.0,
                (rand() % 1000) as f64 - 500.0,
            );
            let mut r = rec.fix(
                start + Duration::minutes(m),
                offset(centre, e, n),
                5.0 + (rand() % 50) as f64,
            );
            if rand() % 50 == 0 {
                if let RecordBody::Fix { fix } = &mut r.body {
                    fix.accuracy_m = 150.0;
                }
            }
            out.push(r);
        }
        for k in 0..6 {
            let h = &houses[(day as usize + k) % houses.len()];
            out.extend(rec.visit(
                h,
                start + Duration::minutes(30 + 60 * k as i64),
                12,
                Some("入户了解情况"),
            ));
        }
    }
    out
}

#[inline(never)]
/// The baseline: one pass over the fixes computing the track length and counting usable fixes.
fn plain_pass(records: &[DeviceRecord]) -> (f64, usize) {
    let mut length = 0.0;
    let mut usable = 0;
    let mut prev: Option<LatLon> = None;
    for r in records {
        if let RecordBody::Fix { fix } = &r.body {
            let p = fix.position();
            if let Some(q) = prev {
                length += distance_m(q, p);
            }
            usable += usize::from(fix.accuracy_m <= 100.0);
            prev = Some(p);
        }
    }
    (length, usable)
}

fn fixes_in(records: &[DeviceRecord]) -> u64 {
    records
        .iter()
        .filter(|r| matches!(r.body, RecordBody::Fix { .. }))
        .count() as u64
}

struct Env {
    calendar: WorkCalendar,
    catalogue: Catalogue,
    now: DateTime<Utc>,
    month: Period,
}

/// Each village's organisation, as the server loads it: its postings, boundary, households
/// and its people's pairings.
fn village_orgs(c: &County) -> Vec<Directory> {
    let ppv = PEOPLE_PER_VILLAGE;
    (0..VILLAGES)
        .map(|v| {
            let people: Vec<PersonId> = (0..ppv).map(|i| person_id(v, i)).collect();
            Directory {
                assignments: c.assignments[v * ppv..(v + 1) * ppv].to_vec(),
                pairings: c
                    .pairings
                    .iter()
                    .filter(|p| people.contains(&p.person_id))
                    .cloned()
                    .collect(),
                villages: c.villages[v..v + 1].to_vec(),
                households: c.households
                    [v * HOUSEHOLDS_PER_VILLAGE..(v + 1) * HOUSEHOLDS_PER_VILLAGE]
                    .to_vec(),
                ..Directory::default()
            }
        })
        .collect()
}

/// Evaluates one person with the organisation of their village.
fn eval_one(
    org: &Directory,
    env: &Env,
    village: usize,
    i: usize,
    records: &[DeviceRecord],
) -> usize {
    let ctx = EvalContext {
        person: person_id(village, i),
        earlier: &[],
        org,
        records,
        calendar: &env.calendar,
        catalogue: &env.catalogue,
        photo_files: zhucun_shared::plausibility::PhotoFiles::Unchecked,
        device_logs: zhucun_shared::plausibility::DeviceLogs::PHONE,
        findings: &[],
        ledger_steps: &[],
        history: None,
    };
    evaluate(&ctx, env.month, env.now).verdicts.len()
}

fn main() {
    let c = county();
    let orgs = village_orgs(&c);
    let env = Env {
        calendar: WorkCalendar::bundled(),
        catalogue: Catalogue::bundled(),
        now: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(),
        month: Period::month(2026, 11),
    };

    let mut crit = Criterion::default().configure_from_args();
    let sample = person_month(&c, 7, 0);
    let mut group = crit.benchmark_group("person_month");
    group.throughput(Throughput::Elements(fixes_in(&sample)));
    group.bench_function("plain_pass", |b| b.iter(|| plain_pass(black_box(&sample))));
    group.bench_function("evaluate", |b| {
        b.iter(|| eval_one(&orgs[7], &env, 7, 0, black_box(&sample)))
    });
    group.finish();
    crit.final_summary();

    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let people: usize = std::env::var("ZHUCUN_BENCH_PEOPLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(VILLAGES * PEOPLE_PER_VILLAGE);
    let (mut t_eval, mut t_pass) = (StdDuration::ZERO, StdDuration::ZERO);
    let (mut fixes, mut verdicts) = (0u64, 0usize);
    for n in 0..people {
        let (village, i) = (n / PEOPLE_PER_VILLAGE, n % PEOPLE_PER_VILLAGE);
        let records = person_month(&c, village, i);
        fixes += fixes_in(&records);
        let t = Instant::now();
        black_box(plain_pass(black_box(&records)));
        t_pass += t.elapsed();
        let t = Instant::now();
        verdicts += black_box(eval_one(
            &orgs[village],
            &env,
            village,
            i,
            black_box(&records),
        ));
        t_eval += t.elapsed();
    }
    let rate = |d: StdDuration| fixes as f64 / d.as_secs_f64();
    println!("county-month: {people} people, {fixes} fixes, {verdicts} verdicts");
    println!(
        "  plain pass: {:>8.2} s  {:>12.0} fixes/s",
        t_pass.as_secs_f64(),
        rate(t_pass)
    );
    println!(
        "  evaluate:   {:>8.2} s  {:>12.0} fixes/s",
        t_eval.as_secs_f64(),
        rate(t_eval)
    );
    println!(
        "  ratio evaluate / plain pass: {:.2}",
        t_eval.as_secs_f64() / t_pass.as_secs_f64()
    );
}
