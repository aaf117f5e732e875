//! 领导挂联工作月台账 (三(二), R-32): for one village and month, every stay of the leaders
//! linked to it — the liaison leaders, the team leader and assisting cadres —
//! with arrival and departure from the trajectory, hours, households visited, activities and
//! the visits' notes, and each leader's month against their rule.

use super::document::{Cell, Document};
use super::labels::{self, hhmm, month_day, person_name, Reports};
use super::month_work::MonthWork;
use super::Township;
use std::collections::BTreeSet;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ids::{HouseholdId, PersonId, VillageId};
use zhucun_shared::org::{Directory, HouseholdCategory};
use zhucun_shared::period::Period;
use zhucun_shared::record::RecordBody;
use zhucun_shared::role::Role;

/// The roles whose village visits the ledger lists (二(一)1 and 2).
pub const LEADER_ROLES: [Role; 3] = [Role::LiaisonLeader, Role::TeamLeader, Role::AssistingCadre];

pub const HEADERS: [&str; 12] = [
    "序号",
    "姓名",
    "职务",
    "到村日期",
    "到村时间",
    "离村时间",
    "停留（小时）",
    "走访农户（户）",
    "其中贫困户（户）",
    "开展活动",
    "走访记录",
    "是否计入",
];

/// The leaders posted to `village` during `month`, each with their leader role, by role and
/// name.
pub fn leaders(org: &Directory, village: VillageId, month: Period) -> Vec<(PersonId, Role)> {
    let mut out: Vec<(PersonId, Role)> = Vec::new();
    for a in org.assignments.iter().filter(|a| {
        a.village_id == Some(village)
            && LEADER_ROLES.contains(&a.role)
            && a.overlaps(month.first_day(), month.last_day())
    }) {
        if !out.iter().any(|(p, _)| *p == a.person_id) {
            out.push((a.person_id, a.role));
        }
    }
    out.sort_by_key(|(p, r)| (*r, person_name(org, *p)));
    out
}

pub fn build(
    township: &Township,
    org: &Directory,
    catalogue: &Catalogue,
    village: VillageId,
    month: Period,
    work: &MonthWork,
    reports: &Reports,
) -> Document {
    let village_name = org.village(village).map_or("?", |v| v.name.as_str());
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    let mut n = 0u32;
    for (person, role) in leaders(org, village, month) {
        let name = person_name(org, person);
        let rule = labels::rule_for(catalogue, role, labels::is_village_visits);
        let verdict = rule.and_then(|r| labels::verdict(reports, person, r));
        let part = verdict.and_then(labels::main_part);
        let (mut stays_n, mut hours, mut visited_n, mut poor_n, mut counted_here) =
            (0u32, chrono::Duration::zero(), 0u32, 0u32, 0u32);
        for stay in work
            .stays_in(person, village)
            .filter(|s| month.contains(s.day()))
        {
            n += 1;
            stays_n += 1;
            hours += stay.duration();
            let visits: Vec<_> = work
                .visits_during(person, stay)
                .filter(|v| {
                    org.household(v.visit.household_id)
                        .is_some_and(|h| h.village_id == village)
                })
                .collect();
            let households: BTreeSet<HouseholdId> =
                visits.iter().map(|v| v.visit.household_id).collect();
            let poor = households
                .iter()
                .filter(|h| {
                    org.household(**h)
                        .is_some_and(|h| h.has(HouseholdCategory::Poor))
                })
                .count() as u32;
            visited_n += households.len() as u32;
            poor_n += poor;
            let day = stay.day();
            let activities: Vec<String> = work
                .entries_of(person)
                .filter(|r| super::month_work::entry_date(r) == day)
                .filter_map(|r| match &r.body {
                    RecordBody::Activity {
                        kind,
                        village_id,
                        title,
                        ..
                    } if village_id.is_none_or(|v| v == village) => {
                        Some(format!("{}：{}", kind.label_zh(), title))
                    }
                    _ => None,
                })
                .collect();
            let notes: Vec<String> = visits
                .iter()
                .flat_map(|v| {
                    let head = org
                        .household(v.visit.household_id)
                        .map_or("", |h| h.head_name.as_str());
                    v.visit
                        .notes
                        .iter()
                        .map(move |(_, text)| format!("{head}户：{text}"))
                })
                .collect();
            let counted = labels::counted_label(part, stay.first_record);
            if counted == "计入" {
                counted_here += 1;
            }
            rows.push(vec![
                Cell::count(n),
                Cell::text(&name),
                Cell::text(role.label_zh()),
                Cell::text(month_day(day)),
                Cell::text(hhmm(stay.start)),
                Cell::text(hhmm(stay.end)),
                Cell::hours(stay.duration()),
                Cell::count(households.len() as u32),
                Cell::count(poor),
                Cell::text(activities.join("；")),
                Cell::text(notes.join("\n")),
                Cell::text(counted),
            ]);
        }
        let against = match (rule, verdict, part) {
            (Some(rule), Some(_), Some(p)) => Some(format!(
                "{} 本村计入{}次；全月合格到村{}次，要求≥{}次",
                rule.id, counted_here, p.counted, p.required
            )),
            _ => None,
        };
        totals.push(vec![
            Cell::text("小计"),
            Cell::text(&name),
            Cell::text(role.label_zh()),
            Cell::text(format!("到村{stays_n}次")),
            Cell::Empty,
            Cell::Empty,
            Cell::hours(hours),
            Cell::count(visited_n),
            Cell::count(poor_n),
            Cell::Empty,
            Cell::text(against.unwrap_or_else(|| "不适用".into())),
            Cell::text(verdict.map_or("—".into(), |v| v.status.label_zh().to_string())),
        ]);
    }
    Document {
        title: format!("{village_name}领导挂联工作月台账"),
        unit: format!(
            "填报单位：{}{}党支部",
            labels::full_name(township),
            village_name
        ),
        period: month.label_zh(),
        header_rows: vec![HEADERS.iter().map(|h| h.to_string()).collect()],
        rows,
        totals,
        notes: vec![
            "到村、离村时间与停留时长取自轨迹（在村界内连续定位），走访户数只计有效入户走访。"
                .into(),
            "村党支部于月底前完善本台账报乡党委，乡党委于次月5日前报县干部驻村帮扶工作协调小组办公室。"
                .into(),
        ],
        signatures: vec![
            "填表人：".into(),
            "村党支部书记（签字）：".into(),
            "乡党委审核（盖章）：".into(),
            "报送日期：".into(),
        ],
        widths: vec![5.0, 9.0, 14.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 24.0, 36.0, 16.0],
        landscape: true,
        file_stem: format!("{village_name}_领导挂联工作月台账_{month}"),
    }
}
