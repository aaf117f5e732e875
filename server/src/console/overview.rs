//! 总览: everyone the viewer may see for a month × every rule, coloured by status (达标,
//! 未达标, 逾期, 进行中, 不适用), the numbers on hover, grouped by township, team (village),
//! liaison cluster or the whole county, filtered by village, role and status; one click to a
//! person-month. Verdicts are the kept ones (see `crate::verdicts`).

use super::page::{document, refusal};
use super::session::Viewer;
use crate::api::reports::{month_param, townships_in_reach};
use crate::app::AppState;
use crate::evaluation::Loaded;
use crate::store::Store;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use zhucun_shared::ids::{PersonId, VillageId};
use zhucun_shared::org::Person;
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{PersonReport, Status};

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    month: Option<String>,
    village: Option<String>,
    role: Option<String>,
    status: Option<String>,
    group: Option<String>,
}

/// How rows are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grouping {
    Township,
    Team,
    Cluster,
    County,
}

impl Grouping {
    const ALL: [(Grouping, &'static str, &'static str); 4] = [
        (Grouping::Team, "team", "按工作队"),
        (Grouping::Cluster, "cluster", "按连片"),
        (Grouping::Township, "township", "按乡镇"),
        (Grouping::County, "county", "全县"),
    ];
    fn parse(s: Option<&str>) -> Grouping {
        Self::ALL
            .iter()
            .find(|(_, code, _)| Some(*code) == s)
            .map_or(Grouping::Team, |(g, _, _)| *g)
    }
}

pub const STATUSES: [Status; 5] = [
    Status::Met,
    Status::Short,
    Status::Late,
    Status::NotYetDue,
    Status::NotApplicable,
];

pub fn status_code(s: Status) -> &'static str {
    match s {
        Status::Met => "met",
        Status::Short => "short",
        Status::Late => "late",
        Status::NotYetDue => "not_yet_due",
        Status::NotApplicable => "not_applicable",
    }
}

struct Row {
    person: Person,
    roles: Vec<Role>,
    villages: Vec<String>,
    group: String,
    report: PersonReport,
}

