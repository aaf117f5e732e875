//! Reporting periods (week, month, quarter, half-year, year) and local time in Asia/Shanghai.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// China Standard Time is UTC+8. Asia/Shanghai has kept that offset without daylight saving
/// since 1991 and no record predates 2020, so a fixed offset is exact here, and it is far
/// cheaper than a zone lookup for every fix of a county-month.
const CHINA_OFFSET: Duration = Duration::hours(8);

/// Wall-clock time in Asia/Shanghai.
pub fn local_time(t: DateTime<Utc>) -> NaiveDateTime {
    (t + CHINA_OFFSET).naive_utc()
}

/// An instant as a cadre reads it in a message: month, day and minute in Asia/Shanghai,
/// `11-03 09:12`.
pub fn local_label(t: DateTime<Utc>) -> String {
    use chrono::Timelike;
    let l = local_time(t);
    format!(
        "{:02}-{:02} {:02}:{:02}",
        l.month(),
        l.day(),
        l.hour(),
        l.minute()
    )
}

/// The calendar date of an instant in Asia/Shanghai.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    local_time(t).date()
}

/// The instant a local day starts (00:00 Asia/Shanghai).
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc() - CHINA_OFFSET
}

/// The instant a local day ends (the next day's start): deadlines "by day D" mean before this.
pub fn day_end(d: NaiveDate) -> DateTime<Utc> {
    day_start(d + Duration::days(1))
}

/// The kind of a period, as rules name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
    /// The span of the person's assignment (派驻期).
    Posting,
}

/// A concrete period. Written `2026-W47`, `2026-11`, `2026-Q4`, `2026-H2`, `2026`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// ISO week.
    Week {
        year: i32,
        week: u32,
    },
    Month {
        year: i32,
        month: u32,
    },
    Quarter {
        year: i32,
        quarter: u32,
    },
    HalfYear {
        year: i32,
        half: u32,
    },
    Year {
        year: i32,
    },
}

impl Period {
    pub fn month(year: i32, month: u32) -> Self {
        Period::Month { year, month }
    }

    /// The period of `kind` containing `d` (weeks are ISO weeks).
    pub fn containing(kind: PeriodKind, d: NaiveDate) -> Option<Period> {
        Some(match kind {
            PeriodKind::Week => {
                let w = d.iso_week();
                Period::Week {
                    year: w.year(),
                    week: w.week(),
                }
            }
            PeriodKind::Month => Period::Month {
                year: d.year(),
                month: d.month(),
            },
            PeriodKind::Quarter => Period::Quarter {
                year: d.year(),
                quarter: (d.month() - 1) / 3 + 1,
            },
            PeriodKind::HalfYear => Period::HalfYear {
                year: d.year(),
                half: if d.month() <= 6 { 1 } else { 2 },
            },
            PeriodKind::Year => Period::Year { year: d.year() },
            PeriodKind::Posting => return None,
        })
    }

    pub fn kind(&self) -> PeriodKind {
        match self {
            Period::Week { .. } => PeriodKind::Week,
            Period::Month { .. } => PeriodKind::Month,
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::HalfYear { .. } => PeriodKind::HalfYear,
            Period::Year { .. } => PeriodKind::Year,
        }
    }

    /// First day.
    pub fn first_day(&self) -> NaiveDate {
        match *self {
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).expect("valid ISO week")
            }
            Period::Month { year, month } => ymd(year, month, 1),
            Period::Quarter { year, quarter } => ymd(year, (quarter - 1) * 3 + 1, 1),
            Period::HalfYear { year, half } => ymd(year, (half - 1) * 6 + 1, 1),
            Period::Year { year } => ymd(year, 1, 1),
        }
    }

    /// Last day, inclusive.
    pub fn last_day(&self) -> NaiveDate {
        match *self {
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week, Weekday::Sun).expect("valid ISO week")
            }
            Period::Month { year, month } => month_last_day(year, month),
            Period::Quarter { year, quarter } => month_last_day(year, quarter * 3),
            Period::HalfYear { year, half } => month_last_day(year, half * 6),
            Period::Year { year } => ymd(year, 12, 31),
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first_day() <= d && d <= self.last_day()
    }

    /// The ISO weeks counted in this month: those whose Thursday falls in it, so that every
    /// week belongs to exactly one month.
    pub fn weeks(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let mut d = self.first_day();
        while d <= self.last_day() {
            if d.weekday() == Weekday::Thu {
                out.extend(Period::containing(PeriodKind::Week, d));
            }
            d = d.succ_opt().expect("date in range");
        }
        out
    }

    /// The month right after this one (for months) or the period's following month.
    pub fn next_month_first_day(&self) -> NaiveDate {
        self.last_day().succ_opt().expect("date in range")
    }

    /// Chinese label, e.g. 2026年11月.
    pub fn label_zh(&self) -> String {
        match *self {
            Period::Week { year, week } => format!("{year}年第{week}周"),
            Period::Month { year, month } => format!("{year}年{month}月"),
            Period::Quarter { year, quarter } => format!("{year}年第{quarter}季度"),
            Period::HalfYear { year, half } => {
                format!("{year}年{}", if half == 1 { "上半年" } else { "下半年" })
            }
            Period::Year { year } => format!("{year}年"),
        }
    }
}

