//! A believable demo center: tutors with bios and initials avatars, one tutor who is also an SI
//! leader, about twenty courses, two weeks of availability from today, fifty students.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use rusqlite::params;
use serde::Serialize;

use super::avatar;
use super::store::admin::{NewStudent, Setup};
use super::store::{HashCost, Store, StoreResult};
use crate::domain::{AvailabilityBlock, BlockKind, Policy, Profile, Role, Term, WeeklyHours, expand_weekly, time};

pub const DEMO_TZ: &str = "America/New_York";
/// The demo center's id.
pub const DEMO_CENTER_ID: &str = "riverside";

#[derive(Debug, Clone, Serialize)]
pub struct DemoStudent {
    pub card: String,
    pub login: String,
    pub secret: String,
    pub password: String,
    pub name: String,
    pub note: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoCredentials {
    pub center: String,
    pub students: Vec<DemoStudent>,
}

const COURSES: &[(&str, &str, &str)] = &[
    ("math-110", "MATH 110", "College Algebra"),
    ("math-151", "MATH 151", "Calculus I"),
    ("math-152", "MATH 152", "Calculus II"),
    ("math-221", "MATH 221", "Linear Algebra"),
    ("stat-200", "STAT 200", "Introductory Statistics"),
    ("chem-101", "CHEM 101", "General Chemistry I"),
    ("chem-102", "CHEM 102", "General Chemistry II"),
    ("chem-231", "CHEM 231", "Organic Chemistry I"),
    ("biol-110", "BIOL 110", "Principles of Biology"),
    ("biol-240", "BIOL 240", "Anatomy and Physiology"),
    ("phys-121", "PHYS 121", "Physics I: Mechanics"),
    ("phys-122", "PHYS 122", "Physics II: Electricity and Magnetism"),
    ("cs-101", "CS 101", "Introduction to Programming"),
    ("cs-201", "CS 201", "Data Structures"),
    ("econ-101", "ECON 101", "Principles of Microeconomics"),
    ("acct-201", "ACCT 201", "Financial Accounting"),
    ("engl-101", "ENGL 101", "College Writing"),
    ("span-101", "SPAN 101", "Elementary Spanish I"),
    ("psyc-101", "PSYC 101", "Introduction to Psychology"),
    ("hist-120", "HIST 120", "World History since 1500"),
];

struct Tutor {
    person: &'static str,
    name: &'static str,
    shown: &'static str,
    role: Role,
    bio: &'static str,
    courses: &'static [&'static str],
    /// (weekdays, from hour, to hour, session minutes)
    hours: &'static [(&'static [Weekday], u32, u32, u32)],
}

use Weekday::{Fri, Mon, Thu, Tue, Wed};

