//! Month close (月结): a month's verdicts are provisional until its grace date (by default the
//! 5th of the next month, the day the township reports to the county, R-32), then final. A
//! record arriving later for a final month re-opens it, visibly, with its cause.
//!
//! What is pure lives here: the grace date, a month's standing on a day, whether a late record
//! re-opens it, and the change between two reports of the same person-month. Keeping the
//! verdicts, and writing the re-opening to the audit log, is the server's.

use crate::ids::RecordId;
use crate::period::Period;
use crate::verdict::{PersonReport, Status};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The grace day used when none is configured: the 5th of the next month.
pub const DEFAULT_GRACE_DAY: u32 = 5;

/// Where a month's verdicts stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MonthState {
    /// 暂定: the grace date has not passed; the verdicts follow new records, rules, calendar
    /// and organisation.
    #[default]
    Provisional,
    /// 已定: past the grace date; the verdicts are frozen with the rules and calendar they
    /// were computed with.
    Final,
    /// 已重开: final, then a record arrived for the month and the verdicts were evaluated
    /// again; the change is in the audit log.
    Reopened,
}

impl MonthState {
    pub fn label_zh(self) -> &'static str {
        match self {
            MonthState::Provisional => "暂定",
            MonthState::Final => "已定",
            MonthState::Reopened => "已重开",
        }
    }

    /// Final or re-opened: the month was closed, and its verdicts no longer follow changes of
    /// rules, calendar, organisation or day.
    pub fn is_closed(self) -> bool {
        !matches!(self, MonthState::Provisional)
    }

    /// The state after a record that the month's evaluation reads (captured on `captured`, a
    /// China day) arrives: a closed month is re-opened by a record captured up to its last day
    /// (its own days, and earlier ones that its year-to-date rules count); a provisional month
    /// simply takes it.
    pub fn after_record(self, month: Period, captured: NaiveDate) -> MonthState {
        if self.is_closed() && captured <= month.last_day() {
            MonthState::Reopened
        } else {
            self
        }
    }
}

/// A person-month's standing, carried on its report: provisional, final or re-opened, and
/// since when. The verdicts themselves are as of the report's `evaluated_at`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthStanding {
    pub state: MonthState,
    /// The last day records for the month are awaited (宽限期截止日); the month is final from
    /// the day after. Absent in reports from before month close existed.
    #[serde(default)]
    pub grace_date: Option<NaiveDate>,
    /// When the month became final, or was last re-opened; absent while provisional.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
}

/// The grace date of `month`: day `grace_day` of the next month, or that month's last day when
/// it is shorter.
pub fn grace_date(month: Period, grace_day: u32) -> NaiveDate {
    let next = month.next_month_first_day();
    let last_of_next = Period::month(next.year(), next.month()).last_day();
    let day = grace_day.clamp(1, last_of_next.day());
    next + Duration::days(i64::from(day) - 1)
}

/// Whether `month` is past its grace date on `today` (a China day), and so to be final.
pub fn is_due(month: Period, today: NaiveDate, grace_day: u32) -> bool {
    today > grace_date(month, grace_day)
}

/// The state a month's verdicts have on `today`, given the state they were kept in (`None`:
/// nothing kept yet): a closed month stays as it was kept; an open one becomes final once past
/// its grace date.
pub fn state_on(
    month: Period,
    today: NaiveDate,
    grace_day: u32,
    kept: Option<MonthState>,
) -> MonthState {
    match kept {
        Some(s) if s.is_closed() => s,
        _ if is_due(month, today, grace_day) => MonthState::Final,
        _ => MonthState::Provisional,
    }
}

/// The status and count of one requirement (a rule's part in a period and village).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartOutcome {
    pub status: Status,
    pub counted: u32,
}