pub(crate) fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn month_last_day(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    ymd(ny, nm, 1).pred_opt().expect("date in range")
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Week { year, week } => write!(f, "{year}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            Period::HalfYear { year, half } => write!(f, "{year}-H{half}"),
            Period::Year { year } => write!(f, "{year}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a period; write 2026-W47, 2026-11, 2026-Q4, 2026-H2 or 2026")]
pub struct BadPeriod(pub String);

impl FromStr for Period {
    type Err = BadPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadPeriod(s.to_string());
        let (y, rest) = match s.split_once('-') {
            Some((y, rest)) => (y, Some(rest)),
            None => (s, None),
        };
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        let num = |t: &str, lo: u32, hi: u32| -> Result<u32, BadPeriod> {
            let n: u32 = t.parse().map_err(|_| bad())?;
            (lo..=hi).contains(&n).then_some(n).ok_or_else(bad)
        };
        let p = match rest {
            None => Period::Year { year },
            Some(r) if r.starts_with('W') => {
                let week = num(&r[1..], 1, 53)?;
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
                Period::Week { year, week }
            }
            Some(r) if r.starts_with('Q') => Period::Quarter {
                year,
                quarter: num(&r[1..], 1, 4)?,
            },
            Some(r) if r.starts_with('H') => Period::HalfYear {
                year,
                half: num(&r[1..], 1, 2)?,
            },
            Some(r) => Period::Month {
                year,
                month: num(r, 1, 12)?,
            },
        };
        Ok(p)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_round_trip_through_text() {
        for s in [
            "2026-W47", "2026-11", "2026-Q4", "2026-H2", "2026", "2026-W01",
        ] {
            assert_eq!(s.parse::<Period>().unwrap().to_string(), s);
        }
        for s in ["2026-13", "2026-Q5", "2026-W54", "x", "2026-H3", "1800"] {
            assert!(s.parse::<Period>().is_err(), "{s}");
        }
    }

    #[test]
    fn bounds_and_weeks_of_a_month() {
        let feb = Period::month(2026, 2);
        assert_eq!(feb.last_day(), ymd(2026, 2, 28));
        let q = Period::containing(PeriodKind::Quarter, ymd(2026, 11, 5)).unwrap();
        assert_eq!(
            (q.first_day(), q.last_day()),
            (ymd(2026, 10, 1), ymd(2026, 12, 31))
        );
        // November 2026 has Thursdays on 5, 12, 19, 26.
        assert_eq!(Period::month(2026, 11).weeks().len(), 4);
        // A week split across months belongs to one month only.
        let oct = Period::month(2026, 10).weeks();
        let nov = Period::month(2026, 11).weeks();
        assert!(oct.iter().all(|w| !nov.contains(w)));
    }

    #[test]
    fn the_fixed_offset_agrees_with_the_zone_database() {
        use chrono::TimeZone;
        use chrono_tz::Asia::Shanghai;
        let mut t: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().unwrap();
        while t.year() < 2031 {
            assert_eq!(local_time(t), t.with_timezone(&Shanghai).naive_local());
            t += Duration::minutes(7919);
        }
        let d = ymd(2026, 3, 8);
        assert_eq!(
            day_start(d),
            Shanghai
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        );
    }

    #[test]
    fn local_day_is_shanghai() {
        let t: DateTime<Utc> = "2026-11-27T16:30:00Z".parse().unwrap();
        assert_eq!(local_date(t), ymd(2026, 11, 28));
        assert_eq!(
            day_start(ymd(2026, 11, 28)),
            "2026-11-27T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
