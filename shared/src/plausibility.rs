//! Plausibility checks: grounds to reject or flag a record.

use crate::org::LatLon;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the server read from a photo file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhotoFacts {
    /// EXIF DateTimeOriginal, read as Asia/Shanghai local time.
    pub exif_time: Option<DateTime<Utc>>,
    pub exif_position: Option<LatLon>,
    /// Perceptual hash (base64), to find the same picture re-encoded.
    pub phash: Option<String>,
}
