//! 四必到: an event in the village is attended within days of its date, by a
//! check-in linked to it — at the household it concerns ([`RecordBody::HouseholdCheckIn`]
//! naming the event) or at a point on the map ([`RecordBody::OnSite`] attached to it). The
//! evaluator judges attendance with these; the phone lists the events still open with them.

use crate::geometry::VillageShape;
use crate::ids::{HouseholdId, PersonId, RecordId, VillageId};
use crate::period::local_date;
use crate::record::{DeviceRecord, EventKind, Fix, RecordBody};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::HashSet;

/// How long an event not attended stays listed on the phone (已超期) after its last day; the
/// pull carries the team's events over the attendance window and these days.
pub const SHOWN_OVERDUE_DAYS: i64 = 7;

/// The first day of the events a phone lists on `today`: those that occurred since may still
/// be attended or are shown overdue.
pub fn listed_since(today: NaiveDate, within_days: u32) -> NaiveDate {
    today - Duration::days(i64::from(within_days) + SHOWN_OVERDUE_DAYS)
}

/// The last day an event of `occurred_at` may be attended and count: its date (China time)
/// plus `within_days`.
pub fn attend_by(occurred_at: DateTime<Utc>, within_days: u32) -> NaiveDate {
    local_date(occurred_at) + Duration::days(within_days.into())
}

/// The days within which an event is to be attended under `catalogue`'s R-241 (四必到), if
/// it has the rule.
pub fn attend_within_days(catalogue: &crate::catalogue::Catalogue) -> Option<u32> {
    catalogue.rules.iter().find_map(|r| match &r.check {
        crate::catalogue::Check::FourMusts(c) => Some(c.attend_within_days),
        _ => None,
    })
}

/// Whether an on-site fix places its author in the village: inside the boundary, or outside
/// by no more than the fix's accuracy, counted up to `accuracy_cap_m`.
pub fn fix_in_village(shape: &VillageShape, fix: &Fix, accuracy_cap_m: f64) -> bool {
    shape.distance_m(fix.lat, fix.lon) <= fix.accuracy_m.clamp(0.0, accuracy_cap_m)
}

/// An event as the phone lists it: what, when, and how long is left to attend it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenEvent {
    pub event: RecordId,
    pub village_id: VillageId,
    pub kind: EventKind,
    pub occurred_on: NaiveDate,
    pub household_id: Option<HouseholdId>,
    pub description: String,
    /// The last day attendance counts ([`attend_by`]).
    pub attend_by: NaiveDate,
    /// Days from `today` to `attend_by`: 0 is the last day, negative is overdue.
    pub days_left: i64,
    /// Who recorded the event (this phone's owner or a teammate, from the pull).
    pub recorded_by: PersonId,
    /// The first check-in linked to it, by anyone of the team: R-241 is the team's duty, and
    /// the verdict counts the team's first attendance (if its visit is valid).
    pub attended: Option<Attendance>,
}

/// A check-in linked to an event: who, when, and whether at a point on the map (现场签到)
/// rather than at the household.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attendance {
    pub check_in: RecordId,
    pub by: PersonId,
    pub at: DateTime<Utc>,
    pub on_site: bool,
}

/// The check-ins among `records` linked to an event, not withdrawn, with the event they name.
fn attendances(
    records: &[DeviceRecord],
    withdrawn: &HashSet<RecordId>,
) -> Vec<(RecordId, Attendance)> {
    records
        .iter()
        .filter(|r| !withdrawn.contains(&r.id))
        .filter_map(|r| {
            let (event, on_site) = match &r.body {
                RecordBody::HouseholdCheckIn { event: Some(e), .. } => (*e, false),
                RecordBody::OnSite { attached_to, .. } => (*attached_to, true),
                _ => return None,
            };
            Some((
                event,
                Attendance {
                    check_in: r.id,
                    by: r.person_id,
                    at: r.captured_at,
                    on_site,
                },
            ))
        })
        .collect()
}

