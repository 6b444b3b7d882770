//! Benchmarks on a large center (500 tutor profiles, a 15-week term ≈ 100k slots, 50k
//! appointments, 20k students), all on loopback with real files. Run: `cargo bench --bench large_center`.
//! Prints a Markdown table (median and p99 of each figure against its goal).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use iced_test::core::renderer::{Headless, Style};
use iced_test::core::theme::Base;
use iced_test::core::{Event, Pixels, Size, clipboard, mouse, window};
use iced_test::runtime::{UserInterface, user_interface};
use tutorkiosk::clock::{Clock, ManualClock};
use tutorkiosk::kiosk::config;
use tutorkiosk::kiosk::runtime::KioskCore;
use tutorkiosk::kiosk::ui::app::{App, Message, perform};
use tutorkiosk::kiosk::ui::screens::book;
use tutorkiosk::kiosk::ui::{screens::welcome, theme};
use tutorkiosk::server::store::Store;
use tutorkiosk::server::store::large::{LargeSpec, seed_large};

fn monday() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-12T12:00:00Z").unwrap().with_timezone(&Utc)
}

struct Stats {
    median: f64,
    p99: f64,
    n: usize,
}

fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Stats { median: at(0.5), p99: at(0.99), n: ms.len() }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Row(String, String, String, String);

/// Frames drawn the way the kiosk window draws them, at 1920×1080 and scale 1.
struct Frames {
    renderer: iced::Renderer,
    cache: user_interface::Cache,
}

impl Frames {
    fn new() -> Frames {
        for font in [theme::INTER_REGULAR, theme::INTER_BOLD] {
            iced_test::renderer::graphics::text::font_system().write().unwrap().load_font(font.into());
        }
        let renderer = iced_test::futures::futures::executor::block_on(<iced::Renderer as Headless>::new(
            theme::FONT,
            Pixels(16.0),
            Some("tiny-skia"),
        ))
        .expect("a tiny-skia renderer");
        Frames { renderer, cache: user_interface::Cache::default() }
    }

    /// One frame: view, layout, draw and rasterize; returns milliseconds.
    fn frame(&mut self, app: &App) -> f64 {
        let theme = theme::theme();
        let base = theme.base();
        let t = Instant::now();
        let mut ui = UserInterface::build(
            app.view(),
            Size::new(1920.0, 1080.0),
            std::mem::take(&mut self.cache),
            &mut self.renderer,
        );
        let mut messages = Vec::new();
        let _ = ui.update(
            &[Event::Window(window::Event::RedrawRequested(Instant::now()))],
            mouse::Cursor::Unavailable,
            &mut self.renderer,
            &mut clipboard::Null,
            &mut messages,
        );
        ui.draw(&mut self.renderer, &theme, &Style { text_color: base.text_color }, mouse::Cursor::Unavailable);
        self.cache = ui.into_cache();
        let pixels = self.renderer.screenshot(Size::new(1920, 1080), 1.0, base.background_color);
        let elapsed = ms(t.elapsed());
        assert_eq!(pixels.len(), 1920 * 1080 * 4);
        elapsed
    }

    /// A warm-up frame, then 50 measured ones.
    fn sample(&mut self, app: &App) -> Vec<f64> {
        let _ = self.frame(app);
        (0..50).map(|_| self.frame(app)).collect()
    }
}

fn kiosk_config(dir: &std::path::Path, url: &str, code: &str) -> config::KioskConfig {
    config::parse(&format!(
        "[kiosk]\nname = \"Bench\"\n[server]\nurl = \"{url}\"\nenroll_code = \"{code}\"\n[paths]\ndata_dir = \"{}\"\nlog_dir = \"{}\"\n",
        dir.join("data").display(),
        dir.join("logs").display()
    ))
    .unwrap()
}

