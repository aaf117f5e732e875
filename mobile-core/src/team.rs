//! The team as its leader sees it: each member's status this month and trajectory today.

use crate::progress::ServerAnswer;
use crate::store::{LocationGap, TrackPoint};
use chrono::{DateTime, Utc};
use zhucun_shared::ids::{HouseholdId, PersonId, RecordId};
use zhucun_shared::record::Fix;
use zhucun_shared::role::Role;
use zhucun_shared::sync::TeamStay;
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
    /// 定位中断 today, with their causes.
    pub gaps: Vec<LocationGap>,
    /// Village stays today, from the fixes as the verdicts reconstruct them.
    pub stays: Vec<TeamStay>,
    /// Household visits begun today, each with the server's answer.
    pub visits: Vec<MemberVisit>,
}

/// A member's household visit with the verdicts' answer on it (计入 / 不计入：reason).
#[derive(Clone, Debug, PartialEq)]
pub struct MemberVisit {
    pub check_in: RecordId,
    pub household_id: HouseholdId,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub withdrawn: bool,
    /// As of the member's report in the team answer; `None` when no verdict names it yet.
    pub answer: Option<ServerAnswer>,
}

/// A member's day from the server's team answer: the gaps, the stays, and the visits with
/// the answer of the member's own report on each ([`zhucun_shared::answers::server_answer`]).
pub fn day_of(
    m: &zhucun_shared::sync::TeamMemberDay,
) -> (Vec<LocationGap>, Vec<TeamStay>, Vec<MemberVisit>) {
    let person = m.summary.person.id;
    let gaps = m
        .gaps
        .iter()
        .map(|g| LocationGap {
            cause: g.cause,
            from: g.from,
            to: g.to,
        })
        .collect();
    let visits = m
        .visits
        .iter()
        .map(|v| MemberVisit {
            check_in: v.check_in,
            household_id: v.household_id,
            start: v.start,
            end: v.end,
            withdrawn: v.withdrawn,
            answer: crate::progress::server_answer(
                std::slice::from_ref(&m.report),
                person,
                v.check_in,
            ),
        })
        .collect();
    (gaps, m.stays.clone(), visits)
}

/// Fixes in time order as trajectory points, segmented as the phone's own trajectory is
/// ([`zhucun_shared::trajectory`]).
pub fn track_from_fixes(fixes: &[Fix]) -> Vec<TrackPoint> {
    let segments = zhucun_shared::trajectory::segments(fixes.iter().map(|f| f.time));
    fixes
        .iter()
        .zip(segments)
        .map(|(f, segment)| TrackPoint {
            time: f.time,
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            segment,
        })
        .collect()
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
