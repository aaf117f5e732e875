//! This month's progress on every rule that applies to me, computed on the phone with the
//! shared evaluator from my own records, shown as provisional next to the server's verdict
//! (which also sees my team's records and the photo checks).

use crate::store::Reference;
use chrono::{DateTime, Utc};
use zhucun_shared::ids::PersonId;
use zhucun_shared::period::{local_date, Period, PeriodKind};
use zhucun_shared::plausibility::{DeviceLogs, PhotoFiles};
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{Status, Verdict};
use zhucun_shared::{evaluate, EvalContext};

/// One rule's line on the progress screen.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressRow {
    pub rule_id: String,
    pub seed_ref: String,
    pub title_zh: String,
    /// The phone's own estimate (always provisional).
    pub local: Option<Verdict>,
    /// The server's verdict, as of the last sync.
    pub server: Option<Verdict>,
}

impl ProgressRow {
    /// The status to show first: the server's when there is one.
    pub fn headline(&self) -> Option<Status> {
        self.server
            .as_ref()
            .or(self.local.as_ref())
            .map(|v| v.status)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub month: Period,
    pub computed_at: DateTime<Utc>,
    pub server_evaluated_at: Option<DateTime<Utc>>,
    pub rows: Vec<ProgressRow>,
}

/// The roles `person` holds at any time in `month`.
pub fn roles_in(reference: &Reference, person: PersonId, month: Period) -> Vec<Role> {
    reference
        .org
        .roles_between(person, month.first_day(), month.last_day())
}

/// Progress for the month containing `now`.
pub fn compute(
    reference: &Reference,
    records: &[DeviceRecord],
    person: PersonId,
    now: DateTime<Utc>,
) -> Progress {
    let month = Period::containing(PeriodKind::Month, local_date(now))
        .expect("a month always contains a date");
    compute_month(reference, records, person, month, now)
}

/// Progress for `month` as of `now` (a past month: as it stands now).
pub fn compute_month(
    reference: &Reference,
    records: &[DeviceRecord],
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
) -> Progress {
    let ctx = EvalContext {
        person,
        earlier: &[],
        org: &reference.org,
        records,
        calendar: &reference.calendar,
        catalogue: &reference.catalogue,
        photo_files: PhotoFiles::Unchecked,
        // The phone knows neither its enrolment time nor when the server received its records.
        device_logs: DeviceLogs::PHONE,
        // The server sends only findings in force from checkers with jurisdiction.
        findings: &reference.findings,
        // The submission-chain steps of my villages' monthly ledgers, as last pulled.
        ledger_steps: &reference.ledger_steps,
        // Day facts are the server's: the phone evaluates from its records.
        history: None,
    };
    let mut local = evaluate(&ctx, month, now);
    for v in &mut local.verdicts {
        // The phone sees only its own records and no photo checks.
        v.provisional = true;
    }
    let server = reference
        .verdicts
        .iter()
        .filter(|r| r.person_id == person && r.period == month)
        .max_by_key(|r| r.evaluated_at);
    let roles = roles_in(reference, person, month);
    let mut rows = Vec::new();
    for rule in &reference.catalogue.rules {
        let local_v = local.verdict(&rule.id).cloned();
        let server_v = server.and_then(|s| s.verdict(&rule.id)).cloned();
        let applies = rule.applies_to.iter().any(|r| roles.contains(r));
        let not_applicable =
            |v: &Option<Verdict>| v.as_ref().is_none_or(|v| v.status == Status::NotApplicable);
        if !applies && not_applicable(&local_v) && not_applicable(&server_v) {
            continue;
        }
        rows.push(ProgressRow {
            rule_id: rule.id.clone(),
            seed_ref: rule.seed_ref.clone(),
            title_zh: rule.title_zh.clone(),
            local: local_v,
            server: server_v,
        });
    }
    Progress {
        month,
        computed_at: now,
        server_evaluated_at: server.map(|s| s.evaluated_at),
        rows,
    }
}

pub use zhucun_shared::answers::{server_answer, ServerAnswer};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use zhucun_shared::ids::{AssignmentId, HouseholdId, PairingId, TownshipId, VillageId};
    use zhucun_shared::org::{Assignment, Directory, Pairing, Person};

    /// A pairing alone makes no pairing cadre, on the phone as on the server: a person
    /// imported with pairings but no pairing_cadre posting has no R-242 row (R-35 is theirs
    /// as a resident member).
    #[test]
    fn a_pairing_without_the_posting_brings_no_pairing_rules() {
        let (t, v) = (TownshipId::new(), VillageId::new());
        let me = Person {
            id: PersonId::new(),
            name: "张一".into(),
            township_id: t,
            unit_id: None,
        };
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let reference = Reference {
            me: Some(me.clone()),
            org: Directory {
                people: vec![me.clone()],
                assignments: vec![Assignment {
                    id: AssignmentId::new(),
                    person_id: me.id,
                    role: Role::ResidentMember,
                    village_id: Some(v),
                    township_id: t,
                    starts_on: start,
                    ends_on: None,
                }],
                pairings: vec![Pairing {
                    id: PairingId::new(),
                    person_id: me.id,
                    household_id: HouseholdId::new(),
                    starts_on: start,
                    ends_on: None,
                }],
                ..Directory::default()
            },
            ..Reference::default()
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 4, 0, 0).unwrap();
        let progress = compute(&reference, &[], me.id, now);
        let ids: Vec<&str> = progress.rows.iter().map(|r| r.rule_id.as_str()).collect();
        assert!(!ids.is_empty());
        assert!(!ids.contains(&"R-242"), "{ids:?}");
        assert!(!roles_in(&reference, me.id, progress.month).contains(&Role::PairingCadre));
    }
}
