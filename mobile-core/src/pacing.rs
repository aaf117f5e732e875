//! 本月进度 in a few lines: of every rule that applies, what is still missing and how many
//! working days are left to do it (还差2次，剩7个工作日), from the verdicts (the server's when
//! there is one, else the phone's own estimate) and the shared working calendar.
//!
//! Pure: [`pace`] reads a [`Progress`] and the calendar; the screen says the lines with
//! `strings::pace_line`.

use crate::progress::Progress;
use chrono::NaiveDate;
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::period::Period;
use zhucun_shared::verdict::{Part, Status};

/// One requirement not met yet.
#[derive(Clone, Debug, PartialEq)]
pub struct PaceLine {
    pub rule_id: String,
    pub title_zh: String,
    /// The requirement, as the verdict words it.
    pub label_zh: String,
    pub status: Status,
    pub counted: u32,
    pub required: u32,
    /// `required - counted`.
    pub short_by: u32,
    /// 次, 天, 户, 人次 or 项, read from the requirement's words.
    pub unit: &'static str,
    /// The last day it can still be done: its deadline, or the end of its period.
    pub until: Option<NaiveDate>,
    /// Working days from today (counted when it is one) to `until`.
    pub working_days_left: Option<u32>,
    /// The requirement's time is up (late, or short after its period).
    pub overdue: bool,
    /// More to do than working days left (one a day at most).
    pub behind: bool,
    /// From the server's verdict (else the phone's estimate).
    pub from_server: bool,
}

/// The month at a glance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pacing {
    /// Rules that apply this month (not 不适用).
    pub rules: usize,
    /// Of them, met.
    pub met: usize,
    /// Requirements still open, most pressing first: overdue, behind, then fewest working
    /// days per missing item.
    pub lines: Vec<PaceLine>,
    /// Requirements still open whose time runs beyond this month (a quarter's, a year's):
    /// counted, not listed, so the page stays a few lines.
    pub later: usize,
    /// Working days left in the month, today included when it is one.
    pub month_days_left: u32,
}

/// The unit a requirement counts in, from its words.
pub fn unit_of(label: &str) -> &'static str {
    if label.contains("人次") {
        "人次"
    } else if label.contains("天") || label.contains("工作日≥") {
        "天"
    } else if label.contains('次') || label.contains("进村") || label.contains("到村") {
        "次"
    } else if label.contains('户') {
        "户"
    } else {
        "项"
    }
}

