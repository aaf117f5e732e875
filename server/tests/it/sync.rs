//! The sync protocol over real HTTP: resent, overlapping, conflicting and reordered batches
//! store each record once, and the watermark tells the phone what it may drop.

use crate::common::*;
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;
use zhucun_server::store::Store;
use zhucun_shared::record::RecordBody;

fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 0, 30, 0).unwrap()
}

#[tokio::test]
async fn resent_and_overlapping_batches_store_each_record_once() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let recs = fix_records(device, app.fx.cadre1, 1..=10, start());

        let (s, v) = app.push(&token, device, &recs[..6]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["stored"].as_u64(), v["duplicates"].as_u64()),
            (Some(6), Some(0))
        );
        assert_eq!(watermark(&v, device), 6);

        // The answer was lost; the phone sends the same batch again.
        let (_, v) = app.push(&token, device, &recs[..6]).await;
        assert_eq!(
            (v["stored"].as_u64(), v["duplicates"].as_u64()),
            (Some(0), Some(6)),
            "{backend:?}"
        );
        assert_eq!(watermark(&v, device), 6);

        // Overlapping batch 4..=10.
        let (_, v) = app.push(&token, device, &recs[3..]).await;
        assert_eq!(
            (v["stored"].as_u64(), v["duplicates"].as_u64()),
            (Some(4), Some(3))
        );
        assert!(v["conflicts"].as_array().unwrap().is_empty());
        assert_eq!(watermark(&v, device), 10);

        let held = app
            .state
            .store
            .records_of(
                app.fx.cadre1,
                start() - Duration::days(1),
                start() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(held.len(), 10, "each record once on {backend:?}");
    })
    .await;
}

#[tokio::test]
async fn a_known_seq_with_other_content_is_a_conflict_and_the_rest_is_stored() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let recs = fix_records(device, app.fx.cadre1, 1..=3, start());
        app.push(&token, device, &recs).await;

        // seq 2 again, different content; seq 4 new.
        let mut changed = recs[1].clone();
        if let RecordBody::Fix { fix } = &mut changed.body {
            fix.lat += 0.01;
        }
        let four = fix_record(device, app.fx.cadre1, 4, start());
        let (s, v) = app.push(&token, device, &[changed.clone(), four]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stored"], 1, "{backend:?}");
        let conflicts = v["conflicts"].as_array().unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0]["seq"], 2);
        assert_eq!(conflicts[0]["id"], json!(changed.id));
        assert_eq!(watermark(&v, device), 4);

        // A held id reused under another seq is a conflict too.
        let mut reused = fix_record(device, app.fx.cadre1, 5, start());
        reused.id = recs[0].id;
        let (_, v) = app.push(&token, device, &[reused]).await;
        assert_eq!(v["conflicts"].as_array().unwrap().len(), 1);
        assert_eq!(v["stored"], 0);

        // The stored seq 2 is the first one.
        let held = app
            .state
            .store
            .records_of(
                app.fx.cadre1,
                start() - Duration::days(1),
                start() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(held.iter().find(|r| r.seq == 2).unwrap().body, recs[1].body);
        assert_eq!(held.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn out_of_order_batches_move_the_watermark_only_over_contiguous_seqs() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let recs = fix_records(device, app.fx.cadre1, 1..=9, start());
        let pick = |seqs: &[u64]| {
            seqs.iter()
                .map(|s| recs[*s as usize - 1].clone())
                .collect::<Vec<_>>()
        };

        let (_, v) = app.push(&token, device, &pick(&[7, 8, 9])).await;
        assert_eq!(
            watermark(&v, device),
            0,
            "nothing from 1 is held yet ({backend:?})"
        );
        let (_, v) = app.push(&token, device, &pick(&[2, 1])).await;
        assert_eq!(watermark(&v, device), 2);
        let (_, v) = app.push(&token, device, &pick(&[5, 3])).await;
        assert_eq!(watermark(&v, device), 3, "4 is missing");
        let (_, v) = app.push(&token, device, &pick(&[6, 4])).await;
        assert_eq!(watermark(&v, device), 9);
        assert_eq!(v["stored"], 2);

        // Enrolment of a second phone, and the pull, report both watermarks.
        let second = app.enroll(&token).await;
        let (s, v) = app.get(&token, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(watermark(&v, device), 9);
        assert_eq!(watermark(&v, second), 0);
    })
    .await;
}

