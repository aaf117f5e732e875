//! 考勤表 (三(四)): for one village's resident team and month, each member × each day — hours
//! in the village, rest day, holiday, absent — with the month's in-village working days
//! against the presence rule (R-233a) where the member is held to it.

use super::document::{Cell, Document};
use super::labels::{self, person_name, roles_zh, Reports};
use super::month_work::MonthWork;
use super::Township;
use chrono::{Datelike, NaiveDate, Weekday};
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ids::{PersonId, VillageId};
use zhucun_shared::leave::AbsenceKind;
use zhucun_shared::org::Directory;
use zhucun_shared::period::Period;
use zhucun_shared::role::Role;
use zhucun_shared::stays::presence_per_day;

/// Columns before the days.
pub const LEAD: [&str; 3] = ["序号", "姓名", "职务"];
/// Columns after the days.
pub const TAIL: [&str; 4] = ["在村工作日（天）", "工作日（天）", "要求（天）", "结论"];

/// What a day was for a member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DayMark {
    /// Hours present in the village (more than none).
    Present(chrono::Duration),
    /// A working day without presence: 缺.
    Absent,
    /// 休
    RestDay,
    /// 节: a statutory holiday.
    Holiday,
    /// —: not posted to the village that day.
    NotPosted,
    /// Not yet come.
    Future,
    /// 假 / 公: a working day of approved leave or official absence, neither present nor
    /// required.
    Away(AbsenceKind),
}

impl DayMark {
    pub fn cell(self) -> Cell {
        match self {
            DayMark::Present(d) => Cell::hours(d),
            DayMark::Absent => Cell::text("缺"),
            DayMark::RestDay => Cell::text("休"),
            DayMark::Holiday => Cell::text("节"),
            DayMark::NotPosted => Cell::text("—"),
            DayMark::Future => Cell::Empty,
            DayMark::Away(k) => Cell::text(k.mark_zh()),
        }
    }
}

