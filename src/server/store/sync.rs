//! Enrollment, device auth, pull, push and student sign-in.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Savepoint, params};

use super::mutations::{self, Rejection};
use super::{Store, StoreError, StoreResult, from_ts, new_id, ts};
use crate::protocol::{
    Change, EnrollResponse, Entity, ErrorBody, Mutation, MutationResult, Op, PullRequest, PullResponse, SCHEMA_VERSION,
};
use crate::server::auth;

/// An enrolled, not revoked kiosk.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub name: String,
    pub last_mutation_id: u64,
}

/// A freshly made enrollment code (shown once) and when it stops working.
#[derive(Debug, Clone)]
pub struct EnrollCode {
    pub device_id: String,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// How long an enrollment code works.
pub const ENROLL_CODE_MINUTES: i64 = 30;
/// How long a student sign-in lasts (long enough for a booking queued offline to be delivered).
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins for one login before it is locked, and for how long.
pub const LOGIN_FAILURE_LIMIT: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 5;
/// Failed sign-ins from one kiosk (any login) before the kiosk is slowed down.
pub const DEVICE_FAILURE_LIMIT: i64 = 20;
/// Largest page of changes one pull returns.
pub const MAX_PULL_PAGE: u32 = 5000;
pub const DEFAULT_PULL_PAGE: u32 = 1000;

/// A kiosk as staff see it in `kiosk list`.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    /// "enrolled", "revoked" or "waiting for its code".
    pub state: String,
    pub last_seen: Option<DateTime<Utc>>,
}

/// A successful student sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub student: crate::protocol::StudentInfo,
}

/// Why a sign-in did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    Wrong,
    Locked { until: DateTime<Utc> },
}

