//! The kiosk: config, local cache, sync engine, the service the screens use, and the screens.

pub mod cache;
pub mod config;
#[cfg(feature = "handout")]
pub mod handout;
pub mod logging;
pub mod runtime;
pub mod service;
pub mod sync;
pub mod ui;
