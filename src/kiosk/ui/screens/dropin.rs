//! Drop-in help: course and reason → place in line and a rough wait; leave the line.

use iced::widget::{Column, Row, container, row, text};
use iced::{Alignment, Element, Length};

use crate::kiosk::cache::Course;
use crate::kiosk::service::Outcome;
use crate::kiosk::ui::{theme, widgets};
use crate::protocol::QueueEntryData;

const PER_PAGE: usize = 9;
pub const REASONS: [&str; 4] = ["Homework", "Exam prep", "Writing", "Something else"];

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Course(Option<String>),
    Reason(usize),
    Page(isize),
    Leave,
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Join { course_id: Option<String>, reason: String },
    Leave,
    Exit,
}

pub struct State {
    courses: Vec<Course>,
    pub course: Option<Option<String>>,
    page: usize,
    pub result: Option<Outcome<QueueEntryData>>,
    pub left: Option<Outcome<QueueEntryData>>,
    pub busy: bool,
}

impl State {
    pub fn new(courses: Vec<Course>) -> State {
        State { courses, course: None, page: 0, result: None, left: None, busy: false }
    }

    /// For a student who is already waiting: their place, and the way out of the line.
    pub fn in_line(courses: Vec<Course>, entry: QueueEntryData) -> State {
        State { result: Some(Outcome::Done(entry)), ..State::new(courses) }
    }

    pub fn update(&mut self, msg: Message) -> Option<Event> {
        if self.busy {
            return None;
        }
        match msg {
            Message::Course(c) => self.course = Some(c),
            Message::Reason(i) => {
                self.busy = true;
                return Some(Event::Join {
                    course_id: self.course.clone().flatten(),
                    reason: REASONS.get(i).unwrap_or(&"").to_string(),
                });
            }
            Message::Page(d) => self.page = self.page.saturating_add_signed(d),
            Message::Leave => {
                self.busy = true;
                return Some(Event::Leave);
            }
            Message::Done => return Some(Event::Exit),
        }
        None
    }

    pub fn view(&self) -> Element<'_, Message> {
        let mut col = Column::new().spacing(theme::GAP).padding(theme::PAD);
        col = col.push(
            row![
                text("Drop-in help").size(theme::HEADING).font(theme::BOLD).width(Length::Fill),
                widgets::quiet("Done", Message::Done)
            ]
            .align_y(Alignment::Center),
        );
        if let Some(left) = &self.left {
            return match left {
                Outcome::Refused { message, .. } => col.push(widgets::notice(message.as_str())),
                _ => col.push(text("You've left the line. Thanks for letting us know!").size(theme::HEADING - 4.0)),
            }
            .push(container(widgets::primary("Done", Some(Message::Done))).width(Length::Fixed(320.0)))
            .into();
        }
        match &self.result {
            Some(Outcome::Done(q)) => {
                let wait = match q.estimated_wait_minutes {
                    0 => "You're next — someone will be with you shortly.".to_string(),
                    m => format!("The wait is about {m} minutes."),
                };
                let place = match q.display_name.as_str() {
                    "" => format!("You're number {} in line.", q.position),
                    name => format!("{name}, you're number {} in line.", q.position),
                };
                col.push(text(place).size(theme::TITLE).font(theme::BOLD))
                    .push(text(wait).size(theme::HEADING - 8.0))
                    .push(text("Have a seat nearby; a tutor will call your first name.").size(theme::TEXT + 4.0))
                    .push(row![
                        container(widgets::primary("Done", Some(Message::Done))).width(Length::Fixed(320.0)),
                        container(widgets::primary("Leave the line", Some(Message::Leave))).width(Length::Fixed(320.0)),
                    ].spacing(theme::GAP))
                    .into()
            }
            Some(Outcome::Queued) => col
                .push(text("You're on the list.").size(theme::TITLE).font(theme::BOLD))
                .push(widgets::notice("The network is down, so we can't show your place in line. A tutor will still see you — we'll sync when it's back."))
                .push(container(widgets::primary("Done", Some(Message::Done))).width(Length::Fixed(320.0)))
                .into(),
            Some(Outcome::Refused { message, .. }) => col
                .push(widgets::notice(message.as_str()))
                .push(container(widgets::primary("Done", Some(Message::Done))).width(Length::Fixed(320.0)))
                .into(),
            None if self.busy => col.push(widgets::info("Adding you to the line…")).into(),
            None => match &self.course {
                None => self.course_step(col),
                Some(_) => {
                    let mut r = Row::new().spacing(theme::GAP);
                    for (i, reason) in REASONS.iter().enumerate() {
                        r = r.push(widgets::choice(*reason, Message::Reason(i), false));
                    }
                    col.push(text("What do you need help with?").size(theme::TEXT + 8.0)).push(r).into()
                }
            },
        }
    }

    fn course_step<'a>(&'a self, col: Column<'a, Message>) -> Element<'a, Message> {
        let pages = widgets::pages(self.courses.len(), PER_PAGE);
        let page = self.page.min(pages - 1);
        let mut grid = Column::new().spacing(12);
        let shown: Vec<&Course> = self.courses.iter().skip(page * PER_PAGE).take(PER_PAGE).collect();
        for chunk in shown.chunks(3) {
            let mut r = Row::new().spacing(12);
            for c in chunk {
                r = r.push(widgets::choice(
                    format!("{}  ·  {}", c.code, c.title),
                    Message::Course(Some(c.id.clone())),
                    false,
                ));
            }
            for _ in chunk.len()..3 {
                r = r.push(container(text("")).width(Length::Fill));
            }
            grid = grid.push(r);
        }
        col.push(text("Which course is it for?").size(theme::TEXT + 8.0))
            .push(
                container(widgets::choice("Not sure / not listed", Message::Course(None), false))
                    .width(Length::Fixed(420.0)),
            )
            .push(grid)
            .push(widgets::pager(page, pages, Message::Page(-1), Message::Page(1)))
            .into()
    }
}
