//! tutorkiosk: a walk-up kiosk for a tutoring center and the central scheduling server it syncs with.

pub mod clock;
pub mod domain;
#[cfg(feature = "config")]
pub mod kiosk;
pub mod protocol;
#[cfg(any(feature = "kiosk", feature = "server"))]
pub mod secrets;
#[cfg(feature = "server")]
pub mod server;
#[cfg(any(feature = "kiosk", feature = "server"))]
pub mod sqlite;
