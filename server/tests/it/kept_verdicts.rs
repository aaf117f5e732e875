//! Kept verdicts: what the reports, the pull and the spot-check queue serve is what a
//! from-scratch evaluation gives, whatever the order and batches records arrive in; the queue
//! of pending re-evaluations survives a restart; `rebuild` recomputes everything. The month
//! under test is provisional throughout (before its grace date): final months are
//! `month_close`'s.

use crate::common::*;
use chrono::Datelike;
use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use std::sync::Arc;
use zhucun_server::clock::FixedClock;
use zhucun_server::evaluation::person_report;
use zhucun_server::store::Store;
use zhucun_shared::ids::{DeviceId, PersonId};
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::verdict::PersonReport;

/// Noon in China on 3 October 2026: the server's "now" in these tests, and the phones' clock.
/// September, the month under test, is still provisional (its grace date is 5 October).
fn now() -> DateTime<Utc> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 3).unwrap();
    zhucun_shared::period::day_start(today) + Duration::hours(12)
}

/// The month before this one: wholly past, so every rule is due.
fn month() -> Period {
    let first = Period::containing(PeriodKind::Month, local_date(now()))
        .unwrap()
        .first_day();
    let last_before = first - Duration::days(1);
    Period::month(last_before.year(), last_before.month())
}

/// Days of fixes in village 1 in [`month`]: an hour, three, six hours a day.
fn days_of_fixes(device: DeviceId, person: PersonId) -> Vec<DeviceRecord> {
    let mut out = Vec::new();
    let mut seq = 1;
    for (day, minutes) in [(3i64, 60u64), (4, 200), (5, 400), (10, 300), (11, 30)] {
        let date = month().first_day() + Duration::days(day - 1);
        // 08:30 in China.
        let start = zhucun_shared::period::day_start(date) + Duration::minutes(8 * 60 + 30);
        out.extend(fix_records(
            device,
            person,
            seq..seq + minutes,
            start - Duration::minutes(seq as i64),
        ));
        seq += minutes;
    }
    out
}

/// The report as a from-scratch evaluation gives it, without its timestamp.
async fn scratch(app: &TestApp, person: PersonId) -> serde_json::Value {
    let org = app.state.store.township_org(app.fx.township).await.unwrap();
    let r = person_report(&app.state, Arc::new(org), person, month(), now())
        .await
        .unwrap();
    comparable(r)
}

/// Without its timestamp and its month's standing (which the evaluator alone does not know).
fn comparable(mut r: PersonReport) -> serde_json::Value {
    r.evaluated_at = DateTime::UNIX_EPOCH;
    r.standing = Default::default();
    serde_json::to_value(r).unwrap()
}

async fn served(app: &TestApp, token: &str, person: PersonId) -> serde_json::Value {
    let (s, v) = app
        .get(
            token,
            &format!("/api/v1/people/{person}/report?month={}", month()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    comparable(serde_json::from_value(v).unwrap())
}

fn kept_reads(app: &TestApp) -> u64 {
    app.state
        .metrics
        .verdicts
        .get_or_create(&zhucun_server::metrics::OutcomeLabels {
            outcome: "kept".into(),
        })
        .get()
}

#[tokio::test]
async fn kept_verdicts_are_what_a_fresh_evaluation_gives_whatever_the_arrival_order() {
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(now()));
        let app = TestApp::start_at(&backend, |_| {}, clock).await;
        let fx = app.fx.clone();
        let supervisor = app.login(fx.supervisor).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        // Two members of village 1's team, each with a phone; their records arrive shuffled.
        let mut pending = Vec::new();
        for who in [fx.cadre1, fx.leader1] {
            let token = app.login(who).await;
            let device = app.enroll_at(who, now() - Duration::days(30)).await;
            let mut records = days_of_fixes(device, who);
            records.shuffle(&mut rng);
            pending.push((token, device, records));
        }
        let people = [fx.cadre1, fx.leader1, fx.cadre2];
        while pending.iter().any(|(_, _, r)| !r.is_empty()) {
            let i = rng.gen_range(0..pending.len());
            let (token, device, records) = &mut pending[i];
            if records.is_empty() {
                continue;
            }
            let n = rng.gen_range(1..=records.len().min(400));
            let batch: Vec<_> = records.drain(..n).collect();
            let (s, v) = app.push_at(token, *device, &batch, now()).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            // Half the time the worker has caught up before the reads, half the time not.
            if rng.gen_bool(0.5) {
                while zhucun_server::verdicts::drain(&app.state, 100)
                    .await
                    .unwrap()
                    > 0
                {}
            }
            for p in people {
                assert_eq!(
                    served(&app, &supervisor, p).await,
                    scratch(&app, p).await,
                    "{} after a batch of {n} ({backend:?})",
                    username(&fx, p)
                );
            }
        }
        // Caught up, the reads are served from what was kept.
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let before = kept_reads(&app);
        for p in people {
            assert_eq!(served(&app, &supervisor, p).await, scratch(&app, p).await);
        }
        assert_eq!(kept_reads(&app) - before, people.len() as u64);
        app.stop().await;
    }
}