/// Where a month stands on `today`, in words: open, then provisional until its grace date
/// (`grace_day` of the next month, when ledgers go up to the county), then final (the month's
/// state itself comes from `shared::month_close`).
pub fn month_standing(month: Period, today: NaiveDate, grace_day: u32) -> String {
    use zhucun_shared::month_close::{grace_date, state_on, MonthState};
    let grace = grace_date(month, grace_day);
    let by = format!("{}月{}日", grace.month(), grace.day());
    if today < month.first_day() {
        return "尚未开始".into();
    }
    match state_on(month, today, grace_day, None) {
        MonthState::Provisional if today <= month.last_day() => {
            format!("本月进行中 · 暂定结果（{by}后定案）")
        }
        MonthState::Provisional => format!("暂定结果 · {by}后定案"),
        other => format!("{}（宽限期至 {by}）", other.label_zh()),
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let now = state.clock.now();
    let month = match month_param(q.month.as_deref().filter(|m| !m.is_empty()), now) {
        Ok(m) => m,
        Err(_) => {
            return refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "月份须为 YYYY-MM 格式，例如 2026-11。",
            )
        }
    };
    match overview(&state, &viewer, month, &q).await {
        Ok(body) => document("总览", Some(&viewer), body).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn overview(
    state: &AppState,
    viewer: &Viewer,
    month: Period,
    q: &OverviewQuery,
) -> crate::ApiResult<Markup> {
    let now = state.clock.now();
    let today = local_date(now);
    let (first, last) = (month.first_day(), month.last_day());
    let access = viewer.caller.access(state, today).await?;
    let grouping = Grouping::parse(q.group.as_deref());
    let want_village: Option<VillageId> = q.village.as_deref().and_then(|v| v.parse().ok());
    let want_role: Option<Role> = q
        .role
        .as_deref()
        .and_then(|r| Role::ALL.into_iter().find(|x| x.code() == r));
    let want_status: Option<Status> = q
        .status
        .as_deref()
        .and_then(|s| STATUSES.into_iter().find(|x| status_code(*x) == s));
    let mut loaded = Loaded::default();
    let mut rows = Vec::new();
    let mut villages_in_view: BTreeMap<String, VillageId> = BTreeMap::new();
    for t in townships_in_reach(&access, &viewer.caller) {
        let org = Arc::new(state.store.township_org(t).await?);
        let township_name = org
            .townships
            .iter()
            .find(|x| x.id == t)
            .map_or_else(String::new, |x| x.name.clone());
        // The liaison leader of each village over the month (连片): the cluster a team is in.
        let mut cluster_of: BTreeMap<VillageId, Vec<String>> = BTreeMap::new();
        for a in org
            .assignments
            .iter()
            .filter(|a| a.role == Role::LiaisonLeader && a.overlaps(first, last))
        {
            if let (Some(v), Some(p)) = (a.village_id, org.person(a.person_id)) {
                cluster_of.entry(v).or_default().push(p.name.clone());
            }
        }
        let in_view: Vec<PersonId> = org
            .people
            .iter()
            .filter(|p| {
                let assignments: Vec<_> = org.assignments_of(p.id).cloned().collect();
                access.can_see(p, &assignments, first, last)
            })
            .map(|p| p.id)
            .collect();
        crate::verdicts::read_ahead(state, &in_view, month, &mut loaded).await?;
        let shown: std::collections::HashSet<PersonId> = in_view.iter().copied().collect();
        for p in org.people.iter().filter(|p| shown.contains(&p.id)) {
            let villages = org.villages_of(p.id, first, last);
            for v in &villages {
                if let Some(village) = org.village(*v) {
                    villages_in_view.insert(village.name.clone(), *v);
                }
            }
            let roles = org.roles_between(p.id, first, last);
            if want_village.is_some_and(|w| !villages.contains(&w))
                || want_role.is_some_and(|w| !roles.contains(&w))
            {
                continue;
            }
            let report =
                crate::verdicts::report(state, org.clone(), p.id, month, now, &mut loaded).await?;
            if want_status.is_some_and(|w| !report.verdicts.iter().any(|v| v.status == w)) {
                continue;
            }
            let village_names: Vec<String> = villages
                .iter()
                .filter_map(|v| org.village(*v).map(|x| x.name.clone()))
                .collect();
            let group = match grouping {
                Grouping::County => "全县".to_string(),
                Grouping::Township => township_name.clone(),
                Grouping::Team => match village_names.first() {
                    Some(v) => format!("{township_name} · {v}工作队"),
                    None => format!("{township_name} · 乡镇机关"),
                },
                Grouping::Cluster => {
                    let leaders: BTreeSet<&String> = villages
                        .iter()
                        .filter_map(|v| cluster_of.get(v))
                        .flatten()
                        .collect();
                    if leaders.is_empty() {
                        format!("{township_name} · 未挂联")
                    } else {
                        let names: Vec<&str> = leaders.iter().map(|s| s.as_str()).collect();
                        format!("{township_name} · {} 挂联", names.join("、"))
                    }
                }
            };
            rows.push(Row {
                person: p.clone(),
                roles,
                villages: village_names,
                group,
                report,
            });
        }
    }
    rows.sort_by(|a, b| (&a.group, &a.person.name).cmp(&(&b.group, &b.person.name)));
    // Only the rules that apply to someone shown.
    let shown_rules: Vec<&zhucun_shared::catalogue::RuleDef> = state
        .catalogue
        .rules
        .iter()
        .filter(|r| rows.iter().any(|row| row.report.verdict(&r.id).is_some()))
        .collect();
    let month_s = month.to_string();
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        groups.entry(r.group.as_str()).or_default().push(r);
    }
    Ok(html! {
        main.overview {
            h1 { "总览 · " (month_s) }
            p.standing {
                (month_standing(month, today, state.config.month_grace_day))
                @let reopened = rows.iter().filter(|r| r.report.standing.state == zhucun_shared::month_close::MonthState::Reopened).count();
                @if reopened > 0 { " · " span.badge { (reopened) " 人已重开" } }
            }
            form.filters method="get" action="/console/" {
                label { "月份" input type="month" name="month" value=(month_s); }
                label { "村" select name="village" {
                    option value="" { "全部" }
                    @for (name, id) in &villages_in_view {
                        option value=(id) selected[want_village == Some(*id)] { (name) }
                    }
                } }
                label { "职务" select name="role" {
                    option value="" { "全部" }
                    @for r in Role::ALL {
                        option value=(r.code()) selected[want_role == Some(r)] { (r.label_zh()) }
                    }
                } }
                label { "状态" select name="status" {
                    option value="" { "全部" }
                    @for s in STATUSES {
                        option value=(status_code(s)) selected[want_status == Some(s)] { (s.label_zh()) }
                    }
                } }
                label { "分组" select name="group" {
                    @for (g, code, label) in Grouping::ALL {
                        option value=(code) selected[grouping == g] { (label) }
                    }
                } }
                button type="submit" { "查看" }
            }
            p.legend {
                @for s in STATUSES { span class=(format!("cell s-{}", status_code(s))) { (s.label_zh()) } " " }
                span.note { "* 依赖日历未覆盖的年份，结果暂定" }
            }
            @if rows.is_empty() {
                p.empty { "没有符合条件的人员。" }
            } @else {
                table.grid {
                    thead { tr {
                        th { "姓名" } th { "职务" } th { "村" }
                        @for r in &shown_rules { th title=(r.title_zh) { (r.id) } }
                    } }
                    @for (group, members) in &groups {
                        tbody {
                            tr.group { th colspan=(3 + shown_rules.len()) {
                                (group) " · " (members.len()) " 人 · "
                                (tally(members, Status::Met)) " 项达标 · "
                                (tally(members, Status::Short) + tally(members, Status::Late)) " 项未达标或逾期"
                            } }
                            @for row in members {
                                tr data-person=(row.person.id) {
                                    td { a href=(format!("/console/people/{}?month={month_s}", row.person.id)) { (row.person.name) }
                                         @if row.report.standing.state == zhucun_shared::month_close::MonthState::Reopened { " " span.badge title="定案后收到补报记录，已重新评定；变化见审计日志" { "重开" } } }
                                    td { (row.roles.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、")) }
                                    td { (row.villages.join("、")) }
                                    @for rule in &shown_rules {
                                        (cell(row, rule, &month_s))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn tally(rows: &[&Row], status: Status) -> usize {
    rows.iter()
        .flat_map(|r| &r.report.verdicts)
        .filter(|v| v.status == status)
        .count()
}

fn cell(row: &Row, rule: &zhucun_shared::catalogue::RuleDef, month: &str) -> Markup {
    match row.report.verdict(&rule.id) {
        None => html! { td.cell.s-none { "—" } },
        Some(v) => {
            let numbers: Vec<String> = v
                .parts
                .iter()
                .map(|p| {
                    let due = p.due.map(|d| format!("，截止 {d}")).unwrap_or_default();
                    format!(
                        "{}（{}）：{}/{}{due}",
                        p.label_zh, p.period, p.counted, p.required
                    )
                })
                .collect();
            let title = format!("{} {}\n{}", rule.id, rule.title_zh, numbers.join("\n"));
            html! {
                td class=(format!("cell s-{}", status_code(v.status))) title=(title) data-rule=(rule.id) data-status=(status_code(v.status)) {
                    a href=(format!("/console/people/{}?month={month}#{}", row.person.id, rule.id)) {
                        (v.status.label_zh())
                        @if v.provisional { "*" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_open_then_provisional_until_the_fifth_then_past() {
        let nov = Period::month(2026, 11);
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(month_standing(nov, d(11, 30), 5).starts_with("本月进行中"));
        assert!(month_standing(nov, d(12, 5), 5).starts_with("暂定结果"));
        assert!(month_standing(nov, d(12, 6), 5).starts_with("已定"));
        assert!(month_standing(nov, d(12, 6), 10).starts_with("暂定结果"));
        assert_eq!(month_standing(nov, d(10, 1), 5), "尚未开始");
    }
}
