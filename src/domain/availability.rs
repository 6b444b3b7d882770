//! Availability across a person's role profiles: contradictions, weekly hours, and free slots.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::model::{Appointment, AvailabilityBlock, BlockKind, Interval, Profile, Slot};
use super::time;

/// Two availability blocks of one person that overlap in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub person_id: String,
    pub first_block: String,
    pub first_profile: String,
    pub second_block: String,
    pub second_profile: String,
    pub overlap: Interval,
}

impl Conflict {
    /// The contradiction in words, for staff.
    pub fn describe(&self, profiles: &[Profile], tz: Tz) -> String {
        let name = |id: &str| {
            profiles
                .iter()
                .find(|p| p.id == id)
                .map(|p| format!("{} as {}", p.display_name, p.role.label()))
                .unwrap_or_else(|| format!("profile {id}"))
        };
        format!(
            "{} and {} are both available on {} from {} to {} (blocks {} and {}).",
            name(&self.first_profile),
            name(&self.second_profile),
            time::day_text(tz, self.overlap.start),
            time::clock_text(tz, self.overlap.start),
            time::clock_text(tz, self.overlap.end),
            self.first_block,
            self.second_block
        )
    }
}

fn person_of(profiles: &[Profile]) -> HashMap<&str, &str> {
    profiles.iter().map(|p| (p.id.as_str(), p.person_id.as_str())).collect()
}