impl Store {
    /// Register a kiosk by name and make its one-time enrollment code.
    pub fn create_enroll_code(&self, name: &str, now: DateTime<Utc>) -> StoreResult<EnrollCode> {
        let name = name.trim();
        if name.is_empty() || name.len() > 80 {
            return Err(StoreError::Invalid("a kiosk name is 1 to 80 characters".into()));
        }
        let code = auth::enrollment_code();
        let expires_at = now + Duration::minutes(ENROLL_CODE_MINUTES);
        let device_id = new_id();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO devices (id, name, enroll_code_hash, enroll_expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![device_id, name, auth::hash_secret(&auth::normalize_code(&code)), ts(expires_at), ts(now)],
            )?;
            super::audit(tx, now, "admin", "kiosk_enroll_code", &device_id, None)?;
            Ok(())
        })?;
        Ok(EnrollCode { device_id, code, expires_at })
    }

    /// Exchange a one-time code for a device id and secret. `None` if the code is unknown,
    /// used or expired (the caller cannot tell which, on purpose).
    pub fn enroll(&self, code: &str, now: DateTime<Utc>) -> StoreResult<Option<EnrollResponse>> {
        let code_hash = auth::hash_secret(&auth::normalize_code(code));
        let secret = auth::random_token(32);
        let card_key = self.card_key().to_string();
        self.write(|tx| {
            let row: Option<(String, String, i64)> = tx
                .query_row(
                    "SELECT id, name, enroll_expires_at FROM devices
                     WHERE enroll_code_hash = ?1 AND revoked_at IS NULL AND secret_hash IS NULL",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((id, name, expires)) = row else { return Ok(None) };
            if ts(now) > expires {
                return Ok(None);
            }
            tx.execute(
                "UPDATE devices SET secret_hash = ?1, enroll_code_hash = NULL, enrolled_at = ?2, last_seen_at = ?2 WHERE id = ?3",
                params![auth::hash_secret(&secret), ts(now), id],
            )?;
            Ok(Some(EnrollResponse { device_id: id, secret: secret.clone(), card_key: card_key.clone(), name }))
        })
    }

    /// The device a bearer secret belongs to, if enrolled and not revoked. Marks it seen.
    pub fn authenticate(&self, secret: &str, now: DateTime<Utc>) -> StoreResult<Option<Device>> {
        let found = self.read(|c| device_by_secret(c, secret))?;
        let Some((device, seen)) = found else { return Ok(None) };
        if seen_is_stale(seen, now) {
            self.write(|tx| mark_seen(tx, &device, now))?;
        }
        Ok(Some(device))
    }

    pub fn revoke_device(&self, id_or_name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = ?1, secret_hash = NULL, enroll_code_hash = NULL
                 WHERE (id = ?2 OR name = ?2) AND revoked_at IS NULL",
                params![ts(now), id_or_name],
            )?;
            if n > 0 {
                super::audit(tx, now, "admin", "kiosk_revoke", id_or_name, None)?;
            }
            Ok(n > 0)
        })
    }

    /// (id, name, state in words, last seen)
    pub fn list_devices(&self) -> StoreResult<Vec<DeviceRow>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, name, revoked_at IS NOT NULL, secret_hash IS NOT NULL, last_seen_at FROM devices ORDER BY created_at",
            )?;
            let rows = st.query_map([], |r| {
                let state = if r.get::<_, bool>(2)? {
                    "revoked"
                } else if r.get::<_, bool>(3)? {
                    "enrolled"
                } else {
                    "waiting for its code"
                };
                Ok(DeviceRow { id: r.get(0)?, name: r.get(1)?, state: state.to_string(), last_seen: r.get::<_, Option<i64>>(4)?.map(from_ts) })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The change feed after `cursor`, one page; or `reset` when the cursor cannot be served.
    pub fn pull(&self, device: &Device, req: &PullRequest, now: DateTime<Utc>) -> StoreResult<PullResponse> {
        let limit = req.limit.unwrap_or(DEFAULT_PULL_PAGE).clamp(1, MAX_PULL_PAGE);
        let (head, pruned, ever_pulled, watermark) = self.read(|c| {
            let head: i64 = c.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| r.get(0))?;
            let pruned: i64 = c
                .query_row("SELECT value FROM meta WHERE key = 'pruned_through'", [], |r| r.get::<_, String>(0))
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let (pulled, wm): (Option<i64>, i64) =
                c.query_row("SELECT last_pull_at, last_mutation_id FROM devices WHERE id = ?1", [&device.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            Ok((head as u64, pruned as u64, pulled.is_some(), wm as u64))
        })?;
        let schema_changed = req.schema_version.is_some_and(|v| v != SCHEMA_VERSION);
        let too_old = req.cursor > 0 && req.cursor < pruned;
        let from_elsewhere = req.cursor > 0 && (!ever_pulled || req.cursor > head);
        if schema_changed || too_old || from_elsewhere {
            return Ok(PullResponse {
                cursor: 0,
                last_mutation_id: watermark,
                changes: vec![],
                more: true,
                reset: true,
                head: Some(head),
            });
        }

        let (changes, last_seq) = self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, entity, entity_id, op, data FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let mut rows = st.query(params![req.cursor as i64, i64::from(limit) + 1])?;
            let mut out = Vec::new();
            let mut last = req.cursor;
            while let Some(r) = rows.next()? {
                if out.len() == limit as usize {
                    break;
                }
                let seq: i64 = r.get(0)?;
                let entity: String = r.get(1)?;
                let op: String = r.get(3)?;
                let data: Option<String> = r.get(4)?;
                let Some(entity) = Entity::parse(&entity) else { continue };
                let data = match data {
                    Some(d) => Some(serde_json::from_str(&d).map_err(|e| StoreError::Invalid(e.to_string()))?),
                    None => None,
                };
                out.push(Change { entity, id: r.get(2)?, op: if op == "del" { Op::Del } else { Op::Put }, data });
                last = seq as u64;
            }
            Ok((out, last))
        })?;
        let more = last_seq < head;
        if !ever_pulled || !more {
            self.write(|tx| {
                tx.execute("UPDATE devices SET last_pull_at = ?1 WHERE id = ?2", params![ts(now), device.id])?;
                Ok(())
            })?;
        }
        Ok(PullResponse {
            cursor: last_seq,
            last_mutation_id: watermark,
            changes,
            more,
            reset: false,
            head: Some(head),
        })
    }

    /// Drop tombstones once they are at least `keep` old, so the change feed does not grow without
    /// end. Every `keep` the feed's head is marked; at the next mark, tombstones up to the previous
    /// one go. A kiosk offline for longer than that is answered with `reset` and takes everything
    /// again (its outbox is kept). Returns how many were dropped.
    pub fn prune_old_tombstones(&self, now: DateTime<Utc>, keep: Duration) -> StoreResult<usize> {
        self.write(|tx| {
            let mark: Option<String> =
                tx.query_row("SELECT value FROM meta WHERE key = 'tombstone_mark'", [], |r| r.get(0)).optional()?;
            let mark = mark.and_then(|m| {
                let (seq, at) = m.split_once(':')?;
                Some((seq.parse::<u64>().ok()?, at.parse::<i64>().ok()?))
            });
            let pruned = match mark {
                Some((_, at)) if ts(now) - at < keep.num_seconds() => return Ok(0),
                Some((seq, _)) => prune_through(tx, seq)?,
                None => 0,
            };
            let head: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| r.get(0))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('tombstone_mark', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [format!("{head}:{}", ts(now))],
            )?;
            Ok(pruned)
        })
    }

    /// Drop tombstones at or below `seq`; cursors older than that are answered with `reset`.
    pub fn prune_tombstones(&self, seq: u64) -> StoreResult<usize> {
        self.write(|tx| prune_through(tx, seq))
    }

    /// Apply a device's mutations in order, each in its own savepoint together with the device's
    /// watermark and its kept result, and commit. Stops at the first one that is out of order or
    /// hits a transient failure.
    pub fn push(&self, device: &Device, batch: &[Mutation], now: DateTime<Utc>) -> StoreResult<Vec<MutationResult>> {
        let done = self.write(|tx| {
            let mut sp = tx.savepoint()?;
            let results = push_in(&mut sp, self, device, batch, now)?;
            sp.commit()?;
            Ok(results)
        });
        match done {
            Err(e) if e.is_transient() => Ok(busy_from_the_start(batch)),
            other => other,
        }
    }

    /// Apply several kiosks' pushes in one write transaction (a group commit). Each kiosk is
    /// authenticated and its mutations applied exactly as [`Store::push`] would, each mutation in
    /// its own savepoint with its watermark, so one kiosk's failure leaves the others whole. The
    /// answers hold only once this returns, after the commit.
    pub fn push_group(&self, jobs: &[PushJob]) -> Vec<PushAnswer> {
        let done = self.write(|tx| {
            let mut answers = Vec::with_capacity(jobs.len());
            for job in jobs {
                let mut sp = tx.savepoint()?;
                let answer = match authenticate_in(&sp, &job.secret, job.now) {
                    Ok(Some(device)) => push_in(&mut sp, self, &device, &job.mutations, job.now).map(Some),
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                if answer.is_ok() {
                    sp.commit()?;
                }
                answers.push(answer);
            }
            Ok(answers)
        });
        match done {
            Ok(answers) => answers,
            Err(e) if e.is_transient() => jobs.iter().map(|j| Ok(Some(busy_from_the_start(&j.mutations)))).collect(),
            Err(e) => {
                let why = e.to_string();
                jobs.iter().map(|_| Err(StoreError::Invalid(why.clone()))).collect()
            }
        }
    }

    /// Sign a student in with email or student number, and password or PIN.
    pub fn sign_in(
        &self,
        device: &Device,
        login: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<SignedIn, SignInError>> {
        let login = login.trim();
        let login_key = format!("login:{}", auth::hash_secret(&login.to_lowercase()));
        let device_key = format!("device:{}", device.id);
        let locked = self.read(|c| {
            let mut until = None;
            for key in [&login_key, &device_key] {
                let l: Option<i64> = c
                    .query_row("SELECT locked_until FROM login_failures WHERE key = ?1", [key], |r| r.get(0))
                    .optional()?
                    .flatten();
                if let Some(l) = l.filter(|l| *l > ts(now)) {
                    until = Some(from_ts(l));
                }
            }
            Ok(until)
        })?;
        if let Some(until) = locked {
            return Ok(Err(SignInError::Locked { until }));
        }
        let key = self.student_key(login);
        let student = self.read(|c| {
            Ok(c.query_row(
                "SELECT id, password_hash, pin_hash FROM students WHERE email = ?1 COLLATE NOCASE OR student_key = ?2",
                params![login, key],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?)),
            )
            .optional()?)
        })?;
        // Verify outside the writer lock: argon2 is deliberately slow.
        let ok = student
            .as_ref()
            .is_some_and(|(_, pw, pin)| [pw, pin].into_iter().flatten().any(|h| auth::verify_password(secret, h)));
        if !ok {
            self.write(|tx| {
                for (k, limit) in [(&login_key, LOGIN_FAILURE_LIMIT), (&device_key, DEVICE_FAILURE_LIMIT)] {
                    tx.execute(
                        "INSERT INTO login_failures (key, failures, locked_until) VALUES (?1, 1, NULL)
                         ON CONFLICT(key) DO UPDATE SET failures = failures + 1",
                        [k],
                    )?;
                    tx.execute(
                        "UPDATE login_failures SET locked_until = ?1, failures = 0 WHERE key = ?2 AND failures >= ?3",
                        params![ts(now + Duration::minutes(LOCKOUT_MINUTES)), k, limit],
                    )?;
                }
                Ok(())
            })?;
            return Ok(Err(SignInError::Wrong));
        }
        let (student_id, _, _) = student.expect("checked above");
        let token = auth::random_token(24);
        let expires_at = now + Duration::hours(SESSION_HOURS);
        let info = self.write(|tx| {
            tx.execute("DELETE FROM login_failures WHERE key = ?1", [&login_key])?;
            tx.execute("DELETE FROM student_sessions WHERE expires_at < ?1", [ts(now)])?;
            tx.execute(
                "INSERT INTO student_sessions (token_hash, student_id, device_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![auth::hash_secret(&token), student_id, device.id, ts(expires_at)],
            )?;
            mutations::student_info(tx, &student_id, now)
        })?;
        Ok(Ok(SignedIn { token, expires_at, student: info }))
    }
}

