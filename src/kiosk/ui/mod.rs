//! The kiosk screens (iced 0.14): a fullscreen app a student uses standing, with one hand,
//! in a hurry, with no keyboard.

pub mod app;
pub mod screens;
pub mod theme;
pub mod widgets;
pub mod words;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use iced::{Subscription, Task, event, keyboard, mouse, touch, window};

use crate::clock::SystemClock;
use crate::kiosk::config::{KioskConfig, Renderer};
use crate::kiosk::runtime::KioskCore;
use app::{App, Message};

/// Start the core on `rt`, then run the fullscreen app until staff exit it.
pub fn run(config: KioskConfig, rt: tokio::runtime::Runtime) -> ExitCode {
    let core = match rt.block_on(KioskCore::start(config.clone(), Arc::new(SystemClock))) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            tracing::error!(error = %e, "the kiosk could not start");
            return ExitCode::FAILURE;
        }
    };
    if core.cache_report.moved_aside.is_some() {
        tracing::warn!(recovered = core.cache_report.outbox_recovered, "started with a rebuilt cache");
    }
    let interval = Duration::from_secs(u64::from(config.server.sync_interval_seconds));
    rt.spawn(core.engine.clone().run(interval));
    if config.kiosk.renderer != Renderer::Wgpu && std::env::var_os("ICED_BACKEND").is_none() {
        // SAFETY: set before any other thread reads the environment for the renderer.
        unsafe { std::env::set_var("ICED_BACKEND", "tiny-skia") };
    }
    let service = core.service.clone();
    let boot_config = config.clone();
    let result = iced::application(
        move || (App::new(service.clone(), &boot_config), Task::none()),
        move |app: &mut App, msg| {
            let svc = app.service().clone();
            Task::batch(app.update(msg).into_iter().map(move |cmd| task(svc.clone(), cmd)))
        },
        App::view,
    )
    .title("tutorkiosk")
    .subscription(subscription)
    .theme(|_: &App| theme::theme())
    .font(theme::INTER_REGULAR)
    .font(theme::INTER_BOLD)
    .default_font(theme::FONT)
    .window(window::Settings {
        size: iced::Size::new(1920.0, 1080.0),
        fullscreen: config.kiosk.fullscreen,
        decorations: !config.kiosk.fullscreen,
        level: if config.kiosk.fullscreen { window::Level::AlwaysOnTop } else { window::Level::Normal },
        exit_on_close_request: false,
        ..window::Settings::default()
    })
    .run();
    drop(core);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the kiosk window could not be shown: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the shell does with a command: quit on Exit, otherwise ask the service off the UI thread.
pub fn task(service: Arc<crate::kiosk::service::KioskService>, cmd: app::Command) -> Task<Message> {
    match cmd {
        app::Command::Exit => {
            tracing::info!("staff exited the kiosk");
            iced::exit()
        }
        cmd => Task::perform(app::perform(service, cmd), |m| m),
    }
}

/// The clock, card swipes (keyboard wedge) and touches on any screen, and close requests.
pub fn subscription(_: &App) -> Subscription<Message> {
    Subscription::batch([
        iced::time::every(Duration::from_secs(1)).map(|_| Message::Tick),
        event::listen_with(input_event),
        window::close_requests().map(|_| Message::CloseRequested),
    ])
}

/// What a raw input event means to the kiosk, whichever widget saw it first: typed text or Enter
/// (a card reader is a keyboard), the staff key chord, or a touch that shows someone is there.
pub fn input_event(event: iced::Event, _status: event::Status, _window: window::Id) -> Option<Message> {
    match event {
        iced::Event::Keyboard(keyboard::Event::KeyPressed { key, text, modifiers, .. }) => match key {
            keyboard::Key::Character(c) if modifiers.control() && modifiers.alt() && c.eq_ignore_ascii_case("s") => {
                Some(Message::StaffChord)
            }
            keyboard::Key::Named(keyboard::key::Named::Enter) => Some(Message::Key { text: None, enter: true }),
            _ => text.map(|t| Message::Key { text: Some(t.to_string()), enter: false }),
        },
        iced::Event::Mouse(mouse::Event::ButtonPressed(_)) | iced::Event::Touch(touch::Event::FingerPressed { .. }) => {
            Some(Message::Touched)
        }
        _ => None,
    }
}
