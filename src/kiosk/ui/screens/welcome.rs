//! Welcome: center name, clock, opening message, help contacts, four large actions.

use iced::widget::{Column, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::kiosk::ui::app::{Context, Intent};
use crate::kiosk::ui::{theme, widgets};

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Choose(Intent),
}

pub fn view<'a>(ctx: &Context<'a>) -> Element<'a, Message> {
    let actions = column![
        row![
            widgets::tile("Check in", "I have a session now", Message::Choose(Intent::CheckIn)),
            widgets::tile("Book a session", "See tutors and times", Message::Choose(Intent::Book)),
        ]
        .spacing(theme::GAP),
        row![
            widgets::tile("My appointments", "Cancel or move one", Message::Choose(Intent::Mine)),
            widgets::tile("Drop-in help", "No appointment needed", Message::Choose(Intent::DropIn)),
        ]
        .spacing(theme::GAP),
    ]
    .spacing(theme::GAP);

    let mut help = Column::new().spacing(6);
    help = help.push(text("Need help?").size(theme::TEXT).font(theme::BOLD));
    for c in &ctx.welcome.help_contacts {
        help = help.push(text(c.as_str()).size(theme::SMALL));
    }

    let mut body = Column::new().spacing(theme::GAP + 8.0).padding(theme::PAD);
    if let Some(message) = ctx.out_of_service {
        return body
            .push(text(message).size(theme::TITLE).font(theme::BOLD))
            .push(text("You can still swipe or scan your student ID card to check in.").size(theme::HEADING - 6.0))
            .into();
    }
    if !ctx.online {
        body = body.push(widgets::notice(
            "The network is down right now. You can still check in and join drop-in help — we'll sync when it's back.",
        ));
    }
    body = body
        .push(text(ctx.welcome.opening_message.as_str()).size(theme::TEXT + 4.0))
        .push(actions)
        .push(
            container(
                text("Swipe or scan your student ID card any time to check in.")
                    .size(theme::TEXT + 4.0)
                    .font(theme::BOLD),
            )
            .center_x(Length::Fill),
        )
        .push(
            row![
                container(help).width(Length::FillPortion(1)),
                container(text(ctx.welcome.bios_hint.as_str()).size(theme::SMALL)).width(Length::FillPortion(1)),
            ]
            .spacing(theme::GAP)
            .align_y(Alignment::Start),
        );
    body.into()
}
