//! Zhucun's domain, shared by the phone and the server so that both compute the same verdicts.

pub mod answers;
pub mod attachment;
pub mod calendar;
pub mod catalogue;
pub mod coords;
pub mod day_facts;
pub mod evaluate;
pub mod events;
pub mod exif;
pub mod ids;
pub mod leave;
pub mod ledger_chain;
pub mod month_close;
pub mod org;
pub mod pairing_ledger;
pub mod period;
pub mod plausibility;
pub mod record;
pub mod role;
pub mod sessions;
pub mod spot_check;
pub mod sync;
pub mod verdict;

pub use evaluate::{evaluate, evaluate_deriving, EvalContext, RecordsDerived};
pub mod geometry;
// Schemas for the server's API document. Under the `openapi` feature every type that travels in
// a request or response derives `utoipa::ToSchema`: a new one needs
// `#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]` too, or the server fails to build.
#[cfg(feature = "openapi")]
mod openapi;
pub mod stays;
pub mod synth;
pub mod trajectory;
pub mod visits;
