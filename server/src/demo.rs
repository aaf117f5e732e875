//! The demo county.
