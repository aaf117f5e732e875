//! iOS specifics.

use std::path::PathBuf;

/// The app's Documents directory inside its sandbox (backed up, kept across updates).
pub(super) fn data_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join("Documents"))
        .unwrap_or_else(|| PathBuf::from("Documents"))
}