enum Step {
    Done(MutationResult),
    Stop(MutationResult),
}

fn prune_through(tx: &Connection, seq: u64) -> StoreResult<usize> {
    let n = tx.execute("DELETE FROM changes WHERE op = 'del' AND seq <= ?1", [seq as i64])?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('pruned_through', ?1)
         ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        [seq.to_string()],
    )?;
    Ok(n)
}

/// One kiosk's push waiting for the next group commit.
#[derive(Debug, Clone)]
pub struct PushJob {
    /// The kiosk's device secret, checked inside the same transaction.
    pub secret: String,
    pub mutations: Vec<Mutation>,
    pub now: DateTime<Utc>,
}

/// A push's answer: the results, or `None` for a kiosk that is not (or no longer) enrolled.
pub type PushAnswer = StoreResult<Option<Vec<MutationResult>>>;

fn busy(id: u64) -> MutationResult {
    MutationResult::Error {
        id,
        error: ErrorBody { code: "busy".into(), message: "the server is busy; try again shortly".into() },
    }
}

/// The answer to a push none of which could be applied: its first mutation is busy (retry it).
fn busy_from_the_start(batch: &[Mutation]) -> Vec<MutationResult> {
    batch.first().map(|m| vec![busy(m.id)]).unwrap_or_default()
}

