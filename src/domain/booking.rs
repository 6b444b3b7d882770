//! Can this student book this slot now? One distinct refusal per rule.

use chrono::{DateTime, Days, Duration, Utc};
use chrono_tz::Tz;

use super::availability::block_sessions;
use super::model::{Appointment, AvailabilityBlock, BlockKind, Interval, Profile};
use super::policy::Policy;
use super::standing::Standing;
use super::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingRefusal {
    BookingSuspended,
    CourseNotOffered,
    OutsideAvailability,
    BeyondHorizon,
    TooSoon,
    SlotTaken,
    OverlapsOwnSession,
    TooManyBookings,
}

pub const ALL_BOOKING_REFUSALS: [BookingRefusal; 8] = [
    BookingRefusal::BookingSuspended,
    BookingRefusal::CourseNotOffered,
    BookingRefusal::OutsideAvailability,
    BookingRefusal::BeyondHorizon,
    BookingRefusal::TooSoon,
    BookingRefusal::SlotTaken,
    BookingRefusal::OverlapsOwnSession,
    BookingRefusal::TooManyBookings,
];

impl BookingRefusal {
    /// The stable machine code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            BookingRefusal::BookingSuspended => "booking_suspended",
            BookingRefusal::CourseNotOffered => "course_not_offered",
            BookingRefusal::OutsideAvailability => "outside_availability",
            BookingRefusal::BeyondHorizon => "beyond_horizon",
            BookingRefusal::TooSoon => "too_soon",
            BookingRefusal::SlotTaken => "slot_taken",
            BookingRefusal::OverlapsOwnSession => "overlaps_own_session",
            BookingRefusal::TooManyBookings => "too_many_bookings",
        }
    }

    /// The refusal in plain words for the student, with the center's numbers in it.
    pub fn message(self, policy: &Policy) -> String {
        match self {
            BookingRefusal::BookingSuspended => "Booking is paused for you this term because of missed sessions. \
                 Drop-in help is still open, and the front desk can tell you how to ask the director to restore booking."
                .to_string(),
            BookingRefusal::CourseNotOffered => {
                "This tutor doesn't offer sessions for that course. Please pick another tutor.".to_string()
            }
            BookingRefusal::OutsideAvailability => {
                "That time isn't one of this tutor's session times. Please pick a time from the list.".to_string()
            }
            BookingRefusal::BeyondHorizon => format!(
                "Sessions can be booked up to {} days ahead. Please pick an earlier day.",
                policy.booking_horizon_days
            ),
            BookingRefusal::TooSoon => format!(
                "Sessions must be booked at least {} before they start. For help right now, try drop-in help.",
                super::cancel::hours_text(policy.booking_lead_minutes)
            ),
            BookingRefusal::SlotTaken => "Someone just booked that time. Please pick another one.".to_string(),
            BookingRefusal::OverlapsOwnSession => {
                "You already have a session at that time. Please pick another time.".to_string()
            }
            BookingRefusal::TooManyBookings => format!(
                "You already have {} upcoming sessions, the most you can hold at once. \
                 You can book another after one of them.",
                policy.max_upcoming_bookings
            ),
        }
    }
}

/// What the student asks for.
#[derive(Debug, Clone, Copy)]
pub struct BookingRequest<'a> {
    pub profile: &'a Profile,
    pub course_id: &'a str,
    pub start: DateTime<Utc>,
}

/// What the check needs to know.
#[derive(Debug, Clone, Copy)]
pub struct BookingContext<'a> {
    pub standing: &'a Standing,
    /// The student's own appointments (any status; settled ones are ignored).
    pub student_appointments: &'a [Appointment],
    /// Availability blocks of the requested profile.
    pub profile_blocks: &'a [AvailabilityBlock],
    /// Appointments of the same *person*, under every role profile.
    pub person_appointments: &'a [Appointment],
    /// When moving a session: the appointment being replaced, which does not count against limits.
    pub replacing: Option<&'a str>,
    pub tz: Tz,
}