/// Working days of `from..=to` (none when `to` is before `from`).
fn working_days_between(calendar: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> u32 {
    if to < from {
        return 0;
    }
    calendar.working_days(from, to).0.len() as u32
}

/// The last day a part can still be met: its deadline, else its period's last day.
fn until(part: &Part) -> Option<NaiveDate> {
    part.due
        .or_else(|| part.period.parse::<Period>().ok().map(|p| p.last_day()))
}

/// What is left of `progress` as of `today`.
pub fn pace(progress: &Progress, calendar: &WorkCalendar, today: NaiveDate) -> Pacing {
    let mut out = Pacing {
        month_days_left: working_days_between(calendar, today, progress.month.last_day()),
        ..Pacing::default()
    };
    for row in &progress.rows {
        let (verdict, from_server) = match (&row.server, &row.local) {
            (Some(v), _) => (v, true),
            (None, Some(v)) => (v, false),
            (None, None) => continue,
        };
        if verdict.status == Status::NotApplicable {
            continue;
        }
        out.rules += 1;
        if verdict.status == Status::Met {
            out.met += 1;
            continue;
        }
        for part in &verdict.parts {
            if matches!(part.status, Status::Met | Status::NotApplicable)
                || part.counted >= part.required
            {
                continue;
            }
            let until = until(part);
            let overdue = part.status == Status::Late || until.is_some_and(|u| u < today);
            let left = until.map(|u| working_days_between(calendar, today, u));
            let short_by = part.required - part.counted;
            if !overdue && until.is_some_and(|u| u > progress.month.last_day()) {
                out.later += 1;
                continue;
            }
            out.lines.push(PaceLine {
                rule_id: row.rule_id.clone(),
                title_zh: row.title_zh.clone(),
                label_zh: part.label_zh.clone(),
                status: part.status,
                counted: part.counted,
                required: part.required,
                short_by,
                unit: unit_of(&part.label_zh),
                until,
                working_days_left: left,
                overdue,
                behind: !overdue && left.is_some_and(|d| short_by > d),
                from_server,
            });
        }
    }
    // Most pressing first: overdue, behind, then the fewest working days per missing item.
    let pressure = |l: &PaceLine| match l.working_days_left {
        Some(d) => f64::from(d) / f64::from(l.short_by.max(1)),
        None => f64::INFINITY,
    };
    out.lines.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.behind.cmp(&a.behind))
            .then(pressure(a).total_cmp(&pressure(b)))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::ProgressRow;
    use chrono::{TimeZone, Utc};
    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    use zhucun_shared::verdict::Verdict;

    fn part(label: &str, period: &str, status: Status, counted: u32, required: u32) -> Part {
        Part {
            label_zh: label.into(),
            period: period.into(),
            village_id: None,
            status,
            counted,
            required,
            due: None,
            evidence: Vec::new(),
            rejected: Vec::new(),
        }
    }

    fn row(id: &str, status: Status, parts: Vec<Part>, server: bool) -> ProgressRow {
        let v = Verdict {
            rule_id: id.into(),
            seed_ref: String::new(),
            title_zh: format!("规则{id}"),
            status,
            provisional: !server,
            parts,
        };
        ProgressRow {
            rule_id: id.into(),
            seed_ref: String::new(),
            title_zh: format!("规则{id}"),
            local: (!server).then(|| v.clone()),
            server: server.then_some(v),
        }
    }

    fn progress(rows: Vec<ProgressRow>) -> Progress {
        Progress {
            month: Period::month(2026, 11),
            computed_at: Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap(),
            server_evaluated_at: None,
            rows,
        }
    }

    #[test]
    fn units_come_from_the_requirements_words() {
        for (label, unit) in [
            ("走访结对贫困户≥2次", "次"),
            ("合格到村4次（停留≥4小时，走访贫困户≥2户）", "次"),
            ("在村天数≥15", "天"),
            ("在村工作日≥工作日总数21的2/3", "天"),
            (
                "四必访：党员、困难、危重病人、空巢老人及留守儿童家庭每户走访",
                "户",
            ),
            ("培训≥30人次", "人次"),
            ("领导挂联工作月台账村确认（11月30日前）", "项"),
            ("合格进村", "次"),
        ] {
            assert_eq!(unit_of(label), unit, "{label}");
        }
    }

    /// Table: (today, counted, required, status) → (short by, working days left, behind,
    /// overdue), on the bundled calendar's November 2026 (30 days, 21 working days; the 20th
    /// is a Friday, the 21st and 22nd a weekend).
    #[test]
    fn each_line_says_how_many_are_missing_and_the_working_days_left() {
        let cal = WorkCalendar::bundled();
        let cases: [(NaiveDate, u32, u32, Status, (u32, u32, bool, bool)); 6] = [
            // Friday the 20th: the 20th, 23rd–27th and 30th are left.
            (ymd(2026, 11, 20), 2, 4, Status::Short, (2, 7, false, false)),
            // A Saturday is no working day: six left.
            (ymd(2026, 11, 21), 0, 7, Status::Short, (7, 6, true, false)),
            (
                ymd(2026, 11, 2),
                0,
                2,
                Status::NotYetDue,
                (2, 21, false, false),
            ),
            // The last day: it still counts itself.
            (ymd(2026, 11, 30), 1, 2, Status::Short, (1, 1, false, false)),
            (ymd(2026, 11, 30), 0, 3, Status::Short, (3, 1, true, false)),
            // Already late: overdue, not behind.
            (ymd(2026, 11, 20), 0, 1, Status::Late, (1, 7, false, true)),
        ];
        for (today, counted, required, status, want) in cases {
            let p = progress(vec![row(
                "R-1",
                Status::Short,
                vec![part(
                    "走访结对贫困户≥2次",
                    "2026-11",
                    status,
                    counted,
                    required,
                )],
                true,
            )]);
            let paced = pace(&p, &cal, today);
            let l = &paced.lines[0];
            assert_eq!(
                (
                    l.short_by,
                    l.working_days_left.unwrap(),
                    l.behind,
                    l.overdue
                ),
                want,
                "{today} {counted}/{required}"
            );
            assert!(l.from_server);
        }
    }

    #[test]
    fn met_and_not_applicable_rules_make_no_lines_and_the_pressing_come_first() {
        let cal = WorkCalendar::bundled();
        let mut deadline = part(
            "领导挂联工作月台账村确认（11月25日前）",
            "2026-11",
            Status::NotYetDue,
            0,
            1,
        );
        deadline.due = Some(ymd(2026, 11, 25));
        let p = progress(vec![
            row(
                "R-1",
                Status::Met,
                vec![part("在村天数≥15", "2026-11", Status::Met, 16, 15)],
                true,
            ),
            row("R-2", Status::NotApplicable, vec![], true),
            row(
                "R-3",
                Status::Short,
                vec![
                    part("在村天数≥15", "2026-11", Status::Short, 5, 15),
                    part("培训≥30人次", "2026", Status::Met, 40, 30),
                    part("调研文章≥1", "2026", Status::NotYetDue, 0, 1),
                ],
                false,
            ),
            row("R-4", Status::NotYetDue, vec![deadline], true),
            row(
                "R-5",
                Status::NotYetDue,
                vec![part(
                    "走访结对贫困户≥2次",
                    "2026-11",
                    Status::NotYetDue,
                    1,
                    2,
                )],
                true,
            ),
        ]);
        let paced = pace(&p, &cal, ymd(2026, 11, 20));
        assert_eq!((paced.rules, paced.met), (4, 1));
        // The year's article is due after this month: counted, not listed.
        assert_eq!(paced.later, 1);
        assert_eq!(paced.month_days_left, 7);
        let order: Vec<&str> = paced.lines.iter().map(|l| l.rule_id.as_str()).collect();
        // R-3 is behind (10 days in 7); R-4 has 4 working days (20, 23, 24, 25) for one
        // item; R-5 seven for one.
        assert_eq!(order, vec!["R-3", "R-4", "R-5"]);
        assert!(!paced.lines[0].from_server);
        assert_eq!(paced.lines[1].working_days_left, Some(4));
        assert_eq!(paced.lines[0].unit, "天");
    }
}
