//! Staff mode: the PIN pad, then the panel — sync state, the outbox, Sync now, Reset kiosk,
//! Out of service, Today at the center, Re-enroll, Exit.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use iced::widget::{Column, column, container, progress_bar, row, text};
use iced::{Alignment, Element, Length};

use crate::domain::{AppointmentStatus, time};
use crate::kiosk::cache::OutboxEntry;
use crate::kiosk::sync::SyncStatus;
use crate::kiosk::ui::{theme, widgets};

/// Wrong PINs before staff mode locks, and for how long.
pub const PIN_LIMIT: u32 = 5;
pub const LOCK_MINUTES: i64 = 5;
/// Staff mode closes itself after this long without a touch.
pub const IDLE_SECONDS: i64 = 120;

/// Out-of-service messages staff can pick without a keyboard.
pub const OUT_OF_SERVICE: [&str; 3] = [
    "This kiosk is resting for a moment. Please use the front desk.",
    "Closed for the day. See you tomorrow!",
    "Being updated — back in a few minutes.",
];

#[derive(Debug, Clone, PartialEq)]
pub enum PinMessage {
    Digit(char),
    Erase,
    Ok,
    Cancel,
}

#[derive(Debug, Clone, Default)]
pub struct PinState {
    pub pin: String,
    pub error: Option<String>,
    pub checking: bool,
}

impl PinState {
    pub fn view(&self, locked_until: Option<DateTime<Utc>>, tz: Tz) -> Element<'_, PinMessage> {
        let mut left = Column::new().spacing(theme::GAP).width(Length::FillPortion(1));
        left = left
            .push(widgets::quiet("◀  Back", PinMessage::Cancel))
            .push(text("Staff mode").size(theme::TITLE).font(theme::BOLD))
            .push(text("Enter the staff PIN.").size(theme::TEXT))
            .push(
                container(text("•".repeat(self.pin.len()) + " ").size(theme::HEADING))
                    .padding(16)
                    .width(Length::Fixed(420.0))
                    .style(theme::card),
            );
        if let Some(until) = locked_until {
            left = left.push(widgets::notice(format!(
                "Too many wrong PINs. Staff mode is locked until {}.",
                time::clock_text(tz, until)
            )));
        } else if let Some(e) = &self.error {
            left = left.push(widgets::notice(e.as_str()));
        }
        if self.checking {
            left = left.push(widgets::info("Checking…"));
        }
        let ok = (locked_until.is_none() && !self.checking).then_some(PinMessage::Ok);
        row![
            left,
            container(widgets::keypad(PinMessage::Digit, PinMessage::Erase, ok)).center_x(Length::FillPortion(1))
        ]
        .spacing(theme::PAD)
        .padding(theme::PAD)
        .into()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    SyncNow,
    Reset,
    ConfirmReset,
    Retry(u64),
    Discard(u64),
    ConfirmDiscard(u64),
    OutOfService(Option<usize>),
    ReEnroll,
    ConfirmReEnroll,
    Exit,
    ConfirmExit,
    Close,
    /// Previous (-1) or next (+1) page of today's sessions.
    TodayPage(i32),
}

/// Today at the center, from the cache: every session, and the drop-in line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Today {
    pub sessions: Vec<TodayRow>,
    pub line: Vec<LineRow>,
}

impl Today {
    fn count(&self, f: impl Fn(AppointmentStatus) -> bool) -> usize {
        self.sessions.iter().filter(|r| f(r.status)).count()
    }
}

/// One of today's sessions (no student names: kiosks never hold them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodayRow {
    pub time: String,
    pub course: String,
    pub tutor: String,
    pub status: AppointmentStatus,
}

/// Someone waiting in the drop-in line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    pub course: String,
    pub waiting_minutes: i64,
}

/// Today's sessions shown at once on the staff panel.
const SESSIONS_PER_PAGE: usize = 6;

fn status_words(s: AppointmentStatus) -> &'static str {
    use AppointmentStatus as S;
    match s {
        S::Booked => "booked",
        S::CheckedIn => "checked in",
        S::NoShow => "missed",
        S::Cancelled => "cancelled",
        S::LateCancelled => "late cancel",
        S::Excused => "excused",
    }
}

