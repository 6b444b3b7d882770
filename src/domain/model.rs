//! The center's things, as plain data shared by both halves and the wire.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What role a profile is for. One person may hold several (a tutor who is also an SI leader).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Tutor,
    SiLeader,
    WritingConsultant,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Tutor => "Tutor",
            Role::SiLeader => "SI leader",
            Role::WritingConsultant => "Writing consultant",
        }
    }
}

/// One role of one person, as students see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    pub person_id: String,
    pub role: Role,
    pub display_name: String,
    pub bio: String,
    pub course_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Appointment,
    DropIn,
}

/// A stretch of time a profile is available, cut into sessions of `session_minutes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityBlock {
    pub id: String,
    pub profile_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub session_minutes: u32,
    pub kind: BlockKind,
}

impl AvailabilityBlock {
    pub fn interval(&self) -> Interval {
        Interval::new(self.start, self.end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    CheckedIn,
    Cancelled,
    LateCancelled,
    NoShow,
    /// A no-show (or too-late cancel) that staff excused: it does not count.
    Excused,
}

impl AppointmentStatus {
    /// Still holds its slot (the tutor's time is taken).
    pub fn holds_slot(self) -> bool {
        matches!(self, AppointmentStatus::Booked | AppointmentStatus::CheckedIn)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::CheckedIn => "checked_in",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::LateCancelled => "late_cancelled",
            AppointmentStatus::NoShow => "no_show",
            AppointmentStatus::Excused => "excused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "booked" => AppointmentStatus::Booked,
            "checked_in" => AppointmentStatus::CheckedIn,
            "cancelled" => AppointmentStatus::Cancelled,
            "late_cancelled" => AppointmentStatus::LateCancelled,
            "no_show" => AppointmentStatus::NoShow,
            "excused" => AppointmentStatus::Excused,
            _ => return None,
        })
    }
}

/// A booked session. `student_key` is a keyed hash of the student's card, never the card itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: String,
    pub profile_id: String,
    pub course_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub student_key: String,
}

impl Appointment {
    pub fn interval(&self) -> Interval {
        Interval::new(self.start, self.end)
    }
}

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    pub fn minutes(start: DateTime<Utc>, minutes: u32) -> Self {
        Self::new(start, start + Duration::minutes(i64::from(minutes)))
    }

    /// Two half-open spans overlap when each starts before the other ends.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// A bookable session time offered to students.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub profile_id: String,
    pub person_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Slot {
    pub fn interval(&self) -> Interval {
        Interval::new(self.start, self.end)
    }
}

/// An academic term; `first_day..=last_day` in the center's local dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub id: String,
    pub name: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Term {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }
}

/// The term a local date falls in, if any.
pub fn term_for(date: NaiveDate, terms: &[Term]) -> Option<&Term> {
    terms.iter().find(|t| t.contains(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_open_intervals_touching_do_not_overlap() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let a = Interval::minutes(t0, 30);
        let b = Interval::minutes(a.end, 30);
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        assert!(a.overlaps(&Interval::minutes(t0 + Duration::minutes(29), 30)));
    }

    #[test]
    fn the_term_boundary_is_inclusive_on_both_days() {
        let fall = Term {
            id: "f".into(),
            name: "Fall".into(),
            first_day: NaiveDate::from_ymd_opt(2026, 8, 24).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap(),
        };
        let spring = Term {
            id: "s".into(),
            name: "Spring".into(),
            first_day: NaiveDate::from_ymd_opt(2027, 1, 11).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2027, 5, 7).unwrap(),
        };
        let terms = [fall, spring];
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(term_for(d(2026, 12, 18), &terms).map(|t| t.id.as_str()), Some("f"));
        assert_eq!(term_for(d(2026, 12, 19), &terms), None);
        assert_eq!(term_for(d(2027, 1, 11), &terms).map(|t| t.id.as_str()), Some("s"));
    }

    #[test]
    fn status_names_round_trip() {
        use AppointmentStatus::*;
        for s in [Booked, CheckedIn, Cancelled, LateCancelled, NoShow, Excused] {
            assert_eq!(AppointmentStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
    }
}
