//! A month of work as the records show it, through the shared domain's own functions: each
//! person's stays in their villages ([`stays`]), every household visit assembled and checked
//! ([`assemble_visits`], [`check_visit`]) and the other records of the month. Nothing here
//! decides what a stay or a visit is; it only gathers what the evaluator gathers, so that a
//! ledger shows what the verdicts counted.

use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use zhucun_shared::catalogue::Interpretation;
use zhucun_shared::geometry::VillageShape;
use zhucun_shared::ids::{HouseholdId, PersonId, RecordId, VillageId};
use zhucun_shared::org::{Directory, Household};
use zhucun_shared::period::{day_end, day_start, local_date, Period};
use zhucun_shared::plausibility::PhotoFiles;
use zhucun_shared::record::{DeviceRecord, RecordBody};
use zhucun_shared::spot_check::{latest_findings, Finding};
use zhucun_shared::stays::{clean_track, presence_per_day, stays, Stay, TrackPoint};
use zhucun_shared::verdict::{RejectReason, Rejection};
use zhucun_shared::visits::{assemble_visits, check_visit, reused_photos, withdrawn};
use zhucun_shared::visits::{HouseholdVisit, VisitCheck};

/// A household visit with the server's check of it.
#[derive(Clone, Debug)]
pub struct CheckedVisit {
    pub visit: HouseholdVisit,
    pub check: VisitCheck,
}

/// What the records of `people` show for `month`.
#[derive(Clone, Debug)]
pub struct MonthWork {
    pub month: Period,
    /// Each person's stays in the villages they were posted to, overlapping the month (a stay
    /// from the evening before the first counts presence on the first).
    pub stays: HashMap<PersonId, Vec<Stay>>,
    /// Every visit starting in the month, checked, in time order.
    pub visits: Vec<CheckedVisit>,
    /// The month's other records (activities, reports, events, notes not on a visit), withdrawn
    /// ones left out, in capture order.
    pub entries: Vec<DeviceRecord>,
}

/// The window of records a month's work is read from: stays and visits crossing into the month
/// start the day before; phones' clocks may run a day ahead.
pub fn window(month: Period) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        day_start(month.first_day()) - Duration::days(2),
        day_end(month.last_day()) + Duration::days(2),
    )
}

