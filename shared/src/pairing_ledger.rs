//! What makes a line of the 结对帮扶台账 (三(五), R-35): every visit of a pairing cadre to one of
//! their paired households in the month is a line, and a line is complete when the visit was
//! checked out, carries a 帮扶记录 (a note) and at least one photo. The server's ledger and the
//! evaluator both ask this module, so the verdict says what the ledger shows. An incomplete line
//! fails R-35; a complete one counts there when its visit counts (the ledger marks the others
//! 不计入).

use crate::ids::PersonId;
use crate::org::Directory;
use crate::period::{local_date, Period};
use crate::verdict::RejectReason;
use crate::visits::HouseholdVisit;

/// What a ledger line lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineGap {
    /// 未签退: no departure time.
    NotCheckedOut,
    /// 无帮扶记录: no note on the visit.
    NoNote,
    /// 无照片
    NoPhoto,
}

impl LineGap {
    pub fn label_zh(self) -> &'static str {
        match self {
            LineGap::NotCheckedOut => "未签退",
            LineGap::NoNote => "无帮扶记录",
            LineGap::NoPhoto => "无照片",
        }
    }

    /// The reason a verdict gives for a line with this gap.
    pub fn reason(self) -> RejectReason {
        match self {
            LineGap::NotCheckedOut => RejectReason::NotCheckedOut,
            LineGap::NoNote => RejectReason::NoNote,
            LineGap::NoPhoto => RejectReason::NoPhotoDuringVisit,
        }
    }
}

/// What the line of `visit` lacks; empty when it is complete.
pub fn line_gaps(visit: &HouseholdVisit) -> Vec<LineGap> {
    let mut gaps = Vec::new();
    if visit.check_out.is_none() || visit.end.is_none() {
        gaps.push(LineGap::NotCheckedOut);
    }
    if visit.notes.is_empty() {
        gaps.push(LineGap::NoNote);
    }
    if visit.photos.is_empty() {
        gaps.push(LineGap::NoPhoto);
    }
    gaps
}

/// The lines of `person`'s ledger for `month`: their visits starting in the month to a
/// household paired with them at some time of the month, in the order given.
pub fn ledger_lines<'a>(
    org: &Directory,
    person: PersonId,
    month: Period,
    visits: impl IntoIterator<Item = &'a HouseholdVisit>,
) -> Vec<&'a HouseholdVisit> {
    let paired = org.paired(person, month.first_day(), month.last_day());
    visits
        .into_iter()
        .filter(|v| {
            v.person_id == person
                && month.contains(local_date(v.start))
                && paired.contains(&v.household_id)
        })
        .collect()
}
