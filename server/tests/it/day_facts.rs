//! Day facts on the server: after a synthetic township's months of evening syncs, every
//! person-month evaluated from the kept day facts and the month's raw records is exactly the
//! evaluation from every raw record, and it is the facts that are read; a late withdrawal of an
//! early fix folds that day and the days after it again, with the same agreement; `verdicts
//! rebuild` folds the same facts again; two servers over one database share the queue, each
//! person's days folded by one of them. On both backends.

use crate::common::*;
use chrono::{Datelike, Duration, Utc};
use std::sync::Arc;
use zhucun_server::clock::{Clock, FixedClock};
use zhucun_server::day_facts::drain;
use zhucun_server::demo::{build_synthetic_township, TownshipSize};
use zhucun_server::evaluation::{person_report, person_report_raw, uses_day_facts};
use zhucun_server::store::{IncomingRecord, Store};
use zhucun_server::verdicts::CLAIM_LEASE;
use zhucun_server::AnyStore;
use zhucun_server::{AppState, Config};
use zhucun_shared::ids::RecordId;
use zhucun_shared::period::{day_start, local_date, Period};
use zhucun_shared::record::{DeviceRecord, RecordBody, ServerReceipt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facts_and_the_months_records_agree_with_every_raw_record() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let state = AppState::new(
            Config::for_tests(db.dir.path().to_path_buf()),
            store.clone(),
        )
        .await
        .unwrap();
        let now = Utc::now();
        let size = TownshipSize {
            people: 9,
            months: 3,
            seed: 5,
        };
        let built = build_synthetic_township(&store, size, now).await.unwrap();
        while drain(&state, 100).await.unwrap() > 0 {}
        let org = Arc::new(store.township_org(built.county.township.id).await.unwrap());
        let today = local_date(now);
        let this = Period::month(today.year(), today.month());
        let before = this.first_day() - Duration::days(1);
        let last = Period::month(before.year(), before.month());
        let compare = |label: &'static str| {
            let (state, org) = (&state, org.clone());
            async move {
                let mut from_facts = 0;
                for p in &org.people {
                    for month in [last, this] {
                        let kept = person_report(state, org.clone(), p.id, month, now)
                            .await
                            .unwrap();
                        let raw = person_report_raw(state, org.clone(), p.id, month, now)
                            .await
                            .unwrap();
                        assert_eq!(kept, raw, "{label}: {} {month}", p.name);
                        if uses_day_facts(state, &org, p.id, month, now).await.unwrap() {
                            from_facts += 1;
                        }
                    }
                }
                from_facts
            }
        };
        let n = compare("after the evening syncs").await;
        // Everyone on duty has facts; only the office, who records no fixes, may have none.
        assert!(
            n >= 2 * (org.people.len() - 3),
            "{n} person-months from facts"
        );

        // A fix of the first month withdrawn late: its day and the days after are folded again.
        let leader = org
            .assignments
            .iter()
            .find(|a| a.role == zhucun_shared::role::Role::TeamLeader)
            .unwrap()
            .person_id;
        let first_month = day_start(this.first_day() - Duration::days(45));
        let early = store
            .fix_records_of(leader, first_month, first_month + Duration::days(20))
            .await
            .unwrap();
        let fix = early
            .iter()
            .find(|r| matches!(r.body, RecordBody::Fix { .. }))
            .expect("the leader was on duty");
        let device = fix.device_id;
        let seq = store
            .records_of(
                leader,
                first_month - Duration::days(60),
                now + Duration::days(2),
            )
            .await
            .unwrap()
            .iter()
            .filter(|r| r.device_id == device)
            .map(|r| r.seq)
            .max()
            .unwrap();
        let mut withdrawal = DeviceRecord {
            id: RecordId(uuid::Uuid::now_v7()),
            device_id: device,
            seq: seq + 1,
            person_id: leader,
            captured_at: now - Duration::minutes(5),
            body: RecordBody::Retraction {
                target: fix.id,
                reason: "误记".into(),
            },
            received: None,
        };
        let content_hash = withdrawal.content_hash();
        withdrawal.received = Some(ServerReceipt {
            received_at: now - Duration::minutes(4),
            clock_offset_s: 0,
        });
        let incoming = IncomingRecord {
            content_hash,
            record: withdrawal,
        };
        store.push_records(device, &[incoming]).await.unwrap();
        let fix_day = local_date(fix.captured_at);
        assert!(
            store
                .days_pending(&[leader], fix_day + Duration::days(1))
                .await
                .unwrap(),
            "the push queued the withdrawn fix's day"
        );
        let kept_before = store
            .day_facts(leader, fix_day, fix_day + Duration::days(1))
            .await
            .unwrap();
        while drain(&state, 100).await.unwrap() > 0 {}
        let kept_after = store
            .day_facts(leader, fix_day, fix_day + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(kept_after[0].0.fixes + 1, kept_before[0].0.fixes);
        compare("after a late withdrawal").await;

        // A rebuild folds the same facts again.
        let all_before = store
            .day_facts(
                leader,
                fix_day - Duration::days(400),
                today + Duration::days(1),
            )
            .await
            .unwrap();
        zhucun_server::verdicts::rebuild(&state, |_, _| {})
            .await
            .unwrap();
        let all_after = store
            .day_facts(
                leader,
                fix_day - Duration::days(400),
                today + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(all_after, all_before);
        store.close().await;
        db.cleanup().await;
    }
}

