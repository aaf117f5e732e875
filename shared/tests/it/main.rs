//! The domain's integration tests, in one binary: the rules table, the plausibility checks,
//! the device-log order checks, the record kinds, spot-check findings and the properties of the evaluator.

mod common;

mod day_facts;
mod findings;
mod leave;
mod log_order;
mod note_kind;
mod on_site;
mod plausibility;
mod properties;
mod rules;
