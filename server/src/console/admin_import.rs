//! 导入: the office uploads a villages GeoJSON, a households or a pairings spreadsheet (CSV or
//! XLSX) for a township in its reach, naming the file's coordinate system. The same importer
//! as the command line's ([`crate::import`]) checks it into a plan; the preview shows what each
//! row creates or changes, or every bad row by row and column — and then nothing is imported.
//! Confirming sends the same bytes back (in the form, so the server keeps nothing between the
//! two steps), checks them again against what is stored by then, and writes the plan in one
//! transaction.

// A refusal is a whole page (a `Response`), returned rarely and at once: boxing it would buy
// nothing.
#![allow(clippy::result_large_err)]

use super::admin::{audited, datum_select, internal, not_found, office, Answer, Office};
use super::page::{document, refusal};
use super::session::Viewer;
use crate::app::AppState;
use crate::audit::AuditKind;
use crate::import::{self, Change, ImportError, ImportPlan};
use crate::store::Store;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use indicatif::ProgressBar;
use maud::{html, Markup};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zhucun_shared::coords::Datum;
use zhucun_shared::ids::TownshipId;
use zhucun_shared::org::Township;
use zhucun_shared::period::local_date;

/// The largest file taken (a county's households fit in a fraction of it).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// The body limit of the upload and of the confirmation (which carries the file as hex).
pub const MAX_BODY_BYTES: usize = 2 * MAX_FILE_BYTES + 64 * 1024;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Villages,
    Households,
    Pairings,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Villages, Kind::Households, Kind::Pairings];
    fn code(self) -> &'static str {
        match self {
            Kind::Villages => "villages",
            Kind::Households => "households",
            Kind::Pairings => "pairings",
        }
    }
    fn label_zh(self) -> &'static str {
        match self {
            Kind::Villages => "村界（GeoJSON）",
            Kind::Households => "农户（CSV / XLSX：村名、户主、纬度、经度、类别、人口）",
            Kind::Pairings => "结对（CSV / XLSX：帮扶责任人、村名、户主、开始日期、结束日期）",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// A file as uploaded, or as sent back to be confirmed.
struct Upload {
    kind: Kind,
    /// An existing township in reach.
    township: Option<TownshipId>,
    /// A new township's name (villages only), in the office's county.
    new_township: String,
    datum: Datum,
    file_name: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportQuery {
    township: Option<String>,
}

fn form_fields(office: &Office, chosen: Option<&str>) -> Markup {
    html! {
        label { "内容"
            select name="kind" required {
                @for k in Kind::ALL { option value=(k.code()) { (k.label_zh()) } }
            }
        }
        label { "乡镇"
            select name="township" {
                option value="" { "—（新乡镇，仅村界）" }
                @for t in &office.townships {
                    option value=(t.id) selected[chosen == Some(t.id.to_string().as_str())] { (t.county) " " (t.name) }
                }
            }
        }
        label { "新乡镇名称（仅在导入新乡镇的村界时填写）" input name="new_township" maxlength="50"; }
        (datum_select())
        label { "文件" input name="file" type="file" required accept=".geojson,.json,.csv,.xlsx,.xls,.ods"; }
    }
}

/// The upload form.
pub async fn import_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ImportQuery>,
) -> Answer {
    let office = office(&state, &viewer).await?;
    let body = html! {
        main {
            p.crumbs { a href="/console/admin" { "管理" } }
            h1 { "导入" }
            p { "先预览：每一行将新建或修改什么，或每个错误所在的行和列。有任何错误时不导入任何内容；确认后整个文件在一个事务中写入。" }
            p { "从高德、腾讯地图取的坐标是 GCJ-02，从百度地图取的是 BD-09，与 GPS（WGS-84）相差数百米：请如实选择坐标系，系统换算为 WGS-84 后保存。" }
            form method="post" action="/console/admin/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                (form_fields(&office, q.township.as_deref()))
                button type="submit" { "预览" }
            }
        }
    };
    Ok(document("导入", Some(&viewer), body).into_response())
}

/// A form without this session's token before its file (the token field comes first).
fn forged() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "表单已过期或来源不明，请返回页面刷新后重试。",
    )
}

fn bad_form(message: &str) -> Response {
    refusal(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Reads the upload form: the CSRF token is checked before the file is taken.
async fn read_upload(viewer: &Viewer, mut multipart: Multipart) -> Result<Upload, Response> {
    let unreadable = |_| bad_form("上传的表单不完整，请重新选择文件后预览。");
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut checked = false;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            if !checked {
                return Err(forged());
            }
            let file_name = field
                .file_name()
                .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string())
                .unwrap_or_default();
            let bytes = field.bytes().await.map_err(unreadable)?;
            if bytes.len() > MAX_FILE_BYTES {
                return Err(bad_form(&format!(
                    "“文件”超过 {} MB。",
                    MAX_FILE_BYTES / 1024 / 1024
                )));
            }
            file = Some((file_name, bytes.to_vec()));
        } else {
            let value = field.text().await.map_err(unreadable)?;
            if name == "csrf" {
                viewer.check_csrf(&value)?;
                checked = true;
            }
            fields.push((name, value));
        }
    }
    if !checked {
        return Err(forged());
    }
    let (file_name, bytes) = file
        .filter(|(n, b)| !n.is_empty() || !b.is_empty())
        .ok_or_else(|| bad_form("“文件”：请选择要导入的文件。"))?;
    upload_of(&fields, file_name, bytes)
}

