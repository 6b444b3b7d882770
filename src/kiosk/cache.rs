//! The kiosk's local cache: mirror tables of what pull sends, the outbox, and sync state,
//! in one SQLite file (WAL). Checked at start; a corrupt or foreign file is moved aside and
//! rebuilt, keeping every undelivered outbox entry that can still be read.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use serde_json::Value;

use crate::domain::{
    self, Appointment, AppointmentStatus, AvailabilityBlock, BlockKind, Policy, Profile, Role, Slot, Term,
};
use crate::protocol::{
    AppointmentData, AvailabilityData, CenterData, Change, CourseData, DropInData, Entity, MutationResult, Op,
    ProfileData, TermData,
};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/001_cache.sql")),
    M::up(include_str!("migrations/002_lookup_indexes.sql")),
    M::up(include_str!("migrations/003_drop_in.sql")),
];
/// `PRAGMA application_id` of our cache files ("TKKC"), to tell a foreign SQLite file apart.
const APPLICATION_ID: i32 = 0x544B_4B43;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cache migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("cache data is damaged: {0}")]
    Data(String),
    #[error("could not move the damaged cache aside: {0}")]
    Io(#[from] std::io::Error),
}

pub type CacheResult<T> = Result<T, CacheError>;

/// What opening the cache found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Where a damaged or foreign file was moved, if it was.
    pub moved_aside: Option<PathBuf>,
    /// Undelivered outbox entries carried over from it.
    pub outbox_recovered: usize,
}

/// One queued mutation.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: u64,
    pub name: String,
    pub args: Value,
    pub summary: String,
    pub created_at: DateTime<Utc>,
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub result: Option<MutationResult>,
}

/// What a queued mutation already shows locally, written in the same transaction.
#[derive(Debug, Clone)]
pub enum LocalEffect {
    None,
    /// The student checked in for this cached appointment.
    CheckIn {
        appointment_id: String,
    },
    /// The student cancelled this cached appointment (with the status the rules give).
    Cancel {
        appointment_id: String,
        status: AppointmentStatus,
    },
}

/// A course as the kiosk lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub id: String,
    pub code: String,
    pub title: String,
}

impl Course {
    /// Whether the code or title contains every word of `query` ("math 151", "calc", "cs101").
    pub fn matches(&self, query: &str) -> bool {
        let code = self.code.to_lowercase();
        let hay = format!("{code} {} {}", code.replace(' ', ""), self.title.to_lowercase());
        query.split_whitespace().all(|w| hay.contains(&w.to_lowercase()))
    }
}

/// A profile with what the screens show.
#[derive(Debug, Clone, PartialEq)]
pub struct Tutor {
    pub profile: Profile,
    pub location: Option<String>,
    pub photo_png: Option<Vec<u8>>,
}

/// Someone's entry in the drop-in line, and how many wait before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceInLine {
    pub id: String,
    pub course_id: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub ahead: u32,
}

pub struct Cache {
    conn: Connection,
    path: PathBuf,
    /// WAL checkpoints off the sync and UI path (declared after `conn`, so it stops last).
    _checkpoints: crate::sqlite::Checkpointer,
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn data_err(e: impl std::fmt::Display) -> CacheError {
    CacheError::Data(e.to_string())
}

impl Cache {
    /// Open the cache at `path`, checking it first. A corrupt or foreign file is moved aside
    /// (never deleted) and a fresh cache is made, with the old file's readable outbox entries.
    pub fn open(path: &Path) -> CacheResult<(Cache, OpenReport)> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match Self::try_open(path) {
            Ok(cache) => Ok((cache, OpenReport::default())),
            Err(problem) => {
                tracing::warn!(path = %path.display(), %problem, "kiosk cache is damaged or foreign; moving it aside");
                let recovered = read_outbox_from(path);
                let aside = path.with_extension(format!("damaged-{}", Utc::now().format("%Y%m%dT%H%M%S")));
                for suffix in ["", "-wal", "-shm"] {
                    let from = PathBuf::from(format!("{}{suffix}", path.display()));
                    if from.exists() {
                        std::fs::rename(&from, PathBuf::from(format!("{}{suffix}", aside.display())))?;
                    }
                }
                let mut cache = Self::try_open(path).map_err(CacheError::Data)?;
                let n = cache.restore_outbox(&recovered)?;
                tracing::info!(recovered = n, "kiosk cache rebuilt; it fills again on the next sync");
                Ok((cache, OpenReport { moved_aside: Some(aside), outbox_recovered: n }))
            }
        }
    }

