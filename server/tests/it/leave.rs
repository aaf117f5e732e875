//! 考勤 over real HTTP: a cadre's leave request arrives through the phone's push; the team
//! leader's decision through the push too, the office's from the console; an approved request
//! takes its working days out of R-233a's denominator in the kept verdicts, a later refusal
//! puts them back, and the phone's pull carries the decision. An approver out of reach is
//! refused and nothing is written.

use crate::common::browser::*;
use crate::common::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_server::store::Store;
use zhucun_shared::ids::{DeviceId, PersonId, RecordId};
use zhucun_shared::leave::{AbsenceKind, LeaveDecision};
use zhucun_shared::period::day_start;
use zhucun_shared::record::{DeviceRecord, NoteKind, RecordBody};
use zhucun_shared::role::Role;

fn record(
    device: DeviceId,
    person: PersonId,
    seq: u64,
    at: DateTime<Utc>,
    body: RecordBody,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: at,
        body,
        received: None,
    }
}

fn decision_note(request: RecordId, d: LeaveDecision, remark: &str) -> RecordBody {
    RecordBody::Note {
        attached_to: request,
        text: remark.into(),
        replaces: None,
        kind: Some(NoteKind::LeaveDecision { decision: d }),
    }
}

/// cadre1 (a resident member of v1, under R-233a) asks for leave from the 10th to the 16th of
/// last month, from the phone. Answers the token and the request.
async fn request_leave(app: &TestApp) -> (String, RecordId) {
    let (_, first) = crate::findings::last_month();
    let token = app.login(app.fx.cadre1).await;
    let device = app.enroll_at(app.fx.cadre1, day_start(first)).await;
    let req = record(
        device,
        app.fx.cadre1,
        1,
        day_start(first) + Duration::hours(9),
        RecordBody::LeaveRequest {
            kind: AbsenceKind::Leave,
            from: first + Duration::days(9),
            to: first + Duration::days(15),
            reason: "家中老人住院".into(),
        },
    );
    let (s, v) = app.push(&token, device, std::slice::from_ref(&req)).await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    (token, req.id)
}

/// cadre1's R-233a month part for last month, as `token` sees it.
async fn r233a(app: &TestApp, token: &str) -> Value {
    let (month, _) = crate::findings::last_month();
    let (s, report) = app
        .get(
            token,
            &format!("/api/v1/people/{}/report?month={month}", app.fx.cadre1),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{report}");
    report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule_id"] == "R-233a")
        .expect("R-233a applies to a resident member")["parts"][0]
        .clone()
}

fn leave_evidence(part: &Value) -> Vec<String> {
    part["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "approved_leave")
        .map(|e| e["detail"].as_str().unwrap().to_string())
        .collect()
}

/// The leave list as `token` sees it.
async fn listed(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.get(token, "/api/v1/leave").await
}

/// In v1's 考勤表 for last month, as `token` downloads it: per member with any, how many days
/// are marked 假.
async fn away_marks(app: &TestApp, token: &str) -> Vec<usize> {
    let (month, _) = crate::findings::last_month();
    let r = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/ledgers/attendance?village={}&month={month}&format=csv",
            app.fx.v1
        )))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes[3..]).unwrap().to_string();
    assert!(text.contains("假＝批准请假"), "{text}");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().filter(|c| *c == "假").count())
        .filter(|n| *n > 0)
        .collect()
}

