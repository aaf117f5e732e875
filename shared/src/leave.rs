//! 考勤: leave (请假) and official absence (公差). A cadre asks with a record of their own
//! ([`RecordBody::LeaveRequest`]: kind, first and last day, reason); the team leader of the
//! cadre's village or the township's coordination office answers with a note attached to it
//! ([`NoteKind::LeaveDecision`]: 批准 or 不批准, the note's text the remark). A decision counts
//! only from someone [`may_decide`] allows, and the latest one stands, as with spot-check
//! findings. Approved days leave the denominators of the presence rules that say so in the
//! catalogue (`leave_excused`: R-233a's working days, R-212's month); refused and pending
//! requests change nothing.

use crate::ids::{PersonId, RecordId};
use crate::org::{Assignment, Person, Township};
use crate::period::local_label;
use crate::record::{DeviceRecord, FieldError, RecordBody};
use crate::role::Role;
use crate::spot_check::Finding;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the cadre is away for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AbsenceKind {
    /// 请假
    Leave,
    /// 公差: official business away from the village.
    OfficialBusiness,
}

impl AbsenceKind {
    pub const ALL: [AbsenceKind; 2] = [AbsenceKind::Leave, AbsenceKind::OfficialBusiness];

    pub fn label_zh(self) -> &'static str {
        match self {
            AbsenceKind::Leave => "请假",
            AbsenceKind::OfficialBusiness => "公差",
        }
    }

    /// The mark of a day away in the attendance sheet (考勤表).
    pub fn mark_zh(self) -> &'static str {
        match self {
            AbsenceKind::Leave => "假",
            AbsenceKind::OfficialBusiness => "公",
        }
    }
}

/// A decision on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveDecision {
    /// 批准
    Approved,
    /// 不批准
    Refused,
}

impl LeaveDecision {
    pub fn label_zh(self) -> &'static str {
        match self {
            LeaveDecision::Approved => "批准",
            LeaveDecision::Refused => "不批准",
        }
    }
}

/// The longest request, in days from the first to the last inclusive: a longer absence is a
/// change of posting, not leave.
pub const MAX_LEAVE_DAYS: i64 = 60;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The roles whose decisions count: the team leader of the cadre's village (through their
/// jurisdiction) and the coordination office (协调小组办公室, `admin`). Supervisors (乡纪委、
/// 目标督查办) and liaison leaders check work but do not grant leave: the office that judges
/// attendance does not also excuse it.
pub const LEAVE_APPROVERS: [Role; 2] = [Role::TeamLeader, Role::Admin];

/// Checks a request's fields; the refusal says in Chinese what to change. `field` names the
/// first bad one as in the record's JSON (`body.from`, `body.to`, `body.reason`).
pub fn check_request(from: NaiveDate, to: NaiveDate, reason: &str) -> Result<(), FieldError> {
    if to < from {
        return Err(FieldError::new("body.to", "结束日期不能早于开始日期"));
    }
    if (to - from).num_days() + 1 > MAX_LEAVE_DAYS {
        return Err(FieldError::new(
            "body.to",
            format!("一次最多申请 {MAX_LEAVE_DAYS} 天，请分开申请"),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FieldError::new("body.reason", "请填写事由"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(FieldError::new(
            "body.reason",
            format!("事由不得超过 {MAX_REASON_CHARS} 个字"),
        ));
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new("body.reason", "事由不得含控制字符"));
    }
    Ok(())
}

/// Whether `decision` (a note's [`Finding`] carrying a [`LeaveDecision`]) counts on a request
/// by `target`: [`crate::spot_check::may_judge`] over the author's [`LEAVE_APPROVERS`]
/// postings alone, so a supervisor's or liaison leader's jurisdiction grants no leave, and no
/// one decides their own request.
pub fn may_decide(
    decision: &Finding,
    by_assignments: &[Assignment],
    target: &Person,
    target_assignments: &[Assignment],
    from: NaiveDate,
    to: NaiveDate,
    townships: &[Township],
) -> bool {
    let approver: Vec<Assignment> = by_assignments
        .iter()
        .filter(|a| LEAVE_APPROVERS.contains(&a.role))
        .cloned()
        .collect();
    decision.decision.is_some()
        && crate::spot_check::may_judge(
            decision,
            &approver,
            target,
            target_assignments,
            from,
            to,
            townships,
        )
}

/// The decision standing on a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decided {
    pub decision: LeaveDecision,
    /// The note.
    pub note: RecordId,
    pub by: PersonId,
    pub at: DateTime<Utc>,
    pub remark: String,
}

/// A request with the decision standing on it (none: pending, 待审批).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Absence {
    pub request: RecordId,
    pub person_id: PersonId,
    pub kind: AbsenceKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub decided: Option<Decided>,
}

