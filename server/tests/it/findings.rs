//! Structured spot-check findings over real HTTP: a checker's "not confirmed" rejects a
//! counted visit in the kept verdicts (and the phone hears of it at its next pull), "dismissed"
//! closes a flag and changes nothing, and only a checker whose jurisdiction covers the person
//! may write one; anyone else learns nothing about the record.

use crate::common::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;
use zhucun_shared::ids::{DeviceId, HouseholdId, PersonId, RecordId};
use zhucun_shared::org::LatLon;
use zhucun_shared::period::{day_start, local_date};
use zhucun_shared::record::{DeviceRecord, FindingOutcome, NoteKind, RecordBody};
use zhucun_shared::role::Role;

fn picture(seed: u8) -> image::DynamicImage {
    let mut state = u32::from(seed) * 7919 + 1;
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(96, 72, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        }
        let b = state.to_be_bytes();
        image::Rgb([b[0], b[1], b[2]])
    }))
}

async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let (s, v) = app
        .put_chunk(
            token,
            &format!("/api/v1/photos/{sha}"),
            0,
            bytes.len(),
            bytes,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    sha
}

/// cadre1's visit to its paired household: check-in, photo, note, check-out after 12 minutes.
/// Answers the records and the check-in's id.
fn visit(
    app: &TestApp,
    device: DeviceId,
    seq: &mut u64,
    start: DateTime<Utc>,
    photo: (&str, u64),
) -> (Vec<DeviceRecord>, RecordId) {
    let (person, household): (PersonId, HouseholdId) = (app.fx.cadre1, app.fx.households[0]);
    let at = LatLon::new(V1.0, V1.1);
    let mut out = Vec::new();
    let mut rec = |t: DateTime<Utc>, body: RecordBody| {
        *seq += 1;
        let id = RecordId::new();
        out.push(DeviceRecord {
            id,
            device_id: device,
            seq: *seq,
            person_id: person,
            captured_at: t,
            body,
            received: None,
        });
        id
    };
    let check_in = rec(
        start,
        RecordBody::HouseholdCheckIn {
            household_id: household,
            fix: Some(fix_at(at.lat, at.lon, start)),
            event: None,
        },
    );
    let t = start + Duration::minutes(3);
    rec(
        t,
        RecordBody::Photo {
            attached_to: check_in,
            sha256: photo.0.into(),
            taken_at: t,
            position: Some(at),
            bytes: photo.1,
        },
    );
    rec(
        t,
        RecordBody::Note {
            attached_to: check_in,
            text: "了解务工收入，宣传小额信贷政策。".into(),
            replaces: None,
            kind: None,
        },
    );
    let end = start + Duration::minutes(12);
    rec(
        end,
        RecordBody::HouseholdCheckOut {
            check_in,
            fix: Some(fix_at(at.lat, at.lon, end)),
        },
    );
    (out, check_in)
}

/// Last month, as `YYYY-MM`, and its first day.
pub(crate) fn last_month() -> (String, NaiveDate) {
    let today = local_date(Utc::now());
    let last = today.with_day(1).unwrap() - Duration::days(1);
    (
        format!("{}-{:02}", last.year(), last.month()),
        last.with_day(1).unwrap(),
    )
}

/// cadre1's phone pushes two visits to its paired household last month (two distinct
/// pictures): both count toward R-242. Answers the token, the device, the seq used and the
/// check-ins.
pub(crate) async fn two_visits(app: &TestApp) -> (String, DeviceId, u64, Vec<RecordId>) {
    let token = app.login(app.fx.cadre1).await;
    let (_, first) = last_month();
    let device = app.enroll_at(app.fx.cadre1, day_start(first)).await;
    let (mut seq, mut records, mut check_ins) = (0, Vec::new(), Vec::new());
    for k in 0..2u8 {
        let start = day_start(first + Duration::days(i64::from(k) * 3)) + Duration::hours(10);
        let bytes = zhucun_server::photos::inspect::jpeg_with_exif(
            &picture(k),
            start + Duration::minutes(3),
            Some(LatLon::new(V1.0, V1.1)),
        );
        let sha = upload(app, &token, &bytes).await;
        let (r, c) = visit(app, device, &mut seq, start, (&sha, bytes.len() as u64));
        records.extend(r);
        check_ins.push(c);
    }
    let (s, v) = app.push(&token, device, &records).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["stored"].as_u64(), Some(records.len() as u64), "{v}");
    (token, device, seq, check_ins)
}

