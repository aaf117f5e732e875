//! The one path a photo takes to be saved: the camera's EXIF read before the re-encode drops
//! it, the watermark burned into the pixels, and both in the saved record.

use chrono::{DateTime, Duration, Utc};
use image::RgbImage;
use zhucun_mobile_core::capture::{Capture, Command, TrackPolicy};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::platform::exif::{self, jpeg_with_exif, CameraExif};
use zhucun_mobile_core::platform::photo::{prepare, reencode, PhotoPolicy, SimulatedCamera};
use zhucun_mobile_core::platform::watermark::{burn, WatermarkFacts, WatermarkFont};
use zhucun_mobile_core::store::Identity;
use zhucun_mobile_core::Store;
use zhucun_shared::ids::DeviceId;
use zhucun_shared::org::LatLon;
use zhucun_shared::record::{Fix, FixProvider, RecordBody};

/// Droid Sans Fallback (Apache License 2.0), cut down to the characters these tests write. Like
/// the whole font it has no Latin digits: those come from the built-in ones.
const FONT: &[u8] = include_bytes!("fixtures/watermark-subset.ttf");

fn cjk_font() -> WatermarkFont {
    WatermarkFont::from_bytes(FONT.to_vec(), 0).expect("the fixture is a font")
}

fn facts() -> WatermarkFacts {
    WatermarkFacts {
        taken_at: "2026-11-30T06:02:00Z".parse().unwrap(),
        village: Some("石门村".into()),
        household: Some("王大山".into()),
        cadre: Some("李明".into()),
        accuracy_m: Some(8.0),
    }
}

fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory(jpeg).unwrap().to_rgb8()
}

/// Mean absolute difference per channel between two pictures' rows `rows`.
fn difference(a: &RgbImage, b: &RgbImage, rows: std::ops::Range<u32>) -> f64 {
    let mut sum = 0u64;
    let mut n = 0u64;
    for y in rows {
        for x in 0..a.width() {
            for c in 0..3 {
                sum += (a.get_pixel(x, y).0[c] as i32 - b.get_pixel(x, y).0[c] as i32)
                    .unsigned_abs() as u64;
                n += 1;
            }
        }
    }
    sum as f64 / n.max(1) as f64
}

#[test]
fn the_watermark_writes_chinese_text_into_a_band_and_keeps_the_size() {
    let shot = SimulatedCamera {
        width: 1600,
        height: 1200,
        seed: 5,
    }
    .shoot();
    let plain = reencode(&shot, &PhotoPolicy::default()).unwrap();
    let font = cjk_font();
    let marked = prepare(&shot, &PhotoPolicy::default(), Some((&facts(), &font))).unwrap();
    assert_eq!(
        (marked.encoded.width, marked.encoded.height),
        (plain.width, plain.height)
    );
    let (a, b) = (decode(&plain.data), decode(&marked.encoded.data));
    assert_eq!(a.dimensions(), (1280, 960));
    assert_eq!(b.dimensions(), (1280, 960));

    // Where the band goes, drawn on the same picture as the save path scales it.
    let mut probe = a.clone();
    let burned = burn(&mut probe, &facts(), &font);
    assert_eq!(
        burned.lines.join(" · "),
        "2026-11-30 14:02 · 石门村 · 王大山户 · 李明 · 精度 8 米"
    );
    assert!(burned.band_top > 860, "{burned:?}");
    // Above the band the photo is the photo (JPEG noise aside); in the band it changed.
    assert!(difference(&a, &b, 0..burned.band_top - 8) < 3.0);
    assert!(difference(&a, &b, burned.band_top..960) > 20.0);
    // The text is white on the dark band: bright pixels where the picture had none as bright.
    let bright = (burned.band_top..960)
        .flat_map(|y| (0..640).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = b.get_pixel(x, y).0;
            p.iter().all(|&c| c > 200)
        })
        .count();
    assert!(bright > 500, "{bright} white pixels of text");
}

#[test]
fn the_chinese_parts_are_written_with_a_chinese_font_and_left_out_without() {
    let font = cjk_font();
    assert!(font.covers("石门村 王大山户 李明 精度 8 米"));
    assert_eq!(
        facts().parts_for(&font),
        vec![
            "2026-11-30 14:02",
            "石门村",
            "王大山户",
            "李明",
            "精度 8 米"
        ]
    );
    // The built-in digits: time and accuracy only, still readable.
    let mut img = RgbImage::from_pixel(800, 600, image::Rgb([90, 120, 60]));
    let burned = burn(&mut img, &facts(), &WatermarkFont::builtin());
    assert_eq!(burned.lines, vec!["2026-11-30 14:02 · ±8 m"]);
}

#[test]
fn a_narrow_picture_gets_the_text_on_more_lines() {
    let font = cjk_font();
    let mut img = RgbImage::from_pixel(240, 320, image::Rgb([90, 120, 60]));
    let burned = burn(&mut img, &facts(), &font);
    assert!(burned.lines.len() >= 2, "{:?}", burned.lines);
    assert_eq!(
        burned.lines.join(" · "),
        "2026-11-30 14:02 · 石门村 · 王大山户 · 李明 · 精度 8 米"
    );
    assert_eq!(img.dimensions(), (240, 320));
}