#[derive(Debug, Clone, Default)]
pub struct State {
    pub outbox: Vec<OutboxEntry>,
    pub rejected: Vec<(u64, String, String, String)>,
    pub today: Today,
    pub today_page: usize,
    pub kiosk_name: String,
    pub out_of_service: Option<String>,
    /// Asking twice: which dangerous action waits for its second tap.
    pub confirming: Option<Message>,
    pub note: Option<String>,
    pub resetting: bool,
}

impl State {
    pub fn view(&self, status: &SyncStatus, now: DateTime<Utc>, tz: Tz) -> Element<'_, Message> {
        let last = status
            .last_synced_at
            .map(|t| format!("{} at {}", time::relative_day_text(tz, t, now), time::clock_text(tz, t)))
            .unwrap_or_else(|| "never".into());
        let conn = if status.online { "Online" } else { "Offline" };
        let mut state = column![
            text(format!("{} · {conn}", self.kiosk_name)).size(theme::HEADING - 8.0).font(theme::BOLD),
            text(format!("Last synced {last} · cursor {}", status.cursor)).size(theme::TEXT),
            text(format!("Waiting to send: {} · failed: {}", status.pending, status.failed)).size(theme::TEXT),
        ]
        .spacing(8);
        if let Some(e) = &status.last_error {
            state = state.push(text(e.clone()).size(theme::SMALL));
        }
        if self.resetting || status.first_sync_received.is_some() {
            state = state.push(
                column![
                    text(format!(
                        "Rebuilding this kiosk's copy of the schedule… {} changes received",
                        status.first_sync_received.unwrap_or(0)
                    ))
                    .size(theme::TEXT),
                    progress_bar(0.0..=1.0, status.first_sync_progress.unwrap_or(0.0))
                        .girth(theme::GAP)
                        .style(theme::progress),
                ]
                .spacing(8),
            );
        }
        let today = self.today_view();

        let ask = |m: Message, first: &'static str, second: &'static str| -> Element<'_, Message> {
            if self.confirming.as_ref() == Some(&m) {
                widgets::primary(second, Some(confirm_of(&m)))
            } else {
                widgets::primary(first, Some(m))
            }
        };
        let actions = column![
            row![
                widgets::primary("Sync now", Some(Message::SyncNow)),
                ask(Message::Reset, "Reset kiosk", "Tap again to reset")
            ]
            .spacing(12),
            row![
                ask(Message::ReEnroll, "Re-enroll", "Tap again to forget this kiosk's enrollment"),
                ask(Message::Exit, "Exit kiosk", "Tap again to exit")
            ]
            .spacing(12),
        ]
        .spacing(12);

        let mut oos = Column::new().spacing(10).push(text("Out of service").size(theme::TEXT + 4.0).font(theme::BOLD));
        match &self.out_of_service {
            Some(m) => {
                oos = oos.push(text(format!("Students see: \"{m}\" (card check-in still works)")).size(theme::TEXT));
                oos = oos.push(
                    container(widgets::primary("Back in service", Some(Message::OutOfService(None))))
                        .width(Length::Fixed(360.0)),
                );
            }
            None => {
                for (i, m) in OUT_OF_SERVICE.iter().enumerate() {
                    oos = oos.push(widgets::choice(*m, Message::OutOfService(Some(i)), false));
                }
            }
        }

        let mut line = Column::new().spacing(6).push(text("Drop-in line").size(theme::TEXT + 4.0).font(theme::BOLD));
        if self.today.line.is_empty() {
            line = line.push(text("Nobody is waiting.").size(theme::TEXT));
        }
        for (i, l) in self.today.line.iter().enumerate().take(5) {
            line = line
                .push(text(format!("{}. {} · waiting {} min", i + 1, l.course, l.waiting_minutes)).size(theme::SMALL));
        }
        if self.today.line.len() > 5 {
            line = line.push(text(format!("…and {} more", self.today.line.len() - 5)).size(theme::SMALL));
        }

        let mut queue = Column::new().spacing(8).push(text("Queued actions").size(theme::TEXT + 4.0).font(theme::BOLD));
        if self.outbox.is_empty() {
            queue = queue.push(text("Nothing waiting.").size(theme::TEXT));
        }
        for e in self.outbox.iter().take(6) {
            let state_words = match e.state.as_str() {
                "pending" => "waiting to send",
                "answered" => "sent, waiting for confirmation",
                _ => "failed",
            };
            let reason = e.last_error.as_deref().map(|r| format!(" — {r}")).unwrap_or_default();
            let mut line = row![
                text(format!("#{} {} ({state_words}){reason}", e.id, e.summary)).size(theme::SMALL).width(Length::Fill)
            ]
            .spacing(10)
            .align_y(Alignment::Center);
            if e.state == "failed" {
                line = line.push(widgets::quiet("Retry", Message::Retry(e.id)));
                let discard = Message::Discard(e.id);
                line = line.push(if self.confirming.as_ref() == Some(&discard) {
                    widgets::quiet("Really discard?", Message::ConfirmDiscard(e.id))
                } else {
                    widgets::quiet("Discard", discard)
                });
            }
            queue = queue.push(line);
        }
        for (id, summary, _code, message) in self.rejected.iter().take(3) {
            queue = queue.push(text(format!("#{id} {summary}: refused — {message}")).size(theme::SMALL));
        }

        let mut col = Column::new().spacing(theme::GAP).padding(theme::PAD);
        col = col.push(
            row![
                text("Staff mode").size(theme::HEADING).font(theme::BOLD).width(Length::Fill),
                widgets::quiet("Close", Message::Close)
            ]
            .align_y(Alignment::Center),
        );
        if let Some(n) = &self.note {
            col = col.push(widgets::info(n.as_str()));
        }
        col.push(
            row![
                column![
                    container(state).padding(20).width(Length::Fill).style(theme::card),
                    container(today).padding(20).width(Length::Fill).style(theme::card),
                    actions
                ]
                .spacing(theme::GAP)
                .width(Length::FillPortion(1)),
                column![
                    container(oos).padding(20).width(Length::Fill).style(theme::card),
                    container(queue).padding(20).width(Length::Fill).style(theme::card),
                    container(line).padding(20).width(Length::Fill).style(theme::card)
                ]
                .spacing(theme::GAP)
                .width(Length::FillPortion(1)),
            ]
            .spacing(theme::GAP),
        )
        .into()
    }
}

