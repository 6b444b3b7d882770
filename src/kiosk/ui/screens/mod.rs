//! One file per screen: its state, its messages, the events its parent acts on, and its view.

pub mod book;
pub mod checkin;
pub mod dropin;
pub mod identify;
pub mod mine;
pub mod staff;
pub mod suspended;
pub mod welcome;
