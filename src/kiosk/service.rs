//! What the screens and the headless commands ask of the kiosk: one code path online and
//! offline. Every action is written to the outbox with its local effect, then pushed at once
//! with a short timeout; if the server does not answer in time, the queued path takes over.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::cache::{Cache, Course, LocalEffect, Tutor};
use super::sync::{INTERACTIVE_TIMEOUT, SyncEngine, SyncError};
use crate::clock::Clock;
use crate::domain::{self, Appointment, AppointmentStatus, CancelDecision, CheckInDecision, Policy, Slot, Standing};
use crate::protocol::{
    AppointmentData, CheckInAnswer, MutationResult, MyAppointmentsRequest, MyAppointmentsResponse, QueueEntryData,
    SessionRequest, SessionResponse, StudentInfo, names, student_key,
};

/// A student signed in at the screen. Kept in memory only, forgotten on idle.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentSession {
    pub token: String,
    pub student: StudentInfo,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInFailure {
    /// The server could not be reached: sign-in needs the network.
    Offline,
    Wrong,
    Locked,
    Other(String),
}

/// How an action ended, for the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// The server confirmed it.
    Done(T),
    /// Saved on this kiosk; it will be delivered when the network is back.
    Queued,
    /// Refused: the code for programs, and the sentence for people.
    Refused { code: String, message: String },
}

/// A check-in as the screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInView {
    pub display_name: Option<String>,
    pub appointment: Option<Appointment>,
    /// From the rules at the moment of the swipe: on time, late, too early, closed, or no appointment.
    pub decision: Option<CheckInDecision>,
    pub delivered: bool,
}

pub struct KioskService {
    cache: Arc<Mutex<Cache>>,
    engine: Arc<SyncEngine>,
    clock: Arc<dyn Clock>,
    card_rule: regex::Regex,
    card_key: String,
    credential_path: Option<std::path::PathBuf>,
}

impl KioskService {
    pub fn new(
        cache: Arc<Mutex<Cache>>,
        engine: Arc<SyncEngine>,
        clock: Arc<dyn Clock>,
        card_pattern: &str,
        card_key: &str,
    ) -> KioskService {
        let card_rule = regex::Regex::new(card_pattern).unwrap_or_else(|_| {
            regex::Regex::new(&super::config::default_card_pattern()).expect("default pattern is valid")
        });
        KioskService { cache, engine, clock, card_rule, card_key: card_key.to_string(), credential_path: None }
    }

    /// Where the device credential lives (so staff can make the kiosk enroll again).
    pub fn with_credential_path(mut self, path: std::path::PathBuf) -> KioskService {
        self.credential_path = Some(path);
        self
    }

    /// Forget this kiosk's enrollment: the next start enrolls with a new code. The outbox stays.
    pub fn forget_enrollment(&self) {
        if let Some(p) = &self.credential_path {
            let aside = p.with_extension("forgotten");
            let _ = std::fs::rename(p, aside);
            tracing::warn!("staff made this kiosk forget its enrollment");
        }
    }

