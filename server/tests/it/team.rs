//! The team in one request: `/api/v1/team` answers what `/api/v1/people` and, per person,
//! `/api/v1/people/{id}/report` and `/api/v1/people/{id}/trajectory` give, for the people the
//! caller may see only, and refuses a day outside the last 400; as of a past instant, what the
//! server had then.

use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_shared::period::{day_start, local_date};

/// A report without the moment it was evaluated, which differs between two evaluations of the
/// same records.
fn verdicts_of(report: &Value) -> Value {
    let mut r = report.clone();
    r["evaluated_at"] = Value::Null;
    r
}

fn ids(members: &[Value]) -> Vec<String> {
    members
        .iter()
        .map(|m| m["summary"]["person"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_team_answer_is_the_separate_answers_together() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let now = Utc::now();
        let day = local_date(now);
        // Within today (China time), so that just after midnight the fixes are today's too.
        let start = (now - Duration::minutes(30)).max(day_start(day));
        for who in [fx.cadre1, fx.outsider] {
            let token = app.login(who).await;
            let device = app.enroll(&token).await;
            let (s, _) = app
                .push(&token, device, &fix_records(device, who, 1..=3, start))
                .await;
            assert_eq!(s, StatusCode::OK);
        }

        for viewer in [fx.leader1, fx.liaison, fx.supervisor] {
            let token = app.login(viewer).await;
            let (s, team) = app.get(&token, &format!("/api/v1/team?date={day}")).await;
            assert_eq!(s, StatusCode::OK, "{team}");
            assert_eq!(team["date"], Value::String(day.to_string()));
            let members = team["members"].as_array().unwrap();
            let (s, people) = app.get(&token, "/api/v1/people").await;
            assert_eq!(s, StatusCode::OK);
            let people = people.as_array().unwrap();
            assert_eq!(
                members.iter().map(|m| &m["summary"]).collect::<Vec<_>>(),
                people.iter().collect::<Vec<_>>(),
                "the same people, in the same order, with the same roles"
            );
            for m in members {
                let id = m["summary"]["person"]["id"].as_str().unwrap();
                let (s, report) = app
                    .get(&token, &format!("/api/v1/people/{id}/report"))
                    .await;
                assert_eq!(s, StatusCode::OK);
                assert_eq!(verdicts_of(&m["report"]), verdicts_of(&report), "{id}");
                let (s, trajectory) = app
                    .get(
                        &token,
                        &format!("/api/v1/people/{id}/trajectory?date={day}"),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK);
                assert_eq!(m["trajectory"], trajectory, "{id}");
            }
            let seen = ids(members);
            assert!(
                !seen.contains(&fx.outsider.to_string()),
                "another township's cadre is absent"
            );
            let cadre1 = seen.contains(&fx.cadre1.to_string());
            assert!(cadre1, "the viewer's own cadre is there");
        }

        // The team leader's team: the cadre with today's fixes, not the other village's.
        let token = app.login(fx.leader1).await;
        let (_, team) = app.get(&token, &format!("/api/v1/team?date={day}")).await;
        let members = team["members"].as_array().unwrap();
        let seen = ids(members);
        assert!(!seen.contains(&fx.cadre2.to_string()));
        let cadre1 = members
            .iter()
            .find(|m| m["summary"]["person"]["id"] == Value::String(fx.cadre1.to_string()))
            .unwrap();
        assert_eq!(cadre1["trajectory"]["points"].as_array().unwrap().len(), 3);

        // The outsider sees themselves only.
        let token = app.login(fx.outsider).await;
        let (_, team) = app.get(&token, &format!("/api/v1/team?date={day}")).await;
        let seen = ids(team["members"].as_array().unwrap());
        assert_eq!(seen, vec![fx.outsider.to_string()]);
    })
    .await;
}

