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
            "/api/v1/files/{sha256}",
            "/api/v1/files/{sha256}/status",
            "/api/v1/spot-checks",
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

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_throttle() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| c.login_max_failures = 3).await;
        let mut guesses = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (http, url) = (app.http.clone(), app.url("/api/v1/auth/login"));
            guesses.spawn(async move {
                let body = json!({"username": "cadre1", "password": format!("guess{i}")});
                http.post(url).json(&body).send().await.unwrap().status()
            });
        }
        let answers = guesses.join_all().await;
        let checked = answers
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        assert!(checked <= 3, "{checked} passwords checked: {answers:?}");
        assert!(answers
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
        app.stop().await;
    }
}

#[tokio::test]
async fn failures_from_one_address_lock_it_across_usernames() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| {
            c.login_max_failures = 3;
            c.login_max_failures_per_ip = 4;
        })
        .await;
        for name in ["nobody1", "nobody2", "cadre2", "nobody3"] {
            let (s, _) = login_as(&app, name, "guess").await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        let (s, v) = login_as(&app, "cadre1", PASSWORD).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn unknown_usernames_are_checked_at_the_cost_of_real_hashes() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| {
            c.argon2_memory_kib = 2048;
            c.argon2_iterations = 2;
        })
        .await;
        assert!(
            app.state
                .decoy_hash
                .starts_with("$argon2id$v=19$m=2048,t=2,p=1$"),
            "{}",
            app.state.decoy_hash
        );
        let (s, v) = login_as(&app, "nobody", "guess").await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
        );
        app.stop().await;
    }
}
