//! Android specifics.

use std::path::PathBuf;

/// The application id in Dioxus.toml; Android gives every app a private files directory
/// under it that survives updates and is removed with the app.
const APP_ID: &str = "cn.zhucun.app";

pub(super) fn data_dir() -> PathBuf {
    PathBuf::from(format!("/data/data/{APP_ID}/files"))
}
