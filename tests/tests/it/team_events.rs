//! End to end over real HTTP: the team leader records a 四必到 event; a resident member's
//! phone lists it after a sync, with who recorded it, and attends it on site with 前往处理;
//! after both sync, the event shows attended by the member on the leader's phone, and the
//! member's phone and the server agree on R-241 — the team's attendance counts.

use chrono::Utc;
use zhucun_mobile_core::capture::{Capture, Command, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::progress;
use zhucun_mobile_core::sync::SyncConfig;
use zhucun_shared::period::local_date;
use zhucun_shared::record::EventKind;
use zhucun_shared::verdict::Status;
use zhucun_tests::{fix, part_numbers, DemoServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_attends_the_leader_s_event_and_r241_agrees() {
    let server = DemoServer::start().await;
    let wu = server.teammate_account().await;
    let today = local_date(Utc::now());

    // The leader records an event of today, away from any household, and syncs.
    let leader_dir = tempfile::tempdir().unwrap();
    let (leader, leader_sync) = server
        .signed_in_phone(&leader_dir, "yang", SyncConfig::default())
        .await;
    let event = {
        let mut s = leader.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::Event {
                kind: EventKind::Dispute,
                occurred_on: today,
                household_id: None,
                description: "邻里宅基地纠纷".into(),
            },
            Utc::now(),
        )
        .unwrap()[0]
            .id
    };
    leader_sync.sync_once(&leader, Utc::now()).await.unwrap();

    // The member's phone lists it after its sync, recorded by the leader, not yet attended.
    let member_dir = tempfile::tempdir().unwrap();
    let (member, member_sync) = server
        .signed_in_phone(&member_dir, wu, SyncConfig::default())
        .await;
    member_sync.sync_once(&member, Utc::now()).await.unwrap();
    let attended = {
        let mut s = member.lock().unwrap();
        let open = s.open_events(today, 3, 7).unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!((open[0].event, open[0].recorded_by), (event, demo::ME));
        assert!(open[0].attended.is_none());
        let reference = s.reference().unwrap();
        assert!(reference.org.person(demo::ME).is_some());
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        let now = Utc::now();
        c.on_fix(&mut s, &reference, fix(demo::village_centre(), now), now)
            .unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::AttendEvent {
                event,
                village_id: demo::VILLAGE,
                household_id: None,
            },
            now,
        )
        .unwrap()[0]
            .id
    };
    let sent = member_sync.sync_once(&member, Utc::now()).await.unwrap();
    assert_eq!(sent.set_aside, 0, "{sent:?}");

    // The leader's phone shows it attended by the member.
    leader_sync.sync_once(&leader, Utc::now()).await.unwrap();
    {
        let s = leader.lock().unwrap();
        let open = s.open_events(today, 3, 7).unwrap();
        assert_eq!(
            open.iter()
                .map(|e| (e.event, e.attended.map(|a| (a.check_in, a.by))))
                .collect::<Vec<_>>(),
            [(event, Some((attended, demo::TEAMMATE)))]
        );
    }

    // The member's phone and the server agree on R-241: attended, by the team.
    member_sync.sync_once(&member, Utc::now()).await.unwrap();
    let now = Utc::now();
    let report = server.report(wu, demo::TEAMMATE, now).await;
    let s = member.lock().unwrap();
    let phone = progress::compute(
        &s.reference().unwrap(),
        &s.records_for_estimate().unwrap(),
        demo::TEAMMATE,
        now,
    );
    let served = report
        .verdict("R-241")
        .expect("R-241 on the server")
        .clone();
    let local = phone
        .rows
        .iter()
        .find(|r| r.rule_id == "R-241")
        .and_then(|r| r.local.clone())
        .expect("R-241 on the phone");
    assert_eq!(part_numbers(&local), part_numbers(&served), "{served:#?}");
    let part = &served.parts[0];
    assert_eq!((part.status, part.counted), (Status::Met, 1), "{served:#?}");
    assert_eq!(part.evidence[0].records, [event, attended]);
}
