//! The review console's two heavy pages over real HTTP on loopback, on the demo township:
//! the overview (everyone × every rule for this month, as the supervisor sees it) against a
//! plain read of the same rows (the township's organisation and each person's kept verdict),
//! and a person-month (page and the whole month's map data) of a cadre with a month of
//! minute-by-minute fixes against a plain read of their month's records; and the map payload
//! in bytes against the raw fixes it draws. SQLite, in the same run.
//! `cargo bench -p zhucun-server --bench console_pages`.

use chrono::{Datelike, Duration, Utc};
use std::time::Instant;
use zhucun_server::demo::{sqlite_demo_app, DEMO_PASSWORD};
use zhucun_server::store::Store;
use zhucun_shared::period::{day_end, day_start, local_date, Period};

const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn timed<F: std::future::Future<Output = usize>>(mut f: impl FnMut() -> F) -> (f64, usize) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        size = f().await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (median(times), size)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let (store, state, demo) = sqlite_demo_app(dir.path(), now).await.unwrap();
    // Steady state: the verdicts the demo's records queued are kept before anything is timed
    // (a server that has been running has drained its queue).
    while zhucun_server::verdicts::drain(&state, 500).await.unwrap() > 0 {}
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zhucun_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    // Signed in to the console as the supervisor, who sees the whole township.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = http
        .get(format!("{base}/console/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = sign_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = sign_in.text().await.unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let r = http
        .post(format!("{base}/console/login"))
        .header("cookie", &login_cookie)
        .form(&[
            ("username", "jiancha"),
            ("password", DEMO_PASSWORD),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("zhucun_console="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = |path: String| {
        let (http, cookie) = (http.clone(), cookie.clone());
        async move {
            let r = http
                .get(path)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            r.bytes().await.unwrap().len()
        }
    };

    let today = local_date(now);
    let this_month = Period::month(today.year(), today.month());
    let last = today.with_day(1).unwrap() - Duration::days(1);
    let last_month = Period::month(last.year(), last.month());
    let org = store.township_org(demo.township.id).await.unwrap();

    // The overview: first request evaluates and keeps what is not kept yet; then kept.
    let t = Instant::now();
    get(format!("{base}/console/?month={this_month}")).await;
    let overview_cold = t.elapsed().as_secs_f64() * 1000.0;
    let (overview, overview_bytes) =
        timed(|| get(format!("{base}/console/?month={this_month}"))).await;
    let (overview_read, _) = timed(|| async {
        let org = store.township_org(demo.township.id).await.unwrap();
        let mut n = 0;
        for p in &org.people {
            n += usize::from(
                store
                    .kept_verdict(p.id, &this_month.to_string())
                    .await
                    .unwrap()
                    .is_some(),
            );
        }
        n
    })
    .await;

    // The person-month of the cadre with the most fixes last month.
    let mut busiest = (0, org.people[0].id);
    for p in &org.people {
        let n = store
            .fix_records_of(
                p.id,
                day_start(last_month.first_day()),
                day_end(last_month.last_day()),
            )
            .await
            .unwrap()
            .len();
        busiest = busiest.max((n, p.id));
    }
    let (fix_records, cadre) = busiest;
    let (first, end) = (last_month.first_day(), last_month.last_day());
    let page_url = format!("{base}/console/people/{cadre}?month={last_month}");
    let map_url = format!("{base}/console/people/{cadre}/map?from={first}&to={end}");
    get(page_url.clone()).await;
    let (person_page, page_bytes) = timed(|| get(page_url.clone())).await;
    let (map, map_bytes) = timed(|| get(map_url.clone())).await;
    let (person_read, _) = timed(|| async {
        store
            .records_of(cadre, day_start(first), day_end(end))
            .await
            .unwrap()
            .len()
    })
    .await;
    // What the map draws from: the month's fixes as the trajectory API would send them.
    let fixes = store
        .fix_records_of(cadre, day_start(first), day_end(end))
        .await
        .unwrap();
    let raw_bytes = serde_json::to_vec(
        &fixes
            .iter()
            .flat_map(|r| r.body.fixes().copied())
            .collect::<Vec<_>>(),
    )
    .unwrap()
    .len();

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "console pages, demo township ({} people), SQLite, median of {RUNS}; load {}",
        org.people.len(),
        load.trim()
    );
    println!("| what | server time | plain read of its rows | ratio |");
    println!("|---|---|---|---|");
    println!("| overview {this_month} ({overview_bytes} B), first request {overview_cold:.0} ms | {overview:.1} ms | {overview_read:.1} ms | {:.1}× |", overview / overview_read);
    println!("| person-month page {last_month} ({page_bytes} B) | {person_page:.1} ms | {person_read:.1} ms | {:.1}× |", person_page / person_read);
    println!("| month map data ({fix_records} fix records) | {map:.1} ms | {person_read:.1} ms | {:.1}× |", map / person_read);
    println!(
        "map payload {map_bytes} B against {raw_bytes} B of raw fixes: {:.1} %",
        100.0 * map_bytes as f64 / raw_bytes as f64
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
