//! 工作队: for team leaders, the team's status and a member's trajectory over the village.

use crate::app::Route;
use crate::components::{hm, md_hm, MapHousehold, StatusPill, TrajectoryMap, VisitAnswer};
use crate::progress::ServerAnswer;
use crate::state::{use_app_state, use_services};
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::role::Role;

#[component]
pub fn Team() -> Element {
    let state = use_app_state();
    let leader = state.account.read().is(Role::TeamLeader);
    let team = state.team.read().members.clone();
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
    let now = use_services().now();
    let m = state
        .team
        .read()
        .members
        .iter()
        .find(|m| m.person_id.to_string() == member)
        .cloned();
    let place = state.place.read();
    let village = place.village.clone();
    let name_of = |id| place.household_name(id).unwrap_or_default().to_string();
    // Each household marked by the verdicts' answer on the member's latest visit to it, not
    // by where the track passed.
    let households: Vec<MapHousehold> = place
        .households
        .iter()
        .map(|h| {
            let visit = m.as_ref().and_then(|m| {
                m.visits
                    .iter()
                    .filter(|v| v.household_id == h.id && !v.withdrawn)
                    .max_by_key(|v| v.start)
            });
            MapHousehold {
                position: h.location,
                name: h.head_name.clone(),
                visited: visit.is_some(),
                counted: visit
                    .and_then(|v| v.answer.as_ref())
                    .map(|a| matches!(a, ServerAnswer::Counted)),
            }
        })
        .collect();
    let visits: Vec<(String, String, Option<ServerAnswer>, bool)> = m
        .as_ref()
        .map(|m| {
            m.visits
                .iter()
                .map(|v| {
                    let when = match v.end {
                        Some(e) => format!("{}–{}", hm(v.start), hm(e)),
                        None => hm(v.start),
                    };
                    (when, name_of(v.household_id), v.answer.clone(), v.withdrawn)
                })
                .collect()
        })
        .unwrap_or_default();
    drop(place);
    let (Some(m), Some(village)) = (m, village) else {
        return rsx! { div { class: "card", p { class: "muted", "{strings::HISTORY_EMPTY}" } } };
    };
    let stays: Vec<_> = m.stays.iter().map(|s| (s.start, s.end)).collect();
    rsx! {
        div { class: "card member-map",
            h2 { "{m.name} · {strings::TRAJECTORY}" span { class: "muted", "{village.name}" } }
            TrajectoryMap { boundary: village.boundary, households, track: m.track, stays: stays.clone() }
        }
        div { class: "card verdict-list",
            h2 { "{strings::MAP_VERDICTS}" span { class: "pill", "{visits.len()}" } }
            for (when, name, answer, withdrawn) in visits {
                div { class: "row",
                    span { "{when} {name}" }
                    if withdrawn {
                        span { class: "pill na", "{strings::RETRACTED}" }
                    } else if let Some(a) = answer {
                        VisitAnswer {
                            text: strings::server_answer(&a),
                            counts: matches!(a, ServerAnswer::Counted),
                            from_server: true,
                        }
                    } else {
                        span { class: "pill na", "{strings::MAP_NO_VERDICT}" }
                    }
                }
            }
            for (from, to) in stays {
                div { class: "row stay", span { "{strings::stay_span(from, to)}" } }
            }
            for gap in m.gaps.iter() {
                div { class: "row gap", span { class: "cats", {strings::location_gap(gap, now)} } }
            }
        }
    }
}
