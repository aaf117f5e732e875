//! 管理: the county office's pages (协调小组办公室, role `admin`) — the people of its
//! townships with their postings and login accounts, pairings, households and their positions,
//! imports (see [`super::admin_import`]) and the rules and calendar in force.
//!
//! Who may use them: the office only. RULES.md gives the office "accounts, villages,
//! households, rules"; a supervisor (乡纪委 / 督查) checks the work and is not the one to set up
//! who is posted where or to see accounts, so a supervisor, like everyone else, is refused (403)
//! on every page and form here, reads included. The office reaches the townships of its own
//! county (the shared jurisdiction model, `Access::whole_townships`): anything of another
//! county answers as if it did not exist. Every change checks the form's CSRF token, is written
//! to the audit log under the township changed, and goes through `put_org` or
//! `office::put_households`, which raise the organisation version of each township touched so
//! that its kept verdicts are recomputed.

// A refusal is a whole page (a `Response`), returned rarely and at once: boxing it would buy
// nothing.
#![allow(clippy::result_large_err)]

use super::page::{document, refusal};
use super::session::Viewer;
use crate::app::AppState;
use crate::audit::{self, AuditKind};
use crate::error::ApiError;
use crate::office::{self, MovedBy};
use crate::store::{Org, Store, UserRow};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeSet;
use zhucun_shared::coords::Datum;
use zhucun_shared::ids::*;
use zhucun_shared::org::jurisdiction::township_wide;
use zhucun_shared::org::{
    Assignment, Household, HouseholdCategory, LatLon, Pairing, Person, Township,
};
use zhucun_shared::period::local_date;
use zhucun_shared::role::Role;

/// A page or a form's answer; the error side is a refusal page.
pub type Answer = Result<Response, Response>;

/// The townships the signed-in office reaches.
pub struct Office {
    pub townships: Vec<Township>,
    /// The county of the office's own township (a new township is created in it).
    pub county: Option<String>,
}

impl Office {
    pub fn reaches(&self, township: TownshipId) -> bool {
        self.townships.iter().any(|t| t.id == township)
    }
    pub fn township(&self, id: TownshipId) -> Option<&Township> {
        self.townships.iter().find(|t| t.id == id)
    }
}

pub fn internal(e: impl Into<ApiError>) -> Response {
    e.into().into_response()
}

/// The answer for anything unknown or outside the office's reach alike.
pub fn not_found(what: &str) -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        &format!("没有这个{what}，或不在您的管辖范围内。"),
    )
}

