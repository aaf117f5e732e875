//! Sync ingest: track fixes pushed through the real HTTP endpoint on loopback, against the same
//! rows inserted straight into the same kind of database, in the same run. SQLite always;
//! PostgreSQL when ZHUCUN_TEST_PG_URL is set. `cargo bench -p zhucun-server`.

#[path = "common/db.rs"]
mod db;
use chrono::{Duration, Utc};
use db::{drop_schema, fresh};
use sqlx::types::Json;
use std::time::Instant;
use tokio::net::TcpListener;
use zhucun_server::auth::hash_password;
use zhucun_server::store::{Org, Store, UserRow};
use zhucun_server::{open_store, AnyStore, AppState, Config};
use zhucun_shared::ids::*;
use zhucun_shared::org::{Assignment, Device, Person, Township};
use zhucun_shared::record::{DeviceRecord, Fix, FixProvider, RecordBody, ServerReceipt};
use zhucun_shared::role::Role;

const RECORDS: u64 = 60_000;
const BATCH: usize = 1_000;
const RUNS: usize = 3;

fn fixes(device: DeviceId, person: PersonId) -> Vec<DeviceRecord> {
    fixes_with_seqs(device, person, 1..=RECORDS)
}

fn fixes_with_seqs(
    device: DeviceId,
    person: PersonId,
    seqs: impl Iterator<Item = u64>,
) -> Vec<DeviceRecord> {
    let start = Utc::now() - Duration::days(45);
    seqs.map(|seq| {
        let t = start + Duration::seconds(seq as i64 * 60);
        DeviceRecord {
            id: RecordId::new(),
            device_id: device,
            seq,
            person_id: person,
            captured_at: t,
            body: RecordBody::Fix {
                fix: Fix {
                    lat: 31.932 + (seq % 500) as f64 * 1e-5,
                    lon: 107.243 + (seq % 700) as f64 * 1e-5,
                    accuracy_m: 8.0 + (seq % 20) as f64,
                    time: t,
                    monotonic_ms: Some(seq * 60_000),
                    provider: FixProvider::Fused,
                    mock: false,
                },
            },
            received: None,
        }
    })
    .collect()
}

/// Stamped as the push endpoint stamps them.
fn incoming(records: Vec<DeviceRecord>) -> Vec<zhucun_server::store::IncomingRecord> {
    records
        .into_iter()
        .map(|mut r| {
            let content_hash = r.content_hash();
            r.received = Some(ServerReceipt {
                received_at: Utc::now(),
                clock_offset_s: 0,
            });
            zhucun_server::store::IncomingRecord {
                record: r,
                content_hash,
            }
        })
        .collect()
}

const HELD: u64 = 100_000;
const SMALL_PUSHES: u64 = 300;

/// Milliseconds per small push (10 records) to a device that already holds `HELD` records,
/// for a device whose log never closes its first gap (seq 1 missing, then every other seq)
/// and, as the baseline, one whose log has no gap.
async fn gapped(url: String) -> (f64, f64) {
    let store = open_store(&url).await.unwrap();
    let (person, contiguous) = seed(&store).await;
    let gappy = Device {
        id: DeviceId::new(),
        person_id: person,
        label: "gappy".into(),
        enrolled_at: Utc::now(),
    };
    store.enroll_device(&gappy).await.unwrap();
    for (device, first) in [(contiguous, 1), (gappy.id, 2)] {
        let step = if first == 1 { 1 } else { 2 };
        let seqs: Vec<u64> = (0..HELD).map(|i| first + i * step).collect();
        for chunk in seqs.chunks(BATCH) {
            let batch = incoming(fixes_with_seqs(device, person, chunk.iter().copied()));
            store.push_records(device, &batch).await.unwrap();
        }
    }
    let mut per_push = Vec::new();
    for (device, next) in [(contiguous, HELD + 1), (gappy.id, 2 * HELD + 2)] {
        let step = if device == contiguous { 1 } else { 2 };
        let batches: Vec<_> = (0..SMALL_PUSHES)
            .map(|b| {
                let seqs = (0..10).map(move |i| next + (b * 10 + i) * step);
                incoming(fixes_with_seqs(device, person, seqs))
            })
            .collect();
        let start = Instant::now();
        for batch in &batches {
            store.push_records(device, batch).await.unwrap();
        }
        per_push.push(start.elapsed().as_secs_f64() * 1000.0 / SMALL_PUSHES as f64);
    }
    store.close().await;
    (per_push[1], per_push[0])
}

