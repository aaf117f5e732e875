//! The spot-check queue, endpoint by endpoint over real HTTP: flagged records first, over the
//! caller's jurisdiction only, and a note attached by a checker closes an item.

mod common;

use chrono::{Datelike, Duration, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, RecordBody};

/// Items of `who`'s queue as (person, reason type, reason kind, checked).
async fn queue(app: &TestApp, who: PersonId, month: &str) -> Vec<(String, String, String, bool)> {
    let token = app.login(who).await;
    let (s, v) = app
        .get(&token, &format!("/api/v1/spot-checks?month={month}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["person_id"].as_str().unwrap().to_string(),
                i["reason"]["type"].as_str().unwrap().to_string(),
                i["reason"]["kind"].as_str().unwrap().to_string(),
                !i["finding"].is_null(),
            )
        })
        .collect()
}

#[tokio::test]
async fn flagged_records_come_first_within_the_callers_jurisdiction_and_a_finding_closes_them() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let fx = app.fx.clone();
        let start = Utc::now() - Duration::minutes(30);
        let month = {
            let d = local_date(start);
            format!("{}-{:02}", d.year(), d.month())
        };
        // cadre1's phone reports a mock location; cadre2's track is clean.
        let t1 = app.login(fx.cadre1).await;
        let d1 = app.enroll(&t1).await;
        let mut fixes = fix_records(d1, fx.cadre1, 1..=3, start);
        if let RecordBody::Fix { fix } = &mut fixes[1].body {
            fix.mock = true;
        }
        let flagged = fixes[1].id;
        let (s, v) = app.push(&t1, d1, &fixes).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let t2 = app.login(fx.cadre2).await;
        let d2 = app.enroll(&t2).await;
        let (s, v) = app
            .push(&t2, d2, &fix_records(d2, fx.cadre2, 1..=3, start))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let mock = (
            fx.cadre1.to_string(),
            "flag".to_string(),
            "mock_location".to_string(),
            false,
        );
        let supervisor = queue(&app, fx.supervisor, &month).await;
        assert_eq!(supervisor.first(), Some(&mock), "{supervisor:?}");
        // Each sees only their jurisdiction, never themselves.
        assert!(queue(&app, fx.leader1, &month).await.contains(&mock));
        for who in [fx.cadre1, fx.cadre2, fx.outsider] {
            let q = queue(&app, who, &month).await;
            assert!(
                q.iter().all(|(p, ..)| *p != fx.cadre1.to_string()),
                "{}: {q:?}",
                username(&fx, who)
            );
        }

        // The supervisor checks it: a note on the flagged fix.
        let ts = app.login(fx.supervisor).await;
        let ds = app.enroll(&ts).await;
        let finding = DeviceRecord {
            id: RecordId::new(),
            device_id: ds,
            seq: 1,
            person_id: fx.supervisor,
            captured_at: Utc::now(),
            body: RecordBody::Note {
                attached_to: flagged,
                text: "已电话核实：测试定位软件未关闭".into(),
                replaces: None,
            },
            received: None,
        };
        let (s, v) = app.push(&ts, ds, &[finding]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let after = queue(&app, fx.supervisor, &month).await;
        assert_eq!(after.len(), supervisor.len());
        assert_eq!(
            after.last(),
            Some(&(mock.0.clone(), mock.1.clone(), mock.2.clone(), true)),
            "{after:?}"
        );
        let (s, v) = app
            .get(&ts, &format!("/api/v1/spot-checks?month={month}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        let item: &Value = v["items"].as_array().unwrap().last().unwrap();
        assert_eq!(item["finding"]["text"], "已电话核实：测试定位软件未关闭");

        let (s, v) = app.get(&ts, "/api/v1/spot-checks?month=2026-13").await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("month"))
        );
        app.stop().await;
    }
}
