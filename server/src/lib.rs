//! Zhucun's server: accounts, the sync protocol with the phones, photo storage, and verdicts
//! recomputed from the records (never taken from the phone), over SQLite or PostgreSQL.
//!
//! Start it in-process with [`open_store`], [`AppState::new`] and [`serve`] on any listener
//! (tests bind port 0). The application — its state, its router, its listeners — is [`app`];
//! every other module is a part it assembles.

pub mod accounts;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod console;
pub mod day_facts;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod evaluation_memory;
pub mod findings;
pub mod import;
pub mod leave;
pub mod ledgers;
pub mod metrics;
pub mod office;
pub mod photos;
pub mod policy;
pub mod store;
pub mod verdicts;

pub use app::{serve, serve_metrics, AppInner, AppState, StartError};
pub use config::Config;
pub use error::{ApiError, ApiResult};
pub use store::{open_store, AnyStore, Store};
