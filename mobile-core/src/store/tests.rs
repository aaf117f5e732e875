use super::*;
use chrono::{DateTime, Duration, Utc};
use zhucun_shared::ids::{HouseholdId, RecordId, VillageId};
use zhucun_shared::record::{Fix, FixProvider, RecordBody};

fn t0() -> DateTime<Utc> {
    "2026-11-16T01:00:00Z".parse().unwrap()
}

pub(super) fn enrolled() -> Store {
    let mut s = Store::in_memory().unwrap();
    s.set_identity(
        Identity {
            device_id: DeviceId::new(),
            person_id: PersonId::new(),
        },
        0,
    )
    .unwrap();
    s
}

fn fix(at: DateTime<Utc>) -> Fix {
    Fix {
        lat: 26.5,
        lon: 106.7,
        accuracy_m: 8.0,
        time: at,
        monotonic_ms: None,
        provider: FixProvider::Simulated,
        mock: false,
    }
}

/// Everything the views hold, to compare before and after a failed write.
pub(super) fn snapshot(s: &Store) -> String {
    let far = t0() + Duration::days(400);
    let past = t0() - Duration::days(400);
    let duties = s.duty_sessions(past, far).unwrap();
    let tracks: Vec<_> = duties.iter().map(|d| s.track(d.duty_id).unwrap()).collect();
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        s.all_records().unwrap(),
        duties,
        tracks,
        s.visits(past, far).unwrap(),
        s.open_village_stay().unwrap(),
        s.entries(100).unwrap(),
        s.pending_photos().unwrap(),
    )
}

#[test]
fn appends_get_contiguous_seqs_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let ids = {
        let mut s = Store::open(&path).unwrap();
        s.set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: PersonId::new(),
            },
            0,
        )
        .unwrap();
        let duty = s
            .append(t0(), RecordBody::DutyStart { village_id: None })
            .unwrap();
        let f = s.append(t0(), RecordBody::Fix { fix: fix(t0()) }).unwrap();
        assert_eq!((duty.seq, f.seq), (1, 2));
        (duty.id, f.id)
    };
    let s = Store::open(&path).unwrap();
    let all = s.all_records().unwrap();
    assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!((all[0].id, all[1].id), ids);
    assert_eq!(s.open_duty().unwrap().unwrap().duty_id, ids.0);
    assert_eq!(s.track(ids.0).unwrap().len(), 1);
    let mode: String = s
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn nothing_is_written_before_enrolment() {
    let mut s = Store::in_memory().unwrap();
    let err = s.append(t0(), RecordBody::DutyStart { village_id: None });
    assert!(matches!(err, Err(StoreError::NotEnrolled)));
}

/// Every kind of write, in an order that exercises every view.
fn story(duty: RecordId, visit: RecordId) -> Vec<(RecordBody, Option<Vec<u8>>)> {
    let sha = "ab".repeat(32);
    vec![
        (
            RecordBody::Fix {
                fix: fix(t0() + Duration::minutes(1)),
            },
            None,
        ),
        (
            RecordBody::VillageCheckIn {
                village_id: VillageId::new(),
                fix: Some(fix(t0())),
            },
            None,
        ),
        (
            RecordBody::HouseholdCheckIn {
                household_id: HouseholdId::new(),
                fix: None,
                event: None,
            },
            None,
        ),
        (
            RecordBody::VisitFix {
                check_in: visit,
                fix: fix(t0()),
            },
            None,
        ),
        (
            RecordBody::Photo {
                attached_to: visit,
                sha256: sha,
                taken_at: t0(),
                position: None,
                bytes: 3,
            },
            Some(vec![1, 2, 3]),
        ),
        (
            RecordBody::Note {
                attached_to: visit,
                text: "了解到户主腿伤".into(),
                replaces: None,
                kind: None,
            },
            None,
        ),
        (
            RecordBody::HouseholdCheckOut {
                check_in: visit,
                fix: None,
            },
            None,
        ),
        (
            RecordBody::Activity {
                kind: zhucun_shared::record::ActivityKind::Training,
                village_id: None,
                held_on: t0().date_naive(),
                person_times: Some(30),
                quantity: None,
                title: "茶叶修剪培训".into(),
                text: String::new(),
            },
            None,
        ),
        (
            RecordBody::Retraction {
                target: visit,
                reason: "误签".into(),
            },
            None,
        ),
        (RecordBody::DutyEnd { duty }, None),
    ]
}

