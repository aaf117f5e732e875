//! The sync engine: pushes the log in sequence order in batches, uploads photo files
//! resumably, pulls reference data and verdicts, and retries with backoff.
//!
//! A record counts as confirmed only when a push answered without a conflict on it: the
//! server's watermark counts a seq as held whatever content it holds there, so it is used only
//! to notice a restored server (it holds less: push again) or a forked log (it holds more, or
//! other content at our seqs: continue as a new device). A record or photo the server refuses
//! is set aside with its message, kept, and never blocks what comes after it.
//!
//! The store sits behind a `Mutex` that is locked only between awaits, never across one.

mod api;
mod backoff;
mod leave;
mod status;

pub use api::{Api, ApiError, PersonSummary, Trajectory};
pub use backoff::Backoff;
pub use status::{Retry, SyncStatus};

use crate::store::{Identity, PendingPhoto, Session, Store, StoreError, Watermark};
use crate::strings;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::sync::{
    Conflict, ConflictKind, PushRequest, MAX_PUSH_RECORDS, PROTOCOL_VERSION,
};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", strings::ERR_NOT_ENROLLED)]
    NotSignedIn,
    #[error("{}", strings::ERR_OTHER_PERSONS_LOG)]
    OtherPersonsLog,
    /// The server's watermark keeps disagreeing with this phone's log.
    #[error("{}", strings::ERR_UNSETTLED)]
    Unsettled,
}

impl SyncError {
    /// Worth trying again later: the network, a busy or failing server.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Api(e) => e.is_transient(),
            SyncError::Unsettled => true,
            _ => false,
        }
    }

    /// The session expired or was revoked: the cadre must sign in again.
    pub fn needs_sign_in(&self) -> bool {
        match self {
            SyncError::Api(e) => e.is_unauthorised(),
            SyncError::NotSignedIn => true,
            _ => false,
        }
    }
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    pub records_sent: u64,
    /// The local seq up to which everything is acknowledged or set aside.
    pub confirmed_seq: u64,
    /// Records and photos the server refused, set aside by this sync.
    pub set_aside: u64,
    /// The log was found forked and continues under a newly enrolled device.
    pub forked: bool,
    /// The server held less than confirmed (restored from a backup): records went again.
    pub rewound: bool,
    pub photos_completed: u64,
    pub photo_bytes_sent: u64,
    pub reference_changed: bool,
    pub verdicts: usize,
}

/// Tuning of one engine.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Records per push (at most the protocol's `MAX_PUSH_RECORDS`, whatever is asked).
    pub batch: usize,
    /// Bytes per photo upload request: small enough to finish on a weak signal.
    pub photo_chunk: usize,
    /// Tries of one sync before giving up until the next trigger.
    pub max_attempts: u32,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            batch: 500,
            photo_chunk: 64 * 1024,
            max_attempts: 6,
        }
    }
}

pub type SharedStore = Arc<Mutex<Store>>;

/// Locks a mutex even if a thread panicked holding it: every store write is a transaction, so
/// a panic cannot leave the database half-written, and the other shared values are plain data.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The server holds other content at this conflict's seq (not merely the id elsewhere).
fn seq_taken(c: &Conflict, server_contiguous_seq: u64) -> bool {
    c.seq <= server_contiguous_seq || c.kind == ConflictKind::Seq
}

/// Forks and rewinds one push may go through before leaving the rest to the next sync.
const MAX_WATERMARK_TURNS: u32 = 3;

#[derive(Clone, Debug)]
pub struct SyncEngine {
    api: Api,
    config: SyncConfig,
}

