//! Booking suspended: kind, clear, and with the way forward.

use iced::widget::{column, container, row, text};
use iced::{Element, Length};

use crate::domain::Policy;
use crate::kiosk::ui::{theme, widgets};

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    DropIn,
    Done,
}

/// The view with the student's first name owned by it.
pub fn view_owned<'a>(name: String, missed: u32, policy: &Policy) -> Element<'a, Message> {
    column![
        text(format!("Hi {name} — booking is paused for now")).size(theme::TITLE).font(theme::BOLD),
        text(format!(
            "Our records show {missed} missed sessions this term. After {} the center pauses new bookings for the rest of the term, \
             so that every student gets a fair chance at a tutor's time.",
            policy.no_show_limit
        ))
        .size(theme::TEXT + 4.0),
        widgets::info("Drop-in help is still open to you, today and every day."),
        text("If something got in the way — illness, a family matter, a mix-up — the director can restore booking once a term. \
              Ask at the front desk; they'll pass it on.")
            .size(theme::TEXT + 4.0),
        row![
            container(widgets::primary("Join drop-in help", Some(Message::DropIn))).width(Length::Fixed(380.0)),
            container(widgets::primary("Done", Some(Message::Done))).width(Length::Fixed(260.0)),
        ]
        .spacing(theme::GAP),
    ]
    .spacing(theme::GAP + 4.0)
    .padding(theme::PAD)
    .into()
}
