//! The kiosk app: owns the shared state (who is at the screen, sync status, the clock), routes
//! between screens, turns screen events into commands, and forgets the student when idle.
//!
//! `update` returns plain `Command`s; `perform` runs one against the service and answers with a
//! `Message`. The iced shell turns commands into tasks; tests run them directly.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use iced::widget::{center, column, container, image, mouse_area, opaque, row, stack, text};
use iced::{Alignment, Element, Length};

use super::screens::{book, checkin, dropin, identify, mine, staff, suspended, welcome};
use super::{theme, widgets, words};
use crate::domain::{Appointment, Policy, Slot, time};
use crate::kiosk::config::{KioskConfig, WelcomeSection};
use crate::kiosk::service::{CheckInView, KioskService, Outcome, SignInFailure, StudentSession};
use crate::kiosk::sync::SyncError;
use crate::protocol::QueueEntryData;

/// Seconds of "Are you still there?" before the student is forgotten.
pub const STILL_THERE_SECONDS: i64 = 20;
/// Keys further apart than this are a person typing, not a card reader.
const WEDGE_GAP_MS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    CheckIn,
    Book,
    Mine,
    DropIn,
}

impl Intent {
    pub fn needs_pin(self) -> bool {
        matches!(self, Intent::Book | Intent::Mine)
    }
}

/// Seconds a finger must rest on the corner to open staff mode.
pub const LONG_PRESS_SECONDS: i64 = 3;

/// What every screen may read.
pub struct Context<'a> {
    pub welcome: &'a WelcomeSection,
    pub online: bool,
    pub out_of_service: Option<&'a str>,
}

pub enum Screen {
    Welcome,
    Identify(identify::State),
    CheckIn(checkin::State),
    Book(Box<book::State>),
    Mine(mine::State),
    DropIn(dropin::State),
    Suspended,
    StaffPin(staff::PinState),
    Staff(Box<staff::State>),
}

#[derive(Debug, Clone)]
pub enum Message {
    Welcome(welcome::Message),
    Identify(identify::Message),
    CheckIn(checkin::Message),
    Book(book::Message),
    Mine(mine::Message),
    DropIn(dropin::Message),
    Suspended(suspended::Message),
    StaffPin(staff::PinMessage),
    Staff(staff::Message),
    /// The hidden corner of the header is pressed / let go (a long press opens staff mode).
    CornerPressed,
    CornerReleased,
    /// Ctrl+Alt+S on a keyboard opens staff mode.
    StaffChord,
    PinChecked(bool),
    StaffDone(String),
    /// A key from a keyboard or a card reader (keyboard wedge): its text, or Enter.
    Key {
        text: Option<String>,
        enter: bool,
    },
    /// Any touch or click: the student is still there.
    Touched,
    StillHere,
    Tick,
    CloseRequested,
    CheckedIn(Result<CheckInView, String>),
    SignedIn(Result<StudentSession, SignInFailure>),
    MineLoaded(Vec<Appointment>, bool),
    Booked(Outcome<Appointment>),
    Cancelled(Outcome<Appointment>),
    Joined(Outcome<QueueEntryData>),
    Left(Outcome<QueueEntryData>),
}

/// Work for the service; the answer comes back as a `Message`.
#[derive(Debug, Clone)]
pub enum Command {
    CheckIn(String),
    SignIn {
        login: String,
        secret: String,
    },
    LoadMine(StudentSession),
    Book {
        session: StudentSession,
        slot: Slot,
        course_id: String,
    },
    Move {
        session: StudentSession,
        from: Appointment,
        slot: Slot,
    },
    Cancel {
        session: StudentSession,
        appointment: Appointment,
    },
    Join {
        card: String,
        course_id: Option<String>,
        reason: String,
    },
    Leave {
        card: String,
    },
    VerifyPin {
        pin: String,
        hash: String,
    },
    SyncNow,
    ResetKiosk,
    ForgetEnrollment,
    /// Quit the app (staff only).
    Exit,
}

pub struct App {
    service: Arc<KioskService>,
    welcome: WelcomeSection,
    idle_timeout: i64,
    pub screen: Screen,
    intent: Intent,
    card: Option<String>,
    session: Option<StudentSession>,
    photos: HashMap<String, image::Handle>,
    now: DateTime<Utc>,
    last_input: DateTime<Utc>,
    still_there_since: Option<DateTime<Utc>>,
    wedge: String,
    wedge_at: Option<DateTime<Utc>>,
    /// A sentence shown on Welcome after an unusual exit (too many tries, a timeout).
    farewell: Option<String>,
    staff_pin_hash: Option<String>,
    kiosk_name: String,
    corner_down_at: Option<DateTime<Utc>>,
    out_of_service: Option<String>,
    exit_requested: bool,
}

