//! What a photo file really is: its magic bytes, its decoded size (under limits, so that a small
//! file that decodes to gigabytes is refused), the EXIF time and position, and a perceptual hash
//! that finds the same picture re-encoded. CPU-heavy: call off the async threads.

use chrono::{DateTime, Utc};
use image::{DynamicImage, ImageFormat, ImageReader};
use std::io::Cursor;
use zhucun_shared::org::LatLon;
use zhucun_shared::plausibility::PhotoFacts;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InspectError {
    #[error("not a JPEG, PNG or WebP file")]
    NotAnImage,
    #[error("decodes to more than the allowed size ({0})")]
    TooLarge(String),
    #[error("cannot be decoded: {0}")]
    Undecodable(String),
    #[error("not a PDF, Word, Excel, PowerPoint or image file")]
    NotAccepted,
    #[error("damaged or incomplete document: {0}")]
    BadDocument(String),
    /// Bytes after the end of the picture: another file riding along (a ZIP archive, a web
    /// page), which a browser or an unzipper would find.
    #[error("图片结尾之后还有 {0} 字节多余数据，请上传相机或手机原样保存的照片")]
    TrailingData(usize),
}

/// Bounds on decoding.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    pub max_side: u32,
    /// Width × height, read from the header before anything is decoded.
    pub max_pixels: u64,
    pub max_alloc: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inspection {
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    pub facts: PhotoFacts,
}

/// The format named by the file's first bytes, among those accepted.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// Whether the first bytes of an upload could start an accepted image (too few bytes to tell
/// count as could).
pub fn could_be_image(prefix: &[u8]) -> bool {
    if prefix.len() < 12 {
        let candidates: [&[u8]; 3] = [&[0xFF, 0xD8, 0xFF], b"\x89PNG\r\n\x1a\n", b"RIFF"];
        return candidates
            .iter()
            .any(|m| m.starts_with(&prefix[..prefix.len().min(m.len())]));
    }
    sniff(prefix).is_some()
}

/// A picture is taken only whole: its structure ends exactly at the end of the file, its size
/// (read from the header first) is within the limits, and it decodes without error — a JPEG
/// strictly, so that a cut-off one is refused rather than filled with grey.
pub fn inspect(bytes: &[u8], limits: DecodeLimits) -> Result<Inspection, InspectError> {
    let format = sniff(bytes).ok_or(InspectError::NotAnImage)?;
    let end = picture_end(format, bytes).map_err(|m| InspectError::Undecodable(m.into()))?;
    if end < bytes.len() {
        return Err(InspectError::TrailingData(bytes.len() - end));
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| InspectError::Undecodable(e.to_string()))?;
    check_size(width, height, limits)?;
    let img = match format {
        ImageFormat::Jpeg => {
            let layout = jpeg_layout(bytes).map_err(|m| InspectError::Undecodable(m.into()))?;
            if layout.sequential {
                decode_jpeg_strictly(&with_end_sentinel(bytes, layout.eoi), limits)?
            } else {
                decode_jpeg_strictly(bytes, limits)?
            }
        }
        _ => {
            let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
            let mut l = image::Limits::default();
            l.max_image_width = Some(limits.max_side);
            l.max_image_height = Some(limits.max_side);
            l.max_alloc = Some(limits.max_alloc);
            reader.limits(l);
            reader.decode().map_err(|e| match e {
                image::ImageError::Limits(l) => InspectError::TooLarge(l.to_string()),
                other => InspectError::Undecodable(other.to_string()),
            })?
        }
    };
    let (exif_time, exif_position) = read_exif(bytes);
    Ok(Inspection {
        format: match format {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            _ => "webp",
        },
        width: img.width(),
        height: img.height(),
        facts: PhotoFacts {
            exif_time,
            exif_position,
            phash: Some(perceptual_hash(&img)),
        },
    })
}

/// Refuses a picture the header says is larger than the limits, before decoding it.
fn check_size(width: u32, height: u32, limits: DecodeLimits) -> Result<(), InspectError> {
    let pixels = u64::from(width) * u64::from(height);
    // RGBA, 8 bits: what the largest decoded buffer takes.
    if width > limits.max_side
        || height > limits.max_side
        || pixels > limits.max_pixels
        || pixels.saturating_mul(4) > limits.max_alloc
    {
        return Err(InspectError::TooLarge(format!(
            "图片为 {width}×{height} 像素，上限为每边 {} 像素、共 {} 万像素：请缩小后再上传",
            limits.max_side,
            limits.max_pixels / 10_000
        )));
    }
    Ok(())
}

