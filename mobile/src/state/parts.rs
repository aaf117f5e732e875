//! What the screens show, in parts that change for different reasons, each a plain value built
//! from the store by [`Services`]:
//!
//! - [`Here`] (值守与定位): the capture state, today's track and its gaps — changes with every fix;
//! - [`SyncView`]: what waits to go up and how syncing stands — a fix adds a point to it;
//! - [`MonthProgress`]: this month's progress, re-evaluated over the whole log, at most every
//!   [`PROGRESS_EVERY`] while only fixes arrive;
//! - [`Account`], [`Place`], [`Records`], the [`HouseholdList`] and [`TeamView`]: change on an
//!   action of the cadre's or a sync, never on a fix.
//!
//! [`Services::parts`] builds them all (after an action or a sync); [`Services::after_fix`]
//! builds only what a fix changes. [`Services::builds`] counts the builds of each part.

use super::services::{ServiceError, Services};
use crate::capture::{CaptureState, VisitOutlook};
use crate::households::{HouseholdList, ListInputs};
use crate::pacing::Pacing;
use crate::progress::{self, Progress, ServerAnswer};
use crate::store::{EntryRow, LocationGap, QueueState, Reference, Store, TrackPoint, VisitRow};
use crate::strings;
use crate::sync::{lock, SyncStatus};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::MultiPolygon;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use zhucun_shared::events::OpenEvent;
use zhucun_shared::ids::{HouseholdId, PersonId, RecordId, VillageId};
use zhucun_shared::leave::{Absence, LeaveDecision, LeaveItem};
use zhucun_shared::org::{Household, LatLon};
use zhucun_shared::period::{day_start, local_date, Period, PeriodKind};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::SpotCheckQueue;

pub use crate::team::TeamMember;

/// How long this month's progress, re-evaluated over the whole log, is reused while only
/// fixes arrive. A cadre's own action always re-evaluates it.
pub const PROGRESS_EVERY: Duration = Duration::seconds(30);

/// How long an event stays listed after its last day to attend it (late attendance still
/// shows on the verdict).
pub const OPEN_EVENTS_OVERDUE_DAYS: i64 = zhucun_shared::events::SHOWN_OVERDUE_DAYS;

/// Why the app asks the cadre to sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInNeed {
    /// This phone was never enrolled: nothing can be recorded yet.
    NotEnrolled,
    /// The server no longer accepts the session; capture goes on, upload waits.
    Expired,
}

/// Who uses the phone (姓名、岗位) and whether they must sign in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Account {
    pub person_name: Option<String>,
    /// This month's roles, as progress was last evaluated.
    pub roles: Vec<Role>,
    /// Set when the sign-in screen must be shown.
    pub sign_in: Option<SignInNeed>,
    /// The server to prefill on the sign-in screen.
    pub server_url: Option<String>,
}

impl Account {
    pub fn is(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// 值守与定位: the capture state and today's trajectory. The one part a fix rebuilds.
#[derive(Clone, Debug, PartialEq)]
pub struct Here {
    pub now: DateTime<Utc>,
    pub capture: CaptureState,
    /// Whether the latest visit will count, as the phone can tell.
    pub visit_outlook: Option<VisitOutlook>,
    /// Today's own trajectory (the open or latest duty session).
    pub track: Vec<TrackPoint>,
    /// 定位中断: the gaps in that trajectory, with their causes.
    pub gaps: Vec<LocationGap>,
    pub location_simulated: bool,
}

impl Here {
    pub fn empty(now: DateTime<Utc>) -> Here {
        Here {
            now,
            capture: CaptureState::default(),
            visit_outlook: None,
            track: Vec::new(),
            gaps: Vec::new(),
            location_simulated: false,
        }
    }

    /// Where the latest fresh fix puts the cadre.
    pub fn position(&self) -> Option<LatLon> {
        self.capture.fresh_fix(self.now).map(|f| f.position())
    }
}

/// A village as the screens draw it.
#[derive(Clone, Debug, PartialEq)]
pub struct VillageView {
    pub id: VillageId,
    pub name: String,
    pub boundary: MultiPolygon<f64>,
}

/// The village the cadre works in (the one checked in to, else the first posted to) and its
/// households, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Place {
    pub village: Option<VillageView>,
    pub households: Vec<Household>,
}

impl Place {
    pub fn household_name(&self, id: HouseholdId) -> Option<&str> {
        self.households
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.head_name.as_str())
    }
}

