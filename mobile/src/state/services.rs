//! What the screens read and how they act. [`Services`] holds the store, the capture flows,
//! the clock and the sync engine; every action goes through it and then refreshes the
//! [`Snapshot`], a plain value the pages render. Components reach both through the typed
//! accessors [`use_services`] and [`use_app_state`].

use crate::capture::{
    nearest_households, Capture, CaptureError, CaptureState, Command, NearbyHousehold, TrackPolicy,
    VisitOutlook,
};
use crate::households::{HouseholdList, ListInputs};
use crate::pacing::Pacing;
use crate::platform::clock::Clock;
use crate::platform::location::LocationEvent;
use crate::platform::photo::{prepare, PhotoPolicy};
use crate::platform::watermark::{WatermarkFacts, WatermarkFont};
use crate::progress::{self, Progress, ServerAnswer};
use crate::store::{
    EntryRow, LocationGap, QueueState, Reference, Store, StoreError, TrackPoint, VisitRow,
};
use crate::strings;
use crate::sync::{
    lock, Api, Backoff, Retry, SharedStore, SyncConfig, SyncEngine, SyncError, SyncReport,
    SyncStatus,
};
use chrono::{DateTime, Duration, Utc};
use dioxus::prelude::*;
use geo::MultiPolygon;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use zhucun_shared::ids::{RecordId, VillageId};
use zhucun_shared::org::Household;
use zhucun_shared::period::{day_start, local_date};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::SpotCheckQueue;

pub use crate::team::TeamMember;

/// A village as the screens draw it.
#[derive(Clone, Debug, PartialEq)]
pub struct VillageView {
    pub id: VillageId,
    pub name: String,
    pub boundary: MultiPolygon<f64>,
}

/// A visit with the household's name and the server's answer on it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitView {
    pub row: VisitRow,
    pub household: String,
    /// 计入 / 不计入 as of the last sync's verdicts.
    pub server: Option<ServerAnswer>,
}

/// The outcome of the last action, shown as a banner.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Saved(String),
    Error(String),
}

/// Why the app asks the cadre to sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInNeed {
    /// This phone was never enrolled: nothing can be recorded yet.
    NotEnrolled,
    /// The server no longer accepts the session; capture goes on, upload waits.
    Expired,
}

/// How long this month's progress, re-evaluated over the whole log, is reused while only
/// fixes arrive. A cadre's own action always re-evaluates it.
pub const PROGRESS_EVERY: Duration = Duration::seconds(30);

/// How long an event stays listed after its last day to attend it (late attendance still
/// shows on the verdict).
pub const OPEN_EVENTS_OVERDUE_DAYS: i64 = zhucun_shared::events::SHOWN_OVERDUE_DAYS;

/// Everything the screens show.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub now: DateTime<Utc>,
    pub person_name: Option<String>,
    pub roles: Vec<Role>,
    /// Set when the sign-in screen must be shown.
    pub sign_in: Option<SignInNeed>,
    /// The server to prefill on the sign-in screen.
    pub server_url: Option<String>,
    pub capture: CaptureState,
    /// Whether the latest visit will count, as the phone can tell.
    pub visit_outlook: Option<VisitOutlook>,
    pub village: Option<VillageView>,
    /// The current village's households, nearest first.
    pub households: Vec<NearbyHousehold>,
    pub visits_today: Vec<VisitView>,
    /// The last 30 days' visits, newest first.
    pub history: Vec<VisitView>,
    pub entries: Vec<EntryRow>,
    /// 四必到 events recorded here that no check-in is linked to yet, with the days left.
    pub open_events: Vec<zhucun_shared::events::OpenEvent>,
    /// Who recorded or attended the open events, by name (我 for this phone's owner).
    pub event_people: HashMap<zhucun_shared::ids::PersonId, String>,
    pub queue: QueueState,
    pub progress: Option<Progress>,
    /// 本月进度 in a few lines: what is missing and the working days left.
    pub pacing: Option<Pacing>,
    /// The village's households with their marks (结对, 必访, 本月已访), by 村民小组.
    pub household_list: HouseholdList,
    /// Where syncing stands: under way, retrying, failed, last success.
    pub sync_status: SyncStatus,
    pub team: Vec<TeamMember>,
    /// For a supervisor: the spot-check queue as of the last sync.
    pub spot_checks: Option<SpotCheckQueue>,
    /// 请假、公差: my requests, each with the decision pulled from the server.
    pub absences: Vec<zhucun_shared::leave::Absence>,
    /// For an approver: the requests they may decide, as of the last sync.
    pub leave_requests: Vec<zhucun_shared::leave::LeaveItem>,
    /// Decisions written on this phone, by request (shown before the server lists them).
    pub leave_sent: HashMap<RecordId, (zhucun_shared::leave::LeaveDecision, DateTime<Utc>)>,
    /// Findings written on this phone, by the record they are attached to (shown at once,
    /// before the server has them).
    pub my_notes: HashMap<RecordId, String>,
    /// Today's own trajectory (the open or latest duty session).
    pub track: Vec<TrackPoint>,
    /// 定位中断: the gaps in that trajectory, with their causes.
    pub gaps: Vec<LocationGap>,
    pub location_simulated: bool,
    pub syncing: bool,
    pub notice: Option<Notice>,
}

