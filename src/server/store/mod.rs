//! The central store: SQLite in WAL mode, one writer connection using `BEGIN IMMEDIATE`,
//! readers beside it. All SQL of the server lives under this module.

pub mod admin;
pub mod large;
mod mutations;
mod sync;

pub use admin::{ImportReport, NewStudent, ReportRow};
pub use mutations::{KNOWN as KNOWN_MUTATIONS, Rejection};
pub use sync::{Device, DeviceRow, EnrollCode, PushAnswer, PushJob, SignInError, SignedIn};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};

use crate::domain::{Policy, Term};
use crate::protocol::{CenterData, Entity};

const MIGRATIONS: &[M<'static>] =
    &[M::up(include_str!("../migrations/001_init.sql")), M::up(include_str!("../migrations/002_lookup_indexes.sql"))];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("the database is busy")]
    Busy,
}

impl StoreError {
    /// Busy or locked: worth retrying later; nothing was applied.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Busy => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            }
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

pub use crate::secrets::HashCost;

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    card_key: String,
}

/// Background WAL checkpoints for as long as it lives (see [`Store::checkpoint_in_background`]).
pub struct Checkpointer {
    thread: Option<crate::sqlite::Checkpointer>,
    store: Weak<Store>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.thread.take());
        if let Some(store) = self.store.upgrade() {
            let writer = store.writer.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writer.pragma_update(None, "wal_autocheckpoint", 1000);
        }
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A booking alone uses about 25 statements; rusqlite keeps 16 by default, so they were
    // parsed again on every push.
    conn.set_prepared_statement_cache_capacity(128);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl Store {
    /// Open (creating and migrating as needed) the database at `path`.
    pub fn open(path: &Path) -> StoreResult<Store> {
        let mut conn = Connection::open(path)?;
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Invalid(format!("could not switch {} to WAL mode", path.display())));
        }
        configure(&conn)?;
        // The one writer touches every hot index on each booking: keep them in memory (64 MiB)
        // instead of reading pages back through the kernel (SQLite's default is 2 MiB).
        conn.pragma_update(None, "cache_size", -64 * 1024)?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        let card_key =
            match conn.query_row("SELECT value FROM meta WHERE key = 'card_key'", [], |r| r.get(0)).optional()? {
                Some(k) => k,
                None => {
                    let k = crate::server::auth::random_token(32);
                    conn.execute("INSERT INTO meta (key, value) VALUES ('card_key', ?1)", [&k])?;
                    k
                }
            };
        Ok(Store { path: path.to_path_buf(), writer: Mutex::new(conn), readers: Mutex::new(Vec::new()), card_key })
    }

    /// Move WAL checkpoints off the write path while a server runs (see [`crate::sqlite::Checkpointer`]);
    /// dropping the guard restores checkpoints on commit.
    pub fn checkpoint_in_background(self: &Arc<Self>, every: std::time::Duration) -> StoreResult<Checkpointer> {
        let thread = crate::sqlite::Checkpointer::start(&self.path, every)
            .map_err(|e| StoreError::Invalid(format!("could not start WAL checkpoints: {e}")))?;
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(Checkpointer { thread: Some(thread), store: Arc::downgrade(self) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn card_key(&self) -> &str {
        &self.card_key
    }

    /// The keyed hash standing for a card or student number.
    pub fn student_key(&self, card: &str) -> String {
        crate::protocol::student_key(&self.card_key, card)
    }

    /// Reader connections kept open between requests. Opening one re-reads the schema, so with 50
    /// kiosks at once a small pool spent more time opening connections than answering.
    const MAX_IDLE_READERS: usize = 64;

    /// Run `f` in one `BEGIN IMMEDIATE` write transaction; commit if it returns `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Run `f` on a reader connection (WAL readers do not block the writer).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)?;
                configure(&c)?;
                c
            }
        };
        // A read transaction gives one consistent snapshot across several queries.
        conn.execute_batch("BEGIN DEFERRED")?;
        let out = f(&conn);
        let _ = conn.execute_batch("COMMIT");
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < Self::MAX_IDLE_READERS {
            pool.push(conn);
        }
        out
    }

    /// Whether the database accepts a write right now (for `/healthz`).
    pub fn healthy(&self) -> bool {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('healthz', '1') ON CONFLICT(key) DO UPDATE SET value = value",
                [],
            )?;
            Ok(())
        })
        .is_ok()
    }

    /// Copy the live database to `dest` with SQLite's online backup API.
    pub fn backup_to(&self, dest: &Path) -> StoreResult<()> {
        let src = Connection::open(&self.path)?;
        src.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut dst = Connection::open(dest)?;
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        Ok(())
    }

    /// The center (there is one per database).
    pub fn center(&self) -> StoreResult<Option<(CenterData, Tz)>> {
        self.read(center_of)
    }
}

pub(crate) fn center_of(c: &Connection) -> StoreResult<Option<(CenterData, Tz)>> {
    let row = c
        .query_row("SELECT id, name, timezone, policy_json FROM centers LIMIT 1", [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })
        .optional()?;
    let Some((id, name, timezone, policy_json)) = row else { return Ok(None) };
    let tz: Tz = timezone.parse().map_err(|_| StoreError::Invalid(format!("unknown time zone {timezone}")))?;
    let policy: Policy =
        serde_json::from_str(&policy_json).map_err(|e| StoreError::Invalid(format!("center policy: {e}")))?;
    Ok(Some((CenterData { id, name, timezone, policy }, tz)))
}

pub(crate) fn require_center(c: &Connection) -> StoreResult<(CenterData, Tz)> {
    center_of(c)?.ok_or_else(|| StoreError::Invalid("no center is set up yet (run seed-demo or import)".into()))
}

pub(crate) fn terms_of(c: &Connection) -> StoreResult<Vec<Term>> {
    let mut st = c.prepare_cached("SELECT id, name, first_day, last_day FROM terms ORDER BY first_day")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, a, b) = row?;
        let parse = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Invalid(format!("bad term date {s}")))
        };
        out.push(Term { id, name, first_day: parse(&a)?, last_day: parse(&b)? });
    }
    Ok(out)
}

/// Record that an entity changed: it moves to the head of the change feed with its new data.
pub(crate) fn record_put(tx: &Connection, entity: Entity, id: &str, data: &impl serde::Serialize) -> StoreResult<()> {
    let json = serde_json::to_string(data).map_err(|e| StoreError::Invalid(e.to_string()))?;
    record(tx, entity, id, "put", Some(json))
}

/// Record a delete as a tombstone in the change feed.
pub(crate) fn record_del(tx: &Connection, entity: Entity, id: &str) -> StoreResult<()> {
    record(tx, entity, id, "del", None)
}

fn record(tx: &Connection, entity: Entity, id: &str, op: &str, data: Option<String>) -> StoreResult<()> {
    // Delete-then-insert gives the entity a fresh AUTOINCREMENT seq, never reused.
    tx.prepare_cached("DELETE FROM changes WHERE entity = ?1 AND entity_id = ?2")?
        .execute(params![entity.as_str(), id])?;
    tx.prepare_cached("INSERT INTO changes (entity, entity_id, op, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![entity.as_str(), id, op, data])?;
    Ok(())
}

pub(crate) fn audit(
    tx: &Connection,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    subject: &str,
    why: Option<&str>,
) -> StoreResult<()> {
    tx.prepare_cached("INSERT INTO audit_log (at, actor, action, subject, why) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![ts(at), actor, action, subject, why])?;
    Ok(())
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn center_tz(c: &Connection) -> StoreResult<Tz> {
    Ok(require_center(c)?.1)
}
