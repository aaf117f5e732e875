//! One table of boundary cases per rule id of the plan (RULES.md).

use crate::common::*;
use chrono::Duration;
use rstest::rstest;
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::PLAN_RULE_IDS;
use zhucun_shared::period::Period;
use zhucun_shared::record::{ActivityKind, DeviceRecord, EventKind, RecordBody, ReportKind};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{RejectReason, Status};

fn h(hours: i64, minutes: i64) -> Duration {
    Duration::hours(hours) + Duration::minutes(minutes)
}

/// `days` stays in November 2026 (from the 2nd, one a day) of `length` with `households` visits.
fn stays(
    w: &World,
    role: Role,
    days: u32,
    length: Duration,
    households: usize,
) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(role);
    (0..days)
        .flat_map(|i| w.stay(&mut rec, at(2026, 11, 2 + i, 8, 0), length, households))
        .collect()
}

#[rstest]
#[case::four_half_days(4, h(4, 0), 6, Status::Met, 4)]
#[case::one_visit_short(3, h(4, 0), 6, Status::Short, 3)]
#[case::stays_of_3h59_do_not_count(4, h(3, 59), 6, Status::Short, 0)]
#[case::five_households_are_too_few(4, h(4, 0), 5, Status::Short, 0)]
fn r211_liaison_leader_village_visits(
    #[case] days: u32,
    #[case] length: Duration,
    #[case] households: usize,
    #[case] status: Status,
    #[case] counted: u32,
) {
    let w = World::new();
    let records = stays(&w, Role::LiaisonLeader, days, length, households);
    let v = w.verdict(
        Role::LiaisonLeader,
        "R-211",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!((v.status, numbers(&v)), (status, (counted, 4)), "{v:#?}");
    if counted == 0 {
        let reason = if length < h(4, 0) {
            RejectReason::StayTooShort
        } else {
            RejectReason::TooFewHouseholds
        };
        assert!(v.parts[0].rejected.iter().any(|r| r.reason == reason));
    }
}

#[test]
fn r211_counts_one_visit_per_day_and_is_open_until_month_end() {
    let w = World::new();
    let mut rec = w.recorder(Role::LiaisonLeader);
    let mut records = w.stay(&mut rec, at(2026, 11, 3, 8, 0), h(4, 10), 6);
    records.extend(w.stay(&mut rec, at(2026, 11, 3, 14, 0), h(4, 10), 6));
    let v = w.verdict(
        Role::LiaisonLeader,
        "R-211",
        &records,
        "2026-11",
        at(2026, 11, 20, 9, 0),
    );
    assert_eq!(numbers(&v), (1, 4));
    assert_eq!(v.status, Status::NotYetDue);
    assert!(v.parts[0]
        .rejected
        .iter()
        .any(|r| r.reason == RejectReason::SameDayAlreadyCounted));
}

#[rstest]
#[case::six_full_days(6, h(8, 0), 10, Status::Met)]
#[case::stays_of_7h59(6, h(7, 59), 10, Status::Short)]
#[case::nine_households(6, h(8, 0), 9, Status::Short)]
#[case::five_days(5, h(8, 0), 10, Status::Short)]
fn r212_team_leader_village_visits(
    #[case] days: u32,
    #[case] length: Duration,
    #[case] households: usize,
    #[case] status: Status,
) {
    let w = World::new();
    let records = stays(&w, Role::TeamLeader, days, length, households);
    let v = w.verdict(
        Role::TeamLeader,
        "R-212",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
    assert_eq!(v.parts[0].required, 6);
}

/// Activities of `kind` for 青山村 held on the given dates, by the team leader.
fn activities(
    w: &World,
    kind: ActivityKind,
    dates: &[(i32, u32, u32)],
    amount: Option<u32>,
) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::TeamLeader);
    dates
        .iter()
        .map(|&(y, m, d)| {
            rec.activity(
                at(y, m, d, 20, 0),
                kind,
                Some(QINGSHAN),
                day(y, m, d),
                amount,
            )
        })
        .collect()
}

