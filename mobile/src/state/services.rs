//! The facade every screen acts through: [`Services`] holds the store, the capture flows, the
//! clock and the sync engine. Its errors are [`ServiceError`]s, whose text is what the cadre
//! reads: a Chinese sentence saying what to do (the details are in `Debug`).

use super::parts::{Builds, ProgressCache, TeamView};
use crate::capture::{Capture, CaptureError, Command, TrackPolicy};
use crate::platform::clock::Clock;
use crate::platform::location::LocationEvent;
use crate::platform::photo::{prepare, PhotoError, PhotoPolicy};
use crate::platform::watermark::{WatermarkFacts, WatermarkFont};
use crate::store::{Store, StoreError};
use crate::strings;
use crate::sync::{
    lock, Api, ApiError, Backoff, Retry, SharedStore, SyncConfig, SyncEngine, SyncError, SyncReport,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use zhucun_shared::ids::RecordId;
use zhucun_shared::spot_check::SpotCheckQueue;

pub use crate::team::TeamMember;

/// What went wrong with an action, as the cadre reads it on the banner. Every variant's text is
/// the inner error's, and every inner error words itself in Chinese through
/// [`crate::strings`], saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// Signing in: the server refused the user name or the password.
    #[error("{}", strings::ERR_BAD_CREDENTIALS)]
    BadCredentials,
}

/// The app's services, shared by every component.
#[derive(Clone)]
pub struct Services {
    pub(super) store: SharedStore,
    pub(super) capture: Arc<Mutex<Capture>>,
    pub(super) clock: Arc<dyn Clock>,
    /// Set at launch when a server is known, or by signing in.
    pub(super) sync: Arc<Mutex<Option<SyncEngine>>>,
    /// What the last sync brought for a team leader, a supervisor or an approver, kept
    /// between syncs (the server is asked again on the next one).
    pub(super) pulled: Arc<Mutex<TeamView>>,
    pub(super) progress: Arc<Mutex<Option<ProgressCache>>>,
    /// A sync is under way: set by a [`SyncGuard`], cleared when it drops.
    pub(super) syncing: Arc<AtomicBool>,
    /// The retry the sync under way waits for, while it waits.
    pub(super) retry: Arc<Mutex<Option<Retry>>>,
    /// The note being typed for the open visit, not saved yet: kept while the cadre looks at
    /// another tab, and saved by 入户签退.
    pub(super) note_draft: Arc<Mutex<Option<(RecordId, String)>>>,
    pub(super) simulated_location: bool,
    /// Woken when a duty session starts or ends, so the location source follows at once.
    pub(super) duty_changed: Arc<tokio::sync::Notify>,
    /// How many times each part of the screens' state was built (see [`Services::builds`]).
    pub(super) builds: Arc<Builds>,
    /// The local day every part was last built for: a fix on another day rebuilds them all
    /// (today's visits, the events' days left, the month's marks).
    pub(super) built_for: Arc<Mutex<Option<chrono::NaiveDate>>>,
}

/// Marks a sync under way for as long as it lives. Dropping it (the sync finished, failed, or
/// its task was dropped halfway) clears the mark, so 立即同步 and the periodic sync never stay
/// blocked by a sync that no longer runs.
#[derive(Debug)]
pub struct SyncGuard(Arc<AtomicBool>);

