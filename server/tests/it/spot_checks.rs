//! The spot-check queue, endpoint by endpoint over real HTTP: flagged records first, over the
//! caller's jurisdiction only, and a note attached by a checker closes an item.

use crate::common::*;
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_server::store::Store;
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
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let start = Utc::now() - Duration::minutes(30);
        let month = {
            let d = local_date(start);
            format!("{}-{:02}", d.year(), d.month())
        };
        // cadre1's phone reports a mock location; cadre2's track is clean.
        let t1 = app.login(fx.cadre1).await;
        let d1 = app.enroll_at(fx.cadre1, start).await;
        let mut fixes = fix_records(d1, fx.cadre1, 1..=3, start);
        if let RecordBody::Fix { fix } = &mut fixes[1].body {
            fix.mock = true;
        }
        let flagged = fixes[1].id;
        let (s, v) = app.push(&t1, d1, &fixes).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let t2 = app.login(fx.cadre2).await;
        let d2 = app.enroll_at(fx.cadre2, start).await;
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
                kind: None,
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
    })
    .await;
}

/// A note attached to `on`, by `by` from `device`.
pub(crate) fn note_on(
    device: zhucun_shared::ids::DeviceId,
    by: PersonId,
    on: RecordId,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq: 1,
        person_id: by,
        captured_at: Utc::now(),
        body: RecordBody::Note {
            attached_to: on,
            text: "已核实".into(),
            replaces: None,
            kind: None,
        },
        received: None,
    }
}

#[tokio::test]
async fn a_leader_cannot_close_an_item_outside_their_jurisdiction() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let start = Utc::now() - Duration::minutes(30);
        let month = {
            let d = local_date(start);
            format!("{}-{:02}", d.year(), d.month())
        };
        // cadre2 (village 2) mocks a location; leader1 leads village 1's team only.
        let t2 = app.login(fx.cadre2).await;
        let d2 = app.enroll(&t2).await;
        let mut fixes = fix_records(d2, fx.cadre2, 1..=3, start);
        if let RecordBody::Fix { fix } = &mut fixes[1].body {
            fix.mock = true;
        }
        let flagged = fixes[1].id;
        let (s, v) = app.push(&t2, d2, &fixes).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let tl = app.login(fx.leader1).await;
        let (s, _) = app
            .get(
                &tl,
                &format!("/api/v1/people/{}/report?month={month}", fx.cadre2),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Pushing a note on the flagged record is refused, naming the field, and so is a
        // note on a record that does not exist: the answers are the same.
        let dl = app.enroll(&tl).await;
        let (s, forged) = app.push(&tl, dl, &[note_on(dl, fx.leader1, flagged)]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{forged}");
        assert_eq!(forged["field"], "records[0].body.attached_to");
        let (s, unknown) = app
            .push(&tl, dl, &[note_on(dl, fx.leader1, RecordId::new())])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(unknown["message"], forged["message"]);

        // A note already held (written before this check existed) is still no finding.
        app.state
            .store
            .push_records(
                dl,
                &[zhucun_server::store::IncomingRecord {
                    content_hash: "x".into(),
                    record: DeviceRecord {
                        received: Some(zhucun_shared::record::ServerReceipt {
                            received_at: Utc::now(),
                            clock_offset_s: 0,
                        }),
                        ..note_on(dl, fx.leader1, flagged)
                    },
                }],
            )
            .await
            .unwrap();
        let q = queue(&app, fx.supervisor, &month).await;
        let mock = (
            fx.cadre2.to_string(),
            "flag".to_string(),
            "mock_location".to_string(),
            false,
        );
        assert_eq!(q.first(), Some(&mock), "{q:?}");

        // The supervisor, whose township it is, may.
        let ts = app.login(fx.supervisor).await;
        let ds = app.enroll(&ts).await;
        let (s, v) = app
            .push(&ts, ds, &[note_on(ds, fx.supervisor, flagged)])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let q = queue(&app, fx.supervisor, &month).await;
        assert_eq!(q.last().map(|i| i.3), Some(true), "{q:?}");
    })
    .await;
}