    fn try_open(path: &Path) -> Result<Cache, String> {
        let mut conn = Connection::open(path).map_err(|e| e.to_string())?;
        let fresh = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
            .map_err(|e| format!("not a readable SQLite file: {e}"))?
            == 0;
        if !fresh {
            let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(|e| e.to_string())?;
            if app != APPLICATION_ID {
                return Err("this file is not a tutorkiosk cache".into());
            }
            let check: String = conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| format!("integrity check failed: {e}"))?;
            if check != "ok" {
                return Err(format!("integrity check failed: {check}"));
            }
        }
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| e.to_string())?;
        // Sync, slot search and the outbox use more statements than rusqlite's default 16.
        conn.set_prepared_statement_cache_capacity(128);
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn).map_err(|e| e.to_string())?;
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(|e| e.to_string())?;
        if fresh {
            // A new file for a kiosk that may already have sent mutations (its cache was deleted):
            // check ids against the server's watermark before the first push.
            set_state(&conn, "renumber_from", "1").map_err(|e| e.to_string())?;
        }
        // A checkpoint inside a sync's commit waited on an fsync while a student's tap waited on
        // the cache; checkpoint beside them instead.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(|e| e.to_string())?;
        let checkpoints =
            crate::sqlite::Checkpointer::start(path, std::time::Duration::from_secs(1)).map_err(|e| e.to_string())?;
        Ok(Cache { conn, path: path.to_path_buf(), _checkpoints: checkpoints })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn tx(&mut self) -> CacheResult<Transaction<'_>> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    // ------------------------------------------------------------ sync state

    pub fn state(&self, key: &str) -> CacheResult<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_state(&mut self, key: &str, value: &str) -> CacheResult<()> {
        set_state(&self.conn, key, value)
    }

    pub fn cursor(&self) -> CacheResult<u64> {
        Ok(self.state("cursor")?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    pub fn last_synced_at(&self) -> CacheResult<Option<DateTime<Utc>>> {
        Ok(self
            .state("last_synced_at")?
            .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    // ------------------------------------------------------------ applying pulls

    /// Apply one page of changes and move the cursor, in one transaction.
    pub fn apply_changes(
        &mut self,
        changes: &[Change],
        cursor: u64,
        last_mutation_id: u64,
        now: DateTime<Utc>,
    ) -> CacheResult<()> {
        self.apply_pull(changes, cursor, last_mutation_id, now, false)
    }

    /// Replace every mirror table with `changes` (a full pull from cursor 0), atomically.
    /// The outbox is kept.
    pub fn apply_reset(
        &mut self,
        changes: &[Change],
        cursor: u64,
        last_mutation_id: u64,
        now: DateTime<Utc>,
    ) -> CacheResult<()> {
        self.apply_pull(changes, cursor, last_mutation_id, now, true)
    }

    fn apply_pull(
        &mut self,
        changes: &[Change],
        cursor: u64,
        last_mutation_id: u64,
        now: DateTime<Utc>,
        replace: bool,
    ) -> CacheResult<()> {
        let tx = self.tx()?;
        if replace {
            clear_mirror_tables(&tx)?;
        }
        for c in changes {
            apply_change(&tx, c)?;
        }
        set_state(&tx, "cursor", &cursor.to_string())?;
        set_state(&tx, "last_synced_at", &now.to_rfc3339())?;
        settle_counter(&tx, last_mutation_id)?;
        drop_delivered(&tx, last_mutation_id, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Forget the mirror (staff reset): the next sync takes everything again. Outbox kept.
    pub fn clear_mirror(&mut self) -> CacheResult<()> {
        let tx = self.tx()?;
        clear_mirror_tables(&tx)?;
        tx.execute_batch("DELETE FROM sync_state WHERE key IN ('cursor', 'last_synced_at');")?;
        tx.commit()?;
        Ok(())
    }

    // ------------------------------------------------------------ outbox

    /// Queue a mutation and show its local effect, in one transaction. Returns its id.
    pub fn enqueue(
        &mut self,
        name: &str,
        args: &Value,
        summary: &str,
        effect: &LocalEffect,
        now: DateTime<Utc>,
    ) -> CacheResult<u64> {
        let tx = self.tx()?;
        let next: u64 = tx
            .query_row("SELECT value FROM sync_state WHERE key = 'next_mutation_id'", [], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let max_queued: u64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64;
        let id = next.max(max_queued + 1);
        tx.execute(
            "INSERT INTO outbox (id, name, args, summary, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id as i64, name, args.to_string(), summary, ts(now)],
        )?;
        set_state(&tx, "next_mutation_id", &(id + 1).to_string())?;
        match effect {
            LocalEffect::None => {}
            LocalEffect::CheckIn { appointment_id } => {
                tx.execute("UPDATE appointments SET status = 'checked_in' WHERE id = ?1", [appointment_id])?;
            }
            LocalEffect::Cancel { appointment_id, status } => {
                tx.execute(
                    "UPDATE appointments SET status = ?1 WHERE id = ?2",
                    params![status.as_str(), appointment_id],
                )?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// The next id `enqueue` will use (for status displays).
    pub fn next_mutation_id(&self) -> CacheResult<u64> {
        Ok(self.state("next_mutation_id")?.and_then(|v| v.parse().ok()).unwrap_or(1))
    }

    /// Entries the server has not answered yet, in order (up to `limit`).
    pub fn pending(&self, limit: usize) -> CacheResult<Vec<OutboxEntry>> {
        self.outbox_where("state = 'pending'", limit)
    }

    /// Every entry still in the outbox.
    pub fn outbox(&self) -> CacheResult<Vec<OutboxEntry>> {
        self.outbox_where("1", usize::MAX)
    }

    pub fn outbox_entry(&self, id: u64) -> CacheResult<Option<OutboxEntry>> {
        Ok(self.outbox_where(&format!("id = {id}"), 1)?.into_iter().next())
    }

    fn outbox_where(&self, clause: &str, limit: usize) -> CacheResult<Vec<OutboxEntry>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT id, name, args, summary, created_at, state, attempts, last_error, result FROM outbox WHERE {clause} ORDER BY id LIMIT ?1"
        ))?;
        let rows = st.query_map([limit.min(i64::MAX as usize) as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, args, summary, created, state, attempts, last_error, result) = row?;
            out.push(OutboxEntry {
                id: id as u64,
                name,
                args: serde_json::from_str(&args).unwrap_or(Value::Null),
                summary,
                created_at: from_ts(created),
                state,
                attempts,
                last_error,
                result: result.and_then(|r| serde_json::from_str(&r).ok()),
            });
        }
        Ok(out)
    }

    /// Keep the server's answers to a push. Only transient failures stay pending.
    pub fn record_results(&mut self, results: &[MutationResult]) -> CacheResult<()> {
        let tx = self.tx()?;
        for r in results {
            let transient = matches!(r, MutationResult::Error { error, .. } if matches!(error.code.as_str(), "busy" | "out_of_order"));
            if transient {
                tx.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?1 WHERE id = ?2",
                    params![describe(r), r.id() as i64],
                )?;
                continue;
            }
            let json = serde_json::to_string(r).map_err(data_err)?;
            tx.execute(
                "UPDATE outbox SET state = 'answered', attempts = attempts + 1, result = ?1, last_error = NULL WHERE id = ?2",
                params![json, r.id() as i64],
            )?;
            if let MutationResult::Ok { ok, .. } = r
                && let Some(a) = ok.get("appointment")
                && let Ok(a) = serde_json::from_value::<AppointmentData>(a.clone())
            {
                put_appointment(&tx, &a)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The head of the queue cannot be delivered (the server refused the whole request).
    pub fn mark_failed(&mut self, id: u64, reason: &str) -> CacheResult<()> {
        self.conn.execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?1 WHERE id = ?2",
            params![reason, id as i64],
        )?;
        Ok(())
    }

    /// Note a transient failure (offline, busy) against pending entries.
    pub fn note_attempt(&mut self, ids: &[u64], reason: &str) -> CacheResult<()> {
        let tx = self.tx()?;
        for id in ids {
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?1 WHERE id = ?2",
                params![reason, *id as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Put a failed entry back in the queue.
    pub fn retry(&mut self, id: u64) -> CacheResult<bool> {
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'pending', last_error = NULL WHERE id = ?1 AND state = 'failed'",
            [id as i64],
        )? > 0)
    }

    /// Throw away a failed entry. Later undelivered entries are renumbered down so the server
    /// still sees 1, 2, 3… without a gap.
    pub fn discard(&mut self, id: u64) -> CacheResult<bool> {
        let tx = self.tx()?;
        let n = tx.execute("DELETE FROM outbox WHERE id = ?1 AND state = 'failed'", [id as i64])?;
        if n > 0 {
            // Shift in ascending order so no id collides on the way.
            let later: Vec<i64> = tx
                .prepare("SELECT id FROM outbox WHERE id > ?1 ORDER BY id")?
                .query_map([id as i64], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for l in later {
                tx.execute("UPDATE outbox SET id = id - 1 WHERE id = ?1", [l])?;
            }
            let next: i64 = tx
                .query_row("SELECT value FROM sync_state WHERE key = 'next_mutation_id'", [], |r| r.get::<_, String>(0))
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            set_state(&tx, "next_mutation_id", &(next - 1).max(1).to_string())?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// Queued actions the server refused after the student had left, for staff.
    pub fn rejected(&self) -> CacheResult<Vec<(u64, String, String, String)>> {
        let mut st = self.conn.prepare("SELECT id, summary, code, message FROM rejected ORDER BY id DESC LIMIT 50")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn restore_outbox(&mut self, rec: &Recovered) -> CacheResult<usize> {
        let tx = self.tx()?;
        let mut max = rec.highest_id;
        for (id, name, args, summary, created) in &rec.entries {
            tx.execute(
                "INSERT OR IGNORE INTO outbox (id, name, args, summary, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![*id as i64, name, args, summary, created],
            )?;
            max = max.max(*id);
        }
        set_state(&tx, "next_mutation_id", &(max + 1).to_string())?;
        // The old counter may have been lost with the file: ids made from here on are checked
        // against the server's watermark at the next pull, before anything is pushed.
        set_state(&tx, "renumber_from", &(max + 1).to_string())?;
        tx.commit()?;
        Ok(rec.entries.len())
    }

    /// Whether ids must be checked against the server before the next push (after a rebuild).
    pub fn counter_uncertain(&self) -> CacheResult<bool> {
        Ok(self.state("renumber_from")?.is_some())
    }

    // ------------------------------------------------------------ queries for the screens

    pub fn center(&self) -> CacheResult<Option<(CenterData, Tz)>> {
        center_in(&self.conn)
    }

    /// The center in the cache file at `path`, read only: no check, no migration, no move,
    /// safe beside a running kiosk. `None` when there is no readable cache or it has not synced.
    pub fn peek_center(path: &Path) -> Option<CenterData> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
        center_in(&conn).ok().flatten().map(|(c, _)| c)
    }

    pub fn policy(&self) -> CacheResult<Policy> {
        Ok(self.center()?.map(|(c, _)| c.policy).unwrap_or_default())
    }

    pub fn terms(&self) -> CacheResult<Vec<Term>> {
        let mut st = self.conn.prepare("SELECT data FROM terms")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            let t: TermData = serde_json::from_str(&r?).map_err(data_err)?;
            out.push(Term { id: t.id, name: t.name, first_day: t.first_day, last_day: t.last_day });
        }
        Ok(out)
    }

    pub fn courses(&self) -> CacheResult<Vec<Course>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, code, title FROM courses WHERE id IN (SELECT course_id FROM profile_courses) ORDER BY code",
        )?;
        let rows = st.query_map([], |r| Ok(Course { id: r.get(0)?, code: r.get(1)?, title: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn course(&self, id: &str) -> CacheResult<Option<Course>> {
        Ok(self
            .conn
            .query_row("SELECT id, code, title FROM courses WHERE id = ?1", [id], |r| {
                Ok(Course { id: r.get(0)?, code: r.get(1)?, title: r.get(2)? })
            })
            .optional()?)
    }

    /// Courses whose code or title contains every word of `query` (case-insensitive).
    pub fn search_courses(&self, query: &str) -> CacheResult<Vec<Course>> {
        Ok(self.courses()?.into_iter().filter(|c| c.matches(query)).collect())
    }

    fn profiles_where(&self, clause: &str, p: impl rusqlite::Params) -> CacheResult<Vec<Tutor>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id, person_id, role, display_name, bio, location, photo FROM profiles WHERE {clause} ORDER BY display_name, role"
        ))?;
        let rows = st.query_map(p, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<Vec<u8>>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, person_id, role, display_name, bio, location, photo) = row?;
            let mut cst = self
                .conn
                .prepare_cached("SELECT course_id FROM profile_courses WHERE profile_id = ?1 ORDER BY course_id")?;
            let course_ids = cst.query_map([&id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            let role: Role = serde_json::from_value(Value::String(role)).unwrap_or(Role::Tutor);
            out.push(Tutor {
                profile: Profile { id, person_id, role, display_name, bio, course_ids },
                location,
                photo_png: photo,
            });
        }
        Ok(out)
    }

    pub fn all_profiles(&self) -> CacheResult<Vec<Tutor>> {
        self.profiles_where("1", [])
    }

    pub fn tutor(&self, profile_id: &str) -> CacheResult<Option<Tutor>> {
        Ok(self.profiles_where("id = ?1", [profile_id])?.into_iter().next())
    }

    /// Profiles that offer `course_id`.
    pub fn tutors_for(&self, course_id: &str) -> CacheResult<Vec<Tutor>> {
        self.profiles_where("id IN (SELECT profile_id FROM profile_courses WHERE course_id = ?1)", [course_id])
    }

    /// Free slots for a course (optionally one profile) starting in `[from, to)`: cached
    /// availability minus cached appointments, through the domain's slot generation.
    pub fn free_slots(
        &self,
        course_id: &str,
        profile_id: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CacheResult<Vec<Slot>> {
        // Every profile of the people who offer the course, so a booking under another role
        // hides the same hour; only the offering ones carry the course.
        let mut st = self.conn.prepare_cached(
            "SELECT p.id, p.person_id,
                    EXISTS (SELECT 1 FROM profile_courses pc WHERE pc.profile_id = p.id AND pc.course_id = ?1)
             FROM profiles p
             WHERE p.person_id IN (SELECT q.person_id FROM profiles q
                                   JOIN profile_courses pc ON pc.profile_id = q.id WHERE pc.course_id = ?1)",
        )?;
        let all = st
            .query_map([course_id], |r| {
                let offers: bool = r.get(2)?;
                Ok(Profile {
                    id: r.get(0)?,
                    person_id: r.get(1)?,
                    role: Role::Tutor,
                    display_name: String::new(),
                    bio: String::new(),
                    course_ids: if offers { vec![course_id.to_string()] } else { vec![] },
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
        let blocks = self.blocks_for(&ids, from, to)?;
        let appts = self.appointments_for_profiles(&ids, from, to)?;
        Ok(domain::free_slots(&all, &blocks, &appts, from, to, |p| {
            p.course_ids.iter().any(|c| c == course_id) && profile_id.is_none_or(|want| want == p.id)
        }))
    }

    fn blocks_for(
        &self,
        profile_ids: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CacheResult<Vec<AvailabilityBlock>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, profile_id, start_utc, end_utc, session_minutes, kind FROM availability
             WHERE profile_id = ?1 AND start_utc < ?2 AND end_utc > ?3",
        )?;
        let mut out = Vec::new();
        for p in profile_ids {
            let rows = st.query_map(params![p, ts(to), ts(from)], |r| {
                Ok(AvailabilityBlock {
                    id: r.get(0)?,
                    profile_id: r.get(1)?,
                    start: from_ts(r.get(2)?),
                    end: from_ts(r.get(3)?),
                    session_minutes: r.get(4)?,
                    kind: if r.get::<_, String>(5)? == "drop_in" { BlockKind::DropIn } else { BlockKind::Appointment },
                })
            })?;
            for b in rows {
                out.push(b?);
            }
        }
        Ok(out)
    }

    fn appointments_for_profiles(
        &self,
        profile_ids: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CacheResult<Vec<Appointment>> {
        let mut out = Vec::new();
        for p in profile_ids {
            out.extend(self.appointments_where(
                "profile_id = ?1 AND start_utc < ?2 AND end_utc > ?3 AND status IN ('booked', 'checked_in')",
                params![p, ts(to), ts(from)],
            )?);
        }
        Ok(out)
    }

    fn appointments_where(&self, clause: &str, p: impl rusqlite::Params) -> CacheResult<Vec<Appointment>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id, profile_id, course_id, start_utc, end_utc, status, student_key FROM appointments WHERE {clause} ORDER BY start_utc"
        ))?;
        let rows = st.query_map(p, |r| {
            Ok(Appointment {
                id: r.get(0)?,
                profile_id: r.get(1)?,
                course_id: r.get(2)?,
                start: from_ts(r.get(3)?),
                end: from_ts(r.get(4)?),
                status: AppointmentStatus::parse(&r.get::<_, String>(5)?).unwrap_or(AppointmentStatus::Excused),
                student_key: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A student's appointments on the local day of `now`, matched by `student_key` (works offline).
    pub fn appointments_today(&self, student_key: &str, now: DateTime<Utc>, tz: Tz) -> CacheResult<Vec<Appointment>> {
        let day = domain::time::local_date(tz, now);
        let start = domain::time::start_of_local_day(tz, day);
        let end = domain::time::start_of_local_day(tz, day.succ_opt().unwrap_or(day));
        self.appointments_where(
            "student_key = ?1 AND start_utc >= ?2 AND start_utc < ?3",
            params![student_key, ts(start), ts(end)],
        )
    }

    /// A student's cached appointments from `from` on.
    pub fn appointments_of(&self, student_key: &str, from: DateTime<Utc>) -> CacheResult<Vec<Appointment>> {
        self.appointments_where("student_key = ?1 AND end_utc > ?2", params![student_key, ts(from)])
    }

    pub fn appointment(&self, id: &str) -> CacheResult<Option<Appointment>> {
        Ok(self.appointments_where("id = ?1", [id])?.into_iter().next())
    }

    /// All appointments on a local day, for staff.
    pub fn appointments_on(&self, day: NaiveDate, tz: Tz) -> CacheResult<Vec<Appointment>> {
        let start = domain::time::start_of_local_day(tz, day);
        let end = domain::time::start_of_local_day(tz, day.succ_opt().unwrap_or(day));
        self.appointments_where("start_utc >= ?1 AND start_utc < ?2", params![ts(start), ts(end)])
    }

    /// The drop-in line as last synced: (course, joined at) of everyone waiting, first in first.
    pub fn drop_in_waiting(&self) -> CacheResult<Vec<(Option<String>, DateTime<Utc>)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT course_id, joined_at FROM drop_in WHERE status = 'waiting' ORDER BY joined_at, id",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, from_ts(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A student's place in the drop-in line as last synced, matched by the card's keyed hash,
    /// so it works offline too.
    pub fn drop_in_place(&self, student_key: &str) -> CacheResult<Option<PlaceInLine>> {
        let mine: Option<(String, Option<String>, i64)> = self
            .conn
            .prepare_cached(
                "SELECT id, course_id, joined_at FROM drop_in WHERE student_key = ?1 AND status = 'waiting'",
            )?
            .query_row([student_key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((id, course, joined)) = mine else { return Ok(None) };
        let ahead: u32 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM drop_in WHERE status = 'waiting' AND (joined_at < ?1 OR (joined_at = ?1 AND id < ?2))",
            )?
            .query_row(params![joined, id], |r| r.get(0))?;
        Ok(Some(PlaceInLine { id, course_id: course, joined_at: from_ts(joined), ahead }))
    }

    /// Tutors (people, not profiles) on drop-in duty at `at`, from the cached availability.
    pub fn drop_in_helpers(&self, at: DateTime<Utc>) -> CacheResult<u32> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COUNT(DISTINCT p.person_id) FROM availability a JOIN profiles p ON p.id = a.profile_id
                 WHERE a.kind = 'drop_in' AND a.start_utc <= ?1 AND a.end_utc > ?1",
            )?
            .query_row([ts(at)], |r| r.get(0))?)
    }

    /// How many rows each mirror table holds (for status and tests).
    pub fn counts(&self) -> CacheResult<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in ["courses", "profiles", "availability", "appointments"] {
            out.push((t, self.conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))?));
        }
        Ok(out)
    }
}

fn center_in(conn: &Connection) -> CacheResult<Option<(CenterData, Tz)>> {
    let data: Option<String> = conn.query_row("SELECT data FROM center LIMIT 1", [], |r| r.get(0)).optional()?;
    let Some(data) = data else { return Ok(None) };
    let c: CenterData = serde_json::from_str(&data).map_err(data_err)?;
    let tz: Tz = c.timezone.parse().map_err(|_| CacheError::Data(format!("unknown time zone {}", c.timezone)))?;
    Ok(Some((c, tz)))
}

fn clear_mirror_tables(tx: &Connection) -> CacheResult<()> {
    tx.execute_batch(
        "DELETE FROM center; DELETE FROM terms; DELETE FROM courses; DELETE FROM profiles;
         DELETE FROM profile_courses; DELETE FROM availability; DELETE FROM appointments; DELETE FROM drop_in;",
    )?;
    Ok(())
}

fn set_state(c: &Connection, key: &str, value: &str) -> CacheResult<()> {
    c.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn describe(r: &MutationResult) -> String {
    match r {
        MutationResult::Error { error, .. } => error.code.clone(),
        _ => String::new(),
    }
}

/// After a rebuild, move ids made since then above the server's watermark, keeping their order.
fn settle_counter(tx: &Connection, last_mutation_id: u64) -> CacheResult<()> {
    let from: Option<u64> = tx
        .query_row("SELECT value FROM sync_state WHERE key = 'renumber_from'", [], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok());
    let Some(from) = from else { return Ok(()) };
    let fresh: Vec<i64> = tx
        .prepare("SELECT id FROM outbox WHERE id >= ?1 ORDER BY id DESC")?
        .query_map([from as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let lowest = fresh.last().copied().map(|v| v as u64);
    if let Some(lowest) = lowest
        && lowest <= last_mutation_id
    {
        let shift = (last_mutation_id + 1 - lowest) as i64;
        // Highest first, so no id collides on the way up.
        for id in &fresh {
            tx.execute("UPDATE outbox SET id = id + ?1 WHERE id = ?2", params![shift, id])?;
        }
    }
    let max: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) FROM outbox", [], |r| r.get(0))?;
    let next = (max as u64).max(last_mutation_id) + 1;
    let current: u64 = tx
        .query_row("SELECT value FROM sync_state WHERE key = 'next_mutation_id'", [], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    set_state(tx, "next_mutation_id", &next.max(current).to_string())?;
    tx.execute("DELETE FROM sync_state WHERE key = 'renumber_from'", [])?;
    Ok(())
}

/// Drop entries the server has confirmed (watermark ≥ id); keep refusals for staff.
fn drop_delivered(tx: &Connection, last_mutation_id: u64, now: DateTime<Utc>) -> CacheResult<()> {
    let mut st = tx.prepare("SELECT id, name, summary, result FROM outbox WHERE id <= ?1")?;
    let done: Vec<(i64, String, String, Option<String>)> = st
        .query_map([last_mutation_id as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (id, name, summary, result) in done {
        if let Some(MutationResult::Error { error, .. }) = result.and_then(|r| serde_json::from_str(&r).ok()) {
            tx.execute(
                "INSERT OR REPLACE INTO rejected (id, name, summary, code, message, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, name, summary, error.code, error.message, ts(now)],
            )?;
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    }
    Ok(())
}

fn put_appointment(c: &Connection, a: &AppointmentData) -> CacheResult<()> {
    c.execute(
        "INSERT INTO appointments (id, profile_id, course_id, start_utc, end_utc, status, student_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET profile_id = excluded.profile_id, course_id = excluded.course_id, start_utc = excluded.start_utc,
           end_utc = excluded.end_utc, status = excluded.status, student_key = excluded.student_key",
        params![a.id, a.profile_id, a.course_id, ts(a.start), ts(a.end), a.status.as_str(), a.student_key],
    )?;
    Ok(())
}

fn apply_change(tx: &Connection, c: &Change) -> CacheResult<()> {
    let data = || c.data.clone().ok_or_else(|| CacheError::Data(format!("{} {} has no data", c.entity.as_str(), c.id)));
    match (c.entity, c.op) {
        (Entity::Center, Op::Put) => {
            let d: CenterData = serde_json::from_value(data()?).map_err(data_err)?;
            d.timezone.parse::<Tz>().map_err(|_| CacheError::Data(format!("unknown time zone {}", d.timezone)))?;
            tx.execute("DELETE FROM center WHERE id <> ?1", [&d.id])?;
            tx.execute(
                "INSERT INTO center (id, data) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                params![d.id, serde_json::to_string(&d).map_err(data_err)?],
            )?;
        }
        (Entity::Term, Op::Put) => {
            let d: TermData = serde_json::from_value(data()?).map_err(data_err)?;
            tx.execute(
                "INSERT INTO terms (id, data) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                params![d.id, serde_json::to_string(&d).map_err(data_err)?],
            )?;
        }
        (Entity::Course, Op::Put) => {
            let d: CourseData = serde_json::from_value(data()?).map_err(data_err)?;
            tx.execute(
                "INSERT INTO courses (id, code, title) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET code = excluded.code, title = excluded.title",
                params![d.id, d.code, d.title],
            )?;
        }
        (Entity::Profile, Op::Put) => {
            let d: ProfileData = serde_json::from_value(data()?).map_err(data_err)?;
            let photo = match &d.photo {
                Some(b64) => {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD.decode(b64).ok()
                }
                None => None,
            };
            let role = serde_json::to_value(d.role).map_err(data_err)?.as_str().unwrap_or("tutor").to_string();
            tx.execute(
                "INSERT INTO profiles (id, person_id, role, display_name, bio, location, photo) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET person_id = excluded.person_id, role = excluded.role, display_name = excluded.display_name,
                   bio = excluded.bio, location = excluded.location, photo = excluded.photo",
                params![d.id, d.person_id, role, d.display_name, d.bio, d.location, photo],
            )?;
            tx.execute("DELETE FROM profile_courses WHERE profile_id = ?1", [&d.id])?;
            for course in &d.course_ids {
                tx.execute(
                    "INSERT OR IGNORE INTO profile_courses (profile_id, course_id) VALUES (?1, ?2)",
                    params![d.id, course],
                )?;
            }
        }
        (Entity::Availability, Op::Put) => {
            let d: AvailabilityData = serde_json::from_value(data()?).map_err(data_err)?;
            let kind = if d.kind == BlockKind::DropIn { "drop_in" } else { "appointment" };
            tx.execute(
                "INSERT INTO availability (id, profile_id, start_utc, end_utc, session_minutes, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET profile_id = excluded.profile_id, start_utc = excluded.start_utc,
                   end_utc = excluded.end_utc, session_minutes = excluded.session_minutes, kind = excluded.kind",
                params![d.id, d.profile_id, ts(d.start), ts(d.end), d.session_minutes, kind],
            )?;
        }
        (Entity::Appointment, Op::Put) => {
            let d: AppointmentData = serde_json::from_value(data()?).map_err(data_err)?;
            put_appointment(tx, &d)?;
        }
        (Entity::DropIn, Op::Put) => {
            let d: DropInData = serde_json::from_value(data()?).map_err(data_err)?;
            tx.prepare_cached(
                "INSERT INTO drop_in (id, course_id, joined_at, status, student_key) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET course_id = excluded.course_id, joined_at = excluded.joined_at,
                   status = excluded.status, student_key = excluded.student_key",
            )?
            .execute(params![d.id, d.course_id, ts(d.joined_at), d.status, d.student_key])?;
        }
        // Something a newer server shares that this kiosk has no use for yet.
        (Entity::Unknown, _) => {}
        (entity, Op::Del) => {
            let table = match entity {
                Entity::Center => "center",
                Entity::Term => "terms",
                Entity::Course => "courses",
                Entity::Profile => "profiles",
                Entity::Availability => "availability",
                Entity::Appointment => "appointments",
                Entity::DropIn => "drop_in",
                Entity::Unknown => return Ok(()),
            };
            tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&c.id])?;
            if entity == Entity::Profile {
                tx.execute("DELETE FROM profile_courses WHERE profile_id = ?1", [&c.id])?;
            }
        }
    }
    Ok(())
}

/// What a damaged file still gives up: undelivered outbox rows, and the highest mutation id it
/// shows anywhere (so new ids never reuse one the server has seen).
#[derive(Debug, Default)]
struct Recovered {
    entries: Vec<(u64, String, String, String, i64)>,
    highest_id: u64,
}

fn read_outbox_from(path: &Path) -> Recovered {
    let rec = read_outbox_at(path);
    if rec.highest_id > 0 || !rec.entries.is_empty() {
        return rec;
    }
    // A file cut short is "malformed" to SQLite as a whole; padded back to the size its header
    // promises, the early pages (where the outbox lives) can be read again.
    let padded = path.with_extension("padded");
    let restored = (|| -> std::io::Result<bool> {
        let bytes = std::fs::read(path)?;
        if bytes.len() < 100 || &bytes[..16] != b"SQLite format 3\0" {
            return Ok(false);
        }
        let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            n => usize::from(n),
        };
        let pages = u32::from_be_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]) as usize;
        let want = page_size.saturating_mul(pages);
        if want <= bytes.len() || want > 1 << 32 {
            return Ok(false);
        }
        std::fs::write(&padded, &bytes)?;
        std::fs::OpenOptions::new().write(true).open(&padded)?.set_len(want as u64)?;
        Ok(true)
    })();
    let rec = if matches!(restored, Ok(true)) { read_outbox_at(&padded) } else { rec };
    let _ = std::fs::remove_file(&padded);
    rec
}

fn read_outbox_at(path: &Path) -> Recovered {
    let mut rec = Recovered::default();
    let Ok(conn) = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) else { return rec };
    if let Ok(Some(next)) = conn
        .query_row("SELECT value FROM sync_state WHERE key = 'next_mutation_id'", [], |r| r.get::<_, String>(0))
        .optional()
    {
        rec.highest_id = next.parse::<u64>().unwrap_or(1).saturating_sub(1);
    }
    if let Ok(max) = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM outbox", [], |r| r.get::<_, i64>(0)) {
        rec.highest_id = rec.highest_id.max(max as u64);
    }
    rec.entries = read_rows(&conn);
    rec.highest_id = rec.highest_id.max(rec.entries.iter().map(|e| e.0).max().unwrap_or(0));
    rec
}

fn read_rows(conn: &Connection) -> Vec<(u64, String, String, String, i64)> {
    let Ok(mut st) =
        conn.prepare("SELECT id, name, args, summary, created_at FROM outbox WHERE state <> 'answered' ORDER BY id")
    else {
        return vec![];
    };
    let Ok(mut rows) = st.query([]) else { return vec![] };
    let mut out = Vec::new();
    // Row by row: a damaged page ends the walk but keeps what came before it.
    while let Ok(Some(r)) = rows.next() {
        let row = (|| -> rusqlite::Result<_> {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })();
        if let Ok(row) = row
            && serde_json::from_str::<Value>(&row.2).is_ok()
        {
            out.push(row);
        }
    }
    out
}