/// Decodes a JPEG in zune-jpeg's strict mode: data that ends before the last block, or a
/// marker in the middle of the picture, is an error (the lenient mode image uses paints the
/// rest grey).
fn decode_jpeg_strictly(bytes: &[u8], limits: DecodeLimits) -> Result<DynamicImage, InspectError> {
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(limits.max_side as usize)
        .set_max_height(limits.max_side as usize)
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    let pixels = decoder
        .decode()
        .map_err(|e| InspectError::Undecodable(e.to_string()))?;
    let (w, h) = decoder
        .dimensions()
        .ok_or_else(|| InspectError::Undecodable("JPEG 无图像尺寸".into()))?;
    let (w, h) = (
        u32::try_from(w).unwrap_or(u32::MAX),
        u32::try_from(h).unwrap_or(u32::MAX),
    );
    image::RgbImage::from_raw(w, h, pixels)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| InspectError::Undecodable("JPEG 解码数据不完整".into()))
}

const CUT_OFF: &str = "文件不完整（在图片结束之前就断了），请重新上传";
const DAMAGED: &str = "文件结构损坏";

/// Where the picture's own structure ends: after a JPEG's EOI marker, a PNG's IEND chunk, a
/// WebP's RIFF chunk. Err when the file ends first or the structure is broken.
pub fn picture_end(format: ImageFormat, b: &[u8]) -> Result<usize, &'static str> {
    match format {
        ImageFormat::Jpeg => jpeg_end(b),
        ImageFormat::Png => png_end(b),
        _ => {
            let size = b
                .get(4..8)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                .ok_or(CUT_OFF)?;
            let end = 8 + size as usize;
            if end > b.len() {
                Err(CUT_OFF)
            } else {
                Ok(end)
            }
        }
    }
}

fn be16(b: &[u8], i: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *b.get(i)?,
        *b.get(i + 1)?,
    ])))
}

fn be32(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

/// A sequential JPEG whose entropy-coded data stops short of its last block and then carries
/// an end marker decodes without error, even strictly: after a marker the decoder reads zero
/// bits. So a few stuffed 0xFF bytes — one bits, which no Huffman code is — go before the end
/// marker of the copy decoded: a decoder that had every block it needed never reads them, one
/// that still needs data reads them and fails.
fn with_end_sentinel(bytes: &[u8], eoi: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 32);
    out.extend_from_slice(&bytes[..eoi]);
    for _ in 0..16 {
        out.extend_from_slice(&[0xFF, 0x00]);
    }
    out.extend_from_slice(&bytes[eoi..]);
    out
}

/// What walking a JPEG's segments finds.
struct JpegLayout {
    /// Just after the EOI marker.
    end: usize,
    /// Where the EOI marker (its 0xFF) starts.
    eoi: usize,
    /// Baseline or extended sequential Huffman (SOF0 or SOF1): one pass over the blocks.
    sequential: bool,
}

fn jpeg_end(b: &[u8]) -> Result<usize, &'static str> {
    jpeg_layout(b).map(|l| l.end)
}

/// Walks a JPEG's segments from SOI to EOI, skipping the entropy-coded data after each SOS.
fn jpeg_layout(b: &[u8]) -> Result<JpegLayout, &'static str> {
    let mut i = 2;
    let mut sequential = false;
    loop {
        if *b.get(i).ok_or(CUT_OFF)? != 0xFF {
            return Err(DAMAGED);
        }
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *b.get(i).ok_or(CUT_OFF)?;
        i += 1;
        match marker {
            0xD9 => {
                return Ok(JpegLayout {
                    end: i,
                    eoi: i - 2,
                    sequential,
                })
            }
            0xC0 | 0xC1 => sequential = true,
            // Markers without a length: restarts and TEM.
            0xD0..=0xD7 | 0x01 => continue,
            0x00 | 0xD8 => return Err(DAMAGED),
            _ => {}
        }
        let len = be16(b, i).ok_or(CUT_OFF)?;
        if len < 2 {
            return Err(DAMAGED);
        }
        i += len;
        if i > b.len() {
            return Err(CUT_OFF);
        }
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker: 0xFF not followed by a stuffed zero,
            // a restart marker or a fill byte.
            loop {
                let p = i + b[i..].iter().position(|&x| x == 0xFF).ok_or(CUT_OFF)?;
                match *b.get(p + 1).ok_or(CUT_OFF)? {
                    0x00 | 0xD0..=0xD7 => i = p + 2,
                    0xFF => i = p + 1,
                    _ => {
                        i = p;
                        break;
                    }
                }
            }
        }
    }
}

/// Walks a PNG's chunks to IEND.
fn png_end(b: &[u8]) -> Result<usize, &'static str> {
    let mut i = 8;
    loop {
        let len = be32(b, i).ok_or(CUT_OFF)?;
        let kind = b.get(i + 4..i + 8).ok_or(CUT_OFF)?;
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .ok_or(DAMAGED)?;
        if end > b.len() {
            return Err(CUT_OFF);
        }
        if kind == b"IEND" {
            return Ok(end);
        }
        i = end;
    }
}

pub fn perceptual_hash(img: &DynamicImage) -> String {
    image_hasher::HasherConfig::new()
        .to_hasher()
        .hash_image(img)
        .to_base64()
}

