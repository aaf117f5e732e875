//! Photos: re-encoded on the phone before they are stored, so a day of visits fits a rural
//! data plan. The longest side becomes about 1280 px and the JPEG quality steps down until the
//! file is under the target size. [`prepare`] is the one path a picture takes to be saved:
//! the camera's EXIF is read first (the re-encode keeps none), then the picture is turned
//! upright, scaled, watermarked and encoded. The camera is the in-app camera over the webview
//! (`crate::camera`); [`SimulatedCamera`] stands in for it in tests and demos.

use super::exif::{self, CameraExif};
use super::watermark::{self, WatermarkFacts, WatermarkFont};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhotoPolicy {
    pub max_side: u32,
    pub target_bytes: usize,
    pub start_quality: u8,
    pub min_quality: u8,
}

impl Default for PhotoPolicy {
    fn default() -> Self {
        PhotoPolicy {
            max_side: 1280,
            target_bytes: 300 * 1024,
            start_quality: 80,
            min_quality: 40,
        }
    }
}

impl PhotoPolicy {
    /// ODK Collect's "small" image size setting (longest side 1024 px), the reference point
    /// for bytes sent per visit.
    pub fn odk_small() -> Self {
        PhotoPolicy {
            max_side: 1024,
            ..PhotoPolicy::default()
        }
    }
}

/// A re-encoded photo, ready to be stored and uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedPhoto {
    pub data: Vec<u8>,
    /// Lower-case hex SHA-256 of `data`.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub quality: u8,
}

