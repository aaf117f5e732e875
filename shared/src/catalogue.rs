//! The rule catalogue: every quantified requirement of the plan as data. The bundled file
//! carries the plan's defaults; a county may supply its own, which is checked entry by entry.

use crate::period::{Period, PeriodKind};
use crate::record::{ActivityKind, ReportKind};
use crate::role::Role;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// The catalogue shipped with Zhucun.
pub const BUNDLED_RULES: &str = include_str!("../data/rules.toml");

/// The rule ids of RULES.md, each of which the bundled catalogue carries.
pub const PLAN_RULE_IDS: [&str; 20] = [
    "R-211", "R-212", "R-222a", "R-222b", "R-223", "R-232a", "R-232b", "R-232c", "R-233a",
    "R-233b", "R-241", "R-242", "R-252", "R-31a", "R-31b", "R-31c", "R-32", "R-33", "R-34", "R-35",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    pub version: String,
    pub interpretation: Interpretation,
    #[serde(rename = "rule")]
    pub rules: Vec<RuleDef>,
}

/// How raw evidence is read (RULES.md "Default interpretations").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interpretation {
    pub max_fix_accuracy_m: f64,
    pub stay_gap_minutes: i64,
    pub household_radius_m: f64,
    pub household_accuracy_cap_m: f64,
    pub min_visit_minutes: i64,
    pub in_village_day_hours: f64,
    pub max_speed_kmh: f64,
    pub clock_skew_minutes: i64,
    pub clock_jump_minutes: i64,
    pub photo_far_m: f64,
}

impl Interpretation {
    pub fn stay_gap(&self) -> Duration {
        Duration::minutes(self.stay_gap_minutes)
    }
    pub fn in_village_day(&self) -> Duration {
        hours(self.in_village_day_hours)
    }
}

pub(crate) fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0).round() as i64)
}

/// One rule (one id of RULES.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    /// The clause of the plan, e.g. 二(一)1.
    pub seed_ref: String,
    pub title_zh: String,
    pub applies_to: Vec<Role>,
    pub scope: Scope,
    pub check: Check,
}

/// Whose records a rule counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The person's own records.
    Person,
    /// Any record for the village the person is assigned to (team and unit duties); one part
    /// per village.
    Village,
}

/// What a rule checks, with its thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// Qualifying village visits: stays of a minimum length with a minimum of poor households
    /// visited, at most one per day.
    VillageVisits(VillageVisitsCheck),
    /// Days with enough presence in the village: a share of working days, or a number of days.
    InVillageDays(InVillageDaysCheck),
    /// Counts or totals of activities per period.
    Activities(ActivitiesCheck),
    /// Visits to the person's paired households.
    PairedVisits(PairedVisitsCheck),
    /// 四必到四必访.
    FourMusts(FourMustsCheck),
    /// Reports due by a deadline.
    Submissions(SubmissionsCheck),
    /// Activities recorded within days of taking place.
    TimelyRecords(TimelyRecordsCheck),
    /// The home-visit ledger is complete: every counted visit carries a note.
    VisitLedger,
    /// The village's monthly ledger went up the submission chain in time: confirmed by the
    /// village by month end, forwarded by the township by the 5th
    /// ([`crate::ledger_chain::Step::due`]).
    LedgerChain,
    /// Every line of the person's 结对帮扶台账 for the month is complete
    /// ([`crate::pairing_ledger::line_gaps`]).
    PairingLedger,
}

macro_rules! check_struct {
    ($(#[$doc:meta])* $name:ident { $($(#[$fattr:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fattr])* pub $field: $ty,)*
        }
    };
}

