//! The screens, one per route.

mod battery;
mod history;
mod households;
mod leave;
mod progress;
mod sign_in;
mod spot_checks;
mod team;
mod today;
mod work;

pub use battery::{BatteryGuide, PhoneMaker};
pub use history::History;
pub use households::Households;
pub use leave::{Leave, LeaveSummary};
pub use progress::Progress;
pub use sign_in::SignIn;
pub use spot_checks::SpotChecks;
pub use team::{Member, Team};
pub use today::Today;
pub use work::Work;
