//! What the camera wrote into a picture (EXIF), read before the re-encode (which keeps no
//! EXIF) so that the photo record carries it: the shared reader, which the server also uses on
//! the file it receives. A frame of the in-app camera has none; a picture from a native camera
//! or a file usually does.

pub use zhucun_shared::exif::{jpeg_with_exif, read, CameraExif};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::photo::SimulatedCamera;
    use chrono::{DateTime, Utc};
    use zhucun_shared::org::LatLon;

    #[test]
    fn time_and_position_are_read_back_as_written() {
        let shot = SimulatedCamera {
            width: 64,
            height: 48,
            seed: 3,
        }
        .shoot();
        let t: DateTime<Utc> = "2026-11-30T06:02:11Z".parse().unwrap();
        let p = LatLon::new(32.0123, 107.2456);
        let got = read(&jpeg_with_exif(&shot, t, Some(p)));
        assert_eq!(got.taken_at, Some(t));
        let pos = got.position.unwrap();
        assert!((pos.lat - p.lat).abs() < 1e-5 && (pos.lon - p.lon).abs() < 1e-5);
    }

    #[test]
    fn a_picture_without_exif_gives_nothing() {
        let shot = SimulatedCamera {
            width: 64,
            height: 48,
            seed: 4,
        }
        .shoot();
        assert_eq!(read(&shot), CameraExif::default());
        assert_eq!(read(b"garbage"), CameraExif::default());
    }
}
