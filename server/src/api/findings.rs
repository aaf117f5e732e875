//! 核查结论: a checker records a spot-check finding on a record from a desk.

use super::extract::ApiJson;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use zhucun_shared::sync::{FindingRequest, FindingResponse};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(zhucun_shared::sync::paths::FINDINGS, post(record))
        .with_state(state)
}

/// Record a finding (核查结论) on a record of someone in the caller's jurisdiction: confirmed
/// on site, confirmed by phone, not confirmed (the record is then rejected in every verdict,
/// with the comment as the reason) or flag dismissed. Written as a note in the caller's own
/// log; the spot-check item of the record is closed by it.
#[utoipa::path(post, path = "/api/v1/findings", tag = "reports",
    request_body(content = FindingRequest, description = "The record judged, the outcome and a comment (required when not confirmed)"),
    responses(
        (status = 201, description = "Recorded; the judged record's verdicts are re-evaluated", body = FindingResponse),
        (status = 401, description = "No valid token", body = zhucun_shared::sync::ErrorBody),
        (status = 403, description = "The caller is no checker (team or liaison leader, supervisor, county office)", body = zhucun_shared::sync::ErrorBody),
        (status = 404, description = "No such record within the caller's jurisdiction (unknown and out of reach alike)", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "A field is invalid (record_id: the caller's own record; comment: too long, or missing for not confirmed; outcome)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<FindingRequest>,
) -> ApiResult<(StatusCode, Json<FindingResponse>)> {
    let finding_id =
        crate::findings::record_finding(&state, &caller, req.record_id, req.outcome, req.comment)
            .await?;
    Ok((StatusCode::CREATED, Json(FindingResponse { finding_id })))
}
