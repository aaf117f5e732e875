//! Every kind of bad input gets a 4xx JSON error naming the field, and nothing of the request
//! is stored.

use crate::common::*;
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use zhucun_server::store::Store;
use zhucun_shared::ids::DeviceId;

/// Breaks a valid body in one way.
type Breaker = Box<dyn Fn(&mut Value)>;

fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 0, 30, 0).unwrap()
}

/// A valid push body of three fixes, as JSON to break.
fn batch(app: &TestApp, device: DeviceId) -> Value {
    let recs = fix_records(device, app.fx.cadre1, 1..=3, start());
    json!({"protocol": 1, "device_id": device, "sent_at": Utc::now(), "records": recs})
}

async fn nothing_stored(app: &TestApp) {
    let held = app
        .state
        .store
        .records_of(
            app.fx.cadre1,
            start() - Duration::days(3650),
            Utc::now() + Duration::days(3650),
        )
        .await
        .unwrap();
    assert!(held.is_empty(), "{} records stored", held.len());
}

fn assert_error(
    status: StatusCode,
    body: &Value,
    want_status: StatusCode,
    want_code: &str,
    want_field: Option<&str>,
) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    assert_eq!(body["field"].as_str(), want_field, "{body}");
    assert!(!body["message"].as_str().unwrap_or("").is_empty());
}

#[tokio::test]
async fn malformed_json_is_400() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        for raw in [
            &b"{\"protocol\": 1, "[..],
            b"not json",
            b"",
            b"{\"protocol\": 1,}",
        ] {
            let (s, v) = app
                .post_raw(&token, "/api/v1/sync/push", raw.to_vec())
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
            assert_eq!(v["code"], "malformed_json");
        }
        nothing_stored(&app).await;
    })
    .await;
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let cases: Vec<(Breaker, &str)> = vec![
            (
                Box::new(|b| b["records"][2]["seq"] = json!("three")),
                "records[2].seq",
            ),
            (
                Box::new(|b| b["records"][1]["captured_at"] = json!(12345)),
                "records[1].captured_at",
            ),
            (Box::new(|b| b["protocol"] = json!("1")), "protocol"),
            (
                Box::new(|b| {
                    b.as_object_mut().unwrap().remove("sent_at");
                }),
                "sent_at",
            ),
            (
                Box::new(|b| b["records"][0]["body"]["type"] = json!("teleport")),
                "records[0].body.type",
            ),
            (
                Box::new(|b| b["records"][0]["id"] = json!("not-a-uuid")),
                "records[0].id",
            ),
        ];
        for (breaker, field) in cases {
            let mut body = batch(&app, device);
            breaker(&mut body);
            let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
            assert_error(
                s,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                Some(field),
            );
        }
        nothing_stored(&app).await;
    })
    .await;
}

#[tokio::test]
async fn out_of_range_coordinates_refuse_the_whole_batch() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        for (path, value, field) in [
            ("lat", json!(91.0), "records[1].body.fix.lat"),
            ("lon", json!(-180.5), "records[1].body.fix.lon"),
            ("accuracy_m", json!(-3.0), "records[1].body.fix.accuracy_m"),
        ] {
            let mut body = batch(&app, device);
            body["records"][1]["body"]["fix"][path] = value;
            let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
            assert_error(
                s,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                Some(field),
            );
        }
        nothing_stored(&app).await;
    })
    .await;
}

#[tokio::test]
async fn absurd_timestamps_are_refused() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let cases: Vec<(Breaker, &str)> = vec![
            (
                Box::new(|b| b["records"][0]["captured_at"] = json!("1970-01-01T00:00:00Z")),
                "records[0].captured_at",
            ),
            (
                Box::new(|b| {
                    b["records"][2]["body"]["fix"]["time"] = json!("2099-01-01T00:00:00Z")
                }),
                "records[2].body.fix.time",
            ),
            (
                Box::new(|b| b["sent_at"] = json!("2099-01-01T00:00:00Z")),
                "sent_at",
            ),
            (
                Box::new(|b| b["sent_at"] = json!("2019-12-31T00:00:00Z")),
                "sent_at",
            ),
        ];
        for (breaker, field) in cases {
            let mut body = batch(&app, device);
            breaker(&mut body);
            let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
            assert_error(
                s,
                &v,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                Some(field),
            );
        }
        nothing_stored(&app).await;
    })
    .await;
}

#[tokio::test]
async fn overlong_strings_are_refused() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let mut body = batch(&app, device);
        body["records"][2]["body"] = json!({
            "type": "note",
            "attached_to": body["records"][0]["id"],
            "text": "长".repeat(20_001),
            "replaces": null,
        });
        let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("records[2].body.text"),
        );
        nothing_stored(&app).await;

        let (s, v) = app
            .post_json(
                &token,
                "/api/v1/devices",
                &json!({"label": "机".repeat(101)}),
            )
            .await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("label"),
        );
        let (s, v) = app
            .post_json(
                "",
                "/api/v1/auth/login",
                &json!({"username": "u".repeat(65), "password": "x"}),
            )
            .await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("username"),
        );
        let (s, v) = app
            .get(
                &token,
                &format!("/api/v1/sync/pull?cursor={}", "c".repeat(200)),
            )
            .await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("cursor"),
        );
    })
    .await;
}