/// Whether `d` is a working day; a year the calendar does not cover falls back to Monday to
/// Friday (the verdicts mark such months provisional).
pub fn is_working(calendar: &WorkCalendar, d: NaiveDate) -> bool {
    calendar
        .is_working_day(d)
        .unwrap_or(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
}

/// A statutory holiday: a day off of a holiday span in the year's notice, or a weekday off.
pub fn is_holiday(calendar: &WorkCalendar, d: NaiveDate) -> bool {
    if is_working(calendar, d) {
        return false;
    }
    calendar
        .years()
        .any(|y| y.year == d.year() && y.rest.contains(&d))
        || !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The team members posted to `village` during `month`, by their first role and name.
pub fn members(org: &Directory, village: VillageId, month: Period) -> Vec<PersonId> {
    let mut out: Vec<(Role, String, PersonId)> = Vec::new();
    for a in org.assignments.iter().filter(|a| {
        a.village_id == Some(village)
            && a.role.is_team_member()
            && a.overlaps(month.first_day(), month.last_day())
    }) {
        match out.iter_mut().find(|(_, _, p)| *p == a.person_id) {
            Some(entry) => entry.0 = entry.0.min(a.role),
            None => out.push((a.role, person_name(org, a.person_id), a.person_id)),
        }
    }
    out.sort();
    out.into_iter().map(|(_, _, p)| p).collect()
}

fn posted_on(org: &Directory, person: PersonId, village: VillageId, d: NaiveDate) -> bool {
    org.postings(person, d, d)
        .any(|a| a.village_id == Some(village) && a.role.is_team_member())
}

/// The days `person`'s verdicts excuse as approved leave or official absence (their
/// evidence, one day range per absence), with the kind.
fn approved_absences(
    reports: &Reports,
    person: PersonId,
) -> std::collections::BTreeMap<NaiveDate, AbsenceKind> {
    let mut out = std::collections::BTreeMap::new();
    let evidence = reports
        .get(&person)
        .into_iter()
        .flat_map(|r| &r.verdicts)
        .flat_map(|v| &v.parts)
        .flat_map(|p| &p.evidence);
    for e in evidence {
        let (Some(kind), Some(end)) = (e.kind.absence(), e.end) else {
            continue;
        };
        let mut d = zhucun_shared::period::local_date(e.start);
        while zhucun_shared::period::day_start(d) < end {
            out.entry(d).or_insert(kind);
            d = d.succ_opt().expect("a day in range");
        }
    }
    out
}

const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

#[allow(clippy::too_many_arguments)]
pub fn build(
    township: &Township,
    org: &Directory,
    catalogue: &Catalogue,
    calendar: &WorkCalendar,
    village: VillageId,
    month: Period,
    today: NaiveDate,
    work: &MonthWork,
    reports: &Reports,
) -> Document {
    let village_name = org.village(village).map_or("?", |v| v.name.as_str());
    let days: Vec<NaiveDate> = month
        .first_day()
        .iter_days()
        .take_while(|d| *d <= month.last_day())
        .collect();
    let threshold = catalogue.interpretation.in_village_day();
    let mut first_header: Vec<String> = LEAD.iter().map(|s| s.to_string()).collect();
    let mut second_header: Vec<String> = vec![String::new(); LEAD.len()];
    for d in &days {
        first_header.push(format!("{}", d.day()));
        second_header.push(WEEKDAYS[d.weekday().num_days_from_monday() as usize].to_string());
    }
    first_header.extend(TAIL.iter().map(|s| s.to_string()));
    second_header.extend(std::iter::repeat_n(String::new(), TAIL.len()));

    let mut rows = Vec::new();
    let (mut sum_present, mut sum_required, mut met) = (0u32, 0u32, 0u32);
    let team = members(org, village, month);
    for (i, person) in team.iter().enumerate() {
        let roles: Vec<Role> = org
            .postings(*person, month.first_day(), month.last_day())
            .filter(|a| a.village_id == Some(village) && a.role.is_team_member())
            .map(|a| a.role)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let presence =
            presence_per_day(&work.stays_in(*person, village).cloned().collect::<Vec<_>>());
        let mut row = vec![
            Cell::count(i as u32 + 1),
            Cell::text(person_name(org, *person)),
            Cell::text(roles_zh(&roles)),
        ];
        let (mut present_days, mut working_days) = (0u32, 0u32);
        let away = approved_absences(reports, *person);
        for d in &days {
            let posted = posted_on(org, *person, village, *d);
            let working = is_working(calendar, *d);
            let hours = presence.get(d).copied().unwrap_or_default();
            let away = away.get(d).copied().filter(|_| working);
            if posted && working && away.is_none() {
                working_days += 1;
                if hours >= threshold {
                    present_days += 1;
                }
            }
            let mark = if !posted {
                DayMark::NotPosted
            } else if hours > chrono::Duration::zero() {
                DayMark::Present(hours)
            } else if let Some(k) = away {
                DayMark::Away(k)
            } else if *d > today {
                DayMark::Future
            } else if working {
                DayMark::Absent
            } else if is_holiday(calendar, *d) {
                DayMark::Holiday
            } else {
                DayMark::RestDay
            };
            row.push(mark.cell());
        }
        let rule = roles
            .iter()
            .find_map(|r| labels::rule_for(catalogue, *r, labels::is_monthly_in_village_days));
        let verdict = rule.and_then(|r| labels::verdict(reports, *person, r));
        let part = verdict.and_then(labels::main_part);
        sum_present += present_days;
        row.push(Cell::count(present_days));
        row.push(Cell::count(working_days));
        match (verdict, part) {
            (Some(v), Some(p)) => {
                sum_required += p.required;
                if v.status == zhucun_shared::verdict::Status::Met {
                    met += 1;
                }
                row.push(Cell::count(p.required));
                row.push(Cell::text(format!(
                    "{} {}",
                    rule.map_or("", |r| r.id.as_str()),
                    v.status.label_zh()
                )));
            }
            _ => {
                row.push(Cell::text("—"));
                row.push(Cell::text("不适用"));
            }
        }
        rows.push(row);
    }
    let mut total = vec![
        Cell::text("合计"),
        Cell::text(format!("{}人", team.len())),
        Cell::Empty,
    ];
    total.extend(std::iter::repeat_n(Cell::Empty, days.len()));
    total.push(Cell::count(sum_present));
    total.push(Cell::Empty);
    total.push(Cell::count(sum_required));
    total.push(Cell::text(format!("达标{met}人")));
    let mut widths = vec![5.0, 8.0, 12.0];
    widths.extend(std::iter::repeat_n(4.2, days.len()));
    widths.extend([8.0, 7.0, 7.0, 12.0]);
    Document {
        title: format!("{village_name}驻村工作队考勤表"),
        unit: format!("单位：{}{}驻村工作队", labels::full_name(township), village_name),
        period: month.label_zh(),
        header_rows: vec![first_header, second_header],
        rows,
        totals: vec![total],
        notes: vec![
            format!(
                "数字为当日在村小时数（取自轨迹）；工作日在村满{}小时计在村工作日。休＝休息日，节＝法定节假日，缺＝工作日未在村，假＝批准请假，公＝批准公差，—＝未在岗；批准请假、公差的工作日不计入工作日。",
                super::document::number_text(catalogue.interpretation.in_village_day_hours)
            ),
            "要求：第一书记和派驻成员在村工作时间不低于工作日总数的三分之二（二(三)3）。".into(),
        ],
        signatures: vec![
            "考勤员：".into(),
            "队长（签字）：".into(),
            "乡党委审核（盖章）：".into(),
        ],
        widths,
        landscape: true,
        file_stem: format!("{village_name}_考勤表_{month}"),
    }
}
