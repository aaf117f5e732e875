//! What leaders look at: the people in their jurisdiction, a person's verdicts for a month
//! (kept, see [`crate::verdicts`]; or as they were kept at a past instant, `as_of`), a person's
//! trajectory for a day, and all three for everyone in the jurisdiction at once (the team
//! screen's one request), now or as the server had them at a past instant.

use super::extract::{ApiPath, ApiQuery};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::evaluation::Loaded;
use crate::store::{Org, Store};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::Access;
use zhucun_shared::period::{day_end, day_start, local_date, Period};
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::sync::{
    PersonSummary, TeamDay, TeamGap, TeamMemberDay, TeamStay, TeamVisit, Trajectory,
    TrajectoryPoint,
};
use zhucun_shared::verdict::PersonReport;

pub fn router(state: AppState) -> Router {
    use zhucun_shared::sync::paths;
    Router::new()
        .route(paths::PEOPLE, get(people))
        .route(paths::PERSON_REPORT, get(report))
        .route(paths::PERSON_TRAJECTORY, get(trajectory))
        .route(paths::TEAM, get(team))
        .with_state(state)
}

/// Years a date parameter may name: anything else is a typo, and far-off dates overflow the
/// date arithmetic.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

fn checked_date(field: &str, d: NaiveDate) -> ApiResult<NaiveDate> {
    if DATE_YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(ApiError::invalid(field, "日期须在 2000 年至 2100 年之间"))
    }
}

pub(crate) fn parse_person(id: &str) -> ApiResult<PersonId> {
    id.parse()
        .map_err(|_| ApiError::invalid("id", "须为人员编号（UUID）"))
}

/// Loads `id`'s township and checks the caller may see them for the days `from..=to`: 404 for
/// no such person, 403 for one outside the caller's jurisdiction over those days.
pub(crate) async fn visible_target(
    state: &AppState,
    caller: &Caller,
    id: PersonId,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<Org> {
    let target = state
        .store
        .person(id)
        .await?
        .ok_or(ApiError::NotFound("人员"))?;
    let org = state.store.township_org(target.township_id).await?;
    let target_assignments: Vec<_> = org.assignments_of(id).cloned().collect();
    let access = caller.access(state, local_date(state.clock.now())).await?;
    if !access.can_see(&target, &target_assignments, from, to) {
        return Err(ApiError::Forbidden);
    }
    Ok(org)
}

/// The townships whose people the caller may reach: their own, and those they see whole (a
/// supervisor's; every township of the county office's county).
pub fn townships_in_reach(access: &Access, caller: &Caller) -> Vec<zhucun_shared::ids::TownshipId> {
    let mut townships: Vec<_> = access.whole_townships().collect();
    if !townships.contains(&caller.person.township_id) {
        townships.push(caller.person.township_id);
    }
    townships
}

/// Everyone the caller may look at (themselves included), with today's roles.
#[utoipa::path(get, path = "/api/v1/people", tag = "reports",
    responses((status = 200, description = "Everyone within the caller's jurisdiction, with the roles they hold today", body = Vec<PersonSummary>)),
    security(("bearer" = [])))]