/// A server over `store` whose "now" is `clock`.
async fn server(db: &TestDb, store: &AnyStore, clock: Arc<FixedClock>) -> AppState {
    let config = Config::for_tests(db.dir.path().to_path_buf());
    let objects = zhucun_server::photos::FsObjectStore::new(config.data_dir.join("photos"));
    AppState::with_clock(config, store.clone(), Arc::new(objects), clock)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_fold_each_persons_days_once_and_an_abandoned_claim_is_retaken() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let now = Utc::now();
        let size = TownshipSize {
            people: 9,
            months: 2,
            seed: 11,
        };
        let built = build_synthetic_township(&store, size, now).await.unwrap();
        // A second server over the same database: its own connections.
        let other_store = db.open().await;
        let clock = Arc::new(FixedClock::at(now));
        let a = server(&db, &store, clock.clone()).await;
        let b = server(&db, &other_store, clock.clone()).await;
        let synced = store.dirty_days(1_000_000).await.unwrap();
        let queued = synced.len();
        assert!(queued > 40, "{queued} days queued by the syncs");
        // While one server holds three people, the other folds everyone else's days only.
        let t = clock.now();
        let held = store
            .claim_days(3, &a.worker_id, t, t + CLAIM_LEASE)
            .await
            .unwrap();
        assert!(!held.is_empty());
        let mut by_b = 0;
        loop {
            let n = drain(&b, 2).await.unwrap();
            if n == 0 {
                break;
            }
            by_b += n;
        }
        assert_eq!(by_b, queued - held.len());
        assert_eq!(store.dirty_days(1_000_000).await.unwrap(), held);
        assert_eq!(drain(&a, 10).await.unwrap(), held.len(), "its own claim");
        // Queued again, the two folding side by side: each day taken by one of them.
        let days: Vec<_> = synced.iter().map(|q| (q.person_id, q.day)).collect();
        store.queue_days(&days).await.unwrap();

        let run = |state: AppState| {
            tokio::spawn(async move {
                let mut taken = 0;
                loop {
                    let n = drain(&state, 2).await.unwrap();
                    if n == 0 {
                        break taken;
                    }
                    taken += n;
                }
            })
        };
        let (ta, tb) = (run(a.clone()), run(b.clone()));
        let (ta, tb) = (ta.await.unwrap(), tb.await.unwrap());
        // Each queued day was folded by one server only.
        assert_eq!(ta + tb, queued, "a: {ta}, b: {tb}");
        assert!(store.dirty_days(10).await.unwrap().is_empty());
        // What the two kept is what one server folds from scratch.
        let org = store.township_org(built.county.township.id).await.unwrap();
        let (from, to) = (
            local_date(now) - Duration::days(90),
            local_date(now) + Duration::days(1),
        );
        let mut shared = Vec::new();
        for p in &org.people {
            shared.push(store.day_facts(p.id, from, to).await.unwrap());
        }
        zhucun_server::verdicts::rebuild(&a, |_, _| {})
            .await
            .unwrap();
        for (p, kept) in org.people.iter().zip(&shared) {
            assert_eq!(
                &store.day_facts(p.id, from, to).await.unwrap(),
                kept,
                "{}",
                p.name
            );
        }

        // A worker claims a person's days and dies: nobody folds them while its lease runs ...
        let person = org.people[0].id;
        let day = local_date(now);
        store.queue_days(&[(person, day)]).await.unwrap();
        let t = clock.now();
        let held = store
            .claim_days(10, "a worker that died", t, t + CLAIM_LEASE)
            .await
            .unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(drain(&b, 10).await.unwrap(), 0);
        clock.advance(CLAIM_LEASE - Duration::seconds(1));
        assert_eq!(drain(&b, 10).await.unwrap(), 0);
        assert_eq!(store.dirty_days(10).await.unwrap().len(), 1, "still queued");
        // ... and once it has run out, another folds them and lets the person go.
        clock.advance(Duration::seconds(2));
        assert_eq!(drain(&b, 10).await.unwrap(), 1);
        assert!(store.dirty_days(10).await.unwrap().is_empty());
        store.queue_days(&[(person, day)]).await.unwrap();
        assert_eq!(
            drain(&a, 10).await.unwrap(),
            1,
            "released: the next worker takes it"
        );

        // A day queued for a person another worker holds waits for that worker, and a claim it
        // renewed in time is still held; one renewed too late is not.
        store.queue_days(&[(person, day)]).await.unwrap();
        let t = clock.now();
        store
            .claim_days(10, &a.worker_id, t, t + CLAIM_LEASE)
            .await
            .unwrap();
        store
            .queue_days(&[(person, day - Duration::days(1))])
            .await
            .unwrap();
        clock.advance(CLAIM_LEASE - Duration::minutes(1));
        let t = clock.now();
        assert_eq!(
            store
                .renew_day_claims(&a.worker_id, t, t + CLAIM_LEASE)
                .await
                .unwrap(),
            1
        );
        clock.advance(Duration::minutes(2));
        assert_eq!(drain(&b, 10).await.unwrap(), 0, "renewed: still held");
        clock.advance(CLAIM_LEASE + Duration::minutes(1));
        let t = clock.now();
        assert_eq!(
            store
                .renew_day_claims(&a.worker_id, t, t + CLAIM_LEASE)
                .await
                .unwrap(),
            0
        );
        assert_eq!(drain(&b, 10).await.unwrap(), 2);
        assert!(store.dirty_days(10).await.unwrap().is_empty());
        store.close().await;
        other_store.close().await;
        db.cleanup().await;
    }
}
