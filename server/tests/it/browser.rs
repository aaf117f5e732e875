//! The review console in a real browser (Debian's chromium, driven by playwright-core from the
//! npm registry; `.ci/run` installs both): the demo county served over loopback, and the
//! scenario in `server/console/tests/browser.mjs` — a team leader opens a cadre's month and a
//! day's map; a supervisor finds a visit not confirmed and sees it leave the verdicts; the
//! office imports a households file with a bad row (named; nothing changes), then a good one; a
//! cadre is refused another township's person-month; a ledger's print view is printed to PDF
//! and its first page turned into a picture. The screenshots it takes are the README's.

use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zhucun_server::demo::{sqlite_demo_app, DEMO_PASSWORD};
use zhucun_server::store::Store;
use zhucun_shared::ids::{PersonId, TownshipId};
use zhucun_shared::org::{Directory, Person, Township};
use zhucun_shared::period::{day_end, day_start, local_date, Period};

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("console")
}

/// The browser and its driver, or why they are missing.
fn browser_parts() -> Result<PathBuf, String> {
    let chromium = std::env::var_os("ZHUCUN_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return Err(format!(
            "{} is missing (apt-get install chromium)",
            chromium.display()
        ));
    }
    if !console_dir().join("node_modules/playwright-core").exists() {
        return Err("playwright-core is missing (npm ci --prefix server/console)".into());
    }
    Ok(chromium)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    let chromium = match browser_parts() {
        Ok(c) => c,
        // CI installs them (`.ci/run`), and there a missing part fails the run.
        Err(why) if std::env::var_os("ZHUCUN_REQUIRE_BROWSER").is_some() => panic!("{why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let (store, state, demo) = sqlite_demo_app(dir.path(), now).await.unwrap();
    // A second township, whose people the first township's cadres must not reach.
    let foreign = Person {
        id: PersonId::new(),
        name: "外乡干部".into(),
        township_id: TownshipId::new(),
        unit_id: None,
    };
    store
        .put_org(&Directory {
            townships: vec![Township {
                id: foreign.township_id,
                name: "白石乡".into(),
                county: demo.township.county.clone(),
            }],
            people: vec![foreign.clone()],
            ..Directory::default()
        })
        .await
        .unwrap();
    // A running server's steady state: the verdicts the demo's records queued are kept (in a
    // debug build, under a full test run, evaluating them on the pages' first reads could take
    // longer than a browser waits).
    while zhucun_server::verdicts::drain(&state, 500).await.unwrap() > 0 {}
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zhucun_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    // The team: duizhang1's village, its resident member duiyuan1.
    let person_of = async |username: &str| {
        store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap()
            .person_id
    };
    let cadre = person_of("duiyuan1").await;
    let last = local_date(now).with_day(1).unwrap() - Duration::days(1);
    let month = Period::month(last.year(), last.month());
    // The day of last month with the most fixes.
    let fixes = store
        .fix_records_of(
            cadre,
            day_start(month.first_day()),
            day_end(month.last_day()),
        )
        .await
        .unwrap();
    let mut per_day: BTreeMap<_, usize> = BTreeMap::new();
    for r in &fixes {
        *per_day.entry(local_date(r.captured_at)).or_default() += 1;
    }
    let day = per_day
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(d, _)| *d)
        .unwrap();

    // A visit the supervisor's queue drew for a routine check, not yet judged.
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "jiancha", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let r = http
        .get(format!("{base}/api/v1/spot-checks?month={month}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let queue: Value = r.json().await.unwrap();
    // A visit of the cadre whose own verdicts count it (a queue item may also be a teammate's
    // visit that a team rule counts: the author's own page then has no verdict on it).
    let sampled: Vec<&Value> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["reason"]["type"] == "sample"
                && i["reason"]["kind"] == "household_visit"
                && i["finding"].is_null()
        })
        .collect();
    let firsts: Vec<zhucun_shared::ids::RecordId> = sampled
        .iter()
        .map(|i| serde_json::from_value(i["records"][0].clone()).unwrap())
        .collect();
    let authors = store.record_authors(&firsts).await.unwrap();
    let item = sampled
        .iter()
        .zip(&firsts)
        .find(|(i, r)| {
            authors.get(r).map(|(p, _)| p.to_string()).as_deref() == i["person_id"].as_str()
        })
        .map(|(i, _)| (*i).clone())
        .expect("a sampled household visit of its own cadre in the queue");

    let scenario = serde_json::json!({
        "base": base,
        "password": DEMO_PASSWORD,
        "month": month.to_string(),
        "day": day.to_string(),
        "leader": "duizhang1",
        "cadre": cadre,
        "supervisor": "jiancha",
        "record": item["records"][0],
        "cadre_login": "duiyuan1",
        "office": "admin",
        "township": demo.township.id,
        "foreign_person": foreign.id,
    });
    let shots = std::env::var_os("ZHUCUN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("screenshots"));
    let (script, cwd, scenario, shots_dir) = (
        console_dir().join("tests/browser.mjs"),
        console_dir(),
        scenario.to_string(),
        shots.clone(),
    );
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .env("ZHUCUN_SCENARIO", scenario)
            .env("ZHUCUN_SCREENSHOTS", shots_dir)
            .env("ZHUCUN_CHROMIUM", chromium)
            .current_dir(cwd)
            .output()
    });
    let out = tokio::time::timeout(std::time::Duration::from_secs(300), run)
        .await
        .expect("the browser scenario finishes within five minutes")
        .unwrap()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser scenario failed:\n{stdout}\n{stderr}"
    );
    assert!(shots.join("person-month.png").exists());
    // The printed ledger as a page image (pdftoppm, from poppler-utils, which CI installs).
    let pdf = shots.join("attendance.pdf");
    assert!(std::fs::metadata(&pdf)
        .map(|m| m.len() > 1000)
        .unwrap_or(false));
    let png = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(shots.join("attendance-page-1"))
        .status();
    match png {
        Ok(status) => {
            assert!(status.success(), "pdftoppm");
            assert!(shots.join("attendance-page-1.png").exists());
        }
        Err(_) if std::env::var_os("ZHUCUN_REQUIRE_BROWSER").is_some() => {
            panic!("pdftoppm is missing (apt-get install poppler-utils)")
        }
        Err(_) => eprintln!("pdftoppm missing: the printed ledger is not turned into a picture"),
    }

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
