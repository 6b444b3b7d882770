//! Staff and director actions (audited), setup writes used by import and the demo seed, reports.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::mutations::{self, set_status};
use super::{Store, StoreError, StoreResult, audit, new_id, record_put, require_center, terms_of, ts};
use crate::domain::{self, AppointmentStatus, AvailabilityBlock, BlockKind, Policy, Profile, Term, time};
use crate::protocol::{AvailabilityData, CenterData, CourseData, Entity, ProfileData, TermData};

/// One row of `report`: visits and outcomes per course, tutor and week.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub week: String,
    pub course: String,
    pub tutor: String,
    pub booked: u32,
    pub visits: u32,
    pub no_shows: u32,
    pub late_cancels: u32,
}

/// A student to add; `card` is the card or student number, kept only as its keyed hash.
#[derive(Debug, Clone, Copy)]
pub struct NewStudent<'a> {
    pub card: &'a str,
    pub email: Option<&'a str>,
    pub first: &'a str,
    pub last: &'a str,
    pub pin: Option<&'a str>,
    pub password: Option<&'a str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub courses: usize,
    pub students: usize,
    pub profiles: usize,
    pub availability: usize,
}

impl Store {
    /// A director restores booking for the rest of the term. At most one per student per term.
    pub fn override_suspension(&self, login: &str, by: &str, why: &str, now: DateTime<Utc>) -> StoreResult<String> {
        if by.trim().is_empty() || why.trim().is_empty() {
            return Err(StoreError::Invalid("an override needs --by (who) and --why (the reason)".into()));
        }
        let key = self.student_key(login);
        self.write(|tx| {
            let (center, tz) = require_center(tx)?;
            let student_id = find_student(tx, login, &key)?;
            let (_, term) = mutations::standing_of(tx, &student_id, now, tz, &center.policy)?;
            let term = term.ok_or_else(|| StoreError::Invalid("today is not inside any term".into()))?;
            let record = student_record(tx, &student_id)?;
            domain::check_override(&record, &term, tz, &center.policy)
                .map_err(|r| StoreError::Invalid(r.message().into()))?;
            tx.execute(
                "INSERT INTO overrides (id, student_id, term_id, at, granted_by, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![new_id(), student_id, term.id, ts(now), by.trim(), why.trim()],
            )?;
            audit(tx, now, by.trim(), "student_override", &student_id, Some(why.trim()))?;
            Ok(format!("Booking restored for the rest of {}.", term.name))
        })
    }

    /// Staff excuse a no-show (or a too-late cancel recorded as one): it stops counting.
    pub fn excuse_appointment(&self, appointment_id: &str, by: &str, why: &str, now: DateTime<Utc>) -> StoreResult<()> {
        if by.trim().is_empty() || why.trim().is_empty() {
            return Err(StoreError::Invalid("an excuse needs --by (who) and --why (the reason)".into()));
        }
        self.write(|tx| {
            let row = tx
                .query_row(
                    "SELECT a.id, a.profile_id, a.course_id, a.start_utc, a.end_utc, a.status, s.student_key
                     FROM appointments a JOIN students s ON s.id = a.student_id WHERE a.id = ?1",
                    [appointment_id],
                    |r| {
                        Ok(domain::Appointment {
                            id: r.get(0)?,
                            profile_id: r.get(1)?,
                            course_id: r.get(2)?,
                            start: super::from_ts(r.get(3)?),
                            end: super::from_ts(r.get(4)?),
                            status: AppointmentStatus::parse(&r.get::<_, String>(5)?)
                                .unwrap_or(AppointmentStatus::Excused),
                            student_key: r.get(6)?,
                        })
                    },
                )
                .optional()?;
            let mut a = row.ok_or_else(|| StoreError::Invalid(format!("no appointment {appointment_id}")))?;
            if !matches!(a.status, AppointmentStatus::NoShow | AppointmentStatus::Booked) {
                return Err(StoreError::Invalid(format!(
                    "that appointment is {}, not a missed session",
                    a.status.as_str()
                )));
            }
            set_status(tx, &mut a, AppointmentStatus::Excused, now, &format!("staff:{}", by.trim()), Some(why.trim()))?;
            audit(tx, now, by.trim(), "appointment_excuse", appointment_id, Some(why.trim()))?;
            Ok(())
        })
    }

