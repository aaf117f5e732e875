//! Jurisdiction, endpoint by endpoint: a cadre sees only their own, a team leader their
//! village's team, a liaison leader their cluster, a supervisor their township, an admin all.

use crate::common::*;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;
use zhucun_server::auth::hash_password;
use zhucun_server::store::{Org, Store, UserRow};
use zhucun_shared::ids::{AssignmentId, DeviceId, PersonId, RecordId, VillageId};
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, RecordBody};
use zhucun_shared::role::Role;

/// Who each viewer may see among the fixture's people.
fn allowed(fx: &Fixture, viewer: PersonId) -> BTreeSet<PersonId> {
    let all = [
        fx.cadre1,
        fx.cadre2,
        fx.leader1,
        fx.liaison,
        fx.supervisor,
        fx.admin,
        fx.outsider,
    ];
    let township: Vec<_> = all.iter().copied().filter(|p| *p != fx.outsider).collect();
    match viewer {
        v if v == fx.cadre1 => [fx.cadre1].into(),
        v if v == fx.cadre2 => [fx.cadre2].into(),
        v if v == fx.leader1 => [fx.cadre1, fx.leader1].into(),
        v if v == fx.liaison => [fx.cadre1, fx.leader1, fx.liaison].into(),
        v if v == fx.supervisor => township.into_iter().collect(),
        v if v == fx.admin => all.into(),
        v if v == fx.outsider => [fx.outsider].into(),
        _ => unreachable!(),
    }
}

fn everyone(fx: &Fixture) -> [PersonId; 7] {
    [
        fx.cadre1,
        fx.cadre2,
        fx.leader1,
        fx.liaison,
        fx.supervisor,
        fx.admin,
        fx.outsider,
    ]
}

#[tokio::test]
async fn report_and_trajectory_follow_jurisdiction() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let fx = app.fx.clone();
        for viewer in everyone(&fx) {
            let token = app.login(viewer).await;
            let ok = allowed(&fx, viewer);
            for target in everyone(&fx) {
                let want = if ok.contains(&target) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                let (s, v) = app
                    .get(
                        &token,
                        &format!("/api/v1/people/{target}/report?month=2026-11"),
                    )
                    .await;
                assert_eq!(
                    s,
                    want,
                    "report: {} → {} on {backend:?}: {v}",
                    username(&fx, viewer),
                    username(&fx, target)
                );
                if s == StatusCode::OK {
                    assert_eq!(v["person_id"], serde_json::json!(target));
                    assert_eq!(v["period"], "2026-11");
                } else {
                    assert_eq!(v["code"], "forbidden");
                }
                let (s, _) = app
                    .get(
                        &token,
                        &format!("/api/v1/people/{target}/trajectory?date=2026-11-03"),
                    )
                    .await;
                assert_eq!(
                    s,
                    want,
                    "trajectory: {} → {}",
                    username(&fx, viewer),
                    username(&fx, target)
                );
            }
            let (s, v) = app
                .get(
                    &token,
                    &format!("/api/v1/people/{}/report", PersonId::new()),
                )
                .await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found"))
            );
        }
    })
    .await;
}

#[tokio::test]
async fn people_lists_only_the_jurisdiction() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        for viewer in everyone(&fx) {
            let token = app.login(viewer).await;
            let (s, v) = app.get(&token, "/api/v1/people").await;
            assert_eq!(s, StatusCode::OK);
            let got: BTreeSet<PersonId> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["person"]["id"].as_str().unwrap().parse().unwrap())
                .collect();
            assert_eq!(
                got,
                allowed(&fx, viewer),
                "people for {}",
                username(&fx, viewer)
            );
        }
    })
    .await;
}

#[tokio::test]
async fn trajectory_shows_the_days_fixes_in_order() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        // 08:30 local on 3 November is 00:30 UTC; fixes 1..=5 minutes later, sent out of order.
        let start = Utc.with_ymd_and_hms(2026, 11, 3, 0, 30, 0).unwrap();
        let mut recs = fix_records(device, app.fx.cadre1, 1..=5, start);
        recs.reverse();
        app.push(&token, device, &recs).await;
        let leader = app.login(app.fx.leader1).await;
        let (s, v) = app
            .get(
                &leader,
                &format!(
                    "/api/v1/people/{}/trajectory?date=2026-11-03",
                    app.fx.cadre1
                ),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let times: Vec<&str> = v["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["fix"]["time"].as_str().unwrap())
            .collect();
        assert_eq!(times.len(), 5);
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        let (_, v) = app
            .get(
                &leader,
                &format!(
                    "/api/v1/people/{}/trajectory?date=2026-11-04",
                    app.fx.cadre1
                ),
            )
            .await;
        assert!(v["points"].as_array().unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn photos_are_visible_to_whoever_may_see_a_record_using_them() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let uploader = app.login(fx.cadre1).await;
        let jpeg = test_jpeg(1);
        let sha = upload_whole(&app, &uploader, &jpeg).await;
        let device = app.enroll(&uploader).await;
        let rec = photo_record(device, fx.cadre1, 1, &sha, jpeg.len(), Utc::now());
        let (s, v) = app.push(&uploader, device, &[rec]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for viewer in everyone(&fx) {
            let token = app.login(viewer).await;
            let r = app
                .http
                .get(app.url(&format!("/api/v1/photos/{sha}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            // A photo the caller may not have is answered as an unknown one.
            let want = if allowed(&fx, viewer).contains(&fx.cadre1) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status(), want, "photo for {}", username(&fx, viewer));
            if want == StatusCode::OK {
                assert_eq!(r.headers()["content-type"], "image/jpeg");
                assert_eq!(r.bytes().await.unwrap().to_vec(), jpeg);
            }
        }
        let (s, _) = app
            .get(&uploader, &format!("/api/v1/photos/{}", "0".repeat(64)))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}

pub fn test_jpeg(seed: u8) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(seed),
            (y as u8).wrapping_add(seed),
            seed,
        ])
    }));
    zhucun_server::photos::inspect::jpeg_with_exif(&img, Utc::now(), None)
}

