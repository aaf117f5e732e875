//! Ledgers: every document of a township for last month (each village's 台账 and 考勤表, each
//! cadre's 工作日志, each pairing cadre's 结对帮扶台账, the 五个一 table and the compliance
//! table), generated and written as XLSX, for the demo township and for a synthetic township of
//! ZHUCUN_BENCH_PEOPLE people (default 300; `demo::build_synthetic_township`, two months of
//! records). Each is timed three ways in the same run:
//! - one by one, each document reading what it needs (as the API serves one download);
//! - as one export (`ledgers::generate_in` with one `Batch`: each team's records, photo facts
//!   and kept reports read once for all the township's documents);
//! - a plain read of the rows the documents are made of, each row read once: every person's
//!   records over the month's window, their photo facts, their kept reports, the directory.
//!
//! SQLite always; PostgreSQL when ZHUCUN_TEST_PG_URL is set.
//! `cargo bench -p zhucun-server --bench ledgers`.

#[path = "common/db.rs"]
mod db;
use chrono::{DateTime, Datelike, Duration, Utc};
use db::{backends, drop_schema, fresh};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;
use zhucun_server::demo::{build_synthetic_township, demo_app, TownshipSize};
use zhucun_server::ledgers::{self, Batch, Format};
use zhucun_server::store::{AnyStore, Store};
use zhucun_server::{open_store, AppState, Config};
use zhucun_shared::org::Township;
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::record::RecordBody;

const RUNS: usize = 3;

struct Figures {
    township: String,
    people: usize,
    records: usize,
    documents: usize,
    bytes: usize,
    setup_s: f64,
    drain_ms: f64,
    one_by_one_ms: f64,
    export_ms: f64,
    read_ms: f64,
}

fn last_month(now: DateTime<Utc>) -> Period {
    let last = local_date(now).with_day(1).unwrap() - Duration::days(1);
    Period::month(last.year(), last.month())
}

/// The rows of `township`'s documents for `month`, each read once: answers how many.
async fn plain_read(store: &AnyStore, township: &Township, month: Period) -> usize {
    let org = store.township_org(township.id).await.unwrap();
    let (from, to) = ledgers::month_work::window(month);
    let mut rows = 0;
    let mut shas = BTreeSet::new();
    for p in &org.people {
        let records = store.records_of(p.id, from, to).await.unwrap();
        rows += records.len();
        shas.extend(records.iter().filter_map(|r| match &r.body {
            RecordBody::Photo { sha256, .. } => Some(sha256.clone()),
            _ => None,
        }));
        if store
            .kept_verdict(p.id, &month.to_string())
            .await
            .unwrap()
            .is_some()
        {
            rows += 1;
        }
    }
    let shas: Vec<String> = shas.into_iter().collect();
    rows += store.photo_facts(&shas).await.unwrap().len();
    rows
}