/// What a phone needs of the team's 四必到 work from `records` (the team's, read by the
/// server): the events of `villages` that occurred on or after `since`, the check-ins linked
/// to them and the retractions of either, in capture order. The pull carries them so that
/// every member can attend (前往处理) an event a teammate recorded, and sees who attended.
pub fn team_event_records(
    records: &[DeviceRecord],
    villages: &[VillageId],
    since: NaiveDate,
) -> Vec<DeviceRecord> {
    let events: HashSet<RecordId> = records
        .iter()
        .filter(|r| match &r.body {
            RecordBody::VillageEvent {
                village_id,
                occurred_at,
                ..
            } => villages.contains(village_id) && local_date(*occurred_at) >= since,
            _ => false,
        })
        .map(|r| r.id)
        .collect();
    let linked: HashSet<RecordId> = records
        .iter()
        .filter(|r| match &r.body {
            RecordBody::HouseholdCheckIn { event: Some(e), .. } => events.contains(e),
            RecordBody::OnSite { attached_to, .. } => events.contains(attached_to),
            _ => false,
        })
        .map(|r| r.id)
        .collect();
    let mut out = records
        .iter()
        .filter(|r| {
            events.contains(&r.id)
                || linked.contains(&r.id)
                || matches!(&r.body, RecordBody::Retraction { target, .. }
                    if events.contains(target) || linked.contains(target))
        })
        .cloned()
        .collect::<Vec<_>>();
    out.sort_by_key(|r| (r.captured_at, r.id));
    out
}

