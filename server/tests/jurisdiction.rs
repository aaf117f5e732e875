//! Jurisdiction, endpoint by endpoint: a cadre sees only their own, a team leader their
//! village's team, a liaison leader their cluster, a supervisor their township, an admin all.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;
use zhucun_shared::ids::PersonId;

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
    for backend in backends() {
        let app = TestApp::start(&backend).await;
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
        app.stop().await;
    }
}

#[tokio::test]
async fn people_lists_only_the_jurisdiction() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
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
        app.stop().await;
    }
}

#[tokio::test]
async fn trajectory_shows_the_days_fixes_in_order() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
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
        app.stop().await;
    }
}

#[tokio::test]
async fn photos_are_visible_within_the_uploaders_jurisdiction() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let fx = app.fx.clone();
        let uploader = app.login(fx.cadre1).await;
        let jpeg = test_jpeg(1);
        let sha = upload_whole(&app, &uploader, &jpeg).await;
        for viewer in everyone(&fx) {
            let token = app.login(viewer).await;
            let r = app
                .http
                .get(app.url(&format!("/api/v1/photos/{sha}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let want = if allowed(&fx, viewer).contains(&fx.cadre1) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
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
        app.stop().await;
    }
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
