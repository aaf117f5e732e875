//! The sync engine: pushes the log in sequence order in batches, uploads photo files
//! resumably, pulls reference data and verdicts, and retries with backoff. The queue is trimmed
//! only by the server's watermark (the highest seq it holds with everything before it).
//!
//! The store sits behind a `Mutex` that is locked only between awaits, never across one.

mod api;
mod backoff;

pub use api::{Api, ApiError, PersonSummary, Trajectory};
pub use backoff::Backoff;

use crate::store::{Identity, Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use zhucun_shared::sync::{Conflict, PushRequest, PROTOCOL_VERSION};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("this phone is not signed in")]
    NotSignedIn,
    #[error("this phone holds another person's records")]
    OtherPersonsLog,
    #[error("the server holds different records at seq {}: {}", .0.first().map(|c| c.seq).unwrap_or(0), .0.first().map(|c| c.reason.as_str()).unwrap_or(""))]
    Conflicts(Vec<Conflict>),
    #[error("the server did not confirm seq {sent}, holding up to {held}")]
    NotConfirmed { sent: u64, held: u64 },
}

impl SyncError {
    /// Worth trying again later: the network, a busy or failing server.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Api(e) => e.is_transient(),
            SyncError::NotConfirmed { .. } => true,
            _ => false,
        }
    }
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    pub records_sent: u64,
    pub confirmed_seq: u64,
    pub photos_completed: u64,
    pub photo_bytes_sent: u64,
    pub reference_changed: bool,
    pub verdicts: usize,
}

/// Tuning of one engine.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Records per push (the protocol allows up to 2000).
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

