//! Kept verdicts over time: a report read `as_of` a past instant is the version kept then;
//! several servers share the verdict queue, each entry evaluated by one of them, and a crashed
//! worker's claims are taken again after their lease; a month in which nobody recorded
//! anything still closes on its grace date; a rules version set while the server runs is used
//! without a restart.

use crate::common::*;
use crate::month_close::{days_of_fixes, start};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use std::sync::Arc;
use zhucun_server::clock::{Clock, FixedClock};
use zhucun_server::store::{IncomingRecord, Store};
use zhucun_server::verdicts::{close_due, drain, CLAIM_LEASE};
use zhucun_server::AppState;
use zhucun_shared::catalogue::BUNDLED_RULES;
use zhucun_shared::ids::{DeviceId, PersonId};
use zhucun_shared::month_close::MonthState;
use zhucun_shared::period::day_start;
use zhucun_shared::record::ServerReceipt;
use zhucun_shared::verdict::{PersonReport, Status};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// `hour` o'clock in China on that day.
fn at(y: i32, m: u32, d: u32, hour: i64) -> DateTime<Utc> {
    day_start(day(y, m, d)) + Duration::hours(hour)
}

/// Days in the village counted for September (R-233a).
fn days_counted(r: &PersonReport) -> u32 {
    r.verdict("R-233a").unwrap().parts[0].counted
}

