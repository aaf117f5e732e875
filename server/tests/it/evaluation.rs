//! Which records the server's verdicts read: the whole posting for posting-long targets, and
//! for village-scoped rules the work of that month's team of the village; and which villages
//! a record may name.

use crate::common::*;
use chrono::{Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use zhucun_server::clock::Clock;
use zhucun_server::store::{Org, Store};
use zhucun_shared::ids::{
    AssignmentId, DeviceId, HouseholdId, PairingId, PersonId, RecordId, VillageId,
};
use zhucun_shared::org::{Assignment, Household, LatLon, Pairing};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::record::{ActivityKind, DeviceRecord, EventKind, RecordBody};
use zhucun_shared::role::Role;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn activity(
    device: DeviceId,
    person: PersonId,
    seq: u64,
    kind: ActivityKind,
    village: VillageId,
    held_on: NaiveDate,
    quantity: u32,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: held_on.and_hms_opt(12, 0, 0).unwrap().and_utc(),
        body: RecordBody::Activity {
            kind,
            village_id: Some(village),
            held_on,
            person_times: None,
            quantity: Some(quantity),
            title: "工作".into(),
            text: "记录".into(),
        },
        received: None,
    }
}

#[tokio::test]
async fn posting_long_targets_count_the_whole_posting() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let v1 = app.fx.v1;
        let agri = app
            .add_person("agri", &[(Role::AgriTech, Some(v1), d(2025, 3, 1), None)])
            .await;
        let token = app.login_name("agri").await;
        let device = app.enroll(&token).await;
        // Everything the posting asks for, done last year.
        let done = [
            (ActivityKind::LeadingIndustry, 1),
            (ActivityKind::Variety, 3),
            (ActivityKind::Technique, 5),
            (ActivityKind::DemonstrationHousehold, 2),
            (ActivityKind::NewBusinessEntity, 3),
        ];
        let recs: Vec<_> = done
            .iter()
            .enumerate()
            .map(|(i, (k, n))| activity(device, agri, i as u64 + 1, *k, v1, d(2025, 5, 6), *n))
            .collect();
        let (s, v) = app.push(&token, device, &recs).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app
            .get(&token, &format!("/api/v1/people/{agri}/report"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let verdict = v["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rule_id"] == "R-232a")
            .unwrap_or_else(|| panic!("no R-232a in {v}"));
        assert_eq!(verdict["status"], "met", "{backend:?}: {verdict}");
    })
    .await;
}

#[test]
fn the_team_is_the_villages_people_of_that_month() {
    let (mut org, fx) = fixture_org();
    let month = Period::month(2026, 11);
    let mut posted = |from, to| {
        let p = PersonId::new();
        org.assignments.push(Assignment {
            id: AssignmentId::new(),
            person_id: p,
            role: Role::ResidentMember,
            village_id: Some(fx.v1),
            township_id: fx.township,
            starts_on: from,
            ends_on: to,
        });
        p
    };
    let gone = posted(d(2024, 1, 1), Some(d(2024, 12, 31)));
    let coming = posted(d(2026, 12, 1), None);
    let this_month = posted(d(2026, 11, 20), None);
    let pair = |org: &mut Org, household: HouseholdId, ends_on| {
        let p = PersonId::new();
        org.pairings.push(Pairing {
            id: PairingId::new(),
            person_id: p,
            household_id: household,
            starts_on: d(2025, 1, 1),
            ends_on,
        });
        p
    };
    let paired = pair(&mut org, fx.households[3], None);
    let paired_before = pair(&mut org, fx.households[4], Some(d(2025, 12, 31)));
    let v2_household = HouseholdId::new();
    org.households.push(Household {
        id: v2_household,
        village_id: fx.v2,
        head_name: "石户".into(),
        location: LatLon::new(V2.0, V2.1),
        categories: vec![],
        members: 1,
        group: None,
    });
    let paired_elsewhere = pair(&mut org, v2_household, None);

    let team = org.team_of(fx.cadre1, month.first_day(), month.last_day());
    for p in [fx.cadre1, fx.leader1, fx.liaison, this_month, paired] {
        assert!(team.contains(&p), "{p} missing from {team:?}");
    }
    for p in [
        gone,
        coming,
        paired_before,
        paired_elsewhere,
        fx.cadre2,
        fx.supervisor,
    ] {
        assert!(!team.contains(&p), "{p} in {team:?}");
    }
}

