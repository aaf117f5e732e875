//! The SQL both backends run, one file per area, as ordinary functions over the backend's pool.
//!
//! The same files are compiled twice: `sqlite.rs` and `postgres.rs` each declare this module
//! (`#[path = "queries/mod.rs"]`) after naming their database `Db` and their store `Backend`, so
//! every statement is written once and checked against both drivers. Reads take the `read`
//! pool, writes the `write` pool (SQLite's single writer); a function that needs a transaction
//! opens it on `write` itself.
//!
//! Why not generic functions over `sqlx::Database`: running a query generically needs some dozen
//! bounds (`for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>`,
//! `for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>`, `&str: ColumnIndex<DB::Row>`, and
//! `Type + Encode + Decode` for each of `String`, `&str`, `i64`, `f64`, `bool`, the chrono types
//! and every `Json<T>`). Rust does not carry a trait's where-clauses to its users
//! (rust-lang/rust#20671), so a `trait SqlDb` alias would not spare repeating them on every
//! function; compiling plain functions once per backend does.

use super::{Backend, Db};
use crate::store::{
    AuditEntry, AuditScope, ClosedMonth, DeviceRow, FileRow, IncomingRecord, KeptVerdict,
    LedgerStepRow, NewAuditEntry, Org, PolicyVersionRow, PushOutcome, QueuedDay, QueuedMonth,
    SessionRow, Store, StoreResult, ThrottleRow, UserRow, VerdictVersion,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use zhucun_shared::day_facts::DayFacts;
use zhucun_shared::ids::{DeviceId, HouseholdId, PersonId, RecordId, TownshipId, VillageId};
use zhucun_shared::org::{Assignment, Device, Household, Person, Township, Village};
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::DeviceRecord;

mod accounts;
mod audit;
mod day_facts;
mod files;
mod ledgers;
mod org;
mod policy;
mod records;
mod sessions;
mod settings;
mod sync;
mod verdicts;

/// A row as the backend's driver returns it.
type DbRow = <Db as sqlx::Database>::Row;

/// Each method hands the pool it needs to its area's function.
impl Store for Backend {
    async fn put_org(&self, org: &Org) -> StoreResult<()> {
        org::put_org(&self.write, org).await
    }

    async fn township_org(&self, id: TownshipId) -> StoreResult<Org> {
        org::township_org(&self.read, id).await
    }

    async fn townships(&self) -> StoreResult<Vec<Township>> {
        org::townships(&self.read).await
    }

    async fn org_versions(&self) -> StoreResult<BTreeMap<TownshipId, i64>> {
        org::org_versions(&self.read).await
    }

    async fn village_by_name(&self, t: TownshipId, name: &str) -> StoreResult<Option<Village>> {
        org::village_by_name(&self.read, t, name).await
    }

    async fn person(&self, id: PersonId) -> StoreResult<Option<Person>> {
        org::person(&self.read, id).await
    }

    async fn household(&self, id: HouseholdId) -> StoreResult<Option<Household>> {
        org::household(&self.read, id).await
    }

    async fn assignments_of(&self, p: PersonId) -> StoreResult<Vec<Assignment>> {
        org::assignments_of(&self.read, p).await
    }

    async fn create_user(&self, u: &UserRow) -> StoreResult<()> {
        accounts::create_user(&self.write, u).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRow>> {
        accounts::user_by_username(&self.read, username).await
    }

    async fn set_password(&self, username: &str, hash: &str) -> StoreResult<bool> {
        accounts::set_password(&self.write, username, hash).await
    }

    async fn set_disabled(&self, username: &str, disabled: bool) -> StoreResult<bool> {
        accounts::set_disabled(&self.write, username, disabled).await
    }

    async fn update_password_hash(&self, p: PersonId, old: &str, new: &str) -> StoreResult<()> {
        accounts::update_password_hash(&self.write, p, old, new).await
    }

    async fn fill_username_keys(&self) -> StoreResult<Vec<String>> {
        accounts::fill_username_keys(&self.write).await
    }

    async fn create_session(&self, token_hash: &str, s: &SessionRow) -> StoreResult<()> {
        sessions::create_session(&self.write, token_hash, s).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>> {
        sessions::session(&self.read, token_hash, now).await
    }

    async fn renew_session(
        &self,
        id: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sessions::renew_session(&self.write, id, at, expires_at).await
    }

    async fn sessions_of(&self, p: PersonId, now: DateTime<Utc>) -> StoreResult<Vec<SessionRow>> {
        sessions::sessions_of(&self.read, p, now).await
    }

    async fn end_session(&self, p: PersonId, id: &str) -> StoreResult<bool> {
        sessions::end_session(&self.write, p, id).await
    }

    async fn revoke_device(
        &self,
        p: PersonId,
        id: DeviceId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        accounts::revoke_device(&self.write, p, id, at).await
    }

    async fn throttle_step(
        &self,
        key: &str,
        step: impl FnOnce(Option<ThrottleRow>) -> Result<ThrottleRow, u64> + Send,
    ) -> StoreResult<Result<ThrottleRow, u64>> {
        sessions::throttle_step(&self.write, key, step).await
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        sessions::throttle_clear(&self.write, key).await
    }

    async fn throttle_prune(&self, before: i64, keep: u64) -> StoreResult<()> {
        sessions::throttle_prune(&self.write, before, keep).await
    }

    async fn enroll_device(&self, d: &Device) -> StoreResult<()> {
        accounts::enroll_device(&self.write, d).await
    }

    async fn device(&self, id: DeviceId) -> StoreResult<Option<DeviceRow>> {
        accounts::device(&self.read, id).await
    }

    async fn devices_of(&self, p: PersonId) -> StoreResult<Vec<DeviceRow>> {
        accounts::devices_of(&self.read, p).await
    }

    async fn push_records(
        &self,
        device_id: DeviceId,
        records: &[IncomingRecord],
    ) -> StoreResult<PushOutcome> {
        sync::push_records(&self.write, device_id, records).await
    }

    async fn mark_dirty(&self, marks: &[(PersonId, String)]) -> StoreResult<()> {
        verdicts::mark_dirty(&self.write, marks).await
    }

    async fn dirty(&self, limit: u32) -> StoreResult<Vec<QueuedMonth>> {
        verdicts::dirty(&self.read, limit).await
    }

    async fn claim_dirty(
        &self,
        limit: u32,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<QueuedMonth>> {
        verdicts::claim_dirty(&self.write, limit, claimant, now, until).await
    }

    async fn renew_claims(
        &self,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        verdicts::renew_claims(&self.write, claimant, now, until).await
    }

    async fn settle(&self, q: &QueuedMonth) -> StoreResult<()> {
        verdicts::settle(&self.write, q).await
    }

    async fn verdict_as_of(
        &self,
        p: PersonId,
        month: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<VerdictVersion>> {
        verdicts::verdict_as_of(&self.read, p, month, at).await
    }

    async fn verdict_versions(&self, p: PersonId, month: &str) -> StoreResult<Vec<VerdictVersion>> {
        verdicts::verdict_versions(&self.read, p, month).await
    }

    async fn pending(&self, month: &str, people: &[PersonId]) -> StoreResult<bool> {
        verdicts::pending(&self.read, month, people).await
    }

    async fn history_marks(&self, people: &[PersonId]) -> StoreResult<HashMap<PersonId, String>> {
        verdicts::history_marks(&self.read, people).await
    }

    async fn queued_people(&self, month: &str) -> StoreResult<BTreeSet<PersonId>> {
        verdicts::queued_people(&self.read, month).await
    }

    async fn kept_verdict(&self, p: PersonId, month: &str) -> StoreResult<Option<KeptVerdict>> {
        verdicts::kept_verdict(&self.read, p, month).await
    }

    async fn kept_verdicts(
        &self,
        month: &str,
        people: &[PersonId],
    ) -> StoreResult<HashMap<PersonId, KeptVerdict>> {
        verdicts::kept_verdicts(&self.read, month, people).await
    }

    async fn keep_verdict(&self, p: PersonId, month: &str, k: &KeptVerdict) -> StoreResult<()> {
        verdicts::keep_verdict(&self.write, p, month, k).await
    }

    async fn replace_kept_verdict(
        &self,
        p: PersonId,
        month: &str,
        k: &KeptVerdict,
        was: DateTime<Utc>,
    ) -> StoreResult<bool> {
        verdicts::replace_kept_verdict(&self.write, p, month, k, was).await
    }

    async fn recorded_months(&self) -> StoreResult<Vec<(PersonId, String)>> {
        verdicts::recorded_months(&self.read).await
    }

    async fn clear_kept_verdicts(&self) -> StoreResult<()> {
        verdicts::clear_kept_verdicts(&self.write).await
    }

    async fn closed_month(&self, month: &str) -> StoreResult<Option<ClosedMonth>> {
        ledgers::closed_month(&self.read, month).await
    }

    async fn close_month(&self, c: &ClosedMonth) -> StoreResult<bool> {
        ledgers::close_month(&self.write, c).await
    }

    async fn put_ledger_step(
        &self,
        l: &LedgerStepRow,
        marks: &[(PersonId, String)],
    ) -> StoreResult<bool> {
        ledgers::put_ledger_step(&self.write, l, marks).await
    }

    async fn ledger_steps(
        &self,
        village: VillageId,
        month: &str,
    ) -> StoreResult<Vec<LedgerStepRow>> {
        ledgers::ledger_steps(&self.read, village, month).await
    }

    async fn last_closed_month(&self) -> StoreResult<Option<String>> {
        ledgers::last_closed_month(&self.read).await
    }

    async fn add_policy_version(&self, v: &PolicyVersionRow) -> StoreResult<i64> {
        policy::add_policy_version(&self.write, v).await
    }

    async fn last_policy_version(&self) -> StoreResult<i64> {
        policy::last_policy_version(&self.read).await
    }

    async fn policy_versions(&self, policy: &str) -> StoreResult<Vec<PolicyVersionRow>> {
        policy::policy_versions(&self.read, policy).await
    }

    async fn records_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        records::records_of(&self.read, p, from, to).await
    }

    async fn record_authors(
        &self,
        ids: &[RecordId],
    ) -> StoreResult<HashMap<RecordId, (PersonId, DateTime<Utc>)>> {
        records::record_authors(&self.read, ids).await
    }

    async fn fix_records_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        records::fix_records_of(&self.read, p, from, to).await
    }

    async fn records_except_fixes_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        records::records_except_fixes_of(&self.read, p, from, to).await
    }

    async fn retractions_of(&self, p: PersonId) -> StoreResult<Vec<DeviceRecord>> {
        records::retractions_of(&self.read, p).await
    }

    async fn dirty_days(&self, limit: u32) -> StoreResult<Vec<QueuedDay>> {
        day_facts::dirty_days(&self.write, limit).await
    }

    async fn claim_days(
        &self,
        limit: u32,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<QueuedDay>> {
        day_facts::claim_days(&self.write, limit, claimant, now, until).await
    }

    async fn renew_day_claims(
        &self,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        day_facts::renew_day_claims(&self.write, claimant, now, until).await
    }

    async fn release_days(&self, person: PersonId, claimant: &str) -> StoreResult<()> {
        day_facts::release_days(&self.write, person, claimant).await
    }

    async fn settle_day(&self, q: &QueuedDay) -> StoreResult<()> {
        day_facts::settle_day(&self.write, q).await
    }

    async fn queue_days(&self, days: &[(PersonId, NaiveDate)]) -> StoreResult<()> {
        day_facts::queue_days(&self.write, days).await
    }

    async fn days_pending(&self, people: &[PersonId], before: NaiveDate) -> StoreResult<bool> {
        day_facts::days_pending(&self.write, people, before).await
    }

    async fn day_facts(
        &self,
        p: PersonId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(DayFacts, String)>> {
        day_facts::day_facts(&self.read, p, from, to).await
    }

    async fn last_day_facts(
        &self,
        p: PersonId,
        before: NaiveDate,
    ) -> StoreResult<Option<(DayFacts, String)>> {
        day_facts::last_day_facts(&self.read, p, before).await
    }

    async fn put_day_facts(&self, f: &DayFacts, basis: &str, at: DateTime<Utc>) -> StoreResult<()> {
        day_facts::put_day_facts(&self.write, f, basis, at).await
    }

    async fn clear_day_facts(&self) -> StoreResult<()> {
        day_facts::clear_day_facts(&self.write).await
    }

    async fn notes_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        records::notes_of(&self.read, p, from, to).await
    }

    async fn leave_requests_of(
        &self,
        people: &[PersonId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        records::leave_requests_of(&self.read, people, from, to).await
    }

    async fn put_file(&self, row: &FileRow) -> StoreResult<()> {
        files::put_file(&self.write, row).await
    }

    async fn file(&self, sha256: &str) -> StoreResult<Option<FileRow>> {
        files::file(&self.read, sha256).await
    }

    async fn file_uses(&self, sha256: &str) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
        files::file_uses(&self.read, sha256).await
    }

    async fn photo_facts(&self, shas: &[String]) -> StoreResult<HashMap<String, PhotoFacts>> {
        files::photo_facts(&self.read, shas).await
    }

    async fn add_file_uploader(
        &self,
        sha256: &str,
        person: PersonId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        files::add_file_uploader(&self.write, sha256, person, at).await
    }

    async fn is_file_uploader(&self, sha256: &str, person: PersonId) -> StoreResult<bool> {
        files::is_file_uploader(&self.read, sha256, person).await
    }

    async fn uploaders_file_uses(
        &self,
        sha256: &str,
    ) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
        files::uploaders_file_uses(&self.read, sha256).await
    }

    async fn held_files(
        &self,
        person: PersonId,
        shas: &[String],
    ) -> StoreResult<HashMap<String, bool>> {
        files::held_files(&self.read, person, shas).await
    }

    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<AuditEntry> {
        audit::append_audit(&self.write, e).await
    }

    async fn audit_entries(
        &self,
        since: i64,
        limit: u32,
        scope: Option<&AuditScope>,
    ) -> StoreResult<Vec<AuditEntry>> {
        audit::audit_entries(&self.read, since, limit, scope).await
    }

    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        settings::setting(&self.read, key).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        settings::put_setting(&self.write, key, value).await
    }

    async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}