impl App {
    pub fn new(service: Arc<KioskService>, config: &KioskConfig) -> App {
        let now = service.now();
        let out_of_service = service.out_of_service();
        App {
            staff_pin_hash: config.kiosk.staff_pin_hash.clone(),
            kiosk_name: config.kiosk.name.clone(),
            corner_down_at: None,
            out_of_service,
            exit_requested: false,
            service,
            welcome: config.welcome.clone(),
            idle_timeout: i64::from(config.kiosk.idle_timeout_seconds),
            screen: Screen::Welcome,
            intent: Intent::CheckIn,
            card: None,
            session: None,
            photos: HashMap::new(),
            now,
            last_input: now,
            still_there_since: None,
            wedge: String::new(),
            wedge_at: None,
            farewell: None,
        }
    }

    pub fn service(&self) -> &Arc<KioskService> {
        &self.service
    }

    pub fn student(&self) -> Option<&StudentSession> {
        self.session.as_ref()
    }

    pub fn is_home(&self) -> bool {
        matches!(self.screen, Screen::Welcome)
    }

    pub fn asking_still_there(&self) -> bool {
        self.still_there_since.is_some()
    }

    pub fn exit_requested(&self) -> bool {
        self.exit_requested
    }

    pub fn in_staff_mode(&self) -> bool {
        matches!(self.screen, Screen::Staff(_))
    }

    pub fn out_of_service(&self) -> Option<&str> {
        self.out_of_service.as_deref()
    }

    fn center(&self) -> (String, Tz, Policy) {
        self.service
            .center()
            .unwrap_or_else(|| ("Learning Center".into(), chrono_tz::America::New_York, Policy::default()))
    }

    /// Back to Welcome, forgetting everything about the student.
    pub fn go_home(&mut self) {
        self.screen = Screen::Welcome;
        self.card = None;
        self.session = None;
        self.still_there_since = None;
    }