impl Absence {
    pub fn is_approved(&self) -> bool {
        self.decided
            .as_ref()
            .is_some_and(|d| d.decision == LeaveDecision::Approved)
    }

    /// 待审批, 已批准, 不批准.
    pub fn status_zh(&self) -> &'static str {
        match self.decided.as_ref().map(|d| d.decision) {
            None => "待审批",
            Some(LeaveDecision::Approved) => "已批准",
            Some(LeaveDecision::Refused) => "不批准",
        }
    }

    /// The days asked for.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }

    /// 11-12 至 11-14 (one day: 11-12).
    pub fn span_zh(&self) -> String {
        let f = |d: NaiveDate| d.format("%m-%d").to_string();
        if self.from == self.to {
            f(self.from)
        } else {
            format!("{} 至 {}", f(self.from), f(self.to))
        }
    }

    /// How a verdict's evidence shows it, with the days it took out of that verdict's
    /// denominator: 请假 3 天（11-12 至 11-14，已批准：张三 11-10 09:00）.
    pub fn evidence_zh(&self, days_excused: usize, by_name: &str) -> String {
        let mut s = format!(
            "{} {} 天（{}，{}",
            self.kind.label_zh(),
            days_excused,
            self.span_zh(),
            self.status_zh()
        );
        if let Some(d) = &self.decided {
            s.push_str(&format!("：{by_name} {}", local_label(d.at)));
        }
        s.push('）');
        s
    }
}

/// A request as an approver's list shows it: whose, and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaveItem {
    pub person_name: String,
    pub absence: Absence,
}

/// The requests among `records` (withdrawn ones left out) with the decision standing on each:
/// among `decisions` (already limited to those that [`may_decide`]; findings without a
/// decision are ignored), the latest (by time, then id) by someone other than the requester.
/// Ordered by first day, then request.
pub fn absences<'a>(
    records: impl IntoIterator<Item = &'a DeviceRecord> + Clone,
    decisions: &[Finding],
) -> Vec<Absence> {
    let withdrawn = crate::visits::withdrawn(records.clone());
    let standing =
        crate::spot_check::latest_on_each(decisions.iter().filter(|f| f.decision.is_some()));
    let mut out: Vec<Absence> = records
        .into_iter()
        .filter(|r| !withdrawn.contains(&r.id))
        .filter_map(|r| {
            let RecordBody::LeaveRequest {
                kind,
                from,
                to,
                reason,
            } = &r.body
            else {
                return None;
            };
            let decided = standing
                .get(&r.id)
                .filter(|f| f.by != r.person_id)
                .and_then(|f| {
                    Some(Decided {
                        decision: f.decision?,
                        note: f.record_id,
                        by: f.by,
                        at: f.at,
                        remark: f.text.clone(),
                    })
                });
            Some(Absence {
                request: r.id,
                person_id: r.person_id,
                kind: *kind,
                from: *from,
                to: *to,
                reason: reason.clone(),
                requested_at: r.captured_at,
                decided,
            })
        })
        .collect();
    out.sort_by_key(|a| (a.from, a.request));
    out.dedup_by_key(|a| a.request);
    out
}

/// The days of `person` covered by an approved absence, each with the absence (the earliest
/// asked, where two overlap).
pub fn approved_days(absences: &[Absence], person: PersonId) -> BTreeMap<NaiveDate, &Absence> {
    let mut out = BTreeMap::new();
    for a in absences
        .iter()
        .filter(|a| a.person_id == person && a.is_approved())
    {
        for d in a.days() {
            out.entry(d).or_insert(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[rstest]
    #[case::one_day("2026-11-12", "2026-11-12", "家中有事", None)]
    #[case::reversed("2026-11-14", "2026-11-12", "家中有事", Some("body.to"))]
    #[case::sixty_days("2026-11-01", "2026-12-30", "住院", None)]
    #[case::sixty_one_days("2026-11-01", "2026-12-31", "住院", Some("body.to"))]
    #[case::no_reason("2026-11-12", "2026-11-13", "  ", Some("body.reason"))]
    #[case::control_char("2026-11-12", "2026-11-13", "a\0b", Some("body.reason"))]
    fn requests_are_checked(
        #[case] from: &str,
        #[case] to: &str,
        #[case] reason: &str,
        #[case] bad: Option<&str>,
    ) {
        let got = check_request(day(from), day(to), reason);
        assert_eq!(got.as_ref().err().map(|e| e.field.as_str()), bad);
        if let Err(e) = got {
            assert!(e
                .problem
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        }
    }
}
