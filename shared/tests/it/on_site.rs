//! What the phone captures on site for the rules that read it: a 四必到 event entered with its
//! own date and attended through a check-in linked to it, at a household or at a point on the
//! map; a leader's visit entered days later (R-31c); a supervisor's patrol and
//! inspection with the fix where they were made.

use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use rstest::rstest;
use zhucun_shared::geometry::offset;
use zhucun_shared::ids::RecordId;
use zhucun_shared::org::LatLon;
use zhucun_shared::record::{ActivityKind, DeviceRecord, EventKind, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::synth::Recorder;
use zhucun_shared::verdict::{RejectReason, Status};

/// A 四必到 event in 青山村 that happened at `occurred` and was entered at `entered`.
fn event(rec: &mut Recorder, entered: DateTime<Utc>, occurred: DateTime<Utc>) -> DeviceRecord {
    rec.record(
        entered,
        RecordBody::VillageEvent {
            village_id: QINGSHAN,
            kind: EventKind::Emergency,
            occurred_at: occurred,
            household_id: None,
            description: "山洪冲毁便道".into(),
        },
    )
}

/// An on-site check-in for `attached_to` at `pos` (none: no fix).
fn on_site(
    rec: &mut Recorder,
    t: DateTime<Utc>,
    attached_to: RecordId,
    pos: Option<LatLon>,
) -> DeviceRecord {
    rec.record(
        t,
        RecordBody::OnSite {
            attached_to,
            fix: pos.map(|p| Recorder::fix_at(t, p, 12.0)),
        },
    )
}

fn hetao() -> LatLon {
    offset(CENTRE, 6000.0, 0.0)
}

#[rstest]
// The event happened on the 10th (local), entered on the 12th: the window runs from its date.
#[case::on_site_on_the_13th(Some((13, 20, Some(CENTRE))), Status::Met, None)]
#[case::on_site_at_the_village_edge(Some((11, 9, Some(offset(CENTRE, 1000.0 + 10.0, 0.0)))), Status::Met, None)]
#[case::on_site_on_the_14th(Some((14, 8, Some(CENTRE))), Status::Late, None)]
#[case::on_site_in_another_village(Some((11, 9, Some(hetao()))), Status::Short, Some(RejectReason::OtherVillage))]
#[case::on_site_without_a_fix(Some((11, 9, None)), Status::Short, Some(RejectReason::NoFix))]
#[case::never_attended(None, Status::Short, None)]
fn r241_an_event_entered_later_is_attended_on_site_within_three_days_of_its_date(
    #[case] attended: Option<(u32, u32, Option<LatLon>)>,
    #[case] status: Status,
    #[case] rejected: Option<RejectReason>,
) {
    let w = World::new();
    let mut leader = w.recorder(Role::TeamLeader);
    let mut secretary = w.recorder(Role::FirstSecretary);
    let e = event(&mut leader, at(2026, 11, 12, 9, 0), at(2026, 11, 10, 22, 0));
    let mut records = vec![e.clone()];
    if let Some((d, h, pos)) = attended {
        records.push(on_site(&mut secretary, at(2026, 11, d, h, 0), e.id, pos));
    }
    let v = w.verdict(
        Role::TeamLeader,
        "R-241",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    let part = &v.parts[0];
    assert_eq!(part.status, status, "{v:#?}");
    assert_eq!(part.counted, u32::from(status == Status::Met));
    let reasons: Vec<RejectReason> = part.rejected.iter().map(|r| r.reason).collect();
    if let Some(r) = rejected {
        assert!(reasons.contains(&r), "{reasons:?}");
    }
    if status == Status::Met {
        assert_eq!(part.evidence[0].records, [e.id, records[1].id]);
        assert!(part.evidence[0].detail.starts_with("11-10"), "{v:#?}");
    }
}

#[rstest]
#[case::on_the_events_day(0, Status::Met)]
#[case::on_the_third_day(3, Status::Met)]
#[case::on_the_fourth_day(4, Status::Late)]
fn r241_attendance_counts_by_local_date(#[case] after: i64, #[case] status: Status) {
    let w = World::new();
    let mut rec = w.recorder(Role::FirstSecretary);
    // Late at night: a time-based window would end three days later at 23:30.
    let occurred = at(2026, 11, 10, 23, 30);
    let e = event(&mut rec, occurred + Duration::minutes(5), occurred);
    let t = at(2026, 11, 10, 23, 50) + Duration::days(after);
    let records = vec![e.clone(), on_site(&mut rec, t, e.id, Some(CENTRE))];
    let v = w.verdict(
        Role::FirstSecretary,
        "R-241",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.parts[0].status, status, "{v:#?}");
}

#[test]
fn r241_a_withdrawn_on_site_check_in_attends_nothing() {
    let w = World::new();
    let mut rec = w.recorder(Role::FirstSecretary);
    let e = event(&mut rec, at(2026, 11, 10, 9, 0), at(2026, 11, 10, 8, 0));
    let c = on_site(&mut rec, at(2026, 11, 11, 9, 0), e.id, Some(CENTRE));
    let withdrawal = rec.record(
        at(2026, 11, 11, 9, 5),
        RecordBody::Retraction {
            target: c.id,
            reason: "误签".into(),
        },
    );
    let v = w.verdict(
        Role::FirstSecretary,
        "R-241",
        &[e, c, withdrawal],
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.parts[0].status, Status::Short);
}

/// A supervisor's patrol in the week of 2026-11-02 naming `village`, with an on-site check-in
/// at `pos` when given.
fn patrol(
    rec: &mut Recorder,
    village: Option<zhucun_shared::ids::VillageId>,
    pos: Option<LatLon>,
) -> Vec<DeviceRecord> {
    let t = at(2026, 11, 3, 10, 0);
    let a = rec.activity(t, ActivityKind::Patrol, village, day(2026, 11, 3), None);
    let mut out = vec![a.clone()];
    if let Some(p) = pos {
        out.push(on_site(rec, t, a.id, Some(p)));
    }
    out
}

#[rstest]
#[case::on_site_in_the_village(Some(QINGSHAN), Some(CENTRE), Status::Met, "现场")]
#[case::desk_entry(Some(QINGSHAN), None, Status::Met, "")]
#[case::on_site_without_a_village(None, Some(hetao()), Status::Met, "现场")]
#[case::on_site_elsewhere(Some(QINGSHAN), Some(hetao()), Status::Short, "")]
fn r252_a_patrol_made_on_site_counts_where_it_was_made(
    #[case] village: Option<zhucun_shared::ids::VillageId>,
    #[case] pos: Option<LatLon>,
    #[case] status: Status,
    #[case] mark: &str,
) {
    let w = World::new();
    let mut rec = w.recorder(Role::Supervisor);
    let records = patrol(&mut rec, village, pos);
    let week_of_patrol = zhucun_shared::period::Period::containing(
        zhucun_shared::period::PeriodKind::Week,
        day(2026, 11, 3),
    )
    .unwrap()
    .to_string();
    let v = w.verdict(
        Role::Supervisor,
        "R-252",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    let week = v
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with("巡视") && p.period == week_of_patrol)
        .unwrap_or_else(|| panic!("{v:#?}"));
    assert_eq!(week.status, status, "{v:#?}");
    if status == Status::Met {
        let ids: Vec<RecordId> = records.iter().map(|r| r.id).collect();
        assert_eq!(week.evidence[0].records, ids);
        assert_eq!(week.evidence[0].detail.contains("现场"), !mark.is_empty());
    } else {
        assert_eq!(week.rejected[0].reason, RejectReason::OtherVillage);
    }
}

#[test]
fn r252_an_inspection_made_on_site_counts_for_the_month() {
    let w = World::new();
    let mut rec = w.recorder(Role::Supervisor);
    let t = at(2026, 11, 18, 15, 0);
    let a = rec.activity(
        t,
        ActivityKind::Inspection,
        Some(QINGSHAN),
        day(2026, 11, 18),
        None,
    );
    let c = on_site(&mut rec, t, a.id, Some(CENTRE));
    let v = w.verdict(
        Role::Supervisor,
        "R-252",
        &[a.clone(), c.clone()],
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    let month = v
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with("督查"))
        .unwrap();
    assert_eq!((month.status, month.counted), (Status::Met, 1));
    assert_eq!(month.evidence[0].records, [a.id, c.id]);
}

#[rstest]
// Entered the day after, with the date it happened: on time; eight days after: late.
#[case::entered_the_next_day(1, Status::Met)]
#[case::entered_a_week_later(7, Status::Met)]
#[case::entered_eight_days_later(8, Status::Late)]
fn r31c_a_leader_visit_entered_with_its_own_date(#[case] after: i64, #[case] status: Status) {
    let w = World::new();
    let mut rec = w.recorder(Role::TeamLeader);
    let held = day(2026, 11, 5);
    let entered = at(2026, 11, 5, 16, 0) + Duration::days(after);
    let r = rec.activity(
        entered,
        ActivityKind::LeaderVisit,
        Some(QINGSHAN),
        held,
        None,
    );
    assert_eq!(r.validate(entered), Ok(()));
    let v = w.verdict(
        Role::TeamLeader,
        "R-31c",
        &[r],
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
}
