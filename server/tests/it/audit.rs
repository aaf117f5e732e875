//! The audit log: logins, failed logins, device changes and findings are written, chained;
//! supervisors and the office read their jurisdiction's entries; an edited row is caught by
//! verify on each backend and by `zhucun-server audit verify`; export writes JSON lines.

use crate::cli::zhucun;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use zhucun_server::store::{AnyStore, Store};

async fn edit_subject(store: &AnyStore, seq: i64, subject: &str) {
    let sql = "UPDATE audit_log SET subject = $1 WHERE seq = $2";
    match store {
        AnyStore::Sqlite(s) => {
            sqlx::query(sql)
                .bind(subject)
                .bind(seq)
                .execute(s.write_pool())
                .await
                .unwrap();
        }
        AnyStore::Postgres(s) => {
            sqlx::query(sql)
                .bind(subject)
                .bind(seq)
                .execute(s.write_pool())
                .await
                .unwrap();
        }
    }
}

fn kinds(page: &Value) -> Vec<(String, String)> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn logins_and_devices_are_logged_within_jurisdiction_and_edits_are_caught() {
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let cadre = app.login(fx.cadre1).await;
        let (status, _) = app
            .post_json(
                "",
                "/api/v1/auth/login",
                &json!({"username": username(fx, fx.cadre1), "password": "wrong"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let device = app.enroll(&cadre).await;
        let _outsider = app.login(fx.outsider).await;
        let supervisor = app.login(fx.supervisor).await;

        let (status, page) = app.get(&supervisor, "/api/v1/audit").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let seen = kinds(&page);
        let me = username(fx, fx.cadre1).to_string();
        assert!(seen.contains(&("login".into(), me.clone())), "{seen:?}");
        assert!(
            seen.contains(&("login_failed".into(), me.clone())),
            "{seen:?}"
        );
        assert!(
            seen.contains(&("device_enrolled".into(), device.to_string())),
            "{seen:?}"
        );
        let outsider = username(fx, fx.outsider).to_string();
        assert!(
            !seen.iter().any(|(_, s)| *s == outsider),
            "another township's entries are invisible: {seen:?}"
        );
        let failed = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "login_failed")
            .unwrap();
        let detail: Value = serde_json::from_str(failed["detail"].as_str().unwrap()).unwrap();
        assert!(detail["address"].as_str().is_some(), "{failed}");

        // Paged by seq.
        let (_, first) = app.get(&supervisor, "/api/v1/audit?limit=1").await;
        let next = first["next_since"].as_i64().unwrap();
        let (_, second) = app
            .get(&supervisor, &format!("/api/v1/audit?since={next}&limit=1"))
            .await;
        assert!(second["entries"][0]["seq"].as_i64().unwrap() > next);

        let (status, _) = app.get(&cadre, "/api/v1/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let admin = app.login(fx.admin).await;
        let (status, page) = app.get(&admin, "/api/v1/audit?limit=1000").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kinds(&page).contains(&("login".into(), me.clone())));

        let store = &app.state.store;
        let n = zhucun_server::audit::verify(store).await.unwrap().unwrap();
        assert!(n >= 6, "{n}");
        edit_subject(store, 2, "someone-else").await;
        let broken = zhucun_server::audit::verify(store)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(broken.seq, 2, "{broken}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_appends_each_take_their_own_predecessor() {
    on_each_backend(async |app: &TestApp| {
        let store = app.state.store.clone();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let e = zhucun_server::audit::new_entry(
                        chrono::Utc::now(),
                        None,
                        None,
                        zhucun_server::audit::AuditKind::Import,
                        format!("file{i}"),
                        json!({}),
                    );
                    zhucun_server::audit::record(&store, e).await.unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let n = zhucun_server::audit::verify(&store).await.unwrap().unwrap();
        assert!(n >= 16, "{n}");
    })
    .await;
}

#[tokio::test]
async fn the_cli_verifies_and_exports_the_log() {
    let dir = tempfile::tempdir().unwrap();
    for args in [["rules", "reset"], ["calendar", "reset"]] {
        let out = zhucun(dir.path(), &args);
        assert!(out.status.success(), "{out:?}");
    }
    let out = zhucun(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 条"),
        "{out:?}"
    );

    let out = zhucun(dir.path(), &["audit", "export"]);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "rules_reset");
    assert_eq!(lines[1]["kind"], "calendar_reset");
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    let out = zhucun(dir.path(), &["audit", "export", "--since", "1"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);

    let url = format!("sqlite://{}", dir.path().join("zhucun.sqlite").display());
    let store = zhucun_server::open_store(&url).await.unwrap();
    edit_subject(&store, 1, "edited").await;
    store.close().await;
    let out = zhucun(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entry 1"), "{err}");
}

#[tokio::test]
async fn a_checkers_note_on_someone_elses_record_is_a_finding_logged_once() {
    use zhucun_shared::record::DeviceRecord;
    on_each_backend(async |app: &TestApp| {
        let fx = &app.fx;
        let start = chrono::Utc::now() - chrono::Duration::minutes(30);
        let t1 = app.login(fx.cadre1).await;
        let d1 = app.enroll_at(fx.cadre1, start).await;
        let fixes = fix_records(d1, fx.cadre1, 1..=2, start);
        let (s, v) = app.push(&t1, d1, &fixes).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let ts = app.login(fx.supervisor).await;
        let ds = app.enroll(&ts).await;
        let note = |seq, on| DeviceRecord {
            seq,
            ..crate::spot_checks::note_on(ds, fx.supervisor, on)
        };
        let finding = note(1, fixes[0].id);
        let own = note(2, finding.id); // a note on the checker's own note is no finding
        for _ in 0..2 {
            let (s, v) = app.push(&ts, ds, &[finding.clone(), own.clone()]).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (_, page) = app.get(&ts, "/api/v1/audit?limit=1000").await;
        let findings: Vec<&Value> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "finding")
            .collect();
        assert_eq!(findings.len(), 1, "{page}");
        assert_eq!(findings[0]["subject"], finding.id.to_string());
        assert_eq!(findings[0]["actor"], fx.supervisor.to_string());
        let detail: Value = serde_json::from_str(findings[0]["detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["author"], fx.cadre1.to_string());
        assert_eq!(detail["attached_to"], fixes[0].id.to_string());
    })
    .await;
}

#[test]
fn the_operators_imports_and_account_changes_are_logged() {
    let dir = tempfile::tempdir().unwrap();
    let h = 0.008;
    let (lat, lon) = (31.9, 107.2);
    let villages = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"村名": "青峰村"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h], [lon - h, lat - h]
        ]]}
    }]});
    let file = dir.path().join("村界.geojson");
    std::fs::write(&file, villages.to_string()).unwrap();
    let file = file.to_str().unwrap();
    for args in [
        &[
            "import",
            "villages",
            file,
            "--township",
            "青峰乡",
            "--county",
            "通江县",
        ][..],
        &[
            "user",
            "add",
            "--username",
            "liming",
            "--name",
            "李明",
            "--township",
            "青峰乡",
            "--role",
            "supervisor",
            "--password",
            "马蹄湾-橘子-47-晴",
        ],
        &["user", "disable", "--username", "liming"],
        &["user", "enable", "--username", "liming"],
        &["user", "reset-password", "--username", "liming"],
    ] {
        let out = zhucun(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let out = zhucun(dir.path(), &["audit", "export"]);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["kind"].as_str().unwrap(), l["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("import", "villages"),
            ("user_added", "liming"),
            ("user_disabled", "liming"),
            ("user_enabled", "liming"),
            ("password_reset", "liming"),
        ]
    );
    let import: Value = serde_json::from_str(lines[0]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(import["count"], 1);
    let township = lines[0]["township"]
        .as_str()
        .expect("the township imported");
    assert!(lines.iter().all(|l| l["township"] == township), "{lines:?}");
    assert!(
        lines.iter().all(|l| !l.to_string().contains("马蹄湾")),
        "no password logged"
    );
    let out = zhucun(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
}