#[rstest]
#[case::held_in_the_half_year("R-222a", ActivityKind::OrganisationalLife, &[(2026, 7, 1)], "2026-11", (2026, 12, 10), Status::Met)]
#[case::held_the_day_before_it("R-222a", ActivityKind::OrganisationalLife, &[(2026, 6, 30)], "2026-11", (2027, 1, 2), Status::Short)]
#[case::half_year_still_open("R-222a", ActivityKind::OrganisationalLife, &[], "2026-11", (2026, 12, 10), Status::NotYetDue)]
#[case::joint_meeting("R-222b", ActivityKind::JointMeeting, &[(2026, 12, 31)], "2026-11", (2027, 1, 2), Status::Met)]
#[case::no_joint_meeting("R-222b", ActivityKind::JointMeeting, &[], "2026-06", (2026, 7, 1), Status::Short)]
#[case::collective_activity("R-223", ActivityKind::CollectiveActivity, &[(2026, 10, 1)], "2026-11", (2027, 1, 2), Status::Met)]
#[case::collective_activity_last_quarter("R-223", ActivityKind::CollectiveActivity, &[(2026, 9, 30)], "2026-11", (2027, 1, 2), Status::Short)]
fn r222_r223_unit_activities(
    #[case] rule: &str,
    #[case] kind: ActivityKind,
    #[case] dates: &[(i32, u32, u32)],
    #[case] month: &str,
    #[case] now: (i32, u32, u32),
    #[case] status: Status,
) {
    let w = World::new();
    let records = activities(&w, kind, dates, None);
    let v = w.verdict(
        Role::TeamLeader,
        rule,
        &records,
        month,
        at(now.0, now.1, now.2, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
    assert_eq!(v.parts[0].village_id, Some(QINGSHAN));
}

fn agri(w: &World, items: &[(ActivityKind, u32)]) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::AgriTech);
    items
        .iter()
        .map(|&(k, n)| {
            rec.activity(
                at(2026, 5, 6, 20, 0),
                k,
                Some(QINGSHAN),
                day(2026, 5, 6),
                Some(n),
            )
        })
        .collect()
}

const FULL_POSTING: [(ActivityKind, u32); 5] = [
    (ActivityKind::LeadingIndustry, 1),
    (ActivityKind::Variety, 3),
    (ActivityKind::Technique, 5),
    (ActivityKind::DemonstrationHousehold, 2),
    (ActivityKind::NewBusinessEntity, 3),
];

