//! 台账 in the console: every document the viewer may see for a month (each village's
//! 领导挂联工作月台账 and 考勤表, each person's 工作日志 and 结对帮扶台账, the township's 五个一
//! 登记表 and 考核汇总表), each as a print view (A4, header rows repeated on every page; a
//! browser prints it to PDF) and as XLSX or CSV — the same documents, and the same
//! jurisdiction, as `GET /api/v1/ledgers/{document}`. A 工作日志's print view carries the
//! month's visit photos as thumbnails.

use super::page::{document, refusal};
use super::session::Viewer;
use crate::api::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::ledger_submissions::{steps, take_step, StepRequest, StepsQuery, SubmissionChain};
use crate::api::ledgers::{authorized_document, may_see, LedgerQuery};
use crate::api::reports::{month_param, townships_in_reach};
use crate::app::AppState;
use crate::error::ApiError;
use crate::ledgers::submission::Step;
use crate::ledgers::{self, Cell, DocumentKind, Ledger};
use crate::store::Store;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;
use zhucun_shared::period::{day_end, day_start, local_date, local_time, Period, PeriodKind};

#[derive(Debug, Default, Deserialize)]
pub struct IndexQuery {
    month: Option<String>,
}

/// The query string that asks for `ledger`.
fn scope_query(ledger: &Ledger) -> String {
    match *ledger {
        Ledger::LiaisonLedger { village, month } | Ledger::Attendance { village, month } => {
            format!("village={village}&month={month}")
        }
        Ledger::WorkLog { person, month } | Ledger::PairingLedger { person, month } => {
            format!("person={person}&month={month}")
        }
        Ledger::HouseholdPairing { household, month } => {
            format!("household={household}&month={month}")
        }
        Ledger::FiveOnes { township, date } => format!("township={township}&date={date}"),
        Ledger::Compliance { township, period } => format!("township={township}&period={period}"),
    }
}

