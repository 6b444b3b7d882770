//! Identify: a card swipe (handled by the app on any screen), or the student number typed on
//! the keypad (or an email on the keyboard); then a PIN where the action needs one.

use iced::widget::{Column, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::kiosk::ui::app::Intent;
use crate::kiosk::ui::{theme, widgets};

/// Wrong PINs before the kiosk sends the student to the front desk.
pub const MAX_TRIES: u32 = 3;

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Digit(char),
    Char(char),
    Space,
    Erase,
    Ok,
    UseEmail(bool),
    Back,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The student is known by card or number (enough for check-in and drop-in).
    Card(String),
    /// Sign in with these (book, my appointments).
    Credentials {
        login: String,
        secret: String,
    },
    Back,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Login,
    Pin,
}

#[derive(Debug, Clone)]
pub struct State {
    pub intent: Intent,
    step: Step,
    login: String,
    pin: String,
    email: bool,
    pub tries: u32,
    pub error: Option<String>,
    pub busy: bool,
}

impl State {
    pub fn new(intent: Intent) -> State {
        State {
            intent,
            step: Step::Login,
            login: String::new(),
            pin: String::new(),
            email: false,
            tries: 0,
            error: None,
            busy: false,
        }
    }

    /// Whether the screen is asking for the PIN (the student is already known).
    pub fn wants_pin(&self) -> bool {
        self.step == Step::Pin
    }

    /// A card was swiped while this screen was open.
    pub fn swiped(&mut self, card: String) -> Option<Event> {
        self.error = None;
        if self.intent.needs_pin() {
            self.login = card;
            self.step = Step::Pin;
            None
        } else {
            Some(Event::Card(card))
        }
    }

    /// Sign-in failed; ask again, in words.
    pub fn failed(&mut self, message: String) {
        self.busy = false;
        self.tries += 1;
        self.pin.clear();
        self.error = Some(message);
    }

    pub fn update(&mut self, msg: Message) -> Option<Event> {
        if self.busy {
            return None;
        }
        match msg {
            Message::Back => return Some(Event::Back),
            Message::Digit(d) => {
                let field = if self.step == Step::Pin { &mut self.pin } else { &mut self.login };
                if field.len() < 24 {
                    field.push(d);
                }
            }
            Message::Char(c) => {
                if self.login.len() < 80 {
                    self.login.push(c);
                }
            }
            Message::Space => {}
            Message::Erase => {
                let field = if self.step == Step::Pin { &mut self.pin } else { &mut self.login };
                field.pop();
            }
            Message::UseEmail(on) => {
                self.email = on;
                self.login.clear();
            }
            Message::Ok => match self.step {
                Step::Login if self.login.trim().len() >= 4 => {
                    self.error = None;
                    if self.intent.needs_pin() {
                        self.step = Step::Pin;
                    } else {
                        return Some(Event::Card(self.login.trim().to_string()));
                    }
                }
                Step::Login => self.error = Some("Please type your full student number.".into()),
                Step::Pin if self.pin.len() >= 4 => {
                    self.busy = true;
                    return Some(Event::Credentials { login: self.login.trim().to_string(), secret: self.pin.clone() });
                }
                Step::Pin => self.error = Some("Your PIN has at least 4 digits.".into()),
            },
        }
        None
    }

    pub fn view(&self) -> Element<'_, Message> {
        let (title, hint, shown) = match self.step {
            Step::Login if self.email => ("Type your college email", "Then tap OK.", self.login.clone()),
            Step::Login => ("Swipe your ID card", "Or type your student number, then tap OK.", self.login.clone()),
            Step::Pin => {
                ("Enter your PIN", "Your PIN or password keeps your bookings yours.", "•".repeat(self.pin.len()))
            }
        };
        // An email is long: the box takes the column's width and the letters get smaller.
        let long = self.email && self.step == Step::Login;
        let field = container(
            text(if shown.is_empty() { " ".to_string() } else { shown })
                .size(if long { theme::TEXT + 8.0 } else { theme::HEADING })
                .font(theme::BOLD),
        )
        .padding(16)
        .width(if long { Length::Fill } else { Length::Fixed(520.0) })
        .style(theme::card);
        let mut left = Column::new().spacing(theme::GAP).width(Length::FillPortion(1));
        left = left
            .push(widgets::quiet("◀  Start over", Message::Back))
            .push(text(title).size(theme::TITLE).font(theme::BOLD))
            .push(text(hint).size(theme::TEXT))
            .push(field);
        if let Some(e) = &self.error {
            left = left.push(widgets::notice(e.as_str()));
        }
        if self.busy {
            left = left.push(widgets::info("Checking…"));
        }
        if self.step == Step::Login {
            left = left.push(if self.email {
                widgets::quiet("Use my student number instead", Message::UseEmail(false))
            } else {
                widgets::quiet("Use my email instead", Message::UseEmail(true))
            });
        }
        let pad: Element<'_, Message> = if self.email && self.step == Step::Login {
            column![
                widgets::keyboard(Message::Char, Message::Erase, Message::Space),
                container(widgets::primary("OK", Some(Message::Ok))).width(Length::Fixed(300.0)),
            ]
            .spacing(theme::GAP)
            .align_x(Alignment::Center)
            .into()
        } else {
            widgets::keypad(Message::Digit, Message::Erase, Some(Message::Ok))
        };
        row![left, container(pad).center_x(Length::FillPortion(1))]
            .spacing(theme::PAD)
            .padding(theme::PAD)
            .align_y(Alignment::Start)
            .into()
    }
}