impl Snapshot {
    pub fn empty(now: DateTime<Utc>) -> Snapshot {
        Snapshot {
            now,
            person_name: None,
            roles: Vec::new(),
            sign_in: None,
            server_url: None,
            capture: CaptureState::default(),
            visit_outlook: None,
            village: None,
            households: Vec::new(),
            visits_today: Vec::new(),
            history: Vec::new(),
            entries: Vec::new(),
            open_events: Vec::new(),
            event_people: HashMap::new(),
            queue: QueueState::default(),
            progress: None,
            pacing: None,
            household_list: HouseholdList::default(),
            sync_status: SyncStatus::Never { pending: 0 },
            team: Vec::new(),
            spot_checks: None,
            absences: Vec::new(),
            leave_requests: Vec::new(),
            leave_sent: HashMap::new(),
            my_notes: HashMap::new(),
            track: Vec::new(),
            gaps: Vec::new(),
            location_simulated: false,
            syncing: false,
            notice: None,
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn household_name(&self, id: zhucun_shared::ids::HouseholdId) -> Option<&str> {
        self.households
            .iter()
            .find(|h| h.household.id == id)
            .map(|h| h.household.head_name.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// This month's progress as last evaluated.
#[derive(Clone)]
struct ProgressCache {
    at: DateTime<Utc>,
    last_seq: u64,
    roles: Vec<Role>,
    progress: Option<Progress>,
}

/// The app's services, shared by every component.
#[derive(Clone)]
pub struct Services {
    store: SharedStore,
    capture: Arc<Mutex<Capture>>,
    clock: Arc<dyn Clock>,
    /// Set at launch when a server is known, or by signing in.
    sync: Arc<Mutex<Option<SyncEngine>>>,
    team: Arc<Mutex<Vec<TeamMember>>>,
    spot_checks: Arc<Mutex<Option<SpotCheckQueue>>>,
    /// For an approver: the leave requests they may decide, as of the last sync.
    leave_requests: Arc<Mutex<Vec<zhucun_shared::leave::LeaveItem>>>,
    progress: Arc<Mutex<Option<ProgressCache>>>,
    /// A sync is under way: set by a [`SyncGuard`], cleared when it drops.
    syncing: Arc<AtomicBool>,
    /// The retry the sync under way waits for, while it waits.
    retry: Arc<Mutex<Option<Retry>>>,
    /// The note being typed for the open visit, not saved yet: kept while the cadre looks at
    /// another tab, and saved by 入户签退.
    note_draft: Arc<Mutex<Option<(RecordId, String)>>>,
    simulated_location: bool,
    /// Woken when a duty session starts or ends, so the location source follows at once.
    duty_changed: Arc<tokio::sync::Notify>,
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
            team: Arc::new(Mutex::new(Vec::new())),
            spot_checks: Arc::new(Mutex::new(None)),
            leave_requests: Arc::new(Mutex::new(Vec::new())),
            progress: Arc::new(Mutex::new(None)),
            syncing: Arc::new(AtomicBool::new(false)),
            retry: Arc::new(Mutex::new(None)),
            note_draft: Arc::new(Mutex::new(None)),
            simulated_location,
            duty_changed: Arc::new(tokio::sync::Notify::new()),
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
        *lock(&self.spot_checks) = Some(crate::spot_check::distinct(queue));
    }

    /// Keeps the leave requests an approver may decide (请假审批).
    pub fn set_leave_requests(&self, items: Vec<zhucun_shared::leave::LeaveItem>) {
        *lock(&self.leave_requests) = items;
    }

    pub fn set_team(&self, team: Vec<TeamMember>) {
        *lock(&self.team) = team;
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
    pub fn location(&self, event: LocationEvent) -> Result<(), ServiceError> {
        let now = self.now();
        let mut store = lock(&self.store);
        let reference = store.reference()?;
        lock(&self.capture).on_location(&mut store, &reference, event, now)?;
        Ok(())
    }

    /// Fixes where a picture being taken now goes: `attached_to`, or else the open visit.
    /// Call it when the camera returns, before the re-encode, so a visit checked out
    /// meanwhile still gets its photo.
    pub fn photo_target(&self, attached_to: Option<RecordId>) -> Result<PhotoTarget, String> {
        let now = self.now();
        let store = lock(&self.store);
        let reference = store.reference().map_err(|e| e.to_string())?;
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
                    .ok_or_else(|| CaptureError::NoOpenVisit.to_string())?
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
    pub fn photo(&self, target: PhotoTarget, picture: &[u8]) -> Result<(), String> {
        let font = WatermarkFont::system();
        let prepared = prepare(
            picture,
            &PhotoPolicy::default(),
            Some((&target.watermark, font)),
        )
        .map_err(|e| e.to_string())?;
        let now = self.now();
        let mut store = lock(&self.store);
        lock(&self.capture)
            .photo_from_camera(
                &mut store,
                Some(target.attached_to),
                &prepared.encoded,
                target.taken_at,
                &prepared.exif,
                now,
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Signs in at `server_url`, enrolling this phone if it is new, and keeps the session.
    /// The same cadre signing in again after the session expired keeps the log as it is.
    pub async fn sign_in(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<(), String> {
        let api = Api::new(server_url.trim()).map_err(|e| e.to_string())?;
        let mut engine = SyncEngine::new(api, SyncConfig::default());
        let label = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
        match engine
            .sign_in(&self.store, username.trim(), password, &label)
            .await
        {
            Ok(_) => {}
            Err(SyncError::Api(e)) if e.is_unauthorised() => {
                return Err(strings::ERR_BAD_CREDENTIALS.to_string())
            }
            Err(e) => return Err(e.to_string()),
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
    pub async fn sync(&self) -> Option<Result<SyncReport, String>> {
        let guard = self.begin_sync()?;
        self.sync_marked(guard).await
    }

    /// One sync with retries, marked under way by `_guard` until it ends or is dropped;
    /// `None` when no server is known.
    pub async fn sync_marked(&self, guard: SyncGuard) -> Option<Result<SyncReport, String>> {
        self.sync_marked_then(guard, || {}).await
    }

    /// As [`Services::sync_marked`], calling `on_wait` whenever the engine starts waiting to
    /// retry (the screen shows when the next attempt is).
    pub async fn sync_marked_then(
        &self,
        _guard: SyncGuard,
        on_wait: impl Fn(),
    ) -> Option<Result<SyncReport, String>> {
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
        Some(result.map_err(|e| e.to_string()))
    }

    /// Builds what the screens show from the store, re-evaluating this month's progress.
    pub fn snapshot(&self) -> Result<Snapshot, ServiceError> {
        self.snapshot_with(true)
    }

    /// Builds what the screens show, reusing this month's progress if it was evaluated less
    /// than [`PROGRESS_EVERY`] ago (after a fix: the log grows by a point, not by a visit).
    pub fn snapshot_after_fix(&self) -> Result<Snapshot, ServiceError> {
        self.snapshot_with(false)
    }

    fn snapshot_with(&self, fresh_progress: bool) -> Result<Snapshot, ServiceError> {
        let now = self.now();
        let store = lock(&self.store);
        let reference = store.reference()?;
        let capture = lock(&self.capture).state().clone();
        let identity = store.identity()?;
        let me = identity.map(|i| i.person_id);
        let today = local_date(now);
        let mut snap = Snapshot::empty(now);
        snap.sign_in = match identity {
            None => Some(SignInNeed::NotEnrolled),
            Some(_) if store.session_expired()? => Some(SignInNeed::Expired),
            Some(_) => None,
        };
        snap.server_url = store.meta("server_url")?;
        snap.syncing = self.is_syncing();
        snap.location_simulated = self.simulated_location;
        snap.person_name = reference
            .me
            .as_ref()
            .map(|p| p.name.clone())
            .or(store.meta("person_name")?);
        let village_id = capture.current_village().or_else(|| {
            me.and_then(|p| reference.org.villages_of(p, today, today).first().copied())
        });
        snap.village = village_id
            .and_then(|v| reference.org.village(v))
            .map(|v| VillageView {
                id: v.id,
                name: v.name.clone(),
                boundary: v.boundary.clone(),
            });
        if let Some(v) = village_id {
            snap.households =
                nearest_households(&reference, v, capture.fresh_fix(now).map(|f| f.position()));
        }
        let name = |r: &Reference, row: VisitRow| VisitView {
            server: me.and_then(|p| progress::server_answer(&r.verdicts, p, row.check_in_id)),
            household: r
                .org
                .household(row.household_id)
                .map(|h: &Household| h.head_name.clone())
                .unwrap_or_default(),
            row,
        };
        let day0 = day_start(today);
        snap.visits_today = store
            .visits(day0, day0 + Duration::days(1))?
            .into_iter()
            .map(|r| name(&reference, r))
            .collect();
        snap.history = store
            .visits(day0 - Duration::days(30), day0 + Duration::days(1))?
            .into_iter()
            .map(|r| name(&reference, r))
            .collect();
        snap.entries = store.entries(30)?;
        if let Some(days) = zhucun_shared::events::attend_within_days(&reference.catalogue) {
            snap.open_events = store.open_events(today, days, OPEN_EVENTS_OVERDUE_DAYS)?;
            let me = reference.me.as_ref().map(|p| p.id);
            for e in &snap.open_events {
                for id in std::iter::once(e.recorded_by).chain(e.attended.map(|a| a.by)) {
                    let name = match reference.org.person(id) {
                        _ if Some(id) == me => "我".to_string(),
                        Some(p) => p.name.clone(),
                        None => strings::TEAMMATE.to_string(),
                    };
                    snap.event_people.insert(id, name);
                }
            }
        }
        // Only the spot-check screen shows them, and only a supervisor has a queue.
        if lock(&self.spot_checks).is_some() {
            snap.my_notes = store.notes_by_target()?;
        }
        snap.absences = store.absences()?;
        snap.leave_sent = store.leave_decisions_sent()?;
        snap.queue = store.queue_state()?;
        snap.sync_status = SyncStatus::of(&snap.queue, snap.syncing, *lock(&self.retry), now);
        let month = zhucun_shared::period::Period::containing(
            zhucun_shared::period::PeriodKind::Month,
            today,
        )
        .expect("a month");
        if let Some(v) = village_id {
            let (from, to) = (
                day_start(month.first_day()),
                day_start(month.last_day()) + Duration::days(1),
            );
            snap.household_list = HouseholdList::build(
                &reference,
                &ListInputs {
                    me,
                    village: v,
                    month,
                    here: capture.fresh_fix(now).map(|f| f.position()),
                    visits: &store.visits(from, to)?,
                    event_households: &store.event_households(from, to)?,
                },
            );
        }
        let duty = match &capture.duty {
            Some(d) => Some(d.duty),
            None => store
                .duty_sessions(day0, day0 + Duration::days(1))?
                .last()
                .map(|d| d.duty_id),
        };
        if let Some(d) = duty {
            snap.track = store.track(d)?;
            snap.gaps = store.location_gaps(d)?;
        }
        let last_seq = snap.queue.last_seq;
        let cached = lock(&self.progress).clone().filter(|c| {
            !fresh_progress && c.last_seq <= last_seq && now - c.at < PROGRESS_EVERY && now >= c.at
        });
        let records = match (&cached, me) {
            (None, Some(_)) => Some(store.records_for_estimate()?),
            _ => None,
        };
        // The evaluation runs over the whole log: not while holding the store.
        drop(store);
        snap.team = lock(&self.team).clone();
        snap.spot_checks = lock(&self.spot_checks).clone();
        snap.leave_requests = lock(&self.leave_requests).clone();
        snap.visit_outlook = capture.visit_outlook(&reference, now);
        snap.capture = capture;
        let evaluated = match (cached, me, records) {
            (Some(c), _, _) => c,
            (None, Some(p), Some(records)) => {
                let month = zhucun_shared::period::Period::containing(
                    zhucun_shared::period::PeriodKind::Month,
                    today,
                )
                .expect("a month");
                let c = ProgressCache {
                    at: now,
                    last_seq,
                    roles: progress::roles_in(&reference, p, month),
                    progress: Some(progress::compute(&reference, &records, p, now)),
                };
                *lock(&self.progress) = Some(c.clone());
                c
            }
            _ => ProgressCache {
                at: now,
                last_seq,
                roles: Vec::new(),
                progress: None,
            },
        };
        snap.roles = evaluated.roles;
        snap.pacing = evaluated
            .progress
            .as_ref()
            .map(|p| crate::pacing::pace(p, &reference.calendar, today));
        snap.progress = evaluated.progress;
        Ok(snap)
    }
}

/// The screens' reactive state.
#[derive(Clone, Copy, PartialEq)]
pub struct AppState {
    pub snapshot: Signal<Snapshot>,
}

impl AppState {
    /// Rebuilds the snapshot after an action, keeping `notice`.
    pub fn refresh(self, services: &Services, notice: Option<Notice>) {
        self.refresh_with(services, services.snapshot(), notice)
    }

    /// Rebuilds the snapshot after a location event (progress re-evaluated at most every
    /// [`PROGRESS_EVERY`]).
    pub fn refresh_after_fix(self, services: &Services, notice: Option<Notice>) {
        self.refresh_with(services, services.snapshot_after_fix(), notice)
    }

    fn refresh_with(
        mut self,
        services: &Services,
        snap: Result<Snapshot, ServiceError>,
        notice: Option<Notice>,
    ) {
        let mut snap = match snap {
            Ok(s) => s,
            Err(e) => {
                let mut s = self.snapshot.peek().clone();
                s.syncing = services.is_syncing();
                s.notice = Some(Notice::Error(e.to_string()));
                self.snapshot.set(s);
                return;
            }
        };
        snap.notice = notice;
        self.snapshot.set(snap);
    }

    /// Runs a command and shows its outcome; whether it was saved. A household check-in says
    /// at once whether the visit will count.
    pub fn run(self, services: &Services, cmd: Command, saved: &str) -> bool {
        let visit = matches!(
            cmd,
            Command::HouseholdCheckIn { .. }
                | Command::HouseholdCheckOut
                | Command::AttendEvent {
                    household_id: Some(_),
                    ..
                }
        );
        let ok = self.act(services, |s| s.command(cmd), saved);
        if ok && visit {
            self.tell_outlook(saved);
        }
        ok
    }

    /// Says with `saved` whether the latest visit will count and why not.
    pub fn tell_outlook(mut self, saved: &str) {
        let outlook = self.snapshot.peek().visit_outlook.clone();
        if let Some(o) = outlook {
            self.snapshot.write().notice = Some(Notice::Saved(format!(
                "{saved}：{}",
                strings::outlook(&o.shortfalls)
            )));
        }
    }

    /// Carries out an action of `services` and shows its outcome; whether it was saved.
    pub fn act(
        self,
        services: &Services,
        action: impl FnOnce(&Services) -> Result<(), ServiceError>,
        saved: &str,
    ) -> bool {
        let (ok, notice) = match action(services) {
            Ok(()) => (true, Notice::Saved(saved.to_string())),
            Err(e) => (false, Notice::Error(e.to_string())),
        };
        self.refresh(services, Some(notice));
        ok
    }
}

pub fn use_services() -> Services {
    use_context::<Services>()
}

pub fn use_app_state() -> AppState {
    use_context::<AppState>()
}

/// Starts a sync unless one is under way. The sync belongs to the app, not to the screen that
/// asked for it: it runs in the root scope, so signing in (whose screen closes at once) or
/// leaving 今日 does not cancel it. Never holds a signal across the await.
pub fn start_sync(state: AppState, services: Services) {
    let Some(guard) = services.begin_sync() else {
        return;
    };
    let mut snapshot = state.snapshot;
    snapshot.write().syncing = true;
    dioxus::dioxus_core::spawn_forever(async move {
        let result = services
            .sync_marked_then(guard, || {
                let notice = state.snapshot.peek().notice.clone();
                state.refresh(&services, notice);
            })
            .await;
        let notice = match result {
            // No server configured (the demo): nothing to say.
            None => None,
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(Notice::Error(format!("{}：{e}", strings::SYNC_FAILED))),
        };
        state.refresh(&services, notice);
    });
}
