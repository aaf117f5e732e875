//! Rules of presence: qualifying village visits and in-village days.

use super::*;

impl Evaluation<'_> {
    pub(super) fn village_visits(
        &mut self,
        period: PeriodKind,
        villages: &[VillageId],
        min_visits: u32,
        min_stay: Duration,
        min_households: u32,
        leave_excused: bool,
    ) -> Part {
        let p = Period::containing(period, self.month.first_day()).unwrap_or(self.month);
        // 有考勤: the visits required are prorated over the working days not on approved leave.
        let (mut required, mut leave_evidence, mut excused_days) = (min_visits, Vec::new(), 0);
        if leave_excused {
            let (working, _) = self.ctx.calendar.working_days(p.first_day(), p.last_day());
            let away = crate::leave::approved_days(&self.absences, self.ctx.person);
            let (excused, evidence) = self.approved_leave(&working, &away);
            if excused > 0 {
                let left = (working.len() - excused) as u64;
                required = (u64::from(min_visits) * left).div_ceil(working.len() as u64) as u32;
                excused_days = excused;
            }
            leave_evidence = evidence;
        }
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
        rejected.extend(self.void_stay_rejections(villages, |d| p.contains(d)));
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
        let mut label_zh = format!(
            "合格到村{}次（停留≥{}，走访贫困户≥{}户）",
            required,
            fmt_hours(min_stay),
            min_households
        );
        if excused_days > 0 {
            label_zh.push_str(&format!(
                "，请假、公差{excused_days}个工作日，由{min_visits}次折算"
            ));
        }
        let status = if excused_days > 0 && required == 0 {
            Status::NotApplicable
        } else {
            count_status(counted, required, to, self.now)
        };
        evidence.extend(leave_evidence);
        Part {
            label_zh,
            period: p.to_string(),
            village_id: None,
            status,
            counted,
            required,
            due: None,
            evidence,
            rejected,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn in_village_days(
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
        let mut days: Vec<NaiveDate> = if start > end {
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
        // 有考勤: approved days away are neither required nor counted.
        let (excused, leave_evidence) = if req.leave_excused && req.fraction.is_some() {
            let away = crate::leave::approved_days(&self.absences, self.ctx.person);
            let (excused, evidence) = self.approved_leave(&days, &away);
            days.retain(|d| !away.contains_key(d));
            (excused, evidence)
        } else {
            (0, Vec::new())
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
        let mut rejected = self.void_stay_rejections(villages, |d| days.contains(&d));
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
        evidence.extend(leave_evidence);
        let (required, what) = match (req.fraction, req.days) {
            (Some(f), _) if excused > 0 => (
                f.of_ceil(days.len() as u32),
                format!(
                    "在村工作日≥工作日总数{}（已扣除请假、公差{}天）的{}",
                    days.len(),
                    excused,
                    f
                ),
            ),
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
}

pub(super) struct Requirement {
    pub(super) fraction: Option<Fraction>,
    pub(super) days: Option<u32>,
    pub(super) working_only: bool,
    /// Approved leave and official absence leave the days the fraction is taken of.
    pub(super) leave_excused: bool,
}

impl Evaluation<'_> {
    /// Of `days`, how many the person's approved absences (`away`, by day:
    /// [`crate::leave::approved_days`]) cover, and the evidence naming each absence with the
    /// days of `days` it covers: 请假 3 天（11-12 至 11-14，已批准：张三 …）.
    fn approved_leave(
        &self,
        days: &[NaiveDate],
        away: &BTreeMap<NaiveDate, &crate::leave::Absence>,
    ) -> (usize, Vec<Evidence>) {
        let mut per: BTreeMap<RecordId, (&crate::leave::Absence, Vec<NaiveDate>)> = BTreeMap::new();
        for d in days {
            if let Some(a) = away.get(d) {
                per.entry(a.request).or_insert((a, Vec::new())).1.push(*d);
            }
        }
        let mut evidence = Vec::new();
        let mut excused = 0;
        for (a, covered) in per.values() {
            let (Some(first), Some(last)) = (covered.first(), covered.last()) else {
                continue;
            };
            excused += covered.len();
            let decided = a.decided.as_ref().expect("approved absences are decided");
            let by = self
                .ctx
                .org
                .person(decided.by)
                .map_or("审批人", |p| p.name.as_str());
            evidence.push(Evidence {
                kind: match a.kind {
                    crate::leave::AbsenceKind::Leave => EvidenceKind::ApprovedLeave,
                    crate::leave::AbsenceKind::OfficialBusiness => {
                        EvidenceKind::ApprovedOfficialBusiness
                    }
                },
                records: vec![a.request, decided.note],
                start: day_start(*first),
                end: Some(day_end(*last)),
                detail: a.evidence_zh(covered.len(), by),
            });
        }
        evidence.sort_by_key(|e| e.start);
        (excused, evidence)
    }
}
