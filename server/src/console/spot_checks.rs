//! 抽查 at a desk: the spot-check queue of any month (flagged records first, then the routine
//! sample), each item with the day's map, the visit's photos and the verdicts' answer, and a
//! form for the checker's structured finding — 现场核实属实, 电话核实属实, 核查不属实 (the
//! record is rejected in every verdict, with the finding as its reason) or 标记解除 — written
//! through `crate::findings`, the same path as the API's.

use super::page::{document, refusal};
use super::session::Viewer;
use crate::api::extract::ApiQuery;
use crate::api::reports::month_param;
use crate::api::spot_checks::SpotCheckQuery;
use crate::app::AppState;
use crate::error::ApiError;
use crate::store::Store;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::org::jurisdiction::CHECKERS;
use zhucun_shared::period::{local_date, local_time};
use zhucun_shared::record::FindingOutcome;
use zhucun_shared::spot_check::{SpotCheckItem, SpotCheckQueue};

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    month: Option<String>,
    seed: Option<u64>,
}

fn outcome_code(o: FindingOutcome) -> &'static str {
    match o {
        FindingOutcome::ConfirmedOnSite => "confirmed_on_site",
        FindingOutcome::ConfirmedByPhone => "confirmed_by_phone",
        FindingOutcome::NotConfirmed => "not_confirmed",
        FindingOutcome::Dismissed => "dismissed",
    }
}

/// The queue of `month` as the API answers it, for `viewer`; refused to a non-checker.
async fn queue_of(
    state: &AppState,
    viewer: &Viewer,
    month: Option<String>,
    seed: Option<u64>,
) -> Result<SpotCheckQueue, Response> {
    if !viewer.roles.iter().any(|r| CHECKERS.contains(r)) {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "只有督查、联络领导和工作队长可以抽查。",
        ));
    }
    let month = month.filter(|m| !m.is_empty());
    if month_param(month.as_deref(), state.clock.now()).is_err() {
        return Err(refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "月份须为 YYYY-MM 格式，例如 2026-11。",
        ));
    }
    crate::api::spot_checks::spot_checks(
        State(state.clone()),
        viewer.caller.clone(),
        ApiQuery(SpotCheckQuery { month, seed }),
    )
    .await
    .map(|j| j.0)
    .map_err(IntoResponse::into_response)
}

/// When each item's first record was captured: the day its map opens on.
async fn days_of(
    state: &AppState,
    items: &[SpotCheckItem],
) -> Result<HashMap<RecordId, (PersonId, chrono::NaiveDate)>, ApiError> {
    let firsts: Vec<RecordId> = items
        .iter()
        .filter_map(|i| i.records.first().copied())
        .collect();
    Ok(state
        .store
        .record_authors(&firsts)
        .await?
        .into_iter()
        .map(|(id, (p, at))| (id, (p, local_date(at))))
        .collect())
}