/// Free half-hour slots in the next two weeks (from 2 h ahead), at most `limit`: (profile, a
/// course it teaches, start as unix seconds).
fn free_slots(db: &std::path::Path, limit: usize) -> Vec<(String, String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let now = monday().timestamp();
    let mut st = conn
        .prepare(
            "SELECT b.profile_id, (SELECT course_id FROM profile_courses WHERE profile_id = b.profile_id LIMIT 1),
                    b.start_utc + 1800 * k.k
             FROM availability b
             JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6) k
             WHERE b.start_utc + 1800 * k.k >= ?1 AND b.start_utc + 1800 * k.k < ?2
             AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.person_id = b.person_id
                             AND a.start_utc = b.start_utc + 1800 * k.k AND a.status IN ('booked','checked_in'))
             LIMIT ?3",
        )
        .unwrap();
    st.query_map(rusqlite::params![now + 7200, now + 13 * 86_400, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

async fn post_json(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut req = http.post(url).json(&body);
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    req.send().await.unwrap().json().await.unwrap()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run());
}

async fn run() {
    // `cargo bench --bench large_center -- push` runs one part: sync, search, render or push.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let mut rows: Vec<Row> = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("large.db");
    let store = Arc::new(Store::open(&db).unwrap());
    let t = Instant::now();
    let report = seed_large(&store, monday(), LargeSpec::default()).unwrap();
    eprintln!(
        "generated {} blocks, {} slots, {} appointments, {} students in {:.1} s",
        report.blocks,
        report.slots,
        report.appointments,
        report.students,
        t.elapsed().as_secs_f64()
    );
    let clock = Arc::new(ManualClock::new(monday()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = tutorkiosk::server::spawn(store.clone(), clock.clone(), listener, false).unwrap();
    let url = server.url();
    let changes: i64 =
        rusqlite::Connection::open(&db).unwrap().query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0)).unwrap();

    if wants("sync") || wants("search") || wants("render") {
        // Initial sync of the whole term, three fresh kiosks.
        let mut initial = Vec::new();
        let mut kiosk = None;
        for i in 0..3 {
            let kdir = dir.path().join(format!("kiosk-{i}"));
            let code = store.create_enroll_code(&format!("Bench {i}"), clock.now()).unwrap().code;
            let core = KioskCore::start(kiosk_config(&kdir, &url, &code), clock.clone()).await.unwrap();
            let t = Instant::now();
            let r = core.service.sync_now(Duration::from_secs(120)).await.unwrap();
            initial.push(ms(t.elapsed()));
            assert_eq!(r.pulled as i64, changes);
            kiosk = Some(core);
        }
        let kiosk = kiosk.unwrap();
        let s = stats(initial);
        rows.push(Row(
            format!("initial sync of the large term ({changes} changes), loopback"),
            format!("{:.0} ms", s.median),
            format!("{:.0} ms (max of {})", s.p99, s.n),
            "≤ 1500 ms".into(),
        ));

        // Incremental sync: cost follows the number of changes.
        let booked: Vec<String> = {
            let conn = rusqlite::Connection::open(&db).unwrap();
            let mut st = conn
                .prepare("SELECT id FROM appointments WHERE status = 'booked' ORDER BY start_utc DESC LIMIT 20000")
                .unwrap();
            st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        let mut next = 0;
        for n in [10usize, 100, 1000] {
            let rounds = if n == 1000 { 5 } else { 100 };
            let mut samples = Vec::new();
            for _ in 0..rounds {
                for id in &booked[next..next + n] {
                    store.excuse_appointment(id, "bench", "bench", clock.now()).unwrap();
                }
                next += n;
                let t = Instant::now();
                let r = kiosk.service.sync_now(Duration::from_secs(30)).await.unwrap();
                samples.push(ms(t.elapsed()));
                assert_eq!(r.pulled, n);
            }
            let s = stats(samples);
            let goal = if n == 100 { "≤ 20 ms" } else { "(scaling)" };
            rows.push(Row(
                format!("incremental sync of {n} changes"),
                format!("{:.1} ms", s.median),
                format!("{:.1} ms", s.p99),
                goal.into(),
            ));
        }

        // Local slot search for a course over 14 days, every course five times.
        let courses = kiosk.service.courses();
        let mut samples = Vec::new();
        let mut found = 0;
        for _ in 0..5 {
            for c in &courses {
                let t = Instant::now();
                let slots = kiosk.service.slots(&c.id, None, 14);
                samples.push(ms(t.elapsed()));
                found += slots.len();
            }
        }
        let s = stats(samples);
        rows.push(Row(
            format!(
                "local slot search, one course, 14 days ({} courses × 5; {} slots/search avg)",
                courses.len(),
                found / (courses.len() * 5)
            ),
            format!("{:.2} ms", s.median),
            format!("{:.2} ms", s.p99),
            "≤ 2 ms".into(),
        ));

        // view + layout + draw at 1920×1080 through the headless tiny-skia renderer: one renderer
        // and one layout cache kept across frames, as the kiosk window keeps them, and the whole
        // frame rasterized every time (the window only redraws what changed, so this is the worst case).
        let cfg = kiosk_config(&dir.path().join("kiosk-2"), &url, "unused");
        let mut app = App::new(kiosk.service.clone(), &cfg);
        let mut frames = Frames::new();
        let mut screens: Vec<(&str, Vec<f64>)> = Vec::new();
        screens.push(("Welcome", frames.sample(&app)));
        let card = report.pin_cards[0].clone();
        let send = async |app: &mut App, m: Message| {
            let mut q = vec![m];
            while let Some(m) = q.pop() {
                for c in app.update(m) {
                    q.push(perform(kiosk.service.clone(), c).await);
                }
            }
        };
        send(&mut app, Message::Welcome(welcome::Message::Choose(tutorkiosk::kiosk::ui::app::Intent::Book))).await;
        let _ = app.swiped(card.clone());
        for d in "1234".chars() {
            send(&mut app, Message::Identify(tutorkiosk::kiosk::ui::screens::identify::Message::Digit(d))).await;
        }
        send(&mut app, Message::Identify(tutorkiosk::kiosk::ui::screens::identify::Message::Ok)).await;
        screens.push(("Book: course list", frames.sample(&app)));
        let busiest = courses.iter().max_by_key(|c| kiosk.service.tutors_for(&c.id).len()).unwrap().id.clone();
        send(&mut app, Message::Book(book::Message::Course(busiest))).await;
        screens.push(("Book: tutors with photos", frames.sample(&app)));
        send(&mut app, Message::Book(book::Message::Tutor(None))).await;
        screens.push(("Book: any tutor, time grid", frames.sample(&app)));
        for (name, samples) in screens {
            let s = stats(samples);
            rows.push(Row(
                format!("view + layout + draw, {name}, 1920×1080 tiny-skia"),
                format!("{:.1} ms", s.median),
                format!("{:.1} ms", s.p99),
                "≤ 16 ms".into(),
            ));
        }
    }
    if wants("push") {
        // Push throughput: 50 kiosks booking distinct free slots at once.
        let free = free_slots(&db, 3000);
        let kiosks = 50;
        let per = (free.len().min(3000) / kiosks).min(60);
        let http = reqwest::Client::new();
        let mut lanes = Vec::new();
        for k in 0..kiosks {
            let code = store.create_enroll_code(&format!("Load {k}"), clock.now()).unwrap().code;
            let r = post_json(&http, &format!("{url}/api/v1/enroll"), None, serde_json::json!({"code": code})).await;
            let secret = r["secret"].as_str().unwrap().to_string();
            let mut jobs = Vec::new();
            for j in 0..per {
                let i = k * per + j;
                let s = post_json(
                    &http,
                    &format!("{url}/api/v1/session"),
                    Some(&secret),
                    serde_json::json!({"login": report.pin_cards[i], "secret": "1234"}),
                )
                .await;
                let (profile, course, start) = &free[i];
                jobs.push(serde_json::json!({"student_token": s["token"], "profile_id": profile, "course_id": course, "start": DateTime::from_timestamp(*start, 0).unwrap()}));
            }
            lanes.push((secret, jobs));
        }
        let before: i64 = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM appointments", [], |r| r.get(0))
            .unwrap();
        eprintln!("pushing {} bookings from {kiosks} kiosks", per * kiosks);
        let started = Instant::now();
        let tasks: Vec<_> = lanes
            .into_iter()
            .map(|(secret, jobs)| {
                let http = http.clone();
                let url = url.clone();
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut ok = 0;
                    for (i, args) in jobs.into_iter().enumerate() {
                        let body = serde_json::json!({"mutations": [{"id": i + 1, "name": "book", "args": args}]});
                        let t = Instant::now();
                        let r: serde_json::Value = http
                            .post(format!("{url}/api/v1/push"))
                            .bearer_auth(&secret)
                            .json(&body)
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        lat.push(ms(t.elapsed()));
                        ok += usize::from(r["results"][0].get("ok").is_some());
                    }
                    (lat, ok)
                })
            })
            .collect();
        let mut lat = Vec::new();
        let mut ok = 0;
        for t in tasks {
            let (l, o) = t.await.unwrap();
            lat.extend(l);
            ok += o;
        }
        let wall = started.elapsed().as_secs_f64();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let after: i64 = conn.query_row("SELECT COUNT(*) FROM appointments", [], |r| r.get(0)).unwrap();
        let doubles: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM (SELECT person_id, start_utc FROM appointments WHERE status IN ('booked','checked_in') GROUP BY 1, 2 HAVING COUNT(*) > 1)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let total = lat.len();
        let s = stats(lat);
        rows.push(Row(
            format!(
                "push: 50 kiosks booking at once ({total} bookings, {ok} ok, {} new rows, {doubles} double bookings)",
                after - before
            ),
            format!("{:.0} bookings/s; {:.1} ms", total as f64 / wall, s.median),
            format!("{:.1} ms", s.p99),
            "≥ 3000/s, p99 ≤ 20 ms, 0 doubles".into(),
        ));
    }
    if wants("push") || wants("store") {
        // The store alone, one booking per write transaction, no HTTP: the ceiling for the above.
        let code = store.create_enroll_code("Store bench", clock.now()).unwrap().code;
        let secret = store.enroll(&code, clock.now()).unwrap().unwrap().secret;
        let device = store.authenticate(&secret, clock.now()).unwrap().unwrap();
        let free = free_slots(&db, 2000);
        let n = free.len().min(2000);
        let mut batch = Vec::with_capacity(n);
        for (i, (profile, course, start)) in free.iter().take(n).enumerate() {
            // Students the HTTP run above did not use (it takes the first 3,000).
            let card = &report.pin_cards[3000 + i % (report.pin_cards.len() - 3000)];
            let token = match store.sign_in(&device, card, "1234", clock.now()).unwrap() {
                Ok(s) => s.token,
                Err(_) => panic!("sign-in failed"),
            };
            batch.push(tutorkiosk::protocol::Mutation {
                id: i as u64 + 1,
                name: "book".into(),
                args: serde_json::json!({"student_token": token, "profile_id": profile, "course_id": course, "start": DateTime::from_timestamp(*start, 0).unwrap()}),
            });
        }
        let mut lat = Vec::with_capacity(n);
        let mut ok = 0;
        let started = Instant::now();
        for m in &batch {
            let t = Instant::now();
            let r = store.push(&device, std::slice::from_ref(m), clock.now()).unwrap();
            lat.push(ms(t.elapsed()));
            ok += usize::from(matches!(r[0], tutorkiosk::protocol::MutationResult::Ok { .. }));
        }
        let wall = started.elapsed().as_secs_f64();
        let s = stats(lat);
        rows.push(Row(
            format!("for comparison: the store alone, one thread, no HTTP ({n} bookings, {ok} ok)"),
            format!("{:.0} bookings/s; {:.2} ms", n as f64 / wall, s.median),
            format!("{:.2} ms", s.p99),
            "—".into(),
        ));
    }
    server.shutdown().await;

    println!("| figure | median | p99 | goal |");
    println!("| --- | --- | --- | --- |");
    for Row(a, b, c, d) in rows {
        println!("| {a} | {b} | {c} | {d} |");
    }
}
