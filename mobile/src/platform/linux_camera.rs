//! The Linux desktop's webview (WebKitGTK) keeps `getUserMedia` off and refuses a page's
//! camera request unless the application says otherwise, and wry does neither; the in-app
//! camera needs both. Only the app's own page is ever loaded (dioxus blocks navigation), so
//! its requests for the camera are granted.

use dioxus::desktop::wry::WebViewExtUnix;
use dioxus::desktop::DesktopContext;
use webkit2gtk::glib::prelude::*;
use webkit2gtk::{PermissionRequestExt, SettingsExt, UserMediaPermissionRequest, WebViewExt};

/// Turns on the webview's media stream and grants the page's camera requests.
pub fn allow_camera(window: &DesktopContext) {
    let webview = window.webview.webview();
    if let Some(settings) = WebViewExt::settings(&webview) {
        settings.set_enable_media_stream(true);
    }
    webview.connect_permission_request(|_, request| {
        if request.is::<UserMediaPermissionRequest>() {
            request.allow();
            true
        } else {
            false
        }
    });
}
