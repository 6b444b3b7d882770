//! May this appointment be cancelled now, and how will it be recorded?

use chrono::{DateTime, Days, Duration, Utc};
use chrono_tz::Tz;

use super::model::{Appointment, AppointmentStatus};
use super::policy::{LateCancelAt, Policy};
use super::time;

/// The answer for one appointment at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelDecision {
    /// Free cancellation, recorded as `cancelled`; open until (not including) `closes_at`.
    Free { closes_at: DateTime<Utc> },
    /// Past the free window but early enough: recorded as `late_cancelled`, not as a no-show.
    /// When `at_kiosk` is false the center's policy sends the student to the front desk.
    Late { at_kiosk: bool },
    /// Too close to the start: it will count as a missed session unless staff excuse it.
    TooLate,
    /// The session has already started or ended.
    Started,
    /// Already cancelled, checked in, or settled.
    NotCancellable(AppointmentStatus),
}

/// The first instant at which free self-cancel is no longer allowed.
///
/// With the default policy that is the end of the minute 23:59 on the local day before the
/// session, i.e. local midnight of the session's day; 23:59:59 is still free.
pub fn free_cancel_closes_at(start: DateTime<Utc>, tz: Tz, policy: &Policy) -> DateTime<Utc> {
    let session_day = time::local_date(tz, start);
    let day = session_day.checked_sub_days(Days::new(u64::from(policy.self_cancel_days_before))).unwrap_or(session_day);
    time::at_local(tz, day, policy.self_cancel_until) + Duration::minutes(1)
}

/// Decide a self-cancel of `appointment` at `now`.
pub fn decide_cancel(appointment: &Appointment, now: DateTime<Utc>, tz: Tz, policy: &Policy) -> CancelDecision {
    if appointment.status != AppointmentStatus::Booked {
        return CancelDecision::NotCancellable(appointment.status);
    }
    if now >= appointment.start {
        return CancelDecision::Started;
    }
    let closes_at = free_cancel_closes_at(appointment.start, tz, policy);
    if now < closes_at {
        return CancelDecision::Free { closes_at };
    }
    let late_limit = appointment.start - Duration::minutes(i64::from(policy.late_cancel_min_minutes));
    if now <= late_limit {
        return CancelDecision::Late { at_kiosk: policy.late_cancel == LateCancelAt::Kiosk };
    }
    CancelDecision::TooLate
}

impl CancelDecision {
    /// Whether the kiosk may record this cancellation itself.
    pub fn allowed_at_kiosk(&self) -> bool {
        matches!(self, CancelDecision::Free { .. } | CancelDecision::Late { at_kiosk: true })
    }

    /// The status a cancellation records, when one is possible at all.
    pub fn resulting_status(&self) -> Option<AppointmentStatus> {
        match self {
            CancelDecision::Free { .. } => Some(AppointmentStatus::Cancelled),
            CancelDecision::Late { .. } => Some(AppointmentStatus::LateCancelled),
            _ => None,
        }
    }

    /// The stable code a refusal is sent with; `None` when the kiosk may go ahead.
    pub fn refusal_code(&self) -> Option<&'static str> {
        match self {
            CancelDecision::Free { .. } | CancelDecision::Late { at_kiosk: true } => None,
            CancelDecision::Late { at_kiosk: false } => Some("late_cancel_front_desk"),
            CancelDecision::TooLate => Some("cancel_window_closed"),
            CancelDecision::Started => Some("session_started"),
            CancelDecision::NotCancellable(_) => Some("not_cancellable"),
        }
    }

    /// The policy in words, said *before* the student taps Cancel.
    pub fn explain(&self, now: DateTime<Utc>, tz: Tz, policy: &Policy) -> String {
        match self {
            CancelDecision::Free { closes_at } => {
                let last = *closes_at - Duration::minutes(1);
                format!(
                    "Free to cancel until {} {}.",
                    time::clock_text(tz, last),
                    if time::local_date(tz, last) == time::local_date(tz, now) {
                        "tonight".to_string()
                    } else {
                        time::relative_day_text(tz, last, now)
                    }
                )
            }
            CancelDecision::Late { at_kiosk: true } => format!(
                "This will be recorded as a late cancellation. It does not count as a missed \
                 session, because it is at least {} before the start.",
                hours_text(policy.late_cancel_min_minutes)
            ),
            CancelDecision::Late { at_kiosk: false } => {
                "It is too late to cancel here — please see the front desk, who can record it as a \
                 late cancellation so it does not count as a missed session."
                    .to_string()
            }
            CancelDecision::TooLate => "Too late to cancel here — please see the front desk. \
                 Otherwise it will count as a missed session."
                .to_string(),
            CancelDecision::Started => "This session has already started.".to_string(),
            CancelDecision::NotCancellable(status) => match status {
                AppointmentStatus::Cancelled | AppointmentStatus::LateCancelled => {
                    "This session is already cancelled.".to_string()
                }
                AppointmentStatus::CheckedIn => "You are already checked in for this session.".to_string(),
                _ => "This session can no longer be changed.".to_string(),
            },
        }
    }
}