fn served(v: serde_json::Value) -> PersonReport {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn a_report_as_of_a_past_instant_is_the_version_kept_then() {
    // Versions kept by the reads alone, not by the worker bringing verdicts to the day.
    on_each_backend_at(
        at(2026, 10, 3, 12),
        |c| c.warm_verdicts = false,
        async |app: &TestApp, clock: &Arc<FixedClock>| {
            let fx = app.fx.clone();
            let token = app.login(fx.cadre1).await;
            let supervisor = app.login(fx.supervisor).await;
            let device = app.enroll_at(fx.cadre1, at(2026, 8, 1, 9)).await;
            let first = days_of_fixes(device, fx.cadre1, &[(3, 300), (4, 300)], 1);
            let (s, v) = app.push_at(&token, device, &first, clock.now()).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let path = format!("/api/v1/people/{}/report?month=2026-09", fx.cadre1);
            let (s, v) = app.get(&supervisor, &path).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let before = served(v);
            let t1 = clock.now();

            // The next day the phone sends a day it had not sent: the verdict changes.
            clock.set(at(2026, 10, 4, 12));
            let late = days_of_fixes(device, fx.cadre1, &[(21, 480)], 601);
            let (s, v) = app.push_at(&token, device, &late, clock.now()).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (s, v) = app.get(&supervisor, &path).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let after = served(v);
            assert_eq!(
                days_counted(&after),
                days_counted(&before) + 1,
                "the late day counts"
            );
            let t2 = clock.now();
            clock.set(at(2026, 10, 4, 18));

            // As of an instant between the two: the first verdict; as of the second or later: the new.
            let as_of = |t: &str| format!("{path}&as_of={}", t.replace('+', "%2B"));
            let (s, v) = app
                .get(&supervisor, &as_of("2026-10-03T20:00:00+08:00"))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let then = served(v);
            assert_eq!(days_counted(&then), days_counted(&before));
            assert_eq!(then.evaluated_at, t1);
            assert_eq!(then.verdicts, before.verdicts);
            let (s, v) = app.get(&supervisor, &as_of(&t2.to_rfc3339())).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(served(v).verdicts, after.verdicts);
            let (s, v) = app.get(&supervisor, &as_of("2026-10-04T09:59:59Z")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(days_counted(&served(v)), days_counted(&after));
            // Without month: the month containing the instant (September's last evening in China).
            let (s, v) = app
                .get(
                    &supervisor,
                    &format!(
                        "/api/v1/people/{}/report?as_of=2026-09-30T20:00:00%2B08:00",
                        fx.cadre1
                    ),
                )
                .await;
            // Nothing of September was kept by then.
            assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
            assert_eq!(v["code"], "no_verdict_kept", "{v}");
            assert_eq!(v["field"], "as_of", "{v}");
            assert!(v["message"].as_str().unwrap().contains("2026-09"), "{v}");

            // Before the first version was kept: none to give.
            let (s, v) = app
                .get(&supervisor, &as_of("2026-10-03T11:00:00+08:00"))
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
            assert_eq!(v["code"], "no_verdict_kept");
            // In the future, malformed, a date alone, a far year: 422 naming as_of.
            for bad in [
                "2026-10-05T00:00:00+08:00",
                "yesterday",
                "2026-10-03",
                "1999-10-03T00:00:00Z",
            ] {
                let (s, v) = app.get(&supervisor, &as_of(bad)).await;
                assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
                assert_eq!(v["field"], "as_of", "{bad}: {v}");
            }
            // Out of reach: a cadre of another township, and another village's cadre.
            for who in [fx.outsider, fx.cadre2] {
                let other = app.login(who).await;
                let (s, v) = app.get(&other, &as_of(&t2.to_rfc3339())).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
                assert!(v.get("verdicts").is_none());
            }
            // The history has a version per change, not per evaluation.
            let versions = app
                .state
                .store
                .verdict_versions(fx.cadre1, "2026-09")
                .await
                .unwrap();
            assert_eq!(
                versions.len(),
                2,
                "{:?}",
                versions.iter().map(|v| v.since).collect::<Vec<_>>()
            );
            assert_eq!(versions[0].since, t1);
            assert_eq!(versions[1].since, t2);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_the_queue_each_entry_taken_once_and_an_abandoned_claim_retaken() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        // A second server over the same database: its own connections.
        let other_store = db.open().await;
        let clock = Arc::new(FixedClock::at(at(2026, 10, 3, 12)));
        let a = start(&db, &store, clock.clone()).await;
        let b = start(&db, &other_store, clock.clone()).await;
        assert_ne!(a.worker_id, b.worker_id);
        let people = [fx.cadre1, fx.cadre2, fx.leader1, fx.liaison, fx.supervisor];
        let marks: Vec<(PersonId, String)> = people
            .iter()
            .flat_map(|p| (1..=9).map(move |m| (*p, format!("2026-{m:02}"))))
            .collect();
        store.mark_dirty(&marks).await.unwrap();

        let run = |state: AppState| {
            tokio::spawn(async move {
                let mut taken = 0;
                loop {
                    let n = drain(&state, 3).await.unwrap();
                    if n == 0 {
                        break taken;
                    }
                    taken += n;
                }
            })
        };
        let (ta, tb) = (run(a.clone()), run(b.clone()));
        let (ta, tb) = (ta.await.unwrap(), tb.await.unwrap());
        // Each entry was taken (and evaluated) by one server only.
        assert_eq!(ta + tb, marks.len(), "a: {ta}, b: {tb}");
        assert!(ta > 0 && tb > 0, "both servers took part: a {ta}, b {tb}");
        assert!(store.dirty(1000).await.unwrap().is_empty());
        for p in people {
            assert!(store.kept_verdict(p, "2026-09").await.unwrap().is_some());
        }

        // A worker claims an entry and dies: nobody takes it while its lease runs ...
        store
            .mark_dirty(&[(fx.cadre1, "2026-09".to_string())])
            .await
            .unwrap();
        let now = clock.now();
        let claimed = store
            .claim_dirty(10, "a worker that died", now, now + CLAIM_LEASE)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(drain(&b, 10).await.unwrap(), 0);
        assert_eq!(store.dirty(10).await.unwrap().len(), 1, "still queued");
        clock.advance(CLAIM_LEASE - Duration::seconds(1));
        assert_eq!(drain(&b, 10).await.unwrap(), 0);
        // ... and once it has run out, another takes it and settles it.
        clock.advance(Duration::seconds(2));
        assert_eq!(drain(&b, 10).await.unwrap(), 1);
        assert!(store.dirty(10).await.unwrap().is_empty());

        // A long batch renews its claims: what it holds is not taken while it runs.
        store
            .mark_dirty(&[(fx.leader1, "2026-09".to_string())])
            .await
            .unwrap();
        let now = clock.now();
        let held = store
            .claim_dirty(10, &a.worker_id, now, now + CLAIM_LEASE)
            .await
            .unwrap();
        assert_eq!(held.len(), 1);
        clock.advance(CLAIM_LEASE - Duration::minutes(1));
        let now = clock.now();
        assert_eq!(
            store
                .renew_claims(&a.worker_id, now, now + CLAIM_LEASE)
                .await
                .unwrap(),
            1
        );
        clock.advance(Duration::minutes(2));
        assert_eq!(drain(&b, 10).await.unwrap(), 0, "renewed: still held");
        clock.advance(CLAIM_LEASE);
        assert_eq!(drain(&b, 10).await.unwrap(), 1);
        // A lease that ran out is not renewed (another worker may hold the entry by then).
        store
            .mark_dirty(&[(fx.leader1, "2026-09".to_string())])
            .await
            .unwrap();
        let now = clock.now();
        store
            .claim_dirty(10, &a.worker_id, now, now + CLAIM_LEASE)
            .await
            .unwrap();
        clock.advance(CLAIM_LEASE + Duration::minutes(1));
        let now = clock.now();
        assert_eq!(
            store
                .renew_claims(&a.worker_id, now, now + CLAIM_LEASE)
                .await
                .unwrap(),
            0
        );
        assert_eq!(drain(&b, 10).await.unwrap(), 1);

        // An entry marked again while claimed is let go by its claimant, not dropped: the next
        // worker takes it at once.
        store
            .mark_dirty(&[(fx.cadre2, "2026-09".to_string())])
            .await
            .unwrap();
        let now = clock.now();
        let held = store
            .claim_dirty(10, &a.worker_id, now, now + CLAIM_LEASE)
            .await
            .unwrap();
        store
            .mark_dirty(&[(fx.cadre2, "2026-09".to_string())])
            .await
            .unwrap();
        store.settle(&held[0]).await.unwrap();
        assert_eq!(
            store.dirty(10).await.unwrap().len(),
            1,
            "marked again: kept"
        );
        assert_eq!(drain(&b, 10).await.unwrap(), 1);
        assert!(store.dirty(10).await.unwrap().is_empty());
        store.close().await;
        other_store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_month_without_records_closes_on_its_grace_date_with_short_verdicts() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        // The server has records of September only; in October nobody recorded anything.
        let device = zhucun_shared::org::Device {
            id: DeviceId::new(),
            person_id: fx.leader1,
            label: "手机".into(),
            enrolled_at: at(2026, 8, 1, 9),
        };
        store.enroll_device(&device).await.unwrap();
        let incoming: Vec<_> = days_of_fixes(device.id, fx.leader1, &[(3, 300)], 1)
            .into_iter()
            .map(|mut r| {
                let content_hash = r.content_hash();
                r.received = Some(ServerReceipt {
                    received_at: at(2026, 9, 3, 20),
                    clock_offset_s: 0,
                });
                IncomingRecord {
                    record: r,
                    content_hash,
                }
            })
            .collect();
        store.push_records(device.id, &incoming).await.unwrap();
        let clock = Arc::new(FixedClock::at(at(2026, 11, 5, 23)));
        let state = start(&db, &store, clock.clone()).await;
        // On October's grace date September closes, October not yet.
        assert_eq!(close_due(&state).await.unwrap(), ["2026-09"]);
        assert!(store.closed_month("2026-10").await.unwrap().is_none());
        // The day after, October closes, though it has no records.
        clock.set(at(2026, 11, 6, 9));
        assert_eq!(close_due(&state).await.unwrap(), ["2026-10"]);
        for p in [fx.leader1, fx.cadre1, fx.cadre2] {
            let kept = store.kept_verdict(p, "2026-10").await.unwrap().unwrap();
            assert_eq!(kept.report.standing.state, MonthState::Final);
            assert_eq!(kept.report.standing.since, Some(at(2026, 11, 6, 9)));
        }
        let leader = store
            .kept_verdict(fx.leader1, "2026-10")
            .await
            .unwrap()
            .unwrap()
            .report;
        let visits = &leader.verdict("R-212").unwrap().parts[0];
        assert_eq!((visits.status, visits.counted), (Status::Short, 0));
        // Months before the server held any record are not closed.
        assert!(store.closed_month("2026-08").await.unwrap().is_none());
        let audit = store.audit_entries(0, 100, None).await.unwrap();
        assert!(audit
            .iter()
            .any(|e| e.entry.kind == "month_closed" && e.entry.subject == "2026-10"));
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_rules_version_set_while_the_server_runs_is_used_without_a_restart() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let clock = Arc::new(FixedClock::at(at(2026, 10, 3, 12)));
        let state = start(&db, &store, clock.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(zhucun_server::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let login: serde_json::Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username(&fx, fx.supervisor), "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_string();
        let leader = fx.leader1;
        let report = |month: &'static str| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                let r = http
                    .get(format!(
                        "{base}/api/v1/people/{leader}/report?month={month}"
                    ))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.json::<PersonReport>().await.unwrap()
            }
        };
        let pulled_rules = || {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            async move {
                let v: serde_json::Value = http
                    .get(format!("{base}/api/v1/sync/pull"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                v["rules_toml"].as_str().unwrap().to_string()
            }
        };
        assert!(pulled_rules().await.contains("min_visits = 6"));
        let required = |r: &PersonReport| r.verdict("R-212").unwrap().parts[0].required;
        let october = report("2026-10").await;
        assert_eq!(required(&october), 6);
        assert_eq!(october.catalogue_version, "default-2026.1");

        // The county office sets its rules from October with the command line, another
        // process, while the server runs.
        let file = db.dir.path().join("county.toml");
        std::fs::write(
            &file,
            BUNDLED_RULES
                .replacen("min_visits = 6", "min_visits = 8", 1)
                .replacen(
                    "version = \"default-2026.1\"",
                    "version = \"county-2026.1\"",
                    1,
                ),
        )
        .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhucun-server"))
            .args([
                "rules",
                "set",
                file.to_str().unwrap(),
                "--from",
                "2026-10-01",
            ])
            .env("ZHUCUN_DATA_DIR", db.dir.path())
            .env("ZHUCUN_DATABASE_URL", &db.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // The running server evaluates October with it; September keeps the rules before.
        let october = report("2026-10").await;
        assert_eq!(october.catalogue_version, "county-2026.1");
        assert_eq!(required(&october), 8);
        let september = report("2026-09").await;
        assert_eq!(september.catalogue_version, "default-2026.1");
        assert_eq!(required(&september), 6);
        // The phone pulls this month's rules: the new version.
        assert!(pulled_rules().await.contains("min_visits = 8"));
        // The worker too: a queued October is kept with the new rules.
        store
            .mark_dirty(&[(fx.leader1, "2026-10".to_string())])
            .await
            .unwrap();
        while drain(&state, 10).await.unwrap() > 0 {}
        let kept = store
            .kept_verdict(fx.leader1, "2026-10")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(required(&kept.report), 8);
        let _ = stop.send(());
        server.await.unwrap().unwrap();
        db.cleanup().await;
    }
}
