//! 抽查: the supervisor's spot-check queue, once the server offers it.

use crate::state::use_app_state;
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::role::Role;

#[component]
pub fn SpotChecks() -> Element {
    let state = use_app_state();
    let supervisor = state.snapshot.read().is(Role::Supervisor);
    rsx! {
        div { class: "card",
            h2 { "{strings::SPOT_CHECK_QUEUE}" }
            if supervisor {
                p { class: "muted", "{strings::SPOT_CHECK_UNAVAILABLE}" }
            } else {
                p { class: "muted", "{strings::NOT_A_SUPERVISOR}" }
            }
        }
    }
}
