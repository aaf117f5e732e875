//! The watermark burned into a visit's photo (水印), as field staff know it from 水印相机 apps:
//! time (China time), village, household, cadre and fix accuracy, in a dark band along the
//! bottom of the picture — `2026-11-30 14:02 · 石门村 · 王大山户 · 李明 · 精度 8 米`.
//!
//! The text needs a font with Chinese glyphs. A full CJK font is 16–20 MB per weight, and a
//! subset cannot be chosen ahead: household heads' names use characters beyond any list of
//! common ones. Every Android phone already carries one (`/system/fonts/NotoSansCJK-Regular.ttc`
//! since Android 7, `DroidSansFallback*.ttf` before), as does a Linux desktop with
//! `fonts-noto-cjk` or `fonts-droid-fallback`: [`WatermarkFont::system`] finds it at run time,
//! with a Latin font for digits a Chinese font may lack. A part the fonts cannot draw is written
//! in its Latin form (`±8 m` for `精度 8 米`) or left out, and without any font file built-in
//! digits still write the time and the accuracy.

use ab_glyph::{Font, FontArc, FontVec, GlyphId, PxScale, ScaleFont};
use chrono::{DateTime, Utc};
use image::{Rgb, RgbImage};
use std::path::Path;
use std::sync::OnceLock;
use zhucun_shared::period::local_time;

use crate::strings;

/// Between the parts of the watermark's text.
pub const SEPARATOR: &str = " · ";

/// What the watermark says, fixed the moment the picture is taken.
#[derive(Clone, Debug, PartialEq)]
pub struct WatermarkFacts {
    pub taken_at: DateTime<Utc>,
    pub village: Option<String>,
    /// The household's head (户主); written as `王大山户`.
    pub household: Option<String>,
    pub cadre: Option<String>,
    /// Accuracy of the fix the photo is placed with; `None`: no fix yet.
    pub accuracy_m: Option<f64>,
}

impl WatermarkFacts {
    /// Each part of the text with its renderings, best first: a font that cannot draw the
    /// first may draw a later one.
    fn parts(&self) -> Vec<Vec<String>> {
        let mut parts = vec![vec![local_time(self.taken_at)
            .format("%Y-%m-%d %H:%M")
            .to_string()]];
        if let Some(v) = self.village.as_ref().filter(|v| !v.trim().is_empty()) {
            parts.push(vec![v.trim().to_string()]);
        }
        if let Some(h) = self.household.as_ref().filter(|h| !h.trim().is_empty()) {
            parts.push(vec![strings::watermark_household(h.trim())]);
        }
        if let Some(c) = self.cadre.as_ref().filter(|c| !c.trim().is_empty()) {
            parts.push(vec![c.trim().to_string()]);
        }
        parts.push(match self.accuracy_m {
            Some(m) => vec![strings::accuracy(m), format!("±{m:.0} m")],
            None => vec![strings::WATERMARK_NO_FIX.to_string(), "±? m".to_string()],
        });
        parts
    }

    /// The parts as a font draws them: each in its first rendering the font covers, parts it
    /// cannot draw at all left out.
    pub fn parts_for(&self, font: &WatermarkFont) -> Vec<String> {
        self.parts()
            .into_iter()
            .filter_map(|alts| alts.into_iter().find(|a| font.covers(a)))
            .collect()
    }

    /// The whole text, as a font with Chinese glyphs writes it.
    pub fn text(&self) -> String {
        self.parts()
            .into_iter()
            .filter_map(|alts| alts.into_iter().next())
            .collect::<Vec<_>>()
            .join(SEPARATOR)
    }
}

/// The fonts the watermark is drawn with: each character from the first face that has it,
/// and from the built-in 5 × 7 digits when none has (some Chinese fonts, Droid Sans Fallback
/// among them, have no Latin digits; with no font file at all the digits still write the time
/// and the accuracy).
#[derive(Clone, Default)]
pub struct WatermarkFont {
    faces: Vec<FontArc>,
}

impl std::fmt::Debug for WatermarkFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WatermarkFont({} faces + built-in digits)",
            self.faces.len()
        )
    }
}

