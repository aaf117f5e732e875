//! A file's SHA-256 is no key to it. Someone who learns a hash (from a report, a log, a
//! screenshot) and names it in a record of their own is refused; a record whose author never
//! sent the file shows it to nobody; a file the caller may not have answers exactly as an
//! unknown one; downloads carry headers a browser cannot turn into a page.

use crate::common::*;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use zhucun_server::store::Store;
use zhucun_shared::ids::{DeviceId, PersonId, RecordId};
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::record::{DeviceRecord, RecordBody, ReportKind};

fn sha(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(seed),
            (y as u8).wrapping_add(seed),
            seed,
        ])
    }));
    zhucun_server::photos::inspect::jpeg_with_exif(&img, Utc::now(), None)
}

fn pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    out.extend("% 青峰乡驻村工作月报\n".as_bytes());
    out.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

fn photo_record(
    device: DeviceId,
    person: PersonId,
    seq: u64,
    sha: &str,
    at: DateTime<Utc>,
) -> DeviceRecord {
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: at,
        body: RecordBody::Photo {
            attached_to: RecordId::new(),
            sha256: sha.to_string(),
            taken_at: at,
            position: None,
            bytes: 1000,
        },
        received: None,
    }
}

fn report(device: DeviceId, person: PersonId, seq: u64, attachments: Vec<String>) -> DeviceRecord {
    let now = Utc::now();
    DeviceRecord {
        id: RecordId::new(),
        device_id: device,
        seq,
        person_id: person,
        captured_at: now,
        body: RecordBody::Report {
            kind: ReportKind::MonthlyReport,
            village_id: None,
            period: Period::containing(PeriodKind::Month, local_date(now)).unwrap(),
            title: "十一月驻村工作月报".into(),
            text: "见附件".into(),
            attachments,
        },
        received: None,
    }
}

/// Sends `bytes` whole to `path` (`/api/v1/photos/…` or `/api/v1/files/…`).
async fn upload(app: &TestApp, token: &str, kind: &str, bytes: &[u8]) -> (StatusCode, Value) {
    app.put_chunk(
        token,
        &format!("/api/v1/{kind}/{}", sha(bytes)),
        0,
        bytes.len(),
        bytes,
    )
    .await
}

async fn fetch(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cadre_of_another_township_cannot_get_a_photo_by_pushing_its_hash() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        // cadre1 takes a visit's photo, uploads it and pushes its record.
        let victim = app.login(fx.cadre1).await;
        let photo = jpeg(3);
        let h = sha(&photo);
        let (s, v) = upload(&app, &victim, "photos", &photo).await;
        assert_eq!(
            (s, v["complete"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
        let vdev = app.enroll(&victim).await;
        let (s, v) = app
            .push(
                &victim,
                vdev,
                &[photo_record(vdev, fx.cadre1, 1, &h, Utc::now())],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // An outsider learns the hash and tries.
        let attacker = app.login(fx.outsider).await;
        let unknown = sha(b"no such file");
        let before = fetch(&app, &attacker, &format!("/api/v1/photos/{h}")).await;
        let before_status = before.status();
        let before_body: Value = before.json().await.unwrap();
        let none = fetch(&app, &attacker, &format!("/api/v1/photos/{unknown}")).await;
        assert_eq!(none.status(), StatusCode::NOT_FOUND);
        let none_body: Value = none.json().await.unwrap();
        assert_eq!(
            (before_status, &before_body),
            (StatusCode::NOT_FOUND, &none_body),
            "a stored photo the caller may not have answers as an unknown one"
        );
        for kind in ["photos", "files"] {
            let (s1, b1) = app
                .get(&attacker, &format!("/api/v1/{kind}/{h}/status"))
                .await;
            let (s2, b2) = app
                .get(&attacker, &format!("/api/v1/{kind}/{unknown}/status"))
                .await;
            assert_eq!((s1, &b1), (s2, &b2), "{kind} status");
            assert_eq!(s1, StatusCode::NOT_FOUND);
            let r = fetch(&app, &attacker, &format!("/api/v1/files/{h}")).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
        }

        let adev = app.enroll(&attacker).await;
        let (s, v) = app
            .push(
                &attacker,
                adev,
                &[photo_record(adev, fx.outsider, 1, &h, Utc::now())],
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str(), v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("invalid_field"),
                Some("records[0].body.sha256")
            ),
            "{v}"
        );
        let (s, v) = app
            .push(
                &attacker,
                adev,
                &[report(adev, fx.outsider, 1, vec![sha(b"x"), h.clone()])],
            )
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.attachments[1]")
            ),
            "{v}"
        );
        let after = fetch(&app, &attacker, &format!("/api/v1/photos/{h}")).await;
        assert_eq!(after.status(), StatusCode::NOT_FOUND);
        assert!(app.state.store.file_uses(&h).await.unwrap().len() == 1);

        // The victim and those over them still have it.
        for who in [fx.cadre1, fx.leader1, fx.supervisor] {
            let t = app.login(who).await;
            let r = fetch(&app, &t, &format!("/api/v1/photos/{h}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{}", username(&fx, who));
        }
    })
    .await;
}

