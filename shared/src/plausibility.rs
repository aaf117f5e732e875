//! Plausibility checks: grounds to reject or flag a record.

use crate::org::LatLon;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the evaluator knows of photo files.
#[derive(Clone, Copy, Debug)]
pub enum PhotoFiles<'a> {
    /// On the phone: the files are its own and nothing more is known of them.
    Unchecked,
    /// On the server: the files it holds, with what it read from each (by SHA-256). A photo
    /// whose file has not arrived proves nothing yet.
    Held(&'a HashMap<String, PhotoFacts>),
}

impl<'a> PhotoFiles<'a> {
    /// Whether the file is known to be there (always, on the phone).
    pub fn held(&self, sha256: &str) -> bool {
        match self {
            PhotoFiles::Unchecked => true,
            PhotoFiles::Held(m) => m.contains_key(sha256),
        }
    }
    /// What was read from the file, if anything.
    pub fn facts(&self, sha256: &str) -> Option<&'a PhotoFacts> {
        match self {
            PhotoFiles::Unchecked => None,
            PhotoFiles::Held(m) => m.get(sha256),
        }
    }
}

/// What the server read from a photo file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhotoFacts {
    /// EXIF DateTimeOriginal, read as Asia/Shanghai local time.
    pub exif_time: Option<DateTime<Utc>>,
    pub exif_position: Option<LatLon>,
    /// Perceptual hash (base64), to find the same picture re-encoded.
    pub phash: Option<String>,
}

use crate::catalogue::Interpretation;
use crate::ids::DeviceId;
use crate::record::DeviceRecord;
use crate::stays::TrackPoint;
use crate::verdict::{Flag, FlagKind};

/// Records whose phone clock was far from the server's when they were sent.
pub fn clock_skew_flags<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord>,
    interp: &Interpretation,
) -> Vec<Flag> {
    let limit = interp.clock_skew_minutes * 60;
    let mut out: Vec<Flag> = Vec::new();
    for r in records {
        let Some(rx) = r.received else { continue };
        if rx.clock_offset_s.abs() > limit {
            out.push(Flag {
                kind: FlagKind::DeviceClockSkew,
                records: vec![r.id],
                detail: format!("设备时间与服务器相差 {} 分钟", rx.clock_offset_s / 60),
            });
        }
    }
    out
}

/// A fix in its device's log order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoggedFix {
    pub device_id: DeviceId,
    pub seq: u64,
    pub point: TrackPoint,
}

/// Consecutive fixes of one device (in log order) whose wall-clock and monotonic-clock
/// intervals disagree: the phone's time was changed in between. A monotonic clock going
/// backwards is a reboot, not a change.
pub fn clock_jump_flags(mut fixes: Vec<LoggedFix>, interp: &Interpretation) -> Vec<Flag> {
    let key = |f: &LoggedFix| (f.device_id, f.seq);
    if !fixes.is_sorted_by(|a, b| key(a) <= key(b)) {
        fixes.sort_unstable_by_key(key);
    }
    let limit_ms = interp.clock_jump_minutes * 60_000;
    fixes
        .windows(2)
        .filter(|w| w[0].device_id == w[1].device_id)
        .filter_map(|w| {
            let (a, b) = (&w[0].point, &w[1].point);
            let (ma, mb) = (a.fix.monotonic_ms?, b.fix.monotonic_ms?);
            if mb < ma {
                return None;
            }
            let wall = (b.fix.time - a.fix.time).num_milliseconds();
            let mono = (mb - ma) as i64;
            ((wall - mono).abs() > limit_ms).then(|| Flag {
                kind: FlagKind::ClockJump,
                records: vec![a.record, b.record],
                detail: format!(
                    "两次定位间设备时间走了 {} 秒, 实际经过 {} 秒",
                    wall / 1000,
                    mono / 1000
                ),
            })
        })
        .collect()
}
