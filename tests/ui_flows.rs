//! Whole flows through the real kiosk screens: real iced rendering (headless tiny-skia), the
//! in-process server on loopback, real SQLite files, and an injected clock.

mod common;

use chrono::Duration;
use common::TestServer;
use iced_test::simulator::Simulator;
use tutorkiosk::domain::time;
use tutorkiosk::kiosk::config;
use tutorkiosk::kiosk::runtime::KioskCore;
use tutorkiosk::kiosk::ui::app::{App, Message};
use tutorkiosk::kiosk::ui::{self as ui, theme};

const SIZE: (f32, f32) = (1920.0, 1080.0);

struct Kiosk {
    t: TestServer,
    core: KioskCore,
    app: App,
    cfg: config::KioskConfig,
    _dir: tempfile::TempDir,
    /// Taps on the screen outside the keypad (for the "six taps" goal).
    taps: usize,
    /// The shell was told to quit.
    quit: bool,
}

fn settings() -> iced::Settings {
    iced::Settings {
        fonts: vec![theme::INTER_REGULAR.into(), theme::INTER_BOLD.into()],
        default_font: theme::FONT,
        ..iced::Settings::default()
    }
}

fn ny(s: &str) -> chrono::DateTime<chrono::Utc> {
    time::resolve_local(chrono_tz::America::New_York, s.parse().unwrap())
}

impl Kiosk {
    async fn start() -> Kiosk {
        let t = TestServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        let cfg = config::parse(&t.kiosk_config(dir.path(), "Lobby 1")).unwrap();
        let core = KioskCore::start(cfg.clone(), t.clock.clone()).await.unwrap();
        core.service.sync_now(std::time::Duration::from_secs(10)).await.unwrap();
        let app = App::new(core.service.clone(), &cfg);
        let mut k = Kiosk { t, core, app, cfg, _dir: dir, taps: 0, quit: false };
        k.send(Message::Tick).await;
        k
    }

