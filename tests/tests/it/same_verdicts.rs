//! End to end over real HTTP: a cadre's phone captures a morning in the village offline and
//! syncs to the real server; the township supervisor then reads the cadre's report from the
//! server. The phone's own estimate and the server's verdict agree rule by rule — the phone
//! shows the cadre the verdict the supervisor will see.

use chrono::{DateTime, Duration, Utc};
use zhucun_mobile_core::capture::{Capture, Command, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::platform::photo::{reencode, PhotoPolicy, SimulatedCamera};
use zhucun_mobile_core::progress;
use zhucun_mobile_core::sync::{SharedStore, SyncConfig};
use zhucun_shared::period::{day_start, local_date, Period, PeriodKind};
use zhucun_shared::verdict::{PersonReport, Status};
use zhucun_tests::{arrive_in_village, fix, part_numbers, DemoServer};

/// On duty in the village for `minutes`, a fix a minute, visiting `visits` households for
/// 10 minutes each with a photo and a note.
fn capture(store: &SharedStore, start: DateTime<Utc>, minutes: i64, visits: usize) {
    let mut s = store.lock().unwrap();
    let reference = s.reference().unwrap();
    let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
    let at = |m: i64| start + Duration::minutes(m);
    let homes = demo::households();
    arrive_in_village(&mut s, &reference, &mut c, at(0));
    for m in 1..=minutes {
        let k = (m - 5).div_euclid(15);
        let visiting = m >= 5 && (k as usize) < visits && (m - 5).rem_euclid(15) <= 10;
        let here = if visiting {
            homes[k as usize].location
        } else {
            demo::village_centre()
        };
        if visiting && (m - 5).rem_euclid(15) == 0 {
            let h = &homes[k as usize];
            c.exec(
                &mut s,
                &reference,
                Command::HouseholdCheckIn {
                    household_id: h.id,
                    event: None,
                },
                at(m),
            )
            .unwrap();
        }
        c.on_fix(&mut s, &reference, fix(here, at(m)), at(m))
            .unwrap();
        if visiting && (m - 5).rem_euclid(15) == 3 {
            let shot = SimulatedCamera {
                width: 1200,
                height: 900,
                seed: k as u32 + 7,
            }
            .shoot();
            let photo = reencode(&shot, &PhotoPolicy::default()).unwrap();
            c.photo(&mut s, None, &photo, at(m), at(m)).unwrap();
            c.exec(
                &mut s,
                &reference,
                Command::Note {
                    attached_to: None,
                    text: format!("第{}户：了解生产生活", k + 1),
                },
                at(m),
            )
            .unwrap();
        }
        if visiting && (m - 5).rem_euclid(15) == 10 {
            c.exec(&mut s, &reference, Command::HouseholdCheckOut, at(m))
                .unwrap();
        }
    }
    c.exec(&mut s, &reference, Command::EndDuty, at(minutes))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_shows_the_verdict_the_supervisor_sees() {
    let server = DemoServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (store, sync) = server
        .signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;

    // Offline: a morning in the village with four household visits, within one month (China
    // time): in the first hours of a month, the last evening of the month before.
    let minutes = 4 * 60 + 10;
    let mut start = Utc::now() - Duration::hours(5);
    let month_of = |t: DateTime<Utc>| Period::containing(PeriodKind::Month, local_date(t));
    if month_of(start) != month_of(start + Duration::minutes(minutes)) {
        let month = month_of(Utc::now()).expect("a month");
        start = day_start(month.first_day()) - Duration::hours(5);
    }
    let month = month_of(start).expect("a month");
    capture(&store, start, minutes, 4);
    let report = sync.sync_once(&store, Utc::now()).await.unwrap();
    assert!(report.records_sent > 60, "{report:?}");
    assert_eq!(report.photos_completed, 4);

    // The supervisor reads the cadre's report from the server.
    let now = Utc::now();
    let server: PersonReport = server.month_report("jiancha", demo::ME, month).await;

    // The phone's own estimate, from its own log and the reference it pulled.
    let s = store.lock().unwrap();
    let phone = progress::compute_month(
        &s.reference().unwrap(),
        &s.all_records().unwrap(),
        demo::ME,
        month,
        now,
    );
    drop(s);
    let local: Vec<_> = phone.rows.iter().filter_map(|r| r.local.clone()).collect();
    assert_eq!(local.len(), server.verdicts.len(), "the same rules apply");
    for (l, v) in local.iter().zip(&server.verdicts) {
        assert_eq!(l.rule_id, v.rule_id);
        assert_eq!(
            part_numbers(l),
            part_numbers(v),
            "{}: phone and server disagree",
            v.rule_id
        );
    }
    // And the morning counted: four visits with notes in the home-visit ledger.
    let ledger = server
        .verdict("R-35")
        .expect("the team leader keeps the home-visit ledger");
    assert_eq!((ledger.parts[0].counted, ledger.parts[0].required), (4, 4));
    assert_ne!(ledger.status, Status::Short);
}
