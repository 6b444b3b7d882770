//! Check-in windows and the no-show sweep.

use chrono::{DateTime, Duration, Utc};

use super::model::{Appointment, AppointmentStatus};
use super::policy::Policy;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInDecision {
    /// Too early: the window opens at `opens_at`.
    TooEarly { opens_at: DateTime<Utc> },
    /// In time.
    OnTime,
    /// Checked in, but more than the grace period after the start.
    Late { minutes_late: i64 },
    /// The window has closed; the session is (or will be swept as) a no-show.
    Closed,
    /// Cancelled, already checked in, or otherwise settled.
    NotOpen(AppointmentStatus),
}

impl CheckInDecision {
    pub fn accepted(&self) -> bool {
        matches!(self, CheckInDecision::OnTime | CheckInDecision::Late { .. })
    }
}

pub fn decide_check_in(a: &Appointment, now: DateTime<Utc>, policy: &Policy) -> CheckInDecision {
    if a.status != AppointmentStatus::Booked {
        return CheckInDecision::NotOpen(a.status);
    }
    let opens_at = a.start - Duration::minutes(i64::from(policy.check_in_opens_minutes));
    if now < opens_at {
        return CheckInDecision::TooEarly { opens_at };
    }
    if now >= no_show_at(a, policy) {
        return CheckInDecision::Closed;
    }
    let late_at = a.start + Duration::minutes(i64::from(policy.late_after_minutes));
    if now > late_at {
        return CheckInDecision::Late { minutes_late: (now - a.start).num_minutes() };
    }
    CheckInDecision::OnTime
}

/// The instant a booked, unchecked appointment becomes a no-show.
pub fn no_show_at(a: &Appointment, policy: &Policy) -> DateTime<Utc> {
    a.start + Duration::minutes(i64::from(policy.no_show_after_minutes))
}

/// The appointments that have become no-shows at `now`: still `booked`, window closed.
/// Never one that was checked in, cancelled or excused, so running it twice changes nothing.
pub fn no_show_sweep<'a>(appointments: &'a [Appointment], now: DateTime<Utc>, policy: &Policy) -> Vec<&'a Appointment> {
    appointments.iter().filter(|a| a.status == AppointmentStatus::Booked && now >= no_show_at(a, policy)).collect()
}

/// Today's appointment a swipe at `now` is most likely for: the booked one whose check-in window
/// is open, else the next booked one later today (to say "too early"), else none.
pub fn best_match_for_check_in<'a>(
    mine: &'a [Appointment],
    now: DateTime<Utc>,
    policy: &Policy,
) -> Option<&'a Appointment> {
    let mut open: Vec<&Appointment> = mine.iter().filter(|a| decide_check_in(a, now, policy).accepted()).collect();
    open.sort_by_key(|a| a.start);
    if let Some(a) = open.first() {
        return Some(a);
    }
    mine.iter().filter(|a| a.status == AppointmentStatus::Booked && a.start > now).min_by_key(|a| a.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn appt(id: &str, start: &str, status: AppointmentStatus) -> Appointment {
        let start = t(start);
        Appointment {
            id: id.into(),
            profile_id: "p".into(),
            course_id: "c".into(),
            start,
            end: start + Duration::minutes(30),
            status,
            student_key: "k".into(),
        }
    }

    #[test]
    fn check_in_window_boundaries() {
        let p = Policy::default();
        let a = appt("a", "2026-10-14T14:00:00Z", AppointmentStatus::Booked);
        use CheckInDecision as D;
        let cases = [
            ("2026-10-14T13:44:59Z", D::TooEarly { opens_at: t("2026-10-14T13:45:00Z") }),
            ("2026-10-14T13:45:00Z", D::OnTime),
            ("2026-10-14T14:05:00Z", D::OnTime),
            ("2026-10-14T14:05:01Z", D::Late { minutes_late: 5 }),
            ("2026-10-14T14:14:59Z", D::Late { minutes_late: 14 }),
            ("2026-10-14T14:15:00Z", D::Closed),
        ];
        for (now, want) in cases {
            assert_eq!(decide_check_in(&a, t(now), &p), want, "at {now}");
        }
    }

    #[test]
    fn the_sweep_takes_only_booked_sessions_past_the_window() {
        let p = Policy::default();
        use AppointmentStatus::*;
        let all = vec![
            appt("due", "2026-10-14T14:00:00Z", Booked),
            appt("in", "2026-10-14T14:00:00Z", CheckedIn),
            appt("cx", "2026-10-14T14:00:00Z", Cancelled),
            appt("late", "2026-10-14T14:00:00Z", LateCancelled),
            appt("ex", "2026-10-14T14:00:00Z", Excused),
            appt("soon", "2026-10-14T14:01:00Z", Booked),
        ];
        let ids = |now| no_show_sweep(&all, t(now), &p).iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids("2026-10-14T14:14:59Z"), Vec::<String>::new());
        assert_eq!(ids("2026-10-14T14:15:00Z"), vec!["due"]);
        assert_eq!(ids("2026-10-14T14:16:00Z"), vec!["due", "soon"]);
    }

    #[test]
    fn a_swipe_matches_the_open_session_first() {
        let p = Policy::default();
        use AppointmentStatus::*;
        let mine = vec![appt("later", "2026-10-14T18:00:00Z", Booked), appt("now", "2026-10-14T14:00:00Z", Booked)];
        assert_eq!(best_match_for_check_in(&mine, t("2026-10-14T13:50:00Z"), &p).unwrap().id, "now");
        assert_eq!(best_match_for_check_in(&mine, t("2026-10-14T15:00:00Z"), &p).unwrap().id, "later");
        assert!(best_match_for_check_in(&mine, t("2026-10-14T19:00:00Z"), &p).is_none());
    }
}
