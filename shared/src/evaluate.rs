//! The evaluator: (person, month, records, calendar, rules, now) → a report with one verdict
//! per applicable rule. Pure: no clock, no I/O; the same inputs in any order give the same
//! report, which is what lets the phone show the verdict the supervisor will see.

use crate::calendar::WorkCalendar;
use crate::catalogue::{
    hours, ActivityItem, Catalogue, Check, Fraction, Interpretation, Measure, RuleDef, Scope,
    SubmissionItem, VillageFilter,
};
use crate::geometry::VillageShape;
use crate::ids::{HouseholdId, PersonId, RecordId, VillageId};
use crate::org::{Assignment, Household, HouseholdCategory, Pairing, Village};
use crate::period::{day_end, day_start, local_date, local_time, Period, PeriodKind};
use crate::plausibility::{clock_jump_flags, clock_skew_flags, LoggedFix, PhotoFacts};
use crate::record::{ActivityKind, DeviceRecord, RecordBody};
use crate::role::Role;
use crate::stays::{
    clean_track, group_rejected_fixes, presence_per_day, stays, CleanTrack, Stay, TrackPoint,
};
use crate::verdict::{
    Evidence, EvidenceKind, Flag, Part, PersonReport, RejectReason, Rejection, Status, Verdict,
};
use crate::visits::{assemble_visits, check_visit, reused_photos, HouseholdVisit, VisitCheck};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// What the evaluator reads: the organisation around the person (at least their assignments,
/// pairings, villages and those villages' households; more is harmless but costs time) and the
/// records: the person's own and, for village-scoped rules, those of the teams of the person's
/// villages. Order and duplicates of records do not matter.
#[derive(Clone, Copy, Debug)]
pub struct EvalContext<'a> {
    pub person: PersonId,
    pub assignments: &'a [Assignment],
    pub pairings: &'a [Pairing],
    pub villages: &'a [Village],
    pub households: &'a [Household],
    pub records: &'a [DeviceRecord],
    pub calendar: &'a WorkCalendar,
    pub catalogue: &'a Catalogue,
    /// What the server read from photo files (EXIF, perceptual hash), by SHA-256. Empty on
    /// the phone.
    pub photo_facts: &'a HashMap<String, PhotoFacts>,
}

/// Evaluates every applicable rule for `month` (longer periods: those containing it) as of `now`.
pub fn evaluate(ctx: &EvalContext<'_>, month: Period, now: DateTime<Utc>) -> PersonReport {
    let mut ev = Evaluation::new(ctx, month, now);
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
    }
}

/// A local time for messages: 11-03 09:12.
fn local(t: DateTime<Utc>) -> String {
    let l = local_time(t);
    format!(
        "{:02}-{:02} {:02}:{:02}",
        l.month(),
        l.day(),
        l.hour(),
        l.minute()
    )
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
    interp: &'a Interpretation,
    month: Period,
    now: DateTime<Utc>,
    /// Every non-fix record once, retracted ones removed.
    records: BTreeMap<RecordId, &'a DeviceRecord>,
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
    flags: Vec<Flag>,
}