pub async fn queue_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> Response {
    let queue = match queue_of(&state, &viewer, q.month.clone(), q.seed).await {
        Ok(queue) => queue,
        Err(r) => return r,
    };
    let days = match days_of(&state, &queue.items).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let month = queue.period.to_string();
    let seed = q.seed.unwrap_or(0);
    let open = queue.items.iter().filter(|i| i.finding.is_none()).count();
    let body = html! {
        main.spot-checks {
            h1 { "抽查 · " (month) }
            form.filters method="get" action="/console/spot-checks" {
                label { "月份" input type="month" name="month" value=(month); }
                label { "抽样种子" input type="number" name="seed" min="0" value=(seed) title="0 为本月固定样本；换一个数重新抽样，同一个数总抽出同一批"; }
                button type="submit" { "查看" }
            }
            p { (queue.items.len()) " 项，待核查 " (open) " 项。异常标记在前，随机抽查在后；有异常标记的人员抽查比例按风险提高。" }
            table.queue {
                thead { tr { th { "人员" } th { "原因" } th { "说明" } th { "日期" } th { "核查结论" } th {} } }
                tbody {
                    @for item in &queue.items {
                        @let first = item.records.first().copied();
                        @let day = first.and_then(|r| days.get(&r)).map(|(_, d)| *d);
                        tr data-record=[first] {
                            td { a href=(format!("/console/people/{}?month={month}", item.person_id)) { (item.person_name) } }
                            td { span.badge { (item.reason.label_zh()) } }
                            td { (item.detail) }
                            td { (day.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (finding_text(item)) }
                            td { @if let Some(r) = first {
                                a href=(format!("/console/spot-checks/item?record={r}&month={month}&seed={seed}")) {
                                    @if item.finding.is_some() { "查看" } @else { "核查" }
                                }
                            } }
                        }
                    }
                }
            }
        }
    };
    document("抽查", Some(&viewer), body).into_response()
}

fn finding_text(item: &SpotCheckItem) -> Markup {
    match &item.finding {
        None => html! { span.not-counted { "待核查" } },
        Some(f) => html! {
            span class=(if f.outcome.is_some_and(|o| o.rejects()) { "not-counted" } else { "counted" }) {
                (f.outcome.map_or("已备注", |o| o.label_zh()))
            }
            " " (local_time(f.at).format("%m-%d %H:%M").to_string())
            @if !f.text.is_empty() { "：" (f.text) }
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct ItemQuery {
    record: RecordId,
    month: Option<String>,
    seed: Option<u64>,
}

/// One item: what was flagged, the day's map, and the finding's form (or the finding).
pub async fn item_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ItemQuery>,
) -> Response {
    let queue = match queue_of(&state, &viewer, q.month.clone(), q.seed).await {
        Ok(queue) => queue,
        Err(r) => return r,
    };
    // Only an item of the viewer's own queue: anything else is answered as unknown.
    let Some(item) = queue
        .items
        .iter()
        .find(|i| i.records.first() == Some(&q.record))
    else {
        return refusal(StatusCode::NOT_FOUND, "抽查清单中没有这一项。");
    };
    let days = match days_of(&state, std::slice::from_ref(item)).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let month = queue.period.to_string();
    let day = days.get(&q.record).map(|(_, d)| *d);
    let person_page = format!("/console/people/{}?month={month}", item.person_id);
    let body = html! {
        main.spot-check-item {
            h1 { "核查 · " (item.person_name) " · " span.badge { (item.reason.label_zh()) } }
            p { (item.detail) }
            p.no-print {
                a href=(format!("/console/spot-checks?month={month}")) { "‹ 返回抽查清单" }
                " · "
                a href=(match day { Some(d) => format!("{person_page}&day={d}#visit-{}", q.record), None => person_page.clone() }) { "查看该月全部记录与考核" }
            }
            section.layout {
                div {
                    @if let Some(d) = day {
                        h2 { "当日轨迹 · " (d.to_string()) }
                        div #map .map data-src=(format!("/console/people/{}/map?from={d}&to={d}", item.person_id)) {}
                    }
                }
                div {
                    h2 { "核查结论" }
                    @if item.finding.is_some() { p { "当前结论：" (finding_text(item)) } p.small { "可再次提交，以最新结论为准。" } }
                    form.finding method="post" action="/console/spot-checks/findings" {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        input type="hidden" name="record_id" value=(q.record);
                        input type="hidden" name="month" value=(month);
                        fieldset {
                            legend { "结论" }
                            @for o in FindingOutcome::ALL {
                                label { input type="radio" name="outcome" value=(outcome_code(o)) required; " " (o.label_zh()) }
                                br;
                            }
                        }
                        label { "核查情况" br; textarea name="comment" rows="4" cols="40" maxlength=(crate::findings::MAX_COMMENT_CHARS) placeholder="核查不属实时必填：写明核查方式与情况" {} }
                        br;
                        button type="submit" { "提交核查结论" }
                    }
                }
            }
            script src="/console/assets/leaflet/leaflet.js" {}
            link rel="stylesheet" href="/console/assets/leaflet/leaflet.css";
            script src="/console/assets/console.js" {}
        }
    };
    document("核查", Some(&viewer), body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct FindingForm {
    csrf: String,
    record_id: String,
    outcome: String,
    #[serde(default)]
    comment: String,
    month: Option<String>,
}

/// Records the finding and opens the person-month, where the verdict now shows it.
pub async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<FindingForm>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(&form.csrf) {
        return refused;
    }
    let Ok(record) = form.record_id.parse::<RecordId>() else {
        return refusal(StatusCode::NOT_FOUND, "抽查清单中没有这一项。");
    };
    let Some(outcome) = FindingOutcome::ALL
        .into_iter()
        .find(|o| outcome_code(*o) == form.outcome)
    else {
        return refusal(StatusCode::UNPROCESSABLE_ENTITY, "请选择核查结论。");
    };
    match crate::findings::record_finding(&state, &viewer.caller, record, outcome, form.comment)
        .await
    {
        Ok(_) => {
            let month = form.month.unwrap_or_default();
            let day = state
                .store
                .record_authors(&[record])
                .await
                .ok()
                .and_then(|m| m.get(&record).copied());
            match day {
                Some((person, at)) => Redirect::to(&format!(
                    "/console/people/{person}?month={month}&day={}#visit-{record}",
                    local_date(at)
                ))
                .into_response(),
                None => {
                    Redirect::to(&format!("/console/spot-checks?month={month}")).into_response()
                }
            }
        }
        Err(ApiError::Forbidden) => refusal(
            StatusCode::FORBIDDEN,
            "只有督查、联络领导和工作队长可以抽查。",
        ),
        Err(ApiError::NotFound(_)) => refusal(StatusCode::NOT_FOUND, "抽查清单中没有这一项。"),
        Err(ApiError::Invalid { message, .. }) => {
            refusal(StatusCode::UNPROCESSABLE_ENTITY, &message)
        }
        Err(e) => e.into_response(),
    }
}
