//! `tutorkiosk handout`: the one-page "how to book and change a session" handout, made from the
//! real screens on demo data through the same headless renderer as the tests, so it is never
//! out of date. PDF (one page, Letter or A4), PNG or HTML.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, Days, Duration, NaiveTime, Utc};
use iced::widget::{Column, column, container, image, row, text};
use iced::{Element, Length};
use iced_test::simulator::Simulator;

use super::config::KioskConfig;
use super::runtime::KioskCore;
use super::ui::app::{App, Message, perform};
use super::ui::theme;
use crate::clock::{Clock, ManualClock};
use crate::domain::{Policy, cancel, time};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_words_follow_the_numbers() {
        let words = policy_text(&Policy::default());
        assert!(words.starts_with("Cancel for free until 11:59 PM the day before."), "{words}");
        assert!(words.contains("at the kiosk at least 2 hours before"));
        let p = Policy {
            self_cancel_until: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            late_cancel_min_minutes: 180,
            late_cancel: crate::domain::LateCancelAt::FrontDesk,
            no_show_limit: 2,
            ..Policy::default()
        };
        let words = policy_text(&p);
        assert!(words.starts_with("Cancel for free until 5:00 PM the day before."), "{words}");
        assert!(words.contains("at the front desk at least 3 hours before"), "{words}");
        assert!(words.contains("2 missed sessions in a term pause booking"), "{words}");
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Png,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    Letter,
    A4,
}

impl Paper {
    /// Logical page size for the renderer (rendered at 2×: Letter 1700×2200 px ≈ 200 dpi).
    fn logical(self) -> (f32, f32) {
        match self {
            Paper::Letter => (850.0, 1100.0),
            Paper::A4 => (827.0, 1169.0),
        }
    }

    /// Page size in PDF points.
    fn points(self) -> (f32, f32) {
        match self {
            Paper::Letter => (612.0, 792.0),
            Paper::A4 => (595.0, 842.0),
        }
    }
}

/// One captured screen: its caption and its pixels (RGBA, downscaled for print).
pub struct Shot {
    pub caption: String,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// The cancellation policy in words, from the center's own numbers.
pub fn policy_text(p: &Policy) -> String {
    let day = match p.self_cancel_days_before {
        0 => "the same day".to_string(),
        1 => "the day before".to_string(),
        n => format!("{n} days before"),
    };
    let until = p.self_cancel_until.format("%-I:%M %p").to_string();
    let late = cancel::hours_text(p.late_cancel_min_minutes);
    let late_where = match p.late_cancel {
        crate::domain::LateCancelAt::Kiosk => "at the kiosk",
        crate::domain::LateCancelAt::FrontDesk => "at the front desk",
    };
    format!(
        "Cancel for free until {until} {day}. After that, cancel {late_where} at least {late} before the start and it is \
         recorded as a late cancellation, not a missed session. Later than that counts as a missed session unless staff \
         excuse it. {} missed sessions in a term pause booking (drop-in help stays open). Sessions can be booked up to {} \
         days ahead and at least {} before they start.",
        p.no_show_limit,
        p.booking_horizon_days,
        cancel::hours_text(p.booking_lead_minutes)
    )
}

struct Driver {
    core: KioskCore,
    app: App,
    dir: PathBuf,
    n: usize,
}

fn settings() -> iced::Settings {
    iced::Settings {
        fonts: vec![theme::INTER_REGULAR.into(), theme::INTER_BOLD.into()],
        default_font: theme::FONT,
        ..iced::Settings::default()
    }
}

impl Driver {
    async fn send(&mut self, msg: Message) {
        let mut queue = vec![msg];
        while let Some(m) = queue.pop() {
            for cmd in self.app.update(m) {
                queue.push(perform(self.core.service.clone(), cmd).await);
            }
        }
    }

    async fn click(&mut self, label: &str) -> Result<(), String> {
        let msgs: Vec<Message> = {
            let mut ui = Simulator::with_size(settings(), (1920.0, 1080.0), self.app.view());
            ui.click(label).map_err(|e| format!("no \"{label}\" on the screen: {e:?}"))?;
            ui.into_messages().collect()
        };
        for m in msgs {
            self.send(m).await;
        }
        Ok(())
    }

    async fn key(&mut self, k: &str) -> Result<(), String> {
        let msgs: Vec<Message> = {
            let mut ui = Simulator::with_size(settings(), (1920.0, 1080.0), self.app.view());
            ui.click(iced::widget::Id::from(format!("key-{k}"))).map_err(|e| format!("no key {k}: {e:?}"))?;
            ui.into_messages().collect()
        };
        for m in msgs {
            self.send(m).await;
        }
        Ok(())
    }

