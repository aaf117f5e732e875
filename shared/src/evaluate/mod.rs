//! The evaluator: (person, month, records, calendar, rules, now) → a report with one verdict
//! per applicable rule. Pure: no clock, no I/O; the same inputs in any order give the same
//! report, which is what lets the phone show the verdict the supervisor will see.

use crate::calendar::WorkCalendar;
use crate::catalogue::{
    hours, ActivitiesCheck, ActivityItem, Catalogue, Check, FourMustsCheck, Fraction,
    InVillageDaysCheck, Interpretation, Measure, PairedVisitsCheck, RuleDef, Scope, SubmissionItem,
    SubmissionsCheck, TimelyRecordsCheck, VillageFilter, VillageVisitsCheck,
};
use crate::geometry::VillageShape;
use crate::ids::{HouseholdId, PersonId, RecordId, VillageId};
use crate::org::{Assignment, Directory, Household, HouseholdCategory};
use crate::period::{day_end, day_start, local_date, local_time, Period, PeriodKind};
use crate::plausibility::{
    clock_jump_flags, clock_skew_flags, device_log_flags, DeviceLogs, LoggedFix, PhotoFiles,
};
use crate::record::{ActivityKind, DeviceRecord, NoteKind, RecordBody};
use crate::role::Role;
use crate::spot_check::{latest_findings, Finding};
use crate::stays::{
    clean_track_after, group_rejected_fixes, presence_per_day, stays, stays_after, CleanTrack,
    Stay, TrackPoint,
};
use crate::verdict::{
    Evidence, EvidenceKind, Flag, Part, PersonReport, RejectReason, Rejection, Status, Verdict,
};
use crate::visits::{
    assemble_visits, check_visit, reused_among, visit_of, HouseholdVisit, PhotoUse, VisitCheck,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::OnceLock;

mod duties;
mod households;
mod ledgers;
mod presence;

pub use ledgers::ledger_chain_parts;

use presence::Requirement;

/// What the evaluator reads: the organisation around the person (at least their assignments,
/// pairings, villages and those villages' households; more is harmless but costs time) and the
/// records: the person's own and, for village-scoped rules, those of the teams of the person's
/// villages. Order and duplicates of records do not matter.
#[derive(Clone, Copy, Debug)]
pub struct EvalContext<'a> {
    pub person: PersonId,
    /// The person's township, or any directory holding at least the person's postings and
    /// pairings, their villages and those villages' households.
    pub org: &'a Directory,
    pub records: &'a [DeviceRecord],
    /// More records, read as if among `records`, in parts given as they are held: the server
    /// gives the records before the history's first raw day here, each person's kept apart,
    /// so that they are not copied for each evaluation. Empty on the phone.
    pub earlier: &'a [&'a [DeviceRecord]],
    pub calendar: &'a WorkCalendar,
    pub catalogue: &'a Catalogue,
    /// The photo files: unchecked on the phone; on the server, those it holds and what it read
    /// from them (EXIF, perceptual hash).
    pub photo_files: PhotoFiles<'a>,
    /// The devices' enrolments and, on the server, when a receipt is late:
    /// [`DeviceLogs::PHONE`] on the phone. A record captured before an earlier record of its
    /// device's log, or before its device's enrolment, is flagged but still counted (see
    /// [`device_log_flags`]): the supervisor judges it.
    pub device_logs: DeviceLogs<'a>,
    /// Spot-check findings on the records (抽查结论), prepared by the caller: only those whose
    /// author's jurisdiction covered the record's author ([`crate::spot_check::may_judge`]).
    /// The latest finding with an outcome on a record stands; "not confirmed" rejects the
    /// record and whatever counted it. A finding on a record not given, or by the record's own
    /// author, is ignored.
    pub findings: &'a [Finding],
    /// The submission-chain steps of the monthly ledgers of the person's villages: at
    /// least those of the months evaluated; others are ignored.
    pub ledger_steps: &'a [crate::ledger_chain::LedgerStep],
    /// Day facts standing in for the fixes captured before a day (the server's kept facts);
    /// `None` on the phone, which evaluates from its records alone. Only when
    /// [`crate::day_facts::History::fits`] the records given. With them, a finding on a record
    /// not given is taken to be on one of the person's fixes before the raw days.
    pub history: Option<crate::day_facts::History<'a>>,
}

