//! A person-month: the map of a chosen day (or range of days) — village boundaries, households
//! (paired and 必访 ones marked), the track simplified for display, stays, visits with their
//! photos and the verdicts' answer, flags pinned where they happened — a timeline of each
//! day's stays, every visit with "counted" or "not counted because …", every rule's verdict
//! with its evidence and rejections, and the photos with what the server read from them.

use super::map::BaseMap;
use super::page::{document, refusal};
use super::session::Viewer;
use crate::api::extract::ApiPath;
use crate::api::reports::{month_param, parse_person, visible_target};
use crate::app::AppState;
use crate::error::ApiError;
use crate::evaluation::Loaded;
use crate::store::{Org, Store};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use zhucun_shared::answers::{server_answer, ServerAnswer};
use zhucun_shared::geometry::{distance_m, VillageShape};
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::org::LatLon;
use zhucun_shared::period::{day_end, day_start, local_date, local_time, Period};
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::stays::{clean_track, stays, Stay, TrackPoint};
use zhucun_shared::trajectory::{segments, simplified_for_display, DISPLAY_MAX_VERTICES};
use zhucun_shared::verdict::PersonReport;
use zhucun_shared::visits::{assemble_visits, HouseholdVisit};

/// Most days one map may span.
pub const MAP_MAX_DAYS: i64 = 31;
/// Douglas–Peucker tolerance for drawing a track, metres.
const DISPLAY_TOLERANCE_M: f64 = 3.0;

#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    month: Option<String>,
    /// The day the map shows, or the first of a range ending on `to`.
    day: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// What the records of a span of days say, read once for the page and the map alike.
struct Facts {
    records: Vec<DeviceRecord>,
    track: Vec<TrackPoint>,
    stays: Vec<Stay>,
    visits: Vec<HouseholdVisit>,
}

async fn facts(
    state: &AppState,
    org: &Org,
    person: PersonId,
    from: NaiveDate,
    to: NaiveDate,
) -> crate::ApiResult<Facts> {
    let records = state
        .store
        .records_of(person, day_start(from), day_end(to))
        .await?;
    let withdrawn = zhucun_shared::visits::withdrawn(&records);
    let live: Vec<&DeviceRecord> = records
        .iter()
        .filter(|r| !withdrawn.contains(&r.id))
        .collect();
    let (catalogue, _) = state.policy_for(Period::month(from.year(), from.month()));
    let interp = &catalogue.interpretation;
    let points: Vec<TrackPoint> = live
        .iter()
        .flat_map(|r| r.body.fixes().map(|f| TrackPoint::new(r.id, *f)))
        .filter(|p| {
            let d = local_date(p.fix.time);
            d >= from && d <= to
        })
        .collect();
    let track = clean_track(points, interp).points;
    let shapes: Vec<VillageShape> = org.villages.iter().map(VillageShape::new).collect();
    let stays = stays(&track, &shapes, interp);
    let visits = assemble_visits(live.iter().copied());
    Ok(Facts {
        records,
        track,
        stays,
        visits,
    })
}

fn hm(t: DateTime<Utc>) -> String {
    local_time(t).format("%H:%M").to_string()
}

fn minutes(d: Duration) -> String {
    let m = d.num_minutes();
    if m >= 60 {
        format!("{} 小时 {} 分", m / 60, m % 60)
    } else {
        format!("{m} 分钟")
    }
}

/// The verdicts' answer on a visit, in words.
fn answer_words(a: Option<&ServerAnswer>) -> String {
    match a {
        Some(ServerAnswer::Counted) => "计入".into(),
        Some(ServerAnswer::NotCounted { reason, detail }) if detail.is_empty() => {
            format!("不计入：{}", reason.label_zh())
        }
        Some(ServerAnswer::NotCounted { reason, detail }) => {
            format!("不计入：{}（{detail}）", reason.label_zh())
        }
        None => "未计入任何考核".into(),
    }
}

