//! The submission chain of a village's 领导挂联工作月台账: `GET` its steps for a month, `POST`
//! to take the next one (see [`crate::ledgers::submission`]). Each step taken is written to the
//! audit log. 生成 keeps the digest of the ledger generated then ([`crate::ledgers::versions`]);
//! 村确认 is refused (409 `stale`) when the ledger generated now differs from it.

use super::extract::{ApiJson, ApiQuery};
use super::ledgers::ledger_error;
use crate::app::AppState;
use crate::audit::{self, AuditKind};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ledgers::submission::{judged_by_chain, may_take, Step};
use crate::ledgers::{self, versions, Ledger};
use crate::store::{LedgerStepRow, Org, Store};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use zhucun_shared::ids::{PersonId, TownshipId, VillageId};
use zhucun_shared::period::{local_date, Period};

/// Remarks longer than this are refused.
pub const MAX_REMARKS_CHARS: usize = 500;

pub fn router(state: AppState) -> Router {
    use zhucun_shared::sync::paths;
    Router::new()
        .route(paths::LEDGER_SUBMISSIONS, get(steps).post(take_step))
        .with_state(state)
}

#[derive(Debug, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct StepsQuery {
    /// Village id.
    pub village: String,
    /// `YYYY-MM`.
    pub month: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StepRequest {
    pub village: VillageId,
    /// `YYYY-MM`: the month the ledger covers.
    pub month: String,
    /// generated (生成), confirmed (村确认), forwarded (乡报送) or received (县接收).
    pub step: String,
    /// 备注: the village's remarks on the ledger, the office's on sending it.
    #[serde(default)]
    pub remarks: String,
    /// For confirmed: the sha256 of the generated version being confirmed, as the chain shows
    /// it under its 生成 step; refused (409 `stale`) when it is not the version generated last.
    #[serde(default)]
    pub content_sha256: Option<String>,
}

/// A step taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub step: String,
    pub label_zh: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub at: DateTime<Utc>,
    pub remarks: String,
    /// The last on-time day, if the step has a deadline.
    pub due: Option<NaiveDate>,
    pub on_time: bool,
    /// For generated: the sha256 of the ledger's content as generated.
    pub content_sha256: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmissionChain {
    pub village: VillageId,
    pub month: String,
    pub steps: Vec<StepView>,
}

fn stale(message: &str) -> ApiError {
    ApiError::Conflict {
        code: "stale",
        field: Some("step".into()),
        message: message.into(),
    }
}

/// The digest of `village`'s monthly ledger for `month` as generated from the records now.
pub async fn current_sha256(
    state: &AppState,
    org: &Org,
    township: TownshipId,
    village: VillageId,
    month: Period,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let t = org
        .townships
        .iter()
        .find(|t| t.id == township)
        .cloned()
        .ok_or(ApiError::NotFound("乡镇"))?;
    let doc = ledgers::generate(
        state,
        Arc::new(org.clone()),
        &t,
        Ledger::LiaisonLedger { village, month },
        now,
    )
    .await
    .map_err(ledger_error)?;
    versions::content_sha256(&doc).map_err(ledger_error)
}

fn month_of(field: &str, s: &str, today: NaiveDate) -> ApiResult<Period> {
    match s.parse::<Period>() {
        Ok(p @ Period::Month { .. }) if p.first_day() <= today => Ok(p),
        _ => Err(ApiError::invalid(field, "须为已开始的月份 YYYY-MM")),
    }
}

/// The village's township, and the township's organisation: 404 for an unknown village.
async fn village_org(state: &AppState, village: VillageId) -> ApiResult<Org> {
    for t in state.store.townships().await? {
        let org = state.store.township_org(t.id).await?;
        if org.village(village).is_some() {
            return Ok(org);
        }
    }
    Err(ApiError::NotFound("村"))
}

async fn chain(
    state: &AppState,
    org: &Org,
    village: VillageId,
    month: Period,
) -> ApiResult<SubmissionChain> {
    let rows = state
        .store
        .ledger_steps(village, &month.to_string())
        .await?;
    let generated = versions::generated_sha256(&state.store, village, &month.to_string()).await?;
    // In the chain's order (steps taken in the same instant sort so too).
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter_map(|r| Some((Step::from_code(&r.step)?, r)))
        .collect();
    rows.sort_by_key(|(step, r)| (*step, r.at));
    let steps = rows
        .into_iter()
        .map(|(_, r)| r)
        .filter_map(|r| {
            let step = Step::from_code(&r.step)?;
            Some(StepView {
                step: r.step,
                label_zh: step.label_zh().into(),
                person_id: r.person_id,
                person_name: org
                    .person(r.person_id)
                    .map_or_else(String::new, |p| p.name.clone()),
                at: r.at,
                remarks: r.remarks,
                due: step.due(month),
                on_time: step.on_time(month, r.at),
                content_sha256: (step == Step::Generated)
                    .then(|| generated.clone())
                    .flatten(),
            })
        })
        .collect();
    Ok(SubmissionChain {
        village,
        month: month.to_string(),
        steps,
    })
}

/// Whether the caller may see the chain: anyone who may take one of its steps, or is posted
/// to the village.
fn may_see(
    caller: &Caller,
    access: &zhucun_shared::org::Access,
    org: &Org,
    village: VillageId,
    day: NaiveDate,
) -> bool {
    let township = org
        .township_of(village)
        .unwrap_or(caller.person.township_id);
    Step::ALL
        .iter()
        .any(|s| may_take(*s, village, township, &caller.assignments, access, day))
        || caller
            .assignments
            .iter()
            .any(|a| a.village_id == Some(village) && a.overlaps(day, day))
}

