//! 工作队: for team leaders, the team's status and a member's trajectory over the village.

use crate::app::Route;
use crate::components::{md_hm, MapHousehold, StatusPill, TrajectoryMap};
use crate::state::use_app_state;
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::role::Role;

#[component]
pub fn Team() -> Element {
    let state = use_app_state();
    let snap = state.snapshot.read();
    let leader = snap.is(Role::TeamLeader);
    let team = snap.team.clone();
    drop(snap);
    if !leader {
        return rsx! { div { class: "card", p { class: "muted", "{strings::NOT_A_TEAM_LEADER}" } } };
    }
    rsx! {
        div { class: "card team",
            h2 { "{strings::TEAM_STATUS}" span { class: "pill", "{team.len()}" } }
            Link { to: Route::Leave {}, class: "button small", "{super::leave::LEAVE_TO_DECIDE}" }
            for m in team {
                div { class: "row member", key: "{m.person_id}",
                    div {
                        div { "{m.name} " span { class: "muted", "{m.role.label_zh()}" } }
                        div { class: "muted",
                            "{m.summary}"
                            if let Some(t) = m.last_seen { " · {strings::LAST_SEEN} {md_hm(t)}" }
                        }
                    }
                    StatusPill { status: m.status, provisional: false }
                    Link { to: Route::Member { member: m.person_id.to_string() }, class: "button small", "{strings::TRAJECTORY}" }
                }
            }
        }
    }
}

#[component]
pub fn Member(member: String) -> Element {
    let state = use_app_state();
    let snap = state.snapshot.read();
    let m = snap
        .team
        .iter()
        .find(|m| m.person_id.to_string() == member)
        .cloned();
    let village = snap.village.clone();
    let households: Vec<MapHousehold> = snap
        .households
        .iter()
        .map(|h| MapHousehold {
            position: h.household.location,
            name: h.household.head_name.clone(),
            visited: m.as_ref().is_some_and(|m| {
                m.track.iter().any(|p| {
                    zhucun_shared::geometry::distance_m(
                        zhucun_shared::org::LatLon::new(p.lat, p.lon),
                        h.household.location,
                    ) < 30.0
                })
            }),
        })
        .collect();
    drop(snap);
    let (Some(m), Some(village)) = (m, village) else {
        return rsx! { div { class: "card", p { class: "muted", "{strings::HISTORY_EMPTY}" } } };
    };
    rsx! {
        div { class: "card member-map",
            h2 { "{m.name} · {strings::TRAJECTORY}" span { class: "muted", "{village.name}" } }
            TrajectoryMap { boundary: village.boundary, households, track: m.track }
        }
    }
}
