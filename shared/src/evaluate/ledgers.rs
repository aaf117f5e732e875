//! Rules judged by the generated ledgers: the monthly ledger's submission chain and the
//! completeness of the 结对帮扶台账.

use super::{count_status, local, Evaluation};
use crate::ids::{RecordId, VillageId};
use crate::ledger_chain::{LedgerStep, Step};
use crate::org::Directory;
use crate::pairing_ledger::{ledger_lines, line_gaps};
use crate::period::{day_end, Period};
use crate::verdict::{Evidence, EvidenceKind, Part, RejectReason, Rejection, Status};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// The steps of the chain with a deadline, in order.
const DUE_STEPS: [Step; 2] = [Step::Confirmed, Step::Forwarded];

/// One part per step with a deadline (村确认 by month end, 乡报送 by the 5th) for `village`'s
/// monthly ledger of `month`, judged as of `now` from `steps` (any villages and months; the
/// others are ignored): met when taken on time, late when taken after the deadline, short when
/// the deadline passed without it, not yet due before. The evidence names each step taken.
pub fn ledger_chain_parts(
    org: &Directory,
    village: VillageId,
    month: Period,
    steps: &[LedgerStep],
    now: DateTime<Utc>,
) -> Vec<Part> {
    DUE_STEPS
        .iter()
        .filter_map(|step| {
            let due = step.due(month)?;
            let taken = steps
                .iter()
                .filter(|s| s.village_id == village && s.month == month && s.step == *step)
                .min_by_key(|s| s.at);
            let mut part = Part {
                label_zh: format!(
                    "领导挂联工作月台账{}（{}前）",
                    step.label_zh(),
                    due.format("%m月%d日")
                ),
                period: month.to_string(),
                village_id: Some(village),
                status: Status::NotYetDue,
                counted: 0,
                required: 1,
                due: Some(due),
                evidence: Vec::new(),
                rejected: Vec::new(),
            };
            match taken {
                Some(s) => {
                    let by = org.person(s.by).map_or("", |p| p.name.as_str());
                    let detail = format!("{} {} {}", local(s.at), step.label_zh(), by)
                        .trim_end()
                        .to_string();
                    if step.on_time(month, s.at) {
                        part.status = Status::Met;
                        part.counted = 1;
                        part.evidence.push(Evidence {
                            kind: EvidenceKind::Report,
                            records: Vec::new(),
                            start: s.at,
                            end: None,
                            detail,
                        });
                    } else {
                        part.status = Status::Late;
                        part.rejected.push(Rejection {
                            records: Vec::new(),
                            reason: RejectReason::AfterDeadline,
                            detail,
                        });
                    }
                }
                None if now >= day_end(due) => part.status = Status::Short,
                None => {}
            }
            Some(part)
        })
        .collect()
}

