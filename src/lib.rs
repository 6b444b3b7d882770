//! tutorkiosk: a walk-up kiosk for a tutoring center and the central scheduling server it syncs with.

pub mod clock;
pub mod domain;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;
