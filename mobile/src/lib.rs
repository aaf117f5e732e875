//! Zhucun on the phone: the screens over the phone's core. Everything testable without a screen
//! — the offline record log, capture flows, trajectories, photos, sync and progress — lives in
//! `zhucun-mobile-core` and is re-exported here under the same paths ([`store`], [`capture`],
//! [`sync`], [`progress`], [`platform`]); this crate holds the app, its pages and components,
//! the state that glues them to the core, and the webview's geolocation.

pub mod app;
pub mod components;
pub mod pages;
pub mod state;

pub use zhucun_mobile_core::{
    battery_guide, camera, capture, demo, households, pacing, progress, spot_check, store, strings,
    sync, team,
};

/// The core's platform services, and the one that needs the webview.
pub mod platform {
    pub use zhucun_mobile_core::platform::*;
    #[cfg(target_os = "android")]
    pub mod android_location;
    #[cfg(all(feature = "desktop", target_os = "linux"))]
    pub mod linux_camera;
    pub mod webview;
}

pub use app::{App, Route};
pub use store::Store;