    /// Render the current screen and keep its top part (where the content is), at a quarter size.
    fn shot(&mut self, caption: &str) -> Result<Shot, String> {
        self.n += 1;
        let (w, h, rgba) = render(self.app.view(), (1920.0, 1080.0), &self.dir.join(format!("screen-{}", self.n)))?;
        let keep = h * 3 / 5;
        let rgba = rgba[..(w * keep * 4) as usize].to_vec();
        let (w, h, rgba) = halve(&halve(&(w, keep, rgba)));
        Ok(Shot { caption: format!("{}. {caption}", self.n), width: w, height: h, rgba })
    }
}

/// Render an element headlessly (tiny-skia, 2×) and read the pixels back.
fn render(element: Element<'_, Message>, size: (f32, f32), stem: &Path) -> Result<(u32, u32, Vec<u8>), String> {
    let mut ui = Simulator::with_size(settings(), size, element);
    let snap = ui.snapshot(&theme::theme()).map_err(|e| format!("{e:?}"))?;
    let _ = std::fs::remove_file(
        stem.with_file_name(format!("{}-tiny-skia.png", stem.file_name().unwrap_or_default().to_string_lossy())),
    );
    snap.matches_image(stem).map_err(|e| format!("{e:?}"))?;
    let file = stem.with_file_name(format!("{}-tiny-skia.png", stem.file_name().unwrap_or_default().to_string_lossy()));
    read_png(&file)
}

fn read_png(path: &Path) -> Result<(u32, u32, Vec<u8>), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    Ok((info.width, info.height, buf))
}