#[tokio::test]
async fn huge_bodies_are_413() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| c.max_body_bytes = 64 * 1024).await;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        // Valid JSON, just too much of it.
        let recs = fix_records(device, app.fx.cadre1, 1..=1000, start());
        let (s, v) = app.push(&token, device, &recs).await;
        assert_error(
            s,
            &v,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            Some("body"),
        );
        // More records than a batch may carry.
        let app2 = TestApp::start(&backend).await;
        let t2 = app2.login(app2.fx.cadre1).await;
        let d2 = app2.enroll(&t2).await;
        let recs = fix_records(d2, app2.fx.cadre1, 1..=2001, start());
        let (s, v) = app2.push(&t2, d2, &recs).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("records"),
        );
        nothing_stored(&app).await;
        nothing_stored(&app2).await;
        app.stop().await;
        app2.stop().await;
    }
}

#[tokio::test]
async fn records_of_another_device_or_person_and_wrong_protocol_are_refused() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let mut body = batch(&app, device);
        body["records"][1]["device_id"] = json!(DeviceId::new());
        let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("records[1].device_id"),
        );
        let mut body = batch(&app, device);
        body["records"][0]["person_id"] = json!(app.fx.cadre2);
        let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("records[0].person_id"),
        );
        let mut body = batch(&app, device);
        body["protocol"] = json!(2);
        let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("protocol"),
        );
        let mut body = batch(&app, device);
        body["records"][0]["seq"] = json!(0);
        let (s, v) = app.post_json(&token, "/api/v1/sync/push", &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("records[0].seq"),
        );
        nothing_stored(&app).await;
    })
    .await;
}

#[tokio::test]
async fn path_like_names_and_bad_ids_are_refused() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        for name in [
            "..%2F..%2Fetc%2Fpasswd",
            "..",
            "%2e%2e",
            &"A".repeat(64),
            "abc",
        ] {
            let r = app
                .http
                .put(app.url(&format!("/api/v1/photos/{name}?offset=0&total=4")))
                .bearer_auth(&token)
                .body(vec![0xFF, 0xD8, 0xFF, 0xE0])
                .send()
                .await
                .unwrap();
            let s = r.status();
            let v: Value = r.json().await.unwrap();
            assert!(s.is_client_error(), "{name}: {s}");
            if s == StatusCode::UNPROCESSABLE_ENTITY {
                assert_eq!(v["field"], "sha256", "{name}: {v}");
            }
        }
        assert!(
            std::fs::read_dir(app.state.uploads.dir())
                .unwrap()
                .next()
                .is_none(),
            "nothing staged"
        );
        let (s, v) = app.get(&token, "/api/v1/people/..%2F..%2Fetc/report").await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("id"),
        );
        let (s, v) = app
            .get(
                &token,
                &format!("/api/v1/people/{}/report?month=2026-13", app.fx.cadre1),
            )
            .await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("month"),
        );
        let (s, v) = app
            .get(
                &token,
                &format!("/api/v1/people/{}/trajectory?date=yesterday", app.fx.cadre1),
            )
            .await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            Some("date"),
        );
    })
    .await;
}

#[tokio::test]
async fn non_image_photos_are_refused_and_not_kept() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let text = b"#!/bin/sh\nrm -rf /\n".to_vec();
        let sha = sha256_hex(&text);
        let r = app
            .http
            .put(app.url(&format!(
                "/api/v1/photos/{sha}?offset=0&total={}",
                text.len()
            )))
            .bearer_auth(&token)
            .body(text)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            (v["code"].as_str(), v["field"].as_str()),
            (Some("not_an_image"), Some("body"))
        );
        assert!(app.state.store.file(&sha).await.unwrap().is_none());
        assert_eq!(app.state.uploads.received(&sha, app.fx.cadre1), 0);
    })
    .await;
}

#[tokio::test]
async fn unauthenticated_and_unknown_routes_answer_json() {
    on_each_backend(async |app: &TestApp| {
        let (s, v) = app.get("nonsense", "/api/v1/sync/pull").await;
        assert_error(
            s,
            &v,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            Some("authorization"),
        );
        let r = app
            .http
            .get(app.url("/api/v1/people"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let (s, v) = app.get("x", "/api/v1/nowhere").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    })
    .await;
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn far_off_dates_are_refused_naming_the_field() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let me = app.fx.cadre1;
        for date in ["+262142-12-31", "1999-12-31", "2101-01-01", "-0001-01-01"] {
            let (s, v) = app
                .get(
                    &token,
                    &format!(
                        "/api/v1/people/{me}/trajectory?date={}",
                        date.replace('+', "%2B")
                    ),
                )
                .await;
            assert_eq!(
                (s, v["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("date")),
                "{date}: {v}"
            );
        }
        let (s, v) = app
            .get(
                &token,
                &format!("/api/v1/people/{me}/trajectory?date=2000-01-01"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    })
    .await;
}

#[tokio::test]
async fn made_up_methods_are_counted_as_other() {
    for backend in backends() {
        let app =
            TestApp::start_with(&backend, |c| c.metrics_token = Some("metrics-token".into())).await;
        let brew = reqwest::Method::from_bytes(b"BREWCOFFEE").unwrap();
        let r = app
            .http
            .request(brew, app.url("/health"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        let text = app
            .http
            .get(app.url("/metrics"))
            .bearer_auth("metrics-token")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("BREWCOFFEE"), "{text}");
        assert!(text.contains("method=\"other\""), "{text}");
        app.stop().await;
    }
}