/// The 四必到 events among `records` (this phone's and the team's, as pulled), oldest first,
/// each with the days left to attend it as of `today` and the team's first linked check-in.
/// Withdrawn events and check-ins are left out; a linked check-in ends an event's wait whether
/// or not the visit will count (the verdict says that). An attended event is listed until its
/// last day; one not attended until it is more than `keep_overdue_days` past (then the month's
/// verdict lists it). A record present twice (mine, and pulled back) counts once.
pub fn open_events(
    records: &[DeviceRecord],
    today: NaiveDate,
    within_days: u32,
    keep_overdue_days: i64,
) -> Vec<OpenEvent> {
    let withdrawn = crate::visits::withdrawn(records);
    let mut first: std::collections::HashMap<RecordId, Attendance> = Default::default();
    for (event, a) in attendances(records, &withdrawn) {
        let e = first.entry(event).or_insert(a);
        if (a.at, a.check_in) < (e.at, e.check_in) {
            *e = a;
        }
    }
    let mut seen = HashSet::new();
    let mut out: Vec<OpenEvent> = records
        .iter()
        .filter(|r| !withdrawn.contains(&r.id) && seen.insert(r.id))
        .filter_map(|r| match &r.body {
            RecordBody::VillageEvent {
                village_id,
                kind,
                occurred_at,
                household_id,
                description,
            } => {
                let by = attend_by(*occurred_at, within_days);
                Some(OpenEvent {
                    event: r.id,
                    village_id: *village_id,
                    kind: *kind,
                    occurred_on: local_date(*occurred_at),
                    household_id: *household_id,
                    description: description.clone(),
                    attend_by: by,
                    days_left: (by - today).num_days(),
                    recorded_by: r.person_id,
                    attended: first.get(&r.id).copied(),
                })
            }
            _ => None,
        })
        .filter(|e| match e.attended {
            Some(_) => e.days_left >= 0,
            None => e.days_left >= -keep_overdue_days,
        })
        .collect();
    out.sort_by_key(|e| (e.occurred_on, e.event));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, PersonId};
    use crate::synth::Recorder;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn event(rec: &mut Recorder, captured: &str, occurred: &str) -> DeviceRecord {
        rec.record(
            at(captured),
            RecordBody::VillageEvent {
                village_id: VillageId::from_u128(9),
                kind: EventKind::Emergency,
                occurred_at: at(occurred),
                household_id: None,
                description: "山体滑坡".into(),
            },
        )
    }

    #[rstest::rstest]
    // 23:30 UTC is the next morning in China: the event's date is the local one.
    #[case("2026-11-20T23:30:00Z", 3, "2026-11-24")]
    #[case("2026-11-20T02:00:00Z", 3, "2026-11-23")]
    #[case("2026-11-20T02:00:00Z", 0, "2026-11-20")]
    fn attendance_is_due_days_after_the_events_local_date(
        #[case] occurred: &str,
        #[case] days: u32,
        #[case] by: &str,
    ) {
        assert_eq!(attend_by(at(occurred), days), by.parse().unwrap());
    }

    #[test]
    fn the_bundled_rules_give_three_days() {
        let c = crate::catalogue::Catalogue::bundled();
        assert_eq!(attend_within_days(&c), Some(3));
    }

    #[test]
    fn an_event_stays_open_until_a_check_in_is_linked_to_it() {
        let mut rec = Recorder::new(PersonId::from_u128(1), DeviceId::from_u128(2));
        let older = event(&mut rec, "2026-11-22T02:00:00Z", "2026-11-19T02:00:00Z");
        let newer = event(&mut rec, "2026-11-22T03:00:00Z", "2026-11-22T01:00:00Z");
        let gone = event(&mut rec, "2026-11-22T04:00:00Z", "2026-11-22T01:00:00Z");
        let withdraw = rec.record(
            at("2026-11-22T04:10:00Z"),
            RecordBody::Retraction {
                target: gone.id,
                reason: "重复".into(),
            },
        );
        let today: NaiveDate = "2026-11-23".parse().unwrap();
        let records = vec![older.clone(), newer.clone(), gone, withdraw];
        let open = open_events(&records, today, 3, 7);
        let listed: Vec<(RecordId, i64)> = open.iter().map(|e| (e.event, e.days_left)).collect();
        assert_eq!(listed, [(older.id, -1), (newer.id, 2)]);
        assert_eq!(
            open[0].occurred_on,
            "2026-11-19".parse::<NaiveDate>().unwrap()
        );

        // Attended at a point on the map: no longer open; the check-in withdrawn, open again.
        let mut records = records;
        let on_site = rec.record(
            at("2026-11-23T02:00:00Z"),
            RecordBody::OnSite {
                attached_to: newer.id,
                fix: None,
            },
        );
        records.push(on_site.clone());
        let open: Vec<(RecordId, Option<RecordId>)> = open_events(&records, today, 3, 7)
            .iter()
            .map(|e| (e.event, e.attended.map(|a| a.check_in)))
            .collect();
        assert_eq!(open, [(older.id, None), (newer.id, Some(on_site.id))]);
        // Attended: listed until its last day, then gone.
        let later: NaiveDate = "2026-11-26".parse().unwrap();
        assert!(open_events(&records, later, 3, 7)
            .iter()
            .all(|e| e.event != newer.id));
        records.push(rec.record(
            at("2026-11-23T02:05:00Z"),
            RecordBody::Retraction {
                target: on_site.id,
                reason: "误签".into(),
            },
        ));
        assert!(open_events(&records, today, 3, 7)
            .iter()
            .all(|e| e.attended.is_none()));
        // Long overdue: left to the verdict.
        assert_eq!(open_events(&records, today, 3, 0).len(), 1);
    }

    /// A teammate's event, pulled, is listed with its author; a teammate's check-in linked to
    /// it shows it attended by them; another village's event is not carried.
    #[test]
    fn the_team_s_events_and_attendance() {
        let leader = PersonId::from_u128(1);
        let member = PersonId::from_u128(3);
        let mut lead = Recorder::new(leader, DeviceId::from_u128(2));
        let mut mine = Recorder::new(member, DeviceId::from_u128(4));
        let ours = event(&mut lead, "2026-11-22T02:00:00Z", "2026-11-22T01:00:00Z");
        let old = event(&mut lead, "2026-11-22T02:00:00Z", "2026-11-05T01:00:00Z");
        let mut other = event(&mut lead, "2026-11-22T03:00:00Z", "2026-11-22T01:00:00Z");
        if let RecordBody::VillageEvent { village_id, .. } = &mut other.body {
            *village_id = VillageId::from_u128(10);
        }
        let attend = lead.record(
            at("2026-11-22T04:00:00Z"),
            RecordBody::OnSite {
                attached_to: ours.id,
                fix: None,
            },
        );
        let unrelated = lead.record(
            at("2026-11-22T05:00:00Z"),
            RecordBody::OnSite {
                attached_to: other.id,
                fix: None,
            },
        );
        let team = vec![ours.clone(), old, other, attend.clone(), unrelated];
        let since: NaiveDate = "2026-11-12".parse().unwrap();
        let pulled = team_event_records(&team, &[VillageId::from_u128(9)], since);
        let ids: Vec<RecordId> = pulled.iter().map(|r| r.id).collect();
        assert_eq!(ids, [ours.id, attend.id]);

        // On the member's phone: its own records and the pulled ones (its own check-in too,
        // pulled back, counts once).
        let today: NaiveDate = "2026-11-23".parse().unwrap();
        let mut records = pulled.clone();
        let open = open_events(&records, today, 3, 7);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].recorded_by, leader);
        assert_eq!(
            open[0].attended.map(|a| (a.by, a.on_site)),
            Some((leader, true))
        );
        let own = mine.record(
            at("2026-11-22T03:30:00Z"),
            RecordBody::OnSite {
                attached_to: ours.id,
                fix: None,
            },
        );
        records.push(own.clone());
        records.push(own.clone());
        records.extend(pulled);
        let open = open_events(&records, today, 3, 7);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].attended.map(|a| a.check_in), Some(own.id));
    }
}
