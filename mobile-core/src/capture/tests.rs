use super::*;
use crate::demo;
use crate::platform::photo::{reencode, PhotoPolicy, SimulatedCamera};
use crate::store::{AttachedFile, FileKind, Identity};
use zhucun_shared::geometry::offset;
use zhucun_shared::ids::DeviceId;
use zhucun_shared::record::{
    ActivityKind, FindingOutcome, FixProvider, GapCause, NoteKind, ReportKind,
};

fn t0() -> DateTime<Utc> {
    "2026-11-16T01:00:00Z".parse().unwrap()
}

struct Phone {
    store: Store,
    reference: Reference,
    capture: Capture,
}

fn phone() -> Phone {
    let mut store = Store::in_memory().unwrap();
    store
        .set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: demo::ME,
            },
            0,
        )
        .unwrap();
    store.save_pull(&demo::pull(t0())).unwrap();
    let reference = store.reference().unwrap();
    let capture = Capture::load(&store, TrackPolicy::default()).unwrap();
    Phone {
        store,
        reference,
        capture,
    }
}

impl Phone {
    fn exec(
        &mut self,
        cmd: Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeviceRecord>, CaptureError> {
        self.capture
            .exec(&mut self.store, &self.reference, cmd, now)
    }
    fn fix_at(
        &mut self,
        p: zhucun_shared::org::LatLon,
        acc: f64,
        at: DateTime<Utc>,
    ) -> Vec<DeviceRecord> {
        let f = Fix {
            lat: p.lat,
            lon: p.lon,
            accuracy_m: acc,
            time: at,
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        };
        self.capture
            .on_fix(&mut self.store, &self.reference, f, at)
            .unwrap()
    }
}

fn centre() -> zhucun_shared::org::LatLon {
    demo::village_centre()
}

#[test]
fn no_trajectory_is_recorded_off_duty() {
    let mut p = phone();
    assert!(p.fix_at(centre(), 10.0, t0()).is_empty());
    assert_eq!(p.store.last_seq().unwrap(), 0);
    // But the phone still knows where it is, for the household list.
    assert!(p.capture.state().last_fix.is_some());
}

#[test]
fn on_duty_the_trajectory_is_thinned_but_never_silent_for_long() {
    let mut p = phone();
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    let mut kept = 0;
    // Standing still for 20 minutes, a fix every 10 s.
    for s in (0..1200).step_by(10) {
        kept += p.fix_at(centre(), 8.0, t0() + Duration::seconds(s)).len();
    }
    // One at the start, then one each 5 minutes.
    assert_eq!(kept, 4);
    // Walking 40 m every 30 s is kept each time.
    let start = t0() + Duration::seconds(1200);
    for i in 1..=5 {
        let here = offset(centre(), 0.0, 40.0 * i as f64);
        let n = p.fix_at(here, 8.0, start + Duration::seconds(30 * i)).len();
        assert_eq!(n, 1, "step {i}");
    }
    // A fix too poor to use is dropped.
    assert!(p
        .fix_at(centre(), 2000.0, start + Duration::seconds(400))
        .is_empty());
}

#[test]
fn duty_cannot_start_twice_nor_end_during_a_visit() {
    let mut p = phone();
    assert!(matches!(
        p.exec(Command::EndDuty, t0()),
        Err(CaptureError::NotOnDuty)
    ));
    p.exec(Command::StartDuty { village_id: None }, t0())
        .unwrap();
    assert!(matches!(
        p.exec(Command::StartDuty { village_id: None }, t0()),
        Err(CaptureError::AlreadyOnDuty)
    ));
    let hh = demo::households()[0].id;
    p.exec(
        Command::HouseholdCheckIn {
            household_id: hh,
            event: None,
        },
        t0(),
    )
    .unwrap();
    assert!(matches!(
        p.exec(Command::EndDuty, t0()),
        Err(CaptureError::VisitOpen)
    ));
    p.exec(Command::HouseholdCheckOut, t0()).unwrap();
    let recs = p.exec(Command::EndDuty, t0()).unwrap();
    assert!(matches!(recs[0].body, RecordBody::DutyEnd { .. }));
    assert!(p.capture.state().duty.is_none());
}

#[test]
fn village_check_in_needs_the_position_inside_the_boundary() {
    let mut p = phone();
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    // 3 km away, accurate: refused, and the distance is said.
    let away = offset(centre(), 0.0, 3000.0);
    p.fix_at(away, 10.0, t0());
    match p.exec(
        Command::VillageCheckIn {
            village_id: demo::VILLAGE,
        },
        t0(),
    ) {
        Err(CaptureError::OutsideBoundary {
            distance_m,
            accuracy_m,
        }) => {
            assert!(distance_m > 1000.0, "{distance_m}");
            assert!((accuracy_m - 10.0).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    // Inside: saved with the fix and its accuracy.
    let t1 = t0() + Duration::minutes(30);
    p.fix_at(centre(), 12.0, t1);
    let recs = p
        .exec(
            Command::VillageCheckIn {
                village_id: demo::VILLAGE,
            },
            t1,
        )
        .unwrap();
    match &recs[0].body {
        RecordBody::VillageCheckIn { fix: Some(f), .. } => assert_eq!(f.accuracy_m, 12.0),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.capture.state().stay.as_ref().unwrap().accuracy_m,
        Some(12.0)
    );
    // Ending duty checks out of the village too.
    let recs = p.exec(Command::EndDuty, t1).unwrap();
    assert_eq!(recs.len(), 2);
    assert!(matches!(recs[0].body, RecordBody::VillageCheckOut { .. }));
    assert!(p.capture.state().stay.is_none());
}

#[test]
fn a_visit_is_saved_at_once_without_a_fix_and_takes_the_fix_when_it_arrives() {
    let mut p = phone();
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    let hh = demo::households()[2].clone();
    // No fix at all yet: the check-in is written immediately.
    let recs = p
        .exec(
            Command::HouseholdCheckIn {
                household_id: hh.id,
                event: None,
            },
            t0(),
        )
        .unwrap();
    let check_in = recs[0].id;
    assert!(matches!(
        recs[0].body,
        RecordBody::HouseholdCheckIn { fix: None, .. }
    ));
    assert!(p.store.open_visit().unwrap().is_some());
    // A poor fix arrives first: it is attached (better than nothing), then a good one.
    let t1 = t0() + Duration::seconds(20);
    let recs = p.fix_at(hh.location, 300.0, t1);
    assert!(recs
        .iter()
        .any(|r| matches!(r.body, RecordBody::VisitFix { .. })));
    let t2 = t1 + Duration::seconds(20);
    let recs = p.fix_at(hh.location, 9.0, t2);
    let visit_fixes: Vec<_> = recs
        .iter()
        .filter(|r| matches!(&r.body, RecordBody::VisitFix { check_in: c, .. } if *c == check_in))
        .collect();
    assert_eq!(visit_fixes.len(), 1);
    // Once it has a good fix, no more are attached.
    let recs = p.fix_at(hh.location, 5.0, t2 + Duration::seconds(60));
    assert!(!recs
        .iter()
        .any(|r| matches!(r.body, RecordBody::VisitFix { .. })));
    let row = p.store.open_visit().unwrap().unwrap();
    assert_eq!(row.accuracy_m, Some(9.0));
}

#[test]
fn photos_and_notes_go_to_the_open_visit_with_time_and_position() {
    let mut p = phone();
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    let hh = demo::households()[0].clone();
    p.fix_at(hh.location, 6.0, t0());
    let visit = p
        .exec(
            Command::HouseholdCheckIn {
                household_id: hh.id,
                event: None,
            },
            t0(),
        )
        .unwrap()[0]
        .id;
    let shot = SimulatedCamera {
        width: 800,
        height: 600,
        seed: 3,
    }
    .shoot();
    let photo = reencode(&shot, &PhotoPolicy::default()).unwrap();
    let t1 = t0() + Duration::minutes(1);
    let rec = p.capture.photo(&mut p.store, None, &photo, t1, t1).unwrap();
    match &rec.body {
        RecordBody::Photo {
            attached_to,
            taken_at,
            position,
            bytes,
            sha256,
        } => {
            assert_eq!(*attached_to, visit);
            assert_eq!(*taken_at, t1);
            assert_eq!(*position, Some(hh.location));
            assert_eq!(*bytes, photo.data.len() as u64);
            assert_eq!(*sha256, photo.sha256);
        }
        other => panic!("{other:?}"),
    }
    p.exec(
        Command::Note {
            attached_to: None,
            text: "  讨论了茶园管护  ".into(),
        },
        t1,
    )
    .unwrap();
    assert!(matches!(
        p.exec(
            Command::Note {
                attached_to: None,
                text: "   ".into()
            },
            t1
        ),
        Err(CaptureError::Invalid(_))
    ));
    let row = p.store.open_visit().unwrap().unwrap();
    assert_eq!(
        (row.photos, row.notes),
        (1, vec!["讨论了茶园管护".to_string()])
    );
    assert_eq!(
        p.store.photo_data(&photo.sha256).unwrap().unwrap(),
        photo.data
    );
    p.exec(Command::HouseholdCheckOut, t1 + Duration::minutes(6))
        .unwrap();
    assert!(matches!(
        p.capture.photo(&mut p.store, None, &photo, t1, t1),
        Err(CaptureError::NoOpenVisit)
    ));
}

#[test]
fn a_phone_killed_mid_visit_comes_back_in_the_same_visit() {
    let mut p = phone();
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    p.fix_at(centre(), 8.0, t0());
    p.exec(
        Command::VillageCheckIn {
            village_id: demo::VILLAGE,
        },
        t0(),
    )
    .unwrap();
    let hh = demo::households()[1].id;
    p.exec(
        Command::HouseholdCheckIn {
            household_id: hh,
            event: None,
        },
        t0(),
    )
    .unwrap();
    let before = p.capture.state().clone();
    let again = Capture::load(&p.store, TrackPolicy::default()).unwrap();
    assert_eq!(again.state(), &before);
    assert_eq!(again.state().visit.as_ref().unwrap().household_id, hh);
}

#[test]
fn households_are_listed_nearest_first() {
    let p = phone();
    let target = demo::households()[3].clone();
    let here = offset(target.location, 5.0, 5.0);
    let list = nearest_households(&p.reference, demo::VILLAGE, Some(here));
    assert_eq!(list[0].household.id, target.id);
    let d: Vec<f64> = list.iter().map(|h| h.distance_m.unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    // Without a position, by name, with no distances.
    let list = nearest_households(&p.reference, demo::VILLAGE, None);
    assert!(list.iter().all(|h| h.distance_m.is_none()));
    assert_eq!(list.len(), demo::households().len());
}

fn event(kind: EventKind, occurred_on: NaiveDate, household_id: Option<HouseholdId>) -> Command {
    Command::Event {
        kind,
        occurred_on,
        household_id,
        description: "宅基地纠纷".into(),
    }
}

#[test]
fn an_event_is_recorded_and_a_visit_can_attend_it() {
    let mut p = phone();
    let today = local_date(t0());
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    let hh = demo::households()[0].id;
    let ev = p
        .exec(event(EventKind::Dispute, today, Some(hh)), t0())
        .unwrap()[0]
        .id;
    let recs = p
        .exec(
            Command::AttendEvent {
                event: ev,
                village_id: demo::VILLAGE,
                household_id: Some(hh),
            },
            t0(),
        )
        .unwrap();
    assert!(
        matches!(recs[0].body, RecordBody::HouseholdCheckIn { household_id, event: Some(e), .. } if e == ev && household_id == hh)
    );
    assert_eq!(p.store.entries(10).unwrap()[0].kind, "矛盾纠纷");
}

/// An event is entered on the day it happened: today (now), or an earlier day up to
/// [`EVENT_BACKDATE_DAYS`] back (its noon), in the cadre's own village when not working in one;
/// a day ahead or too far back is refused in Chinese and nothing is written.
#[test]
fn an_event_is_entered_with_the_date_it_happened() {
    let mut p = phone();
    let today = local_date(t0());
    for (back, expected) in [
        (0, Ok(t0())),
        (
            5,
            Ok(day_start(today - Duration::days(5)) + Duration::hours(12)),
        ),
        (
            EVENT_BACKDATE_DAYS,
            Ok(day_start(today - Duration::days(EVENT_BACKDATE_DAYS)) + Duration::hours(12)),
        ),
        (EVENT_BACKDATE_DAYS + 1, Err(strings::ERR_EVENT_TOO_OLD)),
        (-1, Err(strings::ERR_EVENT_IN_FUTURE)),
    ] {
        let cmd = event(
            EventKind::WeddingOrFuneral,
            today - Duration::days(back),
            None,
        );
        match expected {
            Ok(at) => {
                let recs = p.exec(cmd, t0()).unwrap();
                let RecordBody::VillageEvent {
                    occurred_at,
                    village_id,
                    ..
                } = &recs[0].body
                else {
                    panic!("{recs:?}");
                };
                assert_eq!((*occurred_at, *village_id), (at, demo::VILLAGE), "{back}");
                assert_eq!(recs[0].validate(t0()), Ok(()));
            }
            Err(msg) => assert_eq!(refusal(&mut p, cmd, t0()), msg, "{back}"),
        }
    }
    // A household of another village is not one the event can concern.
    let stranger = HouseholdId::from_u128(42);
    assert_eq!(
        refusal(
            &mut p,
            event(EventKind::Dispute, today, Some(stranger)),
            t0()
        ),
        strings::ERR_UNKNOWN_HOUSEHOLD
    );
}

/// 前往处理 without a household is an on-site check-in with the fresh fix in the event's
/// village: refused without a fix or away from the village; afterwards the event is listed as
/// attended.
#[test]
fn an_event_away_from_households_is_attended_by_an_on_site_check_in() {
    let mut p = phone();
    let today = local_date(t0());
    let ev = p
        .exec(
            event(EventKind::Emergency, today - Duration::days(2), None),
            t0(),
        )
        .unwrap()[0]
        .id;
    let open = p.store.open_events(today, 3, 7).unwrap();
    assert_eq!(
        open.iter()
            .map(|e| (e.event, e.days_left))
            .collect::<Vec<_>>(),
        [(ev, 1)]
    );
    let attend = Command::AttendEvent {
        event: ev,
        village_id: demo::VILLAGE,
        household_id: None,
    };
    assert_eq!(
        refusal(&mut p, attend.clone(), t0()),
        strings::ERR_ON_SITE_NO_FIX
    );
    p.fix_at(offset(centre(), 30_000.0, 0.0), 10.0, t0());
    assert!(refusal(&mut p, attend.clone(), t0()).contains("村界"));
    p.fix_at(centre(), 10.0, t0() + Duration::seconds(30));
    let recs = p.exec(attend, t0() + Duration::minutes(1)).unwrap();
    assert!(
        matches!(&recs[0].body, RecordBody::OnSite { attached_to, fix: Some(f) }
        if *attached_to == ev && f.lat == centre().lat)
    );
    // Attended: listed as such until its last day.
    let open = p.store.open_events(today, 3, 7).unwrap();
    assert_eq!(
        open.iter()
            .map(|e| (e.event, e.attended.map(|a| a.check_in)))
            .collect::<Vec<_>>(),
        [(ev, Some(recs[0].id))]
    );
}

/// An event a teammate recorded reaches this phone with the pull: it is listed with its
/// author, 前往处理 writes an on-site check-in linked to it, and once the pull carries a
/// teammate's check-in on another event, that one shows as attended by the teammate.
#[test]
fn a_teammate_s_event_is_listed_and_attended_from_this_phone() {
    let mut p = phone();
    let today = local_date(t0());
    let mut theirs = zhucun_shared::synth::Recorder::new(demo::TEAMMATE, DeviceId::new());
    let recorded = |r: &mut zhucun_shared::synth::Recorder, what: &str| {
        r.record(
            t0() - Duration::hours(3),
            RecordBody::VillageEvent {
                village_id: demo::VILLAGE,
                kind: EventKind::Dispute,
                occurred_at: t0() - Duration::days(1),
                household_id: None,
                description: what.into(),
            },
        )
    };
    let open_one = recorded(&mut theirs, "邻里纠纷");
    let attended = recorded(&mut theirs, "宅基地纠纷");
    let their_check_in = theirs.record(
        t0() - Duration::hours(2),
        RecordBody::OnSite {
            attached_to: attended.id,
            fix: None,
        },
    );
    let mut pull = demo::pull(t0());
    pull.changed = false;
    pull.team_events = vec![open_one.clone(), attended.clone(), their_check_in.clone()];
    p.store.save_pull(&pull).unwrap();
    let listed = |p: &Phone| {
        p.store
            .open_events(today, 3, 7)
            .unwrap()
            .iter()
            .map(|e| (e.event, e.recorded_by, e.attended.map(|a| a.by)))
            .collect::<Vec<_>>()
    };
    let mut expected = vec![
        (open_one.id, demo::TEAMMATE, None),
        (attended.id, demo::TEAMMATE, Some(demo::TEAMMATE)),
    ];
    expected.sort_by_key(|(id, ..)| *id);
    assert_eq!(listed(&p), expected);

    p.fix_at(centre(), 10.0, t0());
    let recs = p
        .exec(
            Command::AttendEvent {
                event: open_one.id,
                village_id: demo::VILLAGE,
                household_id: None,
            },
            t0() + Duration::seconds(30),
        )
        .unwrap();
    assert!(
        matches!(&recs[0].body, RecordBody::OnSite { attached_to, fix: Some(_) }
        if *attached_to == open_one.id)
    );
    let mine = listed(&p)
        .into_iter()
        .find(|(id, ..)| *id == open_one.id)
        .unwrap();
    assert_eq!(mine, (open_one.id, demo::TEAMMATE, Some(demo::ME)));
}

/// A patrol or inspection is saved with the on-site check-in where it was made; other work,
/// such as a leader's visit, is entered with the day it happened, never a day ahead.
#[test]
fn supervision_is_captured_on_site_and_work_with_its_own_date() {
    let mut p = phone();
    let today = local_date(t0());
    let draft = |kind, held_on| ActivityDraft {
        kind,
        village_id: Some(demo::VILLAGE),
        held_on,
        person_times: None,
        quantity: None,
        title: "巡视青山村".into(),
        text: String::new(),
    };
    assert_eq!(
        refusal(
            &mut p,
            Command::Activity(draft(ActivityKind::Patrol, today)),
            t0()
        ),
        strings::ERR_ON_SITE_NO_FIX
    );
    p.fix_at(centre(), 12.0, t0());
    let recs = p
        .exec(Command::Activity(draft(ActivityKind::Patrol, today)), t0())
        .unwrap();
    assert_eq!(recs.len(), 2);
    assert!(
        matches!(&recs[1].body, RecordBody::OnSite { attached_to, fix: Some(_) } if *attached_to == recs[0].id)
    );
    // An assessment is no site visit: saved alone.
    let recs = p
        .exec(
            Command::Activity(draft(ActivityKind::Assessment, today)),
            t0(),
        )
        .unwrap();
    assert_eq!(recs.len(), 1);

    let five_days_ago = today - Duration::days(5);
    let recs = p
        .exec(
            Command::Activity(draft(ActivityKind::LeaderVisit, five_days_ago)),
            t0(),
        )
        .unwrap();
    assert!(
        matches!(&recs[0].body, RecordBody::Activity { held_on, .. } if *held_on == five_days_ago)
    );
    assert_eq!(
        refusal(
            &mut p,
            Command::Activity(draft(ActivityKind::LeaderVisit, today + Duration::days(1))),
            t0()
        ),
        strings::ERR_HELD_IN_FUTURE
    );
}

#[test]
fn activities_and_reports_are_checked_before_they_are_saved() {
    let mut p = phone();
    let day = t0().date_naive();
    let training = |n: Option<u32>| ActivityDraft {
        kind: ActivityKind::Training,
        village_id: Some(demo::VILLAGE),
        held_on: day,
        person_times: n,
        quantity: None,
        title: "茶叶病虫害防治".into(),
        text: String::new(),
    };
    assert!(matches!(
        p.exec(Command::Activity(training(None)), t0()),
        Err(CaptureError::Invalid(_))
    ));
    let recs = p.exec(Command::Activity(training(Some(45))), t0()).unwrap();
    assert!(matches!(
        recs[0].body,
        RecordBody::Activity {
            person_times: Some(45),
            ..
        }
    ));
    let variety = ActivityDraft {
        kind: ActivityKind::Variety,
        quantity: None,
        person_times: Some(3),
        ..training(None)
    };
    let recs = p.exec(Command::Activity(variety), t0()).unwrap();
    assert!(matches!(
        recs[0].body,
        RecordBody::Activity {
            quantity: Some(1),
            person_times: None,
            ..
        }
    ));
    let weekly = ReportDraft {
        kind: ReportKind::WeeklyEntry,
        village_id: Some(demo::VILLAGE),
        period: Period::containing(PeriodKind::Week, day).unwrap(),
        title: "第47周工作".into(),
        text: String::new(),
        attachments: vec![],
    };
    assert!(matches!(
        p.exec(Command::Report(weekly.clone()), t0()),
        Err(CaptureError::Invalid(_))
    ));
    let recs = p
        .exec(
            Command::Report(ReportDraft {
                text: "走访 12 户，召开院坝会 1 次".into(),
                ..weekly
            }),
            t0(),
        )
        .unwrap();
    assert!(matches!(
        recs[0].body,
        RecordBody::Report {
            kind: ReportKind::WeeklyEntry,
            ..
        }
    ));
    let entries = p.store.entries(10).unwrap();
    assert_eq!(entries.len(), 3);
    for r in p.store.all_records().unwrap() {
        r.validate(t0()).unwrap();
    }
}

#[test]
fn a_gap_on_duty_is_written_when_it_opens_and_closed_by_the_next_fix() {
    let mut p = phone();
    let gap =
        |p: &mut Phone, cause: GapCause| p.capture.on_gap(&mut p.store, cause, t0(), t0()).unwrap();
    assert!(gap(&mut p, GapCause::PermissionWithdrawn).is_empty());
    p.exec(Command::StartDuty { village_id: None }, t0())
        .unwrap();
    let recs = gap(&mut p, GapCause::PermissionWithdrawn);
    assert_eq!(recs.len(), 1);
    assert!(matches!(
        &recs[0].body,
        RecordBody::Note {
            kind: Some(NoteKind::LocationGap {
                cause: GapCause::PermissionWithdrawn,
                to: None,
                ..
            }),
            ..
        }
    ));
    assert!(p.capture.state().location_lost);
    // The same cause again: the gap goes on.
    assert!(gap(&mut p, GapCause::PermissionWithdrawn).is_empty());
    // A fix ends the gap (a closing note replacing the opening one); the next loss is
    // written again.
    let closed = p.fix_at(centre(), 8.0, t0() + Duration::minutes(1));
    assert!(matches!(
        &closed[0].body,
        RecordBody::Note {
            replaces: Some(r),
            kind: Some(NoteKind::LocationGap { to: Some(_), .. }),
            ..
        } if *r == recs[0].id
    ));
    assert!(!p.capture.state().location_lost);
    assert_eq!(gap(&mut p, GapCause::NoSignal).len(), 1);
    // A phone killed with the gap open knows it on restart.
    let log = p.store.all_records().unwrap();
    assert_eq!(
        CaptureState::replay(&log).gap.map(|g| g.cause),
        Some(GapCause::NoSignal)
    );
}

#[test]
fn a_lost_location_in_older_logs_is_known_by_its_kind_or_its_text() {
    let mut p = phone();
    p.exec(Command::StartDuty { village_id: None }, t0())
        .unwrap();
    let duty = p.capture.state().duty.as_ref().unwrap().duty;
    p.store
        .append(
            t0(),
            RecordBody::Note {
                attached_to: duty,
                text: "定位中断：权限被拒绝".into(),
                replaces: None,
                kind: Some(NoteKind::LocationLost),
            },
        )
        .unwrap();
    let log = p.store.all_records().unwrap();
    let replayed = |text: &str, kind: Option<NoteKind>| {
        let mut log = log.clone();
        if let Some(RecordBody::Note {
            text: t, kind: k, ..
        }) = log.last_mut().map(|r| &mut r.body)
        {
            *t = text.into();
            *k = kind;
        }
        CaptureState::replay(&log).location_lost
    };
    // The kind decides, whatever the text (or the screen's label) says.
    assert!(replayed("GPS unavailable", Some(NoteKind::LocationLost)));
    // A log written before notes had kinds still reads as it did.
    assert!(replayed("定位中断：权限被拒绝", None));
    assert!(!replayed("走访记录", None));
}

use zhucun_shared::period::{Period, PeriodKind};

/// The refusal a command meets, as the cadre reads it; nothing is written.
fn refusal(p: &mut Phone, cmd: Command, now: DateTime<Utc>) -> String {
    let before = p.store.last_seq().unwrap();
    let err = p.exec(cmd, now).unwrap_err();
    assert_eq!(p.store.last_seq().unwrap(), before, "{err}");
    err.to_string()
}

#[test]
fn records_the_server_would_refuse_are_refused_at_capture_with_a_clear_message() {
    let mut p = phone();
    let day = t0().date_naive();
    let draft = ActivityDraft {
        kind: ActivityKind::Training,
        village_id: Some(demo::VILLAGE),
        held_on: day,
        person_times: Some(30),
        quantity: None,
        title: "茶叶病虫害防治".into(),
        text: String::new(),
    };
    let held_2019 = ActivityDraft {
        held_on: "2019-06-01".parse().unwrap(),
        ..draft.clone()
    };
    assert_eq!(
        refusal(&mut p, Command::Activity(held_2019), t0()),
        strings::ERR_HELD_ON
    );
    let next_month = ActivityDraft {
        held_on: day + Duration::days(30),
        ..draft.clone()
    };
    assert_eq!(
        refusal(&mut p, Command::Activity(next_month), t0()),
        strings::ERR_HELD_IN_FUTURE
    );
    let crowd = ActivityDraft {
        person_times: Some(200_000),
        ..draft.clone()
    };
    assert_eq!(
        refusal(&mut p, Command::Activity(crowd), t0()),
        strings::ERR_PERSON_TIMES_TOO_LARGE
    );
    let heap = ActivityDraft {
        kind: ActivityKind::Variety,
        quantity: Some(20_000),
        ..draft.clone()
    };
    assert_eq!(
        refusal(&mut p, Command::Activity(heap), t0()),
        strings::ERR_QUANTITY_TOO_LARGE
    );
    let report = ReportDraft {
        kind: ReportKind::WeeklyEntry,
        village_id: Some(demo::VILLAGE),
        period: Period::containing(PeriodKind::Week, day).unwrap(),
        title: "第47周工作".into(),
        text: "走访 12 户".into(),
        attachments: (0..51)
            .map(|i| AttachedFile {
                name: format!("{i}.pdf"),
                data: format!("%PDF-1.7 {i}").into_bytes(),
            })
            .collect(),
    };
    assert_eq!(
        refusal(&mut p, Command::Report(report.clone()), t0()),
        strings::ERR_TOO_MANY_ATTACHMENTS
    );
    // Within bounds, they are saved.
    p.exec(Command::Activity(draft), t0()).unwrap();
    p.exec(
        Command::Report(ReportDraft {
            attachments: vec![],
            ..report
        }),
        t0(),
    )
    .unwrap();
}

#[test]
fn a_phone_clock_before_2020_records_nothing_and_says_to_set_the_clock() {
    let mut p = phone();
    let stopped: DateTime<Utc> = "2000-01-01T00:00:00Z".parse().unwrap();
    let msg = refusal(
        &mut p,
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        stopped,
    );
    assert_eq!(msg, strings::ERR_CLOCK);
    assert!(msg.contains("校准"));
    // Fixes the phone stamps with that clock are not recorded either.
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    let before = p.store.last_seq().unwrap();
    let f = Fix {
        lat: centre().lat,
        lon: centre().lon,
        accuracy_m: 8.0,
        time: stopped,
        monotonic_ms: None,
        provider: FixProvider::Gps,
        mock: false,
    };
    assert!(p
        .capture
        .on_fix(&mut p.store, &p.reference, f, stopped)
        .unwrap()
        .is_empty());
    assert_eq!(p.store.last_seq().unwrap(), before);
}

#[test]
fn broken_fixes_are_dropped_not_recorded() {
    let mut p = phone();
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    let at = t0() + Duration::minutes(1);
    for (lat, lon, acc) in [
        (91.0, 106.7, 8.0),
        (26.5, 181.0, 8.0),
        (f64::NAN, 106.7, 8.0),
        (26.5, 106.7, f64::INFINITY),
        (26.5, 106.7, -1.0),
        (26.5, 106.7, 1e9),
    ] {
        let f = Fix {
            lat,
            lon,
            accuracy_m: acc,
            time: at,
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        };
        assert!(p
            .capture
            .on_fix(&mut p.store, &p.reference, f, at)
            .unwrap()
            .is_empty());
    }
    assert_eq!(p.store.last_seq().unwrap(), 1);
    // Nor are they taken as "where the phone is" for a check-in.
    assert!(p.capture.state().last_fix.is_none());
    // A good one still is.
    assert_eq!(p.fix_at(centre(), 8.0, at).len(), 1);
}

#[test]
fn a_report_carries_its_files_kept_until_the_server_holds_them() {
    let mut p = phone();
    let day = zhucun_shared::period::local_date(t0());
    let pdf = AttachedFile {
        name: "十一月月报.pdf".into(),
        data: b"%PDF-1.7\n...\n%%EOF\n".to_vec(),
    };
    let report = ReportDraft {
        kind: ReportKind::MonthlyReport,
        village_id: Some(demo::VILLAGE),
        period: Period::containing(PeriodKind::Month, day).unwrap(),
        title: "十一月驻村工作月报".into(),
        text: "见附件".into(),
        attachments: vec![
            pdf.clone(),
            AttachedFile {
                name: "月报.exe".into(),
                data: b"MZ\x90\x00".to_vec(),
            },
        ],
    };
    // A program is no report: refused when chosen, nothing written.
    let before = p.store.last_seq().unwrap();
    assert_eq!(
        refusal(&mut p, Command::Report(report.clone()), t0()),
        strings::ERR_ATTACHMENT_KIND
    );
    assert_eq!(p.store.last_seq().unwrap(), before);
    // The same file chosen twice is carried once.
    let recs = p
        .exec(
            Command::Report(ReportDraft {
                attachments: vec![pdf.clone(), pdf.clone()],
                ..report
            }),
            t0(),
        )
        .unwrap();
    let RecordBody::Report { attachments, .. } = &recs[0].body else {
        panic!("{:?}", recs[0].body)
    };
    assert_eq!(attachments, &vec![pdf.sha256()]);
    let pending = p.store.pending_photos().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].sha256.as_str(),
            pending[0].kind,
            pending[0].bytes
        ),
        (
            pdf.sha256().as_str(),
            FileKind::Attachment,
            pdf.data.len() as u64
        )
    );
    assert_eq!(
        p.store.photo_data(&pdf.sha256()).unwrap().unwrap(),
        pdf.data
    );
    let entry = &p.store.entries(10).unwrap()[0];
    assert_eq!((entry.files, entry.photos), (1, 0));
}

#[test]
fn a_finding_made_on_site_carries_the_checkers_fresh_fix_and_found_false_needs_a_comment() {
    let mut p = phone();
    let judged = RecordId::new();
    let finding = |r: &[DeviceRecord]| match &r[0].body {
        RecordBody::Note {
            attached_to,
            kind: Some(NoteKind::Finding { outcome, fix }),
            ..
        } => {
            assert_eq!(*attached_to, judged);
            (*outcome, *fix)
        }
        other => panic!("{other:?}"),
    };
    // From afar, with no fix: a finding without a position.
    let far = p
        .exec(
            Command::Finding {
                attached_to: judged,
                outcome: FindingOutcome::ConfirmedByPhone,
                text: String::new(),
            },
            t0(),
        )
        .unwrap();
    assert_eq!(finding(&far), (FindingOutcome::ConfirmedByPhone, None));
    // Found false says why.
    assert!(matches!(
        p.exec(
            Command::Finding {
                attached_to: judged,
                outcome: FindingOutcome::NotConfirmed,
                text: "  ".into(),
            },
            t0(),
        ),
        Err(CaptureError::Invalid(_))
    ));
    // On site: the checker's own fix goes with the finding.
    p.exec(
        Command::StartDuty {
            village_id: Some(demo::VILLAGE),
        },
        t0(),
    )
    .unwrap();
    p.fix_at(centre(), 6.0, t0() + Duration::minutes(1));
    let here = p
        .exec(
            Command::Finding {
                attached_to: judged,
                outcome: FindingOutcome::NotConfirmed,
                text: "现场核实：农户不在家，邻居称未见来访".into(),
            },
            t0() + Duration::minutes(2),
        )
        .unwrap();
    let (outcome, fix) = finding(&here);
    assert_eq!(outcome, FindingOutcome::NotConfirmed);
    let fix = fix.expect("the checker's fresh fix");
    assert_eq!((fix.lat, fix.lon), (centre().lat, centre().lon));
    assert_eq!(here[0].validate(t0() + Duration::minutes(2)), Ok(()));
}