fn answer_text(a: Option<&ServerAnswer>) -> Markup {
    match a {
        Some(ServerAnswer::Counted) => html! { span.counted { "计入" } },
        Some(ServerAnswer::NotCounted { reason, detail }) => {
            html! { span.not-counted { "不计入：" (reason.label_zh()) @if !detail.is_empty() { "（" (detail) "）" } } }
        }
        None => html! { span.badge { "未计入任何考核" } },
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PersonQuery>,
) -> Response {
    let Ok(id) = parse_person(&id) else {
        return refusal(StatusCode::NOT_FOUND, "没有这个人员。");
    };
    let now = state.clock.now();
    let Ok(month) = month_param(q.month.as_deref().filter(|m| !m.is_empty()), now) else {
        return refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "月份须为 YYYY-MM 格式，例如 2026-11。",
        );
    };
    match person_month(&state, &viewer, id, month, q.day, q.to).await {
        Ok((title, body)) => document(&title, Some(&viewer), body).into_response(),
        Err(ApiError::Forbidden) => refusal(StatusCode::FORBIDDEN, "此人不在您的管辖范围内。"),
        Err(ApiError::NotFound(_)) => refusal(StatusCode::NOT_FOUND, "没有这个人员。"),
        Err(e) => e.into_response(),
    }
}