check_struct!(
    /// With `leave_excused` (有考勤, R-212), the visits required shrink with the period's
    /// working days covered by approved leave or official absence: the period's "denominator"
    /// for a visit count is its working days, so `min_visits` holds for a period without
    /// absence and is prorated, rounded up, over the working days left
    /// (`ceil(min_visits × left ÷ working days)`); a period wholly away requires none and is
    /// not applicable. The approved absences are listed in the part's evidence.
    VillageVisitsCheck {
    period: PeriodKind,
    min_visits: u32,
    min_stay_hours: f64,
    min_poor_households: u32,
    #[serde(default)]
    leave_excused: bool,
});
check_struct!(
    /// With `leave_excused` (有考勤, R-233a), days covered by approved leave or official
    /// absence leave the days a `min_fraction` is taken of (the month's, and the year to
    /// date's), and are listed in the part's evidence; they are neither present nor required.
    InVillageDaysCheck {
    period: PeriodKind,
    working_days_only: bool,
    min_fraction: Option<Fraction>,
    min_days: Option<u32>,
    #[serde(default)]
    also_year_to_date: bool,
    #[serde(default)]
    leave_excused: bool,
});
check_struct!(ActivitiesCheck { items: Vec<ActivityItem> });
check_struct!(PairedVisitsCheck {
    period: PeriodKind,
    min_visits: u32
});
check_struct!(FourMustsCheck {
    attend_within_days: u32,
    must_visit_period: PeriodKind
});
check_struct!(SubmissionsCheck { items: Vec<SubmissionItem> });
check_struct!(TimelyRecordsCheck {
    activity: ActivityKind,
    within_days: u32
});

impl Check {
    /// Reads a `check` table, naming the field at fault (the tagged enum alone would only say
    /// "check").
    fn diagnose(table: &toml::Value) -> Option<(String, String)> {
        let kind = table.get("kind")?.as_str()?.to_string();
        let mut rest = table.as_table()?.clone();
        rest.remove("kind");
        let rest = toml::Value::Table(rest);
        fn probe<T: serde::de::DeserializeOwned>(v: toml::Value) -> Option<(String, String)> {
            serde_path_to_error::deserialize::<_, T>(v).err().map(|e| {
                let msg = e.inner().message().to_string();
                (field_path(&e.path().to_string(), &msg), msg)
            })
        }
        match kind.as_str() {
            "village_visits" => probe::<VillageVisitsCheck>(rest),
            "in_village_days" => probe::<InVillageDaysCheck>(rest),
            "activities" => probe::<ActivitiesCheck>(rest),
            "paired_visits" => probe::<PairedVisitsCheck>(rest),
            "four_musts" => probe::<FourMustsCheck>(rest),
            "submissions" => probe::<SubmissionsCheck>(rest),
            "timely_records" => probe::<TimelyRecordsCheck>(rest),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityItem {
    pub activity: ActivityKind,
    pub period: PeriodKind,
    pub min: u32,
    #[serde(default)]
    pub measure: Measure,
}

/// What an activity item adds up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Records, one each.
    #[default]
    Count,
    /// The records' person-times (人次).
    PersonTimes,
    /// The records' quantities (missing counts as 1).
    Quantity,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionItem {
    pub report: ReportKind,
    pub period: PeriodKind,
    #[serde(default = "one")]
    pub min: u32,
    pub due: Due,
    #[serde(default)]
    pub villages: VillageFilter,
}

fn one() -> u32 {
    1
}

/// Which villages an item applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VillageFilter {
    #[default]
    All,
    /// Villages exiting poverty this year.
    Exiting,
    NotExiting,
}

/// When a submission for a period is due (the last day on which it is on time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    PeriodEnd,
    DaysAfterEnd(u32),
    /// This day of the period's last month.
    DayOfLastMonth(u32),
    /// A fixed day of the period's year.
    MonthDay {
        month: u32,
        day: u32,
    },
}

impl Due {
    /// The last on-time day for `period`.
    pub fn date_for(&self, period: &Period) -> NaiveDate {
        let last = period.last_day();
        match *self {
            Due::PeriodEnd => last,
            Due::DaysAfterEnd(n) => last + Duration::days(n.into()),
            Due::DayOfLastMonth(d) => last.with_day_clamped(d),
            Due::MonthDay { month, day } => {
                NaiveDate::from_ymd_opt(period.first_day().year(), month, 1)
                    .map(|m| m.with_day_clamped(day))
                    .unwrap_or(last)
            }
        }
    }
}

trait ClampDay {
    fn with_day_clamped(self, day: u32) -> NaiveDate;
}

impl ClampDay for NaiveDate {
    fn with_day_clamped(self, day: u32) -> NaiveDate {
        (1..=day.max(1))
            .rev()
            .find_map(|d| self.with_day(d))
            .unwrap_or(self)
    }
}

use chrono::Datelike as _;

/// An exact fraction such as 2/3, written as a string in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    pub num: u32,
    pub den: u32,
}

