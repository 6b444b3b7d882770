//! The sync client (reqwest) and engine: enroll, pull until done, push the outbox in order,
//! retry with backoff and jitter on a timer, apply `reset` atomically, publish status.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};

use super::cache::{Cache, CacheError};
use crate::clock::Clock;
use crate::protocol::{
    Change, EnrollRequest, EnrollResponse, ErrorResponse, Mutation, MutationResult, PullRequest, PullResponse,
    PushRequest, PushResponse, SCHEMA_VERSION,
};

/// Largest server answer the kiosk reads; anything larger is refused, not buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// How long a student at the screen waits for the server before the queued path takes over.
pub const INTERACTIVE_TIMEOUT: Duration = Duration::from_secs(3);
/// Background calls may take longer.
pub const BACKGROUND_TIMEOUT: Duration = Duration::from_secs(30);
const PUSH_BATCH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("the server cannot be reached ({0})")]
    Offline(String),
    #[error("this kiosk is not enrolled or was revoked")]
    Unauthorized,
    #[error("the server refused the request: {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    #[error("the server's answer could not be read: {0}")]
    Garbage(String),
    #[error("the local cache failed: {0}")]
    Cache(String),
}

impl From<CacheError> for SyncError {
    fn from(e: CacheError) -> Self {
        SyncError::Cache(e.to_string())
    }
}

/// A thin typed client for `/api/v1`.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    secret: Option<String>,
    max_response: usize,
    page_limit: Option<u32>,
}

impl Client {
    pub fn new(base: &str, secret: Option<String>) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .user_agent(concat!("tutorkiosk/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            secret,
            max_response: MAX_RESPONSE_BYTES,
            page_limit: None,
        }
    }

    /// The same client with a different cap on the size of an answer.
    pub fn with_max_response(mut self, bytes: usize) -> Client {
        self.max_response = bytes;
        self
    }

    /// Ask for pages of at most `n` changes (the server caps it too).
    pub fn with_page_limit(mut self, n: u32) -> Client {
        self.page_limit = Some(n);
        self
    }

    /// Whether the server answers `/healthz` within `timeout`.
    pub async fn reachable(&self, timeout: Duration) -> bool {
        let r = self.http.get(format!("{}/healthz", self.base)).timeout(timeout).send().await;
        r.is_ok_and(|r| r.status().is_success())
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
        timeout: Duration,
    ) -> Result<T, SyncError> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body).timeout(timeout);
        if let Some(s) = &self.secret {
            req = req.bearer_auth(s);
        }
        let resp = req.send().await.map_err(|e| SyncError::Offline(short(&e)))?;
        let status = resp.status();
        let bytes = read_limited(resp, self.max_response).await?;
        let answered = serde_json::from_slice::<ErrorResponse>(&bytes).ok().map(|e| e.error);
        let code = answered.as_ref().map(|e| e.code.as_str()).unwrap_or_default();
        // A 401 is about this kiosk's own credential when the server says so (or says nothing);
        // one with any other code (a wrong PIN, an expired sign-in) is an answer for the student.
        if status.as_u16() == 401 && matches!(code, "" | "unauthorized") {
            return Err(SyncError::Unauthorized);
        }
        // A student locked out after wrong PINs is an answer too; other 429s mean "slow down".
        if status.is_server_error() || status.as_u16() == 408 || (status.as_u16() == 429 && code != "locked_out") {
            return Err(SyncError::Offline(format!("server answered {status} {code}")));
        }
        if !status.is_success() {
            let (code, message) = match answered {
                Some(e) => (e.code, e.message),
                None => ("http_error".to_string(), format!("HTTP {status}")),
            };
            return Err(SyncError::Refused { status: status.as_u16(), code, message });
        }
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Garbage(e.to_string()))
    }

    pub async fn enroll(&self, code: &str) -> Result<EnrollResponse, SyncError> {
        self.post("/api/v1/enroll", &EnrollRequest { code: code.to_string() }, BACKGROUND_TIMEOUT).await
    }

    pub async fn pull(&self, cursor: u64, timeout: Duration) -> Result<PullResponse, SyncError> {
        let req = PullRequest { cursor, schema_version: Some(SCHEMA_VERSION), limit: self.page_limit };
        self.post("/api/v1/pull", &req, timeout).await
    }

    pub async fn push(&self, mutations: Vec<Mutation>, timeout: Duration) -> Result<PushResponse, SyncError> {
        self.post("/api/v1/push", &PushRequest { mutations }, timeout).await
    }
}

