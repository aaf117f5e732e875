//! 请假审批 at a desk: the leave and official-absence requests of the people the viewer may
//! decide for (the team leader of their village, the coordination office), pending first, each
//! with a form to approve or refuse it (批准 / 不批准, with a remark), written through
//! `crate::leave::decide`, the same checks as a phone's decision.

use super::page::{document, refusal};
use super::session::Viewer;
use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use zhucun_shared::ids::RecordId;
use zhucun_shared::leave::LeaveDecision;
use zhucun_shared::period::local_label;

const NOT_APPROVER: &str = "只有驻村工作队队长和协调小组办公室可以审批请假、公差。";

fn decision_code(d: LeaveDecision) -> &'static str {
    match d {
        LeaveDecision::Approved => "approved",
        LeaveDecision::Refused => "refused",
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let items = match crate::leave::requests_in_reach(&state, &viewer.caller).await {
        Ok(items) => items,
        Err(ApiError::Forbidden) => return refusal(StatusCode::FORBIDDEN, NOT_APPROVER),
        Err(e) => return e.into_response(),
    };
    let pending = items.iter().filter(|i| i.absence.decided.is_none()).count();
    let body = html! {
        main.leave {
            h1 { "请假审批" }
            p { "近 " (crate::leave::LIST_DAYS) " 天的请假、公差申请 " (items.len()) " 件，待审批 " (pending) " 件。批准的日子不计入在村工作日（R-233a）和每月到村次数（R-212）的基数；以最新的审批为准。" }
            table.queue {
                thead { tr { th { "申请人" } th { "类别" } th { "日期" } th { "天数" } th { "事由" } th { "申请时间" } th { "状态" } th { "审批" } } }
                tbody {
                    @for item in &items {
                        @let a = &item.absence;
                        tr data-request=(a.request) {
                            td { (item.person_name) }
                            td { (a.kind.label_zh()) }
                            td { (a.span_zh()) }
                            td { ((a.to - a.from).num_days() + 1) }
                            td { (a.reason) }
                            td { (local_label(a.requested_at)) }
                            td {
                                span class=(if a.is_approved() { "counted" } else { "not-counted" }) { (a.status_zh()) }
                                @if let Some(d) = &a.decided {
                                    " " (local_label(d.at))
                                    @if !d.remark.is_empty() { "：" (d.remark) }
                                }
                            }
                            td {
                                form.leave-decision method="post" action="/console/leave/decisions" {
                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                    input type="hidden" name="request_id" value=(a.request);
                                    @for d in [LeaveDecision::Approved, LeaveDecision::Refused] {
                                        label { input type="radio" name="decision" value=(decision_code(d)) required; " " (d.label_zh()) }
                                        " "
                                    }
                                    input type="text" name="remark" maxlength=(crate::leave::MAX_REMARK_CHARS) placeholder="意见（不批准时必填）";
                                    " "
                                    button type="submit" { @if a.decided.is_some() { "改为" } @else { "提交" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    document("请假审批", Some(&viewer), body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: String,
    request_id: String,
    decision: String,
    #[serde(default)]
    remark: String,
}

/// Records the decision and returns to the list, where it now shows.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(&form.csrf) {
        return refused;
    }
    let Ok(request) = form.request_id.parse::<RecordId>() else {
        return refusal(StatusCode::NOT_FOUND, "没有这件申请。");
    };
    let Some(decision) = [LeaveDecision::Approved, LeaveDecision::Refused]
        .into_iter()
        .find(|d| decision_code(*d) == form.decision)
    else {
        return refusal(StatusCode::UNPROCESSABLE_ENTITY, "请选择批准或不批准。");
    };
    match crate::leave::decide(&state, &viewer.caller, request, decision, form.remark).await {
        Ok(_) => Redirect::to("/console/leave").into_response(),
        Err(ApiError::Forbidden) => refusal(StatusCode::FORBIDDEN, NOT_APPROVER),
        Err(ApiError::NotFound(_)) => refusal(StatusCode::NOT_FOUND, "没有这件申请。"),
        Err(ApiError::Invalid { message, .. }) => {
            refusal(StatusCode::UNPROCESSABLE_ENTITY, &message)
        }
        Err(e) => e.into_response(),
    }
}
