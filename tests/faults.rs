//! Fault suites in bounded time: the kiosk killed at random points, the server restarted under
//! load, the network taken away mid-sync. Nothing answered is lost; nothing happens twice.

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestServer;
use serde_json::{Value, json};
use tutorkiosk::clock::Clock;
use tutorkiosk::kiosk::cache::Cache;
use tutorkiosk::kiosk::sync::{Client, SyncEngine};

/// A small deterministic generator, so a failing run can be repeated.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn kiosk_cmd(cfg: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tutorkiosk"));
    c.arg("--config").arg(cfg).env("RUST_LOG", "error").stdout(Stdio::piped()).stderr(Stdio::null());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_kiosk_at_random_points_loses_and_doubles_no_check_in() {
    let mut t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kiosk-config.toml");
    std::fs::write(&cfg, t.kiosk_config(dir.path(), "Lobby 1")).unwrap();
    assert!(kiosk_cmd(&cfg).args(["sync", "--once"]).status().unwrap().success(), "first start enrolls and syncs");

    // Kill points are spread over a whole run (start, local write, push, pull), so time one first.
    let mut lengths: Vec<Duration> = (0..3)
        .map(|k| {
            let t0 = std::time::Instant::now();
            let card = t.creds.students[40 + k].card.clone();
            assert!(kiosk_cmd(&cfg).args(["check-in", "--card", &card]).status().unwrap().success());
            t0.elapsed()
        })
        .collect();
    lengths.sort();
    let span = (lengths[1].as_millis() as u64 * 3 / 2).max(5);
    let mut rng = Lcg(7);
    let mut finished = 3;
    let mut killed = 0;
    for i in 0..100 {
        if i % 10 == 5 {
            t.stop().await; // some check-ins are queued offline…
        } else if i % 10 == 0 && t.server.is_none() {
            t.start_again().await; // …and delivered by later runs
        }
        let card = t.creds.students[i % 50].card.clone();
        let mut child = kiosk_cmd(&cfg).args(["check-in", "--card", &card]).spawn().unwrap();
        let after = Duration::from_micros(rng.next(span * 1000));
        let deadline = std::time::Instant::now() + after;
        let mut exited = false;
        while std::time::Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                exited = true;
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        if !exited {
            child.kill().unwrap(); // SIGKILL: no cleanup of any kind
        }
        let out = child.wait_with_output().unwrap();
        killed += usize::from(std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(9));
        finished += usize::from(out.status.success());
    }
    if t.server.is_none() {
        t.start_again().await;
    }
    let mut tries = 0;
    while !kiosk_cmd(&cfg).args(["sync", "--once"]).status().unwrap().success() {
        tries += 1;
        assert!(tries < 5, "the final sync must get through");
    }

    let cache = Cache::open(&dir.path().join("data").join("cache.db")).unwrap().0;
    assert!(cache.outbox().unwrap().is_empty(), "everything queued was delivered");
    let made = cache.next_mutation_id().unwrap() - 1;
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let (processed, distinct, max, watermark): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT r.mutation_id), MAX(r.mutation_id), d.last_mutation_id
             FROM mutation_results r JOIN devices d ON d.id = r.device_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (processed, distinct, max, watermark),
        (made as i64, made as i64, made as i64, made as i64),
        "ids 1..={made} each once"
    );
    assert!(
        made as usize >= finished,
        "every check-in that finished is on the server ({finished} finished, {made} made)"
    );
    assert!(killed >= 30, "most runs were really cut short ({killed} of 100 killed)");
    eprintln!(
        "100 runs, {killed} killed mid-way (span {span} ms): {finished} finished, {made} check-ins made, all on the server once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_the_server_under_booking_load_loses_nothing_answered_ok() {
    let mut t = TestServer::start().await;
    let url = t.url();
    // Free half-hour slots in the next two weeks, one per booking.
    let slots: Vec<(String, String, i64)> = {
        let conn = rusqlite::Connection::open(&t.db).unwrap();
        let now = t.clock.now().timestamp();
        let mut st = conn
            .prepare(
                "SELECT b.profile_id, (SELECT course_id FROM profile_courses WHERE profile_id = b.profile_id LIMIT 1), b.start_utc
                 FROM availability b WHERE b.kind = 'appointment' AND b.start_utc > ?1 + 7200 AND b.start_utc < ?1 + 12 * 86400
                 AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.person_id = b.person_id AND a.start_utc = b.start_utc)
                 ORDER BY b.start_utc",
            )
            .unwrap();
        st.query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let lanes = 4;
    let mut clients = Vec::new();
    let students: Vec<usize> = (3..50).collect();
    for lane in 0..lanes {
        let k = t.kiosk(&format!("Load {lane}")).await;
        let mut jobs = Vec::new();
        for (j, s) in students.iter().enumerate().filter(|(j, _)| j % lanes == lane) {
            let token = k.sign_in(&t.creds.students[*s].card, &t.creds.students[*s].secret).await;
            if let Some((p, c, start)) = slots.get(j) {
                jobs.push(json!({"student_token": token, "profile_id": p, "course_id": c, "start": chrono::DateTime::from_timestamp(*start, 0).unwrap()}));
            }
        }
        clients.push((k.secret.clone(), jobs));
    }
    let answered_ok: Arc<Mutex<Vec<String>>> = Arc::default();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(secret, jobs)| {
            let url = url.clone();
            let answered_ok = answered_ok.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
                for (i, args) in jobs.into_iter().enumerate() {
                    let body = json!({"mutations": [{"id": i + 1, "name": "book", "args": args}]});
                    // Retried with the same id until answered: delivery is at least once, the
                    // watermark makes the effect exactly once.
                    loop {
                        let sent =
                            http.post(format!("{url}/api/v1/push")).bearer_auth(&secret).json(&body).send().await;
                        let Ok(r) = sent else {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        };
                        let Ok(v) = r.json::<Value>().await else { continue };
                        let result = &v["results"][0];
                        if let Some(id) = result["ok"]["appointment"]["id"].as_str() {
                            answered_ok.lock().unwrap().push(id.to_string());
                        }
                        if result.get("ok").is_some()
                            || result.get("already_processed").is_some()
                            || result["error"]["code"] != "busy"
                        {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        t.restart().await;
    }
    for task in tasks {
        task.await.unwrap();
    }
    let ok = answered_ok.lock().unwrap().clone();
    assert!(ok.len() > 10, "the load really ran ({} ok)", ok.len());
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    for id in &ok {
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM appointments WHERE id = ?1 AND status = 'booked'", [id], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "answered ok, so it is there: {id}");
    }
    let doubles: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT person_id, start_utc FROM appointments WHERE status IN ('booked','checked_in') GROUP BY 1, 2 HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(doubles, 0);
    let per_device: i64 = conn
        .query_row("SELECT COUNT(*) FROM (SELECT device_id, mutation_id FROM mutation_results GROUP BY 1, 2 HAVING COUNT(*) > 1)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(per_device, 0, "no mutation processed twice");
    eprintln!("20 restarts under load: {} bookings answered ok, all present, none doubled", ok.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_going_away_mid_sync_resumes_without_a_reset() {
    let mut t = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let code = t.store.create_enroll_code("Lobby 1", t.clock.now()).unwrap().code;
    let creds = Client::new(&t.url(), None).enroll(&code).await.unwrap();
    let (cache, _) = Cache::open(&dir.path().join("cache.db")).unwrap();
    let cache = Arc::new(Mutex::new(cache));
    let engine = SyncEngine::new(
        cache.clone(),
        Client::new(&t.url(), Some(creds.secret.clone())).with_page_limit(20),
        t.clock.clone(),
    );
    engine.pull_all(Duration::from_secs(10)).await.unwrap();
    let start = cache.lock().unwrap().cursor().unwrap();

    // 400 changes on the server, then a sync in pages of 20 that loses the network part way.
    t.store
        .write(|tx| {
            let setup = tutorkiosk::server::store::admin::Setup {
                tx,
                store: &t.store,
                hash_cost: tutorkiosk::server::store::HashCost::DEMO,
            };
            for i in 0..400 {
                setup.course(&format!("x{i}"), &format!("XTRA {i}"), "More")?;
            }
            Ok(())
        })
        .unwrap();
    let e = engine.clone();
    let pulling = tokio::spawn(async move { e.pull_all(Duration::from_secs(2)).await });
    loop {
        let c = cache.lock().unwrap().cursor().unwrap();
        if c > start + 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    t.stop().await;
    assert!(pulling.await.unwrap().is_err(), "the sync is cut off");
    let mid = cache.lock().unwrap().cursor().unwrap();
    assert!(mid > start && mid < start + 400, "part way: {start} < {mid} < {}", start + 400);

    t.start_again().await;
    let (applied, reset) = engine.pull_all(Duration::from_secs(10)).await.unwrap();
    assert!(!reset, "resumed from its cursor, not from scratch");
    assert_eq!(applied as u64, start + 400 - mid, "only what was still missing");
    assert_eq!(
        cache.lock().unwrap().courses().unwrap().len(),
        20,
        "extra courses have no tutors, so the list is unchanged"
    );
    assert!(cache.lock().unwrap().course("x399").unwrap().is_some());
}
