//! The visits view is the shared fold of the log: the disagreements it once had with
//! `zhucun_shared::visits::assemble_visits` (what the server counts), pinned, and a property
//! over random capture sequences that the two agree.

use super::tests::enrolled;
use super::*;
use crate::capture::CaptureState;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use zhucun_shared::ids::{HouseholdId, RecordId};
use zhucun_shared::record::{DeviceRecord, Fix, FixProvider, RecordBody};
use zhucun_shared::sessions::{duty_sessions, village_check_ins};
use zhucun_shared::visits::{assemble_visits, withdrawn};

fn t0() -> DateTime<Utc> {
    "2026-11-16T01:00:00Z".parse().unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

fn fix(time: DateTime<Utc>, accuracy_m: f64) -> Fix {
    Fix {
        lat: 26.5,
        lon: 106.7,
        accuracy_m,
        time,
        monotonic_ms: None,
        provider: FixProvider::Simulated,
        mock: false,
    }
}

fn check_in(s: &mut Store, minute: i64) -> RecordId {
    s.append(
        at(minute),
        RecordBody::HouseholdCheckIn {
            household_id: HouseholdId::from_u128(1),
            fix: None,
            event: None,
        },
    )
    .unwrap()
    .id
}

fn check_out(check_in: RecordId, fix: Option<Fix>) -> RecordBody {
    RecordBody::HouseholdCheckOut { check_in, fix }
}

fn photo(attached_to: RecordId, n: u32) -> (RecordBody, Vec<u8>) {
    let data = format!("photo {n}").into_bytes();
    let body = RecordBody::Photo {
        attached_to,
        sha256: hex::encode(Sha256::digest(&data)),
        taken_at: t0(),
        position: None,
        bytes: data.len() as u64,
    };
    (body, data)
}

fn note(attached_to: RecordId, text: &str, replaces: Option<RecordId>) -> RecordBody {
    RecordBody::Note {
        attached_to,
        text: text.into(),
        replaces,
        kind: None,
    }
}

fn row(s: &Store, check_in: RecordId) -> VisitRow {
    s.visits(at(-10_000), at(10_000))
        .unwrap()
        .into_iter()
        .find(|r| r.check_in_id == check_in)
        .expect("the visit's row")
}

/// The server's visit, from the whole log as it holds it.
fn served(s: &Store, check_in: RecordId) -> Option<zhucun_shared::visits::HouseholdVisit> {
    let log = s.all_records().unwrap();
    let gone = withdrawn(&log);
    assemble_visits(log.iter().filter(|r| !gone.contains(&r.id)))
        .into_iter()
        .find(|v| v.check_in == check_in)
}

#[test]
fn a_visit_checked_out_twice_ends_at_the_first_check_out() {
    // The cadre pressed 签退 twice (or the phone wrote it again): the visit ended when they
    // left; a later check-out neither lengthens it nor lets photos taken after it count.
    let mut s = enrolled();
    let visit = check_in(&mut s, 0);
    s.append(at(6), check_out(visit, None)).unwrap();
    s.append(at(20), check_out(visit, None)).unwrap();
    assert_eq!(row(&s, visit).ended_at, Some(at(6)));
    assert_eq!(served(&s, visit).unwrap().end, Some(at(6)));
}

#[test]
fn every_note_in_force_is_shown_and_a_correction_takes_its_notes_place() {
    let mut s = enrolled();
    let visit = check_in(&mut s, 0);
    s.append(at(1), note(visit, "户主腿伤", None)).unwrap();
    let second = s.append(at(2), note(visit, "茶园缺肥", None)).unwrap().id;
    s.append(at(3), note(visit, "茶园缺肥, 已联系农技员", Some(second)))
        .unwrap();
    let shown = vec!["户主腿伤".to_string(), "茶园缺肥, 已联系农技员".to_string()];
    assert_eq!(row(&s, visit).notes, shown);
    let server: Vec<String> = served(&s, visit)
        .unwrap()
        .notes
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(server, shown);
    let state = CaptureState::replay(&s.all_records().unwrap());
    assert_eq!(state.visit.unwrap().notes, shown);
}

#[test]
fn a_withdrawn_photo_no_longer_counts_and_a_withdrawn_check_out_reopens_the_visit() {
    let mut s = enrolled();
    let visit = check_in(&mut s, 0);
    let (first, data) = photo(visit, 1);
    let first = s.append_photo(at(1), first, &data).unwrap().id;
    let (second, data) = photo(visit, 2);
    s.append_photo(at(2), second, &data).unwrap();
    let out = s.append(at(6), check_out(visit, None)).unwrap().id;
    let retract = |target| RecordBody::Retraction {
        target,
        reason: "拍错了".into(),
    };
    s.append(at(7), retract(first)).unwrap();
    assert_eq!(row(&s, visit).photos, 1);
    assert_eq!(served(&s, visit).unwrap().photos.len(), 1);
    s.append(at(8), retract(out)).unwrap();
    assert_eq!(row(&s, visit).ended_at, None);
    assert_eq!(served(&s, visit).unwrap().end, None);
    let state = CaptureState::replay(&s.all_records().unwrap());
    assert_eq!(
        state.visit.map(|v| (v.check_in, v.photos)),
        Some((visit, 1))
    );
}

#[test]
fn the_check_out_fix_places_the_visit_as_it_does_on_the_server() {
    let mut s = enrolled();
    let visit = check_in(&mut s, 0);
    s.append(at(6), check_out(visit, Some(fix(at(6), 12.0))))
        .unwrap();
    assert_eq!(row(&s, visit).accuracy_m, Some(12.0));
}

#[test]
fn a_duty_ended_twice_and_a_village_checked_out_twice_end_at_the_first_end() {
    let mut s = enrolled();
    let duty = s
        .append(at(0), RecordBody::DutyStart { village_id: None })
        .unwrap()
        .id;
    let check_in = s
        .append(
            at(1),
            RecordBody::VillageCheckIn {
                village_id: zhucun_shared::ids::VillageId::from_u128(7),
                fix: None,
            },
        )
        .unwrap()
        .id;
    for m in [30, 40] {
        s.append(
            at(m),
            RecordBody::VillageCheckOut {
                check_in,
                fix: None,
            },
        )
        .unwrap();
    }
    for m in [60, 70] {
        s.append(at(m), RecordBody::DutyEnd { duty }).unwrap();
    }
    let sessions = s.duty_sessions(at(-1), at(100)).unwrap();
    assert_eq!(sessions[0].ended_at, Some(at(60)));
    assert_eq!(village_rows(&s), vec![(check_in, Some(at(30)))]);
}

#[test]
fn a_withdrawn_village_check_in_leaves_the_village_stays() {
    let mut s = enrolled();
    let check_in = s
        .append(
            at(1),
            RecordBody::VillageCheckIn {
                village_id: zhucun_shared::ids::VillageId::from_u128(7),
                fix: None,
            },
        )
        .unwrap()
        .id;
    assert_eq!(village_rows(&s), vec![(check_in, None)]);
    assert!(s.open_village_stay().unwrap().is_some());
    s.append(
        at(5),
        RecordBody::Retraction {
            target: check_in,
            reason: "误签到".into(),
        },
    )
    .unwrap();
    assert_eq!(village_rows(&s), vec![]);
    assert!(s.open_village_stay().unwrap().is_none());
    // Rebuilt from the log, likewise.
    s.rebuild_views().unwrap();
    assert_eq!(village_rows(&s), vec![]);
}

#[test]
fn a_phone_updated_from_the_old_views_reads_its_log_with_the_shared_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let mut rec = zhucun_shared::synth::Recorder::new(PersonId::new(), DeviceId::new());
    let visit = rec.record(
        at(0),
        RecordBody::HouseholdCheckIn {
            household_id: HouseholdId::from_u128(1),
            fix: None,
            event: None,
        },
    );
    let log = vec![
        visit.clone(),
        rec.record(at(1), note(visit.id, "户主腿伤", None)),
        rec.record(at(2), note(visit.id, "茶园缺肥", None)),
        rec.record(at(6), check_out(visit.id, None)),
        rec.record(at(9), check_out(visit.id, None)),
    ];
    {
        // The store as the release before the shared fold left it: its view said the last
        // check-out and the last note.
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        for (i, r) in log.iter().enumerate() {
            conn.execute(
                "INSERT INTO records (seq, id, type, captured_at, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    i + 1,
                    r.id.to_string(),
                    r.body.type_name(),
                    super::views::time(&r.captured_at),
                    serde_json::to_string(r).unwrap()
                ],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO visits (check_in_id, household_id, started_at, ended_at, note)
             VALUES (?1, ?2, ?3, ?4, '茶园缺肥')",
            rusqlite::params![
                visit.id.to_string(),
                HouseholdId::from_u128(1).to_string(),
                super::views::time(&at(0)),
                super::views::time(&at(9))
            ],
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let r = row(&s, visit.id);
    assert_eq!(r.ended_at, Some(at(6)));
    assert_eq!(
        r.notes,
        vec!["户主腿伤".to_string(), "茶园缺肥".to_string()]
    );
}

/// Every village check-in row: (check-in, checked out at).
fn village_rows(s: &Store) -> Vec<(RecordId, Option<DateTime<Utc>>)> {
    let mut stmt = s
        .conn
        .prepare("SELECT check_in_id, checked_out_at FROM village_stays ORDER BY check_in_id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .unwrap();
    rows.map(|r| {
        let (id, out) = r.unwrap();
        (
            id.parse().unwrap(),
            out.map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .unwrap()
                    .with_timezone(&Utc)
            }),
        )
    })
    .collect()
}

/// One step of a random capture sequence; indexes pick among what exists so far.
#[derive(Clone, Debug)]
enum Step {
    CheckIn {
        household: u128,
        accuracy: Option<u8>,
    },
    CheckOut {
        visit: usize,
        accuracy: Option<u8>,
    },
    VisitFix {
        visit: usize,
        accuracy: u8,
    },
    Photo {
        visit: usize,
    },
    Note {
        visit: usize,
        text: u8,
        replaces: Option<usize>,
    },
    Retract {
        record: usize,
    },
    /// The same content written again: a second press, a screen sent twice.
    Again {
        record: usize,
    },
    /// The phone's clock moves, back as well as forward: capture times out of order.
    Clock {
        minutes: i64,
    },
    DutyStart,
    DutyEnd {
        duty: usize,
    },
    VillageCheckIn,
    VillageCheckOut {
        check_in: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let idx = || 0usize..64;
    prop_oneof![
        3 => (1u128..4, proptest::option::of(1u8..200))
            .prop_map(|(household, accuracy)| Step::CheckIn { household, accuracy }),
        3 => (idx(), proptest::option::of(1u8..200))
            .prop_map(|(visit, accuracy)| Step::CheckOut { visit, accuracy }),
        2 => (idx(), 1u8..200).prop_map(|(visit, accuracy)| Step::VisitFix { visit, accuracy }),
        3 => idx().prop_map(|visit| Step::Photo { visit }),
        4 => (idx(), 0u8..4, proptest::option::of(idx()))
            .prop_map(|(visit, text, replaces)| Step::Note { visit, text, replaces }),
        1 => idx().prop_map(|record| Step::Retract { record }),
        2 => idx().prop_map(|record| Step::Again { record }),
        2 => (-30i64..30).prop_map(|minutes| Step::Clock { minutes }),
        1 => Just(Step::DutyStart),
        1 => idx().prop_map(|duty| Step::DutyEnd { duty }),
        1 => Just(Step::VillageCheckIn),
        1 => idx().prop_map(|check_in| Step::VillageCheckOut { check_in }),
    ]
}

/// Writes the steps to a fresh store, as the capture flows would but without their refusals.
fn play(steps: &[Step]) -> Store {
    let mut s = enrolled();
    let mut now = t0();
    let mut visits: Vec<RecordId> = Vec::new();
    let mut notes: Vec<RecordId> = Vec::new();
    let (mut duties, mut stays): (Vec<RecordId>, Vec<RecordId>) = (Vec::new(), Vec::new());
    let mut written: Vec<DeviceRecord> = Vec::new();
    let mut photos = 0;
    for st in steps {
        now += Duration::minutes(1);
        let pick = |v: &[RecordId], i: usize| (!v.is_empty()).then(|| v[i % v.len()]);
        let body = match st {
            Step::CheckIn {
                household,
                accuracy,
            } => Some(RecordBody::HouseholdCheckIn {
                household_id: HouseholdId::from_u128(*household),
                fix: accuracy.map(|a| fix(now, a.into())),
                event: None,
            }),
            Step::CheckOut { visit, accuracy } => {
                pick(&visits, *visit).map(|v| check_out(v, accuracy.map(|a| fix(now, a.into()))))
            }
            Step::VisitFix { visit, accuracy } => {
                pick(&visits, *visit).map(|check_in| RecordBody::VisitFix {
                    check_in,
                    fix: fix(now, (*accuracy).into()),
                })
            }
            Step::Photo { visit } => {
                if let Some(v) = pick(&visits, *visit) {
                    photos += 1;
                    let (body, data) = photo(v, photos);
                    written.push(s.append_photo(now, body, &data).unwrap());
                }
                None
            }
            Step::Note {
                visit,
                text,
                replaces,
            } => pick(&visits, *visit).map(|v| {
                let text = ["", "  ", "走访记录", "已核实"][*text as usize];
                note(v, text, replaces.and_then(|r| pick(&notes, r)))
            }),
            Step::Retract { record } => (!written.is_empty()).then(|| RecordBody::Retraction {
                target: written[record % written.len()].id,
                reason: "撤回".into(),
            }),
            Step::Again { record } => {
                (!written.is_empty()).then(|| written[record % written.len()].body.clone())
            }
            Step::Clock { minutes } => {
                now += Duration::minutes(*minutes);
                None
            }
            Step::DutyStart => Some(RecordBody::DutyStart { village_id: None }),
            Step::DutyEnd { duty } => pick(&duties, *duty).map(|duty| RecordBody::DutyEnd { duty }),
            Step::VillageCheckIn => Some(RecordBody::VillageCheckIn {
                village_id: zhucun_shared::ids::VillageId::from_u128(7),
                fix: Some(fix(now, 20.0)),
            }),
            Step::VillageCheckOut { check_in } => {
                pick(&stays, *check_in).map(|check_in| RecordBody::VillageCheckOut {
                    check_in,
                    fix: None,
                })
            }
        };
        if let Some(body) = body {
            let rec = s.append(now, body).unwrap();
            match rec.body {
                RecordBody::HouseholdCheckIn { .. } => visits.push(rec.id),
                RecordBody::Note { .. } => notes.push(rec.id),
                RecordBody::DutyStart { .. } => duties.push(rec.id),
                RecordBody::VillageCheckIn { .. } => stays.push(rec.id),
                _ => {}
            }
            written.push(rec);
        }
    }
    s
}

/// The log in another order, some records twice: as a server may receive it.
fn arrived_again(log: &[DeviceRecord], seed: u64) -> Vec<&DeviceRecord> {
    let mut arrived: Vec<&DeviceRecord> = log.iter().collect();
    arrived.extend(log.iter().step_by(3));
    arrived.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    arrived
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_phones_visits_are_the_servers(steps in prop::collection::vec(step(), 1..40), seed: u64) {
        let s = play(&steps);
        let log = s.all_records().unwrap();
        let gone = withdrawn(&log);
        // The server gets the log in any order, some records twice.
        let mut arrived: Vec<&DeviceRecord> = log.iter().filter(|r| !gone.contains(&r.id)).collect();
        arrived.extend(arrived.clone().into_iter().step_by(3));
        arrived.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        let server = assemble_visits(arrived);
        let rows = s.visits(at(-10_000), at(10_000)).unwrap();
        let by_id: HashMap<RecordId, &VisitRow> = rows.iter().map(|r| (r.check_in_id, r)).collect();
        for r in &rows {
            prop_assert_eq!(r.retracted, gone.contains(&r.check_in_id));
        }
        prop_assert_eq!(server.len(), rows.iter().filter(|r| !r.retracted).count());
        for v in &server {
            let r = by_id.get(&v.check_in).copied();
            prop_assert!(r.is_some(), "no row for {:?}", v.check_in);
            let r = r.unwrap();
            let notes: Vec<String> = v.notes.iter().map(|(_, t)| t.clone()).collect();
            prop_assert_eq!(
                (r.household_id, r.started_at, r.ended_at, r.photos as usize, &r.notes, r.event_id),
                (v.household_id, v.start, v.end, v.photos.len(), &notes, v.event)
            );
            prop_assert_eq!(r.accuracy_m, v.best_fix().map(|f| f.accuracy_m));
        }
        // Duty sessions and village check-ins likewise.
        let sessions: Vec<_> = duty_sessions(arrived_again(&log, seed))
            .into_iter()
            .map(|d| (d.duty, d.start, d.end))
            .collect();
        let kept: Vec<_> = s
            .duty_sessions(at(-10_000), at(10_000))
            .unwrap()
            .into_iter()
            .map(|d| (d.duty_id, d.started_at, d.ended_at))
            .collect();
        prop_assert_eq!(&kept, &sessions);
        // A withdrawn village check-in has no row.
        let mut check_ins: Vec<_> = village_check_ins(arrived_again(&log, seed))
            .into_iter()
            .filter(|v| !v.withdrawn)
            .map(|v| (v.check_in, v.end))
            .collect();
        check_ins.sort_by_key(|c| c.0.to_string());
        prop_assert_eq!(village_rows(&s), check_ins);
        let state = CaptureState::replay(&log);
        if let Some(d) = &state.duty {
            prop_assert!(kept.contains(&(d.duty, d.since, None)));
        }
        if let Some(v) = &state.stay {
            let rows = village_rows(&s);
            prop_assert!(rows.contains(&(v.check_in, None)));
        }
        // The views kept record by record are the ones rebuilt from the log.
        let before = super::tests::snapshot(&s);
        let mut s = s;
        s.rebuild_views().unwrap();
        prop_assert_eq!(&s.visits(at(-10_000), at(10_000)).unwrap(), &rows);
        prop_assert_eq!(super::tests::snapshot(&s), before);
        // The capture state's open visit is the latest check-in's, as the view shows it.
        if let Some(open) = CaptureState::replay(&log).visit {
            let r = by_id[&open.check_in];
            prop_assert_eq!(
                (r.ended_at, r.retracted, r.photos, &r.notes, r.accuracy_m),
                (None, false, open.photos, &open.notes, open.accuracy_m)
            );
        }
    }
}
