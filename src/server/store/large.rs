//! A generator for a large center, for benchmarks and load tests: 500 tutor profiles, a 15-week
//! term of availability (about 100,000 session slots), 50,000 appointments, 20,000 students.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Duration, NaiveTime, Utc, Weekday};
use rusqlite::params;

use super::admin::{NewStudent, Setup};
use super::{HashCost, Store, StoreResult, record_put};
use crate::domain::{AppointmentStatus, BlockKind, Policy, Profile, Role, Term, WeeklyHours, expand_weekly, time};
use crate::protocol::{AppointmentData, Entity};

#[derive(Debug, Clone, Copy)]
pub struct LargeSpec {
    pub tutors: usize,
    pub courses: usize,
    pub weeks: u32,
    pub students: usize,
    pub appointments: usize,
    /// Students that get a real (cheap) PIN hash, for sign-in in load tests.
    pub students_with_pin: usize,
}

impl Default for LargeSpec {
    fn default() -> Self {
        LargeSpec {
            tutors: 500,
            courses: 120,
            weeks: 15,
            students: 20_000,
            appointments: 50_000,
            students_with_pin: 5_000,
        }
    }
}

/// What was made, for reporting.
#[derive(Debug, Clone, Default)]
pub struct LargeReport {
    pub blocks: usize,
    pub slots: usize,
    pub appointments: usize,
    pub students: usize,
    /// Cards of the students with PIN `1234` (use them to sign in).
    pub pin_cards: Vec<String>,
}

pub fn large_card(i: usize) -> String {
    format!("9{:09}", i)
}

/// Fill an empty database with a large center. The term starts on the Monday of `now`'s week.
pub fn seed_large(store: &Store, now: DateTime<Utc>, spec: LargeSpec) -> StoreResult<LargeReport> {
    let tz: chrono_tz::Tz = crate::server::seed::DEMO_TZ.parse().expect("known zone");
    let today = time::local_date(tz, now);
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let last = monday + Days::new(u64::from(spec.weeks) * 7 - 1);
    store.write(|tx| {
        let setup = Setup { tx, store, hash_cost: HashCost::DEMO };
        setup.center("large", "Large State University Learning Commons", crate::server::seed::DEMO_TZ, &Policy::default())?;
        setup.term(&Term { id: "term-large".into(), name: "Large term".into(), first_day: monday, last_day: last })?;
        for c in 0..spec.courses {
            setup.course(&format!("c{c:03}"), &format!("SUBJ {}", 100 + c), &format!("Course number {c}"))?;
        }
        let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
        let mut weekly = Vec::new();
        // Each profile's person and the course its sessions are booked for, kept for the
        // appointments below.
        let mut taught: HashMap<String, (String, String)> = HashMap::with_capacity(spec.tutors);
        for t in 0..spec.tutors {
            let person = format!("person-{t}");
            setup.person(&person, &format!("Tutor Number{t}"), None)?;
            let profile = Profile {
                id: format!("prof-{t}"),
                person_id: person.clone(),
                role: if t % 10 == 0 { Role::SiLeader } else { Role::Tutor },
                display_name: format!("Tutor {t}"),
                bio: "Happy to help with problem sets, exam review and study plans.".into(),
                course_ids: (0..4).map(|k| format!("c{:03}", (t * 7 + k * 31) % spec.courses)).collect(),
            };
            // Photos as the demo has them (192 px initials), so screens and syncs carry real images.
            let photo = crate::server::avatar::initials_png(&format!("Tutor Number{t}"), 192);
            setup.profile(&profile, Some("Learning Commons"), photo.as_deref())?;
            let course = profile.course_ids.iter().min().cloned().unwrap_or_default();
            taught.insert(profile.id.clone(), (person.clone(), course));
            // Two 3.5-hour blocks a week: 14 half-hour slots a week.
            for (k, hour) in [(0usize, 9u32), (1, 13)] {
                let day = days[(t + k * 2) % days.len()];
                weekly.push(WeeklyHours {
                    id: format!("w-{t}-{k}"),
                    profile_id: profile.id.clone(),
                    weekday: day,
                    start: NaiveTime::from_hms_opt(hour, 0, 0).expect("hour"),
                    end: NaiveTime::from_hms_opt(hour + 3, 30, 0).expect("hour"),
                    session_minutes: 30,
                    kind: BlockKind::Appointment,
                });
            }
        }
        let blocks = expand_weekly(&weekly, monday, last, tz);
        let mut report = LargeReport { blocks: blocks.len(), ..Default::default() };
        for b in &blocks {
            setup.availability(b)?;
            report.slots += ((b.end - b.start).num_minutes() / i64::from(b.session_minutes)) as usize;
        }
        let mut keys = Vec::with_capacity(spec.students);
        for i in 0..spec.students {
            let card = large_card(i);
            let pin = (i < spec.students_with_pin).then_some("1234");
            let id = setup.student(&NewStudent { card: &card, email: None, first: "Student", last: &format!("N{i}"), pin, password: None }, now)?;
            keys.push((id, store.student_key(&card)));
            if pin.is_some() {
                report.pin_cards.push(card);
            }
        }
        report.students = keys.len();
        // Appointments: every other slot of the term's blocks, as far as the count goes, for
        // students in turn (past ones settled, future ones booked).
        let mut n = 0;
        'outer: for b in &blocks {
            let mut start = b.start;
            while start + Duration::minutes(30) <= b.end {
                if n >= spec.appointments {
                    break 'outer;
                }
                let (sid, key) = &keys[(spec.students_with_pin + n) % keys.len()];
                let status = if start < now { if n % 9 == 0 { AppointmentStatus::NoShow } else { AppointmentStatus::CheckedIn } } else { AppointmentStatus::Booked };
                let id = format!("la-{n}");
                let (person, course) = taught[&b.profile_id].clone();
                tx.prepare_cached(
                    "INSERT INTO appointments (id, profile_id, person_id, course_id, student_id, start_utc, end_utc, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                )?
                .execute(params![id, b.profile_id, person, course, sid, start.timestamp(), (start + Duration::minutes(30)).timestamp(), status.as_str(), now.timestamp()])?;
                record_put(
                    tx,
                    Entity::Appointment,
                    &id,
                    &AppointmentData { id: id.clone(), profile_id: b.profile_id.clone(), course_id: course, start, end: start + Duration::minutes(30), status, student_key: key.clone() },
                )?;
                n += 1;
                start += Duration::minutes(60);
            }
        }
        report.appointments = n;
        Ok(report)
    })
}