impl Evaluation<'_> {
    /// the monthly ledger of each of `villages` up the chain.
    pub(super) fn ledger_chain(&self, villages: &[VillageId]) -> Vec<Part> {
        villages
            .iter()
            .flat_map(|v| {
                ledger_chain_parts(
                    self.ctx.org,
                    *v,
                    self.month,
                    self.ctx.ledger_steps,
                    self.now,
                )
            })
            .collect()
    }

    /// every line of the person's 结对帮扶台账 for the month is complete. An incomplete
    /// line is rejected naming what it lacks; a complete line counts when its visit counts. A
    /// complete line of a visit that does not count (too short, too far, found false: the
    /// ledger marks it 不计入 and R-242 gives the reason) is neither counted nor required, so
    /// that no verdict counts that visit; a visit found false is no line at all, incomplete or
    /// not (the ledger marks it 不计入：核查不属实). Open until the month ends (a note or photo may still
    /// be added), then short naming the incomplete lines.
    pub(super) fn pairing_ledger(&mut self) -> Part {
        let person = self.ctx.person;
        let all = self.visits();
        let valid: HashSet<RecordId> = all
            .iter()
            .filter(|(_, c)| c.valid)
            .map(|(v, _)| v.check_in)
            .collect();
        // A visit found false on a spot check is struck off the ledger: no line, complete or not.
        let found_false: HashSet<RecordId> = all
            .iter()
            .filter(|(_, c)| {
                c.rejections
                    .iter()
                    .any(|r| r.reason == RejectReason::FoundFalse)
            })
            .map(|(v, _)| v.check_in)
            .collect();
        let lines: Vec<_> =
            ledger_lines(self.ctx.org, person, self.month, all.iter().map(|(v, _)| v))
                .into_iter()
                .filter(|v| {
                    valid.contains(&v.check_in)
                        || (!line_gaps(v).is_empty() && !found_false.contains(&v.check_in))
                })
                .collect();
        let mut part = Part {
            label_zh: "结对帮扶台账每次走访完整（已签退、有帮扶记录、有照片）".into(),
            period: self.month.to_string(),
            village_id: None,
            status: Status::NotApplicable,
            counted: 0,
            required: lines.len() as u32,
            due: None,
            evidence: Vec::new(),
            rejected: Vec::new(),
        };
        for v in &lines {
            let name = self
                .households
                .get(&v.household_id)
                .map(|h| h.head_name.clone())
                .unwrap_or_default();
            let gaps = line_gaps(v);
            let mut records = v.records();
            records.extend(v.notes.iter().map(|(id, _)| *id));
            match gaps.first() {
                None => {
                    part.counted += 1;
                    let text = v.notes.first().map_or("", |(_, t)| t.as_str());
                    part.evidence.push(Evidence {
                        kind: EvidenceKind::HouseholdVisit,
                        records,
                        start: v.start,
                        end: v.end,
                        detail: format!(
                            "{} {} 照片{}张：{}",
                            name,
                            local(v.start),
                            v.photos.len(),
                            text.chars().take(40).collect::<String>()
                        ),
                    });
                }
                Some(first) => part.rejected.push(Rejection {
                    records,
                    reason: first.reason(),
                    detail: format!(
                        "{} {}：{}",
                        name,
                        local(v.start),
                        gaps.iter()
                            .map(|g| g.label_zh())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                }),
            }
        }
        if !lines.is_empty() {
            let month_end = day_end(self.month.last_day());
            part.status = count_status(part.counted, part.required, month_end, self.now);
        }
        part
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PersonId;
    use chrono::TimeZone;
    use rstest::rstest;

    fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        // Local (UTC+8) noon-ish times, written in UTC.
        let (y, m) = if m == 13 { (2027, 1) } else { (2026, m) };
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    const V: VillageId = VillageId::from_u128(7);
    const OTHER: VillageId = VillageId::from_u128(8);

    fn step(village: VillageId, month: &str, step: Step, t: DateTime<Utc>) -> LedgerStep {
        LedgerStep {
            village_id: village,
            month: month.parse().unwrap(),
            step,
            at: t,
            by: PersonId::from_u128(1),
        }
    }

    fn statuses(steps: &[LedgerStep], now: DateTime<Utc>) -> (Status, Status, Status) {
        let parts = ledger_chain_parts(
            &Directory::default(),
            V,
            "2026-11".parse().unwrap(),
            steps,
            now,
        );
        assert_eq!(parts.len(), 2);
        (
            parts[0].status,
            parts[1].status,
            Status::combine(parts.iter().map(|p| p.status)),
        )
    }

    #[rstest]
    #[case::both_on_time(Some(at(11, 30, 10)), Some(at(12, 5, 10)), at(12, 10, 1), (Status::Met, Status::Met, Status::Met))]
    // 23:30 local on 30 Nov is 15:30 UTC: still November.
    #[case::confirmed_at_the_last_local_minute(Some(at(11, 30, 15)), Some(at(12, 1, 1)), at(12, 10, 1), (Status::Met, Status::Met, Status::Met))]
    #[case::township_after_the_5th(Some(at(11, 30, 10)), Some(at(12, 6, 1)), at(12, 10, 1), (Status::Met, Status::Late, Status::Late))]
    #[case::village_after_month_end(Some(at(12, 1, 1)), Some(at(12, 2, 1)), at(12, 10, 1), (Status::Late, Status::Met, Status::Late))]
    #[case::nothing_before_month_end(None, None, at(11, 20, 1), (Status::NotYetDue, Status::NotYetDue, Status::NotYetDue))]
    #[case::confirmed_awaiting_the_township(Some(at(11, 28, 1)), None, at(12, 3, 1), (Status::Met, Status::NotYetDue, Status::NotYetDue))]
    #[case::no_confirmation_by_month_end(None, None, at(12, 2, 1), (Status::Short, Status::NotYetDue, Status::Short))]
    #[case::no_step_after_the_5th(None, None, at(12, 6, 1), (Status::Short, Status::Short, Status::Short))]
    #[case::not_forwarded_by_the_5th(Some(at(11, 28, 1)), None, at(12, 6, 1), (Status::Met, Status::Short, Status::Short))]
    fn r32_follows_the_chain(
        #[case] confirmed: Option<DateTime<Utc>>,
        #[case] forwarded: Option<DateTime<Utc>>,
        #[case] now: DateTime<Utc>,
        #[case] expected: (Status, Status, Status),
    ) {
        let mut steps = Vec::new();
        steps.extend(confirmed.map(|t| step(V, "2026-11", Step::Confirmed, t)));
        steps.extend(forwarded.map(|t| step(V, "2026-11", Step::Forwarded, t)));
        // Another village's and another month's steps count for nothing here.
        steps.push(step(OTHER, "2026-11", Step::Confirmed, at(11, 2, 1)));
        steps.push(step(V, "2026-10", Step::Forwarded, at(11, 2, 1)));
        assert_eq!(statuses(&steps, now), expected);
    }

    #[test]
    fn the_parts_say_each_deadline_and_the_evidence_each_step() {
        let steps = [
            step(V, "2026-11", Step::Confirmed, at(11, 30, 2)),
            step(V, "2026-11", Step::Forwarded, at(12, 7, 2)),
        ];
        let parts = ledger_chain_parts(
            &Directory::default(),
            V,
            "2026-11".parse().unwrap(),
            &steps,
            at(12, 10, 1),
        );
        let dues: Vec<_> = parts.iter().map(|p| p.due.unwrap().to_string()).collect();
        assert_eq!(dues, ["2026-11-30", "2026-12-05"]);
        assert!(parts[0].evidence[0].detail.contains("村确认"));
        assert_eq!(parts[1].rejected[0].reason, RejectReason::AfterDeadline);
        assert!(parts[1].rejected[0].detail.contains("乡报送"));
    }
}