/// cadre1's R-242 (paired visits) part for last month, as `token` sees it.
async fn r242(app: &TestApp, token: &str) -> Value {
    let (month, _) = last_month();
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
        .find(|v| v["rule_id"] == "R-242")
        .expect("R-242 applies to a pairing cadre")["parts"][0]
        .clone()
}

pub(crate) async fn judge(
    app: &TestApp,
    token: &str,
    record: RecordId,
    outcome: &str,
    comment: &str,
) -> (StatusCode, Value) {
    app.post_json(
        token,
        "/api/v1/findings",
        &json!({"record_id": record, "outcome": outcome, "comment": comment}),
    )
    .await
}

fn found_false(part: &Value) -> Vec<String> {
    part["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reason"] == "found_false")
        .map(|r| r["detail"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_visit_the_supervisor_finds_false_is_rejected_in_the_kept_verdicts_and_at_the_next_pull()
{
    on_each_backend(async |app: &TestApp| {
        let (cadre, _, _, check_ins) = two_visits(app).await;
        // Evaluated and kept before the finding, with nothing left queued: only the finding's
        // own mark, made in its push, can make a read evaluate the month again.
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let before = r242(app, &cadre).await;
        assert_eq!(before["counted"], 2, "{before}");
        assert!(found_false(&before).is_empty());

        let supervisor = app.login(app.fx.supervisor).await;
        let comment = "电话回访农户，称当日无人来访";
        let (s, v) = judge(app, &supervisor, check_ins[0], "not_confirmed", comment).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let finding: RecordId = v["finding_id"].as_str().unwrap().parse().unwrap();

        let after = r242(app, &cadre).await;
        assert_eq!(after["counted"], 1, "{after}");
        let quoted = found_false(&after);
        assert_eq!(quoted.len(), 1, "{after}");
        assert!(
            quoted[0].contains("核查不属实") && quoted[0].contains(comment),
            "{}",
            quoted[0]
        );
        // The team leader's view of the cadre is the same kept verdict.
        let leader = app.login(app.fx.leader1).await;
        assert_eq!(r242(app, &leader).await["counted"], 1);

        // The phone's next pull carries the finding on its record.
        let (s, pull) = app.get(&cadre, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK, "{pull}");
        let pulled = pull["findings"].as_array().unwrap();
        assert_eq!(pulled.len(), 1, "{pull}");
        assert_eq!(pulled[0]["record_id"], json!(finding));
        assert_eq!(pulled[0]["attached_to"], json!(check_ins[0]));
        assert_eq!(pulled[0]["outcome"], "not_confirmed");

        // The note sits in the supervisor's own log, on the server's console device.
        let (s, devices) = app.get(&supervisor, "/api/v1/auth/sessions").await;
        assert_eq!(s, StatusCode::OK, "{devices}");
        assert!(devices.to_string().contains("审核控制台"), "{devices}");

        // A later word of the supervisor stands: confirmed on site, the visit counts again.
        let (s, v) = judge(app, &supervisor, check_ins[0], "confirmed_on_site", "").await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let again = r242(app, &cadre).await;
        assert_eq!(again["counted"], 2, "{again}");
    })
    .await;
}

#[tokio::test]
async fn only_a_checker_with_jurisdiction_may_judge_and_others_learn_nothing() {
    on_each_backend(async |app: &TestApp| {
        let (cadre, device, mut seq, check_ins) = two_visits(app).await;
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        app.add_person(
            "leader2",
            &[(Role::TeamLeader, Some(app.fx.v2), start, None)],
        )
        .await;
        let other_leader = app.login_name("leader2").await;

        // Another village's leader: the same answer as for a record that does not exist.
        let (s, theirs) = judge(app, &other_leader, check_ins[0], "not_confirmed", "假").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{theirs}");
        let (s, unknown) = judge(app, &other_leader, RecordId::new(), "not_confirmed", "假").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{unknown}");
        assert_eq!(theirs, unknown);

        // Not a checker at all, on their own record or a colleague's.
        let (s, v) = judge(app, &cadre, check_ins[0], "not_confirmed", "假").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let colleague = app.login(app.fx.cadre2).await;
        let (s, v) = judge(app, &colleague, check_ins[0], "not_confirmed", "假").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

        // A checker's request is checked field by field.
        let leader = app.login(app.fx.leader1).await;
        let (s, v) = judge(app, &leader, check_ins[0], "not_confirmed", "  ").await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("comment")),
            "{v}"
        );
        let (s, v) = judge(app, &leader, check_ins[0], "false", "假").await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("outcome")),
            "{v}"
        );
        let (s, v) = judge(
            app,
            &leader,
            check_ins[0],
            "not_confirmed",
            &"字".repeat(2001),
        )
        .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("comment")),
            "{v}"
        );

        // The cadre's phone writing a finding on their own visit changes nothing either.
        seq += 1;
        let own = DeviceRecord {
            id: RecordId::new(),
            device_id: device,
            seq,
            person_id: app.fx.cadre1,
            captured_at: Utc::now(),
            body: RecordBody::Note {
                attached_to: check_ins[1],
                text: "不属实".into(),
                replaces: None,
                kind: Some(NoteKind::Finding {
                    outcome: FindingOutcome::NotConfirmed,
                    fix: None,
                }),
            },
            received: None,
        };
        let (s, v) = app.push(&cadre, device, &[own]).await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let part = r242(app, &cadre).await;
        assert_eq!(part["counted"], 2, "{part}");
        assert!(found_false(&part).is_empty(), "{part}");
    })
    .await;
}