/// A visit with the household's name and the server's answer on it.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitView {
    pub row: VisitRow,
    pub household: String,
    /// 计入 / 不计入 as of the last sync's verdicts.
    pub server: Option<ServerAnswer>,
}

/// What the cadre recorded: visits, work entries, 四必到 events, leave, findings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Records {
    pub visits_today: Vec<VisitView>,
    /// The last 30 days' visits, newest first.
    pub history: Vec<VisitView>,
    pub entries: Vec<EntryRow>,
    /// 四必到 events recorded here that no check-in is linked to yet, with the days left.
    pub open_events: Vec<OpenEvent>,
    /// Who recorded or attended the open events, by name (我 for this phone's owner).
    pub event_people: HashMap<PersonId, String>,
    /// 请假、公差: my requests, each with the decision pulled from the server.
    pub absences: Vec<Absence>,
    /// Decisions written on this phone, by request (shown before the server lists them).
    pub leave_sent: HashMap<RecordId, (LeaveDecision, DateTime<Utc>)>,
    /// Findings written on this phone, by the record they are attached to (shown at once,
    /// before the server has them).
    pub my_notes: HashMap<RecordId, String>,
}

/// 本月进度 and, in a few lines, what is missing and the working days left.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonthProgress {
    pub progress: Option<Progress>,
    pub pacing: Option<Pacing>,
}

/// What waits to go up and where syncing stands.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncView {
    pub queue: QueueState,
    /// Under way, retrying, failed, last success.
    pub status: SyncStatus,
    pub syncing: bool,
}

impl Default for SyncView {
    fn default() -> SyncView {
        SyncView {
            queue: QueueState::default(),
            status: SyncStatus::Never { pending: 0 },
            syncing: false,
        }
    }
}

/// What the last sync brought for a team leader, a supervisor or an approver.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamView {
    pub members: Vec<TeamMember>,
    /// For a supervisor: the spot-check queue.
    pub spot_checks: Option<SpotCheckQueue>,
    /// For an approver: the leave requests they may decide.
    pub leave_requests: Vec<LeaveItem>,
}

/// Every part, built together after an action or a sync.
#[derive(Clone, Debug, PartialEq)]
pub struct Parts {
    pub account: Account,
    pub here: Here,
    pub place: Place,
    pub records: Records,
    pub progress: MonthProgress,
    pub households: HouseholdList,
    pub sync: SyncView,
    pub team: TeamView,
}

impl Parts {
    pub fn empty(now: DateTime<Utc>) -> Parts {
        Parts {
            account: Account::default(),
            here: Here::empty(now),
            place: Place::default(),
            records: Records::default(),
            progress: MonthProgress::default(),
            households: HouseholdList::default(),
            sync: SyncView::default(),
            team: TeamView::default(),
        }
    }
}

/// What a fix changes: where the cadre is, the queue, and this month's progress with the roles
/// when it was due for re-evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct FixParts {
    pub here: Here,
    pub sync: SyncView,
    pub progress: Option<(Vec<Role>, MonthProgress)>,
}

/// How many times each part was built since the services started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildCounts {
    pub account: u64,
    pub here: u64,
    pub place: u64,
    pub records: u64,
    pub progress: u64,
    pub households: u64,
    pub sync: u64,
    pub team: u64,
}

/// The counters behind [`BuildCounts`].
#[derive(Debug, Default)]
pub(super) struct Builds {
    account: AtomicU64,
    here: AtomicU64,
    place: AtomicU64,
    records: AtomicU64,
    progress: AtomicU64,
    households: AtomicU64,
    sync: AtomicU64,
    team: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// This month's progress as last evaluated.
#[derive(Clone)]
pub(super) struct ProgressCache {
    at: DateTime<Utc>,
    last_seq: u64,
    roles: Vec<Role>,
    progress: Option<Progress>,
}

/// What every part is built from: the store's identity and reference data, the capture
/// state, and the day.
struct Basis {
    now: DateTime<Utc>,
    today: NaiveDate,
    me: Option<PersonId>,
    reference: Reference,
    capture: CaptureState,
}

impl Services {
    /// How many times each part was built: a fix builds [`Here`] and [`SyncView`] only.
    pub fn builds(&self) -> BuildCounts {
        let b = &self.builds;
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        BuildCounts {
            account: n(&b.account),
            here: n(&b.here),
            place: n(&b.place),
            records: n(&b.records),
            progress: n(&b.progress),
            households: n(&b.households),
            sync: n(&b.sync),
            team: n(&b.team),
        }
    }

