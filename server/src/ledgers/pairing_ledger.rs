//! 结对帮扶台账 (三(五), R-35): one pairing cadre's paired households and every visit to them in
//! the month — date, duration, photos, what was done as the cadre wrote it — each marked as
//! counted or not by the paired-visits rule. Its lines are the shared
//! [`zhucun_shared::pairing_ledger`]'s, and an incomplete line (no check-out, no 帮扶记录, no
//! photo) is named in the notes as R-35 names it. The same lines make one household's ledger
//! ([`build_household`]): every visit of the cadres paired with it.

use super::document::{Cell, Document};
use super::labels::{self, hhmm, month_day, person_name, Reports};
use super::month_work::{CheckedVisit, MonthWork};
use super::Township;
use std::collections::HashMap;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ids::{HouseholdId, PersonId, RecordId};
use zhucun_shared::org::{Directory, Household};
use zhucun_shared::pairing_ledger::{ledger_lines, line_gaps, LineGap};
use zhucun_shared::period::{local_date, local_label, Period};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{Part, RejectReason};

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

/// The cells of a visit's line from its date on — date, arrival, departure, minutes, photos,
/// what was done, counted or not — with what an incomplete line lacks. A visit found false on a
/// spot check (核查不属实, as the verdicts find it) is marked so and is no incomplete line: it
/// counts for nothing whatever it holds.
fn visit_line(visit: &CheckedVisit, part: Option<&Part>) -> (Vec<Cell>, Vec<LineGap>) {
    let v = &visit.visit;
    let found_false = visit
        .check
        .rejections
        .iter()
        .any(|r| r.reason == RejectReason::FoundFalse);
    let gaps = if found_false {
        Vec::new()
    } else {
        line_gaps(v)
    };
    let minutes = v.end.map(|e| (e - v.start).num_minutes());
    let counted = if found_false {
        format!("不计入：{}", RejectReason::FoundFalse.label_zh())
    } else {
        labels::counted_label(part, v.check_in)
    };
    let cells = vec![
        Cell::text(month_day(local_date(v.start))),
        Cell::text(hhmm(v.start)),
        Cell::text(v.end.map_or("未签退".into(), hhmm)),
        minutes.map_or(Cell::Empty, |m| Cell::count(m.max(0) as u64)),
        Cell::count(v.photos.len() as u32),
        Cell::text(
            v.notes
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Cell::text(counted),
    ];
    (cells, gaps)
}

/// The checked visits of `person`'s ledger lines for `month`, in time order.
fn lines_of<'w>(
    org: &Directory,
    person: PersonId,
    month: Period,
    work: &'w MonthWork,
) -> Vec<&'w CheckedVisit> {
    let by_check_in: HashMap<RecordId, &CheckedVisit> = work
        .visits_of(person)
        .map(|v| (v.visit.check_in, v))
        .collect();
    ledger_lines(org, person, month, work.visits_of(person).map(|v| &v.visit))
        .into_iter()
        .filter_map(|v| by_check_in.get(&v.check_in).copied())
        .collect()
}

fn incomplete_note(incomplete: &[String]) -> Option<String> {
    (!incomplete.is_empty()).then(|| format!("台账不完整（R-35）：{}", incomplete.join("；")))
}

