//! Day facts: what the evaluator needs of a person's trajectory per day, kept so that a month is
//! evaluated from its own records and the facts of the days before it instead of the whole
//! year's fixes.
//!
//! A day's facts are folded from the person's fixes captured that day (withdrawn ones left out)
//! and the facts of the day before it: the track is cleaned and searched for stays as one
//! whole track would be, and the facts keep the stays closed that day and where the track
//! stood at its end ([`TrackEnd`]). An evaluation given a [`History`] takes the person's stays
//! before the history's first raw day from the facts and continues every person's track from
//! where the facts left it; the verdicts are those of an evaluation over every record, as long
//! as [`History::fits`] says the records given continue the facts (a phone's clock set back
//! across days can make them interleave: then the caller evaluates from the raw records).

use crate::catalogue::{Catalogue, Check, Interpretation};
use crate::geometry::VillageShape;
use crate::ids::{DeviceId, PersonId, RecordId, VillageId};
use crate::org::Directory;
use crate::period::{day_start, local_date, Period};
use crate::record::{DeviceRecord, RecordBody};
use crate::stays::{clean_track_after, stays_after, Stay, StayStart, TrackPoint, TrackStart};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Where a person's track stood at the end of a day: what the next day's facts, or an
/// evaluation's raw fixes, continue from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackEnd {
    pub track: Option<TrackStart>,
    pub stay: StayStart,
    /// The latest fix time so far (milliseconds since the epoch).
    pub latest_t: Option<i64>,
    /// False once a day's fixes went back before an earlier day's: folded day by day, the track
    /// is then no longer the whole track cleaned, and the facts no longer stand in for it.
    pub ordered: bool,
    /// Each device's highest fix seq so far.
    pub max_fix_seq: BTreeMap<DeviceId, u64>,
}

impl Default for TrackEnd {
    fn default() -> Self {
        Self {
            track: None,
            stay: StayStart::default(),
            latest_t: None,
            ordered: true,
            max_fix_seq: BTreeMap::new(),
        }
    }
}

/// A person's facts of one day (the day their fixes were captured on, local time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayFacts {
    pub person: PersonId,
    pub day: NaiveDate,
    /// The villages stays are found in, by id ([`stay_villages`]).
    pub villages: Vec<VillageId>,
    /// Usable fixes of the day.
    pub fixes: u32,
    /// The stays closed by the day's fixes (one may have begun on an earlier day; the stay
    /// open at the end of the day is in `end`).
    pub stays: Vec<Stay>,
    /// Time in each village per local day, from the stays closed this day.
    pub presence: BTreeMap<NaiveDate, BTreeMap<VillageId, i64>>,
    pub end: TrackEnd,
}

/// The villages whose stays a person's day facts hold: those of all their postings, by id. An
/// evaluation of a month uses facts only when the month's villages are the same
/// ([`History::fits`]), as they are for anyone posted to the same villages throughout.
pub fn stay_villages(org: &Directory, person: PersonId) -> Vec<VillageId> {
    let mut v = org.villages_of(person, NaiveDate::MIN, NaiveDate::MAX);
    v.sort();
    v.dedup();
    v
}

/// The village shapes for `villages`, in their order.
pub fn shapes(org: &Directory, villages: &[VillageId]) -> Vec<VillageShape> {
    villages
        .iter()
        .filter_map(|v| org.village(*v))
        .map(VillageShape::new)
        .collect()
}

/// The person's fixes usable for a track: fix records not withdrawn by their author.
pub fn track_points<'a>(
    person: PersonId,
    records: impl IntoIterator<Item = &'a DeviceRecord>,
    withdrawn: &HashSet<RecordId>,
) -> Vec<(DeviceId, u64, TrackPoint)> {
    records
        .into_iter()
        .filter(|r| r.person_id == person && !withdrawn.contains(&r.id))
        .filter_map(|r| match &r.body {
            RecordBody::Fix { fix } => Some((r.device_id, r.seq, TrackPoint::new(r.id, *fix))),
            _ => None,
        })
        .collect()
}

/// Folds a person's day: `fixes` are their fix records captured on `day` (others are ignored),
/// `withdrawn` the records they withdrew, `before` the facts of their last earlier day with
/// fixes. `shapes` must be those of [`stay_villages`], in that order.
#[allow(clippy::too_many_arguments)]
pub fn fold_day<'a>(
    person: PersonId,
    day: NaiveDate,
    records: impl IntoIterator<Item = &'a DeviceRecord>,
    withdrawn: &HashSet<RecordId>,
    before: Option<&DayFacts>,
    shapes: &[VillageShape],
    interp: &Interpretation,
) -> DayFacts {
    let on_day = records
        .into_iter()
        .filter(|r| local_date(r.captured_at) == day);
    let points = track_points(person, on_day, withdrawn);
    let mut end = before.map(|b| b.end.clone()).unwrap_or_default();
    for (device, seq, _) in &points {
        let m = end.max_fix_seq.entry(*device).or_insert(0);
        *m = (*m).max(*seq);
    }
    let first_t = points.iter().map(|(_, _, p)| p.t).min();
    if let (Some(first), Some(latest)) = (first_t, end.latest_t) {
        if first <= latest {
            end.ordered = false;
        }
    }
    let last_t = points.iter().map(|(_, _, p)| p.t).max();
    end.latest_t = end.latest_t.max(last_t);
    let points: Vec<TrackPoint> = points.into_iter().map(|(_, _, p)| p).collect();
    let anchor = end.track.map(|t| t.anchor_lat);
    let clean = clean_track_after(end.track, points, interp);
    if let Some(anchor_lat) = anchor.or(clean_anchor(&clean)) {
        end.track = Some(TrackStart {
            anchor_lat,
            last_kept: clean
                .points
                .last()
                .copied()
                .or(end.track.and_then(|t| t.last_kept)),
        });
    }
    let (stays, stay) = stays_after(end.stay.clone(), &clean.points, shapes, interp);
    end.stay = stay;
    let mut presence: BTreeMap<NaiveDate, BTreeMap<VillageId, i64>> = BTreeMap::new();
    for ((d, v), t) in crate::stays::presence_by_day(&stays) {
        *presence.entry(d).or_default().entry(v).or_default() += t.num_seconds();
    }
    DayFacts {
        person,
        day,
        villages: shapes.iter().map(|s| s.village_id).collect(),
        fixes: clean.points.len() as u32,
        stays,
        presence,
        end,
    }
}