/// How one requirement changed between two evaluations of a person-month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictChange {
    pub rule_id: String,
    /// The requirement, as the report labels it (a rule may have several in one period).
    pub part: String,
    /// The part's period (`2026-09`, `2026-Q3`, `posting` …).
    pub period: String,
    pub village_id: Option<crate::ids::VillageId>,
    /// Absent when the requirement was not in the report before (or after).
    pub before: Option<PartOutcome>,
    pub after: Option<PartOutcome>,
}

/// A requirement: rule, part label, period and village.
type Key = (String, String, String, Option<crate::ids::VillageId>);

/// Each requirement of `r` with its status and count, in the report's order.
fn outcomes(r: &PersonReport) -> Vec<(Key, PartOutcome)> {
    r.verdicts
        .iter()
        .flat_map(|v| {
            v.parts.iter().map(move |p| {
                (
                    (
                        v.rule_id.clone(),
                        p.label_zh.clone(),
                        p.period.clone(),
                        p.village_id,
                    ),
                    PartOutcome {
                        status: p.status,
                        counted: p.counted,
                    },
                )
            })
        })
        .collect()
}

/// What a report says, in short: each requirement's status, count and number required, and
/// the month's standing (SHA-256, hex). Two reports of a person-month with the same fingerprint
/// give the same verdict; a kept report whose fingerprint changes is a new version of the
/// verdict (what "as of" reads).
pub fn fingerprint(report: &PersonReport) -> String {
    use sha2::{Digest, Sha256};
    let required: Vec<u32> = report
        .verdicts
        .iter()
        .flat_map(|v| v.parts.iter().map(|p| p.required))
        .collect();
    let said = serde_json::json!({
        "outcomes": outcomes(report),
        "required": required,
        "standing": report.standing,
    });
    Sha256::digest(said.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The requirements whose status or count differ between `before` and `after`, in the order of
/// `after` (then those only `before` had).
pub fn changes(before: &PersonReport, after: &PersonReport) -> Vec<VerdictChange> {
    let (old, new) = (outcomes(before), outcomes(after));
    let find = |list: &[(Key, PartOutcome)], k: &Key| {
        list.iter()
            .find(|(key, _)| key == k)
            .map(|(_, o)| o.clone())
    };
    let change = |k: &Key, before: Option<PartOutcome>, after: Option<PartOutcome>| VerdictChange {
        rule_id: k.0.clone(),
        part: k.1.clone(),
        period: k.2.clone(),
        village_id: k.3,
        before,
        after,
    };
    let mut out = Vec::new();
    for (k, o) in &new {
        let was = find(&old, k);
        if was.as_ref() != Some(o) {
            out.push(change(k, was, Some(o.clone())));
        }
    }
    for (k, o) in &old {
        if find(&new, k).is_none() {
            out.push(change(k, Some(o.clone()), None));
        }
    }
    out
}

/// The records that re-open a closed month: those its evaluation reads (captured up to the
/// month's last day) that arrived after the verdicts were last evaluated, at `evaluated_at`.
pub fn late_records<'a>(
    month: Period,
    evaluated_at: DateTime<Utc>,
    records: impl IntoIterator<Item = &'a crate::record::DeviceRecord>,
) -> Vec<RecordId> {
    let mut out: Vec<RecordId> = records
        .into_iter()
        .filter(|r| crate::period::local_date(r.captured_at) <= month.last_day())
        .filter(|r| r.received.is_some_and(|rx| rx.received_at > evaluated_at))
        .map(|r| r.id)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DeviceId, PersonId};
    use crate::record::{DeviceRecord, RecordBody, ServerReceipt};
    use crate::verdict::{Part, Verdict};
    use rstest::rstest;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn month(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[rstest]
    #[case::default_fifth("2026-09", 5, "2026-10-05")]
    #[case::december_into_january("2026-12", 5, "2027-01-05")]
    #[case::first_of_next_month("2026-09", 1, "2026-10-01")]
    #[case::clamped_to_a_short_february("2027-01", 31, "2027-02-28")]
    #[case::zero_is_the_first("2026-09", 0, "2026-10-01")]
    fn grace_dates(#[case] m: &str, #[case] grace_day: u32, #[case] expected: &str) {
        assert_eq!(grace_date(month(m), grace_day), day(expected));
    }

    #[rstest]
    #[case::during_the_month("2026-09", "2026-09-20", None, MonthState::Provisional)]
    #[case::on_the_grace_date("2026-09", "2026-10-05", None, MonthState::Provisional)]
    #[case::the_day_after("2026-09", "2026-10-06", None, MonthState::Final)]
    #[case::kept_provisional_now_due(
        "2026-09",
        "2026-11-01",
        Some(MonthState::Provisional),
        MonthState::Final
    )]
    #[case::kept_final_stays_final(
        "2026-09",
        "2026-10-06",
        Some(MonthState::Final),
        MonthState::Final
    )]
    #[case::reopened_stays_reopened(
        "2026-09",
        "2027-03-01",
        Some(MonthState::Reopened),
        MonthState::Reopened
    )]
    fn state_of_a_month_on_a_day(
        #[case] m: &str,
        #[case] today: &str,
        #[case] kept: Option<MonthState>,
        #[case] expected: MonthState,
    ) {
        assert_eq!(
            state_on(month(m), day(today), DEFAULT_GRACE_DAY, kept),
            expected
        );
    }

    #[rstest]
    #[case::provisional_takes_it(MonthState::Provisional, "2026-09-20", MonthState::Provisional)]
    #[case::final_reopened_by_its_own_day(MonthState::Final, "2026-09-20", MonthState::Reopened)]
    #[case::final_reopened_by_an_earlier_month(
        MonthState::Final,
        "2026-07-02",
        MonthState::Reopened
    )]
    #[case::final_untouched_by_a_later_day(MonthState::Final, "2026-10-01", MonthState::Final)]
    #[case::reopened_again(MonthState::Reopened, "2026-09-30", MonthState::Reopened)]
    fn a_late_record(#[case] state: MonthState, #[case] captured: &str, #[case] after: MonthState) {
        assert_eq!(state.after_record(month("2026-09"), day(captured)), after);
    }

    /// A report with one requirement per entry; an entry `R-9/b` is the second requirement
    /// (labelled `b`) of rule R-9 in the same period.
    fn report(parts: &[(&str, Status, u32)]) -> PersonReport {
        let mut verdicts: Vec<Verdict> = Vec::new();
        for (name, status, counted) in parts {
            let (rule, label) = name.split_once('/').unwrap_or((name, "a"));
            let part = Part {
                label_zh: label.into(),
                period: "2026-09".into(),
                village_id: None,
                status: *status,
                counted: *counted,
                required: 4,
                due: None,
                evidence: vec![],
                rejected: vec![],
            };
            match verdicts.iter_mut().find(|v| v.rule_id == rule) {
                Some(v) => v.parts.push(part),
                None => verdicts.push(Verdict {
                    rule_id: rule.to_string(),
                    seed_ref: String::new(),
                    title_zh: String::new(),
                    status: *status,
                    provisional: false,
                    parts: vec![part],
                }),
            }
        }
        PersonReport {
            person_id: PersonId::new(),
            period: month("2026-09"),
            evaluated_at: DateTime::UNIX_EPOCH,
            catalogue_version: String::new(),
            verdicts,
            flags: vec![],
            standing: MonthStanding::default(),
        }
    }

    #[rstest]
    #[case::nothing_changed(
        &[("R-1", Status::Short, 2)],
        &[("R-1", Status::Short, 2)],
        &[]
    )]
    #[case::count_only(
        &[("R-1", Status::Short, 2)],
        &[("R-1", Status::Short, 3)],
        &["R-1 short 2 -> short 3"]
    )]
    #[case::short_to_met(
        &[("R-1", Status::Short, 3), ("R-2", Status::Met, 1)],
        &[("R-1", Status::Met, 4), ("R-2", Status::Met, 1)],
        &["R-1 short 3 -> met 4"]
    )]
    #[case::rule_gone_and_new(
        &[("R-1", Status::Met, 4)],
        &[("R-2", Status::Short, 0)],
        &["R-2 - -> short 0", "R-1 met 4 -> -"]
    )]
    #[case::two_requirements_of_one_rule_in_one_period(
        &[("R-9", Status::NotApplicable, 0), ("R-9/b", Status::Short, 0)],
        &[("R-9", Status::NotApplicable, 0), ("R-9/b", Status::Short, 1)],
        &["R-9 short 0 -> short 1"]
    )]
    fn changes_between_two_reports(
        #[case] before: &[(&str, Status, u32)],
        #[case] after: &[(&str, Status, u32)],
        #[case] expected: &[&str],
    ) {
        let show = |o: &Option<PartOutcome>| match o {
            Some(o) => format!(
                "{} {}",
                serde_json::to_value(o.status).unwrap().as_str().unwrap(),
                o.counted
            ),
            None => "-".into(),
        };
        let got: Vec<String> = changes(&report(before), &report(after))
            .iter()
            .map(|c| format!("{} {} -> {}", c.rule_id, show(&c.before), show(&c.after)))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn the_fingerprint_follows_statuses_counts_required_and_standing_only() {
        let base = report(&[("R-1", Status::Short, 2), ("R-9/b", Status::Met, 4)]);
        let print = fingerprint(&base);
        // Another evaluation saying the same: another time, rules label, title.
        let mut same = base.clone();
        same.evaluated_at = DateTime::UNIX_EPOCH + Duration::days(3);
        same.catalogue_version = "county-2026.1".into();
        same.verdicts[0].title_zh = "入户走访".into();
        assert_eq!(fingerprint(&same), print);
        // A count, a status, the number required, a requirement, the standing: another verdict.
        let mut more_required = base.clone();
        more_required.verdicts[0].parts[0].required = 9;
        let others = [
            more_required,
            report(&[("R-1", Status::Short, 3), ("R-9/b", Status::Met, 4)]),
            report(&[("R-1", Status::Met, 2), ("R-9/b", Status::Met, 4)]),
            report(&[("R-1", Status::Short, 2)]),
            PersonReport {
                standing: MonthStanding {
                    state: MonthState::Final,
                    grace_date: Some(day("2026-10-05")),
                    since: None,
                },
                ..base.clone()
            },
        ];
        for other in &others {
            assert_ne!(fingerprint(other), print, "{:?}", other.verdicts);
        }
        assert_eq!(print.len(), 64);
    }

    #[test]
    fn late_records_are_those_received_after_the_evaluation_up_to_the_months_end() {
        let evaluated = day("2026-10-06").and_hms_opt(2, 0, 0).unwrap().and_utc();
        let record = |captured: &str, received: DateTime<Utc>| DeviceRecord {
            id: crate::ids::RecordId::new(),
            device_id: DeviceId::new(),
            seq: 1,
            person_id: PersonId::new(),
            captured_at: day(captured).and_hms_opt(2, 0, 0).unwrap().and_utc(),
            body: RecordBody::Retraction {
                target: crate::ids::RecordId::new(),
                reason: String::new(),
            },
            received: Some(ServerReceipt {
                received_at: received,
                clock_offset_s: 0,
            }),
        };
        let hour = Duration::hours(1);
        let late = record("2026-09-20", evaluated + hour);
        let earlier = record("2026-09-20", evaluated - hour);
        let next_month = record("2026-10-07", evaluated + hour);
        let at_the_same_moment = record("2026-09-21", evaluated);
        let all = [&late, &earlier, &next_month, &at_the_same_moment];
        assert_eq!(
            late_records(month("2026-09"), evaluated, all.into_iter()),
            vec![late.id]
        );
    }
}