/// A write interrupted between any two of its statements leaves the log and every view as
/// they were; the same write then succeeds with the seq it would have had.
#[test]
fn a_write_interrupted_between_statements_leaves_no_trace() {
    let mut s = enrolled();
    let duty = s
        .append(t0(), RecordBody::DutyStart { village_id: None })
        .unwrap()
        .id;
    // The visit id is only known once the check-in is written; use a placeholder first and
    // patch the story as it goes.
    let mut visit = RecordId::new();
    let mut interrupted = 0;
    for i in 0..story(duty, visit).len() {
        let (body, file) = story(duty, visit).swap_remove(i);
        let before = snapshot(&s);
        let seq_before = s.last_seq().unwrap();
        for limit in 0.. {
            s.interrupt_after = Some(limit);
            let res = match &file {
                Some(data) => s.append_photo(t0(), body.clone(), data),
                None => s.append(t0(), body.clone()),
            };
            s.interrupt_after = None;
            match res {
                Err(StoreError::Interrupted(_)) => {
                    interrupted += 1;
                    assert_eq!(snapshot(&s), before, "step {limit} of {}", body.type_name());
                }
                Ok(rec) => {
                    assert_eq!(rec.seq, seq_before + 1);
                    if matches!(rec.body, RecordBody::HouseholdCheckIn { .. }) {
                        visit = rec.id;
                    }
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(interrupted >= 20, "only {interrupted} interruption points");
    let far = t0() + Duration::days(1);
    let visits = s.visits(t0() - Duration::days(1), far).unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].photos, 1);
    assert!(visits[0].retracted);
    assert_eq!(visits[0].accuracy_m, Some(8.0));
    assert!(s.open_duty().unwrap().is_none());
}

#[test]
fn the_confirmed_point_moves_only_forward_and_never_past_the_log() {
    let mut s = enrolled();
    for i in 0..5 {
        s.append(
            t0(),
            RecordBody::Fix {
                fix: fix(t0() + Duration::seconds(i)),
            },
        )
        .unwrap();
    }
    assert_eq!(s.queue_state().unwrap().pending_records, 5);
    assert_eq!(s.confirm(3).unwrap(), 3);
    // A stale or smaller answer never moves the mark back.
    assert_eq!(s.confirm(1).unwrap(), 3);
    // A watermark beyond what this phone wrote is not believed.
    assert_eq!(s.confirm(99).unwrap(), 5);
    let q = s.queue_state().unwrap();
    assert_eq!((q.pending_records, q.confirmed_seq), (0, 5));
    assert_eq!(s.records_after(3, 10).unwrap().len(), 2);
}

#[test]
fn a_photo_file_is_kept_until_the_server_holds_all_of_it() {
    let mut s = enrolled();
    let visit = RecordId::new();
    let sha = "cd".repeat(32);
    s.append_photo(
        t0(),
        RecordBody::Photo {
            attached_to: visit,
            sha256: sha.clone(),
            taken_at: t0(),
            position: None,
            bytes: 4,
        },
        &[9, 9, 9, 9],
    )
    .unwrap();
    assert_eq!(s.queue_state().unwrap().pending_photo_bytes, 4);
    s.set_photo_uploaded(&sha, 2).unwrap();
    assert_eq!(s.queue_state().unwrap().pending_photo_bytes, 2);
    assert_eq!(s.photo_data(&sha).unwrap().unwrap(), vec![9, 9, 9, 9]);
    s.set_photo_complete(&sha).unwrap();
    assert!(s.photo_data(&sha).unwrap().is_none());
    assert!(s.pending_photos().unwrap().is_empty());
}

#[test]
fn a_long_silence_breaks_the_trajectory_into_segments() {
    let mut s = enrolled();
    let duty = s
        .append(t0(), RecordBody::DutyStart { village_id: None })
        .unwrap()
        .id;
    for m in [0, 2, 4, 30, 32] {
        s.append(
            t0(),
            RecordBody::Fix {
                fix: fix(t0() + Duration::minutes(m)),
            },
        )
        .unwrap();
    }
    let segs: Vec<u32> = s.track(duty).unwrap().iter().map(|p| p.segment).collect();
    assert_eq!(segs, vec![0, 0, 0, 1, 1]);
}

#[test]
fn fixes_off_duty_are_kept_in_the_log_but_not_in_the_trajectory() {
    let mut s = enrolled();
    s.append(t0(), RecordBody::Fix { fix: fix(t0()) }).unwrap();
    let duty = s
        .append(t0(), RecordBody::DutyStart { village_id: None })
        .unwrap()
        .id;
    assert!(s.track(duty).unwrap().is_empty());
}

#[test]
fn a_session_is_kept_whole_and_a_new_device_starts_after_the_log() {
    let mut s = Store::in_memory().unwrap();
    let id = Identity {
        device_id: DeviceId::new(),
        person_id: PersonId::new(),
    };
    s.set_session_expired().unwrap();
    s.save_session(&Session {
        identity: id,
        token: "t1",
        server_url: "https://zhucun.example.cn",
        person_name: "杨",
    })
    .unwrap();
    assert_eq!(s.identity().unwrap(), Some(id));
    assert_eq!(s.meta("token").unwrap().as_deref(), Some("t1"));
    assert_eq!(
        s.meta("server_url").unwrap().as_deref(),
        Some("https://zhucun.example.cn")
    );
    assert!(!s.session_expired().unwrap());
    assert_eq!((s.seq_base().unwrap(), s.confirmed_seq().unwrap()), (0, 0));
}

#[test]
fn a_forked_log_is_re_logged_under_the_new_device_with_ids_unchanged() {
    let mut s = enrolled();
    for i in 0..5 {
        s.append(
            t0(),
            RecordBody::Fix {
                fix: fix(t0() + Duration::seconds(i)),
            },
        )
        .unwrap();
    }
    s.confirm(2).unwrap();
    let before = s.all_records().unwrap();
    let device = DeviceId::new();
    assert_eq!(s.fork(device).unwrap(), 3);
    let after = s.all_records().unwrap();
    assert_eq!(after.len(), 5);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.body, b.body);
    }
    assert_eq!(after[1].device_id, before[1].device_id);
    let tail: Vec<_> = after[2..].iter().map(|r| (r.device_id, r.seq)).collect();
    assert_eq!(tail, vec![(device, 1), (device, 2), (device, 3)]);
    assert_eq!(s.identity().unwrap().unwrap().device_id, device);
    // The next record continues the new device's log.
    let next = s
        .append(
            t0(),
            RecordBody::Fix {
                fix: fix(t0() + Duration::seconds(9)),
            },
        )
        .unwrap();
    assert_eq!((next.device_id, next.seq), (device, 4));
    assert_eq!(s.queue_state().unwrap().pending_records, 4);
    // The server of the new device holding 4: consistent; holding 9: forked again.
    s.confirm(6).unwrap();
    assert_eq!(s.check_watermark(4).unwrap(), Watermark::Consistent);
    assert_eq!(s.check_watermark(9).unwrap(), Watermark::Forked);
    // Holding only 1: the rest goes again.
    assert_eq!(s.check_watermark(1).unwrap(), Watermark::Rewound);
    assert_eq!(s.queue_state().unwrap().pending_records, 3);
}

