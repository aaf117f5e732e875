//! Photo upload: by SHA-256, idempotent, resumable; checked, read and stored content-addressed.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use zhucun_server::store::Store;
use zhucun_shared::org::LatLon;

fn sha(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn camera_jpeg() -> Vec<u8> {
    // Noise, so that the file is big enough to cut in pieces.
    let mut state = 12345u32;
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(320, 240, |_, _| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = state.to_be_bytes();
        image::Rgb([b[0], b[1], b[2]])
    }));
    let t = Utc.with_ymd_and_hms(2026, 11, 3, 2, 0, 0).unwrap();
    zhucun_server::photos::inspect::jpeg_with_exif(&img, t, Some(LatLon::new(31.95, 107.25)))
}

async fn put(
    app: &TestApp,
    token: &str,
    sha: &str,
    offset: usize,
    total: usize,
    chunk: &[u8],
) -> (StatusCode, Value) {
    app.put_chunk(
        token,
        &format!("/api/v1/photos/{sha}"),
        offset,
        total,
        chunk,
    )
    .await
}

#[tokio::test]
async fn a_cut_off_upload_continues_where_it_stopped() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let token = app.login(app.fx.cadre1).await;
        let bytes = camera_jpeg();
        let n = bytes.len();
        assert!(n > 3000, "{n}");
        let h = sha(&bytes);

        let (s, v) = put(&app, &token, &h, 0, n, &bytes[..1000]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["received_bytes"].as_u64(), v["complete"].as_bool()),
            (Some(1000), Some(false))
        );

        // The connection dropped; the phone asks where to continue.
        let (s, v) = app.get(&token, &format!("/api/v1/photos/{h}/status")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["received_bytes"], 1000);

        // A chunk past what is held is refused; the held bytes are kept.
        let (s, v) = put(&app, &token, &h, 2000, n, &bytes[2000..]).await;
        assert_eq!(
            (s, v["code"].as_str(), v["field"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("offset_mismatch"),
                Some("offset")
            )
        );

        // A resent chunk overlapping what is held only adds the new bytes.
        let (_, v) = put(&app, &token, &h, 500, n, &bytes[500..2000]).await;
        assert_eq!(v["received_bytes"], 2000);
        let (s, v) = put(&app, &token, &h, 2000, n, &bytes[2000..]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["complete"], true);
        assert_eq!(v["received_bytes"].as_u64(), Some(n as u64));

        let row = app
            .state
            .store
            .photo(&h)
            .await
            .unwrap()
            .expect("photo stored");
        assert_eq!(
            (
                row.bytes as usize,
                row.format.as_str(),
                row.width,
                row.height
            ),
            (n, "jpeg", 320, 240)
        );
        assert_eq!(
            row.facts.exif_time,
            Some(Utc.with_ymd_and_hms(2026, 11, 3, 2, 0, 0).unwrap())
        );
        let p = row.facts.exif_position.unwrap();
        assert!((p.lat - 31.95).abs() < 1e-5 && (p.lon - 107.25).abs() < 1e-5);
        assert!(row.facts.phash.is_some());
        assert_eq!(row.uploaded_by, app.fx.cadre1);
        assert_eq!(app.state.objects.get(&h).await.unwrap().unwrap(), bytes);
        assert_eq!(
            app.state.uploads.received(&h, app.fx.cadre1),
            0,
            "part file removed"
        );

        // Uploading again is a no-op that reports completion.
        let (s, v) = put(&app, &token, &h, 0, n, &bytes).await;
        assert_eq!((s, v["complete"].as_bool()), (StatusCode::OK, Some(true)));
        let (_, v) = app.get(&token, &format!("/api/v1/photos/{h}/status")).await;
        assert_eq!(v["complete"], true);
        app.stop().await;
    }
}

#[tokio::test]
async fn content_that_does_not_match_its_hash_is_dropped() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let token = app.login(app.fx.cadre1).await;
        let bytes = camera_jpeg();
        let wrong = sha(b"something else");
        let (s, v) = put(&app, &token, &wrong, 0, bytes.len(), &bytes).await;
        assert_eq!(
            (s, v["code"].as_str(), v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("sha256_mismatch"),
                Some("sha256")
            )
        );
        assert!(app.state.store.photo(&wrong).await.unwrap().is_none());
        assert_eq!(app.state.uploads.received(&wrong, app.fx.cadre1), 0);
        // More bytes than declared.
        let h = sha(&bytes);
        let (s, v) = put(&app, &token, &h, 0, 10, &bytes[..20]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("total"))
        );
        app.stop().await;
    }
}

