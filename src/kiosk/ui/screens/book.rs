//! Book (and move): course → tutor (photo, role, bio) or "any tutor, soonest" → day → time →
//! confirm → done. Lists page with big buttons.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use iced::widget::{Column, Row, button, column, container, image, row, text};
use iced::{Alignment, Element, Length};

use crate::domain::{Appointment, Policy, Slot, cancel, time};
use crate::kiosk::cache::Course;
use crate::kiosk::service::Outcome;
use crate::kiosk::ui::{theme, widgets};

const COURSES_PER_PAGE: usize = 21;
const TUTORS_PER_PAGE: usize = 4;
const SLOTS_PER_PAGE: usize = 16;

#[derive(Debug, Clone)]
pub struct TutorCard {
    pub profile_id: String,
    pub name: String,
    pub role: String,
    pub bio: String,
    pub location: Option<String>,
    pub photo: Option<image::Handle>,
    pub next_free: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Course,
    Tutor,
    Time,
    Confirm,
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Char(char),
    Space,
    Erase,
    Keyboard(bool),
    Page(isize),
    Course(String),
    Tutor(Option<String>),
    Day(usize),
    Slot(usize),
    Confirm,
    Back,
    Another,
    Finish,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    NeedTutors(String),
    NeedSlots { course_id: String, profile_id: Option<String> },
    Submit { slot: Slot, course_id: String },
    Exit,
}

pub struct State {
    pub stage: Stage,
    courses: Vec<Course>,
    query: String,
    keyboard: bool,
    page: usize,
    pub course: Option<Course>,
    pub tutors: Vec<TutorCard>,
    pub tutor: Option<Option<String>>,
    days: Vec<(NaiveDate, Vec<Slot>)>,
    day: usize,
    pub slot: Option<Slot>,
    /// Moving this appointment instead of booking a new one.
    pub moving: Option<Appointment>,
    pub result: Option<Outcome<Appointment>>,
    pub busy: bool,
    tz: Tz,
    policy: Policy,
}

impl State {
    pub fn new(courses: Vec<Course>, tz: Tz, policy: Policy) -> State {
        State {
            stage: Stage::Course,
            courses,
            query: String::new(),
            keyboard: false,
            page: 0,
            course: None,
            tutors: vec![],
            tutor: None,
            days: vec![],
            day: 0,
            slot: None,
            moving: None,
            result: None,
            busy: false,
            tz,
            policy,
        }
    }

    /// Move `a`: the course is fixed, so start at the tutor step.
    pub fn moving(a: Appointment, course: Course, tz: Tz, policy: Policy) -> (State, Event) {
        let mut s = State::new(vec![course.clone()], tz, policy);
        s.course = Some(course.clone());
        s.moving = Some(a);
        s.stage = Stage::Tutor;
        (s, Event::NeedTutors(course.id))
    }

    pub fn set_tutors(&mut self, tutors: Vec<TutorCard>) {
        self.tutors = tutors;
        self.page = 0;
    }

    /// Slots arrive grouped by local day; days without a free slot are left out.
    pub fn set_slots(&mut self, slots: Vec<Slot>) {
        let mut days: Vec<(NaiveDate, Vec<Slot>)> = Vec::new();
        for s in slots {
            let d = time::local_date(self.tz, s.start);
            match days.last_mut() {
                Some((day, list)) if *day == d => list.push(s),
                _ => days.push((d, vec![s])),
            }
        }
        self.days = days;
        self.day = 0;
        self.page = 0;
    }

    pub fn finished(&mut self, outcome: Outcome<Appointment>) {
        self.busy = false;
        self.result = Some(outcome);
        self.stage = Stage::Done;
    }

    fn filtered(&self) -> Vec<&Course> {
        self.courses.iter().filter(|c| c.matches(&self.query)).collect()
    }

