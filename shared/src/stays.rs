//! Village stays (停留) reconstructed from GPS fixes, not from what the phone claims.
//!
//! Fixes are sorted and de-duplicated first, so order and repetition of arrival do not matter.
//! Inaccurate, mock and physically impossible fixes are set aside with a reason. A stay is a run
//! of fixes inside one village's boundary (buffered by each fix's accuracy) in which no two
//! consecutive fixes are further apart than the gap rule; a fix outside ends it.

use crate::catalogue::Interpretation;
use crate::geometry::{FlatMetric, VillageShape};
use crate::ids::{RecordId, VillageId};
use crate::period::{day_end, local_date, local_label};
use crate::record::Fix;
use crate::verdict::{Flag, FlagKind, RejectReason, Rejection};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// A fix with the record that carried it.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackPoint {
    pub record: RecordId,
    pub fix: Fix,
    /// The fix's time in milliseconds since the epoch: compared a million times a county-month.
    pub t: i64,
}

impl TrackPoint {
    pub fn new(record: RecordId, fix: Fix) -> Self {
        Self {
            record,
            fix,
            t: fix.time.timestamp_millis(),
        }
    }
}

/// The outcome of cleaning a person's fixes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CleanTrack {
    /// Usable fixes in time order, one per record.
    pub points: Vec<TrackPoint>,
    pub rejected: Vec<(TrackPoint, RejectReason)>,
    pub flags: Vec<Flag>,
}

/// Sorts, de-duplicates and filters fixes.
pub fn clean_track(points: Vec<TrackPoint>, interp: &Interpretation) -> CleanTrack {
    clean_track_after(None, points, interp)
}

/// Where a cleaned track stood before its next fixes: what [`clean_track_after`] continues
/// from, so that a track cleaned day by day is the track cleaned whole (when every day's fixes
/// come after the days before).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackStart {
    /// The latitude of the track's first fix: distances are measured in a flat frame there.
    pub anchor_lat: f64,
    /// The last usable fix before.
    pub last_kept: Option<TrackPoint>,
}

/// [`clean_track`] of fixes that follow a track standing at `start` (all of them later than
/// its fixes): the same points, rejections and flags as cleaning the whole track would give
/// these fixes.
pub fn clean_track_after(
    start: Option<TrackStart>,
    mut points: Vec<TrackPoint>,
    interp: &Interpretation,
) -> CleanTrack {
    let key = |p: &TrackPoint| (p.t, p.record);
    if !points.is_sorted_by(|a, b| key(a) <= key(b)) {
        points.sort_unstable_by_key(key);
    }
    points.dedup_by_key(|p| p.record);
    let max_speed = interp.max_speed_kmh / 3.6;
    let anchor = start
        .map(|s| s.anchor_lat)
        .or(points.first().map(|p| p.fix.lat));
    let metric = anchor.map(FlatMetric::at);
    let before = start.and_then(|s| s.last_kept);
    let mut rejected = Vec::new();
    let mut flags = Vec::new();
    // Compacted in place: accepted points move to the front, `kept` of them so far.
    let mut kept = 0;
    for i in 0..points.len() {
        let p = points[i];
        let reason = if p.fix.mock {
            flags.push(Flag {
                kind: FlagKind::MockLocation,
                records: vec![p.record],
                detail: format!("{} 模拟定位", local_label(p.fix.time)),
            });
            Some(RejectReason::MockLocation)
        } else if p.fix.accuracy_m > interp.max_fix_accuracy_m {
            Some(RejectReason::LowAccuracy)
        } else if let Some(prev) = (kept > 0).then(|| points[kept - 1]).or(before) {
            let prev = &prev;
            let d2 = metric.map_or(0.0, |m| m.distance_squared(&prev.fix, &p.fix));
            let secs = (p.t - prev.t) as f64 / 1000.0;
            // Both fixes may be off by their accuracy; only movement beyond that counts. The
            // common case, a plausible step, is decided on squared distances: no root, no
            // division.
            let slack = prev.fix.accuracy_m + p.fix.accuracy_m;
            let reach = slack + max_speed * secs.max(0.0);
            let plausible = d2 <= slack * slack || (secs > 0.0 && d2 <= reach * reach);
            if !plausible {
                let d = d2.sqrt();
                let moved = d - slack;
                let kmh = if secs > 0.0 {
                    moved / secs * 3.6
                } else {
                    f64::INFINITY
                };
                flags.push(Flag {
                    kind: FlagKind::ImpossibleSpeed,
                    records: vec![prev.record, p.record],
                    detail: format!("{d:.0} 米 / {secs:.0} 秒 (≈{kmh:.0} 公里/小时)"),
                });
                Some(RejectReason::ImpossibleSpeed)
            } else {
                None
            }
        } else {
            None
        };
        match reason {
            Some(r) => rejected.push((p, r)),
            None => {
                points[kept] = p;
                kept += 1;
            }
        }
    }
    points.truncate(kept);
    CleanTrack {
        points,
        rejected,
        flags,
    }
}