pub async fn upload_whole(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let r = app
        .http
        .put(app.url(&format!(
            "/api/v1/photos/{sha}?offset=0&total={}",
            bytes.len()
        )))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let s = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["complete"], true);
    sha
}

pub fn photo_record(
    device: DeviceId,
    person: PersonId,
    seq: u64,
    sha: &str,
    bytes: usize,
    at: chrono::DateTime<Utc>,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: at,
        body: RecordBody::Photo {
            attached_to: RecordId::new(),
            sha256: sha.to_string(),
            taken_at: at,
            position: None,
            bytes: bytes as u64,
        },
        received: None,
    }
}

/// A resident member of `village` from `starts_on` to `ends_on`, with a login `name`.
async fn add_cadre(
    app: &TestApp,
    name: &str,
    village: VillageId,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
) -> PersonId {
    let id = PersonId::new();
    let org = Org {
        people: vec![Person {
            id,
            name: name.into(),
            township_id: app.fx.township,
            unit_id: None,
        }],
        assignments: vec![Assignment {
            id: AssignmentId::new(),
            person_id: id,
            role: Role::ResidentMember,
            village_id: Some(village),
            township_id: app.fx.township,
            starts_on,
            ends_on,
        }],
        ..Org::default()
    };
    app.state.store.put_org(&org).await.unwrap();
    app.state
        .store
        .create_user(&UserRow {
            person_id: id,
            username: name.into(),
            password_hash: hash_password(PASSWORD, 1024, 1).unwrap(),
            disabled: false,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn leaders_see_a_cadre_only_for_the_time_of_the_posting_to_their_village() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let today = local_date(Utc::now());
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let past = add_cadre(&app, "past", fx.v1, d(2025, 1, 1), Some(d(2025, 6, 30))).await;
        let future = add_cadre(&app, "future", fx.v1, today + Duration::days(40), None).await;
        for leader in [fx.leader1, fx.liaison] {
            let token = app.login(leader).await;
            let (s, v) = app.get(&token, "/api/v1/people").await;
            assert_eq!(s, StatusCode::OK);
            let got: BTreeSet<PersonId> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["person"]["id"].as_str().unwrap().parse().unwrap())
                .collect();
            assert_eq!(got, allowed(&fx, leader), "{}", username(&fx, leader));
            for (path, want) in [
                (
                    format!("/api/v1/people/{past}/report"),
                    StatusCode::FORBIDDEN,
                ),
                (
                    format!("/api/v1/people/{past}/report?month=2025-03"),
                    StatusCode::OK,
                ),
                (
                    format!("/api/v1/people/{past}/report?month=2025-07"),
                    StatusCode::FORBIDDEN,
                ),
                (
                    format!("/api/v1/people/{past}/trajectory?date=2025-06-30"),
                    StatusCode::OK,
                ),
                (
                    format!("/api/v1/people/{past}/trajectory?date={today}"),
                    StatusCode::FORBIDDEN,
                ),
                (
                    format!("/api/v1/people/{future}/trajectory?date={today}"),
                    StatusCode::FORBIDDEN,
                ),
                (
                    format!("/api/v1/people/{future}/report"),
                    StatusCode::FORBIDDEN,
                ),
            ] {
                let (s, v) = app.get(&token, &path).await;
                assert_eq!(s, want, "{} {path}: {v}", username(&fx, leader));
            }
        }
        // The supervisor still sees the whole township.
        let token = app.login(fx.supervisor).await;
        let (s, _) = app
            .get(&token, &format!("/api/v1/people/{past}/report"))
            .await;
        assert_eq!(s, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_photo_follows_the_records_using_it_not_its_first_uploader() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let jpeg = test_jpeg(7);
        // cadre2 (village 2) happens to upload the file first; cadre1's record uses it.
        let cadre2 = app.login(fx.cadre2).await;
        let sha = upload_whole(&app, &cadre2, &jpeg).await;
        let cadre1 = app.login(fx.cadre1).await;
        let leader = app.login(fx.leader1).await;
        let get_photo = |token: String| {
            let r = app
                .http
                .get(app.url(&format!("/api/v1/photos/{sha}")))
                .bearer_auth(token)
                .send();
            async move { r.await.unwrap().status() }
        };
        assert_eq!(get_photo(leader.clone()).await, StatusCode::NOT_FOUND);
        let (s, _) = app
            .get(&cadre1, &format!("/api/v1/photos/{sha}/status"))
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "someone else's upload is not told"
        );
        let device = app.enroll(&cadre1).await;
        // Naming the file without having sent it proves nothing: refused.
        let rec = photo_record(device, fx.cadre1, 1, &sha, jpeg.len(), Utc::now());
        let (s, v) = app.push(&cadre1, device, std::slice::from_ref(&rec)).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.sha256")
            ),
            "{v}"
        );
        // cadre1 holds the same picture and sends it whole: now it is theirs too.
        upload_whole(&app, &cadre1, &jpeg).await;
        let (s, v) = app.push(&cadre1, device, &[rec]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(get_photo(leader.clone()).await, StatusCode::OK);
        assert_eq!(get_photo(cadre1.clone()).await, StatusCode::OK);
        let (s, v) = app
            .get(&cadre1, &format!("/api/v1/photos/{sha}/status"))
            .await;
        assert_eq!((s, v["complete"].as_bool()), (StatusCode::OK, Some(true)));
        // The uploader keeps access to what they uploaded.
        assert_eq!(get_photo(cadre2.clone()).await, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn photo_status_tells_nothing_of_other_peoples_uploads() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let jpeg = test_jpeg(9);
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&jpeg));
        let cadre1 = app.login(fx.cadre1).await;
        let cadre2 = app.login(fx.cadre2).await;
        let status = |token: &str| {
            let token = token.to_string();
            let url = app.url(&format!("/api/v1/photos/{sha}/status"));
            let http = app.http.clone();
            async move {
                let r = http.get(url).bearer_auth(token).send().await.unwrap();
                let s = r.status();
                (s, r.json::<Value>().await.unwrap())
            }
        };
        assert_eq!(status(&cadre1).await.0, StatusCode::NOT_FOUND);
        // cadre1 sends half the file.
        let half = jpeg.len() / 2;
        let r = app
            .http
            .put(app.url(&format!(
                "/api/v1/photos/{sha}?offset=0&total={}",
                jpeg.len()
            )))
            .bearer_auth(&cadre1)
            .body(jpeg[..half].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (s, v) = status(&cadre1).await;
        assert_eq!(
            (s, v["received_bytes"].as_u64()),
            (StatusCode::OK, Some(half as u64))
        );
        assert_eq!(status(&cadre2).await.0, StatusCode::NOT_FOUND);
        // Finished by cadre1: still nothing for cadre2, who has no record using it.
        let r = app
            .http
            .put(app.url(&format!(
                "/api/v1/photos/{sha}?offset={half}&total={}",
                jpeg.len()
            )))
            .bearer_auth(&cadre1)
            .body(jpeg[half..].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(status(&cadre1).await.1["complete"], true);
        assert_eq!(status(&cadre2).await.0, StatusCode::NOT_FOUND);
        // cadre2 holding the same file proves it by sending it whole.
        let r = app
            .http
            .put(app.url(&format!(
                "/api/v1/photos/{sha}?offset=0&total={}",
                jpeg.len()
            )))
            .bearer_auth(&cadre2)
            .body(jpeg[..half].to_vec())
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["complete"], false, "{v}");
    })
    .await;
}

#[tokio::test]
async fn the_county_office_sees_its_county_only() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        // A township of another county on the same server, with a cadre.
        let far_t = zhucun_shared::ids::TownshipId::new();
        let far = PersonId::new();
        app.state
            .store
            .put_org(&Org {
                townships: vec![zhucun_shared::org::Township {
                    id: far_t,
                    name: "长赤镇".into(),
                    county: "南江县".into(),
                }],
                people: vec![Person {
                    id: far,
                    name: "远一".into(),
                    township_id: far_t,
                    unit_id: None,
                }],
                assignments: vec![Assignment {
                    id: AssignmentId::new(),
                    person_id: far,
                    role: Role::ResidentMember,
                    village_id: None,
                    township_id: far_t,
                    starts_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                    ends_on: None,
                }],
                ..Org::default()
            })
            .await
            .unwrap();
        let token = app.login(fx.admin).await;
        let (s, v) = app.get(&token, "/api/v1/people").await;
        assert_eq!(s, StatusCode::OK);
        let got: BTreeSet<PersonId> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person"]["id"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            got,
            allowed(&fx, fx.admin),
            "the admin's county, both townships"
        );
        let (s, _) = app
            .get(&token, &format!("/api/v1/people/{far}/report"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    })
    .await;
}