/// The steps a village's monthly ledger has taken up the chain.
#[utoipa::path(get, path = "/api/v1/ledger-submissions", tag = "ledgers",
    params(StepsQuery),
    responses(
        (status = 200, description = "The steps taken, in order, each with its deadline and whether it was met", body = SubmissionChain),
        (status = 403, description = "Not the village's team nor its township's or county's office", body = zhucun_shared::sync::ErrorBody),
        (status = 404, description = "No such village", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Bad village or month (field named)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn steps(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StepsQuery>,
) -> ApiResult<Json<SubmissionChain>> {
    let today = local_date(state.clock.now());
    let village: VillageId = q
        .village
        .parse()
        .map_err(|_| ApiError::invalid("village", "须为村编号（UUID）"))?;
    let month = month_of("month", &q.month, today)?;
    let org = village_org(&state, village).await?;
    let access = caller.access(&state, today).await?;
    if !may_see(&caller, &access, &org, village, today) {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(chain(&state, &org, village, month).await?))
}

/// Takes the next step of a village's monthly ledger: 生成 (again, until confirmed) by the
/// village's team or the township office, 村确认 of the version generated last by the village's
/// first secretary or team leader, 乡报送 by the township office, 县接收 by the county office.
#[utoipa::path(post, path = "/api/v1/ledger-submissions", tag = "ledgers",
    request_body = StepRequest,
    responses(
        (status = 200, description = "The chain with the step taken", body = SubmissionChain),
        (status = 403, description = "The caller does not hold the office for this step", body = zhucun_shared::sync::ErrorBody),
        (status = 404, description = "No such village", body = zhucun_shared::sync::ErrorBody),
        (status = 409, description = "The step was taken already (code already_taken; 生成 once the village confirmed), the one before it was not (code out_of_order), or the ledger to confirm is not the one generated last (code stale: its records changed since, or content_sha256 names another version)", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Bad month, step or remarks (field named)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn take_step(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<StepRequest>,
) -> ApiResult<Json<SubmissionChain>> {
    let now = state.clock.now();
    let today = local_date(now);
    let month = month_of("month", &req.month, today)?;
    let step = Step::from_code(&req.step).ok_or_else(|| {
        ApiError::invalid("step", "须为 generated、confirmed、forwarded 或 received")
    })?;
    let remarks = req.remarks.trim().to_string();
    if remarks.chars().count() > MAX_REMARKS_CHARS
        || remarks.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(ApiError::invalid(
            "remarks",
            "备注不超过 500 字，且不含控制字符",
        ));
    }
    let org = village_org(&state, req.village).await?;
    let township = org
        .township_of(req.village)
        .ok_or(ApiError::NotFound("村"))?;
    let access = caller.access(&state, today).await?;
    if !may_take(
        step,
        req.village,
        township,
        &caller.assignments,
        &access,
        today,
    ) {
        return Err(ApiError::Forbidden);
    }
    let key = month.to_string();
    let taken = state.store.ledger_steps(req.village, &key).await?;
    if let Some(before) = step.after() {
        if !taken.iter().any(|r| r.step == before.code()) {
            return Err(ApiError::Conflict {
                code: "out_of_order",
                field: Some("step".into()),
                message: format!("须先完成「{}」", before.label_zh()),
            });
        }
    }
    let row = LedgerStepRow {
        village_id: req.village,
        month: key.clone(),
        step: step.code().into(),
        person_id: caller.person.id,
        at: now,
        remarks: remarks.clone(),
    };
    // 生成 keeps the digest of the ledger as generated now; 村确认 confirms that version only.
    let mut digest = None;
    match step {
        Step::Generated => {
            let sha = current_sha256(&state, &org, township, req.village, month, now).await?;
            if !versions::put_generated(&state.store, &row, &sha).await? {
                return Err(ApiError::Conflict {
                    code: "already_taken",
                    field: Some("step".into()),
                    message: "台账已由村确认，不能重新生成".into(),
                });
            }
            digest = Some(sha);
        }
        Step::Confirmed => {
            let generated = versions::generated_sha256(&state.store, req.village, &key)
                .await?
                .unwrap_or_default();
            if req.content_sha256.as_ref().is_some_and(|s| *s != generated) {
                return Err(stale("所确认的不是最近生成的台账，请刷新后确认"));
            }
            let now_sha = current_sha256(&state, &org, township, req.village, month, now).await?;
            if now_sha != generated {
                return Err(stale("台账内容已变更，请重新生成后确认"));
            }
            digest = Some(generated);
        }
        Step::Forwarded | Step::Received => {}
    }
    // The verdicts that follow this village's chain for the month are queued with the step.
    let (catalogue, _) = state.policy_for(month);
    let marks: Vec<_> = judged_by_chain(&org, &catalogue, req.village, month)
        .into_iter()
        .map(|p| (p, key.clone()))
        .collect();
    if step != Step::Generated && !state.store.put_ledger_step(&row, &marks).await? {
        return Err(ApiError::Conflict {
            code: "already_taken",
            field: Some("step".into()),
            message: format!("「{}」已完成", step.label_zh()),
        });
    }
    audit::record(
        &state.store,
        audit::new_entry(
            now,
            Some(caller.person.id),
            Some(township),
            AuditKind::LedgerStep,
            format!("{}/{key}", req.village),
            serde_json::json!({
                "step": step.code(),
                "remarks": remarks,
                "on_time": step.on_time(month, now),
                "content_sha256": digest,
            }),
        ),
    )
    .await?;
    Ok(Json(chain(&state, &org, req.village, month).await?))
}
