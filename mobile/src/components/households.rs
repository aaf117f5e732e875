//! 农户: the village's households at village scale — search by 户主 or 村民小组, quick
//! filters, grouped by 村民小组 with each group's counts, and marks for 结对, 必访 and
//! 本月已访. Groups are folded until opened or searched, so a village of hundreds renders a
//! heading per group, not hundreds of rows. 今日 shows the short list ([`DueHouseholds`]).

use crate::app::Route;
use crate::capture::Command;
use crate::households::{HouseholdFilter, HouseholdList, ListedHousehold, Only};
use crate::state::{use_app_state, use_services};
use crate::strings;
use dioxus::prelude::*;
use std::collections::BTreeSet;

/// How many households 今日's short list shows.
pub const SHORT_LIST: usize = 6;

/// The village's list placed on the latest fix, and whether a household check-in is possible
/// (on duty, no visit open). Memos: the list is placed again only when the position changes,
/// and a fix that moves nothing re-renders nothing.
fn use_placed_list() -> (Memo<HouseholdList>, Memo<bool>) {
    let state = use_app_state();
    let position = use_memo(move || state.here.read().position());
    let placed = use_memo(move || state.households.read().located(position()));
    let can_check_in = use_memo(move || {
        let here = state.here.read();
        here.capture.duty.is_some() && here.capture.visit.is_none()
    });
    (placed, can_check_in)
}

/// One household's row: name, marks, categories, distance and 入户签到.
#[component]
fn HouseholdRow(h: ListedHousehold, can_check_in: bool) -> Element {
    let state = use_app_state();
    let services = use_services();
    let id = h.household.id;
    let cats = h
        .household
        .categories
        .iter()
        .map(|c| c.label_zh())
        .collect::<Vec<_>>()
        .join("、");
    let dist = h.distance_m.map(strings::distance).unwrap_or_default();
    let must: Vec<&str> = h.must_visit.iter().map(|m| m.label_zh()).collect();
    let must = must.join("、");
    rsx! {
        div { class: "row household", key: "{id}",
            div { class: "who",
                div { class: "name",
                    "{h.household.head_name}"
                    if h.paired { span { class: "mark paired", "{strings::MARK_PAIRED}" } }
                    if h.is_due() { span { class: "mark due", "{strings::MARK_MUST_VISIT}·{must}" } }
                    if h.visited { span { class: "mark visited", "{strings::MARK_VISITED}" } }
                }
                div { class: "muted",
                    if let Some(g) = &h.household.group { "{g} · " }
                    "{cats}"
                    if !dist.is_empty() { " · {dist}" }
                }
            }
            button {
                class: "small",
                disabled: !can_check_in,
                onclick: move |_| {
                    state.run(
                        &services,
                        Command::HouseholdCheckIn { household_id: id, event: None },
                        strings::HOUSEHOLD_CHECK_IN,
                    );
                },
                "{strings::HOUSEHOLD_CHECK_IN}"
            }
        }
    }
}

/// 今日's short list: this month's required households not visited yet, nearest first (or
/// the nearest when none is left), and the way to the whole list.
#[component]
pub fn DueHouseholds() -> Element {
    let (placed, can_check_in) = use_placed_list();
    let can_check_in = can_check_in();
    let list = placed.read();
    let counts = list.counts();
    let due_filter = HouseholdFilter {
        text: String::new(),
        only: Only::Due,
    };
    let mut rows: Vec<ListedHousehold> = list
        .households
        .iter()
        .filter(|h| due_filter.matches(h))
        .cloned()
        .collect();
    let title = if rows.is_empty() {
        rows = list.households.clone();
        strings::NEAREST_FIRST
    } else {
        strings::DUE_HOUSEHOLDS
    };
    drop(list);
    if counts.total == 0 {
        return rsx! {};
    }
    rows.sort_by(|a, b| match (a.distance_m, b.distance_m) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => std::cmp::Ordering::Equal,
    });
    rows.truncate(SHORT_LIST);
    rsx! {
        div { class: "card households due",
            h2 { "{title}" span { class: "pill", "{counts.due}" } }
            p { class: "muted", "{strings::household_counts(&counts)}" }
            for h in rows {
                HouseholdRow { key: "{h.household.id}", h, can_check_in }
            }
            button {
                class: "secondary big all-households",
                onclick: move |_| {
                    if let Some(router) = dioxus::router::try_router() {
                        router.push(Route::Households {});
                    }
                },
                "{strings::all_households(counts.total)}"
            }
        }
    }
}

/// The whole list: search, quick filters, and the groups.
#[component]
pub fn HouseholdBrowser() -> Element {
    let (placed, can_check_in) = use_placed_list();
    let can_check_in = can_check_in();
    let mut text = use_signal(String::new);
    let mut only = use_signal(Only::default);
    let mut open = use_signal(BTreeSet::<String>::new);
    let filter = HouseholdFilter {
        text: text(),
        only: only(),
    };
    let list = placed.read();
    let counts = list.counts();
    // Searching or filtering opens every group that has a match.
    let searching = !filter.is_empty();
    let groups: Vec<(String, String, Option<Vec<ListedHousehold>>)> = list
        .grouped(&filter)
        .into_iter()
        .map(|g| {
            let shown = searching || open.read().contains(g.name);
            (
                g.name.to_string(),
                if searching {
                    format!(
                        "{} / {}",
                        g.households.len(),
                        strings::group_counts(g.total, g.visited, g.due)
                    )
                } else {
                    strings::group_counts(g.total, g.visited, g.due)
                },
                shown.then(|| g.households.iter().map(|h| (*h).clone()).collect()),
            )
        })
        .collect();
    drop(list);
    rsx! {
        div { class: "card households browser",
            h2 { "{strings::HOUSEHOLDS_TITLE}" }
            p { class: "muted", "{strings::household_counts(&counts)}" }
            input {
                r#type: "search",
                class: "search",
                placeholder: "{strings::SEARCH_HOUSEHOLDS}",
                value: "{text}",
                oninput: move |e| text.set(e.value()),
            }
            div { class: "chips",
                for o in Only::ALL {
                    button {
                        class: if o == only() { "chip on" } else { "chip" },
                        onclick: move |_| only.set(o),
                        "{o.label_zh()}"
                    }
                }
            }
            if groups.is_empty() {
                p { class: "muted", "{strings::NO_HOUSEHOLD_MATCHES}" }
            }
            for (name, summary, rows) in groups {
                div { class: "group", key: "{name}",
                    button {
                        class: "group-head",
                        onclick: {
                            let name = name.clone();
                            move |_| {
                                let mut set = open.write();
                                if !set.remove(&name) {
                                    set.insert(name.clone());
                                }
                            }
                        },
                        span { class: "group-name", "{name}" }
                        span { class: "muted", "{summary}" }
                    }
                    if let Some(rows) = rows {
                        for h in rows {
                            HouseholdRow { key: "{h.household.id}", h, can_check_in }
                        }
                    }
                }
            }
        }
    }
}
