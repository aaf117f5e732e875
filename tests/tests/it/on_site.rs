//! End to end over real HTTP, for the rules the phone can now meet: the team leader enters a
//! 四必到 event two days after it happened, attends it on site with 前往处理, enters a leader's
//! village visit with the day it happened and submits the support unit's quarterly summary;
//! the township supervisor records a patrol on site. After a sync, the phone's own estimate
//! and the server's verdict agree on R-241, R-31c, R-33 and R-252, and each counts what was
//! captured.

use chrono::{Duration, NaiveDate, Utc};
use zhucun_mobile_core::capture::{ActivityDraft, Capture, Command, ReportDraft, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::progress;
use zhucun_mobile_core::sync::{SharedStore, SyncConfig};
use zhucun_shared::ids::PersonId;
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::record::{ActivityKind, EventKind, RecordBody, ReportKind};
use zhucun_shared::verdict::{PersonReport, Status, Verdict};
use zhucun_tests::{arrive_in_village, fix, part_numbers, DemoServer, SUPERVISOR};

/// The server's report on `person` for this month, read by `username`, and the phone's own
/// estimate from its log.
async fn both(
    server: &DemoServer,
    username: &str,
    store: &SharedStore,
    person: PersonId,
) -> (PersonReport, progress::Progress) {
    let now = Utc::now();
    let report = server.report(username, person, now).await;
    let s = store.lock().unwrap();
    let phone = progress::compute(
        &s.reference().unwrap(),
        &s.all_records().unwrap(),
        person,
        now,
    );
    (report, phone)
}

/// The phone's and the server's verdicts on `rule`, asserted equal part by part.
fn agreed(report: &PersonReport, phone: &progress::Progress, rule: &str) -> Verdict {
    let server = report
        .verdict(rule)
        .unwrap_or_else(|| panic!("{rule} on the server"))
        .clone();
    let local = phone
        .rows
        .iter()
        .find(|r| r.rule_id == rule)
        .and_then(|r| r.local.clone())
        .unwrap_or_else(|| panic!("{rule} on the phone"));
    assert_eq!(
        part_numbers(&local),
        part_numbers(&server),
        "{rule}: phone and server disagree"
    );
    server
}

/// A day `back` days ago, kept inside this month (the verdicts compared are this month's).
fn days_ago(back: i64) -> NaiveDate {
    let today = local_date(Utc::now());
    let first = Period::containing(PeriodKind::Month, today)
        .unwrap()
        .first_day();
    (today - Duration::days(back)).max(first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_phone_captures_for_r241_r31c_r33_and_r252_counts_alike_on_both_sides() {
    let server = DemoServer::start().await;

    // The team leader, in the village.
    let dir = tempfile::tempdir().unwrap();
    let (leader, leader_sync) = server
        .signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let (event, on_site) = {
        let mut s = leader.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        let now = Utc::now();
        arrive_in_village(&mut s, &reference, &mut c, now - Duration::minutes(1));
        c.on_fix(&mut s, &reference, fix(demo::village_centre(), now), now)
            .unwrap();
        let event = c
            .exec(
                &mut s,
                &reference,
                Command::Event {
                    kind: EventKind::Emergency,
                    occurred_on: days_ago(2),
                    household_id: None,
                    description: "暴雨冲毁机耕道".into(),
                },
                now,
            )
            .unwrap()[0]
            .id;
        let attended = c
            .exec(
                &mut s,
                &reference,
                Command::AttendEvent {
                    event,
                    village_id: demo::VILLAGE,
                    household_id: None,
                },
                now,
            )
            .unwrap();
        assert!(
            matches!(attended[0].body, RecordBody::OnSite { attached_to, fix: Some(_) } if attached_to == event)
        );
        c.exec(
            &mut s,
            &reference,
            Command::Activity(ActivityDraft {
                kind: ActivityKind::LeaderVisit,
                village_id: Some(demo::VILLAGE),
                held_on: days_ago(3),
                person_times: None,
                quantity: None,
                title: "县联系领导到村调研产业".into(),
                text: String::new(),
            }),
            now,
        )
        .unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::Report(ReportDraft {
                kind: ReportKind::UnitQuarterlySummary,
                village_id: Some(demo::VILLAGE),
                period: Period::containing(PeriodKind::Quarter, local_date(now)).unwrap(),
                title: "帮扶单位季度小结".into(),
                text: "本季度帮扶情况".into(),
                attachments: Vec::new(),
            }),
            now,
        )
        .unwrap();
        (event, attended[0].id)
    };
    let sent = leader_sync.sync_once(&leader, Utc::now()).await.unwrap();
    assert_eq!(sent.set_aside, 0, "{sent:?}");
    let (report, phone) = both(&server, "yang", &leader, demo::ME).await;

    let r241 = agreed(&report, &phone, "R-241");
    let attend = &r241.parts[0];
    assert_eq!(
        (attend.status, attend.counted),
        (Status::Met, 1),
        "{r241:#?}"
    );
    assert_eq!(attend.evidence[0].records, [event, on_site]);
    let r31c = agreed(&report, &phone, "R-31c");
    assert_eq!((r31c.status, r31c.parts[0].counted), (Status::Met, 1));
    let r33 = agreed(&report, &phone, "R-33");
    let quarterly = r33
        .parts
        .iter()
        .find(|p| {
            p.label_zh
                .starts_with(ReportKind::UnitQuarterlySummary.label_zh())
        })
        .unwrap();
    assert_eq!(quarterly.counted, 1, "{r33:#?}");
    {
        let s = leader.lock().unwrap();
        // Listed as attended, by the leader's on-site check-in, until its last day.
        let open = s.open_events(local_date(Utc::now()), 3, 7).unwrap();
        assert!(open
            .iter()
            .all(|e| e.attended.map(|a| a.check_in) == Some(on_site)));
    }

    // The supervisor, on patrol in the village.
    let dir = tempfile::tempdir().unwrap();
    let (sup, sup_sync) = server
        .signed_in_phone(&dir, "jiancha", SyncConfig::default())
        .await;
    let (patrol, inspection) = {
        let mut s = sup.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        let now = Utc::now();
        c.on_fix(&mut s, &reference, fix(demo::village_centre(), now), now)
            .unwrap();
        let mut on_site = |kind: ActivityKind, title: &str| {
            let written = c
                .exec(
                    &mut s,
                    &reference,
                    Command::Activity(ActivityDraft {
                        kind,
                        village_id: Some(demo::VILLAGE),
                        held_on: local_date(now),
                        person_times: None,
                        quantity: None,
                        title: title.into(),
                        text: String::new(),
                    }),
                    now,
                )
                .unwrap();
            written.iter().map(|r| r.id).collect::<Vec<_>>()
        };
        (
            on_site(ActivityKind::Patrol, "巡视驻村工作"),
            on_site(ActivityKind::Inspection, "督查走访台账"),
        )
    };
    assert_eq!(patrol.len(), 2, "the patrol and where it was made");
    assert_eq!(inspection.len(), 2, "the inspection and where it was made");
    let sent = sup_sync.sync_once(&sup, Utc::now()).await.unwrap();
    assert_eq!(sent.set_aside, 0, "{sent:?}");
    let (report, phone) = both(&server, "jiancha", &sup, SUPERVISOR).await;
    let r252 = agreed(&report, &phone, "R-252");
    let month = r252
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with("督查"))
        .unwrap_or_else(|| panic!("{r252:#?}"));
    assert_eq!((month.status, month.counted), (Status::Met, 1), "{r252:#?}");
    assert_eq!(month.evidence[0].records, inspection);
    assert!(month.evidence[0].detail.contains("现场"), "{r252:#?}");
    // This week is the month's unless its Thursday falls in another month (ISO weeks).
    let this_week = Period::containing(PeriodKind::Week, local_date(Utc::now()))
        .unwrap()
        .to_string();
    if let Some(week) = r252
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with("巡视") && p.period == this_week)
    {
        assert_eq!((week.status, week.counted), (Status::Met, 1), "{r252:#?}");
        assert_eq!(week.evidence[0].records, patrol);
    }
}