fn upload_of(
    fields: &[(String, String)],
    file_name: String,
    bytes: Vec<u8>,
) -> Result<Upload, Response> {
    let field = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let kind = Kind::parse(field("kind")).ok_or_else(|| bad_form("“内容”：请选择导入什么。"))?;
    let datum: Datum = field("datum")
        .parse()
        .map_err(|e: String| bad_form(&format!("“坐标系”：{e}")))?;
    let township = match field("township") {
        "" => None,
        t => Some(t.parse::<TownshipId>().map_err(|_| not_found("乡镇"))?),
    };
    if file_name.is_empty() {
        return Err(bad_form("“文件”：文件没有名称。"));
    }
    Ok(Upload {
        kind,
        township,
        new_township: field("new_township").to_string(),
        datum,
        file_name,
        bytes,
    })
}

/// Why a file has no plan.
enum Refused {
    /// The file's own mistakes: shown on the preview.
    File(ImportError),
    /// Something else: a refusal page.
    Page(Response),
}

impl From<Response> for Refused {
    fn from(r: Response) -> Self {
        Refused::Page(r)
    }
}

impl From<ImportError> for Refused {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(e) => Refused::Page(internal(e)),
            e => Refused::File(e),
        }
    }
}

/// The township a file is for: one in reach, or (villages only) a new one of the office's
/// county, or one in reach of that name.
fn target(office: &Office, upload: &Upload) -> Result<(Township, bool), Response> {
    if let Some(id) = upload.township {
        let t = office.township(id).ok_or_else(|| not_found("乡镇"))?;
        return Ok((t.clone(), false));
    }
    let name = upload.new_township.as_str();
    if upload.kind != Kind::Villages {
        return Err(bad_form("“乡镇”：请选择要导入到哪个乡镇。"));
    }
    if name.is_empty() || name.chars().count() > 50 {
        return Err(bad_form(
            "“新乡镇名称”：导入新乡镇的村界时须填写乡镇名称（不超过 50 字），或在“乡镇”中选择已有乡镇。",
        ));
    }
    if let Some(t) = office.townships.iter().find(|t| t.name == name) {
        return Ok((t.clone(), false));
    }
    let county = office
        .county
        .clone()
        .ok_or_else(|| bad_form("“新乡镇名称”：无法确定您所在的县。"))?;
    Ok((
        Township {
            id: TownshipId::new(),
            name: name.to_string(),
            county,
        },
        true,
    ))
}

/// Checks an upload into a plan.
async fn plan(state: &AppState, office: &Office, upload: &Upload) -> Result<ImportPlan, Refused> {
    let (township, new_township) = target(office, upload)?;
    let bar = ProgressBar::hidden();
    let org = state
        .store
        .township_org(township.id)
        .await
        .map_err(internal)?;
    let plan = match upload.kind {
        Kind::Villages => {
            let text = std::str::from_utf8(&upload.bytes).map_err(|_| ImportError::Format {
                file: upload.file_name.clone(),
                message: "不是 UTF-8 编码的 GeoJSON".into(),
            })?;
            import::plan_villages(
                &upload.file_name,
                text,
                township,
                new_township,
                &org,
                upload.datum,
                &bar,
            )?
        }
        Kind::Households => {
            let table = import::table_from_bytes(&upload.file_name, &upload.bytes)?;
            import::plan_households(&table, &org, upload.datum, &bar)?
        }
        Kind::Pairings => {
            let table = import::table_from_bytes(&upload.file_name, &upload.bytes)?;
            let today = local_date(state.clock.now());
            import::plan_pairings(&state.store, &table, &org, today, &bar).await?
        }
    };
    Ok(plan)
}

/// What a plan does, as a digest: a confirmation imports only what its preview showed.
fn plan_digest(plan: &ImportPlan) -> String {
    let mut h = Sha256::new();
    // A new township has a fresh id at each check: it is known by its name.
    h.update(format!(
        "{}|{}|{}\n",
        plan.township.county, plan.township.name, plan.new_township
    ));
    for l in &plan.lines {
        h.update(format!(
            "{}|{}|{}\n",
            l.row,
            l.subject,
            change_text(&l.change)
        ));
    }
    hex::encode(h.finalize())
}

fn change_text(c: &Change) -> String {
    match c {
        Change::Create => "新建".into(),
        Change::Update(what) => format!("修改：{}", what.join("、")),
        Change::Same => "不变".into(),
    }
}