fn short(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "no connection".into()
    } else {
        "request failed".into()
    }
}

async fn read_limited(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, SyncError> {
    if resp.content_length().is_some_and(|n| n as usize > max) {
        return Err(SyncError::Garbage(format!("answer larger than {max} bytes")));
    }
    let mut buf = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > max {
                    return Err(SyncError::Garbage(format!("answer larger than {max} bytes")));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf),
            Err(e) => return Err(SyncError::Offline(short(&e))),
        }
    }
}

/// What the UI shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncStatus {
    pub online: bool,
    pub syncing: bool,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub cursor: u64,
    pub pending: usize,
    pub failed: usize,
    /// Changes received so far during a first sync or a reset.
    pub first_sync_received: Option<usize>,
    /// How far that has come, 0 to 1, when the server says where its feed ends.
    pub first_sync_progress: Option<f32>,
    /// The last problem, in words, for staff.
    pub last_error: Option<String>,
    pub enrolled: bool,
}

/// What one sync pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    pub pulled: usize,
    pub reset: bool,
}

pub struct SyncEngine {
    cache: Arc<Mutex<Cache>>,
    client: Client,
    clock: Arc<dyn Clock>,
    status: watch::Sender<SyncStatus>,
    /// One push at a time, so the screen and the timer never send the same ids at once.
    push_lock: tokio::sync::Mutex<()>,
    wake: Notify,
}