/// Continuous presence in one village.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stay {
    pub village_id: VillageId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub first_record: RecordId,
    pub last_record: RecordId,
    pub fixes: u32,
}

impl Stay {
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
    /// The local day the stay started on: a stay counts for one day.
    pub fn day(&self) -> NaiveDate {
        local_date(self.start)
    }
}

/// Stays in any of `villages`, from a cleaned track.
pub fn stays(
    track: &[TrackPoint],
    villages: &[VillageShape],
    interp: &Interpretation,
) -> Vec<Stay> {
    let (mut out, end) = stays_after(StayStart::default(), track, villages, interp);
    out.extend(end.open);
    out
}

/// Where the search for stays stood after a track's fixes: the stay still open (it may go on
/// with the next fixes) and the village the last fix was in.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StayStart {
    pub open: Option<Stay>,
    pub last_village: Option<VillageId>,
}

/// The stays closed by `track`'s fixes, which follow a search standing at `start`, and where
/// the search stands after them: [`stays`] of a whole track is the stays closed day by day
/// and the one left open at the end. `villages` must be the same, in the same order, for
/// every part of a track.
pub fn stays_after(
    start: StayStart,
    track: &[TrackPoint],
    villages: &[VillageShape],
    interp: &Interpretation,
) -> (Vec<Stay>, StayStart) {
    /// A stay being built, in milliseconds.
    struct Open {
        village: usize,
        start: i64,
        end: i64,
        first: RecordId,
        last: RecordId,
        fixes: u32,
    }
    let close = |o: Open| Stay {
        village_id: villages[o.village].village_id,
        start: DateTime::from_timestamp_millis(o.start).unwrap_or_default(),
        end: DateTime::from_timestamp_millis(o.end).unwrap_or_default(),
        first_record: o.first,
        last_record: o.last,
        fixes: o.fixes,
    };
    let index = |id: VillageId| villages.iter().position(|v| v.village_id == id);
    let gap = interp.stay_gap().num_milliseconds();
    let mut out: Vec<Stay> = Vec::new();
    let mut open: Option<Open> = start.open.and_then(|s| {
        Some(Open {
            village: index(s.village_id)?,
            start: s.start.timestamp_millis(),
            end: s.end.timestamp_millis(),
            first: s.first_record,
            last: s.last_record,
            fixes: s.fixes,
        })
    });
    let mut last_village: Option<usize> = start.last_village.and_then(index);
    for p in track {
        let buffer = p.fix.accuracy_m;
        // Villages do not overlap; try the last one first, it is almost always the answer.
        let inside = last_village
            .filter(|&i| villages[i].contains_within(p.fix.lat, p.fix.lon, buffer))
            .or_else(|| {
                villages
                    .iter()
                    .position(|v| v.contains_within(p.fix.lat, p.fix.lon, buffer))
            });
        match inside {
            Some(i) => {
                last_village = Some(i);
                match open.as_mut() {
                    Some(s) if s.village == i && p.t - s.end <= gap => {
                        s.end = p.t;
                        s.last = p.record;
                        s.fixes += 1;
                    }
                    _ => {
                        out.extend(open.take().map(close));
                        open = Some(Open {
                            village: i,
                            start: p.t,
                            end: p.t,
                            first: p.record,
                            last: p.record,
                            fixes: 1,
                        });
                    }
                }
            }
            None => out.extend(open.take().map(close)),
        }
    }
    let end = StayStart {
        open: open.map(close),
        last_village: last_village.map(|i| villages[i].village_id),
    };
    (out, end)
}

