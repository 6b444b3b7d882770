//! A real server on 127.0.0.1:0 with a real SQLite file, the demo center, and a clock tests set.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tutorkiosk::clock::{Clock, ManualClock};
use tutorkiosk::server::seed::{DemoCredentials, seed_demo};
use tutorkiosk::server::store::Store;
use tutorkiosk::server::{RunningServer, spawn};

/// Monday 2026-10-12, 08:00 in New York (EDT): a school day inside the demo term.
pub fn monday_8am() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-12T12:00:00Z").unwrap().with_timezone(&Utc)
}

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub store: Arc<Store>,
    pub clock: Arc<ManualClock>,
    pub server: Option<RunningServer>,
    pub creds: DemoCredentials,
    pub stopped_at: Option<std::net::SocketAddr>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_at(monday_8am()).await
    }

    pub async fn start_at(now: DateTime<Utc>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("center.db");
        let store = Arc::new(Store::open(&db).unwrap());
        let creds = seed_demo(&store, now).unwrap();
        let clock = Arc::new(ManualClock::new(now));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = spawn(store.clone(), clock.clone(), listener, false).unwrap();
        TestServer { dir, db, store, clock, server: Some(server), creds, stopped_at: None }
    }

    pub fn url(&self) -> String {
        match (&self.server, self.stopped_at) {
            (Some(s), _) => s.url(),
            (None, Some(addr)) => format!("http://{addr}"),
            (None, None) => panic!("no server"),
        }
    }

    /// Stop the server (the network "goes away"); `start_again` brings it back on the same port.
    pub async fn stop(&mut self) -> std::net::SocketAddr {
        let s = self.server.take().expect("running");
        let addr = s.addr;
        s.shutdown().await;
        self.stopped_at = Some(addr);
        addr
    }

    /// Reopen the database file from scratch and serve it again on the port it had.
    pub async fn start_again(&mut self) {
        let addr = self.stopped_at.take().expect("stopped");
        self.store = Arc::new(Store::open(&self.db).unwrap());
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot bind {addr} again: {e}"),
            }
        };
        self.server = Some(spawn(self.store.clone(), self.clock.clone(), listener, false).unwrap());
    }

    /// Stop and start again: a server restart.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    /// A kiosk config pointing at this server, with its data in `dir`.
    pub fn kiosk_config(&self, dir: &std::path::Path, name: &str) -> String {
        let code = self.store.create_enroll_code(name, self.clock.now()).unwrap().code;
        // The staff PIN is 2468 (a cheap hash: tests only).
        let pin_hash = tutorkiosk::secrets::hash_password("2468", tutorkiosk::secrets::HashCost::DEMO);
        format!(
            "[kiosk]\nname = \"{name}\"\nstaff_pin_hash = \"{pin_hash}\"\n[server]\nurl = \"{}\"\nenroll_code = \"{code}\"\n[paths]\ndata_dir = \"{}\"\nlog_dir = \"{}\"\n",
            self.url(),
            dir.join("data").display(),
            dir.join("logs").display()
        )
    }

    pub async fn kiosk(&self, name: &str) -> TestKiosk {
        let code = self.store.create_enroll_code(name, self.clock.now()).unwrap().code;
        let http = reqwest::Client::new();
        let r: Value = http
            .post(format!("{}/api/v1/enroll", self.url()))
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        TestKiosk {
            http,
            base: self.url(),
            secret: r["secret"].as_str().unwrap().to_string(),
            device_id: r["device_id"].as_str().unwrap().to_string(),
            next_id: 1,
        }
    }

    /// (profile, start) of a free appointment slot of `profile` at least `days` days ahead.
    pub fn slot_of(&self, profile: &str, days: i64) -> DateTime<Utc> {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        let after = self.clock.now().timestamp() + days * 86_400;
        let t: i64 = conn
            .query_row(
                "SELECT b.start_utc FROM availability b WHERE b.profile_id = ?1 AND b.kind = 'appointment' AND b.start_utc >= ?2
                 AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.person_id = b.person_id AND a.start_utc = b.start_utc
                                 AND a.status IN ('booked','checked_in'))
                 ORDER BY b.start_utc LIMIT 1",
                rusqlite::params![profile, after],
                |r| r.get(0),
            )
            .unwrap();
        DateTime::from_timestamp(t, 0).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

pub struct TestKiosk {
    pub http: reqwest::Client,
    pub base: String,
    pub secret: String,
    pub device_id: String,
    pub next_id: u64,
}

impl TestKiosk {
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r =
            self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.secret).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn pull(&self, cursor: u64) -> Value {
        let (s, v) = self.post("/api/v1/pull", json!({ "cursor": cursor, "schema_version": 1 })).await;
        assert_eq!(s, 200, "{v}");
        v
    }

    pub async fn sign_in(&self, login: &str, secret: &str) -> String {
        let (s, v) = self.post("/api/v1/session", json!({ "login": login, "secret": secret })).await;
        assert_eq!(s, 200, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Push one mutation with the next id; the single result.
    pub async fn push(&mut self, name: &str, args: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let (s, v) =
            self.post("/api/v1/push", json!({ "mutations": [{ "id": id, "name": name, "args": args }] })).await;
        assert_eq!(s, 200, "{v}");
        v["results"][0].clone()
    }
}

/// The error code of a push result, or "ok".
pub fn outcome(result: &Value) -> String {
    if result.get("ok").is_some() {
        "ok".into()
    } else if let Some(code) = result["error"]["code"].as_str() {
        code.into()
    } else if result["already_processed"] == true {
        "already_processed".into()
    } else {
        format!("unexpected: {result}")
    }
}
