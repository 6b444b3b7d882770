//! The effect of each v1 mutation, run inside the push's write transaction.
//! Rules are decided by `crate::domain`; this module only loads facts and writes outcomes.

use chrono::{DateTime, Days, Duration, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::sync::{Device, MutationError};
use super::{Store, StoreError, StoreResult, from_ts, new_id, record_del, record_put, require_center, terms_of, ts};
use crate::domain::{
    self, Appointment, AppointmentStatus, AvailabilityBlock, BlockKind, BookingContext, BookingRequest, CancelDecision,
    CheckInDecision, Policy, Profile, Role, Standing, StudentRecord, time,
};
use crate::protocol::{
    AppointmentAnswer, AppointmentData, BookArgs, CancelArgs, CardAtArgs, CheckInAnswer, DropInData, DropInJoinArgs,
    DropInLeaveArgs, Entity, QueueAnswer, QueueEntryData, RescheduleArgs, StudentInfo, VisitAnswer, VisitData, names,
};

/// A business rejection: the mutation is processed, nothing changed, and the code is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

fn reject(code: &'static str, message: impl Into<String>) -> MutationError {
    MutationError::Rejected(Rejection { code, message: message.into() })
}

/// Mutation names this server applies.
pub const KNOWN: [&str; 7] = [
    names::BOOK,
    names::CANCEL,
    names::RESCHEDULE,
    names::CHECK_IN,
    names::DROP_IN_JOIN,
    names::DROP_IN_LEAVE,
    names::SIGN_OUT,
];

fn args<T: DeserializeOwned>(v: &Value) -> Result<T, MutationError> {
    serde_json::from_value(v.clone()).map_err(|e| reject("bad_args", format!("the request was not understood: {e}")))
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, MutationError> {
    serde_json::to_value(v).map_err(|e| MutationError::Store(StoreError::Invalid(e.to_string())))
}

pub(crate) fn apply(
    c: &Connection,
    store: &Store,
    device: &Device,
    m: &crate::protocol::Mutation,
    now: DateTime<Utc>,
) -> Result<Value, MutationError> {
    match m.name.as_str() {
        names::BOOK => to_value(&book(c, device, &args(&m.args)?, now)?),
        names::CANCEL => to_value(&cancel(c, device, &args(&m.args)?, now)?),
        names::RESCHEDULE => to_value(&reschedule(c, device, &args(&m.args)?, now)?),
        names::CHECK_IN => to_value(&check_in(c, store, device, &args(&m.args)?, now)?),
        names::DROP_IN_JOIN => to_value(&drop_in_join(c, store, &args(&m.args)?, now)?),
        names::DROP_IN_LEAVE => to_value(&drop_in_leave(c, store, &args(&m.args)?, now)?),
        names::SIGN_OUT => to_value(&sign_out(c, store, &args(&m.args)?, now)?),
        _ => Err(reject("unknown_mutation", format!("unknown mutation {}", m.name))),
    }
}

/// A kiosk-supplied time, kept within sane bounds of the server's clock.
fn client_time(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match at {
        Some(t) if t <= now && t >= now - Duration::days(7) => t,
        _ => now,
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

// ---------------------------------------------------------------- loading facts

pub(crate) fn display_name(first: &str, last: &str) -> String {
    match last.trim().chars().next() {
        Some(i) => format!("{} {}.", first.trim(), i.to_uppercase()),
        None => first.trim().to_string(),
    }
}

struct Student {
    id: String,
    key: String,
    display_name: String,
}

fn student_by_id(c: &Connection, id: &str) -> StoreResult<Option<Student>> {
    Ok(c.prepare_cached("SELECT id, student_key, first_name, last_name FROM students WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(Student {
                id: r.get(0)?,
                key: r.get(1)?,
                display_name: display_name(&r.get::<_, String>(2)?, &r.get::<_, String>(3)?),
            })
        })
        .optional()?)
}

fn student_by_card(c: &Connection, store: &Store, card: &str) -> Result<Student, MutationError> {
    let card = card.trim();
    if card.is_empty() || card.len() > 64 {
        return Err(reject("unknown_card", "That card was not recognised."));
    }
    let key = store.student_key(card);
    let id: Option<String> = c
        .prepare_cached("SELECT id FROM students WHERE student_key = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => Ok(student_by_id(c, &id)?.expect("just found")),
        None => Err(reject("unknown_card", "That card was not recognised.")),
    }
}

/// The student signed in with `token` on this device at `at`. A session is valid from its sign-in
/// to its expiry, so a queued action can't be dated before the student signed in.
fn student_by_token(c: &Connection, device: &Device, token: &str, at: DateTime<Utc>) -> Result<Student, MutationError> {
    let id: Option<String> = c
        .prepare_cached(
            "SELECT student_id FROM student_sessions
             WHERE token_hash = ?1 AND device_id = ?2 AND expires_at >= ?3 AND expires_at - ?4 <= ?3",
        )?
        .query_row(
            params![crate::server::auth::hash_secret(token), device.id, ts(at), super::sync::SESSION_HOURS * 3600],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => Ok(student_by_id(c, &id)?.expect("session rows reference students")),
        None => Err(reject("session_expired", "Your sign-in has expired. Please sign in again.")),
    }
}

fn appointment_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Appointment, String)> {
    let status: String = r.get(5)?;
    Ok((
        Appointment {
            id: r.get(0)?,
            profile_id: r.get(1)?,
            course_id: r.get(2)?,
            start: from_ts(r.get(3)?),
            end: from_ts(r.get(4)?),
            status: AppointmentStatus::parse(&status).unwrap_or(AppointmentStatus::Excused),
            student_key: r.get(6)?,
        },
        r.get(7)?,
    ))
}

