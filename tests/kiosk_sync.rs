//! The kiosk core against the real server, in-process on loopback, with real files.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Duration as Minutes;
use common::TestServer;
use tutorkiosk::clock::Clock;
use tutorkiosk::domain::time;
use tutorkiosk::kiosk::cache::{Cache, LocalEffect};
use tutorkiosk::kiosk::config;
use tutorkiosk::kiosk::runtime::KioskCore;
use tutorkiosk::kiosk::sync::{Client, SyncEngine, SyncError};
use tutorkiosk::server::store::HashCost;
use tutorkiosk::server::store::admin::Setup;

const BG: Duration = Duration::from_secs(10);

async fn kiosk(t: &TestServer, dir: &std::path::Path) -> KioskCore {
    let text = t.kiosk_config(dir, "Lobby 1");
    let cfg = config::parse(&text).unwrap();
    KioskCore::start(cfg, t.clock.clone()).await.unwrap()
}

/// Restart a kiosk from the files it left (the credential is already saved).
async fn restart_kiosk(t: &TestServer, dir: &std::path::Path) -> KioskCore {
    let text = format!(
        "[kiosk]\nname = \"Lobby 1\"\n[server]\nurl = \"{}\"\n[paths]\ndata_dir = \"{}\"\nlog_dir = \"{}\"\n",
        t.url(),
        dir.join("data").display(),
        dir.join("logs").display()
    );
    KioskCore::start(config::parse(&text).unwrap(), t.clock.clone()).await.unwrap()
}

