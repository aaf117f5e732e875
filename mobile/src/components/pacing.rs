//! 本月进度 in a few lines: how many rules are met, and for each requirement still open what
//! is missing and the working days left (还差2次，剩7个工作日), most pressing first. Tapping a
//! line opens that rule's details (`detail`, the rule's full card).

use crate::pacing::PaceLine;
use crate::state::use_app_state;
use crate::strings;
use dioxus::prelude::*;

#[component]
pub fn PacingCard(detail: Callback<String, Element>) -> Element {
    let state = use_app_state();
    let pacing = state.progress.read().pacing.clone();
    let mut open = use_signal(|| None::<usize>);
    let Some(pacing) = pacing else {
        return rsx! {};
    };
    rsx! {
        div { class: "card pacing",
            p { class: "pace-summary", "{strings::pacing_summary(&pacing)}" }
            if pacing.lines.is_empty() {
                p { class: "muted", "{strings::PACING_ALL_MET}" }
            }
            if pacing.later > 0 {
                p { class: "muted", "{strings::pacing_later(pacing.later)}" }
            }
            for (i, l) in pacing.lines.into_iter().enumerate() {
                PaceRow {
                    key: "{i}",
                    line: l.clone(),
                    on_tap: move |_| {
                        let again = *open.peek() == Some(i);
                        open.set(if again { None } else { Some(i) });
                    },
                }
                if open() == Some(i) {
                    div { class: "pace-detail", {detail.call(l.rule_id.clone())} }
                }
            }
        }
    }
}

#[component]
fn PaceRow(line: PaceLine, on_tap: EventHandler<String>) -> Element {
    let class = if line.overdue {
        "pace overdue"
    } else if line.behind {
        "pace behind"
    } else {
        "pace"
    };
    let id = line.rule_id.clone();
    rsx! {
        button { class: "{class}", onclick: move |_| on_tap.call(id.clone()),
            span { class: "what",
                span { "{line.title_zh}" }
                span { class: "left", "{strings::pace_line(&line)}" }
                span { class: "muted", "{line.label_zh} · {line.counted}/{line.required}" }
            }
            span { class: "muted", "{strings::DETAILS}" }
        }
    }
}