/// The enrolled, not revoked kiosk whose secret this is, inside a write transaction; marks it seen.
fn authenticate_in(c: &Connection, secret: &str, now: DateTime<Utc>) -> StoreResult<Option<Device>> {
    let Some((device, seen)) = device_by_secret(c, secret)? else { return Ok(None) };
    if seen_is_stale(seen, now) {
        mark_seen(c, &device, now)?;
    }
    Ok(Some(device))
}

/// "Last seen" is refreshed at most every 30 s, so a busy kiosk does not turn every call into a write.
fn seen_is_stale(seen: i64, now: DateTime<Utc>) -> bool {
    ts(now) - seen >= 30
}

fn mark_seen(c: &Connection, device: &Device, now: DateTime<Utc>) -> StoreResult<()> {
    c.prepare_cached("UPDATE devices SET last_seen_at = ?1 WHERE id = ?2")?.execute(params![ts(now), device.id])?;
    Ok(())
}

fn device_by_secret(c: &Connection, secret: &str) -> StoreResult<Option<(Device, i64)>> {
    Ok(c.prepare_cached(
        "SELECT id, name, last_mutation_id, COALESCE(last_seen_at, 0) FROM devices
         WHERE secret_hash = ?1 AND revoked_at IS NULL",
    )?
    .query_row([auth::hash_secret(secret)], |r| {
        Ok((
            Device { id: r.get(0)?, name: r.get(1)?, last_mutation_id: r.get::<_, i64>(2)? as u64 },
            r.get::<_, i64>(3)?,
        ))
    })
    .optional()?)
}