#[tokio::test]
async fn approved_leave_leaves_r233a_and_a_later_refusal_from_the_console_restores_it() {
    on_each_backend(async |app: &TestApp| {
        let (cadre, request) = request_leave(app).await;
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let before = r233a(app, &cadre).await;
        assert!(leave_evidence(&before).is_empty(), "{before}");
        let required = before["required"].as_u64().unwrap();

        // Pending: in the team leader's list, and changing nothing.
        let leader = app.login(app.fx.leader1).await;
        let (s, list) = listed(app, &leader).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["absence"]["request"], serde_json::json!(request));
        assert!(list[0]["absence"]["decided"].is_null(), "{list}");

        // The team leader approves from the phone: a note in their own log, pushed.
        let device = app.enroll(&leader).await;
        let note = record(
            device,
            app.fx.leader1,
            1,
            Utc::now(),
            decision_note(request, LeaveDecision::Approved, "同意"),
        );
        let (s, v) = app.push(&leader, device, &[note]).await;
        assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
        let approved = r233a(app, &cadre).await;
        let shown = leave_evidence(&approved);
        assert_eq!(shown.len(), 1, "{approved}");
        assert!(shown[0].starts_with("请假 "), "{}", shown[0]);
        assert!(shown[0].contains("已批准："), "{}", shown[0]);
        let excused = required - approved["required"].as_u64().unwrap();
        assert!(excused > 0, "{approved}");
        assert!(
            approved["label_zh"]
                .as_str()
                .unwrap()
                .contains("已扣除请假、公差"),
            "{approved}"
        );

        // The village's 考勤表 marks the approved working days 假, as many as the verdict excused.
        let days: usize = shown[0]
            .strip_prefix("请假 ")
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert_eq!(away_marks(app, &leader).await, vec![days]);

        // The console's person-month lists it apart from what counted.
        let mut desk = Browser::new(app);
        desk.sign_in(app.fx.leader1).await;
        let (month, _) = crate::findings::last_month();
        let (s, page) = desk
            .get(&format!("/console/people/{}?month={month}", app.fx.cadre1))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("请假、公差 1 项（不计入基数）"), "{page}");
        assert!(page.contains(shown[0].as_str()), "{page}");

        // The cadre's phone hears of it at its next pull.
        let (s, pull) = app.get(&cadre, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK, "{pull}");
        let decisions: Vec<&Value> = pull["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["attached_to"] == serde_json::json!(request))
            .collect();
        assert_eq!(decisions.len(), 1, "{pull}");
        assert_eq!(decisions[0]["decision"], "approved");

        // The office refuses it later, from the console: the latest word stands.
        let mut office = Browser::new(app);
        office.sign_in(app.fx.admin).await;
        let (s, page) = office.get("/console/leave").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("家中老人住院") && page.contains("已批准"),
            "{page}"
        );
        let csrf = field(&page, "csrf");
        let id = request.to_string();
        let form = |csrf: &str, remark: &'static str| {
            vec![
                ("csrf", csrf.to_string()),
                ("request_id", id.clone()),
                ("decision", "refused".to_string()),
                ("remark", remark.to_string()),
            ]
        };
        let send = async |b: &mut Browser<'_>, f: Vec<(&str, String)>| {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post("/console/leave/decisions", &pairs).await
        };
        // A forged token and a refusal without a reason are turned away.
        let (s, _) = send(&mut office, form("forged", "无")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, body) = send(&mut office, form(&csrf, "")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("不批准须写明理由"), "{body}");
        let (s, _) = send(&mut office, form(&csrf, "当月有督查任务")).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let refused = r233a(app, &cadre).await;
        assert!(leave_evidence(&refused).is_empty(), "{refused}");
        assert_eq!(refused["required"].as_u64(), Some(required), "{refused}");
        assert!(away_marks(app, &leader).await.is_empty());
        let (_, list) = listed(app, &leader).await;
        assert_eq!(
            list[0]["absence"]["decided"]["decision"], "refused",
            "{list}"
        );
        assert_eq!(list[0]["absence"]["decided"]["remark"], "当月有督查任务");
    })
    .await;
}