impl Drop for SyncGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Where a photo goes and what its watermark says, fixed the moment it is taken (before the
/// slow re-encode).
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoTarget {
    pub attached_to: RecordId,
    pub taken_at: DateTime<Utc>,
    pub watermark: WatermarkFacts,
}

impl PartialEq for Services {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl Services {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        sync: Option<SyncEngine>,
        simulated_location: bool,
    ) -> Result<Services, ServiceError> {
        let capture = Capture::load(&store, TrackPolicy::default())?;
        Ok(Services {
            store: Arc::new(Mutex::new(store)),
            capture: Arc::new(Mutex::new(capture)),
            clock,
            sync: Arc::new(Mutex::new(sync)),
            pulled: Arc::new(Mutex::new(TeamView::default())),
            progress: Arc::new(Mutex::new(None)),
            syncing: Arc::new(AtomicBool::new(false)),
            retry: Arc::new(Mutex::new(None)),
            note_draft: Arc::new(Mutex::new(None)),
            simulated_location,
            duty_changed: Arc::new(tokio::sync::Notify::new()),
            builds: Arc::new(Builds::default()),
            built_for: Arc::new(Mutex::new(None)),
        })
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Keeps the supervisor's queue, one item per visit or flag and kind (see
    /// [`crate::spot_check::distinct`]).
    pub fn set_spot_checks(&self, queue: SpotCheckQueue) {
        lock(&self.pulled).spot_checks = Some(crate::spot_check::distinct(queue));
    }

    /// Keeps the leave requests an approver may decide (请假审批).
    pub fn set_leave_requests(&self, items: Vec<zhucun_shared::leave::LeaveItem>) {
        lock(&self.pulled).leave_requests = items;
    }

    pub fn set_team(&self, team: Vec<TeamMember>) {
        lock(&self.pulled).members = team;
    }

    /// Puts what the server refused back in the queue for the next sync.
    pub fn retry_set_aside(&self) -> Result<usize, ServiceError> {
        Ok(lock(&self.store).retry_set_aside()?)
    }

    /// Carries out a command; returns what to say.
    pub fn command(&self, cmd: Command) -> Result<(), ServiceError> {
        let now = self.now();
        let mut store = lock(&self.store);
        let reference = store.reference()?;
        let mut capture = lock(&self.capture);
        let before = capture.state().duty.as_ref().map(|d| d.duty);
        capture.exec(&mut store, &reference, cmd, now)?;
        if capture.state().duty.as_ref().map(|d| d.duty) != before {
            self.duty_changed.notify_one();
        }
        Ok(())
    }

    /// The open duty session, which the location source follows.
    pub fn open_duty(&self) -> Option<RecordId> {
        lock(&self.capture).state().duty.as_ref().map(|d| d.duty)
    }

    /// Resolves when a duty session has started or ended since the last call.
    pub async fn duty_changed(&self) {
        self.duty_changed.notified().await
    }

    /// The location source started for the open duty: a silence before it, with no gap
    /// written, was the app or its location service killed. Whether a record was written.
    pub fn location_started(&self) -> Result<bool, ServiceError> {
        let now = self.now();
        let mut store = lock(&self.store);
        Ok(!lock(&self.capture)
            .on_source_restarted(&mut store, now)?
            .is_empty())
    }

    /// Once a minute while the source runs: a long silence on duty is a gap for no signal.
    /// Whether a record was written.
    pub fn location_tick(&self) -> Result<bool, ServiceError> {
        let now = self.now();
        let mut store = lock(&self.store);
        Ok(!lock(&self.capture).on_tick(&mut store, now)?.is_empty())
    }

    /// 撤回: withdraws a mistaken check-in (the visit stays in the log, marked, and no longer
    /// counts).
    pub fn withdraw_visit(&self, check_in: RecordId) -> Result<(), ServiceError> {
        self.command(Command::Retract {
            target: check_in,
            reason: strings::WITHDRAW_VISIT_REASON.to_string(),
        })
    }

    /// 撤回进村签到: withdraws a mistaken village check-in with a retraction record (kept in
    /// the log); the village card shows 未进村 again.
    pub fn withdraw_village_check_in(&self, check_in: RecordId) -> Result<(), ServiceError> {
        self.command(Command::Retract {
            target: check_in,
            reason: strings::WITHDRAW_VILLAGE_REASON.to_string(),
        })
    }

    /// The note typed for `visit` and not saved yet.
    pub fn note_draft(&self, visit: RecordId) -> String {
        match &*lock(&self.note_draft) {
            Some((v, text)) if *v == visit => text.clone(),
            _ => String::new(),
        }
    }

    pub fn set_note_draft(&self, visit: RecordId, text: String) {
        *lock(&self.note_draft) = Some((visit, text));
    }

    /// 保存走访记录: saves the note typed for the open visit.
    pub fn save_visit_note(&self) -> Result<(), ServiceError> {
        let Some(visit) = lock(&self.capture)
            .state()
            .visit
            .as_ref()
            .map(|v| v.check_in)
        else {
            return Err(CaptureError::NoOpenVisit.into());
        };
        let text = self.note_draft(visit);
        self.command(Command::Note {
            attached_to: None,
            text,
        })?;
        *lock(&self.note_draft) = None;
        Ok(())
    }

    /// 入户签退. A note typed and not saved yet is saved first, with the visit; if it cannot
    /// be (too long, say), the visit stays open so the note is not lost.
    pub fn check_out_visit(&self) -> Result<(), ServiceError> {
        let visit = lock(&self.capture)
            .state()
            .visit
            .as_ref()
            .map(|v| v.check_in);
        if let Some(v) = visit {
            if !self.note_draft(v).trim().is_empty() {
                self.save_visit_note()?;
            }
        }
        self.command(Command::HouseholdCheckOut)
    }

    /// Takes in a location event.
    /// Whether it changed more than where the cadre is and the queue: it wrote a record other
    /// than the fix (a visit's better fix, a gap), or came on another day than the parts were
    /// built for. Then every part is to be built again.
    pub fn location(&self, event: LocationEvent) -> Result<bool, ServiceError> {
        let now = self.now();
        let mut store = lock(&self.store);
        let reference = store.reference()?;
        let written = lock(&self.capture).on_location(&mut store, &reference, event, now)?;
        let other = written
            .iter()
            .any(|r| !matches!(r.body, zhucun_shared::record::RecordBody::Fix { .. }));
        let new_day = *lock(&self.built_for) != Some(zhucun_shared::period::local_date(now));
        Ok(other || new_day)
    }

    /// Fixes where a picture being taken now goes: `attached_to`, or else the open visit.
    /// Call it when the camera returns, before the re-encode, so a visit checked out
    /// meanwhile still gets its photo.
    pub fn photo_target(&self, attached_to: Option<RecordId>) -> Result<PhotoTarget, ServiceError> {
        let now = self.now();
        let store = lock(&self.store);
        let reference = store.reference()?;
        let cadre = store.meta("person_name").ok().flatten();
        drop(store);
        let capture = lock(&self.capture);
        let state = capture.state();
        let attached_to = match attached_to {
            Some(id) => id,
            None => {
                state
                    .visit
                    .as_ref()
                    .ok_or(CaptureError::NoOpenVisit)?
                    .check_in
            }
        };
        let cadre = reference.me.as_ref().map(|p| p.name.clone()).or(cadre);
        Ok(PhotoTarget {
            attached_to,
            taken_at: now,
            watermark: state.watermark(&reference, cadre, attached_to, now),
        })
    }

    /// Saves a picture from the camera with the record fixed when it was taken, through the
    /// one save path ([`prepare`]): the camera's EXIF read, the picture re-encoded with the
    /// watermark burned in. Call it off the UI thread: decoding a 12-megapixel picture takes a
    /// while on a cheap phone. The store is not locked during the re-encode.
    pub fn photo(&self, target: PhotoTarget, picture: &[u8]) -> Result<(), ServiceError> {
        let font = WatermarkFont::system();
        let prepared = prepare(
            picture,
            &PhotoPolicy::default(),
            Some((&target.watermark, font)),
        )?;
        let now = self.now();
        let mut store = lock(&self.store);
        lock(&self.capture).photo_from_camera(
            &mut store,
            Some(target.attached_to),
            &prepared.encoded,
            target.taken_at,
            &prepared.exif,
            now,
        )?;
        Ok(())
    }

    /// Signs in at `server_url`, enrolling this phone if it is new, and keeps the session.
    /// The same cadre signing in again after the session expired keeps the log as it is.
    pub async fn sign_in(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<(), ServiceError> {
        let api = Api::new(server_url.trim())?;
        let mut engine = SyncEngine::new(api, SyncConfig::default());
        let label = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
        match engine
            .sign_in(&self.store, username.trim(), password, &label)
            .await
        {
            Ok(_) => {}
            Err(SyncError::Api(e)) if e.is_unauthorised() => {
                return Err(ServiceError::BadCredentials)
            }
            Err(e) => return Err(e.into()),
        }
        *lock(&self.sync) = Some(engine);
        Ok(())
    }

    /// Whether a sync is under way.
    pub fn is_syncing(&self) -> bool {
        self.syncing.load(Ordering::SeqCst)
    }

    /// Marks a sync under way; `None` when one already is.
    pub fn begin_sync(&self) -> Option<SyncGuard> {
        self.syncing
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .ok()
            .map(|_| SyncGuard(self.syncing.clone()))
    }

    /// One sync with retries; `None` when no server is known or a sync is already under way.
    pub async fn sync(&self) -> Option<Result<SyncReport, ServiceError>> {
        let guard = self.begin_sync()?;
        self.sync_marked(guard).await
    }

    /// One sync with retries, marked under way by `_guard` until it ends or is dropped;
    /// `None` when no server is known.
    pub async fn sync_marked(&self, guard: SyncGuard) -> Option<Result<SyncReport, ServiceError>> {
        self.sync_marked_then(guard, || {}).await
    }

    /// As [`Services::sync_marked`], calling `on_wait` whenever the engine starts waiting to
    /// retry (the screen shows when the next attempt is).
    pub async fn sync_marked_then(
        &self,
        _guard: SyncGuard,
        on_wait: impl Fn(),
    ) -> Option<Result<SyncReport, ServiceError>> {
        let engine = lock(&self.sync).clone()?;
        let clock = self.clock.clone();
        let mut backoff = Backoff::default();
        let mut failed = 0;
        let result = engine
            .sync_with_retry(
                &self.store,
                {
                    let clock = clock.clone();
                    move || clock.now()
                },
                &mut backoff,
                |d| {
                    failed += 1;
                    let at = clock.now() + Duration::from_std(d).unwrap_or(Duration::zero());
                    *lock(&self.retry) = Some(Retry {
                        failed_attempt: failed,
                        at,
                    });
                    on_wait();
                    let retry = self.retry.clone();
                    async move {
                        tokio::time::sleep(d).await;
                        *lock(&retry) = None;
                    }
                },
            )
            .await;
        *lock(&self.retry) = None;
        if result.is_ok() {
            // The team screen is a courtesy: its failure does not fail the sync.
            if let Ok(team) = engine.team(&self.store, self.clock.now()).await {
                if !team.is_empty() {
                    self.set_team(team);
                }
            }
            if let Ok(Some(queue)) = engine.spot_checks(&self.store, self.clock.now()).await {
                self.set_spot_checks(queue);
            }
            if let Ok(items) = engine.leave_requests(&self.store, self.clock.now()).await {
                self.set_leave_requests(items);
            }
        }
        Some(result.map_err(ServiceError::from))
    }
}
