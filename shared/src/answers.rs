//! The verdicts' answer on one household visit: counted, or not counted and why. The phone
//! shows it under each visit after a sync; the console shows it beside each visit of a
//! person-month. Both read it here, from the same reports.

use crate::ids::{PersonId, RecordId};
use crate::verdict::{EvidenceKind, PersonReport, RejectReason};

/// The verdicts' answer on one visit (on the phone, the server's as of the last sync).
#[derive(Clone, Debug, PartialEq)]
pub enum ServerAnswer {
    /// 计入: some verdict counted it as a household visit.
    Counted,
    /// 不计入: no verdict counted it, and one rejected it for this reason.
    NotCounted {
        reason: RejectReason,
        detail: String,
    },
}

/// Whether a reason is about the visit itself (a stay's rejection also names the visits made
/// during it, but says nothing of them).
fn about_the_visit(reason: RejectReason) -> bool {
    use RejectReason as R;
    matches!(
        reason,
        R::NotCheckedOut
            | R::VisitTooShort
            | R::NoFix
            | R::TooFarFromHousehold
            | R::NoPhotoDuringVisit
            | R::PhotoReused
            | R::PhotoNotReceived
            | R::UnknownHousehold
            | R::NotPaired
            | R::Retracted
            | R::ClockUntrusted
            | R::MockLocation
            | R::FoundFalse
    )
}

/// The server's answer on the visit checked in with `check_in`, from `person`'s newest
/// report of each period: the records a verdict's evidence and rejections name link them.
pub fn server_answer(
    reports: &[PersonReport],
    person: PersonId,
    check_in: RecordId,
) -> Option<ServerAnswer> {
    let mut newest: Vec<&PersonReport> = Vec::new();
    for r in reports.iter().filter(|r| r.person_id == person) {
        match newest.iter_mut().find(|n| n.period == r.period) {
            Some(n) if n.evaluated_at < r.evaluated_at => *n = r,
            Some(_) => {}
            None => newest.push(r),
        }
    }
    let parts = || {
        newest
            .iter()
            .flat_map(|r| r.verdicts.iter())
            .flat_map(|v| v.parts.iter())
    };
    let counted = parts()
        .flat_map(|p| p.evidence.iter())
        .any(|e| e.kind == EvidenceKind::HouseholdVisit && e.records.contains(&check_in));
    if counted {
        return Some(ServerAnswer::Counted);
    }
    parts()
        .flat_map(|p| p.rejected.iter())
        .find(|r| about_the_visit(r.reason) && r.records.contains(&check_in))
        .map(|r| ServerAnswer::NotCounted {
            reason: r.reason,
            detail: r.detail.clone(),
        })
}
