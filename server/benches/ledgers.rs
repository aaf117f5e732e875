//! Ledgers: every document of the demo township for last month (each village's 台账 and 考勤表,
//! each cadre's 工作日志, each pairing cadre's 结对帮扶台账, the 五个一 table and the compliance
//! table), generated and written as XLSX, against a plain read of the rows they are made of —
//! the same people's records over the same windows, their photo facts and their kept verdicts
//! — in the same run. SQLite always; PostgreSQL when ZHUCUN_TEST_PG_URL is set.
//! `cargo bench -p zhucun-server --bench ledgers`.

use chrono::{Datelike, Duration, Utc};
use std::sync::Arc;
use std::time::Instant;
use zhucun_server::demo::demo_app;
use zhucun_server::ledgers::{self, Format};
use zhucun_server::open_store;
use zhucun_server::store::Store;
use zhucun_shared::period::{local_date, Period};

const RUNS: usize = 3;

struct Figures {
    documents: usize,
    bytes: usize,
    drain_ms: f64,
    generate_ms: f64,
    read_ms: f64,
}

async fn bench(url: String, dir: &std::path::Path) -> Figures {
    let store = open_store(&url).await.unwrap();
    let now = Utc::now();
    let (state, demo) = demo_app(store.clone(), dir, now).await.unwrap();
    // What the server's worker does after the phones' pushes: the queued person-months
    // re-evaluated and kept, so that a document reads kept verdicts as on a running server.
    let start = Instant::now();
    while zhucun_server::verdicts::drain(&state, 50).await.unwrap() > 0 {}
    let drain_ms = start.elapsed().as_secs_f64() * 1000.0;
    let township = demo.township;
    let org = Arc::new(store.township_org(township.id).await.unwrap());
    let today = local_date(now);
    let last = today.with_day(1).unwrap() - Duration::days(1);
    let month = Period::month(last.year(), last.month());
    let all = ledgers::township_ledgers(&org, &township, None, month, today);

    let generate = || async {
        let mut bytes = 0;
        for l in &all {
            let doc = ledgers::generate(&state, org.clone(), &township, *l, now)
                .await
                .unwrap();
            bytes += ledgers::render(&doc, l.kind(), Format::Xlsx).unwrap().len();
        }
        bytes
    };
    // The rows the documents are made of, read and nothing more.
    let read = || async {
        let mut rows = 0;
        for l in &all {
            let people = l.people(&org, &township);
            let months = match *l {
                ledgers::Ledger::Compliance { period, .. } => {
                    ledgers::compliance::months(period, today)
                }
                ledgers::Ledger::FiveOnes { .. } => Vec::new(),
                _ => vec![month],
            };
            if !matches!(
                l,
                ledgers::Ledger::FiveOnes { .. } | ledgers::Ledger::Compliance { .. }
            ) {
                let (records, facts) = ledgers::load_records(&state, &org, &people, month)
                    .await
                    .unwrap();
                rows += records.len() + facts.len();
            }
            for m in &months {
                for p in &people {
                    if store
                        .kept_verdict(*p, &m.to_string())
                        .await
                        .unwrap()
                        .is_some()
                    {
                        rows += 1;
                    }
                }
            }
            let _ = store.township_org(township.id).await.unwrap();
        }
        rows
    };

    let bytes = generate().await;
    let (mut generate_ms, mut read_ms) = (f64::MAX, f64::MAX);
    for _ in 0..RUNS {
        let start = Instant::now();
        let rows = read().await;
        read_ms = read_ms.min(start.elapsed().as_secs_f64() * 1000.0);
        assert!(rows > 0);
        let start = Instant::now();
        assert!(generate().await > 0);
        generate_ms = generate_ms.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    store.close().await;
    Figures {
        documents: all.len(),
        bytes,
        drain_ms,
        generate_ms,
        read_ms,
    }
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runs = vec![("SQLite", None)];
    if let Ok(url) = std::env::var("ZHUCUN_TEST_PG_URL") {
        if !url.trim().is_empty() {
            runs.push(("PostgreSQL", Some(url)));
        }
    }
    println!("| backend | documents | XLSX bytes | verdicts kept by the worker ms | generated + written ms | plain read ms | generated / read |");
    println!("|---|---|---|---|---|---|---|");
    for (name, pg) in runs {
        let dir = tempfile::tempdir().unwrap();
        let f = rt.block_on(async {
            let (url, schema) = match &pg {
                None => (
                    format!(
                        "sqlite://{}?mode=rwc",
                        dir.path().join("bench.sqlite").display()
                    ),
                    None,
                ),
                Some(base) => {
                    let schema = format!("zb_{}", uuid::Uuid::now_v7().simple());
                    let pool = sqlx::PgPool::connect(base).await.unwrap();
                    sqlx::query(&format!("CREATE SCHEMA {schema}"))
                        .execute(&pool)
                        .await
                        .unwrap();
                    pool.close().await;
                    let sep = if base.contains('?') { '&' } else { '?' };
                    (
                        format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                        Some((base.clone(), schema)),
                    )
                }
            };
            let f = bench(url, dir.path()).await;
            if let Some((base, schema)) = schema {
                let pool = sqlx::PgPool::connect(&base).await.unwrap();
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            f
        });
        println!(
            "| {name} | {} | {} | {:.0} | {:.0} | {:.0} | {:.1}× |",
            f.documents,
            f.bytes,
            f.drain_ms,
            f.generate_ms,
            f.read_ms,
            f.generate_ms / f.read_ms
        );
    }
}