    pub fn update(&mut self, msg: Message) -> Vec<Command> {
        self.now = self.service.now();
        let is_input = !matches!(
            msg,
            Message::Tick
                | Message::CloseRequested
                | Message::CheckedIn(_)
                | Message::SignedIn(_)
                | Message::MineLoaded(..)
                | Message::Booked(_)
                | Message::Cancelled(_)
                | Message::Joined(_)
                | Message::Left(_)
                | Message::PinChecked(_)
                | Message::StaffDone(_)
        );
        if is_input {
            self.last_input = self.now;
            self.still_there_since = None;
        }
        match msg {
            Message::Tick => {
                self.tick();
                vec![]
            }
            Message::CloseRequested | Message::Touched | Message::StillHere => vec![],
            Message::CornerPressed => {
                self.corner_down_at = Some(self.now);
                vec![]
            }
            Message::CornerReleased => {
                self.corner_down_at = None;
                vec![]
            }
            Message::StaffChord => {
                self.open_staff_pin();
                vec![]
            }
            Message::StaffPin(m) => self.staff_pin(m),
            Message::PinChecked(ok) => {
                let locked = self.service.staff_pin_attempt(ok, staff::PIN_LIMIT, staff::LOCK_MINUTES);
                if ok {
                    tracing::info!("staff mode opened");
                    self.open_staff(None);
                } else if let Screen::StaffPin(p) = &mut self.screen {
                    p.checking = false;
                    p.pin.clear();
                    p.error = Some(if locked.is_some() {
                        "Too many wrong PINs.".into()
                    } else {
                        "That PIN is not right.".into()
                    });
                }
                vec![]
            }
            Message::Staff(m) => self.staff(m),
            Message::StaffDone(note) => {
                if let Screen::Staff(_) = self.screen {
                    self.open_staff(Some(note));
                }
                vec![]
            }
            Message::Key { text, enter } => self.key(text, enter),
            Message::Welcome(welcome::Message::Choose(intent)) => {
                self.farewell = None;
                if self.out_of_service.is_some() {
                    return vec![];
                }
                self.start(intent)
            }
            Message::Identify(m) => {
                let Screen::Identify(s) = &mut self.screen else { return vec![] };
                match s.update(m) {
                    Some(identify::Event::Card(card)) => self.identified(card),
                    Some(identify::Event::Back) => {
                        self.go_home();
                        vec![]
                    }
                    Some(identify::Event::Credentials { login, secret }) => {
                        if login.chars().all(|c| c.is_ascii_digit()) {
                            self.card = Some(login.clone());
                        }
                        vec![Command::SignIn { login, secret }]
                    }
                    None => vec![],
                }
            }
            Message::CheckIn(m) => match m {
                checkin::Message::Done => {
                    self.go_home();
                    vec![]
                }
                checkin::Message::DropIn => {
                    self.intent = Intent::DropIn;
                    self.screen = Screen::DropIn(self.drop_in_screen());
                    vec![]
                }
                checkin::Message::Book => self.start(Intent::Book),
            },
            Message::Book(m) => {
                let Screen::Book(s) = &mut self.screen else { return vec![] };
                let event = s.update(m);
                self.book_event(event)
            }
            Message::Mine(m) => {
                let Screen::Mine(s) = &mut self.screen else { return vec![] };
                match s.update(m) {
                    Some(mine::Event::Cancel(appointment)) => match self.session.clone() {
                        Some(session) => vec![Command::Cancel { session, appointment }],
                        None => self.timed_out(),
                    },
                    Some(mine::Event::Move(a)) => {
                        let (_, tz, policy) = self.center();
                        let Some(course) = self.service.cache().course(&a.course_id).ok().flatten() else {
                            return vec![];
                        };
                        let (state, event) = book::State::moving(a, course, tz, policy);
                        self.screen = Screen::Book(Box::new(state));
                        self.book_event(Some(event))
                    }
                    Some(mine::Event::Exit) => {
                        self.go_home();
                        vec![]
                    }
                    None => vec![],
                }
            }
            Message::DropIn(m) => {
                let Screen::DropIn(s) = &mut self.screen else { return vec![] };
                match s.update(m) {
                    Some(dropin::Event::Join { course_id, reason }) => match self.card.clone() {
                        Some(card) => vec![Command::Join { card, course_id, reason }],
                        None => self.start(Intent::DropIn),
                    },
                    Some(dropin::Event::Leave) => match self.card.clone() {
                        Some(card) => vec![Command::Leave { card }],
                        None => vec![],
                    },
                    Some(dropin::Event::Exit) => {
                        self.go_home();
                        vec![]
                    }
                    None => vec![],
                }
            }
            Message::Suspended(m) => match m {
                suspended::Message::DropIn => match self.card.clone() {
                    Some(_) => {
                        self.intent = Intent::DropIn;
                        self.screen = Screen::DropIn(self.drop_in_screen());
                        vec![]
                    }
                    None => self.start(Intent::DropIn),
                },
                suspended::Message::Done => {
                    self.go_home();
                    vec![]
                }
            },
            Message::CheckedIn(result) => {
                let (_, tz, _) = self.center();
                let (tutor, course) = match &result {
                    Ok(CheckInView { appointment: Some(a), .. }) => {
                        let cache = self.service.cache();
                        (
                            cache.tutor(&a.profile_id).ok().flatten().map(|t| (t.profile.display_name, t.location)),
                            cache.course(&a.course_id).ok().flatten().map(|c| format!("{} · {}", c.code, c.title)),
                        )
                    }
                    _ => (None, None),
                };
                self.screen = Screen::CheckIn(checkin::State { view: result, tutor, course, shown_at: self.now, tz });
                vec![]
            }
            Message::SignedIn(result) => self.signed_in(result),
            Message::MineLoaded(list, online) => {
                let rows = self.rows_for(list);
                if let Screen::Mine(s) = &mut self.screen {
                    s.set_rows(rows, !online);
                }
                vec![]
            }
            Message::Booked(outcome) => {
                let outcome = plain(outcome);
                if let Screen::Book(s) = &mut self.screen {
                    s.finished(outcome);
                }
                vec![]
            }
            Message::Cancelled(outcome) => {
                let outcome = plain(outcome);
                let reload = matches!(outcome, Outcome::Done(_) | Outcome::Queued);
                if let Screen::Mine(s) = &mut self.screen {
                    s.cancelled(outcome);
                }
                match (reload, self.session.clone()) {
                    (true, Some(session)) => vec![Command::LoadMine(session)],
                    _ => vec![],
                }
            }
            Message::Joined(outcome) => {
                if let Screen::DropIn(s) = &mut self.screen {
                    s.busy = false;
                    s.result = Some(plain(outcome));
                }
                vec![]
            }
            Message::Left(outcome) => {
                if let Screen::DropIn(s) = &mut self.screen {
                    s.busy = false;
                    s.left = Some(plain(outcome));
                }
                vec![]
            }
        }
    }

