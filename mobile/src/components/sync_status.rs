use super::md_hm;
use crate::state::{start_sync, use_app_state, use_services, Notice};
use crate::strings;
use dioxus::prelude::*;

/// A small badge in the title bar: a sync under way, how much is waiting to go up, or that
/// the last sync failed. 「已全部上传」 only when nothing waits and the last sync went through.
#[component]
pub fn SyncBadge() -> Element {
    let state = use_app_state();
    let sync = state.sync.read();
    let (class, text) = sync_badge(&sync.queue, sync.syncing);
    drop(sync);
    rsx! {
        span { class: "pill {class}", "{text}" }
    }
}

fn sync_badge(q: &crate::store::QueueState, syncing: bool) -> (&'static str, String) {
    let pending = q.pending_records + q.pending_photos;
    if syncing {
        ("open", strings::SYNCING.to_string())
    } else if pending > 0 {
        ("open", format!("{} {pending}", strings::SYNC))
    } else if q.last_error.is_some() {
        ("short", strings::SYNC_FAILED.to_string())
    } else if q.last_success.is_none() {
        ("na", strings::NEVER_SYNCED.to_string())
    } else {
        ("met", strings::ALL_SYNCED.to_string())
    }
}

/// What is pending, the last success, the last error, and a button to sync now.
#[component]
pub fn SyncCard() -> Element {
    let state = use_app_state();
    let services = use_services();
    let sync = state.sync.read();
    let q = sync.queue.clone();
    let syncing = sync.syncing;
    drop(sync);
    let last = q
        .last_success
        .map(md_hm)
        .unwrap_or_else(|| strings::NEVER_SYNCED.to_string());
    let kb = q.pending_photo_bytes.div_ceil(1024);
    rsx! {
        div { class: "card sync",
            h2 {
                "{strings::SYNC}"
                button {
                    class: "small",
                    disabled: syncing,
                    onclick: move |_| start_sync(state, services.clone()),
                    "{strings::SYNC_NOW}"
                }
            }
            div { class: "grid2",
                div { class: "stat", b { "{q.pending_records}" } span { class: "muted", "{strings::PENDING_RECORDS}" } }
                div { class: "stat", b { "{q.pending_photos}" } span { class: "muted", "{strings::PENDING_PHOTOS} ({kb} KB)" } }
            }
            div { class: "row",
                span { class: "muted", "{strings::LAST_SYNC}" }
                span { class: "last-sync", "{last}" }
            }
            if !q.set_aside.is_empty() {
                div { class: "set-aside",
                    div { class: "row",
                        span { class: "muted", "{strings::SET_ASIDE}" }
                        b { "{q.set_aside.len()}" }
                        button {
                            class: "small retry",
                            disabled: syncing,
                            onclick: {
                                let services = services.clone();
                                move |_| match services.retry_set_aside() {
                                    Ok(_) => start_sync(state, services.clone()),
                                    Err(e) => state.refresh(&services, Some(Notice::error(&e))),
                                }
                            },
                            "{strings::RETRY_SET_ASIDE}"
                        }
                    }
                    for item in q.set_aside.iter() {
                        div { class: "row", span { class: "cats", "{strings::record_kind(&item.what)}：{item.message}" } }
                    }
                }
            }
            if let Some(err) = q.last_error {
                div { class: "row", span { class: "muted", "{strings::SYNC_FAILED}" } span { class: "cats", "{err}" } }
            }
        }
    }
}

/// The outcome of the last action.
#[component]
pub fn NoticeBanner() -> Element {
    let state = use_app_state();
    let notice = state.notice.read().clone();
    rsx! {
        match notice {
            Some(Notice::Saved(t)) => rsx! { div { class: "notice ok", "{t}" } },
            Some(Notice::Error(t)) => rsx! { div { class: "notice err", "{t}" } },
            None => rsx! {},
        }
    }
}