impl<'a> EvalContext<'a> {
    /// Every record given: `records`, then `earlier`.
    fn all_records(&self) -> impl Iterator<Item = &'a DeviceRecord> + Clone + 'a {
        self.records
            .iter()
            .chain(self.earlier.iter().flat_map(|part| part.iter()))
    }
}

/// What an evaluation derives from its records alone, whoever's report it is, kept for the
/// next evaluation of the same records: after a push the server evaluates every member of a
/// team from one set of records. Give one only to evaluations whose `records`, `earlier`,
/// `photo_files` and history's first raw day are the same.
#[derive(Debug, Default)]
pub struct RecordsDerived {
    /// The photos used before in another visit, each with its first use
    /// ([`Evaluation::reused`]).
    reused: OnceLock<HashMap<RecordId, RecordId>>,
}

/// Evaluates every applicable rule for `month` (longer periods: those containing it) as of `now`.
pub fn evaluate(ctx: &EvalContext<'_>, month: Period, now: DateTime<Utc>) -> PersonReport {
    evaluate_deriving(ctx, month, now, &RecordsDerived::default())
}

/// [`evaluate`], taking what was derived from the same records by an earlier evaluation from
/// `derived`, and leaving there what this one derives.
pub fn evaluate_deriving(
    ctx: &EvalContext<'_>,
    month: Period,
    now: DateTime<Utc>,
    derived: &RecordsDerived,
) -> PersonReport {
    let mut ev = Evaluation::new(ctx, month, now, derived);
    let mut verdicts = Vec::new();
    for rule in &ctx.catalogue.rules {
        if let Some(v) = ev.verdict(rule) {
            verdicts.push(v);
        }
    }
    let mut flags = std::mem::take(&mut ev.flags);
    flags.sort_by(|a, b| (a.kind, &a.records, &a.detail).cmp(&(b.kind, &b.records, &b.detail)));
    flags.dedup();
    PersonReport {
        person_id: ctx.person,
        period: month,
        evaluated_at: now,
        catalogue_version: ctx.catalogue.version.clone(),
        verdicts,
        flags,
        standing: Default::default(),
    }
}

/// A local time for messages: 11-03 09:12.
fn local(t: DateTime<Utc>) -> String {
    crate::period::local_label(t)
}

fn fmt_hours(d: Duration) -> String {
    format!("{:.1}小时", d.num_seconds() as f64 / 3600.0)
}

/// Met when enough; otherwise open until `closes`, then short.
fn count_status(counted: u32, required: u32, closes: DateTime<Utc>, now: DateTime<Utc>) -> Status {
    if counted >= required {
        Status::Met
    } else if now < closes {
        Status::NotYetDue
    } else {
        Status::Short
    }
}

