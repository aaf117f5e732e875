//! Storage. One [`Store`] trait, implemented on SQLite ([`sqlite`], the default: a file under the
//! data directory) and on PostgreSQL ([`postgres`]); the database URL picks one at start-up.
//! Both run the same SQL text (see [`sql`]) against their own schema and migrations.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use zhucun_shared::day_facts::DayFacts;
use zhucun_shared::ids::*;
use zhucun_shared::org::{Assignment, Device, Household, Person, Township, Village};
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::sync::Conflict;

mod migrations;
pub mod postgres;
pub(crate) mod sql;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A uniqueness rule was broken (a username taken, a village name twice in a township).
    #[error("already exists: {0}")]
    Duplicate(String),
    /// A reference to something that is not there (a device never enrolled, a village unknown).
    #[error("not found: {0}")]
    Missing(String),
    /// A stored value that cannot be read back: a bug or a hand-edited database.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error("database URL `{0}` names neither sqlite: nor postgres:")]
    UnknownScheme(String),
}

/// The organisation of one or more townships, as stored or as imported in one go: the shared
/// [`Directory`](zhucun_shared::org::Directory), with its queries.
pub type Org = zhucun_shared::org::Directory;

/// A login account of a person.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    pub person_id: PersonId,
    pub username: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("person_id", &self.person_id)
            .field("username", &self.username)
            .field("password_hash", &"<hidden>")
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// An enrolled device and how much of its log is held.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceRow {
    pub device: Device,
    pub contiguous_seq: u64,
    /// When its owner withdrew it (a lost phone); it pushes nothing more.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A signed-in session. Its token is known only by its hash; `id` names it for listing and
/// revoking.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub person_id: PersonId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What the client said it was (its User-Agent), shortened.
    pub client: Option<String>,
}

/// A verdict kept for a person and month, with what it was computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptVerdict {
    pub report: zhucun_shared::verdict::PersonReport,
    pub evaluated_at: DateTime<Utc>,
    /// The versions of rules, calendar and organisation it was computed with.
    pub basis: String,
}

/// A month closed (月结): from `closed_at` its kept verdicts are final.
#[derive(Clone, Debug, PartialEq)]
pub struct ClosedMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub closed_at: DateTime<Utc>,
    /// The last day records were awaited.
    pub grace_date: chrono::NaiveDate,
    /// The rules and calendar the month was evaluated with (JSON).
    pub policy: String,
}

/// A step of a village's monthly ledger up the submission chain (see
/// [`crate::ledgers::submission`]).
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerStepRow {
    pub village_id: VillageId,
    /// `YYYY-MM`.
    pub month: String,
    /// `confirmed`, `forwarded` or `received`.
    pub step: String,
    pub person_id: PersonId,
    pub at: DateTime<Utc>,
    pub remarks: String,
}

/// A version of the rules or the calendar, in force from its day.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyVersionRow {
    /// Given by the store, rising.
    pub id: i64,
    /// `rules` or `calendar`.
    pub policy: String,
    pub effective_from: chrono::NaiveDate,
    pub body: String,
    pub sha256: String,
    pub set_at: DateTime<Utc>,
}

/// A person-month waiting to be re-evaluated; `mark` tells one marking from the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMonth {
    pub person_id: PersonId,
    /// `YYYY-MM`.
    pub month: String,
    pub mark: String,
    /// The worker holding it ([`Store::claim_dirty`]), if any.
    pub claimed_by: Option<String>,
}

/// A person-day whose day facts are to be folded again; `mark` tells one marking from the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedDay {
    pub person_id: PersonId,
    pub day: NaiveDate,
    pub mark: String,
}

/// A version of a person-month's kept verdict, current from `since` until the next version.
#[derive(Clone, Debug, PartialEq)]
pub struct VerdictVersion {
    pub report: zhucun_shared::verdict::PersonReport,
    pub since: DateTime<Utc>,
}

/// Whether a record of `kind` captured at `captured` and received at `received` renews its
/// author's history mark: any but a fix (day facts stand for those) captured before the China
/// month it arrives in (or, in a month's last day, the next). What an evaluation keeps of the
/// records before its raw days (`evaluation_memory`) lies before the first day of the month
/// it ran in, so before the month any later record arrives in.
pub fn renews_history(kind: &str, captured: DateTime<Utc>, received: DateTime<Utc>) -> bool {
    kind != "fix" && captured < zhucun_shared::period::day_start(history_month(received))
}

/// Whether writing a person's day facts of `day` at `at` renews their history mark: a day
/// before the China month of `at` (or, in a month's last day, the next). What an evaluation
/// keeps of the day facts before its raw days lies before the first day of the month it ran
/// in ([`crate::evaluation_memory::FactsHistory`]).
pub fn renews_history_day(day: NaiveDate, at: DateTime<Utc>) -> bool {
    day < history_month(at)
}