impl Fraction {
    /// The smallest whole count that is at least this share of `total`.
    pub fn of_ceil(&self, total: u32) -> u32 {
        (u64::from(total) * u64::from(self.num)).div_ceil(u64::from(self.den)) as u32
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl FromStr for Fraction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (n, d) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a fraction like 2/3"))?;
        let num: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: bad numerator"))?;
        let den: u32 = d
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: bad denominator"))?;
        if den == 0 || num == 0 || num > den {
            return Err(format!("`{s}` must be between 0 and 1"));
        }
        Ok(Fraction { num, den })
    }
}

impl Serialize for Fraction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A catalogue file that cannot be used. Names the entry and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogueError {
    #[error("rules file is not valid TOML: {0}")]
    Syntax(String),
    #[error("rules file: {field}: {problem}")]
    Header { field: String, problem: String },
    #[error("rules file, entry {index} ({id}): {field}: {problem}")]
    Entry {
        index: usize,
        id: String,
        field: String,
        problem: String,
    },
}

impl Catalogue {
    /// The plan's defaults.
    pub fn bundled() -> Self {
        Self::from_toml(BUNDLED_RULES).expect("bundled rules are valid")
    }

    /// Reads and checks a rules file. Each `[[rule]]` entry is read on its own so that an
    /// error names the entry (its position and id) and the field.
    pub fn from_toml(text: &str) -> Result<Self, CatalogueError> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| CatalogueError::Syntax(e.message().to_string()))?;
        let header = |field: &str, problem: String| CatalogueError::Header {
            field: field.into(),
            problem,
        };
        let version = match doc.get("version") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => return Err(header("version", "must be a non-empty string".into())),
            None => return Err(header("version", "missing".into())),
        };
        let interpretation: Interpretation = doc
            .get("interpretation")
            .ok_or_else(|| header("interpretation", "missing".into()))?
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| header("interpretation", e.message().to_string()))?;
        check_interpretation(&interpretation)
            .map_err(|(f, p)| header(&format!("interpretation.{f}"), p))?;
        let entries = match doc.get("rule") {
            Some(toml::Value::Array(a)) => a,
            _ => return Err(header("rule", "no [[rule]] entries".into())),
        };
        let mut rules = Vec::with_capacity(entries.len());
        let mut seen = HashSet::new();
        for (i, entry) in entries.iter().enumerate() {
            let index = i + 1;
            let id = entry
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string();
            let fail = |field: &str, problem: String| CatalogueError::Entry {
                index,
                id: id.clone(),
                field: field.into(),
                problem,
            };
            let rule: RuleDef = serde_path_to_error::deserialize(entry.clone()).map_err(
                |e: serde_path_to_error::Error<toml::de::Error>| {
                    let path = e.path().to_string();
                    let msg = e.inner().message().to_string();
                    let inner = (path == "check")
                        .then(|| entry.get("check").and_then(Check::diagnose))
                        .flatten();
                    match inner {
                        Some((field, msg)) => fail(&format!("check.{field}"), msg),
                        None => fail(&field_path(&path, &msg), msg),
                    }
                },
            )?;
            if !seen.insert(rule.id.clone()) {
                return Err(fail("id", format!("`{}` appears twice", rule.id)));
            }
            check_rule(&rule).map_err(|(f, p)| fail(&f, p))?;
            rules.push(rule);
        }
        Ok(Catalogue {
            version,
            interpretation,
            rules,
        })
    }

    pub fn rule(&self, id: &str) -> Option<&RuleDef> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("catalogue serialises")
    }
}