    pub fn update(&mut self, msg: Message) -> Option<Event> {
        if self.busy {
            return None;
        }
        match msg {
            Message::Char(c) => {
                if self.query.len() < 30 {
                    self.query.push(c);
                }
                self.page = 0;
            }
            Message::Space => self.query.push(' '),
            Message::Erase => {
                self.query.pop();
                self.page = 0;
            }
            Message::Keyboard(on) => self.keyboard = on,
            Message::Page(delta) => self.page = self.page.saturating_add_signed(delta),
            Message::Course(id) => {
                self.course = self.courses.iter().find(|c| c.id == id).cloned();
                self.stage = Stage::Tutor;
                self.page = 0;
                return Some(Event::NeedTutors(id));
            }
            Message::Tutor(profile_id) => {
                self.tutor = Some(profile_id.clone());
                self.stage = Stage::Time;
                let course_id = self.course.as_ref()?.id.clone();
                return Some(Event::NeedSlots { course_id, profile_id });
            }
            Message::Day(i) => {
                self.day = i.min(self.days.len().saturating_sub(1));
                self.page = 0;
            }
            Message::Slot(i) => {
                self.slot = self.days.get(self.day).and_then(|(_, s)| s.get(i)).cloned();
                if self.slot.is_some() {
                    self.stage = Stage::Confirm;
                }
            }
            Message::Confirm => {
                let (slot, course) = (self.slot.clone()?, self.course.as_ref()?.id.clone());
                self.busy = true;
                return Some(Event::Submit { slot, course_id: course });
            }
            Message::Back => {
                self.page = 0;
                self.stage = match self.stage {
                    Stage::Course => return Some(Event::Exit),
                    Stage::Tutor if self.moving.is_some() => return Some(Event::Exit),
                    Stage::Tutor => Stage::Course,
                    Stage::Time => Stage::Tutor,
                    Stage::Confirm => Stage::Time,
                    Stage::Done => Stage::Time,
                };
            }
            Message::Another => {
                // After "someone just took that time": back to the times, freshly loaded.
                self.stage = Stage::Time;
                self.result = None;
                let course_id = self.course.as_ref()?.id.clone();
                return Some(Event::NeedSlots { course_id, profile_id: self.tutor.clone().flatten() });
            }
            Message::Finish => return Some(Event::Exit),
        }
        None
    }

