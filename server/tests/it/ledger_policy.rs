//! Each month's ledgers with the rules and calendar in force for that month, on each backend: a
//! calendar version in force from November that makes 12 October and 2 November holidays
//! leaves October's 考勤表 on the calendar October was judged with, and marks 2 November 节.

use crate::common::*;
use crate::ledger_households::rows;
use chrono::NaiveDate;
use std::sync::Arc;
use zhucun_server::clock::{Clock, FixedClock};
use zhucun_server::policy::{self, Policy};
use zhucun_shared::calendar::BUNDLED_CALENDAR;

/// Village 1's 考勤表 for `month` as the supervisor downloads it (CSV rows).
async fn attendance(app: &TestApp, token: &str, month: &str) -> Vec<Vec<String>> {
    let query = format!("attendance?village={}&month={month}&format=csv", app.fx.v1);
    rows(app, token, &query).await
}

/// The resident member's (张一) mark on day `day` of the month.
fn mark(rows: &[Vec<String>], day: usize) -> String {
    let row = rows
        .iter()
        .find(|r| r.get(1).is_some_and(|n| n == "张一"))
        .expect("the resident member's row");
    row[2 + day].clone()
}

#[tokio::test]
async fn each_months_ledger_uses_the_calendar_in_force_for_that_month() {
    on_each_backend_at(
        at(2026, 11, 20, 10),
        |_| {},
        async |app: &TestApp, clock: &Arc<FixedClock>| {
            let supervisor = app.login(app.fx.supervisor).await;
            // Both Mondays are working days in the bundled calendar.
            assert_eq!(
                mark(&attendance(&app, &supervisor, "2026-10").await, 12),
                "缺"
            );
            assert_eq!(
                mark(&attendance(&app, &supervisor, "2026-11").await, 2),
                "缺"
            );

            let county = BUNDLED_CALENDAR.replacen(
                "\"2026-10-07\",",
                "\"2026-10-07\", \"2026-10-12\", \"2026-11-02\",",
                1,
            );
            assert_ne!(county, BUNDLED_CALENDAR);
            let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
            policy::set(
                &app.state.store,
                Policy::Calendar,
                &county,
                from,
                clock.now(),
            )
            .await
            .unwrap();
            app.state.refresh_policy().await.unwrap();

            // November follows the new version; October keeps the one it was judged with.
            assert_eq!(
                mark(&attendance(&app, &supervisor, "2026-11").await, 2),
                "节"
            );
            assert_eq!(
                mark(&attendance(&app, &supervisor, "2026-10").await, 12),
                "缺"
            );
        },
    )
    .await;
}
