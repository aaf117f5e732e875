//! The storage story, on SQLite and (when configured) PostgreSQL: the same steps, the same
//! answers.

use crate::common::*;
use chrono::{Duration, SubsecRound, TimeZone, Utc};
use zhucun_server::store::{FileRow, IncomingRecord, SessionRow, Store, StoreError, UserRow};
use zhucun_shared::ids::*;
use zhucun_shared::org::{Device, LatLon};
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::{DeviceRecord, ServerReceipt};

fn stamped(r: &DeviceRecord) -> IncomingRecord {
    let mut record = r.clone();
    record.received = Some(ServerReceipt {
        received_at: Utc::now(),
        clock_offset_s: 3,
    });
    IncomingRecord {
        content_hash: r.content_hash(),
        record,
    }
}

#[tokio::test]
async fn storage_story() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        story(&store, &backend).await;
        store.close().await;
        // Reopening applies no migration twice and keeps everything.
        let store = db.open().await;
        assert_eq!(store.townships().await.unwrap().len(), 2, "{backend:?}");
        store.close().await;
        db.cleanup().await;
    }
}

async fn story(store: &zhucun_server::AnyStore, backend: &Backend) {
    // Organisation in, organisation out.
    let (org, fx) = fixture_org();
    store.put_org(&org).await.unwrap();
    store.put_org(&org).await.unwrap(); // idempotent
    let got = store.township_org(fx.township).await.unwrap();
    assert_eq!(got.villages.len(), 2, "{backend:?}");
    assert_eq!(
        got.villages.iter().find(|v| v.id == fx.v1).unwrap(),
        org.villages.iter().find(|v| v.id == fx.v1).unwrap()
    );
    assert_eq!(got.households.len(), 5);
    let h = org
        .households
        .iter()
        .find(|h| h.id == fx.households[2])
        .unwrap();
    assert_eq!(got.households.iter().find(|g| g.id == h.id).unwrap(), h);
    assert_eq!(got.people.len(), 6); // the outsider is in the other township
    assert_eq!(got.pairings.len(), 1);
    assert_eq!(store.assignments_of(fx.cadre1).await.unwrap().len(), 2);
    assert_eq!(
        store
            .village_by_name(fx.township, "石门村")
            .await
            .unwrap()
            .unwrap()
            .id,
        fx.v2
    );
    assert!(store
        .village_by_name(fx.other_township, "石门村")
        .await
        .unwrap()
        .is_none());

    // A broken reference refuses the whole batch.
    let mut bad = org.clone();
    bad.households[0].head_name = "改过的名字".into();
    bad.pairings[0].household_id = HouseholdId::new();
    assert!(
        matches!(store.put_org(&bad).await, Err(StoreError::Missing(_))),
        "{backend:?}"
    );
    let again = store.township_org(fx.township).await.unwrap();
    assert!(
        again.households.iter().all(|h| h.head_name != "改过的名字"),
        "half-written on {backend:?}"
    );

    // Accounts and sessions.
    let user = UserRow {
        person_id: fx.cadre1,
        username: "zhangyi".into(),
        password_hash: "$argon2id$x".into(),
        disabled: false,
        created_at: Utc::now(),
    };
    store.create_user(&user).await.unwrap();
    let taken = UserRow {
        person_id: fx.cadre2,
        ..user.clone()
    };
    assert!(matches!(
        store.create_user(&taken).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store
            .user_by_username("zhangyi")
            .await
            .unwrap()
            .unwrap()
            .person_id,
        fx.cadre1
    );
    // Another spelling of the same name (case, full-width letters) is the same account.
    let shouted = UserRow {
        person_id: fx.cadre2,
        username: "ＺｈａｎｇＹｉ".into(),
        ..user.clone()
    };
    assert!(matches!(
        store.create_user(&shouted).await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store
            .user_by_username("ZHANGYI")
            .await
            .unwrap()
            .map(|u| u.person_id),
        Some(fx.cadre1)
    );
    // PostgreSQL keeps microseconds.
    let now = Utc::now().trunc_subsecs(6);
    let session = |id: &str| SessionRow {
        id: id.into(),
        person_id: fx.cadre1,
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::hours(1),
        client: Some("华为 Mate 20".into()),
    };
    store
        .create_session("tokenhash", &session("s1"))
        .await
        .unwrap();
    assert_eq!(
        store.session("tokenhash", now).await.unwrap(),
        Some(session("s1"))
    );
    assert_eq!(
        store
            .session("tokenhash", now + Duration::hours(2))
            .await
            .unwrap(),
        None
    );
    // Renewed by use: alive past its first expiry.
    store
        .renew_session("s1", now + Duration::minutes(50), now + Duration::hours(3))
        .await
        .unwrap();
    assert!(store
        .session("tokenhash", now + Duration::hours(2))
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.sessions_of(fx.cadre1, now).await.unwrap().len(), 1);
    assert!(
        !store.end_session(fx.cadre2, "s1").await.unwrap(),
        "not theirs"
    );
    assert!(store.set_password("zhangyi", "$argon2id$y").await.unwrap());
    assert_eq!(
        store.session("tokenhash", now).await.unwrap(),
        None,
        "new password ends sessions"
    );
    store.create_session("t2", &session("s2")).await.unwrap();
    assert!(store.end_session(fx.cadre1, "s2").await.unwrap());
    assert_eq!(store.session("t2", now).await.unwrap(), None);
    store.create_session("t3", &session("s3")).await.unwrap();
    assert!(store.set_disabled("zhangyi", true).await.unwrap());
    assert_eq!(store.session("t3", now).await.unwrap(), None);
    assert!(!store.set_disabled("nobody", true).await.unwrap());

    // Devices and the append-only log.
    let device = Device {
        id: DeviceId::new(),
        person_id: fx.cadre1,
        label: "phone".into(),
        enrolled_at: now,
    };
    store.enroll_device(&device).await.unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 3, 0, 30, 0).unwrap();
    let recs = fix_records(device.id, fx.cadre1, [1, 2, 4], start);
    let inc: Vec<_> = recs.iter().map(stamped).collect();
    let out = store.push_records(device.id, &inc).await.unwrap();
    let held = |id| async move { store.device(id).await.unwrap().unwrap().contiguous_seq };
    assert_eq!(
        (out.stored, out.duplicates, out.conflicts.len()),
        (3, 0, 0),
        "{backend:?}"
    );
    assert_eq!(held(device.id).await, 2);
    let out = store.push_records(device.id, &inc).await.unwrap();
    assert_eq!((out.stored, out.duplicates), (0, 3));
    assert_eq!(held(device.id).await, 2);
    let mut other = recs[1].clone();
    other.id = RecordId::new();
    let out = store
        .push_records(device.id, &[stamped(&other)])
        .await
        .unwrap();
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(out.conflicts[0].seq, 2);
    let three = fix_records(device.id, fx.cadre1, [3], start);
    let out = store
        .push_records(device.id, &[stamped(&three[0])])
        .await
        .unwrap();
    assert_eq!(out.stored, 1);
    assert_eq!(
        store
            .device(device.id)
            .await
            .unwrap()
            .unwrap()
            .contiguous_seq,
        4
    );
    assert!(matches!(
        store.push_records(DeviceId::new(), &inc).await,
        Err(StoreError::Missing(_))
    ));

    let held = store
        .records_of(fx.cadre1, start, start + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        held.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        held[0].body, recs[0].body,
        "records come back as sent on {backend:?}"
    );
    assert_eq!(held[0].received.unwrap().clock_offset_s, 3);
    assert_eq!(
        store
            .fix_records_of(fx.cadre1, start, start + Duration::days(1))
            .await
            .unwrap()
            .len(),
        4
    );
    assert!(store
        .records_of(fx.cadre2, start, start + Duration::days(1))
        .await
        .unwrap()
        .is_empty());

    // Photos.
    let row = FileRow {
        sha256: "ab".repeat(32),
        bytes: 1234,
        format: "jpeg".into(),
        width: 64,
        height: 48,
        facts: PhotoFacts {
            exif_time: Some(start),
            exif_position: Some(LatLon::new(31.95, 107.25)),
            phash: Some("phash".into()),
        },
        uploaded_by: fx.cadre1,
        uploaded_at: now,
    };
    store.put_file(&row).await.unwrap();
    store.put_file(&row).await.unwrap();
    assert_eq!(
        store.file(&row.sha256).await.unwrap().unwrap().facts,
        row.facts
    );
    let facts = store
        .photo_facts(&[row.sha256.clone(), "cd".repeat(32)])
        .await
        .unwrap();
    assert_eq!(facts.len(), 1);

    // Settings.
    assert_eq!(store.setting("rules_toml").await.unwrap(), None);
    store.put_setting("rules_toml", "a").await.unwrap();
    store.put_setting("rules_toml", "b").await.unwrap();
    assert_eq!(
        store.setting("rules_toml").await.unwrap().as_deref(),
        Some("b")
    );
}
