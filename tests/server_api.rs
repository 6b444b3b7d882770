//! The central server over real HTTP on 127.0.0.1 with a real SQLite file.

mod common;

use chrono::{Duration, NaiveDate, NaiveTime};
use common::{TestServer, outcome};
use serde_json::json;
use tutorkiosk::clock::Clock;
use tutorkiosk::domain::{AvailabilityBlock, BlockKind, time};
use tutorkiosk::server::jobs;
use tutorkiosk::server::store::HashCost;
use tutorkiosk::server::store::admin::Setup;

const MAYA: &str = "p-maya-okafor-tutor";
const OMAR: &str = "p-omar-haddad-tutor";

fn book(token: &str, profile: &str, course: &str, start: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    json!({ "student_token": token, "profile_id": profile, "course_id": course, "start": start })
}

/// Book through push and return the new appointment's id (the booking must succeed).
async fn booked(
    k: &mut common::TestKiosk,
    token: &str,
    profile: &str,
    course: &str,
    start: chrono::DateTime<chrono::Utc>,
) -> String {
    let r = k.push("book", book(token, profile, course, start)).await;
    r["ok"]["appointment"]["id"].as_str().unwrap_or_else(|| panic!("not booked: {r}")).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_booking_rule_is_enforced_through_push() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let ben = &t.creds.students[1];
    let token = k.sign_in(&ben.card, &ben.secret).await;
    let in_two_days = t.slot_of(MAYA, 2);

    // A plain booking, then its replay: answered, but nothing happens twice.
    let (s, first) = k
        .post(
            "/api/v1/push",
            json!({"mutations": [{"id": 1, "name": "book", "args": book(&token, MAYA, "math-151", in_two_days)}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(outcome(&first["results"][0]), "ok", "{first}");
    let rows = t.count("SELECT COUNT(*) FROM appointments");
    let (_, again) = k
        .post(
            "/api/v1/push",
            json!({"mutations": [{"id": 1, "name": "book", "args": book(&token, MAYA, "math-151", in_two_days)}]}),
        )
        .await;
    assert_eq!(outcome(&again["results"][0]), "already_processed");
    assert_eq!(t.count("SELECT COUNT(*) FROM appointments"), rows);
    k.next_id = 2;

    assert_eq!(outcome(&k.push("book", book(&token, MAYA, "cs-101", t.slot_of(MAYA, 3))).await), "course_not_offered");
    let off_grid = t.slot_of(MAYA, 3) + Duration::minutes(10);
    assert_eq!(outcome(&k.push("book", book(&token, MAYA, "math-151", off_grid)).await), "outside_availability");
    // Another student's session with the same tutor at the same time.
    let ana = &t.creds.students[0];
    let ana_token = k.sign_in(&ana.login, &ana.password).await;
    assert_eq!(outcome(&k.push("book", book(&ana_token, MAYA, "math-151", in_two_days)).await), "slot_taken");
    // Ben's own session at that time, with another tutor (Grace works Friday mornings too).
    assert_eq!(time::day_text(time_zone(), in_two_days), "Friday, October 16");
    assert_eq!(
        outcome(&k.push("book", book(&token, "p-grace-taylor-tutor", "hist-120", in_two_days)).await),
        "overlaps_own_session"
    );

    // Lead time: 9:00 today is exactly 1 h away at 8:00 (fine); at 8:01 it is too soon.
    let nine = t.slot_of(OMAR, 0);
    assert_eq!(time::clock_text(time_zone(), nine), "9:00 AM");
    t.clock.advance(Duration::minutes(1));
    assert_eq!(outcome(&k.push("book", book(&token, OMAR, "math-152", nine)).await), "too_soon");

    // Beyond the 14-day horizon: a block 20 days out.
    let far = time::at_local(
        time_zone(),
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
    );
    t.store
        .write(|tx| {
            let setup = Setup { tx, store: &t.store, hash_cost: HashCost::DEMO };
            setup.availability(&AvailabilityBlock {
                id: "far".into(),
                profile_id: OMAR.into(),
                start: far,
                end: far + Duration::hours(2),
                session_minutes: 30,
                kind: BlockKind::Appointment,
            })
        })
        .unwrap();
    assert_eq!(outcome(&k.push("book", book(&token, OMAR, "math-152", far)).await), "beyond_horizon");

    // At most 3 upcoming: Ben holds the seeded one and today's, so one more fits and then no more.
    assert_eq!(t.count("SELECT COUNT(*) FROM appointments a JOIN students s ON s.id = a.student_id WHERE s.email LIKE 'ben.%' AND status = 'booked'"), 2);
    assert_eq!(outcome(&k.push("book", book(&token, OMAR, "math-152", t.slot_of(OMAR, 4))).await), "ok");
    assert_eq!(outcome(&k.push("book", book(&token, OMAR, "math-152", t.slot_of(OMAR, 6))).await), "too_many_bookings");

    // Jordan has three missed sessions this term: suspended, until a director's override.
    let jordan = &t.creds.students[2];
    let jt = k.sign_in(&jordan.card, &jordan.secret).await;
    let r = k.push("book", book(&jt, OMAR, "math-152", t.slot_of(OMAR, 2))).await;
    assert_eq!(outcome(&r), "booking_suspended");
    assert!(r["error"]["message"].as_str().unwrap().contains("Drop-in help is still open"));
    let now = t.clock.now();
    t.store.override_suspension(&jordan.login, "Dr. Rivera", "illness, documented", now).unwrap();
    assert_eq!(outcome(&k.push("book", book(&jt, OMAR, "math-152", t.slot_of(OMAR, 2))).await), "ok");
    let second = t.store.override_suspension(&jordan.login, "Dr. Rivera", "again", now).unwrap_err().to_string();
    assert!(second.contains("not suspended") || second.contains("already"), "{second}");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'student_override' AND why = 'illness, documented'"),
        1
    );

    // Business rejections are processed: the watermark moved past every one of them.
    let pulled = k.pull(0).await;
    assert_eq!(pulled["last_mutation_id"], k.next_id - 1);
}

fn time_zone() -> chrono_tz::Tz {
    chrono_tz::America::New_York
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_follow_the_three_windows_and_keep_their_rows() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let s = &t.creds.students[5];
    let token = k.sign_in(&s.card, &s.secret).await;
    // Tuesday's sessions with Daniel (10:00–16:00).
    let tue_10 = t.slot_of("p-daniel-kim-tutor", 1);
    assert_eq!(time::day_text(time_zone(), tue_10), "Tuesday, October 13");
    let tue_1030 = tue_10 + Duration::minutes(30);
    let tue_15 = tue_10 + Duration::hours(5);
    let mut ids = Vec::new();
    for start in [tue_10, tue_1030, tue_15] {
        let r = k.push("book", book(&token, "p-daniel-kim-tutor", "cs-101", start)).await;
        assert_eq!(outcome(&r), "ok", "{r}");
        ids.push(r["ok"]["appointment"]["id"].as_str().unwrap().to_string());
    }
    // The student signs in again at each moment, as they would at the kiosk.
    let cancel = |token: &str, id: &str| json!({ "student_token": token, "appointment_id": id });

    // Monday 23:59:30 is still free.
    t.clock.set(time::resolve_local(time_zone(), "2026-10-12T23:59:30".parse().unwrap()));
    let token = k.sign_in(&s.card, &s.secret).await;
    let r = k.push("cancel", cancel(&token, &ids[0])).await;
    assert_eq!(r["ok"]["appointment"]["status"], "cancelled", "{r}");
    // Tuesday 08:30 is 2 h before 10:30: late, not a no-show.
    t.clock.set(time::resolve_local(time_zone(), "2026-10-13T08:30:00".parse().unwrap()));
    let token = k.sign_in(&s.card, &s.secret).await;
    let r = k.push("cancel", cancel(&token, &ids[1])).await;
    assert_eq!(r["ok"]["appointment"]["status"], "late_cancelled", "{r}");
    // Tuesday 13:30 is 90 min before 15:00: too late here.
    t.clock.set(time::resolve_local(time_zone(), "2026-10-13T13:30:00".parse().unwrap()));
    let token = k.sign_in(&s.card, &s.secret).await;
    let r = k.push("cancel", cancel(&token, &ids[2])).await;
    assert_eq!(outcome(&r), "cancel_window_closed");
    assert!(r["error"]["message"].as_str().unwrap().contains("front desk"));

    // Nothing is deleted: every row stays with its status and its history.
    let statuses: Vec<String> = {
        let conn = rusqlite::Connection::open(&t.db).unwrap();
        ids.iter()
            .map(|id| conn.query_row("SELECT status FROM appointments WHERE id = ?1", [id], |r| r.get(0)).unwrap())
            .collect()
    };
    assert_eq!(statuses, ["cancelled", "late_cancelled", "booked"]);
    let in_list = ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(",");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM appointment_history WHERE appointment_id IN ({in_list})")), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_marks_the_session_and_the_sweep_marks_no_shows_once() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let ana = &t.creds.students[0];
    // Ana's seeded session is at 9:00 today. 8:50 is inside the window.
    t.clock.set(time::resolve_local(time_zone(), "2026-10-12T08:50:00".parse().unwrap()));
    let at = t.clock.now();
    let r = k.push("check_in", json!({"card": ana.card, "at": at})).await;
    assert_eq!(r["ok"]["outcome"], "on_time", "{r}");
    assert_eq!(r["ok"]["visit"]["display_name"], "Ana P.");
    assert_eq!(r["ok"]["appointment"]["status"], "checked_in");

    // A second student books 9:00 with another tutor and never comes.
    let s = &t.creds.students[7];
    t.clock.set(time::resolve_local(time_zone(), "2026-10-12T07:00:00".parse().unwrap()));
    let token = k.sign_in(&s.card, &s.secret).await;
    let nine = t.slot_of(OMAR, 0);
    assert_eq!(outcome(&k.push("book", book(&token, OMAR, "math-152", nine)).await), "ok");

    t.clock.set(nine + Duration::minutes(14));
    assert_eq!(jobs::run_once(&t.store, t.clock.now()).unwrap().0, 0);
    t.clock.set(nine + Duration::minutes(15));
    assert_eq!(jobs::run_once(&t.store, t.clock.now()).unwrap().0, 1);
    assert_eq!(jobs::run_once(&t.store, t.clock.now()).unwrap().0, 0, "the sweep is idempotent");
    assert_eq!(t.count("SELECT COUNT(*) FROM appointments WHERE status = 'no_show' AND start_utc = strftime('%s', '2026-10-12 13:00:00')"), 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM appointments WHERE status = 'checked_in' AND start_utc = strftime('%s', '2026-10-12 13:00:00')"), 1);

    // A swipe of an unknown card is a processed rejection, in words.
    let r = k.push("check_in", json!({"card": "9999999999", "at": t.clock.now()})).await;
    assert_eq!(outcome(&r), "unknown_card");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_mutations_are_refused_and_change_nothing() {
    let t = TestServer::start().await;
    let k = t.kiosk("Lobby 1").await;
    let ana = &t.creds.students[0];
    let (s, v) = k
        .post(
            "/api/v1/push",
            json!({"mutations": [{"id": 2, "name": "check_in", "args": {"card": ana.card, "at": t.clock.now()}}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(outcome(&v["results"][0]), "out_of_order");
    assert_eq!(t.count("SELECT COUNT(*) FROM visits WHERE check_in_at > strftime('%s','2026-10-12')"), 0);
    assert_eq!(k.pull(0).await["last_mutation_id"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulls_cost_the_changes_and_reset_when_the_cursor_cannot_be_served() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;

    // A kiosk this server never served, arriving with a cursor, is told to reset.
    let (_, v) = k.post("/api/v1/pull", json!({"cursor": 10})).await;
    assert_eq!(v["reset"], true);

    let mut cursor = 0;
    let mut total = 0;
    loop {
        let page = k.pull(cursor).await;
        assert_eq!(page["reset"], false);
        total += page["changes"].as_array().unwrap().len();
        cursor = page["cursor"].as_u64().unwrap();
        if page["more"] == false {
            break;
        }
    }
    assert!(total > 100, "the first pull carries the whole center ({total})");

    // Ten changes later, the next pull carries those ten and nothing else.
    let s = &t.creds.students[9];
    let token = k.sign_in(&s.card, &s.secret).await;
    for i in 0..10 {
        let start = t.slot_of("p-sofia-ramirez-tutor", 1) + Duration::minutes(0);
        let _ = i;
        let r = k.push("book", book(&token, "p-sofia-ramirez-tutor", "span-101", start)).await;
        let id = r["ok"]["appointment"]["id"].as_str().unwrap().to_string();
        assert_eq!(outcome(&k.push("cancel", json!({"student_token": token, "appointment_id": id})).await), "ok");
    }
    let page = k.pull(cursor).await;
    assert_eq!(page["changes"].as_array().unwrap().len(), 10, "each appointment once, at its latest state");
    assert!(page["changes"].as_array().unwrap().iter().all(|c| c["data"]["status"] == "cancelled"));
    let head = page["cursor"].as_u64().unwrap();

    // A delete is a tombstone.
    t.store
        .write(|tx| {
            Setup { tx, store: &t.store, hash_cost: HashCost::DEMO }
                .remove_availability(&format!("{}-0-Tue@2026-10-13", "p-daniel-kim-tutor"))
        })
        .unwrap();
    let page = k.pull(head).await;
    assert_eq!(page["changes"][0]["op"], "del");

    // Once tombstones up to the head are pruned, an older cursor must start over.
    t.store.prune_tombstones(head + 1).unwrap();
    let (_, v) = k.post("/api/v1/pull", json!({"cursor": cursor})).await;
    assert_eq!(v["reset"], true);
    // And a cache of another schema version too.
    let (_, v) = k.post("/api/v1/pull", json!({"cursor": head + 1, "schema_version": 99})).await;
    assert_eq!(v["reset"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_kiosk_gets_401_and_codes_work_once() {
    let t = TestServer::start().await;
    let k = t.kiosk("Lobby 1").await;
    assert_eq!(k.post("/api/v1/pull", json!({"cursor": 0})).await.0, 200);
    assert!(t.store.revoke_device("Lobby 1", t.clock.now()).unwrap());
    let (s, v) = k.post("/api/v1/pull", json!({"cursor": 0})).await;
    assert_eq!(s, 401);
    assert_eq!(v["error"]["code"], "unauthorized");

    let code = t.store.create_enroll_code("Lobby 2", t.clock.now()).unwrap().code;
    let http = reqwest::Client::new();
    let enroll = |code: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/enroll", t.url());
        async move { http.post(url).json(&json!({"code": code})).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(enroll(code.to_lowercase()).await, 200, "codes are forgiving about case");
    assert_eq!(enroll(code.clone()).await, 403, "and work once");
    let late = t.store.create_enroll_code("Lobby 3", t.clock.now()).unwrap().code;
    t.clock.advance(Duration::minutes(31));
    assert_eq!(enroll(late).await, 403, "and expire");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_kiosks_booking_one_slot_make_exactly_one_booking() {
    let t = TestServer::start().await;
    let slot = t.slot_of("p-lena-fischer-tutor", 2);
    let mut kiosks = Vec::new();
    for i in 0..50 {
        let k = t.kiosk(&format!("Kiosk {i}")).await;
        // Everyone but Jordan (2), whose booking is suspended.
        let s = &t.creds.students[[0, 1].into_iter().chain(3..50).nth(i % 49).unwrap()];
        let token = k.sign_in(&s.card, &s.secret).await;
        kiosks.push((k, token));
    }
    let before = t.count("SELECT COUNT(*) FROM appointments");
    let tasks: Vec<_> = kiosks
        .into_iter()
        .map(|(mut k, token)| {
            tokio::spawn(async move {
                outcome(&k.push("book", book(&token, "p-lena-fischer-tutor", "math-110", slot)).await)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let ok = outcomes.iter().filter(|o| *o == "ok").count();
    let taken = outcomes.iter().filter(|o| *o == "slot_taken").count();
    assert_eq!((ok, taken), (1, 49), "{outcomes:?}");
    assert_eq!(t.count("SELECT COUNT(*) FROM appointments") - before, 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM appointments WHERE start_utc = {} AND status = 'booked'",
            slot.timestamp()
        )),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_plain_json_errors() {
    let t = TestServer::start().await;
    let k = t.kiosk("Lobby 1").await;
    let url = format!("{}/api/v1/push", t.url());
    let send = |body: Vec<u8>| {
        let (http, url, secret) = (k.http.clone(), url.clone(), k.secret.clone());
        async move {
            // The server answers an oversized body before reading it all; the client may then see
            // its write cut off. Try again a few times to read the answer itself.
            for _ in 0..5 {
                let sent = http
                    .post(&url)
                    .bearer_auth(&secret)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                if let Ok(r) = sent {
                    let status = r.status().as_u16();
                    return (status, r.json::<serde_json::Value>().await.unwrap());
                }
            }
            panic!("no answer from the server");
        }
    };
    let (s, v) = send(b"{\"mutations\": [".to_vec()).await;
    assert_eq!((s, v["error"]["code"].as_str().unwrap()), (400, "malformed_json"));
    let (s, v) = send(vec![b' '; 2 * 1024 * 1024]).await;
    assert_eq!((s, v["error"]["code"].as_str().unwrap()), (413, "body_too_large"));
    let (s, v) = send(br#"{"mutations": [{"id": 1, "name": "teleport", "args": {}}]}"#.to_vec()).await;
    assert_eq!((s, v["error"]["code"].as_str().unwrap()), (400, "unknown_mutation"));
    let (s, v) = send(br#"{"mutations": [{"id": 1, "name": "book", "args": {"nonsense": true}}]}"#.to_vec()).await;
    assert_eq!(s, 200);
    assert_eq!(outcome(&v["results"][0]), "bad_args", "a garbled mutation is processed, not retried forever");
    let (s, v) = k.post("/api/v1/nowhere", json!({})).await;
    assert_eq!((s, v["error"]["code"].as_str().unwrap()), (404, "not_found"));
    let (s, v) = k.post("/api/v1/session", json!({"login": "0012345601", "secret": "0000"})).await;
    assert_eq!((s, v["error"]["code"].as_str().unwrap()), (401, "wrong_credentials"));
    assert!(!v.to_string().contains("0012345601"), "no identifiers echoed back");
    let r = reqwest::get(format!("{}/healthz", t.url())).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_locks_a_login_after_five_wrong_tries() {
    let t = TestServer::start().await;
    let k = t.kiosk("Lobby 1").await;
    let s = &t.creds.students[4];
    for _ in 0..5 {
        let (code, _) = k.post("/api/v1/session", json!({"login": s.card, "secret": "0000"})).await;
        assert_eq!(code, 401);
    }
    let (code, v) = k.post("/api/v1/session", json!({"login": s.card, "secret": s.secret})).await;
    assert_eq!((code, v["error"]["code"].as_str().unwrap()), (429, "locked_out"), "even the right PIN waits");
    t.clock.advance(Duration::minutes(6));
    let (code, _) = k.post("/api/v1/session", json!({"login": s.card, "secret": s.secret})).await;
    assert_eq!(code, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_nothing_the_server_answered_ok() {
    let mut t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let s = &t.creds.students[11];
    let token = k.sign_in(&s.card, &s.secret).await;
    let r = k.push("book", book(&token, "p-emily-chen-tutor", "stat-200", t.slot_of("p-emily-chen-tutor", 2))).await;
    let id = r["ok"]["appointment"]["id"].as_str().unwrap().to_string();
    let r = k.push("check_in", json!({"card": t.creds.students[0].card, "at": t.clock.now()})).await;
    assert_eq!(outcome(&r), "ok");

    t.restart().await;
    k.base = t.url();
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM appointments WHERE id = '{id}' AND status = 'booked'")), 1);
    // The watermark survived too: a replay is recognised, and the sign-in still works.
    k.next_id = 1;
    assert_eq!(
        outcome(
            &k.push("book", book(&token, "p-emily-chen-tutor", "stat-200", t.slot_of("p-emily-chen-tutor", 3))).await
        ),
        "already_processed"
    );
    k.next_id = 3;
    assert_eq!(outcome(&k.push("cancel", json!({"student_token": token, "appointment_id": id})).await), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_cancel_keeps_its_time_but_cannot_predate_the_sign_in() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let s = &t.creds.students[5];
    let tue_10 = t.slot_of("p-daniel-kim-tutor", 1);
    let token = k.sign_in(&s.card, &s.secret).await;
    let id = booked(&mut k, &token, "p-daniel-kim-tutor", "cs-101", tue_10).await;
    let id2 = booked(&mut k, &token, "p-daniel-kim-tutor", "cs-101", tue_10 + Duration::minutes(30)).await;

    // Signed in Monday 23:00, cancelled on the kiosk at 23:30 while the network was down; the
    // cancel arrives Tuesday 07:00. It was made in the free window, so it is a plain cancel.
    t.clock.set(time::resolve_local(time_zone(), "2026-10-12T23:00:00".parse().unwrap()));
    let token = k.sign_in(&s.card, &s.secret).await;
    let queued_at = time::resolve_local(time_zone(), "2026-10-12T23:30:00".parse().unwrap());
    t.clock.set(time::resolve_local(time_zone(), "2026-10-13T07:00:00".parse().unwrap()));
    let r = k.push("cancel", json!({"student_token": token, "appointment_id": id, "at": queued_at})).await;
    assert_eq!(r["ok"]["appointment"]["status"], "cancelled", "{r}");

    // A cancel dated before its own sign-in is not believed: it can't buy a free cancel.
    let token = k.sign_in(&s.card, &s.secret).await;
    let before_sign_in = time::resolve_local(time_zone(), "2026-10-12T22:00:00".parse().unwrap());
    let r = k.push("cancel", json!({"student_token": token, "appointment_id": id2, "at": before_sign_in})).await;
    assert_eq!(outcome(&r), "session_expired", "{r}");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM appointments WHERE id = '{id2}' AND status = 'booked'")), 1);

    // A start thousands of years away is refused in words, not a crash.
    for start in ["+262000-01-01T00:00:00Z", "-262000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
        let mut args = book(&token, "p-daniel-kim-tutor", "cs-101", tue_10);
        args["start"] = json!(start);
        let r = k.push("book", args).await;
        let code = outcome(&r);
        assert!(code == "beyond_horizon" || code == "too_soon", "{start}: {r}");
        assert!(!r["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_drop_in_sign_out_and_late_check_in_work_through_push() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let s = &t.creds.students[6];
    let token = k.sign_in(&s.card, &s.secret).await;
    let first = t.slot_of(MAYA, 2);
    let r = k.push("book", book(&token, MAYA, "math-151", first)).await;
    assert_eq!(outcome(&r), "ok", "{r}");
    let id = r["ok"]["appointment"]["id"].as_str().unwrap().to_string();

    // Move it an hour later with the same tutor: one transaction, old cancelled, new booked.
    let later = first + Duration::hours(1);
    let r = k
        .push("reschedule", json!({"student_token": token, "appointment_id": id, "profile_id": MAYA, "start": later}))
        .await;
    assert_eq!(outcome(&r), "ok", "{r}");
    let moved = r["ok"]["appointment"]["id"].as_str().unwrap().to_string();
    assert_eq!(r["ok"]["appointment"]["start"], json!(later));
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM appointments WHERE id = '{id}' AND status = 'cancelled'")), 1);

    // A move to a time outside the tutor's hours is refused and the booking stands untouched.
    let r = k
        .push("reschedule", json!({"student_token": token, "appointment_id": moved, "profile_id": MAYA, "start": later + Duration::minutes(7)}))
        .await;
    assert_eq!(outcome(&r), "outside_availability", "{r}");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM appointments WHERE id = '{moved}' AND status = 'booked'")), 1);

    // Drop-in: join (twice is still one place), leave, and leaving again says so in words.
    let r = k.push("drop_in_join", json!({"card": s.card, "course_id": "math-151", "reason": "Homework 4"})).await;
    assert_eq!(r["ok"]["queue_entry"]["status"], "waiting", "{r}");
    let place = r["ok"]["queue_entry"]["position"].as_u64().unwrap();
    let r = k.push("drop_in_join", json!({"card": s.card, "course_id": "math-151"})).await;
    assert_eq!(r["ok"]["queue_entry"]["position"].as_u64().unwrap(), place, "one place in line");
    assert_eq!(
        outcome(&k.push("drop_in_join", json!({"card": s.card, "course_id": "nope-999"})).await),
        "unknown_course"
    );
    assert_eq!(k.push("drop_in_leave", json!({"card": s.card})).await["ok"]["queue_entry"]["status"], "left");
    assert_eq!(outcome(&k.push("drop_in_leave", json!({"card": s.card})).await), "not_in_line");

    // Ana's 9:00 session: checking in at 9:07 is late, and said so.
    let ana = &t.creds.students[0];
    t.clock.set(time::resolve_local(time_zone(), "2026-10-12T09:07:00".parse().unwrap()));
    let r = k.push("check_in", json!({"card": ana.card, "at": t.clock.now()})).await;
    assert_eq!((r["ok"]["outcome"].as_str(), r["ok"]["late"].as_bool()), (Some("late"), Some(true)), "{r}");

    // A drop-in entry left waiting expires; an open visit is signed out automatically.
    k.push("drop_in_join", json!({"card": s.card})).await;
    let r = k.push("check_in", json!({"card": s.card, "at": t.clock.now()})).await;
    assert!(r["ok"]["visit"]["id"].is_string(), "{r}");
    t.clock.advance(Duration::hours(5));
    let (_, signed_out, expired) = jobs::run_once(&t.store, t.clock.now()).unwrap();
    assert_eq!((signed_out, expired), (2, 1), "both open visits (Ana's and this student's), one waiting entry");
    assert_eq!(outcome(&k.push("sign_out", json!({"card": s.card, "at": t.clock.now()})).await), "not_checked_in");

    // Check in, sign out, and sign out again.
    k.push("check_in", json!({"card": s.card, "at": t.clock.now()})).await;
    let r = k.push("sign_out", json!({"card": s.card, "at": t.clock.now()})).await;
    assert!(r["ok"]["visit"]["sign_out_at"].is_string(), "{r}");
    assert_eq!(outcome(&k.push("sign_out", json!({"card": s.card, "at": t.clock.now()})).await), "not_checked_in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_desk_late_cancel_policy_sends_late_cancels_to_the_desk() {
    let t = TestServer::start().await;
    let policy =
        tutorkiosk::domain::Policy { late_cancel: tutorkiosk::domain::LateCancelAt::FrontDesk, ..Default::default() };
    t.store
        .write(|tx| {
            Setup { tx, store: &t.store, hash_cost: HashCost::DEMO }.center(
                "riverside",
                "Riverside College Learning Center",
                "America/New_York",
                &policy,
            )
        })
        .unwrap();
    let mut k = t.kiosk("Lobby 1").await;
    let s = &t.creds.students[5];
    let tue_10 = t.slot_of("p-daniel-kim-tutor", 1);
    let token = k.sign_in(&s.card, &s.secret).await;
    let id = booked(&mut k, &token, "p-daniel-kim-tutor", "cs-101", tue_10).await;
    // Tuesday 07:00 is three hours before: a late cancel, which this center takes only at the desk.
    t.clock.set(time::resolve_local(time_zone(), "2026-10-13T07:00:00".parse().unwrap()));
    let token = k.sign_in(&s.card, &s.secret).await;
    let r = k.push("cancel", json!({"student_token": token, "appointment_id": id})).await;
    assert_ne!(outcome(&r), "ok", "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("front desk"), "{r}");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM appointments WHERE id = '{id}' AND status = 'booked'")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_leave_the_feed_after_thirty_days_and_a_kiosk_that_old_starts_afresh() {
    let t = TestServer::start().await;
    let mut k = t.kiosk("Lobby 1").await;
    let first = k.pull(0).await;
    assert_eq!(first["more"], false);
    let old_cursor = first["cursor"].as_u64().unwrap();

    // A drop-in entry comes and goes; a day after it ended it leaves the kiosks' copy (a tombstone).
    let s = &t.creds.students[4];
    assert_eq!(outcome(&k.push("drop_in_join", json!({"card": s.card})).await), "ok");
    assert_eq!(outcome(&k.push("drop_in_leave", json!({"card": s.card})).await), "ok");
    let page = k.pull(old_cursor).await;
    let entry = page["changes"].as_array().unwrap().iter().find(|c| c["entity"] == "drop_in").expect("on the feed");
    assert_eq!(entry["data"]["status"], "left");
    assert!(entry["data"].get("student_key").is_some() && entry["data"].get("display_name").is_none(), "no names");
    t.clock.advance(Duration::days(2));
    jobs::run_once(&t.store, t.clock.now()).unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM changes WHERE entity = 'drop_in' AND op = 'del'"), 1);

    // Thirty days on, the tombstone is pruned; a kiosk still at the old cursor must start afresh.
    t.clock.advance(Duration::days(jobs::TOMBSTONE_DAYS) + Duration::minutes(1));
    jobs::run_once(&t.store, t.clock.now()).unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM changes WHERE op = 'del'"), 0);
    let page = k.pull(old_cursor).await;
    assert_eq!(page["reset"], true, "{page}");
    // A kiosk that kept up is not reset.
    let fresh = k.pull(0).await;
    let page = k.pull(fresh["cursor"].as_u64().unwrap()).await;
    assert_eq!(page["reset"], false);
}
