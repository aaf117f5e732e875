//! 请假审批: the leave and official-absence requests the caller may decide, for the team
//! leader's phone. Decisions travel as notes in the approver's own log (push), checked there.

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use zhucun_shared::leave::LeaveItem;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(zhucun_shared::sync::paths::LEAVE, get(requests))
        .with_state(state)
}

/// The requests of the last 120 days by the people the caller may decide for (the team leader
/// of their village, the coordination office), pending first, each with the decision standing
/// on it. A decision is a note of kind `leave_decision` attached to the request, pushed from
/// the approver's device.
#[utoipa::path(get, path = "/api/v1/leave", tag = "reports",
    responses(
        (status = 200, description = "Pending first, then by first day", body = Vec<LeaveItem>),
        (status = 401, description = "No valid token", body = zhucun_shared::sync::ErrorBody),
        (status = 403, description = "The caller decides no leave (neither team leader nor coordination office)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn requests(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<LeaveItem>>> {
    Ok(Json(
        crate::leave::requests_in_reach(&state, &caller).await?,
    ))
}
