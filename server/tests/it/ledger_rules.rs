//! R-32 follows the monthly ledger's submission chain, on each backend: the village confirms
//! by month end and the township forwards by the 5th, and the team leader's kept report says
//! met, late or short accordingly — a step re-queues the verdicts it changes, and a step taken
//! after the month closed re-opens it like a late record. The phone's pull carries the steps.

use crate::common::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use std::sync::Arc;
use zhucun_server::clock::{Clock, FixedClock};
use zhucun_server::store::Store;
use zhucun_server::verdicts::close_month;
use zhucun_shared::period::{day_start, Period};
use zhucun_shared::verdict::{PersonReport, Status};

/// `hour` o'clock in China on that day.
fn at(y: i32, m: u32, d: u32, hour: i64) -> DateTime<Utc> {
    day_start(NaiveDate::from_ymd_opt(y, m, d).unwrap()) + Duration::hours(hour)
}

fn october() -> Period {
    Period::month(2026, 10)
}

const PATH: &str = "/api/v1/ledger-submissions";

/// Takes `step` for village 1's October ledger as `token`.
async fn take(app: &TestApp, token: &str, step: &str) {
    let body = serde_json::json!({"village": app.fx.v1, "month": "2026-10", "step": step});
    let (s, v) = app.post_json(token, PATH, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
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
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(at(2026, 10, 20, 10)));
        let app = TestApp::start_at(&backend, |_| {}, clock.clone()).await;
        let leader = app.login(app.fx.leader1).await;
        let supervisor = app.login(app.fx.supervisor).await;
        let (_, status, _) = r32(&app, &supervisor).await;
        assert_eq!(status, Status::NotYetDue);

        // The team leader confirms on the last evening of the month.
        clock.set(at(2026, 10, 31, 21));
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
        assert_eq!(steps, ["confirmed", "forwarded"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_township_step_after_the_fifth_makes_r32_late_and_reopens_the_closed_month() {
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(at(2026, 10, 30, 10)));
        let app = TestApp::start_at(&backend, |_| {}, clock.clone()).await;
        let leader = app.login(app.fx.leader1).await;
        let supervisor = app.login(app.fx.supervisor).await;
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
        app.stop().await;
    }
}

#[tokio::test]
async fn no_step_after_the_deadlines_makes_r32_short() {
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(at(2026, 11, 2, 10)));
        let app = TestApp::start_at(&backend, |_| {}, clock.clone()).await;
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
        app.stop().await;
    }
}