/// The first day of the month whose earlier days kept history stands for, for a write at
/// `at`: a day's margin, since a write stamped on a month's last evening may commit after
/// midnight.
fn history_month(at: DateTime<Utc>) -> NaiveDate {
    use chrono::Datelike;
    let day = zhucun_shared::period::local_date(at + chrono::Duration::days(1));
    day.with_day(1).expect("every month has a first day")
}

/// The months, `YYYY-MM` in China time, from the one containing `from` to the one containing
/// `to` (at most 36): what a record captured at `from` and received at `to` may change —
/// its own month and, through year-to-date and posting-long rules, the months after it.
pub fn months_touched(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    use chrono::Datelike;
    let (a, b) = (
        zhucun_shared::period::local_date(from),
        zhucun_shared::period::local_date(to.max(from)),
    );
    let (mut y, mut m) = (a.year(), a.month());
    let mut out = Vec::new();
    while (y, m) <= (b.year(), b.month()) && out.len() < 36 {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The months (`YYYY-MM`) a record's own dates fall in, whose verdicts it changes besides
/// those of its capture: the days a leave request covers (and so its decisions), a 四必到
/// event's day and an activity's day (entered days later, perhaps in the next month); none
/// for other records.
pub fn leave_months(body: &zhucun_shared::record::RecordBody) -> Vec<String> {
    use zhucun_shared::period::day_start;
    use zhucun_shared::record::RecordBody;
    match body {
        RecordBody::LeaveRequest { from, to, .. } => {
            months_touched(day_start(*from), day_start(*to))
        }
        RecordBody::VillageEvent { occurred_at, .. } => months_touched(*occurred_at, *occurred_at),
        RecordBody::Activity { held_on, .. } => {
            months_touched(day_start(*held_on), day_start(*held_on))
        }
        _ => Vec::new(),
    }
}

/// Failed logins of one (username, address) key. Times in seconds since 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRow {
    pub failures: u32,
    pub last_at: i64,
    pub next_at: i64,
}

/// A record ready to store: stamped with the server's receipt, with the hash of its content.
#[derive(Clone, Debug, PartialEq)]
pub struct IncomingRecord {
    pub record: DeviceRecord,
    /// SHA-256 (hex) of the record as the phone wrote it (without the receipt): two sends of
    /// the same record have the same hash, a different record under the same seq does not.
    pub content_hash: String,
}

/// What one push did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushOutcome {
    pub stored: u32,
    pub duplicates: u32,
    pub conflicts: Vec<Conflict>,
}

/// A stored file's metadata: a photo, or a report's attached document (format `pdf`, `docx`,
/// `xlsx`, `pptx` or `ole`; width and height 0, no facts). The content lives in the object store
/// under its SHA-256.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRow {
    pub sha256: String,
    pub bytes: u64,
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub facts: PhotoFacts,
    pub uploaded_by: PersonId,
    pub uploaded_at: DateTime<Utc>,
}

/// An audit entry before it is chained ([`crate::audit`]): ids as text and the detail as the
/// JSON text that is hashed, so that what is read back is exactly what was hashed.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub township: Option<String>,
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

