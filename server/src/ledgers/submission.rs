//! The submission chain of a village's 领导挂联工作月台账 (三(二), R-32): the ledger is generated
//! (its content's digest kept), the village branch completes and confirms it by month end, the township office forwards it to
//! the county by the 5th of the next month, the county office receives it. Each step is taken
//! once, after the one before, by someone who holds the office for it; each is timestamped and
//! written to the audit log. Pure: who may take which step, and when it was due.

use crate::store::LedgerStepRow;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use zhucun_shared::catalogue::{Catalogue, Check};
use zhucun_shared::ids::{PersonId, VillageId};
use zhucun_shared::org::{Access, Assignment, Directory};
use zhucun_shared::period::Period;
use zhucun_shared::role::Role;

/// The steps and their deadlines are the shared domain's: the evaluator judges R-32 by them.
pub use zhucun_shared::ledger_chain::{LedgerStep, Step};

/// A stored step as the evaluator reads it; `None` for a row the server cannot read (an
/// unknown step or month).
pub fn ledger_step(row: &LedgerStepRow) -> Option<LedgerStep> {
    Some(LedgerStep {
        village_id: row.village_id,
        month: row.month.parse().ok()?,
        step: Step::from_code(&row.step)?,
        at: row.at,
        by: row.person_id,
    })
}

/// The people whose verdicts for `month` follow `village`'s chain: those posted to the village
/// in the month in a role a chain rule of `catalogue` applies to.
pub fn judged_by_chain(
    org: &Directory,
    catalogue: &Catalogue,
    village: VillageId,
    month: Period,
) -> BTreeSet<PersonId> {
    let roles: BTreeSet<Role> = catalogue
        .rules
        .iter()
        .filter(|r| matches!(r.check, Check::LedgerChain))
        .flat_map(|r| r.applies_to.iter().copied())
        .collect();
    org.assignments
        .iter()
        .filter(|a| {
            a.village_id == Some(village)
                && roles.contains(&a.role)
                && a.overlaps(month.first_day(), month.last_day())
        })
        .map(|a| a.person_id)
        .collect()
}

/// Whether the person holding `assignments` (with `access`) may take `step` for `village` of
/// `township` on `day`: generating is for those who confirm or forward; confirming is the
/// village's first secretary's or team leader's; forwarding
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
        // Generating is for whoever confirms or forwards it.
        Step::Generated => [Step::Confirmed, Step::Forwarded]
            .into_iter()
            .any(|s| may_take(s, village, township, assignments, access, day)),
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
        assert_eq!(Step::Confirmed.after(), Some(Step::Generated));
        assert_eq!(Step::Generated.due(m), None);
        assert_eq!(Step::from_code("forwarded"), Some(Step::Forwarded));
    }
}