/// Chinese fonts tried in order, each with the face of a collection to use (the Simplified
/// Chinese face is the third of Noto Sans CJK's collection: JP, KR, SC, TC, HK).
const CJK_FONTS: &[(&str, u32)] = &[
    // Android 7 and later.
    ("/system/fonts/NotoSansCJK-Regular.ttc", 2),
    ("/system/fonts/NotoSansSC-Regular.otf", 0),
    // Android 5–6.
    ("/system/fonts/NotoSansHans-Regular.otf", 0),
    // Older Android.
    ("/system/fonts/DroidSansFallbackFull.ttf", 0),
    ("/system/fonts/DroidSansFallback.ttf", 0),
    // iOS (unverified: read from the system's font folder).
    ("/System/Library/Fonts/LanguageSupport/PingFang.ttc", 0),
    ("/System/Library/Fonts/Core/PingFang.ttc", 0),
    // Linux desktops: fonts-noto-cjk, fonts-droid-fallback, WenQuanYi.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        0,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
];

/// Latin fonts for the digits of the time and the accuracy where the Chinese font has none.
const LATIN_FONTS: &[(&str, u32)] = &[
    ("/system/fonts/Roboto-Regular.ttf", 0),
    ("/System/Library/Fonts/Core/SFUI.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
];

/// Which face draws a character.
#[derive(Clone, Copy)]
enum Face<'a> {
    Outline(&'a FontArc),
    Builtin,
}

impl WatermarkFont {
    /// The built-in digits alone.
    pub fn builtin() -> WatermarkFont {
        WatermarkFont::default()
    }

    /// A font from a file's bytes (`index`: the face of a collection); `None` when they are
    /// not a font ab_glyph can read.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Option<WatermarkFont> {
        FontVec::try_from_vec_and_index(data, index)
            .ok()
            .map(|f| WatermarkFont {
                faces: vec![FontArc::new(f)],
            })
    }

    /// A font file, if it exists and reads as a font.
    pub fn from_file(path: &Path, index: u32) -> Option<WatermarkFont> {
        let data = std::fs::read(path).ok()?;
        WatermarkFont::from_bytes(data, index)
    }

    /// The first font found in `candidates`.
    pub fn first_of(candidates: &[(&str, u32)]) -> Option<WatermarkFont> {
        candidates
            .iter()
            .find_map(|(path, index)| WatermarkFont::from_file(Path::new(path), *index))
    }

    /// This font, then `other`'s faces for the characters it lacks.
    pub fn then(mut self, other: WatermarkFont) -> WatermarkFont {
        self.faces.extend(other.faces);
        self
    }

    /// How many font files it draws with (0: the built-in digits alone).
    pub fn faces(&self) -> usize {
        self.faces.len()
    }

    /// The device's fonts, looked for once and kept (a CJK font is read whole, some 20 MB, the
    /// first time a photo is taken): a Chinese font, then a Latin one.
    pub fn system() -> &'static WatermarkFont {
        static FONT: OnceLock<WatermarkFont> = OnceLock::new();
        FONT.get_or_init(|| {
            let cjk = WatermarkFont::first_of(CJK_FONTS).unwrap_or_default();
            cjk.then(WatermarkFont::first_of(LATIN_FONTS).unwrap_or_default())
        })
    }

    fn face_for(&self, c: char) -> Option<Face<'_>> {
        if let Some(f) = self.faces.iter().find(|f| f.glyph_id(c) != GlyphId(0)) {
            return Some(Face::Outline(f));
        }
        if builtin_glyph(c).is_some() {
            return Some(Face::Builtin);
        }
        // A space no face maps is still a space.
        c.is_whitespace().then_some(Face::Builtin)
    }

    /// Whether every character of `text` can be drawn.
    pub fn covers(&self, text: &str) -> bool {
        text.chars().all(|c| self.face_for(c).is_some())
    }

    /// How far the caret moves after `c` at `px` pixels high.
    fn advance(&self, c: char, px: f32) -> f32 {
        match self.face_for(c) {
            Some(Face::Outline(f)) => f.as_scaled(PxScale::from(px)).h_advance(f.glyph_id(c)),
            Some(Face::Builtin) => (6 * builtin_cell(px)) as f32,
            None => 0.0,
        }
    }

    /// The width of `text` drawn at `px` pixels high.
    fn width(&self, text: &str, px: f32) -> f32 {
        text.chars().map(|c| self.advance(c, px)).sum()
    }

    /// Draws `text` in `colour` with its top-left corner at (`x`, `top`).
    fn draw(&self, img: &mut RgbImage, text: &str, x: f32, top: f32, px: f32, colour: Rgb<u8>) {
        // One baseline for every face, so that mixed text sits on one line.
        let baseline = top + px * 0.85;
        let mut caret = x;
        for c in text.chars() {
            match self.face_for(c) {
                Some(Face::Outline(font)) => {
                    let id = font.glyph_id(c);
                    let glyph = id.with_scale_and_position(px, ab_glyph::point(caret, baseline));
                    if let Some(outlined) = font.outline_glyph(glyph) {
                        let bounds = outlined.px_bounds();
                        outlined.draw(|gx, gy, coverage| {
                            let px = bounds.min.x as i64 + gx as i64;
                            let py = bounds.min.y as i64 + gy as i64;
                            blend(img, px, py, colour, coverage);
                        });
                    }
                }
                Some(Face::Builtin) => {
                    let cell = builtin_cell(px);
                    let glyph_top = (baseline - (7 * cell) as f32).round() as i64;
                    let rows = builtin_glyph(c).unwrap_or([0; 7]);
                    for (row, bits) in rows.iter().enumerate() {
                        for col in 0..5u32 {
                            if bits & (0b10000 >> col) == 0 {
                                continue;
                            }
                            for dy in 0..cell {
                                for dx in 0..cell {
                                    blend(
                                        img,
                                        caret as i64 + (col * cell + dx) as i64,
                                        glyph_top + (row as u32 * cell + dy) as i64,
                                        colour,
                                        1.0,
                                    );
                                }
                            }
                        }
                    }
                }
                None => {}
            }
            caret += self.advance(c, px);
        }
    }
}

