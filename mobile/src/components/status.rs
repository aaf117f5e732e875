use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::record::Fix;
use zhucun_shared::verdict::Status;

/// A verdict status as a coloured pill; dashed when provisional.
#[component]
pub fn StatusPill(status: Status, provisional: bool) -> Element {
    let class = match status {
        Status::Met => "met",
        Status::Short => "short",
        Status::Late => "late",
        Status::NotYetDue => "open",
        Status::NotApplicable => "na",
    };
    let class = if provisional {
        format!("pill prov {class}")
    } else {
        format!("pill {class}")
    };
    rsx! { span { class: "{class}", "{status.label_zh()}" } }
}

/// The current fix: accuracy, or that the phone is still locating.
#[component]
pub fn AccuracyLine(fix: Option<Fix>, simulated: bool) -> Element {
    let text = match fix {
        Some(f) => strings::accuracy(f.accuracy_m),
        None => strings::LOCATING.to_string(),
    };
    rsx! {
        span { class: "muted accuracy",
            "{text}"
            if simulated { " · {strings::SIMULATED_LOCATION}" }
        }
    }
}