    fn start(&mut self, intent: Intent) -> Vec<Command> {
        self.intent = intent;
        self.session = None;
        self.card = None;
        self.screen = Screen::Identify(identify::State::new(intent));
        vec![]
    }

    fn timed_out(&mut self) -> Vec<Command> {
        self.go_home();
        self.farewell = Some(words::for_code("session_expired", ""));
        vec![]
    }

    /// The student is known by card (check-in, drop-in).
    fn identified(&mut self, card: String) -> Vec<Command> {
        self.card = Some(card.clone());
        match self.intent {
            Intent::DropIn => {
                self.screen = Screen::DropIn(self.drop_in_screen());
                vec![]
            }
            _ => vec![Command::CheckIn(card)],
        }
    }

    /// Drop-in help for the student at the screen: their place if they are already waiting,
    /// otherwise the course and reason to join.
    fn drop_in_screen(&self) -> dropin::State {
        let courses = self.service.courses();
        match self.card.as_deref().and_then(|c| self.service.place_in_line(c)) {
            Some(entry) => dropin::State::in_line(courses, entry),
            None => dropin::State::new(courses),
        }
    }

    fn signed_in(&mut self, result: Result<StudentSession, SignInFailure>) -> Vec<Command> {
        let Screen::Identify(s) = &mut self.screen else { return vec![] };
        match result {
            Ok(session) => {
                let name = first_name(&session.student.display_name);
                let (_, tz, policy) = self.center();
                self.session = Some(session.clone());
                match self.intent {
                    Intent::Book if !session.student.may_book => {
                        self.screen = Screen::Suspended;
                        vec![]
                    }
                    Intent::Book => {
                        self.screen = Screen::Book(Box::new(book::State::new(self.service.courses(), tz, policy)));
                        vec![]
                    }
                    _ => {
                        self.screen = Screen::Mine(mine::State::new(name, tz));
                        vec![Command::LoadMine(session)]
                    }
                }
            }
            Err(f) => {
                let message = match f {
                    SignInFailure::Wrong => words::for_code("wrong_credentials", ""),
                    SignInFailure::Locked => words::for_code("locked_out", ""),
                    SignInFailure::Offline => "Signing in needs the network, which is down right now. You can still check in and join drop-in help.".into(),
                    SignInFailure::Other(_) => words::for_code("server_error", ""),
                };
                s.failed(message);
                if s.tries >= identify::MAX_TRIES {
                    self.go_home();
                    self.farewell =
                        Some("Too many wrong PINs. Please ask at the front desk for help with your PIN.".into());
                }
                vec![]
            }
        }
    }

    fn book_event(&mut self, event: Option<book::Event>) -> Vec<Command> {
        match event {
            Some(book::Event::NeedTutors(course_id)) => {
                let cards = self.tutor_cards(&course_id);
                if let Screen::Book(s) = &mut self.screen {
                    s.set_tutors(cards);
                }
                vec![]
            }
            Some(book::Event::NeedSlots { course_id, profile_id }) => {
                let slots = self.service.slots(&course_id, profile_id.as_deref(), 14);
                if let Screen::Book(s) = &mut self.screen {
                    s.set_slots(slots);
                }
                vec![]
            }
            Some(book::Event::Submit { slot, course_id }) => {
                let Some(session) = self.session.clone() else { return self.timed_out() };
                let moving = match &self.screen {
                    Screen::Book(s) => s.moving.clone(),
                    _ => None,
                };
                match moving {
                    Some(from) => vec![Command::Move { session, from, slot }],
                    None => vec![Command::Book { session, slot, course_id }],
                }
            }
            Some(book::Event::Exit) => {
                let moving = matches!(&self.screen, Screen::Book(s) if s.moving.is_some());
                match (moving, self.session.clone()) {
                    (true, Some(session)) => {
                        let (_, tz, _) = self.center();
                        self.screen = Screen::Mine(mine::State::new(first_name(&session.student.display_name), tz));
                        vec![Command::LoadMine(session)]
                    }
                    _ => {
                        self.go_home();
                        vec![]
                    }
                }
            }
            None => vec![],
        }
    }