fn visits_of(t: &TestServer, card_index: usize) -> i64 {
    let key = t.store.student_key(&t.creds.students[card_index].card);
    t.count(&format!("SELECT COUNT(*) FROM visits v JOIN students s ON s.id = v.student_id WHERE s.student_key = '{key}' AND v.device_id IS NOT NULL"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_fills_the_cache_and_later_ones_carry_only_changes() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(&t, dir.path()).await;
    let first = k.service.sync_now(BG).await.unwrap();
    let server_changes = t.count("SELECT COUNT(*) FROM changes");
    assert_eq!(first.pulled as i64, server_changes);
    assert_eq!(k.service.courses().len(), 20);
    let math = k.service.tutors_for("math-151");
    assert!(math.iter().any(|p| p.profile.display_name == "Maya O." && p.photo_png.is_some()), "photos arrive");
    assert!(!k.service.slots("math-151", None, 14).is_empty());

    // Ten changes on the server (course titles edited), then a sync carries exactly ten.
    t.store
        .write(|tx| {
            let setup = Setup { tx, store: &t.store, hash_cost: HashCost::DEMO };
            for i in 0..10 {
                setup.course(&format!("extra-{i}"), &format!("XTRA {i}"), "Added later")?;
            }
            Ok(())
        })
        .unwrap();
    let second = k.service.sync_now(BG).await.unwrap();
    assert_eq!(second.pulled, 10);
    let third = k.service.sync_now(BG).await.unwrap();
    assert_eq!(third.pulled, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_queued_offline_are_delivered_once_in_order_when_the_server_is_back() {
    let mut t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(&t, dir.path()).await;
    k.service.sync_now(BG).await.unwrap();

    // Ana's session is at 9:00; at 8:50 the server goes away.
    t.clock.set(time::resolve_local(chrono_tz::America::New_York, "2026-10-12T08:50:00".parse().unwrap()));
    t.stop().await;
    let mut views = Vec::new();
    for i in [0, 5, 6] {
        views.push(k.service.check_in(&t.creds.students[i].card).await.unwrap());
        t.clock.advance(Minutes::seconds(30));
    }
    assert!(views.iter().all(|v| !v.delivered), "shown as queued, not as confirmed");
    assert!(views[0].appointment.is_some(), "Ana's cached appointment is found offline by her card's key");
    assert!(views[0].decision.as_ref().is_some_and(|d| d.accepted()));
    let queued = k.service.cache().pending(10).unwrap();
    assert_eq!(queued.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(k.service.sync_now(Duration::from_millis(500)).await.is_err());
    assert_eq!(k.service.cache().pending(10).unwrap().len(), 3, "a failed sync keeps everything");

    t.start_again().await;
    k.service.sync_now(BG).await.unwrap();
    for i in [0, 5, 6] {
        assert_eq!(visits_of(&t, i), 1, "student {i} checked in exactly once");
    }
    let order: Vec<i64> = {
        let conn = rusqlite::Connection::open(&t.db).unwrap();
        let mut st = conn.prepare("SELECT mutation_id FROM mutation_results ORDER BY rowid").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(order, [1, 2, 3]);
    assert!(k.service.cache().outbox().unwrap().is_empty(), "dropped once the pull confirmed them");
    // Another sync sends nothing again.
    assert_eq!(k.service.sync_now(BG).await.unwrap().pushed, 0);
    assert_eq!(visits_of(&t, 0), 1);
    let ana_status = t.count("SELECT COUNT(*) FROM appointments WHERE status = 'checked_in' AND start_utc = strftime('%s', '2026-10-12 13:00:00')");
    assert_eq!(ana_status, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_killed_between_the_local_write_and_the_push_delivers_after_restart() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let k = kiosk(&t, dir.path()).await;
        k.service.sync_now(BG).await.unwrap();
        // The local write happens; the process dies before any push.
        let card = &t.creds.students[8].card;
        let args = serde_json::json!({"card": card, "at": t.clock.now()});
        k.service.cache().enqueue("check_in", &args, "Check-in", &LocalEffect::None, t.clock.now()).unwrap();
    }
    let k = restart_kiosk(&t, dir.path()).await;
    assert_eq!(k.service.cache().pending(10).unwrap().len(), 1);
    k.service.sync_now(BG).await.unwrap();
    k.service.sync_now(BG).await.unwrap();
    assert_eq!(visits_of(&t, 8), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_keeps_the_outbox_and_delivers_it() {
    let mut t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(&t, dir.path()).await;
    k.service.sync_now(BG).await.unwrap();
    let cursor = k.service.cache().cursor().unwrap();

    t.stop().await;
    k.service.check_in(&t.creds.students[9].card).await.unwrap();
    t.start_again().await;
    // The server forgets tombstones past this kiosk's cursor: its cursor is now too old.
    t.store
        .write(|tx| {
            Setup { tx, store: &t.store, hash_cost: HashCost::DEMO }
                .remove_availability(&format!("{}-0-Tue@2026-10-13", "p-daniel-kim-tutor"))
        })
        .unwrap();
    t.store.prune_tombstones(cursor + 10).unwrap();

    let r = k.service.sync_now(BG).await.unwrap();
    assert_eq!(r.pushed, 1);
    assert!(r.reset, "{r:?}");
    assert_eq!(visits_of(&t, 9), 1);
    assert_eq!(k.service.courses().len(), 20, "the mirror is whole again");
    assert!(k.service.cache().outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_cache_is_moved_aside_and_rebuilt_keeping_the_outbox() {
    let mut t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache_path;
    {
        let k = kiosk(&t, dir.path()).await;
        k.service.sync_now(BG).await.unwrap();
        t.stop().await;
        k.service.check_in(&t.creds.students[10].card).await.unwrap();
        cache_path = k.paths.cache.clone();
    }
    // Damage the end of the file, where the mirror tables live; the outbox pages come first.
    {
        let conn = rusqlite::Connection::open(&cache_path).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    let len = std::fs::metadata(&cache_path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&cache_path).unwrap();
    f.set_len(len * 2 / 3).unwrap();
    drop(f);

    t.start_again().await;
    let k = restart_kiosk(&t, dir.path()).await;
    let moved = k.cache_report.moved_aside.clone().expect("moved aside");
    assert!(moved.exists(), "the damaged file is kept for inspection");
    assert_eq!(k.cache_report.outbox_recovered, 1);
    k.service.sync_now(BG).await.unwrap();
    assert_eq!(visits_of(&t, 10), 1);
    assert_eq!(k.service.courses().len(), 20);

    // Garbage written over the middle of the file (a bad disk block) is caught the same way.
    {
        let k = &k;
        t.stop().await;
        k.service.check_in(&t.creds.students[11].card).await.unwrap();
        let conn = rusqlite::Connection::open(&cache_path).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    drop(k);
    let len = std::fs::metadata(&cache_path).unwrap().len();
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&cache_path).unwrap();
        f.seek(SeekFrom::Start(len / 2)).unwrap();
        f.write_all(&vec![0xA5; 8192]).unwrap();
    }
    t.start_again().await;
    let k = restart_kiosk(&t, dir.path()).await;
    assert!(k.cache_report.moved_aside.is_some());
    assert_eq!(k.cache_report.outbox_recovered, 1);
    k.service.sync_now(BG).await.unwrap();
    assert_eq!(visits_of(&t, 11), 1);

    // A file that is not SQLite at all is moved aside too.
    drop(k);
    std::fs::write(&cache_path, b"this is not a database, it is a grocery list").unwrap();
    let k = restart_kiosk(&t, dir.path()).await;
    assert!(k.cache_report.moved_aside.is_some());
    k.service.sync_now(BG).await.unwrap();
    assert_eq!(k.service.courses().len(), 20);
}

/// A server that answers every pull with `body`.
async fn bad_server(body: Vec<u8>) -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/api/v1/pull",
        post(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_truncated_or_oversized_answers_leave_the_cache_untouched() {
    let t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let k = kiosk(&t, dir.path()).await;
    k.service.sync_now(BG).await.unwrap();
    let cache_path = k.paths.cache.clone();
    drop(k);
    let (cache, _) = Cache::open(&cache_path).unwrap();
    let cursor = cache.cursor().unwrap();
    let counts = cache.counts().unwrap();
    let cache = Arc::new(Mutex::new(cache));

    let good_page = br#"{"cursor": 999999, "last_mutation_id": 0, "more": false, "reset": false, "changes": [
        {"entity": "course", "id": "x", "op": "put", "data": {"id": "x", "code": "X 1", "title": "Sneaky"}},
        {"entity": "appointment", "id": "y", "op": "put", "data": {"id": "y", "broken": true}}]}"#;
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("garbage", b"<html>502 Bad Gateway</html>".to_vec(), usize::MAX),
        ("truncated", br#"{"cursor": 5, "changes": [{"entity": "course", "id": "#.to_vec(), usize::MAX),
        ("a page with one bad change", good_page.to_vec(), usize::MAX),
        ("oversized", vec![b' '; 4096], 1024),
    ];
    for (what, body, limit) in cases {
        let url = bad_server(body).await;
        let engine = SyncEngine::new(
            cache.clone(),
            Client::new(&url, Some("x".into())).with_max_response(limit),
            t.clock.clone(),
        );
        let err = engine.pull_all(BG).await.unwrap_err();
        assert!(matches!(err, SyncError::Garbage(_) | SyncError::Cache(_)), "{what}: {err:?}");
        let c = cache.lock().unwrap();
        assert_eq!(c.cursor().unwrap(), cursor, "{what}: cursor untouched");
        assert_eq!(c.counts().unwrap(), counts, "{what}: mirror untouched");
        assert!(c.course("x").unwrap().is_none(), "{what}: nothing half-applied");
    }
}

/// A TCP relay in front of the server that can go silent: bytes stop getting through on every
/// connection, old and new, which stay open and unanswered, as with a hung server or a
/// half-dead network link.
struct Relay {
    addr: std::net::SocketAddr,
    silent: Arc<std::sync::atomic::AtomicBool>,
}

/// Copy one direction until either side closes, swallowing everything while `silent`.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if silent.load(std::sync::atomic::Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = silent.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let upstream = upstream.trim_start_matches("http://").to_string();
                let s = s.clone();
                tokio::spawn(async move {
                    let Ok(out) = tokio::net::TcpStream::connect(upstream).await else { return };
                    let (in_r, in_w) = inbound.into_split();
                    let (out_r, out_w) = out.into_split();
                    tokio::join!(pipe(in_r, out_w, s.clone()), pipe(out_r, in_w, s));
                });
            }
        });
        Relay { addr, silent }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn go_silent(&self) {
        self.silent.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn speak_again(&self) {
        self.silent.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_costs_a_waiting_student_about_three_seconds_then_the_check_in_is_queued() {
    let t = TestServer::start().await;
    let relay = Relay::start(t.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let code = t.store.create_enroll_code("Lobby 1", t.clock.now()).unwrap().code;
    let text = format!(
        "[kiosk]\nname = \"Lobby 1\"\n[server]\nurl = \"{}\"\nenroll_code = \"{code}\"\n[paths]\ndata_dir = \"{}\"\nlog_dir = \"{}\"\n",
        relay.url(),
        dir.path().join("data").display(),
        dir.path().join("logs").display()
    );
    let k = KioskCore::start(config::parse(&text).unwrap(), t.clock.clone()).await.unwrap();
    k.service.sync_now(BG).await.unwrap();

    relay.go_silent();
    let card = t.creds.students[0].card.clone();
    let started = std::time::Instant::now();
    let v = k.service.check_in(&card).await.unwrap();
    let waited = started.elapsed();
    assert!(!v.delivered, "queued, and said so");
    assert!(
        waited >= Duration::from_millis(2500) && waited < Duration::from_secs(6),
        "the student waited {waited:?}, not the server's pleasure"
    );
    assert_eq!(k.service.cache().outbox().unwrap().len(), 1);
    assert_eq!(visits_of(&t, 0), 0);

    // The link is mended: the next sync delivers it, once.
    relay.speak_again();
    k.service.sync_now(BG).await.unwrap();
    assert_eq!(visits_of(&t, 0), 1);
    assert!(k.service.cache().outbox().unwrap().is_empty());
}