/// Check a booking at `now`; on success, the session's interval.
pub fn check_booking(
    req: BookingRequest<'_>,
    ctx: BookingContext<'_>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Interval, BookingRefusal> {
    if !ctx.standing.may_book() {
        return Err(BookingRefusal::BookingSuspended);
    }
    if !req.profile.course_ids.iter().any(|c| c == req.course_id) {
        return Err(BookingRefusal::CourseNotOffered);
    }
    // Overlapping blocks of one profile may cut the same start into sessions of different
    // lengths; any of them will do, so prefer one the person is free for.
    let candidates: Vec<Interval> = ctx
        .profile_blocks
        .iter()
        .filter(|b| b.profile_id == req.profile.id && b.kind == BlockKind::Appointment)
        .filter(|b| b.start <= req.start && req.start < b.end)
        .filter_map(|b| block_sessions(b).find(|s| s.start == req.start))
        .collect();
    let Some(first) = candidates.first().copied() else {
        return Err(BookingRefusal::OutsideAvailability);
    };
    let today = time::local_date(ctx.tz, now);
    let last_day = today.checked_add_days(Days::new(u64::from(policy.booking_horizon_days))).unwrap_or(today);
    if time::local_date(ctx.tz, first.start) > last_day {
        return Err(BookingRefusal::BeyondHorizon);
    }
    if first.start < now + Duration::minutes(i64::from(policy.booking_lead_minutes)) {
        return Err(BookingRefusal::TooSoon);
    }
    let counts = |a: &&Appointment| a.status.holds_slot() && Some(a.id.as_str()) != ctx.replacing;
    let session = candidates
        .into_iter()
        .find(|s| !ctx.person_appointments.iter().filter(counts).any(|a| a.interval().overlaps(s)))
        .ok_or(BookingRefusal::SlotTaken)?;
    let mine: Vec<&Appointment> = ctx.student_appointments.iter().filter(counts).collect();
    if mine.iter().any(|a| a.interval().overlaps(&session)) {
        return Err(BookingRefusal::OverlapsOwnSession);
    }
    let upcoming = mine.iter().filter(|a| a.end > now).count();
    if upcoming >= policy.max_upcoming_bookings as usize {
        return Err(BookingRefusal::TooManyBookings);
    }
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{AppointmentStatus, Role};
    use chrono_tz::America::New_York;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    struct World {
        profile: Profile,
        blocks: Vec<AvailabilityBlock>,
        person: Vec<Appointment>,
        mine: Vec<Appointment>,
        standing: Standing,
    }

    fn appt(id: &str, profile: &str, start: &str, who: &str) -> Appointment {
        Appointment {
            id: id.into(),
            profile_id: profile.into(),
            course_id: "math".into(),
            start: t(start),
            end: t(start) + Duration::minutes(30),
            status: AppointmentStatus::Booked,
            student_key: who.into(),
        }
    }

    fn world() -> World {
        World {
            profile: Profile {
                id: "maya-tutor".into(),
                person_id: "maya".into(),
                role: Role::Tutor,
                display_name: "Maya R.".into(),
                bio: String::new(),
                course_ids: vec!["math".into()],
            },
            // Oct 14–31, 13:00–21:00 UTC every day (9–5 EDT).
            blocks: (14..=31)
                .map(|day| AvailabilityBlock {
                    id: format!("b{day}"),
                    profile_id: "maya-tutor".into(),
                    start: t(&format!("2026-10-{day}T13:00:00Z")),
                    end: t(&format!("2026-10-{day}T21:00:00Z")),
                    session_minutes: 30,
                    kind: BlockKind::Appointment,
                })
                .collect(),
            person: vec![appt("other", "maya-si", "2026-10-15T15:00:00Z", "someone")],
            mine: vec![],
            standing: Standing::Active { no_shows: 0 },
        }
    }

    fn check(w: &World, course: &str, start: &str, now: &str) -> Result<Interval, BookingRefusal> {
        check_booking(
            BookingRequest { profile: &w.profile, course_id: course, start: t(start) },
            BookingContext {
                standing: &w.standing,
                student_appointments: &w.mine,
                profile_blocks: &w.blocks,
                person_appointments: &w.person,
                replacing: None,
                tz: New_York,
            },
            t(now),
            &Policy::default(),
        )
    }

    #[test]
    fn each_rule_has_its_own_refusal() {
        use BookingRefusal::*;
        let now = "2026-10-14T12:00:00Z"; // 8:00 EDT Wednesday
        let mut w = world();
        assert!(check(&w, "math", "2026-10-15T14:00:00Z", now).is_ok());
        assert_eq!(check(&w, "chem", "2026-10-15T14:00:00Z", now), Err(CourseNotOffered));
        assert_eq!(check(&w, "math", "2026-10-15T14:10:00Z", now), Err(OutsideAvailability));
        assert_eq!(check(&w, "math", "2026-10-15T21:00:00Z", now), Err(OutsideAvailability));
        // 14 days ahead is the 28th local; the 29th is beyond.
        assert!(check(&w, "math", "2026-10-28T20:30:00Z", now).is_ok());
        assert_eq!(check(&w, "math", "2026-10-29T13:00:00Z", now), Err(BeyondHorizon));
        // Lead time: exactly 1 h is fine, less is too soon.
        assert!(check(&w, "math", "2026-10-14T13:00:00Z", now).is_ok());
        assert_eq!(check(&w, "math", "2026-10-14T13:00:00Z", "2026-10-14T12:00:01Z"), Err(TooSoon));
        // The same person is booked under the SI role at 15:00.
        assert_eq!(check(&w, "math", "2026-10-15T15:00:00Z", now), Err(SlotTaken));

        w.mine.push(appt("m1", "li-tutor", "2026-10-16T14:00:00Z", "me"));
        assert_eq!(check(&w, "math", "2026-10-16T14:00:00Z", now), Err(OverlapsOwnSession));
        w.mine.push(appt("m2", "li-tutor", "2026-10-17T14:00:00Z", "me"));
        w.mine.push(appt("m3", "li-tutor", "2026-10-18T14:00:00Z", "me"));
        assert_eq!(check(&w, "math", "2026-10-20T14:00:00Z", now), Err(TooManyBookings));
        // A cancelled one frees a place.
        w.mine[2].status = AppointmentStatus::Cancelled;
        assert!(check(&w, "math", "2026-10-20T14:00:00Z", now).is_ok());

        w.standing = Standing::BookingSuspended { count: 3, since: t("2026-10-01T14:00:00Z") };
        assert_eq!(check(&w, "math", "2026-10-20T14:00:00Z", now), Err(BookingSuspended));
    }

    #[test]
    fn moving_a_session_does_not_count_the_one_being_moved() {
        let mut w = world();
        w.mine = vec![
            appt("m1", "maya-tutor", "2026-10-16T14:00:00Z", "me"),
            appt("m2", "li-tutor", "2026-10-17T14:00:00Z", "me"),
            appt("m3", "li-tutor", "2026-10-18T14:00:00Z", "me"),
        ];
        w.person.push(w.mine[0].clone());
        let r = check_booking(
            BookingRequest { profile: &w.profile, course_id: "math", start: t("2026-10-16T14:00:00Z") },
            BookingContext {
                standing: &w.standing,
                student_appointments: &w.mine,
                profile_blocks: &w.blocks,
                person_appointments: &w.person,
                replacing: Some("m1"),
                tz: New_York,
            },
            t("2026-10-14T12:00:00Z"),
            &Policy::default(),
        );
        assert!(r.is_ok(), "{r:?}");
    }

    #[test]
    fn overlapping_blocks_with_different_grids_offer_the_free_length() {
        // Found by proptest: a 30-min grid and a 15-min grid share 13:45; the 30-min session
        // would run into a 14:00 booking, the 15-min one is free and must be accepted.
        let mut w = world();
        w.blocks = vec![
            AvailabilityBlock {
                id: "long".into(),
                profile_id: "maya-tutor".into(),
                start: t("2026-10-15T11:15:00Z"),
                end: t("2026-10-15T14:45:00Z"),
                session_minutes: 30,
                kind: BlockKind::Appointment,
            },
            AvailabilityBlock {
                id: "short".into(),
                profile_id: "maya-tutor".into(),
                start: t("2026-10-15T13:45:00Z"),
                end: t("2026-10-15T14:30:00Z"),
                session_minutes: 15,
                kind: BlockKind::Appointment,
            },
        ];
        w.person = vec![appt("x", "maya-si", "2026-10-15T14:00:00Z", "other")];
        let got = check(&w, "math", "2026-10-15T13:45:00Z", "2026-10-14T12:00:00Z").unwrap();
        assert_eq!(got.end, t("2026-10-15T14:00:00Z"));
    }

    #[test]
    fn every_refusal_has_a_code_and_plain_words() {
        let p = Policy::default();
        let mut codes = std::collections::HashSet::new();
        for r in ALL_BOOKING_REFUSALS {
            assert!(codes.insert(r.code()));
            let m = r.message(&p);
            assert!(m.len() > 20 && m.ends_with('.'), "{m}");
            assert!(!m.contains('_'), "no codes in words: {m}");
        }
    }
}
