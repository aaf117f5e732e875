//! The server's verdicts come from its own reading of the records and of the photo files:
//! a picture sent twice under different files is caught by its perceptual hash, which only the
//! server computes.

use crate::common::*;
use chrono::{Datelike, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use zhucun_shared::ids::{HouseholdId, RecordId};
use zhucun_shared::org::LatLon;
use zhucun_shared::period::{day_start, local_date};
use zhucun_shared::record::{DeviceRecord, RecordBody};

fn picture(seed: u8) -> image::DynamicImage {
    let mut state = u32::from(seed) * 7919 + 1;
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(96, 72, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        }
        let b = state.to_be_bytes();
        image::Rgb([b[0], b[1], b[2]])
    }))
}

async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> String {
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let r = app
        .http
        .put(app.url(&format!(
            "/api/v1/photos/{sha}?offset=0&total={}",
            bytes.len()
        )))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sha
}

/// A household visit: check-in at the household, a photo, a note, check-out ten minutes later.
fn visit(
    app: &TestApp,
    device: zhucun_shared::ids::DeviceId,
    seq: &mut u64,
    household: HouseholdId,
    at: LatLon,
    start: chrono::DateTime<Utc>,
    photo: (&str, u64),
) -> Vec<DeviceRecord> {
    let person = app.fx.cadre1;
    let mut out = Vec::new();
    let mut rec = |t: chrono::DateTime<Utc>, body: RecordBody| {
        *seq += 1;
        let id = RecordId::new();
        out.push(DeviceRecord {
            id,
            device_id: device,
            seq: *seq,
            person_id: person,
            captured_at: t,
            body,
            received: None,
        });
        id
    };
    let check_in = rec(
        start,
        RecordBody::HouseholdCheckIn {
            household_id: household,
            fix: Some(fix_at(at.lat, at.lon, start)),
            event: None,
        },
    );
    let t = start + Duration::minutes(3);
    rec(
        t,
        RecordBody::Photo {
            attached_to: check_in,
            sha256: photo.0.into(),
            taken_at: t,
            position: Some(at),
            bytes: photo.1,
        },
    );
    rec(
        t,
        RecordBody::Note {
            attached_to: check_in,
            text: "了解务工收入，宣传小额信贷政策。".into(),
            replaces: None,
            kind: None,
        },
    );
    let end = start + Duration::minutes(12);
    rec(
        end,
        RecordBody::HouseholdCheckOut {
            check_in,
            fix: Some(fix_at(at.lat, at.lon, end)),
        },
    );
    out
}

#[tokio::test]
async fn a_picture_reused_under_another_file_does_not_count_twice() {
    on_each_backend(async |app: &TestApp| {
        let backend = &app.backend;
        let token = app.login(app.fx.cadre1).await;
        let device = app.enroll(&token).await;
        let household = app.fx.households[0];
        let at = LatLon::new(V1.0, V1.1);
        let today = local_date(Utc::now());
        let last_month = today.with_day(1).unwrap() - Duration::days(1);
        let first = last_month.with_day(1).unwrap();

        let mut seq = 0;
        let mut records = Vec::new();
        for k in 0..5u8 {
            let day = first + Duration::days(i64::from(k) * 3);
            let start = day_start(day) + Duration::hours(10);
            // The fifth visit's photo is the first visit's picture again, in another file.
            let img = picture(if k == 4 { 0 } else { k });
            let bytes = zhucun_server::photos::inspect::jpeg_with_exif(
                &img,
                start + Duration::minutes(3),
                Some(at),
            );
            let sha = upload(&app, &token, &bytes).await;
            records.extend(visit(
                &app,
                device,
                &mut seq,
                household,
                at,
                start,
                (&sha, bytes.len() as u64),
            ));
        }
        let (s, v) = app.push(&token, device, &records).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["stored"].as_u64(), Some(records.len() as u64));

        let leader = app.login(app.fx.leader1).await;
        let month = format!("{}-{:02}", last_month.year(), last_month.month());
        let (s, report) = app
            .get(
                &leader,
                &format!("/api/v1/people/{}/report?month={month}", app.fx.cadre1),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{report}");
        let r242 = report["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rule_id"] == "R-242")
            .expect("R-242 applies to a pairing cadre");
        let part = &r242["parts"][0];
        assert_eq!(part["counted"], 4, "{backend:?}: {part}");
        assert_eq!(r242["status"], "met");
        let reused = |v: &Value| {
            v.as_array()
                .unwrap()
                .iter()
                .any(|x| x["reason"] == "photo_reused" || x["kind"] == "photo_reused")
        };
        assert!(
            reused(&part["rejected"]) || reused(&report["flags"]),
            "{report}"
        );
    })
    .await;
}