struct Evaluation<'a> {
    ctx: &'a EvalContext<'a>,
    derived: &'a RecordsDerived,
    interp: &'a Interpretation,
    month: Period,
    now: DateTime<Utc>,
    /// Every non-fix record once, retracted ones removed (with day facts, but for
    /// `earlier_parts`).
    records: BTreeMap<RecordId, &'a DeviceRecord>,
    /// With day facts: the parts of visits that began before the history's first raw day
    /// (check-ins, check-outs, visit fixes, photos, plain notes), withdrawn ones among them
    /// (see `withdrawn`); a record given twice is here twice, which the photos' first use does
    /// not mind. No rule reads those visits ([`crate::day_facts::raw_from`]); their photos still
    /// say which picture was used first, so they are kept for that alone.
    earlier_parts: Vec<&'a DeviceRecord>,
    /// The records withdrawn by their authors, sorted (removed from everything above but
    /// `earlier_parts`, of which only the photos and check-ins are read).
    withdrawn: Vec<RecordId>,
    /// The same, by kind, for the rules that scan them.
    activities: Vec<&'a DeviceRecord>,
    reports: Vec<&'a DeviceRecord>,
    events: Vec<&'a DeviceRecord>,
    /// Trajectory fixes per person, as received.
    fixes: HashMap<PersonId, Vec<TrackPoint>>,
    logged_fixes: Vec<LoggedFix>,
    /// The person's records whose phone clock was far off when they arrived.
    skewed: Vec<&'a DeviceRecord>,
    tracks: HashMap<PersonId, CleanTrack>,
    households: HashMap<HouseholdId, &'a Household>,
    shapes: HashMap<VillageId, VillageShape>,
    visits: Option<Rc<Vec<(HouseholdVisit, VisitCheck)>>>,
    own_stays: Option<Rc<Vec<Stay>>>,
    /// The person's stays voided by a finding, with it.
    void_stays: Vec<(Stay, &'a Finding)>,
    /// Records found false (核查不属实) by the finding in force on them.
    found_false: HashMap<RecordId, &'a Finding>,
    /// The person's leave and official-absence requests with the decisions standing on them.
    absences: Vec<crate::leave::Absence>,
    flags: Vec<Flag>,
}

