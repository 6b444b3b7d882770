//! The wire contract between kiosks and the central server, version 1 (`/api/v1/…`).
//!
//! See `design.md` ("Sync contract"). Names here are shared with other tools: extend, never rename.

use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::{AppointmentStatus, BlockKind, Policy, Role};

/// The kiosk cache schema this build understands; a pull with another one is answered `reset`.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest request body the server reads, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Most mutations accepted in one push.
pub const MAX_MUTATIONS_PER_PUSH: usize = 500;

// ---------------------------------------------------------------- errors

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

// ---------------------------------------------------------------- enrollment and sign-in

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: String,
    pub secret: String,
    /// Key for `student_key`, so the kiosk can match a swipe to an appointment offline.
    pub card_key: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// Email or student number.
    pub login: String,
    /// Password or PIN.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentInfo {
    /// First name and last initial only ("Ana P.").
    pub display_name: String,
    pub student_key: String,
    pub may_book: bool,
    pub no_shows_this_term: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub student: StudentInfo,
}

/// `POST /api/v1/my-appointments` (extension): a signed-in student's own sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MyAppointmentsRequest {
    pub student_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MyAppointmentsResponse {
    pub student: StudentInfo,
    pub appointments: Vec<AppointmentData>,
}

// ---------------------------------------------------------------- pull

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    pub cursor: u64,
    #[serde(default)]
    pub schema_version: Option<u32>,
    /// Most changes wanted in this page (the server caps it).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub cursor: u64,
    pub last_mutation_id: u64,
    pub changes: Vec<Change>,
    pub more: bool,
    pub reset: bool,
    /// The newest change sequence on the server when this page was read (an extension of v1;
    /// older servers leave it out), so a kiosk can show how far a first sync or reset has come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Center,
    Term,
    Course,
    Profile,
    Availability,
    Appointment,
    /// A place in the drop-in line (an extension of v1), for staff's view of the day.
    DropIn,
    /// An entity this build does not know (from a newer server): skipped, never an error.
    #[serde(other)]
    Unknown,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Center => "center",
            Entity::Term => "term",
            Entity::Course => "course",
            Entity::Profile => "profile",
            Entity::Availability => "availability",
            Entity::Appointment => "appointment",
            Entity::DropIn => "drop_in",
            Entity::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "center" => Entity::Center,
            "term" => Entity::Term,
            "course" => Entity::Course,
            "profile" => Entity::Profile,
            "availability" => Entity::Availability,
            "appointment" => Entity::Appointment,
            "drop_in" => Entity::DropIn,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Put,
    Del,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub entity: Entity,
    pub id: String,
    pub op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CenterData {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub policy: Policy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermData {
    pub id: String,
    pub name: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseData {
    pub id: String,
    pub code: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileData {
    pub id: String,
    pub person_id: String,
    pub role: Role,
    pub display_name: String,
    pub bio: String,
    pub course_ids: Vec<String>,
    /// A PNG, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityData {
    pub id: String,
    pub profile_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub session_minutes: u32,
    pub kind: BlockKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentData {
    pub id: String,
    pub profile_id: String,
    pub course_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub student_key: String,
}

/// A place in the drop-in line, as kiosks mirror it: no name, the keyed hash of the card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropInData {
    pub id: String,
    pub course_id: Option<String>,
    pub joined_at: DateTime<Utc>,
    /// "waiting", "left", "helped" or "expired".
    pub status: String,
    pub student_key: String,
}

// ---------------------------------------------------------------- push

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    pub id: u64,
    pub name: String,
    pub args: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
}

/// `{id, ok: {...}}` | `{id, error: {code, message}}` | `{id, already_processed: true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MutationResult {
    Ok { id: u64, ok: serde_json::Value },
    Error { id: u64, error: ErrorBody },
    AlreadyProcessed { id: u64, already_processed: bool },
}

impl MutationResult {
    pub fn id(&self) -> u64 {
        match self {
            MutationResult::Ok { id, .. }
            | MutationResult::Error { id, .. }
            | MutationResult::AlreadyProcessed { id, .. } => *id,
        }
    }
}

/// Mutation names of v1.
pub mod names {
    pub const BOOK: &str = "book";
    pub const CANCEL: &str = "cancel";
    pub const RESCHEDULE: &str = "reschedule";
    pub const CHECK_IN: &str = "check_in";
    pub const DROP_IN_JOIN: &str = "drop_in_join";
    pub const DROP_IN_LEAVE: &str = "drop_in_leave";
    pub const SIGN_OUT: &str = "sign_out";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookArgs {
    pub student_token: String,
    pub profile_id: String,
    pub course_id: String,
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelArgs {
    pub student_token: String,
    pub appointment_id: String,
    /// When the student asked at the kiosk (extension, for cancels queued offline).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleArgs {
    pub student_token: String,
    pub appointment_id: String,
    pub profile_id: String,
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardAtArgs {
    pub card: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropInJoinArgs {
    pub card: String,
    #[serde(default)]
    pub course_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// When the student joined at the kiosk (extension; the server's clock when absent).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropInLeaveArgs {
    pub card: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppointmentAnswer {
    pub appointment: AppointmentData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitData {
    pub id: String,
    pub check_in_at: DateTime<Utc>,
    pub sign_out_at: Option<DateTime<Utc>>,
    /// First name and last initial of the student, for the greeting.
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckInAnswer {
    pub visit: VisitData,
    pub appointment: Option<AppointmentData>,
    /// Whether the check-in was after the grace period.
    #[serde(default)]
    pub late: bool,
    /// `on_time`, `late`, `too_early`, `closed` (too late for the session) or `no_appointment`.
    #[serde(default)]
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntryData {
    pub id: String,
    pub course_id: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub status: String,
    /// 1 for the next student to be helped.
    pub position: u32,
    pub estimated_wait_minutes: u32,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueAnswer {
    pub queue_entry: QueueEntryData,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitAnswer {
    pub visit: VisitData,
}

// ---------------------------------------------------------------- student key

/// The keyed hash that stands for a card on the wire and in caches (hex HMAC-SHA256).
pub fn student_key(card_key: &str, card: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(card_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(card.trim().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_have_the_documented_shapes() {
        let ok = MutationResult::Ok { id: 1, ok: json!({"x": 1}) };
        let err = MutationResult::Error { id: 2, error: ErrorBody { code: "slot_taken".into(), message: "m".into() } };
        let dup = MutationResult::AlreadyProcessed { id: 3, already_processed: true };
        assert_eq!(serde_json::to_value(&ok).unwrap(), json!({"id": 1, "ok": {"x": 1}}));
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"id": 2, "error": {"code": "slot_taken", "message": "m"}})
        );
        assert_eq!(serde_json::to_value(&dup).unwrap(), json!({"id": 3, "already_processed": true}));
        for r in [ok, err, dup] {
            let back: MutationResult = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn student_keys_depend_on_the_key_and_ignore_stray_whitespace() {
        let a = student_key("k1", "0012345678");
        assert_eq!(a, student_key("k1", " 0012345678\n"));
        assert_ne!(a, student_key("k2", "0012345678"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("12345678"));
    }
}
