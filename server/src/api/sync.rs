//! The sync protocol: push a device's records, pull what the phone needs offline.

use super::extract::{ApiJson, ApiQuery};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::evaluation::Loaded;
use crate::store::{IncomingRecord, Org, Store};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use zhucun_shared::ids::{PersonId, RecordId, TownshipId, VillageId};
use zhucun_shared::org::jurisdiction::township_wide;
use zhucun_shared::org::{Assignment, Household};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::record::{earliest_plausible_time, RecordBody, ServerReceipt};
use zhucun_shared::sync::{
    pushed_field, DeviceWatermark, PullResponse, PushRequest, PushResponse, MAX_PUSH_RECORDS,
    PROTOCOL_VERSION,
};

pub fn router(state: AppState) -> Router {
    use zhucun_shared::sync::paths;
    Router::new()
        .route(paths::PUSH, post(push))
        .route(paths::PULL, get(pull))
        .with_state(state)
}

/// Checks a push and stamps its records; any problem refuses the whole batch, naming the field.
pub fn prepare_push(
    req: PushRequest,
    owner: zhucun_shared::ids::PersonId,
    now: DateTime<Utc>,
) -> ApiResult<Vec<IncomingRecord>> {
    if req.protocol != PROTOCOL_VERSION {
        return Err(ApiError::invalid(
            "protocol",
            format!("服务器支持协议版本 {PROTOCOL_VERSION}，请更新应用"),
        ));
    }
    if req.records.len() > MAX_PUSH_RECORDS {
        return Err(ApiError::invalid(
            "records",
            format!("一次最多上传 {MAX_PUSH_RECORDS} 条记录"),
        ));
    }
    if req.sent_at < earliest_plausible_time() || req.sent_at > now + Duration::days(1) {
        return Err(ApiError::invalid(
            "sent_at",
            "手机时间不合理（早于 2020 年或晚于服务器时间一天以上）",
        ));
    }
    let receipt = ServerReceipt {
        received_at: now,
        clock_offset_s: (now - req.sent_at).num_seconds(),
    };
    let mut out = Vec::with_capacity(req.records.len());
    for (i, mut r) in req.records.into_iter().enumerate() {
        if r.device_id != req.device_id {
            return Err(ApiError::invalid(
                pushed_field(i, "device_id"),
                "与本次上传的设备不符",
            ));
        }
        if r.person_id != owner {
            return Err(ApiError::invalid(
                pushed_field(i, "person_id"),
                "记录须属于设备登记人",
            ));
        }
        if r.seq > i64::MAX as u64 {
            return Err(ApiError::invalid(pushed_field(i, "seq"), "序号过大"));
        }
        r.validate(now).map_err(|e| ApiError::Invalid {
            field: pushed_field(i, &e.field),
            message: e.problem,
        })?;
        // The phone never sends a receipt; one it did send is not its to set.
        r.received = None;
        let content_hash = r.content_hash();
        r.received = Some(receipt);
        out.push(IncomingRecord {
            record: r,
            content_hash,
        });
    }
    Ok(out)
}

/// Refuses records naming a village their author was not posted to on the record's day (for a
/// report, at some time of its period): activities, reports and village events count toward
/// that village's verdicts. `assignments` are the author's, loaded once per push. Supervisors
/// and the office work township-wide: any village of their township (`township_of`, which
/// needs to hold only those townships' villages) is theirs.
pub fn check_villages(
    records: &[IncomingRecord],
    assignments: &[Assignment],
    township_of: &HashMap<VillageId, TownshipId>,
) -> ApiResult<()> {
    for (i, inc) in records.iter().enumerate() {
        let (village, from, to) = match &inc.record.body {
            RecordBody::Activity {
                village_id: Some(v),
                held_on,
                ..
            } => (*v, *held_on, *held_on),
            RecordBody::VillageEvent {
                village_id,
                occurred_at,
                ..
            } => {
                let day = local_date(*occurred_at);
                (*village_id, day, day)
            }
            RecordBody::Report {
                village_id: Some(v),
                period,
                ..
            } => (*v, period.first_day(), period.last_day()),
            _ => continue,
        };
        if !posted(assignments, township_of, village, from, to) {
            return Err(ApiError::invalid(
                pushed_field(i, "body.village_id"),
                "记录所涉村不在本人该日的驻村任职范围内",
            ));
        }
    }
    Ok(())
}

