//! The server's integration tests, in one binary (one link step instead of one per file):
//! each module exercises the real server over HTTP on loopback, or its store, on SQLite and,
//! when `ZHUCUN_TEST_PG_URL` is set, PostgreSQL.

mod common;

mod attachments;
mod audit;
mod auth;
mod back_filled;
mod bad_input;
#[cfg(feature = "demo")]
mod browser;
mod cli;
mod connections;
mod console;
mod console_admin;
mod day_facts;
#[cfg(feature = "demo")]
mod demo;
mod evaluation;
mod file_access;
mod findings;
mod import;
mod jurisdiction;
mod kept_verdicts;
mod leave;
mod ledger_households;
mod ledger_policy;
mod ledger_rules;
#[cfg(feature = "demo")]
mod ledgers;
mod month_close;
mod old_databases;
mod openapi;
mod photos;
mod policy;
mod reports;
mod spot_checks;
mod store_story;
mod support_units;
mod sync;
mod team;
mod team_events;
mod verdict_history;