#[tokio::test]
async fn a_day_outside_the_last_400_is_refused_naming_date() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.leader1).await;
        let today = local_date(Utc::now());
        let oldest = today - Duration::days(400);
        for date in [
            (oldest - Duration::days(1)).to_string(),
            (today + Duration::days(1)).to_string(),
            "2026-13-01".to_string(),
            "yesterday".to_string(),
        ] {
            let (s, v) = app.get(&token, &format!("/api/v1/team?date={date}")).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {v}");
            assert_eq!(v["field"], "date", "{date}: {v}");
        }
        let (s, v) = app.get(&token, "/api/v1/team").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, v) = app
            .get(&token, &format!("/api/v1/team?date={oldest}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    })
    .await;
}

/// A record of `person`'s device at `seq`, captured at `at`.
fn record(
    device: zhucun_shared::ids::DeviceId,
    person: zhucun_shared::ids::PersonId,
    seq: u64,
    at: chrono::DateTime<Utc>,
    body: zhucun_shared::record::RecordBody,
) -> zhucun_shared::record::DeviceRecord {
    zhucun_shared::record::DeviceRecord {
        id: zhucun_shared::ids::RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: at,
        body,
        received: None,
    }
}

/// The team leader's map reads the team answer: each member's location gaps with their
/// causes, village stays from the fixes and the day's visits (to show the verdicts' answer on
/// each); on both backends, and not for another township's cadre.
#[tokio::test]
async fn the_team_answer_carries_gaps_stays_and_visits() {
    use zhucun_shared::record::{GapCause, NoteKind, RecordBody};
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        // A local day whose one o'clock is at least two hours past, whatever the hour now.
        let day = local_date(Utc::now() - Duration::hours(3));
        let start = day_start(day) + Duration::hours(1);
        let token = app.login(fx.cadre1).await;
        let device = app.enroll(&token).await;
        let duty = record(
            device,
            fx.cadre1,
            1,
            start,
            RecordBody::DutyStart {
                village_id: Some(fx.v1),
            },
        );
        let mut records = vec![duty.clone()];
        // Forty minutes of fixes in v1, one a minute.
        for m in 1..=40u64 {
            let mut r = fix_record(device, fx.cadre1, m + 1, start);
            r.captured_at = start + Duration::minutes(m as i64);
            if let RecordBody::Fix { fix } = &mut r.body {
                fix.time = r.captured_at;
            }
            records.push(r);
        }
        let gap_from = start + Duration::minutes(41);
        let open = record(
            device,
            fx.cadre1,
            42,
            gap_from,
            RecordBody::Note {
                attached_to: duty.id,
                text: "熄屏".into(),
                replaces: None,
                kind: Some(NoteKind::LocationGap {
                    cause: GapCause::ScreenOff,
                    from: gap_from,
                    to: None,
                }),
            },
        );
        let gap_to = gap_from + Duration::minutes(20);
        let closed = record(
            device,
            fx.cadre1,
            43,
            gap_to,
            RecordBody::Note {
                attached_to: duty.id,
                text: "熄屏".into(),
                replaces: Some(open.id),
                kind: Some(NoteKind::LocationGap {
                    cause: GapCause::ScreenOff,
                    from: gap_from,
                    to: Some(gap_to),
                }),
            },
        );
        let check_in = record(
            device,
            fx.cadre1,
            44,
            gap_to,
            RecordBody::HouseholdCheckIn {
                household_id: fx.households[0],
                fix: None,
                event: None,
            },
        );
        records.extend([open, closed, check_in.clone()]);
        let (s, v) = app.push(&token, device, &records).await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let leader = app.login(fx.leader1).await;
        let (s, team) = app.get(&leader, &format!("/api/v1/team?date={day}")).await;
        assert_eq!(s, StatusCode::OK, "{team}");
        let cadre1 = team["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["summary"]["person"]["id"] == Value::String(fx.cadre1.to_string()))
            .unwrap()
            .clone();
        // One gap: the closing note in place of the opening one.
        let gaps = cadre1["gaps"].as_array().unwrap();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0]["cause"], "screen_off");
        let time = |v: &Value| {
            v.as_str()
                .unwrap()
                .parse::<chrono::DateTime<Utc>>()
                .unwrap()
        };
        assert_eq!(time(&gaps[0]["from"]), gap_from);
        assert_eq!(time(&gaps[0]["to"]), gap_to);
        // One stay in v1 from the first fix to the last.
        let stays = cadre1["stays"].as_array().unwrap();
        assert_eq!(stays.len(), 1, "{stays:?}");
        assert_eq!(stays[0]["village_id"], Value::String(fx.v1.to_string()));
        assert_eq!(time(&stays[0]["start"]), start + Duration::minutes(1));
        assert_eq!(time(&stays[0]["end"]), start + Duration::minutes(40));
        // The visit, to show the verdicts' answer on it.
        let visits = cadre1["visits"].as_array().unwrap();
        assert_eq!(visits.len(), 1);
        assert_eq!(
            visits[0]["check_in"],
            Value::String(check_in.id.to_string())
        );
        assert_eq!(
            visits[0]["household_id"],
            Value::String(fx.households[0].to_string())
        );
        assert_eq!(visits[0]["withdrawn"], Value::Bool(false));
        // The answer parses as the phone reads it.
        let parsed: zhucun_shared::sync::TeamDay = serde_json::from_value(team.clone()).unwrap();
        assert!(parsed.members.iter().any(|m| m.gaps.len() == 1));
        // An older server's answer, without them, still reads.
        let mut old = team.clone();
        for m in old["members"].as_array_mut().unwrap() {
            for field in ["gaps", "stays", "visits"] {
                m.as_object_mut().unwrap().remove(field);
            }
        }
        let parsed: zhucun_shared::sync::TeamDay = serde_json::from_value(old).unwrap();
        assert!(parsed
            .members
            .iter()
            .all(|m| m.gaps.is_empty() && m.stays.is_empty()));

        // Jurisdiction unchanged: another township's cadre sees themselves only.
        let outsider = app.login(fx.outsider).await;
        let (_, team) = app
            .get(&outsider, &format!("/api/v1/team?date={day}"))
            .await;
        let members = team["members"].as_array().unwrap();
        assert_eq!(ids(members), vec![fx.outsider.to_string()]);
        assert!(members[0]["gaps"].as_array().unwrap().is_empty());
    })
    .await;
}

