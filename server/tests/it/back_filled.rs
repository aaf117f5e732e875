//! Back-filled months (补录), over real HTTP on each backend: days appended to a device's log
//! after later days, or dated before the device was enrolled, are flagged on the person's
//! report and in the spot-check queue with the numbers; an honest phone that synced a week
//! late is only marked late.

use crate::common::*;
use chrono::{DateTime, Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_shared::ids::PersonId;
use zhucun_shared::period::{local_date, local_label};

fn month_of(t: DateTime<Utc>) -> String {
    let d = local_date(t);
    format!("{}-{:02}", d.year(), d.month())
}

/// `who`'s report flags for `month` as (kind, detail, records).
async fn flags(
    app: &TestApp,
    token: &str,
    who: PersonId,
    month: &str,
) -> Vec<(String, String, Vec<String>)> {
    let (s, v) = app
        .get(token, &format!("/api/v1/people/{who}/report?month={month}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(flag_row)
        .collect()
}

fn flag_row(f: &Value) -> (String, String, Vec<String>) {
    let kind = f["kind"]
        .as_str()
        .or_else(|| f["reason"]["kind"].as_str())
        .unwrap()
        .to_string();
    let records = f["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    (kind, f["detail"].as_str().unwrap().to_string(), records)
}

fn ids(records: &[zhucun_shared::record::DeviceRecord]) -> Vec<String> {
    records.iter().map(|r| r.id.to_string()).collect()
}

#[tokio::test]
async fn back_filled_days_are_flagged_on_the_report_and_in_the_queue_and_a_late_honest_sync_is_only_late(
) {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let now = Utc::now();
        let supervisor = app.login(fx.supervisor).await;

        // cadre1's phone, enrolled two months ago: two days ago, honestly, seqs 1–3; then,
        // pushed today after them, three records dated 47 days back.
        let t1 = app.login(fx.cadre1).await;
        let d1 = app.enroll_at(fx.cadre1, now - Duration::days(60)).await;
        let honest = fix_records(d1, fx.cadre1, 1..=3, now - Duration::days(2));
        let (s, v) = app.push(&t1, d1, &honest).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let back = now - Duration::days(47) - Duration::hours(1);
        let forged = fix_records(d1, fx.cadre1, 4..=6, back);
        let (s, v) = app.push(&t1, d1, &forged).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let month = month_of(back);
        let out_of_order = (
            "out_of_order".to_string(),
            format!(
                "记录时间 {} 至 {} 的 3 条记录，早于同一设备之前的第 3 号记录（{}）",
                local_label(forged[0].captured_at),
                local_label(forged[2].captured_at),
                local_label(honest[2].captured_at),
            ),
            ids(&forged),
        );
        let late = (
            "late_receipt".to_string(),
            "3 条记录采集后 47 天才上传".to_string(),
            ids(&forged),
        );
        let report = flags(&app, &supervisor, fx.cadre1, &month).await;
        assert!(report.contains(&out_of_order), "{report:?}");
        assert!(report.contains(&late), "{report:?}");
        // The honest days raise nothing on their own month.
        let recent = flags(
            &app,
            &supervisor,
            fx.cadre1,
            &month_of(honest[0].captured_at),
        )
        .await;
        assert!(recent.is_empty(), "{recent:?}");

        // The supervisor's queue: the back-filled run first, the lateness after it.
        let (s, q) = app
            .get(&supervisor, &format!("/api/v1/spot-checks?month={month}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{q}");
        let items: Vec<(String, String, String, Vec<String>)> = q["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["person_id"] == fx.cadre1.to_string())
            .map(|i| {
                let (kind, detail, records) = flag_row(i);
                (
                    i["reason"]["type"].as_str().unwrap().to_string(),
                    kind,
                    detail,
                    records,
                )
            })
            .collect();
        let flagged = |(kind, detail, records): &(String, String, Vec<String>)| {
            (
                "flag".to_string(),
                kind.clone(),
                detail.clone(),
                records.clone(),
            )
        };
        let at = |item| items.iter().position(|i| *i == item);
        let (first, second) = (at(flagged(&out_of_order)), at(flagged(&late)));
        assert!(first.is_some() && second.is_some(), "{items:?}");
        assert!(first < second, "{items:?}");

        // cadre2's phone, enrolled long ago, a week without signal: its days in order, all
        // sent today. Late, and nothing else.
        let t2 = app.login(fx.cadre2).await;
        let d2 = app.enroll_at(fx.cadre2, now - Duration::days(60)).await;
        let offline = fix_records(
            d2,
            fx.cadre2,
            1..=3,
            now - Duration::days(7) - Duration::hours(1),
        );
        let (s, v) = app.push(&t2, d2, &offline).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let week = flags(
            &app,
            &supervisor,
            fx.cadre2,
            &month_of(offline[0].captured_at),
        )
        .await;
        assert_eq!(
            week,
            [(
                "late_receipt".to_string(),
                "3 条记录采集后 7 天才上传".to_string(),
                ids(&offline)
            )]
        );

        // leader1's phone, enrolled just now, sends a day of ten days ago.
        let t3 = app.login(fx.leader1).await;
        let d3 = app.enroll(&t3).await;
        let before = fix_records(d3, fx.leader1, 1..=1, now - Duration::days(10));
        let (s, v) = app.push(&t3, d3, &before).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let enrolled_day = &local_label(Utc::now())[..5];
        let claimed_day = &local_label(before[0].captured_at)[..5];
        let report = flags(
            &app,
            &supervisor,
            fx.leader1,
            &month_of(before[0].captured_at),
        )
        .await;
        assert!(
            report.contains(&(
                "out_of_order".to_string(),
                format!("设备 {enrolled_day} 登记，记录称 {claimed_day} 采集"),
                ids(&before)
            )),
            "{report:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_late_receipt_delay_is_the_servers_to_set() {
    on_each_backend_with(
        |c| c.late_receipt_days = 10,
        async |app: &TestApp| {
            let fx = app.fx.clone();
            let now = Utc::now();
            let t = app.login(fx.cadre2).await;
            let d = app.enroll_at(fx.cadre2, now - Duration::days(60)).await;
            let offline = fix_records(
                d,
                fx.cadre2,
                1..=3,
                now - Duration::days(7) - Duration::hours(1),
            );
            let (s, v) = app.push(&t, d, &offline).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let supervisor = app.login(fx.supervisor).await;
            let week = flags(
                &app,
                &supervisor,
                fx.cadre2,
                &month_of(offline[0].captured_at),
            )
            .await;
            assert!(
                week.is_empty(),
                "a week is not late when ten days are allowed: {week:?}"
            );
        },
    )
    .await;
}
