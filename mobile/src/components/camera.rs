//! The in-app camera: 拍照 opens a full-screen camera over the webview's `getUserMedia` (the
//! script and its state machine are in `zhucun_mobile_core::camera`), because a file input
//! does nothing in Dioxus on a phone. The picture is saved through the one save path
//! (`Services::photo`: EXIF read, watermark burned in, re-encoded) with the open visit, or
//! with `attached_to` (an activity).

use crate::camera::{Camera, CameraState, FromCamera, ToCamera, SCRIPT, VIDEO_ID};
use crate::state::{use_app_state, use_services, Notice, PhotoTarget};
use crate::strings;
use dioxus::document::{self, Eval};
use dioxus::prelude::*;
use zhucun_shared::ids::RecordId;

/// 拍照: opens the camera screen.
#[component]
pub fn CameraButton(attached_to: Option<RecordId>) -> Element {
    let mut open = use_signal(|| false);
    rsx! {
        button {
            class: "camera-button",
            onclick: move |_| open.set(true),
            "{strings::TAKE_PHOTO}"
        }
        if open() {
            CameraSheet { attached_to, on_close: move |_| open.set(false) }
        }
    }
}

/// Tells the script, if it still listens.
fn tell(eval: &Eval, cmd: Option<ToCamera>) {
    if let Some(cmd) = cmd {
        let _ = eval.send(cmd);
    }
}

/// The camera screen: the live picture, the shutter, then 使用这张 or 重拍. Closing it (or the
/// screen going away) stops the camera's tracks.
#[component]
fn CameraSheet(attached_to: Option<RecordId>, on_close: EventHandler<()>) -> Element {
    let services = use_services();
    let state = use_app_state();
    let mut camera = use_signal(Camera::<PhotoTarget>::new);
    // One script per opening of the screen, started with the screen.
    let eval = use_hook(|| document::eval(SCRIPT));
    {
        let eval = eval.clone();
        use_future(move || {
            let mut eval = eval.clone();
            async move {
                let start = camera.write().open();
                tell(&eval, start);
                loop {
                    match eval.recv::<FromCamera>().await {
                        Ok(msg) => {
                            let reply = camera.write().on_message(msg);
                            tell(&eval, reply);
                        }
                        Err(_) => {
                            camera.write().channel_closed();
                            break;
                        }
                    }
                }
            }
        });
    }
    {
        let eval = eval.clone();
        use_drop(move || {
            let _ = eval.send(ToCamera::Stop);
        });
    }

    let cam = camera.read();
    let live = matches!(cam.state, CameraState::Live);
    let captured = matches!(cam.state, CameraState::Captured { .. });
    let saved = matches!(cam.state, CameraState::Saved);
    let status = match &cam.state {
        CameraState::Starting => Some(strings::CAMERA_STARTING.to_string()),
        CameraState::Saving => Some(strings::CAMERA_SAVING.to_string()),
        CameraState::Failed { message } => Some(message.clone()),
        _ => None,
    };
    let can_open = matches!(cam.state, CameraState::Idle | CameraState::Failed { .. });
    let notice = cam.notice.clone();
    drop(cam);

    let (e1, e2, e3, e4) = (eval.clone(), eval.clone(), eval.clone(), eval.clone());
    let s1 = services.clone();
    rsx! {
        div { class: "camera-sheet", role: "dialog",
            div { class: "camera-view",
                video { id: VIDEO_ID, autoplay: true }
                if let Some(text) = status {
                    p { class: "camera-status", "{text}" }
                }
            }
            if let Some(text) = notice {
                p { class: "camera-notice", "{text}" }
            }
            p { class: "camera-hint", "{strings::CAMERA_HINT}" }
            div { class: "camera-controls",
                button {
                    class: "secondary",
                    onclick: move |_| {
                        let stop = camera.write().close();
                        let _ = e1.send(stop);
                        on_close.call(());
                    },
                    "{strings::CAMERA_CLOSE}"
                }
                if can_open {
                    button {
                        onclick: move |_| {
                            let start = camera.write().open();
                            tell(&e2, start);
                        },
                        "{strings::CAMERA_OPEN}"
                    }
                }
                if live {
                    button {
                        class: "shutter",
                        onclick: move |_| {
                            // Where the picture goes and what its watermark says: now.
                            let target = s1.photo_target(attached_to).map_err(|e| e.to_string());
                            let capture = camera.write().shutter(target);
                            tell(&e3, capture);
                        },
                        "{strings::CAMERA_SHUTTER}"
                    }
                }
                if captured || saved {
                    button {
                        class: "secondary",
                        onclick: move |_| {
                            let resume = camera.write().retake();
                            tell(&e4, resume);
                        },
                        if saved { "{strings::CAMERA_ANOTHER}" } else { "{strings::CAMERA_RETAKE}" }
                    }
                }
                if captured {
                    button {
                        onclick: move |_| {
                            let services = services.clone();
                            async move {
                                let Some((picture, target)) = camera.write().save() else {
                                    return;
                                };
                                let s = services.clone();
                                let result = tokio::task::spawn_blocking(move || s.photo(target, &picture).map_err(|e| e.to_string()))
                                    .await
                                    .unwrap_or_else(|_| Err(strings::ERR_PHOTO_UNREADABLE.to_string()));
                                let notice = match &result {
                                    Ok(()) => Notice::Saved(strings::PHOTOS.to_string()),
                                    Err(e) => Notice::Error(e.clone()),
                                };
                                camera.write().saved(result);
                                state.refresh(&services, Some(notice));
                            }
                        },
                        "{strings::CAMERA_USE}"
                    }
                }
            }
        }
    }
}