    fn tutor_cards(&mut self, course_id: &str) -> Vec<book::TutorCard> {
        let tutors = self.service.tutors_for(course_id);
        let all = self.service.slots(course_id, None, 14);
        tutors
            .into_iter()
            .map(|t| {
                let photo = t.photo_png.as_ref().map(|bytes| {
                    self.photos
                        .entry(t.profile.id.clone())
                        .or_insert_with(|| image::Handle::from_bytes(bytes.clone()))
                        .clone()
                });
                book::TutorCard {
                    next_free: all.iter().find(|s| s.profile_id == t.profile.id).map(|s| s.start),
                    profile_id: t.profile.id,
                    name: t.profile.display_name,
                    role: t.profile.role.label().to_string(),
                    bio: t.profile.bio,
                    location: t.location,
                    photo,
                }
            })
            .collect()
    }

    fn rows_for(&self, list: Vec<Appointment>) -> Vec<mine::Row> {
        let (_, tz, policy) = self.center();
        let cache = self.service.cache();
        list.into_iter()
            .map(|a| {
                let decision = crate::domain::decide_cancel(&a, self.now, tz, &policy);
                mine::Row {
                    course: cache
                        .course(&a.course_id)
                        .ok()
                        .flatten()
                        .map(|c| c.code)
                        .unwrap_or_else(|| "Session".into()),
                    tutor: cache
                        .tutor(&a.profile_id)
                        .ok()
                        .flatten()
                        .map(|t| t.profile.display_name)
                        .unwrap_or_else(|| "your tutor".into()),
                    policy: decision.explain(self.now, tz, &policy),
                    decision,
                    appointment: a,
                }
            })
            .collect()
    }

    fn open_staff_pin(&mut self) {
        self.go_home();
        self.screen = Screen::StaffPin(staff::PinState::default());
        if self.staff_pin_hash.is_none()
            && let Screen::StaffPin(p) = &mut self.screen
        {
            p.error = Some("Staff mode is not set up on this kiosk: add staff_pin_hash to its config.".into());
        }
    }

    fn staff_pin(&mut self, m: staff::PinMessage) -> Vec<Command> {
        let locked = self.service.staff_lock().1.is_some();
        let hash = self.staff_pin_hash.clone();
        let Screen::StaffPin(p) = &mut self.screen else { return vec![] };
        match m {
            staff::PinMessage::Cancel => {
                self.go_home();
                vec![]
            }
            staff::PinMessage::Digit(d) if p.pin.len() < 12 => {
                p.pin.push(d);
                vec![]
            }
            staff::PinMessage::Digit(_) => vec![],
            staff::PinMessage::Erase => {
                p.pin.pop();
                vec![]
            }
            staff::PinMessage::Ok if locked || p.checking => vec![],
            staff::PinMessage::Ok => match hash {
                Some(hash) if p.pin.len() >= 4 => {
                    p.checking = true;
                    vec![Command::VerifyPin { pin: std::mem::take(&mut p.pin), hash }]
                }
                Some(_) => {
                    p.error = Some("The staff PIN has at least 4 digits.".into());
                    vec![]
                }
                None => vec![],
            },
        }
    }

    fn open_staff(&mut self, note: Option<String>) {
        let (_, tz, _) = self.center();
        let cache = self.service.cache();
        let today = cache.appointments_on(time::local_date(tz, self.now), tz).unwrap_or_default();
        let code = |id: &str| cache.course(id).ok().flatten().map(|c| c.code).unwrap_or_else(|| "—".into());
        let sessions = today
            .iter()
            .map(|a| staff::TodayRow {
                time: time::clock_text(tz, a.start),
                course: code(&a.course_id),
                tutor: cache
                    .tutor(&a.profile_id)
                    .ok()
                    .flatten()
                    .map(|t| t.profile.display_name)
                    .unwrap_or_else(|| "a tutor".into()),
                status: a.status,
            })
            .collect();
        let line = cache
            .drop_in_waiting()
            .unwrap_or_default()
            .into_iter()
            .map(|(course, joined)| staff::LineRow {
                course: course.as_deref().map(code).unwrap_or_else(|| "any course".into()),
                waiting_minutes: (self.now - joined).num_minutes().max(0),
            })
            .collect();
        let state = staff::State {
            outbox: cache.outbox().unwrap_or_default(),
            rejected: cache.rejected().unwrap_or_default(),
            today: staff::Today { sessions, line },
            today_page: 0,
            kiosk_name: self.kiosk_name.clone(),
            out_of_service: self.out_of_service.clone(),
            confirming: None,
            note,
            resetting: false,
        };
        drop(cache);
        self.screen = Screen::Staff(Box::new(state));
    }

