//! 抽查: the supervisor's spot-check queue, as the server computed it at the last sync —
//! flagged records first, then a routine sample — and a finding written against each item
//! (one of the four outcomes, with a comment and the phone's fresh fix when there is one),
//! saved as a note on its first record and synced like any other record. Rows are keyed by
//! what the item is about ([`ItemIdentity`]), so a row keeps its typed finding and its target
//! when the queue is refreshed.

use crate::capture::Command;
use crate::spot_check::ItemIdentity;
use crate::state::{use_app_state, use_services};
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::{FindingOutcome, SpotCheckItem};

#[component]
pub fn SpotChecks() -> Element {
    let state = use_app_state();
    let supervisor = state.account.read().is(Role::Supervisor);
    let queue = state.team.read().spot_checks.clone();
    if !supervisor {
        return rsx! { div { class: "card", p { class: "muted", "{strings::NOT_A_SUPERVISOR}" } } };
    }
    let Some(queue) = queue else {
        return rsx! {
            div { class: "card",
                h2 { "{strings::SPOT_CHECK_QUEUE}" }
                p { class: "muted", "{strings::SPOT_CHECK_NOT_LOADED}" }
            }
        };
    };
    let open = queue.items.iter().filter(|i| i.finding.is_none()).count();
    rsx! {
        div { class: "card spot-checks",
            h2 { "{strings::SPOT_CHECK_QUEUE} · {queue.period.label_zh()}" span { class: "pill", "{strings::SPOT_CHECK_OPEN} {open}" } }
            if queue.items.is_empty() {
                p { class: "muted", "{strings::SPOT_CHECK_EMPTY}" }
            }
            for item in queue.items {
                SpotCheckRow { key: "{ItemIdentity::of(&item)}", item }
            }
        }
    }
}

#[component]
fn SpotCheckRow(item: SpotCheckItem) -> Element {
    let state = use_app_state();
    let services = use_services();
    let mut text = use_signal(String::new);
    let target = item.records.first().copied();
    // A finding written here on any of the item's records (before the server has it).
    let local = {
        let records = state.records.read();
        item.records
            .iter()
            .find_map(|r| records.my_notes.get(r).cloned())
    };
    let flagged = matches!(
        item.reason,
        zhucun_shared::spot_check::SpotCheckReason::Flag(_)
    );
    rsx! {
        div { class: "row spot-check",
            div {
                div {
                    span { class: if flagged { "pill short" } else { "pill" }, "{item.reason.label_zh()}" }
                    " {item.person_name}"
                }
                div { class: "muted", "{item.detail}" }
                if let Some(f) = &item.finding {
                    if let Some(outcome) = f.outcome {
                        div { class: "finding", "{strings::SPOT_CHECK_DONE}（{outcome.label_zh()}）：{f.text}" }
                    } else {
                        div { class: "finding", "{strings::SPOT_CHECK_DONE}：{f.text}" }
                    }
                } else if let Some(t) = &local {
                    div { class: "finding", "{strings::SPOT_CHECK_PENDING_SYNC}：{t}" }
                } else if let Some(target) = target {
                    textarea {
                        placeholder: "{strings::SPOT_CHECK_FINDING}",
                        value: "{text}",
                        oninput: move |e| text.set(e.value()),
                    }
                    // One button per outcome; the phone's fresh fix goes with it (on site).
                    div { class: "finding-outcomes",
                        span { class: "muted", "{strings::SPOT_CHECK_RECORD}" }
                        {FindingOutcome::ALL.into_iter().map(|outcome| {
                            let services = services.clone();
                            rsx! {
                                button {
                                    class: "small",
                                    onclick: move |_| {
                                        let cmd = Command::Finding {
                                            attached_to: target,
                                            outcome,
                                            text: text.peek().clone(),
                                        };
                                        if state.run(&services, cmd, strings::SAVED) {
                                            text.set(String::new());
                                        }
                                    },
                                    "{outcome.label_zh()}"
                                }
                            }
                        })}
                    }
                }
            }
        }
    }
}