#[test]
fn exif_time_and_gps_are_read_before_the_reencode_drops_them() {
    let taken: DateTime<Utc> = "2026-11-30T05:58:30Z".parse().unwrap();
    let at = LatLon::new(32.0714, 107.2538);
    let shot = SimulatedCamera {
        width: 2000,
        height: 1500,
        seed: 9,
    }
    .shoot();
    let with_exif = jpeg_with_exif(&shot, taken, Some(at));
    assert_eq!(exif::read(&with_exif).taken_at, Some(taken));

    let font = WatermarkFont::builtin();
    let prepared = prepare(&with_exif, &PhotoPolicy::default(), Some((&facts(), &font))).unwrap();
    assert_eq!(prepared.exif.taken_at, Some(taken));
    let p = prepared.exif.position.unwrap();
    assert!((p.lat - at.lat).abs() < 1e-5 && (p.lon - at.lon).abs() < 1e-5);
    // The re-encoded file carries none of it: read afterwards, it would be lost.
    assert_eq!(exif::read(&prepared.encoded.data), CameraExif::default());
}

/// A phone in the demo village with a visit open at the first household, a fix at its door.
fn visiting(now: DateTime<Utc>) -> (Store, Capture, zhucun_shared::ids::RecordId) {
    let mut store = Store::in_memory().unwrap();
    store
        .set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: demo::ME,
            },
            0,
        )
        .unwrap();
    store.save_pull(&demo::pull(now)).unwrap();
    let reference = store.reference().unwrap();
    let mut capture = Capture::load(&store, TrackPolicy::default()).unwrap();
    let hh = demo::households()[0].clone();
    let fix = Fix {
        lat: hh.location.lat,
        lon: hh.location.lon,
        accuracy_m: 8.0,
        time: now,
        monotonic_ms: None,
        provider: FixProvider::Gps,
        mock: false,
    };
    capture
        .exec(
            &mut store,
            &reference,
            Command::StartDuty {
                village_id: Some(demo::VILLAGE),
            },
            now,
        )
        .unwrap();
    capture.on_fix(&mut store, &reference, fix, now).unwrap();
    capture
        .exec(
            &mut store,
            &reference,
            Command::HouseholdCheckIn {
                household_id: hh.id,
                event: None,
            },
            now,
        )
        .unwrap();
    let visit = capture.state().visit.as_ref().unwrap().check_in;
    (store, capture, visit)
}

#[test]
fn the_watermark_names_the_visit_being_made() {
    let now: DateTime<Utc> = "2026-11-16T02:00:00Z".parse().unwrap();
    let (store, capture, visit) = visiting(now);
    let reference = store.reference().unwrap();
    let facts = capture
        .state()
        .watermark(&reference, Some("李明".into()), visit, now);
    let hh = demo::households()[0].clone();
    let village = reference.org.village(hh.village_id).unwrap().name.clone();
    assert_eq!(
        facts.text(),
        format!(
            "2026-11-16 10:00 · {village} · {}户 · 李明 · 精度 8 米",
            hh.head_name
        )
    );
}

#[test]
fn the_saved_record_carries_the_cameras_time_and_position() {
    let now: DateTime<Utc> = "2026-11-16T02:00:00Z".parse().unwrap();
    let (mut store, mut capture, visit) = visiting(now);
    let shutter = now + Duration::minutes(3);
    let camera_time = shutter - Duration::seconds(20);
    let camera_at = LatLon::new(32.1, 107.3);
    let shot = jpeg_with_exif(
        &SimulatedCamera {
            width: 800,
            height: 600,
            seed: 2,
        }
        .shoot(),
        camera_time,
        Some(camera_at),
    );
    let prepared = prepare(&shot, &PhotoPolicy::default(), None).unwrap();
    let rec = capture
        .photo_from_camera(
            &mut store,
            None,
            &prepared.encoded,
            shutter,
            &prepared.exif,
            shutter,
        )
        .unwrap();
    let RecordBody::Photo {
        attached_to,
        taken_at,
        position,
        ..
    } = rec.body
    else {
        panic!("{:?}", rec.body);
    };
    assert_eq!(attached_to, visit);
    assert_eq!(taken_at, camera_time);
    assert_eq!(position.map(|p| (p.lat * 1e4).round()), Some(321000.0));

    // A frame of the in-app camera has no EXIF: the shutter's time and the fix at the door.
    let frame = prepare(
        &SimulatedCamera {
            width: 800,
            height: 600,
            seed: 3,
        }
        .shoot(),
        &PhotoPolicy::default(),
        None,
    )
    .unwrap();
    assert_eq!(frame.exif, CameraExif::default());
    let rec = capture
        .photo_from_camera(
            &mut store,
            None,
            &frame.encoded,
            now + Duration::minutes(1),
            &frame.exif,
            now + Duration::minutes(1),
        )
        .unwrap();
    let RecordBody::Photo {
        taken_at, position, ..
    } = rec.body
    else {
        panic!();
    };
    assert_eq!(taken_at, now + Duration::minutes(1));
    let door = demo::households()[0].location;
    assert_eq!(position, Some(door));
}