/// A township, one cadre with a login, one enrolled device.
async fn seed(store: &AnyStore) -> (PersonId, DeviceId) {
    let t = Township {
        id: TownshipId::new(),
        name: "青峰乡".into(),
        county: "通江县".into(),
    };
    let person = Person {
        id: PersonId::new(),
        name: "张一".into(),
        township_id: t.id,
        unit_id: None,
    };
    let org = Org {
        assignments: vec![Assignment {
            id: AssignmentId::new(),
            person_id: person.id,
            role: Role::ResidentMember,
            village_id: None,
            township_id: t.id,
            starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
        }],
        townships: vec![t],
        people: vec![person.clone()],
        ..Org::default()
    };
    store.put_org(&org).await.unwrap();
    store
        .create_user(&UserRow {
            person_id: person.id,
            username: "bench".into(),
            password_hash: hash_password("bench", 1024, 1).unwrap(),
            disabled: false,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let device = Device {
        id: DeviceId::new(),
        person_id: person.id,
        label: "bench".into(),
        enrolled_at: Utc::now(),
    };
    store.enroll_device(&device).await.unwrap();
    (person.id, device.id)
}

/// Records per second through POST /api/v1/sync/push.
async fn endpoint(url: &str, dir: &std::path::Path) -> f64 {
    let store = open_store(url).await.unwrap();
    seed(&store).await;
    let state = AppState::new(Config::for_tests(dir.to_path_buf()), store)
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zhucun_server::serve(listener, state, async {
        let _ = rx.await;
    }));
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bench", "password": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();
    let person: PersonId = login["person_id"].as_str().unwrap().parse().unwrap();
    let enrolled: serde_json::Value = http
        .post(format!("{base}/api/v1/devices"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"label": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device: DeviceId = enrolled["device_id"].as_str().unwrap().parse().unwrap();
    let records = fixes(device, person);
    // The phone has its batches serialised already.
    let bodies: Vec<Vec<u8>> = records
        .chunks(BATCH)
        .map(|c| serde_json::to_vec(&serde_json::json!({"protocol": 1, "device_id": device, "sent_at": Utc::now(), "records": c})).unwrap())
        .collect();
    let start = Instant::now();
    for body in bodies {
        let r = http
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = tx.send(());
    server.await.unwrap().unwrap();
    RECORDS as f64 / secs
}

const INSERT: &str = "INSERT INTO device_records (id, device_id, seq, person_id, kind, captured_at, \
     received_at, clock_offset_s, content_hash, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

macro_rules! raw_insert {
    ($pool:expr, $rows:expr) => {{
        let start = Instant::now();
        for chunk in $rows.chunks(BATCH) {
            let mut tx = $pool.begin().await.unwrap();
            for (r, hash) in chunk {
                let receipt = r.received.unwrap();
                sqlx::query(INSERT)
                    .bind(r.id.to_string())
                    .bind(r.device_id.to_string())
                    .bind(r.seq as i64)
                    .bind(r.person_id.to_string())
                    .bind(r.body.type_name())
                    .bind(r.captured_at)
                    .bind(receipt.received_at)
                    .bind(receipt.clock_offset_s)
                    .bind(hash)
                    .bind(Json(r))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
        start.elapsed().as_secs_f64()
    }};
}

/// Records per second inserted straight into the table, in transactions of the same size.
async fn raw(url: String) -> f64 {
    let store = open_store(&url).await.unwrap();
    let (person, device) = seed(&store).await;
    let rows: Vec<(DeviceRecord, String)> = fixes(device, person)
        .into_iter()
        .map(|mut r| {
            let hash = r.content_hash();
            r.received = Some(ServerReceipt {
                received_at: Utc::now(),
                clock_offset_s: 0,
            });
            (r, hash)
        })
        .collect();
    let secs = match &store {
        AnyStore::Sqlite(s) => raw_insert!(s.write_pool(), rows),
        AnyStore::Postgres(s) => raw_insert!(s.write_pool(), rows),
    };
    store.close().await;
    RECORDS as f64 / secs
}

/// Runs on a runtime worker, as a request handler does: awaiting on the main thread parks and
/// wakes differently, which alone changed SQLite's per-statement round trip several-fold.
async fn on_worker<T: Send + 'static>(
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    tokio::spawn(f).await.unwrap()
}

#[tokio::main]
async fn main() {
    // `cargo test --benches` runs benches with --bench absent: only build, do not measure.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut lines = vec![
        format!("{RECORDS} fixes in batches of {BATCH}, one device, loopback; records per second, best of {RUNS}."),
        String::new(),
        "| backend | endpoint (HTTP push) | raw inserts | endpoint / raw |".into(),
        "|---|---|---|---|".into(),
    ];
    // Alternate the two, three times each, on fresh databases, and keep each one's best run:
    // the machine is shared, and the best run is the least disturbed.
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut sqlite = |kind: &str| {
        n += 1;
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join(format!("{kind}{n}.sqlite")).display()
        )
    };
    let (mut e, mut r) = (0f64, 0f64);
    for _ in 0..RUNS {
        r = r.max(on_worker(raw(sqlite("raw"))).await);
        e = e.max(endpoint(&sqlite("endpoint"), dir.path()).await);
    }
    lines.push(format!(
        "| SQLite | {e:.0} | {r:.0} | {:.0} % |",
        100.0 * e / r
    ));
    if let Ok(base) = std::env::var("ZHUCUN_TEST_PG_URL") {
        let (mut e, mut r) = (0f64, 0f64);
        for _ in 0..RUNS {
            let (url, schema) = fresh(Some(&base), dir.path(), "raw").await;
            r = r.max(on_worker(raw(url)).await);
            drop_schema(Some(&base), schema).await;
            let (url, schema) = fresh(Some(&base), dir.path(), "endpoint").await;
            e = e.max(endpoint(&url, dir.path()).await);
            drop_schema(Some(&base), schema).await;
        }
        lines.push(format!(
            "| PostgreSQL | {e:.0} | {r:.0} | {:.0} % |",
            100.0 * e / r
        ));
    } else {
        lines.push("| PostgreSQL | not run (ZHUCUN_TEST_PG_URL unset) | | |".into());
    }
    lines.extend([
        String::new(),
        format!("Small pushes (10 records) to a device holding {HELD} records, ms per push, best of {RUNS}."),
        String::new(),
        "| backend | log with a gap at seq 1 | log with no gap | gapped / no gap |".into(),
        "|---|---|---|---|".into(),
    ]);
    let (mut g, mut c) = (f64::MAX, f64::MAX);
    for _ in 0..RUNS {
        let (gg, cc) = on_worker(gapped(sqlite("gapped"))).await;
        (g, c) = (g.min(gg), c.min(cc));
    }
    lines.push(format!("| SQLite | {g:.2} | {c:.2} | {:.2} |", g / c));
    if let Ok(base) = std::env::var("ZHUCUN_TEST_PG_URL") {
        let (mut g, mut c) = (f64::MAX, f64::MAX);
        for _ in 0..RUNS {
            let (url, schema) = fresh(Some(&base), dir.path(), "gapped").await;
            let (gg, cc) = on_worker(gapped(url)).await;
            (g, c) = (g.min(gg), c.min(cc));
            drop_schema(Some(&base), schema).await;
        }
        lines.push(format!("| PostgreSQL | {g:.2} | {c:.2} | {:.2} |", g / c));
    }
    println!("{}", lines.join("\n"));
}
