//! Pieces the screens share.

mod camera;
mod confirm;
mod events;
mod households;
mod map;
mod pacing;
mod status;
mod sync_state;
mod sync_status;

pub use camera::CameraButton;
pub use confirm::{Confirm, VisitAnswer};
pub use events::{EventForm, OpenEvents};
pub use households::{DueHouseholds, HouseholdBrowser, SHORT_LIST};
pub use map::{MapHousehold, TrajectoryMap};
pub use pacing::PacingCard;
pub use status::{AccuracyLine, StatusPill};
pub use sync_state::SyncLine;
pub use sync_status::{NoticeBanner, SyncBadge, SyncCard};

use chrono::{DateTime, Datelike, Utc};
use zhucun_shared::period::{day_start, local_date};

/// "14:05", Beijing time.
pub fn hm(t: DateTime<Utc>) -> String {
    let secs = (t - day_start(local_date(t))).num_seconds().max(0);
    format!("{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
}

/// "11月16日 14:05", Beijing time.
pub fn md_hm(t: DateTime<Utc>) -> String {
    let d = local_date(t);
    format!("{}月{}日 {}", d.month(), d.day(), hm(t))
}
