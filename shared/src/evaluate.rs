//! The evaluator: (person, month, records, calendar, rules, now) → a report with one verdict
//! per applicable rule. Pure: no clock, no I/O.

use crate::calendar::WorkCalendar;
use crate::catalogue::Catalogue;
use crate::ids::PersonId;
use crate::org::{Assignment, Household, Pairing, Village};
use crate::period::Period;
use crate::plausibility::PhotoFacts;
use crate::record::DeviceRecord;
use crate::verdict::PersonReport;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What the evaluator reads. `records` holds the person's own records and, for village-scoped
/// rules, those of the teams of the person's villages; order and duplicates do not matter.
#[derive(Clone, Copy, Debug)]
pub struct EvalContext<'a> {
    pub person: PersonId,
    pub assignments: &'a [Assignment],
    pub pairings: &'a [Pairing],
    pub villages: &'a [Village],
    pub households: &'a [Household],
    pub records: &'a [DeviceRecord],
    pub calendar: &'a WorkCalendar,
    pub catalogue: &'a Catalogue,
    /// What the server read from photo files (EXIF, perceptual hash), by SHA-256. Empty on
    /// the phone.
    pub photo_facts: &'a HashMap<String, PhotoFacts>,
}

/// Evaluates every applicable rule for `month` (longer periods: those containing it) as of `now`.
pub fn evaluate(ctx: &EvalContext<'_>, month: Period, now: DateTime<Utc>) -> PersonReport {
    PersonReport {
        person_id: ctx.person,
        period: month,
        evaluated_at: now,
        catalogue_version: ctx.catalogue.version.clone(),
        verdicts: Vec::new(),
        flags: Vec::new(),
    }
}
