//! Photo upload: by SHA-256, idempotent, resumable; checked, read and stored content-addressed.

use crate::common::*;
use chrono::{TimeZone, Utc};
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
            .file(&h)
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
    on_each_backend(async |app| {
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
        assert!(app.state.store.file(&wrong).await.unwrap().is_none());
        assert_eq!(app.state.uploads.received(&wrong, app.fx.cadre1), 0);
        // More bytes than declared.
        let h = sha(&bytes);
        let (s, v) = put(&app, &token, &h, 0, 10, &bytes[..20]).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("total"))
        );
    })
    .await;
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
    on_each_backend_with(
        |c| {
            c.max_image_side = 8000;
            c.max_decode_bytes = 64 * 1024 * 1024;
        },
        async |app: &TestApp| {
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
                assert!(app.state.store.file(&h).await.unwrap().is_none());
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
        },
    )
    .await;
}

#[tokio::test]
async fn files_larger_than_allowed_are_413() {
    on_each_backend_with(
        |c| {
            c.max_photo_bytes = 10_000;
            c.max_chunk_bytes = 4_000;
        },
        async |app: &TestApp| {
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
        },
    )
    .await;
}

#[tokio::test]
async fn a_refused_upload_drops_its_part() {
    on_each_backend_with(
        |c| c.max_photo_bytes = 1_000_000,
        async |app| {
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
        },
    )
    .await;
}

#[tokio::test]
async fn abandoned_parts_are_swept_when_a_new_upload_starts() {
    on_each_backend(async |app| {
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
    })
    .await;
}

/// A whole PNG of `w`×`h` grey pixels, encoded fast (it compresses to almost nothing).
fn grey_png(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = vec![0u8; (w * h) as usize];
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(&pixels, w, h, image::ExtendedColorType::L8)
    .unwrap();
    png
}