impl<'a> Evaluation<'a> {
    fn new(ctx: &'a EvalContext<'a>, month: Period, now: DateTime<Utc>) -> Self {
        let mut retracted_by: HashSet<(RecordId, PersonId)> = HashSet::new();
        let mut records = BTreeMap::new();
        let mut fixes: HashMap<PersonId, Vec<TrackPoint>> = HashMap::new();
        let mut logged_fixes = Vec::new();
        let mut own_fixes = Vec::with_capacity(ctx.records.len());
        let skew_limit = ctx.catalogue.interpretation.clock_skew_minutes * 60;
        let mut skewed = Vec::new();
        for r in ctx.records {
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
                RecordBody::Retraction { target, .. } => {
                    retracted_by.insert((*target, r.person_id));
                }
                _ => {
                    records.entry(r.id).or_insert(r);
                }
            }
        }
        // A record may only be withdrawn by its own author. Withdrawals are rare, so they are
        // applied after the single pass rather than looked up for every record.
        if !retracted_by.is_empty() {
            let author: HashMap<RecordId, PersonId> =
                ctx.records.iter().map(|r| (r.id, r.person_id)).collect();
            let gone = |id: &RecordId| {
                author
                    .get(id)
                    .is_some_and(|p| retracted_by.contains(&(*id, *p)))
            };
            records.retain(|id, _| !gone(id));
            own_fixes.retain(|p| !gone(&p.record));
            logged_fixes.retain(|f| !gone(&f.point.record));
            for v in fixes.values_mut() {
                v.retain(|p| !gone(&p.record));
            }
        }
        fixes.insert(ctx.person, own_fixes);
        let of_kind = |f: fn(&RecordBody) -> bool| -> Vec<&'a DeviceRecord> {
            records.values().copied().filter(|r| f(&r.body)).collect()
        };
        let activities = of_kind(|b| matches!(b, RecordBody::Activity { .. }));
        let reports = of_kind(|b| matches!(b, RecordBody::Report { .. }));
        let events = of_kind(|b| matches!(b, RecordBody::VillageEvent { .. }));
        let mut ev = Evaluation {
            ctx,
            interp: &ctx.catalogue.interpretation,
            month,
            now,
            records,
            activities,
            reports,
            events,
            fixes,
            logged_fixes,
            skewed,
            tracks: HashMap::new(),
            households: ctx.households.iter().map(|h| (h.id, h)).collect(),
            shapes: {
                // Only the person's own villages: stays elsewhere count for no rule.
                let (first, last) = (month.first_day(), month.last_day());
                let mine: HashSet<VillageId> = ctx
                    .assignments
                    .iter()
                    .filter(|a| a.person_id == ctx.person && a.overlaps(first, last))
                    .filter_map(|a| a.village_id)
                    .collect();
                ctx.villages
                    .iter()
                    .filter(|v| mine.contains(&v.id))
                    .map(|v| (v.id, VillageShape::new(v)))
                    .collect()
            },
            visits: None,
            own_stays: None,
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
    }

    fn track(&mut self, person: PersonId) -> &CleanTrack {
        if !self.tracks.contains_key(&person) {
            let raw = self.fixes.remove(&person).unwrap_or_default();
            let clean = clean_track(raw, self.interp);
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

    /// Every visit in the context, checked, once.
    fn visits(&mut self) -> Rc<Vec<(HouseholdVisit, VisitCheck)>> {
        if self.visits.is_none() {
            let assembled = assemble_visits(self.records.values().copied());
            let reused = reused_photos(&assembled, self.ctx.photo_facts);
            let people: BTreeSet<PersonId> = assembled.iter().map(|v| v.person_id).collect();
            for p in people {
                self.track(p);
            }
            let mut checked = Vec::with_capacity(assembled.len());
            for v in assembled {
                let track = &self.tracks[&v.person_id].points;
                let check = check_visit(
                    &v,
                    &self.households,
                    track,
                    &reused,
                    self.ctx.photo_facts,
                    self.interp,
                );
                if v.person_id == self.ctx.person && self.month.contains(local_date(v.start)) {
                    self.flags.extend(check.flags.iter().cloned());
                }
                checked.push((v, check));
            }
            self.visits = Some(Rc::new(checked));
        }
        self.visits.clone().unwrap_or_default()
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
            let s = stays(&self.track(person).points, &shapes, interp);
            self.own_stays = Some(Rc::new(s));
        }
        self.own_stays.clone().unwrap_or_default()
    }

    /// The person's assignments in force during `from..=to` for any of `roles`.
    fn assignments(&self, roles: &[Role], from: NaiveDate, to: NaiveDate) -> Vec<&'a Assignment> {
        self.ctx
            .assignments
            .iter()
            .filter(|a| {
                a.person_id == self.ctx.person && roles.contains(&a.role) && a.overlaps(from, to)
            })
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
            Check::VillageVisits {
                period,
                min_visits,
                min_stay_hours,
                min_poor_households,
            } => {
                let villages = Self::villages_of(&active);
                vec![self.village_visits(
                    *period,
                    &villages,
                    *min_visits,
                    hours(*min_stay_hours),
                    *min_poor_households,
                )]
            }
            Check::InVillageDays {
                period,
                working_days_only,
                min_fraction,
                min_days,
                also_year_to_date,
            } => {
                let req = Requirement {
                    fraction: *min_fraction,
                    days: *min_days,
                    working_only: *working_days_only,
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
            Check::Activities { items } => {
                let villages = Self::villages_of(&active);
                items
                    .iter()
                    .flat_map(|item| self.activities(rule.scope, item, &active, &villages))
                    .collect()
            }
            Check::PairedVisits { period, min_visits } => {
                vec![self.paired_visits(*period, *min_visits)]
            }
            Check::FourMusts {
                attend_within_days,
                must_visit_period,
            } => {
                let villages = Self::villages_of(&active);
                villages
                    .iter()
                    .flat_map(|v| self.four_musts(*v, *attend_within_days, *must_visit_period))
                    .collect()
            }
            Check::Submissions { items } => {
                let villages = Self::villages_of(&active);
                items
                    .iter()
                    .flat_map(|item| self.submissions(rule.scope, item, &villages))
                    .collect()
            }
            Check::TimelyRecords {
                activity,
                within_days,
            } => {
                let villages = Self::villages_of(&active);
                villages
                    .iter()
                    .map(|v| self.timely_records(*v, *activity, *within_days))
                    .collect()
            }
            Check::VisitLedger => vec![self.visit_ledger()],
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
        self.ctx
            .villages
            .iter()
            .find(|x| x.id == v)
            .map(|x| x.name.as_str())
            .unwrap_or("?")
    }

    fn village_visits(
        &mut self,
        period: PeriodKind,
        villages: &[VillageId],
        min_visits: u32,
        min_stay: Duration,
        min_households: u32,
    ) -> Part {
        let p = Period::containing(period, self.month.first_day()).unwrap_or(self.month);
        let (from, to) = (day_start(p.first_day()), day_end(p.last_day()));
        let person = self.ctx.person;
        let all_stays = self.own_stays();
        let all = self.visits();
        let visits = valid_of(
            &all,
            person,
            from - Duration::days(1),
            to + Duration::days(1),
        );
        let mut evidence = Vec::new();
        let mut rejected = self.invalid_visit_rejections(person, from, to);
        rejected.extend(self.fix_rejections(from, to));
        let mut counted_days: BTreeSet<NaiveDate> = BTreeSet::new();
        for s in all_stays
            .iter()
            .filter(|s| villages.contains(&s.village_id) && p.contains(s.day()))
        {
            let name = self.village_name(s.village_id).to_string();
            let households: BTreeSet<HouseholdId> = visits
                .iter()
                .filter(|v| v.start >= s.start && v.start <= s.end && self.is_poor(v.household_id))
                .filter(|v| {
                    self.households
                        .get(&v.household_id)
                        .is_some_and(|h| h.village_id == s.village_id)
                })
                .map(|v| v.household_id)
                .collect();
            let mut records = vec![s.first_record, s.last_record];
            records.extend(
                visits
                    .iter()
                    .filter(|v| v.start >= s.start && v.start <= s.end)
                    .map(|v| v.check_in),
            );
            let detail = format!(
                "{} {}–{} 停留{} 走访贫困户{}户",
                name,
                local(s.start),
                local_time(s.end).format("%H:%M"),
                fmt_hours(s.duration()),
                households.len()
            );
            let reason = if s.duration() < min_stay {
                Some(RejectReason::StayTooShort)
            } else if (households.len() as u32) < min_households {
                Some(RejectReason::TooFewHouseholds)
            } else if counted_days.contains(&s.day()) {
                Some(RejectReason::SameDayAlreadyCounted)
            } else {
                None
            };
            match reason {
                Some(reason) => rejected.push(Rejection {
                    records,
                    reason,
                    detail,
                }),
                None => {
                    counted_days.insert(s.day());
                    evidence.push(Evidence {
                        kind: EvidenceKind::QualifyingVisit,
                        records,
                        start: s.start,
                        end: Some(s.end),
                        detail,
                    });
                }
            }
        }
        let counted = evidence.len() as u32;
        Part {
            label_zh: format!(
                "合格到村{}次（停留≥{}，走访贫困户≥{}户）",
                min_visits,
                fmt_hours(min_stay),
                min_households
            ),
            period: p.to_string(),
            village_id: None,
            status: count_status(counted, min_visits, to, self.now),
            counted,
            required: min_visits,
            due: None,
            evidence,
            rejected,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn in_village_days(
        &mut self,
        first: NaiveDate,
        last: NaiveDate,
        label: &str,
        active: &[&Assignment],
        villages: &[VillageId],
        req: &Requirement,
        provisional: &mut bool,
    ) -> Part {
        // Only days the person was posted count, both as days present and as days required.
        let start = active
            .iter()
            .map(|a| a.starts_on)
            .min()
            .unwrap_or(first)
            .max(first);
        let end = if active.iter().any(|a| a.ends_on.is_none()) {
            last
        } else {
            active
                .iter()
                .filter_map(|a| a.ends_on)
                .max()
                .unwrap_or(last)
                .min(last)
        };
        let days: Vec<NaiveDate> = if start > end {
            Vec::new()
        } else if req.working_only {
            let (d, unknown) = self.ctx.calendar.working_days(start, end);
            if unknown.is_some() {
                *provisional = true;
            }
            d
        } else {
            start.iter_days().take_while(|d| *d <= end).collect()
        };
        let all_stays = self.own_stays();
        let stays: Vec<Stay> = all_stays
            .iter()
            .filter(|s| villages.contains(&s.village_id))
            .cloned()
            .collect();
        let presence = presence_per_day(&stays);
        let threshold = self.interp.in_village_day();
        let mut evidence = Vec::new();
        let mut rejected = Vec::new();
        for d in &days {
            let Some(present) = presence.get(d) else {
                continue;
            };
            let records: Vec<RecordId> = stays
                .iter()
                .filter(|s| local_date(s.start) <= *d && local_date(s.end) >= *d)
                .flat_map(|s| [s.first_record, s.last_record])
                .collect();
            let detail = format!("{} 在村{}", d, fmt_hours(*present));
            if *present >= threshold {
                evidence.push(Evidence {
                    kind: EvidenceKind::InVillageDay,
                    records,
                    start: day_start(*d),
                    end: Some(day_end(*d)),
                    detail,
                });
            } else {
                rejected.push(Rejection {
                    records,
                    reason: RejectReason::StayTooShort,
                    detail,
                });
            }
        }
        let counted = evidence.len() as u32;
        let (required, what) = match (req.fraction, req.days) {
            (Some(f), _) => (
                f.of_ceil(days.len() as u32),
                format!("在村工作日≥工作日总数{}的{}", days.len(), f),
            ),
            (None, Some(n)) => (n, format!("在村天数≥{n}")),
            (None, None) => (0, String::new()),
        };
        Part {
            label_zh: what,
            period: label.to_string(),
            village_id: None,
            status: count_status(counted, required, day_end(last), self.now),
            counted,
            required,
            due: None,
            evidence,
            rejected,
        }
    }

    fn activities(
        &mut self,
        scope: Scope,
        item: &ActivityItem,
        active: &[&Assignment],
        villages: &[VillageId],
    ) -> Vec<Part> {
        // (label, first, last, closes) for each period of the item.
        let spans: Vec<(String, NaiveDate, NaiveDate, DateTime<Utc>)> = match item.period {
            PeriodKind::Posting => {
                let first = active
                    .iter()
                    .map(|a| a.starts_on)
                    .min()
                    .unwrap_or(self.month.first_day());
                let open = active.iter().any(|a| a.ends_on.is_none());
                let last = active
                    .iter()
                    .filter_map(|a| a.ends_on)
                    .max()
                    .unwrap_or(self.month.last_day());
                let closes = if open {
                    DateTime::<Utc>::MAX_UTC
                } else {
                    day_end(last)
                };
                let last = if open { NaiveDate::MAX } else { last };
                vec![("posting".to_string(), first, last, closes)]
            }
            PeriodKind::Week => self
                .month
                .weeks()
                .into_iter()
                .map(|w| {
                    (
                        w.to_string(),
                        w.first_day(),
                        w.last_day(),
                        day_end(w.last_day()),
                    )
                })
                .collect(),
            kind => {
                let p = Period::containing(kind, self.month.first_day()).unwrap_or(self.month);
                vec![(
                    p.to_string(),
                    p.first_day(),
                    p.last_day(),
                    day_end(p.last_day()),
                )]
            }
        };
        let targets: Vec<Option<VillageId>> = match scope {
            Scope::Person => vec![None],
            Scope::Village => villages.iter().copied().map(Some).collect(),
        };
        let mut parts = Vec::new();
        for village in &targets {
            for (label, first, last, closes) in &spans {
                let mut evidence = Vec::new();
                let mut total = 0u32;
                for r in self.activities.iter().copied() {
                    let RecordBody::Activity {
                        kind,
                        village_id,
                        held_on,
                        person_times,
                        quantity,
                        title,
                        ..
                    } = &r.body
                    else {
                        continue;
                    };
                    let mine = match village {
                        None => r.person_id == self.ctx.person,
                        Some(v) => village_id.as_ref() == Some(v),
                    };
                    if *kind != item.activity || !mine || held_on < first || held_on > last {
                        continue;
                    }
                    let amount = match item.measure {
                        Measure::Count => 1,
                        Measure::PersonTimes => person_times.unwrap_or(0),
                        Measure::Quantity => quantity.unwrap_or(1),
                    };
                    total = total.saturating_add(amount);
                    evidence.push(Evidence {
                        kind: EvidenceKind::Activity,
                        records: vec![r.id],
                        start: day_start(*held_on),
                        end: None,
                        detail: format!(
                            "{} {} {}（计{}）",
                            held_on,
                            kind.label_zh(),
                            title,
                            amount
                        ),
                    });
                }
                evidence.sort_by_key(|e| (e.start, e.records.clone()));
                let unit = match item.measure {
                    Measure::PersonTimes => "人次",
                    _ => "",
                };
                parts.push(Part {
                    label_zh: format!("{}≥{}{}", item.activity.label_zh(), item.min, unit),
                    period: label.clone(),
                    village_id: *village,
                    status: count_status(total, item.min, *closes, self.now),
                    counted: total,
                    required: item.min,
                    due: None,
                    evidence,
                    rejected: Vec::new(),
                });
            }
        }
        parts
    }

    fn paired_visits(&mut self, period: PeriodKind, min_visits: u32) -> Part {
        let p = Period::containing(period, self.month.first_day()).unwrap_or(self.month);
        let (from, to) = (day_start(p.first_day()), day_end(p.last_day()));
        let person = self.ctx.person;
        let paired: HashSet<HouseholdId> = self
            .ctx
            .pairings
            .iter()
            .filter(|x| x.person_id == person && x.overlaps(p.first_day(), p.last_day()))
            .map(|x| x.household_id)
            .collect();
        let all = self.visits();
        let visits = valid_of(&all, person, from, to);
        let mut rejected = self.invalid_visit_rejections(person, from, to);
        let mut evidence = Vec::new();
        let mut seen: BTreeSet<(HouseholdId, NaiveDate)> = BTreeSet::new();
        for v in visits {
            let name = self
                .households
                .get(&v.household_id)
                .map(|h| h.head_name.clone())
                .unwrap_or_default();
            let detail = format!("{} {}", name, local(v.start));
            if !paired.contains(&v.household_id) || !self.is_poor(v.household_id) {
                rejected.push(Rejection {
                    records: v.records(),
                    reason: RejectReason::NotPaired,
                    detail,
                });
            } else if !seen.insert((v.household_id, local_date(v.start))) {
                rejected.push(Rejection {
                    records: v.records(),
                    reason: RejectReason::SameDayAlreadyCounted,
                    detail,
                });
            } else {
                evidence.push(Evidence {
                    kind: EvidenceKind::HouseholdVisit,
                    records: v.records(),
                    start: v.start,
                    end: v.end,
                    detail,
                });
            }
        }
        let counted = evidence.len() as u32;
        Part {
            label_zh: format!("走访结对贫困户≥{min_visits}次"),
            period: p.to_string(),
            village_id: None,
            status: count_status(counted, min_visits, to, self.now),
            counted,
            required: min_visits,
            due: None,
            evidence,
            rejected,
        }
    }

    fn four_musts(
        &mut self,
        village: VillageId,
        within_days: u32,
        period: PeriodKind,
    ) -> Vec<Part> {
        let p = Period::containing(period, self.month.first_day()).unwrap_or(self.month);
        let (from, to) = (day_start(p.first_day()), day_end(p.last_day()));
        let window = Duration::days(within_days.into());
        // Any valid visit by anyone, in the village, counts for the team.
        let all = self.visits();
        let team_visits: Vec<&HouseholdVisit> = all
            .iter()
            .filter(|(_, c)| c.valid)
            .map(|(v, _)| v)
            .filter(|v| {
                self.households
                    .get(&v.household_id)
                    .is_some_and(|h| h.village_id == village)
            })
            .collect();

        // 四必到: each event attended within the window.
        let mut events: Vec<(&DeviceRecord, DateTime<Utc>, String)> = self
            .events
            .iter()
            .filter_map(|r| match &r.body {
                RecordBody::VillageEvent {
                    village_id,
                    occurred_at,
                    kind,
                    description,
                    ..
                } if *village_id == village && *occurred_at >= from && *occurred_at < to => Some((
                    *r,
                    *occurred_at,
                    format!("{} {}", kind.label_zh(), description),
                )),
                _ => None,
            })
            .collect();
        events.sort_by_key(|(r, t, _)| (*t, r.id));
        let mut attend = Part {
            label_zh: format!("四必到：事件发生{within_days}日内到场"),
            period: p.to_string(),
            village_id: Some(village),
            status: Status::NotApplicable,
            counted: 0,
            required: events.len() as u32,
            due: None,
            evidence: Vec::new(),
            rejected: Vec::new(),
        };
        let mut statuses = Vec::new();
        for (r, at, what) in &events {
            let first = team_visits
                .iter()
                .filter(|v| v.event == Some(r.id) && v.start >= *at - Duration::hours(12))
                .min_by_key(|v| (v.start, v.check_in));
            let deadline = *at + window;
            let status = match first {
                Some(v) if v.start <= deadline => Status::Met,
                Some(_) => Status::Late,
                None if self.now < deadline => Status::NotYetDue,
                None => Status::Short,
            };
            statuses.push(status);
            let mut records = vec![r.id];
            records.extend(first.map(|v| v.check_in));
            let detail = match first {
                Some(v) => format!("{} {}，{} 到场", local(*at), what, local(v.start)),
                None => format!("{} {}，未到场", local(*at), what),
            };
            if status == Status::Met {
                attend.counted += 1;
                attend.evidence.push(Evidence {
                    kind: EvidenceKind::EventAttended,
                    records,
                    start: *at,
                    end: first.map(|v| v.start),
                    detail,
                });
            } else if status != Status::NotYetDue {
                attend.rejected.push(Rejection {
                    records,
                    reason: RejectReason::AfterDeadline,
                    detail,
                });
            }
        }
        if !events.is_empty() {
            attend.status = Status::combine(statuses);
        }

        // 四必访: each must-visit household visited in the period.
        let mut must: Vec<&Household> = self
            .ctx
            .households
            .iter()
            .filter(|h| h.village_id == village && h.categories.iter().any(|c| c.is_must_visit()))
            .collect();
        must.sort_by_key(|h| h.id);
        let mut visit = Part {
            label_zh: "四必访：党员、困难、危重病人、空巢老人及留守儿童家庭每户走访".into(),
            period: p.to_string(),
            village_id: Some(village),
            status: Status::NotApplicable,
            counted: 0,
            required: must.len() as u32,
            due: None,
            evidence: Vec::new(),
            rejected: Vec::new(),
        };
        let mut missing = Vec::new();
        for h in &must {
            let first = team_visits
                .iter()
                .filter(|v| v.household_id == h.id && v.start >= from && v.start < to)
                .min_by_key(|v| (v.start, v.check_in));
            match first {
                Some(v) => {
                    visit.counted += 1;
                    visit.evidence.push(Evidence {
                        kind: EvidenceKind::HouseholdVisit,
                        records: v.records(),
                        start: v.start,
                        end: v.end,
                        detail: format!("{} {}", h.head_name, local(v.start)),
                    });
                }
                None => missing.push(h.head_name.clone()),
            }
        }
        if !must.is_empty() {
            visit.status = count_status(visit.counted, visit.required, to, self.now);
        }
        if !missing.is_empty() && visit.status == Status::Short {
            visit.rejected.push(Rejection {
                records: Vec::new(),
                reason: RejectReason::TooFewHouseholds,
                detail: format!("未走访: {}", missing.join("、")),
            });
        }
        vec![attend, visit]
    }

    /// When a record is taken to have been made: the phone's clock, unless the server found
    /// that clock far off when the record arrived; then the server's receipt.
    fn made_at(&self, r: &DeviceRecord) -> DateTime<Utc> {
        match r.received {
            Some(rx) if rx.clock_offset_s.abs() > self.interp.clock_skew_minutes * 60 => {
                rx.received_at
            }
            _ => r.captured_at,
        }
    }

    fn submissions(
        &mut self,
        scope: Scope,
        item: &SubmissionItem,
        villages: &[VillageId],
    ) -> Vec<Part> {
        let periods: Vec<Period> = match item.period {
            PeriodKind::Week => self.month.weeks(),
            kind => Period::containing(kind, self.month.first_day())
                .into_iter()
                .collect(),
        };
        let targets: Vec<Option<VillageId>> = match scope {
            Scope::Person => vec![None],
            Scope::Village => villages
                .iter()
                .filter(|v| {
                    let exiting = self
                        .ctx
                        .villages
                        .iter()
                        .any(|x| x.id == **v && x.exiting_this_year);
                    match item.villages {
                        VillageFilter::All => true,
                        VillageFilter::Exiting => exiting,
                        VillageFilter::NotExiting => !exiting,
                    }
                })
                .copied()
                .map(Some)
                .collect(),
        };
        let mut parts = Vec::new();
        for village in targets {
            for p in &periods {
                let due = item.due.date_for(p);
                let deadline = day_end(due);
                let mut found: Vec<(DateTime<Utc>, &DeviceRecord, String)> = self
                    .reports
                    .iter()
                    .filter_map(|r| match &r.body {
                        RecordBody::Report {
                            kind,
                            village_id,
                            period,
                            title,
                            ..
                        } if *kind == item.report && period == p => {
                            let mine = match village {
                                None => r.person_id == self.ctx.person,
                                Some(v) => *village_id == Some(v),
                            };
                            mine.then(|| (self.made_at(r), *r, title.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                found.sort_by_key(|(t, r, _)| (*t, r.id));
                let mut evidence = Vec::new();
                let mut rejected = Vec::new();
                let mut on_time = 0u32;
                for (t, r, title) in &found {
                    let detail = format!("{} {}《{}》", local(*t), item.report.label_zh(), title);
                    if *t < deadline {
                        on_time += 1;
                        evidence.push(Evidence {
                            kind: EvidenceKind::Report,
                            records: vec![r.id],
                            start: *t,
                            end: None,
                            detail,
                        });
                    } else {
                        rejected.push(Rejection {
                            records: vec![r.id],
                            reason: RejectReason::AfterDeadline,
                            detail,
                        });
                    }
                }
                let status = if on_time >= item.min {
                    Status::Met
                } else if found.len() as u32 >= item.min {
                    Status::Late
                } else if self.now < deadline {
                    Status::NotYetDue
                } else {
                    Status::Short
                };
                parts.push(Part {
                    label_zh: format!("{}（{}前）", item.report.label_zh(), due.format("%m月%d日")),
                    period: p.to_string(),
                    village_id: village,
                    status,
                    counted: on_time,
                    required: item.min,
                    due: Some(due),
                    evidence,
                    rejected,
                });
            }
        }
        parts
    }

    fn timely_records(
        &mut self,
        village: VillageId,
        activity: ActivityKind,
        within_days: u32,
    ) -> Part {
        let mut found: Vec<(NaiveDate, &DeviceRecord, String)> = self
            .activities
            .iter()
            .filter_map(|r| match &r.body {
                RecordBody::Activity {
                    kind,
                    village_id,
                    held_on,
                    title,
                    ..
                } if *kind == activity
                    && *village_id == Some(village)
                    && self.month.contains(*held_on) =>
                {
                    Some((*held_on, *r, title.clone()))
                }
                _ => None,
            })
            .collect();
        found.sort_by_key(|(d, r, _)| (*d, r.id));
        let mut part = Part {
            label_zh: format!("{}后{}日内录入", activity.label_zh(), within_days),
            period: self.month.to_string(),
            village_id: Some(village),
            status: Status::NotApplicable,
            counted: 0,
            required: found.len() as u32,
            due: None,
            evidence: Vec::new(),
            rejected: Vec::new(),
        };
        for (held, r, title) in &found {
            let due = *held + Duration::days(within_days.into());
            let made = self.made_at(r);
            let detail = format!("{} {}，{} 录入", held, title, local(made));
            if made < day_end(due) {
                part.counted += 1;
                part.evidence.push(Evidence {
                    kind: EvidenceKind::Activity,
                    records: vec![r.id],
                    start: day_start(*held),
                    end: Some(made),
                    detail,
                });
            } else {
                part.rejected.push(Rejection {
                    records: vec![r.id],
                    reason: RejectReason::AfterDeadline,
                    detail,
                });
            }
        }
        if !found.is_empty() {
            part.status = if part.counted == part.required {
                Status::Met
            } else {
                Status::Late
            };
        }
        part
    }

    fn visit_ledger(&mut self) -> Part {
        let (from, to) = (
            day_start(self.month.first_day()),
            day_end(self.month.last_day()),
        );
        let person = self.ctx.person;
        let all = self.visits();
        let visits = valid_of(&all, person, from, to);
        let mut part = Part {
            label_zh: "每次有效走访均有帮扶记录".into(),
            period: self.month.to_string(),
            village_id: None,
            status: Status::NotApplicable,
            counted: 0,
            required: visits.len() as u32,
            due: None,
            evidence: Vec::new(),
            rejected: Vec::new(),
        };
        for v in &visits {
            let name = self
                .households
                .get(&v.household_id)
                .map(|h| h.head_name.clone())
                .unwrap_or_default();
            match v.notes.first() {
                Some((note, text)) => {
                    part.counted += 1;
                    let mut records = v.records();
                    records.push(*note);
                    part.evidence.push(Evidence {
                        kind: EvidenceKind::HouseholdVisit,
                        records,
                        start: v.start,
                        end: v.end,
                        detail: format!(
                            "{} {}：{}",
                            name,
                            local(v.start),
                            text.chars().take(40).collect::<String>()
                        ),
                    });
                }
                None => part.rejected.push(Rejection {
                    records: v.records(),
                    reason: RejectReason::NoNote,
                    detail: format!("{} {}", name, local(v.start)),
                }),
            }
        }
        if !visits.is_empty() {
            part.status = count_status(part.counted, part.required, to, self.now);
        }
        part
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

struct Requirement {
    fraction: Option<Fraction>,
    days: Option<u32>,
    working_only: bool,
}
