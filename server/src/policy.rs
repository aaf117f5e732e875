//! The rule catalogue and working-day calendar: a county's own variants of the bundled files,
//! checked whole before they are kept, each version in force from its day (`--from`). A month
//! is evaluated with the versions in force on its first day. A closed month keeps the versions
//! it was closed with: no version may take effect on or before a closed month's last day.
//! Versions are read at start, and again by a running server when the last version's id in the
//! store differs from the one it loaded ([`Versions::stamp`], one small query): a version set
//! with `rules set` or `calendar set` while the server runs is used from the next evaluation.

use crate::store::{PolicyVersionRow, Store, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::sync::Arc;
use zhucun_shared::calendar::{WorkCalendar, BUNDLED_CALENDAR};
use zhucun_shared::catalogue::{Catalogue, BUNDLED_RULES};

/// Settings keys for a county's own rules file and calendar from before versions were kept:
/// in force before the first version.
pub const RULES_SETTING: &str = "rules_toml";
pub const CALENDAR_SETTING: &str = "calendar_toml";

/// Which file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Rules,
    Calendar,
}

impl Policy {
    fn key(self) -> &'static str {
        match self {
            Policy::Rules => RULES_SETTING,
            Policy::Calendar => CALENDAR_SETTING,
        }
    }

    /// How its versions are labelled in the store.
    pub fn code(self) -> &'static str {
        match self {
            Policy::Rules => "rules",
            Policy::Calendar => "calendar",
        }
    }

    fn bundled(self) -> &'static str {
        match self {
            Policy::Rules => BUNDLED_RULES,
            Policy::Calendar => BUNDLED_CALENDAR,
        }
    }

    /// Checks a file: the error names the entry and field at fault.
    pub fn check(self, text: &str) -> Result<(), String> {
        match self {
            Policy::Rules => Catalogue::from_toml(text)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Policy::Calendar => WorkCalendar::from_toml(text)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}")]
    Invalid(String),
    /// The day is on or before the end of a closed month, whose verdicts are final.
    #[error("--from {from}: {closed} 已月结，其规则和日历不再改变；最早可从 {earliest} 起")]
    ClosedMonth {
        from: NaiveDate,
        closed: String,
        earliest: NaiveDate,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One version of a file. Id 0 is the file from before versions were kept (the county's own,
/// or the bundled one), in force from the beginning.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub id: i64,
    /// `None`: from the beginning.
    pub effective_from: Option<NaiveDate>,
    pub text: String,
    pub sha256: String,
    /// `None` for the file from before versions.
    pub set_at: Option<DateTime<Utc>>,
}

/// Every version of a file, the one from before versions first, then by day in force and as
/// set (of two versions from the same day, the later set is in force).
#[derive(Clone, Debug)]
pub struct History(Vec<Version>);

impl History {
    /// The version in force on `day`.
    pub fn in_force(&self, day: NaiveDate) -> &Version {
        self.0
            .iter()
            .rev()
            .find(|v| v.effective_from.is_none_or(|f| f <= day))
            .unwrap_or(&self.0[0])
    }

    pub fn versions(&self) -> &[Version] {
        &self.0
    }
}

/// The versions of a file, parsed: what the server evaluates with.
#[derive(Debug)]
pub struct InForce<T> {
    versions: Vec<(Option<NaiveDate>, i64, Arc<T>)>,
}

impl<T> InForce<T> {
    /// Parses every version of `history` with `parse`; a stored file that no longer parses is
    /// an error naming nothing but what the parser says.
    pub fn parse<E>(history: &History, parse: impl Fn(&str) -> Result<T, E>) -> Result<Self, E> {
        let versions = history
            .versions()
            .iter()
            .map(|v| Ok((v.effective_from, v.id, Arc::new(parse(&v.text)?))))
            .collect::<Result<_, E>>()?;
        Ok(Self { versions })
    }

    /// The version in force on `day`, with its id.
    pub fn on(&self, day: NaiveDate) -> (i64, Arc<T>) {
        let (_, id, v) = self
            .versions
            .iter()
            .rev()
            .find(|(from, _, _)| from.is_none_or(|f| f <= day))
            .unwrap_or(&self.versions[0]);
        (*id, v.clone())
    }
}

/// Every version of the rules and the calendar, parsed, as a server evaluates with them.
#[derive(Debug)]
pub struct Versions {
    /// What was loaded: the id of the last version kept (0 for none).
    pub stamp: i64,
    pub rules: InForce<Catalogue>,
    pub calendars: InForce<WorkCalendar>,
    pub rules_history: History,
    pub calendar_history: History,
    /// Every version with its day, hashed: part of a kept verdict's basis, so that a version
    /// added makes the provisional verdicts it may apply to stale.
    pub digest: String,
}

/// Why the stored versions cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored rules file: {0}")]
    Rules(#[from] zhucun_shared::catalogue::CatalogueError),
    #[error("stored calendar: {0}")]
    Calendar(#[from] zhucun_shared::calendar::CalendarError),
}

impl Versions {
    /// Reads and parses every version of both files.
    pub async fn load(store: &impl Store) -> Result<Self, LoadError> {
        // Read first: a version kept meanwhile makes the stamp differ at the next check.
        let stamp = store.last_policy_version().await?;
        let rules_history = history(store, Policy::Rules).await?;
        let calendar_history = history(store, Policy::Calendar).await?;
        let rules = InForce::parse(&rules_history, Catalogue::from_toml)?;
        let calendars = InForce::parse(&calendar_history, WorkCalendar::from_toml)?;
        let digest = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            for v in rules_history
                .versions()
                .iter()
                .chain(calendar_history.versions())
            {
                h.update(format!("{}|{:?}|{}\u{0}", v.id, v.effective_from, v.sha256).as_bytes());
            }
            hex::encode(h.finalize())[..16].to_string()
        };
        Ok(Self {
            stamp,
            rules,
            calendars,
            rules_history,
            calendar_history,
            digest,
        })
    }
}

pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The first day of the month after `day`'s: when a version set today takes effect unless
/// told otherwise.
pub fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("a first of the month exists")
}

/// Every version of `policy`.
pub async fn history(store: &impl Store, policy: Policy) -> Result<History, StoreError> {
    let base = store
        .setting(policy.key())
        .await?
        .unwrap_or_else(|| policy.bundled().to_string());
    let mut versions = vec![Version {
        id: 0,
        effective_from: None,
        sha256: sha256_hex(&base),
        text: base,
        set_at: None,
    }];
    versions.extend(
        store
            .policy_versions(policy.code())
            .await?
            .into_iter()
            .map(|r| Version {
                id: r.id,
                effective_from: Some(r.effective_from),
                text: r.body,
                sha256: r.sha256,
                set_at: Some(r.set_at),
            }),
    );
    Ok(History(versions))
}

/// Keeps `text` as the version in force from `from`, after checking it whole; a malformed file,
/// or a day inside a closed month, changes nothing. Answers the version's id.
pub async fn set(
    store: &impl Store,
    policy: Policy,
    text: &str,
    from: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, PolicyError> {
    policy.check(text).map_err(PolicyError::Invalid)?;
    if let Some(closed) = store.last_closed_month().await? {
        if let Ok(month) = closed.parse::<zhucun_shared::period::Period>() {
            if from <= month.last_day() {
                return Err(PolicyError::ClosedMonth {
                    from,
                    closed,
                    earliest: month.next_month_first_day(),
                });
            }
        }
    }
    Ok(store
        .add_policy_version(&PolicyVersionRow {
            id: 0,
            policy: policy.code().to_string(),
            effective_from: from,
            body: text.to_string(),
            sha256: sha256_hex(text),
            set_at: now,
        })
        .await?)
}

/// The file in force on `day`.
pub async fn current(
    store: &impl Store,
    policy: Policy,
    day: NaiveDate,
) -> Result<String, StoreError> {
    Ok(history(store, policy).await?.in_force(day).text.clone())
}

/// Goes back to the bundled file from `from`: a version like any other.
pub async fn reset(
    store: &impl Store,
    policy: Policy,
    from: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, PolicyError> {
    set(store, policy, policy.bundled(), from, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn version(id: i64, from: Option<&str>) -> Version {
        Version {
            id,
            effective_from: from.map(day),
            text: format!("v{id}"),
            sha256: String::new(),
            set_at: None,
        }
    }

    #[test]
    fn the_version_in_force_is_the_last_one_begun_and_of_one_day_the_last_set() {
        let h = History(vec![
            version(0, None),
            version(1, Some("2026-10-01")),
            version(3, Some("2026-11-01")),
            version(4, Some("2026-11-01")),
            version(2, Some("2027-01-01")),
        ]);
        for (d, id) in [
            ("2026-09-30", 0),
            ("2026-10-01", 1),
            ("2026-10-31", 1),
            ("2026-11-01", 4),
            ("2026-12-31", 4),
            ("2027-01-01", 2),
        ] {
            assert_eq!(h.in_force(day(d)).id, id, "{d}");
        }
        let parsed = InForce::parse(&h, |t| Ok::<_, ()>(t.to_string())).unwrap();
        assert_eq!(*parsed.on(day("2026-11-15")).1, "v4");
        assert_eq!(first_of_next_month(day("2026-12-15")), day("2027-01-01"));
        assert_eq!(first_of_next_month(day("2026-11-30")), day("2026-12-01"));
    }
}