/// An entry of the audit log, chained to the one before.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub entry: NewAuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The audit entries a reader may see: those of `townships`, and the server-wide ones (no
/// township) when `unscoped`.
#[derive(Clone, Debug, Default)]
pub struct AuditScope {
    pub townships: Vec<TownshipId>,
    pub unscoped: bool,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the server keeps in its database.
pub trait Store: Send + Sync + 'static {
    /// Inserts or replaces (by id) everything in `org`, in one transaction: all of it or none.
    fn put_org(&self, org: &Org) -> impl Future<Output = StoreResult<()>> + Send;
    /// One township's organisation.
    fn township_org(&self, id: TownshipId) -> impl Future<Output = StoreResult<Org>> + Send;
    fn townships(&self) -> impl Future<Output = StoreResult<Vec<Township>>> + Send;
    /// Each township's organisation version: raised by every change to its postings, pairings,
    /// people, villages or households (see [`crate::verdicts`]).
    fn org_versions(&self) -> impl Future<Output = StoreResult<BTreeMap<TownshipId, i64>>> + Send;
    fn village_by_name(
        &self,
        township: TownshipId,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<Village>>> + Send;
    fn person(&self, id: PersonId) -> impl Future<Output = StoreResult<Option<Person>>> + Send;
    fn household(
        &self,
        id: HouseholdId,
    ) -> impl Future<Output = StoreResult<Option<Household>>> + Send;
    fn assignments_of(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Vec<Assignment>>> + Send;

    /// Fails with [`StoreError::Duplicate`] when the username, or another that has the same
    /// key ([`crate::accounts::username_key`]), is taken. Users are found by that key.
    fn create_user(&self, user: &UserRow) -> impl Future<Output = StoreResult<()>> + Send;
    /// Gives the users stored before keys existed their key; answers the usernames that could
    /// not have one because another account holds it (they cannot sign in until renamed).
    fn fill_username_keys(&self) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    fn user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = StoreResult<Option<UserRow>>> + Send;
    /// Returns false when there is no such user.
    fn set_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Replaces a password hash by another of the same password (made at a new cost), if it is
    /// still `old`; sessions stay.
    fn update_password_hash(
        &self,
        person: PersonId,
        old: &str,
        new: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Disabling also ends the user's sessions. Returns false when there is no such user.
    fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn create_session(
        &self,
        token_hash: &str,
        session: &SessionRow,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A live session: not expired at `now`, its user not disabled.
    fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<SessionRow>>> + Send;
    /// Marks a session used at `at`, alive until `expires_at`.
    fn renew_session(
        &self,
        id: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A person's live sessions, the most recently used first.
    fn sessions_of(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<SessionRow>>> + Send;
    /// Ends `person`'s session `id`; false when they have none by that id.
    fn end_session(
        &self,
        person: PersonId,
        id: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Withdraws `person`'s device `id` at `at`; false when they have none by that id.
    fn revoke_device(
        &self,
        person: PersonId,
        id: DeviceId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Reads the throttle row of `key` (none: no failure kept), lets `step` decide, and
    /// writes what it returns (Ok: the new row; Err: the attempt is refused, nothing
    /// written), atomically: concurrent attempts on one key, from any server sharing the
    /// database, are decided one after the other.
    fn throttle_step(
        &self,
        key: &str,
        step: impl FnOnce(Option<ThrottleRow>) -> Result<ThrottleRow, u64> + Send,
    ) -> impl Future<Output = StoreResult<Result<ThrottleRow, u64>>> + Send;
    /// Forgets `key`'s failures (a successful login).
    fn throttle_clear(&self, key: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Drops the rows whose last failure is before `before`, then the oldest rows beyond
    /// `keep`: the table stays bounded however many names are sprayed.
    fn throttle_prune(
        &self,
        before: i64,
        keep: u64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn enroll_device(&self, device: &Device) -> impl Future<Output = StoreResult<()>> + Send;
    fn device(&self, id: DeviceId) -> impl Future<Output = StoreResult<Option<DeviceRow>>> + Send;
    fn devices_of(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRow>>> + Send;

    /// Queues person-months for re-evaluation (a finished upload, a changed organisation).
    fn mark_dirty(
        &self,
        marks: &[(PersonId, String)],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Up to `limit` queued person-months.
    fn dirty(&self, limit: u32) -> impl Future<Output = StoreResult<Vec<QueuedMonth>>> + Send;
    /// Claims for `claimant` until `until` up to `limit` queued person-months that nobody holds
    /// (or whose holder's lease ran out before `now`): of several workers, even on several
    /// servers, one holds an entry at a time.
    fn claim_dirty(
        &self,
        limit: u32,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<QueuedMonth>>> + Send;
    /// Extends to `until` the leases of `claimant`'s claims still running at `now` (a long
    /// batch keeps what it has not reached yet); answers how many.
    fn renew_claims(
        &self,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Takes a queued person-month off the queue, unless it was marked again since it was read
    /// (then its claim, if it was claimed, is let go, for the next worker to take it).
    fn settle(&self, queued: &QueuedMonth) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether a record of any of `people` for `month` waits to be taken into verdicts.
    fn pending(
        &self,
        month: &str,
        people: &[PersonId],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The marks of `people` renewed whenever a record of theirs other than a fix arrives for
    /// a day before the month it arrives in ([`renews_history`]); those never renewed are
    /// absent.
    fn history_marks(
        &self,
        people: &[PersonId],
    ) -> impl Future<Output = StoreResult<HashMap<PersonId, String>>> + Send;
    /// The people with a person-month of `month` queued (claimed or not).
    fn queued_people(
        &self,
        month: &str,
    ) -> impl Future<Output = StoreResult<BTreeSet<PersonId>>> + Send;
    fn kept_verdict(
        &self,
        person: PersonId,
        month: &str,
    ) -> impl Future<Output = StoreResult<Option<KeptVerdict>>> + Send;
    /// The kept verdicts of `people` for `month`, in one read; the people with none are absent.
    fn kept_verdicts(
        &self,
        month: &str,
        people: &[PersonId],
    ) -> impl Future<Output = StoreResult<HashMap<PersonId, KeptVerdict>>> + Send;
    /// Keeps a person-month's verdict and, in the same transaction, appends it to the
    /// verdict's history when it says something else than the last version
    /// ([`zhucun_shared::month_close::fingerprint`]); so does [`Store::replace_kept_verdict`].
    fn keep_verdict(
        &self,
        person: PersonId,
        month: &str,
        kept: &KeptVerdict,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The version of a person-month's kept verdict current at `at`: the latest kept at or
    /// before it.
    fn verdict_as_of(
        &self,
        person: PersonId,
        month: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<VerdictVersion>>> + Send;
    /// Every version of a person-month's kept verdict, in the order kept.
    fn verdict_versions(
        &self,
        person: PersonId,
        month: &str,
    ) -> impl Future<Output = StoreResult<Vec<VerdictVersion>>> + Send;
    /// Replaces a kept verdict only if it is still the one evaluated at `was` (answers whether
    /// it did): of two servers re-opening the same person-month, one writes.
    fn replace_kept_verdict(
        &self,
        person: PersonId,
        month: &str,
        kept: &KeptVerdict,
        was: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Every person with records, with each month from their first record's to their last's.
    fn recorded_months(&self) -> impl Future<Output = StoreResult<Vec<(PersonId, String)>>> + Send;
    /// Forgets every kept verdict (they are rebuilt from the records).
    fn clear_kept_verdicts(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// The month's close, if it was closed.
    fn closed_month(
        &self,
        month: &str,
    ) -> impl Future<Output = StoreResult<Option<ClosedMonth>>> + Send;
    /// Records a month's close; answers false, changing nothing, when it was closed already.
    fn close_month(&self, closed: &ClosedMonth) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Writes a step of a village's monthly ledger and, in the same transaction, queues the
    /// person-months whose verdicts it changes (`marks`: person, `YYYY-MM`); false, changing
    /// nothing, when that step was taken already.
    fn put_ledger_step(
        &self,
        step: &LedgerStepRow,
        marks: &[(PersonId, String)],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The steps taken for a village's month, in the order taken.
    fn ledger_steps(
        &self,
        village: VillageId,
        month: &str,
    ) -> impl Future<Output = StoreResult<Vec<LedgerStepRow>>> + Send;
    /// The latest month closed (`YYYY-MM`), if any.
    fn last_closed_month(&self) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Keeps a version of the rules or calendar (its `id` is ignored); answers its id.
    fn add_policy_version(
        &self,
        version: &PolicyVersionRow,
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// The id of the last version of the rules or calendar kept, 0 for none: what a running
    /// server compares to see whether a version was set since it loaded them.
    fn last_policy_version(&self) -> impl Future<Output = StoreResult<i64>> + Send;
    /// The versions of `policy` (`rules` or `calendar`), by day in force and then as set.
    fn policy_versions(
        &self,
        policy: &str,
    ) -> impl Future<Output = StoreResult<Vec<PolicyVersionRow>>> + Send;

    /// Stores a device's records in one transaction. A record already held with the same
    /// content counts as a duplicate; one whose (device, seq) or id is held with other content
    /// is a conflict and is not stored. Pushes of the same device are serialised.
    fn push_records(
        &self,
        device: DeviceId,
        records: &[IncomingRecord],
    ) -> impl Future<Output = StoreResult<PushOutcome>> + Send;
    /// A person's records captured in `from..to`, by capture time then (device, seq).
    fn records_of(
        &self,
        person: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRecord>>> + Send;
    /// The author and capture time of each of `ids` that is held; unknown ids are absent.
    fn record_authors(
        &self,
        ids: &[RecordId],
    ) -> impl Future<Output = StoreResult<HashMap<RecordId, (PersonId, DateTime<Utc>)>>> + Send;
    /// Like [`Store::records_of`], only the records that carry a GPS fix.
    fn fix_records_of(
        &self,
        person: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRecord>>> + Send;
    /// Like [`Store::records_of`], all but trajectory fixes (`fix` records).
    fn records_except_fixes_of(
        &self,
        person: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRecord>>> + Send;
    /// Every retraction the person made.
    fn retractions_of(
        &self,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRecord>>> + Send;
    /// Up to `limit` queued person-days whose day facts are to be folded again, earliest first.
    fn dirty_days(&self, limit: u32) -> impl Future<Output = StoreResult<Vec<QueuedDay>>> + Send;
    /// Claims for `claimant` until `until` up to `limit` people with days queued whom nobody
    /// holds (or whose holder's lease ran out before `now`), and answers all their queued days:
    /// of several workers, even on several servers, one folds a person's days at a time.
    fn claim_days(
        &self,
        limit: u32,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<QueuedDay>>> + Send;
    /// Extends to `until` the leases of `claimant`'s claims on people still running at `now`;
    /// answers how many.
    fn renew_day_claims(
        &self,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Lets go of `claimant`'s claim on `person`'s days (days queued meanwhile stay queued).
    fn release_days(
        &self,
        person: PersonId,
        claimant: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Takes a queued person-day off the queue, unless it was queued again since it was read.
    fn settle_day(&self, queued: &QueuedDay) -> impl Future<Output = StoreResult<()>> + Send;
    /// Queues person-days for their day facts to be folded again.
    fn queue_days(
        &self,
        days: &[(PersonId, NaiveDate)],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether any of `people` has a day before `before` queued.
    fn days_pending(
        &self,
        people: &[PersonId],
        before: NaiveDate,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// A person's kept day facts of the days in `from..to`, in day order, each with its basis.
    fn day_facts(
        &self,
        person: PersonId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = StoreResult<Vec<(DayFacts, String)>>> + Send;
    /// A person's last kept day facts before `before`, with its basis.
    fn last_day_facts(
        &self,
        person: PersonId,
        before: NaiveDate,
    ) -> impl Future<Output = StoreResult<Option<(DayFacts, String)>>> + Send;
    /// Keeps a person-day's facts folded under `basis` at `at`, renewing the person's history
    /// mark in the same transaction when the day lies before the month of `at`
    /// ([`renews_history_day`]).
    fn put_day_facts(
        &self,
        facts: &DayFacts,
        basis: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Forgets every kept day fact and queued day (they are rebuilt from the records).
    fn clear_day_facts(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Like [`Store::records_of`], only notes (a checker's findings are notes).
    fn notes_of(
        &self,
        person: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRecord>>> + Send;
    /// Like [`Store::records_of`], only leave requests (请假、公差) and withdrawals (which
    /// may withdraw one), of any of `people`.
    fn leave_requests_of(
        &self,
        people: &[PersonId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<DeviceRecord>>> + Send;

    /// Idempotent: a file already held is left as it is.
    fn put_file(&self, row: &FileRow) -> impl Future<Output = StoreResult<()>> + Send;
    fn file(&self, sha256: &str) -> impl Future<Output = StoreResult<Option<FileRow>>> + Send;
    /// Who uses the file `sha256` in a record (a photo record, a report's attachments), and
    /// when each such record was captured.
    fn file_uses(
        &self,
        sha256: &str,
    ) -> impl Future<Output = StoreResult<Vec<(PersonId, DateTime<Utc>)>>> + Send;
    /// What was read from each of `sha256s` that is a stored picture; documents and files not
    /// (yet) held are absent.
    fn photo_facts(
        &self,
        sha256s: &[String],
    ) -> impl Future<Output = StoreResult<HashMap<String, PhotoFacts>>> + Send;
    /// Records that `person` sent the stored file `sha256` whole (the first uploader is
    /// recorded by [`Store::put_file`]; later ones, sending the same bytes, here). Idempotent.
    fn add_file_uploader(
        &self,
        sha256: &str,
        person: PersonId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether `person` uploaded the stored file `sha256`.
    fn is_file_uploader(
        &self,
        sha256: &str,
        person: PersonId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Like [`Store::file_uses`], only the uses by records whose author uploaded the file: the
    /// uses that make it visible. A record naming a file its author never sent proves nothing.
    fn uploaders_file_uses(
        &self,
        sha256: &str,
    ) -> impl Future<Output = StoreResult<Vec<(PersonId, DateTime<Utc>)>>> + Send;
    /// Which of `sha256s` are stored files, each with whether `person` uploaded it; files not
    /// held are absent.
    fn held_files(
        &self,
        person: PersonId,
        sha256s: &[String],
    ) -> impl Future<Output = StoreResult<HashMap<String, bool>>> + Send;

    /// Appends an entry to the audit log after the last one, chained to it. Appends are
    /// serialised (SQLite's one writer; an advisory lock on PostgreSQL, held by the
    /// transaction that inserts), so that no two take the same predecessor.
    fn append_audit(
        &self,
        entry: &NewAuditEntry,
    ) -> impl Future<Output = StoreResult<AuditEntry>> + Send;
    /// Up to `limit` audit entries after `since`, by seq; all of them, or those in `scope`.
    fn audit_entries(
        &self,
        since: i64,
        limit: u32,
        scope: Option<&AuditScope>,
    ) -> impl Future<Output = StoreResult<Vec<AuditEntry>>> + Send;

    fn setting(&self, key: &str) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    fn put_setting(&self, key: &str, value: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Waits for open connections to finish and closes them.
    fn close(&self) -> impl Future<Output = ()> + Send;
}

/// The store chosen by the database URL.
#[derive(Clone, Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens the database named by `url` (`sqlite://path?mode=rwc` or `postgres://…`) and applies
/// its migrations.
pub async fn open_store(url: &str) -> StoreResult<AnyStore> {
    if url.starts_with("sqlite:") {
        Ok(AnyStore::Sqlite(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(AnyStore::Postgres(PgStore::open(url).await?))
    } else {
        Err(StoreError::UnknownScheme(redact_url(url)))
    }
}

impl AnyStore {
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgres",
        }
    }
}

/// A URL with its password replaced, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

macro_rules! dispatch {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        match $self {
            AnyStore::Sqlite(s) => s.$method($($arg),*).await,
            AnyStore::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn put_org(&self, org: &Org) -> StoreResult<()> {
        dispatch!(self, put_org(org))
    }
    async fn township_org(&self, id: TownshipId) -> StoreResult<Org> {
        dispatch!(self, township_org(id))
    }
    async fn townships(&self) -> StoreResult<Vec<Township>> {
        dispatch!(self, townships())
    }
    async fn org_versions(&self) -> StoreResult<BTreeMap<TownshipId, i64>> {
        dispatch!(self, org_versions())
    }
    async fn village_by_name(&self, t: TownshipId, name: &str) -> StoreResult<Option<Village>> {
        dispatch!(self, village_by_name(t, name))
    }
    async fn person(&self, id: PersonId) -> StoreResult<Option<Person>> {
        dispatch!(self, person(id))
    }
    async fn household(&self, id: HouseholdId) -> StoreResult<Option<Household>> {
        dispatch!(self, household(id))
    }
    async fn assignments_of(&self, p: PersonId) -> StoreResult<Vec<Assignment>> {
        dispatch!(self, assignments_of(p))
    }
    async fn create_user(&self, user: &UserRow) -> StoreResult<()> {
        dispatch!(self, create_user(user))
    }
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRow>> {
        dispatch!(self, user_by_username(username))
    }
    async fn set_password(&self, username: &str, hash: &str) -> StoreResult<bool> {
        dispatch!(self, set_password(username, hash))
    }
    async fn set_disabled(&self, username: &str, disabled: bool) -> StoreResult<bool> {
        dispatch!(self, set_disabled(username, disabled))
    }
    async fn update_password_hash(&self, p: PersonId, old: &str, new: &str) -> StoreResult<()> {
        dispatch!(self, update_password_hash(p, old, new))
    }
    async fn fill_username_keys(&self) -> StoreResult<Vec<String>> {
        dispatch!(self, fill_username_keys())
    }
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>> {
        dispatch!(self, session(token_hash, now))
    }
    async fn renew_session(
        &self,
        id: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        dispatch!(self, renew_session(id, at, expires_at))
    }
    async fn sessions_of(&self, p: PersonId, now: DateTime<Utc>) -> StoreResult<Vec<SessionRow>> {
        dispatch!(self, sessions_of(p, now))
    }
    async fn end_session(&self, p: PersonId, id: &str) -> StoreResult<bool> {
        dispatch!(self, end_session(p, id))
    }
    async fn revoke_device(
        &self,
        p: PersonId,
        id: DeviceId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        dispatch!(self, revoke_device(p, id, at))
    }
    async fn throttle_step(
        &self,
        key: &str,
        step: impl FnOnce(Option<ThrottleRow>) -> Result<ThrottleRow, u64> + Send,
    ) -> StoreResult<Result<ThrottleRow, u64>> {
        dispatch!(self, throttle_step(key, step))
    }
    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        dispatch!(self, throttle_clear(key))
    }
    async fn throttle_prune(&self, before: i64, keep: u64) -> StoreResult<()> {
        dispatch!(self, throttle_prune(before, keep))
    }
    async fn create_session(&self, token_hash: &str, session: &SessionRow) -> StoreResult<()> {
        dispatch!(self, create_session(token_hash, session))
    }
    async fn enroll_device(&self, device: &Device) -> StoreResult<()> {
        dispatch!(self, enroll_device(device))
    }
    async fn device(&self, id: DeviceId) -> StoreResult<Option<DeviceRow>> {
        dispatch!(self, device(id))
    }
    async fn devices_of(&self, p: PersonId) -> StoreResult<Vec<DeviceRow>> {
        dispatch!(self, devices_of(p))
    }
    async fn mark_dirty(&self, marks: &[(PersonId, String)]) -> StoreResult<()> {
        dispatch!(self, mark_dirty(marks))
    }
    async fn dirty(&self, limit: u32) -> StoreResult<Vec<QueuedMonth>> {
        dispatch!(self, dirty(limit))
    }
    async fn claim_dirty(
        &self,
        limit: u32,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<QueuedMonth>> {
        dispatch!(self, claim_dirty(limit, claimant, now, until))
    }
    async fn renew_claims(
        &self,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        dispatch!(self, renew_claims(claimant, now, until))
    }
    async fn verdict_as_of(
        &self,
        p: PersonId,
        month: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<VerdictVersion>> {
        dispatch!(self, verdict_as_of(p, month, at))
    }
    async fn verdict_versions(&self, p: PersonId, month: &str) -> StoreResult<Vec<VerdictVersion>> {
        dispatch!(self, verdict_versions(p, month))
    }
    async fn settle(&self, queued: &QueuedMonth) -> StoreResult<()> {
        dispatch!(self, settle(queued))
    }
    async fn pending(&self, month: &str, people: &[PersonId]) -> StoreResult<bool> {
        dispatch!(self, pending(month, people))
    }
    async fn kept_verdict(&self, p: PersonId, month: &str) -> StoreResult<Option<KeptVerdict>> {
        dispatch!(self, kept_verdict(p, month))
    }
    async fn history_marks(&self, people: &[PersonId]) -> StoreResult<HashMap<PersonId, String>> {
        dispatch!(self, history_marks(people))
    }
    async fn queued_people(&self, month: &str) -> StoreResult<BTreeSet<PersonId>> {
        dispatch!(self, queued_people(month))
    }
    async fn kept_verdicts(
        &self,
        month: &str,
        people: &[PersonId],
    ) -> StoreResult<HashMap<PersonId, KeptVerdict>> {
        dispatch!(self, kept_verdicts(month, people))
    }
    async fn keep_verdict(&self, p: PersonId, month: &str, kept: &KeptVerdict) -> StoreResult<()> {
        dispatch!(self, keep_verdict(p, month, kept))
    }
    async fn replace_kept_verdict(
        &self,
        p: PersonId,
        month: &str,
        kept: &KeptVerdict,
        was: DateTime<Utc>,
    ) -> StoreResult<bool> {
        dispatch!(self, replace_kept_verdict(p, month, kept, was))
    }
    async fn recorded_months(&self) -> StoreResult<Vec<(PersonId, String)>> {
        dispatch!(self, recorded_months())
    }
    async fn clear_kept_verdicts(&self) -> StoreResult<()> {
        dispatch!(self, clear_kept_verdicts())
    }
    async fn put_ledger_step(
        &self,
        step: &LedgerStepRow,
        marks: &[(PersonId, String)],
    ) -> StoreResult<bool> {
        dispatch!(self, put_ledger_step(step, marks))
    }
    async fn ledger_steps(
        &self,
        village: VillageId,
        month: &str,
    ) -> StoreResult<Vec<LedgerStepRow>> {
        dispatch!(self, ledger_steps(village, month))
    }
    async fn closed_month(&self, month: &str) -> StoreResult<Option<ClosedMonth>> {
        dispatch!(self, closed_month(month))
    }
    async fn close_month(&self, closed: &ClosedMonth) -> StoreResult<bool> {
        dispatch!(self, close_month(closed))
    }
    async fn last_closed_month(&self) -> StoreResult<Option<String>> {
        dispatch!(self, last_closed_month())
    }
    async fn add_policy_version(&self, version: &PolicyVersionRow) -> StoreResult<i64> {
        dispatch!(self, add_policy_version(version))
    }
    async fn last_policy_version(&self) -> StoreResult<i64> {
        dispatch!(self, last_policy_version())
    }
    async fn policy_versions(&self, policy: &str) -> StoreResult<Vec<PolicyVersionRow>> {
        dispatch!(self, policy_versions(policy))
    }
    async fn push_records(
        &self,
        device: DeviceId,
        records: &[IncomingRecord],
    ) -> StoreResult<PushOutcome> {
        dispatch!(self, push_records(device, records))
    }
    async fn records_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        dispatch!(self, records_of(p, from, to))
    }
    async fn record_authors(
        &self,
        ids: &[RecordId],
    ) -> StoreResult<HashMap<RecordId, (PersonId, DateTime<Utc>)>> {
        dispatch!(self, record_authors(ids))
    }
    async fn fix_records_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        dispatch!(self, fix_records_of(p, from, to))
    }
    async fn records_except_fixes_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        dispatch!(self, records_except_fixes_of(p, from, to))
    }
    async fn retractions_of(&self, p: PersonId) -> StoreResult<Vec<DeviceRecord>> {
        dispatch!(self, retractions_of(p))
    }
    async fn dirty_days(&self, limit: u32) -> StoreResult<Vec<QueuedDay>> {
        dispatch!(self, dirty_days(limit))
    }
    async fn claim_days(
        &self,
        limit: u32,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<QueuedDay>> {
        dispatch!(self, claim_days(limit, claimant, now, until))
    }
    async fn renew_day_claims(
        &self,
        claimant: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        dispatch!(self, renew_day_claims(claimant, now, until))
    }
    async fn release_days(&self, person: PersonId, claimant: &str) -> StoreResult<()> {
        dispatch!(self, release_days(person, claimant))
    }
    async fn settle_day(&self, q: &QueuedDay) -> StoreResult<()> {
        dispatch!(self, settle_day(q))
    }
    async fn queue_days(&self, days: &[(PersonId, NaiveDate)]) -> StoreResult<()> {
        dispatch!(self, queue_days(days))
    }
    async fn days_pending(&self, people: &[PersonId], before: NaiveDate) -> StoreResult<bool> {
        dispatch!(self, days_pending(people, before))
    }
    async fn day_facts(
        &self,
        p: PersonId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(DayFacts, String)>> {
        dispatch!(self, day_facts(p, from, to))
    }
    async fn last_day_facts(
        &self,
        p: PersonId,
        before: NaiveDate,
    ) -> StoreResult<Option<(DayFacts, String)>> {
        dispatch!(self, last_day_facts(p, before))
    }
    async fn put_day_facts(&self, f: &DayFacts, basis: &str, at: DateTime<Utc>) -> StoreResult<()> {
        dispatch!(self, put_day_facts(f, basis, at))
    }
    async fn clear_day_facts(&self) -> StoreResult<()> {
        dispatch!(self, clear_day_facts())
    }
    async fn notes_of(
        &self,
        p: PersonId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        dispatch!(self, notes_of(p, from, to))
    }
    async fn leave_requests_of(
        &self,
        people: &[PersonId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        dispatch!(self, leave_requests_of(people, from, to))
    }
    async fn put_file(&self, row: &FileRow) -> StoreResult<()> {
        dispatch!(self, put_file(row))
    }
    async fn file(&self, sha256: &str) -> StoreResult<Option<FileRow>> {
        dispatch!(self, file(sha256))
    }
    async fn file_uses(&self, sha256: &str) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
        dispatch!(self, file_uses(sha256))
    }
    async fn photo_facts(&self, shas: &[String]) -> StoreResult<HashMap<String, PhotoFacts>> {
        dispatch!(self, photo_facts(shas))
    }
    async fn add_file_uploader(
        &self,
        sha256: &str,
        person: PersonId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        dispatch!(self, add_file_uploader(sha256, person, at))
    }
    async fn is_file_uploader(&self, sha256: &str, person: PersonId) -> StoreResult<bool> {
        dispatch!(self, is_file_uploader(sha256, person))
    }
    async fn uploaders_file_uses(
        &self,
        sha256: &str,
    ) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
        dispatch!(self, uploaders_file_uses(sha256))
    }
    async fn held_files(
        &self,
        person: PersonId,
        shas: &[String],
    ) -> StoreResult<HashMap<String, bool>> {
        dispatch!(self, held_files(person, shas))
    }
    async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<AuditEntry> {
        dispatch!(self, append_audit(entry))
    }
    async fn audit_entries(
        &self,
        since: i64,
        limit: u32,
        scope: Option<&AuditScope>,
    ) -> StoreResult<Vec<AuditEntry>> {
        dispatch!(self, audit_entries(since, limit, scope))
    }
    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        dispatch!(self, setting(key))
    }
    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        dispatch!(self, put_setting(key, value))
    }
    async fn close(&self) {
        dispatch!(self, close())
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_url, renews_history, renews_history_day};
    use chrono::{NaiveDate, Utc};

    /// An event or an activity entered after its month queues that month too.
    #[test]
    fn records_dated_before_they_were_written_queue_their_own_months() {
        use zhucun_shared::ids::VillageId;
        use zhucun_shared::record::{ActivityKind, EventKind, RecordBody};
        let event = RecordBody::VillageEvent {
            village_id: VillageId::from_u128(1),
            kind: EventKind::Dispute,
            // 2026-11-01 01:00 in China.
            occurred_at: "2026-10-31T17:00:00Z".parse().unwrap(),
            household_id: None,
            description: "纠纷".into(),
        };
        assert_eq!(super::leave_months(&event), ["2026-11"]);
        let visit = RecordBody::Activity {
            kind: ActivityKind::LeaderVisit,
            village_id: None,
            held_on: "2026-10-30".parse().unwrap(),
            person_times: None,
            quantity: None,
            title: "领导到村".into(),
            text: String::new(),
        };
        assert_eq!(super::leave_months(&visit), ["2026-10"]);
        let retraction = RecordBody::Retraction {
            target: zhucun_shared::ids::RecordId::new(),
            reason: "x".into(),
        };
        assert!(super::leave_months(&retraction).is_empty());
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://zhucun:s3cret@db:5432/zhucun"),
            "postgres://zhucun:***@db:5432/zhucun"
        );
        assert_eq!(
            redact_url("sqlite://data/zhucun.sqlite"),
            "sqlite://data/zhucun.sqlite"
        );
    }

    /// Kept history stands for the days before the month a reader runs in; a write of such a
    /// day renews the mark, with a day's margin at the month's end.
    #[test]
    fn a_write_of_a_day_before_the_month_renews_the_history_mark() {
        use chrono::TimeZone;
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        // 12:00 China time on 15 December.
        let mid_month = Utc.with_ymd_and_hms(2026, 12, 15, 4, 0, 0).unwrap();
        assert!(renews_history_day(day(11, 30), mid_month));
        assert!(!renews_history_day(day(12, 1), mid_month));
        // 23:00 China time on 30 November: what is written may commit in December.
        let month_end = Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap();
        assert!(renews_history_day(day(11, 29), month_end));
        assert!(renews_history_day(day(11, 30), month_end));
        assert!(!renews_history_day(day(12, 1), month_end));
        let captured = Utc.with_ymd_and_hms(2026, 11, 20, 4, 0, 0).unwrap();
        assert!(renews_history("household_check_in", captured, mid_month));
        assert!(!renews_history("fix", captured, mid_month));
    }
}
