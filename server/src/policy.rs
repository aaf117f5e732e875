//! The rule catalogue and working-day calendar in force: a county's own variants of the bundled
//! files, checked whole before they replace anything, kept in the database and read at start.

use crate::store::{Store, StoreError};
use zhucun_shared::calendar::{WorkCalendar, BUNDLED_CALENDAR};
use zhucun_shared::catalogue::{Catalogue, BUNDLED_RULES};

/// Settings keys for a county's own rules file and calendar.
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes `text` the file in force, after checking it whole; a malformed file changes nothing.
pub async fn set(store: &impl Store, policy: Policy, text: &str) -> Result<(), PolicyError> {
    policy.check(text).map_err(PolicyError::Invalid)?;
    store.put_setting(policy.key(), text).await?;
    Ok(())
}

/// The file in force: the county's own, or the bundled one.
pub async fn current(store: &impl Store, policy: Policy) -> Result<String, StoreError> {
    Ok(store
        .setting(policy.key())
        .await?
        .unwrap_or_else(|| policy.bundled().to_string()))
}

/// Goes back to the bundled file.
pub async fn reset(store: &impl Store, policy: Policy) -> Result<(), StoreError> {
    store.put_setting(policy.key(), policy.bundled()).await
}