#[tokio::test]
async fn the_server_stamps_its_receive_time_and_the_phone_clock_offset() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let recs = fix_records(device, app.fx.cadre1, [1], start());
        // The phone's clock is an hour behind.
        let body = json!({
            "protocol": 1,
            "device_id": device,
            "sent_at": Utc::now() - Duration::hours(1),
            "records": recs,
        });
        let before = Utc::now();
        let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let held = app
            .state
            .store
            .records_of(
                app.fx.cadre1,
                start() - Duration::days(1),
                start() + Duration::days(1),
            )
            .await
            .unwrap();
        let receipt = held[0].received.unwrap();
        assert!(receipt.received_at >= before - Duration::seconds(1));
        assert!(
            (receipt.clock_offset_s - 3600).abs() <= 5,
            "{}",
            receipt.clock_offset_s
        );
    })
    .await;
}

#[tokio::test]
async fn pushing_to_someone_elses_device_is_forbidden_and_stores_nothing() {
    on_each_backend(async |app: &TestApp| {
        let t1 = app.login(app.fx.cadre1).await;
        let t2 = app.login(app.fx.cadre2).await;
        let device = app.enroll(&t1).await;
        let recs = fix_records(device, app.fx.cadre2, [1], start());
        let (s, v) = app.push(&t2, device, &recs).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = app
            .push(&t2, zhucun_shared::ids::DeviceId::new(), &recs)
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("device_id"))
        );
        let held = app
            .state
            .store
            .records_of(
                app.fx.cadre2,
                start() - Duration::days(1),
                start() + Duration::days(1),
            )
            .await
            .unwrap();
        assert!(held.is_empty());
    })
    .await;
}

#[tokio::test]
async fn pull_sends_reference_data_by_cursor_and_always_the_verdicts() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let (s, v) = app.get(&token, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["changed"], true);
        assert_eq!(v["me"]["id"], json!(app.fx.cadre1));
        let villages = v["villages"].as_array().unwrap();
        assert_eq!(villages.len(), 1, "only the cadre's own village");
        assert_eq!(villages[0]["id"], json!(app.fx.v1));
        assert_eq!(v["households"].as_array().unwrap().len(), 5);
        assert_eq!(v["pairings"].as_array().unwrap().len(), 1);
        assert!(v["rules_toml"].as_str().unwrap().contains("R-211"));
        assert!(!v["calendar_toml"].as_str().unwrap().is_empty());
        assert_eq!(v["verdicts"].as_array().unwrap().len(), 2);
        let cursor = v["cursor"].as_str().unwrap().to_string();

        let (_, v) = app
            .get(&token, &format!("/api/v1/sync/pull?cursor={cursor}"))
            .await;
        assert_eq!(v["changed"], false);
        assert!(v["villages"].as_array().unwrap().is_empty());
        assert_eq!(v["verdicts"].as_array().unwrap().len(), 2);
        assert_eq!(v["cursor"], cursor.as_str());

        // The office changes a household: the cursor moves.
        let mut org = app.state.store.township_org(app.fx.township).await.unwrap();
        org.households[0].members += 1;
        app.state.store.put_org(&org).await.unwrap();
        let (_, v) = app
            .get(&token, &format!("/api/v1/sync/pull?cursor={cursor}"))
            .await;
        assert_eq!(v["changed"], true, "{backend:?}");
        assert_ne!(v["cursor"], cursor.as_str());

        // A supervisor's phone holds the whole township.
        let sup = app.login(app.fx.supervisor).await;
        let (_, v) = app.get(&sup, "/api/v1/sync/pull").await;
        assert_eq!(v["villages"].as_array().unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn concurrent_pushes_of_the_same_batch_store_it_once() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let recs = fix_records(device, app.fx.cadre1, 1..=50, start());
        let (a, b, c) = tokio::join!(
            app.push(&token, device, &recs),
            app.push(&token, device, &recs[10..]),
            app.push(&token, device, &recs[..30]),
        );
        for (s, v) in [&a, &b, &c] {
            assert_eq!(*s, StatusCode::OK, "{v}");
            assert!(
                v["conflicts"].as_array().unwrap().is_empty(),
                "{backend:?}: {v}"
            );
        }
        let stored: u64 = [&a, &b, &c]
            .iter()
            .map(|(_, v)| v["stored"].as_u64().unwrap())
            .sum();
        assert_eq!(stored, 50, "{backend:?}");
        let (_, v) = app.push(&token, device, &[]).await;
        assert_eq!(watermark(&v, device), 50);
    })
    .await;
}