fn lock(store: &SharedStore) -> MutexGuard<'_, Store> {
    // A panic while holding the lock cannot leave the database half-written (every write is a
    // transaction), so the store stays usable.
    store.lock().unwrap_or_else(|e| e.into_inner())
}

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

    /// Signs in, enrols this phone, and keeps the session in the store. The server's watermark
    /// for the device becomes the confirmed point.
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
        let (id, server_seq) = match existing {
            // Same person signing in again: the log and its device stay.
            Some(id) if id.person_id == login.person_id => (id, 0),
            Some(_) if written > 0 => return Err(SyncError::OtherPersonsLog),
            _ => {
                let enrolled = self.api.enroll(label).await?;
                let id = Identity {
                    device_id: enrolled.device_id,
                    person_id: login.person_id,
                };
                (id, enrolled.contiguous_seq)
            }
        };
        let s = lock(store);
        s.set_meta("token", &login.token)?;
        s.set_meta("server_url", self.api.base_url())?;
        s.set_meta("person_name", &login.name)?;
        s.set_identity(id, server_seq)?;
        Ok(id)
    }

    /// One full sync: push, photos, pull.
    pub async fn sync_once(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        self.push(store, &mut report).await?;
        self.upload_photos(store, &mut report).await?;
        self.pull(store, &mut report).await?;
        lock(store).set_sync_success(now)?;
        Ok(report)
    }

    /// Syncs, retrying transient failures with backoff. Each failure is written down so the
    /// screen can show it; `sleep` is how to wait (tokio's in the app, instant in tests).
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
                    lock(store).set_sync_error(&e.to_string())?;
                    if !e.is_transient() || attempt >= self.config.max_attempts {
                        return Err(e);
                    }
                    let wait = backoff.next_delay(&mut rand::thread_rng());
                    sleep(wait).await;
                }
            }
        }
    }

    async fn push(&self, store: &SharedStore, report: &mut SyncReport) -> Result<(), SyncError> {
        loop {
            let (id, confirmed, batch) = {
                let s = lock(store);
                let id = s.identity()?.ok_or(SyncError::NotSignedIn)?;
                let confirmed = s.confirmed_seq()?;
                (
                    id,
                    confirmed,
                    s.records_after(confirmed, self.config.batch)?,
                )
            };
            report.confirmed_seq = confirmed;
            let Some(last) = batch.last().map(|r| r.seq) else {
                return Ok(());
            };
            let sent = batch.len() as u64;
            let resp = self
                .api
                .push(&PushRequest {
                    protocol: PROTOCOL_VERSION,
                    device_id: id.device_id,
                    sent_at: Utc::now(),
                    records: batch,
                })
                .await?;
            report.records_sent += sent;
            let held = resp
                .devices
                .iter()
                .find(|w| w.device_id == id.device_id)
                .map(|w| w.contiguous_seq)
                .unwrap_or(0);
            let now_confirmed = lock(store).confirm(held)?;
            report.confirmed_seq = now_confirmed;
            if now_confirmed < last {
                if !resp.conflicts.is_empty() {
                    return Err(SyncError::Conflicts(resp.conflicts));
                }
                return Err(SyncError::NotConfirmed { sent: last, held });
            }
        }
    }

    async fn upload_photos(
        &self,
        store: &SharedStore,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let pending = lock(store).pending_photos()?;
        for photo in pending {
            // Ask first: the server may hold part or all of it from an interrupted upload.
            let status = self.api.photo_status(&photo.sha256).await?;
            let mut offset = status.as_ref().map(|s| s.received_bytes).unwrap_or(0);
            let mut complete = status.as_ref().is_some_and(|s| s.complete);
            if !complete {
                let Some(data) = lock(store).photo_data(&photo.sha256)? else {
                    continue;
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
                        .upload_photo_chunk(&photo.sha256, offset, data.len() as u64, chunk)
                        .await
                    {
                        Ok(s) => s,
                        // The server holds less than we thought (it lost a part): ask again.
                        Err(e) if e.status() == Some(409) && resyncs < 3 => {
                            resyncs += 1;
                            offset = self
                                .api
                                .photo_status(&photo.sha256)
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
        }
        Ok(())
    }

    async fn pull(&self, store: &SharedStore, report: &mut SyncReport) -> Result<(), SyncError> {
        let cursor = lock(store).pull_cursor()?;
        let pull = self.api.pull(cursor.as_deref()).await?;
        report.reference_changed = pull.changed;
        report.verdicts = pull.verdicts.len();
        let mut s = lock(store);
        s.save_pull(&pull)?;
        if let Some(id) = s.identity()? {
            if let Some(w) = pull.devices.iter().find(|w| w.device_id == id.device_id) {
                report.confirmed_seq = s.confirm(w.contiguous_seq)?;
            }
        }
        Ok(())
    }

    /// For a team leader: the other members of the team, with this month's status and today's
    /// trajectory. Empty for anyone else.
    pub async fn team(
        &self,
        store: &SharedStore,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::team::TeamMember>, SyncError> {
        use zhucun_shared::role::Role;
        let today = zhucun_shared::period::local_date(now);
        let (me, reference) = {
            let s = lock(store);
            (
                s.identity()?.ok_or(SyncError::NotSignedIn)?.person_id,
                s.reference()?,
            )
        };
        if !reference.roles(me, today).contains(&Role::TeamLeader) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for p in self.api.people().await? {
            let Some(role) = p.roles.iter().copied().find(|r| r.is_team_member()) else {
                continue;
            };
            if p.person.id == me {
                continue;
            }
            let report = self.api.person_report(p.person.id).await?;
            let (status, summary) = crate::team::summarise(&report);
            let fixes: Vec<_> = self
                .api
                .trajectory(p.person.id, today)
                .await?
                .points
                .into_iter()
                .map(|t| t.fix)
                .collect();
            let track = crate::team::track_from_fixes(&fixes);
            out.push(crate::team::TeamMember {
                person_id: p.person.id,
                name: p.person.name,
                role,
                status,
                summary,
                last_seen: track.last().map(|t| t.time),
                track,
            });
        }
        Ok(out)
    }
}
