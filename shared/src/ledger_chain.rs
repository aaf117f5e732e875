//! The submission chain of a village's 领导挂联工作月台账 (三(二), R-32): the month's ledger is
//! generated from the records (生成, its content's digest kept, so that what is confirmed is
//! that version), the village branch completes and confirms it by month end (村确认), the township office forwards
//! it to the county by the 5th of the next month (乡报送), the county office receives it
//! (县接收). The steps and their deadlines are defined here once: the server records them, the
//! evaluator judges R-32 by them, the phone pulls them for its own estimate.

use crate::ids::{PersonId, VillageId};
use crate::period::{local_date, Period};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A step up the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 生成: the ledger generated from the records, its content's digest kept. Taken again
    /// (regenerated) until the village confirms; no deadline of its own.
    Generated,
    /// 村确认: the village's first secretary or team leader confirms the generated ledger.
    Confirmed,
    /// 乡报送: the township office sends it up.
    Forwarded,
    /// 县接收: the county office receives it.
    Received,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::Generated,
        Step::Confirmed,
        Step::Forwarded,
        Step::Received,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Step::Generated => "generated",
            Step::Confirmed => "confirmed",
            Step::Forwarded => "forwarded",
            Step::Received => "received",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Step::Generated => "生成",
            Step::Confirmed => "村确认",
            Step::Forwarded => "乡报送",
            Step::Received => "县接收",
        }
    }

    pub fn from_code(s: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    /// The step that must come first.
    pub fn after(self) -> Option<Step> {
        match self {
            Step::Generated => None,
            Step::Confirmed => Some(Step::Generated),
            Step::Forwarded => Some(Step::Confirmed),
            Step::Received => Some(Step::Forwarded),
        }
    }

    /// The last day the step is on time for `month`: the village by month end, the township
    /// by the 5th of the next month; generating and receiving have no deadline of their own.
    pub fn due(self, month: Period) -> Option<NaiveDate> {
        match self {
            Step::Confirmed => Some(month.last_day()),
            Step::Forwarded => month
                .next_month_first_day()
                .checked_add_days(chrono::Days::new(4)),
            Step::Generated | Step::Received => None,
        }
    }

    /// Whether a step taken at `at` was on time.
    pub fn on_time(self, month: Period, at: DateTime<Utc>) -> bool {
        self.due(month).is_none_or(|d| local_date(at) <= d)
    }
}

/// A step taken for a village's monthly ledger: which, when and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerStep {
    pub village_id: VillageId,
    /// The month the ledger is of.
    pub month: Period,
    pub step: Step,
    pub at: DateTime<Utc>,
    pub by: PersonId,
}