    fn basis(&self, store: &Store) -> Result<Basis, ServiceError> {
        let now = self.now();
        Ok(Basis {
            now,
            today: local_date(now),
            me: store.identity()?.map(|i| i.person_id),
            reference: store.reference()?,
            capture: lock(&self.capture).state().clone(),
        })
    }

    /// Every part, this month's progress re-evaluated (after an action or a sync).
    pub fn parts(&self) -> Result<Parts, ServiceError> {
        let store = lock(&self.store);
        let b = self.basis(&store)?;
        *lock(&self.built_for) = Some(b.today);
        let village = b.capture.current_village().or_else(|| {
            b.me.and_then(|p| {
                b.reference
                    .org
                    .villages_of(p, b.today, b.today)
                    .first()
                    .copied()
            })
        });
        let account = self.account(&store, &b)?;
        let here = self.here(&store, &b)?;
        let place = self.place(&b, village);
        let records = self.records(&store, &b)?;
        let households = self.household_list(&store, &b, village)?;
        let sync = self.sync_view_of(&store)?;
        let team = self.team_view();
        let progress = self.month_progress(store, &b, sync.queue.last_seq, true)?;
        let (roles, progress) = progress.expect("evaluated when asked to be fresh");
        Ok(Parts {
            account: Account { roles, ..account },
            here,
            place,
            records,
            progress,
            households,
            sync,
            team,
        })
    }

    /// What a fix changes ([`Here`], the queue), with this month's progress when it was last
    /// evaluated [`PROGRESS_EVERY`] ago or more.
    pub fn after_fix(&self) -> Result<FixParts, ServiceError> {
        let store = lock(&self.store);
        let b = self.basis(&store)?;
        let here = self.here(&store, &b)?;
        let sync = self.sync_view_of(&store)?;
        let progress = self.month_progress(store, &b, sync.queue.last_seq, false)?;
        Ok(FixParts {
            here,
            sync,
            progress,
        })
    }

    /// Where syncing stands (after a sync started, or while it waits to retry).
    pub fn sync_view(&self) -> Result<SyncView, ServiceError> {
        self.sync_view_of(&lock(&self.store))
    }

    fn account(&self, store: &Store, b: &Basis) -> Result<Account, ServiceError> {
        bump(&self.builds.account);
        let sign_in = match b.me {
            None => Some(SignInNeed::NotEnrolled),
            Some(_) if store.session_expired()? => Some(SignInNeed::Expired),
            Some(_) => None,
        };
        Ok(Account {
            person_name: b
                .reference
                .me
                .as_ref()
                .map(|p| p.name.clone())
                .or(store.meta("person_name")?),
            roles: Vec::new(),
            sign_in,
            server_url: store.meta("server_url")?,
        })
    }

    fn here(&self, store: &Store, b: &Basis) -> Result<Here, ServiceError> {
        bump(&self.builds.here);
        let day0 = day_start(b.today);
        let duty = match &b.capture.duty {
            Some(d) => Some(d.duty),
            None => store
                .duty_sessions(day0, day0 + Duration::days(1))?
                .last()
                .map(|d| d.duty_id),
        };
        let (track, gaps) = match duty {
            Some(d) => (store.track(d)?, store.location_gaps(d)?),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Here {
            now: b.now,
            visit_outlook: b.capture.visit_outlook(&b.reference, b.now),
            capture: b.capture.clone(),
            track,
            gaps,
            location_simulated: self.simulated_location,
        })
    }

    fn place(&self, b: &Basis, village: Option<VillageId>) -> Place {
        bump(&self.builds.place);
        let Some(v) = village.and_then(|v| b.reference.org.village(v)) else {
            return Place::default();
        };
        let mut households: Vec<Household> = b.reference.org.households_of(v.id).cloned().collect();
        households.sort_by(|x, y| x.head_name.cmp(&y.head_name));
        Place {
            village: Some(VillageView {
                id: v.id,
                name: v.name.clone(),
                boundary: v.boundary.clone(),
            }),
            households,
        }
    }

