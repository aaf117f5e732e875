//! The team in one request: `/api/v1/team` answers what `/api/v1/people` and, per person,
//! `/api/v1/people/{id}/report` and `/api/v1/people/{id}/trajectory` give, for the people the
//! caller may see only, and refuses a day outside the last 400.

use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_shared::period::local_date;

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
        let start = now - Duration::minutes(30);
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