#[rstest]
#[case::all_targets_met(FULL_POSTING.to_vec(), None, Status::Met)]
#[case::four_techniques_while_posted(vec![FULL_POSTING[0], FULL_POSTING[1], (ActivityKind::Technique, 4), FULL_POSTING[3], FULL_POSTING[4]], None, Status::NotYetDue)]
#[case::four_techniques_posting_over(vec![FULL_POSTING[0], FULL_POSTING[1], (ActivityKind::Technique, 4), FULL_POSTING[3], FULL_POSTING[4]], Some((2026, 11, 30)), Status::Short)]
fn r232a_agri_tech_posting_targets(
    #[case] items: Vec<(ActivityKind, u32)>,
    #[case] ends: Option<(i32, u32, u32)>,
    #[case] status: Status,
) {
    let mut w = World::new();
    if let Some((y, m, d)) = ends {
        w.assignments
            .iter_mut()
            .filter(|a| a.role == Role::AgriTech)
            .for_each(|a| a.ends_on = Some(day(y, m, d)));
    }
    let v = w.verdict(
        Role::AgriTech,
        "R-232a",
        &agri(&w, &items),
        "2026-11",
        at(2026, 12, 5, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
    assert_eq!(v.parts.len(), 5);
    assert_eq!(v.parts[2].required, 5);
}

#[rstest]
#[case::hundred_person_times("R-232b", vec![(ActivityKind::Training, 60), (ActivityKind::Training, 40)], Status::Met)]
#[case::ninety_nine("R-232b", vec![(ActivityKind::Training, 60), (ActivityKind::Training, 39)], Status::Short)]
#[case::one_new_farmer("R-232c", vec![(ActivityKind::NewProfessionalFarmer, 1)], Status::Met)]
#[case::no_new_farmer("R-232c", vec![(ActivityKind::Variety, 1)], Status::Short)]
fn r232bc_agri_tech_yearly(
    #[case] rule: &str,
    #[case] items: Vec<(ActivityKind, u32)>,
    #[case] status: Status,
) {
    let w = World::new();
    let v = w.verdict(
        Role::AgriTech,
        rule,
        &agri(&w, &items),
        "2026-12",
        at(2027, 1, 2, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
}

/// Stays of `length` in 青山村 on each of `days`, starting 08:30.
fn presence(
    w: &World,
    role: Role,
    days: &[chrono::NaiveDate],
    length: Duration,
) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(role);
    days.iter()
        .flat_map(|d| {
            let start = at(d.year_(), d.month_(), d.day_(), 8, 30);
            rec.track(start, length, Duration::minutes(1), |_| CENTRE)
        })
        .collect()
}

trait Ymd {
    fn year_(&self) -> i32;
    fn month_(&self) -> u32;
    fn day_(&self) -> u32;
}
impl Ymd for chrono::NaiveDate {
    fn year_(&self) -> i32 {
        chrono::Datelike::year(self)
    }
    fn month_(&self) -> u32 {
        chrono::Datelike::month(self)
    }
    fn day_(&self) -> u32 {
        chrono::Datelike::day(self)
    }
}

/// The first `n` working days of a month, by the bundled calendar.
fn working_days(y: i32, m: u32, n: usize) -> Vec<chrono::NaiveDate> {
    let p = Period::month(y, m);
    WorkCalendar::bundled()
        .working_days(p.first_day(), p.last_day())
        .0
        .into_iter()
        .take(n)
        .collect()
}

#[rstest]
// February 2026 has 16 working days (Spring Festival, with Feb 14 and 28 worked): 2/3 → 11.
// Counting plain weekdays (20) would demand 14.
#[case::february_eleven_of_sixteen(2026, 2, 11, h(4, 0), Status::Met, (11, 11))]
#[case::february_ten_of_sixteen(2026, 2, 10, h(4, 0), Status::Short, (10, 11))]
#[case::february_days_of_3h59(2026, 2, 11, h(3, 59), Status::Short, (0, 11))]
// October 2026 has 18 working days (National Day, Oct 10 worked): 2/3 → 12.
#[case::october_twelve_of_eighteen(2026, 10, 12, h(4, 0), Status::Met, (12, 12))]
#[case::october_eleven_of_eighteen(2026, 10, 11, h(4, 0), Status::Short, (11, 12))]
fn r233a_two_thirds_of_working_days(
    #[case] y: i32,
    #[case] m: u32,
    #[case] n: usize,
    #[case] length: Duration,
    #[case] status: Status,
    #[case] nums: (u32, u32),
) {
    let mut w = World::new();
    // Posted from the first of the month, so the year-to-date part equals the month.
    w.assignments
        .iter_mut()
        .for_each(|a| a.starts_on = day(y, m, 1));
    let records = presence(&w, Role::FirstSecretary, &working_days(y, m, n), length);
    let month = Period::month(y, m).to_string();
    let v = w.verdict(
        Role::FirstSecretary,
        "R-233a",
        &records,
        &month,
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!((v.status, numbers(&v)), (status, nums), "{v:#?}");
    assert_eq!(
        v.parts[1].required, nums.1,
        "year to date, posted this month"
    );
    assert!(!v.provisional);
}

#[test]
fn r233a_holidays_do_not_count_and_adjusted_weekends_do() {
    let w = World::new();
    // Feb 14 (Saturday, worked) counts; Feb 16–20 (Spring Festival) do not.
    let days = [
        day(2026, 2, 14),
        day(2026, 2, 16),
        day(2026, 2, 17),
        day(2026, 2, 18),
    ];
    let records = presence(&w, Role::ResidentMember, &days, h(5, 0));
    let v = w.verdict(
        Role::ResidentMember,
        "R-233a",
        &records,
        "2026-02",
        at(2026, 3, 1, 9, 0),
    );
    assert_eq!(numbers(&v), (1, 11));
    // Year to date from January: 21 + 16 working days → 25 required.
    assert_eq!(v.parts[1].required, 25);
}

#[test]
fn r233a_is_provisional_in_a_year_the_calendar_does_not_cover() {
    let w = World::new();
    let v = w.verdict(
        Role::FirstSecretary,
        "R-233a",
        &[],
        "2027-03",
        at(2027, 4, 1, 9, 0),
    );
    assert!(v.provisional);
    assert_eq!(v.status, Status::Short);
}

#[rstest]
#[case::sixty_days(60, Status::Met)]
#[case::fifty_nine_days(59, Status::Short)]
fn r233b_agri_tech_sixty_days_a_year(#[case] n: i64, #[case] status: Status) {
    let w = World::new();
    let days: Vec<_> = (0..n)
        .map(|i| day(2026, 3, 1) + Duration::days(i * 2))
        .collect();
    let records = presence(&w, Role::AgriTech, &days, h(4, 0));
    let v = w.verdict(
        Role::AgriTech,
        "R-233b",
        &records,
        "2026-12",
        at(2027, 1, 1, 9, 0),
    );
    assert_eq!((v.status, numbers(&v)), (status, (n as u32, 60)));
}

/// A 四必到 event on Nov 10 and, optionally, a visit attending it `after_days` later.
fn event_and_visit(w: &World, after_days: Option<i64>, must_visits: usize) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::FirstSecretary);
    let event_at = at(2026, 11, 10, 15, 0);
    let event = rec.record(
        event_at,
        RecordBody::VillageEvent {
            village_id: QINGSHAN,
            kind: EventKind::Dispute,
            occurred_at: event_at,
            household_id: Some(w.household(0).id),
            description: "宅基地纠纷".into(),
        },
    );
    let event_id = event.id;
    let mut out = vec![event];
    if let Some(d) = after_days {
        let mut visit = rec.visit(
            w.household(0),
            event_at + Duration::days(d) - Duration::minutes(30),
            20,
            Some("调解"),
        );
        if let RecordBody::HouseholdCheckIn { event, .. } = &mut visit[0].body {
            *event = Some(event_id);
        }
        out.extend(visit);
    }
    for (i, hh) in w.must_visit().iter().take(must_visits).enumerate() {
        out.extend(rec.visit(hh, at(2026, 11, 20 + i as u32, 10, 0), 15, Some("走访")));
    }
    out
}

#[rstest]
#[case::attended_within_three_days(Some(3), 3, Status::Met, Status::Met)]
#[case::attended_on_the_fourth_day(Some(4), 3, Status::Late, Status::Met)]
#[case::never_attended(None, 3, Status::Short, Status::Met)]
#[case::one_must_visit_household_missed(Some(1), 2, Status::Met, Status::Short)]
fn r241_four_musts(
    #[case] after_days: Option<i64>,
    #[case] must_visits: usize,
    #[case] attend: Status,
    #[case] visit: Status,
) {
    let w = World::new();
    let records = event_and_visit(&w, after_days, must_visits);
    // The team leader's verdict counts the first secretary's visits: it is the team's duty.
    let v = w.verdict(
        Role::TeamLeader,
        "R-241",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(
        (v.parts[0].status, v.parts[1].status),
        (attend, visit),
        "{v:#?}"
    );
    assert_eq!(v.parts[1].required, 3);
}

#[test]
fn r241_an_event_is_not_due_within_its_window() {
    let w = World::new();
    let records = event_and_visit(&w, None, 3);
    let v = w.verdict(
        Role::FirstSecretary,
        "R-241",
        &records,
        "2026-11",
        at(2026, 11, 12, 9, 0),
    );
    assert_eq!(v.parts[0].status, Status::NotYetDue);
}

/// Pairing-cadre visits to households 0..n on successive days, `minutes` long.
fn paired(w: &World, n: usize, minutes: i64) -> Vec<DeviceRecord> {
    paired_with(w, &mut w.recorder(Role::PairingCadre), n, minutes)
}

fn paired_with(
    w: &World,
    rec: &mut zhucun_shared::synth::Recorder,
    n: usize,
    minutes: i64,
) -> Vec<DeviceRecord> {
    (0..n)
        .flat_map(|i| {
            rec.visit(
                w.household(i % 4),
                at(2026, 11, 3 + i as u32, 10, 0),
                minutes,
                Some("帮扶"),
            )
        })
        .collect()
}

#[rstest]
#[case::four_visits(4, 5, Status::Met, 4)]
#[case::three_visits(3, 5, Status::Short, 3)]
#[case::visits_of_four_minutes(4, 4, Status::Short, 0)]
fn r242_paired_household_visits(
    #[case] n: usize,
    #[case] minutes: i64,
    #[case] status: Status,
    #[case] counted: u32,
) {
    let w = World::new();
    let v = w.verdict(
        Role::PairingCadre,
        "R-242",
        &paired(&w, n, minutes),
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!((v.status, numbers(&v)), (status, (counted, 4)), "{v:#?}");
}

#[test]
fn r242_rejects_unpaired_far_and_photoless_visits() {
    let w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = paired_with(&w, &mut rec, 3, 10);
    // Household 5 is poor but not paired.
    records.extend(rec.visit(w.household(5), at(2026, 11, 20, 10, 0), 10, Some("x")));
    // A check-in 400 m from the house.
    let mut far = rec.visit(w.household(0), at(2026, 11, 21, 10, 0), 10, Some("x"));
    for r in &mut far {
        if let RecordBody::HouseholdCheckIn { fix: Some(f), .. }
        | RecordBody::HouseholdCheckOut { fix: Some(f), .. } = &mut r.body
        {
            f.lat += 0.0036;
        }
    }
    records.extend(far);
    // No photo.
    let mut bare = rec.visit(w.household(1), at(2026, 11, 22, 10, 0), 10, Some("x"));
    bare.retain(|r| !matches!(r.body, RecordBody::Photo { .. }));
    records.extend(bare);
    let v = w.verdict(
        Role::PairingCadre,
        "R-242",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(numbers(&v), (3, 4));
    let reasons: Vec<RejectReason> = v.parts[0].rejected.iter().map(|r| r.reason).collect();
    for r in [
        RejectReason::NotPaired,
        RejectReason::TooFarFromHousehold,
        RejectReason::NoPhotoDuringVisit,
    ] {
        assert!(reasons.contains(&r), "{r:?} missing from {reasons:?}");
    }
}

/// Supervisor activities: patrols on the Tuesdays given, one inspection, one assessment.
fn supervision(
    w: &World,
    patrols: &[u32],
    inspection: bool,
    assessment: bool,
) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::Supervisor);
    let mut out: Vec<DeviceRecord> = patrols
        .iter()
        .map(|&d| {
            rec.activity(
                at(2026, 11, d, 18, 0),
                ActivityKind::Patrol,
                Some(QINGSHAN),
                day(2026, 11, d),
                None,
            )
        })
        .collect();
    if inspection {
        out.push(rec.activity(
            at(2026, 11, 18, 18, 0),
            ActivityKind::Inspection,
            None,
            day(2026, 11, 18),
            None,
        ));
    }
    if assessment {
        out.push(rec.activity(
            at(2026, 10, 30, 18, 0),
            ActivityKind::Assessment,
            None,
            day(2026, 10, 30),
            None,
        ));
    }
    out
}

#[rstest]
#[case::every_week_month_and_quarter(&[3, 10, 17, 24], true, true, Status::Met)]
#[case::one_week_without_patrol(&[3, 10, 24], true, true, Status::Short)]
#[case::no_inspection(&[3, 10, 17, 24], false, true, Status::Short)]
#[case::no_assessment_yet(&[3, 10, 17, 24], true, false, Status::NotYetDue)]
fn r252_supervision(
    #[case] patrols: &[u32],
    #[case] inspection: bool,
    #[case] assessment: bool,
    #[case] status: Status,
) {
    let w = World::new();
    let v = w.verdict(
        Role::Supervisor,
        "R-252",
        &supervision(&w, patrols, inspection, assessment),
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
    assert_eq!(
        v.parts.len(),
        4 + 1 + 1,
        "four weeks, the month, the quarter"
    );
}

#[rstest]
#[case::every_week(&[6, 13, 20, 27], Status::Met)]
#[case::a_week_missed(&[6, 13, 27], Status::Short)]
fn r31a_weekly_entries(#[case] days: &[u32], #[case] status: Status) {
    let w = World::new();
    let mut rec = w.recorder(Role::ResidentMember);
    let records: Vec<_> = days
        .iter()
        .map(|&d| {
            let week =
                Period::containing(zhucun_shared::period::PeriodKind::Week, day(2026, 11, d))
                    .unwrap();
            rec.report(
                at(2026, 11, d, 18, 0),
                ReportKind::WeeklyEntry,
                Some(QINGSHAN),
                week,
            )
        })
        .collect();
    let v = w.verdict(
        Role::ResidentMember,
        "R-31a",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
}

/// A village report of `kind` for `period`, entered at local `(y, m, d)` 23:50.
fn village_report(
    w: &World,
    kind: ReportKind,
    period: &str,
    entered: Option<(i32, u32, u32)>,
) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::FirstSecretary);
    entered
        .map(|(y, m, d)| {
            rec.report(
                at(y, m, d, 23, 50),
                kind,
                Some(QINGSHAN),
                period.parse().unwrap(),
            )
        })
        .into_iter()
        .collect()
}

#[rstest]
#[case::monthly_report_on_the_7th("R-31b", ReportKind::MonthlyReport, "2026-11", Some((2026, 12, 7)), (2026, 12, 10), Status::Met)]
#[case::monthly_report_on_the_8th("R-31b", ReportKind::MonthlyReport, "2026-11", Some((2026, 12, 8)), (2026, 12, 10), Status::Late)]
#[case::monthly_report_not_yet_due("R-31b", ReportKind::MonthlyReport, "2026-11", None, (2026, 12, 5), Status::NotYetDue)]
#[case::monthly_report_missing("R-31b", ReportKind::MonthlyReport, "2026-11", None, (2026, 12, 8), Status::Short)]
fn r31b_monthly_deadlines(
    #[case] rule: &str,
    #[case] kind: ReportKind,
    #[case] period: &str,
    #[case] entered: Option<(i32, u32, u32)>,
    #[case] now: (i32, u32, u32),
    #[case] status: Status,
) {
    let w = World::new();
    let records = village_report(&w, kind, period, entered);
    let v = w.verdict(
        Role::FirstSecretary,
        rule,
        &records,
        "2026-11",
        at(now.0, now.1, now.2, 12, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
}

#[rstest]
#[case::recorded_on_the_7th_day(7, Status::Met)]
#[case::recorded_on_the_8th_day(8, Status::Late)]
fn r31c_leader_visits_recorded_within_a_week(#[case] after: u32, #[case] status: Status) {
    let w = World::new();
    let mut rec = w.recorder(Role::FirstSecretary);
    let records = vec![rec.activity(
        at(2026, 11, 10 + after, 21, 0),
        ActivityKind::LeaderVisit,
        Some(QINGSHAN),
        day(2026, 11, 10),
        None,
    )];
    let v = w.verdict(
        Role::TeamLeader,
        "R-31c",
        &records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.status, status, "{v:#?}");
    let none = w.verdict(
        Role::TeamLeader,
        "R-31c",
        &[],
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(none.status, Status::NotApplicable);
}

#[rstest]
#[case::plan_on_10_february(ReportKind::UnitAnnualPlan, "2026", "2026-02", (2026, 2, 10), Status::Met)]
#[case::plan_on_11_february(ReportKind::UnitAnnualPlan, "2026", "2026-02", (2026, 2, 11), Status::Late)]
#[case::quarterly_summary_on_20_march(ReportKind::UnitQuarterlySummary, "2026-Q1", "2026-03", (2026, 3, 20), Status::Met)]
#[case::quarterly_summary_on_21_march(ReportKind::UnitQuarterlySummary, "2026-Q1", "2026-03", (2026, 3, 21), Status::Late)]
fn r33_support_unit_deadlines(
    #[case] kind: ReportKind,
    #[case] period: &str,
    #[case] month: &str,
    #[case] entered: (i32, u32, u32),
    #[case] status: Status,
) {
    let w = World::new();
    let records = village_report(&w, kind, period, Some(entered));
    let v = w.verdict(
        Role::TeamLeader,
        "R-33",
        &records,
        month,
        at(2026, 4, 1, 9, 0),
    );
    let part = v
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with(kind.label_zh()))
        .unwrap();
    assert_eq!(part.status, status, "{v:#?}");
}

#[test]
fn r33_public_commitments_are_quarterly_in_villages_exiting_poverty() {
    let mut w = World::new();
    w.assignments
        .iter_mut()
        .filter(|a| a.role == Role::TeamLeader)
        .for_each(|a| a.village_id = Some(HETAO));
    let v = w.verdict(
        Role::TeamLeader,
        "R-33",
        &[],
        "2026-11",
        at(2026, 11, 5, 9, 0),
    );
    let commitments: Vec<_> = v
        .parts
        .iter()
        .filter(|p| p.label_zh.starts_with("公开承诺"))
        .collect();
    assert_eq!(commitments.len(), 1);
    assert_eq!(commitments[0].period, "2026-Q4");
}

#[rstest]
#[case::feedback_in_the_month(ReportKind::InformationFeedback, "2026-11", (2026, 11, 30), Status::Met)]
#[case::feedback_a_day_late(ReportKind::InformationFeedback, "2026-11", (2026, 12, 1), Status::Late)]
#[case::research_article_due_at_year_end(ReportKind::ResearchArticle, "2026", (2026, 11, 30), Status::Met)]
fn r34_team_reports(
    #[case] kind: ReportKind,
    #[case] period: &str,
    #[case] entered: (i32, u32, u32),
    #[case] status: Status,
) {
    let w = World::new();
    let records = village_report(&w, kind, period, Some(entered));
    let v = w.verdict(
        Role::FirstSecretary,
        "R-34",
        &records,
        "2026-11",
        at(2026, 12, 2, 9, 0),
    );
    let part = v
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with(kind.label_zh()))
        .unwrap();
    assert_eq!(part.status, status, "{v:#?}");
    // Nothing else was entered: the quarter and the year are still open.
    let article = v
        .parts
        .iter()
        .find(|p| p.label_zh.starts_with("调研文章"))
        .unwrap();
    assert!(matches!(article.status, Status::Met | Status::NotYetDue));
}

/// What a ledger line of the first visit lacks, for R-35's table.
#[derive(Clone, Copy, Debug)]
enum Strip {
    Nothing,
    Note,
    Photo,
    CheckOut,
}

#[rstest]
#[case::every_line_complete(Strip::Nothing, at(2026, 12, 1, 9, 0), Status::Met, (4, 4), None)]
#[case::a_line_without_note(Strip::Note, at(2026, 12, 1, 9, 0), Status::Short, (3, 4), Some(RejectReason::NoNote))]
#[case::a_line_without_photo(Strip::Photo, at(2026, 12, 1, 9, 0), Status::Short, (3, 4), Some(RejectReason::NoPhotoDuringVisit))]
#[case::a_line_not_checked_out(Strip::CheckOut, at(2026, 12, 1, 9, 0), Status::Short, (3, 4), Some(RejectReason::NotCheckedOut))]
#[case::incomplete_while_the_month_runs(Strip::Note, at(2026, 11, 20, 9, 0), Status::NotYetDue, (3, 4), Some(RejectReason::NoNote))]
fn r35_pairing_ledger_lines_are_complete(
    #[case] strip: Strip,
    #[case] now: chrono::DateTime<chrono::Utc>,
    #[case] status: Status,
    #[case] nums: (u32, u32),
    #[case] reason: Option<RejectReason>,
) {
    let w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = paired_with(&w, &mut rec, 4, 10);
    let first = |r: &DeviceRecord| match strip {
        Strip::Nothing => false,
        Strip::Note => matches!(r.body, RecordBody::Note { .. }),
        Strip::Photo => matches!(r.body, RecordBody::Photo { .. }),
        Strip::CheckOut => matches!(r.body, RecordBody::HouseholdCheckOut { .. }),
    };
    if let Some(i) = records.iter().position(first) {
        records.remove(i);
    }
    // A visit to a household not paired with the cadre is no line of the ledger.
    records.extend(rec.visit(w.household(6), at(2026, 11, 20, 10, 0), 10, None));
    let v = w.verdict(Role::PairingCadre, "R-35", &records, "2026-11", now);
    assert_eq!((v.status, numbers(&v)), (status, nums), "{v:#?}");
    let reasons: Vec<_> = v.parts[0].rejected.iter().map(|r| r.reason).collect();
    assert_eq!(reasons, reason.into_iter().collect::<Vec<_>>(), "{v:#?}");
    if reason.is_some() {
        // The incomplete line is named by its household and time.
        let detail = &v.parts[0].rejected[0].detail;
        assert!(detail.contains(&w.household(0).head_name), "{detail}");
    }
}

#[test]
fn r35_counts_no_visit_that_does_not_count() {
    // Four-minute visits are no household visits (R-242 rejects them): no verdict counts
    // them, so they are no lines of R-35 either, whatever their paperwork.
    let w = World::new();
    let v = w.verdict(
        Role::PairingCadre,
        "R-35",
        &paired(&w, 4, 4),
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(
        (v.status, numbers(&v)),
        (Status::NotApplicable, (0, 0)),
        "{v:#?}"
    );
    assert!(v.parts[0].evidence.is_empty());
}

#[test]
fn r35_without_paired_visits_is_not_applicable() {
    let w = World::new();
    let v = w.verdict(
        Role::PairingCadre,
        "R-35",
        &[],
        "2026-11",
        at(2026, 12, 1, 9, 0),
    );
    assert_eq!(v.status, Status::NotApplicable, "{v:#?}");
    assert_eq!(v.parts.len(), 1);
}

fn chain_step(
    step: zhucun_shared::ledger_chain::Step,
    t: chrono::DateTime<chrono::Utc>,
) -> zhucun_shared::ledger_chain::LedgerStep {
    zhucun_shared::ledger_chain::LedgerStep {
        village_id: QINGSHAN,
        month: "2026-11".parse().unwrap(),
        step,
        at: t,
        by: person(Role::TeamLeader),
    }
}

#[rstest]
#[case::confirmed_and_forwarded_on_time(
    Some(at(2026, 11, 30, 23, 0)),
    Some(at(2026, 12, 5, 17, 0)),
    at(2026, 12, 10, 9, 0),
    Status::Met
)]
#[case::forwarded_on_the_6th(
    Some(at(2026, 11, 30, 9, 0)),
    Some(at(2026, 12, 6, 9, 0)),
    at(2026, 12, 10, 9, 0),
    Status::Late
)]
#[case::confirmed_on_the_1st(
    Some(at(2026, 12, 1, 0, 10)),
    Some(at(2026, 12, 2, 9, 0)),
    at(2026, 12, 10, 9, 0),
    Status::Late
)]
#[case::no_step_after_the_5th(None, None, at(2026, 12, 6, 9, 0), Status::Short)]
#[case::not_forwarded_by_the_5th(
    Some(at(2026, 11, 30, 9, 0)),
    None,
    at(2026, 12, 6, 9, 0),
    Status::Short
)]
#[case::awaiting_the_township(
    Some(at(2026, 11, 30, 9, 0)),
    None,
    at(2026, 12, 3, 9, 0),
    Status::NotYetDue
)]
#[case::before_month_end(None, None, at(2026, 11, 29, 9, 0), Status::NotYetDue)]
fn r32_follows_the_submission_chain(
    #[case] confirmed: Option<chrono::DateTime<chrono::Utc>>,
    #[case] forwarded: Option<chrono::DateTime<chrono::Utc>>,
    #[case] now: chrono::DateTime<chrono::Utc>,
    #[case] status: Status,
) {
    use zhucun_shared::ledger_chain::Step;
    let mut w = World::new();
    w.ledger_steps
        .extend(confirmed.map(|t| chain_step(Step::Confirmed, t)));
    w.ledger_steps
        .extend(forwarded.map(|t| chain_step(Step::Forwarded, t)));
    for role in [Role::TeamLeader, Role::FirstSecretary] {
        let v = w.verdict(role, "R-32", &[], "2026-11", now);
        assert_eq!(v.status, status, "{v:#?}");
        assert_eq!(v.parts.len(), 2, "one part per deadline");
    }
    // A typed 领导挂联工作月台账 report no longer stands in for the chain.
    if confirmed.is_none() {
        let w = World::new();
        let records = village_report(
            &w,
            ReportKind::MonthlyLedger,
            "2026-11",
            Some((2026, 12, 1)),
        );
        let v = w.verdict(Role::TeamLeader, "R-32", &records, "2026-11", now);
        assert_ne!(v.status, Status::Met, "{v:#?}");
    }
}

