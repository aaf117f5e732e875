//! Zhucun on the phone: the offline record log, capture flows, trajectories, photos, sync and
//! the progress screen. Everything testable without a screen lives outside the components:
//! [`store`], [`capture`], [`sync`], [`progress`] and [`platform`]'s simulated services.

pub mod app;
pub mod capture;
pub mod components;
pub mod demo;
pub mod pages;
pub mod platform;
pub mod progress;
pub mod spot_check;
pub mod state;
pub mod store;
pub mod strings;
pub mod sync;
pub mod team;

pub use app::{App, Route};
pub use store::Store;
