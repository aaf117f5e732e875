//! The audit log (审计日志): who did what, append-only, each entry chained to the one before by
//! its SHA-256, so that an entry edited, removed or inserted afterwards shows in
//! `zhucun-server audit verify`.
//!
//! What is written: logins (and failed logins), logouts, sessions ended and devices enrolled or
//! withdrawn, account changes from the command line and the console, the office's postings,
//! pairings and household changes, imports, rules and calendar set or reset,
//! spot-check findings (a checker's note on someone else's record), verdict rebuilds, months
//! closed, and final months re-opened by late records (with the verdicts before and after).
//!
//! The hashing is pure ([`entry_hash`], [`Verifier`]); the store appends
//! ([`crate::store::Store::append_audit`]) one entry at a time, each after the last.
//!
//! What bounds the table: every entry but one kind follows an act of a signed-in person or of
//! the operator. Failed logins come from anyone, but each is a password check that the login
//! throttle let through: per (username, address) the first few, then one per back-off period
//! (2 s doubling to `login_max_backoff_secs`); attempts it refuses (429) write nothing. Across
//! names and addresses they are bounded by the password checks the server runs at once (two
//! per core, each an argon2 hash): a few hundred bytes per check, a rate an operator can see
//! in the `login` metric long before the disk is at risk.

use crate::store::{AuditEntry, NewAuditEntry};
use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditKind {
    Login,
    LoginFailed,
    Logout,
    SessionEnded,
    DeviceEnrolled,
    DeviceRevoked,
    UserAdded,
    PasswordReset,
    UserDisabled,
    UserEnabled,
    Import,
    RulesSet,
    RulesReset,
    CalendarSet,
    CalendarReset,
    /// 抽查结果: a note attached to someone else's record.
    Finding,
    VerdictsRebuilt,
    /// 月结: a month past its grace date closed, its verdicts final.
    MonthClosed,
    /// A final month re-opened for a person by records (or spot-check findings) that arrived
    /// late: the verdicts before and after, and the records and findings.
    MonthReopened,
    /// A posting (任职) given to a person by the office.
    PostingAdded,
    /// A posting ended (its last day set) by the office.
    PostingEnded,
    /// A pairing (结对帮扶) made by the office.
    PairingAdded,
    /// A pairing ended (its last day set) by the office.
    PairingEnded,
    /// A household's name, categories, members or position changed by the office.
    HouseholdChanged,
    /// A village's monthly ledger (领导挂联工作月台账) confirmed, forwarded or received.
    LedgerStep,
    /// A village's support units (帮扶单位) set by the office.
    SupportUnitsSet,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Login => "login",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::Logout => "logout",
            AuditKind::SessionEnded => "session_ended",
            AuditKind::DeviceEnrolled => "device_enrolled",
            AuditKind::DeviceRevoked => "device_revoked",
            AuditKind::UserAdded => "user_added",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::UserDisabled => "user_disabled",
            AuditKind::UserEnabled => "user_enabled",
            AuditKind::Import => "import",
            AuditKind::RulesSet => "rules_set",
            AuditKind::RulesReset => "rules_reset",
            AuditKind::CalendarSet => "calendar_set",
            AuditKind::CalendarReset => "calendar_reset",
            AuditKind::Finding => "finding",
            AuditKind::VerdictsRebuilt => "verdicts_rebuilt",
            AuditKind::MonthClosed => "month_closed",
            AuditKind::MonthReopened => "month_reopened",
            AuditKind::PostingAdded => "posting_added",
            AuditKind::PostingEnded => "posting_ended",
            AuditKind::PairingAdded => "pairing_added",
            AuditKind::PairingEnded => "pairing_ended",
            AuditKind::HouseholdChanged => "household_changed",
            AuditKind::LedgerStep => "ledger_step",
            AuditKind::SupportUnitsSet => "support_units_set",
        }
    }
}

/// An entry as the API and `audit export` give it: every field as hashed, so the chain can be
/// checked from an export alone.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    /// 1, 2, 3 … without gaps across the whole log.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The person who acted; none for the operator's commands and failed logins.
    pub actor: Option<String>,
    /// The township it concerns; none for server-wide acts (rules, calendar, rebuilds).
    pub township: Option<String>,
    /// login, login_failed, logout, session_ended, device_enrolled, device_revoked,
    /// user_added, password_reset, user_disabled, user_enabled, import, rules_set,
    /// rules_reset, calendar_set, calendar_reset, finding, verdicts_rebuilt, month_closed,
    /// month_reopened, posting_added, posting_ended, pairing_added, pairing_ended,
    /// household_changed, ledger_step, support_units_set.
    pub kind: String,
    /// What it was done to: a username, a session or device id, a record id, a file.
    pub subject: String,
    /// A JSON object as text, exactly as hashed: for a login the client address, for an
    /// import the file and count, for a finding the record and its author.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&AuditEntry> for AuditEntryView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.entry.at,
            actor: e.entry.actor.clone(),
            township: e.entry.township.clone(),
            kind: e.entry.kind.clone(),
            subject: e.entry.subject.clone(),
            detail: e.entry.detail.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

/// The previous hash of the first entry.
pub const GENESIS: &str = "";