/// The first fix of a track cleaned from nothing: its anchor.
fn clean_anchor(clean: &crate::stays::CleanTrack) -> Option<f64> {
    let first_kept = clean.points.first().map(|p| (p.t, p.record, p.fix.lat));
    let first_rejected = clean
        .rejected
        .iter()
        .map(|(p, _)| (p.t, p.record, p.fix.lat))
        .min_by_key(|(t, r, _)| (*t, *r));
    [first_kept, first_rejected]
        .into_iter()
        .flatten()
        .min_by_key(|(t, r, _)| (*t, *r))
        .map(|(_, _, lat)| lat)
}

/// The first day whose raw records an evaluation of `month` needs under `catalogue`: the day
/// before the earliest period a rule reads visits or fixes over (stays of earlier days come
/// from day facts), and never after the month's first day less one.
pub fn raw_from(catalogue: &Catalogue, month: Period) -> NaiveDate {
    let first = month.first_day();
    let start = |kind| {
        Period::containing(kind, first)
            .map(|p| p.first_day())
            .unwrap_or(first)
    };
    let mut from = first;
    for rule in &catalogue.rules {
        let d = match &rule.check {
            Check::VillageVisits(c) => start(c.period),
            Check::PairedVisits(c) => start(c.period),
            Check::FourMusts(c) => start(c.must_visit_period),
            _ => first,
        };
        from = from.min(d);
    }
    from - Duration::days(1)
}

/// The facts an evaluation reads in place of the fixes captured before `from`: the evaluated
/// person's days (every one before `from`, for the stays of year-long rules) and, for every
/// other person whose fixes are given, at least their last day before `from`.
#[derive(Clone, Copy, Debug)]
pub struct History<'a> {
    /// Fixes captured from this day on are given raw; those before it are ignored.
    pub from: NaiveDate,
    pub days: &'a [DayFacts],
}

impl<'a> History<'a> {
    /// The facts of `person`'s last day before `from`.
    pub fn last_before(&self, person: PersonId) -> Option<&'a DayFacts> {
        self.days
            .iter()
            .filter(|d| d.person == person && d.day < self.from)
            .max_by_key(|d| d.day)
    }

    /// The stays `person`'s facts closed before `from`.
    pub fn stays_of(&self, person: PersonId) -> Vec<Stay> {
        let mut days: Vec<&DayFacts> = self
            .days
            .iter()
            .filter(|d| d.person == person && d.day < self.from)
            .collect();
        days.sort_by_key(|d| d.day);
        days.into_iter()
            .flat_map(|d| d.stays.iter().cloned())
            .collect()
    }

    /// Whether evaluating `person`'s `month` from `records` (raw from `from`; earlier fixes
    /// are ignored) with these facts gives the verdicts of an evaluation over every record:
    /// the facts were folded in order, the raw fixes come after them, no device's fix before
    /// `from` falls among the person's records of the month in its log, and the facts hold
    /// stays in the month's villages. When false, evaluate from the raw records.
    pub fn fits(
        &self,
        org: &Directory,
        person: PersonId,
        month: Period,
        records: &[DeviceRecord],
    ) -> bool {
        let from = day_start(self.from);
        let mut month_villages = org.villages_of(person, month.first_day(), month.last_day());
        month_villages.sort();
        month_villages.dedup();
        let own = self.last_before(person);
        let other_villages = |d: &DayFacts| d.person == person && d.villages != month_villages;
        if self.days.iter().any(other_villages) {
            return false;
        }
        let (m_from, m_to) = (
            day_start(month.first_day()),
            day_start(month.last_day()) + Duration::days(1),
        );
        let mut first_in_month: BTreeMap<DeviceId, u64> = BTreeMap::new();
        let mut ends: std::collections::HashMap<PersonId, Option<&TrackEnd>> =
            std::collections::HashMap::new();
        for r in records {
            if r.person_id == person && r.captured_at >= m_from && r.captured_at < m_to {
                let s = first_in_month.entry(r.device_id).or_insert(r.seq);
                *s = (*s).min(r.seq);
            }
            let RecordBody::Fix { fix } = &r.body else {
                continue;
            };
            if r.captured_at < from {
                continue;
            }
            let end = *ends
                .entry(r.person_id)
                .or_insert_with(|| self.last_before(r.person_id).map(|d| &d.end));
            if let Some(end) = end {
                if !end.ordered
                    || end
                        .latest_t
                        .is_some_and(|l| fix.time.timestamp_millis() <= l)
                {
                    return false;
                }
            }
        }
        if let Some(end) = own.map(|d| &d.end) {
            if !end.ordered {
                return false;
            }
            for (device, first) in first_in_month {
                if end.max_fix_seq.get(&device).is_some_and(|m| *m > first) {
                    return false;
                }
            }
        }
        true
    }
}