    pub fn engine(&self) -> &Arc<SyncEngine> {
        &self.engine
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The student number in a raw swipe or typed entry, or `None` if it doesn't look like a card.
    pub fn read_card(&self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 128 {
            return None;
        }
        self.card_rule.captures(raw).and_then(|c| c.get(1)).map(|m| m.as_str().to_string())
    }

    pub fn student_key(&self, card: &str) -> String {
        student_key(&self.card_key, card)
    }

    pub fn center(&self) -> Option<(String, Tz, Policy)> {
        self.cache().center().ok().flatten().map(|(c, tz)| (c.name, tz, c.policy))
    }

    pub fn tz(&self) -> Tz {
        self.center().map(|c| c.1).unwrap_or(chrono_tz::America::New_York)
    }

    pub fn policy(&self) -> Policy {
        self.center().map(|c| c.2).unwrap_or_default()
    }

    // ------------------------------------------------------------ reads

    pub fn courses(&self) -> Vec<Course> {
        self.cache().courses().unwrap_or_default()
    }

    pub fn search_courses(&self, q: &str) -> Vec<Course> {
        self.cache().search_courses(q).unwrap_or_default()
    }

    /// The student's place in the drop-in line, if they are waiting (from the cache, so a
    /// student who comes back to leave the line sees it, online or not).
    pub fn place_in_line(&self, card: &str) -> Option<QueueEntryData> {
        let now = self.now();
        let cache = self.cache();
        let place = cache.drop_in_place(&self.student_key(card)).ok().flatten()?;
        let helpers = cache.drop_in_helpers(now).unwrap_or(0);
        Some(QueueEntryData {
            id: place.id,
            course_id: place.course_id,
            joined_at: place.joined_at,
            status: "waiting".into(),
            position: place.ahead + 1,
            estimated_wait_minutes: domain::dropin::estimated_wait_minutes(place.ahead, helpers),
            display_name: String::new(),
        })
    }

    pub fn tutors_for(&self, course_id: &str) -> Vec<Tutor> {
        self.cache().tutors_for(course_id).unwrap_or_default()
    }

    /// Free slots for a course over the next `days` local days, from `lead` after now.
    pub fn slots(&self, course_id: &str, profile_id: Option<&str>, days: u32) -> Vec<Slot> {
        let now = self.now();
        let policy = self.policy();
        let tz = self.tz();
        let from = now + chrono::Duration::minutes(i64::from(policy.booking_lead_minutes));
        let last =
            domain::time::local_date(tz, now) + chrono::Days::new(u64::from(days.min(policy.booking_horizon_days)) + 1);
        let to = domain::time::start_of_local_day(tz, last);
        self.cache().free_slots(course_id, profile_id, from, to).unwrap_or_default()
    }

    // ------------------------------------------------------------ sending

    /// Queue a mutation with its local effect, then try to deliver it while the student waits.
    async fn act(
        &self,
        name: &str,
        args: Value,
        summary: &str,
        effect: LocalEffect,
    ) -> Result<Option<MutationResult>, SyncError> {
        let id = self.cache().enqueue(name, &args, summary, &effect, self.now())?;
        self.engine.refresh_counts();
        let delivered = self.engine.push_pending(INTERACTIVE_TIMEOUT).await;
        let found = match delivered {
            Ok(results) => results.into_iter().find(|r| r.id() == id),
            Err(SyncError::Offline(why)) => {
                self.engine.note_offline(&why);
                None
            }
            Err(e) => return Err(e),
        };
        // Answered by an earlier push (e.g. the timer's): the answer is in the outbox.
        let found = match found {
            Some(MutationResult::AlreadyProcessed { .. }) | None => {
                self.cache().outbox_entry(id)?.and_then(|e| e.result)
            }
            other => other,
        };
        if found.is_none() {
            self.engine.wake();
        }
        Ok(found)
    }

    /// A swipe or typed number at any screen. Works offline: the check-in is queued and the
    /// cached appointment is shown as checked in.
    pub async fn check_in(&self, card: &str) -> Result<CheckInView, SyncError> {
        let now = self.now();
        let key = self.student_key(card);
        let policy = self.policy();
        let tz = self.tz();
        let today = self.cache().appointments_today(&key, now, tz)?;
        let matched = domain::checkin::best_match_for_check_in(&today, now, &policy).cloned();
        let decision = matched.as_ref().map(|a| domain::decide_check_in(a, now, &policy));
        let effect = match (&matched, &decision) {
            (Some(a), Some(d)) if d.accepted() => LocalEffect::CheckIn { appointment_id: a.id.clone() },
            _ => LocalEffect::None,
        };
        let args = json!({ "card": card, "at": now });
        let answer = self.act(names::CHECK_IN, args, "Check-in", effect).await?;
        match answer {
            Some(MutationResult::Ok { ok, .. }) => {
                let a: CheckInAnswer = serde_json::from_value(ok).map_err(|e| SyncError::Garbage(e.to_string()))?;
                let appointment = a.appointment.map(from_data);
                let decision = appointment.as_ref().map(|appt| {
                    // The server already changed the status; judge the window on the booked one.
                    let booked = Appointment { status: AppointmentStatus::Booked, ..appt.clone() };
                    domain::decide_check_in(&booked, now, &policy)
                });
                Ok(CheckInView { display_name: Some(a.visit.display_name), appointment, decision, delivered: true })
            }
            Some(MutationResult::Error { error, .. }) => {
                Err(SyncError::Refused { status: 200, code: error.code, message: error.message })
            }
            _ => Ok(CheckInView { display_name: None, appointment: matched, decision, delivered: false }),
        }
    }

    /// Sign in with student number or email and PIN or password. Needs the network.
    pub async fn sign_in(&self, login: &str, secret: &str) -> Result<StudentSession, SignInFailure> {
        let req = SessionRequest { login: login.trim().to_string(), secret: secret.to_string() };
        match self.engine.client().post::<SessionResponse>("/api/v1/session", &req, INTERACTIVE_TIMEOUT).await {
            Ok(r) => Ok(StudentSession { token: r.token, student: r.student, expires_at: r.expires_at }),
            Err(SyncError::Offline(_)) => Err(SignInFailure::Offline),
            Err(SyncError::Refused { code, .. }) if code == "wrong_credentials" => Err(SignInFailure::Wrong),
            Err(SyncError::Refused { code, .. }) if code == "locked_out" => Err(SignInFailure::Locked),
            Err(e) => Err(SignInFailure::Other(e.to_string())),
        }
    }

    /// The student's sessions: from the server when online, else from the cache.
    pub async fn my_appointments(&self, s: &StudentSession) -> (Vec<Appointment>, bool) {
        let req = MyAppointmentsRequest { student_token: s.token.clone() };
        match self
            .engine
            .client()
            .post::<MyAppointmentsResponse>("/api/v1/my-appointments", &req, INTERACTIVE_TIMEOUT)
            .await
        {
            Ok(r) => (r.appointments.into_iter().map(from_data).filter(|a| a.end > self.now()).collect(), true),
            Err(_) => (self.cache().appointments_of(&s.student.student_key, self.now()).unwrap_or_default(), false),
        }
    }

    /// Check a booking against the cached rules first, for an instant answer.
    pub fn precheck_booking(
        &self,
        s: &StudentSession,
        profile_id: &str,
        course_id: &str,
        start: DateTime<Utc>,
    ) -> Result<(), (String, String)> {
        let policy = self.policy();
        let tz = self.tz();
        let now = self.now();
        let cache = self.cache();
        let Some(tutor) = cache.tutor(profile_id).ok().flatten() else {
            return Err(("unknown_profile".into(), "That tutor is no longer listed.".into()));
        };
        let standing = if s.student.may_book {
            Standing::Active { no_shows: s.student.no_shows_this_term }
        } else {
            Standing::BookingSuspended { count: s.student.no_shows_this_term, since: now }
        };
        let mine = cache.appointments_of(&s.student.student_key, now - chrono::Duration::days(1)).unwrap_or_default();
        let day = chrono::Duration::days(1);
        let slots = cache.free_slots(course_id, Some(profile_id), start - day, start + day).unwrap_or_default();
        let blocks: Vec<domain::AvailabilityBlock> = slots
            .iter()
            .filter(|sl| sl.start == start)
            .map(|sl| domain::AvailabilityBlock {
                id: "cached".into(),
                profile_id: sl.profile_id.clone(),
                start: sl.start,
                end: sl.end,
                session_minutes: (sl.end - sl.start).num_minutes() as u32,
                kind: domain::BlockKind::Appointment,
            })
            .collect();
        let refusal = domain::check_booking(
            domain::BookingRequest { profile: &tutor.profile, course_id, start },
            domain::BookingContext {
                standing: &standing,
                student_appointments: &mine,
                profile_blocks: &blocks,
                person_appointments: &[],
                replacing: None,
                tz,
            },
            now,
            &policy,
        );
        match refusal {
            Ok(_) => Ok(()),
            // Not in the free list: someone else holds it, as far as this cache knows.
            Err(domain::BookingRefusal::OutsideAvailability) => {
                Err(("slot_taken".into(), domain::BookingRefusal::SlotTaken.message(&policy)))
            }
            Err(r) => Err((r.code().into(), r.message(&policy))),
        }
    }

    pub async fn book(
        &self,
        s: &StudentSession,
        profile_id: &str,
        course_id: &str,
        start: DateTime<Utc>,
    ) -> Result<Outcome<Appointment>, SyncError> {
        if let Err((code, message)) = self.precheck_booking(s, profile_id, course_id, start) {
            return Ok(Outcome::Refused { code, message });
        }
        let args =
            json!({ "student_token": s.token, "profile_id": profile_id, "course_id": course_id, "start": start });
        let r = self.act(names::BOOK, args, "Booking request", LocalEffect::None).await?;
        Ok(appointment_outcome(r))
    }

    /// The cancel decision at this moment, for the policy line shown before the tap.
    pub fn cancel_decision(&self, a: &Appointment) -> CancelDecision {
        domain::decide_cancel(a, self.now(), self.tz(), &self.policy())
    }

    pub async fn cancel(&self, s: &StudentSession, a: &Appointment) -> Result<Outcome<Appointment>, SyncError> {
        let d = self.cancel_decision(a);
        if !d.allowed_at_kiosk() {
            let code = d.refusal_code().unwrap_or("cancel_window_closed").to_string();
            return Ok(Outcome::Refused { code, message: d.explain(self.now(), self.tz(), &self.policy()) });
        }
        let status = d.resulting_status().unwrap_or(AppointmentStatus::Cancelled);
        let args = json!({ "student_token": s.token, "appointment_id": a.id, "at": self.now() });
        let effect = LocalEffect::Cancel { appointment_id: a.id.clone(), status };
        let r = self.act(names::CANCEL, args, "Cancellation", effect).await?;
        Ok(appointment_outcome(r))
    }

    pub async fn reschedule(
        &self,
        s: &StudentSession,
        a: &Appointment,
        profile_id: &str,
        start: DateTime<Utc>,
    ) -> Result<Outcome<Appointment>, SyncError> {
        let d = self.cancel_decision(a);
        if !d.allowed_at_kiosk() {
            let code = d.refusal_code().unwrap_or("cancel_window_closed").to_string();
            return Ok(Outcome::Refused { code, message: d.explain(self.now(), self.tz(), &self.policy()) });
        }
        let args =
            json!({ "student_token": s.token, "appointment_id": a.id, "profile_id": profile_id, "start": start });
        let r = self.act(names::RESCHEDULE, args, "Move a session", LocalEffect::None).await?;
        Ok(appointment_outcome(r))
    }

    pub async fn drop_in_join(
        &self,
        card: &str,
        course_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Outcome<QueueEntryData>, SyncError> {
        let args = json!({ "card": card, "course_id": course_id, "reason": reason, "at": self.now() });
        let r = self.act(names::DROP_IN_JOIN, args, "Drop-in sign-in", LocalEffect::None).await?;
        Ok(queue_outcome(r))
    }

    pub async fn drop_in_leave(&self, card: &str) -> Result<Outcome<QueueEntryData>, SyncError> {
        let r =
            self.act(names::DROP_IN_LEAVE, json!({ "card": card }), "Left the drop-in line", LocalEffect::None).await?;
        Ok(queue_outcome(r))
    }

    pub async fn sign_out(&self, card: &str) -> Result<Outcome<()>, SyncError> {
        let r =
            self.act(names::SIGN_OUT, json!({ "card": card, "at": self.now() }), "Sign-out", LocalEffect::None).await?;
        Ok(match r {
            Some(MutationResult::Ok { .. }) => Outcome::Done(()),
            Some(MutationResult::Error { error, .. }) => Outcome::Refused { code: error.code, message: error.message },
            _ => Outcome::Queued,
        })
    }

    // ------------------------------------------------------------ staff mode

    /// Wrong staff PINs so far and the lock, kept in the cache so a restart does not clear them.
    pub fn staff_lock(&self) -> (u32, Option<DateTime<Utc>>) {
        let c = self.cache();
        let failures = c.state("staff_pin_failures").ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(0);
        let until = c
            .state("staff_locked_until")
            .ok()
            .flatten()
            .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > self.now());
        (failures, until)
    }

    /// Record a staff PIN attempt; returns the lock if this attempt set one.
    pub fn staff_pin_attempt(&self, ok: bool, limit: u32, lock_minutes: i64) -> Option<DateTime<Utc>> {
        let mut c = self.cache();
        if ok {
            let _ = c.set_state("staff_pin_failures", "0");
            return None;
        }
        let failures =
            c.state("staff_pin_failures").ok().flatten().and_then(|v| v.parse::<u32>().ok()).unwrap_or(0) + 1;
        if failures >= limit {
            let until = self.now() + chrono::Duration::minutes(lock_minutes);
            let _ = c.set_state("staff_pin_failures", "0");
            let _ = c.set_state("staff_locked_until", &until.to_rfc3339());
            tracing::warn!("staff mode locked after {limit} wrong PINs");
            Some(until)
        } else {
            let _ = c.set_state("staff_pin_failures", &failures.to_string());
            None
        }
    }

    pub fn out_of_service(&self) -> Option<String> {
        self.cache().state("out_of_service").ok().flatten().filter(|m| !m.is_empty())
    }

    pub fn set_out_of_service(&self, message: Option<&str>) {
        let _ = self.cache().set_state("out_of_service", message.unwrap_or(""));
        tracing::info!(out_of_service = message.is_some(), "staff changed the kiosk's service state");
    }

    /// Wipe the cached schedule and take everything again; the outbox and identity stay.
    pub async fn reset_cache(&self, max: Duration) -> Result<super::sync::SyncReport, SyncError> {
        self.cache().clear_mirror()?;
        tracing::info!("staff reset the kiosk cache");
        self.engine.refresh_counts();
        self.engine.sync_once(max).await
    }

    /// Wait at most `max` for a sync pass (used by headless commands).
    pub async fn sync_now(&self, max: Duration) -> Result<super::sync::SyncReport, SyncError> {
        self.engine.sync_once(max).await
    }
}

pub fn from_data(a: AppointmentData) -> Appointment {
    Appointment {
        id: a.id,
        profile_id: a.profile_id,
        course_id: a.course_id,
        start: a.start,
        end: a.end,
        status: a.status,
        student_key: a.student_key,
    }
}

fn appointment_outcome(r: Option<MutationResult>) -> Outcome<Appointment> {
    match r {
        Some(MutationResult::Ok { ok, .. }) => {
            match ok.get("appointment").cloned().and_then(|a| serde_json::from_value::<AppointmentData>(a).ok()) {
                Some(a) => Outcome::Done(from_data(a)),
                None => Outcome::Queued,
            }
        }
        Some(MutationResult::Error { error, .. }) => Outcome::Refused { code: error.code, message: error.message },
        _ => Outcome::Queued,
    }
}

fn queue_outcome(r: Option<MutationResult>) -> Outcome<QueueEntryData> {
    match r {
        Some(MutationResult::Ok { ok, .. }) => {
            match ok.get("queue_entry").cloned().and_then(|q| serde_json::from_value(q).ok()) {
                Some(q) => Outcome::Done(q),
                None => Outcome::Queued,
            }
        }
        Some(MutationResult::Error { error, .. }) => Outcome::Refused { code: error.code, message: error.message },
        _ => Outcome::Queued,
    }
}