/// Half the size, averaging 2×2 blocks (RGBA).
fn halve(img: &(u32, u32, Vec<u8>)) -> (u32, u32, Vec<u8>) {
    let (w, h, px) = img;
    let (nw, nh) = (w / 2, h / 2);
    let mut out = vec![0u8; (nw * nh * 4) as usize];
    for y in 0..nh as usize {
        for x in 0..nw as usize {
            for c in 0..4 {
                let at = |dx: usize, dy: usize| u32::from(px[((y * 2 + dy) * *w as usize + x * 2 + dx) * 4 + c]);
                out[(y * nw as usize + x) * 4 + c] = ((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4) as u8;
            }
        }
    }
    (nw, nh, out)
}

/// Grey, so a black-and-white printer shows what a colour one would.
fn grey(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks(4)
        .flat_map(|p| {
            let l = (0.2126 * f32::from(p[0]) + 0.7152 * f32::from(p[1]) + 0.0722 * f32::from(p[2])) as u8;
            [l, l, l, 255]
        })
        .collect()
}

/// The name and policy of the center this kiosk belongs to, from its cache (read only), unless
/// it runs the demo. `None` when it has not synced yet.
fn own_center(config: &KioskConfig) -> Option<(String, Policy)> {
    if config.server.url.trim() == "embedded" {
        return None;
    }
    let center = super::cache::Cache::peek_center(&super::runtime::KioskPaths::from_config(config).cache)?;
    Some((center.name, center.policy))
}

/// Capture the six screens of the booking and changing flow on fresh demo data (with the
/// kiosk's own center name and policy when it has them).
pub async fn capture(config: &KioskConfig, work: &Path) -> Result<(Vec<Shot>, Policy, String), String> {
    // A school Monday at 8 AM, a week from today, so the screens show ordinary days.
    let tz = chrono_tz::America::New_York;
    let today = time::local_date(tz, Utc::now());
    let monday = today + Days::new(u64::from(7 - today.weekday().num_days_from_monday()));
    let clock = Arc::new(ManualClock::new(time::at_local(tz, monday, NaiveTime::from_hms_opt(8, 0, 0).expect("time"))));
    let mut cfg = config.clone();
    cfg.server.url = "embedded".into();
    cfg.server.credential_file = None;
    cfg.paths.data_dir = Some(work.join("data"));
    cfg.paths.log_dir = Some(work.join("logs"));
    // A kiosk of a real center shows that center's name and rules on the demo screens.
    if let Some((name, policy)) = own_center(config) {
        use crate::server::store::{HashCost, Store, admin::Setup};
        let data = work.join("data");
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        let store = Store::open(&data.join("demo-center.db")).map_err(|e| e.to_string())?;
        crate::server::seed::seed_demo(&store, clock.now()).map_err(|e| e.to_string())?;
        store
            .write(|tx| {
                Setup { tx, store: &store, hash_cost: HashCost::DEMO }.center(
                    crate::server::seed::DEMO_CENTER_ID,
                    &name,
                    crate::server::seed::DEMO_TZ,
                    &policy,
                )
            })
            .map_err(|e| e.to_string())?;
    }
    let core = KioskCore::start(cfg.clone(), clock.clone()).await.map_err(|e| e.to_string())?;
    core.service.sync_now(std::time::Duration::from_secs(30)).await.map_err(|e| e.to_string())?;
    let policy = core.service.policy();
    let center = core.service.center().map(|c| c.0).unwrap_or_else(|| "Learning Center".into());
    let app = App::new(core.service.clone(), &cfg);
    let mut d = Driver { core, app, dir: work.to_path_buf(), n: 0 };
    d.send(Message::Tick).await;

    let mut shots = vec![d.shot("Tap Book a session, then swipe your ID card and enter your PIN.")?];
    d.click("Book a session").await?;
    d.app.swiped("0012345601".into());
    for k in ["2", "3", "4", "5", "OK"] {
        d.key(k).await?;
    }
    shots.push(d.shot("Pick your course (or tap Search to type it).")?);
    d.click("MATH 151  ·  Calculus I").await?;
    shots.push(d.shot("Pick a tutor — photos and bios are here — or \"Any tutor, soonest\".")?);
    d.click("James O.").await?;
    d.send(Message::Book(super::ui::screens::book::Message::Day(1))).await;
    shots.push(d.shot("Pick a day, then a time.")?);
    d.send(Message::Book(super::ui::screens::book::Message::Slot(1))).await;
    shots.push(d.shot("Check the details and the cancel policy, then tap Book it.")?);
    d.click("Book it").await?;
    d.click("Done").await?;
    clock.advance(Duration::hours(1));
    d.click("My appointments").await?;
    d.app.swiped("0012345601".into());
    for k in ["2", "3", "4", "5", "OK"] {
        d.key(k).await?;
    }
    shots.push(d.shot("To cancel or move: My appointments. The policy is shown before you tap.")?);
    Ok((shots, policy, center))
}

fn page<'a>(
    config: &'a KioskConfig,
    center: &'a str,
    shots: &'a [Shot],
    policy: &'a str,
    qr: Option<&'a image::Handle>,
) -> Element<'a, Message> {
    let ink = theme::INK;
    let mut grid = Column::new().spacing(14);
    for pair in shots.chunks(2) {
        let mut r = row![].spacing(14);
        for s in pair {
            let handle = image::Handle::from_rgba(s.width, s.height, grey(&s.rgba));
            r = r.push(
                column![
                    container(image(handle).width(Length::Fill)).style(|_: &iced::Theme| {
                        iced::widget::container::Style {
                            border: iced::Border { color: iced::Color::BLACK, width: 1.0, radius: 0.0.into() },
                            ..Default::default()
                        }
                    }),
                    text(s.caption.as_str()).size(13).color(ink),
                ]
                .spacing(4)
                .width(Length::Fill),
            );
        }
        grid = grid.push(r);
    }
    let mut contacts = Column::new().spacing(2).push(text("Questions?").size(14).font(theme::BOLD).color(ink));
    for c in &config.welcome.help_contacts {
        contacts = contacts.push(text(c.as_str()).size(13).color(ink));
    }
    let mut footer = row![contacts.width(Length::Fill)].spacing(16);
    if let (Some(q), Some(url)) = (qr, &config.welcome.web_page) {
        footer = footer.push(
            column![image(q.clone()).width(Length::Fixed(110.0)), text(url.as_str()).size(11).color(ink)]
                .spacing(2)
                .align_x(iced::Alignment::Center),
        );
    }
    container(
        column![
            text(center).size(26).font(theme::BOLD).color(ink),
            text("Booking and changing a tutoring session at the kiosk").size(18).color(ink),
            text(config.welcome.opening_message.as_str()).size(13).color(ink),
            grid,
            container(text(policy).size(13).color(ink)).padding(10).width(Length::Fill).style(|_: &iced::Theme| {
                iced::widget::container::Style {
                    border: iced::Border { color: iced::Color::BLACK, width: 1.5, radius: 4.0.into() },
                    ..Default::default()
                }
            }),
            footer,
        ]
        .spacing(12),
    )
    .padding(36)
    .width(Length::Fill)
    .height(Length::Fill)
    .style(|_: &iced::Theme| iced::widget::container::Style {
        background: Some(iced::Color::WHITE.into()),
        ..Default::default()
    })
    .into()
}

