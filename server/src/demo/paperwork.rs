//! The paperwork beside the days on duty: weekly entries (每周录入), monthly reports and
//! information feedback, the liaison leaders' ledgers, activities, trainings, the supervisor's
//! patrols and inspection. Late or missing where a team falls short.

use super::people::{Liaison, Team};
use super::work::Work;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;
use zhucun_shared::ids::{PersonId, VillageId};
use zhucun_shared::org::Village;
use zhucun_shared::period::Period;
use zhucun_shared::record::{ActivityKind, RecordBody, ReportKind};
use zhucun_shared::synth::at_local;

/// A report without attachments.
fn report(
    kind: ReportKind,
    village: &Village,
    period: Period,
    title: String,
    text: &str,
) -> RecordBody {
    RecordBody::Report {
        kind,
        village_id: Some(village.id),
        period,
        title,
        text: text.into(),
        attachments: vec![],
    }
}

/// Fridays' weekly entries by the team leader, first secretary and resident member: nearly
/// every week where the team works, often missed where it does not.
pub(super) fn weekly_entries(work: &mut Work, vi: usize, team: &Team, effort: f64) {
    let months = work.months;
    for day in months.days.iter().filter(|d| d.weekday() == Weekday::Fri) {
        for who in [team.leader, team.secretary, team.member] {
            let at = at_local(*day, 17, 30);
            if work.days.rng.gen_bool(effort.min(0.97)) && at < months.now {
                let w = day.iso_week();
                let period = Period::Week {
                    year: w.year(),
                    week: w.week(),
                };
                let title = format!("第{}周工作录入", w.week());
                let text = "走访贫困户，收集群众诉求，整理帮扶台账。";
                let village = &work.places.villages[vi];
                let body = report(ReportKind::WeeklyEntry, village, period, title, text);
                work.write(who, at, body);
            }
        }
    }
}

/// Last month's report and information feedback by the team leader: on time where the team
/// works, late where it does not.
pub(super) fn monthly_reports(work: &mut Work, vi: usize, leader: PersonId, effort: f64) {
    let months = work.months;
    let filed = months.this_month + Duration::days(if effort >= 0.9 { 3 } else { 9 });
    if at_local(filed, 10, 0) >= months.now {
        return;
    }
    let last = months.last_month();
    let village = &work.places.villages[vi];
    let title = format!("{}{}完成情况及本月计划", village.name, last.label_zh());
    let text = "完成走访全覆盖，协调解决饮水问题一件；本月计划推进产业项目。";
    let body = report(ReportKind::MonthlyReport, village, last, title, text);
    work.write(leader, at_local(filed, 10, 0), body);
    let text = "群众反映村道破损，已报乡交通办。";
    let body = report(
        ReportKind::InformationFeedback,
        village,
        last,
        "信息反馈".into(),
        text,
    );
    work.write(leader, at_local(filed, 10, 30), body);
}

/// An activity (活动) held on `held_on`, with no count of people or things.
fn activity(
    kind: ActivityKind,
    village_id: Option<VillageId>,
    held_on: NaiveDate,
    title: &str,
    text: &str,
) -> RecordBody {
    RecordBody::Activity {
        kind,
        village_id,
        held_on,
        person_times: None,
        quantity: None,
        title: title.into(),
        text: text.into(),
    }
}

/// The team's activities last month: organisational life, a joint meeting, a collective
/// activity with the sponsoring unit.
pub(super) fn team_activities(work: &mut Work, vi: usize, leader: PersonId) {
    let first = work.months.last_month_start;
    let village_id = Some(work.places.villages[vi].id);
    for (kind, day) in [
        (ActivityKind::OrganisationalLife, first + Duration::days(10)),
        (ActivityKind::JointMeeting, first + Duration::days(17)),
        (ActivityKind::CollectiveActivity, first + Duration::days(20)),
    ] {
        let text = "帮扶单位党支部与村党支部共同开展。";
        let body = activity(kind, village_id, day, kind.label_zh(), text);
        work.write(leader, at_local(day, 16, 0), body);
    }
}

/// A liaison leader's monthly ledger (月台账) for last month.
pub(super) fn liaison_ledger(work: &mut Work, liaison: &Liaison) {
    let months = work.months;
    let filed = months.this_month + Duration::days(liaison.files_ledger_after);
    let at = at_local(filed, 9, 0);
    if at < months.now {
        let last = months.last_month();
        let title = format!("领导挂联工作月台账（{}）", last.label_zh());
        let text = "到村开展工作情况、走访户数、协调解决问题。";
        let village = &work.places.villages[liaison.cluster[0]];
        let body = report(ReportKind::MonthlyLedger, village, last, title, text);
        work.write(liaison.id, at, body);
    }
}

/// The technician's training (with how many attended) or a technique shown, that afternoon.
pub(super) fn technician_activity(
    work: &mut Work,
    who: PersonId,
    vi: usize,
    day: NaiveDate,
    training: bool,
) {
    let kind = if training {
        ActivityKind::Training
    } else {
        ActivityKind::Technique
    };
    // Drawn either way, so that the days after stay the same.
    let attended = work.days.rng.gen_range(25..50);
    let village_id = Some(work.places.villages[vi].id);
    work.write(
        who,
        at_local(day, 15, 0),
        RecordBody::Activity {
            kind,
            village_id,
            held_on: day,
            person_times: training.then_some(attended),
            quantity: Some(1),
            title: if training {
                "青花椒修剪技术培训".into()
            } else {
                "推广稻鱼综合种养".into()
            },
            text: "现场示范，发放技术资料。".into(),
        },
    );
}

/// The supervisor: a patrol every Wednesday, a village in turn, and last month's inspection.
pub(super) fn supervision(work: &mut Work, who: PersonId) {
    let months = work.months;
    let villages = &work.places.villages;
    for day in months.days.iter().filter(|d| d.weekday() == Weekday::Wed) {
        let at = at_local(*day, 15, 0);
        if at < months.now {
            let village_id = Some(villages[day.day() as usize % villages.len()].id);
            let text = "抽查驻村干部在岗情况和走访记录。";
            let body = activity(ActivityKind::Patrol, village_id, *day, "驻村工作巡视", text);
            work.write(who, at, body);
        }
    }
    let day = months.last_month_start + Duration::days(24);
    let text = "督查各村工作队台账和轨迹。";
    let body = activity(ActivityKind::Inspection, None, day, "月度督查", text);
    work.write(who, at_local(day, 10, 0), body);
}