    /// Every cross-role contradiction in availability, in words.
    pub fn availability_check(&self) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let (_, tz) = require_center(c)?;
            let profiles = all_profiles(c)?;
            let blocks = all_blocks(c)?;
            Ok(domain::conflicts(&profiles, &blocks).iter().map(|x| x.describe(&profiles, tz)).collect())
        })
    }

    /// Visits, bookings, no-shows and late cancels by ISO week, course and tutor.
    pub fn report(&self) -> StoreResult<Vec<ReportRow>> {
        self.read(|c| {
            let (_, tz) = require_center(c)?;
            let mut st = c.prepare(
                "SELECT a.start_utc, co.code, p.display_name, a.status, EXISTS(SELECT 1 FROM visits v WHERE v.appointment_id = a.id)
                 FROM appointments a JOIN courses co ON co.id = a.course_id JOIN profiles p ON p.id = a.profile_id",
            )?;
            let mut rows: std::collections::BTreeMap<(String, String, String), ReportRow> = Default::default();
            let mut q = st.query([])?;
            while let Some(r) = q.next()? {
                let start = super::from_ts(r.get(0)?).with_timezone(&tz);
                let week = start.format("%G-W%V").to_string();
                let (course, tutor): (String, String) = (r.get(1)?, r.get(2)?);
                let status = AppointmentStatus::parse(&r.get::<_, String>(3)?);
                let visited: bool = r.get(4)?;
                let row = rows.entry((week.clone(), course.clone(), tutor.clone())).or_insert(ReportRow {
                    week,
                    course,
                    tutor,
                    booked: 0,
                    visits: 0,
                    no_shows: 0,
                    late_cancels: 0,
                });
                row.booked += 1;
                row.visits += u32::from(visited);
                row.no_shows += u32::from(status == Some(AppointmentStatus::NoShow));
                row.late_cancels += u32::from(status == Some(AppointmentStatus::LateCancelled));
            }
            Ok(rows.into_values().collect())
        })
    }
}

fn find_student(c: &Connection, login: &str, key: &str) -> StoreResult<String> {
    c.query_row(
        "SELECT id FROM students WHERE email = ?1 COLLATE NOCASE OR student_key = ?2",
        params![login.trim(), key],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::Invalid("no student with that email or student number".into()))
}

fn student_record(c: &Connection, student_id: &str) -> StoreResult<domain::StudentRecord> {
    let mut record = domain::StudentRecord::default();
    let mut st = c.prepare("SELECT start_utc FROM appointments WHERE student_id = ?1 AND status = 'no_show'")?;
    for t in st.query_map([student_id], |r| r.get::<_, i64>(0))? {
        record.no_shows.push(super::from_ts(t?));
    }
    let mut st = c.prepare("SELECT at FROM overrides WHERE student_id = ?1")?;
    for t in st.query_map([student_id], |r| r.get::<_, i64>(0))? {
        record.overrides.push(super::from_ts(t?));
    }
    Ok(record)
}

pub(crate) fn all_profiles(c: &Connection) -> StoreResult<Vec<Profile>> {
    let ids: Vec<String> =
        c.prepare("SELECT id FROM profiles ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = mutations::profile(c, &id)? {
            out.push(p);
        }
    }
    Ok(out)
}

