//! 审计日志: the audit log, for the county office (its county's townships, and the server-wide
//! entries) and supervisors (their township), paged by seq.

use super::extract::ApiQuery;
use crate::app::AppState;
use crate::audit::AuditEntryView;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::store::{AuditScope, Store};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use zhucun_shared::period::local_date;
use zhucun_shared::role::Role;

pub use zhucun_shared::sync::paths::AUDIT;

/// Most entries in one page.
pub const MAX_AUDIT_PAGE: u32 = 1000;

pub fn router(state: AppState) -> Router {
    Router::new().route(AUDIT, get(audit)).with_state(state)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Entries after this seq (default 0: from the first).
    pub since: Option<i64>,
    /// Most entries to answer, 1..=1000 (default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// By seq; only the caller's townships', so seqs may skip.
    pub entries: Vec<AuditEntryView>,
    /// Ask again with `since` this for the next page; none when this page is the last.
    pub next_since: Option<i64>,
}

/// The audit log within the caller's jurisdiction: an admin's county (and the server-wide
/// entries: rules, calendar, rebuilds), a supervisor's township.
#[utoipa::path(get, path = "/api/v1/audit", tag = "reports",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries, by seq", body = AuditPage),
        (status = 403, description = "Neither admin nor supervisor today", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Bad since or limit (field since or limit)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let since = q.since.unwrap_or(0);
    if since < 0 {
        return Err(ApiError::invalid("since", "不得为负数"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("须为 1 至 {MAX_AUDIT_PAGE}"),
        ));
    }
    let today = local_date(state.clock.now());
    let roles = caller.roles_on(today);
    let admin = roles.contains(&Role::Admin);
    if !admin && !roles.contains(&Role::Supervisor) {
        return Err(ApiError::Forbidden);
    }
    let access = caller.access(&state, today).await?;
    let scope = AuditScope {
        townships: access.whole_townships().collect(),
        unscoped: admin,
    };
    let page = state
        .store
        .audit_entries(since, limit, Some(&scope))
        .await?;
    let next_since = (page.len() == limit as usize)
        .then(|| page.last().map(|e| e.seq))
        .flatten();
    Ok(Json(AuditPage {
        entries: page.iter().map(AuditEntryView::from).collect(),
        next_since,
    }))
}