/// CRC-32 of PNG chunks.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small valid PNG whose header claims `side`×`side` pixels.
fn png_claiming(side: u32) -> Vec<u8> {
    let img = image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png[16..20].copy_from_slice(&side.to_be_bytes());
    png[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[tokio::test]
async fn decompression_bombs_are_refused() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| {
            c.max_image_side = 8000;
            c.max_decode_bytes = 64 * 1024 * 1024;
        })
        .await;
        let token = app.login(app.fx.cadre1).await;
        // 100 000² pixels: beyond the side limit. 7000² RGBA-free grey: 49 MB, within the side
        // limit but decoded into 8-bit RGB would pass; the header alone claims it.
        for side in [100_000u32, 60_000] {
            let bomb = png_claiming(side);
            let h = sha(&bomb);
            let (s, v) = put(&app, &token, &h, 0, bomb.len(), &bomb).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(
                (v["code"].as_str(), v["field"].as_str()),
                (Some("image_too_large"), Some("body"))
            );
            assert!(app.state.store.photo(&h).await.unwrap().is_none());
            assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 0);
        }
        // Within the side limit but more memory than allowed: 7000 × 7000 × 3 bytes > 64 MiB
        // once decoded — refused all the same, or at worst undecodable (the data is 1 pixel).
        let bomb = png_claiming(7000);
        let (s, v) = put(&app, &token, &sha(&bomb), 0, bomb.len(), &bomb).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(
            matches!(
                v["code"].as_str(),
                Some("image_too_large" | "undecodable_image")
            ),
            "{v}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn files_larger_than_allowed_are_413() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| {
            c.max_photo_bytes = 10_000;
            c.max_chunk_bytes = 4_000;
        })
        .await;
        let token = app.login(app.fx.cadre1).await;
        let bytes = camera_jpeg();
        let h = sha(&bytes);
        let (s, v) = put(&app, &token, &h, 0, bytes.len(), &bytes[..100]).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
        );
        let (s, v) = put(&app, &token, &h, 0, 9_000, &bytes[..5_000]).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")),
            "chunk over the limit"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_refused_upload_drops_its_part() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, |c| c.max_photo_bytes = 1_000_000).await;
        let token = app.login(app.fx.cadre1).await;
        let bytes = camera_jpeg();
        let n = bytes.len();
        let h = sha(&bytes);
        let (s, _) = put(&app, &token, &h, 0, n, &bytes[..1000]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 1000);
        // More bytes than the file was said to have.
        let (s, v) = put(&app, &token, &h, 1000, 1500, &bytes[1000..2000]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("total")),
            "{v}"
        );
        assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 0);
        // A file said to be too large.
        let (s, _) = put(&app, &token, &h, 0, n, &bytes[..1000]).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = put(&app, &token, &h, 1000, 2_000_000, &bytes[1000..2000]).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn abandoned_parts_are_swept_when_a_new_upload_starts() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        let token = app.login(app.fx.cadre1).await;
        let dir = app.state.uploads.dir().to_path_buf();
        let old = dir.join(format!("{}.{}.part", "ab".repeat(32), app.fx.cadre2));
        let recent = dir.join(format!("{}.{}.part", "cd".repeat(32), app.fx.cadre2));
        for p in [&old, &recent] {
            std::fs::write(p, b"\xff\xd8\xff partial").unwrap();
        }
        let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86400);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        // The start-up sweep ran already; the next one is due in an hour, or on a restart.
        assert_eq!(app.state.uploads.sweep_abandoned(), 1);
        assert!(!old.exists());
        assert!(recent.exists());
        let bytes = camera_jpeg();
        let (s, _) = put(&app, &token, &sha(&bytes), 0, bytes.len(), &bytes[..1000]).await;
        assert_eq!(s, StatusCode::OK);
        app.stop().await;
    }
}
