//! Zhucun's domain, shared by the phone and the server so that both compute the same verdicts.

pub mod attachment;
pub mod calendar;
pub mod catalogue;
pub mod evaluate;
pub mod ids;
pub mod org;
pub mod period;
pub mod plausibility;
pub mod record;
pub mod role;
pub mod spot_check;
pub mod sync;
pub mod verdict;

pub use evaluate::{evaluate, EvalContext};
pub mod geometry;
pub mod stays;
pub mod synth;
pub mod visits;