#[tokio::test]
async fn a_record_pushed_before_the_file_shows_it_only_once_its_author_uploads_it() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let photo = jpeg(5);
        let h = sha(&photo);
        // The outsider guesses or learns the hash before anyone uploads the file, and pushes
        // a record naming it: a file not stored yet may be named (phones push first).
        let attacker = app.login(fx.outsider).await;
        let adev = app.enroll(&attacker).await;
        let (s, v) = app
            .push(
                &attacker,
                adev,
                &[photo_record(adev, fx.outsider, 1, &h, Utc::now())],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Then cadre1 uploads the file and pushes the real record.
        let victim = app.login(fx.cadre1).await;
        let (s, _) = upload(&app, &victim, "photos", &photo).await;
        assert_eq!(s, StatusCode::OK);
        let vdev = app.enroll(&victim).await;
        let (s, _) = app
            .push(
                &victim,
                vdev,
                &[photo_record(vdev, fx.cadre1, 1, &h, Utc::now())],
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // The outsider's own record grants nothing: they never sent the file.
        let r = fetch(&app, &attacker, &format!("/api/v1/photos/{h}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let (s, _) = app
            .get(&attacker, &format!("/api/v1/photos/{h}/status"))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Someone who really holds the same bytes proves it by sending them whole: then the
        // file is theirs too, and their record may name it.
        let (s, v) = upload(&app, &attacker, "photos", &photo).await;
        assert_eq!(
            (s, v["complete"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
        assert!(app
            .state
            .store
            .is_file_uploader(&h, fx.outsider)
            .await
            .unwrap());
        assert!(app
            .state
            .store
            .is_file_uploader(&h, fx.cadre1)
            .await
            .unwrap());
        let r = fetch(&app, &attacker, &format!("/api/v1/photos/{h}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let (s, v) = app
            .push(
                &attacker,
                adev,
                &[photo_record(adev, fx.outsider, 2, &h, Utc::now())],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    })
    .await;
}

#[tokio::test]
async fn a_leader_may_name_a_file_they_can_already_see() {
    on_each_backend(async |app: &TestApp| {
        let fx = app.fx.clone();
        let cadre = app.login(fx.cadre1).await;
        let doc = pdf();
        let h = sha(&doc);
        let (s, _) = upload(&app, &cadre, "files", &doc).await;
        assert_eq!(s, StatusCode::OK);
        let cdev = app.enroll(&cadre).await;
        let (s, _) = app
            .push(&cadre, cdev, &[report(cdev, fx.cadre1, 1, vec![h.clone()])])
            .await;
        assert_eq!(s, StatusCode::OK);
        // The team leader sees cadre1's report, so may attach its file to their own.
        let leader = app.login(fx.leader1).await;
        let ldev = app.enroll(&leader).await;
        let (s, v) = app
            .push(
                &leader,
                ldev,
                &[report(ldev, fx.leader1, 1, vec![h.clone()])],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // cadre2 (another village) may not.
        let other = app.login(fx.cadre2).await;
        let odev = app.enroll(&other).await;
        let (s, v) = app
            .push(&other, odev, &[report(odev, fx.cadre2, 1, vec![h.clone()])])
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("records[0].body.attachments[0]")
            ),
            "{v}"
        );
    })
    .await;
}

#[tokio::test]
async fn downloads_cannot_be_sniffed_into_pages_or_kept_by_shared_caches() {
    on_each_backend(async |app: &TestApp| {
        let token = app.login(app.fx.cadre1).await;
        for (kind, bytes, disposition, ext) in [
            ("photos", jpeg(9), "inline", "jpg"),
            ("files", pdf(), "attachment", "pdf"),
        ] {
            let (s, _) = upload(&app, &token, kind, &bytes).await;
            assert_eq!(s, StatusCode::OK);
            let h = sha(&bytes);
            let r = fetch(&app, &token, &format!("/api/v1/{kind}/{h}")).await;
            assert_eq!(r.status(), StatusCode::OK);
            let hd = r.headers();
            assert_eq!(hd["x-content-type-options"], "nosniff");
            assert_eq!(
                hd["content-disposition"].to_str().unwrap(),
                format!("{disposition}; filename=\"{h}.{ext}\"")
            );
            let cache = hd["cache-control"].to_str().unwrap();
            assert!(cache.split(',').any(|d| d.trim() == "private"), "{cache}");
            assert!(hd["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox"));
        }
    })
    .await;
}
