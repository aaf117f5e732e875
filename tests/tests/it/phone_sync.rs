//! The sync engine against the real server on a port-0 listener: a cadre signs in, captures a
//! morning in the village offline, and syncs; the queue empties only as far as the server
//! confirms, photos resume where they stopped, and the verdicts come back to the phone.

use chrono::{DateTime, Duration, Utc};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zhucun_mobile_core::capture::ReportDraft;
use zhucun_mobile_core::capture::{Capture, Command, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::platform::photo::{reencode, PhotoPolicy, SimulatedCamera};
use zhucun_mobile_core::progress;
use zhucun_mobile_core::store::{AttachedFile, FileKind};
use zhucun_mobile_core::sync::{Api, Backoff, SharedStore, SyncConfig, SyncEngine};
use zhucun_mobile_core::Store;
use zhucun_server::open_store;
use zhucun_server::store::Store as _;
use zhucun_shared::ids::{DeviceId, RecordId};
use zhucun_shared::period::{Period, PeriodKind};
use zhucun_shared::record::RecordBody;
use zhucun_shared::record::ReportKind;
use zhucun_shared::sync::paths;
use zhucun_tests::{arrive_in_village, fix, phone, DemoServer as Server, PASSWORD};

fn engine(base: &str, config: SyncConfig) -> SyncEngine {
    SyncEngine::new(Api::new(base).unwrap(), config)
}

/// A morning in the village, captured with no network: duty, village check-in, three visits
/// of 10 minutes with a photo and a note each, fixes every two minutes.
fn capture_morning(store: &SharedStore, start: DateTime<Utc>) -> usize {
    let mut s = store.lock().unwrap();
    let reference = s.reference().unwrap();
    let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
    let at = |m: i64| start + Duration::minutes(m);
    arrive_in_village(&mut s, &reference, &mut c, at(0));
    let mut photos = 0;
    for (i, h) in demo::households().iter().take(3).enumerate() {
        let m0 = 5 + i as i64 * 20;
        c.exec(
            &mut s,
            &reference,
            Command::HouseholdCheckIn {
                household_id: h.id,
                event: None,
            },
            at(m0),
        )
        .unwrap();
        for k in 0..6 {
            let t = at(m0 + k * 2);
            c.on_fix(&mut s, &reference, fix(h.location, t), t).unwrap();
        }
        let shot = SimulatedCamera {
            width: 1600,
            height: 1200,
            seed: i as u32,
        }
        .shoot();
        let photo = reencode(&shot, &PhotoPolicy::default()).unwrap();
        c.photo(&mut s, None, &photo, at(m0 + 3), at(m0 + 3))
            .unwrap();
        photos += 1;
        c.exec(
            &mut s,
            &reference,
            Command::Note {
                attached_to: None,
                text: format!("第{}户走访记录", i + 1),
            },
            at(m0 + 8),
        )
        .unwrap();
        c.exec(&mut s, &reference, Command::HouseholdCheckOut, at(m0 + 10))
            .unwrap();
    }
    c.exec(&mut s, &reference, Command::EndDuty, at(70))
        .unwrap();
    photos
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_morning_captured_offline_syncs_and_the_verdicts_come_back() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = phone(&dir);
    let mut sync = engine(
        &srv.base,
        SyncConfig {
            batch: 7,
            photo_chunk: 16 * 1024,
            max_attempts: 3,
        },
    );
    let id = sync
        .sign_in(&store, "yang", PASSWORD, "测试手机")
        .await
        .unwrap();
    assert_eq!(id.person_id, demo::ME);
    // The first sync brings the village down.
    let first = sync.sync_once(&store, Utc::now()).await.unwrap();
    assert!(first.reference_changed);
    assert_eq!(
        store
            .lock()
            .unwrap()
            .reference()
            .unwrap()
            .org
            .households
            .len(),
        12
    );

    let photos = capture_morning(&store, Utc::now() - Duration::hours(3));
    let written = store.lock().unwrap().last_seq().unwrap();
    assert!(written > 20, "{written}");
    let q = store.lock().unwrap().queue_state().unwrap();
    assert_eq!(
        (q.pending_records, q.pending_photos),
        (written, photos as u64)
    );

    let report = sync.sync_once(&store, Utc::now()).await.unwrap();
    assert_eq!(report.records_sent, written);
    assert_eq!(report.confirmed_seq, written);
    assert_eq!(report.photos_completed, photos as u64);
    let q = store.lock().unwrap().queue_state().unwrap();
    assert_eq!(
        (q.pending_records, q.pending_photos, q.pending_photo_bytes),
        (0, 0, 0)
    );
    assert!(q.last_success.is_some());
    // Uploaded photo files are no longer kept on the phone.
    let shas: Vec<String> = store
        .lock()
        .unwrap()
        .all_records()
        .unwrap()
        .iter()
        .filter_map(|r| match &r.body {
            zhucun_shared::record::RecordBody::Photo { sha256, .. } => Some(sha256.clone()),
            _ => None,
        })
        .collect();
    for sha in &shas {
        assert!(store.lock().unwrap().photo_data(sha).unwrap().is_none());
        let status = sync
            .api()
            .file_status(FileKind::Photo, sha)
            .await
            .unwrap()
            .unwrap();
        assert!(status.complete);
    }

    // The server's verdicts for this month are on the phone, next to its own estimate.
    let s = store.lock().unwrap();
    let reference = s.reference().unwrap();
    assert!(!reference.verdicts.is_empty());
    let records = s.all_records().unwrap();
    let p = progress::compute(&reference, &records, demo::ME, Utc::now());
    assert!(p.server_evaluated_at.is_some());
    assert!(p.rows.iter().any(|r| r.server.is_some()), "{:?}", p.rows);
    drop(s);

    // The team leader sees the team: the other member, with a status, from one request
    // (before, one for the people and then a report and a trajectory per member: 1 + 2N).
    let team = sync.team(&store, Utc::now()).await.unwrap();
    assert_eq!(srv.gets(paths::TEAM), 1);
    for separate in [
        paths::PEOPLE,
        paths::PERSON_REPORT,
        paths::PERSON_TRAJECTORY,
    ] {
        assert_eq!(srv.gets(separate), 0, "{separate}");
    }
    assert_eq!(team.len(), 1, "{team:?}");
    assert_eq!(team[0].person_id, demo::TEAMMATE);
    assert_eq!(team[0].name, "吴海燕");
    assert!(team[0].track.is_empty());

    // Nothing more to send: a second sync pushes nothing.
    let again = sync.sync_once(&store, Utc::now()).await.unwrap();
    assert_eq!((again.records_sent, again.photos_completed), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_photo_upload_resumes_where_it_stopped() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (store, sync) = srv
        .signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    capture_morning(&store, Utc::now() - Duration::hours(2));
    let pending = store.lock().unwrap().pending_photos().unwrap();
    let first = &pending[0];
    let data = store
        .lock()
        .unwrap()
        .photo_data(&first.sha256)
        .unwrap()
        .unwrap();
    // The signal dropped after the first 20 000 bytes of the first photo.
    let part = sync
        .api()
        .upload_chunk(
            FileKind::Photo,
            &first.sha256,
            0,
            data.len() as u64,
            &data[..20_000],
        )
        .await
        .unwrap();
    assert_eq!((part.received_bytes, part.complete), (20_000, false));
    let total: u64 = pending.iter().map(|p| p.bytes).sum();
    let report = sync.sync_once(&store, Utc::now()).await.unwrap();
    assert_eq!(report.photos_completed, pending.len() as u64);
    assert_eq!(report.photo_bytes_sent, total - 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_retried_with_backoff_and_nothing_is_trimmed() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (store, sync) = srv
        .signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    capture_morning(&store, Utc::now() - Duration::hours(2));
    let before = store.lock().unwrap().queue_state().unwrap();

    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let offline = SyncEngine::new(
        Api::new(&dead).unwrap(),
        SyncConfig {
            max_attempts: 4,
            ..SyncConfig::default()
        },
    );
    let mut backoff = Backoff::new(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(60),
    );
    let mut waits = Vec::new();
    let err = offline
        .sync_with_retry(&store, Utc::now, &mut backoff, |d| {
            waits.push(d);
            async {}
        })
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(waits.len(), 3, "three waits between four tries");
    assert!(waits[2] > waits[0], "{waits:?}");
    let after = store.lock().unwrap().queue_state().unwrap();
    assert_eq!(after.pending_records, before.pending_records);
    assert_eq!(after.pending_photos, before.pending_photos);
    assert!(after.last_error.is_some());

    // Back in coverage: everything goes, and the error is cleared.
    sync.sync_once(&store, Utc::now()).await.unwrap();
    let q = store.lock().unwrap().queue_state().unwrap();
    assert_eq!((q.pending_records, q.pending_photos), (0, 0));
    assert!(q.last_error.is_none());
}

/// An engine carrying the session kept in `store`.
fn engine_of(base: &str, store: &SharedStore) -> SyncEngine {
    let token = store.lock().unwrap().meta("token").unwrap();
    SyncEngine::new(
        Api::new(base).unwrap().with_token(token),
        SyncConfig::default(),
    )
}

/// Appends `n` records (duty sessions opened) and returns their ids.
fn write(store: &SharedStore, n: usize) -> Vec<zhucun_shared::ids::RecordId> {
    let mut s = store.lock().unwrap();
    (0..n)
        .map(|_| {
            s.append(Utc::now(), RecordBody::DutyStart { village_id: None })
                .unwrap()
                .id
        })
        .collect()
}

/// What the server holds of the cadre's records, by id: (device, seq).
async fn on_server(srv: &Server) -> HashMap<RecordId, (DeviceId, u64)> {
    let store = open_store(&srv.url).await.unwrap();
    store
        .records_of(
            demo::ME,
            Utc::now() - Duration::days(30),
            Utc::now() + Duration::days(30),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, (r.device_id, r.seq)))
        .collect()
}

fn copy_phone(dir: &tempfile::TempDir, to: &std::path::Path) -> SharedStore {
    // The phone is closed: its WAL is checkpointed into the main file.
    std::fs::copy(dir.path().join("phone.sqlite"), to).unwrap();
    Arc::new(Mutex::new(Store::open(to).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_phone_continues_as_a_new_device_and_loses_nothing() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let copy_dir = tempfile::tempdir().unwrap();
    let b = copy_phone(&dir, &copy_dir.path().join("copy.sqlite"));
    let a = phone(&dir);
    let old_device = a.lock().unwrap().identity().unwrap().unwrap().device_id;

    // Both copies write the same seqs with different records; the original syncs first.
    let a_ids = write(&a, 3);
    engine_of(&srv.base, &a)
        .sync_once(&a, Utc::now())
        .await
        .unwrap();
    let b_ids = write(&b, 2);
    let report = engine_of(&srv.base, &b)
        .sync_once(&b, Utc::now())
        .await
        .unwrap();

    // The copy's records were not counted as held by the original's seqs: it went on as a
    // new device, with its records re-logged under fresh seqs and their ids unchanged.
    assert!(report.forked, "{report:?}");
    let new_device = b.lock().unwrap().identity().unwrap().unwrap().device_id;
    assert_ne!(new_device, old_device);
    assert_eq!(b.lock().unwrap().queue_state().unwrap().pending_records, 0);
    let held = on_server(&srv).await;
    for (i, id) in a_ids.iter().enumerate() {
        assert_eq!(held[id], (old_device, i as u64 + 1));
    }
    for (i, id) in b_ids.iter().enumerate() {
        assert_eq!(held[id], (new_device, i as u64 + 1));
    }
    // Both keep working.
    let more = write(&b, 1);
    engine_of(&srv.base, &b)
        .sync_once(&b, Utc::now())
        .await
        .unwrap();
    assert_eq!(on_server(&srv).await[&more[0]], (new_device, 3));
    write(&a, 1);
    let again = engine_of(&srv.base, &a)
        .sync_once(&a, Utc::now())
        .await
        .unwrap();
    assert!(!again.forked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_restored_from_a_backup_continues_as_a_new_device() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    {
        let p = phone(&dir);
        write(&p, 2);
        engine_of(&srv.base, &p)
            .sync_once(&p, Utc::now())
            .await
            .unwrap();
    }
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("backup.sqlite");
    std::fs::copy(dir.path().join("phone.sqlite"), &backup).unwrap();
    {
        let p = phone(&dir);
        write(&p, 3);
        engine_of(&srv.base, &p)
            .sync_once(&p, Utc::now())
            .await
            .unwrap();
    }
    // The phone is restored from the backup: the server holds seqs it never wrote.
    let restored: SharedStore = Arc::new(Mutex::new(Store::open(&backup).unwrap()));
    let old_device = restored
        .lock()
        .unwrap()
        .identity()
        .unwrap()
        .unwrap()
        .device_id;
    let report = engine_of(&srv.base, &restored)
        .sync_once(&restored, Utc::now())
        .await
        .unwrap();
    assert!(report.forked, "{report:?}");
    let new_device = restored
        .lock()
        .unwrap()
        .identity()
        .unwrap()
        .unwrap()
        .device_id;
    assert_ne!(new_device, old_device);
    // What it captures from now on reaches the server, under the new device.
    let ids = write(&restored, 2);
    engine_of(&srv.base, &restored)
        .sync_once(&restored, Utc::now())
        .await
        .unwrap();
    let held = on_server(&srv).await;
    assert_eq!(held[&ids[0]], (new_device, 1));
    assert_eq!(held[&ids[1]], (new_device, 2));
    assert_eq!(held.len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_a_backup_gets_the_records_it_lost_again() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let p = phone(&dir);
    let ids = write(&p, 4);
    let sync = engine_of(&srv.base, &p);
    sync.sync_once(&p, Utc::now()).await.unwrap();
    let device = p.lock().unwrap().identity().unwrap().unwrap().device_id;
    // The server loses everything after seq 2.
    let db = rusqlite::Connection::open(srv.dir.path().join("server.sqlite")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute(
        "DELETE FROM device_records WHERE device_id = ?1 AND seq > 2",
        [device.to_string()],
    )
    .unwrap();
    db.execute(
        "UPDATE devices SET contiguous_seq = 2 WHERE id = ?1",
        [device.to_string()],
    )
    .unwrap();
    drop(db);
    assert_eq!(on_server(&srv).await.len(), 2);

    let report = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert!(report.rewound, "{report:?}");
    let held = on_server(&srv).await;
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(held[id], (device, i as u64 + 1));
    }
    assert_eq!(p.lock().unwrap().queue_state().unwrap().pending_records, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_the_server_refuses_is_set_aside_and_the_rest_goes_on() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let p = phone(&dir);
    let before = write(&p, 2);
    // The phone's clock ran two days ahead for one record: the server refuses it.
    let ahead = p
        .lock()
        .unwrap()
        .append(
            Utc::now() + Duration::days(2),
            RecordBody::DutyStart { village_id: None },
        )
        .unwrap()
        .id;
    let after = write(&p, 2);
    let sync = engine_of(&srv.base, &p);
    let report = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!(report.set_aside, 1, "{report:?}");
    let held = on_server(&srv).await;
    for id in before.iter().chain(&after) {
        assert!(held.contains_key(id));
    }
    assert!(!held.contains_key(&ahead));
    let q = p.lock().unwrap().queue_state().unwrap();
    assert_eq!(q.pending_records, 0);
    assert_eq!(q.set_aside.len(), 1);
    assert!(q.set_aside[0].message.contains("captured_at"), "{q:?}");
    // Kept on the phone, and not sent again.
    assert!(p.lock().unwrap().record(ahead).unwrap().is_some());
    let again = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!((again.records_sent, again.set_aside), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_the_server_refuses_is_set_aside_and_later_photos_and_the_pull_go_on() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let p = phone(&dir);
    let visit = RecordId::new();
    // Not a picture at all: the server refuses the file once it has all of it.
    let junk = b"not a picture".to_vec();
    let sha = hex::encode(sha2::Sha256::digest(&junk));
    p.lock()
        .unwrap()
        .append_photo(
            Utc::now(),
            RecordBody::Photo {
                attached_to: visit,
                sha256: sha.clone(),
                taken_at: Utc::now(),
                position: None,
                bytes: junk.len() as u64,
            },
            &junk,
        )
        .unwrap();
    capture_morning(&p, Utc::now() - Duration::hours(2));
    let good = p.lock().unwrap().pending_photos().unwrap().len() as u64 - 1;
    let sync = engine_of(&srv.base, &p);
    let report = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!(report.photos_completed, good);
    assert_eq!(report.set_aside, 1);
    assert!(report.verdicts > 0, "the pull went on: {report:?}");
    let q = p.lock().unwrap().queue_state().unwrap();
    assert_eq!(q.pending_photos, 0);
    assert_eq!(q.set_aside.len(), 1);
    assert_eq!(q.set_aside[0].what, "photo");
    // The file is kept, and not uploaded again.
    assert_eq!(p.lock().unwrap().photo_data(&sha).unwrap(), Some(junk));
    let again = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!((again.photo_bytes_sent, again.set_aside), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_asks_to_sign_in_again_and_keeps_everything() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let p = phone(&dir);
    let device = p.lock().unwrap().identity().unwrap().unwrap().device_id;
    let ids = write(&p, 3);
    let expired = SyncEngine::new(
        Api::new(&srv.base)
            .unwrap()
            .with_token(Some("expired".into())),
        SyncConfig::default(),
    );
    let err = expired
        .sync_with_retry(&p, Utc::now, &mut Backoff::default(), |_| async {})
        .await
        .unwrap_err();
    assert!(err.needs_sign_in(), "{err}");
    assert!(p.lock().unwrap().session_expired().unwrap());
    // What the cadre reads is Chinese and says what to do, not "server answered 401".
    let shown = p.lock().unwrap().queue_state().unwrap().last_error.unwrap();
    for message in [err.to_string(), shown] {
        assert!(message.contains("请重新登录"), "{message}");
        assert!(
            !message.chars().any(|c| c.is_ascii_alphabetic()),
            "{message}"
        );
    }
    assert_eq!(p.lock().unwrap().queue_state().unwrap().pending_records, 3);
    // Capture goes on meanwhile.
    let later = write(&p, 1);

    let mut sync = engine(&srv.base, SyncConfig::default());
    sync.sign_in(&p, "yang", PASSWORD, "测试手机")
        .await
        .unwrap();
    assert!(!p.lock().unwrap().session_expired().unwrap());
    assert_eq!(
        p.lock().unwrap().identity().unwrap().unwrap().device_id,
        device
    );
    sync.sync_once(&p, Utc::now()).await.unwrap();
    let held = on_server(&srv).await;
    for id in ids.iter().chain(&later) {
        assert_eq!(held[id].0, device);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_with_a_document_and_a_refused_file_syncs_what_the_server_takes() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = SyncConfig {
        photo_chunk: 1024,
        ..SyncConfig::default()
    };
    let (store, sync) = srv.signed_in_phone(&dir, "yang", config).await;
    // A month's report as a PDF, several chunks long; and a file that starts like a PDF but
    // is cut off, which the phone cannot tell and the server refuses.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    for i in 0..300 {
        pdf.extend(format!("% 十一月驻村工作月报 第{i}行\n").as_bytes());
    }
    pdf.extend(b"%%EOF\n");
    let cut = pdf[..pdf.len() - 40].to_vec();
    let files = [
        AttachedFile {
            name: "十一月月报.pdf".into(),
            data: pdf.clone(),
        },
        AttachedFile {
            name: "草稿.pdf".into(),
            data: cut.clone(),
        },
    ];
    let today = zhucun_shared::period::local_date(Utc::now());
    {
        let mut s = store.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        c.exec(
            &mut s,
            &reference,
            Command::Report(ReportDraft {
                kind: ReportKind::MonthlyReport,
                village_id: Some(demo::VILLAGE),
                period: Period::containing(PeriodKind::Month, today).unwrap(),
                title: "十一月驻村工作月报".into(),
                text: "见附件".into(),
                attachments: files.to_vec(),
            }),
            Utc::now(),
        )
        .unwrap();
    }
    let report = sync.sync_once(&store, Utc::now()).await.unwrap();
    assert_eq!(report.photos_completed, 1);
    assert_eq!(report.set_aside, 1);
    let s = store.lock().unwrap();
    // The document reached the server and left the phone; the refused one stays, with why.
    assert!(s.photo_data(&files[0].sha256()).unwrap().is_none());
    assert_eq!(s.photo_data(&files[1].sha256()).unwrap().unwrap(), cut);
    assert!(s.pending_photos().unwrap().is_empty());
    drop(s);
    let status = sync
        .api()
        .file_status(FileKind::Attachment, &files[0].sha256())
        .await
        .unwrap()
        .unwrap();
    assert!(status.complete);
    let token = srv.token_of("jiancha").await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/files/{}", srv.base, files[0].sha256()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the township's supervisor reads the report"
    );
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_refused_goes_up_when_retried_after_the_office_fixes_it() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let p = phone(&dir);
    // The cadre is sent to help in a neighbouring village, but the office has not yet recorded
    // the posting: the server refuses the event the cadre recorded there.
    let pull = demo::pull(Utc::now());
    let mut neighbour = pull.org.villages[0].clone();
    neighbour.id = zhucun_shared::ids::VillageId::new();
    neighbour.name = "邻村".into();
    let office = open_store(&srv.url).await.unwrap();
    office
        .put_org(&zhucun_server::store::Org {
            villages: vec![neighbour.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let before = write(&p, 1);
    let helping = p
        .lock()
        .unwrap()
        .append(
            Utc::now(),
            RecordBody::VillageEvent {
                village_id: neighbour.id,
                kind: zhucun_shared::record::EventKind::DifficultyRequest,
                occurred_at: Utc::now(),
                household_id: None,
                description: "村民反映饮水管道破损".into(),
            },
        )
        .unwrap()
        .id;
    let after = write(&p, 2);
    let sync = engine_of(&srv.base, &p);
    let report = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!(report.set_aside, 1, "{report:?}");
    // Retried before anything changed, it is refused again, and nothing else is lost.
    assert_eq!(p.lock().unwrap().retry_set_aside().unwrap(), 1);
    let report = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!(report.set_aside, 1, "{report:?}");
    assert!(!on_server(&srv).await.contains_key(&helping));

    // The office records the posting; the cadre retries.
    let mut posting = pull
        .org
        .assignments
        .iter()
        .find(|a| a.person_id == demo::ME)
        .unwrap()
        .clone();
    posting.id = zhucun_shared::ids::AssignmentId::new();
    posting.village_id = Some(neighbour.id);
    posting.starts_on = zhucun_shared::period::local_date(Utc::now()) - Duration::days(1);
    office
        .put_org(&zhucun_server::store::Org {
            assignments: vec![posting],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(p.lock().unwrap().retry_set_aside().unwrap(), 1);
    let report = sync.sync_once(&p, Utc::now()).await.unwrap();
    assert_eq!(report.set_aside, 0, "{report:?}");
    let held = on_server(&srv).await;
    for id in before.iter().chain(&after).chain([&helping]) {
        assert!(held.contains_key(id));
    }
    let q = p.lock().unwrap().queue_state().unwrap();
    assert_eq!((q.pending_records, q.set_aside.len()), (0, 0), "{q:?}");
    assert_eq!(q.confirmed_seq, q.last_seq);
}

/// A phone tuned to push more records at once than the protocol allows still sends batches
/// the server takes (it once sent them whole and was refused every time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_larger_than_the_protocol_allows_goes_up_in_allowed_pushes() {
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    srv.signed_in_phone(&dir, "yang", SyncConfig::default())
        .await;
    let store = phone(&dir);
    let ids = write(&store, zhucun_shared::sync::MAX_PUSH_RECORDS + 10);
    let token = store.lock().unwrap().meta("token").unwrap();
    let config = SyncConfig {
        batch: zhucun_shared::sync::MAX_PUSH_RECORDS * 2,
        ..SyncConfig::default()
    };
    SyncEngine::new(Api::new(&srv.base).unwrap().with_token(token), config)
        .sync_once(&store, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store.lock().unwrap().queue_state().unwrap().pending_records,
        0
    );
    let held = on_server(&srv).await;
    assert!(ids.iter().all(|id| held.contains_key(id)));
}

/// The phone's answer at the doorstep is the server's after a sync: a visit of 10 minutes at
/// the household with a photo counts on both, one left after a minute counts on neither, for
/// the same reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phones_answer_at_the_doorstep_is_the_servers_after_a_sync() {
    use zhucun_shared::verdict::RejectReason;
    use zhucun_shared::visits::VisitShortfall;
    let srv = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = phone(&dir);
    let mut sync = engine(&srv.base, SyncConfig::default());
    sync.sign_in(&store, "yang", PASSWORD, "测试手机")
        .await
        .unwrap();
    sync.sync_once(&store, Utc::now()).await.unwrap();

    let start = Utc::now() - Duration::hours(2);
    let at = |m: i64| start + Duration::minutes(m);
    let mut answers = Vec::new();
    {
        let mut s = store.lock().unwrap();
        let reference = s.reference().unwrap();
        let mut c = Capture::load(&s, TrackPolicy::default()).unwrap();
        arrive_in_village(&mut s, &reference, &mut c, at(0));
        for (i, (h, minutes)) in demo::households().iter().zip([10, 1]).enumerate() {
            let m0 = 5 + i as i64 * 20;
            c.on_fix(&mut s, &reference, fix(h.location, at(m0)), at(m0))
                .unwrap();
            c.exec(
                &mut s,
                &reference,
                Command::HouseholdCheckIn {
                    household_id: h.id,
                    event: None,
                },
                at(m0),
            )
            .unwrap();
            let shot = SimulatedCamera {
                width: 800,
                height: 600,
                seed: 40 + i as u32,
            }
            .shoot();
            let photo = reencode(&shot, &PhotoPolicy::default()).unwrap();
            let t = at(m0) + Duration::seconds(30);
            c.photo(&mut s, None, &photo, t, t).unwrap();
            c.exec(
                &mut s,
                &reference,
                Command::Note {
                    attached_to: None,
                    text: "走访记录".into(),
                },
                t,
            )
            .unwrap();
            c.exec(
                &mut s,
                &reference,
                Command::HouseholdCheckOut,
                at(m0 + minutes),
            )
            .unwrap();
            let outlook = c
                .state()
                .visit_outlook(&reference, at(m0 + minutes))
                .unwrap();
            answers.push((outlook.check_in, outlook.shortfalls));
        }
    }
    assert_eq!(
        answers[0].1,
        vec![],
        "the phone says the long visit will count"
    );
    assert!(
        matches!(
            answers[1].1[..],
            [VisitShortfall::TooShort {
                seconds: 60,
                required_minutes: 5
            }]
        ),
        "{:?}",
        answers[1].1
    );

    sync.sync_once(&store, Utc::now()).await.unwrap();
    let reference = store.lock().unwrap().reference().unwrap();
    let server = |check_in| progress::server_answer(&reference.verdicts, demo::ME, check_in);
    assert_eq!(server(answers[0].0), Some(progress::ServerAnswer::Counted));
    assert!(
        matches!(
            server(answers[1].0),
            Some(progress::ServerAnswer::NotCounted {
                reason: RejectReason::VisitTooShort,
                ..
            })
        ),
        "{:?}",
        server(answers[1].0)
    );
}
