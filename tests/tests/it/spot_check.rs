//! End to end over real HTTP: a cadre's phone syncs a morning with a mocked location; the
//! township supervisor's phone syncs and finds it first in the spot-check queue, writes a
//! finding, and the next sync shows the item checked.

use chrono::{Duration, Utc};
use zhucun_mobile_core::capture::{Capture, Command, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::sync::SyncConfig;
use zhucun_shared::record::RecordBody;
use zhucun_shared::spot_check::SpotCheckReason;
use zhucun_shared::verdict::FlagKind;
use zhucun_tests::{fix, DemoServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_finds_a_mocked_location_first_and_closes_it_with_a_finding() {
    let server = DemoServer::start().await;
    let start = Utc::now() - Duration::minutes(40);

    // The cadre: a duty with fixes in the village, one of them from a mock-location app.
    let cadre_dir = tempfile::tempdir().unwrap();
    let (cadre, cadre_sync) = server
        .signed_in_phone(&cadre_dir, "yang", SyncConfig::default())
        .await;
    let mocked = {
        let mut s = cadre.lock().unwrap();
        let mut mocked = None;
        for m in 0..10 {
            let t = start + Duration::minutes(m);
            let mut f = fix(demo::village_centre(), t);
            f.mock = m == 5;
            let rec = s.append(t, RecordBody::Fix { fix: f }).unwrap();
            if m == 5 {
                mocked = Some(rec.id);
            }
        }
        mocked.unwrap()
    };
    cadre_sync.sync_once(&cadre, Utc::now()).await.unwrap();

    // The supervisor's phone: the queue comes with the sync.
    let sup_dir = tempfile::tempdir().unwrap();
    let (sup, sup_sync) = server
        .signed_in_phone(&sup_dir, "jiancha", SyncConfig::default())
        .await;
    let queue = sup_sync
        .spot_checks(&sup, Utc::now())
        .await
        .unwrap()
        .expect("a supervisor has a queue");
    let first = &queue.items[0];
    assert_eq!(
        (first.person_id, first.reason, first.records.as_slice()),
        (
            demo::ME,
            SpotCheckReason::Flag(FlagKind::MockLocation),
            [mocked].as_slice()
        ),
        "{queue:?}"
    );
    // The cadre's phone has no queue: it is not a supervisor.
    assert!(cadre_sync
        .spot_checks(&cadre, Utc::now())
        .await
        .unwrap()
        .is_none());

    // The supervisor writes a finding against it and syncs.
    {
        let mut s = sup.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::Note {
                attached_to: Some(mocked),
                text: "电话核实：手机装有模拟定位软件，已约谈".into(),
            },
            Utc::now(),
        )
        .unwrap();
    }
    sup_sync.sync_once(&sup, Utc::now()).await.unwrap();
    let queue = sup_sync
        .spot_checks(&sup, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let item = queue.items.iter().find(|i| i.records == [mocked]).unwrap();
    assert_eq!(
        item.finding.as_ref().map(|f| f.text.as_str()),
        Some("电话核实：手机装有模拟定位软件，已约谈")
    );
    assert!(
        queue
            .items
            .iter()
            .all(|i| i.finding.is_some() || i.records != [mocked]),
        "a checked item is not asked again"
    );
}