    fn staff(&mut self, m: staff::Message) -> Vec<Command> {
        let Screen::Staff(s) = &mut self.screen else { return vec![] };
        use staff::Message as M;
        match m {
            M::Close => {
                self.go_home();
                vec![]
            }
            M::SyncNow => {
                s.note = Some("Syncing…".into());
                vec![Command::SyncNow]
            }
            M::Reset | M::ReEnroll | M::Exit | M::Discard(_) => {
                s.confirming = Some(m);
                vec![]
            }
            M::ConfirmReset => {
                s.confirming = None;
                s.resetting = true;
                vec![Command::ResetKiosk]
            }
            M::ConfirmExit => {
                tracing::info!("staff exited the kiosk");
                self.exit_requested = true;
                vec![Command::Exit]
            }
            M::ConfirmReEnroll => {
                s.confirming = None;
                s.note = Some(
                    "Enrollment forgotten. Put a new enroll_code (from `tutorkiosk-server kiosk enroll`) in this kiosk's \
                     config, then Exit kiosk; it enrolls again when it starts."
                        .into(),
                );
                vec![Command::ForgetEnrollment]
            }
            M::TodayPage(step) => {
                s.today_page = s.today_page.saturating_add_signed(step as isize);
                vec![]
            }
            M::Retry(id) => {
                let _ = self.service.cache().retry(id);
                tracing::info!(mutation = id, "staff put a failed outbox entry back in the queue");
                self.service.engine().refresh_counts();
                self.open_staff(Some("Put back in the queue.".into()));
                vec![Command::SyncNow]
            }
            M::ConfirmDiscard(id) => {
                let done = self.service.cache().discard(id).unwrap_or(false);
                tracing::warn!(mutation = id, discarded = done, "staff discarded a failed outbox entry");
                self.service.engine().refresh_counts();
                self.open_staff(Some(if done { "Discarded.".into() } else { "Nothing to discard.".into() }));
                vec![]
            }
            M::OutOfService(choice) => {
                let message = choice.and_then(|i| staff::OUT_OF_SERVICE.get(i)).map(|m| m.to_string());
                self.service.set_out_of_service(message.as_deref());
                self.out_of_service = message;
                self.open_staff(None);
                vec![]
            }
        }
    }

    /// A card reader types fast and ends with Enter; anything else is ignored.
    fn key(&mut self, text: Option<String>, enter: bool) -> Vec<Command> {
        // The service clock, not the once-a-second `now`: the gap between two keys matters here.
        let at = self.service.now();
        let gap = self.wedge_at.map(|t| (at - t).num_milliseconds()).unwrap_or(0);
        if gap > WEDGE_GAP_MS {
            self.wedge.clear();
        }
        self.wedge_at = Some(at);
        if let Some(t) = text {
            if self.wedge.len() < 128 {
                self.wedge.push_str(&t);
            }
            return vec![];
        }
        if !enter {
            return vec![];
        }
        let raw = std::mem::take(&mut self.wedge);
        if let Some(typed) = self.typed_on_a_keyboard(&raw) {
            return typed;
        }
        let Some(card) = self.service.read_card(&raw) else {
            if !raw.is_empty() {
                tracing::info!("a swipe could not be read as a student card");
            }
            return vec![];
        };
        self.swiped(card)
    }

    /// A PIN or a student number typed on a real keyboard (staff, or a kiosk with one) and ended
    /// with Enter goes where the on-screen pad would have put it. A card reader's swipe has
    /// sentinels or is longer than a PIN, so it is still a swipe.
    fn typed_on_a_keyboard(&mut self, raw: &str) -> Option<Vec<Command>> {
        let raw = raw.trim();
        let swipe_like = raw.contains([';', '=', '?', '%']);
        if raw.is_empty() || swipe_like {
            return None;
        }
        let digits = raw.chars().all(|c| c.is_ascii_digit());
        // Which pad key each character presses, and that pad's OK.
        let (key, ok): (fn(char) -> Message, Message) = match &self.screen {
            Screen::StaffPin(_) if digits && raw.len() <= 12 => {
                (|c| Message::StaffPin(staff::PinMessage::Digit(c)), Message::StaffPin(staff::PinMessage::Ok))
            }
            Screen::Identify(s) if s.wants_pin() && digits && raw.len() <= 8 => {
                (|c| Message::Identify(identify::Message::Digit(c)), Message::Identify(identify::Message::Ok))
            }
            Screen::Identify(s) if !s.wants_pin() && self.service.read_card(raw).is_none() => (
                |c| {
                    Message::Identify(if c.is_ascii_digit() {
                        identify::Message::Digit(c)
                    } else {
                        identify::Message::Char(c)
                    })
                },
                Message::Identify(identify::Message::Ok),
            ),
            _ => return None,
        };
        let mut commands = Vec::new();
        for m in raw.chars().map(key).chain([ok]) {
            commands.extend(self.update(m));
        }
        Some(commands)
    }