fn gap_text(gaps: &[LineGap]) -> String {
    gaps.iter()
        .map(|g| g.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

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
    let lines = lines_of(org, person, month, work);
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
            .filter(|v| v.visit.household_id == h.id)
            .collect();
        if visits.is_empty() {
            let mut row = lead(n);
            row.push(Cell::text("本月未走访"));
            row.extend(std::iter::repeat_n(Cell::Empty, 6));
            rows.push(row);
            continue;
        }
        for visit in visits {
            let (cells, gaps) = visit_line(visit, part);
            if !gaps.is_empty() {
                incomplete.push(format!(
                    "{} {}（{}）",
                    h.head_name,
                    local_label(visit.visit.start),
                    gap_text(&gaps)
                ));
            }
            visits_n += 1;
            photos_n += visit.visit.photos.len() as u32;
            minutes_n += visit
                .visit
                .end
                .map_or(0, |e| (e - visit.visit.start).num_minutes());
            if cells.last() == Some(&Cell::text("计入")) {
                counted_n += 1;
            }
            let mut row = lead(n);
            row.extend(cells);
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
            let mut notes = vec![NOTE.into()];
            notes.extend(incomplete_note(&incomplete));
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

const NOTE: &str = "入户、离户时间为签到签退时间；计入与否按结对帮扶走访要求（每月走访贫困户4次以上，二(四)2）核定。";

/// The household's columns, from the visit's date on.
pub const HOUSEHOLD_HEADERS: [&str; 9] = [
    "序号",
    "帮扶责任人",
    "走访日期",
    "入户时间",
    "离户时间",
    "时长（分钟）",
    "照片（张）",
    "帮扶内容（走访记录）",
    "是否计入",
];

/// The pairing cadres of `household` at some time of `month`.
pub fn cadres_of(org: &Directory, household: HouseholdId, month: Period) -> Vec<PersonId> {
    org.pairings
        .iter()
        .filter(|p| p.household_id == household && p.overlaps(month.first_day(), month.last_day()))
        .map(|p| p.person_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One household's 结对帮扶台账 for the month: every visit of the cadres paired with it (a line
/// of their own ledgers), in time order, each counted or not by that cadre's R-242.
pub fn build_household(
    township: &Township,
    org: &Directory,
    catalogue: &Catalogue,
    household: HouseholdId,
    month: Period,
    work: &MonthWork,
    reports: &Reports,
) -> Document {
    let h = org.household(household);
    let head = h.map_or_else(|| household.to_string(), |h| h.head_name.clone());
    let village = h
        .and_then(|h| org.village(h.village_id))
        .map_or(String::new(), |v| v.name.clone());
    let rule = labels::rule_for(catalogue, Role::PairingCadre, labels::is_paired_visits);
    let cadres = cadres_of(org, household, month);
    let mut lines: Vec<(PersonId, &CheckedVisit)> = cadres
        .iter()
        .flat_map(|p| {
            lines_of(org, *p, month, work)
                .into_iter()
                .filter(|v| v.visit.household_id == household)
                .map(move |v| (*p, v))
        })
        .collect();
    lines.sort_by_key(|(_, v)| (v.visit.start, v.visit.check_in));
    let (mut minutes_n, mut photos_n, mut counted_n) = (0i64, 0u32, 0u32);
    let mut incomplete = Vec::new();
    let mut rows = Vec::new();
    for (i, (person, visit)) in lines.iter().enumerate() {
        let part = rule
            .and_then(|r| labels::verdict(reports, *person, r))
            .and_then(labels::main_part);
        let (cells, gaps) = visit_line(visit, part);
        let name = person_name(org, *person);
        if !gaps.is_empty() {
            incomplete.push(format!(
                "{name} {}（{}）",
                local_label(visit.visit.start),
                gap_text(&gaps)
            ));
        }
        photos_n += visit.visit.photos.len() as u32;
        minutes_n += visit
            .visit
            .end
            .map_or(0, |e| (e - visit.visit.start).num_minutes());
        if cells.last() == Some(&Cell::text("计入")) {
            counted_n += 1;
        }
        let mut row = vec![Cell::count(i as u32 + 1), Cell::text(name)];
        row.extend(cells);
        rows.push(row);
    }
    let cadre_names = cadres
        .iter()
        .map(|p| person_name(org, *p))
        .collect::<Vec<_>>()
        .join("、");
    let categories = h.map_or(String::new(), |h| {
        h.categories
            .iter()
            .map(|c| c.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    });
    Document {
        title: format!("{village}{head}户结对帮扶台账"),
        unit: format!(
            "单位：{}{village}　户主：{head}（{}人，{categories}）　帮扶责任人：{}",
            labels::full_name(township),
            h.map_or(0, |h| h.members),
            if cadre_names.is_empty() {
                "未结对"
            } else {
                cadre_names.as_str()
            }
        ),
        period: month.label_zh(),
        header_rows: vec![HOUSEHOLD_HEADERS.iter().map(|h| h.to_string()).collect()],
        rows,
        totals: vec![vec![
            Cell::text("合计"),
            Cell::text(format!("帮扶责任人{}人", cadres.len())),
            Cell::text(format!("走访{}次", lines.len())),
            Cell::Empty,
            Cell::Empty,
            Cell::count(minutes_n.max(0) as u64),
            Cell::count(photos_n),
            Cell::Empty,
            Cell::text(format!("计入{counted_n}次")),
        ]],
        notes: {
            let mut notes = vec![NOTE.into()];
            notes.extend(incomplete_note(&incomplete));
            notes
        },
        signatures: vec![
            "帮扶责任人（签字）：".into(),
            "户主（签字）：".into(),
            "日期：".into(),
        ],
        widths: vec![5.0, 10.0, 9.0, 8.0, 8.0, 8.0, 7.0, 44.0, 18.0],
        landscape: true,
        file_stem: format!("{village}{head}户_结对帮扶台账_{month}"),
    }
}