    fn records(&self, store: &Store, b: &Basis) -> Result<Records, ServiceError> {
        bump(&self.builds.records);
        let r = &b.reference;
        let name = |row: VisitRow| VisitView {
            server: b
                .me
                .and_then(|p| progress::server_answer(&r.verdicts, p, row.check_in_id)),
            household: r
                .org
                .household(row.household_id)
                .map(|h| h.head_name.clone())
                .unwrap_or_default(),
            row,
        };
        let day0 = day_start(b.today);
        let mut records = Records {
            visits_today: store
                .visits(day0, day0 + Duration::days(1))?
                .into_iter()
                .map(name)
                .collect(),
            history: store
                .visits(day0 - Duration::days(30), day0 + Duration::days(1))?
                .into_iter()
                .map(name)
                .collect(),
            entries: store.entries(30)?,
            absences: store.absences()?,
            leave_sent: store.leave_decisions_sent()?,
            ..Records::default()
        };
        if let Some(days) = zhucun_shared::events::attend_within_days(&r.catalogue) {
            records.open_events = store.open_events(b.today, days, OPEN_EVENTS_OVERDUE_DAYS)?;
            let me = r.me.as_ref().map(|p| p.id);
            for e in &records.open_events {
                for id in std::iter::once(e.recorded_by).chain(e.attended.map(|a| a.by)) {
                    let name = match r.org.person(id) {
                        _ if Some(id) == me => "我".to_string(),
                        Some(p) => p.name.clone(),
                        None => strings::TEAMMATE.to_string(),
                    };
                    records.event_people.insert(id, name);
                }
            }
        }
        // Only the spot-check screen shows them, and only a supervisor has a queue.
        if lock(&self.pulled).spot_checks.is_some() {
            records.my_notes = store.notes_by_target()?;
        }
        Ok(records)
    }

    /// The village's households with their marks, without distances: the screens place it on
    /// each fix ([`HouseholdList::located`]).
    fn household_list(
        &self,
        store: &Store,
        b: &Basis,
        village: Option<VillageId>,
    ) -> Result<HouseholdList, ServiceError> {
        bump(&self.builds.households);
        let Some(v) = village else {
            return Ok(HouseholdList::default());
        };
        let month = Period::containing(PeriodKind::Month, b.today).expect("a month");
        let (from, to) = (
            day_start(month.first_day()),
            day_start(month.last_day()) + Duration::days(1),
        );
        Ok(HouseholdList::build(
            &b.reference,
            &ListInputs {
                me: b.me,
                village: v,
                month,
                here: None,
                visits: &store.visits(from, to)?,
                event_households: &store.event_households(from, to)?,
            },
        ))
    }

    fn sync_view_of(&self, store: &Store) -> Result<SyncView, ServiceError> {
        bump(&self.builds.sync);
        let queue = store.queue_state()?;
        let syncing = self.is_syncing();
        Ok(SyncView {
            status: SyncStatus::of(&queue, syncing, *lock(&self.retry), self.now()),
            queue,
            syncing,
        })
    }

    fn team_view(&self) -> TeamView {
        bump(&self.builds.team);
        lock(&self.pulled).clone()
    }

    /// This month's roles and progress: evaluated over the whole log when `fresh`, or when the
    /// last evaluation is older than [`PROGRESS_EVERY`] or the log lost records; else `None`
    /// (nothing new to show). Releases the store before the evaluation.
    fn month_progress(
        &self,
        store: std::sync::MutexGuard<'_, Store>,
        b: &Basis,
        last_seq: u64,
        fresh: bool,
    ) -> Result<Option<(Vec<Role>, MonthProgress)>, ServiceError> {
        let now = b.now;
        let cached = lock(&self.progress).clone().filter(|c| {
            !fresh && c.last_seq <= last_seq && now - c.at < PROGRESS_EVERY && now >= c.at
        });
        if cached.is_some() {
            return Ok(None);
        }
        bump(&self.builds.progress);
        let records = match b.me {
            Some(_) => Some(store.records_for_estimate()?),
            None => None,
        };
        // The evaluation runs over the whole log: not while holding the store.
        drop(store);
        let evaluated = match (b.me, records) {
            (Some(p), Some(records)) => {
                let month = Period::containing(PeriodKind::Month, b.today).expect("a month");
                let c = ProgressCache {
                    at: now,
                    last_seq,
                    roles: progress::roles_in(&b.reference, p, month),
                    progress: Some(progress::compute(&b.reference, &records, p, now)),
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
        let pacing = evaluated
            .progress
            .as_ref()
            .map(|p| crate::pacing::pace(p, &b.reference.calendar, b.today));
        Ok(Some((
            evaluated.roles,
            MonthProgress {
                progress: evaluated.progress,
                pacing,
            },
        )))
    }
}
