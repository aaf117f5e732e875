//! End-to-end tests across the crates, in one binary: the phone's core syncing with the real
//! server over HTTP on loopback, and both sides giving the same verdicts.

mod leave;
mod on_site;
mod phone_sync;
mod same_verdicts;
mod spot_check;
mod team_events;