/// Every pair of overlapping blocks of the same person, across all of that person's profiles.
/// Blocks of unknown profiles are ignored.
pub fn conflicts(profiles: &[Profile], blocks: &[AvailabilityBlock]) -> Vec<Conflict> {
    let person = person_of(profiles);
    let mut by_person: HashMap<&str, Vec<&AvailabilityBlock>> = HashMap::new();
    for b in blocks {
        if let Some(p) = person.get(b.profile_id.as_str()) {
            by_person.entry(p).or_default().push(b);
        }
    }
    let mut out = Vec::new();
    for (person_id, mut list) in by_person {
        list.sort_by_key(|b| (b.start, b.end));
        for (i, a) in list.iter().enumerate() {
            for b in list[i + 1..].iter().take_while(|b| b.start < a.end) {
                let overlap = Interval::new(a.start.max(b.start), a.end.min(b.end));
                if !overlap.is_empty() {
                    out.push(Conflict {
                        person_id: person_id.to_string(),
                        first_block: a.id.clone(),
                        first_profile: a.profile_id.clone(),
                        second_block: b.id.clone(),
                        second_profile: b.profile_id.clone(),
                        overlap,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.overlap.start, &a.first_block).cmp(&(b.overlap.start, &b.first_block)));
    out
}

/// Weekly opening hours of one profile, in local wall-clock time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyHours {
    pub id: String,
    pub profile_id: String,
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub session_minutes: u32,
    pub kind: BlockKind,
}

/// Concrete blocks for every matching day in `first..=last`, each local time resolved on its own
/// date (so 9:00 is 9:00 on both sides of a DST change). Block ids are `<weekly id>@<date>`.
pub fn expand_weekly(weekly: &[WeeklyHours], first: NaiveDate, last: NaiveDate, tz: Tz) -> Vec<AvailabilityBlock> {
    let mut out = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= last) {
        for w in weekly.iter().filter(|w| w.weekday == day.weekday()) {
            let start = time::at_local(tz, day, w.start);
            let end = time::at_local(tz, day, w.end);
            if end > start {
                out.push(AvailabilityBlock {
                    id: format!("{}@{}", w.id, day),
                    profile_id: w.profile_id.clone(),
                    start,
                    end,
                    session_minutes: w.session_minutes,
                    kind: w.kind,
                });
            }
        }
    }
    out
}

/// The session grid of one block: `[start + k·len, start + (k+1)·len)` while it fits.
pub fn block_sessions(block: &AvailabilityBlock) -> impl Iterator<Item = Interval> + '_ {
    let len = Duration::minutes(i64::from(block.session_minutes.max(1)));
    let mut next = block.start;
    std::iter::from_fn(move || {
        let end = next + len;
        if end > block.end {
            return None;
        }
        let slot = Interval::new(next, end);
        next = end;
        Some(slot)
    })
}

/// Free appointment slots that start in `[from, to)`, for the profiles `wanted` picks.
///
/// Slots held by any appointment of the same *person* (under any role) are left out, and a person
/// is never offered two overlapping slots even if their blocks contradict each other: the earlier
/// slot wins. `all_profiles` must hold every profile so appointments map to people.
/// The result is sorted by start time, then profile.
pub fn free_slots(
    all_profiles: &[Profile],
    blocks: &[AvailabilityBlock],
    appointments: &[Appointment],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    wanted: impl Fn(&Profile) -> bool,
) -> Vec<Slot> {
    let person = person_of(all_profiles);
    let wanted_ids: HashMap<&str, &str> =
        all_profiles.iter().filter(|p| wanted(p)).map(|p| (p.id.as_str(), p.person_id.as_str())).collect();

    let mut taken: HashMap<&str, Vec<Interval>> = HashMap::new();
    for a in appointments.iter().filter(|a| a.status.holds_slot() && a.end > from && a.start < to) {
        if let Some(p) = person.get(a.profile_id.as_str()) {
            taken.entry(p).or_default().push(a.interval());
        }
    }
    for list in taken.values_mut() {
        list.sort();
    }

    let mut candidates: Vec<(&str, Slot)> = Vec::new();
    for b in blocks.iter().filter(|b| b.kind == BlockKind::Appointment && b.end > from && b.start < to) {
        let Some(person_id) = wanted_ids.get(b.profile_id.as_str()) else { continue };
        let busy = taken.get(person_id).map(Vec::as_slice).unwrap_or(&[]);
        for s in block_sessions(b).filter(|s| s.start >= from && s.start < to) {
            if !overlaps_any(busy, &s) {
                candidates.push((
                    person_id,
                    Slot {
                        profile_id: b.profile_id.clone(),
                        person_id: person_id.to_string(),
                        start: s.start,
                        end: s.end,
                    },
                ));
            }
        }
    }
    candidates.sort_by(|a, b| (a.1.start, &a.1.profile_id).cmp(&(b.1.start, &b.1.profile_id)));

    // Sorted by start, so a slot overlaps a kept one of the same person only if it overlaps the
    // latest-ending kept one.
    let mut kept_until: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut out = Vec::with_capacity(candidates.len());
    for (person_id, slot) in candidates {
        let until = kept_until.entry(person_id).or_insert(DateTime::<Utc>::MIN_UTC);
        if slot.start >= *until {
            *until = slot.end;
            out.push(slot);
        }
    }
    out
}

/// Whether `s` overlaps any interval in a start-sorted list.
pub fn overlaps_any(sorted: &[Interval], s: &Interval) -> bool {
    // Intervals starting at or after s.end cannot overlap; look only at those before.
    let upto = sorted.partition_point(|i| i.start < s.end);
    sorted[..upto].iter().rev().any(|i| i.overlaps(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{AppointmentStatus, Role};
    use chrono_tz::America::New_York;

    fn profile(id: &str, person: &str, role: Role, courses: &[&str]) -> Profile {
        Profile {
            id: id.into(),
            person_id: person.into(),
            role,
            display_name: format!("Person {person}"),
            bio: String::new(),
            course_ids: courses.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn weekly(id: &str, profile: &str, weekday: Weekday, from: (u32, u32), to: (u32, u32)) -> WeeklyHours {
        WeeklyHours {
            id: id.into(),
            profile_id: profile.into(),
            weekday,
            start: NaiveTime::from_hms_opt(from.0, from.1, 0).unwrap(),
            end: NaiveTime::from_hms_opt(to.0, to.1, 0).unwrap(),
            session_minutes: 30,
            kind: BlockKind::Appointment,
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn slots_on(day: NaiveDate, w: WeeklyHours) -> Vec<Slot> {
        let profiles = vec![profile("p", "x", Role::Tutor, &["math"])];
        let blocks = expand_weekly(&[w], day, day, New_York);
        let from = time::start_of_local_day(New_York, day);
        free_slots(&profiles, &blocks, &[], from, from + Duration::days(2), |_| true)
    }

    #[test]
    fn a_nine_to_five_block_has_sixteen_slots_on_both_dst_days() {
        for day in [d(2026, 3, 8), d(2026, 11, 1), d(2026, 6, 7)] {
            let slots = slots_on(day, weekly("w", "p", Weekday::Sun, (9, 0), (17, 0)));
            assert_eq!(slots.len(), 16, "{day}");
            assert_eq!(time::clock_text(New_York, slots[0].start), "9:00 AM", "{day}");
            assert_eq!(time::clock_text(New_York, slots[15].start), "4:30 PM", "{day}");
        }
    }

    #[test]
    fn a_block_across_the_spring_gap_has_only_the_real_hours() {
        // 01:00–04:00 on spring-forward day is two real hours: 4 slots, none invented in the gap.
        let slots = slots_on(d(2026, 3, 8), weekly("w", "p", Weekday::Sun, (1, 0), (4, 0)));
        let times: Vec<String> = slots.iter().map(|s| time::clock_text(New_York, s.start)).collect();
        assert_eq!(times, ["1:00 AM", "1:30 AM", "3:00 AM", "3:30 AM"]);
    }

    #[test]
    fn a_cross_role_overlap_is_reported_in_words() {
        let profiles = vec![
            profile("maya-tutor", "maya", Role::Tutor, &["math"]),
            profile("maya-si", "maya", Role::SiLeader, &["chem"]),
            profile("li-tutor", "li", Role::Tutor, &["math"]),
        ];
        let weekly = [
            weekly("a", "maya-tutor", Weekday::Mon, (9, 0), (12, 0)),
            weekly("b", "maya-si", Weekday::Mon, (11, 0), (13, 0)),
            weekly("c", "li-tutor", Weekday::Mon, (9, 0), (12, 0)),
        ];
        let blocks = expand_weekly(&weekly, d(2026, 10, 12), d(2026, 10, 12), New_York);
        let found = conflicts(&profiles, &blocks);
        assert_eq!(found.len(), 1);
        let words = found[0].describe(&profiles, New_York);
        assert!(words.contains("Person maya as Tutor"), "{words}");
        assert!(words.contains("Person maya as SI leader"), "{words}");
        assert!(words.contains("11:00 AM to 12:00 PM"), "{words}");
        assert!(words.contains("Monday, October 12"), "{words}");
    }

    #[test]
    fn a_booking_under_one_role_hides_the_same_hour_under_the_other() {
        let profiles =
            vec![profile("t", "maya", Role::Tutor, &["math"]), profile("s", "maya", Role::SiLeader, &["math"])];
        // Contradicting data: both roles open 9–10.
        let weekly = [weekly("a", "t", Weekday::Mon, (9, 0), (10, 0)), weekly("b", "s", Weekday::Mon, (9, 0), (10, 0))];
        let blocks = expand_weekly(&weekly, d(2026, 10, 12), d(2026, 10, 12), New_York);
        let from = time::start_of_local_day(New_York, d(2026, 10, 12));
        let to = from + Duration::days(1);
        let all = free_slots(&profiles, &blocks, &[], from, to, |_| true);
        assert_eq!(all.len(), 2, "each half hour once, not once per role: {all:?}");

        let booked = Appointment {
            id: "x".into(),
            profile_id: "s".into(),
            course_id: "math".into(),
            start: all[0].start,
            end: all[0].end,
            status: AppointmentStatus::Booked,
            student_key: "k".into(),
        };
        let left = free_slots(&profiles, &blocks, &[booked], from, to, |p| p.id == "t");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].start, all[1].start);
    }
}