/// A server at [`now`] on a clock the test moves, without the worker bringing verdicts to the
/// day (each read shows what it found), with cadre 1's days of fixes taken in.
async fn with_cadre1s_days(backend: &Backend) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(now()));
    let app = TestApp::start_at(backend, |c| c.warm_verdicts = false, clock.clone()).await;
    let fx = app.fx.clone();
    let token = app.login(fx.cadre1).await;
    let device = app.enroll_at(fx.cadre1, now() - Duration::days(30)).await;
    let (s, _) = app
        .push_at(&token, device, &days_of_fixes(device, fx.cadre1), now())
        .await;
    assert_eq!(s, StatusCode::OK);
    while zhucun_server::verdicts::drain(&app.state, 100)
        .await
        .unwrap()
        > 0
    {}
    (app, clock)
}

#[tokio::test]
async fn a_changed_organisation_or_a_new_day_makes_kept_verdicts_stale() {
    for backend in backends() {
        let (app, clock) = with_cadre1s_days(&backend).await;
        let fx = app.fx.clone();
        let supervisor = app.login(fx.supervisor).await;
        let before = kept_reads(&app);
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(kept_reads(&app), before + 1);
        // The office posts someone new: whose records count may have changed.
        app.add_person(
            "新队员",
            &[(
                zhucun_shared::role::Role::ResidentMember,
                Some(fx.v1),
                now().date_naive(),
                None,
            )],
        )
        .await;
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(kept_reads(&app), before + 1, "evaluated again, not kept");
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(kept_reads(&app), before + 2);
        // A new day: statuses such as "not yet due" may have turned.
        clock.advance(Duration::days(1));
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(kept_reads(&app), before + 2, "evaluated again on a new day");
        app.stop().await;
    }
}

/// Each township's organisation version, as `(this township, the other)`.
async fn org_versions(app: &TestApp) -> (i64, i64) {
    let v = app.state.store.org_versions().await.unwrap();
    (v[&app.fx.township], v[&app.fx.other_township])
}