/// "2 hours", "90 minutes".
pub fn hours_text(minutes: u32) -> String {
    match minutes {
        60 => "1 hour".to_string(),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        1 => "1 minute".to_string(),
        m => format!("{m} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::resolve_local;
    use chrono::NaiveDateTime;
    use chrono_tz::America::New_York;

    fn local(s: &str) -> DateTime<Utc> {
        resolve_local(New_York, NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    fn appt(start: &str) -> Appointment {
        let start = local(start);
        Appointment {
            id: "a1".into(),
            profile_id: "p1".into(),
            course_id: "c1".into(),
            start,
            end: start + Duration::minutes(30),
            status: AppointmentStatus::Booked,
            student_key: "k".into(),
        }
    }

    #[test]
    fn every_boundary_of_the_cancel_windows() {
        let p = Policy::default();
        let a = appt("2026-10-14 10:00:00");
        use CancelDecision as D;
        let cases: &[(&str, D)] = &[
            ("2026-10-12 09:00:00", D::Free { closes_at: local("2026-10-14 00:00:00") }),
            ("2026-10-13 23:59:59", D::Free { closes_at: local("2026-10-14 00:00:00") }),
            ("2026-10-14 00:00:00", D::Late { at_kiosk: true }),
            ("2026-10-14 08:00:00", D::Late { at_kiosk: true }), // exactly 2 h before
            ("2026-10-14 08:00:01", D::TooLate),                 // 2 h less 1 s
            ("2026-10-14 09:59:59", D::TooLate),
            ("2026-10-14 10:00:00", D::Started),
        ];
        for (now, want) in cases {
            assert_eq!(&decide_cancel(&a, local(now), New_York, &p), want, "at {now}");
        }
    }

    #[test]
    fn front_desk_policy_refers_late_cancels() {
        let p = Policy { late_cancel: LateCancelAt::FrontDesk, ..Policy::default() };
        let a = appt("2026-10-14 10:00:00");
        let d = decide_cancel(&a, local("2026-10-14 07:00:00"), New_York, &p);
        assert_eq!(d, CancelDecision::Late { at_kiosk: false });
        assert!(!d.allowed_at_kiosk());
        assert_eq!(d.refusal_code(), Some("late_cancel_front_desk"));
    }

    #[test]
    fn an_early_morning_session_cutoff_is_midnight_not_the_same_day() {
        let p = Policy::default();
        let a = appt("2026-10-14 00:30:00");
        assert_eq!(
            decide_cancel(&a, local("2026-10-13 23:59:00"), New_York, &p),
            CancelDecision::Free { closes_at: local("2026-10-14 00:00:00") }
        );
        // 30 min before the start is past the late window too.
        assert_eq!(decide_cancel(&a, local("2026-10-14 00:00:00"), New_York, &p), CancelDecision::TooLate);
    }

    #[test]
    fn the_cutoff_on_a_dst_change_day_is_one_instant() {
        // A session Monday 2026-11-02 09:00 EST; the night before is fall-back Sunday.
        let p = Policy::default();
        let a = appt("2026-11-02 09:00:00");
        let closes = free_cancel_closes_at(a.start, New_York, &p);
        assert_eq!(closes.to_rfc3339(), "2026-11-02T05:00:00+00:00"); // midnight EST
        // A cutoff configured at 01:30 on fall-back day itself is the first 01:30 (EDT).
        let p = Policy { self_cancel_until: chrono::NaiveTime::from_hms_opt(1, 30, 0).unwrap(), ..p };
        let a = appt("2026-11-02 09:00:00");
        assert_eq!(free_cancel_closes_at(a.start, New_York, &p).to_rfc3339(), "2026-11-01T05:31:00+00:00");
    }

    #[test]
    fn the_cutoff_on_spring_forward_night_is_one_instant_too() {
        // A session Monday 2026-03-09 09:00 EDT; the night before is spring-forward Sunday.
        let p = Policy::default();
        let a = appt("2026-03-09 09:00:00");
        let closes = free_cancel_closes_at(a.start, New_York, &p);
        assert_eq!(closes.to_rfc3339(), "2026-03-09T04:00:00+00:00"); // midnight EDT
        assert!(matches!(
            decide_cancel(&a, closes - chrono::Duration::seconds(1), New_York, &p),
            CancelDecision::Free { .. }
        ));
        assert!(!matches!(decide_cancel(&a, closes, New_York, &p), CancelDecision::Free { .. }));
        // A cutoff at 02:30, a time that does not exist that Sunday, is the moment clocks jump
        // (03:00 EDT); the cutoff minute itself is still free, so it closes a minute later.
        let p = Policy { self_cancel_until: chrono::NaiveTime::from_hms_opt(2, 30, 0).unwrap(), ..p };
        assert_eq!(free_cancel_closes_at(a.start, New_York, &p).to_rfc3339(), "2026-03-08T07:01:00+00:00");
    }

    #[test]
    fn settled_appointments_cannot_be_cancelled() {
        let p = Policy::default();
        for status in [AppointmentStatus::Cancelled, AppointmentStatus::CheckedIn, AppointmentStatus::NoShow] {
            let a = Appointment { status, ..appt("2026-10-14 10:00:00") };
            let d = decide_cancel(&a, local("2026-10-12 10:00:00"), New_York, &p);
            assert_eq!(d, CancelDecision::NotCancellable(status));
            assert!(!d.explain(local("2026-10-12 10:00:00"), New_York, &p).is_empty());
        }
    }

    #[test]
    fn the_policy_is_stated_in_words_before_the_tap() {
        let p = Policy::default();
        let a = appt("2026-10-14 10:00:00");
        let say = |now: &str| {
            let now = local(now);
            decide_cancel(&a, now, New_York, &p).explain(now, New_York, &p)
        };
        assert_eq!(say("2026-10-13 15:00:00"), "Free to cancel until 11:59 PM tonight.");
        assert_eq!(say("2026-10-12 15:00:00"), "Free to cancel until 11:59 PM tomorrow.");
        assert!(say("2026-10-14 07:00:00").contains("recorded as a late cancellation"));
        assert!(say("2026-10-14 09:00:00").contains("please see the front desk"));
        assert!(say("2026-10-14 09:00:00").contains("missed session"));
    }
}
