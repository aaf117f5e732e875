//! The migrations of each backend, compiled into the binary from `server/migrations/<backend>/`.
//! Built by hand rather than with `sqlx::migrate!`, which would pull sqlx's macro crates (and a
//! second SQLite build) into the build for two lists of files. Checksums are computed as
//! `migrate!` computes them, so either way of applying them agrees with the other.
//! A released migration is never edited: add a new file and a line here.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

type Files = &'static [(i64, &'static str, &'static str)];

const SQLITE: Files = &[
    (
        20261101000000,
        "initial",
        include_str!("../../migrations/sqlite/20261101000000_initial.sql"),
    ),
    (
        20261201000000,
        "record files",
        include_str!("../../migrations/sqlite/20261201000000_record_files.sql"),
    ),
    (
        20261202000000,
        "file uploaders",
        include_str!("../../migrations/sqlite/20261202000000_file_uploaders.sql"),
    ),
    (
        20261203000000,
        "accounts",
        include_str!("../../migrations/sqlite/20261203000000_accounts.sql"),
    ),
    (
        20261204000000,
        "kept verdicts",
        include_str!("../../migrations/sqlite/20261204000000_kept_verdicts.sql"),
    ),
    (
        20261205000000,
        "files",
        include_str!("../../migrations/sqlite/20261205000000_files.sql"),
    ),
    (
        20261206000000,
        "audit log",
        include_str!("../../migrations/sqlite/20261206000000_audit_log.sql"),
    ),
    (
        20261207000000,
        "household positions",
        include_str!("../../migrations/sqlite/20261207000000_household_positions.sql"),
    ),
    (
        20261208000000,
        "month close",
        include_str!("../../migrations/sqlite/20261208000000_month_close.sql"),
    ),
    (
        20261209000000,
        "policy versions",
        include_str!("../../migrations/sqlite/20261209000000_policy_versions.sql"),
    ),
    (
        20261210000000,
        "ledger submissions",
        include_str!("../../migrations/sqlite/20261210000000_ledger_submissions.sql"),
    ),
    (
        20261211000000,
        "day facts",
        include_str!("../../migrations/sqlite/20261211000000_day_facts.sql"),
    ),
    (
        20261212000000,
        "verdict history",
        include_str!("../../migrations/sqlite/20261212000000_verdict_history.sql"),
    ),
    (
        20261213000000,
        "support units",
        include_str!("../../migrations/sqlite/20261213000000_support_units.sql"),
    ),
    (
        20261213000001,
        "ledger generated",
        include_str!("../../migrations/sqlite/20261213000001_ledger_generated.sql"),
    ),
    (
        20261220000000,
        "household groups",
        include_str!("../../migrations/sqlite/20261220000000_household_groups.sql"),
    ),
    (
        20261230000000,
        "history marks",
        include_str!("../../migrations/sqlite/20261230000000_history_marks.sql"),
    ),
    (
        20261231000000,
        "records by kind",
        include_str!("../../migrations/sqlite/20261231000000_records_by_kind.sql"),
    ),
    (
        20270101000000,
        "day facts claims",
        include_str!("../../migrations/sqlite/20270101000000_day_facts_claims.sql"),
    ),
    (
        20270102000000,
        "township org versions",
        include_str!("../../migrations/sqlite/20270102000000_township_org_versions.sql"),
    ),
];

const POSTGRES: Files = &[
    (
        20261101000000,
        "initial",
        include_str!("../../migrations/postgres/20261101000000_initial.sql"),
    ),
    (
        20261201000000,
        "record files",
        include_str!("../../migrations/postgres/20261201000000_record_files.sql"),
    ),
    (
        20261202000000,
        "file uploaders",
        include_str!("../../migrations/postgres/20261202000000_file_uploaders.sql"),
    ),
    (
        20261203000000,
        "accounts",
        include_str!("../../migrations/postgres/20261203000000_accounts.sql"),
    ),
    (
        20261204000000,
        "kept verdicts",
        include_str!("../../migrations/postgres/20261204000000_kept_verdicts.sql"),
    ),
    (
        20261205000000,
        "files",
        include_str!("../../migrations/postgres/20261205000000_files.sql"),
    ),
    (
        20261206000000,
        "audit log",
        include_str!("../../migrations/postgres/20261206000000_audit_log.sql"),
    ),
    (
        20261207000000,
        "household positions",
        include_str!("../../migrations/postgres/20261207000000_household_positions.sql"),
    ),
    (
        20261208000000,
        "month close",
        include_str!("../../migrations/postgres/20261208000000_month_close.sql"),
    ),
    (
        20261209000000,
        "policy versions",
        include_str!("../../migrations/postgres/20261209000000_policy_versions.sql"),
    ),
    (
        20261210000000,
        "ledger submissions",
        include_str!("../../migrations/postgres/20261210000000_ledger_submissions.sql"),
    ),
    (
        20261211000000,
        "day facts",
        include_str!("../../migrations/postgres/20261211000000_day_facts.sql"),
    ),
    (
        20261212000000,
        "verdict history",
        include_str!("../../migrations/postgres/20261212000000_verdict_history.sql"),
    ),
    (
        20261213000000,
        "support units",
        include_str!("../../migrations/postgres/20261213000000_support_units.sql"),
    ),
    (
        20261213000001,
        "ledger generated",
        include_str!("../../migrations/postgres/20261213000001_ledger_generated.sql"),
    ),
    (
        20261220000000,
        "household groups",
        include_str!("../../migrations/postgres/20261220000000_household_groups.sql"),
    ),
    (
        20261230000000,
        "history marks",
        include_str!("../../migrations/postgres/20261230000000_history_marks.sql"),
    ),
    (
        20261231000000,
        "records by kind",
        include_str!("../../migrations/postgres/20261231000000_records_by_kind.sql"),
    ),
    (
        20270101000000,
        "day facts claims",
        include_str!("../../migrations/postgres/20270101000000_day_facts_claims.sql"),
    ),
    (
        20270102000000,
        "township org versions",
        include_str!("../../migrations/postgres/20270102000000_township_org_versions.sql"),
    ),
];

fn migrator(files: Files) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            files
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect(),
        ),
        ..Migrator::DEFAULT
    }
}

pub(super) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub(super) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_file_is_listed() {
        for (dir, files) in [("sqlite", super::SQLITE), ("postgres", super::POSTGRES)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let on_disk = std::fs::read_dir(path).unwrap().count();
            assert_eq!(
                on_disk,
                files.len(),
                "migrations/{dir} has files not listed in migrations.rs"
            );
        }
    }
}
