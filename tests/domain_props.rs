//! Invariants of the pure rules, over generated schedules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use tutorkiosk::domain::booking::ALL_BOOKING_REFUSALS;
use tutorkiosk::domain::*;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 12, 12, 0, 0).unwrap()
}

/// Three people; person 0 holds two role profiles.
fn profiles() -> Vec<Profile> {
    let p = |id: &str, person: &str, role| Profile {
        id: id.into(),
        person_id: person.into(),
        role,
        display_name: id.into(),
        bio: String::new(),
        course_ids: vec!["math".into()],
    };
    vec![
        p("a-tutor", "a", Role::Tutor),
        p("a-si", "a", Role::SiLeader),
        p("b-tutor", "b", Role::Tutor),
        p("c-tutor", "c", Role::Tutor),
    ]
}

fn block_strategy() -> impl Strategy<Value = AvailabilityBlock> {
    (0usize..4, 0i64..(3 * 24 * 4), 1i64..20, prop_oneof![Just(15u32), Just(30), Just(45), Just(60)]).prop_map(
        |(profile, quarter, len_quarters, session)| {
            let ids = ["a-tutor", "a-si", "b-tutor", "c-tutor"];
            let start = base() + Duration::minutes(quarter * 15);
            AvailabilityBlock {
                id: format!("blk-{profile}-{quarter}-{len_quarters}"),
                profile_id: ids[profile].into(),
                start,
                end: start + Duration::minutes(len_quarters * 15),
                session_minutes: session,
                kind: BlockKind::Appointment,
            }
        },
    )
}

fn appointment_strategy() -> impl Strategy<Value = Appointment> {
    (0usize..4, 0i64..(3 * 24 * 12), prop_oneof![Just(20i64), Just(30), Just(60)], any::<bool>()).prop_map(
        |(profile, five, len, cancelled)| {
            let ids = ["a-tutor", "a-si", "b-tutor", "c-tutor"];
            let start = base() + Duration::minutes(five * 5);
            Appointment {
                id: format!("apt-{profile}-{five}"),
                profile_id: ids[profile].into(),
                course_id: "math".into(),
                start,
                end: start + Duration::minutes(len),
                status: if cancelled { AppointmentStatus::Cancelled } else { AppointmentStatus::Booked },
                student_key: "k".into(),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_slots_never_overlap_each_other_for_a_person_or_a_booking(
        blocks in proptest::collection::vec(block_strategy(), 0..30),
        appts in proptest::collection::vec(appointment_strategy(), 0..30),
    ) {
        let profiles = profiles();
        let slots = free_slots(&profiles, &blocks, &appts, base(), base() + Duration::days(4), |_| true);
        for (i, a) in slots.iter().enumerate() {
            // never over a booked appointment of the same person, under any role
            for ap in appts.iter().filter(|ap| ap.status.holds_slot()) {
                let person = &profiles.iter().find(|p| p.id == ap.profile_id).unwrap().person_id;
                if person == &a.person_id {
                    prop_assert!(!a.interval().overlaps(&ap.interval()), "{a:?} overlaps {ap:?}");
                }
            }
            // a person is never offered two overlapping slots, across roles
            for b in &slots[i + 1..] {
                if a.person_id == b.person_id {
                    prop_assert!(!a.interval().overlaps(&b.interval()), "{a:?} overlaps {b:?}");
                }
            }
            // and every slot lies inside a block of its own profile
            prop_assert!(blocks.iter().any(|b| b.profile_id == a.profile_id && b.interval().contains(&a.interval())));
        }
    }

    #[test]
    fn every_free_slot_passes_the_booking_check(
        blocks in proptest::collection::vec(block_strategy(), 0..20),
        appts in proptest::collection::vec(appointment_strategy(), 0..20),
    ) {
        let profiles = profiles();
        let now = base() - Duration::hours(2);
        let tz = chrono_tz::America::New_York;
        let slots = free_slots(&profiles, &blocks, &appts, base(), base() + Duration::days(4), |_| true);
        for s in slots.iter().take(10) {
            let profile = profiles.iter().find(|p| p.id == s.profile_id).unwrap();
            let person_appts: Vec<Appointment> = appts.iter().filter(|a| {
                profiles.iter().any(|p| p.id == a.profile_id && p.person_id == s.person_id)
            }).cloned().collect();
            let r = check_booking(
                BookingRequest { profile, course_id: "math", start: s.start },
                BookingContext {
                    standing: &Standing::Active { no_shows: 0 },
                    student_appointments: &[],
                    profile_blocks: &blocks,
                    person_appointments: &person_appts,
                    replacing: None,
                    tz,
                },
                now,
                &Policy::default(),
            );
            prop_assert!(r.is_ok(), "{s:?} refused: {r:?}");
        }
    }

    #[test]
    fn every_decision_and_refusal_has_plain_words(
        minutes_before in -200i64..(4 * 24 * 60),
        limit in 1u32..6,
        lead in 0u32..300,
        front_desk in any::<bool>(),
    ) {
        let tz = chrono_tz::America::New_York;
        let policy = Policy {
            booking_lead_minutes: lead,
            no_show_limit: limit,
            late_cancel: if front_desk { LateCancelAt::FrontDesk } else { LateCancelAt::Kiosk },
            ..Policy::default()
        };
        let start = base() + Duration::days(3);
        let a = Appointment {
            id: "x".into(), profile_id: "a-tutor".into(), course_id: "math".into(),
            start, end: start + Duration::minutes(30),
            status: AppointmentStatus::Booked, student_key: "k".into(),
        };
        let now = start - Duration::minutes(minutes_before);
        let words = decide_cancel(&a, now, tz, &policy).explain(now, tz, &policy);
        prop_assert!(words.trim().len() > 10 && !words.contains('_'));
        for r in ALL_BOOKING_REFUSALS {
            let m = r.message(&policy);
            prop_assert!(m.trim().len() > 10 && !m.contains('_') && !m.contains("Err"));
        }
    }
}
