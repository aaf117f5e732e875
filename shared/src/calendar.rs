//! The working-day calendar (工作日): Monday to Friday, minus statutory holidays, plus adjusted
//! working weekends (调休), per the State Council's yearly notice, with a county's own overrides.
//! A year without a notice is unknown rather than guessed.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The bundled notices, 2024 onwards.
pub const BUNDLED_CALENDAR: &str = include_str!("../data/calendar.toml");

/// One year's notice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YearNotice {
    pub year: i32,
    /// The notice the dates come from.
    pub source: String,
    /// Days off of each holiday span.
    pub rest: BTreeSet<NaiveDate>,
    /// Weekend days that are working days.
    pub work: BTreeSet<NaiveDate>,
}

/// A county's own change to one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayOverride {
    pub date: NaiveDate,
    pub working: bool,
    pub note: String,
}

/// Why a day could not be classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("the working-day calendar does not cover {year}")]
pub struct UnknownYear {
    pub year: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("calendar year {year}: {problem}")]
    Year { year: i32, problem: String },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkCalendar {
    #[serde(rename = "year", default)]
    years: Vec<YearNotice>,
    #[serde(rename = "override", default)]
    overrides: Vec<DayOverride>,
    #[serde(skip)]
    index: Index,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Index {
    covered: BTreeSet<i32>,
    days: BTreeMap<NaiveDate, bool>,
}

impl WorkCalendar {
    /// The notices shipped with Zhucun.
    pub fn bundled() -> Self {
        Self::from_toml(BUNDLED_CALENDAR).expect("bundled calendar is valid")
    }

    /// Reads a calendar file (the bundled format, optionally with `[[override]]` entries).
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let mut cal: WorkCalendar = toml::from_str(text)?;
        for y in &cal.years {
            for d in y.rest.iter().chain(&y.work) {
                if d.year() != y.year {
                    return Err(CalendarError::Year {
                        year: y.year,
                        problem: format!("date {d} is not in {}", y.year),
                    });
                }
            }
            if let Some(d) = y.rest.intersection(&y.work).next() {
                return Err(CalendarError::Year {
                    year: y.year,
                    problem: format!("{d} is listed both as rest and as work"),
                });
            }
        }
        cal.reindex();
        Ok(cal)
    }

    /// The same calendar with a county's overrides added (later ones win).
    pub fn with_overrides(mut self, overrides: impl IntoIterator<Item = DayOverride>) -> Self {
        self.overrides.extend(overrides);
        self.reindex();
        self
    }

    /// Adds or replaces a year's notice.
    pub fn with_year(mut self, notice: YearNotice) -> Self {
        self.years.retain(|y| y.year != notice.year);
        self.years.push(notice);
        self.reindex();
        self
    }

    fn reindex(&mut self) {
        let mut index = Index::default();
        for y in &self.years {
            index.covered.insert(y.year);
            index.days.extend(y.rest.iter().map(|d| (*d, false)));
            index.days.extend(y.work.iter().map(|d| (*d, true)));
        }
        for o in &self.overrides {
            index.days.insert(o.date, o.working);
        }
        self.index = index;
    }

    pub fn years(&self) -> impl Iterator<Item = &YearNotice> {
        self.years.iter()
    }

    pub fn overrides(&self) -> &[DayOverride] {
        &self.overrides
    }

    pub fn covers(&self, year: i32) -> bool {
        self.index.covered.contains(&year)
    }

    /// Whether `d` is a working day. An override answers even in an uncovered year.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, UnknownYear> {
        if let Some(w) = self.index.days.get(&d) {
            return Ok(*w);
        }
        if !self.covers(d.year()) {
            return Err(UnknownYear { year: d.year() });
        }
        Ok(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The working days of `from..=to`. Days of uncovered years are counted as Monday–Friday
    /// and the first uncovered year is reported, so the caller can mark its verdict provisional.
    pub fn working_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> (Vec<NaiveDate>, Option<UnknownYear>) {
        let mut days = Vec::new();
        let mut unknown = None;
        let mut d = from;
        while d <= to {
            let working = self.is_working_day(d).unwrap_or_else(|e| {
                unknown.get_or_insert(e);
                !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
            });
            if working {
                days.push(d);
            }
            d = d.succ_opt().expect("date in range");
        }
        (days, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::ymd;

    fn count(cal: &WorkCalendar, y: i32, m: u32) -> usize {
        let p = crate::period::Period::month(y, m);
        cal.working_days(p.first_day(), p.last_day()).0.len()
    }

    #[test]
    fn spring_festival_and_national_day_months() {
        let cal = WorkCalendar::bundled();
        // February 2026: 20 weekdays, 6 of them holidays, 2 Saturdays worked.
        assert_eq!(count(&cal, 2026, 2), 16);
        // October 2026: 22 weekdays, 5 holidays on weekdays, Oct 10 (Saturday) worked.
        assert_eq!(count(&cal, 2026, 10), 18);
        assert_eq!(count(&cal, 2026, 9), 22); // 22 weekdays − Sep 25 + Sep 20
        assert_eq!(count(&cal, 2025, 10), 18); // 23 weekdays − Oct 1–3, 6–8 + Oct 11
        assert_eq!(count(&cal, 2024, 2), 18); // 21 weekdays − Feb 12–16 + Feb 4, Feb 18
        assert!(cal.is_working_day(ymd(2026, 2, 14)).unwrap());
        assert!(!cal.is_working_day(ymd(2026, 2, 16)).unwrap());
    }

    #[test]
    fn a_year_without_a_notice_is_unknown() {
        let cal = WorkCalendar::bundled();
        assert_eq!(
            cal.is_working_day(ymd(2027, 3, 3)),
            Err(UnknownYear { year: 2027 })
        );
        let (days, unknown) = cal.working_days(ymd(2027, 3, 1), ymd(2027, 3, 31));
        assert_eq!(unknown, Some(UnknownYear { year: 2027 }));
        assert_eq!(days.len(), 23);
    }

    #[test]
    fn county_overrides_win() {
        let cal = WorkCalendar::bundled().with_overrides([DayOverride {
            date: ymd(2026, 11, 16),
            working: false,
            note: "县庆".into(),
        }]);
        assert!(!cal.is_working_day(ymd(2026, 11, 16)).unwrap());
        assert_eq!(count(&cal, 2026, 11), 20);
    }

    #[test]
    fn a_malformed_file_is_refused_with_the_year() {
        let err = WorkCalendar::from_toml(
            "[[year]]\nyear = 2028\nsource = \"x\"\nrest = [\"2027-01-01\"]\nwork = []\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("2028"), "{err}");
    }
}