#[tokio::test]
async fn pull_sends_the_villages_of_todays_postings_and_todays_paired_households() {
    use chrono::NaiveDate;
    use zhucun_server::store::Org;
    use zhucun_shared::ids::{HouseholdId, PairingId, VillageId};
    use zhucun_shared::org::{Household, LatLon, Pairing, Village};
    use zhucun_shared::period::local_date;
    use zhucun_shared::role::Role;
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let fx = app.fx.clone();
        let today = local_date(Utc::now());
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Posted to village 2 until mid-2025, to village 1 only from next month.
        let mover = app
            .add_person(
                "mover",
                &[
                    (
                        Role::ResidentMember,
                        Some(fx.v2),
                        d(2025, 1, 1),
                        Some(d(2025, 6, 30)),
                    ),
                    (
                        Role::ResidentMember,
                        Some(fx.v1),
                        today + Duration::days(40),
                        None,
                    ),
                ],
            )
            .await;
        // Paired today with a household of village 1 and one of another township; paired
        // once, no longer, with another of village 1.
        let far_village = VillageId::new();
        let far = HouseholdId::new();
        let pairing = |household, ends_on| Pairing {
            id: PairingId::new(),
            person_id: mover,
            household_id: household,
            starts_on: d(2025, 1, 1),
            ends_on,
        };
        let org = Org {
            villages: vec![Village {
                id: far_village,
                township_id: fx.other_township,
                name: "远村".into(),
                code: None,
                boundary: square(32.5, 107.9, 0.01),
                poor: false,
                exiting_this_year: false,
            }],
            households: vec![Household {
                id: far,
                village_id: far_village,
                head_name: "远户".into(),
                location: LatLon::new(32.5, 107.9),
                categories: vec![],
                members: 2,
                group: None,
            }],
            pairings: vec![
                pairing(fx.households[1], None),
                pairing(fx.households[2], Some(d(2025, 12, 31))),
                pairing(far, None),
            ],
            ..Org::default()
        };
        app.state.store.put_org(&org).await.unwrap();
        let token = app.login_name("mover").await;
        let (s, v) = app.get(&token, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(
            v["villages"].as_array().unwrap().is_empty(),
            "{}",
            v["villages"]
        );
        let mut got: Vec<String> = v["households"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        let mut want = vec![fx.households[1].to_string(), far.to_string()];
        want.sort();
        assert_eq!(got, want, "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn the_watermark_is_the_longest_held_prefix_whatever_the_order_and_gaps() {
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let recs = fix_records(device, app.fx.cadre1, 1..=120, start());
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        // Every third seq is held back until the end: the log is full of gaps meanwhile.
        let (mut late, mut early): (Vec<u64>, Vec<u64>) = (1..=120).partition(|s| s % 3 == 1);
        early.shuffle(&mut rng);
        late.shuffle(&mut rng);
        let mut held = std::collections::BTreeSet::new();
        for seqs in [early, late] {
            let mut rest = &seqs[..];
            while !rest.is_empty() {
                let n = rng.gen_range(1..=rest.len().min(9));
                let batch: Vec<_> = rest[..n]
                    .iter()
                    .map(|s| recs[*s as usize - 1].clone())
                    .collect();
                rest = &rest[n..];
                held.extend(batch.iter().map(|r| r.seq));
                let (s, v) = app.push(&token, device, &batch).await;
                assert_eq!(s, StatusCode::OK, "{v}");
                let prefix = (1..).take_while(|s| held.contains(s)).count() as u64;
                assert_eq!(watermark(&v, device), prefix, "{backend:?} after {held:?}");
            }
        }
        assert_eq!(held.len(), 120);
    })
    .await;
}

#[tokio::test]
async fn the_pull_keeps_the_protocol_v1_shape() {
    let app = TestApp::start(&Backend::Sqlite).await;
    let token = app.login(app.fx.cadre1).await;
    let (s, v) = app.get(&token, "/api/v1/sync/pull").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let keys: std::collections::BTreeSet<&str> =
        v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "assignments",
            "calendar_toml",
            "changed",
            "cursor",
            "devices",
            "households",
            "me",
            "pairings",
            "rules_toml",
            "townships",
            "verdicts",
            "villages",
        ]
        .into(),
    );
    // A phone of protocol v1 reads it, and an answer without the lists (cursor current) too.
    let pull: zhucun_shared::sync::PullResponse = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(pull.org.villages.len(), 1);
    let cursor = v["cursor"].as_str().unwrap();
    let (_, same) = app
        .get(&token, &format!("/api/v1/sync/pull?cursor={cursor}"))
        .await;
    assert_eq!(same["changed"], false);
    let _: zhucun_shared::sync::PullResponse = serde_json::from_value(same).unwrap();
    app.stop().await;
}

/// The routers serve the paths the phone calls (`shared::sync::paths`), and the API document
/// describes those same paths.
#[tokio::test]
async fn the_api_document_lists_every_shared_path() {
    let backend = backends().remove(0);
    let app = TestApp::start(&backend).await;
    let (s, doc) = app.get("", "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for path in zhucun_shared::sync::paths::ALL {
        assert!(
            doc["paths"].get(*path).is_some(),
            "{path} is not in the API document"
        );
    }
}