impl<'a> Evaluation<'a> {
    fn new(
        ctx: &'a EvalContext<'a>,
        month: Period,
        now: DateTime<Utc>,
        derived: &'a RecordsDerived,
    ) -> Self {
        let mut any_retraction = false;
        let mut records = BTreeMap::new();
        let mut fixes: HashMap<PersonId, Vec<TrackPoint>> = HashMap::new();
        let mut logged_fixes = Vec::new();
        let mut own_fixes = Vec::with_capacity(ctx.records.len());
        let skew_limit = ctx.catalogue.interpretation.clock_skew_minutes * 60;
        let mut skewed = Vec::new();
        let latest = latest_findings(ctx.findings);
        let mut found_false = HashMap::new();
        let facts_until = ctx.history.map(|h| day_start(h.from));
        let mut earlier_parts = Vec::new();
        let mut judged_given = HashSet::new();
        let any_finding = !latest.is_empty();
        for r in ctx.all_records() {
            if let Some(f) = any_finding.then(|| latest.get(&r.id)).flatten() {
                judged_given.insert(r.id);
                if f.by != r.person_id && f.outcome.is_some_and(|o| o.rejects()) {
                    found_false.insert(r.id, *f);
                }
            }
            if matches!(r.body, RecordBody::Fix { .. })
                && facts_until.is_some_and(|t| r.captured_at < t)
            {
                // Before the history's first raw day the fixes are in the day facts.
                continue;
            }
            if r.received
                .is_some_and(|rx| rx.clock_offset_s.abs() > skew_limit)
            {
                skewed.push(r);
            }
            // Stays come from the trajectory alone; a visit's own fixes only place the visit,
            // so a visit that is rejected cannot lengthen a stay.
            match &r.body {
                RecordBody::Fix { fix } => {
                    let point = TrackPoint::new(r.id, *fix);
                    if r.person_id == ctx.person {
                        own_fixes.push(point);
                    } else {
                        fixes.entry(r.person_id).or_default().push(point);
                    }
                    if r.person_id == ctx.person && fix.monotonic_ms.is_some() {
                        logged_fixes.push(LoggedFix {
                            device_id: r.device_id,
                            seq: r.seq,
                            point,
                        });
                    }
                }
                RecordBody::Retraction { .. } => any_retraction = true,
                RecordBody::HouseholdCheckIn { .. }
                | RecordBody::HouseholdCheckOut { .. }
                | RecordBody::VisitFix { .. }
                | RecordBody::Photo { .. }
                | RecordBody::Note { kind: None, .. }
                    if facts_until.is_some_and(|t| r.captured_at < t) =>
                {
                    earlier_parts.push(r);
                }
                _ => {
                    records.entry(r.id).or_insert(r);
                }
            }
        }
        // A record may only be withdrawn by its own author (the rule the phone's screens use
        // too). Withdrawals are rare, so they are applied after the single pass rather than
        // looked up for every record.
        let mut withdrawn = Vec::new();
        if any_retraction {
            withdrawn = crate::visits::withdrawn(ctx.all_records())
                .into_iter()
                .collect();
            withdrawn.sort_unstable();
            let gone = |id: &RecordId| withdrawn.binary_search(id).is_ok();
            records.retain(|id, _| !gone(id));
            own_fixes.retain(|p| !gone(&p.record));
            logged_fixes.retain(|f| !gone(&f.point.record));
            for v in fixes.values_mut() {
                v.retain(|p| !gone(&p.record));
            }
        }
        fixes.insert(ctx.person, own_fixes);
        // A part captured early of a visit begun from the raw days on (a phone's clock) is
        // that visit's like any other. (It stays among the earlier parts too, where only
        // what belongs to earlier check-ins is read.)
        let mut raw_check_ins: Vec<RecordId> = Vec::new();
        if !earlier_parts.is_empty() {
            raw_check_ins.extend(
                records
                    .values()
                    .filter(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }))
                    .map(|r| r.id),
            );
            raw_check_ins.sort_unstable();
        }
        if !raw_check_ins.is_empty() {
            for r in &earlier_parts {
                let of_raw_visit =
                    visit_of(r).is_some_and(|v| raw_check_ins.binary_search(&v).is_ok());
                if of_raw_visit && withdrawn.binary_search(&r.id).is_err() {
                    records.insert(r.id, *r);
                }
            }
        }
        if ctx.history.is_some() {
            // With day facts, a finding on a record not given is one on the person's fixes
            // before the raw days (the caller gives no other): it may void a stay of theirs.
            for (id, f) in &latest {
                if !judged_given.contains(id)
                    && f.by != ctx.person
                    && f.outcome.is_some_and(|o| o.rejects())
                {
                    found_false.insert(*id, *f);
                }
            }
        }
        let of_kind = |f: fn(&RecordBody) -> bool| -> Vec<&'a DeviceRecord> {
            records.values().copied().filter(|r| f(&r.body)).collect()
        };
        let activities = of_kind(|b| matches!(b, RecordBody::Activity { .. }));
        // A report or event found false counts for nothing, as if never made.
        let not_false = |v: Vec<&'a DeviceRecord>| -> Vec<&'a DeviceRecord> {
            v.into_iter()
                .filter(|r| !found_false.contains_key(&r.id))
                .collect()
        };
        let reports = not_false(of_kind(|b| matches!(b, RecordBody::Report { .. })));
        let events = not_false(of_kind(|b| matches!(b, RecordBody::VillageEvent { .. })));
        let mut ev = Evaluation {
            ctx,
            derived,
            interp: &ctx.catalogue.interpretation,
            month,
            now,
            records,
            earlier_parts,
            withdrawn,
            activities,
            reports,
            events,
            fixes,
            logged_fixes,
            skewed,
            tracks: HashMap::new(),
            households: ctx.org.households.iter().map(|h| (h.id, h)).collect(),
            shapes: {
                // Only the person's own villages: stays elsewhere count for no rule.
                let (first, last) = (month.first_day(), month.last_day());
                ctx.org
                    .villages_of(ctx.person, first, last)
                    .into_iter()
                    .filter_map(|v| ctx.org.village(v))
                    .map(|v| (v.id, VillageShape::new(v)))
                    .collect()
            },
            visits: None,
            own_stays: None,
            void_stays: Vec::new(),
            found_false,
            absences: crate::leave::absences(
                ctx.all_records().filter(|r| r.person_id == ctx.person),
                ctx.findings,
            ),
            flags: Vec::new(),
        };
        ev.collect_record_flags();
        ev
    }

    fn collect_record_flags(&mut self) {
        let person = self.ctx.person;
        let (from, to) = (
            day_start(self.month.first_day()),
            day_end(self.month.last_day()),
        );
        let skewed = std::mem::take(&mut self.skewed);
        let own = skewed
            .into_iter()
            .filter(|r| r.person_id == person && r.captured_at >= from && r.captured_at < to);
        self.flags.extend(clock_skew_flags(own, self.interp));
        let logged: Vec<LoggedFix> = std::mem::take(&mut self.logged_fixes)
            .into_iter()
            .filter(|f| f.point.fix.time >= from && f.point.fix.time < to)
            .collect();
        self.flags.extend(clock_jump_flags(logged, self.interp));
        // The person's own logs, whole: earlier records set the order the month's must keep.
        let own = self.ctx.all_records().filter(|r| r.person_id == person);
        let tolerance = Duration::minutes(self.interp.clock_skew_minutes);
        self.flags.extend(device_log_flags(
            own,
            &self.ctx.device_logs,
            tolerance,
            |r| r.captured_at >= from && r.captured_at < to,
        ));
    }

    fn track(&mut self, person: PersonId) -> &CleanTrack {
        if !self.tracks.contains_key(&person) {
            let raw = self.fixes.remove(&person).unwrap_or_default();
            let start = self
                .ctx
                .history
                .and_then(|h| h.last_before(person))
                .and_then(|d| d.end.track);
            let clean = clean_track_after(start, raw, self.interp);
            if person == self.ctx.person {
                let (from, to) = (
                    day_start(self.month.first_day()),
                    day_end(self.month.last_day()),
                );
                let in_month: HashSet<RecordId> = clean
                    .rejected
                    .iter()
                    .filter(|(p, _)| p.fix.time >= from && p.fix.time < to)
                    .map(|(p, _)| p.record)
                    .collect();
                self.flags.extend(
                    clean
                        .flags
                        .iter()
                        .filter(|f| f.records.last().is_some_and(|r| in_month.contains(r)))
                        .cloned(),
                );
            }
            self.tracks.insert(person, clean);
        }
        &self.tracks[&person]
    }

    /// Every visit in the context, checked, once. With day facts, only the visits from the
    /// history's first raw day on: no rule reads an earlier one ([`crate::day_facts::raw_from`]),
    /// and the trajectory they would be checked against is in the facts. Earlier visits still
    /// set which photos were used first.
    fn visits(&mut self) -> Rc<Vec<(HouseholdVisit, VisitCheck)>> {
        if self.visits.is_none() {
            let assembled = assemble_visits(self.records.values().copied());
            let derived = self.derived;
            let reused = derived.reused.get_or_init(|| self.reused(&assembled));
            // Every visitor's track, as without day facts: cleaning one flags what it rejects.
            let mut people: BTreeSet<PersonId> = assembled.iter().map(|v| v.person_id).collect();
            people.extend(
                self.earlier_parts
                    .iter()
                    .filter(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }))
                    .filter(|r| self.withdrawn.binary_search(&r.id).is_err())
                    .map(|r| r.person_id),
            );
            for p in people {
                self.track(p);
            }
            let mut checked = Vec::with_capacity(assembled.len());
            for v in assembled {
                let track = &self.tracks[&v.person_id].points;
                let mut check = check_visit(
                    &v,
                    &self.households,
                    track,
                    reused,
                    self.ctx.photo_files,
                    self.interp,
                );
                if v.person_id == self.ctx.person && self.month.contains(local_date(v.start)) {
                    self.flags.extend(check.flags.iter().cloned());
                }
                // Found false on any of its records (or a fix of its own): the visit counts for
                // no rule, whatever the checks above found.
                let own_fixes = v.fixes.iter().map(|p| p.record);
                let found = v
                    .records()
                    .into_iter()
                    .chain(own_fixes)
                    .find_map(|r| self.found_false.get(&r).copied());
                if let Some(f) = found {
                    check.valid = false;
                    let name = self
                        .households
                        .get(&v.household_id)
                        .map_or("?", |h| h.head_name.as_str());
                    check.rejections.push(Rejection {
                        records: v.records(),
                        reason: RejectReason::FoundFalse,
                        detail: format!("{} {}：{}", name, local(v.start), self.quote(f)),
                    });
                }
                checked.push((v, check));
            }
            self.visits = Some(Rc::new(checked));
        }
        self.visits.clone().unwrap_or_default()
    }

    /// The photos used before in another visit ([`reused_among`]): those of `assembled` and
    /// those of the visits begun before the raw days, by their authors.
    fn reused(&self, assembled: &[HouseholdVisit]) -> HashMap<RecordId, RecordId> {
        let use_of = |p: &'a DeviceRecord, visit: RecordId| match &p.body {
            RecordBody::Photo { sha256, .. } => Some(PhotoUse {
                captured_at: p.captured_at,
                record: p.id,
                sha256,
                visit,
            }),
            _ => None,
        };
        let of_visits = assembled.iter().flat_map(|v| {
            v.photos.iter().map(move |p| PhotoUse {
                captured_at: p.captured_at,
                record: p.record,
                sha256: &p.sha256,
                visit: v.check_in,
            })
        });
        let kept = |r: &&&'a DeviceRecord| self.withdrawn.binary_search(&r.id).is_err();
        // Visits begun before the raw days, by check-in, with their authors; their photos
        // may be captured later.
        let mut earlier: Vec<(RecordId, PersonId)> = self
            .earlier_parts
            .iter()
            .filter(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }))
            .filter(kept)
            .map(|r| (r.id, r.person_id))
            .collect();
        earlier.sort_unstable();
        let author_of = |check_in: &RecordId| {
            let i = earlier.binary_search_by_key(check_in, |(id, _)| *id).ok()?;
            Some(earlier[i].1)
        };
        let of_earlier = self
            .earlier_parts
            .iter()
            .filter(kept)
            .chain(self.records.values())
            .filter_map(|r| match &r.body {
                RecordBody::Photo { attached_to, .. }
                    if author_of(attached_to) == Some(r.person_id) =>
                {
                    use_of(r, *attached_to)
                }
                _ => None,
            });
        reused_among(of_visits.chain(of_earlier), self.ctx.photo_files)
    }

    fn own_stays(&mut self) -> Rc<Vec<Stay>> {
        if self.own_stays.is_none() {
            let shapes: Vec<VillageShape> = {
                let mut ids: Vec<&VillageId> = self.shapes.keys().collect();
                ids.sort();
                ids.into_iter().map(|id| self.shapes[id].clone()).collect()
            };
            let person = self.ctx.person;
            let interp = self.interp;
            let s = match self.ctx.history {
                None => stays(&self.track(person).points, &shapes, interp),
                Some(h) => {
                    // Stays closed before the raw days from the facts, then the search
                    // continued where the facts left it.
                    let start = h
                        .last_before(person)
                        .map(|d| d.end.stay.clone())
                        .unwrap_or_default();
                    let mut s = h.stays_of(person);
                    let (closed, end) =
                        stays_after(start, &self.track(person).points, &shapes, interp);
                    s.extend(closed);
                    s.extend(end.open);
                    s
                }
            };
            // A stay is void when one of its ends, or a village check-in into its village on
            // its day, was found false: the cadre was not there as the records say.
            let false_check_ins: Vec<(VillageId, NaiveDate, &'a Finding)> = self
                .records
                .values()
                .filter(|r| r.person_id == person)
                .filter_map(|r| match &r.body {
                    RecordBody::VillageCheckIn { village_id, .. } => self
                        .found_false
                        .get(&r.id)
                        .map(|f| (*village_id, local_date(r.captured_at), *f)),
                    _ => None,
                })
                .collect();
            let (mut kept, mut void) = (Vec::with_capacity(s.len()), Vec::new());
            for stay in s {
                let found = [stay.first_record, stay.last_record]
                    .iter()
                    .find_map(|r| self.found_false.get(r).copied())
                    .or_else(|| {
                        false_check_ins
                            .iter()
                            .find(|(v, d, _)| *v == stay.village_id && *d == stay.day())
                            .map(|(_, _, f)| *f)
                    });
                match found {
                    Some(f) => void.push((stay, f)),
                    None => kept.push(stay),
                }
            }
            self.void_stays = void;
            self.own_stays = Some(Rc::new(kept));
        }
        self.own_stays.clone().unwrap_or_default()
    }

    /// The person's assignments in force during `from..=to` for any of `roles`.
    fn assignments(&self, roles: &[Role], from: NaiveDate, to: NaiveDate) -> Vec<&'a Assignment> {
        self.ctx
            .org
            .postings(self.ctx.person, from, to)
            .filter(|a| roles.contains(&a.role))
            .collect()
    }

    fn villages_of(assignments: &[&Assignment]) -> Vec<VillageId> {
        let set: BTreeSet<VillageId> = assignments.iter().filter_map(|a| a.village_id).collect();
        set.into_iter().collect()
    }

    fn verdict(&mut self, rule: &RuleDef) -> Option<Verdict> {
        let active = self.assignments(
            &rule.applies_to,
            self.month.first_day(),
            self.month.last_day(),
        );
        if active.is_empty() {
            return None;
        }
        let mut provisional = false;
        let parts = match &rule.check {
            Check::VillageVisits(VillageVisitsCheck {
                period,
                min_visits,
                min_stay_hours,
                min_poor_households,
                leave_excused,
            }) => {
                let villages = Self::villages_of(&active);
                vec![self.village_visits(
                    *period,
                    &villages,
                    *min_visits,
                    hours(*min_stay_hours),
                    *min_poor_households,
                    *leave_excused,
                )]
            }
            Check::InVillageDays(InVillageDaysCheck {
                period,
                working_days_only,
                min_fraction,
                min_days,
                also_year_to_date,
                leave_excused,
            }) => {
                let req = Requirement {
                    fraction: *min_fraction,
                    days: *min_days,
                    working_only: *working_days_only,
                    leave_excused: *leave_excused,
                };
                let p = Period::containing(*period, self.month.first_day()).unwrap_or(self.month);
                let villages = Self::villages_of(&active);
                let mut parts = vec![self.in_village_days(
                    p.first_day(),
                    p.last_day(),
                    &p.to_string(),
                    &active,
                    &villages,
                    &req,
                    &mut provisional,
                )];
                if *also_year_to_date {
                    let ytd = Period::Year {
                        year: p.first_day().year(),
                    };
                    let label = format!(
                        "{}..{}",
                        ytd.first_day().format("%Y-%m"),
                        p.last_day().format("%Y-%m")
                    );
                    let mut part = self.in_village_days(
                        ytd.first_day(),
                        p.last_day(),
                        &label,
                        &active,
                        &villages,
                        &req,
                        &mut provisional,
                    );
                    part.label_zh = format!("本年累计{}", part.label_zh);
                    parts.push(part);
                }
                parts
            }
            Check::Activities(ActivitiesCheck { items }) => {
                let villages = Self::villages_of(&active);
                items
                    .iter()
                    .flat_map(|item| self.activities(rule.scope, item, &active, &villages))
                    .collect()
            }
            Check::PairedVisits(PairedVisitsCheck { period, min_visits }) => {
                vec![self.paired_visits(*period, *min_visits)]
            }
            Check::FourMusts(FourMustsCheck {
                attend_within_days,
                must_visit_period,
            }) => {
                let villages = Self::villages_of(&active);
                villages
                    .iter()
                    .flat_map(|v| self.four_musts(*v, *attend_within_days, *must_visit_period))
                    .collect()
            }
            Check::Submissions(SubmissionsCheck { items }) => {
                let villages = Self::villages_of(&active);
                items
                    .iter()
                    .flat_map(|item| self.submissions(rule.scope, item, &villages))
                    .collect()
            }
            Check::TimelyRecords(TimelyRecordsCheck {
                activity,
                within_days,
            }) => {
                let villages = Self::villages_of(&active);
                villages
                    .iter()
                    .map(|v| self.timely_records(*v, *activity, *within_days))
                    .collect()
            }
            Check::VisitLedger => vec![self.visit_ledger()],
            Check::LedgerChain => self.ledger_chain(&Self::villages_of(&active)),
            Check::PairingLedger => vec![self.pairing_ledger()],
        };
        Some(Verdict {
            rule_id: rule.id.clone(),
            seed_ref: rule.seed_ref.clone(),
            title_zh: rule.title_zh.clone(),
            status: Status::combine(parts.iter().map(|p| p.status)),
            provisional,
            parts,
        })
    }

    fn invalid_visit_rejections(
        &mut self,
        person: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Rejection> {
        let all = self.visits();
        all.iter()
            .filter(|(v, c)| !c.valid && v.person_id == person && v.start >= from && v.start < to)
            .flat_map(|(_, c)| c.rejections.iter().cloned())
            .collect()
    }

    fn is_poor(&self, h: HouseholdId) -> bool {
        self.households
            .get(&h)
            .is_some_and(|h| h.has(HouseholdCategory::Poor))
    }

    fn fix_rejections(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Rejection> {
        let person = self.ctx.person;
        let rejected: Vec<_> = self
            .track(person)
            .rejected
            .iter()
            .filter(|(p, _)| p.fix.time >= from && p.fix.time < to)
            .copied()
            .collect();
        group_rejected_fixes(&rejected)
    }

    fn village_name(&self, v: VillageId) -> &str {
        self.ctx.org.village(v).map_or("?", |x| x.name.as_str())
    }

    /// The finding as a rejection quotes it, with its author's name when the directory has it.
    fn quote(&self, f: &Finding) -> String {
        f.quote(
            self.ctx
                .org
                .person(f.by)
                .map_or("核查人", |p| p.name.as_str()),
        )
    }

    /// Rejections for the person's stays voided by a finding, in `villages`, whose day
    /// satisfies `on`.
    fn void_stay_rejections(
        &mut self,
        villages: &[VillageId],
        on: impl Fn(NaiveDate) -> bool,
    ) -> Vec<Rejection> {
        self.own_stays();
        self.void_stays
            .iter()
            .filter(|(s, _)| villages.contains(&s.village_id) && on(s.day()))
            .map(|(s, f)| Rejection {
                records: vec![s.first_record, s.last_record],
                reason: RejectReason::FoundFalse,
                detail: format!(
                    "{} {}–{} 停留{}：{}",
                    self.village_name(s.village_id),
                    local(s.start),
                    local_time(s.end).format("%H:%M"),
                    fmt_hours(s.duration()),
                    self.quote(f)
                ),
            })
            .collect()
    }
}

/// Valid household visits of one person starting within `from..to`.
fn valid_of(
    all: &[(HouseholdVisit, VisitCheck)],
    person: PersonId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<&HouseholdVisit> {
    all.iter()
        .filter(|(v, c)| c.valid && v.person_id == person && v.start >= from && v.start < to)
        .map(|(v, _)| v)
        .collect()
}