/// The team as of a past instant: each report as kept then and the day's trajectory from the
/// records received by then (a late sync is not in it); before any verdict of the month was
/// kept, the report as evaluated from what was captured by then; an instant before the day,
/// in the future or malformed is refused naming `as_of`. On both backends.
#[tokio::test]
async fn the_team_as_of_a_past_instant_is_what_the_server_had_then() {
    use zhucun_shared::period::day_start;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 3).unwrap();
    let at = |h: i64| day_start(day) + Duration::hours(h);
    // Versions kept by the reads alone, not by the worker bringing verdicts to the day.
    on_each_backend_at(
        at(12),
        |c| c.warm_verdicts = false,
        async |app: &TestApp, clock| {
            let fx = app.fx.clone();
            let token = app.login(fx.cadre1).await;
            let leader = app.login(fx.leader1).await;
            let device = app.enroll_at(fx.cadre1, at(-24 * 30)).await;
            let (s, v) = app
                .push_at(
                    &token,
                    device,
                    &fix_records(device, fx.cadre1, 1..=3, at(9)),
                    at(12),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let member = |team: &Value| {
                team["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["summary"]["person"]["id"] == Value::String(fx.cadre1.to_string()))
                    .unwrap()
                    .clone()
            };
            let points = |m: &Value| m["trajectory"]["points"].as_array().unwrap().len();
            let path = format!("/api/v1/team?date={day}");
            let (s, first) = app.get(&leader, &path).await;
            assert_eq!(s, StatusCode::OK, "{first}");
            let first = member(&first);
            assert_eq!(points(&first), 3);

            // In the evening the phone sends fixes of the morning it had not sent.
            clock.set(at(18));
            let late = fix_records(device, fx.cadre1, 4..=6, at(10));
            let (s, v) = app.push_at(&token, device, &late, at(18)).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let (s, now) = app.get(&leader, &path).await;
            assert_eq!(s, StatusCode::OK, "{now}");
            let now = member(&now);
            assert_eq!(points(&now), 6);

            let as_of = |t: chrono::DateTime<Utc>| {
                format!("{path}&as_of={}", t.to_rfc3339().replace('+', "%2B"))
            };
            // Between the two syncs: three fixes, and the report kept then.
            let (s, then) = app.get(&leader, &as_of(at(15))).await;
            assert_eq!(s, StatusCode::OK, "{then}");
            let then = member(&then);
            assert_eq!(points(&then), 3);
            assert_eq!(then["report"], first["report"]);
            // After the late sync: all six, and the report kept since.
            let (s, later) = app.get(&leader, &as_of(at(18))).await;
            assert_eq!(s, StatusCode::OK, "{later}");
            let later = member(&later);
            assert_eq!(points(&later), 6);
            assert_eq!(verdicts_of(&later["report"]), verdicts_of(&now["report"]));
            // Before anything was received or kept: no fixes, and the month evaluated as it
            // stood.
            let (s, early) = app.get(&leader, &as_of(at(8))).await;
            assert_eq!(s, StatusCode::OK, "{early}");
            let early = member(&early);
            assert_eq!(points(&early), 0);
            assert_eq!(early["report"]["person_id"], first["report"]["person_id"]);
            assert!(!early["report"]["verdicts"].as_array().unwrap().is_empty());

            // Before the day, in the future, malformed: refused, naming as_of.
            for bad in [
                as_of(at(-1)),
                as_of(at(19)),
                format!("{path}&as_of=yesterday"),
                format!("{path}&as_of={day}"),
            ] {
                let (s, v) = app.get(&leader, &bad).await;
                assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
                assert_eq!(v["field"], "as_of", "{bad}: {v}");
            }
            // Another township's cadre sees nobody of this team, as of then too.
            let outsider = app.login(fx.outsider).await;
            let (s, v) = app.get(&outsider, &as_of(at(15))).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert!(!ids(v["members"].as_array().unwrap()).contains(&fx.cadre1.to_string()));
        },
    )
    .await;
}