const APPOINTMENT_COLUMNS: &str =
    "a.id, a.profile_id, a.course_id, a.start_utc, a.end_utc, a.status, s.student_key, a.student_id
     FROM appointments a JOIN students s ON s.id = a.student_id";

fn appointment(c: &Connection, id: &str) -> StoreResult<Option<(Appointment, String)>> {
    Ok(c.prepare_cached(&format!("SELECT {APPOINTMENT_COLUMNS} WHERE a.id = ?1"))?
        .query_row([id], appointment_from_row)
        .optional()?)
}

fn appointments_where(c: &Connection, clause: &str, p: impl rusqlite::Params) -> StoreResult<Vec<Appointment>> {
    let mut st = c.prepare_cached(&format!("SELECT {APPOINTMENT_COLUMNS} WHERE {clause}"))?;
    let rows = st.query_map(p, appointment_from_row)?;
    Ok(rows.map(|r| r.map(|(a, _)| a)).collect::<Result<Vec<_>, _>>()?)
}

pub(crate) fn appointment_data(a: &Appointment) -> AppointmentData {
    AppointmentData {
        id: a.id.clone(),
        profile_id: a.profile_id.clone(),
        course_id: a.course_id.clone(),
        start: a.start,
        end: a.end,
        status: a.status,
        student_key: a.student_key.clone(),
    }
}

