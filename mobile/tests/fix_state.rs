//! A GPS fix changes where the cadre is, not what they recorded: handling one rebuilds and
//! re-renders only the location part of the screens' state (and the queue it adds a point
//! to), never the household list, the records, the team or the village.

use chrono::{DateTime, Utc};
use dioxus::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use zhucun_mobile::capture::Command;
use zhucun_mobile::demo;
use zhucun_mobile::platform::clock::ManualClock;
use zhucun_mobile::platform::location::LocationEvent;
use zhucun_mobile::state::{use_app_state, AppState, Services};
use zhucun_mobile::store::Identity;
use zhucun_mobile::Store;
use zhucun_shared::ids::DeviceId;
use zhucun_shared::record::{Fix, FixProvider};

fn now() -> DateTime<Utc> {
    "2026-11-16T02:00:00Z".parse().unwrap()
}

fn services() -> (Services, Arc<ManualClock>) {
    let mut store = Store::in_memory().unwrap();
    store
        .set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: demo::ME,
            },
            0,
        )
        .unwrap();
    store.save_pull(&demo::pull(now())).unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let s = Services::new(store, clock.clone(), None, true).unwrap();
    s.set_team(demo::team(now()));
    (s, clock)
}

thread_local! {
    /// How many times each probe rendered.
    static RENDERS: RefCell<BTreeMap<&'static str, u32>> = const { RefCell::new(BTreeMap::new()) };
}

fn rendered(part: &'static str) {
    RENDERS.with(|r| *r.borrow_mut().entry(part).or_default() += 1);
}

fn renders() -> BTreeMap<&'static str, u32> {
    RENDERS.with(|r| r.borrow().clone())
}

// One component per part, reading it as a screen does.

#[component]
fn HereProbe() -> Element {
    let n = use_app_state().here.read().track.len();
    rendered("here");
    rsx! { "{n}" }
}

#[component]
fn HouseholdsProbe() -> Element {
    let n = use_app_state().households.read().households.len();
    rendered("households");
    rsx! { "{n}" }
}

#[component]
fn RecordsProbe() -> Element {
    let n = use_app_state().records.read().visits_today.len();
    rendered("records");
    rsx! { "{n}" }
}

#[component]
fn PlaceProbe() -> Element {
    let n = use_app_state().place.read().households.len();
    rendered("place");
    rsx! { "{n}" }
}

#[component]
fn TeamProbe() -> Element {
    let n = use_app_state().team.read().members.len();
    rendered("team");
    rsx! { "{n}" }
}

#[component]
fn AccountProbe() -> Element {
    let n = use_app_state().account.read().roles.len();
    rendered("account");
    rsx! { "{n}" }
}

fn probes() -> Element {
    rsx! {
        HereProbe {}
        HouseholdsProbe {}
        RecordsProbe {}
        PlaceProbe {}
        TeamProbe {}
        AccountProbe {}
    }
}

/// The probes mounted over the demo's state, with the location of the village's first
/// household.
struct Mounted {
    services: Services,
    clock: Arc<ManualClock>,
    dom: VirtualDom,
    state: AppState,
    home: zhucun_shared::org::LatLon,
}

fn mounted() -> Mounted {
    let (services, clock) = services();
    let mut dom = VirtualDom::new(probes);
    dom.provide_root_context(services.clone());
    let parts = services.parts().unwrap();
    let home = parts.place.households[0].location;
    let state = dom.in_runtime(|| AppState::new_in_scope(parts, ScopeId::ROOT));
    dom.provide_root_context(state);
    dom.rebuild_in_place();
    Mounted {
        services,
        clock,
        dom,
        state,
        home,
    }
}