#[test]
fn every_rule_of_the_plan_is_evaluated_for_its_roles() {
    let w = World::new();
    let mut seen = std::collections::BTreeSet::new();
    for role in Role::ALL {
        for v in w
            .report(role, &[], "2026-11", at(2026, 12, 1, 9, 0))
            .verdicts
        {
            assert!(!v.parts.is_empty(), "{} has no parts", v.rule_id);
            seen.insert(v.rule_id);
        }
    }
    let expected: std::collections::BTreeSet<String> =
        PLAN_RULE_IDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, expected);
    // The administrator has no quantified duty.
    assert!(w
        .report(Role::Admin, &[], "2026-11", at(2026, 12, 1, 9, 0))
        .verdicts
        .is_empty());
}

#[test]
fn a_visit_saved_without_a_fix_counts_once_the_fix_arrives() {
    let w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = paired_with(&w, &mut rec, 4, 10);
    let check_in = records[0].id;
    let fix = match &mut records[0].body {
        RecordBody::HouseholdCheckIn { fix, .. } => fix.take().unwrap(),
        _ => unreachable!(),
    };
    if let RecordBody::HouseholdCheckOut { fix, .. } = &mut records[3].body {
        *fix = None;
    }
    let now = at(2026, 12, 1, 9, 0);
    let without = w.verdict(Role::PairingCadre, "R-242", &records, "2026-11", now);
    assert_eq!(numbers(&without), (3, 4));
    records.push(rec.record(
        fix.time + Duration::minutes(1),
        RecordBody::VisitFix { check_in, fix },
    ));
    let with = w.verdict(Role::PairingCadre, "R-242", &records, "2026-11", now);
    assert_eq!(numbers(&with), (4, 4));
}

#[test]
fn a_visit_withdrawn_by_its_author_no_longer_counts() {
    let w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = paired_with(&w, &mut rec, 4, 10);
    let target = records[0].id;
    let mut stranger = w.recorder(Role::TeamLeader);
    let retraction = |r: &mut zhucun_shared::synth::Recorder| {
        r.record(
            at(2026, 11, 25, 9, 0),
            RecordBody::Retraction {
                target,
                reason: "误签".into(),
            },
        )
    };
    records.push(retraction(&mut stranger));
    let now = at(2026, 12, 1, 9, 0);
    assert_eq!(
        numbers(&w.verdict(Role::PairingCadre, "R-242", &records, "2026-11", now)),
        (4, 4)
    );
    records.push(retraction(&mut rec));
    assert_eq!(
        numbers(&w.verdict(Role::PairingCadre, "R-242", &records, "2026-11", now)),
        (3, 4)
    );
}