fn qr_handle(url: &str) -> Option<image::Handle> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let n = code.width();
    let scale = 8;
    let quiet = 4;
    let side = (n + 2 * quiet) * scale;
    let colors = code.to_colors();
    let mut px = vec![255u8; side * side * 4];
    for y in 0..n {
        for x in 0..n {
            if colors[y * n + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    for dx in 0..scale {
                        let i = (((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx) * 4;
                        px[i..i + 3].copy_from_slice(&[0, 0, 0]);
                    }
                }
            }
        }
    }
    Some(image::Handle::from_rgba(side as u32, side as u32, px))
}

/// Make the handout at `out`.
pub async fn make(config: &KioskConfig, out: &Path, format: Format, paper: Paper) -> Result<(), String> {
    let work = tempfile_dir()?;
    let (shots, policy, center) = capture(config, &work).await?;
    let policy_words = policy_text(&policy);
    match format {
        Format::Html => write_html(out, &center, &shots, &policy_words, config),
        Format::Png | Format::Pdf => {
            let qr = config.welcome.web_page.as_deref().and_then(qr_handle);
            let (w, h, rgba) =
                render(page(config, &center, &shots, &policy_words, qr.as_ref()), paper.logical(), &work.join("page"))?;
            if format == Format::Png {
                write_png(out, w, h, &rgba)
            } else {
                write_pdf(out, w, h, &rgba, paper, &center)
            }
        }
    }
    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn tempfile_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("tutorkiosk-handout-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn write_png(out: &Path, w: u32, h: u32, rgba: &[u8]) -> std::io::Result<()> {
    let file = std::fs::File::create(out)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(std::io::Error::other)?;
    writer.write_image_data(rgba).map_err(std::io::Error::other)
}

/// One page: the rendered handout as an image filling the page, plus the document title.
fn write_pdf(out: &Path, w: u32, h: u32, rgba: &[u8], paper: Paper, title: &str) -> std::io::Result<()> {
    use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, TextStr};
    let (catalog, tree, page_id, image_id, content_id, info) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
    let rgb: Vec<u8> = rgba.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&rgb, 6);
    let (pw, ph) = paper.points();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, pw, ph)).parent(tree).contents(content_id);
    page.resources().x_objects().pair(Name(b"Handout"), image_id);
    page.finish();
    let mut img = pdf.image_xobject(image_id, &compressed);
    img.filter(Filter::FlateDecode);
    img.width(w as i32);
    img.height(h as i32);
    img.bits_per_component(8);
    img.color_space().device_rgb();
    img.finish();
    let mut content = Content::new();
    content.save_state().transform([pw, 0.0, 0.0, ph, 0.0, 0.0]).x_object(Name(b"Handout")).restore_state();
    pdf.stream(content_id, &content.finish());
    pdf.document_info(info).title(TextStr(title)).creator(TextStr("tutorkiosk handout"));
    std::fs::write(out, pdf.finish())
}

fn write_html(out: &Path, center: &str, shots: &[Shot], policy: &str, config: &KioskConfig) -> std::io::Result<()> {
    use base64::Engine;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{0}</title>\
         <style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#111}}figure{{display:inline-block;width:48%;margin:0 1% 1rem}}\
         img{{width:100%;border:1px solid #000;filter:grayscale(1)}}.policy{{border:2px solid #000;padding:1rem}}</style>\
         <h1>{0}</h1><h2>Booking and changing a tutoring session at the kiosk</h2><p>{1}</p>",
        esc(center),
        esc(&config.welcome.opening_message)
    );
    for s in shots {
        let mut png_bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png_bytes, s.width, s.height);
            enc.set_color(png::ColorType::Rgba);
            let mut w = enc.write_header().map_err(std::io::Error::other)?;
            w.write_image_data(&s.rgba).map_err(std::io::Error::other)?;
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png_bytes);
        html.push_str(&format!(
            "<figure><img alt=\"\" src=\"data:image/png;base64,{b64}\"><figcaption>{}</figcaption></figure>",
            esc(&s.caption)
        ));
    }
    html.push_str(&format!("<p class=\"policy\">{}</p><h3>Questions?</h3><ul>", esc(policy)));
    for c in &config.welcome.help_contacts {
        html.push_str(&format!("<li>{}</li>", esc(c)));
    }
    html.push_str("</ul>");
    if let Some(url) = &config.welcome.web_page {
        html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", esc(url)));
    }
    html.push_str("</html>\n");
    std::fs::write(out, html)
}