#[tokio::test]
async fn a_dismissed_flag_closes_its_item_and_changes_no_verdict() {
    on_each_backend(async |app: &TestApp| {
        let (cadre, device, seq, _) = two_visits(app).await;
        // A mocked fix last month: a flag for the queue.
        let (month, first) = last_month();
        let start = day_start(first + Duration::days(10)) + Duration::hours(9);
        let mut fixes = fix_records(device, app.fx.cadre1, seq + 1..=seq + 3, start);
        if let RecordBody::Fix { fix } = &mut fixes[1].body {
            fix.mock = true;
        }
        let flagged = fixes[1].id;
        let (s, v) = app.push(&cadre, device, &fixes).await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let supervisor = app.login(app.fx.supervisor).await;
        let (_, report_before) = app
            .get(
                &supervisor,
                &format!("/api/v1/people/{}/report?month={month}", app.fx.cadre1),
            )
            .await;
        let item = |q: &Value| {
            q["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["records"].as_array().unwrap().contains(&json!(flagged)))
                .cloned()
                .expect("the mocked fix is an item")
        };
        let (s, q) = app
            .get(&supervisor, &format!("/api/v1/spot-checks?month={month}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert!(item(&q)["finding"].is_null(), "{q}");

        let (s, v) = judge(
            app,
            &supervisor,
            flagged,
            "dismissed",
            "设备故障，已更换手机",
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        let (_, q) = app
            .get(&supervisor, &format!("/api/v1/spot-checks?month={month}"))
            .await;
        let closed = item(&q);
        assert_eq!(closed["finding"]["outcome"], "dismissed", "{closed}");
        assert_eq!(closed["finding"]["by"], json!(app.fx.supervisor));
        let (_, report_after) = app
            .get(
                &supervisor,
                &format!("/api/v1/people/{}/report?month={month}", app.fx.cadre1),
            )
            .await;
        assert_eq!(report_after["verdicts"], report_before["verdicts"]);
        assert_eq!(report_after["flags"], report_before["flags"]);
    })
    .await;
}