/// The field an error is about: the path where reading stopped, plus the field a "missing" or
/// "unknown field" message names.
fn field_path(path: &str, msg: &str) -> String {
    let named = (msg.starts_with("missing field") || msg.starts_with("unknown field"))
        .then(|| msg.split('`').nth(1))
        .flatten();
    let path = if path == "." { "" } else { path };
    match (path, named) {
        ("", Some(f)) => f.to_string(),
        ("", None) => "rule".to_string(),
        (p, Some(f)) if !p.ends_with(f) => format!("{p}.{f}"),
        (p, _) => p.to_string(),
    }
}

fn check_interpretation(i: &Interpretation) -> Result<(), (String, String)> {
    let positive = [
        ("max_fix_accuracy_m", i.max_fix_accuracy_m),
        ("household_radius_m", i.household_radius_m),
        ("household_accuracy_cap_m", i.household_accuracy_cap_m),
        ("in_village_day_hours", i.in_village_day_hours),
        ("max_speed_kmh", i.max_speed_kmh),
        ("photo_far_m", i.photo_far_m),
    ];
    for (f, v) in positive {
        if !(v.is_finite() && v > 0.0) {
            return Err((f.into(), "must be a positive number".into()));
        }
    }
    if i.in_village_day_hours > 24.0 {
        return Err(("in_village_day_hours".into(), "more than 24 hours".into()));
    }
    for (f, v) in [
        ("stay_gap_minutes", i.stay_gap_minutes),
        ("min_visit_minutes", i.min_visit_minutes),
        ("clock_skew_minutes", i.clock_skew_minutes),
        ("clock_jump_minutes", i.clock_jump_minutes),
    ] {
        if v <= 0 {
            return Err((f.into(), "must be a positive number of minutes".into()));
        }
    }
    Ok(())
}