    pub fn view(&self, now: DateTime<Utc>) -> Element<'_, Message> {
        let body = match self.stage {
            Stage::Course => self.course_step(),
            Stage::Tutor => self.tutor_step(),
            Stage::Time => self.time_step(now),
            Stage::Confirm => self.confirm_step(now),
            Stage::Done => self.done_step(now),
        };
        let title = if self.moving.is_some() { "Move a session" } else { "Book a session" };
        let back: Element<'_, Message> =
            if self.stage == Stage::Done { row![].into() } else { widgets::quiet("◀  Back", Message::Back) };
        column![
            row![text(title).size(theme::HEADING).font(theme::BOLD).width(Length::Fill), back]
                .align_y(Alignment::Center),
            body
        ]
        .spacing(theme::GAP)
        .padding(theme::PAD)
        .into()
    }

    fn course_step(&self) -> Element<'_, Message> {
        let list = self.filtered();
        // With the keyboard open, fewer rows so that keys and results both fit on the screen.
        let per_page = if self.keyboard { 6 } else { COURSES_PER_PAGE };
        let pages = widgets::pages(list.len(), per_page);
        let page = self.page.min(pages - 1);
        let mut grid = Column::new().spacing(12);
        for chunk in list.iter().skip(page * per_page).take(per_page).collect::<Vec<_>>().chunks(3) {
            let mut r = Row::new().spacing(12);
            for c in chunk {
                r = r.push(widgets::choice(
                    format!("{}  ·  {}", c.code, c.title),
                    Message::Course(c.id.clone()),
                    false,
                ));
            }
            for _ in chunk.len()..3 {
                r = r.push(container(text("")).width(Length::Fill));
            }
            grid = grid.push(r);
        }
        if list.is_empty() {
            grid = grid.push(widgets::info("No course matches that. Tap ⌫ to change the search."));
        }
        let search = row![
            container(
                text(if self.query.is_empty() {
                    "Which course? Tap one, or search.".to_string()
                } else {
                    format!("Search: {}", self.query)
                })
                .size(theme::TEXT + 4.0)
            )
            .width(Length::Fill),
            if self.keyboard {
                widgets::quiet("Hide keyboard", Message::Keyboard(false))
            } else {
                widgets::quiet("Search", Message::Keyboard(true))
            },
        ]
        .align_y(Alignment::Center);
        let mut col =
            column![search, grid, widgets::pager(page, pages, Message::Page(-1), Message::Page(1))].spacing(theme::GAP);
        if self.keyboard {
            col = col.push(widgets::keyboard(Message::Char, Message::Erase, Message::Space));
        }
        col.into()
    }

    fn tutor_step(&self) -> Element<'_, Message> {
        let course = self.course.as_ref().map(|c| format!("{} · {}", c.code, c.title)).unwrap_or_default();
        let pages = widgets::pages(self.tutors.len(), TUTORS_PER_PAGE);
        let page = self.page.min(pages - 1);
        let any = button(
            column![
                text("Any tutor, soonest").size(theme::HEADING - 4.0).font(theme::BOLD),
                text("See the first free times with anyone").size(theme::TEXT)
            ]
            .spacing(6),
        )
        .padding(20)
        .width(Length::Fill)
        .style(theme::primary)
        .on_press(Message::Tutor(None));
        let mut grid = Column::new().spacing(12);
        for pair in self.tutors.iter().skip(page * TUTORS_PER_PAGE).take(TUTORS_PER_PAGE).collect::<Vec<_>>().chunks(2)
        {
            let mut r = Row::new().spacing(12);
            for t in pair {
                r = r.push(tutor_card(t, self.tz));
            }
            if pair.len() == 1 {
                r = r.push(container(text("")).width(Length::Fill));
            }
            grid = grid.push(r);
        }
        if self.tutors.is_empty() {
            grid = grid
                .push(widgets::info("No tutor offers this course right now. Drop-in help may still be able to help."));
        }
        column![
            text(course).size(theme::TEXT + 4.0),
            any,
            grid,
            widgets::pager(page, pages, Message::Page(-1), Message::Page(1))
        ]
        .spacing(theme::GAP)
        .into()
    }

    fn tutor_name(&self, profile_id: &str) -> String {
        self.tutors
            .iter()
            .find(|t| t.profile_id == profile_id)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| "A tutor".into())
    }

    fn time_step(&self, now: DateTime<Utc>) -> Element<'_, Message> {
        if self.days.is_empty() {
            return widgets::info("No free times in the next two weeks. Try another tutor, or join drop-in help.");
        }
        let any = matches!(self.tutor, Some(None));
        let mut tabs = Row::new().spacing(10);
        for (i, (d, _)) in self.days.iter().enumerate().take(7) {
            let label = if Some(*d) == Some(time::local_date(self.tz, now)) {
                "Today".to_string()
            } else {
                d.format("%a %b %-d").to_string()
            };
            tabs = tabs.push(
                button(container(text(label).size(theme::TEXT)).center_x(Length::Fill).center_y(Length::Fill))
                    .height(Length::Fixed(theme::TARGET))
                    .width(Length::Fill)
                    .style(if i == self.day { theme::selected } else { theme::secondary })
                    .on_press(Message::Day(i)),
            );
        }
        let slots = &self.days[self.day.min(self.days.len() - 1)].1;
        let pages = widgets::pages(slots.len(), SLOTS_PER_PAGE);
        let page = self.page.min(pages - 1);
        let mut grid = Column::new().spacing(12);
        let offset = page * SLOTS_PER_PAGE;
        let shown: Vec<(usize, &Slot)> = slots.iter().enumerate().skip(offset).take(SLOTS_PER_PAGE).collect();
        for chunk in shown.chunks(4) {
            let mut r = Row::new().spacing(12);
            for (i, s) in chunk {
                let label = if any {
                    format!("{}  ·  {}", time::clock_text(self.tz, s.start), self.tutor_name(&s.profile_id))
                } else {
                    time::clock_text(self.tz, s.start)
                };
                r = r.push(widgets::choice(label, Message::Slot(*i), false));
            }
            for _ in chunk.len()..4 {
                r = r.push(container(text("")).width(Length::Fill));
            }
            grid = grid.push(r);
        }
        column![
            text("Pick a day, then a time.").size(theme::TEXT + 4.0),
            tabs,
            grid,
            widgets::pager(page, pages, Message::Page(-1), Message::Page(1))
        ]
        .spacing(theme::GAP)
        .into()
    }

    fn confirm_step(&self, now: DateTime<Utc>) -> Element<'_, Message> {
        let Some(slot) = &self.slot else { return text("").into() };
        let course = self.course.as_ref().map(|c| format!("{} · {}", c.code, c.title)).unwrap_or_default();
        let card = self.tutors.iter().find(|t| t.profile_id == slot.profile_id);
        let when = format!(
            "{}, {} – {}",
            time::day_text(self.tz, slot.start),
            time::clock_text(self.tz, slot.start),
            time::clock_text(self.tz, slot.end)
        );
        let closes = cancel::free_cancel_closes_at(slot.start, self.tz, &self.policy);
        let free_until = closes - chrono::Duration::minutes(1);
        let ahead = cancel::hours_text(self.policy.late_cancel_min_minutes);
        let policy = if now < closes {
            format!(
                "You can cancel for free until {} on {}. After that, cancel at least {ahead} ahead to avoid a missed session.",
                time::clock_text(self.tz, free_until),
                time::day_text(self.tz, free_until),
            )
        } else {
            format!(
                "This session is soon, so a cancellation would be recorded as late. Cancel at least {ahead} ahead to avoid a missed session."
            )
        };
        let mut details = Column::new().spacing(10);
        details = details
            .push(text(course).size(theme::HEADING - 4.0).font(theme::BOLD))
            .push(text(when).size(theme::TEXT + 4.0))
            .push(
                text(format!("With {}", card.map(|c| c.name.as_str()).unwrap_or("your tutor"))).size(theme::TEXT + 4.0),
            );
        if let Some(place) = card.and_then(|c| c.location.as_deref()) {
            details = details.push(text(format!("Where: {place}")).size(theme::TEXT));
        }
        if let Some(old) = &self.moving {
            details = details.push(
                text(format!(
                    "This replaces your session on {} at {}.",
                    time::day_text(self.tz, old.start),
                    time::clock_text(self.tz, old.start)
                ))
                .size(theme::TEXT),
            );
        }
        let label = if self.moving.is_some() { "Move it" } else { "Book it" };
        column![
            container(details).padding(24).width(Length::Fill).style(theme::card),
            widgets::info(policy),
            if self.busy {
                widgets::info("Booking…")
            } else {
                row![container(widgets::primary(label, Some(Message::Confirm))).width(Length::Fixed(420.0))].into()
            },
        ]
        .spacing(theme::GAP)
        .into()
    }

    fn done_step(&self, _now: DateTime<Utc>) -> Element<'_, Message> {
        let done = container(widgets::primary("Done", Some(Message::Finish))).width(Length::Fixed(320.0));
        match &self.result {
            Some(Outcome::Done(a)) => {
                let name = self.tutor_name(&a.profile_id);
                let place = self.tutors.iter().find(|t| t.profile_id == a.profile_id).and_then(|t| t.location.clone());
                let mut col = column![
                    text(if self.moving.is_some() { "Your session is moved." } else { "You're booked!" }).size(theme::HUGE).font(theme::BOLD),
                    text(format!(
                        "{} at {} with {name}{}",
                        time::day_text(self.tz, a.start),
                        time::clock_text(self.tz, a.start),
                        // "Daniel K." already ends the sentence.
                        if name.ends_with('.') { "" } else { "." }
                    ))
                    .size(theme::HEADING - 8.0),
                ]
                .spacing(theme::GAP);
                if let Some(p) = place {
                    col = col.push(text(format!("Where: {p}")).size(theme::TEXT + 4.0));
                }
                col.push(text("Swipe your card here when you arrive to check in.").size(theme::TEXT + 4.0)).push(done).into()
            }
            Some(Outcome::Queued) => column![
                text("Request saved").size(theme::HUGE).font(theme::BOLD),
                widgets::notice("The network is down, so this is a request, not a booking yet. It will be sent when the network is back; check My appointments later to see whether it was confirmed."),
                done,
            ]
            .spacing(theme::GAP)
            .into(),
            Some(Outcome::Refused { message, .. }) => column![
                text("That didn't work").size(theme::TITLE).font(theme::BOLD),
                widgets::notice(message.as_str()),
                row![
                    container(widgets::primary("Pick another time", Some(Message::Another))).width(Length::Fixed(420.0)),
                    container(widgets::primary("Done", Some(Message::Finish))).width(Length::Fixed(320.0)),
                ]
                .spacing(theme::GAP),
            ]
            .spacing(theme::GAP)
            .into(),
            None => text("").into(),
        }
    }
}