async fn person_month(
    state: &AppState,
    viewer: &Viewer,
    id: PersonId,
    month: Period,
    day: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> crate::ApiResult<(String, Markup)> {
    let now = state.clock.now();
    let (first, last) = (month.first_day(), month.last_day());
    let org = Arc::new(visible_target(state, &viewer.caller, id, first, last).await?);
    let person = org.person(id).cloned().ok_or(ApiError::NotFound("人员"))?;
    let report =
        crate::verdicts::report(state, org.clone(), id, month, now, &mut Loaded::default()).await?;
    let f = facts(state, &org, id, first, last).await?;
    let roles = org.roles_between(id, first, last);
    let villages: Vec<String> = org
        .villages_of(id, first, last)
        .iter()
        .filter_map(|v| org.village(*v).map(|x| x.name.clone()))
        .collect();
    // The days with anything recorded; the map opens on the chosen one, else the last.
    let mut days: BTreeMap<NaiveDate, (usize, Duration)> = BTreeMap::new();
    for p in &f.track {
        days.entry(local_date(p.fix.time)).or_default().0 += 1;
    }
    for s in &f.stays {
        days.entry(s.day()).or_default().1 += s.duration();
    }
    let shown_day = day
        .filter(|d| *d >= first && *d <= last)
        .or_else(|| days.keys().next_back().copied());
    // A range within the month, from the shown day.
    let range_end = shown_day.and_then(|d| to.filter(|t| *t > d).map(|t| t.min(last)));
    let shown: Vec<NaiveDate> = match (shown_day, range_end) {
        (Some(d), Some(t)) => d.iter_days().take_while(|x| *x <= t).collect(),
        (Some(d), None) => vec![d],
        _ => Vec::new(),
    };
    let month_s = month.to_string();
    let prev = Period::month(
        (first - Duration::days(1)).year(),
        (first - Duration::days(1)).month(),
    );
    let next = Period::month(
        (last + Duration::days(1)).year(),
        (last + Duration::days(1)).month(),
    );
    let base = format!("/console/people/{id}");
    let photo_facts = state
        .store
        .photo_facts(
            &f.visits
                .iter()
                .flat_map(|v| v.photos.iter().map(|p| p.sha256.clone()))
                .collect::<Vec<_>>(),
        )
        .await?;
    let title = format!("{} · {month_s}", person.name);
    let body = html! {
        main.person {
            h1 { (person.name) " · " (month_s) }
            p {
                (roles.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、"))
                @if !villages.is_empty() { " · " (villages.join("、")) }
                " · " (super::overview::month_standing(month, local_date(now), state.config.month_grace_day))
                " · 本人结果：" span.badge { (report.standing.state.label_zh()) }
                @if let Some(since) = report.standing.since { "（" (local_time(since).format("%Y-%m-%d %H:%M").to_string()) " 起）" }
                " · 评定于 " (local_time(report.evaluated_at).format("%m-%d %H:%M").to_string())
            }
            p.no-print {
                a href=(format!("{base}?month={prev}")) { "‹ " (prev.to_string()) }
                " · "
                a href=(format!("/console/?month={month_s}")) { "返回总览" }
                " · "
                a href=(format!("{base}?month={next}")) { (next.to_string()) " ›" }
            }
            section.layout {
                div {
                    h2 { "轨迹"
                        @if let (Some(a), Some(b)) = (shown.first(), shown.last()) {
                            " · " (a.to_string()) @if a != b { " 至 " (b.to_string()) }
                        }
                    }
                    p.days.no-print {
                        @for (d, (fixes, presence)) in &days {
                            a href=(format!("{base}?month={month_s}&day={d}"))
                              title=(format!("{fixes} 个定位点，在村 {}", minutes(*presence)))
                              class=(if Some(*d) == shown_day { "badge current" } else { "badge" }) {
                                (d.day())
                            }
                            " "
                        }
                        @if days.is_empty() { "本月没有轨迹记录。" }
                        @if let Some(d) = shown_day {
                            " · "
                            a href=(format!("{base}?month={month_s}&day={first}&to={last}")) { "整月" }
                            " · "
                            a href=(format!("{base}?month={month_s}&day={d}&to={}", (d + Duration::days(6)).min(last))) { "自此 7 天" }
                        }
                    }
                    @if let (Some(a), Some(b)) = (shown.first(), shown.last()) {
                        div #map .map data-src=(format!("{base}/map?from={a}&to={b}")) {}
                        @for d in &shown {
                            @if shown.len() > 1 { p.small { (d.to_string()) } }
                            (timeline(&f.stays, *d, &org))
                        }
                    }
                }
                div {
                    h2 { "异常标记" }
                    @if report.flags.is_empty() { p { "无。" } }
                    ul {
                        @for flag in &report.flags {
                            li { span.badge { (flag.kind.label_zh()) } " " (flag.detail) }
                        }
                    }
                }
            }
            h2 { "入户走访（" (f.visits.iter().filter(|v| local_date(v.start) >= first && local_date(v.start) <= last).count()) " 次）" }
            (visits_table(&f.visits, &org, &report, id, first, last, &photo_facts))
            h2 { "各项考核" }
            @for v in &report.verdicts {
                section.verdict id=(v.rule_id) {
                    h3 {
                        (v.rule_id) " " (v.title_zh) " "
                        span class=(format!("cell s-{}", super::overview::status_code(v.status))) { (v.status.label_zh()) }
                        @if v.provisional { " " span.badge { "暂定" } }
                    }
                    @for part in &v.parts {
                        p {
                            (part.label_zh) "（" (part.period) "）：" (part.counted) " / " (part.required)
                            @if let Some(due) = part.due { "，截止 " (due.to_string()) }
                        }
                        // Approved 请假、公差 are listed apart: they leave the base, they are not counted.
                        @let (away, counted): (Vec<_>, Vec<_>) = part.evidence.iter().partition(|e| e.kind.absence().is_some());
                        @if !counted.is_empty() {
                            details { summary { "计入 " (counted.len()) " 项" }
                                ul { @for e in &counted {
                                    li { (local_time(e.start).format("%m-%d %H:%M").to_string()) " " (e.detail) }
                                } }
                            }
                        }
                        @if !away.is_empty() {
                            details.leave { summary { "请假、公差 " (away.len()) " 项（不计入基数）" }
                                ul { @for e in &away { li { (e.detail) } } }
                            }
                        }
                        @if !part.rejected.is_empty() {
                            details { summary.not-counted { "不计入 " (part.rejected.len()) " 项" }
                                ul { @for r in &part.rejected {
                                    li { span.badge { (r.reason.label_zh()) } " " (r.detail) }
                                } }
                            }
                        }
                    }
                }
            }
            script src="/console/assets/leaflet/leaflet.js" {}
            link rel="stylesheet" href="/console/assets/leaflet/leaflet.css";
            script src="/console/assets/console.js" {}
        }
    };
    Ok((title, body))
}

/// Each stay of `day` as a bar on the day's 24 hours (SVG: no inline styles under the CSP).
fn timeline(stays: &[Stay], day: NaiveDate, org: &Org) -> Markup {
    let start = day_start(day);
    let of_day: Vec<&Stay> = stays.iter().filter(|s| s.day() == day).collect();
    html! {
        div.timeline-box {
            svg.timeline viewBox="0 0 1440 24" preserveAspectRatio="none" width="100%" height="24" role="img" aria-label="在村时段" {
                rect x="0" y="0" width="1440" height="24" fill="#eee" {}
                @for h in (0..=24).step_by(6) { line x1=(h * 60) x2=(h * 60) y1="0" y2="24" stroke="#bbb" {} }
                @for s in &of_day {
                    rect x=((s.start - start).num_minutes().clamp(0, 1440)) y="3"
                         width=(s.duration().num_minutes().max(2)) height="18" fill="#3b7dd8" {
                        title { (org.village(s.village_id).map_or("", |v| v.name.as_str())) " " (hm(s.start)) "–" (hm(s.end)) }
                    }
                }
            }
            p.small {
                @if of_day.is_empty() { "当日无在村停留。" }
                @for s in &of_day {
                    span.badge { (org.village(s.village_id).map_or("", |v| v.name.as_str())) " " (hm(s.start)) "–" (hm(s.end)) "（" (minutes(s.duration())) "）" }
                    " "
                }
            }
        }
    }
}

fn visits_table(
    visits: &[HouseholdVisit],
    org: &Org,
    report: &PersonReport,
    person: PersonId,
    first: NaiveDate,
    last: NaiveDate,
    facts: &HashMap<String, zhucun_shared::plausibility::PhotoFacts>,
) -> Markup {
    let reports = std::slice::from_ref(report);
    let in_month: Vec<&HouseholdVisit> = visits
        .iter()
        .filter(|v| (first..=last).contains(&local_date(v.start)))
        .collect();
    html! {
        @if in_month.is_empty() { p { "本月没有入户走访记录。" } }
        @else {
            table.visits {
                thead { tr { th { "日期" } th { "农户" } th { "签到–签退" } th { "时长" } th { "距农户" } th { "照片" } th { "走访记录" } th { "结果" } } }
                tbody {
                    @for v in in_month {
                        @let household = org.household(v.household_id);
                        @let distance = household.zip(v.best_fix()).map(|(h, f)| distance_m(h.location, LatLon::new(f.lat, f.lon)));
                        tr id=(format!("visit-{}", v.check_in)) data-check-in=(v.check_in) {
                            td { (local_date(v.start).format("%m-%d").to_string()) }
                            td { (household.map_or("未登记农户", |h| h.head_name.as_str()))
                                 @if org.is_paired(person, v.household_id, local_date(v.start)) { " " span.badge { "结对" } }
                                 @if household.is_some_and(|h| h.categories.iter().any(|c| c.is_must_visit())) { " " span.badge { "必访" } } }
                            td { (hm(v.start)) "–" (v.end.map(hm).unwrap_or_else(|| "未签退".into())) }
                            td { (v.end.map(|e| minutes(e - v.start)).unwrap_or_default()) }
                            td { (distance.map(|d| format!("{d:.0} 米")).unwrap_or_else(|| "无定位".into())) }
                            td {
                                @for p in &v.photos {
                                    a href=(format!("/console/photos/{}", p.sha256)) target="_blank"
                                      title=(photo_title(p, facts.get(&p.sha256))) {
                                        img.thumb loading="lazy" src=(format!("/console/photos/{}", p.sha256)) alt="走访照片";
                                    }
                                }
                            }
                            td { @for (_, text) in &v.notes { p.note-text { (text) } } }
                            td { (answer_text(server_answer(reports, person, v.check_in).as_ref())) }
                        }
                    }
                }
            }
        }
    }
}

/// What the phone said of a photo and what the server read from the file.
fn photo_title(
    p: &zhucun_shared::visits::VisitPhoto,
    facts: Option<&zhucun_shared::plausibility::PhotoFacts>,
) -> String {
    let mut lines = vec![format!(
        "拍摄（手机记录）：{}",
        local_time(p.taken_at).format("%Y-%m-%d %H:%M:%S")
    )];
    if let Some(pos) = p.position {
        lines.push(format!("位置（手机记录）：{:.6}, {:.6}", pos.lat, pos.lon));
    }
    match facts {
        None => lines.push("服务器尚未收到照片文件".into()),
        Some(f) => {
            lines.push(match f.exif_time {
                Some(t) => format!("EXIF 时间：{}", local_time(t).format("%Y-%m-%d %H:%M:%S")),
                None => "EXIF 时间：无".into(),
            });
            lines.push(match f.exif_position {
                Some(pos) => format!("EXIF 位置：{:.6}, {:.6}", pos.lat, pos.lon),
                None => "EXIF 位置：无".into(),
            });
            if let Some(h) = &f.phash {
                lines.push(format!("感知哈希：{h}"));
            }
        }
    }
    lines.join("\n")
}

#[derive(Debug, Deserialize)]
pub struct MapQuery {
    from: NaiveDate,
    to: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct MapData {
    pub base: BaseMap,
    pub villages: Vec<MapVillage>,
    pub households: Vec<MapHousehold>,
    /// Lines of the track (broken where the phone was silent), simplified for display.
    pub tracks: Vec<Vec<[f64; 2]>>,
    /// Usable fixes behind the lines, and the vertices drawn.
    pub raw_fixes: usize,
    pub drawn_vertices: usize,
    pub stays: Vec<MapStay>,
    pub visits: Vec<MapVisit>,
    pub flags: Vec<MapFlag>,
}

#[derive(Debug, Serialize)]
pub struct MapVillage {
    pub name: String,
    /// Rings of [lat, lon] in the base map's datum.
    pub rings: Vec<Vec<[f64; 2]>>,
}

#[derive(Debug, Serialize)]
pub struct MapHousehold {
    pub name: String,
    pub at: [f64; 2],
    pub paired: bool,
    pub must_visit: bool,
}

#[derive(Debug, Serialize)]
pub struct MapStay {
    pub village: String,
    pub from: String,
    pub to: String,
    pub minutes: i64,
    pub at: [f64; 2],
}

#[derive(Debug, Serialize)]
pub struct MapVisit {
    pub household: String,
    pub from: String,
    pub to: Option<String>,
    pub at: Option<[f64; 2]>,
    pub counted: Option<bool>,
    pub answer: String,
    pub photos: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MapFlag {
    pub kind: String,
    pub detail: String,
    pub at: [f64; 2],
}

/// The map of `from..=to` (at most [`MAP_MAX_DAYS`] days) as JSON, in the base map's datum.
pub async fn map_data(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<MapQuery>,
) -> Response {
    let Ok(id) = parse_person(&id) else {
        return ApiError::NotFound("人员").into_response();
    };
    let to = q.to.unwrap_or(q.from);
    if to < q.from || (to - q.from).num_days() >= MAP_MAX_DAYS {
        return ApiError::invalid("to", format!("须在 from 之后 {MAP_MAX_DAYS} 天以内"))
            .into_response();
    }
    match map_of(&state, &viewer, id, q.from, to).await {
        Ok(m) => Json(m).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn map_of(
    state: &AppState,
    viewer: &Viewer,
    id: PersonId,
    from: NaiveDate,
    to: NaiveDate,
) -> crate::ApiResult<MapData> {
    let org = Arc::new(visible_target(state, &viewer.caller, id, from, to).await?);
    let base = BaseMap::of(&state.config);
    let show = |p: LatLon| {
        let d = base.display(p);
        [d.lat, d.lon]
    };
    let f = facts(state, &org, id, from, to).await?;
    let now = state.clock.now();
    // The verdicts of each month the span touches, for each visit's answer.
    let mut reports = Vec::new();
    let mut month = Period::month(from.year(), from.month());
    loop {
        reports.push(
            crate::verdicts::report(state, org.clone(), id, month, now, &mut Loaded::default())
                .await?,
        );
        let next = month.last_day() + Duration::days(1);
        if next > to {
            break;
        }
        month = Period::month(next.year(), next.month());
    }
    let villages_shown: BTreeSet<_> = org
        .villages_of(id, from, to)
        .into_iter()
        .chain(f.stays.iter().map(|s| s.village_id))
        .collect();
    let villages = villages_shown
        .iter()
        .filter_map(|v| org.village(*v))
        .map(|v| MapVillage {
            name: v.name.clone(),
            rings: v
                .boundary
                .0
                .iter()
                .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
                .map(|ring| ring.0.iter().map(|c| show(LatLon::new(c.y, c.x))).collect())
                .collect(),
        })
        .collect();
    let paired = org.paired(id, from, to);
    let households = villages_shown
        .iter()
        .flat_map(|v| org.households_of(*v))
        .map(|h| MapHousehold {
            name: h.head_name.clone(),
            at: show(h.location),
            paired: paired.contains(&h.id),
            must_visit: h.categories.iter().any(|c| c.is_must_visit()),
        })
        .collect();
    // Lines broken where the phone was silent, each simplified for display.
    let seg = segments(f.track.iter().map(|p| p.fix.time));
    let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
    for (i, p) in f.track.iter().enumerate() {
        if i == 0 || seg[i] != seg[i - 1] {
            lines.push(Vec::new());
        }
        if let Some(l) = lines.last_mut() {
            l.push((p.fix.lat, p.fix.lon));
        }
    }
    let budget = DISPLAY_MAX_VERTICES * usize::try_from((to - from).num_days() + 1).unwrap_or(1);
    let per_line = |l: &Vec<(f64, f64)>| (budget * l.len() / f.track.len().max(1)).max(2);
    let tracks: Vec<Vec<[f64; 2]>> = lines
        .iter()
        .map(|l| {
            simplified_for_display(l, DISPLAY_TOLERANCE_M, per_line(l))
                .into_iter()
                .map(|i| show(LatLon::new(l[i].0, l[i].1)))
                .collect()
        })
        .collect();
    let position_of: HashMap<RecordId, LatLon> = f
        .records
        .iter()
        .filter_map(|r| {
            r.body
                .fixes()
                .next()
                .map(|x| (r.id, LatLon::new(x.lat, x.lon)))
        })
        .collect();
    let stays = f
        .stays
        .iter()
        .map(|s| MapStay {
            village: org
                .village(s.village_id)
                .map_or_else(String::new, |v| v.name.clone()),
            from: hm(s.start),
            to: hm(s.end),
            minutes: s.duration().num_minutes(),
            at: position_of
                .get(&s.first_record)
                .map_or([0.0, 0.0], |p| show(*p)),
        })
        .collect();
    let visits = f
        .visits
        .iter()
        .filter(|v| (from..=to).contains(&local_date(v.start)))
        .map(|v| {
            let answer = server_answer(&reports, id, v.check_in);
            MapVisit {
                household: org
                    .household(v.household_id)
                    .map_or_else(|| "未登记农户".into(), |h| h.head_name.clone()),
                from: hm(v.start),
                to: v.end.map(hm),
                at: v.best_fix().map(|x| show(LatLon::new(x.lat, x.lon))),
                counted: answer.as_ref().map(|a| matches!(a, ServerAnswer::Counted)),
                answer: answer_words(answer.as_ref()),
                photos: v.photos.iter().map(|p| p.sha256.clone()).collect(),
            }
        })
        .collect();
    let captured: HashMap<RecordId, NaiveDate> = f
        .records
        .iter()
        .map(|r| (r.id, local_date(r.captured_at)))
        .collect();
    let in_span = |r: &RecordId| captured.get(r).is_some_and(|d| (from..=to).contains(d));
    let flags = reports
        .iter()
        .flat_map(|r| &r.flags)
        .filter_map(|fl| {
            let at = fl
                .records
                .iter()
                .filter(|r| in_span(r))
                .find_map(|r| position_of.get(r))?;
            Some(MapFlag {
                kind: fl.kind.label_zh().into(),
                detail: fl.detail.clone(),
                at: show(*at),
            })
        })
        .collect();
    let drawn_vertices = tracks.iter().map(Vec::len).sum();
    Ok(MapData {
        base,
        villages,
        households,
        raw_fixes: f.track.len(),
        drawn_vertices,
        tracks,
        stays,
        visits,
        flags,
    })
}

/// A photo or file at full size, for a viewer who may see it (the API's rule: their own, or
/// one attached to a record of someone in their jurisdiction); otherwise 404.
pub async fn photo(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(sha): Path<String>,
) -> Response {
    match crate::api::photos::download(State(state), viewer.caller, ApiPath(sha)).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
