//! 请假、公差 from the phone: the cadre's request (kind, first and last day, reason) and an
//! approver's decision on someone's request (批准 / 不批准 with a remark). The fields are
//! checked by the shared rule ([`zhucun_shared::leave::check_request`]) the server applies, so
//! the phone refuses in Chinese what the server would refuse.

use super::CaptureError;
use crate::strings;
use chrono::{Duration, NaiveDate};
use zhucun_shared::ids::RecordId;
use zhucun_shared::leave::{check_request, AbsenceKind, LeaveDecision, MAX_REASON_CHARS};
use zhucun_shared::record::{NoteKind, RecordBody};

/// How far back a request may start: leave is asked ahead, or (补假) within this many days
/// after it began.
pub const LEAVE_BACKDATE_DAYS: i64 = 30;
/// How far ahead a request may start.
pub const LEAVE_AHEAD_DAYS: i64 = 180;

/// A request as the form holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct LeaveDraft {
    pub kind: AbsenceKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// The record a request writes, or the refusal the cadre reads; `today` is the phone's local
/// day.
pub(super) fn request(draft: LeaveDraft, today: NaiveDate) -> Result<RecordBody, CaptureError> {
    if draft.from < today - Duration::days(LEAVE_BACKDATE_DAYS) {
        return Err(CaptureError::Refused(format!(
            "开始日期不能早于 {LEAVE_BACKDATE_DAYS} 天前，请重新选择"
        )));
    }
    if draft.from > today + Duration::days(LEAVE_AHEAD_DAYS) {
        return Err(CaptureError::Refused(format!(
            "只能申请 {LEAVE_AHEAD_DAYS} 天内开始的请假、公差"
        )));
    }
    check_request(draft.from, draft.to, &draft.reason)
        .map_err(|e| CaptureError::Refused(strings::refused_request(&e.problem)))?;
    Ok(RecordBody::LeaveRequest {
        kind: draft.kind,
        from: draft.from,
        to: draft.to,
        reason: draft.reason.trim().to_string(),
    })
}

/// The note a decision writes on `request`: a refusal needs a remark (the cadre reads why).
pub(super) fn decision(
    request: RecordId,
    decision: LeaveDecision,
    remark: &str,
) -> Result<RecordBody, CaptureError> {
    let remark = remark.trim();
    if decision == LeaveDecision::Refused && remark.is_empty() {
        return Err(CaptureError::Refused("不批准须写明理由".into()));
    }
    if remark.chars().count() > MAX_REASON_CHARS {
        return Err(CaptureError::Refused(format!(
            "意见不得超过 {MAX_REASON_CHARS} 个字，请删减"
        )));
    }
    Ok(RecordBody::Note {
        attached_to: request,
        text: remark.to_string(),
        replaces: None,
        kind: Some(NoteKind::LeaveDecision { decision }),
    })
}