fn tutor_card(t: &TutorCard, tz: Tz) -> Element<'_, Message> {
    let photo: Element<'_, Message> = match &t.photo {
        Some(h) => image(h.clone()).width(Length::Fixed(112.0)).height(Length::Fixed(112.0)).into(),
        None => container(text("")).width(Length::Fixed(112.0)).into(),
    };
    let next = t
        .next_free
        .map(|n| {
            format!("Next free: {} {}", time::day_text(tz, n).split(',').next().unwrap_or(""), time::clock_text(tz, n))
        })
        .unwrap_or_else(|| "No free times in the next two weeks".into());
    let bio: String = if t.bio.chars().count() > 110 {
        format!("{}…", t.bio.chars().take(108).collect::<String>())
    } else {
        t.bio.clone()
    };
    button(
        row![
            photo,
            column![
                text(t.name.as_str()).size(theme::HEADING - 8.0).font(theme::BOLD),
                text(t.role.as_str()).size(theme::SMALL),
                text(bio).size(theme::SMALL),
                text(next).size(theme::SMALL).font(theme::BOLD),
            ]
            .spacing(6)
            .width(Length::Fill),
        ]
        .spacing(16)
        .align_y(Alignment::Center),
    )
    .padding(16)
    .width(Length::Fill)
    .height(Length::Fixed(210.0))
    .style(theme::secondary)
    .on_press(Message::Tutor(Some(t.profile_id.clone())))
    .into()
}
