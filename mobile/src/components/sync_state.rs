//! The sync line at the top of 今日: under way, retrying (and when), failed (why and what to
//! do), or the last success, from the engine's state in [`crate::state::SyncView`], with 立即同步.

use crate::state::{start_sync, use_app_state, use_services};
use crate::strings;
use dioxus::prelude::*;

#[component]
pub fn SyncLine() -> Element {
    let state = use_app_state();
    let services = use_services();
    let sync = state.sync.read();
    let (class, headline, details) = strings::sync_status(&sync.status);
    let syncing = sync.syncing;
    drop(sync);
    rsx! {
        div { class: "card sync-line {class}", role: "status",
            div { class: "row",
                span { class: "pill {class}", "{headline}" }
                button {
                    class: "small",
                    disabled: syncing,
                    onclick: move |_| start_sync(state, services.clone()),
                    "{strings::SYNC_NOW}"
                }
            }
            for line in details {
                p { class: "sync-detail", "{line}" }
            }
        }
    }
}
