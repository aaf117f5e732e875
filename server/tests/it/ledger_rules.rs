//! R-32 follows the monthly ledger's submission chain, on each backend: the village confirms
//! by month end and the township forwards by the 5th, and the team leader's kept report says
//! met, late or short accordingly — a step re-queues the verdicts it changes, and a step taken
//! after the month closed re-opens it like a late record. The phone's pull carries the steps.

use crate::common::browser::*;
use crate::common::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use std::sync::Arc;
use zhucun_server::clock::{Clock, FixedClock};
use zhucun_server::store::Store;
use zhucun_server::verdicts::close_month;
use zhucun_shared::period::Period;
use zhucun_shared::verdict::{PersonReport, Status};

/// `hour` o'clock in China on that day.
fn october() -> Period {
    Period::month(2026, 10)
}

const PATH: &str = "/api/v1/ledger-submissions";

/// Takes `step` for village 1's October ledger as `token`; answers the chain.
async fn take(app: &TestApp, token: &str, step: &str) -> serde_json::Value {
    let body = serde_json::json!({"village": app.fx.v1, "month": "2026-10", "step": step});
    let (s, v) = app.post_json(token, PATH, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The team leader's October report as served, with R-32's status and its parts' statuses.
async fn r32(app: &TestApp, token: &str) -> (PersonReport, Status, Vec<Status>) {
    let path = format!("/api/v1/people/{}/report?month=2026-10", app.fx.leader1);
    let (s, v) = app.get(token, &path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let report: PersonReport = serde_json::from_value(v).unwrap();
    let verdict = report
        .verdict("R-32")
        .expect("a team leader is held to R-32")
        .clone();
    let parts = verdict.parts.iter().map(|p| p.status).collect();
    (report, verdict.status, parts)
}

/// The kept report, as the store holds it.
async fn kept_r32(app: &TestApp) -> Status {
    let kept = app
        .state
        .store
        .kept_verdict(app.fx.leader1, "2026-10")
        .await
        .unwrap()
        .expect("the report is kept");
    kept.report.verdict("R-32").unwrap().status
}

#[tokio::test]
async fn confirmed_and_forwarded_on_time_make_r32_met_in_the_kept_report() {
    on_each_backend_at(
        at(2026, 10, 20, 10),
        |_| {},
        async |app: &TestApp, clock: &Arc<FixedClock>| {
            let leader = app.login(app.fx.leader1).await;
            let supervisor = app.login(app.fx.supervisor).await;
            let (_, status, _) = r32(&app, &supervisor).await;
            assert_eq!(status, Status::NotYetDue);

            // The team leader generates and confirms on the last evening of the month.
            clock.set(at(2026, 10, 31, 21));
            take(&app, &leader, "generated").await;
            clock.set(at(2026, 10, 31, 21) + Duration::minutes(5));
            take(&app, &leader, "confirmed").await;
            let (_, status, parts) = r32(&app, &supervisor).await;
            assert_eq!(parts, [Status::Met, Status::NotYetDue]);
            assert_eq!(status, Status::NotYetDue);

            // On the 4th the report is read (and kept), then the township forwards the same day:
            // the kept report must not stay as it was.
            clock.set(at(2026, 11, 4, 9));
            let (_, _, parts) = r32(&app, &supervisor).await;
            assert_eq!(parts, [Status::Met, Status::NotYetDue]);
            clock.set(at(2026, 11, 4, 10));
            take(&app, &supervisor, "forwarded").await;
            let (report, status, parts) = r32(&app, &supervisor).await;
            assert_eq!(
                (status, parts),
                (Status::Met, vec![Status::Met, Status::Met])
            );
            assert_eq!(kept_r32(&app).await, Status::Met);
            // The evidence lists the steps; the parts say each deadline.
            let v = report.verdict("R-32").unwrap();
            assert_eq!(v.parts[0].due, NaiveDate::from_ymd_opt(2026, 10, 31));
            assert_eq!(v.parts[1].due, NaiveDate::from_ymd_opt(2026, 11, 5));
            assert!(v.parts[1].evidence[0].detail.contains("乡报送"), "{v:#?}");

            // The phone's pull carries the village's steps for its own estimate.
            let (s, pull) = app.get(&leader, "/api/v1/sync/pull").await;
            assert_eq!(s, StatusCode::OK);
            let steps: Vec<&str> = pull["ledger_steps"]
                .as_array()
                .expect("the pull carries the chain's steps")
                .iter()
                .map(|s| s["step"].as_str().unwrap())
                .collect();
            assert_eq!(steps, ["generated", "confirmed", "forwarded"]);
        },
    )
    .await;
}

#[tokio::test]
async fn a_township_step_after_the_fifth_makes_r32_late_and_reopens_the_closed_month() {
    on_each_backend_at(
        at(2026, 10, 30, 10),
        |_| {},
        async |app: &TestApp, clock: &Arc<FixedClock>| {
            let leader = app.login(app.fx.leader1).await;
            let supervisor = app.login(app.fx.supervisor).await;
            take(&app, &supervisor, "generated").await;
            take(&app, &leader, "confirmed").await;

            // The month closes on the 6th without the township's step: short.
            clock.set(at(2026, 11, 6, 9));
            close_month(&app.state, october(), clock.now())
                .await
                .unwrap();
            let (report, status, parts) = r32(&app, &supervisor).await;
            assert!(report.standing.state.is_closed(), "{:?}", report.standing);
            assert_eq!(
                (status, parts),
                (Status::Short, vec![Status::Met, Status::Short])
            );

            // Forwarded on the 6th: late, and the final month re-opened with the change audited.
            clock.set(at(2026, 11, 6, 15));
            take(&app, &supervisor, "forwarded").await;
            let (report, status, parts) = r32(&app, &supervisor).await;
            assert_eq!(
                (status, parts),
                (Status::Late, vec![Status::Met, Status::Late])
            );
            assert_eq!(kept_r32(&app).await, Status::Late);
            let standing = serde_json::to_value(&report.standing).unwrap();
            assert_eq!(standing["state"], "reopened", "{standing}");
            let entries = app
                .state
                .store
                .audit_entries(0, 10_000, None)
                .await
                .unwrap();
            let reopened = entries
                .iter()
                .find(|e| {
                    e.entry.kind == "month_reopened"
                        && e.entry.subject == format!("2026-10 {}", app.fx.leader1)
                })
                .expect("the re-opening is audited");
            let detail: serde_json::Value = serde_json::from_str(&reopened.entry.detail).unwrap();
            assert_eq!(detail["ledger_steps"][0]["step"], "forwarded", "{detail}");
        },
    )
    .await;
}

#[tokio::test]
async fn no_step_after_the_deadlines_makes_r32_short() {
    on_each_backend_at(
        at(2026, 11, 2, 10),
        |_| {},
        async |app: &TestApp, clock: &Arc<FixedClock>| {
            let supervisor = app.login(app.fx.supervisor).await;
            let (_, status, parts) = r32(&app, &supervisor).await;
            assert_eq!(
                (status, parts),
                (Status::Short, vec![Status::Short, Status::NotYetDue]),
                "not confirmed by month end"
            );
            clock.set(at(2026, 11, 6, 10));
            let (_, status, parts) = r32(&app, &supervisor).await;
            assert_eq!(
                (status, parts),
                (Status::Short, vec![Status::Short, Status::Short])
            );
        },
    )
    .await;
}

/// An afternoon of the liaison leader in village 1 on 29 October, pushed from their phone: a
/// stay the village's monthly ledger lists.
async fn liaison_stay(app: &TestApp, now: DateTime<Utc>) {
    let token = app.login(app.fx.liaison).await;
    let device = app.enroll_at(app.fx.liaison, at(2026, 10, 1, 0)).await;
    let start = at(2026, 10, 29, 14);
    let records: Vec<_> = (0..=36u64)
        .map(|k| {
            let mut r = fix_record(device, app.fx.liaison, k + 1, start);
            let t = start + Duration::minutes(5 * k as i64);
            r.captured_at = t;
            r.body = zhucun_shared::record::RecordBody::Fix {
                fix: fix_at(V1.0, V1.1, t),
            };
            r
        })
        .collect();
    let (s, v) = app.push_at(&token, device, &records, now).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn the_village_confirms_the_version_generated_last_and_a_changed_ledger_is_generated_again() {
    on_each_backend_at(at(2026, 10, 30, 20), |_| {}, async |app: &TestApp, clock: &Arc<FixedClock>| {
        let leader = app.login(app.fx.leader1).await;
        let supervisor = app.login(app.fx.supervisor).await;
        let confirm = |sha: Option<&str>| {
            let mut body =
                serde_json::json!({"village": app.fx.v1, "month": "2026-10", "step": "confirmed"});
            if let Some(sha) = sha {
                body["content_sha256"] = sha.into();
            }
            body
        };
        let code = |v: &serde_json::Value| v["code"].as_str().unwrap_or_default().to_string();

        // Nothing to confirm before the ledger is generated; a resident member generates nothing.
        let (s, v) = app.post_json(&leader, PATH, &confirm(None)).await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "out_of_order".into()));
        let cadre = app.login(app.fx.cadre1).await;
        let body =
            serde_json::json!({"village": app.fx.v1, "month": "2026-10", "step": "generated"});
        assert_eq!(
            app.post_json(&cadre, PATH, &body).await.0,
            StatusCode::FORBIDDEN
        );

        let chain = take(&app, &leader, "generated").await;
        assert_eq!(chain["steps"][0]["step"], "generated");
        assert_eq!(chain["steps"][0]["due"], serde_json::Value::Null);
        let first = chain["steps"][0]["content_sha256"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(first.len(), 64);

        // The liaison leader's stay arrives afterwards: the ledger is no longer the version
        // generated, and confirming it is refused, saying why; the console says so too.
        liaison_stay(&app, clock.now()).await;
        let (s, v) = app.post_json(&leader, PATH, &confirm(Some(&first))).await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "stale".into()), "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("请重新生成后确认"),
            "{v}"
        );
        let mut b = Browser::new(&app);
        b.sign_in(app.fx.leader1).await;
        let (s, page) = b
            .get(&format!(
                "/console/ledgers/liaison-ledger?village={}&month=2026-10",
                app.fx.v1
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("台账内容已变更，请重新生成后确认"), "{page}");
        assert!(page.contains(">重新生成"), "{page}");

        // Generated again (by the township office): a new version, which is what is confirmed;
        // the old one is refused by name.
        let chain = take(&app, &supervisor, "generated").await;
        let second = chain["steps"][0]["content_sha256"]
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(second, first);
        let (s, v) = app.post_json(&leader, PATH, &confirm(Some(&first))).await;
        assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "stale".into()), "{v}");
        let (_, page) = b
            .get(&format!(
                "/console/ledgers/liaison-ledger?village={}&month=2026-10",
                app.fx.v1
            ))
            .await;
        assert!(!page.contains("台账内容已变更"), "{page}");
        assert!(
            page.contains(&format!("name=\"content_sha256\" value=\"{second}\"")),
            "{page}"
        );
        let (s, v) = app.post_json(&leader, PATH, &confirm(Some(&second))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let steps: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["generated", "confirmed"]);

        // Confirmed: the version stands, generating again is refused.
        let (s, v) = app
            .post_json(
                &supervisor,
                PATH,
                &serde_json::json!({"village": app.fx.v1, "month": "2026-10", "step": "generated"}),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::CONFLICT, "already_taken".into()),
            "{v}"
        );
        let (_, v) = app
            .get(
                &leader,
                &format!("{PATH}?village={}&month=2026-10", app.fx.v1),
            )
            .await;
        assert_eq!(v["steps"][0]["content_sha256"], second.as_str());

        // Each step audited with the version; R-32's village deadline is met as before.
        let entries = app
            .state
            .store
            .audit_entries(0, 10_000, None)
            .await
            .unwrap();
        let logged: Vec<serde_json::Value> = entries
            .iter()
            .filter(|e| e.entry.kind == "ledger_step")
            .map(|e| serde_json::from_str(&e.entry.detail).unwrap())
            .collect();
        let versions: Vec<(&str, &str)> = logged
            .iter()
            .map(|d| {
                (
                    d["step"].as_str().unwrap(),
                    d["content_sha256"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            versions,
            [
                ("generated", first.as_str()),
                ("generated", second.as_str()),
                ("confirmed", second.as_str())
            ]
        );
        let (_, _, parts) = r32(&app, &supervisor).await;
        assert_eq!(parts, [Status::Met, Status::NotYetDue]);
    })
    .await;
}