async fn measure(
    state: &AppState,
    store: &AnyStore,
    township: Township,
    records: usize,
    setup_s: f64,
    now: DateTime<Utc>,
) -> Figures {
    // What the server's worker does after the phones' pushes: the queued person-months
    // re-evaluated and kept, so that a document reads kept verdicts as on a running server.
    let start = Instant::now();
    while zhucun_server::verdicts::drain(state, 50).await.unwrap() > 0 {}
    let drain_ms = start.elapsed().as_secs_f64() * 1000.0;
    let org = Arc::new(store.township_org(township.id).await.unwrap());
    let month = last_month(now);
    let all = ledgers::township_ledgers(&org, &township, None, month, local_date(now));

    // Each answers the XLSX bytes written and the documents' contents (their digests).
    let one_by_one = || async {
        let (mut bytes, mut contents) = (0, Vec::new());
        for l in &all {
            let doc = ledgers::generate(state, org.clone(), &township, *l, now)
                .await
                .unwrap();
            bytes += ledgers::render(&doc, l.kind(), Format::Xlsx).unwrap().len();
            contents.push(ledgers::versions::content_sha256(&doc).unwrap());
        }
        (bytes, contents)
    };
    let export = || async {
        let mut batch = Batch::default();
        let (mut bytes, mut contents) = (0, Vec::new());
        for l in &all {
            let doc = ledgers::generate_in(state, org.clone(), &township, *l, now, &mut batch)
                .await
                .unwrap();
            bytes += ledgers::render(&doc, l.kind(), Format::Xlsx).unwrap().len();
            contents.push(ledgers::versions::content_sha256(&doc).unwrap());
        }
        (bytes, contents)
    };

    let (bytes, contents) = export().await;
    assert_eq!(
        one_by_one().await.1,
        contents,
        "the same documents either way"
    );
    let (mut one_ms, mut export_ms, mut read_ms) = (f64::MAX, f64::MAX, f64::MAX);
    let ms = |start: Instant| start.elapsed().as_secs_f64() * 1000.0;
    for _ in 0..RUNS {
        let start = Instant::now();
        assert!(plain_read(store, &township, month).await > 0);
        read_ms = read_ms.min(ms(start));
        let start = Instant::now();
        assert!(export().await.0 > 0);
        export_ms = export_ms.min(ms(start));
        let start = Instant::now();
        assert!(one_by_one().await.0 > 0);
        one_ms = one_ms.min(ms(start));
    }
    Figures {
        township: township.name.clone(),
        people: org.people.len(),
        records,
        documents: all.len(),
        bytes,
        setup_s,
        drain_ms,
        one_by_one_ms: one_ms,
        export_ms,
        read_ms,
    }
}

async fn demo_township(pg: Option<&str>, dir: &std::path::Path) -> Figures {
    let (url, schema) = fresh(pg, dir, "demo").await;
    let store = open_store(&url).await.unwrap();
    let now = Utc::now();
    let start = Instant::now();
    let (state, demo) = demo_app(store.clone(), dir, now).await.unwrap();
    let setup_s = start.elapsed().as_secs_f64();
    let f = measure(&state, &store, demo.township, demo.records, setup_s, now).await;
    store.close().await;
    drop_schema(pg, schema).await;
    f
}

async fn synthetic_township(pg: Option<&str>, dir: &std::path::Path, people: usize) -> Figures {
    let (url, schema) = fresh(pg, dir, "synthetic").await;
    let store = open_store(&url).await.unwrap();
    let now = Utc::now();
    let state = AppState::new(Config::for_tests(dir.to_path_buf()), store.clone())
        .await
        .unwrap();
    let size = TownshipSize {
        people,
        months: 2,
        seed: 11,
    };
    let start = Instant::now();
    let built = build_synthetic_township(&store, size, now).await.unwrap();
    let setup_s = start.elapsed().as_secs_f64();
    let f = measure(
        &state,
        &store,
        built.county.township,
        built.county.records,
        setup_s,
        now,
    )
    .await;
    store.close().await;
    drop_schema(pg, schema).await;
    f
}

fn main() {
    let people: usize = std::env::var("ZHUCUN_BENCH_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let runs = backends();
    println!("| backend | township | people | records | documents | XLSX bytes | built s | verdicts kept by the worker ms | one by one ms | as one export ms | plain read ms | one by one / read | export / read |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, pg) in runs {
        for synthetic in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let f = rt.block_on(async {
                if synthetic {
                    synthetic_township(pg.as_deref(), dir.path(), people).await
                } else {
                    demo_township(pg.as_deref(), dir.path()).await
                }
            });
            println!(
                "| {name} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1}× | {:.1}× |",
                f.township,
                f.people,
                f.records,
                f.documents,
                f.bytes,
                f.setup_s,
                f.drain_ms,
                f.one_by_one_ms,
                f.export_ms,
                f.read_ms,
                f.one_by_one_ms / f.read_ms,
                f.export_ms / f.read_ms
            );
        }
    }
}
