//! One theme for the kiosk: high contrast, one accent colour, big targets and text.
//! Styles are named functions; views never pick colours themselves.

use iced::widget::{button, container};
use iced::{Background, Border, Color, Font, Shadow, Theme, color, font};

pub const INTER_REGULAR: &[u8] = include_bytes!("../../../assets/fonts/Inter-Regular.otf");
pub const INTER_BOLD: &[u8] = include_bytes!("../../../assets/fonts/Inter-Bold.otf");

pub const FONT: Font = Font::with_name("Inter");
pub const BOLD: Font = Font { weight: font::Weight::Bold, ..Font::with_name("Inter") };

/// Text sizes (logical px). Body text is never below 22.
pub const TEXT: f32 = 24.0;
pub const SMALL: f32 = 22.0;
pub const HEADING: f32 = 40.0;
pub const TITLE: f32 = 52.0;
pub const HUGE: f32 = 64.0;

/// Touch targets (logical px): every control is at least 64 tall; main actions far more.
pub const TARGET: f32 = 64.0;
pub const BIG_TARGET: f32 = 160.0;
pub const GAP: f32 = 20.0;
pub const PAD: f32 = 32.0;

pub const INK: Color = color!(0x111827);
pub const MUTED: Color = color!(0x374151);
pub const PAPER: Color = color!(0xffffff);
pub const CANVAS: Color = color!(0xf3f4f6);
pub const LINE: Color = color!(0x9ca3af);
/// The one accent: a deep blue that passes WCAG AAA with white text.
pub const ACCENT: Color = color!(0x1d4ed8);
pub const ACCENT_DARK: Color = color!(0x1e3a8a);
pub const ACCENT_SOFT: Color = color!(0xdbeafe);
pub const WARN_SOFT: Color = color!(0xfef3c7);
pub const WARN_INK: Color = color!(0x78350f);

pub fn theme() -> Theme {
    Theme::custom(
        "tutorkiosk".to_string(),
        iced::theme::Palette {
            background: CANVAS,
            text: INK,
            primary: ACCENT,
            success: color!(0x166534),
            warning: color!(0xb45309),
            danger: color!(0xb91c1c),
        },
    )
}

fn rounded(color: Color, width: f32) -> Border {
    Border { color, width, radius: 16.0.into() }
}

/// Flat on purpose: tiny-skia's damage tracking leaves blurred shadows behind on the next
/// screen, so depth comes from borders, not shadows.
fn lift(_pressed: bool) -> Shadow {
    Shadow::default()
}

/// The main call to action: accent background, white text.
pub fn primary(_: &Theme, status: button::Status) -> button::Style {
    let bg = match status {
        button::Status::Pressed => ACCENT_DARK,
        button::Status::Disabled => LINE,
        _ => ACCENT,
    };
    button::Style {
        background: Some(Background::Color(bg)),
        text_color: PAPER,
        border: rounded(bg, 0.0),
        shadow: lift(matches!(status, button::Status::Pressed | button::Status::Disabled)),
        snap: true,
    }
}

/// A secondary choice: white card with a dark outline.
pub fn secondary(_: &Theme, status: button::Status) -> button::Style {
    let bg = match status {
        button::Status::Pressed => ACCENT_SOFT,
        button::Status::Disabled => CANVAS,
        _ => PAPER,
    };
    let text = if matches!(status, button::Status::Disabled) { LINE } else { INK };
    button::Style {
        background: Some(Background::Color(bg)),
        text_color: text,
        border: rounded(MUTED, 2.0),
        shadow: lift(matches!(status, button::Status::Pressed | button::Status::Disabled)),
        snap: true,
    }
}

/// A selected tab or chip.
pub fn selected(_: &Theme, _status: button::Status) -> button::Style {
    button::Style {
        background: Some(Background::Color(ACCENT)),
        text_color: PAPER,
        border: rounded(ACCENT_DARK, 3.0),
        shadow: Shadow::default(),
        snap: true,
    }
}

/// A key of the on-screen keypad or keyboard.
pub fn key(_: &Theme, status: button::Status) -> button::Style {
    let bg = match status {
        button::Status::Pressed => ACCENT_SOFT,
        _ => PAPER,
    };
    button::Style {
        background: Some(Background::Color(bg)),
        text_color: INK,
        border: rounded(LINE, 2.0),
        shadow: Shadow::default(),
        snap: true,
    }
}

/// A quiet text-like button (Back, Cancel).
pub fn quiet(_: &Theme, status: button::Status) -> button::Style {
    let bg = if matches!(status, button::Status::Pressed) { ACCENT_SOFT } else { Color::TRANSPARENT };
    button::Style {
        background: Some(Background::Color(bg)),
        text_color: ACCENT_DARK,
        border: rounded(ACCENT, 2.0),
        shadow: Shadow::default(),
        snap: true,
    }
}

pub fn card(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(PAPER)),
        text_color: Some(INK),
        border: rounded(LINE, 2.0),
        shadow: Shadow::default(),
        snap: true,
    }
}

pub fn header(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(ACCENT_DARK)),
        text_color: Some(PAPER),
        ..container::Style::default()
    }
}

/// The offline banner and other notices that matter.
pub fn notice(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(WARN_SOFT)),
        text_color: Some(WARN_INK),
        border: rounded(color!(0xd97706), 2.0),
        ..container::Style::default()
    }
}

pub fn info(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(ACCENT_SOFT)),
        text_color: Some(INK),
        border: rounded(ACCENT, 2.0),
        ..container::Style::default()
    }
}

/// The dimmed layer behind the "Are you still there?" prompt.
pub fn scrim(_: &Theme) -> container::Style {
    container::Style {
        background: Some(Background::Color(Color { a: 0.6, ..Color::BLACK })),
        ..container::Style::default()
    }
}

/// A progress bar (the staff reset): accent on a pale track.
pub fn progress(_: &Theme) -> iced::widget::progress_bar::Style {
    iced::widget::progress_bar::Style {
        background: Background::Color(ACCENT_SOFT),
        bar: Background::Color(ACCENT),
        border: rounded(ACCENT, 1.0),
    }
}