/// The preview of an upload: its plan and a confirmation, or its errors.
pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Multipart,
) -> Answer {
    let upload = read_upload(&viewer, multipart).await?;
    let office = office(&state, &viewer).await?;
    let plan = match plan(&state, &office, &upload).await {
        Ok(p) => p,
        Err(Refused::Page(r)) => return Err(r),
        Err(Refused::File(e)) => return Ok(errors_page(&viewer, &upload, &e)),
    };
    let same = plan.len() - plan.created() - plan.updated();
    let body = html! {
        main {
            p.crumbs { a href="/console/admin" { "管理" } " › " a href="/console/admin/import" { "导入" } }
            h1 { "预览：" (upload.file_name) }
            p {
                (plan.township.county) " " (plan.township.name)
                @if plan.new_township { "（新乡镇）" }
                "；坐标系 " (upload.datum.label_zh()) "，已换算为 WGS-84。"
            }
            p.summary { "共 " (plan.len()) " 行：新建 " (plan.created()) "，修改 " (plan.updated()) "，不变 " (same) "。尚未写入。" }
            form method="post" action="/console/admin/import/confirm" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="kind" value=(upload.kind.code());
                input type="hidden" name="township" value=(upload.township.map(|t| t.to_string()).unwrap_or_default());
                input type="hidden" name="new_township" value=(upload.new_township);
                input type="hidden" name="datum" value=(upload.datum.code());
                input type="hidden" name="file_name" value=(upload.file_name);
                input type="hidden" name="content" value=(hex::encode(&upload.bytes));
                input type="hidden" name="plan" value=(plan_digest(&plan));
                button type="submit" { "确认导入" }
                " " a href="/console/admin/import" { "取消" }
            }
            table {
                thead { tr { th { "行" } th { "内容" } th { "结果" } } }
                tbody {
                    @for l in &plan.lines {
                        tr { td { (l.row) } td { (l.subject) } td { (change_text(&l.change)) } }
                    }
                }
            }
        }
    };
    Ok(document("导入预览", Some(&viewer), body).into_response())
}

fn errors_page(viewer: &Viewer, upload: &Upload, e: &ImportError) -> Response {
    let errors = e.each();
    let body = html! {
        main {
            p.crumbs { a href="/console/admin" { "管理" } " › " a href="/console/admin/import" { "导入" } }
            h1 { "无法导入：" (upload.file_name) }
            p role="alert" {
                @if errors.len() >= import::MAX_ERRORS { "发现至少 " } @else { "发现 " }
                (errors.len()) " 处错误，未导入任何内容。请改正后重新上传。"
            }
            ul.errors {
                @for e in &errors {
                    @match e {
                        ImportError::Row { row, column, problem, .. } => li { "第 " (row) " 行，“" (column) "”列：" (problem) },
                        other => li { (other.to_string()) },
                    }
                }
            }
            p { a href="/console/admin/import" { "重新上传" } }
        }
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        document("导入错误", Some(viewer), body),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    new_township: String,
    datum: String,
    file_name: String,
    content: String,
    /// The digest of the previewed plan.
    plan: String,
}

/// Imports a previewed file: checked again, written in one transaction, audited.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ConfirmForm>,
) -> Answer {
    viewer.check_csrf(&form.csrf)?;
    let office = office(&state, &viewer).await?;
    let bytes = hex::decode(form.content.trim())
        .ok()
        .filter(|b| b.len() <= MAX_FILE_BYTES)
        .ok_or_else(|| bad_form("确认的内容不完整，请重新上传后预览。"))?;
    let fields = vec![
        ("kind".to_string(), form.kind.clone()),
        ("township".to_string(), form.township.clone()),
        ("new_township".to_string(), form.new_township.clone()),
        ("datum".to_string(), form.datum.clone()),
    ];
    let upload = upload_of(&fields, form.file_name.clone(), bytes)?;
    let plan = match plan(&state, &office, &upload).await {
        Ok(p) => p,
        Err(Refused::Page(r)) => return Err(r),
        // What is stored changed since the preview so that the file no longer fits.
        Err(Refused::File(e)) => return Ok(errors_page(&viewer, &upload, &e)),
    };
    if plan_digest(&plan) != form.plan.trim() {
        return Err(refusal(
            StatusCode::CONFLICT,
            "预览之后本乡镇的数据已有变化，导入结果将与预览不同。未导入任何内容，请重新上传并预览。",
        ));
    }
    let n = import::apply(
        &state.store,
        &plan,
        Some(viewer.caller.person.id),
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        ImportError::Store(e) => internal(e),
        e => bad_form(&e.to_string()),
    })?;
    let detail = serde_json::json!({
        "file": upload.file_name, "township": plan.township.name, "count": n,
        "created": plan.created(), "updated": plan.updated(),
        "datum": upload.datum.code(),
        "sha256": hex::encode(Sha256::digest(&upload.bytes)),
    });
    audited(
        &state,
        &viewer,
        plan.township.id,
        AuditKind::Import,
        upload.kind.code(),
        detail,
    )
    .await?;
    let body = html! {
        main {
            p.crumbs { a href="/console/admin" { "管理" } }
            h1 { "已导入" }
            p role="status" {
                (upload.file_name) "：" (n) " 行全部写入（新建 " (plan.created()) "，修改 " (plan.updated()) "）。"
            }
            p { a href={"/console/admin/townships/" (plan.township.id)} { "查看 " (plan.township.name) } }
        }
    };
    Ok(document("已导入", Some(&viewer), body).into_response())
}