pub(crate) fn profile(c: &Connection, id: &str) -> StoreResult<Option<Profile>> {
    let row = c
        .prepare_cached("SELECT id, person_id, role, display_name, bio FROM profiles WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?;
    let Some((id, person_id, role, display_name, bio)) = row else { return Ok(None) };
    let mut st = c.prepare_cached("SELECT course_id FROM profile_courses WHERE profile_id = ?1 ORDER BY course_id")?;
    let course_ids = st.query_map([&id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    let role: Role = serde_json::from_value(Value::String(role)).unwrap_or(Role::Tutor);
    Ok(Some(Profile { id, person_id, role, display_name, bio, course_ids }))
}

fn blocks_at(c: &Connection, profile_id: &str, at: DateTime<Utc>) -> StoreResult<Vec<AvailabilityBlock>> {
    let mut st = c.prepare_cached(
        "SELECT id, profile_id, start_utc, end_utc, session_minutes, kind FROM availability
         WHERE profile_id = ?1 AND start_utc <= ?2 AND end_utc > ?2",
    )?;
    let rows = st.query_map(params![profile_id, ts(at)], |r| {
        let kind: String = r.get(5)?;
        Ok(AvailabilityBlock {
            id: r.get(0)?,
            profile_id: r.get(1)?,
            start: from_ts(r.get(2)?),
            end: from_ts(r.get(3)?),
            session_minutes: r.get(4)?,
            kind: if kind == "drop_in" { BlockKind::DropIn } else { BlockKind::Appointment },
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// No-shows and overrides that count for the student's standing at `now`.
pub(crate) fn standing_of(
    c: &Connection,
    student_id: &str,
    now: DateTime<Utc>,
    tz: Tz,
    policy: &Policy,
) -> StoreResult<(Standing, Option<domain::Term>)> {
    let terms = terms_of(c)?;
    let Some(term) = domain::term_for(time::local_date(tz, now), &terms).cloned() else {
        return Ok((Standing::Active { no_shows: 0 }, None));
    };
    let mut record = StudentRecord::default();
    let mut st = c.prepare_cached("SELECT start_utc FROM appointments WHERE student_id = ?1 AND status = 'no_show'")?;
    for t in st.query_map([student_id], |r| r.get::<_, i64>(0))? {
        record.no_shows.push(from_ts(t?));
    }
    let mut st = c.prepare_cached("SELECT at FROM overrides WHERE student_id = ?1 AND term_id = ?2")?;
    for t in st.query_map(params![student_id, term.id], |r| r.get::<_, i64>(0))? {
        record.overrides.push(from_ts(t?));
    }
    Ok((domain::standing(&record, &term, tz, policy), Some(term)))
}

pub(crate) fn student_info(c: &Connection, student_id: &str, now: DateTime<Utc>) -> StoreResult<StudentInfo> {
    let (_, tz) = require_center(c)?;
    let policy = require_center(c)?.0.policy;
    let s = student_by_id(c, student_id)?.ok_or_else(|| StoreError::Invalid("unknown student".into()))?;
    let (standing, _) = standing_of(c, student_id, now, tz, &policy)?;
    let no_shows = match standing {
        Standing::Active { no_shows } => no_shows,
        Standing::BookingSuspended { count, .. } => count,
    };
    Ok(StudentInfo {
        display_name: s.display_name,
        student_key: s.key,
        may_book: standing.may_book(),
        no_shows_this_term: no_shows,
    })
}

fn history(
    c: &Connection,
    appointment_id: &str,
    status: AppointmentStatus,
    at: DateTime<Utc>,
    actor: &str,
    note: Option<&str>,
) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO appointment_history (appointment_id, status, at, actor, note) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![appointment_id, status.as_str(), ts(at), actor, note])?;
    Ok(())
}

/// Change an appointment's status, with its history row and change-feed entry.
pub(crate) fn set_status(
    c: &Connection,
    a: &mut Appointment,
    status: AppointmentStatus,
    at: DateTime<Utc>,
    actor: &str,
    note: Option<&str>,
) -> StoreResult<()> {
    c.prepare_cached("UPDATE appointments SET status = ?1, updated_at = ?2 WHERE id = ?3")?.execute(params![
        status.as_str(),
        ts(at),
        a.id
    ])?;
    a.status = status;
    history(c, &a.id, status, at, actor, note)?;
    record_put(c, Entity::Appointment, &a.id, &appointment_data(a))
}

// ---------------------------------------------------------------- book, cancel, move

fn book(c: &Connection, device: &Device, a: &BookArgs, now: DateTime<Utc>) -> Result<AppointmentAnswer, MutationError> {
    let student = student_by_token(c, device, &a.student_token, now)?;
    let appt =
        book_for(c, &student, &a.profile_id, &a.course_id, a.start, None, now, &format!("device:{}", device.id))?;
    Ok(AppointmentAnswer { appointment: appointment_data(&appt) })
}

#[allow(clippy::too_many_arguments)]
fn book_for(
    c: &Connection,
    student: &Student,
    profile_id: &str,
    course_id: &str,
    start: DateTime<Utc>,
    replacing: Option<&str>,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Appointment, MutationError> {
    let (center, tz) = require_center(c)?;
    let policy = center.policy;
    // A start years away is refused before any date arithmetic could overflow on it.
    let ahead = start.signed_duration_since(now);
    if ahead > Duration::days(3660) {
        return Err(reject(
            domain::BookingRefusal::BeyondHorizon.code(),
            domain::BookingRefusal::BeyondHorizon.message(&policy),
        ));
    }
    if ahead < -Duration::days(3660) {
        return Err(reject(domain::BookingRefusal::TooSoon.code(), domain::BookingRefusal::TooSoon.message(&policy)));
    }
    let Some(profile) = profile(c, profile_id)? else {
        return Err(reject("unknown_profile", "That tutor is no longer listed."));
    };
    let (standing, _) = standing_of(c, &student.id, now, tz, &policy)?;
    let mine = appointments_where(
        c,
        "a.student_id = ?1 AND a.status IN ('booked', 'checked_in') AND a.end_utc > ?2",
        params![student.id, ts(now - Duration::days(1))],
    )?;
    let blocks = blocks_at(c, &profile.id, start)?;
    let person = appointments_where(
        c,
        "a.person_id = ?1 AND a.status IN ('booked', 'checked_in') AND a.start_utc < ?2 AND a.end_utc > ?3",
        params![profile.person_id, ts(start + Duration::days(1)), ts(start - Duration::days(1))],
    )?;
    let session = domain::check_booking(
        BookingRequest { profile: &profile, course_id, start },
        BookingContext {
            standing: &standing,
            student_appointments: &mine,
            profile_blocks: &blocks,
            person_appointments: &person,
            replacing,
            tz,
        },
        now,
        &policy,
    )
    .map_err(|r| reject(r.code(), r.message(&policy)))?;

    let appt = Appointment {
        id: new_id(),
        profile_id: profile.id.clone(),
        course_id: course_id.to_string(),
        start: session.start,
        end: session.end,
        status: AppointmentStatus::Booked,
        student_key: student.key.clone(),
    };
    let inserted = c
        .prepare_cached(
            "INSERT INTO appointments (id, profile_id, person_id, course_id, student_id, start_utc, end_utc, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'booked', ?8, ?8)",
        )?
        .execute(params![appt.id, appt.profile_id, profile.person_id, appt.course_id, student.id, ts(appt.start), ts(appt.end), ts(now)]);
    match inserted {
        Ok(_) => {}
        // The partial UNIQUE index is the last word on double booking.
        Err(e) if is_unique_violation(&e) => {
            return Err(reject("slot_taken", domain::BookingRefusal::SlotTaken.message(&policy)));
        }
        Err(e) => return Err(e.into()),
    }
    history(c, &appt.id, AppointmentStatus::Booked, now, actor, None)?;
    record_put(c, Entity::Appointment, &appt.id, &appointment_data(&appt))?;
    Ok(appt)
}

fn own_appointment(c: &Connection, student: &Student, id: &str) -> Result<Appointment, MutationError> {
    match appointment(c, id)? {
        Some((a, owner)) if owner == student.id => Ok(a),
        _ => Err(reject("unknown_appointment", "That session was not found among your bookings.")),
    }
}

fn cancel_decided(c: &Connection, a: &mut Appointment, at: DateTime<Utc>, actor: &str) -> Result<(), MutationError> {
    let (center, tz) = require_center(c)?;
    let policy = center.policy;
    let decision = domain::decide_cancel(a, at, tz, &policy);
    if !decision.allowed_at_kiosk() {
        let code = decision.refusal_code().unwrap_or("cancel_window_closed");
        return Err(reject(code, decision.explain(at, tz, &policy)));
    }
    let status = decision.resulting_status().expect("allowed decisions record a status");
    let note = matches!(decision, CancelDecision::Late { .. }).then_some("late cancellation");
    set_status(c, a, status, at, actor, note)?;
    Ok(())
}

fn cancel(
    c: &Connection,
    device: &Device,
    a: &CancelArgs,
    now: DateTime<Utc>,
) -> Result<AppointmentAnswer, MutationError> {
    let at = client_time(a.at, now);
    let student = student_by_token(c, device, &a.student_token, at)?;
    let mut appt = own_appointment(c, &student, &a.appointment_id)?;
    cancel_decided(c, &mut appt, at, "student")?;
    Ok(AppointmentAnswer { appointment: appointment_data(&appt) })
}

fn reschedule(
    c: &Connection,
    device: &Device,
    a: &RescheduleArgs,
    now: DateTime<Utc>,
) -> Result<AppointmentAnswer, MutationError> {
    let student = student_by_token(c, device, &a.student_token, now)?;
    let mut old = own_appointment(c, &student, &a.appointment_id)?;
    let course = old.course_id.clone();
    // Both happen in this one transaction: if the new booking is refused, the old one stands.
    let actor = format!("device:{}", device.id);
    cancel_decided(c, &mut old, now, "student (moved)")?;
    let new = book_for(c, &student, &a.profile_id, &course, a.start, Some(&old.id), now, &actor)?;
    Ok(AppointmentAnswer { appointment: appointment_data(&new) })
}

// ---------------------------------------------------------------- visits and drop-in

fn open_visit(c: &Connection, student_id: &str) -> StoreResult<Option<(String, i64)>> {
    Ok(c.prepare_cached(
        "SELECT id, check_in_at FROM visits WHERE student_id = ?1 AND sign_out_at IS NULL ORDER BY check_in_at DESC LIMIT 1",
    )?
    .query_row([student_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?)
}

fn check_in(
    c: &Connection,
    store: &Store,
    device: &Device,
    a: &CardAtArgs,
    now: DateTime<Utc>,
) -> Result<CheckInAnswer, MutationError> {
    let at = client_time(Some(a.at), now);
    let student = student_by_card(c, store, &a.card)?;
    let (center, tz) = require_center(c)?;
    let policy = center.policy;
    let day = time::local_date(tz, at);
    let day_start = time::start_of_local_day(tz, day);
    let day_end = time::start_of_local_day(tz, day.checked_add_days(Days::new(1)).unwrap_or(day));
    let today = appointments_where(
        c,
        "a.student_id = ?1 AND a.start_utc >= ?2 AND a.start_utc < ?3",
        params![student.id, ts(day_start), ts(day_end)],
    )?;
    let matched = domain::checkin::best_match_for_check_in(&today, at, &policy).cloned();
    let (appointment, outcome, late) = match matched {
        None => (None, "no_appointment", false),
        Some(mut appt) => match domain::decide_check_in(&appt, at, &policy) {
            CheckInDecision::OnTime | CheckInDecision::Late { .. } => {
                let late = matches!(domain::decide_check_in(&appt, at, &policy), CheckInDecision::Late { .. });
                c.prepare_cached("UPDATE appointments SET checked_in_at = ?1 WHERE id = ?2")?
                    .execute(params![ts(at), appt.id])?;
                set_status(
                    c,
                    &mut appt,
                    AppointmentStatus::CheckedIn,
                    at,
                    &format!("device:{}", device.id),
                    late.then_some("late"),
                )?;
                (Some(appt), if late { "late" } else { "on_time" }, late)
            }
            CheckInDecision::TooEarly { .. } => (Some(appt), "too_early", false),
            CheckInDecision::Closed | CheckInDecision::NotOpen(_) => (Some(appt), "closed", false),
        },
    };
    // A visit is recorded either way: the student is at the center.
    let visit_id = match open_visit(c, &student.id)? {
        Some((id, _)) => {
            if let Some(appt) = appointment.as_ref().filter(|_| late || outcome == "on_time") {
                c.execute("UPDATE visits SET appointment_id = ?1 WHERE id = ?2", params![appt.id, id])?;
            }
            id
        }
        None => {
            let id = new_id();
            let linked = appointment.as_ref().filter(|_| matches!(outcome, "on_time" | "late")).map(|a| a.id.clone());
            c.prepare_cached(
                "INSERT INTO visits (id, student_id, appointment_id, course_id, check_in_at, device_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id, student.id, linked, appointment.as_ref().map(|a| a.course_id.clone()), ts(at), device.id])?;
            id
        }
    };
    let visit = visit_data(c, &visit_id, &student)?;
    Ok(CheckInAnswer {
        visit,
        appointment: appointment.as_ref().map(appointment_data),
        late,
        outcome: outcome.to_string(),
    })
}

fn visit_data(c: &Connection, id: &str, student: &Student) -> StoreResult<VisitData> {
    let (check_in_at, sign_out_at): (i64, Option<i64>) =
        c.query_row("SELECT check_in_at, sign_out_at FROM visits WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(VisitData {
        id: id.to_string(),
        check_in_at: from_ts(check_in_at),
        sign_out_at: sign_out_at.map(from_ts),
        display_name: student.display_name.clone(),
    })
}

fn sign_out(c: &Connection, store: &Store, a: &CardAtArgs, now: DateTime<Utc>) -> Result<VisitAnswer, MutationError> {
    let at = client_time(Some(a.at), now);
    let student = student_by_card(c, store, &a.card)?;
    let Some((id, check_in_at)) = open_visit(c, &student.id)? else {
        return Err(reject("not_checked_in", "You are not checked in right now, so there is nothing to sign out of."));
    };
    let at = at.max(from_ts(check_in_at));
    c.execute("UPDATE visits SET sign_out_at = ?1, sign_out_reason = 'student' WHERE id = ?2", params![ts(at), id])?;
    // Leaving the building also leaves the drop-in line.
    let waiting: Option<String> = c
        .query_row("SELECT id FROM drop_in_queue WHERE student_id = ?1 AND status = 'waiting'", [&student.id], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(entry) = waiting {
        end_drop_in(c, &entry, "left", at)?;
    }
    Ok(VisitAnswer { visit: visit_data(c, &id, &student)? })
}

/// A place in the drop-in line ends (`left` or `expired`), and the kiosks hear of it.
fn end_drop_in(c: &Connection, id: &str, status: &str, at: DateTime<Utc>) -> StoreResult<()> {
    c.prepare_cached("UPDATE drop_in_queue SET status = ?1, ended_at = ?2 WHERE id = ?3")?.execute(params![
        status,
        ts(at),
        id
    ])?;
    record_drop_in(c, id)
}

/// Put a drop-in entry on the change feed, as kiosks mirror it (no name; the card's keyed hash).
fn record_drop_in(c: &Connection, id: &str) -> StoreResult<()> {
    let data = c
        .prepare_cached(
            "SELECT q.course_id, q.joined_at, q.status, s.student_key FROM drop_in_queue q
             JOIN students s ON s.id = q.student_id WHERE q.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(DropInData {
                id: id.to_string(),
                course_id: r.get(0)?,
                joined_at: from_ts(r.get(1)?),
                status: r.get(2)?,
                student_key: r.get(3)?,
            })
        })?;
    record_put(c, Entity::DropIn, id, &data)
}

fn queue_entry(c: &Connection, id: &str, student: &Student, now: DateTime<Utc>) -> StoreResult<QueueEntryData> {
    let (course_id, joined_at, status): (Option<String>, i64, String) =
        c.query_row("SELECT course_id, joined_at, status FROM drop_in_queue WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let ahead: u32 = c.query_row(
        "SELECT COUNT(*) FROM drop_in_queue WHERE status = 'waiting' AND (joined_at < ?1 OR (joined_at = ?1 AND id < ?2))",
        params![joined_at, id],
        |r| r.get(0),
    )?;
    let helpers: u32 = c.query_row(
        "SELECT COUNT(DISTINCT person_id) FROM availability WHERE kind = 'drop_in' AND start_utc <= ?1 AND end_utc > ?1",
        [ts(now)],
        |r| r.get(0),
    )?;
    Ok(QueueEntryData {
        id: id.to_string(),
        course_id,
        joined_at: from_ts(joined_at),
        status,
        position: ahead + 1,
        estimated_wait_minutes: domain::dropin::estimated_wait_minutes(ahead, helpers),
        display_name: student.display_name.clone(),
    })
}

fn drop_in_join(
    c: &Connection,
    store: &Store,
    a: &DropInJoinArgs,
    now: DateTime<Utc>,
) -> Result<QueueAnswer, MutationError> {
    let at = client_time(a.at, now);
    let student = student_by_card(c, store, &a.card)?;
    if let Some(course) = &a.course_id {
        let known: bool = c.query_row("SELECT EXISTS(SELECT 1 FROM courses WHERE id = ?1)", [course], |r| r.get(0))?;
        if !known {
            return Err(reject("unknown_course", "That course is not offered at the center."));
        }
    }
    let reason = a.reason.as_deref().map(|r| r.chars().take(200).collect::<String>());
    let existing: Option<String> = c
        .query_row("SELECT id FROM drop_in_queue WHERE student_id = ?1 AND status = 'waiting'", [&student.id], |r| {
            r.get(0)
        })
        .optional()?;
    let id = match existing {
        Some(id) => id,
        None => {
            let id = new_id();
            c.execute(
                "INSERT INTO drop_in_queue (id, student_id, course_id, reason, joined_at, status) VALUES (?1, ?2, ?3, ?4, ?5, 'waiting')",
                params![id, student.id, a.course_id, reason, ts(at)],
            )?;
            record_drop_in(c, &id)?;
            id
        }
    };
    Ok(QueueAnswer { queue_entry: queue_entry(c, &id, &student, now)? })
}

fn drop_in_leave(
    c: &Connection,
    store: &Store,
    a: &DropInLeaveArgs,
    now: DateTime<Utc>,
) -> Result<QueueAnswer, MutationError> {
    let student = student_by_card(c, store, &a.card)?;
    let Some(id): Option<String> = c
        .query_row("SELECT id FROM drop_in_queue WHERE student_id = ?1 AND status = 'waiting'", [&student.id], |r| {
            r.get(0)
        })
        .optional()?
    else {
        return Err(reject("not_in_line", "You are not in the drop-in line right now."));
    };
    end_drop_in(c, &id, "left", now)?;
    Ok(QueueAnswer { queue_entry: queue_entry(c, &id, &student, now)? })
}

// ---------------------------------------------------------------- reads for signed-in students

impl Store {
    /// A signed-in student's own sessions from yesterday on, soonest first.
    pub fn my_appointments(
        &self,
        device: &Device,
        token: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(StudentInfo, Vec<AppointmentData>)>> {
        self.read(|c| {
            let student = match student_by_token(c, device, token, now) {
                Ok(s) => s,
                Err(_) => return Ok(None),
            };
            let list = appointments_where(
                c,
                "a.student_id = ?1 AND a.end_utc > ?2 ORDER BY a.start_utc",
                params![student.id, ts(now - Duration::days(1))],
            )?;
            Ok(Some((student_info(c, &student.id, now)?, list.iter().map(appointment_data).collect())))
        })
    }

    /// Mark every booked appointment whose check-in window has closed as a no-show. Idempotent.
    pub fn sweep_no_shows(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        self.write(|tx| {
            let (center, _) = require_center(tx)?;
            let cutoff = now - Duration::minutes(i64::from(center.policy.no_show_after_minutes));
            let due = appointments_where(tx, "a.status = 'booked' AND a.start_utc <= ?1", [ts(cutoff)])?;
            let due: Vec<Appointment> = domain::no_show_sweep(&due, now, &center.policy).into_iter().cloned().collect();
            for mut a in due.iter().cloned() {
                set_status(tx, &mut a, AppointmentStatus::NoShow, now, "system", Some("not checked in"))?;
            }
            Ok(due.len())
        })
    }

    /// Sign out visits left open longer than the policy allows (no 9-hour visits).
    pub fn auto_sign_out(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        self.write(|tx| {
            let (center, _) = require_center(tx)?;
            let max = i64::from(center.policy.auto_sign_out_minutes) * 60;
            Ok(tx.execute(
                "UPDATE visits SET sign_out_at = check_in_at + ?1, sign_out_reason = 'automatic'
                 WHERE sign_out_at IS NULL AND check_in_at + ?1 <= ?2",
                params![max, ts(now)],
            )?)
        })
    }

    /// Expire drop-in entries still waiting past the policy's limit.
    pub fn expire_drop_ins(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        self.write(|tx| {
            let (center, _) = require_center(tx)?;
            let max = i64::from(center.policy.drop_in_expire_minutes) * 60;
            let ids: Vec<String> = tx
                .prepare_cached("SELECT id FROM drop_in_queue WHERE status = 'waiting' AND joined_at + ?1 <= ?2")?
                .query_map(params![max, ts(now)], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in &ids {
                end_drop_in(tx, id, "expired", now)?;
            }
            // Entries that ended over a day ago leave the kiosks' copy (the table keeps them).
            let old: Vec<String> = tx
                .prepare_cached(
                    "SELECT q.id FROM drop_in_queue q
                     JOIN changes ch ON ch.entity = 'drop_in' AND ch.entity_id = q.id AND ch.op = 'put'
                     WHERE q.status <> 'waiting' AND q.ended_at < ?1",
                )?
                .query_map([ts(now) - 86_400], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in &old {
                record_del(tx, Entity::DropIn, id)?;
            }
            Ok(ids.len())
        })
    }
}