/// EXIF DateTimeOriginal (read as China time: cameras record local time without a zone) and
/// GPS position. Missing or broken EXIF gives None: it is evidence, not a requirement.
/// Read leniently: many cameras and writers leave out IFD0's next-IFD offset or break one
/// field, and what was read before the fault is kept.
fn read_exif(bytes: &[u8]) -> (Option<DateTime<Utc>>, Option<LatLon>) {
    let read = zhucun_shared::exif::read(bytes);
    (read.taken_at, read.position)
}

/// Encodes a JPEG carrying EXIF DateTimeOriginal (China time) and GPS position, as a phone
/// camera would: for the demo county and for tests.
pub fn jpeg_with_exif(
    img: &DynamicImage,
    taken_at: DateTime<Utc>,
    position: Option<LatLon>,
) -> Vec<u8> {
    let mut jpeg = Vec::new();
    img.to_rgb8()
        .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .expect("encoding a JPEG in memory does not fail");
    zhucun_shared::exif::jpeg_with_exif(&jpeg, taken_at, position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const LIMITS: DecodeLimits = DecodeLimits {
        max_side: 4000,
        max_pixels: 16_000_000,
        max_alloc: 64 * 1024 * 1024,
    };

    fn picture(seed: u8) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x as u8).wrapping_mul(seed), (y as u8) * 3, seed])
        }))
    }

    #[test]
    fn exif_time_and_position_are_read_back() {
        let t = Utc.with_ymd_and_hms(2026, 11, 3, 2, 15, 30).unwrap();
        let p = LatLon::new(31.912, 107.241);
        let bytes = jpeg_with_exif(&picture(7), t, Some(p));
        let i = inspect(&bytes, LIMITS).unwrap();
        assert_eq!((i.format, i.width, i.height), ("jpeg", 64, 48));
        assert_eq!(i.facts.exif_time, Some(t));
        let got = i.facts.exif_position.unwrap();
        assert!((got.lat - p.lat).abs() < 1e-5 && (got.lon - p.lon).abs() < 1e-5);
        assert!(i.facts.phash.is_some());
    }

    #[test]
    fn re_encoding_keeps_the_perceptual_hash_close() {
        let img = picture(9);
        let a = inspect(&jpeg_with_exif(&img, Utc::now(), None), LIMITS).unwrap();
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let b = inspect(&png, LIMITS).unwrap();
        assert_eq!(b.format, "png");
        assert_eq!(b.facts.exif_time, None);
        let ha =
            image_hasher::ImageHash::<Box<[u8]>>::from_base64(a.facts.phash.as_deref().unwrap())
                .unwrap();
        let hb =
            image_hasher::ImageHash::<Box<[u8]>>::from_base64(b.facts.phash.as_deref().unwrap())
                .unwrap();
        assert!(ha.dist(&hb) <= 4, "distance {}", ha.dist(&hb));
    }

    #[test]
    fn a_jpeg_cut_short_is_refused_even_with_an_end_marker_put_back() {
        let noise = {
            let mut state = 7u32;
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(200, 150, |_, _| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let b = state.to_be_bytes();
                image::Rgb([b[0], b[1], b[2]])
            }))
        };
        let grey = DynamicImage::ImageLuma8(image::GrayImage::from_fn(33, 17, |x, y| {
            image::Luma([(x * 7 + y * 3) as u8])
        }));
        for img in [picture(5), noise, grey] {
            let mut whole = Vec::new();
            img.write_to(&mut Cursor::new(&mut whole), ImageFormat::Jpeg)
                .unwrap();
            let i = inspect(&whole, LIMITS).unwrap();
            assert_eq!((i.width, i.height), (img.width(), img.height()));
            let scan = whole.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
            for percent in [1, 10, 30, 50, 70, 90, 99] {
                let cut = scan + 20 + (whole.len() - scan - 22) * percent / 100;
                let mut closed = whole[..cut].to_vec();
                closed.extend([0xFF, 0xD9]);
                assert!(
                    matches!(inspect(&closed, LIMITS), Err(InspectError::Undecodable(_))),
                    "{}×{} cut at {percent}%",
                    img.width(),
                    img.height()
                );
                assert!(matches!(
                    inspect(&whole[..cut], LIMITS),
                    Err(InspectError::Undecodable(_))
                ));
            }
        }
    }

    #[test]
    fn text_is_not_an_image_and_big_pictures_are_refused() {
        assert_eq!(
            inspect(b"hello, world", LIMITS),
            Err(InspectError::NotAnImage)
        );
        assert!(could_be_image(&[0xFF, 0xD8]));
        assert!(!could_be_image(b"<html"));
        let small = DecodeLimits {
            max_side: 32,
            max_pixels: LIMITS.max_pixels,
            max_alloc: LIMITS.max_alloc,
        };
        let bytes = jpeg_with_exif(&picture(3), Utc::now(), None);
        assert!(matches!(
            inspect(&bytes, small),
            Err(InspectError::TooLarge(_))
        ));
    }
}
