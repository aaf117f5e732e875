//! 考核汇总表 (二(五)2 季度考核): everyone of a township × every rule of the catalogue, for a
//! month, a quarter or a year, from the kept verdicts of each month.

use super::document::{Cell, Document};
use super::labels::{self, person_name, roles_zh};
use super::Township;
use chrono::NaiveDate;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::Directory;
use zhucun_shared::period::Period;
use zhucun_shared::verdict::{PersonReport, Status};

/// The months of `period`, up to the one containing `today`.
pub fn months(period: Period, today: NaiveDate) -> Vec<Period> {
    let mut out = Vec::new();
    let mut d = period.first_day();
    while d <= period.last_day() && d <= today {
        let m = Period::month(chrono::Datelike::year(&d), chrono::Datelike::month(&d));
        out.push(m);
        d = m.next_month_first_day();
    }
    out
}

/// Everyone with a posting in the township during `period` (the county office aside), by name.
pub fn people(org: &Directory, township: &Township, period: Period) -> Vec<PersonId> {
    let mut out: Vec<(String, PersonId)> = org
        .people
        .iter()
        .filter(|p| p.township_id == township.id)
        .filter(|p| {
            org.postings(p.id, period.first_day(), period.last_day())
                .any(|a| !zhucun_shared::org::jurisdiction::township_wide(a.role))
        })
        .map(|p| (p.name.clone(), p.id))
        .collect();
    out.sort();
    out.into_iter().map(|(_, p)| p).collect()
}

/// The text of one person × rule cell over the months' reports: for one month the status with
/// its numbers, for several the worst status and the months met.
pub fn cell(rule: &str, reports: &[&PersonReport]) -> (Cell, Option<Status>) {
    let verdicts: Vec<_> = reports.iter().filter_map(|r| r.verdict(rule)).collect();
    if verdicts.is_empty() {
        return (Cell::text("—"), None);
    }
    let status = Status::combine(verdicts.iter().map(|v| v.status));
    if let [v] = verdicts.as_slice() {
        return (Cell::text(super::labels::verdict_label(v)), Some(status));
    }
    let met = verdicts.iter().filter(|v| v.status == Status::Met).count();
    (
        Cell::text(format!(
            "{}（达标{}/{}月）",
            status.label_zh(),
            met,
            verdicts.len()
        )),
        Some(status),
    )
}

pub fn build(
    township: &Township,
    org: &Directory,
    catalogue: &Catalogue,
    period: Period,
    people: &[PersonId],
    reports: &std::collections::HashMap<PersonId, Vec<PersonReport>>,
) -> Document {
    let mut ids = vec![
        "序号".to_string(),
        "姓名".into(),
        "职务".into(),
        "驻村".into(),
    ];
    let mut titles = vec![String::new(); 4];
    for r in &catalogue.rules {
        ids.push(r.id.clone());
        titles.push(r.title_zh.clone());
    }
    ids.push("未达标项".into());
    titles.push(String::new());
    let mut rows = Vec::new();
    let mut met = vec![0u32; catalogue.rules.len()];
    let mut held = vec![0u32; catalogue.rules.len()];
    for (i, p) in people.iter().enumerate() {
        let theirs: Vec<&PersonReport> = reports.get(p).into_iter().flatten().collect();
        let roles = org.roles_between(*p, period.first_day(), period.last_day());
        let villages: Vec<String> = org
            .villages_of(*p, period.first_day(), period.last_day())
            .into_iter()
            .filter_map(|v| org.village(v).map(|v| v.name.clone()))
            .collect();
        let mut row = vec![
            Cell::count(i as u32 + 1),
            Cell::text(person_name(org, *p)),
            Cell::text(roles_zh(&roles)),
            Cell::text(villages.join("、")),
        ];
        let mut short = 0u32;
        for (k, rule) in catalogue.rules.iter().enumerate() {
            let (c, status) = cell(&rule.id, &theirs);
            if let Some(s) = status {
                held[k] += 1;
                match s {
                    Status::Met => met[k] += 1,
                    Status::Short | Status::Late => short += 1,
                    _ => {}
                }
            }
            row.push(c);
        }
        row.push(Cell::count(short));
        rows.push(row);
    }
    let mut total = vec![
        Cell::text("达标人数"),
        Cell::text(format!("{}人", people.len())),
        Cell::Empty,
        Cell::Empty,
    ];
    for (m, h) in met.iter().zip(&held) {
        total.push(if *h == 0 {
            Cell::text("—")
        } else {
            Cell::text(format!("{m}/{h}"))
        });
    }
    total.push(Cell::Empty);
    let mut widths = vec![5.0, 8.0, 16.0, 10.0];
    widths.extend(std::iter::repeat_n(12.0, catalogue.rules.len()));
    widths.push(8.0);
    Document {
        title: format!("{}驻村干部考核汇总表", township.name),
        unit: format!("单位：{}", labels::full_name(township)),
        period: period.label_zh(),
        header_rows: vec![ids, titles],
        rows,
        totals: vec![total],
        notes: vec![
            "每格为该项要求的结论（计数/要求）；季度、年度为各月结论中最差者及达标月数。—＝不适用。".into(),
        ],
        signatures: vec![
            "乡纪委（签字）：".into(),
            "目标督查办公室（盖章）：".into(),
            "日期：".into(),
        ],
        widths,
        landscape: true,
        file_stem: format!("{}_考核汇总表_{period}", township.name),
    }
}
