//! Month close (月结): a month past its grace date is final — a change of rules, organisation or
//! day leaves its verdicts as they were reported — while a provisional month follows the rules
//! in force; a record arriving for a final month re-opens it, and the audit log says what
//! changed and which records caused it.

use crate::common::*;
use chrono::{Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::sync::Arc;
use zhucun_server::clock::{Clock, FixedClock};
use zhucun_server::policy::{self, Policy};
use zhucun_server::store::{IncomingRecord, Store};
use zhucun_server::verdicts::{close_due, close_month, CloseOutcome};
use zhucun_server::{AnyStore, AppState, Config};
use zhucun_shared::catalogue::BUNDLED_RULES;
use zhucun_shared::ids::{DeviceId, PersonId, RecordId};
use zhucun_shared::month_close::MonthState;
use zhucun_shared::period::{day_start, Period};
use zhucun_shared::record::{DeviceRecord, RecordBody, ServerReceipt};
use zhucun_shared::verdict::PersonReport;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// `hour` o'clock in China on that day.
fn september() -> Period {
    Period::month(2026, 9)
}

/// Fixes in the middle of village 1, a minute apart from 08:30, for `minutes` on each of
/// `days` of September, numbered on from `seq`.
pub(crate) fn days_of_fixes(
    device: DeviceId,
    person: PersonId,
    days: &[(u32, i64)],
    mut seq: u64,
) -> Vec<DeviceRecord> {
    let mut out = Vec::new();
    for (d, minutes) in days {
        let start = day_start(day(2026, 9, *d)) + Duration::minutes(8 * 60 + 30);
        for m in 0..*minutes {
            let t = start + Duration::minutes(m);
            out.push(DeviceRecord {
                id: RecordId::new(),
                device_id: device,
                seq,
                person_id: person,
                captured_at: t,
                body: RecordBody::Fix {
                    fix: fix_at(V1.0, V1.1, t),
                },
                received: None,
            });
            seq += 1;
        }
    }
    out
}

/// Each requirement's status and count, for comparing verdicts.
fn outcomes(r: &PersonReport) -> Vec<(String, String, String, u32, u32)> {
    r.verdicts
        .iter()
        .flat_map(|v| {
            v.parts.iter().map(|p| {
                (
                    v.rule_id.clone(),
                    p.period.clone(),
                    format!("{:?}", p.status),
                    p.counted,
                    p.required,
                )
            })
        })
        .collect()
}

fn required(r: &PersonReport, rule: &str) -> u32 {
    r.verdict(rule).unwrap().parts[0].required
}

pub(crate) async fn start(db: &TestDb, store: &AnyStore, clock: Arc<FixedClock>) -> AppState {
    let config = Config::for_tests(db.dir.path().to_path_buf());
    let objects = Arc::new(zhucun_server::photos::FsObjectStore::new(
        db.dir.path().join("photos"),
    ));
    AppState::with_clock(config, store.clone(), objects, clock)
        .await
        .unwrap()
}

async fn report(
    state: &AppState,
    township: zhucun_shared::ids::TownshipId,
    person: PersonId,
    month: Period,
) -> PersonReport {
    let org = Arc::new(state.store.township_org(township).await.unwrap());
    zhucun_server::verdicts::report(
        state,
        org,
        person,
        month,
        state.clock.now(),
        &mut Default::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_final_month_keeps_its_verdicts_through_a_rules_change_a_provisional_one_follows() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let device = zhucun_shared::org::Device {
            id: DeviceId::new(),
            person_id: fx.leader1,
            label: "手机".into(),
            enrolled_at: at(2026, 8, 1, 9),
        };
        store.enroll_device(&device).await.unwrap();
        let incoming: Vec<_> = days_of_fixes(device.id, fx.leader1, &[(3, 500), (4, 500)], 1)
            .into_iter()
            .map(|mut r| {
                let content_hash = r.content_hash();
                r.received = Some(ServerReceipt {
                    received_at: at(2026, 9, 28, 20),
                    clock_offset_s: 0,
                });
                IncomingRecord {
                    record: r,
                    content_hash,
                }
            })
            .collect();
        store.push_records(device.id, &incoming).await.unwrap();

        // 3 October: September is provisional until its grace date, the 5th.
        let clock = Arc::new(FixedClock::at(at(2026, 10, 3, 12)));
        let state = start(&db, &store, clock.clone()).await;
        let sept = report(&state, fx.township, fx.leader1, september()).await;
        // The worker takes the records in (not running here: drained by hand).
        while zhucun_server::verdicts::drain(&state, 100).await.unwrap() > 0 {}
        assert_eq!(sept.standing.state, MonthState::Provisional);
        assert_eq!(sept.standing.grace_date, Some(day(2026, 10, 5)));
        assert_eq!(sept.standing.since, None);
        assert!(matches!(
            close_month(&state, september(), clock.now()).await.unwrap(),
            CloseOutcome::NotDue(d) if d == day(2026, 10, 5)
        ));
        // Still provisional on the grace date itself.
        clock.set(at(2026, 10, 5, 23));
        assert!(close_due(&state).await.unwrap().is_empty());

        // The 6th: the month with records past its grace date is closed.
        clock.set(at(2026, 10, 6, 9));
        assert_eq!(close_due(&state).await.unwrap(), ["2026-09"]);
        assert!(matches!(
            close_month(&state, september(), clock.now()).await.unwrap(),
            CloseOutcome::AlreadyClosed(t) if t == at(2026, 10, 6, 9)
        ));
        let closed = report(&state, fx.township, fx.leader1, september()).await;
        assert_eq!(closed.standing.state, MonthState::Final);
        assert_eq!(closed.standing.since, Some(at(2026, 10, 6, 9)));
        assert_eq!(required(&closed, "R-212"), 6);
        // Everyone posted in September was closed, not only the people with records.
        let kept = store
            .kept_verdict(fx.cadre2, "2026-09")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.report.standing.state, MonthState::Final);
        // Of two servers re-opening a person-month, the second finds it changed and writes
        // nothing.
        let mut theirs = kept.clone();
        theirs.evaluated_at = at(2026, 10, 6, 10);
        theirs.report.standing.state = MonthState::Reopened;
        assert!(store
            .replace_kept_verdict(fx.cadre2, "2026-09", &theirs, kept.evaluated_at)
            .await
            .unwrap());
        let mut mine = kept.clone();
        mine.evaluated_at = at(2026, 10, 6, 11);
        assert!(!store
            .replace_kept_verdict(fx.cadre2, "2026-09", &mine, kept.evaluated_at)
            .await
            .unwrap());
        let now_kept = store
            .kept_verdict(fx.cadre2, "2026-09")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now_kept, theirs);
        let october_before = report(&state, fx.township, fx.leader1, Period::month(2026, 10)).await;
        assert_eq!(october_before.standing.state, MonthState::Provisional);
        assert_eq!(required(&october_before, "R-212"), 6);
        let entries = store.audit_entries(0, 100, None).await.unwrap();
        let closes: Vec<_> = entries
            .iter()
            .filter(|e| e.entry.kind == "month_closed")
            .collect();
        assert_eq!(closes.len(), 1, "closed once");
        assert_eq!(closes[0].entry.subject, "2026-09");

        // The county asks its team leaders for 8 visits a month from October, and 10 from
        // November; the server restarts with them, a day later, after a new posting.
        let county = |visits: u32, label: &str| {
            BUNDLED_RULES
                .replacen("min_visits = 6", &format!("min_visits = {visits}"), 1)
                .replacen(
                    "version = \"default-2026.1\"",
                    &format!("version = \"{label}\""),
                    1,
                )
        };
        // Not for September: it is closed.
        let err = policy::set(
            &store,
            Policy::Rules,
            &county(8, "county-2026.1"),
            day(2026, 9, 1),
            clock.now(),
        )
        .await
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("--from 2026-09-01") && msg.contains("2026-10-01"),
            "{msg}"
        );
        policy::set(
            &store,
            Policy::Rules,
            &county(8, "county-2026.1"),
            day(2026, 10, 1),
            clock.now(),
        )
        .await
        .unwrap();
        policy::set(
            &store,
            Policy::Rules,
            &county(10, "county-2026.2"),
            day(2026, 11, 1),
            clock.now(),
        )
        .await
        .unwrap();
        clock.set(at(2026, 10, 7, 10));
        let state = start(&db, &store, clock.clone()).await;
        assert_eq!(state.catalogue.version, "county-2026.1");
        let newcomer_id = PersonId::new();
        let newcomer = zhucun_server::store::Org {
            people: vec![zhucun_shared::org::Person {
                id: newcomer_id,
                name: "新队员".into(),
                township_id: fx.township,
                unit_id: None,
            }],
            assignments: vec![zhucun_shared::org::Assignment {
                id: zhucun_shared::ids::AssignmentId::new(),
                person_id: newcomer_id,
                role: zhucun_shared::role::Role::ResidentMember,
                village_id: Some(fx.v1),
                township_id: fx.township,
                starts_on: day(2026, 9, 1),
                ends_on: None,
            }],
            ..Default::default()
        };
        store.put_org(&newcomer).await.unwrap();

        let after = report(&state, fx.township, fx.leader1, september()).await;
        assert_eq!(after, closed, "a final month does not change");
        assert_eq!(after.catalogue_version, "default-2026.1");
        assert_eq!(required(&after, "R-212"), 6);
        // October is provisional: it follows the rules in force.
        let october = report(&state, fx.township, fx.leader1, Period::month(2026, 10)).await;
        assert_eq!(october.standing.state, MonthState::Provisional);
        assert_eq!(october.catalogue_version, "county-2026.1");
        assert_eq!(required(&october, "R-212"), 8);
        // November is evaluated with the version in force on its first day.
        let november = report(&state, fx.township, fx.leader1, Period::month(2026, 11)).await;
        assert_eq!(november.catalogue_version, "county-2026.2");
        assert_eq!(required(&november, "R-212"), 10);
        // A rebuild from the records gives the final month as it stood when it closed.
        zhucun_server::verdicts::rebuild(&state, |_, _| {})
            .await
            .unwrap();
        let rebuilt = report(&state, fx.township, fx.leader1, september()).await;
        assert_eq!(rebuilt.standing.state, MonthState::Final);
        assert_eq!(rebuilt.standing.since, Some(at(2026, 10, 6, 9)));
        assert_eq!(rebuilt.evaluated_at, at(2026, 10, 6, 9));
        assert_eq!(rebuilt.catalogue_version, "default-2026.1");
        assert_eq!(outcomes(&rebuilt), outcomes(&closed));
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_late_record_reopens_a_final_month_and_the_audit_log_has_the_change() {
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(at(2026, 10, 3, 12)));
        let app = TestApp::start_at(&backend, |_| {}, clock.clone()).await;
        let fx = app.fx.clone();
        let token = app.login(fx.cadre1).await;
        let supervisor = app.login(fx.supervisor).await;
        let device = app.enroll_at(fx.cadre1, at(2026, 8, 1, 9)).await;
        let on_time = days_of_fixes(device, fx.cadre1, &[(3, 300), (4, 300)], 1);
        let (s, v) = app.push_at(&token, device, &on_time, clock.now()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let path = format!("/api/v1/people/{}/report?month=2026-09", fx.cadre1);
        let served = |v: serde_json::Value| -> PersonReport { serde_json::from_value(v).unwrap() };
        let (s, v) = app.get(&supervisor, &path).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["standing"]["state"], "provisional", "{}", v["standing"]);
        assert_eq!(v["standing"]["grace_date"], "2026-10-05");

        // Closed on the 6th (by this call or by the server's worker, whichever is first).
        clock.set(at(2026, 10, 6, 9));
        close_month(&app.state, september(), clock.now())
            .await
            .unwrap();
        let (_, v) = app.get(&supervisor, &path).await;
        assert_eq!(v["standing"]["state"], "final", "{}", v["standing"]);
        assert!(v["standing"]["since"].is_string());
        let before = served(v);

        // On the 10th the phone sends a September day it had not sent: in the village all day.
        clock.set(at(2026, 10, 10, 12));
        let late = days_of_fixes(device, fx.cadre1, &[(21, 480)], 601);
        let late_ids: BTreeSet<RecordId> = late.iter().map(|r| r.id).collect();
        let (s, v) = app.push_at(&token, device, &late, clock.now()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = app.get(&supervisor, &path).await;
        assert_eq!(v["standing"]["state"], "reopened", "{}", v["standing"]);
        assert_eq!(
            v["standing"]["since"],
            serde_json::json!(at(2026, 10, 10, 12))
        );
        let after = served(v);
        assert_ne!(outcomes(&before), outcomes(&after), "the late day counts");
        // The worker catching up changes nothing more, and writes nothing more.
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let (_, v) = app.get(&supervisor, &path).await;
        assert_eq!(outcomes(&served(v)), outcomes(&after));

        let entries = app.state.store.audit_entries(0, 1000, None).await.unwrap();
        let reopened: Vec<serde_json::Value> = entries
            .iter()
            .filter(|e| e.entry.kind == "month_reopened")
            .map(|e| serde_json::from_str(&e.entry.detail).unwrap())
            .filter(|d: &serde_json::Value| d["person"] == serde_json::json!(fx.cadre1))
            .collect();
        assert_eq!(reopened.len(), 1, "{reopened:?}");
        let detail = &reopened[0];
        assert_eq!(detail["month"], "2026-09");
        let records: BTreeSet<RecordId> =
            serde_json::from_value(detail["records"].clone()).unwrap();
        assert_eq!(records, late_ids, "the late records, and only they");
        let changes = detail["changes"].as_array().unwrap();
        assert!(!changes.is_empty());
        for c in changes {
            let (rule, period) = (
                c["rule_id"].as_str().unwrap(),
                c["period"].as_str().unwrap(),
            );
            let find = |r: &PersonReport| {
                r.verdict(rule).and_then(|v| {
                    v.parts
                        .iter()
                        .find(|p| {
                            p.period == period
                                && p.label_zh == c["part"]
                                && serde_json::json!(p.village_id) == c["village_id"]
                        })
                        .map(|p| serde_json::json!({"status": p.status, "counted": p.counted}))
                })
            };
            let none = serde_json::Value::Null;
            assert_eq!(find(&before).unwrap_or(none.clone()), c["before"], "{c}");
            assert_eq!(find(&after).unwrap_or(none), c["after"], "{c}");
        }

        // On the 12th the supervisor finds 3 September's stay false: a finding is a late record
        // too, and re-opens the month again.
        clock.set(at(2026, 10, 12, 15));
        let (s, v) = app
            .post_json(
                &supervisor,
                "/api/v1/findings",
                &serde_json::json!({"record_id": on_time[0].id, "outcome": "not_confirmed",
                    "comment": "当天在县城开会"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let finding: RecordId = serde_json::from_value(v["finding_id"].clone()).unwrap();
        let (_, v) = app.get(&supervisor, &path).await;
        assert_eq!(v["standing"]["state"], "reopened", "{}", v["standing"]);
        assert_eq!(
            v["standing"]["since"],
            serde_json::json!(at(2026, 10, 12, 15))
        );
        let judged = served(v);
        let days = |r: &PersonReport| r.verdict("R-233a").unwrap().parts[0].counted;
        assert_eq!(
            days(&judged),
            days(&after) - 1,
            "the day found false counts no more"
        );
        let entries = app.state.store.audit_entries(0, 1000, None).await.unwrap();
        let reopened: Vec<serde_json::Value> = entries
            .iter()
            .filter(|e| e.entry.kind == "month_reopened")
            .map(|e| serde_json::from_str(&e.entry.detail).unwrap())
            .filter(|d: &serde_json::Value| d["person"] == serde_json::json!(fx.cadre1))
            .collect();
        assert_eq!(reopened.len(), 2, "{reopened:?}");
        assert_eq!(reopened[1]["findings"], serde_json::json!([finding]));
        assert_eq!(reopened[1]["records"], serde_json::json!([]));
        assert!(!reopened[1]["changes"].as_array().unwrap().is_empty());
        // The chain still verifies with the new kinds of entry in it.
        assert!(zhucun_server::audit::verify(&app.state.store)
            .await
            .unwrap()
            .is_ok());
        app.stop().await;
    }
}

/// A re-evaluation that took its instant before the month closed, and reaches a person-month
/// only after it: what it keeps final is as of the close, so a record received before the close
/// never counts as late when a later one re-opens the month.
#[tokio::test]
async fn a_month_kept_final_by_a_batch_begun_before_the_close_is_as_of_the_close() {
    for backend in backends() {
        let clock = Arc::new(FixedClock::at(at(2026, 10, 3, 12)));
        let app = TestApp::start_at(&backend, |_| {}, clock.clone()).await;
        let fx = app.fx.clone();
        let token = app.login(fx.cadre1).await;
        let supervisor = app.login(fx.supervisor).await;
        let device = app.enroll_at(fx.cadre1, at(2026, 8, 1, 9)).await;
        let on_time = days_of_fixes(device, fx.cadre1, &[(3, 300)], 1);
        let (s, v) = app.push_at(&token, device, &on_time, clock.now()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Past the grace date, an hour before the close: still in the month as it closes.
        clock.set(at(2026, 10, 6, 8));
        let before_close = days_of_fixes(device, fx.cadre1, &[(4, 300)], 301);
        let (s, v) = app
            .push_at(&token, device, &before_close, clock.now())
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        clock.set(at(2026, 10, 6, 9));
        close_month(&app.state, september(), clock.now())
            .await
            .unwrap();
        let closed_at = app
            .state
            .store
            .closed_month("2026-09")
            .await
            .unwrap()
            .unwrap()
            .closed_at;
        // Nothing kept (as after a rebuild), and the batch that reaches the person-month read
        // its clock at 07:30, before the close.
        app.state.store.clear_kept_verdicts().await.unwrap();
        clock.set(at(2026, 10, 6, 7) + Duration::minutes(30));
        app.state
            .store
            .mark_dirty(&[(fx.cadre1, "2026-09".to_string())])
            .await
            .unwrap();
        while zhucun_server::verdicts::drain(&app.state, 100)
            .await
            .unwrap()
            > 0
        {}
        let kept = app
            .state
            .store
            .kept_verdict(fx.cadre1, "2026-09")
            .await
            .unwrap()
            .expect("kept");
        assert_eq!(kept.report.standing.state, MonthState::Final);
        assert!(kept.evaluated_at >= closed_at, "{}", kept.evaluated_at);

        clock.set(at(2026, 10, 10, 12));
        let late = days_of_fixes(device, fx.cadre1, &[(21, 480)], 601);
        let late_ids: BTreeSet<RecordId> = late.iter().map(|r| r.id).collect();
        let (s, v) = app.push_at(&token, device, &late, clock.now()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let path = format!("/api/v1/people/{}/report?month=2026-09", fx.cadre1);
        let (_, v) = app.get(&supervisor, &path).await;
        assert_eq!(v["standing"]["state"], "reopened", "{}", v["standing"]);
        let entries = app.state.store.audit_entries(0, 1000, None).await.unwrap();
        let reopened: Vec<serde_json::Value> = entries
            .iter()
            .filter(|e| e.entry.kind == "month_reopened")
            .map(|e| serde_json::from_str(&e.entry.detail).unwrap())
            .collect();
        assert_eq!(reopened.len(), 1, "{reopened:?}");
        let records: BTreeSet<RecordId> =
            serde_json::from_value(reopened[0]["records"].clone()).unwrap();
        assert_eq!(records, late_ids, "the late records, and only they");
        app.stop().await;
    }
}

#[test]
fn months_close_names_a_bad_month_and_a_bad_grace_day() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::cli::zhucun(dir.path(), &["months", "close", "--month", "2026-13"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--month") && err.contains("YYYY-MM"), "{err}");
    // A month still in its grace period is refused, naming the day it ends.
    let next = chrono::Utc::now().date_naive() + Duration::days(40);
    let month = next.format("%Y-%m").to_string();
    let out = crate::cli::zhucun(dir.path(), &["months", "close", "--month", &month]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("宽限期至"), "{err}");
    let out = crate::cli::zhucun(dir.path(), &["months", "close"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("没有到期未月结的月份"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhucun-server"))
        .args(["months", "close"])
        .env("ZHUCUN_DATA_DIR", dir.path())
        .env_remove("ZHUCUN_DATABASE_URL")
        .env("ZHUCUN_MONTH_GRACE_DAY", "31")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("month_grace_day"), "{err}");
}

#[test]
fn rules_and_calendar_versions_are_set_from_a_day_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(
        &file,
        BUNDLED_RULES.replacen(
            "version = \"default-2026.1\"",
            "version = \"county-2027.1\"",
            1,
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = crate::cli::zhucun(dir.path(), &["rules", "set", file, "--from", "2027-02-30"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--from") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    let out = crate::cli::zhucun(dir.path(), &["rules", "set", file, "--from", "2027-01-01"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2027-01-01"));
    // Without --from: from the first day of next month.
    let out = crate::cli::zhucun(dir.path(), &["calendar", "reset"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let next =
        zhucun_server::policy::first_of_next_month(zhucun_shared::period::local_date(Utc::now()));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&next.to_string()),
        "{out:?}"
    );

    let out = crate::cli::zhucun(dir.path(), &["rules", "history"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    // The header, the bundled file (in force today) and the county's version of 2027.
    assert!(
        lines[1].starts_with("0*\t（最初）") && lines[1].contains("default-2026.1"),
        "{listed}"
    );
    assert!(
        lines[2].starts_with("1\t2027-01-01") && lines[2].contains("county-2027.1"),
        "{listed}"
    );
    let out = crate::cli::zhucun(dir.path(), &["calendar", "history"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    // Version ids count across rules and calendar: the calendar's is the second kept.
    assert!(listed.contains(&format!("\n2\t{next}\t")), "{listed}");
}