/// Mixes `colour` into the pixel at (x, y) by `amount` (0–1); outside the picture, nothing.
fn blend(img: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>, amount: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 {
        return;
    }
    let a = amount.clamp(0.0, 1.0);
    let p = img.get_pixel_mut(x as u32, y as u32);
    for i in 0..3 {
        p.0[i] = (p.0[i] as f32 * (1.0 - a) + colour.0[i] as f32 * a).round() as u8;
    }
}

/// The built-in grid's cell size for text `px` pixels high (a glyph is 7 cells high).
fn builtin_cell(px: f32) -> u32 {
    ((px / 8.0).round() as u32).max(1)
}

/// Five bits per row, seven rows: the characters the time and the accuracy need.
fn builtin_glyph(c: char) -> Option<[u8; 7]> {
    Some(match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '·' => [0x00, 0x00, 0x00, 0x0C, 0x00, 0x00, 0x00],
        '±' => [0x04, 0x04, 0x1F, 0x04, 0x04, 0x00, 0x1F],
        '?' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04],
        'm' => [0x00, 0x00, 0x1A, 0x15, 0x15, 0x15, 0x15],
        ' ' => [0; 7],
        _ => return None,
    })
}

/// Where the watermark went: the band's top row, and the lines written in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Burned {
    pub band_top: u32,
    pub lines: Vec<String>,
}

