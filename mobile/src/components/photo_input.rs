use crate::state::{use_app_state, use_services, Notice};
use crate::strings;
use dioxus::prelude::*;
use zhucun_shared::ids::RecordId;

/// The camera: a file input that opens the back camera on a phone (`capture="environment"`).
/// The picture is re-encoded off the UI thread and saved with the open visit, or with
/// `attached_to` (an activity or report).
#[component]
pub fn PhotoInput(attached_to: Option<RecordId>) -> Element {
    let state = use_app_state();
    let services = use_services();
    rsx! {
        label { class: "photo-input button",
            "{strings::TAKE_PHOTO}"
            input {
                r#type: "file",
                accept: "image/*",
                capture: "environment",
                onchange: move |evt: FormEvent| {
                    let services = services.clone();
                    // Where the picture goes is fixed now, before reading and re-encoding it: a
                    // visit checked out meanwhile still gets it.
                    let target = services.photo_target(attached_to);
                    async move {
                        let target = match target {
                            Ok(t) => t,
                            Err(e) => {
                                state.refresh(&services, Some(Notice::Error(e)));
                                return;
                            }
                        };
                        for file in evt.files() {
                            let notice = match file.read_bytes().await {
                                Ok(bytes) => {
                                    let s = services.clone();
                                    let res = tokio::task::spawn_blocking(move || s.photo(target, &bytes))
                                        .await
                                        .unwrap_or_else(|_| Err(strings::ERR_PHOTO_UNREADABLE.to_string()));
                                    match res {
                                        Ok(()) => Notice::Saved(strings::PHOTOS.to_string()),
                                        Err(e) => Notice::Error(e),
                                    }
                                }
                                Err(_) => Notice::Error(strings::ERR_PHOTO_UNREADABLE.to_string()),
                            };
                            state.refresh(&services, Some(notice));
                        }
                    }
                },
            }
        }
    }
}
