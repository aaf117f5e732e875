//! The app: routes, the shell around every screen, and the background loops (location, sync).

use crate::components::{NoticeBanner, SyncBadge};
use crate::demo;
use crate::pages::{
    BatteryGuide, History, Households, Leave, Member, Progress, SignIn, SpotChecks, Team, Today,
    Work,
};
use crate::platform::location::{LocationSource, SimulatedLocation};
use crate::platform::webview::WebviewLocation;
use crate::state::{
    start_sync, use_app_state, use_services, AppState, Notice, Parts, Services, SignInNeed,
};
use crate::strings;
use dioxus::history::{History as NavigationHistory, MemoryHistory};
use dioxus::prelude::*;
use std::rc::Rc;
use std::time::Duration;

pub const STYLE: &str = include_str!("../assets/style.css");

/// How often the app syncs by itself while it runs.
const SYNC_EVERY: Duration = Duration::from_secs(10 * 60);

#[rustfmt::skip]
#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    #[layout(Shell)]
        #[route("/")]
        Today {},
        #[route("/households")]
        Households {},
        #[route("/progress")]
        Progress {},
        #[route("/history")]
        History {},
        #[route("/work")]
        Work {},
        #[route("/team")]
        Team {},
        #[route("/team/:member")]
        Member { member: String },
        #[route("/spot-checks")]
        SpotChecks {},
        #[route("/leave")]
        Leave {},
        #[route("/battery")]
        BatteryGuide {},
}

/// How often, while on duty, a long silence is looked for (a gap for no signal).
const TICK_EVERY: Duration = Duration::from_secs(60);

/// How the app finds where it is: the platform's location service (on Android the
/// foreground service), the webview's geolocation, or a replayed route.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LocationMode {
    /// Android: the foreground service of type location, started over JNI.
    Native,
    Webview,
    /// Replays the demo route, one fix per interval.
    Simulated {
        interval: Duration,
    },
}

/// The screen to open first (`/` unless told otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct StartPath(pub String);

/// The root: expects [`Services`], and optionally [`LocationMode`] and [`StartPath`], in
/// context (given at launch).
#[component]
pub fn App() -> Element {
    let services = use_services();
    let state = use_provide_state(&services);
    use_context_provider(|| {
        let start = try_consume_context::<StartPath>().map_or_else(|| "/".to_string(), |s| s.0);
        Rc::new(MemoryHistory::with_initial_path(start)) as Rc<dyn NavigationHistory>
    });
    #[cfg(all(feature = "desktop", target_os = "linux"))]
    use_hook(|| {
        if let Some(window) = try_consume_context::<dioxus::desktop::DesktopContext>() {
            crate::platform::linux_camera::allow_camera(&window);
        }
    });
    let mode = try_consume_context::<LocationMode>().unwrap_or(LocationMode::Webview);
    use_location(services.clone(), state, mode);
    use_periodic_sync(services, state);
    rsx! {
        document::Title { "{strings::APP_TITLE}" }
        document::Meta { name: "viewport", content: "width=device-width, initial-scale=1" }
        style { {STYLE} }
        Router::<Route> {}
    }
}

/// Creates the screens' state from the services in context.
pub fn use_provide_state(services: &Services) -> AppState {
    let services = services.clone();
    use_context_provider(move || match services.parts() {
        Ok(initial) => AppState::new(initial),
        // Empty screens, and the reason said at once (what to do is in the message).
        Err(e) => AppState::showing(Parts::empty(services.now()), Some(Notice::error(&e))),
    })
}

/// Feeds location events to the capture flows for as long as the app runs. The source runs
/// only while a duty session is open: 开始值守 starts it, 结束值守 stops it.
fn use_location(services: Services, state: AppState, mode: LocationMode) {
    use_future(move || {
        let services = services.clone();
        async move {
            let mut source = location_source(&services, mode);
            loop {
                let was = source.running();
                source.follow(services.open_duty());
                if was.is_none() && source.running().is_some() {
                    // A duty left open by an app that was killed: the silence is a gap.
                    match services.location_started() {
                        Ok(true) => state.refresh_after_fix(&services),
                        Ok(false) => {}
                        Err(e) => state.refresh(&services, Some(Notice::error(&e))),
                    }
                }
                if source.running().is_none() {
                    services.duty_changed().await;
                    continue;
                }
                tokio::select! {
                    event = source.next_event() => match event {
                        Some(event) => state.on_location(&services, event),
                        // The source ended: started again on the next turn.
                        None => {
                            source.stop();
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        }
                    },
                    _ = services.duty_changed() => {}
                    _ = tokio::time::sleep(TICK_EVERY) => {
                        if let Ok(true) = services.location_tick() {
                            state.refresh_after_fix(&services);
                        }
                    }
                }
            }
        }
    });
}

/// The location source for `mode`.
fn location_source(services: &Services, mode: LocationMode) -> Box<dyn LocationSource> {
    let clock = services.clock().clone();
    match mode {
        #[cfg(target_os = "android")]
        LocationMode::Native => Box::new(crate::platform::android_location::android_location()),
        #[cfg(not(target_os = "android"))]
        LocationMode::Native => Box::new(WebviewLocation::new(clock)),
        LocationMode::Webview => Box::new(WebviewLocation::new(clock)),
        LocationMode::Simulated { interval } => {
            let reference = crate::sync::lock(services.store()).reference().ok();
            let route = match reference {
                Some(r) => demo::route_for(&r, services.now()),
                None => demo::route(),
            };
            Box::new(SimulatedLocation::new(&route, clock, interval).repeating())
        }
    }
}

fn use_periodic_sync(services: Services, state: AppState) {
    use_future(move || {
        let services = services.clone();
        async move {
            loop {
                start_sync(state, services.clone());
                tokio::time::sleep(SYNC_EVERY).await;
            }
        }
    });
}

/// The frame of every screen: title bar, notice, the screen, and the tabs.
#[component]
fn Shell() -> Element {
    let state = use_app_state();
    let account = state.account.read();
    let name = account.person_name.clone().unwrap_or_default();
    let leader = account.is(zhucun_shared::role::Role::TeamLeader);
    let supervisor = account.is(zhucun_shared::role::Role::Supervisor);
    let sign_in = account.sign_in;
    drop(account);
    if sign_in == Some(SignInNeed::NotEnrolled) {
        // Nothing can be recorded before the phone is enrolled: only the sign-in.
        return rsx! {
            div { class: "shell",
                header { class: "top", h1 { "{strings::APP_TITLE}" } }
                main {
                    NoticeBanner {}
                    SignIn {}
                }
            }
        };
    }
    rsx! {
        div { class: "shell",
            header { class: "top",
                h1 { "{strings::APP_TITLE}" }
                span { class: "who", "{name} " SyncBadge {} }
            }
            main {
                NoticeBanner {}
                if sign_in == Some(SignInNeed::Expired) {
                    SignIn {}
                }
                Outlet::<Route> {}
            }
            nav { class: "tabs",
                Link { to: Route::Today {}, active_class: "active", "{strings::NAV_TODAY}" }
                Link { to: Route::Progress {}, active_class: "active", "{strings::NAV_PROGRESS}" }
                Link { to: Route::History {}, active_class: "active", "{strings::NAV_HISTORY}" }
                Link { to: Route::Work {}, active_class: "active", "{strings::NAV_WORK}" }
                if leader {
                    Link { to: Route::Team {}, active_class: "active", "{strings::NAV_TEAM}" }
                }
                if supervisor {
                    Link { to: Route::SpotChecks {}, active_class: "active", "{strings::NAV_SPOT_CHECKS}" }
                }
            }
        }
    }
}