#[tokio::test]
async fn a_picture_over_the_pixel_limit_is_refused_before_it_is_decoded() {
    for backend in backends() {
        // The default limits: 9000 × 9000 is within the side limit, not within 40 megapixels.
        let app = TestApp::start(&backend).await;
        let token = app.login(app.fx.cadre1).await;
        let png = grey_png(9000, 9000);
        assert!(
            png.len() < app.state.config.max_chunk_bytes,
            "{}",
            png.len()
        );
        let h = sha(&png);
        let (s, v) = put(&app, &token, &h, 0, png.len(), &png).await;
        assert_eq!(
            (s, v["code"].as_str(), v["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("image_too_large"),
                Some("body")
            ),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("9000×9000"), "{v}");
        assert!(app.state.store.file(&h).await.unwrap().is_none());
        // Every decode slot is free again.
        assert_eq!(
            app.state.decodes.available_permits(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        // Within the limit, the same picture is taken.
        let png = grey_png(2000, 1500);
        let (s, v) = put(&app, &token, &sha(&png), 0, png.len(), &png).await;
        assert_eq!(
            (s, v["complete"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
        app.stop().await;
    }
}

/// A ZIP archive holding a web page: what rides along in a polyglot.
fn zip_with_page() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("index.html", opts).unwrap();
    w.write_all(b"<html><script>alert(document.cookie)</script></html>")
        .unwrap();
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn cut_off_pictures_and_pictures_carrying_other_files_are_refused() {
    on_each_backend(async |app| {
        let token = app.login(app.fx.cadre1).await;
        let jpeg = camera_jpeg();
        let png = {
            let mut out = Vec::new();
            image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 64, |x, y| {
                image::Rgb([x as u8 * 3, y as u8 * 3, 7])
            }))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
            out
        };
        let cut = jpeg[..jpeg.len() * 6 / 10].to_vec();
        let mut cut_then_closed = cut.clone();
        cut_then_closed.extend([0xFF, 0xD9]);
        let mut polyglot = jpeg.clone();
        polyglot.extend(zip_with_page());
        polyglot.extend(b"<html><script>alert(1)</script></html>");
        let mut png_page = png.clone();
        png_page.extend(b"<html><script>alert(1)</script></html>");
        let cut_png = png[..png.len() - 30].to_vec();
        for (name, bytes, path, code) in [
            ("cut-off JPEG", cut, "photos", "undecodable_image"),
            (
                "cut-off JPEG given an end marker",
                cut_then_closed,
                "photos",
                "undecodable_image",
            ),
            ("JPEG+ZIP+HTML", polyglot.clone(), "photos", "trailing_data"),
            (
                "JPEG+ZIP+HTML attachment",
                polyglot,
                "files",
                "trailing_data",
            ),
            ("PNG+HTML", png_page, "photos", "trailing_data"),
            ("cut-off PNG", cut_png, "photos", "undecodable_image"),
        ] {
            let h = sha(&bytes);
            let (s, v) = app
                .put_chunk(
                    &token,
                    &format!("/api/v1/{path}/{h}"),
                    0,
                    bytes.len(),
                    &bytes,
                )
                .await;
            assert_eq!(
                (s, v["code"].as_str(), v["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(code), Some("body")),
                "{name}: {v}"
            );
            assert!(app.state.store.file(&h).await.unwrap().is_none(), "{name}");
            assert_eq!(app.state.uploads.received(&h, app.fx.cadre1), 0, "{name}");
        }
        // The whole pictures themselves are taken.
        for bytes in [jpeg, png] {
            let (s, v) = put(&app, &token, &sha(&bytes), 0, bytes.len(), &bytes).await;
            assert_eq!(
                (s, v["complete"].as_bool()),
                (StatusCode::OK, Some(true)),
                "{v}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn unfinished_uploads_are_bounded_per_person_and_expire_within_hours() {
    for backend in backends() {
        // The default quota: 8 unfinished uploads, 40 MiB, 6 hours.
        let app = TestApp::start(&backend).await;
        let (parts, bytes) = (
            app.state.config.max_parked_uploads as usize,
            app.state.config.max_parked_upload_bytes as usize,
        );
        let token = app.login(app.fx.cadre1).await;
        let total = app.state.config.max_photo_bytes as usize;
        let chunk = app.state.config.max_chunk_bytes;
        // A file that never finishes: JPEG magic, then filler.
        let mut junk = vec![0u8; chunk];
        junk[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        let fake = |i: usize| sha(format!("never finished {i}").as_bytes());
        for i in 0..parts {
            let (s, v) = put(&app, &token, &fake(i), 0, total, &junk).await;
            assert_eq!(s, StatusCode::OK, "part {i}: {v}");
        }
        let (s, v) = put(&app, &token, &fake(parts), 0, total, &junk).await;
        assert_eq!(
            (s, v["code"].as_str(), v["field"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("upload_quota"),
                Some("parked_uploads")
            ),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("请先"), "{v}");
        assert_eq!(app.state.uploads.received(&fake(parts), app.fx.cadre1), 0);
        // Adding to a parked part, up to the byte quota and not past it.
        let mut held = parts * chunk;
        let mut offset = chunk;
        let refused = loop {
            let (s, v) = put(&app, &token, &fake(0), offset, total, &junk).await;
            if s != StatusCode::OK {
                break v;
            }
            held += chunk;
            offset += chunk;
            assert!(held <= bytes, "{held} bytes parked");
        };
        assert_eq!(
            (refused["code"].as_str(), refused["field"].as_str()),
            (Some("upload_quota"), Some("parked_bytes")),
            "{refused}"
        );
        assert!(held + chunk > bytes);
        // A file sent whole in one go parks nothing: still taken.
        let jpeg = camera_jpeg();
        let (s, v) = put(&app, &token, &sha(&jpeg), 0, jpeg.len(), &jpeg).await;
        assert_eq!(
            (s, v["complete"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
        // Someone else's quota is their own.
        let other = app.login(app.fx.cadre2).await;
        let (s, _) = put(&app, &other, &fake(100), 0, total, &junk).await;
        assert_eq!(s, StatusCode::OK);
        // A part untouched for 7 hours has expired: it no longer counts, and the next sweep
        // deletes it.
        let part = app.state.uploads.part_path(&fake(1), app.fx.cadre1);
        let seven_hours_ago =
            std::time::SystemTime::now() - std::time::Duration::from_secs(7 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&part)
            .unwrap()
            .set_modified(seven_hours_ago)
            .unwrap();
        let (s, v) = put(&app, &token, &fake(parts), 0, total, &junk[..1000]).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(app.state.uploads.sweep_abandoned(), 1);
        assert!(!part.exists());
        app.stop().await;
    }
}

/// TIFF data as many cameras and writers leave it: the Exif and GPS IFDs first, IFD0 last, and
/// IFD0 ending with its entries — no next-IFD offset after them. Little-endian.
fn tiff_without_next_ifd_offset() -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value);
    }
    const ASCII: u16 = 2;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let mut t = b"II\x2a\x00\0\0\0\0".to_vec();
    let time_at = t.len() as u32;
    t.extend(b"2026:11:03 10:15:30\0");
    let rationals = |t: &mut Vec<u8>, parts: [(u32, u32); 3]| {
        let at = t.len() as u32;
        for (n, d) in parts {
            t.extend(n.to_le_bytes());
            t.extend(d.to_le_bytes());
        }
        at
    };
    let lat_at = rationals(&mut t, [(31, 1), (54, 1), (43_200, 1000)]);
    let lon_at = rationals(&mut t, [(107, 1), (15, 1), (0, 1)]);
    let exif_ifd = t.len() as u32;
    t.extend(1u16.to_le_bytes());
    entry(&mut t, 0x9003, ASCII, 20, time_at.to_le_bytes()); // DateTimeOriginal
    t.extend(0u32.to_le_bytes());
    let gps_ifd = t.len() as u32;
    t.extend(4u16.to_le_bytes());
    entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, RATIONAL, 3, lat_at.to_le_bytes());
    entry(&mut t, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut t, 0x0004, RATIONAL, 3, lon_at.to_le_bytes());
    t.extend(0u32.to_le_bytes());
    let ifd0 = t.len() as u32;
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x8769, LONG, 1, exif_ifd.to_le_bytes()); // Exif IFD pointer
    entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_le_bytes()); // GPS IFD pointer
    t[4..8].copy_from_slice(&ifd0.to_le_bytes());
    t
}

#[tokio::test]
async fn exif_is_kept_when_ifd0_lacks_its_next_ifd_offset() {
    on_each_backend(async |app| {
        let token = app.login(app.fx.cadre1).await;
        let mut plain = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([x as u8 * 4, y as u8 * 5, 90])
        }))
        .write_to(
            &mut std::io::Cursor::new(&mut plain),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
        let tiff = tiff_without_next_ifd_offset();
        // APP1 right after SOI: marker, length (itself included), "Exif\0\0", the TIFF data.
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend([0xFF, 0xE1]);
        jpeg.extend(u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
        jpeg.extend(b"Exif\0\0");
        jpeg.extend(&tiff);
        jpeg.extend(&plain[2..]);
        let h = sha(&jpeg);
        let (s, v) = put(&app, &token, &h, 0, jpeg.len(), &jpeg).await;
        assert_eq!(
            (s, v["complete"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{v}"
        );
        let row = app.state.store.file(&h).await.unwrap().unwrap();
        assert_eq!(
            row.facts.exif_time,
            Some(Utc.with_ymd_and_hms(2026, 11, 3, 2, 15, 30).unwrap()),
            "EXIF time read in China time"
        );
        let p = row.facts.exif_position.expect("EXIF position kept");
        assert!(
            (p.lat - 31.912).abs() < 1e-6 && (p.lon - 107.25).abs() < 1e-6,
            "{p:?}"
        );
    })
    .await;
}
