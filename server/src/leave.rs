//! 请假审批 on the server: the leave and official-absence requests an approver may decide
//! (the team leader of the requester's village, the coordination office), each with the
//! decision standing on it, and the decision written from a desk. A decision is a note attached
//! to the request ([`NoteKind::LeaveDecision`]), appended to the approver's console log and
//! stored through the same push as a phone's, which checks it again
//! (`api::sync::check_leave_decision`) and queues the requester's verdicts.

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::evaluation::{findings_on, Loaded};
use crate::store::Store;
use chrono::Duration;
use std::collections::HashMap;
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::leave::{absences, LeaveDecision, LeaveItem, LEAVE_APPROVERS};
use zhucun_shared::org::jurisdiction::Access;
use zhucun_shared::org::Assignment;
use zhucun_shared::period::local_date;
use zhucun_shared::record::{NoteKind, RecordBody};

/// How far back the list reaches: requests written in the last this many days.
pub const LIST_DAYS: i64 = 120;

/// Longest remark, in characters.
pub const MAX_REMARK_CHARS: usize = 500;

/// What `caller` may decide as an approver today: their jurisdiction through their
/// [`LEAVE_APPROVERS`] postings alone (none: they approve nothing).
async fn approver_access(state: &AppState, caller: &Caller) -> Result<Option<Access>, ApiError> {
    let today = local_date(state.clock.now());
    let postings: Vec<Assignment> = caller
        .assignments
        .iter()
        .filter(|a| LEAVE_APPROVERS.contains(&a.role) && a.overlaps(today, today))
        .cloned()
        .collect();
    if postings.is_empty() {
        return Ok(None);
    }
    let access = crate::auth::access_of(&state.store, &caller.person, &postings, today).await?;
    Ok(Some(access))
}

/// The requests written in the last [`LIST_DAYS`] by the people `caller` may decide for (not
/// the caller), pending first, then by first day. 403 for someone who approves nothing.
pub async fn requests_in_reach(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<LeaveItem>, ApiError> {
    let Some(access) = approver_access(state, caller).await? else {
        return Err(ApiError::Forbidden);
    };
    let now = state.clock.now();
    let (from, to) = (now - Duration::days(LIST_DAYS), now + Duration::days(2));
    let mut loaded = Loaded::default();
    let mut out = Vec::new();
    let mut towns: Vec<_> = access.whole_townships().collect();
    if !towns.contains(&caller.person.township_id) {
        towns.push(caller.person.township_id);
    }
    for t in towns {
        let org = state.store.township_org(t).await?;
        let mut names: HashMap<PersonId, String> = HashMap::new();
        for p in &org.people {
            let posted: Vec<Assignment> = org.assignments_of(p.id).cloned().collect();
            let (a, b) = (local_date(from), local_date(to));
            if p.id != caller.person.id && access.can_see(p, &posted, a, b) {
                names.insert(p.id, p.name.clone());
            }
        }
        let people: Vec<PersonId> = names.keys().copied().collect();
        // The requests and the withdrawals among which a request's own may be.
        let all = state.store.leave_requests_of(&people, from, to).await?;
        let requests: Vec<_> = all
            .iter()
            .filter(|r| matches!(r.body, RecordBody::LeaveRequest { .. }))
            .cloned()
            .collect();
        if requests.is_empty() {
            continue;
        }
        // The decisions that count (shared::leave::may_decide), as the evaluator reads them.
        let decisions = findings_on(state, &org, &requests, now, &mut loaded).await?;
        for absence in absences(&all, &decisions) {
            out.push(LeaveItem {
                person_name: names.get(&absence.person_id).cloned().unwrap_or_default(),
                absence,
            });
        }
    }
    out.sort_by_key(|i| {
        (
            i.absence.decided.is_some(),
            i.absence.from,
            i.absence.request,
        )
    });
    Ok(out)
}

/// Writes `caller`'s decision on `request` with `remark`, and answers the note's id. 403 when
/// the caller approves nothing today; 404 for a request they may not decide, the same answer
/// as for an unknown one; 422 naming `remark` (too long, control characters; required to
/// refuse) or `request_id` (their own request).
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    request: RecordId,
    decision: LeaveDecision,
    remark: String,
) -> Result<RecordId, ApiError> {
    if approver_access(state, caller).await?.is_none() {
        return Err(ApiError::Forbidden);
    }
    let remark = remark.trim().to_string();
    if remark.chars().count() > MAX_REMARK_CHARS {
        return Err(ApiError::invalid(
            "remark",
            format!("不得超过 {MAX_REMARK_CHARS} 个字符"),
        ));
    }
    if remark
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::invalid("remark", "不得含控制字符"));
    }
    if decision == LeaveDecision::Refused && remark.is_empty() {
        return Err(ApiError::invalid("remark", "不批准须写明理由"));
    }
    let authors = state.store.record_authors(&[request]).await?;
    if let Some((author, _)) = authors.get(&request) {
        if *author == caller.person.id {
            return Err(ApiError::invalid("request_id", "不能审批本人的申请"));
        }
    }
    // Only a request in the caller's list: anything else is answered as unknown.
    let listed = requests_in_reach(state, caller)
        .await?
        .into_iter()
        .any(|i| i.absence.request == request);
    if !listed {
        return Err(ApiError::NotFound("申请"));
    }
    let body = RecordBody::Note {
        attached_to: request,
        text: remark,
        replaces: None,
        kind: Some(NoteKind::LeaveDecision { decision }),
    };
    crate::findings::append_console_note(state, caller, body).await
}