/// Time present per local day and village, splitting stays at midnight.
pub fn presence_by_day(stays: &[Stay]) -> BTreeMap<(NaiveDate, VillageId), Duration> {
    let mut out: BTreeMap<(NaiveDate, VillageId), Duration> = BTreeMap::new();
    for s in stays {
        let mut from = s.start;
        while from < s.end {
            let day = local_date(from);
            let until = day_end(day).min(s.end);
            *out.entry((day, s.village_id)).or_default() += until - from;
            from = until;
        }
    }
    out
}

/// Presence per local day summed over villages.
pub fn presence_per_day(stays: &[Stay]) -> BTreeMap<NaiveDate, Duration> {
    let mut out: BTreeMap<NaiveDate, Duration> = BTreeMap::new();
    for ((day, _), d) in presence_by_day(stays) {
        *out.entry(day).or_default() += d;
    }
    out
}

/// Rejected fixes grouped per local day and reason, so a verdict lists them readably.
pub fn group_rejected_fixes(rejected: &[(TrackPoint, RejectReason)]) -> Vec<Rejection> {
    let mut groups: BTreeMap<(NaiveDate, RejectReason), Vec<RecordId>> = BTreeMap::new();
    for (p, reason) in rejected {
        groups
            .entry((local_date(p.fix.time), *reason))
            .or_default()
            .push(p.record);
    }
    groups
        .into_iter()
        .map(|((day, reason), records)| Rejection {
            detail: format!("{day} {} 个定位点: {}", records.len(), reason.label_zh()),
            records,
            reason,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::geometry::offset;
    use crate::org::LatLon;
    use crate::record::FixProvider;

    const ORIGIN: LatLon = LatLon {
        lat: 27.0,
        lon: 106.0,
    };

    fn point(n: u128, secs: i64, east_m: f64, accuracy_m: f64) -> TrackPoint {
        let p = offset(ORIGIN, east_m, 0.0);
        TrackPoint::new(
            RecordId::from_u128(n),
            Fix {
                lat: p.lat,
                lon: p.lon,
                accuracy_m,
                time: DateTime::from_timestamp(1_790_000_000 + secs, 0).unwrap_or_default(),
                monotonic_ms: None,
                provider: FixProvider::Gps,
                mock: false,
            },
        )
    }

    fn kept(second: TrackPoint) -> bool {
        let interp = Catalogue::bundled().interpretation;
        let clean = clean_track(vec![point(1, 0, 0.0, 5.0), second], &interp);
        clean.points.len() == 2
    }

    #[test]
    fn a_step_is_impossible_only_beyond_both_accuracies_and_the_speed_limit() {
        // 200 km/h for 36 s is 2 000 m; with 5 m + 5 m of accuracy, 2 010 m is reachable.
        assert!(kept(point(2, 36, 2_009.0, 5.0)));
        assert!(!kept(point(2, 36, 2_012.0, 5.0)));
        // At the same instant only the accuracies separate the two fixes.
        assert!(kept(point(2, 0, 9.5, 5.0)));
        assert!(!kept(point(2, 0, 11.0, 5.0)));
        // Arrival order does not matter: the later fix is the one set aside.
        let interp = Catalogue::bundled().interpretation;
        let clean = clean_track(
            vec![point(1, 10, 1_000.0, 5.0), point(2, 0, 0.0, 5.0)],
            &interp,
        );
        assert_eq!(clean.points.len(), 1);
        assert_eq!(clean.rejected[0].0.record, RecordId::from_u128(1));
        assert_eq!(clean.flags[0].kind, FlagKind::ImpossibleSpeed);
    }
}
