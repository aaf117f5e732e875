//! The team as its leader sees it: each member's status this month and trajectory today.

use crate::store::TrackPoint;
use chrono::{DateTime, Utc};
use zhucun_shared::ids::PersonId;
use zhucun_shared::record::Fix;
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{PersonReport, Status};

/// A team member as the team leader sees them.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamMember {
    pub person_id: PersonId,
    pub name: String,
    pub role: Role,
    pub status: Status,
    pub summary: String,
    pub last_seen: Option<DateTime<Utc>>,
    /// Today's trajectory.
    pub track: Vec<TrackPoint>,
}

/// Fixes in time order as trajectory points, a new segment after each silence longer than
/// the store's gap.
pub fn track_from_fixes(fixes: &[Fix]) -> Vec<TrackPoint> {
    let mut out: Vec<TrackPoint> = Vec::with_capacity(fixes.len());
    for f in fixes {
        let segment = match out.last() {
            None => 0,
            Some(last) => {
                let gap = (f.time - last.time).num_seconds();
                last.segment + u32::from(gap > crate::store::TRACK_GAP_SECONDS)
            }
        };
        out.push(TrackPoint {
            time: f.time,
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            segment,
        });
    }
    out
}

/// The headline of a member's month: the worst status, and the first counted requirement.
pub fn summarise(report: &PersonReport) -> (Status, String) {
    let status = Status::combine(report.verdicts.iter().map(|v| v.status));
    let summary = report
        .verdicts
        .iter()
        .filter(|v| v.status != Status::NotApplicable)
        .flat_map(|v| v.parts.first())
        .find(|p| p.required > 0)
        .map(|p| format!("{} {}/{}", p.label_zh, p.counted, p.required))
        .unwrap_or_default();
    (status, summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use zhucun_shared::record::FixProvider;

    #[test]
    fn a_silence_splits_a_members_track() {
        let t0: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
        let fixes: Vec<Fix> = [0, 3, 6, 40, 43]
            .iter()
            .map(|m| Fix {
                lat: 26.0,
                lon: 106.0,
                accuracy_m: 10.0,
                time: t0 + Duration::minutes(*m),
                monotonic_ms: None,
                provider: FixProvider::Gps,
                mock: false,
            })
            .collect();
        let segs: Vec<u32> = track_from_fixes(&fixes).iter().map(|p| p.segment).collect();
        assert_eq!(segs, vec![0, 0, 0, 1, 1]);
    }
}