impl SyncEngine {
    pub fn new(cache: Arc<Mutex<Cache>>, client: Client, clock: Arc<dyn Clock>) -> Arc<SyncEngine> {
        let (status, _) = watch::channel(SyncStatus { enrolled: true, ..SyncStatus::default() });
        let engine = Arc::new(SyncEngine {
            cache,
            client,
            clock,
            status,
            push_lock: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
        });
        engine.refresh_counts();
        engine
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    pub fn current(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A call made for a student found the server unreachable: show it at once.
    pub fn note_offline(&self, why: &str) {
        self.status.send_modify(|s| {
            s.online = false;
            s.last_error = Some(format!("Offline: {why}"));
        });
    }

    /// Ask the background loop to sync now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn refresh_counts(&self) {
        let (pending, failed, cursor, last) = {
            let c = self.lock();
            let all = c.outbox().unwrap_or_default();
            (
                all.iter().filter(|e| e.state == "pending").count(),
                all.iter().filter(|e| e.state == "failed").count(),
                c.cursor().unwrap_or(0),
                c.last_synced_at().ok().flatten(),
            )
        };
        self.status.send_modify(|s| {
            s.pending = pending;
            s.failed = failed;
            s.cursor = cursor;
            s.last_synced_at = last;
        });
    }

    fn mark(&self, result: &Result<SyncReport, SyncError>) {
        self.status.send_modify(|s| {
            s.syncing = false;
            s.first_sync_received = None;
            s.first_sync_progress = None;
            match result {
                Ok(_) => {
                    s.online = true;
                    s.last_error = None;
                }
                Err(SyncError::Offline(why)) => {
                    s.online = false;
                    s.last_error = Some(format!("Offline: {why}"));
                }
                Err(SyncError::Unauthorized) => {
                    s.online = false;
                    s.enrolled = false;
                    s.last_error =
                        Some("This kiosk is not enrolled or was revoked; re-enroll it in staff mode.".into());
                }
                Err(e) => {
                    s.last_error = Some(e.to_string());
                }
            }
        });
        self.refresh_counts();
    }

    /// One full pass: (pull first if ids must be checked), push everything queued, pull until done.
    pub async fn sync_once(&self, timeout: Duration) -> Result<SyncReport, SyncError> {
        self.status.send_modify(|s| s.syncing = true);
        let result = self.sync_inner(timeout).await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "sync failed");
        }
        self.mark(&result);
        result
    }

    async fn sync_inner(&self, timeout: Duration) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        if self.lock().counter_uncertain()? {
            let (n, reset) = self.pull_all(timeout).await?;
            report.pulled += n;
            report.reset |= reset;
        }
        report.pushed = self.push_pending(timeout).await?.len();
        let (n, reset) = self.pull_all(timeout).await?;
        report.pulled += n;
        report.reset |= reset;
        Ok(report)
    }

    /// Push queued mutations in order; returns the server's results. Stops at the first one
    /// the server could not take right now.
    pub async fn push_pending(&self, timeout: Duration) -> Result<Vec<MutationResult>, SyncError> {
        let _guard = self.push_lock.lock().await;
        let mut all = Vec::new();
        loop {
            let batch = self.lock().pending(PUSH_BATCH)?;
            if batch.is_empty() {
                break;
            }
            let ids: Vec<u64> = batch.iter().map(|e| e.id).collect();
            let mutations =
                batch.iter().map(|e| Mutation { id: e.id, name: e.name.clone(), args: e.args.clone() }).collect();
            let resp = match self.client.push(mutations, timeout).await {
                Ok(r) => r,
                Err(SyncError::Refused { code, message, .. }) => {
                    // The whole request was refused: the head entry cannot be delivered as it is.
                    self.lock().mark_failed(ids[0], &format!("{code}: {message}"))?;
                    self.refresh_counts();
                    return Err(SyncError::Refused { status: 400, code, message });
                }
                Err(e) => {
                    self.lock().note_attempt(&ids, &e.to_string())?;
                    return Err(e);
                }
            };
            let stalled = resp.results.len() < ids.len();
            self.lock().record_results(&resp.results)?;
            all.extend(resp.results);
            if stalled || batch.len() < PUSH_BATCH {
                break;
            }
        }
        self.refresh_counts();
        Ok(all)
    }

    /// Pull until `more` is false. A `reset` gathers every page from the start, then replaces
    /// the mirror in one transaction (the outbox stays). Returns (changes applied, was reset).
    pub async fn pull_all(&self, timeout: Duration) -> Result<(usize, bool), SyncError> {
        let mut cursor = self.lock().cursor()?;
        let first = cursor == 0;
        let mut applied = 0;
        let mut gathered: Option<Vec<Change>> = first.then(Vec::new);
        let mut was_reset = false;
        loop {
            let page = self.client.pull(cursor, timeout).await?;
            if page.reset {
                if cursor == 0 {
                    return Err(SyncError::Garbage("the server asked for a reset of a pull from the start".into()));
                }
                tracing::info!("server asked for a reset; taking everything again");
                cursor = 0;
                gathered = Some(Vec::new());
                applied = 0;
                was_reset = true;
                continue;
            }
            let n = page.changes.len();
            if page.cursor < cursor && n > 0 {
                return Err(SyncError::Garbage("the server's cursor went backwards".into()));
            }
            let now = self.clock.now();
            match gathered.as_mut() {
                Some(all) => {
                    all.extend(page.changes);
                    let received = all.len();
                    // Sequence numbers have gaps (a changed row moves to the head), so this is
                    // a fair fraction of the feed read so far, not of the rows.
                    let progress = page.head.filter(|h| *h > 0).map(|h| (page.cursor as f32 / h as f32).min(1.0));
                    self.status.send_modify(|s| {
                        s.first_sync_received = Some(received);
                        s.first_sync_progress = progress;
                    });
                    if !page.more {
                        let all = gathered.take().unwrap_or_default();
                        self.lock().apply_reset(&all, page.cursor, page.last_mutation_id, now)?;
                        applied = all.len();
                        break;
                    }
                }
                None => {
                    self.lock().apply_changes(&page.changes, page.cursor, page.last_mutation_id, now)?;
                    applied += n;
                    if !page.more {
                        break;
                    }
                }
            }
            if page.cursor == cursor && page.more {
                return Err(SyncError::Garbage("the server said there is more but sent nothing".into()));
            }
            cursor = page.cursor;
        }
        self.refresh_counts();
        Ok((applied, was_reset))
    }

    /// Sync on a timer and whenever woken; after a failure wait with exponential backoff and
    /// jitter (capped), so a center's kiosks do not all knock at once when the server returns.
    pub async fn run(self: Arc<Self>, interval: Duration) {
        use backon::{BackoffBuilder, ExponentialBuilder};
        let new_backoff = || {
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(60))
                .with_jitter()
                .without_max_times()
                .build()
        };
        let mut backoff = new_backoff();
        loop {
            let wait = match self.sync_once(BACKGROUND_TIMEOUT).await {
                Ok(_) => {
                    backoff = new_backoff();
                    interval
                }
                Err(SyncError::Unauthorized) => Duration::from_secs(60),
                Err(_) => backoff.next().unwrap_or(Duration::from_secs(60)).min(interval.max(Duration::from_secs(60))),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
            }
        }
    }
}
