//! The visits' photos: a small distinct JPEG for each, with the camera's EXIF time and
//! position, inspected as an upload would be and stored as if its cadre had uploaded it.

use super::DemoError;
use crate::photos::inspect::{inspect, jpeg_with_exif, DecodeLimits};
use crate::photos::ObjectStore;
use crate::store::{FileRow, Store};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use sha2::{Digest, Sha256};
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::LatLon;
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::synth::{Camera, PhotoFile};

const LIMITS: DecodeLimits = DecodeLimits {
    max_side: 10_000,
    max_pixels: 40_000_000,
    max_alloc: 64 << 20,
};

/// Takes the pictures while the days are written; they are stored afterwards.
#[derive(Default)]
pub(super) struct DemoCamera {
    taken: Vec<(FileRow, Vec<u8>)>,
    /// Pictures only named, as [`zhucun_shared::synth::NoFiles`] names them, with what the
    /// server would have read from them (EXIF time and position, a perceptual hash of their
    /// own) and no file: a township at scale is built in seconds, not hours of encoding.
    named_only: bool,
}

impl Camera for DemoCamera {
    type Error = DemoError;

    fn shoot(
        &mut self,
        rng: &mut StdRng,
        by: PersonId,
        at: DateTime<Utc>,
        position: LatLon,
    ) -> Result<PhotoFile, DemoError> {
        if self.named_only {
            return Ok(self.name(rng, by, at, position));
        }
        let jpeg = jpeg_with_exif(&picture(rng), at, Some(position));
        let found = inspect(&jpeg, LIMITS).map_err(|e| DemoError::Photos(e.to_string()))?;
        let file = PhotoFile {
            sha256: hex::encode(Sha256::digest(&jpeg)),
            bytes: jpeg.len() as u64,
        };
        let row = FileRow {
            sha256: file.sha256.clone(),
            bytes: file.bytes,
            format: found.format.into(),
            width: found.width,
            height: found.height,
            facts: found.facts,
            uploaded_by: by,
            uploaded_at: at + Duration::hours(2),
        };
        self.taken.push((row, jpeg));
        Ok(file)
    }
}

impl DemoCamera {
    /// A camera whose pictures are only named (see `named_only`).
    pub fn named_only() -> Self {
        Self {
            named_only: true,
            ..Self::default()
        }
    }

    fn name(
        &mut self,
        rng: &mut StdRng,
        by: PersonId,
        at: DateTime<Utc>,
        at_spot: LatLon,
    ) -> PhotoFile {
        let digest: [u8; 32] = rng.gen();
        let phash: [u8; 8] = rng.gen();
        let file = PhotoFile {
            sha256: hex::encode(digest),
            bytes: 180_000,
        };
        let row = FileRow {
            sha256: file.sha256.clone(),
            bytes: file.bytes,
            format: "jpeg".into(),
            width: 96,
            height: 72,
            facts: PhotoFacts {
                exif_time: Some(at),
                exif_position: Some(at_spot),
                phash: Some(hex::encode(phash)),
            },
            uploaded_by: by,
            uploaded_at: at + Duration::hours(2),
        };
        self.taken.push((row, Vec::new()));
        file
    }

    /// Puts what is known of every picture only named into the database; how many there were.
    pub async fn store_named<S: Store>(self, store: &S) -> Result<usize, DemoError> {
        let count = self.taken.len();
        for (row, _) in &self.taken {
            store.put_file(row).await?;
        }
        Ok(count)
    }

    /// Puts every picture taken into the object store and the database; how many there were.
    pub async fn store<S: Store>(
        self,
        store: &S,
        objects: &dyn ObjectStore,
    ) -> Result<usize, DemoError> {
        let count = self.taken.len();
        for (row, jpeg) in self.taken {
            objects
                .put(&row.sha256, jpeg)
                .await
                .map_err(|e| DemoError::Photos(e.to_string()))?;
            store.put_file(&row).await?;
        }
        Ok(count)
    }
}

/// Random blocks: every visit's picture differs, to the eye and to a perceptual hash.
fn picture(rng: &mut StdRng) -> image::DynamicImage {
    let blocks: Vec<[u8; 3]> = (0..12 * 9).map(|_| rng.gen()).collect();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(96, 72, |x, y| {
        image::Rgb(blocks[(y / 8 * 12 + x / 8) as usize])
    }))
}
