//! How the ledgers write times, names and verdicts, and which of the catalogue's rules a
//! ledger holds its totals against (found by the kind of check, never by a rule's id).

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use zhucun_shared::catalogue::{Catalogue, Check, RuleDef};
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::org::Directory;
use zhucun_shared::period::{local_time, PeriodKind};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{Evidence, Part, PersonReport, Rejection, Verdict};

/// 09:12, China time.
pub fn hhmm(t: DateTime<Utc>) -> String {
    local_time(t).format("%H:%M").to_string()
}

/// 11-03
pub fn month_day(d: NaiveDate) -> String {
    d.format("%m-%d").to_string()
}

pub fn person_name(org: &Directory, p: PersonId) -> String {
    org.person(p)
        .map_or_else(|| p.to_string(), |p| p.name.clone())
}

/// The roles a person holds in `from..=to`, in Chinese: 驻村工作队队长、帮扶责任人.
pub fn roles_zh(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

/// The reports of a month, by person.
pub type Reports = HashMap<PersonId, PersonReport>;

/// The rule of `role` whose check `is` selects (a catalogue may hold none).
pub fn rule_for(
    catalogue: &Catalogue,
    role: Role,
    is: impl Fn(&Check) -> bool,
) -> Option<&RuleDef> {
    catalogue
        .rules
        .iter()
        .find(|r| r.applies_to.contains(&role) && is(&r.check))
}

pub fn is_village_visits(c: &Check) -> bool {
    matches!(c, Check::VillageVisits(_))
}

pub fn is_monthly_in_village_days(c: &Check) -> bool {
    matches!(c, Check::InVillageDays(d) if d.period == PeriodKind::Month)
}

pub fn is_paired_visits(c: &Check) -> bool {
    matches!(c, Check::PairedVisits(_))
}

/// The verdict of `rule` in `person`'s report, if they are held to it.
pub fn verdict<'r>(reports: &'r Reports, person: PersonId, rule: &RuleDef) -> Option<&'r Verdict> {
    reports.get(&person).and_then(|r| r.verdict(&rule.id))
}

/// The first part of a verdict: the period's own (a year-to-date part follows it).
pub fn main_part(v: &Verdict) -> Option<&Part> {
    v.parts.first()
}

/// Whether the verdict counted the thing whose first record is `first`, or rejected it and
/// why: 计入 / 不计入：停留时间不足 / — (the verdict does not speak of it).
pub fn counted_label(part: Option<&Part>, first: RecordId) -> String {
    let Some(part) = part else {
        return "—".into();
    };
    let counted = |e: &Evidence| e.records.first() == Some(&first);
    let rejected = |r: &Rejection| r.records.first() == Some(&first);
    if part.evidence.iter().any(counted) {
        "计入".into()
    } else if let Some(r) = part.rejected.iter().find(|r| rejected(r)) {
        format!("不计入：{}", r.reason.label_zh())
    } else {
        "—".into()
    }
}

/// 达标（5/4）: a verdict's status with what it counted against what it requires.
pub fn verdict_label(v: &Verdict) -> String {
    match main_part(v) {
        Some(p) if p.required > 0 => {
            format!("{}（{}/{}）", v.status.label_zh(), p.counted, p.required)
        }
        _ => v.status.label_zh().to_string(),
    }
}

/// 通江县青峰乡
pub fn full_name(t: &super::Township) -> String {
    format!("{}{}", t.county, t.name)
}
