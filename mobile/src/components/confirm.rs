//! A question asked before an action that cannot be taken back by pressing again.

use crate::strings;
use dioxus::prelude::*;

/// 确定 / 取消 under a question.
#[component]
pub fn Confirm(question: String, on_yes: EventHandler<()>, on_no: EventHandler<()>) -> Element {
    rsx! {
        div { class: "confirm", role: "alertdialog",
            p { "{question}" }
            div { class: "row",
                button { class: "secondary", onclick: move |_| on_no.call(()), "{strings::CANCEL}" }
                button { class: "danger", onclick: move |_| on_yes.call(()), "{strings::CONFIRM}" }
            }
        }
    }
}

/// A visit's answer as a pill: "计入", "不计入：…", or the phone's own estimate.
#[component]
pub fn VisitAnswer(text: String, counts: bool, from_server: bool) -> Element {
    let class = if counts { "pill met" } else { "pill short" };
    rsx! {
        span { class: "{class}",
            if from_server { "{strings::SERVER_SAYS} " } else { "{strings::PROVISIONAL} " }
            "{text}"
        }
    }
}