    /// A card swipe: identifies on the Identify screen, otherwise it is a check-in.
    pub fn swiped(&mut self, card: String) -> Vec<Command> {
        self.last_input = self.now;
        self.still_there_since = None;
        if matches!(self.screen, Screen::Staff(_) | Screen::StaffPin(_)) {
            return vec![];
        }
        if let Screen::Identify(s) = &mut self.screen {
            return match s.swiped(card.clone()) {
                Some(identify::Event::Card(c)) => self.identified(c),
                _ => {
                    self.card = Some(card);
                    vec![]
                }
            };
        }
        self.go_home();
        self.intent = Intent::CheckIn;
        self.card = Some(card.clone());
        vec![Command::CheckIn(card)]
    }

    fn tick(&mut self) {
        if let Some(down) = self.corner_down_at
            && (self.now - down).num_seconds() >= LONG_PRESS_SECONDS
        {
            self.corner_down_at = None;
            self.open_staff_pin();
            return;
        }
        if matches!(self.screen, Screen::Staff(_) | Screen::StaffPin(_)) {
            if (self.now - self.last_input).num_seconds() >= staff::IDLE_SECONDS {
                tracing::info!("staff mode closed after two idle minutes");
                self.go_home();
            }
            return;
        }
        if let Screen::CheckIn(s) = &self.screen
            && s.expired(self.now)
        {
            self.go_home();
            return;
        }
        if self.is_home() {
            return;
        }
        let idle = (self.now - self.last_input).num_seconds();
        match self.still_there_since {
            None if idle >= self.idle_timeout => self.still_there_since = Some(self.now),
            Some(since) if (self.now - since).num_seconds() >= STILL_THERE_SECONDS => self.go_home(),
            _ => {}
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let (name, tz, policy) = self.center();
        // Read live: sync state changes between ticks (an interactive call may just have failed).
        let status = self.service.engine().current();
        let ctx =
            Context { welcome: &self.welcome, online: status.online, out_of_service: self.out_of_service.as_deref() };
        let body: Element<'_, Message> = match &self.screen {
            Screen::Welcome => {
                let w = welcome::view(&ctx).map(Message::Welcome);
                match &self.farewell {
                    Some(f) => column![container(widgets::notice(f.as_str())).padding([0, 32]), w].into(),
                    None => w,
                }
            }
            Screen::Identify(s) => s.view().map(Message::Identify),
            Screen::CheckIn(s) => s.view(self.now).map(Message::CheckIn),
            Screen::Book(s) => s.view(self.now).map(Message::Book),
            Screen::Mine(s) => s.view(self.now).map(Message::Mine),
            Screen::DropIn(s) => s.view().map(Message::DropIn),
            Screen::Suspended => {
                let (who, missed) = self
                    .session
                    .as_ref()
                    .map(|s| (first_name(&s.student.display_name), s.student.no_shows_this_term))
                    .unwrap_or_default();
                // The view borrows `who`; leak-free by owning it in a column built here.
                let v: Element<'_, Message> = suspended::view_owned(who, missed, &policy).map(Message::Suspended);
                v
            }
            Screen::StaffPin(p) => p.view(self.service.staff_lock().1, tz).map(Message::StaffPin),
            Screen::Staff(s) => s.view(&status, self.now, tz).map(Message::Staff),
        };
        let header = container(
            row![
                // The center's name doubles as the hidden staff corner: hold it for a few seconds.
                mouse_area(text(name).size(theme::HEADING - 6.0).font(theme::BOLD))
                    .on_press(Message::CornerPressed)
                    .on_release(Message::CornerReleased),
                container(text("")).width(Length::Fill),
                text(if status.online { "" } else { "Offline" }).size(theme::TEXT),
                text(format!("{}  ·  {}", time::day_text(tz, self.now), time::clock_text(tz, self.now)))
                    .size(theme::TEXT + 2.0),
            ]
            .spacing(theme::GAP)
            .align_y(Alignment::Center),
        )
        .padding([18, 32])
        .width(Length::Fill)
        .style(theme::header);
        let page = column![header, container(body).width(Length::Fill).height(Length::Fill)];
        match self.still_there_since {
            Some(since) => {
                let left = (STILL_THERE_SECONDS - (self.now - since).num_seconds()).max(0);
                let prompt = container(
                    column![
                        text("Are you still there?").size(theme::TITLE).font(theme::BOLD),
                        text(format!("For your privacy, this screen starts over in {left} seconds."))
                            .size(theme::TEXT + 4.0),
                        container(widgets::primary("I'm still here", Some(Message::StillHere)))
                            .width(Length::Fixed(360.0)),
                    ]
                    .spacing(theme::GAP)
                    .align_x(Alignment::Center),
                )
                .padding(48)
                .style(theme::card);
                stack![page, opaque(center(prompt).style(theme::scrim))].into()
            }
            None => page.into(),
        }
    }
}