#[test]
fn what_was_set_aside_goes_back_in_the_queue_but_not_across_a_fork() {
    let mut s = enrolled();
    let append = |s: &mut Store, i: i64| {
        s.append(
            t0(),
            RecordBody::Fix {
                fix: fix(t0() + Duration::seconds(i)),
            },
        )
        .unwrap()
        .seq
    };
    for i in 0..3 {
        append(&mut s, i);
    }
    // Record 2 was refused; the server took 1 and 3.
    s.quarantine(2, "村不在任职范围内", t0()).unwrap();
    s.confirm(3).unwrap();
    assert_eq!(s.queue_state().unwrap().pending_records, 0);
    assert_eq!(s.retry_set_aside().unwrap(), 1);
    let q = s.queue_state().unwrap();
    assert_eq!(
        (q.confirmed_seq, q.pending_records, q.set_aside.len()),
        (1, 2, 0)
    );
    assert_eq!(
        s.unconfirmed(10)
            .unwrap()
            .iter()
            .map(|(l, _)| *l)
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    // Set aside again, then the log forks: the old device's refused record stays aside.
    s.quarantine(2, "村不在任职范围内", t0()).unwrap();
    s.confirm(3).unwrap();
    s.fork(DeviceId::new()).unwrap();
    append(&mut s, 9);
    assert_eq!(s.retry_set_aside().unwrap(), 0);
    let q = s.queue_state().unwrap();
    assert_eq!(
        (q.confirmed_seq, q.pending_records, q.set_aside.len()),
        (3, 1, 1)
    );
}