fn check_rule(r: &RuleDef) -> Result<(), (String, String)> {
    let err = |f: &str, p: &str| Err((f.to_string(), p.to_string()));
    if r.id.trim().is_empty() {
        return err("id", "must not be empty");
    }
    if r.seed_ref.trim().is_empty() {
        return err("seed_ref", "must name the clause of the plan");
    }
    if r.applies_to.is_empty() {
        return err("applies_to", "must name at least one role");
    }
    match &r.check {
        Check::VillageVisits(VillageVisitsCheck {
            min_visits,
            min_stay_hours,
            period,
            ..
        }) => {
            if *min_visits == 0 {
                return err("check.min_visits", "must be at least 1");
            }
            if !(min_stay_hours.is_finite() && *min_stay_hours > 0.0 && *min_stay_hours <= 24.0) {
                return err("check.min_stay_hours", "must be between 0 and 24");
            }
            if *period == PeriodKind::Posting {
                return err("check.period", "posting is not allowed here");
            }
        }
        Check::InVillageDays(InVillageDaysCheck {
            min_fraction,
            min_days,
            period,
            ..
        }) => {
            if min_fraction.is_none() == min_days.is_none() {
                return err(
                    "check.min_fraction",
                    "give exactly one of min_fraction and min_days",
                );
            }
            if *period == PeriodKind::Posting {
                return err("check.period", "posting is not allowed here");
            }
        }
        Check::Activities(ActivitiesCheck { items }) => {
            if items.is_empty() {
                return err("check.items", "must list at least one item");
            }
            if let Some(i) = items.iter().position(|i| i.min == 0) {
                return Err((format!("check.items[{i}].min"), "must be at least 1".into()));
            }
        }
        Check::Submissions(SubmissionsCheck { items }) => {
            if items.is_empty() {
                return err("check.items", "must list at least one item");
            }
            for (i, item) in items.iter().enumerate() {
                if item.period == PeriodKind::Posting {
                    return Err((
                        format!("check.items[{i}].period"),
                        "posting is not allowed here".into(),
                    ));
                }
                if let Due::MonthDay { month, day } = item.due {
                    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                        return Err((
                            format!("check.items[{i}].due"),
                            "not a day of the year".into(),
                        ));
                    }
                }
            }
        }
        Check::PairedVisits(PairedVisitsCheck { min_visits, period }) => {
            if *min_visits == 0 {
                return err("check.min_visits", "must be at least 1");
            }
            if *period == PeriodKind::Posting {
                return err("check.period", "posting is not allowed here");
            }
        }
        Check::FourMusts(FourMustsCheck {
            must_visit_period, ..
        }) => {
            if *must_visit_period == PeriodKind::Posting {
                return err("check.must_visit_period", "posting is not allowed here");
            }
        }
        Check::TimelyRecords(TimelyRecordsCheck { .. })
        | Check::VisitLedger
        | Check::LedgerChain
        | Check::PairingLedger => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_catalogue_carries_every_rule_of_the_plan() {
        let c = Catalogue::bundled();
        let ids: Vec<&str> = c.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, PLAN_RULE_IDS);
        // Round trip through text.
        assert_eq!(Catalogue::from_toml(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn a_bad_entry_is_named_with_its_field() {
        let bad = BUNDLED_RULES.replacen("min_visits = 6", "min_visits = \"six\"", 1);
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(err.contains("entry 2 (R-212): check.min_visits:"), "{err}");
        let bad = BUNDLED_RULES.replacen(
            "activity = \"variety\", period = \"posting\", min = 3",
            "activity = \"variety\", period = \"fortnight\", min = 3",
            1,
        );
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(
            err.contains("entry 6 (R-232a): check.items[1].period:") && err.contains("fortnight"),
            "{err}"
        );
        let bad = BUNDLED_RULES.replacen(
            "applies_to = [\"liaison_leader\"]",
            "applies_to = [\"mayor\"]",
            1,
        );
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(
            err.contains("entry 1 (R-211)") && err.contains("mayor"),
            "{err}"
        );
        let bad = BUNDLED_RULES.replacen("min_fraction = \"2/3\"", "min_fraction = \"3/2\"", 1);
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(err.contains("R-233a") && err.contains("3/2"), "{err}");
        let bad = BUNDLED_RULES.replacen("seed_ref = \"二(四)2\"\n", "", 1);
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(err.contains("entry 12 (R-242): seed_ref:"), "{err}");
        let bad = BUNDLED_RULES.replacen("stay_gap_minutes = 20", "stay_gap_minutes = -5", 1);
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(err.contains("interpretation.stay_gap_minutes"), "{err}");
        let bad = BUNDLED_RULES.replacen("id = \"R-212\"", "id = \"R-211\"", 1);
        let err = Catalogue::from_toml(&bad).unwrap_err().to_string();
        assert!(err.contains("appears twice"), "{err}");
        assert!(matches!(
            Catalogue::from_toml("[[rule"),
            Err(CatalogueError::Syntax(_))
        ));
    }

    #[test]
    fn due_dates() {
        let m: Period = "2026-10".parse().unwrap();
        assert_eq!(Due::DaysAfterEnd(7).date_for(&m).to_string(), "2026-11-07");
        let q: Period = "2026-Q4".parse().unwrap();
        assert_eq!(
            Due::DayOfLastMonth(20).date_for(&q).to_string(),
            "2026-12-20"
        );
        let y: Period = "2026".parse().unwrap();
        assert_eq!(
            Due::MonthDay { month: 2, day: 10 }.date_for(&y).to_string(),
            "2026-02-10"
        );
        assert_eq!(
            Due::MonthDay { month: 2, day: 30 }.date_for(&y).to_string(),
            "2026-02-28"
        );
        assert_eq!("2/3".parse::<Fraction>().unwrap().of_ceil(16), 11);
        assert_eq!("2/3".parse::<Fraction>().unwrap().of_ceil(18), 12);
    }
}
