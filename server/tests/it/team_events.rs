//! 四必到 events reach the whole team: the pull carries the events of the caller's villages
//! that may still be attended (or are shown overdue), with the team's check-ins linked to
//! them — and never another village's.

use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_shared::ids::{DeviceId, PersonId, RecordId, VillageId};
use zhucun_shared::record::{DeviceRecord, EventKind, RecordBody};

fn record(
    device: DeviceId,
    person: PersonId,
    seq: u64,
    ago: Duration,
    body: RecordBody,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: Utc::now() - ago,
        body,
        received: None,
    }
}

fn event(village: VillageId, occurred_ago: Duration, what: &str) -> RecordBody {
    RecordBody::VillageEvent {
        village_id: village,
        kind: EventKind::Emergency,
        occurred_at: Utc::now() - occurred_ago,
        household_id: None,
        description: what.into(),
    }
}

/// The ids of the records a pull carries in `team_events`.
fn team_events(pull: &Value) -> Vec<RecordId> {
    pull["team_events"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    serde_json::from_value::<DeviceRecord>(r.clone())
                        .unwrap()
                        .id
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_pull_carries_the_team_s_events_and_no_other_village_s() {
    on_each_backend(async |app| {
        let fx = app.fx.clone();
        let leader = app.login(fx.leader1).await;
        let leader_phone = app.enroll(&leader).await;
        let member = app.login(fx.cadre1).await;
        let member_phone = app.enroll(&member).await;
        let other = app.login(fx.cadre2).await;
        let other_phone = app.enroll(&other).await;

        // The team leader of 青峰村 records an event of two days ago and one of a month ago
        // (past its window and its week overdue).
        let recent = record(
            leader_phone,
            fx.leader1,
            1,
            Duration::hours(1),
            event(fx.v1, Duration::days(2), "山洪"),
        );
        let old = record(
            leader_phone,
            fx.leader1,
            2,
            Duration::minutes(50),
            event(fx.v1, Duration::days(30), "旧事"),
        );
        let (s, v) = app
            .push(&leader, leader_phone, &[recent.clone(), old.clone()])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // 石门村's cadre records one in 石门村.
        let theirs = record(
            other_phone,
            fx.cadre2,
            1,
            Duration::hours(1),
            event(fx.v2, Duration::days(1), "纠纷"),
        );
        let (s, v) = app
            .push(&other, other_phone, std::slice::from_ref(&theirs))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // The member of 青峰村 gets the leader's recent event; not the old one, not 石门村's.
        let (s, v) = app.get(&member, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(team_events(&v), [recent.id]);
        // Named in the directory, so that the phone's list says who recorded it.
        let people: Vec<&str> = v["people"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(people, ["王队长"]);
        let (_, v) = app.get(&other, "/api/v1/sync/pull").await;
        assert_eq!(team_events(&v), [theirs.id]);

        // The member attends it on site; the leader's next pull carries the check-in, and a
        // pull with the current cursor still does (it is not reference data).
        let attend = record(
            member_phone,
            fx.cadre1,
            1,
            Duration::minutes(5),
            RecordBody::OnSite {
                attached_to: recent.id,
                fix: None,
            },
        );
        let (s, v) = app
            .push(&member, member_phone, std::slice::from_ref(&attend))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = app.get(&leader, "/api/v1/sync/pull").await;
        let cursor = v["cursor"].as_str().unwrap().to_string();
        assert_eq!(team_events(&v), [recent.id, attend.id]);
        let (_, v) = app
            .get(&leader, &format!("/api/v1/sync/pull?cursor={cursor}"))
            .await;
        assert_eq!(v["changed"], false);
        assert_eq!(team_events(&v), [recent.id, attend.id]);
        // 石门村 sees none of it.
        let (_, v) = app.get(&other, "/api/v1/sync/pull").await;
        assert_eq!(team_events(&v), [theirs.id]);
    })
    .await;
}

/// A check-in linked to another village's event, or to a record that is not an event, is
/// refused naming the field, with nothing written; one naming an event the server does not
/// hold yet is taken in (refusing it would stop the phone's log) and attends nothing.
#[tokio::test]
async fn links_to_events_out_of_reach_are_refused_and_unknown_ones_count_for_nothing() {
    on_each_backend(async |app| {
        let fx = app.fx.clone();
        let leader = app.login(fx.leader1).await;
        let leader_phone = app.enroll(&leader).await;
        let other = app.login(fx.cadre2).await;
        let other_phone = app.enroll(&other).await;
        let ours = record(
            leader_phone,
            fx.leader1,
            1,
            Duration::hours(1),
            event(fx.v1, Duration::days(1), "山洪"),
        );
        let note = record(
            leader_phone,
            fx.leader1,
            2,
            Duration::minutes(50),
            RecordBody::Note {
                attached_to: ours.id,
                text: "已通知村委".into(),
                replaces: None,
                kind: None,
            },
        );
        let (s, v) = app
            .push(&leader, leader_phone, &[ours.clone(), note.clone()])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // 石门村's cadre on 青峰村's event: refused, nothing written.
        let on_site = |seq, target| {
            record(
                other_phone,
                fx.cadre2,
                seq,
                Duration::minutes(5),
                RecordBody::OnSite {
                    attached_to: target,
                    fix: None,
                },
            )
        };
        let (s, v) = app.push(&other, other_phone, &[on_site(1, ours.id)]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.attached_to")
            ),
            "{v}"
        );
        // A household check-in naming a note, not an event: refused naming `event`.
        let check_in = record(
            other_phone,
            fx.cadre2,
            1,
            Duration::minutes(5),
            RecordBody::HouseholdCheckIn {
                household_id: fx.households[0],
                fix: None,
                event: Some(note.id),
            },
        );
        let (s, v) = app.push(&other, other_phone, &[check_in]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.event")
            ),
            "{v}"
        );
        let (_, v) = app.get(&other, "/api/v1/sync/pull").await;
        let held = v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device_id"] == serde_json::json!(other_phone))
            .map(|d| d["contiguous_seq"].as_u64().unwrap());
        assert_eq!(held, Some(0), "{v}");
        let (_, v) = app.get(&leader, "/api/v1/sync/pull").await;
        assert_eq!(team_events(&v), [ours.id]);

        // An event the server does not hold: taken in, attending nothing anyone sees.
        let unknown = on_site(1, RecordId::new());
        let (s, v) = app
            .push(&other, other_phone, std::slice::from_ref(&unknown))
            .await;
        assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
        for token in [&leader, &other] {
            let (_, v) = app.get(token, "/api/v1/sync/pull").await;
            assert!(!team_events(&v).contains(&unknown.id), "{v}");
        }
        // Nor do the verdicts count it (or name it) anywhere.
        let (_, v) = app.get(&other, "/api/v1/sync/pull").await;
        assert!(
            v["verdicts"].as_array().is_some_and(|a| !a.is_empty()),
            "{v}"
        );
        assert!(
            !v["verdicts"].to_string().contains(&unknown.id.to_string()),
            "{v}"
        );
    })
    .await;
}
