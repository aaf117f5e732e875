//! Ledger downloads: `GET /api/v1/ledgers/{document}` with the scope the document is made for
//! (a village, a person or a township) and a period, as XLSX or CSV, within the caller's
//! jurisdiction.

use super::extract::{ApiPath, ApiQuery};
use super::reports::{month_param, townships_in_reach, DATE_YEARS};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ledgers::{self, DocumentKind, Format, Ledger, Township};
use crate::store::{Org, Store};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::sync::Arc;
use zhucun_shared::ids::{HouseholdId, PersonId, TownshipId, VillageId};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::role::Role;

pub fn router(state: AppState) -> Router {
    use zhucun_shared::sync::paths;
    Router::new()
        .route(paths::LEDGER, get(ledger))
        .with_state(state)
}

/// What a document is asked for; which fields a document needs depends on the document.
#[derive(Debug, Default, Deserialize)]
pub struct LedgerQuery {
    pub village: Option<String>,
    pub person: Option<String>,
    pub household: Option<String>,
    pub township: Option<String>,
    pub month: Option<String>,
    pub period: Option<String>,
    pub date: Option<String>,
    pub format: Option<String>,
}

/// A generated ledger (台账) as a file.
#[utoipa::path(get, path = "/api/v1/ledgers/{document}", tag = "ledgers",
    params(
        ("document" = String, Path, description = "liaison-ledger (领导挂联工作月台账; village, month), attendance (考勤表; village, month), work-log (工作日志; person, month), pairing-ledger (结对帮扶台账; person or household, month), five-ones (五个一登记表; township, date), compliance (考核汇总表; township, period)"),
        ("village" = Option<String>, Query, format = Uuid, description = "Village id, for liaison-ledger and attendance"),
        ("person" = Option<String>, Query, format = Uuid, description = "Person id, for work-log and pairing-ledger"),
        ("household" = Option<String>, Query, format = Uuid, description = "Household id, for one household's pairing-ledger (instead of person)"),
        ("township" = Option<String>, Query, format = Uuid, description = "Township id, for five-ones and compliance; default: the caller's"),
        ("month" = Option<String>, Query, pattern = "^(20[2-9][0-9]|2100)-(0[1-9]|1[0-2])$", description = "Month as YYYY-MM; default: the current month"),
        ("period" = Option<String>, Query, description = "For compliance: a month (2026-11), quarter (2026-Q4) or year (2026); default: the month"),
        ("date" = Option<String>, Query, format = Date, description = "For five-ones: the day whose postings are listed; default: today"),
        ("format" = Option<String>, Query, description = "xlsx (default) or csv (UTF-8 with BOM)"),
    ),
    responses(
        (status = 200, description = "The document as a file, named in Content-Disposition (filename*=UTF-8''…)"),
        (status = 403, description = "The village, person or township is outside the caller's jurisdiction", body = zhucun_shared::sync::ErrorBody),
        (status = 404, description = "No such document, village, person, household or township", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "A missing or malformed parameter, named in field", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn ledger(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(document): ApiPath<String>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Response> {
    let kind = DocumentKind::from_slug(&document).ok_or(ApiError::NotFound("文书"))?;
    let format = match q.format.as_deref() {
        None => Format::Xlsx,
        Some(f) => {
            Format::from_name(f).ok_or_else(|| ApiError::invalid("format", "须为 xlsx 或 csv"))?
        }
    };
    let doc = authorized_document(&state, &caller, kind, &q).await?;
    let name = ledgers::file_name(&doc, format);
    // Laying out a workbook is CPU work: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || ledgers::render(&doc, kind, format))
        .await?
        .map_err(ledger_error)?;
    let fallback = format!("{}.{}", kind.slug(), format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&fallback, &name),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The document `kind` for the scope and period of `q`, generated, if the caller may see all
/// it shows: 404 for an unknown village, person or township, 403 outside the caller's
/// jurisdiction, 422 naming a missing or malformed parameter. The API's download and the
/// console's print view both come here.
pub async fn authorized_document(
    state: &AppState,
    caller: &Caller,
    kind: DocumentKind,
    q: &LedgerQuery,
) -> ApiResult<ledgers::Document> {
    let now = state.clock.now();
    let today = local_date(now);
    let (ledger, org, township) = resolve(state, caller, kind, q, today).await?;
    let access = caller.access(state, today).await?;
    if !may_see(&access, &caller.assignments, &org, &township, &ledger) {
        return Err(ApiError::Forbidden);
    }
    let doc = ledgers::generate(state, org, &township, ledger, now)
        .await
        .map_err(ledger_error)?;
    Ok(doc)
}

/// Whether `access` (of someone holding `postings`) may see the whole of `ledger`: a
/// township's tables only by those who see the township whole; a person's by those who see the
/// person over the period; a village's or a household's by those who see the township whole or
/// everyone it shows, and its 领导挂联工作月台账 also by the village's first secretary and team leader, who
/// complete and confirm it (三(二)).
pub fn may_see(
    access: &zhucun_shared::org::Access,
    postings: &[zhucun_shared::org::Assignment],
    org: &Org,
    township: &Township,
    ledger: &Ledger,
) -> bool {
    let (from, to) = span(ledger);
    let whole = access.whole_townships().any(|t| t == township.id);
    match *ledger {
        Ledger::FiveOnes { .. } | Ledger::Compliance { .. } => whole,
        Ledger::WorkLog { person, .. } | Ledger::PairingLedger { person, .. } => {
            sees(access, org, person, from, to)
        }
        Ledger::LiaisonLedger { village, .. }
            if postings.iter().any(|a| {
                a.village_id == Some(village)
                    && matches!(a.role, Role::FirstSecretary | Role::TeamLeader)
                    && a.overlaps(from, to)
            }) =>
        {
            true
        }
        Ledger::LiaisonLedger { .. }
        | Ledger::Attendance { .. }
        | Ledger::HouseholdPairing { .. } => {
            let people = ledger.people(org, township);
            whole || (!people.is_empty() && people.iter().all(|p| sees(access, org, *p, from, to)))
        }
    }
}

pub(crate) fn ledger_error(e: ledgers::LedgerError) -> ApiError {
    match e {
        ledgers::LedgerError::Eval(e) => e.into(),
        other => ApiError::Internal(other.to_string()),
    }
}

fn sees(
    access: &zhucun_shared::org::Access,
    org: &Org,
    person: PersonId,
    from: NaiveDate,
    to: NaiveDate,
) -> bool {
    let Some(p) = org.person(person) else {
        return false;
    };
    let assignments: Vec<_> = org.assignments_of(person).cloned().collect();
    access.can_see(p, &assignments, from, to)
}

/// The days a document covers.
fn span(ledger: &Ledger) -> (NaiveDate, NaiveDate) {
    match *ledger {
        Ledger::LiaisonLedger { month, .. }
        | Ledger::Attendance { month, .. }
        | Ledger::WorkLog { month, .. }
        | Ledger::PairingLedger { month, .. }
        | Ledger::HouseholdPairing { month, .. } => (month.first_day(), month.last_day()),
        Ledger::FiveOnes { date, .. } => (date, date),
        Ledger::Compliance { period, .. } => (period.first_day(), period.last_day()),
    }
}

fn parse_id<T: std::str::FromStr>(field: &str, value: Option<&str>, what: &str) -> ApiResult<T> {
    let v = value.ok_or_else(|| ApiError::invalid(field, format!("须指定{what}（编号）")))?;
    v.parse()
        .map_err(|_| ApiError::invalid(field, format!("须为{what}编号（UUID）")))
}

/// The document asked for, with the township it belongs to: 404 for an unknown village,
/// person or township, 422 naming a missing or malformed parameter.
async fn resolve(
    state: &AppState,
    caller: &Caller,
    kind: DocumentKind,
    q: &LedgerQuery,
    today: NaiveDate,
) -> ApiResult<(Ledger, Arc<Org>, Township)> {
    let now = state.clock.now();
    match kind {
        DocumentKind::LiaisonLedger | DocumentKind::Attendance => {
            let village: VillageId = parse_id("village", q.village.as_deref(), "村")?;
            let month = month_param(q.month.as_deref(), now)?;
            let (org, township) = village_township(state, caller, village).await?;
            let ledger = if kind == DocumentKind::Attendance {
                Ledger::Attendance { village, month }
            } else {
                Ledger::LiaisonLedger { village, month }
            };
            Ok((ledger, org, township))
        }
        DocumentKind::PairingLedger if q.household.is_some() => {
            if q.person.is_some() {
                return Err(ApiError::invalid("household", "人员与农户只能指定其一"));
            }
            let household: HouseholdId = parse_id("household", q.household.as_deref(), "农户")?;
            let month = month_param(q.month.as_deref(), now)?;
            let township = crate::office::township_of_household(&state.store, household)
                .await?
                .ok_or(ApiError::NotFound("农户"))?;
            let (org, township) = township_org(state, township).await?;
            Ok((Ledger::HouseholdPairing { household, month }, org, township))
        }
        DocumentKind::WorkLog | DocumentKind::PairingLedger => {
            let person: PersonId = parse_id("person", q.person.as_deref(), "人员")?;
            let month = month_param(q.month.as_deref(), now)?;
            let target = state
                .store
                .person(person)
                .await?
                .ok_or(ApiError::NotFound("人员"))?;
            let (org, township) = township_org(state, target.township_id).await?;
            let ledger = if kind == DocumentKind::WorkLog {
                Ledger::WorkLog { person, month }
            } else {
                Ledger::PairingLedger { person, month }
            };
            Ok((ledger, org, township))
        }
        DocumentKind::FiveOnes | DocumentKind::Compliance => {
            let id: TownshipId = match q.township.as_deref() {
                None => caller.person.township_id,
                Some(t) => parse_id("township", Some(t), "乡镇")?,
            };
            let (org, township) = township_org(state, id).await?;
            let ledger = if kind == DocumentKind::FiveOnes {
                let date = match q.date.as_deref() {
                    None => today,
                    Some(d) => d
                        .parse::<NaiveDate>()
                        .ok()
                        .filter(|d| DATE_YEARS.contains(&d.year()))
                        .ok_or_else(|| {
                            ApiError::invalid("date", "须为 2000 年至 2100 年间的日期 YYYY-MM-DD")
                        })?,
                };
                Ledger::FiveOnes { township: id, date }
            } else {
                let (field, value) = match (&q.period, &q.month) {
                    (Some(p), _) => ("period", Some(p.as_str())),
                    (None, m) => ("month", m.as_deref()),
                };
                let period = match value {
                    None => month_param(None, now)?,
                    Some(v) => match v.parse::<Period>() {
                        Ok(
                            p @ (Period::Month { .. }
                            | Period::Quarter { .. }
                            | Period::Year { .. }),
                        ) => p,
                        _ => {
                            return Err(ApiError::invalid(
                                field,
                                "须为月份 2026-11、季度 2026-Q4 或年份 2026",
                            ))
                        }
                    },
                };
                Ledger::Compliance {
                    township: id,
                    period,
                }
            };
            Ok((ledger, org, township))
        }
    }
}

async fn township_org(state: &AppState, id: TownshipId) -> ApiResult<(Arc<Org>, Township)> {
    let township = state
        .store
        .townships()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(ApiError::NotFound("乡镇"))?;
    Ok((Arc::new(state.store.township_org(id).await?), township))
}

/// The township holding `village`, looked for in the caller's townships first.
async fn village_township(
    state: &AppState,
    caller: &Caller,
    village: VillageId,
) -> ApiResult<(Arc<Org>, Township)> {
    let access = caller.access(state, local_date(state.clock.now())).await?;
    let mut order = townships_in_reach(&access, caller);
    for t in state.store.townships().await? {
        if !order.contains(&t.id) {
            order.push(t.id);
        }
    }
    for t in order {
        let (org, township) = township_org(state, t).await?;
        if org.village(village).is_some() {
            return Ok((org, township));
        }
    }
    Err(ApiError::NotFound("村"))
}

/// `attachment` with an ASCII name for old clients and the real one in RFC 5987 form.
pub fn content_disposition(fallback: &str, name: &str) -> String {
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        rfc5987(name)
    )
}

/// Percent-encodes all but RFC 5987's attr-chars.
fn rfc5987(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_file_names_are_percent_encoded() {
        assert_eq!(
            content_disposition("attendance.csv", "石门村_考勤表_2026-11.csv"),
            "attachment; filename=\"attendance.csv\"; \
             filename*=UTF-8''%E7%9F%B3%E9%97%A8%E6%9D%91_%E8%80%83%E5%8B%A4%E8%A1%A8_2026-11.csv"
        );
    }
}
