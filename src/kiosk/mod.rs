//! The kiosk: config, local cache, sync engine, the service the screens use, and the screens.

#[cfg(feature = "kiosk")]
pub mod cache;
pub mod config;
#[cfg(feature = "handout")]
pub mod handout;
#[cfg(feature = "kiosk")]
pub mod logging;
#[cfg(feature = "kiosk")]
pub mod runtime;
#[cfg(feature = "kiosk")]
pub mod service;
#[cfg(feature = "kiosk")]
pub mod sync;
#[cfg(feature = "kiosk")]
pub mod ui;