/// Refusals carry codes for programs; the screen gets sentences only.
fn plain<T>(o: Outcome<T>) -> Outcome<T> {
    match o {
        Outcome::Refused { code, message } => {
            let message = words::for_code(&code, &message);
            Outcome::Refused { code, message }
        }
        other => other,
    }
}

fn first_name(display: &str) -> String {
    display.split_whitespace().next().unwrap_or("there").to_string()
}

fn sync_words(e: SyncError) -> String {
    match e {
        SyncError::Refused { code, message, .. } => words::for_code(&code, &message),
        SyncError::Offline(_) => words::for_code("offline", ""),
        _ => words::for_code("server_error", ""),
    }
}

/// Run one command against the service.
pub async fn perform(service: Arc<KioskService>, cmd: Command) -> Message {
    match cmd {
        Command::CheckIn(card) => Message::CheckedIn(service.check_in(&card).await.map_err(sync_words)),
        Command::SignIn { login, secret } => Message::SignedIn(service.sign_in(&login, &secret).await),
        Command::LoadMine(session) => {
            let (list, online) = service.my_appointments(&session).await;
            Message::MineLoaded(list, online)
        }
        Command::Book { session, slot, course_id } => Message::Booked(
            service
                .book(&session, &slot.profile_id, &course_id, slot.start)
                .await
                .unwrap_or_else(|e| refused(sync_words(e))),
        ),
        Command::Move { session, from, slot } => Message::Booked(
            service
                .reschedule(&session, &from, &slot.profile_id, slot.start)
                .await
                .unwrap_or_else(|e| refused(sync_words(e))),
        ),
        Command::Cancel { session, appointment } => {
            Message::Cancelled(service.cancel(&session, &appointment).await.unwrap_or_else(|e| refused(sync_words(e))))
        }
        Command::Join { card, course_id, reason } => Message::Joined(
            service
                .drop_in_join(&card, course_id.as_deref(), Some(&reason))
                .await
                .unwrap_or_else(|e| refused(sync_words(e))),
        ),
        Command::Leave { card } => {
            Message::Left(service.drop_in_leave(&card).await.unwrap_or_else(|e| refused(sync_words(e))))
        }
        Command::VerifyPin { pin, hash } => {
            let ok = tokio::task::spawn_blocking(move || crate::secrets::verify_password(&pin, &hash))
                .await
                .unwrap_or(false);
            Message::PinChecked(ok)
        }
        Command::SyncNow => Message::StaffDone(match service.sync_now(std::time::Duration::from_secs(30)).await {
            Ok(r) => format!("Synced: {} sent, {} changes received.", r.pushed, r.pulled),
            Err(e) => format!("Sync did not finish: {e}. Queued actions are kept."),
        }),
        Command::ResetKiosk => {
            Message::StaffDone(match service.reset_cache(std::time::Duration::from_secs(120)).await {
                Ok(r) => format!("Reset done: {} changes received, {} queued actions sent.", r.pulled, r.pushed),
                Err(e) => format!("The reset will finish when the server is reachable ({e}). Queued actions are kept."),
            })
        }
        Command::ForgetEnrollment => {
            service.forget_enrollment();
            Message::StaffDone("Enrollment forgotten.".into())
        }
        // The shell quits on Exit; there is nothing for the service to do.
        Command::Exit => Message::Tick,
    }
}

fn refused<T>(message: String) -> Outcome<T> {
    Outcome::Refused { code: "error".into(), message }
}