#[tokio::test]
async fn an_approver_out_of_reach_is_refused_and_nothing_is_written() {
    on_each_backend(async |app: &TestApp| {
        let (cadre, request) = request_leave(app).await;
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let other_id = app
            .add_person(
                "leader2",
                &[(Role::TeamLeader, Some(app.fx.v2), start, None)],
            )
            .await;
        let held = |p: PersonId| async move {
            app.state
                .store
                .records_of(
                    p,
                    Utc::now() - Duration::days(400),
                    Utc::now() + Duration::days(2),
                )
                .await
                .unwrap()
                .len()
        };
        let push_decision = async |token: &str, who: PersonId, on: RecordId| {
            let device = app.enroll(token).await;
            let note = record(
                device,
                who,
                1,
                Utc::now(),
                decision_note(on, LeaveDecision::Approved, "同意"),
            );
            app.push(token, device, &[note]).await
        };

        // The supervisor sees the cadre but grants no leave; another village's leader sees
        // nothing; the cadre cannot approve their own request.
        let supervisor = app.login(app.fx.supervisor).await;
        let (s, v) = push_decision(&supervisor, app.fx.supervisor, request).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.kind")
            ),
            "{v}"
        );
        let other = app.login_name("leader2").await;
        let (s, v) = push_decision(&other, other_id, request).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.attached_to")
            ),
            "{v}"
        );
        let (s, v) = push_decision(&cadre, app.fx.cadre1, request).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.attached_to")
            ),
            "{v}"
        );
        // Nor in the same push as the request itself.
        let device = app.enroll(&cadre).await;
        let (_, first) = crate::findings::last_month();
        let own = record(
            device,
            app.fx.cadre1,
            1,
            Utc::now(),
            RecordBody::LeaveRequest {
                kind: AbsenceKind::Leave,
                from: first + Duration::days(20),
                to: first + Duration::days(21),
                reason: "探亲".into(),
            },
        );
        let own_decision = record(
            device,
            app.fx.cadre1,
            2,
            Utc::now(),
            decision_note(own.id, LeaveDecision::Approved, "同意"),
        );
        let before = held(app.fx.cadre1).await;
        let (s, v) = app.push(&cadre, device, &[own, own_decision]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[1].body.attached_to")
            ),
            "{v}"
        );
        assert_eq!(held(app.fx.cadre1).await, before, "nothing written");
        // A decision only ever sits on a leave request.
        let leader = app.login(app.fx.leader1).await;
        let (token, device) = (cadre.clone(), app.enroll(&cadre).await);
        let fix = record(
            device,
            app.fx.cadre1,
            1,
            Utc::now(),
            RecordBody::Fix {
                fix: fix_at(V1.0, V1.1, Utc::now()),
            },
        );
        let (s, _) = app.push(&token, device, std::slice::from_ref(&fix)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = push_decision(&leader, app.fx.leader1, fix.id).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.attached_to")
            ),
            "{v}"
        );

        // From the console: the supervisor has no page, another village's leader no request.
        let mut b = Browser::new(app);
        b.sign_in(app.fx.supervisor).await;
        let (s, _) = b.get("/console/leave").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let mut b = Browser::new(app);
        b.sign_in_as("leader2").await;
        let (s, page) = b.get("/console/leave").await;
        assert_eq!(s, StatusCode::OK);
        assert!(!page.contains("家中老人住院"), "{page}");
        let csrf = b.csrf().await;
        let id = request.to_string();
        let (s, _) = b
            .post(
                "/console/leave/decisions",
                &[
                    ("csrf", &csrf),
                    ("request_id", &id),
                    ("decision", "approved"),
                    ("remark", ""),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A cadre lists nothing.
        let (s, _) = listed(app, &cadre).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Nothing was written by any of them, and the request is still pending.
        assert_eq!(held(app.fx.supervisor).await, 0);
        assert_eq!(held(other_id).await, 0);
        let (_, list) = listed(app, &leader).await;
        assert!(list[0]["absence"]["decided"].is_null(), "{list}");
        assert!(leave_evidence(&r233a(app, &cadre).await).is_empty());
    })
    .await;
}
