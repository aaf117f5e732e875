//! 《贫困村干部驻村帮扶"五个一"全覆盖基本情况登记表》(三(一)): for a township on a date, each
//! village's team — first secretary, team leader, resident members, assisting cadres, liaison
//! leaders, agri-tech officer, support unit, pairing cadres — from the postings in force.

use super::document::{Cell, Document};
use super::labels::{self, person_name};
use super::Township;
use chrono::NaiveDate;
use std::collections::{BTreeSet, HashMap};
use zhucun_shared::ids::{PersonId, VillageId};
use zhucun_shared::org::{Directory, HouseholdCategory};
use zhucun_shared::role::Role;

pub const HEADERS: [&str; 14] = [
    "序号",
    "村名",
    "村类别",
    "驻村第一书记",
    "工作队队长",
    "驻村工作队员",
    "协助驻村乡干部",
    "连片领导",
    "农业科技员",
    "帮扶单位",
    "帮扶责任人",
    "结对户数",
    "农户数",
    "贫困户数",
];

/// The columns of posted people, in order.
const POSTED: [Role; 6] = [
    Role::FirstSecretary,
    Role::TeamLeader,
    Role::ResidentMember,
    Role::AssistingCadre,
    Role::LiaisonLeader,
    Role::AgriTech,
];

fn names(org: &Directory, people: impl IntoIterator<Item = PersonId>) -> String {
    let mut names: Vec<String> = people.into_iter().map(|p| person_name(org, p)).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        "未配备".into()
    } else {
        names.join("、")
    }
}

/// Who holds `role` in `village` on `date`.
pub fn posted(org: &Directory, village: VillageId, role: Role, date: NaiveDate) -> Vec<PersonId> {
    org.assignments
        .iter()
        .filter(|a| a.village_id == Some(village) && a.role == role && a.overlaps(date, date))
        .map(|a| a.person_id)
        .collect()
}

/// The table as of `date`; `support_units` are the units the office registered for each village
/// (帮扶单位), a village without any reading 未登记.
pub fn build(
    township: &Township,
    org: &Directory,
    support_units: &HashMap<VillageId, Vec<String>>,
    date: NaiveDate,
) -> Document {
    let mut villages: Vec<_> = org
        .villages
        .iter()
        .filter(|v| v.township_id == township.id)
        .collect();
    villages.sort_by(|a, b| (!a.poor, &a.name).cmp(&(!b.poor, &b.name)));
    let mut rows = Vec::new();
    let mut sums = [0u32; 6];
    let (mut poor_villages, mut pairs_n, mut households_n, mut poor_n) = (0u32, 0u32, 0u32, 0u32);
    for (i, v) in villages.iter().enumerate() {
        let mut row = vec![
            Cell::count(i as u32 + 1),
            Cell::text(&v.name),
            Cell::text(match (v.poor, v.exiting_this_year) {
                (true, true) => "贫困村（当年退出）",
                (true, false) => "贫困村",
                (false, _) => "非贫困村",
            }),
        ];
        if v.poor {
            poor_villages += 1;
        }
        for (k, role) in POSTED.iter().enumerate() {
            let people = posted(org, v.id, *role, date);
            sums[k] += people.iter().collect::<BTreeSet<_>>().len() as u32;
            row.push(Cell::text(names(org, people)));
        }
        row.push(Cell::text(match support_units.get(&v.id) {
            Some(units) if !units.is_empty() => units.join("、"),
            _ => "未登记".to_string(),
        }));
        let households: BTreeSet<_> = org.households_of(v.id).map(|h| h.id).collect();
        let pairings: Vec<_> = org
            .pairings
            .iter()
            .filter(|p| households.contains(&p.household_id) && p.overlaps(date, date))
            .collect();
        let cadres: BTreeSet<PersonId> = pairings
            .iter()
            .map(|p| p.person_id)
            .chain(posted(org, v.id, Role::PairingCadre, date))
            .collect();
        let paired: BTreeSet<_> = pairings.iter().map(|p| p.household_id).collect();
        let poor = org
            .households_of(v.id)
            .filter(|h| h.has(HouseholdCategory::Poor))
            .count() as u32;
        pairs_n += paired.len() as u32;
        households_n += households.len() as u32;
        poor_n += poor;
        row.push(Cell::text(names(org, cadres)));
        row.push(Cell::count(paired.len() as u32));
        row.push(Cell::count(households.len() as u32));
        row.push(Cell::count(poor));
        rows.push(row);
    }
    let mut total = vec![
        Cell::text("合计"),
        Cell::text(format!("{}个村", villages.len())),
        Cell::text(format!("贫困村{poor_villages}个")),
    ];
    total.extend(sums.iter().map(|n| Cell::text(format!("{n}人"))));
    total.extend([
        Cell::Empty,
        Cell::Empty,
        Cell::count(pairs_n),
        Cell::count(households_n),
        Cell::count(poor_n),
    ]);
    Document {
        title: "贫困村干部驻村帮扶\u{201c}五个一\u{201d}全覆盖基本情况登记表".into(),
        unit: format!("填报单位：{}", labels::full_name(township)),
        period: format!("截至{}", date.format("%Y年%m月%d日")),
        header_rows: vec![HEADERS.iter().map(|h| h.to_string()).collect()],
        rows,
        totals: vec![total],
        notes: vec![format!(
            "按{}在岗的驻村任职与结对关系生成；人员调整后重新导出即为最新登记表。",
            date.format("%Y-%m-%d")
        )],
        signatures: vec![
            "填表人：".into(),
            "审核人：".into(),
            "乡党委（盖章）：".into(),
            "填报日期：".into(),
        ],
        widths: vec![
            5.0, 9.0, 12.0, 10.0, 10.0, 16.0, 14.0, 10.0, 10.0, 10.0, 20.0, 7.0, 7.0, 7.0,
        ],
        landscape: true,
        file_stem: format!("{}_五个一登记表_{}", township.name, date.format("%Y-%m-%d")),
    }
}