pub async fn people(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PersonSummary>>> {
    let today = local_date(state.clock.now());
    let visible = visible_people(&state, &caller, today, today).await?;
    Ok(Json(
        visible.into_iter().map(|(summary, _)| summary).collect(),
    ))
}

/// Everyone the caller may see today (as `/api/v1/people` lists them) who is also within
/// their jurisdiction on `date`, each with today's roles and their township.
async fn visible_people(
    state: &AppState,
    caller: &Caller,
    today: NaiveDate,
    date: NaiveDate,
) -> ApiResult<Vec<(PersonSummary, std::sync::Arc<Org>)>> {
    let access = caller.access(state, today).await?;
    let mut out = Vec::new();
    for t in townships_in_reach(&access, caller) {
        let org = std::sync::Arc::new(state.store.township_org(t).await?);
        for p in &org.people {
            let assignments: Vec<_> = org.assignments_of(p.id).cloned().collect();
            if !access.can_see(p, &assignments, today, today)
                || !access.can_see(p, &assignments, date, date)
            {
                continue;
            }
            let summary = PersonSummary {
                person: p.clone(),
                roles: org.roles_on(p.id, today),
            };
            out.push((summary, org.clone()));
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    /// `2026-11`; the current month when absent (with `as_of`, the month containing it).
    pub month: Option<String>,
    /// A past instant, RFC 3339 (`2026-10-03T12:00:00+08:00`): the verdict as it was kept then.
    pub as_of: Option<String>,
}

/// A person's verdicts for a month: kept, brought up to date with the records received; or,
/// with `as_of`, the version kept at that instant (the latest kept at or before it).
#[utoipa::path(get, path = "/api/v1/people/{id}/report", tag = "reports",
    params(
        ("id" = zhucun_shared::ids::PersonId, Path, description = "Person id"),
        ("month" = Option<String>, Query, pattern = "^(20[2-9][0-9]|2100)-(0[1-9]|1[0-2])$", description = "Month as YYYY-MM, of 2020..2100; default: the current month, or with as_of the month containing it"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "A past instant (RFC 3339, e.g. 2026-10-03T12:00:00+08:00): the verdict as it was kept then, from the kept history; not after now"),
    ),
    responses(
        (status = 200, description = "One verdict per applicable rule, with evidence, rejections and flags (with as_of: the version kept then; its evaluated_at and standing say when it was evaluated and where the month stood)", body = PersonReport),
        (status = 403, description = "Outside the caller's jurisdiction", body = zhucun_shared::sync::ErrorBody),
        (status = 404, description = "No such person (code not_found), or with as_of no verdict of that month was kept by then (code no_verdict_kept, field as_of)", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Bad id, month, or as_of (malformed, outside 2000..2100, or in the future)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<PersonReport>> {
    let id = parse_person(&id)?;
    let now = state.clock.now();
    let as_of = as_of_param(q.as_of.as_deref(), now)?;
    let month = month_param(q.month.as_deref(), as_of.unwrap_or(now))?;
    let org = visible_target(&state, &caller, id, month.first_day(), month.last_day()).await?;
    if let Some(at) = as_of {
        return crate::verdicts::report_as_of(&state, id, month, at)
            .await?
            .map(Json)
            .ok_or_else(|| ApiError::Absent {
                code: "no_verdict_kept",
                field: Some("as_of".into()),
                message: format!(
                    "{month} 的考核结论在 {at} 之前尚未留存（最早的留存版本晚于该时刻）"
                ),
            });
    }
    Ok(Json(
        crate::verdicts::report(
            &state,
            std::sync::Arc::new(org),
            id,
            month,
            now,
            &mut Loaded::default(),
        )
        .await?,
    ))
}

/// The instant an `as_of` parameter names: RFC 3339, of 2000..2100, not after `now`.
pub fn as_of_param(
    as_of: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> ApiResult<Option<chrono::DateTime<Utc>>> {
    let Some(text) = as_of else {
        return Ok(None);
    };
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            ApiError::invalid(
                "as_of",
                "须为 RFC 3339 格式的时刻，如 2026-10-03T12:00:00+08:00",
            )
        })?
        .with_timezone(&Utc);
    checked_date("as_of", at.date_naive())?;
    if at > now {
        return Err(ApiError::invalid(
            "as_of",
            "不能晚于当前时间：只能查看过去某一时刻留存的结论",
        ));
    }
    Ok(Some(at))
}

/// The month a `month` parameter names (`2026-11`), the current one when absent.
pub fn month_param(month: Option<&str>, now: chrono::DateTime<Utc>) -> ApiResult<Period> {
    match month {
        None => {
            let today = local_date(now);
            Ok(Period::month(today.year(), today.month()))
        }
        Some(m) => match m.parse::<Period>() {
            Ok(p @ Period::Month { year, .. }) if (2020..=2100).contains(&year) => Ok(p),
            _ => Err(ApiError::invalid("month", "须为 YYYY-MM 格式的月份")),
        },
    }
}

pub use zhucun_shared::sync::TrajectoryQuery;

/// A person's fixes of one local day (Asia/Shanghai), in time order.
#[utoipa::path(get, path = "/api/v1/people/{id}/trajectory", tag = "reports",
    params(
        ("id" = zhucun_shared::ids::PersonId, Path, description = "Person id"),
        ("date" = String, Query, format = Date, pattern = "^(20[0-9]{2}|2100)-", description = "Local date, YYYY-MM-DD, of 2000..2100"),
    ),
    responses(
        (status = 200, description = "The person's fixes of that local day, in time order", body = Trajectory),
        (status = 403, description = "Outside the caller's jurisdiction", body = zhucun_shared::sync::ErrorBody),
        (status = 404, description = "No such person", body = zhucun_shared::sync::ErrorBody),
        (status = 422, description = "Bad id, or date not a date of 2000..2100 (field date)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn trajectory(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TrajectoryQuery>,
) -> ApiResult<Json<Trajectory>> {
    let id = parse_person(&id)?;
    checked_date("date", q.date)?;
    visible_target(&state, &caller, id, q.date, q.date).await?;
    Ok(Json(day_trajectory(&state, id, q.date, None).await?))
}

/// Whether the server had received `r` by `as_of` (always, without one).
fn received_by(r: &DeviceRecord, as_of: Option<DateTime<Utc>>) -> bool {
    match (as_of, &r.received) {
        (Some(at), Some(receipt)) => receipt.received_at <= at,
        _ => true,
    }
}

/// `id`'s fixes of the local day `date`, in time order: those received by `as_of`, if given.
async fn day_trajectory(
    state: &AppState,
    id: PersonId,
    date: NaiveDate,
    as_of: Option<DateTime<Utc>>,
) -> ApiResult<Trajectory> {
    let (start, end) = (day_start(date), day_end(date));
    // Records are indexed by capture time; a fix's own time may differ a little (a fix saved
    // late, a visit's fix arriving after its check-in), so look a day either side.
    let records = state
        .store
        .fix_records_of(id, start - Duration::days(1), end + Duration::days(1))
        .await?;
    let mut points: Vec<TrajectoryPoint> = records
        .iter()
        .filter(|r| received_by(r, as_of))
        .flat_map(|r| {
            r.body.fixes().map(|f| TrajectoryPoint {
                record_id: r.id,
                kind: r.body.type_name().to_string(),
                fix: *f,
            })
        })
        .filter(|p| p.fix.time >= start && p.fix.time < end)
        .collect();
    points.sort_by_key(|p| (p.fix.time, p.record_id));
    Ok(Trajectory {
        person_id: id,
        date,
        points,
    })
}

/// What `id`'s records say of the local day `date` beside the fixes: the location gaps their
/// phone wrote (with causes), the village stays the fixes make (reconstructed as the verdicts
/// do, over the villages of `org`) and the household visits begun that day, a withdrawn one
/// marked. From the records received by `as_of`, if given.
async fn day_picture(
    state: &AppState,
    org: &Org,
    id: PersonId,
    date: NaiveDate,
    as_of: Option<DateTime<Utc>>,
) -> ApiResult<(Vec<TeamGap>, Vec<TeamStay>, Vec<TeamVisit>)> {
    use zhucun_shared::geometry::VillageShape;
    use zhucun_shared::stays::{clean_track, stays, TrackPoint};
    let (start, end) = (day_start(date), day_end(date));
    // Records are indexed by capture time: a gap closed or a visit checked out the next day
    // is captured then.
    let mut records = state
        .store
        .records_of(id, start - Duration::days(1), end + Duration::days(1))
        .await?;
    records.retain(|r| received_by(r, as_of));
    let withdrawn = zhucun_shared::visits::withdrawn(&records);
    let live: Vec<_> = records
        .iter()
        .filter(|r| !withdrawn.contains(&r.id))
        .collect();
    let gaps = zhucun_shared::sessions::location_gaps(live.iter().copied())
        .into_iter()
        .filter(|g| g.from < end && g.to.is_none_or(|t| t >= start))
        .map(|g| TeamGap {
            cause: g.cause,
            from: g.from,
            to: g.to,
        })
        .collect();
    // The rules in force for the day's month, as the verdicts read them.
    let (catalogue, _) = state.policy_for(zhucun_shared::period::Period::month(
        chrono::Datelike::year(&date),
        chrono::Datelike::month(&date),
    ));
    let interp = &catalogue.interpretation;
    let points: Vec<TrackPoint> = live
        .iter()
        .flat_map(|r| r.body.fixes().map(|f| TrackPoint::new(r.id, *f)))
        .filter(|p| p.fix.time >= start && p.fix.time < end)
        .collect();
    let track = clean_track(points, interp).points;
    let shapes: Vec<VillageShape> = org.villages.iter().map(VillageShape::new).collect();
    let stays = stays(&track, &shapes, interp)
        .into_iter()
        .map(|s| TeamStay {
            village_id: s.village_id,
            start: s.start,
            end: s.end,
        })
        .collect();
    let visits = zhucun_shared::visits::assemble_visits(records.iter())
        .into_iter()
        .filter(|v| v.start >= start && v.start < end)
        .map(|v| TeamVisit {
            withdrawn: withdrawn.contains(&v.check_in),
            check_in: v.check_in,
            household_id: v.household_id,
            start: v.start,
            end: v.end,
        })
        .collect();
    Ok((gaps, stays, visits))
}

/// How far back the team may be asked for: a day outside the last `TEAM_DAYS` days is refused.
pub const TEAM_DAYS: i64 = 400;

/// The team screen's query: the local day and, for a look back, a past instant.
#[derive(Debug, Deserialize)]
pub struct TeamParams {
    /// Local date, `2026-11-03`.
    pub date: NaiveDate,
    /// A past instant, RFC 3339: the team as the server had it then.
    pub as_of: Option<String>,
}

/// Everyone within the caller's jurisdiction with their kept verdicts for the day's month and
/// their trajectory of the day: what the team screen shows, in one request instead of one for
/// the people and two per person. With `as_of`, as the server had it at that instant: each
/// verdict as kept then and the day's records received by then.
#[utoipa::path(get, path = "/api/v1/team", tag = "reports",
    params(
        ("date" = String, Query, format = Date, description = "Local date, YYYY-MM-DD, within the last 400 days (today included)"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "A past instant (RFC 3339, e.g. 2026-10-03T12:00:00+08:00), not before the day's start nor after now: each report as kept then (for someone whose month had no verdict kept by then, evaluated from the records captured by then), and the trajectory, gaps, stays and visits from the records received by then"),
    ),
    responses(
        (status = 200, description = "Everyone the caller may see today and on that day (as /api/v1/people lists them), each with their report for the day's month and their trajectory of the day", body = TeamDay),
        (status = 422, description = "Date missing, malformed or outside the last 400 days (field date); as_of malformed, in the future or before the day's start (field as_of)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn team(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TeamParams>,
) -> ApiResult<Json<TeamDay>> {
    let now = state.clock.now();
    let today = local_date(now);
    if q.date > today || q.date < today - Duration::days(TEAM_DAYS) {
        return Err(ApiError::invalid("date", "须为最近 400 天内的日期"));
    }
    let as_of = as_of_param(q.as_of.as_deref(), now)?;
    if as_of.is_some_and(|at| at < day_start(q.date)) {
        return Err(ApiError::invalid(
            "as_of",
            "不能早于所查日期的开始：请给出该日零点之后的时刻",
        ));
    }
    let month = Period::month(q.date.year(), q.date.month());
    let mut loaded = Loaded::default();
    let mut members = Vec::new();
    let visible = visible_people(&state, &caller, today, q.date).await?;
    let ids: Vec<PersonId> = visible.iter().map(|(s, _)| s.person.id).collect();
    if as_of.is_none() {
        crate::verdicts::read_ahead(&state, &ids, month, &mut loaded).await?;
    }
    for (summary, org) in visible {
        let id = summary.person.id;
        let (gaps, stays, visits) = day_picture(&state, &org, id, q.date, as_of).await?;
        let report = match as_of {
            None => crate::verdicts::report(&state, org, id, month, now, &mut loaded).await?,
            Some(at) => match crate::verdicts::report_as_of(&state, id, month, at).await? {
                Some(kept) => kept,
                None => {
                    crate::evaluation::person_report_as_of(
                        &state,
                        org,
                        id,
                        month,
                        at,
                        now,
                        &mut loaded,
                    )
                    .await?
                }
            },
        };
        let trajectory = day_trajectory(&state, id, q.date, as_of).await?;
        members.push(TeamMemberDay {
            summary,
            report,
            trajectory,
            gaps,
            stays,
            visits,
        });
    }
    Ok(Json(TeamDay {
        date: q.date,
        members,
    }))
}