/// A picture that cannot be read (the decoder's words are in `Debug`).
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("{}", crate::strings::ERR_PHOTO_UNREADABLE)]
    Decode(#[from] image::ImageError),
    #[error("{}", crate::strings::ERR_PHOTO_UNREADABLE)]
    Io(#[from] std::io::Error),
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A picture ready to be saved: re-encoded, with what its camera wrote before that.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedPhoto {
    pub encoded: EncodedPhoto,
    /// The camera's EXIF, read from the picture as it came.
    pub exif: CameraExif,
}

/// The one path a picture takes to be saved: reads its EXIF, then decodes it, turns it
/// upright, scales it down, burns in the watermark (when given) and encodes it as JPEG.
pub fn prepare(
    input: &[u8],
    policy: &PhotoPolicy,
    watermark: Option<(&WatermarkFacts, &WatermarkFont)>,
) -> Result<PreparedPhoto, PhotoError> {
    let exif = exif::read(input);
    let encoded = reencode_with(input, policy, watermark)?;
    Ok(PreparedPhoto { encoded, exif })
}

/// Decodes any supported picture, turns it upright, scales it down and encodes it as JPEG.
pub fn reencode(input: &[u8], policy: &PhotoPolicy) -> Result<EncodedPhoto, PhotoError> {
    reencode_with(input, policy, None)
}

fn reencode_with(
    input: &[u8],
    policy: &PhotoPolicy,
    watermark: Option<(&WatermarkFacts, &WatermarkFont)>,
) -> Result<EncodedPhoto, PhotoError> {
    let mut decoder = ImageReader::new(Cursor::new(input))
        .with_guessed_format()?
        .into_decoder()?;
    // Phones store the camera's orientation as EXIF, which re-encoding drops: apply it.
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let (w, h) = (img.width(), img.height());
    let img = if w.max(h) > policy.max_side {
        img.thumbnail(policy.max_side, policy.max_side)
    } else {
        img
    };
    let mut rgb = img.to_rgb8();
    // Burned after scaling: the text keeps its size relative to the photo as sent.
    if let Some((facts, font)) = watermark {
        watermark::burn(&mut rgb, facts, font);
    }
    let mut quality = policy.start_quality;
    loop {
        let data = encode(&rgb, quality)?;
        if data.len() <= policy.target_bytes || quality <= policy.min_quality {
            return Ok(EncodedPhoto {
                sha256: sha256_hex(&data),
                width: rgb.width(),
                height: rgb.height(),
                quality,
                data,
            });
        }
        quality = quality.saturating_sub(10).max(policy.min_quality);
    }
}

fn encode(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(256 * 1024);
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(rgb)?;
    Ok(out)
}

/// A camera that produces a textured picture of a given size (tests, demos, benchmarks).
#[derive(Clone, Copy, Debug)]
pub struct SimulatedCamera {
    pub width: u32,
    pub height: u32,
    pub seed: u32,
}

impl SimulatedCamera {
    /// A 12-megapixel shot (4000 × 3000), as a mid-range phone takes.
    pub fn twelve_megapixel(seed: u32) -> Self {
        SimulatedCamera {
            width: 4000,
            height: 3000,
            seed,
        }
    }

    /// The picture as the camera would hand it over: a JPEG at quality 92.
    pub fn shoot(&self) -> Vec<u8> {
        let s = self.seed;
        let (w, h) = (self.width.max(1), self.height.max(1));
        // Each seed is another scene: the light falls from another side and a few large shapes
        // (a door, a wall, a person) stand elsewhere, so that a perceptual hash tells two
        // pictures apart as it would two real ones.
        let mut state = s.wrapping_mul(2_654_435_761) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let shapes: Vec<(u32, u32, u32, u32, [u8; 3])> = (0..4)
            .map(|_| {
                let (x0, y0) = (next() % w, next() % h);
                let (sw, sh) = (
                    w / 6 + next() % (w / 3).max(1),
                    h / 6 + next() % (h / 3).max(1),
                );
                let c = next();
                (x0, y0, sw, sh, [c as u8, (c >> 8) as u8, (c >> 16) as u8])
            })
            .collect();
        let light = s % 4;
        // Smooth gradients with fine noise: compresses like a photo, not like a flat colour.
        let img = RgbImage::from_fn(w, h, |x, y| {
            let n = (x.wrapping_mul(1_103_515_245)
                ^ y.wrapping_mul(12_345)
                ^ s.wrapping_mul(2_654_435_761))
            .rotate_left(13)
                % 24;
            let (u, v) = match light {
                0 => (x * 255 / w, y * 255 / h),
                1 => (255 - x * 255 / w, y * 255 / h),
                2 => (x * 255 / w, 255 - y * 255 / h),
                _ => (255 - x * 255 / w, 255 - y * 255 / h),
            };
            let base = shapes
                .iter()
                .find(|(x0, y0, sw, sh, _)| x >= *x0 && x < x0 + sw && y >= *y0 && y < y0 + sh)
                .map(|(.., c)| *c)
                .unwrap_or([u as u8, v as u8, ((u + v) / 3) as u8]);
            image::Rgb([
                base[0].wrapping_add(n as u8),
                base[1].wrapping_add((n / 2) as u8),
                base[2].wrapping_add(n as u8),
            ])
        });
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 92)
            .encode_image(&img)
            .expect("encoding to memory cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_photo_is_scaled_to_the_longest_side_and_the_target_size() {
        let shot = SimulatedCamera {
            width: 2400,
            height: 1800,
            seed: 1,
        }
        .shoot();
        let p = reencode(&shot, &PhotoPolicy::default()).unwrap();
        assert_eq!((p.width, p.height), (1280, 960));
        assert!(p.data.len() <= 300 * 1024, "{} bytes", p.data.len());
        assert_eq!(p.sha256, sha256_hex(&p.data));
        assert_eq!(p.sha256.len(), 64);
    }

    #[test]
    fn a_small_photo_is_not_enlarged() {
        let shot = SimulatedCamera {
            width: 640,
            height: 480,
            seed: 2,
        }
        .shoot();
        let p = reencode(&shot, &PhotoPolicy::default()).unwrap();
        assert_eq!((p.width, p.height), (640, 480));
    }

    #[test]
    fn something_that_is_not_a_picture_is_refused() {
        assert!(reencode(b"not a picture", &PhotoPolicy::default()).is_err());
    }
}
