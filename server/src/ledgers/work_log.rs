//! 工作日志 (三(四)): one person's month, day by day and in order — stays in the village,
//! household visits with their notes, activities, reports, events and notes — the cadre's own
//! text kept as written.

use super::document::{Cell, Document};
use super::labels::{self, hhmm, month_day, person_name, roles_zh};
use super::month_work::{entry_date, MonthWork};
use super::Township;
use chrono::{DateTime, NaiveDate, Utc};
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::Directory;
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::record::RecordBody;

pub const HEADERS: [&str; 8] = [
    "日期",
    "时间",
    "类别",
    "地点",
    "内容",
    "时长（小时）",
    "照片（张）",
    "核验",
];

pub fn build(
    township: &Township,
    org: &Directory,
    person: PersonId,
    month: Period,
    work: &MonthWork,
) -> Document {
    let name = person_name(org, person);
    let village_name = |v: Option<zhucun_shared::ids::VillageId>| {
        v.and_then(|v| org.village(v))
            .map_or(String::new(), |v| v.name.clone())
    };
    // (day, time, row): sorted, then the keys dropped.
    let mut lines: Vec<(NaiveDate, DateTime<Utc>, Vec<Cell>)> = Vec::new();
    let mut stay_hours = chrono::Duration::zero();
    let mut stay_days = std::collections::BTreeSet::new();
    for s in work
        .stays_of(person)
        .iter()
        .filter(|s| month.contains(s.day()))
    {
        stay_hours += s.duration();
        stay_days.insert(s.day());
        let village = village_name(Some(s.village_id));
        lines.push((
            s.day(),
            s.start,
            vec![
                Cell::text(month_day(s.day())),
                Cell::text(format!("{}–{}", hhmm(s.start), hhmm(s.end))),
                Cell::text("在村"),
                Cell::text(&village),
                Cell::text(format!("在{village}停留（轨迹定位{}个）", s.fixes)),
                Cell::hours(s.duration()),
                Cell::Empty,
                Cell::Empty,
            ],
        ));
    }
    let (mut visits_n, mut valid_n, mut photos_n) = (0u32, 0u32, 0u32);
    for v in work.visits_of(person) {
        let visit = &v.visit;
        visits_n += 1;
        if v.check.valid {
            valid_n += 1;
        }
        photos_n += visit.photos.len() as u32;
        let household = org.household(visit.household_id);
        let place = household.map_or_else(
            || "未登记农户".to_string(),
            |h| format!("{}{}户", village_name(Some(h.village_id)), h.head_name),
        );
        let notes: Vec<&str> = visit.notes.iter().map(|(_, t)| t.as_str()).collect();
        let checked = if v.check.valid {
            "有效".to_string()
        } else {
            v.check
                .rejections
                .iter()
                .map(|r| r.reason.label_zh())
                .collect::<Vec<_>>()
                .join("、")
        };
        lines.push((
            local_date(visit.start),
            visit.start,
            vec![
                Cell::text(month_day(local_date(visit.start))),
                Cell::text(format!(
                    "{}–{}",
                    hhmm(visit.start),
                    visit.end.map_or("未签退".into(), hhmm)
                )),
                Cell::text("入户走访"),
                Cell::text(place),
                Cell::text(notes.join("\n")),
                visit
                    .end
                    .map_or(Cell::Empty, |e| Cell::hours(e - visit.start)),
                Cell::count(visit.photos.len() as u32),
                Cell::text(checked),
            ],
        ));
    }
    let (mut activities_n, mut reports_n) = (0u32, 0u32);
    for r in work.entries_of(person) {
        let (kind, place, text) = match &r.body {
            RecordBody::Activity {
                kind,
                village_id,
                title,
                text,
                person_times,
                ..
            } => {
                activities_n += 1;
                let times = person_times.map_or(String::new(), |n| format!("（{n}人次）"));
                (
                    format!("活动·{}", kind.label_zh()),
                    village_name(*village_id),
                    format!("{title}{times}\n{text}"),
                )
            }
            RecordBody::Report {
                kind,
                village_id,
                period,
                title,
                text,
                ..
            } => {
                reports_n += 1;
                (
                    format!("报告·{}", kind.label_zh()),
                    village_name(*village_id),
                    format!("{title}（{}）\n{text}", period.label_zh()),
                )
            }
            RecordBody::VillageEvent {
                village_id,
                kind,
                description,
                ..
            } => (
                format!("四必到·{}", kind.label_zh()),
                village_name(Some(*village_id)),
                description.clone(),
            ),
            RecordBody::Note { text, .. } => ("记事".to_string(), String::new(), text.clone()),
            _ => continue,
        };
        let day = entry_date(r);
        lines.push((
            day,
            r.captured_at,
            vec![
                Cell::text(month_day(day)),
                Cell::text(hhmm(r.captured_at)),
                Cell::text(kind),
                Cell::text(place),
                Cell::text(text.trim_end()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ],
        ));
    }
    lines.sort_by_key(|(d, t, _)| (*d, *t));
    let roles = org.roles_between(person, month.first_day(), month.last_day());
    Document {
        title: format!("{name}工作日志"),
        unit: format!(
            "单位：{}　姓名：{}　职务：{}",
            labels::full_name(township),
            name,
            roles_zh(&roles)
        ),
        period: month.label_zh(),
        header_rows: vec![HEADERS.iter().map(|h| h.to_string()).collect()],
        rows: lines.into_iter().map(|(_, _, row)| row).collect(),
        totals: vec![vec![
            Cell::text("合计"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::text(format!(
                "在村{}天；入户走访{}户次（有效{}）；活动{}项；报告{}份",
                stay_days.len(),
                visits_n,
                valid_n,
                activities_n,
                reports_n
            )),
            Cell::hours(stay_hours),
            Cell::count(photos_n),
            Cell::Empty,
        ]],
        notes: vec!["在村时段取自轨迹；走访记录、活动与报告内容为本人原文。".into()],
        signatures: vec!["本人（签字）：".into(), "队长审核（签字）：".into()],
        widths: vec![7.0, 13.0, 14.0, 16.0, 48.0, 8.0, 7.0, 14.0],
        landscape: false,
        file_stem: format!("{name}_工作日志_{month}"),
    }
}