/// Every document of the month the viewer may see, by township.
pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IndexQuery>,
) -> Response {
    let now = state.clock.now();
    let Ok(month) = month_param(q.month.as_deref().filter(|m| !m.is_empty()), now) else {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "月份须为 YYYY-MM 格式，例如 2026-11。",
        );
    };
    let today = local_date(now);
    let listing = async {
        let access = viewer.caller.access(&state, today).await?;
        let townships = state.store.townships().await?;
        let mut sections = Vec::new();
        for t in townships_in_reach(&access, &viewer.caller) {
            let Some(township) = townships.iter().find(|x| x.id == t) else {
                continue;
            };
            let org = state.store.township_org(t).await?;
            let mut rows = Vec::new();
            for l in ledgers::township_ledgers(&org, township, None, month, today) {
                if !may_see(&access, &viewer.caller.assignments, &org, township, &l) {
                    continue;
                }
                let subject = match l {
                    Ledger::LiaisonLedger { village, .. } | Ledger::Attendance { village, .. } => {
                        org.village(village)
                            .map_or_else(String::new, |v| v.name.clone())
                    }
                    Ledger::WorkLog { person, .. } | Ledger::PairingLedger { person, .. } => org
                        .person(person)
                        .map_or_else(String::new, |p| p.name.clone()),
                    Ledger::HouseholdPairing { household, .. } => org
                        .household(household)
                        .map_or_else(String::new, |h| format!("{}户", h.head_name)),
                    Ledger::FiveOnes { date, .. } => format!("{} 在岗", date),
                    Ledger::Compliance { period, .. } => period.to_string(),
                };
                rows.push((l, subject));
            }
            // The compliance table for the quarter and the year too (季度考核).
            if access.whole_townships().any(|x| x == t) {
                let first = month.first_day();
                for period in [PeriodKind::Quarter, PeriodKind::Year]
                    .into_iter()
                    .filter_map(|k| Period::containing(k, first))
                {
                    rows.push((
                        Ledger::Compliance {
                            township: t,
                            period,
                        },
                        period.to_string(),
                    ));
                }
            }
            sections.push((township.clone(), rows));
        }
        Ok::<_, ApiError>(sections)
    };
    let sections = match listing.await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let month_s = month.to_string();
    let body = html! {
        main.ledgers {
            h1 { "台账 · " (month_s) }
            form.filters method="get" action="/console/ledgers" {
                label { "月份" input type="month" name="month" value=(month_s); }
                button type="submit" { "查看" }
            }
            p { "由记录生成，不需手填：打印预览可由浏览器存为 PDF；亦可下载 Excel（XLSX）或 CSV。" }
            @for (township, rows) in &sections {
                h2 { (township.county) " " (township.name) }
                @if rows.is_empty() { p { "没有您可查看的台账。" } }
                @else {
                    table.ledger-list {
                        thead { tr { th { "文书" } th { "对象" } th { "打印预览" } th { "下载" } } }
                        tbody {
                            @for (l, subject) in rows {
                                @let kind = l.kind();
                                @let url = format!("/console/ledgers/{}?{}", kind.slug(), scope_query(l));
                                tr data-document=(kind.slug()) {
                                    td { (kind.label_zh()) }
                                    td { (subject) }
                                    td { a href=(url) { "打印预览" } }
                                    td { a href=(format!("{url}&format=xlsx")) { "XLSX" } " · " a href=(format!("{url}&format=csv")) { "CSV" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    document("台账", Some(&viewer), body).into_response()
}

fn cell(c: &Cell) -> Markup {
    match c {
        Cell::Number(_) => html! { td.num { (c.as_text()) } },
        _ => html! { td { (c.as_text()) } },
    }
}

/// A document's print view, or its file with `format=xlsx|csv`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<LedgerQuery>,
) -> Response {
    if q.format.is_some() {
        return match crate::api::ledgers::ledger(
            State(state),
            viewer.caller,
            ApiPath(slug),
            ApiQuery(q),
        )
        .await
        {
            Ok(r) => r,
            Err(e) => refused(e),
        };
    }
    let Some(kind) = DocumentKind::from_slug(&slug) else {
        return refusal(StatusCode::NOT_FOUND, "没有这种文书。");
    };
    let doc = match authorized_document(&state, &viewer.caller, kind, &q).await {
        Ok(d) => d,
        Err(e) => return refused(e),
    };
    let photos = if kind == DocumentKind::WorkLog {
        match work_log_photos(&state, &q).await {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        }
    } else {
        Vec::new()
    };
    let households = if kind == DocumentKind::PairingLedger {
        match household_links(&state, &q).await {
            Ok(h) => h,
            Err(e) => return e.into_response(),
        }
    } else {
        Vec::new()
    };
    let chain = if kind == DocumentKind::LiaisonLedger {
        match chain_of(&state, &viewer, &q).await {
            Ok(c) => c,
            Err(e) => return refused(e),
        }
    } else {
        None
    };
    // What the records make of the ledger now, against the version generated last.
    let current = chain
        .as_ref()
        .and_then(|_| ledgers::versions::content_sha256(&doc).ok());
    let columns = doc.header_rows.first().map_or(1, Vec::len);
    let body = html! {
        main class=(if doc.landscape { "print-view landscape" } else { "print-view" }) {
            p.no-print {
                a href="/console/ledgers" { "‹ 台账" }
                " · 用浏览器的“打印”存为 PDF（A4" @if doc.landscape { "横向" } "）· "
                a href=(format!("?{}&format=xlsx", query_without_format(&q))) { "下载 XLSX" }
            }
            h1.doc-title { (doc.title) }
            p.doc-meta { span { (doc.unit) } span { "期间：" (doc.period) } }
            table.doc {
                thead {
                    @for row in &doc.header_rows { tr { @for h in row { th { (h) } } } }
                }
                tbody {
                    @for row in &doc.rows { tr { @for c in row { (cell(c)) } } }
                    @if doc.rows.is_empty() { tr { td colspan=(columns) { "（本期无记录）" } } }
                }
                @if !doc.totals.is_empty() {
                    tfoot { @for row in &doc.totals { tr { @for c in row { (cell(c)) } } } }
                }
            }
            @for n in &doc.notes { p.doc-note { (n) } }
            @if !households.is_empty() {
                p.no-print.household-ledgers {
                    "各户台账："
                    @for (name, url) in &households { a href=(url) { (name) } " " }
                }
            }
            @if !photos.is_empty() {
                h2 { "走访照片" }
                div.photo-strip {
                    @for (when, household, sha) in &photos {
                        figure {
                            img.thumb src=(format!("/console/photos/{sha}")) alt=(household);
                            figcaption { (when) " " (household) }
                        }
                    }
                }
            }
            p.signatures { @for s in &doc.signatures { span { (s) "：" span.blank {} } } }
            @if let Some(chain) = &chain { (chain_section(chain, &viewer, current.as_deref())) }
        }
    };
    document(&doc.title, Some(&viewer), body).into_response()
}

/// The submission chain of a village's monthly ledger, as the API answers it.
async fn chain_of(
    state: &AppState,
    viewer: &Viewer,
    q: &LedgerQuery,
) -> Result<Option<SubmissionChain>, ApiError> {
    let (Some(village), Some(month)) = (q.village.clone(), q.month.clone()) else {
        return Ok(None);
    };
    match steps(
        State(state.clone()),
        viewer.caller.clone(),
        ApiQuery(StepsQuery { village, month }),
    )
    .await
    {
        Ok(chain) => Ok(Some(chain.0)),
        // A month not yet begun has no chain; someone who may read the ledger but is no part
        // of its chain sees none.
        Err(ApiError::Invalid { .. } | ApiError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// 报送: the steps taken, each with its time, who, remarks and deadline, and the form for the
/// next one (the server refuses it to anyone who does not hold that step's office). Until the
/// village confirms, a ledger whose records changed since it was generated (`current`, the
/// digest of the ledger shown, differs from the generated one) is to be generated again first.
fn chain_section(chain: &SubmissionChain, viewer: &Viewer, current: Option<&str>) -> Markup {
    let taken = |step: Step| chain.steps.iter().find(|s| s.step == step.code());
    let generated = taken(Step::Generated).and_then(|s| s.content_sha256.clone());
    let stale = taken(Step::Confirmed).is_none()
        && generated
            .as_deref()
            .is_some_and(|g| current.is_some_and(|c| c != g));
    let next = if stale {
        Some(Step::Generated)
    } else {
        Step::ALL.into_iter().find(|s| taken(*s).is_none())
    };
    html! {
        section.chain.no-print {
            h2 { "报送" }
            @if chain.steps.is_empty() { p { "尚未生成，尚未确认。" } }
            @if stale { p.stale { "台账内容已变更，请重新生成后确认。" } }
            ol {
                @for s in &chain.steps {
                    li data-step=(s.step) {
                        (s.label_zh) "：" (s.person_name) "，" (local_time(s.at).format("%Y-%m-%d %H:%M").to_string())
                        @if let Some(due) = s.due {
                            " · 期限 " (due.to_string()) " · "
                            @if s.on_time { span.counted { "按期" } } @else { span.not-counted { "逾期" } }
                        }
                        @if let Some(sha) = &s.content_sha256 { " · 版本 " code { (sha.get(..12).unwrap_or(sha)) } }
                        @if !s.remarks.is_empty() { "。备注：" (s.remarks) }
                    }
                }
            }
            @if let Some(step) = next {
                form.take-step method="post" action="/console/ledgers/steps" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="village" value=(chain.village);
                    input type="hidden" name="month" value=(chain.month);
                    input type="hidden" name="step" value=(step.code());
                    @if step == Step::Confirmed {
                        @if let Some(sha) = &generated { input type="hidden" name="content_sha256" value=(sha); }
                    }
                    label { "备注" br; textarea name="remarks" rows="2" cols="50" maxlength="500" {} }
                    br;
                    button type="submit" {
                        @if stale { "重新生成" } @else { (step.label_zh()) }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    csrf: String,
    village: String,
    month: String,
    step: String,
    #[serde(default)]
    remarks: String,
    #[serde(default)]
    content_sha256: Option<String>,
}

/// Takes the next step of a village's monthly ledger and shows the ledger again.
pub async fn take(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<StepForm>,
) -> Response {
    if let Err(refused) = viewer.check_csrf(&form.csrf) {
        return refused;
    }
    let Ok(village) = form.village.parse() else {
        return refusal(StatusCode::NOT_FOUND, "未找到：村。");
    };
    let back = format!(
        "/console/ledgers/{}?village={village}&month={}",
        DocumentKind::LiaisonLedger.slug(),
        form.month
    );
    let request = StepRequest {
        village,
        month: form.month,
        step: form.step,
        remarks: form.remarks,
        content_sha256: form.content_sha256.filter(|s| !s.is_empty()),
    };
    match take_step(State(state), viewer.caller, ApiJson(request)).await {
        Ok(_) => axum::response::Redirect::to(&back).into_response(),
        Err(ApiError::Forbidden) => refusal(StatusCode::FORBIDDEN, "您不负责这一报送环节。"),
        Err(ApiError::Conflict { message, .. }) => refusal(StatusCode::CONFLICT, &message),
        Err(e) => refused(e),
    }
}

fn query_without_format(q: &LedgerQuery) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("village", &q.village),
        ("person", &q.person),
        ("household", &q.household),
        ("township", &q.township),
        ("month", &q.month),
        ("period", &q.period),
        ("date", &q.date),
    ] {
        if let Some(v) = v {
            pairs.append_pair(k, v);
        }
    }
    pairs.finish()
}

fn refused(e: ApiError) -> Response {
    match e {
        ApiError::Forbidden => refusal(StatusCode::FORBIDDEN, "此文书涉及您管辖范围以外的人员。"),
        ApiError::NotFound(what) => refusal(StatusCode::NOT_FOUND, &format!("未找到：{what}。")),
        ApiError::Invalid { field, message } => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("参数 {field}：{message}"),
        ),
        other => other.into_response(),
    }
}

/// Links to the ledger of each household paired with a pairing ledger's cadre in its month
/// (already authorised: who sees the cadre sees the visits to their households).
async fn household_links(
    state: &AppState,
    q: &LedgerQuery,
) -> Result<Vec<(String, String)>, ApiError> {
    let (Some(Ok(person)), Ok(month)) = (
        q.person.as_deref().map(str::parse),
        month_param(q.month.as_deref(), state.clock.now()),
    ) else {
        return Ok(Vec::new());
    };
    let Some(target) = state.store.person(person).await? else {
        return Ok(Vec::new());
    };
    let org = state.store.township_org(target.township_id).await?;
    let mut out: Vec<(String, String)> = org
        .paired(person, month.first_day(), month.last_day())
        .into_iter()
        .filter_map(|h| org.household(h))
        .map(|h| {
            (
                format!("{}户", h.head_name),
                household_ledger_url(h.id, month),
            )
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The address of a household's 结对帮扶台账 for `month` in the console.
pub fn household_ledger_url(household: zhucun_shared::ids::HouseholdId, month: Period) -> String {
    format!(
        "/console/ledgers/{}?{}",
        DocumentKind::PairingLedger.slug(),
        scope_query(&Ledger::HouseholdPairing { household, month })
    )
}

/// The month's visit photos of a work log's person (already authorised): (time, household,
/// file).
async fn work_log_photos(
    state: &AppState,
    q: &LedgerQuery,
) -> Result<Vec<(String, String, String)>, ApiError> {
    let (Some(Ok(person)), Ok(month)) = (
        q.person.as_deref().map(str::parse),
        month_param(q.month.as_deref(), state.clock.now()),
    ) else {
        return Ok(Vec::new());
    };
    let Some(target) = state.store.person(person).await? else {
        return Ok(Vec::new());
    };
    let org = state.store.township_org(target.township_id).await?;
    let records = state
        .store
        .records_of(
            person,
            day_start(month.first_day()),
            day_end(month.last_day()),
        )
        .await?;
    let withdrawn = zhucun_shared::visits::withdrawn(&records);
    let visits = zhucun_shared::visits::assemble_visits(
        records.iter().filter(|r| !withdrawn.contains(&r.id)),
    );
    Ok(visits
        .iter()
        .flat_map(|v| {
            let household = org
                .household(v.household_id)
                .map_or_else(|| "未登记农户".to_string(), |h| h.head_name.clone());
            v.photos.iter().map(move |p| {
                (
                    local_time(p.taken_at).format("%m-%d %H:%M").to_string(),
                    household.clone(),
                    p.sha256.clone(),
                )
            })
        })
        .collect())
}