fn unprocessable(message: &str) -> Response {
    refusal(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// The office of the signed-in viewer, or a refusal for anyone else.
pub async fn office(state: &AppState, viewer: &Viewer) -> Result<Office, Response> {
    if !viewer.roles.contains(&Role::Admin) {
        return Err(refusal(
            StatusCode::FORBIDDEN,
            "只有协调小组办公室可以管理人员、结对、农户和导入。",
        ));
    }
    let today = local_date(state.clock.now());
    let access = viewer
        .caller
        .access(state, today)
        .await
        .map_err(IntoResponse::into_response)?;
    let reach: BTreeSet<TownshipId> = access.whole_townships().collect();
    let all = state.store.townships().await.map_err(internal)?;
    let county = all
        .iter()
        .find(|t| t.id == viewer.caller.person.township_id)
        .map(|t| t.county.clone());
    Ok(Office {
        townships: all.into_iter().filter(|t| reach.contains(&t.id)).collect(),
        county,
    })
}

/// Writes an audit entry of the office's change to `township`.
pub async fn audited(
    state: &AppState,
    viewer: &Viewer,
    township: TownshipId,
    kind: AuditKind,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), Response> {
    let entry = audit::new_entry(
        state.clock.now(),
        Some(viewer.caller.person.id),
        Some(township),
        kind,
        subject,
        detail,
    );
    audit::record(&state.store, entry)
        .await
        .map(|_| ())
        .map_err(internal)
}

fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

fn dates(starts_on: NaiveDate, ends_on: Option<NaiveDate>) -> String {
    match ends_on {
        Some(e) => format!("{starts_on} 至 {e}"),
        None => format!("{starts_on} 起"),
    }
}

/// Whether a role is held in a village (and so needs one), may have one, or never has one.
fn village_rule(role: Role) -> Option<bool> {
    if township_wide(role) {
        None
    } else {
        Some(role.is_team_member() || role == Role::LiaisonLeader)
    }
}

fn nav(township: Option<&Township>) -> Markup {
    html! {
        p.crumbs {
            a href="/console/admin" { "管理" }
            @if let Some(t) = township {
                " › " a href={"/console/admin/townships/" (t.id)} { (t.county) " " (t.name) }
            }
        }
    }
}

/// 管理: the townships in reach, imports, rules and calendar.
pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Answer {
    let office = office(&state, &viewer).await?;
    let body = html! {
        main {
            h1 { "管理" }
            h2 { "乡镇" }
            @if office.townships.is_empty() {
                p { "还没有乡镇。请先导入村界。" }
            }
            ul {
                @for t in &office.townships {
                    li { a href={"/console/admin/townships/" (t.id)} { (t.county) " " (t.name) } }
                }
            }
            h2 { "其他" }
            ul {
                li { a href="/console/admin/import" { "导入村界、农户、结对（GeoJSON、CSV、XLSX）" } }
                li { a href="/console/admin/rules" { "现行考核规则与工作日历" } }
            }
        }
    };
    Ok(document("管理", Some(&viewer), body).into_response())
}

/// One township: its people with postings and accounts, a form for a new person, its
/// households by village.
pub async fn township_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Answer {
    let office = office(&state, &viewer).await?;
    let township = id
        .parse::<TownshipId>()
        .ok()
        .and_then(|id| office.township(id))
        .ok_or_else(|| not_found("乡镇"))?;
    let org = state
        .store
        .township_org(township.id)
        .await
        .map_err(internal)?;
    let accounts = office::accounts_of(&state.store, township.id)
        .await
        .map_err(internal)?;
    let units = office::support_units(&state.store, township.id)
        .await
        .map_err(internal)?;
    let today = local_date(state.clock.now());
    let body = html! {
        main {
            (nav(None))
            h1 { (township.county) " " (township.name) }
            p { a href={"/console/admin/import?township=" (township.id)} { "导入本乡镇的村界、农户或结对" } }
            h2 { "人员与账号" }
            table {
                thead { tr { th { "姓名" } th { "任职" } th { "账号" } th { "状态" } th {} } }
                tbody {
                    @for p in &org.people {
                        @let account = accounts.get(&p.id);
                        tr {
                            td { (p.name) }
                            td {
                                @for a in org.assignments_of(p.id) {
                                    div {
                                        (a.role.label_zh())
                                        @if let Some(v) = a.village_id.and_then(|v| org.village(v)) { " · " (v.name) }
                                        " （" (dates(a.starts_on, a.ends_on)) "）"
                                        @if !a.overlaps(today, today) { " 已不在任" }
                                    }
                                }
                            }
                            td { (account.map_or("—", |a| a.username.as_str())) }
                            td {
                                @match account {
                                    None => "无账号",
                                    Some(a) if a.disabled => "已停用",
                                    Some(_) => "启用",
                                }
                            }
                            td { a href={"/console/admin/people/" (p.id)} { "管理" } }
                        }
                    }
                }
            }
            h2 { "新建人员与账号" }
            form method="post" action={"/console/admin/townships/" (township.id) "/people"} {
                (csrf_field(&viewer))
                label { "姓名" input name="name" required maxlength="50"; }
                label { "用户名" input name="username" required maxlength="64" autocomplete="off"; }
                label { "初始密码（至少 10 位）" input name="password" type="password" required minlength="10" maxlength="256" autocomplete="new-password"; }
                (posting_fields(&org, today))
                button type="submit" { "新建" }
            }
            h2 { "农户" }
            @for v in &org.villages {
                h3 { (v.name) }
                form.support-units method="post" action={"/console/admin/villages/" (v.id) "/support-units"} {
                    (csrf_field(&viewer))
                    label { "帮扶单位（每行一个，五个一登记表据此填写）"
                        br;
                        textarea name="support_units" rows="2" cols="40" {
                            (units.get(&v.id).map(|u| u.join("\n")).unwrap_or_default())
                        }
                    }
                    button type="submit" { "保存帮扶单位" }
                }
                table {
                    thead { tr { th { "户主" } th { "类别" } th { "人口" } th { "位置（WGS-84）" } th {} } }
                    tbody {
                        @for h in org.households_of(v.id) {
                            tr {
                                td { (h.head_name) }
                                td { (categories_text(&h.categories)) }
                                td { (h.members) }
                                td { (format!("{:.6}, {:.6}", h.location.lat, h.location.lon)) }
                                td { a href={"/console/admin/households/" (h.id)} { "编辑" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(document(&township.name, Some(&viewer), body).into_response())
}

fn categories_text(c: &[HouseholdCategory]) -> String {
    c.iter()
        .map(|c| c.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

/// The fields of a posting: role, village, first and last day.
fn posting_fields(org: &Org, today: NaiveDate) -> Markup {
    html! {
        label { "岗位"
            select name="role" required {
                @for r in Role::ALL { option value=(r.code()) { (r.label_zh()) } }
            }
        }
        label { "村（驻村岗位必填，督查、办公室不填）"
            select name="village" {
                option value="" { "—" }
                @for v in &org.villages { option value=(v.id) { (v.name) } }
            }
        }
        label { "开始日期" input name="starts_on" type="date" required value=(today); }
        label { "结束日期（可空）" input name="ends_on" type="date"; }
    }
}

#[derive(Debug, Deserialize)]
pub struct PostingForm {
    csrf: String,
    #[serde(flatten)]
    posting: PostingFields,
}

/// A posting's fields, in the posting form and in the new person's.
#[derive(Debug, Deserialize)]
pub struct PostingFields {
    role: String,
    #[serde(default)]
    village: String,
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

#[derive(Debug, Deserialize)]
pub struct NewPersonForm {
    csrf: String,
    name: String,
    username: String,
    password: String,
    #[serde(flatten)]
    posting: PostingFields,
}

fn date_field(field: &str, value: &str) -> Result<Option<NaiveDate>, Response> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| unprocessable(&format!("“{field}”须为日期，如 2026-11-01。")))
}

/// A posting of `person` in `org`'s township from the form, checked.
fn posting_of(
    form: &PostingFields,
    org: &Org,
    township: TownshipId,
    person: PersonId,
) -> Result<Assignment, Response> {
    let role: Role = form
        .role
        .parse()
        .map_err(|_| unprocessable("“岗位”不是已知的岗位。"))?;
    let village = match form.village.trim() {
        "" => None,
        v => Some(
            v.parse::<VillageId>()
                .ok()
                .and_then(|v| org.village(v))
                .ok_or_else(|| unprocessable("“村”不是本乡镇的村。"))?
                .id,
        ),
    };
    match (village_rule(role), village) {
        (Some(true), None) => {
            return Err(unprocessable(&format!(
                "“村”：{}须驻一个村，请选择村。",
                role.label_zh()
            )))
        }
        (None, Some(_)) => {
            return Err(unprocessable(&format!(
                "“村”：{}面向全乡镇，不选村。",
                role.label_zh()
            )))
        }
        _ => {}
    }
    let starts_on = date_field("开始日期", &form.starts_on)?
        .ok_or_else(|| unprocessable("“开始日期”不能为空。"))?;
    let ends_on = date_field("结束日期", &form.ends_on)?;
    if ends_on.is_some_and(|e| e < starts_on) {
        return Err(unprocessable("“结束日期”早于开始日期。"));
    }
    Ok(Assignment {
        id: AssignmentId::new(),
        person_id: person,
        role,
        village_id: village,
        township_id: township,
        starts_on,
        ends_on,
    })
}

async fn hash(state: &AppState, password: String) -> Result<String, Response> {
    let (m, t) = (
        state.config.argon2_memory_kib,
        state.config.argon2_iterations,
    );
    tokio::task::spawn_blocking(move || crate::auth::hash_password(&password, m, t))
        .await
        .map_err(|_| refusal(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误。"))?
        .map_err(|_| refusal(StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误。"))
}

/// Creates a person of the township with a login and a first posting.
pub async fn create_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<NewPersonForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let township = id
        .parse::<TownshipId>()
        .ok()
        .and_then(|id| office.township(id))
        .ok_or_else(|| not_found("乡镇"))?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(unprocessable("“姓名”不能为空，且不超过 50 字。"));
    }
    crate::accounts::check_username(&form.username)
        .map_err(|e| unprocessable(&format!("“用户名”：{e}")))?;
    let username = form.username.trim().to_string();
    crate::accounts::check_password(&username, &form.password)
        .map_err(|e| unprocessable(&format!("“初始密码”：{e}")))?;
    if state
        .store
        .user_by_username(&username)
        .await
        .map_err(internal)?
        .is_some()
    {
        return Err(refusal(
            StatusCode::CONFLICT,
            &format!("“用户名”：“{username}”已被使用（不区分大小写和全角半角）。"),
        ));
    }
    let org = state
        .store
        .township_org(township.id)
        .await
        .map_err(internal)?;
    let person = Person {
        id: PersonId::new(),
        name: name.to_string(),
        township_id: township.id,
        unit_id: None,
    };
    let posting = posting_of(&form.posting, &org, township.id, person.id)?;
    let password_hash = hash(&state, form.password.clone()).await?;
    state
        .store
        .put_org(&Org {
            people: vec![person.clone()],
            assignments: vec![posting.clone()],
            ..Org::default()
        })
        .await
        .map_err(internal)?;
    state
        .store
        .create_user(&UserRow {
            person_id: person.id,
            username: username.clone(),
            password_hash,
            disabled: false,
            created_at: state.clock.now(),
        })
        .await
        .map_err(internal)?;
    let detail = serde_json::json!({
        "person": person.id.to_string(), "name": person.name,
        "role": posting.role.code(), "village": posting.village_id.map(|v| v.to_string()),
        "starts_on": posting.starts_on.to_string(),
    });
    audited(
        &state,
        &viewer,
        township.id,
        AuditKind::UserAdded,
        &username,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

/// A person within the office's reach, with their township's organisation.
async fn person_in_reach(
    state: &AppState,
    office: &Office,
    id: &str,
) -> Result<(Person, Org), Response> {
    let Ok(id) = id.parse::<PersonId>() else {
        return Err(not_found("人员"));
    };
    let person = state
        .store
        .person(id)
        .await
        .map_err(internal)?
        .filter(|p| office.reaches(p.township_id))
        .ok_or_else(|| not_found("人员"))?;
    let org = state
        .store
        .township_org(person.township_id)
        .await
        .map_err(internal)?;
    Ok((person, org))
}

/// A person's postings, pairings, account and devices, with the forms that change them.
pub async fn person_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Answer {
    let office = office(&state, &viewer).await?;
    let (person, org) = person_in_reach(&state, &office, &id).await?;
    let township = office.township(person.township_id).cloned();
    let accounts = office::accounts_of(&state.store, person.township_id)
        .await
        .map_err(internal)?;
    let account = accounts.get(&person.id);
    let devices = state.store.devices_of(person.id).await.map_err(internal)?;
    let today = local_date(state.clock.now());
    let base = format!("/console/admin/people/{}", person.id);
    let pairings: Vec<&Pairing> = org
        .pairings
        .iter()
        .filter(|p| p.person_id == person.id)
        .collect();
    let body = html! {
        main {
            (nav(township.as_ref()))
            h1 { (person.name) }
            p { a href={"/console/people/" (person.id)} { "查看本月核验" } }
            h2 { "任职" }
            table {
                thead { tr { th { "岗位" } th { "村" } th { "起止" } th { "结束任职" } } }
                tbody {
                    @for a in org.assignments_of(person.id) {
                        tr {
                            td { (a.role.label_zh()) }
                            td { (a.village_id.and_then(|v| org.village(v)).map_or("—", |v| v.name.as_str())) }
                            td { (dates(a.starts_on, a.ends_on)) }
                            td {
                                @if a.ends_on.is_none_or(|e| e >= today) {
                                    form method="post" action={(base) "/postings/" (a.id) "/end"} {
                                        (csrf_field(&viewer))
                                        input name="ends_on" type="date" required value=(today) aria-label="最后一天";
                                        button type="submit" { "结束" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "新增任职（一人可兼多岗）" }
            form method="post" action={(base) "/postings"} {
                (csrf_field(&viewer))
                (posting_fields(&org, today))
                button type="submit" { "新增任职" }
            }
            h2 { "结对帮扶" }
            table {
                thead { tr { th { "农户" } th { "起止" } th { "结束结对" } } }
                tbody {
                    @for p in &pairings {
                        @let h = org.household(p.household_id);
                        tr {
                            td {
                                @if let Some(h) = h {
                                    (org.village(h.village_id).map_or("", |v| v.name.as_str())) " · " (h.head_name)
                                }
                            }
                            td { (dates(p.starts_on, p.ends_on)) }
                            td {
                                @if p.ends_on.is_none_or(|e| e >= today) {
                                    form method="post" action={(base) "/pairings/" (p.id) "/end"} {
                                        (csrf_field(&viewer))
                                        input name="ends_on" type="date" required value=(today) aria-label="最后一天";
                                        button type="submit" { "结束" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "新增结对" }
            form method="post" action={(base) "/pairings"} {
                (csrf_field(&viewer))
                label { "农户"
                    select name="household" required {
                        @for v in &org.villages {
                            optgroup label=(v.name) {
                                @for h in org.households_of(v.id) { option value=(h.id) { (h.head_name) } }
                            }
                        }
                    }
                }
                label { "开始日期" input name="starts_on" type="date" required value=(today); }
                label { "结束日期（可空）" input name="ends_on" type="date"; }
                button type="submit" { "新增结对" }
            }
            h2 { "账号" }
            @match account {
                None => p { "此人没有登录账号。" },
                Some(a) => {
                    p { "用户名：" (a.username) "；状态：" (if a.disabled { "已停用" } else { "启用" }) }
                    form method="post" action={(base) "/password"} {
                        (csrf_field(&viewer))
                        label { "新密码（至少 10 位，重置后此人须重新登录）" input name="password" type="password" required minlength="10" maxlength="256" autocomplete="new-password"; }
                        button type="submit" { "重置密码" }
                    }
                    form method="post" action={(base) "/account"} {
                        (csrf_field(&viewer))
                        @if a.disabled {
                            input type="hidden" name="enabled" value="true";
                            button type="submit" { "启用账号" }
                        } @else {
                            input type="hidden" name="enabled" value="false";
                            button type="submit" { "停用账号（同时结束其所有登录）" }
                        }
                    }
                }
            }
            h2 { "设备" }
            table {
                thead { tr { th { "设备" } th { "登记时间" } th { "状态" } th {} } }
                tbody {
                    @for d in &devices {
                        tr {
                            td { (d.device.label) }
                            td { (d.device.enrolled_at.format("%Y-%m-%d %H:%M UTC")) }
                            td {
                                @match d.revoked_at {
                                    Some(at) => { "已吊销（" (at.format("%Y-%m-%d %H:%M UTC")) "）" }
                                    None => "使用中",
                                }
                            }
                            td {
                                @if d.revoked_at.is_none() {
                                    form method="post" action={(base) "/devices/" (d.device.id) "/revoke"} {
                                        (csrf_field(&viewer))
                                        button type="submit" { "吊销（丢失的手机）" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(document(&person.name, Some(&viewer), body).into_response())
}

/// Gives a person another posting.
pub async fn add_posting(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<PostingForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, org) = person_in_reach(&state, &office, &id).await?;
    let posting = posting_of(&form.posting, &org, person.township_id, person.id)?;
    state
        .store
        .put_org(&Org {
            assignments: vec![posting.clone()],
            ..Org::default()
        })
        .await
        .map_err(internal)?;
    let detail = serde_json::json!({
        "person": person.id.to_string(), "posting": posting.id.to_string(),
        "role": posting.role.code(), "village": posting.village_id.map(|v| v.to_string()),
        "starts_on": posting.starts_on.to_string(),
        "ends_on": posting.ends_on.map(|d| d.to_string()),
    });
    audited(
        &state,
        &viewer,
        person.township_id,
        AuditKind::PostingAdded,
        &person.name,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    csrf: String,
    ends_on: String,
}

fn end_date(form: &EndForm, starts_on: NaiveDate) -> Result<NaiveDate, Response> {
    let ends_on = date_field("最后一天", &form.ends_on)?
        .ok_or_else(|| unprocessable("“最后一天”不能为空。"))?;
    if ends_on < starts_on {
        return Err(unprocessable(&format!(
            "“最后一天”早于开始日期 {starts_on}。"
        )));
    }
    Ok(ends_on)
}

/// Ends a posting: its last day set.
pub async fn end_posting(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, posting)): Path<(String, String)>,
    Form(form): Form<EndForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, org) = person_in_reach(&state, &office, &id).await?;
    let mut a = org
        .assignments_of(person.id)
        .find(|a| a.id.to_string() == posting)
        .cloned()
        .ok_or_else(|| not_found("任职"))?;
    a.ends_on = Some(end_date(&form, a.starts_on)?);
    state
        .store
        .put_org(&Org {
            assignments: vec![a.clone()],
            ..Org::default()
        })
        .await
        .map_err(internal)?;
    let detail = serde_json::json!({
        "person": person.id.to_string(), "posting": a.id.to_string(),
        "role": a.role.code(), "ends_on": a.ends_on.map(|d| d.to_string()),
    });
    audited(
        &state,
        &viewer,
        person.township_id,
        AuditKind::PostingEnded,
        &person.name,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct PairingForm {
    csrf: String,
    household: String,
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

/// Pairs a person with a household of their township.
pub async fn add_pairing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<PairingForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, org) = person_in_reach(&state, &office, &id).await?;
    let household = form
        .household
        .parse::<HouseholdId>()
        .ok()
        .and_then(|h| org.household(h))
        .ok_or_else(|| unprocessable("“农户”不是本乡镇的农户。"))?;
    let starts_on = date_field("开始日期", &form.starts_on)?
        .ok_or_else(|| unprocessable("“开始日期”不能为空。"))?;
    let ends_on = date_field("结束日期", &form.ends_on)?;
    if ends_on.is_some_and(|e| e < starts_on) {
        return Err(unprocessable("“结束日期”早于开始日期。"));
    }
    let pairing = Pairing {
        id: PairingId::new(),
        person_id: person.id,
        household_id: household.id,
        starts_on,
        ends_on,
    };
    state
        .store
        .put_org(&Org {
            pairings: vec![pairing.clone()],
            ..Org::default()
        })
        .await
        .map_err(internal)?;
    let detail = serde_json::json!({
        "person": person.id.to_string(), "pairing": pairing.id.to_string(),
        "household": household.id.to_string(), "head_name": household.head_name,
        "starts_on": starts_on.to_string(), "ends_on": ends_on.map(|d| d.to_string()),
    });
    audited(
        &state,
        &viewer,
        person.township_id,
        AuditKind::PairingAdded,
        &person.name,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

/// Ends a pairing: its last day set.
pub async fn end_pairing(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, pairing)): Path<(String, String)>,
    Form(form): Form<EndForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, org) = person_in_reach(&state, &office, &id).await?;
    let mut p = org
        .pairings
        .iter()
        .find(|p| p.person_id == person.id && p.id.to_string() == pairing)
        .cloned()
        .ok_or_else(|| not_found("结对"))?;
    p.ends_on = Some(end_date(&form, p.starts_on)?);
    state
        .store
        .put_org(&Org {
            pairings: vec![p.clone()],
            ..Org::default()
        })
        .await
        .map_err(internal)?;
    let detail = serde_json::json!({
        "person": person.id.to_string(), "pairing": p.id.to_string(),
        "household": p.household_id.to_string(), "ends_on": p.ends_on.map(|d| d.to_string()),
    });
    audited(
        &state,
        &viewer,
        person.township_id,
        AuditKind::PairingEnded,
        &person.name,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    password: String,
}

/// The person's login account, when they have one.
async fn account_of(state: &AppState, person: &Person) -> Result<office::Account, Response> {
    office::accounts_of(&state.store, person.township_id)
        .await
        .map_err(internal)?
        .remove(&person.id)
        .ok_or_else(|| not_found("账号"))
}

/// Sets a new password (the person's sessions end).
pub async fn reset_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, _) = person_in_reach(&state, &office, &id).await?;
    let account = account_of(&state, &person).await?;
    crate::accounts::check_password(&account.username, &form.password)
        .map_err(|e| unprocessable(&format!("“新密码”：{e}")))?;
    let password_hash = hash(&state, form.password.clone()).await?;
    if !state
        .store
        .set_password(&account.username, &password_hash)
        .await
        .map_err(internal)?
    {
        return Err(not_found("账号"));
    }
    audited(
        &state,
        &viewer,
        person.township_id,
        AuditKind::PasswordReset,
        &account.username,
        serde_json::json!({"person": person.id.to_string()}),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct AccountForm {
    csrf: String,
    enabled: bool,
}

/// Disables (ending every session) or enables a login.
pub async fn set_account(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<AccountForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, _) = person_in_reach(&state, &office, &id).await?;
    if person.id == viewer.caller.person.id && !form.enabled {
        return Err(unprocessable("不能停用自己正在使用的账号。"));
    }
    let account = account_of(&state, &person).await?;
    if !state
        .store
        .set_disabled(&account.username, !form.enabled)
        .await
        .map_err(internal)?
    {
        return Err(not_found("账号"));
    }
    let kind = if form.enabled {
        AuditKind::UserEnabled
    } else {
        AuditKind::UserDisabled
    };
    audited(
        &state,
        &viewer,
        person.township_id,
        kind,
        &account.username,
        serde_json::json!({"person": person.id.to_string()}),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// Withdraws a person's lost phone, as `DELETE /api/v1/devices/{id}` does for its owner: it
/// pushes nothing more; what it sent stays.
pub async fn revoke_device(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, device)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (person, _) = person_in_reach(&state, &office, &id).await?;
    let device = device.parse::<DeviceId>().map_err(|_| not_found("设备"))?;
    if !state
        .store
        .revoke_device(person.id, device, state.clock.now())
        .await
        .map_err(internal)?
    {
        return Err(not_found("设备"));
    }
    audited(
        &state,
        &viewer,
        person.township_id,
        AuditKind::DeviceRevoked,
        &device.to_string(),
        serde_json::json!({"person": person.id.to_string()}),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/people/{}", person.id)).into_response())
}

/// A household within the office's reach, with its township's organisation.
async fn household_in_reach(
    state: &AppState,
    office: &Office,
    id: &str,
) -> Result<(Household, Org), Response> {
    let Ok(id) = id.parse::<HouseholdId>() else {
        return Err(not_found("农户"));
    };
    // A household belongs to its village's township.
    let township = office::township_of_household(&state.store, id)
        .await
        .map_err(internal)?
        .filter(|t| office.reaches(*t))
        .ok_or_else(|| not_found("农户"))?;
    let org = state.store.township_org(township).await.map_err(internal)?;
    let household = org
        .household(id)
        .cloned()
        .ok_or_else(|| not_found("农户"))?;
    Ok((household, org))
}

/// A household: its name, categories and members, its position, and where it stood before.
pub async fn household_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Answer {
    let office = office(&state, &viewer).await?;
    let (h, org) = household_in_reach(&state, &office, &id).await?;
    let history = office::position_history(&state.store, h.id)
        .await
        .map_err(internal)?;
    let village = org.village(h.village_id).map_or("", |v| v.name.as_str());
    let township = org.townships.first();
    let base = format!("/console/admin/households/{}", h.id);
    let this_month = zhucun_shared::period::Period::containing(
        zhucun_shared::period::PeriodKind::Month,
        local_date(state.clock.now()),
    );
    let ledger_months: Vec<(&str, zhucun_shared::period::Period)> = this_month
        .into_iter()
        .flat_map(|m| {
            let last = m.first_day().pred_opt().and_then(|d| {
                zhucun_shared::period::Period::containing(
                    zhucun_shared::period::PeriodKind::Month,
                    d,
                )
            });
            [("本月", Some(m)), ("上月", last)]
        })
        .filter_map(|(l, m)| Some((l, m?)))
        .collect();
    let body = html! {
        main {
            (nav(township))
            h1 { (village) " · " (h.head_name) }
            h2 { "户信息" }
            form method="post" action=(base) {
                (csrf_field(&viewer))
                label { "户主" input name="head_name" required maxlength="50" value=(h.head_name); }
                fieldset {
                    legend { "类别" }
                    @for c in HouseholdCategory::ALL {
                        label {
                            input type="checkbox" name="categories" value=(c.code()) checked[h.categories.contains(&c)];
                            (c.label_zh())
                        }
                    }
                }
                label { "人口" input name="members" type="number" min="1" max="100" required value=(h.members); }
                button type="submit" { "保存" }
            }
            h2 { "结对帮扶台账" }
            p {
                @for (label, month) in ledger_months {
                    a href=(super::ledgers::household_ledger_url(h.id, month)) { (label) "（" (month.to_string()) "）" }
                    " "
                }
            }
            h2 { "位置" }
            p { "现位置（WGS-84）：" (format!("{:.6}, {:.6}", h.location.lat, h.location.lon)) }
            form method="post" action={(base) "/move"} {
                (csrf_field(&viewer))
                label { "纬度" input name="lat" required inputmode="decimal"; }
                label { "经度" input name="lon" required inputmode="decimal"; }
                (datum_select())
                button type="submit" { "移动到新位置" }
            }
            h2 { "历史位置" }
            @if history.is_empty() {
                p { "没有移动过。" }
            } @else {
                table {
                    thead { tr { th { "位置（WGS-84）" } th { "移走时间" } th { "方式" } } }
                    tbody {
                        @for p in &history {
                            tr {
                                td { (format!("{:.6}, {:.6}", p.location.lat, p.location.lon)) }
                                td { (p.replaced_at.format("%Y-%m-%d %H:%M UTC")) }
                                td { (if p.how == "import" { "导入" } else { "页面修改" }) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(document(&h.head_name, Some(&viewer), body).into_response())
}

/// The coordinate system a position or a file is given in.
pub fn datum_select() -> Markup {
    html! {
        label { "坐标系"
            select name="datum" required {
                @for d in Datum::ALL { option value=(d.code()) { (d.label_zh()) } }
            }
        }
    }
}

/// Edits a household's head, categories and members (its position: [`move_household`]).
pub async fn edit_household(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> Answer {
    // Categories repeat, which a struct form cannot take: the pairs are read as they come.
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&raw).into_owned().collect();
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    viewer.check_csrf(field("csrf"))?;
    let office = office(&state, &viewer).await?;
    let (mut h, org) = household_in_reach(&state, &office, &id).await?;
    let head_name = field("head_name").trim();
    if head_name.is_empty() || head_name.chars().count() > 50 {
        return Err(unprocessable("“户主”不能为空，且不超过 50 字。"));
    }
    if org
        .households_of(h.village_id)
        .any(|o| o.id != h.id && o.head_name == head_name)
    {
        return Err(unprocessable(&format!(
            "“户主”：本村已有户主为“{head_name}”的农户。"
        )));
    }
    let mut categories = Vec::new();
    for (_, code) in pairs.iter().filter(|(k, _)| k == "categories") {
        let c = HouseholdCategory::from_code(code)
            .ok_or_else(|| unprocessable(&format!("“类别”：未知类别“{code}”。")))?;
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    let members: u32 = field("members")
        .trim()
        .parse()
        .ok()
        .filter(|m| (1..=100).contains(m))
        .ok_or_else(|| unprocessable("“人口”须为 1 到 100 的整数。"))?;
    let before = h.clone();
    h.head_name = head_name.to_string();
    h.categories = categories;
    h.members = members;
    office::put_households(
        &state.store,
        std::slice::from_ref(&h),
        Some(viewer.caller.person.id),
        MovedBy::Console,
        state.clock.now(),
    )
    .await
    .map_err(internal)?;
    let township = org.townships.first().map(|t| t.id).unwrap_or_default();
    let detail = serde_json::json!({
        "household": h.id.to_string(),
        "head_name": [before.head_name, h.head_name],
        "categories": [before.categories, h.categories],
        "members": [before.members, h.members],
    });
    audited(
        &state,
        &viewer,
        township,
        AuditKind::HouseholdChanged,
        &h.head_name,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/households/{}", h.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    csrf: String,
    lat: String,
    lon: String,
    datum: String,
}

/// Moves a household: the position given in the named coordinate system, stored in WGS-84;
/// the old one kept in its history.
pub async fn move_household(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let (mut h, org) = household_in_reach(&state, &office, &id).await?;
    let datum: Datum = form
        .datum
        .parse()
        .map_err(|e: String| unprocessable(&format!("“坐标系”：{e}")))?;
    let number = |field: &str, v: &str, max: f64| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && n.abs() <= max)
            .ok_or_else(|| unprocessable(&format!("“{field}”须为 -{max} 到 {max} 的数。")))
    };
    let given = LatLon::new(
        number("纬度", &form.lat, 90.0)?,
        number("经度", &form.lon, 180.0)?,
    );
    let before = h.location;
    h.location = datum.to_wgs84(given);
    office::put_households(
        &state.store,
        std::slice::from_ref(&h),
        Some(viewer.caller.person.id),
        MovedBy::Console,
        state.clock.now(),
    )
    .await
    .map_err(internal)?;
    let township = org.townships.first().map(|t| t.id).unwrap_or_default();
    let detail = serde_json::json!({
        "household": h.id.to_string(),
        "from": [before.lat, before.lon],
        "to": [h.location.lat, h.location.lon],
        "given": [given.lat, given.lon],
        "datum": datum.code(),
    });
    audited(
        &state,
        &viewer,
        township,
        AuditKind::HouseholdChanged,
        &h.head_name,
        detail,
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/households/{}", h.id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SupportUnitsForm {
    csrf: String,
    #[serde(default)]
    support_units: String,
}

/// Sets a village's support units (帮扶单位), one a line, as the 五个一 登记表 names them.
pub async fn set_support_units(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<SupportUnitsForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let village = id.parse::<VillageId>().map_err(|_| not_found("村"))?;
    let mut found = None;
    for t in &office.townships {
        let org = state.store.township_org(t.id).await.map_err(internal)?;
        if let Some(v) = org.village(village) {
            found = Some((t.id, v.name.clone()));
            break;
        }
    }
    let (township, name) = found.ok_or_else(|| not_found("村"))?;
    let units = office::support_units_from_lines(&form.support_units)
        .map_err(|e| unprocessable(&format!("“帮扶单位”：{e}")))?;
    let before = office::support_units(&state.store, township)
        .await
        .map_err(internal)?
        .remove(&village)
        .unwrap_or_default();
    office::set_support_units(&state.store, village, &units)
        .await
        .map_err(internal)?;
    audited(
        &state,
        &viewer,
        township,
        AuditKind::SupportUnitsSet,
        &name,
        serde_json::json!({
            "village": village.to_string(),
            "from": before,
            "to": units,
        }),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/admin/townships/{township}")).into_response())
}

/// The rule catalogue and the working-day calendar of the current month, read only.
pub async fn rules_page(State(state): State<AppState>, viewer: Viewer) -> Answer {
    office(&state, &viewer).await?;
    let (catalogue, _) = state.policy_this_month();
    let (rules_toml, calendar_toml) = state.policy_texts_this_month();
    let body = html! {
        main {
            (nav(None))
            h1 { "现行考核规则与工作日历" }
            p { "修改须由服务器管理员执行 zhucun-server rules set / calendar set：自生效日起的月份使用新版本，运行中的服务即时采用，无需重启；已月结的月份不变。" }
            h2 { "规则（版本 " (catalogue.version) "）" }
            table {
                thead { tr { th { "编号" } th { "条款" } th { "内容" } th { "适用岗位" } } }
                tbody {
                    @for r in &catalogue.rules {
                        tr {
                            td { (r.id) }
                            td { (r.seed_ref) }
                            td { (r.title_zh) }
                            td { (r.applies_to.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、")) }
                        }
                    }
                }
            }
            details {
                summary { "规则文件全文（TOML）" }
                pre { (rules_toml) }
            }
            h2 { "工作日历" }
            details open {
                summary { "日历文件全文（TOML）" }
                pre { (calendar_toml) }
            }
        }
    };
    Ok(document("规则与日历", Some(&viewer), body).into_response())
}