/// Builds the month's work of `people` from `records` (theirs and their teams', any order),
/// with the spot-check `findings` that count on them (as the verdicts read them:
/// [`crate::evaluation::findings_on`]).
pub fn month_work(
    org: &Directory,
    people: &BTreeSet<PersonId>,
    records: &[DeviceRecord],
    findings: &[Finding],
    photo_files: PhotoFiles<'_>,
    interp: &Interpretation,
    month: Period,
) -> MonthWork {
    let gone = withdrawn(records.iter());
    let found_false = found_false(records, findings);
    let mut fixes: HashMap<PersonId, Vec<TrackPoint>> = HashMap::new();
    let mut others: BTreeMap<RecordId, &DeviceRecord> = BTreeMap::new();
    for r in records.iter().filter(|r| !gone.contains(&r.id)) {
        match &r.body {
            RecordBody::Fix { fix } => fixes
                .entry(r.person_id)
                .or_default()
                .push(TrackPoint::new(r.id, *fix)),
            RecordBody::Retraction { .. } => {}
            _ => {
                others.entry(r.id).or_insert(r);
            }
        }
    }
    let tracks: HashMap<PersonId, Vec<TrackPoint>> = fixes
        .into_iter()
        .map(|(p, points)| (p, clean_track(points, interp).points))
        .collect();
    let (first, last) = (month.first_day(), month.last_day());

    let mut person_stays = HashMap::new();
    for p in people {
        let shapes: Vec<VillageShape> = {
            let mut ids = org.villages_of(*p, first, last);
            ids.sort();
            ids.iter()
                .filter_map(|v| org.village(*v))
                .map(VillageShape::new)
                .collect()
        };
        let track = tracks.get(p).map(Vec::as_slice).unwrap_or_default();
        let s: Vec<Stay> = stays(track, &shapes, interp)
            .into_iter()
            .filter(|s| s.day() <= last && local_date(s.end) >= first)
            .collect();
        person_stays.insert(*p, s);
    }

    let assembled = assemble_visits(others.values().copied());
    let reused = reused_photos(&assembled, photo_files);
    let households: HashMap<HouseholdId, &Household> =
        org.households.iter().map(|h| (h.id, h)).collect();
    let visits = assembled
        .into_iter()
        .filter(|v| month.contains(local_date(v.start)))
        .map(|v| {
            let track = tracks
                .get(&v.person_id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut check = check_visit(&v, &households, track, &reused, photo_files, interp);
            // Found false on any of its records or fixes, as the verdicts find it: the visit
            // counts for nothing, whatever the checks above found.
            let found = v
                .records()
                .into_iter()
                .chain(v.fixes.iter().map(|p| p.record))
                .find_map(|r| found_false.get(&r).copied());
            if let Some(f) = found {
                check.valid = false;
                let by = org.person(f.by).map_or("", |p| p.name.as_str());
                check.rejections.push(Rejection {
                    records: v.records(),
                    reason: RejectReason::FoundFalse,
                    detail: f.quote(by),
                });
            }
            CheckedVisit { visit: v, check }
        })
        .collect();

    // Records that belong to a visit are shown with it.
    let on_visits: BTreeSet<RecordId> = others
        .values()
        .filter(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }))
        .map(|r| r.id)
        .collect();
    let mut entries: Vec<DeviceRecord> = others
        .values()
        .filter(|r| month.contains(entry_date(r)))
        .filter(|r| match &r.body {
            RecordBody::Activity { .. }
            | RecordBody::Report { .. }
            | RecordBody::VillageEvent { .. } => true,
            RecordBody::Note { attached_to, .. } => !on_visits.contains(attached_to),
            _ => false,
        })
        .map(|r| (*r).clone())
        .collect();
    entries.sort_by_key(|r| (r.captured_at, r.id));
    MonthWork {
        month,
        stays: person_stays,
        visits,
        entries,
    }
}

/// The findings in force that reject a record of `records` (核查不属实 by someone other than
/// its author, the latest word on it standing), by the record judged: what the evaluator
/// rejects.
fn found_false<'f>(
    records: &[DeviceRecord],
    findings: &'f [Finding],
) -> HashMap<RecordId, &'f Finding> {
    let latest = latest_findings(findings);
    records
        .iter()
        .filter_map(|r| {
            let f = latest.get(&r.id)?;
            (f.by != r.person_id && f.outcome.is_some_and(|o| o.rejects())).then_some((r.id, *f))
        })
        .collect()
}

/// The day a record is about: an activity's own date, otherwise the day it was captured.
pub fn entry_date(r: &DeviceRecord) -> chrono::NaiveDate {
    match &r.body {
        RecordBody::Activity { held_on, .. } => *held_on,
        _ => local_date(r.captured_at),
    }
}

impl MonthWork {
    pub fn stays_of(&self, person: PersonId) -> &[Stay] {
        self.stays
            .get(&person)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// `person`'s stays in `village`.
    pub fn stays_in(&self, person: PersonId, village: VillageId) -> impl Iterator<Item = &Stay> {
        self.stays_of(person)
            .iter()
            .filter(move |s| s.village_id == village)
    }

    /// `person`'s hours of presence per local day, in their villages.
    pub fn presence(&self, person: PersonId) -> BTreeMap<chrono::NaiveDate, Duration> {
        presence_per_day(self.stays_of(person))
    }

    pub fn visits_of(&self, person: PersonId) -> impl Iterator<Item = &CheckedVisit> {
        self.visits
            .iter()
            .filter(move |v| v.visit.person_id == person)
    }

    /// `person`'s valid visits that started during `stay`.
    pub fn visits_during<'a>(
        &'a self,
        person: PersonId,
        stay: &'a Stay,
    ) -> impl Iterator<Item = &'a CheckedVisit> {
        self.visits_of(person).filter(move |v| {
            v.check.valid && v.visit.start >= stay.start && v.visit.start <= stay.end
        })
    }

    pub fn entries_of(&self, person: PersonId) -> impl Iterator<Item = &DeviceRecord> {
        self.entries.iter().filter(move |r| r.person_id == person)
    }
}