    fn ui(&self) -> Simulator<'_, Message> {
        Simulator::with_size(settings(), SIZE, self.app.view())
    }

    /// Feed a message and everything it leads to, running each command through the same task the
    /// kiosk shell runs (against the real service); an exit task marks the kiosk as quit.
    async fn send(&mut self, msg: Message) {
        use iced::futures::StreamExt;
        let mut queue = vec![msg];
        while let Some(m) = queue.pop() {
            for cmd in self.app.update(m) {
                let Some(mut actions) = iced_runtime::task::into_stream(ui::task(self.core.service.clone(), cmd))
                else {
                    continue;
                };
                while let Some(action) = actions.next().await {
                    match action {
                        iced_runtime::Action::Output(m) => queue.push(m),
                        iced_runtime::Action::Exit => self.quit = true,
                        other => panic!("unexpected shell action {other:?}"),
                    }
                }
            }
        }
    }

    async fn tap(&mut self, label: &str) {
        self.taps += 1;
        self.press(label).await;
    }

    /// Press without counting (PIN digits).
    async fn press(&mut self, label: &str) {
        let msgs: Vec<Message> = {
            let mut ui = self.ui();
            if let Err(e) = ui.click(label) {
                drop(ui);
                panic!("no \"{label}\" on screen ({e:?}); it showed {}", self.save_failure());
            }
            ui.into_messages().collect()
        };
        assert!(!msgs.is_empty(), "\"{label}\" did nothing");
        for m in msgs {
            self.send(m).await;
        }
    }

    async fn press_key(&mut self, key: &str) {
        let msgs: Vec<Message> = {
            let mut ui = self.ui();
            ui.click(iced::widget::Id::from(format!("key-{key}"))).unwrap_or_else(|e| panic!("no key {key}: {e:?}"));
            ui.into_messages().collect()
        };
        for m in msgs {
            self.send(m).await;
        }
    }

    async fn type_pin(&mut self, pin: &str) {
        for d in pin.chars() {
            self.press_key(&d.to_string()).await;
        }
        self.press_key("OK").await;
    }

    /// A keyboard-wedge card reader: fast key presses, then Enter, as raw keyboard events seen by
    /// the kiosk's input subscription.
    async fn swipe(&mut self, raw: &str) {
        use iced::keyboard::{Event, Key, Location, Modifiers, key};
        let press = |key: Key, text: Option<&str>| {
            iced::Event::Keyboard(Event::KeyPressed {
                modified_key: key.clone(),
                key,
                physical_key: key::Physical::Unidentified(key::NativeCode::Unidentified),
                location: Location::Standard,
                modifiers: Modifiers::empty(),
                text: text.map(Into::into),
                repeat: false,
            })
        };
        let mut events: Vec<iced::Event> =
            raw.chars().map(|c| press(Key::Character(c.to_string().into()), Some(&c.to_string()))).collect();
        events.push(press(Key::Named(key::Named::Enter), Some("\r")));
        for e in events {
            let id = iced::window::Id::unique();
            if let Some(m) = ui::input_event(e, iced::event::Status::Ignored, id) {
                self.send(m).await;
            }
        }
    }

    fn sees(&self, text: &str) -> bool {
        self.ui().find(text).is_ok()
    }

    #[track_caller]
    fn expect(&self, text: &str) {
        if !self.sees(text) {
            panic!("expected \"{text}\" on the screen; it showed {}", self.save_failure());
        }
    }

    /// The screen as it was when a check failed, saved for a person to look at.
    fn save_failure(&self) -> String {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-failures");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(std::thread::current().name().unwrap_or("screen").replace("::", "-"));
        let _ = std::fs::remove_file(format!("{}-tiny-skia.png", path.display()));
        let mut ui = self.ui();
        match ui.snapshot(&theme::theme()) {
            Ok(snap) => {
                // Writes `<path>-<renderer>.png`, since none is there.
                let _ = snap.matches_image(&path);
                format!("{}-tiny-skia.png", path.display())
            }
            Err(e) => format!("(no picture: {e:?})"),
        }
    }

    fn snapshot(&self, name: &str) {
        let mut ui = self.ui();
        let snap = ui.snapshot(&theme::theme()).unwrap();
        assert!(
            snap.matches_image(format!("tests/snapshots/{name}")).unwrap(),
            "{name} differs from its committed snapshot"
        );
    }

    async fn tick(&mut self, seconds: i64) {
        self.t.clock.advance(Duration::seconds(seconds));
        self.send(Message::Tick).await;
    }
}

fn card(k: &Kiosk, i: usize) -> String {
    k.t.creds.students[i].card.clone()
}

