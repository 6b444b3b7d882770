//! Check-in result: who, with whom, when, where; late or early in kind words; what to do with
//! no appointment. Returns to Welcome by itself.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use iced::widget::{Column, row, text};
use iced::{Element, Length};

use crate::domain::{CheckInDecision, time};
use crate::kiosk::service::CheckInView;
use crate::kiosk::ui::{theme, widgets};

/// Seconds the result stays before Welcome returns.
pub const SHOW_SECONDS: i64 = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Done,
    DropIn,
    Book,
}

#[derive(Debug, Clone)]
pub struct State {
    pub view: Result<CheckInView, String>,
    pub tutor: Option<(String, Option<String>)>,
    pub course: Option<String>,
    pub shown_at: DateTime<Utc>,
    pub tz: Tz,
}

impl State {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        (now - self.shown_at).num_seconds() >= SHOW_SECONDS
    }

    pub fn view(&self, now: DateTime<Utc>) -> Element<'_, Message> {
        let mut col = Column::new().spacing(theme::GAP + 4.0).padding(theme::PAD).width(Length::Fill);
        match &self.view {
            Err(message) => {
                col = col
                    .push(text("We couldn't check you in").size(theme::TITLE).font(theme::BOLD))
                    .push(widgets::notice(message.as_str()))
                    .push(
                        row![
                            widgets::primary("Join drop-in help", Some(Message::DropIn)),
                            widgets::primary("Done", Some(Message::Done))
                        ]
                        .spacing(theme::GAP),
                    );
            }
            Ok(v) => {
                let hello = match &v.display_name {
                    Some(n) => format!("Hi, {n}"),
                    None => "Thanks!".to_string(),
                };
                col = col.push(text(hello).size(theme::HUGE).font(theme::BOLD));
                match (&v.appointment, &v.decision) {
                    (Some(a), Some(d)) => {
                        let with = self.tutor.as_ref().map(|t| t.0.as_str()).unwrap_or("your tutor");
                        let course = self.course.as_deref().unwrap_or("your session");
                        let when = format!(
                            "{} at {}",
                            time::relative_day_text(self.tz, a.start, now),
                            time::clock_text(self.tz, a.start)
                        );
                        let (headline, detail) = match d {
                            CheckInDecision::OnTime => {
                                ("You're checked in.".to_string(), format!("{course} with {with}, {when}."))
                            }
                            CheckInDecision::Late { minutes_late } => (
                                "You're checked in — you're a little late.".to_string(),
                                format!(
                                    "{course} with {with} started {minutes_late} minutes ago. Head over now; they know you're here."
                                ),
                            ),
                            CheckInDecision::TooEarly { opens_at } => (
                                "You're early — welcome!".to_string(),
                                format!(
                                    "{course} with {with} is {when}. Check-in opens at {}; swipe again then.",
                                    time::clock_text(self.tz, *opens_at)
                                ),
                            ),
                            CheckInDecision::Closed | CheckInDecision::NotOpen(_) => (
                                "This session's check-in has closed.".to_string(),
                                format!(
                                    "{course} with {with} was {when}. Please see the front desk, or join drop-in help."
                                ),
                            ),
                        };
                        col = col
                            .push(text(headline).size(theme::HEADING).font(theme::BOLD))
                            .push(text(detail).size(theme::TEXT + 4.0));
                        if let Some(place) = self.tutor.as_ref().and_then(|t| t.1.as_deref()) {
                            col = col.push(text(format!("Where: {place}")).size(theme::TEXT + 4.0));
                        }
                    }
                    _ => {
                        col = col
                            .push(text("You're signed in at the center.").size(theme::HEADING).font(theme::BOLD))
                            .push(text("You don't have a session booked today. You can join drop-in help now, or book a session.").size(theme::TEXT + 4.0))
                            .push(row![widgets::primary("Join drop-in help", Some(Message::DropIn)), widgets::primary("Book a session", Some(Message::Book))].spacing(theme::GAP));
                    }
                }
                if !v.delivered {
                    col = col.push(widgets::notice(
                        "You're checked in on this kiosk — we'll sync when the network is back.",
                    ));
                }
                col = col.push(row![widgets::primary("Done", Some(Message::Done))].width(Length::Fixed(320.0)));
            }
        }
        let left = SHOW_SECONDS - (now - self.shown_at).num_seconds();
        col.push(text(format!("Back to the start in {} seconds.", left.max(0))).size(theme::SMALL)).into()
    }
}