const TUTORS: &[Tutor] = &[
    Tutor {
        person: "maya-okafor",
        name: "Maya Okafor",
        shown: "Maya O.",
        role: Role::Tutor,
        bio: "Senior in mathematics. Loves turning a scary limit into three small steps.",
        courses: &["math-151", "math-152", "chem-101"],
        hours: &[(&[Mon, Wed, Fri], 9, 12, 30)],
    },
    Tutor {
        person: "maya-okafor",
        name: "Maya Okafor",
        shown: "Maya O.",
        role: Role::SiLeader,
        bio: "SI leader for General Chemistry I: review sessions built on the week's lectures.",
        courses: &["chem-101"],
        hours: &[(&[Mon, Wed], 13, 15, 60)],
    },
    Tutor {
        person: "daniel-kim",
        name: "Daniel Kim",
        shown: "Daniel K.",
        role: Role::Tutor,
        bio: "Computer science junior. Bring your error messages — we'll read them together.",
        courses: &["cs-101", "cs-201", "math-221"],
        hours: &[(&[Tue, Thu], 10, 16, 30)],
    },
    Tutor {
        person: "sofia-ramirez",
        name: "Sofia Ramirez",
        shown: "Sofia R.",
        role: Role::Tutor,
        bio: "Native speaker and education major. Conversation practice and grammar, at your pace.",
        courses: &["span-101", "engl-101"],
        hours: &[(&[Mon, Tue, Wed, Thu], 12, 17, 30)],
    },
    Tutor {
        person: "james-obrien",
        name: "James O'Brien",
        shown: "James O.",
        role: Role::Tutor,
        bio: "Physics grad student. Free-body diagrams are my favorite kind of art.",
        courses: &["phys-121", "phys-122", "math-151"],
        hours: &[(&[Mon, Wed, Fri], 13, 17, 60)],
    },
    Tutor {
        person: "priya-natarajan",
        name: "Priya Natarajan",
        shown: "Priya N.",
        role: Role::Tutor,
        bio: "Pre-med senior. Organic chemistry mechanisms, one arrow at a time.",
        courses: &["chem-102", "chem-231", "biol-110"],
        hours: &[(&[Tue, Thu], 9, 13, 30), (&[Fri], 9, 12, 30)],
    },
    Tutor {
        person: "marcus-johnson",
        name: "Marcus Johnson",
        shown: "Marcus J.",
        role: Role::Tutor,
        bio: "Economics and accounting. Makes supply and demand curves make sense.",
        courses: &["econ-101", "acct-201", "stat-200"],
        hours: &[(&[Mon, Tue, Wed, Thu], 9, 12, 30)],
    },
    Tutor {
        person: "emily-chen",
        name: "Emily Chen",
        shown: "Emily C.",
        role: Role::Tutor,
        bio: "Statistics major. Happy to help with R, Excel or the theory behind a p-value.",
        courses: &["stat-200", "math-110", "psyc-101"],
        hours: &[(&[Mon, Wed, Fri], 10, 15, 30)],
    },
    Tutor {
        person: "aisha-bello",
        name: "Aisha Bello",
        shown: "Aisha B.",
        role: Role::WritingConsultant,
        bio: "Writing consultant. Any stage of a paper: a blank page, a messy draft, or citations.",
        courses: &["engl-101", "hist-120", "psyc-101"],
        hours: &[(&[Tue, Wed, Thu], 11, 16, 60)],
    },
    Tutor {
        person: "noah-williams",
        name: "Noah Williams",
        shown: "Noah W.",
        role: Role::Tutor,
        bio: "Biology senior and former anatomy TA. Bring your flashcards.",
        courses: &["biol-110", "biol-240"],
        hours: &[(&[Mon, Tue, Thu], 14, 18, 30)],
    },
    Tutor {
        person: "lena-fischer",
        name: "Lena Fischer",
        shown: "Lena F.",
        role: Role::Tutor,
        bio: "Math education major. College algebra without the panic.",
        courses: &["math-110", "math-151", "stat-200"],
        hours: &[(&[Tue, Thu, Fri], 13, 17, 30)],
    },
    Tutor {
        person: "omar-haddad",
        name: "Omar Haddad",
        shown: "Omar H.",
        role: Role::Tutor,
        bio: "Engineering junior: physics, calculus and linear algebra.",
        courses: &["phys-121", "math-152", "math-221"],
        hours: &[(&[Mon, Wed], 9, 13, 30)],
    },
    Tutor {
        person: "grace-taylor",
        name: "Grace Taylor",
        shown: "Grace T.",
        role: Role::Tutor,
        bio: "History and psychology double major. Study plans and exam prep.",
        courses: &["hist-120", "psyc-101"],
        hours: &[(&[Wed, Thu, Fri], 9, 12, 30)],
    },
];

/// Drop-in help hours: (person's profile, weekdays, from, to)
const DROP_IN: &[(&str, &[Weekday], u32, u32)] =
    &[("p-daniel-kim-tutor", &[Mon, Wed, Fri], 13, 16), ("p-marcus-johnson-tutor", &[Mon, Tue, Wed, Thu, Fri], 13, 17)];

const FIRST: &[&str] = &[
    "Ana", "Ben", "Jordan", "Chloe", "Diego", "Fatima", "Ethan", "Hana", "Isaac", "Julia", "Kofi", "Laura", "Mateo",
    "Nina", "Oscar", "Paige", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe",
    "Aaron", "Bianca", "Caleb", "Dana", "Eli", "Farah", "Gabe", "Holly", "Ivan", "Jade", "Kyle", "Leah", "Miles",
    "Noor", "Owen", "Pia", "Reed", "Sara", "Theo", "Uma", "Victor", "Willa", "Xavier", "Yara",
];
const LAST: &[&str] = &[
    "Pereira", "Adams", "Lee", "Martin", "Flores", "Hassan", "Brooks", "Sato", "Cohen", "Novak", "Mensah", "Rossi",
    "Vargas", "Petrov", "Nilsson", "Morgan", "Reyes", "Silva", "Grant", "Patel", "Farouk", "Ivanova", "Carter",
    "Lopez", "Demir", "Wright", "Young", "Costa", "Hughes", "Park", "Stone", "Aziz", "Moreno", "Bishop", "Popov",
    "Nguyen", "Ward", "Klein", "Baker", "Rahman", "Price", "Keller", "Fox", "Lund", "Byrne", "Iyer", "Cruz", "Hart",
    "Diaz", "Saleh",
];

