//! One household's 结对帮扶台账 over real HTTP, on each backend: the visits of the cadre paired
//! with it, line for line the cadre's own ledger, within jurisdiction (404 for an unknown
//! household, 403 outside reach, 422 naming the parameter); and a visit found false on a spot
//! check (核查不属实), which both ledgers mark so and R-35 no longer holds as an incomplete line.

use crate::common::browser::*;
use crate::common::*;
use crate::findings::{judge, last_month, two_visits};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use zhucun_shared::ids::{HouseholdId, RecordId};
use zhucun_shared::period::{day_start, local_date, local_time};
use zhucun_shared::record::{DeviceRecord, RecordBody};

/// The status and, when it is a CSV, its rows; otherwise the JSON body.
pub(crate) async fn download(
    app: &TestApp,
    token: &str,
    query: &str,
) -> (StatusCode, Vec<Vec<String>>, Value) {
    let r = app
        .http
        .get(app.url(&format!("/api/v1/ledgers/{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let bytes = r.bytes().await.unwrap().to_vec();
    if status != StatusCode::OK {
        return (
            status,
            Vec::new(),
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        );
    }
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{query}: no byte-order mark"
    );
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (status, rows, Value::Null)
}

/// The rows of a CSV document `query` (after `/api/v1/ledgers/`), which must be served.
pub(crate) async fn rows(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let (s, rows, v) = download(app, token, query).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    rows
}

/// The body rows: those whose first cell is a number.
fn body(rows: &[Vec<String>]) -> Vec<&Vec<String>> {
    rows.iter()
        .skip(3)
        .filter(|r| r.first().is_some_and(|c| c.parse::<u32>().is_ok()))
        .collect()
}

#[tokio::test]
async fn a_households_pairing_ledger_is_its_cadres_visits_within_jurisdiction() {
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let (cadre, _, _, check_ins) = two_visits(app).await;
        let (month, first) = last_month();
        let household = fx.households[0];
        let supervisor = app.login(fx.supervisor).await;
        let query = format!("pairing-ledger?household={household}&month={month}&format=csv");
        let sheet = rows(app, &supervisor, &query).await;
        assert_eq!(sheet[0][0], "青峰村户主0户结对帮扶台账");
        assert!(sheet[1][0].contains("帮扶责任人：张一"), "{:?}", sheet[1]);
        assert_eq!(
            sheet[2],
            zhucun_server::ledgers::pairing_ledger::HOUSEHOLD_HEADERS.map(String::from)
        );
        let lines = body(&sheet);
        assert_eq!(lines.len(), 2, "{sheet:?}");
        // The first visit, cell by cell, against the records pushed (two_visits: 10:00 on the
        // month's first day, 12 minutes, one photo, one note).
        let start = day_start(first) + Duration::hours(10);
        assert_eq!(
            lines[0][..9],
            [
                "1",
                "张一",
                &local_date(start).format("%m-%d").to_string(),
                &local_time(start).format("%H:%M").to_string(),
                &local_time(start + Duration::minutes(12))
                    .format("%H:%M")
                    .to_string(),
                "12",
                "1",
                "了解务工收入，宣传小额信贷政策。",
                "计入",
            ]
            .map(String::from)
        );
        let totals = sheet.iter().find(|r| r[0] == "合计").unwrap();
        assert_eq!(totals[2], "走访2次");
        assert_eq!(totals[8], "计入2次");

        // The same lines as the cadre's own ledger shows them, from the date on.
        let own = rows(
            app,
            &cadre,
            &format!(
                "pairing-ledger?person={}&month={month}&format=csv",
                fx.cadre1
            ),
        )
        .await;
        let own_lines: Vec<_> = body(&own).into_iter().filter(|r| r[1] == "户主0").collect();
        assert_eq!(own_lines.len(), 2);
        for (h, o) in lines.iter().zip(&own_lines) {
            assert_eq!(h[2..9], o[5..12]);
        }
        // The cadre reads the household's ledger too (they are all it shows).
        rows(app, &cadre, &query).await;

        // The console links to it from the cadre's ledger and from the household's page.
        let link =
            format!("/console/ledgers/pairing-ledger?household={household}&amp;month={month}");
        let mut b = Browser::new(app);
        b.sign_in(fx.admin).await;
        let (s, page) = b
            .get(&format!(
                "/console/ledgers/pairing-ledger?person={}&month={month}",
                fx.cadre1
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&link) && page.contains(">户主0户</a>"),
            "{page}"
        );
        let (s, page) = b
            .get(&format!("/console/admin/households/{household}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(&link), "{page}");
        let (s, page) = b.get(&link.replace("&amp;", "&")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("户主0户结对帮扶台账") && page.contains("了解务工收入"),
            "{page}"
        );

        // Another village's member and another township's cadre are refused.
        for who in [fx.cadre2, fx.outsider] {
            let t = app.login(who).await;
            assert_eq!(download(app, &t, &query).await.0, StatusCode::FORBIDDEN);
        }
        // Unknown: 404; malformed or doubled: 422 naming the parameter.
        let (s, _, _) = download(
            app,
            &supervisor,
            &format!(
                "pairing-ledger?household={}&month={month}",
                HouseholdId::new()
            ),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        for q in [
            format!("pairing-ledger?household=someone&month={month}"),
            format!(
                "pairing-ledger?household={household}&person={}&month={month}",
                fx.cadre1
            ),
        ] {
            let (s, _, v) = download(app, &supervisor, &q).await;
            assert_eq!(
                (s, v["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("household")),
                "{q}: {v}"
            );
        }
        let (s, _, v) = download(
            app,
            &supervisor,
            &format!("pairing-ledger?household={household}&month=2026-13"),
        )
        .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("month"))
        );
        let _ = check_ins;
    })
    .await;
}

/// A check-in to the paired household and nothing more (no note, no photo, no check-out): an
/// incomplete line of the ledger.
fn bare_check_in(
    app: &TestApp,
    device: zhucun_shared::ids::DeviceId,
    seq: u64,
    at: chrono::DateTime<Utc>,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: app.fx.cadre1,
        captured_at: at,
        body: RecordBody::HouseholdCheckIn {
            household_id: app.fx.households[0],
            fix: Some(fix_at(V1.0, V1.1, at)),
            event: None,
        },
        received: None,
    }
}

/// R-35's part of the cadre's report for last month, as `token` reads it.
async fn r35(app: &TestApp, token: &str) -> Value {
    let (month, _) = last_month();
    let (s, v) = app
        .get(
            token,
            &format!("/api/v1/people/{}/report?month={month}", app.fx.cadre1),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule_id"] == "R-35")
        .expect("a pairing cadre is held to R-35")["parts"][0]
        .clone()
}

#[tokio::test]
async fn a_visit_found_false_is_marked_so_in_the_ledgers_and_is_no_incomplete_line() {
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let (cadre, device, seq, check_ins) = two_visits(app).await;
        let (month, first) = last_month();
        let bare = bare_check_in(
            app,
            device,
            seq + 1,
            day_start(first + Duration::days(9)) + Duration::hours(15),
        );
        let (s, v) = app.push(&cadre, device, std::slice::from_ref(&bare)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let supervisor = app.login(fx.supervisor).await;
        let person_q = format!(
            "pairing-ledger?person={}&month={month}&format=csv",
            fx.cadre1
        );
        let household_q = format!(
            "pairing-ledger?household={}&month={month}&format=csv",
            fx.households[0]
        );

        // Before any finding: the bare visit is an incomplete line, in the notes and in R-35.
        let before = rows(app, &supervisor, &person_q).await;
        assert!(
            before
                .iter()
                .any(|r| r[0].starts_with("台账不完整（R-35）：户主0")),
            "{before:?}"
        );
        assert_eq!(
            r35(app, &supervisor).await["rejected"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // The supervisor finds the first (complete) visit and the bare one false.
        for c in [check_ins[0], bare.id] {
            let (s, v) = judge(app, &supervisor, c, "not_confirmed", "农户称当日无人来访").await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let marked = "不计入：核查不属实";
        for q in [&person_q, &household_q] {
            let sheet = rows(app, &supervisor, q).await;
            let col = sheet[2].iter().position(|h| h == "是否计入").unwrap();
            let lines = body(&sheet);
            let visits: Vec<_> = lines.iter().filter(|r| !r[col].is_empty()).collect();
            assert_eq!(visits.len(), 3, "{q}: {sheet:?}");
            assert_eq!(
                visits.iter().filter(|r| r[col] == marked).count(),
                2,
                "{q}: {sheet:?}"
            );
            assert_eq!(
                visits.iter().filter(|r| r[col] == "计入").count(),
                1,
                "{q}: {sheet:?}"
            );
            assert!(
                !sheet.iter().any(|r| r[0].starts_with("台账不完整")),
                "{q}: a visit found false is no incomplete line: {sheet:?}"
            );
        }
        // R-35 agrees: one complete line counted, nothing rejected.
        let part = r35(app, &supervisor).await;
        assert_eq!(part["counted"], 1, "{part}");
        assert_eq!(part["required"], 1, "{part}");
        assert!(part["rejected"].as_array().unwrap().is_empty(), "{part}");
    })
    .await;
}