#[tokio::test]
async fn records_may_name_only_the_villages_of_the_authors_posting_that_day() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let token = app.login(fx.cadre2).await;
        let device = app.enroll(&token).await;
        let today = local_date(Utc::now());
        let ok = activity(
            device,
            fx.cadre2,
            1,
            ActivityKind::Training,
            fx.v2,
            today,
            1,
        );
        let elsewhere = activity(
            device,
            fx.cadre2,
            2,
            ActivityKind::Training,
            fx.v1,
            today,
            1,
        );
        let (s, v) = app.push(&token, device, &[ok.clone(), elsewhere]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[1].body.village_id")
            ),
            "{v}"
        );
        // Before the posting began (1 January 2025).
        let early = activity(
            device,
            fx.cadre2,
            2,
            ActivityKind::Training,
            fx.v2,
            d(2024, 12, 31),
            1,
        );
        let (s, v) = app.push(&token, device, &[ok.clone(), early]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[1].body.village_id")
            ),
            "{v}"
        );
        let event = DeviceRecord {
            id: RecordId::new(),
            device_id: device,
            seq: 2,
            person_id: fx.cadre2,
            captured_at: Utc::now() - Duration::hours(1),
            body: RecordBody::VillageEvent {
                village_id: fx.v1,
                kind: EventKind::Dispute,
                occurred_at: Utc::now() - Duration::hours(2),
                household_id: None,
                description: "事件".into(),
            },
            received: None,
        };
        let (s, v) = app.push(&token, device, &[ok.clone(), event]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[1].body.village_id")
            ),
            "{v}"
        );
        let (s, v) = app.push(&token, device, &[ok]).await;
        assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    })
    .await;
}

#[tokio::test]
async fn supervisors_may_name_any_village_of_their_township() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let token = app.login(fx.supervisor).await;
        let device = app.enroll(&token).await;
        let today = local_date(Utc::now());
        let patrols: Vec<_> = [fx.v1, fx.v2]
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                activity(
                    device,
                    fx.supervisor,
                    i as u64 + 1,
                    ActivityKind::Patrol,
                    v,
                    today,
                    1,
                )
            })
            .collect();
        let (s, v) = app.push(&token, device, &patrols).await;
        assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(2)), "{v}");
        // A village that is not of their township is not theirs.
        let elsewhere = VillageId::new();
        let r = activity(
            device,
            fx.supervisor,
            3,
            ActivityKind::Patrol,
            elsewhere,
            today,
            1,
        );
        let (s, v) = app.push(&token, device, &[r]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.village_id")
            ),
            "{v}"
        );
    })
    .await;
}

/// One real picture taken at `at`, uploaded once by the caller; its SHA-256 and size.
async fn upload_picture(app: &TestApp, token: &str, at: chrono::DateTime<Utc>) -> (String, u64) {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([x as u8 * 3, y as u8 * 5, 90])
    }));
    let jpeg = zhucun_server::photos::inspect::jpeg_with_exif(&img, at, None);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&jpeg))
    };
    let (s, v) = app
        .put_chunk(
            token,
            &format!("/api/v1/photos/{sha}"),
            0,
            jpeg.len(),
            &jpeg,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (sha, jpeg.len() as u64)
}

/// `records`' photos made that picture.
fn with_picture(records: &mut [DeviceRecord], (sha, len): &(String, u64)) {
    for r in records {
        if let RecordBody::Photo {
            sha256,
            bytes,
            taken_at,
            ..
        } = &mut r.body
        {
            *sha256 = sha.clone();
            *bytes = *len;
            *taken_at = r.captured_at;
        }
    }
}

/// Three hours ago, or in the first hours of a China day the evening before: what follows
/// within 45 minutes falls on one day, and so in one month.
fn earlier_today() -> chrono::DateTime<Utc> {
    let start = Utc::now() - Duration::hours(3);
    if local_date(start) == local_date(start + Duration::minutes(45)) {
        start
    } else {
        zhucun_shared::period::day_start(local_date(Utc::now())) - Duration::hours(3)
    }
}

fn month_of(t: chrono::DateTime<Utc>) -> Period {
    let day = local_date(t);
    Period::month(chrono::Datelike::year(&day), chrono::Datelike::month(&day))
}

async fn flag_kinds(app: &TestApp, token: &str, person: PersonId, month: Period) -> Vec<String> {
    let (s, v) = app
        .get(
            token,
            &format!("/api/v1/people/{person}/report?month={month}"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str().map(str::to_string))
        .collect()
}

fn two_homes(org: &Org, village: VillageId) -> Vec<&Household> {
    org.households
        .iter()
        .filter(|h| h.village_id == village)
        .take(2)
        .collect()
}

#[tokio::test]
async fn a_picture_attached_to_two_visits_is_flagged_as_reused() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let token = app.login(fx.cadre1).await;
        let device = app.enroll(&token).await;
        let start = earlier_today();
        let picture = upload_picture(&app, &token, start).await;
        // Two visits to households of the cadre's village, each with that same picture.
        let org = app.state.store.township_org(fx.township).await.unwrap();
        let homes = two_homes(&org, fx.v1);
        let mut rec = zhucun_shared::synth::Recorder::new(fx.cadre1, device);
        let mut records = rec.visit(homes[0], start, 12, Some("入户"));
        records.extend(rec.visit(homes[1], start + Duration::minutes(30), 12, Some("入户")));
        with_picture(&mut records, &picture);
        let (s, v) = app.push(&token, device, &records).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let kinds = flag_kinds(&app, &token, fx.cadre1, month_of(start)).await;
        assert!(kinds.iter().any(|k| k == "photo_reused"), "{kinds:?}");
    })
    .await;
}