impl SyncEngine {
    pub fn new(api: Api, config: SyncConfig) -> Self {
        SyncEngine { api, config }
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Signs in and keeps the session (token, server, name, identity) in the store in one
    /// transaction. The same person signing in again (an expired session) keeps the device
    /// and its log; anyone else on a phone with no records enrols it as a new device.
    pub async fn sign_in(
        &mut self,
        store: &SharedStore,
        username: &str,
        password: &str,
        label: &str,
    ) -> Result<Identity, SyncError> {
        let login = self.api.login(username, password).await?;
        self.api.set_token(Some(login.token.clone()));
        let (existing, written) = {
            let s = lock(store);
            (s.identity()?, s.last_seq()?)
        };
        let id = match existing {
            Some(id) if id.person_id == login.person_id => id,
            Some(_) if written > 0 => return Err(SyncError::OtherPersonsLog),
            _ => Identity {
                device_id: self.api.enroll(label).await?.device_id,
                person_id: login.person_id,
            },
        };
        lock(store).save_session(&Session {
            identity: id,
            token: &login.token,
            server_url: self.api.base_url(),
            person_name: &login.name,
        })?;
        Ok(id)
    }

    /// One full sync: push, photos, pull. A failure in one part does not keep the others
    /// from running; the first failure is returned.
    pub async fn sync_once(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let pushed = self.push(store, now, &mut report).await;
        if let Err(e) = &pushed {
            if e.needs_sign_in() {
                return Err(pushed.unwrap_err());
            }
        }
        let photos = self.upload_photos(store, &mut report).await;
        let pulled = self.pull(store, &mut report).await;
        pushed?;
        photos?;
        if pulled? {
            // The pull found the log forked or the server restored: push what that left.
            self.push(store, now, &mut report).await?;
        }
        lock(store).set_sync_success(now)?;
        Ok(report)
    }

    /// Syncs, retrying transient failures with backoff. Each failure is written down so the
    /// screen can show it, and an expired session is marked so the app asks to sign in again;
    /// `sleep` is how to wait (tokio's in the app, instant in tests).
    pub async fn sync_with_retry<F, Fut>(
        &self,
        store: &SharedStore,
        now: impl Fn() -> DateTime<Utc>,
        backoff: &mut Backoff,
        mut sleep: F,
    ) -> Result<SyncReport, SyncError>
    where
        F: FnMut(Duration) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.sync_once(store, now()).await {
                Ok(r) => {
                    backoff.reset();
                    return Ok(r);
                }
                Err(e) => {
                    {
                        let s = lock(store);
                        s.set_sync_error(&e.to_string())?;
                        if matches!(&e, SyncError::Api(a) if a.is_unauthorised()) {
                            s.set_session_expired()?;
                        }
                    }
                    if !e.is_transient() || attempt >= self.config.max_attempts {
                        return Err(e);
                    }
                    let wait = backoff.next_delay(&mut rand::thread_rng());
                    sleep(wait).await;
                }
            }
        }
    }

    /// Pushes everything unconfirmed. The first batch is a single record: if the log forked,
    /// the server answers with a conflict before storing anything else of ours under the old
    /// device, so the re-logged records keep ids the server has never seen.
    async fn push(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let mut probe = true;
        let mut turns = 0;
        loop {
            let (id, batch) = {
                let s = lock(store);
                let id = s.identity()?.ok_or(SyncError::NotSignedIn)?;
                let limit = if probe {
                    1
                } else {
                    self.config.batch.clamp(1, MAX_PUSH_RECORDS)
                };
                (id, s.unconfirmed(limit)?)
            };
            report.confirmed_seq = lock(store).confirmed_seq()?;
            let Some(&(last_local, _)) = batch.last() else {
                return Ok(());
            };
            let records: Vec<DeviceRecord> = batch.iter().map(|(_, r)| r.clone()).collect();
            let resp = match self
                .api
                .push(&PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device_id: id.device_id,
                    sent_at: now,
                    records,
                })
                .await
            {
                Ok(resp) => resp,
                Err(e) => match e.refused_record() {
                    // One record the server will never take: set it aside, send the rest.
                    Some((i, message)) if i < batch.len() => {
                        lock(store).quarantine(batch[i].0, &message, now)?;
                        report.set_aside += 1;
                        continue;
                    }
                    _ => return Err(e.into()),
                },
            };
            probe = false;
            report.records_sent += batch.len() as u64;
            let held = resp
                .devices
                .iter()
                .find(|w| w.device_id == id.device_id)
                .map(|w| w.contiguous_seq)
                .unwrap_or(0);
            // Other content at one of our seqs: from there on, the log forked.
            let fork_at = resp
                .conflicts
                .iter()
                .filter(|c| seq_taken(c, held))
                .map(|c| c.seq)
                .min();
            let verdict = {
                let s = lock(store);
                for c in &resp.conflicts {
                    if fork_at.is_some_and(|f| c.seq >= f) {
                        continue;
                    }
                    // The id is taken by another record: sending it again cannot help.
                    if let Some((local, _)) = batch.iter().find(|(_, r)| r.id == c.id) {
                        s.quarantine(*local, &c.reason, now)?;
                        report.set_aside += 1;
                    }
                }
                // Acknowledged: every record of the batch before the first fork conflict.
                let acked = match fork_at {
                    Some(f) => batch
                        .iter()
                        .take_while(|(_, r)| r.seq < f)
                        .last()
                        .map(|(l, _)| *l),
                    None => Some(last_local),
                };
                if let Some(upto) = acked {
                    s.confirm(upto)?;
                }
                report.confirmed_seq = s.confirmed_seq()?;
                if fork_at.is_some() {
                    Watermark::Forked
                } else {
                    s.check_watermark(held)?
                }
            };
            if verdict != Watermark::Consistent {
                turns += 1;
                if turns > MAX_WATERMARK_TURNS {
                    return Err(SyncError::Unsettled);
                }
                probe = true;
                if verdict == Watermark::Forked {
                    self.fork(store, report).await?;
                } else {
                    report.rewound = true;
                }
            }
        }
    }

    /// Enrols this phone as a new device and re-logs everything unconfirmed under it.
    async fn fork(&self, store: &SharedStore, report: &mut SyncReport) -> Result<(), SyncError> {
        let enrolled = self.api.enroll(strings::FORKED_DEVICE_LABEL).await?;
        lock(store).fork(enrolled.device_id)?;
        report.forked = true;
        report.confirmed_seq = lock(store).confirmed_seq()?;
        Ok(())
    }

    /// Uploads every pending photo. One the server refuses is set aside with its message and
    /// not sent again; the others go on. Only a failure of the network or the session stops.
    async fn upload_photos(
        &self,
        store: &SharedStore,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let pending = lock(store).pending_photos()?;
        for photo in pending {
            match self.upload_photo(store, &photo, report).await {
                Ok(()) => {}
                Err(SyncError::Api(e)) if e.is_refusal() => {
                    lock(store).refuse_photo(&photo.sha256, &e.message())?;
                    report.set_aside += 1;
                }
                // The server lost track of the offset again: next sync.
                Err(SyncError::Api(e)) if e.status() == Some(409) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn upload_photo(
        &self,
        store: &SharedStore,
        photo: &PendingPhoto,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        // Ask first: the server may hold part or all of it from an interrupted upload.
        let status = self.api.file_status(photo.kind, &photo.sha256).await?;
        let mut offset = status.as_ref().map(|s| s.received_bytes).unwrap_or(0);
        let mut complete = status.as_ref().is_some_and(|s| s.complete);
        if !complete {
            let Some(data) = lock(store).photo_data(&photo.sha256)? else {
                lock(store).refuse_photo(&photo.sha256, strings::PHOTO_FILE_MISSING)?;
                report.set_aside += 1;
                return Ok(());
            };
            if offset > data.len() as u64 {
                offset = 0;
            }
            let mut resyncs = 0;
            while offset < data.len() as u64 {
                let end = (offset as usize + self.config.photo_chunk).min(data.len());
                let chunk = &data[offset as usize..end];
                let status = match self
                    .api
                    .upload_chunk(photo.kind, &photo.sha256, offset, data.len() as u64, chunk)
                    .await
                {
                    Ok(s) => s,
                    // The server holds less than we thought (it lost a part): ask again.
                    Err(e) if e.status() == Some(409) && resyncs < 3 => {
                        resyncs += 1;
                        offset = self
                            .api
                            .file_status(photo.kind, &photo.sha256)
                            .await?
                            .map(|s| s.received_bytes)
                            .unwrap_or(0)
                            .min(data.len() as u64);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                report.photo_bytes_sent += chunk.len() as u64;
                if status.received_bytes <= offset && !status.complete {
                    // No progress: leave it for the next sync rather than spin.
                    break;
                }
                offset = status.received_bytes;
                complete = status.complete;
                lock(store).set_photo_uploaded(&photo.sha256, offset)?;
                if complete {
                    break;
                }
            }
        }
        if complete {
            lock(store).set_photo_complete(&photo.sha256)?;
            report.photos_completed += 1;
        }
        Ok(())
    }

    /// Pulls reference data and verdicts, and checks the server's watermark for this device.
    /// True when that moved the log (forked or rewound) and records wait to be pushed.
    async fn pull(&self, store: &SharedStore, report: &mut SyncReport) -> Result<bool, SyncError> {
        let cursor = lock(store).pull_cursor()?;
        let pull = self.api.pull(cursor.as_deref()).await?;
        report.reference_changed = pull.changed;
        report.verdicts = pull.verdicts.len();
        let verdict = {
            let mut s = lock(store);
            s.save_pull(&pull)?;
            let id = s.identity()?;
            match id.and_then(|id| pull.devices.iter().find(|w| w.device_id == id.device_id)) {
                Some(w) => s.check_watermark(w.contiguous_seq)?,
                None => Watermark::Consistent,
            }
        };
        match verdict {
            Watermark::Consistent => Ok(false),
            Watermark::Rewound => {
                report.rewound = true;
                Ok(true)
            }
            Watermark::Forked => {
                self.fork(store, report).await?;
                Ok(true)
            }
        }
    }

    /// For a supervisor: this month's spot-check queue. `None` for anyone else.
    pub async fn spot_checks(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<Option<zhucun_shared::spot_check::SpotCheckQueue>, SyncError> {
        if !holds(store, now, zhucun_shared::role::Role::Supervisor)?.1 {
            return Ok(None);
        }
        Ok(Some(self.api.spot_checks().await?))
    }

    /// For a team leader: the other members of the team, with this month's status and today's
    /// trajectory, from one request. Empty for anyone else.
    pub async fn team(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::team::TeamMember>, SyncError> {
        let today = zhucun_shared::period::local_date(now);
        let (me, leader) = holds(store, now, zhucun_shared::role::Role::TeamLeader)?;
        if !leader {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for m in self.api.team(today).await?.members {
            let (gaps, stays, visits) = crate::team::day_of(&m);
            let p = m.summary;
            let Some(role) = p.roles.iter().copied().find(|r| r.is_team_member()) else {
                continue;
            };
            if p.person.id == me {
                continue;
            }
            let (status, summary) = crate::team::summarise(&m.report);
            let fixes: Vec<_> = m.trajectory.points.into_iter().map(|t| t.fix).collect();
            let track = crate::team::track_from_fixes(&fixes);
            out.push(crate::team::TeamMember {
                person_id: p.person.id,
                name: p.person.name,
                role,
                status,
                summary,
                last_seen: track.last().map(|t| t.time),
                track,
                gaps,
                stays,
                visits,
            });
        }
        Ok(out)
    }
}

/// The signed-in person, and whether the pulled assignments give them `role` today.
fn holds(
    store: &SharedStore,
    now: DateTime<Utc>,
    role: zhucun_shared::role::Role,
) -> Result<(zhucun_shared::ids::PersonId, bool), SyncError> {
    let s = lock(store);
    let me = s.identity()?.ok_or(SyncError::NotSignedIn)?.person_id;
    let today = zhucun_shared::period::local_date(now);
    Ok((me, s.reference()?.org.roles_on(me, today).contains(&role)))
}