#[tokio::test]
async fn a_change_in_another_township_leaves_kept_verdicts_standing() {
    use zhucun_server::office::{put_households, MovedBy};
    use zhucun_shared::ids::{AssignmentId, HouseholdId, VillageId};
    use zhucun_shared::org::{Assignment, Household, HouseholdCategory, LatLon, Person, Village};
    use zhucun_shared::role::Role;
    for backend in backends() {
        let (app, _clock) = with_cadre1s_days(&backend).await;
        let fx = app.fx.clone();
        let supervisor = app.login(fx.supervisor).await;
        served(&app, &supervisor, fx.cadre1).await;
        let before = kept_reads(&app);
        let (ours, theirs) = org_versions(&app).await;

        // The other township gets a village, a household and a resident cadre posted there,
        // and then the household is moved: none of it bears on cadre 1's verdicts.
        let village = VillageId::new();
        let household = Household {
            id: HouseholdId::new(),
            village_id: village,
            head_name: "石门户".into(),
            location: LatLon::new(32.2, 107.6),
            categories: vec![HouseholdCategory::ALL[0]],
            members: 4,
            group: None,
        };
        let newcomer = PersonId::new();
        let theirs_only = zhucun_server::store::Org {
            villages: vec![Village {
                id: village,
                township_id: fx.other_township,
                name: "石门镇一村".into(),
                code: None,
                boundary: square(32.2, 107.6, 0.01),
                poor: true,
                exiting_this_year: false,
            }],
            households: vec![household.clone()],
            people: vec![Person {
                id: newcomer,
                name: "石门新队员".into(),
                township_id: fx.other_township,
                unit_id: None,
            }],
            assignments: vec![Assignment {
                id: AssignmentId::new(),
                person_id: newcomer,
                role: Role::ResidentMember,
                village_id: Some(village),
                township_id: fx.other_township,
                starts_on: month().first_day(),
                ends_on: None,
            }],
            ..Default::default()
        };
        app.state.store.put_org(&theirs_only).await.unwrap();
        let moved = Household {
            location: LatLon::new(32.201, 107.601),
            ..household
        };
        put_households(&app.state.store, &[moved], None, MovedBy::Console, now())
            .await
            .unwrap();
        assert_eq!(
            org_versions(&app).await,
            (ours, theirs + 2),
            "{backend:?}: only the other township's version went up, once per change"
        );
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(
            kept_reads(&app),
            before + 1,
            "{backend:?}: kept, not evaluated again"
        );

        // Someone of the other township transferred here: both townships' verdicts may change.
        let transferred = Person {
            township_id: fx.township,
            ..app.state.store.person(newcomer).await.unwrap().unwrap()
        };
        app.state
            .store
            .put_org(&zhucun_server::store::Org {
                people: vec![transferred],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            org_versions(&app).await,
            (ours + 1, theirs + 3),
            "{backend:?}"
        );
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(
            kept_reads(&app),
            before + 1,
            "{backend:?}: evaluated again after a change in its own township"
        );
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(kept_reads(&app), before + 2, "{backend:?}");

        // A household of cadre 1's own village moved: its verdicts are evaluated again.
        let org = app.state.store.township_org(fx.township).await.unwrap();
        let own = org.household(fx.households[1]).unwrap().clone();
        let own = Household {
            location: LatLon::new(own.location.lat + 0.002, own.location.lon),
            ..own
        };
        put_households(&app.state.store, &[own], None, MovedBy::Console, now())
            .await
            .unwrap();
        assert_eq!(
            org_versions(&app).await,
            (ours + 2, theirs + 3),
            "{backend:?}"
        );
        served(&app, &supervisor, fx.cadre1).await;
        assert_eq!(kept_reads(&app), before + 2, "{backend:?}: evaluated again");
        app.stop().await;
    }
}

fn warmed(app: &TestApp) -> u64 {
    app.state
        .metrics
        .verdicts
        .get_or_create(&zhucun_server::metrics::OutcomeLabels {
            outcome: "warmed".into(),
        })
        .get()
}

#[tokio::test]
async fn the_worker_brings_kept_verdicts_to_a_new_day_before_the_pages_read_them() {
    for backend in backends() {
        let (app, clock) = with_cadre1s_days(&backend).await;
        let fx = app.fx.clone();
        // Everyone posted in the month is kept for today; a second pass finds nothing stale.
        let posted = app
            .state
            .store
            .township_org(fx.township)
            .await
            .unwrap()
            .assignments
            .iter()
            .filter(|a| a.overlaps(month().first_day(), month().last_day()))
            .map(|a| a.person_id)
            .collect::<std::collections::BTreeSet<_>>();
        assert!(posted.len() > 3);
        zhucun_server::verdicts::warm(&app.state, now())
            .await
            .unwrap();
        assert_eq!(
            zhucun_server::verdicts::warm(&app.state, now())
                .await
                .unwrap(),
            0,
            "{backend:?}"
        );
        // A new day: every provisional verdict is stale until the worker's pass.
        clock.advance(Duration::days(1));
        let before = warmed(&app);
        let n = zhucun_server::verdicts::warm(&app.state, now() + Duration::days(1))
            .await
            .unwrap();
        assert!(n >= posted.len(), "{n} of {} ({backend:?})", posted.len());
        assert_eq!(warmed(&app) - before, n as u64);
        // The pages then read what was kept, and it is what a fresh evaluation gives.
        let supervisor = app.login(fx.supervisor).await;
        let kept = kept_reads(&app);
        let (s, v) = app.get(&supervisor, "/api/v1/spot-checks").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(kept_reads(&app) > kept, "the queue read kept verdicts");
        for p in [fx.cadre1, fx.leader1] {
            let kept = kept_reads(&app);
            let (s, v) = app
                .get(
                    &supervisor,
                    &format!("/api/v1/people/{p}/report?month={}", month()),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(kept_reads(&app), kept + 1, "{backend:?}");
            let served = comparable(serde_json::from_value(v).unwrap());
            let org = app.state.store.township_org(fx.township).await.unwrap();
            let fresh = person_report(
                &app.state,
                Arc::new(org),
                p,
                month(),
                now() + Duration::days(1),
            )
            .await
            .unwrap();
            assert_eq!(served, comparable(fresh), "{backend:?}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn pending_re_evaluations_survive_a_restart_and_rebuild_recomputes_all() {
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(now()));
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let device = zhucun_shared::org::Device {
            id: DeviceId::new(),
            person_id: fx.cadre1,
            label: "手机".into(),
            enrolled_at: now() - Duration::days(30),
        };
        store.enroll_device(&device).await.unwrap();
        // Records stored; the server stops before anything re-evaluated them.
        let incoming: Vec<_> = days_of_fixes(device.id, fx.cadre1)
            .into_iter()
            .map(|mut r| {
                let content_hash = r.content_hash();
                r.received = Some(zhucun_shared::record::ServerReceipt {
                    received_at: now(),
                    clock_offset_s: 0,
                });
                zhucun_server::store::IncomingRecord {
                    record: r,
                    content_hash,
                }
            })
            .collect();
        store.push_records(device.id, &incoming).await.unwrap();
        store.close().await;
        // Started again, the queue is still there and its work gets done.
        let store = db.open().await;
        let queued = store.dirty(100).await.unwrap();
        // The records' month, and this month, whose year-to-date rules count them too.
        let this_month = Period::containing(PeriodKind::Month, local_date(now())).unwrap();
        assert_eq!(
            queued
                .iter()
                .map(|q| (q.person_id, q.month.clone()))
                .collect::<Vec<_>>(),
            [
                (fx.cadre1, month().to_string()),
                (fx.cadre1, this_month.to_string())
            ]
        );
        let config = zhucun_server::Config::for_tests(db.dir.path().to_path_buf());
        let objects = Arc::new(zhucun_server::photos::FsObjectStore::new(
            db.dir.path().join("photos"),
        ));
        let state = zhucun_server::AppState::with_clock(config, store, objects, clock)
            .await
            .unwrap();
        while zhucun_server::verdicts::drain(&state, 100).await.unwrap() > 0 {}
        assert!(state.store.dirty(100).await.unwrap().is_empty());
        let key = month().to_string();
        let kept = state
            .store
            .kept_verdict(fx.cadre1, &key)
            .await
            .unwrap()
            .unwrap();
        let org = Arc::new(state.store.township_org(fx.township).await.unwrap());
        let fresh = person_report(&state, org, fx.cadre1, month(), now())
            .await
            .unwrap();
        assert_eq!(comparable(kept.report), comparable(fresh.clone()));
        // Leader 1 shares the village: their verdicts were refreshed too.
        assert!(state
            .store
            .kept_verdict(fx.leader1, &key)
            .await
            .unwrap()
            .is_some());

        // Rebuild forgets and recomputes, reporting its progress.
        let mut seen = Vec::new();
        let total =
            zhucun_server::verdicts::rebuild(&state, |done, total| seen.push((done, total)))
                .await
                .unwrap();
        assert_eq!(total, 1);
        assert_eq!(seen.last(), Some(&(1, 1)));
        let rebuilt = state
            .store
            .kept_verdict(fx.cadre1, &key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(comparable(rebuilt.report), comparable(fresh));
        state.store.close().await;
        db.cleanup().await;
    }
}
