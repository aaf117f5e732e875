//! What the screens read and how they act. [`Services`] is the facade every action goes
//! through; [`AppState`] holds what the screens show as one signal per part ([`parts`]), so a
//! change re-renders only the components that read the part it changed: a GPS fix re-renders
//! 值守与定位 and the sync badge, not the household list, the team or the records. A part is
//! written only when its new value differs from the shown one. Components reach both through
//! the typed accessors [`use_services`] and [`use_app_state`].

mod parts;
mod services;

pub use parts::{
    Account, BuildCounts, FixParts, Here, MonthProgress, Parts, Place, Records, SignInNeed,
    SyncView, TeamView, VillageView, VisitView, OPEN_EVENTS_OVERDUE_DAYS, PROGRESS_EVERY,
};
pub use services::{PhotoTarget, ServiceError, Services, SyncGuard, TeamMember};

use crate::capture::Command;
use crate::households::HouseholdList;
use crate::platform::location::LocationEvent;
use crate::strings;
use dioxus::prelude::*;

/// The outcome of the last action, shown as a banner.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Saved(String),
    Error(String),
}

impl Notice {
    /// The banner for an error of the facade: its Chinese text.
    pub fn error(e: &ServiceError) -> Notice {
        Notice::Error(e.to_string())
    }
}

/// The screens' reactive state: one signal per part.
#[derive(Clone, Copy, PartialEq)]
pub struct AppState {
    pub account: Signal<Account>,
    pub here: Signal<Here>,
    pub place: Signal<Place>,
    pub records: Signal<Records>,
    pub progress: Signal<MonthProgress>,
    /// The village's households with their marks, not placed on a fix (the screens place it
    /// with [`HouseholdList::located`]).
    pub households: Signal<HouseholdList>,
    pub sync: Signal<SyncView>,
    pub team: Signal<TeamView>,
    pub notice: Signal<Option<Notice>>,
}

/// Writes `value` into `signal` only when it differs from what is shown, so that the
/// components reading it re-render only on a change (a write always notifies them).
fn show<T: PartialEq + 'static>(mut signal: Signal<T>, value: T) {
    if *signal.peek() != value {
        signal.set(value);
    }
}

impl AppState {
    /// The state showing `parts`, owned by the current scope.
    pub fn new(parts: Parts) -> AppState {
        Self::showing(parts, None)
    }

    /// [`AppState::new`], with `notice` shown from the start.
    pub fn showing(parts: Parts, notice: Option<Notice>) -> AppState {
        AppState {
            account: Signal::new(parts.account),
            here: Signal::new(parts.here),
            place: Signal::new(parts.place),
            records: Signal::new(parts.records),
            progress: Signal::new(parts.progress),
            households: Signal::new(parts.households),
            sync: Signal::new(parts.sync),
            team: Signal::new(parts.team),
            notice: Signal::new(notice),
        }
    }

    /// The state showing `parts`, owned by `scope` (the root, for the app).
    pub fn new_in_scope(parts: Parts, scope: ScopeId) -> AppState {
        AppState {
            account: Signal::new_in_scope(parts.account, scope),
            here: Signal::new_in_scope(parts.here, scope),
            place: Signal::new_in_scope(parts.place, scope),
            records: Signal::new_in_scope(parts.records, scope),
            progress: Signal::new_in_scope(parts.progress, scope),
            households: Signal::new_in_scope(parts.households, scope),
            sync: Signal::new_in_scope(parts.sync, scope),
            team: Signal::new_in_scope(parts.team, scope),
            notice: Signal::new_in_scope(None, scope),
        }
    }

    /// Shows `notice` (or none) without rebuilding anything.
    pub fn tell(self, notice: Option<Notice>) {
        show(self.notice, notice);
    }

    /// Rebuilds every part after an action or a sync and shows `notice` (or none).
    pub fn refresh(self, services: &Services, notice: Option<Notice>) {
        match services.parts() {
            Ok(p) => {
                show(self.account, p.account);
                show(self.here, p.here);
                show(self.place, p.place);
                show(self.records, p.records);
                show(self.progress, p.progress);
                show(self.households, p.households);
                show(self.sync, p.sync);
                show(self.team, p.team);
                self.tell(notice);
            }
            Err(e) => {
                self.refresh_sync(services);
                self.tell(Some(Notice::error(&e)));
            }
        }
    }

    /// Rebuilds only what a fix changes ([`Services::after_fix`]); the notice stays.
    pub fn refresh_after_fix(mut self, services: &Services) {
        match services.after_fix() {
            Ok(p) => {
                show(self.here, p.here);
                show(self.sync, p.sync);
                if let Some((roles, progress)) = p.progress {
                    if self.account.peek().roles != roles {
                        self.account.write().roles = roles;
                    }
                    show(self.progress, progress);
                }
            }
            Err(e) => self.tell(Some(Notice::error(&e))),
        }
    }

    /// Rebuilds where syncing stands only (a sync started, or waits to retry).
    pub fn refresh_sync(self, services: &Services) {
        if let Ok(s) = services.sync_view() {
            show(self.sync, s);
        }
    }

    /// Takes in a location event from the source and shows what it changed.
    pub fn on_location(self, services: &Services, event: LocationEvent) {
        match services.location(event) {
            Ok(false) => self.refresh_after_fix(services),
            Ok(true) => self.refresh(services, self.notice.peek().clone()),
            Err(e) => self.refresh(services, Some(Notice::error(&e))),
        }
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
    pub fn tell_outlook(self, saved: &str) {
        let outlook = self.here.peek().visit_outlook.clone();
        if let Some(o) = outlook {
            self.tell(Some(Notice::Saved(format!(
                "{saved}：{}",
                strings::outlook(&o.shortfalls)
            ))));
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
            Err(e) => (false, Notice::error(&e)),
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
    state.refresh_sync(&services);
    dioxus::dioxus_core::spawn_forever(async move {
        // While it waits to retry, what it pulled is shown already (verdicts, postings,
        // households), the banner kept.
        let result = services
            .sync_marked_then(guard, || {
                state.refresh(&services, state.notice.peek().clone())
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
