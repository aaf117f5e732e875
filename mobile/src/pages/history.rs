//! 走访记录: my visits of the last 30 days, by day.

use crate::components::hm;
use crate::state::use_app_state;
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::period::local_date;

#[component]
pub fn History() -> Element {
    let state = use_app_state();
    let visits = state.records.read().history.clone();
    if visits.is_empty() {
        return rsx! { div { class: "card", p { class: "muted", "{strings::HISTORY_EMPTY}" } } };
    }
    let mut days: Vec<(chrono::NaiveDate, Vec<crate::state::VisitView>)> = Vec::new();
    for v in visits {
        let d = local_date(v.row.started_at);
        match days.last_mut() {
            Some((day, list)) if *day == d => list.push(v),
            _ => days.push((d, vec![v])),
        }
    }
    rsx! {
        for (day, list) in days {
            div { class: "card day", key: "{day}",
                h2 { "{day}" span { class: "pill", "{list.len()}" } }
                for v in list {
                    div { class: "row visit", key: "{v.row.check_in_id}",
                        div {
                            div { "{v.household}" }
                            div { class: "muted",
                                "{hm(v.row.started_at)}"
                                if let Some(e) = v.row.ended_at { "–{hm(e)}" }
                                " · "
                                {v.row.accuracy_m.map(strings::accuracy).unwrap_or_else(|| strings::NO_FIX.to_string())}
                                " · {strings::PHOTOS} {v.row.photos}"
                            }
                            for n in v.row.notes.iter() { div { class: "muted", "{n}" } }
                        }
                        if v.row.retracted || v.server.is_some() {
                            crate::pages::today::VisitVerdict { visit: v.clone(), outlook: None }
                        } else if v.row.ended_at.is_some() {
                            span { class: "pill met", "{strings::CHECKED_OUT}" }
                        } else {
                            span { class: "pill open", "{strings::NOT_CHECKED_OUT}" }
                        }
                    }
                }
            }
        }
    }
}