/// Burns the watermark into the bottom of `img`: a darkened band, the text in white, split
/// into lines between parts where it does not fit the width. The picture keeps its size.
pub fn burn(img: &mut RgbImage, facts: &WatermarkFacts, font: &WatermarkFont) -> Burned {
    let (w, h) = (img.width(), img.height());
    // About 1/32 of the shorter side: 30 px on a 1280 × 960 photo, readable on the phone and
    // in the console without covering the scene.
    let px = (w.min(h) as f32 / 32.0).clamp(12.0, 64.0);
    let pad = (px * 0.5).round();
    let parts = facts.parts_for(font);
    let lines = wrap(&parts, |s| font.width(s, px), w as f32 - 2.0 * pad);
    let line_h = (px * 1.25).round();
    let band_h = ((lines.len() as f32 * line_h + 2.0 * pad) as u32).min(h);
    let band_top = h - band_h;
    for y in band_top..h {
        for x in 0..w {
            blend(img, x as i64, y as i64, Rgb([0, 0, 0]), 0.55);
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let top = band_top as f32 + pad + i as f32 * line_h + (line_h - px) / 2.0;
        font.draw(img, line, pad, top, px, Rgb([255, 255, 255]));
    }
    Burned { band_top, lines }
}

/// Joins parts with [`SEPARATOR`] into lines no wider than `max` (a part wider than that
/// stands alone on its line).
fn wrap(parts: &[String], width: impl Fn(&str) -> f32, max: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if width(&format!("{line}{SEPARATOR}{part}")) <= max => {
                line.push_str(SEPARATOR);
                line.push_str(part);
            }
            _ => lines.push(part.clone()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> WatermarkFacts {
        WatermarkFacts {
            taken_at: "2026-11-30T06:02:00Z".parse().unwrap(),
            village: Some("石门村".into()),
            household: Some("王大山".into()),
            cadre: Some("李明".into()),
            accuracy_m: Some(8.0),
        }
    }

    #[test]
    fn the_text_is_composed_from_the_visit_in_china_time() {
        assert_eq!(
            facts().text(),
            "2026-11-30 14:02 · 石门村 · 王大山户 · 李明 · 精度 8 米"
        );
        let no_fix = WatermarkFacts {
            accuracy_m: None,
            household: None,
            ..facts()
        };
        assert_eq!(no_fix.text(), "2026-11-30 14:02 · 石门村 · 李明 · 无定位");
    }

    #[test]
    fn without_chinese_glyphs_the_time_and_accuracy_are_still_written() {
        assert_eq!(
            facts().parts_for(&WatermarkFont::builtin()),
            vec!["2026-11-30 14:02".to_string(), "±8 m".to_string()]
        );
    }

    #[test]
    fn the_builtin_digits_burn_a_band_into_the_picture_and_keep_its_size() {
        let mut img = RgbImage::from_pixel(640, 480, Rgb([200, 180, 160]));
        let before = img.clone();
        let burned = burn(&mut img, &facts(), &WatermarkFont::builtin());
        assert_eq!(img.dimensions(), (640, 480));
        assert_eq!(burned.lines, vec!["2026-11-30 14:02 · ±8 m".to_string()]);
        assert!(burned.band_top > 400 && burned.band_top < 480, "{burned:?}");
        // Above the band nothing changed; in it the picture is darker, with white text.
        assert!((0..burned.band_top).all(|y| img.get_pixel(320, y) == before.get_pixel(320, y)));
        let band: Vec<&Rgb<u8>> = (burned.band_top..480)
            .flat_map(|y| (0..640).map(move |x| (x, y)))
            .map(|(x, y)| img.get_pixel(x, y))
            .collect();
        assert!(band.iter().any(|p| p.0 == [255, 255, 255]));
        assert!(band.iter().any(|p| p.0[0] < 100));
    }

    #[test]
    fn parts_that_do_not_fit_the_width_go_on_the_next_line() {
        let lines = wrap(
            &["aaaa".into(), "bbbb".into(), "cc".into()],
            |s| s.chars().count() as f32,
            11.0,
        );
        assert_eq!(lines, vec!["aaaa · bbbb".to_string(), "cc".to_string()]);
    }

    #[test]
    fn a_file_that_is_not_a_font_is_not_taken_for_one() {
        assert!(WatermarkFont::from_bytes(b"not a font".to_vec(), 0).is_none());
        assert!(WatermarkFont::first_of(&[("/nonexistent/font.ttf", 0)]).is_none());
        assert_eq!(WatermarkFont::builtin().faces(), 0);
    }
}