pub fn demo_card(i: usize) -> String {
    format!("00{:08}", 12_345_600 + i)
}

fn demo_pin(i: usize) -> String {
    format!("{:04}", (1234 + i * 1111) % 10_000)
}

/// The term the demo center is in today, widened so that the next two weeks are inside it.
pub fn demo_term(today: NaiveDate) -> Term {
    let y = today.year();
    let d = |m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid date");
    let (name, first, last) = match today.month() {
        1..=5 => (format!("Spring {y}"), d(1, 11), d(5, 8)),
        6..=7 => (format!("Summer {y}"), d(5, 18), d(8, 14)),
        _ => (format!("Fall {y}"), d(8, 24), d(12, 18)),
    };
    let first = first.min(today - Days::new(42));
    let last = last.max(today + Days::new(21));
    Term { id: format!("term-{}", name.to_lowercase().replace(' ', "-")), name, first_day: first, last_day: last }
}

/// Fill an empty database with the demo center as of `now`.
pub fn seed_demo(store: &Store, now: DateTime<Utc>) -> StoreResult<DemoCredentials> {
    let tz: chrono_tz::Tz = DEMO_TZ.parse().expect("known zone");
    let today = time::local_date(tz, now);
    let center_name = "Riverside College Learning Center";
    store.write(|tx| {
        let setup = Setup { tx, store, hash_cost: HashCost::DEMO };
        setup.center(DEMO_CENTER_ID, center_name, DEMO_TZ, &Policy::default())?;
        let term = demo_term(today);
        setup.term(&term)?;
        for (id, code, title) in COURSES {
            setup.course(id, code, title)?;
        }
        let mut weekly = Vec::new();
        for t in TUTORS {
            setup.person(t.person, t.name, None)?;
            let role = serde_json::to_value(t.role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let id = format!("p-{}-{}", t.person, role.replace('_', "-"));
            let profile = Profile {
                id: id.clone(),
                person_id: t.person.into(),
                role: t.role,
                display_name: t.shown.into(),
                bio: t.bio.into(),
                course_ids: t.courses.iter().map(|c| c.to_string()).collect(),
            };
            let photo = avatar::initials_png(t.name, 192);
            let location = if t.role == Role::SiLeader { "Science Hall 204" } else { "Learning Center, Library 2nd floor" };
            setup.profile(&profile, Some(location), photo.as_deref())?;
            for (n, (days, from, to, minutes)) in t.hours.iter().enumerate() {
                for day in *days {
                    weekly.push(WeeklyHours {
                        id: format!("{id}-{n}-{day}"),
                        profile_id: id.clone(),
                        weekday: *day,
                        start: NaiveTime::from_hms_opt(*from, 0, 0).expect("hour"),
                        end: NaiveTime::from_hms_opt(*to, 0, 0).expect("hour"),
                        session_minutes: *minutes,
                        kind: BlockKind::Appointment,
                    });
                }
            }
        }
        for (profile, days, from, to) in DROP_IN {
            for day in *days {
                weekly.push(WeeklyHours {
                    id: format!("{profile}-dropin-{day}"),
                    profile_id: profile.to_string(),
                    weekday: *day,
                    start: NaiveTime::from_hms_opt(*from, 0, 0).expect("hour"),
                    end: NaiveTime::from_hms_opt(*to, 0, 0).expect("hour"),
                    session_minutes: 15,
                    kind: BlockKind::DropIn,
                });
            }
        }
        // Drop-in hours sit beside appointment hours in the same person's day; keep them apart.
        let from_day = today - Days::new(14);
        let blocks: Vec<AvailabilityBlock> = expand_weekly(&weekly, from_day, today + Days::new(14), tz);
        for b in &blocks {
            setup.availability(b)?;
        }

        let mut students = Vec::new();
        for (i, (first, last)) in FIRST.iter().zip(LAST).enumerate() {
            let card = demo_card(i);
            let email = format!("{}.{}@riverside.edu", first.to_lowercase(), last.to_lowercase());
            let pin = demo_pin(i);
            let password = format!("demo-{}", &card[6..]);
            let id = setup.student(
                &NewStudent { card: &card, email: Some(&email), first, last, pin: Some(&pin), password: Some(&password) },
                now,
            )?;
            let note = match i {
                0 => "has a session today, if any are left",
                2 => "booking suspended: three missed sessions this term",
                _ => "",
            };
            students.push((id, DemoStudent { card, login: email, secret: pin, password, name: format!("{first} {last}"), note }));
        }

        // History: past sessions, some missed and some cancelled late, so reports and standing are real.
        let past: Vec<&AvailabilityBlock> =
            blocks.iter().filter(|b| b.kind == BlockKind::Appointment && b.end < now - Duration::hours(1)).collect();
        let mut n = 0usize;
        let mut put = |student: usize, block: &AvailabilityBlock, start: DateTime<Utc>, status: &str| -> StoreResult<()> {
            let end = start + Duration::minutes(i64::from(block.session_minutes));
            let course: String =
                tx.query_row("SELECT course_id FROM profile_courses WHERE profile_id = ?1 LIMIT 1", [&block.profile_id], |r| r.get(0))?;
            let person: String = tx.query_row("SELECT person_id FROM profiles WHERE id = ?1", [&block.profile_id], |r| r.get(0))?;
            let id = format!("demo-past-{n}");
            n += 1;
            let key = store.student_key(&students[student].1.card);
            tx.execute(
                "INSERT OR IGNORE INTO appointments (id, profile_id, person_id, course_id, student_id, start_utc, end_utc, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                params![id, block.profile_id, person, course, students[student].0, start.timestamp(), end.timestamp(), status, (start - Duration::days(3)).timestamp()],
            )?;
            tx.execute(
                "INSERT INTO appointment_history (appointment_id, status, at, actor) VALUES (?1, ?2, ?3, 'demo')",
                params![id, status, start.timestamp()],
            )?;
            super::store::record_put(
                tx,
                crate::protocol::Entity::Appointment,
                &id,
                &crate::protocol::AppointmentData {
                    id: id.clone(),
                    profile_id: block.profile_id.clone(),
                    course_id: course,
                    start,
                    end,
                    status: crate::domain::AppointmentStatus::parse(status).expect("known status"),
                    student_key: key,
                },
            )?;
            if status == "checked_in" {
                tx.execute(
                    "INSERT INTO visits (id, student_id, appointment_id, check_in_at, sign_out_at, sign_out_reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'student')",
                    params![format!("{id}-visit"), students[student].0, id, start.timestamp() - 300, end.timestamp()],
                )?;
            }
            Ok(())
        };
        // Jordan (index 2): three missed sessions this term.
        for b in past.iter().step_by(7).take(3) {
            put(2, b, b.start, "no_show")?;
        }
        for (k, b) in past.iter().skip(1).step_by(3).take(30).enumerate() {
            let student = 3 + (k % 40);
            let status = match k % 10 {
                0 => "no_show",
                1 => "late_cancelled",
                2 => "cancelled",
                _ => "checked_in",
            };
            put(student, b, b.start, status)?;
        }

        // Upcoming: Ana (0) has the next session today; Ben (1) holds sessions in each cancel window.
        let sessions = |b: &AvailabilityBlock| {
            crate::domain::availability::block_sessions(b).map(|s| s.start).collect::<Vec<_>>()
        };
        let day_end = time::start_of_local_day(tz, today + Days::new(1));
        let future: Vec<&AvailabilityBlock> =
            blocks.iter().filter(|b| b.kind == BlockKind::Appointment && b.end > now).collect();
        let soon = future.iter().flat_map(|b| sessions(b).into_iter().map(move |s| (s, *b))).filter(|(s, _)| {
            *s >= now - Duration::minutes(5) && *s < day_end
        }).min_by_key(|(s, _)| *s);
        if let Some((start, b)) = soon {
            put(0, b, start, "booked")?;
        }
        let later: Vec<(DateTime<Utc>, &AvailabilityBlock)> = future
            .iter()
            .flat_map(|b| sessions(b).into_iter().map(move |s| (s, *b)))
            .filter(|(s, _)| *s > day_end + Duration::days(1))
            .collect();
        for (k, (start, b)) in later.iter().step_by(17).take(2).enumerate() {
            put(1 + k * 3, b, *start, "booked")?;
        }
        Ok(DemoCredentials { center: center_name.into(), students: students.into_iter().map(|(_, s)| s).collect() })
    })
}
