//! Login, tokens, devices and the throttle on failed logins.

use crate::common::*;
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
    on_each_backend(async |app: &TestApp| {
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
    })
    .await;
}

/// A login as `username` from `client`, as a reverse proxy forwards it.
async fn login_from(
    app: &TestApp,
    client: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", format!("203.0.113.50, {client}"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

fn behind_proxy(c: &mut zhucun_server::Config) {
    c.login_max_failures = 3;
    c.client_ip_header = Some("X-Forwarded-For".into());
    c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}

#[tokio::test]
async fn repeated_failures_slow_that_username_from_that_address_only() {
    on_each_backend_with(behind_proxy, async |app: &TestApp| {
        for _ in 0..3 {
            let r = login_from(&app, "10.0.0.66", "cadre1", "guess").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        // From the guesser's address, even the right password must wait.
        let r = login_from(&app, "10.0.0.66", "CADRE1", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&wait), "{wait}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "too_many_attempts");
        // The owner, from their own address, signs in; so does a colleague behind the
        // guesser's address.
        let r = login_from(&app, "10.0.0.7", "cadre1", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = login_from(&app, "10.0.0.66", "cadre2", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        // The wait passes, and then a right password goes through.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let r = login_from(&app, "10.0.0.66", "cadre1", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
    for backend in backends() {
        // No proxy configured: the header is the client's own claim, and ignored.
        let app = TestApp::start_with(&backend, |c| c.login_max_failures = 2).await;
        for i in 0..2 {
            let r = login_from(&app, &format!("10.0.1.{i}"), "cadre1", "guess").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = login_from(&app, "10.0.1.99", "cadre1", "guess").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        app.stop().await;
    }
}

#[tokio::test]
async fn many_failures_behind_one_address_lock_no_one_else_out() {
    on_each_backend_with(
        |c| c.login_max_failures = 3,
        async |app: &TestApp| {
            // A township's NAT: 60 failed logins under many names, all from one address.
            for i in 0..60 {
                let (s, _) = login_as(&app, &format!("nobody{i}"), "guess").await;
                assert_eq!(s, StatusCode::UNAUTHORIZED);
            }
            let (s, v) = login_as(&app, "cadre1", PASSWORD).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        },
    )
    .await;
}

#[tokio::test]
async fn the_throttle_table_stays_bounded_and_forgets_the_oldest() {
    on_each_backend(async |app: &TestApp| {
        let store = &app.state.store;
        let row = |t| zhucun_server::store::ThrottleRow {
            failures: 4,
            last_at: t,
            next_at: t + 8,
        };
        for i in 0..30 {
            let r = store
                .throttle_step(&format!("sprayed{i}|10.0.0.1"), move |_| Ok(row(1_000 + i)))
                .await
                .unwrap();
            assert!(r.is_ok());
        }
        store.throttle_prune(0, 10).await.unwrap();
        let seen = |key: &'static str| async move {
            let mut held = None;
            let _ = store
                .throttle_step(key, |h| {
                    held = h;
                    Err(0)
                })
                .await
                .unwrap();
            held.map(|h| h.failures)
        };
        // The newest ten are kept; the oldest were forgotten (a fresh, empty row).
        assert_eq!(seen("sprayed29|10.0.0.1").await, Some(4));
        assert_eq!(seen("sprayed0|10.0.0.1").await, Some(0));
    })
    .await;
}

#[tokio::test]
async fn a_cheap_or_old_hash_is_made_again_at_the_configured_cost() {
    on_each_backend_with(
        |c| {
            c.argon2_memory_kib = 2048;
            c.argon2_iterations = 2;
        },
        async |app: &TestApp| {
            let before = app
                .state
                .store
                .user_by_username("cadre1")
                .await
                .unwrap()
                .unwrap();
            assert!(
                before.password_hash.contains("m=1024,t=1"),
                "{}",
                before.password_hash
            );
            let (s, _) = login_as(&app, "cadre1", PASSWORD).await;
            assert_eq!(s, StatusCode::OK);
            let after = app
                .state
                .store
                .user_by_username("cadre1")
                .await
                .unwrap()
                .unwrap();
            assert!(
                after
                    .password_hash
                    .starts_with("$argon2id$v=19$m=2048,t=2,p=1$"),
                "{}",
                after.password_hash
            );
            let (s, _) = login_as(&app, "cadre1", PASSWORD).await;
            assert_eq!(s, StatusCode::OK, "the same password still signs in");
        },
    )
    .await;
}

#[tokio::test]
async fn usernames_match_across_case_and_width_but_not_invisible_characters() {
    on_each_backend(async |app: &TestApp| {
        for name in ["CADRE1", "ｃａｄｒｅ１", " cadre1 "] {
            let (s, v) = login_as(&app, name, PASSWORD).await;
            assert_eq!(s, StatusCode::OK, "{name}: {v}");
        }
        let (s, _) = login_as(&app, "cadre1\u{200B}", PASSWORD).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn sessions_are_listed_ended_one_by_one_and_by_logout() {
    on_each_backend(async |app: &TestApp| {
        let phone = app.login(app.fx.cadre1).await;
        let desk = app.login(app.fx.cadre1).await;
        let (s, v) = app.get(&desk, "/api/v1/auth/sessions").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let sessions = v["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{v}");
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        // Someone else cannot end it, and learns nothing: the same 404 as for no session.
        let stranger = app.login(app.fx.cadre2).await;
        let r = app
            .http
            .delete(app.url(&format!("/api/v1/auth/sessions/{other}")))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let (s, _) = app.get(&phone, "/api/v1/people").await;
        assert_eq!(s, StatusCode::OK);
        // Its owner can, from the other session.
        let r = app
            .http
            .delete(app.url(&format!("/api/v1/auth/sessions/{other}")))
            .bearer_auth(&desk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (s, _) = app.get(&phone, "/api/v1/people").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Logout ends the session it is sent with.
        let r = app
            .http
            .post(app.url("/api/v1/auth/logout"))
            .bearer_auth(&desk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (s, _) = app.get(&desk, "/api/v1/people").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn a_withdrawn_device_pushes_nothing_more() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let start = chrono::Utc::now() - chrono::Duration::minutes(10);
        let (s, _) = app
            .push(
                &token,
                device,
                &fix_records(device, app.fx.cadre1, 1..=2, start),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let other = app.login(app.fx.cadre2).await;
        let r = app
            .http
            .delete(app.url(&format!("/api/v1/devices/{device}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "not theirs");
        let r = app
            .http
            .delete(app.url(&format!("/api/v1/devices/{device}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let (s, v) = app
            .push(
                &token,
                device,
                &fix_records(device, app.fx.cadre1, 3..=4, start),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("device_revoked")),
            "{v}"
        );
        let (s, v) = app.get(&token, "/api/v1/auth/sessions").await;
        assert_eq!(s, StatusCode::OK);
        assert!(!v["devices"][0]["revoked_at"].is_null(), "{v}");
    })
    .await;
}

#[tokio::test]
async fn a_used_session_lives_on_and_an_unused_one_expires() {
    use chrono::Duration;
    use zhucun_server::clock::FixedClock;
    for backend in backends() {
        let clock = std::sync::Arc::new(FixedClock::at(chrono::Utc::now()));
        let app = TestApp::start_at(
            &backend,
            |c| {
                c.token_ttl_hours = 14 * 24;
                c.token_max_hours = 40 * 24;
            },
            clock.clone(),
        )
        .await;
        let used = app.login(app.fx.cadre1).await;
        let idle = app.login(app.fx.cadre2).await;
        // A phone that syncs every ten days stays signed in past the first fourteen...
        for _ in 0..3 {
            clock.advance(Duration::days(10));
            let (s, _) = app.get(&used, "/api/v1/sync/pull").await;
            assert_eq!(s, StatusCode::OK);
        }
        // ... while one left unused since the login is signed out.
        let (s, _) = app.get(&idle, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // However used, a session ends 40 days after its login.
        clock.advance(Duration::days(9));
        let (s, _) = app.get(&used, "/api/v1/people").await;
        assert_eq!(s, StatusCode::OK);
        clock.advance(Duration::days(2));
        let (s, _) = app.get(&used, "/api/v1/people").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_session_is_renewed_by_use_up_to_its_longest_life() {
    use zhucun_server::auth::session_expiry;
    let t = |h: i64| chrono::DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap();
    // Used an hour after login: alive 14 days from then.
    assert_eq!(session_expiry(t(0), t(1), 14 * 24, 90 * 24), t(1 + 14 * 24));
    // Used on day 89: alive only to day 90.
    assert_eq!(
        session_expiry(t(0), t(89 * 24), 14 * 24, 90 * 24),
        t(90 * 24)
    );
}

#[tokio::test]
async fn a_disabled_user_is_shut_out_at_once() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        assert!(app.state.store.set_disabled("cadre1", true).await.unwrap());
        let (s, _) = app.get(&token, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = login_as(&app, "cadre1", PASSWORD).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    on_each_backend_with(
        |c| c.token_ttl_hours = 0,
        async |app: &TestApp| {
            let token = app.login(app.fx.cadre1).await;
            let (s, v) = app.get(&token, "/api/v1/people").await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
            );
        },
    )
    .await;
}

#[tokio::test]
async fn enrolment_gives_each_phone_its_own_device_id() {
    on_each_backend(async |app: &TestApp| {
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
    })
    .await;
}

const METRICS_TOKEN: &str = "prometheus-3f9a1c";

#[tokio::test]
async fn metrics_need_their_token() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let r = app.http.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "no token configured: not served"
        );
        app.stop().await;
        let app =
            TestApp::start_with(&backend, |c| c.metrics_token = Some(METRICS_TOKEN.into())).await;
        for token in ["", "guess"] {
            let r = app
                .http
                .get(app.url("/metrics"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let cadre = app.login(app.fx.cadre1).await;
        let r = app
            .http
            .get(app.url("/metrics"))
            .bearer_auth(&cadre)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "a login token is no metrics token"
        );
        let r = app
            .http
            .get(app.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        app.stop().await;
    }
}

#[tokio::test]
async fn operations_endpoints_answer() {
    for backend in backends() {
        let app =
            TestApp::start_with(&backend, |c| c.metrics_token = Some(METRICS_TOKEN.into())).await;
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
            .bearer_auth(METRICS_TOKEN)
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
    on_each_backend_with(
        |c| c.login_max_failures = 3,
        async |app: &TestApp| {
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
        },
    )
    .await;
}

#[tokio::test]
async fn unknown_usernames_are_checked_at_the_cost_of_real_hashes() {
    on_each_backend_with(
        |c| {
            c.argon2_memory_kib = 2048;
            c.argon2_iterations = 2;
        },
        async |app: &TestApp| {
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
        },
    )
    .await;
}
