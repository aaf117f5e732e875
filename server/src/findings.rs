//! 核查结论: a checker's spot-check finding written at a desk (the review console, or
//! `POST /api/v1/findings`). The finding is a note attached to the record judged, appended to
//! the checker's own log on a device the server keeps for them ("审核控制台", enrolled on first
//! use), and stored through the same checks and the same push as a phone's: the jurisdiction
//! check on the attached record, the audit entry, and the verdict queue of the judged
//! record's author, marked in the push's transaction.

use crate::api::sync::push_records;
use crate::app::AppState;
use crate::audit::{self, AuditKind};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::store::{DeviceRow, Store};
use zhucun_shared::ids::{DeviceId, RecordId};
use zhucun_shared::org::jurisdiction::CHECKERS;
use zhucun_shared::org::Device;
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, FindingOutcome, NoteKind, RecordBody};
use zhucun_shared::sync::{PushRequest, PROTOCOL_VERSION};

/// The label of the device the server writes a person's desk findings from.
pub const CONSOLE_DEVICE_LABEL: &str = "审核控制台";

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Records `caller`'s finding `outcome` on `target_record`, with `comment`, and answers the
/// note's id. 403 when the caller is no checker today (see [`CHECKERS`]); 404 for a record the
/// caller may not see, the same answer as for an unknown one; 422 naming `comment` or
/// `record_id` for a comment out of bounds (a record found false needs one: the verdicts quote
/// it) or the caller's own record.
pub async fn record_finding(
    state: &AppState,
    caller: &Caller,
    target_record: RecordId,
    outcome: FindingOutcome,
    comment: String,
) -> Result<RecordId, ApiError> {
    let now = state.clock.now();
    let today = local_date(now);
    let checker = caller
        .assignments
        .iter()
        .any(|a| CHECKERS.contains(&a.role) && a.overlaps(today, today));
    if !checker {
        return Err(ApiError::Forbidden);
    }
    let comment = comment.trim().to_string();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::invalid(
            "comment",
            format!("不得超过 {MAX_COMMENT_CHARS} 个字符"),
        ));
    }
    if comment
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::invalid("comment", "不得含控制字符"));
    }
    if outcome.rejects() && comment.is_empty() {
        return Err(ApiError::invalid("comment", "核查不属实须写明核查情况"));
    }
    // Seen as a phone's note would be: the record's author within the caller's jurisdiction
    // on the record's day. Anything else is answered as an unknown record.
    let not_found = || ApiError::NotFound("记录");
    let authors = state.store.record_authors(&[target_record]).await?;
    let (author, captured_at) = *authors.get(&target_record).ok_or_else(not_found)?;
    if author == caller.person.id {
        return Err(ApiError::invalid("record_id", "不能核查本人的记录"));
    }
    let person = state.store.person(author).await?.ok_or_else(not_found)?;
    let posted = state.store.assignments_of(author).await?;
    let day = local_date(captured_at);
    if !caller
        .access(state, today)
        .await?
        .can_see(&person, &posted, day, day)
    {
        return Err(not_found());
    }
    let body = RecordBody::Note {
        attached_to: target_record,
        text: comment,
        replaces: None,
        kind: Some(NoteKind::Finding { outcome, fix: None }),
    };
    append_console_note(state, caller, body).await
}

/// Appends `body` to `caller`'s console log and pushes it as a phone's record would be pushed
/// (the push's checks, audit and verdict queue); answers the record's id.
pub async fn append_console_note(
    state: &AppState,
    caller: &Caller,
    body: RecordBody,
) -> Result<RecordId, ApiError> {
    let now = state.clock.now();
    // Two notes written at once may take the same seq: the later one tries the next.
    for _ in 0..5 {
        let device = console_device(state, caller).await?;
        let record = DeviceRecord {
            id: RecordId::new(),
            device_id: device.device.id,
            seq: device.contiguous_seq + 1,
            person_id: caller.person.id,
            captured_at: now,
            body: body.clone(),
            received: None,
        };
        let id = record.id;
        let req = PushRequest {
            protocol: PROTOCOL_VERSION,
            device_id: device.device.id,
            sent_at: now,
            records: vec![record],
        };
        let outcome = push_records(state, caller, req).await?;
        if outcome.stored == 1 {
            return Ok(id);
        }
    }
    Err(ApiError::Conflict {
        code: "busy",
        field: None,
        message: "同时写入的核查结论过多，请重试".into(),
    })
}

/// The caller's console device: the earliest enrolled one still in use, or a new one.
async fn console_device(state: &AppState, caller: &Caller) -> Result<DeviceRow, ApiError> {
    let mut held: Vec<DeviceRow> = state
        .store
        .devices_of(caller.person.id)
        .await?
        .into_iter()
        .filter(|d| d.device.label == CONSOLE_DEVICE_LABEL && d.revoked_at.is_none())
        .collect();
    held.sort_by_key(|d| (d.device.enrolled_at, d.device.id));
    if let Some(d) = held.into_iter().next() {
        return Ok(d);
    }
    let now = state.clock.now();
    let device = Device {
        id: DeviceId::new(),
        person_id: caller.person.id,
        label: CONSOLE_DEVICE_LABEL.to_string(),
        enrolled_at: now,
    };
    state.store.enroll_device(&device).await?;
    let p = &caller.person;
    audit::record(
        &state.store,
        audit::new_entry(
            now,
            Some(p.id),
            Some(p.township_id),
            AuditKind::DeviceEnrolled,
            device.id.to_string(),
            serde_json::json!({"label": device.label}),
        ),
    )
    .await?;
    Ok(DeviceRow {
        device,
        contiguous_seq: 0,
        revoked_at: None,
    })
}
