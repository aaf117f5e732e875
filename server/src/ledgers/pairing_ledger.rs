//! 结对帮扶台账 (三(五), R-35): one pairing cadre's paired households and every visit to them in
//! the month — date, duration, photos, what was done as the cadre wrote it — each marked as
//! counted or not by the paired-visits rule. Its lines are the shared
//! [`zhucun_shared::pairing_ledger`]'s, and an incomplete line (no check-out, no 帮扶记录, no
//! photo) is named in the notes as R-35 names it.

use super::document::{Cell, Document};
use super::labels::{self, hhmm, month_day, person_name, Reports};
use super::month_work::MonthWork;
use super::Township;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::{Directory, Household};
use zhucun_shared::pairing_ledger::{ledger_lines, line_gaps};
use zhucun_shared::period::{local_date, local_label, Period};
use zhucun_shared::role::Role;

pub const HEADERS: [&str; 12] = [
    "序号",
    "户主",
    "所在村",
    "人口",
    "户类别",
    "走访日期",
    "入户时间",
    "离户时间",
    "时长（分钟）",
    "照片（张）",
    "帮扶内容（走访记录）",
    "是否计入",
];

pub fn build(
    township: &Township,
    org: &Directory,
    catalogue: &Catalogue,
    person: PersonId,
    month: Period,
    work: &MonthWork,
    reports: &Reports,
) -> Document {
    let name = person_name(org, person);
    let rule = labels::rule_for(catalogue, Role::PairingCadre, labels::is_paired_visits);
    let verdict = rule.and_then(|r| labels::verdict(reports, person, r));
    let part = verdict.and_then(labels::main_part);
    let mut households: Vec<&Household> = org
        .paired(person, month.first_day(), month.last_day())
        .into_iter()
        .filter_map(|h| org.household(h))
        .collect();
    let village_name = |h: &Household| {
        org.village(h.village_id)
            .map_or(String::new(), |v| v.name.clone())
    };
    households.sort_by_key(|h| (village_name(h), h.head_name.clone()));
    let lines = ledger_lines(org, person, month, work.visits_of(person).map(|v| &v.visit));
    let mut incomplete = Vec::new();
    let mut rows = Vec::new();
    let (mut n, mut visits_n, mut minutes_n, mut photos_n, mut counted_n) =
        (0u32, 0u32, 0i64, 0u32, 0u32);
    for h in &households {
        n += 1;
        let lead = |n: u32| {
            vec![
                Cell::count(n),
                Cell::text(&h.head_name),
                Cell::text(village_name(h)),
                Cell::count(h.members),
                Cell::text(
                    h.categories
                        .iter()
                        .map(|c| c.label_zh())
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
            ]
        };
        let visits: Vec<_> = lines
            .iter()
            .copied()
            .filter(|v| v.household_id == h.id)
            .collect();
        if visits.is_empty() {
            let mut row = lead(n);
            row.push(Cell::text("本月未走访"));
            row.extend(std::iter::repeat_n(Cell::Empty, 6));
            rows.push(row);
            continue;
        }
        for visit in visits {
            let gaps = line_gaps(visit);
            if !gaps.is_empty() {
                let what: Vec<_> = gaps.iter().map(|g| g.label_zh()).collect();
                incomplete.push(format!(
                    "{} {}（{}）",
                    h.head_name,
                    local_label(visit.start),
                    what.join("、")
                ));
            }
            visits_n += 1;
            photos_n += visit.photos.len() as u32;
            let minutes = visit.end.map(|e| (e - visit.start).num_minutes());
            minutes_n += minutes.unwrap_or(0);
            let counted = labels::counted_label(part, visit.check_in);
            if counted == "计入" {
                counted_n += 1;
            }
            let mut row = lead(n);
            row.extend([
                Cell::text(month_day(local_date(visit.start))),
                Cell::text(hhmm(visit.start)),
                Cell::text(visit.end.map_or("未签退".into(), hhmm)),
                minutes.map_or(Cell::Empty, |m| Cell::count(m.max(0) as u64)),
                Cell::count(visit.photos.len() as u32),
                Cell::text(
                    visit
                        .notes
                        .iter()
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Cell::text(counted),
            ]);
            rows.push(row);
        }
    }
    let against = match (rule, part) {
        (Some(rule), Some(p)) => format!("{} 计入{}次，要求≥{}次", rule.id, p.counted, p.required),
        _ => "不适用".into(),
    };
    Document {
        title: format!("{name}结对帮扶台账"),
        unit: format!(
            "单位：{}　帮扶责任人：{}",
            labels::full_name(township),
            name
        ),
        period: month.label_zh(),
        header_rows: vec![HEADERS.iter().map(|h| h.to_string()).collect()],
        rows,
        totals: vec![vec![
            Cell::text("合计"),
            Cell::text(format!("结对{}户", households.len())),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::text(format!("走访{visits_n}次")),
            Cell::Empty,
            Cell::Empty,
            Cell::count(minutes_n.max(0) as u64),
            Cell::count(photos_n),
            Cell::text(against),
            Cell::text(format!(
                "计入{counted_n}次 {}",
                verdict.map_or("—".into(), |v| v.status.label_zh().to_string())
            )),
        ]],
        notes: {
            let mut notes = vec![
                "入户、离户时间为签到签退时间；计入与否按结对帮扶走访要求（每月走访贫困户4次以上，二(四)2）核定。".into(),
            ];
            if !incomplete.is_empty() {
                notes.push(format!("台账不完整（R-35）：{}", incomplete.join("；")));
            }
            notes
        },
        signatures: vec![
            "帮扶责任人（签字）：".into(),
            "驻村工作队审核：".into(),
            "日期：".into(),
        ],
        widths: vec![
            5.0, 9.0, 9.0, 6.0, 14.0, 9.0, 8.0, 8.0, 8.0, 7.0, 40.0, 16.0,
        ],
        landscape: true,
        file_stem: format!("{name}_结对帮扶台账_{month}"),
    }
}
