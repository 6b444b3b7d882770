//! Touch-first building blocks: big buttons, the on-screen keypad and keyboard, pagers.

use iced::widget::{Column, Row, button, column, container, row, text};
use iced::{Alignment, Element, Length};

use super::theme;

/// A large tile on the welcome screen: a title and one line under it.
pub fn tile<'a, M: Clone + 'a>(title: &'a str, sub: &'a str, msg: M) -> Element<'a, M> {
    button(
        container(
            column![text(title).size(theme::HEADING).font(theme::BOLD), text(sub).size(theme::TEXT)]
                .spacing(8)
                .align_x(Alignment::Center),
        )
        .center_x(Length::Fill)
        .center_y(Length::Fill),
    )
    .padding(24)
    .width(Length::Fill)
    .height(Length::Fixed(theme::BIG_TARGET + 40.0))
    .style(theme::primary)
    .on_press(msg)
    .into()
}

/// The main action on a screen.
pub fn primary<'a, M: Clone + 'a>(label: impl text::IntoFragment<'a>, msg: Option<M>) -> Element<'a, M> {
    button(
        container(text(label).size(theme::TEXT + 4.0).font(theme::BOLD)).center_x(Length::Fill).center_y(Length::Fill),
    )
    .height(Length::Fixed(theme::TARGET + 16.0))
    .width(Length::Fill)
    .padding([0, 24])
    .style(theme::primary)
    .on_press_maybe(msg)
    .into()
}

/// A choice among several (a course, a tutor, a slot).
pub fn choice<'a, M: Clone + 'a>(label: impl text::IntoFragment<'a>, msg: M, chosen: bool) -> Element<'a, M> {
    button(container(text(label).size(theme::TEXT)).center_y(Length::Fill))
        .height(Length::Fixed(theme::TARGET + 8.0))
        .width(Length::Fill)
        .padding([0, 20])
        .style(if chosen { theme::selected } else { theme::secondary })
        .on_press(msg)
        .into()
}

/// Back / Start over: always in the same place, never hidden.
pub fn quiet<'a, M: Clone + 'a>(label: &'a str, msg: M) -> Element<'a, M> {
    button(container(text(label).size(theme::TEXT)).center_y(Length::Fill))
        .height(Length::Fixed(theme::TARGET))
        .padding([0, 28])
        .style(theme::quiet)
        .on_press(msg)
        .into()
}

fn key<'a, M: Clone + 'a>(label: String, msg: M, width: f32) -> Element<'a, M> {
    let id = format!("key-{label}");
    // The id sits on a container around the key, so tests can press keys by id.
    container(
        button(container(text(label).size(theme::HEADING - 6.0)).center_x(Length::Fill).center_y(Length::Fill))
            .width(Length::Fixed(width))
            .height(Length::Fixed(theme::TARGET + 32.0))
            .style(theme::key)
            .on_press(msg),
    )
    .id(iced::widget::Id::from(id))
    .into()
}

/// A numeric keypad: digits, ⌫ and OK (each key has a widget id `key-<label>`).
pub fn keypad<'a, M: Clone + 'a>(digit: impl Fn(char) -> M, erase: M, ok: Option<M>) -> Element<'a, M> {
    let w = 150.0;
    let mut rows: Vec<Element<'a, M>> = Vec::new();
    for line in ["123", "456", "789"] {
        rows.push(Row::with_children(line.chars().map(|c| key(c.to_string(), digit(c), w))).spacing(12).into());
    }
    let ok_button: Element<'a, M> = container(
        button(
            container(text("OK").size(theme::HEADING - 6.0).font(theme::BOLD))
                .center_x(Length::Fill)
                .center_y(Length::Fill),
        )
        .width(Length::Fixed(w))
        .height(Length::Fixed(theme::TARGET + 32.0))
        .style(theme::primary)
        .on_press_maybe(ok),
    )
    .id(iced::widget::Id::from("key-OK"))
    .into();
    rows.push(row![key("⌫".into(), erase, w), key("0".into(), digit('0'), w), ok_button].spacing(12).into());
    Column::with_children(rows).spacing(12).into()
}

/// A letters-and-digits keyboard for search and email (`@` and `.` included).
pub fn keyboard<'a, M: Clone + 'a>(ch: impl Fn(char) -> M, erase: M, space: M) -> Element<'a, M> {
    let w = 84.0;
    let mut rows: Vec<Element<'a, M>> = Vec::new();
    for line in ["1234567890", "qwertyuiop", "asdfghjkl@", "zxcvbnm.-_"] {
        rows.push(Row::with_children(line.chars().map(|c| key(c.to_string(), ch(c), w))).spacing(8).into());
    }
    rows.push(row![key("space".into(), space, w * 5.0), key("⌫".into(), erase, w * 2.0)].spacing(8).into());
    Column::with_children(rows).spacing(8).align_x(Alignment::Center).into()
}

/// "Page 2 of 3" with big Previous / Next buttons (lists never rely on drag-scrolling).
pub fn pager<'a, M: Clone + 'a>(page: usize, pages: usize, prev: M, next: M) -> Element<'a, M> {
    if pages <= 1 {
        return row![].into();
    }
    let nav = |label: &'a str, msg: M, enabled: bool| -> Element<'a, M> {
        button(container(text(label).size(theme::TEXT)).center_x(Length::Fill).center_y(Length::Fill))
            .width(Length::Fixed(220.0))
            .height(Length::Fixed(theme::TARGET))
            .style(theme::secondary)
            .on_press_maybe(enabled.then_some(msg))
            .into()
    };
    row![
        nav("◀  Previous", prev, page > 0),
        container(text(format!("Page {} of {}", page + 1, pages)).size(theme::TEXT)).center_x(Length::Fill),
        nav("Next  ▶", next, page + 1 < pages),
    ]
    .align_y(Alignment::Center)
    .spacing(theme::GAP)
    .into()
}

/// A notice box (offline, policy, errors for people).
pub fn notice<'a, M: 'a>(body: impl text::IntoFragment<'a>) -> Element<'a, M> {
    container(text(body).size(theme::TEXT)).padding(20).width(Length::Fill).style(theme::notice).into()
}

pub fn info<'a, M: 'a>(body: impl text::IntoFragment<'a>) -> Element<'a, M> {
    container(text(body).size(theme::TEXT)).padding(20).width(Length::Fill).style(theme::info).into()
}

/// How many pages `n` items make at `per` a page.
pub fn pages(n: usize, per: usize) -> usize {
    n.div_ceil(per.max(1)).max(1)
}
