//! My appointments: upcoming sessions, each with the cancel policy stated before the tap.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use iced::widget::{Column, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::domain::{Appointment, AppointmentStatus, CancelDecision, time};
use crate::kiosk::service::Outcome;
use crate::kiosk::ui::{theme, widgets};

const PER_PAGE: usize = 3;

/// One session as listed: the appointment, its words, and the decision right now.
#[derive(Debug, Clone)]
pub struct Row {
    pub appointment: Appointment,
    pub course: String,
    pub tutor: String,
    pub decision: CancelDecision,
    pub policy: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Cancel(String),
    Move(String),
    ConfirmCancel,
    KeepIt,
    Page(isize),
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Cancel(Appointment),
    Move(Appointment),
    Exit,
}

pub struct State {
    pub name: String,
    pub rows: Vec<Row>,
    pub loaded: bool,
    pub from_cache: bool,
    confirming: Option<String>,
    pub result: Option<Outcome<Appointment>>,
    pub busy: bool,
    page: usize,
    tz: Tz,
}

impl State {
    pub fn new(name: String, tz: Tz) -> State {
        State {
            name,
            rows: vec![],
            loaded: false,
            from_cache: false,
            confirming: None,
            result: None,
            busy: false,
            page: 0,
            tz,
        }
    }

    pub fn set_rows(&mut self, rows: Vec<Row>, from_cache: bool) {
        self.rows = rows;
        self.loaded = true;
        self.from_cache = from_cache;
        self.busy = false;
    }

    pub fn cancelled(&mut self, outcome: Outcome<Appointment>) {
        self.busy = false;
        self.confirming = None;
        self.result = Some(outcome);
    }

    pub fn update(&mut self, msg: Message) -> Option<Event> {
        if self.busy {
            return None;
        }
        match msg {
            Message::Cancel(id) => {
                self.result = None;
                self.confirming = Some(id);
            }
            Message::KeepIt => self.confirming = None,
            Message::ConfirmCancel => {
                let id = self.confirming.clone()?;
                let a = self.rows.iter().find(|r| r.appointment.id == id)?.appointment.clone();
                self.busy = true;
                return Some(Event::Cancel(a));
            }
            Message::Move(id) => {
                let a = self.rows.iter().find(|r| r.appointment.id == id)?.appointment.clone();
                return Some(Event::Move(a));
            }
            Message::Page(d) => self.page = self.page.saturating_add_signed(d),
            Message::Done => return Some(Event::Exit),
        }
        None
    }

    pub fn view(&self, now: DateTime<Utc>) -> Element<'_, Message> {
        let mut col = Column::new().spacing(theme::GAP).padding(theme::PAD);
        col = col.push(
            row![
                text(format!("{}'s sessions", self.name)).size(theme::HEADING).font(theme::BOLD).width(Length::Fill),
                widgets::quiet("Done", Message::Done)
            ]
            .align_y(Alignment::Center),
        );
        if self.from_cache {
            col =
                col.push(widgets::notice("The network is down: this list is from this kiosk and may be out of date."));
        }
        match &self.result {
            Some(Outcome::Done(a)) if a.status == AppointmentStatus::LateCancelled => {
                col = col.push(widgets::info("Cancelled. It is recorded as a late cancellation, not a missed session."))
            }
            Some(Outcome::Done(_)) => {
                col = col.push(widgets::info("Cancelled. The time is free for someone else now — thank you."))
            }
            Some(Outcome::Queued) => {
                col = col.push(widgets::notice(
                    "Your cancellation is saved on this kiosk and will be sent when the network is back.",
                ))
            }
            Some(Outcome::Refused { message, .. }) => col = col.push(widgets::notice(message.as_str())),
            None => {}
        }
        if !self.loaded {
            return col.push(widgets::info("Loading your sessions…")).into();
        }
        let upcoming: Vec<&Row> =
            self.rows.iter().filter(|r| r.appointment.status == AppointmentStatus::Booked).collect();
        if upcoming.is_empty() {
            return col.push(text("You have no upcoming sessions.").size(theme::TEXT + 4.0)).into();
        }
        let pages = widgets::pages(upcoming.len(), PER_PAGE);
        let page = self.page.min(pages - 1);
        for r in upcoming.iter().skip(page * PER_PAGE).take(PER_PAGE) {
            col = col.push(self.session(r, now));
        }
        col.push(widgets::pager(page, pages, Message::Page(-1), Message::Page(1))).into()
    }

    fn session<'a>(&'a self, r: &'a Row, now: DateTime<Utc>) -> Element<'a, Message> {
        let a = &r.appointment;
        let when = format!(
            "{} at {}",
            match time::relative_day_text(self.tz, a.start, now).as_str() {
                "today" => "Today".to_string(),
                "tomorrow" => "Tomorrow".to_string(),
                other => other.to_string(),
            },
            time::clock_text(self.tz, a.start)
        );
        let head = column![
            text(format!("{} · {}", r.course, r.tutor)).size(theme::TEXT + 4.0).font(theme::BOLD),
            text(when).size(theme::TEXT + 2.0),
            text(r.policy.as_str()).size(theme::SMALL),
        ]
        .spacing(6)
        .width(Length::Fill);
        let actions: Element<'a, Message> = if self.confirming.as_deref() == Some(a.id.as_str()) {
            row![
                container(widgets::primary("Yes, cancel it", Some(Message::ConfirmCancel))).width(Length::Fixed(260.0)),
                widgets::quiet("Keep it", Message::KeepIt),
            ]
            .spacing(12)
            .align_y(Alignment::Center)
            .into()
        } else if r.decision.allowed_at_kiosk() {
            row![
                container(widgets::primary("Cancel", Some(Message::Cancel(a.id.clone())))).width(Length::Fixed(180.0)),
                container(widgets::primary("Move", Some(Message::Move(a.id.clone())))).width(Length::Fixed(180.0)),
            ]
            .spacing(12)
            .into()
        } else {
            row![].into()
        };
        container(row![head, actions].spacing(theme::GAP).align_y(Alignment::Center))
            .padding(20)
            .width(Length::Fill)
            .style(theme::card)
            .into()
    }
}
