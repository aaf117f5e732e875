//! Rules of dated work: activity counts per period, reports by
//! their deadlines and records entered in time (R-31c).

use super::*;
use crate::record::Fix;

impl<'a> Evaluation<'a> {
    pub(super) fn activities(
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
        let on_site = self.on_site_checks_in();
        let mut parts = Vec::new();
        for village in &targets {
            for (label, first, last, closes) in &spans {
                let mut evidence = Vec::new();
                let mut rejected = Vec::new();
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
                    if let Some(f) = self.found_false.get(&r.id) {
                        rejected.push(Rejection {
                            records: vec![r.id],
                            reason: RejectReason::FoundFalse,
                            detail: format!(
                                "{} {} {}：{}",
                                held_on,
                                kind.label_zh(),
                                title,
                                self.quote(f)
                            ),
                        });
                        continue;
                    }
                    // A supervision made on site (现场签到 with the fix) must have been in the
                    // village it names.
                    let site = on_site.get(&r.id).copied();
                    if let (Some((_, Some(fix))), Some(v)) = (site, village_id) {
                        let cap = self.interp.household_accuracy_cap_m;
                        let away = self.ctx.org.village(*v).is_some_and(|x| {
                            !crate::events::fix_in_village(&VillageShape::new(x), fix, cap)
                        });
                        if away {
                            rejected.push(Rejection {
                                records: vec![r.id, site.map(|s| s.0).expect("matched")],
                                reason: RejectReason::OtherVillage,
                                detail: format!(
                                    "{} {} {}：现场定位不在该村",
                                    held_on,
                                    kind.label_zh(),
                                    title
                                ),
                            });
                            continue;
                        }
                    }
                    let amount = match item.measure {
                        Measure::Count => 1,
                        Measure::PersonTimes => person_times.unwrap_or(0),
                        Measure::Quantity => quantity.unwrap_or(1),
                    };
                    total = total.saturating_add(amount);
                    let mut records = vec![r.id];
                    records.extend(site.map(|s| s.0));
                    evidence.push(Evidence {
                        kind: EvidenceKind::Activity,
                        records,
                        start: day_start(*held_on),
                        end: None,
                        detail: format!(
                            "{} {} {}（计{}{}）",
                            held_on,
                            kind.label_zh(),
                            title,
                            amount,
                            if site.is_some_and(|s| s.1.is_some()) {
                                "，现场"
                            } else {
                                ""
                            }
                        ),
                    });
                }
                if village.is_none()
                    && item.activity == ActivityKind::Inspection
                    && item.measure == Measure::Count
                {
                    total = total.saturating_add(self.on_site_checks(*first, *last, &mut evidence));
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
                    rejected,
                });
            }
        }
        parts
    }

    /// The on-site check-ins (现场签到) by their records' authors, by the record: the first of
    /// several, its id and fix.
    fn on_site_checks_in(&self) -> HashMap<RecordId, (RecordId, Option<&'a Fix>)> {
        let mut out: HashMap<RecordId, (DateTime<Utc>, RecordId, Option<&'a Fix>)> = HashMap::new();
        for s in self.records.values().copied() {
            let RecordBody::OnSite { attached_to, fix } = &s.body else {
                continue;
            };
            let own = self
                .records
                .get(attached_to)
                .is_some_and(|r| r.person_id == s.person_id);
            let this = (s.captured_at, s.id, fix.as_ref());
            if own
                && out
                    .get(attached_to)
                    .is_none_or(|o| (o.0, o.1) > (this.0, this.1))
            {
                out.insert(*attached_to, this);
            }
        }
        out.into_iter()
            .map(|(k, (_, id, f))| (k, (id, f)))
            .collect()
    }

    /// 现场抽查: the person's own spot-check findings made on site (from the phone, with the
    /// checker's own fix), one a day on days `first..=last` without an inspection recorded
    /// as an activity, as inspection (督查) evidence: the checker went to see for themselves.
    /// Answers how many it added.
    fn on_site_checks(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        evidence: &mut Vec<Evidence>,
    ) -> u32 {
        let mut days: BTreeSet<NaiveDate> = evidence.iter().map(|e| local_date(e.start)).collect();
        let mut added = 0;
        for r in self.records.values() {
            let RecordBody::Note {
                kind:
                    Some(NoteKind::Finding {
                        outcome,
                        fix: Some(_),
                    }),
                ..
            } = &r.body
            else {
                continue;
            };
            let day = local_date(r.captured_at);
            if r.person_id != self.ctx.person || day < first || day > last || !days.insert(day) {
                continue;
            }
            added += 1;
            evidence.push(Evidence {
                kind: EvidenceKind::Activity,
                records: vec![r.id],
                start: day_start(day),
                end: None,
                detail: format!("{day} 现场抽查（{}）", outcome.label_zh()),
            });
        }
        added
    }

    /// When a record is taken to have been made: the phone's clock, unless the server found
    /// that clock far off when the record arrived; then the server's receipt.
    pub(super) fn made_at(&self, r: &DeviceRecord) -> DateTime<Utc> {
        match r.received {
            Some(rx) if rx.clock_offset_s.abs() > self.interp.clock_skew_minutes * 60 => {
                rx.received_at
            }
            _ => r.captured_at,
        }
    }

    pub(super) fn submissions(
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
                        .org
                        .village(**v)
                        .is_some_and(|x| x.exiting_this_year);
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

    pub(super) fn timely_records(
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
                    && self.month.contains(*held_on)
                    // A visit found false was no visit to record.
                    && !self.found_false.contains_key(&r.id) =>
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
}
