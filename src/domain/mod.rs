//! The center's rules as pure code: no I/O, no clock reads (the caller passes `now`),
//! no database types. Both the kiosk and the server use it.

pub mod availability;
pub mod booking;
pub mod cancel;
pub mod checkin;
pub mod dropin;
pub mod model;
pub mod policy;
pub mod standing;
pub mod time;

pub use availability::{Conflict, WeeklyHours, conflicts, expand_weekly, free_slots};
pub use booking::{BookingContext, BookingRefusal, BookingRequest, check_booking};
pub use cancel::{CancelDecision, decide_cancel};
pub use checkin::{CheckInDecision, decide_check_in, no_show_sweep};
pub use model::*;
pub use policy::{LateCancelAt, Policy};
pub use standing::{OverrideRefusal, Standing, StudentRecord, check_override, standing};
