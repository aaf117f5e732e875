//! The phone's core, apart from its screens: the offline record log ([`store`]), the capture
//! flows ([`capture`]), the sync engine ([`sync`]), this month's progress ([`progress`]), the
//! team's and the spot-check queue's data ([`team`], [`spot_check`]), the in-app camera's
//! screen state ([`camera`]), the battery-settings guide's steps ([`battery_guide`]), the Chinese texts
//! ([`strings`]), the demo village ([`demo`]) and the platform services behind small traits with
//! their simulated implementations ([`platform`]). No Dioxus: the app (`zhucun-mobile`) renders
//! this, and the end-to-end tests and benchmarks use it without compiling a screen.

pub mod battery_guide;
pub mod camera;
pub mod capture;
pub mod demo;
pub mod households;
pub mod pacing;
pub mod platform;
pub mod progress;
pub mod spot_check;
pub mod store;
pub mod strings;
pub mod sync;
pub mod team;

pub use store::Store;