pub(crate) fn all_blocks(c: &Connection) -> StoreResult<Vec<AvailabilityBlock>> {
    let mut st = c.prepare("SELECT id, profile_id, start_utc, end_utc, session_minutes, kind FROM availability")?;
    let rows = st.query_map([], |r| {
        Ok(AvailabilityBlock {
            id: r.get(0)?,
            profile_id: r.get(1)?,
            start: super::from_ts(r.get(2)?),
            end: super::from_ts(r.get(3)?),
            session_minutes: r.get(4)?,
            kind: if r.get::<_, String>(5)? == "drop_in" { BlockKind::DropIn } else { BlockKind::Appointment },
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

// ---------------------------------------------------------------- setup writes (import, seed)

/// Writes that set a center up, all inside one caller-owned transaction.
pub struct Setup<'a, 'c> {
    pub tx: &'a Transaction<'c>,
    pub store: &'a Store,
    pub hash_cost: super::HashCost,
}

impl Setup<'_, '_> {
    pub fn center(&self, id: &str, name: &str, tz: &str, policy: &Policy) -> StoreResult<()> {
        tz.parse::<chrono_tz::Tz>().map_err(|_| StoreError::Invalid(format!("\"{tz}\" is not an IANA time zone")))?;
        let problems = policy.problems();
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems.join("; ")));
        }
        let json = serde_json::to_string(policy).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.tx.execute("DELETE FROM centers WHERE id <> ?1", [id])?;
        self.tx.execute(
            "INSERT INTO centers (id, name, timezone, policy_json) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, policy_json = excluded.policy_json",
            params![id, name, tz, json],
        )?;
        record_put(
            self.tx,
            Entity::Center,
            id,
            &CenterData { id: id.into(), name: name.into(), timezone: tz.into(), policy: policy.clone() },
        )
    }

    pub fn term(&self, t: &Term) -> StoreResult<()> {
        if t.last_day < t.first_day {
            return Err(StoreError::Invalid(format!("term {} ends before it starts", t.name)));
        }
        self.tx.execute(
            "INSERT INTO terms (id, name, first_day, last_day) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, first_day = excluded.first_day, last_day = excluded.last_day",
            params![t.id, t.name, t.first_day.to_string(), t.last_day.to_string()],
        )?;
        record_put(
            self.tx,
            Entity::Term,
            &t.id,
            &TermData { id: t.id.clone(), name: t.name.clone(), first_day: t.first_day, last_day: t.last_day },
        )
    }

    pub fn course(&self, id: &str, code: &str, title: &str) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO courses (id, code, title) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET code = excluded.code, title = excluded.title",
            params![id, code, title],
        )?;
        record_put(self.tx, Entity::Course, id, &CourseData { id: id.into(), code: code.into(), title: title.into() })
    }

    pub fn person(&self, id: &str, full_name: &str, email: Option<&str>) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO people (id, full_name, email) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET full_name = excluded.full_name, email = excluded.email",
            params![id, full_name, email],
        )?;
        Ok(())
    }

    pub fn profile(&self, p: &Profile, location: Option<&str>, photo_png: Option<&[u8]>) -> StoreResult<()> {
        let role = serde_json::to_value(p.role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        self.tx.execute(
            "INSERT INTO profiles (id, person_id, role, display_name, bio, location, photo_png) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET person_id = excluded.person_id, role = excluded.role, display_name = excluded.display_name,
               bio = excluded.bio, location = excluded.location, photo_png = COALESCE(excluded.photo_png, photo_png)",
            params![p.id, p.person_id, role, p.display_name, p.bio, location, photo_png],
        )?;
        self.tx.execute("DELETE FROM profile_courses WHERE profile_id = ?1", [&p.id])?;
        for c in &p.course_ids {
            self.tx.execute("INSERT INTO profile_courses (profile_id, course_id) VALUES (?1, ?2)", params![p.id, c])?;
        }
        let photo: Option<Vec<u8>> =
            self.tx.query_row("SELECT photo_png FROM profiles WHERE id = ?1", [&p.id], |r| r.get(0))?;
        record_put(
            self.tx,
            Entity::Profile,
            &p.id,
            &ProfileData {
                id: p.id.clone(),
                person_id: p.person_id.clone(),
                role: p.role,
                display_name: p.display_name.clone(),
                bio: p.bio.clone(),
                course_ids: p.course_ids.clone(),
                photo: photo.map(|b| base64_encode(&b)),
                location: location.map(str::to_string),
            },
        )
    }

    /// Add an availability block; refuses one that overlaps the same person's other blocks,
    /// under any role.
    pub fn availability(&self, b: &AvailabilityBlock) -> StoreResult<()> {
        let person: String = self
            .tx
            .query_row("SELECT person_id FROM profiles WHERE id = ?1", [&b.profile_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("unknown profile {}", b.profile_id)))?;
        if b.end <= b.start || b.session_minutes == 0 {
            return Err(StoreError::Invalid(format!("block {} is empty or has no session length", b.id)));
        }
        let clash: Option<(String, String)> = self
            .tx
            .prepare_cached(
                "SELECT a.id, p.display_name || ' (' || p.role || ')' FROM availability a JOIN profiles p ON p.id = a.profile_id
                 WHERE a.person_id = ?1 AND a.start_utc < ?2 AND a.end_utc > ?3 AND a.id <> ?4 LIMIT 1",
            )?
            .query_row(params![person, ts(b.end), ts(b.start), b.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((other, who)) = clash {
            let tz = require_center(self.tx).map(|(_, tz)| tz).unwrap_or(chrono_tz::UTC);
            return Err(StoreError::Invalid(format!(
                "block {} on {} at {} overlaps block {} of the same person ({who})",
                b.id,
                time::day_text(tz, b.start),
                time::clock_text(tz, b.start),
                other
            )));
        }
        let kind = if b.kind == BlockKind::DropIn { "drop_in" } else { "appointment" };
        self.tx.execute(
            "INSERT INTO availability (id, profile_id, person_id, start_utc, end_utc, session_minutes, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET start_utc = excluded.start_utc, end_utc = excluded.end_utc,
               session_minutes = excluded.session_minutes, kind = excluded.kind",
            params![b.id, b.profile_id, person, ts(b.start), ts(b.end), b.session_minutes, kind],
        )?;
        record_put(
            self.tx,
            Entity::Availability,
            &b.id,
            &AvailabilityData {
                id: b.id.clone(),
                profile_id: b.profile_id.clone(),
                start: b.start,
                end: b.end,
                session_minutes: b.session_minutes,
                kind: b.kind,
            },
        )
    }

    /// Remove an availability block; kiosks see a tombstone. Booked sessions in it are kept.
    pub fn remove_availability(&self, id: &str) -> StoreResult<bool> {
        let n = self.tx.execute("DELETE FROM availability WHERE id = ?1", [id])?;
        if n > 0 {
            super::record_del(self.tx, Entity::Availability, id)?;
        }
        Ok(n > 0)
    }

    /// Add a student; the card/student number is stored only as its keyed hash.
    pub fn student(&self, s: &NewStudent<'_>, now: DateTime<Utc>) -> StoreResult<String> {
        let NewStudent { card, email, first, last, pin, password } = *s;
        let id = new_id();
        let key = self.store.student_key(card);
        let pin_hash = pin.map(|p| crate::server::auth::hash_password(p, self.hash_cost));
        let pw_hash = password.map(|p| crate::server::auth::hash_password(p, self.hash_cost));
        self.tx.execute(
            "INSERT INTO students (id, student_key, email, first_name, last_name, password_hash, pin_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, key, email, first, last, pw_hash, pin_hash, ts(now)],
        )?;
        Ok(id)
    }

    pub fn terms(&self) -> StoreResult<Vec<Term>> {
        terms_of(self.tx)
    }
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