/// The records before a month's raw days are kept parsed in memory between evaluations
/// (`evaluation_memory`); one arriving late for those days is read all the same.
#[tokio::test]
async fn a_late_visit_before_the_month_is_read_though_the_months_before_were_kept_in_memory() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let fx = app.fx.clone();
        let token = app.login(fx.cadre1).await;
        let phone = app.enroll(&token).await;
        let start = earlier_today();
        let month = month_of(start);
        let picture = upload_picture(&app, &token, start).await;
        let org = app.state.store.township_org(fx.township).await.unwrap();
        let homes = two_homes(&org, fx.v1);
        // This month's visit, with its picture, and an earlier visit of no picture in common.
        let mut rec = zhucun_shared::synth::Recorder::new(fx.cadre1, phone);
        let mut records = rec.visit(homes[0], start, 12, Some("入户"));
        with_picture(&mut records, &picture);
        let (s, v) = app.push(&token, phone, &records).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let before = zhucun_shared::period::day_start(month.first_day()) - Duration::days(10);
        let old_phone = app.enroll_at(fx.cadre1, before - Duration::days(30)).await;
        let mut old = zhucun_shared::synth::Recorder::new(fx.cadre1, old_phone);
        let (s, v) = app
            .push(
                &token,
                old_phone,
                &old.visit(homes[1], before, 12, Some("入户")),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let kinds = flag_kinds(&app, &token, fx.cadre1, month).await;
        assert!(!kinds.iter().any(|k| k == "photo_reused"), "{kinds:?}");
        assert!(
            zhucun_server::evaluation::uses_day_facts(
                &app.state,
                &org,
                fx.cadre1,
                month,
                Utc::now()
            )
            .await
            .unwrap(),
            "evaluated from day facts ({backend:?})"
        );
        assert!(app.state.record_history.held() > 0, "kept in memory");
        // The old phone syncs one more visit of then, with the same picture: this month's
        // visit now reuses it.
        let mut late = old.visit(homes[0], before + Duration::hours(1), 12, Some("入户"));
        with_picture(&mut late, &picture);
        let (s, v) = app.push(&token, old_phone, &late).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let kinds = flag_kinds(&app, &token, fx.cadre1, month).await;
        assert!(
            kinds.iter().any(|k| k == "photo_reused"),
            "{kinds:?} ({backend:?})"
        );
    })
    .await;
}

/// The day facts before a month's raw days are kept in memory between evaluations
/// (`evaluation_memory`); a day in the village synced late for those days is folded into the
/// facts again, and the next evaluation reads them, not what it kept.
#[tokio::test]
async fn a_late_day_in_the_village_counts_though_the_facts_before_the_month_were_kept_in_memory() {
    on_each_backend_at(
        at(2026, 11, 20, 12),
        |c| c.warm_verdicts = false,
        async |app: &TestApp, clock: &std::sync::Arc<zhucun_server::clock::FixedClock>| {
            let (backend, fx) = (&app.backend, &app.fx);
            let token = app.login(fx.cadre1).await;
            let device = app.enroll_at(fx.cadre1, at(2026, 9, 1, 0)).await;
            // Six hours in village 1, a fix every five minutes, from `seq` on.
            let day_in_village = |start, seq: u64| -> Vec<DeviceRecord> {
                (0..=72u64)
                    .map(|k| {
                        let t = start + Duration::minutes(5 * k as i64);
                        let mut r = fix_record(device, fx.cadre1, seq + k, start);
                        r.captured_at = t;
                        r.body = RecordBody::Fix {
                            fix: fix_at(V1.0, V1.1, t),
                        };
                        r
                    })
                    .collect()
            };
            let drain = async || {
                while zhucun_server::verdicts::drain(&app.state, 100)
                    .await
                    .unwrap()
                    > 0
                {}
            };
            let now = clock.now();
            let (s, v) = app
                .push_at(&token, device, &day_in_village(at(2026, 10, 12, 9), 1), now)
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            drain().await;
            let org = std::sync::Arc::new(app.state.store.township_org(fx.township).await.unwrap());
            let month = Period::month(2026, 11);
            let report = async || {
                let kept = zhucun_server::evaluation::person_report(
                    &app.state,
                    org.clone(),
                    fx.cadre1,
                    month,
                    now,
                )
                .await
                .unwrap();
                let raw = zhucun_server::evaluation::person_report_raw(
                    &app.state,
                    org.clone(),
                    fx.cadre1,
                    month,
                    now,
                )
                .await
                .unwrap();
                assert_eq!(kept, raw, "{backend:?}");
                kept
            };
            let before = report().await;
            assert!(
                zhucun_server::evaluation::uses_day_facts(&app.state, &org, fx.cadre1, month, now)
                    .await
                    .unwrap(),
                "evaluated from day facts ({backend:?})"
            );
            assert!(app.state.facts_history.held() > 0, "kept in memory");
            // The same phone syncs another day of October, late.
            let (s, v) = app
                .push_at(
                    &token,
                    device,
                    &day_in_village(at(2026, 10, 14, 9), 74),
                    now,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            drain().await;
            let after = report().await;
            assert_ne!(
                after, before,
                "the late day counts for the year ({backend:?})"
            );
        },
    )
    .await;
}