/// An entry about to be appended, at `at`: the time kept to the microsecond, as both databases
/// store it, so that it hashes the same when read back.
pub fn new_entry(
    at: DateTime<Utc>,
    actor: Option<zhucun_shared::ids::PersonId>,
    township: Option<zhucun_shared::ids::TownshipId>,
    kind: AuditKind,
    subject: impl Into<String>,
    detail: serde_json::Value,
) -> NewAuditEntry {
    NewAuditEntry {
        at: at.trunc_subsecs(6),
        actor: actor.map(|a| a.to_string()),
        township: township.map(|t| t.to_string()),
        kind: kind.as_str().to_string(),
        subject: subject.into(),
        // serde_json's maps are sorted: the same detail is always the same text.
        detail: detail.to_string(),
    }
}

/// The time as hashed: RFC 3339, UTC, microseconds.
fn canonical_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// SHA-256 (hex) of entry `seq` with `prev_hash`: over a JSON array of every field, so that no
/// two different entries serialise alike.
pub fn entry_hash(seq: i64, e: &NewAuditEntry, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        seq,
        canonical_time(e.at),
        e.actor,
        e.township,
        e.kind,
        e.subject,
        e.detail,
        prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Entry `seq` chained after `prev_hash`.
pub fn chain(seq: i64, e: NewAuditEntry, prev_hash: &str) -> AuditEntry {
    AuditEntry {
        seq,
        hash: entry_hash(seq, &e, prev_hash),
        prev_hash: prev_hash.to_string(),
        entry: e,
    }
}

/// The first thing wrong with the chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {what}")]
pub struct Broken {
    pub seq: i64,
    pub what: String,
}

/// Checks entries in order of seq, one after another.
#[derive(Debug)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), Broken> {
        let broken = |what: String| Broken { seq: e.seq, what };
        if e.seq != self.last_seq + 1 {
            return Err(broken(format!(
                "expected entry {} next: entries are missing",
                self.last_seq + 1
            )));
        }
        if e.prev_hash != self.last_hash {
            return Err(broken(format!(
                "prev_hash is not the hash of entry {}",
                self.last_seq
            )));
        }
        if entry_hash(e.seq, &e.entry, &e.prev_hash) != e.hash {
            return Err(broken(
                "its content does not match its hash (edited after it was written)".into(),
            ));
        }
        self.last_seq = e.seq;
        self.last_hash = e.hash.clone();
        Ok(())
    }

    /// How many entries were checked.
    pub fn checked(&self) -> i64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }
}

/// Appends one entry; an entry that cannot be written fails the act it records.
pub async fn record(
    store: &impl crate::store::Store,
    entry: NewAuditEntry,
) -> Result<AuditEntry, crate::store::StoreError> {
    store.append_audit(&entry).await
}

/// Checks the whole chain in the store, page by page.
pub async fn verify(
    store: &impl crate::store::Store,
) -> Result<Result<i64, Broken>, crate::store::StoreError> {
    let mut v = Verifier::default();
    loop {
        let page = store.audit_entries(v.checked(), 1000, None).await?;
        if page.is_empty() {
            return Ok(Ok(v.checked()));
        }
        for e in &page {
            if let Err(b) = v.check(e) {
                return Ok(Err(b));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(subject: &str) -> NewAuditEntry {
        new_entry(
            Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).unwrap()
                + chrono::Duration::nanoseconds(123_456_789),
            None,
            None,
            AuditKind::Login,
            subject,
            serde_json::json!({"b": 1, "a": "x"}),
        )
    }

    fn log(n: usize) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let e = chain(i as i64, entry(&format!("user{i}")), &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify_all(entries: &[AuditEntry]) -> Result<i64, Broken> {
        let mut v = Verifier::default();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let e = entry("li");
        let h = entry_hash(1, &e, "p");
        assert_eq!(h, entry_hash(1, &entry("li"), "p"), "deterministic");
        assert_eq!(
            e.at.timestamp_subsec_nanos(),
            123_456_000,
            "kept to the microsecond"
        );
        assert_eq!(e.detail, r#"{"a":"x","b":1}"#, "keys sorted");
        let changes: [fn(&mut NewAuditEntry); 6] = [
            |e| e.at += chrono::Duration::microseconds(1),
            |e| e.actor = Some("x".into()),
            |e| e.township = Some("x".into()),
            |e| e.kind = "logout".into(),
            |e| e.subject = "wang".into(),
            |e| e.detail = "{}".into(),
        ];
        for change in changes {
            let mut other = entry("li");
            change(&mut other);
            assert_ne!(entry_hash(1, &other, "p"), h);
        }
        assert_ne!(entry_hash(2, &e, "p"), h);
        assert_ne!(entry_hash(1, &e, "q"), h);
    }

    #[test]
    fn a_sound_chain_verifies() {
        assert_eq!(verify_all(&log(5)), Ok(5));
        assert_eq!(verify_all(&[]), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut l = log(5);
        l[2].entry.subject = "wang".into();
        let b = verify_all(&l).unwrap_err();
        assert_eq!(b.seq, 3);
        assert!(b.what.contains("does not match its hash"), "{b}");
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut l = log(5);
        l[2].entry.subject = "wang".into();
        l[2].hash = entry_hash(3, &l[2].entry, &l[2].prev_hash);
        let b = verify_all(&l).unwrap_err();
        assert_eq!(b.seq, 4);
        assert!(b.what.contains("prev_hash"), "{b}");
    }

    #[test]
    fn a_removed_entry_is_named() {
        let mut l = log(5);
        l.remove(1);
        let b = verify_all(&l).unwrap_err();
        assert_eq!(b.seq, 3);
        assert!(b.what.contains("expected entry 2"), "{b}");
    }
}
