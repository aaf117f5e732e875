//! 四必到 on the phone: an event entered with the day it happened and the household it
//! concerns, if any ([`EventForm`]); the events still open with the days left to attend each,
//! and 前往处理, which checks in at the household or on site, linked to the event
//! ([`OpenEvents`]).

use crate::capture::{Command, EVENT_BACKDATE_DAYS};
use crate::state::{use_app_state, use_services};
use crate::strings;
use chrono::{Duration, NaiveDate};
use dioxus::prelude::*;
use zhucun_shared::events::OpenEvent;
use zhucun_shared::ids::HouseholdId;
use zhucun_shared::period::local_date;
use zhucun_shared::record::EventKind;

/// 登记四必到事件: kind, the day it happened (today by default, back to
/// [`EVENT_BACKDATE_DAYS`] days), the household it concerns or none, what happened.
#[component]
pub fn EventForm() -> Element {
    let state = use_app_state();
    let services = use_services();
    let mut kind = use_signal(|| EventKind::DifficultyRequest);
    let mut description = use_signal(String::new);
    // None: today, whatever day it is when the event is saved.
    let mut day = use_signal(|| None::<NaiveDate>);
    let mut household = use_signal(|| None::<HouseholdId>);
    let today = local_date(services.now());
    let households: Vec<(HouseholdId, String)> = state
        .place
        .read()
        .households
        .iter()
        .map(|h| (h.id, h.head_name.clone()))
        .collect();
    let earliest = today - Duration::days(EVENT_BACKDATE_DAYS);
    let shown = day().unwrap_or(today);
    let k = kind();
    let chosen = household();
    rsx! {
        div { class: "card event-form",
            h2 { "{strings::EVENT_TITLE}" }
            select {
                class: "event-kind",
                onchange: move |e| {
                    if let Some(k) = e.value().parse::<usize>().ok().and_then(|i| EventKind::ALL.get(i).copied()) {
                        kind.set(k);
                    }
                },
                for (i, c) in EventKind::ALL.iter().enumerate() {
                    option { value: "{i}", selected: *c == k, "{c.label_zh()}" }
                }
            }
            label { "{strings::EVENT_DATE}" }
            input {
                r#type: "date",
                class: "event-date",
                min: "{earliest}",
                max: "{today}",
                value: "{shown}",
                oninput: move |e| day.set(e.value().parse().ok()),
            }
            label { "{strings::EVENT_HOUSEHOLD}" }
            select {
                class: "event-household",
                onchange: move |e| household.set(e.value().parse().ok()),
                option { value: "", selected: chosen.is_none(), "{strings::EVENT_NO_HOUSEHOLD}" }
                for (id, name) in households {
                    option { value: "{id}", selected: chosen == Some(id), "{name}" }
                }
            }
            textarea {
                placeholder: "{strings::EVENT_DESCRIPTION}",
                value: "{description}",
                oninput: move |e| description.set(e.value()),
            }
            button {
                class: "big record-event",
                onclick: move |_| {
                    let cmd = Command::Event {
                        kind: kind(),
                        occurred_on: day().unwrap_or_else(|| local_date(services.now())),
                        household_id: household(),
                        description: description.peek().clone(),
                    };
                    if state.run(&services, cmd, strings::SAVED) {
                        description.set(String::new());
                        day.set(None);
                        household.set(None);
                    }
                },
                "{strings::RECORD_EVENT}"
            }
        }
    }
}

/// 待处理的四必到事件: the team's events (recorded here or pulled), oldest first, with its day,
/// the days left (or overdue), who recorded it when a teammate did, and 前往处理 — or, once
/// anyone of the team has attended it, who did and when (R-241 counts the team's attendance).
/// Nothing when there is none.
#[component]
pub fn OpenEvents() -> Element {
    let state = use_app_state();
    let services = use_services();
    let records = state.records.read();
    let place = state.place.read();
    let person = |id| {
        records
            .event_people
            .get(&id)
            .cloned()
            .unwrap_or_else(|| strings::TEAMMATE.to_string())
    };
    // (event, household, recorded by a teammate, attended: by whom, when, how)
    type Row = (OpenEvent, Option<String>, Option<String>, Option<String>);
    let events: Vec<Row> = records
        .open_events
        .iter()
        .map(|e| {
            let name = e
                .household_id
                .and_then(|h| place.household_name(h))
                .map(String::from);
            let by = person(e.recorded_by);
            let recorded = (by != "我").then(|| strings::event_recorded_by(&by));
            let attended = e
                .attended
                .map(|a| strings::event_attended_line(&person(a.by), a.at, a.on_site));
            (e.clone(), name, recorded, attended)
        })
        .collect();
    drop(records);
    drop(place);
    if events.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { class: "card open-events",
            h2 { "{strings::OPEN_EVENTS}" }
            for (e, name, recorded, attended) in events {
                div {
                    class: if e.attended.is_some() { "row open-event attended" } else if e.days_left < 0 { "row open-event overdue" } else { "row open-event" },
                    key: "{e.event}",
                    div {
                        div {
                            "{e.kind.label_zh()} · {e.description}"
                            if let Some(n) = name { " · {n}" }
                            if let Some(r) = recorded { " · {r}" }
                        }
                        div { class: "muted", "{strings::open_event_line(e.occurred_on, e.attend_by, e.days_left)}" }
                        if let Some(a) = attended {
                            div { class: "attended", "{a}" }
                        }
                    }
                    if e.attended.is_none() {
                    button {
                        class: "attend",
                        onclick: {
                            let services = services.clone();
                            let e = e.clone();
                            move |_| {
                                let saved = if e.household_id.is_some() {
                                    strings::HOUSEHOLD_CHECK_IN
                                } else {
                                    strings::ON_SITE_SAVED
                                };
                                let cmd = Command::AttendEvent {
                                    event: e.event,
                                    village_id: e.village_id,
                                    household_id: e.household_id,
                                };
                                state.run(&services, cmd, saved);
                            }
                        },
                        "{strings::ATTEND_EVENT}"
                    }
                    }
                }
            }
        }
    }
}