#[test]
fn a_fix_rebuilds_and_re_renders_only_where_the_cadre_is() {
    let Mounted {
        services,
        clock,
        mut dom,
        state,
        home,
    } = mounted();
    // On duty, so that each fix is a point of the track.
    dom.in_runtime(|| {
        assert!(state.run(
            &services,
            Command::StartDuty {
                village_id: Some(demo::VILLAGE)
            },
            "ok"
        ))
    });
    dom.render_immediate_to_vec();
    let (built, shown) = (services.builds(), renders());

    for metres in [0.0, 30.0, 60.0] {
        clock.advance(chrono::Duration::seconds(5));
        let fix = Fix {
            lat: home.lat + metres / zhucun_shared::geometry::METRES_PER_DEGREE_LAT,
            lon: home.lon,
            accuracy_m: 8.0,
            time: services.now(),
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        };
        dom.in_runtime(|| state.on_location(&services, LocationEvent::Fix(fix)));
        dom.render_immediate_to_vec();
    }

    let after = services.builds();
    assert_eq!(
        after.here,
        built.here + 3,
        "each fix rebuilds where the cadre is"
    );
    assert_eq!(
        after.sync,
        built.sync + 3,
        "each fix adds a point to the queue"
    );
    assert_eq!(
        (
            after.households,
            after.records,
            after.place,
            after.team,
            after.account
        ),
        (
            built.households,
            built.records,
            built.place,
            built.team,
            built.account
        ),
        "a fix rebuilt a part it does not change"
    );
    // Progress was evaluated by 开始值守 seconds ago: fixes reuse it.
    assert_eq!(after.progress, built.progress);

    let now_shown = renders();
    assert_eq!(now_shown["here"], shown["here"] + 3, "{now_shown:?}");
    for part in ["households", "records", "place", "team", "account"] {
        assert_eq!(
            now_shown[part], shown[part],
            "a fix re-rendered what reads {part}: {now_shown:?}"
        );
    }
}

/// An action of the cadre's rebuilds every part, but re-renders only the parts whose value
/// changed: 保存 of a work note leaves the household list and the team as they were.
#[test]
fn an_action_re_renders_only_the_parts_it_changed() {
    let Mounted {
        services,
        mut dom,
        state,
        ..
    } = mounted();
    let (built, shown) = (services.builds(), renders());
    dom.in_runtime(|| {
        assert!(state.run(
            &services,
            Command::StartDuty {
                village_id: Some(demo::VILLAGE)
            },
            "ok"
        ))
    });
    dom.render_immediate_to_vec();
    let after = services.builds();
    assert_eq!(after.households, built.households + 1);
    assert_eq!(after.team, built.team + 1);
    let now_shown = renders();
    assert_eq!(now_shown["here"], shown["here"] + 1, "{now_shown:?}");
    for part in ["households", "records", "place", "team"] {
        assert_eq!(now_shown[part], shown[part], "{part}: {now_shown:?}");
    }
}

/// A fix that comes on another day than the parts were built for rebuilds them all: today's
/// visits, the events' days left and the month's marks turn with the day, not with an action.
#[test]
fn a_fix_on_a_new_day_rebuilds_every_part() {
    let Mounted {
        services,
        clock,
        dom,
        state,
        home,
    } = mounted();
    let fix_now = |services: &Services| Fix {
        lat: home.lat,
        lon: home.lon,
        accuracy_m: 8.0,
        time: services.now(),
        monotonic_ms: None,
        provider: FixProvider::Gps,
        mock: false,
    };
    clock.advance(chrono::Duration::seconds(5));
    let fix = fix_now(&services);
    dom.in_runtime(|| state.on_location(&services, LocationEvent::Fix(fix)));
    let same_day = services.builds();
    clock.advance(chrono::Duration::days(1));
    let fix = fix_now(&services);
    dom.in_runtime(|| state.on_location(&services, LocationEvent::Fix(fix)));
    let next_day = services.builds();
    assert_eq!(
        (next_day.records, next_day.households, next_day.place),
        (
            same_day.records + 1,
            same_day.households + 1,
            same_day.place + 1
        ),
        "the day turned"
    );
}
