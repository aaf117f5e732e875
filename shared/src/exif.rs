//! What a camera wrote into a picture (EXIF): when and where it was taken. The phone reads it
//! before its re-encode (which keeps no EXIF), so that the photo record carries it; the server
//! reads it again from the file it receives, to compare with what the record says. One reader
//! for both, so that they read the same thing. A parser of bytes only: no I/O.

use crate::org::LatLon;
use chrono::{DateTime, NaiveDate, Utc};
use exif::{In, Tag, Value};
use std::io::Cursor;

/// China time is UTC+8 (no daylight saving since 1991); cameras write local time without a zone.
const CHINA_OFFSET_SECS: i64 = 8 * 3600;

/// The camera's own account of a picture; each part `None` when it wrote none.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CameraExif {
    /// DateTimeOriginal (else DateTime), read as China time.
    pub taken_at: Option<DateTime<Utc>>,
    /// GPS latitude and longitude.
    pub position: Option<LatLon>,
}

/// Reads the EXIF of a JPEG, PNG, WebP or TIFF. Missing or broken EXIF gives nothing: it is
/// evidence, not a requirement. Read leniently: many cameras break one field, and what was read
/// before the fault is kept.
pub fn read(bytes: &[u8]) -> CameraExif {
    let read = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_| {}));
    let Ok(exif) = read else {
        return CameraExif::default();
    };
    let taken_at = exif
        .get_field(Tag::DateTimeOriginal, In::PRIMARY)
        .or_else(|| exif.get_field(Tag::DateTime, In::PRIMARY))
        .and_then(|f| match &f.value {
            Value::Ascii(v) => v.first().and_then(|s| exif::DateTime::from_ascii(s).ok()),
            _ => None,
        })
        .and_then(|d| {
            let naive = NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())?
                .and_hms_opt(d.hour.into(), d.minute.into(), d.second.into())?;
            Some(naive.and_utc() - chrono::Duration::seconds(CHINA_OFFSET_SECS))
        });
    let coord = |tag: Tag, ref_tag: Tag, negative: u8| -> Option<f64> {
        let f = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(parts) = &f.value else {
            return None;
        };
        if parts.len() < 3 || parts.iter().any(|r| r.denom == 0) {
            return None;
        }
        let deg = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let sign = match exif.get_field(ref_tag, In::PRIMARY).map(|f| &f.value) {
            Some(Value::Ascii(v)) if v.first().and_then(|s| s.first()) == Some(&negative) => -1.0,
            _ => 1.0,
        };
        Some(sign * deg)
    };
    let position = coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')
        .zip(coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W'))
        .map(|(lat, lon)| LatLon::new(lat, lon))
        .filter(|p| p.is_valid() && !(p.lat == 0.0 && p.lon == 0.0));
    CameraExif { taken_at, position }
}

/// `jpeg` with an EXIF block carrying DateTimeOriginal (China time) and a GPS position, as a
/// phone's camera writes it: for the demo county and for tests.
pub fn jpeg_with_exif(jpeg: &[u8], taken_at: DateTime<Utc>, position: Option<LatLon>) -> Vec<u8> {
    let local = taken_at + chrono::Duration::seconds(CHINA_OFFSET_SECS);
    let stamp = local.format("%Y:%m:%d %H:%M:%S").to_string().into_bytes();
    let dms = |v: f64| {
        let v = v.abs();
        let d = v.trunc();
        let m = ((v - d) * 60.0).trunc();
        let s = ((v - d) * 60.0 - m) * 60.0;
        Value::Rational(vec![
            (d as u32, 1).into(),
            (m as u32, 1).into(),
            ((s * 1000.0).round() as u32, 1000).into(),
        ])
    };
    let field = |tag, value| exif::Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    };
    let mut fields = vec![field(Tag::DateTimeOriginal, Value::Ascii(vec![stamp]))];
    if let Some(p) = position {
        let hemi =
            |neg: bool, a: &[u8], b: &[u8]| Value::Ascii(vec![if neg { a } else { b }.to_vec()]);
        fields.extend([
            field(Tag::GPSLatitudeRef, hemi(p.lat < 0.0, b"S", b"N")),
            field(Tag::GPSLatitude, dms(p.lat)),
            field(Tag::GPSLongitudeRef, hemi(p.lon < 0.0, b"W", b"E")),
            field(Tag::GPSLongitude, dms(p.lon)),
        ]);
    }
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    if writer.write(&mut tiff, false).is_err() || jpeg.len() < 2 {
        return jpeg.to_vec();
    }
    let tiff = tiff.into_inner();
    // An APP1 segment right after SOI: marker, length (itself included), "Exif\0\0", TIFF.
    let len = u16::try_from(2 + 6 + tiff.len()).expect("the EXIF block is small");
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest stream the writer accepts: start and end of image.
    const BARE_JPEG: [u8; 4] = [0xFF, 0xD8, 0xFF, 0xD9];

    #[test]
    fn time_and_position_are_read_back_as_written() {
        let t: DateTime<Utc> = "2026-11-30T06:02:11Z".parse().unwrap();
        let p = LatLon::new(32.0123, 107.2456);
        let got = read(&jpeg_with_exif(&BARE_JPEG, t, Some(p)));
        assert_eq!(got.taken_at, Some(t));
        let pos = got.position.unwrap();
        assert!((pos.lat - p.lat).abs() < 1e-5 && (pos.lon - p.lon).abs() < 1e-5);
        let south_west = LatLon::new(-33.9, -70.6);
        let got = read(&jpeg_with_exif(&BARE_JPEG, t, Some(south_west)))
            .position
            .unwrap();
        assert!(got.lat < 0.0 && got.lon < 0.0);
    }

    #[test]
    fn a_picture_without_exif_gives_nothing() {
        assert_eq!(read(&BARE_JPEG), CameraExif::default());
        assert_eq!(read(b"not a picture"), CameraExif::default());
    }
}