/// Whether `assignments` post their holder to `village` at some time of `from..=to`, or
/// township-wide over its township.
fn posted(
    assignments: &[Assignment],
    township_of: &HashMap<VillageId, TownshipId>,
    village: VillageId,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> bool {
    assignments.iter().any(|a| {
        a.overlaps(from, to)
            && match a.village_id {
                Some(v) => v == village,
                None => township_wide(a.role) && township_of.get(&village) == Some(&a.township_id),
            }
    })
}

/// Refuses a check-in linked to a 四必到 event (a household check-in's `event`, an on-site
/// record's `attached_to`) that names a record which is not an event, or an event of a village
/// the author is not posted to on the check-in's day: it would be a write on another team's
/// event. An on-site record may also be attached to its author's own activity (a supervisor's
/// 巡视 or 督查 made in the village). An id the server does not hold yet is taken in: refusing it would stop the phone's
/// log behind it and lose the capture, and the verdicts count a link only to an event of the
/// team's village that they hold, so it counts for nothing until such an event arrives.
async fn check_event_links(
    state: &AppState,
    records: &[IncomingRecord],
    assignments: &[Assignment],
    township_of: &HashMap<VillageId, TownshipId>,
) -> ApiResult<()> {
    let link = |inc: &IncomingRecord| match &inc.record.body {
        RecordBody::HouseholdCheckIn { event: Some(e), .. } => Some((*e, "body.event")),
        RecordBody::OnSite { attached_to, .. } => Some((*attached_to, "body.attached_to")),
        _ => None,
    };
    let in_batch: HashMap<RecordId, &zhucun_shared::record::DeviceRecord> =
        records.iter().map(|r| (r.record.id, &r.record)).collect();
    let wanted: Vec<RecordId> = records
        .iter()
        .filter_map(link)
        .map(|(e, _)| e)
        .filter(|e| !in_batch.contains_key(e))
        .collect();
    let authors = if wanted.is_empty() {
        HashMap::new()
    } else {
        state.store.record_authors(&wanted).await?
    };
    for (i, inc) in records.iter().enumerate() {
        let Some((target, field)) = link(inc) else {
            continue;
        };
        let own = |author: PersonId| author == inc.record.person_id;
        let held = match in_batch.get(&target) {
            Some(r) => Some((*r).clone()),
            None => match authors.get(&target) {
                None => continue, // not on the server yet: taken in, counted for nothing
                Some((author, at)) => state
                    .store
                    .records_except_fixes_of(*author, *at, *at + Duration::milliseconds(1))
                    .await?
                    .into_iter()
                    .find(|r| r.id == target),
            },
        };
        let day = local_date(inc.record.captured_at);
        let on_site = field == "body.attached_to";
        let allowed = held.is_some_and(|r| match r.body {
            RecordBody::VillageEvent { village_id, .. } => {
                posted(assignments, township_of, village_id, day, day)
            }
            RecordBody::Activity { .. } => on_site && own(r.person_id),
            _ => false,
        });
        if !allowed {
            return Err(ApiError::invalid(
                pushed_field(i, field),
                "所到场的记录不是本人驻村范围内的四必到事件",
            ));
        }
    }
    Ok(())
}

/// Refuses notes attached to a record their author may not see: a note is a write on that
/// record (a checker's note on a spot-check item is its finding). The record must be held
/// already, or be the author's own in the same batch; an unknown record and one out of the
/// author's jurisdiction are refused alike, so the answer does not tell which ids exist.
/// Answers the notes on someone else's record (spot-check findings): the note, the record it
/// is attached to, and that record's author.
async fn check_notes(
    state: &AppState,
    caller: &Caller,
    records: &[IncomingRecord],
    today: chrono::NaiveDate,
) -> ApiResult<Vec<Finding>> {
    let in_batch: BTreeSet<RecordId> = records.iter().map(|r| r.record.id).collect();
    let attached = |inc: &IncomingRecord| match &inc.record.body {
        RecordBody::Note { attached_to, .. } => Some(*attached_to),
        _ => None,
    };
    let wanted: Vec<RecordId> = records
        .iter()
        .filter_map(attached)
        .filter(|id| !in_batch.contains(id))
        .collect();
    // A leave decision on a request of the same batch is the caller's own request.
    for (i, inc) in records.iter().enumerate() {
        if is_leave_decision(inc) && attached(inc).is_some_and(|t| in_batch.contains(&t)) {
            return Err(ApiError::invalid(
                pushed_field(i, "body.attached_to"),
                "不能审批本人的申请",
            ));
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut findings = Vec::new();
    let authors = state.store.record_authors(&wanted).await?;
    let access = caller.access(state, today).await?;
    let mut authors_of: HashMap<PersonId, Option<(zhucun_shared::org::Person, Vec<Assignment>)>> =
        HashMap::new();
    for (i, inc) in records.iter().enumerate() {
        let Some(target) = attached(inc) else {
            continue;
        };
        if in_batch.contains(&target) {
            continue; // the caller's own, like every record of the batch
        }
        let visible = match authors.get(&target) {
            None => false,
            Some((author, _)) if *author == caller.person.id => true,
            Some((author, captured_at)) => {
                if !authors_of.contains_key(author) {
                    let held = match state.store.person(*author).await? {
                        Some(p) => Some((p, state.store.assignments_of(*author).await?)),
                        None => None,
                    };
                    authors_of.insert(*author, held);
                }
                let day = local_date(*captured_at);
                authors_of[author]
                    .as_ref()
                    .is_some_and(|(p, posted)| access.can_see(p, posted, day, day))
            }
        };
        if !visible {
            return Err(ApiError::invalid(
                pushed_field(i, "body.attached_to"),
                "所附记录不存在或不在本人查看范围内",
            ));
        }
        if is_leave_decision(inc) {
            let (author, captured_at) = authors[&target];
            let requester = authors_of.get(&author).and_then(|held| held.as_ref());
            check_leave_decision(
                state,
                caller,
                i,
                target,
                author,
                captured_at,
                requester,
                today,
            )
            .await?;
        }
        if let Some((author, _)) = authors.get(&target) {
            if *author != caller.person.id {
                let township = authors_of
                    .get(author)
                    .and_then(|held| held.as_ref().map(|(p, _)| p.township_id));
                findings.push(Finding {
                    note: inc.record.id,
                    attached_to: target,
                    author: *author,
                    township,
                });
            }
        }
    }
    Ok(findings)
}

fn is_leave_decision(inc: &IncomingRecord) -> bool {
    matches!(
        inc.record.body,
        RecordBody::Note {
            kind: Some(zhucun_shared::record::NoteKind::LeaveDecision { .. }),
            ..
        }
    )
}

/// A leave decision (请假审批) is stored only on a leave request of someone else whom the
/// caller may decide for: the team leader of their village or the coordination office
/// ([`zhucun_shared::leave::LEAVE_APPROVERS`]); anything else is refused, naming the field.
#[allow(clippy::too_many_arguments)]
async fn check_leave_decision(
    state: &AppState,
    caller: &Caller,
    i: usize,
    target: RecordId,
    author: PersonId,
    captured_at: DateTime<Utc>,
    requester: Option<&(zhucun_shared::org::Person, Vec<Assignment>)>,
    today: chrono::NaiveDate,
) -> ApiResult<()> {
    if author == caller.person.id {
        return Err(ApiError::invalid(
            pushed_field(i, "body.attached_to"),
            "不能审批本人的申请",
        ));
    }
    let held = state
        .store
        .records_of(author, captured_at, captured_at + Duration::seconds(1))
        .await?;
    if !held
        .iter()
        .any(|r| r.id == target && matches!(r.body, RecordBody::LeaveRequest { .. }))
    {
        return Err(ApiError::invalid(
            pushed_field(i, "body.attached_to"),
            "请假审批只能附在请假、公差申请上",
        ));
    }
    let approver: Vec<Assignment> = caller
        .assignments
        .iter()
        .filter(|a| zhucun_shared::leave::LEAVE_APPROVERS.contains(&a.role))
        .cloned()
        .collect();
    let access = crate::auth::access_of(&state.store, &caller.person, &approver, today).await?;
    let day = local_date(captured_at);
    if !requester.is_some_and(|(p, posted)| access.can_see(p, posted, day, day)) {
        return Err(ApiError::invalid(
            pushed_field(i, "body.kind"),
            "只有申请人所在村的工作队队长或协调小组办公室可以审批",
        ));
    }
    Ok(())
}

/// A note a checker attached to someone else's record.
struct Finding {
    note: RecordId,
    attached_to: RecordId,
    author: PersonId,
    township: Option<TownshipId>,
}

/// Writes an audit entry for each finding stored by this push (not one held before it).
async fn audit_findings(
    state: &AppState,
    caller: &Caller,
    findings: &[Finding],
    held_before: &HashMap<RecordId, (PersonId, chrono::DateTime<chrono::Utc>)>,
    outcome: &crate::store::PushOutcome,
) -> ApiResult<()> {
    use crate::audit::{self, AuditKind};
    let now = state.clock.now();
    for f in findings {
        if held_before.contains_key(&f.note) || outcome.conflicts.iter().any(|c| c.id == f.note) {
            continue;
        }
        let detail = serde_json::json!({
            "attached_to": f.attached_to.to_string(),
            "author": f.author.to_string(),
        });
        let entry = audit::new_entry(
            now,
            Some(caller.person.id),
            f.township,
            AuditKind::Finding,
            f.note.to_string(),
            detail,
        );
        audit::record(&state.store, entry).await?;
    }
    Ok(())
}

/// Push a batch of one device's records.
///
/// Validation is atomic: one bad record refuses the whole batch with 422 and the path of the
/// field (`records[3].body.fix.lat`); nothing is stored. Otherwise the batch is answered per
/// record, in one transaction: records already held identically count as duplicates, records
/// whose (device, seq) or id is held with other content are listed as conflicts and not stored,
/// all others are stored. Resending a batch is always safe.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync",
    request_body(content = PushRequest, description = "One device's records, at most 2000; protocol is 1, sent_at the phone's clock"),
    responses(
        (status = 200, description = "Counts of records stored and already held, the conflicts, and per device contiguous_seq, the highest seq such that the server holds 1..=seq: the phone may drop those from its queue.", body = PushResponse),
        (status = 400, description = "Body is not JSON", body = zhucun_shared::sync::ErrorBody),
        (status = 401, description = "No valid token", body = zhucun_shared::sync::ErrorBody),
        (status = 403, description = "The device belongs to someone else", body = zhucun_shared::sync::ErrorBody),
        (status = 413, description = "Body too large", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "A field is invalid (including a village the author was not posted to on the record's day: records[i].body.village_id; a check-in linked to a record that is not a 四必到 event of the author's villages: records[i].body.event or records[i].body.attached_to); ErrorBody.field names it; nothing was stored", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PushRequest>,
) -> ApiResult<Json<PushResponse>> {
    Ok(Json(push_records(&state, &caller, req).await?))
}

/// A push by `caller` of their own device's batch, checked, stored and audited as the route
/// answers it; also the path of records the server writes on a person's behalf (the review
/// console's findings), so that they meet the same checks and queue the same verdicts.
pub async fn push_records(
    state: &AppState,
    caller: &Caller,
    req: PushRequest,
) -> ApiResult<PushResponse> {
    let now = state.clock.now();
    let device = state
        .store
        .device(req.device_id)
        .await?
        .ok_or_else(|| ApiError::invalid("device_id", "设备未登记，请先登记设备"))?;
    if device.device.person_id != caller.person.id {
        return Err(ApiError::Forbidden);
    }
    if device.revoked_at.is_some() {
        return Err(ApiError::Conflict {
            code: "device_revoked",
            field: Some("device_id".into()),
            message: "此设备已停用，不能再上传；如仍在使用，请退出登录后重新登录以重新登记设备"
                .into(),
        });
    }
    let device_id = req.device_id;
    let incoming = prepare_push(req, caller.person.id, now)?;
    let mut township_of = HashMap::new();
    let townships: BTreeSet<TownshipId> = caller
        .assignments
        .iter()
        .filter(|a| a.village_id.is_none() && township_wide(a.role))
        .map(|a| a.township_id)
        .collect();
    for t in townships {
        for v in state.store.township_org(t).await?.villages {
            township_of.insert(v.id, t);
        }
    }
    check_villages(&incoming, &caller.assignments, &township_of)?;
    check_event_links(state, &incoming, &caller.assignments, &township_of).await?;
    super::photos::check_record_files(state, caller, &incoming).await?;
    let findings = check_notes(state, caller, &incoming, local_date(now)).await?;
    let held_before = if findings.is_empty() {
        HashMap::new()
    } else {
        let notes: Vec<RecordId> = findings.iter().map(|f| f.note).collect();
        state.store.record_authors(&notes).await?
    };
    let outcome = state.store.push_records(device_id, &incoming).await?;
    audit_findings(state, caller, &findings, &held_before, &outcome).await?;
    if outcome.stored > 0 {
        state.verdict_work.notify_one();
    }
    state.metrics.count_records("stored", outcome.stored.into());
    state
        .metrics
        .count_records("duplicate", outcome.duplicates.into());
    state
        .metrics
        .count_records("conflict", outcome.conflicts.len() as u64);
    if !outcome.conflicts.is_empty() {
        tracing::warn!(device = %device_id, conflicts = outcome.conflicts.len(), "push with conflicts");
    }
    let devices = watermarks(state, caller.person.id).await?;
    Ok(PushResponse {
        stored: outcome.stored,
        duplicates: outcome.duplicates,
        conflicts: outcome.conflicts,
        devices,
        received_at: now,
    })
}

async fn watermarks(
    state: &AppState,
    person: zhucun_shared::ids::PersonId,
) -> ApiResult<Vec<DeviceWatermark>> {
    Ok(state
        .store
        .devices_of(person)
        .await?
        .into_iter()
        .map(|d| DeviceWatermark {
            device_id: d.device.id,
            contiguous_seq: d.contiguous_seq,
        })
        .collect())
}

pub use zhucun_shared::sync::PullQuery;

/// The part of the township a phone keeps offline: the villages (and their households) of the
/// caller's postings active `today`, the whole township for a supervisor or admin, and the
/// households the caller is paired with today wherever they are (`elsewhere` holds those
/// outside `org`).
fn phone_view(
    org: &Org,
    caller: &Caller,
    today: chrono::NaiveDate,
    elsewhere: Vec<Household>,
) -> PullResponse {
    let me = caller.person.id;
    let township_wide = caller
        .assignments
        .iter()
        .any(|a| township_wide(a.role) && a.overlaps(today, today));
    let my_villages: BTreeSet<_> = org.villages_of(me, today, today).into_iter().collect();
    let villages: Vec<_> = org
        .villages
        .iter()
        .filter(|v| township_wide || my_villages.contains(&v.id))
        .cloned()
        .collect();
    let village_ids: BTreeSet<_> = villages.iter().map(|v| v.id).collect();
    let paired = org.paired(me, today, today);
    let mut households: Vec<Household> = org
        .households
        .iter()
        .filter(|h| village_ids.contains(&h.village_id) || paired.contains(&h.id))
        .cloned()
        .collect();
    households.extend(elsewhere);
    PullResponse {
        cursor: String::new(),
        changed: true,
        me: Some(caller.person.clone()),
        org: Org {
            townships: org.townships.clone(),
            people: Vec::new(),
            assignments: caller.assignments.clone(),
            households,
            villages,
            pairings: org
                .pairings
                .iter()
                .filter(|p| p.person_id == me)
                .cloned()
                .collect(),
        },
        rules_toml: String::new(),
        calendar_toml: String::new(),
        verdicts: Vec::new(),
        devices: Vec::new(),
        findings: Vec::new(),
        ledger_steps: Vec::new(),
        team_events: Vec::new(),
    }
}

/// A digest of the reference data: equal cursors mean the phone already has it.
fn cursor_of(view: &PullResponse) -> String {
    let mut h = Sha256::new();
    let parts = (
        &view.me,
        &view.org.townships,
        &view.org.assignments,
        &view.org.villages,
        &view.org.households,
        &view.org.pairings,
        &view.org.people,
    );
    h.update(serde_json::to_vec(&parts).expect("reference data serialises"));
    h.update(view.rules_toml.as_bytes());
    h.update(view.calendar_toml.as_bytes());
    format!("v1-{}", &hex::encode(h.finalize())[..32])
}

/// Pull what the phone needs offline: the caller's assignments, the boundaries and households
/// of their villages, their pairings, the rules file and the calendar (only when changed since
/// `cursor`), and always the caller's latest verdicts (this month and last), the spot-check
/// findings in force on the caller's records, and watermarks.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync",
    params(("cursor" = Option<String>, Query, description = "The cursor of the last pull; omitted on the first")),
    responses((status = 200, description = "changed=false (and empty reference data) when the cursor is current; verdicts, findings and devices are always filled.", body = PullResponse)),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> ApiResult<Json<PullResponse>> {
    if q.cursor.as_ref().is_some_and(|c| c.len() > 128) {
        return Err(ApiError::invalid("cursor", "游标过长"));
    }
    let now = state.clock.now();
    let today = local_date(now);
    let org = std::sync::Arc::new(state.store.township_org(caller.person.township_id).await?);
    let mut elsewhere = Vec::new();
    for h in org.paired(caller.person.id, today, today) {
        if org.households.iter().all(|o| o.id != h) {
            elsewhere.extend(state.store.household(h).await?);
        }
    }
    let mut view = phone_view(&org, &caller, today, elsewhere);
    (view.rules_toml, view.calendar_toml) = state.policy_texts_this_month();
    let this_month = Period::month(today.year(), today.month());
    let last_day_before = this_month.first_day() - Duration::days(1);
    let last_month = Period::month(last_day_before.year(), last_day_before.month());
    // Both months read the same records (from the start of the year): once.
    let mut loaded = Loaded::default();
    // From the start of this month's year, less a month: last month too.
    let findings = crate::evaluation::own_findings(
        &state,
        &org,
        caller.person.id,
        this_month,
        now,
        &mut loaded,
    )
    .await?;
    // The team's 四必到 events (not subject to the cursor).
    let team_events = team_events(&state, &org, &caller, now).await?;
    // Who wrote them (checkers, approvers), so that the phone's own verdicts name them as the
    // server's do; and the teammates who recorded or attended an event, so that the phone's
    // list names them.
    let mut authors: BTreeSet<PersonId> = findings.iter().map(|f| f.by).collect();
    authors.extend(
        team_events
            .iter()
            .map(|r| r.person_id)
            .filter(|p| *p != caller.person.id),
    );
    for by in authors {
        if let Some(p) = state.store.person(by).await? {
            view.org.people.push(p);
        }
    }
    view.cursor = cursor_of(&view);
    if q.cursor.as_deref() == Some(view.cursor.as_str()) {
        view = PullResponse {
            cursor: view.cursor,
            changed: false,
            ..PullResponse::default()
        };
    }
    for month in [this_month, last_month] {
        let report = crate::verdicts::report(
            &state,
            org.clone(),
            caller.person.id,
            month,
            now,
            &mut loaded,
        );
        view.verdicts.push(report.await?);
    }
    view.findings = findings;
    // The chains R-32 follows in the months the phone evaluates.
    for month in [last_month, this_month] {
        let steps =
            crate::evaluation::chain_steps(&state, &org, caller.person.id, month, &mut loaded);
        view.ledger_steps.extend(steps.await?);
    }
    view.devices = watermarks(&state, caller.person.id).await?;
    view.team_events = team_events;
    Ok(Json(view))
}

/// The 四必到 events of the villages `caller` is posted to today that may still be attended or
/// are shown overdue, with the team's check-ins linked to them and the retractions of either
/// ([`zhucun_shared::events::team_event_records`]): any member may attend an event a teammate
/// recorded, and the team's first attendance is what R-241 counts. Nothing without the rule or
/// a village.
async fn team_events(
    state: &AppState,
    org: &Org,
    caller: &Caller,
    now: DateTime<Utc>,
) -> ApiResult<Vec<zhucun_shared::record::DeviceRecord>> {
    let today = local_date(now);
    let villages = org.villages_of(caller.person.id, today, today);
    let (catalogue, _) = state.policy_this_month();
    let Some(within) = zhucun_shared::events::attend_within_days(&catalogue) else {
        return Ok(Vec::new());
    };
    if villages.is_empty() {
        return Ok(Vec::new());
    }
    let since = zhucun_shared::events::listed_since(today, within);
    let from = zhucun_shared::period::day_start(since);
    let to = now + Duration::days(1);
    // Whose check-ins the verdicts count for the team: its members and the cadres paired
    // with its households.
    let mut records = Vec::new();
    for p in org.team_of(caller.person.id, since, today) {
        records.extend(state.store.records_except_fixes_of(p, from, to).await?);
    }
    Ok(zhucun_shared::events::team_event_records(
        &records, &villages, since,
    ))
}
