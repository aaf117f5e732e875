//! Killing the app at any instant: a child process writes visits, photos and fixes as fast as
//! it can and is killed with SIGKILL at a random moment, again and again. After each kill the
//! store must open, its log must run 1..n without a gap, and every view must agree with the
//! log: whole records or none.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::process::Command;
use zhucun_mobile_core::platform::photo::sha256_hex;
use zhucun_mobile_core::store::Identity;
use zhucun_mobile_core::Store;
use zhucun_shared::ids::{DeviceId, HouseholdId, PersonId, VillageId};
use zhucun_shared::record::{Fix, FixProvider, RecordBody};

const CHILD_DB: &str = "ZHUCUN_CRASH_CHILD_DB";

fn t0() -> DateTime<Utc> {
    "2026-11-16T01:00:00Z".parse().unwrap()
}

fn fix(at: DateTime<Utc>) -> Fix {
    Fix {
        lat: 26.57,
        lon: 106.71,
        accuracy_m: 9.0,
        time: at,
        monotonic_ms: None,
        provider: FixProvider::Simulated,
        mock: true,
    }
}

/// The child: writes until it is killed.
#[test]
#[ignore = "run by killing_the_app_at_any_instant_keeps_whole_records_or_none"]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let mut store = Store::open(&path).unwrap();
    if store.identity().unwrap().is_none() {
        store
            .set_identity(
                Identity {
                    device_id: DeviceId::new(),
                    person_id: PersonId::new(),
                },
                0,
            )
            .unwrap();
    }
    let mut rng = rand::thread_rng();
    let mut t = t0() + Duration::seconds(store.last_seq().unwrap() as i64);
    // Each run works inside one duty session, so every fix belongs to the trajectory.
    store
        .append(
            t,
            RecordBody::DutyStart {
                village_id: Some(VillageId::new()),
            },
        )
        .unwrap();
    loop {
        t += Duration::seconds(30);
        let check_in = store
            .append(
                t,
                RecordBody::HouseholdCheckIn {
                    household_id: HouseholdId::new(),
                    fix: None,
                    event: None,
                },
            )
            .unwrap()
            .id;
        store
            .append(
                t,
                RecordBody::VisitFix {
                    check_in,
                    fix: fix(t),
                },
            )
            .unwrap();
        let data: Vec<u8> = (0..40_000).map(|_| rng.gen()).collect();
        store
            .append_photo(
                t,
                RecordBody::Photo {
                    attached_to: check_in,
                    sha256: sha256_hex(&data),
                    taken_at: t,
                    position: None,
                    bytes: data.len() as u64,
                },
                &data,
            )
            .unwrap();
        store
            .append(
                t,
                RecordBody::Note {
                    attached_to: check_in,
                    text: "走访记录".into(),
                    replaces: None,
                    kind: None,
                },
            )
            .unwrap();
        store
            .append(
                t,
                RecordBody::HouseholdCheckOut {
                    check_in,
                    fix: None,
                },
            )
            .unwrap();
        for _ in 0..3 {
            t += Duration::seconds(40);
            store.append(t, RecordBody::Fix { fix: fix(t) }).unwrap();
        }
    }
}

/// Everything the log says the views must hold.
fn check_consistency(store: &Store) -> usize {
    let records = store.all_records().unwrap();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.seq, i as u64 + 1, "the log has a gap at {i}");
    }
    let far = t0() + Duration::days(365);
    let visits = store.visits(t0() - Duration::days(1), far).unwrap();
    let by_id: HashMap<_, _> = visits.iter().map(|v| (v.check_in_id, v)).collect();
    let mut check_ins = 0;
    let mut photos = HashSet::new();
    let mut fixes = 0;
    for r in &records {
        match &r.body {
            RecordBody::HouseholdCheckIn { .. } => {
                check_ins += 1;
                assert!(by_id.contains_key(&r.id), "a check-in without its visit");
            }
            RecordBody::VisitFix { check_in, .. } => {
                assert_eq!(by_id[check_in].accuracy_m, Some(9.0));
            }
            RecordBody::HouseholdCheckOut { check_in, .. } => {
                assert!(by_id[check_in].ended_at.is_some());
            }
            RecordBody::Photo {
                sha256,
                bytes,
                attached_to,
                ..
            } => {
                let data = store
                    .photo_data(sha256)
                    .unwrap()
                    .expect("a photo record without its file");
                assert_eq!(data.len() as u64, *bytes);
                assert_eq!(&sha256_hex(&data), sha256, "a torn photo file");
                assert!(by_id[attached_to].photos >= 1);
                photos.insert(sha256.clone());
            }
            RecordBody::Note { attached_to, .. } => {
                assert!(!by_id[attached_to].notes.is_empty());
            }
            RecordBody::Fix { .. } => fixes += 1,
            _ => {}
        }
    }
    assert_eq!(visits.len(), check_ins, "a visit without its check-in");
    let open_visits = visits.iter().filter(|v| v.ended_at.is_none()).count();
    assert!(
        open_visits <= 8,
        "{open_visits} visits left open by 8 kills"
    );
    assert_eq!(store.pending_photos().unwrap().len(), photos.len());
    let duties = store.duty_sessions(t0() - Duration::days(1), far).unwrap();
    let tracked: usize = duties
        .iter()
        .map(|d| store.track(d.duty_id).unwrap().len())
        .sum();
    assert_eq!(tracked, fixes, "a fix without its trajectory point");
    records.len()
}

#[test]
fn killing_the_app_at_any_instant_keeps_whole_records_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    let mut last = 0;
    for round in 0..8 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DB, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(150..600)));
        child.kill().unwrap(); // SIGKILL: no destructor, no rollback, no flush runs
        child.wait().unwrap();
        let store = Store::open(&path).unwrap();
        let n = check_consistency(&store);
        assert!(
            n >= last,
            "round {round}: the log shrank from {last} to {n}"
        );
        last = n;
    }
    assert!(last > 50, "the child wrote only {last} records");
}
