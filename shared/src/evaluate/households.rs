//! Rules of household work: paired visits, 四必到四必访 and the home-visit
//! ledger.

use super::*;

impl Evaluation<'_> {
    pub(super) fn paired_visits(&mut self, period: PeriodKind, min_visits: u32) -> Part {
        let p = Period::containing(period, self.month.first_day()).unwrap_or(self.month);
        let (from, to) = (day_start(p.first_day()), day_end(p.last_day()));
        let person = self.ctx.person;
        let paired = self.ctx.org.paired(person, p.first_day(), p.last_day());
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

    pub(super) fn four_musts(
        &mut self,
        village: VillageId,
        within_days: u32,
        period: PeriodKind,
    ) -> Vec<Part> {
        let p = Period::containing(period, self.month.first_day()).unwrap_or(self.month);
        let (from, to) = (day_start(p.first_day()), day_end(p.last_day()));
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

        // 四必到: each event attended by the last day of its window, through a check-in
        // linked to it: a valid visit to a household, or an on-site check-in in the village.
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
        let on_site = self.on_site_attendance(village, &mut attend.rejected);
        let mut statuses = Vec::new();
        for (r, at, what) in &events {
            let day = local_date(*at);
            // (when, check-in, the records that show it)
            let first = team_visits
                .iter()
                .filter(|v| v.event == Some(r.id))
                .map(|v| (v.start, v.check_in, v.records()))
                .chain(
                    on_site
                        .iter()
                        .filter(|(event, ..)| *event == r.id)
                        .map(|(_, t, id)| (*t, *id, vec![*id])),
                )
                .filter(|(t, ..)| local_date(*t) >= day)
                .min_by_key(|(t, id, _)| (*t, *id));
            let last_day = crate::events::attend_by(*at, within_days);
            let status = match &first {
                Some((t, ..)) if local_date(*t) <= last_day => Status::Met,
                Some(_) => Status::Late,
                None if self.now < day_end(last_day) => Status::NotYetDue,
                None => Status::Short,
            };
            statuses.push(status);
            let mut records = vec![r.id];
            records.extend(first.iter().flat_map(|(_, _, rs)| rs.iter().copied()));
            let detail = match &first {
                Some((t, ..)) => format!(
                    "{} {}（{}前到场），{} 到场",
                    day.format("%m-%d"),
                    what,
                    last_day.format("%m-%d"),
                    local(*t)
                ),
                None => format!(
                    "{} {}（{}前到场），未到场",
                    day.format("%m-%d"),
                    what,
                    last_day.format("%m-%d")
                ),
            };
            if status == Status::Met {
                attend.counted += 1;
                attend.evidence.push(Evidence {
                    kind: EvidenceKind::EventAttended,
                    records,
                    start: *at,
                    end: first.map(|(t, ..)| t),
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
            .org
            .households_of(village)
            .filter(|h| h.categories.iter().any(|c| c.is_must_visit()))
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

    /// The on-site check-ins (现场签到) attached to events of `village`, by anyone whose
    /// records are given: (event, when, check-in) for those whose fix places them in the
    /// village; the others are rejected, without a fix or outside the village.
    fn on_site_attendance(
        &self,
        village: VillageId,
        rejected: &mut Vec<Rejection>,
    ) -> Vec<(RecordId, DateTime<Utc>, RecordId)> {
        let cap = self.interp.household_accuracy_cap_m;
        let shape = self
            .ctx
            .org
            .village(village)
            .map(crate::geometry::VillageShape::new);
        let mut out = Vec::new();
        for r in self.records.values() {
            let RecordBody::OnSite { attached_to, fix } = &r.body else {
                continue;
            };
            let of_village = self.events.iter().any(|e| {
                e.id == *attached_to
                    && matches!(&e.body, RecordBody::VillageEvent { village_id, .. } if *village_id == village)
            });
            if !of_village {
                continue;
            }
            let detail = format!("{} 现场签到", local(r.captured_at));
            if let Some(f) = self.found_false.get(&r.id) {
                rejected.push(Rejection {
                    records: vec![r.id],
                    reason: RejectReason::FoundFalse,
                    detail: format!("{detail}：{}", self.quote(f)),
                });
                continue;
            }
            match (fix, &shape) {
                (Some(f), Some(s)) if crate::events::fix_in_village(s, f, cap) => {
                    out.push((*attached_to, r.captured_at, r.id))
                }
                (Some(_), _) => rejected.push(Rejection {
                    records: vec![r.id],
                    reason: RejectReason::OtherVillage,
                    detail,
                }),
                (None, _) => rejected.push(Rejection {
                    records: vec![r.id],
                    reason: RejectReason::NoFix,
                    detail,
                }),
            }
        }
        out
    }

    pub(super) fn visit_ledger(&mut self) -> Part {
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
