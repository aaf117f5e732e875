//! The submission chain of a village's 领导挂联工作月台账 (三(二), R-32): the village branch
//! completes and confirms the month's ledger by month end, the township office forwards it to
//! the county by the 5th of the next month, the county office receives it. Each step is taken
//! once, after the one before, by someone who holds the office for it; each is timestamped and
//! written to the audit log. Pure: who may take which step, and when it was due.

use chrono::{DateTime, NaiveDate, Utc};
use zhucun_shared::ids::VillageId;
use zhucun_shared::org::{Access, Assignment};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::role::Role;

/// A step up the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// 村确认: the village's first secretary or team leader confirms the generated ledger.
    Confirmed,
    /// 乡报送: the township office sends it up.
    Forwarded,
    /// 县接收: the county office receives it.
    Received,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Confirmed, Step::Forwarded, Step::Received];

    pub fn code(self) -> &'static str {
        match self {
            Step::Confirmed => "confirmed",
            Step::Forwarded => "forwarded",
            Step::Received => "received",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
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
            Step::Confirmed => None,
            Step::Forwarded => Some(Step::Confirmed),
            Step::Received => Some(Step::Forwarded),
        }
    }

    /// The last day the step is on time for `month`: the village by month end, the township
    /// by the 5th of the next month; receiving has no deadline of its own.
    pub fn due(self, month: Period) -> Option<NaiveDate> {
        match self {
            Step::Confirmed => Some(month.last_day()),
            Step::Forwarded => month
                .next_month_first_day()
                .checked_add_days(chrono::Days::new(4)),
            Step::Received => None,
        }
    }

    /// Whether a step taken at `at` was on time.
    pub fn on_time(self, month: Period, at: DateTime<Utc>) -> bool {
        self.due(month).is_none_or(|d| local_date(at) <= d)
    }
}

/// Whether the person holding `assignments` (with `access`) may take `step` for `village` of
/// `township` on `day`: confirming is the village's first secretary's or team leader's; forwarding
/// the township office's (its supervisors and the county office); receiving the county office's.
pub fn may_take(
    step: Step,
    village: VillageId,
    township: zhucun_shared::ids::TownshipId,
    assignments: &[Assignment],
    access: &Access,
    day: NaiveDate,
) -> bool {
    let holds = |roles: &[Role]| {
        assignments
            .iter()
            .any(|a| roles.contains(&a.role) && a.overlaps(day, day) && a.township_id == township)
    };
    match step {
        Step::Confirmed => assignments.iter().any(|a| {
            a.village_id == Some(village)
                && matches!(a.role, Role::FirstSecretary | Role::TeamLeader)
                && a.overlaps(day, day)
        }),
        Step::Forwarded => {
            access.whole_townships().any(|t| t == township)
                && (holds(&[Role::Supervisor, Role::Admin]) || access.is_admin())
        }
        Step::Received => access.is_admin() && access.whole_townships().any(|t| t == township),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_township_is_due_by_the_fifth_and_the_village_by_month_end() {
        let m = Period::month(2026, 12);
        assert_eq!(
            Step::Confirmed.due(m),
            NaiveDate::from_ymd_opt(2026, 12, 31)
        );
        assert_eq!(Step::Forwarded.due(m), NaiveDate::from_ymd_opt(2027, 1, 5));
        assert_eq!(Step::Received.due(m), None);
        assert_eq!(Step::Received.after(), Some(Step::Forwarded));
        assert_eq!(Step::from_code("forwarded"), Some(Step::Forwarded));
    }
}