/// From Welcome: tap an action that needs the student, swipe their card, type their PIN.
async fn sign_in_for(k: &mut Kiosk, action: &str, student: usize) {
    k.tap(action).await;
    let c = card(k, student);
    k.swipe(&c).await;
    k.expect("Enter your PIN");
    let pin = k.t.creds.students[student].secret.clone();
    k.type_pin(&pin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_and_check_in_by_card_swipe() {
    let mut k = Kiosk::start().await;
    k.t.clock.set(ny("2026-10-12T08:50:00"));
    k.send(Message::Tick).await;
    k.expect("Riverside College Learning Center");
    k.expect("Swipe or scan your student ID card any time to check in.");
    k.snapshot("welcome");

    let raw = format!(";{}=1234?", card(&k, 0));
    k.swipe(&raw).await;
    k.expect("Hi, Ana P.");
    k.expect("You're checked in.");
    k.expect("CHEM 101 · General Chemistry I with Maya O., today at 9:00 AM.");
    k.snapshot("checkin");
    assert_eq!(k.t.count("SELECT COUNT(*) FROM visits WHERE device_id IS NOT NULL"), 1);

    // Back to Welcome by itself after a few seconds.
    k.tick(11).await;
    assert!(k.app.is_home());
    // A garbled swipe does nothing at all.
    k.swipe(";;==??").await;
    assert!(k.app.is_home());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_while_offline_is_honest_and_arrives_later() {
    let mut k = Kiosk::start().await;
    k.t.clock.set(ny("2026-10-12T09:03:00"));
    k.t.stop().await;
    k.send(Message::Tick).await;
    k.tap("Check in").await;
    k.expect("Swipe your ID card");
    k.snapshot("identify");
    let c = card(&k, 0);
    k.swipe(&c).await;
    k.expect("You're checked in on this kiosk — we'll sync when the network is back.");
    k.expect("You're checked in.");
    k.snapshot("checkin-offline");
    k.t.start_again().await;
    k.core.service.sync_now(std::time::Duration::from_secs(10)).await.unwrap();
    assert_eq!(k.t.count("SELECT COUNT(*) FROM visits WHERE device_id IS NOT NULL"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_takes_five_taps_plus_the_pin() {
    let mut k = Kiosk::start().await;
    sign_in_for(&mut k, "Book a session", 1).await;
    k.expect("Which course? Tap one, or search.");
    k.snapshot("book-course");
    k.tap("MATH 151  ·  Calculus I").await;
    k.expect("Any tutor, soonest");
    k.snapshot("book-tutor");
    k.tap("James O.").await;
    k.expect("Pick a day, then a time.");
    k.snapshot("book-time");
    k.tap("2:00 PM").await;
    k.expect("Book it");
    k.expect("This session is soon, so a cancellation would be recorded as late. Cancel at least 2 hours ahead to avoid a missed session.");
    k.snapshot("book-confirm");
    k.tap("Book it").await;
    k.expect("You're booked!");
    k.snapshot("book-done");
    assert_eq!(k.taps, 5, "Book, course, tutor, time, confirm");
    let booked = k.t.count(
        "SELECT COUNT(*) FROM appointments a JOIN students s ON s.id = a.student_id
         WHERE s.email LIKE 'ben.%' AND a.profile_id = 'p-james-obrien-tutor' AND a.status = 'booked'",
    );
    assert_eq!(booked, 1);
    k.tap("Done").await;
    assert!(k.app.is_home() && k.app.student().is_none(), "the student is forgotten");
}

/// Book through the server directly, as another kiosk would have.
async fn book_for(k: &Kiosk, student: usize, profile: &str, course: &str, start: chrono::DateTime<chrono::Utc>) {
    let mut other = k.t.kiosk("Lobby 2").await;
    let s = &k.t.creds.students[student];
    let token = other.sign_in(&s.card, &s.secret).await;
    let r = other
        .push(
            "book",
            serde_json::json!({"student_token": token, "profile_id": profile, "course_id": course, "start": start}),
        )
        .await;
    assert!(r.get("ok").is_some(), "{r}");
}

async fn open_mine(k: &mut Kiosk, student: usize) {
    k.core.service.sync_now(std::time::Duration::from_secs(10)).await.unwrap();
    k.send(Message::Tick).await;
    k.tap("My appointments").await;
    let c = card(k, student);
    k.swipe(&c).await;
    let pin = k.t.creds.students[student].secret.clone();
    k.type_pin(&pin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_states_the_policy_first_in_each_window() {
    let mut k = Kiosk::start().await;
    // Three Tuesday sessions with Daniel (10:00, 10:30, 15:00) for Farah (student 5).
    let tue = ny("2026-10-13T10:00:00");
    for start in [tue, tue + Duration::minutes(30), tue + Duration::hours(5)] {
        book_for(&k, 5, "p-daniel-kim-tutor", "cs-101", start).await;
    }

    // Monday evening: free to cancel until 11:59 PM tonight.
    k.t.clock.set(ny("2026-10-12T19:00:00"));
    open_mine(&mut k, 5).await;
    k.expect("Fatima's sessions");
    k.expect("Free to cancel until 11:59 PM tonight.");
    k.snapshot("mine");
    k.tap("Cancel").await;
    k.expect("Yes, cancel it");
    k.tap("Yes, cancel it").await;
    k.expect("Cancelled. The time is free for someone else now — thank you.");
    k.tap("Done").await;

    // Tuesday 08:15: 10:30 is more than 2 h away — a late cancellation, said before the tap.
    k.t.clock.set(ny("2026-10-13T08:15:00"));
    open_mine(&mut k, 5).await;
    k.expect("This will be recorded as a late cancellation. It does not count as a missed session, because it is at least 2 hours before the start.");
    k.tap("Cancel").await;
    k.tap("Yes, cancel it").await;
    k.expect("Cancelled. It is recorded as a late cancellation, not a missed session.");
    k.tap("Done").await;

    // Tuesday 14:00: the 15:00 session is too close — no Cancel button, and the reason.
    k.t.clock.set(ny("2026-10-13T14:00:00"));
    open_mine(&mut k, 5).await;
    k.expect("Too late to cancel here — please see the front desk. Otherwise it will count as a missed session.");
    assert!(!k.sees("Cancel"), "no cancel button when the kiosk may not cancel");
    k.snapshot("mine-too-late");

    let statuses: Vec<String> = {
        let conn = rusqlite::Connection::open(&k.t.db).unwrap();
        let mut st = conn
            .prepare("SELECT status FROM appointments WHERE profile_id = 'p-daniel-kim-tutor' AND start_utc >= strftime('%s', '2026-10-13 14:00:00') ORDER BY start_utc")
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(statuses, ["cancelled", "late_cancelled", "booked"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_student_is_told_kindly_and_offered_drop_in() {
    let mut k = Kiosk::start().await;
    k.t.clock.set(ny("2026-10-12T13:30:00"));
    k.send(Message::Tick).await;
    sign_in_for(&mut k, "Book a session", 2).await;
    k.expect("Hi Jordan — booking is paused for now");
    k.expect("Drop-in help is still open to you, today and every day.");
    k.snapshot("suspended");
    k.tap("Join drop-in help").await;
    k.expect("Which course is it for?");
    k.snapshot("dropin-course");
    k.tap("CS 101  ·  Introduction to Programming").await;
    k.expect("What do you need help with?");
    k.tap("Homework").await;
    k.expect("Jordan L., you're number 1 in line.");
    k.snapshot("dropin-in-line");
    k.tap("Leave the line").await;
    k.expect("You've left the line. Thanks for letting us know!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_student_is_asked_then_forgotten() {
    let mut k = Kiosk::start().await;
    sign_in_for(&mut k, "My appointments", 1).await;
    k.expect("Ben's sessions");
    assert!(k.app.student().is_some());

    k.tick(59).await;
    assert!(!k.app.asking_still_there());
    k.tick(1).await;
    k.expect("Are you still there?");
    k.expect("For your privacy, this screen starts over in 20 seconds.");
    k.snapshot("still-there");
    // "I'm still here" keeps the student.
    k.tap("I'm still here").await;
    assert!(!k.app.asking_still_there() && k.app.student().is_some());

    k.tick(60).await;
    k.tick(19).await;
    assert!(k.app.asking_still_there() && k.app.student().is_some());
    k.tick(1).await;
    assert!(k.app.is_home(), "Welcome returns");
    assert!(k.app.student().is_none(), "the student is forgotten");
    assert!(!k.sees("Ben's sessions"));
}

impl Kiosk {
    /// Hold the hidden corner (the center's name) for three seconds.
    async fn long_press_corner(&mut self) {
        let msgs: Vec<Message> = {
            let mut ui = self.ui();
            let name = ui.find("Riverside College Learning Center").unwrap();
            let _ = name;
            ui.point_at(iced::Point::new(100.0, 30.0));
            ui.simulate([iced::Event::Mouse(iced::mouse::Event::ButtonPressed(iced::mouse::Button::Left))]);
            ui.into_messages().collect()
        };
        assert!(msgs.iter().any(|m| matches!(m, Message::CornerPressed)), "the corner takes the press");
        for m in msgs {
            self.send(m).await;
        }
        self.tick(1).await;
        assert!(!self.sees("Enter the staff PIN."), "a short press does nothing");
        self.tick(2).await;
    }

    /// Quit and start again from the same files, as after a power cut.
    async fn restart(&mut self) {
        let core = KioskCore::start(self.cfg.clone(), self.t.clock.clone()).await.unwrap();
        self.app = App::new(core.service.clone(), &self.cfg);
        self.core = core;
        self.send(Message::Tick).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_staff_pins_lock_staff_mode_even_across_a_restart() {
    let mut k = Kiosk::start().await;
    k.long_press_corner().await;
    k.expect("Enter the staff PIN.");
    k.snapshot("staff-pin");
    for _ in 0..4 {
        k.type_pin("1111").await;
        k.expect("That PIN is not right.");
    }
    k.type_pin("1111").await;
    let locked = "Too many wrong PINs. Staff mode is locked until 8:05 AM.";
    k.expect(locked);

    k.restart().await;
    k.send(Message::StaffChord).await;
    k.expect(locked);
    k.type_pin("2468").await;
    assert!(!k.app.in_staff_mode(), "even the right PIN waits out the lock");

    k.tick(5 * 60).await;
    k.send(Message::StaffChord).await;
    k.type_pin("2468").await;
    assert!(k.app.in_staff_mode());
    k.expect("Staff mode");
    // Staff mode closes itself after two idle minutes.
    k.tick(119).await;
    assert!(k.app.in_staff_mode());
    k.tick(1).await;
    assert!(k.app.is_home());
}

async fn open_staff(k: &mut Kiosk) {
    k.send(Message::StaffChord).await;
    k.type_pin("2468").await;
    assert!(k.app.in_staff_mode());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reset_keeps_the_pending_outbox_and_delivers_it() {
    let mut k = Kiosk::start().await;
    k.t.clock.set(ny("2026-10-12T08:55:00"));
    k.t.stop().await;
    let c = card(&k, 0);
    k.swipe(&c).await;
    k.expect("You're checked in on this kiosk — we'll sync when the network is back.");
    k.tap("Done").await;
    open_staff(&mut k).await;
    k.expect("#1 Check-in (waiting to send) — the server cannot be reached (no connection)");
    k.snapshot("staff-panel");

    k.t.start_again().await;
    k.tap("Reset kiosk").await;
    k.tap("Tap again to reset").await;
    let everything = k.t.count("SELECT COUNT(*) FROM changes");
    k.expect(&format!("Reset done: {everything} changes received, 1 queued actions sent."));
    assert_eq!(k.t.count("SELECT COUNT(*) FROM visits WHERE device_id IS NOT NULL"), 1, "delivered once");
    assert_eq!(k.core.service.courses().len(), 20, "the cache is whole again");
    assert!(k.core.service.cache().outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_service_still_checks_in_a_card_and_exit_quits() {
    let mut k = Kiosk::start().await;
    k.t.clock.set(ny("2026-10-12T08:50:00"));
    open_staff(&mut k).await;
    k.tap("Closed for the day. See you tomorrow!").await;
    k.expect("Back in service");
    k.tap("Close").await;
    k.expect("Closed for the day. See you tomorrow!");
    k.expect("You can still swipe or scan your student ID card to check in.");
    assert!(!k.sees("Book a session"), "no booking while out of service");
    k.snapshot("out-of-service");
    let c = card(&k, 0);
    k.swipe(&c).await;
    k.expect("You're checked in.");
    k.tap("Done").await;

    // The state survives a restart, and staff bring the kiosk back.
    k.restart().await;
    k.expect("Closed for the day. See you tomorrow!");
    open_staff(&mut k).await;
    k.tap("Back in service").await;
    k.tap("Close").await;
    k.expect("Book a session");

    open_staff(&mut k).await;
    k.tap("Exit kiosk").await;
    assert!(!k.quit, "exit asks twice");
    k.tap("Tap again to exit").await;
    assert!(k.quit, "the kiosk shell was told to quit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn courses_can_be_searched_on_the_on_screen_keyboard() {
    let mut k = Kiosk::start().await;
    sign_in_for(&mut k, "Book a session", 1).await;
    k.tap("Search").await;
    for key in ["c", "a", "l", "c"] {
        k.press_key(key).await;
    }
    k.expect("Search: calc");
    k.expect("MATH 151  ·  Calculus I");
    k.expect("MATH 152  ·  Calculus II");
    assert!(!k.sees("ACCT 201  ·  Financial Accounting"));
    k.snapshot("book-search");
    for _ in 0..4 {
        k.press_key("⌫").await;
    }
    k.expect("ACCT 201  ·  Financial Accounting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_moved_in_one_step_and_the_old_time_is_freed() {
    let mut k = Kiosk::start().await;
    let tue_10 = ny("2026-10-13T10:00:00");
    book_for(&k, 5, "p-daniel-kim-tutor", "cs-101", tue_10).await;
    k.t.clock.set(ny("2026-10-12T19:00:00"));
    open_mine(&mut k, 5).await;
    k.tap("Move").await;
    k.tap("Daniel K.").await;
    k.tap("Tue Oct 13").await;
    k.tap("11:00 AM").await;
    k.expect("This replaces your session on Tuesday, October 13 at 10:00 AM.");
    k.expect("Move it");
    k.snapshot("move-confirm");
    k.tap("Move it").await;
    k.expect("Your session is moved.");
    k.expect("Tuesday, October 13 at 11:00 AM with Daniel K.");
    let rows: Vec<(String, i64)> = {
        let conn = rusqlite::Connection::open(&k.t.db).unwrap();
        let mut st = conn
            .prepare("SELECT status, start_utc FROM appointments WHERE profile_id = 'p-daniel-kim-tutor' AND start_utc >= ?1 ORDER BY start_utc")
            .unwrap();
        st.query_map([tue_10.timestamp()], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let eleven = (tue_10 + Duration::hours(1)).timestamp();
    assert_eq!(rows, [("cancelled".to_string(), tue_10.timestamp()), ("booked".to_string(), eleven)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_made_while_the_network_is_down_is_a_request_until_confirmed() {
    let mut k = Kiosk::start().await;
    sign_in_for(&mut k, "Book a session", 1).await;
    k.tap("MATH 151  ·  Calculus I").await;
    k.tap("James O.").await;
    k.tap("2:00 PM").await;
    // The network goes down between choosing and confirming.
    k.t.stop().await;
    k.tap("Book it").await;
    k.expect("Request saved");
    assert!(!k.sees("You're booked!"), "never shown as confirmed while offline");
    k.snapshot("book-request-saved");
    assert_eq!(k.t.count("SELECT COUNT(*) FROM appointments WHERE profile_id = 'p-james-obrien-tutor' AND status = 'booked' AND student_id IN (SELECT id FROM students WHERE email LIKE 'ben.%')"), 0);

    // The network comes back: the request is delivered, once.
    k.t.start_again().await;
    k.core.service.sync_now(std::time::Duration::from_secs(10)).await.unwrap();
    assert_eq!(k.t.count("SELECT COUNT(*) FROM appointments WHERE profile_id = 'p-james-obrien-tutor' AND status = 'booked' AND student_id IN (SELECT id FROM students WHERE email LIKE 'ben.%')"), 1);
    assert!(k.core.service.cache().outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_wrong_pins_send_the_student_to_the_front_desk() {
    let mut k = Kiosk::start().await;
    k.tap("My appointments").await;
    let c = card(&k, 1);
    k.swipe(&c).await;
    k.type_pin("0000").await;
    k.expect("That PIN doesn't match. Please try again.");
    k.snapshot("identify-wrong-pin");
    k.type_pin("1111").await;
    k.expect("Enter your PIN");
    k.type_pin("2222").await;
    assert!(k.app.is_home() && k.app.student().is_none(), "back to the start, nobody signed in");
    k.expect("Too many wrong PINs. Please ask at the front desk for help with your PIN.");

    // Typing the number on the keypad works as well as a swipe.
    k.tap("My appointments").await;
    for d in c.chars() {
        k.press_key(&d.to_string()).await;
    }
    k.press_key("OK").await;
    k.expect("Enter your PIN");

    // Two more wrong PINs make five for this student: the server locks sign-in for a while, and
    // even the right PIN is then answered kindly, not with "something went wrong".
    k.type_pin("3333").await;
    k.expect("That PIN doesn't match. Please try again.");
    k.type_pin("4444").await;
    k.tap("◀  Start over").await;
    k.tap("My appointments").await;
    k.swipe(&c).await;
    let pin = k.t.creds.students[1].secret.clone();
    k.type_pin(&pin).await;
    k.expect("Too many tries. Please wait a few minutes, or ask at the front desk.");
    assert!(k.app.student().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_says_late_or_offers_help_when_there_is_no_session() {
    let mut k = Kiosk::start().await;
    // Ana's session is at 9:00; 9:07 is late but still in.
    k.t.clock.set(ny("2026-10-12T09:07:00"));
    k.send(Message::Tick).await;
    let c = card(&k, 0);
    k.swipe(&c).await;
    k.expect("You're checked in — you're a little late.");
    k.snapshot("checkin-late");
    k.tap("Done").await;

    // Ben has nothing booked today: drop-in help or booking, one tap away.
    let c = card(&k, 1);
    k.swipe(&c).await;
    k.expect("You don't have a session booked today. You can join drop-in help now, or book a session.");
    k.snapshot("checkin-no-session");
    k.tap("Join drop-in help").await;
    k.expect("Which course is it for?");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_can_be_typed_on_the_on_screen_keyboard() {
    let mut k = Kiosk::start().await;
    k.tap("My appointments").await;
    k.tap("Use my email instead").await;
    k.expect("Type your college email");
    let email = k.t.creds.students[1].login.clone();
    assert!(email.contains('@'));
    for c in email.chars() {
        k.press_key(&c.to_string()).await;
    }
    k.expect(&email);
    k.snapshot("identify-email");
    k.tap("OK").await;
    k.expect("Enter your PIN");
    let pin = k.t.creds.students[1].secret.clone();
    k.type_pin(&pin).await;
    assert!(k.app.student().is_some(), "signed in by email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_todays_sessions_and_the_drop_in_line() {
    let mut k = Kiosk::start().await;
    k.t.clock.set(ny("2026-10-12T08:50:00"));
    // Ana checks in for her 9:00; Jordan joins the drop-in line from this kiosk.
    let ana = card(&k, 0);
    k.swipe(&ana).await;
    k.tap("Done").await;
    k.tap("Drop-in help").await;
    let jordan = card(&k, 2);
    k.swipe(&jordan).await;
    k.tap("CS 101  ·  Introduction to Programming").await;
    k.tap("Homework").await;
    k.expect("Jordan L., you're number 1 in line.");
    k.tap("Done").await;
    k.core.service.sync_now(std::time::Duration::from_secs(10)).await.unwrap();
    k.tick(6 * 60).await;

    open_staff(&mut k).await;
    k.expect("Today at the center");
    k.expect("CHEM 101");
    k.expect("Maya O.");
    k.expect("checked in");
    k.expect("1. CS 101 · waiting 6 min");
    k.snapshot("staff-today");

    // The line empties when Jordan leaves, after the next sync.
    k.tap("Close").await;
    k.tap("Drop-in help").await;
    k.swipe(&jordan).await;
    k.tap("Leave the line").await;
    k.core.service.sync_now(std::time::Duration::from_secs(10)).await.unwrap();
    open_staff(&mut k).await;
    k.expect("Nobody is waiting.");
}

#[test]
fn the_reset_shows_a_progress_bar() {
    use tutorkiosk::kiosk::sync::SyncStatus;
    use tutorkiosk::kiosk::ui::screens::staff;
    let state = staff::State { kiosk_name: "Lobby 1".into(), resetting: true, ..Default::default() };
    let status = SyncStatus {
        online: true,
        first_sync_received: Some(1200),
        first_sync_progress: Some(0.4),
        ..Default::default()
    };
    let now = ny("2026-10-12T08:50:00");
    let mut ui = Simulator::with_size(settings(), SIZE, state.view(&status, now, chrono_tz::America::New_York));
    assert!(ui.find("Rebuilding this kiosk's copy of the schedule… 1200 changes received").is_ok());
    let snap = ui.snapshot(&theme::theme()).unwrap();
    assert!(
        snap.matches_image("tests/snapshots/staff-resetting").unwrap(),
        "staff-resetting differs from its snapshot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_typed_on_a_real_keyboard_works_like_the_pad() {
    let mut k = Kiosk::start().await;
    k.tap("My appointments").await;
    let c = card(&k, 1);
    k.swipe(&format!(";{c}=1234?")).await;
    k.expect("Enter your PIN");
    let pin = k.t.creds.students[1].secret.clone();
    // Digits then Enter from a keyboard: a PIN here, not a card swipe that replaces the student.
    k.swipe(&pin).await;
    assert!(k.app.student().is_some(), "signed in with the typed PIN");
    k.expect("Ben's sessions");
}