/// A device's mutations in order inside `sp`, each in a savepoint of its own.
fn push_in(
    sp: &mut Savepoint<'_>,
    store: &Store,
    device: &Device,
    batch: &[Mutation],
    now: DateTime<Utc>,
) -> StoreResult<Vec<MutationResult>> {
    let mut results = Vec::with_capacity(batch.len());
    for m in batch {
        let mut one = sp.savepoint()?;
        match push_one(&mut one, store, device, m, now) {
            Ok(Step::Done(r)) => {
                one.commit()?;
                results.push(r);
            }
            Ok(Step::Stop(r)) => {
                one.commit()?;
                results.push(r);
                break;
            }
            Err(e) if e.is_transient() => {
                drop(one);
                results.push(busy(m.id));
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(results)
}

/// One mutation: the watermark check, its effect (in a savepoint, so a business rejection leaves
/// nothing behind), the new watermark and the kept result.
fn push_one(
    tx: &mut Savepoint<'_>,
    store: &Store,
    device: &Device,
    m: &Mutation,
    now: DateTime<Utc>,
) -> StoreResult<Step> {
    let watermark: i64 = tx
        .prepare_cached("SELECT last_mutation_id FROM devices WHERE id = ?1")?
        .query_row([&device.id], |r| r.get(0))?;
    let watermark = watermark as u64;
    if m.id <= watermark {
        return Ok(Step::Done(MutationResult::AlreadyProcessed { id: m.id, already_processed: true }));
    }
    if m.id != watermark + 1 {
        return Ok(Step::Stop(MutationResult::Error {
            id: m.id,
            error: ErrorBody {
                code: "out_of_order".into(),
                message: format!("expected mutation {} next, got {}", watermark + 1, m.id),
            },
        }));
    }
    let sp = tx.savepoint()?;
    let result = match mutations::apply(&sp, store, device, m, now) {
        Ok(value) => {
            sp.commit()?;
            MutationResult::Ok { id: m.id, ok: value }
        }
        Err(MutationError::Rejected(Rejection { code, message })) => {
            drop(sp);
            MutationResult::Error { id: m.id, error: ErrorBody { code: code.to_string(), message } }
        }
        Err(MutationError::Store(e)) => return Err(e),
    };
    tx.prepare_cached("UPDATE devices SET last_mutation_id = ?1 WHERE id = ?2")?
        .execute(params![m.id as i64, device.id])?;
    let json = serde_json::to_string(&result).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO mutation_results (device_id, mutation_id, name, result_json, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![device.id, m.id as i64, m.name, json, ts(now)])?;
    Ok(Step::Done(result))
}

/// What applying one mutation can end in besides success.
pub(crate) enum MutationError {
    Rejected(Rejection),
    Store(StoreError),
}

impl From<StoreError> for MutationError {
    fn from(e: StoreError) -> Self {
        MutationError::Store(e)
    }
}

impl From<rusqlite::Error> for MutationError {
    fn from(e: rusqlite::Error) -> Self {
        MutationError::Store(StoreError::Sqlite(e))
    }
}

impl From<Rejection> for MutationError {
    fn from(r: Rejection) -> Self {
        MutationError::Rejected(r)
    }
}