impl State {
    /// The counts, then today's sessions a page at a time.
    fn today_view(&self) -> Element<'_, Message> {
        use AppointmentStatus as S;
        let t = &self.today;
        let cancelled = |s| s == S::Cancelled || s == S::LateCancelled;
        let mut col = column![
            text("Today at the center").size(theme::TEXT + 4.0).font(theme::BOLD),
            text(format!(
                "{} booked · {} checked in · {} missed · {} cancelled",
                t.count(|s| !cancelled(s)),
                t.count(|s| s == S::CheckedIn),
                t.count(|s| s == S::NoShow),
                t.count(cancelled),
            ))
            .size(theme::TEXT),
        ]
        .spacing(8);
        if t.sessions.is_empty() {
            return col.push(text("No sessions today.").size(theme::SMALL)).into();
        }
        let pages = widgets::pages(t.sessions.len(), SESSIONS_PER_PAGE);
        let page = self.today_page.min(pages - 1);
        for r in t.sessions.iter().skip(page * SESSIONS_PER_PAGE).take(SESSIONS_PER_PAGE) {
            col = col.push(
                row![
                    text(&r.time).size(theme::SMALL).width(Length::Fixed(110.0)),
                    text(&r.course).size(theme::SMALL).width(Length::Fixed(130.0)),
                    text(&r.tutor).size(theme::SMALL).width(Length::Fill),
                    text(status_words(r.status)).size(theme::SMALL).font(theme::BOLD),
                ]
                .spacing(10),
            );
        }
        col.push(widgets::pager(page, pages, Message::TodayPage(-1), Message::TodayPage(1))).into()
    }
}

fn confirm_of(m: &Message) -> Message {
    match m {
        Message::Reset => Message::ConfirmReset,
        Message::ReEnroll => Message::ConfirmReEnroll,
        Message::Exit => Message::ConfirmExit,
        Message::Discard(id) => Message::ConfirmDiscard(*id),
        other => other.clone(),
    }
}
