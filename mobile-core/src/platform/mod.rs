//! Platform services behind small traits, each with a simulated implementation for tests,
//! the desktop demo and screenshots. Android and iOS specifics live in their own modules; the
//! webview's geolocation, which needs Dioxus, lives in the app (`zhucun-mobile`).

pub mod clock;
pub mod exif;
pub mod location;
pub mod native_location;
pub mod photo;
pub mod watermark;

#[cfg(target_os = "android")]
mod android;
#[cfg(target_os = "ios")]
mod ios;

use std::path::PathBuf;

/// Where the app keeps its database.
pub fn data_dir() -> PathBuf {
    #[cfg(target_os = "android")]
    return android::data_dir();
    #[cfg(target_os = "ios")]
    return ios::data_dir();
    #[cfg(not(any(target_os = "android", target_os = "ios")))]
    {
        if let Ok(dir) = std::env::var("ZHUCUN_DATA_DIR") {
            return PathBuf::from(dir);
        }
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".local/share/zhucun"))
            .unwrap_or_else(|| PathBuf::from("zhucun-data"))
    }
}
