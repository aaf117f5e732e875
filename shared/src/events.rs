//! 四必到: an event in the village is attended within days of its date, by a
//! check-in linked to it — at the household it concerns ([`RecordBody::HouseholdCheckIn`]
//! naming the event) or at a point on the map ([`RecordBody::OnSite`] attached to it). The
//! evaluator judges attendance with these; the phone lists the events still open with them.

use crate::geometry::VillageShape;
use crate::ids::{HouseholdId, RecordId, VillageId};
use crate::period::local_date;
use crate::record::{DeviceRecord, EventKind, Fix, RecordBody};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::HashSet;

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
}

/// The events among `records` that no check-in has been linked to yet, oldest first, each with
/// the days left to attend it as of `today`. Withdrawn events and check-ins are left out; a
/// linked check-in ends an event's wait whether or not the visit will count (the verdict says
/// that). Events whose last day is more than `keep_overdue_days` past are dropped: the month's
/// verdict lists them.
pub fn open_events(
    records: &[DeviceRecord],
    today: NaiveDate,
    within_days: u32,
    keep_overdue_days: i64,
) -> Vec<OpenEvent> {
    let withdrawn = crate::visits::withdrawn(records);
    let attended: HashSet<RecordId> = records
        .iter()
        .filter(|r| !withdrawn.contains(&r.id))
        .filter_map(|r| match &r.body {
            RecordBody::HouseholdCheckIn { event: Some(e), .. } => Some(*e),
            RecordBody::OnSite { attached_to, .. } => Some(*attached_to),
            _ => None,
        })
        .collect();
    let mut out: Vec<OpenEvent> = records
        .iter()
        .filter(|r| !withdrawn.contains(&r.id) && !attended.contains(&r.id))
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
                })
            }
            _ => None,
        })
        .filter(|e| e.days_left >= -keep_overdue_days)
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
        let open: Vec<RecordId> = open_events(&records, today, 3, 7)
            .iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(open, [older.id]);
        records.push(rec.record(
            at("2026-11-23T02:05:00Z"),
            RecordBody::Retraction {
                target: on_site.id,
                reason: "误签".into(),
            },
        ));
        assert_eq!(open_events(&records, today, 3, 7).len(), 2);
        // Long overdue: left to the verdict.
        assert_eq!(open_events(&records, today, 3, 0).len(), 1);
    }
}
