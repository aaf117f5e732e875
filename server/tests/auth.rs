//! Login, tokens, devices and the throttle on failed logins.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use zhucun_server::store::Store;

async fn login_as(app: &TestApp, username: &str, password: &str) -> (StatusCode, Value) {
    app.post_json(
        "",
        "/api/v1/auth/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

#[tokio::test]
async fn login_answers_a_token_with_expiry_and_roles() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let (s, v) = login_as(&app, "cadre1", PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["person_id"], json!(app.fx.cadre1));
        assert_eq!(v["name"], "张一");
        assert_eq!(v["roles"], json!(["resident_member", "pairing_cadre"]));
        let expires: chrono::DateTime<chrono::Utc> =
            v["expires_at"].as_str().unwrap().parse().unwrap();
        assert!(expires > chrono::Utc::now() + chrono::Duration::days(1));
        let token = v["token"].as_str().unwrap();
        let (s, _) = app.get(token, "/api/v1/people").await;
        assert_eq!(s, StatusCode::OK);

        let (s, v) = login_as(&app, "cadre1", "wrong").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
        );
        let (s, v) = login_as(&app, "nobody", PASSWORD).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_username_only() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| c.login_max_failures = 3).await;
        for _ in 0..3 {
            let (s, _) = login_as(&app, "cadre1", "guess").await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        // Even the right password is refused while locked.
        let r = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "CADRE1", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().contains_key("retry-after"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "too_many_attempts");
        // Others log in as usual.
        let (s, _) = login_as(&app, "cadre2", PASSWORD).await;
        assert_eq!(s, StatusCode::OK);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_disabled_user_is_shut_out_at_once() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let token = app.login(app.fx.cadre1).await;
        assert!(app.state.store.set_disabled("cadre1", true).await.unwrap());
        let (s, _) = app.get(&token, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = login_as(&app, "cadre1", PASSWORD).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| c.token_ttl_hours = 0).await;
        let token = app.login(app.fx.cadre1).await;
        let (s, v) = app.get(&token, "/api/v1/people").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn enrolment_gives_each_phone_its_own_device_id() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let token = app.login(app.fx.cadre1).await;
        let a = app.enroll(&token).await;
        let b = app.enroll(&token).await;
        assert_ne!(a, b);
        let d = app.state.store.device(a).await.unwrap().unwrap();
        assert_eq!((d.device.person_id, d.contiguous_seq), (app.fx.cadre1, 0));
        assert_eq!(d.device.label, "华为 Mate 20");
        let r = app
            .http
            .post(app.url("/api/v1/devices"))
            .json(&json!({"label": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn operations_endpoints_answer() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let r = app.http.get(app.url("/health")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "ok");
        let (s, v) = app.get("", "/api/openapi.json").await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/sync/push",
            "/api/v1/sync/pull",
            "/api/v1/photos/{sha256}",
            "/api/v1/auth/login",
            "/api/v1/people/{id}/report",
        ] {
            assert!(
                v["paths"].get(path).is_some(),
                "{path} missing from the API document"
            );
        }
        assert!(v["info"]["description"]
            .as_str()
            .unwrap()
            .contains("atomic"));
        let _ = app.login(app.fx.cadre1).await;
        let text = app
            .http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("zhucun_logins_total"), "{text}");
        assert!(
            text.contains("zhucun_http_request_duration_seconds"),
            "{text}"
        );
        app.stop().await;
    }
}
